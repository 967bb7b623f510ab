/*
 * import_shape.c - the importer's ops on constants, shapes and axes:
 * Constant, Shape, Concat, ConstantOfShape, ConstantFill and Expand (fills), Identity,
 * Dropout and Cast, and the glue that only moves the data's axes:
 * Transpose, Unsqueeze, Squeeze, Gather, Slice, Reshape. None of them
 * makes a layer; they follow what each value is (import_impl.h).
 */
#include "import_impl.h"

#include <limits.h>
#include <string.h>

/* ---- helpers ---- */

/* A new float constant of the given shape, or NULL after reporting when
 * the constants the walk has made would pass its budget (import_impl.h):
 * chained Concat(w, w) or Transposes of a large weight must not take
 * memory without bound. */
static OnnxTensor *new_tensor(Importer *im, int ndim, const long *dims)
{
    /* Every caller's shape has at most ONNX_MAX_ELEMS values in all but one
     * axis and in that one, so the product fits a long. */
    long count = 1;
    for (int d = 0; d < ndim; d++)
        count *= dims[d];
    if (count > im->float_budget) {
        imp_fail(im, "the constants it computes from the model's own (by Transpose, Slice, "
                 "Concat) would hold more values than lstmc import allows: four times those of "
                 "the initializers, and a million");
        return NULL;
    }
    im->float_budget -= count;
    OnnxTensor *t = arena_alloc(im->a, sizeof *t);
    t->dtype = ONNX_FLOAT;
    t->ndim = ndim;
    t->count = 1;
    for (int d = 0; d < ndim; d++) {
        t->dims[d] = dims[d];
        t->count *= dims[d];
    }
    t->f = arena_alloc(im->a, (size_t)(t->count ? t->count : 1) * sizeof *t->f);
    return t;
}

int imp_node_axes(Importer *im, int k, long input_since, long *axes)
{
    if (im->g->opset < input_since) {
        const OnnxAttr *at = onnx_attr(im->node, "axes");
        if (!at)
            return 0;
        if (at->n > MAX_AXES)
            return imp_fail(im, "attribute 'axes' has %d values, more than %d", at->n, MAX_AXES);
        for (int j = 0; j < at->n; j++)
            axes[j] = at->ints[j];
        return at->n;
    }
    const Value *v = imp_input(im, k);
    return v ? imp_known_ints(im, v, "axes", axes, MAX_AXES) : 0;
}

/* ---- ops: constants and shapes ---- */

static int op_constant(Importer *im)
{
    static const char *const ok[] = {"value", "value_float", "value_floats", "value_int",
                                     "value_ints", NULL};
    if (imp_check_attrs(im, ok) < 0)
        return -1;
    const OnnxNode *n = im->node;
    if (n->nattrs != 1)
        return imp_fail(im, "expected exactly one value attribute, found %d", n->nattrs);
    const OnnxAttr *at = &n->attrs[0];
    Value *v;
    if (at->t) {
        v = imp_tensor_value(im, at->t);
    } else if (strcmp(at->name, "value_int") == 0 || strcmp(at->name, "value_ints") == 0) {
        int list = at->name[9] == 's';
        v = imp_new_value(im, V_INTS);
        v->rank = list;
        v->n = list ? at->n : 1;
        v->ints = arena_alloc(im->a, (size_t)(v->n + 1) * sizeof *v->ints);
        for (int k = 0; k < v->n; k++)
            v->ints[k] = (SymInt){list ? at->ints[k] : at->i, -1};
    } else {
        int list = strcmp(at->name, "value_floats") == 0;
        long dims[1] = {list ? at->n : 1};
        OnnxTensor *t = new_tensor(im, list, dims);
        if (!t)
            return -1;
        for (long k = 0; k < t->count; k++)
            t->f[k] = list ? at->floats[k] : at->f;
        v = imp_tensor_value(im, t);
    }
    imp_define(im, n->outputs[0], v);
    return 0;
}

static int op_shape(Importer *im)
{
    static const char *const ok[] = {"start", "end", NULL};
    if (imp_check_attrs(im, ok) < 0)
        return -1;
    const Value *x = imp_need_input(im, 0, "data");
    if (!x)
        return -1;
    SymInt all[MAX_AXES];
    int rank;
    if (x->kind == V_DATA) {
        rank = x->rank;
        for (int d = 0; d < rank; d++)
            all[d] = (SymInt){x->ax[d].size, x->ax[d].kind == AX_SYM ? x->ax[d].sym : -1};
    } else if (x->kind == V_FLOATS) {
        rank = x->t->ndim;
        for (int d = 0; d < rank; d++)
            all[d] = (SymInt){x->t->dims[d], -1};
    } else if (x->kind == V_INTS) {
        rank = x->rank;
        all[0] = (SymInt){x->n, -1};
    } else {
        return imp_fail(im, "the shape of '%s' is not known", x->name);
    }
    long start = imp_attr_int(im, "start", 0), end = imp_attr_int(im, "end", rank);
    start = start < 0 ? start + rank : start;
    end = end < 0 ? end + rank : end;
    start = start < 0 ? 0 : start > rank ? rank : start;
    end = end < start ? start : end > rank ? rank : end;
    Value *v = imp_new_value(im, V_INTS);
    v->rank = 1;
    v->n = (int)(end - start);
    v->ints = arena_alloc(im->a, (size_t)(v->n + 1) * sizeof *v->ints);
    memcpy(v->ints, all + start, (size_t)v->n * sizeof *v->ints);
    imp_define(im, im->node->outputs[0], v);
    return 0;
}

/* Concat of data values along one axis: exporters stack the final states
 * of stacked LSTM layers this way (PyTorch's h_n), and the only use lstmc
 * can follow is taking the last of them (h_n[-1]), which Gather does. */
/* Concat of a bidirectional layer's two final states, forward then
 * backward, along their features (torch.cat((h_n[-2], h_n[-1]), dim=1)):
 * `output final`. */
