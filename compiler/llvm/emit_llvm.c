/*
 * emit_llvm.c - the LLVM backend (see emit_llvm.h): builds the lowered
 * model (lower.h) as an LLVM module through LLVM's C API, the same
 * functions the C backend prints (emit_c.c), then verifies, optimizes and
 * writes it.
 *
 * Like emit_c.c, everything here follows decisions lower.c made: the same
 * packed and tiled weight arrays, the same tiles, chunk and row-wise
 * kernels, the same op list and state struct. Only the form differs: loops
 * are built with phi counters, scratch values live in allocas that the
 * optimizer promotes, and the accumulators of a tile are one LLVM vector
 * <tile_rows x float>, so the kernels vectorize whatever the target
 * (LLVM splits the vector into the target's registers). The activations
 * are the runtime's own functions (runtime/lstmc_act.h compiled to bitcode
 * when lstmc is built, linked into the module and inlined: act.c); the
 * exact ones call libm (expf, tanhf, expm1f, log1pf) as the C backend's do.
 *
 * Internal functions and weights are named "lstmc.*", a name no C
 * identifier can take, so they never collide with the exported NAME_*.
 */
#define LSTMC_LLVM_INTERNAL
#include "emit_llvm.h"

#include <llvm-c/Analysis.h>
#include <llvm-c/BitWriter.h>
#include <llvm-c/Target.h>
#include <llvm-c/Transforms/PassBuilder.h>

#include <stdint.h>
#include <string.h>

#include "act.h"
#include "lower.h"

/* ---- the builder's state ---- */

typedef struct Gen {
    LLVMContextRef ctx;
    LLVMModuleRef mod;
    LLVMBuilderRef b;
    LLVMTargetDataRef td;
    Arena *a;
    const LowModel *lm;
    LLVMTypeRef f32, i32, i8, idx, fp, vd;   /* float, i32, i8, size_t, float*, void */
    LLVMValueRef fn;                         /* the function being built */
    int little_endian;
    /* the vector layer runtime/lstmc_act.h picks for this target: RT_VL
     * floats per vector, RT_ACCS accumulators, whether rt_vfma fuses */
    int vl, accs, fma;
    int act_fma;    /* RT_FMA of the fast activations fuses (the target has FMA) */
} Gen;

/* Where the fields of NAME_state are, in floats from its start: the order
 * of emit_c.c's emit_state_struct (every field a float array, so no
 * padding). */
typedef struct Layout {
    long *h, *c;              /* per cell */
    long gates, m;
    long seq[2], tmp[2];
    long total;
} Layout;

/* The LLVM pieces of one layer-direction or dense layer. */
typedef struct CellFns {
    LLVMValueRef run;         /* lstmc.ID.run(x, n, out, stride, h, c, pre, m) */
    LLVMTypeRef run_type;
    LLVMValueRef batch;       /* lstmc.ID.batch(x, nb, out, stride, states) */
    LLVMTypeRef batch_type;
} CellFns;

typedef struct DenseFn {
    LLVMValueRef fn;          /* lstmc.ID.forward(x, y) */
    LLVMTypeRef type;
} DenseFn;

static LLVMValueRef cidx(Gen *g, long v)
{
    return LLVMConstInt(g->idx, (unsigned long long)v, 0);
}

static LLVMValueRef ci32(Gen *g, long v)
{
    return LLVMConstInt(g->i32, (unsigned long long)v, 0);
}

/* Lanes of a float or vector type: 0 for a scalar. */
static unsigned lanes(LLVMTypeRef t)
{
    return LLVMGetTypeKind(t) == LLVMVectorTypeKind ? LLVMGetVectorSize(t) : 0;
}

/* A constant of scalar or vector type t (float or i32 elements). */
static LLVMValueRef splat_const(LLVMTypeRef t, LLVMValueRef scalar)
{
    unsigned n = lanes(t);
    if (!n)
        return scalar;
    LLVMValueRef *v = mem_alloc(sizeof *v * n);
    for (unsigned k = 0; k < n; k++)
        v[k] = scalar;
    LLVMValueRef r = LLVMConstVector(v, n);
    mem_free(v);
    return r;
}

/* v must be a float's value (write constants as (double)1.5f): LLVM then
 * holds exactly the float C would. */
static LLVMValueRef fconst(Gen *g, LLVMTypeRef t, double v)
{
    return splat_const(t, LLVMConstReal(g->f32, v));
}

static LLVMValueRef gep(Gen *g, LLVMValueRef p, LLVMValueRef i)
{
    return LLVMBuildInBoundsGEP2(g->b, g->f32, p, &i, 1, "");
}

static LLVMValueRef gepc(Gen *g, LLVMValueRef p, long i)
{
    return i ? gep(g, p, cidx(g, i)) : p;
}

static LLVMValueRef add(Gen *g, LLVMValueRef x, LLVMValueRef y)
{
    return LLVMBuildAdd(g->b, x, y, "");
}

static LLVMValueRef mul(Gen *g, LLVMValueRef x, LLVMValueRef y)
{
    return LLVMBuildMul(g->b, x, y, "");
}

static LLVMValueRef loadf(Gen *g, LLVMValueRef p)
{
    return LLVMBuildLoad2(g->b, g->f32, p, "");
}

static void storef(Gen *g, LLVMValueRef v, LLVMValueRef p)
{
    LLVMBuildStore(g->b, v, p);
}

/* A vector of n floats at p, which is only float-aligned. */
static LLVMValueRef loadv(Gen *g, unsigned n, LLVMValueRef p)
{
    LLVMTypeRef vt = LLVMVectorType(g->f32, n);
    LLVMValueRef q = LLVMBuildBitCast(g->b, p, LLVMPointerType(vt, 0), "");
    LLVMValueRef v = LLVMBuildLoad2(g->b, vt, q, "");
    LLVMSetAlignment(v, 4);
    return v;
}

static void storev(Gen *g, LLVMValueRef v, LLVMValueRef p)
{
    LLVMValueRef q = LLVMBuildBitCast(g->b, p, LLVMPointerType(LLVMTypeOf(v), 0), "");
    LLVMSetAlignment(LLVMBuildStore(g->b, v, q), 4);
}

/* Every lane = the scalar s. */
static LLVMValueRef splat(Gen *g, LLVMValueRef s, unsigned n)
{
    LLVMTypeRef vt = LLVMVectorType(g->f32, n);
    LLVMValueRef v = LLVMBuildInsertElement(g->b, LLVMGetUndef(vt), s, ci32(g, 0), "");
    return LLVMBuildShuffleVector(g->b, v, LLVMGetUndef(vt), LLVMConstNull(LLVMVectorType(g->i32, n)), "");
}

/* Lanes off .. off + n - 1 of v. */
static LLVMValueRef lanes_of(Gen *g, LLVMValueRef v, int off, unsigned n)
{
    LLVMValueRef *m = mem_alloc(sizeof *m * n);
    for (unsigned k = 0; k < n; k++)
        m[k] = ci32(g, off + (long)k);
    LLVMValueRef r = LLVMBuildShuffleVector(g->b, v, LLVMGetUndef(LLVMTypeOf(v)), LLVMConstVector(m, n), "");
    mem_free(m);
    return r;
}

/* A call to the overloaded intrinsic name at type t. */
static LLVMValueRef intrinsic(Gen *g, const char *name, LLVMTypeRef t, LLVMValueRef *args, unsigned n)
{
    unsigned id = LLVMLookupIntrinsicID(name, strlen(name));
    LLVMValueRef fn = LLVMGetIntrinsicDeclaration(g->mod, id, &t, 1);
    LLVMTypeRef ft = LLVMIntrinsicGetType(g->ctx, id, &t, 1);
    return LLVMBuildCall2(g->b, ft, fn, args, n, "");
}

/* x * y + z rounded twice, as C compiled in ISO mode (-std=c99/c11: no
 * contraction) computes `s += w[k] * x[k]`. */
static LLVMValueRef madd(Gen *g, LLVMValueRef x, LLVMValueRef y, LLVMValueRef z)
{
    return LLVMBuildFAdd(g->b, LLVMBuildFMul(g->b, x, y, ""), z, "");
}

/* rt_vfma(x, y, z) of the target's vector layer in the tiled kernel of c:
 * one fused multiply-add (llvm.fma) where runtime/lstmc_act.h uses one
 * (AVX-512, AVX2 + FMA, NEON), else x * y + z rounded twice (SSE2, and the
 * plain floats of a tile whose rows are no multiple of 16). So the object
 * computes what the C backend's code computes, bit for bit. */
