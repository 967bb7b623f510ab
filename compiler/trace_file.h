/*
 * trace_file.h - `lstmc run --trace FILE`: the interpreter's trace
 * (trace.h) written as CSV or, for a FILE ending in .npy, a float32 .npy
 * array; the layout is documented in grammar/SPEC.md ("Traces").
 */
#ifndef LSTMC_TRACE_FILE_H
#define LSTMC_TRACE_FILE_H

#include "lstmc_rows.h"
#include "trace.h"

typedef struct TraceFile {
    Trace trace;               /* hand &trace to the interpreter's runner */
    OutFile out;
    int npy;                   /* else CSV */
    rt_out rows;               /* npy */
    double *row;               /* npy: seq, step and one step's numbers */
    int failed;                /* a write failed (errno kept in err) */
    int err;
    Arena *arena;
} TraceFile;

/* Finds m's trace layout and opens path (written to a temporary, renamed
 * by close). Returns 0, or -1 after reporting "PATH: error: cannot write". */
int trace_file_open(TraceFile *tf, Arena *a, const IrModel *m, const char *path);
/* Finishes the file and renames it over path if ok, else removes it.
 * Returns 0, or -1 after reporting a failed write. */
int trace_file_close(TraceFile *tf, int ok);

#endif
