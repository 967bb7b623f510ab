/*
 * driver.c - a program over the C API of any lstmc model compiled with
 * `--name model` (model.h, with the C backend's model.c or the LLVM
 * backend's model.o): reads rows with the shared row reader, runs each
 * sequence through model_run and prints what `lstmc run` prints. The
 * differential tests link it with the LLVM object (tests/run_diff.sh,
 * DIFF_CANDIDATE=obj), so the object is tested through the header a user's
 * program would include. A model of token ids (MODEL_VOCABULARY) is given
 * int32_t ids, checked by the reader. A model compiled with --threads
 * (MODEL_THREADS) runs with its threads started.
 *
 *   cc -Ibuild/dir -Iruntime tests/llvm/driver.c runtime/lstmc_rows.c model.o -lm
 *   ./a.out [INPUT]
 */
#include "lstmc_rows.h"
#include "model.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    FILE *in = argc > 1 ? fopen(argv[1], "r") : stdin;
    if (!in) {
        fprintf(stderr, "%s: error: cannot open\n", argv[1]);
        return 1;
    }
    rt_rows rows;
    rt_rows_init(&rows, in, argc > 1 ? argv[1] : "<stdin>", MODEL_INPUT_SIZE);
#ifdef MODEL_VOCABULARY
    rt_rows_tokens(&rows, MODEL_VOCABULARY);
    int32_t *x = NULL;
#else
    float *x = NULL;
#endif
    model_state *s = calloc(1, sizeof *s);   /* zeroed: no threads until they start */
    float *y = NULL, *scratch = NULL;
    double *out = NULL;
    int status = 0;
    if (!s)
        return 1;
#ifdef MODEL_THREADS
    /* --threads: the layers' tiles shared with the model's threads */
    model_threads pool;
    if (model_threads_start(s, &pool) != 0)
        return 1;
#endif
    for (;;) {
        const double *v;
        long steps = rt_rows_next(&rows, &v, stderr);
        if (steps <= 0) {
            status = steps < 0;
            break;
        }
        long out_rows = MODEL_OUTPUT_LAST ? 1 : steps;
        size_t nx = (size_t)steps * MODEL_INPUT_SIZE, ny = (size_t)out_rows * MODEL_OUTPUT_SIZE;
        x = realloc(x, nx * sizeof *x);
        y = realloc(y, ny * sizeof *y);
        out = realloc(out, ny * sizeof *out);
        if (!x || !y || !out)
            return 1;
        for (size_t k = 0; k < nx; k++)
#ifdef MODEL_VOCABULARY
            x[k] = (int32_t)v[k];
#else
            x[k] = (float)v[k];
#endif
        model_reset(s);
#if MODEL_STREAMING
        model_run(s, x, (size_t)steps, y);
#else
        scratch = realloc(scratch, (MODEL_SCRATCH_FLOATS(steps) + 1) * sizeof *scratch);
        if (!scratch)
            return 1;
        model_run(s, x, (size_t)steps, y, scratch);
#endif
        for (size_t k = 0; k < ny; k++)
            out[k] = y[k];
        for (long t = 0; t < out_rows; t++)
            if (rt_rows_write(stdout, out + t * MODEL_OUTPUT_SIZE, MODEL_OUTPUT_SIZE) < 0)
                return 1;
    }
    rt_rows_free(&rows);
#ifdef MODEL_THREADS
    model_threads_stop(s);
#endif
    free(s);
    free(x);
    free(y);
    free(scratch);
    free(out);
    if (in != stdin)
        fclose(in);
    return status;
}
