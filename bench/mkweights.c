/*
 * mkweights.c - the benchmark's model and data: random LSTM weights in the
 * PyTorch convention (lstm.weight_ih_l{k} [4H, in], lstm.weight_hh_l{k}
 * [4H, H], lstm.bias_ih_l{k} and lstm.bias_hh_l{k} [4H], gate order i f g o)
 * and a random input in lstmc's data format (B sequences of T lines of I
 * numbers, a blank line between sequences). Every system of the benchmark
 * reads these two files. Deterministic: a fixed linear congruential
 * generator, as in examples/variants/gen_weights.c.
 *
 *   mkweights I H LAYERS BATCH STEPS OUT.safetensors INPUT.txt
 *
 * Weights are uniform in [-1/sqrt(H), 1/sqrt(H)] (PyTorch's nn.LSTM
 * initialization), inputs uniform in [-1, 1].
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "safetensors.h"

enum { MAX_LAYERS = 8 };

static unsigned long rng = 2024;

/* Uniform in [-scale, scale] from a 31-bit LCG (no libc rand(): its
 * sequence differs between C libraries). */
static float uniform(float scale)
{
    rng = (rng * 1103515245UL + 12345UL) & 0x7fffffffUL;
    return scale * (2.0f * (float)rng / (float)0x7fffffff - 1.0f);
}

static float *random_floats(long n, float scale)
{
    float *v = mem_alloc((size_t)n * sizeof *v);
    for (long k = 0; k < n; k++)
        v[k] = uniform(scale);
    return v;
}

static long arg_size(const char *s, const char *what)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (*end != '\0' || v < 1 || v > 1L << 20) {
        fprintf(stderr, "mkweights: bad %s '%s'\n", what, s);
        exit(2);
    }
    return v;
}

/* B sequences of T steps of I numbers, %.9g so the float32 value is exact. */
static int write_input(const char *path, long I, long B, long T)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        perror(path);
        return -1;
    }
    for (long b = 0; b < B; b++) {
        if (b > 0)
            fputc('\n', f);
        for (long t = 0; t < T; t++)
            for (long i = 0; i < I; i++)
                fprintf(f, "%.9g%c", (double)uniform(1.0f), i + 1 == I ? '\n' : ' ');
    }
    return fclose(f) == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
    if (argc != 8) {
        fprintf(stderr, "usage: mkweights I H LAYERS BATCH STEPS OUT.safetensors INPUT.txt\n");
        return 2;
    }
    long I = arg_size(argv[1], "input size"), H = arg_size(argv[2], "hidden size");
    long L = arg_size(argv[3], "layer count"), B = arg_size(argv[4], "batch");
    long T = arg_size(argv[5], "step count");
    if (L > MAX_LAYERS) {
        fprintf(stderr, "mkweights: at most %d layers\n", MAX_LAYERS);
        return 2;
    }
    float scale = 1.0f / sqrtf((float)H);
    const char *names[4 * MAX_LAYERS];
    int ndims[4 * MAX_LAYERS];
    long shapes[4 * MAX_LAYERS][ST_MAX_DIMS] = {{0}};
    const float *data[4 * MAX_LAYERS];
    Arena a = {0};
    int n = 0;
    for (long k = 0; k < L; k++) {
        long in = k == 0 ? I : H;
        const char *kind[4] = {"weight_ih", "weight_hh", "bias_ih", "bias_hh"};
        long cols[4] = {in, H, 0, 0};
        for (int j = 0; j < 4; j++, n++) {
            names[n] = arena_printf(&a, "lstm.%s_l%ld", kind[j], k);
            shapes[n][0] = 4 * H;
            shapes[n][1] = cols[j];
            ndims[n] = cols[j] ? 2 : 1;
            data[n] = random_floats(4 * H * (cols[j] ? cols[j] : 1), scale);
        }
    }
    int rc = st_write_f32(argv[6], n, names, ndims, (const long (*)[ST_MAX_DIMS])shapes, data);
    if (rc == 0)
        rc = write_input(argv[7], I, B, T);
    for (int k = 0; k < n; k++)
        mem_free((void *)data[k]);
    arena_free(&a);
    return rc == 0 ? 0 : 1;
}
