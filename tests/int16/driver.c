/*
 * driver.c - runs a model compiled with `lstmc compile --arithmetic int16
 * --name model` on a text input file as `lstmc run` reads one (a line per
 * step, numbers separated by spaces, a blank line ends a sequence) and
 * prints what `lstmc run --arithmetic int16` prints: each input rounded to
 * MODEL_INPUT_FRAC (ties away from zero, clamped), each output row
 * q 2^-MODEL_OUTPUT_FRAC with %.9g, one line per step (or per sequence
 * with MODEL_OUTPUT_LAST). The model itself computes in integers; this
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
            if (MODEL_OUTPUT_LAST && steps > 0)
                print_row(y);
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
        model_step(&state, x, y);
        steps++;
        if (!MODEL_OUTPUT_LAST)
            print_row(y);
    }
    fclose(in);
    return 0;
}
