/*
 * onnx.c - reads an ONNX model file into the checked graph view of onnx.h.
 *
 * protobuf-c does the wire format (schema: compiler/onnx.proto, compiled
 * into the build folder); this file turns its message into plain structs in
 * an Arena: strings copied, tensor data decoded from raw_data (little-endian)
 * or the typed fields, every element count checked against the dims.
 */
#include "onnx.h"
#include "onnx.pb-c.h"
#include "onnx_wire.h"
#include "filekind.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

typedef LstmcOnnx__TensorProto TensorProto;
typedef LstmcOnnx__AttributeProto AttributeProto;
typedef LstmcOnnx__NodeProto NodeProto;
typedef LstmcOnnx__ValueInfoProto ValueInfoProto;

/* protobuf-c allocates through lstmc's allocator, so running out of memory
 * is reported like everywhere else (and the failing-allocation tests reach
 * the parser too). */
static void *pb_alloc(void *data, size_t size)
{
    (void)data;
    return mem_alloc(size ? size : 1);
}

static void pb_free(void *data, void *p)
{
    (void)data;
    mem_free(p);
}

static ProtobufCAllocator pb_allocator = {pb_alloc, pb_free, NULL};

typedef struct Reader {
    Arena *a;
    const char *path;
    int ok;
} Reader;

const char *onnx_dtype_name(int dtype)
{
    static const char *const names[] = {
        "UNDEFINED", "FLOAT", "UINT8", "INT8", "UINT16", "INT16", "INT32", "INT64", "STRING",
        "BOOL", "FLOAT16", "DOUBLE", "UINT32", "UINT64", "COMPLEX64", "COMPLEX128", "BFLOAT16",
    };
    return dtype >= 0 && (size_t)dtype < COUNT_OF(names) ? names[dtype] : "an unknown type";
}

static const char *str(Reader *r, const char *s)
{
    return arena_strdup(r->a, s ? s : "");
}

/* IEEE half precision bits to double (exact). */
static double half_to_double(unsigned h)
{
    int sign = h >> 15, exp = (h >> 10) & 0x1f;
    unsigned frac = h & 0x3ff;
    double v;
    if (exp == 0)
        v = ldexp((double)frac, -24);
    else if (exp == 31)
        v = frac ? NAN : INFINITY;
    else
        v = ldexp((double)(frac | 0x400), exp - 25);
    return sign ? -v : v;
}

static uint64_t le_bytes(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int k = n - 1; k >= 0; k--)
        v = v << 8 | p[k];
    return v;
}

/* Decodes raw_data: count elements of dtype, little-endian. */
static void decode_raw(OnnxTensor *t, const uint8_t *p)
{
    for (long k = 0; k < t->count; k++) {
        switch (t->dtype) {
        case ONNX_FLOAT: {
            uint32_t bits = (uint32_t)le_bytes(p + 4 * k, 4);
            float v;
            memcpy(&v, &bits, sizeof v);
            t->f[k] = v;
            break;
        }
        case ONNX_DOUBLE: {
            uint64_t bits = le_bytes(p + 8 * k, 8);
            memcpy(&t->f[k], &bits, sizeof(double));
            break;
        }
        case ONNX_FLOAT16: t->f[k] = half_to_double((unsigned)le_bytes(p + 2 * k, 2)); break;
        case ONNX_INT32: t->i[k] = (long)(int32_t)(uint32_t)le_bytes(p + 4 * k, 4); break;
        case ONNX_INT64: t->i[k] = (long)(int64_t)le_bytes(p + 8 * k, 8); break;
        }
    }
}

static int dtype_size(int dtype)
{
    switch (dtype) {
    case ONNX_FLOAT: case ONNX_INT32: return 4;
    case ONNX_DOUBLE: case ONNX_INT64: return 8;
    case ONNX_FLOAT16: return 2;
    default: return 0;
    }
}

