#!/usr/bin/python3
"""Generates PyTorch reference fixtures for lstmc.

Each case is built with torch.nn (CPU, float32, one thread), given
deterministic weights and inputs, and run by PyTorch; the case folder gets
the same files as the shared fixtures (see tests/fixtures/README.md):
weights.safetensors (state_dict() names, or Keras names for a case with
"keras": True), input.txt, expected.txt (PyTorch's float32 output),
expected_ref.txt (the float64 NumPy reference of lstm_ref.py on the same
weights), case.json and model.onnx (torch.onnx.export, opset 14; PyTorch
cannot export a projection, so projected cases have none), and
tests/pytorch/<case>.lstm is the spec lstmc runs it with.

Every case is also run by lstm_ref.py, an implementation independent of
both PyTorch and lstmc: the generator stops if the two disagree by more
than 1e-5, and case.json records the difference. That cross-checks the
reference that tests/reference/gen_numpy.py relies on.

Cases with "batched": True run their sequences as one padded, packed batch
(nn.utils.rnn.pack_padded_sequence), the others one sequence at a time.
Cases with "initial_state": True give the module learned parameters h0
[L*D, 1, R] and c0 [L*D, 1, H], passed to nn.LSTM as (h0, c0) for every
sequence; PyTorch has no names for them, so the weights file holds them
under lstmc's pytorch names, lstm.h0_l{k} [R] and lstm.c0_l{k} [H] (with
_reverse for the backward direction), and the spec says `initial_state;`.

The outputs are committed, so this script is only needed to add or change a
case. It needs Debian's python3-torch and python3-onnx (run it with
/usr/bin/python3):

    /usr/bin/python3 tests/reference/gen_pytorch.py
"""
import io
import json
import os
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
TESTS = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import lstm_ref  # noqa: E402
from lstm_ref import rows, write_safetensors  # noqa: E402

TOLERANCE = 1e-5      # PyTorch float32 against the float64 reference


def heads_of(case):
    """The dense layers after the LSTM: (module name, units, activation)."""
    if "heads" in case:
        return [tuple(h) for h in case["heads"]]
    return [("head", case["units"], case["activation"] or "identity")] if case["units"] else []


def torch_activation(act, y):
    """A spec activation (lstm_ref's form) applied by PyTorch."""
    name, p = lstm_ref.act_name(act), lstm_ref.act_params(act)
    F = torch.nn.functional
    if name == "identity":
        return y
    if name == "softmax":
        return torch.softmax(y, dim=-1)
    if name == "log_softmax":
        return torch.log_softmax(y, dim=-1)
    if name == "tanh":
        return torch.tanh(y)
    if name == "sigmoid":
        return torch.sigmoid(y)
    if name == "relu":
        return torch.relu(y)
    if name == "softsign":
        return F.softsign(y)
    if name == "softplus":
        return F.softplus(y)
    if name == "elu":
        return F.elu(y, alpha=p[0])
    if name == "leaky_relu":
        return F.leaky_relu(y, negative_slope=p[0])
    if name == "hard_sigmoid" and p == (1 / 6, 0.5):
        return F.hardsigmoid(y)           # relu6(x + 3) / 6
    raise ValueError("no PyTorch activation for %r" % (act,))


class Model(torch.nn.Module):
    """nn.LSTM, optionally followed by Linear layers, each with an activation."""

    def __init__(self, case):
        super().__init__()
        self.lstm = torch.nn.LSTM(case["input"], case["hidden"], num_layers=case["layers"],
                                  bidirectional=case["bidirectional"], bias=case["bias"],
                                  proj_size=case["proj"])
        width = (case["proj"] or case["hidden"]) * (2 if case["bidirectional"] else 1)
        self.head_names = []
        for name, units, act in heads_of(case):
            self.add_module(name, torch.nn.Linear(width, units))
            self.head_names.append((name, act))
            width = units
        self.state = None
        self.case = case
        if case.get("initial_state"):
            # learned initial states, [layers * directions, batch 1, R or H]
            n = case["layers"] * (2 if case["bidirectional"] else 1)
            self.h0 = torch.nn.Parameter(torch.zeros(n, 1, case["proj"] or case["hidden"]))
            self.c0 = torch.nn.Parameter(torch.zeros(n, 1, case["hidden"]))
            self.state = (self.h0, self.c0)

    def heads(self, y):
        for name, act in self.head_names:
            y = torch_activation(act, getattr(self, name)(y))
        return y

    def forward(self, x):
        if self.state is not None:
            y, (h_n, _) = self.lstm(x, (self.h0, self.c0))     # [T, 1, width]
        else:
            y, (h_n, _) = self.lstm(x)           # [T, 1, width]
        form = self.case["output"]
        if form == "final":       # the classifier head's cat(h_n[-2], h_n[-1])
            y = (torch.cat([h_n[-2], h_n[-1]], dim=-1) if self.case["bidirectional"] else h_n[-1])[None]
        elif form == "mean":
            y = y.mean(dim=0, keepdim=True)
        elif form == "max":
            y = y.max(dim=0, keepdim=True).values
        return self.heads(y)[:, 0, :]

    def forward_batch(self, xs):
        """Sequences of different lengths as one packed batch: their outputs."""
        lengths = torch.tensor([len(x) for x in xs])
        padded = torch.nn.utils.rnn.pad_sequence([torch.from_numpy(x) for x in xs])
        packed = torch.nn.utils.rnn.pack_padded_sequence(padded, lengths, enforce_sorted=False)
        y, _ = self.lstm(packed)
        y, _ = torch.nn.utils.rnn.pad_packed_sequence(y)        # [Tmax, B, width]
        y = self.heads(y)
        return [y[:n, b, :].numpy() for b, n in enumerate(lengths.tolist())]