static LLVMValueRef vfma(Gen *g, const LowCell *c, LLVMValueRef x, LLVMValueRef y, LLVMValueRef z)
{
    if (!(c->simd && g->fma))
        return madd(g, x, y, z);
    LLVMValueRef args[3] = {x, y, z};
    return intrinsic(g, "llvm.fma", LLVMTypeOf(x), args, 3);
}

/* An alloca in the entry block (promoted to registers by the optimizer). */
static LLVMValueRef slot(Gen *g, LLVMTypeRef t)
{
    LLVMBuilderRef eb = LLVMCreateBuilderInContext(g->ctx);
    LLVMBasicBlockRef entry = LLVMGetEntryBasicBlock(g->fn);
    LLVMValueRef first = LLVMGetFirstInstruction(entry);
    if (first)
        LLVMPositionBuilderBefore(eb, first);
    else
        LLVMPositionBuilderAtEnd(eb, entry);
    LLVMValueRef v = LLVMBuildAlloca(eb, t, "");
    LLVMDisposeBuilder(eb);
    return v;
}

static void memcpy_floats(Gen *g, LLVMValueRef dst, LLVMValueRef src, long n)
{
    LLVMBuildMemCpy(g->b, dst, 4, src, 4, cidx(g, 4 * n));
}

/* ---- loops: for (i = start; i < end; i += step) ---- */

typedef struct Loop {
    LLVMBasicBlockRef head, exit;
    LLVMValueRef i, step;
} Loop;

static void loop_open(Gen *g, Loop *L, LLVMValueRef start, LLVMValueRef end, long step)
{
    LLVMBasicBlockRef pre = LLVMGetInsertBlock(g->b);
    L->head = LLVMAppendBasicBlockInContext(g->ctx, g->fn, "loop");
    LLVMBasicBlockRef body = LLVMAppendBasicBlockInContext(g->ctx, g->fn, "body");
    L->exit = LLVMAppendBasicBlockInContext(g->ctx, g->fn, "done");
    L->step = cidx(g, step);
    LLVMBuildBr(g->b, L->head);
    LLVMPositionBuilderAtEnd(g->b, L->head);
    L->i = LLVMBuildPhi(g->b, LLVMTypeOf(start), "i");
    LLVMAddIncoming(L->i, &start, &pre, 1);
    LLVMBuildCondBr(g->b, LLVMBuildICmp(g->b, LLVMIntULT, L->i, end, ""), body, L->exit);
    LLVMPositionBuilderAtEnd(g->b, body);
}

static void loop_close(Gen *g, Loop *L)
{
    LLVMValueRef next = LLVMBuildAdd(g->b, L->i, L->step, "");
    LLVMBasicBlockRef latch = LLVMGetInsertBlock(g->b);
    LLVMAddIncoming(L->i, &next, &latch, 1);
    LLVMBuildBr(g->b, L->head);
    LLVMPositionBuilderAtEnd(g->b, L->exit);
}

/* min(x, y), unsigned */
static LLVMValueRef umin(Gen *g, LLVMValueRef x, LLVMValueRef y)
{
    return LLVMBuildSelect(g->b, LLVMBuildICmp(g->b, LLVMIntULT, x, y, ""), x, y, "");
}

/* ---- functions ---- */

static void add_attr(Gen *g, LLVMValueRef fn, LLVMAttributeIndex at, const char *name)
{
    unsigned kind = LLVMGetEnumAttributeKindForName(name, strlen(name));
    LLVMAddAttributeAtIndex(fn, at, LLVMCreateEnumAttribute(g->ctx, kind, 0));
}

/*
 * Starts function name (void result, n params; internal unless exported),
 * positioned in its entry block.
 *
 * No parameter is marked noalias, though none of an internal function's
 * overlap: LLVM 14's loop vectorizer miscompiled a row-wise cell step
 * inlined into its loop over steps with noalias parameters (default<O3>,
 * found by opt -opt-bisect-limit on a random model of the differential
 * tests), and the tiled kernels are vectorized by hand anyway.
 */
static LLVMValueRef begin_fn(Gen *g, const char *name, LLVMTypeRef *params, unsigned n, int exported,
                             LLVMTypeRef *type)
{
    LLVMTypeRef ft = LLVMFunctionType(g->vd, params, n, 0);
    LLVMValueRef fn = LLVMAddFunction(g->mod, name, ft);
    LLVMSetLinkage(fn, exported ? LLVMExternalLinkage : LLVMInternalLinkage);
    add_attr(g, fn, LLVMAttributeFunctionIndex, "nounwind");
    g->fn = fn;
    LLVMPositionBuilderAtEnd(g->b, LLVMAppendBasicBlockInContext(g->ctx, fn, "entry"));
    if (type)
        *type = ft;
    return fn;
}

static LLVMValueRef param(Gen *g, unsigned k)
{
    return LLVMGetParam(g->fn, k);
}

static void call(Gen *g, LLVMTypeRef ft, LLVMValueRef fn, LLVMValueRef *args, unsigned n)
{
    LLVMBuildCall2(g->b, ft, fn, args, n, "");
}

/* ---- weights: internal constant globals ---- */

/* The array's floats as a constant global (its bytes, in the target's byte
 * order: one ConstantDataArray, fast to build for millions of weights),
 * 64-byte aligned; a float* to it, or NULL when the array is absent. */
static LLVMValueRef weights(Gen *g, const LowArray *arr)
{
    if (!arr || !arr->data)
        return NULL;
    size_t n = (size_t)(arr->planes ? arr->planes : 1) * (size_t)arr->rows * (size_t)(arr->cols ? arr->cols : 1);
    unsigned char *bytes = mem_alloc(n * 4);
    for (size_t i = 0; i < n; i++) {
        uint32_t u;
        memcpy(&u, &arr->data[i], sizeof u);
        for (int k = 0; k < 4; k++)
            bytes[4 * i + (size_t)k] = (unsigned char)(u >> (8 * (g->little_endian ? k : 3 - k)));
    }
    LLVMValueRef init = LLVMConstStringInContext(g->ctx, (const char *)bytes, (unsigned)(n * 4), 1);
    mem_free(bytes);
    LLVMValueRef gv = LLVMAddGlobal(g->mod, LLVMTypeOf(init), arena_printf(g->a, "lstmc.%s", arr->name));
    LLVMSetInitializer(gv, init);
    LLVMSetGlobalConstant(gv, 1);
    LLVMSetLinkage(gv, LLVMInternalLinkage);
    LLVMSetUnnamedAddress(gv, LLVMGlobalUnnamedAddr);
    LLVMSetAlignment(gv, 64);
    return LLVMConstBitCast(gv, g->fp);
}

/* ---- float operations, activations, clipping ---- */

static LLVMValueRef fadd(Gen *g, LLVMValueRef x, LLVMValueRef y) { return LLVMBuildFAdd(g->b, x, y, ""); }
static LLVMValueRef fsub(Gen *g, LLVMValueRef x, LLVMValueRef y) { return LLVMBuildFSub(g->b, x, y, ""); }
static LLVMValueRef fmul(Gen *g, LLVMValueRef x, LLVMValueRef y) { return LLVMBuildFMul(g->b, x, y, ""); }

static LLVMValueRef fcmp(Gen *g, LLVMRealPredicate p, LLVMValueRef x, LLVMValueRef y)
{
    return LLVMBuildFCmp(g->b, p, x, y, "");
}

static LLVMValueRef icmp(Gen *g, LLVMIntPredicate p, LLVMValueRef x, LLVMValueRef y)
{
    return LLVMBuildICmp(g->b, p, x, y, "");
}

static LLVMValueRef sel(Gen *g, LLVMValueRef c, LLVMValueRef x, LLVMValueRef y)
{
    return LLVMBuildSelect(g->b, c, x, y, "");
}

/* a(x) for a float or a vector of floats: runtime/lstmc_act.h's own
 * function, linked into the module as bitcode (act.c) */
static LLVMValueRef act(Gen *g, LowAct a, LLVMValueRef x)
{
    return llact_apply(g->b, g->mod, a, x);
}

/* x clamped to [-limit, limit]; x itself when limit is 0 (no clip): the
 * clip() that emit_c.c prints beside the runtime. */
