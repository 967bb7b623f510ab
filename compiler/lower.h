/*
 * lower.h - the lowering: every decision about the code a backend writes,
 * made once, so that the C emitter (emit_c.c) and the LLVM emitter
 * (llvm/emit_llvm.c) only print.
 *
 * lower_model() turns the IR into a LowModel:
 *   - names: C identifiers for the model, each layer and direction, each
 *     weight array and state field (unique, derived from the spec's names);
 *   - weights: one packed gate matrix per layer-direction, its rows grouped
 *     by gate (input, forget, cell input, output; absent gates have no rows)
 *     with a named row offset per gate; one packed bias vector with the
 *     forget bias folded into the forget rows (legal with clip gates too:
 *     ONNX clips the sum, after the forget bias is added);
 *   - the state: the fields of the caller-owned state struct, in order, with
 *     their offsets (h and c of every layer-direction, scratch), and, for
 *     models that need the whole sequence, the caller's scratch rows; the
 *     learned initial h0 and c0 that NAME_reset copies into h and c;
 *   - kernels: the tiled kernel of every layer and its vector shape (a
 *     tile's rows: each present gate's rows of its units, or of its blocks
 *     of S > 1 cells, and the padding that makes them whole vectors), the
 *     dense layers; which layers --threads splits;
 *   - the runtime: which pieces of runtime/lstmc_act.h the C copies (the
 *     functions of the activations the model calls, the macros and vectors
 *     of its kernels, and what those need), and the runtime function of each
 *     activation, called by both backends;
 *   - control code (lower_api.c): every function around the kernels (a
 *     layer-direction over rows of steps, over a batch of sequences; the
 *     model's reset, step, run and run_batch) as a small statement form of
 *     loops, calls, copies and zeroing with affine addressing, which both
 *     emitters walk mechanically.
 */
#ifndef LSTMC_LOWER_H
#define LSTMC_LOWER_H

#include "ir.h"

#include <stdint.h>

/* One `static const float` array of weights. */
typedef struct LowArray {
    const char *name;          /* C identifier, e.g. "enc_l0_w_gates" */
    const char *comment;       /* what it holds, for the comment above it */
    int planes;                /* > 0: a [planes][rows][cols] array (one plane
                                  per tile); data holds planes * rows * cols */
    int rows, cols;            /* cols == 0: a vector of rows elements */
    const float *data;         /* the floats; NULL: absent */
    /* Weight matrices may be stored narrow (quant.h): f16 and bf16 as the
     * bits of data's values, int8 as data / the row's scale (the cell's
     * s_tiled or s_proj, the dense layer's s). codes holds, for each value,
     * those bits or that integer; NULL with WT_F32. */
    WeightsType type;
    const int *codes;
    const char *plane_label;   /* the comment before each plane: "tile" */
    /* Rows grouped for comments (gate sections): label, first row, count. */
    int ngroups;
    struct { const char *label; int first, count; } group[GATE_COUNT];
} LowArray;

/* A `static const int32_t` array (products int8's h_corr). */
typedef struct LowInts {
    const char *name;
    const char *comment;
    int planes, rows;          /* [planes][rows] */
    const int32_t *data;       /* NULL: absent */
} LowInts;

/* Floats in an array (0 when absent), and the bytes they are stored in. */
long lower_array_floats(const LowArray *arr);
long lower_array_bytes(const LowArray *arr);

/* An activation as the runtime implements it. */
typedef struct LowAct {
    ActKind kind;
    float a, b;                /* parameters (activations.def), as float */
    int fast;                  /* use the runtime's fast approximation */
} LowAct;

/* The runtime function of an activation, which both backends call with x
 * and the activation's parameters (ir_activation_params): "rt_tanhf_fast",
 * "rt_hard_sigmoidf". NULL for identity (nothing to call) and softmax
 * (rt_softmaxf, over a whole vector). */
const char *lower_act_function(LowAct act);

/* The runtime function of an activation over a whole vector, which both
 * backends call with (y, units) after a dense layer's sums: "rt_softmaxf",
 * "rt_log_softmaxf"; NULL for the others. */
const char *lower_vector_act_function(LowAct act);

