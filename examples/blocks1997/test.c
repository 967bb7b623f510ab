/*
 * test.c - scores the compiled 1997 block LSTM on the embedded Reber
 * grammar, beside PyTorch's score from train.py.
 *
 * `lstmc compile model.lstm -o DIR/model` writes the model as C (prefix
 * "reber"); this program draws the same 1000 test strings as train.py
 * (xorshift64* from seed 1997, examples/common/rng.h), streams each through
 * reber_step() one symbol at a time, and counts a step right when exactly
 * the symbols the grammar allows next get outputs above 0.5, a string right
 * when all its steps are, and separately the penultimate symbol (the one
 * that needs the long-term memory), and the mean squared error of all
 * outputs against those targets (the paper's error measure). It then reads train.py's results.txt
 * and exits 1 unless the counts agree and the MSEs agree to 1e-4 relative
 * (see README.md).
 *
 * The MSE is `lstmc eval`'s too: with --write-data, this program writes
 * the test set instead (one-hot symbols; the allowed symbols as 0/1
 * targets) for `lstmc eval --metric mse` (make example-blocks1997). The
 * string counts stay here: a string is right when every step's set of
 * outputs above 0.5 is exactly the allowed set, a per-string, multi-label
 * criterion that no metric of lstmc eval computes.
 *
 *   test RESULTS_TXT
 *   test --write-data DATA.txt TARGETS.txt
 */
#include "model.h"
#include "results.h"
#include "rng.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define TEST_N    1000
#define TEST_SEED 1997
#define MAX_LEN   512   /* longer strings have probability below 1e-40 */

static const char SYMBOLS[] = "BTPSXVE";
enum { B, T, P, S, X, V, E };

/* The Reber grammar: from state k, choice 0 or 1 emits sym[k][c] and goes
 * to next[k][c]; state 6 is the end. */
static const int sym[6][2] = {{0, 0}, {T, P}, {S, X}, {T, V}, {X, S}, {P, V}};
static const int next[6][2] = {{0, 0}, {2, 3}, {2, 4}, {3, 5}, {3, 6}, {4, 6}};

/* The bit mask of the symbols that may follow in state k. */
static unsigned allowed_in(int k)
{
    return k == 6 ? 1u << E : 1u << sym[k][0] | 1u << sym[k][1];
}

/* One embedded Reber string into syms (its length is returned) and, for
 * every symbol but the last, the mask of symbols allowed next; the same
 * draws in the same order as train.py's embedded_reber. Returns -1 if the
 * string would not fit. */
static int embedded_reber(XorShift *r, int syms[MAX_LEN], unsigned allowed[MAX_LEN])
{
    int outer = xs_below(r, 2) ? P : T;
    int n = 0, k = 1;
    syms[n] = B, allowed[n++] = 1u << T | 1u << P;
    syms[n] = outer, allowed[n++] = 1u << B;
    syms[n] = B, allowed[n++] = 1u << T | 1u << P;
    while (k != 6) {
        unsigned c = xs_below(r, 2);
        if (n + 3 >= MAX_LEN)
            return -1;
        syms[n] = sym[k][c];
        k = next[k][c];
        allowed[n++] = allowed_in(k);
    }
    syms[n] = E, allowed[n++] = 1u << outer;   /* the long-term dependency */
    syms[n] = outer, allowed[n++] = 1u << E;
    syms[n++] = E;
    return n;
}

/* The test set as text for lstmc eval: a line per step but the last of
 * each string (its one-hot symbol; the next 0/1 row of TARGETS.txt: the
 * symbols allowed next), a blank line after each string. */
