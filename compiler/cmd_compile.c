/*
 * cmd_compile.c - `lstmc compile`: spec + weights -> PREFIX.c and PREFIX.h
 * (or an LLVM module and PREFIX.h), through the front end
 * (cli_load_model), the lowering (once) and one of the emitters.
 */
#include "cli.h"
#include "emit_c.h"
#include "emit_c_int.h"
#ifdef LSTMC_HAVE_LLVM
#include "llvm/emit_llvm.h"
#include "llvm/emit_llvm_int.h"
#endif

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

const char usage_compile[] =
    "usage: lstmc compile SPEC [-w WEIGHTS] -o PREFIX [--name NAME] [--activations exact|fast]\n"
    "                     [--threads N] [--chunk N] [--weights-type T [--products int8]]\n"
    "                     [--arithmetic int16 --ranges FILE]\n"
    "                     [--emit c|llvm|bc|obj [--target TRIPLE]\n"
    "                     [--cpu CPU] [--features LIST] [--opt-level 2|3|s|z]]\n"
    "\n"
    "Writes the model as specialized C99: PREFIX.c (the weights as constants,\n"
    "one function per layer, the activations copied in; compile it alone with\n"
    "-lm) and PREFIX.h (its API: NAME_state, NAME_reset, NAME_run, and\n"
    "NAME_step for models without a backward direction). No malloc, no\n"
    "mutable globals: all state is in a caller-owned NAME_state.\n"
    "\n"
    "options:\n"
    "  -w, --weights FILE     weights to use instead of the spec's 'weights' file\n"
    "  -o, --output PREFIX    write PREFIX.c and PREFIX.h (required)\n"
    "  --name NAME            C identifier prefix of every exported name\n"
    "                         (default: the model's name)\n"
    "  --activations MODE     fast (default): the runtime's sigmoid and tanh,\n"
    "                         within 1.5e-7 (an LSTM's fused cell update 4e-7);\n"
    "                         exact: within 0.51 ulps. No libm calls either way\n"
    "  --threads N            N >= 2: a streaming model's large LSTM layers shared\n"
    "                         among N threads (NAME_threads_start; C only); the\n"
    "                         two directions of a bidirectional layer on two\n"
    "                         threads (a second one per NAME_run call; C and\n"
    "                         LLVM). Both need pthreads and __atomic builtins.\n"
    "                         Default 1: no threads\n"
    "  --weights-type T       how the weight matrices are stored: f32 (default),\n"
    "                         f16 or bf16 (half the flash, rounded to nearest\n"
    "                         even), int8 (a quarter, one scale per row); the\n"
    "                         arithmetic stays float. Overrides the spec's\n"
    "                         weights_type; `lstmc run` takes it too\n"
    "  --products int8        int8 weights times int8 h (SPEC.md)\n"
    "  --arithmetic int16     integer-only code, no FPU needed (SPEC.md)\n"
    "  --ranges, --calibrate  int16: a ranges file (lstmc calibrate), or data\n"
    "  --chunk N              steps whose input projection is computed at once\n"
    "                         (1 to 4096; default: as many as keep the scratch\n"
    "                         within 128 KB, at most 32): scratch RAM grows with\n"
    "                         N, speed too; 1: a step-only model with the least RAM\n"
    "  --emit KIND            c: PREFIX.c (default); llvm: PREFIX.ll, LLVM IR;\n"
    "                         bc: PREFIX.bc, LLVM bitcode; obj: PREFIX.o, an object\n"
    "                         file. Each with the same PREFIX.h and API as the C;\n"
    "                         the LLVM kinds need an lstmc built with LLVM\n"
    "  --target TRIPLE        with llvm, bc or obj: the target, as llc takes it\n"
    "                         (aarch64-linux-gnu, thumbv7em-none-eabihf, ...);\n"
    "                         default: this machine, with its CPU's extensions\n"
    "  --cpu CPU              with --emit llvm|bc|obj: the CPU (as llc -mcpu)\n"
    "  --features LIST        with --emit llvm|bc|obj: target features (as llc\n"
    "                         -mattr, e.g. +neon,-fp64)\n"
    "                         A hard-float ARM triple (*eabihf) without --cpu and\n"
    "                         --features gets its architecture's FPU (README,\n"
    "                         Targets): thumbv7em FPv4-SP-D16, thumbv8*m.main\n"
    "                         FPv5-SP-D16, armv7* and thumbv7* VFPv3-D16; any\n"
    "                         other is an error: name --cpu or --features\n"
    "  --opt-level N          with --emit llvm|bc|obj: LLVM's pipeline, 2 or 3 for\n"
    "                         speed (default 3), s or z for size (smaller kernels:\n"
    "                         one step per pass; z also minsize); on ELF targets\n"
    "                         every function and weight array has its own section\n"
    "                         (.text.NAME, .rodata.NAME) for --gc-sections\n"
    "  -h, --help             show this help\n"
    "\n"
    "exit status: 0 success, 1 invalid spec or weights or a failed write, 2 usage error\n";

/* arithmetic int16: the integer form, lowered (lower_int.c) and printed by
 * emit_c_int.c, or with --emit llvm|bc|obj (kind, t) by emit_llvm_int.c. */
