/*
 * import_layers.c - the importer's ops that make lstmc layers or fold into
 * them: LSTM, GRU and RNN (their activations, initial states), Gemm, MatMul and the
 * Add that brings its bias, Relu, Sigmoid, Tanh, Softmax and the other
 * activations, Abs, Add and Div as PyTorch writes softsign, and ReduceMean
 * and ReduceMax over time (output mean, max). Layers
 * form a chain: each takes the output of the one made before it.
 */
#include "import_impl.h"

#include <ctype.h>
#include <math.h>
#include <string.h>

/* ---- helpers ---- */

static const char *input_name(Importer *im, int k)
{
    return im->node->inputs[k];
}

static double attr_float(Importer *im, const char *name, double dflt)
{
    const OnnxAttr *at = onnx_attr(im->node, name);
    return at ? at->f : dflt;
}

/* Float data of a constant as float32, checked finite. NULL after reporting. */
static float *to_floats(Importer *im, const Value *v, const char *role, double scale)
{
    const OnnxTensor *t = v->t;
    float *out = arena_alloc(im->a, (size_t)(t->count ? t->count : 1) * sizeof *out);
    for (long k = 0; k < t->count; k++) {
        double x = t->f[k] * scale;
        if (!isfinite(x) || fabs(x) > 3.4028234663852886e38) {
            imp_fail(im, "%s '%s' holds %g at element %ld; weights must be finite float32 values",
                     role, v->name, t->f[k], k);
            return NULL;
        }
        out[k] = (float)x;
    }
    return out;
}

static const Value *const_input(Importer *im, int k, const char *role)
{
    const Value *v = imp_need_input(im, k, role);
    if (v && v->kind != V_FLOATS) {
        imp_fail(im, "its input %s '%s' must be a constant float tensor (an initializer)", role,
                 v->name);
        return NULL;
    }
    return v;
}

static int dims_are(const OnnxTensor *t, int ndim, const long *dims)
{
    if (t->ndim != ndim)
        return 0;
    for (int d = 0; d < ndim; d++)
        if (t->dims[d] != dims[d])
            return 0;
    return 1;
}

/* ---- the chain of layers ---- */

static ImportLayer *last_layer(Importer *im)
{
    return im->m->nlayers ? &im->m->layers[im->m->nlayers - 1] : NULL;
}

/* The node's data input k, which must be the current end of the chain: the
 * output of the last layer made, after any bias or activation folded into
 * it. Returns NULL after reporting. */
static const Value *chain_input(Importer *im, int k, const char *role)
{
    const Value *v = imp_need_input(im, k, role);
    if (!v)
        return NULL;
    if (v->kind != V_DATA) {
        imp_fail(im, "its input %s '%s' is a constant; lstmc import expects the data flowing from "
                 "the graph input here", role, v->name);
        return NULL;
    }
    if (v->depth != im->m->nlayers) {
        imp_fail(im, "its input '%s' comes from %s, but the graph has gone on from there to %s: "
                 "lstmc models are a chain, each layer taking the output of the one before",
                 v->name, imp_layer_desc(im, v->depth), imp_layer_desc(im, im->m->nlayers));
        return NULL;
    }
    if (v->version != im->version) {
        imp_fail(im, "its input '%s' is the output of %s before its bias or activation, which "
                 "the graph uses as well: lstmc models are a chain of layers", v->name,
                 imp_layer_desc(im, v->depth));
        return NULL;
    }
    if (v->dir_part) {
        imp_fail(im, "its input '%s' is the %s direction's final state alone; lstmc's 'output "
                 "final' is both, concatenated as torch.cat((h_n[-2], h_n[-1]), dim=1)",
                 v->name, v->dir_part == 1 ? "forward" : "backward");
        return NULL;
    }
    if (v->softsign) {
        imp_fail(im, "its input '%s' is %s of the output of %s, which lstmc import follows only "
                 "into x / (1 + |x|) (softsign)", v->name, v->softsign == 1 ? "|x|" : "1 + |x|",
                 imp_layer_desc(im, v->depth));
        return NULL;
    }
    return v;
}

static ImportLayer *add_layer(Importer *im, ImportKind kind)
{
    ImportModel *m = im->m;
    if (m->nlayers == im->cap_layers) {
        int cap = im->cap_layers ? 2 * im->cap_layers : 8;
        ImportLayer *bigger = arena_alloc(im->a, (size_t)cap * sizeof *bigger);
        if (m->nlayers)
            memcpy(bigger, m->layers, (size_t)m->nlayers * sizeof *bigger);
        m->layers = bigger;
        im->cap_layers = cap;
    }
    ImportLayer *L = &m->layers[m->nlayers++];
    memset(L, 0, sizeof *L);
    L->kind = kind;
    L->node = im->node->label;
    static const char *const kinds[] = {"lstm", "dense", "gru", "rnn"};
    L->name = kind == IMPORT_DENSE ? arena_printf(im->a, "dense%d", im->ndense++)
                                   : arena_printf(im->a, "%s%d", kinds[kind], im->nlstm++);
    im->version++;
    return L;
}

/* Whether an axis of a data value is its features of size n (a size-1
 * axis serves for n = 1). */
static int is_features(Axis ax, long n)
{
    return ax.size == n && (ax.kind == AX_FEAT || (n == 1 && ax.kind != AX_SYM));
}

/* "the last step" etc. of a one-row-per-sequence form, for messages. */
static const char *reduced_desc(OutputForm f)
{
    switch (f) {
    case OUT_LAST: return "the last step";
    case OUT_FINAL: return "each direction's final state";
    case OUT_MEAN: return "the mean over the steps";
    case OUT_MAX: return "the maximum over the steps";
    case OUT_SEQUENCE: break;
    }
    return "every step";
}

/* ---- ops: layers ---- */