static LLVMValueRef clip(Gen *g, LLVMValueRef x, float limit)
{
    if (limit == 0.0f)
        return x;
    LLVMTypeRef t = LLVMTypeOf(x);
    LLVMValueRef hi = fconst(g, t, (double)limit), lo = fconst(g, t, -(double)limit);
    return sel(g, fcmp(g, LLVMRealOGT, x, hi), hi, sel(g, fcmp(g, LLVMRealOLT, x, lo), lo, x));
}

/* ---- one LSTM layer-direction ---- */

/* The cell's arrays as globals. */
typedef struct CellArrays {
    LLVMValueRef w_x, w_h, b_tiled, w_gates, b_gates, peep[GATE_COUNT], w_proj;
} CellArrays;

/* The new c from f, i, g and the old c, as the gates that exist make it
 * (NULL f or i: no such gate), clipped. */
static LLVMValueRef cell_update(Gen *g, const LowCell *c, LLVMValueRef f, LLVMValueRef i, LLVMValueRef gv,
                                LLVMValueRef cold)
{
    LLVMValueRef keep = f ? fmul(g, f, cold) : cold;
    LLVMValueRef in = i ? fmul(g, i, gv) : gv;
    return clip(g, fadd(g, keep, in), c->clip_cell);
}

/* h = w_proj m, clipped: P dot products of H. */
static void build_projection(Gen *g, const LowCell *c, const CellArrays *ca, LLVMValueRef h, LLVMValueRef m)
{
    LLVMValueRef acc = slot(g, g->f32);
    Loop p, k;
    loop_open(g, &p, cidx(g, 0), cidx(g, c->proj), 1);
    LLVMValueRef w = gep(g, ca->w_proj, mul(g, p.i, cidx(g, c->hidden)));
    storef(g, fconst(g, g->f32, 0.0), acc);
    loop_open(g, &k, cidx(g, 0), cidx(g, c->hidden), 1);
    storef(g, madd(g, loadf(g, gep(g, w, k.i)), loadf(g, gep(g, m, k.i)), loadf(g, acc)), acc);
    loop_close(g, &k);
    storef(g, clip(g, loadf(g, acc), c->clip_proj), gep(g, h, p.i));
    loop_close(g, &p);
}

/* emit_c.c's PSTEPS and KSPLIT for the target's vector layer: steps per
 * pass of the input projection, and accumulator sets of the recurrent
 * product (columns k, k+1, ... each to its own set, summed at the end), as
 * many as RT_ACCS accumulator vectors allow. The same number gives the
 * same order of additions as the C. */
static int ksplit(const Gen *g, const LowCell *c)
{
    int vecs = c->tile_rows / (c->simd ? g->vl : 1);
    return g->accs / vecs >= 4 ? 4 : g->accs / vecs >= 2 ? 2 : 1;
}

/* lstmc.ID.project(x, n, pre): pre[u] = b + w_x x[u] for n <= CHUNK steps,
 * GATE_ROWS floats per step in tile order; one pass over a tile's w_x
 * serves PSTEPS steps (their accumulators in registers). */
static LLVMValueRef build_project(Gen *g, const LowCell *c, const CellArrays *ca, LLVMTypeRef *type)
{
    LLVMTypeRef ps[3] = {g->fp, g->idx, g->fp};
    LLVMValueRef fn = begin_fn(g, arena_printf(g->a, "lstmc.%s.project", c->id), ps, 3, 0, type);
    LLVMValueRef x = param(g, 0), n = param(g, 1), pre = param(g, 2);
    unsigned TR = (unsigned)c->tile_rows;
    int psteps = ksplit(g, c);
    LLVMTypeRef vt = LLVMVectorType(g->f32, TR);
    LLVMValueRef acc[4];
    for (int q = 0; q < psteps; q++)
        acc[q] = slot(g, vt);
    Loop t;
    loop_open(g, &t, cidx(g, 0), cidx(g, c->tiles), 1);
    LLVMValueRef w = gep(g, ca->w_x, mul(g, t.i, cidx(g, (long)c->input * TR)));
    LLVMValueRef bias = ca->b_tiled ? gep(g, ca->b_tiled, mul(g, t.i, cidx(g, TR))) : NULL;
    LLVMValueRef full = mul(g, LLVMBuildUDiv(g->b, n, cidx(g, psteps), ""), cidx(g, psteps));
    /* PSTEPS steps per pass up to full, then one at a time */
    for (int pass = 0; pass < 2; pass++) {
        int qn = pass == 0 ? psteps : 1;
        Loop u, k;
        loop_open(g, &u, pass == 0 ? cidx(g, 0) : full, pass == 0 ? full : n, qn);
        for (int q = 0; q < qn; q++)
            LLVMBuildStore(g->b, bias ? loadv(g, TR, bias) : fconst(g, vt, 0.0), acc[q]);
        loop_open(g, &k, cidx(g, 0), cidx(g, c->input), 1);
        LLVMValueRef wv = loadv(g, TR, gep(g, w, mul(g, k.i, cidx(g, TR))));
        for (int q = 0; q < qn; q++) {
            LLVMValueRef row = mul(g, add(g, u.i, cidx(g, q)), cidx(g, c->input));
            LLVMValueRef xk = splat(g, loadf(g, gep(g, x, add(g, row, k.i))), TR);
            LLVMBuildStore(g->b, vfma(g, c, wv, xk, LLVMBuildLoad2(g->b, vt, acc[q], "")), acc[q]);
        }
        loop_close(g, &k);
        for (int q = 0; q < qn; q++) {
            LLVMValueRef at = add(g, mul(g, add(g, u.i, cidx(g, q)), cidx(g, c->gate_rows)), mul(g, t.i, cidx(g, TR)));
            storev(g, LLVMBuildLoad2(g->b, vt, acc[q], ""), gep(g, pre, at));
        }
        loop_close(g, &u);
    }
    loop_close(g, &t);
    LLVMBuildRetVoid(g->b);
    return fn;
}

/* The pre-activation of gate q (I, F or O) of a tile's V cells, from the
 * tile's accumulated rows, plus its peephole on cv, clipped, activated. */
static LLVMValueRef tile_gate(Gen *g, const LowCell *c, const CellArrays *ca, LLVMValueRef rows, Gate q,
                              LLVMValueRef j0, LLVMValueRef cv)
{
    unsigned V = (unsigned)c->tile;
    LLVMValueRef pre = lanes_of(g, rows, c->tile_off[q], V);
    if (ca->peep[q])
        pre = fadd(g, pre, fmul(g, loadv(g, V, gep(g, ca->peep[q], j0)), cv));
    return act(g, c->gate_act, clip(g, pre, c->clip_gates));
}

static void tile_cells(Gen *g, const LowCell *c, const CellArrays *ca, LLVMValueRef rows, LLVMValueRef t,
                       LLVMValueRef cs, LLVMValueRef m);

/* lstmc.ID.recur(pre, h, c, m): one step from the projected input, tile by
 * tile: the tile's rows = pre + w_h h in one vector of TILE_ROWS floats,
 * then its V cells updated as vectors of V floats. The new h goes to m
 * (other tiles still read the old h), then to h: copied, or projected. */
static LLVMValueRef build_recur(Gen *g, const LowCell *c, const CellArrays *ca, LLVMTypeRef *type)
{
    LLVMTypeRef ps[4] = {g->fp, g->fp, g->fp, g->fp};
    LLVMValueRef fn = begin_fn(g, arena_printf(g->a, "lstmc.%s.recur", c->id), ps, 4, 0, type);
    LLVMValueRef pre = param(g, 0), h = param(g, 1), cs = param(g, 2), m = param(g, 3);
    unsigned TR = (unsigned)c->tile_rows;
    int R = c->recurrent, ks = ksplit(g, c);
    LLVMTypeRef vt = LLVMVectorType(g->f32, TR);
    LLVMValueRef acc[4];
    for (int q = 0; q < ks; q++)
        acc[q] = slot(g, vt);
    Loop t;
    loop_open(g, &t, cidx(g, 0), cidx(g, c->tiles), 1);
    LLVMValueRef w = gep(g, ca->w_h, mul(g, t.i, cidx(g, (long)R * TR)));
    LLVMBuildStore(g->b, loadv(g, TR, gep(g, pre, mul(g, t.i, cidx(g, TR)))), acc[0]);
    for (int q = 1; q < ks; q++)
        LLVMBuildStore(g->b, fconst(g, vt, 0.0), acc[q]);
    /* KSPLIT columns per pass, then the rest to the first set */
    int full = R / ks * ks;
    for (int pass = 0; pass < 2; pass++) {
        int qn = pass == 0 ? ks : 1;
        Loop k;
        loop_open(g, &k, cidx(g, pass == 0 ? 0 : full), cidx(g, pass == 0 ? full : R), qn);
        for (int q = 0; q < qn; q++) {
            LLVMValueRef col = add(g, k.i, cidx(g, q));
            LLVMValueRef wv = loadv(g, TR, gep(g, w, mul(g, col, cidx(g, TR))));
            LLVMValueRef hk = splat(g, loadf(g, gep(g, h, col)), TR);
            LLVMBuildStore(g->b, vfma(g, c, wv, hk, LLVMBuildLoad2(g->b, vt, acc[q], "")), acc[q]);
        }
        loop_close(g, &k);
    }
    LLVMValueRef rows = LLVMBuildLoad2(g->b, vt, acc[0], "");
    for (int q = 1; q < ks; q++)
        rows = fadd(g, rows, LLVMBuildLoad2(g->b, vt, acc[q], ""));

    tile_cells(g, c, ca, rows, t.i, cs, m);
    loop_close(g, &t);

    if (c->proj)
        build_projection(g, c, ca, h, m);
    else
        memcpy_floats(g, h, m, c->hidden);
    LLVMBuildRetVoid(g->b);
    return fn;
}

