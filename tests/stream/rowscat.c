/*
 * rowscat.c - prints any data file lstmc reads (text, f32, .npy) as text
 * rows, %.9g, no blank lines: the form `lstmc run` prints its outputs in,
 * so tests/run_stream.sh can compare an f32 or .npy output with the text
 * one. With --shape it prints only the .npy array's shape.
 *
 *   rowscat WIDTH FORM FILE [--shape]
 */
#include "lstmc_rows.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: rowscat WIDTH text|f32|npy FILE [--shape]\n");
        return 2;
    }
    int width = atoi(argv[1]), form = rt_format_named(argv[2]);
    int shape = argc > 4 && strcmp(argv[4], "--shape") == 0;
    FILE *in = fopen(argv[3], "rb");
    if (width < 1 || form < 0 || !in) {
        fprintf(stderr, "rowscat: bad arguments or cannot open %s\n", argv[3]);
        return 2;
    }
    rt_rows r;
    rt_rows_init(&r, in, argv[3], width);
    rt_rows_format(&r, (rt_format)form, 0);
    double *x = malloc(sizeof *x * (size_t)width);
    int st;
    while (x && (st = rt_rows_step(&r, x, stderr)) != RT_END && st != RT_ERROR)
        if (st == RT_STEP && !shape)
            rt_rows_write(stdout, x, width);
    if (shape && r.npy_ndim == 3)
        printf("(%llu, %llu, %d)\n", r.npy_seqs, r.npy_steps, width);
    else if (shape)
        printf("(%llu, %d)\n", r.npy_steps, width);
    free(x);
    rt_rows_free(&r);
    fclose(in);
    return x && st == RT_END ? 0 : 1;
}
