/*
 * api.c - checks the C API of a model compiled with `--name model`
 * (model.h with the LLVM backend's model.o, or the C backend's model.c)
 * against itself: for a streaming model, NAME_step step by step, NAME_run
 * in two pieces and NAME_run_batch over seven sequences must give what one
 * NAME_run gives; for a model with a backward direction, NAME_run must
 * reset by itself (the same output twice). The sequence is longer than
 * MODEL_CHUNK, so the chunked input projection crosses a chunk boundary.
 * Prints the largest difference; exits 1 beyond 1e-6. A model of token ids
 * (MODEL_VOCABULARY) gets ids, some of them out of range (read as zeros).
 *
 * First, the object must be the header's: NAME_model_hash() of the object
 * is NAME_MODEL_HASH, NAME_state_bytes() is sizeof(NAME_state), and a run
 * writes nothing past it (check_state_size).
 *
 *   cc -std=c99 -I DIR tests/llvm/api.c DIR/model.o -lm && ./a.out
 */
#include "model.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define T (MODEL_CHUNK + 5)             /* steps of a sequence */
#define NB 7                            /* sequences of the batch: a pass of 4 and one of 3 */
#define OUT_ROWS (MODEL_OUTPUT_LAST ? 1 : T)

static double worst;

/* What the model reads per step. */
#ifdef MODEL_VOCABULARY
typedef int32_t input;
#else
typedef float input;
#endif

/* Keeps the largest |a - b| over n floats. */
static void compare(const float *a, const float *b, size_t n)
{
    size_t k;
    for (k = 0; k < n; k++) {
        double d = fabs((double)a[k] - (double)b[k]);
        if (!(d <= worst))
            worst = d;   /* NaN too */
    }
}

/* x[k] in [-1, 1) from a fixed linear congruential sequence; token ids
 * from -2 to MODEL_VOCABULARY + 1 (an id out of range reads as zeros). */
static void fill(input *x, size_t n, unsigned seed)
{
    unsigned long s = seed * 2654435761u + 1u;
    size_t k;
    for (k = 0; k < n; k++) {
        s = (s * 1103515245u + 12345u) & 0x7fffffffu;
#ifdef MODEL_VOCABULARY
        x[k] = (input)(s % (MODEL_VOCABULARY + 4)) - 2;
#else
        x[k] = (float)s / 1073741824.0f - 1.0f;
#endif
    }
}

/* The object's state size (model_state_bytes(), from the object) is the
 * header's sizeof(model_state), and a run of more than a chunk of steps,
 * reset first, writes nothing past it: guard bytes after the state keep
 * their pattern. Returns 0, or 1 after saying which. */
#define GUARD 256
static int check_state_size(const input *x)
{
    size_t n = sizeof(model_state), k, past = 0;
    if (model_model_hash() != MODEL_MODEL_HASH) {
        printf("hash: the object is of model 0x%016llx, the header of 0x%016llx\n", model_model_hash(),
               (unsigned long long)MODEL_MODEL_HASH);
        return 1;
    }
    if (model_state_bytes() != n) {
        printf("state: the object has %zu bytes, sizeof(model_state) = %zu: the object's state is %s\n",
               model_state_bytes(), n, model_state_bytes() > n ? "larger" : "smaller");
        return 1;
    }
    unsigned char *p = malloc(n + GUARD);
    float *y = malloc(sizeof *y * T * MODEL_OUTPUT_SIZE);
    if (!p || !y)
        return 1;
    memset(p, 0xa5, n + GUARD);
    model_reset((model_state *)(void *)p);
#if MODEL_STREAMING
    model_run((model_state *)(void *)p, x, T, y);
#else
    {
        float *scratch = malloc(sizeof *scratch * (MODEL_SCRATCH_FLOATS(T) + 1));
        if (!scratch)
            return 1;
        model_run((model_state *)(void *)p, x, T, y, scratch);
        free(scratch);
    }
#endif
    for (k = n; k < n + GUARD; k++)
        if (p[k] != 0xa5)
            past = k + 1 - n;
    free(p);
    free(y);
    if (past) {
        printf("state: a run writes %zu bytes past sizeof(model_state) = %zu: the object's state is larger\n",
               past, n);
        return 1;
    }
    printf("state: %zu bytes, as in the header; ", n);
    return 0;
}

