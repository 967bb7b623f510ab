/*
 * interp.c - the reference interpreter (see interp.h).
 *
 * This is the oracle every backend is tested against, so it is written to be
 * obviously correct rather than fast: double precision throughout (the float
 * weights are converted on use), one plain loop per equation of ir.h, one
 * comment per step of the cell. It shares no code with the lowering or the
 * emitters, and calls nothing from ir.c, so a bug there cannot hide here.
 *
 * interp_run runs the model layer by layer over the whole sequence: each
 * layer reads the previous layer's output rows seq[T][features] (layer 0
 * reads the input) and writes its own. interp_stream_run, for models without
 * a backward direction, runs every layer on one step before the next step,
 * with the same cell (cell_step) and head (dense_row), in memory that does
 * not grow with the input.
 */
#include "interp.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- activations ---- */

static double sigmoid(double x)
{
    return 1.0 / (1.0 + exp(-x));
}

/* log(1 + exp(x)) without overflow: for x > 0 it equals x + log(1 + exp(-x)). */
static double softplus(double x)
{
    if (x > 0)
        return x + log1p(exp(-x));
    return log1p(exp(x));
}

/* One element of an activation, as activations.def writes it. Softmax works
 * on a whole vector and is handled by the dense layer, never here. */
static double activate(Activation act, double x)
{
    double a = act.a, b = act.b;

    switch (act.kind) {
    case ACT_SIGMOID:          return sigmoid(x);
    case ACT_TANH:             return tanh(x);
    case ACT_HARD_SIGMOID:     return fmax(0.0, fmin(1.0, a * x + b));
    case ACT_SCALED_SIGMOID:   return a + (b - a) * sigmoid(x);
    case ACT_SCALED_TANH:      return a * tanh(b * x);
    case ACT_RELU:             return x > 0 ? x : 0.0;
    case ACT_LEAKY_RELU:       return x >= 0 ? x : a * x;
    case ACT_THRESHOLDED_RELU: return x > a ? x : 0.0;
    case ACT_ELU:              return x >= 0 ? x : a * (exp(x) - 1.0);
    case ACT_SOFTSIGN:         return x / (1.0 + fabs(x));
    case ACT_SOFTPLUS:         return softplus(x);
    case ACT_AFFINE:           return a * x + b;
    case ACT_IDENTITY:         return x;
    case ACT_SOFTMAX:
    case ACT_LOG_SOFTMAX:
    case ACT_COUNT:
        break;
    }
    abort();    /* softmax in an LSTM or an unknown kind: sema let it through */
}

/* Clamps v to [-limit, limit]; limit 0 means no clipping. */
static double clip(double v, double limit)
{
    if (limit <= 0)
        return v;
    if (v > limit)
        return limit;
    if (v < -limit)
        return -limit;
    return v;
}

/* w[row] . v for a row-major matrix of n columns, in four partial sums
 * (every fourth column each) added at the end: the same products in double
 * precision, but four chains of additions the processor overlaps, not one
 * that waits on each add (three times faster on long rows). */
static double dot_row(const float *w, int row, const double *v, int n)
{
    const float *r = w + (size_t)row * (size_t)n;
    double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    int k = 0;
    for (; k + 4 <= n; k += 4) {
        s0 += (double)r[k] * v[k];
        s1 += (double)r[k + 1] * v[k + 1];
        s2 += (double)r[k + 2] * v[k + 2];
        s3 += (double)r[k + 3] * v[k + 3];
    }
    for (; k < n; k++)
        s0 += (double)r[k] * v[k];
    return (s0 + s1) + (s2 + s3);
}

/* products int8 (SPEC "Integer recurrent products"): row `row` of an int8
 * gate matrix w [rows, I + R] (values q_w * scale) times [x, h], the input
 * columns in double, the recurrent ones as the integer sum of q_w * q_h,
 * q_h = quant_h_code(h) (hq), times the row's quant_h_factor. */
static double dot_row_int8_h(const float *w, const float *scale, int row, const double *x, int I, const int *hq,
                             int R)
{
    const float *r = w + (size_t)row * (size_t)(I + R);
    double s = 0;
    for (int k = 0; k < I; k++)
        s += (double)r[k] * x[k];
    long sum = 0;
    for (int k = 0; scale[row] != 0 && k < R; k++)
        sum += lrint((double)r[I + k] / (double)scale[row]) * hq[k];
    return s + (double)sum * (double)quant_h_factor(scale[row]);
}

/* A bias element, or 0 when the layer has no bias. */
static double bias(const float *b, int i)
{
    return b ? (double)b[i] : 0.0;
}

