/*
 * lower_api.c - the control code of a lowered model (lower.h): every
 * function around the kernels, as statements both emitters walk.
 *
 *   ID_run     one layer-direction over n rows of steps: the chunk loop
 *              (input projection of a chunk, then its steps one by one),
 *              backward cells from the last row;
 *   ID_batch   one step of nb sequences side by side (streaming models);
 *   NAME_reset, NAME_step, NAME_run, NAME_run_batch, NAME_run_from_state:
 *              the model's API, each layer over the rows of a chunk, a
 *              sequence or a group of sequences, then the dense head on the
 *              last row;
 *   NAME_set_state, NAME_get_state: the cells' h and c from and to the
 *              caller's arrays.
 *
 * Where each buffer's rows are in each of these contexts (rows_ptr,
 * last_ptr) is decided here and nowhere else.
 */
#include "lower.h"

#include <string.h>

typedef struct Api {
    Arena *a;
    LowModel *lm;
} Api;

/* ---- expressions ---- */

static LowExpr *expr(Api *A, LowExprKind kind)
{
    LowExpr *e = arena_alloc(A->a, sizeof *e);
    memset(e, 0, sizeof *e);
    e->kind = kind;
    return e;
}

/* The constant v, printed as macro name in C (NULL: the number). */
static const LowExpr *num(Api *A, long v, const char *name)
{
    LowExpr *e = expr(A, LX_CONST);
    e->value = v;
    e->name = name;
    return e;
}

static const LowExpr *var(Api *A, const char *name)
{
    LowExpr *e = expr(A, LX_VAR);
    e->name = name;
    return e;
}

static int is_num(const LowExpr *e, long v)
{
    return e && e->kind == LX_CONST && e->value == v;
}

/* A number without a macro's name, which the C prints as is. */
static int is_plain_num(const LowExpr *e)
{
    return e && e->kind == LX_CONST && !e->name;
}

/* x op y, without the identities (x + 0, x * 1, 0 * x) and with two plain
 * numbers folded (NAME_step's one row: 1 - 1). */
static const LowExpr *op(Api *A, LowExprKind kind, const LowExpr *x, const LowExpr *y)
{
    if (is_plain_num(x) && is_plain_num(y) && (kind == LX_ADD || kind == LX_MUL ||
                                               (kind == LX_SUB && x->value >= y->value)))
        return num(A, kind == LX_ADD ? x->value + y->value
                      : kind == LX_MUL ? x->value * y->value : x->value - y->value, NULL);
    if ((kind == LX_ADD || kind == LX_SUB) && is_num(y, 0))
        return x;
    if (kind == LX_ADD && is_num(x, 0))
        return y;
    if (kind == LX_MUL && (is_num(x, 0) || is_num(y, 1)))
        return x;
    if (kind == LX_MUL && (is_num(y, 0) || is_num(x, 1)))
        return y;
    LowExpr *e = expr(A, kind);
    e->a = x;
    e->b = y;
    return e;
}

static const LowExpr *add(Api *A, const LowExpr *x, const LowExpr *y) { return op(A, LX_ADD, x, y); }
static const LowExpr *sub(Api *A, const LowExpr *x, const LowExpr *y) { return op(A, LX_SUB, x, y); }
static const LowExpr *mul(Api *A, const LowExpr *x, const LowExpr *y) { return op(A, LX_MUL, x, y); }

/* ---- pointers ---- */

/* An offset of 0 is none. */
static const LowExpr *offset_of(const LowExpr *offset)
{
    return is_num(offset, 0) ? NULL : offset;
}

static LowPtr ptr_var(const char *name, const LowExpr *offset)
{
    LowPtr p;
    memset(&p, 0, sizeof p);
    p.kind = LP_VAR;
    p.var = name;
    p.offset = offset_of(offset);
    return p;
}

/* p, n floats on. */
static LowPtr ptr_plus(Api *A, LowPtr p, const LowExpr *n)
{
    p.offset = offset_of(p.offset ? add(A, p.offset, n) : n);
    return p;
}

/* Field `field` of the state that state* `state` points to (elem: of an
 * array of states, NULL: the first), then offset floats on. */
static LowPtr ptr_field(const char *state, const LowExpr *elem, int field, const LowExpr *offset)
{
    LowPtr p;
    memset(&p, 0, sizeof p);
    if (field < 0) {
        p.kind = LP_NULL;
        return p;
    }
    p.kind = LP_FIELD;
    p.var = state;
    p.elem = elem;
    p.field = field;
    p.offset = offset_of(offset);
    return p;
}

static LowPtr ptr_array(const LowArray *arr)
{
    LowPtr p;
    memset(&p, 0, sizeof p);
    p.kind = LP_ARRAY;
    p.array = arr;
    return p;
}

/* ---- statements ---- */

