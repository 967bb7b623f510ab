/*
 * test_act.c - the activation runtime (runtime/lstmc_act.h): every function
 * against a double-precision reference at chosen points, the limits (+-inf,
 * +-100, 0, NaN), softmax, and the fast approximations within their
 * documented error bounds on a dense monotonicity sweep and random inputs. The exhaustive measurement over every float is tests/act_error.c.
 */
#include "testutil.h"

#include <math.h>

#include "lstmc_act.h"

/* The bounds documented in lstmc_act.h and runtime/README.md (measured over
 * every finite float by tests/act_error.c). If an approximation changes,
 * measure again and update all three places. */
#define TANH_FAST_MAX_ABS    1.5e-7
#define SIGMOID_FAST_MAX_ABS 9.0e-8
#define SIGMOID_FAST_MAX_REL 1.5e-7     /* for x >= -87 */
#define EXACT_MAX_ULP        0.53       /* rt_sigmoidf, rt_tanhf, rt_eluf */
#define LIBM_MAX_ULP         3.0        /* the libm-based functions */
#define FUSED_C_MAX          4e-7       /* rt_lstm_cf_fast: times 1 + |c| */
#define FUSED_H_MAX          4e-7       /* rt_lstm_hf_fast */

/* ---- references and comparisons ---- */

static double ref_sigmoid(double x) { return 1.0 / (1.0 + exp(-x)); }

/* The spacing of floats at y (the denormal spacing below FLT_MIN). */
static double ulp_of(double y)
{
    int e;
    if (y == 0.0)
        return 0x1p-149;
    frexp(y, &e);
    return e - 24 < -149 ? 0x1p-149 : ldexp(1.0, e - 24);
}

#define assert_close(what, x, got, want, tol)                                  \
    do {                                                                       \
        double g_ = (got), w_ = (want), t_ = (tol);                            \
        if (!(fabs(g_ - w_) <= t_))                                            \
            fail_msg("%s at x=%.9g: got %.9g, want %.17g (error %.3g > %.3g)",  \
                     (what), (double)(x), g_, w_, fabs(g_ - w_), t_);          \
    } while (0)

/* Within EXACT_MAX_ULP (exact functions) or LIBM_MAX_ULP ulps of the reference. */
#define assert_ulps(what, x, got, want)                                        \
    assert_close(what, x, got, want, EXACT_MAX_ULP * ulp_of(want))
#define assert_libm_ulps(what, x, got, want)                                   \
    assert_close(what, x, got, want, LIBM_MAX_ULP * ulp_of(want))

/* Chosen inputs: zero, tiny, the usual range, and far out. */
static const float points[] = {
    -100.0f, -20.0f, -8.5f, -3.0f, -1.0f, -0.5f, -1e-3f, -1e-30f, 0.0f,
    1e-30f, 1e-3f, 0.5f, 1.0f, 3.0f, 8.5f, 20.0f, 100.0f,
    -4.50509071f, 7.85921097f, -16.6362438f,  /* where the fast errors peak */
};
enum { NPOINTS = sizeof points / sizeof points[0] };

/* ---- exact functions ---- */

static void test_exact_smooth(void **state)
{
    (void)state;
    for (int i = 0; i < NPOINTS; i++) {
        float x = points[i];
        double xd = x;
        assert_ulps("sigmoid", x, rt_sigmoidf(x), ref_sigmoid(xd));
        assert_ulps("tanh", x, rt_tanhf(x), tanh(xd));
        assert_libm_ulps("softsign", x, rt_softsignf(x), xd / (1.0 + fabs(xd)));
        assert_libm_ulps("softplus", x, rt_softplusf(x), log1p(exp(xd)));
        assert_ulps("elu", x, rt_eluf(x, 1.0f), xd >= 0 ? xd : expm1(xd));
        /* a scale adds the rounding of one multiply and one add */
        assert_close("elu a=1.7", x, rt_eluf(x, 1.7f), xd >= 0 ? xd : 1.7f * expm1(xd),
                     4 * ulp_of(1.7f * (xd >= 0 ? 1.0 : expm1(xd))) + 0x1p-149);
        assert_close("scaled_sigmoid", x, rt_scaled_sigmoidf(x, -1.0f, 2.0f),
                     -1.0 + 3.0 * ref_sigmoid(xd), 4 * ulp_of(2.0));
        assert_close("scaled_tanh", x, rt_scaled_tanhf(x, 1.7159f, 0.6666667f),
                     1.7159f * tanh(0.6666667f * xd), 4 * ulp_of(1.7159));
    }
}

