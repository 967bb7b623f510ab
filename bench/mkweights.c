/*
 * mkweights.c - the benchmark's model and data: random LSTM weights and a
 * random input in lstmc's data format (B sequences of T lines of I
 * numbers, a blank line between sequences). Every system of the benchmark
 * reads these two files. Deterministic: a fixed linear congruential
 * generator, as in examples/variants/gen_weights.c.
 *
 *   mkweights [OPTIONS] I H LAYERS BATCH STEPS OUT.safetensors INPUT.txt
 *
 *   --proj P           a projection of P outputs (LSTMP: weight_hr, w_proj)
 *   --bidirectional    both directions (the backward one's names end in _reverse)
 *   --native           lstmc's native convention (prefix "lstm"), below
 *   --blocks N         N memory cell blocks of S = H/N cells (needs --native)
 *   --no-forget        no forget gate: input and output gates only (needs --native)
 *   --gru, --rnn       a GRU (rows r z n: 3H) or an Elman RNN (H rows) in the
 *                      PyTorch convention instead of an LSTM (4H); prefix "lstm"
 *
 * The PyTorch convention (the default, what every peer reads), per layer k
 * and direction (suffix "" or "_reverse"), gate order i f g o, with R = P if
 * projected else H and in = I for layer 0, else D * R:
 *   lstm.weight_ih_l{k} [4H, in], lstm.weight_hh_l{k} [4H, R],
 *   lstm.bias_ih_l{k} and lstm.bias_hh_l{k} [4H], lstm.weight_hr_l{k} [P, H]
 * The native convention (grammar/SPEC.md, "Weights"), suffix "_l{k}" only
 * with several layers, then "_reverse":
 *   lstm.w_i, lstm.w_f, lstm.w_o [H/S, in + R] (the gates present),
 *   lstm.w_g [H, in + R], lstm.b_i, lstm.b_f, lstm.b_o [H/S], lstm.b_g [H],
 *   lstm.w_proj [P, H]
 *
 * Weights are uniform in [-1/sqrt(H), 1/sqrt(H)] (PyTorch's nn.LSTM
 * initialization), inputs uniform in [-1, 1]. The standard LSTM's weights
 * and input are drawn in the same order whatever the options, so they do
 * not change when options are added.
 *
 * Prints two lines on stdout. `recurrent_bytes N`: the bytes of weights that
 * every step must read again, whatever the chunk (bench/README.md): the
 * recurrent columns of every gate row (weight_hh, the last R columns of the
 * native w_*) and the projection, of every layer and direction.
 * `layer_bytes N`: the bytes of all the weights of the largest layer-
 * direction, the working set while it runs (the generated code runs one
 * layer-direction after another over a chunk of steps): the size at which
 * bench/run.sh probes the read bandwidth of those recurrent weights.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "safetensors.h"

enum { MAX_LAYERS = 8, MAX_TENSORS = 9 * 2 * MAX_LAYERS };

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

/* The tensors to write, in order. */
typedef struct Tensors {
    int n;
    const char *names[MAX_TENSORS];
    int ndims[MAX_TENSORS];
    long shapes[MAX_TENSORS][ST_MAX_DIMS];
    float *data[MAX_TENSORS];
    long floats;               /* of all tensors so far */
    float scale;
    Arena names_arena;
} Tensors;

/* Appends tensor NAME of rows x cols random values (cols 0: a vector). */
static void add(Tensors *ts, const char *name, const char *suffix, long rows, long cols)
{
    int k = ts->n++;
    ts->names[k] = arena_printf(&ts->names_arena, "lstm.%s%s", name, suffix);
    ts->shapes[k][0] = rows;
    ts->shapes[k][1] = cols;
    ts->ndims[k] = cols ? 2 : 1;
    ts->data[k] = random_floats(rows * (cols ? cols : 1), ts->scale);
    ts->floats += rows * (cols ? cols : 1);
}

