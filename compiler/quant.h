/*
 * quant.h - narrow weight storage: float16, bfloat16, and int8 with one
 * scale per row. These are the values a model stores: ir_quantize() puts
 * them into the IR once, so the interpreter (in double) and the generated
 * code (which reads the narrow type) run the same weights, and the
 * differential tests compare like with like. The arithmetic stays float.
 */
#ifndef LSTMC_QUANT_H
#define LSTMC_QUANT_H

#include <stdint.h>

typedef enum { WT_F32, WT_F16, WT_BF16, WT_INT8, WT_COUNT } WeightsType;

/* "f32", "f16", "bf16", "int8", as the spec and --weights-type write them */
extern const char *const quant_type_names[WT_COUNT];
/* Bytes per stored weight: 4, 2, 2, 1. */
int quant_type_bytes(WeightsType t);
/* The type named s; -1 when s names none. */
int quant_type_of(const char *s);

/* IEEE-754 binary16 of v, rounded to nearest even: magnitudes from 65520
 * up become infinity (the caller reports them), below 2^-24 subnormals
 * and then zero. NaN stays NaN. */
uint16_t quant_f16_bits(float v);
float quant_f16_value(uint16_t bits);

/* bfloat16 (the high half of a float), rounded to nearest even; NaN stays
 * NaN, and above 3.3961e38 infinity. */
uint16_t quant_bf16_bits(float v);
float quant_bf16_value(uint16_t bits);

/* int8, symmetric: the scale of a row is max |v| / 127 (0 for a row of
 * zeros), each value q = v / scale rounded to nearest even, in
 * [-127, 127]; the stored value is q * scale (float). */
float quant_int8_scale(const float *row, long n);
int8_t quant_int8(float v, float scale);

/* products int8 (SPEC "Integer recurrent products"): h in [-1, 1] as the
 * integer q = h * 127 (h rounded to float, the product rounded to float)
 * rounded to nearest even, clamped to [-127, 127] (NaN: -127), and the
 * factor that turns a row's sum of q_w * q_h into float: the row's scale
 * / 127, rounded to float. */
enum { QUANT_H_LEVELS = 127 };
int quant_h_code(double h);
float quant_h_factor(float scale);

#endif
