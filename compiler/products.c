/*
 * products.c - the checks of products int8 (products.h).
 */
#include "products.h"

#include <math.h>
#include <stddef.h>

/* Where the mode was asked for: the statement, or nowhere (a flag). */
static const Loc *asked(const IrModel *m)
{
    return m->products_loc.src ? &m->products_loc : NULL;
}

/* Whether act's values lie in [-1, 1] (for every input). */
static int within_one(Activation act)
{
    switch (act.kind) {
    case ACT_SIGMOID: case ACT_TANH: case ACT_HARD_SIGMOID: case ACT_SOFTSIGN:
        return 1;
    case ACT_SCALED_SIGMOID:   /* between a and b */
        return fabs(act.a) <= 1 && fabs(act.b) <= 1;
    case ACT_SCALED_TANH:      /* a tanh(b x) */
        return fabs(act.a) <= 1;
    default:
        return 0;
    }
}

/* Why h of LSTM layer l may leave [-1, 1], or NULL when it cannot:
 * h = o * act(c), o the output gate's value (1 without one); a projection
 * has no such bound. */
static const char *unbounded(const IrLstm *l)
{
    if (l->proj)
        return "its projection's h has no bound";
    if (l->has_gate[GATE_O] && !within_one(l->gate_act))
        return "its gates' activation can leave [-1, 1]";
    if (!within_one(l->cell_output_act))
        return "its cell_output activation can leave [-1, 1]";
    return NULL;
}

int products_prepare(IrModel *m, WeightsType type)
{
    if (!m->products_int8)
        return 0;
    if (m->arithmetic != ARITH_FLOAT) {
        diag_error(asked(m), "products int8 is for float arithmetic: arithmetic int16 computes in integers "
                             "throughout");
        return -1;
    }
    if (type != WT_INT8) {
        diag_error(asked(m), "products int8 multiplies int8 weights, not %s: add --weights-type int8 (or "
                             "`weights_type int8;`)", quant_type_names[type]);
        return -1;
    }
    int bad = 0;
    for (int n = 0; n < m->nlayers; n++) {
        IrLayer *L = &m->layers[n];
        if (L->kind == IR_GRU || L->kind == IR_RNN) {
            diag_error(&L->loc, "%s '%s': products int8 is for lstm layers only (not gru or rnn yet)", L->kind == IR_GRU ? "gru" : "rnn", L->name);
            bad = 1;
            continue;
        }
        if (L->kind != IR_LSTM)
            continue;
        const char *why = unbounded(&L->lstm);
        if (why) {
            diag_error(&L->loc, "lstm '%s': products int8 quantizes h in [-1, 1], but %s", L->name, why);
            bad = 1;
        } else if (L->lstm.recurrent > PRODUCTS_MAX_WIDTH) {
            diag_error(&L->loc, "lstm '%s': products int8 sums in int32, exact up to %d recurrent inputs, not %d",
                       L->name, PRODUCTS_MAX_WIDTH, L->lstm.recurrent);
            bad = 1;
        }
        L->lstm.products_int8 = 1;
    }
    return bad ? -1 : 0;
}
