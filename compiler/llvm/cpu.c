/*
 * cpu.c - what a --cpu name implies for the vector shape. LLVM's C API
 * takes a CPU name for the target machine but does not tell which features
 * it implies (LLVMGetTargetMachineFeatureString returns only the ones
 * named), so without this `--cpu skylake-avx512` made SSE2 kernels and
 * `--cpu cortex-m4` rounded the activations' a*b + c twice, where the C
 * backend's code under `-march=skylake-avx512` or `-mcpu=cortex-m4` gets
 * AVX-512 and a fused multiply-add. Each CPU here is named with the
 * features C compilers define for it; tests/llvm/vector_shape.sh holds
 * every row against clang.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <llvm-c/Core.h>
#include <llvm-c/TargetMachine.h>

#include "llvm/emit_llvm.h"

typedef struct {
    const char *features;     /* what the vector shape reads */
    const char *const *cpus;  /* NULL-terminated */
} CpuGroup;

static const char *const x86_avx512[] = {"skylake-avx512", "cascadelake", "cooperlake", "cannonlake",
                                         "icelake-client", "icelake-server", "tigerlake", "rocketlake",
                                         "sapphirerapids", "x86-64-v4", NULL};
static const char *const x86_avx2_fma[] = {"haswell", "broadwell", "skylake", "alderlake", "znver1",
                                           "znver2", "znver3", "x86-64-v3", NULL};
static const char *const x86_base[] = {"x86-64", "x86-64-v2", "core2", "nehalem", "westmere",
                                       "sandybridge", "ivybridge", "btver2", NULL};
static const CpuGroup x86_64_groups[] = {
    {"+avx512f,+avx2,+fma", x86_avx512},
    {"+avx2,+fma", x86_avx2_fma},
    {"", x86_base},
};

/* 32-bit ARM with a hard-float ABI: the FPU C compilers give each core */
static const char *const arm_fpv4_sp[] = {"cortex-m4", NULL};
static const char *const arm_fpv5_d16[] = {"cortex-m7", NULL};
static const char *const arm_fpv5_sp[] = {"cortex-m33", "cortex-m35p", "cortex-m55", NULL};
static const CpuGroup arm_hf_groups[] = {
    {"+vfp4d16sp", arm_fpv4_sp},
    {"+fp-armv8d16", arm_fpv5_d16},
    {"+fp-armv8d16sp", arm_fpv5_sp},
};

static const char *lookup(const CpuGroup *groups, size_t n, const char *cpu)
{
    for (size_t g = 0; g < n; g++)
        for (const char *const *c = groups[g].cpus; *c; c++)
            if (strcmp(*c, cpu) == 0)
                return groups[g].features;
    return NULL;
}

static int is_hard_float_arm(const char *triple)
{
    if (strncmp(triple, "arm", 3) != 0 && strncmp(triple, "thumb", 5) != 0)
        return 0;
    const char *env = strrchr(triple, '-');
    size_t n = env ? strlen(env) : 0;
    return n >= 3 && strcmp(env + n - 2, "hf") == 0;
}

static int same_arch(const char *a, const char *b)
{
    size_t n = strcspn(a, "-");
    return n == strcspn(b, "-") && strncmp(a, b, n) == 0;
}

/*
 * Whether LLVM knows cpu for triple. The C API has no such question, and
 * LLVM takes any name: it prints "'foo' is not a recognized processor for
 * this target (ignoring processor)" on standard error when the target
 * machine is made, then aborts in code generation on x86-64 and RISC-V
 * ("64-bit code requested on a subtarget that doesn't support it"). So a
 * target machine is made once with standard error sent to a temporary
 * file, and that message looked for: clang refuses such a -march too.
 */
static int cpu_known_to_llvm(const char *triple, const char *cpu)
{
    LLVMTargetRef target;
    char *err = NULL;
    if (LLVMGetTargetFromTriple(triple, &target, &err) != 0) {
        LLVMDisposeMessage(err);
        return 1;   /* the unknown target is reported where the machine is made */
    }
    FILE *log = tmpfile();
    int saved = log ? dup(STDERR_FILENO) : -1;
    if (saved < 0) {
        if (log)
            fclose(log);
        return 1;   /* cannot look: LLVM's own message stays the only word */
    }
    fflush(stderr);
    dup2(fileno(log), STDERR_FILENO);
    LLVMTargetMachineRef tm = LLVMCreateTargetMachine(target, triple, cpu, "", LLVMCodeGenLevelDefault,
                                                      LLVMRelocDefault, LLVMCodeModelDefault);
    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);
    if (tm)
        LLVMDisposeTargetMachine(tm);
    char line[512];
    int known = 1;
    rewind(log);
    while (known && fgets(line, sizeof line, log))
        known = strstr(line, "is not a recognized processor") == NULL;
    fclose(log);
    return known;
}

int emitllvm_resolve_cpu(Arena *a, LlvmTarget *t)
{
    if (!t->cpu)
        return 0;
    emitllvm_init();
    char *host = LLVMGetDefaultTargetTriple();
    char *triple = t->triple ? LLVMNormalizeTargetTriple(t->triple) : NULL;
    const char *arch = triple ? triple : host;
    int status = 0;
    if (strcmp(t->cpu, "native") == 0) {
        /* as gcc's -march=native: this machine's CPU and its extensions */
        if (!same_arch(arch, host)) {
            fprintf(stderr, "lstmc: error: --cpu native names this machine's CPU (%.*s), not one of target '%s'\n",
                    (int)strcspn(host, "-"), host, t->triple);
            status = -1;
        } else {
            char *name = LLVMGetHostCPUName(), *features = LLVMGetHostCPUFeatures();
            t->cpu = arena_strdup(a, name);
            if (!t->features)
                t->features = arena_strdup(a, features);
            LLVMDisposeMessage(name);
            LLVMDisposeMessage(features);
        }
    } else if (!cpu_known_to_llvm(arch, t->cpu)) {
        fprintf(stderr, "lstmc: error: unknown CPU '%s' for target '%s' (llc -mtriple=%s -mcpu=help lists them)\n",
                t->cpu, t->triple ? t->triple : arch, arch);
        status = -1;
    } else if (!t->features) {
        const char *f = NULL;
        int known = 1;
        if (strncmp(arch, "x86_64", 6) == 0)
            known = (f = lookup(x86_64_groups, COUNT_OF(x86_64_groups), t->cpu)) != NULL;
        else if (is_hard_float_arm(arch))
            known = (f = lookup(arm_hf_groups, COUNT_OF(arm_hf_groups), t->cpu)) != NULL;
        if (f && *f)
            t->features = f;
        if (!known)
            fprintf(stderr,
                    "lstmc: warning: lstmc does not know which vector extensions --cpu %s implies, so the "
                    "kernels use only what the target's triple guarantees; name them with --features "
                    "(e.g. %s)\n",
                    t->cpu, strncmp(arch, "x86_64", 6) == 0 ? "+avx2,+fma or +avx512f" : "+vfp4d16sp");
    }
    LLVMDisposeMessage(host);
    LLVMDisposeMessage(triple);
    return status;
}
