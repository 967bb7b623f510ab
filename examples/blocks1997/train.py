"""train.py - trains a 1997 LSTM with memory cell blocks on the embedded
Reber grammar and scores it on the test set.

The cell is Hochreiter & Schmidhuber's (1997) as grammar/SPEC.md defines
it: BLOCKS blocks of CELLS cells; the cells of a block share one input gate
and one output gate; there is no forget gate (c' = c + i g, the constant
error carousel); gates and cell input see [x, h]; the paper's squashing
functions g = 4 sigmoid(x) - 2 and h = 2 sigmoid(x) - 1. PyTorch has no
such layer, so Block1997 below implements it step by step.

Task (the paper's experiment 1): next-symbol prediction on strings of the
embedded Reber grammar, one-hot inputs over B T P S X V E; the targets are
every symbol the grammar allows next, through 7 sigmoid outputs. A step is
right when exactly the allowed symbols' outputs exceed 0.5; a string when
all its steps are. The hard step is the penultimate symbol, which must
repeat the T or P chosen second in the string, across the whole inner
Reber string.

Writes weights.safetensors (lstmc's native names: mem.w_i, mem.w_o [blocks,
7 + cells], mem.w_g [cells, 7 + cells], their biases; head.weight,
head.bias) and results.txt (PyTorch's test scores), which `make
example-blocks1997` compares with the compiled program's.

    /usr/bin/python3 examples/blocks1997/train.py       (CPU, one thread)
"""
import os
import random
import sys
import time

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "common"))
from lstmc_example import XorShift, write_safetensors  # noqa: E402

SYMBOLS = "BTPSXVE"
BLOCKS, CELLS_PER_BLOCK = 4, 2
HIDDEN = BLOCKS * CELLS_PER_BLOCK
TEST_N = 1000       # test strings; test.c draws the same ones
TEST_SEED = 1997
BATCH = 32

# The Reber grammar: state -> the (symbol, next state) choices; state 6 is
# the end (E). Each choice between two is one draw of below(2).
REBER = {1: [("T", 2), ("P", 3)], 2: [("S", 2), ("X", 4)], 3: [("T", 3), ("V", 5)],
         4: [("X", 3), ("S", 6)], 5: [("P", 4), ("V", 6)]}


def embedded_reber(below):
    """One string and, per symbol but the last, the set of allowed next
    symbols; below(n) draws the choices (as test.c's embedded_reber)."""
    outer = "TP"[below(2)]
    syms, allowed = ["B", outer, "B"], [{"T", "P"}, {"B"}, {"T", "P"}]
    state = 1
    while state != 6:
        sym, state = REBER[state][below(2)]
        syms.append(sym)
        allowed.append({s for s, _ in REBER[state]} if state != 6 else {"E"})
    syms.append("E")
    allowed.append({outer})     # the long-term dependency
    syms.append(outer)
    allowed.append({"E"})
    syms.append("E")
    return syms, allowed


def encode(strings):
    """Padded one-hot inputs [N, L, 7], targets [N, L, 7], mask [N, L]."""
    L = max(len(s) - 1 for s, _ in strings)
    x = np.zeros((len(strings), L, 7), np.float32)
    y = np.zeros((len(strings), L, 7), np.float32)
    m = np.zeros((len(strings), L), np.float32)
    for n, (syms, allowed) in enumerate(strings):
        for t in range(len(syms) - 1):
            x[n, t, SYMBOLS.index(syms[t])] = 1
            for s in allowed[t]:
                y[n, t, SYMBOLS.index(s)] = 1
            m[n, t] = 1
    return torch.tensor(x), torch.tensor(y), torch.tensor(m)


