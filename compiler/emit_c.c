/*
 * emit_c.c - the C backend (see emit_c.h): prints a lowered model (lower.h)
 * as PREFIX.h (the API) and PREFIX.c (weights, one step function per
 * layer-direction, the model's entry points, and a copy of the pieces of
 * the runtime the lowering says the model needs, between marker comments,
 * so the file stands alone).
 *
 * Everything here is printing. What to pack, name, unroll or buffer was
 * decided by lower.c; a function below looks at a LowCell and writes the C
 * for it, one comment per step of the cell, the way one would by hand.
 */
#include "emit_c.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <string.h>

#include "lower.h"
#include "runtime_text.h"

/* ---- the emitter ---- */

/*
 * The runtime's names (rt_sigmoidf_fast, RT_VL, its include guard) are
 * written with the model's prefix, in the copied runtime and in the code
 * that uses it alike (NAME_rt_..., NAME_RT_...), so that two models share
 * one translation unit.
 */
typedef struct Emitter {
    FILE *f;
    int indent;              /* levels of four spaces */
    const char *name;        /* the model's prefix, and its upper-case form */
    const char *macro;
} Emitter;

/* s, with every identifier of the runtime given the model's prefix. */
static void put_renamed(Emitter *e, const char *s, size_t n)
{
    const char *end = s + n;
    while (s < end) {
        if (isalpha((unsigned char)*s) || *s == '_') {
            const char *t = s;
            while (t < end && (isalnum((unsigned char)*t) || *t == '_'))
                t++;
            if (t - s > 3 && strncmp(s, "rt_", 3) == 0)
                fprintf(e->f, "%s_", e->name);
            else if ((t - s > 3 && strncmp(s, "RT_", 3) == 0) ||
                     (t - s == 11 && strncmp(s, "LSTMC_ACT_H", 11) == 0))
                fprintf(e->f, "%s_", e->macro);
            fwrite(s, 1, (size_t)(t - s), e->f);
            s = t;
        } else {
            fputc(*s++, e->f);
        }
    }
}

static void emit_vtext(Emitter *e, const char *fmt, va_list ap)
{
    va_list again;
    va_copy(again, ap);
    int n = vsnprintf(NULL, 0, fmt, again);
    va_end(again);
    char *buf = mem_alloc((size_t)n + 1);
    vsnprintf(buf, (size_t)n + 1, fmt, ap);
    put_renamed(e, buf, (size_t)n);
    mem_free(buf);
}

/* One line at the current indent. */
static void emit_line(Emitter *e, const char *fmt, ...) PRINTF_LIKE(2, 3);
static void emit_line(Emitter *e, const char *fmt, ...)
{
    va_list ap;
    for (int k = 0; k < e->indent; k++)
        fputs("    ", e->f);
    va_start(ap, fmt);
    emit_vtext(e, fmt, ap);
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
    emit_vtext(e, fmt, ap);
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
    emit_vtext(e, fmt, ap);
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

/* The runtime call for activation act of expression arg, in a: the
 * function lower.c names, with the activation's parameters. Identity is
 * just the expression; a dense layer's softmax is a call of its own. */
static const char *act_call(Arena *a, LowAct act, const char *arg)
{
    char pa[32], pb[32];
    const char *f = lower_act_function(act);
    if (!f)
        return arg;
    flit(pa, act.a);
    flit(pb, act.b);
    switch (ir_activation_params(act.kind)) {
    case 0:  return arena_printf(a, "%s(%s)", f, arg);
    case 1:  return arena_printf(a, "%s(%s, %s)", f, arg, pa);
    default: return arena_printf(a, "%s(%s, %s, %s)", f, arg, pa, pb);
    }
}

/* The activation's name as the spec writes it, with parameters. */
static const char *act_name(Arena *a, LowAct act)
{
    Activation spec = {act.kind, (double)act.a, (double)act.b};
    return ir_activation_text(a, spec);
}

/* expr clipped to [-limit, limit], or expr when limit is 0. */
static const char *clipped(Arena *a, const char *expr, float limit)
{
    char lim[32];
    if (limit == 0.0f)
        return expr;
    return arena_printf(a, "rt_clip(%s, %s)", expr, flit(lim, limit));
}

/*
 * Arrays of at least BYTES_MIN floats are written twice: as the bytes of
 * their floats (little-endian IEEE-754, in string literals, in a union with
 * the float array) and as float literals, and the preprocessor picks one.
 * The values are the same, but a C compiler reads one string literal per
 * 2 KB far faster than one number token per float. Measured on 3.7M
 * weights (the I=256, H=512, 2-layer model), `gcc -O2 -c` of the weights
 * alone: 12.1 s as uint32 hex constants (faster than %.9g literals
 * already), 1.7 s as strings; clang 0.6 s. Of the whole model's .c: 1.6 s
 * with the strings alone, 2.7 s with the literals beside them (skipped),
 * 14.4 s with the literals taken (g++ 13.3 s). The bytes are right only on a
 * little-endian target and the union is C, not C++: so the bytes are taken
 * where the compiler says both (gcc, clang and the compilers built on
 * them), the literals everywhere else (C++, big-endian targets, compilers
 * that do not say, or NAME_WEIGHTS_AS_FLOATS defined). Small arrays have
 * the literals only.
 */
enum { BYTES_MIN = 1 << 16 };

static int as_bytes(const LowArray *arr)
{
    return arr->data && arr->type == WT_F32 && lower_array_floats(arr) >= BYTES_MIN;
}

/* Whether any weight array of the model is written as bytes. */
static int uses_bytes(const LowModel *lm)
{
    for (int n = 0; n < lm->nlayers; n++)
        if (lm->layers[n].kind == IR_DENSE && (as_bytes(&lm->layers[n].dense.w) || as_bytes(&lm->layers[n].dense.b)))
            return 1;
    for (int k = 0; k < lm->ncells; k++) {
        const LowCell *c = &lm->cells[k];
        const LowArray *arrs[] = {&c->w_x, &c->w_h, &c->b_tiled, &c->w_proj, &c->h0, &c->c0, &c->peep[GATE_I],
                                  &c->peep[GATE_F], &c->peep[GATE_O]};
        for (size_t q = 0; q < COUNT_OF(arrs); q++)
            if (as_bytes(arrs[q]))
                return 1;
    }
    return 0;
}

/* The name of field k of the state struct. */
static const char *fname(const LowModel *lm, int k)
{
    return lm->fields[k].name;
}

/* ---- banner ---- */

/* The rows a model outputs, for the banner. */
static const char *output_rows(const LowModel *lm)
{
    switch (lm->output_form) {
    case OUT_SEQUENCE: break;
    case OUT_LAST:  return "(one row per sequence: the last step's)";
    case OUT_FINAL: return "(one row per sequence: from each direction's final state)";
    case OUT_MEAN:  return "(one row per sequence: from the mean over its steps)";
    case OUT_MAX:   return "(one row per sequence: from the maximum over its steps)";
    }
    return "(one row per step)";
}

/* A path's last part; "(none)" for none. */
static const char *base_name(const char *path)
{
    if (!path)
        return "(none)";
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

static void emit_banner(Emitter *e, Arena *a, const LowModel *lm, const EmitOptions *o,
                        const char *what)
{
    const IrModel *m = lm->ir;
    emit_line(e, "/*");
    emit_line(e, " * %s", what);
    emit_line(e, " * Generated by lstmc %s; do not edit.", LSTMC_VERSION);
    /* the files by name only, and the options rather than the command line:
     * the same model gives the same bytes in any checkout */
    (void)o;
    emit_line(e, " *   spec:        %s", comment_text(a, base_name(m->spec_path)));
    emit_line(e, " *   weights:     %s", comment_text(a, base_name(m->weights_path)));
    emit_line(e, " *   names:       %s_*, %s_*", lm->name, lm->macro);
    emit_line(e, " *   chunk:       %d step%s (--chunk N)", lm->chunk, lm->chunk == 1 ? "" : "s");
    if (lm->fast_activations) {
        emit_line(e, " *   activations: fast: the runtime's sigmoid and tanh, no libm calls, within");
        emit_line(e, " *                1.5e-7 (tanh) and 9e-8 (sigmoid) absolute of the exact");
        emit_line(e, " *                functions (%s_rt_*_fast below); --activations exact for those", lm->name);
        int fused = 0;
        for (int k = 0; k < lm->ncells; k++)
            fused |= lm->cells[k].fused_c || lm->cells[k].fused_h;
        if (fused)
            emit_line(e, " *                (an LSTM's cell update fused: c within 4e-7 (1 + |c|), h 4e-7)");
    } else {
        emit_line(e, " *   activations: exact: sigmoid and tanh within 0.51 ulps, no libm calls");
    }
    if (lm->threads > 1) {
        emit_line(e, " *   threads:     %d (%s_threads_start); this code needs pthreads and the", lm->threads, lm->name);
        emit_line(e, " *                __atomic builtins of gcc or clang (cc -pthread)");
    }
    if (lm->direction_threads) {
        emit_line(e, " *   threads:     2: %s_run runs the backward direction of each bidirectional", lm->name);
        emit_line(e, " *                layer on a second thread (one per call); this code needs pthreads");
        emit_line(e, " *                and the __atomic builtins of gcc or clang (cc -pthread)");
    }
    emit_line(e, " *");
    if (lm->tokens) {
        const LowEmbedding *E = &lm->embedding;
        emit_line(e, " * model %s: token ids -> %d outputs %s", m->name, lm->output, output_rows(lm));
        emit_line(e, " *   embedding %-8s tokens -> %-5d vocabulary %d (an id outside 0 .. %d reads", E->title,
                  E->dim, E->vocab, E->vocab - 1);
        emit_line(e, " *                      as a vector of zeros: never a read outside the table)");
    } else {
        emit_line(e, " * model %s: %d inputs -> %d outputs %s", m->name, lm->input, lm->output, output_rows(lm));
    }
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
        const char *init = c->h0.data || c->c0.data ? ", initial state" : "";
        if (c->reset_before)
            proj = ", reset before";
        emit_line(e, " *   %-5s %-12s %5d -> %-5d hidden %d%s%s%s%s",
                  c->kind == IR_LSTM ? "lstm" : c->kind == IR_GRU ? "gru" : "rnn", L->title, L->input,
                  L->output, c->hidden, blocks, proj, dir, init);
    }
    emit_line(e, " *");
    if (lm->weights_type == WT_F32)
        emit_line(e, " * flash: %ld bytes of weights (static const)", lm->flash_bytes);
    else   /* the matrices narrow; biases, scales and the rest float */
        emit_line(e, " * flash: %ld bytes of weights (static const; the matrices stored as %s)", lm->flash_bytes,
                  lm->weights_type == WT_F16 ? "float16" : lm->weights_type == WT_BF16 ? "bfloat16"
                                                                                     : "int8, a scale per row");
    if (lm->ir->products_int8)
        emit_line(e, " * products int8: each LSTM layer's recurrent product from h quantized to int8 (SPEC.md)");
    if (lm->streaming)
        emit_line(e, " * RAM:   %ld bytes (%s_state: state and per-step scratch)", lm->state_bytes,
                  lm->name);
    else
        emit_line(e, " * RAM:   %ld bytes (%s_state) + %d bytes per step of a sequence (scratch)",
                  lm->state_bytes, lm->name, 4 * lm->nseq * lm->seq_width);
    emit_line(e, " */");
}

/* ---- the header ---- */

static const char *signature(Arena *a, const LowModel *lm, const LowFunc *f);

/* NAME_set_state and NAME_get_state, with the layout of h and c. */
static void emit_state_io_doc(Emitter *e, Arena *a, const LowModel *lm)
{
    const char *N = lm->name, *M = lm->macro;
    emit_line(e, "/*");
    emit_line(e, " * The state from your own data, and back. %s_set_state(s, h, c) sets *s", N);
    if (lm->streaming)
        emit_line(e, " * to the given state (the next step continues from it: call it instead of");
    else
        emit_line(e, " * to the given state (%s_run_from_state starts from it: call it instead of", N);
    emit_line(e, " * %s_reset); %s_get_state(s, h, c) reads the state (after a run: the final", N, N);
    emit_line(e, " * state, PyTorch's h_n and c_n; a backward direction's after it read step 0).");
    emit_line(e, " * h: %s_STATE_H_SIZE floats, c: %s_STATE_C_SIZE, laid out as PyTorch's", M, M);
    emit_line(e, " * h_n and c_n ([layers * directions][size], forward before backward), so");
    emit_line(e, " * that they pass as they are. GRU and RNN layers have h only (c may be NULL");
    emit_line(e, " * when %s_STATE_C_SIZE is 0). Layer by layer:", M);
    long h = 0, c = 0;
    for (int k = 0; k < lm->ncells; k++) {
        const LowCell *cell = &lm->cells[k];
        if (cell->kind == IR_LSTM)
            emit_line(e, " *   %-36s h[%ld..%ld)  c[%ld..%ld)", cell->title, h, h + cell->recurrent, c,
                      c + cell->hidden);
        else
            emit_line(e, " *   %-36s h[%ld..%ld)", cell->title, h, h + cell->recurrent);
        h += cell->recurrent;
        c += cell->kind == IR_LSTM ? cell->hidden : 0;
    }
    emit_line(e, " */");
    emit_line(e, "%s;", signature(a, lm, &lm->set_state));
    emit_line(e, "%s;", signature(a, lm, &lm->get_state));
    emit_blank(e);
}

static void emit_api_doc(Emitter *e, Arena *a, const LowModel *lm)
{
    const char *N = lm->name, *M = lm->macro;
    if (lm->initial_state) {
        emit_line(e, "/* Sets h and c of every layer to its initial state (the learned h0, c0 of");
        emit_line(e, " * the layers with initial_state, zeros elsewhere): call it before each new");
        emit_line(e, " * sequence. */");
    } else {
        emit_line(e, "/* Zeroes h and c of every layer: call it before each new sequence. */");
    }
    emit_line(e, "%s;", signature(a, lm, &lm->reset));
    emit_blank(e);
    if (lm->ncells)
        emit_state_io_doc(e, a, lm);
    emit_line(e, "/* %s_STATE_BYTES as the code itself has it: a program linked with an", M);
    emit_line(e, " * object (lstmc compile --emit obj) can check the object against this header. */");
    emit_line(e, "size_t %s_state_bytes(void);", N);
    emit_blank(e);
    emit_line(e, "/* %s_MODEL_HASH as the code itself has it: the same check for all the", M);
    emit_line(e, " * rest (names, sizes, options, weights). */");
    emit_line(e, "unsigned long long %s_model_hash(void);", N);
    emit_blank(e);
    if (lm->streaming) {
        emit_line(e, "/* One timestep: reads x, updates *s, writes the model's output for this");
        emit_line(e, " * step to y (always, also with %s_OUTPUT_LAST). */", M);
        emit_line(e, "%s;", signature(a, lm, &lm->step));
        emit_blank(e);
        emit_line(e, "/* steps >= 1 timesteps: x holds steps rows of %s_INPUT_SIZE %s.", M,
                  lm->tokens ? "token ids" : "floats");
        if (lm->output_last) {
            emit_line(e, " * y receives one row of %s_OUTPUT_SIZE floats, the last step's output", M);
            emit_line(e, " * (the dense head runs for that step only). Continues from *s: call");
        } else {
            emit_line(e, " * y receives steps rows of %s_OUTPUT_SIZE floats. Continues from *s: call", M);
        }
        emit_line(e, " * %s_reset() first for a new sequence. */", N);
        emit_line(e, "%s;", signature(a, lm, &lm->run));
        emit_blank(e);
        emit_line(e, "/* batch independent sequences of steps >= 1 timesteps at once: the same as");
        emit_line(e, " * %s_run on each, but the weights are read once per step for up to", N);
        emit_line(e, " * %s_CHUNK sequences (matrix-matrix products). states: an array of batch", M);
        emit_line(e, " * states (reset them first for new sequences); x: [steps][batch][%s_INPUT_SIZE];", M);
        emit_line(e, " * y: [%s][batch][%s_OUTPUT_SIZE]. */", lm->output_last ? "1" : "steps", M);
        emit_line(e, "#define %s_BATCH 1  /* %s_run_batch exists */", M, N);
        emit_line(e, "%s;", signature(a, lm, &lm->run_batch));
        if (lm->threads > 1) {
            emit_blank(e);
            emit_line(e, "/*");
            emit_line(e, " * Threads (lstmc compile --threads %d): %s_threads_start(s, t) starts", lm->threads, N);
            emit_line(e, " * %s_THREADS - 1 pthreads, kept in *t, that %s_run and %s_step on s then", M, N, N);
            emit_line(e, " * share the large LSTM layers with (tiles split evenly, one spin barrier");
            emit_line(e, " * per step). They spin while they wait for work, so give them cores of");
            emit_line(e, " * their own. t must stay where it is while they run; %s_threads_stop(s)", N);
            emit_line(e, " * joins them and detaches them from s. Without start (s->threads NULL:");
            emit_line(e, " * a state that starts zeroed, static or = {0}), everything runs on the");
            emit_line(e, " * caller's thread; %s_reset keeps s->threads. %s_run_batch does not", N, N);
            emit_line(e, " * use them. Returns 0, or pthread_create's error (then no thread runs).");
            emit_line(e, " */");
            emit_line(e, "int %s_threads_start(%s_state *s, %s_threads *t);", N, N, N);
            emit_line(e, "void %s_threads_stop(%s_state *s);", N, N);
        }
    } else {
        emit_line(e, "/*");
        if (lm->output_form == OUT_MEAN || lm->output_form == OUT_MAX) {
            emit_line(e, " * There is no step function: output %s pools every step of a sequence,",
                      ir_output_form_name(lm->output_form));
        } else {
            emit_line(e, " * There is no step function: a backward direction starts at the last step,");
        }
        emit_line(e, " * so this model needs the whole sequence before it can output anything.");
        emit_line(e, " *");
        emit_line(e, " * Runs one sequence from %s (it resets *s itself): x holds",
                  lm->initial_state ? "the initial state" : "zero state");
        emit_line(e, " * steps >= 1 rows of %s_INPUT_SIZE floats; y receives %s of", M,
                  lm->pooled ? "one row (the pooled sequence's output)"
                  : lm->output_last ? "one row (the last step's output)" : "steps rows");
        emit_line(e, " * %s_OUTPUT_SIZE floats. scratch holds %s_SCRATCH_FLOATS(steps) floats", M, M);
        emit_line(e, " * (the layers' output rows); it may be NULL when that is 0.");
        emit_line(e, " */");
        emit_line(e, "%s;", signature(a, lm, &lm->run));
        emit_blank(e);
        emit_line(e, "/* %s_run from the state in *s (%s_set_state's), not from the initial", N, N);
        emit_line(e, " * state: the same arguments. */");
        emit_line(e, "%s;", signature(a, lm, &lm->run_from));
        emit_line(e, "/* (No %s_run_batch: it is for streaming models only.) */", N);
    }
}

/* The threads of a state (--threads N): a struct of their own, so that the
 * state stays plain data, and of plain types, so that the header is C and
 * C++ alike; the .c reads and writes the shared words atomically. */
static void emit_threads_struct(Emitter *e, Arena *a, const LowModel *lm)
{
    const char *N = lm->name, *M = lm->macro;
    emit_line(e, "#define %s_THREADS %d  /* threads of %s_run once %s_threads_start() ran */", M, lm->threads, N, N);
    emit_blank(e);
    emit_line(e, "/* A worker thread: the pool it serves and its number (1 .. %s_THREADS - 1). */", M);
    emit_line(e, "struct %s_worker { struct %s_threads *pool; int id; };", N, N);
    emit_blank(e);
    emit_line(e, "/* The %d worker threads and what they share with the caller's thread: the", lm->threads - 1);
    emit_line(e, " * job (a layer of a state over rows) and a spin barrier. job, quit, arrived");
    emit_line(e, " * and phase are only read and written atomically. */");
    emit_open(e, "typedef struct %s_threads", N);
    emit_line(e, "pthread_t thread[%d];", lm->threads - 1);
    emit_line(e, "struct %s_worker worker[%d];", N, lm->threads - 1);
    emit_line(e, "int started;");
    emit_line(e, "unsigned long job;       /* number of the job: workers wait for it to change */");
    emit_line(e, "int quit;                /* 1: workers return */");
    emit_line(e, "unsigned arrived;        /* barrier: threads that reached it */");
    emit_line(e, "unsigned long phase;     /* barrier: how many times it opened */");
    emit_line(e, "struct %s_state *state;  /* the job: whose layer, over which rows */", N);
    emit_line(e, "int cell;");
    emit_line(e, "const float *x;");
    emit_line(e, "size_t n;");
    emit_line(e, "float *out;");
    emit_line(e, "size_t out_stride;");
    emit_close(e, arena_printf(a, " %s_threads;", N));
    emit_blank(e);
}

/* The comment of a state field. */
static const char *field_comment(Arena *a, const LowModel *lm, const LowField *f)
{
    switch (f->kind) {
    case FIELD_H:     return arena_printf(a, "%s: hidden state h (the output)", lm->cells[f->cell].title);
    case FIELD_C:     return arena_printf(a, lm->cells[f->cell].kind == IR_LSTM ? "%s: cell state c"
                                                : lm->cells[f->cell].reset_before ? "%s: unused (reset before updates h alone)"
                                                : "%s: h again, the copy its update reads and writes",
                                      lm->cells[f->cell].title);
    case FIELD_GATES: return arena_printf(a, "scratch: gate pre-activations of %d steps of the layer being run",
                                          lm->chunk);
    case FIELD_M:     return "scratch: the new h, or o * act(c) before a projection";
    case FIELD_SEQ:   return arena_printf(a, "scratch: a layer's output rows, %d steps of %d floats", lm->chunk,
                                          lm->seq_width);
    case FIELD_TMP:   return "scratch: a dense layer's output";
    case FIELD_EMPTY: return "nothing: dense layers keep no state, and C has no empty struct";
    case FIELD_PAD:   return "padding: a cache line between the fields each thread writes";
    }
    return "";
}

static void emit_state_struct(Emitter *e, Arena *a, const LowModel *lm)
{
    emit_line(e, "/* Everything the model remembers between steps, and its scratch. Owned by");
    emit_line(e, " * the caller (static, stack or heap); the model allocates nothing. Its size");
    emit_line(e, " * does not grow with the sequence: %s_run works through %s_CHUNK steps", lm->name, lm->macro);
    emit_line(e, " * at a time (the input projection of a chunk, then its steps one by one). */");
    emit_open(e, "typedef struct %s_state", lm->name);
    for (int k = 0; k < lm->nfields; k++) {
        const LowField *f = &lm->fields[k];
        emit_line(e, "float %s[%d];  /* %s */", f->name, f->floats, field_comment(a, lm, f));
    }
    if (lm->threads > 1)
        emit_line(e, "%s_threads *threads;  /* NULL, or the threads of %s_threads_start; %s_reset keeps them */",
                  lm->name, lm->name, lm->name);
    emit_close(e, arena_printf(a, " %s_state;", lm->name));
}

static void emit_header_lm(FILE *f, Arena *a, const LowModel *lm, const EmitOptions *o)
{
    Emitter em = {f, 0, lm->name, lm->macro}, *e = &em;
    const char *M = lm->macro;
    emit_banner(e, a, lm, o, arena_printf(a, "The API of the LSTM model %s.", lm->ir->name));
    emit_line(e, "#ifndef %s_H", M);
    emit_line(e, "#define %s_H", M);
    emit_blank(e);
    emit_line(e, "#include <stddef.h>");
    if (lm->tokens)
        emit_line(e, "#include <stdint.h>");
    if (lm->threads > 1)
        emit_line(e, "#include <pthread.h>");
    emit_blank(e);
    emit_line(e, "#ifdef __cplusplus");
    emit_line(e, "extern \"C\" {");
    emit_line(e, "#endif");
    emit_blank(e);
    if (lm->tokens) {
        emit_line(e, "#define %s_INPUT_SIZE  %d  /* token ids (int32_t) per input step */", M, lm->input);
        emit_line(e, "#define %s_VOCABULARY  %d  /* token ids 0 .. %d; any other id reads as zeros */", M,
                  lm->embedding.vocab, lm->embedding.vocab - 1);
    } else {
        emit_line(e, "#define %s_INPUT_SIZE  %d  /* floats per input step */", M, lm->input);
    }
    if (lm->direction_threads)
        emit_line(e, "#define %s_DIRECTION_THREADS 2  /* %s_run: a bidirectional layer's directions on two threads */",
                  M, lm->name);
    emit_line(e, "#define %s_OUTPUT_SIZE %d  /* floats per output row */", M, lm->output);
    emit_line(e, "#define %s_OUTPUT_LAST %d  /* 1: one output row per sequence, the last step's */",
              M, lm->output_last);
    emit_line(e, "#define %s_STREAMING   %d  /* 1: step by step; 0: needs the whole sequence */", M,
              lm->streaming);
    emit_line(e, "#define %s_CHUNK       %d  /* steps whose input projection is computed at once */", M,
              lm->chunk);
    emit_line(e, "#define %s_STATE_BYTES %ld  /* bytes of %s_state's floats: %s */", M, lm->state_bytes,
              lm->name, lm->threads > 1 ? "all but the threads" : "its size");
    emit_line(e, "#define %s_MODEL_HASH  0x%016llxull  /* of the names, sizes, options and weights */", M,
              (unsigned long long)lm->hash);
    emit_line(e, "#define %s_LSTMC_VERSION \"%s\"  /* of the lstmc that wrote this */", M, LSTMC_VERSION);
    if (lm->ncells) {
        emit_line(e, "#define %s_STATE_H_SIZE %d  /* floats of %s_set_state's h */", M, lm->state_h, lm->name);
        emit_line(e, "#define %s_STATE_C_SIZE %d  /* floats of %s_set_state's c */", M, lm->state_c, lm->name);
    }
    if (!lm->streaming && lm->nseq)
        emit_line(e, "#define %s_SCRATCH_FLOATS(steps) ((size_t)(steps) * %d)  /* floats of scratch %s_run needs */",
                  M, lm->nseq * lm->seq_width, lm->name);
    else if (!lm->streaming)
        emit_line(e, "#define %s_SCRATCH_FLOATS(steps) ((size_t)0)  /* %s_run needs no scratch */", M, lm->name);
    emit_blank(e);
    if (lm->threads > 1)
        emit_threads_struct(e, a, lm);
    emit_state_struct(e, a, lm);
    emit_blank(e);
    emit_api_doc(e, a, lm);
    emit_blank(e);
    emit_line(e, "#ifdef __cplusplus");
    emit_line(e, "}");
    emit_line(e, "#endif");
    emit_blank(e);
    emit_line(e, "#endif");
}

/* ---- weights ---- */

/* The C type weight array arr is stored as (lower.h: LowArray.type). */
static const char *wtype(const LowArray *arr)
{
    static const char *const names[WT_COUNT] = {"float", "uint16_t", "uint16_t", "int8_t"};
    return names[arr->type];
}

/* Value i of an array: an exact float literal, or the code it is stored
 * as (the bits of a float16 or bfloat16, an int8's integer). */
static const char *value_text(char buf[32], const LowArray *arr, size_t i)
{
    if (arr->type == WT_F32)
        return flit(buf, arr->data[i]);
    snprintf(buf, 32, arr->type == WT_INT8 ? "%d" : "0x%04x", arr->codes[i]);
    return buf;
}

/* n values from value `at`, eight to a line; with braces, as one row
 * "{...},". */
static void emit_values(Emitter *e, const LowArray *arr, size_t at, int n, int braces)
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
            fprintf(e->f, "%s%s%s", j > k ? " " : "", value_text(lit, arr, at + (size_t)j),
                    one_line && j == n - 1 ? "" : ",");
        fputs(one_line ? "},\n" : "\n", e->f);
    }
    if (braces && !one_line)
        emit_close(e, ",");
}