/*
 * The vector shape of a target, for the tiled kernels: floats per vector
 * (vl), accumulator vectors a kernel may keep in registers (accs), whether
 * a*b + c is fused (fma). The portable C leaves them to the C compiler
 * (runtime/lstmc_act.h's RT_VL, RT_ACCS for the target it compiles for):
 * known == 0, and the counts that follow from them are printed as
 * expressions of those macros (lower_steps_choice).
 */
typedef struct LowTarget {
    int known;
    int vl, accs, fma;
    int act_fma;               /* the fast activations' RT_FMA fuses */
    int size;                  /* code size before speed (--opt-level s, z): one
                                  step (column set) per pass of the tiled kernels */
    int vnni;                  /* the dot products of 4 bytes (products int8): 0 none,
                                  else the int32 lanes of one instruction, vl (AVX-512
                                  VNNI with vl 16; AVX-VNNI with vl 8) */
} LowTarget;

/* One direction of one LSTM layer. */
typedef struct LowCell {
    const char *id;            /* C identifier, the model's prefix first:
                                  "m_enc_l0", "m_enc_l0_reverse" */
    const char *macro;         /* its upper-case form, for #defines: "M_ENC_L0" */
    const char *local;         /* id without the prefix, for state fields: "enc_l0" */
    const char *title;         /* for comments: "lstm enc.l0, forward" */
    /* The cell update, over the same tiled kernels. IR_LSTM: as ir.h says.
     * IR_GRU (reset after): r in the input gate's slot, z in the forget
     * gate's, the candidate's input part (w_n x + b_n) in the cell input's,
     * its recurrent part (w_hn h, b_hn added in the update: b_hn) in the
     * output gate's. A tile's input rows are r, z and n's input part, its
     * recurrent rows r, z and n's recurrent part: 3H each, r and z shared,
     * the two parts of n apart (in_off, tile_off, shared_rows below), since
     * r multiplies the second. c holds h, and
     * c' = (1 - z) cell_input_act(pre_n + r (a_nh + b_hn)) + z c, h = c'.
     * IR_RNN: the cell input's rows alone; c' = cell_input_act(a_g), h = c'.
     * IR_GRU with reset_before: two passes, as n needs r of every unit.
     * The first is the tiled kernel over r, z (input and recurrent rows)
     * and the candidate's input part (input rows only), which writes
     * m = [r h, z, pre_n] (3H floats); the second is the projection kernel
     * (proj = H, w_proj holding w_n's columns of h, named w_hn), whose
     * tiles finish their units: h = (1 - z) cell_input_act(pre_n + w_hn
     * (r h)) + z h, in place. c is not used. */
    IrKind kind;
    int reset_before;
    const char *gate_macro[GATE_COUNT]; /* each row group in macro names: "I", "F", "G",
                                           "O" (LSTM), "R", "Z", "N", "NH" (GRU) */
    const char *gate_word[GATE_COUNT];  /* and in comments; NULL: a group the kind
                                           never has (nothing to say) */
    int reverse;               /* runs t = T-1 .. 0 */
    int input, hidden, block_size, blocks, proj, recurrent;   /* I H S NB P R */
    int has_gate[GATE_COUNT];  /* has_gate[GATE_G] = 1 */
    int coupled;               /* f = 1 - i */
    int gate_rows;             /* projected input of a step (pre): tiles x in_rows
                                  (the present gates' rows, and the tiles' padding) */
    int gate_off[GATE_COUNT];  /* first row of each gate in w_gates, -1 if it has none */
    LowArray w_gates;          /* [rows][I + R]: the present gates' rows, columns x
                                  then h; the source of the tiled arrays below */
    LowArray b_gates;          /* [rows], forget bias folded in; data NULL: none */
    LowArray peep[GATE_COUNT]; /* p_i, p_f, p_o [H]; data NULL: none */
    LowArray w_proj;           /* [proj_tiles][H][proj_tile]: the projection's weights
                                  transposed by tile; data NULL: no projection */
    LowArray h0;               /* [R] the state NAME_reset sets (`initial_state;`); */
    LowArray c0;               /* [H]  data NULL: zeros */
    LowAct gate_act, cell_input_act, cell_output_act;
    float clip_gates, clip_cell, clip_proj;   /* 0: none */

    /* The tiled kernel (see lower.c): the H units are cut into tiles of
     * `tile` units (cells), `tile_blocks` blocks of S cells; a tile's gate
     * rows, in the order i, f, g, o (each present gate's rows of the
     * tile: one per block for i, f, o, one per cell for g; with S = 1 both
     * are `tile`), then `tile_pad` rows of zeros, are computed together in
     * registers, one pass over the weights, then the tile's cells are
     * updated at once, each cell reading its block's gates. (A GRU's input
     * and recurrent rows differ: in_rows, shared_rows.) Weights are
     * transposed within a tile: w[tile][k][tile row], so the loop over a
     * tile's rows has independent accumulators and vectorizes. The input
     * part is hoisted: a run projects a chunk of steps first (a matrix
     * product), then runs the recurrence step by step. The recurrent
     * product (and the projection's) takes its columns in passes of
     * steps_per_pass (proj_steps), each column of a pass to its own set of
     * accumulators, over the first R / steps_per_pass * steps_per_pass
     * columns, then the rest one at a time: both loops have constant
     * bounds, so no index product (column x tile rows) can overflow. */
    int threads;               /* > 1: NAME_run splits its tiles over this many
                                  threads, one spin barrier per step */
    int step_kernel;           /* ID_step, NAME_step's fused kernel: a streaming
                                  model's cells run on one thread, unless the
                                  chunk is 1 or the target asks for size
                                  (lower_api.c) */
    int cells_whole;           /* a small layer (cells_whole() in lower.c): ID_recur and
                                  ID_step put every tile's gate rows into one array,
                                  gate by gate (tile row r of tile t at
                                  r / V * H + t * V + r % V), then update all H cells
                                  at once, writing h in place (m unused); never with
                                  threads (the lowering clears it) */
    int alternate;             /* ID_recur takes a `back` argument, the step's parity
                                  (u % 2 of its chunk): 1 runs the tiles last to first,
                                  so that a step starts on the tiles whose weights the
                                  step before left in cache (alternate_tiles() in
                                  lower.c); the order changes no result */
    int fused_c, fused_h;      /* the update of an LSTM's cells (S = 1) of the fast sigmoid
                                  and tanh goes through the runtime's fused forms
                                  (fused_cell() in lower.c): c = rt_lstm_cf_fast(c, a_i,
                                  a_f, a_g) (gates i and f, not coupled), h (m) =
                                  rt_lstm_hf_fast(c, a_o) (gate o), the a_ the gates'
                                  pre-activations, peepholes added, clipped */
    int tile;                  /* V: units (cells) per tile (divides H) */
    int tile_blocks;           /* blocks per tile: V / S */
    int tiles;                 /* H / V */
    int tile_rows;             /* rows of a tile's recurrent product (w_h, a[]): the
                                  present gates' rows that read h, then tile_pad */
    int tile_pad;              /* rows of zeros at the end of a tile, so that its rows
                                  are whole vectors (blocks, a GRU's tiles of 8 units:
                                  see block_tile, tile_layout) */
    int tile_off[GATE_COUNT];  /* first row of each gate within them, -1 if it has no
                                  rows there (absent, or reads no h) */
    int in_rows;               /* rows of a tile's input projection (w_x, b_tiled,
                                  s_tiled, a step's pre): the gates' rows that read x,
                                  then rows of zeros; >= tile_rows; an LSTM's and an
                                  RNN's are its tile_rows */
    int in_off[GATE_COUNT];    /* first row of each gate within them, -1 if none */
    int shared_rows;           /* the first rows of both, of the same gates (all of an
                                  LSTM's): the recurrent product adds to the projected
                                  input's. Its rows after them start at zero (kept
                                  apart: a GRU's w_hn h); the rows of pre after them
                                  are read by the update itself (reads_pre) */
    int reads_pre;             /* some gate has input rows only (a GRU's n): the update
                                  reads it from the tile's pre */
    int simd;                  /* tile_rows, in_rows and shared_rows are multiples of 16:
                                  the kernels use the target's vectors (else plain
                                  floats) */
    int vecs, in_vecs;         /* accumulator vectors of a tile's recurrent product and
                                  of its input projection (target known; else
                                  tile_rows / RT_VL, in_rows / RT_VL in the C) */
    int pair_bf16;             /* bfloat16 w_x, w_h whose tile rows are whole pairs of
                                  vectors (32 rows) in one layout (in_rows = shared_rows =
                                  tile_rows): ID_project and ID_recur (and ID_step) read
                                  2 vectors' weights per load, the even rows then the odd
                                  (a shift and a mask, not a widening and a shift per
                                  vector), into accumulators in that order, put back in
                                  row order before they are used (rt_vload_bf16_pair,
                                  rt_vload_pair, RT_VUNPAIR; not the batch kernels) */
    int steps_per_pass;        /* accumulator sets of the recurrent product and sequences
                                  per pass of the batch recurrence; */
    int in_steps;              /* steps per pass of the input projection: both
                                  lower_steps_choice (target known; else 0, the C's
                                  macros decide) */
    LowArray w_x;              /* [tiles][I][in_rows] */
    LowArray w_h;              /* [tiles][R][tile_rows] */
    LowArray b_tiled;          /* [tiles][in_rows]; data NULL: none */
    LowArray b_hn;             /* [H] a GRU's b_hn (reset after), added to the recurrent
                                  rows kept apart; data NULL: none */
    LowArray s_tiled;          /* [tiles][in_rows]: int8 weights' scale of each input row;
                                  recurrent row q of a tile has input row q's scale
                                  (the same row of the layer's weights, or of w_n);
                                  data NULL: not int8 */
    /* The projection h = w_proj m (P > 0), tiled as the gates: the P rows
     * of h cut into tiles of proj_tile rows, a tile's rows accumulated
     * together in registers over one pass of its weights (w_proj), columns
     * j, j+1, ... each to its own set of accumulators (proj_steps sets); in
     * run_batch, one pass serves proj_steps sequences. */
    int proj_tile;             /* rows of h per tile (divides P) */
    int proj_tiles;            /* P / proj_tile */
    int proj_simd;             /* proj_tile is a multiple of 16: the target's vectors
                                  (else plain floats) */
    int proj_vecs;             /* accumulator vectors of a tile (target known) */
    int proj_steps;            /* sets of accumulators, sequences per pass of the
                                  batched projection (target known; else 0) */
    LowArray s_proj;           /* [proj_tiles][proj_tile]: int8 w_proj's row scales;
                                  data NULL: not int8 */
    /* products int8 (grammar/SPEC.md, "Integer recurrent products"): the
     * recurrent product from h quantized to int8, as the unsigned bytes
     * hq = q + 128 (runtime's rt_h_code; hq_cols of them, past R the code of
     * 0), each tile row's sum of hq * w in int32, started from h_corr (-128
     * times the row's sum of weights, so that the sum is that of q * w),
     * then rounded to float, times h_factor and added to the projected
     * input with the kernels' a*b + c (rt_vfma). w_h is then
     * [tiles][hq_cols / 4][tile_rows * 4]: each tile row's weights of
     * columns 4k .. 4k + 3 together, what a 32-bit lane of the dot product
     * instructions (vpdpbusd: AVX-512 VNNI, AVX-VNNI) multiplies by 4
     * bytes of hq. An LSTM cell without projection (products.c), one
     * thread, no fused step kernel and no whole-cell update: ID_recur
     * alone, which ID_batch_recur calls per sequence. */
    int products_int8;
    int hq_cols;               /* R rounded up to a multiple of 4 */
    LowArray h_factor;         /* [tiles][tile_rows]: each row's int8 scale / 127 */
    LowInts h_corr;            /* [tiles][tile_rows] */
    int h_field, c_field;      /* state fields (LowModel.fields) */
    int rows_out;              /* 1: a run writes each step's h to rows of out; 0:
                                  nobody reads them (only the last step's, in h) */
} LowCell;

