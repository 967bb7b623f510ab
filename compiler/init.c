/*
 * init.c - random weights for a spec (init.h).
 *
 * Each layer's tensors are drawn in the framework's own layout, gate by
 * gate, so that each scheme applies to each gate's rows what it means:
 *
 *   pytorch  every LSTM tensor uniform(-k, k), k = 1/sqrt(H) (nn.LSTM's
 *            reset_parameters); a convention with one bias per gate row
 *            gets the sum of two such draws (b_ih + b_hh, what PyTorch's
 *            cell adds). Dense: uniform(-1/sqrt(in), 1/sqrt(in)) (nn.Linear).
 *   keras    input weights glorot uniform, limit sqrt(6 / (I + 4H)); the
 *            recurrent weights of all gates, stacked as one [rows, R]
 *            matrix, a random orthogonal matrix; biases 0 but the forget
 *            gate's 1 (unit_forget_bias); projection and dense kernels
 *            glorot uniform, dense bias 0.
 *   1997     every weight uniform(-0.1, 0.1), cell input and forget biases
 *            too; input gate biases from -1 (first block) to -4 (last),
 *            output gate biases from -2 to -8, evenly: the later blocks'
 *            gates open later, against internal state drift.
 *
 * Peepholes are drawn as weights; initial states (`initial_state;`) are 0.
 * GRU and RNN layers (write_gru): pytorch as nn.GRU and nn.RNN, keras
 * glorot kernel, orthogonal recurrent kernel, zero biases, 1997 every
 * value uniform(-0.1, 0.1).
 */
#include "init.h"

#include <math.h>
#include <string.h>

int init_scheme_named(const char *s)
{
    static const char *const names[] = {"pytorch", "keras", "1997"};
    for (int k = 0; k < (int)COUNT_OF(names); k++)
        if (strcmp(s, names[k]) == 0)
            return k;
    return -1;
}

double init_1997_gate_bias(Gate g, int b, int nb)
{
    double v = -1.0 - 3.0 * (nb > 1 ? (double)b / (nb - 1) : 0.0);
    return g == GATE_O ? 2 * v : v;
}

/* xorshift64*: the same stream on every machine and C library. */
typedef struct Rng {
    unsigned long long s;
} Rng;

static double rng_uniform01(Rng *r)
{
    unsigned long long x = r->s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    r->s = x;
    return (double)((x * 0x2545F4914F6CDD1DULL) >> 11) / 9007199254740992.0;   /* [0, 1) */
}

static double rng_uniform(Rng *r, double limit)
{
    return limit * (2.0 * rng_uniform01(r) - 1.0);
}

/* A standard normal draw (Box-Muller; 1 - u keeps the log finite). */
static double rng_normal(Rng *r)
{
    double u = 1.0 - rng_uniform01(r), v = rng_uniform01(r);
    return sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v);
}

/* One layer direction's values in lstmc's canonical order (ir.h): for gate
 * g, row r of its rows, column c of K = I + R; then biases, peepholes and
 * the projection. The writers below read them in their framework's
 * order. */
typedef struct Drawn {
    double *w[GATE_COUNT];      /* [rows, K] */
    double *b[GATE_COUNT];      /* [rows]: the one bias */
    double *b2[GATE_COUNT];     /* [rows]: a framework's second bias, for its own draw */
    double *p[GATE_COUNT];      /* [H] */
    double *proj;               /* [P, H] */
} Drawn;

typedef struct Init {
    Arena *a;
    Rng rng;
    InitTensors *t;
    int cap;
} Init;

/* Rows of gate g in the framework's layout: the canonical ones, or H for
 * a framework's four stacked gates (an absent or coupled gate's rows are
 * in its file, unused). */
static int rows_of(const IrLstm *l, Gate g, int stacked)
{
    return stacked ? l->hidden : ir_gate_rows(l, g);
}

/* The Q of a random [n, m] matrix with orthonormal columns (n >= m) or
 * rows (n < m), by Gram-Schmidt on normal draws: Keras's Orthogonal. */
