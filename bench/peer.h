/*
 * peer.h - what every C system of the benchmark implements (driver.c for
 * lstmc's generated code, naive.c, onednn.c); peer.c holds main(): reading
 * the input, the check run and the timing protocol, the same for all.
 *
 * A system runs an LSTM of `layers` layers over `batch` sequences of `steps`
 * timesteps, starting from a zero state, and outputs the last layer's h at
 * every step: forward only, or both directions concatenated (forward
 * first); h is the projection's P outputs when the model has one (LSTMP).
 * Memory cell blocks and missing gates are lstmc's alone (driver.c does not
 * need to know: the generated header has the model); so are, for the C
 * peers, GRU and RNN layers, but for onednn.c's.
 */
#ifndef BENCH_PEER_H
#define BENCH_PEER_H

typedef enum { PEER_LSTM, PEER_GRU, PEER_RNN } PeerCell;

typedef struct PeerModel {
    int input, hidden, layers, batch, steps;
    int proj;              /* projection outputs P, 0: none */
    int directions;        /* 1 forward, 2 bidirectional */
    int output;            /* floats per output row: directions * (proj ? proj : hidden) */
    const char *weights;   /* the safetensors file (PyTorch convention but for lstmc's variants) */
    PeerCell cell;         /* --gru, --rnn: PyTorch's nn.GRU or nn.RNN (tanh) on the same names */
} PeerModel;

/* Prepares the system for m (reads weights, packs them, allocates): nothing
 * of this is timed. Returns NULL, or a message saying why the system cannot
 * run m. Writes a one-line description of how it runs (shown in the report)
 * to note, at most note_size bytes. */
const char *peer_setup(const PeerModel *m, char *note, int note_size);

/* One whole sequence batch from a zero state: x is [steps][batch][input],
 * y receives [steps][batch][output]. This is what is timed. */
void peer_run(const float *x, float *y);

/* For peer_setup: tensor `name` of m->weights as float32, checked to hold
 * `count` values; exits with a message if it is missing or mis-shaped.
 * The memory lives until the program ends. */
const float *peer_tensor(const PeerModel *m, const char *name, long count);

#endif
