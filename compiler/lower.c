/*
 * lower.c - the lowering (see lower.h): names, weight packing, kernel
 * shapes and the state struct of the generated code; lower_api.c adds the
 * control code. The emitters print what is decided here and decide nothing
 * themselves.
 */
#include "lower.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "runtime_text.h"

static const char *const gate_labels[GATE_COUNT] = {
    "input gate", "forget gate", "cell input", "output gate",
};

/* ---- names ---- */

char *lower_identifier(Arena *a, const char *name)
{
    size_t n = strlen(name);
    char *s = arena_alloc(a, n + 2), *p = s;
    if (n == 0 || isdigit((unsigned char)name[0]))
        *p++ = 'm';
    for (size_t k = 0; k < n; k++) {
        unsigned char c = (unsigned char)name[k];
        *p++ = (char)(isalnum(c) || c == '_' ? c : '_');
    }
    *p = '\0';
    return s;
}

char *lower_macro(Arena *a, const char *id)
{
    char *s = arena_strdup(a, id);
    for (char *p = s; *p; p++)
        *p = (char)toupper((unsigned char)*p);
    return s;
}

/* Identifiers already handed out, so two layers never share one
 * ("enc.l1" and a layer called "enc_l1" both want "enc_l1"). */
typedef struct Names {
    const char **used;
    int n, cap;
} Names;

static int name_used(const Names *ns, const char *s)
{
    for (int k = 0; k < ns->n; k++)
        if (strcmp(ns->used[k], s) == 0)
            return 1;
    return 0;
}

static const char *unique_name(Arena *a, Names *ns, const char *base)
{
    const char *s = base;
    for (int k = 2; name_used(ns, s); k++)
        s = arena_printf(a, "%s_%d", base, k);
    if (ns->n == ns->cap) {
        int cap = ns->cap ? 2 * ns->cap : 16;
        const char **used = arena_alloc(a, sizeof *used * (size_t)cap);
        if (ns->n)
            memcpy(used, ns->used, sizeof *used * (size_t)ns->n);
        ns->used = used;
        ns->cap = cap;
    }
    ns->used[ns->n++] = s;
    return s;
}

/* ---- weights ---- */

/* Array "<id>_<role>" of planes x rows x cols floats (planes 0: a matrix,
 * cols 0: a vector). */
static LowArray array_of(Arena *a, const char *id, const char *role, const char *comment,
                         int planes, int rows, int cols, const float *data)
{
    LowArray arr;
    memset(&arr, 0, sizeof arr);
    arr.name = arena_printf(a, "%s_%s", id, role);
    arr.comment = comment;
    arr.planes = planes;
    arr.rows = rows;
    arr.cols = cols;
    arr.data = data;
    return arr;
}

long lower_array_floats(const LowArray *arr)
{
    if (!arr->data)
        return 0;
    return (long)(arr->planes ? arr->planes : 1) * arr->rows * (arr->cols ? arr->cols : 1);
}

long lower_array_bytes(const LowArray *arr)
{
    return lower_array_floats(arr) * quant_type_bytes(arr->type);
}

/*
 * Arr stored as type t: the code of each value (quant.h), f16 and bf16
 * their bits, int8 the value over its row's scale. The scale of element i
 * is scale[(i / plane) * scale_cols + i % cols] for a tiled array (planes:
 * [tile][k][tile row], a scale per tile row, scale_cols of them per tile)
 * and scale[i / cols] for a matrix of rows.
 */
static void store_narrow(Arena *a, LowArray *arr, WeightsType t, const float *scale, int scale_cols)
{
    arr->type = t;
    if (t == WT_F32 || !arr->data)
        return;
    long n = lower_array_floats(arr), plane = (long)arr->rows * arr->cols;
    int *codes = arena_alloc(a, sizeof(int) * (size_t)n);
    for (long i = 0; i < n; i++) {
        float v = arr->data[i];
        if (t == WT_F16) {
            codes[i] = quant_f16_bits(v);
        } else if (t == WT_BF16) {
            codes[i] = quant_bf16_bits(v);
        } else {
            long r = arr->planes ? (i / plane) * scale_cols + i % arr->cols : i / arr->cols;
            codes[i] = quant_int8(v, scale[r]);
        }
    }
    arr->codes = codes;
}

static LowAct act_of(Activation act, int fast)
{
    LowAct la;
    la.kind = act.kind;
    la.a = (float)act.a;
    la.b = (float)act.b;
    /* The runtime has fast versions of the sigmoid and tanh families only. */
    la.fast = fast && (act.kind == ACT_SIGMOID || act.kind == ACT_TANH ||
                       act.kind == ACT_SCALED_SIGMOID || act.kind == ACT_SCALED_TANH);
    return la;
}

/*
 * Tile width of the tiled kernel: the largest of 16, 8, 4, 2, 1 units that
 * divides H. A tile of 16 units with the four gates is 64 rows: four
 * AVX-512 registers (eight AVX2, sixteen NEON) of accumulators, each loaded
 * weight used once, h[k] broadcast once per tile. Measured on Zen 4 (gcc 12
 * -O3 -march=native, H = 128 and 512): 16 units is within noise of 32, and
 * 32 would need 16 registers of accumulators under AVX2.
 *
 * On a known target without vectors (vl 1: the LLVM backend for 32-bit
 * ARM, RISC-V, s390x, ...), one unit: its gate rows are a few floats that
 * stay in registers (times the steps of a pass), and its cell is updated
 * with one call of each activation. 64 rows there were 64 scalar
 * accumulators, spilled, and 16 inlined copies of every activation: 48 KB
 * of code for examples/adding on a Cortex-M4, against 10 KB with one unit.
 */
static int tile_width(int hidden, const LowTarget *t)
{
    if (t->known && t->vl == 1)
        return 1;
    for (int v = 16; v > 1; v /= 2)
        if (hidden % v == 0)
            return v;
    return 1;
}

/*
 * The tile of a cell with blocks of S > 1 cells: how many blocks (NBT), and
 * rows of zeros after its rows (pad). A tile of NBT blocks has r = NBT x
 * (shared + S) rows: one per block for each of the `shared` gates of i, f,
 * o that have weights, one per cell for the cell input. The kernels'
 * vectors hold 16 floats (AVX-512; 8 AVX2, 4 NEON and SSE2 divide 16), so r
 * is padded to a multiple of 16 with rows of zeros: weights read and
 * multiply-adds done for nothing.
 *
 * Each column k of the recurrent product loads the tile's vectors of
 * weights and one broadcast of h[k]; two loads a cycle bind before the
 * multiply-adds. So NBT, a power of two dividing the blocks, makes
 * (vectors + 1) / r the smallest: padding and broadcasts per useful row;
 * at most 112 rows (7 AVX-512 or 14 AVX2 accumulators, so that an AVX2
 * pass keeps its accumulators and the broadcast in its 16 registers).
 * Measured (Xeon, AVX-512, gcc -O3 -march=native, H = 128, time per FLOP
 * against the standard LSTM's): S = 2 1.33 with tiles of 8 blocks (40 rows
 * + 8) against 1.05 with 16 (80); S = 4 1.37 with 4 (28 + 4) against 1.11
 * with 16 (112); S = 8 1.25 with 4 (44 + 4) against 1.23 with 8 (88 + 8).
 * The benchmark's shapes:
 *   i, f, o:  S = 2: 16 blocks, 80 rows;  S = 4: 16 blocks, 112 rows;
 *             S = 8: 8 blocks, 88 rows + 8 of padding (8 %)
 *   i, o:     S = 2: 16 blocks, 64 rows;  S = 4: 16 blocks, 96 rows;
 *             S = 8: 8 blocks, 80 rows (none padded)
 * Where even that tile would be more than a quarter padding (few blocks: a
 * tiny layer), the tile is not padded and its rows are plain floats
 * (LowCell.simd 0), as many blocks as keep it within 64 rows; on a target
 * without vectors (vl 1), one block, as S = 1 has one unit.
 */
enum { BLOCK_TILE_MAX_ROWS = 112, BLOCK_TILE_PLAIN_ROWS = 64 };

static int round16(int n)
{
    return (n + 15) / 16 * 16;
}

static void block_tile(int blocks, int shared, int S, const LowTarget *t, int *nbt, int *pad)
{
    int r1 = shared + S, best = 1;
    *pad = 0;
    if (t->known && t->vl == 1) {
        *nbt = 1;
        return;
    }
    for (int n = 2; blocks % n == 0 && round16(n * r1) <= BLOCK_TILE_MAX_ROWS; n *= 2) {
        /* (vectors + 1) / rows, compared as cross products */
        long cost = (long)(round16(n * r1) / 16 + 1) * (best * r1);
        long best_cost = (long)(round16(best * r1) / 16 + 1) * (n * r1);
        if (cost <= best_cost)
            best = n;
    }
    int r = best * r1;
    if (4 * (round16(r) - r) <= round16(r)) {
        *nbt = best;
        *pad = round16(r) - r;
        return;
    }
    best = 1;
    while (blocks % (2 * best) == 0 && 2 * best * r1 <= BLOCK_TILE_PLAIN_ROWS)
        best *= 2;
    *nbt = best;
}