static int concat_directions(Importer *im)
{
    const OnnxNode *n = im->node;
    const Value *fw = imp_need_input(im, 0, "to concatenate"), *bw = imp_need_input(im, 1, "to concatenate");
    if (!fw || !bw)
        return -1;
    int d = -1;
    if (n->ninputs == 2 && bw->kind == V_DATA && fw->dir_part == 1 && bw->dir_part == 2 &&
        bw->rank == fw->rank && bw->depth == fw->depth &&
        (d = imp_norm_axis(im, imp_attr_int(im, "axis", 0), fw->rank)) < 0)
        return -1;
    if (d < 0 || fw->ax[d].kind != AX_FEAT)
        return imp_fail(im, "it concatenates one direction's final state of a bidirectional layer "
                        "other than as torch.cat((h_n[-2], h_n[-1]), dim=1) does (the forward "
                        "state, then the backward one, along the features), which is lstmc's "
                        "'output final'");
    Value *v = imp_new_value(im, V_DATA);
    *v = *fw;
    v->ax[d].size *= 2;
    v->dir_part = 0;
    imp_define(im, n->outputs[0], v);
    return 0;
}

static int concat_data(Importer *im)
{
    const OnnxNode *n = im->node;
    const Value *last = NULL;
    const Value *first = imp_input(im, 0);
    if (first && first->dir_part)
        return concat_directions(im);
    long size = 0;
    int d = -1;
    for (int k = 0; k < n->ninputs; k++) {
        const Value *x = imp_need_input(im, k, "to concatenate");
        if (!x)
            return -1;
        if (x->kind != V_DATA || x->dir_part || (last && x->rank != last->rank))
            return imp_fail(im, "it concatenates '%s' with '%s', which lstmc import cannot follow",
                            n->inputs[0], x->name);
        if (d < 0 && (d = imp_norm_axis(im, imp_attr_int(im, "axis", 0), x->rank)) < 0)
            return -1;
        if (x->ax[d].size < 0)
            return imp_fail(im, "it concatenates along %s, whose size is not known",
                            imp_axis_desc(im, x->ax[d]));
        if (size_add(size, x->ax[d].size, ONNX_MAX_ELEMS, &size) < 0)
            return imp_fail(im, "it concatenates along %s to more than %ld entries",
                            imp_axis_desc(im, x->ax[d]), ONNX_MAX_ELEMS);
        last = x;
    }
    Value *v = imp_new_value(im, V_DATA);
    *v = *last;
    v->ax[d] = (Axis){AX_STACK, -1, size};
    v->stack_last = last;
    imp_define(im, n->outputs[0], v);
    return 0;
}

/* Concat of float constants: opsets 7 and 8 exports reorder the gates of
 * PyTorch's weights into ONNX's by slicing and concatenating them. */
static int concat_floats(Importer *im)
{
    const OnnxNode *n = im->node;
    const OnnxTensor *first = imp_input(im, 0)->t;
    int rank = first->ndim;
    int d = imp_norm_axis(im, imp_attr_int(im, "axis", 0), rank);
    if (d < 0)
        return -1;
    long dims[MAX_AXES];
    memcpy(dims, first->dims, sizeof dims);
    dims[d] = 0;
    for (int k = 0; k < n->ninputs; k++) {
        const Value *x = imp_need_input(im, k, "to concatenate");
        if (!x)
            return -1;
        int same = x->kind == V_FLOATS && x->t->ndim == rank;
        for (int j = 0; same && j < rank; j++)
            same = j == d || x->t->dims[j] == first->dims[j];
        if (!same)
            return imp_fail(im, "it concatenates the constant '%s' with '%s', which differs in "
                            "kind or shape", n->inputs[0], x->name);
        if (size_add(dims[d], x->t->dims[d], ONNX_MAX_ELEMS, &dims[d]) < 0)
            return imp_fail(im, "it concatenates constants to more than %ld entries", ONNX_MAX_ELEMS);
    }
    OnnxTensor *t = new_tensor(im, rank, dims);
    if (!t)
        return -1;
    long outer = 1, inner = 1;
    for (int j = 0; j < d; j++)
        outer *= dims[j];
    for (int j = d + 1; j < rank; j++)
        inner *= dims[j];
    double *out = t->f;
    for (long o = 0; o < outer; o++)
        for (int k = 0; k < n->ninputs; k++) {
            const OnnxTensor *x = imp_input(im, k)->t;
            long block = x->dims[d] * inner;
            memcpy(out, x->f + o * block, (size_t)block * sizeof *out);
            out += block;
        }
    imp_define(im, n->outputs[0], imp_tensor_value(im, t));
    return 0;
}

static int op_concat(Importer *im)
{
    static const char *const ok[] = {"axis", NULL};
    if (imp_check_attrs(im, ok) < 0)
        return -1;
    const OnnxNode *n = im->node;
    const Value *first = imp_need_input(im, 0, "to concatenate");
    if (!first)
        return -1;
    if (first->kind == V_DATA)
        return concat_data(im);
    if (first->kind == V_FLOATS)
        return concat_floats(im);
    Value *v = imp_new_value(im, V_INTS);
    v->rank = 1;
    v->ints = arena_alloc(im->a, sizeof *v->ints);
    for (int k = 0; k < n->ninputs; k++) {
        const Value *x = imp_need_input(im, k, "to concatenate");
        if (!x)
            return -1;
        if (x->kind != V_INTS || x->rank != 1)
            return imp_fail(im, "input '%s' is not a shape: lstmc import concatenates only the "
                            "integer vectors of shape computations", x->name);
        /* Concat(s, s) doubles s: chained, it would grow without end. */
        if (x->n > IMP_MAX_INTS - v->n)
            return imp_fail(im, "the result would have more than %d entries; lstmc import "
                            "follows integer vectors (shapes, axes, indices) of at most %d",
                            IMP_MAX_INTS, IMP_MAX_INTS);
        SymInt *more = arena_alloc(im->a, (size_t)(v->n + x->n + 1) * sizeof *more);
        memcpy(more, v->ints, (size_t)v->n * sizeof *more);
        memcpy(more + v->n, x->ints, (size_t)x->n * sizeof *more);
        v->ints = more;
        v->n += x->n;
    }
    imp_define(im, n->outputs[0], v);
    return 0;
}

/* A tensor holding one number everywhere: ConstantOfShape (ConstantFill), or Expand of a
 * scalar. Its shape does not matter to lstmc: only initial states use it
 * (exporters' zeros, or one number for every cell). */
