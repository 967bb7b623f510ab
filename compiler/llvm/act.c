/*
 * act.c - the activations of the LLVM backend (act.h): calls of the
 * runtime's own functions, never a second implementation of them.
 *
 * Why bitcode: the runtime's math must live in one place. The alternatives
 * were to describe the polynomials as data that both emitters print (then
 * the header is no longer the code users read, and every trick of it, such
 * as the bit-level clamps and the rounding of the exponent, needs a
 * printer of its own in each backend), or to keep a hand-built copy (a
 * change to the header must be made twice, or the backends silently
 * diverge). Compiling the header with clang at lstmc's build time makes
 * the C the only source: a change to runtime/lstmc_act.h reaches the LLVM
 * backend at the next make.
 *
 * The Makefile compiles act_runtime.c (the header's functions, exported as
 * lstmc_rt_NAME) at -O2 with -ffp-contract=off (no a*b + c fused behind
 * the header's back, as gcc's ISO C mode does not), its loops neither
 * vectorized nor unrolled (the model's pipeline does both, for its target
 * and its constant trip counts), for the build machine's default target,
 * once with RT_FMA fused (__builtin_fmaf: llvm.fma) and
 * once not, and embeds both bitcode files (build/act_bitcode.c). Per
 * model, llact_link parses the right one, gives it the model's triple and
 * data layout, drops the build machine's CPU and features from its
 * functions (the model's target machine decides them), links it in and
 * makes each function internal, always inlined, named lstmc.rt_NAME.
 * For size (--opt-level s, z) a third and fourth bitcode, compiled with
 * -fno-inline, keep the header's functions apart (scaled sigmoid calls
 * sigmoid, both call the exp parts), and nothing is forced inline: the
 * size-minded inliner leaves shared parts shared, as gcc -Os does.
 *
 * Vectors: the tiled kernels activate V = 2..16 cells at once as one
 * <V x float>. The fast functions are straight-line code (their clamps are
 * selects on bits), so widen() builds each instruction of the function's
 * bitcode once on <V x ...>: vector code by construction, not by a
 * vectorizer's decision (checked in the optimized IR for AVX-512, AVX2,
 * SSE2 and NEON: as many vector fma, fdiv and select as the hand-built
 * activations had, no scalar float operation left). The exact sigmoid,
 * tanh and elu are straight-line too (their doubles become vectors of
 * doubles); softplus and softmax call libm: a call per lane, as the C does.
 */
#include "act.h"

#include <llvm-c/BitReader.h>
#include <llvm-c/Linker.h>

#include <stdio.h>
#include <string.h>

#include "util.h"

/* build/act_bitcode.c (scripts/embed_bin.sh): act_runtime.c as bitcode,
 * RT_FMA fused or not, each also compiled with -fno-inline (_small) */
extern const unsigned char llact_bc_fma[], llact_bc_nofma[], llact_bc_fma_small[], llact_bc_nofma_small[];
extern const size_t llact_bc_fma_size, llact_bc_nofma_size, llact_bc_fma_small_size, llact_bc_nofma_small_size;

#define EXPORT_PREFIX "lstmc_rt_"     /* act_runtime.c's names */
#define LINKED_PREFIX "lstmc.rt_"     /* in the model: no C name can clash */
#define INNER_PREFIX "lstmc.inner."   /* the header's own functions, in the -fno-inline bitcode */

/* Function attributes of the build machine's target, which must not reach
 * a module for another CPU (or stop inlining into the model's functions). */
static const char *const target_attrs[] = {"target-cpu", "target-features", "tune-cpu"};

static void add_fn_attr(LLVMContextRef ctx, LLVMValueRef fn, const char *name)
{
    unsigned kind = LLVMGetEnumAttributeKindForName(name, strlen(name));
    LLVMAddAttributeAtIndex(fn, LLVMAttributeFunctionIndex, LLVMCreateEnumAttribute(ctx, kind, 0));
}

static void remove_fn_attr(LLVMValueRef fn, const char *name)
{
    unsigned kind = LLVMGetEnumAttributeKindForName(name, strlen(name));
    LLVMRemoveEnumAttributeAtIndex(fn, LLVMAttributeFunctionIndex, kind);
}

