/*
 * fixed_plan.c - a model's integer form (fixed_plan.h): formats from the
 * ranges, int8 weights from the IR's, multipliers and biases rounded once.
 */
#include "fixed_plan.h"

#include <math.h>
#include <string.h>

static const char *const kind_word[] = {"lstm", "dense", "gru", "rnn", "embedding"};

int fixed_supported(const IrModel *m)
{
    if (m->output_form == OUT_MEAN || m->output_form == OUT_MAX) {
        Loc at = m->arithmetic_loc;
        diag_error(at.src ? &at : NULL, "model '%s': arithmetic int16 does not pool with 'output %s;' "
                   "(sequence, last and final only)", m->name, ir_output_form_name(m->output_form));
        return -1;
    }
    if (m->embedding) {
        diag_error(&m->embedding->loc, "embedding '%s': arithmetic int16 reads features, not token ids; "
                   "this model computes in float only", m->embedding->name);
        return -1;
    }
    for (int n = 0; n < m->nlayers; n++) {
        const IrLayer *L = &m->layers[n];
        const char *what = kind_word[L->kind];
        FixedTable t;
        if (L->kind == IR_GRU || L->kind == IR_RNN) {
            diag_error(&L->loc, "%s '%s': arithmetic int16 is for lstm and dense layers; this layer "
                       "computes in float only", what, L->name);
            return -1;
        }
        if (L->kind == IR_DENSE) {
            ActKind k = L->dense.act.kind;
            int last = n == m->nlayers - 1;
            if (fixed_table(L->dense.act, &t) != 0 && k != ACT_IDENTITY && k != ACT_RELU &&
                !((k == ACT_SOFTMAX || k == ACT_LOG_SOFTMAX) && last)) {
                diag_error(&L->loc, "dense '%s': arithmetic int16 has no %s activation (it has sigmoid, "
                           "tanh, scaled_sigmoid, scaled_tanh, relu, identity, and softmax or "
                           "log_softmax on the last layer)", L->name, ir_activation_name(k));
                return -1;
            }
            continue;
        }
        const IrLstm *l = &L->lstm;
        if (l->proj) {
            diag_error(&L->loc, "lstm '%s': arithmetic int16 has no projection", L->name);
            return -1;
        }
        if (l->gate_act.kind != ACT_SIGMOID) {
            diag_error(&L->loc, "lstm '%s': arithmetic int16 needs sigmoid gates, not %s", L->name,
                       ir_activation_name(l->gate_act.kind));
            return -1;
        }
        const Activation *acts[2] = {&l->cell_input_act, &l->cell_output_act};
        for (int k = 0; k < 2; k++)
            if (fixed_table(*acts[k], &t) != 0) {
                diag_error(&L->loc, "lstm '%s': arithmetic int16 has no %s %s (it has sigmoid, tanh, "
                           "scaled_sigmoid and scaled_tanh)", L->name, k ? "cell_output" : "cell_input",
                           ir_activation_name(acts[k]->kind));
                return -1;
            }
    }
    return 0;
}

/* max(|min|, |max|) of the range named LAYER/what. */
static double range_of(const Ranges *r, const char *layer, const char *what)
{
    char name[300];
    snprintf(name, sizeof name, "%s/%s", layer, what);
    const RangeEntry *e = ranges_find(r, name);
    return e ? fmax(fabs(e->min), fabs(e->max)) : 0;
}

/* The int8 rows of the IR's [rows, cols] matrix w (stored values q * s,
 * row scales s), each requantized by s * 2^gain; biases b (or NULL) plus
 * extra, in bias_frac. 0, or -1 after reporting a row whose multiplier
 * does not fit (s 2^gain >= 2^15). */
static int plan_rows(Arena *a, const IrLayer *L, FixedRows *fr, const float *w, const float *s,
                     const float *b, double extra, int rows, int cols, int gain, int bias_frac)
{
    fr->rows = rows;
    fr->cols = cols;
    fr->w = arena_alloc(a, (size_t)rows * (size_t)cols);
    fr->mult = arena_alloc(a, sizeof(int32_t) * (size_t)rows);
    fr->shift = arena_alloc(a, sizeof(int) * (size_t)rows);
    fr->bias = arena_alloc(a, sizeof(int64_t) * (size_t)rows);
    for (int r = 0; r < rows; r++) {
        for (int k = 0; k < cols; k++) {
            size_t at = (size_t)r * (size_t)cols + (size_t)k;
            fr->w[at] = (int8_t)(s[r] == 0.0f ? 0 : nearbyint((double)w[at] / (double)s[r]));
        }
        if (fixed_multiplier(ldexp((double)s[r], gain), &fr->mult[r], &fr->shift[r]) != 0) {
            diag_error(&L->loc, "layer '%s': row %d's weights (up to %.9g) are too large for int16 "
                       "arithmetic's multipliers", L->name, r, 127.0 * (double)s[r]);
            return -1;
        }
        fr->bias[r] = fixed_wide_from_double((b ? (double)b[r] : 0.0) + extra, bias_frac);
    }
    return 0;
}

/* 0 if the accumulators of a layer (columns in_cols at 2^(acc - in) and
 * rec_cols at 2^(acc - rec)) times a multiplier stay below 2^62, else -1
 * after reporting. */