static LowStmt *stmt(Api *A, LowBlock *b, LowStmtKind kind, const char *comment)
{
    if (b->n == b->cap) {
        int cap = b->cap ? 2 * b->cap : 8;
        LowStmt *s = arena_alloc(A->a, sizeof *s * (size_t)cap);
        if (b->n)
            memcpy(s, b->s, sizeof *s * (size_t)b->n);
        b->s = s;
        b->cap = cap;
    }
    LowStmt *s = &b->s[b->n++];
    memset(s, 0, sizeof *s);
    s->kind = kind;
    s->comment = comment;
    return s;
}

/* const size_t name = e; the variable, for use. */
static const LowExpr *let(Api *A, LowBlock *b, const char *name, const LowExpr *e, const char *comment)
{
    LowStmt *s = stmt(A, b, LS_LET, comment);
    s->var = name;
    s->expr = e;
    return var(A, name);
}

/* for (size_t name = from; name < to; name += step): its body. */
static LowBlock *loop(Api *A, LowBlock *b, const char *name, const LowExpr *from, const LowExpr *to,
                      const LowExpr *step, const char *comment)
{
    LowStmt *s = stmt(A, b, LS_FOR, comment);
    s->var = name;
    s->expr = from;
    s->to = to;
    s->step = step;
    s->body = arena_alloc(A->a, sizeof *s->body);
    memset(s->body, 0, sizeof *s->body);
    return s->body;
}

static LowArg arg_ptr(LowPtr p)
{
    LowArg g;
    memset(&g, 0, sizeof g);
    g.is_ptr = 1;
    g.ptr = p;
    return g;
}

static LowArg arg_expr(const LowExpr *e)
{
    LowArg g;
    memset(&g, 0, sizeof g);
    g.expr = e;
    return g;
}

static LowStmt *call(Api *A, LowBlock *b, LowCalleeKind callee, int index, const char *comment, int nargs,
                     const LowArg *args)
{
    LowStmt *s = stmt(A, b, LS_CALL, comment);
    s->callee = callee;
    s->index = index;
    s->nargs = nargs;
    memcpy(s->args, args, sizeof *args * (size_t)nargs);
    return s;
}

static void copy(Api *A, LowBlock *b, LowPtr dst, LowPtr src, const LowExpr *n, const char *comment)
{
    LowStmt *s = stmt(A, b, LS_COPY, comment);
    s->dst = dst;
    s->src = src;
    s->n = n;
}

static void return_if_zero(Api *A, LowBlock *b, const LowExpr *e)
{
    stmt(A, b, LS_RETURN_IF_ZERO, NULL)->expr = e;
}

/* ---- functions ---- */

static void param(LowFunc *f, const char *name, LowType type)
{
    LowParam *p = &f->params[f->nparams++];
    memset(p, 0, sizeof *p);
    p->name = name;
    p->type = type;
}

/* A pointer parameter written as an array of elems floats (macro) in C. */
static void param_array(LowFunc *f, const char *name, LowType type, int elems, const char *macro)
{
    param(f, name, type);
    f->params[f->nparams - 1].elems = elems;
    f->params[f->nparams - 1].elems_macro = macro;
}

/* The C macro of a cell's size: "<CELL>_<what>". */
static const LowExpr *cell_size(Api *A, const LowCell *c, const char *what, long v)
{
    return num(A, v, arena_printf(A->a, "%s_%s", c->macro, what));
}

static const LowExpr *model_size(Api *A, const char *what, long v)
{
    return num(A, v, arena_printf(A->a, "%s_%s", A->lm->macro, what));
}

/* h's floats: the cell's R, HIDDEN or PROJ. */
static const LowExpr *cell_r(Api *A, const LowCell *c)
{
    return cell_size(A, c, c->proj ? "PROJ" : "HIDDEN", c->recurrent);
}

/*
 * ID_run(x, n, out, out_stride, h, c, pre, m): n steps, rows of x -> each
 * step's h into a row of out: chunks of CHUNK steps, each the input
 * projection of its rows, then its steps; a backward cell takes the chunks
 * from the end and each chunk's rows from its last.
 */
