/*
 * test_fixed.c - integer-only arithmetic (compiler/fixed.c, fixed_plan.c,
 * ranges.c, interp_int.c): the rounding shift against its definition in
 * exact arithmetic, saturation, multipliers, the activation tables against
 * the errors grammar/SPEC.md states, the ranges reader's errors, and the
 * integer interpreter against the float one on a small LSTM and a
 * hand-computed dense row.
 */
#include "testutil.h"

#include "interp.h"
#include "interp_int.h"
#include "lower_int.h"
#include "quantize.h"

#include <math.h>

/* rshr(v, n) = floor((v + 2^(n-1)) / 2^n): checked in long double, exact
 * for these magnitudes, and the ties go up. */
static void test_rshr(void **state)
{
    (void)state;
    for (int n = 1; n <= 20; n++)
        for (int64_t v = -70000; v <= 70000; v += 7) {
            long double want = floorl(((long double)v + ldexpl(1.0L, n - 1)) / ldexpl(1.0L, n));
            if ((long double)fixed_rshr(v, n) != want)
                fail_msg("rshr(%lld, %d) = %lld, expected %.0Lf", (long long)v, n, (long long)fixed_rshr(v, n), want);
        }
    assert_int_equal(fixed_rshr(3, 1), 2);      /* 1.5 -> 2 */
    assert_int_equal(fixed_rshr(-3, 1), -1);    /* -1.5 -> -1 */
    assert_int_equal(fixed_rshr(-5, 1), -2);    /* -2.5 -> -2 */
    assert_int_equal(fixed_rshr(-1, 40), 0);
    assert_int_equal(fixed_rshr(5, 0), 5);
    assert_int_equal(fixed_rshr(-5, -3), -40);  /* n <= 0: exact */
    assert_int_equal(fixed_rshr(-(INT64_C(1) << 50), 10), -(INT64_C(1) << 40));
}

static void test_saturation_and_formats(void **state)
{
    (void)state;
    assert_int_equal(fixed_sat16(40000), 32767);
    assert_int_equal(fixed_sat16(-40000), -32768);
    assert_int_equal(fixed_sat16(-5), -5);
    assert_int_equal(fixed_from_double(0.5, 15), 16384);
    assert_int_equal(fixed_from_double(1.0, 15), 32767);         /* saturates */
    assert_int_equal(fixed_from_double(-2.5 / 32768, 15), -3);  /* ties away from zero */
    assert_int_equal(fixed_frac_of(0), 15);
    assert_int_equal(fixed_frac_of(1.0), 15);
    assert_int_equal(fixed_frac_of(1.01), 14);
    assert_int_equal(fixed_frac_of(66.9 * 4), 6);
    assert_int_equal(fixed_frac_of(1e6), 0);
}

/* mult 2^-shift within half a unit of mult's 15 bits of m. */
static void test_multiplier(void **state)
{
    (void)state;
    int32_t mult;
    int shift;
    for (double m = 1e-12; m < 30000; m *= 1.37) {
        assert_int_equal(fixed_multiplier(m, &mult, &shift), 0);
        if (m < ldexp(1.0, -48)) {
            assert_int_equal(mult, 0);
            continue;
        }
        assert_true(mult >= 16384 && mult < 32768);
        assert_true(shift >= 0 && shift <= 62);
        assert_true(fabs(ldexp(mult, -shift) - m) <= ldexp(0.5, -shift));
    }
    assert_int_equal(fixed_multiplier(32768.0, &mult, &shift), -1);
    assert_int_equal(fixed_multiplier(0, &mult, &shift), 0);
    assert_int_equal(mult, 0);
}

/* The largest error of a table over every Q3.12 input, against the exact
 * function; SPEC.md states these bounds. */
