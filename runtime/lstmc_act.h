/*
 * lstmc_act.h - the activation functions of generated lstmc models.
 *
 * lstmc copies this header's text into every model .c file it writes, so it
 * is header-only, plain C99 (and valid C++), needs only <math.h>, <stdint.h>
 * and <string.h>, and every function is `static inline` with the prefix rt_.
 * All math is in float.
 *
 * It is copied in pieces, each marked by a line
 *   / * ---- piece NAME (needs NAME...) ---- * /
 * before it (without the spaces inside the comment marks): a model's .c
 * gets the pieces its activations and kernels use (lstmc's lowering
 * decides) and every piece those need, in this order, so that no unused
 * function is copied and nothing needs a warning silenced. A piece ends
 * where the next begins; the text before the first piece and after the
 * end-of-pieces line goes with every copy. scripts/embed.sh cuts the
 * header when lstmc is built, and stops the build on a marker it cannot
 * read or a need that names no piece above it.
 *
 * Two kinds of function:
 *   exact  rt_sigmoidf, rt_tanhf, rt_eluf (and the scaled forms) compute
 *          e^x in double and round once: within 0.51 ulps of the truth on
 *          every float, under any compiler flags. rt_softplusf,
 *          rt_softsignf and rt_softmaxf go through libm (log1pf, expf):
 *          within 3 ulps (measured at most 1.54, glibc).
 *   fast   rt_tanhf_fast, rt_sigmoidf_fast and their scaled forms, in
 *          float: within 1.5e-7 absolute.
 * Neither kind calls libm for sigmoid and tanh or has branches, so
 * compilers vectorize loops of them (gcc -O3, clang -O2). Never
 * decreasing, bounded (tanh in [-1, 1], sigmoid in [0, 1]), +-inf give the
 * limits exactly, NaN gives NaN. Right under any compiler flags, -Ofast
 * and -ffast-math too (the fast ones within 2.4e-7 absolute there, the
 * exact ones unchanged: runtime/README.md).
 *
 * Maximum error against double precision, measured over every finite float
 * by tests/act_error.c (table and command in runtime/README.md):
 *   rt_sigmoidf, rt_tanhf, rt_eluf (a = 1)   0.51 ulps
 *   rt_tanhf_fast      1.5e-7 absolute (measured 1.489e-7 at x = -4.505),
 *                      1.8e-7 relative (2.5 ulps)
 *   rt_sigmoidf_fast   9.0e-8 absolute (measured 8.931e-8 at x = 7.859),
 *                      1.5e-7 relative for x >= -87 (measured 1.479e-7);
 *                      0 below -87, where sigmoid < 1.7e-38
 *   rt_scaled_*_fast   the above times |b - a| (sigmoid) or |a| (tanh),
 *                      plus the rounding of the scaling
 *   rt_lstm_cf_fast    the fused c' = sigmoid(af) c + sigmoid(ai) tanh(ag):
 *                      4e-7 (1 + |c|) (measured 1.97e-7 (1 + |c|))
 *   rt_lstm_hf_fast    the fused h = sigmoid(ao) tanh(c): 4e-7 absolute
 *                      (measured 2.54e-7)
 */
#ifndef LSTMC_ACT_H
#define LSTMC_ACT_H

/* ---- piece <math.h> ---- */
#include <math.h>

/* ---- piece <stdint.h> ---- */
#include <stdint.h>

/* ---- piece <string.h> ---- */
#include <string.h>

/* ---- piece rt_hard_sigmoidf ---- */
/* max(0, min(1, a*x + b)) */
static inline float rt_hard_sigmoidf(float x, float a, float b)
{
    float y = a * x + b;
    return y < 0.0f ? 0.0f : y > 1.0f ? 1.0f : y;
}

/* ---- piece rt_reluf ---- */
static inline float rt_reluf(float x)
{
    return x > 0.0f ? x : 0.0f;
}

/* ---- piece rt_leaky_reluf ---- */
/* x >= 0 ? x : a*x */
static inline float rt_leaky_reluf(float x, float a)
{
    return x >= 0.0f ? x : a * x;
}

/* ---- piece rt_thresholded_reluf ---- */
/* x > a ? x : 0 */
static inline float rt_thresholded_reluf(float x, float a)
{
    return x > a ? x : 0.0f;
}

/* ---- piece rt_softsignf (needs <math.h>) ---- */
/* x / (1 + |x|); beyond 1e30 that is +-1 in float, and the quotient would be
 * inf / inf at +-inf. */
static inline float rt_softsignf(float x)
{
    if (x > 1e30f)
        return 1.0f;
    if (x < -1e30f)
        return -1.0f;
    return x / (1.0f + fabsf(x));
}

/* ---- piece rt_softplusf (needs <math.h>) ---- */
/* log(1 + e^x); above 20, log1p(e^x) rounds to x in float and e^x could
 * overflow, so return x. */
static inline float rt_softplusf(float x)
{
    return x > 20.0f ? x : log1pf(expf(x));
}

/* ---- piece rt_affinef ---- */
/* a*x + b */
static inline float rt_affinef(float x, float a, float b)
{
    return a * x + b;
}

/* ---- piece rt_identityf ---- */
static inline float rt_identityf(float x)
{
    return x;
}

/* ---- piece rt_softmaxf (needs <math.h>) ---- */
/* v[k] = e^v[k] / sum_j e^v[j], in place. Subtracting the maximum first keeps
 * every exponent <= 0, so nothing overflows and the sum is >= 1. */
static inline void rt_softmaxf(float *v, int n)
{
    float max, sum, inv;
    int i;

    if (n <= 0)
        return;
    max = v[0];
    for (i = 1; i < n; i++)
        if (v[i] > max)
            max = v[i];
    sum = 0.0f;
    for (i = 0; i < n; i++) {
        v[i] = expf(v[i] - max);
        sum += v[i];
    }
    inv = 1.0f / sum;
    for (i = 0; i < n; i++)
        v[i] *= inv;
}

/* ---- piece rt_log_softmaxf (needs <math.h>) ---- */
/* v[k] = v[k] - log(sum_j e^v[j]), in place, computed as
 * v[k] - max - log(sum_j e^(v[j] - max)): every exponent <= 0 and the sum
 * >= 1, so nothing overflows and no log of a softmax rounded to 0 is taken
 * (PyTorch's log_softmax does the same). */
static inline void rt_log_softmaxf(float *v, int n)
{
    float max, sum, shift;
    int i;

    if (n <= 0)
        return;
    max = v[0];
    for (i = 1; i < n; i++)
        if (v[i] > max)
            max = v[i];
    sum = 0.0f;
    for (i = 0; i < n; i++)
        sum += expf(v[i] - max);
    shift = max + logf(sum);
    for (i = 0; i < n; i++)
        v[i] -= shift;
}

/* ---- piece rt_mean_rowsf (needs <string.h>) ---- */
/* y[j] = the mean of x[t][j] over rows t < n >= 1 of width floats (output
 * mean): summed in float in the order of the rows, then divided by n, so
 * within n float roundings of the sum of |x| over n. */