static void cell_run(Api *A, int k)
{
    LowModel *lm = A->lm;
    const LowCell *c = &lm->cells[k];
    LowFunc *f = &lm->cell_run[k];
    f->name = arena_printf(A->a, "%s_run", c->id);
    if (c->threads > 1) {
        /* the threaded run is the C backend's alone (the LLVM one has none) */
        f->body.n = 0;
        return;
    }
    f->comment = arena_printf(A->a,
                              "%s over n steps, %s: rows of x (INPUT floats) -> each step's h into\n"
                              "a row of out (rows out_stride floats apart). h and c carry the state;\n"
                              "pre (%s_CHUNK x GATE_ROWS floats) and m (HIDDEN) are scratch.",
                              c->title, c->reverse ? "last to first" : "first to last", lm->macro);
    param(f, "x", LT_CFLOATP);
    param(f, "n", LT_SIZE);
    param(f, "out", LT_FLOATP);
    param(f, "out_stride", LT_SIZE);
    param(f, "h", LT_FLOATP);
    param(f, "c", LT_FLOATP);
    param(f, "pre", LT_FLOATP);
    param(f, "m", LT_FLOATP);
    const LowExpr *n = var(A, "n"), *stride = var(A, "out_stride");
    const LowExpr *I = cell_size(A, c, "INPUT", c->input), *R = cell_r(A, c);
    LowBlock *b = &f->body;
    const LowExpr *CHUNK = model_size(A, "CHUNK", lm->chunk);
    LowBlock *chunks = loop(A, b, "t0", num(A, 0, NULL), n, CHUNK, NULL);
    const LowExpr *left = sub(A, n, var(A, "t0"));
    const LowExpr *cn = let(A, chunks, "cn", op(A, LX_MIN, left, CHUNK), "steps in this chunk");
    const LowExpr *base = c->reverse
        ? let(A, chunks, "base", sub(A, left, cn), "its first row: chunks from the end")
        : let(A, chunks, "base", var(A, "t0"), "its first row");
    LowArg pa[3] = {arg_ptr(ptr_var("x", mul(A, base, I))), arg_expr(cn), arg_ptr(ptr_var("pre", NULL))};
    call(A, chunks, CALLEE_CELL_PROJECT, k, NULL, 3, pa);
    LowBlock *steps = loop(A, chunks, "u", num(A, 0, NULL), cn, num(A, 1, NULL), NULL);
    const LowExpr *u = var(A, "u");
    const LowExpr *r = c->reverse
        ? let(A, steps, "r", sub(A, sub(A, cn, num(A, 1, NULL)), u), "backward")
        : let(A, steps, "r", u, NULL);
    LowArg ra[5] = {arg_ptr(ptr_var("pre", mul(A, r, cell_size(A, c, "GATE_ROWS", c->gate_rows)))),
                    arg_ptr(ptr_var("h", NULL)), arg_ptr(ptr_var("c", NULL)), arg_ptr(ptr_var("m", NULL)),
                    arg_expr(op(A, LX_MOD, u, num(A, 2, NULL)))};   /* (alternate: the step's parity) */
    call(A, steps, CALLEE_CELL_RECUR, k, NULL, c->alternate ? 5 : 4, ra);
    if (c->rows_out)
        copy(A, steps, ptr_var("out", mul(A, add(A, base, r), stride)), ptr_var("h", NULL), R, NULL);
}

/*
 * ID_batch(x, nb, out, out_stride, s): one step of nb <= CHUNK sequences:
 * row b of x is sequence b's input, its h goes to row b of out, its state
 * is s[b]; s[0].gates is the scratch: the input projection of all rows at
 * once, the recurrence of all sequences tile by tile, then each sequence's
 * new h.
 */
static void cell_batch(Api *A, int k)
{
    LowModel *lm = A->lm;
    const LowCell *c = &lm->cells[k];
    LowFunc *f = &lm->cell_batch[k];
    f->name = arena_printf(A->a, "%s_batch", c->id);
    f->comment = arena_printf(A->a,
                              "%s, one step of nb <= %s_CHUNK sequences: row b of x (INPUT floats) is\n"
                              "sequence b's input, its h goes to row b of out (rows out_stride floats\n"
                              "apart); its state is s[b]. s[0].gates is scratch.",
                              c->title, lm->macro);
    param(f, "x", LT_CFLOATP);
    param(f, "nb", LT_SIZE);
    param(f, "out", LT_FLOATP);
    param(f, "out_stride", LT_SIZE);
    param(f, "s", LT_STATEP);
    const LowExpr *nb = var(A, "nb"), *stride = var(A, "out_stride"), *R = cell_r(A, c);
    LowBlock *b = &f->body;
    LowPtr pre = ptr_field("s", NULL, lm->gates_field, NULL);
    LowArg pa[3] = {arg_ptr(ptr_var("x", NULL)), arg_expr(nb), arg_ptr(pre)};
    call(A, b, CALLEE_CELL_PROJECT, k, "the input projection of every sequence, into s[0]'s scratch", 3, pa);
    LowArg ra[3] = {arg_ptr(pre), arg_expr(nb), arg_ptr(ptr_var("s", NULL))};
    call(A, b, CALLEE_CELL_BATCH_RECUR, k, "the gates and cells of every sequence; the new h to s[b].m", 3, ra);
    if (c->proj) {
        LowArg ja[2] = {arg_expr(nb), arg_ptr(ptr_var("s", NULL))};
        call(A, b, CALLEE_CELL_BATCH_PROJECTION, k, "the new h of every sequence: s[b].h = w_proj s[b].m", 2, ja);
        if (!c->rows_out)
            return;
    }
    LowBlock *seqs = loop(A, b, "b", num(A, 0, NULL), nb, num(A, 1, NULL), NULL);
    const LowExpr *sb = var(A, "b");
    LowPtr h = ptr_field("s", sb, c->h_field, NULL), m = ptr_field("s", sb, lm->m_field, NULL);
    if (!c->proj)
        copy(A, seqs, h, m, cell_size(A, c, "HIDDEN", c->hidden), "the new h");
    if (c->rows_out)
        copy(A, seqs, ptr_var("out", mul(A, sb, stride)), h, R, NULL);
}

/* ---- the model's functions ---- */

