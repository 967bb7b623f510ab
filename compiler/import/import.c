/*
 * import.c - matches an ONNX graph (onnx.h) into lstmc layers (import.h):
 * the importer's core. It keeps the names-to-values map, reports errors,
 * makes values, reads attributes, and walks the graph: the graph input
 * and initializers defined, every node the output depends on evaluated
 * by its op (import_shape.c, import_layers.c), the output checked. The
 * values it follows are described in import_impl.h.
 */
#include "import_impl.h"

#include <string.h>

/* ---- names to values ---- */

static size_t hash_str(const char *s)
{
    size_t h = 1469598103934665603u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211u;
    return h;
}

static void *map_get(const Map *m, const char *key)
{
    if (!m->cap)
        return NULL;
    for (size_t i = hash_str(key) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
        if (!m->keys[i])
            return NULL;
        if (strcmp(m->keys[i], key) == 0)
            return m->vals[i];
    }
}

static void map_put(Arena *a, Map *m, const char *key, void *val)
{
    if (2 * (m->n + 1) > m->cap) {
        Map bigger = {m->cap ? 2 * m->cap : 64, 0, NULL, NULL};
        bigger.keys = arena_alloc(a, bigger.cap * sizeof *bigger.keys);
        bigger.vals = arena_alloc(a, bigger.cap * sizeof *bigger.vals);
        for (size_t i = 0; i < m->cap; i++)
            if (m->keys[i])
                map_put(a, &bigger, m->keys[i], m->vals[i]);
        *m = bigger;
    }
    size_t i = hash_str(key) & (m->cap - 1);
    while (m->keys[i] && strcmp(m->keys[i], key) != 0)
        i = (i + 1) & (m->cap - 1);
    if (!m->keys[i])
        m->n++;
    m->keys[i] = key;
    m->vals[i] = val;
}

/* ---- messages ---- */

int imp_fail(Importer *im, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (im->node)
        diag_file_error(im->g->path, "node %s (op %s): %s", im->node->label, im->node->op, msg);
    else
        diag_file_error(im->g->path, "%s", msg);
    return -1;
}

const char *imp_axis_desc(const Importer *im, Axis ax)
{
    switch (ax.kind) {
    case AX_SYM:
        return ax.sym == im->time_sym ? "the time axis" : ax.sym == im->batch_sym ? "the batch axis"
               : "an axis of the graph input";
    case AX_FEAT: return "the feature axis";
    case AX_DIR: return "the direction axis";
    case AX_ONE: return "a size-1 axis";
    case AX_STACK: return "an axis concatenating several values";
    }
    return "an axis";
}

/* ---- values ---- */

Value *imp_new_value(Importer *im, ValueKind kind)
{
    Value *v = arena_alloc(im->a, sizeof *v);
    v->kind = kind;
    return v;
}

void imp_define(Importer *im, const char *name, Value *v)
{
    if (!name[0])
        return;
    Value *copy = imp_new_value(im, v->kind);
    *copy = *v;
    copy->name = name;
    map_put(im->a, &im->values, name, copy);
}

Value *imp_bad_value(Importer *im, const char *why)
{
    Value *v = imp_new_value(im, V_BAD);
    v->why = why;
    return v;
}

Value *imp_tensor_value(Importer *im, const OnnxTensor *t)
{
    if (t->i) {
        if (t->ndim > 1)
            return imp_bad_value(im, arena_printf(im->a, "an integer tensor of rank %d, which "
                                                  "lstmc import does not support", t->ndim));
        Value *v = imp_new_value(im, V_INTS);
        v->rank = t->ndim;
        v->n = (int)t->count;
        v->ints = arena_alloc(im->a, (size_t)(v->n + 1) * sizeof *v->ints);
        for (int k = 0; k < v->n; k++)
            v->ints[k] = (SymInt){t->i[k], -1};
        return v;
    }
    Value *v = imp_new_value(im, V_FLOATS);
    v->t = t;
    return v;
}

const Value *imp_input(Importer *im, int k)
{
    const OnnxNode *n = im->node;
    if (k >= n->ninputs || !n->inputs[k][0])
        return NULL;
    return map_get(&im->values, n->inputs[k]);
}

