/*
 * emit_c_int.c - the C backend of `arithmetic int16` (emit_c_int.h).
 *
 * Everything here is printing: the formats, the int8 weights, each row's
 * multiplier, shift and bias, the tables, were decided once by
 * fixed_plan.c. Each LSTM layer gets a step function that reads like the
 * equations of grammar/SPEC.md "Integer-only arithmetic", one comment per
 * step, on the runtime's integer pieces (runtime/lstmc_fixed.h).
 */
#include "emit_c_int.h"

#include "emit_c.h"
#include "runtime_text.h"

#include <ctype.h>
#include <string.h>

/* The names and sizes the printers share. */
typedef struct Out {
    FILE *f;
    Arena *a;
    const FixedModel *fm;
    const IrModel *m;
    const char *name, *macro;
    const char **layer;       /* [nlayers] C names: the spec's, '.' as '_' */
    FixedTable *tables;       /* the distinct tables, in first use */
    const char **table_what;
    int ntables;
    int *table_of;            /* [nlayers * 4]: gate, cell input, cell output, dense */
} Out;

int emitc_int_supported(const IrModel *m)
{
    for (int n = 0; n < m->nlayers; n++) {
        const IrLayer *L = &m->layers[n];
        if (L->kind == IR_LSTM && (L->lstm.dirs > 1 || L->lstm.dir[0].reverse)) {
            diag_error(&L->loc, "lstm '%s': the generated code of arithmetic int16 streams forward only; a "
                       "backward direction runs in the interpreter's integer mode (lstmc run)", L->name);
            return -1;
        }
    }
    return 0;
}

static const char *c_name(Arena *a, const char *s)
{
    char *t = arena_strdup(a, s);
    for (char *p = t; *p; p++)
        if (!isalnum((unsigned char)*p))
            *p = '_';
    return t;
}

static const char *upper(Arena *a, const char *s)
{
    char *t = arena_strdup(a, s);
    for (char *p = t; *p; p++)
        *p = (char)toupper((unsigned char)*p);
    return t;
}

/* The index of table t among the distinct ones, adding it if new. */
static int table_index(Out *o, const FixedTable *t, const char *what)
{
    for (int k = 0; k < o->ntables; k++)
        if (o->tables[k].frac == t->frac && memcmp(o->tables[k].v, t->v, sizeof t->v) == 0)
            return k;
    o->tables[o->ntables] = *t;
    o->table_what[o->ntables] = what;
    return o->ntables++;
}

static void out_init(Out *o, FILE *f, Arena *a, const FixedModel *fm, const char *name)
{
    memset(o, 0, sizeof *o);
    o->f = f, o->a = a, o->fm = fm, o->m = fm->m, o->name = name, o->macro = upper(a, name);
    int n = o->m->nlayers;
    o->layer = arena_alloc(a, sizeof(char *) * (size_t)(n ? n : 1));
    o->tables = arena_alloc(a, sizeof(FixedTable) * (size_t)(4 * n + 1));
    o->table_what = arena_alloc(a, sizeof(char *) * (size_t)(4 * n + 1));
    o->table_of = arena_alloc(a, sizeof(int) * (size_t)(4 * n + 1));
    for (int k = 0; k < n; k++) {
        const IrLayer *L = &o->m->layers[k];
        const FixedLayer *F = &fm->layers[k];
        o->layer[k] = c_name(a, L->name);
        if (L->kind == IR_LSTM) {
            o->table_of[4 * k] = table_index(o, &F->lstm.gate, ir_activation_text(a, L->lstm.gate_act));
            o->table_of[4 * k + 1] = table_index(o, &F->lstm.cell_in, ir_activation_text(a, L->lstm.cell_input_act));
            o->table_of[4 * k + 2] = table_index(o, &F->lstm.cell_out, ir_activation_text(a, L->lstm.cell_output_act));
        } else if (F->dense.table) {
            o->table_of[4 * k + 3] = table_index(o, &F->dense.act, ir_activation_text(a, L->dense.act));
        }
    }
}

/* ---- sizes ---- */

static long rows_bytes(const FixedRows *r)
{
    /* int8 weights; int32 multiplier and bias, uint8 shift per row */
    return r->rows ? (long)r->rows * r->cols + 9L * r->rows : 0;
}