class Exported(torch.nn.Module):
    """What model.onnx computes: x [T, 1, I] to the spec's output rows."""

    def __init__(self, model, last):
        super().__init__()
        self.model, self.last = model, last

    def forward(self, x):
        y = self.model(x)
        return y[-1:] if self.last else y


CASES = [
    dict(name="p1_projection", input=5, hidden=12, layers=1, bidirectional=False, proj=4,
         bias=True, units=0, activation=None, output="sequence", steps=[9]),
    dict(name="p2_bidir_stacked", input=7, hidden=10, layers=2, bidirectional=True, proj=0,
         bias=True, units=3, activation="softmax", output="last", steps=[11, 6, 1]),
    dict(name="p3_no_bias_tanh_head", input=4, hidden=9, layers=3, bidirectional=False, proj=0,
         bias=False, units=6, activation="tanh", output="sequence", steps=[7, 5]),
    dict(name="p4_bidir_projection", input=6, hidden=16, layers=2, bidirectional=True, proj=5,
         bias=True, units=0, activation=None, output="sequence", steps=[8]),
    dict(name="p5_stacked_two_heads", input=6, hidden=12, layers=2, bidirectional=False, proj=0,
         bias=True, heads=[("hidden", 8, "relu"), ("out", 4, "softmax")], output="sequence",
         steps=[9, 5, 2], batched=True),
    dict(name="p6_bidir_sigmoid_last", input=5, hidden=10, layers=1, bidirectional=True, proj=0,
         bias=True, heads=[("head", 3, "sigmoid")], output="last", steps=[8, 8, 3, 1],
         batched=True),
    dict(name="p7_head_activations", input=4, hidden=14, layers=1, bidirectional=False, proj=0,
         bias=True, heads=[("d1", 10, ("elu", "0.5")), ("d2", 6, ("leaky_relu", "0.2")),
                           ("d3", 5, "softsign"), ("d4", 4, "softplus")],
         output="sequence", steps=[7, 4], batched=True),
    dict(name="p8_projection_stacked_last", input=5, hidden=16, layers=2, bidirectional=False,
         proj=6, bias=True, heads=[("head", 4, "tanh")], output="last", steps=[10, 6, 2],
         batched=True),
    dict(name="p9_bidir_projection_hardsigmoid", input=4, hidden=8, layers=1, bidirectional=True,
         proj=3, bias=True, heads=[("head", 5, ("hard_sigmoid", "1/6", "0.5"))],
         output="sequence", steps=[6, 3], batched=True),
    dict(name="p10_keras_bidir_stacked", input=5, hidden=9, layers=2, bidirectional=True, proj=0,
         bias=True, heads=[("dense", 3, "softmax")], output="last", steps=[8, 5, 1],
         batched=True, keras=True),
    dict(name="p11_keras_no_bias", input=6, hidden=11, layers=1, bidirectional=False, proj=0,
         bias=False, heads=[("dense", 4, "tanh")], output="sequence", steps=[7, 3],
         batched=True, keras=True),
    dict(name="p12_initial_state_bidir_stacked", input=5, hidden=8, layers=2, bidirectional=True,
         proj=0, bias=True, heads=[("head", 3, "tanh")], output="sequence", steps=[7, 4, 1],
         initial_state=True),
    # the classifier heads: fc(cat(h_n[-2], h_n[-1])), fc(h_n[-1]), pooling over time
    dict(name="p13_bidir_h_n_log_softmax", input=6, hidden=10, layers=1, bidirectional=True,
         proj=0, bias=True, heads=[("fc", 4, "log_softmax")], output="final", steps=[9, 4, 1]),
    dict(name="p14_stacked_h_n", input=5, hidden=9, layers=2, bidirectional=False, proj=0,
         bias=True, heads=[("fc", 5, "log_softmax")], output="final", steps=[10, 1]),
    dict(name="p15_bidir_projection_h_n", input=4, hidden=8, layers=2, bidirectional=True,
         proj=3, bias=True, heads=[("fc", 2, "identity")], output="final", steps=[7, 3]),
    dict(name="p16_mean_pooled", input=5, hidden=12, layers=2, bidirectional=False, proj=0,
         bias=True, heads=[("fc", 3, "softmax")], output="mean", steps=[8, 3, 1]),
    dict(name="p17_bidir_max_pooled", input=4, hidden=8, layers=1, bidirectional=True, proj=0,
         bias=True, heads=[("hid", 6, "relu"), ("fc", 3, "tanh")], output="max", steps=[7, 2]),
    # saved directly: an nn.LSTMCell stepper's names (cell.weight_ih), a bare nn.LSTM's (weight_ih_l0)
    dict(name="p18_lstm_cell_stepper", input=5, hidden=7, layers=1, bidirectional=False, proj=0,
         bias=True, heads=[("out", 3, "tanh")], output="sequence", steps=[6, 2], prefix="cell"),
    dict(name="p19_bare_lstm", input=4, hidden=6, layers=2, bidirectional=False, proj=0,
         bias=True, units=0, activation=None, output="sequence", steps=[5, 3], prefix=""),
]