int main(int argc, char **argv)
{
    long P = 0, D = 1, NB = 0;
    int native = 0, forget = 1, a = 1;
    long parts = 4;   /* row blocks of H: LSTM 4, GRU 3, RNN 1 */
    for (; a < argc && strncmp(argv[a], "--", 2) == 0; a++) {
        if (strcmp(argv[a], "--proj") == 0 && a + 1 < argc)
            P = arg_size(argv[++a], "projection size");
        else if (strcmp(argv[a], "--bidirectional") == 0)
            D = 2;
        else if (strcmp(argv[a], "--native") == 0)
            native = 1;
        else if (strcmp(argv[a], "--blocks") == 0 && a + 1 < argc)
            NB = arg_size(argv[++a], "block count");
        else if (strcmp(argv[a], "--no-forget") == 0)
            forget = 0;
        else if (strcmp(argv[a], "--gru") == 0)
            parts = 3;
        else if (strcmp(argv[a], "--rnn") == 0)
            parts = 1;
        else {
            fprintf(stderr, "mkweights: unknown option %s\n", argv[a]);
            return 2;
        }
    }
    if (argc - a != 7) {
        fprintf(stderr, "usage: mkweights [--proj P] [--bidirectional] [--native [--blocks N] [--no-forget]]\n"
                        "                 [--gru | --rnn]\n"
                        "                 I H LAYERS BATCH STEPS OUT.safetensors INPUT.txt\n");
        return 2;
    }
    long I = arg_size(argv[a], "input size"), H = arg_size(argv[a + 1], "hidden size");
    long L = arg_size(argv[a + 2], "layer count"), B = arg_size(argv[a + 3], "batch");
    long T = arg_size(argv[a + 4], "step count");
    const char *out = argv[a + 5], *input = argv[a + 6];
    if (L > MAX_LAYERS) {
        fprintf(stderr, "mkweights: at most %d layers\n", MAX_LAYERS);
        return 2;
    }
    if (parts != 4 && (native || P)) {
        fprintf(stderr, "mkweights: --gru and --rnn take the PyTorch convention, no projection\n");
        return 2;
    }
    if (!native && (NB || !forget)) {
        fprintf(stderr, "mkweights: --blocks and --no-forget need --native (PyTorch has neither)\n");
        return 2;
    }
    if (NB == 0)
        NB = H;
    if (H % NB != 0) {
        fprintf(stderr, "mkweights: %ld blocks do not divide %ld cells\n", NB, H);
        return 2;
    }
    long R = P ? P : H;   /* the recurrent input: h, or its projection */
    static Tensors ts;
    ts.scale = 1.0f / sqrtf((float)H);
    long recurrent = 0, layer_max = 0;   /* floats */
    for (long k = 0; k < L; k++) {
        long in = k == 0 ? I : D * R;
        for (long d = 0; d < D; d++) {
            char suffix[32];
            long before = ts.floats;
            if (native) {   /* w_* [rows, in + R], b_* [rows], then w_proj */
                if (L > 1)
                    snprintf(suffix, sizeof suffix, "_l%ld%s", k, d ? "_reverse" : "");
                else
                    snprintf(suffix, sizeof suffix, "%s", d ? "_reverse" : "");
                const char *gates[4] = {"i", "f", "g", "o"};
                for (int g = 0; g < 4; g++) {
                    if (g == 1 && !forget)
                        continue;
                    long rows = g == 2 ? H : NB;
                    char name[8];
                    snprintf(name, sizeof name, "w_%s", gates[g]);
                    add(&ts, name, suffix, rows, in + R);
                    recurrent += rows * R;
                }
                for (int g = 0; g < 4; g++) {
                    if (g == 1 && !forget)
                        continue;
                    char name[8];
                    snprintf(name, sizeof name, "b_%s", gates[g]);
                    add(&ts, name, suffix, g == 2 ? H : NB, 0);
                }
                if (P)
                    add(&ts, "w_proj", suffix, P, H);
            } else {   /* PyTorch: weight_ih, weight_hh, bias_ih, bias_hh, weight_hr */
                snprintf(suffix, sizeof suffix, "_l%ld%s", k, d ? "_reverse" : "");
                add(&ts, "weight_ih", suffix, parts * H, in);
                add(&ts, "weight_hh", suffix, parts * H, R);
                add(&ts, "bias_ih", suffix, parts * H, 0);
                add(&ts, "bias_hh", suffix, parts * H, 0);
                recurrent += parts * H * R;
                if (P)
                    add(&ts, "weight_hr", suffix, P, H);
            }
            recurrent += P * H;
            if (ts.floats - before > layer_max)
                layer_max = ts.floats - before;
        }
    }
    int rc = st_write_f32(out, ts.n, ts.names, ts.ndims, (const long (*)[ST_MAX_DIMS])ts.shapes,
                          (const float *const *)ts.data);
    if (rc == 0)
        rc = write_input(input, I, B, T);
    if (rc == 0)
        printf("recurrent_bytes %ld\nlayer_bytes %ld\n", recurrent * (long)sizeof(float),
               layer_max * (long)sizeof(float));
    for (int k = 0; k < ts.n; k++)
        mem_free(ts.data[k]);
    arena_free(&ts.names_arena);
    return rc == 0 ? 0 : 1;
}
