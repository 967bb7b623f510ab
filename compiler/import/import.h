/*
 * import.h - an ONNX graph matched into lstmc's layers (`lstmc import`).
 *
 * import.c walks the graph of onnx.h in order and follows what every value
 * is: a constant, a shape computed from the input's symbolic sizes, a tensor
 * filled with one number (initial states), or the data flowing from the
 * graph input through the layers, with each of its axes known as time,
 * batch, direction, features or a size-1 axis (or, for an input of int64
 * token ids, the Gather of an embedding's table that reads them). Glue ops (Transpose,
 * Squeeze, Unsqueeze, Reshape, Slice, Gather, Identity, Cast) only move
 * axes; LSTM, GRU, RNN, Gemm and MatMul (+ Add) become layers; Relu, Sigmoid, Tanh,
 * Softmax and the like become a dense layer's activation. Anything else is
 * an error naming the node, its op and what is not supported.
 *
 * The result is written as a spec in lstmc's `onnx` convention (the LSTM
 * tensors W, R, B, P exactly as ONNX stores them, a nonzero initial_h and
 * initial_c as [D, 1, H] with `initial_state;`) and its tensors.
 */
#ifndef LSTMC_IMPORT_H
#define LSTMC_IMPORT_H

#include "ir.h"
#include "onnx.h"
#include "safetensors.h"

typedef enum { IMPORT_LSTM, IMPORT_DENSE, IMPORT_GRU, IMPORT_RNN } ImportKind;

typedef struct ImportLayer {
    ImportKind kind;
    const char *node;           /* the ONNX node it came from: "'NAME'", or "#k" */
    const char *name;           /* spec block name and tensor prefix: lstm0, dense1 */
    int input;                  /* features in */
    int output;                 /* features out: dirs * hidden, or units */
    int bias;                   /* has bias tensors */
    /* LSTM, GRU, RNN: one ONNX node. */
    int hidden, dirs;           /* dirs: 2 for bidirectional */
    int reset_after;            /* GRU: linear_before_reset */
    int reverse;                /* direction reverse (dirs 1) */
    int coupled, peepholes;     /* input_forget; P given */
    int initial_state;          /* initial_h or initial_c given and not zero */
    double clip;                /* 0: none */
    Activation act[3];          /* ONNX f, g, h: LSTM gates, cell input, cell output;
                                   GRU gates, candidate; RNN its activation */
    float *W, *R, *B, *P;       /* ONNX layout: [D,4H,I], [D,4H,H], [D,8H], [D,3H];
                                   GRU 3H, 6H, RNN H, 2H; P: LSTM only */
    float *h0, *c0;             /* with initial_state: initial_h, initial_c [D,1,H];
                                   c0: LSTM only */
    /* dense: Gemm, or MatMul with its Add. */
    float *w;                   /* [output, input] */
    float *b;                   /* [output], or NULL */
    Activation dense_act;
    int bias_pending;           /* a MatMul: an Add may still bring its bias */
} ImportLayer;

enum { IMPORT_MAX_STATE_INPUTS = 64 };

typedef struct ImportModel {
    const OnnxGraph *graph;
    int input;                  /* features per step */
    int output;                 /* features per output row */
    OutputForm output_form;     /* sequence, or one row per sequence: last, final, mean, max */
    /* The graph input holds int64 or int32 token ids, which a Gather of a
     * table turns into vectors (nn.Embedding): written as an embedding
     * first, `input tokens;` (input is then 1). NULL: features in. */
    const float *embed;         /* [vocab, dim] */
    int vocab, dim;
    const char *embed_node;     /* the Gather's node, as ImportLayer.node */
    int nlayers;
    ImportLayer *layers;
    /* The graph inputs read as initial states (initial_h, initial_c): the
     * spec starts from zeros, the caller gives the state at run time. */
    const char *state_inputs[IMPORT_MAX_STATE_INPUTS];
    int nstate_inputs;
} ImportModel;

/* What `lstmc import` was told besides the model. */
typedef struct ImportOptions {
    const char *output;         /* --graph-output: the graph output to import; NULL: the only one */
    int nvalues;                /* --input-values: tensors for graph inputs, which become */
    const OnnxTensor *values;   /* constants (weights), all but the sequence's */
} ImportOptions;

/* Matches the graph into layers. Returns NULL after reporting every reason
 * as "MODEL.onnx: error: node 'NAME' (op OP): ...". */
ImportModel *import_graph(Arena *a, const OnnxGraph *g, const ImportOptions *opt);

/* Writes the spec of model NAME whose weights are in the file weights (a
 * name relative to the spec's folder). */
void import_write_spec(FILE *f, const ImportModel *m, const char *name, const char *weights);

/* The tensors the spec names, in order, for st_write_f32(). */
typedef struct ImportTensors {
    int n;
    const char **names;
    int *ndims;
    long (*shapes)[ST_MAX_DIMS];
    const float **data;
} ImportTensors;
void import_tensors(Arena *a, const ImportModel *m, ImportTensors *t);

#endif