static inline void rt_mean_rowsf(const float *x, size_t n, size_t width, float *y)
{
    size_t t, j;

    memcpy(y, x, sizeof(float) * width);
    for (t = 1; t < n; t++)
        for (j = 0; j < width; j++)
            y[j] += x[t * width + j];
    for (j = 0; j < width; j++)
        y[j] /= (float)n;
}

/* ---- piece rt_embed_rowsf (needs <stdint.h> <string.h>) ---- */
/* Row t < n of y (dim floats) = row ids[t] of table [vocab][dim] (an
 * embedding's lookup); an id outside [0, vocab) gives a row of zeros, so
 * a bad id never reads outside the table. */
static inline void rt_embed_rowsf(const float *table, size_t vocab, size_t dim, const int32_t *ids, size_t n,
                                  float *y)
{
    size_t t;

    for (t = 0; t < n; t++) {
        if (ids[t] >= 0 && (size_t)ids[t] < vocab)
            memcpy(y + t * dim, table + (size_t)ids[t] * dim, sizeof(float) * dim);
        else
            memset(y + t * dim, 0, sizeof(float) * dim);
    }
}

/* ---- piece rt_max_rowsf (needs <string.h>) ---- */
/* y[j] = the largest x[t][j] over rows t < n >= 1 of width floats (output
 * max). */
static inline void rt_max_rowsf(const float *x, size_t n, size_t width, float *y)
{
    size_t t, j;

    memcpy(y, x, sizeof(float) * width);
    for (t = 1; t < n; t++)
        for (j = 0; j < width; j++)
            if (x[t * width + j] > y[j])
                y[j] = x[t * width + j];
}

/* ---- piece RT_FMA ---- */
/*
 * RT_FMA(a, b, c) is a*b + c, fused (one rounding) where the target has FMA.
 * gcc never fuses a*b + c by itself in ISO C mode (-std=c99 and -std=c11
 * imply -ffp-contract=off), clang does by default; fused, the polynomial
 * chains below are shorter, and that is on the critical path of every step
 * (measured, gcc 12 -O3 -march=native -std=c11 on Zen 4: 139 -> 128 ns per
 * step for I = 16, H = 32). Without FMA hardware it stays a*b + c: fmaf
 * would be a slow library call.
 */
/*
 * An RT_FMA (and RT_FMAD) defined before this header is kept: lstmc's own build defines
 * it to compile these functions to LLVM bitcode, fused and unfused, for its
 * LLVM backend (compiler/llvm/act.c), whatever machine builds lstmc.
 */
#ifndef RT_FMA
#if defined(__GNUC__) && (defined(__FMA__) || defined(__ARM_FEATURE_FMA))
#define RT_FMA(a, b, c) __builtin_fmaf((a), (b), (c))
#else
#define RT_FMA(a, b, c) ((a) * (b) + (c))
#endif
#endif
/* RT_FMAD is the same on doubles (the exact functions' polynomial). */
#ifndef RT_FMAD
#if defined(__GNUC__) && (defined(__FMA__) || defined(__ARM_FEATURE_FMA))
#define RT_FMAD(a, b, c) __builtin_fma((a), (b), (c))
#else
#define RT_FMAD(a, b, c) ((a) * (b) + (c))
#endif
#endif

/* ---- piece RT_LN2 ---- */
/* The constants of e^z's reduction z = n*ln2 + r (the next pieces). */
#define RT_LN2_HI 0.693359375f          /* ln 2 = RT_LN2_HI + RT_LN2_LO, with */
#define RT_LN2_LO -2.12194440e-4f       /* n * RT_LN2_HI exact for |n| < 2^15 */
#define RT_LN2_D 0.6931471805599453094  /* ln 2 in double */
#define RT_LOG2E 1.44269504088896341f
#define RT_ROUND_MAGIC 12582912.0f      /* 1.5 * 2^23, bits 0x4b400000: adding */
#define RT_ROUND_MAGIC_BITS 0x4b400000  /* it rounds to an integer, kept in the low bits */

/* ---- piece rt_expm1_parts_ (needs <stdint.h> <string.h> RT_FMA RT_LN2) ---- */
/*
 * Both fast functions are built on e^z for z <= 0, computed the way libm
 * does it but without calls or branches: z = n*ln2 + r with n an integer and
 * |r| <= ln2/2, e^r - 1 = r + r^2*P(r) with the degree-5 minimax P of Cephes'
 * expf, and 2^n put together from its bits. Keeping e^r - 1 apart from the 1
 * gives e^z - 1 without cancellation near 0, which tanh needs. Selects
 * (a ? b : c) stand in for branches; compilers turn them into blends.
 */

/*
 * Sets *s = 2^n and returns e^r - 1, where z = n*ln2 + r. Needs
 * -87 <= z <= 87 so that 2^n is a normal float.
 *
 * n = round(z/ln2) is read from the bits of k = z/ln2 + 1.5 * 2^23, where
 * the one rounding of the sum leaves the integer n in the low bits (bits of
 * k = RT_ROUND_MAGIC_BITS + n), and is converted back to a float from
 * those bits. The textbook n = k - 1.5 * 2^23 is x + c - c in the
 * compiler's eyes, and -fassociative-math (-ffast-math, -Ofast) folds it
 * to x: n was then z/ln2 unrounded and sigmoid(-0.3) came out 0.5. A sum
 * of two terms whose result is used only through its bits is the same
 * under any flags.
 */
static inline float rt_expm1_parts_(float z, float *s)
{
    float k = z * RT_LOG2E + RT_ROUND_MAGIC;
    uint32_t bits;
    float n, r, p;

    memcpy(&bits, &k, sizeof bits);
    n = (float)((int32_t)bits - RT_ROUND_MAGIC_BITS);  /* round(z/ln2) */
    r = z - n * RT_LN2_HI - n * RT_LN2_LO;
    bits = (bits + 127u) << 23;                 /* (n + 127) << 23 is 2^n */
    memcpy(s, &bits, sizeof bits);
    p = 1.9875691500e-4f;
    p = RT_FMA(p, r, 1.3981999507e-3f);
    p = RT_FMA(p, r, 8.3334519073e-3f);
    p = RT_FMA(p, r, 4.1665795894e-2f);
    p = RT_FMA(p, r, 1.6666665459e-1f);
    p = RT_FMA(p, r, 5.0000001201e-1f);
    return RT_FMA(r * r, p, r);
}

/* ---- piece rt_bits_ (needs <stdint.h> <string.h>) ---- */
/* Float <-> bits, for the selects below. */
static inline uint32_t rt_bits_(float x)
{
    uint32_t b;
    memcpy(&b, &x, sizeof b);
    return b;
}

static inline float rt_from_bits_(uint32_t b)
{
    float x;
    memcpy(&x, &b, sizeof x);
    return x;
}

/* All ones if c, else 0. */
static inline uint32_t rt_mask_(int c)
{
    return 0u - (uint32_t)c;
}