def state_tensors(case, state):
    """The learned h0 [L*D, 1, R] and c0 [L*D, 1, H] of an initial_state
    case as one vector per layer and direction, under lstmc's pytorch names
    (PyTorch's index k * D + d is layer k, direction d)."""
    out = {}
    D = 2 if case["bidirectional"] else 1
    for k in range(case["layers"]):
        for d in range(D):
            sfx = "_l%d" % k + ("_reverse" if d else "")
            out["lstm.h0" + sfx] = state["h0"][k * D + d, 0]
            out["lstm.c0" + sfx] = state["c0"][k * D + d, 0]
    return out


def pytorch_tensors(case, state):
    """What the weights file of a pytorch-named case holds: the state_dict,
    with an initial_state case's h0 and c0 under lstmc's names."""
    if not case.get("initial_state"):
        return state
    out = {k: v for k, v in state.items() if k not in ("h0", "c0")}
    out.update(state_tensors(case, state))
    return out


def keras_prefixes(case):
    """Keras-style layer names, one per layer and direction, in the order
    `from keras` takes them (layer 0 forward, layer 0 backward, ...)."""
    out = []
    for k in range(case["layers"]):
        if case["bidirectional"]:
            out += ["bidirectional_%d.forward_lstm" % k, "bidirectional_%d.backward_lstm" % k]
        else:
            out.append("lstm_%d" % k)
    return out


def keras_tensors(case, state):
    """The PyTorch state under Keras names and layout: kernel [I, 4H] and
    recurrent_kernel [H, 4H] are the transposed PyTorch matrices (Keras'
    gate order i f c o is PyTorch's i f g o), bias the sum of both biases;
    a Linear becomes kernel [in, units] and bias."""
    out = {}
    prefixes = iter(keras_prefixes(case))
    for k in range(case["layers"]):
        for sfx in ["_l%d" % k, "_l%d_reverse" % k][:2 if case["bidirectional"] else 1]:
            p = next(prefixes)
            out[p + ".kernel"] = state["lstm.weight_ih" + sfx].T
            out[p + ".recurrent_kernel"] = state["lstm.weight_hh" + sfx].T
            if case["bias"]:
                out[p + ".bias"] = (state["lstm.bias_ih" + sfx].astype(np.float64) +
                                    state["lstm.bias_hh" + sfx]).astype(np.float32)
    for name, _, _ in heads_of(case):
        out[name + ".kernel"] = state[name + ".weight"].T
        out[name + ".bias"] = state[name + ".bias"]
    return out


def reference_model(case, keras=False):
    """The case as an lstm_ref model, which reads native_weights(); with
    keras, as its spec names the Keras tensors."""
    layers = [dict(kind="lstm", name="lstm", hidden=case["hidden"], layers=case["layers"],
                   direction="bidirectional" if case["bidirectional"] else "forward",
                   projection=case["proj"], bias=case["bias"], convention="pytorch",
                   prefixes=["lstm"])]
    if case.get("initial_state"):
        layers[0]["initial_state"] = True
    for name, units, act in heads_of(case):
        layers.append(dict(kind="dense", name=name, units=units, activation=act,
                           convention="pytorch", prefixes=[name]))
    if keras:
        layers[0].update(convention="keras", prefixes=keras_prefixes(case))
        for layer in layers[1:]:
            layer["convention"] = "keras"
    return dict(name=case["name"], input=case["input"], output=case["output"], layers=layers)