static void orthogonal(Rng *r, double *q, int n, int m)
{
    int tall = n >= m, vecs = tall ? m : n, len = tall ? n : m;
    for (int i = 0; i < n * m; i++)
        q[i] = rng_normal(r);
    /* vector k: column k (tall) or row k, element e */
#define AT(k, e) (*(tall ? &q[(size_t)(e) * (size_t)m + (size_t)(k)] : &q[(size_t)(k) * (size_t)m + (size_t)(e)]))
    for (int k = 0; k < vecs; k++) {
        for (int j = 0; j < k; j++) {
            double dot = 0;
            for (int e = 0; e < len; e++)
                dot += AT(k, e) * AT(j, e);
            for (int e = 0; e < len; e++)
                AT(k, e) -= dot * AT(j, e);
        }
        double norm = 0;
        for (int e = 0; e < len; e++)
            norm += AT(k, e) * AT(k, e);
        norm = sqrt(norm);
        for (int e = 0; e < len; e++)
            AT(k, e) /= norm;
    }
#undef AT
}

static double *doubles(Arena *a, long n)
{
    return arena_alloc(a, sizeof(double) * (size_t)(n ? n : 1));
}

/* Draws one direction of layer l under scheme s; stacked: the framework
 * keeps four gates of H rows each. */
static void draw_direction(Init *in, const IrLstm *l, InitScheme s, int stacked, Drawn *d)
{
    int I = l->input, R = l->recurrent, H = l->hidden, K = I + R;
    double k = 1.0 / sqrt((double)H);
    double glorot = sqrt(6.0 / (double)(I + 4 * H));
    int rec_rows = 0;
    for (int g = 0; g < GATE_COUNT; g++)
        if (stacked || ir_gate_has_weights(l, g))
            rec_rows += rows_of(l, g, stacked);
    double *q = NULL;
    if (s == INIT_KERAS) {
        q = doubles(in->a, (long)rec_rows * R);
        orthogonal(&in->rng, q, rec_rows, R);
    }
    int q_row = 0;
    memset(d, 0, sizeof *d);
    for (int g = 0; g < GATE_COUNT; g++) {
        if (!stacked && !ir_gate_has_weights(l, g))
            continue;
        int rows = rows_of(l, g, stacked);
        d->w[g] = doubles(in->a, (long)rows * K);
        d->b[g] = doubles(in->a, rows);
        d->b2[g] = doubles(in->a, rows);
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < K; c++) {
                double *w = &d->w[g][(size_t)r * (size_t)K + (size_t)c];
                if (s == INIT_PYTORCH)
                    *w = rng_uniform(&in->rng, k);
                else if (s == INIT_1997)
                    *w = rng_uniform(&in->rng, 0.1);
                else
                    *w = c < I ? rng_uniform(&in->rng, glorot) : q[(size_t)(q_row + r) * (size_t)R + (size_t)(c - I)];
            }
            if (s == INIT_PYTORCH) {
                d->b[g][r] = rng_uniform(&in->rng, k);
                d->b2[g][r] = rng_uniform(&in->rng, k);
            } else if (s == INIT_KERAS) {
                d->b[g][r] = g == GATE_F ? 1.0 : 0.0;
            } else {
                d->b[g][r] = g == GATE_I || g == GATE_O ? init_1997_gate_bias(g, r, rows)
                                                        : rng_uniform(&in->rng, 0.1);
            }
        }
        q_row += rows;
        if (l->peepholes && g != GATE_G) {
            d->p[g] = doubles(in->a, H);
            for (int j = 0; j < H; j++)
                d->p[g][j] = s == INIT_KERAS ? rng_uniform(&in->rng, glorot)
                                             : rng_uniform(&in->rng, s == INIT_1997 ? 0.1 : k);
        }
    }
    if (l->proj) {
        double lim = s == INIT_PYTORCH ? k : s == INIT_1997 ? 0.1 : sqrt(6.0 / (double)(H + l->proj));
        d->proj = doubles(in->a, (long)l->proj * H);
        for (long e = 0; e < (long)l->proj * H; e++)
            d->proj[e] = rng_uniform(&in->rng, lim);
    }
}

/* A new zeroed tensor of the file, name being "PREFIX.rest". An empty
 * prefix (a bare module: `from pytorch "";`) names it "rest", as the
 * loader reads it. */