#define RT_BITS_1 0x3f800000u           /* 1.0f */
#define RT_BITS_9 0x41100000u           /* 9.0f */
#define RT_BITS_87 0x42ae0000u          /* 87.0f */
#define RT_BITS_16 0x41800000u          /* 16.0f */
#define RT_BITS_120 0x42f00000u         /* 120.0f */
#define RT_BITS_M120 0xc2f00000u        /* -120.0f */
#define RT_BITS_INF 0x7f800000u         /* bits of |x| above this: a NaN */
#define RT_BITS_QNAN 0x7fc00000u        /* OR-ing this in makes a NaN */

/* ---- piece rt_exp_parts_d_ (needs <stdint.h> <string.h> RT_FMA RT_LN2) ---- */
/*
 * The exact functions are built on e^z in double, for a float z with
 * |z| <= 240, without calls or branches: z = n*ln2 + r as in
 * rt_expm1_parts_ (n read from the bits of a float sum, so any compiler
 * flags leave it right), r in double, e^r - 1 = r + r^2*P(r) with P the
 * Taylor polynomial through r^8/8! (relative error below 6e-10 = 2^-30.7
 * for |r| <= ln2/2), and 2^n a double put together from its bits. A float
 * result rounded once from this is within 0.5 + 2^-5 ulps of the truth.
 * Doubles rather than compensated float arithmetic because -ffast-math
 * may regroup sums and so undo a compensation; in double a regrouping
 * costs 1e-16, far below a float's ulp.
 * Sets *s = 2^n and returns e^r - 1.
 */
static inline double rt_exp_parts_d_(float z, double *s)
{
    float k = z * RT_LOG2E + RT_ROUND_MAGIC;
    uint32_t bits;
    uint64_t sbits;
    int32_t n;
    double r, p;

    memcpy(&bits, &k, sizeof bits);
    n = (int32_t)bits - RT_ROUND_MAGIC_BITS;   /* round(z/ln2), |n| <= 347 */
    r = RT_FMAD(-(double)n, RT_LN2_D, (double)z);
    sbits = (uint64_t)(uint32_t)(n + 1023) << 52;   /* 2^n */
    memcpy(s, &sbits, sizeof sbits);
    p = 1.0 / 40320.0;
    p = RT_FMAD(p, r, 1.0 / 5040.0);
    p = RT_FMAD(p, r, 1.0 / 720.0);
    p = RT_FMAD(p, r, 1.0 / 120.0);
    p = RT_FMAD(p, r, 1.0 / 24.0);
    p = RT_FMAD(p, r, 1.0 / 6.0);
    p = RT_FMAD(p, r, 0.5);
    return RT_FMAD(r * r, p, r);
}

/* ---- piece rt_expm1_d_ (needs rt_exp_parts_d_) ---- */
/*
 * e^z - 1 in double for a float z with |z| <= 240: 2^n*(e^r - 1) + (2^n - 1),
 * and e^r - 1 itself where n = 0 (|z| < ln2/2). The select matters under
 * -ffast-math: regrouped as (2^n*(e^r - 1) + 2^n) - 1, the sum would lose
 * a small e^z - 1 (tanh and elu near 0) to cancellation. It is done on the
 * bits, so that -ffinite-math-only assumes nothing and gcc keeps the loop
 * one path.
 */
static inline double rt_expm1_d_(float z)
{
    double s, q = rt_exp_parts_d_(z, &s), m = RT_FMAD(s, q, s - 1.0);
    uint64_t mb, qb, keep_q = 0u - (uint64_t)(s == 1.0);

    memcpy(&mb, &m, sizeof mb);
    memcpy(&qb, &q, sizeof qb);
    mb = (mb & ~keep_q) | (qb & keep_q);
    memcpy(&m, &mb, sizeof m);
    return m;
}

/* ---- piece rt_sigmoidf (needs rt_exp_parts_d_ rt_bits_) ---- */
/*
 * sigmoid(x) = 1 / (1 + e^-x) in double, rounded once to float: within
 * 0.51 ulps of the truth on every float (runtime/README.md). |x| is clamped
 * to 120 on the bits: beyond 17.4 the result is 1 in float, below -104 it
 * is 0 (e^120 is a double far from overflow). NaN gives NaN. No libm call
 * and no branch, so loops of it vectorize (gcc -O3, clang -O2) and lstmc's
 * LLVM backend builds it on vectors, as the fast functions.
 */
static inline float rt_sigmoidf(float x)
{
    uint32_t bits = rt_bits_(x);
    uint32_t sign = bits & 0x80000000u;
    uint32_t abits = bits ^ sign;
    uint32_t nan = rt_mask_(abits > RT_BITS_INF) & RT_BITS_QNAN;
    double s, q;
    float y;

    abits = abits < RT_BITS_120 ? abits : RT_BITS_120;
    q = rt_exp_parts_d_(rt_from_bits_(abits | (sign ^ 0x80000000u)), &s);
    y = (float)(1.0 / (1.0 + RT_FMAD(s, q, s)));
    return rt_from_bits_(rt_bits_(y) | nan);
}

/* ---- piece rt_tanhf (needs rt_expm1_d_ rt_bits_) ---- */
/*
 * tanh(x) = -m / (2 + m), m = e^(-2|x|) - 1, in double, rounded once to
 * float, then the sign of x: within 0.51 ulps of the truth on every float.
 * |x| is clamped to 16 (tanh is 1 in float above 9.01). NaN gives NaN.
 */
static inline float rt_tanhf(float x)
{
    uint32_t bits = rt_bits_(x);
    uint32_t sign = bits & 0x80000000u;
    uint32_t abits = bits ^ sign;
    uint32_t nan = rt_mask_(abits > RT_BITS_INF) & RT_BITS_QNAN;
    double m;
    float y;

    abits = abits < RT_BITS_16 ? abits : RT_BITS_16;
    m = rt_expm1_d_(-2.0f * rt_from_bits_(abits));
    y = (float)(-m / (2.0 + m));   /* >= 0, but -0 at x = 0: clear the sign */
    return rt_from_bits_(((rt_bits_(y) & 0x7fffffffu) ^ sign) | nan);
}

/* ---- piece rt_scaled_sigmoidf (needs rt_sigmoidf) ---- */
/* a + (b - a) * sigmoid(x): a sigmoid from a to b */
static inline float rt_scaled_sigmoidf(float x, float a, float b)
{
    return a + (b - a) * rt_sigmoidf(x);
}

/* ---- piece rt_scaled_tanhf (needs rt_tanhf) ---- */
/* a * tanh(b*x) */
static inline float rt_scaled_tanhf(float x, float a, float b)
{
    return a * rt_tanhf(b * x);
}

/* ---- piece rt_eluf (needs rt_expm1_d_ rt_bits_) ---- */
/*
 * x >= 0 ? x : a*(e^x - 1), e^x - 1 in double at x clamped below to -120
 * (e^-120 - 1 is -1 in float), times a, rounded once: within 0.51 ulps for
 * a = 1, and as close for any a (the double product is exact to 2^-52).
 * The choice is made on the sign bit, the clamp on the bits, so that loops
 * of it vectorize and -ffinite-math-only assumes nothing; a NaN stays NaN.
 */
