/*
 * quantize.c - ir_quantize(): the weight matrices of a model replaced by the
 * values their storage type holds (quant.h), once, before the interpreter
 * or the lowering sees them. Matrices only (gate weights, projection,
 * dense weights): biases, peepholes and initial states are few and stay
 * float.
 */
#include "quantize.h"

#include <math.h>

/* Rounds the [rows, cols] matrix w of layer L (named what) to type t; for
 * int8 returns its row scales in *scale. 0, or -1 after reporting a value
 * the type cannot hold. */
static int quantize_matrix(Arena *a, const IrLayer *L, const char *what, float *w, long rows, long cols,
                           WeightsType t, float **scale)
{
    if (t == WT_INT8)
        *scale = arena_alloc(a, sizeof(float) * (size_t)rows);
    for (long r = 0; r < rows; r++) {
        float *row = w + r * cols;
        float s = t == WT_INT8 ? quant_int8_scale(row, cols) : 0.0f;
        if (t == WT_INT8)
            (*scale)[r] = s;
        for (long k = 0; k < cols; k++) {
            float v = row[k];
            float q = t == WT_F16    ? quant_f16_value(quant_f16_bits(v))
                    : t == WT_BF16   ? quant_bf16_value(quant_bf16_bits(v))
                    : t == WT_INT8   ? (float)quant_int8(v, s) * s
                                     : v;
            if (isinf(q) && !isinf(v)) {
                diag_error(&L->loc, "layer '%s': %s hold %.9g (row %ld, column %ld), beyond the range of "
                           "%s weights (largest %s): store them as %s", L->name, what, (double)v, r, k,
                           quant_type_names[t], t == WT_F16 ? "65504" : "3.39e38",
                           t == WT_F16 ? "bf16 or int8" : "f32");
                return -1;
            }
            row[k] = q;
        }
    }
    return 0;
}

int ir_quantize(Arena *a, IrModel *m, WeightsType t)
{
    static const char *const gate_what[GATE_COUNT] = {"the input gate's weights", "the forget gate's weights",
                                                      "the cell input's weights", "the output gate's weights"};
    m->weights_type = t;
    if (t == WT_F32)
        return 0;
    for (int n = 0; n < m->nlayers; n++) {
        IrLayer *L = &m->layers[n];
        if (L->kind == IR_GRU || L->kind == IR_RNN) {
            static const char *const part_what[GRU_COUNT] = {"the reset gate's weights",
                                                             "the update gate's weights",
                                                             "the candidate's weights"};
            IrGru *gr = &L->gru;
            for (int d = 0; d < gr->dirs; d++)
                for (int p = 0; p < GRU_COUNT; p++)
                    if (gr->dir[d].w[p] &&
                        quantize_matrix(a, L, L->kind == IR_RNN ? "the weights" : part_what[p], gr->dir[d].w[p],
                                        gr->hidden, gr->input + gr->hidden, t, &gr->dir[d].w_scale[p]) != 0)
                        return -1;
            continue;
        }
        if (L->kind == IR_DENSE) {
            if (quantize_matrix(a, L, "the weights", L->dense.w, L->output, L->input, t, &L->dense.w_scale) != 0)
                return -1;
            continue;
        }
        IrLstm *l = &L->lstm;
        for (int d = 0; d < l->dirs; d++) {
            IrDirection *dir = &l->dir[d];
            for (int g = 0; g < GATE_COUNT; g++)
                if (dir->w[g] && quantize_matrix(a, L, gate_what[g], dir->w[g], ir_gate_rows(l, (Gate)g),
                                                 l->input + l->recurrent, t, &dir->w_scale[g]) != 0)
                    return -1;
            if (dir->w_proj &&
                quantize_matrix(a, L, "the projection", dir->w_proj, l->proj, l->hidden, t, &dir->w_proj_scale) != 0)
                return -1;
        }
    }
    return 0;
}
