/*
 * sample.c - a character-level language model compiled by lstmc, without
 * Python: samples text from a seed string, or measures bits per character
 * on a text.
 *
 * `lstmc compile model.lstm -o DIR/model` writes the model as C (prefix
 * "charlm"): charlm_step() takes one character, one-hot, and gives the
 * probability of every character coming next. This program feeds the seed
 * through it, then draws each next character from those probabilities
 * sharpened or flattened by the temperature (log p / T, renormalized) and
 * feeds it back. --eval reads a file as one stream from a zero state and
 * prints the mean of -log2 p(next character): train.py computes the same
 * number in PyTorch (results.txt).
 *
 *   sample [--seed TEXT] [--temperature T] [--length N] [--rng-seed N]
 *   sample --eval FILE
 *
 * Vocabulary, as train.py's char_index: '\n' -> 0, ' ' .. '~' -> 1 .. 95,
 * anything else -> 96, printed as a tab: in the fortune files 1002 of the
 * 1005 such characters are tabs, the others backspaces.
 */
#include "model.h"
#include "rng.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define UNKNOWN 96

static int char_index(int ch)
{
    if (ch == '\n')
        return 0;
    if (ch >= ' ' && ch <= '~')
        return ch - 31;
    return UNKNOWN;
}

static int index_char(int k)
{
    return k == 0 ? '\n' : k == UNKNOWN ? '\t' : k + 31;
}

/* One step of the model on character index k; probabilities into p. */
static void feed(charlm_state *s, int k, float p[CHARLM_OUTPUT_SIZE])
{
    float x[CHARLM_INPUT_SIZE] = {0};
    x[k] = 1.0f;
    charlm_step(s, x, p);
}

/* Draws an index from p^(1/temperature), renormalized: the softmax of
 * log p / temperature. Computed in double, relative to the largest log p so
 * low temperatures do not underflow. */
static int draw(const float p[CHARLM_OUTPUT_SIZE], double temperature, XorShift *r)
{
    double w[CHARLM_OUTPUT_SIZE], top = -HUGE_VAL, sum = 0, u;
    int k;
    for (k = 0; k < CHARLM_OUTPUT_SIZE; k++) {
        w[k] = p[k] > 0 ? log((double)p[k]) / temperature : -HUGE_VAL;
        if (w[k] > top)
            top = w[k];
    }
    for (k = 0; k < CHARLM_OUTPUT_SIZE; k++)
        sum += w[k] = exp(w[k] - top);
    u = (double)(xs_next(r) >> 11) / 9007199254740992.0 * sum;   /* [0, sum) */
    for (k = 0; k < CHARLM_OUTPUT_SIZE - 1; k++) {
        if (u < w[k])
            return k;
        u -= w[k];
    }
    return CHARLM_OUTPUT_SIZE - 1;
}

/* --eval: bits per character of the file read as one stream. */
static int eval(const char *path)
{
    static charlm_state s;
    float p[CHARLM_OUTPUT_SIZE];
    FILE *f = fopen(path, "rb");
    double bits = 0;
    long n = 0;
    int ch, prev;
    if (!f) {
        fprintf(stderr, "%s: error: %s\n", path, strerror(errno));
        return 1;
    }
    charlm_reset(&s);
    prev = getc(f);
    while (prev != EOF && (ch = getc(f)) != EOF) {
        feed(&s, char_index(prev), p);
        bits -= log2((double)p[char_index(ch)]);
        n++;
        prev = ch;
    }
    if (ferror(f)) {
        fprintf(stderr, "%s: error: %s\n", path, strerror(errno));
        fclose(f);
        return 1;
    }
    fclose(f);
    if (n == 0) {
        fprintf(stderr, "%s: error: needs at least two characters\n", path);
        return 1;
    }
    printf("bits/char %.9g over %ld characters\n", bits / (double)n, n + 1);
    return 0;
}

