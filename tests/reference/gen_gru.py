#!/usr/bin/python3
"""Generates the GRU and RNN reference fixtures of lstmc.

Two kinds of case, each a folder of weights.safetensors, input.txt and
expected.txt (tests/fixtures/README.md) and a spec tests/<kind>/<case>.lstm:

- tests/fixtures/pytorch/g*: nn.GRU and nn.RNN (tanh, relu; stacked,
  bidirectional, with dense heads, after an nn.LSTM, with a learned h0,
  without bias) run by PyTorch (CPU, float32). Some hold the same model
  under Keras names (reset_after=True: bias [2, 3*units]) or ONNX names
  (W, R, B, linear_before_reset=1), so each convention's conversion is
  checked against PyTorch. Each also gets model.onnx (torch.onnx.export).
- tests/fixtures/onnx/onnx_gru_*, onnx_rnn_*: ONNX graphs of one GRU or RNN
  node with the attributes PyTorch never writes (linear_before_reset absent,
  i.e. 0; activations with alpha and beta; clip; reverse; a constant
  initial_h), for `lstmc import`, with gru_ref's outputs.
- tests/fixtures/numpy/r*: what PyTorch cannot express, run by gru_ref below
  (float64 NumPy): the Keras reset_after=False formulation, ONNX's default
  (linear_before_reset=0), ONNX-only attributes (activations with
  parameters, clip), native names, RNNs with other activations.

gru_ref is independent of lstmc and of PyTorch: one NumPy expression per
equation of grammar/SPEC.md. Every PyTorch case is also run by it, and the
generator stops if the two differ by more than 1e-5.

The outputs are committed; this script is only needed to add or change a
case. Run it with Debian's python3-torch and python3-onnx:

    /usr/bin/python3 tests/reference/gen_gru.py
"""
import io
import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
TESTS = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from lstm_ref import apply_activation, rows, write_safetensors  # noqa: E402

TOLERANCE = 1e-5


# ---- the float64 reference ----
#
# A layer's weights in PyTorch's form, per layer k and direction d:
# w_ih [P*H, I], w_hh [P*H, H], b_ih, b_hh [P*H] (None without bias), P = 3
# (rows r, z, n) for a GRU, 1 for an RNN; h0 [H] or None.

def act(text):
    """A spec activation ("tanh", "hard_sigmoid(0.2, 0.5)") in lstm_ref's form."""
    if "(" not in text:
        return text
    name, params = text.rstrip(")").split("(")
    return (name,) + tuple(p.strip() for p in params.split(","))


def clip(v, limit):
    return np.clip(v, -limit, limit) if limit else v


def gru_step(p, x, h, o):
    """One GRU step: the equations of grammar/SPEC.md, in float64."""
    H = h.shape[0]
    gi = p["w_ih"] @ x + (p["b_ih"] if p["b_ih"] is not None else 0)
    gh = p["w_hh"] @ h + (p["b_hh"] if p["b_hh"] is not None else 0)
    r = apply_activation(act(o["gate"]), clip(gi[:H] + gh[:H], o["clip"]))
    z = apply_activation(act(o["gate"]), clip(gi[H:2 * H] + gh[H:2 * H], o["clip"]))
    if o["reset"] == "after":
        pre = gi[2 * H:] + r * gh[2 * H:]
    else:
        b_hn = p["b_hh"][2 * H:] if p["b_hh"] is not None else 0
        pre = gi[2 * H:] + p["w_hh"][2 * H:] @ (r * h) + b_hn
    n = apply_activation(act(o["cand"]), clip(pre, o["clip"]))
    return (1 - z) * n + z * h


def rnn_step(p, x, h, o):
    pre = p["w_ih"] @ x + p["w_hh"] @ h
    if p["b_ih"] is not None:
        pre = pre + p["b_ih"] + p["b_hh"]
    return apply_activation(act(o["cand"]), clip(pre, o["clip"]))