static double table_error(Activation act)
{
    FixedTable t;
    assert_int_equal(fixed_table(act, &t), 0);
    double worst = 0;
    for (int z = -32768; z <= 32767; z++) {
        double x = z / 4096.0, y;
        switch (act.kind) {
        case ACT_SIGMOID: y = 1 / (1 + exp(-x)); break;
        case ACT_TANH: y = tanh(x); break;
        case ACT_SCALED_SIGMOID: y = act.a + (act.b - act.a) / (1 + exp(-x)); break;
        default: y = act.a * tanh(act.b * x); break;
        }
        worst = fmax(worst, fabs(ldexp(fixed_table_at(&t, z), -t.frac) - y));
    }
    return worst;
}

static void test_tables(void **state)
{
    (void)state;
    assert_true(table_error((Activation){ACT_SIGMOID, 0, 0}) <= 3.9e-5);
    assert_true(table_error((Activation){ACT_TANH, 0, 0}) <= 1.2e-4);
    assert_true(table_error((Activation){ACT_SCALED_SIGMOID, -2, 2}) <= 9.5e-5);
    assert_true(table_error((Activation){ACT_SCALED_TANH, 1.7159, 0.6666}) <= 1.3e-4);
    FixedTable t;
    assert_int_equal(fixed_table((Activation){ACT_RELU, 0, 0}, &t), -1);
    assert_int_equal(fixed_table((Activation){ACT_SIGMOID, 0, 0}, &t), 0);
    assert_int_equal(fixed_table_at(&t, 100000), t.v[FIXED_TABLE_SIZE - 2] +
                     (int32_t)fixed_rshr((int64_t)(t.v[FIXED_TABLE_SIZE - 1] - t.v[FIXED_TABLE_SIZE - 2]) * 127, 7));
    assert_int_equal(fixed_table_at(&t, 0), 16384);
}

/* A ranges file's mistakes, each at its line and column. */
static void check_ranges_error(const char *text, const char *message)
{
    char path[] = "/tmp/lstmc_test_ranges_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs(text, f);
    fclose(f);
    Arena a = {0};
    Ranges r;
    DiagCapture c;
    capture_begin(&c);
    int st = ranges_read(&a, path, &r);
    const char *out = capture_end(&c);
    assert_int_equal(st, -1);
    assert_contains(out, message);
    capture_free(&c);
    arena_free(&a);
    remove(path);
}

static void test_ranges_errors(void **state)
{
    (void)state;
    check_ranges_error("ranges 1\n", ":1:1: error: not a ranges file");
    check_ranges_error("lstmc-ranges 1\nmodel m\ninput 1 x\n", ":3:9: error: expected 'NAME MIN MAX'");
    check_ranges_error("lstmc-ranges 1\nmodel m\ninput 2 1\n", ":3:9: error: expected 'NAME MIN MAX'");
    check_ranges_error("lstmc-ranges 1\nmodel m\ninput 0 1\ninput 0 1\n", ":4:1: error: 'input' has a range already");
    check_ranges_error("lstmc-ranges 1\ninput 0 1\n", "names no model");
    check_ranges_error("lstmc-ranges 1\nmodel m\nin put 0 1 2\n", ":3:1: error: expected 'model NAME'");
}

/* ---- models ---- */

static float wi[3][4], wf[3][4], wg[3][4], wo[3][4], bi[3], bf[3], bg[3], bo[3], wd[2 * 6], bd[2];

/* An LSTM (I = 1, H = 3, sigmoid/tanh/tanh; dirs 2: bidirectional, the
 * backward direction with the forward one's weights) and a dense head of 2
 * units, weights from a fixed pattern, stored as int8. */
