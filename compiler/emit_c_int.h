/*
 * emit_c_int.h - the C backend of `arithmetic int16`: prints a lowered
 * integer model (lower_int.h, on the plan of fixed_plan.h, where every
 * format, weight and multiplier was decided) as PREFIX.h and PREFIX.c, C99
 * with no floating point, bit for bit the interpreter's integer mode
 * (interp_int.c).
 */
#ifndef LSTMC_EMIT_C_INT_H
#define LSTMC_EMIT_C_INT_H

#include "lower_int.h"

/* Writes PREFIX.c (including header_include) and PREFIX.h of lm, each
 * through a temporary renamed at the end; ranges_path (or NULL: calibrated
 * on the spot) goes in the banner. 0, or -1 after reporting. */
int emitc_int_write_files(Arena *a, const LowIntModel *lm, const char *header_include, const char *ranges_path,
                          const char *prefix);

/* The two files' contents to any stream (tests). */
void emitc_int_header(FILE *f, Arena *a, const LowIntModel *lm, const char *ranges_path);
void emitc_int_source(FILE *f, Arena *a, const LowIntModel *lm, const char *header_include, const char *ranges_path);

#endif
