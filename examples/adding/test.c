/*
 * test.c - scores the compiled adding-problem model on the test set,
 * beside PyTorch's score from train.py.
 *
 * `lstmc compile model.lstm -o DIR/model` writes the model as C (prefix
 * "adding"). This program draws the same test sequences as train.py
 * (xorshift64* from seed 1997, examples/common/rng.h), runs each through
 * adding_run(), which gives the output of the last step: the model's
 * estimate of 0.5 + (X1 + X2) / 4. It reports the mean squared error and
 * how many sequences are solved (|error| < 0.04, the paper's criterion),
 * reads train.py's results.txt and exits 1 unless the MSEs agree to 1e-4
 * relative and the solved counts differ by no more than the number of
 * sequences PyTorch put within 1e-5 of the threshold (see README.md).
 *
 *   test RESULTS_TXT
 */
#include "model.h"
#include "results.h"
#include "rng.h"

#include <math.h>
#include <stdio.h>

#define T         100    /* steps per sequence */
#define TEST_N    2000
#define TEST_SEED 1997
#define THRESHOLD 0.04

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
    static adding_state state;
    static float x[T][2], y[ADDING_OUTPUT_SIZE];   /* output last: one row */
    XorShift rng;
    double sq = 0, mse, want_t, want_n, want_mse, want_solved, borderline;
    long solved = 0;
    int i;

    if (argc != 2) {
        fprintf(stderr, "usage: %s RESULTS_TXT\n", argv[0]);
        return 2;
    }
    if (results_get(argv[1], "T", &want_t) || results_get(argv[1], "sequences", &want_n)
        || results_get(argv[1], "mse", &want_mse) || results_get(argv[1], "solved", &want_solved)
        || results_get(argv[1], "borderline", &borderline))
        return 1;
    if (want_t != T || want_n != TEST_N) {
        fprintf(stderr, "%s: error: scored on %g sequences of %g steps, this program draws %d of %d\n",
                argv[1], want_n, want_t, TEST_N, T);
        return 1;
    }
    xs_seed(&rng, TEST_SEED);
    for (i = 0; i < TEST_N; i++) {
        double target = make_sequence(&rng, x), err;
        adding_reset(&state);
        adding_run(&state, &x[0][0], T, y);
        err = (double)y[0] - target;
        sq += err * err;
        solved += fabs(err) < THRESHOLD;
        if (i < 3)
            printf("sequence %d: target %.4f, compiled model %.4f\n", i, target, (double)y[0]);
    }
    mse = sq / TEST_N;
    printf("adding problem, T = %d, %d test sequences:\n", T, TEST_N);
    printf("  MSE:                      compiled %.9g, PyTorch %.9g\n", mse, want_mse);
    printf("  solved (|error| < %.2f):  compiled %ld (%.2f%%), PyTorch %.0f (%.2f%%)\n", THRESHOLD,
           solved, 100.0 * (double)solved / TEST_N, want_solved, 100.0 * want_solved / TEST_N);
    if (!(fabs(mse - want_mse) <= 1e-4 * want_mse) || fabs((double)solved - want_solved) > borderline) {
        fprintf(stderr, "%s: error: the compiled model's scores differ from PyTorch's\n", argv[1]);
        return 1;
    }
    return 0;
}
