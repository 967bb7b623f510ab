/*
 * sema.c - semantic checks: a parsed spec becomes the IR's shape.
 *
 * The grammar accepts any `word args;` and `kind name { ... }`; here every
 * word is looked up in the table of its block, every argument is checked for
 * type and range, and the options of a layer are checked against each other
 * and against its weights convention. Each mistake is reported where it was
 * written, and checking goes on so one run reports them all.
 */
#include "sema.h"
#include "fixed.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_DIM = 1 << 16 };   /* keeps every tensor size well inside a long */
/* Layers of a model, each lstm block's `layers` counted (README "Limits"):
 * the IR's layer array is sized from this count before any block is
 * checked, so it must be bounded first. */
enum { MAX_LAYERS = 1024 };

typedef struct Sema {
    Arena *a;
    const Source *src;
} Sema;

/* ---- the statements of each block ---- */

/* X(enum, "word", is_block): the words valid inside one kind of block. */
#define MODEL_WORDS(X)                                                         \
    X(M_INPUT, "input", 0) X(M_WEIGHTS, "weights", 0) X(M_OUTPUT, "output", 0) \
    X(M_WEIGHTS_TYPE, "weights_type", 0) X(M_ARITHMETIC, "arithmetic", 0) X(M_RANGES, "ranges", 0) X(M_PRODUCTS, "products", 0) X(M_LSTM, "lstm", 1) X(M_DENSE, "dense", 1)   \
    X(M_GRU, "gru", 1) X(M_RNN, "rnn", 1) X(M_EMBEDDING, "embedding", 1)
#define LSTM_WORDS(X)                                                          \
    X(L_HIDDEN, "hidden", 0) X(L_LAYERS, "layers", 0)                          \
    X(L_DIRECTION, "direction", 0) X(L_BLOCKS, "blocks", 0)                    \
    X(L_BLOCK_SIZE, "block_size", 0) X(L_GATES, "gates", 0)                    \
    X(L_COUPLED, "coupled", 0) X(L_PEEPHOLES, "peepholes", 0)                  \
    X(L_GATE_ACT, "gate_activation", 0) X(L_CELL_INPUT, "cell_input", 0)       \
    X(L_CELL_OUTPUT, "cell_output", 0) X(L_FORGET_BIAS, "forget_bias", 0)      \
    X(L_CLIP, "clip", 0) X(L_PROJECTION, "projection", 0)                      \
    X(L_NO_BIAS, "no_bias", 0) X(L_FROM, "from", 0)                            \
    X(L_INITIAL_STATE, "initial_state", 0)
/* gru and rnn blocks share one reader (recurrent_block); each table holds
 * only the statements its kind takes. */
#define GRU_WORDS(X)                                                           \
    X(G_HIDDEN, "hidden", 0) X(G_LAYERS, "layers", 0)                          \
    X(G_DIRECTION, "direction", 0) X(G_RESET, "reset", 0)                      \
    X(G_GATE_ACT, "gate_activation", 0)                                        \
    X(G_CAND_ACT, "candidate_activation", 0) X(G_CLIP, "clip", 0)              \
    X(G_NO_BIAS, "no_bias", 0) X(G_INITIAL_STATE, "initial_state", 0)          \
    X(G_FROM, "from", 0)
#define RNN_WORDS(X)                                                           \
    X(R_HIDDEN, "hidden", 0) X(R_LAYERS, "layers", 0)                          \
    X(R_DIRECTION, "direction", 0) X(R_ACTIVATION, "activation", 0)            \
    X(R_CLIP, "clip", 0) X(R_NO_BIAS, "no_bias", 0)                            \
    X(R_INITIAL_STATE, "initial_state", 0) X(R_FROM, "from", 0)
#define EMBED_WORDS(X)                                                         \
    X(E_VOCABULARY, "vocabulary", 0) X(E_DIM, "dim", 0) X(E_FROM, "from", 0)
#define DENSE_WORDS(X)                                                         \
    X(D_UNITS, "units", 0) X(D_ACTIVATION, "activation", 0)                    \
    X(D_NO_BIAS, "no_bias", 0) X(D_FROM, "from", 0)

#define AS_ENUM(e, w, b) e,
#define AS_WORD(e, w, b) w,
#define AS_BLOCK(e, w, b) b,
enum { MODEL_WORDS(AS_ENUM) M_COUNT };
enum { LSTM_WORDS(AS_ENUM) L_COUNT };
enum { DENSE_WORDS(AS_ENUM) D_COUNT };
enum { EMBED_WORDS(AS_ENUM) E_COUNT };
static const char *const embed_words[] = {EMBED_WORDS(AS_WORD)};
static const int embed_is_block[] = {EMBED_WORDS(AS_BLOCK)};
enum { GRU_WORDS(AS_ENUM) G_COUNT };
enum { RNN_WORDS(AS_ENUM) R_COUNT };
static const char *const model_words[] = {MODEL_WORDS(AS_WORD)};
static const char *const lstm_words[] = {LSTM_WORDS(AS_WORD)};
static const char *const dense_words[] = {DENSE_WORDS(AS_WORD)};
static const int model_is_block[] = {MODEL_WORDS(AS_BLOCK)};
static const int lstm_is_block[] = {LSTM_WORDS(AS_BLOCK)};
static const int dense_is_block[] = {DENSE_WORDS(AS_BLOCK)};
static const char *const gru_words[] = {GRU_WORDS(AS_WORD)};
static const char *const rnn_words[] = {RNN_WORDS(AS_WORD)};
static const int gru_is_block[] = {GRU_WORDS(AS_BLOCK)};
static const int rnn_is_block[] = {RNN_WORDS(AS_BLOCK)};
static const char *const reset_words[] = {"after", "before"};

static const char *const convention_words[] = {"pytorch", "keras", "onnx", "native"};
static const char *const direction_words[] = {"forward", "backward", "bidirectional"};
static const char *const gate_words[] = {"input", "forget", "output"};
static const char *const clip_words[] = {"gates", "cell", "projection"};
/* in OutputForm's order */
static const char *const output_words[] = {"sequence", "last", "final", "mean", "max"};

/* The statements of one block, each word at most once (lstm and dense
 * blocks inside a model are collected separately). */
