/*
 * test_interp.c - the reference interpreter against hand-computed values.
 *
 * Every case builds a tiny IrModel by hand (I, H <= 2, T <= 3) and writes the
 * expected outputs as explicit formulas with exp and tanh, step by step, so
 * they share nothing with interp.c but the equations of ir.h. Weights are
 * dyadic fractions, exact in float, so the float -> double conversion cannot
 * blur the comparison at 1e-12.
 */
#include "testutil.h"

#include <math.h>

#include "interp.h"

#define TOL 1e-12

static double sig(double x)
{
    return 1.0 / (1.0 + exp(-x));
}

static void check_close(const double *got, const double *want, int n)
{
    for (int k = 0; k < n; k++)
        if (!(fabs(got[k] - want[k]) <= TOL))
            fail_msg("y[%d] = %.17g, expected %.17g (diff %.3g)", k, got[k],
                     want[k], got[k] - want[k]);
}

/* ---- building models ---- */

static Activation act(ActKind k, double a, double b)
{
    Activation v = {k, a, b};
    return v;
}

/* An LSTM layer with all four gates, sigmoid/tanh/tanh, one direction, no
 * clipping or peepholes; the test fills in the weights. */
static IrLayer lstm_layer(int I, int H, int S, int P)
{
    IrLayer L;
    memset(&L, 0, sizeof L);
    L.kind = IR_LSTM;
    L.name = "lstm";
    L.input = I;
    IrLstm *l = &L.lstm;
    l->input = I;
    l->hidden = H;
    l->block_size = S;
    l->blocks = H / S;
    l->proj = P;
    l->recurrent = P ? P : H;
    for (int g = 0; g < GATE_COUNT; g++)
        l->has_gate[g] = 1;
    l->gate_act = act(ACT_SIGMOID, 0, 0);
    l->cell_input_act = act(ACT_TANH, 0, 0);
    l->cell_output_act = act(ACT_TANH, 0, 0);
    l->dirs = 1;
    L.output = l->recurrent;
    return L;
}

static void set_gate(IrDirection *d, Gate g, float *w, float *b)
{
    d->w[g] = w;
    d->b[g] = b;
}

static IrLayer dense_layer(int in, int units, float *w, float *b, Activation a)
{
    IrLayer L;
    memset(&L, 0, sizeof L);
    L.kind = IR_DENSE;
    L.name = "dense";
    L.input = in;
    L.output = units;
    L.dense.w = w;
    L.dense.b = b;
    L.dense.act = a;
    return L;
}

static IrModel model_of(IrLayer *layers, int n, int output_last)
{
    IrModel m;
    memset(&m, 0, sizeof m);
    m.name = "test";
    m.input = layers[0].input;
    m.output = layers[n - 1].output;
    m.output_last = output_last;
    m.nlayers = n;
    m.layers = layers;
    return m;
}

/* ---- a scalar standard LSTM cell (I = H = 1), for the multi-layer cases ---- */

typedef struct Cell11 {
    float w[4][2];      /* i, f, g, o rows: [x weight, h weight] */
    float b[4];
} Cell11;

static void set_cell11(IrDirection *d, Cell11 *p)
{
    for (int g = 0; g < 4; g++)
        set_gate(d, (Gate)g, p->w[g], &p->b[g]);
}

/* One PyTorch LSTM step, written out. */
static void step11(const Cell11 *p, double x, double *h, double *c)
{
    double i = sig(p->w[0][0] * x + p->w[0][1] * *h + p->b[0]);
    double f = sig(p->w[1][0] * x + p->w[1][1] * *h + p->b[1]);
    double g = tanh(p->w[2][0] * x + p->w[2][1] * *h + p->b[2]);
    double o = sig(p->w[3][0] * x + p->w[3][1] * *h + p->b[3]);
    *c = f * *c + i * g;
    *h = o * tanh(*c);
}

static Cell11 cell_a = {
    {{0.5f, -0.25f}, {-0.5f, 0.75f}, {1.0f, 0.5f}, {0.25f, -1.0f}},
    {0.125f, 0.25f, -0.125f, 0.5f},
};
static Cell11 cell_b = {
    {{-0.75f, 0.5f}, {0.25f, 0.125f}, {-0.5f, 1.5f}, {0.625f, 0.25f}},
    {0.0f, 0.5f, 0.25f, -0.375f},
};

/* ---- the cell ---- */

/* PyTorch semantics, I = H = 2, T = 2: every weight distinct, so a swapped
 * row, column or gate shows. */
static void test_standard_lstm(void **state)
{
    (void)state;
    static float Wi[2][4] = {{0.5f, -0.25f, 0.125f, 0.75f}, {-0.5f, 0.25f, 1.0f, -0.375f}};
    static float Wf[2][4] = {{0.25f, 0.5f, -0.75f, 0.125f}, {0.375f, -0.125f, 0.5f, 0.25f}};
    static float Wg[2][4] = {{1.0f, -0.5f, 0.25f, 0.5f}, {-0.25f, 0.75f, -0.5f, 1.0f}};
    static float Wo[2][4] = {{0.125f, 0.25f, 0.5f, -0.5f}, {0.75f, -0.75f, 0.25f, 0.125f}};
    static float bi[2] = {0.125f, -0.25f}, bf[2] = {0.5f, 0.0f};
    static float bg[2] = {-0.125f, 0.25f}, bo[2] = {0.0f, 0.375f};
    IrLayer L = lstm_layer(2, 2, 1, 0);
    set_gate(&L.lstm.dir[0], GATE_I, &Wi[0][0], bi);
    set_gate(&L.lstm.dir[0], GATE_F, &Wf[0][0], bf);
    set_gate(&L.lstm.dir[0], GATE_G, &Wg[0][0], bg);
    set_gate(&L.lstm.dir[0], GATE_O, &Wo[0][0], bo);
    IrModel m = model_of(&L, 1, 0);
    double x[2][2] = {{1.0, -0.5}, {0.25, 2.0}};
    double y[4];
    interp_run(&m, &x[0][0], 2, y);

#define PRE(W, B, r, x0, x1, h0, h1) \
    ((double)W[r][0] * (x0) + W[r][1] * (x1) + W[r][2] * (h0) + W[r][3] * (h1) + B[r])
    double h0 = 0, h1 = 0, c0 = 0, c1 = 0, want[4];
    for (int t = 0; t < 2; t++) {
        double a = x[t][0], b = x[t][1];
        double i0 = sig(PRE(Wi, bi, 0, a, b, h0, h1)), i1 = sig(PRE(Wi, bi, 1, a, b, h0, h1));
        double f0 = sig(PRE(Wf, bf, 0, a, b, h0, h1)), f1 = sig(PRE(Wf, bf, 1, a, b, h0, h1));
        double g0 = tanh(PRE(Wg, bg, 0, a, b, h0, h1)), g1 = tanh(PRE(Wg, bg, 1, a, b, h0, h1));
        double o0 = sig(PRE(Wo, bo, 0, a, b, h0, h1)), o1 = sig(PRE(Wo, bo, 1, a, b, h0, h1));
        c0 = f0 * c0 + i0 * g0;
        c1 = f1 * c1 + i1 * g1;
        h0 = o0 * tanh(c0);
        h1 = o1 * tanh(c1);
        want[2 * t] = h0;
        want[2 * t + 1] = h1;
    }
#undef PRE
    check_close(y, want, 4);
}

