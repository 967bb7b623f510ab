/*
 * test_emit_c.c - the C backend against the reference interpreter.
 *
 * Each case builds an IrModel by hand with random weights (U(-1/sqrt(K),
 * 1/sqrt(K)), as a framework initializes them), writes it with
 * emitc_write_files(), compiles it with cc under every warning flag we
 * promise (-Werror), links it to a small driver, runs it on random inputs
 * (N(0, 1)) and requires max |generated - interp_run| <= 1e-5. Streaming
 * models are run twice, through NAME_run and through NAME_step.
 *
 * Also: the code compiles warning-free under clang and, as C++, under g++
 * (each program checked against the interpreter again), the object file has
 * no mutable global and keeps the weights in file-local read-only data, and
 * the PyTorch fixtures go through `lstmc compile` (the binary named by
 * $LSTMC, which `make check-unit` sets to the build under test).
 *
 * The tools these checks need (clang, g++, nm) are installed by .ci/run, so
 * a missing one fails its test instead of letting it pass unchecked.
 */
#include "testutil.h"

#include <math.h>
#include <unistd.h>

#include "emit_c.h"
#include "interp.h"

#define TOL 1e-5

static const char *cflags =
    "-std=c99 -O2 -Wall -Wextra -Wpedantic -Wconversion -Wshadow -Wdouble-promotion -Werror";

/* ---- random numbers (deterministic) ---- */

static unsigned long long rng_state = 88172645463325252ULL;

static double uniform(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (double)(rng_state >> 11) / 9007199254740992.0;
}

static double normal(void)
{
    double u = uniform(), v = uniform();
    return sqrt(-2.0 * log(u + 1e-300)) * cos(6.283185307179586 * v);
}

static float *rand_floats(Arena *a, long n, double scale)
{
    float *v = arena_alloc(a, sizeof(float) * (size_t)n);
    for (long k = 0; k < n; k++)
        v[k] = (float)((2.0 * uniform() - 1.0) * scale);
    return v;
}

/* ---- building models ---- */

typedef struct LstmSpec {
    int I, H, S, P;
    int dirs;                 /* 1 or 2 */
    int reverse;              /* one direction, backward */
    int no_i, no_f, no_o;     /* absent gates */
    int coupled, peepholes, no_bias;
    ActKind gate, cell_in, cell_out;
    double ga, gb, cia, cib, coa, cob;   /* activation parameters */
    double forget_bias, clip_gates, clip_cell, clip_proj;
    double scale;             /* weight scale; 0: 1/sqrt(K) */
} LstmSpec;

typedef struct Model {
    Arena *a;
    IrModel m;
    IrLayer layers[8];
} Model;

static void model_init(Model *md, Arena *a, int input, int output_last)
{
    memset(md, 0, sizeof *md);
    md->a = a;
    md->m.name = "test";
    md->m.spec_path = "test.lstm";
    md->m.weights_path = "test.safetensors";
    md->m.input = input;
    md->m.output_last = output_last;
    md->m.layers = md->layers;
}

static int model_width(const Model *md)
{
    return md->m.nlayers ? md->layers[md->m.nlayers - 1].output : md->m.input;
}

static void add_lstm(Model *md, const char *name, LstmSpec s)
{
    Arena *a = md->a;
    int width = model_width(md);
    IrLayer *L = &md->layers[md->m.nlayers++];
    IrLstm *l = &L->lstm;
    memset(L, 0, sizeof *L);
    L->kind = IR_LSTM;
    L->name = name;
    L->input = s.I = width;
    l->input = s.I;
    l->hidden = s.H;
    l->block_size = s.S ? s.S : 1;
    l->blocks = s.H / l->block_size;
    l->proj = s.P;
    l->recurrent = s.P ? s.P : s.H;
    l->has_gate[GATE_I] = !s.no_i;
    l->has_gate[GATE_F] = !s.no_f;
    l->has_gate[GATE_G] = 1;
    l->has_gate[GATE_O] = !s.no_o;
    l->coupled = s.coupled;
    l->peepholes = s.peepholes;
    l->gate_act = (Activation){s.gate, s.ga, s.gb};
    l->cell_input_act = (Activation){s.cell_in, s.cia, s.cib};
    l->cell_output_act = (Activation){s.cell_out, s.coa, s.cob};
    l->forget_bias = s.forget_bias;
    l->clip_gates = s.clip_gates;
    l->clip_cell = s.clip_cell;
    l->clip_proj = s.clip_proj;
    l->dirs = s.dirs ? s.dirs : 1;
    L->output = l->dirs * l->recurrent;
    L->source.bias = !s.no_bias;
    int K = l->input + l->recurrent;
    double scale = s.scale ? s.scale : 1.0 / sqrt((double)K);
    for (int d = 0; d < l->dirs; d++) {
        IrDirection *dir = &l->dir[d];
        dir->reverse = d == 1 || s.reverse;
        for (int g = 0; g < GATE_COUNT; g++) {
            if (!ir_gate_has_weights(l, (Gate)g))
                continue;
            int rows = ir_gate_rows(l, (Gate)g);
            dir->w[g] = rand_floats(a, (long)rows * K, scale);
            if (!s.no_bias)
                dir->b[g] = rand_floats(a, rows, scale);
            if (s.peepholes && g != GATE_G)
                dir->p[g] = rand_floats(a, s.H, scale);
        }
        if (s.P)
            dir->w_proj = rand_floats(a, (long)s.P * s.H, 1.0 / sqrt((double)s.H));
    }
    md->m.output = L->output;
}

