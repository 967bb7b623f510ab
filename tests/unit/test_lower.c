/*
 * test_lower.c - the lowering (lower.h), pinned where its decisions are
 * made: names, the state struct's layout, scratch sizes, kernel shapes and
 * the control code's addressing, independently of either printer.
 *
 * Models come from spec text through the front end (no weights file: the
 * weights are set to zeros, which the lowering only copies).
 */
#include "testutil.h"

#include "ast.h"
#include "lower.h"
#include "runtime_text.h"
#include "sema.h"

#include <string.h>

/* ---- models ---- */

static float *zeros(Arena *a, long n)
{
    float *v = arena_alloc(a, sizeof(float) * (size_t)(n ? n : 1));
    memset(v, 0, sizeof(float) * (size_t)(n ? n : 1));
    return v;
}

/* The checked IR of spec text, with every weight zero. */
static IrModel *model(Arena *a, const char *text)
{
    Source *src = source_from_string(a, "t.lstm", text);
    IrModel *m = sema_check(a, parse_spec(a, src), "none.safetensors");
    if (!m || diag_errors() != 0)
        fail_msg("expected a valid spec:\n%s", text);
    if (m->embedding)
        m->embedding->embed.table = zeros(a, (long)m->embedding->input * m->embedding->output);
    for (int n = 0; n < m->nlayers; n++) {
        IrLayer *L = &m->layers[n];
        if (L->kind == IR_DENSE) {
            L->dense.w = zeros(a, (long)L->output * L->input);
            continue;
        }
        if (L->kind == IR_GRU || L->kind == IR_RNN) {
            IrGru *g = &L->gru;
            for (int d = 0; d < g->dirs; d++)
                for (int q = L->kind == IR_GRU ? 0 : GRU_N; q < GRU_COUNT; q++)
                    g->dir[d].w[q] = zeros(a, (long)g->hidden * (g->input + g->hidden));
            continue;
        }
        IrLstm *l = &L->lstm;
        for (int d = 0; d < l->dirs; d++)
            for (int g = 0; g < GATE_COUNT; g++)
                if (ir_gate_has_weights(l, (Gate)g))
                    l->dir[d].w[g] = zeros(a, (long)ir_gate_rows(l, (Gate)g) * (l->input + l->recurrent));
        for (int d = 0; d < l->dirs && l->proj; d++)
            l->dir[d].w_proj = zeros(a, (long)l->proj * l->hidden);
    }
    return m;
}

static LowModel *lower(Arena *a, const char *text, const LowerOptions *o)
{
    LowerOptions plain = {NULL, 1, 1, NULL, 0};
    return lower_model(a, model(a, text), o ? o : &plain);
}

/* ---- expressions as text (a printer of the test's own) ---- */

static const char *expr_text(Arena *a, const LowExpr *e)
{
    static const char *const ops[] = {"", "", "+", "-", "*", "min", "%"};
    switch (e->kind) {
    case LX_CONST: return e->name ? e->name : arena_printf(a, "%ld", e->value);
    case LX_VAR:   return e->name;
    default:       return arena_printf(a, "(%s %s %s)", expr_text(a, e->a), ops[e->kind], expr_text(a, e->b));
    }
}

static const char *ptr_text(Arena *a, const LowModel *lm, const LowPtr *p)
{
    const char *base = p->kind == LP_NULL ? "NULL" : p->kind == LP_ARRAY ? p->array->name
                     : p->kind == LP_VAR ? p->var
                     : arena_printf(a, "%s[%s].%s", p->var, p->elem ? expr_text(a, p->elem) : "0",
                                    lm->fields[p->field].name);
    return p->offset ? arena_printf(a, "%s+%s", base, expr_text(a, p->offset)) : base;
}

static const char *arg_text(Arena *a, const LowModel *lm, const LowArg *g)
{
    return g->is_ptr ? ptr_text(a, lm, &g->ptr) : expr_text(a, g->expr);
}

/* The first statement of kind in b or its loops, depth first. */
static const LowStmt *find(const LowBlock *b, LowStmtKind kind, const char *var)
{
    for (int k = 0; k < b->n; k++) {
        const LowStmt *s = &b->s[k];
        if (s->kind == kind && (!var || (s->var && strcmp(s->var, var) == 0)))
            return s;
        if (s->body) {
            const LowStmt *t = find(s->body, kind, var);
            if (t)
                return t;
        }
    }
    return NULL;
}

static const LowStmt *find_call(const LowBlock *b, LowCalleeKind callee)
{
    for (int k = 0; k < b->n; k++) {
        const LowStmt *s = &b->s[k];
        if (s->kind == LS_CALL && s->callee == callee)
            return s;
        if (s->body) {
            const LowStmt *t = find_call(s->body, callee);
            if (t)
                return t;
        }
    }
    return NULL;
}

/* ---- names ---- */

static void test_names(void **state)
{
    (void)state;
    Arena a = {0};
    LowModel *lm = lower(&a,
                         "model my_model { input 3;\n"
                         "  lstm enc { hidden 4; layers 2; from native \"w\"; }\n"
                         "  lstm enc_l1 { hidden 4; direction bidirectional; from native \"w\"; }\n"
                         "  dense head { units 2; from native \"w\"; }\n"
                         "  output last; }\n",
                         NULL);
    assert_string_equal(lm->name, "my_model");
    assert_string_equal(lm->macro, "MY_MODEL");
    assert_int_equal(lm->ncells, 4);
    /* "enc.l1" and a layer called "enc_l1" both want "enc_l1": two names,
     * each after the model's prefix */
    assert_string_equal(lm->cells[0].id, "my_model_enc_l0");
    assert_string_equal(lm->cells[1].id, "my_model_enc_l1");
    assert_string_equal(lm->cells[2].id, "my_model_enc_l1_2");
    assert_string_equal(lm->cells[3].id, "my_model_enc_l1_2_reverse");
    assert_string_equal(lm->cells[3].local, "enc_l1_2_reverse");
    assert_string_equal(lm->cells[3].macro, "MY_MODEL_ENC_L1_2_REVERSE");
    assert_string_equal(lm->cells[3].title, "lstm enc_l1, backward");
    assert_string_equal(lm->layers[3].dense.id, "my_model_head");
    assert_string_equal(lm->cells[1].w_x.name, "my_model_enc_l1_w_x");
    assert_string_equal(lm->fields[lm->cells[1].h_field].name, "enc_l1_h");
    assert_string_equal(lm->run.name, "my_model_run");
    assert_string_equal(lm->cell_run[2].name, "my_model_enc_l1_2_run");
    assert_string_equal(lower_identifier(&a, "my-model"), "my_model");
    assert_string_equal(lower_identifier(&a, "3d"), "m3d");

    LowerOptions o = {"net", 1, 1, NULL, 0};
    lm = lower(&a, "model m { input 1; lstm l { hidden 2; from native \"w\"; } }", &o);
    assert_string_equal(lm->name, "net");
    assert_string_equal(lm->reset.name, "net_reset");
    assert_string_equal(lm->cell_run[0].name, "net_l_run");

    /* a layer named like the model; a layer named "run", whose batch
     * function would be the API's NAME_run_batch */
    lm = lower(&a, "model lstm { input 1; lstm lstm { hidden 2; from native \"w\"; }\n"
                   "  lstm run { hidden 2; from native \"w\"; } }", NULL);
    assert_string_equal(lm->cell_run[0].name, "lstm_lstm_run");
    assert_string_equal(lm->cells[1].id, "lstm_run_2");
    assert_string_equal(lm->cell_batch[1].name, "lstm_run_2_batch");
    assert_string_equal(lm->run_batch.name, "lstm_run_batch");
    arena_free(&a);
}

/* ---- the state struct ---- */

static void test_state_layout_streaming(void **state)
{
    (void)state;
    Arena a = {0};
    /* gate rows: 4 x 32 and 4 x 16; a dense head after the last step */
    LowModel *lm = lower(&a,
                         "model m { input 5;\n"
                         "  lstm a { hidden 32; from native \"w\"; } lstm b { hidden 16; from native \"w\"; }\n"
                         "  dense d1 { units 7; from native \"w\"; } dense d2 { units 3; from native \"w\"; }\n"
                         "  output last; }\n",
                         NULL);
    assert_true(lm->streaming);
    /* chunk: at most 32 steps, while chunk x 128 rows <= 32768 floats */
    assert_int_equal(lm->chunk, 32);
    /* rows between a and b; b's rows are not kept (the head reads its h) */
    static const char *const names[] = {"a_h", "a_c", "b_h", "b_c", "gates", "m", "seq0", "tmp0"};
    static const int floats[] = {32, 32, 16, 16, 32 * 128, 32, 32 * 32, 7};
    assert_int_equal(lm->nfields, 8);
    long at = 0;
    for (int k = 0; k < lm->nfields; k++) {
        assert_string_equal(lm->fields[k].name, names[k]);
        assert_int_equal(lm->fields[k].floats, floats[k]);
        assert_int_equal(lm->fields[k].offset, at);
        at += floats[k];
    }
    assert_int_equal(lm->state_bytes, 4 * at);
    assert_int_equal(lm->fields[lm->cells[1].h_field].offset, 64);
    assert_int_equal(lm->gates_field, 4);
    assert_int_equal(lm->m_field, 5);
    assert_int_equal(lm->seq_width, 32);
    arena_free(&a);
}