typedef struct Table {
    const char *kind;              /* "a model", "an lstm", "a dense" */
    const char *const *words;
    const int *is_block;
    int nwords;
    const Node *seen[24];
} Table;

static void note_suggestion(const char *w, const char *const *words, size_t n,
                            char *buf, size_t size)
{
    const char *s = nearest_word(w, words, n);
    if (s)
        snprintf(buf, size, "; did you mean '%s'?", s);
    else
        buf[0] = '\0';
}

/* Reads a block's body into t->seen. Returns the word index of n, or -1 if
 * it was reported as unknown, misplaced or repeated. */
static int table_word(Table *t, const Node *n)
{
    int k;
    for (k = 0; k < t->nwords; k++)
        if (strcmp(n->word, t->words[k]) == 0)
            break;
    if (k == t->nwords) {
        char hint[64];
        note_suggestion(n->word, t->words, (size_t)t->nwords, hint, sizeof hint);
        diag_error(&n->loc, "unknown %s '%s' in %s block%s",
                   n->kind == NODE_BLOCK ? "block" : "statement", n->word,
                   t->kind, hint);
        return -1;
    }
    if (t->is_block[k] && n->kind != NODE_BLOCK) {
        diag_error(&n->loc, "'%s' starts a block: write '%s NAME { ... }'",
                   n->word, n->word);
        return -1;
    }
    if (!t->is_block[k] && n->kind == NODE_BLOCK) {
        diag_error(&n->loc, "'%s' is a statement, not a block: write '%s ...;'",
                   n->word, n->word);
        return -1;
    }
    if (!t->is_block[k]) {
        if (t->seen[k]) {
            diag_error(&n->loc, "'%s' is given twice", n->word);
            diag_note(&t->seen[k]->loc, "first given here");
            return -1;
        }
        t->seen[k] = n;
    }
    return k;
}

/* Returns 1 if every statement of the body was valid there. */
static int table_scan(Table *t, const Node *body)
{
    int ok = 1;
    for (const Node *n = body; n; n = n->next)
        if (table_word(t, n) < 0)
            ok = 0;
    return ok;
}

/* ---- arguments ---- */

static const char *arg_kind_name(const Arg *a)
{
    switch (a->kind) {
    case ARG_NUMBER: return "number";
    case ARG_STRING: return "string";
    case ARG_WORD: return "word";
    case ARG_CALL: return "call";
    }
    return "argument";
}

/* The statement's text as written, from its word to the place `end` on
 * the same line (for quoting it in a message). */
static const char *statement_start(const Node *n)
{
    const char *p = n->loc.src->text;
    for (int line = 1; line < n->loc.line; p++)
        if (*p == '\n')
            line++;
    return p + n->loc.col - 1;
}

static int statement_width(const Node *n, Loc end)
{
    return end.line == n->loc.line ? end.col - n->loc.col : (int)strlen(n->word);
}

/* Checks that n has between min and max arguments. Extra arguments that
 * start on a later line mean a forgotten ';', which is what we say. */
static int want_args(const Node *n, int min, int max, const char *usage)
{
    if (n->nargs > max) {
        const Arg *extra = &n->args[max];
        const Arg *before = max > 0 ? &n->args[max - 1] : NULL;
        int prev_line = before ? before->loc.line : n->loc.line;
        if (extra->loc.line > prev_line) {
            Loc at = before ? before->loc : n->loc;
            at.col += at.len ? at.len : (int)strlen(n->word);
            at.len = 0;
            diag_error(&at, "expected ';' after '%.*s'", statement_width(n, at), statement_start(n));
        } else if (max == 0) {
            diag_error(&extra->loc, "'%s' takes no arguments: write '%s;'",
                       n->word, usage);
        } else {
            diag_error(&extra->loc, "too many arguments: write '%s;'", usage);
        }
        return 0;
    }
    if (n->nargs < min) {
        Loc at = n->nargs ? n->args[n->nargs - 1].loc : n->loc;
        diag_error(&at, "'%s' needs %s: write '%s;'", n->word,
                   min - n->nargs == 1 ? "another argument" : "more arguments",
                   usage);
        return 0;
    }
    return 1;
}

/* Whether statement n was given with a valid argument count; a bad count
 * is reported and clears *ok, so the caller goes on to the next statement
 * (one run reports every mistake). */
static int given(const Node *n, int min, int max, const char *usage, int *ok)
{
    if (!n)
        return 0;
    if (want_args(n, min, max, usage))
        return 1;
    *ok = 0;
    return 0;
}

/* An integer in [lo, hi]. */
static int arg_int(const Arg *a, const char *what, long lo, long hi, int *out)
{
    if (a->kind != ARG_NUMBER || !a->is_integer || a->num < (double)lo ||
        a->num > (double)hi) {
        diag_error(&a->loc, "%s must be an integer from %ld to %ld, saw '%s'",
                   what, lo, hi, a->text);
        return 0;
    }
    *out = (int)a->num;
    return 1;
}

/* A finite number, optionally required to be positive. */
static int arg_num(const Arg *a, const char *what, int positive, double *out)
{
    if (a->kind != ARG_NUMBER || !isfinite(a->num) || (positive && !(a->num > 0))) {
        diag_error(&a->loc, "%s must be a %snumber, saw '%s'", what,
                   positive ? "positive " : "", a->text);
        return 0;
    }
    *out = a->num;
    return 1;
}

/* One of words[0..n); returns its index or -1 after reporting. */
static int arg_choice(const Arg *a, const char *what, const char *const *words,
                      size_t n)
{
    if (a->kind == ARG_WORD)
        for (size_t k = 0; k < n; k++)
            if (strcmp(a->text, words[k]) == 0)
                return (int)k;
    char list[160] = "", hint[64] = "";
    for (size_t k = 0; k < n; k++) {
        strncat(list, k ? (k + 1 == n ? " or " : ", ") : "", sizeof list - strlen(list) - 1);
        strncat(list, words[k], sizeof list - strlen(list) - 1);
    }
    if (a->kind == ARG_WORD)
        note_suggestion(a->text, words, n, hint, sizeof hint);
    diag_error(&a->loc, "%s must be %s, saw '%s'%s", what, list, a->text, hint);
    return -1;
}

