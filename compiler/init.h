/*
 * init.h - random weights for a checked spec (`lstmc init`), written in
 * the convention each layer's `from` names, so a design can be run,
 * compiled and measured before it is trained. The schemes and their
 * distributions are documented in grammar/SPEC.md ("Initial weights").
 */
#ifndef LSTMC_INIT_H
#define LSTMC_INIT_H

#include "ir.h"
#include "safetensors.h"

typedef enum { INIT_PYTORCH, INIT_KERAS, INIT_1997, INIT_DEFAULT } InitScheme;

/* The scheme named s ("pytorch", "keras", "1997"), or -1. */
int init_scheme_named(const char *s);

/* The tensors of a file, in the order st_write_f32 takes them. */
typedef struct InitTensors {
    int n;
    const char **names;
    int *ndims;
    long (*shapes)[ST_MAX_DIMS];
    float **data;
} InitTensors;

/* Every tensor m's layers read (weights.c's names and shapes), drawn by
 * scheme from a generator seeded with seed: the same seed, the same file.
 * INIT_DEFAULT: keras for a layer `from keras`, pytorch for the others.
 * Everything lives in a. */
void init_weights(Arena *a, const IrModel *m, InitScheme scheme, unsigned long long seed,
                  InitTensors *out);

/* The bias of the input (gate 0) or output (gate 3) gate of block b of nb
 * under the 1997 scheme: from -1 (-2) for the first block to -4 (-8) for
 * the last, evenly. */
double init_1997_gate_bias(Gate g, int b, int nb);

#endif
