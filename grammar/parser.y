/*
 * parser.y - the shape of a .lstm spec, built into the tree of ast.h.
 *
 *   spec   = node*
 *   node   = WORD arg* ";"                   a statement
 *          | WORD WORD? "{" node* "}"        a block: kind, optional name, body
 *   arg    = number | STRING | WORD | WORD "(" (arg ("," arg)*)? ")"
 *   number = NUMBER ("/" NUMBER)?
 *
 * Commas between a statement's arguments are optional separators. Which
 * words are valid where is decided later, in sema.c; the actions here only
 * build, one builder call each.
 *
 * Errors read "file:line:col: error: expected X, saw Y". After one, the
 * parser skips to the next ';' (or over a whole '{ ... }') and goes on, so
 * one run reports several. Braces are matched on the token stream itself
 * (yylex below): a stray '}' is reported and dropped, and at the end of the
 * file an unclosed block is reported with where it opened and then closed,
 * so the grammar always sees balanced braces and recovery cannot run off
 * the end of the file.
 */
%define api.pure full
%define api.prefix {spec_}
%define api.location.type {Loc}
%define parse.error custom
/* Lookahead correction: the expected tokens in a message are those of the
 * state where the bad token arrived, not of one after default reductions. */
%define parse.lac full
%locations
%expect 0
%param {void *scanner}
%parse-param {ParseCtx *ctx}

%code requires {
#include "ast.h"

/* A '{' not closed yet; the stack is innermost first. */
typedef struct OpenBrace {
    Loc brace;
    const char *label;        /* "lstm enc", "dense", or "{" with no word before it */
    struct OpenBrace *outer;
} OpenBrace;

/* What the scanner and the parser share during one parse_spec(). */
typedef struct ParseCtx {
    Arena *arena;             /* owns every token text and node */
    const Source *src;
    int line, col;            /* the scanner's position */
    Node *result;             /* the top-level nodes */
    /* Brace matching in yylex(). */
    OpenBrace *open;
    const char *words[2];     /* the last two tokens if they were words, to label a '{' */
    Loc last;                 /* the last token (the parser's lookahead) */
    int at_eof;               /* the scanner has returned end of file */
    int unclosed;             /* an unclosed block was reported at end of file */
    /* The statement the last token belongs to, for better syntax errors. */
    int in_stmt;              /* 0 after ';', '{' and '}': the next token starts one */
    Loc stmt_break;           /* just after its last token before a line break */
    int stmt_parens;          /* '(' not closed yet in it */
    int stmt_lex_error;       /* the scanner reported an error in it */
} ParseCtx;

/* Semantic values while a list is being built. */
typedef struct NodeList {
    Node *head, *tail;
} NodeList;

typedef struct ArgList {
    Arg *items;               /* in the arena; regrown by doubling */
    int n, cap;
} ArgList;
}

%code provides {
/* The names flex's bison-bridge scanner uses for the value and location. */
#define YYSTYPE SPEC_STYPE
#define YYLTYPE SPEC_LTYPE

/* The flex scanner. The parser reads tokens through its own yylex(), which
 * wraps this to match braces. */
#define YY_DECL int spec_scan(SPEC_STYPE *yylval_param, SPEC_LTYPE *yylloc_param, void *yyscanner)
YY_DECL;

/* s[0..n) for a message: non-printable bytes as \xNN, long text cut short. */
const char *spec_quote(ParseCtx *ctx, const char *s, size_t n);
}

