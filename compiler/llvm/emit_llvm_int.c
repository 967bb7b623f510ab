/*
 * emit_llvm_int.c - the LLVM backend of `arithmetic int16` (emit_llvm_int.h).
 *
 * Printing only, as emit_c_int.c prints the same lowering: one function per
 * layer and direction (its step), NAME_reset, and NAME_step (a streaming
 * model) or NAME_run (the lowering's passes over a whole sequence); the
 * weights, multipliers, shifts, biases and tables as internal constants; the state addressed by
 * the byte offsets the lowering decided (those of the C header's struct).
 * Every integer operation the C writes is the same operation here, on the
 * runtime's own functions (rt_pre, rt_table, rt_rshr, rt_sat16, rt_clamp),
 * so the two backends agree bit for bit (tests/run_int16.sh).
 */
#define LSTMC_LLVM_INTERNAL
#include "emit_llvm_int.h"

#include "act.h"
#include "emit_c_int.h"

#include <llvm-c/Analysis.h>

typedef struct Gen {
    LLVMContextRef ctx;
    LLVMModuleRef mod;
    LLVMBuilderRef b;
    Arena *a;
    const LowIntModel *lm;
    LLVMTypeRef i8, i16, i32, i64, idx, vd, p8, p16, p32;   /* idx: size_t */
    LLVMValueRef *tables;     /* [ntables] */
} Gen;

static LLVMValueRef c32(Gen *g, long v) { return LLVMConstInt(g->i32, (unsigned long long)v, 1); }
static LLVMValueRef c64(Gen *g, long v) { return LLVMConstInt(g->i64, (unsigned long long)v, 1); }
static LLVMValueRef cidx(Gen *g, long v) { return LLVMConstInt(g->idx, (unsigned long long)v, 0); }

/* An internal constant array of n integers of type t, named name. */
static LLVMValueRef const_array(Gen *g, LLVMTypeRef t, const char *name, long n, long (*at)(const void *, long),
                                const void *p)
{
    LLVMValueRef *v = mem_alloc(sizeof(LLVMValueRef) * (size_t)(n ? n : 1));
    for (long k = 0; k < n; k++)
        v[k] = LLVMConstInt(t, (unsigned long long)at(p, k), 1);
    LLVMValueRef gv = LLVMAddGlobal(g->mod, LLVMArrayType(t, (unsigned)n), name);
    LLVMSetInitializer(gv, LLVMConstArray(t, v, (unsigned)n));
    LLVMSetGlobalConstant(gv, 1);
    LLVMSetLinkage(gv, LLVMInternalLinkage);
    mem_free(v);
    return gv;
}

static long at_i8(const void *p, long k) { return ((const int8_t *)p)[k]; }
static long at_i16(const void *p, long k) { return ((const int16_t *)p)[k]; }
static long at_i32(const void *p, long k) { return ((const int32_t *)p)[k]; }
static long at_int(const void *p, long k) { return ((const int *)p)[k]; }
static long at_i64(const void *p, long k) { return (long)((const int64_t *)p)[k]; }

/* &array[k] of a global array of elements t, as a t pointer. */
static LLVMValueRef elem(Gen *g, LLVMValueRef arr, LLVMTypeRef t, LLVMValueRef k)
{
    LLVMValueRef p = LLVMBuildBitCast(g->b, arr, LLVMPointerType(t, 0), "");
    return LLVMBuildGEP2(g->b, t, p, &k, 1, "");
}

/* array[k], sign-extended to i64 (or zero-extended: shifts) */
static LLVMValueRef load_at(Gen *g, LLVMValueRef arr, LLVMTypeRef t, LLVMValueRef k, LLVMTypeRef to, int sign)
{
    LLVMValueRef v = LLVMBuildLoad2(g->b, t, elem(g, arr, t, k), "");
    return sign ? LLVMBuildSExt(g->b, v, to, "") : LLVMBuildZExt(g->b, v, to, "");
}

/* A pointer of type t to the state's byte off. */
static LLVMValueRef field(Gen *g, LLVMValueRef s, long off, LLVMTypeRef t)
{
    LLVMValueRef k = c64(g, off);
    LLVMValueRef p = LLVMBuildGEP2(g->b, g->i8, s, &k, 1, "");
    return LLVMBuildBitCast(g->b, p, t, "");
}