static float *add_tensor(Init *in, const char *name, int ndim, long d0, long d1, long d2)
{
    InitTensors *t = in->t;
    if (name[0] == '.')
        name++;
    if (t->n == in->cap) {
        int cap = in->cap ? 2 * in->cap : 16;
        const char **names = arena_alloc(in->a, sizeof *names * (size_t)cap);
        int *ndims = arena_alloc(in->a, sizeof *ndims * (size_t)cap);
        long (*shapes)[ST_MAX_DIMS] = arena_alloc(in->a, sizeof *shapes * (size_t)cap);
        float **data = arena_alloc(in->a, sizeof *data * (size_t)cap);
        if (t->n) {
            memcpy(names, t->names, sizeof *names * (size_t)t->n);
            memcpy(ndims, t->ndims, sizeof *ndims * (size_t)t->n);
            memcpy(shapes, t->shapes, sizeof *shapes * (size_t)t->n);
            memcpy(data, t->data, sizeof *data * (size_t)t->n);
        }
        t->names = names, t->ndims = ndims, t->shapes = shapes, t->data = data;
        in->cap = cap;
    }
    long dims[3] = {d0, d1, d2}, count = 1;
    t->names[t->n] = name;
    t->ndims[t->n] = ndim;
    for (int k = 0; k < ndim; k++) {
        t->shapes[t->n][k] = dims[k];
        count *= dims[k];
    }
    t->data[t->n] = arena_alloc(in->a, sizeof(float) * (size_t)(count ? count : 1));
    return t->data[t->n++];
}

/* The framework's gate order: position of gate g among the four. */
static const int pytorch_slot[GATE_COUNT] = {0, 1, 2, 3};   /* i f g o (keras: i f c o) */
static const int onnx_slot[GATE_COUNT] = {0, 2, 3, 1};      /* i o f c */

/* Columns [c0, c0 + n) of the four stacked gates into dst: [4H, n], or
 * transposed [n, 4H] (Keras). */
static void put_stacked(const IrLstm *l, const Drawn *d, const int slot[GATE_COUNT], float *dst, int c0,
                        int n, int transposed)
{
    long H = l->hidden, K = l->input + l->recurrent;
    for (int g = 0; g < GATE_COUNT; g++)
        for (long r = 0; r < H; r++)
            for (long c = 0; c < n; c++) {
                long row = slot[g] * H + r;
                float v = (float)d->w[g][r * K + c0 + c];
                if (transposed)
                    dst[c * 4 * H + row] = v;
                else
                    dst[row * n + c] = v;
            }
}

/* The stacked biases: b (with two_biases, b2 into dst2), else b + b2 under
 * pytorch (the sum PyTorch's cell adds), b alone under the other schemes. */
static void put_stacked_bias(const IrLstm *l, const Drawn *d, const int slot[GATE_COUNT], InitScheme s,
                             float *dst, float *dst2)
{
    long H = l->hidden;
    for (int g = 0; g < GATE_COUNT; g++)
        for (long r = 0; r < H; r++) {
            double b = d->b[g][r], b2 = s == INIT_PYTORCH ? d->b2[g][r] : 0.0;
            if (dst2) {
                dst[slot[g] * H + r] = (float)b;
                dst2[slot[g] * H + r] = (float)b2;
            } else {
                dst[slot[g] * H + r] = (float)(b + b2);
            }
        }
}

