#!/usr/bin/python3
"""Generates the model zoo of lstmc's tests (tests/fixtures/zoo, make check-zoo).

Each case is an ordinary PyTorch model, written as a user writes one (an
nn.Module with its own forward: a tagger, classifier heads on h_n, pooling,
token ids, an LSTMCell loop...), at tiny sizes, with deterministic weights,
run by PyTorch 1.13 on a few sequences (batch 1, each on its own). Its
folder tests/fixtures/zoo/CASE gets
  model.lstm           the spec a user would write for it by hand (SPECS below)
  weights.safetensors  model.state_dict(), saved directly, under its names
  input.txt            the sequences (features, or token ids), a blank line between
  expected.txt         PyTorch's output rows for them
  opset_N.onnx         torch.onnx.export at the oldest opset PyTorch 1.13
                       exports the model at (tried from 7 up) and at 17,
                       batch 1 and the time axis free; none when PyTorch
                       cannot export it (the reason goes to case.json)
  opset_N.expected     for a model lstmc import must refuse: its message
                       (written by tests/run_zoo.sh with LSTMC_UPDATE=1)
  case.json            what was generated, with which versions.
tests/run_zoo.sh imports each ONNX file and runs the spec and each import
through the interpreter, a built program, --jit and the object.

The outputs are committed; this script is only needed to add or change a
case. Run it with Debian's python3-torch:

    /usr/bin/python3 tests/reference/gen_zoo.py [CASE...]
"""
import io
import json
import os
import sys
import warnings

import numpy as np
import torch
from torch import nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
ZOO = os.path.join(os.path.dirname(HERE), "fixtures", "zoo")
sys.path.insert(0, HERE)
from lstm_ref import rows, write_safetensors  # noqa: E402

NEWEST_OPSET = 17


# ---- the models, as users write them ----

class Tagger(nn.Module):
    """A sequence tagger: a score per tag at every step (time first)."""
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(4, 6)
        self.fc = nn.Linear(6, 3)

    def forward(self, x):                      # x [T, B, 4]
        y, _ = self.lstm(x)
        return self.fc(y)


