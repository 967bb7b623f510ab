/*
 * act.h - the LLVM backend's activations: runtime/lstmc_act.h itself,
 * compiled to bitcode when lstmc is built (act_runtime.c), linked into each
 * model's module and inlined, so both backends run one implementation of
 * the runtime's math. Internal to compiler/llvm/.
 */
#ifndef LSTMC_LLVM_ACT_H
#define LSTMC_LLVM_ACT_H

#include <llvm-c/Core.h>

#include "lower.h"

/* Links the runtime's functions into mod (whose triple and data layout are
 * set): the variant whose RT_FMA is fused when fma, else the one that
 * rounds a*b + c twice, as the C backend's code gets RT_FMA on the same
 * target. They are always inlined; with size_first (--opt-level s, z)
 * they come from bitcode compiled without inlining and are left to the
 * inliner, so that parts they share stay shared (and on vectors they are
 * called lane by lane). Returns 0, or -1 after reporting (an internal
 * error). */
int llact_link(LLVMModuleRef mod, int fma, int size_first);

/* The activation a of x, a float or a vector of floats, built at b's
 * position: a call of the runtime's function for a (per lane of a vector),
 * or x itself for identity. Not for softmax and log_softmax (llact_call). */
LLVMValueRef llact_apply(LLVMBuilderRef b, LLVMModuleRef mod, LowAct a, LLVMValueRef x);

/* The runtime's float function rt_name of args, lane by lane: each a float,
 * or all the vectors of one width and then float constants (an
 * activation's parameters), built at b's position as the function's own
 * instructions on vectors where it is one block of them (else a call per
 * lane). llact_apply's, and the fused cell updates' (rt_lstm_cf_fast). */
enum { LLACT_MAX_ARGS = 4 };
LLVMValueRef llact_lanes(LLVMBuilderRef b, LLVMModuleRef mod, const char *rt_name, const LLVMValueRef *args,
                         unsigned nargs);

/* A call of the runtime function rt_name ("rt_softmaxf", "rt_mean_rowsf",
 * the integer "rt_pre", "rt_table") with args: each integer converted to its
 * parameter's width (zero-extended: pass signed values at their width),
 * since the bitcode has the build machine's int and size_t, not the
 * model's; each pointer cast to its parameter's type (the token ids of
 * rt_embed_rowsf arrive as the control code's 4-byte elements). Returns
 * the call. */
LLVMValueRef llact_call(LLVMBuilderRef b, LLVMModuleRef mod, const char *rt_name, LLVMValueRef *args, unsigned n);

#endif