/* Where the ops of a function find their rows. */
typedef struct Ctx {
    const char *state;           /* the state variable ("s") */
    const LowExpr *rows;         /* rows per rows op: a chunk's, a sequence's, a group's */
    const LowExpr *row0;         /* the first row of x and y: a chunk's first step, or the
                                    group's first sequence of step t (run_batch) */
    const LowExpr *steps;
    int batch;                   /* run_batch: rows are sequences */
    const LowExpr *b0, *b, *nbatch;   /* run_batch: the group's first sequence, the
                                    sequence of a last op, the batch size */
    const LowExpr *last;         /* streaming: the last step's row in its chunk */
    int step;                    /* NAME_step: one row, each cell's fused step kernel */
} Ctx;

/* The first of the rows a buffer holds in ctx, from column col. */
static LowPtr rows_ptr(Api *A, const Ctx *x, LowBuf b, int col)
{
    LowModel *lm = A->lm;
    const LowExpr *c = num(A, col, NULL);
    switch (b.kind) {
    case BUF_X:
        return ptr_var("x", add(A, mul(A, x->row0, model_size(A, "INPUT_SIZE", lm->input)), c));
    case BUF_Y:
        return ptr_var("y", add(A, mul(A, x->row0, model_size(A, "OUTPUT_SIZE", lm->output)), c));
    case BUF_SEQ:
        if (lm->streaming)
            return ptr_field(x->state, NULL, lm->seq_field[b.index], c);
        /* the caller's scratch: steps rows of each buffer, one after the other */
        return ptr_var("scratch", add(A, mul(A, x->steps, num(A, (long)b.index * lm->seq_width, NULL)), c));
    case BUF_TMP:
        return ptr_field(x->state, NULL, lm->tmp_field[b.index], c);
    case BUF_H:
        break;   /* no rows: the cell writes none (rows_out 0) */
    }
    return ptr_field(NULL, NULL, -1, NULL);
}

/* The last step's row of a buffer of width floats (output last), or a
 * vector. */
static LowPtr last_ptr(Api *A, const Ctx *x, LowBuf b, int width)
{
    LowModel *lm = A->lm;
    const LowExpr *w = num(A, width, NULL), *steps1 = sub(A, x->steps, num(A, 1, NULL));
    if (x->batch) {
        /* sequence b of the group from b0, whose rows are sequences */
        const LowExpr *seq = add(A, x->b0, x->b);
        switch (b.kind) {
        case BUF_X: return ptr_var("x", mul(A, add(A, mul(A, steps1, x->nbatch), seq), w));
        case BUF_Y: return ptr_var("y", mul(A, seq, w));
        case BUF_SEQ: return ptr_field(x->state, NULL, lm->seq_field[b.index], mul(A, x->b, w));
        case BUF_H:   return ptr_field(x->state, x->b, lm->cells[b.index].h_field, NULL);
        case BUF_TMP: break;
        }
    }
    switch (b.kind) {
    case BUF_X: return ptr_var("x", mul(A, steps1, w));
    case BUF_Y: return ptr_var("y", NULL);
    case BUF_SEQ:
        if (lm->streaming)
            return ptr_field(x->state, NULL, lm->seq_field[b.index], mul(A, x->last, w));
        return ptr_var("scratch", add(A, mul(A, x->steps, num(A, (long)b.index * lm->seq_width, NULL)),
                                      mul(A, steps1, w)));
    case BUF_TMP: return ptr_field(x->state, NULL, lm->tmp_field[b.index], NULL);
    case BUF_H:   return ptr_field(x->state, NULL, lm->cells[b.index].h_field, NULL);
    }
    return ptr_var("?", NULL);
}

static int is_rows_op(const LowOp *op)
{
    return op->kind == OP_LSTM_ROWS || op->kind == OP_DENSE_ROWS || op->kind == OP_EMBED_ROWS;
}

/* ID_run(x, n, out, out_stride, h, c, pre, m) of op o's cell over ctx's
 * rows, its scratch pre and m the state fields gates and m. */
static LowStmt *cell_run_call(Api *A, LowBlock *b, const Ctx *x, const LowOp *o, int gates, int m,
                              const char *comment)
{
    const LowCell *c = &A->lm->cells[o->cell];
    LowArg ra[8] = {arg_ptr(rows_ptr(A, x, o->in, 0)), arg_expr(x->rows), arg_ptr(rows_ptr(A, x, o->out, o->out_col)),
                    arg_expr(num(A, o->out_width, NULL)), arg_ptr(ptr_field(x->state, NULL, c->h_field, NULL)),
                    arg_ptr(ptr_field(x->state, NULL, c->c_field, NULL)),
                    arg_ptr(ptr_field(x->state, NULL, gates, NULL)), arg_ptr(ptr_field(x->state, NULL, m, NULL))};
    return call(A, b, CALLEE_CELL_RUN, o->cell, comment, 8, ra);
}