def run_layer(case, params, xs):
    """A recurrent block over one sequence xs [T, I]: [T, D*H]."""
    step = gru_step if case["kind"] == "gru" else rnn_step
    for k in range(case["layers"]):
        outs = []
        for d in range(case["dirs"]):
            p = params[k][d]
            h = p["h0"].astype(np.float64) if p["h0"] is not None else np.zeros(case["hidden"])
            out = np.zeros((len(xs), case["hidden"]))
            order = range(len(xs) - 1, -1, -1) if d == 1 or case.get("backward") else range(len(xs))
            for t in order:
                h = step(p, xs[t], h, case)
                out[t] = h
            outs.append(out)
        xs = np.concatenate(outs, axis=1)
    return xs


def run_heads(case, w, ys):
    for name, units, a in case["heads"]:
        ys = ys @ w[name + ".weight"].T.astype(np.float64) + w[name + ".bias"]
        if a == "softmax":
            e = np.exp(ys - ys.max(1, keepdims=True))
            ys = e / e.sum(1, keepdims=True)
        else:
            ys = apply_activation(act(a), ys)
    return ys


# ---- the conventions' tensors ----

def parts(case):
    return 3 if case["kind"] == "gru" else 1


def zrn(a, case):
    """PyTorch's row order r, z, n as Keras' and ONNX's z, r, h."""
    if case["kind"] != "gru":
        return a
    H = case["hidden"]
    return np.concatenate([a[H:2 * H], a[:H], a[2 * H:]])


def pytorch_names(case, params, prefix):
    t = {}
    for k, per_dir in enumerate(params):
        for d, p in enumerate(per_dir):
            sfx = "_l%d%s" % (k, "_reverse" if d == 1 else "")
            t[prefix + ".weight_ih" + sfx] = p["w_ih"]
            t[prefix + ".weight_hh" + sfx] = p["w_hh"]
            if p["b_ih"] is not None:
                t[prefix + ".bias_ih" + sfx] = p["b_ih"]
                t[prefix + ".bias_hh" + sfx] = p["b_hh"]
            if p["h0"] is not None:
                t[prefix + ".h0" + sfx] = p["h0"]
    return t


def keras_prefixes(case, prefix):
    return ["%s_l%d_%s" % (prefix, k, "backward" if d else "forward")
            for k in range(case["layers"]) for d in range(case["dirs"])]


def keras_names(case, params, prefix):
    t, names = {}, iter(keras_prefixes(case, prefix))
    for per_dir in params:
        for p in per_dir:
            q = next(names)
            t[q + ".kernel"] = zrn(p["w_ih"], case).T
            t[q + ".recurrent_kernel"] = zrn(p["w_hh"], case).T
            if p["b_ih"] is not None:
                if case["kind"] == "gru" and case["reset"] == "after":
                    t[q + ".bias"] = np.stack([zrn(p["b_ih"], case), zrn(p["b_hh"], case)])
                else:
                    t[q + ".bias"] = zrn(p["b_ih"] + p["b_hh"], case)
            if p["h0"] is not None:
                t[q + ".h0"] = p["h0"]
    return t


def onnx_names(case, params, prefix):
    t = {}
    for k, per_dir in enumerate(params):
        q = "%s_%d" % (prefix, k)
        t[q + ".W"] = np.stack([zrn(p["w_ih"], case) for p in per_dir])
        t[q + ".R"] = np.stack([zrn(p["w_hh"], case) for p in per_dir])
        if per_dir[0]["b_ih"] is not None:
            t[q + ".B"] = np.stack([np.concatenate([zrn(p["b_ih"], case), zrn(p["b_hh"], case)])
                                    for p in per_dir])
        if per_dir[0]["h0"] is not None:
            t[q + ".initial_h"] = np.stack([p["h0"][None, :] for p in per_dir])
    return t


