/*
 * lstmc_rows.h - the data format every lstmc tool reads and writes, shared by
 * `lstmc run` and the standalone binaries of `lstmc build`. Plain C99, only
 * the C standard library.
 *
 * Input: one timestep per line, `width` numbers separated by spaces, tabs or
 * commas; a blank line ends a sequence (the state resets). Output: one line
 * per output row, numbers printed with %.9g separated by one space.
 */
#ifndef LSTMC_ROWS_H
#define LSTMC_ROWS_H

#include <stddef.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct rt_rows {
    FILE *in;
    const char *name;     /* for messages: the file name or "<stdin>" */
    int width;            /* numbers per line */
    long line;            /* lines read so far */
    char *buf;            /* the current line */
    size_t buf_cap;
    double *vals;         /* the current sequence, steps * width values */
    size_t vals_cap;
} rt_rows;

void rt_rows_init(rt_rows *r, FILE *in, const char *name, int width);

/* Reads the next sequence. Returns its number of steps (>= 1) and points *x
 * at steps * width values, valid until the next call; 0 at the end of the
 * input; -1 after writing "name:line:col: error: ..." and a newline to err
 * (a wrong count of numbers, text that is not a finite number, a read
 * error, or out of memory). Nothing of a bad sequence is returned. */
long rt_rows_next(rt_rows *r, const double **x, FILE *err);

/* Writes n values as one line. Returns 0, or -1 if the write failed. */
int rt_rows_write(FILE *out, const double *y, int n);

void rt_rows_free(rt_rows *r);

#ifdef __cplusplus
}
#endif

#endif
