/*
 * test_init.c - lstmc init's weights (init.c) against the distributions
 * grammar/SPEC.md documents, and the interpreter's trace (trace.c).
 *
 * Statistics: n draws of uniform(-a, a) have mean 0 and variance a^2 / 3;
 * a test allows each estimate 5 of its standard errors, so a correct
 * generator fails neither in a million runs, and the seeds are fixed.
 */
#include "testutil.h"

#include <math.h>

#include "ast.h"
#include "init.h"
#include "interp.h"
#include "sema.h"
#include "trace.h"

/* The checked IR of a spec (no weights read). */
static IrModel *model_of(Arena *a, const char *text)
{
    Node *n = parse_spec(a, source_from_string(a, "t.lstm", text));
    IrModel *m = n ? sema_check(a, n, "unused.safetensors") : NULL;
    assert_non_null(m);
    return m;
}

static const float *tensor(const InitTensors *t, const char *name, long *count)
{
    for (int k = 0; k < t->n; k++)
        if (strcmp(t->names[k], name) == 0) {
            *count = 1;
            for (int d = 0; d < t->ndims[k]; d++)
                *count *= t->shapes[k][d];
            return t->data[k];
        }
    fail_msg("no tensor '%s'", name);
    return NULL;
}

/* Asserts v[0..n) look like uniform(-a, a). */
static void check_uniform(const char *what, const float *v, long n, double a)
{
    double sum = 0, sq = 0;
    for (long k = 0; k < n; k++) {
        if (!(fabs(v[k]) <= a))
            fail_msg("%s[%ld] = %g is outside +-%g", what, k, (double)v[k], a);
        sum += v[k];
        sq += (double)v[k] * v[k];
    }
    double mean = sum / (double)n, var = sq / (double)n - mean * mean, want = a * a / 3;
    if (fabs(mean) > 5 * sqrt(want / (double)n))
        fail_msg("%s: mean %g, expected 0 (n %ld)", what, mean, n);
    /* the variance estimate's relative standard error is sqrt(0.8 / n) */
    if (fabs(var / want - 1) > 5 * sqrt(0.8 / (double)n))
        fail_msg("%s: variance %g, expected %g", what, var, want);
}

/* Asserts the rows of r [rows, cols] are orthonormal (Keras' Orthogonal). */
static void check_orthonormal_rows(const char *what, const float *r, int rows, int cols)
{
    for (int i = 0; i < rows; i++)
        for (int j = 0; j < rows; j++) {
            double dot = 0;
            for (int c = 0; c < cols; c++)
                dot += (double)r[i * cols + c] * r[j * cols + c];
            if (fabs(dot - (i == j)) > 1e-5)
                fail_msg("%s rows %d . %d = %g", what, i, j, dot);
        }
}

static void test_pytorch_scheme(void **state)
{
    (void)state;
    Arena a = {0};
    IrModel *m = model_of(&a, "model p { input 48; lstm l { hidden 64; from pytorch \"lstm\"; }\n"
                              "dense d { units 40; from pytorch \"head\"; } output sequence; }");
    InitTensors t;
    init_weights(&a, m, INIT_DEFAULT, 1, &t);
    long n;
    const float *v = tensor(&t, "lstm.weight_ih_l0", &n);
    assert_int_equal(n, 256 * 48);
    check_uniform("weight_ih", v, n, 1 / 8.0);
    v = tensor(&t, "lstm.weight_hh_l0", &n);
    check_uniform("weight_hh", v, n, 1 / 8.0);
    v = tensor(&t, "lstm.bias_ih_l0", &n);
    check_uniform("bias_ih", v, n, 1 / 8.0);
    v = tensor(&t, "head.weight", &n);
    check_uniform("head.weight", v, n, 1 / 8.0);   /* 1/sqrt(in), in = 64 */
    arena_free(&a);
}