/* The 1997 LSTM has no forget gate: c' = c + i g. No biases (NULL). */
static void test_no_forget_gate(void **state)
{
    (void)state;
    static float wi[2] = {0.5f, -0.5f}, wg[2] = {1.0f, 0.25f}, wo[2] = {-0.25f, 0.5f};
    IrLayer L = lstm_layer(1, 1, 1, 0);
    L.lstm.has_gate[GATE_F] = 0;
    set_gate(&L.lstm.dir[0], GATE_I, wi, NULL);
    set_gate(&L.lstm.dir[0], GATE_G, wg, NULL);
    set_gate(&L.lstm.dir[0], GATE_O, wo, NULL);
    IrModel m = model_of(&L, 1, 0);
    double x[2] = {1.0, 0.5}, y[2];
    interp_run(&m, x, 2, y);

    /* t = 0 */
    double c1 = sig(0.5 * 1.0) * tanh(1.0 * 1.0);
    double h1 = sig(-0.25 * 1.0) * tanh(c1);
    /* t = 1 */
    double c2 = c1 + sig(0.5 * 0.5 - 0.5 * h1) * tanh(1.0 * 0.5 + 0.25 * h1);
    double h2 = sig(-0.25 * 0.5 + 0.5 * h1) * tanh(c2);
    double want[2] = {h1, h2};
    check_close(y, want, 2);
}

/* Blocks of S = 2 cells share one i, f and o; each cell has its own g. */
static void test_blocks_share_gates(void **state)
{
    (void)state;
    static float wi[3] = {0.5f, 0.25f, -0.5f}, bi[1] = {0.125f};
    static float wf[3] = {-0.25f, 0.5f, 0.75f}, bf[1] = {0.25f};
    static float wg[2][3] = {{1.0f, -0.5f, 0.25f}, {-0.75f, 0.5f, 0.125f}}, bg[2] = {0.0f, 0.5f};
    static float wo[3] = {0.375f, -0.125f, 0.25f}, bo[1] = {-0.25f};
    IrLayer L = lstm_layer(1, 2, 2, 0);
    assert_int_equal(L.lstm.blocks, 1);
    set_gate(&L.lstm.dir[0], GATE_I, wi, bi);
    set_gate(&L.lstm.dir[0], GATE_F, wf, bf);
    set_gate(&L.lstm.dir[0], GATE_G, &wg[0][0], bg);
    set_gate(&L.lstm.dir[0], GATE_O, wo, bo);
    IrModel m = model_of(&L, 1, 0);
    double x[2] = {1.0, -1.0}, y[4];
    interp_run(&m, x, 2, y);

    /* t = 0, x = 1, h = c = 0 */
    double i = sig(0.5 * 1.0 + 0.125);
    double g0 = tanh(1.0 * 1.0 + 0.0), g1 = tanh(-0.75 * 1.0 + 0.5);
    double o = sig(0.375 * 1.0 - 0.25);
    double c0 = i * g0, c1 = i * g1;
    double h0 = o * tanh(c0), h1 = o * tanh(c1);
    double want[4];
    want[0] = h0;
    want[1] = h1;
    /* t = 1, x = -1 */
    i = sig(0.5 * -1.0 + 0.25 * h0 - 0.5 * h1 + 0.125);
    double f = sig(-0.25 * -1.0 + 0.5 * h0 + 0.75 * h1 + 0.25);
    g0 = tanh(1.0 * -1.0 - 0.5 * h0 + 0.25 * h1 + 0.0);
    g1 = tanh(-0.75 * -1.0 + 0.5 * h0 + 0.125 * h1 + 0.5);
    o = sig(0.375 * -1.0 - 0.125 * h0 + 0.25 * h1 - 0.25);
    c0 = f * c0 + i * g0;
    c1 = f * c1 + i * g1;
    want[2] = o * tanh(c0);
    want[3] = o * tanh(c1);
    check_close(y, want, 4);
}

/* Peepholes, one cell: i and f look at the old c, o at the new one. */
static void test_peepholes(void **state)
{
    (void)state;
    static float wi[2] = {0.25f, 0.5f}, wf[2] = {0.5f, -0.25f};
    static float wg[2] = {1.0f, 0.5f}, wo[2] = {-0.5f, 0.25f};
    static float pi[1] = {0.5f}, pf[1] = {-0.25f}, po[1] = {0.75f};
    IrLayer L = lstm_layer(1, 1, 1, 0);
    IrDirection *d = &L.lstm.dir[0];
    L.lstm.peepholes = 1;
    set_gate(d, GATE_I, wi, NULL);
    set_gate(d, GATE_F, wf, NULL);
    set_gate(d, GATE_G, wg, NULL);
    set_gate(d, GATE_O, wo, NULL);
    d->p[GATE_I] = pi;
    d->p[GATE_F] = pf;
    d->p[GATE_O] = po;
    IrModel m = model_of(&L, 1, 0);
    double x[2] = {1.5, -0.5}, y[2];
    interp_run(&m, x, 2, y);

    /* t = 0, c = 0 */
    double c1 = sig(0.5 * 1.5) * 0.0 + sig(0.25 * 1.5) * tanh(1.5);
    double h1 = sig(-0.5 * 1.5 + 0.75 * c1) * tanh(c1);
    /* t = 1 */
    double i = sig(0.25 * -0.5 + 0.5 * h1 + 0.5 * c1);
    double f = sig(0.5 * -0.5 - 0.25 * h1 - 0.25 * c1);
    double c2 = f * c1 + i * tanh(1.0 * -0.5 + 0.5 * h1);
    double h2 = sig(-0.5 * -0.5 + 0.25 * h1 + 0.75 * c2) * tanh(c2);
    double want[2] = {h1, h2};
    check_close(y, want, 2);
}