/* Copies a TensorProto; what names it in messages (e.g. "initializer 'W'"). */
static OnnxTensor *read_tensor(Reader *r, const TensorProto *tp, const char *what)
{
    OnnxTensor *t = arena_alloc(r->a, sizeof *t);
    t->name = str(r, tp->name);
    t->dtype = tp->has_data_type ? tp->data_type : 0;
    if (tp->has_data_location && tp->data_location == 1) {
        diag_file_error(r->path, "%s keeps its data in an external file (data_location "
                        "EXTERNAL), which lstmc import does not read; save the model with its "
                        "tensors inside the .onnx file", what);
        return NULL;
    }
    int size = dtype_size(t->dtype);
    if (!size) {
        diag_file_error(r->path, "%s has data type %s; lstmc import reads FLOAT, DOUBLE, "
                        "FLOAT16, INT32 and INT64 tensors", what, onnx_dtype_name(t->dtype));
        return NULL;
    }
    if (tp->n_dims > ONNX_MAX_DIMS) {
        diag_file_error(r->path, "%s has %zu dimensions; at most %d are supported", what,
                        tp->n_dims, ONNX_MAX_DIMS);
        return NULL;
    }
    t->ndim = (int)tp->n_dims;
    t->count = 1;
    for (int d = 0; d < t->ndim; d++) {
        if (tp->dims[d] < 0 || tp->dims[d] > ONNX_MAX_ELEMS) {
            diag_file_error(r->path, "%s has an invalid dimension %lld", what,
                            (long long)tp->dims[d]);
            return NULL;
        }
        t->dims[d] = (long)tp->dims[d];
        if (size_mul(t->count, t->dims[d], ONNX_MAX_ELEMS, &t->count) < 0) {
            diag_file_error(r->path, "%s has shape %s, more than %ld elements", what,
                            dims_text(r->a, d + 1, t->dims), ONNX_MAX_ELEMS);
            return NULL;
        }
    }

    /* The data is in raw_data or in the typed field of its type; all of it
     * must be there before anything is allocated for it, so that a few
     * bytes declaring 2^30 elements cost nothing. */
    size_t found;
    const char *field;
    if (tp->has_raw_data) {
        if (tp->raw_data.len != (size_t)t->count * (size_t)size) {
            diag_file_error(r->path, "%s has %zu bytes of raw_data, expected %ld for its shape "
                            "and type %s", what, tp->raw_data.len, t->count * size,
                            onnx_dtype_name(t->dtype));
            return NULL;
        }
        found = (size_t)t->count, field = "raw_data";
    } else if (t->dtype == ONNX_FLOAT) {
        found = tp->n_float_data, field = "float_data values";
    } else if (t->dtype == ONNX_DOUBLE) {
        found = tp->n_double_data, field = "double_data values";
    } else if (t->dtype == ONNX_FLOAT16 || t->dtype == ONNX_INT32) {
        found = tp->n_int32_data, field = "int32_data values";
    } else {
        found = tp->n_int64_data, field = "int64_data values";
    }
    if (found != (size_t)t->count) {
        diag_file_error(r->path, "%s has %zu %s, expected %ld for its shape", what, found, field,
                        t->count);
        return NULL;
    }

    int is_float = t->dtype == ONNX_FLOAT || t->dtype == ONNX_DOUBLE || t->dtype == ONNX_FLOAT16;
    size_t n = (size_t)(t->count ? t->count : 1);
    if (is_float)
        t->f = arena_alloc(r->a, n * sizeof *t->f);
    else
        t->i = arena_alloc(r->a, n * sizeof *t->i);
    if (tp->has_raw_data)
        decode_raw(t, tp->raw_data.data);
    else if (t->dtype == ONNX_FLOAT)
        for (size_t k = 0; k < found; k++)
            t->f[k] = tp->float_data[k];
    else if (t->dtype == ONNX_DOUBLE)
        for (size_t k = 0; k < found; k++)
            t->f[k] = tp->double_data[k];
    else if (t->dtype == ONNX_FLOAT16)
        for (size_t k = 0; k < found; k++)
            t->f[k] = half_to_double((unsigned)tp->int32_data[k] & 0xffff);
    else if (t->dtype == ONNX_INT32)
        for (size_t k = 0; k < found; k++)
            t->i[k] = tp->int32_data[k];
    else
        for (size_t k = 0; k < found; k++)
            t->i[k] = (long)tp->int64_data[k];
    return t;
}

static int infer_attr_type(const AttributeProto *ap)
{
    if (ap->has_type)
        return ap->type;
    if (ap->has_f) return ONNX_ATTR_FLOAT;
    if (ap->has_i) return ONNX_ATTR_INT;
    if (ap->has_s) return ONNX_ATTR_STRING;
    if (ap->t) return ONNX_ATTR_TENSOR;
    if (ap->n_floats) return ONNX_ATTR_FLOATS;
    if (ap->n_ints) return ONNX_ATTR_INTS;
    if (ap->n_strings) return ONNX_ATTR_STRINGS;
    return 0;
}