/* s in lower case: "r, z, nh" */
static const char *lower_case(Arena *a, const char *s)
{
    char *t = arena_strdup(a, s);
    for (char *p = t; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    return t;
}

/*
 * The rows a tile's gates read: each gate's rows go to the input
 * projection's (w_x: READS_X), the recurrent product's (w_h: READS_H) or
 * both. An LSTM's all read both; a GRU's candidate has an input part and a
 * recurrent part apart (r multiplies the second), each in one only.
 */
enum { READS_X = 1, READS_H = 2, READS_BOTH = 3 };

/*
 * A tile's rows: the gates that read both first, in gate order (the
 * shared rows, where the recurrent product adds to the projected input),
 * then those of the input projection alone (its in_rows) or of the
 * recurrent product alone (its tile_rows), each then padded with `pad`
 * rows of zeros. The shared rows of a GRU's tile of 16 units are 32 (r,
 * z), its input and recurrent rows 48 each (then n's input part, or its
 * recurrent part), whole vectors. A GRU's tile of 8 units has 24 rows of
 * each, padded to 32 (a quarter, as block_tile allows); of fewer units
 * (a small layer), its shared rows are no whole vector, and the rows stay
 * plain floats, unpadded.
 */
static void tile_layout(LowCell *c, const int n_of[GATE_COUNT], const int reads[GATE_COUNT], int pad, int vectors)
{
    c->shared_rows = 0;
    for (int g = 0; g < GATE_COUNT; g++) {
        c->tile_off[g] = c->in_off[g] = -1;
        if (c->gate_off[g] >= 0 && reads[g] == READS_BOTH) {
            c->tile_off[g] = c->in_off[g] = c->shared_rows;
            c->shared_rows += n_of[g];
        }
    }
    c->in_rows = c->tile_rows = c->shared_rows;
    c->reads_pre = 0;
    for (int g = 0; g < GATE_COUNT; g++) {
        if (c->gate_off[g] < 0 || reads[g] == READS_BOTH)
            continue;
        if (reads[g] == READS_X) {
            c->in_off[g] = c->in_rows;
            c->in_rows += n_of[g];
            c->reads_pre = 1;
        } else {
            c->tile_off[g] = c->tile_rows;
            c->tile_rows += n_of[g];
        }
    }
    if (c->kind != IR_LSTM && vectors && c->shared_rows % 16 == 0 && c->shared_rows > 0 &&
        4 * (round16(c->in_rows) - c->in_rows) <= round16(c->in_rows) &&
        4 * (round16(c->tile_rows) - c->tile_rows) <= round16(c->tile_rows)) {
        /* (not an RNN's tile of 8 units: half of 16 rows would be padding) */
        pad = round16(c->tile_rows) - c->tile_rows;
        c->in_rows = round16(c->in_rows);
    } else {
        c->in_rows += pad;
    }
    c->tile_pad = pad;
    c->tile_rows += pad;
    if (!c->reads_pre && c->tile_rows == c->in_rows && c->tile_rows - pad == c->shared_rows)
        c->shared_rows = c->tile_rows;   /* one layout (an LSTM's): its padding too */
    c->simd = c->tile_rows % 16 == 0 && c->in_rows % 16 == 0 && c->shared_rows % 16 == 0;
}

/* The tiled arrays of cell c from its packed gate matrix w [rows][K] and
 * bias b: w_x [tiles][I][in_rows], w_h [tiles][R][tile_rows], b_tiled
 * [tiles][in_rows], where input row in_off[q] + v of tile t is row
 * gate_off[q] + t*n + v of gate q (n: the tile's rows of gate q, its
 * blocks or its cells), recurrent row tile_off[q] + v likewise, and the
 * rows after the gates' are zeros. reads: each gate's (NULL: both, as an
 * LSTM's); a gate that reads h only has no bias here (a GRU's b_hn, added
 * in the update). */
static void tile_cell(Arena *a, LowCell *c, const float *w, const float *b, int forget_bias, WeightsType type,
                      const float *scale, const LowTarget *target, const int *reads)
{
    static const int lstm_reads[GATE_COUNT] = {READS_BOTH, READS_BOTH, READS_BOTH, READS_BOTH};
    int S = c->block_size, I = c->input, R = c->recurrent, K = I + R;
    int nbt, pad = 0, shared = 0;
    for (int g = 0; g < GATE_COUNT; g++)
        shared += g != GATE_G && c->gate_off[g] >= 0;
    if (S == 1)
        nbt = tile_width(c->hidden, target);
    else
        block_tile(c->blocks, shared, S, target, &nbt, &pad);
    int n_of[GATE_COUNT];
    c->tile_blocks = nbt;
    c->tile = nbt * S;
    c->tiles = c->hidden / c->tile;
    for (int g = 0; g < GATE_COUNT; g++)
        n_of[g] = g == GATE_G ? c->tile : nbt;
    tile_layout(c, n_of, reads ? reads : lstm_reads, pad, !(target->known && target->vl == 1));
    int TR = c->tile_rows, XR = c->in_rows, NT = c->tiles;
    c->gate_rows = NT * XR;
    /* zeroed: the padding rows, and each gate's rows where it reads nothing */
    size_t nx = (size_t)NT * (size_t)(I ? I : 1) * (size_t)XR, nh = (size_t)NT * (size_t)R * (size_t)TR;
    float *wx = arena_alloc(a, sizeof(float) * nx);
    float *wh = arena_alloc(a, sizeof(float) * nh);
    float *bt = b ? arena_alloc(a, sizeof(float) * (size_t)NT * (size_t)XR) : NULL;
    float *st = scale ? arena_alloc(a, sizeof(float) * (size_t)NT * (size_t)XR) : NULL;
    if (st)
        memset(st, 0, sizeof(float) * (size_t)NT * (size_t)XR);
    memset(wx, 0, sizeof(float) * nx);
    memset(wh, 0, sizeof(float) * nh);
    if (bt)
        memset(bt, 0, sizeof(float) * (size_t)NT * (size_t)XR);
    for (int t = 0; t < NT; t++)
        for (int g = 0; g < GATE_COUNT; g++) {
            if (c->gate_off[g] < 0)
                continue;
            for (int v = 0; v < n_of[g]; v++) {
                int row = c->gate_off[g] + t * n_of[g] + v, qx = c->in_off[g] + v, qh = c->tile_off[g] + v;
                if (c->in_off[g] >= 0) {
                    for (int k = 0; k < I; k++)
                        wx[((size_t)t * (size_t)I + (size_t)k) * (size_t)XR + (size_t)qx] = w[(size_t)row * (size_t)K + (size_t)k];
                    if (bt)
                        bt[(size_t)t * (size_t)XR + (size_t)qx] = b[row];
                    if (st)
                        st[(size_t)t * (size_t)XR + (size_t)qx] = scale[row];
                }
                if (c->tile_off[g] >= 0)
                    for (int k = 0; k < R; k++)
                        wh[((size_t)t * (size_t)R + (size_t)k) * (size_t)TR + (size_t)qh] = w[(size_t)row * (size_t)K + (size_t)(I + k)];
            }
        }
    /* int8: recurrent row q takes input row q's scale (lower.h, s_tiled) */
    for (int t = 0; st && t < NT; t++)
        for (int g = 0; g < GATE_COUNT; g++)
            for (int v = 0; c->tile_off[g] >= 0 && v < n_of[g]; v++)
                if (st[(size_t)t * (size_t)XR + (size_t)(c->tile_off[g] + v)] != scale[c->gate_off[g] + t * n_of[g] + v])
                    diag_fatal("internal error: %s: recurrent row %d has another scale than the input row at its "
                               "place", c->id, c->tile_off[g] + v);
    /* the present row groups, by their names in lower case: "i, f, g, o" */
    const char *xgates = "", *hgates = "";
    for (int g = 0; g < GATE_COUNT; g++) {
        if (c->in_off[g] >= 0)
            xgates = arena_printf(a, "%s%s%s", xgates, *xgates ? ", " : "", c->gate_macro[g]);
        if (c->tile_off[g] >= 0)
            hgates = arena_printf(a, "%s%s%s", hgates, *hgates ? ", " : "", c->gate_macro[g]);
    }
    xgates = lower_case(a, xgates);
    hgates = lower_case(a, hgates);
    int xpad = XR;
    for (int g = 0; g < GATE_COUNT; g++)
        xpad -= c->in_off[g] >= 0 ? n_of[g] : 0;
    const char *xlayout, *hlayout, *zeros = c->tile_pad ? arena_printf(a, ", then %d of zeros", c->tile_pad) : "";
    if (S > 1) {
        xlayout = hlayout = arena_printf(a, "%d tiles of %d blocks (%d cells); per tile and column k, the tile's %d "
                                         "gate rows (%s: one per block for i, f, o, one per cell for g%s)", NT, nbt,
                                         c->tile, TR, hgates, zeros);
    } else if (!reads) {
        xlayout = hlayout = arena_printf(a, "%d tiles of %d units; per tile and column k, the tile's %d gate rows "
                                         "(%s: %d units each)", NT, c->tile, TR, hgates, c->tile);
    } else {
        xlayout = arena_printf(a, "%d tiles of %d units; per tile and column k, the tile's %d input rows (%s: %d "
                               "units each%s)", NT, c->tile, XR, xgates, c->tile,
                               xpad ? arena_printf(a, ", then %d of zeros", xpad) : "");
        hlayout = arena_printf(a, "%d tiles of %d units; per tile and column k, the tile's %d recurrent rows (%s: %d "
                               "units each%s)", NT, c->tile, TR, hgates, c->tile, zeros);
    }
    c->w_x = array_of(a, c->id, "w_x", arena_printf(a, "input weights of %s, transposed by tile: %s", c->title, xlayout),
                      NT, I, XR, I ? wx : NULL);
    c->w_h = array_of(a, c->id, "w_h", arena_printf(a, "recurrent weights of %s, transposed by tile: %s", c->title, hlayout),
                      NT, R, TR, wh);
    c->b_tiled = array_of(a, c->id, "b", arena_printf(a, "%s biases of %s by tile%s", reads ? "input rows'" : "gate",
                                                      c->title,
                                                      forget_bias ? " (forget gate rows include forget_bias)" : ""),
                          0, NT, XR, bt);
    c->w_x.plane_label = c->w_h.plane_label = "tile";
    c->s_tiled = array_of(a, c->id, "s", arena_printf(a, "int8 weights of %s: the scale of each %s row, by tile "
                                                      "(w_x and w_h hold the weights over it)", c->title,
                                                      reads ? "input (and recurrent)" : "gate"),
                          0, NT, XR, st);
    store_narrow(a, &c->w_x, type, st, XR);
    store_narrow(a, &c->w_h, type, st, XR);
    /* Measured (Xeon, AVX-512, I 64, H 256, 2 layers: w_h 512 KiB in L2):
     * a vector of bfloat16 read as one widening and one shift costs 3
     * vector operations with its a*b + c, which made the kernels no faster
     * than float32's from L2; two vectors per load, a shift and a mask,
     * cost 2 each (the recurrent product 1.3x faster). One layout only (an
     * LSTM's, an RNN's): the accumulators in pair order start whole from
     * the projected input, none kept apart. */
    c->pair_bf16 = type == WT_BF16 && TR % 32 == 0 && XR == TR && c->shared_rows == TR;
}

/*
 * Rows of h per tile of the projection h = w_proj m (P rows): as for a
 * tile of blocks (block_tile), whole vectors of 16 and as many as keep
 * (vectors + 1) per row least, at most 112: the largest multiple of 16 up
 * to 112 that divides P (P = 128: 64, four AVX-512 or eight AVX2
 * accumulators, as a tile of the gates). Else plain floats, the largest of
 * 8, 4, 2, 1 that divides P; so too on a target without vectors, where they
 * stay in registers.
 */
static int proj_tile_width(int P, const LowTarget *t)
{
    for (int v = t->known && t->vl == 1 ? 0 : 112; v >= 16; v -= 16)
        if (P % v == 0)
            return v;
    for (int v = 8; v > 1; v /= 2)
        if (P % v == 0)
            return v;
    return 1;
}

/* The projection's weights w [P][H] transposed by tile: w_proj
 * [proj_tiles][H][proj_tile], tile row v of tile t being row t*proj_tile
 * + v of w. */
static void tile_proj(Arena *a, LowCell *c, const float *w, WeightsType type, const float *scale,
                      const LowTarget *target)
{
    int P = c->proj, H = c->hidden, PT = proj_tile_width(P, target), NT = P / PT;
    c->proj_tile = PT;
    c->proj_tiles = NT;
    c->proj_simd = PT % 16 == 0;
    float *wt = arena_alloc(a, sizeof(float) * (size_t)P * (size_t)H);
    for (int t = 0; t < NT; t++)
        for (int j = 0; j < H; j++)
            for (int v = 0; v < PT; v++)
                wt[((size_t)t * (size_t)H + (size_t)j) * (size_t)PT + (size_t)v] =
                    w[(size_t)(t * PT + v) * (size_t)H + (size_t)j];
    c->w_proj = array_of(a, c->id, "w_proj",
                         arena_printf(a, "projection of %s: h = w_proj m, transposed by tile: %d tiles of %d rows of h; "
                                      "per tile and column j (of m), the tile's %d rows", c->title, NT, PT, PT),
                         NT, H, PT, wt);
    c->w_proj.plane_label = "tile";
    /* the rows of h keep their order: tile t's scales are rows t*PT.. */
    c->s_proj = array_of(a, c->id, "s_proj", arena_printf(a, "int8 projection of %s: the scale of each row of h",
                                                          c->title),
                         0, NT, PT, scale);
    store_narrow(a, &c->w_proj, type, scale, PT);
}

/*
 * Steps per chunk of the hoisted input projection: the scratch pre[] holds
 * chunk x gate rows floats, kept within 128 KB (32768 floats) so it stays in
 * L2, between 4 and 32 steps, a power of two. A longer chunk reads w_x
 * fewer times per step; 4 steps is one register tile of the projection.
 * Chosen by measurement (make bench's --chunk sweep, 2026-12-07): 32 steps
 * ran level with 64 on the small and medium models at half the scratch,
 * 1.13-1.18x faster than 16 on the stacked one (I 64, H 256, 2 layers), and
 * 8, 16 and 32 ran level on the large one (H 512), where the cap gives 16.
 */
static int chunk_steps(int gate_rows)
{
    int n = 32;
    while (n > 4 && n * gate_rows > 32768)
        n /= 2;
    return n;
}

/* What every cell has: its names, its title, its direction. */
static void cell_begin(Arena *a, LowCell *c, const IrLayer *L, const char *kind, int dirs, int reverse,
                       const char *id, const char *local)
{
    c->id = id;
    c->local = local;
    c->threads = 1;
    c->rows_out = 1;
    c->macro = lower_macro(a, id);
    c->title = dirs == 2 || reverse
        ? arena_printf(a, "%s %s, %s", kind, L->name, reverse ? "backward" : "forward")
        : arena_printf(a, "%s %s", kind, L->name);
    c->kind = L->kind;
    c->reverse = reverse;
}

/* products int8 (lower.h): w_h (its int8 codes) re-laid in groups of 4
 * columns, each row's sum of weights for h_corr, each row's factor. */
static void tile_int8_products(Arena *a, LowCell *c)
{
    int NT = c->tiles, R = c->recurrent, TR = c->tile_rows, R4 = (R + 3) / 4 * 4;
    size_t n = (size_t)NT * (size_t)R4 * (size_t)TR;
    int *codes = arena_alloc(a, sizeof(int) * n);
    float *data = arena_alloc(a, sizeof(float) * n);
    int32_t *corr = arena_alloc(a, sizeof(int32_t) * (size_t)NT * (size_t)TR);
    float *factor = arena_alloc(a, sizeof(float) * (size_t)NT * (size_t)TR);
    for (int t = 0; t < NT; t++)
        for (int r = 0; r < TR; r++) {
            int32_t sum = 0;
            for (int k = 0; k < R4; k++) {
                size_t from = ((size_t)t * (size_t)R + (size_t)k) * (size_t)TR + (size_t)r;
                size_t to = (((size_t)t * (size_t)(R4 / 4) + (size_t)(k / 4)) * (size_t)TR + (size_t)r) * 4 + (size_t)(k % 4);
                codes[to] = k < R ? c->w_h.codes[from] : 0;
                data[to] = k < R ? c->w_h.data[from] : 0.0f;
                sum += codes[to];
            }
            corr[(size_t)t * (size_t)TR + (size_t)r] = -128 * sum;
            factor[(size_t)t * (size_t)TR + (size_t)r] = quant_h_factor(c->s_tiled.data[(size_t)t * (size_t)c->in_rows + (size_t)r]);
        }
    c->products_int8 = 1;
    c->hq_cols = R4;
    c->w_h.codes = codes;
    c->w_h.data = data;
    c->w_h.rows = R4 / 4;
    c->w_h.cols = TR * 4;
    c->w_h.comment = arena_printf(a, "recurrent weights of %s (int8, products int8), by tile in groups of 4 "
                                  "columns: per tile and columns 4k .. 4k+3, each of the tile's %d gate rows' 4 "
                                  "weights together%s", c->title, TR,
                                  R4 - R > 1 ? arena_printf(a, " (columns %d .. %d, past h's, are zeros)", R, R4 - 1)
                                  : R4 > R   ? arena_printf(a, " (column %d, past h's, is zero)", R)
                                             : "");
    c->h_factor = array_of(a, c->id, "h_factor", arena_printf(a, "products int8 of %s: each recurrent row's factor, "
                                                              "its scale / 127, by tile", c->title),
                           0, NT, TR, factor);
    c->h_corr.name = arena_printf(a, "%s_h_corr", c->id);
    c->h_corr.comment = arena_printf(a, "products int8 of %s: where each recurrent row's sum of hq * w starts, "
                                     "-128 times its sum of weights (hq = q + 128), by tile", c->title);
    c->h_corr.planes = NT;
    c->h_corr.rows = TR;
    c->h_corr.data = corr;
}

/* One direction d of LSTM layer L, named id, packed for the step loop. */
static void lower_cell(Arena *a, LowCell *c, const IrLayer *L, int d, const char *id, const char *local,
                       int fast, WeightsType type, const LowTarget *target)
{
    const IrLstm *l = &L->lstm;
    const IrDirection *dir = &l->dir[d];
    int K = l->input + l->recurrent;

    cell_begin(a, c, L, "lstm", l->dirs, dir->reverse, id, local);
    static const char *const macros[GATE_COUNT] = {"I", "F", "G", "O"};
    for (int g = 0; g < GATE_COUNT; g++) {
        c->gate_macro[g] = macros[g];
        c->gate_word[g] = gate_labels[g];
    }
    c->input = l->input;
    c->hidden = l->hidden;
    c->block_size = l->block_size;
    c->blocks = l->blocks;
    c->proj = l->proj;
    c->recurrent = l->recurrent;
    c->coupled = l->coupled;
    for (int g = 0; g < GATE_COUNT; g++)
        c->has_gate[g] = l->has_gate[g];

    /* Row offsets: the gates with weights, in the order i, f, g, o. */
    int rows = 0;
    for (int g = 0; g < GATE_COUNT; g++) {
        c->gate_off[g] = -1;
        if (ir_gate_has_weights(l, (Gate)g)) {
            c->gate_off[g] = rows;
            rows += ir_gate_rows(l, (Gate)g);
        }
    }

    /* One packed gate matrix and one fused bias (with the forget bias). */
    float *w = arena_alloc(a, sizeof(float) * (size_t)rows * (size_t)K);
    int has_bias = l->forget_bias != 0;
    for (int g = 0; g < GATE_COUNT; g++)
        if (c->gate_off[g] >= 0 && dir->b[g])
            has_bias = 1;
    float *b = has_bias ? arena_alloc(a, sizeof(float) * (size_t)rows) : NULL;
    /* int8: each gate row's scale, packed as the rows */
    float *scale = type == WT_INT8 ? arena_alloc(a, sizeof(float) * (size_t)rows) : NULL;
    c->w_gates = array_of(a, id, "w_gates", NULL, 0, rows, K, w);
    c->w_gates.comment = arena_printf(
        a, "gate weights of %s: %d rows, one per gate row; %d columns: the input x (%d), then h (%d)",
        c->title, rows, K, l->input, l->recurrent);
    c->b_gates = array_of(a, id, "b_gates", NULL, 0, rows, 0, b);
    c->b_gates.comment = arena_printf(
        a, "gate biases of %s%s", c->title,
        l->forget_bias != 0 ? arena_printf(a, " (forget gate rows include forget_bias %g)",
                                           l->forget_bias)
                            : "");
    for (int g = 0; g < GATE_COUNT; g++) {
        int off = c->gate_off[g];
        if (off < 0)
            continue;
        int n = ir_gate_rows(l, (Gate)g);
        memcpy(w + (size_t)off * (size_t)K, dir->w[g], sizeof(float) * (size_t)n * (size_t)K);
        if (scale)
            memcpy(scale + off, dir->w_scale[g], sizeof(float) * (size_t)n);
        for (int r = 0; b && r < n; r++) {
            float v = dir->b[g] ? dir->b[g][r] : 0.0f;
            /* ONNX clips af + forget_bias, so folding it into the bias is exact
             * up to float rounding, clip or not. */
            if (g == GATE_F)
                v = (float)((double)v + l->forget_bias);
            b[off + r] = v;
        }
        const char *label = g == GATE_G || l->block_size == 1
            ? arena_printf(a, "%s (%d)", gate_labels[g], n)
            : arena_printf(a, "%s (%d, one per block)", gate_labels[g], n);
        int k = c->w_gates.ngroups++;
        c->w_gates.group[k].label = label;
        c->w_gates.group[k].first = off;
        c->w_gates.group[k].count = n;
        c->b_gates.group[k] = c->w_gates.group[k];
        c->b_gates.ngroups++;
    }

    /* Peepholes, only where the interpreter uses them. */
    static const char *const peep_roles[GATE_COUNT] = {"p_i", "p_f", NULL, "p_o"};
    for (int g = 0; g < GATE_COUNT; g++) {
        memset(&c->peep[g], 0, sizeof c->peep[g]);
        if (g == GATE_G || c->gate_off[g] < 0 || !dir->p[g])
            continue;
        c->peep[g] = array_of(a, id, peep_roles[g],
                              arena_printf(a, "%s peepholes of %s, one per cell", gate_labels[g], c->title),
                              0, l->hidden, 0, dir->p[g]);
    }
    memset(&c->w_proj, 0, sizeof c->w_proj);
    if (l->proj)
        tile_proj(a, c, dir->w_proj, type, dir->w_proj_scale, target);
    c->h0 = array_of(a, id, "h0", arena_printf(a, "initial hidden state h0 of %s (initial_state)", c->title),
                     0, l->recurrent, 0, dir->h0);
    c->c0 = array_of(a, id, "c0", arena_printf(a, "initial cell state c0 of %s (initial_state)", c->title),
                     0, l->hidden, 0, dir->c0);

    c->gate_act = act_of(l->gate_act, fast);
    c->cell_input_act = act_of(l->cell_input_act, fast);
    c->cell_output_act = act_of(l->cell_output_act, fast);
    c->clip_gates = (float)l->clip_gates;
    c->clip_cell = (float)l->clip_cell;
    c->clip_proj = (float)l->clip_proj;
    tile_cell(a, c, w, b, l->forget_bias != 0, type, scale, target, NULL);
    if (l->products_int8)
        tile_int8_products(a, c);
}

/*
 * One direction d of a GRU or RNN layer L as a cell of the tiled kernels
 * (lower.h, LowCell.kind): the rows its update reads, packed as an LSTM's
 * gates are, so that the kernels, the hoisted input projection, batches
 * and threads serve it unchanged and the emitters differ only in the few
 * lines of the update. A GRU's candidate needs its input and recurrent
 * parts apart (r multiplies the second): its input part's rows read x
 * only, its recurrent part's h only (tile_cell's reads), so a tile's input
 * projection and its recurrent product have 3H rows each, as the
 * equations, r and z shared.
 *
 * Reset before, n's recurrent product reads r h, so it needs r of every
 * unit first: it leaves the tiled kernel (r, z in both products, n's
 * input part in the input projection, 2H recurrent rows) for a second
 * pass, the projection kernel over r h (lower.h): 3H^2 multiply-adds per
 * step in all, as reset after. No threads (threaded_cell: a projection),
 * so a step needs no second barrier.
 */
static void lower_gru_cell(Arena *a, LowCell *c, const IrLayer *L, int d, const char *id, const char *local,
                           int fast, WeightsType type, const LowTarget *target)
{
    const IrGru *g = &L->gru;
    const IrGruDirection *dir = &g->dir[d];
    int gru = L->kind == IR_GRU, I = g->input, H = g->hidden, K = I + H;
    int before = gru && !g->reset_after;
    static const char *const macros[GATE_COUNT] = {"R", "Z", "N", "NH"};
    static const char *const words[GATE_COUNT] = {
        "reset gate", "update gate", "candidate, input part", "candidate, recurrent part"};
    static const int reads[GATE_COUNT] = {READS_BOTH, READS_BOTH, READS_X, READS_H};

    cell_begin(a, c, L, gru ? "gru" : "rnn", g->dirs, dir->reverse, id, local);
    c->reset_before = before;
    c->input = I;
    c->hidden = H;
    c->block_size = 1;
    c->blocks = H;
    c->recurrent = H;
    int rows = 0;
    for (int q = 0; q < GATE_COUNT; q++) {
        c->has_gate[q] = gru ? q != GATE_O || !before : q == GATE_G;
        c->gate_off[q] = c->has_gate[q] ? rows : -1;
        rows += c->has_gate[q] ? H : 0;
        c->gate_macro[q] = c->has_gate[q] ? macros[q] : NULL;
        c->gate_word[q] = !c->has_gate[q] ? NULL : gru ? words[q] : "pre-activation";
    }

    /* The packed rows and biases: row j of part q is w[q] row j; the
     * candidate's parts take its columns of x and of h, b_hn its own
     * array (b_hn), added in the update. */
    float *w = arena_alloc(a, sizeof(float) * (size_t)rows * (size_t)K);
    float *b = dir->b[GRU_N] ? arena_alloc(a, sizeof(float) * (size_t)rows) : NULL;
    /* int8: each packed row's scale, its part's row's (quantize.c) */
    float *scale = type == WT_INT8 ? arena_alloc(a, sizeof(float) * (size_t)rows) : NULL;
    LowArray groups;
    memset(&groups, 0, sizeof groups);
    memset(w, 0, sizeof(float) * (size_t)rows * (size_t)K);
    static const int part_of[GATE_COUNT] = {GRU_R, GRU_Z, GRU_N, GRU_N};
    for (int q = 0; q < GATE_COUNT; q++) {
        if (c->gate_off[q] < 0)
            continue;
        int k0 = gru && q == GATE_O ? I : 0, k1 = gru && q == GATE_G ? I : K;
        const float *src = dir->w[part_of[q]];
        for (int j = 0; j < H; j++) {
            size_t row = (size_t)(c->gate_off[q] + j);
            for (int k = k0; k < k1; k++)
                w[row * (size_t)K + (size_t)k] = src[(size_t)j * (size_t)K + (size_t)k];
            if (b)
                b[row] = q == GATE_O ? (dir->b_hn ? dir->b_hn[j] : 0.0f) : dir->b[part_of[q]][j];
            if (scale)
                scale[row] = dir->w_scale[part_of[q]][j];
        }
        int k = groups.ngroups++;
        groups.group[k].label = arena_printf(a, "%s (%d)", c->gate_word[q], H);
        groups.group[k].first = c->gate_off[q];
        groups.group[k].count = H;
    }
    c->w_gates = array_of(a, id, "w_gates", arena_printf(a, "weights of %s: %d rows; %d columns: the input x "
                                                         "(%d), then h (%d)", c->title, rows, K, I, H),
                          0, rows, K, w);
    c->b_gates = array_of(a, id, "b_gates", arena_printf(a, "biases of %s", c->title), 0, rows, 0, b);
    c->b_hn = array_of(a, id, "b_hn", arena_printf(a, "the candidate's recurrent biases of %s (reset after: "
                                                   "inside r's product), one per unit", c->title),
                       0, H, 0, gru && !before && b ? dir->b_hn : NULL);
    c->w_gates.ngroups = c->b_gates.ngroups = groups.ngroups;
    memcpy(c->w_gates.group, groups.group, sizeof groups.group);
    memcpy(c->b_gates.group, groups.group, sizeof groups.group);
    for (int q = 0; q < GATE_COUNT; q++)
        memset(&c->peep[q], 0, sizeof c->peep[q]);
    memset(&c->w_proj, 0, sizeof c->w_proj);
    memset(&c->s_proj, 0, sizeof c->s_proj);
    if (before) {
        /* the second pass: w_n's columns of h, as a projection of r h */
        float *un = arena_alloc(a, sizeof(float) * (size_t)H * (size_t)H);
        for (int j = 0; j < H; j++)
            memcpy(un + (size_t)j * (size_t)H, dir->w[GRU_N] + (size_t)j * (size_t)K + (size_t)I,
                   sizeof(float) * (size_t)H);
        c->proj = H;
        tile_proj(a, c, un, type, type == WT_INT8 ? dir->w_scale[GRU_N] : NULL, target);
        c->w_proj.name = arena_printf(a, "%s_w_hn", id);
        c->w_proj.comment = arena_printf(a, "the candidate's recurrent weights of %s (reset before: they multiply "
                                         "r h, in a second pass), transposed by tile: %d tiles of %d units; per "
                                         "tile and column k, the tile's %d rows", c->title, c->proj_tiles,
                                         c->proj_tile, c->proj_tile);
        c->s_proj.name = arena_printf(a, "%s_s_hn", id);
        c->s_proj.comment = arena_printf(a, "int8 weights of %s: the scale of each row of w_hn", c->title);
    }
    /* c holds h: both start at h0 */
    c->h0 = array_of(a, id, "h0", arena_printf(a, "initial hidden state h0 of %s (initial_state)", c->title),
                     0, H, 0, dir->h0);
    c->c0 = array_of(a, id, "c0", arena_printf(a, "h0 of %s again: the cell's copy of h", c->title),
                     0, H, 0, dir->h0);

    static const Activation identity = {ACT_IDENTITY, 0, 0};
    c->gate_act = act_of(gru ? g->gate_act : identity, fast);
    c->cell_input_act = act_of(g->cand_act, fast);
    c->cell_output_act = act_of(identity, fast);
    c->clip_gates = (float)g->clip;
    tile_cell(a, c, w, b, 0, type, scale, target, gru ? reads : NULL);
}

/* Units of a dense layer's tiles (LowDense): 16 units and more rounded up
 * to whole vectors of 16 (97: one tile of 112, seven AVX-512 or fourteen
 * AVX2 accumulators), unless the target has no vectors. Fewer stay as they
 * are, one tile of plain floats (padding would multiply their flash). */
static int dense_padded_units(int units, const LowTarget *t)
{
    if (units < 16 || (t->known && t->vl == 1))
        return units;
    return (units + 15) / 16 * 16;
}

/* The [units] floats v (NULL: none) over tiles * tile, `pad` past units. */
static const float *dense_padded(Arena *a, const float *v, int units, int padded, float pad)
{
    if (!v)
        return NULL;
    float *p = arena_alloc(a, sizeof(float) * (size_t)padded);
    for (int u = 0; u < padded; u++)
        p[u] = u < units ? v[u] : pad;
    return p;
}

static void lower_dense(Arena *a, LowDense *dn, const IrLayer *L, const char *id, int fast, WeightsType type,
                        const LowTarget *target)
{
    int U = L->output, I = L->input, UP = dense_padded_units(U, target);
    int T = UP < 16 ? UP : proj_tile_width(UP, target), NT = UP / T;
    dn->id = id;
    dn->macro = lower_macro(a, id);
    dn->title = arena_printf(a, "dense %s", L->name);
    dn->input = I;
    dn->units = U;
    dn->tile = T;
    dn->tiles = NT;
    dn->simd = T % 16 == 0;
    /* w [U][I] transposed by tile: unit t*T + v's weight of input k at [t][k][v] */
    float *wt = arena_alloc(a, sizeof(float) * (size_t)UP * (size_t)I);
    for (int t = 0; t < NT; t++)
        for (int k = 0; k < I; k++)
            for (int v = 0; v < T; v++) {
                int u = t * T + v;
                wt[((size_t)t * (size_t)I + (size_t)k) * (size_t)T + (size_t)v] =
                    u < U ? L->dense.w[(size_t)u * (size_t)I + (size_t)k] : 0.0f;
            }
    dn->w = array_of(a, id, "w", arena_printf(a, "weights of %s: %d units x %d inputs, transposed by tile: "
                                              "%d tile%s of %d units%s; per tile and input k, the tile's %d units",
                                              dn->title, U, I, NT, NT > 1 ? "s" : "", T,
                                              UP > U ? " (the last's past the units zero)" : "", T),
                     NT, I, T, wt);
    dn->w.plane_label = "tile";
    dn->b = array_of(a, id, "b", arena_printf(a, "biases of %s by tile%s", dn->title,
                                              UP > U ? " (zero past the units)" : ""),
                     0, NT, T, dense_padded(a, L->dense.b, U, UP, 0.0f));
    dn->s = array_of(a, id, "s", arena_printf(a, "int8 weights of %s: the scale of each unit's row, by tile%s",
                                              dn->title, UP > U ? " (1 past the units)" : ""),
                     0, NT, T, dense_padded(a, L->dense.w_scale, U, UP, 1.0f));
    store_narrow(a, &dn->w, type, dn->s.data, T);
    dn->act = act_of(L->dense.act, fast);
}

/* The table of a model's embedding: "<prefix>_<name>_table". */
static void lower_embedding(Arena *a, LowEmbedding *le, const IrLayer *E, const char *id)
{
    le->title = E->name;
    le->vocab = E->input;
    le->dim = E->output;
    /* one vector, [V * E]: the runtime's lookup takes a float pointer */
    le->table = array_of(a, id, "table", arena_printf(a, "embedding %s: [%d token ids][%d floats], row id the "
                                                      "vector of token id", E->name, E->input, E->output),
                         0, E->input * E->output, 0, E->embed.table);
}

/* ---- the plan ---- */

static LowBuf buf(LowBufKind kind, int index)
{
    LowBuf b = {kind, index};
    return b;
}

static LowOp *add_op(LowModel *lm, LowOpKind kind, int layer)
{
    LowOp *op = &lm->ops[lm->nops++];
    memset(op, 0, sizeof *op);
    op->kind = kind;
    op->layer = layer;
    return op;
}

/* The next dense output vector: alternates between two, so a layer never
 * writes the vector it reads. tmp_floats: the size each needs. */
static LowBuf next_tmp(LowBuf in, int width, int tmp_floats[2])
{
    int k = in.kind == BUF_TMP ? 1 - in.index : 0;
    if (tmp_floats[k] < width)
        tmp_floats[k] = width;
    return buf(BUF_TMP, k);
}

static LowBuf next_seq(LowModel *lm, LowBuf in, int width)
{
    int k = in.kind == BUF_SEQ ? 1 - in.index : 0;
    if (lm->nseq < k + 1)
        lm->nseq = k + 1;
    if (lm->seq_width < width)
        lm->seq_width = width;
    return buf(BUF_SEQ, k);
}

/* The first layer of the dense head: the dense layers after the last LSTM,
 * which an output-last run computes for the last step only. */
static int head_start(const LowModel *lm)
{
    int n = lm->nlayers;
    while (n > 0 && lm->layers[n - 1].kind == IR_DENSE)
        n--;
    return n;
}

/* Each layer runs over all rows (a sequence, or a streaming model's chunk of
 * steps) before the next; with output last, the dense head runs on the last
 * row only; pooled, on the pooled vector. */
static void plan_ops(LowModel *lm, int tmp_floats[2])
{
    int last = lm->output_last ? head_start(lm) : lm->nlayers;
    LowBuf cur = buf(BUF_X, 0);
    int width = lm->input;
    if (lm->tokens) {
        /* the ids' vectors, into rows the first layer reads as its input */
        LowOp *op = add_op(lm, OP_EMBED_ROWS, -1);
        op->in = cur;
        op->in_width = width;
        op->out = next_seq(lm, cur, lm->embedding.dim);
        op->out_width = lm->embedding.dim;
        cur = op->out;
        width = lm->embedding.dim;
    }
    for (int n = 0; n < last; n++) {
        LowLayer *L = &lm->layers[n];
        /* A streaming model that outputs the last step needs no rows of its
         * last recurrent layer: that row is the layer's h after the step; nor
         * does output final: each cell's h after its run is its final state. */
        int h_only = lm->output_last && (lm->streaming || lm->output_form == OUT_FINAL) && n == last - 1 &&
                     L->kind != IR_DENSE;
        LowBuf out = n == lm->nlayers - 1 && !lm->output_last ? buf(BUF_Y, 0)
                   : h_only ? buf(BUF_H, (int)(L->cell[0] - lm->cells))
                            : next_seq(lm, cur, L->output);
        for (int d = 0; h_only && d < L->ncells; d++)
            L->cell[d]->rows_out = 0;
        if (L->kind != IR_DENSE) {
            for (int d = 0; d < L->ncells; d++) {
                LowOp *op = add_op(lm, OP_LSTM_ROWS, n);
                op->cell = (int)(L->cell[d] - lm->cells);
                op->in = cur;
                op->in_width = width;
                op->out = out;
                op->out_width = L->output;
                op->out_col = d * L->cell[d]->recurrent;
            }
        } else {
            LowOp *op = add_op(lm, OP_DENSE_ROWS, n);
            op->in = cur;
            op->in_width = width;
            op->out = out;
            op->out_width = L->output;
        }
        cur = out;
        width = L->output;
    }
    if (!lm->output_last)
        return;
    if (lm->pooled) {
        LowOp *op = add_op(lm, OP_POOL, last - 1);
        op->in = cur;
        op->out = last == lm->nlayers ? buf(BUF_Y, 0) : next_tmp(cur, width, tmp_floats);
        op->in_width = op->out_width = op->n = width;
        if (last == lm->nlayers)
            return;
        cur = op->out;
    } else if (last == lm->nlayers) {
        LowOp *op = add_op(lm, OP_COPY_LAST, last - 1);
        op->in = cur;
        op->out = buf(BUF_Y, 0);
        op->in_width = op->out_width = op->n = width;
        return;
    }
    for (int n = last; n < lm->nlayers; n++) {
        LowLayer *L = &lm->layers[n];
        LowOp *op = add_op(lm, OP_DENSE_LAST, n);
        op->in = cur;
        op->in_width = width;
        op->out = n == lm->nlayers - 1 ? buf(BUF_Y, 0) : next_tmp(cur, L->output, tmp_floats);
        op->out_width = L->output;
        cur = op->out;
        width = L->output;
    }
}

/*
 * Whether --threads N splits cell c: no projection (its h is the
 * tiles' output, so each thread writes its own units of h and a barrier per
 * step is the only exchange), at least 128 units and two tiles per thread.
 * Below that a step takes about a microsecond or less, the order of what a
 * barrier between two cores costs; above, the per-step work splits evenly.
 */
static int threaded_cell(const LowCell *c, int threads)
{
    return !c->proj && c->hidden >= 128 && c->tiles >= 2 * threads;
}

/*
 * Whether the step of cell c updates all its cells at once, after every
 * tile's gate rows (LowCell.cells_whole): a small LSTM layer (at most 2
 * tiles of 16 units, H <= 32), one thread. There a step is a chain of
 * latencies (the products, then each cell's activations, then the next
 * step's products), and the cells of one tile after another were two
 * such chains end to end; together, each activation runs on the H cells
 * as two independent vectors, and h is written in place (no copy of the
 * new h, no check that c and the new h do not overlap). Measured (Xeon,
 * AVX-512, gcc 12 -O3 -march=native, I 16, H 32, interleaved, under load):
 * 210 -> 182 ns per step. Larger layers keep the tile's cells after the
 * tile's products: their products are long enough to overlap the cells
 * of the tile before, and a step's gate rows would leave L1.
 */
static int cells_whole(const LowCell *c)
{
    return c->kind == IR_LSTM && c->block_size == 1 && !c->proj && c->tile == 16 && c->tiles <= 2;
}

/*
 * Whether ID_recur alternates the order of its tiles, first to last on
 * even steps, last to first on odd ones (LowCell.alternate). A step reads
 * all of w_h; taken in one order every step, a w_h larger than the core's
 * L2 is read wholly from L3 every step (the tiles read last evict the ones
 * the next step reads first). Alternated, the next step begins with the
 * tiles the last one ended with, still in L2, and reads from L3 only what
 * did not fit. Measured (Sapphire Rapids, 2 MiB L2, gcc -O3 -march=native,
 * under load): the GRU of I 256, H 512 (w_h 3 MiB) 1.36-1.48x faster,
 * the LSTM of that shape (4 MiB) 1.22x; the RNN's 1 MiB, in L2, as
 * before. Below 256 KiB (the smallest L2 of the targets lstmc serves with
 * vectors) the order does not matter, and the code stays as it was.
 */
enum { ALTERNATE_MIN_BYTES = 256 * 1024 };

static int alternate_tiles(const LowCell *c)
{
    return c->tiles > 1 && lower_array_bytes(&c->w_h) > ALTERNATE_MIN_BYTES;
}

/*
 * Whether an LSTM cell's update goes through the runtime's fused forms
 * (LowCell.fused_c, fused_h): cells of one (S = 1) whose gates are the
 * fast sigmoid and whose cell input and output are the fast tanh. The
 * separate functions divide once per gate and per tanh, five vector
 * divisions per vector of cells; the fused forms take the sigmoids and
 * tanh as fractions and divide three times (runtime/lstmc_act.h), and a
 * vector division is slow (AVX-512: about 10 cycles apart). Measured
 * (Xeon, AVX-512, gcc 12 -O3 -march=native, I 16, H 32, interleaved,
 * under load): 190 -> 171 ns per step.
 */
static int fast_act(LowAct act, ActKind kind)
{
    return act.kind == kind && act.fast;
}

static void fused_cell(LowCell *c)
{
    int lstm = c->kind == IR_LSTM && c->block_size == 1 && fast_act(c->gate_act, ACT_SIGMOID);
    c->fused_c = lstm && fast_act(c->cell_input_act, ACT_TANH) && c->has_gate[GATE_I] && c->has_gate[GATE_F] &&
                 !c->coupled;
    c->fused_h = lstm && fast_act(c->cell_output_act, ACT_TANH) && c->has_gate[GATE_O];
}

int lower_cell_row(const LowCell *c, int r)
{
    return r / c->tile * c->hidden + r % c->tile;
}

/* ---- the state struct ---- */

static int add_field(LowModel *lm, LowFieldKind kind, const char *name, int floats)
{
    LowField *f = &lm->fields[lm->nfields];
    memset(f, 0, sizeof *f);
    f->kind = kind;
    f->name = name;
    f->floats = floats;
    f->offset = lm->nfields ? lm->fields[lm->nfields - 1].offset + lm->fields[lm->nfields - 1].floats : 0;
    return lm->nfields++;
}

/* h and c of each cell in order: all (which -1), or the forward ones (0)
 * or the backward ones (1). */
static void add_cell_fields(Arena *a, LowModel *lm, int which)
{
    for (int k = 0; k < lm->ncells; k++) {
        LowCell *c = &lm->cells[k];
        if (which >= 0 && c->reverse != which)
            continue;
        c->h_field = add_field(lm, FIELD_H, arena_printf(a, "%s_h", c->local), c->recurrent);
        c->c_field = add_field(lm, FIELD_C, arena_printf(a, "%s_c", c->local), c->hidden);
        lm->fields[c->h_field].cell = lm->fields[c->c_field].cell = k;
    }
}

enum { PAD_FLOATS = 16 };   /* a cache line of 64 bytes */

/* The fields in the order the struct has them: h and c of each cell, then
 * the scratch (gates, m, a streaming model's rows between layers, the dense
 * head's vectors). Every field is a float array, so offsets are sums. With
 * direction_threads, the fields that the thread of the backward directions
 * writes (their h and c, gates_b, m_b) lie between two pads, apart from the
 * others: h and c first (NAME_reset zeroes them at once), forward then
 * backward. */
static void layout_state(Arena *a, LowModel *lm, int gates_floats, int m_floats, const int tmp_floats[2])
{
    lm->fields = arena_alloc(a, sizeof *lm->fields * (size_t)(2 * lm->ncells + 10));
    int dt = lm->direction_threads;
    if (dt) {
        add_cell_fields(a, lm, 0);
        add_field(lm, FIELD_PAD, "pad0", PAD_FLOATS);
        add_cell_fields(a, lm, 1);
    } else {
        add_cell_fields(a, lm, -1);
    }
    /* the backward directions' own, while they run beside the forward ones */
    lm->gates_b_field = dt ? add_field(lm, FIELD_GATES, "gates_b", gates_floats) : -1;
    lm->m_b_field = dt ? add_field(lm, FIELD_M, "m_b", m_floats) : -1;
    if (dt)
        add_field(lm, FIELD_PAD, "pad1", PAD_FLOATS);
    lm->gates_field = gates_floats ? add_field(lm, FIELD_GATES, "gates", gates_floats) : -1;
    lm->m_field = m_floats ? add_field(lm, FIELD_M, "m", m_floats) : -1;
    for (int k = 0; k < 2; k++) {
        lm->seq_field[k] = -1;
        if (lm->streaming && k < lm->nseq) {
            lm->seq_field[k] = add_field(lm, FIELD_SEQ, arena_printf(a, "seq%d", k), lm->chunk * lm->seq_width);
            lm->fields[lm->seq_field[k]].index = k;
        }
    }
    for (int k = 0; k < 2; k++) {
        lm->tmp_field[k] = -1;
        if (tmp_floats[k]) {
            lm->tmp_field[k] = add_field(lm, FIELD_TMP, arena_printf(a, "tmp%d", k), tmp_floats[k]);
            lm->fields[lm->tmp_field[k]].index = k;
        }
    }
    if (lm->nfields == 0)
        add_field(lm, FIELD_EMPTY, "empty", 1);
    const LowField *end = &lm->fields[lm->nfields - 1];
    lm->state_bytes = 4 * (end->offset + end->floats);
}

/* ---- the model ---- */

const int lower_steps_choices[] = {4, 2, 1};
const int lower_nsteps_choices = 3;

int lower_steps_choice(int vecs, int accs)
{
    for (int k = 0; k < lower_nsteps_choices; k++)
        if (accs / vecs >= lower_steps_choices[k])
            return lower_steps_choices[k];
    return 1;
}

/* ---- the runtime a model needs ---- */

const char *lower_act_function(LowAct act)
{
    switch (act.kind) {
    case ACT_SIGMOID:          return act.fast ? "rt_sigmoidf_fast" : "rt_sigmoidf";
    case ACT_TANH:             return act.fast ? "rt_tanhf_fast" : "rt_tanhf";
    case ACT_HARD_SIGMOID:     return "rt_hard_sigmoidf";
    case ACT_SCALED_SIGMOID:   return act.fast ? "rt_scaled_sigmoidf_fast" : "rt_scaled_sigmoidf";
    case ACT_SCALED_TANH:      return act.fast ? "rt_scaled_tanhf_fast" : "rt_scaled_tanhf";
    case ACT_RELU:             return "rt_reluf";
    case ACT_LEAKY_RELU:       return "rt_leaky_reluf";
    case ACT_THRESHOLDED_RELU: return "rt_thresholded_reluf";
    case ACT_ELU:              return "rt_eluf";
    case ACT_SOFTSIGN:         return "rt_softsignf";
    case ACT_SOFTPLUS:         return "rt_softplusf";
    case ACT_AFFINE:           return "rt_affinef";
    case ACT_IDENTITY:
    case ACT_SOFTMAX:
    case ACT_LOG_SOFTMAX:
    case ACT_COUNT:
        break;
    }
    return NULL;
}

const char *lower_vector_act_function(LowAct act)
{
    switch (act.kind) {
    case ACT_SOFTMAX:     return "rt_softmaxf";
    case ACT_LOG_SOFTMAX: return "rt_log_softmaxf";
    default:              return NULL;
    }
}

/* The index of the runtime piece called name (its first len bytes). */
static int piece_index(const char *name, size_t len)
{
    for (int k = 0; k < rt_act_npieces; k++)
        if (strlen(rt_act_pieces[k].name) == len && strncmp(rt_act_pieces[k].name, name, len) == 0)
            return k;
    diag_fatal("internal error: runtime/lstmc_act.h has no piece %.*s", (int)len, name);
}

int lower_needs(const LowModel *lm, const char *name)
{
    return lm->runtime[piece_index(name, strlen(name))];
}

/* The piece called name, and every piece it needs (the header's markers
 * say which: scripts/embed.sh). */
static void need_piece(LowModel *lm, const char *name, size_t len)
{
    int k = piece_index(name, len);
    if (lm->runtime[k])
        return;
    lm->runtime[k] = 1;
    for (const char *p = rt_act_pieces[k].needs; *p;) {
        size_t n = strcspn(p, " ");
        need_piece(lm, p, n);
        p += n + (p[n] == ' ');
    }
}

static void need(LowModel *lm, const char *name)
{
    need_piece(lm, name, strlen(name));
}

/* The runtime function of an activation the model calls. */
static void note_act(LowModel *lm, LowAct act)
{
    const char *f = lower_act_function(act);
    if (f)
        need(lm, f);
    else if (lower_vector_act_function(act))
        need(lm, lower_vector_act_function(act));
}

/* The runtime functions of a cell's activations: the fused forms, and
 * the separate functions where some gate, cell input or output still
 * calls them. */
static void note_cell_acts(LowModel *lm, const LowCell *c)
{
    int gates = c->kind != IR_LSTM || c->block_size > 1 || (c->has_gate[GATE_O] && !c->fused_h) ||
                (!c->fused_c && (c->has_gate[GATE_I] || c->has_gate[GATE_F] || c->coupled));
    if (c->fused_c)
        need(lm, "rt_lstm_cf_fast");
    if (c->fused_h)
        need(lm, "rt_lstm_hf_fast");
    if (gates)
        note_act(lm, c->gate_act);
    if (!c->fused_c)
        note_act(lm, c->cell_input_act);
    if (!c->fused_h)
        note_act(lm, c->cell_output_act);
}

/* What a cell's kernel calls besides its activations: the tiled kernels'
 * loop pragmas and accumulator count (RT_ACCS, in the RT_VL piece), and,
 * when they use the target's vectors, rt_vec and RT_VKEEP (emit_c.c's
 * tiled kernels). */
static void note_kernel(LowModel *lm, const LowCell *c)
{
    need(lm, "RT_UNROLL");
    need(lm, "RT_NO_UNROLL");
    need(lm, "RT_VL");
    if (c->simd) {
        need(lm, "rt_vec");
        need(lm, "RT_VKEEP");
    }
}

/* What reading a weight array stored narrow takes: the converting loads
 * of the target's vectors (simd), or the conversion of one value. */
static void note_weights(LowModel *lm, const LowArray *arr, int simd)
{
    static const char *const vec[WT_COUNT] = {NULL, "rt_vload_f16", "rt_vload_bf16", "rt_vload_i8"};
    static const char *const one[WT_COUNT] = {NULL, "rt_f16_to_f32", "rt_bf16_to_f32", "<stdint.h>"};
    if (arr->data && arr->type != WT_F32)
        need(lm, simd ? vec[arr->type] : one[arr->type]);
}

/* A cell's bfloat16 kernels reading two vectors per load (lower.h:
 * LowCell.pair_bf16) need the runtime's pair loads. */
static void note_pairs(LowModel *lm, const LowCell *c)
{
    if (c->pair_bf16)
        need(lm, "rt_vload_bf16_pair");
}

/* ---- the model's hash ---- */

/* FNV-1a, 64 bits. */
static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t k = 0; k < n; k++)
        h = (h ^ b[k]) * 0x100000001b3ull;
    return h;
}