static void write_pytorch(Init *in, const IrLayer *L, int dir, const Drawn *d, InitScheme s)
{
    const IrLstm *l = &L->lstm;
    const char *p = L->source.prefix[dir];
    const char *sfx = arena_printf(in->a, "_l%d%s", L->source.index, dir == 1 ? "_reverse" : "");
    long H4 = 4L * l->hidden;
    put_stacked(l, d, pytorch_slot, add_tensor(in, arena_printf(in->a, "%s.weight_ih%s", p, sfx), 2, H4, l->input, 0),
                0, l->input, 0);
    put_stacked(l, d, pytorch_slot,
                add_tensor(in, arena_printf(in->a, "%s.weight_hh%s", p, sfx), 2, H4, l->recurrent, 0),
                l->input, l->recurrent, 0);
    if (L->source.bias) {
        float *b1 = add_tensor(in, arena_printf(in->a, "%s.bias_ih%s", p, sfx), 1, H4, 0, 0);
        float *b2 = add_tensor(in, arena_printf(in->a, "%s.bias_hh%s", p, sfx), 1, H4, 0, 0);
        put_stacked_bias(l, d, pytorch_slot, s, b1, b2);
    }
    if (l->proj) {
        float *w = add_tensor(in, arena_printf(in->a, "%s.weight_hr%s", p, sfx), 2, l->proj, l->hidden, 0);
        for (long e = 0; e < (long)l->proj * l->hidden; e++)
            w[e] = (float)d->proj[e];
    }
    if (l->initial_state) {
        add_tensor(in, arena_printf(in->a, "%s.h0%s", p, sfx), 1, l->recurrent, 0, 0);
        add_tensor(in, arena_printf(in->a, "%s.c0%s", p, sfx), 1, l->hidden, 0, 0);
    }
}

static void write_keras(Init *in, const IrLayer *L, int dir, const Drawn *d, InitScheme s)
{
    const IrLstm *l = &L->lstm;
    const char *p = L->source.prefix[dir];
    long H4 = 4L * l->hidden;
    put_stacked(l, d, pytorch_slot, add_tensor(in, arena_printf(in->a, "%s.kernel", p), 2, l->input, H4, 0), 0,
                l->input, 1);
    put_stacked(l, d, pytorch_slot,
                add_tensor(in, arena_printf(in->a, "%s.recurrent_kernel", p), 2, l->hidden, H4, 0), l->input,
                l->hidden, 1);
    if (L->source.bias)
        put_stacked_bias(l, d, pytorch_slot, s, add_tensor(in, arena_printf(in->a, "%s.bias", p), 1, H4, 0, 0),
                         NULL);
    if (l->initial_state) {
        add_tensor(in, arena_printf(in->a, "%s.h0", p), 1, l->recurrent, 0, 0);
        add_tensor(in, arena_printf(in->a, "%s.c0", p), 1, l->hidden, 0, 0);
    }
}

/* ONNX keeps both directions in each tensor. */
static void write_onnx(Init *in, const IrLayer *L, const Drawn *d, InitScheme s)
{
    const IrLstm *l = &L->lstm;
    const char *p = L->source.prefix[0];
    long H = l->hidden, D = l->dirs, I = l->input;
    float *w = add_tensor(in, arena_printf(in->a, "%s.W", p), 3, D, 4 * H, I);
    float *r = add_tensor(in, arena_printf(in->a, "%s.R", p), 3, D, 4 * H, H);
    float *b = L->source.bias ? add_tensor(in, arena_printf(in->a, "%s.B", p), 2, D, 8 * H, 0) : NULL;
    float *pp = l->peepholes ? add_tensor(in, arena_printf(in->a, "%s.P", p), 2, D, 3 * H, 0) : NULL;
    for (int k = 0; k < D; k++) {
        put_stacked(l, &d[k], onnx_slot, w + k * 4 * H * I, 0, (int)I, 0);
        put_stacked(l, &d[k], onnx_slot, r + k * 4 * H * H, (int)I, (int)H, 0);
        if (b)
            put_stacked_bias(l, &d[k], onnx_slot, s, b + k * 8 * H, b + k * 8 * H + 4 * H);
        if (pp) {
            static const int peep_slot[GATE_COUNT] = {0, 2, -1, 1};   /* i o f */
            for (int g = 0; g < GATE_COUNT; g++)
                if (d[k].p[g])
                    for (long j = 0; j < H; j++)
                        pp[k * 3 * H + peep_slot[g] * H + j] = (float)d[k].p[g][j];
        }
    }
    if (l->initial_state) {
        add_tensor(in, arena_printf(in->a, "%s.initial_h", p), 3, D, 1, H);
        add_tensor(in, arena_printf(in->a, "%s.initial_c", p), 3, D, 1, H);
    }
}