const Value *imp_need_input(Importer *im, int k, const char *role)
{
    const Value *v = imp_input(im, k);
    if (!v)
        imp_fail(im, "the input %s is missing", role);
    else if (v->kind == V_BAD)
        imp_fail(im, "its input '%s' is %s", v->name, v->why);
    return v && v->kind != V_BAD ? v : NULL;
}

int imp_known_ints(Importer *im, const Value *v, const char *role, long *out, int max)
{
    if (v->kind != V_INTS) {
        imp_fail(im, "its input '%s' (%s) must be a constant integer tensor", v->name, role);
        return -1;
    }
    if (v->n > max) {
        imp_fail(im, "its input '%s' (%s) has %d values, more than %d", v->name, role, v->n, max);
        return -1;
    }
    for (int k = 0; k < v->n; k++) {
        if (v->ints[k].sym >= 0 && v->ints[k].v < 0) {
            imp_fail(im, "its input '%s' (%s) depends on the size of the graph input's axis %d, "
                     "which is not fixed", v->name, role, v->ints[k].sym);
            return -1;
        }
        out[k] = v->ints[k].v;
    }
    return v->n;
}

/* ---- attributes ---- */

int imp_check_attrs(Importer *im, const char *const *allowed)
{
    const OnnxNode *n = im->node;
    for (int k = 0; k < n->nattrs; k++) {
        int ok = 0;
        for (int j = 0; allowed[j] && !ok; j++)
            ok = strcmp(n->attrs[k].name, allowed[j]) == 0;
        if (!ok)
            return imp_fail(im, "attribute '%s' is not supported", n->attrs[k].name);
    }
    return 0;
}

long imp_attr_int(Importer *im, const char *name, long dflt)
{
    const OnnxAttr *at = onnx_attr(im->node, name);
    return at ? at->i : dflt;
}

int imp_norm_axis(Importer *im, long axis, int rank)
{
    if (axis < -rank || axis >= rank)
        return imp_fail(im, "axis %ld is out of range for rank %d", axis, rank);
    return (int)(axis < 0 ? axis + rank : axis);
}

/* ---- data values ---- */

const char *imp_layer_desc(Importer *im, int depth)
{
    if (depth == 0)
        return "the graph input";
    const ImportLayer *L = &im->m->layers[depth - 1];
    return arena_printf(im->a, "node %s", L->node);
}

int imp_is_time(const Importer *im, Axis ax)
{
    return ax.kind == AX_SYM && ax.sym == im->time_sym;
}

int imp_is_unit(const Importer *im, Axis ax)
{
    if (ax.kind == AX_SYM)
        return ax.sym == im->batch_sym && ax.size == 1;
    return ax.size == 1;
}

/* ---- the walk ---- */

/* What graph input name reaches through any nodes: an LSTM's (GRU's,
 * RNN's) X, or else its initial_h or an LSTM's initial_c (a state fed at
 * run time), or neither. */
enum { REACH_NONE, REACH_X, REACH_STATE };
static int input_reach(Importer *im, const char *name)
{
    const OnnxGraph *g = im->g;
    Map reached = {0, 0, NULL, NULL};
    static int mark;
    int state = 0;
    map_put(im->a, &reached, name, &mark);
    for (int k = 0; k < g->nnodes; k++) {
        const OnnxNode *n = &g->nodes[k];
        int lstm = (strcmp(n->op, "LSTM") == 0 || strcmp(n->op, "GRU") == 0 ||
                    strcmp(n->op, "RNN") == 0) && !n->domain[0], hit = 0;
        for (int j = 0; j < n->ninputs; j++) {
            if (!n->inputs[j][0] || !map_get(&reached, n->inputs[j]))
                continue;
            if (lstm && j == 0)
                return REACH_X;
            state |= lstm && (j == 5 || j == 6);
            hit = 1;
        }
        for (int j = 0; hit && !lstm && j < n->noutputs; j++)
            if (n->outputs[j][0])
                map_put(im->a, &reached, n->outputs[j], &mark);
    }
    return state ? REACH_STATE : REACH_NONE;
}