static inline float rt_eluf(float x, float a)
{
    uint32_t bits = rt_bits_(x);
    uint32_t neg = rt_mask_(bits > 0x80000000u);      /* x < 0 (or a NaN) */
    uint32_t nan = rt_mask_((bits & 0x7fffffffu) > RT_BITS_INF) & RT_BITS_QNAN;
    uint32_t cbits = neg & (bits > RT_BITS_M120 ? RT_BITS_M120 : bits);
    float e = (float)((double)a * rt_expm1_d_(rt_from_bits_(cbits)));   /* one rounding */

    return rt_from_bits_((bits & ~neg) | ((rt_bits_(e) | nan) & neg));
}

/* ---- piece rt_tanhf_fast (needs rt_expm1_parts_ rt_bits_) ---- */
/*
 * tanh(x) = -m / (2 + m) with m = e^(-2|x|) - 1 = 2^n*(e^r - 1) + (2^n - 1),
 * then the sign of x. |x| is clamped to 9, where tanh is 1 in float; so +-inf
 * give +-1, and the result lies in [-1, 1] since -1 < m <= 0. NaN gives NaN.
 *
 * The clamp, the sign and the NaN are done on the bits, where gcc sees a
 * MIN_EXPR and masks: with a float select (a ? b : c) it splits the loop
 * body into paths and no longer vectorizes it. For floats >= 0 the order of
 * the bits is the order of the values.
 */
static inline float rt_tanhf_fast(float x)
{
    uint32_t bits = rt_bits_(x);
    uint32_t sign = bits & 0x80000000u;
    uint32_t abits = bits ^ sign;
    uint32_t nan = rt_mask_(abits > RT_BITS_INF) & RT_BITS_QNAN;
    float s, q, m, y;

    abits = abits < RT_BITS_9 ? abits : RT_BITS_9;
    q = rt_expm1_parts_(-2.0f * rt_from_bits_(abits), &s);
    m = RT_FMA(s, q, s - 1.0f);
    y = -m / (2.0f + m);
    return rt_from_bits_((rt_bits_(y) ^ sign) | nan);
}

/* ---- piece rt_sigmoidf_fast (needs rt_expm1_parts_ rt_bits_) ---- */
/*
 * sigmoid(x) = 1 / (1 + e^-x), with e^-x = 2^n*(1 + (e^r - 1)) computed at
 * -x clamped to [-87, 87], where it is a normal float; below x = -87 the
 * result is set to 0. So sigmoid lies in [0, 1], +inf gives 1, -inf gives 0,
 * NaN gives NaN. For x < 0 this is as accurate relatively as e^-x; unlike
 * e^x / (1 + e^x) it never steps down, since each operation rounds
 * monotonically. The clamp and the cutoff are done on the bits, as in
 * rt_tanhf_fast; for floats <= 0 a larger bit pattern is a smaller value.
 */
static inline float rt_sigmoidf_fast(float x)
{
    uint32_t bits = rt_bits_(x);
    uint32_t abits = bits & 0x7fffffffu;
    uint32_t sign = bits & 0x80000000u;
    uint32_t nan = rt_mask_(abits > RT_BITS_INF) & RT_BITS_QNAN;
    uint32_t cbits = abits < RT_BITS_87 ? abits : RT_BITS_87;
    /* the mask of one condition, not the AND of two masks: clang (and so
     * lstmc's LLVM backend, which compiles this header) keeps it a compare
     * result and selects y by it, where two masks became a vector register
     * held across the polynomial (AVX-512, I = 16, H = 32, LLVM object: 254
     * -> 218 ns per step; gcc's code as fast as before) */
    uint32_t keep = rt_mask_(!(abits > RT_BITS_87 && sign != 0));
    float s, q, y;

    /* e^-x at -x = -clamp(x): flip the sign of the clamped |x| */
    q = rt_expm1_parts_(rt_from_bits_(cbits | (sign ^ 0x80000000u)), &s);
    y = 1.0f / (1.0f + RT_FMA(s, q, s));
    return rt_from_bits_((rt_bits_(y) & keep) | nan);
}

/* ---- piece rt_scaled_sigmoidf_fast (needs rt_sigmoidf_fast) ---- */
/* a + (b - a) * sigmoid(x) */
static inline float rt_scaled_sigmoidf_fast(float x, float a, float b)
{
    return a + (b - a) * rt_sigmoidf_fast(x);
}

/* ---- piece rt_scaled_tanhf_fast (needs rt_tanhf_fast) ---- */
/* a * tanh(b*x) */
static inline float rt_scaled_tanhf_fast(float x, float a, float b)
{
    return a * rt_tanhf_fast(b * x);
}

/* ---- piece rt_lstm_frac_ (needs rt_expm1_parts_ rt_bits_) ---- */
/*
 * The fast sigmoid and tanh as fractions, for the fused cell updates below,
 * which divide once where separate functions divide for every gate (a
 * vector division is slow: about 10 cycles apart on AVX-512):
 *   sigmoid(x) = 1 / rt_sigmoid_den_(x)      the denominator of
 *                                           rt_sigmoidf_fast, bit for bit
 *   tanh(x) = rt_tanh_frac_(x, &d) / d       the numerator and denominator
 *                                           of rt_tanhf_fast, signed
 * with their clamps: -x to [-87, 87] (so 1 <= den <= 1 + e^87 = 6.1e37)
 * and |x| to 9 (1 <= d <= 2). So a product of one of each is below 1.3e38:
 * no overflow. A NaN is clamped like any float; the callers put it back.
 */
static inline float rt_sigmoid_den_(float x)
{
    uint32_t bits = rt_bits_(x);
    uint32_t abits = bits & 0x7fffffffu;
    uint32_t cbits = abits < RT_BITS_87 ? abits : RT_BITS_87;
    float s, q;

    /* e^-x at -x = -clamp(x): flip the sign of the clamped |x| */
    q = rt_expm1_parts_(rt_from_bits_(cbits | ((bits & 0x80000000u) ^ 0x80000000u)), &s);
    return 1.0f + RT_FMA(s, q, s);
}

static inline float rt_tanh_frac_(float x, float *d)
{
    uint32_t bits = rt_bits_(x);
    uint32_t sign = bits & 0x80000000u;
    uint32_t abits = bits ^ sign;
    float s, q, m;

    abits = abits < RT_BITS_9 ? abits : RT_BITS_9;
    q = rt_expm1_parts_(-2.0f * rt_from_bits_(abits), &s);
    m = RT_FMA(s, q, s - 1.0f);   /* e^(-2|x|) - 1, in (-1, 0] */
    *d = 2.0f + m;
    return rt_from_bits_(rt_bits_(-m) ^ sign);
}

/* The bits of a quiet NaN where a, the largest |bits| of some floats, is
 * a NaN's, else 0: OR-ed into a result, it puts back a NaN the clamps took. */
