/*
 * products.h - products int8 (grammar/SPEC.md, "Integer recurrent
 * products"): which models can compute their LSTM layers' recurrent
 * products from h quantized to int8, checked once for every command.
 */
#ifndef LSTMC_PRODUCTS_H
#define LSTMC_PRODUCTS_H

#include "ir.h"

/* With m->products_int8, checks that m can (weights stored as type int8,
 * float arithmetic, LSTM layers whose h lies in [-1, 1]) and marks its
 * LSTM layers (IrLstm.products_int8). Returns 0, or -1 after reporting at
 * the statement or layer at fault. */
int products_prepare(IrModel *m, WeightsType type);

/* The largest recurrent width whose integer sums stay exact in int32: a
 * sum of R products (q_h + 128) * q_w, each at most 255 * 127 in
 * magnitude, below 2^31. */
enum { PRODUCTS_MAX_WIDTH = 65536 };

#endif
