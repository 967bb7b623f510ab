/*
 * driver.c - runs a model compiled with `lstmc compile --arithmetic int16
 * --name model` on a text input file as `lstmc run` reads one (a line per
 * step, numbers separated by spaces, a blank line ends a sequence) and
 * prints what `lstmc run --arithmetic int16` prints: each input rounded to
 * MODEL_INPUT_FRAC (ties away from zero, clamped), each output row
 * q 2^-MODEL_OUTPUT_FRAC with %.9g, one line per step (or per sequence
 * with MODEL_OUTPUT_LAST). A model that needs the whole sequence
 * (MODEL_STREAMING 0: a backward direction) gets each sequence, of at most
 * MAX_STEPS steps, through model_run. The model itself computes in integers; this
 * program's conversions are the host's part (float, soft on a core
 * without an FPU). Used by tests/run_int16.sh, on the host and under QEMU.
 *
 *   driver INPUT.txt
 */
#include "model.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static model_state state;

#if !MODEL_STREAMING
enum { MAX_STEPS = 64 };   /* small: a Cortex-M0 has 16 KB of RAM */
static int16_t xs[MAX_STEPS * MODEL_INPUT_SIZE], ys[MAX_STEPS * MODEL_OUTPUT_SIZE];
static int16_t scratch[MODEL_SCRATCH_INT16(MAX_STEPS)];
#endif

static int16_t quantize(double x)
{
    double s = ldexp(x, MODEL_INPUT_FRAC);
    if (s >= 32767.0)
        return 32767;
    if (s <= -32768.0)
        return -32768;
    return (int16_t)lround(s);
}

static void print_row(const int16_t *y)
{
    int k;
    for (k = 0; k < MODEL_OUTPUT_SIZE; k++)
        printf(k ? " %.9g" : "%.9g", ldexp((double)y[k], -MODEL_OUTPUT_FRAC));
    putchar('\n');
}

/* The end of a sequence of steps steps: its rows (a streaming model's last
 * one, for MODEL_OUTPUT_LAST; every row of a whole-sequence model). */
static void end_sequence(long steps, const int16_t *y)
{
#if MODEL_STREAMING
    if (MODEL_OUTPUT_LAST && steps > 0)
        print_row(y);
#else
    long t;
    (void)y;
    if (steps == 0)
        return;
    model_run(&state, xs, (size_t)steps, ys, scratch);
    for (t = 0; t < (MODEL_OUTPUT_LAST ? 1 : steps); t++)
        print_row(ys + t * MODEL_OUTPUT_SIZE);
#endif
}

int main(int argc, char **argv)
{
    static char line[2048];   /* small: a Cortex-M0 has 16 KB of RAM */
    int16_t x[MODEL_INPUT_SIZE], y[MODEL_OUTPUT_SIZE];
    long steps = 0;
    FILE *in;
    if (argc != 2 || !(in = fopen(argv[1], "r"))) {
        fprintf(stderr, "usage: driver INPUT.txt (a readable file)\n");
        return 2;
    }
    model_reset(&state);
    for (;;) {
        char *p = fgets(line, sizeof line, in), *end;
        int k;
        if (!p || line[0] == '\n') {   /* the end of a sequence */
            end_sequence(steps, y);
            model_reset(&state);
            steps = 0;
            if (!p)
                break;
            continue;
        }
        for (k = 0; k < MODEL_INPUT_SIZE; k++) {
            double v = strtod(p, &end);
            if (end == p) {
                fprintf(stderr, "driver: a line with fewer than %d numbers\n", MODEL_INPUT_SIZE);
                return 1;
            }
            x[k] = quantize(v);
            p = end;
        }
#if MODEL_STREAMING
        model_step(&state, x, y);
        if (!MODEL_OUTPUT_LAST)
            print_row(y);
#else
        if (steps == MAX_STEPS) {
            fprintf(stderr, "driver: a sequence of more than %d steps\n", MAX_STEPS);
            return 1;
        }
        for (k = 0; k < MODEL_INPUT_SIZE; k++)
            xs[steps * MODEL_INPUT_SIZE + k] = x[k];
#endif
        steps++;
    }
    fclose(in);
    return 0;
}