typedef struct OnnxAct {
    const char *name;           /* lower case */
    ActKind kind;
    int alpha, beta;            /* takes them */
    double da, db;              /* their defaults (the ONNX operators'); NAN: none */
} OnnxAct;

static const OnnxAct onnx_acts[] = {
    {"sigmoid", ACT_SIGMOID, 0, 0, 0, 0},
    {"tanh", ACT_TANH, 0, 0, 0, 0},
    {"relu", ACT_RELU, 0, 0, 0, 0},
    {"affine", ACT_AFFINE, 1, 1, 1.0, 0.0},
    {"leakyrelu", ACT_LEAKY_RELU, 1, 0, 0.01, 0},
    {"thresholdedrelu", ACT_THRESHOLDED_RELU, 1, 0, 1.0, 0},
    {"scaledtanh", ACT_SCALED_TANH, 1, 1, NAN, NAN},
    {"hardsigmoid", ACT_HARD_SIGMOID, 1, 1, 0.2, 0.5},
    {"elu", ACT_ELU, 1, 0, 1.0, 0},
    {"softsign", ACT_SOFTSIGN, 0, 0, 0, 0},
    {"softplus", ACT_SOFTPLUS, 0, 0, 0, 0},
};

static const OnnxAct *find_act(const char *name)
{
    char lower[32];
    size_t k = 0;
    for (; name[k] && k + 1 < sizeof lower; k++)
        lower[k] = (char)tolower((unsigned char)name[k]);
    lower[k] = '\0';
    for (size_t i = 0; i < COUNT_OF(onnx_acts); i++)
        if (strcmp(onnx_acts[i].name, lower) == 0)
            return &onnx_acts[i];
    return NULL;
}

/* What tells the recurrent operators apart: LSTM (gates i, o, f, c), GRU
 * (z, r, h) and RNN (one block of rows). */
typedef struct RecurrentOp {
    const char *op;
    ImportKind kind;
    int parts;                  /* blocks of hidden_size rows in W and R */
    int nacts;                  /* activations per direction */
    const char *act_names;      /* as the operator's documentation names them */
    const char *dflt[3];        /* the default activations */
    const char *const *attrs;   /* the attributes it takes */
} RecurrentOp;

/* The node's activations (one set for both directions): LSTM f, g, h; GRU
 * f, g; RNN f. The alpha and beta lists are consumed in activation order
 * by the activations that take them, as onnxruntime reads them; an absent
 * list means the ONNX operators' defaults. */
static int recurrent_activations(Importer *im, const RecurrentOp *ro, int dirs, Activation act[3])
{
    const int na = ro->nacts;
    const OnnxAttr *names = onnx_attr(im->node, "activations");
    const OnnxAttr *alpha = onnx_attr(im->node, "activation_alpha");
    const OnnxAttr *beta = onnx_attr(im->node, "activation_beta");
    if (names && names->n != na * dirs)
        return imp_fail(im, "attribute 'activations' has %d names; a %s %s needs %d (%s%s)",
                        names->n, dirs == 2 ? "bidirectional" : "one-direction", ro->op, na * dirs,
                        ro->act_names, dirs == 2 ? " per direction" : "");
    int n_alpha = 0, n_beta = 0;
    Activation got[6];
    for (int k = 0; k < na * dirs; k++) {
        const char *name = names ? names->strings[k] : ro->dflt[k % na];
        const OnnxAct *oa = find_act(name);
        if (!oa)
            return imp_fail(im, "attribute 'activations' = '%s' is not supported (lstmc knows "
                            "Sigmoid, Tanh, Relu, Affine, LeakyRelu, ThresholdedRelu, ScaledTanh, "
                            "HardSigmoid, Elu, Softsign, Softplus)", name);
        got[k] = (Activation){oa->kind, 0, 0};
        if (oa->alpha) {
            got[k].a = alpha ? (n_alpha < alpha->n ? alpha->floats[n_alpha] : NAN) : oa->da;
            n_alpha++;
        }
        if (oa->beta) {
            got[k].b = beta ? (n_beta < beta->n ? beta->floats[n_beta] : NAN) : oa->db;
            n_beta++;
        }
        if (isnan(got[k].a) || isnan(got[k].b))
            return imp_fail(im, "activation %s needs %s, and attribute 'activation_%s' does not "
                            "give it", name, isnan(got[k].a) ? "alpha" : "beta",
                            isnan(got[k].a) ? "alpha" : "beta");
    }
    if (alpha && alpha->n != n_alpha)
        return imp_fail(im, "attribute 'activation_alpha' has %d values, but its activations take "
                        "%d (one for each activation that has an alpha, in order)", alpha->n,
                        n_alpha);
    if (beta && beta->n != n_beta)
        return imp_fail(im, "attribute 'activation_beta' has %d values, but its activations take "
                        "%d (one for each activation that has a beta, in order)", beta->n, n_beta);
    for (int k = 0; k < na; k++) {
        if (dirs == 2 && (got[k].kind != got[k + na].kind || got[k].a != got[k + na].a ||
                          got[k].b != got[k + na].b))
            return imp_fail(im, "its two directions use different activations; an lstmc layer "
                            "uses one set for both");
        act[k] = got[k];
    }
    return 0;
}

/* An initial state input, initial_h or initial_c: absent, a fill (one
 * number everywhere), or a constant of shape [D, B, H] (layout 1: [B, D,
 * H]) whose B batch rows all hold the same state, lstmc's one initial state
 * of every sequence. Sets *out to its [D, 1, H] values, or to NULL when it
 * is absent or zero. Returns 0, or -1 after reporting. */
/* initial_h or initial_c given at run time: a graph input of initial
 * states, or this layer's entries of one. Its entries must be where
 * lstmc's start state (NAME_set_state, --state-in) puts this layer's: every
 * layer's h (c: every LSTM layer's), layer by layer, forward before
 * backward, as PyTorch's h_0 and c_0. The spec starts from zeros. */