int llact_link(LLVMModuleRef mod, int fma, int size_first)
{
    LLVMContextRef ctx = LLVMGetModuleContext(mod);
    const unsigned char *bc = size_first ? (fma ? llact_bc_fma_small : llact_bc_nofma_small)
                                         : (fma ? llact_bc_fma : llact_bc_nofma);
    size_t size = size_first ? (fma ? llact_bc_fma_small_size : llact_bc_nofma_small_size)
                             : (fma ? llact_bc_fma_size : llact_bc_nofma_size);
    LLVMMemoryBufferRef buf = LLVMCreateMemoryBufferWithMemoryRange((const char *)bc, size, "lstmc_act", 0);
    LLVMModuleRef rt = NULL;
    int bad = LLVMParseBitcodeInContext2(ctx, buf, &rt);
    LLVMDisposeMemoryBuffer(buf);
    if (bad) {
        fprintf(stderr, "lstmc: internal error: this LLVM cannot read the runtime's bitcode "
                "(clang and llvm-config of different versions when lstmc was built?)\n");
        return -1;
    }
    LLVMSetTarget(rt, LLVMGetTarget(mod));
    LLVMSetDataLayout(rt, LLVMGetDataLayoutStr(mod));

    /* the definitions, by name: linking moves them into mod */
    int n = 0;
    for (LLVMValueRef fn = LLVMGetFirstFunction(rt); fn; fn = LLVMGetNextFunction(fn))
        n += !LLVMIsDeclaration(fn);
    char **names = mem_alloc(sizeof *names * (size_t)(n ? n : 1));
    n = 0;
    for (LLVMValueRef fn = LLVMGetFirstFunction(rt); fn; fn = LLVMGetNextFunction(fn)) {
        /* declarations too (libm's): a call is lowered for its callee's CPU */
        for (size_t k = 0; k < sizeof target_attrs / sizeof *target_attrs; k++)
            LLVMRemoveStringAttributeAtIndex(fn, LLVMAttributeFunctionIndex, target_attrs[k],
                                             (unsigned)strlen(target_attrs[k]));
        size_t len;
        if (!LLVMIsDeclaration(fn))
            names[n++] = mem_strdup(LLVMGetValueName2(fn, &len));
    }
    if (LLVMLinkModules2(mod, rt)) {   /* rt is destroyed either way */
        fprintf(stderr, "lstmc: internal error: the runtime's bitcode does not link into the model\n");
        for (int k = 0; k < n; k++)
            mem_free(names[k]);
        mem_free(names);
        return -1;
    }
    /* Each exported lstmc_rt_NAME becomes lstmc.rt_NAME, always inlined.
     * For size, the -fno-inline bitcode also has the header's own static
     * functions (rt_NAME, which lstmc_rt_NAME calls, and helpers such as
     * rt_expm1_parts_): lstmc.inner.rt_NAME, and every function left to
     * the inliner, so that a part several activations use is one function. */
    int status = 0;
    for (int k = 0; k < n; k++) {
        LLVMValueRef fn = LLVMGetNamedFunction(mod, names[k]);
        size_t plen = strlen(EXPORT_PREFIX);
        int exported = strncmp(names[k], EXPORT_PREFIX, plen) == 0;
        if (!fn || (!exported && !(size_first && LLVMGetLinkage(fn) == LLVMInternalLinkage))) {
            fprintf(stderr, "lstmc: internal error: unexpected function %s in the runtime's bitcode\n", names[k]);
            status = -1;
        } else {
            char name[128];
            if (exported)
                snprintf(name, sizeof name, LINKED_PREFIX "%s", names[k] + plen);
            else
                snprintf(name, sizeof name, INNER_PREFIX "%s", names[k]);
            LLVMSetValueName2(fn, name, strlen(name));
            LLVMSetLinkage(fn, LLVMInternalLinkage);
            remove_fn_attr(fn, "noinline");
            if (!size_first)
                add_fn_attr(ctx, fn, "alwaysinline");
        }
        mem_free(names[k]);
    }
    mem_free(names);
    return status;
}

