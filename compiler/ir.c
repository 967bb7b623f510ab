/*
 * ir.c - small facts about the model IR: gate shapes, statistics, and the
 * summary `lstmc check` prints.
 */
#include "ir.h"

#include <stdlib.h>

const char *const ir_activation_names[ACT_COUNT] = {
#define ACT(e, name, nparams, formula) name,
#include "activations.def"
#undef ACT
};
const int ir_activation_nparams[ACT_COUNT] = {
#define ACT(e, name, nparams, formula) nparams,
#include "activations.def"
#undef ACT
};

const char *ir_activation_name(ActKind k) { return ir_activation_names[k]; }
int ir_activation_params(ActKind k) { return ir_activation_nparams[k]; }

char *ir_float_text(Arena *a, double v)
{
    char buf[40];
    for (int p = 1; p <= 17; p++) {
        snprintf(buf, sizeof buf, "%.*g", p, v);
        if ((float)strtod(buf, NULL) == (float)v)
            break;
    }
    return arena_strdup(a, buf);
}

char *ir_activation_text(Arena *a, Activation act)
{
    const char *name = ir_activation_name(act.kind);
    switch (ir_activation_params(act.kind)) {
    case 0:  return arena_strdup(a, name);
    case 1:  return arena_printf(a, "%s(%s)", name, ir_float_text(a, act.a));
    default: return arena_printf(a, "%s(%s, %s)", name, ir_float_text(a, act.a), ir_float_text(a, act.b));
    }
}

int ir_pools(const IrModel *m)
{
    return m->output_form == OUT_FINAL || m->output_form == OUT_MEAN || m->output_form == OUT_MAX;
}

const char *ir_output_form_name(OutputForm f)
{
    static const char *const names[] = {"sequence", "last", "final", "mean", "max"};
    return names[f];
}

int ir_gate_rows(const IrLstm *l, Gate g)
{
    return g == GATE_G ? l->hidden : l->blocks;
}

int ir_gate_has_weights(const IrLstm *l, Gate g)
{
    return l->has_gate[g] && !(g == GATE_F && l->coupled);
}

const char *ir_embedding_table(Convention c)
{
    static const char *const names[] = {"weight", "embeddings", "weight", "table"};
    return names[c];
}

long ir_vocabulary(const IrModel *m)
{
    return m->embedding ? m->embedding->input : 0;
}

int ir_layer_has_reverse(const IrLayer *L)
{
    if (L->kind == IR_LSTM)
        return L->lstm.dir[0].reverse || L->lstm.dirs == 2;
    if (L->kind == IR_GRU || L->kind == IR_RNN)
        return L->gru.dir[0].reverse || L->gru.dirs == 2;
    return 0;
}

/* A GRU's or RNN's weights and FLOPs per step, every direction. */
static void gru_stats(const IrLayer *L, IrStats *st)
{
    const IrGru *g = &L->gru;
    long H = g->hidden, K = g->input + g->hidden;
    long rows = L->kind == IR_GRU ? 3 * H : H;
    long per_dir = rows * K + (L->source.bias ? rows : 0);
    long flops = 2 * rows * K + 2 * rows;       /* dot products, bias, activation */
    if (L->kind == IR_GRU) {
        if (g->reset_after && L->source.bias)
            per_dir += H;                       /* b_hn */
        flops += 4 * H;                         /* r * (.), h' = n + z (h - n) */
    }
    if (g->initial_state)
        per_dir += H;
    st->params += per_dir * g->dirs;
    st->flops_per_step += flops * g->dirs;
    st->state_bytes += (long)sizeof(float) * H * g->dirs;
}