static int state_input(Importer *im, const Value *v, const char *role, int dirs, long H, long layout)
{
    int is_c = strcmp(role, "initial_c") == 0;
    long at = 0;
    for (int k = 0; k < im->m->nlayers; k++) {
        const ImportLayer *L = &im->m->layers[k];
        if (L->kind != IMPORT_DENSE && (!is_c || L->kind == IMPORT_LSTM))
            at += L->dirs;
    }
    if (layout)
        return imp_fail(im, "input %s '%s' is a graph input of initial states under layout 1 "
                        "(batch first); lstmc import reads them as [layers * directions, batch, "
                        "hidden] (layout 0)", role, v->name);
    if (v->state_count != dirs || v->state_size != H)
        return imp_fail(im, "input %s '%s' holds %ld entries of %ld from graph input '%s'; this "
                        "layer's initial state is %d of %ld (its directions, its hidden size)",
                        role, v->name, v->state_count, v->state_size, v->state_of, dirs, H);
    if (v->state_first != at)
        return imp_fail(im, "input %s '%s' is entries [%ld, %ld) of graph input '%s', where lstmc's "
                        "start state puts this layer at [%ld, %ld): every layer's %s, layer by "
                        "layer, forward before backward, as PyTorch's %s", role, v->name,
                        v->state_first, v->state_first + dirs, v->state_of, at, at + dirs,
                        is_c ? "c (LSTM layers)" : "h", is_c ? "c_0" : "h_0");
    ImportModel *m = im->m;
    int seen = 0;
    for (int k = 0; k < m->nstate_inputs; k++)
        seen |= strcmp(m->state_inputs[k], v->state_of) == 0;
    if (!seen && m->nstate_inputs < IMPORT_MAX_STATE_INPUTS)
        m->state_inputs[m->nstate_inputs++] = v->state_of;
    return 0;
}

static int initial_state(Importer *im, int k, const char *role, int dirs, long H, long layout,
                         float **out)
{
    *out = NULL;
    const Value *v = imp_input(im, k);
    if (!v)
        return 0;
    if (v->kind == V_BAD && v->state_of)
        return state_input(im, v, role, dirs, H, layout);
    if (v->kind == V_BAD)
        return imp_fail(im, "input %s '%s' is %s", role, v->name, v->why);
    if (v->kind == V_FILL) {
        if (v->fill == 0.0)
            return 0;
        if (!isfinite(v->fill) || fabs(v->fill) > 3.4028234663852886e38)
            return imp_fail(im, "input %s '%s' holds %g; an initial state must hold finite "
                            "float32 values", role, v->name, v->fill);
        *out = arena_alloc(im->a, (size_t)(dirs * H) * sizeof **out);
        for (long j = 0; j < dirs * H; j++)
            (*out)[j] = (float)v->fill;
        return 0;
    }
    if (v->kind != V_FLOATS)
        return imp_fail(im, "input %s '%s' is not a constant float tensor; " IMP_STATE_ONLY_CONSTANT,
                        role, v->name);
    const OnnxTensor *t = v->t;
    int b_axis = layout ? 0 : 1;
    long want[3] = {layout ? 1 : dirs, layout ? dirs : 1, H};
    if (t->ndim != 3 || t->dims[b_axis] < 1 || t->dims[1 - b_axis] != dirs || t->dims[2] != H)
        return imp_fail(im, "input %s '%s' has shape %s, expected %s (%s)", role, v->name,
                        dims_text(im->a, t->ndim, t->dims), dims_text(im->a, 3, want),
                        layout ? "batch, directions, hidden_size; layout 1"
                               : "directions, batch, hidden_size");
    float *f = to_floats(im, v, arena_printf(im->a, "input %s", role), 1.0);
    if (!f)
        return -1;
    long B = t->dims[b_axis];
    float *state = arena_alloc(im->a, (size_t)(dirs * H) * sizeof *state);
    int zero = 1;
    for (long d = 0; d < dirs; d++)
        for (long b = 0; b < B; b++)
            for (long j = 0; j < H; j++) {
                float x = f[(layout ? b * dirs + d : d * B + b) * H + j];
                if (b == 0) {
                    state[d * H + j] = x;
                    zero &= x == 0.0f;
                } else if (x != state[d * H + j]) {
                    return imp_fail(im, "input %s '%s' of shape %s: its %ld batch rows hold "
                                    "different states; lstmc starts every sequence from one "
                                    "initial state", role, v->name,
                                    dims_text(im->a, t->ndim, t->dims), B);
                }
            }
    *out = zero ? NULL : state;
    return 0;
}

static const char *const lstm_attrs[] = {"activation_alpha", "activation_beta", "activations",
                                         "clip", "direction", "hidden_size", "input_forget",
                                         "layout", NULL};
static const char *const gru_attrs[] = {"activation_alpha", "activation_beta", "activations",
                                        "clip", "direction", "hidden_size", "layout",
                                        "linear_before_reset", NULL};
static const char *const rnn_attrs[] = {"activation_alpha", "activation_beta", "activations",
                                        "clip", "direction", "hidden_size", "layout", NULL};
static const RecurrentOp lstm_op = {"LSTM", IMPORT_LSTM, 4, 3, "f, g, h", {"Sigmoid", "Tanh", "Tanh"},
                                    lstm_attrs};
static const RecurrentOp gru_op = {"GRU", IMPORT_GRU, 3, 2, "f, g", {"Sigmoid", "Tanh", NULL}, gru_attrs};
static const RecurrentOp rnn_op = {"RNN", IMPORT_RNN, 1, 1, "f", {"Tanh", NULL, NULL}, rnn_attrs};

/* Whether sequence_lens v gives every sequence the whole time axis t, as
 * lstmc runs them (ONNX's node tests spell out the full lengths). */
