/*
 * emit_c.c - the C backend (see emit_c.h): prints a lowered model (lower.h)
 * as PREFIX.h (the API) and PREFIX.c (weights, one step function per
 * layer-direction, the model's entry points, and a copy of the runtime's
 * activations between marker comments, so the file stands alone).
 *
 * Everything here is printing. What to pack, name, unroll or buffer was
 * decided by lower.c; a function below looks at a LowCell and writes the C
 * for it, one comment per step of the cell, the way one would by hand.
 */
#include "emit_c.h"

#include <stdarg.h>
#include <stdint.h>
#include <string.h>

#include "lower.h"
#include "runtime_text.h"

/* ---- the emitter ---- */

typedef struct Emitter {
    FILE *f;
    int indent;              /* levels of four spaces */
} Emitter;

/* One line at the current indent. */
static void emit_line(Emitter *e, const char *fmt, ...) PRINTF_LIKE(2, 3);
static void emit_line(Emitter *e, const char *fmt, ...)
{
    va_list ap;
    for (int k = 0; k < e->indent; k++)
        fputs("    ", e->f);
    va_start(ap, fmt);
    vfprintf(e->f, fmt, ap);
    va_end(ap);
    fputc('\n', e->f);
}

static void emit_blank(Emitter *e)
{
    fputc('\n', e->f);
}

/* "fmt {" and one level in. */
static void emit_open(Emitter *e, const char *fmt, ...) PRINTF_LIKE(2, 3);
static void emit_open(Emitter *e, const char *fmt, ...)
{
    va_list ap;
    for (int k = 0; k < e->indent; k++)
        fputs("    ", e->f);
    va_start(ap, fmt);
    vfprintf(e->f, fmt, ap);
    va_end(ap);
    fputs(fmt[0] ? " {\n" : "{\n", e->f);
    e->indent++;
}

/* A function definition: the signature, then "{" on a line of its own. */
static void emit_function(Emitter *e, const char *fmt, ...) PRINTF_LIKE(2, 3);
static void emit_function(Emitter *e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfprintf(e->f, fmt, ap);
    va_end(ap);
    fputs("\n{\n", e->f);
    e->indent++;
}

/* One level out and "}" followed by tail (";" for a struct, "" otherwise). */
static void emit_close(Emitter *e, const char *tail)
{
    e->indent--;
    emit_line(e, "}%s", tail);
}

/* ---- small printers ---- */

/* A float literal that reads back as exactly v: %.9g round-trips every
 * float; ".0" is added where C needs it before the 'f' suffix. */
static const char *flit(char buf[32], float v)
{
    int n = snprintf(buf, 32, "%.9g", (double)v);
    if (!strpbrk(buf, ".e"))
        n += snprintf(buf + n, (size_t)(32 - n), ".0");
    snprintf(buf + n, (size_t)(32 - n), "f");
    return buf;
}

/* Text for inside a comment: a path or command line can contain the
 * comment's end. */
static const char *comment_safe(Arena *a, const char *s)
{
    if (!strstr(s, "*/"))
        return s;
    char *t = arena_strdup(a, s);
    for (char *p = strstr(t, "*/"); p; p = strstr(p + 1, "*/"))
        p[1] = '\\';
    return t;
}

/* The runtime call for activation act of expression arg, in a. Identity is
 * just the expression. */
static const char *act_call(Arena *a, LowAct act, const char *arg)
{
    char pa[32], pb[32];
    const char *fast = act.fast ? "_fast" : "";
    flit(pa, act.a);
    flit(pb, act.b);
    switch (act.kind) {
    case ACT_SIGMOID:          return arena_printf(a, "rt_sigmoidf%s(%s)", fast, arg);
    case ACT_TANH:             return arena_printf(a, "rt_tanhf%s(%s)", fast, arg);
    case ACT_HARD_SIGMOID:     return arena_printf(a, "rt_hard_sigmoidf(%s, %s, %s)", arg, pa, pb);
    case ACT_SCALED_SIGMOID:   return arena_printf(a, "rt_scaled_sigmoidf%s(%s, %s, %s)", fast, arg, pa, pb);
    case ACT_SCALED_TANH:      return arena_printf(a, "rt_scaled_tanhf%s(%s, %s, %s)", fast, arg, pa, pb);
    case ACT_RELU:             return arena_printf(a, "rt_reluf(%s)", arg);
    case ACT_LEAKY_RELU:       return arena_printf(a, "rt_leaky_reluf(%s, %s)", arg, pa);
    case ACT_THRESHOLDED_RELU: return arena_printf(a, "rt_thresholded_reluf(%s, %s)", arg, pa);
    case ACT_ELU:              return arena_printf(a, "rt_eluf(%s, %s)", arg, pa);
    case ACT_SOFTSIGN:         return arena_printf(a, "rt_softsignf(%s)", arg);
    case ACT_SOFTPLUS:         return arena_printf(a, "rt_softplusf(%s)", arg);
    case ACT_AFFINE:           return arena_printf(a, "rt_affinef(%s, %s, %s)", arg, pa, pb);
    case ACT_IDENTITY:
    case ACT_SOFTMAX:          /* a dense layer's softmax is a loop of its own */
    case ACT_COUNT:
        break;
    }
    return arg;
}