/* Peepholes in a block of S = 2: the gate sums p[j] c[j] over its cells. */
static void test_peepholes_block(void **state)
{
    (void)state;
    static float wi[3] = {0.25f, 0.5f, -0.25f}, wf[3] = {0.5f, -0.25f, 0.125f};
    static float wg[2][3] = {{1.0f, 0.5f, -0.5f}, {-0.5f, 0.25f, 0.75f}};
    static float wo[3] = {-0.5f, 0.25f, 0.5f};
    static float pi[2] = {0.5f, -0.25f}, pf[2] = {0.25f, 0.75f}, po[2] = {-0.5f, 1.0f};
    IrLayer L = lstm_layer(1, 2, 2, 0);
    IrDirection *d = &L.lstm.dir[0];
    L.lstm.peepholes = 1;
    set_gate(d, GATE_I, wi, NULL);
    set_gate(d, GATE_F, wf, NULL);
    set_gate(d, GATE_G, &wg[0][0], NULL);
    set_gate(d, GATE_O, wo, NULL);
    d->p[GATE_I] = pi;
    d->p[GATE_F] = pf;
    d->p[GATE_O] = po;
    IrModel m = model_of(&L, 1, 0);
    double x[2] = {1.0, 2.0}, y[4], want[4];
    interp_run(&m, x, 2, y);

    /* t = 0, x = 1, h = c = 0 */
    double i = sig(0.25 * 1.0);
    double c0 = i * tanh(1.0 * 1.0), c1 = i * tanh(-0.5 * 1.0);
    double o = sig(-0.5 * 1.0 - 0.5 * c0 + 1.0 * c1);
    double h0 = o * tanh(c0), h1 = o * tanh(c1);
    want[0] = h0;
    want[1] = h1;
    /* t = 1, x = 2 */
    i = sig(0.25 * 2.0 + 0.5 * h0 - 0.25 * h1 + 0.5 * c0 - 0.25 * c1);
    double f = sig(0.5 * 2.0 - 0.25 * h0 + 0.125 * h1 + 0.25 * c0 + 0.75 * c1);
    c0 = f * c0 + i * tanh(1.0 * 2.0 + 0.5 * h0 - 0.5 * h1);
    c1 = f * c1 + i * tanh(-0.5 * 2.0 + 0.25 * h0 + 0.75 * h1);
    o = sig(-0.5 * 2.0 + 0.25 * h0 + 0.5 * h1 - 0.5 * c0 + 1.0 * c1);
    want[2] = o * tanh(c0);
    want[3] = o * tanh(c1);
    check_close(y, want, 4);
}

/* Coupled input and forget gates: f = 1 - i (the forget weights unused). */
static void test_coupled(void **state)
{
    (void)state;
    static float wi[2] = {0.75f, -0.5f}, bi[1] = {0.25f};
    static float wg[2] = {-1.0f, 0.5f}, wo[2] = {0.5f, 0.5f};
    IrLayer L = lstm_layer(1, 1, 1, 0);
    L.lstm.coupled = 1;
    set_gate(&L.lstm.dir[0], GATE_I, wi, bi);
    set_gate(&L.lstm.dir[0], GATE_G, wg, NULL);
    set_gate(&L.lstm.dir[0], GATE_O, wo, NULL);
    IrModel m = model_of(&L, 1, 0);
    double x[2] = {1.0, -0.5}, y[2];
    interp_run(&m, x, 2, y);

    double i = sig(0.75 * 1.0 + 0.25);
    double c1 = (1 - i) * 0.0 + i * tanh(-1.0);
    double h1 = sig(0.5) * tanh(c1);
    i = sig(0.75 * -0.5 - 0.5 * h1 + 0.25);
    double c2 = (1 - i) * c1 + i * tanh(0.5 + 0.5 * h1);
    double h2 = sig(0.5 * -0.5 + 0.5 * h1) * tanh(c2);
    double want[2] = {h1, h2};
    check_close(y, want, 2);
}

/* forget_bias is added to the forget pre-activation. */
static void test_forget_bias(void **state)
{
    (void)state;
    IrLayer L = lstm_layer(1, 1, 1, 0);
    L.lstm.forget_bias = 1.0;
    set_cell11(&L.lstm.dir[0], &cell_a);
    IrModel m = model_of(&L, 1, 0);
    double x[2] = {0.5, -1.0}, y[2];
    interp_run(&m, x, 2, y);

    /* cell_a: i {0.5, -0.25 | 0.125}, f {-0.5, 0.75 | 0.25},
     *         g {1.0, 0.5 | -0.125}, o {0.25, -1.0 | 0.5} */
    double c1 = sig(-0.5 * 0.5 + 0.25 + 1.0) * 0.0 + sig(0.5 * 0.5 + 0.125) * tanh(1.0 * 0.5 - 0.125);
    double h1 = sig(0.25 * 0.5 + 0.5) * tanh(c1);
    double f = sig(-0.5 * -1.0 + 0.75 * h1 + 0.25 + 1.0);
    double i = sig(0.5 * -1.0 - 0.25 * h1 + 0.125);
    double c2 = f * c1 + i * tanh(1.0 * -1.0 + 0.5 * h1 - 0.125);
    double h2 = sig(0.25 * -1.0 - 1.0 * h1 + 0.5) * tanh(c2);
    double want[2] = {h1, h2};
    check_close(y, want, 2);
}