static void write_native(Init *in, const IrLayer *L, int dir, const Drawn *d, InitScheme s)
{
    static const char gate_letter[GATE_COUNT] = {'i', 'f', 'g', 'o'};
    const IrLstm *l = &L->lstm;
    const char *p = L->source.prefix[dir];
    const char *sfx = arena_printf(in->a, "%s%s", L->source.stacked ? arena_printf(in->a, "_l%d", L->source.index) : "",
                                   l->dirs == 2 && dir == 1 ? "_reverse" : "");
    long K = l->input + l->recurrent;
    for (int g = 0; g < GATE_COUNT; g++) {
        if (!ir_gate_has_weights(l, g))
            continue;
        long rows = ir_gate_rows(l, g);
        float *w = add_tensor(in, arena_printf(in->a, "%s.w_%c%s", p, gate_letter[g], sfx), 2, rows, K, 0);
        for (long e = 0; e < rows * K; e++)
            w[e] = (float)d->w[g][e];
        if (L->source.bias) {
            float *b = add_tensor(in, arena_printf(in->a, "%s.b_%c%s", p, gate_letter[g], sfx), 1, rows, 0, 0);
            for (long r = 0; r < rows; r++)
                b[r] = (float)(d->b[g][r] + (s == INIT_PYTORCH ? d->b2[g][r] : 0.0));
        }
        if (l->peepholes && g != GATE_G) {
            float *pv = add_tensor(in, arena_printf(in->a, "%s.p_%c%s", p, gate_letter[g], sfx), 1, l->hidden, 0, 0);
            for (long j = 0; j < l->hidden; j++)
                pv[j] = (float)d->p[g][j];
        }
    }
    if (l->proj) {
        float *w = add_tensor(in, arena_printf(in->a, "%s.w_proj%s", p, sfx), 2, l->proj, l->hidden, 0);
        for (long e = 0; e < (long)l->proj * l->hidden; e++)
            w[e] = (float)d->proj[e];
    }
    if (l->initial_state) {
        add_tensor(in, arena_printf(in->a, "%s.h0%s", p, sfx), 1, l->recurrent, 0, 0);
        add_tensor(in, arena_printf(in->a, "%s.c0%s", p, sfx), 1, l->hidden, 0, 0);
    }
}

static void write_dense(Init *in, const IrLayer *L, InitScheme s)
{
    const char *p = L->source.prefix[0];
    long n_in = L->input, units = L->output;
    int keras = L->source.conv == CONV_KERAS;
    double lim = s == INIT_PYTORCH ? 1.0 / sqrt((double)n_in) : s == INIT_1997 ? 0.1
                                                                 : sqrt(6.0 / (double)(n_in + units));
    float *w = add_tensor(in, arena_printf(in->a, "%s.%s", p, keras ? "kernel" : "weight"), 2,
                          keras ? n_in : units, keras ? units : n_in, 0);
    for (long e = 0; e < n_in * units; e++)
        w[e] = (float)rng_uniform(&in->rng, lim);
    if (L->source.bias) {
        float *b = add_tensor(in, arena_printf(in->a, "%s.bias", p), 1, units, 0, 0);
        for (long u = 0; u < units; u++)
            b[u] = s == INIT_KERAS ? 0.0f : (float)rng_uniform(&in->rng, lim);
    }
}

/* An embedding's table: N(0, 1) as nn.Embedding draws it, Keras' uniform
 * (-0.05, 0.05), the 1997 scheme's uniform(-0.1, 0.1). */
static void write_embedding(Init *in, const IrLayer *L, InitScheme s)
{
    const char *p = L->source.prefix[0];
    long n = (long)L->input * L->output;
    float *t = add_tensor(in, arena_printf(in->a, "%s.%s", p, ir_embedding_table(L->source.conv)), 2, L->input,
                          L->output, 0);
    for (long e = 0; e < n; e++)
        t[e] = (float)(s == INIT_PYTORCH ? rng_normal(&in->rng) : rng_uniform(&in->rng, s == INIT_KERAS ? 0.05 : 0.1));
}

/* ---- GRU and RNN layers ---- */

/* One GRU or RNN direction's values by part (ir.h's r, z, n; an RNN has n
 * alone): weights [H, K] over the columns x then h, the framework's input
 * bias and its recurrent bias, each as drawn. */