/* The activation's name as the spec writes it, with parameters. */
static const char *act_name(Arena *a, LowAct act)
{
    const char *name = ir_activation_name(act.kind);
    char pa[32], pb[32];
    snprintf(pa, sizeof pa, "%.9g", (double)act.a);
    snprintf(pb, sizeof pb, "%.9g", (double)act.b);
    switch (ir_activation_params(act.kind)) {
    case 1:  return arena_printf(a, "%s(%s)", name, pa);
    case 2:  return arena_printf(a, "%s(%s, %s)", name, pa, pb);
    default: return name;
    }
}

/* expr clipped to [-limit, limit], or expr when limit is 0. */
static const char *clipped(Arena *a, const char *expr, float limit)
{
    char lim[32];
    if (limit == 0.0f)
        return expr;
    return arena_printf(a, "clip(%s, %s)", expr, flit(lim, limit));
}

/* The float array of a weight array, as code reads it: a union's float
 * member when it is written as bit patterns. */
static const char *aref(Arena *a, const LowArray *arr)
{
    return arr->bits ? arena_printf(a, "%s.f", arr->name) : arr->name;
}

/* ---- banner ---- */

static void emit_banner(Emitter *e, Arena *a, const LowModel *lm, const EmitOptions *o,
                        const char *what)
{
    const IrModel *m = lm->ir;
    emit_line(e, "/*");
    emit_line(e, " * %s", what);
    emit_line(e, " * Generated by lstmc %s; do not edit.", LSTMC_VERSION);
    emit_line(e, " *   spec:        %s", comment_safe(a, m->spec_path ? m->spec_path : "(none)"));
    emit_line(e, " *   weights:     %s", comment_safe(a, m->weights_path ? m->weights_path : "(none)"));
    if (o->command_line)
        emit_line(e, " *   command:     %s", comment_safe(a, o->command_line));
    emit_line(e, " *   activations: %s", lm->fast_activations
                                            ? "fast (rational approximations of sigmoid and tanh)"
                                            : "exact (libm)");
    emit_line(e, " *");
    emit_line(e, " * model %s: %d inputs -> %d outputs %s", m->name, lm->input, lm->output,
              lm->output_last ? "(one row per sequence: the last step's)" : "(one row per step)");
    for (int n = 0; n < lm->nlayers; n++) {
        const LowLayer *L = &lm->layers[n];
        if (L->kind == IR_DENSE) {
            emit_line(e, " *   dense %-12s %5d -> %-5d %s", L->title, L->input, L->output,
                      act_name(a, L->dense.act));
            continue;
        }
        const LowCell *c = L->cell[0];
        const char *dir = L->ncells == 2 ? ", bidirectional" : c->reverse ? ", backward" : "";
        const char *blocks = c->block_size > 1
            ? arena_printf(a, ", %d blocks of %d", c->blocks, c->block_size) : "";
        const char *proj = c->proj ? arena_printf(a, ", projection %d", c->proj) : "";
        emit_line(e, " *   lstm  %-12s %5d -> %-5d hidden %d%s%s%s", L->title, L->input,
                  L->output, c->hidden, blocks, proj, dir);
    }
    emit_line(e, " *");
    emit_line(e, " * flash: %ld bytes of weights (static const)", lm->flash_bytes);
    if (lm->streaming)
        emit_line(e, " * RAM:   %ld bytes (%s_state: state and per-step scratch)", lm->state_bytes,
                  lm->name);
    else
        emit_line(e, " * RAM:   %ld bytes (%s_state) + %d bytes per step of a sequence (scratch)",
                  lm->state_bytes, lm->name, 4 * lm->nseq * lm->seq_width);
    emit_line(e, " */");
}

/* ---- the header ---- */

static void emit_api_doc(Emitter *e, const LowModel *lm)
{
    const char *N = lm->name, *M = lm->macro;
    emit_line(e, "/* Zeroes h and c of every layer: call it before each new sequence. */");
    emit_line(e, "void %s_reset(%s_state *s);", N, N);
    emit_blank(e);
    if (lm->streaming) {
        emit_line(e, "/* One timestep: reads x, updates *s, writes the model's output for this");
        emit_line(e, " * step to y (always, also with %s_OUTPUT_LAST). */", M);
        emit_line(e, "void %s_step(%s_state *s, const float x[%s_INPUT_SIZE], float y[%s_OUTPUT_SIZE]);",
                  N, N, M, M);
        emit_blank(e);
        emit_line(e, "/* steps >= 1 timesteps: x holds steps rows of %s_INPUT_SIZE floats.", M);
        if (lm->output_last) {
            emit_line(e, " * y receives one row of %s_OUTPUT_SIZE floats, the last step's output", M);
            emit_line(e, " * (the dense head runs for that step only). Continues from *s: call");
        } else {
            emit_line(e, " * y receives steps rows of %s_OUTPUT_SIZE floats. Continues from *s: call", M);
        }
        emit_line(e, " * %s_reset() first for a new sequence. */", N);
        emit_line(e, "void %s_run(%s_state *s, const float *x, size_t steps, float *y);", N, N);
    } else {
        emit_line(e, "/*");
        emit_line(e, " * There is no step function: a backward direction starts at the last step,");
        emit_line(e, " * so this model needs the whole sequence before it can output anything.");
        emit_line(e, " *");
        emit_line(e, " * Runs one sequence from zero state (it resets *s itself): x holds");
        emit_line(e, " * steps >= 1 rows of %s_INPUT_SIZE floats; y receives %s of", M,
                  lm->output_last ? "one row (the last step's output)" : "steps rows");
        emit_line(e, " * %s_OUTPUT_SIZE floats. scratch holds %s_SCRATCH_FLOATS(steps) floats", M, M);
        emit_line(e, " * (the layers' output rows); it may be NULL when that is 0.");
        emit_line(e, " */");
        emit_line(e, "void %s_run(%s_state *s, const float *x, size_t steps, float *y, float *scratch);",
                  N, N);
    }
}

