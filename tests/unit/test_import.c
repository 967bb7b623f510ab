/*
 * test_import.c - the ONNX graph loader (onnx.c) and the matcher that turns
 * a graph into lstmc layers (import.c).
 *
 * Models are built here with protobuf-c's generated structs, packed to bytes
 * and read back through onnx_parse(), so each test states its graph node by
 * node: tensor data in every encoding, the malformed-file errors, and the
 * matcher on LSTM attributes, glue ops, heads and what it must refuse.
 */
#include "testutil.h"

#include <math.h>

#include "import/import.h"
#include "import/onnx.h"
#include "import/onnx_wire.h"
#include "onnx.pb-c.h"

/* ---- building models ---- */

/* Everything a test allocates for its model, freed by pool_free(). */
static void *pool[4096];
static int npool;

static void *talloc(size_t n)
{
    assert_true(npool < (int)COUNT_OF(pool));
    void *p = calloc(1, n ? n : 1);
    assert_non_null(p);
    return pool[npool++] = p;
}

static void pool_free(void)
{
    while (npool)
        free(pool[--npool]);
}

static char *tstr(const char *s)
{
    return strcpy(talloc(strlen(s) + 1), s);
}

typedef LstmcOnnx__TensorProto Tensor;
typedef LstmcOnnx__AttributeProto Attr;
typedef LstmcOnnx__NodeProto Node;

/* A FLOAT tensor with its data in raw_data (little-endian, as on x86). */
static Tensor *ftensor(const char *name, int ndim, const int64_t *dims, const float *data)
{
    Tensor *t = talloc(sizeof *t);
    lstmc_onnx__tensor_proto__init(t);
    t->name = tstr(name);
    t->has_data_type = 1;
    t->data_type = ONNX_FLOAT;
    t->n_dims = (size_t)ndim;
    t->dims = talloc(sizeof(int64_t) * (size_t)(ndim + 1));
    size_t count = 1;
    for (int d = 0; d < ndim; d++)
        count *= (size_t)(t->dims[d] = dims[d]);
    t->has_raw_data = 1;
    t->raw_data.len = count * 4;
    t->raw_data.data = talloc(count * 4);
    memcpy(t->raw_data.data, data, count * 4);
    return t;
}

static Tensor *itensor(const char *name, int n, const int64_t *values)
{
    Tensor *t = talloc(sizeof *t);
    lstmc_onnx__tensor_proto__init(t);
    t->name = tstr(name);
    t->has_data_type = 1;
    t->data_type = ONNX_INT64;
    t->n_dims = 1;
    t->dims = talloc(sizeof(int64_t));
    t->dims[0] = n;
    t->n_int64_data = (size_t)n;
    t->int64_data = talloc(sizeof(int64_t) * (size_t)(n + 1));
    memcpy(t->int64_data, values, sizeof(int64_t) * (size_t)n);
    return t;
}

static Attr *attr_int(const char *name, int64_t v)
{
    Attr *a = talloc(sizeof *a);
    lstmc_onnx__attribute_proto__init(a);
    a->name = tstr(name);
    a->has_type = 1, a->type = ONNX_ATTR_INT;
    a->has_i = 1, a->i = v;
    return a;
}

static Attr *attr_str(const char *name, const char *s)
{
    Attr *a = talloc(sizeof *a);
    lstmc_onnx__attribute_proto__init(a);
    a->name = tstr(name);
    a->has_type = 1, a->type = ONNX_ATTR_STRING;
    a->has_s = 1;
    a->s.data = (uint8_t *)tstr(s);
    a->s.len = strlen(s);
    return a;
}

static Attr *attr_float(const char *name, float v)
{
    Attr *a = talloc(sizeof *a);
    lstmc_onnx__attribute_proto__init(a);
    a->name = tstr(name);
    a->has_type = 1, a->type = ONNX_ATTR_FLOAT;
    a->has_f = 1, a->f = v;
    return a;
}

static Attr *attr_floats(const char *name, int n, const float *v)
{
    Attr *a = talloc(sizeof *a);
    lstmc_onnx__attribute_proto__init(a);
    a->name = tstr(name);
    a->has_type = 1, a->type = ONNX_ATTR_FLOATS;
    a->n_floats = (size_t)n;
    a->floats = talloc(sizeof(float) * (size_t)n);
    memcpy(a->floats, v, sizeof(float) * (size_t)n);
    return a;
}

static Attr *attr_strings(const char *name, int n, const char *const *v)
{
    Attr *a = talloc(sizeof *a);
    lstmc_onnx__attribute_proto__init(a);
    a->name = tstr(name);
    a->has_type = 1, a->type = ONNX_ATTR_STRINGS;
    a->n_strings = (size_t)n;
    a->strings = talloc(sizeof *a->strings * (size_t)n);
    for (int k = 0; k < n; k++) {
        a->strings[k].data = (uint8_t *)tstr(v[k]);
        a->strings[k].len = strlen(v[k]);
    }
    return a;
}

static Attr *attr_tensor(const char *name, Tensor *t)
{
    Attr *a = talloc(sizeof *a);
    lstmc_onnx__attribute_proto__init(a);
    a->name = tstr(name);
    a->has_type = 1, a->type = ONNX_ATTR_TENSOR;
    a->t = t;
    return a;
}

/* A node; inputs and outputs are space-separated names ("-" for an absent
 * optional input); attrs is NULL-terminated. */
static Node *node(const char *op, const char *name, const char *ins, const char *outs,
                  Attr *const *attrs)
{
    Node *n = talloc(sizeof *n);
    lstmc_onnx__node_proto__init(n);
    n->op_type = tstr(op);
    n->name = tstr(name);
    for (int pass = 0; pass < 2; pass++) {
        char *list = tstr(pass ? outs : ins);
        size_t count = 0;
        char **names = talloc(sizeof *names * 16);
        for (char *w = strtok(list, " "); w; w = strtok(NULL, " "))
            names[count++] = strcmp(w, "-") == 0 ? tstr("") : w;
        if (pass)
            n->n_output = count, n->output = names;
        else
            n->n_input = count, n->input = names;
    }
    while (attrs && attrs[n->n_attribute])
        n->n_attribute++;
    n->attribute = talloc(sizeof *n->attribute * (n->n_attribute + 1));
    for (size_t k = 0; k < n->n_attribute; k++)
        n->attribute[k] = attrs[k];
    return n;
}