static void test_state_layout_sequence(void **state)
{
    (void)state;
    Arena a = {0};
    /* rows between layers in the caller's scratch */
    LowModel *lm = lower(&a,
                         "model m { input 2;\n"
                         "  lstm a { hidden 512; direction bidirectional; from native \"w\"; }\n"
                         "  lstm b { hidden 6; block_size 3; from native \"w\"; }\n"
                         "  output sequence; }\n",
                         NULL);
    assert_false(lm->streaming);
    /* 2048 gate rows: 16 steps per chunk keep the scratch at 32768 floats */
    assert_int_equal(lm->chunk, 16);
    assert_int_equal(lm->nseq, 1);
    assert_int_equal(lm->seq_width, 1024);
    assert_int_equal(lm->seq_field[0], -1);
    assert_int_equal(lm->nfields, 8);   /* h, c of three cells, gates, m */
    assert_string_equal(lm->fields[6].name, "gates");
    assert_int_equal(lm->fields[6].floats, 16 * 2048);
    assert_int_equal(lm->fields[7].floats, 512);
    /* blocks of 3 cells: one tile of both blocks, 2 + 2 + 6 + 2 rows and 4
     * of padding */
    assert_int_equal(lm->cells[2].gate_rows, 16);
    assert_int_equal(lm->cells[2].tile_pad, 4);
    arena_free(&a);
}

/* dense layers only: no state, but C has no empty struct */
static void test_state_dense_only(void **state)
{
    (void)state;
    Arena a = {0};
    LowModel *lm = lower(&a, "model m { input 3; dense d { units 2; from native \"w\"; } }", NULL);
    assert_int_equal(lm->nfields, 1);
    assert_int_equal(lm->fields[0].kind, FIELD_EMPTY);
    assert_int_equal(lm->state_bytes, 4);
    /* run_batch sets up no state pointer that nothing reads */
    const LowBlock *groups = lm->run_batch.body.s[lm->run_batch.body.n - 1].body;
    for (int k = 0; k < groups->n; k++)
        assert_int_not_equal(groups->s[k].kind, LS_LET_STATE);
    arena_free(&a);
}

/* ---- kernel shapes ---- */

static void test_tiles_and_steps(void **state)
{
    (void)state;
    Arena a = {0};
    const char *spec = "model m { input 3; lstm a { hidden 48; from native \"w\"; } lstm b { hidden 6; from native \"w\"; } }";
    LowModel *lm = lower(&a, spec, NULL);
    const LowCell *c = &lm->cells[0];
    assert_int_equal(c->tile, 16);
    assert_int_equal(c->tile_blocks, 16);
    assert_int_equal(c->tile_pad, 0);
    assert_int_equal(c->tiles, 3);
    assert_int_equal(c->tile_rows, 64);
    assert_int_equal(c->tile_off[GATE_O], 48);
    assert_true(c->simd);
    assert_int_equal(c->steps_per_pass, 0);      /* the portable C decides */
    assert_int_equal(lm->cells[1].tile, 2);
    assert_false(lm->cells[1].simd);

    /* AVX-512: 4 vectors a tile, 16 accumulators: 4 steps a pass */
    LowTarget avx512 = {1, 16, 16, 1, 1, 0, 0}, avx2 = {1, 8, 8, 1, 1, 0, 0}, plain = {1, 1, 16, 0, 0, 0, 0};
    LowerOptions o = {NULL, 1, 1, &avx512, 0};
    lm = lower(&a, spec, &o);
    assert_int_equal(lm->cells[0].vecs, 4);
    assert_int_equal(lm->cells[0].steps_per_pass, 4);
    o.target = &avx2;
    lm = lower(&a, spec, &o);
    assert_int_equal(lm->cells[0].vecs, 8);
    assert_int_equal(lm->cells[0].steps_per_pass, 1);
    /* rows that are no multiple of 16 are plain floats: 8 of them */
    assert_int_equal(lm->cells[1].vecs, 8);
    assert_int_equal(lm->cells[1].steps_per_pass, 1);
    /* no vectors: tiles of one unit, its 4 gate rows in registers with 4
     * steps a pass; for size, one step a pass */
    o.target = &plain;
    lm = lower(&a, spec, &o);
    assert_int_equal(lm->cells[0].tile, 1);
    assert_int_equal(lm->cells[0].tiles, 48);
    assert_int_equal(lm->cells[0].tile_rows, 4);
    assert_int_equal(lm->cells[0].vecs, 4);
    assert_int_equal(lm->cells[0].steps_per_pass, 4);
    plain.size = 1;
    lm = lower(&a, spec, &o);
    assert_int_equal(lm->cells[0].steps_per_pass, 1);
    assert_int_equal(lower_steps_choice(2, 16), 4);
    assert_int_equal(lower_steps_choice(4, 8), 2);
    arena_free(&a);
}

/* The tile of blocks of S > 1 cells (lower.c, block_tile): blocks per
 * tile, rows, padding and each gate's first row, for the benchmark's shapes
 * and the corners. */
typedef struct BlockCase {
    const char *lstm;          /* the lstm block's statements */
    int tile_blocks, tile_rows, tile_pad, simd;
    int off[GATE_COUNT];
} BlockCase;

static void test_block_tiles(void **state)
{
    (void)state;
    static const BlockCase cases[] = {
        /* i, f, o: (vectors + 1) / rows least */
        {"hidden 512; block_size 2;", 16, 80, 0, 1, {0, 16, 32, 64}},
        {"hidden 512; block_size 4;", 16, 112, 0, 1, {0, 16, 32, 96}},
        {"hidden 512; block_size 8;", 8, 96, 8, 1, {0, 8, 16, 80}},
        {"hidden 128; block_size 8;", 8, 96, 8, 1, {0, 8, 16, 80}},
        {"hidden 512; block_size 16;", 4, 80, 4, 1, {0, 4, 8, 72}},
        /* no forget gate (1997), and coupled: two gates of their own */
        {"hidden 512; block_size 2; gates input output;", 16, 64, 0, 1, {0, -1, 16, 48}},
        {"hidden 512; block_size 4; gates input output;", 16, 96, 0, 1, {0, -1, 16, 80}},
        {"hidden 512; block_size 8; gates input output;", 8, 80, 0, 1, {0, -1, 8, 72}},
        {"hidden 128; block_size 8; coupled;", 8, 80, 0, 1, {0, -1, 8, 72}},
        /* an input gate alone */
        {"hidden 64; block_size 4; gates input;", 16, 80, 0, 1, {0, -1, 16, -1}},
        /* a tile of 2 blocks of 3 would be 12 rows and 4 of padding: a
         * quarter, still padded */
        {"hidden 6; block_size 3;", 2, 16, 4, 1, {0, 2, 4, 10}},
        /* 2 blocks of 2: 10 rows, 6 of padding would be more: plain floats */
        {"hidden 4; block_size 2;", 2, 10, 0, 0, {0, 2, 4, 8}},
        /* odd blocks: tiles of one */
        {"hidden 12; blocks 3;", 1, 7, 0, 0, {0, 1, 2, 6}},
    };
    Arena a = {0};
    for (size_t k = 0; k < COUNT_OF(cases); k++) {
        const BlockCase *bc = &cases[k];
        LowModel *lm = lower(&a, arena_printf(&a, "model m { input 3; lstm l { %s from native \"w\"; } }", bc->lstm),
                             NULL);
        const LowCell *c = &lm->cells[0];
        print_message("%s\n", bc->lstm);
        assert_int_equal(c->tile_blocks, bc->tile_blocks);
        assert_int_equal(c->tile, bc->tile_blocks * c->block_size);
        assert_int_equal(c->tiles, c->hidden / c->tile);
        assert_int_equal(c->tile_rows, bc->tile_rows);
        assert_int_equal(c->tile_pad, bc->tile_pad);
        assert_int_equal(c->simd, bc->simd);
        assert_int_equal(c->gate_rows, c->tiles * c->tile_rows);
        for (int g = 0; g < GATE_COUNT; g++)
            assert_int_equal(c->tile_off[g], bc->off[g]);
    }
    /* a target without vectors: one block per tile, not padded */
    LowTarget plain = {1, 1, 16, 0, 0, 0, 0};
    LowerOptions o = {NULL, 1, 1, &plain, 0};
    const LowCell *c = &lower(&a, "model m { input 3; lstm l { hidden 512; block_size 8; from native \"w\"; } }",
                              &o)->cells[0];
    assert_int_equal(c->tile_blocks, 1);
    assert_int_equal(c->tile_rows, 11);
    assert_int_equal(c->tile_pad, 0);
    assert_int_equal(c->vecs, 11);
    arena_free(&a);
}