def native_names(case, params, prefix):
    t, H = {}, case["hidden"]
    for k, per_dir in enumerate(params):
        for d, p in enumerate(per_dir):
            sfx = ("_l%d" % k if case["layers"] > 1 else "") + ("_reverse" if d == 1 else "")
            w = np.concatenate([p["w_ih"], p["w_hh"]], axis=1)
            b = None if p["b_ih"] is None else p["b_ih"] + p["b_hh"]
            if case["kind"] == "rnn":
                t[prefix + ".w" + sfx] = w
                if b is not None:
                    t[prefix + ".b" + sfx] = b
            else:
                for j, part in enumerate("rzn"):
                    t[prefix + ".w_" + part + sfx] = w[j * H:(j + 1) * H]
                if b is not None:
                    t[prefix + ".b_r" + sfx] = b[:H]
                    t[prefix + ".b_z" + sfx] = b[H:2 * H]
                    if case["reset"] == "after":
                        t[prefix + ".b_n" + sfx] = p["b_ih"][2 * H:]
                        t[prefix + ".b_hn" + sfx] = p["b_hh"][2 * H:]
                    else:
                        t[prefix + ".b_n" + sfx] = b[2 * H:]
            if p["h0"] is not None:
                t[prefix + ".h0" + sfx] = p["h0"]
    return t


# ---- specs ----

def block_text(case, prefix):
    lines = ["    %s %s {" % (case["kind"], prefix), "        hidden %d;" % case["hidden"]]
    if case["layers"] > 1:
        lines.append("        layers %d;" % case["layers"])
    if case["dirs"] == 2:
        lines.append("        direction bidirectional;")
    elif case.get("backward"):
        lines.append("        direction backward;")
    if case["kind"] == "gru":
        lines.append("        reset %s;" % case["reset"])
        if case["gate"] != "sigmoid":
            lines.append("        gate_activation %s;" % case["gate"])
        if case["cand"] != "tanh":
            lines.append("        candidate_activation %s;" % case["cand"])
    elif case["cand"] != "tanh":
        lines.append("        activation %s;" % case["cand"])
    if case["clip"]:
        lines.append("        clip %g;" % case["clip"])
    if not case["bias"]:
        lines.append("        no_bias;")
    if case["initial_state"]:
        lines.append("        initial_state;")
    conv = case["convention"]
    names = {"pytorch": [prefix], "native": [prefix], "keras": keras_prefixes(case, prefix),
             "onnx": ["%s_%d" % (prefix, k) for k in range(case["layers"])]}[conv]
    lines.append("        from %s %s;" % (conv, ", ".join('"%s"' % n for n in names)))
    lines.append("    }")
    return "\n".join(lines)


def spec_text(case, folder, comment):
    body = ["# Generated by tests/reference/gen_gru.py: %s" % comment,
            "model %s {" % case["name"], "    input %d;" % case["input"],
            '    weights "../fixtures/%s/%s/weights.safetensors";' % (folder, case["name"])]
    if case.get("lstm_first"):
        body.append('    lstm lstm { hidden %d; from pytorch "lstm"; }' % case["lstm_first"])
    body.append(block_text(case, case["kind"]))
    for name, units, act in case["heads"]:
        body.append('    dense %s { units %d;%s from %s "%s"; }'
                    % (name, units, "" if act == "identity" else " activation %s;" % act,
                       "keras" if case["convention"] == "keras" else "pytorch", name))
    body.append("    output %s;" % case["output"])
    body.append("}")
    return "\n".join(body) + "\n"


# ---- cases ----

def case(name, kind, **o):
    c = dict(name=name, kind=kind, input=5, hidden=8, layers=1, dirs=1, bias=True, heads=[],
             output="sequence", steps=[7, 3, 11], convention="pytorch", initial_state=False,
             reset="after", gate="sigmoid", cand="tanh", clip=0)
    c.update(o)
    return c