static int full_lengths(const Value *v, Axis t)
{
    if (!v || v->kind != V_INTS || t.size <= 0)
        return 0;
    for (int k = 0; k < v->n; k++)
        if (v->ints[k].sym >= 0 || v->ints[k].v != t.size)
            return 0;
    return 1;
}

/* An LSTM, GRU or RNN node: one layer, its tensors as ONNX stores them. */
static int op_recurrent(Importer *im, const RecurrentOp *ro)
{
    if (imp_check_attrs(im, ro->attrs) < 0)
        return -1;
    int lstm = ro->kind == IMPORT_LSTM, parts = ro->parts;
    const OnnxNode *n = im->node;
    const OnnxAttr *dir_attr = onnx_attr(n, "direction");
    const char *direction = dir_attr ? dir_attr->s : "forward";
    int dirs = strcmp(direction, "bidirectional") == 0 ? 2 : 1;
    int reverse = strcmp(direction, "reverse") == 0;
    if (dirs == 1 && !reverse && strcmp(direction, "forward") != 0)
        return imp_fail(im, "attribute 'direction' = '%s' is not one of forward, reverse, "
                        "bidirectional", direction);
    long layout = imp_attr_int(im, "layout", 0);
    if (layout != 0 && layout != 1)
        return imp_fail(im, "attribute 'layout' = %ld is not supported (0 or 1)", layout);
    long input_forget = imp_attr_int(im, "input_forget", 0);
    if (input_forget != 0 && input_forget != 1)
        return imp_fail(im, "attribute 'input_forget' = %ld is not supported (0 or 1)",
                        input_forget);
    long lbr = imp_attr_int(im, "linear_before_reset", 0);
    if (lbr != 0 && lbr != 1)
        return imp_fail(im, "attribute 'linear_before_reset' = %ld is not supported (0 or 1)", lbr);
    const OnnxAttr *clip = onnx_attr(n, "clip");
    if (clip && !(clip->f > 0))
        return imp_fail(im, "attribute 'clip' = %g is not supported: the threshold must be "
                        "positive", clip->f);
    Activation act[3] = {{ACT_IDENTITY, 0, 0}, {ACT_IDENTITY, 0, 0}, {ACT_IDENTITY, 0, 0}};
    if (recurrent_activations(im, ro, dirs, act) < 0)
        return -1;

    const Value *x = chain_input(im, 0, "X");
    if (!x)
        return -1;
    if (x->reduced != OUT_SEQUENCE)
        return imp_fail(im, "its input '%s' holds one row per sequence (%s); %s %s needs the "
                        "whole sequence", x->name, reduced_desc(x->reduced), lstm ? "an" : "a", ro->op);
    if (x->rank != 3)
        return imp_fail(im, "its input X '%s' has %d axes, expected 3", x->name, x->rank);
    Axis t_ax = x->ax[layout ? 1 : 0], b_ax = x->ax[layout ? 0 : 1], f_ax = x->ax[2];
    if (t_ax.kind != AX_SYM || (im->time_sym >= 0 && t_ax.sym != im->time_sym))
        return imp_fail(im, "its input X '%s' has %s where layout %ld puts time", x->name,
                        imp_axis_desc(im, t_ax), layout);
    if (!((b_ax.kind == AX_SYM && b_ax.sym != t_ax.sym) || imp_is_unit(im, b_ax)))
        return imp_fail(im, "its input X '%s' has %s where layout %ld puts the batch", x->name,
                        imp_axis_desc(im, b_ax), layout);
    if (x->flipped && x->flip_sym != t_ax.sym)
        return imp_fail(im, "its input X '%s' is flipped (torch.flip) along an axis other than "
                        "time, which lstmc import does not follow", x->name);
    if (x->flipped && dirs == 2)
        return imp_fail(im, "its input X '%s' is the sequence flipped in time (torch.flip): a "
                        "bidirectional layer over it gives its directions swapped, which lstmc "
                        "import does not follow; give it the sequence unflipped (its two "
                        "directions read both orders already)", x->name);
    if (x->flipped)
        reverse = !reverse;   /* a forward layer over the flipped sequence is a backward one */
    im->time_sym = t_ax.sym;
    if (b_ax.kind == AX_SYM)
        im->batch_sym = b_ax.sym;

    const Value *W = const_input(im, 1, "W"), *R = W ? const_input(im, 2, "R") : NULL;
    if (!W || !R)
        return -1;
    if (W->t->ndim != 3 || W->t->dims[0] != dirs || W->t->dims[1] % parts || !W->t->dims[1])
        return imp_fail(im, "input W '%s' has shape %s; expected [%d, %shidden_size, input_size]",
                        W->name, dims_text(im->a, W->t->ndim, W->t->dims), dirs,
                        parts > 1 ? arena_printf(im->a, "%d*", parts) : "");
    long H = W->t->dims[1] / parts, I = W->t->dims[2];
    long hidden = imp_attr_int(im, "hidden_size", H);
    if (hidden != H)
        return imp_fail(im, "attribute 'hidden_size' = %ld does not match input W '%s' of shape %s",
                        hidden, W->name, dims_text(im->a, 3, W->t->dims));
    if (!is_features(f_ax, I))
        return imp_fail(im, "its input X '%s' has %s of size %ld where W '%s' expects %ld input "
                        "features", x->name, imp_axis_desc(im, f_ax), f_ax.size, W->name, I);
    long s_r[3] = {dirs, parts * H, H}, s_b[2] = {dirs, 2 * parts * H}, s_p[2] = {dirs, 3 * H};
    if (!dims_are(R->t, 3, s_r))
        return imp_fail(im, "input R '%s' has shape %s, expected %s", R->name,
                        dims_text(im->a, R->t->ndim, R->t->dims), dims_text(im->a, 3, s_r));
    const Value *B = imp_input(im, 3), *P = lstm ? imp_input(im, 7) : NULL;
    if (B && !(B = const_input(im, 3, "B")))
        return -1;
    if (B && !dims_are(B->t, 2, s_b))
        return imp_fail(im, "input B '%s' has shape %s, expected %s", B->name,
                        dims_text(im->a, B->t->ndim, B->t->dims), dims_text(im->a, 2, s_b));
    if (P && !(P = const_input(im, 7, "P")))
        return -1;
    if (P && !dims_are(P->t, 2, s_p))
        return imp_fail(im, "input P '%s' has shape %s, expected %s", P->name,
                        dims_text(im->a, P->t->ndim, P->t->dims), dims_text(im->a, 2, s_p));
    if ((imp_input(im, 4) || (n->ninputs > 4 && n->inputs[4][0])) &&
        !full_lengths(imp_input(im, 4), t_ax))
        return imp_fail(im, "input sequence_lens '%s' is not supported unless it is a constant "
                        "giving every sequence its full length (%s): lstmc runs every sequence "
                        "to its end (a blank line ends a sequence in its data)", input_name(im, 4),
                        t_ax.size > 0 ? arena_printf(im->a, "%ld steps", t_ax.size)
                                      : "the time axis's, which is not fixed");
    float *h0, *c0 = NULL;
    if (initial_state(im, 5, "initial_h", dirs, H, layout, &h0) < 0 ||
        (lstm && initial_state(im, 6, "initial_c", dirs, H, layout, &c0) < 0))
        return -1;

    ImportLayer *L = add_layer(im, ro->kind);
    L->reset_after = (int)lbr;
    L->input = (int)I;
    L->hidden = (int)H;
    L->dirs = dirs;
    L->output = (int)(dirs * H);
    L->reverse = reverse;
    L->coupled = (int)input_forget;
    L->peepholes = P != NULL;
    L->bias = B != NULL;
    L->clip = clip ? clip->f : 0.0;
    memcpy(L->act, act, sizeof act);
    if (h0 || c0) {
        /* a nonzero state; the other one, absent or zero, is written as zeros */
        L->initial_state = 1;
        L->h0 = h0 ? h0 : arena_alloc(im->a, (size_t)(dirs * H) * sizeof *L->h0);
        L->c0 = c0 || !lstm ? c0 : arena_alloc(im->a, (size_t)(dirs * H) * sizeof *L->c0);
    }
    if (!(L->W = to_floats(im, W, "input W", 1.0)) || !(L->R = to_floats(im, R, "input R", 1.0)) ||
        (B && !(L->B = to_floats(im, B, "input B", 1.0))) ||
        (P && !(L->P = to_floats(im, P, "input P", 1.0))))
        return -1;

    /* Y [T, D, B, H] (layout 1: [B, T, D, H]); Y_h [D, B, H] ([B, D, H]). */
    Value *y = imp_new_value(im, V_DATA);
    y->depth = im->m->nlayers;
    y->version = im->version;
    y->rank = 4;
    y->flipped = x->flipped;   /* its steps in the order it read them */
    y->flip_sym = x->flip_sym;
    Axis d_ax = {AX_DIR, -1, dirs}, h_ax = {AX_FEAT, -1, H};
    Axis yl0[4] = {t_ax, d_ax, b_ax, h_ax}, yl1[4] = {b_ax, t_ax, d_ax, h_ax};
    memcpy(y->ax, layout ? yl1 : yl0, sizeof yl0);
    if (n->noutputs > 0)
        imp_define(im, n->outputs[0], y);
    if (n->noutputs > 1) {
        /* Y_h: each direction's final state; for a forward layer, the last
         * step of Y */
        Value *yh = imp_new_value(im, V_DATA);
        *yh = *y;
        yh->rank = 3;
        yh->reduced = dirs == 1 && !reverse ? OUT_LAST : OUT_FINAL;
        yh->flipped = 0;
        Axis hl0[3] = {d_ax, b_ax, h_ax}, hl1[3] = {b_ax, d_ax, h_ax};
        memcpy(yh->ax, layout ? hl1 : hl0, sizeof hl0);
        imp_define(im, n->outputs[1], yh);
    }
    if (n->noutputs > 2)
        imp_define(im, n->outputs[2], imp_bad_value(im, "output Y_c, the cell state, which lstmc "
                                                        "models do not output"));
    return 0;
}

