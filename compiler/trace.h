/*
 * trace.h - what happens inside each step: the interpreter's trace hooks
 * (interp.h) collected into rows, one row per step, one column per number
 * a layer offers (an LSTM's gates i, f, g, o, its c and h). Used by
 * `lstmc run --trace` (trace_file.c writes the rows) and `lstmc compare`
 * (which diffs the h and c of two models).
 *
 * The layout is found by running the model for one step of zeros before
 * the real run: whatever vectors the interpreter offers, in the order it
 * offers them (layer by layer, direction by direction), become the
 * columns. A new layer kind that offers its own vectors gets columns
 * without any change here.
 */
#ifndef LSTMC_TRACE_H
#define LSTMC_TRACE_H

#include "interp.h"

/* One vector a layer offers each step: n columns from `offset`. */
typedef struct TraceVec {
    int layer, dir;
    const char *name;          /* "i", "f", "g", "o", "c", "h", ... */
    int n;
    long offset;
} TraceVec;

typedef struct Trace {
    const IrModel *m;
    TraceVec *vecs;
    int nvecs;
    long width;                /* numbers per row: the sum of the vectors' n */
    double *rows;              /* the rows of the current run: [steps][width] */
    size_t rows_cap;
    long seq, step;            /* where the current run's first row is */
    InterpTrace hook;          /* hand this to the interpreter */
    /* Called by trace_end with the rows of a run (may be NULL). */
    int (*sink)(void *ctx, const struct Trace *t, long steps);
    void *sink_ctx;
} Trace;

/* Finds the layout of m (one step of zeros through the interpreter). */
void trace_init(Trace *t, const IrModel *m);
void trace_free(Trace *t);
/* Before a run of `steps` rows. */
void trace_begin(Trace *t, long steps);
/* After it: hands the rows to the sink and moves on. Returns the sink's
 * status (0 if none). */
int trace_end(Trace *t, long steps);
/* A new sequence starts (steps count from 0 again). */
void trace_new_sequence(Trace *t);
/* The vector of a layer and direction named name, or NULL. */
const TraceVec *trace_find(const Trace *t, int layer, int dir, const char *name);
/* "mem.c.3", "enc.l1.bwd.h.0": column k of vector v. */
char *trace_column_name(Arena *a, const Trace *t, const TraceVec *v, int k);

#endif