TORCH_CASES = [
    case("g1_gru", "gru", input=5, hidden=12),
    case("g2_gru_bidir_stacked_head", "gru", layers=2, dirs=2, heads=[("head", 3, "identity")]),
    case("g3_rnn_tanh_last", "rnn", hidden=10, heads=[("head", 2, "identity")], output="last"),
    case("g4_rnn_relu_bidir_stacked", "rnn", hidden=6, layers=2, dirs=2, cand="relu"),
    case("g5_gru_keras_reset_after", "gru", dirs=2, convention="keras", heads=[("head", 4, "softmax")]),
    case("g6_gru_onnx_names", "gru", layers=2, dirs=2, convention="onnx"),
    case("g7_lstm_gru_dense", "gru", hidden=16, lstm_first=12, heads=[("head", 3, "identity")]),
    case("g8_gru_initial_state_bidir", "gru", dirs=2, initial_state=True),
    case("g9_gru_no_bias_last", "gru", hidden=16, bias=False, output="last"),
    case("g10_rnn_relu_no_bias_keras", "rnn", cand="relu", bias=False, convention="keras"),
    case("g11_gru_large", "gru", input=20, hidden=64, steps=[30, 5]),
]

NUMPY_CASES = [
    case("r01_gru_keras_reset_before", "gru", reset="before", convention="keras"),
    case("r02_gru_onnx_reset_before_bidir", "gru", reset="before", dirs=2, convention="onnx"),
    case("r03_gru_native_clip_hard_sigmoid", "gru", gate="hard_sigmoid(0.2, 0.5)", cand="softsign",
         clip=0.75, convention="native", backward=True),
    case("r04_gru_native_reset_before_stacked", "gru", reset="before", layers=2, convention="native",
         initial_state=True, cand="scaled_tanh(1.5, 0.5)"),
    case("r05_rnn_native_leaky_clip", "rnn", cand="leaky_relu(0.1)", clip=1.25, convention="native",
         initial_state=True, layers=2),
    case("r06_rnn_onnx_sigmoid_bidir", "rnn", cand="sigmoid", dirs=2, convention="onnx"),
    case("r07_gru_onnx_clip_scaled", "gru", gate="scaled_sigmoid(0, 1)", cand="elu(0.8)", clip=0.9,
         convention="onnx", heads=[("head", 2, "identity")]),
]


def random_params(case, rng, width_in):
    P, H = parts(case), case["hidden"]
    params = []
    for k in range(case["layers"]):
        I = width_in if k == 0 else case["dirs"] * H
        per_dir = []
        for _ in range(case["dirs"]):
            u = lambda *shape: rng.uniform(-0.5, 0.5, shape).astype(np.float32)  # noqa: E731
            per_dir.append(dict(w_ih=u(P * H, I), w_hh=u(P * H, H),
                                b_ih=u(P * H) if case["bias"] else None,
                                b_hh=u(P * H) if case["bias"] else None,
                                h0=u(H) if case["initial_state"] else None))
        params.append(per_dir)
    return params


def tensors_of(case, params):
    write = {"pytorch": pytorch_names, "keras": keras_names, "onnx": onnx_names,
             "native": native_names}[case["convention"]]
    return write(case, params, case["kind"])


def head_tensors(case, rng, width):
    t = {}
    for name, units, _ in case["heads"]:
        t[name + ".weight"] = rng.uniform(-0.5, 0.5, (units, width)).astype(np.float32)
        t[name + ".bias"] = rng.uniform(-0.5, 0.5, units).astype(np.float32)
        width = units
    return t


def keras_heads(case, heads):
    """Dense tensors under Keras names (kernel [in, units]) for a Keras case."""
    if case["convention"] != "keras":
        return heads
    return {k.replace(".weight", ".kernel"): (v.T if k.endswith(".weight") else v) for k, v in heads.items()}