/* The packing of a tile of blocks: tile row tile_off[q] + v of tile t is
 * row t*n + v of gate q (n: the tile's blocks, or cells for g), column k
 * of w_x and w_h the input's and h's; the padding rows are zeros. */
static void test_block_packing(void **state)
{
    (void)state;
    Arena a = {0};
    /* 16 blocks of 8: 2 tiles of 8 blocks, 88 rows and 8 of padding */
    IrModel *m = model(&a, "model m { input 3; lstm l { hidden 128; block_size 8; from native \"w\"; } }");
    IrLstm *l = &m->layers[0].lstm;
    int K = l->input + l->recurrent;
    for (int g = 0; g < GATE_COUNT; g++) {
        int rows = ir_gate_rows(l, (Gate)g);
        l->dir[0].b[g] = zeros(&a, rows);
        for (int r = 0; r < rows; r++) {
            l->dir[0].b[g][r] = (float)(1000 * g + r);
            for (int k = 0; k < K; k++)
                l->dir[0].w[g][r * K + k] = (float)(100000 * g + 100 * r + k);
        }
    }
    LowerOptions plain = {NULL, 1, 1, NULL, 0};
    const LowCell *c = &lower_model(&a, m, &plain)->cells[0];
    assert_int_equal(c->tiles, 2);
    assert_int_equal(c->tile_rows, 96);
    const float *wx = c->w_x.data, *wh = c->w_h.data, *b = c->b_tiled.data;
    assert_int_equal(c->w_x.planes, 2);
    assert_int_equal(c->w_x.rows, 3);
    assert_int_equal(c->w_x.cols, 96);
    assert_int_equal(c->w_h.rows, 128);
    for (int t = 0; t < 2; t++)
        for (int q = 0; q < 96; q++) {
            /* which gate row tile row q of tile t holds; -1: padding */
            int g = q < 8 ? GATE_I : q < 16 ? GATE_F : q < 80 ? GATE_G : q < 88 ? GATE_O : -1;
            int r = g < 0 ? -1 : g == GATE_G ? t * 64 + q - 16 : t * 8 + q - c->tile_off[g];
            float want_b = g < 0 ? 0.0f : (float)(1000 * g + r);
            assert_true(b[t * 96 + q] == want_b);
            for (int k = 0; k < 3; k++)
                assert_true(wx[(t * 3 + k) * 96 + q] == (g < 0 ? 0.0f : (float)(100000 * g + 100 * r + k)));
            for (int k = 0; k < 128; k += 37)
                assert_true(wh[(t * 128 + k) * 96 + q] == (g < 0 ? 0.0f : (float)(100000 * g + 100 * r + 3 + k)));
        }
    arena_free(&a);
}

/* The projection's tiles (lower.c, proj_tile_width), its packing (tile row
 * v of tile t, column j: w_proj[t * proj_tile + v][j]) and its batched
 * form in ID_batch. */
static void test_projection_tiles(void **state)
{
    (void)state;
    static const struct { int P, tile; } cases[] = {
        {128, 64}, {96, 96}, {80, 80}, {48, 48}, {16, 16}, {256, 64}, {24, 8}, {6, 2}, {3, 1},
    };
    Arena a = {0};
    for (size_t k = 0; k < COUNT_OF(cases); k++) {
        LowModel *lm = lower(&a, arena_printf(&a, "model m { input 3; lstm l { hidden 32; projection %d; "
                                                  "from native \"w\"; } }", cases[k].P), NULL);
        const LowCell *c = &lm->cells[0];
        assert_int_equal(c->proj_tile, cases[k].tile);
        assert_int_equal(c->proj_tiles, cases[k].P / cases[k].tile);
        assert_int_equal(c->proj_simd, cases[k].tile % 16 == 0);
        assert_int_equal(c->w_proj.planes, c->proj_tiles);
        assert_int_equal(c->w_proj.rows, 32);
        assert_int_equal(c->w_proj.cols, c->proj_tile);
    }
    /* AVX-512: 4 vectors a tile, 4 sets; no vectors: tiles of at most 8 */
    LowTarget avx512 = {1, 16, 16, 1, 1, 0, 0}, plain = {1, 1, 16, 0, 0, 0, 0};
    LowerOptions o = {NULL, 1, 1, &avx512, 0};
    const char *spec = "model m { input 3; lstm l { hidden 32; projection 128; from native \"w\"; } }";
    const LowCell *c = &lower(&a, spec, &o)->cells[0];
    assert_int_equal(c->proj_vecs, 4);
    assert_int_equal(c->proj_steps, 4);
    o.target = &plain;
    c = &lower(&a, spec, &o)->cells[0];
    assert_int_equal(c->proj_tile, 8);
    assert_int_equal(c->proj_vecs, 8);
    assert_int_equal(c->proj_steps, 2);

    IrModel *m = model(&a, "model m { input 3; lstm l { hidden 32; projection 128; from native \"w\"; } }");
    float *w = m->layers[0].lstm.dir[0].w_proj;
    for (int p = 0; p < 128; p++)
        for (int j = 0; j < 32; j++)
            w[p * 32 + j] = (float)(100 * p + j);
    LowerOptions plain_c = {NULL, 1, 1, NULL, 0};
    LowModel *lm = lower_model(&a, m, &plain_c);
    c = &lm->cells[0];
    for (int t = 0; t < 2; t++)
        for (int j = 0; j < 32; j++)
            for (int v = 0; v < 64; v++)
                assert_true(c->w_proj.data[(t * 32 + j) * 64 + v] == (float)(100 * (t * 64 + v) + j));
    /* ID_batch: one batched projection of every sequence, then the rows */
    const LowStmt *s = find_call(&lm->cell_batch[0].body, CALLEE_CELL_BATCH_PROJECTION);
    assert_non_null(s);
    assert_string_equal(arg_text(&a, lm, &s->args[0]), "nb");
    assert_string_equal(arg_text(&a, lm, &s->args[1]), "s");
    assert_null(find_call(&lm->cell_batch[0].body, CALLEE_CELL_PROJECTION));
    arena_free(&a);
}

/* ---- control code ---- */

static void test_cell_run_backward(void **state)
{
    (void)state;
    Arena a = {0};
    LowModel *lm = lower(&a, "model m { input 3; lstm l { hidden 16; direction bidirectional; from native \"w\"; } }", NULL);
    const LowFunc *f = &lm->cell_run[1];
    assert_string_equal(f->name, "m_l_reverse_run");
    assert_string_equal(expr_text(&a, find(&f->body, LS_LET, "cn")->expr), "((n - t0) min M_CHUNK)");
    /* chunks from the end, rows from each chunk's last */
    assert_string_equal(expr_text(&a, find(&f->body, LS_LET, "base")->expr), "((n - t0) - cn)");
    assert_string_equal(expr_text(&a, find(&f->body, LS_LET, "r")->expr), "((cn - 1) - u)");
    const LowStmt *s = find_call(&f->body, CALLEE_CELL_PROJECT);
    assert_string_equal(arg_text(&a, lm, &s->args[0]), "x+(base * M_L_REVERSE_INPUT)");
    s = find(&f->body, LS_COPY, NULL);
    assert_string_equal(ptr_text(&a, lm, &s->dst), "out+((base + r) * out_stride)");
    assert_string_equal(expr_text(&a, s->n), "M_L_REVERSE_HIDDEN");

    /* the model's run: each direction writes its columns of the rows */
    const LowStmt *run0 = NULL, *run1 = NULL;
    for (int k = 0; k < lm->run_from.body.n; k++) {
        const LowStmt *t = &lm->run_from.body.s[k];
        if (t->kind == LS_CALL && t->callee == CALLEE_CELL_RUN)
            *(t->index ? &run1 : &run0) = t;
    }
    assert_non_null(run0);
    assert_non_null(run1);
    assert_string_equal(arg_text(&a, lm, &run1->args[0]), "x");
    assert_string_equal(arg_text(&a, lm, &run1->args[1]), "steps");
    assert_string_equal(arg_text(&a, lm, &run1->args[2]), "y+16");
    assert_string_equal(arg_text(&a, lm, &run1->args[3]), "32");
    assert_string_equal(arg_text(&a, lm, &run1->args[4]), "s[0].l_reverse_h");
    assert_string_equal(arg_text(&a, lm, &run0->args[2]), "y");
    arena_free(&a);
}