/* The V cells of tile t, updated at once (vectors of V floats) from the
 * tile's gate rows: c in place, the new h (or m before a projection) into
 * m, where other tiles do not read it. */
static void tile_cells(Gen *g, const LowCell *c, const CellArrays *ca, LLVMValueRef rows, LLVMValueRef t,
                       LLVMValueRef cs, LLVMValueRef m)
{
    unsigned V = (unsigned)c->tile;
    LLVMValueRef j0 = mul(g, t, cidx(g, V));
    LLVMValueRef cp = gep(g, cs, j0);
    LLVMValueRef cv = loadv(g, V, cp);
    LLVMValueRef i = NULL, f = NULL;
    if (c->has_gate[GATE_I])
        i = tile_gate(g, c, ca, rows, GATE_I, j0, cv);
    if (c->coupled)
        f = fsub(g, fconst(g, LLVMTypeOf(i), 1.0), i);
    else if (c->has_gate[GATE_F])
        f = tile_gate(g, c, ca, rows, GATE_F, j0, cv);
    LLVMValueRef gv = act(g, c->cell_input_act, clip(g, lanes_of(g, rows, c->tile_off[GATE_G], V), c->clip_gates));
    LLVMValueRef cn = cell_update(g, c, f, i, gv, cv);
    storev(g, cn, cp);
    LLVMValueRef out = act(g, c->cell_output_act, cn);
    if (c->has_gate[GATE_O])
        out = fmul(g, tile_gate(g, c, ca, rows, GATE_O, j0, cn), out);
    storev(g, out, gep(g, m, j0));
}

/* A block's gate q (I, F or O) from gates[] and the sum of its cells'
 * peepholes times c, clipped, activated. */
static LLVMValueRef block_gate(Gen *g, const LowCell *c, const CellArrays *ca, LLVMValueRef gates, Gate q,
                               LLVMValueRef blk, LLVMValueRef j0, LLVMValueRef cs)
{
    LLVMValueRef a = loadf(g, gep(g, gates, add(g, cidx(g, c->gate_off[q]), blk)));
    if (ca->peep[q]) {
        LLVMValueRef acc = slot(g, g->f32);
        storef(g, a, acc);
        Loop j;
        loop_open(g, &j, j0, add(g, j0, cidx(g, c->block_size)), 1);
        storef(g, madd(g, loadf(g, gep(g, ca->peep[q], j.i)), loadf(g, gep(g, cs, j.i)), loadf(g, acc)), acc);
        loop_close(g, &j);
        a = loadf(g, acc);
    }
    return act(g, c->gate_act, clip(g, a, c->clip_gates));
}

/* lstmc.ID.step(x, h, c, gates, m): the row-wise step of a cell with blocks
 * of S > 1 cells: gates = b + w_gates [x, h], then each block's gates once
 * for its cells. */
static LLVMValueRef build_block_step(Gen *g, const LowCell *c, const CellArrays *ca, LLVMTypeRef *type)
{
    LLVMTypeRef ps[5] = {g->fp, g->fp, g->fp, g->fp, g->fp};
    LLVMValueRef fn = begin_fn(g, arena_printf(g->a, "lstmc.%s.step", c->id), ps, 5, 0, type);
    LLVMValueRef x = param(g, 0), h = param(g, 1), cs = param(g, 2), gates = param(g, 3), m = param(g, 4);
    int I = c->input, K = c->input + c->recurrent;
    LLVMValueRef acc = slot(g, g->f32);

    /* gate pre-activations */
    Loop r, k;
    loop_open(g, &r, cidx(g, 0), cidx(g, c->gate_rows), 1);
    LLVMValueRef w = gep(g, ca->w_gates, mul(g, r.i, cidx(g, K)));
    storef(g, ca->b_gates ? loadf(g, gep(g, ca->b_gates, r.i)) : fconst(g, g->f32, 0.0), acc);
    loop_open(g, &k, cidx(g, 0), cidx(g, I), 1);
    storef(g, madd(g, loadf(g, gep(g, w, k.i)), loadf(g, gep(g, x, k.i)), loadf(g, acc)), acc);
    loop_close(g, &k);
    LLVMValueRef wh = gepc(g, w, I);
    loop_open(g, &k, cidx(g, 0), cidx(g, c->recurrent), 1);
    storef(g, madd(g, loadf(g, gep(g, wh, k.i)), loadf(g, gep(g, h, k.i)), loadf(g, acc)), acc);
    loop_close(g, &k);
    storef(g, loadf(g, acc), gep(g, gates, r.i));
    loop_close(g, &r);

    /* the blocks */
    LLVMValueRef out = c->proj ? m : h;
    Loop b, j;
    loop_open(g, &b, cidx(g, 0), cidx(g, c->blocks), 1);
    LLVMValueRef j0 = mul(g, b.i, cidx(g, c->block_size)), j1 = add(g, j0, cidx(g, c->block_size));
    LLVMValueRef i = NULL, f = NULL;
    if (c->has_gate[GATE_I])
        i = block_gate(g, c, ca, gates, GATE_I, b.i, j0, cs);
    if (c->coupled)
        f = fsub(g, fconst(g, g->f32, 1.0), i);
    else if (c->has_gate[GATE_F])
        f = block_gate(g, c, ca, gates, GATE_F, b.i, j0, cs);
    loop_open(g, &j, j0, j1, 1);
    LLVMValueRef gv = act(g, c->cell_input_act,
                          clip(g, loadf(g, gep(g, gates, add(g, cidx(g, c->gate_off[GATE_G]), j.i))), c->clip_gates));
    LLVMValueRef cp = gep(g, cs, j.i);
    storef(g, cell_update(g, c, f, i, gv, loadf(g, cp)), cp);
    loop_close(g, &j);
    LLVMValueRef o = c->has_gate[GATE_O] ? block_gate(g, c, ca, gates, GATE_O, b.i, j0, cs) : NULL;
    loop_open(g, &j, j0, j1, 1);
    LLVMValueRef v = act(g, c->cell_output_act, loadf(g, gep(g, cs, j.i)));
    storef(g, o ? fmul(g, o, v) : v, gep(g, out, j.i));
    loop_close(g, &j);
    loop_close(g, &b);

    if (c->proj)
        build_projection(g, c, ca, h, m);
    LLVMBuildRetVoid(g->b);
    return fn;
}

/* lstmc.ID.run(x, n, out, out_stride, h, c, pre, m): n steps, rows of x ->
 * each step's h into a row of out; backward cells from the last row. */
static void build_cell_batch(Gen *g, const LowCell *c, const CellArrays *ca, CellFns *cf, const Layout *L,
                             int index, LLVMValueRef project, LLVMTypeRef proj_t, LLVMValueRef step,
                             LLVMTypeRef step_t);