/* With cells_whole, where tile row r of tile 0 goes among a step's rows
 * gate by gate (tile t's, t * V further): r / V * H + r % V. */
int lower_cell_row(const LowCell *c, int r);

/*
 * Steps per pass of the tiled kernels: the largest of steps_choices[] whose
 * accumulators (steps x vecs vectors) fit in accs; 1 if none does. The C
 * backend prints this rule over RT_ACCS, the LLVM backend evaluates it.
 */
extern const int lower_steps_choices[];
extern const int lower_nsteps_choices;
int lower_steps_choice(int vecs, int accs);

/* A dense layer y = act(w x + b), tiled as a projection (LowCell.w_proj):
 * the units, rounded up to whole vectors of 16 with rows of zeros (16 units
 * and more, on a target with vectors), cut into tiles of `tile` units; a
 * tile's units accumulated together in registers over one pass of its
 * weights, column k of w into every accumulator (acc = w[t][k] x[k] + acc),
 * so each unit's sum runs in k order, with no serial chain across units and
 * no horizontal sum; then the tile's first units (those < units) written. */
typedef struct LowDense {
    const char *id;            /* C identifier: "m_head" */
    const char *macro;
    const char *title;
    int input, units;
    int tile;                  /* units per tile (divides tiles * tile >= units) */
    int tiles;
    int simd;                  /* tile is a multiple of 16: the target's vectors (else
                                  plain floats) */
    int vecs;                  /* accumulator vectors of a tile (target known) */
    LowArray w;                /* [tiles][input][tile]: transposed by tile, rows past
                                  units zero */
    LowArray b;                /* [tiles][tile], zeros past units; data NULL: none */
    LowArray s;                /* [tiles][tile]: int8 w's row scales (1 past units);
                                  data NULL: not int8 */
    LowAct act;                /* ACT_SOFTMAX: over the whole vector */
} LowDense;