/* The rows of one matrix (or one plane of a 3-D array), a brace pair per
 * row, a comment before each row group (gate). */
static void emit_rows(Emitter *e, const LowArray *arr, size_t at)
{
    for (int r = 0; r < arr->rows; r++) {
        for (int g = 0; g < arr->ngroups; g++)
            if (arr->group[g].first == r)
                emit_line(e, "/* %s: rows %d..%d */", arr->group[g].label, r,
                          r + arr->group[g].count - 1);
        emit_values(e, arr, at + (size_t)r * (size_t)arr->cols, arr->cols, 1);
    }
}

/*
 * A big array as the bytes of its floats (LowArray.bits; lower.c says why):
 * rows of BYTES_ROW bytes, each one string literal (shorter than the 4095
 * characters C99 promises to accept) split over lines of 64 bytes, then a
 * shorter tail, so the union holds not one byte more than the floats.
 */
enum { BYTES_ROW = 2048, BYTES_LINE = 64 };

static void emit_byte_string(Emitter *e, const unsigned char *p, size_t n)
{
    for (size_t k = 0; k < n; k += BYTES_LINE) {
        for (int q = 0; q < e->indent; q++)
            fputs("    ", e->f);
        /* by hand, not printf: these are tens of megabytes */
        static const char hex[] = "0123456789abcdef";
        char line[4 * BYTES_LINE + 4], *q = line;
        *q++ = '"';
        for (size_t j = k; j < k + BYTES_LINE && j < n; j++) {
            *q++ = '\\';
            *q++ = 'x';
            *q++ = hex[p[j] >> 4];
            *q++ = hex[p[j] & 15];
        }
        *q++ = '"';
        if (k + BYTES_LINE >= n)
            *q++ = ',';
        *q++ = '\n';
        fwrite(line, 1, (size_t)(q - line), e->f);
    }
}

/* The bytes form of a big array: a union NAME_bytes of the bytes and the
 * floats, and NAME defined as its float member. */
static void emit_bytes(Emitter *e, const LowArray *arr, const char *dims, const char *attr)
{
    size_t n = (size_t)(arr->planes ? arr->planes : 1) * (size_t)arr->rows *
               (size_t)(arr->cols ? arr->cols : 1) * sizeof(float);
    size_t nrows = n / BYTES_ROW, tail = n % BYTES_ROW;
    unsigned char *b = mem_alloc(n);
    /* The bytes of each float, least significant first, whatever the host. */
    for (size_t i = 0; i < n / 4; i++) {
        uint32_t u;
        memcpy(&u, &arr->data[i], sizeof u);
        for (int k = 0; k < 4; k++)
            b[4 * i + (size_t)k] = (unsigned char)(u >> (8 * k));
    }
    char tail_decl[48] = "";
    if (tail)
        snprintf(tail_decl, sizeof tail_decl, " unsigned char tail[%zu];", tail);
    emit_line(e, "%sstatic const union {", attr);
    emit_line(e, "    struct { unsigned char rows[%zu][%d];%s } bytes;", nrows, BYTES_ROW, tail_decl);
    emit_line(e, "    float f%s;", dims);
    emit_line(e, "} %s_bytes = {{", arr->name);
    e->indent++;
    emit_line(e, "{");
    e->indent++;
    for (size_t r = 0; r < nrows; r++)
        emit_byte_string(e, b + r * BYTES_ROW, BYTES_ROW);
    emit_close(e, tail ? "," : "");
    if (tail)
        emit_byte_string(e, b + nrows * BYTES_ROW, tail);
    e->indent--;
    emit_line(e, "}};");
    emit_line(e, "#define %s (%s_bytes.f)", arr->name, arr->name);
    mem_free(b);
}

/* The floats form: a static const array of %.9g literals, a vector, a
 * matrix with one brace pair per row, or planes of matrices (a comment and
 * a brace pair each). */
static void emit_floats(Emitter *e, const LowArray *arr, const char *dims, const char *attr)
{
    emit_open(e, "%sstatic const %s %s%s =", attr, wtype(arr), arr->name, dims);
    if (arr->planes) {
        size_t plane = (size_t)arr->rows * (size_t)arr->cols;
        for (int t = 0; t < arr->planes; t++) {
            emit_line(e, "/* %s %d */", arr->plane_label ? arr->plane_label : "plane", t);
            emit_line(e, "{");
            e->indent++;
            emit_rows(e, arr, (size_t)t * plane);
            emit_close(e, ",");
        }
    } else if (arr->cols) {
        emit_rows(e, arr, 0);
    } else if (arr->ngroups) {
        for (int g = 0; g < arr->ngroups; g++) {
            emit_line(e, "/* %s */", arr->group[g].label);
            emit_values(e, arr, (size_t)arr->group[g].first, arr->group[g].count, 0);
        }
    } else {
        emit_values(e, arr, 0, arr->rows, 0);
    }
    emit_close(e, ";");
}

/* A weight array with its comment, in the floats form, and for a big one
 * also in the bytes form (see BYTES_MIN). Each begins with the model's
 * NAME_WEIGHTS_ATTR, the user's hook to place or align the weights. */
static void emit_array(Emitter *e, const LowArray *arr)
{
    char dims[96];
    if (!arr->data)
        return;
    if (arr->planes)
        snprintf(dims, sizeof dims, "[%d][%d][%d]", arr->planes, arr->rows, arr->cols);
    else if (arr->cols)
        snprintf(dims, sizeof dims, "[%d][%d]", arr->rows, arr->cols);
    else
        snprintf(dims, sizeof dims, "[%d]", arr->rows);
    char attr[128];
    snprintf(attr, sizeof attr, "%s_WEIGHTS_ATTR ", e->macro);
    emit_line(e, "/* %s */", arr->comment);
    if (as_bytes(arr)) {
        emit_line(e, "#if %s_WEIGHTS_AS_BYTES", e->macro);
        emit_bytes(e, arr, dims, attr);
        emit_line(e, "#else");
        emit_floats(e, arr, dims, attr);
        emit_line(e, "#endif");
    } else {
        emit_floats(e, arr, dims, attr);
    }
    emit_blank(e);
}

/* An int32 array (products int8's h_corr), eight values to a line, a brace
 * pair per plane. */
static void emit_ints(Emitter *e, const LowInts *arr)
{
    if (!arr->data)
        return;
    emit_line(e, "/* %s */", arr->comment);
    emit_open(e, "%s_WEIGHTS_ATTR static const int32_t %s[%d][%d] =", e->macro, arr->name, arr->planes, arr->rows);
    for (int t = 0; t < arr->planes; t++) {
        emit_line(e, "{");
        e->indent++;
        for (int k = 0; k < arr->rows; k += 8) {
            for (int q = 0; q < e->indent; q++)
                fputs("    ", e->f);
            for (int j = k; j < k + 8 && j < arr->rows; j++)
                fprintf(e->f, "%s%ld,", j > k ? " " : "", (long)arr->data[(size_t)t * (size_t)arr->rows + (size_t)j]);
            fputc('\n', e->f);
        }
        emit_close(e, ",");
    }
    emit_close(e, ";");
    emit_blank(e);
}

/* ---- one LSTM layer-direction ---- */

/* Whether a tile's input projection and recurrent product have rows of
 * their own (lower.h: in_rows, shared_rows; a GRU's), and the macros of
 * the input projection's rows and vectors. */
static int split_rows(const LowCell *c)
{
    return c->in_rows != c->tile_rows || c->shared_rows != c->tile_rows;
}

static const char *in_rows(const LowCell *c)
{
    return split_rows(c) ? "IN_ROWS" : "TILE_ROWS";
}

static const char *in_vecs(const LowCell *c)
{
    return split_rows(c) ? "IN_VECS" : "VECS";
}

/* The rows of a tile's two products, where they differ. */
static void emit_split_rows(Emitter *e, const LowCell *c)
{
    const char *M = c->macro;
    emit_line(e, "/* a tile's rows: %d of its input projection (w_x, b, pre), %d of its recurrent", c->in_rows,
              c->tile_rows);
    emit_line(e, " * product (w_h), V for each gate%s; the first SHARED_ROWS, of the gates in both,",
              c->tile_pad ? ", then rows of zeros (whole vectors)" : "");
    if (c->tile_rows > c->shared_rows) {
        emit_line(e, " * add the recurrent product to the projected input; its rows after them");
        emit_line(e, " * start at zero, apart */");
    } else {
        emit_line(e, " * add the recurrent product to the projected input */");
    }
    emit_line(e, "#define %s_TILE_ROWS %d", M, c->tile_rows);
    emit_line(e, "#define %s_IN_ROWS %d", M, c->in_rows);
    emit_line(e, "#define %s_SHARED_ROWS %d", M, c->shared_rows);
}