static inline uint32_t rt_nan_of_(uint32_t a)
{
    return rt_mask_(a > RT_BITS_INF) & RT_BITS_QNAN;
}

static inline uint32_t rt_abits_(float x)
{
    return rt_bits_(x) & 0x7fffffffu;
}

/* ---- piece rt_lstm_cf_fast (needs rt_lstm_frac_) ---- */
/*
 * An LSTM cell's new c = sigmoid(af) c + sigmoid(ai) tanh(ag), from the
 * gates' pre-activations, with rt_sigmoidf_fast's and rt_tanhf_fast's
 * algebra in two divisions where they take three: c / den_f +
 * num_g / (den_i d_g). Each term rounds no more often than f*c and i*g
 * of the separate functions. Within 4e-7 (1 + |c|) of the truth
 * (measured: runtime/README.md); NaN in any argument gives NaN.
 */
static inline float rt_lstm_cf_fast(float c, float ai, float af, float ag)
{
    uint32_t ai_bits = rt_abits_(ai), af_bits = rt_abits_(af), ag_bits = rt_abits_(ag);
    uint32_t amax = ai_bits > af_bits ? ai_bits : af_bits;
    float dg, ng = rt_tanh_frac_(ag, &dg);
    float y = c / rt_sigmoid_den_(af) + ng / (rt_sigmoid_den_(ai) * dg);

    amax = amax > ag_bits ? amax : ag_bits;
    return rt_from_bits_(rt_bits_(y) | rt_nan_of_(amax));
}

/* ---- piece rt_lstm_hf_fast (needs rt_lstm_frac_) ---- */
/*
 * An LSTM cell's h = sigmoid(ao) tanh(c), in one division where
 * rt_sigmoidf_fast and rt_tanhf_fast take two: num_c / (den_o d_c).
 * Within 4e-7 of the truth (measured: runtime/README.md); NaN in either
 * argument gives NaN.
 */
static inline float rt_lstm_hf_fast(float c, float ao)
{
    uint32_t c_bits = rt_abits_(c), ao_bits = rt_abits_(ao);
    float dc, nc = rt_tanh_frac_(c, &dc);
    float y = nc / (rt_sigmoid_den_(ao) * dc);

    return rt_from_bits_(rt_bits_(y) | rt_nan_of_(c_bits > ao_bits ? c_bits : ao_bits));
}

/* ---- piece RT_VKEEP ---- */
/*
 * RT_VKEEP(v, load) assigns and keeps v in a register: gcc would otherwise
 * fold the load into each a*b + c that uses v (one load per use), which on
 * Zen 4 makes the batched kernels load-bound (measured: 141 -> 114 us per
 * step, 32 sequences of H = 256). An empty asm with v as its operand is
 * the usual way to say so; other compilers get a plain assignment.
 */
#if defined(__GNUC__) && !defined(__clang__) && (defined(__AVX512F__) || (defined(__AVX2__) && defined(__FMA__)))
#define RT_VKEEP(v, load) do { (v) = (load); __asm__("" : "+v"(v)); } while (0)
#else
#define RT_VKEEP(v, load) ((v) = (load))
#endif

/* ---- piece RT_UNROLL ---- */
/*
 * RT_UNROLL goes before a kernel's loops over its accumulators (a few,
 * fixed): unrolled, the accumulator arrays become registers. gcc -O2 does
 * not unroll them by itself (measured: the scalar and SSE2 paths ran 3x
 * slower than unrolled).
 */
#if defined(__clang__)
#define RT_UNROLL _Pragma("unroll")
#elif defined(__GNUC__) && (__GNUC__ >= 8)
#define RT_UNROLL _Pragma("GCC unroll 16")
#else
#define RT_UNROLL
#endif

/* ---- piece RT_NO_UNROLL ---- */
/*
 * RT_NO_UNROLL goes before a kernel's loop over the columns of a weight
 * matrix: clang unrolls such a loop completely when it is short and then
 * hoists the whole matrix into registers out of the loop around it, which
 * spills (measured: 156 -> 124 ns per step, I = 16, H = 32, clang 14).
 */
#if defined(__clang__)
#define RT_NO_UNROLL _Pragma("clang loop unroll(disable)")
#else
#define RT_NO_UNROLL
#endif

/* ---- piece RT_VL ---- */
/*
 * The vectors of the target: the kernels of generated code (lstmc's tiled
 * matrix-vector and projection loops) are written once over rt_vec (the
 * next piece), a vector of RT_VL floats. RT_ACCS is how many accumulator
 * vectors a kernel may keep in registers (half the register file: the rest
 * hold weights and broadcasts); kernels of plain floats use it too.
 * RT_VISA_ names the vector unit for rt_vec: AVX-512 (1), AVX2 + FMA (2),
 * NEON on AArch64 (3), SSE2 (4), none (0).
 */
#if defined(__AVX512F__)
#define RT_VISA_ 1
#define RT_VL 16
#define RT_ACCS 16
#elif defined(__AVX2__) && defined(__FMA__)
#define RT_VISA_ 2
#define RT_VL 8
#define RT_ACCS 8
#elif defined(__ARM_NEON) && defined(__aarch64__)
#define RT_VISA_ 3
#define RT_VL 4
#define RT_ACCS 16
#elif defined(__SSE2__) || defined(_M_X64)
#define RT_VISA_ 4
#define RT_VL 4
#define RT_ACCS 8
#else
#define RT_VISA_ 0
#define RT_VL 1
#define RT_ACCS 16
#endif

/* ---- piece rt_vec (needs RT_VL) ---- */
/*
 * rt_vec, a vector of RT_VL floats, with four operations: load and store
 * RT_VL floats (any alignment), broadcast one float, and a*b + c (and a
 * sum and a product). Without a known vector unit rt_vec is a float and the kernels
 * become plain loops over fixed-size arrays, which compilers vectorize
 * themselves (gcc -O2 and up, clang -O2).
 */