typedef struct Model {
    Node *nodes[32];
    int nnodes;
    Tensor *inits[32];
    int ninits;
    int64_t x_dims[3];          /* -1: symbolic */
    int x_rank;
    long opset;
} Model;

static LstmcOnnx__ValueInfoProto *value_info(const char *name, int rank, const int64_t *dims)
{
    LstmcOnnx__ValueInfoProto *v = talloc(sizeof *v);
    lstmc_onnx__value_info_proto__init(v);
    v->name = tstr(name);
    v->type = talloc(sizeof *v->type);
    lstmc_onnx__type_proto__init(v->type);
    v->type->tensor_type = talloc(sizeof *v->type->tensor_type);
    lstmc_onnx__type_proto__tensor__init(v->type->tensor_type);
    v->type->tensor_type->has_elem_type = 1;
    v->type->tensor_type->elem_type = ONNX_FLOAT;
    if (rank < 0)
        return v;
    LstmcOnnx__TensorShapeProto *s = talloc(sizeof *s);
    lstmc_onnx__tensor_shape_proto__init(s);
    s->n_dim = (size_t)rank;
    s->dim = talloc(sizeof *s->dim * (size_t)(rank + 1));
    for (int d = 0; d < rank; d++) {
        s->dim[d] = talloc(sizeof *s->dim[d]);
        lstmc_onnx__tensor_shape_proto__dimension__init(s->dim[d]);
        if (dims[d] >= 0)
            s->dim[d]->has_dim_value = 1, s->dim[d]->dim_value = dims[d];
        else
            s->dim[d]->dim_param = tstr("time");
    }
    v->type->tensor_type->shape = s;
    return v;
}

/* Packs the model (input "x", output "y") and reads it back. */
static OnnxGraph *load(Arena *a, const Model *m)
{
    LstmcOnnx__GraphProto g;
    lstmc_onnx__graph_proto__init(&g);
    g.name = tstr("test_graph");
    g.n_node = (size_t)m->nnodes;
    g.node = (Node **)m->nodes;
    g.n_initializer = (size_t)m->ninits;
    g.initializer = (Tensor **)m->inits;
    LstmcOnnx__ValueInfoProto *in = value_info("x", m->x_rank, m->x_dims), *out = value_info("y", -1, NULL);
    g.n_input = 1, g.input = &in;
    g.n_output = 1, g.output = &out;
    LstmcOnnx__OperatorSetIdProto opset;
    lstmc_onnx__operator_set_id_proto__init(&opset);
    opset.domain = tstr("");
    opset.has_version = 1, opset.version = m->opset ? m->opset : 14;
    LstmcOnnx__OperatorSetIdProto *opsets = &opset;
    LstmcOnnx__ModelProto mp;
    lstmc_onnx__model_proto__init(&mp);
    mp.has_ir_version = 1, mp.ir_version = 7;
    mp.graph = &g;
    mp.n_opset_import = 1, mp.opset_import = &opsets;
    size_t len = lstmc_onnx__model_proto__get_packed_size(&mp);
    uint8_t *bytes = talloc(len);
    lstmc_onnx__model_proto__pack(&mp, bytes);
    return onnx_parse(a, "t.onnx", bytes, len);
}

static float *ramp(int n, float scale)
{
    float *v = talloc(sizeof(float) * (size_t)n);
    for (int k = 0; k < n; k++)
        v[k] = scale * (float)((k * 7) % 13 - 6);
    return v;
}

/* x [T, 1, I] -> LSTM (D directions, H cells) -> W, R, B initializers;
 * states: the LSTM's initial_h and initial_c inputs ("- c0"), or NULL. */
static void add_lstm_states(Model *m, int I, int H, int D, Attr *const *attrs, const char *outs,
                            const char *states)
{
    int64_t wd[3] = {D, 4 * H, I}, rd[3] = {D, 4 * H, H}, bd[2] = {D, 8 * H};
    m->inits[m->ninits++] = ftensor("W", 3, wd, ramp(D * 4 * H * I, 0.1f));
    m->inits[m->ninits++] = ftensor("R", 3, rd, ramp(D * 4 * H * H, 0.05f));
    m->inits[m->ninits++] = ftensor("B", 2, bd, ramp(D * 8 * H, 0.01f));
    char ins[64] = "x W R B";
    if (states)
        snprintf(ins, sizeof ins, "x W R B - %s", states);
    m->nodes[m->nnodes++] = node("LSTM", "lstm", ins, outs, attrs);
}

static void add_lstm(Model *m, int I, int H, int D, Attr *const *attrs, const char *outs)
{
    add_lstm_states(m, I, H, D, attrs, outs, NULL);
}

static Model new_model(int I)
{
    Model m = {{0}, 0, {0}, 0, {-1, 1, I}, 3, 0};
    return m;
}

/* Runs the matcher; returns the model or NULL with the message in *err. */
static ImportModel *match(Arena *a, const Model *m, DiagCapture *c, const char **err)
{
    capture_begin(c);
    OnnxGraph *g = load(a, m);
    ImportOptions opt = {NULL, 0, NULL};
    ImportModel *im = g ? import_graph(a, g, &opt) : NULL;
    *err = capture_end(c);
    return im;
}

/* ---- the loader ---- */

