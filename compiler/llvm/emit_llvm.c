/*
 * emit_llvm.c - the LLVM backend (see emit_llvm.h): builds the lowered
 * model (lower.h) as an LLVM module through LLVM's C API, the same
 * functions the C backend prints (emit_c.c), then verifies, optimizes and
 * writes it.
 *
 * Like emit_c.c, everything here follows decisions lower.c made: the same
 * tiled weight arrays, the same tiles, chunk and kernels, the same op list
 * and state struct. Only the form differs: loops
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

/* A function and its type, for calls. */
typedef struct Fn {
    LLVMValueRef v;
    LLVMTypeRef t;
} Fn;

/* The functions of one layer-direction (those it has). */
typedef struct CellFns {
    Fn project, recur, step, projection, batch_recur, batch_projection;   /* kernels */
    Fn run, batch;                                      /* control code */
} CellFns;

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
    int fma;        /* the kernels' a*b + c fuses (lm->target.fma) */
    int act_fma;    /* RT_FMA of the fast activations fuses (lm->target.act_fma) */
    CellFns *cells;                          /* per cell */
    Fn *dense;                               /* per layer */
    Fn reset, run, run_from;                 /* NAME_reset, NAME_run, NAME_run_from_state */
    /* LS_SPAWN, LS_POST, LS_WAIT, LS_JOIN (lm->direction_threads): the job
     * struct, its main (i8* (i8*), run on the new thread), the wait for a
     * counter to change, pthread_create and pthread_join */
    LLVMTypeRef job_t, run_t;
    Fn job_main, job_await, pthread_create, pthread_join;
} Gen;

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

/* rt_vfma(x, y, z) of the target's vector layer in a tiled kernel:
 * one fused multiply-add (llvm.fma) where runtime/lstmc_act.h uses one
 * (AVX-512, AVX2 + FMA, NEON), else x * y + z rounded twice (SSE2, and the
 * plain floats of a tile whose rows are no multiple of 16). So the object
 * computes what the C backend's code computes, bit for bit. */