/* ---- loops: for (i = from; i < to; i++) ---- */

typedef struct Loop {
    LLVMBasicBlockRef head, body, exit;
    LLVMValueRef i;           /* of from's type (i32, or size_t) */
} Loop;

static Loop loop_begin(Gen *g, LLVMValueRef from, LLVMValueRef to)
{
    Loop l;
    LLVMValueRef fn = LLVMGetBasicBlockParent(LLVMGetInsertBlock(g->b));
    LLVMBasicBlockRef pre = LLVMGetInsertBlock(g->b);
    l.head = LLVMAppendBasicBlockInContext(g->ctx, fn, "head");
    l.body = LLVMAppendBasicBlockInContext(g->ctx, fn, "body");
    l.exit = LLVMAppendBasicBlockInContext(g->ctx, fn, "exit");
    LLVMBuildBr(g->b, l.head);
    LLVMPositionBuilderAtEnd(g->b, l.head);
    l.i = LLVMBuildPhi(g->b, LLVMTypeOf(from), "i");
    LLVMAddIncoming(l.i, &from, &pre, 1);
    LLVMBuildCondBr(g->b, LLVMBuildICmp(g->b, LLVMIntSLT, l.i, to, ""), l.body, l.exit);
    LLVMPositionBuilderAtEnd(g->b, l.body);
    return l;
}

static void loop_end(Gen *g, Loop *l)
{
    LLVMBasicBlockRef last = LLVMGetInsertBlock(g->b);
    LLVMValueRef next = LLVMBuildAdd(g->b, l->i, LLVMConstInt(LLVMTypeOf(l->i), 1, 0), "");
    LLVMAddIncoming(l->i, &next, &last, 1);
    LLVMBuildBr(g->b, l->head);
    LLVMPositionBuilderAtEnd(g->b, l->exit);
}

/* ---- the runtime ---- */

static LLVMValueRef call(Gen *g, const char *rt, LLVMValueRef *args, unsigned n)
{
    return llact_call(g->b, g->mod, rt, args, n);
}

static LLVMValueRef rshr(Gen *g, LLVMValueRef v, int n)
{
    LLVMValueRef args[2] = {v, c32(g, n)};
    return call(g, "rt_rshr", args, 2);
}

static LLVMValueRef table(Gen *g, int k, LLVMValueRef z)
{
    LLVMValueRef args[2] = {elem(g, g->tables[k], g->i16, c32(g, 0)), z};
    return call(g, "rt_table", args, 2);
}

static LLVMValueRef clamp(Gen *g, LLVMValueRef z, long limit)
{
    LLVMValueRef args[2] = {z, c64(g, limit)};
    return call(g, "rt_clamp", args, 2);
}

static LLVMValueRef sat16(Gen *g, LLVMValueRef z)
{
    return call(g, "rt_sat16", &z, 1);
}

/* The arrays of rows r: w, m, s, b. */
typedef struct RowsG {
    LLVMValueRef w, m, s, b;
} RowsG;

static RowsG rows_globals(Gen *g, const char *name, const FixedRows *r)
{
    Arena *a = g->a;
    RowsG rg;
    rg.w = const_array(g, g->i8, arena_printf(a, "%s_w", name), (long)r->rows * r->cols, at_i8, r->w);
    rg.m = const_array(g, g->i32, arena_printf(a, "%s_m", name), r->rows, at_i32, r->mult);
    rg.s = const_array(g, g->i8, arena_printf(a, "%s_s", name), r->rows, at_int, r->shift);
    rg.b = const_array(g, g->i32, arena_printf(a, "%s_b", name), r->rows, at_i64, r->bias);
    return rg;
}

/* rt_pre of row `row` of rg (K columns: nx of x shifted up by ux, nh of h by uh). */
static LLVMValueRef pre(Gen *g, RowsG *rg, LLVMValueRef row, int K, LLVMValueRef x, int nx, int ux, LLVMValueRef h,
                        int nh, int uh)
{
    LLVMValueRef args[10] = {
        elem(g, rg->w, g->i8, LLVMBuildMul(g->b, row, c32(g, K), "")), x, c32(g, nx), c32(g, ux), h, c32(g, nh),
        c32(g, uh), load_at(g, rg->m, g->i32, row, g->i32, 1), load_at(g, rg->s, g->i8, row, g->i32, 0),
        load_at(g, rg->b, g->i32, row, g->i32, 1)};
    return call(g, "rt_pre", args, 10);
}