/* clip_gates clamps ai, af (forget bias included), ag and ao. */
static void test_clip_gates(void **state)
{
    (void)state;
    static float wi[2] = {2.0f, 0.0f}, wf[2] = {-3.0f, 0.0f}, wg[2] = {3.0f, 0.0f};
    static float wo[2] = {-1.5f, 0.0f}, bo[1] = {0.25f};
    IrLayer L = lstm_layer(1, 1, 1, 0);
    L.lstm.clip_gates = 0.5;
    L.lstm.forget_bias = 1.0;
    set_gate(&L.lstm.dir[0], GATE_I, wi, NULL);
    set_gate(&L.lstm.dir[0], GATE_F, wf, NULL);
    set_gate(&L.lstm.dir[0], GATE_G, wg, NULL);
    set_gate(&L.lstm.dir[0], GATE_O, wo, bo);
    IrModel m = model_of(&L, 1, 0);
    double x[2] = {1.0, -1.0}, y[2];
    interp_run(&m, x, 2, y);

    /* t = 0: ai = 2 -> 0.5, af = -3 + 1 = -2 -> -0.5 (f is moot: c = 0),
     * ag = 3 -> 0.5, ao = -1.25 -> -0.5 */
    double c1 = sig(0.5) * tanh(0.5);
    double h1 = sig(-0.5) * tanh(c1);
    /* t = 1: ai = -2 -> -0.5, af = 3 + 1 = 4 -> 0.5, ag = -3 -> -0.5,
     * ao = 1.75 -> 0.5 */
    double c2 = sig(0.5) * c1 + sig(-0.5) * tanh(-0.5);
    double h2 = sig(0.5) * tanh(c2);
    double want[2] = {h1, h2};
    check_close(y, want, 2);

    /* the forget bias comes before the clip: at t = 1, af = -3 + 1 = -2 must
     * be clipped to -0.5; had the bias come after, f would be sig(0.5). */
    x[0] = 1.0;
    x[1] = 1.0;
    interp_run(&m, x, 2, y);
    c1 = sig(0.5) * tanh(0.5);
    c2 = sig(-0.5) * c1 + sig(0.5) * tanh(0.5);
    want[0] = sig(-0.5) * tanh(c1);
    want[1] = sig(-0.5) * tanh(c2);
    check_close(y, want, 2);
}

/* clip_cell clamps c' to [-clip, clip], and the clamped c is carried on. */
static void test_clip_cell(void **state)
{
    (void)state;
    static float wg[2] = {1.0f, 0.0f};
    IrLayer L = lstm_layer(1, 1, 1, 0);
    L.lstm.has_gate[GATE_I] = L.lstm.has_gate[GATE_F] = L.lstm.has_gate[GATE_O] = 0;
    L.lstm.cell_input_act = act(ACT_IDENTITY, 0, 0);
    L.lstm.clip_cell = 2.0;
    set_gate(&L.lstm.dir[0], GATE_G, wg, NULL);
    IrModel m = model_of(&L, 1, 0);
    double x[3] = {3.0, -1.0, -5.0}, y[3];
    interp_run(&m, x, 3, y);

    /* i = f = o = 1, c' = c + x: 3 -> 2; 2 - 1 = 1; 1 - 5 = -4 -> -2 */
    double want[3] = {tanh(2.0), tanh(1.0), tanh(-2.0)};
    check_close(y, want, 3);
}

/* Projection: h = w_proj m, P = 1 < H = 2, and h is what recurs. */
static void test_projection(void **state)
{
    (void)state;
    static float Wi[2][2] = {{0.5f, -0.5f}, {0.25f, 0.75f}}, bi[2] = {0.125f, 0.0f};
    static float Wf[2][2] = {{-0.25f, 0.5f}, {0.5f, 0.25f}}, bf[2] = {0.5f, -0.5f};
    static float Wg[2][2] = {{1.0f, 0.25f}, {-0.5f, 1.0f}}, bg[2] = {0.0f, 0.25f};
    static float Wo[2][2] = {{0.75f, -0.25f}, {-0.125f, 0.5f}}, bo[2] = {0.25f, 0.0f};
    static float Wp[1][2] = {{0.5f, -0.75f}};
    IrLayer L = lstm_layer(1, 2, 1, 1);
    IrDirection *d = &L.lstm.dir[0];
    assert_int_equal(L.output, 1);
    set_gate(d, GATE_I, &Wi[0][0], bi);
    set_gate(d, GATE_F, &Wf[0][0], bf);
    set_gate(d, GATE_G, &Wg[0][0], bg);
    set_gate(d, GATE_O, &Wo[0][0], bo);
    d->w_proj = &Wp[0][0];
    IrModel m = model_of(&L, 1, 0);
    double x[2] = {1.0, -2.0}, y[2], want[2];
    interp_run(&m, x, 2, y);

    double h = 0, c0 = 0, c1 = 0;
    for (int t = 0; t < 2; t++) {
        double v = x[t];
        double i0 = sig(0.5 * v - 0.5 * h + 0.125), i1 = sig(0.25 * v + 0.75 * h + 0.0);
        double f0 = sig(-0.25 * v + 0.5 * h + 0.5), f1 = sig(0.5 * v + 0.25 * h - 0.5);
        double g0 = tanh(1.0 * v + 0.25 * h + 0.0), g1 = tanh(-0.5 * v + 1.0 * h + 0.25);
        double o0 = sig(0.75 * v - 0.25 * h + 0.25), o1 = sig(-0.125 * v + 0.5 * h + 0.0);
        c0 = f0 * c0 + i0 * g0;
        c1 = f1 * c1 + i1 * g1;
        h = 0.5 * (o0 * tanh(c0)) - 0.75 * (o1 * tanh(c1));
        want[t] = h;
    }
    check_close(y, want, 2);
}

/* clip_proj clamps h after the projection, and the clamped h recurs. */
static void test_clip_proj(void **state)
{
    (void)state;
    static float Wg[2][2] = {{1.0f, 0.5f}, {2.0f, 0.0f}}, Wp[1][2] = {{1.0f, 1.0f}};
    IrLayer L = lstm_layer(1, 2, 1, 1);
    L.lstm.has_gate[GATE_I] = L.lstm.has_gate[GATE_F] = L.lstm.has_gate[GATE_O] = 0;
    L.lstm.cell_input_act = act(ACT_IDENTITY, 0, 0);
    L.lstm.cell_output_act = act(ACT_IDENTITY, 0, 0);
    L.lstm.clip_proj = 2.0;
    set_gate(&L.lstm.dir[0], GATE_G, &Wg[0][0], NULL);
    L.lstm.dir[0].w_proj = &Wp[0][0];
    IrModel m = model_of(&L, 1, 0);
    double x[3] = {1.0, -1.0, -3.0}, y[3];
    interp_run(&m, x, 3, y);

    /* c' = c + ag, h = c0 + c1 clamped to [-2, 2]:
     * t = 0: c = (1, 2), h = 3 -> 2
     * t = 1: c = (1 + (-1 + 0.5*2), 2 + -2) = (1, 0), h = 1
     *        (an unclipped h = 3 would give c0 = 1.5)
     * t = 2: c = (1 + (-3 + 0.5*1), 0 - 6) = (-1.5, -6), h = -7.5 -> -2 */
    double want[3] = {2.0, 1.0, -2.0};
    check_close(y, want, 3);
}