static int op_lstm(Importer *im)
{
    return op_recurrent(im, &lstm_op);
}

static int op_gru(Importer *im)
{
    return op_recurrent(im, &gru_op);
}

static int op_rnn(Importer *im)
{
    return op_recurrent(im, &rnn_op);
}

/* A dense layer on the chain's data x, whose last axis (after Gemm's
 * transA) holds k_in features. */
static ImportLayer *dense_layer(Importer *im, const Value *x, int feat_axis, long k_in, long units)
{
    if (!is_features(x->ax[feat_axis], k_in)) {
        imp_fail(im, "its input '%s' has %s of size %ld where its weights expect %ld features",
                 x->name, imp_axis_desc(im, x->ax[feat_axis]), x->ax[feat_axis].size, k_in);
        return NULL;
    }
    for (int d = 0; d < x->rank; d++)
        if (d != feat_axis && x->ax[d].kind != AX_SYM && !imp_is_unit(im, x->ax[d])) {
            imp_fail(im, "its input '%s' has %s of size %ld besides its features; a dense layer "
                     "takes one feature vector per time step", x->name, imp_axis_desc(im, x->ax[d]),
                     x->ax[d].size);
            return NULL;
        }
    ImportLayer *L = add_layer(im, IMPORT_DENSE);
    L->input = (int)k_in;
    L->output = (int)units;
    L->dense_act = (Activation){ACT_IDENTITY, 0, 0};
    return L;
}