static void test_exact_piecewise(void **state)
{
    (void)state;
    assert_true(rt_hard_sigmoidf(-10.0f, 0.2f, 0.5f) == 0.0f);
    assert_true(rt_hard_sigmoidf(10.0f, 0.2f, 0.5f) == 1.0f);
    assert_true(rt_hard_sigmoidf(0.0f, 0.2f, 0.5f) == 0.5f);
    assert_close("hard_sigmoid", 1.0, rt_hard_sigmoidf(1.0f, 0.2f, 0.5f), 0.7, 1e-7);
    assert_true(rt_hard_sigmoidf(-2.5f, 0.2f, 0.5f) == 0.0f);

    assert_true(rt_reluf(-2.0f) == 0.0f);
    assert_true(rt_reluf(0.0f) == 0.0f);
    assert_true(rt_reluf(2.5f) == 2.5f);

    assert_true(rt_leaky_reluf(-2.0f, 0.01f) == -2.0f * 0.01f);
    assert_true(rt_leaky_reluf(0.0f, 0.01f) == 0.0f);
    assert_true(rt_leaky_reluf(3.0f, 0.01f) == 3.0f);

    assert_true(rt_thresholded_reluf(1.0f, 1.0f) == 0.0f);  /* x > a, strictly */
    assert_true(rt_thresholded_reluf(1.5f, 1.0f) == 1.5f);
    assert_true(rt_thresholded_reluf(0.5f, 1.0f) == 0.0f);
    assert_true(rt_thresholded_reluf(-3.0f, -4.0f) == -3.0f);

    assert_true(rt_eluf(2.0f, 1.7f) == 2.0f);
    assert_true(rt_eluf(0.0f, 1.7f) == 0.0f);

    assert_true(rt_affinef(1.5f, 2.0f, 3.0f) == 6.0f);
    assert_true(rt_affinef(0.0f, 2.0f, -3.0f) == -3.0f);
    assert_true(rt_identityf(-7.25f) == -7.25f);
}

/* +-inf, +-100 and 0 give the limits; nothing becomes NaN. */
static void test_exact_limits(void **state)
{
    (void)state;
    float inf = INFINITY;
    assert_true(rt_sigmoidf(inf) == 1.0f);
    assert_true(rt_sigmoidf(-inf) == 0.0f);
    assert_true(rt_sigmoidf(100.0f) == 1.0f);
    assert_true(rt_sigmoidf(-100.0f) >= 0.0f && rt_sigmoidf(-100.0f) < 1e-43f);
    assert_true(rt_sigmoidf(0.0f) == 0.5f);
    assert_true(rt_tanhf(inf) == 1.0f && rt_tanhf(-inf) == -1.0f);
    assert_true(rt_tanhf(100.0f) == 1.0f && rt_tanhf(-100.0f) == -1.0f);
    assert_true(rt_tanhf(0.0f) == 0.0f);
    assert_true(rt_softsignf(inf) == 1.0f && rt_softsignf(-inf) == -1.0f);
    assert_true(rt_softsignf(0.0f) == 0.0f);
    assert_true(rt_softplusf(inf) == inf && rt_softplusf(-inf) == 0.0f);
    assert_true(rt_softplusf(100.0f) == 100.0f);
    assert_true(rt_eluf(-inf, 1.7f) == -1.7f && rt_eluf(inf, 1.7f) == inf);
    assert_true(rt_reluf(-inf) == 0.0f && rt_reluf(inf) == inf);
    assert_true(rt_hard_sigmoidf(inf, 0.2f, 0.5f) == 1.0f);
    assert_true(rt_hard_sigmoidf(-inf, 0.2f, 0.5f) == 0.0f);
    assert_true(rt_scaled_sigmoidf(inf, -1.0f, 2.0f) == 2.0f);
    assert_true(rt_scaled_sigmoidf(-inf, -1.0f, 2.0f) == -1.0f);
    assert_true(rt_scaled_tanhf(inf, 1.7159f, 0.6666667f) == 1.7159f);
}

/* ---- softmax ---- */

static void test_softmax(void **state)
{
    (void)state;
    float v[] = {1.0f, 2.0f, 3.0f};
    double sum = 0, denom = exp(1.0) + exp(2.0) + exp(3.0);
    rt_softmaxf(v, 3);
    for (int i = 0; i < 3; i++) {
        assert_close("softmax", i, v[i], exp(i + 1.0) / denom, 1e-7);
        sum += v[i];
    }
    assert_close("softmax sum", 3, sum, 1.0, 2e-7);

    /* large inputs: e^1000 overflows, e^(1000-1001) does not */
    float big[] = {1000.0f, 1001.0f};
    rt_softmaxf(big, 2);
    assert_close("softmax big", 0, big[0], 1.0 / (1.0 + exp(1.0)), 1e-7);
    assert_close("softmax big", 1, big[1], exp(1.0) / (1.0 + exp(1.0)), 1e-7);
    assert_close("softmax big sum", 2, (double)big[0] + big[1], 1.0, 2e-7);

    float far[] = {-1000.0f, 0.0f};
    rt_softmaxf(far, 2);
    assert_true(far[0] == 0.0f && far[1] == 1.0f);

    float same[] = {-7.0f, -7.0f, -7.0f, -7.0f};
    rt_softmaxf(same, 4);
    for (int i = 0; i < 4; i++)
        assert_true(same[i] == 0.25f);

    float one[] = {42.0f};
    rt_softmaxf(one, 1);
    assert_true(one[0] == 1.0f);

    rt_softmaxf(NULL, 0);   /* nothing to do, nothing read */
}