static long flash_bytes(const Out *o)
{
    long b = (long)o->ntables * FIXED_TABLE_SIZE * 2;
    for (int n = 0; n < o->m->nlayers; n++) {
        const IrLayer *L = &o->m->layers[n];
        const FixedLayer *F = &o->fm->layers[n];
        if (L->kind == IR_DENSE) {
            b += rows_bytes(&F->dense.rows);
            continue;
        }
        const FixedDir *d = &F->lstm.dir[0];
        for (int g = 0; g < GATE_COUNT; g++)
            b += rows_bytes(&d->gate[g]) + (d->peep[g] ? 2L * L->lstm.hidden : 0);
        b += (d->h0 ? 2L * L->lstm.recurrent : 0) + (d->c0 ? 2L * L->lstm.hidden : 0);
    }
    return b;
}

/* The state: int32 scratch of the widest layer (gates i, f, o per block,
 * g per cell), then every layer's int16 h and c, or dense output. */
static int max_of(const Out *o, int blocks)
{
    int w = 1;
    for (int n = 0; n < o->m->nlayers; n++) {
        const IrLayer *L = &o->m->layers[n];
        int v = L->kind != IR_LSTM ? 0 : blocks ? L->lstm.blocks : L->lstm.hidden;
        if (v > w)
            w = v;
    }
    return w;
}

static long state_bytes(const Out *o)
{
    long b = 4L * (3 * max_of(o, 1) + max_of(o, 0)), h = 0;
    for (int n = 0; n < o->m->nlayers; n++) {
        const IrLayer *L = &o->m->layers[n];
        h += L->kind == IR_LSTM ? L->lstm.recurrent + L->lstm.hidden : L->output;
    }
    return b + (2 * h + 3) / 4 * 4;
}

/* ---- the header ---- */

static void banner(const Out *o, const char *what, const char *ranges_path)
{
    FILE *f = o->f;
    const IrModel *m = o->m;
    const char *rp = ranges_path ? strrchr(ranges_path, '/') : NULL;
    const char *sp = m->spec_path ? strrchr(m->spec_path, '/') : NULL;
    const char *wp = m->weights_path ? strrchr(m->weights_path, '/') : NULL;
    fprintf(f, "/*\n * %s\n * Generated by lstmc %s; do not edit.\n", what, LSTMC_VERSION);
    fprintf(f, " *   spec:        %s\n", comment_text(o->a, sp ? sp + 1 : m->spec_path ? m->spec_path : "(none)"));
    fprintf(f, " *   weights:     %s\n", comment_text(o->a, wp ? wp + 1 : m->weights_path ? m->weights_path : "(none)"));
    fprintf(f, " *   ranges:      %s\n", comment_text(o->a, rp ? rp + 1 : ranges_path ? ranges_path : "calibrated (--calibrate)"));
    fprintf(f, " *   names:       %s_*, %s_*\n", o->name, o->macro);
    fprintf(f, " *   arithmetic:  int16: int8 weights, int16 fixed point, exact integer sums,\n");
    fprintf(f, " *                table activations; no floating point (grammar/SPEC.md,\n");
    fprintf(f, " *                \"Integer-only arithmetic\"): bit for bit `lstmc run --arithmetic int16`\n");
    fprintf(f, " *\n * model %s: %d inputs (Q%d.%d) -> %d outputs (Q%d.%d)%s\n", m->name, m->input,
            15 - o->fm->in_frac, o->fm->in_frac, m->output,
            15 - o->fm->layers[m->nlayers - 1].out_frac, o->fm->layers[m->nlayers - 1].out_frac,
            m->output_last ? " (one row per sequence: the last step's)" : " (one row per step)");
    for (int n = 0; n < m->nlayers; n++) {
        const IrLayer *L = &m->layers[n];
        const FixedLayer *F = &o->fm->layers[n];
        if (L->kind == IR_DENSE) {
            fprintf(f, " *   dense %-12s %5d -> %-5d %s, pre-activation Q%d.%d\n", L->name, L->input, L->output,
                    ir_activation_text(o->a, L->dense.act), 15 - F->dense.pre_frac, F->dense.pre_frac);
            continue;
        }
        fprintf(f, " *   lstm  %-12s %5d -> %-5d hidden %d", L->name, L->input, L->output, L->lstm.hidden);
        if (L->lstm.block_size > 1)
            fprintf(f, ", %d blocks of %d", L->lstm.blocks, L->lstm.block_size);
        fprintf(f, "; c Q%d.%d, h Q%d.%d\n", 15 - F->lstm.cell_frac, F->lstm.cell_frac, 15 - F->out_frac,
                F->out_frac);
    }
    fprintf(f, " *\n * flash: %ld bytes (static const: int8 weights, a multiplier, shift and bias per\n"
            " *        row, %d activation table%s of %d int16)\n", flash_bytes(o), o->ntables,
            o->ntables == 1 ? "" : "s", FIXED_TABLE_SIZE);
    fprintf(f, " * RAM:   %ld bytes (%s_state: state and per-step scratch)\n */\n", state_bytes(o), o->name);
}

