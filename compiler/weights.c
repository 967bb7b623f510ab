/*
 * weights.c - reads a model's tensors from a safetensors file and converts
 * each naming convention to the one canonical layout of ir.h.
 *
 * Conventions (H cells, I inputs, R recurrent width, NB blocks, K = I + R):
 *   pytorch  <p>.weight_ih_l{k}[_reverse] [4H, I]   gate order i f g o
 *            <p>.weight_hh_l{k}[_reverse] [4H, R]
 *            <p>.bias_ih_l{k}, <p>.bias_hh_l{k} [4H] (summed)
 *            <p>.weight_hr_l{k}[_reverse] [P, H]
 *   keras    <p>.kernel [I, 4H], <p>.recurrent_kernel [H, 4H], <p>.bias [4H]
 *            gate order i f c o; one prefix per layer (and direction)
 *   onnx     <p>.W [D, 4H, I], <p>.R [D, 4H, H], <p>.B [D, 8H] (W then R
 *            biases, summed), <p>.P [D, 3H] (i o f); gate order i o f c
 *   native   <p>.w_i, w_f, w_o [NB, K], <p>.w_g [H, K], <p>.b_* likewise,
 *            <p>.p_i, p_f, p_o [H], <p>.w_proj [P, H]; the suffix _l{k} when
 *            the block stacks layers, then _reverse for a backward direction
 *            of a bidirectional block.
 *   dense    <p>.weight [units, in], <p>.bias [units] (pytorch, onnx, native);
 *            <p>.kernel [in, units], <p>.bias (keras)
 *   embedding <p>.weight [V, E] (pytorch nn.Embedding; onnx, the Gather's
 *            table), <p>.embeddings [V, E] (keras), <p>.table [V, E] (native)
 * pytorch also reads an nn.LSTMCell's names, without _l{k} (<p>.weight_ih),
 * for a single forward layer whose file has no nn.LSTM names; an empty
 * prefix names a bare module's tensors (weight_ih_l0, no leading dot), in
 * pytorch and dense layers.
 * With `initial_state;`, h0 [R] and c0 [H] of each direction: pytorch
 * <p>.h0_l{k}[_reverse], <p>.c0_l{k}[_reverse] (lstmc's names: PyTorch has
 * none); keras <p>.h0, <p>.c0; onnx <p>.initial_h, <p>.initial_c
 * [D, 1, H]; native <p>.h0, <p>.c0 with the native suffixes.
 */
#include "safetensors.h"
#include "sema.h"

#include <stdlib.h>
#include <string.h>

/* Loading runs twice over the layers: a first pass (check) only finds each
 * tensor and checks its shape and dtype, allocating nothing, so a spec
 * that claims gigabytes of weights against a small file is answered before
 * any of them is allocated; the second converts and copies, and allocates
 * only what the file was found to hold. */
typedef struct Loader {
    Arena *a;
    StFile *file;
    const IrSource *src;      /* the layer being loaded */
    const IrLayer *layer;
    int hinted;               /* this layer's missing tensors got their hint */
    int ok;
    int check;                /* the first pass: find and check, return no data */
    Arena tmp;                /* a framework's tensors as floats, until they are copied
                               * into the canonical arrays: freed after each layer, so
                               * loading peaks at one layer's worth above the model */
} Loader;

/* The index of flat element i in a tensor of this shape, as "[r, c]". */
static const char *index_str(Arena *a, const StTensor *t, long i)
{
    long idx[ST_MAX_DIMS];
    for (int d = t->ndim - 1; d >= 0; d--) {
        idx[d] = t->shape[d] ? i % t->shape[d] : 0;
        i = t->shape[d] ? i / t->shape[d] : 0;
    }
    return dims_text(a, t->ndim, idx);
}

/* Suggests the unused tensor whose name is nearest to a missing one. */
static const char *nearest_tensor(const Loader *ld, const char *name)
{
    const char *names[512];
    size_t n = 0;
    for (int i = 0; i < ld->file->ntensors && n < COUNT_OF(names); i++)
        if (!ld->file->tensors[i].used)
            names[n++] = ld->file->tensors[i].name;
    return nearest_word(name, names, n);
}

/* The tensor `rest` of prefix p: "p.rest", or "rest" for an empty prefix
 * (a bare module's state_dict). */
static const char *tname(Arena *a, const char *p, const char *rest)
{
    return *p ? arena_printf(a, "%s.%s", p, rest) : rest;
}

static int has_tensor(const Loader *ld, const char *p, const char *rest)
{
    return st_find(ld->file, tname(ld->a, p, rest)) != NULL;
}

/* For a missing tensor of the layer being loaded, once per layer: the
 * statement of the spec that would make it agree with the file, when the
 * file shows one (its names are another convention's; it has no forget
 * gate, no peepholes, no backward direction). NULL if none is evident. */