static void emit_state_struct(Emitter *e, Arena *a, const LowModel *lm)
{
    emit_line(e, "/* Everything the model remembers between steps, and its per-step scratch.");
    emit_line(e, " * Owned by the caller (static, stack or heap); the model allocates nothing. */");
    emit_open(e, "typedef struct %s_state", lm->name);
    for (int k = 0; k < lm->ncells; k++) {
        const LowCell *c = &lm->cells[k];
        emit_line(e, "float %s[%d];%*s/* %s: hidden state h (the output) */", c->h_field,
                  c->recurrent, 2, "", c->title);
        emit_line(e, "float %s[%d];%*s/* %s: cell state c */", c->c_field, c->hidden, 2, "",
                  c->title);
    }
    if (lm->gates_floats)
        emit_line(e, "float gates[%d];  /* scratch: gate pre-activations of the layer being run */",
                  lm->gates_floats);
    if (lm->m_floats)
        emit_line(e, "float m[%d];  /* scratch: o * act(c), the input of a projection */", lm->m_floats);
    for (int k = 0; k < lm->ntmp; k++)
        emit_line(e, "float tmp%d[%d];  /* scratch: a dense layer's output */", k, lm->tmp_floats[k]);
    emit_close(e, arena_printf(a, " %s_state;", lm->name));
}

static void emit_header_lm(FILE *f, Arena *a, const LowModel *lm, const EmitOptions *o)
{
    Emitter em = {f, 0}, *e = &em;
    const char *M = lm->macro;
    emit_banner(e, a, lm, o, arena_printf(a, "The API of the LSTM model %s.", lm->ir->name));
    emit_line(e, "#ifndef %s_H", M);
    emit_line(e, "#define %s_H", M);
    emit_blank(e);
    emit_line(e, "#include <stddef.h>");
    emit_blank(e);
    emit_line(e, "#ifdef __cplusplus");
    emit_line(e, "extern \"C\" {");
    emit_line(e, "#endif");
    emit_blank(e);
    emit_line(e, "#define %s_INPUT_SIZE  %d  /* floats per input step */", M, lm->input);
    emit_line(e, "#define %s_OUTPUT_SIZE %d  /* floats per output row */", M, lm->output);
    emit_line(e, "#define %s_OUTPUT_LAST %d  /* 1: one output row per sequence, the last step's */",
              M, lm->output_last);
    emit_line(e, "#define %s_STREAMING   %d  /* 1: step by step; 0: needs the whole sequence */", M,
              lm->streaming);
    if (!lm->streaming)
        emit_line(e, "#define %s_SCRATCH_FLOATS(steps) ((size_t)(steps) * %d)  /* floats of scratch %s_run needs */",
                  M, lm->nseq * lm->seq_width, lm->name);
    emit_blank(e);
    emit_state_struct(e, a, lm);
    emit_blank(e);
    emit_api_doc(e, lm);
    emit_blank(e);
    emit_line(e, "#ifdef __cplusplus");
    emit_line(e, "}");
    emit_line(e, "#endif");
    emit_blank(e);
    emit_line(e, "#endif");
}

/* ---- weights ---- */

/* One value of an array: a float literal, or its bit pattern. */
static const char *value_text(char buf[32], const LowArray *arr, float v)
{
    if (!arr->bits)
        return flit(buf, v);
    uint32_t u;
    memcpy(&u, &v, sizeof u);
    snprintf(buf, 32, "0x%08lx", (unsigned long)u);
    return buf;
}

/* n values, eight to a line; with braces, as one row "{...},". */
static void emit_values(Emitter *e, const LowArray *arr, const float *v, int n, int braces)
{
    char lit[32];
    int one_line = braces && n <= 8;
    if (braces && !one_line) {
        emit_line(e, "{");
        e->indent++;
    }
    for (int k = 0; k < n; k += 8) {
        for (int q = 0; q < e->indent; q++)
            fputs("    ", e->f);
        if (one_line)
            fputc('{', e->f);
        for (int j = k; j < k + 8 && j < n; j++)
            fprintf(e->f, "%s%s%s", j > k ? " " : "", value_text(lit, arr, v[j]),
                    one_line && j == n - 1 ? "" : ",");
        fputs(one_line ? "},\n" : "\n", e->f);
    }
    if (braces && !one_line)
        emit_close(e, ",");
}

/* A static const array with its comment, one brace pair per row of a
 * matrix, a comment before each row group (gate). */
static void emit_array(Emitter *e, const LowArray *arr)
{
    char dims[64];
    if (!arr->data)
        return;
    if (arr->cols)
        snprintf(dims, sizeof dims, "[%d][%d]", arr->rows, arr->cols);
    else
        snprintf(dims, sizeof dims, "[%d]", arr->rows);
    emit_line(e, "/* %s */", arr->comment);
    if (arr->bits) {
        emit_line(e, "/* (as IEEE-754 bit patterns: compilers read integer constants much faster");
        emit_line(e, " * than float literals; the code reads the float member f) */");
        emit_line(e, "static const union { uint32_t bits%s; float f%s; } %s = {{", dims, dims, arr->name);
        e->indent++;
    } else {
        emit_open(e, "static const float %s%s =", arr->name, dims);
    }
    if (arr->cols) {
        for (int r = 0; r < arr->rows; r++) {
            for (int g = 0; g < arr->ngroups; g++)
                if (arr->group[g].first == r)
                    emit_line(e, "/* %s: rows %d..%d */", arr->group[g].label, r,
                              r + arr->group[g].count - 1);
            emit_values(e, arr, arr->data + (size_t)r * (size_t)arr->cols, arr->cols, 1);
        }
    } else if (arr->ngroups) {
        for (int g = 0; g < arr->ngroups; g++) {
            emit_line(e, "/* %s */", arr->group[g].label);
            emit_values(e, arr, arr->data + arr->group[g].first, arr->group[g].count, 0);
        }
    } else {
        emit_values(e, arr, arr->data, arr->rows, 0);
    }
    emit_close(e, arr->bits ? "};" : ";");
    emit_blank(e);
}