typedef struct GruDrawn {
    double *w[GRU_COUNT];
    double *b[GRU_COUNT];
    double *b2[GRU_COUNT];
} GruDrawn;

/* The framework's part order: position of part p (r, z, n) among the
 * three; an RNN's one part is its whole matrix. */
static const int gru_pytorch_slot[GRU_COUNT] = {0, 1, 2};   /* r z n */
static const int gru_zrh_slot[GRU_COUNT] = {1, 0, 2};       /* Keras and ONNX: z r h */

static int gru_first(const IrLayer *L)
{
    return L->kind == IR_GRU ? 0 : GRU_N;
}

static long gru_slot(const IrLayer *L, const int slot[GRU_COUNT], int p)
{
    return L->kind == IR_GRU ? slot[p] : 0;
}

/* Rows of the framework's stacked parts: 3H for a GRU, H for an RNN. */
static long gru_width(const IrLayer *L)
{
    return (L->kind == IR_GRU ? 3L : 1L) * L->gru.hidden;
}

/* Draws one direction of GRU or RNN layer L under scheme s: pytorch
 * uniform(-k, k), k = 1/sqrt(H), both biases too (nn.GRU, nn.RNN); keras
 * the kernel glorot, the recurrent kernel [H, parts * H] orthogonal, biases
 * 0; 1997 uniform(-0.1, 0.1), biases too (one of them: the other 0). */
static void draw_gru_direction(Init *in, const IrLayer *L, InitScheme s, GruDrawn *d)
{
    long H = L->gru.hidden, I = L->gru.input, K = I + H, width = gru_width(L);
    double lim = s == INIT_PYTORCH ? 1.0 / sqrt((double)H) : s == INIT_1997 ? 0.1
                                                            : sqrt(6.0 / (double)(I + width));
    double *rk = NULL;
    if (s == INIT_KERAS) {
        rk = doubles(in->a, H * width);
        orthogonal(&in->rng, rk, (int)H, (int)width);
    }
    memset(d, 0, sizeof *d);
    for (int p = gru_first(L); p < GRU_COUNT; p++) {
        d->w[p] = doubles(in->a, H * K);
        d->b[p] = doubles(in->a, H);
        d->b2[p] = doubles(in->a, H);
        long col = gru_slot(L, gru_zrh_slot, p) * H;   /* its columns of Keras' recurrent kernel */
        for (long r = 0; r < H; r++) {
            for (long c = 0; c < K; c++)
                d->w[p][r * K + c] = rk && c >= I ? rk[(c - I) * width + col + r] : rng_uniform(&in->rng, lim);
            d->b[p][r] = s == INIT_KERAS ? 0.0 : rng_uniform(&in->rng, lim);
            d->b2[p][r] = s == INIT_PYTORCH ? rng_uniform(&in->rng, lim) : 0.0;
        }
    }
}

/* Columns [c0, c0 + n) of the stacked parts into dst: [parts * H, n], or
 * transposed [n, parts * H] (Keras). */
static void gru_put(const IrLayer *L, const GruDrawn *d, const int slot[GRU_COUNT], float *dst, int c0, int n,
                    int transposed)
{
    long H = L->gru.hidden, K = L->gru.input + H, width = gru_width(L);
    for (int p = gru_first(L); p < GRU_COUNT; p++)
        for (long r = 0; r < H; r++)
            for (long c = 0; c < n; c++) {
                long row = gru_slot(L, slot, p) * H + r;
                float v = (float)d->w[p][r * K + c0 + c];
                if (transposed)
                    dst[c * width + row] = v;
                else
                    dst[row * n + c] = v;
            }
}

/* The stacked biases: the input ones into dst, the recurrent ones into
 * dst2, or without dst2 their sum (one bias per row). */
static void gru_put_bias(const IrLayer *L, const GruDrawn *d, const int slot[GRU_COUNT], float *dst, float *dst2)
{
    long H = L->gru.hidden;
    for (int p = gru_first(L); p < GRU_COUNT; p++)
        for (long r = 0; r < H; r++) {
            long i = gru_slot(L, slot, p) * H + r;
            dst[i] = (float)(dst2 ? d->b[p][r] : d->b[p][r] + d->b2[p][r]);
            if (dst2)
                dst2[i] = (float)d->b2[p][r];
        }
}