static CellFns build_cell(Gen *g, const LowCell *c, const Layout *L, int index)
{
    CellArrays ca = {0};
    for (int q = 0; q < GATE_COUNT; q++)
        ca.peep[q] = weights(g, &c->peep[q]);
    ca.w_proj = weights(g, &c->w_proj);
    LLVMTypeRef proj_t = NULL, recur_t = NULL, step_t = NULL;
    LLVMValueRef project = NULL, recur = NULL, step = NULL;
    if (c->tiled) {
        ca.w_x = weights(g, &c->w_x);
        ca.w_h = weights(g, &c->w_h);
        ca.b_tiled = weights(g, &c->b_tiled);
        project = build_project(g, c, &ca, &proj_t);
        recur = build_recur(g, c, &ca, &recur_t);
    } else {
        ca.w_gates = weights(g, &c->w_gates);
        ca.b_gates = weights(g, &c->b_gates);
        step = build_block_step(g, c, &ca, &step_t);
    }

    CellFns cf;
    LLVMTypeRef ps[8] = {g->fp, g->idx, g->fp, g->idx, g->fp, g->fp, g->fp, g->fp};
    cf.run = begin_fn(g, arena_printf(g->a, "lstmc.%s.run", c->id), ps, 8, 0, &cf.run_type);
    LLVMValueRef x = param(g, 0), n = param(g, 1), out = param(g, 2), stride = param(g, 3);
    LLVMValueRef h = param(g, 4), cs = param(g, 5), pre = param(g, 6), m = param(g, 7);
    long R = c->recurrent;
    if (c->tiled) {
        long CH = g->lm->chunk;
        Loop t0, u;
        loop_open(g, &t0, cidx(g, 0), n, CH);
        LLVMValueRef left = LLVMBuildSub(g->b, n, t0.i, "");
        LLVMValueRef cn = umin(g, left, cidx(g, CH));
        LLVMValueRef base = c->reverse ? LLVMBuildSub(g->b, left, cn, "") : t0.i;
        LLVMValueRef pa[3] = {gep(g, x, mul(g, base, cidx(g, c->input))), cn, pre};
        call(g, proj_t, project, pa, 3);
        loop_open(g, &u, cidx(g, 0), cn, 1);
        LLVMValueRef r = c->reverse ? LLVMBuildSub(g->b, LLVMBuildSub(g->b, cn, cidx(g, 1), ""), u.i, "") : u.i;
        LLVMValueRef ra[4] = {gep(g, pre, mul(g, r, cidx(g, c->gate_rows))), h, cs, m};
        call(g, recur_t, recur, ra, 4);
        memcpy_floats(g, gep(g, out, mul(g, add(g, base, r), stride)), h, R);
        loop_close(g, &u);
        loop_close(g, &t0);
    } else {
        Loop u;
        loop_open(g, &u, cidx(g, 0), n, 1);
        LLVMValueRef r = c->reverse ? LLVMBuildSub(g->b, LLVMBuildSub(g->b, n, cidx(g, 1), ""), u.i, "") : u.i;
        LLVMValueRef sa[5] = {gep(g, x, mul(g, r, cidx(g, c->input))), h, cs, pre, m};
        call(g, step_t, step, sa, 5);
        memcpy_floats(g, gep(g, out, mul(g, r, stride)), h, R);
        loop_close(g, &u);
    }
    LLVMBuildRetVoid(g->b);
    if (g->lm->streaming)
        build_cell_batch(g, c, &ca, &cf, L, index, project, proj_t, step, step_t);
    return cf;
}

/*
 * lstmc.ID.batch(x, nb, out, out_stride, states): one step of nb <= CHUNK
 * sequences (emit_c.c's cell_batch): row b of x is sequence b's input, its
 * h goes to row b of out, its state is states[b]; states[0].gates is the
 * scratch. Tiled: the input projection of all nb rows at once, then per
 * tile one pass over w_h serves PSTEPS sequences.
 */
static void build_cell_batch(Gen *g, const LowCell *c, const CellArrays *ca, CellFns *cf, const Layout *L,
                             int index, LLVMValueRef project, LLVMTypeRef proj_t, LLVMValueRef step,
                             LLVMTypeRef step_t)
{
    LLVMTypeRef ps[5] = {g->fp, g->idx, g->fp, g->idx, g->fp};
    cf->batch = begin_fn(g, arena_printf(g->a, "lstmc.%s.batch", c->id), ps, 5, 0, &cf->batch_type);
    LLVMValueRef x = param(g, 0), nb = param(g, 1), out = param(g, 2), stride = param(g, 3), st = param(g, 4);
    LLVMValueRef pre = gepc(g, st, L->gates);
    long R = c->recurrent, total = L->total;
    Loop b;
    if (!c->tiled) {
        loop_open(g, &b, cidx(g, 0), nb, 1);
        LLVMValueRef sb = gep(g, st, mul(g, b.i, cidx(g, total)));
        LLVMValueRef sa[5] = {gep(g, x, mul(g, b.i, cidx(g, c->input))), gepc(g, sb, L->h[index]),
                              gepc(g, sb, L->c[index]), pre, gepc(g, sb, L->m)};
        call(g, step_t, step, sa, 5);
        memcpy_floats(g, gep(g, out, mul(g, b.i, stride)), gepc(g, sb, L->h[index]), R);
        loop_close(g, &b);
        LLVMBuildRetVoid(g->b);
        return;
    }
    LLVMValueRef pa[3] = {x, nb, pre};
    call(g, proj_t, project, pa, 3);
    unsigned TR = (unsigned)c->tile_rows;
    int psteps = ksplit(g, c);
    LLVMTypeRef vt = LLVMVectorType(g->f32, TR);
    LLVMValueRef acc[4];
    for (int q = 0; q < psteps; q++)
        acc[q] = slot(g, vt);
    Loop t;
    loop_open(g, &t, cidx(g, 0), cidx(g, c->tiles), 1);
    LLVMValueRef w = gep(g, ca->w_h, mul(g, t.i, cidx(g, R * TR)));
    LLVMValueRef full = mul(g, LLVMBuildUDiv(g->b, nb, cidx(g, psteps), ""), cidx(g, psteps));
    for (int pass = 0; pass < 2; pass++) {
        int qn = pass == 0 ? psteps : 1;
        Loop k;
        loop_open(g, &b, pass == 0 ? cidx(g, 0) : full, pass == 0 ? full : nb, qn);
        LLVMValueRef sq[4];
        for (int q = 0; q < qn; q++) {
            LLVMValueRef bq = add(g, b.i, cidx(g, q));
            sq[q] = gep(g, st, mul(g, bq, cidx(g, total)));
            LLVMValueRef at = add(g, mul(g, bq, cidx(g, c->gate_rows)), mul(g, t.i, cidx(g, TR)));
            LLVMBuildStore(g->b, loadv(g, TR, gep(g, pre, at)), acc[q]);
        }
        loop_open(g, &k, cidx(g, 0), cidx(g, R), 1);
        LLVMValueRef wv = loadv(g, TR, gep(g, w, mul(g, k.i, cidx(g, TR))));
        for (int q = 0; q < qn; q++) {
            LLVMValueRef hk = splat(g, loadf(g, gep(g, gepc(g, sq[q], L->h[index]), k.i)), TR);
            LLVMBuildStore(g->b, vfma(g, c, wv, hk, LLVMBuildLoad2(g->b, vt, acc[q], "")), acc[q]);
        }
        loop_close(g, &k);
        for (int q = 0; q < qn; q++)
            tile_cells(g, c, ca, LLVMBuildLoad2(g->b, vt, acc[q], ""), t.i, gepc(g, sq[q], L->c[index]),
                       gepc(g, sq[q], L->m));
        loop_close(g, &b);
    }
    loop_close(g, &t);
    /* the new h of each sequence, now that no tile reads the old one */
    loop_open(g, &b, cidx(g, 0), nb, 1);
    LLVMValueRef sb = gep(g, st, mul(g, b.i, cidx(g, total)));
    LLVMValueRef h = gepc(g, sb, L->h[index]);
    if (c->proj)
        build_projection(g, c, ca, h, gepc(g, sb, L->m));
    else
        memcpy_floats(g, h, gepc(g, sb, L->m), c->hidden);
    memcpy_floats(g, gep(g, out, mul(g, b.i, stride)), h, R);
    loop_close(g, &b);
    LLVMBuildRetVoid(g->b);
}

/* ---- a dense layer ---- */

/* lstmc.ID.forward(x, y): y = act(w x + b); softmax over the whole vector
 * by the runtime's rt_softmaxf. */
