/*
 * act_flags.c - the activations of runtime/lstmc_act.h (fast and exact) compiled with
 * any flags (-Ofast, -ffast-math, ...) against double precision: the
 * functions are compiled in one object with the flags under test, as loops
 * over arrays (vectorized where the flags allow, as in generated code), and
 * measured by a second one built with plain flags, so that the measuring is
 * never itself "optimized". Not part of `make check` (tests/run_diff.sh and
 * tests/run_build.sh check whole models built with -Ofast); the numbers in
 * runtime/README.md come from here.
 *
 *   cc FLAGS -DACT_FLAGS_FUNCS -Iruntime -c tests/act_flags.c -o /tmp/f.o &&
 *   cc -O2 tests/act_flags.c /tmp/f.o -lm -o /tmp/act_flags && /tmp/act_flags 97
 *
 * prints, for every 97th float (STRIDE, default 97) in increasing order:
 * the largest absolute error, the largest relative error (outputs of at
 * least FLT_MIN, 1.7e-38 for the fast sigmoid), the largest error in ulps
 * of the reference (the same outputs), the steps down, and the values
 * at +-inf, NaN, 0 and 1e30.
 */
#ifdef ACT_FLAGS_FUNCS

#include "lstmc_act.h"

void act_tanh(const float *x, float *y, int n);
void act_sigmoid(const float *x, float *y, int n);
void act_tanh_exact(const float *x, float *y, int n);
void act_sigmoid_exact(const float *x, float *y, int n);
void act_elu_exact(const float *x, float *y, int n);

void act_tanh(const float *x, float *y, int n)
{
    for (int i = 0; i < n; i++)
        y[i] = rt_tanhf_fast(x[i]);
}

void act_sigmoid(const float *x, float *y, int n)
{
    for (int i = 0; i < n; i++)
        y[i] = rt_sigmoidf_fast(x[i]);
}

void act_tanh_exact(const float *x, float *y, int n)
{
    for (int i = 0; i < n; i++)
        y[i] = rt_tanhf(x[i]);
}

void act_sigmoid_exact(const float *x, float *y, int n)
{
    for (int i = 0; i < n; i++)
        y[i] = rt_sigmoidf(x[i]);
}

void act_elu_exact(const float *x, float *y, int n)
{
    for (int i = 0; i < n; i++)
        y[i] = rt_eluf(x[i], 1.0f);
}

#else

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void act_tanh(const float *x, float *y, int n);
void act_sigmoid(const float *x, float *y, int n);
void act_tanh_exact(const float *x, float *y, int n);
void act_sigmoid_exact(const float *x, float *y, int n);
void act_elu_exact(const float *x, float *y, int n);

#include "act_ref.h"

enum { N = 4096 };

typedef struct Stat {
    double abs, x_abs, rel, x_rel, ulp, x_ulp, prev;
    long drops;
    int started;
} Stat;

static void check(Stat *s, const float *x, const float *y, int n, double (*ref)(double), double floor)
{
    for (int i = 0; i < n; i++) {
        double r = ref(x[i]), e = fabs((double)y[i] - r);
        if (!(e <= s->abs)) {
            s->abs = e;
            s->x_abs = x[i];
        }
        if (fabs(r) >= floor && e / fabs(r) > s->rel) {
            s->rel = e / fabs(r);
            s->x_rel = x[i];
        }
        if (fabs(r) >= floor && e / ulp_of(r) > s->ulp) {
            s->ulp = e / ulp_of(r);
            s->x_ulp = x[i];
        }
        if (s->started && (double)y[i] < s->prev)
            s->drops++;
        s->prev = y[i];
        s->started = 1;
    }
}

static void run(const char *name, void (*f)(const float *, float *, int), double (*ref)(double), double floor,
                uint32_t stride)
{
    static float x[N], y[N];
    Stat s = {0};
    int k = 0;
    /* -FLT_MAX up to -0, then 0 up to FLT_MAX */
    for (uint64_t b = 0xff7fffffu; b >= 0x80000000u; b -= stride) {
        uint32_t u = (uint32_t)b;
        memcpy(&x[k++], &u, sizeof u);
        if (k == N) {
            f(x, y, k);
            check(&s, x, y, k, ref, floor);
            k = 0;
        }
    }
    for (uint64_t b = 0; b <= 0x7f7fffffu; b += stride) {
        uint32_t u = (uint32_t)b;
        memcpy(&x[k++], &u, sizeof u);
        if (k == N) {
            f(x, y, k);
            check(&s, x, y, k, ref, floor);
            k = 0;
        }
    }
    f(x, y, k);
    check(&s, x, y, k, ref, floor);
    float sx[5] = {INFINITY, -INFINITY, NAN, 0.0f, 1e30f}, sy[5];
    f(sx, sy, 5);
    printf("%-17s abs %.3e at x=%-14.9g rel %.3e at x=%-14.9g ulp %.2f at x=%-14.9g steps down %ld;"
           " inf %g, -inf %g, nan %g, 0 %g, 1e30 %g\n",
           name, s.abs, s.x_abs, s.rel, s.x_rel, s.ulp, s.x_ulp, s.drops, (double)sy[0], (double)sy[1],
           (double)sy[2], (double)sy[3], (double)sy[4]);
}

int main(int argc, char **argv)
{
    uint32_t stride = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 10) : 97u;
    if (stride == 0)
        stride = 1;
    run("rt_tanhf_fast", act_tanh, ref_tanh, 0x1p-126, stride);
    run("rt_sigmoidf_fast", act_sigmoid, ref_sigmoid, 1.7e-38, stride);
    run("rt_tanhf", act_tanh_exact, ref_tanh, 0x1p-126, stride);
    run("rt_sigmoidf", act_sigmoid_exact, ref_sigmoid, 0x1p-126, stride);
    run("rt_eluf", act_elu_exact, ref_elu1, 0x1p-126, stride);
    return 0;
}

#endif