static int write_data(const char *data_path, const char *targets_path)
{
    static int syms[MAX_LEN];
    static unsigned allowed[MAX_LEN];
    FILE *data = fopen(data_path, "w"), *targets = fopen(targets_path, "w");
    XorShift rng;
    int i, t, k;
    if (!data || !targets) {
        fprintf(stderr, "%s: error: cannot write\n", data ? targets_path : data_path);
        return 1;
    }
    xs_seed(&rng, TEST_SEED);
    for (i = 0; i < TEST_N; i++) {
        int n = embedded_reber(&rng, syms, allowed);
        if (n < 0) {
            fprintf(stderr, "test string %d: error: longer than %d symbols\n", i, MAX_LEN);
            return 1;
        }
        for (t = 0; t < n - 1; t++)
            for (k = 0; k < REBER_INPUT_SIZE; k++) {
                fprintf(data, "%d%c", k == syms[t], k + 1 < REBER_INPUT_SIZE ? ' ' : '\n');
                fprintf(targets, "%u%c", allowed[t] >> k & 1, k + 1 < REBER_INPUT_SIZE ? ' ' : '\n');
            }
        fputc('\n', data);
    }
    if (fclose(data) != 0 || fclose(targets) != 0) {
        fprintf(stderr, "%s: error: a write failed\n", data_path);
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    static int syms[MAX_LEN];
    static unsigned allowed[MAX_LEN];
    reber_state state;
    XorShift rng;
    long correct = 0, penultimate = 0, steps = 0;
    double want_correct, want_penultimate, want_strings, want_mse, sq = 0, mse;
    int i;

    if (argc == 4 && strcmp(argv[1], "--write-data") == 0)
        return write_data(argv[2], argv[3]);
    if (argc != 2) {
        fprintf(stderr, "usage: %s RESULTS_TXT | --write-data DATA.txt TARGETS.txt\n", argv[0]);
        return 2;
    }
    if (results_get(argv[1], "strings", &want_strings) || results_get(argv[1], "correct", &want_correct)
        || results_get(argv[1], "penultimate", &want_penultimate)
        || results_get(argv[1], "mse", &want_mse))
        return 1;
    if (want_strings != TEST_N) {
        fprintf(stderr, "%s: error: scored on %g strings, this program draws %d\n", argv[1],
                want_strings, TEST_N);
        return 1;
    }
    xs_seed(&rng, TEST_SEED);
    for (i = 0; i < TEST_N; i++) {
        int n = embedded_reber(&rng, syms, allowed), t, all_ok = 1;
        if (n < 0) {
            fprintf(stderr, "test string %d: error: longer than %d symbols\n", i, MAX_LEN);
            return 1;
        }
        reber_reset(&state);
        for (t = 0; t < n - 1; t++) {
            float x[REBER_INPUT_SIZE] = {0}, y[REBER_OUTPUT_SIZE];
            unsigned predicted = 0;
            int k;
            x[syms[t]] = 1.0f;
            reber_step(&state, x, y);
            for (k = 0; k < REBER_OUTPUT_SIZE; k++) {
                double d = (double)y[k] - (allowed[t] >> k & 1);
                sq += d * d;
                if (y[k] > 0.5f)
                    predicted |= 1u << k;
            }
            steps++;
            if (predicted != allowed[t])
                all_ok = 0;
            else if (t == n - 3)
                penultimate++;
            if (i == 0) {   /* show the first string as the model reads it */
                printf("%c -> {", SYMBOLS[syms[t]]);
                for (k = 0; k < REBER_OUTPUT_SIZE; k++)
                    if (predicted >> k & 1)
                        putchar(SYMBOLS[k]);
                printf("}%s", t == n - 2 ? "\n" : "  ");
            }
        }
        correct += all_ok;
    }
    mse = sq / ((double)steps * REBER_OUTPUT_SIZE);
    printf("embedded Reber grammar, %d test strings:\n", TEST_N);
    printf("  strings right:           compiled %ld, PyTorch %.0f\n", correct, want_correct);
    printf("  penultimate symbol right: compiled %ld, PyTorch %.0f\n", penultimate, want_penultimate);
    printf("  MSE of the outputs:       compiled %.9g, PyTorch %.9g\n", mse, want_mse);
    if (correct != (long)want_correct || penultimate != (long)want_penultimate
        || !(fabs(mse - want_mse) <= 1e-4 * want_mse)) {
        fprintf(stderr, "%s: error: the compiled model's scores differ from PyTorch's\n", argv[1]);
        return 1;
    }
    return 0;
}
