/*
 * import_impl.h - internal to the importer, shared by its three files and
 * included by nothing else (the interface is import.h): the abstract values
 * the walk follows, the importer's state, and the helpers the op files call.
 *   import.c         the core: values, messages, attributes, the walk;
 *   import_shape.c   ops on constants, shapes and axes;
 *   import_layers.c  the ops that make layers or fold into them.
 *
 * The graph is evaluated once, node by node in file order, over abstract
 * values instead of numbers:
 *   constants   initializers and Constant nodes (weights, axes, shapes);
 *   int vectors shapes whose entries may be the symbolic size of one of the
 *               graph input's axes (what Shape -> Gather -> Concat computes);
 *   fills       a tensor of any shape holding one number (Expand or
 *               ConstantOfShape of a zero: exporters' initial states);
 *   data        the input flowing through the layers: for each axis whether
 *               it is the input's axis 0 or 1 (one of them time, the other
 *               batch, fixed when an LSTM consumes them), features,
 *               directions, or a size-1 axis; how many layers made it; and
 *               whether time was already reduced to one row (the last
 *               step, each direction's final state, the mean or maximum).
 * Only nodes the graph output depends on are evaluated, so unused shape
 * arithmetic and unused LSTM outputs cost nothing. Layers form a chain:
 * every layer-making node (LSTM, Gemm, MatMul) must take the output of the
 * layer made just before it, and an Add or activation folds into the dense
 * layer whose output it takes.
 */
#ifndef LSTMC_IMPORT_IMPL_H
#define LSTMC_IMPORT_IMPL_H

#include "import.h"

enum { MAX_AXES = ONNX_MAX_DIMS };
/* Entries of an integer vector made by the walk (Concat of shapes): real
 * shapes have a handful; the bound stops Concat(s, s) chains doubling. */
enum { IMP_MAX_INTS = 4096 };

typedef enum { AX_SYM, AX_FEAT, AX_DIR, AX_ONE, AX_STACK } AxisKind;

/* One axis of a data value. AX_SYM: axis sym (0 or 1) of the graph input
 * other than its features, with its static size or -1; the rest have known
 * sizes (AX_ONE: 1). AX_STACK: a Concat of several values along this axis,
 * of which lstmc can follow only taking the last (PyTorch's h_n[-1]). */
typedef struct Axis {
    AxisKind kind;
    int sym;
    long size;
} Axis;

/* An int that is known (sym < 0) or the size of graph input axis sym. */
typedef struct SymInt {
    long v;
    int sym;
} SymInt;

typedef enum { V_FLOATS, V_INTS, V_FILL, V_DATA, V_BAD } ValueKind;

/* What the walk knows of one named value. */
typedef struct Value {
    const char *name;
    ValueKind kind;
    const OnnxTensor *t;        /* V_FLOATS */
    int rank;                   /* V_INTS: 0 or 1; V_DATA: axes */
    int n;                      /* V_INTS: entries */
    SymInt *ints;
    double fill;                /* V_FILL */
    Axis ax[MAX_AXES];          /* V_DATA */
    int depth;                  /* V_DATA: layers that made it */
    int version;                /* V_DATA: im->version when it was made */
    OutputForm reduced;         /* V_DATA: time reduced to one row (OUT_LAST, OUT_FINAL,
                                 * OUT_MEAN, OUT_MAX), or OUT_SEQUENCE */
    int dir_part;               /* V_DATA, OUT_FINAL of a bidirectional layer: 1 or 2 when
                                 * it holds only the forward or backward state (h_n[-2]
                                 * or h_n[-1]), which a Concat joins (forward first) */
    const char *why;            /* V_BAD: why it cannot be used */
    const char *state_of;       /* V_BAD: a graph input of initial states [entries, batch,
                                 * hidden] (its name), or a Slice of one along its entries
                                 * (one per layer and direction), which an LSTM, GRU or
                                 * RNN node reads as its start state given at run time */
    long state_first, state_count, state_size;   /* its entries, each of state_size */
    int ids;                    /* V_BAD: the graph input of token ids, which only the
                                 * Gather of an embedding's table reads (imp_embedding) */
    const struct Value *stack_last;   /* V_DATA with an AX_STACK axis: its last part */
    int softsign;               /* V_DATA: 1 for |x|, 2 for 1 + |x| of the chain's end x,
                                 * on the way to x / (1 + |x|), PyTorch's softsign */
    int flipped;                /* V_DATA: its time axis runs from the last step to the
                                 * first (torch.flip: a Slice with step -1): a recurrent
                                 * layer reading it runs the other way */
    int flip_sym;               /* V_DATA, flipped before time is known: the graph input's
                                 * axis flipped, which must turn out to be time */
} Value;