IrStats ir_stats(const IrModel *m)
{
    IrStats st = {0, 0, 0, 0};
    long matrix = 0, rows_of_matrices = 0;   /* weights stored as weights_type, and their rows */
    if (m->embedding)   /* a float32 table, whatever the weights_type; a lookup, no FLOPs */
        st.params += (long)m->embedding->input * m->embedding->output;
    for (int i = 0; i < m->nlayers; i++) {
        const IrLayer *L = &m->layers[i];
        if (L->kind == IR_GRU || L->kind == IR_RNN) {
            gru_stats(L, &st);
            continue;
        }
        if (L->kind == IR_DENSE) {
            long w = (long)L->input * L->output;
            matrix += w;
            rows_of_matrices += L->output;
            st.params += w + (L->source.bias ? L->output : 0);
            st.flops_per_step += 2 * w + 2L * L->output;
            continue;
        }
        const IrLstm *l = &L->lstm;
        long K = l->input + l->recurrent, per_dir = 0, flops = 0, matrix_dir = 0, rows_dir = 0;
        for (int g = 0; g < GATE_COUNT; g++) {
            if (!ir_gate_has_weights(l, g))
                continue;
            long rows = ir_gate_rows(l, g);
            per_dir += rows * K + (L->source.bias ? rows : 0);
            matrix_dir += rows * K;
            rows_dir += rows;
            flops += 2 * rows * K + 2 * rows;   /* dot products, bias, activation */
            if (l->peepholes && g != GATE_G) {
                per_dir += l->hidden;
                flops += 2L * l->hidden;
            }
        }
        flops += 4L * l->hidden;                /* c' = f c + i g, m = o act(c') */
        if (l->proj) {
            per_dir += (long)l->proj * l->hidden;
            matrix_dir += (long)l->proj * l->hidden;
            rows_dir += l->proj;
            flops += 2L * l->proj * l->hidden;
        }
        if (l->initial_state)
            per_dir += l->recurrent + l->hidden;   /* h0, c0 */
        st.params += per_dir * l->dirs;
        matrix += matrix_dir * l->dirs;
        rows_of_matrices += rows_dir * l->dirs;
        st.flops_per_step += flops * l->dirs;
        st.state_bytes += (long)sizeof(float) * (l->recurrent + l->hidden) * l->dirs;
    }
    /* the matrices as stored (quant.h), int8 with a float scale per row */
    st.weight_bytes = (st.params - matrix) * (long)sizeof(float) + matrix * quant_type_bytes(m->weights_type) +
                      (m->weights_type == WT_INT8 ? rows_of_matrices * (long)sizeof(float) : 0);
    return st;
}

static void print_activation(FILE *f, const char *label, Activation a)
{
    fprintf(f, "%s %s", label, ir_activation_name(a.kind));
    int n = ir_activation_params(a.kind);
    if (n == 1)
        fprintf(f, "(%g)", a.a);
    else if (n == 2)
        fprintf(f, "(%g, %g)", a.a, a.b);
}

static void print_lstm(FILE *f, const IrLayer *L)
{
    const IrLstm *l = &L->lstm;
    static const char *const gate_names[GATE_COUNT] = {"input", "forget", "cell", "output"};
    fprintf(f, "  lstm  %-12s %6d -> %-6d hidden %d", L->name, L->input, L->output, l->hidden);
    if (l->dirs == 2)
        fprintf(f, ", bidirectional");
    else if (l->dir[0].reverse)
        fprintf(f, ", backward");
    if (l->block_size > 1)
        fprintf(f, ", %d block%s of %d cells", l->blocks, l->blocks == 1 ? "" : "s", l->block_size);
    if (l->proj)
        fprintf(f, ", projection %d", l->proj);
    fprintf(f, "\n        gates:");
    for (int g = 0; g < GATE_COUNT; g++)
        if (g != GATE_G && l->has_gate[g])
            fprintf(f, " %s%s", gate_names[g], g == GATE_F && l->coupled ? " (coupled: 1 - input)" : "");
    if (!l->has_gate[GATE_F])
        fprintf(f, " (no forget gate: c' = c + i*g)");
    if (l->peepholes)
        fprintf(f, ", peepholes");
    fprintf(f, "\n        ");
    print_activation(f, "gate", l->gate_act);
    print_activation(f, ", cell input", l->cell_input_act);
    print_activation(f, ", cell output", l->cell_output_act);
    if (l->forget_bias != 0)
        fprintf(f, ", forget bias %g", l->forget_bias);
    if (l->clip_gates > 0)
        fprintf(f, ", clip gates %g", l->clip_gates);
    if (l->clip_cell > 0)
        fprintf(f, ", clip cell %g", l->clip_cell);
    if (l->clip_proj > 0)
        fprintf(f, ", clip projection %g", l->clip_proj);
    if (l->initial_state)
        fprintf(f, ", initial state h0, c0");
    fprintf(f, "\n");
}