static const char *missing_hint(const Loader *ld, const char *name)
{
    static const char *const conv_names[] = {"pytorch", "keras", "onnx", "native"};
    /* a tensor each convention always has, with its layer suffix for pytorch */
    static const char *const marks[][2] = {{"weight_ih_l0", "weight_ih"}, {"kernel", NULL}, {"W", NULL},
                                           {"w_g", "w_g_l0"}};
    const IrLayer *L = ld->layer;
    const char *p = ld->src->prefix[0];
    for (int c = 0; c < 4 && L->kind == IR_EMBEDDING; c++)
        if (strcmp(ir_embedding_table(c), ir_embedding_table(ld->src->conv)) != 0 &&
            has_tensor(ld, p, ir_embedding_table(c)))
            return arena_printf(ld->a, "'%s' is named as the %s convention names it: write 'from %s'",
                                tname(ld->a, p, ir_embedding_table(c)), conv_names[c], conv_names[c]);
    for (int c = 0; c < 4 && L->kind == IR_LSTM; c++)
        for (int k = 0; k < 2; k++)
            if (c != (int)ld->src->conv && marks[c][k] && has_tensor(ld, p, marks[c][k]))
                return arena_printf(ld->a, "'%s' is named as the %s convention names it: write 'from %s'",
                                    tname(ld->a, p, marks[c][k]), conv_names[c], conv_names[c]);
    if (L->kind != IR_LSTM)
        return NULL;
    const char *dot = strrchr(name, '.');
    const char *rest = dot ? dot + 1 : name;
    if (strstr(rest, "_reverse"))
        return "the file has no backward direction under this prefix: remove 'direction bidirectional;' "
               "(or give the backward direction's prefix)";
    if (ld->src->conv == CONV_NATIVE && (strncmp(rest, "w_f", 3) == 0 || strncmp(rest, "b_f", 3) == 0) &&
        !has_tensor(ld, p, "w_f") && !has_tensor(ld, p, "w_f_l0"))
        return "the file has no forget gate: add 'coupled;' (f = 1 - i, CIFG) or list the gates it has "
               "with 'gates input output;'";
    if (rest[0] == 'p' && rest[1] == '_')
        return "the file has no peephole weights: remove 'peepholes;'";
    if (strcmp(rest, "P") == 0)
        return "the file has no peephole weights: remove 'peepholes;'";
    return NULL;
}

/* The float data of tensor `name`, which must have the given shape; marks it
 * used. `meaning` explains the shape ("[4*hidden, input]"). Returns NULL
 * after reporting. */
static float *tensor_in(Loader *ld, Arena *out, const char *name, int ndim,
                        const long *shape, const char *meaning)
{
    const char *path = ld->file->path;
    const char *want = dims_text(ld->a, ndim, shape);
    StTensor *t = st_find(ld->file, name);
    if (!t) {
        const char *near = nearest_tensor(ld, name);
        diag_error(&ld->src->loc, "missing tensor '%s' %s in %s%s%s%s", name, want, path,
                   near ? "; did you mean '" : "", near ? near : "", near ? "'?" : "");
        const char *hint = ld->hinted ? NULL : missing_hint(ld, name);
        if (hint) {
            diag_note(&ld->layer->loc, "%s", hint);
            ld->hinted = 1;
        }
        ld->ok = 0;
        return NULL;
    }
    t->used = 1;
    int same = t->ndim == ndim;
    for (int i = 0; same && i < ndim; i++)
        same = t->shape[i] == shape[i];
    if (!same) {
        diag_error(&ld->src->loc, "tensor '%s' in %s has shape %s, expected %s = %s", name,
                   path, dims_text(ld->a, t->ndim, t->shape), want, meaning);
        ld->ok = 0;
        return NULL;
    }
    if (!st_dtype_is_float(t->dtype)) {
        diag_error(&ld->src->loc, "tensor '%s' in %s has dtype %s; weights must be F32, "
                   "F64, F16 or BF16", name, path, st_dtype_name(t->dtype));
        ld->ok = 0;
        return NULL;
    }
    if (ld->check)
        return NULL;
    float *data = arena_alloc(out, sizeof(float) * (size_t)(t->count ? t->count : 1));
    long bad;
    if (st_to_float(t, data, &bad) < 0) {
        diag_error(&ld->src->loc, "tensor '%s' in %s: element %s is NaN, infinite or too "
                   "large for float", name, path, index_str(ld->a, t, bad));
        ld->ok = 0;
        return NULL;
    }
    return data;
}

/* A tensor only read while its layer is loaded (ld->tmp). */
static float *tensor(Loader *ld, const char *name, int ndim, const long *shape,
                     const char *meaning)
{
    return tensor_in(ld, &ld->tmp, name, ndim, shape, meaning);
}

/* A tensor the IR keeps pointing at (a dense bias, an initial state). */
static float *kept_tensor(Loader *ld, const char *name, int ndim, const long *shape,
                          const char *meaning)
{
    return tensor_in(ld, ld->a, name, ndim, shape, meaning);
}

static float *new_floats(Loader *ld, long n)
{
    return arena_alloc(ld->a, sizeof(float) * (size_t)n);
}

/* Allocates the canonical arrays of one direction. */
static void alloc_direction(Loader *ld, const IrLstm *l, IrDirection *D, int bias)
{
    long K = l->input + l->recurrent;
    for (int g = 0; g < GATE_COUNT; g++) {
        if (!ir_gate_has_weights(l, g))
            continue;
        long rows = ir_gate_rows(l, g);
        D->w[g] = new_floats(ld, rows * K);
        if (bias)
            D->b[g] = new_floats(ld, rows);
        if (l->peepholes && g != GATE_G)
            D->p[g] = new_floats(ld, l->hidden);
    }
    if (l->proj)
        D->w_proj = new_floats(ld, (long)l->proj * l->hidden);
}