static DenseFn build_dense(Gen *g, const LowDense *d)
{
    LLVMValueRef w = weights(g, &d->w), bias = weights(g, &d->b);
    DenseFn df;
    LLVMTypeRef ps[2] = {g->fp, g->fp};
    df.fn = begin_fn(g, arena_printf(g->a, "lstmc.%s.forward", d->id), ps, 2, 0, &df.type);
    LLVMValueRef x = param(g, 0), y = param(g, 1);
    LLVMValueRef acc = slot(g, g->f32);
    Loop u, k;
    loop_open(g, &u, cidx(g, 0), cidx(g, d->units), 1);
    LLVMValueRef wu = gep(g, w, mul(g, u.i, cidx(g, d->input)));
    storef(g, bias ? loadf(g, gep(g, bias, u.i)) : fconst(g, g->f32, 0.0), acc);
    loop_open(g, &k, cidx(g, 0), cidx(g, d->input), 1);
    storef(g, madd(g, loadf(g, gep(g, wu, k.i)), loadf(g, gep(g, x, k.i)), loadf(g, acc)), acc);
    loop_close(g, &k);
    storef(g, act(g, d->act, loadf(g, acc)), gep(g, y, u.i));
    loop_close(g, &u);
    if (d->act.kind == ACT_SOFTMAX)
        llact_softmax(g->b, g->mod, y, ci32(g, d->units));
    LLVMBuildRetVoid(g->b);
    return df;
}

/* ---- the model's functions ---- */

static Layout state_layout(Gen *g)
{
    const LowModel *lm = g->lm;
    Layout L = {0};
    L.h = arena_alloc(g->a, sizeof(long) * (size_t)(lm->ncells + 1));
    L.c = arena_alloc(g->a, sizeof(long) * (size_t)(lm->ncells + 1));
    long at = 0;
    for (int k = 0; k < lm->ncells; k++) {
        L.h[k] = at;
        at += lm->cells[k].recurrent;
        L.c[k] = at;
        at += lm->cells[k].hidden;
    }
    L.gates = at;
    at += lm->gates_floats;
    L.m = at;
    at += lm->m_floats;
    for (int k = 0; lm->streaming && k < lm->nseq; k++) {
        L.seq[k] = at;
        at += (long)lm->chunk * lm->seq_width;
    }
    for (int k = 0; k < lm->ntmp; k++) {
        L.tmp[k] = at;
        at += lm->tmp_floats[k];
    }
    L.total = at;
    return L;
}

/* What the ops of a run refer to: the state, the chunk's (or sequence's)
 * x and y, the sequence buffers, the last row. */
typedef struct RunCtx {
    LLVMValueRef s, x, y, xc, yc, steps, last;
    LLVMValueRef seq[2];
    /* NAME_run_batch: the group's first sequence b0, its sequence b (last
     * ops), the batch size; NULL in NAME_run */
    LLVMValueRef b0, b, batch;
    const Layout *L;
    const CellFns *cells;
    const DenseFn *dense;      /* per layer */
} RunCtx;

/* The first of the rows a buffer holds, from column col. */
static LLVMValueRef rows_ptr(Gen *g, const RunCtx *r, LowBuf b, int col)
{
    LLVMValueRef base = NULL;
    switch (b.kind) {
    case BUF_X:   base = r->xc; break;
    case BUF_Y:   base = r->yc; break;
    case BUF_SEQ: base = r->seq[b.index]; break;
    case BUF_H:   base = gepc(g, r->s, r->L->h[b.index]); break;
    case BUF_TMP: base = gepc(g, r->s, r->L->tmp[b.index]); break;
    }
    return gepc(g, base, col);
}

/* The last step's row of a buffer (output last), or a vector. */
static LLVMValueRef last_ptr(Gen *g, const RunCtx *r, LowBuf b, int width)
{
    LLVMValueRef steps1 = LLVMBuildSub(g->b, r->steps, cidx(g, 1), "");
    if (r->batch) {
        /* sequence b of the group from b0, whose rows are sequences */
        LLVMValueRef seq = add(g, r->b0, r->b);
        switch (b.kind) {
        case BUF_X:   return gep(g, r->x, mul(g, add(g, mul(g, steps1, r->batch), seq), cidx(g, width)));
        case BUF_Y:   return gep(g, r->y, mul(g, seq, cidx(g, width)));
        case BUF_SEQ: return gep(g, r->seq[b.index], mul(g, r->b, cidx(g, width)));
        default:      break;
        }
    }
    switch (b.kind) {
    case BUF_X:   return gep(g, r->x, mul(g, steps1, cidx(g, width)));
    case BUF_Y:   return r->y;
    case BUF_SEQ: return gep(g, r->seq[b.index], mul(g, g->lm->streaming ? r->last : steps1, cidx(g, width)));
    case BUF_H:   return gepc(g, r->s, r->L->h[b.index]);
    case BUF_TMP: return gepc(g, r->s, r->L->tmp[b.index]);
    }
    return NULL;
}

static int is_rows_op(const LowOp *op)
{
    return op->kind == OP_LSTM_SEQ || op->kind == OP_DENSE_SEQ;
}

/* One op over `rows` rows (a chunk or the sequence). */
static void rows_op(Gen *g, const RunCtx *r, const LowOp *op, LLVMValueRef rows)
{
    const LowModel *lm = g->lm;
    if (op->kind == OP_LSTM_SEQ) {
        const LowCell *c = &lm->cells[op->cell];
        const CellFns *cf = &r->cells[op->cell];
        LLVMValueRef m = lm->m_floats ? gepc(g, r->s, r->L->m) : LLVMConstNull(g->fp);
        if (r->batch) {
            LLVMValueRef args[5] = {rows_ptr(g, r, op->in, 0), rows, rows_ptr(g, r, op->out, op->out_col),
                                    cidx(g, op->out_width), r->s};
            call(g, cf->batch_type, cf->batch, args, 5);
            return;
        }
        LLVMValueRef args[8] = {rows_ptr(g, r, op->in, 0), rows, rows_ptr(g, r, op->out, op->out_col),
                                cidx(g, op->out_width), gepc(g, r->s, r->L->h[op->cell]),
                                gepc(g, r->s, r->L->c[op->cell]), gepc(g, r->s, r->L->gates), m};
        (void)c;
        call(g, cf->run_type, cf->run, args, 8);
        return;
    }
    const DenseFn *df = &r->dense[op->layer];
    LLVMValueRef in = rows_ptr(g, r, op->in, 0), out = rows_ptr(g, r, op->out, 0);
    Loop u;
    loop_open(g, &u, cidx(g, 0), rows, 1);
    LLVMValueRef args[2] = {gep(g, in, mul(g, u.i, cidx(g, op->in_width))),
                            gep(g, out, mul(g, u.i, cidx(g, op->out_width)))};
    call(g, df->type, df->fn, args, 2);
    loop_close(g, &u);
}

/* One op on the last row only (output last). */
static void last_op(Gen *g, const RunCtx *r, const LowOp *op)
{
    LLVMValueRef in = last_ptr(g, r, op->in, op->in_width), out = last_ptr(g, r, op->out, op->out_width);
    if (op->kind == OP_COPY_LAST) {
        memcpy_floats(g, out, in, op->n);
        return;
    }
    const DenseFn *df = &r->dense[op->layer];
    LLVMValueRef args[2] = {in, out};
    call(g, df->type, df->fn, args, 2);
}

/* if (v == 0) return; */
static void return_if_zero(Gen *g, LLVMValueRef v)
{
    LLVMBasicBlockRef ret = LLVMAppendBasicBlockInContext(g->ctx, g->fn, "empty");
    LLVMBasicBlockRef go = LLVMAppendBasicBlockInContext(g->ctx, g->fn, "go");
    LLVMBuildCondBr(g->b, icmp(g, LLVMIntEQ, v, cidx(g, 0)), ret, go);
    LLVMPositionBuilderAtEnd(g->b, ret);
    LLVMBuildRetVoid(g->b);
    LLVMPositionBuilderAtEnd(g->b, go);
}

/* NAME_reset, NAME_run, NAME_step, NAME_run_batch (streaming) or NAME_run
 * with scratch (a backward direction): emit_c.c's model functions. */