/* ---- one LSTM layer-direction ---- */

static void emit_cell_defines(Emitter *e, const LowCell *c)
{
    static const char *const gate_names[GATE_COUNT] = {"I", "F", "G", "O"};
    static const char *const gate_words[GATE_COUNT] = {"input gate", "forget gate", "cell input", "output gate"};
    const char *M = c->macro;
    emit_line(e, "/* ---- %s ---- */", c->title);
    emit_blank(e);
    emit_line(e, "#define %s_INPUT  %d  /* I: features in */", M, c->input);
    emit_line(e, "#define %s_HIDDEN %d  /* H: memory cells */", M, c->hidden);
    if (c->block_size > 1) {
        emit_line(e, "#define %s_BLOCKS %d  /* blocks of cells sharing their gates */", M, c->blocks);
        emit_line(e, "#define %s_BLOCK_SIZE %d  /* cells per block */", M, c->block_size);
    }
    if (c->proj)
        emit_line(e, "#define %s_PROJ   %d  /* P: h = w_proj m has P values */", M, c->proj);
    emit_line(e, "#define %s_K      %d  /* I + %s: columns of %s */", M, c->input + c->recurrent,
              c->proj ? "P" : "H", c->w_gates.name);
    emit_line(e, "/* first row of each gate in %s and %s */", c->w_gates.name, "gates[]");
    for (int g = 0; g < GATE_COUNT; g++) {
        if (c->gate_off[g] >= 0)
            emit_line(e, "#define %s_GATE_%s %d  /* %s */", M, gate_names[g], c->gate_off[g], gate_words[g]);
        else if (g == GATE_F && c->coupled)
            emit_line(e, "/* forget gate: coupled, f = 1 - i */");
        else
            emit_line(e, "/* no %s: it is the constant 1 */", gate_words[g]);
    }
    emit_line(e, "#define %s_GATE_ROWS %d", M, c->gate_rows);
    emit_blank(e);
}

/* "r", "r + 1", ...: row q of a pass. */
static const char *row_q(char buf[16], int q)
{
    if (q == 0)
        snprintf(buf, 16, "r");
    else
        snprintf(buf, 16, "r + %d", q);
    return buf;
}

/* gates = b_gates + w_gates [x, h], rows_per_pass rows per pass over [x, h]. */
static void emit_gate_matvec(Emitter *e, Arena *a, const LowCell *c)
{
    const char *M = c->macro;
    int n = c->rows_per_pass;
    char rq[16];
    if (n == 1) {
        emit_line(e, "/* gate pre-activations: gates = b_gates + w_gates [x, h] */");
        emit_open(e, "for (int r = 0; r < %s_GATE_ROWS; r++)", M);
    } else {
        emit_line(e, "/* gate pre-activations: gates = b_gates + w_gates [x, h],");
        emit_line(e, " * %d rows per pass (each x[k] and h[k] loaded once for %d rows) */", n, n);
        emit_open(e, "for (int r = 0; r < %s_GATE_ROWS; r += %d)", M, n);
    }
    for (int q = 0; q < n; q++)
        emit_line(e, "const float *w%d = %s[%s];", q, aref(a, &c->w_gates), row_q(rq, q));
    for (int q = 0; q < n; q++) {
        if (c->b_gates.data)
            emit_line(e, "float s%d = %s[%s];", q, aref(a, &c->b_gates), row_q(rq, q));
        else
            emit_line(e, "float s%d = 0.0f;", q);
    }
    emit_open(e, "for (int k = 0; k < %s_INPUT; k++)", M);
    for (int q = 0; q < n; q++)
        emit_line(e, "s%d += w%d[k] * x[k];", q, q);
    emit_close(e, "");
    emit_open(e, "for (int k = 0; k < %s_K - %s_INPUT; k++)", M, M);
    for (int q = 0; q < n; q++)
        emit_line(e, "s%d += w%d[%s_INPUT + k] * h[k];", q, q, M);
    emit_close(e, "");
    for (int q = 0; q < n; q++)
        emit_line(e, "gates[%s] = s%d;", row_q(rq, q), q);
    emit_close(e, "");
}

/* The pre-activation of gate g (I, F or O) for one cell (S = 1): the gate
 * row plus its peephole on c, clipped. */
static const char *cell_gate(Arena *a, const LowCell *c, Gate g, const char *G)
{
    const char *pre = arena_printf(a, "gates[%s_GATE_%s + j]", c->macro, G);
    if (c->peep[g].data)
        pre = arena_printf(a, "%s + %s[j] * c[j]", pre, aref(a, &c->peep[g]));
    return act_call(a, c->gate_act, clipped(a, pre, c->clip_gates));
}