/* Copies n columns of a framework's four stacked gate matrices into columns
 * [col0, col0 + n) of the canonical ones. slot[g] is gate g's position in the
 * framework's order; `transposed` for Keras' [n, 4H] kernels. */
static void put_gate_columns(const IrLstm *l, IrDirection *D, const float *src,
                             int transposed, const int slot[GATE_COUNT], int n, int col0)
{
    long H = l->hidden, K = l->input + l->recurrent;
    for (int g = 0; g < GATE_COUNT; g++) {
        if (!D->w[g])
            continue;   /* absent or coupled: the framework's rows go unused */
        for (long r = 0; r < H; r++)
            for (long c = 0; c < n; c++) {
                long row = slot[g] * H + r;
                D->w[g][r * K + col0 + c] = transposed ? src[c * 4 * H + row] : src[row * n + c];
            }
    }
}

/* Sums a framework's two stacked bias vectors (b2 may be NULL) into the
 * canonical ones, in double so the sum rounds once. */
static void put_gate_biases(const IrLstm *l, IrDirection *D, const float *b1, const float *b2,
                            const int slot[GATE_COUNT])
{
    long H = l->hidden;
    for (int g = 0; g < GATE_COUNT; g++)
        if (D->b[g])
            for (long r = 0; r < H; r++) {
                long i = slot[g] * H + r;
                D->b[g][r] = (float)((double)b1[i] + (b2 ? (double)b2[i] : 0.0));
            }
}

/* h0 [R] and c0 [H] of direction D from tensors `<p>.<h><sfx>` and
 * `<p>.<c><sfx>`, when the layer has `initial_state;`. */
static void load_initial_state(Loader *ld, const IrLstm *l, IrDirection *D, const char *p,
                               const char *h, const char *c, const char *sfx)
{
    if (!l->initial_state)
        return;
    long s_h[1] = {l->recurrent}, s_c[1] = {l->hidden};
    D->h0 = kept_tensor(ld, tname(ld->a, p, arena_printf(ld->a, "%s%s", h, sfx)), 1, s_h,
                   l->proj ? "[projection]" : "[hidden]");
    D->c0 = kept_tensor(ld, tname(ld->a, p, arena_printf(ld->a, "%s%s", c, sfx)), 1, s_c, "[hidden]");
}

static const int pytorch_slot[GATE_COUNT] = {0, 1, 2, 3};   /* i f g o */
static const int keras_slot[GATE_COUNT] = {0, 1, 2, 3};     /* i f c o */
static const int onnx_slot[GATE_COUNT] = {0, 2, 3, 1};      /* i o f c */

static void load_pytorch(Loader *ld, IrLayer *L, int d)
{
    IrLstm *l = &L->lstm;
    IrDirection *D = &l->dir[d];
    const char *p = L->source.prefix[d];
    const char *sfx = arena_printf(ld->a, "_l%d%s", L->source.index, d == 1 ? "_reverse" : "");
    /* nn.LSTMCell: one forward layer, no suffix (cell.weight_ih) */
    if (!L->source.stacked && l->dirs == 1 && !l->proj && !has_tensor(ld, p, "weight_ih_l0") &&
        has_tensor(ld, p, "weight_ih"))
        sfx = "";
    long H4 = 4L * l->hidden;
    long s_ih[2] = {H4, l->input}, s_hh[2] = {H4, l->recurrent}, s_b[1] = {H4};
    float *w_ih = tensor(ld, tname(ld->a, p, arena_printf(ld->a, "weight_ih%s", sfx)), 2, s_ih,
                         "[4*hidden, input]");
    float *w_hh = tensor(ld, tname(ld->a, p, arena_printf(ld->a, "weight_hh%s", sfx)), 2, s_hh,
                         l->proj ? "[4*hidden, projection]" : "[4*hidden, hidden]");
    if (w_ih)
        put_gate_columns(l, D, w_ih, 0, pytorch_slot, l->input, 0);
    if (w_hh)
        put_gate_columns(l, D, w_hh, 0, pytorch_slot, l->recurrent, l->input);
    if (L->source.bias) {
        float *b_ih = tensor(ld, tname(ld->a, p, arena_printf(ld->a, "bias_ih%s", sfx)), 1, s_b, "[4*hidden]");
        float *b_hh = tensor(ld, tname(ld->a, p, arena_printf(ld->a, "bias_hh%s", sfx)), 1, s_b, "[4*hidden]");
        if (b_ih && b_hh)
            put_gate_biases(l, D, b_ih, b_hh, pytorch_slot);
    }
    if (l->proj) {
        long s_hr[2] = {l->proj, l->hidden};
        float *w_hr = tensor(ld, tname(ld->a, p, arena_printf(ld->a, "weight_hr%s", sfx)), 2, s_hr,
                             "[projection, hidden]");
        if (w_hr)
            memcpy(D->w_proj, w_hr, sizeof(float) * (size_t)(s_hr[0] * s_hr[1]));
    }
    load_initial_state(ld, l, D, p, "h0", "c0", sfx);
}

