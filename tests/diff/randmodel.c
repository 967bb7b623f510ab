/*
 * randmodel.c - the random model generator of the differential tests.
 *
 *   randmodel SEED OUTDIR
 *
 * Writes OUTDIR/model.lstm, OUTDIR/weights.safetensors and OUTDIR/input.txt:
 * a random model that `lstmc check` accepts, its weights and a few input
 * sequences, all determined by SEED alone (our own PRNG, never rand(), so a
 * seed names the same model on every machine). Prints a one-line summary of
 * the constructs it used, for the log of tests/run_diff.sh.
 *
 * Over the seeds it covers every construct of grammar/SPEC.md: lstm and
 * dense blocks in any order, stacked layers, the three directions, memory
 * cell blocks (written `blocks N` or `block_size S`), every gate subset,
 * coupled gates, peepholes, every activation in every slot, forget_bias,
 * the three clips, projection, no_bias, initial_state, every output form, and
 * the four weights conventions wherever they can express the layer; and gru
 * (reset after: the compiled formulation) and rnn blocks in their place,
 * with their activations, clip, no_bias and initial_state; and an
 * embedding first (`input tokens;`, token ids as input, a few per line) in
 * one model in eight, in the four conventions.
 *
 * Values stay in a sane range so float and double agree to 1e-5: weights
 * are U(-1/sqrt(K), 1/sqrt(K)) with K the width a row reads, inputs N(0, 1),
 * and activation parameters are the usual ones or near them. The generator
 * then runs its model through lstmc's own front end and interpreter: a
 * model lstmc rejects is an error (exit 1), and one whose layers output
 * values beyond PEAK_LIMIT is drawn again from the seed's next attempt.
 */
#include "ast.h"
#include "interp.h"
#include "safetensors.h"
#include "sema.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Largest |value| a model's layers may output on its input (see main). */
#define PEAK_LIMIT 10.0

/* ---- the PRNG: splitmix64 ---- */

typedef struct Rng {
    uint64_t s;
} Rng;