class Block1997(torch.nn.Module):
    """Memory cell blocks without forget gate, named as lstmc's native
    convention names them."""

    def __init__(self, inputs, blocks, cells_per_block):
        super().__init__()
        self.S = cells_per_block
        H = blocks * cells_per_block
        K = inputs + H
        bound = 1 / H ** 0.5

        def param(*shape, fill=None):
            t = torch.empty(*shape).uniform_(-bound, bound) if fill is None else torch.full(shape, fill)
            return torch.nn.Parameter(t)
        self.w_i, self.b_i = param(blocks, K), param(blocks, fill=-1.0)
        self.w_o, self.b_o = param(blocks, K), param(blocks, fill=-1.0)
        self.w_g, self.b_g = param(H, K), param(H)

    def forward(self, x):
        N, L, _ = x.shape
        h = x.new_zeros(N, self.w_g.shape[0])
        c = torch.zeros_like(h)
        out = []
        for t in range(L):
            z = torch.cat([x[:, t], h], dim=1)
            i = torch.sigmoid(z @ self.w_i.T + self.b_i).repeat_interleave(self.S, dim=1)
            o = torch.sigmoid(z @ self.w_o.T + self.b_o).repeat_interleave(self.S, dim=1)
            g = 4 * torch.sigmoid(z @ self.w_g.T + self.b_g) - 2
            c = c + i * g
            h = o * (2 * torch.sigmoid(c) - 1)
            out.append(h)
        return torch.stack(out, dim=1)


class Predictor(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.mem = Block1997(7, BLOCKS, CELLS_PER_BLOCK)
        self.head = torch.nn.Linear(HIDDEN, 7)

    def forward(self, x):
        return self.head(self.mem(x))   # logits; the spec's head applies the sigmoid


def score(model, strings):
    """(strings right, penultimate symbols right), as test.c counts them."""
    x, y, m = encode(strings)
    with torch.no_grad():
        p = torch.sigmoid(model(x))
    step_ok = ((p > 0.5) == (y > 0.5)).all(dim=2) | (m == 0)
    strings_ok = int(step_ok.all(dim=1).sum())
    last = torch.tensor([len(s) - 3 for s, _ in strings])   # step predicting the penultimate
    penult_ok = int(step_ok[torch.arange(len(strings)), last].sum())
    return strings_ok, penult_ok


def main():
    torch.set_num_threads(1)
    torch.manual_seed(1)
    py = random.Random(2)
    model = Predictor()
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    rng = XorShift(TEST_SEED)
    test = [embedded_reber(rng.below) for _ in range(TEST_N)]
    val = [embedded_reber(py.randrange) for _ in range(500)]
    start = time.time()
    step = 0
    while True:
        x, y, m = encode([embedded_reber(py.randrange) for _ in range(BATCH)])
        bce = torch.nn.functional.binary_cross_entropy_with_logits(model(x), y, reduction="none")
        loss = (bce.sum(dim=2) * m).sum() / m.sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
        step += 1
        if step % 250 == 0:
            ok, pen = score(model, val)
            print("step %d  loss %.4f  validation: strings %d/500, penultimate %d/500  %.0f s"
                  % (step, float(loss), ok, pen, time.time() - start), flush=True)
            if ok == 500 or step >= 10000:
                break
    seconds = time.time() - start
    ok, pen = score(model, test)
    # How close PyTorch's outputs come to the 0.5 threshold: the compiled
    # float32 code (within ~1e-6 of PyTorch) can only disagree on outputs
    # this close, so the margin says how much the counts may differ (0 if
    # the margin exceeds 1e-5).
    x, y, m = encode(test)
    with torch.no_grad():
        p = torch.sigmoid(model(x))
    margin = float(((p - 0.5).abs() + (1 - m).unsqueeze(2)).min())
    # The paper's error measure, over every output of every step: compares
    # the outputs themselves, not only which side of 0.5 they fall on.
    mse = float((((p.double() - y.double()) ** 2).sum(dim=2) * m).sum() / (7 * m.sum()))
    sd = model.state_dict()
    write_safetensors(os.path.join(HERE, "weights.safetensors"),
                      {k: v.numpy() for k, v in sd.items()})
    with open(os.path.join(HERE, "results.txt"), "w") as f:
        f.write("# written by train.py: PyTorch 1.13, float32, on test.c's test set\n")
        f.write("strings %d\n" % TEST_N)
        f.write("correct %d\n" % ok)
        f.write("penultimate %d\n" % pen)
        f.write("mse %.9g\n" % mse)
        f.write("margin %.3g\n" % margin)
        f.write("train_steps %d\n" % step)
        f.write("train_seconds %.0f\n" % seconds)
    print("test: %d/%d strings right, penultimate %d/%d, MSE %.6g; outputs at least %.3g "
          "from 0.5; %d steps in %.0f s" % (ok, TEST_N, pen, TEST_N, mse, margin, step, seconds))


if __name__ == "__main__":
    main()