static LLVMValueRef vfma(Gen *g, int simd, LLVMValueRef x, LLVMValueRef y, LLVMValueRef z)
{
    if (!(simd && g->fma))
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

/* The type a weight array's values are stored as: float, or the i16 bits
 * of a float16 or bfloat16, or an int8 (lower.h: LowArray.type). */
static LLVMTypeRef weight_type(Gen *g, WeightsType t)
{
    if (t == WT_F32)
        return g->f32;
    return t == WT_INT8 ? LLVMInt8TypeInContext(g->ctx) : LLVMInt16TypeInContext(g->ctx);
}

/* The array's values as a constant global (their bytes, in the target's
 * byte order: one ConstantDataArray, fast to build for millions of
 * weights), 64-byte aligned; a pointer to its first value (float*, or i16*
 * or i8* for one stored narrow), or NULL when the array is absent. */
static LLVMValueRef weights(Gen *g, const LowArray *arr)
{
    if (!arr || !arr->data)
        return NULL;
    LLVMTypeRef pt = LLVMPointerType(weight_type(g, arr->type), 0);
    const char *name = arena_printf(g->a, "lstmc.%s", arr->name);
    LLVMValueRef made = LLVMGetNamedGlobal(g->mod, name);
    if (made)
        return LLVMConstBitCast(made, pt);
    size_t n = (size_t)lower_array_floats(arr), size = (size_t)quant_type_bytes(arr->type);
    unsigned char *bytes = mem_alloc(n * size);
    for (size_t i = 0; i < n; i++) {
        uint32_t u;
        if (arr->type == WT_F32)
            memcpy(&u, &arr->data[i], sizeof u);
        else
            u = (uint32_t)arr->codes[i];
        for (size_t k = 0; k < size; k++)
            bytes[size * i + k] = (unsigned char)(u >> (8 * (g->little_endian ? k : size - 1 - k)));
    }
    LLVMValueRef init = LLVMConstStringInContext(g->ctx, (const char *)bytes, (unsigned)(n * size), 1);
    mem_free(bytes);
    LLVMValueRef gv = LLVMAddGlobal(g->mod, LLVMTypeOf(init), name);
    LLVMSetInitializer(gv, init);
    LLVMSetGlobalConstant(gv, 1);
    LLVMSetLinkage(gv, LLVMInternalLinkage);
    LLVMSetUnnamedAddress(gv, LLVMGlobalUnnamedAddr);
    LLVMSetAlignment(gv, 64);
    return LLVMConstBitCast(gv, pt);
}

/* &p[i] in an array of arr's stored values. */
static LLVMValueRef gepw(Gen *g, const LowArray *arr, LLVMValueRef p, LLVMValueRef i)
{
    return LLVMBuildInBoundsGEP2(g->b, weight_type(g, arr->type), p, &i, 1, "");
}

/* n of arr's stored values at p (one: a scalar) as floats: exact, as the C
 * code's rt_vload_f16, rt_vload_bf16 and rt_vload_i8 are. */
static LLVMValueRef load_weights(Gen *g, const LowArray *arr, unsigned n, LLVMValueRef p)
{
    if (arr->type == WT_F32)
        return n > 1 ? loadv(g, n, p) : loadf(g, p);
    LLVMTypeRef et = weight_type(g, arr->type), vt = n > 1 ? LLVMVectorType(et, n) : et;
    LLVMTypeRef ft = n > 1 ? LLVMVectorType(g->f32, n) : g->f32;
    LLVMValueRef v = LLVMBuildLoad2(g->b, vt, LLVMBuildBitCast(g->b, p, LLVMPointerType(vt, 0), ""), "");
    LLVMSetAlignment(v, (unsigned)quant_type_bytes(arr->type));
    if (arr->type == WT_INT8)
        return LLVMBuildSIToFP(g->b, v, ft, "");
    if (arr->type == WT_F16) {
        LLVMTypeRef half = LLVMHalfTypeInContext(g->ctx);
        return LLVMBuildFPExt(g->b, LLVMBuildBitCast(g->b, v, n > 1 ? LLVMVectorType(half, n) : half, ""), ft, "");
    }
    /* bfloat16: the high half of a float's bits */
    LLVMTypeRef it = n > 1 ? LLVMVectorType(g->i32, n) : g->i32;
    LLVMValueRef wide = LLVMBuildZExt(g->b, v, it, "");
    LLVMValueRef sixteen = LLVMConstInt(g->i32, 16, 0);
    if (n > 1) {
        LLVMValueRef *lanes = arena_alloc(g->a, sizeof *lanes * n);
        for (unsigned k = 0; k < n; k++)
            lanes[k] = sixteen;
        sixteen = LLVMConstVector(lanes, n);
    }
    return LLVMBuildBitCast(g->b, LLVMBuildShl(g->b, wide, sixteen, ""), ft, "");
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

/* ---- one LSTM layer-direction: the kernels ---- */

/* The cell's arrays as globals. */
typedef struct CellArrays {
    LLVMValueRef w_x, w_h, b_tiled, b_hn, peep[GATE_COUNT], w_proj;
    LLVMValueRef s_tiled, s_proj;   /* int8 weights' row scales, else NULL */
    LLVMValueRef h_factor, h_corr;  /* products int8's, else NULL */
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

/*
 * The accumulators of a tile's rows: c->vecs vectors of vw floats, the
 * target's vector (vl) when the rows are whole vectors (c->simd), as the C
 * code's rt_vec. Not one vector of tile_rows floats: LLVM 14 cuts a vector
 * whose length is no power of two (a tile of blocks has 48, 80, 112 rows)
 * into pieces of 4 floats and spills them (measured: blocks S = 4, H = 512,
 * 112 rows, 425 us per step against 42 us for the C). Plain rows (not
 * whole vectors; c->vecs of them) are one vector when they are a power of
 * two, which LLVM splits well (on a target without vectors: a tile's 4
 * gate rows, as before), else single floats.
 */
typedef struct Acc {
    int simd;                  /* the rows are whole vectors (c->simd, c->proj_simd) */
    unsigned vw;               /* floats per vector */
    int n;                     /* vectors: c->vecs */
    LLVMTypeRef vt;            /* <vw x float>, or float for one (LLVM 14's
                                  RISC-V backend crashes on <1 x float>) */
    int shared;                /* the first vectors, the shared rows of a recurrent
                                  product (c->shared_rows): they start from the projected
                                  input, the rest (kept apart) from zero; else n */
    LLVMValueRef *slot[4];     /* per step (or column set) of a pass: n allocas */
    int paired;                /* vectors 2m, 2m + 1 hold the even and the odd rows of
                                  their 2 vw (LowCell.pair_bf16; acc_pair) */
} Acc;

/* The accumulators of vecs vectors (rows when not simd), sets of them;
 * the first `shared` rows (0: all) the recurrent product's shared ones. */
static Acc acc_make(Gen *g, int simd, int vecs, int sets, int shared)
{
    Acc A;
    memset(&A, 0, sizeof A);
    A.simd = simd;
    A.vw = simd ? (unsigned)g->lm->target.vl : 1;
    A.n = vecs;
    if (!simd && vecs > 1 && (vecs & (vecs - 1)) == 0 && (shared == 0 || shared == vecs)) {
        A.vw = (unsigned)vecs;
        A.n = 1;
    }
    A.vt = A.vw > 1 ? LLVMVectorType(g->f32, A.vw) : g->f32;
    A.shared = shared ? shared / (int)A.vw : A.n;
    for (int q = 0; q < sets; q++) {
        A.slot[q] = arena_alloc(g->a, sizeof *A.slot[q] * (size_t)A.n);
        for (int l = 0; l < A.n; l++)
            A.slot[q][l] = slot(g, A.vt);
    }
    return A;
}

/* The tiled kernels of a cell whose bfloat16 rows come in pairs (lower.h:
 * pair_bf16) keep their accumulators in pair order, as the C code's
 * rt_vload_bf16_pair; with vectors of one, pair order is row order. */
static void acc_pair(const LowCell *c, Acc *A)
{
    A->paired = c->pair_bf16 && A->vw > 1;
}

/* The shuffle mask of n lanes from..from + n - 1 step by 2 (from, step:
 * unzip), or the interleave of lanes base.. and n + base.. (zip). */
static LLVMValueRef pair_mask(Gen *g, unsigned n, int zip, unsigned from)
{
    LLVMValueRef *m = arena_alloc(g->a, sizeof *m * n);
    for (unsigned k = 0; k < n; k++)
        m[k] = LLVMConstInt(g->i32, zip ? from + k / 2 + (k % 2) * n : from + 2 * k, 0);
    return LLVMConstVector(m, n);
}

static LLVMValueRef acc_get(Gen *g, const Acc *A, int q, int l)
{
    return LLVMBuildLoad2(g->b, A->vt, A->slot[q][l], "");
}

static void acc_set(Gen *g, const Acc *A, int q, int l, LLVMValueRef v)
{
    LLVMBuildStore(g->b, v, A->slot[q][l]);
}

/* Vector l of the floats at p. */
static LLVMValueRef acc_vload(Gen *g, const Acc *A, LLVMValueRef p, int l)
{
    LLVMValueRef at = gepc(g, p, (long)l * A->vw);
    return A->vw > 1 ? loadv(g, A->vw, at) : loadf(g, at);
}

/* Set q = the tile_rows floats at p (NULL: zeros); of a recurrent
 * product, its shared rows, the rest zeros. */
static void acc_load(Gen *g, const Acc *A, int q, LLVMValueRef p)
{
    if (A->paired && p) {   /* pair order: even rows, odd rows */
        for (int l = 0; l < A->n; l += 2) {
            LLVMValueRef two = loadv(g, 2 * A->vw, gepc(g, p, (long)l * A->vw));
            for (int odd = 0; odd < 2; odd++)
                acc_set(g, A, q, l + odd,
                        LLVMBuildShuffleVector(g->b, two, LLVMGetUndef(LLVMTypeOf(two)),
                                               pair_mask(g, A->vw, 0, (unsigned)odd), ""));
        }
        return;
    }
    for (int l = 0; l < A->n; l++)
        acc_set(g, A, q, l, p && l < A->shared ? acc_vload(g, A, p, l) : fconst(g, A->vt, 0.0));
}

/* The tile_rows weights at w (a column of a tile's weights, stored as arr
 * is) as the accumulators' vectors, loaded once for every set they serve. */
static LLVMValueRef *acc_column(Gen *g, const Acc *A, const LowArray *arr, LLVMValueRef w)
{
    LLVMValueRef *wv = arena_alloc(g->a, sizeof *wv * (size_t)A->n);
    if (A->paired) {   /* bfloat16, two vectors per load: lanes of 32 bits shifted, masked */
        LLVMTypeRef it = LLVMVectorType(g->i32, A->vw), ft = LLVMVectorType(g->f32, A->vw);
        LLVMTypeRef two = LLVMVectorType(LLVMInt16TypeInContext(g->ctx), 2 * A->vw);
        for (int l = 0; l < A->n; l += 2) {
            LLVMValueRef at = l ? gepw(g, arr, w, cidx(g, (long)l * A->vw)) : w;
            LLVMValueRef v = LLVMBuildLoad2(g->b, two, LLVMBuildBitCast(g->b, at, LLVMPointerType(two, 0), ""), "");
            LLVMSetAlignment(v, 2);
            LLVMValueRef lanes = LLVMBuildBitCast(g->b, v, it, "");
            LLVMValueRef low = LLVMBuildBitCast(g->b, LLVMBuildShl(g->b, lanes, splat_const(it, LLVMConstInt(g->i32, 16, 0)), ""), ft, "");
            LLVMValueRef high = LLVMBuildBitCast(g->b, LLVMBuildAnd(g->b, lanes, splat_const(it, LLVMConstInt(g->i32, 0xffff0000u, 0)), ""), ft, "");
            /* the even row is the low half of a lane on a little-endian target */
            wv[l] = g->little_endian ? low : high;
            wv[l + 1] = g->little_endian ? high : low;
        }
        return wv;
    }
    for (int l = 0; l < A->n; l++)
        wv[l] = load_weights(g, arr, A->vw, l ? gepw(g, arr, w, cidx(g, (long)l * A->vw)) : w);
    return wv;
}

/* Set q in pair order (acc_pair) back in row order. */
static void acc_unpair(Gen *g, const Acc *A, int q)
{
    if (!A->paired)
        return;
    for (int l = 0; l < A->n; l += 2) {
        LLVMValueRef e = acc_get(g, A, q, l), o = acc_get(g, A, q, l + 1);
        acc_set(g, A, q, l, LLVMBuildShuffleVector(g->b, e, o, pair_mask(g, A->vw, 1, 0), ""));
        acc_set(g, A, q, l + 1, LLVMBuildShuffleVector(g->b, e, o, pair_mask(g, A->vw, 1, A->vw / 2), ""));
    }
}

/* int8 weights: set q = set q times the row scales at s, plus the floats at
 * init (NULL: nothing; in a recurrent product's shared rows only), as the
 * C code's unscale(). */
static void acc_unscale(Gen *g, const Acc *A, int q, LLVMValueRef s, LLVMValueRef init)
{
    for (int l = 0; l < A->n; l++) {
        LLVMValueRef v = acc_get(g, A, q, l), sv = acc_vload(g, A, s, l);
        acc_set(g, A, q, l, init && l < A->shared ? vfma(g, A->simd, v, sv, acc_vload(g, A, init, l)) : fmul(g, v, sv));
    }
}

/* Set q += the column wv times the float s. */
static void acc_fma(Gen *g, const Acc *A, int q, LLVMValueRef *wv, LLVMValueRef s)
{
    LLVMValueRef sv = A->vw > 1 ? splat(g, s, A->vw) : s;
    for (int l = 0; l < A->n; l++)
        acc_set(g, A, q, l, vfma(g, A->simd, wv[l], sv, acc_get(g, A, q, l)));
}

static void acc_store(Gen *g, const Acc *A, int q, LLVMValueRef p)
{
    for (int l = 0; l < A->n; l++)
        storev(g, acc_get(g, A, q, l), gepc(g, p, (long)l * A->vw));
}

/* Set q, clipped (clip projection), to the floats at p. */
static void acc_store_clipped(Gen *g, const Acc *A, int q, LLVMValueRef p, float limit)
{
    for (int l = 0; l < A->n; l++)
        storev(g, clip(g, acc_get(g, A, q, l), limit), gepc(g, p, (long)l * A->vw));
}

/* Set q of the projection's tile t, stored at h + t * proj_tile: clipped;
 * reset before (lower.h), w_hn (r h) that finishes the tile's units of h
 * in place from z and the candidate's input part in m, as the C code's
 * emit_gru_finish. */
static void proj_store(Gen *g, const LowCell *c, const Acc *A, int q, LLVMValueRef t, LLVMValueRef h,
                       LLVMValueRef m)
{
    unsigned PT = (unsigned)c->proj_tile;
    LLVMValueRef j0 = mul(g, t, cidx(g, PT)), ht = gep(g, h, j0);
    if (!c->reset_before) {
        acc_store_clipped(g, A, q, ht, c->clip_proj);
        return;
    }
    LLVMValueRef arr = LLVMBuildBitCast(g->b, slot(g, LLVMArrayType(g->f32, PT)), g->fp, "");
    acc_store(g, A, q, arr);
    long H = c->hidden;
    LLVMValueRef z = loadv(g, PT, gep(g, gepc(g, m, H), j0));
    LLVMValueRef pre = fadd(g, loadv(g, PT, gep(g, gepc(g, m, 2 * H), j0)), loadv(g, PT, arr));
    LLVMValueRef n = act(g, c->cell_input_act, clip(g, pre, c->clip_gates));
    LLVMValueRef keep = fsub(g, fconst(g, LLVMTypeOf(z), 1.0), z);
    storev(g, fadd(g, fmul(g, keep, n), fmul(g, z, loadv(g, PT, ht))), ht);
}

/* lstmc.ID_projection(h, m): h = w_proj m, clipped, tile by tile: a tile's
 * proj_tile rows of h in the accumulators over one pass of its weights,
 * column j to set j % proj_steps, as the recurrent product of the gates. */
static Fn build_projection(Gen *g, const LowCell *c, const CellArrays *ca)
{
    Fn fn;
    LLVMTypeRef ps[2] = {g->fp, g->fp};
    fn.v = begin_fn(g, arena_printf(g->a, "lstmc.%s_projection", c->id), ps, 2, 0, &fn.t);
    LLVMValueRef h = param(g, 0), m = param(g, 1);
    long PT = c->proj_tile, H = c->hidden;
    int ks = c->proj_steps;
    Acc A = acc_make(g, c->proj_simd, c->proj_vecs, ks, 0);
    Loop t;
    loop_open(g, &t, cidx(g, 0), cidx(g, c->proj_tiles), 1);
    LLVMValueRef w = gepw(g, &c->w_proj, ca->w_proj, mul(g, t.i, cidx(g, H * PT)));
    for (int q = 0; q < ks; q++)
        acc_load(g, &A, q, NULL);
    long full = H / ks * ks;
    for (int pass = 0; pass < 2; pass++) {
        int qn = pass == 0 ? ks : 1;
        Loop j;
        loop_open(g, &j, cidx(g, pass == 0 ? 0 : full), cidx(g, pass == 0 ? full : H), qn);
        for (int q = 0; q < qn; q++) {
            LLVMValueRef col = add(g, j.i, cidx(g, q));
            acc_fma(g, &A, q, acc_column(g, &A, &c->w_proj, gepw(g, &c->w_proj, w, mul(g, col, cidx(g, PT)))),
                    loadf(g, gep(g, m, col)));
        }
        loop_close(g, &j);
    }
    for (int l = 0; l < A.n; l++) {
        LLVMValueRef rows = acc_get(g, &A, 0, l);
        for (int q = 1; q < ks; q++)
            rows = fadd(g, rows, acc_get(g, &A, q, l));
        acc_set(g, &A, 0, l, rows);
    }
    if (ca->s_proj)
        acc_unscale(g, &A, 0, gep(g, ca->s_proj, mul(g, t.i, cidx(g, PT))), NULL);
    proj_store(g, c, &A, 0, t.i, h, m);
    loop_close(g, &t);
    LLVMBuildRetVoid(g->b);
    return fn;
}

/*
 * lstmc.ID_batch_projection(nb, states): the projection of nb sequences,
 * states[b].h = w_proj states[b].m, clipped; one pass over a tile's
 * weights serves proj_steps sequences.
 */
static Fn build_batch_projection(Gen *g, const LowCell *c, const CellArrays *ca)
{
    const LowModel *lm = g->lm;
    Fn fn;
    LLVMTypeRef ps[2] = {g->idx, g->fp};
    fn.v = begin_fn(g, arena_printf(g->a, "lstmc.%s_batch_projection", c->id), ps, 2, 0, &fn.t);
    LLVMValueRef nb = param(g, 0), st = param(g, 1);
    long PT = c->proj_tile, H = c->hidden, total = lm->state_bytes / 4;
    long h_at = lm->fields[c->h_field].offset, m_at = lm->fields[lm->m_field].offset;
    int psteps = c->proj_steps;
    Acc A = acc_make(g, c->proj_simd, c->proj_vecs, psteps, 0);
    Loop t, b;
    loop_open(g, &t, cidx(g, 0), cidx(g, c->proj_tiles), 1);
    LLVMValueRef w = gepw(g, &c->w_proj, ca->w_proj, mul(g, t.i, cidx(g, H * PT)));
    LLVMValueRef full = mul(g, LLVMBuildUDiv(g->b, nb, cidx(g, psteps), ""), cidx(g, psteps));
    for (int pass = 0; pass < 2; pass++) {
        int qn = pass == 0 ? psteps : 1;
        Loop j;
        loop_open(g, &b, pass == 0 ? cidx(g, 0) : full, pass == 0 ? full : nb, qn);
        LLVMValueRef sq[4];
        for (int q = 0; q < qn; q++) {
            sq[q] = gep(g, st, mul(g, add(g, b.i, cidx(g, q)), cidx(g, total)));
            acc_load(g, &A, q, NULL);
        }
        loop_open(g, &j, cidx(g, 0), cidx(g, H), 1);
        LLVMValueRef *wv = acc_column(g, &A, &c->w_proj, gepw(g, &c->w_proj, w, mul(g, j.i, cidx(g, PT))));
        for (int q = 0; q < qn; q++)
            acc_fma(g, &A, q, wv, loadf(g, gep(g, gepc(g, sq[q], m_at), j.i)));
        loop_close(g, &j);
        for (int q = 0; q < qn; q++) {
            if (ca->s_proj)
                acc_unscale(g, &A, q, gep(g, ca->s_proj, mul(g, t.i, cidx(g, PT))), NULL);
            proj_store(g, c, &A, q, t.i, gepc(g, sq[q], h_at), gepc(g, sq[q], m_at));
        }
        loop_close(g, &b);
    }
    loop_close(g, &t);
    LLVMBuildRetVoid(g->b);
    return fn;
}

/* lstmc.ID_project(x, n, pre): pre[u] = b + w_x x[u] for n <= CHUNK steps,
 * GATE_ROWS floats per step in tile order; one pass over a tile's w_x
 * serves steps_per_pass steps (their accumulators in registers). */
static Fn build_project(Gen *g, const LowCell *c, const CellArrays *ca)
{
    Fn fn;
    LLVMTypeRef ps[3] = {g->fp, g->idx, g->fp};
    fn.v = begin_fn(g, arena_printf(g->a, "lstmc.%s_project", c->id), ps, 3, 0, &fn.t);
    LLVMValueRef x = param(g, 0), n = param(g, 1), pre = param(g, 2);
    long TR = c->in_rows;
    int psteps = c->in_steps;
    Acc A = acc_make(g, c->simd, c->in_vecs, psteps, 0);
    acc_pair(c, &A);
    Loop t;
    loop_open(g, &t, cidx(g, 0), cidx(g, c->tiles), 1);
    LLVMValueRef w = gepw(g, &c->w_x, ca->w_x, mul(g, t.i, cidx(g, (long)c->input * TR)));
    LLVMValueRef bias = ca->b_tiled ? gep(g, ca->b_tiled, mul(g, t.i, cidx(g, TR))) : NULL;
    /* int8: the sums start at 0, then b + s * sum */
    LLVMValueRef scale = ca->s_tiled ? gep(g, ca->s_tiled, mul(g, t.i, cidx(g, TR))) : NULL;
    LLVMValueRef full = mul(g, LLVMBuildUDiv(g->b, n, cidx(g, psteps), ""), cidx(g, psteps));
    /* steps_per_pass steps per pass up to full, then one at a time */
    for (int pass = 0; pass < 2; pass++) {
        int qn = pass == 0 ? psteps : 1;
        Loop u, k;
        loop_open(g, &u, pass == 0 ? cidx(g, 0) : full, pass == 0 ? full : n, qn);
        for (int q = 0; q < qn; q++)
            acc_load(g, &A, q, scale ? NULL : bias);
        loop_open(g, &k, cidx(g, 0), cidx(g, c->input), 1);
        LLVMValueRef *wv = acc_column(g, &A, &c->w_x, gepw(g, &c->w_x, w, mul(g, k.i, cidx(g, TR))));
        for (int q = 0; q < qn; q++) {
            LLVMValueRef row = mul(g, add(g, u.i, cidx(g, q)), cidx(g, c->input));
            acc_fma(g, &A, q, wv, loadf(g, gep(g, x, add(g, row, k.i))));
        }
        loop_close(g, &k);
        for (int q = 0; q < qn; q++) {
            LLVMValueRef at = add(g, mul(g, add(g, u.i, cidx(g, q)), cidx(g, c->gate_rows)), mul(g, t.i, cidx(g, TR)));
            acc_unpair(g, &A, q);
            if (scale)
                acc_unscale(g, &A, q, scale, bias);
            acc_store(g, &A, q, gep(g, pre, at));
        }
        loop_close(g, &u);
    }
    loop_close(g, &t);
    LLVMBuildRetVoid(g->b);
    return fn;
}

/* The n floats of the tile's rows from row off (of the array a, where the
 * kernel put them), as one vector. */
static LLVMValueRef tile_lanes(Gen *g, LLVMValueRef a, int off, unsigned n)
{
    return loadv(g, n, gepc(g, a, off));
}

/* The cells updated at once: a tile's (V), or with whole every cell (H,
 * LowCell.cells_whole); and the first row of gate q among their rows a:
 * the tile's rows, or the step's rows gate by gate. */
static unsigned cells_of(const LowCell *c, int whole)
{
    return (unsigned)(whole ? c->hidden : c->tile);
}

static int gate_at(const LowCell *c, Gate q, int whole)
{
    return whole ? lower_cell_row(c, c->tile_off[q]) : c->tile_off[q];
}

/* The pre-activation of gate q (I, F or O) of the cells (cells_of), from
 * their rows a, plus its peephole on cv, clipped, activated. */
static LLVMValueRef tile_gate_pre(Gen *g, const LowCell *c, const CellArrays *ca, LLVMValueRef a, Gate q,
                                  LLVMValueRef j0, LLVMValueRef cv, int whole)
{
    unsigned V = cells_of(c, whole);
    LLVMValueRef pre = tile_lanes(g, a, gate_at(c, q, whole), V);
    if (ca->peep[q])
        pre = fadd(g, pre, fmul(g, loadv(g, V, gep(g, ca->peep[q], j0)), cv));
    return clip(g, pre, c->clip_gates);
}

static LLVMValueRef tile_gate(Gen *g, const LowCell *c, const CellArrays *ca, LLVMValueRef a, Gate q,
                              LLVMValueRef j0, LLVMValueRef cv, int whole)
{
    return act(g, c->gate_act, tile_gate_pre(g, c, ca, a, q, j0, cv, whole));
}

/* Lanes first, first + stride, ... of v: n of them. */
static LLVMValueRef lanes_strided(Gen *g, LLVMValueRef v, int first, int stride, unsigned n)
{
    LLVMValueRef *m = mem_alloc(sizeof *m * n);
    for (unsigned k = 0; k < n; k++)
        m[k] = ci32(g, first + (long)k * stride);
    LLVMValueRef r = LLVMBuildShuffleVector(g->b, v, LLVMGetUndef(LLVMTypeOf(v)), LLVMConstVector(m, n), "");
    mem_free(m);
    return r;
}

/* Each lane of v `times` times over: lane k of the result is lane k / times
 * of v (a block's gate, for each of its cells). */
static LLVMValueRef lanes_repeated(Gen *g, LLVMValueRef v, int times)
{
    unsigned n = lanes(LLVMTypeOf(v)) * (unsigned)times;
    LLVMValueRef *m = mem_alloc(sizeof *m * n);
    for (unsigned k = 0; k < n; k++)
        m[k] = ci32(g, (long)(k / (unsigned)times));
    LLVMValueRef r = LLVMBuildShuffleVector(g->b, v, LLVMGetUndef(LLVMTypeOf(v)), LLVMConstVector(m, n), "");
    mem_free(m);
    return r;
}

/* Gate q (I, F or O) of a tile's blocks (NBT lanes), from the tile's rows
 * a, plus with peepholes the sum over each block's cells of p * cv (cv:
 * the tile's cells' c, the old or the new), added cell by cell in order as
 * the C code adds them; clipped, activated. */
static LLVMValueRef block_gate(Gen *g, const LowCell *c, const CellArrays *ca, LLVMValueRef a, Gate q,
                               LLVMValueRef j0, LLVMValueRef cv)
{
    unsigned NBT = (unsigned)c->tile_blocks, V = (unsigned)c->tile;
    LLVMValueRef pre = tile_lanes(g, a, c->tile_off[q], NBT);
    if (ca->peep[q]) {
        LLVMValueRef prod = fmul(g, loadv(g, V, gep(g, ca->peep[q], j0)), cv);
        for (int s = 0; s < c->block_size; s++)
            pre = fadd(g, pre, lanes_strided(g, prod, s, c->block_size, NBT));
    }
    return act(g, c->gate_act, clip(g, pre, c->clip_gates));
}

/* The V cells of tile t of blocks of S > 1 cells: each block's gates once
 * (vectors of NBT floats), then its cells (vectors of V floats), each lane
 * with its block's gates; c in place, the new h (or m before a projection)
 * into m. The C code's emit_block_cells, as vectors. */
static void tile_block_cells(Gen *g, const LowCell *c, const CellArrays *ca, LLVMValueRef a, LLVMValueRef t,
                             LLVMValueRef cs, LLVMValueRef m)
{
    unsigned V = (unsigned)c->tile;
    int S = c->block_size;
    LLVMValueRef j0 = mul(g, t, cidx(g, V));
    LLVMValueRef cp = gep(g, cs, j0);
    LLVMValueRef cv = loadv(g, V, cp);
    LLVMValueRef i = NULL, f = NULL;
    if (c->has_gate[GATE_I])
        i = block_gate(g, c, ca, a, GATE_I, j0, cv);
    if (c->coupled)
        f = fsub(g, fconst(g, LLVMTypeOf(i), 1.0), i);
    else if (c->has_gate[GATE_F])
        f = block_gate(g, c, ca, a, GATE_F, j0, cv);
    LLVMValueRef gv = act(g, c->cell_input_act, clip(g, tile_lanes(g, a, c->tile_off[GATE_G], V), c->clip_gates));
    LLVMValueRef cn = cell_update(g, c, f ? lanes_repeated(g, f, S) : NULL, i ? lanes_repeated(g, i, S) : NULL, gv, cv);
    storev(g, cn, cp);
    LLVMValueRef out = act(g, c->cell_output_act, cn);
    if (c->has_gate[GATE_O])
        out = fmul(g, lanes_repeated(g, block_gate(g, c, ca, a, GATE_O, j0, cn), S), out);
    storev(g, out, gep(g, m, j0));
}

/* Row group q's V rows of a GRU's or an RNN's tile: in its rows a where
 * the recurrent product has them, else in its projected input pt (the
 * candidate's input part), as the C code's gate_pre(). */
static LLVMValueRef gru_rows(Gen *g, const LowCell *c, LLVMValueRef a, LLVMValueRef pt, Gate q)
{
    unsigned V = (unsigned)c->tile;
    return c->tile_off[q] >= 0 ? tile_lanes(g, a, c->tile_off[q], V) : tile_lanes(g, pt, c->in_off[q], V);
}

/* The V units of tile t of a GRU or an RNN (LowCell.kind), as vectors: c
 * holds h; the new h goes to c and to m. Reset before, the first pass: r h,
 * z and the candidate's input part to m (lower.h). The C code's
 * emit_gru_cells. */
static void tile_gru_cells(Gen *g, const LowCell *c, const CellArrays *ca, LLVMValueRef a, LLVMValueRef pt,
                           LLVMValueRef t, LLVMValueRef h, LLVMValueRef cs, LLVMValueRef m)
{
    unsigned V = (unsigned)c->tile;
    LLVMValueRef j0 = mul(g, t, cidx(g, V));
    LLVMValueRef cp = gep(g, cs, j0);
    LLVMValueRef an = gru_rows(g, c, a, pt, GATE_G), hn;
    if (c->reset_before) {
        long H = c->hidden;
        LLVMValueRef r = act(g, c->gate_act, clip(g, gru_rows(g, c, a, pt, GATE_I), c->clip_gates));
        LLVMValueRef z = act(g, c->gate_act, clip(g, gru_rows(g, c, a, pt, GATE_F), c->clip_gates));
        storev(g, fmul(g, r, loadv(g, V, gep(g, h, j0))), gep(g, m, j0));
        storev(g, z, gep(g, gepc(g, m, H), j0));
        storev(g, an, gep(g, gepc(g, m, 2 * H), j0));
        return;
    }
    if (c->kind == IR_RNN) {
        hn = act(g, c->cell_input_act, clip(g, an, c->clip_gates));
    } else {
        LLVMValueRef r = act(g, c->gate_act, clip(g, gru_rows(g, c, a, pt, GATE_I), c->clip_gates));
        LLVMValueRef z = act(g, c->gate_act, clip(g, gru_rows(g, c, a, pt, GATE_F), c->clip_gates));
        LLVMValueRef nh = gru_rows(g, c, a, pt, GATE_O);
        if (ca->b_hn)
            nh = fadd(g, nh, loadv(g, V, gep(g, ca->b_hn, j0)));
        LLVMValueRef pre = fadd(g, an, fmul(g, r, nh));
        LLVMValueRef n = act(g, c->cell_input_act, clip(g, pre, c->clip_gates));
        LLVMValueRef keep = fsub(g, fconst(g, LLVMTypeOf(z), 1.0), z);
        hn = fadd(g, fmul(g, keep, n), fmul(g, z, loadv(g, V, cp)));
    }
    storev(g, hn, cp);
    storev(g, hn, gep(g, m, j0));
}

/* The V cells of tile t, updated at once (vectors of V floats) from the
 * tile's rows a (and its projected input pt, for a GRU's candidate): c in
 * place, the new h (or m before a projection) into m, where other tiles
 * do not read it. */
static void tile_cells(Gen *g, const LowCell *c, const CellArrays *ca, LLVMValueRef a, LLVMValueRef pt,
                       LLVMValueRef t, LLVMValueRef h, LLVMValueRef cs, LLVMValueRef m, int whole)
{
    if (c->kind != IR_LSTM) {
        tile_gru_cells(g, c, ca, a, pt, t, h, cs, m);
        return;
    }
    if (c->block_size > 1) {
        tile_block_cells(g, c, ca, a, t, cs, m);
        return;
    }
    unsigned V = cells_of(c, whole);
    LLVMValueRef j0 = mul(g, t, cidx(g, V));
    LLVMValueRef cp = gep(g, cs, j0);
    LLVMValueRef cv = loadv(g, V, cp);
    LLVMValueRef gpre = clip(g, tile_lanes(g, a, gate_at(c, GATE_G, whole), V), c->clip_gates), cn, out;
    if (c->fused_c) {   /* the runtime's fused form, then the cell clip (the C's rt_lstm_cf_fast) */
        LLVMValueRef args[4] = {cv, tile_gate_pre(g, c, ca, a, GATE_I, j0, cv, whole),
                                tile_gate_pre(g, c, ca, a, GATE_F, j0, cv, whole), gpre};
        cn = clip(g, llact_lanes(g->b, g->mod, "rt_lstm_cf_fast", args, 4), c->clip_cell);
    } else {
        LLVMValueRef i = NULL, f = NULL;
        if (c->has_gate[GATE_I])
            i = tile_gate(g, c, ca, a, GATE_I, j0, cv, whole);
        if (c->coupled)
            f = fsub(g, fconst(g, LLVMTypeOf(i), 1.0), i);
        else if (c->has_gate[GATE_F])
            f = tile_gate(g, c, ca, a, GATE_F, j0, cv, whole);
        cn = cell_update(g, c, f, i, act(g, c->cell_input_act, gpre), cv);
    }
    storev(g, cn, cp);
    if (c->fused_h) {
        LLVMValueRef args[2] = {cn, tile_gate_pre(g, c, ca, a, GATE_O, j0, cn, whole)};
        out = llact_lanes(g->b, g->mod, "rt_lstm_hf_fast", args, 2);
    } else {
        out = act(g, c->cell_output_act, cn);
        if (c->has_gate[GATE_O])
            out = fmul(g, tile_gate(g, c, ca, a, GATE_O, j0, cn, whole), out);
    }
    storev(g, out, gep(g, m, j0));
}

/* A tile's rows: an array of `rows` floats, where a kernel puts its
 * accumulators for the cell update (the C code's a[], tile_rows; p[],
 * in_rows). */
static LLVMValueRef tile_array(Gen *g, int rows)
{
    LLVMValueRef arr = slot(g, LLVMArrayType(g->f32, (unsigned)rows));
    return LLVMBuildBitCast(g->b, arr, g->fp, "");
}

/* Tile t's projected input b + w_x x (one step, the bits of
 * lstmc.ID_project) into the tile's rows p, through accumulator set 0. */
static void tile_project(Gen *g, const LowCell *c, const CellArrays *ca, const Acc *A, LLVMValueRef t,
                         LLVMValueRef x, LLVMValueRef p)
{
    long TR = c->in_rows;
    LLVMValueRef w = gepw(g, &c->w_x, ca->w_x, mul(g, t, cidx(g, (long)c->input * TR)));
    LLVMValueRef bias = ca->b_tiled ? gep(g, ca->b_tiled, mul(g, t, cidx(g, TR))) : NULL;
    LLVMValueRef scale = ca->s_tiled ? gep(g, ca->s_tiled, mul(g, t, cidx(g, TR))) : NULL;
    acc_load(g, A, 0, scale ? NULL : bias);
    Loop k;
    loop_open(g, &k, cidx(g, 0), cidx(g, c->input), 1);
    acc_fma(g, A, 0, acc_column(g, A, &c->w_x, gepw(g, &c->w_x, w, mul(g, k.i, cidx(g, TR)))),
            loadf(g, gep(g, x, k.i)));
    loop_close(g, &k);
    acc_unpair(g, A, 0);
    if (scale)
        acc_unscale(g, A, 0, scale, bias);
    acc_store(g, A, 0, p);
}

/* lstmc.ID_recur(pre, h, c, m): one step from the projected input, tile by
 * tile: the tile's rows = pre + w_h h in the accumulators, then its V
 * cells updated as vectors of V floats. The new h goes to m (other tiles
 * still read the old h), then to h: copied, or projected. fused:
 * lstmc.ID_step(x, h, c, m), NAME_step's, from the input row x: each
 * tile's projected input first (tile_project), in the same pass. With
 * cells_whole, every tile's rows go to one array gate by gate, and every
 * cell is updated after the last tile, its new h straight into h. With
 * alternate (not fused), a fifth argument, the step's parity: 1 takes the
 * tiles last to first. */
static Fn build_recur(Gen *g, const LowCell *c, const CellArrays *ca, const Fn *projection, int fused)
{
    Fn fn;
    int back = c->alternate && !fused;   /* (pre, h, c, m, back): the step's parity */
    LLVMTypeRef ps[5] = {g->fp, g->fp, g->fp, g->fp, g->idx};
    fn.v = begin_fn(g, arena_printf(g->a, "lstmc.%s_%s", c->id, fused ? "step" : "recur"), ps, back ? 5 : 4, 0,
                    &fn.t);
    LLVMValueRef pre = param(g, 0), h = param(g, 1), cs = param(g, 2), m = param(g, 3);
    long TR = c->tile_rows, XR = c->in_rows;
    int R = c->recurrent, ks = c->steps_per_pass, whole = c->cells_whole;
    Acc A = acc_make(g, c->simd, c->vecs, ks, c->shared_rows);
    acc_pair(c, &A);
    Acc P = acc_make(g, c->simd, c->in_vecs, fused, 0);
    acc_pair(c, &P);
    /* with cells_whole, every tile's rows gate by gate (the C code's CELL_ROW) */
    LLVMValueRef a = whole ? LLVMBuildBitCast(g->b, slot(g, LLVMArrayType(g->f32, (unsigned)c->gate_rows)), g->fp, "")
                           : tile_array(g, c->tile_rows);
    LLVMValueRef p = fused ? tile_array(g, c->in_rows) : NULL;
    Loop ts;
    loop_open(g, &ts, cidx(g, 0), cidx(g, c->tiles), 1);
    /* the tile: with back, last to first (lower.h, alternate) */
    LLVMValueRef ti = back ? sel(g, icmp(g, LLVMIntNE, param(g, 4), cidx(g, 0)),
                                 LLVMBuildSub(g->b, cidx(g, c->tiles - 1), ts.i, ""), ts.i)
                           : ts.i;
    if (fused)
        tile_project(g, c, ca, &P, ti, pre, p);
    LLVMValueRef w = gepw(g, &c->w_h, ca->w_h, mul(g, ti, cidx(g, (long)R * TR)));
    LLVMValueRef pt = fused ? p : gep(g, pre, mul(g, ti, cidx(g, XR)));
    /* int8: the sums start at 0, then pre + s * sum */
    LLVMValueRef scale = ca->s_tiled ? gep(g, ca->s_tiled, mul(g, ti, cidx(g, XR))) : NULL;
    acc_load(g, &A, 0, scale ? NULL : pt);
    for (int q = 1; q < ks; q++)
        acc_load(g, &A, q, NULL);
    /* steps_per_pass columns per pass (each to its own accumulator set),
     * then the rest to the first set */
    int full = R / ks * ks;
    for (int pass = 0; pass < 2; pass++) {
        int qn = pass == 0 ? ks : 1;
        Loop k;
        loop_open(g, &k, cidx(g, pass == 0 ? 0 : full), cidx(g, pass == 0 ? full : R), qn);
        for (int q = 0; q < qn; q++) {
            LLVMValueRef col = add(g, k.i, cidx(g, q));
            acc_fma(g, &A, q, acc_column(g, &A, &c->w_h, gepw(g, &c->w_h, w, mul(g, col, cidx(g, TR)))),
                    loadf(g, gep(g, h, col)));
        }
        loop_close(g, &k);
    }
    for (int l = 0; l < A.n; l++) {
        LLVMValueRef rows = acc_get(g, &A, 0, l);
        for (int q = 1; q < ks; q++)
            rows = fadd(g, rows, acc_get(g, &A, q, l));
        acc_set(g, &A, 0, l, rows);
    }
    acc_unpair(g, &A, 0);
    if (scale)
        acc_unscale(g, &A, 0, scale, pt);
    if (whole) {   /* vector l: rows l * vw .. of the tile, within one gate */
        LLVMValueRef at = gep(g, a, mul(g, ti, cidx(g, c->tile)));
        for (int l = 0; l < A.n; l++)
            storev(g, acc_get(g, &A, 0, l), gepc(g, at, lower_cell_row(c, l * (int)A.vw)));
    } else {
        acc_store(g, &A, 0, a);
        tile_cells(g, c, ca, a, pt, ti, h, cs, m, 0);
    }
    loop_close(g, &ts);

    if (whole) {   /* every cell, the new h in place */
        tile_cells(g, c, ca, a, NULL, cidx(g, 0), h, cs, h, 1);
    } else if (c->proj) {
        LLVMValueRef args[2] = {h, m};
        call(g, projection->t, projection->v, args, 2);
    } else {
        memcpy_floats(g, h, m, c->hidden);
    }
    LLVMBuildRetVoid(g->b);
    return fn;
}

/* ---- products int8 (lower.h) ---- */

/* An int32 array as a constant global (i32*), or NULL when absent. */
static LLVMValueRef ints(Gen *g, const LowInts *arr)
{
    if (!arr->data)
        return NULL;
    unsigned n = (unsigned)arr->planes * (unsigned)arr->rows;
    LLVMValueRef *v = arena_alloc(g->a, sizeof *v * n);
    for (unsigned k = 0; k < n; k++)
        v[k] = LLVMConstInt(g->i32, (unsigned long long)(long long)arr->data[k], 1);
    LLVMValueRef init = LLVMConstArray(g->i32, v, n);
    LLVMValueRef gv = LLVMAddGlobal(g->mod, LLVMTypeOf(init), arena_printf(g->a, "lstmc.%s", arr->name));
    LLVMSetInitializer(gv, init);
    LLVMSetGlobalConstant(gv, 1);
    LLVMSetLinkage(gv, LLVMInternalLinkage);
    LLVMSetUnnamedAddress(gv, LLVMGlobalUnnamedAddr);
    LLVMSetAlignment(gv, 64);
    return LLVMConstBitCast(gv, LLVMPointerType(g->i32, 0));
}

/* The vector of n lanes each value lanes[k] (i32 constants). */
static LLVMValueRef const_lanes(Gen *g, const int *lanes, unsigned n)
{
    LLVMValueRef *m = arena_alloc(g->a, sizeof *m * n);
    for (unsigned k = 0; k < n; k++)
        m[k] = LLVMConstInt(g->i32, (unsigned long long)lanes[k], 0);
    return LLVMConstVector(m, n);
}

/* The byte of h (a float) as rt_h_code makes it: q + 128, q = h * 127
 * clamped to [-127, 127] (NaN: -127), rounded to nearest even from the
 * part the conversion toward zero leaves. */
static LLVMValueRef h_code(Gen *g, LLVMValueRef h)
{
    LLVMValueRef lo = fconst(g, g->f32, -127.0), hi = fconst(g, g->f32, 127.0);
    LLVMValueRef half = fconst(g, g->f32, 0.5), mhalf = fconst(g, g->f32, -0.5);
    LLVMValueRef v = fmul(g, h, hi);
    v = sel(g, fcmp(g, LLVMRealOGE, v, lo), v, lo);
    v = sel(g, fcmp(g, LLVMRealOLE, v, hi), v, hi);
    LLVMValueRef q = LLVMBuildFPToSI(g->b, v, g->i32, "");
    LLVMValueRef r = fsub(g, v, LLVMBuildSIToFP(g->b, q, g->f32, ""));
    LLVMValueRef odd = LLVMBuildTrunc(g->b, q, LLVMInt1TypeInContext(g->ctx), "");
    LLVMValueRef up = LLVMBuildOr(g->b, fcmp(g, LLVMRealOGT, r, half),
                                  LLVMBuildAnd(g->b, fcmp(g, LLVMRealOEQ, r, half), odd, ""), "");
    LLVMValueRef down = LLVMBuildOr(g->b, fcmp(g, LLVMRealOLT, r, mhalf),
                                    LLVMBuildAnd(g->b, fcmp(g, LLVMRealOEQ, r, mhalf), odd, ""), "");
    q = LLVMBuildSub(g->b, LLVMBuildAdd(g->b, q, LLVMBuildZExt(g->b, up, g->i32, ""), ""),
                     LLVMBuildZExt(g->b, down, g->i32, ""), "");
    return LLVMBuildTrunc(g->b, LLVMBuildAdd(g->b, q, LLVMConstInt(g->i32, 128, 0), ""), g->i8, "");
}

/* A tile's sums (TR lanes of i32 at acc) += the 4 TR weights at w (i8*,
 * each row's 4 together) times the 4 bytes at hk: one vpdpbusd per vnni
 * lanes where the target has it (rt_idot4), else widened products whose
 * groups of 4 are summed. */
static void dot4(Gen *g, const LowCell *c, LLVMValueRef acc, LLVMValueRef w, LLVMValueRef hk)
{
    unsigned TR = (unsigned)c->tile_rows, n = (unsigned)g->lm->target.vnni;
    if (n && c->simd) {
        LLVMTypeRef vt = LLVMVectorType(g->i32, n);
        const char *name = n == 16 ? "llvm.x86.avx512.vpdpbusd.512" : "llvm.x86.avx512.vpdpbusd.256";
        unsigned id = LLVMLookupIntrinsicID(name, strlen(name));
        LLVMValueRef fn = LLVMGetIntrinsicDeclaration(g->mod, id, NULL, 0);
        LLVMTypeRef ft = LLVMIntrinsicGetType(g->ctx, id, NULL, 0);
        LLVMValueRef h4 = LLVMBuildLoad2(g->b, g->i32, LLVMBuildBitCast(g->b, hk, LLVMPointerType(g->i32, 0), ""), "");
        LLVMSetAlignment(h4, 1);
        LLVMTypeRef hvt = LLVMVectorType(g->i32, n);
        LLVMValueRef hv = LLVMBuildInsertElement(g->b, LLVMGetUndef(hvt), h4, ci32(g, 0), "");
        hv = LLVMBuildShuffleVector(g->b, hv, LLVMGetUndef(hvt), LLVMConstNull(hvt), "");
        for (unsigned l = 0; l < TR / n; l++) {
            LLVMValueRef ap = LLVMBuildBitCast(g->b, LLVMBuildGEP2(g->b, g->i32, acc, (LLVMValueRef[]){cidx(g, (long)(l * n))}, 1, ""),
                                               LLVMPointerType(vt, 0), "");
            LLVMValueRef wp = LLVMBuildBitCast(g->b, LLVMBuildGEP2(g->b, g->i8, w, (LLVMValueRef[]){cidx(g, (long)(4 * l * n))}, 1, ""),
                                               LLVMPointerType(vt, 0), "");
            LLVMValueRef a = LLVMBuildLoad2(g->b, vt, ap, ""), wv = LLVMBuildLoad2(g->b, vt, wp, "");
            LLVMSetAlignment(a, 4);
            LLVMSetAlignment(wv, 1);
            LLVMValueRef args[3] = {a, hv, wv};
            LLVMValueRef r = LLVMBuildCall2(g->b, ft, fn, args, 3, "");
            LLVMSetAlignment(LLVMBuildStore(g->b, r, ap), 4);
        }
        return;
    }
    LLVMTypeRef bt = LLVMVectorType(g->i8, 4 * TR), wt = LLVMVectorType(g->i32, 4 * TR), st = LLVMVectorType(g->i32, TR);
    LLVMValueRef wv = LLVMBuildLoad2(g->b, bt, LLVMBuildBitCast(g->b, w, LLVMPointerType(bt, 0), ""), "");
    LLVMSetAlignment(wv, 1);
    LLVMTypeRef h4t = LLVMVectorType(g->i8, 4);
    LLVMValueRef h4 = LLVMBuildLoad2(g->b, h4t, LLVMBuildBitCast(g->b, hk, LLVMPointerType(h4t, 0), ""), "");
    LLVMSetAlignment(h4, 1);
    int *lanes = arena_alloc(g->a, sizeof(int) * 4 * TR);
    for (unsigned k = 0; k < 4 * TR; k++)
        lanes[k] = (int)(k % 4);
    LLVMValueRef hv = LLVMBuildShuffleVector(g->b, h4, LLVMGetUndef(h4t), const_lanes(g, lanes, 4 * TR), "");
    LLVMValueRef prod = LLVMBuildMul(g->b, LLVMBuildSExt(g->b, wv, wt, ""), LLVMBuildZExt(g->b, hv, wt, ""), "");
    LLVMValueRef ap = LLVMBuildBitCast(g->b, acc, LLVMPointerType(st, 0), "");
    LLVMValueRef sum = LLVMBuildLoad2(g->b, st, ap, "");
    LLVMSetAlignment(sum, 4);
    for (int j = 0; j < 4; j++) {
        for (unsigned r = 0; r < TR; r++)
            lanes[r] = (int)(4 * r) + j;
        sum = LLVMBuildAdd(g->b, sum, LLVMBuildShuffleVector(g->b, prod, LLVMGetUndef(wt), const_lanes(g, lanes, TR), ""), "");
    }
    LLVMSetAlignment(LLVMBuildStore(g->b, sum, ap), 4);
}

/* lstmc.ID_recur(pre, h, c, m) with products int8, as the C code's
 * emit_recur_int8: h to bytes once, then tile by tile the integer sums
 * (from h_corr), the rows pre + sum * h_factor (the kernels' a*b + c),
 * the cells; the new h goes to m, then to h. */
static Fn build_recur_int8(Gen *g, const LowCell *c, const CellArrays *ca)
{
    Fn fn;
    LLVMTypeRef ps[4] = {g->fp, g->fp, g->fp, g->fp};
    fn.v = begin_fn(g, arena_printf(g->a, "lstmc.%s_recur", c->id), ps, 4, 0, &fn.t);
    LLVMValueRef pre = param(g, 0), h = param(g, 1), cs = param(g, 2), m = param(g, 3);
    long TR = c->tile_rows, R = c->recurrent, R4 = c->hq_cols;
    /* sets of sums (groups of 4 columns g, g+1, ... each to its own, summed
     * at the end, exactly): as many as the float product's (steps_per_pass) */
    int ks = c->steps_per_pass;
    long full = R4 / (4 * ks) * (4 * ks);
    LLVMValueRef hq = LLVMBuildBitCast(g->b, slot(g, LLVMArrayType(g->i8, (unsigned)R4)), LLVMPointerType(g->i8, 0), "");
    LLVMValueRef accs[4];
    for (int q = 0; q < ks; q++)
        accs[q] = LLVMBuildBitCast(g->b, slot(g, LLVMArrayType(g->i32, (unsigned)TR)), LLVMPointerType(g->i32, 0), "");
    LLVMValueRef acc = accs[0];
    Loop k;
    loop_open(g, &k, cidx(g, 0), cidx(g, R), 1);
    LLVMBuildStore(g->b, h_code(g, loadf(g, gep(g, h, k.i))), LLVMBuildGEP2(g->b, g->i8, hq, &k.i, 1, ""));
    loop_close(g, &k);
    for (long j = R; j < R4; j++)
        LLVMBuildStore(g->b, LLVMConstInt(g->i8, 128, 0), LLVMBuildGEP2(g->b, g->i8, hq, (LLVMValueRef[]){cidx(g, j)}, 1, ""));
    Acc A = acc_make(g, c->simd, c->vecs, 1, 0);
    LLVMValueRef a = tile_array(g, c->tile_rows);
    Loop t;
    loop_open(g, &t, cidx(g, 0), cidx(g, c->tiles), 1);
    LLVMValueRef row0 = mul(g, t.i, cidx(g, TR));
    LLVMValueRef w = gepw(g, &c->w_h, ca->w_h, mul(g, t.i, cidx(g, R4 * TR)));
    LLVMBuildMemCpy(g->b, acc, 4, LLVMBuildGEP2(g->b, g->i32, ca->h_corr, &row0, 1, ""), 4, cidx(g, 4 * TR));
    for (int q = 1; q < ks; q++)
        LLVMBuildMemSet(g->b, accs[q], LLVMConstInt(g->i8, 0, 0), cidx(g, 4 * TR), 4);
    for (int pass = 0; pass < 2; pass++) {
        int qn = pass == 0 ? ks : 1;
        loop_open(g, &k, cidx(g, pass == 0 ? 0 : full), cidx(g, pass == 0 ? full : R4), 4 * qn);
        for (int q = 0; q < qn; q++) {
            LLVMValueRef col = add(g, k.i, cidx(g, 4 * q));
            dot4(g, c, accs[q], gepw(g, &c->w_h, w, mul(g, col, cidx(g, TR))), LLVMBuildGEP2(g->b, g->i8, hq, &col, 1, ""));
        }
        loop_close(g, &k);
    }
    if (ks > 1) {
        LLVMTypeRef st = LLVMVectorType(g->i32, (unsigned)TR);
        LLVMValueRef sum = NULL;
        for (int q = 0; q < ks; q++) {
            LLVMValueRef v = LLVMBuildLoad2(g->b, st, LLVMBuildBitCast(g->b, accs[q], LLVMPointerType(st, 0), ""), "");
            LLVMSetAlignment(v, 4);
            sum = q ? LLVMBuildAdd(g->b, sum, v, "") : v;
        }
        LLVMSetAlignment(LLVMBuildStore(g->b, sum, LLVMBuildBitCast(g->b, acc, LLVMPointerType(st, 0), "")), 4);
    }
    LLVMValueRef pt = gep(g, pre, row0), f = gep(g, ca->h_factor, row0);
    for (int l = 0; l < A.n; l++) {
        LLVMTypeRef it = A.vw > 1 ? LLVMVectorType(g->i32, A.vw) : g->i32;
        LLVMValueRef ip = LLVMBuildBitCast(g->b, LLVMBuildGEP2(g->b, g->i32, acc, (LLVMValueRef[]){cidx(g, (long)l * A.vw)}, 1, ""),
                                           LLVMPointerType(it, 0), "");
        LLVMValueRef iv = LLVMBuildLoad2(g->b, it, ip, "");
        LLVMSetAlignment(iv, 4);
        LLVMValueRef sums = LLVMBuildSIToFP(g->b, iv, A.vt, "");
        acc_set(g, &A, 0, l, vfma(g, A.simd, sums, acc_vload(g, &A, f, l), acc_vload(g, &A, pt, l)));
    }
    acc_store(g, &A, 0, a);
    tile_cells(g, c, ca, a, pt, t.i, h, cs, m, 0);
    loop_close(g, &t);
    memcpy_floats(g, h, m, c->hidden);
    LLVMBuildRetVoid(g->b);
    return fn;
}

/* lstmc.ID_batch_recur(pre, nb, states) with products int8: ID_recur on
 * each sequence in turn, its new h into its h and m. */
static Fn build_batch_recur_int8(Gen *g, const LowCell *c, const Fn *recur)
{
    const LowModel *lm = g->lm;
    Fn fn;
    LLVMTypeRef ps[3] = {g->fp, g->idx, g->fp};
    fn.v = begin_fn(g, arena_printf(g->a, "lstmc.%s_batch_recur", c->id), ps, 3, 0, &fn.t);
    LLVMValueRef pre = param(g, 0), nb = param(g, 1), st = param(g, 2);
    long total = lm->state_bytes / 4;
    Loop b;
    loop_open(g, &b, cidx(g, 0), nb, 1);
    LLVMValueRef s = gep(g, st, mul(g, b.i, cidx(g, total)));
    LLVMValueRef args[4] = {gep(g, pre, mul(g, b.i, cidx(g, c->gate_rows))), gepc(g, s, lm->fields[c->h_field].offset),
                            gepc(g, s, lm->fields[c->c_field].offset), gepc(g, s, lm->fields[lm->m_field].offset)};
    call(g, recur->t, recur->v, args, 4);
    loop_close(g, &b);
    LLVMBuildRetVoid(g->b);
    return fn;
}

/*
 * lstmc.ID_batch_recur(pre, nb, states): the recurrence of nb sequences
 * from their projected inputs, tile by tile; one pass over a tile's w_h
 * serves steps_per_pass sequences. Sequence b's state is states[b] (total
 * floats apart); its new h goes to its m.
 */
static Fn build_batch_recur(Gen *g, const LowCell *c, const CellArrays *ca)
{
    const LowModel *lm = g->lm;
    Fn fn;
    LLVMTypeRef ps[3] = {g->fp, g->idx, g->fp};
    fn.v = begin_fn(g, arena_printf(g->a, "lstmc.%s_batch_recur", c->id), ps, 3, 0, &fn.t);
    LLVMValueRef pre = param(g, 0), nb = param(g, 1), st = param(g, 2);
    long R = c->recurrent, total = lm->state_bytes / 4;
    long h_at = lm->fields[c->h_field].offset, c_at = lm->fields[c->c_field].offset;
    long m_at = lm->fields[lm->m_field].offset;
    long TR = c->tile_rows, XR = c->in_rows;
    int psteps = c->steps_per_pass;
    Acc A = acc_make(g, c->simd, c->vecs, psteps, c->shared_rows);
    LLVMValueRef a = tile_array(g, c->tile_rows);
    Loop t, b;
    loop_open(g, &t, cidx(g, 0), cidx(g, c->tiles), 1);
    LLVMValueRef w = gepw(g, &c->w_h, ca->w_h, mul(g, t.i, cidx(g, R * TR)));
    LLVMValueRef scale = ca->s_tiled ? gep(g, ca->s_tiled, mul(g, t.i, cidx(g, XR))) : NULL;
    LLVMValueRef full = mul(g, LLVMBuildUDiv(g->b, nb, cidx(g, psteps), ""), cidx(g, psteps));
    for (int pass = 0; pass < 2; pass++) {
        int qn = pass == 0 ? psteps : 1;
        Loop k;
        loop_open(g, &b, pass == 0 ? cidx(g, 0) : full, pass == 0 ? full : nb, qn);
        LLVMValueRef sq[4], pq[4];
        for (int q = 0; q < qn; q++) {
            LLVMValueRef bq = add(g, b.i, cidx(g, q));
            sq[q] = gep(g, st, mul(g, bq, cidx(g, total)));
            pq[q] = gep(g, pre, add(g, mul(g, bq, cidx(g, c->gate_rows)), mul(g, t.i, cidx(g, XR))));
            acc_load(g, &A, q, scale ? NULL : pq[q]);
        }
        loop_open(g, &k, cidx(g, 0), cidx(g, R), 1);
        LLVMValueRef *wv = acc_column(g, &A, &c->w_h, gepw(g, &c->w_h, w, mul(g, k.i, cidx(g, TR))));
        for (int q = 0; q < qn; q++)
            acc_fma(g, &A, q, wv, loadf(g, gep(g, gepc(g, sq[q], h_at), k.i)));
        loop_close(g, &k);
        for (int q = 0; q < qn; q++) {
            if (scale)
                acc_unscale(g, &A, q, scale, pq[q]);
            acc_store(g, &A, q, a);
            tile_cells(g, c, ca, a, pq[q], t.i, gepc(g, sq[q], h_at), gepc(g, sq[q], c_at), gepc(g, sq[q], m_at), 0);
        }
        loop_close(g, &b);
    }
    loop_close(g, &t);
    LLVMBuildRetVoid(g->b);
    return fn;
}

/* The kernels of cell c (its control code comes later, from lower_api.c). */
static CellFns build_cell_kernels(Gen *g, const LowCell *c)
{
    CellArrays ca = {0};
    CellFns cf;
    memset(&cf, 0, sizeof cf);
    for (int q = 0; q < GATE_COUNT; q++)
        ca.peep[q] = weights(g, &c->peep[q]);
    ca.w_proj = weights(g, &c->w_proj);
    ca.s_proj = weights(g, &c->s_proj);
    ca.s_tiled = weights(g, &c->s_tiled);
    ca.h_factor = weights(g, &c->h_factor);
    ca.h_corr = ints(g, &c->h_corr);
    if (c->proj)
        cf.projection = build_projection(g, c, &ca);
    ca.w_x = weights(g, &c->w_x);
    ca.w_h = weights(g, &c->w_h);
    ca.b_tiled = weights(g, &c->b_tiled);
    ca.b_hn = weights(g, &c->b_hn);
    cf.project = build_project(g, c, &ca);
    if (c->products_int8) {
        cf.recur = build_recur_int8(g, c, &ca);
        if (g->lm->streaming)
            cf.batch_recur = build_batch_recur_int8(g, c, &cf.recur);
        return cf;
    }
    cf.recur = build_recur(g, c, &ca, &cf.projection, 0);
    if (c->step_kernel)
        cf.step = build_recur(g, c, &ca, &cf.projection, 1);
    if (g->lm->streaming)
        cf.batch_recur = build_batch_recur(g, c, &ca);
    if (g->lm->streaming && c->proj)
        cf.batch_projection = build_batch_projection(g, c, &ca);
    return cf;
}

/* ---- a dense layer ---- */

/* lstmc.ID_forward(x, y): y = act(w x + b) tile by tile, as the C code's:
 * a tile's units in the accumulators over one pass of its weights, input k
 * into each; softmax and log_softmax over the whole vector by the runtime's
 * functions. */
static Fn build_dense(Gen *g, const LowDense *d)
{
    LLVMValueRef w = weights(g, &d->w), bias = weights(g, &d->b), scale = weights(g, &d->s);
    Fn df;
    LLVMTypeRef ps[2] = {g->fp, g->fp};
    df.v = begin_fn(g, arena_printf(g->a, "lstmc.%s_forward", d->id), ps, 2, 0, &df.t);
    LLVMValueRef x = param(g, 0), y = param(g, 1);
    long T = d->tile, I = d->input;
    Acc A = acc_make(g, d->simd, d->vecs, 1, 0);
    LLVMValueRef tile = LLVMBuildBitCast(g->b, slot(g, LLVMArrayType(g->f32, (unsigned)T)), g->fp, "");
    Loop t, k, v;
    loop_open(g, &t, cidx(g, 0), cidx(g, d->tiles), 1);
    LLVMValueRef wt = gepw(g, &d->w, w, mul(g, t.i, cidx(g, I * T))), t0 = mul(g, t.i, cidx(g, T));
    /* int8: the sum starts at 0, then b + s * sum, as the C code's */
    acc_load(g, &A, 0, bias && !scale ? gep(g, bias, t0) : NULL);
    loop_open(g, &k, cidx(g, 0), cidx(g, I), 1);
    acc_fma(g, &A, 0, acc_column(g, &A, &d->w, gepw(g, &d->w, wt, mul(g, k.i, cidx(g, T)))), loadf(g, gep(g, x, k.i)));
    loop_close(g, &k);
    if (scale)
        acc_unscale(g, &A, 0, gep(g, scale, t0), bias ? gep(g, bias, t0) : NULL);
    acc_store(g, &A, 0, tile);
    /* the tile's units below units */
    loop_open(g, &v, cidx(g, 0), umin(g, cidx(g, T), LLVMBuildSub(g->b, cidx(g, d->units), t0, "")), 1);
    storef(g, act(g, d->act, loadf(g, gep(g, tile, v.i))), gep(g, y, add(g, t0, v.i)));
    loop_close(g, &v);
    loop_close(g, &t);
    if (lower_vector_act_function(d->act)) {
        LLVMValueRef va[2] = {y, ci32(g, d->units)};
        llact_call(g->b, g->mod, lower_vector_act_function(d->act), va, 2);
    }
    LLVMBuildRetVoid(g->b);
    return df;
}

/* ---- control code: lower_api.c's statements, built as they come ---- */

/* The variables in scope: parameters, loop counters, lets. */
typedef struct Env {
    const char *name[32];
    LLVMValueRef v[32];
    int n;
} Env;

static void env_bind(Env *env, const char *name, LLVMValueRef v)
{
    if (env->n == (int)COUNT_OF(env->v))
        diag_fatal("internal error: too many variables in a function of the control code");
    env->name[env->n] = name;
    env->v[env->n++] = v;
}

static LLVMValueRef env_get(const Env *env, const char *name)
{
    for (int k = env->n - 1; k >= 0; k--)
        if (strcmp(env->name[k], name) == 0)
            return env->v[k];
    diag_fatal("internal error: the control code names an unknown variable '%s'", name);
}

static LLVMValueRef expr_v(Gen *g, const Env *env, const LowExpr *e)
{
    switch (e->kind) {
    case LX_CONST: return cidx(g, e->value);
    case LX_VAR:   return env_get(env, e->name);
    case LX_ADD:   return add(g, expr_v(g, env, e->a), expr_v(g, env, e->b));
    case LX_SUB:   return LLVMBuildSub(g->b, expr_v(g, env, e->a), expr_v(g, env, e->b), "");
    case LX_MUL:   return mul(g, expr_v(g, env, e->a), expr_v(g, env, e->b));
    case LX_MOD:   return LLVMBuildURem(g->b, expr_v(g, env, e->a), expr_v(g, env, e->b), "");
    case LX_MIN:   return umin(g, expr_v(g, env, e->a), expr_v(g, env, e->b));
    }
    return NULL;
}

static LLVMValueRef ptr_v(Gen *g, const Env *env, const LowPtr *p)
{
    LLVMValueRef base;
    switch (p->kind) {
    case LP_VAR:
        base = env_get(env, p->var);
        break;
    case LP_FIELD:
        /* the state as floats: element elem, then the field's offset */
        base = env_get(env, p->var);
        if (p->elem)
            base = gep(g, base, mul(g, expr_v(g, env, p->elem), cidx(g, g->lm->state_bytes / 4)));
        base = gepc(g, base, g->lm->fields[p->field].offset);
        break;
    case LP_ARRAY:
        base = weights(g, p->array);
        break;
    case LP_NULL:
    default:
        return LLVMConstNull(g->fp);
    }
    return p->offset ? gep(g, base, expr_v(g, env, p->offset)) : base;
}

static const Fn *callee_fn(const Gen *g, const LowStmt *s)
{
    const CellFns *cf = &g->cells[s->index];
    switch (s->callee) {
    case CALLEE_CELL_PROJECT:      return &cf->project;
    case CALLEE_CELL_RECUR:        return &cf->recur;
    case CALLEE_CELL_STEP:         return &cf->step;
    case CALLEE_CELL_PROJECTION:   return &cf->projection;
    case CALLEE_CELL_BATCH_RECUR:  return &cf->batch_recur;
    case CALLEE_CELL_BATCH_PROJECTION: return &cf->batch_projection;
    case CALLEE_CELL_RUN:          return &cf->run;
    case CALLEE_CELL_BATCH:        return &cf->batch;
    case CALLEE_DENSE:             return &g->dense[s->index];
    case CALLEE_MODEL_RESET:       return &g->reset;
    case CALLEE_MODEL_RUN:         return &g->run;
    case CALLEE_MODEL_RUN_FROM:    return &g->run_from;
    case CALLEE_RUNTIME:           break;   /* not the model's: llact_call */
    }
    return NULL;
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

/* ---- the backward directions on a thread of their own ---- */

/*
 * The job of LS_SPAWN: {run, its 8 arguments, posted, done, the thread,
 * started}, as the C backend's NAME_job, and handed over the same way
 * (emit_c.c, emit_jobs). The thread's pthread_t is kept in 64 bytes and
 * passed to pthread_join as an integer of size_t's width (glibc's and
 * musl's pthread_t, an unsigned long or a pointer).
 */
enum { JOB_RUN, JOB_ARGS, JOB_POSTED = JOB_ARGS + 8, JOB_DONE, JOB_THREAD, JOB_STARTED, JOB_FIELDS };

static LLVMValueRef job_field(Gen *g, LLVMValueRef job, int k)
{
    return LLVMBuildStructGEP2(g->b, g->job_t, job, (unsigned)k, "");
}

static LLVMValueRef load_acquire(Gen *g, LLVMValueRef p)
{
    LLVMValueRef v = LLVMBuildLoad2(g->b, g->i32, p, "");
    LLVMSetOrdering(v, LLVMAtomicOrderingAcquire);
    LLVMSetAlignment(v, 4);
    return v;
}

static void store_release(Gen *g, LLVMValueRef v, LLVMValueRef p)
{
    LLVMValueRef st = LLVMBuildStore(g->b, v, p);
    LLVMSetOrdering(st, LLVMAtomicOrderingRelease);
    LLVMSetAlignment(st, 4);
}

static LLVMBasicBlockRef block(Gen *g, const char *name)
{
    return LLVMAppendBasicBlockInContext(g->ctx, g->fn, name);
}

/* lstmc.job_await(v, old): waits while *v is old, spinning LOW_JOB_SPINS
 * looks, then yielding the core at each; returns the new value. */
static void build_await(Gen *g)
{
    LLVMTypeRef ps[2] = {LLVMPointerType(g->i32, 0), g->i32};
    g->job_await.t = LLVMFunctionType(g->i32, ps, 2, 0);
    g->job_await.v = g->fn = LLVMAddFunction(g->mod, "lstmc.job_await", g->job_await.t);
    LLVMSetLinkage(g->fn, LLVMInternalLinkage);
    add_attr(g, g->fn, LLVMAttributeFunctionIndex, "nounwind");
    LLVMTypeRef yield_t = LLVMFunctionType(g->i32, NULL, 0, 0);
    LLVMValueRef yield = LLVMAddFunction(g->mod, "sched_yield", yield_t);
    LLVMPositionBuilderAtEnd(g->b, block(g, "entry"));
    LLVMValueRef k = slot(g, g->i32);
    LLVMBuildStore(g->b, ci32(g, 0), k);
    LLVMBasicBlockRef look = block(g, "look"), same = block(g, "same"), give = block(g, "yield"),
                      next = block(g, "next"), out = block(g, "out");
    LLVMBuildBr(g->b, look);
    LLVMPositionBuilderAtEnd(g->b, look);
    LLVMValueRef now = load_acquire(g, param(g, 0));
    LLVMBuildCondBr(g->b, icmp(g, LLVMIntEQ, now, param(g, 1)), same, out);
    LLVMPositionBuilderAtEnd(g->b, same);
    LLVMValueRef kv = LLVMBuildLoad2(g->b, g->i32, k, "");
    LLVMBuildCondBr(g->b, icmp(g, LLVMIntUGE, kv, ci32(g, LOW_JOB_SPINS)), give, next);
    LLVMPositionBuilderAtEnd(g->b, give);
    LLVMBuildCall2(g->b, yield_t, yield, NULL, 0, "");
    LLVMBuildBr(g->b, next);
    LLVMPositionBuilderAtEnd(g->b, next);
    LLVMBuildStore(g->b, LLVMBuildAdd(g->b, kv, ci32(g, 1), ""), k);
    LLVMBuildBr(g->b, look);
    LLVMPositionBuilderAtEnd(g->b, out);
    LLVMBuildRet(g->b, now);
}

static LLVMValueRef await(Gen *g, LLVMValueRef v, LLVMValueRef old)
{
    LLVMValueRef args[2] = {v, old};
    return LLVMBuildCall2(g->b, g->job_await.t, g->job_await.v, args, 2, "");
}

/* The types, lstmc.job_await, lstmc.job_main and the pthread declarations. */
static void build_jobs(Gen *g)
{
    LLVMTypeRef ps[8] = {g->fp, g->idx, g->fp, g->idx, g->fp, g->fp, g->fp, g->fp};
    g->run_t = LLVMFunctionType(g->vd, ps, 8, 0);
    LLVMTypeRef fields[JOB_FIELDS];
    fields[JOB_RUN] = LLVMPointerType(g->run_t, 0);
    for (int k = 0; k < 8; k++)
        fields[JOB_ARGS + k] = ps[k];
    fields[JOB_POSTED] = fields[JOB_DONE] = g->i32;
    fields[JOB_THREAD] = LLVMArrayType(LLVMInt64TypeInContext(g->ctx), 8);
    fields[JOB_STARTED] = g->i32;
    g->job_t = LLVMStructTypeInContext(g->ctx, fields, JOB_FIELDS, 0);
    LLVMTypeRef i8p = LLVMPointerType(g->i8, 0);
    LLVMTypeRef main_t = LLVMFunctionType(i8p, &i8p, 1, 0);
    LLVMTypeRef create_ps[4] = {i8p, i8p, LLVMPointerType(main_t, 0), i8p};
    g->pthread_create.t = LLVMFunctionType(g->i32, create_ps, 4, 0);
    g->pthread_create.v = LLVMAddFunction(g->mod, "pthread_create", g->pthread_create.t);
    LLVMTypeRef join_ps[2] = {g->idx, LLVMPointerType(i8p, 0)};
    g->pthread_join.t = LLVMFunctionType(g->i32, join_ps, 2, 0);
    g->pthread_join.v = LLVMAddFunction(g->mod, "pthread_join", g->pthread_join.t);
    build_await(g);

    /* lstmc.job_main(job): each call handed over, until run is NULL */
    g->job_main.t = main_t;
    g->job_main.v = g->fn = LLVMAddFunction(g->mod, "lstmc.job_main", main_t);
    LLVMSetLinkage(g->fn, LLVMInternalLinkage);
    add_attr(g, g->fn, LLVMAttributeFunctionIndex, "nounwind");
    LLVMPositionBuilderAtEnd(g->b, block(g, "entry"));
    LLVMValueRef job = LLVMBuildBitCast(g->b, param(g, 0), LLVMPointerType(g->job_t, 0), "");
    LLVMValueRef seen = slot(g, g->i32);
    LLVMBuildStore(g->b, ci32(g, 0), seen);
    LLVMBasicBlockRef wait = block(g, "wait"), run = block(g, "run"), end = block(g, "end");
    LLVMBuildBr(g->b, wait);
    LLVMPositionBuilderAtEnd(g->b, wait);
    LLVMValueRef now = await(g, job_field(g, job, JOB_POSTED), LLVMBuildLoad2(g->b, g->i32, seen, ""));
    LLVMBuildStore(g->b, now, seen);
    LLVMValueRef fn = LLVMBuildLoad2(g->b, fields[JOB_RUN], job_field(g, job, JOB_RUN), "");
    LLVMBuildCondBr(g->b, LLVMBuildIsNull(g->b, fn, ""), end, run);
    LLVMPositionBuilderAtEnd(g->b, run);
    LLVMValueRef args[8];
    for (int k = 0; k < 8; k++)
        args[k] = LLVMBuildLoad2(g->b, ps[k], job_field(g, job, JOB_ARGS + k), "");
    call(g, g->run_t, fn, args, 8);
    store_release(g, now, job_field(g, job, JOB_DONE));
    LLVMBuildBr(g->b, wait);
    LLVMPositionBuilderAtEnd(g->b, end);
    LLVMBuildRet(g->b, LLVMConstNull(i8p));
}

/* Whether job has a thread: branches to a new block "started" if so, to
 * *other (a new block "no_thread") if not, and leaves the builder at
 * "started"; returns the block where both are to continue. */
static LLVMBasicBlockRef if_started(Gen *g, LLVMValueRef job, LLVMBasicBlockRef *other)
{
    LLVMValueRef started = LLVMBuildLoad2(g->b, g->i32, job_field(g, job, JOB_STARTED), "");
    LLVMBasicBlockRef then = block(g, "started"), on = block(g, "on");
    *other = block(g, "no_thread");
    LLVMBuildCondBr(g->b, LLVMBuildICmp(g->b, LLVMIntNE, started, ci32(g, 0), ""), then, *other);
    LLVMPositionBuilderAtEnd(g->b, then);
    return on;
}

/* job's posted counter, one up (a release: the thread then sees what was
 * stored before; the caller alone writes it). */
static void post_next(Gen *g, LLVMValueRef job)
{
    LLVMValueRef posted = LLVMBuildLoad2(g->b, g->i32, job_field(g, job, JOB_POSTED), "");
    store_release(g, LLVMBuildAdd(g->b, posted, ci32(g, 1), ""), job_field(g, job, JOB_POSTED));
}

/* LS_POST: fn(args) handed to job's thread; called here if it has none. */
static void post(Gen *g, LLVMValueRef job, const Fn *fn, LLVMValueRef *args)
{
    LLVMBasicBlockRef here, on = if_started(g, job, &here);
    LLVMBuildStore(g->b, fn->v, job_field(g, job, JOB_RUN));
    for (int k = 0; k < 8; k++)
        LLVMBuildStore(g->b, args[k], job_field(g, job, JOB_ARGS + k));
    post_next(g, job);
    LLVMBuildBr(g->b, on);
    LLVMPositionBuilderAtEnd(g->b, here);
    call(g, fn->t, fn->v, args, 8);
    LLVMBuildBr(g->b, on);
    LLVMPositionBuilderAtEnd(g->b, on);
}

/* LS_SPAWN: a thread for a new job, handed fn(args); the job. */
static LLVMValueRef spawn(Gen *g, const Fn *fn, LLVMValueRef *args)
{
    LLVMTypeRef i8p = LLVMPointerType(g->i8, 0);
    LLVMValueRef job = slot(g, g->job_t);
    LLVMBuildStore(g->b, ci32(g, 0), job_field(g, job, JOB_POSTED));
    LLVMBuildStore(g->b, ci32(g, 0), job_field(g, job, JOB_DONE));
    LLVMValueRef cargs[4] = {LLVMBuildBitCast(g->b, job_field(g, job, JOB_THREAD), i8p, ""), LLVMConstNull(i8p),
                             g->job_main.v, LLVMBuildBitCast(g->b, job, i8p, "")};
    LLVMValueRef err = LLVMBuildCall2(g->b, g->pthread_create.t, g->pthread_create.v, cargs, 4, "");
    LLVMValueRef started = LLVMBuildICmp(g->b, LLVMIntEQ, err, ci32(g, 0), "");
    LLVMBuildStore(g->b, LLVMBuildZExt(g->b, started, g->i32, ""), job_field(g, job, JOB_STARTED));
    post(g, job, fn, args);
    return job;
}

/* LS_WAIT, and LS_JOIN (end 1): waits until job's thread has run the call
 * handed to it; to end, then hands it a NULL run and joins it. */
static void wait_job(Gen *g, LLVMValueRef job, int end)
{
    LLVMBasicBlockRef here, on = if_started(g, job, &here);
    LLVMValueRef posted = LLVMBuildLoad2(g->b, g->i32, job_field(g, job, JOB_POSTED), "");
    (void)await(g, job_field(g, job, JOB_DONE), LLVMBuildSub(g->b, posted, ci32(g, 1), ""));
    if (end) {
        LLVMBuildStore(g->b, LLVMConstNull(LLVMPointerType(g->run_t, 0)), job_field(g, job, JOB_RUN));
        post_next(g, job);
        LLVMValueRef thread = LLVMBuildBitCast(g->b, job_field(g, job, JOB_THREAD), LLVMPointerType(g->idx, 0), "");
        LLVMValueRef jargs[2] = {LLVMBuildLoad2(g->b, g->idx, thread, ""),
                                 LLVMConstNull(LLVMPointerType(LLVMPointerType(g->i8, 0), 0))};
        LLVMBuildCall2(g->b, g->pthread_join.t, g->pthread_join.v, jargs, 2, "");
    }
    LLVMBuildBr(g->b, on);
    LLVMPositionBuilderAtEnd(g->b, here);
    LLVMBuildBr(g->b, on);
    LLVMPositionBuilderAtEnd(g->b, on);
}

static void build_block(Gen *g, Env *env, const LowBlock *b)
{
    int scope = env->n;
    for (int k = 0; k < b->n; k++) {
        const LowStmt *s = &b->s[k];
        switch (s->kind) {
        case LS_LET:
            env_bind(env, s->var, expr_v(g, env, s->expr));
            break;
        case LS_LET_STATE:
            env_bind(env, s->var, gep(g, env_get(env, s->dst.var),
                                      mul(g, expr_v(g, env, s->expr), cidx(g, g->lm->state_bytes / 4))));
            break;
        case LS_FOR: {
            Loop L;
            loop_open(g, &L, expr_v(g, env, s->expr), expr_v(g, env, s->to), s->step->value);
            int inner = env->n;
            env_bind(env, s->var, L.i);
            build_block(g, env, s->body);
            env->n = inner;
            loop_close(g, &L);
            break;
        }
        case LS_RETURN_IF_ZERO:
            return_if_zero(g, expr_v(g, env, s->expr));
            break;
        case LS_WAIT:
        case LS_JOIN:
            wait_job(g, env_get(env, s->var), s->kind == LS_JOIN);
            break;
        case LS_SPAWN:
        case LS_POST:
        case LS_CALL: {
            LLVMValueRef args[LOW_MAX_ARGS];
            for (int q = 0; q < s->nargs; q++)
                args[q] = s->args[q].is_ptr ? ptr_v(g, env, &s->args[q].ptr) : expr_v(g, env, s->args[q].expr);
            const Fn *fn = callee_fn(g, s);
            if (s->kind == LS_SPAWN)
                env_bind(env, s->var, spawn(g, fn, args));
            else if (s->kind == LS_POST)
                post(g, env_get(env, s->var), fn, args);
            else if (fn)
                call(g, fn->t, fn->v, args, (unsigned)s->nargs);
            else
                llact_call(g->b, g->mod, s->fn, args, (unsigned)s->nargs);
            break;
        }
        case LS_COPY:
            LLVMBuildMemCpy(g->b, ptr_v(g, env, &s->dst), 4, ptr_v(g, env, &s->src), 4,
                            mul(g, expr_v(g, env, s->n), cidx(g, 4)));
            break;
        case LS_ZERO_STATE:
            LLVMBuildMemSet(g->b, env_get(env, s->dst.var), LLVMConstInt(g->i8, 0, 0),
                            mul(g, expr_v(g, env, s->n), cidx(g, 4)), 4);
            break;
        }
    }
    env->n = scope;
}

/* A function of the control code: internal ones are named lstmc.NAME. */
static Fn build_func(Gen *g, const LowFunc *f)
{
    Fn fn;
    LLVMTypeRef ps[LOW_MAX_ARGS];
    for (int k = 0; k < f->nparams; k++)
        ps[k] = f->params[k].type == LT_SIZE ? g->idx : g->fp;
    fn.v = begin_fn(g, f->exported ? f->name : arena_printf(g->a, "lstmc.%s", f->name), ps, (unsigned)f->nparams,
                    f->exported, &fn.t);
    Env env = {{0}, {0}, 0};
    for (int k = 0; k < f->nparams; k++)
        env_bind(&env, f->params[k].name, param(g, (unsigned)k));
    build_block(g, &env, &f->body);
    LLVMBuildRetVoid(g->b);
    return fn;
}

/* Every function of the model: the kernels, then the control code in the
 * order its calls need. */
static void build_model(Gen *g)
{
    const LowModel *lm = g->lm;
    g->cells = arena_alloc(g->a, sizeof *g->cells * (size_t)(lm->ncells + 1));
    g->dense = arena_alloc(g->a, sizeof *g->dense * (size_t)(lm->nlayers + 1));
    for (int n = 0; n < lm->nlayers; n++)
        if (lm->layers[n].kind == IR_DENSE)
            g->dense[n] = build_dense(g, &lm->layers[n].dense);
    for (int k = 0; k < lm->ncells; k++) {
        g->cells[k] = build_cell_kernels(g, &lm->cells[k]);
        g->cells[k].run = build_func(g, &lm->cell_run[k]);
        if (lm->streaming)
            g->cells[k].batch = build_func(g, &lm->cell_batch[k]);
    }
    if (lm->direction_threads)
        build_jobs(g);
    g->reset = build_func(g, &lm->reset);
    /* NAME_state_bytes(): the state's size as this object has it */
    LLVMTypeRef size_t_fn = LLVMFunctionType(g->idx, NULL, 0, 0);
    LLVMValueRef bytes = LLVMAddFunction(g->mod, arena_printf(g->a, "%s_state_bytes", lm->name), size_t_fn);
    add_attr(g, bytes, LLVMAttributeFunctionIndex, "nounwind");
    LLVMPositionBuilderAtEnd(g->b, LLVMAppendBasicBlockInContext(g->ctx, bytes, "entry"));
    LLVMBuildRet(g->b, cidx(g, lm->state_bytes));
    /* NAME_model_hash(): NAME_MODEL_HASH as this object has it */
    LLVMTypeRef i64 = LLVMInt64TypeInContext(g->ctx);
    LLVMValueRef hash = LLVMAddFunction(g->mod, arena_printf(g->a, "%s_model_hash", lm->name),
                                        LLVMFunctionType(i64, NULL, 0, 0));
    add_attr(g, hash, LLVMAttributeFunctionIndex, "nounwind");
    LLVMPositionBuilderAtEnd(g->b, LLVMAppendBasicBlockInContext(g->ctx, hash, "entry"));
    LLVMBuildRet(g->b, LLVMConstInt(i64, lm->hash, 0));
    if (lm->ncells) {
        build_func(g, &lm->set_state);
        build_func(g, &lm->get_state);
    }
    if (!lm->streaming)
        g->run_from = build_func(g, &lm->run_from);
    g->run = build_func(g, &lm->run);
    if (lm->streaming) {
        build_func(g, &lm->step);
        build_func(g, &lm->run_batch);
    }
}

/* ---- the module ---- */

static int inited;

void emitllvm_init(void)
{
    if (inited)
        return;
    inited = 1;
    LLVMInitializeAllTargetInfos();
    LLVMInitializeAllTargets();
    LLVMInitializeAllTargetMCs();
    LLVMInitializeAllAsmPrinters();
}

/*
 * The FPU of a 32-bit ARM triple with a hard-float ABI (its environment
 * ends in "hf": eabihf, gnueabihf, musleabihf) named without --cpu or
 * --features. LLVM would make soft-float code for it (every float
 * operation a call to __aeabi_f*), still passing floats in FPU registers;
 * here each architecture gets the FPU that C compilers assume for it:
 *   thumbv7em        Cortex-M4's FPv4-SP-D16 (-mcpu=cortex-m4
 *                    -mfpu=fpv4-sp-d16; also right for a Cortex-M7)
 *   thumbv8m.main,   FPv5-SP-D16, single precision (-mfpu=fpv5-sp-d16:
 *   thumbv8.1m.main  Cortex-M33, M35P, M55, M85)
 *   armv7, armv7a,   VFPv3-D16 (Debian's armhf baseline, gcc's default
 *   armv7r, thumbv7* -mfpu=vfpv3-d16; Cortex-A and Cortex-R4F/R5F)
 * The features are named, not only a CPU, so that vector_shape sees the
 * fused multiply-add of FPv4 and FPv5 as the C code's __ARM_FEATURE_FMA.
 * Returns 1 with *cpu and *features set, 0 when t is no such case, -1
 * after reporting a hard-float triple of an architecture without a known
 * FPU (thumbv6m, thumbv7m, armv6, ...).
 */
static int arm_float_default(const LlvmTarget *t, const char *triple, const char **cpu, const char **features)
{
    static const struct {
        const char *arch, *cpu, *features;
    } fpus[] = {
        {"thumbv7em", "cortex-m4", "+vfp4d16sp"},
        {"thumbv8m.main", "", "+fp-armv8d16sp"},
        {"thumbv8.1m.main", "", "+fp-armv8d16sp"},
        {"armv7", "", "+vfp3d16"},  {"armv7a", "", "+vfp3d16"},  {"armv7r", "", "+vfp3d16"},
        {"thumbv7", "", "+vfp3d16"}, {"thumbv7a", "", "+vfp3d16"}, {"thumbv7r", "", "+vfp3d16"},
    };
    if (t->cpu || t->features || (strncmp(triple, "arm", 3) != 0 && strncmp(triple, "thumb", 5) != 0))
        return 0;
    const char *env = strrchr(triple, '-');
    size_t envlen = env ? strlen(env) : 0;
    if (envlen < 3 || strcmp(env + envlen - 2, "hf") != 0)
        return 0;
    size_t archlen = strcspn(triple, "-");
    for (size_t k = 0; k < COUNT_OF(fpus); k++)
        if (strlen(fpus[k].arch) == archlen && strncmp(triple, fpus[k].arch, archlen) == 0) {
            *cpu = fpus[k].cpu;
            *features = fpus[k].features;
            return 1;
        }
    fprintf(stderr,
            "lstmc: error: target '%s' has a hard-float ABI, but lstmc knows no FPU for %.*s: name the CPU "
            "with --cpu or the FPU with --features, as llc's -mcpu and -mattr (e.g. --cpu arm1176jzf-s, "
            "--features +vfp2)\n",
            t->triple, (int)archlen, triple);
    return -1;
}

LLVMTargetMachineRef emitllvm_target_machine(const LlvmTarget *t)
{
    emitllvm_init();
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
    if (t->triple && arm_float_default(t, triple, &cpu, &features) < 0) {
        /* reported */
    } else if (LLVMGetTargetFromTriple(triple, &target, &err) != 0) {
        fprintf(stderr, "lstmc: error: unknown target '%s': %s\n", t->triple ? t->triple : triple,
                err ? err : "not supported by this LLVM");
    } else {
        /* position-independent for hosted systems (PIE executables, shared
         * libraries); bare-metal targets ("-none-") keep their default */
        LLVMRelocMode reloc = strstr(triple, "-none") ? LLVMRelocDefault : LLVMRelocPIC;
        tm = LLVMCreateTargetMachine(target, triple, cpu ? cpu : "", features ? features : "",
                                     t->opt_level == LLVM_OPT_3 ? LLVMCodeGenLevelAggressive : LLVMCodeGenLevelDefault,
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

/* Feature f in a comma-separated list, or implied by one there that C
 * compilers take to imply it (-mavx512f defines __AVX2__ and __FMA__). */
static int has_feature_implied(const char *list, const char *f)
{
    static const char *const implied[][2] = {
        {"avx2", "avx512f"}, {"fma", "avx512f"},
    };
    if (has_feature(list, f) > 0)
        return 1;
    for (size_t k = 0; k < COUNT_OF(implied); k++)
        if (strcmp(implied[k][0], f) == 0 && has_feature(list, implied[k][1]) > 0)
            return 1;
    return 0;
}

/*
 * The vector layer of runtime/lstmc_act.h that the C backend's code gets
 * on this target (its #if chain), from the target machine's triple and
 * features: AVX-512 (16 floats, 16 accumulators, fma), AVX2 + FMA (8, 8,
 * fma), NEON on AArch64 (4, 16, fma), SSE2 on x86-64 (4, 8, mul + add),
 * else plain floats (1, 16); and whether the fast activations' RT_FMA
 * fuses (__FMA__ on x86, __ARM_FEATURE_FMA: every AArch64, 32-bit ARM with
 * VFPv4 or FP-ARMv8). tests/llvm/vector_shape.sh holds this against the
 * header preprocessed by clang for the same targets. Features implied only
 * by a --cpu name are not seen (LLVM's C API does not show them); then the
 * code is the one for the features named.
 */
static LowTarget vector_shape(LLVMTargetMachineRef tm)
{
    char *triple = LLVMGetTargetMachineTriple(tm);
    char *features = LLVMGetTargetMachineFeatureString(tm);
    int x86_64 = strncmp(triple, "x86_64", 6) == 0, aarch64 = strncmp(triple, "aarch64", 7) == 0;
    int arm32 = strncmp(triple, "arm", 3) == 0 || strncmp(triple, "thumb", 5) == 0;
    LowTarget v = {1, 1, 16, 0, 0, 0, 0};
    if (x86_64 && has_feature_implied(features, "avx512f"))
        v.vl = 16, v.accs = 16, v.fma = 1;
    else if (x86_64 && has_feature_implied(features, "avx2") && has_feature_implied(features, "fma"))
        v.vl = 8, v.accs = 8, v.fma = 1;
    else if (x86_64)
        v.vl = 4, v.accs = 8;
    else if (aarch64 && has_feature(features, "neon") >= 0)
        v.vl = 4, v.accs = 16, v.fma = 1;
    /* products int8's vpdpbusd (runtime/lstmc_act.h, rt_ivec) */
    if (x86_64 && v.vl == 16 && has_feature(features, "avx512vnni") > 0)
        v.vnni = 16;
    else if (x86_64 && v.vl == 8 && has_feature(features, "avxvnni") > 0)
        v.vnni = 8;
    static const char *const arm_fma[] = {"vfp4", "vfp4d16", "vfp4d16sp", "vfp4sp",
                                          "fp-armv8", "fp-armv8d16", "fp-armv8d16sp", "fp-armv8sp"};
    if (x86_64)
        v.act_fma = has_feature_implied(features, "fma");
    else if (aarch64)
        v.act_fma = 1;
    for (size_t k = 0; arm32 && k < COUNT_OF(arm_fma); k++)
        v.act_fma |= has_feature(features, arm_fma[k]) > 0;
    LLVMDisposeMessage(triple);
    LLVMDisposeMessage(features);
    return v;
}

int emitllvm_vector_shape(const LlvmTarget *t, LowTarget *out)
{
    LLVMTargetMachineRef tm = emitllvm_target_machine(t);
    if (!tm)
        return -1;
    *out = vector_shape(tm);
    LLVMDisposeTargetMachine(tm);
    return 0;
}

/* --opt-level s and z: every function with a body optsize, and with z
 * minsize too (the runtime's activations linked in included: llact_link
 * left them to the inliner), as clang marks them under -Os and -Oz: the
 * pipeline's inliner and unroller and code generation read these
 * attributes, not the pipeline's name. */
static void mark_size(Gen *g, LlvmOptLevel opt_level)
{
    if (opt_level != LLVM_OPT_S && opt_level != LLVM_OPT_Z)
        return;
    for (LLVMValueRef f = LLVMGetFirstFunction(g->mod); f; f = LLVMGetNextFunction(f)) {
        if (LLVMIsDeclaration(f))
            continue;
        add_attr(g, f, LLVMAttributeFunctionIndex, "optsize");
        if (opt_level == LLVM_OPT_Z)
            add_attr(g, f, LLVMAttributeFunctionIndex, "minsize");
    }
}

static const char *const pipelines[] = {
    [LLVM_OPT_2] = "default<O2>", [LLVM_OPT_3] = "default<O3>",
    [LLVM_OPT_S] = "default<Os>", [LLVM_OPT_Z] = "default<Oz>",
};

LLVMModuleRef emitllvm_module(LLVMContextRef ctx, LLVMTargetMachineRef tm, const LowModel *lm,
                              LlvmOptLevel opt_level)
{
    Arena arena = {0};
    Gen gen = {0}, *g = &gen;
    LLVMModuleRef result = NULL;
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
    if (!lm->target.known) {
        fprintf(stderr, "lstmc: internal error: model %s was lowered for no known target\n", lm->name);
        goto done;
    }
    g->fma = lm->target.fma;
    g->act_fma = lm->target.act_fma;
    g->f32 = LLVMFloatTypeInContext(ctx);
    g->i32 = LLVMInt32TypeInContext(ctx);
    g->i8 = LLVMInt8TypeInContext(ctx);
    g->idx = LLVMIntPtrTypeInContext(ctx, g->td);   /* size_t */
    g->fp = LLVMPointerType(g->f32, 0);
    g->vd = LLVMVoidTypeInContext(ctx);

    /* the runtime's activations, RT_FMA as the C backend's code gets it */
    if (llact_link(g->mod, g->act_fma, opt_level == LLVM_OPT_S || opt_level == LLVM_OPT_Z) != 0)
        goto done;
    build_model(g);
    /* the vector shape it was built for, named in the module so that a test
     * can hold it against what the C code gets for the same target
     * (tests/llvm/vector_shape.sh) */
    LLVMValueRef shape[4] = {ci32(g, lm->target.vl), ci32(g, lm->target.accs), ci32(g, lm->target.fma),
                             ci32(g, lm->target.act_fma)};
    LLVMAddNamedMetadataOperand(g->mod, "lstmc.vector_shape", LLVMMDNodeInContext(ctx, shape, 4));

    if (emitllvm_verify(g->mod, lm->name) != 0)
        goto done;
    mark_size(g, opt_level);
    if (emitllvm_optimize(g->mod, tm, opt_level) != 0)
        goto done;
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

int emitllvm_verify(LLVMModuleRef mod, const char *name)
{
    char *msg = NULL;
    if (LLVMVerifyModule(mod, LLVMReturnStatusAction, &msg)) {
        fprintf(stderr, "lstmc: internal error: the LLVM module of model %s does not verify:\n%s", name,
                msg ? msg : "");
        LLVMDisposeMessage(msg);
        return -1;
    }
    LLVMDisposeMessage(msg);
    return 0;
}

int emitllvm_optimize(LLVMModuleRef mod, LLVMTargetMachineRef tm, LlvmOptLevel opt_level)
{
    LLVMPassBuilderOptionsRef po = LLVMCreatePassBuilderOptions();
    /* as clang: all on, but off for -Oz (the size attributes restrain
     * the unroller and the vectorizers at s) */
    int on = opt_level != LLVM_OPT_Z;
    LLVMPassBuilderOptionsSetLoopVectorization(po, on);
    LLVMPassBuilderOptionsSetSLPVectorization(po, on);
    LLVMPassBuilderOptionsSetLoopUnrolling(po, on);
    LLVMErrorRef perr = LLVMRunPasses(mod, pipelines[opt_level], tm, po);
    LLVMDisposePassBuilderOptions(po);
    if (perr) {
        char *e = LLVMGetErrorMessage(perr);
        fprintf(stderr, "lstmc: internal error: LLVM's optimization pipeline failed: %s\n", e);
        LLVMDisposeErrorMessage(e);
        return -1;
    }
    return 0;
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

/* Whether the triple's object files are ELF: not Mach-O (Apple), COFF
 * (Windows), XCOFF (AIX) or WebAssembly. */
static int elf_triple(const char *triple)
{
    static const char *const other[] = {"apple", "darwin", "macos", "ios", "windows", "win32", "mingw",
                                        "cygwin", "aix", "wasm"};
    for (size_t k = 0; k < COUNT_OF(other); k++)
        if (strstr(triple, other[k]))
            return 0;
    return 1;
}

/*
 * One section per function and per global on ELF targets, named as gcc's
 * -ffunction-sections -fdata-sections name them (.text.NAME, .rodata.NAME,
 * .data.NAME, .bss.NAME), so that a link with --gc-sections keeps only
 * what the program reaches: NAME_step alone drops NAME_run_batch and the
 * kernels only it calls. (LLVM 14's C API has no TargetMachine option for
 * it; a section named on each symbol does the same.)
 */
static void one_section_each(LLVMModuleRef mod, LLVMTargetMachineRef tm, Arena *a)
{
    char *triple = LLVMGetTargetMachineTriple(tm);
    int elf = elf_triple(triple);
    LLVMDisposeMessage(triple);
    if (!elf)
        return;
    size_t len;
    for (LLVMValueRef f = LLVMGetFirstFunction(mod); f; f = LLVMGetNextFunction(f))
        if (!LLVMIsDeclaration(f))
            LLVMSetSection(f, arena_printf(a, ".text.%s", LLVMGetValueName2(f, &len)));
    for (LLVMValueRef v = LLVMGetFirstGlobal(mod); v; v = LLVMGetNextGlobal(v)) {
        if (LLVMIsDeclaration(v))
            continue;
        LLVMValueRef init = LLVMGetInitializer(v);
        const char *kind = LLVMIsGlobalConstant(v) ? "rodata" : init && LLVMIsNull(init) ? "bss" : "data";
        LLVMSetSection(v, arena_printf(a, ".%s.%s", kind, LLVMGetValueName2(v, &len)));
    }
}

/* The C header of a LowModel, as emitllvm_write_module's callback. */
typedef struct FloatHeader {
    const LowModel *lm;
    const EmitOptions *o;
} FloatHeader;

static void float_header(FILE *f, const void *ctx)
{
    const FloatHeader *fh = ctx;
    emitc_header(f, fh->lm, fh->o);
}

int emitllvm_write_files(const LowModel *lm, const EmitOptions *o, const LlvmTarget *t, LlvmEmitKind kind,
                         const char *prefix)
{
    LLVMTargetMachineRef tm = emitllvm_target_machine(t);
    if (!tm)
        return -1;
    LLVMContextRef ctx = LLVMContextCreate();
    LLVMModuleRef mod = emitllvm_module(ctx, tm, lm, t->opt_level);
    FloatHeader fh = {lm, o};
    int status = mod ? emitllvm_write_module(mod, tm, kind, prefix, float_header, &fh) : -1;
    if (mod)
        LLVMDisposeModule(mod);
    LLVMContextDispose(ctx);
    LLVMDisposeTargetMachine(tm);
    return status;
}

int emitllvm_write_module(LLVMModuleRef mod, LLVMTargetMachineRef tm, LlvmEmitKind kind, const char *prefix,
                          void (*header)(FILE *f, const void *ctx), const void *ctx)
{
    Arena a = {0};
    one_section_each(mod, tm, &a);
    int status = -1;
    char *text = NULL;
    LLVMMemoryBufferRef buf = NULL;
    if (module_bytes(mod, tm, kind, &text, &buf) == 0) {
        const char *path = arena_printf(&a, "%s%s", prefix, emitllvm_suffix(kind));
        const char *hpath = arena_printf(&a, "%s.h", prefix);
        OutFile oh, ob;
        if (outfile_open(&oh, hpath) == 0) {
            if (outfile_open(&ob, path) == 0) {
                header(oh.f, ctx);
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
    arena_free(&a);
    return status;
}