/* An activation: `tanh`, or `hard_sigmoid(0.2, 0.5)` with its parameters. */
static int arg_activation(const Arg *a, int allow_softmax, Activation *out)
{
    if (a->kind != ARG_WORD && a->kind != ARG_CALL) {
        diag_error(&a->loc, "expected an activation such as sigmoid or tanh, saw %s '%s'",
                   arg_kind_name(a), a->text);
        return 0;
    }
    Arg word = *a;
    word.kind = ARG_WORD;
    int k = arg_choice(&word, "an activation", ir_activation_names, ACT_COUNT);
    if (k < 0)
        return 0;
    int want = ir_activation_nparams[k];
    int have = a->kind == ARG_CALL ? a->nargs : 0;
    if (want != have) {
        if (k == ACT_HARD_SIGMOID && have == 0)
            diag_error(&a->loc, "hard_sigmoid needs its slope and offset, which the "
                       "frameworks disagree on: hard_sigmoid(0.2, 0.5) for ONNX "
                       "and Keras 2, hard_sigmoid(1/6, 0.5) for Keras 3");
        else if (want == 0)
            diag_error(&a->loc, "%s takes no parameters: write '%s'", a->text, a->text);
        else
            diag_error(&a->loc, "%s takes %d parameter%s, saw %d", a->text, want,
                       want == 1 ? "" : "s", have);
        return 0;
    }
    if ((k == ACT_SOFTMAX || k == ACT_LOG_SOFTMAX) && !allow_softmax) {
        diag_error(&a->loc, "%s works on a whole vector, so only a dense layer "
                   "may use it", ir_activation_names[k]);
        return 0;
    }
    out->kind = (ActKind)k;
    out->a = out->b = 0;
    double p[2] = {0, 0};
    for (int i = 0; i < have; i++)
        if (!arg_num(&a->args[i], "an activation parameter", 0, &p[i]))
            return 0;
    out->a = p[0];
    out->b = p[1];
    return 1;
}

/* ---- layers ---- */

/* A spec block's `from CONVENTION "prefix", ...;`. */
typedef struct From {
    Convention conv;
    const char **prefixes;      /* one per layer (and direction) for keras, onnx */
    int nprefixes;
    Loc loc;
} From;

static int read_from(Arena *a, const Node *n, From *f)
{
    if (!want_args(n, 2, n->nargs > 2 ? n->nargs : 2, "from CONVENTION \"prefix\""))
        return 0;
    f->prefixes = arena_alloc(a, sizeof(char *) * (size_t)n->nargs);
    int k = arg_choice(&n->args[0], "the naming convention", convention_words,
                       COUNT_OF(convention_words));
    if (k < 0)
        return 0;
    f->conv = (Convention)k;
    f->loc = n->loc;
    f->nprefixes = n->nargs - 1;
    for (int i = 1; i < n->nargs; i++) {
        if (n->args[i].kind != ARG_STRING) {
            diag_error(&n->args[i].loc, "expected a tensor-name prefix in quotes, saw '%s'",
                       n->args[i].text);
            return 0;
        }
        f->prefixes[i - 1] = n->args[i].text;
    }
    return 1;
}

/* Options of an lstm block, as written. */
typedef struct LstmOpts {
    int hidden, layers, dirs, reverse;
    int blocks, block_size;
    int has_gate[GATE_COUNT];
    int coupled, peepholes, proj, bias, initial_state;
    Activation gate_act, cell_input_act, cell_output_act;
    double forget_bias, clip[3];
    From from;
} LstmOpts;

static int read_gates(const Node *n, LstmOpts *o)
{
    if (!want_args(n, 1, 3, "gates input forget output"))
        return 0;
    int ok = 1;
    o->has_gate[GATE_I] = o->has_gate[GATE_F] = o->has_gate[GATE_O] = 0;
    static const Gate gate_of[] = {GATE_I, GATE_F, GATE_O};
    for (int i = 0; i < n->nargs; i++) {
        int k = arg_choice(&n->args[i], "a gate", gate_words, COUNT_OF(gate_words));
        if (k < 0) {
            ok = 0;
        } else if (o->has_gate[gate_of[k]]) {
            diag_error(&n->args[i].loc, "gate '%s' is listed twice", gate_words[k]);
            ok = 0;
        } else {
            o->has_gate[gate_of[k]] = 1;
        }
    }
    return ok;
}

/* The prefix count of a recurrent block's `from`: keras takes one per layer
 * and direction, onnx one per layer (a node each), the others one. */
static int check_prefixes(const From *f, int layers, int dirs)
{
    const char *conv = convention_words[f->conv];
    int want = 1;
    if (f->conv == CONV_KERAS)
        want = layers * dirs;
    else if (f->conv == CONV_ONNX)
        want = layers;
    if (f->nprefixes != want) {
        if (want == 1)
            diag_error(&f->loc, "the %s convention takes one tensor-name prefix, "
                       "saw %d", conv, f->nprefixes);
        else
            diag_error(&f->loc, "the %s convention takes one tensor-name prefix per "
                       "%s: %d here, saw %d", conv,
                       f->conv == CONV_KERAS && dirs == 2 ? "layer and direction" : "layer",
                       want, f->nprefixes);
        return 0;
    }
    return 1;
}

/* Checks the options of one lstm block against each other and its
 * convention; several problems are reported at once. */