/* One op over ctx's rows. */
static void rows_op(Api *A, LowBlock *b, const Ctx *x, const LowOp *o)
{
    LowModel *lm = A->lm;
    LowPtr in = rows_ptr(A, x, o->in, 0), out = rows_ptr(A, x, o->out, o->out_col);
    const LowExpr *ow = num(A, o->out_width, NULL);
    if (o->kind == OP_EMBED_ROWS) {
        const LowEmbedding *E = &lm->embedding;
        LowArg ea[6] = {arg_ptr(ptr_array(&E->table)), arg_expr(model_size(A, "VOCABULARY", E->vocab)),
                        arg_expr(ow), arg_ptr(in), arg_expr(x->rows), arg_ptr(out)};
        LowStmt *s = call(A, b, CALLEE_RUNTIME, 0, arena_printf(A->a, "embedding %s: the vector of each token id "
                                                               "(zeros for an id out of range)", E->title), 6, ea);
        s->fn = "rt_embed_rowsf";
        return;
    }
    if (o->kind == OP_LSTM_ROWS) {
        const LowCell *c = &lm->cells[o->cell];
        if (x->batch) {
            LowArg ga[5] = {arg_ptr(in), arg_expr(x->rows), arg_ptr(out), arg_expr(ow),
                            arg_ptr(ptr_var(x->state, NULL))};
            call(A, b, CALLEE_CELL_BATCH, o->cell, c->title, 5, ga);
        } else if (x->step && c->step_kernel) {
            /* the input and recurrent products in one pass over the tiles */
            LowArg sa[4] = {arg_ptr(in), arg_ptr(ptr_field(x->state, NULL, c->h_field, NULL)),
                            arg_ptr(ptr_field(x->state, NULL, c->c_field, NULL)),
                            arg_ptr(ptr_field(x->state, NULL, lm->m_field, NULL))};
            call(A, b, CALLEE_CELL_STEP, o->cell, c->title, 4, sa);
            if (c->rows_out)
                copy(A, b, out, ptr_field(x->state, NULL, c->h_field, NULL), cell_r(A, c), NULL);
        } else if (c->threads > 1) {
            LowArg ta[5] = {arg_ptr(ptr_var(x->state, NULL)), arg_ptr(in), arg_expr(x->rows), arg_ptr(out),
                            arg_expr(ow)};
            call(A, b, CALLEE_CELL_RUN, o->cell, arena_printf(A->a, "%s, threaded", c->title), 5, ta);
        } else {
            cell_run_call(A, b, x, o, lm->gates_field, lm->m_field, c->title);
        }
        return;
    }
    const LowDense *d = &lm->layers[o->layer].dense;
    if (x->step) {
        LowArg da[2] = {arg_ptr(in), arg_ptr(out)};
        call(A, b, CALLEE_DENSE, o->layer, d->title, 2, da);
        return;
    }
    LowBlock *rows = loop(A, b, "u", num(A, 0, NULL), x->rows, num(A, 1, NULL), d->title);
    const LowExpr *u = var(A, "u");
    in = ptr_plus(A, in, mul(A, u, num(A, o->in_width, NULL)));
    out = ptr_plus(A, out, mul(A, u, ow));
    LowArg da[2] = {arg_ptr(in), arg_ptr(out)};
    call(A, rows, CALLEE_DENSE, o->layer, NULL, 2, da);
}

/* Output final, mean or max (a sequence model's run: every row of in is
 * there): the rows of in pooled into out. */
static void pool_op(Api *A, LowBlock *b, const Ctx *x, const LowOp *o, LowPtr out)
{
    LowModel *lm = A->lm;
    if (lm->output_form == OUT_FINAL) {
        /* each cell's h at the end of its run (the layer wrote no rows): a
         * forward cell's after the last step, a backward cell's after it
         * read step 0 */
        const LowLayer *L = &lm->layers[o->layer];
        for (int d = 0; d < L->ncells; d++) {
            const LowCell *c = L->cell[d];
            copy(A, b, ptr_plus(A, out, num(A, (long)d * c->recurrent, NULL)),
                 ptr_field(x->state, NULL, c->h_field, NULL), cell_r(A, c),
                 arena_printf(A->a, "the final state of %s: %s", c->title,
                              c->reverse ? "after it read step 0" : "after the last step"));
        }
        return;
    }
    int mean = lm->output_form == OUT_MEAN;
    LowArg pa[4] = {arg_ptr(rows_ptr(A, x, o->in, 0)), arg_expr(x->steps), arg_expr(num(A, o->in_width, NULL)),
                    arg_ptr(out)};
    LowStmt *s = call(A, b, CALLEE_RUNTIME, 0, mean ? "the mean over the steps" : "the maximum over the steps",
                      4, pa);
    s->fn = mean ? "rt_mean_rowsf" : "rt_max_rowsf";
}