/* ---- layers ---- */

static LLVMValueRef new_function(Gen *g, const char *name, LLVMTypeRef *params, unsigned n, int internal)
{
    LLVMValueRef fn = LLVMAddFunction(g->mod, name, LLVMFunctionType(g->vd, params, n, 0));
    if (internal)
        LLVMSetLinkage(fn, LLVMInternalLinkage);
    LLVMPositionBuilderAtEnd(g->b, LLVMAppendBasicBlockInContext(g->ctx, fn, "entry"));
    return fn;
}

/* One gate's value for block b into dst[b] (gi, gf or go), as print_gate. */
static void gate(Gen *g, int n, int dn, Gate gt, LLVMValueRef b, LLVMValueRef dst, LLVMValueRef gi, RowsG *rg,
                 LLVMValueRef peep, LLVMValueRef x, LLVMValueRef h, LLVMValueRef c)
{
    const LowIntModel *lm = g->lm;
    const IrLstm *l = &lm->m->layers[n].lstm;
    const FixedLayer *F = &lm->fm->layers[n];
    const FixedDir *d = &F->lstm.dir[dn];
    LLVMValueRef slot = LLVMBuildGEP2(g->b, g->i32, dst, &b, 1, "");
    if (!l->has_gate[gt] || (gt == GATE_F && l->coupled)) {
        LLVMValueRef v = c32(g, FIXED_ONE);
        if (gt == GATE_F && l->coupled)
            v = LLVMBuildSub(g->b, v, LLVMBuildLoad2(g->b, g->i32, LLVMBuildGEP2(g->b, g->i32, gi, &b, 1, ""), ""), "");
        LLVMBuildStore(g->b, v, slot);
        return;
    }
    LLVMValueRef z = pre(g, rg, b, l->input + l->recurrent, x, l->input, F->lstm.acc_frac - F->in_frac, h,
                         l->recurrent, F->lstm.acc_frac - F->out_frac);
    if (d->peep[gt]) {
        /* ps = sum over the block's cells of p[j] c[j] (int32 products, int64
         * sum), in a stack slot of the entry block (mem2reg makes it a phi) */
        LLVMBasicBlockRef cur = LLVMGetInsertBlock(g->b);
        LLVMBasicBlockRef entry = LLVMGetEntryBasicBlock(LLVMGetBasicBlockParent(cur));
        LLVMPositionBuilder(g->b, entry, LLVMGetFirstInstruction(entry));
        LLVMValueRef slot_ps = LLVMBuildAlloca(g->b, g->i64, "ps");
        LLVMPositionBuilderAtEnd(g->b, cur);
        LLVMBuildStore(g->b, c64(g, 0), slot_ps);
        LLVMValueRef S = c32(g, l->block_size);
        LLVMValueRef from = LLVMBuildMul(g->b, b, S, "");
        Loop lp = loop_begin(g, from, LLVMBuildAdd(g->b, from, S, ""));
        LLVMValueRef pj = load_at(g, peep, g->i16, lp.i, g->i32, 1);
        LLVMValueRef cj = LLVMBuildSExt(g->b, LLVMBuildLoad2(g->b, g->i16, LLVMBuildGEP2(g->b, g->i16, c, &lp.i, 1, ""), ""),
                                        g->i32, "");
        LLVMValueRef sum = LLVMBuildAdd(g->b, LLVMBuildLoad2(g->b, g->i64, slot_ps, ""),
                                        LLVMBuildSExt(g->b, LLVMBuildMul(g->b, pj, cj, ""), g->i64, ""), "");
        LLVMBuildStore(g->b, sum, slot_ps);
        loop_end(g, &lp);
        LLVMValueRef ps = LLVMBuildLoad2(g->b, g->i64, slot_ps, "");
        z = LLVMBuildAdd(g->b, z, rshr(g, ps, d->peep_frac[gt] + F->lstm.cell_frac - FIXED_PRE_FRAC), "");
    }
    if (F->lstm.clip_gates)
        z = clamp(g, z, (long)F->lstm.clip_gates);
    LLVMBuildStore(g->b, table(g, lm->table_of[LI_TABLES_PER_LAYER * n + LI_GATE], z), slot);
}

