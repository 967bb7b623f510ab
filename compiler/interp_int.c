/*
 * interp_int.c - the integer interpreter (interp_int.h). Each step of the
 * cell follows grammar/SPEC.md "Integer-only arithmetic" line by line.
 * Tensors are held in int32 arrays (every value fits int16 but a gate's
 * 1 = 32768); sums and products are int64.
 */
#include "interp_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Row r of fr applied to [x, h]: x (I values, format fx) and h (R values,
 * format fh) brought to the accumulator's format fa by exact left shifts,
 * then requantized: rshr(acc * mult[r], shift[r]) + bias[r]. */
static int64_t row_pre(const FixedRows *fr, int r, const int32_t *x, int I, int fx, const int32_t *h, int R,
                       int fh, int fa)
{
    const int8_t *w = fr->w + (size_t)r * (size_t)fr->cols;
    int64_t ax = 0, ah = 0;
    for (int k = 0; k < I; k++)
        ax += (int64_t)w[k] * x[k];
    for (int k = 0; k < R; k++)
        ah += (int64_t)w[I + k] * h[k];
    int64_t acc = fixed_rshr(ax, fx - fa) + fixed_rshr(ah, fh - fa);
    return fixed_rshr(acc * fr->mult[r], fr->shift[r]) + fr->bias[r];
}

/* sum_j p[j] c[j] over block b's cells, in Q3.12. */
static int64_t peephole(const int16_t *p, int pf, const int32_t *c, int fc, int b, int S)
{
    int64_t s = 0;
    for (int j = b * S; j < (b + 1) * S; j++)
        s += (int64_t)p[j] * c[j];
    return fixed_rshr(s, pf + fc - FIXED_PRE_FRAC);
}

/* A gate's value from its pre-activation z (Q3.12 after clipping). */
static int32_t gate_value(const FixedLstm *fl, int64_t z)
{
    if (fl->clip_gates)
        z = fixed_clamp(z, fl->clip_gates);
    return fixed_table_at(&fl->gate, z);
}

/* One step of direction d: x (format fx) in, h and c updated. */
static void lstm_step(const IrLstm *l, const FixedLayer *F, const FixedDir *d, const int32_t *x, int32_t *h,
                      int32_t *c, int32_t *gi, int32_t *gf, int32_t *go, int32_t *g)
{
    const FixedLstm *fl = &F->lstm;
    int I = l->input, R = l->recurrent, H = l->hidden, S = l->block_size, NB = l->blocks;
    int fx = F->in_frac, fh = F->out_frac, fa = fl->acc_frac, fc = fl->cell_frac;

    /* gates i and f: sigmoid of w . [x, h] + b (+ peepholes on the old c);
     * absent ones are 1, a coupled f is 1 - i */
    for (int b = 0; b < NB; b++) {
        gi[b] = FIXED_ONE;
        if (l->has_gate[GATE_I]) {
            int64_t z = row_pre(&d->gate[GATE_I], b, x, I, fx, h, R, fh, fa);
            if (d->peep[GATE_I])
                z += peephole(d->peep[GATE_I], d->peep_frac[GATE_I], c, fc, b, S);
            gi[b] = gate_value(fl, z);
        }
        gf[b] = FIXED_ONE;
        if (l->coupled) {
            gf[b] = FIXED_ONE - gi[b];
        } else if (l->has_gate[GATE_F]) {
            int64_t z = row_pre(&d->gate[GATE_F], b, x, I, fx, h, R, fh, fa);
            if (d->peep[GATE_F])
                z += peephole(d->peep[GATE_F], d->peep_frac[GATE_F], c, fc, b, S);
            gf[b] = gate_value(fl, z);
        }
    }

    /* cell input: g = cell_input_act(w_g . [x, h] + b_g), in the table's format */
    for (int j = 0; j < H; j++) {
        int64_t z = row_pre(&d->gate[GATE_G], j, x, I, fx, h, R, fh, fa);
        if (fl->clip_gates)
            z = fixed_clamp(z, fl->clip_gates);
        g[j] = fixed_table_at(&fl->cell_in, z);
    }

    /* c' = sat16(rshr(f c, 15) + rshr(i g, 15 + fg - fc)), then clip_cell */
    for (int j = 0; j < H; j++) {
        int b = j / S;
        int64_t kept = fixed_rshr((int64_t)gf[b] * c[j], 15);
        int64_t added = fixed_rshr((int64_t)gi[b] * g[j], 15 + fl->cell_in.frac - fc);
        int64_t cn = fixed_sat16(kept + added);
        c[j] = (int32_t)(fl->clip_cell ? fixed_clamp(cn, fl->clip_cell) : cn);
    }

    /* gate o: sigmoid of w_o . [x, h] + b_o (+ peepholes on the new c) */
    for (int b = 0; b < NB; b++) {
        go[b] = FIXED_ONE;
        if (l->has_gate[GATE_O]) {
            int64_t z = row_pre(&d->gate[GATE_O], b, x, I, fx, h, R, fh, fa);
            if (d->peep[GATE_O])
                z += peephole(d->peep[GATE_O], d->peep_frac[GATE_O], c, fc, b, S);
            go[b] = gate_value(fl, z);
        }
    }

    /* h' = rshr(o cell_output_act(c' in Q3.12), 15), in the table's format */
    for (int j = 0; j < H; j++) {
        int32_t act = fixed_table_at(&fl->cell_out, fixed_rshr(c[j], fc - FIXED_PRE_FRAC));
        h[j] = (int32_t)fixed_rshr((int64_t)go[j / S] * act, 15);
    }
}