static void test_streaming_api(void **state)
{
    (void)state;
    Arena a = {0};
    LowModel *lm = lower(&a,
                         "model m { input 3; lstm l { hidden 16; from native \"w\"; }\n"
                         "  lstm l2 { hidden 16; from native \"w\"; } dense d { units 2; from native \"w\"; }\n"
                         "  output last; }",
                         NULL);
    /* one thread: each cell gets NAME_step's fused kernel */
    assert_true(lm->cells[0].step_kernel && lm->cells[1].step_kernel);
    /* NAME_run: the LSTMs over the chunk's rows, the head on the last row,
     * which is l2's h: l2 keeps no rows */
    const LowStmt *s = find_call(&lm->run.body, CALLEE_CELL_RUN);
    assert_string_equal(arg_text(&a, lm, &s->args[0]), "x+(t0 * M_INPUT_SIZE)");
    assert_string_equal(arg_text(&a, lm, &s->args[1]), "n");
    assert_string_equal(arg_text(&a, lm, &s->args[2]), "s[0].seq0");
    assert_string_equal(arg_text(&a, lm, &s->args[7]), "s[0].m");
    assert_true(lm->cells[0].rows_out);
    assert_false(lm->cells[1].rows_out);
    const LowBlock *chunk = lm->run.body.s[1].body;
    assert_string_equal(arg_text(&a, lm, &chunk->s[2].args[0]), "s[0].seq0");
    assert_string_equal(arg_text(&a, lm, &chunk->s[2].args[2]), "NULL");
    assert_null(find(&lm->run.body, LS_LET, "last"));
    s = find_call(&lm->run.body, CALLEE_DENSE);
    assert_string_equal(arg_text(&a, lm, &s->args[0]), "s[0].l2_h");
    assert_string_equal(arg_text(&a, lm, &s->args[1]), "y");
    /* NAME_step: NAME_run's ops on one row, each LSTM through its fused
     * step kernel (no pre rows), l's h copied to the row l2 reads; the head
     * on l2's h */
    assert_null(find_call(&lm->step.body, CALLEE_MODEL_RUN));
    assert_null(find_call(&lm->step.body, CALLEE_CELL_RUN));
    const LowBlock *sb = &lm->step.body;
    assert_int_equal(sb->n, 4);
    assert_int_equal(sb->s[0].callee, CALLEE_CELL_STEP);
    assert_int_equal(sb->s[0].index, 0);
    assert_string_equal(arg_text(&a, lm, &sb->s[0].args[0]), "x");
    assert_string_equal(arg_text(&a, lm, &sb->s[0].args[1]), "s[0].l_h");
    assert_string_equal(arg_text(&a, lm, &sb->s[0].args[3]), "s[0].m");
    assert_int_equal(sb->s[1].kind, LS_COPY);
    assert_string_equal(ptr_text(&a, lm, &sb->s[1].dst), "s[0].seq0");
    assert_string_equal(ptr_text(&a, lm, &sb->s[1].src), "s[0].l_h");
    assert_int_equal(sb->s[2].callee, CALLEE_CELL_STEP);
    assert_int_equal(sb->s[2].index, 1);
    assert_string_equal(arg_text(&a, lm, &sb->s[2].args[0]), "s[0].seq0");
    assert_int_equal(sb->s[3].callee, CALLEE_DENSE);
    assert_string_equal(arg_text(&a, lm, &sb->s[3].args[0]), "s[0].l2_h");
    assert_string_equal(arg_text(&a, lm, &sb->s[3].args[1]), "y");
    /* NAME_run_batch: rows are the group's sequences of step t */
    s = find_call(&lm->run_batch.body, CALLEE_CELL_BATCH);
    assert_string_equal(arg_text(&a, lm, &s->args[0]), "x+(((t * batch) + b0) * M_INPUT_SIZE)");
    assert_string_equal(arg_text(&a, lm, &s->args[1]), "nb");
    s = find_call(&lm->run_batch.body, CALLEE_DENSE);
    assert_string_equal(arg_text(&a, lm, &s->args[0]), "s[b].l2_h");
    assert_string_equal(arg_text(&a, lm, &s->args[1]), "y+((b0 + b) * 2)");
    /* ID_batch: the input projection of every sequence into s[0]'s scratch */
    s = find_call(&lm->cell_batch[0].body, CALLEE_CELL_PROJECT);
    assert_string_equal(arg_text(&a, lm, &s->args[2]), "s[0].gates");
    s = find(&lm->cell_batch[0].body, LS_COPY, NULL);
    assert_string_equal(ptr_text(&a, lm, &s->dst), "s[b].l_h");
    assert_string_equal(ptr_text(&a, lm, &s->src), "s[b].m");

    /* --chunk 1 (the least RAM) or a target that asks for size: no second
     * kernel; NAME_step runs the chunk kernel on its one row */
    const char *one = "model m { input 3; lstm l { hidden 16; from native \"w\"; } output last; }";
    LowerOptions chunk1 = {NULL, 1, 1, NULL, 1};
    LowTarget small = {1, 4, 4, 0, 0, 1, 0};
    LowerOptions sized = {NULL, 1, 1, &small, 0};
    for (int k = 0; k < 2; k++) {
        lm = lower(&a, one, k ? &sized : &chunk1);
        assert_false(lm->cells[0].step_kernel);
        assert_null(find_call(&lm->step.body, CALLEE_CELL_STEP));
        assert_non_null(find_call(&lm->step.body, CALLEE_CELL_RUN));
    }

    /* the last step of the only LSTM layer, for a copy: its h */
    lm = lower(&a, one, NULL);
    s = find(&lm->run.body, LS_COPY, NULL);
    assert_string_equal(ptr_text(&a, lm, &s->src), "s[0].l_h");
    assert_int_equal(lm->nseq, 0);
    arena_free(&a);
}

/* --threads 2 on a bidirectional model: one thread per call, started with
 * the first layer's backward direction (with its own scratch), handed the
 * next layer's after the wait for the first; each forward direction run
 * here between the handover and the wait (the join after the last). */
static void test_direction_threads(void **state)
{
    (void)state;
    Arena a = {0};
    const char *text = "model m { input 3; lstm l { hidden 16; layers 3; direction bidirectional;\n"
                       "  from native \"w\"; } output sequence; }";
    LowerOptions two = {NULL, 1, 2, NULL, 0};
    LowModel *lm = lower(&a, text, &two);
    assert_true(lm->direction_threads);
    assert_string_equal(lm->fields[lm->gates_b_field].name, "gates_b");
    assert_string_equal(lm->fields[lm->m_b_field].name, "m_b");
    assert_int_equal(lm->fields[lm->gates_b_field].floats, lm->fields[lm->gates_field].floats);
    /* the second thread's fields between two pads of a cache line, the
     * first thread's outside them */
    long pad0 = -1, pad1 = -1;
    for (int k = 0; k < lm->nfields; k++)
        if (lm->fields[k].kind == FIELD_PAD) {
            assert_int_equal(lm->fields[k].floats, 16);
            *(pad0 < 0 ? &pad0 : &pad1) = lm->fields[k].offset;
        }
    assert_true(pad0 >= 0 && pad1 > pad0);
    for (int k = 0; k < lm->nfields; k++) {
        const LowField *f = &lm->fields[k];
        int second = k == lm->gates_b_field || k == lm->m_b_field ||
                     ((f->kind == FIELD_H || f->kind == FIELD_C) && lm->cells[f->cell].reverse);
        if (f->kind != FIELD_PAD)
            assert_int_equal(second, f->offset > pad0 && f->offset + f->floats <= pad1);
    }
    const LowBlock *b = &lm->run_from.body;   /* NAME_run: reset, then run_from_state */
    const LowStmtKind handed[3] = {LS_SPAWN, LS_POST, LS_POST}, waited[3] = {LS_WAIT, LS_WAIT, LS_JOIN};
    int layer = 0;
    for (int k = 0; k < b->n; k++) {
        const LowStmt *s = &b->s[k];
        if (s->kind != LS_SPAWN && s->kind != LS_POST)
            continue;
        assert_true(layer < 3);
        assert_int_equal(s->kind, handed[layer]);
        assert_int_equal(s->callee, CALLEE_CELL_RUN);
        assert_true(lm->cells[s->index].reverse);
        assert_int_equal(s->index, 2 * layer + 1);   /* cells: l0 forward, l0 backward, l1 ... */
        assert_string_equal(arg_text(&a, lm, &s->args[6]), "s[0].gates_b");
        assert_string_equal(arg_text(&a, lm, &s->args[7]), "s[0].m_b");
        /* then the forward direction, with the shared scratch, then the wait */
        assert_int_equal(s[1].kind, LS_CALL);
        assert_int_equal(s[1].callee, CALLEE_CELL_RUN);
        assert_false(lm->cells[s[1].index].reverse);
        assert_string_equal(arg_text(&a, lm, &s[1].args[6]), "s[0].gates");
        assert_int_equal(s[2].kind, waited[layer]);
        assert_string_equal(s[2].var, s->var);
        layer++;
    }
    assert_int_equal(layer, 3);
    assert_int_not_equal(lm->hash, lower(&a, text, NULL)->hash);
    /* one thread: no spawn, no second scratch */
    lm = lower(&a, text, NULL);
    assert_false(lm->direction_threads);
    assert_int_equal(lm->gates_b_field, -1);
    for (int k = 0; k < lm->nfields; k++)
        assert_int_not_equal(lm->fields[k].kind, FIELD_PAD);
    assert_null(find(&lm->run_from.body, LS_SPAWN, NULL));
    arena_free(&a);
}

