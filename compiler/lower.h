/*
 * lower.h - the lowering: every decision about the code a backend writes,
 * made once, so that the emitters (emit_c.c now, an LLVM emitter later) only
 * print.
 *
 * lower_model() turns the IR into a LowModel:
 *   - names: C identifiers for the model, each layer and direction, each
 *     weight array and state field (unique, derived from the spec's names);
 *   - weights: one packed gate matrix per layer-direction, its rows grouped
 *     by gate (input, forget, cell input, output; absent gates have no rows)
 *     with a named row offset per gate; one packed bias vector with the
 *     forget bias folded into the forget rows (legal with clip gates too:
 *     ONNX clips the sum, after the forget bias is added);
 *   - buffers: the fields of the caller-owned state struct (h and c of every
 *     layer-direction, per-step scratch) and, for models that need the whole
 *     sequence, the scratch rows each layer reads and writes; the learned
 *     initial h0 and c0 that NAME_reset copies into h and c;
 *   - the op sequence of one step (streaming models) or of one sequence
 *     (models with a backward direction), naming each op's input and output;
 *   - loop shapes: how many gate rows one pass of the matrix-vector loop
 *     computes (rows_per_pass, blocks of S > 1 cells), chosen by measurement
 *     (see lower.c);
 *   - the tiled kernel of every S = 1 layer (LowCell.tiled): tiles of units
 *     whose gate rows are computed together in registers from weights
 *     transposed within the tile, the cell update fused per tile, the input
 *     projection hoisted out of the recurrence and done for a chunk of steps
 *     at once (LowModel.chunk); and which layers --threads splits.
 */
#ifndef LSTMC_LOWER_H
#define LSTMC_LOWER_H

#include "ir.h"

/* One `static const float` array of weights. */
typedef struct LowArray {
    const char *name;          /* C identifier, e.g. "enc_l0_w_gates" */
    const char *comment;       /* what it holds, for the comment above it */
    int rows, cols;            /* cols == 0: a vector of rows elements */
    const float *data;         /* rows * (cols ? cols : 1) floats; NULL: absent */
    int bits;                  /* 1: a big array, written as the bytes of its
                                  floats in a union with them (see lower.c) */
    int planes;                /* > 0: a [planes][rows][cols] array (one plane
                                  per tile); data holds planes * rows * cols */
    const char *plane_label;   /* the comment before each plane: "tile" */
    /* Rows grouped for comments (gate sections): label, first row, count. */
    int ngroups;
    struct { const char *label; int first, count; } group[GATE_COUNT];
} LowArray;

/* An activation as the runtime implements it. */
typedef struct LowAct {
    ActKind kind;
    float a, b;                /* parameters (activations.def), as float */
    int fast;                  /* use the runtime's fast approximation */
} LowAct;

/* Where an op reads or writes a vector (or, for sequence ops, rows). */
typedef enum {
    BUF_X,            /* the caller's input: one row (step) or all rows (sequence) */
    BUF_Y,            /* the caller's output */
    BUF_H,            /* cell[index]'s hidden state h, in the state struct */
    BUF_TMP,          /* state struct scratch vector tmp[index] (dense outputs) */
    BUF_SEQ,          /* sequence scratch buffer index (0 or 1), rows of seq_width */
} LowBufKind;

typedef struct LowBuf {
    LowBufKind kind;
    int index;
} LowBuf;

/* One direction of one LSTM layer. */
typedef struct LowCell {
    const char *id;            /* C identifier: "enc_l0", "enc_l0_reverse" */
    const char *macro;         /* its upper-case form, for #defines: "ENC_L0" */
    const char *title;         /* for comments: "lstm enc.l0, forward" */
    int reverse;               /* runs t = T-1 .. 0 */
    int input, hidden, block_size, blocks, proj, recurrent;   /* I H S NB P R */
    int has_gate[GATE_COUNT];  /* has_gate[GATE_G] = 1 */
    int coupled;               /* f = 1 - i */
    int gate_rows;             /* rows of w_gates: the present gates' rows */
    int gate_off[GATE_COUNT];  /* first row of each gate in w_gates, -1 if it has none */
    LowArray w_gates;          /* [gate_rows][I + R]: columns x, then h */
    LowArray b_gates;          /* [gate_rows], forget bias folded in; data NULL: none */
    LowArray peep[GATE_COUNT]; /* p_i, p_f, p_o [H]; data NULL: none */
    LowArray w_proj;           /* [P][H]; data NULL: no projection */
    LowArray h0;               /* [R] the state NAME_reset sets (`initial_state;`); */
    LowArray c0;               /* [H]  data NULL: zeros */
    LowAct gate_act, cell_input_act, cell_output_act;
    float clip_gates, clip_cell, clip_proj;   /* 0: none */
    int rows_per_pass;         /* gate rows computed per pass over [x, h] (1, 2 or 4) */

    /* The tiled kernel (S = 1; see lower.c): the H units are cut into tiles
     * of `tile` units; a tile's gate rows (each present gate's `tile` rows,
     * in the order i, f, g, o) are computed together in registers, one pass
     * over the weights, then the tile's cells are updated at once. Weights
     * are transposed within a tile: w[tile][k][tile row], so the loop over
     * a tile's rows has independent accumulators and vectorizes. The input
     * part is hoisted: a run projects a chunk of steps first (a matrix
     * product), then runs the recurrence step by step. */
    int tiled;                 /* 1: this kernel; 0: the row-wise step (blocks) */
    int threads;               /* > 1: NAME_run splits its tiles over this many
                                  threads, one spin barrier per step */
    int tile;                  /* V: units per tile (divides H) */
    int tiles;                 /* H / V */
    int tile_rows;             /* present gates x V */
    int tile_off[GATE_COUNT];  /* first row of each gate within a tile, -1 if absent */
    int simd;                  /* tile_rows is a multiple of 16: the kernels use the
                                  runtime's vector type (AVX-512, AVX2, NEON or scalar) */
    LowArray w_x;              /* [tiles][I][tile_rows] */
    LowArray w_h;              /* [tiles][R][tile_rows] */
    LowArray b_tiled;          /* [tiles][tile_rows]; data NULL: none */
    const char *h_field, *c_field;            /* state struct fields */
} LowCell;