static void test_keras_scheme(void **state)
{
    (void)state;
    Arena a = {0};
    IrModel *m = model_of(&a, "model k { input 40; lstm l { hidden 24; from keras \"l\"; }\n"
                              "dense d { units 30; from keras \"d\"; } output sequence; }");
    InitTensors t;
    init_weights(&a, m, INIT_DEFAULT, 3, &t);
    long n;
    const float *k = tensor(&t, "l.kernel", &n);
    check_uniform("kernel", k, n, sqrt(6.0 / (40 + 96)));
    /* recurrent_kernel [24, 96]: orthonormal rows */
    check_orthonormal_rows("recurrent_kernel", tensor(&t, "l.recurrent_kernel", &n), 24, 96);
    /* bias: i f c o; the forget gate's 1 */
    const float *b = tensor(&t, "l.bias", &n);
    for (int c = 0; c < 96; c++)
        assert_true(b[c] == (c >= 24 && c < 48 ? 1.0f : 0.0f));
    const float *dk = tensor(&t, "d.kernel", &n);
    check_uniform("dense kernel", dk, n, sqrt(6.0 / (24 + 30)));
    const float *db = tensor(&t, "d.bias", &n);
    for (long u = 0; u < n; u++)
        assert_true(db[u] == 0.0f);
    arena_free(&a);
}

/* GRU and RNN layers: each convention's tensors and shapes, the pytorch
 * scheme's k = 1/sqrt(H), Keras' orthogonal recurrent kernel and its two
 * bias rows with reset after. */
static void test_gru_rnn(void **state)
{
    (void)state;
    Arena a = {0};
    IrModel *m = model_of(&a, "model g { input 20; gru g { hidden 16; reset after; from pytorch \"gru\"; }\n"
                              "rnn r { hidden 25; from pytorch \"rnn\"; } output sequence; }");
    InitTensors t;
    init_weights(&a, m, INIT_DEFAULT, 5, &t);
    long n;
    const float *v = tensor(&t, "gru.weight_ih_l0", &n);
    assert_int_equal(n, 48 * 20);
    check_uniform("gru weight_ih", v, n, 0.25);
    v = tensor(&t, "gru.bias_hh_l0", &n);
    assert_int_equal(n, 48);
    check_uniform("gru bias_hh", v, n, 0.25);
    v = tensor(&t, "rnn.weight_hh_l0", &n);
    assert_int_equal(n, 25 * 25);
    check_uniform("rnn weight_hh", v, n, 0.2);
    assert_int_equal(t.n, 8);

    m = model_of(&a, "model k { input 10; gru g { hidden 12; reset after; from keras \"g\"; }\n"
                     "gru h { hidden 4; reset before; from native \"h\"; } output sequence; }");
    init_weights(&a, m, INIT_DEFAULT, 6, &t);
    check_orthonormal_rows("gru recurrent_kernel", tensor(&t, "g.recurrent_kernel", &n), 12, 36);
    assert_int_equal(n, 12 * 36);
    for (int k = 0; k < t.n; k++)
        if (strcmp(t.names[k], "g.bias") == 0) {
            assert_int_equal(t.ndims[k], 2);       /* [2, 3H]: reset_after=True */
            assert_int_equal(t.shapes[k][0], 2);
            assert_int_equal(t.shapes[k][1], 36);
        }
    tensor(&t, "h.w_r", &n);
    assert_int_equal(n, 4 * (12 + 4));   /* [H, I + H]: g's 12 in */
    tensor(&t, "h.b_n", &n);
    for (int k = 0; k < t.n; k++)
        assert_null(strstr(t.names[k], "b_hn"));   /* reset before: one candidate bias */
    arena_free(&a);
}

static void test_1997_scheme(void **state)
{
    (void)state;
    Arena a = {0};
    IrModel *m = model_of(&a, "model n { input 30; lstm mem { hidden 64; blocks 4; gates input output;\n"
                              "from native \"mem\"; } output sequence; }");
    InitTensors t;
    init_weights(&a, m, INIT_1997, 9, &t);
    long n;
    const float *wg = tensor(&t, "mem.w_g", &n);
    check_uniform("w_g", wg, n, 0.1);
    const float *bi = tensor(&t, "mem.b_i", &n), *bo;
    assert_int_equal(n, 4);
    bo = tensor(&t, "mem.b_o", &n);
    for (int b = 0; b < 4; b++) {
        assert_float_equal(bi[b], -1.0 - b, 1e-6);        /* -1, -2, -3, -4 */
        assert_float_equal(bo[b], -2.0 * (1 + b), 1e-6);  /* -2, -4, -6, -8 */
    }
    arena_free(&a);
}

