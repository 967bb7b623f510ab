"""train.py - trains the adding-problem LSTM and scores it on the test set.

The adding problem of Hochreiter & Schmidhuber (1997, experiment 4): each
step is a pair (value, marker); values are uniform in [-1, 1]; two steps
are marked 1.0, the first among the first 10 steps, the second among the
first T/2 - 1; the first and last steps are marked -1.0 unless marked 1.0;
every other marker is 0. The target, given after the last step, is
0.5 + (X1 + X2) / 4 for the two marked values. A sequence counts as solved
when the absolute error is below 0.04.

Training: Adam on batches of 64 fresh sequences, the forget gate's bias
started at 1, and a curriculum of sequence lengths 20, 40, 60, 80, then
100 (the next length once 95% of a validation batch is solved); it stops
at T = 100 once 99% are solved. Without the curriculum the loss sat on the
plateau of predicting the mean (MSE 0.042) for 2000+ steps.

Writes weights.safetensors (nn.LSTM "lstm" + nn.Linear "head", PyTorch
names) and results.txt (test MSE and solved count, from PyTorch in float32),
which `make example-adding` compares with the compiled program's.

    /usr/bin/python3 examples/adding/train.py       (CPU, one thread)
"""
import os
import sys
import time

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "common"))
from lstmc_example import XorShift, write_safetensors  # noqa: E402

T = 100            # sequence length
HIDDEN = 32
TEST_N = 2000      # test sequences; data.c draws the same ones
TEST_SEED = 1997   # seed of the test set's xorshift64*
THRESHOLD = 0.04   # the paper's "solved" criterion
BATCH = 64
CURRICULUM = [20, 40, 60, 80, 100]   # training sequence lengths, in turn
MAX_STEPS = 8000
FORGET_BIAS = 1.0
LR = 3e-3


def make_sequence(rng, t):
    """One sequence as data.c's make_sequence draws it: (inputs [t, 2], target)."""
    values = [2.0 * rng.uniform() - 1.0 for _ in range(t)]
    p1 = rng.below(10)
    p2 = rng.below(t // 2 - 1)
    while p2 == p1:
        p2 = rng.below(t // 2 - 1)
    marks = [0.0] * t
    marks[0] = marks[t - 1] = -1.0
    marks[p1] = marks[p2] = 1.0
    x = np.array([values, marks], dtype=np.float32).T
    return x, np.float32(0.5 + (values[p1] + values[p2]) / 4.0)


def test_set():
    rng = XorShift(TEST_SEED)
    seqs = [make_sequence(rng, T) for _ in range(TEST_N)]
    return (torch.tensor(np.stack([s[0] for s in seqs])),
            torch.tensor(np.array([s[1] for s in seqs])))


def train_batch(gen, n, t):
    """n training sequences of t steps from torch's generator (any
    generator will do)."""
    values = torch.rand(n, t, generator=gen) * 2 - 1
    p1 = torch.randint(0, 10, (n,), generator=gen)
    p2 = torch.randint(0, t // 2 - 1, (n,), generator=gen)
    p2 = torch.where(p2 == p1, (p2 + 1) % (t // 2 - 1), p2)
    marks = torch.zeros(n, t)
    marks[:, 0] = marks[:, t - 1] = -1.0
    rows = torch.arange(n)
    marks[rows, p1] = 1.0
    marks[rows, p2] = 1.0
    target = 0.5 + (values[rows, p1] + values[rows, p2]) / 4
    return torch.stack([values, marks], dim=2), target


class Adder(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = torch.nn.LSTM(2, HIDDEN, batch_first=True)
        self.head = torch.nn.Linear(HIDDEN, 1)
        # A forget gate that starts open keeps the first marked value alive
        # long enough for the gradient to find it.
        with torch.no_grad():
            self.lstm.bias_ih_l0[HIDDEN:2 * HIDDEN].fill_(FORGET_BIAS)

    def forward(self, x):
        out, _ = self.lstm(x)
        return self.head(out[:, -1]).squeeze(1)


def score(model, x, y):
    with torch.no_grad():
        err = model(x) - y
    return float((err ** 2).mean()), int((err.abs() < THRESHOLD).sum())


def main():
    torch.set_num_threads(1)
    torch.manual_seed(1)
    gen = torch.Generator().manual_seed(2)
    model = Adder()
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    test_x, test_y = test_set()
    # A curriculum: sequences of CURRICULUM[0] steps first, longer ones
    # each time the model solves 95% of a validation batch of the current
    # length, up to T.
    stage = 0
    val_x, val_y = train_batch(gen, 500, CURRICULUM[stage])
    start = time.time()
    step = 0
    while True:
        x, y = train_batch(gen, BATCH, CURRICULUM[stage])
        loss = ((model(x) - y) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        step += 1
        if step % 250 == 0:
            mse, solved = score(model, val_x, val_y)
            print("step %d  T %d  loss %.5f  validation MSE %.6f  solved %d/500  %.0f s"
                  % (step, CURRICULUM[stage], float(loss), mse, solved, time.time() - start),
                  flush=True)
            if CURRICULUM[stage] == T and (solved >= 495 or step >= MAX_STEPS):
                break
            if solved >= 475 and CURRICULUM[stage] < T:
                stage += 1
                val_x, val_y = train_batch(gen, 500, CURRICULUM[stage])
    seconds = time.time() - start
    mse, solved = score(model, test_x, test_y)
    with torch.no_grad():
        err = (model(test_x) - test_y).abs()
    # Sequences whose error lies this close to the threshold could be
    # judged differently by the compiled float32 code (outputs agree to
    # ~1e-6): the solved count may differ by at most this many.
    borderline = int(((err - THRESHOLD).abs() < 1e-5).sum())
    sd = model.state_dict()
    write_safetensors(os.path.join(HERE, "weights.safetensors"),
                      {k: v.numpy() for k, v in sd.items()})
    with open(os.path.join(HERE, "results.txt"), "w") as f:
        f.write("# written by train.py: PyTorch 1.13, float32, on data.c's test set\n")
        f.write("T %d\n" % T)
        f.write("sequences %d\n" % TEST_N)
        f.write("mse %.9g\n" % mse)
        f.write("solved %d\n" % solved)
        f.write("borderline %d\n" % borderline)
        f.write("train_steps %d\n" % step)
        f.write("train_seconds %.0f\n" % seconds)
    print("test: MSE %.6g, solved %d/%d (|error| < %g), %d steps in %.0f s"
          % (mse, solved, TEST_N, THRESHOLD, step, seconds))


if __name__ == "__main__":
    main()
