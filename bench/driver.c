/*
 * driver.c - the lstmc system of the benchmark: times the C that
 * `lstmc compile` generated for a model named `bench` (bench.h, bench.c,
 * compiled together with this file and peer.c; see bench/run.sh).
 *
 * One sequence goes through bench_run(). A batch of B > 1 sequences goes
 * through bench_run_batch() when the header offers it (BENCH_BATCH defined),
 * and otherwise through bench_run() one sequence after another, which its
 * note calls the sequential fallback.
 *
 * Code generated with `lstmc compile --threads N` (the header then defines
 * BENCH_THREADS) gets its threads once, in peer_setup, on the state of a
 * single sequence (bench_run_batch does not use them); they are joined at
 * exit.
 *
 * A model that needs the whole sequence (a backward direction: the header
 * says BENCH_STREAMING 0) has bench_run(s, x, steps, y, scratch), with
 * BENCH_SCRATCH_FLOATS(steps) floats of scratch, allocated here once.
 *
 * Built with -DBENCH_STEP_API, it drives the step API instead: one
 * bench_step() call per timestep (batch 1, a streaming model), the way an
 * application feeding a stream would; otherwise one bench_run() call per
 * sequence.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "peer.h"

static PeerModel model;
static bench_state *states;   /* one per sequence of the batch */
#ifndef BENCH_BATCH
static float *seq_x, *seq_y;  /* the fallback's one sequence: [steps][input], [steps][output] */
#endif

#if defined(BENCH_STREAMING) && !BENCH_STREAMING
static float *scratch;   /* BENCH_SCRATCH_FLOATS(steps) floats */
#define RUN_ONE(s, x, T, y) bench_run(s, x, T, y, scratch)
#else
#define RUN_ONE(s, x, T, y) bench_run(s, x, T, y)
#endif

#ifdef BENCH_THREADS
static bench_threads threads;
static void stop_threads(void)
{
    bench_threads_stop(&states[0]);
}
#endif

const char *peer_setup(const PeerModel *m, char *note, int note_size)
{
    model = *m;
    if (m->input != BENCH_INPUT_SIZE || m->output != BENCH_OUTPUT_SIZE || BENCH_OUTPUT_LAST)
        return "bench.h was generated for another model";
#ifdef BENCH_STEP_API
    if (!BENCH_STREAMING)
        return "the model has no bench_step (it needs the whole sequence)";
    if (m->batch > 1)
        return "the step API rows are for batch 1";
#endif
    states = calloc((size_t)m->batch, sizeof *states);
    if (!states)
        return "out of memory";
#if defined(BENCH_STREAMING) && !BENCH_STREAMING
    scratch = malloc((BENCH_SCRATCH_FLOATS(m->steps) + 1) * sizeof *scratch);
    if (!scratch)
        return "out of memory";
#endif
#if defined(BENCH_STEP_API)
    snprintf(note, (size_t)note_size, "bench_step, one call per timestep");
#elif defined(BENCH_BATCH)
    if (m->batch > 1)
        snprintf(note, (size_t)note_size, "bench_run_batch over %d sequences", m->batch);
    else
        snprintf(note, (size_t)note_size, "bench_run");
#else
    seq_x = malloc((size_t)m->steps * BENCH_INPUT_SIZE * sizeof *seq_x);
    seq_y = malloc((size_t)m->steps * BENCH_OUTPUT_SIZE * sizeof *seq_y);
    if (!seq_x || !seq_y)
        return "out of memory";
    if (m->batch > 1)
        snprintf(note, (size_t)note_size,
                 "sequential fallback: no bench_run_batch, %d sequences one after another through bench_run",
                 m->batch);
    else
        snprintf(note, (size_t)note_size, "bench_run");
#endif
#if defined(BENCH_STREAMING) && !BENCH_STREAMING
    size_t len0 = strlen(note);
    snprintf(note + len0, (size_t)note_size - len0, " (whole sequences only: no bench_step)");
#endif
#ifdef BENCH_THREADS
    if (m->batch > 1)
        return "the threads serve bench_run only (batch 1)";
    bench_reset(&states[0]);
    if (bench_threads_start(&states[0], &threads) != 0)
        return "bench_threads_start failed";
    atexit(stop_threads);
    size_t len = strlen(note);
    snprintf(note + len, (size_t)note_size - len, ", %d threads (bench_threads_start)", BENCH_THREADS);
#endif
    return NULL;
}

void peer_run(const float *x, float *y)
{
    size_t B = (size_t)model.batch, T = (size_t)model.steps;
#if defined(BENCH_STEP_API) && BENCH_STREAMING
    bench_reset(&states[0]);   /* batch 1 (peer_setup): the step API, step by step */
    for (size_t t = 0; t < T; t++)
        bench_step(&states[0], x + t * BENCH_INPUT_SIZE, y + t * BENCH_OUTPUT_SIZE);
    return;
#endif
    if (B == 1) {   /* one sequence: the plain API */
        bench_reset(&states[0]);
        RUN_ONE(&states[0], x, T, y);
        return;
    }
#ifdef BENCH_BATCH
    for (size_t b = 0; b < B; b++)
        bench_reset(&states[b]);
    bench_run_batch(states, B, x, T, y);
#else
    /* x is [steps][batch][input]: gather sequence b, run it, scatter its
     * output (a few microseconds against milliseconds of compute). */
    for (size_t b = 0; b < B; b++) {
        for (size_t t = 0; t < T; t++)
            memcpy(seq_x + t * BENCH_INPUT_SIZE, x + (t * B + b) * BENCH_INPUT_SIZE,
                   BENCH_INPUT_SIZE * sizeof *x);
        bench_reset(&states[b]);
        RUN_ONE(&states[b], seq_x, T, seq_y);
        for (size_t t = 0; t < T; t++)
            memcpy(y + (t * B + b) * BENCH_OUTPUT_SIZE, seq_y + t * BENCH_OUTPUT_SIZE,
                   BENCH_OUTPUT_SIZE * sizeof *y);
    }
#endif
}
