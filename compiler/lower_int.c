/*
 * lower_int.c - the lowering of `arithmetic int16` (lower_int.h).
 */
#include "lower_int.h"

#include <ctype.h>
#include <string.h>

static const char *c_name(Arena *a, const char *s)
{
    char *t = arena_strdup(a, s);
    for (char *p = t; *p; p++)
        if (!isalnum((unsigned char)*p))
            *p = '_';
    return t;
}

static const char *upper(Arena *a, const char *s)
{
    char *t = arena_strdup(a, s);
    for (char *p = t; *p; p++)
        *p = (char)toupper((unsigned char)*p);
    return t;
}

/* The index of t among the distinct tables, adding it if new. */
static int table_index(LowIntModel *lm, const FixedTable *t, const char *what)
{
    for (int k = 0; k < lm->ntables; k++)
        if (lm->tables[k]->frac == t->frac && memcmp(lm->tables[k]->v, t->v, sizeof t->v) == 0)
            return k;
    lm->tables[lm->ntables] = t;
    lm->table_what[lm->ntables] = what;
    return lm->ntables++;
}

/* int8 weights; an int32 multiplier, a uint8 shift and an int32 bias per row */
static long rows_bytes(const FixedRows *r)
{
    return r->rows ? (long)r->rows * r->cols + 9L * r->rows : 0;
}

/* NAME_run's passes (a model with a backward direction): layer k reads
 * x (k = 0) or the buffer layer k - 1 wrote, and writes buffer k % 2; the
 * pooled layer of output final (the last lstm) writes its final state. */
static void plan_passes(Arena *a, LowIntModel *lm)
{
    const IrModel *m = lm->m;
    int pooled = -1, n = 0;
    for (int k = 0; k < m->nlayers; k++) {
        n += lm->ndirs[k];
        if (m->output_form == OUT_FINAL && m->layers[k].kind == IR_LSTM)
            pooled = k;
    }
    lm->passes = arena_alloc(a, sizeof(LowIntPass) * (size_t)(n ? n : 1));
    lm->nbufs = m->nlayers < 2 ? m->nlayers : 2;
    int width = m->input;
    for (int k = 0; k < m->nlayers; k++) {
        const IrLayer *L = &m->layers[k];
        if (L->output > lm->buf_width)
            lm->buf_width = L->output;
        for (int d = 0; d < lm->ndirs[k]; d++) {
            LowIntPass *p = &lm->passes[lm->npasses++];
            p->layer = k, p->dir = d, p->reverse = lm->dirs[k][d].reverse;
            p->in_buf = k == 0 ? -1 : (k - 1) % 2;
            p->out_buf = k % 2;
            p->in_width = width, p->out_width = L->output;
            p->n = L->kind == IR_LSTM ? L->lstm.recurrent : L->output;
            p->col = d * p->n;
            p->final_only = k == pooled;
            p->pool = k == pooled && d == lm->ndirs[k] - 1;
        }
        width = L->output;
    }
    lm->scratch_per_step = (long)lm->nbufs * lm->buf_width;
}

