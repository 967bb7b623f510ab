/*
 * lower_int.h - the lowering of `arithmetic int16`: what the generated code
 * of a model's integer form (fixed_plan.h) looks like, decided once for
 * every backend that prints it (emit_c_int.c, llvm/emit_llvm_int.c): the
 * C names, the distinct activation tables and which each layer reads, the
 * state's layout and size, the flash it takes, the runtime pieces it
 * needs, the API (NAME_step, or for a model with a backward direction
 * NAME_run's passes over a whole sequence and its scratch). The integers
 * themselves (weights, multipliers, formats) are the plan's.
 */
#ifndef LSTMC_LOWER_INT_H
#define LSTMC_LOWER_INT_H

#include "fixed_plan.h"

/* Which table a layer reads, indexing LowIntModel.tables. */
enum { LI_GATE, LI_CELL_IN, LI_CELL_OUT, LI_DENSE, LI_TABLES_PER_LAYER };

/* A step function: one direction of an lstm layer, or a dense layer. */
typedef struct LowIntDir {
    const char *name;             /* C name: the layer's ('.' as '_'), the backward
                                     half of a bidirectional layer's with "_bwd" */
    int reverse;                  /* runs from the last step to the first */
    long off_h, off_c;            /* byte offsets in the state of its h and c (lstm)
                                     or y (dense, in off_h) */
} LowIntDir;

/* One pass of NAME_run (a model that needs the whole sequence): the step
 * function dirs[layer][dir] over each row of its input buffer, in time
 * order or reversed, each step's h (or y) copied to its row of the output
 * buffer at column col. A pass of the pooled layer (output final) copies
 * only its state after its last step, to row 0; after the layer's last
 * pass (pool) the sequence is that one row. */
typedef struct LowIntPass {
    int layer, dir;
    int reverse;
    int in_buf, out_buf;          /* -1: x (input only), else scratch buffer 0 or 1 */
    int in_width, out_width;      /* int16 per row of each */
    int col, n;                   /* the n values written at column col */
    int final_only;               /* output final: only the final state, in row 0 */
    int pool;                     /* then one row: steps is 1 from here on */
} LowIntPass;

typedef struct LowIntModel {
    const FixedModel *fm;
    const IrModel *m;
    const char *name, *macro;     /* the C prefix (--name, else the model's), upper-cased */
    const char **layer;           /* [nlayers] C names: the spec's, '.' as '_' */
    int *ndirs;                   /* [nlayers] step functions: 2 for a bidirectional layer */
    LowIntDir (*dirs)[2];         /* [nlayers][ndirs] */
    const FixedTable **tables;    /* the distinct tables, in first use: NAME_table<k> */
    const char **table_what;      /* the activation each one is, as the spec writes it */
    int ntables;
    int *table_of;                /* [nlayers][LI_TABLES_PER_LAYER]; -1: none */
    /* the state: int32 scratch gi, gf, go [max_blocks] and g [max_hidden],
     * then each step function's int16 h [R] and c [H] (lstm) or y [units]
     * (dense) */
    int max_blocks, max_hidden;
    long state_bytes;
    /* byte offsets in the state (the C struct's, for a backend that
     * addresses it as bytes) of gi, gf, go, g (each step function's own
     * are in dirs) */
    long off_gi, off_gf, off_go, off_g;
    long flash_bytes;             /* weights, multipliers, shifts, biases, tables */
    int uses_clamp;               /* a clip: the runtime's rt_clamp */
    int softmax_head;             /* the last layer is a softmax (1) or log_softmax (2)
                                     head: the code's outputs are its logits; 0 */
    /* The API: a model without a backward direction streams (NAME_step);
     * one with a backward direction needs the whole sequence: NAME_run,
     * its passes in order, on the caller's scratch of nbufs buffers of
     * buf_width int16 per step (scratch_per_step in all). */
    int streaming;
    int npasses;
    LowIntPass *passes;           /* [npasses] (not streaming) */
    int nbufs, buf_width;
    long scratch_per_step;        /* int16 of scratch per step of a sequence */
} LowIntModel;

/* The lowering of fm with C prefix name. */
LowIntModel *lower_int(Arena *a, const FixedModel *fm, const char *name);

#endif