/* The embedding of a model that reads token ids (`input tokens;`): its
 * table, looked up by the runtime's rt_embed_rowsf into the rows the first
 * layer reads (OP_EMBED_ROWS). The table stays float32 whatever the
 * weights_type: a lookup reads one row per step, so narrow storage would
 * save flash but no time, and the rows are copied exactly. */
typedef struct LowEmbedding {
    const char *title;         /* the spec's layer name */
    int vocab, dim;            /* V token ids, E floats each */
    LowArray table;            /* [V * E], row id at id * E; data NULL: the model reads features */
} LowEmbedding;

typedef struct LowLayer {
    IrKind kind;
    const char *title;         /* the spec's layer name, for comments */
    int input, output;
    int ncells;                /* LSTM: 1, or 2 when bidirectional */
    LowCell *cell[2];          /* into LowModel.cells */
    LowDense dense;
} LowLayer;

/* ---- the plan: which layer reads and writes which rows ---- */

/* Where an op reads or writes rows (a step's, a chunk's or a sequence's) or
 * a vector. */
typedef enum {
    BUF_X,            /* the caller's input */
    BUF_Y,            /* the caller's output */
    BUF_H,            /* cell index's h: its last row, the rows themselves not kept */
    BUF_TMP,          /* state field tmp<index>: a dense layer's output vector */
    BUF_SEQ,          /* rows of seq_width floats: state field seq<index> (a
                         streaming model's chunk) or the caller's scratch */
} LowBufKind;