/* Name -> pointer, open addressing (graphs have at most a few thousand). */
typedef struct Map {
    size_t cap, n;
    const char **keys;
    void **vals;
} Map;

/* The importer's state while it walks one graph. */
typedef struct Importer {
    Arena *a;
    const OnnxGraph *g;
    Map values;
    int time_sym, batch_sym;    /* which input axis is time, batch; -1 not yet known */
    ImportModel *m;
    int cap_layers;
    int nlstm, ndense;
    int version;                /* bumped by every layer made or folded into */
    const OnnxNode *node;       /* being evaluated, for messages */
    const char *output;         /* the graph output imported */
    long float_budget;          /* float constants the walk may still make (Transpose,
                                 * Slice, Concat of constants): four times the
                                 * initializers' values, and a million */
} Importer;

/* One ONNX operator and what evaluates a node of it: returns 0, or -1
 * after reporting. */
typedef struct ImpOp {
    const char *name;
    int (*run)(Importer *im);
} ImpOp;

/* The ops of import_shape.c and of import_layers.c, each list ended by
 * {NULL, NULL}. */
extern const ImpOp imp_shape_ops[];

/* import_layers.c: a Gather of a float table [vocab, dim] by the graph
 * input's token ids: the model's embedding. Returns 0, or -1 after
 * reporting. */
int imp_embedding(Importer *im, const Value *ids);
extern const ImpOp imp_layer_ops[];

/* ---- messages ---- */

/* "MODEL.onnx: error: node 'NAME' (op OP): message"; returns -1. */
int imp_fail(Importer *im, const char *fmt, ...) PRINTF_LIKE(2, 3);
/* Why an initial state that is not a constant cannot be imported. */
#define IMP_STATE_ONLY_CONSTANT "lstmc import reads an initial state from a constant (an " \
                                "initializer), which the spec keeps as the layer's initial_state, " \
                                "or from a graph input, given at run time (--state-in)"
/* How an axis reads in a message: "the time axis", "a size-1 axis". */
const char *imp_axis_desc(const Importer *im, Axis ax);

/* ---- values ---- */

/* A new value of the kind, zeroed. */
Value *imp_new_value(Importer *im, ValueKind kind);
/* Binds name (none when empty) to a copy of v. */
void imp_define(Importer *im, const char *name, Value *v);
/* A value that cannot be used, and why (for the message of a node that
 * uses it). */
Value *imp_bad_value(Importer *im, const char *why);
/* A constant tensor as a value: ints of rank 0 or 1 become int vectors. */
Value *imp_tensor_value(Importer *im, const OnnxTensor *t);
/* Input k of the node, NULL when absent. */
const Value *imp_input(Importer *im, int k);
/* The node's input k, which must be there. */
const Value *imp_need_input(Importer *im, int k, const char *role);
/* Known ints of an int-vector input (the node's axes, shapes, indices).
 * Returns the count, or -1 after reporting. */
int imp_known_ints(Importer *im, const Value *v, const char *role, long *out, int max);

/* ---- attributes ---- */

/* The node's axes: from attribute `axes` before opset input_since (13 for
 * Squeeze and Unsqueeze, 18 for the Reduce ops), else from input k.
 * Returns the count (0 when absent), or -1 after reporting. */
int imp_node_axes(Importer *im, int k, long input_since, long *axes);

/* Checks that every attribute of the node is one of the allowed names
 * (a NULL-terminated list). */
int imp_check_attrs(Importer *im, const char *const *allowed);
/* Attribute name of the node, an int, or dflt when absent. */
long imp_attr_int(Importer *im, const char *name, long dflt);
/* An axis attribute or input value in [-rank, rank) made non-negative;
 * -1 after reporting. */
int imp_norm_axis(Importer *im, long axis, int rank);

/* ---- data values ---- */

/* "the graph input" (depth 0), else "node 'NAME'" of the layer that made
 * data of that depth. */
const char *imp_layer_desc(Importer *im, int depth);
/* Whether an axis of a data value is the time axis. */
int imp_is_time(const Importer *im, Axis ax);
/* A size-1 axis that may be dropped or taken as the batch. */
int imp_is_unit(const Importer *im, Axis ax);

#endif