static void lstm_layer(Gen *g, int n, int dn)
{
    const LowIntModel *lm = g->lm;
    const IrLayer *L = &lm->m->layers[n];
    const IrLstm *l = &L->lstm;
    const FixedLayer *F = &lm->fm->layers[n];
    const FixedLstm *fl = &F->lstm;
    const FixedDir *d = &fl->dir[dn];
    const LowIntDir *ld = &lm->dirs[n][dn];
    Arena *a = g->a;
    const char *p = arena_printf(a, "%s_%s", lm->name, ld->name);
    RowsG rg[GATE_COUNT];
    LLVMValueRef peep[GATE_COUNT] = {0};
    static const char *const word[GATE_COUNT] = {"i", "f", "g", "o"};
    for (int gt = 0; gt < GATE_COUNT; gt++) {
        if (d->gate[gt].rows)
            rg[gt] = rows_globals(g, arena_printf(a, "%s_%s", p, word[gt]), &d->gate[gt]);
        if (d->peep[gt])
            peep[gt] = const_array(g, g->i16, arena_printf(a, "%s_p%s", p, word[gt]), l->hidden, at_i16, d->peep[gt]);
    }
    LLVMTypeRef params[2] = {g->p8, g->p16};
    LLVMValueRef fn = new_function(g, arena_printf(a, "%s_step", p), params, 2, 1);
    LLVMValueRef s = LLVMGetParam(fn, 0), x = LLVMGetParam(fn, 1);
    LLVMValueRef h = field(g, s, ld->off_h, g->p16), c = field(g, s, ld->off_c, g->p16);
    LLVMValueRef gi = field(g, s, lm->off_gi, g->p32), gf = field(g, s, lm->off_gf, g->p32);
    LLVMValueRef go = field(g, s, lm->off_go, g->p32), gg = field(g, s, lm->off_g, g->p32);
    int K = l->input + l->recurrent, ux = fl->acc_frac - F->in_frac, uh = fl->acc_frac - F->out_frac;

    /* gates i and f */
    Loop lb = loop_begin(g, c32(g, 0), c32(g, l->blocks));
    gate(g, n, dn, GATE_I, lb.i, gi, gi, &rg[GATE_I], peep[GATE_I], x, h, c);
    gate(g, n, dn, GATE_F, lb.i, gf, gi, &rg[GATE_F], peep[GATE_F], x, h, c);
    loop_end(g, &lb);

    /* cell input g */
    Loop lj = loop_begin(g, c32(g, 0), c32(g, l->hidden));
    LLVMValueRef z = pre(g, &rg[GATE_G], lj.i, K, x, l->input, ux, h, l->recurrent, uh);
    if (fl->clip_gates)
        z = clamp(g, z, (long)fl->clip_gates);
    LLVMBuildStore(g->b, table(g, lm->table_of[LI_TABLES_PER_LAYER * n + LI_CELL_IN], z),
                   LLVMBuildGEP2(g->b, g->i32, gg, &lj.i, 1, ""));
    loop_end(g, &lj);

    /* c' = sat16(rshr(f c, 15) + rshr(i g, 15 + fg - fc)), clipped */
    lj = loop_begin(g, c32(g, 0), c32(g, l->hidden));
    LLVMValueRef blk = LLVMBuildSDiv(g->b, lj.i, c32(g, l->block_size), "");
    LLVMValueRef cslot = LLVMBuildGEP2(g->b, g->i16, c, &lj.i, 1, "");
    LLVMValueRef cj = LLVMBuildSExt(g->b, LLVMBuildLoad2(g->b, g->i16, cslot, ""), g->i64, "");
    LLVMValueRef fv = LLVMBuildSExt(g->b, LLVMBuildLoad2(g->b, g->i32, LLVMBuildGEP2(g->b, g->i32, gf, &blk, 1, ""), ""), g->i64, "");
    LLVMValueRef iv = LLVMBuildSExt(g->b, LLVMBuildLoad2(g->b, g->i32, LLVMBuildGEP2(g->b, g->i32, gi, &blk, 1, ""), ""), g->i64, "");
    LLVMValueRef gv = LLVMBuildSExt(g->b, LLVMBuildLoad2(g->b, g->i32, LLVMBuildGEP2(g->b, g->i32, gg, &lj.i, 1, ""), ""), g->i64, "");
    LLVMValueRef kept = rshr(g, LLVMBuildMul(g->b, fv, cj, ""), 15);
    LLVMValueRef added = rshr(g, LLVMBuildMul(g->b, iv, gv, ""), 15 + fl->cell_in.frac - fl->cell_frac);
    z = LLVMBuildSExt(g->b, sat16(g, LLVMBuildAdd(g->b, kept, added, "")), g->i64, "");
    if (fl->clip_cell)
        z = clamp(g, z, (long)fl->clip_cell);
    LLVMBuildStore(g->b, LLVMBuildTrunc(g->b, z, g->i16, ""), cslot);
    loop_end(g, &lj);

    /* gate o */
    lb = loop_begin(g, c32(g, 0), c32(g, l->blocks));
    gate(g, n, dn, GATE_O, lb.i, go, gi, &rg[GATE_O], peep[GATE_O], x, h, c);
    loop_end(g, &lb);

    /* h' = rshr(o act(c' in Q3.12), 15) */
    lj = loop_begin(g, c32(g, 0), c32(g, l->hidden));
    blk = LLVMBuildSDiv(g->b, lj.i, c32(g, l->block_size), "");
    cj = LLVMBuildSExt(g->b, LLVMBuildLoad2(g->b, g->i16, LLVMBuildGEP2(g->b, g->i16, c, &lj.i, 1, ""), ""), g->i64, "");
    LLVMValueRef act = table(g, lm->table_of[LI_TABLES_PER_LAYER * n + LI_CELL_OUT],
                             rshr(g, cj, fl->cell_frac - FIXED_PRE_FRAC));
    LLVMValueRef ov = LLVMBuildSExt(g->b, LLVMBuildLoad2(g->b, g->i32, LLVMBuildGEP2(g->b, g->i32, go, &blk, 1, ""), ""), g->i64, "");
    LLVMValueRef hv = rshr(g, LLVMBuildMul(g->b, ov, LLVMBuildSExt(g->b, act, g->i64, ""), ""), 15);
    LLVMBuildStore(g->b, LLVMBuildTrunc(g->b, hv, g->i16, ""), LLVMBuildGEP2(g->b, g->i16, h, &lj.i, 1, ""));
    loop_end(g, &lj);
    LLVMBuildRetVoid(g->b);
}

