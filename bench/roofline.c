/*
 * roofline.c - the machine's limits for one core, measured: peak FMA
 * throughput (float32), and read bandwidth at given working-set sizes (the
 * benchmark passes the bytes of each model's weights). The benchmark's
 * roofline time for a model is max(FLOPs / peak, recurrent weight bytes /
 * bandwidth at the size of all its weights); see bench/README.md.
 *
 *   roofline MS [BYTES...]    MS: milliseconds per measurement
 *
 * Prints `key value` lines for bench/report.awk:
 *   isa avx512f            the widest FMA this CPU runs (avx512f, avx2+fma, scalar)
 *   fma_gflops 150.2       FMA peak: independent chains of vector FMAs
 *   cache_L1 49152         cache sizes in bytes (sysconf, else /sys; 0 if unknown)
 *   bw 6299648 99.1        read bandwidth, GB/s (1e9 bytes per second), over a
 *                          buffer of that many bytes (one line per BYTES)
 *
 * Each test is repeated until it has run MS milliseconds, three times; the
 * best of three is kept (noise only ever slows a run down).
 */
#define _GNU_SOURCE 1   /* sysconf(_SC_LEVEL1_DCACHE_SIZE) */
#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum { CHAINS = 16 };   /* independent FMA chains: > latency x issue width */

static double ms_per_test = 50.0;
static volatile float sink;

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* ---- FMA peak ---- */

/* Each kernel runs `iters` rounds of CHAINS independent a*x+b chains and
 * returns the FLOPs done (2 per lane per FMA). The loops over chains are
 * unrolled so that the accumulators live in registers. */
__attribute__((target("avx512f"))) static double fma_avx512(long iters)
{
    __m512 acc[CHAINS], a = _mm512_set1_ps(0.999999f), b = _mm512_set1_ps(1e-6f);
    for (int k = 0; k < CHAINS; k++)
        acc[k] = _mm512_set1_ps((float)k);
    for (long n = 0; n < iters; n++)
#pragma GCC unroll 16
        for (int k = 0; k < CHAINS; k++)
            acc[k] = _mm512_fmadd_ps(acc[k], a, b);
    for (int k = 1; k < CHAINS; k++)
        acc[0] = _mm512_add_ps(acc[0], acc[k]);
    sink = _mm512_reduce_add_ps(acc[0]);
    return 2.0 * 16 * CHAINS * (double)iters;
}

__attribute__((target("avx2,fma"))) static double fma_avx2(long iters)
{
    __m256 acc[CHAINS], a = _mm256_set1_ps(0.999999f), b = _mm256_set1_ps(1e-6f);
    for (int k = 0; k < CHAINS; k++)
        acc[k] = _mm256_set1_ps((float)k);
    for (long n = 0; n < iters; n++)
#pragma GCC unroll 16
        for (int k = 0; k < CHAINS; k++)
            acc[k] = _mm256_fmadd_ps(acc[k], a, b);
    float lanes[8];
    for (int k = 1; k < CHAINS; k++)
        acc[0] = _mm256_add_ps(acc[0], acc[k]);
    _mm256_storeu_ps(lanes, acc[0]);
    sink = lanes[0] + lanes[1] + lanes[2] + lanes[3] + lanes[4] + lanes[5] + lanes[6] + lanes[7];
    return 2.0 * 8 * CHAINS * (double)iters;
}

static double fma_scalar(long iters)
{
    float acc[CHAINS];
    for (int k = 0; k < CHAINS; k++)
        acc[k] = (float)k;
    for (long n = 0; n < iters; n++)
#pragma GCC unroll 16
        for (int k = 0; k < CHAINS; k++)
            acc[k] = acc[k] * 0.999999f + 1e-6f;
    for (int k = 1; k < CHAINS; k++)
        acc[0] += acc[k];
    sink = acc[0];
    return 2.0 * CHAINS * (double)iters;
}

/* ---- read bandwidth ---- */

/* Reads n floats (n a multiple of 256) `passes` times over, with vector
 * loads summed into 16 accumulators, so the loads cannot be dropped and no
 * add chain limits them (16 > add latency x loads per cycle). The passes
 * run inside one call, so that a clock read every few milliseconds, not
 * every pass, times them: a pass over an L1-sized buffer lasts about 100 ns. */
__attribute__((target("avx512f"))) static void read_avx512(const float *p, size_t n, long passes)
{
    __m512 s[16];
    for (int k = 0; k < 16; k++)
        s[k] = _mm512_setzero_ps();
    for (long r = 0; r < passes; r++)
        for (size_t i = 0; i < n; i += 256)
#pragma GCC unroll 16
            for (int k = 0; k < 16; k++)
                s[k] = _mm512_add_ps(s[k], _mm512_load_ps(p + i + 16 * k));
    for (int k = 1; k < 16; k++)
        s[0] = _mm512_add_ps(s[0], s[k]);
    sink = _mm512_reduce_add_ps(s[0]);
}

__attribute__((target("avx2"))) static void read_avx2(const float *p, size_t n, long passes)
{
    __m256 s[12];
    for (int k = 0; k < 12; k++)
        s[k] = _mm256_setzero_ps();
    for (long r = 0; r < passes; r++)
        for (size_t i = 0; i < n; i += 96)
#pragma GCC unroll 12
            for (int k = 0; k < 12; k++)
                s[k] = _mm256_add_ps(s[k], _mm256_load_ps(p + i + 8 * k));
    float lanes[8];
    for (int k = 1; k < 12; k++)
        s[0] = _mm256_add_ps(s[0], s[k]);
    _mm256_storeu_ps(lanes, s[0]);
    sink = lanes[0] + lanes[4];
}