static const char *bytes_str(Reader *r, ProtobufCBinaryData b)
{
    return arena_strndup(r->a, (const char *)b.data, b.len);
}

static int read_attr(Reader *r, const AttributeProto *ap, OnnxAttr *at, const OnnxNode *n)
{
    at->name = str(r, ap->name);
    at->type = infer_attr_type(ap);
    at->f = ap->f;
    at->i = (long)ap->i;
    at->s = ap->has_s ? bytes_str(r, ap->s) : "";
    if (at->type == ONNX_ATTR_FLOATS) {
        at->n = (int)ap->n_floats;
        at->floats = arena_alloc(r->a, (ap->n_floats + 1) * sizeof *at->floats);
        for (size_t k = 0; k < ap->n_floats; k++)
            at->floats[k] = ap->floats[k];
    } else if (at->type == ONNX_ATTR_INTS) {
        at->n = (int)ap->n_ints;
        at->ints = arena_alloc(r->a, (ap->n_ints + 1) * sizeof *at->ints);
        for (size_t k = 0; k < ap->n_ints; k++)
            at->ints[k] = (long)ap->ints[k];
    } else if (at->type == ONNX_ATTR_STRINGS) {
        at->n = (int)ap->n_strings;
        at->strings = arena_alloc(r->a, (ap->n_strings + 1) * sizeof *at->strings);
        for (size_t k = 0; k < ap->n_strings; k++)
            at->strings[k] = bytes_str(r, ap->strings[k]);
    } else if (at->type == ONNX_ATTR_TENSOR && ap->t) {
        const char *what = arena_printf(r->a, "node '%s' (op %s): attribute '%s'", n->name,
                                        n->op, at->name);
        if (!(at->t = read_tensor(r, ap->t, what)))
            return -1;
    }
    return 0;
}

/* A graph input's or output's name and shape; sizes past ONNX_MAX_ELEMS
 * are refused here so that no later product of them can overflow. Returns
 * 0, or -1 after reporting. */
static int read_value_info(Reader *r, const ValueInfoProto *vp, OnnxValueInfo *v,
                           const char *what)
{
    v->name = str(r, vp->name);
    v->ndim = -1;
    const LstmcOnnx__TypeProto__Tensor *tt = vp->type ? vp->type->tensor_type : NULL;
    if (!tt)
        return 0;
    v->elem_type = tt->has_elem_type ? tt->elem_type : 0;
    if (!tt->shape)
        return 0;
    v->ndim = tt->shape->n_dim > ONNX_MAX_DIMS ? ONNX_MAX_DIMS : (int)tt->shape->n_dim;
    for (int d = 0; d < v->ndim; d++) {
        const LstmcOnnx__TensorShapeProto__Dimension *dim = tt->shape->dim[d];
        if (dim->has_dim_value && dim->dim_value > ONNX_MAX_ELEMS) {
            diag_file_error(r->path, "%s '%s' has axis %d of size %lld, more than lstmc "
                            "supports (%ld)", what, v->name, d, (long long)dim->dim_value,
                            ONNX_MAX_ELEMS);
            return -1;
        }
        v->dims[d] = dim->has_dim_value && dim->dim_value > 0 ? (long)dim->dim_value : -1;
    }
    return 0;
}

static int read_node(Reader *r, const NodeProto *np, OnnxNode *n, int index)
{
    n->name = str(r, np->name);
    n->label = n->name[0] ? arena_printf(r->a, "'%s'", n->name) : arena_printf(r->a, "#%d", index);
    n->op = str(r, np->op_type);
    n->domain = str(r, np->domain);
    if (strcmp(n->domain, "ai.onnx") == 0)
        n->domain = "";
    n->ninputs = (int)np->n_input;
    n->noutputs = (int)np->n_output;
    n->inputs = arena_alloc(r->a, (np->n_input + 1) * sizeof *n->inputs);
    n->outputs = arena_alloc(r->a, (np->n_output + 1) * sizeof *n->outputs);
    for (size_t k = 0; k < np->n_input; k++)
        n->inputs[k] = str(r, np->input[k]);
    for (size_t k = 0; k < np->n_output; k++)
        n->outputs[k] = str(r, np->output[k]);
    n->nattrs = (int)np->n_attribute;
    n->attrs = arena_alloc(r->a, (np->n_attribute + 1) * sizeof *n->attrs);
    for (size_t k = 0; k < np->n_attribute; k++)
        if (read_attr(r, np->attribute[k], &n->attrs[k], n) < 0)
            return -1;
    return 0;
}