static void dense_layer(Gen *g, int n)
{
    const LowIntModel *lm = g->lm;
    const IrLayer *L = &lm->m->layers[n];
    const FixedLayer *F = &lm->fm->layers[n];
    const FixedDense *fd = &F->dense;
    const char *p = arena_printf(g->a, "%s_%s", lm->name, lm->layer[n]);
    RowsG rg = rows_globals(g, p, &fd->rows);
    LLVMTypeRef params[2] = {g->p8, g->p16};
    LLVMValueRef fn = new_function(g, arena_printf(g->a, "%s_step", p), params, 2, 1);
    LLVMValueRef s = LLVMGetParam(fn, 0), x = LLVMGetParam(fn, 1);
    LLVMValueRef y = field(g, s, lm->dirs[n][0].off_h, g->p16);
    Loop lu = loop_begin(g, c32(g, 0), c32(g, L->output));
    LLVMValueRef z = pre(g, &rg, lu.i, L->input, x, L->input, 0, x, 0, 0);
    LLVMValueRef v;
    if (fd->table) {
        v = table(g, lm->table_of[LI_TABLES_PER_LAYER * n + LI_DENSE], z);
    } else {
        v = sat16(g, z);
        if (fd->kind == ACT_RELU)
            v = LLVMBuildSelect(g->b, LLVMBuildICmp(g->b, LLVMIntSLT, v, c32(g, 0), ""), c32(g, 0), v, "");
    }
    LLVMBuildStore(g->b, LLVMBuildTrunc(g->b, v, g->i16, ""), LLVMBuildGEP2(g->b, g->i16, y, &lu.i, 1, ""));
    loop_end(g, &lu);
    LLVMBuildRetVoid(g->b);
}