static void add_dense(Model *md, const char *name, int units, ActKind act, double pa, double pb,
                      int bias)
{
    int width = model_width(md);
    IrLayer *L = &md->layers[md->m.nlayers++];
    memset(L, 0, sizeof *L);
    L->kind = IR_DENSE;
    L->name = name;
    L->input = width;
    L->output = units;
    L->source.bias = bias;
    double scale = 1.0 / sqrt((double)L->input);
    L->dense.w = rand_floats(md->a, (long)units * L->input, scale);
    L->dense.b = bias ? rand_floats(md->a, units, scale) : NULL;
    L->dense.act = (Activation){act, pa, pb};
    md->m.output = units;
}

/* The ordinary LSTM: all gates, sigmoid / tanh / tanh. */
static LstmSpec std_lstm(int H)
{
    LstmSpec s;
    memset(&s, 0, sizeof s);
    s.H = H;
    s.gate = ACT_SIGMOID;
    s.cell_in = ACT_TANH;
    s.cell_out = ACT_TANH;
    return s;
}

/* ---- compiling and running ---- */

static char tmpdir[64];

static int run(const char *cmd)
{
    int status = system(cmd);
    if (status != 0)
        print_error("command failed (%d): %s\n", status, cmd);
    return status;
}

/* Fails the test when a tool it needs is not on PATH. */
static void require(const char *tool)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "command -v %s > /dev/null 2>&1", tool);
    if (system(cmd) != 0)
        fail_msg("%s not found: this test needs it (.ci/run installs it)", tool);
}

/* Reads rows of numbers: sequences separated by blank lines; mode "run"
 * uses m_run on each sequence, mode "step" m_step on each row (printing the
 * last row only with M_OUTPUT_LAST). */
static const char driver_c[] =
    "#include <stdio.h>\n"
    "#include <stdlib.h>\n"
    "#include <string.h>\n"
    "#include \"model.h\"\n"
    "static float xs[1 << 16], ys[1 << 16], scratch[1 << 18];\n"
    "static void print_rows(const float *y, size_t rows)\n"
    "{\n"
    "    for (size_t t = 0; t < rows; t++)\n"
    "        for (int k = 0; k < M_OUTPUT_SIZE; k++)\n"
    "            printf(k + 1 < M_OUTPUT_SIZE ? \"%.9g \" : \"%.9g\\n\", (double)y[t * M_OUTPUT_SIZE + (size_t)k]);\n"
    "}\n"
    "static void sequence(m_state *s, size_t T, int step)\n"
    "{\n"
    "    if (T == 0) return;\n"
    "#if M_STREAMING\n"
    "    m_reset(s);\n"
    "    if (step) {\n"
    "        for (size_t t = 0; t < T; t++)\n"
    "            m_step(s, xs + t * M_INPUT_SIZE, ys + (M_OUTPUT_LAST ? 0 : t * M_OUTPUT_SIZE));\n"
    "    } else {\n"
    "        m_run(s, xs, T, ys);\n"
    "    }\n"
    "#else\n"
    "    (void)step;\n"
    "    if (M_SCRATCH_FLOATS(T) > sizeof scratch / sizeof scratch[0]) abort();\n"
    "    m_run(s, xs, T, ys, scratch);\n"
    "#endif\n"
    "    print_rows(ys, M_OUTPUT_LAST ? 1 : T);\n"
    "}\n"
    "#if M_STREAMING\n"
    "/* NB sequences (more than M_CHUNK, so several groups): sequence b is the\n"
    " * input scaled by 1 + b/64, through m_run_batch; each must match m_run on\n"
    " * it alone; sequence 0 (the input itself) is printed. */\n"
    "#define NB 70\n"
    "static float xb[1 << 18], yb[1 << 18], x1[1 << 16], y1[1 << 16];\n"
    "static m_state sb[NB];\n"
    "static void batch(size_t T)\n"
    "{\n"
    "    if (T == 0) return;\n"
    "    if (T * NB * M_INPUT_SIZE > sizeof xb / sizeof xb[0] || T * NB * M_OUTPUT_SIZE > sizeof yb / sizeof yb[0]) abort();\n"
    "    for (size_t b = 0; b < NB; b++) {\n"
    "        m_reset(&sb[b]);\n"
    "        for (size_t t = 0; t < T; t++)\n"
    "            for (size_t k = 0; k < M_INPUT_SIZE; k++)\n"
    "                xb[(t * NB + b) * M_INPUT_SIZE + k] = xs[t * M_INPUT_SIZE + k] * (1.0f + (float)b / 64.0f);\n"
    "    }\n"
    "    m_run_batch(sb, NB, xb, T, yb);\n"
    "    size_t rows = M_OUTPUT_LAST ? 1 : T;\n"
    "    for (size_t b = 0; b < NB; b++) {\n"
    "        static m_state s1;\n"
    "        for (size_t t = 0; t < T; t++)\n"
    "            for (size_t k = 0; k < M_INPUT_SIZE; k++)\n"
    "                x1[t * M_INPUT_SIZE + k] = xb[(t * NB + b) * M_INPUT_SIZE + k];\n"
    "        m_reset(&s1);\n"
    "        m_run(&s1, x1, T, y1);\n"
    "        for (size_t t = 0; t < rows; t++)\n"
    "            for (size_t k = 0; k < M_OUTPUT_SIZE; k++) {\n"
    "                float d = yb[(t * NB + b) * M_OUTPUT_SIZE + k] - y1[t * M_OUTPUT_SIZE + k];\n"
    "                if (!(d <= 1e-5f && d >= -1e-5f)) {\n"
    "                    fprintf(stderr, \"run_batch differs from run: sequence %zu, row %zu: %g\\n\", b, t, (double)d);\n"
    "                    exit(1);\n"
    "                }\n"
    "            }\n"
    "    }\n"
    "    for (size_t t = 0; t < rows; t++)\n"
    "        memcpy(ys + t * M_OUTPUT_SIZE, yb + t * NB * M_OUTPUT_SIZE, sizeof(float) * M_OUTPUT_SIZE);\n"
    "    print_rows(ys, rows);\n"
    "}\n"
    "#endif\n"
    "int main(int argc, char **argv)\n"
    "{\n"
    "    static m_state s;\n"
    "    static char line[1 << 16];\n"
    "#ifdef M_THREADS\n"
    "    m_reset(&s);\n"
    "    static m_threads threads;\n"
    "    if (m_threads_start(&s, &threads) != 0) return 1;\n"
    "#endif\n"
    "    int step = argc > 1 && strcmp(argv[1], \"step\") == 0;\n"
    "    size_t T = 0, n = 0;\n"
    "    while (fgets(line, sizeof line, stdin)) {\n"
    "        char *p = line, *end;\n"
    "        size_t k = 0;\n"
    "        for (float v = strtof(p, &end); end != p; v = strtof(p, &end)) {\n"
    "            xs[n++] = v;\n"
    "            p = end;\n"
    "            k++;\n"
    "        }\n"
    "        if (k == 0) {\n"
    "#if M_STREAMING\n"
    "            if (argc > 1 && strcmp(argv[1], \"batch\") == 0) batch(T); else\n"
    "#endif\n"
    "            sequence(&s, T, step);\n"
    "            T = n = 0;\n"
    "        } else T++;\n"
    "    }\n"
    "    sequence(&s, T, step);\n"
    "#ifdef M_THREADS\n"
    "    m_threads_stop(&s);\n"
    "#endif\n"
    "    return 0;\n"
    "}\n";