def write_case(case, folder, tensors, xs, ys, comment, extra):
    out = os.path.join(TESTS, "fixtures", folder, case["name"])
    os.makedirs(out, exist_ok=True)
    write_safetensors(os.path.join(out, "weights.safetensors"), tensors)
    with open(os.path.join(out, "input.txt"), "w") as f:
        f.write("\n\n".join(rows(x) for x in xs) + "\n")
    with open(os.path.join(out, "expected.txt"), "w") as f:
        f.write("\n".join(rows(y, "%.9g" if folder == "pytorch" else "%.17g") for y in ys) + "\n")
    meta = dict(case, generator="tests/reference/gen_gru.py",
                tensors={k: list(v.shape) for k, v in tensors.items()}, **extra)
    with open(os.path.join(out, "case.json"), "w") as f:
        json.dump(meta, f, indent=2)
        f.write("\n")
    with open(os.path.join(TESTS, folder, case["name"] + ".lstm"), "w") as f:
        f.write(spec_text(case, folder, comment))
    print("wrote %s" % out)


def torch_case(case, seed):
    import torch
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    Module = torch.nn.GRU if case["kind"] == "gru" else torch.nn.RNN
    kw = dict(num_layers=case["layers"], bidirectional=case["dirs"] == 2, bias=case["bias"])
    if case["kind"] == "rnn":
        kw["nonlinearity"] = case["cand"]
    width = case.get("lstm_first") or case["input"]
    rec = Module(width, case["hidden"], **kw)
    lstm = torch.nn.LSTM(case["input"], case["lstm_first"]) if case.get("lstm_first") else None
    params = random_params(case, rng, width)
    with torch.no_grad():
        for k, per_dir in enumerate(params):
            for d, p in enumerate(per_dir):
                sfx = "_l%d%s" % (k, "_reverse" if d else "")
                getattr(rec, "weight_ih" + sfx).copy_(torch.from_numpy(p["w_ih"]))
                getattr(rec, "weight_hh" + sfx).copy_(torch.from_numpy(p["w_hh"]))
                if case["bias"]:
                    getattr(rec, "bias_ih" + sfx).copy_(torch.from_numpy(p["b_ih"]))
                    getattr(rec, "bias_hh" + sfx).copy_(torch.from_numpy(p["b_hh"]))
        if lstm is not None:
            for q in lstm.parameters():
                q.copy_(torch.from_numpy(rng.uniform(-0.5, 0.5, q.shape).astype(np.float32)))
    rec_out = case["dirs"] * case["hidden"]
    heads = head_tensors(case, rng, rec_out)
    h0 = None
    if case["initial_state"]:
        h0 = torch.from_numpy(np.stack([p["h0"] for per_dir in params for p in per_dir])[:, None, :])
    xs = [rng.standard_normal((t, case["input"])).astype(np.float32) for t in case["steps"]]

    class Whole(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm, self.rec = lstm, rec

        def forward(self, x):                  # x [T, 1, I] -> [T, units]
            if self.lstm is not None:
                x, _ = self.lstm(x)
            y, _ = self.rec(x, h0) if h0 is not None else self.rec(x)
            y = y[:, 0, :]
            for name, units, a in case["heads"]:
                y = torch.nn.functional.linear(y, torch.from_numpy(heads[name + ".weight"]),
                                               torch.from_numpy(heads[name + ".bias"]))
                y = torch.softmax(y, -1) if a == "softmax" else y
            return y[-1:] if case["output"] == "last" else y

    model = Whole().eval()
    with torch.no_grad():
        ys = [model(torch.from_numpy(x)[:, None, :]).numpy() for x in xs]
        lstm_ys = [model.lstm(torch.from_numpy(x)[:, None, :])[0][:, 0, :].numpy().astype(np.float64)
                   if lstm is not None else x.astype(np.float64) for x in xs]
    refs = []
    for x in lstm_ys:
        r = run_heads(case, heads, run_layer(case, params, x))
        refs.append(r[-1:] if case["output"] == "last" else r)
    diff = max(float(np.max(np.abs(y - r))) for y, r in zip(ys, refs))
    if diff > TOLERANCE:
        raise SystemExit("%s: PyTorch and the float64 reference differ by %.3g" % (case["name"], diff))
    tensors = tensors_of(case, params)
    if lstm is not None:
        tensors.update({"lstm." + k: v.detach().numpy() for k, v in lstm.state_dict().items()})
    tensors.update(keras_heads(case, heads))
    onnx_meta = export_onnx(model, case, os.path.join(TESTS, "fixtures", "pytorch", case["name"], "model.onnx"))
    comment = "nn.%s(%d, %d%s%s%s)%s%s, weights under %s names" % (
        "GRU" if case["kind"] == "gru" else "RNN", width, case["hidden"],
        ", num_layers=%d" % case["layers"] if case["layers"] > 1 else "",
        ", bidirectional=True" if case["dirs"] == 2 else "",
        "" if case["kind"] == "gru" else ", nonlinearity='%s'" % case["cand"],
        " after nn.LSTM(%d, %d)" % (case["input"], case["lstm_first"]) if case.get("lstm_first") else "",
        "".join(" + Linear(%d)%s" % (u, " + softmax" if a == "softmax" else "") for _, u, a in case["heads"]),
        case["convention"])
    write_case(case, "pytorch", tensors, xs, ys, comment,
               dict(seed=seed, torch=torch.__version__, max_abs_diff_torch_vs_numpy_f64=diff,
                    onnx=onnx_meta))


def export_onnx(model, case, path):
    """model.onnx: the case's model with input x [T, 1, I] (T free), for
    lstmc import; None if PyTorch cannot export it."""
    import onnx
    import torch
    if case["initial_state"]:
        return None            # h0 is a constant of the graph, fine, but keep the cases plain
    os.makedirs(os.path.dirname(path), exist_ok=True)
    buf = io.BytesIO()
    torch.onnx.export(model, (torch.zeros(3, 1, case["input"]),), buf, opset_version=14,
                      input_names=["x"], output_names=["y"], dynamic_axes={"x": {0: "steps"}},
                      do_constant_folding=True)
    proto = onnx.load_model_from_string(buf.getvalue())
    onnx.checker.check_model(proto, full_check=True)
    with open(path, "wb") as f:
        f.write(buf.getvalue())
    return dict(file="model.onnx", opset=14, ops=sorted({n.op_type for n in proto.graph.node}))


def numpy_case(case, seed):
    rng = np.random.default_rng(seed)
    params = random_params(case, rng, case["input"])
    heads = head_tensors(case, rng, case["dirs"] * case["hidden"])
    xs = [rng.standard_normal((t, case["input"])).astype(np.float32) for t in case["steps"]]
    ys = []
    for x in xs:
        y = run_heads(case, heads, run_layer(case, params, x.astype(np.float64)))
        ys.append(y[-1:] if case["output"] == "last" else y)
    tensors = tensors_of(case, params)
    tensors.update(keras_heads(case, heads))
    comment = "%s, %s names, the float64 reference's outputs" % (
        "a GRU, reset %s" % case["reset"] if case["kind"] == "gru" else "an RNN", case["convention"])
    write_case(case, "numpy", tensors, xs, ys, comment, dict(seed=seed, reference="gru_ref (float64)"))


# ---- ONNX graphs of one GRU or RNN node (for lstmc import) ----

ONNX_ACTS = {"sigmoid": "Sigmoid", "tanh": "Tanh", "relu": "Relu", "softsign": "Softsign",
             "hard_sigmoid": "HardSigmoid", "leaky_relu": "LeakyRelu", "elu": "Elu",
             "scaled_tanh": "ScaledTanh", "affine": "Affine"}

ONNX_CASES = [
    dict(case("onnx_gru_default_reset_before", "gru", reset="before", dirs=2, convention="onnx"),
         lbr=None, about="GRU without linear_before_reset (0: reset before), bidirectional"),
    dict(case("onnx_gru_activations_clip_reverse", "gru", gate="hard_sigmoid(0.25, 0.5)",
              cand="scaled_tanh(1.5, 0.75)", clip=0.75, backward=True, convention="onnx"),
         lbr=1, about="GRU, linear_before_reset 1, HardSigmoid and ScaledTanh with alpha and beta, "
                      "clip, reverse"),
    dict(case("onnx_rnn_leaky_initial_h", "rnn", cand="leaky_relu(0.125)", clip=1.5, initial_state=True,
              convention="onnx"),
         lbr=None, about="RNN, LeakyRelu with alpha, clip, a constant initial_h"),
]


def onnx_case(c, seed):
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    rng = np.random.default_rng(seed)
    params = random_params(c, rng, c["input"])
    xs = [rng.standard_normal((t, c["input"])).astype(np.float32) for t in c["steps"]]
    ys = [run_layer(c, params, x.astype(np.float64)) for x in xs]
    t = tensors_of(c, params)
    q = "%s_0" % c["kind"]
    inits = [numpy_helper.from_array(t[q + "." + k], k) for k in ("W", "R", "B")]
    node_in = ["x", "W", "R", "B"]
    if c["initial_state"]:
        inits.append(numpy_helper.from_array(t[q + ".initial_h"], "h0"))
        node_in += ["", "h0"]
    acts = [c["gate"], c["cand"]] if c["kind"] == "gru" else [c["cand"]]
    names, alpha, beta = [], [], []
    for a in acts:
        parsed = act(a)
        names.append(ONNX_ACTS[parsed if isinstance(parsed, str) else parsed[0]])
        if not isinstance(parsed, str):
            alpha.append(float(parsed[1]))
            if len(parsed) > 2:
                beta.append(float(parsed[2]))
    attrs = dict(hidden_size=c["hidden"], activations=names * c["dirs"])
    if alpha:
        attrs["activation_alpha"] = alpha * c["dirs"]
    if beta:
        attrs["activation_beta"] = beta * c["dirs"]
    if c["clip"]:
        attrs["clip"] = float(c["clip"])
    if c["dirs"] == 2:
        attrs["direction"] = "bidirectional"
    elif c.get("backward"):
        attrs["direction"] = "reverse"
    if c["lbr"] is not None:
        attrs["linear_before_reset"] = c["lbr"]
    nodes = [helper.make_node(c["kind"].upper(), node_in, ["Y"], name=c["kind"], **attrs)]
    # Y [T, D, 1, H] -> [T, 1, D, H] -> [T, 1, D*H]
    inits.append(numpy_helper.from_array(np.array([0, 0, -1], np.int64), "shape"))
    nodes += [helper.make_node("Transpose", ["Y"], ["Yt"], perm=[0, 2, 1, 3], name="transpose"),
              helper.make_node("Reshape", ["Yt", "shape"], ["y"], name="reshape")]
    graph = helper.make_graph(nodes, c["name"],
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["steps", 1, c["input"]])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT,
                                                             ["steps", 1, c["dirs"] * c["hidden"]])],
                              inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)],
                              producer_name="tests/reference/gen_gru.py")
    onnx.checker.check_model(model, full_check=True)
    out = os.path.join(TESTS, "fixtures", "onnx", c["name"])
    os.makedirs(out, exist_ok=True)
    onnx.save(model, os.path.join(out, "model.onnx"))
    with open(os.path.join(out, "input.txt"), "w") as f:
        f.write("\n\n".join(rows(x) for x in xs) + "\n")
    with open(os.path.join(out, "expected.txt"), "w") as f:
        f.write("\n".join(rows(y, "%.17g") for y in ys) + "\n")
    with open(os.path.join(out, "case.json"), "w") as f:
        json.dump(dict(c, seed=seed, generator="tests/reference/gen_gru.py",
                       reference="gru_ref (float64)", attributes={k: v for k, v in attrs.items()}),
                  f, indent=2)
        f.write("\n")
    print("wrote %s" % out)


def main():
    which = sys.argv[1:]
    for i, c in enumerate(TORCH_CASES):
        if not which or c["name"] in which:
            torch_case(c, 3000 + i)
    for i, c in enumerate(NUMPY_CASES):
        if not which or c["name"] in which:
            numpy_case(c, 4000 + i)
    for i, c in enumerate(ONNX_CASES):
        if not which or c["name"] in which:
            onnx_case(c, 5000 + i)
    return 0


if __name__ == "__main__":
    sys.exit(main())