/* The internal step function of dirs[n][dn]: void (i8 *s, i16 *x). */
static LLVMValueRef step_function(Gen *g, int n, int dn, LLVMTypeRef *type)
{
    LLVMTypeRef params[2] = {g->p8, g->p16};
    *type = LLVMFunctionType(g->vd, params, 2, 0);
    return LLVMGetNamedFunction(g->mod, arena_printf(g->a, "%s_%s_step", g->lm->name, g->lm->dirs[n][dn].name));
}

/* for (k = 0; k < n; k++) dst[k] = src[k], int16 */
static void copy16(Gen *g, LLVMValueRef dst, LLVMValueRef src, LLVMValueRef n)
{
    Loop lk = loop_begin(g, LLVMConstInt(LLVMTypeOf(n), 0, 0), n);
    LLVMValueRef v = LLVMBuildLoad2(g->b, g->i16, LLVMBuildGEP2(g->b, g->i16, src, &lk.i, 1, ""), "");
    LLVMBuildStore(g->b, v, LLVMBuildGEP2(g->b, g->i16, dst, &lk.i, 1, ""));
    loop_end(g, &lk);
}

/* &p[k] of an int16 pointer */
static LLVMValueRef at16(Gen *g, LLVMValueRef p, LLVMValueRef k)
{
    return LLVMBuildGEP2(g->b, g->i16, p, &k, 1, "");
}

/* NAME_step of a streaming model. */
static void step_entry(Gen *g)
{
    const LowIntModel *lm = g->lm;
    LLVMTypeRef params[3] = {g->p8, g->p16, g->p16}, lt;
    LLVMValueRef fn = new_function(g, arena_printf(g->a, "%s_step", lm->name), params, 3, 0);
    LLVMValueRef s = LLVMGetParam(fn, 0), in = LLVMGetParam(fn, 1);
    for (int n = 0; n < lm->m->nlayers; n++) {
        LLVMValueRef f = step_function(g, n, 0, &lt);
        LLVMValueRef args[2] = {s, in};
        LLVMBuildCall2(g->b, lt, f, args, 2, "");
        in = field(g, s, lm->dirs[n][0].off_h, g->p16);
    }
    copy16(g, LLVMGetParam(fn, 2), in, c32(g, lm->m->output));
    LLVMBuildRetVoid(g->b);
}

/* NAME_run of a model with a backward direction: the lowering's passes,
 * as print_run prints them. */
static void run_entry(Gen *g, LLVMValueRef reset)
{
    const LowIntModel *lm = g->lm;
    LLVMTypeRef params[5] = {g->p8, g->p16, g->idx, g->p16, g->p16}, lt;
    LLVMValueRef fn = new_function(g, arena_printf(g->a, "%s_run", lm->name), params, 5, 0);
    LLVMValueRef s = LLVMGetParam(fn, 0), x = LLVMGetParam(fn, 1), steps = LLVMGetParam(fn, 2);
    LLVMValueRef scratch = LLVMGetParam(fn, 4);
    LLVMValueRef one = cidx(g, 1);
    LLVMValueRef buf[2] = {scratch, at16(g, scratch, LLVMBuildMul(g->b, steps, cidx(g, lm->buf_width), ""))};
    LLVMBuildCall2(g->b, LLVMGlobalGetValueType(reset), reset, &s, 1, "");
    for (int k = 0; k < lm->npasses; k++) {
        const LowIntPass *p = &lm->passes[k];
        const LowIntDir *d = &lm->dirs[p->layer][p->dir];
        LLVMValueRef f = step_function(g, p->layer, p->dir, &lt);
        LLVMValueRef in = p->in_buf < 0 ? x : buf[p->in_buf], out = buf[p->out_buf];
        LLVMValueRef src = field(g, s, d->off_h, g->p16);
        LLVMValueRef n = cidx(g, p->n);
        Loop rows = loop_begin(g, cidx(g, 0), steps);
        LLVMValueRef t = p->reverse ? LLVMBuildSub(g->b, LLVMBuildSub(g->b, steps, one, ""), rows.i, "") : rows.i;
        LLVMValueRef args[2] = {s, at16(g, in, LLVMBuildMul(g->b, t, cidx(g, p->in_width), ""))};
        LLVMBuildCall2(g->b, lt, f, args, 2, "");
        LLVMValueRef row = LLVMBuildMul(g->b, t, cidx(g, p->out_width), "");
        if (!p->final_only)
            copy16(g, at16(g, out, LLVMBuildAdd(g->b, row, cidx(g, p->col), "")), src, n);
        loop_end(g, &rows);
        if (p->final_only)
            copy16(g, at16(g, out, cidx(g, p->col)), src, n);
        if (p->pool)
            steps = one;
    }
    LLVMValueRef out = buf[lm->passes[lm->npasses - 1].out_buf];
    LLVMValueRef width = cidx(g, lm->m->output);
    if (lm->m->output_last)
        copy16(g, LLVMGetParam(fn, 3), at16(g, out, LLVMBuildMul(g->b, LLVMBuildSub(g->b, steps, one, ""), width, "")),
               width);
    else
        copy16(g, LLVMGetParam(fn, 3), out, LLVMBuildMul(g->b, steps, width, ""));
    LLVMBuildRetVoid(g->b);
}