%code {
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lexer.h"

/* All parser stacks go through the one allocator. */
#define YYMALLOC mem_alloc
#define YYFREE mem_free

/* A rule's location runs from its first symbol to the end of its last when
 * they are on one line, and is its first symbol otherwise. An empty rule
 * sits, with length 0, just after what precedes it. */
#define YYLLOC_DEFAULT(Cur, Rhs, N)                                         \
    do {                                                                    \
        if (N) {                                                            \
            (Cur) = YYRHSLOC(Rhs, 1);                                       \
            if (YYRHSLOC(Rhs, N).line == (Cur).line)                        \
                (Cur).len = YYRHSLOC(Rhs, N).col + YYRHSLOC(Rhs, N).len     \
                            - (Cur).col;                                    \
        } else {                                                            \
            (Cur) = YYRHSLOC(Rhs, 0);                                       \
            (Cur).col += (Cur).len;                                         \
            (Cur).len = 0;                                                  \
        }                                                                   \
    } while (0)

static int yylex(YYSTYPE *lval, YYLTYPE *lloc, void *scanner);
static void yyerror(const YYLTYPE *loc, void *scanner, ParseCtx *ctx, const char *msg);

static NodeList node_append(NodeList list, Node *n);
static Node *new_stmt(ParseCtx *ctx, const Loc *loc, const char *word, const ArgList *args);
static Node *new_block(ParseCtx *ctx, const Loc *loc, const char *kind, const Loc *name_loc,
                       const char *name, const NodeList *body, const Loc *close);
static ArgList arg_append(ParseCtx *ctx, ArgList list, const Arg *a);
static Arg new_number(const Loc *loc, const char *text);
static Arg new_fraction(ParseCtx *ctx, const Loc *loc, const char *num, const char *den,
                        const Loc *den_loc);
static Arg new_string(const Loc *loc, const char *text);
static Arg new_word(const Loc *loc, const char *word);
static Arg new_call(const Loc *loc, const char *word, const ArgList *args);
}

%union {
    const char *str;
    Node *node;
    NodeList nodes;
    Arg arg;
    ArgList args;
}

%token <str> WORD "word" NUMBER "number" STRING "string"
%type <nodes> body nodes
%type <node> node
%type <arg> arg
%type <args> args arglist callargs

%%

/* spec = node* */
spec:
    body                        { ctx->result = $1.head; }
    ;

/* A body that ends in an error: junk up to the '}' or the end of the file. */
body:
    nodes
  | nodes error junk            { $$ = $1; }
    ;

/* In source order: appended at the tail. */
nodes:
    %empty                      { $$ = (NodeList){NULL, NULL}; }
  | nodes node                  { $$ = node_append($1, $2); }
    ;

/* node = WORD arg* ";" | WORD WORD? "{" node* "}" */
node:
    WORD args ';'               { $$ = new_stmt(ctx, &@1, $1, &$2); }
  | WORD '{' body '}'           { $$ = new_block(ctx, &@1, $1, NULL, NULL, &$3, &@4); }
  | WORD WORD '{' body '}'      { $$ = new_block(ctx, &@1, $1, &@2, $2, &$4, &@5); }
    /* Error recovery: skip to the ';', or over the block whose head was bad. */
  | error junk ';'              { $$ = NULL; }
  | error junk '{' body '}'     { $$ = NULL; }
    ;

/* Anything but ';', '{' and '}', skipped after an error. */
junk:
    %empty
  | junk WORD
  | junk NUMBER
  | junk STRING
  | junk '('
  | junk ')'
  | junk ','
  | junk '/'
    ;

/* A statement's arguments; a comma between two is optional. */
args:
    %empty                      { $$ = (ArgList){NULL, 0, 0}; }
  | arglist
    ;

arglist:
    arg                         { $$ = arg_append(ctx, (ArgList){NULL, 0, 0}, &$1); }
  | arglist arg                 { $$ = arg_append(ctx, $1, &$2); }
  | arglist ',' arg             { $$ = arg_append(ctx, $1, &$3); }
    ;

/* arg = number | STRING | WORD | WORD "(" (arg ("," arg)*)? ")" */
arg:
    NUMBER                      { $$ = new_number(&@$, $1); }
  | NUMBER '/' NUMBER           { $$ = new_fraction(ctx, &@$, $1, $3, &@3); }
  | STRING                      { $$ = new_string(&@$, $1); }
  | WORD                        { $$ = new_word(&@$, $1); }
  | WORD '(' ')'                { $$ = new_call(&@$, $1, NULL); }
  | WORD '(' callargs ')'       { $$ = new_call(&@$, $1, &$3); }
    ;