/* reverse walks t = T-1 .. 0 and stores the output of step t at row t. */
static void test_backward(void **state)
{
    (void)state;
    IrLayer L = lstm_layer(1, 1, 1, 0);
    L.lstm.dir[0].reverse = 1;
    set_cell11(&L.lstm.dir[0], &cell_a);
    IrModel m = model_of(&L, 1, 0);
    double x[3] = {0.5, -1.0, 2.0}, y[3], want[3];
    interp_run(&m, x, 3, y);

    double h = 0, c = 0;
    step11(&cell_a, x[2], &h, &c);
    want[2] = h;
    step11(&cell_a, x[1], &h, &c);
    want[1] = h;
    step11(&cell_a, x[0], &h, &c);
    want[0] = h;
    check_close(y, want, 3);
}

/* Bidirectional: row t = [forward h at t, backward h at t]. */
static void test_bidirectional(void **state)
{
    (void)state;
    IrLayer L = lstm_layer(1, 1, 1, 0);
    L.lstm.dirs = 2;
    L.output = 2;
    set_cell11(&L.lstm.dir[0], &cell_a);
    set_cell11(&L.lstm.dir[1], &cell_b);
    L.lstm.dir[1].reverse = 1;
    IrModel m = model_of(&L, 1, 0);
    assert_int_equal(m.output, 2);
    double x[2] = {1.0, -0.5}, y[4], want[4];
    interp_run(&m, x, 2, y);

    double h = 0, c = 0;
    step11(&cell_a, x[0], &h, &c);
    want[0] = h;
    step11(&cell_a, x[1], &h, &c);
    want[2] = h;
    h = c = 0;
    step11(&cell_b, x[1], &h, &c);
    want[3] = h;
    step11(&cell_b, x[0], &h, &c);
    want[1] = h;
    check_close(y, want, 4);
}

/* initial_state: each direction starts from its own h0, c0, the backward
 * one at the last step. */
static void test_initial_state(void **state)
{
    (void)state;
    IrLayer L = lstm_layer(1, 1, 1, 0);
    L.lstm.dirs = 2;
    L.output = 2;
    L.lstm.initial_state = 1;
    set_cell11(&L.lstm.dir[0], &cell_a);
    set_cell11(&L.lstm.dir[1], &cell_b);
    L.lstm.dir[1].reverse = 1;
    static float h0f = 0.5f, c0f = -1.25f, h0b = -0.75f, c0b = 2.0f;
    L.lstm.dir[0].h0 = &h0f;
    L.lstm.dir[0].c0 = &c0f;
    L.lstm.dir[1].h0 = &h0b;
    L.lstm.dir[1].c0 = &c0b;
    IrModel m = model_of(&L, 1, 0);
    double x[2] = {1.0, -0.5}, y[4], want[4];
    interp_run(&m, x, 2, y);

    double h = h0f, c = c0f;
    step11(&cell_a, x[0], &h, &c);
    want[0] = h;
    step11(&cell_a, x[1], &h, &c);
    want[2] = h;
    h = h0b, c = c0b;
    step11(&cell_b, x[1], &h, &c);
    want[3] = h;
    step11(&cell_b, x[0], &h, &c);
    want[1] = h;
    check_close(y, want, 4);
}

/* Two LSTM layers: the second reads the first's whole output sequence. */
static void test_stacked(void **state)
{
    (void)state;
    IrLayer L[2] = {lstm_layer(1, 1, 1, 0), lstm_layer(1, 1, 1, 0)};
    set_cell11(&L[0].lstm.dir[0], &cell_a);
    set_cell11(&L[1].lstm.dir[0], &cell_b);
    IrModel m = model_of(L, 2, 0);
    double x[3] = {1.0, 0.25, -2.0}, y[3], mid[3], want[3];
    interp_run(&m, x, 3, y);

    double h = 0, c = 0;
    for (int t = 0; t < 3; t++) {
        step11(&cell_a, x[t], &h, &c);
        mid[t] = h;
    }
    h = c = 0;
    for (int t = 0; t < 3; t++) {
        step11(&cell_b, mid[t], &h, &c);
        want[t] = h;
    }
    check_close(y, want, 3);
}

/* output_last: only the final layer's last row is written. */
static void test_output_last(void **state)
{
    (void)state;
    IrLayer L = lstm_layer(1, 1, 1, 0);
    set_cell11(&L.lstm.dir[0], &cell_b);
    IrModel m = model_of(&L, 1, 1);
    double x[3] = {0.5, 1.5, -0.75}, y[2] = {0, 12345.0};
    interp_run(&m, x, 3, y);

    double h = 0, c = 0;
    step11(&cell_b, 0.5, &h, &c);
    step11(&cell_b, 1.5, &h, &c);
    step11(&cell_b, -0.75, &h, &c);
    check_close(y, &h, 1);
    assert_true(y[1] == 12345.0);
}

/* ---- dense ---- */

/* Dense with softmax over 3 units, two rows. */
static void test_dense_softmax(void **state)
{
    (void)state;
    static float W[3][2] = {{1.0f, -0.5f}, {0.25f, 2.0f}, {-1.0f, 0.5f}};
    static float b[3] = {0.5f, 0.0f, -0.25f};
    IrLayer L = dense_layer(2, 3, &W[0][0], b, act(ACT_SOFTMAX, 0, 0));
    IrModel m = model_of(&L, 1, 0);
    double x[2][2] = {{1.0, 2.0}, {-3.0, 0.5}}, y[6], want[6];
    interp_run(&m, &x[0][0], 2, y);

    for (int t = 0; t < 2; t++) {
        double z0 = 1.0 * x[t][0] - 0.5 * x[t][1] + 0.5;
        double z1 = 0.25 * x[t][0] + 2.0 * x[t][1] + 0.0;
        double z2 = -1.0 * x[t][0] + 0.5 * x[t][1] - 0.25;
        double sum = exp(z0) + exp(z1) + exp(z2);
        want[3 * t] = exp(z0) / sum;
        want[3 * t + 1] = exp(z1) / sum;
        want[3 * t + 2] = exp(z2) / sum;
    }
    check_close(y, want, 6);

    /* large logits: subtracting the max keeps exp in range */
    double big[2] = {800.0, 0.0};
    interp_run(&m, big, 1, y);
    double z0 = 800.5, z1 = 200.0, z2 = -800.25;
    double sum = 1.0 + exp(z1 - z0) + exp(z2 - z0);
    double want_big[3] = {1.0 / sum, exp(z1 - z0) / sum, exp(z2 - z0) / sum};
    check_close(y, want_big, 3);
}

