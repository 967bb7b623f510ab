/*
 * act_error.c - measures the error of the activations in runtime/lstmc_act.h
 * against double precision, over every finite float, and prints a table;
 * the exact functions also against glibc's float functions. It fails
 * (exit 1) if a fast or exact function ever decreases, an exact one is
 * beyond its bound (EXACT_MAX_ULP), or a limit is wrong. `make check-act`
 * runs it over every 97th float (in make check); `make check-act-long`
 * over all of them (about 15 minutes on one core). The numbers it prints
 * are the ones documented in lstmc_act.h and runtime/README.md.
 *
 *   cc -O2 -Iruntime tests/act_error.c -lm -o /tmp/act_error && /tmp/act_error
 *   /tmp/act_error 97                  every 97th float, a few seconds
 *   /tmp/act_error 1 rt_tanhf_fast     one function
 *
 * Inputs go in increasing order, from -FLT_MAX to FLT_MAX, so the same pass
 * also checks that each function never decreases (sigmoid, tanh, softplus,
 * softsign and elu all increase). The references are tanh, exp and log1p in
 * double, except where a closed form is as exact and much cheaper: tanh(x)
 * and sigmoid(x) are their Taylor series below 2^-12 (error < 2^-80 relative)
 * and their limits far out (error < 1e-17).
 */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lstmc_act.h"

#include "act_ref.h"

/* ---- statistics per function ---- */

typedef struct Stat {
    const char *name;
    double rel_floor;   /* relative and ulp errors count only where
                           |ref| >= this */
    double max_abs, x_abs;
    double max_rel, x_rel;
    double max_ulp, x_ulp;
    double prev;        /* the previous output, for monotonicity */
    long drops;         /* outputs smaller than the one before */
    double max_drop, x_drop;
    int started;
} Stat;

static void stat_add(Stat *s, float xf, float yf, double ref)
{
    double x = xf, y = yf;
    double abs_err = fabs(y - ref);

    if (!(abs_err <= s->max_abs)) {   /* also catches a NaN output */
        s->max_abs = abs_err;
        s->x_abs = x;
    }
    if (fabs(ref) >= s->rel_floor && ref != 0.0 && abs_err / fabs(ref) > s->max_rel) {
        s->max_rel = abs_err / fabs(ref);
        s->x_rel = x;
    }
    if (fabs(ref) >= s->rel_floor && abs_err / ulp_of(ref) > s->max_ulp) {
        s->max_ulp = abs_err / ulp_of(ref);
        s->x_ulp = x;
    }
    if (s->started && y < s->prev) {
        s->drops++;
        if (s->prev - y > s->max_drop) {
            s->max_drop = s->prev - y;
            s->x_drop = x;
        }
    }
    s->prev = y;
    s->started = 1;
}

static void stat_print(const Stat *s)
{
    printf("%-22s abs %.3e at x=%-14.9g", s->name, s->max_abs, s->x_abs);
    if (s->rel_floor > 0)
        printf(" rel %.3e at x=%-14.9g (|ref| >= %g)", s->max_rel, s->x_rel, s->rel_floor);
    else
        printf(" rel %.3e at x=%-14.9g", s->max_rel, s->x_rel);
    printf(" ulp %.2f at x=%.9g", s->max_ulp, s->x_ulp);
    if (s->drops)
        printf(" NOT MONOTONE: %ld drops, largest %.3e at x=%.9g", s->drops, s->max_drop,
               s->x_drop);
    printf("\n");
}

enum { TANH_FAST, SIG_FAST, TANH, SIG, ELU, SOFTPLUS, SOFTSIGN, TANH_LIBM, SIG_LIBM, ELU_LIBM, NSTAT };