static void test_tensor_encodings(void **state)
{
    (void)state;
    Model m = new_model(2);
    int64_t dims[1] = {3};
    float f[3] = {1.5f, -2.25f, 1e-30f};
    Tensor *raw = ftensor("raw", 1, dims, f);
    Tensor *typed = ftensor("typed", 1, dims, f);
    typed->has_raw_data = 0;
    typed->n_float_data = 3, typed->float_data = f;
    Tensor *dbl = ftensor("dbl", 1, dims, f);
    double d[3] = {0.1, -3.0, 1e300};
    dbl->has_raw_data = 0, dbl->data_type = ONNX_DOUBLE;
    dbl->n_double_data = 3, dbl->double_data = d;
    Tensor *half = ftensor("half", 1, dims, f);
    uint8_t h[6] = {0x00, 0x3c, 0x00, 0xc0, 0x01, 0x00};   /* 1, -2, 2^-24 */
    half->data_type = ONNX_FLOAT16, half->raw_data.len = 6, half->raw_data.data = h;
    int64_t iv[2] = {-1, 1L << 40};
    m.inits[m.ninits++] = raw;
    m.inits[m.ninits++] = typed;
    m.inits[m.ninits++] = dbl;
    m.inits[m.ninits++] = half;
    m.inits[m.ninits++] = itensor("ints", 2, iv);
    Arena a = {0};
    DiagCapture c;
    capture_begin(&c);
    OnnxGraph *g = load(&a, &m);
    capture_end(&c);
    assert_non_null(g);
    assert_string_equal(c.text, "");
    capture_free(&c);
    assert_int_equal(g->ninits, 5);
    for (int k = 0; k < 3; k++) {
        assert_true(onnx_initializer(g, "raw")->f[k] == f[k]);
        assert_true(onnx_initializer(g, "typed")->f[k] == f[k]);
        assert_true(onnx_initializer(g, "dbl")->f[k] == d[k]);
    }
    const OnnxTensor *ht = onnx_initializer(g, "half");
    assert_true(ht->f[0] == 1.0 && ht->f[1] == -2.0 && ht->f[2] == 0x1p-24);
    const OnnxTensor *it = onnx_initializer(g, "ints");
    assert_true(it->i[0] == -1 && it->i[1] == 1L << 40);
    assert_int_equal(g->opset, 14);
    assert_string_equal(g->name, "test_graph");
    assert_int_equal(g->inputs[0].dims[0], -1);
    assert_int_equal(g->inputs[0].dims[2], 2);
    arena_free(&a);
    pool_free();
}

static void test_malformed_files(void **state)
{
    (void)state;
    Arena a = {0};
    DiagCapture c;
    static const unsigned char garbage[] = {0x0a, 0xff, 0xff, 0xff, 0x0f, 0x01};
    capture_begin(&c);
    assert_null(onnx_parse(&a, "g.onnx", garbage, sizeof garbage));
    assert_string_equal(capture_end(&c), "g.onnx: error: not an ONNX model, or a truncated one: "
                                          "its protobuf encoding is invalid\n");
    capture_free(&c);
    /* a valid protobuf message without a graph: ir_version only */
    static const unsigned char no_graph[] = {0x08, 0x07};
    capture_begin(&c);
    assert_null(onnx_parse(&a, "n.onnx", no_graph, sizeof no_graph));
    assert_string_equal(capture_end(&c), "n.onnx: error: not an ONNX model: it has no graph\n");
    capture_free(&c);
    /* raw_data of the wrong length */
    Model m = new_model(2);
    int64_t dims[2] = {2, 2};
    float f[4] = {1, 2, 3, 4};
    Tensor *t = ftensor("w", 2, dims, f);
    t->raw_data.len = 12;
    m.inits[m.ninits++] = t;
    capture_begin(&c);
    assert_null(load(&a, &m));
    assert_string_equal(capture_end(&c), "t.onnx: error: initializer 'w' has 12 bytes of "
                        "raw_data, expected 16 for its shape and type FLOAT\n");
    capture_free(&c);
    arena_free(&a);
    pool_free();
}

/* ---- the matcher ---- */

static void test_forward_lstm_sequence(void **state)
{
    (void)state;
    Model m = new_model(3);
    add_lstm(&m, 3, 4, 1, (Attr *[]){attr_int("hidden_size", 4), NULL}, "Y Y_h Y_c");
    int64_t one[1] = {1};
    m.inits[m.ninits++] = itensor("axis1", 1, one);
    m.nodes[m.nnodes++] = node("Squeeze", "sq", "Y axis1", "y", NULL);
    Arena a = {0};
    DiagCapture c;
    const char *err;
    ImportModel *im = match(&a, &m, &c, &err);
    assert_string_equal(err, "");
    capture_free(&c);
    assert_non_null(im);
    assert_int_equal(im->nlayers, 1);
    assert_int_equal(im->input, 3);
    assert_int_equal(im->output, 4);
    assert_int_equal(im->output_form, OUT_SEQUENCE);
    const ImportLayer *L = &im->layers[0];
    assert_int_equal(L->kind, IMPORT_LSTM);
    assert_int_equal(L->hidden, 4);
    assert_int_equal(L->dirs, 1);
    assert_true(L->bias && !L->peepholes && !L->coupled && !L->reverse);
    assert_true(L->act[0].kind == ACT_SIGMOID && L->act[1].kind == ACT_TANH &&
                L->act[2].kind == ACT_TANH);
    /* the ONNX tensors pass through unchanged */
    float *w = ramp(4 * 4 * 3, 0.1f);
    for (int k = 0; k < 48; k++)
        assert_true(L->W[k] == w[k]);
    arena_free(&a);
    pool_free();
}

static void test_layout1_y_h_is_last(void **state)
{
    (void)state;
    Model m = new_model(2);
    m.x_dims[0] = 1, m.x_dims[1] = -1;   /* [batch, time, features] */
    add_lstm(&m, 2, 3, 1, (Attr *[]){attr_int("layout", 1), NULL}, "- Y_h");
    int64_t one[1] = {1};
    m.inits[m.ninits++] = itensor("axis1", 1, one);
    m.nodes[m.nnodes++] = node("Squeeze", "sq", "Y_h axis1", "y", NULL);
    Arena a = {0};
    DiagCapture c;
    const char *err;
    ImportModel *im = match(&a, &m, &c, &err);
    assert_string_equal(err, "");
    capture_free(&c);
    assert_non_null(im);
    assert_int_equal(im->output_form, OUT_LAST);
    assert_int_equal(im->output, 3);
    arena_free(&a);
    pool_free();
}

/* Bidirectional Y [T, 2, B, H]: Transpose to [T, B, 2, H] then Reshape
 * [0, 0, -1] is lstmc's own (forward, backward) order; putting the features
 * before the directions is not, and must be refused. */
