/*
 * interp.h - the reference interpreter: the oracle every backend is tested
 * against. It reads the IR directly, in double precision, with plain loops
 * that follow the equations in ir.h one by one, and shares no code with the
 * lowering or the emitters.
 */
#ifndef LSTMC_INTERP_H
#define LSTMC_INTERP_H

#include "ir.h"

/* Runs one sequence from the initial state (zeros, or each direction's
 * learned h0, c0 with `initial_state;`). x holds steps rows of m->input values;
 * y receives steps rows of m->output values, or one row if m->output_last.
 * steps >= 1. */
void interp_run(const IrModel *m, const double *x, long steps, double *y);

/* 1 if m has no backward direction: it can run step by step. */
int interp_can_stream(const IrModel *m);

/* A model without a backward direction, step by step: the state of every
 * layer between calls, so that a stream of any length runs in constant
 * memory. new starts at the initial state; reset goes back to it (a new
 * sequence); run reads steps >= 1 rows of x and continues from the state,
 * writing steps rows to y, or with m->output_last one row, the last
 * step's. A sequence cut into several runs gives what interp_run gives. */
typedef struct InterpStream InterpStream;
InterpStream *interp_stream_new(const IrModel *m);
void interp_stream_reset(InterpStream *s);
void interp_stream_run(InterpStream *s, const double *x, long steps, double *y);
void interp_stream_free(InterpStream *s);

#endif
