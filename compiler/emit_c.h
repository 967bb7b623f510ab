/*
 * emit_c.h - the C backend: prints the lowered model (lower.h) as a C99
 * source file and header that a firmware engineer drops into a product.
 */
#ifndef LSTMC_EMIT_C_H
#define LSTMC_EMIT_C_H

#include "ir.h"

typedef struct EmitOptions {
    const char *name;            /* C identifier prefix of every exported name */
    int fast_activations;        /* 1: the runtime's fast approximations; 0: libm */
    const char *command_line;    /* for the banner */
    const char *header_include;  /* what PREFIX.c writes in #include "..." */
    int threads;                 /* threads sharing large layers (0 or 1: none, plain C99) */
} EmitOptions;

/* Writes PREFIX.c and PREFIX.h, each through a temporary file renamed at the
 * end, so a failure leaves neither half-written. Returns 0, or -1 after
 * reporting. */
int emitc_write_files(const IrModel *m, const EmitOptions *o, const char *prefix);

/* The two files' contents, to any stream (tests, `build`). */
void emitc_source(FILE *f, const IrModel *m, const EmitOptions *o);
void emitc_header(FILE *f, const IrModel *m, const EmitOptions *o);

/* A valid C identifier from a model name ("my-model" -> "my_model"), in a. */
const char *emitc_identifier(Arena *a, const char *name);

#endif