/* The new c from f, i and g, as the gates that exist make it. */
static const char *cell_update(Arena *a, const LowCell *c, const char *g)
{
    int has_f = c->has_gate[GATE_F] || c->coupled, has_i = c->has_gate[GATE_I];
    const char *sum = arena_printf(a, "%s + %s%s", has_f ? "f * c[j]" : "c[j]",
                                   has_i ? "i * " : "", g);
    return clipped(a, sum, c->clip_cell);
}

static const char *cell_update_comment(const LowCell *c)
{
    int has_f = c->has_gate[GATE_F] || c->coupled, has_i = c->has_gate[GATE_I];
    if (has_f && has_i)
        return "c = f*c + i*g";
    if (has_f)
        return "c = f*c + g (no input gate)";
    if (has_i)
        return "c = c + i*g (no forget gate: the constant error carousel)";
    return "c = c + g (no input or forget gate)";
}

/* The cell update loop for blocks of one cell: everything per cell j. */
static void emit_cells(Emitter *e, Arena *a, const LowCell *c)
{
    const char *M = c->macro;
    const char *out = c->proj ? "m" : "h";
    emit_open(e, "for (int j = 0; j < %s_HIDDEN; j++)", M);
    if (c->has_gate[GATE_I]) {
        emit_line(e, "/* input gate%s */", c->peep[GATE_I].data ? " (peephole: the old c)" : "");
        emit_line(e, "const float i = %s;", cell_gate(a, c, GATE_I, "I"));
    }
    if (c->coupled) {
        emit_line(e, "/* forget gate: coupled to the input gate */");
        emit_line(e, "const float f = 1.0f - i;");
    } else if (c->has_gate[GATE_F]) {
        emit_line(e, "/* forget gate%s */", c->peep[GATE_F].data ? " (peephole: the old c)" : "");
        emit_line(e, "const float f = %s;", cell_gate(a, c, GATE_F, "F"));
    }
    emit_line(e, "/* cell input */");
    emit_line(e, "const float g = %s;",
              act_call(a, c->cell_input_act, clipped(a, arena_printf(a, "gates[%s_GATE_G + j]", M), c->clip_gates)));
    emit_line(e, "/* cell state: %s%s */", cell_update_comment(c), c->clip_cell != 0 ? ", clipped" : "");
    emit_line(e, "c[j] = %s;", cell_update(a, c, "g"));
    const char *cact = act_call(a, c->cell_output_act, "c[j]");
    if (c->has_gate[GATE_O]) {
        emit_line(e, "/* output gate%s */", c->peep[GATE_O].data ? " (peephole: the new c)" : "");
        emit_line(e, "const float o = %s;", cell_gate(a, c, GATE_O, "O"));
        emit_line(e, "/* %s: o * %s(c) */", c->proj ? "projection input" : "hidden state",
                  act_name(a, c->cell_output_act));
        emit_line(e, "%s[j] = o * %s;", out, cact);
    } else {
        emit_line(e, "/* %s: %s(c) (no output gate) */", c->proj ? "projection input" : "hidden state",
                  act_name(a, c->cell_output_act));
        emit_line(e, "%s[j] = %s;", out, cact);
    }
    emit_close(e, "");
}

/* A block's gate g (I, F or O): its row plus the sum of its cells'
 * peepholes, into local `name`, then the activated value into `out`. */
static void emit_block_gate(Emitter *e, Arena *a, const LowCell *c, Gate g, const char *G,
                            const char *out, const char *what)
{
    const char *M = c->macro;
    if (c->peep[g].data) {
        emit_line(e, "/* %s, shared by the block's cells; peepholes: the sum over its cells of p * %s */",
                  what, g == GATE_O ? "the new c" : "the old c");
        emit_line(e, "float a%s = gates[%s_GATE_%s + b];", out, M, G);
        emit_line(e, "for (int j = j0; j < j0 + %s_BLOCK_SIZE; j++)", M);
        emit_line(e, "    a%s += %s[j] * c[j];", out, aref(a, &c->peep[g]));
        emit_line(e, "const float %s = %s;", out,
                  act_call(a, c->gate_act, clipped(a, arena_printf(a, "a%s", out), c->clip_gates)));
    } else {
        emit_line(e, "/* %s, shared by the block's cells */", what);
        emit_line(e, "const float %s = %s;", out,
                  act_call(a, c->gate_act,
                           clipped(a, arena_printf(a, "gates[%s_GATE_%s + b]", M, G), c->clip_gates)));
    }
}