void emitc_int_header(FILE *f, Arena *a, const FixedModel *fm, const char *name, const char *ranges_path)
{
    Out o;
    out_init(&o, f, a, fm, name);
    const IrModel *m = fm->m;
    const char *N = o.name, *M = o.macro;
    const IrLayer *last = &m->layers[m->nlayers - 1];
    int soft = last->kind == IR_DENSE && (last->dense.act.kind == ACT_SOFTMAX || last->dense.act.kind == ACT_LOG_SOFTMAX);
    banner(&o, arena_printf(a, "The API of the LSTM model %s, integer-only (arithmetic int16).", m->name), ranges_path);
    fprintf(f, "#ifndef %s_H\n#define %s_H\n\n#include <stddef.h>\n#include <stdint.h>\n\n", M, M);
    fprintf(f, "#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n");
    fprintf(f, "#define %s_INPUT_SIZE  %d  /* int16 per input step */\n", M, m->input);
    fprintf(f, "#define %s_OUTPUT_SIZE %d  /* int16 per output row */\n", M, m->output);
    fprintf(f, "#define %s_OUTPUT_LAST %d  /* 1: one output row per sequence, the last step's */\n", M,
            m->output_last);
    fprintf(f, "#define %s_INPUT_FRAC  %d  /* an input x is passed as round(x 2^%d), ties away from zero,\n"
            "                             clamped to [-32768, 32767] */\n", M, fm->in_frac, fm->in_frac);
    fprintf(f, "#define %s_OUTPUT_FRAC %d  /* an output q stands for q 2^-%d%s */\n", M,
            fm->layers[m->nlayers - 1].out_frac, fm->layers[m->nlayers - 1].out_frac,
            soft ? arena_printf(a, ": the head's logits; its %s is\n                             the caller's "
                                "(the one float step, SPEC.md)", ir_activation_name(last->dense.act.kind)) : "");
    fprintf(f, "#define %s_STATE_BYTES %ld  /* bytes of %s_state */\n\n", M, state_bytes(&o), N);
    fprintf(f, "/* Everything the model remembers between steps, and its scratch. Owned by\n"
            " * the caller (static, stack or heap); the model allocates nothing. */\n");
    fprintf(f, "typedef struct %s_state {\n", N);
    fprintf(f, "    int32_t gi[%d], gf[%d], go[%d];  /* scratch: gate values, Q0.15 (32768 = 1) */\n",
            max_of(&o, 1), max_of(&o, 1), max_of(&o, 1));
    fprintf(f, "    int32_t g[%d];  /* scratch: cell input */\n", max_of(&o, 0));
    for (int n = 0; n < m->nlayers; n++) {
        const IrLayer *L = &m->layers[n];
        if (L->kind == IR_LSTM) {
            fprintf(f, "    int16_t %s_h[%d];  /* lstm %s: hidden state h (the output), Q%d.%d */\n", o.layer[n],
                    L->lstm.recurrent, L->name, 15 - fm->layers[n].out_frac, fm->layers[n].out_frac);
            fprintf(f, "    int16_t %s_c[%d];  /* lstm %s: cell state c, Q%d.%d */\n", o.layer[n], L->lstm.hidden,
                    L->name, 15 - fm->layers[n].lstm.cell_frac, fm->layers[n].lstm.cell_frac);
        } else {
            fprintf(f, "    int16_t %s_y[%d];  /* dense %s: its output row, Q%d.%d */\n", o.layer[n], L->output,
                    L->name, 15 - fm->layers[n].out_frac, fm->layers[n].out_frac);
        }
    }
    fprintf(f, "} %s_state;\n\n", N);
    fprintf(f, "/* Sets h and c of every layer to the initial state: call it before each\n"
            " * new sequence. */\nvoid %s_reset(%s_state *s);\n\n", N, N);
    fprintf(f, "/* One timestep: reads x (Q%d.%d), updates *s, writes the model's output for\n"
            " * this step to y (always, also with %s_OUTPUT_LAST). */\n", 15 - fm->in_frac, fm->in_frac, M);
    fprintf(f, "void %s_step(%s_state *s, const int16_t x[%s_INPUT_SIZE], int16_t y[%s_OUTPUT_SIZE]);\n\n",
            N, N, M, M);
    fprintf(f, "#ifdef __cplusplus\n}\n#endif\n\n#endif\n");
}