static IrModel small_model_dirs(Arena *a, IrLayer *layers, ActKind head, int dirs)
{
    memset(layers, 0, 2 * sizeof *layers);
    IrLayer *L = &layers[0];
    L->kind = IR_LSTM, L->name = "lstm", L->input = 1, L->output = 3;
    IrLstm *l = &L->lstm;
    l->input = 1, l->hidden = 3, l->block_size = 1, l->blocks = 3, l->recurrent = 3, l->dirs = 1;
    for (int g = 0; g < GATE_COUNT; g++)
        l->has_gate[g] = 1;
    l->gate_act = (Activation){ACT_SIGMOID, 0, 0};
    l->cell_input_act = l->cell_output_act = (Activation){ACT_TANH, 0, 0};
    float(*w[4])[4] = {wi, wf, wg, wo};
    float *b[4] = {bi, bf, bg, bo};
    for (int g = 0; g < 4; g++) {
        for (int r = 0; r < 3; r++) {
            for (int k = 0; k < 4; k++)
                w[g][r][k] = (float)sin(1.0 + g * 12 + r * 4 + k) * 0.9f;
            b[g][r] = (float)cos(2.0 + g * 3 + r) * 0.5f;
        }
        l->dir[0].w[g] = l->dir[1].w[g] = &w[g][0][0];
        l->dir[0].b[g] = l->dir[1].b[g] = b[g];
    }
    l->dirs = dirs, l->dir[1].reverse = 1, L->output = 3 * dirs;
    IrLayer *D = &layers[1];
    D->kind = IR_DENSE, D->name = "head", D->input = 3 * dirs, D->output = 2;
    for (int u = 0; u < 2; u++) {
        for (int k = 0; k < 3 * dirs; k++)
            wd[u * 3 * dirs + k] = (float)sin(7.0 + u * 3 + k);
        bd[u] = 0.25f * (float)u;
    }
    D->dense.w = wd, D->dense.b = bd, D->dense.act = (Activation){head, 0, 0};
    IrModel m;
    memset(&m, 0, sizeof m);
    m.name = "small", m.input = 1, m.output = 2, m.nlayers = 2, m.layers = layers;
    m.arithmetic = ARITH_INT16;
    assert_int_equal(ir_quantize(a, &m, WT_INT8), 0);
    return m;
}

static IrModel small_model(Arena *a, IrLayer *layers, ActKind head)
{
    return small_model_dirs(a, layers, head, 1);
}

/* The integer interpreter follows the float one (same int8 weights) within
 * the error its formats allow, over 40 steps of a slow wave. */
static void test_int_follows_float(void **state)
{
    (void)state;
    Arena a = {0};
    IrLayer layers[2];
    IrModel m = small_model(&a, layers, ACT_IDENTITY);
    enum { T = 40 };
    double x[T], yf[T * 2], yi[T * 2];
    for (int t = 0; t < T; t++)
        x[t] = 0.9 * sin(t * 0.3);
    interp_run(&m, x, T, yf);
    Ranges r = {0};
    r.model = "small";
    ranges_note(&a, &r, "input", -0.9);
    ranges_note(&a, &r, "input", 0.9);
    ranges_note(&a, &r, "lstm/c", 1.5);
    ranges_note(&a, &r, "head/pre", 1.9);
    FixedModel fm;
    assert_int_equal(fixed_plan(&a, &m, &r, &fm), 0);
    assert_int_equal(fm.in_frac, 15);
    assert_int_equal(fm.layers[0].lstm.cell_frac, 14);   /* 1.5 * 1.25 <= 2 */
    assert_int_equal(fm.layers[1].out_frac, 14);
    interp_int_run(&fm, x, T, yi);
    double worst = 0;
    for (int k = 0; k < T * 2; k++)
        worst = fmax(worst, fabs(yi[k] - yf[k]));
    if (!(worst < 2e-3))
        fail_msg("the integer model is %g from the float one", worst);
    assert_true(worst > 0);   /* it did compute in integers */
    /* step by step, the sequence cut into runs of 1, 7 and 32 steps: the
     * same numbers as the whole sequence */
    double ys[T * 2];
    IntStream *st = interp_int_stream_new(&fm);
    interp_int_stream_run(st, x, 1, ys);
    interp_int_stream_run(st, x + 1, 7, ys + 2);
    interp_int_stream_run(st, x + 8, 32, ys + 16);
    for (int k = 0; k < T * 2; k++)
        assert_true(ys[k] == yi[k]);
    interp_int_stream_reset(st);
    interp_int_stream_run(st, x, T, ys);
    assert_true(memcmp(ys, yi, sizeof ys) == 0);
    interp_int_stream_free(st);
    arena_free(&a);
}

