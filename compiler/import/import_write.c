/*
 * import_write.c - writes what import.c matched: the spec (one `lstm`,
 * `gru` or `rnn` block per LSTM, GRU or RNN node, one `dense` block per head, in lstmc's `onnx` convention;
 * `initial_state;` for a nonzero initial_h or initial_c) and the list of its
 * tensors for the safetensors file.
 */
#include "import.h"

#include <stdlib.h>
#include <string.h>

/* A gru or rnn block: the formulation from linear_before_reset, which a
 * gru block must name (ONNX's default, 0, is `reset before`). */
static void write_recurrent(FILE *f, Arena *a, const ImportLayer *L)
{
    int gru = L->kind == IMPORT_GRU;
    fprintf(f, "    %s %s {\n        hidden %d;\n", gru ? "gru" : "rnn", L->name, L->hidden);
    if (L->dirs == 2 || L->reverse)
        fprintf(f, "        direction %s;\n", L->dirs == 2 ? "bidirectional" : "backward");
    if (gru) {
        fprintf(f, "        reset %s;  # linear_before_reset = %d\n", L->reset_after ? "after" : "before",
                L->reset_after);
        if (L->act[0].kind != ACT_SIGMOID)
            fprintf(f, "        gate_activation %s;\n", ir_activation_text(a, L->act[0]));
        if (L->act[1].kind != ACT_TANH)
            fprintf(f, "        candidate_activation %s;\n", ir_activation_text(a, L->act[1]));
    } else if (L->act[0].kind != ACT_TANH) {
        fprintf(f, "        activation %s;\n", ir_activation_text(a, L->act[0]));
    }
    if (L->clip > 0)
        fprintf(f, "        clip %s;\n", ir_float_text(a, L->clip));
    if (!L->bias)
        fprintf(f, "        no_bias;\n");
    if (L->initial_state)
        fprintf(f, "        initial_state;\n");
    fprintf(f, "        from onnx \"%s\";\n    }\n", L->name);
}

void import_write_spec(FILE *f, const ImportModel *m, const char *name, const char *weights)
{
    Arena a = {0};
    const OnnxGraph *g = m->graph;
    fprintf(f, "# Imported by `lstmc import` from %s\n", comment_text(&a, g->path));
    fprintf(f, "# graph '%s'%s%s, ONNX opset %ld.\n", comment_text(&a, g->name),
            g->producer[0] ? ", producer " : "", comment_text(&a, g->producer), g->opset);
    fprintf(f, "# The tensors are in %s under ONNX's own names and layout,\n", weights);
    fprintf(f, "# which `from onnx` reads as they are.\n");
    fprintf(f, "model %s {\n", name);
    if (m->embed)
        fprintf(f, "    input tokens;\n");
    else
        fprintf(f, "    input %d;\n", m->input);
    fprintf(f, "    weights \"%s\";\n", weights);
    if (m->embed)
        fprintf(f, "\n    # ONNX node %s: Gather of the table by the token ids\n"
                   "    embedding embedding {\n        vocabulary %d;\n        dim %d;\n"
                   "        from onnx \"embedding\";\n    }\n", comment_text(&a, m->embed_node), m->vocab, m->dim);
    for (int k = 0; k < m->nlayers; k++) {
        const ImportLayer *L = &m->layers[k];
        fprintf(f, "\n    # ONNX node %s\n", comment_text(&a, L->node));
        if (L->kind == IMPORT_DENSE) {
            fprintf(f, "    dense %s {\n        units %d;\n", L->name, L->output);
            if (L->dense_act.kind != ACT_IDENTITY)
                fprintf(f, "        activation %s;\n", ir_activation_text(&a, L->dense_act));
            if (!L->bias)
                fprintf(f, "        no_bias;\n");
            fprintf(f, "        from onnx \"%s\";\n    }\n", L->name);
            continue;
        }
        if (L->kind != IMPORT_LSTM) {
            write_recurrent(f, &a, L);
            continue;
        }
        fprintf(f, "    lstm %s {\n        hidden %d;\n", L->name, L->hidden);
        if (L->dirs == 2 || L->reverse)
            fprintf(f, "        direction %s;\n", L->dirs == 2 ? "bidirectional" : "backward");
        if (L->act[0].kind != ACT_SIGMOID)
            fprintf(f, "        gate_activation %s;\n", ir_activation_text(&a, L->act[0]));
        if (L->act[1].kind != ACT_TANH)
            fprintf(f, "        cell_input %s;\n", ir_activation_text(&a, L->act[1]));
        if (L->act[2].kind != ACT_TANH)
            fprintf(f, "        cell_output %s;\n", ir_activation_text(&a, L->act[2]));
        if (L->clip > 0)
            fprintf(f, "        clip gates %s;\n", ir_float_text(&a, L->clip));
        if (L->coupled)
            fprintf(f, "        coupled;\n");
        if (L->peepholes)
            fprintf(f, "        peepholes;\n");
        if (!L->bias)
            fprintf(f, "        no_bias;\n");
        if (L->initial_state)
            fprintf(f, "        initial_state;\n");
        fprintf(f, "        from onnx \"%s\";\n    }\n", L->name);
    }
    fprintf(f, "\n    output %s;\n}\n", ir_output_form_name(m->output_form));
    arena_free(&a);
}

void import_tensors(Arena *a, const ImportModel *m, ImportTensors *t)
{
    int cap = 6 * m->nlayers + 2;
    t->n = 0;
    t->names = arena_alloc(a, (size_t)cap * sizeof *t->names);
    t->ndims = arena_alloc(a, (size_t)cap * sizeof *t->ndims);
    t->shapes = arena_alloc(a, (size_t)cap * sizeof *t->shapes);
    t->data = arena_alloc(a, (size_t)cap * sizeof *t->data);
#define PUT(suffix, data_, nd, ...)                                                   \
    do {                                                                              \
        long dims_[] = {__VA_ARGS__};                                                 \
        t->names[t->n] = arena_printf(a, "%s.%s", L->name, suffix);                   \
        t->ndims[t->n] = nd;                                                          \
        memcpy(t->shapes[t->n], dims_, sizeof dims_);                                 \
        t->data[t->n++] = data_;                                                      \
    } while (0)
    for (int k = 0; k < m->nlayers; k++) {
        const ImportLayer *L = &m->layers[k];
        long D = L->dirs, H = L->hidden;
        if (L->kind == IMPORT_DENSE) {
            PUT("weight", L->w, 2, L->output, L->input);
            if (L->bias)
                PUT("bias", L->b, 1, L->output);
            continue;
        }
        long rows = (L->kind == IMPORT_LSTM ? 4 : L->kind == IMPORT_GRU ? 3 : 1) * H;
        PUT("W", L->W, 3, D, rows, L->input);
        PUT("R", L->R, 3, D, rows, H);
        if (L->bias)
            PUT("B", L->B, 2, D, 2 * rows);
        if (L->peepholes)
            PUT("P", L->P, 2, D, 3 * H);
        if (L->initial_state) {
            PUT("initial_h", L->h0, 3, D, 1, H);
            if (L->c0)
                PUT("initial_c", L->c0, 3, D, 1, H);
        }
    }
#undef PUT
    if (m->embed) {   /* the table, named as `from onnx "embedding"` reads it */
        t->names[t->n] = "embedding.weight";
        t->ndims[t->n] = 2;
        t->shapes[t->n][0] = m->vocab;
        t->shapes[t->n][1] = m->dim;
        t->data[t->n++] = m->embed;
    }
}