/* A call's arguments: commas required. */
callargs:
    arg                         { $$ = arg_append(ctx, (ArgList){NULL, 0, 0}, &$1); }
  | callargs ',' arg            { $$ = arg_append(ctx, $1, &$3); }
    ;

%%

/* ---- builders ---- */

static NodeList node_append(NodeList list, Node *n)
{
    if (!n)                     /* a node that had an error */
        return list;
    if (list.tail)
        list.tail->next = n;
    else
        list.head = n;
    list.tail = n;
    return list;
}

/* node = WORD arg* ";" */
static Node *new_stmt(ParseCtx *ctx, const Loc *loc, const char *word, const ArgList *args)
{
    Node *n = arena_alloc(ctx->arena, sizeof *n);
    n->kind = NODE_STMT;
    n->loc = *loc;
    n->word = word;
    n->args = args->items;
    n->nargs = args->n;
    return n;
}

/* node = WORD WORD? "{" node* "}" */
static Node *new_block(ParseCtx *ctx, const Loc *loc, const char *kind, const Loc *name_loc,
                       const char *name, const NodeList *body, const Loc *close)
{
    Node *n = arena_alloc(ctx->arena, sizeof *n);
    n->kind = NODE_BLOCK;
    n->loc = *loc;
    n->word = kind;
    n->name = name;
    if (name_loc)
        n->name_loc = *name_loc;
    n->body = body->head;
    n->close_loc = *close;
    return n;
}

static ArgList arg_append(ParseCtx *ctx, ArgList list, const Arg *a)
{
    if (list.n == list.cap) {
        int cap = list.cap ? 2 * list.cap : 4;
        Arg *items = arena_alloc(ctx->arena, (size_t)cap * sizeof *items);
        if (list.n)
            memcpy(items, list.items, (size_t)list.n * sizeof *items);
        list.items = items;
        list.cap = cap;
    }
    list.items[list.n++] = *a;
    return list;
}

/* number = NUMBER */
static Arg new_number(const Loc *loc, const char *text)
{
    Arg a = {.kind = ARG_NUMBER, .loc = *loc, .text = text};
    a.num = strtod(text, NULL);
    a.is_integer = !strpbrk(text, ".eE");
    if (isinf(a.num))
        diag_error(loc, "number '%s' is out of range", text);
    return a;
}

/* number = NUMBER "/" NUMBER, written for values like 1/6 that have no
 * exact decimal form. */
static Arg new_fraction(ParseCtx *ctx, const Loc *loc, const char *num, const char *den,
                        const Loc *den_loc)
{
    Loc num_loc = *loc;
    num_loc.len = (int)strlen(num);
    Arg n = new_number(&num_loc, num);
    Arg d = new_number(den_loc, den);
    Arg a = {.kind = ARG_NUMBER, .loc = *loc};
    a.text = arena_printf(ctx->arena, "%s/%s", num, den);
    if (d.num == 0) {
        diag_error(den_loc, "division by zero in '%s'", a.text);
        return a;
    }
    a.num = n.num / d.num;
    if (isinf(a.num) && !isinf(n.num) && !isinf(d.num))
        diag_error(loc, "number '%s' is out of range", a.text);
    return a;
}

/* arg = STRING */
static Arg new_string(const Loc *loc, const char *text)
{
    return (Arg){.kind = ARG_STRING, .loc = *loc, .text = text};
}

/* arg = WORD */
static Arg new_word(const Loc *loc, const char *word)
{
    return (Arg){.kind = ARG_WORD, .loc = *loc, .text = word};
}

/* arg = WORD "(" (arg ("," arg)*)? ")" */
static Arg new_call(const Loc *loc, const char *word, const ArgList *args)
{
    Arg a = {.kind = ARG_CALL, .loc = *loc, .text = word};
    if (args) {
        a.args = args->items;
        a.nargs = args->n;
    }
    return a;
}

/* ---- tokens, with braces matched ---- */

