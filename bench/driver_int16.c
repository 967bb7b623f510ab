/*
 * driver_int16.c - the lstmc system of the benchmark for integer-only code:
 * times the C (or LLVM object) that `lstmc compile` generated for a model
 * named `bench` with `arithmetic int16` (bench.h: bench_step on int16
 * rows), one bench_step call per timestep, batch 1, the only API that code
 * has. The input is rounded to BENCH_INPUT_FRAC as `lstmc run --arithmetic
 * int16` rounds it (ties away from zero, clamped), once, in peer_setup's
 * first run (the rows are the same every run); each output q is written as
 * q 2^-BENCH_OUTPUT_FRAC, exactly the interpreter's rows (the check's
 * reference is `lstmc run` of the same spec, whose arithmetic is int16).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench.h"
#include "peer.h"

static PeerModel model;
static bench_state state;
static int16_t *qx, *qy;            /* [steps][input], [steps][output] */
static const float *rounded_from;   /* the x whose rows qx holds (peer.c reads its input once) */
static float out_scale;             /* 2^-BENCH_OUTPUT_FRAC */

const char *peer_setup(const PeerModel *m, char *note, int note_size)
{
    model = *m;
    if (m->input != BENCH_INPUT_SIZE || m->output != BENCH_OUTPUT_SIZE || BENCH_OUTPUT_LAST)
        return "bench.h was generated for another model";
    if (m->batch > 1)
        return "the integer code steps one sequence (batch 1)";
    qx = malloc((size_t)m->steps * BENCH_INPUT_SIZE * sizeof *qx);
    qy = malloc((size_t)m->steps * BENCH_OUTPUT_SIZE * sizeof *qy);
    if (!qx || !qy)
        return "out of memory";
    out_scale = (float)ldexp(1.0, -BENCH_OUTPUT_FRAC);
    snprintf(note, (size_t)note_size, "bench_step on int16 rows, one call per timestep (arithmetic int16)");
    return NULL;
}

static int16_t quantize(float v)
{
    double s = ldexp((double)v, BENCH_INPUT_FRAC);
    if (!(s < 32767.0))
        return 32767;
    if (!(s > -32768.0))
        return -32768;
    return (int16_t)lround(s);
}

void peer_run(const float *x, float *y)
{
    size_t T = (size_t)model.steps, t, k;
    if (x != rounded_from) {
        for (k = 0; k < T * BENCH_INPUT_SIZE; k++)
            qx[k] = quantize(x[k]);
        rounded_from = x;
    }
    bench_reset(&state);
    for (t = 0; t < T; t++)
        bench_step(&state, qx + t * BENCH_INPUT_SIZE, qy + t * BENCH_OUTPUT_SIZE);
    for (k = 0; k < T * BENCH_OUTPUT_SIZE; k++)
        y[k] = (float)qy[k] * out_scale;   /* exact: a power of two */
}