static int op_fill(Importer *im)
{
    const OnnxNode *n = im->node;
    Value *v = imp_new_value(im, V_FILL);
    if (strcmp(n->op, "ConstantOfShape") == 0) {
        static const char *const ok[] = {"value", NULL};
        if (imp_check_attrs(im, ok) < 0 || !imp_need_input(im, 0, "shape"))
            return -1;
        const OnnxAttr *at = onnx_attr(n, "value");
        if (at && at->t && at->t->count != 1)
            return imp_fail(im, "attribute 'value' must hold one number");
        v->fill = !at || !at->t ? 0.0 : at->t->f ? at->t->f[0] : (double)at->t->i[0];
    } else if (strcmp(n->op, "ConstantFill") == 0) {
        /* the experimental op of opsets 1 to 8 that PyTorch exports there */
        static const char *const ok[] = {"dtype", "extra_shape", "input_as_shape", "shape",
                                         "value", NULL};
        if (imp_check_attrs(im, ok) < 0)
            return -1;
        const OnnxAttr *at = onnx_attr(n, "value");
        v->fill = at ? at->f : 0.0;
    } else {
        static const char *const ok[] = {NULL};
        const Value *x = imp_need_input(im, 0, "input");
        if (imp_check_attrs(im, ok) < 0 || !x || !imp_need_input(im, 1, "shape"))
            return -1;
        int uniform = 1;
        if (x->kind == V_FILL) {
            v->fill = x->fill;
        } else if (x->kind == V_FLOATS && x->t->count > 0) {
            v->fill = x->t->f[0];
            for (long k = 1; k < x->t->count; k++)
                uniform &= x->t->f[k] == v->fill;
        } else if (x->kind == V_INTS && x->n > 0) {
            v->fill = (double)x->ints[0].v;
            for (int k = 0; k < x->n; k++)
                uniform &= x->ints[k].sym < 0 && x->ints[k].v == x->ints[0].v;
        } else {
            uniform = 0;
        }
        if (!uniform)
            return imp_fail(im, "lstmc import expands only a constant holding one value (as for "
                            "zero initial states); '%s' is not one", x->name);
    }
    imp_define(im, n->outputs[0], v);
    return 0;
}

/* Cast of a float constant to integers: old exporters (opsets 7 and 8)
 * write the numbers of a shape as floats, then cast them. */
static int cast_to_ints(Importer *im, const Value *x)
{
    const OnnxTensor *t = x->t;
    if (t->ndim > 1)
        return imp_fail(im, "a cast of '%s', a constant of rank %d, to integers is not supported "
                        "(lstmc import follows integer scalars and vectors: shapes, axes, "
                        "indices)", x->name, t->ndim);
    Value *v = imp_new_value(im, V_INTS);
    v->rank = t->ndim;
    v->n = (int)t->count;
    v->ints = arena_alloc(im->a, (size_t)(v->n + 1) * sizeof *v->ints);
    for (int k = 0; k < v->n; k++) {
        double f = t->f[k];
        if (!(f >= -9.2e18 && f <= 9.2e18))
            return imp_fail(im, "'%s' holds %g, which does not fit an integer", x->name, f);
        v->ints[k] = (SymInt){(long)f, -1};   /* toward zero, as ONNX's Cast */
    }
    imp_define(im, im->node->outputs[0], v);
    return 0;
}

static int op_identity(Importer *im)
{
    const OnnxNode *n = im->node;
    if (strcmp(n->op, "Dropout") == 0) {
        static const char *const ok[] = {"ratio", "seed", "is_test", NULL};
        if (imp_check_attrs(im, ok) < 0)
            return -1;
        const Value *training = imp_input(im, 2);
        if (training && !(training->kind == V_INTS && training->n == 1 &&
                          training->ints[0].v == 0 && training->ints[0].sym < 0))
            return imp_fail(im, "input training_mode must be absent or false: lstmc runs "
                            "inference only");
        if (n->noutputs > 1)
            imp_define(im, n->outputs[1], imp_bad_value(im, "Dropout's mask, which lstmc "
                                                            "import does not support"));
    } else if (strcmp(n->op, "Cast") == 0) {
        static const char *const ok[] = {"to", "saturate", NULL};
        if (imp_check_attrs(im, ok) < 0)
            return -1;
        const Value *x = imp_need_input(im, 0, "input");
        if (!x)
            return -1;
        long to = imp_attr_int(im, "to", 0);
        int to_int = to == ONNX_INT64 || to == ONNX_INT32;
        int to_float = to == ONNX_FLOAT || to == ONNX_DOUBLE;
        if (x->kind == V_FLOATS && to_int)
            return cast_to_ints(im, x);
        if (!(x->kind == V_INTS ? to_int : x->kind == V_FILL ? to_int || to_float : to_float))
            return imp_fail(im, "a cast of '%s' to %s is not supported", x->name,
                            onnx_dtype_name((int)to));
    } else {
        static const char *const ok[] = {NULL};
        if (imp_check_attrs(im, ok) < 0)
            return -1;
    }
    const Value *x = imp_need_input(im, 0, "input");
    if (!x)
        return -1;
    imp_define(im, n->outputs[0], (Value *)x);
    return 0;
}

/* ---- ops: moving axes ---- */

static int op_transpose(Importer *im)
{
    static const char *const ok[] = {"perm", NULL};
    const Value *x = imp_need_input(im, 0, "data");
    if (imp_check_attrs(im, ok) < 0 || !x)
        return -1;
    if (x->kind == V_FILL) {
        imp_define(im, im->node->outputs[0], (Value *)x);
        return 0;
    }
    int rank = x->kind == V_DATA ? x->rank : x->kind == V_FLOATS ? x->t->ndim : -1;
    if (rank < 0)
        return imp_fail(im, "transposing '%s' is not supported", x->name);
    const OnnxAttr *at = onnx_attr(im->node, "perm");
    long perm[MAX_AXES];
    int seen[MAX_AXES] = {0};
    if (at && at->n != rank)
        return imp_fail(im, "attribute 'perm' has %d values for a tensor of rank %d", at->n, rank);
    for (int d = 0; d < rank; d++) {
        perm[d] = at ? at->ints[d] : rank - 1 - d;
        if (perm[d] < 0 || perm[d] >= rank || seen[perm[d]]++)
            return imp_fail(im, "attribute 'perm' is not a permutation of 0..%d", rank - 1);
    }
    Value *v = imp_new_value(im, x->kind);
    *v = *x;
    if (x->kind == V_DATA) {
        for (int d = 0; d < rank; d++)
            v->ax[d] = x->ax[perm[d]];
    } else {
        long dims[MAX_AXES] = {0}, stride[MAX_AXES] = {0};
        for (int d = 0; d < rank; d++)
            dims[d] = x->t->dims[perm[d]];
        OnnxTensor *t = new_tensor(im, rank, dims);
        if (!t)
            return -1;
        t->name = x->t->name;
        if (rank > 0)   /* a scalar (rank 0) has no strides: it is its own transpose */
            stride[rank - 1] = 1;
        for (int d = rank - 2; d >= 0; d--)
            stride[d] = stride[d + 1] * x->t->dims[d + 1];
        for (long k = 0; k < t->count; k++) {
            long rest = k, src = 0;
            for (int d = rank - 1; d >= 0; d--) {
                src += (rest % dims[d]) * stride[perm[d]];
                rest /= dims[d];
            }
            t->f[k] = x->t->f[src];
        }
        v->t = t;
    }
    imp_define(im, im->node->outputs[0], v);
    return 0;
}

