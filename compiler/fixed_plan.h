/*
 * fixed_plan.h - a model's integer form for `arithmetic int16` (grammar/
 * SPEC.md, "Integer-only arithmetic"): the fixed-point format of every
 * tensor, chosen from calibrated ranges (ranges.h), and every weight,
 * bias and multiplier as the integers the arithmetic uses. Made once from
 * the IR (with int8 weights, quantize.h) by fixed_plan(); the integer
 * interpreter (interp_int.c) runs it.
 *
 * Formats are named by their fraction bits f: an int16 q stands for
 * q * 2^-f. Activation inputs are Q3.12 (f = 12); gate values are Q0.15
 * with 1 = 32768 (an absent gate).
 */
#ifndef LSTMC_FIXED_PLAN_H
#define LSTMC_FIXED_PLAN_H

#include "fixed.h"
#include "ranges.h"

/* Headroom over the calibrated largest |c|: a cell with a forget gate
 * (or a coupled one), and the 1997 cell without one, whose state can grow
 * with the length of the sequence. */
#define FIXED_CELL_HEADROOM 1.25
#define FIXED_CELL_HEADROOM_NO_FORGET 4.0

/* Rows of int8 weights, each with its requantization: the integer
 * accumulator acc of row r becomes rshr(acc * mult[r], shift[r]) +
 * bias[r] in the output's format. */
typedef struct FixedRows {
    int rows, cols;           /* rows 0: absent */
    int8_t *w;                /* [rows, cols] */
    int32_t *mult;            /* [rows] in [2^14, 2^15), or 0 */
    int *shift;               /* [rows] */
    int64_t *bias;            /* [rows] */
} FixedRows;

typedef struct FixedDir {
    FixedRows gate[GATE_COUNT];   /* columns x then h, as in the IR */
    int16_t *peep[GATE_COUNT];    /* [H] peepholes, or NULL */
    int peep_frac[GATE_COUNT];
    int16_t *h0, *c0;             /* the initial state, or NULL: zeros */
} FixedDir;

typedef struct FixedLstm {
    int acc_frac;             /* the accumulator's: max(input's, h's) */
    int cell_frac;            /* c's, from its calibrated range */
    int64_t clip_gates;       /* Q3.12 limit of the pre-activations, 0: none */
    int64_t clip_cell;        /* limit of c in cell_frac, 0: none */
    FixedTable gate, cell_in, cell_out;
    FixedDir dir[2];
} FixedLstm;

typedef struct FixedDense {
    FixedRows rows;           /* pre-activation in the layer's pre_frac */
    int pre_frac;             /* 12 before a table, else the output's */
    int table;                /* 1: act is a table (sigmoid, tanh, ...) */
    FixedTable act;
    ActKind kind;             /* the IR's activation */
} FixedDense;

typedef struct FixedLayer {
    int in_frac, out_frac;    /* the formats of its input and output rows */
    FixedLstm lstm;
    FixedDense dense;
} FixedLayer;

typedef struct FixedModel {
    const IrModel *m;
    int in_frac;              /* the model's input, from its range */
    FixedLayer *layers;       /* [m->nlayers] */
} FixedModel;

/* The integer form of m (int8 weights) with ranges r. Returns 0, or -1
 * after reporting a layer or form int16 arithmetic does not take, at its
 * place in the spec. */
int fixed_plan(Arena *a, const IrModel *m, const Ranges *r, FixedModel *fm);
/* Reports (at its place) the first layer or output form of m that
 * `arithmetic int16` does not take; 0 if none, else -1. */
int fixed_supported(const IrModel *m);

#endif