static uint64_t rng_next(Rng *r)
{
    uint64_t z = (r->s += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

/* Uniform in [0, 1). */
static double rng_unit(Rng *r)
{
    return (double)(rng_next(r) >> 11) * 0x1.0p-53;
}

/* Uniform integer in [lo, hi]. */
static int rng_int(Rng *r, int lo, int hi)
{
    return lo + (int)(rng_next(r) % (uint64_t)(hi - lo + 1));
}

static int rng_chance(Rng *r, double p)
{
    return rng_unit(r) < p;
}

static double rng_uniform(Rng *r, double lo, double hi)
{
    return lo + (hi - lo) * rng_unit(r);
}

/* N(0, 1) by Box-Muller. */
static double rng_normal(Rng *r)
{
    double u1 = 1.0 - rng_unit(r);    /* (0, 1]: log(u1) is finite */
    double u2 = rng_unit(r);
    return sqrt(-2.0 * log(u1)) * cos(2.0 * 3.14159265358979323846 * u2);
}

/* Index into weights[0..n): picks k with probability weights[k] / sum. */
static int rng_pick(Rng *r, const double *weights, int n)
{
    double sum = 0;
    for (int k = 0; k < n; k++)
        sum += weights[k];
    double x = rng_unit(r) * sum;
    for (int k = 0; k < n; k++) {
        if (x < weights[k])
            return k;
        x -= weights[k];
    }
    return n - 1;
}

/* ---- text ---- */

/* The summary line, appended to piece by piece (truncated, never overrun). */
typedef struct Text {
    char s[1024];
    size_t len;
} Text;

static void PRINTF_LIKE(2, 3) text_add(Text *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(t->s + t->len, sizeof t->s - t->len, fmt, ap);
    va_end(ap);
    if (n > 0)
        t->len += (size_t)n < sizeof t->s - t->len ? (size_t)n : sizeof t->s - t->len - 1;
}

/* s without its spaces (one summary token per option), in a static
 * buffer. */
static const char *squeeze(const char *s)
{
    static char buf[128];
    size_t n = 0;
    for (; *s && n + 1 < sizeof buf; s++)
        if (*s != ' ')
            buf[n++] = *s;
    buf[n] = '\0';
    return buf;
}

/* ---- tensors ---- */

typedef struct Tensors {
    int n, cap;
    const char **names;
    int *ndims;
    long (*shapes)[ST_MAX_DIMS];
    float **data;
} Tensors;

/* The index of a new tensor at the end of t, its fields unset. */
static int tensor_slot(Tensors *t)
{
    if (t->n == t->cap) {
        t->cap = t->cap ? 2 * t->cap : 32;
        t->names = realloc(t->names, sizeof *t->names * (size_t)t->cap);
        t->ndims = realloc(t->ndims, sizeof *t->ndims * (size_t)t->cap);
        t->shapes = realloc(t->shapes, sizeof *t->shapes * (size_t)t->cap);
        t->data = realloc(t->data, sizeof *t->data * (size_t)t->cap);
        if (!t->names || !t->ndims || !t->shapes || !t->data) {
            fprintf(stderr, "randmodel: out of memory\n");
            exit(1);
        }
    }
    return t->n++;
}

static void tensor_swap(Tensors *t, int i, int j)
{
    const char *name = t->names[i];
    int ndim = t->ndims[i];
    long shape[ST_MAX_DIMS];
    float *data = t->data[i];
    memcpy(shape, t->shapes[i], sizeof shape);
    t->names[i] = t->names[j];
    t->ndims[i] = t->ndims[j];
    memcpy(t->shapes[i], t->shapes[j], sizeof shape);
    t->data[i] = t->data[j];
    t->names[j] = name;
    t->ndims[j] = ndim;
    memcpy(t->shapes[j], shape, sizeof shape);
    t->data[j] = data;
}

/* Appends a tensor of shape [d0], [d0, d1] or [d0, d1, d2] (the first ndim
 * of them) filled with U(-range, range), named by fmt. */
static void PRINTF_LIKE(8, 9)
add_tensor(Tensors *t, Rng *r, double range, int ndim, long d0, long d1, long d2,
           const char *fmt, ...)
{
    char name[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(name, sizeof name, fmt, ap);
    va_end(ap);
    int k = tensor_slot(t);
    long dims[3] = {d0, d1, d2}, count = 1;
    t->names[k] = strdup(name);
    t->ndims[k] = ndim;
    memset(t->shapes[k], 0, sizeof t->shapes[k]);
    for (int i = 0; i < ndim; i++) {
        t->shapes[k][i] = dims[i];
        count *= dims[i];
    }
    t->data[k] = malloc(sizeof(float) * (size_t)(count ? count : 1));
    if (!t->names[k] || !t->data[k]) {
        fprintf(stderr, "randmodel: out of memory\n");
        exit(1);
    }
    for (long i = 0; i < count; i++)
        t->data[k][i] = (float)rng_uniform(r, -range, range);
}

/* ---- activations ---- */

enum { ROLE_GATE, ROLE_CELL_INPUT, ROLE_CELL_OUTPUT, ROLE_DENSE };

/* A number for a spec, as short as it reads well. */
static void num(char *buf, size_t n, double x)
{
    snprintf(buf, n, "%.3g", x);
}

/* Writes a random activation for role into out ("hard_sigmoid(1/6, 0.5)").
 * Parameters are the frameworks' usual ones or near them; a gate gets
 * mostly squashing functions so the cell state stays in range. */
static void pick_activation(Rng *r, int role, char *out, size_t size)
{
    static const char *const names[] = {
        "sigmoid", "tanh", "hard_sigmoid", "scaled_sigmoid", "scaled_tanh", "relu",
        "leaky_relu", "thresholded_relu", "elu", "softsign", "softplus", "affine",
        "identity", "softmax",
    };
    /* relative odds per role, in the order of names[] */
    static const double odds[4][14] = {
        /* gate */  {3, 1.5, 3, 2.5, 1, 1, 1, 1, 1, 1.5, 1, 1, 0.6, 0},
        /* cell in */  {2, 1, 1.5, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 0},
        /* cell out */ {2, 1, 1.5, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 0},
        /* dense */ {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2.5},
    };
    int k = rng_pick(r, odds[role], 14);
    const char *name = names[k];
    char a[16], b[16];
    switch (k) {
    case 2: /* hard_sigmoid */
        switch (rng_int(r, 0, 2)) {
        case 0: snprintf(out, size, "hard_sigmoid(0.2, 0.5)"); return;
        case 1: snprintf(out, size, "hard_sigmoid(1/6, 0.5)"); return;
        }
        num(a, sizeof a, rng_uniform(r, 0.1, 1.0));
        num(b, sizeof b, rng_uniform(r, 0.3, 0.7));
        break;
    case 3: /* scaled_sigmoid */
        if (role == ROLE_GATE) {
            if (rng_chance(r, 0.3)) {
                snprintf(out, size, "scaled_sigmoid(0, 1)");
                return;
            }
            num(a, sizeof a, rng_uniform(r, -0.2, 0.2));
            num(b, sizeof b, rng_uniform(r, 0.8, 1.2));
        } else {
            switch (rng_int(r, 0, 2)) {
            case 0: snprintf(out, size, "scaled_sigmoid(-2, 2)"); return;
            case 1: snprintf(out, size, "scaled_sigmoid(-1, 1)"); return;
            }
            num(a, sizeof a, rng_uniform(r, -2, 0));
            num(b, sizeof b, rng_uniform(r, 0.5, 2));
        }
        break;
    case 4: /* scaled_tanh */
        if (rng_chance(r, 0.3)) {
            snprintf(out, size, "scaled_tanh(1.7159, 2/3)");
            return;
        }
        num(a, sizeof a, rng_uniform(r, 0.5, role == ROLE_GATE ? 1.0 : 1.5));
        num(b, sizeof b, rng_uniform(r, 0.5, 1.5));
        break;
    case 6: /* leaky_relu */
        num(a, sizeof a, rng_chance(r, 0.5) ? 0.01 : rng_uniform(r, 0.01, 0.3));
        snprintf(out, size, "leaky_relu(%s)", a);
        return;
    case 7: /* thresholded_relu */
        num(a, sizeof a, rng_chance(r, 0.3) ? 1.0 : rng_uniform(r, 0, 1));
        snprintf(out, size, "thresholded_relu(%s)", a);
        return;
    case 8: /* elu */
        num(a, sizeof a, rng_chance(r, 0.5) ? 1.0 : rng_uniform(r, 0.2, 1.5));
        snprintf(out, size, "elu(%s)", a);
        return;
    case 11: /* affine */
        if (role == ROLE_GATE) {
            num(a, sizeof a, rng_uniform(r, 0.1, 0.5));
            num(b, sizeof b, rng_uniform(r, 0.2, 0.6));
        } else {
            num(a, sizeof a, rng_uniform(r, -1, 1));
            num(b, sizeof b, rng_uniform(r, -0.5, 0.5));
        }
        break;
    default:
        snprintf(out, size, "%s", name);
        return;
    }
    snprintf(out, size, "%s(%s, %s)", name, a, b);
}

/* ---- the model ---- */

static const char *const conv_names[] = {"pytorch", "keras", "onnx", "native"};
enum { PYTORCH, KERAS, ONNX, NATIVE };

typedef struct Gen {
    Rng r;
    /* initial_state and its tensors draw from r2 and go to init, merged
     * into t at the end: a seed's other draws stay what they were before
     * lstmc had initial_state */
    Rng r2;
    /* whether an lstm block's place goes to a gru or rnn block draws from
     * r3, so that a seed's lstm-only models stay what they were */
    Rng r3;
    /* likewise the output forms final, mean and max and log_softmax draw
     * from r4 */
    Rng r4;
    /* the embedding's vocabulary, convention, table and token ids draw from
     * r5, so that a seed's other draws stay what they were */
    Rng r5;
    int vocab;        /* > 0: the model starts with an embedding of vocab ids */
    FILE *spec;
    Tensors t, init;
    Text summary;
    int input;        /* the model's input features */
    int width;        /* features into the next block */
    int nlstm;        /* lstm blocks so far */
    int nseq;         /* input sequences */
    int steps[3];     /* their lengths */
    double *x[3];     /* their values, steps[s] * input */
} Gen;

/* A block's statements, shuffled before they are written. */
typedef struct Lines {
    char s[20][200];
    int n;
} Lines;

static void PRINTF_LIKE(2, 3) line_add(Lines *l, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(l->s[l->n++], sizeof l->s[0], fmt, ap);
    va_end(ap);
}

/* Writes `kind name {`, the statements (in random order half the time),
 * `}`; extra, if not NULL, goes at a place drawn from g->r2. */
static void write_block(Gen *g, const char *kind, const char *name, Lines *l, const char *extra)
{
    if (rng_chance(&g->r, 0.5))
        for (int i = l->n - 1; i > 0; i--) {
            int j = rng_int(&g->r, 0, i);
            char tmp[200];
            memcpy(tmp, l->s[i], sizeof tmp);
            memcpy(l->s[i], l->s[j], sizeof tmp);
            memcpy(l->s[j], tmp, sizeof tmp);
        }
    int at = extra ? rng_int(&g->r2, 0, l->n) : -1;
    fprintf(g->spec, "    %s %s {\n", kind, name);
    for (int i = 0; i <= l->n; i++) {
        if (i == at)
            fprintf(g->spec, "        %s\n", extra);
        if (i < l->n)
            fprintf(g->spec, "        %s\n", l->s[i]);
    }
    fprintf(g->spec, "    }\n");
}

/* The statement `from CONV "p0", "p1", ...;`. */
static void from_line(Lines *l, int conv, const char *const *prefixes, int n)
{
    char buf[200];
    int len = snprintf(buf, sizeof buf, "from %s ", conv_names[conv]);
    for (int i = 0; i < n && len < (int)sizeof buf; i++)
        len += snprintf(buf + len, sizeof buf - (size_t)len, "%s\"%s\"", i ? ", " : "",
                        prefixes[i]);
    line_add(l, "%s;", buf);
}

/* Options of one random lstm block. */
typedef struct Lstm {
    int conv, H, layers, dirs, S, P, bias;
    int has_i, has_f, has_o, coupled, peepholes;
    int init;         /* initial_state: h0, c0 U(-1, 1) */
} Lstm;

/* Tensors of layer k (input width I) in the block's convention. */
static void lstm_weights(Gen *g, const Lstm *o, const char *const *prefixes, int k, int I)
{
    Tensors *t = &g->t;
    Rng *r = &g->r;
    long H = o->H, R = o->P ? o->P : o->H, K = I + R, H4 = 4 * H;
    double range = 1.0 / sqrt((double)K);
    switch (o->conv) {
    case PYTORCH:
        for (int d = 0; d < o->dirs; d++) {
            const char *p = prefixes[0], *rev = d == 1 ? "_reverse" : "";
            add_tensor(t, r, range, 2, H4, I, 0, "%s.weight_ih_l%d%s", p, k, rev);
            add_tensor(t, r, range, 2, H4, R, 0, "%s.weight_hh_l%d%s", p, k, rev);
            if (o->bias) {
                add_tensor(t, r, range, 1, H4, 0, 0, "%s.bias_ih_l%d%s", p, k, rev);
                add_tensor(t, r, range, 1, H4, 0, 0, "%s.bias_hh_l%d%s", p, k, rev);
            }
            if (o->P)
                add_tensor(t, r, 1.0 / sqrt((double)H), 2, o->P, H, 0, "%s.weight_hr_l%d%s", p, k,
                           rev);
            if (o->init) {
                add_tensor(&g->init, &g->r2, 1.0, 1, R, 0, 0, "%s.h0_l%d%s", p, k, rev);
                add_tensor(&g->init, &g->r2, 1.0, 1, H, 0, 0, "%s.c0_l%d%s", p, k, rev);
            }
        }
        break;
    case KERAS:
        for (int d = 0; d < o->dirs; d++) {
            const char *p = prefixes[k * o->dirs + d];
            add_tensor(t, r, range, 2, I, H4, 0, "%s.kernel", p);
            add_tensor(t, r, range, 2, H, H4, 0, "%s.recurrent_kernel", p);
            if (o->bias)
                add_tensor(t, r, range, 1, H4, 0, 0, "%s.bias", p);
            if (o->init) {
                add_tensor(&g->init, &g->r2, 1.0, 1, H, 0, 0, "%s.h0", p);
                add_tensor(&g->init, &g->r2, 1.0, 1, H, 0, 0, "%s.c0", p);
            }
        }
        break;
    case ONNX: {
        const char *p = prefixes[k];
        add_tensor(t, r, range, 3, o->dirs, H4, I, "%s.W", p);
        add_tensor(t, r, range, 3, o->dirs, H4, H, "%s.R", p);
        if (o->bias)
            add_tensor(t, r, range, 2, o->dirs, 8 * H, 0, "%s.B", p);
        if (o->peepholes)
            add_tensor(t, r, range, 2, o->dirs, 3 * H, 0, "%s.P", p);
        if (o->init) {
            add_tensor(&g->init, &g->r2, 1.0, 3, o->dirs, 1, H, "%s.initial_h", p);
            add_tensor(&g->init, &g->r2, 1.0, 3, o->dirs, 1, H, "%s.initial_c", p);
        }
        break;
    }
    case NATIVE:
        for (int d = 0; d < o->dirs; d++) {
            char sfx[32];
            if (o->layers > 1)
                snprintf(sfx, sizeof sfx, "_l%d%s", k, d == 1 ? "_reverse" : "");
            else
                snprintf(sfx, sizeof sfx, "%s", d == 1 ? "_reverse" : "");
            const char *p = prefixes[0];
            long NB = H / o->S;
            static const char gate[4] = {'i', 'f', 'g', 'o'};
            int has[4] = {o->has_i, o->has_f && !o->coupled, 1, o->has_o};
            for (int q = 0; q < 4; q++) {
                if (!has[q])
                    continue;
                long rows = gate[q] == 'g' ? H : NB;
                add_tensor(t, r, range, 2, rows, K, 0, "%s.w_%c%s", p, gate[q], sfx);
                if (o->bias)
                    add_tensor(t, r, range, 1, rows, 0, 0, "%s.b_%c%s", p, gate[q], sfx);
                if (o->peepholes && gate[q] != 'g')
                    add_tensor(t, r, range, 1, H, 0, 0, "%s.p_%c%s", p, gate[q], sfx);
            }
            if (o->P)
                add_tensor(t, r, 1.0 / sqrt((double)H), 2, o->P, H, 0, "%s.w_proj%s", p, sfx);
            if (o->init) {
                add_tensor(&g->init, &g->r2, 1.0, 1, R, 0, 0, "%s.h0%s", p, sfx);
                add_tensor(&g->init, &g->r2, 1.0, 1, H, 0, 0, "%s.c0%s", p, sfx);
            }
        }
        break;
    }
}

/* lstm NAME { ... } with random options; appends its weights. */
static void gen_lstm(Gen *g, const char *name)
{
    Rng *r = &g->r;
    Lines l = {.n = 0};
    Text *sum = &g->summary;
    Lstm o = {0};
    static const double conv_odds[] = {25, 20, 20, 35};
    o.conv = rng_pick(r, conv_odds, 4);
    int native = o.conv == NATIVE;
    o.H = rng_chance(r, 0.06) ? rng_int(r, 41, 96) : rng_int(r, 1, 40);
    static const double layer_odds[] = {55, 30, 15};
    o.layers = 1 + rng_pick(r, layer_odds, 3);
    static const double dir_odds[] = {45, 20, 35};
    int dir = rng_pick(r, dir_odds, 3);
    o.dirs = dir == 2 ? 2 : 1;
    o.S = 1;
    if (native && rng_chance(r, 0.45)) {
        o.S = rng_int(r, 2, 4);
        o.H = o.S * (o.H / o.S > 0 ? o.H / o.S : 1);
    }
    o.has_i = o.has_f = o.has_o = 1;
    if (native && rng_chance(r, 0.4)) {
        int mask = rng_int(r, 1, 6);   /* a nonempty proper subset of {i, f, o} */
        o.has_i = mask & 1;
        o.has_f = (mask >> 1) & 1;
        o.has_o = (mask >> 2) & 1;
    }
    if ((native || o.conv == ONNX) && o.has_i && o.has_f)
        o.coupled = rng_chance(r, 0.25);
    if (native || o.conv == ONNX)
        o.peepholes = rng_chance(r, 0.3);
    if ((native || o.conv == PYTORCH) && rng_chance(r, 0.25))
        o.P = rng_chance(r, 0.85) && o.H > 1 ? rng_int(r, 1, o.H - 1) : rng_int(r, 1, o.H + 3);
    o.bias = !rng_chance(r, 0.2);

    text_add(sum, " | lstm(%s H=%d", conv_names[o.conv], o.H);
    line_add(&l, "hidden %d;", o.H);
    if (o.layers > 1 || rng_chance(r, 0.1)) {
        line_add(&l, "layers %d;", o.layers);
        text_add(sum, " layers=%d", o.layers);
    }
    static const char *const dir_words[] = {"forward", "backward", "bidirectional"};
    if (dir != 0 || rng_chance(r, 0.2))
        line_add(&l, "direction %s;", dir_words[dir]);
    text_add(sum, " %s", dir_words[dir]);

    /* memory cell blocks: `blocks N`, `block_size S`, or both (they agree) */
    if (o.S > 1 || (native && rng_chance(r, 0.1))) {
        int how = rng_int(r, 0, 4);
        if (how <= 1 || how == 4)
            line_add(&l, "blocks %d;", o.H / o.S);
        if (how >= 2)
            line_add(&l, "block_size %d;", o.S);
        text_add(sum, " %s=%d", how <= 1 ? "blocks" : how == 4 ? "blocks+block_size" : "block_size",
                 how <= 1 ? o.H / o.S : o.S);
    }

    /* gates, listed in random order */
    if (!o.has_i || !o.has_f || !o.has_o || rng_chance(r, 0.1)) {
        const char *words[3];
        int n = 0;
        if (o.has_i) words[n++] = "input";
        if (o.has_f) words[n++] = "forget";
        if (o.has_o) words[n++] = "output";
        for (int i = n - 1; i > 0; i--) {
            int j = rng_int(r, 0, i);
            const char *w = words[i];
            words[i] = words[j];
            words[j] = w;
        }
        line_add(&l, "gates %s%s%s%s%s;", words[0], n > 1 ? " " : "", n > 1 ? words[1] : "",
                 n > 2 ? " " : "", n > 2 ? words[2] : "");
        text_add(sum, " gates=%s%s%s", o.has_i ? "i" : "", o.has_f ? "f" : "", o.has_o ? "o" : "");
    }
    if (o.coupled) {
        line_add(&l, "coupled;");
        text_add(sum, " coupled");
    }
    if (o.peepholes) {
        line_add(&l, "peepholes;");
        text_add(sum, " peepholes");
    }

    /* activations */
    static const char *const act_words[] = {"gate_activation", "cell_input", "cell_output"};
    static const char *const act_tags[] = {"gact", "cin", "cout"};
    for (int k = 0; k < 3; k++) {
        if (!rng_chance(r, 0.4))
            continue;
        char act[64];
        pick_activation(r, k == 0 ? ROLE_GATE : k == 1 ? ROLE_CELL_INPUT : ROLE_CELL_OUTPUT,
                        act, sizeof act);
        line_add(&l, "%s %s;", act_words[k], act);
        text_add(sum, " %s=%s", act_tags[k], squeeze(act));
    }
    if (o.has_f && !o.coupled && rng_chance(r, 0.2)) {
        static const char *const fb[] = {"1", "1.0", "0.5", "-0.5", "2"};
        char b[32];
        if (rng_chance(r, 0.7))
            snprintf(b, sizeof b, "%s", fb[rng_int(r, 0, 4)]);
        else
            num(b, sizeof b, rng_uniform(r, -2, 2));
        line_add(&l, "forget_bias %s;", b);
        text_add(sum, " forget_bias=%s", b);
    }

    /* clips: any of gates, cell and (with a projection) projection, in
     * pairs in one statement, with bounds that bite now and then */
    if (rng_chance(r, o.P ? 0.5 : 0.3)) {
        static const char *const words[] = {"gates", "cell", "projection"};
        static const double lo[] = {0.3, 0.2, 0.05}, hi[] = {3, 3, 1};
        int n = o.P ? 3 : 2, order[3] = {0, 1, 2};
        int mask = rng_int(r, 1, (1 << n) - 1);   /* which of them, nonempty */
        for (int i = n - 1; i > 0; i--) {
            int j = rng_int(r, 0, i), tmp = order[i];
            order[i] = order[j];
            order[j] = tmp;
        }
        char buf[160] = "clip";
        size_t len = 4;
        text_add(sum, " clip=");
        for (int i = 0, any = 0; i < n; i++) {
            int what = order[i];
            if (!(mask >> what & 1))
                continue;
            char b[32];
            num(b, sizeof b, rng_uniform(r, lo[what], hi[what]));
            len += (size_t)snprintf(buf + len, sizeof buf - len, " %s %s", words[what], b);
            text_add(sum, "%s%s", any++ ? "," : "", words[what]);
        }
        line_add(&l, "%s;", buf);
    }
    if (o.P) {
        line_add(&l, "projection %d;", o.P);
        text_add(sum, " projection=%d", o.P);
    }
    if (!o.bias) {
        line_add(&l, "no_bias;");
        text_add(sum, " no_bias");
    }
    o.init = rng_chance(&g->r2, 0.25);
    if (o.init)
        text_add(sum, " initial_state");

    /* prefixes: one (pytorch, native), one per layer (onnx), one per layer
     * and direction (keras) */
    char pbuf[6][64];
    const char *prefixes[6];
    int np = 0;
    if (o.conv == KERAS) {
        for (int k = 0; k < o.layers; k++)
            for (int d = 0; d < o.dirs; d++) {
                snprintf(pbuf[np], sizeof pbuf[np], "%s/%s_lstm_%d", name,
                         d ? "backward" : "forward", k);
                np++;
            }
    } else if (o.conv == ONNX) {
        for (int k = 0; k < o.layers; k++, np++)
            snprintf(pbuf[np], sizeof pbuf[np], "%s_node%d", name, k);
    } else {
        snprintf(pbuf[np++], sizeof pbuf[0], rng_chance(r, 0.5) ? "model.%s" : "%s", name);
    }
    for (int i = 0; i < np; i++)
        prefixes[i] = pbuf[i];
    from_line(&l, o.conv, prefixes, np);
    text_add(sum, ")");

    write_block(g, "lstm", name, &l, o.init ? "initial_state;" : NULL);
    int I = g->width, R = o.P ? o.P : o.H;
    for (int k = 0; k < o.layers; k++) {
        lstm_weights(g, &o, prefixes, k, I);
        I = o.dirs * R;
    }
    g->width = I;
}

/* Tensors of layer k (input width I) of a gru (P = 3 parts r, z, n) or rnn
 * (P = 1) block in its convention. */
static void gru_weights(Gen *g, int conv, int gru, int H, int dirs, int layers, int bias, int init,
                        const char *const *prefixes, int k, int I)
{
    Tensors *t = &g->t;
    Rng *r = &g->r;
    long P = gru ? 3 : 1, rows = P * H, K = I + H;
    double range = 1.0 / sqrt((double)K);
    for (int d = 0; d < dirs; d++) {
        const char *p = prefixes[conv == KERAS ? k * dirs + d : conv == ONNX ? k : 0];
        const char *rev = d == 1 ? "_reverse" : "";
        char sfx[32];
        if (layers > 1)
            snprintf(sfx, sizeof sfx, "_l%d%s", k, rev);
        else
            snprintf(sfx, sizeof sfx, "%s", rev);
        switch (conv) {
        case PYTORCH:
            add_tensor(t, r, range, 2, rows, I, 0, "%s.weight_ih_l%d%s", p, k, rev);
            add_tensor(t, r, range, 2, rows, H, 0, "%s.weight_hh_l%d%s", p, k, rev);
            if (bias) {
                add_tensor(t, r, range, 1, rows, 0, 0, "%s.bias_ih_l%d%s", p, k, rev);
                add_tensor(t, r, range, 1, rows, 0, 0, "%s.bias_hh_l%d%s", p, k, rev);
            }
            if (init)
                add_tensor(&g->init, &g->r2, 1.0, 1, H, 0, 0, "%s.h0_l%d%s", p, k, rev);
            break;
        case KERAS:
            add_tensor(t, r, range, 2, I, rows, 0, "%s.kernel", p);
            add_tensor(t, r, range, 2, H, rows, 0, "%s.recurrent_kernel", p);
            if (bias)
                add_tensor(t, r, range, gru ? 2 : 1, gru ? 2 : rows, rows, 0, "%s.bias", p);
            if (init)
                add_tensor(&g->init, &g->r2, 1.0, 1, H, 0, 0, "%s.h0", p);
            break;
        case ONNX:
            if (d == 1)
                break;   /* both directions in one tensor */
            add_tensor(t, r, range, 3, dirs, rows, I, "%s.W", p);
            add_tensor(t, r, range, 3, dirs, rows, H, "%s.R", p);
            if (bias)
                add_tensor(t, r, range, 2, dirs, 2 * rows, 0, "%s.B", p);
            if (init)
                add_tensor(&g->init, &g->r2, 1.0, 3, dirs, 1, H, "%s.initial_h", p);
            break;
        case NATIVE:
            for (int q = 0; q < (gru ? 3 : 1); q++) {
                const char *part = gru ? (q == 0 ? "_r" : q == 1 ? "_z" : "_n") : "";
                add_tensor(t, r, range, 2, H, K, 0, "%s.w%s%s", p, part, sfx);
                if (bias)
                    add_tensor(t, r, range, 1, H, 0, 0, "%s.b%s%s", p, part, sfx);
            }
            if (gru && bias)
                add_tensor(t, r, range, 1, H, 0, 0, "%s.b_hn%s", p, sfx);
            if (init)
                add_tensor(&g->init, &g->r2, 1.0, 1, H, 0, 0, "%s.h0%s", p, sfx);
            break;
        }
    }
}

/* gru NAME { ... } (reset after) or rnn NAME { ... } with random options;
 * appends its weights. */
static void gen_gru(Gen *g, const char *name, int gru)
{
    Rng *r = &g->r;
    Lines l = {.n = 0};
    Text *sum = &g->summary;
    int conv = rng_int(r, 0, 3);
    int H = rng_chance(r, 0.06) ? rng_int(r, 41, 96) : rng_int(r, 1, 40);
    static const double layer_odds[] = {55, 30, 15};
    int layers = 1 + rng_pick(r, layer_odds, 3);
    static const double dir_odds[] = {45, 20, 35};
    int dir = rng_pick(r, dir_odds, 3), dirs = dir == 2 ? 2 : 1;
    int bias = !rng_chance(r, 0.2), init = rng_chance(&g->r2, 0.25);
    text_add(sum, " | %s(%s H=%d", gru ? "gru" : "rnn", conv_names[conv], H);
    line_add(&l, "hidden %d;", H);
    if (layers > 1 || rng_chance(r, 0.1)) {
        line_add(&l, "layers %d;", layers);
        text_add(sum, " layers=%d", layers);
    }
    if (dir > 0 || rng_chance(r, 0.1)) {
        static const char *const dir_words[] = {"forward", "backward", "bidirectional"};
        line_add(&l, "direction %s;", dir_words[dir]);
        text_add(sum, " %s", dir_words[dir]);
    }
    if (gru)
        line_add(&l, "reset after;");
    char act[64];
    if (gru && rng_chance(r, 0.3)) {
        pick_activation(r, ROLE_GATE, act, sizeof act);
        line_add(&l, "gate_activation %s;", act);
        text_add(sum, " gate=%s", squeeze(act));
    }
    if (rng_chance(r, 0.4)) {
        pick_activation(r, ROLE_CELL_INPUT, act, sizeof act);
        line_add(&l, "%s %s;", gru ? "candidate_activation" : "activation", act);
        text_add(sum, " act=%s", squeeze(act));
    }
    if (rng_chance(r, 0.2)) {
        char c[16];
        num(c, sizeof c, rng_uniform(r, 0.5, 3));
        line_add(&l, "clip %s;", c);
        text_add(sum, " clip=%s", c);
    }
    if (!bias) {
        line_add(&l, "no_bias;");
        text_add(sum, " no_bias");
    }
    if (init)
        text_add(sum, " initial_state");
    char pbuf[6][64];
    const char *prefixes[6];
    int np = 0;
    if (conv == KERAS) {
        for (int k = 0; k < layers; k++)
            for (int d = 0; d < dirs; d++, np++)
                snprintf(pbuf[np], sizeof pbuf[np], "%s/%s_%d", name, d ? "backward" : "forward", k);
    } else if (conv == ONNX) {
        for (int k = 0; k < layers; k++, np++)
            snprintf(pbuf[np], sizeof pbuf[np], "%s_node%d", name, k);
    } else {
        snprintf(pbuf[np++], sizeof pbuf[0], "%s", name);
    }
    for (int i = 0; i < np; i++)
        prefixes[i] = pbuf[i];
    from_line(&l, conv, prefixes, np);
    text_add(sum, ")");
    write_block(g, gru ? "gru" : "rnn", name, &l, init ? "initial_state;" : NULL);
    int I = g->width;
    for (int k = 0; k < layers; k++) {
        gru_weights(g, conv, gru, H, dirs, layers, bias, init, prefixes, k, I);
        I = dirs * H;
    }
    g->width = I;
}

/* embedding NAME { ... } of g->vocab ids of dim floats, its table N(0, 1)
 * as inputs are */
static void gen_embedding(Gen *g, int dim)
{
    int conv = rng_int(&g->r5, 0, 3);
    text_add(&g->summary, " | embedding(%s vocabulary=%d dim=%d)", conv_names[conv], g->vocab, dim);
    fprintf(g->spec, "    embedding tok { vocabulary %d; dim %d; from %s \"tok\"; }\n", g->vocab, dim,
            conv_names[conv]);
    add_tensor(&g->t, &g->r5, 1.0, 2, g->vocab, dim, 0, "tok.%s", ir_embedding_table((Convention)conv));
}

/* dense NAME { ... } */
static void gen_dense(Gen *g, const char *name)
{
    Rng *r = &g->r;
    Lines l = {.n = 0};
    int conv = rng_int(r, 0, 3);
    int units = rng_int(r, 1, 12);
    int bias = !rng_chance(r, 0.2);
    text_add(&g->summary, " | dense(%s units=%d", conv_names[conv], units);
    line_add(&l, "units %d;", units);
    if (rng_chance(r, 0.8)) {
        char act[64];
        pick_activation(r, ROLE_DENSE, act, sizeof act);
        if (strcmp(act, "softmax") == 0 && rng_chance(&g->r4, 0.5))
            snprintf(act, sizeof act, "log_softmax");
        line_add(&l, "activation %s;", act);
        text_add(&g->summary, " act=%s", squeeze(act));
    }
    if (!bias) {
        line_add(&l, "no_bias;");
        text_add(&g->summary, " no_bias");
    }
    char prefix[64];
    snprintf(prefix, sizeof prefix, conv == KERAS ? "%s/dense" : "%s", name);
    const char *prefixes[1] = {prefix};
    from_line(&l, conv, prefixes, 1);
    text_add(&g->summary, ")");
    write_block(g, "dense", name, &l, NULL);

    double range = 1.0 / sqrt((double)g->width);
    if (conv == KERAS)
        add_tensor(&g->t, r, range, 2, g->width, units, 0, "%s.kernel", prefix);
    else
        add_tensor(&g->t, r, range, 2, units, g->width, 0, "%s.weight", prefix);
    if (bias)
        add_tensor(&g->t, r, range, 1, units, 0, 0, "%s.bias", prefix);
    g->width = units;
}

/* Input sequences: 1-3 of 1-20 steps, N(0, 1), blank lines between. The
 * values are also kept in g->x, as the file rounds them, for model_peak(). */
/* The token ids of the sequences (drawn from r5), one to four to a line;
 * both ends of the vocabulary among them. */
static void write_ids(Gen *g, FILE *f)
{
    for (int s = 0; s < g->nseq; s++) {
        if (s)
            fprintf(f, "\n");
        for (int t = 0; t < g->steps[s];) {
            int n = rng_int(&g->r5, 1, 4);
            for (int k = 0; k < n && t < g->steps[s]; k++, t++) {
                int id = rng_int(&g->r5, 0, g->vocab - 1);
                if (s == 0 && t == 0)
                    id = g->vocab - 1;
                g->x[s][t] = id;
                fprintf(f, "%s%d", k ? " " : "", id);
            }
            fprintf(f, "\n");
        }
    }
}

static int write_input(Gen *g, const char *path, int input)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "randmodel: %s: %s\n", path, strerror(errno));
        return -1;
    }
    if (g->vocab) {
        input = 1;   /* (the steps from r, as a model of features has them) */
        g->nseq = rng_int(&g->r, 1, 3);
        text_add(&g->summary, " | steps=");
        for (int s = 0; s < g->nseq; s++) {
            g->steps[s] = rng_int(&g->r, 1, 20);
            g->x[s] = malloc(sizeof(double) * (size_t)g->steps[s]);
            if (!g->x[s]) {
                fprintf(stderr, "randmodel: out of memory\n");
                exit(1);
            }
            text_add(&g->summary, "%s%d", s ? "," : "", g->steps[s]);
        }
        write_ids(g, f);
        return fclose(f) == 0 ? 0 : -1;
    }
    g->nseq = rng_int(&g->r, 1, 3);
    text_add(&g->summary, " | steps=");
    for (int s = 0; s < g->nseq; s++) {
        int steps = g->steps[s] = rng_int(&g->r, 1, 20);
        double *x = g->x[s] = malloc(sizeof(double) * (size_t)(steps * input));
        if (!x) {
            fprintf(stderr, "randmodel: out of memory\n");
            exit(1);
        }
        text_add(&g->summary, "%s%d", s ? "," : "", steps);
        if (s)
            fprintf(f, "\n");
        for (int t = 0; t < steps; t++)
            for (int k = 0; k < input; k++) {
                char buf[32];
                snprintf(buf, sizeof buf, "%.9g", rng_normal(&g->r));
                x[t * input + k] = strtod(buf, NULL);
                fprintf(f, "%s%s", buf, k + 1 < input ? " " : "\n");
            }
    }
    return fclose(f) == 0 ? 0 : -1;
}