static void run_lstm(const IrLayer *L, const FixedLayer *F, const int32_t *in, long T, int32_t *out)
{
    const IrLstm *l = &L->lstm;
    int R = l->recurrent, H = l->hidden, NB = l->blocks;
    int32_t *h = mem_alloc(sizeof(int32_t) * (size_t)R), *c = mem_alloc(sizeof(int32_t) * (size_t)H);
    int32_t *g = mem_alloc(sizeof(int32_t) * (size_t)H), *gates = mem_alloc(sizeof(int32_t) * 3 * (size_t)NB);

    for (int dn = 0; dn < l->dirs; dn++) {
        const FixedDir *d = &F->lstm.dir[dn];
        for (int r = 0; r < R; r++)
            h[r] = d->h0 ? d->h0[r] : 0;
        for (int j = 0; j < H; j++)
            c[j] = d->c0 ? d->c0[j] : 0;
        for (long k = 0; k < T; k++) {
            long t = l->dir[dn].reverse ? T - 1 - k : k;
            lstm_step(l, F, d, in + t * L->input, h, c, gates, gates + NB, gates + 2 * NB, g);
            memcpy(out + t * L->output + dn * R, h, sizeof(int32_t) * (size_t)R);
        }
    }
    mem_free(h);
    mem_free(c);
    mem_free(g);
    mem_free(gates);
}

/* y = act(rshr(w x * mult, shift) + b) for every row; a softmax head's
 * rows stay logits (interp_int_run finishes them). */
static void run_dense(const IrLayer *L, const FixedLayer *F, const int32_t *in, long T, int32_t *out)
{
    const FixedDense *fd = &F->dense;
    for (long t = 0; t < T; t++)
        for (int u = 0; u < L->output; u++) {
            int64_t z = row_pre(&fd->rows, u, in + t * L->input, L->input, F->in_frac, NULL, 0, 0, F->in_frac);
            int32_t v = fd->table ? fixed_table_at(&fd->act, z) : fixed_sat16(z);
            if (fd->kind == ACT_RELU && v < 0)
                v = 0;
            out[t * L->output + u] = v;
        }
}