/* An LSTM followed by a dense layer without bias (relu), last row only. */
static void test_lstm_then_dense(void **state)
{
    (void)state;
    static float W[2][1] = {{2.0f}, {-3.0f}};
    IrLayer L[2] = {lstm_layer(1, 1, 1, 0),
                    dense_layer(1, 2, &W[0][0], NULL, act(ACT_RELU, 0, 0))};
    set_cell11(&L[0].lstm.dir[0], &cell_a);
    IrModel m = model_of(L, 2, 1);
    assert_int_equal(m.output, 2);
    double x[2] = {1.0, 0.5}, y[2];
    interp_run(&m, x, 2, y);

    double h = 0, c = 0;
    step11(&cell_a, 1.0, &h, &c);
    step11(&cell_a, 0.5, &h, &c);
    double want[2] = {2.0 * h > 0 ? 2.0 * h : 0.0, -3.0 * h > 0 ? -3.0 * h : 0.0};
    check_close(y, want, 2);
}

/* ---- activations ---- */

/* A cell with no gates: c = ag = x, h = cell_output_act(x). */
static double via_cell_output(Activation a, double x)
{
    static float wg[2] = {1.0f, 0.0f};
    IrLayer L = lstm_layer(1, 1, 1, 0);
    L.lstm.has_gate[GATE_I] = L.lstm.has_gate[GATE_F] = L.lstm.has_gate[GATE_O] = 0;
    L.lstm.cell_input_act = act(ACT_IDENTITY, 0, 0);
    L.lstm.cell_output_act = a;
    set_gate(&L.lstm.dir[0], GATE_G, wg, NULL);
    IrModel m = model_of(&L, 1, 0);
    double y;
    interp_run(&m, &x, 1, &y);
    return y;
}

/* No gates: h = identity(cell_input_act(x)). */
static double via_cell_input(Activation a, double x)
{
    static float wg[2] = {1.0f, 0.0f};
    IrLayer L = lstm_layer(1, 1, 1, 0);
    L.lstm.has_gate[GATE_I] = L.lstm.has_gate[GATE_F] = L.lstm.has_gate[GATE_O] = 0;
    L.lstm.cell_input_act = a;
    L.lstm.cell_output_act = act(ACT_IDENTITY, 0, 0);
    set_gate(&L.lstm.dir[0], GATE_G, wg, NULL);
    IrModel m = model_of(&L, 1, 0);
    double y;
    interp_run(&m, &x, 1, &y);
    return y;
}

/* Only an input gate, ag = 1: c = i * 1, h = c = gate_act(x). */
static double via_gate(Activation a, double x)
{
    static float wi[2] = {1.0f, 0.0f}, wg[2] = {0.0f, 0.0f}, bg[1] = {1.0f};
    IrLayer L = lstm_layer(1, 1, 1, 0);
    L.lstm.has_gate[GATE_F] = L.lstm.has_gate[GATE_O] = 0;
    L.lstm.gate_act = a;
    L.lstm.cell_input_act = act(ACT_IDENTITY, 0, 0);
    L.lstm.cell_output_act = act(ACT_IDENTITY, 0, 0);
    set_gate(&L.lstm.dir[0], GATE_I, wi, NULL);
    set_gate(&L.lstm.dir[0], GATE_G, wg, bg);
    IrModel m = model_of(&L, 1, 0);
    double y;
    interp_run(&m, &x, 1, &y);
    return y;
}

/* Checks one activation at x through all three places it can be used. */
static void check_act(Activation a, double x, double want)
{
    double got[3] = {via_cell_output(a, x), via_cell_input(a, x), via_gate(a, x)};
    double w[3] = {want, want, want};
    check_close(got, w, 3);
}

static void test_activations(void **state)
{
    (void)state;
    Activation a;

    a = act(ACT_SIGMOID, 0, 0);
    check_act(a, -2.0, 1.0 / (1.0 + exp(2.0)));
    check_act(a, 0.5, 1.0 / (1.0 + exp(-0.5)));

    a = act(ACT_TANH, 0, 0);
    check_act(a, -0.75, tanh(-0.75));
    check_act(a, 3.0, tanh(3.0));

    a = act(ACT_HARD_SIGMOID, 0.2, 0.5);
    check_act(a, -3.0, 0.0);
    check_act(a, 1.0, 0.2 * 1.0 + 0.5);
    check_act(a, 4.0, 1.0);

    a = act(ACT_SCALED_SIGMOID, -1.0, 2.0);
    check_act(a, 0.5, -1.0 + 3.0 / (1.0 + exp(-0.5)));
    check_act(a, -1.5, -1.0 + 3.0 / (1.0 + exp(1.5)));

    a = act(ACT_SCALED_TANH, 1.7159, 0.6667);
    check_act(a, 1.25, 1.7159 * tanh(0.6667 * 1.25));
    check_act(a, -2.0, 1.7159 * tanh(0.6667 * -2.0));

    a = act(ACT_RELU, 0, 0);
    check_act(a, -1.0, 0.0);
    check_act(a, 2.5, 2.5);

    a = act(ACT_LEAKY_RELU, 0.01, 0);
    check_act(a, -2.0, 0.01 * -2.0);
    check_act(a, 3.0, 3.0);
    check_act(a, 0.0, 0.0);

    a = act(ACT_THRESHOLDED_RELU, 1.0, 0);
    check_act(a, 0.5, 0.0);
    check_act(a, 1.0, 0.0);     /* strictly greater than a */
    check_act(a, 1.5, 1.5);

    a = act(ACT_ELU, 1.5, 0);
    check_act(a, -1.0, 1.5 * (exp(-1.0) - 1.0));
    check_act(a, 2.0, 2.0);

    a = act(ACT_SOFTSIGN, 0, 0);
    check_act(a, -3.0, -3.0 / 4.0);
    check_act(a, 0.5, 0.5 / 1.5);

    a = act(ACT_SOFTPLUS, 0, 0);
    check_act(a, 0.5, log(1.0 + exp(0.5)));
    check_act(a, -2.0, log(1.0 + exp(-2.0)));
    check_act(a, 1000.0, 1000.0);           /* exp(1000) would overflow */
    check_act(a, -1000.0, 0.0);

    a = act(ACT_AFFINE, 2.0, -1.0);
    check_act(a, 3.0, 5.0);
    check_act(a, -0.25, -1.5);

    a = act(ACT_IDENTITY, 0, 0);
    check_act(a, -7.5, -7.5);
}

