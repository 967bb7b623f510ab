/*
 * ir.h - the model IR: a checked model with every dimension known and every
 * weight in one canonical layout, whatever convention the file used.
 *
 * sema.c builds it; interp.c runs it; the lowering and the emitters compile
 * it. A spec's `layers N` and `bidirectional` are already expanded here: the
 * IR is a flat list of layers, each LSTM layer holding one or two directions.
 *
 * Canonical LSTM layout (one direction of one layer), with
 *   I = input features, H = cells, S = cells per block, NB = H / S blocks,
 *   R = recurrent width (P if projected, else H), K = I + R:
 *   w_i, w_f, w_o [NB, K]   gate rows, one per block; columns: x then h
 *   w_g           [H,  K]   cell input rows, one per cell
 *   b_i, b_f, b_o [NB], b_g [H]   (the frameworks' two biases already summed)
 *   p_i, p_f, p_o [H]       peephole weights, one per cell
 *   w_proj        [P, H]    projection, h = w_proj (o * act(c))
 *
 * One step, for block b owning cells j in [b*S, (b+1)*S):
 *   ai[b] = w_i[b] . [x, h] + b_i[b] + sum_j p_i[j] c[j]       (same for f)
 *   ag[j] = w_g[j] . [x, h] + b_g[j]
 *   af += forget_bias; then, with clip_gates, each of ai, af, ag, ao is
 *   clamped to [-clip, clip]
 *   i = gate_act(ai), f = gate_act(af) or 1 - i if coupled,
 *   f = 1 if there is no forget gate, i = 1 if there is no input gate
 *   c'[j] = f[b] c[j] + i[b] cell_input_act(ag[j]);  clip_cell clamps c'
 *   ao[b] = w_o[b] . [x, h] + b_o[b] + sum_j p_o[j] c'[j]
 *   o = gate_act(ao), or 1 if there is no output gate
 *   m[j] = o[b] cell_output_act(c'[j]);  h' = m, or w_proj m (clip_proj clamps)
 *
 * Each sequence starts from h = h0, c = c0 (zeros unless `initial_state;`);
 * a backward direction starts from its own h0, c0 at t = T-1.
 */
#ifndef LSTMC_IR_H
#define LSTMC_IR_H

#include "quant.h"
#include "util.h"

typedef enum {
#define ACT(e, name, nparams, formula) e,
#include "activations.def"
#undef ACT
    ACT_COUNT
} ActKind;

typedef struct Activation {
    ActKind kind;
    double a, b;              /* parameters, as activations.def names them */
} Activation;

typedef enum { GATE_I, GATE_F, GATE_G, GATE_O, GATE_COUNT } Gate;

/* One direction of one LSTM layer, canonical layout (see above). Weights are
 * float: the values of the trained model, exactly; absent parts are NULL. */
typedef struct IrDirection {
    int reverse;              /* runs t = T-1 .. 0 */
    float *w[GATE_COUNT];     /* w[GATE_I] = w_i [NB, K], ..., w[GATE_G] [H, K] */
    float *b[GATE_COUNT];     /* [NB] or [H] for GATE_G */
    float *p[GATE_COUNT];     /* peepholes [H]; p[GATE_G] is always NULL */
    float *w_proj;            /* [P, H] or NULL */
    /* int8 weights (weights_type int8): the scale of each row of w[g] and
     * w_proj (quant.h); NULL otherwise. w holds the stored values q * scale. */
    float *w_scale[GATE_COUNT];
    float *w_proj_scale;
    float *h0;                /* [R] the state every sequence starts from, */
    float *c0;                /* [H]  with `initial_state;`; NULL: zeros */
} IrDirection;

typedef struct IrLstm {
    int input;                /* I */
    int hidden;               /* H */
    int block_size;           /* S */
    int blocks;               /* NB = H / S */
    int proj;                 /* P, or 0 */
    int recurrent;            /* R = proj ? proj : hidden */
    int has_gate[GATE_COUNT]; /* has_gate[GATE_G] is always 1 */
    int coupled;              /* f = 1 - i; w[GATE_F] is NULL */
    int peepholes;
    int initial_state;        /* h0, c0 given (`initial_state;`), else zeros */
    Activation gate_act, cell_input_act, cell_output_act;
    double forget_bias;       /* added to the forget pre-activation */
    double clip_gates;        /* ONNX clip: pre-activations; 0 = none */
    double clip_cell;         /* TFLite cell_clip: c'; 0 = none */
    double clip_proj;         /* TFLite proj_clip: h' after projection; 0 = none */
    int dirs;                 /* 1, or 2 for bidirectional (outputs concatenated fwd, bwd) */
    /* products int8 (SPEC "Integer recurrent products"): w_h h is computed
     * from h quantized to int8 each step (quant_h_code), integer products
     * summed exactly, times the row's quant_h_factor; needs int8 weights */
    int products_int8;
    IrDirection dir[2];
} IrLstm;