/* The cell update loop for blocks of S > 1 cells: each gate once per block. */
static void emit_blocks(Emitter *e, Arena *a, const LowCell *c)
{
    const char *M = c->macro;
    const char *out = c->proj ? "m" : "h";
    emit_open(e, "for (int b = 0; b < %s_BLOCKS; b++)", M);
    emit_line(e, "const int j0 = b * %s_BLOCK_SIZE;  /* the block's first cell */", M);
    if (c->has_gate[GATE_I])
        emit_block_gate(e, a, c, GATE_I, "I", "i", "input gate");
    if (c->coupled) {
        emit_line(e, "/* forget gate: coupled to the input gate */");
        emit_line(e, "const float f = 1.0f - i;");
    } else if (c->has_gate[GATE_F]) {
        emit_block_gate(e, a, c, GATE_F, "F", "f", "forget gate");
    }
    emit_line(e, "/* cell state of each cell: %s, g = %s(cell input)%s */", cell_update_comment(c),
              act_name(a, c->cell_input_act), c->clip_cell != 0 ? ", clipped" : "");
    emit_open(e, "for (int j = j0; j < j0 + %s_BLOCK_SIZE; j++)", M);
    emit_line(e, "const float g = %s;",
              act_call(a, c->cell_input_act, clipped(a, arena_printf(a, "gates[%s_GATE_G + j]", M), c->clip_gates)));
    emit_line(e, "c[j] = %s;", cell_update(a, c, "g"));
    emit_close(e, "");
    const char *cact = act_call(a, c->cell_output_act, "c[j]");
    if (c->has_gate[GATE_O]) {
        emit_block_gate(e, a, c, GATE_O, "O", "o", "output gate");
        emit_line(e, "/* %s of each cell: o * %s(c) */", c->proj ? "projection input" : "hidden state",
                  act_name(a, c->cell_output_act));
        emit_line(e, "for (int j = j0; j < j0 + %s_BLOCK_SIZE; j++)", M);
        emit_line(e, "    %s[j] = o * %s;", out, cact);
    } else {
        emit_line(e, "/* %s of each cell: %s(c) (no output gate) */", c->proj ? "projection input" : "hidden state",
                  act_name(a, c->cell_output_act));
        emit_line(e, "for (int j = j0; j < j0 + %s_BLOCK_SIZE; j++)", M);
        emit_line(e, "    %s[j] = %s;", out, cact);
    }
    emit_close(e, "");
}

/* h = w_proj m, clipped. */
static void emit_projection(Emitter *e, Arena *a, const LowCell *c)
{
    const char *M = c->macro;
    emit_line(e, "/* projection: h = w_proj m%s */", c->clip_proj != 0 ? ", clipped" : "");
    emit_open(e, "for (int p = 0; p < %s_PROJ; p++)", M);
    emit_line(e, "const float *w = %s[p];", aref(a, &c->w_proj));
    emit_line(e, "float sum = 0.0f;");
    emit_line(e, "for (int j = 0; j < %s_HIDDEN; j++)", M);
    emit_line(e, "    sum += w[j] * m[j];");
    emit_line(e, "h[p] = %s;", clipped(a, "sum", c->clip_proj));
    emit_close(e, "");
}

/* The arrays, defines and step function of one layer-direction. */
static void emit_cell(Emitter *e, Arena *a, const LowCell *c)
{
    const char *M = c->macro;
    emit_cell_defines(e, c);
    emit_array(e, &c->w_gates);
    emit_array(e, &c->b_gates);
    for (int g = 0; g < GATE_COUNT; g++)
        emit_array(e, &c->peep[g]);
    emit_array(e, &c->w_proj);

    emit_line(e, "/* One step of %s: x and the previous h, c -> the new h, c.", c->title);
    emit_line(e, " * gates%s scratch. */", c->proj ? " and m are" : " is");
    emit_line(e, "static void %s_step(const float x[%s_INPUT], float h[%s_%s], float c[%s_HIDDEN],",
              c->id, M, M, c->proj ? "PROJ" : "HIDDEN", M);
    if (c->proj)
        emit_function(e, "    float gates[%s_GATE_ROWS], float m[%s_HIDDEN])", M, M);
    else
        emit_function(e, "    float gates[%s_GATE_ROWS])", M);
    emit_gate_matvec(e, a, c);
    emit_blank(e);
    if (c->block_size > 1)
        emit_blocks(e, a, c);
    else
        emit_cells(e, a, c);
    if (c->proj) {
        emit_blank(e);
        emit_projection(e, a, c);
    }
    emit_close(e, "");
    emit_blank(e);
}

/* ---- a dense layer ---- */

static void emit_dense(Emitter *e, Arena *a, const LowDense *d)
{
    const char *M = d->macro;
    emit_line(e, "/* ---- %s ---- */", d->title);
    emit_blank(e);
    emit_line(e, "#define %s_INPUT %d", M, d->input);
    emit_line(e, "#define %s_UNITS %d", M, d->units);
    emit_blank(e);
    emit_array(e, &d->w);
    emit_array(e, &d->b);
    int softmax = d->act.kind == ACT_SOFTMAX;
    emit_line(e, "/* %s: y = %s(w x%s) */", d->title, act_name(a, d->act), d->b.data ? " + b" : "");
    emit_function(e, "static void %s_forward(const float x[%s_INPUT], float y[%s_UNITS])", d->id, M, M);
    emit_open(e, "for (int u = 0; u < %s_UNITS; u++)", M);
    emit_line(e, "const float *w = %s[u];", aref(a, &d->w));
    emit_line(e, "float sum = %s;", d->b.data ? arena_printf(a, "%s[u]", aref(a, &d->b)) : "0.0f");
    emit_line(e, "for (int k = 0; k < %s_INPUT; k++)", M);
    emit_line(e, "    sum += w[k] * x[k];");
    emit_line(e, "y[u] = %s;", softmax ? "sum" : act_call(a, d->act, "sum"));
    emit_close(e, "");
    if (softmax)
        emit_line(e, "rt_softmaxf(y, %s_UNITS);", M);
    emit_close(e, "");
    emit_blank(e);
}

/* ---- the model's functions ---- */

/* Where a buffer is, as a C expression. row: NULL for a vector, else the
 * row index expression ("t", "steps - 1"); col: the first column. */
