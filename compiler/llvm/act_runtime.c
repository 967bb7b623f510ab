/*
 * act_runtime.c - the runtime's activations (runtime/lstmc_act.h) as
 * functions with external linkage, for the LLVM backend. Not part of
 * lstmc's objects: the Makefile compiles this file with clang to LLVM
 * bitcode, twice (RT_FMA fused and not), and embeds both in lstmc; act.c
 * links the right one into each model's module, renames lstmc_rt_NAME to
 * lstmc.rt_NAME and inlines it. So the LLVM backend runs the header's code,
 * not a copy of it.
 *
 * Every runtime function a model can call is here; the names are the
 * header's with the prefix lstmc_.
 */
#include "lstmc_act.h"

/* lstmc_F(x [, a [, b]]) = F(x [, a [, b]]) */
#define EXPORT1(f) float lstmc_##f(float x); float lstmc_##f(float x) { return f(x); }
#define EXPORT2(f) float lstmc_##f(float x, float a); \
    float lstmc_##f(float x, float a) { return f(x, a); }
#define EXPORT3(f) float lstmc_##f(float x, float a, float b); \
    float lstmc_##f(float x, float a, float b) { return f(x, a, b); }

EXPORT1(rt_sigmoidf)
EXPORT1(rt_tanhf)
EXPORT3(rt_hard_sigmoidf)
EXPORT3(rt_scaled_sigmoidf)
EXPORT3(rt_scaled_tanhf)
EXPORT1(rt_reluf)
EXPORT2(rt_leaky_reluf)
EXPORT2(rt_thresholded_reluf)
EXPORT2(rt_eluf)
EXPORT1(rt_softsignf)
EXPORT1(rt_softplusf)
EXPORT3(rt_affinef)
EXPORT1(rt_sigmoidf_fast)
EXPORT1(rt_tanhf_fast)
EXPORT3(rt_scaled_sigmoidf_fast)
EXPORT3(rt_scaled_tanhf_fast)

void lstmc_rt_softmaxf(float *v, int n);
void lstmc_rt_softmaxf(float *v, int n)
{
    rt_softmaxf(v, n);
}

void lstmc_rt_log_softmaxf(float *v, int n);
void lstmc_rt_log_softmaxf(float *v, int n)
{
    rt_log_softmaxf(v, n);
}

void lstmc_rt_mean_rowsf(const float *x, size_t n, size_t width, float *y);
void lstmc_rt_mean_rowsf(const float *x, size_t n, size_t width, float *y)
{
    rt_mean_rowsf(x, n, width, y);
}

void lstmc_rt_embed_rowsf(const float *table, size_t vocab, size_t dim, const int32_t *ids, size_t n, float *y);
void lstmc_rt_embed_rowsf(const float *table, size_t vocab, size_t dim, const int32_t *ids, size_t n, float *y)
{
    rt_embed_rowsf(table, vocab, dim, ids, n, y);
}

void lstmc_rt_max_rowsf(const float *x, size_t n, size_t width, float *y);
void lstmc_rt_max_rowsf(const float *x, size_t n, size_t width, float *y)
{
    rt_max_rowsf(x, n, width, y);
}
