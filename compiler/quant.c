/*
 * quant.c - the narrow weight types' conversions (quant.h), on the bits,
 * so that they do not depend on the host's float16 support or rounding
 * mode.
 */
#include "quant.h"

#include <math.h>
#include <string.h>

const char *const quant_type_names[WT_COUNT] = {"f32", "f16", "bf16", "int8"};

int quant_type_bytes(WeightsType t)
{
    static const int bytes[WT_COUNT] = {4, 2, 2, 1};
    return bytes[t];
}

int quant_type_of(const char *s)
{
    for (int t = 0; t < WT_COUNT; t++)
        if (strcmp(s, quant_type_names[t]) == 0)
            return t;
    return -1;
}

static uint32_t float_bits(float v)
{
    uint32_t x;
    memcpy(&x, &v, sizeof x);
    return x;
}

static float bits_float(uint32_t x)
{
    float v;
    memcpy(&v, &x, sizeof v);
    return v;
}

/* m >> s (1 <= s <= 31), rounded to nearest, ties to even */
static uint32_t shift_even(uint32_t m, int s)
{
    uint32_t q = m >> s, rest = m & ((1u << s) - 1), half = 1u << (s - 1);
    return q + (rest > half || (rest == half && (q & 1)));
}

uint16_t quant_f16_bits(float v)
{
    uint32_t x = float_bits(v);
    uint32_t sign = (x >> 16) & 0x8000u, ax = x & 0x7fffffffu;
    if (ax > 0x7f800000u)
        return (uint16_t)(sign | 0x7e00u);   /* a quiet NaN */
    if (ax >= 0x477ff000u)                   /* 65520 and up, infinity */
        return (uint16_t)(sign | 0x7c00u);
    if (ax >= 0x38800000u) {                 /* 2^-14 and up: a normal half */
        /* the exponent rebiased (127 -> 15) above the mantissa: a carry of
         * the rounding moves into the exponent, as it should */
        uint32_t rebiased = ax - (112u << 23);
        return (uint16_t)(sign | shift_even(rebiased, 13));
    }
    /* below 2^-14: units of 2^-24, the smallest subnormal half */
    int e = (int)(ax >> 23);
    int s = 126 - e;
    if (s > 31)
        return (uint16_t)sign;
    uint32_t m = (ax & 0x7fffffu) | 0x800000u;
    return (uint16_t)(sign | shift_even(m, s));
}

float quant_f16_value(uint16_t bits)
{
    uint32_t sign = (uint32_t)(bits & 0x8000u) << 16;
    uint32_t e = (bits >> 10) & 0x1fu, m = bits & 0x3ffu;
    if (e == 0) {
        float v = ldexpf((float)m, -24);
        return sign ? -v : v;
    }
    if (e == 31)
        return bits_float(sign | 0x7f800000u | (m << 13));
    return bits_float(sign | ((e + 112) << 23) | (m << 13));
}

uint16_t quant_bf16_bits(float v)
{
    uint32_t x = float_bits(v);
    if ((x & 0x7fffffffu) > 0x7f800000u)
        return (uint16_t)((x >> 16) | 0x40u);   /* a quiet NaN */
    return (uint16_t)shift_even(x, 16);
}

float quant_bf16_value(uint16_t bits)
{
    return bits_float((uint32_t)bits << 16);
}

float quant_int8_scale(const float *row, long n)
{
    float max = 0.0f;
    for (long k = 0; k < n; k++)
        if (fabsf(row[k]) > max)
            max = fabsf(row[k]);
    return max / 127.0f;
}

int8_t quant_int8(float v, float scale)
{
    if (scale == 0.0f)
        return 0;
    double q = nearbyint((double)v / (double)scale);
    return (int8_t)(q > 127.0 ? 127 : q < -127.0 ? -127 : q);
}

int quant_h_code(double h)
{
    /* in float, as the generated code: h rounded to float, times 127 rounded */
    float v = (float)h * (float)QUANT_H_LEVELS;
    float c = v >= -(float)QUANT_H_LEVELS ? v : -(float)QUANT_H_LEVELS;   /* (NaN too) */
    c = c <= (float)QUANT_H_LEVELS ? c : (float)QUANT_H_LEVELS;
    return (int)nearbyintf(c);   /* the default rounding: to nearest, ties to even */
}

float quant_h_factor(float scale)
{
    return scale / (float)QUANT_H_LEVELS;
}