/* Added to cflags for the model (test_native_simd, test_threads), and
 * --threads (test_threads). */
static const char *extra_cflags = "";
static int build_threads = 1;

/* The one place these tests call the C backend: writes PREFIX.c and
 * PREFIX.h for m with the exported names m_*, fast or exact activations and
 * the given threads. Returns emitc_write_files()'s result. */
static int emit_model(const IrModel *m, int fast, int threads, const char *prefix)
{
    Arena a = {0};
    LowerOptions lo = {"m", fast, threads, NULL, 0};
    EmitOptions o = {"model.h"};
    int status = emitc_write_files(lower_model(&a, m, &lo), &o, prefix);
    arena_free(&a);
    return status;
}

/* Writes model.c / model.h for m into tmpdir and compiles them (-Werror)
 * with the driver. */
static void build(const IrModel *m, int fast)
{
    char prefix[128], cmd[1024];
    snprintf(prefix, sizeof prefix, "%s/model", tmpdir);
    assert_int_equal(emit_model(m, fast, build_threads, prefix), 0);
    snprintf(cmd, sizeof cmd, "cd %s && cc %s%s -c model.c -o model.o", tmpdir, cflags, extra_cflags);
    assert_int_equal(run(cmd), 0);
    snprintf(cmd, sizeof cmd, "cd %s && cc -O2 -pthread%s -o model driver.c model.o -lm", tmpdir, extra_cflags);
    assert_int_equal(run(cmd), 0);
}

/* Runs the built model on nseq random sequences of the given lengths and
 * compares with the interpreter; returns the max |diff|. */
static double compare(const IrModel *m, const long *lens, int nseq, const char *mode)
{
    char path[128], cmd[512];
    snprintf(path, sizeof path, "%s/input.txt", tmpdir);
    FILE *in = fopen(path, "w");
    assert_non_null(in);
    long total = 0;
    for (int q = 0; q < nseq; q++)
        total += lens[q];
    double *x = malloc(sizeof(double) * (size_t)(total * m->input));
    double *y = malloc(sizeof(double) * (size_t)(total * m->output));
    assert_true(x && y);
    long at = 0;
    for (int q = 0; q < nseq; q++) {
        for (long t = 0; t < lens[q]; t++) {
            for (int k = 0; k < m->input; k++) {
                float v = (float)normal();
                x[(at + t) * m->input + k] = v;
                fprintf(in, k ? " %.9g" : "%.9g", (double)v);
            }
            fprintf(in, "\n");
        }
        fprintf(in, "\n");
        at += lens[q];
    }
    fclose(in);

    snprintf(cmd, sizeof cmd, "cd %s && ./model %s < input.txt > output.txt", tmpdir, mode);
    assert_int_equal(run(cmd), 0);
    snprintf(path, sizeof path, "%s/output.txt", tmpdir);
    FILE *out = fopen(path, "r");
    assert_non_null(out);
    double maxdiff = 0;
    at = 0;
    for (int q = 0; q < nseq; q++) {
        interp_run(m, x + at * m->input, lens[q], y);
        long rows = m->output_last ? 1 : lens[q];
        for (long k = 0; k < rows * m->output; k++) {
            double v;
            if (fscanf(out, "%lf", &v) != 1)
                fail_msg("output ended early (sequence %d, value %ld)", q, k);
            double d = fabs(v - y[k]);
            if (!(d <= maxdiff))
                maxdiff = d;   /* also catches NaN */
        }
        at += lens[q];
    }
    double extra;
    assert_int_equal(fscanf(out, "%lf", &extra), EOF);
    fclose(out);
    free(x);
    free(y);
    return maxdiff;
}

/* Runs tmpdir/model, however it was built, through every API of the model
 * (run, step, and run_batch when it streams) and checks the tolerance. */
