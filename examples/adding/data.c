/*
 * data.c - writes the adding problem's test set for `lstmc eval`: the same
 * 2000 sequences of T = 100 steps as train.py scored PyTorch on
 * (xorshift64* from seed 1997, examples/common/rng.h), as text.
 *
 *   data DATA.txt TARGETS.txt
 *
 * DATA.txt: one step per line (value, marker), a blank line after each
 * sequence; TARGETS.txt: one line per sequence, 0.5 + (X1 + X2) / 4, the
 * output the model should give after the last step (the model says
 * `output last;`). The values are multiples of 2^-23: %.9g prints them
 * exactly; the targets get %.17g, exact in double.
 */
#include "rng.h"

#include <stdio.h>

#define T         100    /* steps per sequence */
#define TEST_N    2000
#define TEST_SEED 1997

/* One sequence into x ([T][2]: value, marker), the same draws in the same
 * order as train.py's make_sequence; returns the target. */
static double make_sequence(XorShift *r, float x[T][2])
{
    unsigned p1, p2;
    int t;
    for (t = 0; t < T; t++) {
        x[t][0] = 2.0f * xs_uniform(r) - 1.0f;   /* exact: a multiple of 2^-23 */
        x[t][1] = 0.0f;
    }
    p1 = xs_below(r, 10);
    do
        p2 = xs_below(r, T / 2 - 1);
    while (p2 == p1);
    x[0][1] = x[T - 1][1] = -1.0f;
    x[p1][1] = x[p2][1] = 1.0f;
    return 0.5 + ((double)x[p1][0] + (double)x[p2][0]) / 4.0;
}

int main(int argc, char **argv)
{
    static float x[T][2];
    XorShift rng;
    FILE *data, *targets;
    int i, t;

    if (argc != 3) {
        fprintf(stderr, "usage: %s DATA.txt TARGETS.txt\n", argv[0]);
        return 2;
    }
    data = fopen(argv[1], "w");
    targets = fopen(argv[2], "w");
    if (!data || !targets) {
        fprintf(stderr, "%s: error: cannot write\n", data ? argv[2] : argv[1]);
        return 1;
    }
    xs_seed(&rng, TEST_SEED);
    for (i = 0; i < TEST_N; i++) {
        double target = make_sequence(&rng, x);
        for (t = 0; t < T; t++)
            fprintf(data, "%.9g %.9g\n", (double)x[t][0], (double)x[t][1]);
        fputc('\n', data);
        fprintf(targets, "%.17g\n", target);
    }
    if (fclose(data) != 0 || fclose(targets) != 0) {
        fprintf(stderr, "%s: error: a write failed\n", argv[0]);
        return 1;
    }
    return 0;
}