static const char *buf_expr(Arena *a, const LowModel *lm, LowBuf b, const char *row, int width,
                            int col)
{
    const char *base;
    switch (b.kind) {
    case BUF_X:   base = "x"; break;
    case BUF_Y:   base = "y"; break;
    case BUF_H:   return arena_printf(a, "s->%s", lm->cells[b.index].h_field);
    case BUF_TMP: return arena_printf(a, "s->tmp%d", b.index);
    case BUF_SEQ: base = b.index ? "seq1" : "seq0"; break;
    default:      base = "?"; break;
    }
    if (!row)
        return base;
    const char *at = strcmp(row, "t") == 0 ? "t" : arena_printf(a, "(%s)", row);
    if (col)
        return arena_printf(a, "%s + %s * %d + %d", base, at, width, col);
    return arena_printf(a, "%s + %s * %d", base, at, width);
}

/* The call that steps a cell on input expression in. */
static const char *cell_call(Arena *a, const LowCell *c, const char *in)
{
    return arena_printf(a, "%s_step(%s, s->%s, s->%s, s->gates%s)", c->id, in, c->h_field, c->c_field,
                        c->proj ? ", s->m" : "");
}

/* One op of a streaming step; row is NULL inside _step, or the row of x/y
 * for an output-last _run. */
static void emit_step_op(Emitter *e, Arena *a, const LowModel *lm, const LowOp *op, const char *row)
{
    const LowLayer *L = &lm->layers[op->layer];
    const char *in = buf_expr(a, lm, op->in, op->in.kind == BUF_X ? row : NULL, op->in_width, 0);
    const char *out = buf_expr(a, lm, op->out, NULL, op->out_width, 0);
    switch (op->kind) {
    case OP_LSTM_STEP:
        emit_line(e, "%s;  /* %s */", cell_call(a, &lm->cells[op->cell], in), lm->cells[op->cell].title);
        break;
    case OP_DENSE_STEP:
        emit_line(e, "%s_forward(%s, %s);  /* %s */", L->dense.id, in, out, L->dense.title);
        break;
    case OP_COPY_STEP:
        emit_line(e, "memcpy(%s, %s, sizeof(float) * %d);  /* the output: the last layer's h */", out, in,
                  op->n);
        break;
    default:
        break;
    }
}

static void emit_streaming_api(Emitter *e, Arena *a, const LowModel *lm)
{
    const char *N = lm->name, *M = lm->macro;
    emit_function(e, "void %s_step(%s_state *s, const float x[%s_INPUT_SIZE], float y[%s_OUTPUT_SIZE])",
                  N, N, M, M);
    for (int k = 0; k < lm->nops; k++)
        emit_step_op(e, a, lm, &lm->ops[k], NULL);
    emit_close(e, "");
    emit_blank(e);

    emit_function(e, "void %s_run(%s_state *s, const float *x, size_t steps, float *y)", N, N);
    if (!lm->output_last) {
        emit_line(e, "for (size_t t = 0; t < steps; t++)");
        emit_line(e, "    %s_step(s, x + t * %s_INPUT_SIZE, y + t * %s_OUTPUT_SIZE);", N, M, M);
        emit_close(e, "");
        emit_blank(e);
        return;
    }
    emit_line(e, "if (steps == 0)");
    emit_line(e, "    return;");
    int body = 0;
    for (int k = 0; k < lm->nops; k++)
        body += !lm->ops[k].head;
    if (body) {
        emit_line(e, "/* every step: the layers before the output */");
        emit_open(e, "for (size_t t = 0; t < steps; t++)");
        for (int k = 0; k < lm->nops; k++)
            if (!lm->ops[k].head)
                emit_step_op(e, a, lm, &lm->ops[k], "t");
        emit_close(e, "");
    }
    emit_line(e, "/* the last step only: the output */");
    for (int k = 0; k < lm->nops; k++)
        if (lm->ops[k].head)
            emit_step_op(e, a, lm, &lm->ops[k], "steps - 1");
    emit_close(e, "");
    emit_blank(e);
}

static void emit_sequence_op(Emitter *e, Arena *a, const LowModel *lm, const LowOp *op)
{
    const LowLayer *L = &lm->layers[op->layer];
    switch (op->kind) {
    case OP_LSTM_SEQ: {
        const LowCell *c = &lm->cells[op->cell];
        emit_line(e, "/* %s */", c->title);
        emit_open(e, "for (size_t n = 0; n < steps; n++)");
        emit_line(e, "const size_t t = %s;", c->reverse ? "steps - 1 - n" : "n");
        emit_line(e, "%s;", cell_call(a, c, buf_expr(a, lm, op->in, "t", op->in_width, 0)));
        emit_line(e, "memcpy(%s, s->%s, sizeof s->%s);", buf_expr(a, lm, op->out, "t", op->out_width, op->out_col),
                  c->h_field, c->h_field);
        emit_close(e, "");
        break;
    }
    case OP_DENSE_SEQ:
        emit_line(e, "/* %s */", L->dense.title);
        emit_line(e, "for (size_t t = 0; t < steps; t++)");
        emit_line(e, "    %s_forward(%s, %s);", L->dense.id, buf_expr(a, lm, op->in, "t", op->in_width, 0),
                  buf_expr(a, lm, op->out, "t", op->out_width, 0));
        break;
    case OP_DENSE_LAST:
        emit_line(e, "%s_forward(%s, %s);  /* %s, the last step only */", L->dense.id,
                  buf_expr(a, lm, op->in, "steps - 1", op->in_width, 0),
                  buf_expr(a, lm, op->out, NULL, op->out_width, 0), L->dense.title);
        break;
    case OP_DENSE_STEP:
        emit_line(e, "%s_forward(%s, %s);  /* %s */", L->dense.id, buf_expr(a, lm, op->in, NULL, op->in_width, 0),
                  buf_expr(a, lm, op->out, NULL, op->out_width, 0), L->dense.title);
        break;
    case OP_COPY_LAST:
        emit_line(e, "/* the output: the last step's row */");
        emit_line(e, "memcpy(y, %s, sizeof(float) * %d);", buf_expr(a, lm, op->in, "steps - 1", op->in_width, 0),
                  op->n);
        break;
    default:
        break;
    }
}