static void emit_cell_defines(Emitter *e, const LowCell *c)
{
    const char *M = c->macro;
    emit_line(e, "/* ---- %s ---- */", c->title);
    emit_blank(e);
    emit_line(e, "#define %s_INPUT  %d  /* I: features in */", M, c->input);
    emit_line(e, "#define %s_HIDDEN %d  /* H: %s */", M, c->hidden, c->kind == IR_LSTM ? "memory cells" : "units");
    if (c->block_size > 1) {
        emit_line(e, "#define %s_BLOCKS %d  /* blocks of cells sharing their gates */", M, c->blocks);
        emit_line(e, "#define %s_BLOCK_SIZE %d  /* cells per block */", M, c->block_size);
    }
    if (c->proj) {
        if (c->reset_before) {
            emit_line(e, "/* the second pass: the candidate's recurrent product w_hn (r h), H rows");
            emit_line(e, " * tiled as a projection's (PROJ = HIDDEN) */");
            emit_line(e, "#define %s_PROJ   %d", M, c->proj);
        } else {
            emit_line(e, "#define %s_PROJ   %d  /* P: h = w_proj m has P values */", M, c->proj);
        }
        emit_line(e, "#define %s_PROJ_TILE  %d  /* rows of h per tile of the projection */", M, c->proj_tile);
        emit_line(e, "#define %s_PROJ_TILES %d  /* PROJ / PROJ_TILE */", M, c->proj_tiles);
        emit_line(e, "#define %s_PROJ_VECS  (%s_PROJ_TILE / %s)  /* its accumulators: vectors of %s floats */", M, M,
                  c->proj_simd ? "RT_VL" : "1", c->proj_simd ? "RT_VL" : "1");
        emit_line(e, "/* sets of accumulators of the projection (columns j, j+1, ... each to its");
        emit_line(e, " * own set), and sequences per pass of run_batch's: at most RT_ACCS in all */");
        emit_line(e, "#define %s_PROJ_PSTEPS (RT_ACCS / %s_PROJ_VECS >= 4 ? 4 : RT_ACCS / %s_PROJ_VECS >= 2 ? 2 : 1)",
                  M, M, M);
        emit_line(e, "/* columns of the projection's passes of PROJ_PSTEPS; the rest one at a time */");
        emit_line(e, "#define %s_PROJ_JFULL (%s_HIDDEN / %s_PROJ_PSTEPS * %s_PROJ_PSTEPS)", M, M, M, M);
    }
    emit_line(e, "#define %s_TILE   %d  /* V: units per tile; a tile's gate rows are computed together */",
              M, c->tile);
    emit_line(e, "#define %s_TILES  %d  /* H / V */", M, c->tiles);
    if (c->block_size > 1) {
        emit_line(e, "#define %s_TILE_BLOCKS %d  /* V / BLOCK_SIZE: blocks per tile */", M, c->tile_blocks);
        emit_line(e, "/* gate rows of a tile: one per block for each gate it shares, one per cell");
        emit_line(e, " * for the cell input, then TILE_PAD rows of zeros (whole vectors) */");
        emit_line(e, "#define %s_TILE_ROWS %d", M, c->tile_rows);
        emit_line(e, "#define %s_TILE_PAD %d", M, c->tile_pad);
    } else if (split_rows(c)) {
        emit_split_rows(e, c);
    } else {
        emit_line(e, "#define %s_TILE_ROWS %d  /* gate rows of a tile: %d gates x V */", M, c->tile_rows,
                  c->tile_rows / c->tile);
    }
    const char *V = c->simd ? "RT_VL" : "1";
    emit_line(e, "/* accumulators of a tile: vectors of %s floats */", V);
    emit_line(e, "#define %s_VECS   (%s_TILE_ROWS / %s)", M, M, V);
    if (split_rows(c)) {
        emit_line(e, "#define %s_IN_VECS (%s_IN_ROWS / %s)  /* of its input projection */", M, M, V);
        if (c->tile_rows > c->shared_rows)
            emit_line(e, "#define %s_SHARED_VECS (%s_SHARED_ROWS / %s)", M, M, V);
    }
    emit_line(e, "/* steps per pass of the input projection: %s_%s accumulators each, at most RT_ACCS */", M,
              in_vecs(c));
    emit_line(e, "#define %s_PSTEPS (RT_ACCS / %s_%s >= 4 ? 4 : RT_ACCS / %s_%s >= 2 ? 2 : 1)", M, M, in_vecs(c), M,
              in_vecs(c));
    emit_line(e, "/* sets of accumulators of the recurrent product (columns k, k+1, ... each");
    if (split_rows(c)) {
        emit_line(e, " * to its own set, summed at the end): hides the latency of the a*b + c chain;");
        emit_line(e, " * and sequences per pass of the batch recurrence */");
        emit_line(e, "#define %s_KSPLIT (RT_ACCS / %s_VECS >= 4 ? 4 : RT_ACCS / %s_VECS >= 2 ? 2 : 1)", M, M, M);
    } else {
        emit_line(e, " * to its own set, summed at the end): hides the latency of the a*b + c chain */");
        emit_line(e, "#define %s_KSPLIT %s_PSTEPS", M, M);
    }
    emit_line(e, "/* columns of the recurrent product's passes of KSPLIT; the rest one at a time */");
    emit_line(e, "#define %s_KFULL (%s_%s / %s_KSPLIT * %s_KSPLIT)", M, M, c->proj ? "PROJ" : "HIDDEN", M, M);
    if (split_rows(c)) {
        emit_line(e, "/* first row of each gate within a tile's input rows (%s, pre[]), its", c->w_x.name);
        emit_line(e, " * recurrent rows (%s, a[]), or both */", c->w_h.name);
    } else {
        emit_line(e, "/* first row of each gate within a tile's rows (of %s, %s and pre[]) */", c->w_x.name,
                  c->w_h.name);
    }
    for (int g = 0; g < GATE_COUNT; g++) {
        int off = c->tile_off[g] >= 0 ? c->tile_off[g] : c->in_off[g];
        const char *where = !split_rows(c) || (c->tile_off[g] >= 0 && c->in_off[g] >= 0) ? ""
                          : c->tile_off[g] >= 0 ? ": recurrent rows, kept apart" : ": input rows (pre)";
        if (off >= 0)
            emit_line(e, "#define %s_GATE_%s %d  /* %s%s */", M, c->gate_macro[g], off, c->gate_word[g], where);
        else if (g == GATE_F && c->coupled)
            emit_line(e, "/* forget gate: coupled, f = 1 - i */");
        else if (c->gate_word[g])
            emit_line(e, "/* no %s: it is the constant 1 */", c->gate_word[g]);
    }
    emit_line(e, "#define %s_GATE_ROWS %d  /* %s rows of a step: TILES x %s */", M, c->gate_rows,
              split_rows(c) ? "projected input" : "gate", in_rows(c));
    if (c->products_int8) {
        emit_line(e, "/* products int8: h as bytes (q + 128), R rounded up to a multiple of 4, and");
        emit_line(e, " * the int32 accumulators of a tile, vectors of %s */", c->simd ? "RT_IVL" : "1");
        emit_line(e, "#define %s_HQ_COLS %d", M, c->hq_cols);
        emit_line(e, "#define %s_IVECS (%s_TILE_ROWS / %s)", M, M, c->simd ? "RT_IVL" : "1");
        emit_line(e, "/* sets of them (groups of 4 columns g, g+1, ... each to its own set, summed");
        emit_line(e, " * at the end, exactly): hide the latency of the dot products */");
        emit_line(e, "#define %s_ISPLIT (RT_ACCS / %s_IVECS >= 4 ? 4 : RT_ACCS / %s_IVECS >= 2 ? 2 : 1)", M, M, M);
        emit_line(e, "/* columns of the passes of ISPLIT groups; the rest a group at a time */");
        emit_line(e, "#define %s_IKFULL (%s_HQ_COLS / (4 * %s_ISPLIT) * (4 * %s_ISPLIT))", M, M, M, M);
    }
    if (c->cells_whole) {
        emit_line(e, "/* where tile row r goes in a step's rows gate by gate (its gate's H rows, the");
        emit_line(e, " * tile's units from t * TILE): every cell is updated at once, after the tiles */");
        emit_line(e, "#define %s_CELL_ROW(r) ((r) / %s_TILE * %s_HIDDEN + (r) %% %s_TILE)", M, M, M, M);
    }
    emit_blank(e);
}

/* Cell j's row of gate G ("I", "G") in a[]: the tile's rows (unit v), or
 * the step's rows gate by gate (whole: LowCell.cells_whole). */
static const char *gate_row(Arena *a, const LowCell *c, const char *G, int whole)
{
    if (whole)
        return arena_printf(a, "a[%s_CELL_ROW(%s_GATE_%s) + j]", c->macro, c->macro, G);
    return arena_printf(a, "a[%s_GATE_%s + v]", c->macro, G);
}

/* The pre-activation of gate g (I, F or O) for one cell (S = 1): the gate
 * row plus its peephole on c, clipped; and the gate, its activation. */
static const char *cell_gate_pre(Arena *a, const LowCell *c, Gate g, const char *G, int whole)
{
    const char *pre = gate_row(a, c, G, whole);
    if (c->peep[g].data)
        pre = arena_printf(a, "%s + %s[j] * c[j]", pre, c->peep[g].name);
    return clipped(a, pre, c->clip_gates);
}

static const char *cell_gate(Arena *a, const LowCell *c, Gate g, const char *G, int whole)
{
    return act_call(a, c->gate_act, cell_gate_pre(a, c, g, G, whole));
}

/* The new c from f, i and g (their expressions), as the gates that exist
 * make it. */