static void write_gru_pytorch(Init *in, const IrLayer *L, int dir, const GruDrawn *d)
{
    const char *p = L->source.prefix[dir];
    const char *sfx = arena_printf(in->a, "_l%d%s", L->source.index, dir == 1 ? "_reverse" : "");
    long H = L->gru.hidden, I = L->gru.input, rows = gru_width(L);
    gru_put(L, d, gru_pytorch_slot, add_tensor(in, arena_printf(in->a, "%s.weight_ih%s", p, sfx), 2, rows, I, 0),
            0, (int)I, 0);
    gru_put(L, d, gru_pytorch_slot, add_tensor(in, arena_printf(in->a, "%s.weight_hh%s", p, sfx), 2, rows, H, 0),
            (int)I, (int)H, 0);
    if (L->source.bias)
        gru_put_bias(L, d, gru_pytorch_slot, add_tensor(in, arena_printf(in->a, "%s.bias_ih%s", p, sfx), 1, rows, 0, 0),
                     add_tensor(in, arena_printf(in->a, "%s.bias_hh%s", p, sfx), 1, rows, 0, 0));
    if (L->gru.initial_state)
        add_tensor(in, arena_printf(in->a, "%s.h0%s", p, sfx), 1, H, 0, 0);
}

/* Keras' bias: [2, 3H] (input, recurrent) with reset_after=True, else one
 * row [3H]; an RNN's [H]. */
static void write_gru_keras(Init *in, const IrLayer *L, int dir, const GruDrawn *d)
{
    const char *p = L->source.prefix[dir];
    long H = L->gru.hidden, I = L->gru.input, cols = gru_width(L);
    gru_put(L, d, gru_zrh_slot, add_tensor(in, arena_printf(in->a, "%s.kernel", p), 2, I, cols, 0), 0, (int)I, 1);
    gru_put(L, d, gru_zrh_slot, add_tensor(in, arena_printf(in->a, "%s.recurrent_kernel", p), 2, H, cols, 0),
            (int)I, (int)H, 1);
    if (L->source.bias) {
        int two = L->kind == IR_GRU && L->gru.reset_after;
        const char *name = arena_printf(in->a, "%s.bias", p);
        float *b = two ? add_tensor(in, name, 2, 2, cols, 0) : add_tensor(in, name, 1, cols, 0, 0);
        gru_put_bias(L, d, gru_zrh_slot, b, two ? b + cols : NULL);
    }
    if (L->gru.initial_state)
        add_tensor(in, arena_printf(in->a, "%s.h0", p), 1, H, 0, 0);
}

/* ONNX keeps both directions in each tensor. */
static void write_gru_onnx(Init *in, const IrLayer *L, const GruDrawn *d)
{
    const char *p = L->source.prefix[0];
    long H = L->gru.hidden, I = L->gru.input, D = L->gru.dirs, rows = gru_width(L);
    float *w = add_tensor(in, arena_printf(in->a, "%s.W", p), 3, D, rows, I);
    float *r = add_tensor(in, arena_printf(in->a, "%s.R", p), 3, D, rows, H);
    float *b = L->source.bias ? add_tensor(in, arena_printf(in->a, "%s.B", p), 2, D, 2 * rows, 0) : NULL;
    for (int k = 0; k < D; k++) {
        gru_put(L, &d[k], gru_zrh_slot, w + k * rows * I, 0, (int)I, 0);
        gru_put(L, &d[k], gru_zrh_slot, r + k * rows * H, (int)I, (int)H, 0);
        if (b)
            gru_put_bias(L, &d[k], gru_zrh_slot, b + k * 2 * rows, b + k * 2 * rows + rows);
    }
    if (L->gru.initial_state)
        add_tensor(in, arena_printf(in->a, "%s.initial_h", p), 3, D, 1, H);
}

/* lstmc's own names: a part's weights w_r, w_z, w_n [H, K] (an RNN's w),
 * one bias each, and with reset after the candidate's recurrent bias b_hn
 * apart. */
