/*
 * onnx.h - an ONNX model file read into a small, checked view of its graph
 * for `lstmc import`: nodes in order, their attributes, constant tensors
 * (initializers) decoded to numbers, and the graph's inputs and outputs.
 *
 * onnx.c parses the protobuf with protobuf-c (schema: compiler/onnx.proto),
 * checks what every later stage relies on (a graph, an operator set, tensor
 * data that matches its shape, no external data) and copies everything into
 * an Arena, so the protobuf message is freed before import.c looks at it.
 * Errors are reported as "MODEL.onnx: error: ...".
 */
#ifndef LSTMC_ONNX_H
#define LSTMC_ONNX_H

#include "util.h"

/* ONNX TensorProto.DataType values lstmc reads. */
enum {
    ONNX_FLOAT = 1, ONNX_INT32 = 6, ONNX_INT64 = 7, ONNX_FLOAT16 = 10, ONNX_DOUBLE = 11,
};

enum { ONNX_MAX_DIMS = 8 };
/* Limits on what a model file may declare (README "Limits"): elements of
 * one tensor (and any one dimension), and the file's size (protobuf's own
 * limit). Reading may take at most ONNX_MEMORY_BASE + ONNX_MEMORY_RATIO
 * times the file's size in memory, priced before anything is unpacked
 * (onnx_wire.h). */
#define ONNX_MAX_ELEMS    (1L << 30)
#define ONNX_MAX_BYTES    ((size_t)2 << 30)
#define ONNX_MEMORY_BASE  ((size_t)16 << 20)
#define ONNX_MEMORY_RATIO 4

/* A constant tensor. Floating-point data (FLOAT, DOUBLE, FLOAT16) is held in
 * f as double, integer data (INT32, INT64) in i; the other is NULL. */
typedef struct OnnxTensor {
    const char *name;
    int dtype;                  /* ONNX data type */
    int ndim;
    long dims[ONNX_MAX_DIMS];
    long count;                 /* product of dims; 1 for a scalar */
    double *f;
    long *i;
} OnnxTensor;

/* ONNX AttributeProto.AttributeType values lstmc reads. */
enum {
    ONNX_ATTR_FLOAT = 1, ONNX_ATTR_INT = 2, ONNX_ATTR_STRING = 3, ONNX_ATTR_TENSOR = 4,
    ONNX_ATTR_FLOATS = 6, ONNX_ATTR_INTS = 7, ONNX_ATTR_STRINGS = 8,
};

typedef struct OnnxAttr {
    const char *name;
    int type;                   /* ONNX_ATTR_*, or another AttributeType */
    double f;
    long i;
    const char *s;              /* NUL-terminated */
    int n;                      /* elements of floats, ints or strings */
    double *floats;
    long *ints;
    const char **strings;
    OnnxTensor *t;
} OnnxAttr;

typedef struct OnnxNode {
    const char *name;           /* the node's name, or "" if it has none */
    const char *label;          /* for messages: "'NAME'", or "#k" (its position) if unnamed */
    const char *op;             /* op_type */
    const char *domain;         /* "" for the default operator set */
    int ninputs, noutputs;
    const char **inputs;        /* "" for an absent optional input */
    const char **outputs;
    int nattrs;
    OnnxAttr *attrs;
} OnnxNode;

/* A graph input or output: a name and, for tensors, element type and shape
 * (dims[k] = -1 for a symbolic or unknown size; ndim = -1 when the shape is
 * not given at all). */
typedef struct OnnxValueInfo {
    const char *name;
    int elem_type;              /* 0 when not a tensor or not given */
    int ndim;
    long dims[ONNX_MAX_DIMS];
} OnnxValueInfo;

typedef struct OnnxGraph {
    const char *path;
    const char *name;           /* the graph's name ("" if none) */
    const char *producer;       /* "pytorch 1.13.0", or "" */
    long ir_version;
    long opset;                 /* version of the default ("" / "ai.onnx") domain */
    int nnodes;
    OnnxNode *nodes;
    int ninits;
    OnnxTensor *inits;
    int ninputs, noutputs;      /* inputs include initializers for old exporters */
    OnnxValueInfo *inputs, *outputs;
} OnnxGraph;

/* Reads and checks the model file at path (mapped, not copied). Returns
 * NULL after reporting. */
OnnxGraph *onnx_load(Arena *a, const char *path);
/* Reads a file holding one TensorProto (ONNX's test data, input_0.pb),
 * checked and priced as an initializer of a model. NULL after reporting. */
OnnxTensor *onnx_load_tensor(Arena *a, const char *path);
/* The same over bytes already in memory (tests). */
OnnxGraph *onnx_parse(Arena *a, const char *path, const unsigned char *bytes, size_t len);

/* The attribute called name, or NULL. */
const OnnxAttr *onnx_attr(const OnnxNode *n, const char *name);
/* The initializer called name, or NULL. */
const OnnxTensor *onnx_initializer(const OnnxGraph *g, const char *name);
/* "FLOAT", "INT64", ...: a data type's name for messages. */
const char *onnx_dtype_name(int dtype);

#endif