typedef struct LowBuf {
    LowBufKind kind;
    int index;
} LowBuf;

/*
 * Ops: a list of rows ops, each over rows of steps (a sequence model: every
 * step; a streaming model: a chunk of steps, the state carried over), then
 * the ops on the last row only (output last).
 */
typedef enum {
    OP_EMBED_ROWS,    /* the token ids of in (BUF_X) -> their vectors, rows of out */
    OP_LSTM_ROWS,     /* cell over rows of in -> rows of out at column out_col */
    OP_DENSE_ROWS,    /* layer over rows of in -> rows of out */
    OP_COPY_LAST,     /* out = the last row of in (n floats) */
    OP_DENSE_LAST,    /* layer on the last row of in (or a vector) -> out (one vector) */
    OP_POOL,          /* in's rows pooled into one vector out (n floats): output
                         final (the h of each cell of `layer` after its run: in
                         is BUF_H, the layer writes no rows), mean or max (a
                         runtime function over the rows) */
} LowOpKind;

typedef struct LowOp {
    LowOpKind kind;
    int layer;                 /* index into LowModel.layers */
    int cell;                  /* OP_LSTM_ROWS: index into LowModel.cells */
    LowBuf in, out;
    int in_width, out_width;   /* floats per row of in and out */
    int out_col;               /* OP_LSTM_ROWS: first column of this direction in out */
    int n;                     /* OP_COPY_LAST, OP_POOL: floats */
} LowOp;

/* ---- the state struct ---- */

