/*
 * onednn.c - the oneDNN system of the benchmark: lstm_forward (C API of
 * oneDNN 2.x, <oneapi/dnnl/dnnl.h>), f32 inference, one primitive per layer.
 *
 * The weights are created in PyTorch's layout (ldgoi: [4H, in] with gate
 * order i f g o, which is oneDNN's i f c o) and reordered once, outside the
 * timing, into the layout the primitive asked for with format_tag_any (on
 * CPUs oneDNN chooses its packed GEMM layout for inference). The initial
 * state is left out, which oneDNN defines as zero.
 *
 * A GRU (--gru: PyTorch's, reset after) is oneDNN's lbr_gru ("linear before
 * reset"), its gates u, r, o being PyTorch's z, r, n and its bias the four
 * rows b_z, b_r, b_in, b_hn; an RNN (--rnn) is its vanilla_rnn with tanh.
 *
 * A projection (LSTMP) is oneDNN's weights_projection (PyTorch's weight_hr
 * [P, H] is its ldoi layout, reordered likewise); both directions are
 * dnnl_bidirectional_concat (forward first, as in PyTorch), the two
 * directions' tensors side by side along oneDNN's d dimension.
 *
 * One thread: this build of oneDNN threads with OpenMP, so bench/run.sh
 * starts it with OMP_NUM_THREADS=1, and it refuses to run otherwise.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <oneapi/dnnl/dnnl.h>
#include <oneapi/dnnl/dnnl_debug.h>   /* dnnl_fmt_kind2str */

#include "peer.h"

enum { MAX_LAYERS = 8 };

typedef struct Layer {
    dnnl_primitive_t prim;
    dnnl_memory_t src, wl, wi, wp, bias, dst;   /* wl, wi, wp: in the primitive's layout; wp: projection */
} Layer;

static PeerModel model;
static dnnl_engine_t engine;
static dnnl_stream_t stream;
static Layer layers[MAX_LAYERS];
static const float *bound_x;
static float *bound_y;