static int check_lstm(const Table *t, LstmOpts *o, const Node *blk)
{
    int ok = 1;
    const Node *const *s = t->seen;
    if (!s[L_HIDDEN]) {
        diag_error(&blk->loc, "lstm '%s' needs a hidden size: add 'hidden N;'", blk->name);
        ok = 0;
    }
    if (!s[L_FROM]) {
        diag_error(&blk->loc, "lstm '%s' needs a weights source: add 'from pytorch \"prefix\";' "
                   "(or keras, onnx, native)", blk->name);
        ok = 0;
    }
    /* blocks N (how many) and block_size S (cells in each) say the same thing
     * two ways; either, or both if they agree. */
    if (o->hidden && o->blocks && o->block_size) {
        /* in long: each may be up to MAX_DIM, their product past INT_MAX */
        if ((long)o->blocks * o->block_size != o->hidden) {
            diag_error(&s[L_BLOCK_SIZE]->loc, "blocks %d of block_size %d make %ld cells, "
                       "but hidden is %d", o->blocks, o->block_size,
                       (long)o->blocks * o->block_size, o->hidden);
            ok = 0;
        }
    } else if (o->hidden && o->blocks) {
        if (o->hidden % o->blocks) {
            diag_error(&s[L_BLOCKS]->args[0].loc, "hidden %d cannot be split into %d "
                       "blocks of equal size", o->hidden, o->blocks);
            ok = 0;
        }
        o->block_size = o->hidden / o->blocks;
    } else if (o->hidden && o->block_size && o->hidden % o->block_size) {
        diag_error(&s[L_BLOCK_SIZE]->args[0].loc, "hidden %d is not a multiple of "
                   "block_size %d", o->hidden, o->block_size);
        ok = 0;
    }
    if (!o->block_size)
        o->block_size = 1;
    if (o->coupled && !o->has_gate[GATE_I]) {
        diag_error(&s[L_COUPLED]->loc, "'coupled' sets the forget gate to 1 - input gate, "
                   "but this layer has no input gate");
        ok = 0;
    } else if (o->coupled && !o->has_gate[GATE_F]) {
        diag_error(&s[L_COUPLED]->loc, "'coupled' gives the layer a forget gate (1 - input "
                   "gate), but 'gates' leaves the forget gate out");
        ok = 0;
    }
    if (s[L_FORGET_BIAS] && (!o->has_gate[GATE_F] || o->coupled)) {
        diag_error(&s[L_FORGET_BIAS]->loc, "'forget_bias' needs a forget gate of its own, "
                   "but this layer's is %s", o->coupled ? "coupled to the input gate" : "absent");
        ok = 0;
    }
    if (!ok || !s[L_FROM])
        return ok;

    /* What each convention's tensors can express. */
    const char *conv = convention_words[o->from.conv];
    const char *why = NULL;
    if (o->from.conv != CONV_NATIVE) {
        if (o->block_size > 1)
            why = "memory cell blocks (one gate row per block)";
        else if (o->peepholes && o->from.conv != CONV_ONNX)
            why = "peephole weights";
        else if (!o->has_gate[GATE_I] || !o->has_gate[GATE_F] || !o->has_gate[GATE_O])
            why = "a layer without all three gates";
        else if (o->coupled && o->from.conv != CONV_ONNX)
            why = "a coupled input-forget gate";
        else if (o->proj && o->from.conv != CONV_PYTORCH)
            why = "a projection";
    }
    if (why) {
        diag_error(&o->from.loc, "the %s convention has no tensors for %s; use "
                   "'from native' (see grammar/SPEC.md)", conv, why);
        return 0;
    }
    return check_prefixes(&o->from, o->layers, o->dirs);
}

/* Layer k of a recurrent block of `layers` layers: where its tensors are. */
static void set_source(IrSource *src, const From *f, int k, int layers, int dirs, int bias)
{
    src->conv = f->conv;
    src->index = k;
    src->stacked = layers > 1;
    src->bias = bias;
    src->loc = f->loc;
    for (int d = 0; d < dirs; d++) {
        int p = 0;
        if (f->conv == CONV_KERAS)
            p = k * dirs + d;
        else if (f->conv == CONV_ONNX)
            p = k;
        src->prefix[d] = f->prefixes[p];
    }
}

static const Activation act_sigmoid = {ACT_SIGMOID, 0, 0};
static const Activation act_tanh = {ACT_TANH, 0, 0};
static const Activation act_identity = {ACT_IDENTITY, 0, 0};