/* --input-values: each tensor given for a graph input becomes a constant,
 * as an initializer would (ONNX's own node tests feed the weights this
 * way), but the sequence's, the input reaching a recurrent node's X. */
static int define_given_inputs(Importer *im, const ImportOptions *opt)
{
    const OnnxGraph *g = im->g;
    for (int k = 0; k < opt->nvalues; k++) {
        const OnnxTensor *t = &opt->values[k];
        int found = 0;
        for (int j = 0; j < g->ninputs && !found; j++)
            found = strcmp(g->inputs[j].name, t->name) == 0;
        if (!found)
            return imp_fail(im, "a value is given for '%s' (--input-values), which is not an input "
                            "of the graph", t->name);
        if (input_reach(im, t->name) != REACH_X)
            imp_define(im, t->name, imp_tensor_value(im, t));
    }
    return 0;
}

/* The graph output to import: the one --graph-output names, or the only
 * one. */
static int choose_output(Importer *im, const char *want)
{
    const OnnxGraph *g = im->g;
    const char *list = "";
    for (int k = 0; k < g->noutputs; k++) {
        if (want && strcmp(g->outputs[k].name, want) == 0) {
            im->output = want;
            return 0;
        }
        if (k < 16)
            list = arena_printf(im->a, "%s%s'%s'", list, k ? ", " : "", g->outputs[k].name);
        else if (k == 16)
            list = arena_printf(im->a, "%s, ...", list);
    }
    if (want)
        return imp_fail(im, "the graph has no output '%s' (--graph-output); its outputs: %s", want,
                        g->noutputs ? list : "none");
    if (g->noutputs != 1)
        return imp_fail(im, "the graph has %d outputs%s%s%s; lstmc models have one: choose it with "
                        "--graph-output NAME", g->noutputs, g->noutputs ? " (" : "", list,
                        g->noutputs ? ")" : "");
    im->output = g->outputs[0].name;
    return 0;
}

/* The graph's one data input: the input that is not an initializer, nor
 * an initial state (which lstmc import reads only from constants: such an
 * input is a value whose use is an error that says so). */
static int define_input(Importer *im)
{
    const OnnxGraph *g = im->g;
    const OnnxValueInfo *in = NULL;
    int count = 0, data = 0;
    /* Only initializers are defined yet: the map says which inputs are
     * one in constant time (old exporters list every initializer as an
     * input too, thousands of them). */
    for (int k = 0; k < g->ninputs; k++)
        count += !map_get(&im->values, g->inputs[k].name);
    /* Each candidate is followed through the graph (is_state_input): a
     * bound keeps that linear. A model has one sequence input and a few
     * states at most. */
    if (count > 64)
        return imp_fail(im, "the graph has %d inputs besides its initializers; lstmc models take "
                        "one (the sequence)", count);
    for (int k = 0; k < g->ninputs; k++) {
        const char *name = g->inputs[k].name;
        if (map_get(&im->values, name))
            continue;
        if (count > 1 && input_reach(im, name) == REACH_STATE) {
            Value *v = imp_bad_value(im, "a graph input of initial states, which lstmc import "
                                         "reads only as an LSTM, GRU or RNN node's initial_h or "
                                         "initial_c (or a Slice of one per layer)");
            if (g->inputs[k].ndim == 3 && g->inputs[k].dims[0] > 0 && g->inputs[k].dims[2] > 0) {
                v->state_of = name;
                v->state_count = g->inputs[k].dims[0];
                v->state_size = g->inputs[k].dims[2];
            }
            imp_define(im, name, v);
            continue;
        }
        data++;
        in = in ? in : &g->inputs[k];
    }
    if (data != 1)
        return imp_fail(im, "the graph has %d inputs besides its initializers; lstmc models take "
                        "one (the sequence)%s", count, data > 1 ? "; weights fed as graph inputs "
                        "(as ONNX's node tests feed them) become constants with --input-values "
                        "DIR" : "");
    if ((in->elem_type == ONNX_INT64 || in->elem_type == ONNX_INT32) && in->ndim == 2) {
        /* token ids [time, batch] or [batch, time], for an embedding's Gather */
        Value *v = imp_bad_value(im, "the graph input of token ids, which lstmc import reads only "
                                     "through a Gather of a constant table (an embedding)");
        v->ids = 1;
        v->rank = 2;
        for (int d = 0; d < 2; d++)
            v->ax[d] = (Axis){AX_SYM, d, in->dims[d]};
        imp_define(im, in->name, v);
        im->m->input = 1;
        return 0;
    }
    if (in->elem_type != ONNX_FLOAT)
        return imp_fail(im, "graph input '%s' has element type %s; lstmc import expects FLOAT (or "
                        "INT64 or INT32 token ids [time, batch] for an embedding)",
                        in->name, onnx_dtype_name(in->elem_type));
    if (in->ndim != 2 && in->ndim != 3)
        return imp_fail(im, "graph input '%s' has %s; lstmc import expects [time, batch, features] "
                        "or [batch, time, features]", in->name,
                        in->ndim < 0 ? "no shape" : arena_printf(im->a, "%d axes", in->ndim));
    long I = in->dims[in->ndim - 1];
    if (I <= 0)
        return imp_fail(im, "graph input '%s' has a feature size that is not fixed (its last "
                        "axis); lstmc needs it to be a number", in->name);
    Value *v = imp_new_value(im, V_DATA);
    v->rank = in->ndim;
    for (int d = 0; d + 1 < in->ndim; d++)
        v->ax[d] = (Axis){AX_SYM, d, in->dims[d]};
    v->ax[in->ndim - 1] = (Axis){AX_FEAT, -1, I};
    imp_define(im, in->name, v);
    im->m->input = (int)I;
    return 0;
}