static void check_program(const IrModel *m, double tol)
{
    static const long lens[] = {1, 7, 3};
    double d = compare(m, lens, 3, "run");
    if (!(d <= tol))
        fail_msg("max |diff| %.3g > %.3g (run)", d, tol);
    d = compare(m, lens, 3, "step");
    if (!(d <= tol))
        fail_msg("max |diff| %.3g > %.3g (step)", d, tol);
    int streaming = 1;
    for (int n = 0; n < m->nlayers; n++)
        for (int k = 0; m->layers[n].kind == IR_LSTM && k < m->layers[n].lstm.dirs; k++)
            streaming &= !m->layers[n].lstm.dir[k].reverse;
    if (streaming) {
        d = compare(m, lens, 3, "batch");
        if (!(d <= tol))
            fail_msg("max |diff| %.3g > %.3g (batch)", d, tol);
    }
}

/* Builds with cc, runs (every API) and checks the tolerance. */
static void check_model(const IrModel *m, int fast, double tol)
{
    build(m, fast);
    check_program(m, tol);
}

/* ---- cases ---- */

static void test_standard(void **state)
{
    (void)state;
    Arena a = {0};
    Model md;
    model_init(&md, &a, 3, 0);
    LstmSpec s = std_lstm(5);
    add_lstm(&md, "enc", s);
    check_model(&md.m, 0, TOL);
    arena_free(&a);
}

static void test_stacked_softmax_last(void **state)
{
    (void)state;
    Arena a = {0};
    Model md;
    model_init(&md, &a, 4, 1);
    add_lstm(&md, "enc.l0", std_lstm(6));
    add_lstm(&md, "enc.l1", std_lstm(6));
    add_dense(&md, "hidden", 5, ACT_RELU, 0, 0, 1);
    add_dense(&md, "head", 3, ACT_SOFTMAX, 0, 0, 1);
    check_model(&md.m, 0, TOL);
    arena_free(&a);
}

/* A dense layer between two LSTMs, and a last LSTM copied to y. */
static void test_dense_between(void **state)
{
    (void)state;
    Arena a = {0};
    Model md;
    model_init(&md, &a, 2, 1);
    add_lstm(&md, "a", std_lstm(3));
    add_dense(&md, "mid", 4, ACT_LEAKY_RELU, 0.125, 0, 1);
    add_dense(&md, "mid2", 3, ACT_ELU, 0.5, 0, 0);
    add_lstm(&md, "b", std_lstm(5));
    check_model(&md.m, 0, TOL);
    arena_free(&a);
}

static void test_bidirectional(void **state)
{
    (void)state;
    Arena a = {0};
    Model md;
    model_init(&md, &a, 3, 0);
    LstmSpec s = std_lstm(4);
    s.dirs = 2;
    add_lstm(&md, "enc.l0", s);
    add_lstm(&md, "enc.l1", s);
    add_dense(&md, "head", 2, ACT_SOFTSIGN, 0, 0, 1);
    check_model(&md.m, 0, TOL);
    arena_free(&a);
}

static void test_backward_last(void **state)
{
    (void)state;
    Arena a = {0};
    Model md;
    model_init(&md, &a, 3, 1);
    LstmSpec s = std_lstm(4);
    s.reverse = 1;
    add_lstm(&md, "back", s);
    check_model(&md.m, 0, TOL);
    arena_free(&a);
}

/* Bidirectional with blocks and projection, output last through a head of
 * two dense layers (the last-row-only path with scratch vectors). */
static void test_bidirectional_blocks_head(void **state)
{
    (void)state;
    Arena a = {0};
    Model md;
    model_init(&md, &a, 3, 1);
    LstmSpec s = std_lstm(6);
    s.dirs = 2;
    s.S = 2;
    s.P = 3;
    s.peepholes = 1;
    add_lstm(&md, "enc", s);
    add_dense(&md, "fc", 4, ACT_SOFTPLUS, 0, 0, 1);
    add_dense(&md, "out", 2, ACT_AFFINE, 0.5, -0.25, 1);
    check_model(&md.m, 0, TOL);
    arena_free(&a);
}

/* The 1997 LSTM: blocks of cells, input and output gates only, the paper's
 * scaled sigmoids. */
static void test_1997_blocks(void **state)
{
    (void)state;
    Arena a = {0};
    Model md;
    model_init(&md, &a, 3, 0);
    LstmSpec s = std_lstm(6);
    s.S = 3;
    s.no_f = 1;
    s.cell_in = ACT_SCALED_SIGMOID;
    s.cia = -2;
    s.cib = 2;
    s.cell_out = ACT_SCALED_SIGMOID;
    s.coa = -1;
    s.cob = 1;
    add_lstm(&md, "mem", s);
    check_model(&md.m, 0, TOL);
    arena_free(&a);
}

/* Blocks with peepholes and every gate; no output gate in a second layer. */
static void test_blocks_peepholes(void **state)
{
    (void)state;
    Arena a = {0};
    Model md;
    model_init(&md, &a, 2, 0);
    LstmSpec s = std_lstm(8);
    s.S = 4;
    s.peepholes = 1;
    add_lstm(&md, "a", s);
    LstmSpec t = std_lstm(3);
    t.no_o = 1;
    t.no_i = 1;
    t.no_bias = 1;
    add_lstm(&md, "b", t);
    check_model(&md.m, 0, TOL);
    arena_free(&a);
}

static void test_coupled_peepholes(void **state)
{
    (void)state;
    Arena a = {0};
    Model md;
    model_init(&md, &a, 3, 0);
    LstmSpec s = std_lstm(5);
    s.coupled = 1;
    s.peepholes = 1;
    add_lstm(&md, "cifg", s);
    check_model(&md.m, 0, TOL);
    arena_free(&a);
}