/* lstm NAME { ... }: appends its layers (one per `layers`) to the model. */
static int lstm_block(Sema *S, const Node *blk, IrModel *m, int *input)
{
    Table t = {"an lstm", lstm_words, lstm_is_block, L_COUNT, {0}};
    int ok = table_scan(&t, blk->body);
    const Node *const *s = t.seen;
    LstmOpts o = {0};
    o.layers = 1;
    o.dirs = 1;
    o.bias = 1;
    o.has_gate[GATE_I] = o.has_gate[GATE_F] = o.has_gate[GATE_G] = o.has_gate[GATE_O] = 1;
    o.gate_act = act_sigmoid;
    o.cell_input_act = o.cell_output_act = act_tanh;
    const Node *n;
    if (given(n = s[L_HIDDEN], 1, 1, "hidden N", &ok))
        ok &= arg_int(&n->args[0], "hidden", 1, MAX_DIM, &o.hidden);
    if (given(n = s[L_LAYERS], 1, 1, "layers N", &ok))
        ok &= arg_int(&n->args[0], "layers", 1, 64, &o.layers);
    if (given(n = s[L_DIRECTION], 1, 1, "direction forward|backward|bidirectional", &ok)) {
        int k = arg_choice(&n->args[0], "direction", direction_words, COUNT_OF(direction_words));
        ok &= k >= 0;
        o.reverse = k == 1;
        o.dirs = k == 2 ? 2 : 1;
    }
    if (given(n = s[L_BLOCKS], 1, 1, "blocks N", &ok))
        ok &= arg_int(&n->args[0], "blocks", 1, MAX_DIM, &o.blocks);
    if (given(n = s[L_BLOCK_SIZE], 1, 1, "block_size S", &ok))
        ok &= arg_int(&n->args[0], "block_size", 1, MAX_DIM, &o.block_size);
    if ((n = s[L_GATES]))
        ok &= read_gates(n, &o);
    o.coupled = s[L_COUPLED] != NULL;
    o.peepholes = s[L_PEEPHOLES] != NULL;
    o.bias = s[L_NO_BIAS] == NULL;
    o.initial_state = s[L_INITIAL_STATE] != NULL;
    static const int flags[] = {L_COUPLED, L_PEEPHOLES, L_NO_BIAS, L_INITIAL_STATE};
    for (size_t i = 0; i < COUNT_OF(flags); i++)
        if (s[flags[i]])
            ok &= want_args(s[flags[i]], 0, 0, lstm_words[flags[i]]);
    if (given(n = s[L_GATE_ACT], 1, 1, "gate_activation ACTIVATION", &ok))
        ok &= arg_activation(&n->args[0], 0, &o.gate_act);
    if (given(n = s[L_CELL_INPUT], 1, 1, "cell_input ACTIVATION", &ok))
        ok &= arg_activation(&n->args[0], 0, &o.cell_input_act);
    if (given(n = s[L_CELL_OUTPUT], 1, 1, "cell_output ACTIVATION", &ok))
        ok &= arg_activation(&n->args[0], 0, &o.cell_output_act);
    if (given(n = s[L_FORGET_BIAS], 1, 1, "forget_bias VALUE", &ok))
        ok &= arg_num(&n->args[0], "forget_bias", 0, &o.forget_bias);
    if (given(n = s[L_CLIP], 2, 6, "clip gates|cell|projection BOUND ...", &ok)) {
        /* pairs: `clip cell 3 projection 2;` (TensorFlow Lite has both) */
        for (int i = 0; i < n->nargs; i += 2) {
            int k = arg_choice(&n->args[i], "what to clip", clip_words, COUNT_OF(clip_words));
            if (k < 0 || i + 1 == n->nargs) {
                if (k >= 0)
                    diag_error(&n->args[i].loc, "'clip %s' needs a bound: write 'clip %s BOUND;'",
                               clip_words[k], clip_words[k]);
                ok = 0;
                break;
            }
            if (o.clip[k] > 0) {
                diag_error(&n->args[i].loc, "'%s' is clipped twice", clip_words[k]);
                ok = 0;
            }
            ok &= arg_num(&n->args[i + 1], "the clip bound", 1, &o.clip[k]);
        }
    }
    if (given(n = s[L_PROJECTION], 1, 1, "projection P", &ok))
        ok &= arg_int(&n->args[0], "projection", 1, MAX_DIM, &o.proj);
    if ((n = s[L_FROM]))
        ok &= read_from(S->a, n, &o.from);
    if (o.clip[2] > 0 && !o.proj) {
        diag_error(&s[L_CLIP]->loc, "'clip projection' needs a projection: add 'projection P;'");
        ok = 0;
    }
    /* Missing statements, then options against each other, once each
     * statement is valid alone: after a typo or a missing ';' the statement
     * reported missing is usually the one just reported as wrong. */
    if (!ok || !check_lstm(&t, &o, blk))
        return 0;

    for (int k = 0; k < o.layers; k++) {
        IrLayer *L = &m->layers[m->nlayers++];
        L->kind = IR_LSTM;
        L->name = o.layers > 1 ? arena_printf(S->a, "%s.l%d", blk->name, k) : blk->name;
        L->loc = blk->loc;
        IrLstm *l = &L->lstm;
        l->input = *input;
        l->hidden = o.hidden;
        l->block_size = o.block_size;
        l->blocks = o.hidden / o.block_size;
        l->proj = o.proj;
        l->recurrent = o.proj ? o.proj : o.hidden;
        memcpy(l->has_gate, o.has_gate, sizeof l->has_gate);
        l->coupled = o.coupled;
        l->peepholes = o.peepholes;
        l->initial_state = o.initial_state;
        l->gate_act = o.gate_act;
        l->cell_input_act = o.cell_input_act;
        l->cell_output_act = o.cell_output_act;
        l->forget_bias = o.forget_bias;
        l->clip_gates = o.clip[0];
        l->clip_cell = o.clip[1];
        l->clip_proj = o.clip[2];
        l->dirs = o.dirs;
        l->dir[0].reverse = o.reverse;
        l->dir[1].reverse = 1;
        L->input = *input;
        L->output = o.dirs * l->recurrent;
        *input = L->output;

        set_source(&L->source, &o.from, k, o.layers, o.dirs, o.bias);
    }
    return 1;
}

/* The statement `word` of a scanned block, or NULL when not given. */
static const Node *stmt(const Table *t, const char *word)
{
    for (int k = 0; k < t->nwords; k++)
        if (strcmp(t->words[k], word) == 0)
            return t->seen[k];
    return NULL;
}

/* `reset after;` or `reset before;`: a GRU's formulation, which must be
 * written, since the frameworks differ (grammar/SPEC.md). */
static int read_reset(const Node *n, const Node *blk, int *after)
{
    if (!n) {
        diag_error(&blk->loc, "gru '%s' needs its formulation: add 'reset after;' (PyTorch, "
                   "Keras reset_after=True, ONNX linear_before_reset=1) or 'reset before;' "
                   "(Keras reset_after=False, ONNX's default)", blk->name);
        return 0;
    }
    if (!want_args(n, 1, 1, "reset after|before"))
        return 0;
    int k = arg_choice(&n->args[0], "reset", reset_words, COUNT_OF(reset_words));
    *after = k == 0;
    return k >= 0;
}

/* gru NAME { ... } and rnn NAME { ... }: appends their layers (one per
 * `layers`) to the model. One reader for both; the table says which
 * statements each kind takes. */