static int compile_int16(Arena *arena, const IrModel *m, const Args *a, int llvm, int kind, void *t)
{
    if (a->threads || a->chunk || a->activations)
        return cli_usage_error(a, "%s", "--threads, --chunk and --activations are for float arithmetic");
    if (a->name && !cli_is_identifier(a->name))
        return cli_usage_error(a, "--name '%s' is not a C identifier", a->name);
    FixedModel *fm = cli_fixed_model(arena, m, a);
    if (!fm)
        return EXIT_BAD_INPUT;
    const char *slash = strrchr(a->output, '/');
    const char *name = a->name ? a->name : lower_identifier(arena, m->name);
    const char *ranges = a->ranges ? a->ranges : a->calibrate ? NULL : m->ranges_path;
    LowIntModel *lm = lower_int(arena, fm, name);
#ifdef LSTMC_HAVE_LLVM
    if (llvm)
        return emitllvm_int_write_files(lm, ranges, t, (LlvmEmitKind)kind, a->output) == 0 ? EXIT_OK : EXIT_BAD_INPUT;
#else
    (void)llvm, (void)kind, (void)t;
#endif
    return emitc_int_write_files(arena, lm, arena_printf(arena, "%s.h", slash ? slash + 1 : a->output), ranges,
                                 a->output) == 0 ? EXIT_OK : EXIT_BAD_INPUT;
}

int cmd_compile(const Args *a)
{
    if (!a->output)
        return cli_usage_error(a, "%s", "missing the output prefix: -o PREFIX");
    LowerOptions lo;
    int st = cli_lower_options(a, &lo);
    if (st >= 0)
        return st;
    if (a->threads) {
        char *end;
        long v = strtol(a->threads, &end, 10);
        if (*end != '\0' || v < 1 || v > 64)
            return cli_usage_error(a, "--threads '%s' is not a number from 1 to 64", a->threads);
        lo.threads = (int)v;
    }
    const char *emit = a->emit ? a->emit : "c";
    int llvm = strcmp(emit, "c") != 0;
    if (llvm && strcmp(emit, "llvm") != 0 && strcmp(emit, "bc") != 0 && strcmp(emit, "obj") != 0)
        return cli_usage_error(a, "unknown --emit '%s'; expected c, llvm, bc or obj", emit);
    if (!llvm && (a->target || a->cpu || a->features || a->opt))
        return cli_usage_error(a, "%s", "--target, --cpu, --features and --opt-level are for --emit llvm, bc or obj");
    /* --opt-level, in the order of LlvmOptLevel (emit_llvm.h); default 3 */
    static const char *const opt_names[] = {"2", "3", "s", "z"};
    int opt = 1;
    if (a->opt) {
        for (opt = 0; opt < (int)COUNT_OF(opt_names) && strcmp(a->opt, opt_names[opt]) != 0; opt++)
            ;
        if (opt == (int)COUNT_OF(opt_names))
            return cli_usage_error(a, "--opt-level '%s' is not 2, 3, s or z", a->opt);
    }
#ifndef LSTMC_HAVE_LLVM
    if (llvm)
        return cli_no_llvm(strcmp(emit, "llvm") == 0 ? "--emit llvm" : strcmp(emit, "bc") == 0 ? "--emit bc"
                                                                                              : "--emit obj");
#endif

    Arena arena = {0};
    int status = EXIT_BAD_INPUT;
    IrModel *m = cli_load_model(&arena, a);
    if (m && m->arithmetic == ARITH_INT16 && !llvm) {
        status = compile_int16(&arena, m, a, 0, 0, NULL);
        m = NULL;
    }
#ifdef LSTMC_HAVE_LLVM
    else if (m && m->arithmetic == ARITH_INT16) {
        LlvmTarget t = {a->target, a->cpu, a->features, (LlvmOptLevel)opt};
        LlvmEmitKind kind = strcmp(emit, "llvm") == 0 ? LLVM_EMIT_IR
                          : strcmp(emit, "bc") == 0   ? LLVM_EMIT_BC
                                                      : LLVM_EMIT_OBJ;
        if (emitllvm_resolve_cpu(&arena, &t) == 0)
            status = compile_int16(&arena, m, a, 1, (int)kind, &t);
        m = NULL;
    }
#endif
    else if (m && (a->ranges || a->calibrate)) {
        arena_free(&arena);
        return cli_usage_error(a, "%s", "--ranges and --calibrate are for arithmetic int16 (--arithmetic int16)");
    }
    if (m) {
        /* PREFIX.c includes PREFIX.h by its file name: they sit side by side. */
        const char *slash = strrchr(a->output, '/');
        EmitOptions o;
        o.header_include = arena_printf(&arena, "%s.h", slash ? slash + 1 : a->output);
#ifdef LSTMC_HAVE_LLVM
        if (llvm) {
            LlvmTarget t = {a->target, a->cpu, a->features, (LlvmOptLevel)opt};
            LlvmEmitKind kind = strcmp(emit, "llvm") == 0 ? LLVM_EMIT_IR
                              : strcmp(emit, "bc") == 0   ? LLVM_EMIT_BC
                                                          : LLVM_EMIT_OBJ;
            LowTarget vt;
            if (emitllvm_resolve_cpu(&arena, &t) == 0 && emitllvm_vector_shape(&t, &vt) == 0) {
                vt.size = t.opt_level == LLVM_OPT_S || t.opt_level == LLVM_OPT_Z;
                lo.target = &vt;
                LowModel *lm = lower_model(&arena, m, &lo);
                /* the pool that shares a streaming model's layers is the C's */
                if (lm->threads > 1)
                    status = cli_usage_error(a, "%s", "--threads shares a streaming model's layers among threads "
                                             "in the C backend only (--emit c); the LLVM backend runs the two "
                                             "directions of a bidirectional model on two threads");
                else if (emitllvm_write_files(lm, &o, &t, kind, a->output) == 0)
                    status = EXIT_OK;
            }
        } else
#endif
        if (emitc_write_files(lower_model(&arena, m, &lo), &o, a->output) == 0)
            status = EXIT_OK;
    }
    arena_free(&arena);
    return status;
}