static OnnxGraph *read_model(Reader *r, const LstmcOnnx__ModelProto *mp)
{
    const LstmcOnnx__GraphProto *gp = mp->graph;
    if (!gp || !mp->has_ir_version) {
        diag_file_error(r->path, "not an ONNX model: %s", !gp ? "it has no graph"
                                                                : "it has no IR version");
        return NULL;
    }
    OnnxGraph *g = arena_alloc(r->a, sizeof *g);
    g->path = r->path;
    g->name = str(r, gp->name);
    g->ir_version = (long)mp->ir_version;
    g->producer = mp->producer_name && mp->producer_name[0]
                      ? arena_printf(r->a, "%s%s%s", mp->producer_name,
                                     mp->producer_version && mp->producer_version[0] ? " " : "",
                                     mp->producer_version ? mp->producer_version : "")
                      : "";
    g->opset = -1;
    for (size_t k = 0; k < mp->n_opset_import; k++) {
        const char *d = mp->opset_import[k]->domain;
        if (!d || !d[0] || strcmp(d, "ai.onnx") == 0)
            g->opset = (long)mp->opset_import[k]->version;
    }
    if (g->opset < 0) {
        diag_file_error(r->path, "the model imports no version of the default ONNX operator "
                        "set (opset_import has no entry for domain \"\")");
        return NULL;
    }
    if (gp->n_sparse_initializer) {
        diag_file_error(r->path, "the graph has sparse initializers, which lstmc import does "
                        "not support");
        return NULL;
    }
    g->ninits = (int)gp->n_initializer;
    g->inits = arena_alloc(r->a, (gp->n_initializer + 1) * sizeof *g->inits);
    for (size_t k = 0; k < gp->n_initializer; k++) {
        const char *name = gp->initializer[k]->name ? gp->initializer[k]->name : "";
        OnnxTensor *t = read_tensor(r, gp->initializer[k],
                                    arena_printf(r->a, "initializer '%s'", name));
        if (!t)
            return NULL;
        g->inits[k] = *t;
    }
    g->nnodes = (int)gp->n_node;
    g->nodes = arena_alloc(r->a, (gp->n_node + 1) * sizeof *g->nodes);
    for (size_t k = 0; k < gp->n_node; k++)
        if (read_node(r, gp->node[k], &g->nodes[k], (int)k) < 0)
            return NULL;
    g->ninputs = (int)gp->n_input;
    g->noutputs = (int)gp->n_output;
    g->inputs = arena_alloc(r->a, (gp->n_input + 1) * sizeof *g->inputs);
    g->outputs = arena_alloc(r->a, (gp->n_output + 1) * sizeof *g->outputs);
    for (size_t k = 0; k < gp->n_input; k++)
        if (read_value_info(r, gp->input[k], &g->inputs[k], "graph input") < 0)
            return NULL;
    for (size_t k = 0; k < gp->n_output; k++)
        if (read_value_info(r, gp->output[k], &g->outputs[k], "graph output") < 0)
            return NULL;
    return g;
}

/* Reports a file that is not a protobuf ModelProto: in another format
 * lstmc knows (a spec, safetensors, PyTorch) by its name, else as invalid. */
static void not_onnx(const char *path, const unsigned char *bytes, size_t len)
{
    FileKind k = fk_guess(bytes, len);
    if (k == FK_UNKNOWN || k == FK_ONNX)
        diag_file_error(path, "not an ONNX model, or a truncated one: its protobuf encoding "
                        "is invalid");
    else if (k == FK_TEXT)
        diag_file_error(path, "not an ONNX model: it is a text file (lstmc import reads ONNX's "
                        "binary protobuf format)");
    else
        diag_file_error(path, "not an ONNX model: it is %s%s%s", fk_name(k),
                        fk_onnx_hint(k)[0] ? "; " : "", fk_onnx_hint(k));
}

