/*
 * rng.h - the examples' test-set generator: xorshift64* (Vigna 2016).
 *
 * The training scripts (examples/common/lstmc_example.py, class XorShift)
 * implement the same three functions bit for bit, so a compiled program
 * draws exactly the test sequences the script scored PyTorch on, without
 * a data file and without Python at `make` time.
 */
#ifndef EXAMPLES_RNG_H
#define EXAMPLES_RNG_H

#include <stdint.h>

typedef struct { uint64_t s; } XorShift;

static inline void xs_seed(XorShift *r, uint64_t seed)
{
    r->s = seed ? seed : 1;   /* the all-zero state would stay zero */
}

static inline uint64_t xs_next(XorShift *r)
{
    uint64_t x = r->s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    r->s = x;
    return x * UINT64_C(0x2545F4914F6CDD1D);
}

/* A float in [0, 1): the top 24 bits over 2^24, exact in float. */
static inline float xs_uniform(XorShift *r)
{
    return (float)(xs_next(r) >> 40) / 16777216.0f;
}

/* An integer in [0, n): the top 32 bits modulo n (n > 0). */
static inline unsigned xs_below(XorShift *r, unsigned n)
{
    return (unsigned)((xs_next(r) >> 32) % n);
}

#endif