/* Writes dir/model.lstm, dir/weights.safetensors and dir/input.txt for one
 * attempt at a model. Returns 0, or -1 after reporting. */
static int generate(Gen *g, const char *dir, unsigned long long seed)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/model.lstm", dir);
    g->spec = fopen(path, "w");
    if (!g->spec) {
        fprintf(stderr, "randmodel: %s: %s\n", path, strerror(errno));
        return -1;
    }
    Rng *r = &g->r;
    int input = rng_chance(r, 0.15) ? rng_int(r, 1, 3) : rng_int(r, 1, 24);
    g->input = g->width = input;
    int out = rng_int(r, 0, 2);   /* default (sequence), sequence, last */
    /* one row per sequence: last, final, mean or max */
    static const char *const pooled[] = {"last", "final", "mean", "max"};
    const char *form = out == 2 ? pooled[rng_int(&g->r4, 0, 3)] : "sequence";
    text_add(&g->summary, "seed=%llu input=%d output=%s", seed, input, form);

    fprintf(g->spec, "# A random model (seed %llu) from tests/diff/randmodel.c.\n", seed);
    fprintf(g->spec, "model rand%llu {\n", seed);
    /* one model in eight reads token ids through an embedding of dim input
     * (from the seed, as weights_type below) */
    g->vocab = ((seed * 0xd1342543de82ef95ull) >> 61) == 5 ? rng_int(&g->r5, 1, 300) : 0;
    if (g->vocab)
        fprintf(g->spec, "    input tokens;\n");
    else
        fprintf(g->spec, "    input %d;\n", input);
    fprintf(g->spec, "    weights \"weights.safetensors\";\n");
    /* three models in eight store their weights narrow: f16, bf16, int8.
     * From the seed, not the generator's stream, so that the models of
     * every seed stay what they were before weight types came. */
    static const char *const narrow[] = {"f16", "bf16", "int8"};
    unsigned long long mix = (seed * 0x9e3779b97f4a7c15ull) >> 61;
    if (mix < 3) {
        fprintf(g->spec, "    weights_type %s;\n", narrow[mix]);
        text_add(&g->summary, " weights_type=%s", narrow[mix]);
    }
    if (g->vocab)
        gen_embedding(g, input);
    static const double block_odds[] = {40, 35, 25};
    int nblocks = 1 + rng_pick(r, block_odds, 3);
    static const char *const words[] = {"enc", "dec", "rnn", "mem", "head", "mid", "cell", "out"};
    for (int b = 0; b < nblocks; b++) {
        char name[32];
        snprintf(name, sizeof name, "%s%d", words[rng_int(r, 0, 7)], b);
        /* mostly an lstm first; a dense-only model now and then */
        int lstm = rng_chance(r, b == 0 ? 0.9 : !g->nlstm && b == nblocks - 1 ? 0.8 : 0.6);
        g->nlstm += lstm;
        /* (gru and rnn layers keep float32 weights: none in a narrow model) */
        int other = lstm && mix >= 3 ? rng_pick(&g->r3, (const double[]){60, 25, 15}, 3) : 0;
        if (other)
            gen_gru(g, name, other == 1);
        else if (lstm)
            gen_lstm(g, name);
        else
            gen_dense(g, name);
    }
    if (out == 2 && strcmp(form, "final") == 0 && !g->nlstm) {
        form = "last";   /* a final state needs an lstm layer */
        text_add(&g->summary, " | output=last (no lstm)");
    }
    if (out == 1)
        fprintf(g->spec, "    output sequence;\n");
    else if (out == 2)
        fprintf(g->spec, "    output %s;\n", form);
    fprintf(g->spec, "}\n");
    if (fclose(g->spec) != 0) {
        fprintf(stderr, "randmodel: %s: cannot write\n", path);
        return -1;
    }

    /* the file's order of tensors is no business of the loader's */
    if (rng_chance(r, 0.5))
        for (int i = g->t.n - 1; i > 0; i--)
            tensor_swap(&g->t, i, rng_int(r, 0, i));
    /* the initial states, each swapped with a tensor at a place r2 draws */
    for (int k = 0; k < g->init.n; k++) {
        int i = tensor_slot(&g->t);
        g->t.names[i] = g->init.names[k];
        g->t.ndims[i] = g->init.ndims[k];
        memcpy(g->t.shapes[i], g->init.shapes[k], sizeof g->t.shapes[i]);
        g->t.data[i] = g->init.data[k];
        tensor_swap(&g->t, i, rng_int(&g->r2, 0, i));
    }
    g->init.n = 0;   /* t owns them now */
    snprintf(path, sizeof path, "%s/weights.safetensors", dir);
    if (st_write_f32(path, g->t.n, g->t.names, g->t.ndims,
                     (const long(*)[ST_MAX_DIMS])g->t.shapes, (const float *const *)g->t.data) != 0)
        return -1;
    snprintf(path, sizeof path, "%s/input.txt", dir);
    return write_input(g, path, input);
}