#if RT_VISA_ == 1
#include <immintrin.h>
typedef __m512 rt_vec;
#define rt_vload(p) _mm512_loadu_ps(p)
#define rt_vstore(p, v) _mm512_storeu_ps((p), (v))
#define rt_vset1(x) _mm512_set1_ps(x)
#define rt_vadd(a, b) _mm512_add_ps((a), (b))
#define rt_vfma(a, b, c) _mm512_fmadd_ps((a), (b), (c))
#define rt_vmul(a, b) _mm512_mul_ps((a), (b))
#elif RT_VISA_ == 2
#include <immintrin.h>
typedef __m256 rt_vec;
#define rt_vload(p) _mm256_loadu_ps(p)
#define rt_vstore(p, v) _mm256_storeu_ps((p), (v))
#define rt_vset1(x) _mm256_set1_ps(x)
#define rt_vadd(a, b) _mm256_add_ps((a), (b))
#define rt_vfma(a, b, c) _mm256_fmadd_ps((a), (b), (c))
#define rt_vmul(a, b) _mm256_mul_ps((a), (b))
#elif RT_VISA_ == 3
#include <arm_neon.h>
typedef float32x4_t rt_vec;
#define rt_vload(p) vld1q_f32(p)
#define rt_vstore(p, v) vst1q_f32((p), (v))
#define rt_vset1(x) vdupq_n_f32(x)
#define rt_vadd(a, b) vaddq_f32((a), (b))
#define rt_vfma(a, b, c) vfmaq_f32((c), (a), (b))
#define rt_vmul(a, b) vmulq_f32((a), (b))
#elif RT_VISA_ == 4
#include <emmintrin.h>
typedef __m128 rt_vec;
#define rt_vload(p) _mm_loadu_ps(p)
#define rt_vstore(p, v) _mm_storeu_ps((p), (v))
#define rt_vset1(x) _mm_set1_ps(x)
#define rt_vadd(a, b) _mm_add_ps((a), (b))
#define rt_vfma(a, b, c) _mm_add_ps(_mm_mul_ps((a), (b)), (c))
#define rt_vmul(a, b) _mm_mul_ps((a), (b))
#else
typedef float rt_vec;
#define rt_vload(p) (*(p))
#define rt_vstore(p, v) (*(p) = (v))
#define rt_vset1(x) (x)
#define rt_vadd(a, b) ((a) + (b))
#define rt_vfma(a, b, c) ((a) * (b) + (c))
#define rt_vmul(a, b) ((a) * (b))
#endif

/* ---- piece RT_MAYBE_UNUSED ---- */
/* Marks a function that only some targets call: the conversions of one
 * float16 or bfloat16 value, which the vector loads below call only where
 * the target has no instruction for them, so that clang's -Wunused-function
 * (in -Wall) says nothing on the others. */
#if defined(__GNUC__)
#define RT_MAYBE_UNUSED __attribute__((unused))
#else
#define RT_MAYBE_UNUSED
#endif

/* ---- piece rt_f16_to_f32 (needs <stdint.h> <string.h> RT_MAYBE_UNUSED) ---- */
/* The float of IEEE-754 binary16 bits h, exactly (every half is a float):
 * weights stored as float16 (lstmc --weights-type f16), where the target
 * has no conversion instruction. */
RT_MAYBE_UNUSED static inline float rt_f16_to_f32(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16, e = (uint32_t)(h >> 10) & 0x1fu, m = h & 0x3ffu, u;
    float f;
    if (e == 0) {          /* zero or subnormal: m * 2^-24 */
        f = (float)m * 5.9604644775390625e-8f;
        memcpy(&u, &f, sizeof u);
        u |= sign;
    } else if (e == 31) {  /* infinity, NaN */
        u = sign | 0x7f800000u | (m << 13);
    } else {
        u = sign | ((e + 112u) << 23) | (m << 13);
    }
    memcpy(&f, &u, sizeof f);
    return f;
}

/* ---- piece rt_bf16_to_f32 (needs <stdint.h> <string.h> RT_MAYBE_UNUSED) ---- */
/* The float of bfloat16 bits b: the high half of its bits. */
RT_MAYBE_UNUSED static inline float rt_bf16_to_f32(uint16_t b)
{
    uint32_t u = (uint32_t)b << 16;
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

/* ---- piece rt_vload_f16 (needs rt_vec rt_f16_to_f32) ---- */
/* RT_VL float16 weights at p (uint16_t bits, any alignment) as an rt_vec:
 * the conversion instructions of AVX-512, F16C and AArch64, else lane by
 * lane. (AVX-512's zero-masked forms with every lane on: the same
 * instructions, but g++ 12 warns of an uninitialized __Y in the plain ones.) */
#if RT_VISA_ == 1
#define rt_vload_f16(p) _mm512_maskz_cvtph_ps(0xffff, _mm256_loadu_si256((const __m256i *)(const void *)(p)))
#elif RT_VISA_ == 2 && defined(__F16C__)
#define rt_vload_f16(p) _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(const void *)(p)))
#elif RT_VISA_ == 2
#define rt_vload_f16(p) _mm256_setr_ps(rt_f16_to_f32((p)[0]), rt_f16_to_f32((p)[1]), rt_f16_to_f32((p)[2]), \
                                       rt_f16_to_f32((p)[3]), rt_f16_to_f32((p)[4]), rt_f16_to_f32((p)[5]), \
                                       rt_f16_to_f32((p)[6]), rt_f16_to_f32((p)[7]))
#elif RT_VISA_ == 3
#define rt_vload_f16(p) vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(p)))
#elif RT_VISA_ == 4
#define rt_vload_f16(p) _mm_setr_ps(rt_f16_to_f32((p)[0]), rt_f16_to_f32((p)[1]), rt_f16_to_f32((p)[2]), \
                                    rt_f16_to_f32((p)[3]))
#else
#define rt_vload_f16(p) rt_f16_to_f32(*(p))
#endif

/* ---- piece rt_vload_bf16 (needs rt_vec rt_bf16_to_f32) ---- */
/* RT_VL bfloat16 weights at p (uint16_t bits) as an rt_vec: each widened
 * to 32 bits and shifted into the high half. */
#if RT_VISA_ == 1
#define rt_vload_bf16(p)                                                                                \
    _mm512_castsi512_ps(_mm512_maskz_slli_epi32(                                                         \
        0xffff, _mm512_maskz_cvtepu16_epi32(0xffff, _mm256_loadu_si256((const __m256i *)(const void *)(p))), 16))
#elif RT_VISA_ == 2
#define rt_vload_bf16(p) \
    _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)(const void *)(p))), 16))
#elif RT_VISA_ == 3
#define rt_vload_bf16(p) vreinterpretq_f32_u32(vshll_n_u16(vld1_u16(p), 16))
#elif RT_VISA_ == 4
#define rt_vload_bf16(p) \
    _mm_castsi128_ps(_mm_unpacklo_epi16(_mm_setzero_si128(), _mm_loadl_epi64((const __m128i *)(const void *)(p))))
#else
#define rt_vload_bf16(p) rt_bf16_to_f32(*(p))
#endif

/* ---- piece rt_vload_bf16_pair (needs rt_vload_bf16) ---- */
/*
 * Two vectors per load, for the kernels over bfloat16 weights whose rows
 * come in pairs of vectors (lstmc's lowering decides: LowCell.pair_bf16).
 * rt_vload_bf16_pair(p, l) is vector l of the 2 RT_VL weights at
 * p + (l / 2) * 2 RT_VL in "pair order": for even l their even rows, for
 * odd l their odd rows. Each 32-bit lane holds an even row's bits in its
 * low half and the next row's in its high half (little-endian), so the
 * even rows are the lanes shifted left by 16 and the odd rows the lanes
 * masked: one operation each, not a widening and a shift per vector
 * (measured on AVX-512, with the a*b + c: 2 vector operations per 16
 * weights instead of 3). rt_vload_pair(p, l) reads floats in the same
 * order, RT_VUNPAIR(e, o) puts a pair of vectors in that order back in
 * row order. Every value is exact: the sums are those of row order.
 */