LowIntModel *lower_int(Arena *a, const FixedModel *fm, const char *name)
{
    const IrModel *m = fm->m;
    int n = m->nlayers, slots = LI_TABLES_PER_LAYER * (n ? n : 1);
    LowIntModel *lm = arena_alloc(a, sizeof *lm);
    lm->fm = fm, lm->m = m, lm->name = name, lm->macro = upper(a, name);
    lm->layer = arena_alloc(a, sizeof(char *) * (size_t)(n ? n : 1));
    lm->ndirs = arena_alloc(a, sizeof(int) * (size_t)(n ? n : 1));
    lm->dirs = arena_alloc(a, sizeof *lm->dirs * (size_t)(n ? n : 1));
    lm->tables = arena_alloc(a, sizeof(FixedTable *) * (size_t)slots);
    lm->table_what = arena_alloc(a, sizeof(char *) * (size_t)slots);
    lm->table_of = arena_alloc(a, sizeof(int) * (size_t)slots);
    lm->max_blocks = lm->max_hidden = 1;
    lm->streaming = 1;
    long state16 = 0;   /* int16 of the state's int16 part so far */
    for (int k = 0; k < n; k++) {
        const IrLayer *L = &m->layers[k];
        const FixedLayer *F = &fm->layers[k];
        int *to = lm->table_of + LI_TABLES_PER_LAYER * k;
        for (int s = 0; s < LI_TABLES_PER_LAYER; s++)
            to[s] = -1;
        lm->layer[k] = c_name(a, L->name);
        LowIntDir *dir = lm->dirs[k];
        lm->ndirs[k] = 1;
        dir[0].name = lm->layer[k];
        if (L->kind == IR_DENSE) {
            if (F->dense.table)
                to[LI_DENSE] = table_index(lm, &F->dense.act, ir_activation_text(a, L->dense.act));
            lm->flash_bytes += rows_bytes(&F->dense.rows);
            dir[0].off_h = 2 * state16;   /* from the int16 part's start, below */
            state16 += L->output;
            continue;
        }
        const IrLstm *l = &L->lstm;
        to[LI_GATE] = table_index(lm, &F->lstm.gate, ir_activation_text(a, l->gate_act));
        to[LI_CELL_IN] = table_index(lm, &F->lstm.cell_in, ir_activation_text(a, l->cell_input_act));
        to[LI_CELL_OUT] = table_index(lm, &F->lstm.cell_out, ir_activation_text(a, l->cell_output_act));
        lm->ndirs[k] = l->dirs;
        for (int dn = 0; dn < l->dirs; dn++) {
            const FixedDir *d = &F->lstm.dir[dn];
            for (int g = 0; g < GATE_COUNT; g++)
                lm->flash_bytes += rows_bytes(&d->gate[g]) + (d->peep[g] ? 2L * l->hidden : 0);
            lm->flash_bytes += (d->h0 ? 2L * l->recurrent : 0) + (d->c0 ? 2L * l->hidden : 0);
            dir[dn].name = dn ? arena_printf(a, "%s_bwd", lm->layer[k]) : lm->layer[k];
            dir[dn].reverse = l->dir[dn].reverse;
            lm->streaming &= !dir[dn].reverse;
            dir[dn].off_h = 2 * state16;
            dir[dn].off_c = 2 * (state16 + l->recurrent);
            state16 += l->recurrent + l->hidden;
        }
        lm->uses_clamp |= F->lstm.clip_gates || F->lstm.clip_cell;
        if (l->blocks > lm->max_blocks)
            lm->max_blocks = l->blocks;
        if (l->hidden > lm->max_hidden)
            lm->max_hidden = l->hidden;
    }
    lm->off_gi = 0;
    lm->off_gf = 4L * lm->max_blocks;
    lm->off_go = 8L * lm->max_blocks;
    lm->off_g = 12L * lm->max_blocks;
    long int16_start = 4L * (3 * lm->max_blocks + lm->max_hidden);
    for (int k = 0; k < n; k++)
        for (int d = 0; d < lm->ndirs[k]; d++) {
            lm->dirs[k][d].off_h += int16_start;
            lm->dirs[k][d].off_c += int16_start;
        }
    lm->flash_bytes += (long)lm->ntables * FIXED_TABLE_SIZE * 2;
    lm->state_bytes = 4L * (3 * lm->max_blocks + lm->max_hidden) + (2 * state16 + 3) / 4 * 4;
    const IrLayer *last = n ? &m->layers[n - 1] : NULL;
    ActKind head = last && last->kind == IR_DENSE ? last->dense.act.kind : ACT_IDENTITY;
    lm->softmax_head = head == ACT_SOFTMAX ? 1 : head == ACT_LOG_SOFTMAX ? 2 : 0;
    if (!lm->streaming)
        plan_passes(a, lm);
    return lm;
}