/* ---- the source ---- */

static void print_ints(FILE *f, const char *type, const char *name, const char *comment, long n,
                       long (*at)(const void *, long), const void *p)
{
    fprintf(f, "/* %s */\nstatic const %s %s[%ld] = {", comment, type, name, n);
    for (long k = 0; k < n; k++)
        fprintf(f, "%s%ld%s", k % 16 == 0 ? "\n    " : " ", at(p, k), k + 1 < n ? "," : "");
    fprintf(f, "\n};\n\n");
}

static long at_i8(const void *p, long k) { return ((const int8_t *)p)[k]; }
static long at_i16(const void *p, long k) { return ((const int16_t *)p)[k]; }
static long at_i32(const void *p, long k) { return ((const int32_t *)p)[k]; }
static long at_int(const void *p, long k) { return ((const int *)p)[k]; }
static long at_i64(const void *p, long k) { return (long)((const int64_t *)p)[k]; }

static const char *const gate_word[GATE_COUNT] = {"i", "f", "g", "o"};

/* name_w, name_m, name_s, name_b of rows r. */
static void print_rows(const Out *o, const char *name, const char *what, const FixedRows *r)
{
    Arena *a = o->a;
    print_ints(o->f, "int8_t", arena_printf(a, "%s_w", name), arena_printf(a, "%s: int8 weights [%d, %d]", what,
               r->rows, r->cols), (long)r->rows * r->cols, at_i8, r->w);
    print_ints(o->f, "int32_t", arena_printf(a, "%s_m", name), arena_printf(a, "%s: each row's multiplier [%d]",
               what, r->rows), r->rows, at_i32, r->mult);
    print_ints(o->f, "uint8_t", arena_printf(a, "%s_s", name), arena_printf(a, "%s: each row's shift [%d]", what,
               r->rows), r->rows, at_int, r->shift);
    print_ints(o->f, "int32_t", arena_printf(a, "%s_b", name), arena_printf(a, "%s: each row's bias [%d]", what,
               r->rows), r->rows, at_i64, r->bias);
}

static void print_weights(const Out *o)
{
    Arena *a = o->a;
    for (int k = 0; k < o->ntables; k++)
        print_ints(o->f, "int16_t", arena_printf(a, "%s_table%d", o->name, k),
                   arena_printf(a, "%s at -8 + k/32, Q%d.%d [%d]", o->table_what[k], 15 - o->tables[k].frac,
                                o->tables[k].frac, FIXED_TABLE_SIZE), FIXED_TABLE_SIZE, at_i16, o->tables[k].v);
    for (int n = 0; n < o->m->nlayers; n++) {
        const IrLayer *L = &o->m->layers[n];
        const FixedLayer *F = &o->fm->layers[n];
        const char *p = arena_printf(a, "%s_%s", o->name, o->layer[n]);
        if (L->kind == IR_DENSE) {
            print_rows(o, p, arena_printf(a, "dense %s", L->name), &F->dense.rows);
            continue;
        }
        const FixedDir *d = &F->lstm.dir[0];
        for (int g = 0; g < GATE_COUNT; g++) {
            if (d->gate[g].rows)
                print_rows(o, arena_printf(a, "%s_%s", p, gate_word[g]),
                           arena_printf(a, "lstm %s, %s", L->name, g == GATE_G ? "cell input g" :
                                        arena_printf(a, "gate %s", gate_word[g])), &d->gate[g]);
            if (d->peep[g])
                print_ints(o->f, "int16_t", arena_printf(a, "%s_p%s", p, gate_word[g]),
                           arena_printf(a, "lstm %s, peepholes of gate %s, Q%d.%d [%d]", L->name, gate_word[g],
                                        15 - d->peep_frac[g], d->peep_frac[g], L->lstm.hidden),
                           L->lstm.hidden, at_i16, d->peep[g]);
        }
        if (d->h0)
            print_ints(o->f, "int16_t", arena_printf(a, "%s_h0", p), arena_printf(a, "lstm %s: initial h", L->name),
                       L->lstm.recurrent, at_i16, d->h0);
        if (d->c0)
            print_ints(o->f, "int16_t", arena_printf(a, "%s_c0", p), arena_printf(a, "lstm %s: initial c", L->name),
                       L->lstm.hidden, at_i16, d->c0);
    }
}