static Stat stats[NSTAT] = {
    {"rt_tanhf_fast", 0x1p-126, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
    {"rt_sigmoidf_fast", 1.7e-38, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
    {"rt_tanhf", 0x1p-126, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
    {"rt_sigmoidf", 0x1p-126, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
    {"rt_eluf", 0x1p-126, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
    {"rt_softplusf", 0x1p-126, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
    {"rt_softsignf", 0x1p-126, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
    /* the exact functions against libm's float functions instead of the
     * truth: how far from glibc's results they are, in ulps of those */
    {"rt_tanhf-vs-libm", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
    {"rt_sigmoidf-vs-libm", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
    {"rt_eluf-vs-libm", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
};

/* The bound of the exact functions, in ulps of the truth (lstmc_act.h,
 * runtime/README.md): the sweep fails above it. */
#define EXACT_MAX_ULP 0.53
/* and of the fused cell updates (the same places): c' within
 * FUSED_C_MAX (1 + |c|), h within FUSED_H_MAX */
#define FUSED_C_MAX 4e-7
#define FUSED_H_MAX 4e-7
/* A sampled run (stride > 1) sweeps them FUSED_SPARSER times sparser: six
 * sweeps, each with two references in double, would take most of its time. */
#define FUSED_SPARSER 8

/* libm's float functions: the sigmoid as lstmc wrote it with expf before
 * its exact functions were its own (e^-|x| over 1 + e^-|x|) */
static double libm_tanh(double x) { return tanhf((float)x); }
static double libm_elu1(double x) { return x >= 0 ? x : expm1f((float)x); }
static double libm_sigmoid(double x)
{
    float xf = (float)x, e = expf(xf >= 0.0f ? -xf : xf);
    return xf >= 0.0f ? 1.0f / (1.0f + e) : e / (1.0f + e);
}

static float softplus_f(float x) { return rt_softplusf(x); }
static float elu1_f(float x) { return rt_eluf(x, 1.0f); }

/* Feeds every stride-th finite float to FN, in increasing order. A macro
 * rather than a function pointer so that FN and REF are inlined. */
#define SWEEP(stat, FN, REF, stride)                                           \
    do {                                                                       \
        uint32_t b_;                                                           \
        float x_;                                                              \
        for (b_ = 0xff7fffffu; b_ >= 0x80000000u && b_ <= 0xff7fffffu; b_ -= (stride)) { \
            memcpy(&x_, &b_, sizeof x_);                                       \
            stat_add((stat), x_, FN(x_), REF((double)x_));                     \
        }                                                                      \
        for (b_ = 0; b_ <= 0x7f7fffffu; b_ += (stride)) {                      \
            memcpy(&x_, &b_, sizeof x_);                                       \
            stat_add((stat), x_, FN(x_), REF((double)x_));                     \
        }                                                                      \
    } while (0)

/* ---- the fused cell updates ---- */

/*
 * rt_lstm_cf_fast(c, ai, af, ag) and rt_lstm_hf_fast(c, ao) take several
 * floats: each argument in turn goes over every stride-th finite float,
 * the others over a grid of values, the next combination for each next
 * float (so every combination comes round many times). The error of c' is
 * measured against sigmoid(af) c + sigmoid(ai) tanh(ag) in double, over
 * 1 + |c| (an absolute error for |c| <= 1, relative to c beyond); h's is
 * absolute (h is within [-1, 1]). `act_error 1 rt_lstm_` sweeps every
 * float in each argument, these alone.
 */
static const float grid_gate[] = {-100.0f, -87.5f, -30.0f, -9.0f, -2.5f, -0.7f, -1e-3f, 0.0f,
                                  1e-6f, 0.25f, 1.3f, 5.0f, 17.0f, 88.0f, 1e30f};
static const float grid_c[] = {0.0f, -0.8f, 0.3f, 1.0f, -3.0f, 7.5f, 1e3f, -1e6f};
#define NGATE ((uint32_t)(sizeof grid_gate / sizeof *grid_gate))
#define NC ((uint32_t)(sizeof grid_c / sizeof *grid_c))

typedef struct Fused {
    const char *name;
    double max_err, x_err;     /* the largest error, at which swept x */
    float args[4];             /* and the arguments it came from */
    int nargs;
} Fused;

static Fused fused[6] = {
    {"rt_lstm_cf_fast(x, ai, af, ag)", 0, 0, {0}, 4}, {"rt_lstm_cf_fast(c, x, af, ag)", 0, 0, {0}, 4},
    {"rt_lstm_cf_fast(c, ai, x, ag)", 0, 0, {0}, 4},  {"rt_lstm_cf_fast(c, ai, af, x)", 0, 0, {0}, 4},
    {"rt_lstm_hf_fast(x, ao)", 0, 0, {0}, 2},         {"rt_lstm_hf_fast(c, x)", 0, 0, {0}, 2},
};

/* The arguments of sweep `which` (0-3: c', x at argument which; 4-5: h) at
 * the k-th float x. */
static void fused_args(int which, uint32_t k, float x, float *v)
{
    if (which < 4) {
        v[0] = grid_c[k % NC];
        v[1] = grid_gate[(k / NC) % NGATE];
        v[2] = grid_gate[(k / NC / NGATE) % NGATE];
        v[3] = grid_gate[(k / NC / NGATE / NGATE) % NGATE];
    } else {
        v[0] = grid_c[k % NC];
        v[1] = grid_gate[(k / NC) % NGATE];
    }
    v[which < 4 ? which : which - 4] = x;
}

static void fused_add(Fused *f, int which, uint32_t k, float x)
{
    float v[4];
    double y, ref, err;

    fused_args(which, k, x, v);
    if (which < 4) {
        y = rt_lstm_cf_fast(v[0], v[1], v[2], v[3]);
        ref = ref_sigmoid(v[2]) * v[0] + ref_sigmoid(v[1]) * ref_tanh(v[3]);
        err = fabs(y - ref) / (1.0 + fabs((double)v[0]));
    } else {
        y = rt_lstm_hf_fast(v[0], v[1]);
        ref = ref_sigmoid(v[1]) * ref_tanh(v[0]);
        err = fabs(y - ref);
    }
    if (!(err <= f->max_err)) {   /* also catches a NaN output */
        f->max_err = err;
        f->x_err = x;
        memcpy(f->args, v, sizeof v);
    }
}

static void fused_sweep(int which, uint32_t stride)
{
    uint32_t b, k = 0;
    float x;

    for (b = 0xff7fffffu; b >= 0x80000000u && b <= 0xff7fffffu; b -= stride, k++) {
        memcpy(&x, &b, sizeof x);
        fused_add(&fused[which], which, k, x);
    }
    for (b = 0; b <= 0x7f7fffffu; b += stride, k++) {
        memcpy(&x, &b, sizeof x);
        fused_add(&fused[which], which, k, x);
    }
}

static void fused_print(const Fused *f)
{
    int i;

    printf("%-32s %s %.3e at (", f->name, f->nargs == 4 ? "err/(1+|c|)" : "abs", f->max_err);
    for (i = 0; i < f->nargs; i++)
        printf("%s%.9g", i ? ", " : "", (double)f->args[i]);
    printf(")\n");
}

/* NaN in any argument gives NaN; the limits of the gates. */
static int check_fused(void)
{
    float nan = NAN, inf = INFINITY;
    int bad = 0;

    if (!isnan(rt_lstm_cf_fast(nan, 0, 0, 0)) || !isnan(rt_lstm_cf_fast(0, nan, 0, 0)) ||
        !isnan(rt_lstm_cf_fast(0, 0, nan, 0)) || !isnan(rt_lstm_cf_fast(0, 0, 0, -nan)) ||
        !isnan(rt_lstm_hf_fast(nan, 0)) || !isnan(rt_lstm_hf_fast(0, -nan))) {
        printf("FAIL NaN in does not give NaN out (fused cell updates)\n");
        bad = 1;
    }
    /* f = 1, i = 1, g = 1: c + 1; f = 0, i = 0: 0; o = 1, tanh(inf) = 1 */
    if (rt_lstm_cf_fast(2.0f, inf, inf, inf) != 3.0f || rt_lstm_cf_fast(5.0f, -inf, -inf, 1.0f) > 1e-36f ||
        rt_lstm_hf_fast(inf, inf) != 1.0f || rt_lstm_hf_fast(-inf, inf) != -1.0f || rt_lstm_hf_fast(3.0f, -inf) > 1e-36f) {
        printf("FAIL a limit of the fused cell updates\n");
        bad = 1;
    }
    return bad;
}

/* The limits at +-inf, and NaN staying NaN. */
static int check_specials(void)
{
    int bad = 0;
    float inf = INFINITY, nan = NAN;

#define EXPECT(expr, want)                                                     \
    do {                                                                       \
        float got_ = (expr);                                                   \
        if (!(got_ == (want))) {                                               \
            printf("FAIL %s = %.9g, want %.9g\n", #expr, (double)got_, (double)(want)); \
            bad = 1;                                                           \
        }                                                                      \
    } while (0)
    EXPECT(rt_tanhf_fast(inf), 1.0f);
    EXPECT(rt_tanhf_fast(-inf), -1.0f);
    EXPECT(rt_sigmoidf_fast(inf), 1.0f);
    EXPECT(rt_sigmoidf_fast(-inf), 0.0f);
    EXPECT(rt_tanhf_fast(0.0f), 0.0f);
    EXPECT(rt_sigmoidf_fast(0.0f), 0.5f);
    EXPECT(rt_tanhf(inf), 1.0f);
    EXPECT(rt_tanhf(-inf), -1.0f);
    EXPECT(rt_sigmoidf(inf), 1.0f);
    EXPECT(rt_sigmoidf(-inf), 0.0f);
    EXPECT(rt_eluf(inf, 1.0f), inf);
    EXPECT(rt_eluf(-inf, 1.0f), -1.0f);
    EXPECT(rt_sigmoidf(0.0f), 0.5f);
#undef EXPECT
    if (signbit(rt_tanhf(0.0f)) || !signbit(rt_tanhf(-0.0f))) {
        printf("FAIL rt_tanhf(+-0) is not +-0\n");
        bad = 1;
    }
    if (!isnan(rt_tanhf(nan)) || !isnan(rt_sigmoidf(nan)) || !isnan(rt_eluf(nan, 1.0f)) ||
        !isnan(rt_eluf(-nan, 1.0f))) {
        printf("FAIL NaN in does not give NaN out (exact functions)\n");
        bad = 1;
    }
    if (!isnan(rt_tanhf_fast(nan)) || !isnan(rt_sigmoidf_fast(nan))) {
        printf("FAIL NaN in does not give NaN out\n");
        bad = 1;
    }
    return bad;
}

/* usage: act_error [STRIDE [NAME]] - every STRIDE-th float (default 1: all),
 * only the function NAME (default: all of them) */
int main(int argc, char **argv)
{
    uint32_t stride = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 10) : 1u;
    const char *only = argc > 2 ? argv[2] : NULL;
    int i, bad = 0;

    if (stride == 0)
        stride = 1;
#define WANT(k) (!only || strcmp(only, stats[k].name) == 0)
    if (WANT(TANH_FAST))
        SWEEP(&stats[TANH_FAST], rt_tanhf_fast, ref_tanh, stride);
    if (WANT(SIG_FAST))
        SWEEP(&stats[SIG_FAST], rt_sigmoidf_fast, ref_sigmoid, stride);
    if (WANT(TANH))
        SWEEP(&stats[TANH], rt_tanhf, ref_tanh, stride);
    if (WANT(SIG))
        SWEEP(&stats[SIG], rt_sigmoidf, ref_sigmoid, stride);
    if (WANT(ELU))
        SWEEP(&stats[ELU], elu1_f, ref_elu1, stride);
    if (WANT(SOFTPLUS))
        SWEEP(&stats[SOFTPLUS], softplus_f, ref_softplus, stride);
    if (WANT(SOFTSIGN))
        SWEEP(&stats[SOFTSIGN], rt_softsignf, ref_softsign, stride);
    if (WANT(TANH_LIBM))
        SWEEP(&stats[TANH_LIBM], rt_tanhf, libm_tanh, stride);
    if (WANT(SIG_LIBM))
        SWEEP(&stats[SIG_LIBM], rt_sigmoidf, libm_sigmoid, stride);
    if (WANT(ELU_LIBM))
        SWEEP(&stats[ELU_LIBM], elu1_f, libm_elu1, stride);

    for (i = 0; i < 6; i++)   /* (sampled: FUSED_SPARSER times sparser, 6 sweeps of 2 references) */
        if (!only || strncmp(only, "rt_lstm_", 8) == 0)
            fused_sweep(i, stride == 1 ? 1 : stride * FUSED_SPARSER);

    printf("max error against double over %s finite floats:\n", stride == 1 ? "all" : "sampled");
    for (i = 0; i < NSTAT; i++) {
        if (!WANT(i))
            continue;
        stat_print(&stats[i]);
        if (i <= ELU && stats[i].drops)
            bad = 1;
        if (i >= TANH && i <= ELU && !(stats[i].max_ulp <= EXACT_MAX_ULP)) {
            printf("FAIL %s: %.2f ulps, above the bound %.2f\n", stats[i].name, stats[i].max_ulp, EXACT_MAX_ULP);
            bad = 1;
        }
    }
    for (i = 0; i < 6; i++) {
        if (only && strncmp(only, "rt_lstm_", 8) != 0)
            continue;
        fused_print(&fused[i]);
        if (!(fused[i].max_err <= (fused[i].nargs == 4 ? FUSED_C_MAX : FUSED_H_MAX))) {
            printf("FAIL %s: above the bound %.1e\n", fused[i].name, fused[i].nargs == 4 ? FUSED_C_MAX : FUSED_H_MAX);
            bad = 1;
        }
    }
    bad |= check_specials();
    bad |= check_fused();
    return bad;
}