static void gen_free(Gen *g)
{
    for (int k = 0; k < g->t.n; k++) {
        free((void *)g->t.names[k]);
        free(g->t.data[k]);
    }
    for (int k = 0; k < g->init.n; k++) {
        free((void *)g->init.names[k]);
        free(g->init.data[k]);
    }
    Tensors *ts[2] = {&g->t, &g->init};
    for (int k = 0; k < 2; k++) {
        free(ts[k]->names);
        free(ts[k]->ndims);
        free(ts[k]->shapes);
        free(ts[k]->data);
    }
    for (int s = 0; s < g->nseq; s++)
        free(g->x[s]);
    memset(g, 0, sizeof *g);
}

/* The largest |value| any layer of the model in dir outputs on its input
 * (a softmax or sigmoid at the end can hide a blow-up inside), through
 * lstmc's own front end and reference interpreter; infinity for a NaN; -1
 * if lstmc rejects the model, after its diagnostics. */
static double model_peak(const Gen *g, const char *dir)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/model.lstm", dir);
    Arena a = {0};
    double peak = -1;
    Source *src = source_read(&a, path);
    Node *spec = src ? parse_spec(&a, src) : NULL;
    IrModel *m = spec && !diag_errors() ? sema_check(&a, spec, NULL) : NULL;
    if (m && weights_load(&a, m) == 0 && m->input == (g->vocab ? 1 : g->input)) {
        peak = 0;
        for (int k = 1; k <= m->nlayers; k++) {
            IrModel upto = *m;   /* the first k layers, every step */
            upto.nlayers = k;
            upto.output = m->layers[k - 1].output;
            upto.output_last = 0;
            upto.output_form = OUT_SEQUENCE;
            for (int s = 0; s < g->nseq; s++) {
                long n = (long)g->steps[s] * upto.output;
                double *y = malloc(sizeof(double) * (size_t)n);
                if (!y) {
                    fprintf(stderr, "randmodel: out of memory\n");
                    exit(1);
                }
                interp_run(&upto, g->x[s], g->steps[s], y);
                for (long i = 0; i < n; i++)
                    peak = isnan(y[i]) ? INFINITY : fmax(peak, fabs(y[i]));
                free(y);
            }
        }
    }
    arena_free(&a);
    return peak;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: randmodel SEED OUTDIR\n");
        return 2;
    }
    char *end;
    errno = 0;
    unsigned long long seed = strtoull(argv[1], &end, 10);
    if (errno || *end || end == argv[1]) {
        fprintf(stderr, "randmodel: the seed must be a number, saw '%s'\n", argv[1]);
        return 2;
    }
    const char *dir = argv[2];
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "randmodel: %s: %s\n", dir, strerror(errno));
        return 1;
    }

    /* A model whose layers' outputs grow past PEAK_LIMIT (an unbounded gate
     * activation feeding back through peepholes, a cell without a forget
     * gate adding up identity inputs) measures float rounding, not the
     * compiler: such a draw is replaced by the next attempt of the seed. */
    for (int attempt = 0;; attempt++) {
        Gen g = {0};
        g.r.s = seed * 0x2545f4914f6cdd1du + (unsigned long long)attempt * 0x9e3779b97f4a7c15u;
        g.r2.s = rng_next(&g.r) ^ 0x6a09e667f3bcc909u;
        g.r3.s = g.r2.s ^ 0xbb67ae8584caa73bu;
        g.r4.s = g.r2.s * 0x9e3779b97f4a7c15u ^ 0xbb67ae8584caa73bu;
        g.r5.s = g.r2.s * 0xd1342543de82ef95u ^ 0x3c6ef372fe94f82bu;
        if (generate(&g, dir, seed) != 0)
            return 1;
        double peak = model_peak(&g, dir);
        if (peak < 0) {
            fprintf(stderr, "randmodel: seed %llu: lstmc rejects the generated model %s/model.lstm "
                    "(see above): a bug in the generator or the front end\n", seed, dir);
            return 1;
        }
        if (peak <= PEAK_LIMIT || attempt == 99) {
            if (attempt)
                text_add(&g.summary, " | attempt=%d", attempt + 1);
            printf("%s\n", g.summary.s);
            gen_free(&g);
            return 0;
        }
        gen_free(&g);
    }
}