static void test_bidirectional_reshape(void **state)
{
    (void)state;
    for (int wrong = 0; wrong < 2; wrong++) {
        Model m = new_model(2);
        add_lstm(&m, 2, 3, 2, (Attr *[]){attr_str("direction", "bidirectional"), NULL}, "Y");
        int64_t perm_ok[4] = {0, 2, 1, 3}, perm_bad[4] = {0, 2, 3, 1}, shape[3] = {0, 0, -1};
        Attr *perm = talloc(sizeof *perm);
        lstmc_onnx__attribute_proto__init(perm);
        perm->name = tstr("perm");
        perm->has_type = 1, perm->type = ONNX_ATTR_INTS;
        perm->n_ints = 4, perm->ints = wrong ? perm_bad : perm_ok;
        m.nodes[m.nnodes++] = node("Transpose", "tr", "Y", "Yt", (Attr *[]){perm, NULL});
        m.inits[m.ninits++] = itensor("shape", 3, shape);
        m.nodes[m.nnodes++] = node("Reshape", "rs", "Yt shape", "y", NULL);
        Arena a = {0};
        DiagCapture c;
        const char *err;
        ImportModel *im = match(&a, &m, &c, &err);
        if (wrong) {
            assert_null(im);
            assert_string_equal(err, "t.onnx: error: node 'rs' (op Reshape): it merges the "
                                "feature axis and the direction axis into one axis; lstmc "
                                "import follows only the merge of directions and features "
                                "(in that order)\n");
        } else {
            assert_string_equal(err, "");
            assert_non_null(im);
            assert_int_equal(im->output, 6);
            assert_int_equal(im->layers[0].dirs, 2);
        }
        capture_free(&c);
        arena_free(&a);
        pool_free();
    }
}

/* torch.cat((h_n[-2], h_n[-1]), dim=1) of a bidirectional layer: Gather -2
 * and -1 of Y_h [2, B, H], Concat on the features, is `output final`; the
 * other order, or one direction alone, is refused. */
static void test_bidirectional_final(void **state)
{
    (void)state;
    static const char *const concats[3] = {"fw bw", "bw fw", NULL};
    static const char *const errors[3] = {
        "",
        ("t.onnx: error: node 'cat' (op Concat): it concatenates one direction's final state of a "
         "bidirectional layer other than as torch.cat((h_n[-2], h_n[-1]), dim=1) does (the forward "
         "state, then the backward one, along the features), which is lstmc's 'output final'\n"),
        ("t.onnx: error: graph output 'y' is the backward direction's final state alone; lstmc's "
         "'output final' is both, concatenated as torch.cat((h_n[-2], h_n[-1]), dim=1)\n"),
    };
    for (int k = 0; k < 3; k++) {
        Model m = new_model(2);
        add_lstm(&m, 2, 3, 2, (Attr *[]){attr_str("direction", "bidirectional"), NULL}, "- Y_h");
        int64_t minus2 = -2, minus1 = -1;
        Tensor *i2 = itensor("i2", 1, &minus2), *i1 = itensor("i1", 1, &minus1);
        i2->n_dims = i1->n_dims = 0;   /* scalars: Gather drops the axis */
        m.inits[m.ninits++] = i2;
        m.inits[m.ninits++] = i1;
        m.nodes[m.nnodes++] = node("Gather", "g2", "Y_h i2", "fw", NULL);
        m.nodes[m.nnodes++] = node("Gather", "g1", "Y_h i1", k == 2 ? "y" : "bw", NULL);
        if (concats[k])
            m.nodes[m.nnodes++] = node("Concat", "cat", concats[k], "y",
                                       (Attr *[]){attr_int("axis", 1), NULL});
        Arena a = {0};
        DiagCapture c;
        const char *err;
        ImportModel *im = match(&a, &m, &c, &err);
        assert_string_equal(err, errors[k]);
        if (k == 0) {
            assert_non_null(im);
            assert_int_equal(im->output_form, OUT_FINAL);
            assert_int_equal(im->output, 6);
        } else {
            assert_null(im);
        }
        capture_free(&c);
        arena_free(&a);
        pool_free();
    }
}

/* ReduceMean and ReduceMax over time: axes as an attribute before opset 18,
 * as an input from 18; over another axis, refused (the node unnamed:
 * reported by its position). */
static void test_reduce_over_time(void **state)
{
    (void)state;
    for (int k = 0; k < 3; k++) {
        Model m = new_model(2);
        add_lstm(&m, 2, 3, 1, NULL, "Y");
        int64_t axis0 = 0;
        if (k == 1) {
            m.opset = 18;
            m.inits[m.ninits++] = itensor("axes", 1, &axis0);
            m.nodes[m.nnodes++] = node("ReduceMax", "pool", "Y axes", "y", NULL);
        } else {
            int64_t axes = k == 0 ? 0 : 3;
            Attr *at = talloc(sizeof *at);
            lstmc_onnx__attribute_proto__init(at);
            at->name = tstr("axes");
            at->has_type = 1, at->type = ONNX_ATTR_INTS;
            at->n_ints = 1, at->ints = talloc(sizeof *at->ints);
            at->ints[0] = axes;
            m.nodes[m.nnodes++] = node("ReduceMean", k == 0 ? "pool" : "", "Y", "y",
                                       (Attr *[]){at, NULL});
        }
        Arena a = {0};
        DiagCapture c;
        const char *err;
        ImportModel *im = match(&a, &m, &c, &err);
        if (k < 2) {
            assert_string_equal(err, "");
            assert_non_null(im);
            assert_int_equal(im->output_form, k == 0 ? OUT_MEAN : OUT_MAX);
            assert_int_equal(im->output, 3);
        } else {
            assert_null(im);
            assert_string_equal(err, "t.onnx: error: node #1 (op ReduceMean): it reduces the "
                                "feature axis; lstmc import pools over the time axis only "
                                "(output mean)\n");
        }
        capture_free(&c);
        arena_free(&a);
        pool_free();
    }
}

/* onnx_load_tensor reads a TensorProto file (ONNX's input_0.pb) as it reads
 * an initializer; anything else is an error naming the file. */
