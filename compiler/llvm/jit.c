/*
 * jit.c - `lstmc run --jit`: the LLVM backend's module (emit_llvm.c)
 * compiled in memory for this process with ORC's LLJIT, and a SeqRunner
 * (cli.h) over it, so `lstmc run` reads and prints the data exactly as it
 * does for the interpreter while the model runs at compiled speed, with no
 * C compiler installed.
 *
 * libm's functions the exact activations and softmax call (expf, tanhf,
 * ...) are resolved from this process, which links libm.
 */
#define LSTMC_LLVM_INTERNAL
#include "cli.h"
#include "emit_llvm.h"

#include <llvm-c/Error.h>
#include <llvm-c/LLJIT.h>
#include <llvm-c/Orc.h>

#include <stdint.h>
#include <string.h>

struct LlvmJit {
    LLVMOrcLLJITRef lljit;
};

/* Reports an LLVM error (and consumes it). */
static void report(const char *what, LLVMErrorRef err)
{
    char *msg = LLVMGetErrorMessage(err);
    fprintf(stderr, "lstmc: error: %s: %s\n", what, msg);
    LLVMDisposeErrorMessage(msg);
}

/* The address of an exported function of the model, or 0 after reporting. */
static LLVMOrcExecutorAddress lookup(LLVMOrcLLJITRef j, Arena *a, const char *model, const char *fn)
{
    LLVMOrcExecutorAddress addr = 0;
    LLVMErrorRef err = LLVMOrcLLJITLookup(j, &addr, arena_printf(a, "%s_%s", model, fn));
    if (err) {
        report("the JIT cannot find the model's function", err);
        return 0;
    }
    return addr;
}

/* Starts LLJIT for this process on the module fn builds (in its context,
 * for the host's target machine): the JIT, or NULL after reporting. */
LlvmJit *emitllvm_jit_start(LlvmModuleFn *fn, const void *model)
{
    LlvmTarget host = {NULL, NULL, NULL, LLVM_OPT_3};
    /* one target machine builds and optimizes the module; LLJIT takes the
     * other (its builder owns it) to generate the code */
    LLVMTargetMachineRef tm = emitllvm_target_machine(&host);
    LLVMTargetMachineRef jit_tm = tm ? emitllvm_target_machine(&host) : NULL;
    if (!jit_tm) {
        if (tm)
            LLVMDisposeTargetMachine(tm);
        return NULL;
    }
    LLVMOrcLLJITBuilderRef builder = LLVMOrcCreateLLJITBuilder();
    LLVMOrcLLJITBuilderSetJITTargetMachineBuilder(builder,
                                                  LLVMOrcJITTargetMachineBuilderCreateFromTargetMachine(jit_tm));
    LLVMOrcLLJITRef j = NULL;
    LlvmJit *jit = NULL;
    LLVMErrorRef err = LLVMOrcCreateLLJIT(&j, builder);
    if (err) {
        report("cannot start LLVM's JIT", err);
        goto done;
    }
    LLVMOrcDefinitionGeneratorRef gen = NULL;
    err = LLVMOrcCreateDynamicLibrarySearchGeneratorForProcess(&gen, LLVMOrcLLJITGetGlobalPrefix(j), NULL, NULL);
    if (err) {
        report("the JIT cannot search this process's symbols", err);
        goto done;
    }
    LLVMOrcJITDylibAddGenerator(LLVMOrcLLJITGetMainJITDylib(j), gen);

    LLVMOrcThreadSafeContextRef tsc = LLVMOrcCreateNewThreadSafeContext();
    LLVMModuleRef mod = fn(LLVMOrcThreadSafeContextGetContext(tsc), tm, model);
    if (!mod) {
        LLVMOrcDisposeThreadSafeContext(tsc);
        goto done;
    }
    LLVMOrcThreadSafeModuleRef tsm = LLVMOrcCreateNewThreadSafeModule(mod, tsc);
    LLVMOrcDisposeThreadSafeContext(tsc);   /* the module keeps it alive */
    err = LLVMOrcLLJITAddLLVMIRModule(j, LLVMOrcLLJITGetMainJITDylib(j), tsm);
    if (err) {
        LLVMOrcDisposeThreadSafeModule(tsm);
        report("the JIT cannot take the model's module", err);
        goto done;
    }
    jit = mem_alloc(sizeof *jit);
    jit->lljit = j;
    j = NULL;
done:
    if (j)
        LLVMOrcDisposeLLJIT(j);
    LLVMDisposeTargetMachine(tm);
    return jit;
}