typedef enum {
    FIELD_H,          /* a cell's hidden state h */
    FIELD_C,          /* a cell's cell state c */
    FIELD_GATES,      /* scratch: gate pre-activations of a chunk of steps */
    FIELD_M,          /* scratch: the new h (tiled), or o * act(c) before a projection */
    FIELD_SEQ,        /* scratch: a layer's output rows, a chunk of steps (streaming) */
    FIELD_TMP,        /* scratch: a dense layer's output (output last) */
    FIELD_EMPTY,      /* one float nobody uses: a model of dense layers only
                         keeps no state, and C has no empty struct */
    FIELD_PAD,        /* a cache line nobody uses (direction_threads): between the
                         fields each thread writes, so that no line holds both
                         threads' (whatever the struct's alignment) */
} LowFieldKind;

/* One float array of the state struct; the struct is these in order (no
 * padding by the compiler: all floats), then, with threads, the pool. */
typedef struct LowField {
    LowFieldKind kind;
    const char *name;          /* "enc_l0_h", "gates", "seq0" */
    int floats;
    long offset;               /* floats from the start of the struct */
    int cell;                  /* FIELD_H, FIELD_C: whose */
    int index;                 /* FIELD_SEQ, FIELD_TMP: which (0 or 1) */
} LowField;

/* ---- control code ---- */

/*
 * Expressions of size_t values: constants (with the name of the macro the C
 * prints for them), variables (parameters, loop counters, locals) and a few
 * operators, all unsigned, as C's size_t arithmetic.
 */
typedef enum { LX_CONST, LX_VAR, LX_ADD, LX_SUB, LX_MUL, LX_MIN, LX_MOD } LowExprKind;

typedef struct LowExpr {
    LowExprKind kind;
    long value;                /* LX_CONST */
    const char *name;          /* LX_CONST: its macro (NULL: the number); LX_VAR: the variable */
    const struct LowExpr *a, *b;
} LowExpr;

/* A float pointer: a float* variable, or field `field` of the state that
 * state variable `var` points to (its element `elem`, NULL: 0), or a weight
 * array, or NULL; then `offset` floats on (NULL: 0). */
typedef enum { LP_NULL, LP_VAR, LP_FIELD, LP_ARRAY } LowPtrKind;

typedef struct LowPtr {
    LowPtrKind kind;
    const char *var;           /* LP_VAR: a float* variable; LP_FIELD: a state* variable */
    const LowExpr *elem;       /* LP_FIELD: which state of an array of them */
    int field;                 /* LP_FIELD: index into LowModel.fields */
    const LowArray *array;     /* LP_ARRAY */
    const LowExpr *offset;
} LowPtr;

/* The functions the control code calls. */
typedef enum {
    CALLEE_CELL_PROJECT,     /* cell: (x, n, pre) the input projection of n steps */
    CALLEE_CELL_RECUR,       /* cell: (pre, h, c, m) one step of the recurrence; with
                                alternate, (pre, h, c, m, back) */
    CALLEE_CELL_STEP,        /* cell: (x, h, c, m) one step from its input row x: each
                                tile's input projection (into the tile's own rows,
                                as CELL_PROJECT computes them) then its recurrent
                                product and cells, as CELL_RECUR (the same bits) */
    CALLEE_CELL_PROJECTION,  /* cell: (h, m) h = w_proj m */
    CALLEE_CELL_BATCH_PROJECTION, /* cell: (nb, states) h = w_proj m of nb sequences */
    CALLEE_CELL_BATCH_RECUR, /* cell: (pre, nb, states) the recurrence of nb sequences */
    CALLEE_CELL_RUN,         /* cell: a LowFunc (run over rows) */
    CALLEE_CELL_BATCH,       /* cell: a LowFunc (one step of a batch) */
    CALLEE_DENSE,            /* layer: (x, y) */
    CALLEE_MODEL_RESET,      /* the model's LowFuncs */
    CALLEE_MODEL_RUN,
    CALLEE_MODEL_RUN_FROM,   /* NAME_run_from_state (a sequence model's NAME_run) */
    CALLEE_RUNTIME,          /* the runtime function LowStmt.fn: rt_mean_rowsf or
                                rt_max_rowsf (x, rows, width, y) */
} LowCalleeKind;

typedef struct LowArg {
    int is_ptr;
    LowPtr ptr;                /* is_ptr */
    const LowExpr *expr;       /* !is_ptr: a size_t */
} LowArg;