/* Two dense layers: the model is a flat list of layers of any kind. */
static void test_stacked_dense(void **state)
{
    (void)state;
    static float W1[2][2] = {{1.0f, 2.0f}, {-1.0f, 0.5f}}, b1[2] = {0.0f, 1.0f};
    static float W2[1][2] = {{0.5f, -0.25f}};
    IrLayer L[2] = {dense_layer(2, 2, &W1[0][0], b1, act(ACT_TANH, 0, 0)),
                    dense_layer(2, 1, &W2[0][0], NULL, act(ACT_IDENTITY, 0, 0))};
    IrModel m = model_of(L, 2, 0);
    double x[2][2] = {{0.5, -0.25}, {1.0, 1.0}}, y[2], want[2];
    interp_run(&m, &x[0][0], 2, y);

    for (int t = 0; t < 2; t++) {
        double u0 = tanh(1.0 * x[t][0] + 2.0 * x[t][1] + 0.0);
        double u1 = tanh(-1.0 * x[t][0] + 0.5 * x[t][1] + 1.0);
        want[t] = 0.5 * u0 - 0.25 * u1;
    }
    check_close(y, want, 2);
}

/* ---- output forms that pool ---- */

/* log_softmax: z - log(sum exp z), also where softmax rounds to 0. */
static void test_dense_log_softmax(void **state)
{
    (void)state;
    static float W[2][1] = {{1.0f}, {-1.0f}}, b[2] = {0.5f, 0.0f};
    IrLayer L = dense_layer(1, 2, &W[0][0], b, act(ACT_LOG_SOFTMAX, 0, 0));
    IrModel m = model_of(&L, 1, 0);
    double x[2] = {1.0, 500.0}, y[4];
    interp_run(&m, x, 2, y);
    double lse = log(exp(1.5) + exp(-1.0));
    double want[4] = {1.5 - lse, -1.0 - lse, 0.0, -1000.5};
    check_close(y, want, 3);
    assert_true(fabs(y[3] - want[3]) < 1e-9);   /* exp(-1000.5) is 0, its log is not -inf */
}

/* Output final of a bidirectional layer: the forward direction's h after
 * the last step and the backward one's after it read step 0, the head once
 * on them; mean and max over the input of a model without an LSTM. */
static void test_pool(void **state)
{
    (void)state;
    static float Wd[1][2] = {{1.0f, -2.0f}}, bd[1] = {0.25f};
    IrLayer L[2] = {lstm_layer(1, 1, 1, 0), dense_layer(2, 1, &Wd[0][0], bd, act(ACT_TANH, 0, 0))};
    L[0].lstm.dirs = 2;
    L[0].output = 2;
    set_cell11(&L[0].lstm.dir[0], &cell_a);
    set_cell11(&L[0].lstm.dir[1], &cell_b);
    L[0].lstm.dir[1].reverse = 1;
    IrModel m = model_of(L, 2, 1);
    m.output_form = OUT_FINAL;
    double x[3] = {0.5, -1.0, 2.0}, y[1];
    interp_run(&m, x, 3, y);
    double hf = 0, cf = 0, hb = 0, cb = 0;
    for (int t = 0; t < 3; t++)
        step11(&cell_a, x[t], &hf, &cf);
    for (int t = 2; t >= 0; t--)
        step11(&cell_b, x[t], &hb, &cb);
    double want = tanh(hf - 2.0 * hb + 0.25);
    check_close(y, &want, 1);
    assert_false(interp_can_stream(&m));

    static float Wi[2][2] = {{1.0f, 0.0f}, {0.0f, 1.0f}};
    IrLayer D = dense_layer(2, 2, &Wi[0][0], NULL, act(ACT_IDENTITY, 0, 0));
    IrModel p = model_of(&D, 1, 1);
    double rows[3][2] = {{1.0, -4.0}, {3.0, -2.0}, {-1.0, -9.0}}, out[2];
    p.output_form = OUT_MEAN;
    interp_run(&p, &rows[0][0], 3, out);
    double mean[2] = {1.0, -5.0};
    check_close(out, mean, 2);
    assert_false(interp_can_stream(&p));
    p.output_form = OUT_MAX;
    interp_run(&p, &rows[0][0], 3, out);
    double max[2] = {3.0, -2.0};
    check_close(out, max, 2);
}

/* ---- step by step ---- */

/* InterpStream on two stacked layers (one from a learned initial state)
 * and a softmax head: a sequence cut into runs of 1, 2 and 4 steps gives
 * exactly interp_run's rows; reset starts over; output_last writes only the
 * last step's row of each run. */
static void test_stream(void **state)
{
    (void)state;
    static float Wd[2][1] = {{1.5f}, {-0.5f}}, bd[2] = {0.25f, 0.0f};
    static float h0 = 0.5f, c0 = -0.25f;
    IrLayer L[3] = {lstm_layer(1, 1, 1, 0), lstm_layer(1, 1, 1, 0),
                    dense_layer(1, 2, &Wd[0][0], bd, act(ACT_SOFTMAX, 0, 0))};
    set_cell11(&L[0].lstm.dir[0], &cell_a);
    set_cell11(&L[1].lstm.dir[0], &cell_b);
    L[1].lstm.initial_state = 1;
    L[1].lstm.dir[0].h0 = &h0;
    L[1].lstm.dir[0].c0 = &c0;
    IrModel m = model_of(L, 3, 0);
    double x[7] = {1.0, 0.25, -2.0, 0.5, 3.0, -0.125, 0.75}, want[14], got[14];
    interp_run(&m, x, 7, want);
    assert_true(interp_can_stream(&m));

    InterpStream *s = interp_stream_new(&m);
    interp_stream_run(s, x, 1, got);
    interp_stream_run(s, x + 1, 2, got + 2);
    interp_stream_run(s, x + 3, 4, got + 6);
    assert_memory_equal(got, want, sizeof want);
    interp_stream_reset(s);
    interp_stream_run(s, x, 7, got);
    assert_memory_equal(got, want, sizeof want);
    interp_stream_free(s);

    m.output_last = 1;
    s = interp_stream_new(&m);
    double last[2] = {0, 0}, tail[2] = {12345.0, 12345.0};
    interp_stream_run(s, x, 5, last);
    interp_stream_run(s, x + 5, 2, last);
    assert_memory_equal(last, want + 12, sizeof last);
    interp_stream_reset(s);
    interp_stream_run(s, x, 1, tail);
    assert_memory_equal(tail, want, sizeof tail);
    interp_stream_free(s);

    /* a backward direction cannot stream */
    L[0].lstm.dir[0].reverse = 1;
    assert_false(interp_can_stream(&m));
}

/* ---- GRU and RNN ---- */

/* A GRU layer of I = H = 1 (rows r, z, n: [x weight, h weight]), one
 * direction; b_hn is the candidate's recurrent bias (reset after). */