static void write_gru_native(Init *in, const IrLayer *L, int dir, const GruDrawn *d)
{
    static const char *const part_name[GRU_COUNT] = {"_r", "_z", "_n"};
    const IrGru *g = &L->gru;
    const char *p = L->source.prefix[dir];
    const char *sfx = arena_printf(in->a, "%s%s", L->source.stacked ? arena_printf(in->a, "_l%d", L->source.index) : "",
                                   g->dirs == 2 && dir == 1 ? "_reverse" : "");
    long H = g->hidden, K = g->input + H;
    int gru = L->kind == IR_GRU, apart = gru && g->reset_after;
    for (int k = gru_first(L); k < GRU_COUNT; k++) {
        const char *part = gru ? part_name[k] : "";
        float *w = add_tensor(in, arena_printf(in->a, "%s.w%s%s", p, part, sfx), 2, H, K, 0);
        for (long e = 0; e < H * K; e++)
            w[e] = (float)d->w[k][e];
        if (!L->source.bias)
            continue;
        float *b = add_tensor(in, arena_printf(in->a, "%s.b%s%s", p, part, sfx), 1, H, 0, 0);
        for (long r = 0; r < H; r++)
            b[r] = (float)(d->b[k][r] + (apart && k == GRU_N ? 0.0 : d->b2[k][r]));
    }
    if (apart && L->source.bias) {
        float *b = add_tensor(in, arena_printf(in->a, "%s.b_hn%s", p, sfx), 1, H, 0, 0);
        for (long r = 0; r < H; r++)
            b[r] = (float)d->b2[GRU_N][r];
    }
    if (g->initial_state)
        add_tensor(in, arena_printf(in->a, "%s.h0%s", p, sfx), 1, H, 0, 0);
}

static void write_gru(Init *in, const IrLayer *L, InitScheme s)
{
    GruDrawn d[2];
    for (int k = 0; k < L->gru.dirs; k++)
        draw_gru_direction(in, L, s, &d[k]);
    switch (L->source.conv) {
    case CONV_PYTORCH: for (int k = 0; k < L->gru.dirs; k++) write_gru_pytorch(in, L, k, &d[k]); break;
    case CONV_KERAS: for (int k = 0; k < L->gru.dirs; k++) write_gru_keras(in, L, k, &d[k]); break;
    case CONV_ONNX: write_gru_onnx(in, L, d); break;
    case CONV_NATIVE: for (int k = 0; k < L->gru.dirs; k++) write_gru_native(in, L, k, &d[k]); break;
    }
}

void init_weights(Arena *a, const IrModel *m, InitScheme scheme, unsigned long long seed, InitTensors *out)
{
    Init in = {a, {seed * 0x9E3779B97F4A7C15ULL + 1}, out, 0};
    memset(out, 0, sizeof *out);
    if (m->embedding)
        write_embedding(&in, m->embedding, scheme != INIT_DEFAULT ? scheme
                        : m->embedding->source.conv == CONV_KERAS ? INIT_KERAS : INIT_PYTORCH);
    for (int i = 0; i < m->nlayers; i++) {
        const IrLayer *L = &m->layers[i];
        InitScheme s = scheme != INIT_DEFAULT ? scheme
                       : L->source.conv == CONV_KERAS ? INIT_KERAS : INIT_PYTORCH;
        if (L->kind == IR_DENSE) {
            write_dense(&in, L, s);
            continue;
        }
        if (L->kind == IR_GRU || L->kind == IR_RNN) {
            write_gru(&in, L, s);
            continue;
        }
        int stacked = L->source.conv != CONV_NATIVE;
        Drawn d[2];
        for (int k = 0; k < L->lstm.dirs; k++)
            draw_direction(&in, &L->lstm, s, stacked, &d[k]);
        switch (L->source.conv) {
        case CONV_PYTORCH: for (int k = 0; k < L->lstm.dirs; k++) write_pytorch(&in, L, k, &d[k], s); break;
        case CONV_KERAS: for (int k = 0; k < L->lstm.dirs; k++) write_keras(&in, L, k, &d[k], s); break;
        case CONV_ONNX: write_onnx(&in, L, d, s); break;
        case CONV_NATIVE: for (int k = 0; k < L->lstm.dirs; k++) write_native(&in, L, k, &d[k], s); break;
        }
    }
}