static void test_sequence_api(void **state)
{
    (void)state;
    Arena a = {0};
    LowModel *lm = lower(&a,
                         "model m { input 3;\n"
                         "  lstm a { hidden 4; direction bidirectional; from native \"w\"; } lstm b { hidden 2; from native \"w\"; }\n"
                         "  dense d { units 2; from native \"w\"; } output last; }\n",
                         NULL);
    assert_false(lm->cells[0].step_kernel);   /* no NAME_step: no step kernel */
    /* NAME_run resets first, then NAME_run_from_state; the rows between layers in the caller's scratch */
    assert_int_equal(lm->run.body.s[0].kind, LS_RETURN_IF_ZERO);
    assert_int_equal(lm->run.body.s[1].callee, CALLEE_MODEL_RESET);
    assert_int_equal(lm->nseq, 2);
    const LowStmt *s = find_call(&lm->run_from.body, CALLEE_DENSE);
    assert_string_equal(arg_text(&a, lm, &s->args[0]), "scratch+((steps * 8) + ((steps - 1) * 2))");
    arena_free(&a);
}

/* Output final with a backward direction: each cell's h after its run
 * (the layer writes no rows), then the head once on that vector. */
static void test_pool_final(void **state)
{
    (void)state;
    Arena a = {0};
    LowModel *lm = lower(&a,
                         "model m { input 3;\n"
                         "  lstm a { hidden 4; direction bidirectional; from native \"w\"; }\n"
                         "  dense d { units 2; activation log_softmax; from native \"w\"; } output final; }\n",
                         NULL);
    assert_false(lm->streaming);
    assert_true(lm->pooled);
    assert_int_equal(lm->ops[2].kind, OP_POOL);
    assert_int_equal(lm->ops[2].out.kind, BUF_TMP);
    assert_int_equal(lm->ops[3].kind, OP_DENSE_LAST);
    assert_int_equal(lm->ops[3].in.kind, BUF_TMP);
    const LowStmt *fwd = NULL, *bwd = NULL;
    for (int k = 0; k < lm->run_from.body.n; k++)
        if (lm->run_from.body.s[k].kind == LS_COPY)
            *(fwd ? &bwd : &fwd) = &lm->run_from.body.s[k];
    assert_non_null(bwd);
    assert_string_equal(ptr_text(&a, lm, &fwd->src), "s[0].a_h");
    assert_string_equal(ptr_text(&a, lm, &fwd->dst), "s[0].tmp0");
    assert_string_equal(ptr_text(&a, lm, &bwd->src), "s[0].a_reverse_h");
    assert_string_equal(ptr_text(&a, lm, &bwd->dst), "s[0].tmp0+4");
    assert_false(lm->cells[0].rows_out);
    assert_false(lm->cells[1].rows_out);
    assert_int_equal(lm->nseq, 0);   /* no rows between layers: no scratch */
    assert_string_equal(lower_vector_act_function(lm->layers[1].dense.act), "rt_log_softmaxf");
    assert_true(lower_needs(lm, "rt_log_softmaxf"));
    assert_false(lower_needs(lm, "rt_softmaxf"));

    /* a forward final is the last step's h: it streams as output last */
    lm = lower(&a, "model m { input 3; lstm a { hidden 4; from native \"w\"; } output final; }", NULL);
    assert_true(lm->streaming);
    assert_false(lm->pooled);
    assert_int_equal(lm->ops[lm->nops - 1].kind, OP_COPY_LAST);
    arena_free(&a);
}

/* Output mean and max: the whole sequence (no step function), the rows of
 * the last LSTM layer (or the input) through the runtime's function, the
 * head once on the result. */
static void test_pool_mean_max(void **state)
{
    (void)state;
    Arena a = {0};
    LowModel *lm = lower(&a,
                         "model m { input 3; lstm a { hidden 4; from native \"w\"; }\n"
                         "  dense d { units 2; from native \"w\"; } output mean; }\n",
                         NULL);
    assert_false(lm->streaming);
    assert_true(lm->pooled);
    assert_true(lower_needs(lm, "rt_mean_rowsf"));
    assert_false(lower_needs(lm, "rt_max_rowsf"));
    const LowStmt *s = find_call(&lm->run_from.body, CALLEE_RUNTIME);
    assert_non_null(s);
    assert_string_equal(s->fn, "rt_mean_rowsf");
    assert_int_equal(s->nargs, 4);
    assert_string_equal(arg_text(&a, lm, &s->args[0]), "scratch");
    assert_string_equal(arg_text(&a, lm, &s->args[1]), "steps");
    assert_string_equal(arg_text(&a, lm, &s->args[2]), "4");
    assert_string_equal(arg_text(&a, lm, &s->args[3]), "s[0].tmp0");

    /* no lstm: the input's rows, straight into y */
    lm = lower(&a, "model m { input 3; dense d { units 2; from native \"w\"; } output max; }", NULL);
    assert_false(lm->streaming);
    s = find_call(&lm->run_from.body, CALLEE_RUNTIME);
    assert_string_equal(s->fn, "rt_max_rowsf");
    assert_string_equal(arg_text(&a, lm, &s->args[0]), "x");
    assert_string_equal(arg_text(&a, lm, &s->args[2]), "3");
    s = find_call(&lm->run_from.body, CALLEE_DENSE);
    assert_string_equal(arg_text(&a, lm, &s->args[0]), "s[0].tmp0");
    assert_string_equal(arg_text(&a, lm, &s->args[1]), "y");

    /* the form is part of the model's hash */
    const char *spec = "model m { input 3; lstm a { hidden 4; direction backward; from native \"w\"; } output %s; }";
    assert_true(lower(&a, arena_printf(&a, spec, "last"), NULL)->hash !=
                lower(&a, arena_printf(&a, spec, "final"), NULL)->hash);
    arena_free(&a);
}

/* A model of token ids: the API takes int32_t ids, the first op looks them
 * up (the runtime's rt_embed_rowsf) into rows the first layer reads. */
static void test_embedding(void **state)
{
    (void)state;
    Arena a = {0};
    LowModel *lm = lower(&a,
                         "model m { input tokens; embedding e { vocabulary 100; dim 6; from pytorch \"e\"; }\n"
                         "  lstm l { hidden 16; from native \"w\"; } dense d { units 2; from native \"w\"; } }",
                         NULL);
    assert_true(lm->tokens);
    assert_int_equal(lm->input, 1);
    assert_string_equal(lm->embedding.table.name, "m_e_table");
    assert_int_equal(lower_array_floats(&lm->embedding.table), 600);
    assert_true(lower_needs(lm, "rt_embed_rowsf"));
    assert_int_equal(lm->ops[0].kind, OP_EMBED_ROWS);
    assert_int_equal(lm->ops[0].in.kind, BUF_X);
    assert_int_equal(lm->ops[0].out.kind, BUF_SEQ);
    assert_int_equal(lm->ops[1].in.kind, BUF_SEQ);
    assert_int_equal(lm->ops[1].in_width, 6);
    assert_int_equal(lm->run.params[1].type, LT_CIDP);
    assert_int_equal(lm->step.params[1].type, LT_CIDP);
    assert_int_equal(lm->run_batch.params[2].type, LT_CIDP);
    const LowStmt *s = find_call(&lm->run.body, CALLEE_RUNTIME);
    assert_string_equal(s->fn, "rt_embed_rowsf");
    assert_int_equal(s->nargs, 6);
    assert_string_equal(arg_text(&a, lm, &s->args[0]), "m_e_table");
    assert_string_equal(arg_text(&a, lm, &s->args[1]), "M_VOCABULARY");
    assert_string_equal(arg_text(&a, lm, &s->args[2]), "6");
    assert_string_equal(arg_text(&a, lm, &s->args[3]), "x+t0");
    assert_string_equal(arg_text(&a, lm, &s->args[4]), "n");
    assert_string_equal(arg_text(&a, lm, &s->args[5]), "s[0].seq0");
    s = find_call(&lm->run.body, CALLEE_CELL_RUN);
    assert_string_equal(arg_text(&a, lm, &s->args[0]), "s[0].seq0");
    /* run_batch: the group's ids of step t */
    s = find_call(&lm->run_batch.body, CALLEE_RUNTIME);
    assert_string_equal(arg_text(&a, lm, &s->args[3]), "x+((t * batch) + b0)");
    assert_string_equal(arg_text(&a, lm, &s->args[4]), "nb");
    /* the table is flash, and part of the hash */
    LowModel *other = lower(&a,
                            "model m { input tokens; embedding e { vocabulary 100; dim 6; from pytorch \"e\"; }\n"
                            "  lstm l { hidden 16; from native \"w\"; } dense d { units 2; from native \"w\"; } }",
                            NULL);
    assert_true(other->hash == lm->hash);
    other->ir->embedding->embed.table[7] = 1;
    assert_true(lower_model(&a, other->ir, &(LowerOptions){NULL, 1, 1, NULL, 0})->hash != lm->hash);
    assert_true(lm->flash_bytes >= 4 * 600);

    /* a sequence model: the vectors in the caller's scratch; pooled without
     * a recurrent layer: the vectors themselves */
    lm = lower(&a, "model m { input tokens; embedding e { vocabulary 9; dim 3; from keras \"e\"; }\n"
                   "  dense d { units 2; from native \"w\"; } output mean; }", NULL);
    assert_false(lm->streaming);
    assert_int_equal(lm->ops[0].kind, OP_EMBED_ROWS);
    s = find_call(&lm->run_from.body, CALLEE_RUNTIME);   /* NAME_run: reset, then run_from_state */
    assert_non_null(s);
    assert_string_equal(s->fn, "rt_embed_rowsf");
    assert_string_equal(arg_text(&a, lm, &s->args[5]), "scratch");
    assert_int_equal(lm->ops[1].kind, OP_POOL);
    assert_int_equal(lm->ops[1].in.kind, BUF_SEQ);
    arena_free(&a);
}