typedef enum {
    LS_LET,           /* const size_t var = expr; (comment) */
    LS_LET_STATE,     /* state *var = (state variable dst.var) + expr */
    LS_FOR,           /* for (size_t var = from; var < to; var += step) body */
    LS_RETURN_IF_ZERO,/* if (expr == 0) return; */
    LS_CALL,          /* callee(args) */
    LS_SPAWN,         /* job var: a thread of its own started, and handed the call
                         callee(args) (a CALLEE_CELL_RUN); without a thread (none
                         starts), the caller runs it, and each LS_POST's */
    LS_POST,          /* the next call callee(args) handed to job var's thread,
                         which has run the last (an LS_WAIT came between) */
    LS_WAIT,          /* waits until job var's thread has run the call handed to it */
    LS_JOIN,          /* waits for job var's last call, then ends its thread */
    LS_COPY,          /* n floats from src to dst */
    LS_ZERO_STATE,    /* zero the first n floats of state dst.var: the h and c
                         of every cell, and any FIELD_PAD between them (the
                         scratch after them is written before it is read), up
                         to field `index` (-1: all) */
} LowStmtKind;

enum { LOW_MAX_ARGS = 8 };

/* Looks at a counter of the direction threads' handover (LS_WAIT, LS_JOIN,
 * the thread waiting for its next call) before each sched_yield: about
 * 10 us, the time of a layer's last steps' imbalance, spent spinning. */
enum { LOW_JOB_SPINS = 4096 };

typedef struct LowStmt {
    LowStmtKind kind;
    const char *comment;       /* printed beside or above it; NULL: none */
    const char *var;           /* LS_LET, LS_LET_STATE, LS_FOR; the job of LS_SPAWN,
                                  LS_POST, LS_WAIT, LS_JOIN */
    const LowExpr *expr;       /* LS_LET, LS_LET_STATE, LS_RETURN_IF_ZERO; LS_FOR: from */
    const LowExpr *to, *step;  /* LS_FOR */
    struct LowBlock *body;     /* LS_FOR */
    LowCalleeKind callee;      /* LS_CALL, LS_SPAWN, LS_POST */
    const char *fn;            /* CALLEE_RUNTIME: its name, as runtime/lstmc_act.h has it */
    int index;                 /* LS_CALL: the cell or layer */
    int nargs;
    LowArg args[LOW_MAX_ARGS]; /* LS_CALL, LS_SPAWN, LS_POST */
    LowPtr dst, src;           /* LS_COPY; LS_ZERO_STATE: dst.var is the state */
    const LowExpr *n;          /* LS_COPY, LS_ZERO_STATE: floats */
} LowStmt;

typedef struct LowBlock {
    int n, cap;
    LowStmt *s;
} LowBlock;

/* A parameter: a size_t, a float pointer (const or not), or a state pointer. */
typedef enum { LT_SIZE, LT_CFLOATP, LT_FLOATP, LT_STATEP,
               LT_CIDP /* const int32_t *: the token ids of a model with an embedding */ } LowType;

typedef struct LowParam {
    const char *name;
    LowType type;
    int elems;                 /* pointers: > 0 prints as an array of that many
                                  (elems_macro names it), for the API */
    const char *elems_macro;
} LowParam;

/* A function of the control code. Exported functions are the model's API
 * (NAME_run); the others are static, named "<cell id>_run" in C. */
typedef struct LowFunc {
    const char *name;
    int exported;
    const char *comment;       /* the lines of the comment above it */
    int nparams;
    LowParam params[LOW_MAX_ARGS];
    LowBlock body;
} LowFunc;

/* ---- the model ---- */