def native_weights(case, state):
    """PyTorch's state_dict in lstm_ref's native naming: rows of the stacked
    i f g o blocks split per gate, [W_ih | W_hh] side by side, the two
    biases summed (in float64), a learned h0 and c0 split per layer and
    direction."""
    H, out = case["hidden"], {}
    k_count = case["layers"]
    for k in range(k_count):
        for d, sfx in enumerate(["_l%d" % k, "_l%d_reverse" % k][:2 if case["bidirectional"] else 1]):
            native = ("_l%d" % k if k_count > 1 else "") + ("_reverse" if d else "")
            w = np.concatenate([state["lstm.weight_ih" + sfx], state["lstm.weight_hh" + sfx]],
                               axis=1).astype(np.float64)
            b = None
            if case["bias"]:
                b = (state["lstm.bias_ih" + sfx].astype(np.float64) + state["lstm.bias_hh" + sfx])
            for slot, letter in enumerate("ifgo"):
                out["lstm.w_%s%s" % (letter, native)] = w[slot * H:(slot + 1) * H]
                if b is not None:
                    out["lstm.b_%s%s" % (letter, native)] = b[slot * H:(slot + 1) * H]
            if case["proj"]:
                out["lstm.w_proj" + native] = state["lstm.weight_hr" + sfx]
            if case.get("initial_state"):
                D = 2 if case["bidirectional"] else 1
                out["lstm.h0" + native] = state["h0"][k * D + d, 0]
                out["lstm.c0" + native] = state["c0"][k * D + d, 0]
    for name, _, _ in heads_of(case):
        out[name + ".weight"] = state[name + ".weight"]
        out[name + ".bias"] = state[name + ".bias"]
    return out


def comment_for(case):
    heads = "".join(" + Linear(%d)%s" % (units, " + " + lstm_ref.act_text(act)
                                           if act != "identity" else "")
                    for _, units, act in heads_of(case))
    return ("Generated by tests/reference/gen_pytorch.py: nn.LSTM(%d, %d, num_layers=%d%s%s%s)%s%s%s."
            % (case["input"], case["hidden"], case["layers"],
               ", bidirectional=True" if case["bidirectional"] else "",
               ", proj_size=%d" % case["proj"] if case["proj"] else "",
               ", bias=False" if not case["bias"] else "",
               "(x, (h0, c0)) with learned h0, c0" if case.get("initial_state") else "", heads,
               ", under Keras names" if case.get("keras") else ""))


def export_onnx(model, case, path):
    """model.onnx: the case's model with input x [T, 1, I] (T free) and
    output y, its spec's output rows. None if PyTorch cannot export it."""
    if case["proj"]:
        return None        # torch.onnx: "LSTMs with projections" unsupported
    if case["output"] in ("final", "mean", "max") or case.get("prefix") is not None:
        return None        # see no_onnx_reason
    import onnx
    buf = io.BytesIO()
    torch.onnx.export(Exported(model, case["output"] == "last"),
                      (torch.zeros(3, 1, case["input"]),), buf, opset_version=14,
                      input_names=["x"], output_names=["y"], dynamic_axes={"x": {0: "steps"}},
                      do_constant_folding=True)
    data = buf.getvalue()
    proto = onnx.load_model_from_string(data)
    onnx.checker.check_model(proto, full_check=True)
    with open(path, "wb") as f:
        f.write(data)
    return dict(file="model.onnx", opset=14, onnx=onnx.__version__,
                exporter="torch.onnx.export (torch %s), do_constant_folding=True" % torch.__version__,
                input=dict(name="x", shape=["steps", 1, case["input"]]),
                output=dict(name="y", layout="[T, units] for output sequence, [1, units] for last"),
                ops=sorted({n.op_type for n in proto.graph.node}))


def no_onnx_reason(case):
    if case["proj"]:
        return "none: torch.onnx.export cannot export an LSTM with proj_size"
    if case.get("prefix") is not None:
        return "none: the case is about the names of a directly saved module"
    return "none: lstmc import does not take its pooling yet"