static Value *dense_output(Importer *im, const Value *x, int feat_axis, long units)
{
    Value *v = imp_new_value(im, V_DATA);
    *v = *x;
    v->ax[feat_axis] = (Axis){AX_FEAT, -1, units};
    v->depth = im->m->nlayers;
    v->version = im->version;
    return v;
}

static int op_gemm(Importer *im)
{
    static const char *const ok[] = {"alpha", "beta", "transA", "transB", "broadcast", NULL};
    if (imp_check_attrs(im, ok) < 0)
        return -1;
    const Value *a = chain_input(im, 0, "A"), *b = a ? const_input(im, 1, "B") : NULL;
    if (!a || !b)
        return -1;
    if (a->rank != 2)
        return imp_fail(im, "its input A '%s' has %d axes, expected 2", a->name, a->rank);
    Value at = *a;
    if (imp_attr_int(im, "transA", 0)) {
        at.ax[0] = a->ax[1];
        at.ax[1] = a->ax[0];
    }
    int trans_b = imp_attr_int(im, "transB", 0) != 0;
    if (b->t->ndim != 2)
        return imp_fail(im, "its input B '%s' has %d axes, expected 2", b->name, b->t->ndim);
    long K = b->t->dims[trans_b ? 1 : 0], N = b->t->dims[trans_b ? 0 : 1];
    double alpha = attr_float(im, "alpha", 1.0), beta = attr_float(im, "beta", 1.0);
    const Value *c = imp_input(im, 2);
    if (c && c->kind == V_FLOATS) {
        int ok_shape = c->t->count == N || c->t->count == 1;
        for (int d = 0; d + 1 < c->t->ndim; d++)
            ok_shape &= c->t->dims[d] == 1;
        if (!ok_shape)
            return imp_fail(im, "its input C '%s' has shape %s; lstmc needs one bias per output "
                            "([%ld] or [1, %ld])", c->name,
                            dims_text(im->a, c->t->ndim, c->t->dims), N, N);
    } else if (c && c->kind != V_FILL) {
        return imp_fail(im, "its input C '%s' must be a constant", c->name);
    }
    float *w = to_floats(im, b, "input B", alpha);
    if (!w)
        return -1;
    ImportLayer *L = dense_layer(im, &at, 1, K, N);
    if (!L)
        return -1;
    L->w = arena_alloc(im->a, (size_t)(N * K) * sizeof *L->w);
    for (long u = 0; u < N; u++)
        for (long k = 0; k < K; k++)
            L->w[u * K + k] = trans_b ? w[u * K + k] : w[k * N + u];
    if (c) {
        L->bias = 1;
        L->b = arena_alloc(im->a, (size_t)N * sizeof *L->b);
        for (long u = 0; u < N; u++) {
            double v = c->kind == V_FILL ? c->fill : c->t->f[c->t->count == 1 ? 0 : u];
            L->b[u] = (float)(beta * v);
        }
    }
    imp_define(im, im->node->outputs[0], dense_output(im, &at, 1, N));
    return 0;
}

/* Whether the last layer is a MatMul still waiting for its Add. */
static int bias_open(Importer *im)
{
    ImportLayer *L = last_layer(im);
    return L && L->kind == IMPORT_DENSE && L->bias_pending;
}

static int op_matmul(Importer *im)
{
    static const char *const ok[] = {NULL};
    if (imp_check_attrs(im, ok) < 0)
        return -1;
    const Value *a = chain_input(im, 0, "A"), *b = a ? const_input(im, 1, "B") : NULL;
    if (!a || !b)
        return -1;
    if (b->t->ndim != 2)
        return imp_fail(im, "its input B '%s' has %d axes; lstmc import supports a matrix "
                        "[in, out]", b->name, b->t->ndim);
    long K = b->t->dims[0], N = b->t->dims[1];
    float *w = to_floats(im, b, "input B", 1.0);
    if (!w)
        return -1;
    ImportLayer *L = dense_layer(im, a, a->rank - 1, K, N);
    if (!L)
        return -1;
    L->w = arena_alloc(im->a, (size_t)(N * K) * sizeof *L->w);
    for (long u = 0; u < N; u++)
        for (long k = 0; k < K; k++)
            L->w[u * K + k] = w[k * N + u];
    L->bias_pending = 1;
    imp_define(im, im->node->outputs[0], dense_output(im, a, a->rank - 1, N));
    return 0;
}

static int op_add(Importer *im)
{
    static const char *const ok[] = {NULL};
    if (imp_check_attrs(im, ok) < 0)
        return -1;
    const Value *p = imp_need_input(im, 0, "A"), *q = p ? imp_need_input(im, 1, "B") : NULL;
    if (!p || !q)
        return -1;
    int data_first = p->kind == V_DATA;
    const Value *x = data_first ? p : q, *c = data_first ? q : p;
    if (x->kind != V_DATA)
        return imp_fail(im, "adding constants is not supported");
    if (x->softsign == 1 && c->kind != V_DATA &&
        (c->kind == V_FILL ? c->fill == 1.0 : c->kind == V_FLOATS && c->t->count == 1 &&
                                                  c->t->f[0] == 1.0)) {
        Value *v = imp_new_value(im, V_DATA);
        *v = *x;
        v->softsign = 2;
        imp_define(im, im->node->outputs[0], v);
        return 0;
    }
    if (c->kind == V_DATA)
        return imp_fail(im, "it adds two data tensors ('%s' and '%s'); lstmc models are a chain "
                        "of layers without residual connections", p->name, q->name);
    if (!chain_input(im, data_first ? 0 : 1, "data"))
        return -1;
    ImportLayer *L = last_layer(im);
    if (!bias_open(im))
        return imp_fail(im, "lstmc import supports Add only as the bias of a MatMul; '%s' is the "
                        "output of %s", x->name, imp_layer_desc(im, x->depth));
    long N = L->output;
    if (c->kind == V_FLOATS) {
        int ok_shape = c->t->count == N || c->t->count == 1;
        for (int d = 0; d + 1 < c->t->ndim; d++)
            ok_shape &= c->t->dims[d] == 1;
        if (!ok_shape || c->t->ndim > x->rank)
            return imp_fail(im, "its constant '%s' of shape %s is not a bias of %ld values",
                            c->name, dims_text(im->a, c->t->ndim, c->t->dims), N);
    } else if (c->kind != V_FILL) {
        return imp_fail(im, "its input '%s' must be a constant", c->name);
    }
    L->bias = 1;
    L->bias_pending = 0;
    L->b = arena_alloc(im->a, (size_t)N * sizeof *L->b);
    for (long u = 0; u < N; u++) {
        double v = c->kind == V_FILL ? c->fill : c->t->f[c->t->count == 1 ? 0 : u];
        if (!isfinite(v))
            return imp_fail(im, "its bias '%s' holds %g", c->name, v);
        L->b[u] = (float)v;
    }
    im->version++;
    Value *v = imp_new_value(im, V_DATA);
    *v = *x;
    v->version = im->version;
    imp_define(im, im->node->outputs[0], v);
    return 0;
}