typedef struct IrDense {
    float *w;                 /* [units, input] */
    float *b;                 /* [units], or NULL without bias */
    float *w_scale;           /* [units] with int8 weights, else NULL */
    Activation act;           /* ACT_IDENTITY when none */
} IrDense;

/* Where a layer's tensors come from: a naming convention and the tensor-name
 * prefix of each direction (sema.c resolves per-layer lists), so weights.c
 * can name every tensor it reads. */
typedef enum { CONV_PYTORCH, CONV_KERAS, CONV_ONNX, CONV_NATIVE } Convention;

typedef struct IrSource {
    Convention conv;
    const char *prefix[2];    /* per direction; equal unless keras bidirectional */
    int index;                /* layer within its stacked spec block (pytorch _l{k}) */
    int stacked;              /* the spec block has more than one layer */
    int bias;                 /* the file has bias tensors (no `no_bias;`) */
    Loc loc;                  /* the `from` statement */
} IrSource;

/* GRU and Elman RNN layers, canonical layout (one direction of one layer),
 * with I inputs, H units, K = I + H:
 *   w[GRU_R], w[GRU_Z], w[GRU_N] [H, K]   rows r, z, n; columns x then h
 *   b[GRU_R], b[GRU_Z] [H]   the frameworks' two biases summed
 *   b[GRU_N]           [H]   the candidate's input bias (reset after), or
 *                            both its biases summed (reset before)
 *   b_hn               [H]   reset after only: the candidate's recurrent
 *                            bias, inside the reset product
 *   an RNN has w[GRU_N] and b[GRU_N] alone (its one row block).
 * One GRU step (clip clamps each pre-activation, 0 = none):
 *   r = gate_act(w_r . [x, h] + b_r)    z = gate_act(w_z . [x, h] + b_z)
 *   reset after:  n = cand_act(w_n[:, x] . x + b_n + r * (w_n[:, h] . h + b_hn))
 *   reset before: n = cand_act(w_n[:, x] . x + w_n[:, h] . (r * h) + b_n)
 *   h' = (1 - z) n + z h
 * One RNN step: h' = cand_act(w_n . [x, h] + b_n).
 * Each sequence starts from h0 (zeros unless `initial_state;`). */
typedef enum { GRU_R, GRU_Z, GRU_N, GRU_COUNT } GruPart;

typedef struct IrGruDirection {
    int reverse;
    float *w[GRU_COUNT];      /* [H, K]; an RNN has only w[GRU_N] */
    float *b[GRU_COUNT];      /* [H] or NULL (no bias; an RNN's r and z) */
    float *b_hn;              /* [H] reset after with a bias, else NULL */
    float *h0;                /* [H] with `initial_state;`, else NULL: zeros */
    float *w_scale[GRU_COUNT];/* int8 weights: the scale of each row of w[p], else NULL */
} IrGruDirection;

/* A GRU layer (IR_GRU) or an Elman RNN layer (IR_RNN). */
typedef struct IrGru {
    int input;                /* I */
    int hidden;               /* H */
    int reset_after;          /* GRU: 1 reset after the recurrent product, 0 before */
    int initial_state;
    Activation gate_act;      /* GRU: r and z (sigmoid) */
    Activation cand_act;      /* GRU: n (tanh); RNN: its activation (tanh) */
    double clip;              /* clamps every pre-activation; 0 = none */
    Loc reset_loc;            /* GRU: the `reset` statement, for the weights' check */
    int dirs;                 /* 1 or 2 (outputs concatenated fwd, bwd) */
    IrGruDirection dir[2];
} IrGru;

/* An embedding: the vector of each token id, looked up (PyTorch
 * nn.Embedding, Keras Embedding, ONNX Gather on an initializer). Its layer's
 * input is the vocabulary V, its output the dimension E. */
typedef struct IrEmbedding {
    float *table;             /* [V, E]: row id is token id's vector; float32
                                 whatever the weights_type */
} IrEmbedding;

typedef enum { IR_LSTM, IR_DENSE, IR_GRU, IR_RNN, IR_EMBEDDING } IrKind;

typedef struct IrLayer {
    IrKind kind;
    const char *name;         /* spec block name; "enc.l1" for layer 1 of a stack */
    Loc loc;                  /* the spec block */
    int input;                /* features in */
    int output;               /* features out: dirs * R for LSTM, dirs * H for GRU
                                 and RNN, units for dense */
    IrSource source;
    IrLstm lstm;
    IrDense dense;
    IrGru gru;                /* IR_GRU and IR_RNN */
    IrEmbedding embed;        /* IR_EMBEDDING */
} IrLayer;