static int check_width(const IrLayer *L, int in_cols, int in_up, int rec_cols, int rec_up)
{
    double bound = 127.0 * 32768.0 * (ldexp(in_cols, in_up) + ldexp(rec_cols, rec_up)) * 32768.0;
    if (bound < ldexp(1.0, 62))
        return 0;
    diag_error(&L->loc, "layer '%s': %d inputs are too many for int16 arithmetic's 64-bit accumulators "
               "at these formats", L->name, in_cols + rec_cols);
    return -1;
}

static int16_t *plan_vector(Arena *a, const float *v, int n, int frac)
{
    if (!v)
        return NULL;
    int16_t *q = arena_alloc(a, sizeof(int16_t) * (size_t)n);
    for (int k = 0; k < n; k++)
        q[k] = (int16_t)fixed_from_double((double)v[k], frac);
    return q;
}

static int plan_lstm(Arena *a, const IrLayer *L, const Ranges *r, FixedLayer *F)
{
    const IrLstm *l = &L->lstm;
    FixedLstm *fl = &F->lstm;
    fixed_table(l->gate_act, &fl->gate);
    fixed_table(l->cell_input_act, &fl->cell_in);
    fixed_table(l->cell_output_act, &fl->cell_out);
    int no_forget = !l->has_gate[GATE_F] && !l->coupled;
    double headroom = no_forget ? FIXED_CELL_HEADROOM_NO_FORGET : FIXED_CELL_HEADROOM;
    fl->cell_frac = fixed_frac_of(range_of(r, L->name, "c") * headroom);
    F->out_frac = fl->cell_out.frac;
    fl->acc_frac = F->in_frac > F->out_frac ? F->in_frac : F->out_frac;
    fl->clip_gates = l->clip_gates > 0 ? fixed_wide_from_double(l->clip_gates, FIXED_PRE_FRAC) : 0;
    fl->clip_cell = l->clip_cell > 0 ? fixed_wide_from_double(l->clip_cell, fl->cell_frac) : 0;
    if (fl->clip_cell > 32767)
        fl->clip_cell = 0;   /* beyond the format: saturation clips first */
    if (check_width(L, l->input, fl->acc_frac - F->in_frac, l->recurrent, fl->acc_frac - F->out_frac) != 0)
        return -1;
    for (int d = 0; d < l->dirs; d++) {
        const IrDirection *dir = &l->dir[d];
        FixedDir *fd = &fl->dir[d];
        for (int g = 0; g < GATE_COUNT; g++) {
            if (dir->w[g] &&
                plan_rows(a, L, &fd->gate[g], dir->w[g], dir->w_scale[g], dir->b[g],
                          g == GATE_F ? l->forget_bias : 0.0, ir_gate_rows(l, (Gate)g), l->input + l->recurrent,
                          FIXED_PRE_FRAC - fl->acc_frac, FIXED_PRE_FRAC) != 0)
                return -1;
            if (dir->p[g]) {
                double max = 0;
                for (int j = 0; j < l->hidden; j++)
                    max = fmax(max, fabs((double)dir->p[g][j]));
                fd->peep_frac[g] = fixed_frac_of(max);
                fd->peep[g] = plan_vector(a, dir->p[g], l->hidden, fd->peep_frac[g]);
            }
        }
        fd->h0 = plan_vector(a, dir->h0, l->recurrent, F->out_frac);
        fd->c0 = plan_vector(a, dir->c0, l->hidden, fl->cell_frac);
    }
    return 0;
}

static int plan_dense(Arena *a, const IrLayer *L, const Ranges *r, FixedLayer *F)
{
    const IrDense *dn = &L->dense;
    FixedDense *fd = &F->dense;
    fd->kind = dn->act.kind;
    fd->table = fixed_table(dn->act, &fd->act) == 0;
    fd->pre_frac = fd->table ? FIXED_PRE_FRAC : fixed_frac_of(range_of(r, L->name, "pre"));
    F->out_frac = fd->table ? fd->act.frac : fd->pre_frac;
    if (check_width(L, L->input, 0, 0, 0) != 0)
        return -1;
    return plan_rows(a, L, &fd->rows, dn->w, dn->w_scale, dn->b, 0.0, L->output, L->input,
                     fd->pre_frac - F->in_frac, fd->pre_frac);
}

int fixed_plan(Arena *a, const IrModel *m, const Ranges *r, FixedModel *fm)
{
    memset(fm, 0, sizeof *fm);
    if (fixed_supported(m) != 0 || ranges_check(r, m) != 0)
        return -1;
    fm->m = m;
    const RangeEntry *in = ranges_find(r, "input");
    fm->in_frac = fixed_frac_of(fmax(fabs(in->min), fabs(in->max)));
    fm->layers = arena_alloc(a, sizeof(FixedLayer) * (size_t)m->nlayers);
    int frac = fm->in_frac;
    for (int n = 0; n < m->nlayers; n++) {
        const IrLayer *L = &m->layers[n];
        FixedLayer *F = &fm->layers[n];
        F->in_frac = frac;
        if ((L->kind == IR_LSTM ? plan_lstm(a, L, r, F) : plan_dense(a, L, r, F)) != 0)
            return -1;
        frac = F->out_frac;
    }
    return 0;
}
