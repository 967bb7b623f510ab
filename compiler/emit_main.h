/*
 * emit_main.h - the main() of a standalone model program (`lstmc build`),
 * and NAME_info() of a shared library (`lstmc build --shared`).
 *
 * The generated main.c streams its input through the model of model.h (the
 * C backend's code) with the runtime's loop (lstmc_rows.c, rt_run), and
 * writes exactly what `lstmc run` writes, with the same messages and exit
 * statuses. It is plain C99 and compiles warning-free under
 * -std=c99 -Wall -Wextra -Wpedantic -Wconversion.
 */
#ifndef LSTMC_EMIT_MAIN_H
#define LSTMC_EMIT_MAIN_H

#include "ir.h"
#include "lower.h"

typedef struct EmitMainOptions {
    const char *name;           /* the C identifier prefix model.h uses */
    const char *macro;          /* the prefix of its #defines (upper case) */
    const char *header;         /* the generated header, for #include "..." */
    const char *activations;    /* "exact" or "fast", for --help */
    const char *command_line;   /* the lstmc command, for --help and the banner */
    const char *compiler;       /* the C compiler command, for --help */
    int int16;                  /* model.h is arithmetic int16's (emit_c_int.c): NAME_step on int16 rows */
    int softmax_head;           /* int16: the last layer's softmax (1) or log_softmax (2) is main.c's */
} EmitMainOptions;

/* Prints main.c for model m to f. */
void emitmain_source(FILE *f, const IrModel *m, const EmitMainOptions *o);

/* Prints info.c of a shared library (`lstmc build --shared`) to f: the
 * exported const char *NAME_info(void), which describes the model in one
 * line of key=value words (input, output, streaming, output_last,
 * state_bytes, scratch_floats_per_step, chunk, model_hash, ...) for callers
 * that cannot read the header, with a compile-time check of each value
 * against o->header's macros. Uses o->header and o->command_line. */
void emitmain_info_source(FILE *f, const LowModel *lm, const EmitMainOptions *o);

#endif