/* What a model outputs (`output FORM;`). Every form but sequence gives one
 * row per sequence; final, mean and max reduce the output sequence of the
 * last LSTM layer (the input, for mean and max of a model without one) to
 * one vector, and the dense layers after that layer run once, on it. */
typedef enum {
    OUT_SEQUENCE,     /* one row per step */
    OUT_LAST,         /* the last step's row */
    OUT_FINAL,        /* each direction's final state: forward at step T-1, a
                         backward direction's after reading step 0 (h_n) */
    OUT_MEAN,         /* the mean over the steps */
    OUT_MAX,          /* the maximum over the steps, per feature */
} OutputForm;

/* How a model computes (`arithmetic`, --arithmetic): float, or int16
 * fixed point with int8 weights (fixed.h; SPEC "Integer-only arithmetic"). */
typedef enum { ARITH_FLOAT, ARITH_INT16, ARITH_COUNT } Arithmetic;

typedef struct IrModel {
    const char *name;
    const char *spec_path;
    const char *weights_path;   /* resolved: the spec's (relative to its folder) or -w */
    Loc weights_loc;            /* the `weights` statement, if any */
    int input;                  /* features per step (1 with an embedding: a token id) */
    int output;                 /* features per output row */
    int output_last;            /* 1: one output row per sequence (any form but sequence) */
    OutputForm output_form;
    WeightsType weights_type;   /* how the weight matrices are stored (quant.h) */
    Loc weights_type_loc;       /* the `weights_type` statement, if any */
    Arithmetic arithmetic;      /* float, or int16 (then weights_type is int8) */
    Loc arithmetic_loc;         /* the `arithmetic` statement, if any */
    int products_int8;          /* `products int8;` (--products): the LSTM layers'
                                   recurrent products in integers (products.h) */
    Loc products_loc;           /* the `products` statement, if any */
    const char *ranges_path;    /* `ranges "FILE";` resolved as weights_path is, or NULL */
    /* `input tokens;`: the model reads token ids, which its first layer,
     * this embedding (not among layers), turns into vectors; layers[0]
     * then takes embedding->output features. NULL: features in. */
    IrLayer *embedding;
    int nlayers;
    IrLayer *layers;
} IrModel;

/* Whether the layer runs backward in any direction (LSTM, GRU, RNN). */
int ir_layer_has_reverse(const IrLayer *L);
/* The name of an embedding's table [V, E] after its prefix, per convention:
 * "weight" (PyTorch nn.Embedding; ONNX, the Gather's table as lstmc import
 * names it), "embeddings" (Keras), "table" (native). */
const char *ir_embedding_table(Convention c);
/* The vocabulary of a model that reads token ids (its embedding's V), or
 * 0 for a model of features (the data readers' rt_rows_tokens). */
long ir_vocabulary(const IrModel *m);
/* Whether the output form pools (final, mean, max). */
int ir_pools(const IrModel *m);
/* The spec's word for an output form. */
const char *ir_output_form_name(OutputForm f);

/* Rows of a gate matrix: NB for i, f, o; H for g. */
int ir_gate_rows(const IrLstm *l, Gate g);
/* Whether gate g has weights (i/f/o may be absent; f is absent when coupled). */
int ir_gate_has_weights(const IrLstm *l, Gate g);
/* Activation names and parameter counts, indexed by ActKind. */
extern const char *const ir_activation_names[ACT_COUNT];
extern const int ir_activation_nparams[ACT_COUNT];
const char *ir_activation_name(ActKind k);
int ir_activation_params(ActKind k);
/* The shortest decimal that reads back as the same float as v. */
char *ir_float_text(Arena *a, double v);
/* An activation as the spec writes it: "sigmoid", "hard_sigmoid(0.2, 0.5)"
 * (parameters as float, in their shortest form). */
char *ir_activation_text(Arena *a, Activation act);

/* Model statistics for `lstmc check` and the generated code's banner. */
typedef struct IrStats {
    long params;                /* weights and biases */
    long weight_bytes;          /* the parameters' bytes as stored (weights_type) */
    long state_bytes;           /* h and c of every layer and direction, as float */
    long flops_per_step;        /* multiply-adds count 2, activations 1 each */
} IrStats;
IrStats ir_stats(const IrModel *m);

/* Prints a human-readable summary of the model (`lstmc check`). */
void ir_print_summary(FILE *f, const IrModel *m);

#endif
