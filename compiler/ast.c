/*
 * ast.c - runs the scanner and parser over a spec, and prints the tree.
 *
 * The grammar and the builders are in grammar/parser.y, the tokens in
 * grammar/lexer.l; this file only sets them up, tears them down, and dumps
 * what they built (see ast.h).
 */
#include "ast.h"

#include <limits.h>

#include "parser.h"
#include "lexer.h"

Node *parse_spec(Arena *a, const Source *src)
{
    if (src->len > INT_MAX) {               /* flex counts in int */
        diag_file_error(src->path, "too large to be a spec");
        return NULL;
    }
    ParseCtx ctx = {.arena = a, .src = src, .line = 1, .col = 1};
    yyscan_t scanner;
    if (spec_lex_init_extra(&ctx, &scanner) != 0)
        diag_fatal("out of memory");
    YY_BUFFER_STATE buf = spec__scan_bytes(src->text, (int)src->len, scanner);
    spec_parse(scanner, &ctx);
    spec__delete_buffer(buf, scanner);
    spec_lex_destroy(scanner);
    return ctx.result;
}

/* ---- printing ---- */

static void print_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        switch (c) {
        case '"':  fputs("\\\"", f); break;
        case '\\': fputs("\\\\", f); break;
        case '\n': fputs("\\n", f); break;
        case '\t': fputs("\\t", f); break;
        default:
            if (c < 0x20 || c == 0x7f)
                fprintf(f, "\\x%02x", c);
            else
                fputc(c, f);
        }
    }
    fputc('"', f);
}

/* Numbers as written (so 1/6 stays 1/6), strings escaped again. */
static void print_arg(FILE *f, const Arg *a)
{
    switch (a->kind) {
    case ARG_NUMBER:
    case ARG_WORD:
        fputs(a->text, f);
        break;
    case ARG_STRING:
        print_string(f, a->text);
        break;
    case ARG_CALL:
        fprintf(f, "%s(", a->text);
        for (int i = 0; i < a->nargs; i++) {
            if (i)
                fputs(", ", f);
            print_arg(f, &a->args[i]);
        }
        fputc(')', f);
        break;
    }
}

static void print_nodes(FILE *f, const Node *n, int depth)
{
    for (; n; n = n->next) {
        fprintf(f, "%*s", 2 * depth, "");
        if (n->kind == NODE_BLOCK) {
            fprintf(f, "block %s", n->word);
            if (n->name)
                fprintf(f, " %s", n->name);
            fprintf(f, " @%d:%d\n", n->loc.line, n->loc.col);
            print_nodes(f, n->body, depth + 1);
            continue;
        }
        fprintf(f, "stmt %s", n->word);
        for (int i = 0; i < n->nargs; i++) {
            fputc(' ', f);
            print_arg(f, &n->args[i]);
        }
        fprintf(f, " @%d:%d\n", n->loc.line, n->loc.col);
    }
}

void ast_print(FILE *f, const Node *n)
{
    print_nodes(f, n, 0);
}