#define DNNL(call)                                                             \
    do {                                                                       \
        dnnl_status_t st_ = (call);                                            \
        if (st_ != dnnl_success) {                                             \
            fprintf(stderr, "onednn: %s failed: status %d\n", #call, (int)st_); \
            exit(1);                                                           \
        }                                                                      \
    } while (0)

/* User data in `tag` layout reordered into the memory `md` asks for. */
static dnnl_memory_t reordered(const dnnl_memory_desc_t *md, int ndims, const dnnl_dims_t dims,
                               dnnl_format_tag_t tag, const float *data)
{
    dnnl_memory_desc_t user_md;
    dnnl_memory_t user, out;
    dnnl_primitive_desc_t pd;
    dnnl_primitive_t reorder;
    DNNL(dnnl_memory_desc_init_by_tag(&user_md, ndims, dims, dnnl_f32, tag));
    DNNL(dnnl_memory_create(&user, &user_md, engine, (void *)data));
    DNNL(dnnl_memory_create(&out, md, engine, DNNL_MEMORY_ALLOCATE));
    DNNL(dnnl_reorder_primitive_desc_create(&pd, &user_md, engine, md, engine, NULL));
    DNNL(dnnl_primitive_create(&reorder, pd));
    dnnl_exec_arg_t args[] = {{DNNL_ARG_FROM, user}, {DNNL_ARG_TO, out}};
    DNNL(dnnl_primitive_execute(reorder, stream, 2, args));
    DNNL(dnnl_stream_wait(stream));
    dnnl_primitive_destroy(reorder);
    dnnl_primitive_desc_destroy(pd);
    dnnl_memory_destroy(user);
    return out;
}

/* "packed", or "blocked" with its inner blocks ("blocked 16i4o": dims
 * a..e are l d i g o), for the note. */
static void describe_layout(char *buf, size_t size, const dnnl_memory_desc_t *md)
{
    int n = snprintf(buf, size, "%s", dnnl_fmt_kind2str(md->format_kind));
    if (md->format_kind != dnnl_blocked)
        return;
    const dnnl_blocking_desc_t *bd = &md->format_desc.blocking;
    if (bd->inner_nblks > 0)
        n += snprintf(buf + n, size - (size_t)n, " ");
    for (int k = 0; k < bd->inner_nblks && (size_t)n < size; k++)
        n += snprintf(buf + n, size - (size_t)n, "%ld%c", (long)bd->inner_blks[k],
                      "ldigo"[bd->inner_idxs[k] % 5]);
}

static void *checked_malloc(size_t n)
{
    void *p = malloc(n);
    if (!p) {
        fprintf(stderr, "onednn: out of memory\n");
        exit(1);
    }
    return p;
}

/* Tensor NAME of layer k for each direction (suffix "" then "_reverse"),
 * `count` floats each, side by side: oneDNN's d dimension. */
static float *both_directions(int k, const char *name, long count)
{
    const PeerModel *m = &model;
    float *v = checked_malloc((size_t)(m->directions * count) * sizeof *v);
    for (int d = 0; d < m->directions; d++) {
        char full[64];
        snprintf(full, sizeof full, "lstm.%s_l%d%s", name, k, d ? "_reverse" : "");
        memcpy(v + d * count, peer_tensor(m, full, count), (size_t)count * sizeof *v);
    }
    return v;
}

/* A GRU's PyTorch gate blocks r, z, n (of n floats each), per direction,
 * in oneDNN's order u (z), r, o (n); frees w. */
static float *gru_gates(float *w, long n)
{
    static const int from[3] = {1, 0, 2};
    float *v = checked_malloc((size_t)(model.directions * 3 * n) * sizeof *v);
    for (int d = 0; d < model.directions; d++)
        for (int g = 0; g < 3; g++)
            memcpy(v + (d * 3 + g) * n, w + (d * 3 + from[g]) * n, (size_t)n * sizeof *v);
    free(w);
    return v;
}

/* lbr_gru's bias per direction: b_z, b_r (input and recurrent summed), b_in,
 * then b_hn, which it adds inside the reset product as PyTorch does. */
static float *gru_bias(const float *b_ih, const float *b_hh)
{
    long H = model.hidden;
    float *v = checked_malloc((size_t)(model.directions * 4 * H) * sizeof *v);
    for (int d = 0; d < model.directions; d++) {
        const float *bi = b_ih + d * 3 * H, *bh = b_hh + d * 3 * H;
        float *o = v + d * 4 * H;
        for (long j = 0; j < H; j++) {
            o[j] = bi[H + j] + bh[H + j];
            o[H + j] = bi[j] + bh[j];
            o[2 * H + j] = bi[2 * H + j];
            o[3 * H + j] = bh[2 * H + j];
        }
    }
    return v;
}

/* Layer k: descriptor, primitive, weights reordered; the layout chosen and
 * the implementation's name go to note. */
static void setup_layer(int k, char *note, int note_size)
{
    const PeerModel *m = &model;
    int D = m->directions, H = m->hidden, P = m->proj, R = P ? P : H;
    int in = k == 0 ? m->input : D * R;
    int G = m->cell == PEER_LSTM ? 4 : m->cell == PEER_GRU ? 3 : 1;   /* gates: blocks of H rows */
    float *w_ih = both_directions(k, "weight_ih", G * (long)H * in);
    float *w_hh = both_directions(k, "weight_hh", G * (long)H * R);
    float *b_ih = both_directions(k, "bias_ih", G * (long)H);
    float *b_hh = both_directions(k, "bias_hh", G * (long)H);
    float *w_hr = P ? both_directions(k, "weight_hr", (long)P * H) : NULL;
    int BG = G;   /* bias gates */
    float *bias = b_ih;
    if (m->cell == PEER_GRU) {
        w_ih = gru_gates(w_ih, (long)H * in);
        w_hh = gru_gates(w_hh, (long)H * R);
        bias = gru_bias(b_ih, b_hh);
        BG = 4;
    } else {
        for (int r = 0; r < D * G * H; r++)
            b_ih[r] += b_hh[r];   /* oneDNN has one bias */
    }

    dnnl_dims_t src_dims = {m->steps, m->batch, in}, dst_dims = {m->steps, m->batch, D * R};
    dnnl_dims_t wl_dims = {1, D, in, G, H}, wi_dims = {1, D, R, G, H}, b_dims = {1, D, BG, H};
    dnnl_dims_t wp_dims = {1, D, H, P};
    dnnl_memory_desc_t src_md, dst_md, wl_md, wi_md, wp_md, b_md;
    DNNL(dnnl_memory_desc_init_by_tag(&src_md, 3, src_dims, dnnl_f32, dnnl_tnc));
    DNNL(dnnl_memory_desc_init_by_tag(&dst_md, 3, dst_dims, dnnl_f32, dnnl_tnc));
    DNNL(dnnl_memory_desc_init_by_tag(&wl_md, 5, wl_dims, dnnl_f32, dnnl_format_tag_any));
    DNNL(dnnl_memory_desc_init_by_tag(&wi_md, 5, wi_dims, dnnl_f32, dnnl_format_tag_any));
    if (P)
        DNNL(dnnl_memory_desc_init_by_tag(&wp_md, 4, wp_dims, dnnl_f32, dnnl_format_tag_any));
    DNNL(dnnl_memory_desc_init_by_tag(&b_md, 4, b_dims, dnnl_f32, dnnl_ldgo));

    dnnl_rnn_desc_t desc;
    dnnl_primitive_desc_t pd;
    dnnl_rnn_direction_t dir = D == 2 ? dnnl_bidirectional_concat : dnnl_unidirectional_left2right;
    if (m->cell == PEER_GRU)
        DNNL(dnnl_lbr_gru_forward_desc_init(&desc, dnnl_forward_inference, dir, &src_md, NULL, &wl_md, &wi_md,
                                            &b_md, &dst_md, NULL, 0));
    else if (m->cell == PEER_RNN)
        DNNL(dnnl_vanilla_rnn_forward_desc_init(&desc, dnnl_forward_inference, dnnl_eltwise_tanh, dir, &src_md,
                                                NULL, &wl_md, &wi_md, &b_md, &dst_md, NULL, 0, 0.0f, 0.0f));
    else
        DNNL(dnnl_lstm_forward_desc_init_v3(&desc, dnnl_forward_inference, dir, &src_md, NULL, NULL, &wl_md,
                                            &wi_md, NULL, P ? &wp_md : NULL, &b_md, &dst_md, NULL, NULL, 0));
    DNNL(dnnl_primitive_desc_create(&pd, &desc, NULL, engine, NULL));
    Layer *L = &layers[k];
    DNNL(dnnl_primitive_create(&L->prim, pd));
    const dnnl_memory_desc_t *want_wl = dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
    const dnnl_memory_desc_t *want_wi = dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 1);
    L->wl = reordered(want_wl, 5, wl_dims, dnnl_ldgoi, w_ih);
    L->wi = reordered(want_wi, 5, wi_dims, dnnl_ldgoi, w_hh);
    L->bias = reordered(&b_md, 4, b_dims, dnnl_ldgo, bias);
    if (bias != b_ih)
        free(bias);
    if (P)
        L->wp = reordered(dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 2), 4, wp_dims, dnnl_ldoi, w_hr);
    free(w_ih);
    free(w_hh);
    free(b_ih);
    free(b_hh);
    free(w_hr);
    /* Layer 0 reads the caller's x and the last layer writes the caller's
     * y (handles set in peer_run); the others pass oneDNN-allocated memory. */
    if (k == 0)
        DNNL(dnnl_memory_create(&L->src, &src_md, engine, DNNL_MEMORY_NONE));
    else
        L->src = layers[k - 1].dst;
    DNNL(dnnl_memory_create(&L->dst, &dst_md, engine,
                            k == m->layers - 1 ? DNNL_MEMORY_NONE : DNNL_MEMORY_ALLOCATE));
    if (k == 0) {
        const char *impl = "?";
        char fmt[128];
        DNNL(dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl));
        describe_layout(fmt, sizeof fmt, want_wi);
        snprintf(note, (size_t)note_size,
                 "oneDNN %d.%d.%d, impl %s, weights as chosen by format_tag_any: %s, OMP_NUM_THREADS=1",
                 dnnl_version()->major, dnnl_version()->minor, dnnl_version()->patch, impl, fmt);
    }
    dnnl_primitive_desc_destroy(pd);
}