static int sample(const char *seed, double temperature, long length, unsigned long long rng_seed)
{
    static charlm_state s;
    float p[CHARLM_OUTPUT_SIZE];
    XorShift r;
    const char *c;
    long i;
    xs_seed(&r, (uint64_t)rng_seed);
    charlm_reset(&s);
    for (c = seed; *c; c++)
        feed(&s, char_index((unsigned char)*c), p);
    fputs(seed, stdout);
    for (i = 0; i < length; i++) {
        int k = draw(p, temperature, &r);
        putchar(index_char(k));
        feed(&s, k, p);
    }
    putchar('\n');
    return 0;
}

/* Prints the flags to out; returns the exit status for a usage error. */
static int usage(FILE *out)
{
    fputs("usage: sample [--seed TEXT] [--temperature T] [--length N] [--rng-seed N]\n"
          "       sample --eval FILE\n"
          "  --seed TEXT       text the model reads before sampling (default \"The \")\n"
          "  --temperature T   T > 0: below 1 more likely characters, above 1 more varied (default 0.8)\n"
          "  --length N        characters to sample, 0 to 1000000 (default 300)\n"
          "  --rng-seed N      the sampler's seed, an unsigned integer (default 1)\n"
          "  --eval FILE       print bits per character of FILE instead of sampling\n",
          out);
    return 2;
}

/* A flag's value: the next argument, or an error naming the flag. */
static const char *value_of(int argc, char **argv, int *i)
{
    if (*i + 1 >= argc) {
        fprintf(stderr, "sample: error: %s needs a value\n", argv[*i]);
        return NULL;
    }
    return argv[++*i];
}

int main(int argc, char **argv)
{
    const char *seed = "The ", *eval_path = NULL;
    double temperature = 0.8;
    long length = 300;
    unsigned long long rng_seed = 1;
    int i, sampling_flags = 0;

    for (i = 1; i < argc; i++) {
        const char *flag = argv[i], *v;
        char *end;
        if (!strcmp(flag, "--help") || !strcmp(flag, "-h")) {
            usage(stdout);
            return 0;
        }
        if (strcmp(flag, "--seed") && strcmp(flag, "--temperature") && strcmp(flag, "--length")
            && strcmp(flag, "--rng-seed") && strcmp(flag, "--eval")) {
            fprintf(stderr, "sample: error: unknown %s '%s'\n",
                    flag[0] == '-' ? "flag" : "argument", flag);
            return usage(stderr);
        }
        if (!(v = value_of(argc, argv, &i)))
            return 2;
        errno = 0;
        if (!strcmp(flag, "--seed")) {
            if (!*v) {   /* the first draw needs the model's output for some character */
                fputs("sample: error: --seed needs at least one character\n", stderr);
                return 2;
            }
            seed = v;
            sampling_flags = 1;
        } else if (!strcmp(flag, "--eval")) {
            eval_path = v;
        } else if (!strcmp(flag, "--temperature")) {
            temperature = strtod(v, &end);
            if (end == v || *end || errno || !(temperature > 0) || !isfinite(temperature)) {
                fprintf(stderr, "sample: error: --temperature needs a number > 0, saw '%s'\n", v);
                return 2;
            }
            sampling_flags = 1;
        } else if (!strcmp(flag, "--length")) {
            length = strtol(v, &end, 10);
            if (end == v || *end || errno || length < 0 || length > 1000000) {
                fprintf(stderr, "sample: error: --length needs an integer from 0 to 1000000, saw '%s'\n", v);
                return 2;
            }
            sampling_flags = 1;
        } else {
            rng_seed = strtoull(v, &end, 10);
            if (end == v || *end || errno || v[0] == '-') {
                fprintf(stderr, "sample: error: --rng-seed needs an unsigned integer, saw '%s'\n", v);
                return 2;
            }
            sampling_flags = 1;
        }
    }
    if (eval_path && sampling_flags) {
        fputs("sample: error: --eval takes no sampling flags (--seed, --temperature, --length, --rng-seed)\n",
              stderr);
        return 2;
    }
    return eval_path ? eval(eval_path) : sample(seed, temperature, length, rng_seed);
}