/* The lowering's decisions: one table per distinct activation (tanh read
 * twice is one table), the state's layout and bytes, the C names. */
static void test_lower_int(void **state)
{
    (void)state;
    Arena a = {0};
    IrLayer layers[2];
    IrModel m = small_model(&a, layers, ACT_SIGMOID);
    layers[0].name = "enc.l1";
    Ranges r = {0};
    r.model = "small";
    ranges_note(&a, &r, "input", 1);
    ranges_note(&a, &r, "enc.l1/c", 1);
    ranges_note(&a, &r, "head/pre", 4);
    FixedModel fm;
    assert_int_equal(fixed_plan(&a, &m, &r, &fm), 0);
    LowIntModel *lm = lower_int(&a, &fm, "small");
    assert_int_equal(lm->ntables, 2);                     /* sigmoid, tanh */
    assert_int_equal(lm->table_of[LI_GATE], 0);
    assert_int_equal(lm->table_of[LI_CELL_IN], 1);
    assert_int_equal(lm->table_of[LI_CELL_OUT], 1);
    assert_int_equal(lm->table_of[LI_TABLES_PER_LAYER + LI_DENSE], 0);   /* the head's sigmoid */
    assert_string_equal(lm->layer[0], "enc_l1");
    assert_string_equal(lm->macro, "SMALL");
    /* int32 gi, gf, go [3] and g [3]; int16 h [3], c [3], head y [2] */
    assert_int_equal(lm->state_bytes, 4 * 12 + 16);
    /* int8 [3, 4] and 9 bytes per row for 4 gates, [2, 3] and 2 rows for the head, 2 tables */
    assert_int_equal(lm->flash_bytes, 4 * (12 + 27) + (6 + 18) + 2 * 513 * 2);
    assert_int_equal(lm->uses_clamp, 0);
    arena_free(&a);
}

/* A bidirectional model: no NAME_step; NAME_run's passes (the forward
 * direction, then the backward one from the last row, into the two halves
 * of buffer 0; the head from buffer 0 into buffer 1), the backward
 * direction's own state after the forward one's; with output final, the
 * lstm's passes write row 0 only and the sequence is one row after them. */
static void test_lower_int_bidirectional(void **state)
{
    (void)state;
    Arena a = {0};
    IrLayer layers[2];
    IrModel m = small_model_dirs(&a, layers, ACT_SIGMOID, 2);
    Ranges r = {0};
    r.model = "small";
    ranges_note(&a, &r, "input", 1);
    ranges_note(&a, &r, "lstm/c", 1);
    ranges_note(&a, &r, "head/pre", 4);
    FixedModel fm;
    assert_int_equal(fixed_plan(&a, &m, &r, &fm), 0);
    LowIntModel *lm = lower_int(&a, &fm, "small");
    assert_int_equal(lm->streaming, 0);
    assert_int_equal(lm->ndirs[0], 2);
    assert_string_equal(lm->dirs[0][1].name, "lstm_bwd");
    assert_int_equal(lm->dirs[0][1].reverse, 1);
    assert_int_equal(lm->dirs[0][1].off_h, lm->dirs[0][0].off_c + 2 * 3);
    assert_int_equal(lm->dirs[1][0].off_h, lm->dirs[0][1].off_c + 2 * 3);
    assert_int_equal(lm->npasses, 3);
    const LowIntPass *p = lm->passes;
    assert_true(p[0].reverse == 0 && p[0].in_buf == -1 && p[0].out_buf == 0 && p[0].col == 0 && p[0].n == 3);
    assert_true(p[1].reverse == 1 && p[1].dir == 1 && p[1].out_buf == 0 && p[1].col == 3 && p[1].out_width == 6);
    assert_true(p[2].layer == 1 && p[2].in_buf == 0 && p[2].in_width == 6 && p[2].out_buf == 1 && p[2].n == 2);
    assert_true(!p[0].final_only && !p[1].pool);
    assert_int_equal(lm->scratch_per_step, 2 * 6);
    /* int32 gi, gf, go [3] and g [3]; int16 h, c [3] twice, head y [2] */
    assert_int_equal(lm->state_bytes, 4 * 12 + 2 * (12 + 2));
    m.output_form = OUT_FINAL, m.output_last = 1;
    lm = lower_int(&a, &fm, "small");
    assert_true(lm->passes[0].final_only && !lm->passes[0].pool);
    assert_true(lm->passes[1].final_only && lm->passes[1].pool);
    assert_true(!lm->passes[2].final_only && !lm->passes[2].pool);
    arena_free(&a);
}