static void emit_sequence_api(Emitter *e, Arena *a, const LowModel *lm)
{
    const char *N = lm->name;
    emit_function(e, "void %s_run(%s_state *s, const float *x, size_t steps, float *y, float *scratch)", N, N);
    if (lm->nseq >= 1)
        emit_line(e, "float *seq0 = scratch;  /* a layer's output rows, %d floats each */", lm->seq_width);
    if (lm->nseq >= 2)
        emit_line(e, "float *seq1 = scratch + steps * %d;  /* the next layer's */", lm->seq_width);
    if (lm->nseq == 0)
        emit_line(e, "(void)scratch;  /* unused: the only layer writes y */");
    emit_line(e, "if (steps == 0)");
    emit_line(e, "    return;");
    emit_line(e, "%s_reset(s);", N);
    for (int k = 0; k < lm->nops; k++)
        emit_sequence_op(e, a, lm, &lm->ops[k]);
    emit_close(e, "");
    emit_blank(e);
}

static void emit_source_lm(FILE *f, Arena *a, const LowModel *lm, const EmitOptions *o)
{
    Emitter em = {f, 0}, *e = &em;
    int clip = 0;
    for (int k = 0; k < lm->ncells; k++)
        clip |= lm->cells[k].clip_gates != 0 || lm->cells[k].clip_cell != 0 || lm->cells[k].clip_proj != 0;

    emit_banner(e, a, lm, o, arena_printf(a, "The LSTM model %s, as specialized C99: the weights are constants, "
                                          "every size is fixed.", lm->ir->name));
    emit_line(e, "#include \"%s\"", o->header_include);
    emit_blank(e);
    if (lm->uses_bits)
        emit_line(e, "#include <stdint.h>");
    emit_line(e, "#include <string.h>");
    emit_blank(e);
    emit_line(e, "/* ---- begin runtime/lstmc_act.h: activations (copied by lstmc) ---- */");
    emit_line(e, "/* A model uses a few of these; clang would warn about the others. */");
    emit_line(e, "#if defined(__GNUC__)");
    emit_line(e, "#pragma GCC diagnostic push");
    emit_line(e, "#pragma GCC diagnostic ignored \"-Wunused-function\"");
    emit_line(e, "#endif");
    fputs(rt_text_act_h, f);
    emit_line(e, "#if defined(__GNUC__)");
    emit_line(e, "#pragma GCC diagnostic pop");
    emit_line(e, "#endif");
    emit_line(e, "/* ---- end runtime/lstmc_act.h ---- */");
    emit_blank(e);
    if (clip) {
        emit_line(e, "/* v clamped to [-limit, limit] */");
        emit_function(e, "static float clip(float v, float limit)");
        emit_line(e, "return v > limit ? limit : v < -limit ? -limit : v;");
        emit_close(e, "");
        emit_blank(e);
    }
    for (int n = 0; n < lm->nlayers; n++) {
        const LowLayer *L = &lm->layers[n];
        if (L->kind == IR_DENSE)
            emit_dense(e, a, &L->dense);
        else
            for (int d = 0; d < L->ncells; d++)
                emit_cell(e, a, L->cell[d]);
    }

    emit_line(e, "/* ---- the model ---- */");
    emit_blank(e);
    emit_function(e, "void %s_reset(%s_state *s)", lm->name, lm->name);
    emit_line(e, "memset(s, 0, sizeof *s);");
    emit_close(e, "");
    emit_blank(e);
    if (lm->streaming)
        emit_streaming_api(e, a, lm);
    else
        emit_sequence_api(e, a, lm);
}

/* ---- the interface ---- */

static LowModel *lower(Arena *a, const IrModel *m, const EmitOptions *o)
{
    LowerOptions lo = {o->name, o->fast_activations};
    return lower_model(a, m, &lo);
}

void emitc_source(FILE *f, const IrModel *m, const EmitOptions *o)
{
    Arena a = {0};
    emit_source_lm(f, &a, lower(&a, m, o), o);
    arena_free(&a);
}

void emitc_header(FILE *f, const IrModel *m, const EmitOptions *o)
{
    Arena a = {0};
    emit_header_lm(f, &a, lower(&a, m, o), o);
    arena_free(&a);
}

int emitc_write_files(const IrModel *m, const EmitOptions *o, const char *prefix)
{
    Arena a = {0};
    LowModel *lm = lower(&a, m, o);
    const char *cpath = arena_printf(&a, "%s.c", prefix), *hpath = arena_printf(&a, "%s.h", prefix);
    OutFile oc, oh;
    int status = -1;
    if (outfile_open(&oh, hpath) == 0) {
        if (outfile_open(&oc, cpath) == 0) {
            emit_header_lm(oh.f, &a, lm, o);
            emit_source_lm(oc.f, &a, lm, o);
            OutFile *pair[] = {&oc, &oh};
            status = outfile_commit_all(pair, 2);
        } else {
            outfile_discard(&oh);
        }
    }
    arena_free(&a);
    return status;
}

const char *emitc_identifier(Arena *a, const char *name)
{
    return lower_identifier(a, name);
}