/* Forget bias, every clip, projection; large weights so the clips bite;
 * hard_sigmoid gates, scaled_tanh and elu inside the cell. */
static void test_clips_projection(void **state)
{
    (void)state;
    Arena a = {0};
    Model md;
    model_init(&md, &a, 3, 0);
    LstmSpec s = std_lstm(6);
    s.P = 4;
    s.forget_bias = 1.0;
    s.clip_gates = 0.75;
    s.clip_cell = 0.5;
    s.clip_proj = 0.3;
    s.scale = 1.5;
    s.gate = ACT_HARD_SIGMOID;
    s.ga = 0.2;
    s.gb = 0.5;
    s.cell_in = ACT_SCALED_TANH;
    s.cia = 1.7159;
    s.cib = 2.0 / 3.0;
    s.cell_out = ACT_ELU;
    s.coa = 1.0;
    add_lstm(&md, "lstmp", s);
    check_model(&md.m, 0, TOL);
    arena_free(&a);
}

/* No biases anywhere, but a forget bias; the remaining activations. */
static void test_no_bias_activations(void **state)
{
    (void)state;
    Arena a = {0};
    Model md;
    model_init(&md, &a, 2, 0);
    LstmSpec s = std_lstm(4);
    s.no_bias = 1;
    s.forget_bias = 0.5;
    s.gate = ACT_SIGMOID;
    s.cell_in = ACT_SOFTSIGN;
    s.cell_out = ACT_RELU;
    add_lstm(&md, "l", s);
    add_dense(&md, "d1", 3, ACT_THRESHOLDED_RELU, 0.1, 0, 0);
    add_dense(&md, "d2", 3, ACT_IDENTITY, 0, 0, 1);
    check_model(&md.m, 0, TOL);
    arena_free(&a);
}

/* Odd row counts: the matrix-vector loop with 1 and 2 rows per pass. */
static void test_odd_rows(void **state)
{
    (void)state;
    Arena a = {0};
    Model md;
    model_init(&md, &a, 1, 0);
    LstmSpec s = std_lstm(3);
    s.S = 3;              /* 1 + 1 + 3 + 1 = 6 rows: 2 per pass */
    add_lstm(&md, "a", s);
    LstmSpec t = std_lstm(3);
    t.S = 3;
    t.no_o = 1;           /* 1 + 1 + 3 = 5 rows: 1 per pass */
    add_lstm(&md, "b", t);
    check_model(&md.m, 0, TOL);
    arena_free(&a);
}

/* Fast activations: the approximations are close, not exact. */
static void test_fast_activations(void **state)
{
    (void)state;
    Arena a = {0};
    Model md;
    model_init(&md, &a, 4, 0);
    add_lstm(&md, "enc", std_lstm(8));
    check_model(&md.m, 1, 1e-4);
    arena_free(&a);
}

/* The SIMD kernels (AVX-512, AVX2 or NEON, whichever -march=native gives),
 * then the scalar ones:
 * tiles whose rows are a multiple of 16, with peepholes, a projection,
 * clips and a stacked layer, fast activations, every API. */
static void test_native_simd(void **state)
{
    (void)state;
    char cmd[256];
    snprintf(cmd, sizeof cmd, "cd %s && echo 'int x;' > native.c && cc -march=native -c native.c -o native.o", tmpdir);
    if (run(cmd) != 0)
        skip();
    Arena a = {0};
    Model md;
    model_init(&md, &a, 5, 0);
    LstmSpec s = std_lstm(32);
    s.peepholes = 1;
    s.P = 24;
    s.clip_cell = 2;
    add_lstm(&md, "enc.l0", s);
    add_lstm(&md, "enc.l1", std_lstm(48));
    extra_cflags = " -march=native";
    check_model(&md.m, 1, TOL);
    LstmSpec t = std_lstm(16);
    t.dirs = 2;
    Model mb;
    model_init(&mb, &a, 3, 1);
    add_lstm(&mb, "bi", t);
    check_model(&mb.m, 1, TOL);
    /* and the plain-float kernels, as on a target without a vector unit
     * (on x86-64 SSE2 is always there: undefine it) */
    extra_cflags = " -U__SSE2__ -U_M_X64";
    check_model(&md.m, 1, TOL);
    extra_cflags = "";
    arena_free(&a);
}

/* --threads 2: the large layers (H >= 128) split over two threads, a
 * small one not, a dense head between; every API (run_batch does not use
 * the threads). The code needs pthreads and C99, and is C++ too. */
static void test_threads(void **state)
{
    (void)state;
    Arena a = {0};
    Model md;
    model_init(&md, &a, 6, 0);
    add_lstm(&md, "enc.l0", std_lstm(128));
    add_lstm(&md, "enc.l1", std_lstm(16));
    add_lstm(&md, "enc.l2", std_lstm(160));
    add_dense(&md, "head", 3, ACT_TANH, 0, 0, 1);
    build_threads = 2;
    extra_cflags = " -pthread";
    check_model(&md.m, 1, TOL);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "cd %s && grep -q 'm_threads_start' model.h && grep -q 'enc_l0_run_part' model.c && "
             "! grep -q 'enc_l1_run_part' model.c", tmpdir);
    assert_int_equal(run(cmd), 0);
    /* the header and the code are C++ too, and the state is plain floats
     * and one pointer to the threads */
    require("g++");
    snprintf(cmd, sizeof cmd,
             "cd %s && g++ -x c++ -std=c++11 -O2 -Wall -Wextra -Wpedantic -Werror -pthread -c model.c -o model_cxx.o && "
             "! grep -q atomic_ model.h && grep -q 'm_threads \\*threads;' model.h", tmpdir);
    assert_int_equal(run(cmd), 0);
    build_threads = 1;
    extra_cflags = "";
    arena_free(&a);
}