/* ---- start and final states (interp_run_state) ---- */

/* A state vector (interp.h) being read or written layer-direction by
 * layer-direction: h then c of the one at hand, at offsets h and c of
 * start and final (NULL: the initial state; not wanted). */
typedef struct StateIo {
    const double *start;
    double *final;
    long h, c;          /* the current layer-direction's h and c in the vector */
} StateIo;

/* The state of a layer-direction from io's start, if there is one. */
static void state_in(const StateIo *io, double *h, int nh, double *c, int nc)
{
    if (!io || !io->start)
        return;
    memcpy(h, io->start + io->h, sizeof(double) * (size_t)nh);
    if (nc)
        memcpy(c, io->start + io->c, sizeof(double) * (size_t)nc);
}

/* A layer-direction's state into io's final, if wanted. */
static void state_out(const StateIo *io, const double *h, int nh, const double *c, int nc)
{
    if (!io || !io->final)
        return;
    memcpy(io->final + io->h, h, sizeof(double) * (size_t)nh);
    if (nc)
        memcpy(io->final + io->c, c, sizeof(double) * (size_t)nc);
}

/* On to the next layer-direction, past one of nh floats of h, nc of c. */
static void state_next(StateIo *io, int nh, int nc)
{
    if (!io)
        return;
    io->h += nh;
    io->c += nc;
}

long interp_state_size(const IrModel *m, long *h_size)
{
    long h = 0, c = 0;
    for (int n = 0; n < m->nlayers; n++) {
        const IrLayer *L = &m->layers[n];
        if (L->kind == IR_LSTM) {
            h += (long)L->lstm.dirs * L->lstm.recurrent;
            c += (long)L->lstm.dirs * L->lstm.hidden;
        } else if (L->kind == IR_GRU || L->kind == IR_RNN) {
            h += (long)L->gru.dirs * L->gru.hidden;
        }
    }
    if (h_size)
        *h_size = h;
    return h + c;
}

/* A StateIo at the first layer-direction of start and final. */
static StateIo state_io(const IrModel *m, const double *start, double *final)
{
    StateIo io;
    io.start = start;
    io.final = final;
    io.h = 0;
    interp_state_size(m, &io.c);
    return io;
}

/* ---- LSTM ---- */

/* One direction's state between steps, and the scratch of a step. */
typedef struct Cell {
    double *xh;     /* [K] [x, h_prev] */
    double *h;      /* [R] h, starts at h0 or 0 */
    double *c;      /* [H] c, starts at c0 or 0 */
    double *ag;     /* [H] cell input pre-activation */
    double *m;      /* [H] o * act(c) */
    double *ai;     /* [NB] gate pre-activations */
    double *af;
    double *ao;
    double *gi;     /* [NB] gate values */
    double *gf;
    double *go;
    int *hq;        /* [R] products int8: h quantized (quant_h_code) */
} Cell;

static void cell_init(Cell *cs, const IrLstm *l)
{
    size_t K = (size_t)(l->input + l->recurrent), R = (size_t)l->recurrent;
    size_t H = (size_t)l->hidden, NB = (size_t)l->blocks;

    cs->xh = mem_alloc(sizeof(double) * K);
    cs->h  = mem_alloc(sizeof(double) * R);
    cs->c  = mem_alloc(sizeof(double) * H);
    cs->ag = mem_alloc(sizeof(double) * H);
    cs->m  = mem_alloc(sizeof(double) * H);
    cs->ai = mem_alloc(sizeof(double) * NB);
    cs->af = mem_alloc(sizeof(double) * NB);
    cs->ao = mem_alloc(sizeof(double) * NB);
    cs->gi = mem_alloc(sizeof(double) * NB);
    cs->gf = mem_alloc(sizeof(double) * NB);
    cs->go = mem_alloc(sizeof(double) * NB);
    cs->hq = mem_alloc(sizeof(int) * R);
}

static void cell_free(Cell *cs)
{
    mem_free(cs->xh);
    mem_free(cs->h);
    mem_free(cs->c);
    mem_free(cs->ag);
    mem_free(cs->m);
    mem_free(cs->ai);
    mem_free(cs->af);
    mem_free(cs->ao);
    mem_free(cs->gi);
    mem_free(cs->gf);
    mem_free(cs->go);
    mem_free(cs->hq);
}

/* h, c = the initial state: h0, c0 or zeros. */
static void cell_reset(Cell *cs, const IrLstm *l, const IrDirection *d)
{
    for (int r = 0; r < l->recurrent; r++)
        cs->h[r] = d->h0 ? d->h0[r] : 0;
    for (int j = 0; j < l->hidden; j++)
        cs->c[j] = d->c0 ? d->c0[j] : 0;
}