/* The module's lstmc.rt_NAME, NAME as the runtime spells it (rt_NAME). */
static LLVMValueRef rt_fn(LLVMModuleRef mod, const char *rt_name)
{
    char name[128];
    snprintf(name, sizeof name, LINKED_PREFIX "%s", rt_name + strlen("rt_"));
    LLVMValueRef fn = LLVMGetNamedFunction(mod, name);
    if (!fn)
        diag_fatal("internal error: the runtime's bitcode has no %s", rt_name);
    return fn;
}

/* ---- a scalar function on a vector ---- */

/* The scalar function being widened: its parameters' and instructions'
 * vectors, in the order they were built. */
typedef struct Widen {
    LLVMBuilderRef b;
    LLVMModuleRef mod;
    unsigned lanes;
    LLVMValueRef *from, *to;   /* scalar value -> its vector */
    int n;
} Widen;

static LLVMValueRef splat_const(unsigned lanes, LLVMValueRef c)
{
    LLVMValueRef *v = mem_alloc(sizeof *v * lanes);
    for (unsigned k = 0; k < lanes; k++)
        v[k] = c;
    LLVMValueRef r = LLVMConstVector(v, lanes);
    mem_free(v);
    return r;
}

/* The vector of scalar value v: built already, or a constant's splat. */
static LLVMValueRef widened(const Widen *w, LLVMValueRef v)
{
    for (int k = 0; k < w->n; k++)
        if (w->from[k] == v)
            return w->to[k];
    return splat_const(w->lanes, v);
}

/* The operands of an instruction (a call's: its arguments). */
static unsigned operands(LLVMValueRef in)
{
    if (LLVMGetInstructionOpcode(in) == LLVMCall)
        return LLVMGetNumArgOperands(in);
    return (unsigned)LLVMGetNumOperands(in);
}

/* The intrinsic of a call when it is overloaded on its result type alone
 * (llvm.fma.f32, llvm.fabs.f32, llvm.rint.f32, ...), so that the same
 * intrinsic exists lane by lane on vectors; else 0. */
static unsigned lanewise_intrinsic(LLVMModuleRef mod, LLVMValueRef call)
{
    LLVMValueRef callee = LLVMGetCalledValue(call);
    unsigned id = callee && LLVMIsAFunction(callee) ? LLVMGetIntrinsicID(callee) : 0;
    if (!id || !LLVMIntrinsicIsOverloaded(id))
        return 0;
    LLVMTypeRef t = LLVMTypeOf(call);
    return LLVMGetIntrinsicDeclaration(mod, id, &t, 1) == callee ? id : 0;
}

/* Whether an instruction is the same operation lane by lane on vectors. */
static int lanewise(LLVMModuleRef mod, LLVMValueRef in)
{
    if (operands(in) > 3)
        return 0;
    switch (LLVMGetInstructionOpcode(in)) {
    case LLVMAdd: case LLVMFAdd: case LLVMSub: case LLVMFSub: case LLVMMul: case LLVMFMul:
    case LLVMUDiv: case LLVMSDiv: case LLVMFDiv: case LLVMURem: case LLVMSRem: case LLVMFRem:
    case LLVMShl: case LLVMLShr: case LLVMAShr: case LLVMAnd: case LLVMOr: case LLVMXor:
    case LLVMFNeg: case LLVMTrunc: case LLVMZExt: case LLVMSExt: case LLVMFPToUI: case LLVMFPToSI:
    case LLVMUIToFP: case LLVMSIToFP: case LLVMFPTrunc: case LLVMFPExt: case LLVMBitCast:
    case LLVMICmp: case LLVMFCmp: case LLVMSelect:
        return 1;
    case LLVMCall:
        return lanewise_intrinsic(mod, in) != 0;
    default:
        return 0;
    }
}