static IrLayer gru_layer(int reset_after, float w[3][2], float b[3], float *b_hn)
{
    IrLayer L;
    memset(&L, 0, sizeof L);
    L.kind = IR_GRU;
    L.name = "gru";
    L.input = L.output = 1;
    IrGru *g = &L.gru;
    g->input = g->hidden = 1;
    g->reset_after = reset_after;
    g->gate_act = act(ACT_SIGMOID, 0, 0);
    g->cand_act = act(ACT_TANH, 0, 0);
    g->dirs = 1;
    for (int q = 0; q < GRU_COUNT; q++) {
        g->dir[0].w[q] = w[q];
        g->dir[0].b[q] = &b[q];
    }
    g->dir[0].b_hn = b_hn;
    return L;
}

/* Both formulations, T = 3, written out from grammar/SPEC.md: they differ
 * only in where r acts (and reset after keeps b_hn inside the product). */
static void test_gru(void **state)
{
    (void)state;
    static float w[3][2] = {{0.5f, -0.75f}, {-0.25f, 0.5f}, {1.0f, 1.5f}};
    static float b[3] = {0.125f, -0.25f, 0.375f}, b_hn = -0.5f;
    double x[3] = {1.0, -0.5, 2.0}, y[3], want[3];
    for (int after = 0; after < 2; after++) {
        IrLayer L = gru_layer(after, w, b, after ? &b_hn : NULL);
        IrModel m = model_of(&L, 1, 0);
        interp_run(&m, x, 3, y);
        double h = 0;
        for (int t = 0; t < 3; t++) {
            double r = sig(w[0][0] * x[t] + w[0][1] * h + b[0]);
            double z = sig(w[1][0] * x[t] + w[1][1] * h + b[1]);
            double n = after ? tanh(w[2][0] * x[t] + b[2] + r * (w[2][1] * h + b_hn))
                             : tanh(w[2][0] * x[t] + w[2][1] * (r * h) + b[2]);
            h = (1 - z) * n + z * h;
            want[t] = h;
        }
        check_close(y, want, 3);
    }
}

/* An RNN with relu, clip, backward, from h0; then the same GRU streamed
 * step by step gives what the whole sequence gives. */
static void test_rnn_and_gru_stream(void **state)
{
    (void)state;
    static float w[2] = {0.75f, -1.25f}, b = 0.25f, h0 = 0.5f;
    IrLayer L;
    memset(&L, 0, sizeof L);
    L.kind = IR_RNN;
    L.name = "rnn";
    L.input = L.output = 1;
    L.gru.input = L.gru.hidden = 1;
    L.gru.cand_act = act(ACT_RELU, 0, 0);
    L.gru.clip = 1.0;
    L.gru.dirs = 1;
    L.gru.dir[0].reverse = 1;
    L.gru.dir[0].w[GRU_N] = w;
    L.gru.dir[0].b[GRU_N] = &b;
    L.gru.dir[0].h0 = &h0;
    IrModel m = model_of(&L, 1, 0);
    double x[3] = {2.0, -0.5, 0.25}, y[3], want[3];
    interp_run(&m, x, 3, y);
    double h = h0;
    for (int t = 2; t >= 0; t--) {
        double pre = w[0] * x[t] + w[1] * h + b;
        h = fmax(0.0, fmin(pre, 1.0));
        want[t] = h;
    }
    check_close(y, want, 3);
    assert_false(interp_can_stream(&m));

    static float gw[3][2] = {{0.5f, -0.75f}, {-0.25f, 0.5f}, {1.0f, 1.5f}};
    static float gb[3] = {0.125f, -0.25f, 0.375f}, b_hn = -0.5f;
    IrLayer G = gru_layer(1, gw, gb, &b_hn);
    IrModel gm = model_of(&G, 1, 0);
    double whole[3], part[3];
    interp_run(&gm, x, 3, whole);
    InterpStream *s = interp_stream_new(&gm);
    interp_stream_run(s, x, 2, part);
    interp_stream_run(s, x + 2, 1, part + 2);
    interp_stream_free(s);
    assert_memory_equal(whole, part, sizeof whole);
}

/* An embedding: each step's id picks its row of the table for the next
 * layer; an id out of range reads as zeros, in a whole run and a stream. */
static void test_embedding(void **state)
{
    (void)state;
    float table[3 * 2] = {1, 2, 3, 4, 5, 6};
    float w[2 * 2] = {1, 0, 0, 10};
    IrLayer layers[1] = {dense_layer(2, 2, w, NULL, act(ACT_IDENTITY, 0, 0))};
    IrLayer E;
    memset(&E, 0, sizeof E);
    E.kind = IR_EMBEDDING;
    E.name = "e";
    E.input = 3;
    E.output = 2;
    E.embed.table = table;
    IrModel m = model_of(layers, 1, 0);
    m.input = 1;
    m.embedding = &E;
    double x[4] = {2, 0, 7, -1}, y[8];
    double want[8] = {5, 60, 1, 20, 0, 0, 0, 0};
    interp_run(&m, x, 4, y);
    check_close(y, want, 8);
    InterpStream *s = interp_stream_new(&m);
    interp_stream_run(s, x, 2, y);
    interp_stream_run(s, x + 2, 2, y + 4);
    check_close(y, want, 8);
    interp_stream_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_standard_lstm),
        cmocka_unit_test(test_dense_log_softmax),
        cmocka_unit_test(test_pool),
        cmocka_unit_test(test_no_forget_gate),
        cmocka_unit_test(test_blocks_share_gates),
        cmocka_unit_test(test_peepholes),
        cmocka_unit_test(test_peepholes_block),
        cmocka_unit_test(test_coupled),
        cmocka_unit_test(test_forget_bias),
        cmocka_unit_test(test_clip_gates),
        cmocka_unit_test(test_clip_cell),
        cmocka_unit_test(test_projection),
        cmocka_unit_test(test_clip_proj),
        cmocka_unit_test(test_backward),
        cmocka_unit_test(test_initial_state),
        cmocka_unit_test(test_bidirectional),
        cmocka_unit_test(test_stacked),
        cmocka_unit_test(test_output_last),
        cmocka_unit_test(test_dense_softmax),
        cmocka_unit_test(test_lstm_then_dense),
        cmocka_unit_test(test_stacked_dense),
        cmocka_unit_test(test_activations),
        cmocka_unit_test(test_stream),
        cmocka_unit_test(test_gru),
        cmocka_unit_test(test_embedding),
        cmocka_unit_test(test_rnn_and_gru_stream),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