static void read_scalar(const float *p, size_t n, long passes)
{
    float s[8] = {0};
    for (long r = 0; r < passes; r++)
        for (size_t i = 0; i < n; i += 8)
#pragma GCC unroll 8
            for (int k = 0; k < 8; k++)
                s[k] += p[i + (size_t)k];
    sink = s[0] + s[7];
}

/* Best of three: FLOPs per ns of `kernel`, each trial >= ms_per_test ms. */
typedef double (*Flops)(long);
static double best_gflops(Flops kernel)
{
    double best = 0;
    long iters = 1000;
    while (1) {   /* calibrate: iterations for ms_per_test */
        double t0 = now_ns();
        kernel(iters);
        if (now_ns() - t0 > ms_per_test * 1e6 / 4)
            break;
        iters *= 2;
    }
    for (int trial = 0; trial < 3; trial++) {
        double t0 = now_ns(), flops = 0;
        do
            flops += kernel(iters);
        while (now_ns() - t0 < ms_per_test * 1e6);
        double g = flops / (now_ns() - t0);
        if (g > best)
            best = g;
    }
    return best;
}

/* Best of three: read bandwidth in GB/s over a buffer of `bytes` (a
 * multiple of 3 KiB, every kernel's step), each trial >= ms_per_test ms. The passes per clock
 * read are calibrated so that one call lasts about ms_per_test / 16: the
 * two clock reads (tens of ns) are then far below 0.1 % of what they time. */
typedef void (*Reader)(const float *, size_t, long);
static double best_bandwidth(Reader read, size_t bytes)
{
    size_t n = bytes / sizeof(float);
    float *p = aligned_alloc(64, bytes);
    if (!p) {
        fprintf(stderr, "roofline: out of memory (%zu bytes)\n", bytes);
        exit(1);
    }
    for (size_t i = 0; i < n; i++)
        p[i] = (float)(i & 1023) * 1e-3f;
    long passes = 1;
    while (1) {   /* calibrate (and warm the buffer into its level) */
        double t0 = now_ns();
        read(p, n, passes);
        if (now_ns() - t0 > ms_per_test * 1e6 / 16)
            break;
        passes *= 2;
    }
    double best = 0;
    for (int trial = 0; trial < 3; trial++) {
        double t0 = now_ns(), done = 0;
        do {
            read(p, n, passes);
            done += (double)bytes * (double)passes;
        } while (now_ns() - t0 < ms_per_test * 1e6);
        double gbs = done / (now_ns() - t0);
        if (gbs > best)
            best = gbs;
    }
    free(p);
    return best;
}

/* Size of the level-`level` data cache in bytes, 0 if unknown: sysconf,
 * else /sys/devices/system/cpu/cpu0/cache/index* (level, type, size). */
static long cache_size(int level)
{
    const int names[] = {_SC_LEVEL1_DCACHE_SIZE, _SC_LEVEL2_CACHE_SIZE, _SC_LEVEL3_CACHE_SIZE};
    long v = sysconf(names[level - 1]);
    if (v > 0)
        return v;
    for (int idx = 0; idx < 8; idx++) {
        char path[96], type[32] = "", size[32] = "";
        int lv = 0;
        FILE *f;
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/level", idx);
        if (!(f = fopen(path, "r")))
            continue;
        if (fscanf(f, "%d", &lv) != 1)
            lv = 0;
        fclose(f);
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/type", idx);
        if ((f = fopen(path, "r"))) {
            if (fscanf(f, "%31s", type) != 1)
                type[0] = '\0';
            fclose(f);
        }
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/size", idx);
        if ((f = fopen(path, "r"))) {
            if (fscanf(f, "%31s", size) != 1)
                size[0] = '\0';
            fclose(f);
        }
        if (lv == level && strcmp(type, "Instruction") != 0) {
            long kb = atol(size);
            return strchr(size, 'M') ? kb << 20 : kb << 10;
        }
    }
    return 0;
}

static size_t round_to(size_t bytes, size_t unit)
{
    return (bytes + unit - 1) / unit * unit;
}

int main(int argc, char **argv)
{
    if (argc < 2 || atof(argv[1]) <= 0) {
        fprintf(stderr, "usage: roofline MS [BYTES...]\n");
        return 2;
    }
    ms_per_test = atof(argv[1]);
    __builtin_cpu_init();
    int avx512 = __builtin_cpu_supports("avx512f");
    int avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    printf("isa %s\n", avx512 ? "avx512f" : avx2 ? "avx2+fma" : "scalar");
    printf("fma_gflops %.1f\n", best_gflops(avx512 ? fma_avx512 : avx2 ? fma_avx2 : fma_scalar));
    const char *level[3] = {"L1", "L2", "L3"};
    for (int k = 0; k < 3; k++)
        printf("cache_%s %ld\n", level[k], cache_size(k + 1));
    fflush(stdout);

    /* The read bandwidth at each working-set size asked for: a buffer of
     * that size (rounded up to 3 KiB, a multiple of every kernel's step). */
    Reader read = avx512 ? read_avx512 : avx2 ? read_avx2 : read_scalar;
    for (int a = 2; a < argc; a++) {
        char *end;
        long bytes = strtol(argv[a], &end, 10);
        if (*end != '\0' || bytes < 1 || bytes > (2L << 30)) {
            fprintf(stderr, "roofline: bad size '%s'\n", argv[a]);
            return 2;
        }
        printf("bw %ld %.1f\n", bytes, best_bandwidth(read, round_to((size_t)bytes, 3072)));
        fflush(stdout);
    }
    return 0;
}