static int recurrent_block(Sema *S, const Node *blk, IrModel *m, int *input)
{
    int gru = strcmp(blk->word, "gru") == 0;
    Table t = gru ? (Table){"a gru", gru_words, gru_is_block, G_COUNT, {0}}
                  : (Table){"an rnn", rnn_words, rnn_is_block, R_COUNT, {0}};
    int ok = table_scan(&t, blk->body);
    int hidden = 0, layers = 1, dirs = 1, reverse = 0, reset_after = 0;
    Activation gate_act = act_sigmoid, cand_act = act_tanh;
    double clip = 0;
    From from = {0};
    const Node *n;
    if (given(n = stmt(&t, "hidden"), 1, 1, "hidden N", &ok))
        ok &= arg_int(&n->args[0], "hidden", 1, MAX_DIM, &hidden);
    if (given(n = stmt(&t, "layers"), 1, 1, "layers N", &ok))
        ok &= arg_int(&n->args[0], "layers", 1, 64, &layers);
    if (given(n = stmt(&t, "direction"), 1, 1, "direction forward|backward|bidirectional", &ok)) {
        int k = arg_choice(&n->args[0], "direction", direction_words, COUNT_OF(direction_words));
        ok &= k >= 0;
        reverse = k == 1;
        dirs = k == 2 ? 2 : 1;
    }
    if (given(n = stmt(&t, "gate_activation"), 1, 1, "gate_activation ACTIVATION", &ok))
        ok &= arg_activation(&n->args[0], 0, &gate_act);
    if (given(n = stmt(&t, "candidate_activation"), 1, 1, "candidate_activation ACTIVATION", &ok))
        ok &= arg_activation(&n->args[0], 0, &cand_act);
    if (given(n = stmt(&t, "activation"), 1, 1, "activation ACTIVATION", &ok))
        ok &= arg_activation(&n->args[0], 0, &cand_act);
    if (given(n = stmt(&t, "clip"), 1, 1, "clip BOUND", &ok))
        ok &= arg_num(&n->args[0], "the clip bound", 1, &clip);
    static const char *const flags[] = {"no_bias", "initial_state"};
    for (size_t i = 0; i < COUNT_OF(flags); i++)
        if ((n = stmt(&t, flags[i])))
            ok &= want_args(n, 0, 0, flags[i]);
    if ((n = stmt(&t, "from")))
        ok &= read_from(S->a, n, &from);
    /* Missing statements, then options against the convention, once each
     * statement is valid alone (see lstm_block). */
    if (!ok)
        return 0;
    const Node *reset = stmt(&t, "reset");
    if (gru)
        ok &= read_reset(reset, blk, &reset_after);
    if (!stmt(&t, "hidden")) {
        diag_error(&blk->loc, "%s '%s' needs a hidden size: add 'hidden N;'", blk->word, blk->name);
        ok = 0;
    }
    if (!stmt(&t, "from")) {
        diag_error(&blk->loc, "%s '%s' needs a weights source: add 'from pytorch \"prefix\";' "
                   "(or keras, onnx, native)", blk->word, blk->name);
        ok = 0;
    }
    if (!ok)
        return 0;
    if (gru && !reset_after && from.conv == CONV_PYTORCH) {
        diag_error(&reset->loc, "PyTorch's nn.GRU applies the reset gate after the recurrent "
                   "product (its bias_hh is inside it): write 'reset after;'");
        return 0;
    }
    if (!check_prefixes(&from, layers, dirs))
        return 0;

    for (int k = 0; k < layers; k++) {
        IrLayer *L = &m->layers[m->nlayers++];
        L->kind = gru ? IR_GRU : IR_RNN;
        L->name = layers > 1 ? arena_printf(S->a, "%s.l%d", blk->name, k) : blk->name;
        L->loc = blk->loc;
        IrGru *g = &L->gru;
        g->input = *input;
        g->hidden = hidden;
        g->reset_after = reset_after;
        g->initial_state = stmt(&t, "initial_state") != NULL;
        g->gate_act = gate_act;
        g->cand_act = cand_act;
        g->clip = clip;
        g->reset_loc = reset ? reset->loc : blk->loc;
        g->dirs = dirs;
        g->dir[0].reverse = reverse;
        g->dir[1].reverse = 1;
        L->input = *input;
        L->output = dirs * hidden;
        *input = L->output;
        set_source(&L->source, &from, k, layers, dirs, stmt(&t, "no_bias") == NULL);
    }
    return 1;
}

/* dense NAME { ... } */
static int dense_block(Arena *a, const Node *blk, IrModel *m, int *input)
{
    Table t = {"a dense", dense_words, dense_is_block, D_COUNT, {0}};
    int ok = table_scan(&t, blk->body);
    const Node *const *s = t.seen;
    IrLayer *L = &m->layers[m->nlayers];
    int units = 0, bias = 1;
    Activation act = act_identity;
    From from = {0};
    const Node *n;
    if (given(n = s[D_UNITS], 1, 1, "units N", &ok))
        ok &= arg_int(&n->args[0], "units", 1, MAX_DIM, &units);
    if (given(n = s[D_ACTIVATION], 1, 1, "activation ACTIVATION", &ok))
        ok &= arg_activation(&n->args[0], 1, &act);
    if ((n = s[D_NO_BIAS])) {
        ok &= want_args(n, 0, 0, "no_bias");
        bias = 0;
    }
    if ((n = s[D_FROM]) && (ok &= read_from(a, n, &from)) && from.nprefixes != 1) {
        diag_error(&from.loc, "a dense layer takes one tensor-name prefix, saw %d",
                   from.nprefixes);
        ok = 0;
    }
    /* Missing statements, once the given ones are valid (see lstm_block). */
    int given_ok = ok;
    if (given_ok && !s[D_UNITS]) {
        diag_error(&blk->loc, "dense '%s' needs a size: add 'units N;'", blk->name);
        ok = 0;
    }
    if (given_ok && !s[D_FROM]) {
        diag_error(&blk->loc, "dense '%s' needs a weights source: add 'from pytorch "
                   "\"prefix\";' (or keras, onnx, native)", blk->name);
        ok = 0;
    }
    if (!ok)
        return 0;
    m->nlayers++;
    L->kind = IR_DENSE;
    L->name = blk->name;
    L->loc = blk->loc;
    L->input = *input;
    L->output = units;
    L->dense.act = act;
    L->source.conv = from.conv;
    L->source.prefix[0] = from.prefixes[0];
    L->source.bias = bias;
    L->source.loc = from.loc;
    *input = units;
    return 1;
}

/* embedding NAME { vocabulary V; dim E; from CONVENTION "prefix"; }: the
 * model's first layer, turning each token id into a vector of E. */
static IrLayer *embedding_block(Arena *a, const Node *blk)
{
    Table t = {"an embedding", embed_words, embed_is_block, E_COUNT, {0}};
    int ok = table_scan(&t, blk->body);
    const Node *const *s = t.seen;
    int vocab = 0, dim = 0;
    From from = {0};
    const Node *n;
    if (given(n = s[E_VOCABULARY], 1, 1, "vocabulary V", &ok))
        ok &= arg_int(&n->args[0], "vocabulary", 1, 1 << 24, &vocab);
    if (given(n = s[E_DIM], 1, 1, "dim E", &ok))
        ok &= arg_int(&n->args[0], "dim", 1, MAX_DIM, &dim);
    if ((n = s[E_FROM]) && !read_from(a, n, &from)) {
        ok = 0;
    } else if (n && from.nprefixes != 1) {
        diag_error(&from.loc, "an embedding takes one tensor-name prefix, saw %d", from.nprefixes);
        ok = 0;
    }
    /* Missing statements, once the given ones are valid (see lstm_block). */
    static const struct { int word; const char *fix; } needs[] = {
        {E_VOCABULARY, "a vocabulary size: add 'vocabulary V;'"},
        {E_DIM, "a vector size: add 'dim E;'"},
        {E_FROM, "a weights source: add 'from pytorch \"prefix\";' (or keras, onnx, native)"},
    };
    int given_ok = ok;
    for (size_t k = 0; given_ok && k < COUNT_OF(needs); k++)
        if (!s[needs[k].word]) {
            diag_error(&blk->loc, "embedding '%s' needs %s", blk->name, needs[k].fix);
            ok = 0;
        }
    if (!ok)
        return NULL;
    IrLayer *L = arena_alloc(a, sizeof *L);
    L->kind = IR_EMBEDDING;
    L->name = blk->name;
    L->loc = blk->loc;
    L->input = vocab;
    L->output = dim;
    L->source.conv = from.conv;
    L->source.prefix[0] = from.prefixes[0];
    L->source.loc = from.loc;
    return L;
}