class TaggerBatchFirstLogSoftmax(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(3, 5, batch_first=True)
        self.fc = nn.Linear(5, 4)

    def forward(self, x):                      # x [B, T, 3]
        y, _ = self.lstm(x)
        return F.log_softmax(self.fc(y), dim=-1)


class BidirHnClassifier(nn.Module):
    """The common bidirectional classifier: fc(cat(h_n[-2], h_n[-1]))."""
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(4, 5, batch_first=True, bidirectional=True)
        self.fc = nn.Linear(10, 3)

    def forward(self, x):
        _, (h_n, _) = self.lstm(x)
        return self.fc(torch.cat((h_n[-2], h_n[-1]), dim=1))


class EmbeddingLM(nn.Module):
    """A character language model: ids -> embedding -> LSTM -> logits."""
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(12, 4)
        self.lstm = nn.LSTM(4, 6, batch_first=True)
        self.decoder = nn.Linear(6, 12)

    def forward(self, ids):                    # ids [B, T]
        y, _ = self.lstm(self.embed(ids))
        return self.decoder(y)


class MeanPooled(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(3, 6, batch_first=True)
        self.classifier = nn.Linear(6, 2)

    def forward(self, x):
        y, _ = self.lstm(x)
        return self.classifier(y.mean(dim=1))


class MaxPooledBidir(nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = nn.LSTM(3, 4, bidirectional=True)
        self.out = nn.Linear(8, 3)

    def forward(self, x):                      # x [T, B, 3]
        y, _ = self.rnn(x)
        return self.out(torch.max(y, dim=0).values)


class CellStepper(nn.Module):
    """An nn.LSTMCell stepped in a Python loop, a head on each h."""
    def __init__(self):
        super().__init__()
        self.cell = nn.LSTMCell(3, 5)
        self.head = nn.Linear(5, 2)

    def forward(self, x):                      # x [T, B, 3]
        h = torch.zeros(x.size(1), 5)
        c = torch.zeros(x.size(1), 5)
        outs = []
        for t in range(x.size(0)):
            h, c = self.cell(x[t], (h, c))
            outs.append(self.head(h))
        return torch.stack(outs)


class StackedDropout(nn.Module):
    """Two layers with dropout between them (eval mode: none), the last step."""
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(4, 5, num_layers=2, dropout=0.3)
        self.drop = nn.Dropout(0.5)
        self.fc = nn.Linear(5, 2)

    def forward(self, x):
        y, _ = self.lstm(x)
        return self.fc(self.drop(y[-1]))


class Projection(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(3, 6, proj_size=2, batch_first=True)

    def forward(self, x):
        y, _ = self.lstm(x)
        return y


class GruClassifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.gru = nn.GRU(4, 5, batch_first=True)
        self.fc = nn.Linear(5, 3)

    def forward(self, x):
        _, h_n = self.gru(x)
        return self.fc(h_n[-1])


class RnnClassifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = nn.RNN(3, 5)
        self.fc = nn.Linear(5, 2)

    def forward(self, x):
        y, _ = self.rnn(x)
        return torch.sigmoid(self.fc(y[-1]))


class LastStepLogSoftmax(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(4, 6, batch_first=True)
        self.fc = nn.Linear(6, 5)

    def forward(self, x):
        y, _ = self.lstm(x)
        return torch.log_softmax(self.fc(y[:, -1, :]), dim=1)


class ReverseOnly(nn.Module):
    """An LSTM that reads the sequence from its last step to its first
    (the input flipped in time), classified from its final state."""
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(3, 4)
        self.fc = nn.Linear(4, 2)

    def forward(self, x):                      # x [T, B, 3]
        _, (h_n, _) = self.lstm(torch.flip(x, [0]))
        return self.fc(h_n[-1])


class StackedBidirHn(nn.Module):
    """Two bidirectional layers, the last layer's h_n of both directions."""
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(3, 4, num_layers=2, bidirectional=True, batch_first=True)
        self.fc = nn.Linear(8, 2)

    def forward(self, x):
        _, (h_n, _) = self.lstm(x)
        return self.fc(torch.cat((h_n[-2], h_n[-1]), dim=1))


class StackedBidirHnView(nn.Module):
    """The same, through PyTorch's documented view of h_n."""
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(3, 4, num_layers=2, bidirectional=True)
        self.fc = nn.Linear(8, 2)

    def forward(self, x):
        _, (h_n, _) = self.lstm(x)
        last = h_n.view(2, 2, x.size(1), 4)[-1]
        return self.fc(torch.cat((last[0], last[1]), dim=1))


class EmbeddingBidirClassifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(10, 4)
        self.lstm = nn.LSTM(4, 3, batch_first=True, bidirectional=True)
        self.fc = nn.Linear(6, 3)

    def forward(self, ids):
        _, (h_n, _) = self.lstm(self.emb(ids))
        return F.log_softmax(self.fc(torch.cat([h_n[-2], h_n[-1]], dim=1)), dim=1)


class GruBidirTagger(nn.Module):
    def __init__(self):
        super().__init__()
        self.gru = nn.GRU(3, 4, num_layers=2, bidirectional=True)
        self.fc = nn.Linear(8, 3)

    def forward(self, x):
        y, _ = self.gru(x)
        return torch.softmax(self.fc(y), dim=-1)


class RnnReluTaggerNoBias(nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = nn.RNN(4, 5, nonlinearity="relu", bias=False, batch_first=True)
        self.fc = nn.Linear(5, 2, bias=False)

    def forward(self, x):
        y, _ = self.rnn(x)
        return torch.tanh(self.fc(y))


class BareLstm(nn.Module):
    """No head: the model is the LSTM (saved directly: weight_ih_l0...)."""
    def __init__(self):
        super().__init__()
        self.l = nn.LSTM(3, 4)

    def forward(self, x):
        return self.l(x)[0]


class ReverseTagger(nn.Module):
    """A tagger over the sequence read backward, its outputs flipped back
    into the input's order (batch first)."""
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(3, 4, batch_first=True)
        self.fc = nn.Linear(4, 3)

    def forward(self, x):                      # x [B, T, 3]
        y, _ = self.lstm(x.flip(1))
        return self.fc(y.flip(1))


# ---- the cases: model, input (features or a vocabulary), layout, hand-written spec ----

def spec(name, body, tokens=False, inputs=0, output="sequence"):
    head = "    input tokens;\n" if tokens else "    input %d;\n" % inputs
    return ("# The zoo's %s (tests/reference/gen_zoo.py), written by hand.\nmodel %s {\n%s"
            "    weights \"weights.safetensors\";\n%s    output %s;\n}\n"
            % (name, name, head, "".join("    %s\n" % line for line in body.strip().split("\n")), output))


CASES = [
    dict(name="z01_tagger", make=Tagger, inputs=4, batch_first=False, body="""
lstm lstm { hidden 6; from pytorch "lstm"; }
dense fc { units 3; from pytorch "fc"; }"""),
    dict(name="z02_tagger_batch_first_log_softmax", make=TaggerBatchFirstLogSoftmax, inputs=3, batch_first=True,
         body="""
lstm lstm { hidden 5; from pytorch "lstm"; }
dense fc { units 4; activation log_softmax; from pytorch "fc"; }"""),
    dict(name="z03_bidir_h_n_classifier", make=BidirHnClassifier, inputs=4, batch_first=True, output="final",
         body="""
lstm lstm { hidden 5; direction bidirectional; from pytorch "lstm"; }
dense fc { units 3; from pytorch "fc"; }"""),
    dict(name="z04_embedding_lm", make=EmbeddingLM, vocab=12, batch_first=True, body="""
embedding embed { vocabulary 12; dim 4; from pytorch "embed"; }
lstm lstm { hidden 6; from pytorch "lstm"; }
dense decoder { units 12; from pytorch "decoder"; }"""),
    dict(name="z05_mean_pooled", make=MeanPooled, inputs=3, batch_first=True, output="mean", body="""
lstm lstm { hidden 6; from pytorch "lstm"; }
dense classifier { units 2; from pytorch "classifier"; }"""),
    dict(name="z06_max_pooled_bidir", make=MaxPooledBidir, inputs=3, batch_first=False, output="max", body="""
lstm rnn { hidden 4; direction bidirectional; from pytorch "rnn"; }
dense out { units 3; from pytorch "out"; }"""),
    dict(name="z07_lstm_cell_stepper", make=CellStepper, inputs=3, batch_first=False, import_refused=True, body="""
lstm cell { hidden 5; from pytorch "cell"; }
dense head { units 2; from pytorch "head"; }"""),
    dict(name="z08_stacked_dropout_last", make=StackedDropout, inputs=4, batch_first=False, output="last", body="""
lstm lstm { hidden 5; layers 2; from pytorch "lstm"; }
dense fc { units 2; from pytorch "fc"; }"""),
    dict(name="z09_projection", make=Projection, inputs=3, batch_first=True, body="""
lstm lstm { hidden 6; projection 2; from pytorch "lstm"; }"""),
    dict(name="z10_gru_h_n_classifier", make=GruClassifier, inputs=4, batch_first=True, output="last", body="""
gru gru { hidden 5; reset after; from pytorch "gru"; }
dense fc { units 3; from pytorch "fc"; }"""),
    dict(name="z11_rnn_sigmoid_last", make=RnnClassifier, inputs=3, batch_first=False, output="last", body="""
rnn rnn { hidden 5; from pytorch "rnn"; }
dense fc { units 2; activation sigmoid; from pytorch "fc"; }"""),
    dict(name="z12_last_step_log_softmax", make=LastStepLogSoftmax, inputs=4, batch_first=True, output="last",
         body="""
lstm lstm { hidden 6; from pytorch "lstm"; }
dense fc { units 5; activation log_softmax; from pytorch "fc"; }"""),
    dict(name="z13_reverse_only_h_n", make=ReverseOnly, inputs=3, batch_first=False, output="final", body="""
lstm lstm { hidden 4; direction backward; from pytorch "lstm"; }
dense fc { units 2; from pytorch "fc"; }"""),
    dict(name="z14_stacked_bidir_h_n", make=StackedBidirHn, inputs=3, batch_first=True, output="final", body="""
lstm lstm { hidden 4; layers 2; direction bidirectional; from pytorch "lstm"; }
dense fc { units 2; from pytorch "fc"; }"""),
    dict(name="z15_stacked_bidir_h_n_view", make=StackedBidirHnView, inputs=3, batch_first=False, output="final",
         body="""
lstm lstm { hidden 4; layers 2; direction bidirectional; from pytorch "lstm"; }
dense fc { units 2; from pytorch "fc"; }"""),
    dict(name="z16_embedding_bidir_classifier", make=EmbeddingBidirClassifier, vocab=10, batch_first=True,
         output="final", body="""
embedding emb { vocabulary 10; dim 4; from pytorch "emb"; }
lstm lstm { hidden 3; direction bidirectional; from pytorch "lstm"; }
dense fc { units 3; activation log_softmax; from pytorch "fc"; }"""),
    dict(name="z17_gru_bidir_stacked_softmax", make=GruBidirTagger, inputs=3, batch_first=False, body="""
gru gru { hidden 4; layers 2; direction bidirectional; reset after; from pytorch "gru"; }
dense fc { units 3; activation softmax; from pytorch "fc"; }"""),
    dict(name="z18_rnn_relu_no_bias_tanh", make=RnnReluTaggerNoBias, inputs=4, batch_first=True, body="""
rnn rnn { hidden 5; activation relu; no_bias; from pytorch "rnn"; }
dense fc { units 2; activation tanh; no_bias; from pytorch "fc"; }"""),
    dict(name="z19_bare_lstm", make=BareLstm, inputs=3, batch_first=False, body="""
lstm l { hidden 4; from pytorch "l"; }"""),
    dict(name="z20_reverse_tagger", make=ReverseTagger, inputs=3, batch_first=True, body="""
lstm lstm { hidden 4; direction backward; from pytorch "lstm"; }
dense fc { units 3; from pytorch "fc"; }"""),
]

STEPS = [6, 3, 1]     # the sequences' lengths: one of a single step


def example(case, steps):
    """A batch-1 example input in the model's own layout."""
    shape = [1, steps] if case["batch_first"] else [steps, 1]
    if "vocab" in case:
        return torch.zeros(shape, dtype=torch.int64)
    return torch.zeros(shape + [case["inputs"]])


def export(model, case, opset):
    """The model exported at opset (batch 1, the time axis free), checked by
    onnx's checker; None with the exporter's message when it cannot."""
    import onnx
    buf = io.BytesIO()
    axis = 1 if case["batch_first"] else 0
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(model, (example(case, 3),), buf, opset_version=opset,
                              input_names=["x"], output_names=["y"], dynamic_axes={"x": {axis: "steps"}},
                              do_constant_folding=True)
        data = buf.getvalue()
        onnx.checker.check_model(onnx.load_model_from_string(data), full_check=True)
    except Exception as e:    # noqa: BLE001 (the exporter's refusals have many types)
        text = str(e).strip().split("\n")[0]
        text = text.split(" Please feel free")[0].split(" [Caused by")[0]
        return None, "%s: %s" % (type(e).__name__, text)
    return data, None


def not_exported(refused):
    """{"7-8": message}: the opsets PyTorch refused, a range per message."""
    out, run = {}, []
    for opset in sorted(refused) + [None]:
        if run and (opset is None or opset != run[-1] + 1 or refused[opset] != refused[run[0]]):
            out["%d-%d" % (run[0], run[-1]) if len(run) > 1 else str(run[0])] = refused[run[0]]
            run = []
        if opset is not None:
            run.append(opset)
    return out


def generate(case, seed):
    import onnx
    torch.manual_seed(seed)
    model = case["make"]().eval()
    rng = np.random.default_rng(seed)
    with torch.no_grad():
        for p in model.parameters():      # well-spread weights, not the default init
            p.copy_(torch.from_numpy(rng.uniform(-0.6, 0.6, p.shape).astype(np.float32)))
    if "vocab" in case:
        seqs = [rng.integers(0, case["vocab"], n) for n in STEPS]
        seqs[0][0], seqs[0][-1] = 0, case["vocab"] - 1
        inputs = [torch.from_numpy(s.astype(np.int64)) for s in seqs]
        text = "\n\n".join(" ".join(str(int(i)) for i in s) for s in seqs)
    else:
        seqs = [rng.uniform(-1, 1, (n, case["inputs"])).astype(np.float32) for n in STEPS]
        inputs = [torch.from_numpy(s) for s in seqs]
        text = "\n\n".join(rows(s) for s in seqs)
    outs = []
    with torch.no_grad():
        for x in inputs:
            x = x[None] if case["batch_first"] else x[:, None]
            y = model(x).numpy()
            outs.append(y.reshape(-1, y.shape[-1]))          # drop the batch of 1

    folder = os.path.join(ZOO, case["name"])
    os.makedirs(folder, exist_ok=True)
    for f in os.listdir(folder):
        if f.endswith(".onnx"):
            os.remove(os.path.join(folder, f))
    tensors = {k: v.detach().numpy() for k, v in model.state_dict().items()}
    write_safetensors(os.path.join(folder, "weights.safetensors"), tensors)
    with open(os.path.join(folder, "model.lstm"), "w") as f:
        f.write(spec(case["name"], case["body"], "vocab" in case, case.get("inputs", 0),
                     case.get("output", "sequence")))
    with open(os.path.join(folder, "input.txt"), "w") as f:
        f.write(text + "\n")
    with open(os.path.join(folder, "expected.txt"), "w") as f:
        f.write("\n".join(rows(y) for y in outs) + "\n")

    exports, refused = [], {}
    for opset in range(7, NEWEST_OPSET + 1):
        data, why = export(model, case, opset)
        if data is None:
            refused[opset] = why
            continue
        exports.append(opset)
        with open(os.path.join(folder, "opset_%d.onnx" % opset), "wb") as f:
            f.write(data)
        if opset == NEWEST_OPSET or len(exports) == 1:
            if opset != NEWEST_OPSET:
                data, why = export(model, case, NEWEST_OPSET)
                if data is None:
                    refused[NEWEST_OPSET] = why
                else:
                    exports.append(NEWEST_OPSET)
                    with open(os.path.join(folder, "opset_%d.onnx" % NEWEST_OPSET), "wb") as f:
                        f.write(data)
            break
    ops = {}
    for opset in exports:
        proto = onnx.load(os.path.join(folder, "opset_%d.onnx" % opset))
        ops[opset] = sorted({n.op_type for n in proto.graph.node})
    meta = dict(name=case["name"], module=case["make"].__name__, doc=(case["make"].__doc__ or "").strip(),
                seed=seed, torch=torch.__version__, onnx=onnx.__version__, generator="tests/reference/gen_zoo.py",
                batch_first=case["batch_first"], steps=STEPS, import_refused=case.get("import_refused", False),
                input=("token ids < %d" % case["vocab"]) if "vocab" in case else "%d features" % case["inputs"],
                tensors={k: list(v.shape) for k, v in tensors.items()},
                opsets=exports, ops=ops, not_exported=not_exported(refused))
    with open(os.path.join(folder, "case.json"), "w") as f:
        json.dump(meta, f, indent=2)
        f.write("\n")
    print("wrote %-46s opsets %s" % (folder, exports or "none: " + list(refused.values())[-1]))


class FlippedBidir(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(3, 2, bidirectional=True)

    def forward(self, x):
        return self.lstm(torch.flip(x, [0]))[0]


class FlippedNotBack(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(3, 2)

    def forward(self, x):
        return self.lstm(torch.flip(x, [0]))[0]


def broken_graphs():
    """Flips lstmc import must refuse (tests/import/flip_*.onnx; their
    messages are the .expected files beside them, written by
    tests/run_onnx.sh with LSTMC_UPDATE=1): a bidirectional LSTM over the
    flipped sequence, and a flipped output not flipped back."""
    tests = os.path.dirname(HERE)
    for name, make in (("flip_bidirectional", FlippedBidir), ("flip_output_not_back", FlippedNotBack)):
        torch.manual_seed(1)
        case = dict(batch_first=False, inputs=3)
        data, why = export(make().eval(), case, NEWEST_OPSET)
        if data is None:
            raise SystemExit("%s: %s" % (name, why))
        with open(os.path.join(tests, "import", name + ".onnx"), "wb") as f:
            f.write(data)
        print("wrote tests/import/%s.onnx" % name)


class StateLstm(nn.Module):
    """nn.LSTM called with the caller's (h0, c0): initial_h and initial_c
    graph inputs (Slices of them per layer when stacked)."""
    def __init__(self, kind, layers, bidirectional):
        super().__init__()
        self.kind = kind
        self.rnn = getattr(nn, kind)(3, 4, num_layers=layers, bidirectional=bidirectional)

    def forward(self, x, h0, c0=None):
        return self.rnn(x, (h0, c0) if self.kind == "LSTM" else h0)[0]


STATE_CASES = [("state_lstm", "LSTM", 1, False), ("state_lstm_bidir_stacked", "LSTM", 2, True),
               ("state_gru_stacked", "GRU", 2, False)]


def state_graphs():
    """tests/fixtures/onnx_state/CASE: a recurrent model whose initial
    states are graph inputs (model.onnx, opset 14), which lstmc import reads
    as a start state given at run time: input.txt, state_in.txt (a row per
    sequence: h0.ravel(), then c0.ravel()) and expected.txt, PyTorch's
    outputs from those states (tests/run_onnx.sh runs the import with
    --state-in)."""
    import onnx
    for i, (name, kind, layers, bidir) in enumerate(STATE_CASES):
        torch.manual_seed(9000 + i)
        rng = np.random.default_rng(9000 + i)
        model = StateLstm(kind, layers, bidir).eval()
        with torch.no_grad():
            for p in model.parameters():
                p.copy_(torch.from_numpy(rng.uniform(-0.6, 0.6, p.shape).astype(np.float32)))
        n = layers * (2 if bidir else 1)
        lstm = kind == "LSTM"
        args = (torch.zeros(3, 1, 3), torch.zeros(n, 1, 4)) + ((torch.zeros(n, 1, 4),) if lstm else ())
        names = ["x", "h0"] + (["c0"] if lstm else [])
        buf = io.BytesIO()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(model, args, buf, opset_version=14, input_names=names, output_names=["y"],
                              dynamic_axes={"x": {0: "steps"}}, do_constant_folding=True)
        onnx.checker.check_model(onnx.load_model_from_string(buf.getvalue()), full_check=True)
        folder = os.path.join(os.path.dirname(ZOO), "onnx_state", name)
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, "model.onnx"), "wb") as f:
            f.write(buf.getvalue())
        seqs, states, outs = [], [], []
        for steps in STEPS:
            x = rng.uniform(-1, 1, (steps, 3)).astype(np.float32)
            h0 = rng.uniform(-0.8, 0.8, (n, 1, 4)).astype(np.float32)
            c0 = rng.uniform(-0.8, 0.8, (n, 1, 4)).astype(np.float32)
            with torch.no_grad():
                y = model(torch.from_numpy(x)[:, None], torch.from_numpy(h0),
                          *((torch.from_numpy(c0),) if lstm else ())).numpy()
            seqs.append(x)
            states.append(np.concatenate([h0.ravel()] + ([c0.ravel()] if lstm else [])))
            outs.append(y.reshape(steps, -1))
        with open(os.path.join(folder, "input.txt"), "w") as f:
            f.write("\n\n".join(rows(x) for x in seqs) + "\n")
        with open(os.path.join(folder, "state_in.txt"), "w") as f:
            f.write(rows(np.stack(states)) + "\n")
        with open(os.path.join(folder, "expected.txt"), "w") as f:
            f.write("\n".join(rows(y) for y in outs) + "\n")
        print("wrote %s" % folder)


def main():
    which = sys.argv[1:]
    for i, c in enumerate(CASES):
        if not which or c["name"] in which:
            generate(c, 8000 + i)
    if not which:
        broken_graphs()
        state_graphs()
    return 0


if __name__ == "__main__":
    sys.exit(main())
