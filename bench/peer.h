/*
 * peer.h - what every C system of the benchmark implements (driver.c for
 * lstmc's generated code, naive.c, onednn.c); peer.c holds main(): reading
 * the input, the check run and the timing protocol, the same for all.
 *
 * A system runs a forward LSTM of `layers` layers over `batch` sequences of
 * `steps` timesteps, starting from a zero state, and outputs the last
 * layer's h at every step.
 */
#ifndef BENCH_PEER_H
#define BENCH_PEER_H

typedef struct PeerModel {
    int input, hidden, layers, batch, steps;
    const char *weights;   /* the PyTorch-convention safetensors file */
} PeerModel;

/* Prepares the system for m (reads weights, packs them, allocates): nothing
 * of this is timed. Returns NULL, or a message saying why the system cannot
 * run m. Writes a one-line description of how it runs (shown in the report)
 * to note, at most note_size bytes. */
const char *peer_setup(const PeerModel *m, char *note, int note_size);

/* One whole sequence batch from a zero state: x is [steps][batch][input],
 * y receives [steps][batch][hidden]. This is what is timed. */
void peer_run(const float *x, float *y);

/* For peer_setup: tensor `name` of m->weights as float32, checked to hold
 * `count` values; exits with a message if it is missing or mis-shaped.
 * The memory lives until the program ends. */
const float *peer_tensor(const PeerModel *m, const char *name, long count);

#endif