/* Relu, Sigmoid, Tanh, Softmax, LogSoftmax and the other activations lstmc has: the
 * activation of the dense layer whose output they take. */
static int op_activation(Importer *im)
{
    /* each with the attributes it takes (after the NULL: none) and their
     * defaults, the ONNX operators' */
    static const char *const none[] = {NULL}, *const alpha[] = {"alpha", NULL},
                             *const alpha_beta[] = {"alpha", "beta", NULL},
                             *const axis[] = {"axis", NULL};
    static const struct {
        const char *op;
        ActKind kind;
        const char *const *attrs;
        double da, db;
    } table[] = {
        {"Relu", ACT_RELU, none, 0, 0}, {"Sigmoid", ACT_SIGMOID, none, 0, 0},
        {"Tanh", ACT_TANH, none, 0, 0}, {"Softmax", ACT_SOFTMAX, axis, 0, 0},
        {"LogSoftmax", ACT_LOG_SOFTMAX, axis, 0, 0},
        {"LeakyRelu", ACT_LEAKY_RELU, alpha, 0.01, 0}, {"Elu", ACT_ELU, alpha, 1.0, 0},
        {"HardSigmoid", ACT_HARD_SIGMOID, alpha_beta, 0.2, 0.5},
        {"ThresholdedRelu", ACT_THRESHOLDED_RELU, alpha, 1.0, 0},
        {"Softsign", ACT_SOFTSIGN, none, 0, 0}, {"Softplus", ACT_SOFTPLUS, none, 0, 0},
    };
    size_t k = 0;
    while (strcmp(table[k].op, im->node->op) != 0)
        k++;
    if (imp_check_attrs(im, table[k].attrs) < 0)
        return -1;
    const Value *x = chain_input(im, 0, "X");
    if (!x)
        return -1;
    ImportLayer *L = last_layer(im);
    if (!L || L->kind != IMPORT_DENSE || L->dense_act.kind != ACT_IDENTITY)
        return imp_fail(im, "lstmc applies activations only in dense layers, and its input '%s' "
                        "is the output of %s%s", x->name, imp_layer_desc(im, x->depth),
                        L && L->kind == IMPORT_DENSE ? ", which has an activation already" : "");
    if (table[k].kind == ACT_SOFTMAX || table[k].kind == ACT_LOG_SOFTMAX) {
        /* opset 13+: softmax along axis (default -1); before: over the axes from axis (default
         * 1) on, flattened. Either way they must be the features alone. */
        int new_style = im->g->opset >= 13;
        int d = imp_norm_axis(im, imp_attr_int(im, "axis", new_style ? -1 : 1), x->rank);
        if (d < 0)
            return -1;
        for (int j = 0; j < x->rank; j++) {
            int covered = new_style ? j == d : j >= d;
            int feat = x->ax[j].kind == AX_FEAT;
            if ((feat && !covered) || (covered && !feat && !imp_is_unit(im, x->ax[j])))
                return imp_fail(im, "attribute 'axis' = %ld makes the %s run over %s; "
                                "lstmc's %s runs over the features",
                                imp_attr_int(im, "axis", new_style ? -1 : 1), ir_activation_name(table[k].kind),
                                imp_axis_desc(im, x->ax[j]), ir_activation_name(table[k].kind));
        }
    }
    L->dense_act = (Activation){table[k].kind, attr_float(im, "alpha", table[k].da),
                                attr_float(im, "beta", table[k].db)};
    L->bias_pending = 0;
    im->version++;
    Value *v = imp_new_value(im, V_DATA);
    *v = *x;
    v->version = im->version;
    imp_define(im, im->node->outputs[0], v);
    return 0;
}

/* PyTorch writes softsign as x / (1 + |x|): Abs, Add of 1, Div. Abs and
 * the Add mark their results; Div of the chain's end by that becomes the
 * softsign activation of the dense layer. */
static int op_abs(Importer *im)
{
    static const char *const ok[] = {NULL};
    if (imp_check_attrs(im, ok) < 0)
        return -1;
    const Value *x = chain_input(im, 0, "X");
    if (!x)
        return -1;
    Value *v = imp_new_value(im, V_DATA);
    *v = *x;
    v->softsign = 1;
    imp_define(im, im->node->outputs[0], v);
    return 0;
}