const char *peer_setup(const PeerModel *m, char *note, int note_size)
{
    const char *threads = getenv("OMP_NUM_THREADS");
    if (!threads || strcmp(threads, "1") != 0)
        return "needs OMP_NUM_THREADS=1 (one thread)";
    if (m->layers > MAX_LAYERS)
        return "too many layers";
    model = *m;
    DNNL(dnnl_engine_create(&engine, dnnl_cpu, 0));
    DNNL(dnnl_stream_create(&stream, engine, dnnl_stream_default_flags));
    for (int k = 0; k < m->layers; k++)
        setup_layer(k, note, note_size);
    return NULL;
}

void peer_run(const float *x, float *y)
{
    if (x != bound_x || y != bound_y) {
        DNNL(dnnl_memory_set_data_handle(layers[0].src, (void *)x));
        DNNL(dnnl_memory_set_data_handle(layers[model.layers - 1].dst, y));
        bound_x = x;
        bound_y = y;
    }
    for (int k = 0; k < model.layers; k++) {
        Layer *L = &layers[k];
        dnnl_exec_arg_t args[] = {
            {DNNL_ARG_SRC_LAYER, L->src}, {DNNL_ARG_WEIGHTS_LAYER, L->wl},
            {DNNL_ARG_WEIGHTS_ITER, L->wi}, {DNNL_ARG_BIAS, L->bias}, {DNNL_ARG_DST_LAYER, L->dst},
            {DNNL_ARG_WEIGHTS_PROJECTION, L->wp},
        };
        DNNL(dnnl_primitive_execute(L->prim, stream, model.proj ? 6 : 5, args));
    }
    DNNL(dnnl_stream_wait(stream));
}