static void test_deterministic(void **state)
{
    (void)state;
    Arena a = {0};
    IrModel *m = model_of(&a, "model p { input 3; lstm l { hidden 4; from pytorch \"lstm\"; } output sequence; }");
    InitTensors t1, t2, t3;
    init_weights(&a, m, INIT_DEFAULT, 5, &t1);
    init_weights(&a, m, INIT_DEFAULT, 5, &t2);
    init_weights(&a, m, INIT_DEFAULT, 6, &t3);
    assert_int_equal(t1.n, t2.n);
    assert_memory_equal(t1.data[0], t2.data[0], sizeof(float) * 48);
    assert_memory_not_equal(t1.data[0], t3.data[0], sizeof(float) * 48);
    arena_free(&a);
}

/* The trace: the vectors a block layer offers, and the same rows whether
 * the interpreter runs step by step or a whole sequence. */
static void test_trace(void **state)
{
    (void)state;
    Arena a = {0};
    IrModel *m = model_of(&a, "model n { input 2; lstm mem { hidden 6; blocks 3; projection 2;\n"
                              "from native \"mem\"; } dense d { units 1; from native \"d\"; } output sequence; }");
    InitTensors t;
    init_weights(&a, m, INIT_PYTORCH, 2, &t);
    const char *path = "test_init.safetensors";
    assert_int_equal(st_write_f32(path, t.n, t.names, t.ndims, (const long (*)[ST_MAX_DIMS])t.shapes,
                                  (const float *const *)t.data), 0);
    m->weights_path = path;
    assert_int_equal(weights_load(&a, m), 0);
    remove(path);

    Trace tr;
    trace_init(&tr, m);
    static const char *const names[] = {"i", "f", "g", "o", "c", "h"};
    static const int sizes[] = {3, 3, 6, 3, 6, 2};
    assert_int_equal(tr.nvecs, 6);
    for (int k = 0; k < 6; k++) {
        assert_string_equal(tr.vecs[k].name, names[k]);
        assert_int_equal(tr.vecs[k].n, sizes[k]);
    }
    assert_int_equal(tr.width, 23);
    double x[10], y[5];
    for (int k = 0; k < 10; k++)
        x[k] = sin(k);
    trace_begin(&tr, 5);
    interp_run_traced(m, x, 5, y, &tr.hook);
    double whole[5 * 23];
    memcpy(whole, tr.rows, sizeof whole);
    /* step by step, in two runs of 2 and 3 steps */
    InterpStream *s = interp_stream_new(m);
    interp_stream_trace(s, &tr.hook);
    trace_begin(&tr, 2);
    interp_stream_run(s, x, 2, y);
    assert_memory_equal(tr.rows, whole, sizeof(double) * 2 * 23);
    trace_begin(&tr, 3);
    interp_stream_run(s, x + 4, 3, y);
    assert_memory_equal(tr.rows, whole + 2 * 23, sizeof(double) * 3 * 23);
    interp_stream_free(s);
    trace_free(&tr);
    arena_free(&a);
}

/* An embedding's table: N(0, 1) as nn.Embedding draws it, Keras' uniform
 * +-0.05, under each convention's name. */
static void test_embedding(void **state)
{
    (void)state;
    Arena a = {0};
    IrModel *m = model_of(&a, "model e { input tokens; embedding emb { vocabulary 300; dim 20; from pytorch \"emb\"; }\n"
                              "lstm l { hidden 8; from pytorch \"lstm\"; } }");
    InitTensors t;
    init_weights(&a, m, INIT_DEFAULT, 1, &t);
    long n;
    const float *v = tensor(&t, "emb.weight", &n);
    assert_int_equal(n, 300 * 20);
    double sum = 0, sq = 0;
    for (long k = 0; k < n; k++) {
        sum += v[k];
        sq += (double)v[k] * v[k];
    }
    assert_true(fabs(sum / (double)n) < 5 / sqrt((double)n));
    assert_true(fabs(sq / (double)n - 1) < 5 * sqrt(2.0 / (double)n));
    tensor(&t, "lstm.weight_ih_l0", &n);
    assert_int_equal(n, 32 * 20);
    m = model_of(&a, "model e { input tokens; embedding emb { vocabulary 300; dim 20; from keras \"emb\"; }\n"
                     "lstm l { hidden 8; from native \"l\"; } }");
    init_weights(&a, m, INIT_DEFAULT, 1, &t);
    v = tensor(&t, "emb.embeddings", &n);
    check_uniform("embeddings", v, n, 0.05);
    arena_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pytorch_scheme), cmocka_unit_test(test_keras_scheme),
        cmocka_unit_test(test_1997_scheme),    cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_trace),
        cmocka_unit_test(test_embedding),
        cmocka_unit_test(test_gru_rnn),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