static void load_keras(Loader *ld, IrLayer *L, int d)
{
    IrLstm *l = &L->lstm;
    IrDirection *D = &l->dir[d];
    const char *p = L->source.prefix[d];
    long H4 = 4L * l->hidden;
    long s_k[2] = {l->input, H4}, s_rk[2] = {l->hidden, H4}, s_b[1] = {H4};
    float *k = tensor(ld, arena_printf(ld->a, "%s.kernel", p), 2, s_k, "[input, 4*units]");
    float *rk = tensor(ld, arena_printf(ld->a, "%s.recurrent_kernel", p), 2, s_rk,
                       "[units, 4*units]");
    if (k)
        put_gate_columns(l, D, k, 1, keras_slot, l->input, 0);
    if (rk)
        put_gate_columns(l, D, rk, 1, keras_slot, l->hidden, l->input);
    if (L->source.bias) {
        float *b = tensor(ld, arena_printf(ld->a, "%s.bias", p), 1, s_b, "[4*units]");
        if (b)
            put_gate_biases(l, D, b, NULL, keras_slot);
    }
    load_initial_state(ld, l, D, p, "h0", "c0", "");
}

/* ONNX keeps both directions in one tensor; both are loaded at d == 0. */
static void load_onnx(Loader *ld, IrLayer *L)
{
    IrLstm *l = &L->lstm;
    const char *p = L->source.prefix[0];
    long H = l->hidden, D = l->dirs;
    long s_w[3] = {D, 4 * H, l->input}, s_r[3] = {D, 4 * H, H}, s_b[2] = {D, 8 * H};
    long s_p[2] = {D, 3 * H};
    float *w = tensor(ld, arena_printf(ld->a, "%s.W", p), 3, s_w, "[directions, 4*hidden, input]");
    float *r = tensor(ld, arena_printf(ld->a, "%s.R", p), 3, s_r, "[directions, 4*hidden, hidden]");
    float *b = L->source.bias ? tensor(ld, arena_printf(ld->a, "%s.B", p), 2, s_b,
                                       "[directions, 8*hidden]") : NULL;
    float *pp = l->peepholes ? tensor(ld, arena_printf(ld->a, "%s.P", p), 2, s_p,
                                      "[directions, 3*hidden]") : NULL;
    long s_init[3] = {D, 1, H};   /* ONNX's [directions, batch, hidden], batch 1 */
    float *h0 = l->initial_state ? kept_tensor(ld, arena_printf(ld->a, "%s.initial_h", p), 3, s_init,
                                          "[directions, 1, hidden]") : NULL;
    float *c0 = l->initial_state ? kept_tensor(ld, arena_printf(ld->a, "%s.initial_c", p), 3, s_init,
                                          "[directions, 1, hidden]") : NULL;
    for (int d = 0; d < D; d++) {
        IrDirection *dir = &l->dir[d];
        if (w)
            put_gate_columns(l, dir, w + d * 4 * H * l->input, 0, onnx_slot, l->input, 0);
        if (r)
            put_gate_columns(l, dir, r + d * 4 * H * H, 0, onnx_slot, (int)H, l->input);
        if (b)
            put_gate_biases(l, dir, b + d * 8 * H, b + d * 8 * H + 4 * H, onnx_slot);
        if (pp) {
            static const int peep_slot[GATE_COUNT] = {0, 2, -1, 1};   /* i o f */
            for (int g = 0; g < GATE_COUNT; g++)
                if (dir->p[g])
                    memcpy(dir->p[g], pp + d * 3 * H + peep_slot[g] * H, sizeof(float) * (size_t)H);
        }
        if (h0)
            dir->h0 = h0 + d * H;
        if (c0)
            dir->c0 = c0 + d * H;
    }
}

static void load_native(Loader *ld, IrLayer *L, int d)
{
    static const char gate_letter[GATE_COUNT] = {'i', 'f', 'g', 'o'};
    IrLstm *l = &L->lstm;
    IrDirection *D = &l->dir[d];
    /* what alloc_direction allocates (not yet, in the check pass) */
    int bias = L->source.bias;
    const char *p = L->source.prefix[d];
    const char *sfx = arena_printf(ld->a, "%s%s",
                                   L->source.stacked ? arena_printf(ld->a, "_l%d", L->source.index) : "",
                                   l->dirs == 2 && d == 1 ? "_reverse" : "");
    long K = l->input + l->recurrent;
    for (int g = 0; g < GATE_COUNT; g++) {
        if (!ir_gate_has_weights(l, g))
            continue;
        long rows = ir_gate_rows(l, g);
        long s_w[2] = {rows, K}, s_b[1] = {rows}, s_p[1] = {l->hidden};
        const char *rows_doc = g == GATE_G ? "hidden" : "blocks";
        float *t = tensor(ld, arena_printf(ld->a, "%s.w_%c%s", p, gate_letter[g], sfx), 2, s_w,
                          arena_printf(ld->a, "[%s, input + %s]", rows_doc,
                                       l->proj ? "projection" : "hidden"));
        if (t)
            memcpy(D->w[g], t, sizeof(float) * (size_t)(rows * K));
        if (bias && (t = tensor(ld, arena_printf(ld->a, "%s.b_%c%s", p, gate_letter[g], sfx),
                                1, s_b, arena_printf(ld->a, "[%s]", rows_doc))))
            memcpy(D->b[g], t, sizeof(float) * (size_t)rows);
        if (l->peepholes && g != GATE_G &&
            (t = tensor(ld, arena_printf(ld->a, "%s.p_%c%s", p, gate_letter[g], sfx),
                        1, s_p, "[hidden]")))
            memcpy(D->p[g], t, sizeof(float) * (size_t)l->hidden);
    }
    if (l->proj) {
        long s_pr[2] = {l->proj, l->hidden};
        float *t = tensor(ld, arena_printf(ld->a, "%s.w_proj%s", p, sfx), 2, s_pr,
                          "[projection, hidden]");
        if (t)
            memcpy(D->w_proj, t, sizeof(float) * (size_t)(l->proj * l->hidden));
    }
    load_initial_state(ld, l, D, p, "h0", "c0", sfx);
}