/* Marks the nodes the graph output depends on (nodes are in topological
 * order, as ONNX requires, so one backward pass finds them). */
static int *live_nodes(Importer *im)
{
    const OnnxGraph *g = im->g;
    Map needed = {0, 0, NULL, NULL};
    int *live = arena_alloc(im->a, (size_t)(g->nnodes + 1) * sizeof *live);
    static int mark;
    map_put(im->a, &needed, im->output, &mark);
    for (int k = g->nnodes - 1; k >= 0; k--) {
        const OnnxNode *n = &g->nodes[k];
        for (int j = 0; j < n->noutputs && !live[k]; j++)
            live[k] = n->outputs[j][0] && map_get(&needed, n->outputs[j]);
        for (int j = 0; live[k] && j < n->ninputs; j++)
            if (n->inputs[j][0])
                map_put(im->a, &needed, n->inputs[j], &mark);
    }
    return live;
}

/* Evaluates node n by its op, once its inputs are known to be defined;
 * ops are looked up in the tables of import_shape.c and import_layers.c. */
static int run_node(Importer *im, const OnnxNode *n)
{
    im->node = n;
    if (n->domain[0])
        return imp_fail(im, "operators of domain '%s' are not supported", n->domain);
    if (n->noutputs < 1)
        return imp_fail(im, "the node has no outputs");
    for (int k = 0; k < n->ninputs; k++)
        if (n->inputs[k][0] && !map_get(&im->values, n->inputs[k]))
            return imp_fail(im, "its input '%s' is not produced by an earlier node, an initializer "
                            "or a graph input", n->inputs[k]);
    static const ImpOp *const tables[] = {imp_shape_ops, imp_layer_ops};
    for (size_t t = 0; t < COUNT_OF(tables); t++)
        for (const ImpOp *op = tables[t]; op->name; op++)
            if (strcmp(op->name, n->op) == 0)
                return op->run(im);
    return imp_fail(im, "operator %s is not supported by lstmc import (it reads LSTM, GRU, RNN, "
                    "Gemm, MatMul, Add, activations, and the shape ops exporters put around them)",
                    n->op);
}

/* The graph output must be the end of the chain, with time (or the last
 * step) and batch and then features: [features] or [directions, features]. */
