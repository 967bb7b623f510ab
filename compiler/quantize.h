/*
 * quantize.h - a model's weight matrices rounded to their storage type
 * (quant.h), in the IR itself.
 */
#ifndef LSTMC_QUANTIZE_H
#define LSTMC_QUANTIZE_H

#include "ir.h"

/* Sets m->weights_type to t and replaces every weight matrix by the values
 * t stores (int8: also each row's scale, in w_scale / w_proj_scale).
 * Returns 0, or -1 after reporting a weight t cannot hold (a float16
 * beyond 65504). */
int ir_quantize(Arena *a, IrModel *m, WeightsType t);

#endif
