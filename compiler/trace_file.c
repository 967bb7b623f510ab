/*
 * trace_file.c - the trace of `lstmc run --trace` as CSV or .npy
 * (trace_file.h). One row per step of every sequence: seq, step (both from
 * 0), then every vector of every layer with state in the order the
 * interpreter offers them; the CSV's first line names the columns
 * ("mem.i.0", ...), which are the .npy's columns too.
 */
#include "trace_file.h"

#include <errno.h>
#include <string.h>

static void write_failed(TraceFile *tf)
{
    if (!tf->failed)
        tf->err = errno;
    tf->failed = 1;
}

/* The sink (trace.h): the rows of one run of the interpreter. */
static int write_rows(void *ctx, const Trace *t, long steps)
{
    TraceFile *tf = ctx;
    FILE *f = tf->out.f;
    for (long s = 0; s < steps && !tf->failed; s++) {
        const double *v = t->rows + (size_t)s * (size_t)t->width;
        if (tf->npy) {
            tf->row[0] = (double)t->seq;
            tf->row[1] = (double)(t->step + s);
            memcpy(tf->row + 2, v, sizeof(double) * (size_t)t->width);
            if (rt_out_row(&tf->rows, tf->row) != 0)
                write_failed(tf);
            continue;
        }
        fprintf(f, "%ld,%ld", t->seq, t->step + s);
        for (long k = 0; k < t->width; k++)
            fprintf(f, ",%.9g", v[k]);
        if (fputc('\n', f) == EOF)
            write_failed(tf);
    }
    return tf->failed ? -1 : 0;
}

static void write_header(TraceFile *tf)
{
    const Trace *t = &tf->trace;
    fputs("seq,step", tf->out.f);
    for (int v = 0; v < t->nvecs; v++)
        for (int k = 0; k < t->vecs[v].n; k++)
            fprintf(tf->out.f, ",%s", trace_column_name(tf->arena, t, &t->vecs[v], k));
    fputc('\n', tf->out.f);
}

int trace_file_open(TraceFile *tf, Arena *a, const IrModel *m, const char *path)
{
    memset(tf, 0, sizeof *tf);
    tf->arena = a;
    tf->npy = rt_format_of_path(path) == RT_NPY;
    if (outfile_open(&tf->out, path) != 0)
        return -1;
    trace_init(&tf->trace, m);
    tf->trace.sink = write_rows;
    tf->trace.sink_ctx = tf;
    if (tf->npy) {
        tf->row = arena_alloc(a, sizeof(double) * (size_t)(tf->trace.width + 2));
        if (rt_out_init(&tf->rows, tf->out.f, path, RT_NPY, (int)tf->trace.width + 2) != 0)
            write_failed(tf);
    } else {
        write_header(tf);
    }
    return 0;
}

int trace_file_close(TraceFile *tf, int ok)
{
    if (tf->npy) {
        if (ok && !tf->failed && rt_out_finish(&tf->rows, stderr) != 0)
            write_failed(tf);
        rt_out_free(&tf->rows);
    }
    trace_free(&tf->trace);
    if (!ok) {
        outfile_discard(&tf->out);
        return 0;
    }
    if (tf->failed) {
        diag_file_error(tf->out.path, "cannot write: %s", strerror(tf->err));
        outfile_discard(&tf->out);
        return -1;
    }
    return outfile_commit(&tf->out);
}
