/*
 * lower_int.h - the lowering of `arithmetic int16`: what the generated code
 * of a model's integer form (fixed_plan.h) looks like, decided once for
 * every backend that prints it (emit_c_int.c): the C names, the distinct
 * activation tables and which each layer reads, the state's layout and
 * size, the flash it takes, the runtime pieces it needs. The integers
 * themselves (weights, multipliers, formats) are the plan's.
 */
#ifndef LSTMC_LOWER_INT_H
#define LSTMC_LOWER_INT_H

#include "fixed_plan.h"

/* Which table a layer reads, indexing LowIntModel.tables. */
enum { LI_GATE, LI_CELL_IN, LI_CELL_OUT, LI_DENSE, LI_TABLES_PER_LAYER };

typedef struct LowIntModel {
    const FixedModel *fm;
    const IrModel *m;
    const char *name, *macro;     /* the C prefix (--name, else the model's), upper-cased */
    const char **layer;           /* [nlayers] C names: the spec's, '.' as '_' */
    const FixedTable **tables;    /* the distinct tables, in first use: NAME_table<k> */
    const char **table_what;      /* the activation each one is, as the spec writes it */
    int ntables;
    int *table_of;                /* [nlayers][LI_TABLES_PER_LAYER]; -1: none */
    /* the state: int32 scratch gi, gf, go [max_blocks] and g [max_hidden],
     * then each layer's int16 h [R] and c [H] (lstm) or y [units] (dense) */
    int max_blocks, max_hidden;
    long state_bytes;
    /* byte offsets in the state (the C struct's, for a backend that
     * addresses it as bytes): gi, gf, go, g; each layer's h and c (lstm)
     * or y (dense, in off_h) */
    long off_gi, off_gf, off_go, off_g;
    long *off_h, *off_c;          /* [nlayers] */
    long flash_bytes;             /* weights, multipliers, shifts, biases, tables */
    int uses_clamp;               /* a clip: the runtime's rt_clamp */
    int softmax_head;             /* the last layer is a softmax (1) or log_softmax (2)
                                     head: the code's outputs are its logits; 0 */
} LowIntModel;

/* What the generated code takes: forward directions only (the model
 * streams). 0, or -1 after reporting at the layer. */
int lower_int_supported(const IrModel *m);

/* The lowering of fm with C prefix name. */
LowIntModel *lower_int(Arena *a, const FixedModel *fm, const char *name);

#endif
