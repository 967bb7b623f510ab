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
#include "lstmc_fixed.h"

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

/* the fused cell updates of an LSTM (lower.h: LowCell.fused_c, fused_h) */
float lstmc_rt_lstm_cf_fast(float c, float ai, float af, float ag);
float lstmc_rt_lstm_cf_fast(float c, float ai, float af, float ag)
{
    return rt_lstm_cf_fast(c, ai, af, ag);
}

float lstmc_rt_lstm_hf_fast(float c, float ao);
float lstmc_rt_lstm_hf_fast(float c, float ao)
{
    return rt_lstm_hf_fast(c, ao);
}

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

/* the integer arithmetic of arithmetic int16 (runtime/lstmc_fixed.h) */
int64_t lstmc_rt_rshr(int64_t v, int n);
int64_t lstmc_rt_rshr(int64_t v, int n)
{
    return rt_rshr(v, n);
}

int32_t lstmc_rt_sat16(int64_t v);
int32_t lstmc_rt_sat16(int64_t v)
{
    return rt_sat16(v);
}

int64_t lstmc_rt_clamp(int64_t v, int64_t limit);
int64_t lstmc_rt_clamp(int64_t v, int64_t limit)
{
    return rt_clamp(v, limit);
}

int32_t lstmc_rt_table(const int16_t *t, int64_t z);
int32_t lstmc_rt_table(const int16_t *t, int64_t z)
{
    return rt_table(t, z);
}

int64_t lstmc_rt_pre(const int8_t *w, const int16_t *x, int nx, int ux, const int16_t *h, int nh, int uh,
                     int32_t mult, int shift, int32_t bias);
int64_t lstmc_rt_pre(const int8_t *w, const int16_t *x, int nx, int ux, const int16_t *h, int nh, int uh,
                     int32_t mult, int shift, int32_t bias)
{
    return rt_pre(w, x, nx, ux, h, nh, uh, mult, shift, bias);
}