static void load_dense(Loader *ld, IrLayer *L)
{
    const char *p = L->source.prefix[0];
    long in = L->input, units = L->output;
    int keras = L->source.conv == CONV_KERAS;
    long shape[2] = {keras ? in : units, keras ? units : in}, s_b[1] = {units};
    float *w = tensor(ld, tname(ld->a, p, keras ? "kernel" : "weight"), 2, shape,
                      keras ? "[input, units]" : "[units, input]");
    if (w) {
        L->dense.w = new_floats(ld, units * in);
        for (long u = 0; u < units; u++)
            for (long k = 0; k < in; k++)
                L->dense.w[u * in + k] = keras ? w[k * units + u] : w[u * in + k];
    }
    if (L->source.bias) {
        float *b = kept_tensor(ld, tname(ld->a, p, "bias"), 1, s_b, "[units]");
        if (b)
            L->dense.b = b;
    }
}

/* The table of an embedding, [V, E] in every convention; only its name
 * differs. */
static void load_embedding(Loader *ld, IrLayer *L)
{
    long shape[2] = {L->input, L->output};
    L->embed.table = kept_tensor(ld, tname(ld->a, L->source.prefix[0], ir_embedding_table(L->source.conv)), 2, shape,
                                 "[vocabulary, dim]");
}

/* ---- GRU and RNN layers ---- */

/* A GRU's parts r, z, n (an RNN's one part n) at their framework position:
 * PyTorch r z n; Keras and ONNX z r h. */
static const int gru_pytorch_slot[GRU_COUNT] = {0, 1, 2};
static const int gru_zrh_slot[GRU_COUNT] = {1, 0, 2};

static int gru_parts(const IrLayer *L)
{
    return L->kind == IR_GRU ? 3 : 1;
}

/* The rows of part p in the framework's stacked matrix: an RNN's one part
 * is its whole matrix, whatever the slot table says. */
static long gru_slot(const IrLayer *L, const int slot[GRU_COUNT], int p)
{
    return L->kind == IR_GRU ? slot[p] : 0;
}

static void gru_alloc_direction(Loader *ld, const IrLayer *L, IrGruDirection *D)
{
    const IrGru *g = &L->gru;
    long H = g->hidden, K = g->input + g->hidden;
    for (int p = L->kind == IR_GRU ? 0 : GRU_N; p < GRU_COUNT; p++) {
        D->w[p] = new_floats(ld, H * K);
        if (L->source.bias)
            D->b[p] = new_floats(ld, H);
    }
    if (L->kind == IR_GRU && g->reset_after && L->source.bias)
        D->b_hn = new_floats(ld, H);
}

/* Copies n columns of a framework's stacked part matrices (rows [parts*H],
 * or [n, parts*H] transposed for Keras) into columns [col0, col0 + n) of
 * the canonical ones. */
static void gru_put_columns(const IrLayer *L, IrGruDirection *D, const float *src, int transposed,
                            const int slot[GRU_COUNT], int n, int col0)
{
    long H = L->gru.hidden, K = L->gru.input + L->gru.hidden, width = gru_parts(L) * H;
    for (int p = 0; p < GRU_COUNT; p++) {
        if (!D->w[p])
            continue;
        for (long r = 0; r < H; r++)
            for (long c = 0; c < n; c++) {
                long row = gru_slot(L, slot, p) * H + r;
                D->w[p][r * K + col0 + c] = transposed ? src[c * width + row] : src[row * n + c];
            }
    }
}

/* The input biases b1 and recurrent biases b2 (NULL: none): summed, except
 * the candidate's recurrent bias under reset after, which stays apart
 * (b_hn: it is inside the reset product). */
static void gru_put_biases(const IrLayer *L, IrGruDirection *D, const float *b1, const float *b2,
                           const int slot[GRU_COUNT])
{
    long H = L->gru.hidden;
    for (int p = 0; p < GRU_COUNT; p++) {
        if (!D->b[p])
            continue;
        int apart = p == GRU_N && D->b_hn;
        for (long r = 0; r < H; r++) {
            long i = gru_slot(L, slot, p) * H + r;
            double sum = (double)b1[i] + (b2 && !apart ? (double)b2[i] : 0.0);
            D->b[p][r] = (float)sum;
            if (apart)
                D->b_hn[r] = b2[i];
        }
    }
}

static void gru_initial_state(Loader *ld, const IrLayer *L, IrGruDirection *D, const char *name)
{
    long s_h[1] = {L->gru.hidden};
    if (L->gru.initial_state)
        D->h0 = kept_tensor(ld, name, 1, s_h, "[hidden]");
}

