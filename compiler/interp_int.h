/*
 * interp_int.h - the interpreter's integer mode (`lstmc run --arithmetic
 * int16`): the oracle of integer-only arithmetic, written plainly from the
 * definitions in grammar/SPEC.md ("Integer-only arithmetic"), one loop per
 * equation, every intermediate in int64 so that no step overflows.
 */
#ifndef LSTMC_INTERP_INT_H
#define LSTMC_INTERP_INT_H

#include "fixed_plan.h"

/* Runs one sequence of fm's model as interp_run does (x: steps rows of
 * m->input, y: steps rows of m->output, or one row with m->output_last):
 * the input rounded to its format, every layer in integers, the output
 * rows converted back (q 2^-f) and, after a softmax or log_softmax head,
 * that function applied to them in double. */
void interp_int_run(const FixedModel *fm, const double *x, long steps, double *y);

/* A row of the last layer's output (q in its format) as real numbers, a
 * softmax or log_softmax head's finished in double: what run and
 * stream_run write, for a compiled model's rows too (the JIT's). */
void interp_int_output_row(const FixedModel *fm, const int32_t *q, double *y);

/* A model without a backward direction, step by step (as interp.h's
 * stream): new starts at the initial state, reset goes back to it, run
 * reads steps >= 1 rows and writes steps rows, or with m->output_last the
 * last step's one row; a sequence cut into several runs gives what
 * interp_int_run gives. */
int interp_int_can_stream(const IrModel *m);
typedef struct IntStream IntStream;
IntStream *interp_int_stream_new(const FixedModel *fm);
void interp_int_stream_reset(IntStream *s);
void interp_int_stream_run(IntStream *s, const double *x, long steps, double *y);
void interp_int_stream_free(IntStream *s);

#endif