static void test_load_tensor(void **state)
{
    (void)state;
    int64_t dims[2] = {2, 2};
    float data[4] = {1, -2, 3.5f, 0.25f};
    Tensor *t = ftensor("W", 2, dims, data);
    size_t len = lstmc_onnx__tensor_proto__get_packed_size(t);
    uint8_t *bytes = talloc(len);
    lstmc_onnx__tensor_proto__pack(t, bytes);
    char path[] = "/tmp/lstmc_test_tensor_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "wb");
    assert_non_null(f);
    fwrite(bytes, 1, len, f);
    fclose(f);
    Arena a = {0};
    DiagCapture c;
    capture_begin(&c);
    OnnxTensor *got = onnx_load_tensor(&a, path);
    assert_string_equal(capture_end(&c), "");
    capture_free(&c);
    assert_non_null(got);
    assert_string_equal(got->name, "W");
    assert_int_equal(got->ndim, 2);
    assert_int_equal(got->count, 4);
    for (int k = 0; k < 4; k++)
        assert_true(got->f[k] == data[k]);
    f = fopen(path, "wb");
    assert_non_null(f);
    fputs("\xff\xff\xff", f);   /* not a protobuf */
    fclose(f);
    capture_begin(&c);
    assert_null(onnx_load_tensor(&a, path));
    const char *err = capture_end(&c);
    assert_non_null(strstr(err, ": error: not an ONNX TensorProto, or a truncated one"));
    capture_free(&c);
    remove(path);
    arena_free(&a);
    pool_free();
}

/* activation_alpha and activation_beta are consumed in order by the
 * activations that take them. */
static void test_activation_parameters(void **state)
{
    (void)state;
    Model m = new_model(2);
    static const char *const acts[3] = {"HardSigmoid", "ScaledTanh", "leakyrelu"};
    float alpha[3] = {0.25f, 1.5f, 0.125f}, beta[2] = {0.5f, 0.75f};
    add_lstm(&m, 2, 3, 1, (Attr *[]){attr_strings("activations", 3, acts),
                                     attr_floats("activation_alpha", 3, alpha),
                                     attr_floats("activation_beta", 2, beta),
                                     attr_float("clip", 2.5f), NULL}, "Y");
    int64_t one[1] = {1};
    m.inits[m.ninits++] = itensor("axis1", 1, one);
    m.nodes[m.nnodes++] = node("Squeeze", "sq", "Y axis1", "y", NULL);
    Arena a = {0};
    DiagCapture c;
    const char *err;
    ImportModel *im = match(&a, &m, &c, &err);
    assert_string_equal(err, "");
    capture_free(&c);
    assert_non_null(im);
    const ImportLayer *L = &im->layers[0];
    assert_true(L->act[0].kind == ACT_HARD_SIGMOID && L->act[0].a == 0.25 && L->act[0].b == 0.5);
    assert_true(L->act[1].kind == ACT_SCALED_TANH && L->act[1].a == 1.5 && L->act[1].b == 0.75);
    assert_true(L->act[2].kind == ACT_LEAKY_RELU && L->act[2].a == 0.125);
    assert_true(L->clip == 2.5);
    /* and the spec says so */
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    import_write_spec(f, im, "act", "act.safetensors");
    fclose(f);
    assert_contains(text, "gate_activation hard_sigmoid(0.25, 0.5);");
    assert_contains(text, "cell_input scaled_tanh(1.5, 0.75);");
    assert_contains(text, "cell_output leaky_relu(0.125);");
    assert_contains(text, "clip gates 2.5;");
    assert_contains(text, "from onnx \"lstm0\";");
    assert_contains(text, "output sequence;");
    free(text);
    arena_free(&a);
    pool_free();
}

/* MatMul [in, out] + Add becomes a dense layer with weight [out, in]. */
static void test_matmul_add_head(void **state)
{
    (void)state;
    Model m = new_model(2);
    add_lstm(&m, 2, 3, 1, NULL, "Y");
    int64_t one[1] = {1}, wd[2] = {3, 2}, bd[1] = {2};
    float w[6] = {1, 2, 3, 4, 5, 6}, b[2] = {0.5f, -0.5f};
    m.inits[m.ninits++] = itensor("axis1", 1, one);
    m.inits[m.ninits++] = ftensor("hw", 2, wd, w);
    m.inits[m.ninits++] = ftensor("hb", 1, bd, b);
    m.nodes[m.nnodes++] = node("Squeeze", "sq", "Y axis1", "h", NULL);
    m.nodes[m.nnodes++] = node("MatMul", "mm", "h hw", "z", NULL);
    m.nodes[m.nnodes++] = node("Add", "add", "hb z", "y0", NULL);
    m.nodes[m.nnodes++] = node("Softmax", "sm", "y0", "y", NULL);
    Arena a = {0};
    DiagCapture c;
    const char *err;
    ImportModel *im = match(&a, &m, &c, &err);
    assert_string_equal(err, "");
    capture_free(&c);
    assert_non_null(im);
    assert_int_equal(im->nlayers, 2);
    const ImportLayer *D = &im->layers[1];
    assert_int_equal(D->kind, IMPORT_DENSE);
    assert_int_equal(D->input, 3);
    assert_int_equal(D->output, 2);
    static const float want[6] = {1, 3, 5, 2, 4, 6};
    for (int k = 0; k < 6; k++)
        assert_true(D->w[k] == want[k]);
    assert_true(D->bias && D->b[0] == 0.5f && D->b[1] == -0.5f);
    assert_int_equal(D->dense_act.kind, ACT_SOFTMAX);
        ImportTensors t;
    import_tensors(&a, im, &t);
    assert_int_equal(t.n, 5);
    assert_string_equal(t.names[0], "lstm0.W");
    assert_string_equal(t.names[3], "dense0.weight");
    assert_int_equal(t.shapes[3][0], 2);
    assert_int_equal(t.shapes[3][1], 3);
    arena_free(&a);
    pool_free();
}

/* LogSoftmax over the features, as the dense layer's log_softmax; over the
 * time axis it is refused with the axis named. */