static int check_output(Importer *im)
{
    ImportModel *m = im->m;
    im->node = NULL;
    const char *name = im->output;
    const Value *v = map_get(&im->values, name);
    int nlstm = 0;
    for (int k = 0; k < m->nlayers; k++)
        nlstm += m->layers[k].kind != IMPORT_DENSE;
    if (!nlstm)
        return imp_fail(im, "the graph has no LSTM, GRU or RNN node on the way to its output '%s'",
                        name);
    if (!v || v->kind != V_DATA)
        return imp_fail(im, "graph output '%s' is %s", name, !v ? "not produced by any node"
                        : v->kind == V_BAD ? v->why : "a constant");
    if (v->depth != m->nlayers || v->version != im->version || v->softsign)
        return imp_fail(im, "graph output '%s' is not the output of the last layer (%s)", name,
                        imp_layer_desc(im, m->nlayers));
    /* Past the batch and size-1 axes, the output must read as lstmc's rows:
     * time (unless reduced to the last step), then directions, then
     * features. */
    long features = 1;
    int stage = 0, seen_time = 0;   /* 2: directions seen, 3: features seen */
    for (int d = 0; d < v->rank; d++) {
        Axis ax = v->ax[d];
        if (imp_is_time(im, ax)) {
            if (stage >= 2)
                return imp_fail(im, "graph output '%s' holds the time axis after its features; "
                                "lstmc writes one row of features per step", name);
            seen_time = 1;
            continue;
        }
        if (ax.kind == AX_SYM || ax.size == 1)
            continue;   /* the batch, or size 1 */
        if ((ax.kind == AX_DIR && stage < 2) || (ax.kind == AX_FEAT && stage < 3)) {
            stage = ax.kind == AX_DIR ? 2 : 3;
            features *= ax.size;
            continue;
        }
        return imp_fail(im, "graph output '%s' holds %s after the features or apart from them; "
                        "lstmc outputs the features of each step as one row", name,
                        imp_axis_desc(im, ax));
    }
    if (v->dir_part)
        return imp_fail(im, "graph output '%s' is the %s direction's final state alone; lstmc's "
                        "'output final' is both, concatenated as torch.cat((h_n[-2], h_n[-1]), "
                        "dim=1)", name, v->dir_part == 1 ? "forward" : "backward");
    if (v->flipped && v->reduced == OUT_SEQUENCE)
        return imp_fail(im, "graph output '%s' is the sequence in flipped time order (torch.flip "
                        "before a recurrent layer); lstmc outputs the steps in the input's order: "
                        "flip the output back (torch.flip(y, [0])), as a backward layer's output "
                        "reads", name);
    if (!seen_time && v->reduced == OUT_SEQUENCE)
        return imp_fail(im, "graph output '%s' has no time axis", name);
    if (features != m->layers[m->nlayers - 1].output)
        return imp_fail(im, "graph output '%s' has %ld features per step, but the last layer gives "
                        "%d", name, features, m->layers[m->nlayers - 1].output);
    m->output = (int)features;
    m->output_form = v->reduced;
    return 0;
}

ImportModel *import_graph(Arena *a, const OnnxGraph *g, const ImportOptions *opt)
{
    Importer im = {a, g, {0, 0, NULL, NULL}, -1, -1, NULL, 0, 0, 0, 0, NULL, NULL, 1L << 20};
    im.m = arena_alloc(a, sizeof *im.m);
    im.m->graph = g;
    if (g->opset < 7 || g->opset > 21) {
        imp_fail(&im, "the model uses ONNX opset %ld; lstmc import reads opsets 7 to 21", g->opset);
        return NULL;
    }
    for (int k = 0; k < g->ninits; k++) {
        imp_define(&im, g->inits[k].name, imp_tensor_value(&im, &g->inits[k]));
        im.float_budget += 4 * g->inits[k].count;   /* at most 2^30 values each, 2 GB in all */
    }
    if (choose_output(&im, opt->output) < 0 || define_given_inputs(&im, opt) < 0 ||
        define_input(&im) < 0)
        return NULL;
    int *live = live_nodes(&im);
    for (int k = 0; k < g->nnodes; k++)
        if (live[k] && run_node(&im, &g->nodes[k]) < 0)
            return NULL;
    return check_output(&im) < 0 ? NULL : im.m;
}
