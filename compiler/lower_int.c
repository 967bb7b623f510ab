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

int lower_int_supported(const IrModel *m)
{
    for (int n = 0; n < m->nlayers; n++) {
        const IrLayer *L = &m->layers[n];
        if (L->kind == IR_LSTM && (L->lstm.dirs > 1 || L->lstm.dir[0].reverse)) {
            diag_error(&L->loc, "lstm '%s': the generated code of arithmetic int16 streams forward only; a "
                       "backward direction runs in the interpreter's integer mode (lstmc run)", L->name);
            return -1;
        }
    }
    return 0;
}

LowIntModel *lower_int(Arena *a, const FixedModel *fm, const char *name)
{
    const IrModel *m = fm->m;
    int n = m->nlayers, slots = LI_TABLES_PER_LAYER * (n ? n : 1);
    LowIntModel *lm = arena_alloc(a, sizeof *lm);
    lm->fm = fm, lm->m = m, lm->name = name, lm->macro = upper(a, name);
    lm->layer = arena_alloc(a, sizeof(char *) * (size_t)(n ? n : 1));
    lm->tables = arena_alloc(a, sizeof(FixedTable *) * (size_t)slots);
    lm->table_what = arena_alloc(a, sizeof(char *) * (size_t)slots);
    lm->table_of = arena_alloc(a, sizeof(int) * (size_t)slots);
    lm->max_blocks = lm->max_hidden = 1;
    lm->off_h = arena_alloc(a, sizeof(long) * (size_t)(n ? n : 1));
    lm->off_c = arena_alloc(a, sizeof(long) * (size_t)(n ? n : 1));
    long state16 = 0;
    for (int k = 0; k < n; k++) {
        const IrLayer *L = &m->layers[k];
        const FixedLayer *F = &fm->layers[k];
        int *to = lm->table_of + LI_TABLES_PER_LAYER * k;
        for (int s = 0; s < LI_TABLES_PER_LAYER; s++)
            to[s] = -1;
        lm->layer[k] = c_name(a, L->name);
        if (L->kind == IR_DENSE) {
            if (F->dense.table)
                to[LI_DENSE] = table_index(lm, &F->dense.act, ir_activation_text(a, L->dense.act));
            lm->flash_bytes += rows_bytes(&F->dense.rows);
            lm->off_h[k] = 2 * state16;   /* from the int16 part's start, below */
            state16 += L->output;
            continue;
        }
        const IrLstm *l = &L->lstm;
        const FixedDir *d = &F->lstm.dir[0];
        to[LI_GATE] = table_index(lm, &F->lstm.gate, ir_activation_text(a, l->gate_act));
        to[LI_CELL_IN] = table_index(lm, &F->lstm.cell_in, ir_activation_text(a, l->cell_input_act));
        to[LI_CELL_OUT] = table_index(lm, &F->lstm.cell_out, ir_activation_text(a, l->cell_output_act));
        for (int g = 0; g < GATE_COUNT; g++)
            lm->flash_bytes += rows_bytes(&d->gate[g]) + (d->peep[g] ? 2L * l->hidden : 0);
        lm->flash_bytes += (d->h0 ? 2L * l->recurrent : 0) + (d->c0 ? 2L * l->hidden : 0);
        lm->uses_clamp |= F->lstm.clip_gates || F->lstm.clip_cell;
        if (l->blocks > lm->max_blocks)
            lm->max_blocks = l->blocks;
        if (l->hidden > lm->max_hidden)
            lm->max_hidden = l->hidden;
        lm->off_h[k] = 2 * state16;
        lm->off_c[k] = 2 * (state16 + l->recurrent);
        state16 += l->recurrent + l->hidden;
    }
    lm->off_gi = 0;
    lm->off_gf = 4L * lm->max_blocks;
    lm->off_go = 8L * lm->max_blocks;
    lm->off_g = 12L * lm->max_blocks;
    long int16_start = 4L * (3 * lm->max_blocks + lm->max_hidden);
    for (int k = 0; k < n; k++) {
        lm->off_h[k] += int16_start;
        lm->off_c[k] += int16_start;
    }
    lm->flash_bytes += (long)lm->ntables * FIXED_TABLE_SIZE * 2;
    lm->state_bytes = 4L * (3 * lm->max_blocks + lm->max_hidden) + (2 * state16 + 3) / 4 * 4;
    const IrLayer *last = n ? &m->layers[n - 1] : NULL;
    ActKind head = last && last->kind == IR_DENSE ? last->dense.act.kind : ACT_IDENTITY;
    lm->softmax_head = head == ACT_SOFTMAX ? 1 : head == ACT_LOG_SOFTMAX ? 2 : 0;
    return lm;
}