static int op_unsqueeze(Importer *im)
{
    static const char *const ok[] = {"axes", NULL};
    const Value *x = imp_need_input(im, 0, "data");
    if (imp_check_attrs(im, ok) < 0 || !x)
        return -1;
    long axes[MAX_AXES];
    int n = imp_node_axes(im, 1, 13, axes);
    if (n < 0)
        return -1;
    int rank = x->kind == V_DATA ? x->rank : x->kind == V_FLOATS ? x->t->ndim
             : x->kind == V_INTS ? x->rank : 0;
    int out_rank = rank + n;
    if (out_rank > MAX_AXES)
        return imp_fail(im, "the result would have more than %d axes", MAX_AXES);
    int insert[MAX_AXES] = {0};
    for (int k = 0; k < n; k++) {
        int a = imp_norm_axis(im, axes[k], out_rank);
        if (a < 0)
            return -1;
        if (insert[a]++)
            return imp_fail(im, "axis %ld is given twice", axes[k]);
    }
    Value *v = imp_new_value(im, x->kind);
    *v = *x;
    if (x->kind == V_INTS) {
        if (out_rank > 1)
            return imp_fail(im, "an integer vector of rank %d is not supported", out_rank);
        v->rank = out_rank;
    } else if (x->kind == V_DATA || x->kind == V_FLOATS) {
        long dims[MAX_AXES];
        for (int d = 0, s = 0; d < out_rank; d++) {
            if (x->kind == V_DATA)
                v->ax[d] = insert[d] ? (Axis){AX_ONE, -1, 1} : x->ax[s];
            else
                dims[d] = insert[d] ? 1 : x->t->dims[s];
            s += !insert[d];
        }
        if (x->kind == V_DATA) {
            v->rank = out_rank;
        } else {
            OnnxTensor *t = arena_alloc(im->a, sizeof *t);
            *t = *x->t;
            t->ndim = out_rank;
            memcpy(t->dims, dims, sizeof dims);
            v->t = t;
        }
    }
    imp_define(im, im->node->outputs[0], v);
    return 0;
}

static int op_squeeze(Importer *im)
{
    static const char *const ok[] = {"axes", NULL};
    const Value *x = imp_need_input(im, 0, "data");
    if (imp_check_attrs(im, ok) < 0 || !x)
        return -1;
    long axes[MAX_AXES];
    int n = imp_node_axes(im, 1, 13, axes);
    if (n < 0)
        return -1;
    Value *v = imp_new_value(im, x->kind);
    *v = *x;
    if (x->kind == V_INTS) {
        if (x->rank != 1 || x->n != 1)
            return imp_fail(im, "squeezing '%s' is not supported", x->name);
        v->rank = 0;
    } else if (x->kind == V_DATA || x->kind == V_FLOATS) {
        int rank = x->kind == V_DATA ? x->rank : x->t->ndim;
        int drop[MAX_AXES] = {0};
        for (int k = 0; k < n; k++) {
            int a = imp_norm_axis(im, axes[k], rank);
            if (a < 0)
                return -1;
            drop[a] = 1;
        }
        for (int d = 0; d < rank; d++) {
            long size = x->kind == V_DATA ? x->ax[d].size : x->t->dims[d];
            if (n == 0)
                drop[d] = size == 1;
            if (drop[d] && size != 1)
                return imp_fail(im, "it squeezes axis %d, %s, whose size is %s", d,
                                x->kind == V_DATA ? imp_axis_desc(im, x->ax[d]) : "of a constant",
                                size < 0 ? "not known" : arena_printf(im->a, "%ld", size));
            if (drop[d] && x->kind == V_DATA && imp_is_time(im, x->ax[d]))
                return imp_fail(im, "it squeezes the time axis");
        }
        int r = 0;
        long dims[MAX_AXES];
        for (int d = 0; d < rank; d++) {
            if (drop[d])
                continue;
            if (x->kind == V_DATA)
                v->ax[r] = x->ax[d];
            else
                dims[r] = x->t->dims[d];
            r++;
        }
        if (x->kind == V_DATA) {
            v->rank = r;
        } else {
            OnnxTensor *t = arena_alloc(im->a, sizeof *t);
            *t = *x->t;
            t->ndim = r;
            memcpy(t->dims, dims, sizeof dims);
            v->t = t;
        }
    }
    imp_define(im, im->node->outputs[0], v);
    return 0;
}

/* Marks time as reduced to its last step: the axis stays, of size 1. */
static void take_last(Value *v, int d)
{
    v->ax[d] = (Axis){AX_ONE, -1, 1};
    v->reduced = OUT_LAST;
}

/* Which input axis is time must be known before a node selects steps. */
static int need_time_known(Importer *im)
{
    if (im->time_sym < 0)
        return imp_fail(im, "it selects along an axis of the graph input before any LSTM, GRU or "
                        "RNN node read it; lstmc import reads the sequence whole into a recurrent "
                        "node (a loop of cells stepping through it, as an nn.LSTMCell loop "
                        "exports, is not imported: export the nn.LSTM it computes, or save the cell's "
                        "weights as safetensors for a spec with `from pytorch`)");
    return 0;
}

/* v = entry `at` (negative: from the end) of axis d of data value x, the
 * axis kept with size 1: the last time step, one direction's final state
 * of a bidirectional layer, the last of the stacked layers' final states,
 * or the one entry of a size-1 axis. Returns 0, or -1 after reporting. */