static void test_log_softmax_head(void **state)
{
    (void)state;
    for (int bad = 0; bad < 2; bad++) {
        Model m = new_model(2);
        add_lstm(&m, 2, 3, 1, NULL, "Y");
        int64_t one[1] = {1}, wd[2] = {3, 2};
        float w[6] = {1, 2, 3, 4, 5, 6};
        m.inits[m.ninits++] = itensor("axis1", 1, one);
        m.inits[m.ninits++] = ftensor("hw", 2, wd, w);
        m.nodes[m.nnodes++] = node("Squeeze", "sq", "Y axis1", "h", NULL);
        m.nodes[m.nnodes++] = node("MatMul", "mm", "h hw", "z", NULL);
        Attr *axis[2] = {attr_int("axis", 0), NULL};
        m.nodes[m.nnodes++] = node("LogSoftmax", "lsm", "z", "y", bad ? axis : NULL);
        Arena a = {0};
        DiagCapture c;
        const char *err;
        ImportModel *im = match(&a, &m, &c, &err);
        if (bad) {
            assert_null(im);
            assert_non_null(strstr(err, "makes the log_softmax run over"));
        } else {
            assert_string_equal(err, "");
            assert_non_null(im);
            assert_int_equal(im->layers[1].dense_act.kind, ACT_LOG_SOFTMAX);
        }
        capture_free(&c);
        arena_free(&a);
        pool_free();
    }
}

/* What the matcher must refuse, each with its exact message. */
static void test_refusals(void **state)
{
    (void)state;
    struct {
        const char *what, *message;
    } cases[] = {
        {"reverse Y_h", NULL},   /* accepted: output final (the state after step 0) */
        {"branch", "t.onnx: error: node 'mm2' (op MatMul): its input 'h' comes from node 'lstm', "
                   "but the graph has gone on from there to node 'mm': lstmc models are a chain, "
                   "each layer taking the output of the one before\n"},
        {"input_forget 2", "t.onnx: error: node 'lstm' (op LSTM): attribute 'input_forget' = 2 "
                           "is not supported (0 or 1)\n"},
    };
    for (size_t k = 0; k < COUNT_OF(cases); k++) {
        Model m = new_model(2);
        int64_t zero[1] = {0}, one[1] = {1}, wd[2] = {3, 3};
        m.inits[m.ninits++] = itensor("axis0", 1, zero);
        m.inits[m.ninits++] = itensor("axis1", 1, one);
        if (k == 0) {
            add_lstm(&m, 2, 3, 1, (Attr *[]){attr_str("direction", "reverse"), NULL}, "Y Y_h");
            m.nodes[m.nnodes++] = node("Squeeze", "sq", "Y_h axis0", "y", NULL);
        } else if (k == 1) {
            add_lstm(&m, 2, 3, 1, NULL, "Y");
            m.inits[m.ninits++] = ftensor("hw", 2, wd, ramp(9, 1));
            m.nodes[m.nnodes++] = node("Squeeze", "sq", "Y axis1", "h", NULL);
            m.nodes[m.nnodes++] = node("MatMul", "mm", "h hw", "z", NULL);
            m.nodes[m.nnodes++] = node("MatMul", "mm2", "h hw", "z2", NULL);
            m.nodes[m.nnodes++] = node("Add", "add", "z z2", "y", NULL);
        } else {
            add_lstm(&m, 2, 3, 1, (Attr *[]){attr_int("input_forget", 2), NULL}, "Y");
            m.nodes[m.nnodes++] = node("Squeeze", "sq", "Y axis1", "y", NULL);
        }
        Arena a = {0};
        DiagCapture c;
        const char *err;
        ImportModel *im = match(&a, &m, &c, &err);
        if (cases[k].message) {
            assert_null(im);
            assert_string_equal(err, cases[k].message);
        } else {
            assert_string_equal(err, "");
            assert_non_null(im);
            assert_int_equal(im->output_form, OUT_FINAL);
        }
        capture_free(&c);
        arena_free(&a);
        pool_free();
    }
}

/* Hostile graphs (issue 13): each is refused with its message, and none
 * reads or writes out of bounds or overflows (the sanitizer build runs
 * these too): a Transpose of a scalar (stride[-1] was written), a Reshape
 * of a constant to a shape whose product overflows, chained Concat of a
 * shape (each doubled it, without end), an input axis of 2^62 (its sum in
 * a Concat overflowed), a tensor declaring 2^30 elements with no data. */
static void test_hostile_graphs(void **state)
{
    (void)state;
    static const char *const messages[] = {
        "t.onnx: error: node 'lstm' (op LSTM): input B 'st' has shape [], expected [1, 24]\n",
        "t.onnx: error: node 'rs' (op Reshape): it reshapes 'c' of 1 values to a shape of more "
        "than 1073741824 elements\n",
        "t.onnx: error: node 'cat11' (op Concat): the result would have more than 4096 entries; "
        "lstmc import follows integer vectors (shapes, axes, indices) of at most 4096\n",
        "t.onnx: error: graph input 'x' has axis 0 of size 4611686018427387904, more than lstmc "
        "supports (1073741824)\n",
        "t.onnx: error: initializer 'huge' has 0 float_data values, expected 1073741824 for its "
        "shape\n",
    };
    for (size_t k = 0; k < COUNT_OF(messages); k++) {
        Model m = new_model(2);
        int64_t none[1] = {0}, one[1] = {1};
        float v = 2.0f;
        if (k == 0) {
            m.inits[m.ninits++] = ftensor("s", 0, none, &v);
            m.nodes[m.nnodes++] = node("Transpose", "tr", "s", "st", NULL);
            add_lstm_states(&m, 2, 3, 1, NULL, "y", NULL);
            m.nodes[m.nnodes - 1]->input[3] = tstr("st");
        } else if (k == 1) {
            int64_t big[3] = {1LL << 32, 1LL << 32, 1LL << 32};
            m.inits[m.ninits++] = ftensor("c", 1, one, &v);
            m.inits[m.ninits++] = itensor("shape", 3, big);
            m.nodes[m.nnodes++] = node("Reshape", "rs", "c shape", "cr", NULL);
            add_lstm(&m, 2, 3, 1, NULL, "y");
            m.nodes[m.nnodes - 1]->input[3] = tstr("cr");
        } else if (k == 2) {
            m.nodes[m.nnodes++] = node("Shape", "sh", "x", "s0", NULL);
            for (int j = 0; j < 13; j++) {
                char ins[32], out[16], name[16];
                snprintf(ins, sizeof ins, "s%d s%d", j, j);
                snprintf(out, sizeof out, "s%d", j + 1);
                snprintf(name, sizeof name, "cat%d", j + 1);
                m.nodes[m.nnodes++] = node("Concat", name, ins, out,
                                           (Attr *[]){attr_int("axis", 0), NULL});
            }
            m.nodes[m.nnodes++] = node("Reshape", "rs", "x s13", "xr", NULL);
            add_lstm(&m, 2, 3, 1, NULL, "y");
            m.nodes[m.nnodes - 1]->input[0] = tstr("xr");
        } else if (k == 3) {
            m.x_dims[0] = 1LL << 62;
            m.nodes[m.nnodes++] = node("Concat", "cat", "x x", "xx",
                                       (Attr *[]){attr_int("axis", 0), NULL});
            add_lstm(&m, 2, 3, 1, NULL, "y");
            m.nodes[m.nnodes - 1]->input[0] = tstr("xx");
        } else {
            Tensor *t = talloc(sizeof *t);
            lstmc_onnx__tensor_proto__init(t);
            t->name = tstr("huge");
            t->has_data_type = 1;
            t->data_type = ONNX_FLOAT;
            t->n_dims = 1;
            t->dims = talloc(sizeof(int64_t));
            t->dims[0] = 1LL << 30;
            m.inits[m.ninits++] = t;
            add_lstm(&m, 2, 3, 1, NULL, "y");
        }
        Arena a = {0};
        DiagCapture c;
        const char *err;
        assert_null(match(&a, &m, &c, &err));
        assert_string_equal(err, messages[k]);
        capture_free(&c);
        arena_free(&a);
        pool_free();
    }
}