void emitllvm_jit_stop(LlvmJit *jit)
{
    if (jit) {
        LLVMOrcDisposeLLJIT(jit->lljit);
        mem_free(jit);
    }
}

uint64_t emitllvm_jit_lookup(LlvmJit *jit, const char *model, const char *fn)
{
    Arena a = {0};
    uint64_t addr = lookup(jit->lljit, &a, model, fn);
    arena_free(&a);
    return addr;
}

static LLVMModuleRef float_module(LLVMContextRef ctx, LLVMTargetMachineRef tm, const void *model)
{
    return emitllvm_module(ctx, tm, model, LLVM_OPT_3);
}

int emitllvm_jit(const LowModel *lm, LlvmJitModel *out)
{
    memset(out, 0, sizeof *out);
    LlvmJit *jit = emitllvm_jit_start(float_module, lm);
    if (!jit)
        return -1;
    LLVMOrcLLJITRef j = jit->lljit;
    Arena a = {0};
    int status = -1;
    LLVMOrcExecutorAddress reset = lookup(j, &a, lm->name, "reset");
    LLVMOrcExecutorAddress run = reset ? lookup(j, &a, lm->name, "run") : 0;
    if (!run)
        goto done;
    /* addresses to function pointers: the usual POSIX conversion */
    out->reset = (void (*)(void *))(uintptr_t)reset;
    if (lm->streaming)
        out->run_stream = (void (*)(void *, const void *, size_t, float *))(uintptr_t)run;
    else
        out->run_seq = (void (*)(void *, const void *, size_t, float *, float *))(uintptr_t)run;
    if (lm->ncells) {
        LLVMOrcExecutorAddress set = lookup(j, &a, lm->name, "set_state");
        LLVMOrcExecutorAddress get = set ? lookup(j, &a, lm->name, "get_state") : 0;
        LLVMOrcExecutorAddress from = get && !lm->streaming ? lookup(j, &a, lm->name, "run_from_state") : 0;
        if (!get || (!lm->streaming && !from))
            goto done;
        out->set_state = (void (*)(void *, const float *, const float *))(uintptr_t)set;
        out->get_state = (void (*)(void *, float *, float *))(uintptr_t)get;
        out->run_from = (void (*)(void *, const void *, size_t, float *, float *))(uintptr_t)from;
        out->state_h = (size_t)lm->state_h;
        out->state_c = (size_t)lm->state_c;
    }
    out->streaming = lm->streaming;
    out->state_bytes = (size_t)lm->state_bytes;
    out->scratch_floats_per_step = lm->streaming ? 0 : (size_t)lm->nseq * (size_t)lm->seq_width;
    out->jit = jit;
    jit = NULL;
    status = 0;
done:
    emitllvm_jit_stop(jit);
    arena_free(&a);
    return status;
}

void emitllvm_jit_free(LlvmJitModel *jm)
{
    emitllvm_jit_stop(jm->jit);
    memset(jm, 0, sizeof *jm);
}

/* ---- a SeqRunner over the compiled model ---- */

typedef struct JitRunner {
    LlvmJitModel jm;
    void *state;
    float *x, *y, *scratch;
    size_t x_cap, y_cap, scratch_cap;
    int32_t *ids;             /* a model of token ids reads these, not x */
    size_t ids_cap;
    const void *in;           /* x or ids: what to_input filled */
    float *hc;                  /* [state_h + state_c]: a start or final state */
    int from_state;             /* a whole-sequence model: the next run starts from set_state's */
} JitRunner;

static float *grow(float *p, size_t *cap, size_t need)
{
    if (need <= *cap)
        return p;
    *cap = need;
    return mem_realloc(p, need * sizeof *p);
}

/* The doubles of the rows reader to floats, into j->x, or, for a model of
 * token ids (which the reader has checked to be in range), to int32_t ids
 * into j->ids; j->in points at them. */
static void to_input(JitRunner *j, const IrModel *m, const double *x, size_t n)
{
    if (m->embedding) {
        if (n > j->ids_cap) {
            j->ids = mem_realloc(j->ids, n * sizeof *j->ids);
            j->ids_cap = n;
        }
        for (size_t k = 0; k < n; k++)
            j->ids[k] = (int32_t)x[k];
        j->in = j->ids;
        return;
    }
    j->x = grow(j->x, &j->x_cap, n ? n : 1);
    for (size_t k = 0; k < n; k++)
        j->x[k] = (float)x[k];
    j->in = j->x;
}