/* Row `row` of gate g's weights times [x, h] (cs->xh; products int8: h as
 * cs->hq). */
static double gate_dot(const IrLstm *l, const IrDirection *d, Gate g, int row, const Cell *cs)
{
    if (l->products_int8)
        return dot_row_int8_h(d->w[g], d->w_scale[g], row, cs->xh, l->input, cs->hq, l->recurrent);
    return dot_row(d->w[g], row, cs->xh, l->input + l->recurrent);
}

/* One step of direction d of LSTM layer l: reads x[I], updates h and c. */
static void cell_step(const IrLstm *l, const IrDirection *d, Cell *cs, const double *x)
{
    int I = l->input, H = l->hidden, S = l->block_size, NB = l->blocks;
    int P = l->proj, R = l->recurrent;
    double *xh = cs->xh, *h = cs->h, *c = cs->c, *ag = cs->ag, *m = cs->m;
    double *ai = cs->ai, *af = cs->af, *ao = cs->ao, *gi = cs->gi, *gf = cs->gf, *go = cs->go;

    /* xh = [x_t, h_prev] */
    for (int k = 0; k < I; k++)
        xh[k] = x[k];
    for (int r = 0; r < R; r++)
        xh[I + r] = h[r];
    for (int r = 0; l->products_int8 && r < R; r++)
        cs->hq[r] = quant_h_code(h[r]);

    /* input gate pre-activation: ai = w_i . xh + b_i + sum_j p_i c */
    for (int b = 0; b < NB; b++) {
        ai[b] = 0;
        if (!l->has_gate[GATE_I])
            continue;
        ai[b] = gate_dot(l, d, GATE_I, b, cs) + bias(d->b[GATE_I], b);
        if (d->p[GATE_I])
            for (int j = b * S; j < (b + 1) * S; j++)
                ai[b] += (double)d->p[GATE_I][j] * c[j];
        ai[b] = clip(ai[b], l->clip_gates);
    }

    /* forget gate pre-activation: af = w_f . xh + b_f + sum_j p_f c
     * + forget_bias (added before clipping) */
    for (int b = 0; b < NB; b++) {
        af[b] = 0;
        if (!l->has_gate[GATE_F] || l->coupled)
            continue;
        af[b] = gate_dot(l, d, GATE_F, b, cs) + bias(d->b[GATE_F], b);
        if (d->p[GATE_F])
            for (int j = b * S; j < (b + 1) * S; j++)
                af[b] += (double)d->p[GATE_F][j] * c[j];
        af[b] += l->forget_bias;
        af[b] = clip(af[b], l->clip_gates);
    }

    /* cell input pre-activation, one per cell: ag = w_g . xh + b_g */
    for (int j = 0; j < H; j++) {
        ag[j] = gate_dot(l, d, GATE_G, j, cs) + bias(d->b[GATE_G], j);
        ag[j] = clip(ag[j], l->clip_gates);
    }

    /* i = gate_act(ai), or 1 without an input gate */
    for (int b = 0; b < NB; b++)
        gi[b] = l->has_gate[GATE_I] ? activate(l->gate_act, ai[b]) : 1.0;

    /* f = 1 - i if coupled, gate_act(af) with a forget gate, else 1 */
    for (int b = 0; b < NB; b++) {
        if (l->coupled)
            gf[b] = 1.0 - gi[b];
        else if (l->has_gate[GATE_F])
            gf[b] = activate(l->gate_act, af[b]);
        else
            gf[b] = 1.0;
    }

    /* c' = f c + i cell_input_act(ag), then clip_cell */
    for (int j = 0; j < H; j++) {
        int b = j / S;
        c[j] = gf[b] * c[j] + gi[b] * activate(l->cell_input_act, ag[j]);
        c[j] = clip(c[j], l->clip_cell);
    }

    /* output gate: ao = w_o . xh + b_o + sum_j p_o c' (the new c) */
    for (int b = 0; b < NB; b++) {
        if (!l->has_gate[GATE_O]) {
            go[b] = 1.0;
            continue;
        }
        ao[b] = gate_dot(l, d, GATE_O, b, cs) + bias(d->b[GATE_O], b);
        if (d->p[GATE_O])
            for (int j = b * S; j < (b + 1) * S; j++)
                ao[b] += (double)d->p[GATE_O][j] * c[j];
        ao[b] = clip(ao[b], l->clip_gates);
        go[b] = activate(l->gate_act, ao[b]);
    }

    /* m = o cell_output_act(c') */
    for (int j = 0; j < H; j++)
        m[j] = go[j / S] * activate(l->cell_output_act, c[j]);

    /* h' = m, or w_proj m clipped to clip_proj */
    if (P > 0) {
        for (int p = 0; p < P; p++)
            h[p] = clip(dot_row(d->w_proj, p, m, H), l->clip_proj);
    } else {
        for (int j = 0; j < H; j++)
            h[j] = m[j];
    }
}

