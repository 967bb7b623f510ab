/*
 * lstmc_fixed.h - the integer arithmetic of `arithmetic int16` (grammar/
 * SPEC.md, "Integer-only arithmetic"), for the code lstmc generates: int8
 * weights, int16 tensors, exact int32/int64 sums, the rounding shift and
 * the table activations, bit for bit what the interpreter's integer mode
 * (compiler/interp_int.c, on compiler/fixed.c) computes. No floating point
 * at all: it runs on cores without an FPU. C99 and C++; no right shift of
 * a negative number and no left shift of one (C leaves the first to the
 * implementation and makes the second undefined).
 *
 * Copied in pieces (markers as in lstmc_act.h), names given the model's
 * prefix.
 */
#ifndef LSTMC_FIXED_H
#define LSTMC_FIXED_H

/* ---- piece <stdint.h> ---- */
#include <stdint.h>

/* ---- piece rt_rshr (needs <stdint.h>) ---- */
/* v / 2^n rounded to nearest, ties toward +infinity, for n >= 1; v * 2^-n
 * for n <= 0. For t < 0, floor(t / 2^n) = -1 - floor(~t / 2^n). */
static inline int64_t rt_rshr(int64_t v, int n)
{
    int64_t t;
    if (n <= 0)
        return v * ((int64_t)1 << -n);
    t = v + ((int64_t)1 << (n - 1));
    return t >= 0 ? t >> n : ~(~t >> n);
}

/* ---- piece rt_sat16 (needs <stdint.h>) ---- */
/* v clamped to [-32768, 32767] */
static inline int32_t rt_sat16(int64_t v)
{
    return v > 32767 ? 32767 : v < -32768 ? -32768 : (int32_t)v;
}

/* ---- piece rt_clamp (needs <stdint.h>) ---- */
/* v clamped to [-limit, limit] */
static inline int64_t rt_clamp(int64_t v, int64_t limit)
{
    return v > limit ? limit : v < -limit ? -limit : v;
}

/* ---- piece rt_table (needs rt_rshr rt_sat16) ---- */
/* A 513-entry activation table at z in Q3.12 (clamped to int16), linearly
 * interpolated between entries 1/32 apart. */
static inline int32_t rt_table(const int16_t *t, int64_t z)
{
    int32_t u = rt_sat16(z) + 32768;
    int32_t k = u >> 7, r = u & 127;
    return t[k] + (int32_t)rt_rshr((int64_t)(t[k + 1] - t[k]) * r, 7);
}

/* ---- piece rt_dot (needs <stdint.h>) ---- */
/* sum_k w[k] v[k], exact: int32 over runs of 512 terms (each below
 * 512 * 127 * 32768 < 2^31), int64 across them. */
static inline int64_t rt_dot(const int8_t *w, const int16_t *v, int n)
{
    int64_t s = 0;
    int k = 0;
    while (k < n) {
        int end = n - k > 512 ? k + 512 : n;
        int32_t part = 0;
        for (; k < end; k++)
            part += (int32_t)w[k] * v[k];
        s += part;
    }
    return s;
}

/* ---- piece rt_pre (needs rt_dot rt_rshr) ---- */
/* A row's requantized sum: w . x (nx columns, shifted up by ux) + w . h
 * (nh columns, by uh), times mult, rshr by shift, plus bias. */
static inline int64_t rt_pre(const int8_t *w, const int16_t *x, int nx, int ux, const int16_t *h, int nh,
                             int uh, int32_t mult, int shift, int32_t bias)
{
    int64_t acc = rt_dot(w, x, nx) * ((int64_t)1 << ux) + rt_dot(w + nx, h, nh) * ((int64_t)1 << uh);
    return rt_rshr(acc * mult, shift) + bias;
}

/* ---- end of pieces ---- */

#endif