/* One gate's values for every block, as the loop body of print_lstm. */
static void print_gate(const Out *o, int n, Gate g, int peep_new_c)
{
    const IrLayer *L = &o->m->layers[n];
    const IrLstm *l = &L->lstm;
    const FixedLayer *F = &o->fm->layers[n];
    const FixedDir *d = &F->lstm.dir[0];
    FILE *f = o->f;
    const char *p = arena_printf(o->a, "%s_%s", o->name, o->layer[n]), *w = gate_word[g];
    const char *dst = g == GATE_I ? "gi" : g == GATE_F ? "gf" : "go";
    if (!l->has_gate[g] || (g == GATE_F && l->coupled)) {
        fprintf(f, "        %s[b] = %s;\n", dst, g == GATE_F && l->coupled ? "32768 - gi[b]" : "32768");
        return;
    }
    fprintf(f, "        z = %s_rt_pre(%s_%s_w + b * %d, x, %d, %d, h, %d, %d, %s_%s_m[b], %s_%s_s[b], %s_%s_b[b]);\n",
            o->name, p, w, l->input + l->recurrent, l->input, F->lstm.acc_frac - F->in_frac, l->recurrent,
            F->lstm.acc_frac - F->out_frac, p, w, p, w, p, w);
    if (d->peep[g]) {
        fprintf(f, "        ps = 0;  /* peepholes on the %s c */\n", peep_new_c ? "new" : "old");
        fprintf(f, "        for (j = b * %d; j < (b + 1) * %d; j++)\n", l->block_size, l->block_size);
        fprintf(f, "            ps += (int32_t)%s_p%s[j] * c[j];\n", p, w);
        fprintf(f, "        z += %s_rt_rshr(ps, %d);\n", o->name, d->peep_frac[g] + F->lstm.cell_frac - FIXED_PRE_FRAC);
    }
    if (F->lstm.clip_gates)
        fprintf(f, "        z = %s_rt_clamp(z, %ld);\n", o->name, (long)F->lstm.clip_gates);
    fprintf(f, "        %s[b] = %s_rt_table(%s_table%d, z);\n", dst, o->name, o->name, o->table_of[4 * n]);
}