/* Offers the step just computed by cell_step to the trace (interp.h):
 * the gate values, g after its activation, c and h. */
static void trace_cell(const InterpTrace *tr, const IrLstm *l, const Cell *cs, int layer, int dir,
                       long t)
{
    double *g = mem_alloc(sizeof(double) * (size_t)l->hidden);
    for (int j = 0; j < l->hidden; j++)
        g[j] = activate(l->cell_input_act, cs->ag[j]);
    InterpVec v[] = {
        {"i", l->blocks, cs->gi}, {"f", l->blocks, cs->gf}, {"g", l->hidden, g},
        {"o", l->blocks, cs->go}, {"c", l->hidden, cs->c},  {"h", l->recurrent, cs->h},
    };
    tr->step(tr->ctx, layer, dir, t, v, (int)COUNT_OF(v));
    mem_free(g);
}

/* Runs one direction of LSTM layer l over the whole sequence in[T][I],
 * writing its output h at step t to out[t * out_stride + out_offset ...];
 * tr (or NULL) sees each step as layer `layer`, direction d. */
static void run_direction(const IrLstm *l, const IrDirection *d,
                          const double *in, long T,
                          double *out, int out_stride, int out_offset,
                          const InterpTrace *tr, int layer, int dir, const StateIo *io)
{
    Cell cs;

    cell_init(&cs, l);
    cell_reset(&cs, l, d);
    state_in(io, cs.h, l->recurrent, cs.c, l->hidden);
    for (long n = 0; n < T; n++) {
        long t = d->reverse ? T - 1 - n : n;

        cell_step(l, d, &cs, in + t * l->input);
        if (tr)
            trace_cell(tr, l, &cs, layer, dir, t);

        /* this direction's output for step t */
        for (int r = 0; r < l->recurrent; r++)
            out[t * out_stride + out_offset + r] = cs.h[r];
    }
    state_out(io, cs.h, l->recurrent, cs.c, l->hidden);
    cell_free(&cs);
}

/* out row t = [dir 0 output at t, dir 1 output at t], each R wide. */
static void run_lstm(const IrLayer *layer, const double *in, long T, double *out,
                     const InterpTrace *tr, int index, StateIo *io)
{
    const IrLstm *l = &layer->lstm;

    for (int d = 0; d < l->dirs; d++) {
        run_direction(l, &l->dir[d], in, T, out, layer->output, d * l->recurrent, tr, index, d, io);
        state_next(io, l->recurrent, l->hidden);
    }
}

/* ---- GRU and RNN ---- */

/* One direction's state between steps, and the scratch of a step. */
typedef struct GruCell {
    double *xh;     /* [K] [x, h_prev] */
    double *h;      /* [H] h, starts at h0 or 0 */
    double *r;      /* [H] reset gate */
    double *z;      /* [H] update gate */
    double *n;      /* [H] candidate */
    double *rh;     /* [K] [x, r * h_prev] (reset before) */
} GruCell;

static void gru_init(GruCell *gc, const IrGru *g)
{
    size_t K = (size_t)(g->input + g->hidden), H = (size_t)g->hidden;

    gc->xh = mem_alloc(sizeof(double) * K);
    gc->h  = mem_alloc(sizeof(double) * H);
    gc->r  = mem_alloc(sizeof(double) * H);
    gc->z  = mem_alloc(sizeof(double) * H);
    gc->n  = mem_alloc(sizeof(double) * H);
    gc->rh = mem_alloc(sizeof(double) * K);
}

static void gru_free(GruCell *gc)
{
    mem_free(gc->xh);
    mem_free(gc->h);
    mem_free(gc->r);
    mem_free(gc->z);
    mem_free(gc->n);
    mem_free(gc->rh);
}

/* h = the initial state: h0 or zeros. */
static void gru_reset(GruCell *gc, const IrGru *g, const IrGruDirection *d)
{
    for (int j = 0; j < g->hidden; j++)
        gc->h[j] = d->h0 ? d->h0[j] : 0;
}

/* w[row] . v over columns [c0, c0 + n) of a row-major matrix of `cols`
 * columns (the x part or the h part of a [H, I + H] row). */