OnnxGraph *onnx_parse(Arena *a, const char *path, const unsigned char *bytes, size_t len)
{
    /* Priced before protobuf-c allocates anything (onnx_wire.h). */
    OnnxWireCost cost;
    if (onnx_wire_cost(bytes, len, &cost) < 0) {
        not_onnx(path, bytes, len);
        return NULL;
    }
    size_t budget = ONNX_MEMORY_BASE + (len > (SIZE_MAX - ONNX_MEMORY_BASE) / ONNX_MEMORY_RATIO
                                        ? SIZE_MAX - ONNX_MEMORY_BASE : ONNX_MEMORY_RATIO * len);
    if (cost.bytes > budget) {
        diag_file_error(path, "the model holds %ld protobuf records (nodes, attributes, names, "
                        "fields) in %zu bytes; reading them would take about %zu MB, more than "
                        "lstmc allows for a file of this size (%zu MB)", cost.records, len,
                        cost.bytes >> 20, budget >> 20);
        return NULL;
    }
    LstmcOnnx__ModelProto *mp = lstmc_onnx__model_proto__unpack(&pb_allocator, len, bytes);
    if (!mp) {
        not_onnx(path, bytes, len);
        return NULL;
    }
    Reader r = {a, path, 1};
    OnnxGraph *g = read_model(&r, mp);
    lstmc_onnx__model_proto__free_unpacked(mp, &pb_allocator);
    return g;
}

OnnxGraph *onnx_load(Arena *a, const char *path)
{
    size_t len;
    const unsigned char *bytes = file_map(a, path, ONNX_MAX_BYTES, "an ONNX model", &len);
    if (!bytes)
        return NULL;
    if (len == 0) {
        diag_file_error(path, "not an ONNX model: the file is empty");
        return NULL;
    }
    return onnx_parse(a, path, bytes, len);
}

/* A protobuf length-delimited field's key and length (at most 10 + 1
 * bytes), written at p; returns the bytes written. */
static size_t wire_len_field(unsigned char *p, unsigned field, size_t len)
{
    size_t k = 0;
    p[k++] = (unsigned char)(field << 3 | 2);
    do {
        p[k++] = (unsigned char)((len & 0x7f) | (len >= 0x80 ? 0x80 : 0));
        len >>= 7;
    } while (len);
    return k;
}

OnnxTensor *onnx_load_tensor(Arena *a, const char *path)
{
    size_t len;
    const unsigned char *bytes = file_map(a, path, ONNX_MAX_BYTES, "an ONNX tensor", &len);
    if (!bytes)
        return NULL;
    /* The tensor is wrapped as the one initializer of a model's graph
     * (ModelProto.graph = 7, GraphProto.initializer = 5), so the model's
     * pricing and reader check it exactly as they do an initializer. */
    unsigned char head[32];
    unsigned char inner[16];
    size_t ni = wire_len_field(inner, 5, len);
    size_t nh = wire_len_field(head, 7, ni + len);
    memcpy(head + nh, inner, ni);
    size_t total = nh + ni + len;
    unsigned char *model = arena_alloc(a, total);
    memcpy(model, head, nh + ni);
    memcpy(model + nh + ni, bytes, len);
    OnnxWireCost cost;
    LstmcOnnx__ModelProto *mp = NULL;
    if (onnx_wire_cost(model, total, &cost) < 0 || cost.bytes > ONNX_MEMORY_BASE + ONNX_MEMORY_RATIO * len ||
        !(mp = lstmc_onnx__model_proto__unpack(&pb_allocator, total, model)) || !mp->graph ||
        mp->graph->n_initializer != 1) {
        if (mp)
            lstmc_onnx__model_proto__free_unpacked(mp, &pb_allocator);
        diag_file_error(path, "not an ONNX TensorProto, or a truncated one: its protobuf encoding "
                        "is invalid");
        return NULL;
    }
    Reader r = {a, path, 1};
    OnnxTensor *t = read_tensor(&r, mp->graph->initializer[0], "the tensor");
    lstmc_onnx__model_proto__free_unpacked(mp, &pb_allocator);
    return t;
}

const OnnxAttr *onnx_attr(const OnnxNode *n, const char *name)
{
    for (int k = 0; k < n->nattrs; k++)
        if (strcmp(n->attrs[k].name, name) == 0)
            return &n->attrs[k];
    return NULL;
}

const OnnxTensor *onnx_initializer(const OnnxGraph *g, const char *name)
{
    for (int k = 0; k < g->ninits; k++)
        if (strcmp(g->inits[k].name, name) == 0)
            return &g->inits[k];
    return NULL;
}