/* The model hash: the same for the same model whatever the target, and
 * another for another weight, name, chunk or activation mode. */
static void test_model_hash(void **state)
{
    (void)state;
    Arena a = {0};
    const char *spec = "model m { input 3; lstm a { hidden 48; from native \"w\"; } }";
    LowTarget avx512 = {.known = 1, .vl = 16, .accs = 16, .fma = 1, .act_fma = 1, .size = 0};
    LowerOptions o = {NULL, 1, 1, &avx512, 0};
    uint64_t h = lower(&a, spec, NULL)->hash;
    assert_true(lower(&a, spec, NULL)->hash == h);
    assert_true(lower(&a, spec, &o)->hash == h);
    IrModel *m = model(&a, spec);
    m->layers[0].lstm.dir[0].w[GATE_G][7] = 0.5f;
    LowerOptions plain = {NULL, 1, 1, NULL, 0};
    assert_true(lower_model(&a, m, &plain)->hash != h);
    LowerOptions named = {"other", 1, 1, NULL, 0}, chunk = {NULL, 1, 1, NULL, 3}, exact = {NULL, 0, 1, NULL, 0};
    assert_true(lower(&a, spec, &named)->hash != h);
    assert_true(lower(&a, spec, &chunk)->hash != h);
    assert_true(lower(&a, spec, &exact)->hash != h);
    arena_free(&a);
}

static void test_reset_initial_state(void **state)
{
    (void)state;
    Arena a = {0};
    IrModel *m = model(&a, "model m { input 1; lstm l { hidden 3; initial_state; from native \"w\"; } }");
    m->layers[0].lstm.dir[0].h0 = zeros(&a, 3);
    LowerOptions o = {NULL, 1, 1, NULL, 0};
    LowModel *lm = lower_model(&a, m, &o);
    assert_true(lm->initial_state);
    assert_int_equal(lm->reset.body.n, 2);
    assert_int_equal(lm->reset.body.s[0].kind, LS_ZERO_STATE);
    assert_string_equal(expr_text(&a, lm->reset.body.s[0].n), "6");   /* h and c, not the scratch */
    assert_string_equal(lm->fields[lm->reset.body.s[0].index].name, "gates");
    const LowStmt *s = &lm->reset.body.s[1];
    assert_int_equal(s->kind, LS_COPY);
    assert_string_equal(ptr_text(&a, lm, &s->dst), "s[0].l_h");
    assert_string_equal(ptr_text(&a, lm, &s->src), "m_l_h0");
    arena_free(&a);
}

/* The copies of a set or get state function, as "dst <- src (n)" lines. */
static const char *copies_text(Arena *a, const LowModel *lm, const LowFunc *f)
{
    const char *t = "";
    for (int k = 0; k < f->body.n; k++) {
        const LowStmt *s = &f->body.s[k];
        assert_int_equal(s->kind, LS_COPY);
        t = arena_printf(a, "%s%s <- %s (%s)\n", t, ptr_text(a, lm, &s->dst), ptr_text(a, lm, &s->src),
                         expr_text(a, s->n));
    }
    return t;
}

/* NAME_set_state and NAME_get_state: PyTorch's h_n and c_n order (layer by
 * layer, forward before backward; projected h; c of LSTM cells only, a
 * GRU's c field set from its h), and a sequence model's run as reset +
 * run_from_state. */
static void test_state_io(void **state)
{
    (void)state;
    Arena a = {0};
    LowModel *lm = lower(&a,
                         "model m { input 3;\n"
                         "  lstm a { hidden 4; projection 2; direction bidirectional; from native \"w\"; }\n"
                         "  gru g { hidden 5; reset after; from native \"w\"; } }\n",
                         NULL);
    assert_int_equal(lm->state_h, 2 + 2 + 5);
    assert_int_equal(lm->state_c, 4 + 4);
    assert_string_equal(lm->set_state.name, "m_set_state");
    assert_string_equal(lm->set_state.params[1].elems_macro, "M_STATE_H_SIZE");
    assert_string_equal(lm->set_state.params[2].elems_macro, "M_STATE_C_SIZE");
    assert_int_equal(lm->set_state.params[1].type, LT_CFLOATP);
    assert_int_equal(lm->get_state.params[1].type, LT_FLOATP);
    assert_string_equal(copies_text(&a, lm, &lm->set_state),
                        "s[0].a_h <- h (M_A_PROJ)\n"
                        "s[0].a_c <- c (M_A_HIDDEN)\n"
                        "s[0].a_reverse_h <- h+2 (M_A_REVERSE_PROJ)\n"
                        "s[0].a_reverse_c <- c+4 (M_A_REVERSE_HIDDEN)\n"
                        "s[0].g_h <- h+4 (M_G_HIDDEN)\n"
                        "s[0].g_c <- h+4 (M_G_HIDDEN)\n");
    assert_string_equal(copies_text(&a, lm, &lm->get_state),
                        "h <- s[0].a_h (M_A_PROJ)\n"
                        "c <- s[0].a_c (M_A_HIDDEN)\n"
                        "h+2 <- s[0].a_reverse_h (M_A_REVERSE_PROJ)\n"
                        "c+4 <- s[0].a_reverse_c (M_A_REVERSE_HIDDEN)\n"
                        "h+4 <- s[0].g_h (M_G_HIDDEN)\n");
    /* NAME_run = reset, then NAME_run_from_state, which never resets */
    assert_string_equal(lm->run_from.name, "m_run_from_state");
    assert_null(find_call(&lm->run_from.body, CALLEE_MODEL_RESET));
    assert_non_null(find_call(&lm->run_from.body, CALLEE_CELL_RUN));
    assert_int_equal(lm->run.body.s[1].callee, CALLEE_MODEL_RESET);
    assert_int_equal(lm->run.body.s[2].callee, CALLEE_MODEL_RUN_FROM);

    /* a model of dense layers keeps no state: no functions; a GRU alone no c */
    lm = lower(&a, "model d { input 2; dense h { units 1; from native \"w\"; } }", NULL);
    assert_int_equal(lm->state_h + lm->state_c, 0);
    assert_null(lm->set_state.name);
    lm = lower(&a, "model r { input 2; gru g { hidden 3; reset after; from native \"w\"; } }", NULL);
    assert_int_equal(lm->state_c, 0);
    assert_null(lm->set_state.params[2].elems_macro);
    arena_free(&a);
}

/* ---- the runtime a model needs ---- */

/* The names of the runtime pieces lm's C copies, in order, one space
 * between. */
static const char *needs_text(Arena *a, const LowModel *lm)
{
    const char *t = "";
    for (int k = 0; k < rt_act_npieces; k++)
        if (lm->runtime[k])
            t = arena_printf(a, "%s%s%s", t, *t ? " " : "", rt_act_pieces[k].name);
    return t;
}