static double dot_part(const float *w, int row, int cols, int c0, const double *v, int n)
{
    double s = 0;
    for (int k = 0; k < n; k++)
        s += (double)w[(size_t)row * (size_t)cols + (size_t)(c0 + k)] * v[k];
    return s;
}

/* One step of direction d of GRU layer g: reads x[I], updates h. */
static void gru_step(const IrGru *g, const IrGruDirection *d, GruCell *gc, const double *x)
{
    int I = g->input, H = g->hidden, K = I + H;
    double *xh = gc->xh, *h = gc->h, *r = gc->r, *z = gc->z, *n = gc->n, *rh = gc->rh;

    /* xh = [x_t, h_prev] */
    for (int k = 0; k < I; k++)
        xh[k] = x[k];
    for (int j = 0; j < H; j++)
        xh[I + j] = h[j];

    /* reset gate: r = gate_act(w_r . xh + b_r) */
    for (int j = 0; j < H; j++)
        r[j] = activate(g->gate_act, clip(dot_row(d->w[GRU_R], j, xh, K) + bias(d->b[GRU_R], j), g->clip));

    /* update gate: z = gate_act(w_z . xh + b_z) */
    for (int j = 0; j < H; j++)
        z[j] = activate(g->gate_act, clip(dot_row(d->w[GRU_Z], j, xh, K) + bias(d->b[GRU_Z], j), g->clip));

    if (g->reset_after) {
        /* candidate, reset after: n = cand_act(w_n[x] . x + b_n + r (w_n[h] . h + b_hn)) */
        for (int j = 0; j < H; j++) {
            double in = dot_part(d->w[GRU_N], j, K, 0, xh, I) + bias(d->b[GRU_N], j);
            double rec = dot_part(d->w[GRU_N], j, K, I, h, H) + bias(d->b_hn, j);
            n[j] = activate(g->cand_act, clip(in + r[j] * rec, g->clip));
        }
    } else {
        /* candidate, reset before: n = cand_act(w_n . [x, r h] + b_n) */
        for (int k = 0; k < I; k++)
            rh[k] = x[k];
        for (int j = 0; j < H; j++)
            rh[I + j] = r[j] * h[j];
        for (int j = 0; j < H; j++)
            n[j] = activate(g->cand_act, clip(dot_row(d->w[GRU_N], j, rh, K) + bias(d->b[GRU_N], j), g->clip));
    }

    /* h' = (1 - z) n + z h */
    for (int j = 0; j < H; j++)
        h[j] = (1.0 - z[j]) * n[j] + z[j] * h[j];
}

/* One step of direction d of RNN layer g: h' = act(w . [x, h] + b). */
static void rnn_step(const IrGru *g, const IrGruDirection *d, GruCell *gc, const double *x)
{
    int I = g->input, H = g->hidden, K = I + H;
    double *xh = gc->xh, *h = gc->h;

    /* xh = [x_t, h_prev] */
    for (int k = 0; k < I; k++)
        xh[k] = x[k];
    for (int j = 0; j < H; j++)
        xh[I + j] = h[j];

    /* h' = act(w . xh + b) */
    for (int j = 0; j < H; j++)
        h[j] = activate(g->cand_act, clip(dot_row(d->w[GRU_N], j, xh, K) + bias(d->b[GRU_N], j), g->clip));
}

/* One step of a GRU or RNN layer's direction d. */
static void recurrent_step(const IrLayer *layer, const IrGruDirection *d, GruCell *gc, const double *x)
{
    if (layer->kind == IR_GRU)
        gru_step(&layer->gru, d, gc, x);
    else
        rnn_step(&layer->gru, d, gc, x);
}

/* What a trace sees of a GRU step (its gates r, z, the candidate n and h)
 * or an RNN step (h). */
static void trace_recurrent(const InterpTrace *tr, const IrLayer *layer, const GruCell *gc, int index, int dir,
                            long t)
{
    int H = layer->gru.hidden;
    InterpVec v[] = {{"r", H, gc->r}, {"z", H, gc->z}, {"n", H, gc->n}, {"h", H, gc->h}};
    if (layer->kind == IR_GRU)
        tr->step(tr->ctx, index, dir, t, v, (int)COUNT_OF(v));
    else
        tr->step(tr->ctx, index, dir, t, v + 3, 1);
}

/* out row t = [dir 0 output at t, dir 1 output at t], each H wide; a
 * backward direction reads from the last step to the first. tr (or NULL)
 * sees each step as layer `index`. */