/* ---- the model ---- */

/* The folder of path, with its trailing slash ("" for a bare file name). */
static char *folder_of(Arena *a, const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? arena_strndup(a, path, (size_t)(slash - path + 1)) : arena_strdup(a, "");
}

/* The layers of the model's blocks, counting an lstm block's `layers N`
 * (when N is valid; checked later) and every other block once. Stops at
 * the block that takes the count past MAX_LAYERS and returns it in *over. */
static int count_layers(const Node *model, const Node **over)
{
    int n = 0;
    *over = NULL;
    for (const Node *b = model->body; b; b = b->next) {
        if (b->kind != NODE_BLOCK)
            continue;
        int layers = 1;
        if (strcmp(b->word, "lstm") == 0 || strcmp(b->word, "gru") == 0 ||
            strcmp(b->word, "rnn") == 0)
            for (const Node *st = b->body; st; st = st->next)
                if (strcmp(st->word, "layers") == 0 && st->nargs == 1 &&
                    st->args[0].kind == ARG_NUMBER && st->args[0].num >= 1 &&
                    st->args[0].num <= 64)
                    layers = (int)st->args[0].num;
        if (n + layers > MAX_LAYERS) {
            *over = b;
            return n + layers;
        }
        n += layers;
    }
    return n;
}

/* Layer names seen so far, for the duplicate check: a hash set, so a spec
 * of thousands of blocks is checked in linear time. */
typedef struct NameSet {
    const Node **slots;
    size_t cap;             /* a power of two, at least twice the blocks */
} NameSet;

static size_t name_hash(const char *s)
{
    size_t h = 5381;
    for (; *s; s++)
        h = h * 33 + (unsigned char)*s;
    return h;
}

/* The block already named like n, or NULL after adding n. */
static const Node *name_seen(NameSet *set, const Node *n)
{
    size_t i = name_hash(n->name) & (set->cap - 1);
    for (; set->slots[i]; i = (i + 1) & (set->cap - 1))
        if (strcmp(set->slots[i]->name, n->name) == 0)
            return set->slots[i];
    set->slots[i] = n;
    return NULL;
}

/* Whether the model block has an lstm block. */
static int has_recurrent(const Node *model)
{
    for (const Node *n = model->body; n; n = n->next)
        if (n->kind == NODE_BLOCK &&
            (strcmp(n->word, "lstm") == 0 || strcmp(n->word, "gru") == 0 || strcmp(n->word, "rnn") == 0))
            return 1;
    return 0;
}