static void test_runtime_needs(void **state)
{
    (void)state;
    Arena a = {0};
    LowerOptions fast = {NULL, 1, 1, NULL, 0}, exact = {NULL, 0, 1, NULL, 0};

    /* sigmoid and tanh, fast: no libm, nothing else; H = 2 is a tiled
     * kernel of plain floats (8 rows): its macros, no vectors */
    const char *plain = "model m { input 3; lstm l { hidden 2; from native \"w\"; } }";
    LowModel *lm = lower(&a, plain, &fast);
    /* (the cells through the fused forms: no separate sigmoid or tanh) */
    assert_string_equal(needs_text(&a, lm),
                        "<stdint.h> <string.h> RT_FMA RT_LN2 rt_expm1_parts_ rt_bits_ rt_lstm_frac_ "
                        "rt_lstm_cf_fast rt_lstm_hf_fast RT_UNROLL RT_NO_UNROLL RT_VL");
    assert_true(lm->cells[0].fused_c && lm->cells[0].fused_h);
    assert_false(lower_needs(lm, "rt_softsignf"));
    assert_false(lower_needs(lm, "<math.h>"));
    assert_false(lower_needs(lm, "rt_vec"));
    assert_string_equal(lower_act_function(lm->cells[0].gate_act), "rt_sigmoidf_fast");

    /* coupled (f = 1 - i): i and g through their functions, h fused */
    lm = lower(&a, "model m { input 3; lstm l { hidden 2; coupled; from native \"w\"; } }", &fast);
    assert_true(!lm->cells[0].fused_c && lm->cells[0].fused_h);
    assert_true(lower_needs(lm, "rt_sigmoidf_fast") && lower_needs(lm, "rt_tanhf_fast"));
    assert_true(lower_needs(lm, "rt_lstm_hf_fast") && !lower_needs(lm, "rt_lstm_cf_fast"));
    /* no output gate: c fused, h = tanh(c) */
    lm = lower(&a, "model m { input 3; lstm l { hidden 2; gates input forget; from native \"w\"; } }", &fast);
    assert_true(lm->cells[0].fused_c && !lm->cells[0].fused_h);
    assert_true(lower_needs(lm, "rt_tanhf_fast") && !lower_needs(lm, "rt_sigmoidf_fast"));
    /* another cell input: nothing of c fused */
    lm = lower(&a, "model m { input 3; lstm l { hidden 2; cell_input softsign; from native \"w\"; } }", &fast);
    assert_true(!lm->cells[0].fused_c && lm->cells[0].fused_h);
    assert_true(lower_needs(lm, "rt_softsignf") && lower_needs(lm, "rt_sigmoidf_fast"));

    /* exact: e^x in double, no libm, and nothing of the fast functions */
    lm = lower(&a, plain, &exact);
    assert_string_equal(needs_text(&a, lm),
                        "<stdint.h> <string.h> RT_FMA RT_LN2 rt_bits_ rt_exp_parts_d_ rt_expm1_d_ "
                        "rt_sigmoidf rt_tanhf RT_UNROLL RT_NO_UNROLL RT_VL");
    assert_false(lower_needs(lm, "<math.h>"));

    /* 16 units: 64 rows, the target's vectors */
    lm = lower(&a, "model m { input 3; lstm l { hidden 16; from native \"w\"; } }", &fast);
    assert_true(lm->cells[0].simd);
    assert_true(lower_needs(lm, "rt_vec"));
    assert_true(lower_needs(lm, "RT_VKEEP"));

    /* blocks (tiled like every layer), other activations, a softmax head */
    lm = lower(&a,
               "model m { input 3;\n"
               "  lstm l { hidden 4; blocks 2; gate_activation hard_sigmoid(0.2, 0.5);\n"
               "           cell_input scaled_sigmoid(-2, 2); cell_output softsign; from native \"w\"; }\n"
               "  dense d { units 3; activation softmax; from native \"w\"; }\n"
               "  output last; }\n",
               &fast);
    assert_string_equal(needs_text(&a, lm),
                        "<math.h> <stdint.h> <string.h> rt_hard_sigmoidf rt_softsignf rt_softmaxf "
                        "RT_FMA RT_LN2 rt_expm1_parts_ rt_bits_ rt_sigmoidf_fast rt_scaled_sigmoidf_fast "
                        "RT_UNROLL RT_NO_UNROLL RT_VL");
    /* the same exact: scaled_sigmoid needs the exact sigmoid */
    lm = lower(&a,
               "model m { input 3;\n"
               "  lstm l { hidden 4; blocks 2; cell_input scaled_sigmoid(-2, 2); from native \"w\"; } }\n",
               &exact);
    assert_string_equal(needs_text(&a, lm),
                        "<stdint.h> <string.h> RT_FMA RT_LN2 rt_bits_ rt_exp_parts_d_ rt_expm1_d_ "
                        "rt_sigmoidf rt_tanhf rt_scaled_sigmoidf RT_UNROLL RT_NO_UNROLL RT_VL");

    /* every activation's function is a piece of the header */
    for (int k = 0; k < ACT_COUNT; k++)
        for (int f = 0; f < 2; f++) {
            LowAct act = {(ActKind)k, 1.0f, 1.0f, f};
            const char *name = lower_act_function(act);
            if (name)
                (void)lower_needs(lm, name);   /* an unknown piece is fatal */
        }
    arena_free(&a);
}

/* A GRU (reset after) as a cell of the tiled kernels (lower.c,
 * lower_gru_cell): 3H input rows (r, z, the candidate's input part) and
 * 3H recurrent rows (r, z, its recurrent part), r and z shared, the two
 * parts of n at the same place in each; b_hn an array of its own (the
 * update adds it); c starts at h0 as h does; the names its macros and
 * comments use. */
static void test_gru_packing(void **state)
{
    (void)state;
    Arena a = {0};
    IrModel *m = model(&a, "model m { input 2; gru g { hidden 16; reset after; initial_state; "
                           "from native \"w\"; } }");
    IrGru *g = &m->layers[0].gru;
    IrGruDirection *D = &g->dir[0];
    int K = 2 + 16;
    for (int q = 0; q < GRU_COUNT; q++) {
        D->b[q] = zeros(&a, 16);
        for (int r = 0; r < 16; r++) {
            D->b[q][r] = (float)(1000 * q + r);
            for (int k = 0; k < K; k++)
                D->w[q][r * K + k] = (float)(100000 * q + 100 * r + k);
        }
    }
    D->b_hn = zeros(&a, 16);
    D->h0 = zeros(&a, 16);
    for (int r = 0; r < 16; r++)
        D->b_hn[r] = (float)(5000 + r);
    LowerOptions plain = {NULL, 1, 1, NULL, 0};
    LowModel *lm = lower_model(&a, m, &plain);
    const LowCell *c = &lm->cells[0];
    assert_int_equal(c->kind, IR_GRU);
    assert_int_equal(c->tiles, 1);
    assert_int_equal(c->tile_rows, 48);
    assert_int_equal(c->in_rows, 48);
    assert_int_equal(c->shared_rows, 32);
    assert_int_equal(c->gate_rows, 48);
    assert_int_equal(c->tile_off[GATE_O], 32);
    assert_int_equal(c->tile_off[GATE_G], -1);
    assert_int_equal(c->in_off[GATE_G], 32);
    assert_int_equal(c->in_off[GATE_O], -1);
    assert_true(c->reads_pre);
    assert_true(c->simd);
    assert_string_equal(c->gate_macro[GATE_I], "R");
    assert_string_equal(c->gate_macro[GATE_O], "NH");
    assert_string_equal(c->gate_word[GATE_G], "candidate, input part");
    assert_ptr_equal(c->c0.data, D->h0);
    assert_ptr_equal(c->h0.data, D->h0);
    assert_ptr_equal(c->b_hn.data, D->b_hn);
    assert_string_equal(c->b_hn.name, "m_g_b_hn");
    assert_int_equal(c->gate_act.kind, ACT_SIGMOID);
    assert_int_equal(c->cell_input_act.kind, ACT_TANH);
    assert_int_equal(c->cell_output_act.kind, ACT_IDENTITY);
    const float *wx = c->w_x.data, *wh = c->w_h.data, *b = c->b_tiled.data;
    for (int q = 0; q < 48; q++) {
        int part = q / 16, r = q % 16;
        assert_true(b[q] == (float)(1000 * part + r));
        for (int k = 0; k < 2; k++)
            assert_true(wx[k * 48 + q] == (float)(100000 * part + 100 * r + k));
        for (int k = 0; k < 16; k++)
            assert_true(wh[k * 48 + q] == (float)(100000 * part + 100 * r + 2 + k));
    }
    /* flash: w_x, w_h, b, b_hn, h0 and c0 */
    assert_int_equal(lm->flash_bytes, 4 * (2 * 48 + 16 * 48 + 48 + 16 + 16 + 16));
    arena_free(&a);
}

/* The GRU's tiles of other widths: 8 units, 24 rows of each product
 * padded to whole vectors (32: r, z and n's part, then zeros); 4 units,
 * 12 rows whose shared 8 are no whole vector: plain floats, unpadded;
 * reset before, r and z alone read h (2H recurrent rows); on a target
 * without vectors, tiles of one unit, unpadded. */
/* The call of CALLEE_CELL_RECUR in block b (or a loop in it), NULL if none. */
static const LowStmt *find_recur_call(const LowBlock *b)
{
    for (int k = 0; k < b->n; k++) {
        const LowStmt *s = &b->s[k];
        if (s->kind == LS_CALL && s->callee == CALLEE_CELL_RECUR)
            return s;
        const LowStmt *in = s->kind == LS_FOR ? find_recur_call(s->body) : NULL;
        if (in)
            return in;
    }
    return NULL;
}

/* Recurrent weights beyond 256 KiB: the tiles in alternate orders, the
 * step's parity passed to ID_recur as a fifth argument; at or below, the
 * call and the kernel as before. */