/* ---- fast functions ---- */

static void check_fast(float x)
{
    double xd = x, s = ref_sigmoid(xd);
    assert_close("tanh_fast", x, rt_tanhf_fast(x), tanh(xd), TANH_FAST_MAX_ABS);
    assert_close("sigmoid_fast", x, rt_sigmoidf_fast(x), s, SIGMOID_FAST_MAX_ABS);
    if (x >= -87.0f)
        assert_close("sigmoid_fast (relative)", x, rt_sigmoidf_fast(x), s,
                     SIGMOID_FAST_MAX_REL * s);
}

static void test_fast_points(void **state)
{
    (void)state;
    for (int i = 0; i < NPOINTS; i++)
        check_fast(points[i]);
}

static void test_fast_limits(void **state)
{
    (void)state;
    float inf = INFINITY;
    assert_true(rt_tanhf_fast(inf) == 1.0f && rt_tanhf_fast(-inf) == -1.0f);
    assert_true(rt_tanhf_fast(100.0f) == 1.0f && rt_tanhf_fast(-100.0f) == -1.0f);
    assert_true(rt_tanhf_fast(3e38f) == 1.0f && rt_tanhf_fast(-3e38f) == -1.0f);
    assert_true(rt_tanhf_fast(0.0f) == 0.0f);
    assert_true(rt_sigmoidf_fast(inf) == 1.0f && rt_sigmoidf_fast(-inf) == 0.0f);
    assert_true(rt_sigmoidf_fast(100.0f) == 1.0f && rt_sigmoidf_fast(-100.0f) == 0.0f);
    assert_true(rt_sigmoidf_fast(3e38f) == 1.0f && rt_sigmoidf_fast(-3e38f) == 0.0f);
    assert_true(rt_sigmoidf_fast(0.0f) == 0.5f);
    assert_true(rt_scaled_sigmoidf_fast(inf, -1.0f, 2.0f) == 2.0f);
    assert_true(rt_scaled_sigmoidf_fast(-inf, -1.0f, 2.0f) == -1.0f);
    assert_true(rt_scaled_tanhf_fast(inf, 1.7159f, 0.6666667f) == 1.7159f);
    assert_true(rt_scaled_tanhf_fast(-inf, 1.7159f, 0.6666667f) == -1.7159f);
    assert_true(isnan(rt_tanhf_fast(NAN)) && isnan(rt_tanhf_fast(-NAN)));
    assert_true(isnan(rt_sigmoidf_fast(NAN)) && isnan(rt_sigmoidf_fast(-NAN)));
}

/* Walks floats upward from lo to hi, every stride-th bit pattern (the bit
 * order of positive floats is their order), checking that both fast functions
 * never decrease, that tanh is odd, and the error bounds. */
static void sweep_up(float lo, float hi, uint32_t stride)
{
    float prev_t = rt_tanhf_fast(lo), prev_s = rt_sigmoidf_fast(lo);
    float x = lo;

    assert_true(lo >= 0.0f || hi <= 0.0f);
    while (x <= hi) {
        float t = rt_tanhf_fast(x), s = rt_sigmoidf_fast(x);
        if (t < prev_t || s < prev_s)
            fail_msg("not monotone at x=%.9g: tanh %.9g after %.9g, sigmoid %.9g after %.9g",
                     (double)x, (double)t, (double)prev_t, (double)s, (double)prev_s);
        if (rt_tanhf_fast(-x) != -t)
            fail_msg("tanh_fast not odd at x=%.9g", (double)x);
        check_fast(x);
        prev_t = t;
        prev_s = s;
        uint32_t b;
        memcpy(&b, &x, sizeof b);
        b = x >= 0.0f ? b + stride : b - stride;   /* negative: smaller bits are larger */
        memcpy(&x, &b, sizeof x);
    }
}