static int check_model(Sema *S, const Node *model, IrModel *m, const char *weights_override)
{
    Table t = {"a model", model_words, model_is_block, M_COUNT, {0}};
    const Node *n;
    int ok = 1;
    if (!model->name) {
        diag_error(&model->loc, "the model needs a name: write 'model NAME { ... }'");
        ok = 0;
    }
    m->name = model->name ? model->name : "model";
    const Node *over;
    int nlayers = count_layers(model, &over);
    if (over) {
        diag_error(&over->loc, "this block takes model '%s' past %d layers (counting each "
                   "lstm block's 'layers'); lstmc supports at most %d", m->name, MAX_LAYERS,
                   MAX_LAYERS);
        return 0;
    }
    m->layers = arena_alloc(S->a, sizeof(IrLayer) * (size_t)(nlayers + 1));
    NameSet names = {NULL, 16};
    while (names.cap < 2 * (size_t)nlayers)
        names.cap *= 2;
    names.slots = arena_alloc(S->a, names.cap * sizeof *names.slots);
    int words_ok = 1;
    for (n = model->body; n; n = n->next)
        if (table_word(&t, n) < 0)
            words_ok = ok = 0;
    const Node *const *s = t.seen;
    int tokens = 0;   /* `input tokens;` */
    if (given(n = s[M_INPUT], 1, 1, "input N|tokens", &ok)) {
        tokens = n->args[0].kind == ARG_WORD && strcmp(n->args[0].text, "tokens") == 0;
        if (tokens)
            m->input = 1;
        else
            ok &= arg_int(&n->args[0], "input", 1, MAX_DIM, &m->input);
    } else if (!s[M_INPUT] && words_ok) {   /* not after a misspelt 'inptu' */
        diag_error(&model->loc, "model '%s' needs an input size: add 'input N;'", m->name);
        ok = 0;
    }
    if (given(n = s[M_OUTPUT], 1, 1, "output sequence|last|final|mean|max", &ok)) {
        int k = arg_choice(&n->args[0], "output", output_words, COUNT_OF(output_words));
        ok &= k >= 0;
        m->output_form = k > 0 ? (OutputForm)k : OUT_SEQUENCE;
        m->output_last = k > 0;
    }
    if (given(n = s[M_WEIGHTS], 1, 1, "weights \"FILE\"", &ok)) {
        m->weights_loc = n->loc;
        if (n->args[0].kind != ARG_STRING || !n->args[0].text[0]) {
            diag_error(&n->args[0].loc, "expected a file name in quotes, saw '%s'",
                       n->args[0].text);
            ok = 0;
        } else if (n->args[0].text[0] == '/') {
            m->weights_path = n->args[0].text;
        } else {
            m->weights_path = arena_printf(S->a, "%s%s", folder_of(S->a, S->src->path),
                                           n->args[0].text);
        }
    }
    if (given(n = s[M_WEIGHTS_TYPE], 1, 1, "weights_type f32|f16|bf16|int8", &ok)) {
        int k = arg_choice(&n->args[0], "weights_type", quant_type_names, WT_COUNT);
        ok &= k >= 0;
        m->weights_type = k >= 0 ? (WeightsType)k : WT_F32;
        m->weights_type_loc = n->loc;
    }
    if (given(n = s[M_ARITHMETIC], 1, 1, "arithmetic float|int16", &ok)) {
        int k = arg_choice(&n->args[0], "arithmetic", fixed_arith_names, ARITH_COUNT);
        ok &= k >= 0;
        m->arithmetic = k >= 0 ? (Arithmetic)k : ARITH_FLOAT;
        m->arithmetic_loc = n->loc;
    }
    if (given(n = s[M_PRODUCTS], 1, 1, "products f32|int8", &ok)) {
        static const char *const products[] = {"f32", "int8"};
        int k = arg_choice(&n->args[0], "products", products, 2);
        ok &= k >= 0;
        m->products_int8 = k == 1;
        m->products_loc = n->loc;
    }
    if (given(n = s[M_RANGES], 1, 1, "ranges \"FILE\"", &ok)) {
        if (n->args[0].kind != ARG_STRING || !n->args[0].text[0]) {
            diag_error(&n->args[0].loc, "expected a file name in quotes, saw '%s'", n->args[0].text);
            ok = 0;
        } else {
            m->ranges_path = n->args[0].text[0] == '/' ? n->args[0].text
                           : arena_printf(S->a, "%s%s", folder_of(S->a, S->src->path), n->args[0].text);
        }
    }
    if (weights_override) {
        m->weights_path = weights_override;
        m->weights_loc = (Loc){NULL, 0, 0, 0};   /* the spec's file is not the one read */
    }

    /* Layers in order, each consuming the previous one's output. */
    int width = m->input ? m->input : 1, nblocks = 0;
    const Node *embed = NULL;   /* the embedding block */
    for (n = model->body; n; n = n->next) {
        if (n->kind != NODE_BLOCK)
            continue;
        if (strcmp(n->word, "embedding") == 0) {
            if (n->name && name_seen(&names, n)) {
                diag_error(&n->name_loc, "a layer named '%s' already exists", n->name);
                ok = 0;
            }
            if (nblocks || embed) {
                diag_error(&n->loc, "an embedding reads token ids, so it can only be the model's first layer");
                ok = 0;
                continue;
            } else if (!n->name) {
                diag_error(&n->loc, "a %s block needs a name: write '%s NAME { ... }'", n->word, n->word);
                ok = 0;
            } else if ((m->embedding = embedding_block(S->a, n))) {
                width = m->embedding->output;
            } else {
                ok = 0;
            }
            embed = n;
            continue;
        }
        int is_lstm = strcmp(n->word, "lstm") == 0;
        int is_recurrent = strcmp(n->word, "gru") == 0 || strcmp(n->word, "rnn") == 0;
        if (!is_lstm && !is_recurrent && strcmp(n->word, "dense") != 0) {
            if (n->name)
                name_seen(&names, n);   /* its name is taken all the same */
            continue;   /* reported by table_word */
        }
        nblocks++;
        if (!n->name) {
            diag_error(&n->loc, "a %s block needs a name: write '%s NAME { ... }'", n->word,
                       n->word);
            ok = 0;
            continue;
        }
        const Node *prev = name_seen(&names, n);
        if (prev) {
            diag_error(&n->name_loc, "a layer named '%s' already exists", n->name);
            diag_note(&prev->name_loc, "'%s' first defined here", n->name);
            ok = 0;
        }
        ok &= is_lstm        ? lstm_block(S, n, m, &width)
            : is_recurrent ? recurrent_block(S, n, m, &width)
                           : dense_block(S->a, n, m, &width);
    }
    if (!nblocks && embed) {
        diag_error(&embed->loc, "embedding '%s' feeds no layer: add an 'lstm NAME { ... }' block after it",
                   embed->name ? embed->name : "");
        ok = 0;
    } else if (!nblocks) {
        diag_error(&model->loc, "model '%s' has no layers: add an 'lstm NAME { ... }' block",
                   m->name);
        ok = 0;
    }
    if (s[M_INPUT] && embed && !tokens && m->input) {
        diag_error(&s[M_INPUT]->args[0].loc, "model '%s' starts with embedding '%s', which reads token ids: "
                   "write 'input tokens;'", m->name, embed->name ? embed->name : "");
        ok = 0;
    } else if (tokens && !embed) {
        diag_error(&s[M_INPUT]->args[0].loc, "'input tokens;' reads token ids, which need an "
                   "'embedding NAME { ... }' block as the model's first layer");
        ok = 0;
    }
    m->output = width;
    if (m->output_form == OUT_FINAL && nblocks && !has_recurrent(model)) {
        diag_error(&s[M_OUTPUT]->args[0].loc, "output final is the final state of the last lstm, gru "
                   "or rnn layer, and model '%s' has none (use 'output last;')", m->name);
        ok = 0;
    }
    if (ok && !m->weights_path) {
        diag_error(&model->loc, "model '%s' names no weights file: add 'weights \"FILE\";' "
                   "or pass -w FILE", m->name);
        ok = 0;
    }
    return ok;
}

IrModel *sema_check(Arena *a, const Node *spec, const char *weights_override)
{
    const Node *model = NULL;
    int ok = 1;
    for (const Node *n = spec; n; n = n->next) {
        if (n->kind == NODE_BLOCK && strcmp(n->word, "model") == 0 && !model) {
            model = n;
            continue;
        }
        if (n->kind == NODE_BLOCK && strcmp(n->word, "model") == 0) {
            diag_error(&n->loc, "a spec holds one model; this is a second");
            diag_note(&model->loc, "the first model is here");
        } else {
            static const char *const top[] = {"model"};
            char hint[64];
            note_suggestion(n->word, top, 1, hint, sizeof hint);
            diag_error(&n->loc, "expected 'model NAME { ... }' at the top of a spec, saw '%s'%s",
                       n->word, hint);
        }
        ok = 0;
    }
    if (!model) {
        if (ok) {
            Loc at = {spec ? spec->loc.src : NULL, 1, 1, 0};
            diag_error(spec ? &at : NULL, "the spec has no model: write 'model NAME { ... }'");
        }
        return NULL;
    }
    Sema S = {a, model->loc.src};
    IrModel *m = arena_alloc(a, sizeof *m);
    m->spec_path = model->loc.src ? model->loc.src->path : "";
    ok &= check_model(&S, model, m, weights_override);
    return ok ? m : NULL;
}