static const char *cell_update(Arena *a, const LowCell *c, const char *f, const char *i, const char *g)
{
    int has_f = c->has_gate[GATE_F] || c->coupled, has_i = c->has_gate[GATE_I];
    const char *sum = has_f ? arena_printf(a, "%s * c[j]", f) : "c[j]";
    sum = has_i ? arena_printf(a, "%s + %s * %s", sum, i, g) : arena_printf(a, "%s + %s", sum, g);
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

/* The cell update of one tile, everything per unit v, cell j, from the
 * tile's gate pre-activations a[] (blocks of S > 1 cells: emit_block_cells).
 * The new h goes to hn (m before a projection): other tiles still read the
 * old h. */
static void emit_block_cells(Emitter *e, Arena *a, const LowCell *c);

/* Row group g's pre-activation of unit v: in the tile's rows a[] where
 * the recurrent product has it, else in its projected input pt[] (a GRU's
 * candidate, input part). */
static const char *gate_pre(Arena *a, const LowCell *c, Gate g)
{
    return arena_printf(a, "%s[%s_GATE_%s + v]", c->tile_off[g] >= 0 ? "a" : "pt", c->macro, c->gate_macro[g]);
}

/* The update of a GRU's or an RNN's tile (LowCell.kind): c holds h. */
static void emit_gru_cells(Emitter *e, Arena *a, const LowCell *c)
{
    const char *M = c->macro;
    emit_line(e, "/* the tile's units */");
    emit_open(e, "for (int v = 0; v < %s_TILE; v++)", M);
    emit_line(e, "const int j = t * %s_TILE + v;", M);
    if (c->kind == IR_RNN) {
        emit_line(e, "/* hidden state: h = %s(w . [x, h] + b) */", act_name(a, c->cell_input_act));
        emit_line(e, "c[j] = %s;",
                  act_call(a, c->cell_input_act, clipped(a, gate_pre(a, c, GATE_G), c->clip_gates)));
    } else if (c->reset_before) {
        emit_line(e, "/* reset gate, on h before the candidate's recurrent product (reset before):");
        emit_line(e, " * r h, which the second pass multiplies by w_hn */");
        emit_line(e, "m[j] = %s * h[j];",
                  act_call(a, c->gate_act, clipped(a, gate_pre(a, c, GATE_I), c->clip_gates)));
        emit_line(e, "/* update gate */");
        emit_line(e, "m[%s_HIDDEN + j] = %s;", M,
                  act_call(a, c->gate_act, clipped(a, gate_pre(a, c, GATE_F), c->clip_gates)));
        emit_line(e, "/* the candidate's input part */");
        emit_line(e, "m[2 * %s_HIDDEN + j] = %s;", M, gate_pre(a, c, GATE_G));
        emit_close(e, "");
        return;
    } else {
        emit_line(e, "/* reset gate */");
        emit_line(e, "const float r = %s;",
                  act_call(a, c->gate_act, clipped(a, gate_pre(a, c, GATE_I), c->clip_gates)));
        emit_line(e, "/* update gate */");
        emit_line(e, "const float z = %s;",
                  act_call(a, c->gate_act, clipped(a, gate_pre(a, c, GATE_F), c->clip_gates)));
        const char *nh = gate_pre(a, c, GATE_O);
        if (c->b_hn.data)
            nh = arena_printf(a, "(%s + %s[j])", nh, c->b_hn.name);
        emit_line(e, "/* candidate: its input part plus r times its recurrent part (reset after) */");
        emit_line(e, "const float n = %s;",
                  act_call(a, c->cell_input_act,
                           clipped(a, arena_printf(a, "%s + r * %s", gate_pre(a, c, GATE_G), nh), c->clip_gates)));
        emit_line(e, "/* hidden state: h = (1 - z) n + z h */");
        emit_line(e, "c[j] = (1.0f - z) * n + z * c[j];");
    }
    emit_line(e, "hn[j] = c[j];");
    emit_close(e, "");
}

static void emit_cell_state(Emitter *e, Arena *a, const LowCell *c, int whole);

static void emit_cells(Emitter *e, Arena *a, const LowCell *c, int whole)
{
    const char *M = c->macro;
    const char *out = whole ? "h" : c->proj ? "m" : "hn";
    if (c->kind != IR_LSTM) {
        emit_gru_cells(e, a, c);
        return;
    }
    if (c->block_size > 1) {
        emit_block_cells(e, a, c);
        return;
    }
    if (whole) {
        emit_line(e, "/* every cell, now that no tile reads the old h: the new h in place */");
        emit_open(e, "for (int j = 0; j < %s_HIDDEN; j++)", M);
    } else {
        emit_line(e, "/* the tile's cells */");
        emit_open(e, "for (int v = 0; v < %s_TILE; v++)", M);
        emit_line(e, "const int j = t * %s_TILE + v;", M);
    }
    if (c->fused_c) {
        emit_line(e, "/* cell state: c = f*c + i*g, the gates' sigmoids and tanh as fractions in");
        emit_line(e, " * two divisions (rt_lstm_cf_fast: input gate, forget gate%s, cell input)%s */",
                  c->peep[GATE_I].data || c->peep[GATE_F].data ? " with peepholes on the old c" : "",
                  c->clip_cell != 0 ? ", clipped" : "");
        const char *cf = arena_printf(a, "rt_lstm_cf_fast(c[j], %s, %s, %s)", cell_gate_pre(a, c, GATE_I, "I", whole),
                                      cell_gate_pre(a, c, GATE_F, "F", whole),
                                      clipped(a, gate_row(a, c, "G", whole), c->clip_gates));
        emit_line(e, "c[j] = %s;", clipped(a, cf, c->clip_cell));
    } else {
        emit_cell_state(e, a, c, whole);
    }
    const char *cact = act_call(a, c->cell_output_act, "c[j]");
    if (c->fused_h) {
        emit_line(e, "/* %s: o * tanh(c) in one division (rt_lstm_hf_fast: output gate%s) */",
                  c->proj ? "projection input" : "hidden state", c->peep[GATE_O].data ? ", peephole on the new c" : "");
        emit_line(e, "%s[j] = rt_lstm_hf_fast(c[j], %s);", out, cell_gate_pre(a, c, GATE_O, "O", whole));
    } else if (c->has_gate[GATE_O]) {
        emit_line(e, "/* output gate%s */", c->peep[GATE_O].data ? " (peephole: the new c)" : "");
        emit_line(e, "const float o = %s;", cell_gate(a, c, GATE_O, "O", whole));
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

/* A cell's gates i, f, g and its new c, each gate through its own
 * activation (not LowCell.fused_c). */
static void emit_cell_state(Emitter *e, Arena *a, const LowCell *c, int whole)
{
    if (c->has_gate[GATE_I]) {
        emit_line(e, "/* input gate%s */", c->peep[GATE_I].data ? " (peephole: the old c)" : "");
        emit_line(e, "const float i = %s;", cell_gate(a, c, GATE_I, "I", whole));
    }
    if (c->coupled) {
        emit_line(e, "/* forget gate: coupled to the input gate */");
        emit_line(e, "const float f = 1.0f - i;");
    } else if (c->has_gate[GATE_F]) {
        emit_line(e, "/* forget gate%s */", c->peep[GATE_F].data ? " (peephole: the old c)" : "");
        emit_line(e, "const float f = %s;", cell_gate(a, c, GATE_F, "F", whole));
    }
    emit_line(e, "/* cell input */");
    emit_line(e, "const float g = %s;",
              act_call(a, c->cell_input_act, clipped(a, gate_row(a, c, "G", whole), c->clip_gates)));
    emit_line(e, "/* cell state: %s%s */", cell_update_comment(c), c->clip_cell != 0 ? ", clipped" : "");
    emit_line(e, "c[j] = %s;", cell_update(a, c, "f", "i", "g"));
}

/* A block's gate g (I, F or O) in the loop over a tile's blocks v: its row
 * plus, with peepholes, the sum over its cells of p * c (the old c for i
 * and f, the new for o), into gX[v]. */
static void emit_block_gate(Emitter *e, Arena *a, const LowCell *c, Gate g, const char *G, const char *x,
                            const char *what)
{
    const char *M = c->macro;
    const char *pre = arena_printf(a, "a[%s_GATE_%s + v]", M, G);
    if (c->peep[g].data) {
        emit_line(e, "/* %s; peepholes: the sum over the block's cells of p * %s */", what,
                  g == GATE_O ? "the new c" : "the old c");
        emit_line(e, "float a%s = %s;", x, pre);
        emit_line(e, "RT_UNROLL");
        emit_line(e, "for (int j = j0; j < j0 + %s_BLOCK_SIZE; j++)", M);
        emit_line(e, "    a%s += %s[j] * c[j];", x, c->peep[g].name);
        pre = arena_printf(a, "a%s", x);
    } else {
        emit_line(e, "/* %s */", what);
    }
    emit_line(e, "g%s[v] = %s;", x, act_call(a, c->gate_act, clipped(a, pre, c->clip_gates)));
}

/* The loop over a tile's blocks v, its gates into gi[v], gf[v], go[v]
 * (o: only when `o`). */
static void emit_block_gates(Emitter *e, Arena *a, const LowCell *c, int i, int f, int o)
{
    const char *M = c->macro;
    int peep = (i && c->peep[GATE_I].data) || (f && c->peep[GATE_F].data) || (o && c->peep[GATE_O].data);
    emit_open(e, "for (int v = 0; v < %s_TILE_BLOCKS; v++)", M);
    if (peep)
        emit_line(e, "const int j0 = (t * %s_TILE_BLOCKS + v) * %s_BLOCK_SIZE;  /* the block's first cell */", M, M);
    if (i)
        emit_block_gate(e, a, c, GATE_I, "I", "i", "input gate");
    if (f && c->coupled) {
        emit_line(e, "/* forget gate: coupled to the input gate */");
        emit_line(e, "gf[v] = 1.0f - gi[v];");
    } else if (f) {
        emit_block_gate(e, a, c, GATE_F, "F", "f", "forget gate");
    }
    if (o)
        emit_block_gate(e, a, c, GATE_O, "O", "o", "output gate");
    emit_close(e, "");
}

/* Each cell's copy of its block's gates gX[] (X: i, f, o), into cell_X[]:
 * a plain loop over the cells then reads them in order, and vectorizes
 * (gcc builds gX[v / BLOCK_SIZE] from single floats: 1.6 against 2.3 ns a
 * cell, 8 blocks of 8 cells). */
static void emit_block_expand(Emitter *e, const LowCell *c, int i, int f, int o)
{
    const char *M = c->macro;
    emit_line(e, "/* each cell's copy of its block's gate%s */", i + f + o > 1 ? "s" : "");
    emit_open(e, "for (int v = 0; v < %s_TILE_BLOCKS; v++)", M);
    emit_line(e, "RT_UNROLL");
    emit_open(e, "for (int n = 0; n < %s_BLOCK_SIZE; n++)", M);
    if (i)
        emit_line(e, "cell_i[v * %s_BLOCK_SIZE + n] = gi[v];", M);
    if (f)
        emit_line(e, "cell_f[v * %s_BLOCK_SIZE + n] = gf[v];", M);
    if (o)
        emit_line(e, "cell_o[v * %s_BLOCK_SIZE + n] = go[v];", M);
    emit_close(e, "");
    emit_close(e, "");
}

/*
 * The cell update of one tile of blocks of S > 1 cells, from the tile's
 * gate pre-activations a[]: each block's gates once, into gi, gf, go (one
 * per block of the tile), each cell's copy of them, then the tile's cells.
 * The output gate's peepholes read the new c, so with them o comes after
 * the cells' states. The new h goes to hn (m before a projection): other
 * tiles still read the old h.
 */
static void emit_block_cells(Emitter *e, Arena *a, const LowCell *c)
{
    const char *M = c->macro;
    const char *out = c->proj ? "m" : "hn";
    int has_i = c->has_gate[GATE_I], has_f = c->has_gate[GATE_F] || c->coupled, has_o = c->has_gate[GATE_O];
    int o_late = has_o && c->peep[GATE_O].data;   /* o needs the new c */
    int o_early = has_o && !o_late;
    if (has_i || has_f || has_o) {
        const char *gates = "", *cells = "";
        static const char x[3] = {'i', 'f', 'o'};
        int has[3] = {has_i, has_f, has_o};
        for (int k = 0; k < 3; k++) {
            if (!has[k])
                continue;
            gates = arena_printf(a, "%s%sg%c[%s_TILE_BLOCKS]", gates, *gates ? ", " : "", x[k], M);
            cells = arena_printf(a, "%s%scell_%c[%s_TILE]", cells, *cells ? ", " : "", x[k], M);
        }
        emit_line(e, "/* the tile's blocks: the gates their cells share, and each cell's copy */");
        emit_line(e, "float %s;", gates);
        emit_line(e, "float %s;", cells);
    }
    if (has_i || has_f || o_early) {
        emit_block_gates(e, a, c, has_i, has_f, o_early);
        emit_block_expand(e, c, has_i, has_f, o_early);
    }
    emit_line(e, "/* the tile's cells */");
    emit_open(e, "for (int v = 0; v < %s_TILE; v++)", M);
    emit_line(e, "const int j = t * %s_TILE + v;", M);
    emit_line(e, "/* cell input */");
    emit_line(e, "const float g = %s;",
              act_call(a, c->cell_input_act, clipped(a, arena_printf(a, "a[%s_GATE_G + v]", M), c->clip_gates)));
    emit_line(e, "/* cell state: %s%s */", cell_update_comment(c), c->clip_cell != 0 ? ", clipped" : "");
    emit_line(e, "c[j] = %s;", cell_update(a, c, "cell_f[v]", "cell_i[v]", "g"));
    const char *what = c->proj ? "projection input" : "hidden state";
    const char *cact = act_call(a, c->cell_output_act, "c[j]");
    if (!has_o) {
        emit_line(e, "/* %s: %s(c) (no output gate) */", what, act_name(a, c->cell_output_act));
        emit_line(e, "%s[j] = %s;", out, cact);
    } else if (o_early) {
        emit_line(e, "/* %s: o * %s(c) */", what, act_name(a, c->cell_output_act));
        emit_line(e, "%s[j] = cell_o[v] * %s;", out, cact);
    }
    emit_close(e, "");
    if (!o_late)
        return;
    emit_block_gates(e, a, c, 0, 0, 1);
    emit_block_expand(e, c, 0, 0, 1);
    emit_line(e, "/* %s of each cell: o * %s(c) */", what, act_name(a, c->cell_output_act));
    emit_open(e, "for (int v = 0; v < %s_TILE; v++)", M);
    emit_line(e, "const int j = t * %s_TILE + v;", M);
    emit_line(e, "%s[j] = cell_o[v] * %s;", out, cact);
    emit_close(e, "");
}

/* ---- the tiled kernels ---- */

/* The vector operations of a tiled kernel: the runtime's rt_vec when the
 * tile's rows are a multiple of 16 (lower.c: c->simd, c->proj_simd), plain
 * floats else. */
static const char *vtype(int simd)
{
    return simd ? "rt_vec" : "float";
}

/* Vector l of the floats at base: rt_vload(base + l * RT_VL), or base[l]. */
static const char *vload(Arena *a, int simd, const char *base, const char *l)
{
    return simd ? arena_printf(a, "rt_vload(%s + %s * RT_VL)", base, l) : arena_printf(a, "%s[%s]", base, l);
}

static const char *vset1(Arena *a, int simd, const char *x)
{
    return simd ? arena_printf(a, "rt_vset1(%s)", x) : x;
}

static const char *vfma(Arena *a, int simd, const char *x, const char *y, const char *acc)
{
    return simd ? arena_printf(a, "rt_vfma(%s, %s, %s)", x, y, acc)
                : arena_printf(a, "%s * %s + %s", x, y, acc);
}

/* Stores v as vector l of the floats at base. */
static const char *vstore(Arena *a, int simd, const char *base, const char *l, const char *v)
{
    return simd ? arena_printf(a, "rt_vstore(%s + %s * RT_VL, %s)", base, l, v)
                : arena_printf(a, "%s[%s] = %s", base, l, v);
}

/* Vector l of the weights at base, stored as arr is, as floats: the
 * runtime's converting loads (rt_vload_f16, ...; exact: every float16,
 * bfloat16 and int8 value is a float). */
static const char *wload(Arena *a, int simd, const LowArray *arr, const char *base, const char *l)
{
    static const char *const vec[WT_COUNT] = {"rt_vload", "rt_vload_f16", "rt_vload_bf16", "rt_vload_i8"};
    static const char *const one[WT_COUNT] = {"", "rt_f16_to_f32", "rt_bf16_to_f32", "(float)"};
    if (arr->type == WT_F32)
        return vload(a, simd, base, l);
    return simd ? arena_printf(a, "%s(%s + %s * RT_VL)", vec[arr->type], base, l)
                : arena_printf(a, "%s(%s[%s])", one[arr->type], base, l);
}

/* Vector l of a tiled kernel's w_x or w_h (arr) at base; in pair order
 * when the cell's bfloat16 rows come in pairs (lower.h: pair_bf16). */
static const char *wload_tile(Arena *a, const LowCell *c, const LowArray *arr, const char *base, const char *l)
{
    if (c->pair_bf16)
        return arena_printf(a, "rt_vload_bf16_pair(%s, %s)", base, l);
    return wload(a, c->simd, arr, base, l);
}

/* Vector l of the floats at base that start a tile's accumulators: in
 * pair order as the cell's weights are read (pair_bf16). */
static const char *vload_tile(Arena *a, const LowCell *c, const char *base, const char *l)
{
    if (c->pair_bf16)
        return arena_printf(a, "rt_vload_pair(%s, %s)", base, l);
    return vload(a, c->simd, base, l);
}

/* Accumulators acc[...][l] read in pair order (pair_bf16) back in row order,
 * before anything reads them by row. */
static void emit_unpair(Emitter *e, const LowCell *c, const char *acc)
{
    if (!c->pair_bf16)
        return;
    emit_line(e, "RT_UNROLL");
    emit_line(e, "for (int l = 0; l < %s_VECS; l += 2)", c->macro);
    emit_line(e, "    RT_VUNPAIR(%s[l], %s[l + 1]);", acc, acc);
}

/* int8 weights: the accumulated sum acc times vector l of the row scales
 * at sbase, plus init (NULL: nothing), fused as the kernels' a*b + c. */
static const char *unscale(Arena *a, int simd, const char *acc, const char *sbase, const char *l, const char *init)
{
    const char *sv = vload(a, simd, sbase, l);
    if (init)
        return vfma(a, simd, acc, sv, init);
    return simd ? arena_printf(a, "rt_vmul(%s, %s)", acc, sv) : arena_printf(a, "%s * %s", acc, sv);
}

/* The loop over the steps (or sequences) of a pass, "for (q ...) {"; a
 * pass of one has no loop of one round, its body stands alone. */
static void open_steps(Emitter *e, const char *steps)
{
    if (strcmp(steps, "1") == 0)
        return;
    emit_line(e, "RT_UNROLL");
    emit_open(e, "for (int q = 0; q < %s; q++)", steps);
}

static void close_steps(Emitter *e, const char *steps)
{
    if (strcmp(steps, "1") != 0)
        emit_close(e, "");
}

/* Tile t's rows of h, ht, clipped in place (clip projection). */
static void emit_proj_clip(Emitter *e, Arena *a, const LowCell *c)
{
    if (c->clip_proj == 0)
        return;
    emit_line(e, "for (int v = 0; v < %s_PROJ_TILE; v++)", c->macro);
    emit_line(e, "    ht[v] = %s;", clipped(a, "ht[v]", c->clip_proj));
}

/* A tile's sum acc of the projection as rows of h: times the rows' scales
 * with int8 weights. */
static const char *proj_out(Arena *a, const LowCell *c, const char *acc)
{
    if (c->w_proj.type != WT_INT8)
        return acc;
    return unscale(a, c->proj_simd, acc, arena_printf(a, "%s[t]", c->s_proj.name), "l", NULL);
}

/* Reset before: the second pass's tile t, w_hn (r h) in vectors acc of the
 * tile's units, finishes them: n from its input part (in m), then h in
 * place at ht (no tile reads h in this pass; m holds r h, z, a_n). */
static void emit_gru_finish(Emitter *e, Arena *a, const LowCell *c, const char *acc, const char *m)
{
    const char *M = c->macro;
    emit_line(e, "float a[%s_PROJ_TILE];  /* w_hn (r h), the tile's units */", M);
    emit_line(e, "RT_UNROLL");
    emit_line(e, "for (int l = 0; l < %s_PROJ_VECS; l++)", M);
    emit_line(e, "    %s;", vstore(a, c->proj_simd, "a", "l", proj_out(a, c, acc)));
    emit_open(e, "for (int v = 0; v < %s_PROJ_TILE; v++)", M);
    emit_line(e, "const int u = t * %s_PROJ_TILE + v;  /* the unit */", M);
    emit_line(e, "const float z = %s[%s_HIDDEN + u];", m, M);
    emit_line(e, "/* candidate: its input part plus w_hn (r h) */");
    emit_line(e, "const float n = %s;",
              act_call(a, c->cell_input_act,
                       clipped(a, arena_printf(a, "%s[2 * %s_HIDDEN + u] + a[v]", m, M), c->clip_gates)));
    emit_line(e, "/* hidden state: h = (1 - z) n + z h */");
    emit_line(e, "ht[v] = (1.0f - z) * n + z * ht[v];");
    emit_close(e, "");
}

/* A column of a tile's weights into its accumulators: wn = the column (at
 * wexpr), xn = the input it multiplies (x, broadcast), then
 * acc = wn[l] xn + acc for each of the tile's `vecs` vectors l. */
static void emit_column_fma(Emitter *e, Arena *a, int simd, const LowArray *w, const char *wn, const char *wexpr,
                            const char *xn, const char *x, const char *vecs, const char *acc)
{
    emit_line(e, "const %s *%s = %s;", wtype(w), wn, wexpr);
    emit_line(e, "const %s %s = %s;", vtype(simd), xn, vset1(a, simd, x));
    emit_line(e, "RT_UNROLL");
    emit_line(e, "for (int l = 0; l < %s; l++)", vecs);
    emit_line(e, "    %s = %s;", acc, vfma(a, simd, wload(a, simd, w, wn, "l"), xn, acc));
}

/* m's floats: 3H with reset before (r h, z, a_n), else H. */
static const char *m_floats(Arena *a, const LowCell *c)
{
    return c->reset_before ? arena_printf(a, "3 * %s_HIDDEN", c->macro) : arena_printf(a, "%s_HIDDEN", c->macro);
}

/* ID_projection: h = w_proj m, clipped: a matrix-vector product tile by
 * tile, as the recurrent product of the gates (emit_recur). */
static void emit_projection(Emitter *e, Arena *a, const LowCell *c)
{
    const char *M = c->macro;
    int simd = c->proj_simd;
    if (c->reset_before) {
        emit_line(e, "/* The second pass of %s: w_hn (r h), r h in m, tile by tile as the", c->title);
        emit_line(e, " * recurrent product of the gates, column j to accumulator set j %% PROJ_PSTEPS;");
        emit_line(e, " * then the tile's units of h, from z and the candidate's input part in m. */");
    } else {
        emit_line(e, "/* The projection of %s: h = w_proj m%s, tile by tile: a tile's PROJ_TILE", c->title,
                  c->clip_proj != 0 ? ", clipped" : "");
        emit_line(e, " * rows of h accumulated together, one pass over w_proj[t]; column j to");
        emit_line(e, " * accumulator set j %% PROJ_PSTEPS. */");
    }
    emit_function(e, "static void %s_projection(float h[%s_PROJ], const float m[%s])", c->id, M, m_floats(a, c));
    emit_open(e, "for (int t = 0; t < %s_PROJ_TILES; t++)", M);
    emit_line(e, "const %s *w = &%s[t][0][0];", wtype(&c->w_proj), c->w_proj.name);
    emit_line(e, "float *ht = h + t * %s_PROJ_TILE;  /* the tile's rows of h */", M);
    emit_line(e, "%s acc[%s_PROJ_PSTEPS][%s_PROJ_VECS];", vtype(simd), M, M);
    emit_line(e, "RT_UNROLL");
    emit_open(e, "for (int q = 0; q < %s_PROJ_PSTEPS; q++)", M);
    emit_line(e, "RT_UNROLL");
    emit_line(e, "for (int l = 0; l < %s_PROJ_VECS; l++)", M);
    emit_line(e, "    acc[q][l] = %s;", vset1(a, simd, "0.0f"));
    emit_close(e, "");
    emit_line(e, "RT_NO_UNROLL");
    emit_open(e, "for (int j = 0; j < %s_PROJ_JFULL; j += %s_PROJ_PSTEPS)", M, M);
    emit_line(e, "RT_UNROLL");
    emit_open(e, "for (int q = 0; q < %s_PROJ_PSTEPS; q++)", M);
    const char *vecs = arena_printf(a, "%s_PROJ_VECS", M);
    emit_column_fma(e, a, simd, &c->w_proj, "wj", arena_printf(a, "w + (j + q) * %s_PROJ_TILE", M), "mj", "m[j + q]",
                    vecs, "acc[q][l]");
    emit_close(e, "");
    emit_close(e, "");
    emit_open(e, "for (int j = %s_PROJ_JFULL; j < %s_HIDDEN; j++)", M, M);
    emit_column_fma(e, a, simd, &c->w_proj, "wj", arena_printf(a, "w + j * %s_PROJ_TILE", M), "mj", "m[j]", vecs,
                    "acc[0][l]");
    emit_close(e, "");
    emit_line(e, "RT_UNROLL");
    emit_open(e, "for (int q = 1; q < %s_PROJ_PSTEPS; q++)", M);
    emit_line(e, "RT_UNROLL");
    emit_line(e, "for (int l = 0; l < %s_PROJ_VECS; l++)", M);
    emit_line(e, "    acc[0][l] = %s;", simd ? "rt_vadd(acc[0][l], acc[q][l])" : "acc[0][l] + acc[q][l]");
    emit_close(e, "");
    if (c->reset_before) {
        emit_gru_finish(e, a, c, "acc[0][l]", "m");
    } else {
        emit_line(e, "RT_UNROLL");
        emit_line(e, "for (int l = 0; l < %s_PROJ_VECS; l++)", M);
        emit_line(e, "    %s;", vstore(a, simd, "ht", "l", proj_out(a, c, "acc[0][l]")));
        emit_proj_clip(e, a, c);
    }
    emit_close(e, "");
    emit_close(e, "");
    emit_blank(e);
}

/* One pass of the batched projection over tile t's w_proj for `seqs`
 * sequences (a macro or 1) from b: acc[sequence][vector] in registers. */
static void emit_batch_projection_pass(Emitter *e, Arena *a, const LowModel *lm, const LowCell *c, const char *seqs)
{
    const char *M = c->macro;
    int simd = c->proj_simd, one = strcmp(seqs, "1") == 0;
    const char *Q = one ? "" : "[q]", *B = one ? "b" : "b + (size_t)q";
    emit_line(e, "%s acc%s[%s_PROJ_VECS];", vtype(simd), one ? "" : arena_printf(a, "[%s]", seqs), M);
    open_steps(e, seqs);
    emit_line(e, "RT_UNROLL");
    emit_line(e, "for (int l = 0; l < %s_PROJ_VECS; l++)", M);
    emit_line(e, "    acc%s[l] = %s;", Q, vset1(a, simd, "0.0f"));
    close_steps(e, seqs);
    emit_line(e, "RT_NO_UNROLL");
    emit_open(e, "for (int j = 0; j < %s_HIDDEN; j++)", M);
    emit_line(e, "const %s *wj = w + j * %s_PROJ_TILE;", wtype(&c->w_proj), M);
    emit_line(e, "%s wv[%s_PROJ_VECS];  /* column j, loaded once for every sequence */", vtype(simd), M);
    emit_line(e, "RT_UNROLL");
    emit_line(e, "for (int l = 0; l < %s_PROJ_VECS; l++)", M);
    emit_line(e, "    %s", simd ? arena_printf(a, "RT_VKEEP(wv[l], %s);", wload(a, simd, &c->w_proj, "wj", "l"))
                              : arena_printf(a, "wv[l] = %s;", wload(a, simd, &c->w_proj, "wj", "l")));
    open_steps(e, seqs);
    emit_line(e, "const %s mj = %s;", vtype(simd),
              vset1(a, simd, arena_printf(a, "s[%s].%s[j]", B, fname(lm, lm->m_field))));
    emit_line(e, "RT_UNROLL");
    emit_line(e, "for (int l = 0; l < %s_PROJ_VECS; l++)", M);
    emit_line(e, "    acc%s[l] = %s;", Q, vfma(a, simd, "wv[l]", "mj", arena_printf(a, "acc%s[l]", Q)));
    close_steps(e, seqs);
    emit_close(e, "");
    open_steps(e, seqs);
    emit_line(e, "float *ht = s[%s].%s + t * %s_PROJ_TILE;  /* the tile's rows of its h */", B,
              fname(lm, c->h_field), M);
    if (c->reset_before) {
        emit_gru_finish(e, a, c, arena_printf(a, "acc%s[l]", Q), arena_printf(a, "s[%s].m", B));
    } else {
        emit_line(e, "RT_UNROLL");
        emit_line(e, "for (int l = 0; l < %s_PROJ_VECS; l++)", M);
        emit_line(e, "    %s;", vstore(a, simd, "ht", "l", proj_out(a, c, arena_printf(a, "acc%s[l]", Q))));
        emit_proj_clip(e, a, c);
    }
    close_steps(e, seqs);
    emit_line(e, "b += %s;", seqs);
}

/* ID_batch_projection: the projection of nb sequences, one step each. */
static void emit_batch_projection(Emitter *e, Arena *a, const LowModel *lm, const LowCell *c)
{
    const char *M = c->macro;
    if (c->reset_before)
        emit_line(e, "/* The second pass of %s for nb <= %s_CHUNK sequences (see %s_projection);",
                  c->title, lm->macro, c->id);
    else
        emit_line(e, "/* The projection of %s for nb <= %s_CHUNK sequences: s[b].h = w_proj s[b].m%s;",
                  c->title, lm->macro, c->clip_proj != 0 ? ", clipped" : "");
    emit_line(e, " * one pass over a tile's w_proj serves PROJ_PSTEPS sequences. */");
    emit_function(e, "static void %s_batch_projection(size_t nb, %s_state *s)", c->id, lm->name);
    emit_open(e, "for (int t = 0; t < %s_PROJ_TILES; t++)", M);
    emit_line(e, "const %s *w = &%s[t][0][0];", wtype(&c->w_proj), c->w_proj.name);
    emit_line(e, "size_t b = 0;");
    emit_open(e, "while (b + %s_PROJ_PSTEPS <= nb)", M);
    emit_batch_projection_pass(e, a, lm, c, arena_printf(a, "%s_PROJ_PSTEPS", M));
    emit_close(e, "");
    emit_open(e, "while (b < nb)");
    emit_batch_projection_pass(e, a, lm, c, "1");
    emit_close(e, "");
    emit_close(e, "");
    emit_close(e, "");
    emit_blank(e);
}

/* One pass of the input projection over tile t's w_x (at w) for `steps`
 * steps (a macro or 1) from the rows xu to the rows pu (GATE_ROWS floats
 * apart): acc[step][vector] in registers. */
static void emit_project_pass(Emitter *e, Arena *a, const LowCell *c, const char *steps, const char *xu,
                              const char *pu)
{
    const char *M = c->macro;
    int one = strcmp(steps, "1") == 0;
    const char *Q = one ? "" : "[q]";
    emit_line(e, "const float *xu = %s;", xu);
    emit_line(e, "float *pu = %s;", pu);
    emit_line(e, "%s acc%s[%s_%s];", vtype(c->simd), one ? "" : arena_printf(a, "[%s]", steps), M, in_vecs(c));
    open_steps(e, steps);
    emit_line(e, "RT_UNROLL");
    emit_line(e, "for (int l = 0; l < %s_%s; l++)", M, in_vecs(c));
    if (c->b_tiled.data && c->w_x.type != WT_INT8)
        emit_line(e, "    acc%s[l] = %s;", Q, vload_tile(a, c, arena_printf(a, "%s[t]", c->b_tiled.name), "l"));
    else   /* int8: the bias comes after the scales */
        emit_line(e, "    acc%s[l] = %s;", Q, vset1(a, c->simd, "0.0f"));
    close_steps(e, steps);
    emit_line(e, "RT_NO_UNROLL");
    emit_open(e, "for (int k = 0; k < %s_INPUT; k++)", M);
    emit_line(e, "const %s *wk = w + k * %s_%s;", wtype(&c->w_x), M, in_rows(c));
    emit_line(e, "%s wv[%s_%s];  /* column k, loaded once for every step */", vtype(c->simd), M, in_vecs(c));
    emit_line(e, "RT_UNROLL");
    emit_line(e, "for (int l = 0; l < %s_%s; l++)", M, in_vecs(c));
    emit_line(e, "    %s", c->simd ? arena_printf(a, "RT_VKEEP(wv[l], %s);", wload_tile(a, c, &c->w_x, "wk", "l"))
                                 : arena_printf(a, "wv[l] = %s;", wload(a, c->simd, &c->w_x, "wk", "l")));
    open_steps(e, steps);
    emit_line(e, "const %s xk = %s;", vtype(c->simd),
              vset1(a, c->simd, one ? "xu[k]" : arena_printf(a, "xu[q * %s_INPUT + k]", M)));
    emit_line(e, "RT_UNROLL");
    emit_line(e, "for (int l = 0; l < %s_%s; l++)", M, in_vecs(c));
    emit_line(e, "    acc%s[l] = %s;", Q, vfma(a, c->simd, "wv[l]", "xk", arena_printf(a, "acc%s[l]", Q)));
    close_steps(e, steps);
    emit_close(e, "");
    open_steps(e, steps);
    emit_unpair(e, c, arena_printf(a, "acc%s", Q));
    emit_line(e, "RT_UNROLL");
    emit_line(e, "for (int l = 0; l < %s_%s; l++)", M, in_vecs(c));
    const char *sum = arena_printf(a, "acc%s[l]", Q);
    if (c->w_x.type == WT_INT8)   /* b + s * the sum */
        sum = unscale(a, c->simd, sum, arena_printf(a, "%s[t]", c->s_tiled.name), "l",
                      c->b_tiled.data ? vload(a, c->simd, arena_printf(a, "%s[t]", c->b_tiled.name), "l") : NULL);
    emit_line(e, "    %s;", vstore(a, c->simd, one ? "pu" : arena_printf(a, "(pu + q * %s_GATE_ROWS)", M), "l", sum));
    close_steps(e, steps);
}

/* pre[u] = b + w_x x[u] for n steps: a matrix product, register-tiled. */
static void emit_project(Emitter *e, Arena *a, const LowCell *c)
{
    const char *M = c->macro;
    emit_line(e, "/* Input projection of %s for n <= CHUNK steps (rows of x):", c->title);
    emit_line(e, " * pre[u] = b + w_x x[u], GATE_ROWS floats per step in tile order. One pass");
    emit_line(e, " * over a tile's w_x serves PSTEPS steps, their accumulators in registers. */");
    if (c->threads > 1) {
        emit_line(e, "/* (tiles t_lo .. t_hi - 1 only: a thread's share) */");
        emit_function(e, "static void %s_project(const float *x, size_t n, float *pre, int t_lo, int t_hi)", c->id);
        emit_open(e, "for (int t = t_lo; t < t_hi; t++)");
    } else {
        emit_function(e, "static void %s_project(const float *x, size_t n, float *pre)", c->id);
        emit_open(e, "for (int t = 0; t < %s_TILES; t++)", M);
    }
    emit_line(e, "const %s *w = &%s[t][0][0];", wtype(&c->w_x), c->w_x.name);
    emit_line(e, "size_t u = 0;");
    emit_line(e, "/* PSTEPS steps per pass, then one at a time */");
    const char *xu = arena_printf(a, "x + u * %s_INPUT", M);
    const char *pu = arena_printf(a, "pre + u * %s_GATE_ROWS + t * %s_%s", M, M, in_rows(c));
    emit_open(e, "while (u + %s_PSTEPS <= n)", M);
    emit_project_pass(e, a, c, arena_printf(a, "%s_PSTEPS", M), xu, pu);
    emit_line(e, "u += %s_PSTEPS;", M);
    emit_close(e, "");
    emit_open(e, "while (u < n)");
    emit_project_pass(e, a, c, "1", xu, pu);
    emit_line(e, "u += 1;");
    emit_close(e, "");
    emit_close(e, "");
    emit_close(e, "");
    emit_blank(e);
}

/* With cells_whole, the array of a step's gate rows, gate by gate, before
 * the loop over the tiles. */
static void emit_whole_rows(Emitter *e, const LowCell *c, int whole)
{
    if (!whole)
        return;
    emit_line(e, "float a[%s_GATE_ROWS];  /* the step's gate pre-activations, gate by gate (CELL_ROW) */", c->macro);
    emit_line(e, "(void)hn;  /* the new h goes to h in place */");
    emit_line(e, "RT_UNROLL");
}

/* The gates of the recurrent rows kept apart, for a comment: "candidate,
 * recurrent part". */
static const char *apart_rows(const LowCell *c)
{
    for (int g = 0; g < GATE_COUNT; g++)
        if (c->tile_off[g] >= c->shared_rows)
            return c->gate_word[g];
    return "padding";
}

/* The accumulators acc (of vector l) of a tile's recurrent product at
 * their start: its shared rows from the projected input at pt (int8: zero,
 * pt comes after the scales), the rows after them zero (kept apart); in
 * pair order when paired (pair_bf16: not in the batch kernels). */
static void emit_acc_start(Emitter *e, Arena *a, const LowCell *c, const char *acc, const char *pt, int paired)
{
    const char *M = c->macro;
    int int8 = c->w_h.type == WT_INT8, apart = c->tile_rows > c->shared_rows;
    emit_line(e, "RT_UNROLL");
    emit_line(e, "for (int l = 0; l < %s_%s; l++)", M, apart ? "SHARED_VECS" : "VECS");
    emit_line(e, "    %s = %s;", acc, int8     ? vset1(a, c->simd, "0.0f")
                                   : paired ? vload_tile(a, c, pt, "l") : vload(a, c->simd, pt, "l"));
    if (!apart)
        return;
    emit_line(e, "RT_UNROLL");
    emit_line(e, "for (int l = %s_SHARED_VECS; l < %s_VECS; l++)  /* %s */", M, M, apart_rows(c));
    emit_line(e, "    %s = %s;", acc, vset1(a, c->simd, "0.0f"));
}

/* The sums acc of a tile's recurrent product into its rows a[]: int8, times
 * the rows' scales, plus the projected input at pt in the shared rows. */
static void emit_acc_store(Emitter *e, Arena *a, const LowCell *c, const char *acc, const char *pt)
{
    const char *M = c->macro, *s = arena_printf(a, "%s[t]", c->s_tiled.name);
    int int8 = c->w_h.type == WT_INT8, apart = c->tile_rows > c->shared_rows;
    emit_line(e, "RT_UNROLL");
    if (!int8 || !apart) {
        emit_line(e, "for (int l = 0; l < %s_VECS; l++)", M);
        emit_line(e, "    %s;", vstore(a, c->simd, "a", "l", int8 ? unscale(a, c->simd, acc, s, "l", vload(a, c->simd, pt, "l"))
                                                                 : acc));
        return;
    }
    emit_line(e, "for (int l = 0; l < %s_SHARED_VECS; l++)", M);
    emit_line(e, "    %s;", vstore(a, c->simd, "a", "l", unscale(a, c->simd, acc, s, "l", vload(a, c->simd, pt, "l"))));
    emit_line(e, "RT_UNROLL");
    emit_line(e, "for (int l = %s_SHARED_VECS; l < %s_VECS; l++)", M, M);
    emit_line(e, "    %s;", vstore(a, c->simd, "a", "l", unscale(a, c->simd, acc, s, "l", NULL)));
}

/* The comment beside an alternating tile loop (LowCell.alternate). */
static const char *const alternate_note = "odd steps last to first: first the tiles the step before left in cache";

/* One step from the projected input: the recurrent product and the cell
 * update, tile by tile. fused (ID_step): from the input row x, each tile's
 * projected input computed first, into p (the bits ID_project gives). */
static void emit_recur(Emitter *e, Arena *a, const LowCell *c, int fused)
{
    const char *M = c->macro;
    const char *hdim = c->proj ? "PROJ" : "HIDDEN";
    int whole = c->cells_whole;
    if (fused) {
        emit_line(e, "/* One step of %s from its input row x (INPUT floats), NAME_step's:", c->title);
        emit_line(e, " * each tile's input projection (into p), then its recurrent product and");
        emit_line(e, " * cells, one pass over the tiles; the bits of %s_project then %s_recur.", c->id, c->id);
    } else {
        emit_line(e, "/* One step of %s from its projected input pre (GATE_ROWS floats):", c->title);
        if (c->alternate)
            emit_line(e, " * back, the step's parity: 1 takes the tiles last to first.");
    }
    if (whole) {
        emit_line(e, " * h, c -> the new h, c: every tile's gate rows, then every cell (hn unused). */");
    } else {
        emit_line(e, " * h, c -> the new h, c. %s */",
                  c->reset_before ? "m is scratch (r h, z and a_n for the second pass)."
                  : c->proj       ? "m is scratch (o * act(c), projected into h)."
                                  : "hn is scratch: the new h, copied to h at the end.");
    }
    if (fused) {
        emit_function(e, "static void %s_step(const float x[%s_INPUT], float h[%s_%s], float c[%s_HIDDEN], float %s[%s])",
                      c->id, M, M, hdim, M, c->proj ? "m" : "hn", m_floats(a, c));
        if (c->reset_before)
            emit_line(e, "(void)c;  /* reset before keeps h alone */");
        emit_whole_rows(e, c, whole);
        emit_open(e, "for (int t = 0; t < %s_TILES; t++)", M);
    } else if (c->threads > 1) {
        emit_line(e, "/* (tiles t_lo .. t_hi - 1 only, a thread's share: the new h of their units");
        emit_line(e, " * goes to hn, and nothing is copied to h) */");
        emit_function(e, "static void %s_recur(const float *pre, const float *h, float *c, float *hn, int t_lo, int t_hi%s)",
                      c->id, c->alternate ? ", size_t back" : "");
        if (c->alternate) {
            emit_open(e, "for (int ts = t_lo; ts < t_hi; ts++)");
            emit_line(e, "const int t = back ? t_lo + t_hi - 1 - ts : ts;  /* %s */", alternate_note);
        } else {
            emit_open(e, "for (int t = t_lo; t < t_hi; t++)");
        }
    } else {
        emit_function(e, "static void %s_recur(const float *pre, float h[%s_%s], float c[%s_HIDDEN], float %s[%s]%s)",
                      c->id, M, hdim, M, c->proj ? "m" : "hn", m_floats(a, c), c->alternate ? ", size_t back" : "");
        if (c->reset_before)
            emit_line(e, "(void)c;  /* reset before keeps h alone */");
        emit_whole_rows(e, c, whole);
        if (c->alternate) {
            emit_open(e, "for (int ts = 0; ts < %s_TILES; ts++)", M);
            emit_line(e, "const int t = back ? %s_TILES - 1 - ts : ts;  /* %s */", M, alternate_note);
        } else {
            emit_open(e, "for (int t = 0; t < %s_TILES; t++)", M);
        }
    }
    if (fused) {
        emit_line(e, "float p[%s_%s];  /* the tile's projected input */", M, in_rows(c));
        emit_line(e, "{  /* the pass's own acc */");
        e->indent++;
        emit_line(e, "const %s *w = &%s[t][0][0];", wtype(&c->w_x), c->w_x.name);
        emit_project_pass(e, a, c, "1", "x", "p");
        emit_close(e, "");
    }
    emit_line(e, "const %s *w = &%s[t][0][0];", wtype(&c->w_h), c->w_h.name);
    if (!whole)
        emit_line(e, "float a[%s_TILE_ROWS];  /* the tile's gate pre-activations */", M);
    emit_line(e, "%s acc[%s_KSPLIT][%s_VECS];", vtype(c->simd), M, M);
    if (c->tile_rows > c->shared_rows) {
        emit_line(e, "/* gates of the tile: a = pre + w_h h (the shared rows; the rest w_h h alone),");
        emit_line(e, " * its rows accumulated together, one pass over w_h[t]; column k to");
        emit_line(e, " * accumulator set k %% KSPLIT */");
    } else {
        emit_line(e, "/* gates of the tile: a = pre + w_h h, its rows accumulated together,");
        emit_line(e, " * one pass over w_h[t]; column k to accumulator set k %% KSPLIT */");
    }
    if (fused)
        emit_line(e, "const float *pt = p;");
    else
        emit_line(e, "const float *pt = pre + t * %s_%s;  /* the tile's projected input */", M, in_rows(c));
    emit_acc_start(e, a, c, "acc[0][l]", "pt", 1);
    emit_line(e, "RT_UNROLL");
    emit_open(e, "for (int q = 1; q < %s_KSPLIT; q++)", M);
    emit_line(e, "RT_UNROLL");
    emit_line(e, "for (int l = 0; l < %s_VECS; l++)", M);
    emit_line(e, "    acc[q][l] = %s;", vset1(a, c->simd, "0.0f"));
    emit_close(e, "");
    emit_line(e, "RT_NO_UNROLL");
    emit_open(e, "for (int k = 0; k < %s_KFULL; k += %s_KSPLIT)", M, M);
    emit_line(e, "RT_UNROLL");
    emit_open(e, "for (int q = 0; q < %s_KSPLIT; q++)", M);
    emit_line(e, "const %s *wk = w + (k + q) * %s_TILE_ROWS;", wtype(&c->w_h), M);
    emit_line(e, "const %s hk = %s;", vtype(c->simd), vset1(a, c->simd, "h[k + q]"));
    emit_line(e, "RT_UNROLL");
    emit_line(e, "for (int l = 0; l < %s_VECS; l++)", M);
    emit_line(e, "    acc[q][l] = %s;", vfma(a, c->simd, wload_tile(a, c, &c->w_h, "wk", "l"), "hk", "acc[q][l]"));
    emit_close(e, "");
    emit_close(e, "");
    emit_open(e, "for (int k = %s_KFULL; k < %s_%s; k++)", M, M, hdim);
    emit_line(e, "const %s *wk = w + k * %s_TILE_ROWS;", wtype(&c->w_h), M);
    emit_line(e, "const %s hk = %s;", vtype(c->simd), vset1(a, c->simd, "h[k]"));
    emit_line(e, "RT_UNROLL");
    emit_line(e, "for (int l = 0; l < %s_VECS; l++)", M);
    emit_line(e, "    acc[0][l] = %s;", vfma(a, c->simd, wload_tile(a, c, &c->w_h, "wk", "l"), "hk", "acc[0][l]"));
    emit_close(e, "");
    emit_line(e, "RT_UNROLL");
    emit_open(e, "for (int q = 1; q < %s_KSPLIT; q++)", M);
    emit_line(e, "RT_UNROLL");
    emit_line(e, "for (int l = 0; l < %s_VECS; l++)", M);
    emit_line(e, "    acc[0][l] = %s;", c->simd ? "rt_vadd(acc[0][l], acc[q][l])" : "acc[0][l] + acc[q][l]");
    emit_close(e, "");
    emit_unpair(e, c, "acc[0]");
    if (whole) {   /* vector l: rows l * VL .. of the tile, within one gate (VL divides TILE) */
        const char *sum = c->w_h.type == WT_INT8
                              ? unscale(a, c->simd, "acc[0][l]", arena_printf(a, "%s[t]", c->s_tiled.name), "l",
                                        vload(a, c->simd, "pt", "l"))
                              : "acc[0][l]";
        emit_line(e, "RT_UNROLL");
        emit_line(e, "for (int l = 0; l < %s_VECS; l++)", M);
        emit_line(e, "    %s;", c->simd ? arena_printf(a, "rt_vstore(a + t * %s_TILE + %s_CELL_ROW(l * RT_VL), %s)", M, M, sum)
                                        : arena_printf(a, "a[t * %s_TILE + %s_CELL_ROW(l)] = %s", M, M, sum));
    } else {
        emit_acc_store(e, a, c, "acc[0][l]", "pt");
        emit_cells(e, a, c, 0);
    }
    emit_close(e, "");
    if (whole) {
        emit_cells(e, a, c, 1);
    } else if (c->threads > 1) {
    } else if (c->proj) {
        emit_line(e, "%s_projection(h, m);  /* %s */", c->id,
                  c->reset_before ? "the second pass: the new h" : "h = w_proj m");
    } else {
        emit_line(e, "/* the new h, now that no tile reads the old one */");
        emit_line(e, "memcpy(h, hn, sizeof(float) * %s_HIDDEN);", M);
    }
    emit_close(e, "");
    emit_blank(e);
}

/* RT_UNROLL, then BODY for each of the tile's M_WHAT lanes l (a line each). */
static void emit_lanes(Emitter *e, const char *M, const char *what, const char *body)
{
    emit_line(e, "RT_UNROLL");
    emit_line(e, "for (int l = 0; l < %s_%s; l++)", M, what);
    emit_line(e, "    %s", body);
}

/* products int8 (lower.h): one step from the projected input, h quantized
 * once, then tile by tile the integer recurrent product, its rows in
 * float, and the cells. */
static void emit_recur_int8(Emitter *e, Arena *a, const LowCell *c)
{
    const char *M = c->macro;
    int simd = c->simd;
    emit_line(e, "/* One step of %s from its projected input pre (GATE_ROWS floats):", c->title);
    emit_line(e, " * h, c -> the new h, c, with products int8: h as bytes hq = q + 128, each tile");
    emit_line(e, " * row's sum of hq * w in int32 from h_corr (so, the sum of q * w), rounded to");
    emit_line(e, " * float, times h_factor, plus pre. hn is scratch: the new h, copied to h. */");
    emit_function(e, "static void %s_recur(const float *pre, float h[%s_HIDDEN], float c[%s_HIDDEN], float hn[%s_HIDDEN])",
                  c->id, M, M, M);
    emit_line(e, "uint8_t hq[%s_HQ_COLS];", M);
    if (simd) {
        emit_line(e, "int k0 = 0;");
        emit_line(e, "for (; k0 + RT_VL <= %s_HIDDEN; k0 += RT_VL)", M);
        emit_line(e, "    rt_vh_code(h + k0, hq + k0);");
        emit_line(e, "for (int k = k0; k < %s_HIDDEN; k++)", M);
    } else {
        emit_line(e, "for (int k = 0; k < %s_HIDDEN; k++)", M);
    }
    emit_line(e, "    hq[k] = rt_h_code(h[k]);");
    if (c->hq_cols > c->recurrent) {
        emit_line(e, "for (int k = %s_HIDDEN; k < %s_HQ_COLS; k++)", M, M);
        emit_line(e, "    hq[k] = 128;  /* q = 0 (their weights are zeros) */");
    }
    emit_open(e, "for (int t = 0; t < %s_TILES; t++)", M);
    emit_line(e, "const int8_t *w = &%s[t][0][0];", c->w_h.name);
    emit_line(e, "const float *pt = pre + t * %s_TILE_ROWS;  /* the tile's projected input */", M);
    emit_line(e, "float a[%s_TILE_ROWS];  /* the tile's gate pre-activations */", M);
    emit_line(e, "int32_t sums[%s_TILE_ROWS];", M);
    const char *dot = simd ? "acc[q][l] = rt_idot4(acc[q][l], hk, wk + l * 4 * RT_IVL);"
                           : "acc[q][l] += hk[0] * wk[4 * l] + hk[1] * wk[4 * l + 1] + hk[2] * wk[4 * l + 2] + "
                             "hk[3] * wk[4 * l + 3];";
    emit_line(e, "%s acc[%s_ISPLIT][%s_IVECS];", simd ? "rt_ivec" : "int32_t", M, M);
    const char *corr = simd ? arena_printf(a, "rt_ivload(&%s[t][l * RT_IVL])", c->h_corr.name)
                            : arena_printf(a, "%s[t][l]", c->h_corr.name);
    emit_lanes(e, M, "IVECS", arena_printf(a, "acc[0][l] = %s;", corr));
    emit_line(e, "RT_UNROLL");
    emit_open(e, "for (int q = 1; q < %s_ISPLIT; q++)", M);
    emit_lanes(e, M, "IVECS", simd ? "acc[q][l] = rt_ivzero();" : "acc[q][l] = 0;");
    emit_close(e, "");
    emit_line(e, "RT_NO_UNROLL");
    emit_open(e, "for (int k = 0; k < %s_IKFULL; k += 4 * %s_ISPLIT)", M, M);
    emit_line(e, "RT_UNROLL");
    emit_open(e, "for (int q = 0; q < %s_ISPLIT; q++)", M);
    emit_line(e, "const int8_t *wk = w + (k + 4 * q) * %s_TILE_ROWS;  /* columns k + 4q .. k + 4q + 3 */", M);
    emit_line(e, "const uint8_t *hk = hq + k + 4 * q;");
    emit_lanes(e, M, "IVECS", dot);
    emit_close(e, "");
    emit_close(e, "");
    emit_open(e, "for (int k = %s_IKFULL; k < %s_HQ_COLS; k += 4)", M, M);
    emit_line(e, "const int q = 0;");
    emit_line(e, "const int8_t *wk = w + k * %s_TILE_ROWS;", M);
    emit_line(e, "const uint8_t *hk = hq + k;");
    emit_lanes(e, M, "IVECS", dot);
    emit_close(e, "");
    emit_line(e, "RT_UNROLL");
    emit_open(e, "for (int q = 1; q < %s_ISPLIT; q++)", M);
    emit_lanes(e, M, "IVECS", simd ? "acc[0][l] = rt_ivadd(acc[0][l], acc[q][l]);"
                                   : "acc[0][l] = acc[0][l] + acc[q][l];");
    emit_close(e, "");
    emit_lanes(e, M, "IVECS", simd ? "rt_ivstore(sums + l * RT_IVL, acc[0][l]);" : "sums[l] = acc[0][l];");
    emit_line(e, "RT_UNROLL");
    emit_line(e, "for (int l = 0; l < %s_VECS; l++)", M);
    const char *f = arena_printf(a, "%s[t]", c->h_factor.name);
    emit_line(e, "    %s;", simd ? arena_printf(a, "rt_vstore(a + l * RT_VL, rt_vfma(rt_vload_i32(sums + l * RT_VL), "
                                                   "rt_vload(%s + l * RT_VL), rt_vload(pt + l * RT_VL)))", f)
                             : arena_printf(a, "a[l] = (float)sums[l] * %s[l] + pt[l]", f));
    emit_cells(e, a, c, 0);
    emit_close(e, "");
    emit_line(e, "/* the new h, now that no tile reads the old one */");
    emit_line(e, "memcpy(h, hn, sizeof(float) * %s_HIDDEN);", M);
    emit_close(e, "");
    emit_blank(e);
}

/* The threaded form of cell_run: each thread's share, and the entry that
 * hands the other threads their shares. */
static void emit_cell_run_threads(Emitter *e, Arena *a, const LowModel *lm, const LowCell *c, int index)
{
    const char *M = c->macro, *N = lm->name, *NM = lm->macro;
    (void)a;
    emit_line(e, "/* %s over n steps, thread w of nw's share: tiles [w*TILES/nw, (w+1)*TILES/nw),", c->title);
    emit_line(e, " * their units of c, of the new h and of each out row. h and m take turns as");
    emit_line(e, " * the old and the new h, so the threads meet once per step (the barrier);");
    emit_line(e, " * after an odd n the last h is in m. pre: CHUNK x GATE_ROWS scratch, each");
    emit_line(e, " * thread using its tiles' columns. */");
    emit_line(e, "static void %s_run_part(const float *x, size_t n, float *out, size_t out_stride, float *h,", c->id);
    emit_function(e, "    float *c, float *pre, float *m, int w, int nw, %s_threads *pool)", N);
    emit_line(e, "const int t_lo = w * %s_TILES / nw, t_hi = (w + 1) * %s_TILES / nw;", M, M);
    emit_line(e, "const int j_lo = t_lo * %s_TILE, j_hi = t_hi * %s_TILE;  /* its units */", M, M);
    if (!c->rows_out) {
        emit_line(e, "(void)out;  /* no rows: only the last step's h is read, from h */");
        emit_line(e, "(void)out_stride;");
    }
    emit_line(e, "float *hin = h, *hout = m;");
    emit_open(e, "for (size_t t0 = 0; t0 < n; t0 += %s_CHUNK)", NM);
    emit_line(e, "const size_t cn = n - t0 < %s_CHUNK ? n - t0 : %s_CHUNK;  /* steps in this chunk */", NM, NM);
    emit_line(e, "%s_project(x + t0 * %s_INPUT, cn, pre, t_lo, t_hi);", c->id, M);
    emit_open(e, "for (size_t u = 0; u < cn; u++)");
    emit_line(e, "float *swap = hin;");
    emit_line(e, "%s_recur(pre + u * %s_GATE_ROWS, hin, c, hout, t_lo, t_hi%s);", c->id, M, c->alternate ? ", u % 2" : "");
    if (c->rows_out)
        emit_line(e, "memcpy(out + (t0 + u) * out_stride + j_lo, hout + j_lo, sizeof(float) * (size_t)(j_hi - j_lo));");
    emit_line(e, "if (nw > 1)");
    emit_line(e, "    %s_barrier(pool);  /* every unit's new h is written */", N);
    emit_line(e, "hin = hout;");
    emit_line(e, "hout = swap;");
    emit_close(e, "");
    emit_close(e, "");
    emit_close(e, "");
    emit_blank(e);
    emit_line(e, "/* %s over n steps: with the threads of s->threads when they run. */", c->title);
    emit_function(e, "static void %s_run(%s_state *s, const float *x, size_t n, float *out, size_t out_stride)", c->id, N);
    emit_line(e, "%s_threads *p = s->threads;", N);
    emit_line(e, "const int nw = p && p->started ? %s_THREADS : 1;", NM);
    emit_open(e, "if (nw > 1)");
    emit_line(e, "/* the job, then its number: the workers wait for the number to change */");
    emit_line(e, "p->state = s;");
    emit_line(e, "p->cell = %d;", index);
    emit_line(e, "p->x = x;");
    emit_line(e, "p->n = n;");
    emit_line(e, "p->out = out;");
    emit_line(e, "p->out_stride = out_stride;");
    emit_line(e, "__atomic_fetch_add(&p->job, 1, __ATOMIC_SEQ_CST);");
    emit_close(e, "");
    emit_line(e, "%s_run_part(x, n, out, out_stride, s->%s, s->%s, s->gates, s->m, 0, nw, p);", c->id,
              fname(lm, c->h_field), fname(lm, c->c_field));
    emit_line(e, "if (n %% 2 == 1)");
    emit_line(e, "    memcpy(s->%s, s->m, sizeof(float) * %s_HIDDEN);  /* the last new h was in m */",
              fname(lm, c->h_field), M);
    emit_close(e, "");
    emit_blank(e);
}

/* One pass of the batched recurrence over tile t's w_h for `seqs`
 * sequences (a macro or 1) from b: acc[sequence][vector] in registers. */
static void emit_batch_pass(Emitter *e, Arena *a, const LowModel *lm, const LowCell *c, const char *seqs)
{
    const char *M = c->macro;
    const char *hdim = c->proj ? "PROJ" : "HIDDEN";
    int one = strcmp(seqs, "1") == 0;
    const char *Q = one ? "" : "[q]", *B = one ? "b" : "b + (size_t)q", *PB = one ? "b" : "(b + (size_t)q)";
    emit_line(e, "%s acc%s[%s_VECS];", vtype(c->simd), one ? "" : arena_printf(a, "[%s]", seqs), M);
    open_steps(e, seqs);
    const char *pre = arena_printf(a, "(pre + %s * %s_GATE_ROWS + t * %s_%s)", PB, M, M, in_rows(c));
    emit_acc_start(e, a, c, arena_printf(a, "acc%s[l]", Q), pre, 0);   /* (no pairs in batch kernels) */
    close_steps(e, seqs);
    emit_line(e, "RT_NO_UNROLL");
    emit_open(e, "for (int k = 0; k < %s_%s; k++)", M, hdim);
    emit_line(e, "const %s *wk = w + k * %s_TILE_ROWS;", wtype(&c->w_h), M);
    emit_line(e, "%s wv[%s_VECS];  /* column k, loaded once for every sequence */", vtype(c->simd), M);
    emit_line(e, "RT_UNROLL");
    emit_line(e, "for (int l = 0; l < %s_VECS; l++)", M);
    emit_line(e, "    %s", c->simd ? arena_printf(a, "RT_VKEEP(wv[l], %s);", wload(a, c->simd, &c->w_h, "wk", "l"))
                                 : arena_printf(a, "wv[l] = %s;", wload(a, c->simd, &c->w_h, "wk", "l")));
    open_steps(e, seqs);
    emit_line(e, "const %s hk = %s;", vtype(c->simd), vset1(a, c->simd, arena_printf(a, "s[%s].%s[k]", B, fname(lm, c->h_field))));
    emit_line(e, "RT_UNROLL");
    emit_line(e, "for (int l = 0; l < %s_VECS; l++)", M);
    emit_line(e, "    acc%s[l] = %s;", Q, vfma(a, c->simd, "wv[l]", "hk", arena_printf(a, "acc%s[l]", Q)));
    close_steps(e, seqs);
    emit_close(e, "");
    open_steps(e, seqs);
    emit_line(e, "float a[%s_TILE_ROWS];  /* the tile's gate pre-activations, sequence %s */", M,
              one ? "b" : "b + q");
    if (c->reset_before)   /* (c unused: h alone) */
        emit_line(e, "const float *h = s[%s].%s;", B, fname(lm, c->h_field));
    else
        emit_line(e, "float *c = s[%s].%s;", B, fname(lm, c->c_field));
    emit_line(e, "float *%s = s[%s].m;", c->proj ? "m" : "hn", B);
    if (c->reads_pre) {
        emit_line(e, "const float *pt = %s;  /* the tile's projected input */", pre);
        pre = "pt";
    }
    emit_acc_store(e, a, c, arena_printf(a, "acc%s[l]", Q), pre);
    emit_cells(e, a, c, 0);
    close_steps(e, seqs);
    emit_line(e, "b += %s;", seqs);
}

/* ID_batch_recur: the recurrence of nb sequences, one step each. */
static void emit_batch_recur(Emitter *e, Arena *a, const LowModel *lm, const LowCell *c)
{
    const char *M = c->macro;
    if (c->products_int8) {   /* (h quantized per sequence: one sequence at a time) */
        emit_line(e, "/* %s, the recurrence of nb <= %s_CHUNK sequences from their projected", c->title, lm->macro);
        emit_line(e, " * inputs pre (rows of GATE_ROWS floats), one after the other (%s_recur);", c->id);
        emit_line(e, " * sequence b's state is s[b], its new h in s[b].h and s[b].m. */");
        emit_function(e, "static void %s_batch_recur(const float *pre, size_t nb, %s_state *s)", c->id, lm->name);
        emit_line(e, "for (size_t b = 0; b < nb; b++)");
        emit_line(e, "    %s_recur(pre + b * %s_GATE_ROWS, s[b].%s, s[b].%s, s[b].m);", c->id, M,
                  fname(lm, c->h_field), fname(lm, c->c_field));
        emit_close(e, "");
        emit_blank(e);
        return;
    }
    emit_line(e, "/* %s, the recurrence of nb <= %s_CHUNK sequences from their projected", c->title, lm->macro);
    emit_line(e, " * inputs pre (rows of GATE_ROWS floats): gates = pre + w_h h and the cell");
    /* (sequences per pass: as many as the recurrent product's accumulator sets) */
    const char *steps = split_rows(c) ? "KSPLIT" : "PSTEPS";
    emit_line(e, " * update, tile by tile; one pass over a tile's w_h serves %s sequences.", steps);
    emit_line(e, " * Sequence b's state is s[b]; its new h goes to s[b].m. */");
    emit_function(e, "static void %s_batch_recur(const float *pre, size_t nb, %s_state *s)", c->id, lm->name);
    emit_open(e, "for (int t = 0; t < %s_TILES; t++)", M);
    emit_line(e, "const %s *w = &%s[t][0][0];", wtype(&c->w_h), c->w_h.name);
    emit_line(e, "size_t b = 0;");
    emit_open(e, "while (b + %s_%s <= nb)", M, steps);
    emit_batch_pass(e, a, lm, c, arena_printf(a, "%s_%s", M, steps));
    emit_close(e, "");
    emit_open(e, "while (b < nb)");
    emit_batch_pass(e, a, lm, c, "1");
    emit_close(e, "");
    emit_close(e, "");
    emit_close(e, "");
    emit_blank(e);
}

static void emit_func(Emitter *e, Arena *a, const LowModel *lm, const LowFunc *f);

/* The arrays, defines and functions of one layer-direction. */
static void emit_cell(Emitter *e, Arena *a, const LowModel *lm, const LowCell *c)
{
    int k = (int)(c - lm->cells);
    emit_cell_defines(e, c);
    emit_array(e, &c->w_x);
    emit_array(e, &c->w_h);
    emit_array(e, &c->b_tiled);
    emit_array(e, &c->b_hn);
    emit_array(e, &c->s_tiled);
    emit_array(e, &c->h_factor);
    emit_ints(e, &c->h_corr);
    for (int g = 0; g < GATE_COUNT; g++)
        emit_array(e, &c->peep[g]);
    emit_array(e, &c->w_proj);
    emit_array(e, &c->s_proj);
    emit_array(e, &c->h0);
    emit_array(e, &c->c0);
    if (c->proj)
        emit_projection(e, a, c);
    emit_project(e, a, c);
    if (c->products_int8)
        emit_recur_int8(e, a, c);
    else
        emit_recur(e, a, c, 0);
    if (c->step_kernel)
        emit_recur(e, a, c, 1);
    if (c->threads > 1)
        emit_cell_run_threads(e, a, lm, c, k);
    else
        emit_func(e, a, lm, &lm->cell_run[k]);
    if (lm->streaming) {
        emit_batch_recur(e, a, lm, c);
        if (c->proj)
            emit_batch_projection(e, a, lm, c);
        emit_func(e, a, lm, &lm->cell_batch[k]);
    }
}

/* ---- a dense layer ---- */

static void emit_dense(Emitter *e, Arena *a, const LowDense *d)
{
    const char *M = d->macro;
    int simd = d->simd;
    emit_line(e, "/* ---- %s ---- */", d->title);
    emit_blank(e);
    emit_line(e, "#define %s_INPUT %d", M, d->input);
    emit_line(e, "#define %s_UNITS %d", M, d->units);
    emit_line(e, "#define %s_TILE  %d  /* units per tile%s */", M, d->tile,
              d->tile * d->tiles > d->units ? " (the last tile's past UNITS are zeros)" : "");
    emit_line(e, "#define %s_TILES %d", M, d->tiles);
    if (simd)
        emit_line(e, "#define %s_VECS  (%s_TILE / RT_VL)  /* its accumulators: vectors of RT_VL floats */", M, M);
    else
        emit_line(e, "#define %s_VECS  %s_TILE  /* its accumulators: plain floats */", M, M);
    emit_blank(e);
    emit_array(e, &d->w);
    emit_array(e, &d->b);
    emit_array(e, &d->s);
    const char *vector_act = lower_vector_act_function(d->act);
    emit_line(e, "/* %s: y = %s(w x%s), tile by tile: a tile's TILE units accumulated", d->title,
              act_name(a, d->act), d->b.data ? " + b" : "");
    emit_line(e, " * together, input k into each (in k order), one pass over w[t] */");
    emit_function(e, "static void %s_forward(const float x[%s_INPUT], float y[%s_UNITS])", d->id, M, M);
    emit_open(e, "for (int t = 0; t < %s_TILES; t++)", M);
    emit_line(e, "const %s *w = &%s[t][0][0];", wtype(&d->w), d->w.name);
    emit_line(e, "%s acc[%s_VECS];", vtype(simd), M);
    emit_line(e, "float a[%s_TILE];", M);
    /* int8: the sum starts at 0, then b + s * sum */
    const char *init = d->b.data && d->w.type != WT_INT8 ? arena_printf(a, "%s[t]", d->b.name) : NULL;
    emit_line(e, "RT_UNROLL");
    emit_line(e, "for (int l = 0; l < %s_VECS; l++)", M);
    emit_line(e, "    acc[l] = %s;", init ? vload(a, simd, init, "l") : vset1(a, simd, "0.0f"));
    emit_line(e, "RT_NO_UNROLL");
    emit_open(e, "for (int k = 0; k < %s_INPUT; k++)", M);
    emit_column_fma(e, a, simd, &d->w, "wk", arena_printf(a, "w + k * %s_TILE", M), "xk", "x[k]",
                    arena_printf(a, "%s_VECS", M), "acc[l]");
    emit_close(e, "");
    const char *out = "acc[l]";
    if (d->w.type == WT_INT8)
        out = unscale(a, simd, out, arena_printf(a, "%s[t]", d->s.name), "l",
                      d->b.data ? vload(a, simd, arena_printf(a, "%s[t]", d->b.name), "l") : NULL);
    emit_line(e, "RT_UNROLL");
    emit_line(e, "for (int l = 0; l < %s_VECS; l++)", M);
    emit_line(e, "    %s;", vstore(a, simd, "a", "l", out));
    emit_line(e, "for (int v = 0; v < %s_TILE && t * %s_TILE + v < %s_UNITS; v++)", M, M, M);
    emit_line(e, "    y[t * %s_TILE + v] = %s;", M, vector_act ? "a[v]" : act_call(a, d->act, "a[v]"));
    emit_close(e, "");
    if (vector_act)
        emit_line(e, "%s(y, %s_UNITS);", vector_act, M);
    emit_close(e, "");
    emit_blank(e);
}

/* ---- control code (lower_api.c's statements) ---- */

/*
 * An expression as C, in parentheses when its operator binds less tightly
 * than `allowed` (1 a primary, 2 * and %, 3 + and -, 4 ?:). Operators are
 * left-associative, so a right operand must bind more tightly.
 */
static const char *expr_c(Arena *a, const LowExpr *e, int allowed)
{
    const char *t;
    int prec;
    switch (e->kind) {
    case LX_CONST: return e->name ? e->name : arena_printf(a, "%ld", e->value);
    case LX_VAR:   return e->name;
    case LX_MUL:
    case LX_MOD:
        prec = 2;
        t = arena_printf(a, "%s %s %s", expr_c(a, e->a, 2), e->kind == LX_MUL ? "*" : "%", expr_c(a, e->b, 1));
        break;
    case LX_ADD:
    case LX_SUB:
        prec = 3;
        t = arena_printf(a, "%s %s %s", expr_c(a, e->a, 3), e->kind == LX_ADD ? "+" : "-", expr_c(a, e->b, 2));
        break;
    case LX_MIN:
    default:
        prec = 4;
        t = arena_printf(a, "%s < %s ? %s : %s", expr_c(a, e->a, 3), expr_c(a, e->b, 3), expr_c(a, e->a, 3),
                         expr_c(a, e->b, 3));
        break;
    }
    return prec > allowed ? arena_printf(a, "(%s)", t) : t;
}

/* A pointer as C: base + offset (a difference in parentheses). */
static const char *ptr_c(Arena *a, const LowModel *lm, const LowPtr *p)
{
    const char *base;
    switch (p->kind) {
    case LP_VAR:
        base = p->var;
        break;
    case LP_FIELD:
        base = p->elem ? arena_printf(a, "%s[%s].%s", p->var, expr_c(a, p->elem, 4), fname(lm, p->field))
                       : arena_printf(a, "%s->%s", p->var, fname(lm, p->field));
        break;
    case LP_ARRAY:
        base = p->array->name;
        break;
    case LP_NULL:
    default:
        return "NULL";
    }
    if (!p->offset || (p->offset->kind == LX_CONST && p->offset->value == 0))
        return base;
    return arena_printf(a, "%s + %s", base, expr_c(a, p->offset, p->offset->kind == LX_SUB ? 2 : 3));
}

/* The C function a call names. */
static const char *callee_c(Arena *a, const LowModel *lm, const LowStmt *s)
{
    const LowCell *c = &lm->cells[s->index];
    switch (s->callee) {
    case CALLEE_CELL_PROJECT:      return arena_printf(a, "%s_project", c->id);
    case CALLEE_CELL_RECUR:        return arena_printf(a, "%s_recur", c->id);
    case CALLEE_CELL_STEP:         return arena_printf(a, "%s_step", c->id);
    case CALLEE_CELL_PROJECTION:   return arena_printf(a, "%s_projection", c->id);
    case CALLEE_CELL_BATCH_RECUR:  return arena_printf(a, "%s_batch_recur", c->id);
    case CALLEE_CELL_BATCH_PROJECTION: return arena_printf(a, "%s_batch_projection", c->id);
    case CALLEE_CELL_RUN:          return lm->cell_run[s->index].name;
    case CALLEE_CELL_BATCH:        return lm->cell_batch[s->index].name;
    case CALLEE_DENSE:             return arena_printf(a, "%s_forward", lm->layers[s->index].dense.id);
    case CALLEE_MODEL_RESET:       return lm->reset.name;
    case CALLEE_MODEL_RUN:         return lm->run.name;
    case CALLEE_MODEL_RUN_FROM:    return lm->run_from.name;
    case CALLEE_RUNTIME:           return s->fn;
    }
    return "?";
}

enum { LINE_MAX_COLS = 110 };

/* "stmt;" with its comment beside it, or above it when that line would be
 * too long. */
static void emit_commented(Emitter *e, const char *text, const char *comment)
{
    if (!comment)
        emit_line(e, "%s", text);
    else if (4 * e->indent + strlen(text) + strlen(comment) + 6 > LINE_MAX_COLS) {
        emit_line(e, "/* %s */", comment);
        emit_line(e, "%s", text);
    } else {
        emit_line(e, "%s  /* %s */", text, comment);
    }
}

static void emit_block(Emitter *e, Arena *a, const LowModel *lm, const LowBlock *b);

static void emit_stmt(Emitter *e, Arena *a, const LowModel *lm, const LowStmt *s)
{
    switch (s->kind) {
    case LS_LET:
        emit_commented(e, arena_printf(a, "const size_t %s = %s;", s->var, expr_c(a, s->expr, 4)), s->comment);
        break;
    case LS_LET_STATE:
        emit_commented(e, arena_printf(a, "%s_state *%s = %s + %s;", lm->name, s->var, s->dst.var,
                                       expr_c(a, s->expr, 3)), s->comment);
        break;
    case LS_FOR: {
        const char *v = s->var;
        const char *step = s->step->kind == LX_CONST && s->step->value == 1
            ? arena_printf(a, "%s++", v) : arena_printf(a, "%s += %s", v, expr_c(a, s->step, 4));
        const char *head = arena_printf(a, "for (size_t %s = %s; %s < %s; %s)", v, expr_c(a, s->expr, 4), v,
                                        expr_c(a, s->to, 4), step);
        /* one simple statement: no braces, the comment beside the loop */
        if (s->body->n == 1 && s->body->s[0].kind != LS_FOR && s->body->s[0].kind != LS_LET &&
            s->body->s[0].kind != LS_LET_STATE && !s->body->s[0].comment) {
            emit_commented(e, head, s->comment);
            e->indent++;
            emit_stmt(e, a, lm, &s->body->s[0]);
            e->indent--;
            break;
        }
        if (s->comment)
            emit_line(e, "/* %s */", s->comment);
        emit_open(e, "%s", head);
        emit_block(e, a, lm, s->body);
        emit_close(e, "");
        break;
    }
    case LS_RETURN_IF_ZERO:
        emit_line(e, "if (%s == 0)", expr_c(a, s->expr, 4));
        emit_line(e, "    return;");
        break;
    case LS_WAIT:
    case LS_JOIN:
        emit_commented(e, arena_printf(a, "%s_job_%s(&%s);", lm->name, s->kind == LS_WAIT ? "wait" : "join", s->var),
                       s->comment);
        break;
    case LS_SPAWN:
    case LS_POST:
    case LS_CALL: {
        const char *args = "";
        for (int k = 0; k < s->nargs; k++) {
            const LowArg *g = &s->args[k];
            args = arena_printf(a, "%s%s%s", args, k ? ", " : "",
                                g->is_ptr ? ptr_c(a, lm, &g->ptr) : expr_c(a, g->expr, 4));
        }
        if (s->kind == LS_SPAWN)
            emit_line(e, "%s_job %s;", lm->name, s->var);
        if (s->kind != LS_CALL) {
            emit_commented(e, arena_printf(a, "%s_job_%s(&%s, %s, %s);", lm->name, s->kind == LS_SPAWN ? "start" : "post",
                                           s->var, callee_c(a, lm, s), args), s->comment);
            break;
        }
        /* a threaded cell's kernels take the range of tiles to run */
        if (s->callee == CALLEE_CELL_PROJECT && lm->cells[s->index].threads > 1)
            args = arena_printf(a, "%s, 0, %s_TILES", args, lm->cells[s->index].macro);
        emit_commented(e, arena_printf(a, "%s(%s);", callee_c(a, lm, s), args), s->comment);
        break;
    }
    case LS_COPY:
        emit_commented(e, arena_printf(a, "memcpy(%s, %s, sizeof(float) * %s);", ptr_c(a, lm, &s->dst),
                                       ptr_c(a, lm, &s->src), expr_c(a, s->n, 2)), s->comment);
        break;
    case LS_ZERO_STATE:
        /* h and c come first in the struct: zero up to the first scratch field */
        if (s->index >= 0)
            emit_line(e, "memset(%s, 0, offsetof(%s_state, %s));  /* h and c of every layer */", s->dst.var,
                      lm->name, fname(lm, s->index));
        else if (lm->threads > 1)
            emit_line(e, "memset(%s, 0, offsetof(%s_state, threads));  /* everything but the threads */",
                      s->dst.var, lm->name);
        else
            emit_line(e, "memset(%s, 0, sizeof *%s);", s->dst.var, s->dst.var);
        break;
    }
}

static void emit_block(Emitter *e, Arena *a, const LowModel *lm, const LowBlock *b)
{
    for (int k = 0; k < b->n; k++)
        emit_stmt(e, a, lm, &b->s[k]);
}

/* Whether name is read anywhere in an expression, pointer or block. */
static int expr_uses(const LowExpr *x, const char *name)
{
    if (!x)
        return 0;
    if (x->kind == LX_VAR)
        return strcmp(x->name, name) == 0;
    return x->kind != LX_CONST && (expr_uses(x->a, name) || expr_uses(x->b, name));
}

static int ptr_uses(const LowPtr *p, const char *name)
{
    return ((p->kind == LP_VAR || p->kind == LP_FIELD) && strcmp(p->var, name) == 0) ||
           expr_uses(p->elem, name) || expr_uses(p->offset, name);
}

static int block_uses(const LowBlock *b, const char *name)
{
    for (int k = 0; k < b->n; k++) {
        const LowStmt *s = &b->s[k];
        if (expr_uses(s->expr, name) || expr_uses(s->to, name) || expr_uses(s->step, name) ||
            expr_uses(s->n, name) || ptr_uses(&s->dst, name) || ptr_uses(&s->src, name) ||
            (s->body && block_uses(s->body, name)))
            return 1;
        for (int q = 0; q < s->nargs; q++)
            if (s->args[q].is_ptr ? ptr_uses(&s->args[q].ptr, name) : expr_uses(s->args[q].expr, name))
                return 1;
    }
    return 0;
}

/* "void NAME(params)": a function's signature. */
static const char *signature(Arena *a, const LowModel *lm, const LowFunc *f)
{
    const char *ps = "";
    for (int k = 0; k < f->nparams; k++) {
        const LowParam *p = &f->params[k];
        const char *t = p->type == LT_SIZE ? "size_t " : p->type == LT_CFLOATP ? "const float " :
                        p->type == LT_CIDP ? "const int32_t " :
                        p->type == LT_FLOATP ? "float " : arena_printf(a, "%s_state ", lm->name);
        const char *d = p->type == LT_SIZE ? p->name : p->elems_macro ? arena_printf(a, "%s[%s]", p->name, p->elems_macro)
                                                                      : arena_printf(a, "*%s", p->name);
        ps = arena_printf(a, "%s%s%s%s", ps, k ? ", " : "", t, d);
    }
    return arena_printf(a, "%svoid %s(%s)", f->exported ? "" : "static ", f->name, ps);
}

/* A function's signature and "{": a long one goes on in a second line,
 * after the last parameter that fits. */
static void emit_signature(Emitter *e, const char *sig)
{
    const char *cut = NULL;
    if (strlen(sig) > LINE_MAX_COLS - 10)
        for (const char *p = strstr(sig, ", "); p && p - sig < LINE_MAX_COLS - 12; p = strstr(p + 1, ", "))
            cut = p;
    if (!cut) {
        emit_function(e, "%s", sig);
        return;
    }
    emit_line(e, "%.*s,", (int)(cut - sig), sig);
    emit_function(e, "    %s", cut + 2);
}

/* A function of the control code, with its comment. */
static void emit_func(Emitter *e, Arena *a, const LowModel *lm, const LowFunc *f)
{
    if (f->comment) {
        const char *text = f->comment;
        for (int first = 1; *text; first = 0) {
            const char *nl = strchr(text, '\n');
            int n = nl ? (int)(nl - text) : (int)strlen(text);
            emit_line(e, "%s %.*s%s", first ? "/*" : " *", n, text, nl ? "" : " */");
            text += n + (nl ? 1 : 0);
        }
    }
    emit_signature(e, signature(a, lm, f));
    for (int k = 0; k < f->nparams; k++)
        if (!block_uses(&f->body, f->params[k].name))
            emit_line(e, "(void)%s;  /* unused here */", f->params[k].name);
    emit_block(e, a, lm, &f->body);
    emit_close(e, "");
    emit_blank(e);
}

/* ---- threads (--threads N) ---- */

static void emit_barrier(Emitter *e, const LowModel *lm)
{
    const char *N = lm->name, *M = lm->macro;
    emit_line(e, "/* ---- threads ---- */");
    emit_blank(e);
    emit_line(e, "/* Waits until all %s_THREADS threads have called it: the last to come", M);
    emit_line(e, " * opens it (phase + 1), the others spin on the phase they saw on arrival. */");
    emit_function(e, "static void %s_barrier(%s_threads *p)", N, N);
    emit_line(e, "const unsigned long phase = __atomic_load_n(&p->phase, __ATOMIC_SEQ_CST);");
    emit_open(e, "if (__atomic_add_fetch(&p->arrived, 1, __ATOMIC_SEQ_CST) == %s_THREADS)", M);
    emit_line(e, "__atomic_store_n(&p->arrived, 0, __ATOMIC_SEQ_CST);");
    emit_line(e, "__atomic_fetch_add(&p->phase, 1, __ATOMIC_SEQ_CST);");
    e->indent--;
    emit_open(e, "} else");
    emit_line(e, "while (__atomic_load_n(&p->phase, __ATOMIC_SEQ_CST) == phase)");
    emit_line(e, "    ;  /* spin */");
    emit_close(e, "");
    emit_close(e, "");
    emit_blank(e);
}

static void emit_threads(Emitter *e, const LowModel *lm)
{
    const char *N = lm->name, *M = lm->macro;
    emit_line(e, "/* A worker thread: waits for a job number, runs its share of that layer. */");
    emit_function(e, "static void *%s_work(void *arg)", N);
    emit_line(e, "const struct %s_worker *me = (const struct %s_worker *)arg;", N, N);
    emit_line(e, "%s_threads *p = me->pool;", N);
    emit_line(e, "unsigned long seen = 0;");
    emit_open(e, "for (;;)");
    emit_line(e, "const unsigned long job = __atomic_load_n(&p->job, __ATOMIC_SEQ_CST);");
    emit_line(e, "if (job == seen)");
    emit_line(e, "    continue;  /* spin */");
    emit_line(e, "seen = job;");
    emit_line(e, "if (__atomic_load_n(&p->quit, __ATOMIC_SEQ_CST))");
    emit_line(e, "    return NULL;");
    emit_open(e, "switch (p->cell)");
    for (int k = 0; k < lm->ncells; k++) {
        const LowCell *c = &lm->cells[k];
        if (c->threads <= 1)
            continue;
        emit_line(e, "case %d:  /* %s */", k, c->title);
        emit_line(e, "    %s_run_part(p->x, p->n, p->out, p->out_stride, p->state->%s, p->state->%s,", c->id,
                  fname(lm, c->h_field), fname(lm, c->c_field));
        emit_line(e, "        p->state->gates, p->state->m, me->id, %s_THREADS, p);", M);
        emit_line(e, "    break;");
    }
    emit_line(e, "default:");
    emit_line(e, "    break;");
    emit_close(e, "");
    emit_close(e, "");
    emit_close(e, "");
    emit_blank(e);

    emit_function(e, "void %s_threads_stop(%s_state *s)", N, N);
    emit_line(e, "%s_threads *p = s->threads;", N);
    emit_line(e, "s->threads = NULL;");
    emit_line(e, "if (!p || !p->started)");
    emit_line(e, "    return;");
    emit_line(e, "__atomic_store_n(&p->quit, 1, __ATOMIC_SEQ_CST);");
    emit_line(e, "__atomic_fetch_add(&p->job, 1, __ATOMIC_SEQ_CST);");
    emit_line(e, "for (int w = 0; w < %s_THREADS - 1; w++)", M);
    emit_line(e, "    pthread_join(p->thread[w], NULL);");
    emit_line(e, "p->started = 0;");
    emit_close(e, "");
    emit_blank(e);

    emit_function(e, "int %s_threads_start(%s_state *s, %s_threads *t)", N, N, N);
    emit_line(e, "memset(t, 0, sizeof *t);");
    emit_open(e, "for (int w = 0; w < %s_THREADS - 1; w++)", M);
    emit_line(e, "t->worker[w].pool = t;");
    emit_line(e, "t->worker[w].id = w + 1;");
    emit_line(e, "const int err = pthread_create(&t->thread[w], NULL, %s_work, &t->worker[w]);", N);
    emit_open(e, "if (err != 0)");
    emit_line(e, "/* stop the ones that started */");
    emit_line(e, "__atomic_store_n(&t->quit, 1, __ATOMIC_SEQ_CST);");
    emit_line(e, "__atomic_fetch_add(&t->job, 1, __ATOMIC_SEQ_CST);");
    emit_line(e, "for (int k = 0; k < w; k++)");
    emit_line(e, "    pthread_join(t->thread[k], NULL);");
    emit_line(e, "return err;");
    emit_close(e, "");
    emit_close(e, "");
    emit_line(e, "t->started = 1;");
    emit_line(e, "s->threads = t;");
    emit_line(e, "return 0;");
    emit_close(e, "");
    emit_blank(e);
}

/* The thread that runs the backward directions (LS_SPAWN, LS_POST, LS_WAIT,
 * LS_JOIN: lm->direction_threads). It and the caller hand over through two
 * counters, spinning: a handover then takes well under a microsecond, where
 * a new thread per layer took tens. */
static void emit_jobs(Emitter *e, Arena *a, const LowModel *lm)
{
    const char *N = lm->name;
    emit_line(e, "/* ---- the backward directions on a thread of their own ---- */");
    emit_blank(e);
    emit_line(e, "typedef void %s_run_fn(const float *x, size_t n, float *out, size_t out_stride, float *h, float *c,", N);
    emit_line(e, "    float *pre, float *m);");
    emit_blank(e);
    emit_open(e, "typedef struct %s_job", N);
    emit_line(e, "%s_run_fn *run;  /* the call handed over (NULL: the thread ends) */", N);
    emit_line(e, "const float *x;");
    emit_line(e, "size_t n;");
    emit_line(e, "float *out;");
    emit_line(e, "size_t out_stride;");
    emit_line(e, "float *h, *c, *pre, *m;");
    emit_line(e, "unsigned posted, done;  /* calls handed over, and run (__atomic) */");
    emit_line(e, "pthread_t thread;");
    emit_line(e, "int started;  /* 0: the calls run on the caller's thread */");
    emit_close(e, arena_printf(a, " %s_job;", N));
    emit_blank(e);
    emit_line(e, "/* Waits while *v is old, and returns its new value: spinning for a while");
    emit_line(e, " * (the other thread is about to change it), then yielding the core. */");
    emit_function(e, "static unsigned %s_job_await(const unsigned *v, unsigned old)", N);
    emit_line(e, "unsigned now;");
    emit_line(e, "for (unsigned k = 0; (now = __atomic_load_n(v, __ATOMIC_ACQUIRE)) == old; k++)");
    emit_line(e, "    if (k >= %dU)", LOW_JOB_SPINS);
    emit_line(e, "        sched_yield();");
    emit_line(e, "return now;");
    emit_close(e, "");
    emit_blank(e);
    emit_function(e, "static void *%s_job_main(void *arg)", N);
    emit_line(e, "%s_job *j = (%s_job *)arg;", N, N);
    emit_open(e, "for (unsigned seen = 0;;)");
    emit_line(e, "seen = %s_job_await(&j->posted, seen);", N);
    emit_line(e, "if (!j->run)");
    emit_line(e, "    return NULL;");
    emit_line(e, "j->run(j->x, j->n, j->out, j->out_stride, j->h, j->c, j->pre, j->m);");
    emit_line(e, "__atomic_store_n(&j->done, seen, __ATOMIC_RELEASE);");
    emit_close(e, "");
    emit_close(e, "");
    emit_blank(e);
    emit_line(e, "/* run(x, ...) handed to j's thread, which has run the last call; run here");
    emit_line(e, " * if j has no thread. */");
    emit_line(e, "static void %s_job_post(%s_job *j, %s_run_fn *run, const float *x, size_t n, float *out,", N, N, N);
    emit_function(e, "    size_t out_stride, float *h, float *c, float *pre, float *m)");
    emit_open(e, "if (!j->started)");
    emit_line(e, "run(x, n, out, out_stride, h, c, pre, m);");
    emit_line(e, "return;");
    emit_close(e, "");
    emit_line(e, "j->run = run;");
    emit_line(e, "j->x = x;");
    emit_line(e, "j->n = n;");
    emit_line(e, "j->out = out;");
    emit_line(e, "j->out_stride = out_stride;");
    emit_line(e, "j->h = h;");
    emit_line(e, "j->c = c;");
    emit_line(e, "j->pre = pre;");
    emit_line(e, "j->m = m;");
    emit_line(e, "__atomic_store_n(&j->posted, j->posted + 1, __ATOMIC_RELEASE);");
    emit_close(e, "");
    emit_blank(e);
    emit_line(e, "/* A thread for j, handed run(x, ...); without one, run here. */");
    emit_line(e, "static void %s_job_start(%s_job *j, %s_run_fn *run, const float *x, size_t n, float *out,", N, N, N);
    emit_function(e, "    size_t out_stride, float *h, float *c, float *pre, float *m)");
    emit_line(e, "j->posted = j->done = 0;");
    emit_line(e, "j->started = pthread_create(&j->thread, NULL, %s_job_main, j) == 0;", N);
    emit_line(e, "%s_job_post(j, run, x, n, out, out_stride, h, c, pre, m);", N);
    emit_close(e, "");
    emit_blank(e);
    emit_line(e, "/* Waits until j's thread has run the call handed to it. */");
    emit_function(e, "static void %s_job_wait(%s_job *j)", N, N);
    emit_line(e, "if (j->started)");
    emit_line(e, "    (void)%s_job_await(&j->done, j->posted - 1);", N);
    emit_close(e, "");
    emit_blank(e);
    emit_line(e, "/* Waits for j's last call, then ends its thread. */");
    emit_function(e, "static void %s_job_join(%s_job *j)", N, N);
    emit_line(e, "if (!j->started)");
    emit_line(e, "    return;");
    emit_line(e, "%s_job_wait(j);", N);
    emit_line(e, "j->run = NULL;");
    emit_line(e, "__atomic_store_n(&j->posted, j->posted + 1, __ATOMIC_RELEASE);");
    emit_line(e, "pthread_join(j->thread, NULL);");
    emit_close(e, "");
    emit_blank(e);
}

static void emit_source_lm(FILE *f, Arena *a, const LowModel *lm, const EmitOptions *o)
{
    Emitter em = {f, 0, lm->name, lm->macro}, *e = &em;
    emit_banner(e, a, lm, o, arena_printf(a, "The LSTM model %s, as specialized C99: the weights are constants, "
                                          "every size is fixed.", lm->ir->name));
    emit_line(e, "#include \"%s\"", o->header_include);
    emit_blank(e);
    emit_line(e, "#include <string.h>");
    if (lm->direction_threads) {
        emit_line(e, "#include <pthread.h>");
        emit_line(e, "#include <sched.h>");
    }
    emit_blank(e);
    emit_line(e, "/* The header is the one this code was generated for. */");
    emit_line(e, "typedef char %s_hash_check[%s_MODEL_HASH == 0x%016llxull ? 1 : -1];", lm->name, lm->macro,
              (unsigned long long)lm->hash);
    if (lm->threads > 1)
        emit_line(e, "typedef char %s_state_check[offsetof(%s_state, threads) == %s_STATE_BYTES ? 1 : -1];",
                  lm->name, lm->name, lm->macro);
    else
        emit_line(e, "typedef char %s_state_check[sizeof(%s_state) == %s_STATE_BYTES ? 1 : -1];", lm->name, lm->name,
                  lm->macro);
    emit_blank(e);
    emit_line(e, "/* Where the weights go: define %s_WEIGHTS_ATTR (e.g. as", lm->macro);
    emit_line(e, " * __attribute__((section(\".weights\"), aligned(64)))) to place or align them. */");
    emit_line(e, "#ifndef %s_WEIGHTS_ATTR", lm->macro);
    emit_line(e, "#define %s_WEIGHTS_ATTR", lm->macro);
    emit_line(e, "#endif");
    emit_blank(e);
    if (uses_bytes(lm)) {
        emit_line(e, "/* The large weight arrays below are written twice, as the bytes of their");
        emit_line(e, " * little-endian IEEE-754 floats (a C compiler reads them ten times faster)");
        emit_line(e, " * and as float literals: the bytes where the compiler says the target is");
        emit_line(e, " * little-endian and this is C, the literals elsewhere (C++, big-endian,");
        emit_line(e, " * compilers that do not say, or %s_WEIGHTS_AS_FLOATS defined). */", lm->macro);
        emit_line(e, "#if !defined(%s_WEIGHTS_AS_FLOATS) && !defined(__cplusplus) && \\", lm->macro);
        emit_line(e, "    defined(__BYTE_ORDER__) && defined(__ORDER_LITTLE_ENDIAN__) && \\");
        emit_line(e, "    __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ && \\");
        emit_line(e, "    (!defined(__FLOAT_WORD_ORDER__) || __FLOAT_WORD_ORDER__ == __ORDER_LITTLE_ENDIAN__)");
        emit_line(e, "#define %s_WEIGHTS_AS_BYTES 1", lm->macro);
        emit_line(e, "#else");
        emit_line(e, "#define %s_WEIGHTS_AS_BYTES 0", lm->macro);
        emit_line(e, "#endif");
        emit_blank(e);
    }
    emit_line(e, "/* ---- begin runtime/lstmc_act.h: the pieces this model uses (copied by lstmc) ---- */");
    put_renamed(e, rt_act_head, strlen(rt_act_head));
    for (int k = 0; k < rt_act_npieces; k++)
        if (lm->runtime[k])
            put_renamed(e, rt_act_pieces[k].text, strlen(rt_act_pieces[k].text));
    put_renamed(e, rt_act_tail, strlen(rt_act_tail));
    emit_line(e, "/* ---- end runtime/lstmc_act.h ---- */");
    emit_blank(e);
    if (lm->uses_clip) {
        emit_line(e, "/* v clamped to [-limit, limit] */");
        emit_function(e, "static float rt_clip(float v, float limit)");
        emit_line(e, "return v > limit ? limit : v < -limit ? -limit : v;");
        emit_close(e, "");
        emit_blank(e);
    }
    if (lm->threads > 1) {
        emit_line(e, "#if !defined(__GNUC__)");
        emit_line(e, "#error \"the threads of this code (lstmc compile --threads) need gcc's or clang's __atomic builtins\"");
        emit_line(e, "#endif");
        emit_blank(e);
        emit_barrier(e, lm);
    }
    if (lm->tokens) {
        emit_line(e, "/* ---- embedding %s ---- */", lm->embedding.title);
        emit_blank(e);
        emit_array(e, &lm->embedding.table);
    }
    for (int n = 0; n < lm->nlayers; n++) {
        const LowLayer *L = &lm->layers[n];
        if (L->kind == IR_DENSE)
            emit_dense(e, a, &L->dense);
        else
            for (int d = 0; d < L->ncells; d++)
                emit_cell(e, a, lm, L->cell[d]);
    }
    if (lm->threads > 1)
        emit_threads(e, lm);
    if (lm->direction_threads)
        emit_jobs(e, a, lm);

    emit_line(e, "/* ---- the model ---- */");
    emit_blank(e);
    emit_func(e, a, lm, &lm->reset);
    emit_function(e, "size_t %s_state_bytes(void)", lm->name);
    emit_line(e, "return %s_STATE_BYTES;", lm->macro);
    emit_close(e, "");
    emit_blank(e);
    emit_function(e, "unsigned long long %s_model_hash(void)", lm->name);
    emit_line(e, "return %s_MODEL_HASH;", lm->macro);
    emit_close(e, "");
    emit_blank(e);
    if (lm->ncells) {
        emit_func(e, a, lm, &lm->set_state);
        emit_func(e, a, lm, &lm->get_state);
    }
    if (lm->streaming)
        emit_func(e, a, lm, &lm->step);
    else
        emit_func(e, a, lm, &lm->run_from);
    emit_func(e, a, lm, &lm->run);
    if (lm->streaming)
        emit_func(e, a, lm, &lm->run_batch);
}

/* ---- the interface ---- */

void emitc_source(FILE *f, const LowModel *lm, const EmitOptions *o)
{
    Arena a = {0};
    emit_source_lm(f, &a, lm, o);
    arena_free(&a);
}

void emitc_header(FILE *f, const LowModel *lm, const EmitOptions *o)
{
    Arena a = {0};
    emit_header_lm(f, &a, lm, o);
    arena_free(&a);
}

int emitc_write_files(const LowModel *lm, const EmitOptions *o, const char *prefix)
{
    Arena a = {0};
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

void emitc_put_runtime(FILE *f, const char *name, const char *macro, const char *text)
{
    Emitter e = {f, 0, name, macro};
    put_renamed(&e, text, strlen(text));
}
