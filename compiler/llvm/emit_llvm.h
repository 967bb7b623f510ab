/*
 * emit_llvm.h - the LLVM backend: the lowered model (lower.h) built as LLVM
 * IR through LLVM's C API, verified, optimized (O2/O3) and written as
 * textual IR, bitcode or an object file for the host or any LLVM target;
 * and compiled in memory for `lstmc run --jit` (jit.c).
 *
 * The object has the C backend's API: PREFIX.h is the C backend's header
 * (emitc_header), and the IR's state struct layout and function signatures
 * follow it, so a program written against the C backend links unchanged.
 *
 * This file and the code behind it exist only when lstmc is built with LLVM
 * (LSTMC_HAVE_LLVM, from llvm-config); cmd_compile.c and main.c report
 * otherwise.
 */
#ifndef LSTMC_EMIT_LLVM_H
#define LSTMC_EMIT_LLVM_H

#include "emit_c.h"
#include "lower.h"

typedef enum {
    LLVM_EMIT_IR,      /* PREFIX.ll: textual IR */
    LLVM_EMIT_BC,      /* PREFIX.bc: bitcode */
    LLVM_EMIT_OBJ,     /* PREFIX.o: an object file */
} LlvmEmitKind;

/* --opt-level: LLVM's pipeline default<O2>, <O3>, <Os> or <Oz>; s and z
 * also mark every function optsize (z: minsize too), so that code
 * generation picks the shorter code as clang -Os / -Oz do. */
typedef enum { LLVM_OPT_2, LLVM_OPT_3, LLVM_OPT_S, LLVM_OPT_Z } LlvmOptLevel;

/* The machine to compile for: NULL fields mean the host's triple, CPU and
 * features (with the host CPU's own extensions, AVX-512 where present).
 * A 32-bit ARM triple with a hard-float ABI (*eabihf) and neither CPU nor
 * features gets its architecture's FPU (emitllvm_target_machine). */
typedef struct LlvmTarget {
    const char *triple;        /* --target TRIPLE, as llc takes it */
    const char *cpu;           /* --cpu NAME */
    const char *features;      /* --features +a,-b */
    LlvmOptLevel opt_level;
} LlvmTarget;

/* Registers LLVM's targets, once (every function here that needs them
 * calls it). */
void emitllvm_init(void);

/* --cpu made usable for the vector shape (compiler/llvm/cpu.c): "native"
 * becomes this machine's CPU and features, as gcc's -march=native; a CPU
 * lstmc knows, named without --features, gets the vector extensions and
 * FPU it implies; an x86-64 or hard-float ARM CPU it does not know is
 * warned about. t's fields may be replaced by strings of a. Returns 0, or
 * -1 after reporting (--cpu native for another architecture). */
int emitllvm_resolve_cpu(Arena *a, LlvmTarget *t);

/* The vector shape of target t (its triple and features), for the
 * lowering: what runtime/lstmc_act.h's vector layer would pick there.
 * Returns 0, or -1 after reporting an unknown target. */
int emitllvm_vector_shape(const LlvmTarget *t, LowTarget *out);

/* Writes PREFIX.h (the C backend's header) and PREFIX.ll, .bc or .o of lm,
 * lowered for t's vector shape (emitllvm_vector_shape) and one thread,
 * each through a temporary file renamed at the end. Returns 0, or -1 after
 * reporting (an unknown target is the user's error; a module that fails
 * verification is lstmc's and says so). */
int emitllvm_write_files(const LowModel *lm, const EmitOptions *o, const LlvmTarget *t,
                         LlvmEmitKind kind, const char *prefix);

/* The file suffix of kind: ".ll", ".bc", ".o". */
const char *emitllvm_suffix(LlvmEmitKind kind);

/*
 * The model compiled in memory for this process (ORC LLJIT): its reset and
 * run functions with the C API's signatures. run is NAME_run; for models
 * that need the whole sequence it takes a fifth argument, scratch of
 * scratch_floats_per_step floats per step.
 */
typedef struct LlvmJit LlvmJit;
typedef struct LlvmJitModel {
    void (*reset)(void *state);
    /* x: floats, or a model's token ids (int32_t) */
    void (*run_stream)(void *state, const void *x, size_t steps, float *y);
    void (*run_seq)(void *state, const void *x, size_t steps, float *y, float *scratch);
    /* NAME_run_from_state (run_seq's form), NAME_set_state, NAME_get_state;
     * NULL where the model has no such function */
    void (*run_from)(void *state, const void *x, size_t steps, float *y, float *scratch);
    void (*set_state)(void *state, const float *h, const float *c);
    void (*get_state)(void *state, float *h, float *c);
    size_t state_h, state_c;          /* floats of their h and c */
    size_t state_bytes;
    size_t scratch_floats_per_step;   /* 0 for streaming models */
    int streaming;
    LlvmJit *jit;                     /* owns the code; emitllvm_jit_free */
} LlvmJitModel;

/* Builds, verifies, optimizes and JIT-compiles lm (lowered for the host's
 * vector shape: emitllvm_vector_shape of an all-NULL target) for this
 * process. Returns 0, or -1 after reporting. */
int emitllvm_jit(const LowModel *lm, LlvmJitModel *out);
void emitllvm_jit_free(LlvmJitModel *jm);

/* ---- between emit_llvm.c and jit.c (they include LLVM's headers) ---- */
#ifdef LSTMC_LLVM_INTERNAL
#include <llvm-c/Core.h>
#include <llvm-c/TargetMachine.h>

#include "lower.h"

/* A target machine for t (every LLVM target initialized once). Returns
 * NULL after reporting an unknown triple, or a hard-float ARM triple whose
 * FPU lstmc cannot choose. */
LLVMTargetMachineRef emitllvm_target_machine(const LlvmTarget *t);

/* The model's module in ctx for tm's triple and data layout: built,
 * verified, then optimized at opt_level. Returns NULL after reporting an
 * internal error. */
LLVMModuleRef emitllvm_module(LLVMContextRef ctx, LLVMTargetMachineRef tm, const LowModel *lm,
                              LlvmOptLevel opt_level);

/* The JIT's pieces (jit.c), for the float model's runner there and the
 * integer model's (jit_int.c): start compiles the module fn builds from
 * model for this process; lookup gives the address of MODEL_FN, or 0
 * after reporting; stop frees the code. */
typedef LLVMModuleRef LlvmModuleFn(LLVMContextRef ctx, LLVMTargetMachineRef tm, const void *model);
LlvmJit *emitllvm_jit_start(LlvmModuleFn *fn, const void *model);
uint64_t emitllvm_jit_lookup(LlvmJit *jit, const char *model, const char *fn);
void emitllvm_jit_stop(LlvmJit *jit);

/* Verifies mod (of model name): 0, or -1 after reporting an internal error. */
int emitllvm_verify(LLVMModuleRef mod, const char *name);
/* LLVM's pipeline for opt_level on mod: 0, or -1 after reporting. */
int emitllvm_optimize(LLVMModuleRef mod, LLVMTargetMachineRef tm, LlvmOptLevel opt_level);
/* Writes PREFIX.h (header(f, ctx) prints it) and PREFIX.ll, .bc or .o of
 * mod (one section per symbol on ELF targets), each through a temporary;
 * 0, or -1 after reporting. */
int emitllvm_write_module(LLVMModuleRef mod, LLVMTargetMachineRef tm, LlvmEmitKind kind, const char *prefix,
                          void (*header)(FILE *f, const void *ctx), const void *ctx);
#endif

#endif
