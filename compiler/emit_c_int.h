/*
 * emit_c_int.h - the C backend of `arithmetic int16`: prints a model's
 * integer form (fixed_plan.h, where every format, weight and multiplier
 * was decided) as PREFIX.h and PREFIX.c, C99 with no floating point, bit
 * for bit the interpreter's integer mode (interp_int.c).
 */
#ifndef LSTMC_EMIT_C_INT_H
#define LSTMC_EMIT_C_INT_H

#include "fixed_plan.h"

/* What the backend takes: forward directions only (the model streams),
 * no `output mean` or `max`. 0, or -1 after reporting at the layer. */
int emitc_int_supported(const IrModel *m);

/* Writes PREFIX.c (including header_include) and PREFIX.h for fm with C
 * names starting with name; 0, or -1 after reporting. */
int emitc_int_write_files(Arena *a, const FixedModel *fm, const char *name, const char *header_include,
                          const char *ranges_path, const char *prefix);

/* The two files' contents to any stream (tests). */
void emitc_int_header(FILE *f, Arena *a, const FixedModel *fm, const char *name, const char *ranges_path);
void emitc_int_source(FILE *f, Arena *a, const FixedModel *fm, const char *name, const char *header_include,
                      const char *ranges_path);

#endif