static int select_entry(Importer *im, const Value *x, int d, long at, Value *v)
{
    Axis ax = x->ax[d];
    if (ax.kind == AX_SYM && need_time_known(im) < 0)
        return -1;
    long i = at < 0 && ax.size > 0 ? at + ax.size : at;
    /* An entry of the last of the concatenated values (PyTorch's h_n), of
     * the last of theirs if that is a concatenation too: a loop, as a
     * hostile graph may nest them deeply. */
    while (ax.kind == AX_STACK) {
        const Value *part = x->stack_last;
        long first = ax.size - part->ax[d].size;
        if (i < first || i >= ax.size)
            return imp_fail(im, "it selects index %ld of a concatenation of several values (the "
                            "final states of stacked layers); lstmc import follows only the "
                            "entries of the last one (h_n[-1], or h_n[-2] and h_n[-1] of a "
                            "bidirectional last layer)", at);
        i -= first;
        at = i;
        x = part;
        ax = x->ax[d];
    }
    *v = *x;
    if (imp_is_time(im, ax) && x->flipped) {
        /* the flipped sequence of a backward layer: its last entry is the
         * state after reading step 0 (output final), its first the state
         * after the last step alone (output last) */
        if (!(at == -1 || at == 0 || (ax.size > 0 && at == ax.size - 1)))
            return imp_fail(im, "it selects entry %ld of the flipped time axis; lstmc outputs "
                            "every step, the last one or the final state", at);
        take_last(v, d);
        v->reduced = at == 0 && ax.size != 1 ? OUT_LAST : OUT_FINAL;
        v->flipped = 0;
        return 0;
    }
    if (imp_is_time(im, ax)) {
        if (!(at == -1 || (ax.size > 0 && at == ax.size - 1)))
            return imp_fail(im, "it selects time step %ld; lstmc outputs every step or the last "
                            "one (index -1)", at);
        take_last(v, d);
        return 0;
    }
    if (ax.kind == AX_DIR && ax.size == 2 && x->reduced == OUT_FINAL && (i == 0 || i == 1)) {
        v->dir_part = (int)i + 1;
    } else if (!(ax.kind == AX_SYM || ax.size == 1) || !(at == 0 || at == -1)) {
        return imp_fail(im, "it selects index %ld of %s; lstmc import supports selecting the last "
                        "time step, one direction's final state (Y_h) or squeezing a size-1 "
                        "axis", at, imp_axis_desc(im, ax));
    }
    v->ax[d] = (Axis){AX_ONE, -1, 1};
    return 0;
}

static int op_gather(Importer *im)
{
    static const char *const ok[] = {"axis", NULL};
    const Value *ids = imp_input(im, 1);
    if (ids && ids->kind == V_BAD && ids->ids)
        return imp_check_attrs(im, ok) < 0 ? -1 : imp_embedding(im, ids);
    const Value *x = imp_need_input(im, 0, "data"), *idx = imp_need_input(im, 1, "indices");
    if (imp_check_attrs(im, ok) < 0 || !x || !idx)
        return -1;
    long at[MAX_AXES];
    int n = imp_known_ints(im, idx, "indices", at, MAX_AXES);
    if (n < 0)
        return -1;
    Value *v = imp_new_value(im, x->kind);
    *v = *x;
    if (x->kind == V_FILL) {
        imp_define(im, im->node->outputs[0], v);
        return 0;
    }
    if (x->kind == V_INTS) {
        if (x->rank != 1 || imp_attr_int(im, "axis", 0) != 0)
            return imp_fail(im, "gathering from '%s' is not supported", x->name);
        v->rank = idx->rank;
        v->n = n;
        v->ints = arena_alloc(im->a, (size_t)(n + 1) * sizeof *v->ints);
        for (int k = 0; k < n; k++) {
            long i = at[k] < 0 ? at[k] + x->n : at[k];
            if (i < 0 || i >= x->n)
                return imp_fail(im, "index %ld is out of range for '%s' of %d values", at[k],
                                x->name, x->n);
            v->ints[k] = x->ints[i];
        }
        imp_define(im, im->node->outputs[0], v);
        return 0;
    }
    if (x->kind != V_DATA)
        return imp_fail(im, "gathering from '%s' is not supported", x->name);
    int d = imp_norm_axis(im, imp_attr_int(im, "axis", 0), x->rank);
    if (d < 0)
        return -1;
    if (n != 1 || idx->rank > 1)
        return imp_fail(im, "it gathers %d indices; lstmc import supports one index (the last time "
                        "step, or 0 on a size-1 axis)", n);
    if (select_entry(im, x, d, at[0], v) < 0)
        return -1;
    /* An index (rank 0) removes the axis; a list of one keeps it, size 1. */
    if (idx->rank == 0) {
        for (int k = d; k + 1 < v->rank; k++)
            v->ax[k] = v->ax[k + 1];
        v->rank--;
    }
    imp_define(im, im->node->outputs[0], v);
    return 0;
}

/* Slice of a float constant (steps of 1): opsets 7 and 8 exports cut
 * PyTorch's weights into gates this way. */
static int slice_floats(Importer *im, const Value *x, int n, const long *starts, const long *ends,
                        const long *axes, const long *steps)
{
    const OnnxTensor *src = x->t;
    int rank = src->ndim;
    long begin[MAX_AXES] = {0}, dims[MAX_AXES];
    memcpy(dims, src->dims, sizeof dims);
    for (int k = 0; k < n; k++) {
        int d = imp_norm_axis(im, axes[k], rank);
        if (d < 0)
            return -1;
        if (steps[k] != 1)
            return imp_fail(im, "it slices the constant '%s' with step %ld; only step 1 is "
                            "supported", x->name, steps[k]);
        long size = src->dims[d];
        long b = starts[k] < 0 ? starts[k] + size : starts[k];
        long e = ends[k] < 0 ? ends[k] + size : ends[k];
        b = b < 0 ? 0 : b > size ? size : b;
        e = e < b ? b : e > size ? size : e;
        begin[d] = b;
        dims[d] = e - b;
    }
    OnnxTensor *t = new_tensor(im, rank, dims);
    if (!t)
        return -1;
    for (long k = 0; k < t->count; k++) {
        long rest = k, at = 0, stride = 1;
        for (int d = rank - 1; d >= 0; d--) {
            at += (begin[d] + rest % dims[d]) * stride;
            rest /= dims[d];
            stride *= src->dims[d];
        }
        t->f[k] = src->f[at];
    }
    imp_define(im, im->node->outputs[0], imp_tensor_value(im, t));
    return 0;
}

