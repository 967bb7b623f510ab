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
 * learned h0, c0 with `initial_state;`). x holds steps rows of m->input values
 * (with an embedding, one token id per step: an id outside [0, V) reads as
 * a vector of zeros, as in the generated code; the data readers report such
 * ids before they get here);
 * y receives steps rows of m->output values, or one row if m->output_last.
 * steps >= 1. */
void interp_run(const IrModel *m, const double *x, long steps, double *y);

/* Tracing (lstmc run --trace, compare): after each step of each direction
 * of a layer with state, the interpreter hands the hook that step's named
 * vectors, in a fixed order per layer kind. An LSTM offers "i", "f", "o"
 * [NB] (the gate values, 1 for an absent gate, 1 - i for a coupled f), "g"
 * [H] (the cell input after its activation), "c" [H] and "h" [R]. Another
 * layer kind offers its own names. t is the step's row in the x of this
 * call (0-based). A NULL trace costs one test per step. */
typedef struct InterpVec {
    const char *name;
    int n;
    const double *v;
} InterpVec;

typedef struct InterpTrace {
    void (*step)(void *ctx, int layer, int dir, long t, const InterpVec *vecs, int nvecs);
    void *ctx;
} InterpTrace;

/* interp_run, offering every step to tr (which may be NULL). */
void interp_run_traced(const IrModel *m, const double *x, long steps, double *y,
                       const InterpTrace *tr);

/*
 * The state a sequence starts from and ends in, as one vector (lstmc run
 * --state-in, --state-out; the generated NAME_set_state, NAME_get_state):
 * first h, every recurrent layer-direction's in layer order, forward before
 * backward (PyTorch's h_n, [layers * directions][R] for equal layers), then
 * c, every LSTM layer-direction's in the same order (GRU and RNN layers
 * have none). The final state of a backward direction is the one after it
 * read step 0, as PyTorch's h_n. Returns the vector's length; *h_size (if
 * not NULL) receives h's.
 */
long interp_state_size(const IrModel *m, long *h_size);

/* interp_run_traced from start (NULL: the initial state), the final state
 * written to final (NULL: not wanted). */
void interp_run_state(const IrModel *m, const double *x, long steps, double *y, const InterpTrace *tr,
                      const double *start, double *final);

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
/* The state now, from or into a state vector (interp_state_size). */
void interp_stream_set_state(InterpStream *s, const double *state);
void interp_stream_get_state(InterpStream *s, double *state);
/* Offers every later step to tr (NULL: stop). */
void interp_stream_trace(InterpStream *s, const InterpTrace *tr);

#endif
