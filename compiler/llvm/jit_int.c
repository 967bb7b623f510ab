/*
 * jit_int.c - `lstmc run --jit --arithmetic int16`: the LLVM backend's
 * integer module (emit_llvm_int.c) compiled in memory for this process
 * (jit.c's LLJIT), and a SeqRunner over its NAME_reset and NAME_step (or
 * NAME_run, on whole sequences, for a model with a backward direction). The
 * conversions around the model are the integer interpreter's own
 * (fixed_from_double in, interp_int_output_row out), so the rows printed
 * are bit for bit `lstmc run --arithmetic int16`'s whenever the compiled
 * integers are the interpreter's.
 */
#define LSTMC_LLVM_INTERNAL
#include "cli.h"
#include "emit_llvm.h"
#include "emit_llvm_int.h"
#include "interp_int.h"

#include <stdint.h>
#include <string.h>

typedef struct JitInt {
    LlvmJit *jit;
    const FixedModel *fm;
    void (*reset)(void *state);
    void (*step)(void *state, const int16_t *x, int16_t *y);
    void (*run)(void *state, const int16_t *x, size_t steps, int16_t *y, int16_t *scratch);
    long scratch_per_step;
    void *state;
    int16_t *x, *y;             /* one step's input and output row */
    int32_t *q;                 /* the output row, widened for interp_int_output_row */
} JitInt;

static LLVMModuleRef int_module(LLVMContextRef ctx, LLVMTargetMachineRef tm, const void *model)
{
    return emitllvm_int_module(ctx, tm, model, LLVM_OPT_3);
}

static void ji_reset(SeqRunner *r)
{
    JitInt *j = r->impl;
    j->reset(j->state);
}

/* steps more of the sequence, one NAME_step each: the code streams. */
static void ji_run(SeqRunner *r, const double *x, long steps, double *y)
{
    JitInt *j = r->impl;
    const IrModel *m = r->m;
    for (long t = 0; t < steps; t++) {
        for (int k = 0; k < m->input; k++)
            j->x[k] = (int16_t)fixed_from_double(x[t * m->input + k], j->fm->in_frac);
        j->step(j->state, j->x, j->y);
        if (m->output_last && t < steps - 1)
            continue;
        for (int k = 0; k < m->output; k++)
            j->q[k] = j->y[k];
        interp_int_output_row(j->fm, j->q, y + (m->output_last ? 0 : t * m->output));
    }
}

/* A whole sequence through NAME_run (its buffers for this sequence). */
static void ji_run_whole(SeqRunner *r, const double *x, long steps, double *y)
{
    JitInt *j = r->impl;
    const IrModel *m = r->m;
    long rows = m->output_last ? 1 : steps;
    int16_t *xs = mem_alloc(sizeof(int16_t) * (size_t)(steps * m->input));
    int16_t *ys = mem_alloc(sizeof(int16_t) * (size_t)(rows * m->output));
    int16_t *scratch = mem_alloc(sizeof(int16_t) * (size_t)(steps * j->scratch_per_step));
    for (long k = 0; k < steps * m->input; k++)
        xs[k] = (int16_t)fixed_from_double(x[k], j->fm->in_frac);
    j->run(j->state, xs, (size_t)steps, ys, scratch);
    for (long t = 0; t < rows; t++) {
        for (int k = 0; k < m->output; k++)
            j->q[k] = ys[t * m->output + k];
        interp_int_output_row(j->fm, j->q, y + t * m->output);
    }
    mem_free(xs);
    mem_free(ys);
    mem_free(scratch);
}

int jit_int_runner_open(SeqRunner *r, Arena *a, const IrModel *m, const Args *args)
{
    FixedModel *fm = cli_fixed_model(a, m, args);
    if (!fm)
        return -1;
    const LowIntModel *lm = lower_int(a, fm, lower_identifier(a, m->name));
    LlvmJit *jit = emitllvm_jit_start(int_module, lm);
    uint64_t reset = jit ? emitllvm_jit_lookup(jit, lm->name, "reset") : 0;
    uint64_t entry = reset ? emitllvm_jit_lookup(jit, lm->name, lm->streaming ? "step" : "run") : 0;
    if (!entry) {
        emitllvm_jit_stop(jit);
        return -1;
    }
    JitInt *j = mem_alloc(sizeof *j);
    j->jit = jit;
    j->fm = fm;
    /* addresses to function pointers: the usual POSIX conversion */
    j->reset = (void (*)(void *))(uintptr_t)reset;
    if (lm->streaming)
        j->step = (void (*)(void *, const int16_t *, int16_t *))(uintptr_t)entry;
    else
        j->run = (void (*)(void *, const int16_t *, size_t, int16_t *, int16_t *))(uintptr_t)entry;
    j->scratch_per_step = lm->scratch_per_step;
    j->state = mem_alloc((size_t)lm->state_bytes);
    j->x = mem_alloc(sizeof(int16_t) * (size_t)m->input);
    j->y = mem_alloc(sizeof(int16_t) * (size_t)m->output);
    j->q = mem_alloc(sizeof(int32_t) * (size_t)m->output);
    memset(r, 0, sizeof *r);
    r->reset = ji_reset;
    r->run = lm->streaming ? ji_run : ji_run_whole;
    r->m = m;
    r->streaming = lm->streaming;
    r->chunk = 64;
    r->impl = j;
    j->reset(j->state);
    return 0;
}

void jit_int_runner_close(SeqRunner *r)
{
    JitInt *j = r->impl;
    if (!j)
        return;
    emitllvm_jit_stop(j->jit);
    mem_free(j->state);
    mem_free(j->x);
    mem_free(j->y);
    mem_free(j->q);
    mem_free(j);
    r->impl = NULL;
}