static void test_alternate_tiles(void **state)
{
    (void)state;
    Arena a = {0};
    LowModel *lm = lower(&a, "model m { input 3; gru a { hidden 512; reset after; from native \"w\"; } "
                             "gru b { hidden 128; reset after; from native \"w\"; } "
                             "lstm c { hidden 256; from native \"w\"; } "
                             "lstm d { hidden 128; from native \"w\"; } }", NULL);
    static const int expect[4] = {1, 0, 1, 0};   /* w_h: 3 MiB, 192 KiB, 1 MiB, 256 KiB */
    for (int k = 0; k < 4; k++) {
        assert_int_equal(lm->cells[k].alternate, expect[k]);
        const LowStmt *call = find_recur_call(&lm->cell_run[k].body);
        assert_non_null(call);
        assert_int_equal(call->nargs, expect[k] ? 5 : 4);
        if (expect[k])
            assert_int_equal(call->args[4].expr->kind, LX_MOD);
    }
    arena_free(&a);
}

static void test_gru_tiles(void **state)
{
    (void)state;
    Arena a = {0};
    LowModel *lm = lower(&a, "model m { input 3; gru a { hidden 24; reset after; from native \"w\"; } "
                             "gru b { hidden 12; reset after; from native \"w\"; } "
                             "gru c { hidden 16; reset before; from native \"w\"; } "
                             "gru d { hidden 8; reset before; from native \"w\"; } }", NULL);
    const LowCell *c = &lm->cells[0];
    assert_int_equal(c->tile, 8);
    assert_int_equal(c->tile_rows, 32);
    assert_int_equal(c->in_rows, 32);
    assert_int_equal(c->shared_rows, 16);
    assert_int_equal(c->tile_pad, 8);
    assert_int_equal(c->tile_off[GATE_O], 16);
    assert_int_equal(c->in_off[GATE_G], 16);
    assert_true(c->simd);
    for (int k = 0; k < 3; k++)   /* the padding rows of w_x: zeros */
        for (int q = 24; q < 32; q++)
            assert_true(c->w_x.data[k * 32 + q] == 0.0f);
    c = &lm->cells[1];
    assert_int_equal(c->tile, 4);
    assert_int_equal(c->tile_rows, 12);
    assert_int_equal(c->in_rows, 12);
    assert_int_equal(c->shared_rows, 8);
    assert_false(c->simd);
    c = &lm->cells[2];
    assert_int_equal(c->tile_rows, 32);
    assert_int_equal(c->in_rows, 48);
    assert_int_equal(c->shared_rows, 32);
    assert_int_equal(c->tile_off[GATE_G], -1);
    assert_int_equal(c->in_off[GATE_G], 32);
    assert_null(c->b_hn.data);
    assert_true(c->simd);
    c = &lm->cells[3];
    assert_int_equal(c->tile_rows, 16);
    assert_int_equal(c->in_rows, 32);
    assert_true(c->simd);
    /* AVX-512: 3 vectors a tile, 4 steps a pass; reset before, 2 for the
     * recurrent product, 3 for the input projection */
    LowTarget avx512 = {1, 16, 16, 1, 1, 0, 0}, plain = {1, 1, 16, 0, 0, 0, 0};
    LowerOptions o = {NULL, 1, 1, &avx512, 0};
    lm = lower(&a, "model m { input 3; gru a { hidden 32; reset after; from native \"w\"; } "
                   "gru b { hidden 32; reset before; from native \"w\"; } }", &o);
    assert_int_equal(lm->cells[0].vecs, 3);
    assert_int_equal(lm->cells[0].in_vecs, 3);
    assert_int_equal(lm->cells[0].steps_per_pass, 4);
    assert_int_equal(lm->cells[1].vecs, 2);
    assert_int_equal(lm->cells[1].in_vecs, 3);
    o.target = &plain;
    lm = lower(&a, "model m { input 3; gru a { hidden 32; reset after; from native \"w\"; } }", &o);
    assert_int_equal(lm->cells[0].tile, 1);
    assert_int_equal(lm->cells[0].tile_rows, 3);
    assert_int_equal(lm->cells[0].in_rows, 3);
    assert_int_equal(lm->cells[0].shared_rows, 2);
    arena_free(&a);
}

/* An RNN: the cell input's rows alone, its activation as the cell input's,
 * nothing else called. */
static void test_rnn(void **state)
{
    (void)state;
    Arena a = {0};
    LowerOptions fast = {NULL, 1, 1, NULL, 0};
    LowModel *lm = lower(&a, "model m { input 3; rnn r { hidden 16; activation relu; "
                             "from native \"w\"; } }", &fast);
    const LowCell *c = &lm->cells[0];
    assert_int_equal(c->kind, IR_RNN);
    assert_int_equal(c->tile_rows, 16);
    assert_int_equal(c->gate_off[GATE_G], 0);
    assert_int_equal(c->gate_off[GATE_I], -1);
    assert_int_equal(c->tile_off[GATE_O], -1);
    assert_null(c->gate_word[GATE_F]);
    assert_int_equal(c->cell_input_act.kind, ACT_RELU);
    assert_false(lower_needs(lm, "rt_sigmoidf_fast"));
    assert_false(lower_needs(lm, "rt_tanhf_fast"));
    assert_true(lower_needs(lm, "rt_reluf"));
    assert_string_equal(c->title, "rnn r");
    arena_free(&a);
}

/* A GRU with reset before (lower.h): the tiled kernel has r, z (input and
 * recurrent rows) and the candidate's input part (input rows only, with
 * its bias), no recurrent part; w_hn, the projection's array, holds w_n's
 * columns of h transposed by tile; m holds r h, z and a_n (3H); no
 * threads. */
static void test_gru_reset_before(void **state)
{
    (void)state;
    Arena a = {0};
    IrModel *m = model(&a, "model m { input 2; gru g { hidden 16; reset before; from native \"w\"; } }");
    IrGruDirection *D = &m->layers[0].gru.dir[0];
    int K = 2 + 16;
    for (int q = 0; q < GRU_COUNT; q++) {
        D->b[q] = zeros(&a, 16);
        for (int r = 0; r < 16; r++) {
            D->b[q][r] = (float)(1000 * q + r);
            for (int k = 0; k < K; k++)
                D->w[q][r * K + k] = (float)(100000 * q + 100 * r + k);
        }
    }
    LowerOptions threads = {NULL, 1, 2, NULL, 0};
    LowModel *lm = lower_model(&a, m, &threads);
    const LowCell *c = &lm->cells[0];
    assert_true(c->reset_before);
    assert_int_equal(c->in_rows, 48);
    assert_int_equal(c->tile_rows, 32);
    assert_int_equal(c->shared_rows, 32);
    assert_int_equal(c->tile_off[GATE_O], -1);
    assert_null(c->gate_macro[GATE_O]);
    assert_int_equal(c->proj, 16);
    assert_int_equal(c->threads, 1);
    assert_string_equal(c->w_proj.name, "m_g_w_hn");
    assert_int_equal(lm->fields[lm->m_field].floats, 48);
    const float *wx = c->w_x.data, *wh = c->w_h.data, *b = c->b_tiled.data;
    for (int q = 0; q < 48; q++) {
        int part = q / 16, r = q % 16;
        assert_true(b[q] == (float)(1000 * part + r));
        for (int k = 0; k < 2; k++)
            assert_true(wx[k * 48 + q] == (float)(100000 * part + 100 * r + k));
        for (int k = 0; q < 32 && k < 16; k++)
            assert_true(wh[k * 32 + q] == (float)(100000 * part + 100 * r + 2 + k));
    }
    /* one tile of 16 rows: w_hn[0][k][r] is w_n[r][2 + k] */
    assert_int_equal(c->proj_tiles, 1);
    for (int k = 0; k < 16; k++)
        for (int r = 0; r < 16; r++)
            assert_true(c->w_proj.data[k * 16 + r] == (float)(200000 + 100 * r + 2 + k));
    arena_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_state_io),
        cmocka_unit_test(test_state_layout_streaming),
        cmocka_unit_test(test_state_layout_sequence),
        cmocka_unit_test(test_state_dense_only),
        cmocka_unit_test(test_tiles_and_steps),
        cmocka_unit_test(test_block_tiles),
        cmocka_unit_test(test_block_packing),
        cmocka_unit_test(test_projection_tiles),
        cmocka_unit_test(test_cell_run_backward),
        cmocka_unit_test(test_streaming_api),
        cmocka_unit_test(test_sequence_api),
        cmocka_unit_test(test_direction_threads),
        cmocka_unit_test(test_pool_final),
        cmocka_unit_test(test_pool_mean_max),
        cmocka_unit_test(test_embedding),
        cmocka_unit_test(test_reset_initial_state),
        cmocka_unit_test(test_model_hash),
        cmocka_unit_test(test_runtime_needs),
        cmocka_unit_test(test_gru_packing),
        cmocka_unit_test(test_gru_tiles),
        cmocka_unit_test(test_alternate_tiles),
        cmocka_unit_test(test_rnn),
        cmocka_unit_test(test_gru_reset_before),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
