/*
 * emit_main.h - the main() of a standalone model program (`lstmc build`).
 *
 * The generated main.c reads rows with the shared row reader (lstmc_rows.c),
 * runs the model of model.h (the C backend's code) sequence by sequence, and
 * prints exactly what `lstmc run` prints, with the same messages and exit
 * statuses. It is plain C99 and compiles warning-free under
 * -std=c99 -Wall -Wextra -Wpedantic -Wconversion.
 */
#ifndef LSTMC_EMIT_MAIN_H
#define LSTMC_EMIT_MAIN_H

#include "ir.h"

typedef struct EmitMainOptions {
    const char *name;           /* the C identifier prefix model.h uses */
    const char *macro;          /* the prefix of its #defines (upper case) */
    const char *header;         /* the generated header, for #include "..." */
    const char *activations;    /* "exact" or "fast", for --help */
    const char *command_line;   /* the lstmc command, for --help and the banner */
    const char *compiler;       /* the C compiler command, for --help */
} EmitMainOptions;

/* Prints main.c for model m to f. */
void emitmain_source(FILE *f, const IrModel *m, const EmitMainOptions *o);

#endif