static void build_api(Gen *g, const Layout *L, const CellFns *cells, const DenseFn *dense)
{
    const LowModel *lm = g->lm;
    const char *N = lm->name;
    LLVMTypeRef reset_t;
    LLVMValueRef reset = begin_fn(g, arena_printf(g->a, "%s_reset", N), &g->fp, 1, 1, &reset_t);
    LLVMBuildMemSet(g->b, param(g, 0), LLVMConstInt(g->i8, 0, 0), cidx(g, 4 * L->total), 4);
    /* the learned initial states (initial_state): every sequence starts from them */
    for (int k = 0; k < lm->ncells; k++) {
        const LowCell *c = &lm->cells[k];
        if (c->h0.data)
            memcpy_floats(g, gepc(g, param(g, 0), L->h[k]), weights(g, &c->h0), c->recurrent);
        if (c->c0.data)
            memcpy_floats(g, gepc(g, param(g, 0), L->c[k]), weights(g, &c->c0), c->hidden);
    }
    LLVMBuildRetVoid(g->b);

    RunCtx r = {0};
    r.L = L;
    r.cells = cells;
    r.dense = dense;
    if (!lm->streaming) {
        LLVMTypeRef ps[5] = {g->fp, g->fp, g->idx, g->fp, g->fp};
        begin_fn(g, arena_printf(g->a, "%s_run", N), ps, 5, 1, NULL);
        r.s = param(g, 0);
        r.x = r.xc = param(g, 1);
        r.steps = param(g, 2);
        r.y = r.yc = param(g, 3);
        LLVMValueRef scratch = param(g, 4);
        return_if_zero(g, r.steps);
        for (int k = 0; k < lm->nseq; k++)
            r.seq[k] = gep(g, scratch, mul(g, r.steps, cidx(g, (long)k * lm->seq_width)));
        LLVMBuildCall2(g->b, reset_t, reset, &r.s, 1, "");
        for (int k = 0; k < lm->nops; k++) {
            if (is_rows_op(&lm->ops[k]))
                rows_op(g, &r, &lm->ops[k], r.steps);
            else
                last_op(g, &r, &lm->ops[k]);
        }
        LLVMBuildRetVoid(g->b);
        return;
    }

    /* NAME_run: chunks of CHUNK steps, each layer over the chunk's rows */
    LLVMTypeRef run_t;
    LLVMTypeRef ps[4] = {g->fp, g->fp, g->idx, g->fp};
    LLVMValueRef run = begin_fn(g, arena_printf(g->a, "%s_run", N), ps, 4, 1, &run_t);
    r.s = param(g, 0);
    r.x = param(g, 1);
    r.steps = param(g, 2);
    r.y = param(g, 3);
    return_if_zero(g, r.steps);
    for (int k = 0; k < lm->nseq; k++)
        r.seq[k] = gepc(g, r.s, L->seq[k]);
    Loop t0;
    loop_open(g, &t0, cidx(g, 0), r.steps, lm->chunk);
    LLVMValueRef n = umin(g, LLVMBuildSub(g->b, r.steps, t0.i, ""), cidx(g, lm->chunk));
    r.xc = gep(g, r.x, mul(g, t0.i, cidx(g, lm->input)));
    r.yc = lm->output_last ? NULL : gep(g, r.y, mul(g, t0.i, cidx(g, lm->output)));
    for (int k = 0; k < lm->nops; k++)
        if (is_rows_op(&lm->ops[k]))
            rows_op(g, &r, &lm->ops[k], n);
    loop_close(g, &t0);
    if (lm->output_last) {
        r.last = LLVMBuildURem(g->b, LLVMBuildSub(g->b, r.steps, cidx(g, 1), ""), cidx(g, lm->chunk), "");
        for (int k = 0; k < lm->nops; k++)
            if (!is_rows_op(&lm->ops[k]))
                last_op(g, &r, &lm->ops[k]);
    }
    LLVMBuildRetVoid(g->b);

    /* NAME_step: one step of NAME_run */
    LLVMTypeRef sp[3] = {g->fp, g->fp, g->fp};
    begin_fn(g, arena_printf(g->a, "%s_step", N), sp, 3, 1, NULL);
    LLVMValueRef sa[4] = {param(g, 0), param(g, 1), cidx(g, 1), param(g, 2)};
    call(g, run_t, run, sa, 4);
    LLVMBuildRetVoid(g->b);

    /* NAME_run_batch: the sequences in groups of up to CHUNK, side by side;
     * per step each layer runs on the group's rows (one per sequence), so
     * an LSTM reads its weights once for the whole group; states[b0]
     * lends its scratch to the group. */
    LLVMTypeRef bp[5] = {g->fp, g->idx, g->fp, g->idx, g->fp};
    begin_fn(g, arena_printf(g->a, "%s_run_batch", N), bp, 5, 1, NULL);
    RunCtx rb = r;
    LLVMValueRef states = param(g, 0);
    rb.batch = param(g, 1);
    rb.x = param(g, 2);
    rb.steps = param(g, 3);
    rb.y = param(g, 4);
    return_if_zero(g, rb.steps);
    Loop b0, t, b;
    loop_open(g, &b0, cidx(g, 0), rb.batch, lm->chunk);
    rb.b0 = b0.i;
    LLVMValueRef nb = umin(g, LLVMBuildSub(g->b, rb.batch, b0.i, ""), cidx(g, lm->chunk));
    rb.s = gep(g, states, mul(g, b0.i, cidx(g, L->total)));
    for (int k = 0; k < lm->nseq; k++)
        rb.seq[k] = gepc(g, rb.s, L->seq[k]);
    loop_open(g, &t, cidx(g, 0), rb.steps, 1);
    LLVMValueRef row = add(g, mul(g, t.i, rb.batch), b0.i);
    rb.xc = gep(g, rb.x, mul(g, row, cidx(g, lm->input)));
    rb.yc = lm->output_last ? NULL : gep(g, rb.y, mul(g, row, cidx(g, lm->output)));
    for (int k = 0; k < lm->nops; k++)
        if (is_rows_op(&lm->ops[k]))
            rows_op(g, &rb, &lm->ops[k], nb);
    loop_close(g, &t);
    if (lm->output_last) {
        /* the last step only: the output of each sequence */
        loop_open(g, &b, cidx(g, 0), nb, 1);
        rb.b = b.i;
        for (int k = 0; k < lm->nops; k++)
            if (!is_rows_op(&lm->ops[k]))
                last_op(g, &rb, &lm->ops[k]);
        loop_close(g, &b);
    }
    loop_close(g, &b0);
    LLVMBuildRetVoid(g->b);
}

/* ---- the module ---- */

static int inited;

static void init_llvm(void)
{
    if (inited)
        return;
    inited = 1;
    LLVMInitializeAllTargetInfos();
    LLVMInitializeAllTargets();
    LLVMInitializeAllTargetMCs();
    LLVMInitializeAllAsmPrinters();
}

LLVMTargetMachineRef emitllvm_target_machine(const LlvmTarget *t)
{
    init_llvm();
    char *triple = t->triple ? LLVMNormalizeTargetTriple(t->triple) : LLVMGetDefaultTargetTriple();
    char *host_cpu = NULL, *host_features = NULL;
    const char *cpu = t->cpu, *features = t->features;
    if (!t->triple && !cpu && !features) {
        /* the host: its own CPU and extensions (AVX-512 where present) */
        cpu = host_cpu = LLVMGetHostCPUName();
        features = host_features = LLVMGetHostCPUFeatures();
    }
    LLVMTargetRef target;
    char *err = NULL;
    LLVMTargetMachineRef tm = NULL;
    if (LLVMGetTargetFromTriple(triple, &target, &err) != 0) {
        fprintf(stderr, "lstmc: error: unknown target '%s': %s\n", t->triple ? t->triple : triple,
                err ? err : "not supported by this LLVM");
    } else {
        /* position-independent for hosted systems (PIE executables, shared
         * libraries); bare-metal targets ("-none-") keep their default */
        LLVMRelocMode reloc = strstr(triple, "-none") ? LLVMRelocDefault : LLVMRelocPIC;
        tm = LLVMCreateTargetMachine(target, triple, cpu ? cpu : "", features ? features : "",
                                     t->opt_level >= 3 ? LLVMCodeGenLevelAggressive : LLVMCodeGenLevelDefault,
                                     reloc, LLVMCodeModelDefault);
        if (!tm)
            fprintf(stderr, "lstmc: error: LLVM cannot make a target machine for '%s'\n", triple);
    }
    LLVMDisposeMessage(err);
    LLVMDisposeMessage(triple);
    LLVMDisposeMessage(host_cpu);
    LLVMDisposeMessage(host_features);
    return tm;
}

/* Feature f in a comma-separated list: 1 "+f", -1 "-f" (the last one
 * counts), 0 absent. */
static int has_feature(const char *list, const char *f)
{
    int on = 0;
    size_t n = strlen(f);
    for (const char *p = list; p && *p;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len == n + 1 && strncmp(p + 1, f, n) == 0)
            on = p[0] == '+' ? 1 : -1;
        p = end ? end + 1 : NULL;
    }
    return on;
}

