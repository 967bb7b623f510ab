/*
 * peer.c - main() of every C system of the benchmark: one command line, one
 * protocol, so that bench/run.sh treats the systems alike (bench/
 * torch_peer.py speaks the same).
 *
 *   PEER WEIGHTS I H LAYERS BATCH STEPS INPUT.txt [--proj P] [--bidirectional]
 *                                                 [--gru | --rnn]
 *
 * (the options: the model's projection, both directions, a GRU or an RNN
 * instead of an LSTM) sets the system up, then reads commands on stdin, one per line, and
 * answers each with one line on stdout:
 *   check OUT   runs the input once and writes the output to OUT in lstmc's
 *               data format (one line per step, sequence after sequence);
 *               answers the system's one-line note
 *   warmup MS   runs sequences for MS milliseconds; answers "ok"
 *   time MS     runs whole sequences (state reset each time) until at least
 *               MS milliseconds have passed; answers the mean nanoseconds
 *               per sequence batch
 * A system that cannot run the model answers "cannot run: WHY" and exits.
 *
 * Timing is clock_gettime(CLOCK_MONOTONIC) around whole peer_run() calls.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "peer.h"
#include "safetensors.h"

static Arena weights_arena;
static StFile *weights_file;

const float *peer_tensor(const PeerModel *m, const char *name, long count)
{
    if (!weights_file && !(weights_file = st_read(&weights_arena, m->weights)))
        exit(1);
    StTensor *t = st_find(weights_file, name);
    long bad;
    if (!t || t->count != count || !st_dtype_is_float(t->dtype)) {
        fprintf(stderr, "%s: tensor %s missing or not of %ld values\n", m->weights, name, count);
        exit(1);
    }
    float *v = arena_alloc(&weights_arena, (size_t)count * sizeof *v);
    if (st_to_float(t, v, &bad) != 0) {
        fprintf(stderr, "%s: tensor %s: value %ld is not finite\n", m->weights, name, bad);
        exit(1);
    }
    return v;
}

static int arg_int(const char *s)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (*end != '\0' || v < 1 || v > 1 << 20) {
        fprintf(stderr, "peer: bad size '%s'\n", s);
        exit(2);
    }
    return (int)v;
}

/* The input file (batch sequences of steps lines of `input` numbers, blank
 * lines between sequences) as [steps][batch][input] floats. */
static float *read_input(const PeerModel *m, const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        perror(path);
        exit(1);
    }
    size_t n = (size_t)m->steps * (size_t)m->batch * (size_t)m->input;
    float *x = malloc(n * sizeof *x);
    if (!x) {
        fprintf(stderr, "peer: out of memory\n");
        exit(1);
    }
    for (int b = 0; b < m->batch; b++)
        for (int t = 0; t < m->steps; t++)
            for (int i = 0; i < m->input; i++)
                if (fscanf(f, "%f", &x[((size_t)t * (size_t)m->batch + (size_t)b) * (size_t)m->input + (size_t)i]) != 1) {
                    fprintf(stderr, "%s: expected %d sequences of %d steps of %d numbers\n",
                            path, m->batch, m->steps, m->input);
                    exit(1);
                }
    fclose(f);
    return x;
}

static int write_output(const PeerModel *m, const float *y, const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        perror(path);
        return -1;
    }
    for (int b = 0; b < m->batch; b++)
        for (int t = 0; t < m->steps; t++)
            for (int j = 0; j < m->output; j++)
                fprintf(f, "%.9g%c", (double)y[((size_t)t * (size_t)m->batch + (size_t)b) * (size_t)m->output + (size_t)j],
                        j + 1 == m->output ? '\n' : ' ');
    return fclose(f) == 0 ? 0 : -1;
}

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* Whole sequences until ms milliseconds have passed: mean ns per sequence. */
static double run_for(const float *x, float *y, double ms)
{
    double t0 = now_ns(), t;
    long reps = 0;
    do {
        peer_run(x, y);
        reps++;
        t = now_ns();
    } while (t - t0 < ms * 1e6);
    return (t - t0) / (double)reps;
}

static int serve(const PeerModel *m, const char *note, const float *x, float *y)
{
    char line[4096], cmd[32], arg[4000];
    while (fgets(line, sizeof line, stdin)) {
        if (sscanf(line, "%31s %3999s", cmd, arg) != 2) {
            fprintf(stderr, "peer: bad command: %s", line);
            return 1;
        }
        if (strcmp(cmd, "check") == 0) {
            peer_run(x, y);
            if (write_output(m, y, arg) != 0)
                return 1;
            printf("%s\n", note);
        } else if (strcmp(cmd, "warmup") == 0) {
            run_for(x, y, atof(arg));
            printf("ok\n");
        } else if (strcmp(cmd, "time") == 0) {
            printf("%.1f\n", run_for(x, y, atof(arg)));
        } else {
            fprintf(stderr, "peer: unknown command %s\n", cmd);
            return 1;
        }
        fflush(stdout);
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 8) {
        fprintf(stderr, "usage: %s WEIGHTS I H LAYERS BATCH STEPS INPUT [--proj P] [--bidirectional]"
                        " [--gru | --rnn] (commands on stdin)\n", argv[0]);
        return 2;
    }
    PeerModel m = {arg_int(argv[2]), arg_int(argv[3]), arg_int(argv[4]), arg_int(argv[5]),
                   arg_int(argv[6]), 0, 1, 0, argv[1], PEER_LSTM};
    for (int a = 8; a < argc; a++) {
        if (strcmp(argv[a], "--proj") == 0 && a + 1 < argc)
            m.proj = arg_int(argv[++a]);
        else if (strcmp(argv[a], "--bidirectional") == 0)
            m.directions = 2;
        else if (strcmp(argv[a], "--gru") == 0)
            m.cell = PEER_GRU;
        else if (strcmp(argv[a], "--rnn") == 0)
            m.cell = PEER_RNN;
        else {
            fprintf(stderr, "peer: unknown option %s\n", argv[a]);
            return 2;
        }
    }
    m.output = m.directions * (m.proj ? m.proj : m.hidden);
    char note[256] = "";
    const char *why = peer_setup(&m, note, (int)sizeof note);
    if (why) {
        printf("cannot run: %s\n", why);
        return 1;
    }
    float *x = read_input(&m, argv[7]);
    float *y = calloc((size_t)m.steps * (size_t)m.batch * (size_t)m.output, sizeof *y);
    if (!y) {
        fprintf(stderr, "peer: out of memory\n");
        return 1;
    }
    int rc = serve(&m, note, x, y);
    free(x);
    free(y);
    arena_free(&weights_arena);
    return rc;
}
