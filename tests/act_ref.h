/*
 * act_ref.h - the double-precision references of the activations, shared by
 * tests/act_error.c (every float, in make check) and tests/act_flags.c (any
 * compiler flags). tanh(x) and sigmoid(x) are their Taylor series below
 * 2^-12 (error < 2^-80 relative) and their limits far out (error < 1e-17):
 * as exact as the libm call and much cheaper.
 */
#ifndef ACT_REF_H
#define ACT_REF_H

#include <math.h>
#include <stdint.h>
#include <string.h>


static inline double ref_tanh(double x)
{
    double ax = fabs(x);
    if (ax < 0x1p-12)
        return x - x * x * x / 3.0;
    if (ax >= 20.0)
        return x > 0 ? 1.0 : -1.0;
    return tanh(x);
}

static inline double ref_sigmoid(double x)
{
    if (fabs(x) < 0x1p-12)
        return 0.5 + x / 4.0 - x * x * x / 48.0;
    if (x >= 40.0)
        return 1.0;
    if (x <= -746.0)
        return 0.0;
    return 1.0 / (1.0 + exp(-x));
}

static inline double ref_softplus(double x)
{
    if (fabs(x) < 0x1p-12)
        return 0.69314718055994531 + x / 2.0 + x * x / 8.0;
    if (x >= 40.0)
        return x;
    if (x <= -746.0)
        return 0.0;
    return log1p(exp(x));
}

static inline double ref_elu1(double x)
{
    if (x >= 0)
        return x;
    if (x > -0x1p-12)
        return x + x * x / 2.0 + x * x * x / 6.0;
    return x < -40.0 ? -1.0 : expm1(x);
}

static inline double ref_softsign(double x)
{
    return x / (1.0 + fabs(x));
}

/* The spacing of floats at y (denormal spacing below FLT_MIN). */
static inline double ulp_of(double y)
{
    float yf = (float)fabs(y);
    uint32_t bits, e;

    memcpy(&bits, &yf, sizeof bits);
    e = bits >> 23;
    return ldexp(1.0, e == 0 ? -149 : (int)e - 150);
}

#endif