static void print_lstm(const Out *o, int n)
{
    const IrLayer *L = &o->m->layers[n];
    const IrLstm *l = &L->lstm;
    const FixedLayer *F = &o->fm->layers[n];
    const FixedLstm *fl = &F->lstm;
    const FixedDir *d = &fl->dir[0];
    FILE *f = o->f;
    const char *N = o->name, *ln = o->layer[n];
    const char *p = arena_printf(o->a, "%s_%s", N, ln);
    int peep = d->peep[GATE_I] || d->peep[GATE_F] || d->peep[GATE_O];
    fprintf(f, "/* lstm %s (%d -> %d): one step. x Q%d.%d, h Q%d.%d, c Q%d.%d; the sums\n"
            " * in Q%d.%d, the pre-activations z in Q3.12, the gates in Q0.15 (32768 = 1). */\n", L->name,
            L->input, L->output, 15 - F->in_frac, F->in_frac, 15 - F->out_frac, F->out_frac, 15 - fl->cell_frac,
            fl->cell_frac, 15 - fl->acc_frac, fl->acc_frac);
    fprintf(f, "static void %s_step(%s_state *s, const int16_t *x)\n{\n", p, N);
    fprintf(f, "    int16_t *h = s->%s_h, *c = s->%s_c;\n", ln, ln);
    fprintf(f, "    int32_t *gi = s->gi, *gf = s->gf, *go = s->go, *g = s->g;\n");
    fprintf(f, "    int64_t z%s;\n    int b, j;\n\n", peep ? ", ps" : "");
    fprintf(f, "    /* gates i and f: sigmoid(w . [x, h] + b%s) */\n", peep ? " + peepholes on the old c" : "");
    fprintf(f, "    for (b = 0; b < %d; b++) {\n", l->blocks);
    print_gate(o, n, GATE_I, 0);
    print_gate(o, n, GATE_F, 0);
    fprintf(f, "    }\n\n    /* cell input: g = %s(w_g . [x, h] + b_g), Q%d.%d */\n",
            ir_activation_text(o->a, l->cell_input_act), 15 - fl->cell_in.frac, fl->cell_in.frac);
    fprintf(f, "    for (j = 0; j < %d; j++) {\n", l->hidden);
    fprintf(f, "        z = %s_rt_pre(%s_g_w + j * %d, x, %d, %d, h, %d, %d, %s_g_m[j], %s_g_s[j], %s_g_b[j]);\n", N,
            p, l->input + l->recurrent, l->input, fl->acc_frac - F->in_frac, l->recurrent,
            fl->acc_frac - F->out_frac, p, p, p);
    if (fl->clip_gates)
        fprintf(f, "        z = %s_rt_clamp(z, %ld);\n", N, (long)fl->clip_gates);
    fprintf(f, "        g[j] = %s_rt_table(%s_table%d, z);\n    }\n\n", N, N, o->table_of[4 * n + 1]);
    fprintf(f, "    /* c' = sat16(rshr(f c, 15) + rshr(i g, %d))%s */\n", 15 + fl->cell_in.frac - fl->cell_frac,
            fl->clip_cell ? ", clipped" : "");
    fprintf(f, "    for (j = 0; j < %d; j++) {\n", l->hidden);
    const char *blk = l->block_size > 1 ? arena_printf(o->a, "j / %d", l->block_size) : "j";
    fprintf(f, "        z = %s_rt_sat16(%s_rt_rshr((int64_t)gf[%s] * c[j], 15) + %s_rt_rshr((int64_t)gi[%s] * g[j], %d));\n",
            N, N, blk, N, blk, 15 + fl->cell_in.frac - fl->cell_frac);
    if (fl->clip_cell)
        fprintf(f, "        z = %s_rt_clamp(z, %ld);\n", N, (long)fl->clip_cell);
    fprintf(f, "        c[j] = (int16_t)z;\n    }\n\n");
    fprintf(f, "    /* gate o: sigmoid(w_o . [x, h] + b_o%s) */\n", d->peep[GATE_O] ? " + peepholes on the new c" : "");
    fprintf(f, "    for (b = 0; b < %d; b++) {\n", l->blocks);
    print_gate(o, n, GATE_O, 1);
    fprintf(f, "    }\n\n    /* h' = rshr(o %s(c' in Q3.12), 15) */\n", ir_activation_text(o->a, l->cell_output_act));
    fprintf(f, "    for (j = 0; j < %d; j++)\n", l->hidden);
    fprintf(f, "        h[j] = (int16_t)%s_rt_rshr((int64_t)go[%s] * %s_rt_table(%s_table%d, %s_rt_rshr(c[j], %d)), 15);\n",
            N, blk, N, N, o->table_of[4 * n + 2], N, fl->cell_frac - FIXED_PRE_FRAC);
    fprintf(f, "}\n\n");
}

static void print_dense(const Out *o, int n)
{
    const IrLayer *L = &o->m->layers[n];
    const FixedLayer *F = &o->fm->layers[n];
    const FixedDense *fd = &F->dense;
    FILE *f = o->f;
    const char *N = o->name, *p = arena_printf(o->a, "%s_%s", N, o->layer[n]);
    fprintf(f, "/* dense %s (%d -> %d): y = %s(w x + b), x Q%d.%d, y Q%d.%d */\n", L->name, L->input, L->output,
            ir_activation_text(o->a, L->dense.act), 15 - F->in_frac, F->in_frac, 15 - F->out_frac, F->out_frac);
    fprintf(f, "static void %s_step(%s_state *s, const int16_t *x)\n{\n", p, N);
    fprintf(f, "    int16_t *y = s->%s_y;\n    int u;\n    for (u = 0; u < %d; u++) {\n", o->layer[n], L->output);
    fprintf(f, "        int64_t z = %s_rt_pre(%s_w + u * %d, x, %d, 0, x, 0, 0, %s_m[u], %s_s[u], %s_b[u]);\n", N, p,
            L->input, L->input, p, p, p);
    if (fd->table)
        fprintf(f, "        y[u] = (int16_t)%s_rt_table(%s_table%d, z);\n", N, N, o->table_of[4 * n + 3]);
    else if (fd->kind == ACT_RELU)
        fprintf(f, "        int32_t v = %s_rt_sat16(z);\n        y[u] = (int16_t)(v < 0 ? 0 : v);\n", N);
    else
        fprintf(f, "        y[u] = (int16_t)%s_rt_sat16(z);\n", N);
    fprintf(f, "    }\n}\n\n");
}