static void load_gru_pytorch(Loader *ld, IrLayer *L, int d)
{
    IrGruDirection *D = &L->gru.dir[d];
    const char *p = L->source.prefix[d];
    const char *sfx = arena_printf(ld->a, "_l%d%s", L->source.index, d == 1 ? "_reverse" : "");
    long rows = gru_parts(L) * (long)L->gru.hidden;
    long s_ih[2] = {rows, L->gru.input}, s_hh[2] = {rows, L->gru.hidden}, s_b[1] = {rows};
    const char *n = L->kind == IR_GRU ? "3*hidden" : "hidden";
    float *w_ih = tensor(ld, arena_printf(ld->a, "%s.weight_ih%s", p, sfx), 2, s_ih,
                         arena_printf(ld->a, "[%s, input]", n));
    float *w_hh = tensor(ld, arena_printf(ld->a, "%s.weight_hh%s", p, sfx), 2, s_hh,
                         arena_printf(ld->a, "[%s, hidden]", n));
    if (w_ih)
        gru_put_columns(L, D, w_ih, 0, gru_pytorch_slot, L->gru.input, 0);
    if (w_hh)
        gru_put_columns(L, D, w_hh, 0, gru_pytorch_slot, L->gru.hidden, L->gru.input);
    if (L->source.bias) {
        const char *doc = arena_printf(ld->a, "[%s]", n);
        float *b_ih = tensor(ld, arena_printf(ld->a, "%s.bias_ih%s", p, sfx), 1, s_b, doc);
        float *b_hh = tensor(ld, arena_printf(ld->a, "%s.bias_hh%s", p, sfx), 1, s_b, doc);
        if (b_ih && b_hh)
            gru_put_biases(L, D, b_ih, b_hh, gru_pytorch_slot);
    }
    gru_initial_state(ld, L, D, arena_printf(ld->a, "%s.h0%s", p, sfx));
}

/* Keras' GRU bias is [3*units] with reset_after=False and [2, 3*units]
 * (input biases, then recurrent) with reset_after=True: the one place
 * where the weights say which formulation they were trained with. */
static float *keras_gru_bias(Loader *ld, const IrLayer *L, const char *name, float **b2)
{
    long H3 = 3L * L->gru.hidden;
    int after = L->kind == IR_GRU && L->gru.reset_after;
    long s_b[2] = {after ? 2 : H3, H3};
    StTensor *t = st_find(ld->file, name);
    int other = L->kind == IR_GRU && t && (after ? t->ndim == 1 && t->shape[0] == H3
                                                 : t->ndim == 2 && t->shape[0] == 2 && t->shape[1] == H3);
    if (other) {
        t->used = 1;
        diag_error(&L->gru.reset_loc, "tensor '%s' in %s has Keras' reset_after=%s shape %s: "
                   "write 'reset %s;'", name, ld->file->path, after ? "False" : "True",
                   dims_text(ld->a, t->ndim, t->shape), after ? "before" : "after");
        ld->ok = 0;
        return NULL;
    }
    *b2 = NULL;
    if (L->kind == IR_RNN) {
        long s_r[1] = {L->gru.hidden};
        return tensor(ld, name, 1, s_r, "[units]");
    }
    float *b = tensor(ld, name, after ? 2 : 1, after ? s_b : s_b + 1,
                      after ? "[2, 3*units] (reset_after=True)" : "[3*units]");
    if (b && after)
        *b2 = b + H3;
    return b;
}

static void load_gru_keras(Loader *ld, IrLayer *L, int d)
{
    IrGruDirection *D = &L->gru.dir[d];
    const char *p = L->source.prefix[d];
    long cols = gru_parts(L) * (long)L->gru.hidden;
    long s_k[2] = {L->gru.input, cols}, s_rk[2] = {L->gru.hidden, cols};
    const char *n = L->kind == IR_GRU ? "3*units" : "units";
    float *k = tensor(ld, arena_printf(ld->a, "%s.kernel", p), 2, s_k,
                      arena_printf(ld->a, "[input, %s]", n));
    float *rk = tensor(ld, arena_printf(ld->a, "%s.recurrent_kernel", p), 2, s_rk,
                       arena_printf(ld->a, "[units, %s]", n));
    if (k)
        gru_put_columns(L, D, k, 1, gru_zrh_slot, L->gru.input, 0);
    if (rk)
        gru_put_columns(L, D, rk, 1, gru_zrh_slot, L->gru.hidden, L->gru.input);
    if (L->source.bias) {
        float *b2 = NULL;
        float *b = keras_gru_bias(ld, L, arena_printf(ld->a, "%s.bias", p), &b2);
        if (b)
            gru_put_biases(L, D, b, b2, gru_zrh_slot);
    }
    gru_initial_state(ld, L, D, arena_printf(ld->a, "%s.h0", p));
}

/* ONNX keeps both directions in one tensor; both are loaded at d == 0. */
static void load_gru_onnx(Loader *ld, IrLayer *L)
{
    IrGru *g = &L->gru;
    const char *p = L->source.prefix[0];
    long H = g->hidden, D = g->dirs, rows = gru_parts(L) * H;
    long s_w[3] = {D, rows, g->input}, s_r[3] = {D, rows, H}, s_b[2] = {D, 2 * rows};
    const char *n = L->kind == IR_GRU ? "3*hidden" : "hidden";
    float *w = tensor(ld, arena_printf(ld->a, "%s.W", p), 3, s_w,
                      arena_printf(ld->a, "[directions, %s, input]", n));
    float *r = tensor(ld, arena_printf(ld->a, "%s.R", p), 3, s_r,
                      arena_printf(ld->a, "[directions, %s, hidden]", n));
    float *b = L->source.bias ? tensor(ld, arena_printf(ld->a, "%s.B", p), 2, s_b,
                                       arena_printf(ld->a, "[directions, 2*%s]", n)) : NULL;
    long s_init[3] = {D, 1, H};
    float *h0 = g->initial_state ? kept_tensor(ld, arena_printf(ld->a, "%s.initial_h", p), 3,
                                               s_init, "[directions, 1, hidden]") : NULL;
    for (int d = 0; d < D; d++) {
        IrGruDirection *dir = &g->dir[d];
        if (w)
            gru_put_columns(L, dir, w + d * rows * g->input, 0, gru_zrh_slot, g->input, 0);
        if (r)
            gru_put_columns(L, dir, r + d * rows * H, 0, gru_zrh_slot, (int)H, g->input);
        if (b)
            gru_put_biases(L, dir, b + d * 2 * rows, b + d * 2 * rows + rows, gru_zrh_slot);
        if (h0)
            dir->h0 = h0 + d * H;
    }
}