/* The wire walk (onnx_wire.c) prices records without recursing into what
 * lstmc does not read, and refuses what protobuf-c would refuse. */
static void test_wire_cost(void **state)
{
    (void)state;
    OnnxWireCost cost;
    /* ModelProto { graph { node {} node {} } }: three messages and two
     * fields holding them, beside the model itself */
    static const unsigned char two_nodes[] = {0x3a, 0x04, 0x0a, 0x00, 0x0a, 0x00};
    assert_int_equal(onnx_wire_cost(two_nodes, sizeof two_nodes, &cost), 0);
    assert_int_equal(cost.records, 1 + 1 + 1 + 2 * 2);
    /* an unknown field 99 nested 100 deep in itself is one record of bytes */
    unsigned char deep[400];
    size_t n = 0;
    for (int k = 0; k < 100; k++) {
        /* built inside out: each level is key 99 (0x9a 0x06), a length */
        memmove(deep + 3, deep, n);
        deep[0] = 0x9a, deep[1] = 0x06, deep[2] = (unsigned char)n;
        n += 3;
        if (n > 120)
            break;
    }
    assert_int_equal(onnx_wire_cost(deep, n, &cost), 0);
    assert_int_equal(cost.records, 2);
    /* truncated: a length past the end, a varint cut short, a group */
    static const unsigned char past[] = {0x3a, 0x05, 0x0a, 0x00};
    static const unsigned char cut[] = {0x08, 0x80};
    static const unsigned char group[] = {0x0b};
    assert_int_equal(onnx_wire_cost(past, sizeof past, &cost), -1);
    assert_int_equal(onnx_wire_cost(cut, sizeof cut, &cost), -1);
    assert_int_equal(onnx_wire_cost(group, sizeof group, &cost), -1);
    /* a file of empty nodes costs far more than its size: refused */
    size_t len = 2 + 4 + 2 * 200000;
    unsigned char *many = calloc(1, len);
    assert_non_null(many);
    many[0] = 0x08, many[1] = 0x07, many[2] = 0x3a;
    size_t glen = 2 * 200000;
    many[3] = (unsigned char)(0x80 | (glen & 0x7f));
    many[4] = (unsigned char)(0x80 | ((glen >> 7) & 0x7f));
    many[5] = (unsigned char)(glen >> 14);
    for (size_t k = 0; k < 200000; k++)
        many[6 + 2 * k] = 0x0a;
    Arena a = {0};
    DiagCapture c;
    capture_begin(&c);
    assert_null(onnx_parse(&a, "m.onnx", many, len));
    assert_contains(capture_end(&c), "m.onnx: error: the model holds 400004 protobuf records");
    capture_free(&c);
    arena_free(&a);
    free(many);
}

/* Spec text of an imported model. */
static char *spec_of(const ImportModel *im)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    import_write_spec(f, im, "m", "m.safetensors");
    fclose(f);
    return text;
}

/* A nonzero initial state becomes `initial_state;` and the tensors
 * initial_h, initial_c [D, 1, H]: a batch of equal rows is taken as its
 * first row, an absent initial_c is written as zeros. Zero states, as
 * initializers or ConstantOfShape, keep the spec as it was. */