/* Instruction in as the same operation on the vectors of its operands. */
static LLVMValueRef widen_inst(Widen *w, LLVMValueRef in)
{
    LLVMValueRef a[3];
    unsigned n = operands(in);
    for (unsigned k = 0; k < n; k++)
        a[k] = widened(w, LLVMGetOperand(in, k));
    LLVMOpcode op = LLVMGetInstructionOpcode(in);
    LLVMTypeRef vt = LLVMVectorType(LLVMTypeOf(in), w->lanes);
    switch (op) {
    case LLVMFNeg:
        return LLVMBuildFNeg(w->b, a[0], "");
    case LLVMTrunc: case LLVMZExt: case LLVMSExt: case LLVMFPToUI: case LLVMFPToSI: case LLVMUIToFP:
    case LLVMSIToFP: case LLVMFPTrunc: case LLVMFPExt: case LLVMBitCast:
        return LLVMBuildCast(w->b, op, a[0], vt, "");
    case LLVMICmp:
        return LLVMBuildICmp(w->b, LLVMGetICmpPredicate(in), a[0], a[1], "");
    case LLVMFCmp:
        return LLVMBuildFCmp(w->b, LLVMGetFCmpPredicate(in), a[0], a[1], "");
    case LLVMSelect:
        return LLVMBuildSelect(w->b, a[0], a[1], a[2], "");
    case LLVMCall: {
        unsigned id = lanewise_intrinsic(w->mod, in);
        LLVMValueRef fn = LLVMGetIntrinsicDeclaration(w->mod, id, &vt, 1);
        LLVMTypeRef ft = LLVMIntrinsicGetType(LLVMGetModuleContext(w->mod), id, &vt, 1);
        return LLVMBuildCall2(w->b, ft, fn, a, n, "");
    }
    default:   /* a binary operator */
        return LLVMBuildBinOp(w->b, op, a[0], a[1], "");
    }
}

/*
 * fn(x, args...) for a vector x of V lanes (and the vectors of V lanes
 * and constants after it), built at b: each instruction of fn once, on
 * <V x ...>, in fn's order; NULL when fn is not one block of
 * lane-by-lane operations (a libm call: softplus; a branch).
 *
 * Why not a call per lane and the SLP vectorizer: whether SLP joins the
 * lanes depends on the shape of the header's code. With the sigmoid's
 * cutoff written as one condition (rt_sigmoidf_fast), it left 1728 scalar
 * float operations in the optimized module of a model (I = 16, H = 32,
 * AVX-512). Built here, every fast function is vector code whatever it
 * looks like, the same as the hand-built IR was.
 */
static LLVMValueRef widen(LLVMBuilderRef b, LLVMModuleRef mod, LLVMValueRef fn, const LLVMValueRef *args,
                          unsigned nargs)
{
    if (LLVMCountBasicBlocks(fn) != 1)
        return NULL;
    LLVMBasicBlockRef body = LLVMGetEntryBasicBlock(fn);
    LLVMValueRef ret = LLVMGetBasicBlockTerminator(body);
    if (!ret || LLVMGetInstructionOpcode(ret) != LLVMRet || LLVMGetNumOperands(ret) != 1)
        return NULL;
    int n = (int)nargs;
    for (LLVMValueRef in = LLVMGetFirstInstruction(body); in != ret; in = LLVMGetNextInstruction(in), n++)
        if (!lanewise(mod, in))
            return NULL;

    unsigned lanes = LLVMGetVectorSize(LLVMTypeOf(args[0]));
    Widen w = {b, mod, lanes, mem_alloc(sizeof *w.from * (size_t)n), mem_alloc(sizeof *w.to * (size_t)n), 0};
    for (unsigned k = 0; k < nargs; k++) {   /* the vectors (x, ...), then the constants a, b */
        w.from[w.n] = LLVMGetParam(fn, k);
        w.to[w.n++] = LLVMGetTypeKind(LLVMTypeOf(args[k])) == LLVMVectorTypeKind ? args[k]
                                                                                : splat_const(lanes, args[k]);
    }
    for (LLVMValueRef in = LLVMGetFirstInstruction(body); in != ret; in = LLVMGetNextInstruction(in)) {
        LLVMValueRef v = widen_inst(&w, in);
        w.from[w.n] = in;
        w.to[w.n++] = v;
    }
    LLVMValueRef result = widened(&w, LLVMGetOperand(ret, 0));
    mem_free(w.from);
    mem_free(w.to);
    return result;
}