static void load_gru_native(Loader *ld, IrLayer *L, int d)
{
    static const char *const part_name[GRU_COUNT] = {"r", "z", "n"};
    IrGru *g = &L->gru;
    IrGruDirection *D = &g->dir[d];
    const char *p = L->source.prefix[d];
    const char *sfx = arena_printf(ld->a, "%s%s",
                                   L->source.stacked ? arena_printf(ld->a, "_l%d", L->source.index) : "",
                                   g->dirs == 2 && d == 1 ? "_reverse" : "");
    long H = g->hidden, K = g->input + H;
    long s_w[2] = {H, K}, s_b[1] = {H};
    int gru = L->kind == IR_GRU;
    for (int k = gru ? 0 : GRU_N; k < GRU_COUNT; k++) {
        const char *part = gru ? arena_printf(ld->a, "_%s", part_name[k]) : "";
        float *t = tensor(ld, arena_printf(ld->a, "%s.w%s%s", p, part, sfx), 2, s_w,
                          "[hidden, input + hidden]");
        if (t)
            memcpy(D->w[k], t, sizeof(float) * (size_t)(H * K));
        if (L->source.bias &&
            (t = tensor(ld, arena_printf(ld->a, "%s.b%s%s", p, part, sfx), 1, s_b, "[hidden]")))
            memcpy(D->b[k], t, sizeof(float) * (size_t)H);
    }
    if (gru && L->source.bias) {
        const char *name = arena_printf(ld->a, "%s.b_hn%s", p, sfx);
        StTensor *t = st_find(ld->file, name);
        if (!g->reset_after && t) {
            t->used = 1;
            diag_error(&g->reset_loc, "tensor '%s' in %s is the candidate's recurrent bias, "
                       "inside the reset product: write 'reset after;'", name, ld->file->path);
            ld->ok = 0;
        } else if (g->reset_after && !t) {
            diag_error(&g->reset_loc, "missing tensor '%s' [hidden] in %s: 'reset after;' needs "
                       "the candidate's recurrent bias; weights with one candidate bias are "
                       "'reset before;'", name, ld->file->path);
            ld->ok = 0;
        } else if (g->reset_after) {
            float *b = tensor(ld, name, 1, s_b, "[hidden]");
            if (b)
                memcpy(D->b_hn, b, sizeof(float) * (size_t)H);
        }
    }
    gru_initial_state(ld, L, D, arena_printf(ld->a, "%s.h0%s", p, sfx));
}

/* Every direction of a GRU or RNN layer, in its convention. */
static void load_gru(Loader *ld, IrLayer *L)
{
    for (int d = 0; d < L->gru.dirs && !ld->check; d++)
        gru_alloc_direction(ld, L, &L->gru.dir[d]);
    for (int d = 0; d < L->gru.dirs; d++) {
        switch (L->source.conv) {
        case CONV_PYTORCH: load_gru_pytorch(ld, L, d); break;
        case CONV_KERAS: load_gru_keras(ld, L, d); break;
        case CONV_ONNX: if (d == 0) load_gru_onnx(ld, L); break;
        case CONV_NATIVE: load_gru_native(ld, L, d); break;
        }
    }
}

/* The LSTM layer whose prefix names tensor `name` (p.rest, or rest for
 * an empty prefix), with *rest set to the part after the prefix; NULL if
 * none. The longest prefix wins. */
static const IrLayer *layer_of(const IrModel *m, const char *name, const char **rest)
{
    const IrLayer *best = NULL;
    size_t best_len = 0;
    for (int i = 0; i < m->nlayers; i++) {
        const IrLayer *L = &m->layers[i];
        for (int d = 0; L->kind == IR_LSTM && d < 2 && L->source.prefix[d]; d++) {
            const char *p = L->source.prefix[d];
            size_t n = strlen(p);
            int match = n == 0 || (strncmp(name, p, n) == 0 && name[n] == '.');
            if (match && (!best || n + 1 > best_len)) {
                best = L;
                best_len = n ? n + 1 : 0;
            }
        }
    }
    *rest = name + best_len;
    return best;
}

/* The statement that would have the layer read an unused tensor: a layer
 * index past the block's, a backward direction, a projection, peepholes,
 * a forget gate, biases. NULL if the name shows none. */
/* The layer index k of a pytorch or native name's "_l{k}", or -1. */
static int layer_index(const char *rest)
{
    const char *lk = strstr(rest, "_l");
    return lk && lk[2] >= '0' && lk[2] <= '9' ? atoi(lk + 2) : -1;
}