static void run_recurrent(const IrLayer *layer, const double *in, long T, double *out, const InterpTrace *tr,
                          int index, StateIo *io)
{
    const IrGru *g = &layer->gru;

    for (int dn = 0; dn < g->dirs; dn++) {
        const IrGruDirection *d = &g->dir[dn];
        GruCell gc;

        gru_init(&gc, g);
        gru_reset(&gc, g, d);
        state_in(io, gc.h, g->hidden, NULL, 0);
        for (long k = 0; k < T; k++) {
            long t = d->reverse ? T - 1 - k : k;
            recurrent_step(layer, d, &gc, in + t * g->input);
            if (tr)
                trace_recurrent(tr, layer, &gc, index, dn, t);
            for (int j = 0; j < g->hidden; j++)
                out[t * layer->output + dn * g->hidden + j] = gc.h[j];
        }
        state_out(io, gc.h, g->hidden, NULL, 0);
        state_next(io, g->hidden, 0);
        gru_free(&gc);
    }
}

/* ---- dense ---- */

/* y = act(w x + b) for one row; softmax normalizes over the units. */
static void dense_row(const IrLayer *layer, const double *x, double *y)
{
    const IrDense *dn = &layer->dense;
    int in_n = layer->input, units = layer->output;

    /* y = w x + b */
    for (int u = 0; u < units; u++)
        y[u] = dot_row(dn->w, u, x, in_n) + bias(dn->b, u);

    if (dn->act.kind == ACT_SOFTMAX) {
        /* softmax: exp(y - max) / sum, the max subtracted for range */
        double max = y[0], sum = 0;
        for (int u = 1; u < units; u++)
            if (y[u] > max)
                max = y[u];
        for (int u = 0; u < units; u++) {
            y[u] = exp(y[u] - max);
            sum += y[u];
        }
        for (int u = 0; u < units; u++)
            y[u] /= sum;
    } else if (dn->act.kind == ACT_LOG_SOFTMAX) {
        /* log_softmax: y - max - log(sum exp(y - max)), never the log of a
         * softmax that may have rounded to 0 */
        double max = y[0], sum = 0;
        for (int u = 1; u < units; u++)
            if (y[u] > max)
                max = y[u];
        for (int u = 0; u < units; u++)
            sum += exp(y[u] - max);
        for (int u = 0; u < units; u++)
            y[u] = y[u] - max - log(sum);
    } else {
        for (int u = 0; u < units; u++)
            y[u] = activate(dn->act, y[u]);
    }
}

static void run_dense(const IrLayer *layer, const double *in, long T, double *out)
{
    for (long t = 0; t < T; t++)
        dense_row(layer, in + t * layer->input, out + t * layer->output);
}

/* ---- model ---- */

/* ---- pooling (output final, mean, max) ---- */

/* Whether the output form reduces a sequence to one vector. */
static int pools(const IrModel *m)
{
    return m->output_form == OUT_FINAL || m->output_form == OUT_MEAN || m->output_form == OUT_MAX;
}

/* The layer whose output is pooled: the last recurrent (LSTM, GRU, RNN)
 * layer; -1 for the input. */
static int pooled_layer(const IrModel *m)
{
    int k = m->nlayers - 1;
    while (k >= 0 && m->layers[k].kind == IR_DENSE)
        k--;
    return k;
}

/* seq[T][width] (the output of layer k, or the input if k < 0) reduced to
 * one row, written over seq's first row. final: each direction's state at
 * the end of its run, the forward one at row T-1, a backward one at row 0
 * (after it read step 0); mean and max: over the rows, per column. */
static void pool_rows(const IrModel *m, int k, double *seq, long T, int width)
{
    double *row = mem_alloc(sizeof(double) * (size_t)width);

    if (m->output_form == OUT_FINAL) {
        const IrLayer *L = &m->layers[k];
        int lstm = L->kind == IR_LSTM, dirs = lstm ? L->lstm.dirs : L->gru.dirs;
        int R = lstm ? L->lstm.recurrent : L->gru.hidden;
        for (int d = 0; d < dirs; d++) {
            long t = (lstm ? L->lstm.dir[d].reverse : L->gru.dir[d].reverse) ? 0 : T - 1;
            for (int r = 0; r < R; r++)
                row[d * R + r] = seq[t * width + d * R + r];
        }
    } else {
        for (int j = 0; j < width; j++) {
            double acc = seq[j];
            for (long t = 1; t < T; t++) {
                double v = seq[t * width + j];
                if (m->output_form == OUT_MEAN)
                    acc += v;
                else if (v > acc)
                    acc = v;
            }
            row[j] = m->output_form == OUT_MEAN ? acc / (double)T : acc;
        }
    }
    memcpy(seq, row, sizeof(double) * (size_t)width);
    mem_free(row);
}