/* NAME_reset, then NAME_step or NAME_run. */
static void entry_points(Gen *g)
{
    const LowIntModel *lm = g->lm;
    const IrModel *m = lm->m;
    Arena *a = g->a;
    LLVMTypeRef params[1] = {g->p8};
    LLVMValueRef reset = new_function(g, arena_printf(a, "%s_reset", lm->name), params, 1, 0);
    LLVMValueRef s = LLVMGetParam(reset, 0);
    for (int n = 0; n < m->nlayers; n++) {
        const IrLayer *L = &m->layers[n];
        for (int dn = 0; L->kind == IR_LSTM && dn < lm->ndirs[n]; dn++) {
            const FixedDir *d = &lm->fm->layers[n].lstm.dir[dn];
            const LowIntDir *ld = &lm->dirs[n][dn];
            const char *p = arena_printf(a, "%s_%s", lm->name, ld->name);
            int len[2] = {L->lstm.recurrent, L->lstm.hidden};
            LLVMValueRef src[2] = {
                d->h0 ? const_array(g, g->i16, arena_printf(a, "%s_h0", p), len[0], at_i16, d->h0) : NULL,
                d->c0 ? const_array(g, g->i16, arena_printf(a, "%s_c0", p), len[1], at_i16, d->c0) : NULL};
            LLVMValueRef dst[2] = {field(g, s, ld->off_h, g->p16), field(g, s, ld->off_c, g->p16)};
            for (int k = 0; k < 2; k++) {
                Loop lj = loop_begin(g, c32(g, 0), c32(g, len[k]));
                LLVMValueRef v = src[k] ? LLVMBuildLoad2(g->b, g->i16, elem(g, src[k], g->i16, lj.i), "")
                                        : LLVMConstInt(g->i16, 0, 0);
                LLVMBuildStore(g->b, v, LLVMBuildGEP2(g->b, g->i16, dst[k], &lj.i, 1, ""));
                loop_end(g, &lj);
            }
        }
    }
    LLVMBuildRetVoid(g->b);
    if (lm->streaming)
        step_entry(g);
    else
        run_entry(g, reset);
}

/* The int8 x int16 sums (rt_dot) are left to the loop vectorizer, which
 * sizes its vectors by the target's preferred width: 256 bits on LLVM's
 * x86 CPUs with AVX-512, so 8 int32 lanes, one vpdpwssd of 16 bytes per 8
 * products, where gcc -march=native sums 32 products per vpmaddwd on 64
 * bytes. Preferring 512 bits (vpdpwssd on 32 bytes) halves the time of
 * the two-layer H 256 model of `make bench` (weights-stacked: 2x gcc's
 * time before, as fast after); a target without 512-bit vectors keeps its
 * own widest, and other architectures ignore the attribute. */