static int op_div(Importer *im)
{
    static const char *const ok[] = {NULL};
    if (imp_check_attrs(im, ok) < 0)
        return -1;
    const Value *d = imp_need_input(im, 1, "B");
    if (!d)
        return -1;
    if (d->kind != V_DATA || d->softsign != 2)
        return imp_fail(im, "lstmc import supports Div only as part of softsign, x / (1 + |x|)");
    const Value *x = chain_input(im, 0, "A");
    if (!x)
        return -1;
    if (x->depth != d->depth || x->version != d->version)
        return imp_fail(im, "it divides '%s' by 1 + |x| of another value", x->name);
    ImportLayer *L = last_layer(im);
    if (!L || L->kind != IMPORT_DENSE || L->dense_act.kind != ACT_IDENTITY)
        return imp_fail(im, "lstmc applies activations only in dense layers, and '%s' is the "
                        "output of %s", x->name, imp_layer_desc(im, x->depth));
    L->dense_act = (Activation){ACT_SOFTSIGN, 0, 0};
    L->bias_pending = 0;
    im->version++;
    Value *v = imp_new_value(im, V_DATA);
    *v = *x;
    v->version = im->version;
    imp_define(im, im->node->outputs[0], v);
    return 0;
}

/* ReduceMean or ReduceMax over the time axis of the last recurrent layer's
 * output: `output mean` or `output max` (y.mean(dim=1), y.max(dim=1).values,
 * torch.amax(y, 1)). Dense layers after it then run once per sequence. */
static int op_reduce(Importer *im)
{
    static const char *const ok[] = {"axes", "keepdims", "noop_with_empty_axes", NULL};
    int mean = strcmp(im->node->op, "ReduceMean") == 0;
    if (imp_check_attrs(im, ok) < 0)
        return -1;
    const Value *x = chain_input(im, 0, "data");
    if (!x)
        return -1;
    long axes[MAX_AXES];
    int n = imp_node_axes(im, 1, 18, axes);   /* an input from opset 18 */
    if (n < 0)
        return -1;
    int d = n == 1 ? imp_norm_axis(im, axes[0], x->rank) : 0;
    if (d < 0)
        return -1;
    if (n != 1 || !imp_is_time(im, x->ax[d]))
        return imp_fail(im, "it reduces %s; lstmc import pools over the time axis only (output "
                        "%s)", n == 0 ? "every axis" : n > 1 ? "several axes"
                        : imp_axis_desc(im, x->ax[d]), mean ? "mean" : "max");
    if (x->reduced != OUT_SEQUENCE)
        return imp_fail(im, "its input '%s' already holds one row per sequence (%s)", x->name,
                        reduced_desc(x->reduced));
    const ImportLayer *L = last_layer(im);
    if (L->kind == IMPORT_DENSE)
        return imp_fail(im, "it pools the output of %s, a dense layer; lstmc's 'output %s' pools "
                        "the output of the last LSTM, GRU or RNN layer, before the dense layers "
                        "of its head", imp_layer_desc(im, x->depth), mean ? "mean" : "max");
    Value *v = imp_new_value(im, V_DATA);
    *v = *x;
    v->reduced = mean ? OUT_MEAN : OUT_MAX;
    v->flipped = 0;   /* the order of the steps does not matter */
    v->ax[d] = (Axis){AX_ONE, -1, 1};
    if (!imp_attr_int(im, "keepdims", 1)) {
        for (int k = d; k + 1 < v->rank; k++)
            v->ax[k] = v->ax[k + 1];
        v->rank--;
    }
    imp_define(im, im->node->outputs[0], v);
    return 0;
}

/* ---- the ops of this file, for the walk (import.c) ---- */

int imp_embedding(Importer *im, const Value *ids)
{
    const Value *x = const_input(im, 0, "table");
    if (!x)
        return -1;
    const OnnxTensor *t = x->t;
    if (t->ndim != 2 || imp_attr_int(im, "axis", 0) != 0)
        return imp_fail(im, "it gathers token ids from '%s' of shape %s along axis %ld; an embedding "
                        "gathers rows of a table [vocabulary, dim] (axis 0)", x->name,
                        dims_text(im->a, t->ndim, t->dims), imp_attr_int(im, "axis", 0));
    if (im->m->embed || im->m->nlayers)
        return imp_fail(im, "it gathers the token ids %s; lstmc reads them through one embedding, the "
                        "model's first layer", im->m->embed ? "a second time" : "after a layer");
    if (t->dims[0] > (1 << 24) || t->dims[1] > (1 << 16))
        return imp_fail(im, "its table '%s' is %s; lstmc takes a vocabulary of at most %d and a dim of "
                        "at most %d", x->name, dims_text(im->a, 2, t->dims), 1 << 24, 1 << 16);
    float *table = to_floats(im, x, "the table", 1.0);
    if (!table)
        return -1;
    im->m->embed = table;
    im->m->vocab = (int)t->dims[0];
    im->m->dim = (int)t->dims[1];
    im->m->embed_node = im->node->label;
    Value *v = imp_new_value(im, V_DATA);
    v->rank = 3;
    v->ax[0] = ids->ax[0];
    v->ax[1] = ids->ax[1];
    v->ax[2] = (Axis){AX_FEAT, -1, t->dims[1]};
    v->version = im->version;
    imp_define(im, im->node->outputs[0], v);
    return 0;
}

const ImpOp imp_layer_ops[] = {
    {"LSTM", op_lstm}, {"GRU", op_gru}, {"RNN", op_rnn}, {"Gemm", op_gemm}, {"MatMul", op_matmul}, {"Add", op_add},
    {"Relu", op_activation}, {"Sigmoid", op_activation}, {"Tanh", op_activation},
    {"Softmax", op_activation}, {"LogSoftmax", op_activation}, {"LeakyRelu", op_activation}, {"Elu", op_activation},
    {"HardSigmoid", op_activation}, {"ThresholdedRelu", op_activation},
    {"Softsign", op_activation}, {"Softplus", op_activation},
    {"Abs", op_abs}, {"Div", op_div}, {"ReduceMean", op_reduce}, {"ReduceMax", op_reduce},
    {NULL, NULL},
};