/* Token id x's vector, or zeros for an id outside [0, V) (the readers
 * report such ids first, with where they are; this keeps the lookup in
 * bounds whatever the caller, as the generated code does). */
static void embed_row(const IrLayer *E, double x, double *out)
{
    int dim = E->output;
    int valid = x >= 0 && x < (double)E->input && x == (double)(long)x;
    for (int j = 0; j < dim; j++)
        out[j] = valid ? (double)E->embed.table[(long)x * dim + j] : 0.0;
}

void interp_run(const IrModel *m, const double *x, long steps, double *y)
{
    interp_run_traced(m, x, steps, y, NULL);
}

void interp_run_traced(const IrModel *m, const double *x, long steps, double *y,
                       const InterpTrace *tr)
{
    interp_run_state(m, x, steps, y, tr, NULL, NULL);
}

void interp_run_state(const IrModel *m, const double *x, long steps, double *y, const InterpTrace *tr,
                      const double *start, double *final)
{
    StateIo io = state_io(m, start, final);
    long T = steps;
    int width = m->embedding ? m->embedding->output : m->input;
    int pool_after = pools(m) ? pooled_layer(m) : m->nlayers;

    /* seq holds the current layer's input rows, [T][width]: the input, or
     * the vectors of its token ids */
    double *seq = mem_alloc(sizeof(double) * (size_t)T * (size_t)width);
    if (m->embedding)
        for (long t = 0; t < T; t++)
            embed_row(m->embedding, x[t], seq + t * width);
    else
        memcpy(seq, x, sizeof(double) * (size_t)T * (size_t)width);
    if (pool_after < 0) {
        pool_rows(m, -1, seq, T, width);
        T = 1;
    }

    for (int n = 0; n < m->nlayers; n++) {
        const IrLayer *layer = &m->layers[n];
        double *out = mem_alloc(sizeof(double) * (size_t)T * (size_t)layer->output);

        if (layer->kind == IR_LSTM)
            run_lstm(layer, seq, T, out, tr, n, &io);
        else if (layer->kind == IR_GRU || layer->kind == IR_RNN)
            run_recurrent(layer, seq, T, out, tr, n, &io);
        else
            run_dense(layer, seq, T, out);
        mem_free(seq);
        seq = out;
        width = layer->output;
        /* pooled: the layers after this one run once, on the pooled row */
        if (n == pool_after) {
            pool_rows(m, n, seq, T, width);
            T = 1;
        }
    }

    /* every row, or only the last one */
    if (m->output_last)
        memcpy(y, seq + (T - 1) * width, sizeof(double) * (size_t)width);
    else
        memcpy(y, seq, sizeof(double) * (size_t)T * (size_t)width);
    mem_free(seq);
}

/* ---- step by step ---- */

/* Each layer's state (the recurrent layers' one forward direction) and its
 * output row of the current step. */
struct InterpStream {
    const IrModel *m;
    Cell *cells;        /* [nlayers]; used by the LSTM layers */
    GruCell *grus;      /* [nlayers]; used by the GRU and RNN layers */
    double **rows;      /* [nlayers][layer output] */
    double *embedded;   /* [E]: the step's token vector, with an embedding */
    const InterpTrace *trace;   /* or NULL */
};

int interp_can_stream(const IrModel *m)
{
    /* mean and max read the whole sequence; final is last without a
     * backward direction */
    if (m->output_form == OUT_MEAN || m->output_form == OUT_MAX)
        return 0;
    for (int n = 0; n < m->nlayers; n++)
        if (m->layers[n].kind == IR_LSTM)
            for (int d = 0; d < m->layers[n].lstm.dirs; d++)
                if (m->layers[n].lstm.dir[d].reverse)
                    return 0;
    for (int n = 0; n < m->nlayers; n++)
        if (m->layers[n].kind == IR_GRU || m->layers[n].kind == IR_RNN)
            for (int d = 0; d < m->layers[n].gru.dirs; d++)
                if (m->layers[n].gru.dir[d].reverse)
                    return 0;
    return 1;
}

InterpStream *interp_stream_new(const IrModel *m)
{
    InterpStream *s = mem_alloc(sizeof *s);
    size_t n = (size_t)(m->nlayers ? m->nlayers : 1);

    s->m = m;
    s->trace = NULL;
    s->cells = mem_alloc(sizeof *s->cells * n);
    s->grus = mem_alloc(sizeof *s->grus * n);
    s->rows = mem_alloc(sizeof *s->rows * n);
    s->embedded = m->embedding ? mem_alloc(sizeof(double) * (size_t)m->embedding->output) : NULL;
    for (int k = 0; k < m->nlayers; k++) {
        const IrLayer *layer = &m->layers[k];
        s->rows[k] = mem_alloc(sizeof(double) * (size_t)layer->output);
        if (layer->kind == IR_LSTM)
            cell_init(&s->cells[k], &layer->lstm);
        else if (layer->kind == IR_GRU || layer->kind == IR_RNN)
            gru_init(&s->grus[k], &layer->gru);
    }
    interp_stream_reset(s);
    return s;
}