static void prefer_wide_vectors(Gen *g)
{
    static const char key[] = "prefer-vector-width", value[] = "512";
    for (LLVMValueRef f = LLVMGetFirstFunction(g->mod); f; f = LLVMGetNextFunction(f))
        if (!LLVMIsDeclaration(f))
            LLVMAddAttributeAtIndex(f, LLVMAttributeFunctionIndex,
                                    LLVMCreateStringAttribute(g->ctx, key, sizeof key - 1, value, sizeof value - 1));
}

LLVMModuleRef emitllvm_int_module(LLVMContextRef ctx, LLVMTargetMachineRef tm, const LowIntModel *lm, LlvmOptLevel opt)
{
    Arena arena = {0};
    Gen gen = {0}, *g = &gen;
    g->ctx = ctx, g->a = &arena, g->lm = lm;
    g->mod = LLVMModuleCreateWithNameInContext(lm->name, ctx);
    g->b = LLVMCreateBuilderInContext(ctx);
    char *triple = LLVMGetTargetMachineTriple(tm);
    LLVMSetTarget(g->mod, triple);
    LLVMDisposeMessage(triple);
    LLVMTargetDataRef td = LLVMCreateTargetDataLayout(tm);
    LLVMSetModuleDataLayout(g->mod, td);
    g->i8 = LLVMInt8TypeInContext(ctx), g->i16 = LLVMInt16TypeInContext(ctx);
    g->i32 = LLVMInt32TypeInContext(ctx), g->i64 = LLVMInt64TypeInContext(ctx);
    g->vd = LLVMVoidTypeInContext(ctx);
    g->idx = LLVMIntPtrTypeInContext(ctx, td);
    g->p8 = LLVMPointerType(g->i8, 0), g->p16 = LLVMPointerType(g->i16, 0), g->p32 = LLVMPointerType(g->i32, 0);
    LLVMModuleRef result = NULL;
    if (llact_link(g->mod, 0, opt == LLVM_OPT_S || opt == LLVM_OPT_Z) == 0) {
        g->tables = arena_alloc(&arena, sizeof(LLVMValueRef) * (size_t)(lm->ntables ? lm->ntables : 1));
        for (int k = 0; k < lm->ntables; k++)
            g->tables[k] = const_array(g, g->i16, arena_printf(&arena, "%s_table%d", lm->name, k), FIXED_TABLE_SIZE,
                                       at_i16, lm->tables[k]->v);
        for (int n = 0; n < lm->m->nlayers; n++) {
            for (int dn = 0; lm->m->layers[n].kind == IR_LSTM && dn < lm->ndirs[n]; dn++)
                lstm_layer(g, n, dn);
            if (lm->m->layers[n].kind == IR_DENSE)
                dense_layer(g, n);
        }
        entry_points(g);
        prefer_wide_vectors(g);
        if (emitllvm_verify(g->mod, lm->name) == 0 && emitllvm_optimize(g->mod, tm, opt) == 0) {
            result = g->mod;
            g->mod = NULL;
        }
    }
    if (g->mod)
        LLVMDisposeModule(g->mod);
    LLVMDisposeTargetData(td);
    LLVMDisposeBuilder(g->b);
    arena_free(&arena);
    return result;
}

typedef struct IntHeader {
    const LowIntModel *lm;
    const char *ranges_path;
} IntHeader;

static void int_header(FILE *f, const void *ctx)
{
    const IntHeader *ih = ctx;
    Arena a = {0};
    emitc_int_header(f, &a, ih->lm, ih->ranges_path);
    arena_free(&a);
}

int emitllvm_int_write_files(const LowIntModel *lm, const char *ranges_path, const LlvmTarget *t,
                             LlvmEmitKind kind, const char *prefix)
{
    LLVMTargetMachineRef tm = emitllvm_target_machine(t);
    if (!tm)
        return -1;
    LLVMContextRef ctx = LLVMContextCreate();
    LLVMModuleRef mod = emitllvm_int_module(ctx, tm, lm, t->opt_level);
    IntHeader ih = {lm, ranges_path};
    int status = mod ? emitllvm_write_module(mod, tm, kind, prefix, int_header, &ih) : -1;
    if (mod)
        LLVMDisposeModule(mod);
    LLVMContextDispose(ctx);
    LLVMDisposeTargetMachine(tm);
    return status;
}
