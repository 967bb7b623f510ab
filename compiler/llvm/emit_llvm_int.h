/*
 * emit_llvm_int.h - the LLVM backend of `arithmetic int16`: the lowered
 * integer model (lower_int.h) as LLVM IR, the same integers in the same
 * order as the C backend's (emit_c_int.c) through the same runtime
 * functions (runtime/lstmc_fixed.h, compiled to bitcode: act_runtime.c),
 * so that its object computes bit for bit what the C does.
 */
#ifndef LSTMC_EMIT_LLVM_INT_H
#define LSTMC_EMIT_LLVM_INT_H

#include "emit_llvm.h"
#include "lower_int.h"

/* Writes PREFIX.h (emitc_int_header's) and PREFIX.ll, .bc or .o of lm for
 * target t; 0, or -1 after reporting. */
int emitllvm_int_write_files(const LowIntModel *lm, const char *ranges_path, const LlvmTarget *t,
                             LlvmEmitKind kind, const char *prefix);

#ifdef LSTMC_LLVM_INTERNAL
/* The module of lm for tm, verified and optimized at opt (the JIT's too:
 * jit.c); NULL after reporting. */
LLVMModuleRef emitllvm_int_module(LLVMContextRef ctx, LLVMTargetMachineRef tm, const LowIntModel *lm,
                                  LlvmOptLevel opt);
#endif

#endif
