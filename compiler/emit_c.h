/*
 * emit_c.h - the C backend: prints a lowered model (lower.h) as a C99
 * source file and header that a firmware engineer drops into a product.
 */
#ifndef LSTMC_EMIT_C_H
#define LSTMC_EMIT_C_H

#include "lower.h"

typedef struct EmitOptions {
    const char *header_include;  /* what PREFIX.c writes in #include "..." */
} EmitOptions;

/* Writes PREFIX.c and PREFIX.h, each through a temporary file renamed at the
 * end, so a failure leaves neither half-written. Returns 0, or -1 after
 * reporting. */
int emitc_write_files(const LowModel *lm, const EmitOptions *o, const char *prefix);

/* The two files' contents, to any stream (tests, `build`, the LLVM
 * backend's header). */
void emitc_source(FILE *f, const LowModel *lm, const EmitOptions *o);
void emitc_header(FILE *f, const LowModel *lm, const EmitOptions *o);

/* Runtime text (runtime/) with every rt_ and RT_ name given the prefix
 * name (macro for the RT_ ones), as this backend copies it; the integer
 * backend (emit_c_int.c) copies its pieces through this too. */
void emitc_put_runtime(FILE *f, const char *name, const char *macro, const char *text);

#endif