static void open_brace(ParseCtx *ctx, const Loc *brace)
{
    OpenBrace *b = arena_alloc(ctx->arena, sizeof *b);
    b->brace = *brace;
    if (ctx->words[0] && ctx->words[1])
        b->label = arena_printf(ctx->arena, "%s %s", ctx->words[0], ctx->words[1]);
    else
        b->label = ctx->words[1] ? ctx->words[1] : "{";
    b->outer = ctx->open;
    ctx->open = b;
}

/* At the end of the file: reports the innermost unclosed block once, then
 * hands out a '}' for each open block and finally the end of file. */
static int end_of_file(ParseCtx *ctx, YYLTYPE *lloc)
{
    ctx->at_eof = 1;
    /* Just after the last token, rather than on a blank last line. */
    *lloc = ctx->last;
    lloc->src = ctx->src;
    lloc->col += lloc->len;
    lloc->len = 0;
    if (!ctx->open)
        return SPEC_EOF;
    if (!ctx->unclosed) {
        ctx->unclosed = 1;
        diag_error(lloc, "expected '}' to close '%s', saw end of file", ctx->open->label);
        diag_note(&ctx->open->brace, "'%s' opened here", ctx->open->label);
    }
    ctx->open = ctx->open->outer;
    return '}';
}

/* Notes where the statement tok belongs to first runs past a line end
 * outside parentheses (a missing ';' is most likely there) and whether the
 * scanner has complained about it (syntax errors in it are then fallout). */
static void track_statement(ParseCtx *ctx, int tok, const YYLTYPE *lloc, int lex_error)
{
    if (!ctx->in_stmt) {
        ctx->in_stmt = 1;
        ctx->stmt_break.src = NULL;
        ctx->stmt_parens = 0;
        ctx->stmt_lex_error = 0;
    } else if (!ctx->stmt_break.src && !ctx->stmt_parens && lloc->line > ctx->last.line) {
        ctx->stmt_break = ctx->last;
        ctx->stmt_break.col += ctx->last.len;
        ctx->stmt_break.len = 0;
    }
    if (tok == '(')
        ctx->stmt_parens++;
    else if (tok == ')' && ctx->stmt_parens > 0)
        ctx->stmt_parens--;
    if (lex_error)
        ctx->stmt_lex_error = 1;
    if (tok == ';' || tok == '{' || tok == '}')
        ctx->in_stmt = 0;
}

/* The parser's tokens: the scanner's, with a stray '}' reported and dropped
 * and the open blocks closed at the end of the file. */
static int yylex(YYSTYPE *lval, YYLTYPE *lloc, void *scanner)
{
    ParseCtx *ctx = spec_get_extra(scanner);
    if (ctx->at_eof)
        return end_of_file(ctx, lloc);
    int errors = diag_errors();
    int tok = spec_scan(lval, lloc, scanner);
    while (tok == '}' && !ctx->open) {
        diag_error(lloc, "unexpected '}' with no open block");
        errors++;               /* not the scanner's */
        tok = spec_scan(lval, lloc, scanner);
    }
    track_statement(ctx, tok, lloc, diag_errors() > errors);
    if (tok == SPEC_EOF)
        return end_of_file(ctx, lloc);
    if (tok == '{')
        open_brace(ctx, lloc);
    else if (tok == '}')
        ctx->open = ctx->open->outer;
    ctx->words[0] = ctx->words[1];
    ctx->words[1] = tok == WORD ? lval->str : NULL;
    ctx->last = *lloc;
    return tok;
}

/* ---- errors ---- */

const char *spec_quote(ParseCtx *ctx, const char *s, size_t n)
{
    enum { MAX_SHOWN = 32 };
    char buf[4 * MAX_SHOWN + 4];
    size_t len = 0;
    for (size_t i = 0; i < n && i < MAX_SHOWN; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c < 0x7f)
            buf[len++] = (char)c;
        else
            len += (size_t)snprintf(buf + len, sizeof buf - len, "\\x%02x", c);
    }
    if (n > MAX_SHOWN)
        len += (size_t)snprintf(buf + len, sizeof buf - len, "...");
    return arena_strndup(ctx->arena, buf, len);
}