#if RT_VISA_ == 1
#define rt_vpair_even_(v) _mm512_castsi512_ps(_mm512_maskz_slli_epi32(0xffff, (v), 16))
#define rt_vpair_odd_(v) _mm512_castsi512_ps(_mm512_and_si512((v), _mm512_set1_epi32(-65536)))
#define rt_vload_bf16x2_(p) _mm512_loadu_si512((const void *)(p))
#define rt_vunzip_(a, b, odd)                                                                          \
    _mm512_permutex2var_ps((a), _mm512_setr_epi32(odd, 2 + (odd), 4 + (odd), 6 + (odd), 8 + (odd),  \
                                                  10 + (odd), 12 + (odd), 14 + (odd), 16 + (odd),      \
                                                  18 + (odd), 20 + (odd), 22 + (odd), 24 + (odd),      \
                                                  26 + (odd), 28 + (odd), 30 + (odd)), (b))
#define rt_vzip_(e, o, hi)                                                                             \
    _mm512_permutex2var_ps((e), _mm512_setr_epi32(8 * (hi), 16 + 8 * (hi), 1 + 8 * (hi), 17 + 8 * (hi), \
                                                  2 + 8 * (hi), 18 + 8 * (hi), 3 + 8 * (hi), 19 + 8 * (hi), \
                                                  4 + 8 * (hi), 20 + 8 * (hi), 5 + 8 * (hi), 21 + 8 * (hi), \
                                                  6 + 8 * (hi), 22 + 8 * (hi), 7 + 8 * (hi), 23 + 8 * (hi)), (o))
#elif RT_VISA_ == 2
#define rt_vpair_even_(v) _mm256_castsi256_ps(_mm256_slli_epi32((v), 16))
#define rt_vpair_odd_(v) _mm256_castsi256_ps(_mm256_and_si256((v), _mm256_set1_epi32(-65536)))
#define rt_vload_bf16x2_(p) _mm256_loadu_si256((const __m256i *)(const void *)(p))
/* (the shuffles work within 128-bit halves: then the halves put in order) */
#define rt_vunzip_(a, b, odd)                                                                      \
    _mm256_castpd_ps(_mm256_permute4x64_pd(                                                        \
        _mm256_castps_pd((odd) ? _mm256_shuffle_ps((a), (b), 0xdd) : _mm256_shuffle_ps((a), (b), 0x88)), 0xd8))
#define rt_vzip_(e, o, hi)                                                                     \
    ((hi) ? _mm256_permute2f128_ps(_mm256_unpacklo_ps((e), (o)), _mm256_unpackhi_ps((e), (o)), 0x31) \
          : _mm256_permute2f128_ps(_mm256_unpacklo_ps((e), (o)), _mm256_unpackhi_ps((e), (o)), 0x20))
#elif RT_VISA_ == 3
#define rt_vpair_even_(v) vreinterpretq_f32_u32(vshlq_n_u32((v), 16))
#define rt_vpair_odd_(v) vreinterpretq_f32_u32(vandq_u32((v), vdupq_n_u32(0xffff0000u)))
#define rt_vload_bf16x2_(p) vreinterpretq_u32_u16(vld1q_u16(p))
#define rt_vunzip_(a, b, odd) ((odd) ? vuzp2q_f32((a), (b)) : vuzp1q_f32((a), (b)))
#define rt_vzip_(e, o, hi) ((hi) ? vzip2q_f32((e), (o)) : vzip1q_f32((e), (o)))
#elif RT_VISA_ == 4
#define rt_vpair_even_(v) _mm_castsi128_ps(_mm_slli_epi32((v), 16))
#define rt_vpair_odd_(v) _mm_castsi128_ps(_mm_and_si128((v), _mm_set1_epi32(-65536)))
#define rt_vload_bf16x2_(p) _mm_loadu_si128((const __m128i *)(const void *)(p))
#define rt_vunzip_(a, b, odd) \
    ((odd) ? _mm_shuffle_ps((a), (b), _MM_SHUFFLE(3, 1, 3, 1)) : _mm_shuffle_ps((a), (b), _MM_SHUFFLE(2, 0, 2, 0)))
#define rt_vzip_(e, o, hi) ((hi) ? _mm_unpackhi_ps((e), (o)) : _mm_unpacklo_ps((e), (o)))
#endif
#if RT_VISA_ == 0   /* a vector of one: pair order is row order */
#define rt_vload_bf16_pair(p, l) rt_bf16_to_f32((p)[l])
#define rt_vload_pair(p, l) ((p)[l])
#define RT_VUNPAIR(e, o) ((void)0)
#else
#define rt_vload_bf16_pair(p, l)                                                         \
    (((l) & 1) ? rt_vpair_odd_(rt_vload_bf16x2_((p) + ((l) >> 1) * 2 * RT_VL))           \
               : rt_vpair_even_(rt_vload_bf16x2_((p) + ((l) >> 1) * 2 * RT_VL)))
#define rt_vload_pair(p, l) \
    rt_vunzip_(rt_vload((p) + ((l) >> 1) * 2 * RT_VL), rt_vload((p) + ((l) >> 1) * 2 * RT_VL + RT_VL), (l) & 1)
#define RT_VUNPAIR(e, o)                               \
    do {                                               \
        const rt_vec rt_lo_ = rt_vzip_((e), (o), 0);   \
        (o) = rt_vzip_((e), (o), 1);                   \
        (e) = rt_lo_;                                  \
    } while (0)
#endif

/* ---- piece rt_vload_i8 (needs rt_vec <stdint.h> <string.h>) ---- */
/* RT_VL int8 weights at p as an rt_vec of their values (the scale of each
 * row is applied after the sum). Loads exactly RT_VL bytes. */
#if RT_VISA_ == 1
#define rt_vload_i8(p) \
    _mm512_maskz_cvtepi32_ps(0xffff, _mm512_maskz_cvtepi8_epi32(0xffff, _mm_loadu_si128((const __m128i *)(const void *)(p))))
#elif RT_VISA_ == 2
#define rt_vload_i8(p) _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)(const void *)(p))))
#elif RT_VISA_ == 3
static inline rt_vec rt_vload_i8(const int8_t *p)
{
    int32_t w;
    memcpy(&w, p, sizeof w);
    return vcvtq_f32_s32(vmovl_s16(vget_low_s16(vmovl_s8(vreinterpret_s8_s32(vdup_n_s32(w))))));
}
#elif RT_VISA_ == 4
static inline rt_vec rt_vload_i8(const int8_t *p)
{
    int32_t w;
    memcpy(&w, p, sizeof w);
    __m128i v = _mm_cvtsi32_si128(w);
    v = _mm_unpacklo_epi8(v, v);   /* each byte to the top of a 32-bit lane, */
    v = _mm_unpacklo_epi16(v, v);
    return _mm_cvtepi32_ps(_mm_srai_epi32(v, 24));   /* then sign-extended down */
}
#else
#define rt_vload_i8(p) ((float)*(p))
#endif