/* The model's floats back to doubles for printing. */
static void to_doubles(const JitRunner *j, double *y, size_t n)
{
    for (size_t k = 0; k < n; k++)
        y[k] = (double)j->y[k];
}

/* A streaming model: a new sequence (NAME_reset). */
static void jit_reset(SeqRunner *r)
{
    JitRunner *j = r->impl;
    j->jm.reset(j->state);
}

/* A streaming model: steps more of the sequence (NAME_run continues from
 * the state). */
static void jit_steps(SeqRunner *r, const double *x, long steps, double *y)
{
    JitRunner *j = r->impl;
    const IrModel *m = r->m;
    size_t ny = (size_t)(m->output_last ? 1 : steps) * (size_t)m->output;
    to_input(j, m, x, (size_t)steps * (size_t)m->input);
    j->y = grow(j->y, &j->y_cap, ny);
    j->jm.run_stream(j->state, j->in, (size_t)steps, j->y);
    to_doubles(j, y, ny);
}

/* A model with a backward direction: one whole sequence (NAME_run resets
 * itself). */
static void jit_whole(SeqRunner *r, const double *x, long steps, double *y)
{
    JitRunner *j = r->impl;
    const IrModel *m = r->m;
    size_t ny = (size_t)(m->output_last ? 1 : steps) * (size_t)m->output;
    size_t ns = (size_t)steps * j->jm.scratch_floats_per_step;
    to_input(j, m, x, (size_t)steps * (size_t)m->input);
    j->y = grow(j->y, &j->y_cap, ny);
    j->scratch = grow(j->scratch, &j->scratch_cap, ns ? ns : 1);
    (j->from_state ? j->jm.run_from : j->jm.run_seq)(j->state, j->in, (size_t)steps, j->y, j->scratch);
    j->from_state = 0;
    to_doubles(j, y, ny);
}

/* A start state (interp.h's layout, h then c: the generated API's), through
 * NAME_set_state; a whole-sequence model's next run starts from it. */
static void jit_set_state(SeqRunner *r, const double *s)
{
    JitRunner *j = r->impl;
    for (size_t k = 0; k < j->jm.state_h + j->jm.state_c; k++)
        j->hc[k] = (float)s[k];
    j->jm.set_state(j->state, j->hc, j->hc + j->jm.state_h);
    j->from_state = 1;
}

static void jit_get_state(SeqRunner *r, double *s)
{
    JitRunner *j = r->impl;
    j->jm.get_state(j->state, j->hc, j->hc + j->jm.state_h);
    for (size_t k = 0; k < j->jm.state_h + j->jm.state_c; k++)
        s[k] = (double)j->hc[k];
}

int jit_runner_open(SeqRunner *r, Arena *a, const IrModel *m, const LowerOptions *o)
{
    LlvmTarget host = {NULL, NULL, NULL, LLVM_OPT_3};
    LowTarget shape;
    if (emitllvm_vector_shape(&host, &shape) != 0)
        return -1;
    LowerOptions lo = *o;
    lo.target = &shape;
    const LowModel *lm = lower_model(a, m, &lo);
    JitRunner *j = mem_alloc(sizeof *j);
    memset(j, 0, sizeof *j);
    if (emitllvm_jit(lm, &j->jm) != 0) {
        mem_free(j);
        return -1;
    }
    /* the state struct holds only floats */
    j->state = mem_alloc(j->jm.state_bytes ? j->jm.state_bytes : sizeof(float));
    memset(r, 0, sizeof *r);
    r->reset = jit_reset;
    r->run = j->jm.streaming ? jit_steps : jit_whole;
    if (j->jm.set_state) {
        j->hc = mem_alloc(sizeof(float) * (j->jm.state_h + j->jm.state_c));
        r->set_state = jit_set_state;
        r->get_state = jit_get_state;
    }
    r->m = m;
    r->streaming = j->jm.streaming;
    r->chunk = lm->chunk;
    r->impl = j;
    return 0;
}

void jit_runner_close(SeqRunner *r)
{
    JitRunner *j = r->impl;
    if (!j)
        return;
    emitllvm_jit_free(&j->jm);
    mem_free(j->state);
    mem_free(j->x);
    mem_free(j->ids);
    mem_free(j->y);
    mem_free(j->scratch);
    mem_free(j->hc);
    mem_free(j);
    r->impl = NULL;
}