/* The vector layer of runtime/lstmc_act.h that the C backend's code gets
 * on this target (its #if chain), from the target machine's triple and
 * features: AVX-512 (16 floats, 16 accumulators, fma), AVX2 + FMA (8, 8,
 * fma), NEON on AArch64 (4, 16, fma), SSE2 on x86-64 (4, 8, mul + add),
 * else plain floats (1, 16); and whether the fast activations' RT_FMA
 * fuses. Features implied only by a --cpu name are
 * not seen; then the code is the one for the features named. */
static void vector_layer(Gen *g, LLVMTargetMachineRef tm)
{
    char *triple = LLVMGetTargetMachineTriple(tm);
    char *features = LLVMGetTargetMachineFeatureString(tm);
    int x86_64 = strncmp(triple, "x86_64", 6) == 0, aarch64 = strncmp(triple, "aarch64", 7) == 0;
    g->vl = 1, g->accs = 16, g->fma = 0;
    if (x86_64 && has_feature(features, "avx512f") > 0)
        g->vl = 16, g->accs = 16, g->fma = 1;
    else if (x86_64 && has_feature(features, "avx2") > 0 && has_feature(features, "fma") > 0)
        g->vl = 8, g->accs = 8, g->fma = 1;
    else if (x86_64)
        g->vl = 4, g->accs = 8;
    else if (aarch64 && has_feature(features, "neon") >= 0)
        g->vl = 4, g->accs = 16, g->fma = 1;
    /* RT_FMA: __FMA__ (x86) or __ARM_FEATURE_FMA (every AArch64) */
    g->act_fma = (x86_64 && has_feature(features, "fma") > 0) || aarch64;
    LLVMDisposeMessage(triple);
    LLVMDisposeMessage(features);
}

LLVMModuleRef emitllvm_module(LLVMContextRef ctx, LLVMTargetMachineRef tm, const LowModel *lm, int opt_level)
{
    Arena arena = {0};
    Gen gen = {0}, *g = &gen;
    g->ctx = ctx;
    g->a = &arena;
    g->lm = lm;
    g->mod = LLVMModuleCreateWithNameInContext(lm->name, ctx);
    g->b = LLVMCreateBuilderInContext(ctx);
    char *triple = LLVMGetTargetMachineTriple(tm);
    LLVMSetTarget(g->mod, triple);
    LLVMDisposeMessage(triple);
    g->td = LLVMCreateTargetDataLayout(tm);
    LLVMSetModuleDataLayout(g->mod, g->td);
    g->little_endian = LLVMByteOrder(g->td) == LLVMLittleEndian;
    vector_layer(g, tm);
    g->f32 = LLVMFloatTypeInContext(ctx);
    g->i32 = LLVMInt32TypeInContext(ctx);
    g->i8 = LLVMInt8TypeInContext(ctx);
    g->idx = LLVMIntPtrTypeInContext(ctx, g->td);   /* size_t */
    g->fp = LLVMPointerType(g->f32, 0);
    g->vd = LLVMVoidTypeInContext(ctx);

    Layout L = state_layout(g);
    LLVMModuleRef result = NULL;
    if (4 * L.total != lm->state_bytes) {
        fprintf(stderr, "lstmc: internal error: the LLVM backend's state layout (%ld bytes) differs from "
                "the header's (%ld bytes)\n", 4 * L.total, lm->state_bytes);
        goto done;
    }
    /* the runtime's activations, RT_FMA as the C backend's code gets it */
    if (llact_link(g->mod, g->act_fma) != 0)
        goto done;
    CellFns *cells = arena_alloc(&arena, sizeof *cells * (size_t)(lm->ncells + 1));
    DenseFn *dense = arena_alloc(&arena, sizeof *dense * (size_t)(lm->nlayers + 1));
    for (int n = 0; n < lm->nlayers; n++) {
        const LowLayer *ly = &lm->layers[n];
        if (ly->kind == IR_DENSE)
            dense[n] = build_dense(g, &ly->dense);
        else
            for (int d = 0; d < ly->ncells; d++)
                cells[ly->cell[d] - lm->cells] = build_cell(g, ly->cell[d], &L, (int)(ly->cell[d] - lm->cells));
    }
    build_api(g, &L, cells, dense);

    char *msg = NULL;
    if (LLVMVerifyModule(g->mod, LLVMReturnStatusAction, &msg)) {
        fprintf(stderr, "lstmc: internal error: the LLVM module of model %s does not verify:\n%s", lm->name,
                msg ? msg : "");
        LLVMDisposeMessage(msg);
        goto done;
    }
    LLVMDisposeMessage(msg);
    LLVMPassBuilderOptionsRef po = LLVMCreatePassBuilderOptions();
    LLVMPassBuilderOptionsSetLoopVectorization(po, 1);
    LLVMPassBuilderOptionsSetSLPVectorization(po, 1);
    LLVMPassBuilderOptionsSetLoopUnrolling(po, 1);
    LLVMErrorRef perr = LLVMRunPasses(g->mod, opt_level >= 3 ? "default<O3>" : "default<O2>", tm, po);
    LLVMDisposePassBuilderOptions(po);
    if (perr) {
        char *e = LLVMGetErrorMessage(perr);
        fprintf(stderr, "lstmc: internal error: LLVM's optimization pipeline failed: %s\n", e);
        LLVMDisposeErrorMessage(e);
        goto done;
    }
    result = g->mod;
    g->mod = NULL;
done:
    if (g->mod)
        LLVMDisposeModule(g->mod);
    LLVMDisposeTargetData(g->td);
    LLVMDisposeBuilder(g->b);
    arena_free(&arena);
    return result;
}

/* ---- files ---- */

const char *emitllvm_suffix(LlvmEmitKind kind)
{
    return kind == LLVM_EMIT_IR ? ".ll" : kind == LLVM_EMIT_BC ? ".bc" : ".o";
}

/* The module in kind's form, as bytes (*free_with: how to free them). */
static int module_bytes(LLVMModuleRef mod, LLVMTargetMachineRef tm, LlvmEmitKind kind, char **text,
                        LLVMMemoryBufferRef *buf)
{
    *text = NULL;
    *buf = NULL;
    if (kind == LLVM_EMIT_IR) {
        *text = LLVMPrintModuleToString(mod);
        return 0;
    }
    if (kind == LLVM_EMIT_BC) {
        *buf = LLVMWriteBitcodeToMemoryBuffer(mod);
        return 0;
    }
    char *err = NULL;
    if (LLVMTargetMachineEmitToMemoryBuffer(tm, mod, LLVMObjectFile, &err, buf)) {
        fprintf(stderr, "lstmc: error: LLVM cannot write an object file for this target: %s\n", err ? err : "");
        LLVMDisposeMessage(err);
        return -1;
    }
    return 0;
}

int emitllvm_write_files(const IrModel *m, const EmitOptions *o, const LlvmTarget *t, LlvmEmitKind kind,
                         const char *prefix)
{
    LLVMTargetMachineRef tm = emitllvm_target_machine(t);
    if (!tm)
        return -1;
    Arena a = {0};
    LowerOptions lo = {o->name, o->fast_activations, 1};
    LowModel *lm = lower_model(&a, m, &lo);
    LLVMContextRef ctx = LLVMContextCreate();
    LLVMModuleRef mod = emitllvm_module(ctx, tm, lm, t->opt_level);
    int status = -1;
    char *text = NULL;
    LLVMMemoryBufferRef buf = NULL;
    if (mod && module_bytes(mod, tm, kind, &text, &buf) == 0) {
        const char *path = arena_printf(&a, "%s%s", prefix, emitllvm_suffix(kind));
        const char *hpath = arena_printf(&a, "%s.h", prefix);
        OutFile oh, ob;
        if (outfile_open(&oh, hpath) == 0) {
            if (outfile_open(&ob, path) == 0) {
                emitc_header(oh.f, m, o);
                if (text)
                    fputs(text, ob.f);
                else
                    fwrite(LLVMGetBufferStart(buf), 1, LLVMGetBufferSize(buf), ob.f);
                OutFile *pair[] = {&ob, &oh};
                status = outfile_commit_all(pair, 2);
            } else {
                outfile_discard(&oh);
            }
        }
    }
    if (text)
        LLVMDisposeMessage(text);
    if (buf)
        LLVMDisposeMemoryBuffer(buf);
    if (mod)
        LLVMDisposeModule(mod);
    LLVMContextDispose(ctx);
    LLVMDisposeTargetMachine(tm);
    arena_free(&a);
    return status;
}