/* One op on the last row only (output last), or on the pooled vector. */
static void last_op(Api *A, LowBlock *b, const Ctx *x, const LowOp *o)
{
    LowPtr out = last_ptr(A, x, o->out, o->out_width);
    if (o->kind == OP_POOL) {
        pool_op(A, b, x, o, out);
        return;
    }
    LowPtr in = last_ptr(A, x, o->in, o->in_width);
    if (o->kind == OP_COPY_LAST) {
        copy(A, b, out, in, num(A, o->n, NULL), "the output: the last step's row");
        return;
    }
    const LowDense *d = &A->lm->layers[o->layer].dense;
    LowArg da[2] = {arg_ptr(in), arg_ptr(out)};
    call(A, b, CALLEE_DENSE, o->layer,
         o->in.kind == BUF_TMP ? d->title : arena_printf(A->a, "%s, the last step only", d->title), 2, da);
}

/*
 * A bidirectional layer's two directions at once (direction_threads): the
 * backward one (op o + 1), with its own scratch, handed to the job's thread
 * (started for the first such layer: one thread per call, not per layer,
 * since a start costs tens of microseconds and wakes an idle core), the
 * forward one (op o) on this thread; then the wait for the backward one
 * before the next layer reads both (the join after the last).
 */
static void rows_op_pair(Api *A, LowBlock *b, const Ctx *x, const LowOp *o, int first, int last)
{
    LowModel *lm = A->lm;
    const LowOp *r = o + 1;
    const LowCell *c = &lm->cells[r->cell];
    LowStmt *s = cell_run_call(A, b, x, r, lm->gates_b_field, lm->m_b_field,
                               arena_printf(A->a, first ? "%s, on a thread of its own" : "%s, on that thread",
                                            c->title));
    s->kind = first ? LS_SPAWN : LS_POST;
    s->var = "job";
    rows_op(A, b, x, o);
    LowStmt *j = stmt(A, b, last ? LS_JOIN : LS_WAIT,
                      arena_printf(A->a, last ? "%s has run too; the thread ends" : "%s has run too", c->title));
    j->var = "job";
}

static int is_pair(const LowModel *lm, const LowOp *o)
{
    return lm->direction_threads && o->kind == OP_LSTM_ROWS && lm->layers[o->layer].ncells == 2;
}

static void rows_ops(Api *A, LowBlock *b, const Ctx *x)
{
    const LowModel *lm = A->lm;
    int pairs = 0, done = 0;
    for (int k = 0; k < lm->nops; k++)
        pairs += is_pair(lm, &lm->ops[k]);
    pairs /= 2;   /* (each direction's op counted) */
    for (int k = 0; k < lm->nops; k++) {
        const LowOp *o = &lm->ops[k];
        if (!is_rows_op(o))
            continue;
        if (is_pair(lm, o)) {
            rows_op_pair(A, b, x, o, done == 0, done == pairs - 1);
            done++;
            k++;   /* the backward direction's op, run by the pair */
            continue;
        }
        rows_op(A, b, x, o);
    }
}

static void last_ops(Api *A, LowBlock *b, const Ctx *x)
{
    for (int k = 0; k < A->lm->nops; k++)
        if (!is_rows_op(&A->lm->ops[k]))
            last_op(A, b, x, &A->lm->ops[k]);
}

/* NAME_reset(s): zeros, then the learned initial states. */
static void model_reset(Api *A)
{
    LowModel *lm = A->lm;
    LowFunc *f = &lm->reset;
    f->name = arena_printf(A->a, "%s_reset", lm->name);
    f->exported = 1;
    param(f, "s", LT_STATEP);
    long floats = 0;
    int end = -1;
    for (int k = 0; k < lm->nfields && end < 0; k++) {
        if (lm->fields[k].kind == FIELD_H || lm->fields[k].kind == FIELD_C || lm->fields[k].kind == FIELD_PAD)
            floats += lm->fields[k].floats;
        else
            end = k;
    }
    if (floats) {
        LowStmt *z = stmt(A, &f->body, LS_ZERO_STATE, NULL);
        z->dst = ptr_var("s", NULL);
        z->n = num(A, floats, NULL);
        z->index = end;
    }
    const char *comment = "the learned initial states (initial_state): every sequence starts from them";
    for (int k = 0; k < lm->ncells; k++) {
        const LowCell *c = &lm->cells[k];
        if (c->h0.data) {
            copy(A, &f->body, ptr_field("s", NULL, c->h_field, NULL), ptr_array(&c->h0),
                 num(A, c->recurrent, NULL), comment);
            comment = NULL;
        }
        if (c->c0.data) {
            copy(A, &f->body, ptr_field("s", NULL, c->c_field, NULL), ptr_array(&c->c0), num(A, c->hidden, NULL),
                 comment);
            comment = NULL;
        }
    }
}

/* The API's x: floats, or a model's token ids (int32_t). */
static LowType input_type(const LowModel *lm)
{
    return lm->tokens ? LT_CIDP : LT_CFLOATP;
}

/*
 * NAME_set_state(s, h, c) and NAME_get_state(s, h, c): each cell's h and c
 * fields from or to its place in the caller's h and c (lower.h,
 * LowModel.set_state), so that PyTorch's h_n and c_n pass as they are. A
 * GRU's or RNN's c field holds h again: set from h, never read back.
 */
