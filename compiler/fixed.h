/*
 * fixed.h - the definitions of integer-only arithmetic (`arithmetic int16`,
 * grammar/SPEC.md "Integer-only arithmetic"): the rounding shift, the
 * saturation, the multipliers that requantize an accumulator, and the
 * activation tables. Everything that computes in int16 (the interpreter's
 * integer mode, interp_int.c) uses these and nothing else, so the
 * definitions are written once.
 */
#ifndef LSTMC_FIXED_H
#define LSTMC_FIXED_H

#include "ir.h"

#include <stdint.h>

/* "float", "int16": as the spec's `arithmetic` and --arithmetic write them */
extern const char *const fixed_arith_names[ARITH_COUNT];
/* The arithmetic named s; -1 when s names none. */
int fixed_arith_of(const char *s);

enum {
    FIXED_PRE_FRAC = 12,      /* activation inputs are Q3.12: [-8, 8) */
    FIXED_ONE = 32768,        /* a gate value of 1 (Q0.15); tables stop at 32767 */
    FIXED_TABLE_STEP = 7,     /* a table entry every 2^7 units of Q3.12: 1/32 */
    FIXED_TABLE_SIZE = 513,   /* entries over [-8, 8], both ends included */
};

/* v / 2^n rounded to nearest, ties toward +infinity: floor((v + 2^(n-1)) /
 * 2^n) for n > 0; v for n = 0; v * 2^-n for n < 0. */
int64_t fixed_rshr(int64_t v, int n);
/* v clamped to [-32768, 32767]. */
int32_t fixed_sat16(int64_t v);
/* v clamped to [-limit, limit]. */
int64_t fixed_clamp(int64_t v, int64_t limit);
/* round(v * 2^frac), ties away from zero, clamped to int16. */
int32_t fixed_from_double(double v, int frac);
/* round(v * 2^frac), ties away from zero, clamped to [-(2^31 - 1), 2^31 - 1]
 * (biases, clip limits). */
int64_t fixed_wide_from_double(double v, int frac);
/* The fraction bits of an int16 holding values up to maxabs: 15 minus the
 * fewest integer bits b >= 0 with maxabs < 2^b (0 when maxabs >= 2^15). */
int fixed_frac_of(double maxabs);

/* A positive real multiplier m as mult * 2^-shift with mult in [2^14, 2^15)
 * (15 significant bits) and 0 <= shift <= 62: *mult = round(m * 2^shift).
 * m = 0, or m below 2^-48: mult 0, shift 0. Returns -1 when m >= 2^15 (no
 * shift >= 0 fits). */
int fixed_multiplier(double m, int32_t *mult, int *shift);

/* A bounded activation as a table: y(z) for z in Q3.12, entry k the value
 * at z = -8 + k/32, in Q(15 - frac).frac; between entries linear
 * interpolation: with u = z + 32768, k = u >> 7, r = u & 127,
 *   y = T[k] + floor(((T[k+1] - T[k]) * r + 64) / 128). */
typedef struct FixedTable {
    int16_t v[FIXED_TABLE_SIZE];
    int frac;                 /* 15 for sigmoid and tanh (bound 1) */
    ActKind kind;
} FixedTable;
/* The table of act; -1 for a kind without one (only sigmoid, tanh,
 * scaled_sigmoid and scaled_tanh have one). */
int fixed_table(Activation act, FixedTable *t);
/* y(z) as above; z is clamped to int16 first. */
int32_t fixed_table_at(const FixedTable *t, int64_t z);

#endif