def run_cell(model, case, x):
    """An nn.LSTMCell stepped over x [T, I] with the weights of model.lstm
    (one forward layer), then model's heads on each h: [T, out]."""
    cell = torch.nn.LSTMCell(case["input"], case["hidden"], bias=case["bias"])
    with torch.no_grad():
        for name in ("weight_ih", "weight_hh") + (("bias_ih", "bias_hh") if case["bias"] else ()):
            getattr(cell, name).copy_(getattr(model.lstm, name + "_l0"))
        h = torch.zeros(1, case["hidden"])
        c = torch.zeros(1, case["hidden"])
        rows = []
        for t in range(x.shape[0]):
            h, c = cell(torch.from_numpy(x[t:t + 1]), (h, c))
            rows.append(model.heads(h))
    return torch.cat(rows).numpy()


def renamed(case, tensors):
    """The tensors under a case's own prefix for the LSTM: an nn.LSTMCell's
    names (prefix "cell": cell.weight_ih, no _l0) or a bare module's (prefix
    "": weight_ih_l0)."""
    if case.get("prefix") is None:
        return tensors
    out = {}
    for k, v in tensors.items():
        if k.startswith("lstm."):
            k = k[len("lstm."):]
            k = "cell." + k[:-len("_l0")] if case["prefix"] == "cell" else k
        out[k] = v
    return out


def generate(case, seed):
    torch.manual_seed(seed)
    model = Model(case).eval()
    rng = np.random.default_rng(seed)
    for p in model.parameters():   # well-spread weights, not the default init
        with torch.no_grad():
            p.copy_(torch.from_numpy(rng.uniform(-0.5, 0.5, p.shape).astype(np.float32)))
    state = {k: v.detach().numpy() for k, v in model.state_dict().items()}
    xs = [rng.standard_normal((steps, case["input"])).astype(np.float32) for steps in case["steps"]]
    with torch.no_grad():
        if case.get("batched"):
            ys = model.forward_batch(xs)
        elif case.get("prefix") == "cell":
            ys = [run_cell(model, case, x) for x in xs]
        else:
            ys = [model(torch.from_numpy(x)[:, None, :]).numpy() for x in xs]
    if case["output"] == "last":
        ys = [y[-1:] for y in ys]
    refs = lstm_ref.run_model(reference_model(case), native_weights(case, state),
                              [x.astype(np.float64) for x in xs])
    diff = max(float(np.max(np.abs(y - r))) for y, r in zip(ys, refs))
    if diff > TOLERANCE:
        raise SystemExit("%s: PyTorch and the float64 reference differ by %.3g" % (case["name"], diff))

    folder = os.path.join(TESTS, "fixtures", "pytorch", case["name"])
    os.makedirs(folder, exist_ok=True)
    tensors = keras_tensors(case, state) if case.get("keras") else renamed(case, pytorch_tensors(case, state))
    write_safetensors(os.path.join(folder, "weights.safetensors"), tensors)
    with open(os.path.join(folder, "input.txt"), "w") as f:
        f.write("\n\n".join(rows(x) for x in xs) + "\n")
    with open(os.path.join(folder, "expected.txt"), "w") as f:
        f.write("\n".join(rows(y) for y in ys) + "\n")
    with open(os.path.join(folder, "expected_ref.txt"), "w") as f:
        f.write("\n".join(rows(r, "%.17g") for r in refs) + "\n")
    onnx_meta = export_onnx(model, case, os.path.join(folder, "model.onnx"))
    meta = dict(case, seed=seed, torch=torch.__version__,
                tensors={k: list(v.shape) for k, v in tensors.items()},
                generator="tests/reference/gen_pytorch.py",
                max_abs_diff_torch_vs_numpy_f64=diff,
                onnx=onnx_meta or no_onnx_reason(case))
    with open(os.path.join(folder, "case.json"), "w") as f:
        json.dump(meta, f, indent=2)
        f.write("\n")
    spec_model = reference_model(case, keras=case.get("keras", False))
    if case.get("prefix") is not None:
        spec_model["layers"][0]["prefixes"] = [case["prefix"]]
    with open(os.path.join(TESTS, "pytorch", case["name"] + ".lstm"), "w") as f:
        f.write(lstm_ref.spec_text(spec_model, "../fixtures/pytorch/%s/weights.safetensors"
                                   % case["name"], comment_for(case)))
    print("wrote %-44s max |torch - float64 reference| %.3g" % (folder, diff))


def main():
    """Every case, or the cases named on the command line."""
    torch.set_num_threads(1)
    for i, case in enumerate(CASES):
        if len(sys.argv) < 2 or case["name"] in sys.argv[1:]:
            generate(case, 2000 + i)
    return 0


if __name__ == "__main__":
    sys.exit(main())