void emitc_int_source(FILE *f, Arena *a, const FixedModel *fm, const char *name, const char *header_include,
                      const char *ranges_path)
{
    Out o;
    out_init(&o, f, a, fm, name);
    const IrModel *m = fm->m;
    const char *N = o.name, *M = o.macro;
    int clamp = 0;
    for (int n = 0; n < m->nlayers; n++)
        clamp |= m->layers[n].kind == IR_LSTM && (fm->layers[n].lstm.clip_gates || fm->layers[n].lstm.clip_cell);
    banner(&o, arena_printf(a, "The LSTM model %s, integer-only C99 (arithmetic int16).", m->name), ranges_path);
    fprintf(f, "#include \"%s\"\n\n", header_include);
    fprintf(f, "typedef char %s_state_check[sizeof(%s_state) == %s_STATE_BYTES ? 1 : -1];\n\n", N, N, M);
    fprintf(f, "/* ---- begin runtime/lstmc_fixed.h: the pieces this model uses (copied by lstmc) ---- */\n");
    for (int k = 0; k < rt_fixed_npieces; k++)
        if (clamp || strcmp(rt_fixed_pieces[k].name, "rt_clamp") != 0)
            emitc_put_runtime(f, N, M, rt_fixed_pieces[k].text);
    fprintf(f, "/* ---- end runtime/lstmc_fixed.h ---- */\n\n");
    print_weights(&o);
    for (int n = 0; n < m->nlayers; n++) {
        if (m->layers[n].kind == IR_LSTM)
            print_lstm(&o, n);
        else
            print_dense(&o, n);
    }
    fprintf(f, "void %s_reset(%s_state *s)\n{\n    int j;\n", N, N);
    for (int n = 0; n < m->nlayers; n++) {
        const IrLayer *L = &m->layers[n];
        if (L->kind != IR_LSTM)
            continue;
        const FixedDir *d = &fm->layers[n].lstm.dir[0];
        const char *p = arena_printf(a, "%s_%s", N, o.layer[n]);
        fprintf(f, "    for (j = 0; j < %d; j++)\n        s->%s_h[j] = %s;\n", L->lstm.recurrent, o.layer[n],
                d->h0 ? arena_printf(a, "%s_h0[j]", p) : "0");
        fprintf(f, "    for (j = 0; j < %d; j++)\n        s->%s_c[j] = %s;\n", L->lstm.hidden, o.layer[n],
                d->c0 ? arena_printf(a, "%s_c0[j]", p) : "0");
    }
    fprintf(f, "}\n\n");
    fprintf(f, "void %s_step(%s_state *s, const int16_t x[%s_INPUT_SIZE], int16_t y[%s_OUTPUT_SIZE])\n{\n", N, N, M, M);
    fprintf(f, "    int k;\n");
    const char *in = "x";
    for (int n = 0; n < m->nlayers; n++) {
        fprintf(f, "    %s_%s_step(s, %s);\n", N, o.layer[n], in);
        in = arena_printf(a, "s->%s_%s", o.layer[n], m->layers[n].kind == IR_LSTM ? "h" : "y");
    }
    fprintf(f, "    for (k = 0; k < %s_OUTPUT_SIZE; k++)\n        y[k] = %s[k];\n}\n", M, in);
}

int emitc_int_write_files(Arena *a, const FixedModel *fm, const char *name, const char *header_include,
                          const char *ranges_path, const char *prefix)
{
    OutFile c, h;
    if (outfile_open(&c, arena_printf(a, "%s.c", prefix)) != 0)
        return -1;
    if (outfile_open(&h, arena_printf(a, "%s.h", prefix)) != 0) {
        outfile_discard(&c);
        return -1;
    }
    emitc_int_source(c.f, a, fm, name, header_include, ranges_path);
    emitc_int_header(h.f, a, fm, name, ranges_path);
    OutFile *both[2] = {&c, &h};
    return outfile_commit_all(both, 2);
}