/* A bidirectional model of three layers, then a dense head: with --threads
 * 2, the backward directions on a second thread (started with the first
 * layer's, handed the second's and third's, joined), built with extra
 * (the flags of both compiling and linking), against the interpreter. */
static void check_direction_threads(const char *extra)
{
    Arena a = {0};
    Model md;
    model_init(&md, &a, 5, 0);
    LstmSpec s = std_lstm(12);
    s.dirs = 2;
    add_lstm(&md, "enc.l0", s);
    add_lstm(&md, "enc.l1", s);
    add_lstm(&md, "enc.l2", s);
    add_dense(&md, "head", 3, ACT_TANH, 0, 0, 1);
    build_threads = 2;
    extra_cflags = extra;
    check_model(&md.m, 1, TOL);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "cd %s && grep -q 'define M_DIRECTION_THREADS 2' model.h && "
             "test \"$(grep -c 'm_job_post(&job' model.c)\" = 2", tmpdir);
    assert_int_equal(run(cmd), 0);
    build_threads = 1;
    extra_cflags = "";
    arena_free(&a);
}

static void test_direction_threads(void **state)
{
    (void)state;
    check_direction_threads(" -pthread");
}

/* The same under ThreadSanitizer: the handovers between the threads are
 * free of data races (a missing wait is one). */
static void test_direction_threads_tsan(void **state)
{
    (void)state;
    if (system("echo 'int main(void) { return 0; }' | cc -fsanitize=thread -x c - -o /dev/null "
               "> /dev/null 2>&1") != 0) {
        print_message("SKIPPED: cc -fsanitize=thread does not link (no libtsan)\n");
        skip();
    }
    check_direction_threads(" -pthread -fsanitize=thread");
}

/* ---- properties of the generated code ---- */

/* A model using most constructs, for the compiler and symbol checks. */
static void build_rich(Model *md, Arena *a)
{
    model_init(md, a, 3, 1);
    LstmSpec s = std_lstm(6);
    s.S = 2;
    s.peepholes = 1;
    s.clip_cell = 3;
    s.P = 4;
    add_lstm(md, "enc.l0", s);
    LstmSpec t = std_lstm(5);
    t.dirs = 2;
    t.forget_bias = 1;
    add_lstm(md, "enc.l1", t);
    add_dense(md, "head", 3, ACT_SOFTMAX, 0, 0, 1);
}

/* clang: model.c compiles under the same warnings as errors, and the
 * program clang builds agrees with the interpreter. */
static void test_clang(void **state)
{
    (void)state;
    Arena a = {0};
    Model md;
    char cmd[1024];
    require("clang");
    build_rich(&md, &a);
    build(&md.m, 0);
    snprintf(cmd, sizeof cmd, "cd %s && clang %s -c model.c -o model.o && clang -O2 -o model driver.c model.o -lm",
             tmpdir, cflags);
    assert_int_equal(run(cmd), 0);
    check_program(&md.m, TOL);
    arena_free(&a);
}

/* C++: model.c compiles as C++ under every warning as an error; a C++
 * program using the header links with the C object (the header's extern
 * "C" is right) and with the C++ one; both agree with the interpreter. */
static void test_cxx(void **state)
{
    (void)state;
    static const char *const cxxflags = "-x c++ -std=c++11 -O2 -Wall -Wextra -Wpedantic -Wshadow -Werror";
    Arena a = {0};
    Model md;
    char cmd[1024];
    require("g++");
    build_rich(&md, &a);
    build(&md.m, 0);
    /* model.o is cc's: the driver as C++ against the C object */
    snprintf(cmd, sizeof cmd, "cd %s && g++ -x c++ -O2 -o model driver.c -x none model.o -lm", tmpdir);
    assert_int_equal(run(cmd), 0);
    check_program(&md.m, TOL);
    /* all of it C++ */
    snprintf(cmd, sizeof cmd,
             "cd %s && g++ %s -c model.c -o model_cxx.o && g++ -x c++ -O2 -o model driver.c -x none model_cxx.o -lm",
             tmpdir, cxxflags);
    assert_int_equal(run(cmd), 0);
    check_program(&md.m, TOL);
    arena_free(&a);
}

/* A big array (here the 4H x H = 65,536 recurrent weights of H = 128) is
 * written in two forms, the bytes of its floats and float literals, and the
 * preprocessor picks one: the bytes in C on a little-endian target, the
 * literals in C++ and where M_WEIGHTS_AS_FLOATS is defined. Each form runs
 * right; M_WEIGHTS_ATTR puts every weight array in a section of one's own. */