typedef struct LowModel {
    const IrModel *ir;
    const char *name;          /* C identifier prefix of every exported name */
    const char *macro;         /* upper-case, for the exported #defines */
    int input, output, output_last;
    OutputForm output_form;
    int pooled;                /* the last LSTM layer's rows (the input's, without one)
                                  pooled by OP_POOL before the dense head: output mean,
                                  max, or final with a backward direction (a forward
                                  final is the last step's h, as output last) */
    int streaming;             /* no backward direction: step by step */
    int fast_activations;
    int threads;               /* > 1: a pool of threads shares the cells with
                                  threads > 1 (C11 atomics and pthreads) */
    int initial_state;         /* some cell starts from a learned h0 or c0 */
    LowTarget target;          /* the vector shape, when the backend knows it */
    unsigned char *runtime;    /* [rt_act_npieces] (runtime_text.h): 1 for each piece
                                  of runtime/lstmc_act.h the C copies: the functions of
                                  the activations the model calls, the macros and
                                  vectors of its tiled kernels, and what they need */
    int uses_clip;             /* some clip */
    int tokens;                /* the input is token ids (int32_t), one per step: the
                                  API's x is LT_CIDP and the first op OP_EMBED_ROWS */
    LowEmbedding embedding;    /* tokens: the table */

    int nlayers;
    LowLayer *layers;
    int ncells;
    LowCell *cells;
    int nops;
    LowOp *ops;

    /* The state struct (NAME_state): its fields in order. */
    int nfields;
    LowField *fields;
    int gates_field, m_field;  /* -1: absent */
    int direction_threads;     /* --threads N >= 2 on a model with a backward direction:
                                  NAME_run runs the backward direction of each
                                  bidirectional layer on a second thread, beside the
                                  forward one: one thread per call (pthreads), started
                                  with the first layer's (LS_SPAWN), handed each next
                                  layer's (LS_POST) once both directions of the last
                                  have run (LS_WAIT), ended after the last (LS_JOIN).
                                  The backward directions' scratch is gates_b_field
                                  and m_b_field */
    int gates_b_field, m_b_field;   /* -1: absent */
    int seq_field[2], tmp_field[2];   /* -1: absent */
    int chunk;                 /* steps whose input projection is computed at once;
                                  sequences per group of run_batch */
    /* Rows between layers of a sequence model: nseq buffers of seq_width
     * floats per step, in the caller's scratch. */
    int nseq;
    int seq_width;

    /* Control code (lower_api.c). */
    LowFunc *cell_run;         /* [ncells]: ID_run(x, n, out, out_stride, h, c, pre, m) */
    LowFunc *cell_batch;       /* [ncells] (streaming): ID_batch(x, nb, out, out_stride, s) */
    LowFunc reset;             /* NAME_reset(s) */
    LowFunc step;              /* NAME_step(s, x, y) (streaming) */
    LowFunc run;               /* NAME_run(s, x, steps, y[, scratch]) */
    LowFunc run_batch;         /* NAME_run_batch(s, batch, x, steps, y) (streaming) */
    LowFunc run_from;          /* NAME_run_from_state(s, x, steps, y, scratch) (not streaming):
                                  NAME_run without its reset, from the state in s */
    /* The start state from the caller's data and back (ncells > 0):
     * NAME_set_state(s, h, c), NAME_get_state(s, h, c). h holds every
     * cell's h in the order of cells (layer by layer, forward before
     * backward: PyTorch's h_n), R floats each; c every LSTM cell's c, H
     * floats each (a GRU's or RNN's c field is its h again, set from h). */
    LowFunc set_state, get_state;
    int state_h, state_c;      /* floats of h and of c: NAME_STATE_H_SIZE, _C_SIZE */

    long flash_bytes;          /* every weight array */
    WeightsType weights_type;  /* how the weight matrices are stored */
    long state_bytes;          /* sizeof the state struct (floats only) */
    uint64_t hash;             /* NAME_MODEL_HASH: the contract of header and code */
} LowModel;

typedef struct LowerOptions {
    const char *name;          /* C identifier prefix; NULL: from the model name */
    int fast_activations;
    int threads;               /* --threads N (1: none) */
    const LowTarget *target;   /* NULL: unknown (the portable C) */
    int chunk;                 /* --chunk N: steps per chunk; 0: chosen by size */
} LowerOptions;

/* Lowers m (with weights) into a, for emission. Never fails: the IR is
 * checked. */
LowModel *lower_model(Arena *a, const IrModel *m, const LowerOptions *o);

/* The cells (layer-directions) of a layer: 0 for a dense layer. */
int lower_layer_cells(const IrLayer *L);

/* Whether lm's C copies the runtime piece called name ("rt_softmaxf",
 * "<math.h>"); a name that is no piece is an internal error. */
int lower_needs(const LowModel *lm, const char *name);

/* An identifier from any name: letters, digits and '_' kept, everything
 * else '_', a leading digit prefixed with 'm' ("my-model" -> "my_model"). */
char *lower_identifier(Arena *a, const char *name);
/* The identifier upper-cased. */
char *lower_macro(Arena *a, const char *id);

/* lower_api.c: the control code of lm (called by lower_model). */
void lower_api(Arena *a, LowModel *lm);

#endif
