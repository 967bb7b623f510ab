/*
 * trace.c - the interpreter's steps collected into rows (trace.h).
 */
#include "trace.h"

#include <string.h>

/* The probe's hook: each vector offered on the one step becomes columns. */
static void discover(void *ctx, int layer, int dir, long t, const InterpVec *v, int n)
{
    Trace *tr = ctx;
    (void)t;
    tr->vecs = mem_realloc(tr->vecs, sizeof *tr->vecs * (size_t)(tr->nvecs + n));
    for (int k = 0; k < n; k++) {
        tr->vecs[tr->nvecs++] = (TraceVec){layer, dir, v[k].name, v[k].n, tr->width};
        tr->width += v[k].n;
    }
}

/* The real hook: the vectors into the row of step t, in the probe's order
 * (the first of this layer and direction found by a search: tracing is
 * not the fast path). */
static void collect(void *ctx, int layer, int dir, long t, const InterpVec *v, int n)
{
    Trace *tr = ctx;
    int first = 0;
    while (first < tr->nvecs && (tr->vecs[first].layer != layer || tr->vecs[first].dir != dir))
        first++;
    double *row = tr->rows + (size_t)t * (size_t)tr->width;
    for (int k = 0; k < n && first + k < tr->nvecs; k++)
        memcpy(row + tr->vecs[first + k].offset, v[k].v, sizeof(double) * (size_t)v[k].n);
}

void trace_init(Trace *t, const IrModel *m)
{
    memset(t, 0, sizeof *t);
    t->m = m;
    t->hook = (InterpTrace){discover, t};
    double *x = mem_alloc(sizeof(double) * (size_t)m->input);
    double *y = mem_alloc(sizeof(double) * (size_t)m->output);
    memset(x, 0, sizeof(double) * (size_t)m->input);
    interp_run_traced(m, x, 1, y, &t->hook);
    mem_free(x);
    mem_free(y);
    t->hook = (InterpTrace){collect, t};
}

void trace_free(Trace *t)
{
    mem_free(t->vecs);
    mem_free(t->rows);
    memset(t, 0, sizeof *t);
}

void trace_begin(Trace *t, long steps)
{
    size_t need = (size_t)steps * (size_t)t->width;
    if (need > t->rows_cap) {
        t->rows = mem_realloc(t->rows, sizeof(double) * need);
        t->rows_cap = need;
    }
}

int trace_end(Trace *t, long steps)
{
    int st = t->sink ? t->sink(t->sink_ctx, t, steps) : 0;
    t->step += steps;
    return st;
}

void trace_new_sequence(Trace *t)
{
    if (t->step > 0) {
        t->seq++;
        t->step = 0;
    }
}

const TraceVec *trace_find(const Trace *t, int layer, int dir, const char *name)
{
    for (int k = 0; k < t->nvecs; k++)
        if (t->vecs[k].layer == layer && t->vecs[k].dir == dir && strcmp(t->vecs[k].name, name) == 0)
            return &t->vecs[k];
    return NULL;
}

char *trace_column_name(Arena *a, const Trace *t, const TraceVec *v, int k)
{
    return arena_printf(a, "%s%s.%s.%d", t->m->layers[v->layer].name, v->dir ? ".bwd" : "", v->name, k);
}