static void test_fast_monotone(void **state)
{
    (void)state;
    sweep_up(-30.0f, -1e-30f, 997);
    sweep_up(0.0f, 30.0f, 997);
    /* every float where the pieces meet: denormals, a step of the range
     * reduction of e^(-2|x|) (|x| = ln2/4) and of e^-|x| (|x| = ln2/2), the
     * clamp at 9 and the cutoff at 87 */
    sweep_up(0.0f, 1e-40f, 1);
    sweep_up(0.172f, 0.175f, 1);
    sweep_up(-0.348f, -0.345f, 1);
    sweep_up(8.999f, 9.001f, 1);
    sweep_up(-87.001f, -86.999f, 1);
}

/* xorshift32: the same inputs on every run */
static uint32_t rng_state = 2463534242u;
static float rand_in(float lo, float hi)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return lo + (hi - lo) * (float)(rng_state >> 8) * 0x1p-24f;
}

static void test_fast_random(void **state)
{
    (void)state;
    for (int i = 0; i < 1000000; i++) {
        float x = rand_in(-20.0f, 20.0f);
        double xd = x;
        check_fast(x);
        assert_ulps("tanh", x, rt_tanhf(x), tanh(xd));
        assert_ulps("sigmoid", x, rt_sigmoidf(x), ref_sigmoid(xd));

        /* the scaled forms add the error of the scale and the rounding of
         * b*x (at most 2^-24 * |b*x| in the argument, where tanh' <= 0.45) */
        float a = rand_in(-3.0f, 3.0f), b = rand_in(-3.0f, 3.0f);
        double m = fmax(fabs(a), fabs(b));
        assert_close("scaled_sigmoid_fast", x, rt_scaled_sigmoidf_fast(x, a, b),
                     a + ((double)b - a) * ref_sigmoid(xd),
                     fabs((double)b - a) * SIGMOID_FAST_MAX_ABS + 4 * ulp_of(m));
        assert_close("scaled_tanh_fast", x, rt_scaled_tanhf_fast(x, a, b),
                     a * tanh((double)b * xd),
                     fabs(a) * (TANH_FAST_MAX_ABS + 3e-8) + 2 * ulp_of(a));
    }
}

/* The fused cell updates against double, at random gates and states, and
 * beside the separate functions they stand for; NaN in gives NaN. */
static void test_fused_cell(void **state)
{
    (void)state;
    for (int i = 0; i < 200000; i++) {
        float c = rand_in(-4.0f, 4.0f) * (i % 7 == 0 ? 1e4f : 1.0f);
        float ai = rand_in(-20.0f, 20.0f), af = rand_in(-20.0f, 20.0f), ag = rand_in(-12.0f, 12.0f);
        float ao = rand_in(-20.0f, 20.0f);
        double cf = ref_sigmoid(af) * c + ref_sigmoid(ai) * tanh((double)ag);
        float cn = rt_lstm_cf_fast(c, ai, af, ag);
        assert_close("lstm_cf_fast", c, cn, cf, FUSED_C_MAX * (1.0 + fabs((double)c)));
        assert_close("lstm_cf_fast vs separate", c, cn,
                     rt_sigmoidf_fast(af) * c + rt_sigmoidf_fast(ai) * rt_tanhf_fast(ag),
                     2 * FUSED_C_MAX * (1.0 + fabs((double)c)));
        assert_close("lstm_hf_fast", cn, rt_lstm_hf_fast(cn, ao), ref_sigmoid(ao) * tanh((double)cn), FUSED_H_MAX);
    }
    assert_true(isnan(rt_lstm_cf_fast(NAN, 1.0f, 1.0f, 1.0f)) && isnan(rt_lstm_cf_fast(1.0f, NAN, 1.0f, 1.0f)));
    assert_true(isnan(rt_lstm_cf_fast(1.0f, 1.0f, -NAN, 1.0f)) && isnan(rt_lstm_cf_fast(1.0f, 1.0f, 1.0f, NAN)));
    assert_true(isnan(rt_lstm_hf_fast(NAN, 1.0f)) && isnan(rt_lstm_hf_fast(1.0f, NAN)));
    /* gates fully open: c + g; tanh's limit, times o = 1 */
    assert_true(rt_lstm_cf_fast(2.0f, INFINITY, INFINITY, INFINITY) == 3.0f);
    assert_true(rt_lstm_hf_fast(INFINITY, INFINITY) == 1.0f && rt_lstm_hf_fast(-1e30f, 100.0f) == -1.0f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exact_smooth),
        cmocka_unit_test(test_exact_piecewise),
        cmocka_unit_test(test_exact_limits),
        cmocka_unit_test(test_softmax),
        cmocka_unit_test(test_fast_points),
        cmocka_unit_test(test_fast_limits),
        cmocka_unit_test(test_fast_monotone),
        cmocka_unit_test(test_fast_random),
        cmocka_unit_test(test_fused_cell),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