static void test_big_arrays(void **state)
{
    (void)state;
    Arena a = {0};
    Model md;
    char cmd[1024];
    require("g++");
    require("objdump");
    model_init(&md, &a, 8, 0);
    add_lstm(&md, "big", std_lstm(128));
    build(&md.m, 0);
    snprintf(cmd, sizeof cmd, "grep -q 'M_WEIGHTS_AS_BYTES 1' %s/model.c && grep -q 'm_big_w_h_bytes' %s/model.c",
             tmpdir, tmpdir);
    assert_int_equal(run(cmd), 0);
    check_program(&md.m, TOL);
    snprintf(cmd, sizeof cmd, "cd %s && nm model.o | grep -q m_big_w_h_bytes", tmpdir);
    assert_int_equal(run(cmd), 0);
    /* the literals, in C */
    snprintf(cmd, sizeof cmd,
             "cd %s && cc %s -DM_WEIGHTS_AS_FLOATS -c model.c -o model.o && ! nm model.o | grep -q w_h_bytes && "
             "cc -O2 -o model driver.c model.o -lm",
             tmpdir, cflags);
    assert_int_equal(run(cmd), 0);
    check_program(&md.m, TOL);
    /* the literals, in C++ */
    snprintf(cmd, sizeof cmd,
             "cd %s && g++ -x c++ -std=c++11 -O2 -Wall -Wextra -Wpedantic -Werror -c model.c -o model.o && "
             "! nm model.o | grep -q w_h_bytes && cc -O2 -o model driver.c model.o -lm",
             tmpdir);
    assert_int_equal(run(cmd), 0);
    check_program(&md.m, TOL);
    /* the hook: all the weights (and nothing else) in section .m_weights */
    snprintf(cmd, sizeof cmd,
             "cd %s && cc %s '-DM_WEIGHTS_ATTR=__attribute__((section(\".m_weights\"), aligned(64)))' "
             "-c model.c -o model.o && objdump -h model.o | awk '$2 == \".m_weights\" { print $3 }' > section.txt",
             tmpdir, cflags);
    assert_int_equal(run(cmd), 0);
    char path[128];
    snprintf(path, sizeof path, "%s/section.txt", tmpdir);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    unsigned long size = 0;
    assert_int_equal(fscanf(f, "%lx", &size), 1);
    fclose(f);
    /* 4H x (I + H) weights, 4H biases, and h0 and c0 if any: at least the
     * weights, at most a few alignment paddings more */
    unsigned long floats = 4ul * 128 * (8 + 128) + 4ul * 128;
    assert_true(size >= 4 * floats && size < 4 * floats + 4096);
    arena_free(&a);
}

/* M_MODEL_HASH changes with any weight, and a .c does not compile with the
 * header of another model (here: the same model with one weight changed). */
static void test_stale_header(void **state)
{
    (void)state;
    Arena a = {0};
    Model md;
    char prefix[128], cmd[1024];
    model_init(&md, &a, 3, 0);
    add_lstm(&md, "enc", std_lstm(4));
    snprintf(prefix, sizeof prefix, "%s/old", tmpdir);
    assert_int_equal(emit_model(&md.m, 1, 1, prefix), 0);
    md.layers[0].lstm.dir[0].w[GATE_F][5] += 1.0f / 1024;
    snprintf(prefix, sizeof prefix, "%s/model", tmpdir);
    assert_int_equal(emit_model(&md.m, 1, 1, prefix), 0);
    snprintf(cmd, sizeof cmd,
             "cd %s && ! cmp -s old.h model.h && grep -q 'M_MODEL_HASH' model.h && cc %s -c model.c -o model.o && "
             "cp old.h model.h && ! cc %s -c model.c -o model.o 2> /dev/null",
             tmpdir, cflags, cflags);
    assert_int_equal(run(cmd), 0);
    arena_free(&a);
}

/* The floats of m's weights: every tensor the IR holds. */
static long weight_floats(const IrModel *m)
{
    long n = 0;
    for (int k = 0; k < m->nlayers; k++) {
        const IrLayer *L = &m->layers[k];
        if (L->kind == IR_DENSE) {
            n += (long)L->output * L->input + (L->dense.b ? L->output : 0);
            continue;
        }
        const IrLstm *l = &L->lstm;
        long K = l->input + l->recurrent;
        for (int d = 0; d < l->dirs; d++) {
            for (int g = 0; g < GATE_COUNT; g++) {
                if (!ir_gate_has_weights(l, (Gate)g))
                    continue;
                long rows = ir_gate_rows(l, (Gate)g);
                n += rows * K + (l->dir[d].b[g] ? rows : 0) + (l->dir[d].p[g] ? l->hidden : 0);
            }
            if (l->dir[d].w_proj)
                n += (long)l->proj * l->hidden;
        }
    }
    return n;
}

/* The symbols model.o defines, read from nm -S: each not a function (t, T)
 * or a file-local constant (r) is appended to bad; returns the bytes of the
 * file-local constants. */
static long object_symbols(char *bad, size_t badsize)
{
    char cmd[256], line[512], type, name[256];
    unsigned long addr, size;
    long rbytes = 0;
    snprintf(cmd, sizeof cmd, "nm -S --defined-only %s/model.o", tmpdir);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    bad[0] = 0;
    while (fgets(line, sizeof line, p)) {
        if (sscanf(line, "%lx %lx %c %255s", &addr, &size, &type, name) != 4) {
            size = 0;
            if (sscanf(line, "%lx %c %255s", &addr, &type, name) != 3)
                fail_msg("nm: cannot read '%s'", line);
        }
        if (type == 'r')
            rbytes += (long)size;
        else if (type != 't' && type != 'T')
            snprintf(bad + strlen(bad), badsize - strlen(bad), " %s (%c)", name, type);
    }
    assert_int_equal(pclose(p), 0);
    return rbytes;
}

/* The bytes of model.o's constant pool sections (.rodata.cst*), which hold
 * no symbols. */
static long rodata_pool_bytes(void)
{
    char cmd[256], line[512], name[256];
    unsigned long size;
    long bytes = 0;
    snprintf(cmd, sizeof cmd, "size -A %s/model.o", tmpdir);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    while (fgets(line, sizeof line, p))
        if (sscanf(line, "%255s %lu", name, &size) == 2 && strncmp(name, ".rodata.cst", 11) == 0)
            bytes += (long)size;
    assert_int_equal(pclose(p), 0);
    return bytes;
}