int main(void)
{
    model_state *s = malloc(sizeof *s * NB);
    input *x = malloc(sizeof *x * NB * T * MODEL_INPUT_SIZE);
    float *y = malloc(sizeof *y * NB * T * MODEL_OUTPUT_SIZE);
    float *ref = malloc(sizeof *ref * NB * T * MODEL_OUTPUT_SIZE);
    if (!s || !x || !y || !ref)
        return 1;
    fill(x, (size_t)NB * T * MODEL_INPUT_SIZE, 7);
    if (check_state_size(x) != 0)
        return 1;

#if MODEL_STREAMING
    {
        input *xb = malloc(sizeof *xb * NB * T * MODEL_INPUT_SIZE);
        size_t b, t;
        if (!xb)
            return 1;
        /* one NAME_run per sequence: the reference */
        for (b = 0; b < NB; b++) {
            model_reset(&s[0]);
            model_run(&s[0], x + b * T * MODEL_INPUT_SIZE, T, ref + b * OUT_ROWS * MODEL_OUTPUT_SIZE);
        }
        /* step by step */
        model_reset(&s[0]);
        for (t = 0; t < T; t++)
            model_step(&s[0], x + t * MODEL_INPUT_SIZE,
                       y + (MODEL_OUTPUT_LAST ? 0 : t * MODEL_OUTPUT_SIZE));
        compare(y, ref, (size_t)OUT_ROWS * MODEL_OUTPUT_SIZE);
        /* in two pieces: the state carries over */
        model_reset(&s[0]);
        model_run(&s[0], x, 3, y);
        model_run(&s[0], x + 3 * MODEL_INPUT_SIZE, T - 3, y + (MODEL_OUTPUT_LAST ? 0 : 3 * MODEL_OUTPUT_SIZE));
        compare(y, ref, (size_t)OUT_ROWS * MODEL_OUTPUT_SIZE);
        /* the batch: x [T][NB][INPUT], y [OUT_ROWS][NB][OUTPUT] */
        for (t = 0; t < T; t++)
            for (b = 0; b < NB; b++)
                memcpy(xb + (t * NB + b) * MODEL_INPUT_SIZE, x + (b * T + t) * MODEL_INPUT_SIZE,
                       sizeof *x * MODEL_INPUT_SIZE);
        for (b = 0; b < NB; b++)
            model_reset(&s[b]);
        model_run_batch(s, NB, xb, T, y);
        for (t = 0; t < OUT_ROWS; t++)
            for (b = 0; b < NB; b++)
                compare(y + (t * NB + b) * MODEL_OUTPUT_SIZE,
                        ref + (b * OUT_ROWS + t) * MODEL_OUTPUT_SIZE, MODEL_OUTPUT_SIZE);
        free(xb);
        printf("step, run in pieces and run_batch agree with run: max |diff| %g\n", worst);
    }
#else
    {
        float *scratch = malloc(sizeof *scratch * (MODEL_SCRATCH_FLOATS(T) + 1));
        if (!scratch)
            return 1;
        model_run(&s[0], x, T, ref, scratch);
        model_run(&s[0], x, T, y, scratch);
        compare(y, ref, (size_t)OUT_ROWS * MODEL_OUTPUT_SIZE);
        free(scratch);
        printf("run resets by itself: max |diff| %g\n", worst);
    }
#endif
    free(s);
    free(x);
    free(y);
    free(ref);
    return worst <= 1e-6 ? 0 : 1;
}
