/*
 * naive.c - the baseline: the plain LSTM anyone would write first, with
 * every size a compile-time constant (-DNI= -DNH= -DNL= -DNB= -DNT=) and
 * each gate row one sequential sum, x part then h part. Weights are read
 * from the same PyTorch-convention file as every other system.
 *
 *   ai = b_ih + b_hh + W_ih x + W_hh h    (4H rows, gate order i f g o)
 *   c' = sigmoid(af) c + sigmoid(ai) tanh(ag);  h' = sigmoid(ao) tanh(c')
 *
 * bench/run.sh builds it with -O3 -march=native, and again adding
 * -ffast-math.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "peer.h"

#if !defined(NI) || !defined(NH) || !defined(NL) || !defined(NB) || !defined(NT)
#error "compile with -DNI= -DNH= -DNL= -DNB= -DNT="
#endif

#define MAXIN (NI > NH ? NI : NH)

static float w_ih[NL][4 * NH][MAXIN];  /* layer k: [4H, in] with in = I or H */
static float w_hh[NL][4 * NH][NH];
static float bias[NL][4 * NH];         /* b_ih + b_hh */
static float h[NL][NH], c[NL][NH];     /* the state of one sequence */
static float gates[4 * NH];

static float sigmoid(float v)
{
    return 1.0f / (1.0f + expf(-v));
}

const char *peer_setup(const PeerModel *m, char *note, int note_size)
{
    char name[64];
    if (m->input != NI || m->hidden != NH || m->layers != NL || m->batch != NB || m->steps != NT)
        return "built for other sizes";
    if (m->proj || m->directions != 1 || m->cell != PEER_LSTM)
        return "the naive baseline is the standard LSTM (forward, no projection)";
    for (int k = 0; k < NL; k++) {
        int in = k == 0 ? NI : NH;
        snprintf(name, sizeof name, "lstm.weight_ih_l%d", k);
        const float *wi = peer_tensor(m, name, 4L * NH * in);
        snprintf(name, sizeof name, "lstm.weight_hh_l%d", k);
        const float *wh = peer_tensor(m, name, 4L * NH * NH);
        snprintf(name, sizeof name, "lstm.bias_ih_l%d", k);
        const float *bi = peer_tensor(m, name, 4L * NH);
        snprintf(name, sizeof name, "lstm.bias_hh_l%d", k);
        const float *bh = peer_tensor(m, name, 4L * NH);
        for (int r = 0; r < 4 * NH; r++) {
            memcpy(w_ih[k][r], wi + (long)r * in, (size_t)in * sizeof(float));
            memcpy(w_hh[k][r], wh + (long)r * NH, NH * sizeof(float));
            bias[k][r] = bi[r] + bh[r];
        }
    }
    snprintf(note, (size_t)note_size, "%d sequence(s) one after another, step by step", NB);
    return NULL;
}

/* One step of layer k: in has `in` floats; h[k], c[k] are updated. */
static void cell(int k, const float *in, int n_in)
{
    for (int r = 0; r < 4 * NH; r++) {
        float acc = bias[k][r];
        for (int j = 0; j < n_in; j++)
            acc += w_ih[k][r][j] * in[j];
        for (int j = 0; j < NH; j++)
            acc += w_hh[k][r][j] * h[k][j];
        gates[r] = acc;
    }
    for (int j = 0; j < NH; j++) {
        float i = sigmoid(gates[j]), f = sigmoid(gates[NH + j]);
        float g = tanhf(gates[2 * NH + j]), o = sigmoid(gates[3 * NH + j]);
        c[k][j] = f * c[k][j] + i * g;
        h[k][j] = o * tanhf(c[k][j]);
    }
}

void peer_run(const float *x, float *y)
{
    for (int b = 0; b < NB; b++) {
        memset(h, 0, sizeof h);
        memset(c, 0, sizeof c);
        for (int t = 0; t < NT; t++) {
            cell(0, x + ((long)t * NB + b) * NI, NI);
            for (int k = 1; k < NL; k++)
                cell(k, h[k - 1], NH);   /* layer k-1's h' of this step */
            memcpy(y + ((long)t * NB + b) * NH, h[NL - 1], sizeof h[0]);
        }
    }
}