/* No mutable global, and the weights are static const: in the object, no
 * symbol but functions and file-local read-only data, holding at least
 * every weight of the model; in the source, every initialized file-scope
 * array is static const and no file-scope variable lacks const. */
static void test_no_mutable_globals(void **state)
{
    (void)state;
    Arena a = {0};
    Model md;
    char cmd[1024], bad[1024];
    require("nm");
    require("size");
    build_rich(&md, &a);
    build(&md.m, 0);
    long rbytes = object_symbols(bad, sizeof bad);
    if (bad[0])
        fail_msg("model.o defines symbols other than functions and static const data:%s", bad);
    long wbytes = (long)sizeof(float) * weight_floats(&md.m);
    /* a compiler may fold a few floats read at constant indices (the
     * unrolled bias of a dense layer of 3 units) into its constant pool,
     * unnamed sections .rodata.cst4, .rodata.cst16: counted as well */
    rbytes += rodata_pool_bytes();
    if (rbytes < wbytes)
        fail_msg("model.o holds %ld bytes of static const data, the weights are %ld", rbytes, wbytes);
    /* no file-scope variable that is not const */
    snprintf(cmd, sizeof cmd,
             "cd %s && grep -E '^(static +)?(float|int|double|char|unsigned)[^(]*(=|;)' model.c", tmpdir);
    assert_int_not_equal(system(cmd), 0);
    /* every initialized file-scope array is static const (and there are some) */
    snprintf(cmd, sizeof cmd,
             "cd %s && grep -E '^[A-Za-z_][^(]*\\[.*= *\\{' model.c > arrays.txt && ! grep -vE '^(M_WEIGHTS_ATTR )?static const ' arrays.txt",
             tmpdir);
    assert_int_equal(run(cmd), 0);
    arena_free(&a);
}

/* ---- PyTorch fixtures through `lstmc compile` ---- */

/* The fixtures through the lstmc under test: $LSTMC, an absolute path that
 * `make check-unit` sets to the build it checks (normal, sanitizer or
 * without LLVM). Without it, or when it is not a program, the test fails. */
static void test_pytorch_fixtures(void **state)
{
    (void)state;
    static const char *const cases[] = {"v1_single", "v2_stacked_head", "v3_bidir"};
    char cmd[4096];
    const char *lstmc = getenv("LSTMC");
    if (!lstmc || !*lstmc)
        fail_msg("LSTMC is not set: it names the lstmc to test (make check-unit sets it)");
    if (access(lstmc, X_OK) != 0)
        fail_msg("LSTMC=%s is not an executable", lstmc);
    print_message("    lstmc: %s\n", lstmc);
    /* the unit tests run in tests/unit */
    for (size_t k = 0; k < COUNT_OF(cases); k++) {
        const char *c = cases[k];
        snprintf(cmd, sizeof cmd,
                 "'%s' compile ../pytorch/%s.lstm -o %s/model --name m && "
                 "cc %s -c %s/model.c -o %s/model.o && cc -O2 -o %s/model %s/driver.c %s/model.o -lm && "
                 "%s/model < ../fixtures/pytorch/%s/input.txt > %s/%s.out && "
                 "d=$(awk -f ../maxdiff.awk %s/%s.out ../fixtures/pytorch/%s/expected.txt) && "
                 "echo \"    %s: max |diff| vs PyTorch $d\" && awk -v d=\"$d\" 'BEGIN { exit !(d <= 1e-5) }'",
                 lstmc, c, tmpdir, cflags, tmpdir, tmpdir, tmpdir, tmpdir, tmpdir, tmpdir, c, tmpdir, c, tmpdir,
                 c, c, c);
        assert_int_equal(run(cmd), 0);
    }
}

/* ---- identifiers ---- */

static void test_identifier(void **state)
{
    (void)state;
    Arena a = {0};
    assert_string_equal(lower_identifier(&a, "my-model"), "my_model");
    assert_string_equal(lower_identifier(&a, "enc.l1"), "enc_l1");
    assert_string_equal(lower_identifier(&a, "3d"), "m3d");
    arena_free(&a);
}

static int setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/lstmc_emit_c_XXXXXX");
    if (!mkdtemp(tmpdir))
        return -1;
    char path[128];
    snprintf(path, sizeof path, "%s/driver.c", tmpdir);
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fputs(driver_c, f);
    return fclose(f);
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_identifier),
        cmocka_unit_test(test_standard),
        cmocka_unit_test(test_stacked_softmax_last),
        cmocka_unit_test(test_dense_between),
        cmocka_unit_test(test_bidirectional),
        cmocka_unit_test(test_backward_last),
        cmocka_unit_test(test_bidirectional_blocks_head),
        cmocka_unit_test(test_1997_blocks),
        cmocka_unit_test(test_blocks_peepholes),
        cmocka_unit_test(test_coupled_peepholes),
        cmocka_unit_test(test_clips_projection),
        cmocka_unit_test(test_no_bias_activations),
        cmocka_unit_test(test_odd_rows),
        cmocka_unit_test(test_fast_activations),
        cmocka_unit_test(test_native_simd),
        cmocka_unit_test(test_threads),
        cmocka_unit_test(test_direction_threads),
        cmocka_unit_test(test_direction_threads_tsan),
        cmocka_unit_test(test_clang),
        cmocka_unit_test(test_cxx),
        cmocka_unit_test(test_big_arrays),
        cmocka_unit_test(test_stale_header),
        cmocka_unit_test(test_no_mutable_globals),
        cmocka_unit_test(test_pytorch_fixtures),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