void interp_stream_reset(InterpStream *s)
{
    for (int k = 0; k < s->m->nlayers; k++)
        if (s->m->layers[k].kind == IR_LSTM)
            cell_reset(&s->cells[k], &s->m->layers[k].lstm, &s->m->layers[k].lstm.dir[0]);
        else if (s->m->layers[k].kind == IR_GRU || s->m->layers[k].kind == IR_RNN)
            gru_reset(&s->grus[k], &s->m->layers[k].gru, &s->m->layers[k].gru.dir[0]);
}

/* Every layer's state from, or into, a state vector (interp.h): the one
 * direction of each, in layer order. */
static void stream_state(InterpStream *s, const double *start, double *final)
{
    StateIo io = state_io(s->m, start, final);
    for (int k = 0; k < s->m->nlayers; k++) {
        const IrLayer *L = &s->m->layers[k];
        if (L->kind == IR_LSTM) {
            Cell *cs = &s->cells[k];
            state_in(&io, cs->h, L->lstm.recurrent, cs->c, L->lstm.hidden);
            state_out(&io, cs->h, L->lstm.recurrent, cs->c, L->lstm.hidden);
            state_next(&io, L->lstm.recurrent, L->lstm.hidden);
        } else if (L->kind == IR_GRU || L->kind == IR_RNN) {
            state_in(&io, s->grus[k].h, L->gru.hidden, NULL, 0);
            state_out(&io, s->grus[k].h, L->gru.hidden, NULL, 0);
            state_next(&io, L->gru.hidden, 0);
        }
    }
}

void interp_stream_set_state(InterpStream *s, const double *state)
{
    stream_state(s, state, NULL);
}

void interp_stream_get_state(InterpStream *s, double *state)
{
    stream_state(s, NULL, state);
}

void interp_stream_run(InterpStream *s, const double *x, long steps, double *y)
{
    const IrModel *m = s->m;

    for (long t = 0; t < steps; t++) {
        const double *in = x + t * m->input;
        if (m->embedding) {
            embed_row(m->embedding, *in, s->embedded);
            in = s->embedded;
        }

        /* each layer in turn on this step, reading the previous one's row */
        for (int k = 0; k < m->nlayers; k++) {
            const IrLayer *layer = &m->layers[k];
            if (layer->kind == IR_LSTM) {
                cell_step(&layer->lstm, &layer->lstm.dir[0], &s->cells[k], in);
                if (s->trace)
                    trace_cell(s->trace, &layer->lstm, &s->cells[k], k, 0, t);
                memcpy(s->rows[k], s->cells[k].h, sizeof(double) * (size_t)layer->output);
            } else if (layer->kind == IR_GRU || layer->kind == IR_RNN) {
                recurrent_step(layer, &layer->gru.dir[0], &s->grus[k], in);
                if (s->trace)
                    trace_recurrent(s->trace, layer, &s->grus[k], k, 0, t);
                memcpy(s->rows[k], s->grus[k].h, sizeof(double) * (size_t)layer->output);
            } else {
                dense_row(layer, in, s->rows[k]);
            }
            in = s->rows[k];
        }

        /* this step's row, or with output_last only the last step's */
        if (!m->output_last)
            memcpy(y + t * m->output, in, sizeof(double) * (size_t)m->output);
        else if (t == steps - 1)
            memcpy(y, in, sizeof(double) * (size_t)m->output);
    }
}

void interp_stream_trace(InterpStream *s, const InterpTrace *tr)
{
    s->trace = tr;
}

void interp_stream_free(InterpStream *s)
{
    if (!s)
        return;
    for (int k = 0; k < s->m->nlayers; k++) {
        if (s->m->layers[k].kind == IR_LSTM)
            cell_free(&s->cells[k]);
        else if (s->m->layers[k].kind == IR_GRU || s->m->layers[k].kind == IR_RNN)
            gru_free(&s->grus[k]);
        mem_free(s->rows[k]);
    }
    mem_free(s->cells);
    mem_free(s->grus);
    mem_free(s->rows);
    mem_free(s->embedded);
    mem_free(s);
}