/* Writes "X", "X or Y" or "X, Y or Z": the tokens worth suggesting among
 * those the parser could have taken. Returns whether ';' is among them. */
static int describe_expected(const yypcontext_t *yyctx, const ParseCtx *ctx, char *buf,
                             size_t size)
{
    /* In the order they read best; WORD, NUMBER and STRING together are
     * "argument". '(' and '/' are never the fix, so never shown. */
    static const struct {
        int tok;
        const char *text;
    } shown[] = {
        {WORD, "word"}, {NUMBER, "number"}, {STRING, "string"},
        {';', "';'"}, {'{', "'{'"}, {',', "','"}, {')', "')'"}, {'}', "'}'"},
    };
    yysymbol_kind_t kinds[YYNTOKENS];
    int can[YYNTOKENS] = {0};
    int n = yypcontext_expected_tokens(yyctx, kinds, YYNTOKENS);
    for (int i = 0; i < n; i++)
        can[kinds[i]] = 1;
#define CAN(tok) can[YYTRANSLATE(tok)]
    /* Mid-statement, the ';' is the fix; another argument or a comma
     * rarely is. */
    if (CAN(';'))
        CAN(WORD) = CAN(NUMBER) = CAN(STRING) = CAN(',') = 0;
    /* The top level shares its states with block bodies. */
    if (!ctx->open)
        CAN('}') = 0;
    const char *parts[COUNT_OF(shown) + 1];
    int nparts = 0;
    if (CAN(WORD) && CAN(NUMBER) && CAN(STRING)) {
        parts[nparts++] = "argument";
        CAN(WORD) = CAN(NUMBER) = CAN(STRING) = 0;
    }
    for (size_t i = 0; i < COUNT_OF(shown); i++)
        if (CAN(shown[i].tok))
            parts[nparts++] = shown[i].text;
#undef CAN
    size_t len = 0;
    buf[0] = '\0';
    for (int i = 0; i < nparts && len < size; i++) {
        const char *sep = i == 0 ? "" : i == nparts - 1 ? " or " : ", ";
        len += (size_t)snprintf(buf + len, size - len, "%s%s", sep, parts[i]);
    }
    return can[YYTRANSLATE(';')];
}

/* "expected ';' or '{', saw ')'" at the token the parser could not take. */
static int yyreport_syntax_error(const yypcontext_t *yyctx, void *scanner, ParseCtx *ctx)
{
    /* After an unclosed block, what the parser trips over is the '}' made
     * up to close it; after a bad string or character, the statement is
     * not what was meant. Nothing more to say either way. */
    if (ctx->unclosed || ctx->stmt_lex_error)
        return 0;
    const char *saw = "end of file";
    if (yypcontext_token(yyctx) != YYSYMBOL_YYEOF) {
        const char *text = spec_get_text(scanner);
        saw = arena_printf(ctx->arena, "'%s'",
                           spec_quote(ctx, text, (size_t)spec_get_leng(scanner)));
    }
    char want[128];
    int semi = describe_expected(yyctx, ctx, want, sizeof want);
    Loc at = *yypcontext_location(yyctx);
    /* A ';' missing at the end of a line is shown there, not where the
     * parser noticed, at the start of the next statement. */
    if (semi && ctx->stmt_break.src)
        at = ctx->stmt_break;
    if (want[0])
        diag_error(&at, "expected %s, saw %s", want, saw);
    else
        diag_error(&at, "unexpected %s", saw);
    return 0;
}

/* Bison's own failures; with this grammar only a stack overflow. */
static void yyerror(const YYLTYPE *loc, void *scanner, ParseCtx *ctx, const char *msg)
{
    (void)scanner;
    (void)ctx;
    (void)msg;                  /* "memory exhausted", which says less */
    diag_error(loc, "spec nested too deeply");
}