/* A dense row by hand: w = 0.5 (q 127, s 0.5/127), b = 0.25, x = 0.5 in
 * Q0.15, pre-activation format Q0.15 (range 0.9): mult 2^-shift stands for
 * s, acc = 127 * 16384, y = rshr(acc * mult, shift) + round(0.25 2^15). */
static void test_dense_by_hand(void **state)
{
    (void)state;
    Arena a = {0};
    static float w1 = 0.5f, b1 = 0.25f;
    IrLayer D;
    memset(&D, 0, sizeof D);
    D.kind = IR_DENSE, D.name = "d", D.input = 1, D.output = 1;
    D.dense.w = &w1, D.dense.b = &b1, D.dense.act = (Activation){ACT_IDENTITY, 0, 0};
    IrModel m;
    memset(&m, 0, sizeof m);
    m.name = "d", m.input = 1, m.output = 1, m.nlayers = 1, m.layers = &D;
    assert_int_equal(ir_quantize(&a, &m, WT_INT8), 0);
    Ranges r = {0};
    r.model = "d";
    ranges_note(&a, &r, "input", 0.5);
    ranges_note(&a, &r, "d/pre", 0.9);
    FixedModel fm;
    assert_int_equal(fixed_plan(&a, &m, &r, &fm), 0);
    int32_t mult;
    int shift;
    assert_int_equal(fixed_multiplier(0.5 / 127.0, &mult, &shift), 0);
    assert_int_equal(fm.layers[0].dense.rows.mult[0], mult);
    int64_t acc = 127 * 16384;
    int64_t want = fixed_rshr(acc * mult, shift) + 8192;
    double x = 0.5, y;
    interp_int_run(&fm, &x, 1, &y);
    assert_true(y == ldexp((double)want, -15));
    arena_free(&a);
}

/* What int16 arithmetic refuses, at the layer. */
static void test_refusals(void **state)
{
    (void)state;
    Arena a = {0};
    IrLayer layers[2];
    IrModel m = small_model(&a, layers, ACT_SOFTPLUS);
    DiagCapture c;
    capture_begin(&c);
    assert_int_equal(fixed_supported(&m), -1);
    assert_contains(capture_end(&c), "dense 'head': arithmetic int16 has no softplus activation");
    capture_free(&c);
    m = small_model(&a, layers, ACT_IDENTITY);
    layers[0].lstm.gate_act = (Activation){ACT_HARD_SIGMOID, 0.2, 0.5};
    capture_begin(&c);
    assert_int_equal(fixed_supported(&m), -1);
    assert_contains(capture_end(&c), "lstm 'lstm': arithmetic int16 needs sigmoid gates, not hard_sigmoid");
    capture_free(&c);
    m = small_model(&a, layers, ACT_IDENTITY);
    Ranges r = {0};
    r.model = "small";
    ranges_note(&a, &r, "input", 1);
    FixedModel fm;
    capture_begin(&c);
    assert_int_equal(fixed_plan(&a, &m, &r, &fm), -1);
    assert_contains(capture_end(&c), "has no range for 'lstm/c'");
    capture_free(&c);
    arena_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rshr),
        cmocka_unit_test(test_saturation_and_formats),
        cmocka_unit_test(test_multiplier),
        cmocka_unit_test(test_tables),
        cmocka_unit_test(test_ranges_errors),
        cmocka_unit_test(test_int_follows_float),
        cmocka_unit_test(test_dense_by_hand),
        cmocka_unit_test(test_lower_int),
        cmocka_unit_test(test_lower_int_bidirectional),
        cmocka_unit_test(test_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