static void test_initial_state(void **state)
{
    (void)state;
    /* bidirectional, H = 3, initial_h [2, 2, 3] of two equal batch rows */
    Model m = new_model(2);
    float h[12] = {1, 2, 3, 1, 2, 3, -4, 5, 6, -4, 5, 6};
    int64_t hd[3] = {2, 2, 3}, shape[3] = {0, 0, -1}, perm[4] = {0, 2, 1, 3};
    m.inits[m.ninits++] = ftensor("h0", 3, hd, h);
    add_lstm_states(&m, 2, 3, 2, (Attr *[]){attr_str("direction", "bidirectional"), NULL}, "Y",
                    "h0");
    Attr *pa = talloc(sizeof *pa);
    lstmc_onnx__attribute_proto__init(pa);
    pa->name = tstr("perm");
    pa->has_type = 1, pa->type = ONNX_ATTR_INTS;
    pa->n_ints = 4, pa->ints = perm;
    m.nodes[m.nnodes++] = node("Transpose", "tr", "Y", "Yt", (Attr *[]){pa, NULL});
    m.inits[m.ninits++] = itensor("shape", 3, shape);
    m.nodes[m.nnodes++] = node("Reshape", "rs", "Yt shape", "y", NULL);
    Arena a = {0};
    DiagCapture c;
    const char *err;
    ImportModel *im = match(&a, &m, &c, &err);
    assert_string_equal(err, "");
    capture_free(&c);
    assert_non_null(im);
    const ImportLayer *L = &im->layers[0];
    assert_true(L->initial_state);
    static const float want_h[6] = {1, 2, 3, -4, 5, 6};
    for (int k = 0; k < 6; k++)
        assert_true(L->h0[k] == want_h[k] && L->c0[k] == 0.0f);
    char *text = spec_of(im);
    assert_contains(text, "        initial_state;\n        from onnx \"lstm0\";");
    free(text);
    ImportTensors t;
    import_tensors(&a, im, &t);
    assert_int_equal(t.n, 5);
    assert_string_equal(t.names[3], "lstm0.initial_h");
    assert_string_equal(t.names[4], "lstm0.initial_c");
    assert_int_equal(t.ndims[3], 3);
    assert_true(t.shapes[4][0] == 2 && t.shapes[4][1] == 1 && t.shapes[4][2] == 3);
    assert_true(t.data[3][3] == -4.0f && t.data[4][5] == 0.0f);
    arena_free(&a);
    pool_free();

    /* layout 1: initial_c [batch 1, D 1, H 2] from a Constant node, and an
     * initial_h that ConstantOfShape fills with 0.75; then both zero */
    for (int zero = 0; zero < 2; zero++) {
        m = new_model(2);
        m.x_dims[0] = 1, m.x_dims[1] = -1;
        float cv[2] = {zero ? 0.0f : 0.5f, zero ? 0.0f : -0.25f};
        int64_t cd[3] = {1, 1, 2}, sd[3] = {1, 1, 2}, two[1] = {2}, one[1] = {1};
        m.inits[m.ninits++] = itensor("hshape", 3, sd);
        Attr *fill = attr_tensor("value", ftensor("", 1, one, (float[]){0.75f}));
        m.nodes[m.nnodes++] = node("ConstantOfShape", "fill", "hshape", "h0",
                                   zero ? NULL : (Attr *[]){fill, NULL});
        m.nodes[m.nnodes++] = node("Constant", "const_c0", "", "c0",
                                   (Attr *[]){attr_tensor("value", ftensor("", 3, cd, cv)), NULL});
        add_lstm_states(&m, 2, 2, 1, (Attr *[]){attr_int("layout", 1), NULL}, "Y", "h0 c0");
        m.inits[m.ninits++] = itensor("axis2", 1, two);
        m.nodes[m.nnodes++] = node("Squeeze", "sq", "Y axis2", "y", NULL);
        a = (Arena){0};
        im = match(&a, &m, &c, &err);
        assert_string_equal(err, "");
        capture_free(&c);
        assert_non_null(im);
        L = &im->layers[0];
        assert_int_equal(L->initial_state, !zero);
        text = spec_of(im);
        if (zero) {
            assert_null(L->h0);
            assert_null(strstr(text, "initial_state"));
        } else {
            assert_true(L->h0[0] == 0.75f && L->h0[1] == 0.75f);
            assert_true(L->c0[0] == 0.5f && L->c0[1] == -0.25f);
            assert_contains(text, "initial_state;");
        }
        free(text);
        import_tensors(&a, im, &t);
        assert_int_equal(t.n, zero ? 3 : 5);
        arena_free(&a);
        pool_free();
    }
}

/* Initial states lstmc import refuses, each with its exact message. */
static void test_initial_state_refusals(void **state)
{
    (void)state;
    struct {
        const char *states, *message;
    } cases[] = {
        {"h0", "t.onnx: error: node 'lstm' (op LSTM): input initial_h 'h0' has shape [1, 3], "
               "expected [1, 1, 3] (directions, batch, hidden_size)\n"},
        {"- c0", "t.onnx: error: node 'lstm' (op LSTM): input initial_c 'c0' of shape [1, 2, 3]: "
                 "its 2 batch rows hold different states; lstmc starts every sequence from one "
                 "initial state\n"},
        {"x", "t.onnx: error: node 'lstm' (op LSTM): input initial_h 'x' is not a constant float "
              "tensor; lstmc import reads an initial state from a constant (an "
              "initializer), which the spec keeps as the layer's initial_state, or from a graph "
              "input, given at run time (--state-in)\n"},
        {"- inf", "t.onnx: error: node 'lstm' (op LSTM): input initial_c 'inf' holds inf at "
                  "element 1; weights must be finite float32 values\n"},
    };
    for (size_t k = 0; k < COUNT_OF(cases); k++) {
        Model m = new_model(2);
        int64_t hd[2] = {1, 3}, cd[3] = {1, 2, 3}, id[3] = {1, 1, 3}, one[1] = {1};
        float c6[6] = {1, 2, 3, 1, 2, 4}, fi[3] = {0, INFINITY, 0};
        m.inits[m.ninits++] = ftensor("h0", 2, hd, c6);
        m.inits[m.ninits++] = ftensor("c0", 3, cd, c6);
        m.inits[m.ninits++] = ftensor("inf", 3, id, fi);
        m.inits[m.ninits++] = itensor("axis1", 1, one);
        add_lstm_states(&m, 2, 3, 1, NULL, "Y", cases[k].states);
        m.nodes[m.nnodes++] = node("Squeeze", "sq", "Y axis1", "y", NULL);
        Arena a = {0};
        DiagCapture c;
        const char *err;
        ImportModel *im = match(&a, &m, &c, &err);
        if (cases[k].message) {
            assert_null(im);
            assert_string_equal(err, cases[k].message);
        } else {
            assert_string_equal(err, "");
            assert_non_null(im);
            assert_int_equal(im->output_form, OUT_FINAL);
        }
        capture_free(&c);
        arena_free(&a);
        pool_free();
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tensor_encodings),
        cmocka_unit_test(test_malformed_files),
        cmocka_unit_test(test_forward_lstm_sequence),
        cmocka_unit_test(test_layout1_y_h_is_last),
        cmocka_unit_test(test_bidirectional_reshape),
        cmocka_unit_test(test_bidirectional_final),
        cmocka_unit_test(test_reduce_over_time),
        cmocka_unit_test(test_load_tensor),
        cmocka_unit_test(test_activation_parameters),
        cmocka_unit_test(test_matmul_add_head),
        cmocka_unit_test(test_log_softmax_head),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_hostile_graphs),
        cmocka_unit_test(test_wire_cost),
        cmocka_unit_test(test_initial_state),
        cmocka_unit_test(test_initial_state_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