static void model_state_io(Api *A)
{
    LowModel *lm = A->lm;
    const char *H = arena_printf(A->a, "%s_STATE_H_SIZE", lm->macro);
    const char *C = arena_printf(A->a, "%s_STATE_C_SIZE", lm->macro);
    lm->state_h = lm->state_c = 0;
    for (int k = 0; k < lm->ncells; k++) {
        lm->state_h += lm->cells[k].recurrent;
        lm->state_c += lm->cells[k].kind == IR_LSTM ? lm->cells[k].hidden : 0;
    }
    if (lm->ncells == 0)
        return;
    for (int set = 1; set >= 0; set--) {
        LowFunc *f = set ? &lm->set_state : &lm->get_state;
        f->name = arena_printf(A->a, set ? "%s_set_state" : "%s_get_state", lm->name);
        f->exported = 1;
        param(f, "s", LT_STATEP);
        param_array(f, "h", set ? LT_CFLOATP : LT_FLOATP, lm->state_h, H);
        /* (no array of 0 floats in C: a plain pointer, never read) */
        param_array(f, "c", set ? LT_CFLOATP : LT_FLOATP, lm->state_c, lm->state_c ? C : NULL);
        long h = 0, c = 0;
        for (int k = 0; k < lm->ncells; k++) {
            const LowCell *cell = &lm->cells[k];
            LowPtr hf = ptr_field("s", NULL, cell->h_field, NULL), cf = ptr_field("s", NULL, cell->c_field, NULL);
            LowPtr hu = ptr_var("h", num(A, h, NULL)), cu = ptr_var("c", num(A, c, NULL));
            const LowExpr *R = cell_r(A, cell), *Hn = cell_size(A, cell, "HIDDEN", cell->hidden);
            copy(A, &f->body, set ? hf : hu, set ? hu : hf, R, cell->title);
            if (cell->kind == IR_LSTM)
                copy(A, &f->body, set ? cf : cu, set ? cu : cf, Hn, NULL);
            else if (set)
                copy(A, &f->body, cf, hu, Hn, "the cell's copy of h");
            h += cell->recurrent;
            c += cell->kind == IR_LSTM ? cell->hidden : 0;
        }
    }
}

/* NAME_run(s, x, steps, y), without its body. */
static LowFunc *model_run(Api *A)
{
    LowFunc *f = &A->lm->run;
    f->name = arena_printf(A->a, "%s_run", A->lm->name);
    f->exported = 1;
    param(f, "s", LT_STATEP);
    param(f, "x", input_type(A->lm));
    param(f, "steps", LT_SIZE);
    param(f, "y", LT_FLOATP);
    return f;
}

/* NAME_step, NAME_run and NAME_run_batch of a streaming model. */
static void model_streaming(Api *A)
{
    LowModel *lm = A->lm;
    const LowExpr *CHUNK = model_size(A, "CHUNK", lm->chunk);
    const LowExpr *zero = num(A, 0, NULL), *one = num(A, 1, NULL);
    int uses_last = 0;
    for (int k = 0; k < lm->nops; k++)
        uses_last |= !is_rows_op(&lm->ops[k]) && lm->ops[k].in.kind == BUF_SEQ;

    LowFunc *f = model_run(A);
    Ctx x;
    memset(&x, 0, sizeof x);
    x.state = "s";
    x.steps = var(A, "steps");
    return_if_zero(A, &f->body, x.steps);
    int nrows = 0;
    for (int k = 0; k < lm->nops; k++)
        nrows += is_rows_op(&lm->ops[k]);
    if (nrows) {
        LowBlock *chunks = loop(A, &f->body, "t0", zero, x.steps, CHUNK,
                                arena_printf(A->a, "chunks of %s_CHUNK steps: each layer over the chunk's rows, "
                                             "then the next", lm->macro));
        x.rows = let(A, chunks, "n", op(A, LX_MIN, sub(A, x.steps, var(A, "t0")), CHUNK), NULL);
        x.row0 = var(A, "t0");
        rows_ops(A, chunks, &x);
    }
    if (lm->output_last) {
        if (uses_last)
            x.last = let(A, &f->body, "last", op(A, LX_MOD, sub(A, x.steps, one), CHUNK),
                         "the last step only: its row in the last chunk");
        last_ops(A, &f->body, &x);
    }

    f = &lm->step;
    f->name = arena_printf(A->a, "%s_step", lm->name);
    f->exported = 1;
    param(f, "s", LT_STATEP);
    param_array(f, "x", input_type(lm), lm->input, arena_printf(A->a, "%s_INPUT_SIZE", lm->macro));
    param_array(f, "y", LT_FLOATP, lm->output, arena_printf(A->a, "%s_OUTPUT_SIZE", lm->macro));
    /* NAME_run's ops on one row, each cell's step kernel fused (its input
     * projection and recurrent product in one pass over the tiles: no
     * pre rows), so that a step costs what a step of NAME_run does */
    Ctx sx;
    memset(&sx, 0, sizeof sx);
    sx.state = "s";
    sx.steps = sx.rows = one;
    sx.row0 = sx.last = zero;
    sx.step = 1;
    rows_ops(A, &f->body, &sx);
    if (lm->output_last)
        last_ops(A, &f->body, &sx);

    /* The sequences in groups of up to CHUNK, side by side: per step each
     * layer runs on the group's rows (one per sequence), so an LSTM reads
     * its weights once for the whole group. */
    f = &lm->run_batch;
    f->name = arena_printf(A->a, "%s_run_batch", lm->name);
    f->exported = 1;
    param(f, "states", LT_STATEP);
    param(f, "batch", LT_SIZE);
    param(f, "x", input_type(lm));
    param(f, "steps", LT_SIZE);
    param(f, "y", LT_FLOATP);
    memset(&x, 0, sizeof x);
    x.state = "s";
    x.batch = 1;
    x.steps = var(A, "steps");
    x.nbatch = var(A, "batch");
    return_if_zero(A, &f->body, x.steps);
    LowBlock *groups = loop(A, &f->body, "b0", zero, x.nbatch, CHUNK, NULL);
    x.b0 = var(A, "b0");
    x.rows = let(A, groups, "nb", op(A, LX_MIN, sub(A, x.nbatch, x.b0), CHUNK), "sequences in this group");
    /* (a model of dense layers only keeps nothing in its states) */
    if (lm->fields[0].kind != FIELD_EMPTY) {
        LowStmt *s = stmt(A, groups, LS_LET_STATE, "their states; s[0] lends its scratch to the group");
        s->var = "s";
        s->expr = x.b0;
        s->dst = ptr_var("states", NULL);
    }
    if (nrows) {
        LowBlock *steps = loop(A, groups, "t", zero, x.steps, one, NULL);
        x.row0 = add(A, mul(A, var(A, "t"), x.nbatch), x.b0);
        rows_ops(A, steps, &x);
    }
    if (lm->output_last) {
        LowBlock *seqs = loop(A, groups, "b", zero, x.rows, one, "the last step only: the output of each sequence");
        x.b = var(A, "b");
        last_ops(A, seqs, &x);
    }
}

