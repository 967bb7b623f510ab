/*
 * time_step.c - the time of one model_step of a model compiled with
 * --name model, for examples/common/type_table.sh: ROUNDS rounds, each
 * stepping 256-step sequences (from the initial state) for at least 20 ms,
 * print the ns per step of each round. The model is a float one (float
 * rows) or arithmetic int16's (int16 rows: MODEL_INPUT_FRAC is defined);
 * the input is a fixed pattern in [-1, 1), the same for every model of a
 * shape.
 *
 *   cc -O2 -I DIR time_step.c DIR/model.c -lm && ./a.out ROUNDS
 */
#include "model.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define T 256

#ifdef MODEL_INPUT_FRAC
typedef int16_t row;
#define INPUT(v) ((int16_t)((v) * (1 << MODEL_INPUT_FRAC) * 0.999))
#else
typedef float row;
#define INPUT(v) ((float)(v))
#endif

static model_state s;
static row x[T][MODEL_INPUT_SIZE], y[MODEL_OUTPUT_SIZE];
static volatile double sink;   /* keeps the outputs alive */

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

int main(int argc, char **argv)
{
    int rounds = argc > 1 ? atoi(argv[1]) : 5, r, t, k;
    for (t = 0; t < T; t++)
        for (k = 0; k < MODEL_INPUT_SIZE; k++)
            x[t][k] = INPUT((double)((t * 7 + k * 13) % 200 - 100) / 100.0);
    for (r = 0; r < rounds; r++) {
        long steps = 0;
        double t0 = now_ns(), t1;
        do {
            model_reset(&s);
            for (t = 0; t < T; t++)
                model_step(&s, x[t], y);
            sink += (double)y[0];
            steps += T;
            t1 = now_ns();
        } while (t1 - t0 < 20e6);
        printf("%.1f\n", (t1 - t0) / (double)steps);
    }
    return 0;
}