/* A Slice with step -1 over the whole of axis d of data value v, from b to
 * e: torch.flip of the time axis (before any recurrent node, of the axis
 * that must turn out to be time). Marks v flipped (twice: not) and returns
 * 0; 1 when the slice is not that. */
static int flip_time(Importer *im, Value *v, int d, long b, long e)
{
    long size = v->ax[d].size;
    int from_end = b == -1 || b >= INT_MAX || (size > 0 && b >= size - 1);
    int to_start = e <= INT_MIN || (size > 0 && e < -size);
    if (!from_end || !to_start || (im->time_sym >= 0 && !imp_is_time(im, v->ax[d])) ||
        (v->flipped && v->flip_sym != v->ax[d].sym))
        return 1;
    v->flipped = !v->flipped;
    v->flip_sym = v->ax[d].sym;
    return 0;
}

static int op_slice(Importer *im)
{
    static const char *const ok_old[] = {"starts", "ends", "axes", NULL};
    static const char *const ok_new[] = {NULL};
    int old = im->g->opset < 10;
    const Value *x = imp_input(im, 0);
    if (!x || x->kind != V_BAD || !x->state_of)
        x = imp_need_input(im, 0, "data");
    if (imp_check_attrs(im, old ? ok_old : ok_new) < 0 || !x)
        return -1;
    long starts[MAX_AXES], ends[MAX_AXES], axes[MAX_AXES], steps[MAX_AXES];
    int n, ne, na, ns = 0;
    if (old) {
        const OnnxAttr *s = onnx_attr(im->node, "starts"), *e = onnx_attr(im->node, "ends"),
                       *a = onnx_attr(im->node, "axes");
        if (!s || !e || s->n > MAX_AXES || (a && a->n > MAX_AXES))
            return imp_fail(im, "attributes 'starts' and 'ends' must be given (at most %d values)",
                            MAX_AXES);
        n = s->n, ne = e->n, na = a ? a->n : 0;
        for (int k = 0; k < n; k++)
            starts[k] = s->ints[k];
        for (int k = 0; k < ne && k < MAX_AXES; k++)
            ends[k] = e->ints[k];
        for (int k = 0; k < na; k++)
            axes[k] = a->ints[k];
    } else {
        const Value *s = imp_need_input(im, 1, "starts"), *e = imp_need_input(im, 2, "ends");
        const Value *a = imp_input(im, 3), *st = imp_input(im, 4);
        if (!s || !e)
            return -1;
        if ((n = imp_known_ints(im, s, "starts", starts, MAX_AXES)) < 0 ||
            (ne = imp_known_ints(im, e, "ends", ends, MAX_AXES)) < 0 ||
            (na = a ? imp_known_ints(im, a, "axes", axes, MAX_AXES) : 0) < 0 ||
            (ns = st ? imp_known_ints(im, st, "steps", steps, MAX_AXES) : 0) < 0)
            return -1;
    }
    if (ne != n || (na && na != n) || (ns && ns != n))
        return imp_fail(im, "starts, ends, axes and steps have different lengths");
    for (int k = 0; k < n; k++) {
        if (!na)
            axes[k] = k;
        if (!ns)
            steps[k] = 1;
    }
    Value *v = imp_new_value(im, x->kind);
    *v = *x;
    if (x->kind == V_FILL) {
        imp_define(im, im->node->outputs[0], v);   /* a part of a fill is the same fill */
        return 0;
    }
    if (x->kind == V_BAD) {
        /* a graph input of initial states: a layer's entries, h0[2 * k : 2 * k + 2] */
        long b = starts[0] < 0 ? starts[0] + x->state_count : starts[0];
        long e = ends[0] < 0 ? ends[0] + x->state_count : ends[0];
        if (n != 1 || steps[0] != 1 || (axes[0] != 0 && axes[0] != -3))
            return imp_fail(im, "it slices '%s', a graph input of initial states, other than along "
                            "its first axis (layers and directions); lstmc import reads a layer's "
                            "initial state as its entries of that axis", x->name);
        b = b < 0 ? 0 : b > x->state_count ? x->state_count : b;
        e = e < b ? b : e > x->state_count ? x->state_count : e;
        v->state_first += b;
        v->state_count = e - b;
        imp_define(im, im->node->outputs[0], v);
        return 0;
    }
    if (x->kind == V_INTS) {
        if (n != 1 || steps[0] != 1 || x->rank != 1)
            return imp_fail(im, "slicing '%s' this way is not supported", x->name);
        long b = starts[0] < 0 ? starts[0] + x->n : starts[0];
        long e = ends[0] < 0 ? ends[0] + x->n : ends[0];
        b = b < 0 ? 0 : b > x->n ? x->n : b;
        e = e < b ? b : e > x->n ? x->n : e;
        v->n = (int)(e - b);
        v->ints = x->ints + b;
        imp_define(im, im->node->outputs[0], v);
        return 0;
    }
    if (x->kind == V_FLOATS)
        return slice_floats(im, x, n, starts, ends, axes, steps);
    if (x->kind != V_DATA)
        return imp_fail(im, "slicing '%s' is not supported", x->name);
    for (int k = 0; k < n; k++) {
        int d = imp_norm_axis(im, axes[k], x->rank);
        if (d < 0)
            return -1;
        Axis ax = v->ax[d];
        long size = ax.size, b = starts[k], e = ends[k];
        /* "to the end" is written INT_MAX, INT64_MAX or the size */
        int to_end = e >= INT_MAX || (size > 0 && e >= size);
        if (steps[k] == -1 && ax.kind == AX_SYM && flip_time(im, v, d, b, e) == 0)
            continue;
        if (steps[k] != 1)
            return imp_fail(im, "it slices %s with step %ld; only step 1 is supported, and step -1 "
                            "over the whole time axis (torch.flip)", imp_axis_desc(im, ax), steps[k]);
        if (ax.kind == AX_SYM && need_time_known(im) < 0)
            return -1;
        if (b == 0 && to_end)
            continue;   /* the whole axis */
        long nb = b < 0 && size > 0 ? b + size : b, nend = e < 0 && size > 0 ? e + size : e;
        if (ax.kind == AX_STACK && to_end && nb == size - v->stack_last->ax[d].size) {
            *v = *v->stack_last;   /* the whole last part: h_n[-2:] of a bidirectional layer */
            continue;
        }
        /* one entry: [-1:] (to the end), or [i, i + 1) of a known size */
        if ((b == -1 && to_end) || (size > 0 && nb >= 0 && (nend == nb + 1 || (to_end && nb == size - 1)))) {
            Value part;
            if (select_entry(im, v, d, b == -1 ? -1 : nb, &part) < 0)
                return -1;
            *v = part;
            continue;
        }
        return imp_fail(im, "it selects [%ld, %ld) of %s; lstmc import supports slicing one entry "
                        "(the last time step, one direction's final state, the last of stacked "
                        "final states) or the whole axis", b, e, imp_axis_desc(im, ax));
    }
    imp_define(im, im->node->outputs[0], v);
    return 0;
}

