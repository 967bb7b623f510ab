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

#endif