/* The layer whose output `output final` takes: the last LSTM layer. */
static int pooled_layer(const IrModel *m)
{
    int k = m->nlayers - 1;
    while (k >= 0 && m->layers[k].kind == IR_DENSE)
        k--;
    return k;
}

/* seq's rows of layer k reduced to its final state, in row 0: a forward
 * direction's at row T-1, a backward one's at row 0. */
static void pool_final(const IrModel *m, int k, int32_t *seq, long T, int width)
{
    const IrLstm *l = &m->layers[k].lstm;
    int R = l->recurrent;
    for (int d = 0; d < l->dirs; d++)
        if (!l->dir[d].reverse)
            memcpy(seq + d * R, seq + (T - 1) * width + d * R, sizeof(int32_t) * (size_t)R);
}

/* A softmax or log_softmax of one row of logits, in double. */
static void softmax_row(double *y, int n, int log_form)
{
    double max = y[0], sum = 0;
    for (int u = 1; u < n; u++)
        if (y[u] > max)
            max = y[u];
    for (int u = 0; u < n; u++)
        sum += exp(y[u] - max);
    for (int u = 0; u < n; u++)
        y[u] = log_form ? y[u] - max - log(sum) : exp(y[u] - max) / sum;
}

void interp_int_output_row(const FixedModel *fm, const int32_t *q, double *y)
{
    const IrModel *m = fm->m;
    int frac = m->nlayers ? fm->layers[m->nlayers - 1].out_frac : fm->in_frac;
    for (int u = 0; u < m->output; u++)
        y[u] = ldexp((double)q[u], -frac);
    const IrLayer *last = m->nlayers ? &m->layers[m->nlayers - 1] : NULL;
    if (last && last->kind == IR_DENSE &&
        (last->dense.act.kind == ACT_SOFTMAX || last->dense.act.kind == ACT_LOG_SOFTMAX))
        softmax_row(y, m->output, last->dense.act.kind == ACT_LOG_SOFTMAX);
}

void interp_int_run(const FixedModel *fm, const double *x, long steps, double *y)
{
    const IrModel *m = fm->m;
    long T = steps;
    int width = m->input;
    int pool_after = m->output_form == OUT_FINAL ? pooled_layer(m) : m->nlayers;

    /* the input, rounded to its format */
    int32_t *seq = mem_alloc(sizeof(int32_t) * (size_t)T * (size_t)width);
    for (long k = 0; k < T * width; k++)
        seq[k] = fixed_from_double(x[k], fm->in_frac);
    if (pool_after < 0)
        memmove(seq, seq + (T - 1) * width, sizeof(int32_t) * (size_t)width), T = 1;

    for (int n = 0; n < m->nlayers; n++) {
        const IrLayer *L = &m->layers[n];
        int32_t *out = mem_alloc(sizeof(int32_t) * (size_t)T * (size_t)L->output);
        if (L->kind == IR_LSTM)
            run_lstm(L, &fm->layers[n], seq, T, out);
        else
            run_dense(L, &fm->layers[n], seq, T, out);
        mem_free(seq);
        seq = out;
        width = L->output;
        if (n == pool_after) {
            pool_final(m, n, seq, T, width);
            T = 1;
        }
    }

    /* every row, or only the last one, as real numbers */
    long first = m->output_last ? T - 1 : 0;
    for (long t = first; t < T; t++)
        interp_int_output_row(fm, seq + t * width, y + (t - first) * width);
    mem_free(seq);
}

/* ---- step by step ---- */

struct IntStream {
    const FixedModel *fm;
    int32_t **h, **c;         /* [nlayers] an lstm layer's state */
    int32_t **out;            /* [nlayers] a dense layer's output row */
    int32_t *x, *g, *gates;   /* the input row; scratch of the widest layer */
};

int interp_int_can_stream(const IrModel *m)
{
    for (int n = 0; n < m->nlayers; n++)
        if (m->layers[n].kind == IR_LSTM && (m->layers[n].lstm.dirs > 1 || m->layers[n].lstm.dir[0].reverse))
            return 0;
    return 1;
}