static void print_gru(FILE *f, const IrLayer *L)
{
    const IrGru *g = &L->gru;
    int gru = L->kind == IR_GRU;
    fprintf(f, "  %-5s %-12s %6d -> %-6d hidden %d", gru ? "gru" : "rnn", L->name, L->input,
            L->output, g->hidden);
    if (g->dirs == 2)
        fprintf(f, ", bidirectional");
    else if (g->dir[0].reverse)
        fprintf(f, ", backward");
    fprintf(f, "\n        ");
    if (gru) {
        fprintf(f, "reset %s the recurrent product, ", g->reset_after ? "after" : "before");
        print_activation(f, "gate", g->gate_act);
        print_activation(f, ", candidate", g->cand_act);
    } else {
        print_activation(f, "activation", g->cand_act);
    }
    if (g->clip > 0)
        fprintf(f, ", clip %g", g->clip);
    if (g->initial_state)
        fprintf(f, ", initial state h0");
    fprintf(f, "\n");
}

void ir_print_summary(FILE *f, const IrModel *m)
{
    static const char *const conventions[] = {"pytorch", "keras", "onnx", "native"};
    IrStats st = ir_stats(m);
    static const char *const forms[] = {
        "every step", "last step of each sequence", "final state of each sequence",
        "mean over the steps of each sequence", "maximum over the steps of each sequence",
    };
    if (m->embedding)
        fprintf(f, "model %s: input token ids, output %d (%s)\n", m->name, m->output, forms[m->output_form]);
    else
        fprintf(f, "model %s: input %d, output %d (%s)\n", m->name, m->input, m->output, forms[m->output_form]);
    fprintf(f, "weights: %s\n", m->weights_path);
    fprintf(f, "layers:\n");
    if (m->embedding)
        fprintf(f, "  embedding %-8s tokens -> %-6d vocabulary %d\n        from %s \"%s\"\n", m->embedding->name,
                m->embedding->output, m->embedding->input, conventions[m->embedding->source.conv],
                m->embedding->source.prefix[0]);
    for (int i = 0; i < m->nlayers; i++) {
        const IrLayer *L = &m->layers[i];
        if (L->kind == IR_LSTM) {
            print_lstm(f, L);
        } else if (L->kind == IR_GRU || L->kind == IR_RNN) {
            print_gru(f, L);
        } else {
            fprintf(f, "  dense %-12s %6d -> %-6d ", L->name, L->input, L->output);
            print_activation(f, "activation", L->dense.act);
            fprintf(f, "\n");
        }
        fprintf(f, "        from %s \"%s\"", conventions[L->source.conv], L->source.prefix[0]);
        if (L->source.prefix[1] && L->source.prefix[1] != L->source.prefix[0])
            fprintf(f, ", \"%s\"", L->source.prefix[1]);
        fprintf(f, "\n");
    }
    if (m->weights_type == WT_F32)
        fprintf(f, "parameters: %ld (%ld bytes as float32)\n", st.params, st.weight_bytes);
    else
        fprintf(f, "parameters: %ld (%ld bytes: the matrices as %s%s, the rest float32)\n", st.params,
                st.weight_bytes, quant_type_names[m->weights_type],
                m->weights_type == WT_INT8 ? " with a float32 scale per row" : "");
    if (m->arithmetic == ARITH_INT16)
        fprintf(f, "arithmetic: int16 (integer-only: int8 weights, int16 fixed point)\n");
    int only_lstm = 1;
    for (int i = 0; i < m->nlayers; i++)
        only_lstm &= m->layers[i].kind == IR_LSTM || m->layers[i].kind == IR_DENSE;
    fprintf(f, "state: %ld bytes (%s of every layer and direction)\n", st.state_bytes,
            only_lstm ? "h and c" : "h, and an lstm's c,");
    fprintf(f, "FLOPs per timestep: %ld\n", st.flops_per_step);
}