LLVMValueRef llact_lanes(LLVMBuilderRef b, LLVMModuleRef mod, const char *rt_name, const LLVMValueRef *args,
                         unsigned nargs)
{
    LLVMContextRef ctx = LLVMGetModuleContext(mod);
    LLVMTypeRef i32 = LLVMInt32TypeInContext(ctx);
    LLVMValueRef fn = rt_fn(mod, rt_name), a[LLACT_MAX_ARGS];
    LLVMTypeRef ft = LLVMGlobalGetValueType(fn), t = LLVMTypeOf(args[0]);
    if (nargs > LLACT_MAX_ARGS || LLVMCountParamTypes(ft) != nargs)
        diag_fatal("internal error: %s takes %u arguments, not %u", rt_name, LLVMCountParamTypes(ft), nargs);
    memcpy(a, args, sizeof *a * nargs);
    if (LLVMGetTypeKind(t) != LLVMVectorTypeKind)
        return LLVMBuildCall2(b, ft, fn, a, nargs, "");
    /* a vector: the function on vectors, or (libm, branches, and one lane:
     * a target without vectors, where a call can be shared) a call per lane */
    LLVMValueRef r = LLVMGetVectorSize(t) > 1 ? widen(b, mod, fn, args, nargs) : NULL;
    if (r)
        return r;
    r = LLVMGetUndef(t);
    for (unsigned k = 0; k < LLVMGetVectorSize(t); k++) {
        LLVMValueRef lane = LLVMConstInt(i32, k, 0);
        for (unsigned q = 0; q < nargs; q++)
            if (LLVMGetTypeKind(LLVMTypeOf(args[q])) == LLVMVectorTypeKind)
                a[q] = LLVMBuildExtractElement(b, args[q], lane, "");
        r = LLVMBuildInsertElement(b, r, LLVMBuildCall2(b, ft, fn, a, nargs, ""), lane, "");
    }
    return r;
}

LLVMValueRef llact_apply(LLVMBuilderRef b, LLVMModuleRef mod, LowAct a, LLVMValueRef x)
{
    const char *name = lower_act_function(a);
    if (!name)
        return x;
    /* the runtime's parameters: x, then the activation's own (a, b) */
    LLVMTypeRef f32 = LLVMFloatTypeInContext(LLVMGetModuleContext(mod));
    LLVMValueRef args[3] = {x, LLVMConstReal(f32, (double)a.a), LLVMConstReal(f32, (double)a.b)};
    return llact_lanes(b, mod, name, args, 1 + (unsigned)ir_activation_params(a.kind));
}

LLVMValueRef llact_call(LLVMBuilderRef b, LLVMModuleRef mod, const char *rt_name, LLVMValueRef *args, unsigned n)
{
    LLVMValueRef fn = rt_fn(mod, rt_name);
    LLVMTypeRef ft = LLVMGlobalGetValueType(fn);
    LLVMTypeRef ps[12];
    if (n > 12 || LLVMCountParamTypes(ft) != n)
        diag_fatal("internal error: %s takes %u arguments, not %u", rt_name, LLVMCountParamTypes(ft), n);
    LLVMGetParamTypes(ft, ps);
    for (unsigned k = 0; k < n; k++) {
        if (LLVMGetTypeKind(ps[k]) == LLVMIntegerTypeKind && LLVMTypeOf(args[k]) != ps[k])
            args[k] = LLVMBuildIntCast2(b, args[k], ps[k], 0, "");
        else if (LLVMGetTypeKind(ps[k]) == LLVMPointerTypeKind && LLVMTypeOf(args[k]) != ps[k])
            args[k] = LLVMBuildPointerCast(b, args[k], ps[k], "");   /* token ids: addressed as floats */
    }
    return LLVMBuildCall2(b, ft, fn, args, n, "");
}