static const char *unused_hint(Arena *a, const StFile *file, const IrModel *m, const StTensor *t,
                               const IrLayer **at)
{
    const char *rest;
    const IrLayer *L = layer_of(m, t->name, &rest);
    *at = L;
    if (!L)
        return NULL;
    const IrLstm *l = &L->lstm;
    int top = 0;   /* the block's last layer index */
    for (int i = 0; i < m->nlayers; i++)
        if (m->layers[i].loc.line == L->loc.line && m->layers[i].loc.col == L->loc.col &&
            m->layers[i].source.index > top)
            top = m->layers[i].source.index;
    if (layer_index(rest) > top) {
        int most = 0;   /* the file's highest layer index under L's prefix */
        for (int i = 0; i < file->ntensors; i++) {
            const char *r;
            if (layer_of(m, file->tensors[i].name, &r) == L && layer_index(r) > most)
                most = layer_index(r);
        }
        return arena_printf(a, "the file has %d layers under this prefix: write 'layers %d;'", most + 1, most + 1);
    }
    if (strstr(rest, "_reverse") && l->dirs == 1)
        return "the file has a backward direction under this prefix: add 'direction bidirectional;'";
    if ((strncmp(rest, "weight_hr", 9) == 0 || strncmp(rest, "w_proj", 6) == 0) && !l->proj && t->ndim == 2)
        return arena_printf(a, "the file has a projection: add 'projection %ld;'", t->shape[0]);
    if (((rest[0] == 'p' && rest[1] == '_') || strcmp(rest, "P") == 0) && !l->peepholes)
        return "the file has peephole weights: add 'peepholes;'";
    if ((strncmp(rest, "w_f", 3) == 0 || strncmp(rest, "b_f", 3) == 0) && l->coupled)
        return "the file has a forget gate of its own: remove 'coupled;'";
    if ((strncmp(rest, "bias", 4) == 0 || strncmp(rest, "b_", 2) == 0 || strcmp(rest, "B") == 0) &&
        !L->source.bias)
        return "the file has biases: remove 'no_bias;'";
    return NULL;
}

/* A tensor the spec does not use means spec and weights disagree (a
 * forgotten layer, projection or direction): an error, not a warning,
 * with a note at the block whose statement would read it, once per hint.
 * Reports the first ten; returns how many there are. */
static int unused_tensors(const StFile *file, Arena *a, const IrModel *m)
{
    int unused = 0;
    const char *hints[10];
    int nhints = 0;
    for (int i = 0; i < file->ntensors; i++) {
        const StTensor *t = &file->tensors[i];
        if (t->used)
            continue;
        if (++unused > 10)
            continue;
        diag_file_error(file->path, "tensor '%s' %s is not used by any layer of the spec",
                        t->name, dims_text(a, t->ndim, t->shape));
        const IrLayer *L;
        const char *hint = unused_hint(a, file, m, t, &L);
        int seen = 0;
        for (int k = 0; hint && k < nhints; k++)
            seen |= strcmp(hints[k], hint) == 0;
        if (hint && !seen) {
            hints[nhints++] = hint;
            diag_note(&L->loc, "%s", hint);
        }
    }
    if (unused > 10)
        diag_file_error(file->path, "... and %d more unused tensors", unused - 10);
    return unused;
}

int weights_load(Arena *a, IrModel *m)
{
    StFile *file = st_read(a, m->weights_path);
    if (!file) {
        if (m->weights_loc.src)
            diag_note(&m->weights_loc, "the weights file is named here");
        return -1;
    }
    return weights_load_file(a, m, file);
}

int weights_load_file(Arena *a, IrModel *m, StFile *file)
{
    Loader ld = {a, file, NULL, NULL, 0, 1, 1, {0}};
    for (ld.check = 1; ld.check >= 0 && ld.ok; ld.check--) {
        if (m->embedding) {
            ld.src = &m->embedding->source;
            ld.layer = m->embedding;
            ld.hinted = 0;
            load_embedding(&ld, m->embedding);
        }
        for (int i = 0; i < m->nlayers; i++) {
            IrLayer *L = &m->layers[i];
            ld.src = &L->source;
            ld.layer = L;
            ld.hinted = 0;
            if (L->kind == IR_DENSE || L->kind == IR_GRU || L->kind == IR_RNN) {
                if (L->kind == IR_DENSE)
                    load_dense(&ld, L);
                else
                    load_gru(&ld, L);
                arena_free(&ld.tmp);
                continue;
            }
            for (int d = 0; d < L->lstm.dirs && !ld.check; d++)
                alloc_direction(&ld, &L->lstm, &L->lstm.dir[d], L->source.bias);
            for (int d = 0; d < L->lstm.dirs; d++) {
                switch (L->source.conv) {
                case CONV_PYTORCH: load_pytorch(&ld, L, d); break;
                case CONV_KERAS: load_keras(&ld, L, d); break;
                case CONV_ONNX: if (d == 0) load_onnx(&ld, L); break;
                case CONV_NATIVE: load_native(&ld, L, d); break;
                }
            }
            arena_free(&ld.tmp);
        }
        /* After a missing tensor, unused ones would only repeat that story. */
        if (ld.check && ld.ok && unused_tensors(file, a, m) > 0)
            return -1;
    }
    return ld.ok ? 0 : -1;
}