typedef struct LowDense {
    const char *id;            /* C identifier: "head" */
    const char *macro;
    const char *title;
    int input, units;
    LowArray w;                /* [units][input] */
    LowArray b;                /* [units]; data NULL: none */
    LowAct act;                /* ACT_SOFTMAX: over the whole vector */
} LowDense;

typedef struct LowLayer {
    IrKind kind;
    const char *title;         /* the spec's layer name, for comments */
    int input, output;
    int ncells;                /* LSTM: 1, or 2 when bidirectional */
    LowCell *cell[2];          /* into LowModel.cells */
    LowDense dense;
} LowLayer;

/*
 * Ops: a list of SEQ ops, each over rows of steps (a sequence model: every
 * step; a streaming model: a chunk of steps, the state carried over), then
 * the ops on the last row only (output last).
 */
typedef enum {
    OP_DENSE_STEP,    /* layer: out = dense(in), one vector */
    OP_LSTM_SEQ,      /* cell over every step: rows of in -> rows of out at column out_col */
    OP_DENSE_SEQ,     /* layer over every step: rows of in -> rows of out */
    OP_COPY_LAST,     /* out = the last row of in (n floats) */
    OP_DENSE_LAST,    /* layer on the last row of in only -> out (one vector) */
} LowOpKind;

typedef struct LowOp {
    LowOpKind kind;
    int layer;                 /* index into LowModel.layers */
    int cell;                  /* OP_LSTM_*: index into LowModel.cells */
    LowBuf in, out;
    int in_width, out_width;   /* floats per row of in and out */
    int out_col;               /* OP_LSTM_SEQ: first column of this direction in out */
    int n;                     /* OP_COPY_*: floats */
    int head;                  /* streaming: part of the dense head that an
                                  output-last run computes for the last step only */
} LowOp;

typedef struct LowModel {
    const IrModel *ir;
    const char *name;          /* C identifier prefix of every exported name */
    const char *macro;         /* upper-case, for the exported #defines */
    int input, output, output_last;
    int streaming;             /* no backward direction: step by step */
    int fast_activations;
    int threads;               /* > 1: a pool of threads shares the cells with
                                  threads > 1 (C11 atomics and pthreads) */
    int initial_state;         /* some cell starts from a learned h0 or c0 */

    int nlayers;
    LowLayer *layers;
    int ncells;
    LowCell *cells;

    int nops;
    LowOp *ops;

    /* Scratch in the state struct (floats; 0: absent). */
    int chunk;                 /* steps whose input projection is computed at once */
    int gates_floats;          /* chunk x the largest layer-direction's gate rows */
    int m_floats;              /* the new h (tiled) or o * act(c) before a projection */
    int ntmp;                  /* dense outputs between layers */
    int tmp_floats[2];
    /* Rows between layers: nseq buffers of seq_width floats per row; for a
     * sequence model caller scratch of every step, for a streaming model
     * chunk rows in the state struct. */
    int nseq;
    int seq_width;

    int uses_bits;             /* some array is written as bytes (little-endian only) */
    long flash_bytes;          /* every weight array */
    long state_bytes;          /* sizeof the state struct (floats only) */
} LowModel;

typedef struct LowerOptions {
    const char *name;          /* C identifier prefix; NULL: from the model name */
    int fast_activations;
    int threads;               /* --threads N (1: none) */
} LowerOptions;

/* Lowers m (with weights) into a, for emission. Never fails: the IR is
 * checked. */
LowModel *lower_model(Arena *a, const IrModel *m, const LowerOptions *o);

/* An identifier from any name: letters, digits and '_' kept, everything
 * else '_', a leading digit prefixed with 'm' ("my-model" -> "my_model"). */
char *lower_identifier(Arena *a, const char *name);
/* The identifier upper-cased. */
char *lower_macro(Arena *a, const char *id);

#endif
