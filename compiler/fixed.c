/*
 * fixed.c - the definitions of integer-only arithmetic (fixed.h). The
 * tables are computed here once, in double, and rounded: the integer
 * interpreter and any generated code read the same entries.
 */
#include "fixed.h"

#include <math.h>
#include <string.h>

const char *const fixed_arith_names[ARITH_COUNT] = {"float", "int16"};

int fixed_arith_of(const char *s)
{
    for (int k = 0; k < ARITH_COUNT; k++)
        if (strcmp(s, fixed_arith_names[k]) == 0)
            return k;
    return -1;
}

int64_t fixed_rshr(int64_t v, int n)
{
    if (n <= 0)
        return v * ((int64_t)1 << -n);
    /* floor(t / 2^n) without shifting a negative number (whose right
     * shift C leaves to the implementation): for t < 0 it is
     * -1 - floor((-1 - t) / 2^n), and -1 - t = ~t >= 0 */
    int64_t t = v + ((int64_t)1 << (n - 1));
    return t >= 0 ? t >> n : ~(~t >> n);
}

int32_t fixed_sat16(int64_t v)
{
    return v > 32767 ? 32767 : v < -32768 ? -32768 : (int32_t)v;
}

int64_t fixed_clamp(int64_t v, int64_t limit)
{
    return v > limit ? limit : v < -limit ? -limit : v;
}

int64_t fixed_wide_from_double(double v, int frac)
{
    double s = ldexp(v, frac);
    double limit = 2147483647.0;
    if (!(s < limit))
        return (int64_t)limit;
    if (!(s > -limit))
        return -(int64_t)limit;
    return (int64_t)lround(s);
}

int32_t fixed_from_double(double v, int frac)
{
    return fixed_sat16(fixed_wide_from_double(v, frac));
}

int fixed_frac_of(double maxabs)
{
    int b = 0;
    while (b < 15 && maxabs > ldexp(1.0, b))
        b++;
    return 15 - b;
}

int fixed_multiplier(double m, int32_t *mult, int *shift)
{
    *mult = 0;
    *shift = 0;
    if (!(m >= ldexp(1.0, -48)))
        return 0;
    if (m >= ldexp(1.0, 15))
        return -1;
    int e;
    frexp(m, &e);               /* m = f 2^e, f in [0.5, 1) */
    int s = 15 - e;             /* m 2^s in [2^14, 2^15) */
    long q = lround(ldexp(m, s));
    if (q == 32768) {           /* rounded up to the next power of two */
        q = 16384;
        s--;
    }
    if (s < 0)
        return -1;
    *mult = (int32_t)q;
    *shift = s;
    return 0;
}

/* The activation at x in double, and the largest magnitude it reaches. */
static double table_value(Activation act, double x)
{
    switch (act.kind) {
    case ACT_SIGMOID:        return 1.0 / (1.0 + exp(-x));
    case ACT_TANH:           return tanh(x);
    case ACT_SCALED_SIGMOID: return act.a + (act.b - act.a) / (1.0 + exp(-x));
    case ACT_SCALED_TANH:    return act.a * tanh(act.b * x);
    default:                 return 0;
    }
}

static double table_bound(Activation act)
{
    if (act.kind == ACT_SCALED_SIGMOID)
        return fmax(fabs(act.a), fabs(act.b));
    if (act.kind == ACT_SCALED_TANH)
        return fabs(act.a);
    return 1.0;
}

int fixed_table(Activation act, FixedTable *t)
{
    if (act.kind != ACT_SIGMOID && act.kind != ACT_TANH && act.kind != ACT_SCALED_SIGMOID &&
        act.kind != ACT_SCALED_TANH)
        return -1;
    t->kind = act.kind;
    t->frac = fixed_frac_of(table_bound(act));
    for (int k = 0; k < FIXED_TABLE_SIZE; k++)
        t->v[k] = (int16_t)fixed_from_double(table_value(act, -8.0 + k / 32.0), t->frac);
    return 0;
}

int32_t fixed_table_at(const FixedTable *t, int64_t z)
{
    int32_t u = fixed_sat16(z) + 32768;
    int k = u >> FIXED_TABLE_STEP, r = u & ((1 << FIXED_TABLE_STEP) - 1);
    int64_t d = (int64_t)t->v[k + 1] - t->v[k];
    return t->v[k] + (int32_t)fixed_rshr(d * r, FIXED_TABLE_STEP);
}