/* NAME_run_from_state and NAME_run of a model with a backward direction:
 * the whole sequence, from the state in s (NAME_set_state's) or from its
 * initial state (NAME_run resets s first), the rows between layers in the
 * caller's scratch. */
static void model_sequence(Api *A)
{
    LowModel *lm = A->lm;
    LowFunc *f = &lm->run_from;
    f->name = arena_printf(A->a, "%s_run_from_state", lm->name);
    f->exported = 1;
    param(f, "s", LT_STATEP);
    param(f, "x", input_type(lm));
    param(f, "steps", LT_SIZE);
    param(f, "y", LT_FLOATP);
    param(f, "scratch", LT_FLOATP);
    Ctx x;
    memset(&x, 0, sizeof x);
    x.state = "s";
    x.steps = x.rows = var(A, "steps");
    x.row0 = num(A, 0, NULL);
    return_if_zero(A, &f->body, x.steps);
    rows_ops(A, &f->body, &x);
    last_ops(A, &f->body, &x);

    f = model_run(A);
    param(f, "scratch", LT_FLOATP);
    return_if_zero(A, &f->body, x.steps);
    LowArg ra[1] = {arg_ptr(ptr_var("s", NULL))};
    call(A, &f->body, CALLEE_MODEL_RESET, 0, NULL, 1, ra);
    LowArg fa[5] = {arg_ptr(ptr_var("s", NULL)), arg_ptr(ptr_var("x", NULL)), arg_expr(x.steps),
                    arg_ptr(ptr_var("y", NULL)), arg_ptr(ptr_var("scratch", NULL))};
    call(A, &f->body, CALLEE_MODEL_RUN_FROM, 0, NULL, 5, fa);
}

void lower_api(Arena *a, LowModel *lm)
{
    Api api = {a, lm}, *A = &api;
    lm->cell_run = arena_alloc(a, sizeof *lm->cell_run * (size_t)(lm->ncells + 1));
    lm->cell_batch = arena_alloc(a, sizeof *lm->cell_batch * (size_t)(lm->ncells + 1));
    memset(lm->cell_run, 0, sizeof *lm->cell_run * (size_t)(lm->ncells + 1));
    memset(lm->cell_batch, 0, sizeof *lm->cell_batch * (size_t)(lm->ncells + 1));
    for (int k = 0; k < lm->ncells; k++) {
        /* the fused kernel is a second copy of the cell's arithmetic: code
         * bought for a step's speed, not wanted where the least memory
         * (--chunk 1: NAME_run steps anyway) or the least code (--opt-level
         * s, z) was asked for; there NAME_step runs the chunk kernel on one row */
        lm->cells[k].step_kernel = lm->streaming && lm->cells[k].threads <= 1 && lm->chunk > 1 && !lm->target.size &&
                                   !lm->cells[k].products_int8;
        cell_run(A, k);
        if (lm->streaming)
            cell_batch(A, k);
    }
    model_reset(A);
    model_state_io(A);
    if (lm->streaming)
        model_streaming(A);
    else
        model_sequence(A);
}