IntStream *interp_int_stream_new(const FixedModel *fm)
{
    const IrModel *m = fm->m;
    size_t n = (size_t)(m->nlayers ? m->nlayers : 1);
    int H = 1, NB = 1;
    IntStream *s = mem_alloc(sizeof *s);
    s->fm = fm;
    s->h = mem_alloc(sizeof(int32_t *) * n);
    s->c = mem_alloc(sizeof(int32_t *) * n);
    s->out = mem_alloc(sizeof(int32_t *) * n);
    for (int k = 0; k < m->nlayers; k++) {
        const IrLayer *L = &m->layers[k];
        int lstm = L->kind == IR_LSTM;
        s->h[k] = lstm ? mem_alloc(sizeof(int32_t) * (size_t)L->lstm.recurrent) : NULL;
        s->c[k] = lstm ? mem_alloc(sizeof(int32_t) * (size_t)L->lstm.hidden) : NULL;
        s->out[k] = lstm ? NULL : mem_alloc(sizeof(int32_t) * (size_t)L->output);
        if (lstm && L->lstm.hidden > H)
            H = L->lstm.hidden;
        if (lstm && L->lstm.blocks > NB)
            NB = L->lstm.blocks;
    }
    s->x = mem_alloc(sizeof(int32_t) * (size_t)m->input);
    s->g = mem_alloc(sizeof(int32_t) * (size_t)H);
    s->gates = mem_alloc(sizeof(int32_t) * 3 * (size_t)NB);
    interp_int_stream_reset(s);
    return s;
}

void interp_int_stream_reset(IntStream *s)
{
    const IrModel *m = s->fm->m;
    for (int k = 0; k < m->nlayers; k++) {
        if (m->layers[k].kind != IR_LSTM)
            continue;
        const IrLstm *l = &m->layers[k].lstm;
        const FixedDir *d = &s->fm->layers[k].lstm.dir[0];
        for (int r = 0; r < l->recurrent; r++)
            s->h[k][r] = d->h0 ? d->h0[r] : 0;
        for (int j = 0; j < l->hidden; j++)
            s->c[k][j] = d->c0 ? d->c0[j] : 0;
    }
}

void interp_int_stream_run(IntStream *s, const double *x, long steps, double *y)
{
    const FixedModel *fm = s->fm;
    const IrModel *m = fm->m;
    for (long t = 0; t < steps; t++) {
        /* the input rounded to its format, then every layer once */
        for (int k = 0; k < m->input; k++)
            s->x[k] = fixed_from_double(x[t * m->input + k], fm->in_frac);
        const int32_t *in = s->x;
        for (int n = 0; n < m->nlayers; n++) {
            const IrLayer *L = &m->layers[n];
            if (L->kind == IR_LSTM) {
                int NB = L->lstm.blocks;
                lstm_step(&L->lstm, &fm->layers[n], &fm->layers[n].lstm.dir[0], in, s->h[n], s->c[n], s->gates,
                          s->gates + NB, s->gates + 2 * NB, s->g);
                in = s->h[n];
            } else {
                run_dense(L, &fm->layers[n], in, 1, s->out[n]);
                in = s->out[n];
            }
        }
        if (!m->output_last || t == steps - 1)
            interp_int_output_row(fm, in, y + (m->output_last ? 0 : t * m->output));
    }
}

void interp_int_stream_free(IntStream *s)
{
    if (!s)
        return;
    for (int k = 0; k < s->fm->m->nlayers; k++) {
        mem_free(s->h[k]);
        mem_free(s->c[k]);
        mem_free(s->out[k]);
    }
    mem_free(s->h);
    mem_free(s->c);
    mem_free(s->out);
    mem_free(s->x);
    mem_free(s->g);
    mem_free(s->gates);
    mem_free(s);
}