static uint64_t fnv_text(uint64_t h, const char *s)
{
    return fnv(h, s, strlen(s) + 1);
}

static uint64_t fnv_int(uint64_t h, long v)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%ld", v);
    return fnv_text(h, buf);
}

/* The floats of an array as little-endian bytes, whatever the host. */
static uint64_t fnv_array(uint64_t h, const LowArray *arr)
{
    size_t n = (size_t)lower_array_floats(arr);
    h = fnv_int(h, (long)n);
    if (arr->type != WT_F32)
        h = fnv_int(h, arr->type);
    for (size_t k = 0; k < n; k++) {
        uint32_t u;
        unsigned char b[4];
        memcpy(&u, &arr->data[k], sizeof u);
        for (int q = 0; q < 4; q++)
            b[q] = (unsigned char)(u >> (8 * q));
        h = fnv(h, b, 4);
    }
    return h;
}

/*
 * What a header and the code made with it must agree on: lstmc's version,
 * the names, the sizes, the state's fields, the options that change the
 * results (activations, threads, chunk) and every weight. Not the target:
 * one header serves the objects of every target.
 */
static uint64_t model_hash(const LowModel *lm)
{
    uint64_t h = 0xcbf29ce484222325ull;
    h = fnv_text(h, LSTMC_VERSION);
    h = fnv_text(h, lm->name);
    const long ints[] = {lm->input, lm->output, lm->output_last, lm->streaming, lm->chunk, lm->threads,
                         lm->fast_activations, lm->state_bytes, lm->nseq, lm->seq_width, lm->nlayers, lm->ncells};
    for (size_t k = 0; k < COUNT_OF(ints); k++)
        h = fnv_int(h, ints[k]);
    /* the forms since output last (the hashes of older models unchanged) */
    if (lm->output_form > OUT_LAST)
        h = fnv_int(h, lm->output_form);
    for (int k = 0; k < lm->nfields; k++) {
        h = fnv_text(h, lm->fields[k].name);
        h = fnv_int(h, lm->fields[k].floats);
    }
    if (lm->tokens)
        h = fnv_array(fnv_text(h, lm->embedding.title), &lm->embedding.table);
    for (int n = 0; n < lm->nlayers; n++) {
        const LowLayer *L = &lm->layers[n];
        h = fnv_text(h, L->title);
        if (L->kind == IR_DENSE) {
            h = fnv_array(fnv_array(h, &L->dense.w), &L->dense.b);
            if (L->dense.s.data)   /* int8 */
                h = fnv_array(h, &L->dense.s);
            continue;
        }
        for (int d = 0; d < L->ncells; d++) {
            const LowCell *c = L->cell[d];
            const LowArray *arrs[] = {&c->w_gates, &c->b_gates, &c->w_x, &c->w_h, &c->b_tiled, &c->w_proj,
                                      &c->h0, &c->c0, &c->peep[GATE_I], &c->peep[GATE_F], &c->peep[GATE_O]};
            for (size_t q = 0; q < COUNT_OF(arrs); q++)
                h = fnv_array(h, arrs[q]);
            if (c->b_hn.data)   /* (the hashes of other models unchanged) */
                h = fnv_array(h, &c->b_hn);
            if (c->s_tiled.data)   /* int8 */
                h = fnv_array(fnv_array(h, &c->s_tiled), &c->s_proj);
            if (c->products_int8) {
                h = fnv_array(fnv_int(h, c->hq_cols), &c->h_factor);
                h = fnv(h, c->h_corr.data, sizeof(int32_t) * (size_t)c->h_corr.planes * (size_t)c->h_corr.rows);
            }
        }
    }
    return h;
}