/* Reshape of a data value. Target entries: a known size, "copy axis k"
 * (0, or a symbolic size from Shape), or -1 (inferred). Size-1 axes come
 * and go freely; other axes are matched in order, and the only merge lstmc
 * can follow is (directions, features) -> features, which is exactly its
 * own order for bidirectional outputs (forward, then backward). */
typedef struct Target {
    enum { T_KNOWN, T_COPY, T_SYM, T_INFER } kind;
    long v;                     /* T_KNOWN size, T_COPY source axis, T_SYM input axis */
} Target;

/* Takes source axes from *i (moving by step, +1 or -1) until their sizes
 * multiply to want (want < 0: exactly one axis); writes the merged axis.
 * Returns 0, or -1 after reporting. */
static int take_axes(Importer *im, const Value *x, int *i, int end, int step, long want,
                     Axis *out)
{
    Axis got[2];
    int ngot = 0;
    long prod = 1;
    while (*i != end && (want < 0 ? ngot < 1 : prod < want || (prod == want && ngot == 0))) {
        Axis ax = x->ax[*i];
        *i += step;
        if (imp_is_unit(im, ax) && want != 1 && want > 0 && (ngot > 0 || ax.kind != AX_SYM))
            continue;   /* a size-1 axis before or inside the group (a static batch of 1) */
        if (ngot == 2 || ax.kind == AX_SYM || ax.size < 0) {
            if (ngot == 0 && (want < 0 || ax.size == want)) {
                got[ngot++] = ax;
                prod = want;
                break;
            }
            return imp_fail(im, "it reshapes %s together with other axes, which lstmc import "
                            "cannot follow", imp_axis_desc(im, ax));
        }
        got[ngot++] = ax;
        prod *= ax.size;
    }
    if (ngot == 0)
        return imp_fail(im, "its target shape does not match its input");
    if (want > 0 && prod != want)
        return imp_fail(im, "its target size %ld does not match the input axes it covers", want);
    if (ngot == 1) {
        *out = got[0];
        return 0;
    }
    Axis a = step > 0 ? got[0] : got[1], b = step > 0 ? got[1] : got[0];
    if (a.kind == AX_DIR && b.kind == AX_FEAT) {
        *out = (Axis){AX_FEAT, -1, a.size * b.size};
        return 0;
    }
    if (a.size == 1 || b.size == 1) {
        *out = a.size == 1 ? b : a;
        return 0;
    }
    return imp_fail(im, "it merges %s and %s into one axis; lstmc import follows only the merge "
                    "of directions and features (in that order)", imp_axis_desc(im, a),
                    imp_axis_desc(im, b));
}

/* Whether target entries k, k + 1 (before `to`) split source axis i, the
 * concatenated final states of stacked layers (PyTorch's h_n, layers *
 * directions entries), into (layers, directions), the last layer's part
 * being one entry per direction: h_n.view(num_layers, 2, B, H). */
static int split_stack(const Value *x, int i, const Target *tg, int k, int to)
{
    if (k + 1 >= to || x->ax[i].kind != AX_STACK || tg[k].kind != T_KNOWN ||
        tg[k + 1].kind != T_KNOWN || tg[k].v < 2)
        return 0;
    Axis last = x->stack_last->ax[i];
    return last.kind != AX_STACK && last.size == tg[k + 1].v && tg[k].v * tg[k + 1].v == x->ax[i].size;
}