/* ---- piece rt_h_code (needs <stdint.h>) ---- */
/*
 * products int8 (lstmc --products int8): h, in [-1, 1], as the unsigned
 * byte of the integer products: q + 128, q = h * 127 rounded to nearest
 * even and clamped to [-127, 127] (NaN: -127). Rounded from the part
 * the conversion toward zero leaves (exact): no libm, no rounding mode,
 * and nothing -ffast-math may reassociate away.
 */
static inline uint8_t rt_h_code(float h)
{
    /* (the comparisons in double, exactly the float ones: a target that
     * evaluates float in double, s390x, warns of the implicit promotion) */
    float v = h * 127.0f;
    if (!((double)v >= -127.0))
        v = -127.0f;
    if ((double)v > 127.0)
        v = 127.0f;
    int q = (int)v;
    double r = (double)(v - (float)q);
    q += (r > 0.5 || (r == 0.5 && (q & 1))) - (r < -0.5 || (r == -0.5 && (q & 1)));
    return (uint8_t)(q + 128);
}

/* ---- piece rt_vh_code (needs rt_vec rt_h_code <stdint.h>) ---- */
/*
 * rt_h_code of the RT_VL floats at p into the RT_VL bytes at q: AVX-512
 * and AVX2 clamp (max, then min: a NaN becomes -127) and round to nearest
 * even by the instruction's own mode (not MXCSR's), the same bytes as
 * rt_h_code's; elsewhere rt_h_code on each.
 */
#if RT_VISA_ == 1
static inline void rt_vh_code(const float *p, uint8_t *q)
{
    __m512 v = _mm512_mul_ps(_mm512_loadu_ps(p), _mm512_set1_ps(127.0f));
    v = _mm512_min_ps(_mm512_max_ps(v, _mm512_set1_ps(-127.0f)), _mm512_set1_ps(127.0f));
    __m512i i = _mm512_cvt_roundps_epi32(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    _mm_storeu_si128((__m128i *)(void *)q, _mm512_cvtepi32_epi8(_mm512_add_epi32(i, _mm512_set1_epi32(128))));
}
#elif RT_VISA_ == 2
static inline void rt_vh_code(const float *p, uint8_t *q)
{
    __m256 v = _mm256_mul_ps(_mm256_loadu_ps(p), _mm256_set1_ps(127.0f));
    v = _mm256_min_ps(_mm256_max_ps(v, _mm256_set1_ps(-127.0f)), _mm256_set1_ps(127.0f));
    __m256i i = _mm256_cvttps_epi32(_mm256_round_ps(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
    i = _mm256_add_epi32(i, _mm256_set1_epi32(128));
    __m128i w = _mm_packs_epi32(_mm256_castsi256_si128(i), _mm256_extracti128_si256(i, 1));   /* 8 int16, in order */
    _mm_storel_epi64((__m128i *)(void *)q, _mm_packus_epi16(w, w));
}
#else
static inline void rt_vh_code(const float *p, uint8_t *q)
{
    for (int k = 0; k < RT_VL; k++)
        q[k] = rt_h_code(p[k]);
}
#endif

/* ---- piece rt_ivec (needs rt_vec rt_vh_code <stdint.h> <string.h>) ---- */
/*
 * rt_ivec, RT_IVL int32 sums of products int8's recurrent product:
 * rt_idot4(acc, h, w) adds to lane r the sum over j < 4 of h[j] * w[4 r + j]
 * (with a load, a store, a zero and a sum of two rt_ivec)
 * (h: 4 unsigned bytes, w: 4 RT_IVL signed bytes), one vpdpbusd with AVX-512
 * VNNI (RT_VL 16), AVX-VNNI or AVX-512 VNNI + VL (RT_VL 8); elsewhere a plain
 * int32. Exact: no saturation (vpdpbusd, not vpdpbusds), and lstmc keeps the
 * sums within int32. rt_vload_i32 converts RT_VL int32 to an rt_vec, each
 * rounded to nearest even as C's conversion.
 */
#if RT_VISA_ == 1 && defined(__AVX512VNNI__)
#define RT_IVL 16
typedef __m512i rt_ivec;
#define rt_ivload(p) _mm512_loadu_si512((const void *)(p))
#define rt_ivstore(p, v) _mm512_storeu_si512((void *)(p), (v))
#define rt_ivzero() _mm512_setzero_si512()
#define rt_ivadd(a, b) _mm512_add_epi32((a), (b))
static inline rt_ivec rt_idot4(rt_ivec acc, const uint8_t *h, const int8_t *w)
{
    int32_t h4;
    memcpy(&h4, h, sizeof h4);
    return _mm512_dpbusd_epi32(acc, _mm512_set1_epi32(h4), _mm512_loadu_si512((const void *)w));
}
#elif RT_VISA_ == 2 && (defined(__AVXVNNI__) || (defined(__AVX512VNNI__) && defined(__AVX512VL__)))
#define RT_IVL 8
typedef __m256i rt_ivec;
#define rt_ivload(p) _mm256_loadu_si256((const __m256i *)(const void *)(p))
#define rt_ivstore(p, v) _mm256_storeu_si256((__m256i *)(void *)(p), (v))
#define rt_ivzero() _mm256_setzero_si256()
#define rt_ivadd(a, b) _mm256_add_epi32((a), (b))
static inline rt_ivec rt_idot4(rt_ivec acc, const uint8_t *h, const int8_t *w)
{
    int32_t h4;
    memcpy(&h4, h, sizeof h4);
#if defined(__AVXVNNI__)
    return _mm256_dpbusd_avx_epi32(acc, _mm256_set1_epi32(h4), rt_ivload(w));
#else
    return _mm256_dpbusd_epi32(acc, _mm256_set1_epi32(h4), rt_ivload(w));
#endif
}
#else
#define RT_IVL 1
typedef int32_t rt_ivec;
#define rt_ivload(p) (*(p))
#define rt_ivstore(p, v) (*(p) = (v))
#define rt_ivzero() 0
#define rt_ivadd(a, b) ((a) + (b))
static inline rt_ivec rt_idot4(rt_ivec acc, const uint8_t *h, const int8_t *w)
{
    return acc + h[0] * w[0] + h[1] * w[1] + h[2] * w[2] + h[3] * w[3];
}
#endif
#if RT_VISA_ == 1
#define rt_vload_i32(p) _mm512_cvtepi32_ps(_mm512_loadu_si512((const void *)(p)))
#elif RT_VISA_ == 2
#define rt_vload_i32(p) _mm256_cvtepi32_ps(_mm256_loadu_si256((const __m256i *)(const void *)(p)))
#elif RT_VISA_ == 3
#define rt_vload_i32(p) vcvtq_f32_s32(vld1q_s32(p))
#elif RT_VISA_ == 4
#define rt_vload_i32(p) _mm_cvtepi32_ps(_mm_loadu_si128((const __m128i *)(const void *)(p)))
#else
#define rt_vload_i32(p) ((float)*(p))
#endif

/* ---- end of pieces ---- */

#endif