int lower_layer_cells(const IrLayer *L)
{
    return L->kind == IR_LSTM ? L->lstm.dirs : L->kind == IR_DENSE ? 0 : L->gru.dirs;
}

LowModel *lower_model(Arena *a, const IrModel *m, const LowerOptions *o)
{
    LowModel *lm = arena_alloc(a, sizeof *lm);
    lm->ir = m;
    lm->name = o->name ? o->name : lower_identifier(a, m->name);
    lm->macro = lower_macro(a, lm->name);
    lm->input = m->input;
    lm->output = m->output;
    lm->output_last = m->output_last;
    lm->output_form = m->output_form;
    lm->weights_type = m->weights_type;
    lm->fast_activations = o->fast_activations;
    lm->runtime = arena_alloc(a, (size_t)rt_act_npieces);
    if (o->target)
        lm->target = *o->target;
    lm->nlayers = m->nlayers;
    lm->layers = arena_alloc(a, sizeof *lm->layers * (size_t)(m->nlayers ? m->nlayers : 1));

    int ncells = 0;
    lm->streaming = 1;
    for (int n = 0; n < m->nlayers; n++) {
        ncells += lower_layer_cells(&m->layers[n]);
        if (ir_layer_has_reverse(&m->layers[n]))
            lm->streaming = 0;
    }
    lm->cells = arena_alloc(a, sizeof *lm->cells * (size_t)(ncells ? ncells : 1));
    /* Mean and max read the whole sequence; the final state of a forward
     * direction is its h after the last step, so it streams as output last. */
    if (m->output_form == OUT_MEAN || m->output_form == OUT_MAX)
        lm->streaming = 0;
    lm->pooled = ir_pools(m) && !lm->streaming;
    if (lm->pooled && m->output_form != OUT_FINAL)
        need(lm, m->output_form == OUT_MEAN ? "rt_mean_rowsf" : "rt_max_rowsf");

    /* Every identifier of a layer starts with the model's prefix. A layer
     * called "run" would have a NAME_run_batch, which NAME_run_batch of the
     * API already is: it becomes "run_2". */
    Names names = {0};
    unique_name(a, &names, "run");
    int gate_rows = 0, m_floats = 0;
    if (m->embedding) {
        lm->tokens = 1;
        const char *base = unique_name(a, &names, lower_identifier(a, m->embedding->name));
        lower_embedding(a, &lm->embedding, m->embedding, arena_printf(a, "%s_%s", lm->name, base));
        lm->flash_bytes += lower_array_bytes(&lm->embedding.table);
        need(lm, "rt_embed_rowsf");
    }
    for (int n = 0; n < m->nlayers; n++) {
        const IrLayer *L = &m->layers[n];
        LowLayer *ll = &lm->layers[n];
        const char *base = unique_name(a, &names, lower_identifier(a, L->name));
        const char *id = arena_printf(a, "%s_%s", lm->name, base);
        ll->kind = L->kind;
        ll->title = L->name;
        ll->input = L->input;
        ll->output = L->output;
        if (L->kind == IR_DENSE) {
            lower_dense(a, &ll->dense, L, id, o->fast_activations, m->weights_type, &lm->target);
            lm->flash_bytes += lower_array_bytes(&ll->dense.w) + lower_array_bytes(&ll->dense.b) +
                               lower_array_bytes(&ll->dense.s);
            note_act(lm, ll->dense.act);
            note_weights(lm, &ll->dense.w, ll->dense.simd);
            need(lm, "RT_UNROLL");
            need(lm, "RT_NO_UNROLL");
            need(lm, "RT_VL");
            if (ll->dense.simd)
                need(lm, "rt_vec");
            if (lm->target.known)
                ll->dense.vecs = ll->dense.tile / (ll->dense.simd ? lm->target.vl : 1);
            continue;
        }
        ll->ncells = lower_layer_cells(L);
        for (int d = 0; d < ll->ncells; d++) {
            /* The backward half of a bidirectional layer is "<id>_reverse",
             * as PyTorch names it. */
            const char *local = d == 0 ? base : unique_name(a, &names, arena_printf(a, "%s_reverse", base));
            LowCell *c = &lm->cells[lm->ncells++];
            const char *cid = arena_printf(a, "%s_%s", lm->name, local);
            if (L->kind == IR_LSTM)
                lower_cell(a, c, L, d, cid, local, o->fast_activations, m->weights_type, &lm->target);
            else
                lower_gru_cell(a, c, L, d, cid, local, o->fast_activations, m->weights_type, &lm->target);
            ll->cell[d] = c;
            lm->flash_bytes += lower_array_bytes(&c->w_x) + lower_array_bytes(&c->w_h) +
                               lower_array_bytes(&c->b_tiled) + lower_array_bytes(&c->s_tiled) +
                               lower_array_bytes(&c->h_factor) + 4L * c->h_corr.planes * c->h_corr.rows;
            lm->flash_bytes += lower_array_bytes(&c->w_proj) + lower_array_bytes(&c->s_proj) +
                               lower_array_bytes(&c->h0) + lower_array_bytes(&c->c0) + lower_array_bytes(&c->b_hn);
            for (int g = 0; g < GATE_COUNT; g++)
                lm->flash_bytes += 4 * lower_array_floats(&c->peep[g]);
            lm->initial_state |= c->h0.data || c->c0.data;
            lm->uses_clip |= c->clip_gates != 0 || c->clip_cell != 0 || c->clip_proj != 0;
            fused_cell(c);
            note_cell_acts(lm, c);
            note_kernel(lm, c);
            note_weights(lm, &c->w_x, c->simd);
            if (c->products_int8)
                need(lm, c->simd ? "rt_ivec" : "rt_h_code");
            else
                note_weights(lm, &c->w_h, c->simd);
            note_weights(lm, &c->w_proj, c->proj_simd);
            note_pairs(lm, c);
            c->cells_whole = cells_whole(c) && !c->products_int8;   /* (threads, below, clear it) */
            c->alternate = alternate_tiles(c) && !c->products_int8;   /* (its own tile loop) */
            if (gate_rows < c->gate_rows)
                gate_rows = c->gate_rows;
            /* (reset before: r h, z and n's input part between the passes) */
            if (m_floats < (c->reset_before ? 3 : 1) * c->hidden)
                m_floats = (c->reset_before ? 3 : 1) * c->hidden;
            /* the counts of the tiled kernels, where the target is known */
            if (lm->target.known) {
                c->vecs = c->tile_rows / (c->simd ? lm->target.vl : 1);
                c->in_vecs = c->in_rows / (c->simd ? lm->target.vl : 1);
                c->steps_per_pass = lm->target.size ? 1 : lower_steps_choice(c->vecs, lm->target.accs);
                c->in_steps = lm->target.size ? 1 : lower_steps_choice(c->in_vecs, lm->target.accs);
                if (c->proj) {
                    c->proj_vecs = c->proj_tile / (c->proj_simd ? lm->target.vl : 1);
                    c->proj_steps = lm->target.size ? 1 : lower_steps_choice(c->proj_vecs, lm->target.accs);
                }
            }
        }
    }

    /* At most: one op per layer-direction, one copy. */
    int tmp_floats[2] = {0, 0};
    lm->ops = arena_alloc(a, sizeof *lm->ops * (size_t)(ncells + m->nlayers + 2));
    plan_ops(lm, tmp_floats);

    /* Threads share the tiles of the large layers of a streaming model. */
    lm->threads = 1;
    for (int k = 0; o->threads > 1 && lm->streaming && k < lm->ncells; k++) {
        LowCell *c = &lm->cells[k];
        if (threaded_cell(c, o->threads) && !c->products_int8) {
            c->threads = o->threads;
            lm->threads = o->threads;
            c->cells_whole = 0;   /* each thread updates its own tiles' cells */
        }
    }

    /* The two directions of a bidirectional layer are independent: with
     * threads, the backward ones run on a second thread (lower_api.c). */
    for (int n = 0; o->threads > 1 && !lm->streaming && n < lm->nlayers; n++)
        lm->direction_threads |= lm->layers[n].ncells == 2;

    /* The input projection of a chunk of steps at once (see chunk_steps),
     * or of as many as the user asked for: --chunk 1 is a step-only model
     * with the least scratch. The gate scratch holds a chunk of steps. */
    /* (without an LSTM layer, nothing gains from chunks: one step) */
    lm->chunk = o->chunk > 0 ? o->chunk : lm->ncells ? chunk_steps(gate_rows) : 1;
    int gates_floats = lm->chunk * gate_rows;
    layout_state(a, lm, gates_floats, m_floats, tmp_floats);
    lower_api(a, lm);
    lm->hash = model_hash(lm);
    return lm;
}