static int reshape_data(Importer *im, const Value *x, const Target *tg, int nt, Value *v)
{
    int infer = -1;
    for (int k = 0; k < nt; k++)
        if (tg[k].kind == T_INFER) {
            if (infer >= 0)
                return imp_fail(im, "its target shape has more than one -1");
            infer = k;
        }
    int left = 0, right = x->rank - 1;
    Axis out[MAX_AXES];
    int split = -1;   /* the target axis where a stack of final states was split */
    /* Entries before -1 from the left, entries after it from the right. */
    for (int pass = 0; pass < 2; pass++) {
        int from = pass == 0 ? 0 : nt - 1, to = pass == 0 ? (infer >= 0 ? infer : nt) : infer;
        int step = pass == 0 ? 1 : -1;
        if (pass == 1 && infer < 0)
            break;
        for (int k = from; k != to; k += step) {
            int *i = pass == 0 ? &left : &right;
            int end = pass == 0 ? right + 1 : left - 1;
            const Target *t = &tg[k];
            if (t->kind == T_KNOWN && t->v == 1) {
                out[k] = (Axis){AX_ONE, -1, 1};
                /* it may stand for a size-1 source axis: pass over it */
                if (*i != end && imp_is_unit(im, x->ax[*i]))
                    *i += step;
                continue;
            }
            if (t->kind == T_COPY || t->kind == T_SYM) {
                while (*i != end && imp_is_unit(im, x->ax[*i]) &&
                       !(t->kind == T_COPY && *i == t->v) &&
                       !(t->kind == T_SYM && x->ax[*i].kind == AX_SYM && x->ax[*i].sym == t->v))
                    *i += step;
                int ok = *i != end && (t->kind == T_COPY ? *i == t->v
                                       : x->ax[*i].kind == AX_SYM && x->ax[*i].sym == t->v);
                if (!ok)
                    return imp_fail(im, "its target shape keeps an axis of the input at another "
                                    "position, which lstmc import cannot follow");
                out[k] = x->ax[*i];
                *i += step;
                continue;
            }
            if (pass == 0 && split_stack(x, *i, tg, k, to)) {
                /* h_n.view(layers, directions, B, H): the stack of layers,
                 * then the last layer's own axis of directions */
                out[k] = (Axis){AX_STACK, -1, t->v};
                out[k + 1] = x->stack_last->ax[*i];
                split = k++;
                *i += 1;
                continue;
            }
            if (take_axes(im, x, i, end, step, t->v, &out[k]) < 0)
                return -1;
        }
    }
    if (infer >= 0) {
        /* -1: whatever lies between, past size-1 axes */
        while (left <= right && imp_is_unit(im, x->ax[left]))
            left++;
        while (right >= left && imp_is_unit(im, x->ax[right]))
            right--;
        if (left > right) {
            out[infer] = (Axis){AX_ONE, -1, 1};
        } else if (left == right) {
            out[infer] = x->ax[left];
        } else if (right - left == 1) {
            Axis a = x->ax[left], b = x->ax[right];
            if (a.kind != AX_DIR || b.kind != AX_FEAT)
                return imp_fail(im, "it merges %s and %s into one axis; lstmc import follows only "
                                "the merge of directions and features (in that order)",
                                imp_axis_desc(im, a), imp_axis_desc(im, b));
            out[infer] = (Axis){AX_FEAT, -1, a.size * b.size};
        } else {
            return imp_fail(im, "its -1 covers more than two axes of its input");
        }
        left = right + 1;
    }
    for (; left <= right; left++)
        if (!imp_is_unit(im, x->ax[left]))
            return imp_fail(im, "its target shape leaves out %s of its input",
                            imp_axis_desc(im, x->ax[left]));
    v->rank = nt;
    memcpy(v->ax, out, (size_t)nt * sizeof *out);
    if (split >= 0) {
        /* the last layer's part: its entry of the new stack axis, with the
         * rest of the target's axes */
        Value *part = imp_new_value(im, V_DATA);
        *part = *x->stack_last;
        part->rank = nt;
        memcpy(part->ax, out, (size_t)nt * sizeof *out);
        part->ax[split] = (Axis){AX_ONE, -1, 1};
        v->stack_last = part;
    }
    return 0;
}

static int op_reshape(Importer *im)
{
    static const char *const ok[] = {"allowzero", NULL};
    const Value *x = imp_need_input(im, 0, "data"), *shape = imp_need_input(im, 1, "shape");
    if (imp_check_attrs(im, ok) < 0 || !x || !shape)
        return -1;
    if (shape->kind != V_INTS || shape->rank != 1 || shape->n > MAX_AXES)
        return imp_fail(im, "its shape '%s' must be a constant integer vector", shape->name);
    int allowzero = (int)imp_attr_int(im, "allowzero", 0);
    Target tg[MAX_AXES];
    int nt = shape->n;
    for (int k = 0; k < nt; k++) {
        SymInt s = shape->ints[k];
        if (s.sym >= 0)
            tg[k] = (Target){T_SYM, s.sym};
        else if (s.v == -1)
            tg[k] = (Target){T_INFER, 0};
        else if (s.v == 0 && !allowzero)
            tg[k] = (Target){T_COPY, k};
        else if (s.v > 0)
            tg[k] = (Target){T_KNOWN, s.v};
        else
            return imp_fail(im, "its target shape has the entry %ld", s.v);
    }
    Value *v = imp_new_value(im, x->kind);
    *v = *x;
    if (x->kind == V_FILL) {
        /* any shape */
    } else if (x->kind == V_FLOATS) {
        long dims[MAX_AXES], known = 1;
        for (int k = 0; k < nt; k++) {
            if (tg[k].kind == T_SYM)
                return imp_fail(im, "reshaping constant '%s' to a symbolic shape", x->name);
            dims[k] = tg[k].kind == T_COPY ? (k < x->t->ndim ? x->t->dims[k] : -2)
                    : tg[k].kind == T_KNOWN ? tg[k].v : -1;
            if (dims[k] == -2)
                return imp_fail(im, "its target shape copies axis %d, which '%s' does not have",
                                k, x->name);
            if (dims[k] >= 0 && size_mul(known, dims[k], ONNX_MAX_ELEMS, &known) < 0)
                return imp_fail(im, "it reshapes '%s' of %ld values to a shape of more than %ld "
                                "elements", x->name, x->t->count, ONNX_MAX_ELEMS);
        }
        for (int k = 0; k < nt; k++)
            if (dims[k] < 0)
                dims[k] = known ? x->t->count / known : 0;
        OnnxTensor *t = arena_alloc(im->a, sizeof *t);
        *t = *x->t;
        t->ndim = nt;
        memcpy(t->dims, dims, sizeof dims);
        long count = 1;
        int fits = 1;
        for (int k = 0; k < nt && fits; k++)
            fits = size_mul(count, dims[k], ONNX_MAX_ELEMS, &count) == 0;
        if (!fits || count != x->t->count)
            return imp_fail(im, "it reshapes '%s' of %ld values to %s", x->name, x->t->count,
                            dims_text(im->a, nt, dims));
        v->t = t;
    } else if (x->kind == V_DATA) {
        for (int k = 0; k < nt; k++)
            if (tg[k].kind == T_COPY && tg[k].v >= x->rank)
                return imp_fail(im, "its target shape copies axis %d, which its input does not "
                                "have", k);
        if (reshape_data(im, x, tg, nt, v) < 0)
            return -1;
    } else {
        return imp_fail(im, "reshaping '%s' is not supported", x->name);
    }
    imp_define(im, im->node->outputs[0], v);
    return 0;
}

/* ---- the ops of this file, for the walk (import.c) ---- */

const ImpOp imp_shape_ops[] = {
    {"Constant", op_constant}, {"Shape", op_shape}, {"Concat", op_concat},
    {"ConstantOfShape", op_fill}, {"ConstantFill", op_fill}, {"Expand", op_fill},
    {"Identity", op_identity}, {"Dropout", op_identity}, {"Cast", op_identity},
    {"Transpose", op_transpose}, {"Unsqueeze", op_unsqueeze}, {"Squeeze", op_squeeze},
    {"Gather", op_gather}, {"Slice", op_slice}, {"Reshape", op_reshape},
    {NULL, NULL},
};
