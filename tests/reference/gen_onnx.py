#!/usr/bin/python3
"""Generates the ONNX fixtures of `lstmc import` (tests/fixtures/onnx/) and
the broken models of its diagnostics tests (tests/import/).

Two kinds of case, each a folder with model.onnx, input.txt (one timestep a
line, a blank line between sequences), expected.txt and case.json:
  torch_*  nn.LSTM models exported by torch.onnx.export (opset 14); the
           expected outputs are PyTorch's own (float32);
  onnx_*   graphs built with onnx.helper for what PyTorch never exports
           (reverse direction, activations with alpha/beta, clip,
           input_forget, peepholes, layout 1, zero and nonzero initial
           states); the expected outputs come from onnx_ref.py, a float64
           NumPy reading of the ONNX operator specification.

The outputs are committed, so this is only needed to change a case. It
needs Debian's python3-torch and python3-onnx (/usr/bin/python3):

    /usr/bin/python3 tests/reference/gen_onnx.py
"""
import io
import json
import os
import shutil
import sys

import numpy as np
import onnx
import torch
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
TESTS = os.path.dirname(HERE)
OUT = os.path.join(TESTS, "fixtures", "onnx")
BROKEN = os.path.join(TESTS, "import")
sys.path.insert(0, HERE)
import onnx_ref  # noqa: E402

OPSET = 14


def rows(array):
    return "\n".join(" ".join("%.9g" % v for v in row) for row in array)


def write_case(name, model_bytes, seqs, outs, info):
    d = os.path.join(OUT, name)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "model.onnx"), "wb") as f:
        f.write(model_bytes)
    with open(os.path.join(d, "input.txt"), "w") as f:
        f.write("\n\n".join(rows(s) for s in seqs) + "\n")
    with open(os.path.join(d, "expected.txt"), "w") as f:
        f.write("\n".join(rows(o) for o in outs) + "\n")
    with open(os.path.join(d, "case.json"), "w") as f:
        json.dump(info, f, indent=2)
        f.write("\n")


def sequences(rng, n_in, lengths):
    return [rng.standard_normal((t, n_in)).astype(np.float32) for t in lengths]


# ---- PyTorch exports ----

class TorchModel(torch.nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        self.lstm = torch.nn.LSTM(c["input"], c["hidden"], num_layers=c["layers"],
                                  bidirectional=c["bidirectional"], batch_first=c["batch_first"])
        width = c["hidden"] * (2 if c["bidirectional"] else 1)
        self.head = torch.nn.Linear(width, c["units"]) if c["units"] else None

    def forward(self, x):
        y, (h_n, _) = self.lstm(x)
        last = self.c["last"]
        if last == "index":
            y = y[:, -1, :] if self.c["batch_first"] else y[-1]
        elif last == "slice":
            y = y[:, -1:, :] if self.c["batch_first"] else y[-1:]
        elif last == "h_n":
            y = h_n[-1]
        if self.head is not None:
            y = self.head(y)
            act = self.c["activation"]
            if act == "softmax":
                y = torch.softmax(y, dim=-1)
            elif act:
                y = getattr(torch, act)(y)
        return y


TORCH_CASES = [
    dict(name="torch_batch_first_head", input=5, hidden=12, layers=1, bidirectional=False,
         batch_first=True, units=3, activation=None, last=None, dynamic="time",
         about="batch_first=True (Transpose glue), Linear on every step (MatMul + Add), "
               "dynamic time axis"),
    dict(name="torch_bidir_stacked_softmax", input=4, hidden=10, layers=2, bidirectional=True,
         batch_first=False, units=6, activation="softmax", last=None, dynamic="time",
         about="2 bidirectional layers (Transpose + Reshape glue), Linear + softmax on every step"),
    dict(name="torch_last_step_sigmoid", input=7, hidden=16, layers=1, bidirectional=False,
         batch_first=True, units=2, activation="sigmoid", last="index", dynamic=None,
         about="out[:, -1, :] (Gather on time) then Linear (Gemm) + sigmoid, static shapes"),
    dict(name="torch_bidir_last_tanh", input=3, hidden=8, layers=1, bidirectional=True,
         batch_first=False, units=4, activation="tanh", last="index", dynamic="time",
         about="bidirectional, out[-1] (Gather on time), Linear (Gemm) + tanh"),
    dict(name="torch_stacked_relu", input=6, hidden=9, layers=3, bidirectional=False,
         batch_first=False, units=5, activation="relu", last=None, dynamic="time",
         about="3 stacked layers, Linear + relu on every step"),
    dict(name="torch_h_n_stacked", input=4, hidden=11, layers=2, bidirectional=False,
         batch_first=True, units=3, activation=None, last="h_n", dynamic="time+batch",
         about="2 stacked layers, Linear on h_n[-1] (Concat of the layers' Y_h, then Gather), "
               "dynamic time and batch axes"),
    dict(name="torch_last_slice", input=5, hidden=7, layers=1, bidirectional=False,
         batch_first=True, units=2, activation=None, last="slice", dynamic="time",
         about="y[:, -1:, :] (Slice of the last step, kept as an axis), Linear (MatMul + Add)"),
]


def torch_case(c, seed):
    torch.manual_seed(seed)
    model = TorchModel(c).eval()
    rng = np.random.default_rng(seed)
    seqs = sequences(rng, c["input"], [7, 4, 9] if c["dynamic"] else [6, 6])
    outs = []
    with torch.no_grad():
        for s in seqs:
            x = torch.from_numpy(s).unsqueeze(0 if c["batch_first"] else 1)
            y = model(x)
            outs.append(y.reshape(-1, y.shape[-1]).numpy())
        x = torch.from_numpy(seqs[0]).unsqueeze(0 if c["batch_first"] else 1)
        t_axis, b_axis = (1, 0) if c["batch_first"] else (0, 1)
        axes = None
        if c["dynamic"] == "time":
            axes = {"x": {t_axis: "time"}}
        elif c["dynamic"] == "time+batch":
            axes = {"x": {t_axis: "time", b_axis: "batch"}}
        buf = io.BytesIO()
        torch.onnx.export(model, (x,), buf, input_names=["x"], output_names=["y"],
                          opset_version=OPSET, dynamic_axes=axes)
    info = {k: v for k, v in c.items() if k != "name"}
    info["expected"] = "PyTorch 1.13, float32"
    write_case(c["name"], buf.getvalue(), seqs, outs, info)


# ---- graphs built by hand ----

def init(name, array):
    return numpy_helper.from_array(np.asarray(array, np.float32), name)


def ints(name, values):
    return numpy_helper.from_array(np.asarray(values, np.int64), name)


def lstm_graph(c, rng):
    """X -> [Transpose for layout 1] -> LSTM -> glue -> [MatMul + Add head]."""
    I, H, D = c["input"], c["hidden"], 2 if c.get("direction") == "bidirectional" else 1
    layout = c.get("layout", 0)
    s = c.get("scale", 0.5)
    inits = [init("W", rng.uniform(-s, s, (D, 4 * H, I))), init("R", rng.uniform(-s, s, (D, 4 * H, H))),
             init("B", rng.uniform(-s, s, (D, 8 * H)))]
    lstm_in = ["x", "W", "R", "B", "", "", "", ""]
    nodes = []
    if c.get("initial_zero"):
        shape = (1, D, H) if layout else (D, 1, H)
        inits += [init("h0", np.zeros(shape)), init("c0", np.zeros(shape))]
        lstm_in[5], lstm_in[6] = "h0", "c0"
    elif c.get("initial_state"):
        # nonzero initial states: "h", "c" or "hc", initializers or (with
        # initial_state_node) Constant nodes; the other input stays absent
        shape = (1, D, H) if layout else (D, 1, H)
        for slot, name in ((5, "h"), (6, "c")):
            if name in c["initial_state"]:
                value = init(name + "0", rng.uniform(-1, 1, shape))
                if c.get("initial_state_node"):
                    nodes.append(helper.make_node("Constant", [], [name + "0"], value=value,
                                                  name="const_" + name + "0"))
                else:
                    inits.append(value)
                lstm_in[slot] = name + "0"
    if c.get("peepholes"):
        inits.append(init("P", rng.uniform(-s, s, (D, 3 * H))))
        lstm_in[7] = "P"
    while lstm_in[-1] == "":
        lstm_in.pop()
    attrs = {"hidden_size": H}
    for k in ("direction", "activations", "activation_alpha", "activation_beta", "clip",
              "input_forget", "layout"):
        if k in c:
            attrs[k] = c[k]
    nodes.append(helper.make_node("LSTM", lstm_in, ["Y", "Y_h"], name="lstm", **attrs))
    inits.append(ints("dir_axis", [2 if layout else 1]))
    if c.get("y_h"):
        # Y_h [D, B, H] (layout 1: [B, D, H]): the last step of a forward LSTM
        inits.append(ints("h_dir_axis", [1 if layout else 0]))
        nodes.append(helper.make_node("Squeeze", ["Y_h", "h_dir_axis"], ["feat"], name="squeeze_h"))
        last = True
    elif D == 1:
        nodes.append(helper.make_node("Squeeze", ["Y", "dir_axis"], ["feat"], name="squeeze"))
        last = False
    else:
        perm = [0, 1, 2, 3] if layout else [0, 2, 1, 3]
        inits.append(ints("shape", [0, 0, -1]))
        nodes += [helper.make_node("Transpose", ["Y"], ["Yt"], perm=perm, name="transpose"),
                  helper.make_node("Reshape", ["Yt", "shape"], ["feat"], name="reshape")]
        last = False
    out = "feat"
    if c.get("units"):
        U = c["units"]
        inits += [init("head_w", rng.uniform(-s, s, (D * H, U))), init("head_b", rng.uniform(-s, s, U))]
        nodes += [helper.make_node("MatMul", ["feat", "head_w"], ["mm"], name="head_matmul"),
                  helper.make_node("Add", ["mm", "head_b"], ["y"], name="head_add")]
        out = "y"
    else:
        nodes.append(helper.make_node("Identity", ["feat"], ["y"], name="out"))
    T = "time"
    x_shape = [1, T, I] if layout else [T, 1, I]
    width = c.get("units") or D * H
    y_shape = ([1, width] if last else [1, T, width] if layout else [T, 1, width])
    graph = helper.make_graph(nodes, c["name"], [helper.make_tensor_value_info("x", TensorProto.FLOAT, x_shape)],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, y_shape)], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                              producer_name="gen_onnx.py")
    onnx.checker.check_model(model)
    return model, last


HAND_CASES = [
    dict(name="onnx_reverse", input=4, hidden=6, direction="reverse",
         about="direction reverse: Y in original time order"),
    dict(name="onnx_hard_sigmoid_scaled_tanh", input=3, hidden=5,
         activations=["HardSigmoid", "ScaledTanh", "Softsign"],
         activation_alpha=[0.25, 1.5], activation_beta=[0.45, 0.75], units=2,
         about="activations HardSigmoid(0.25, 0.45), ScaledTanh(1.5, 0.75), Softsign; MatMul+Add head"),
    dict(name="onnx_affine_elu_bidir", input=3, hidden=4, direction="bidirectional",
         activations=["Sigmoid", "Elu", "Affine"] * 2, activation_alpha=[0.9, 0.5, 0.9, 0.5],
         activation_beta=[0.1, 0.1], scale=0.4,
         about="bidirectional, Elu(0.9) and Affine(0.5, 0.1) for both directions"),
    dict(name="onnx_hard_sigmoid_defaults_leaky", input=5, hidden=4,
         activations=["HardSigmoid", "LeakyRelu", "Softplus"], scale=0.4,
         about="HardSigmoid with the operator's defaults (0.2, 0.5), LeakyRelu default 0.01, Softplus"),
    dict(name="onnx_relu_thresholded", input=3, hidden=5,
         activations=["Sigmoid", "Relu", "ThresholdedRelu"], activation_alpha=[0.1], scale=0.4,
         about="Relu cell input, ThresholdedRelu(0.1) cell output"),
    dict(name="onnx_clip_input_forget", input=4, hidden=6, clip=0.6, input_forget=1, scale=1.0,
         about="clip 0.6 on every gate pre-activation, input_forget=1 (f = 1 - i)"),
    dict(name="onnx_peepholes_bidir", input=3, hidden=5, direction="bidirectional",
         peepholes=True, units=3, about="peepholes P (i, o, f) on both directions, MatMul+Add head"),
    dict(name="onnx_layout1_last", input=4, hidden=7, layout=1, y_h=True, units=2,
         initial_zero=True,
         about="layout 1 ([batch, time, features]), Y_h of a forward LSTM, zero initial_h/c initializers"),
    dict(name="onnx_layout1_bidir", input=3, hidden=4, layout=1, direction="bidirectional",
         about="layout 1, bidirectional, Reshape [0, 0, -1] of Y [B, T, 2, H]"),
    dict(name="onnx_initial_state_bidir", input=3, hidden=5, direction="bidirectional",
         initial_state="hc", units=3,
         about="bidirectional, nonzero initial_h and initial_c initializers [2, 1, 5] "
               "(`initial_state;`; the backward direction's starts at t = T-1), MatMul+Add head"),
    dict(name="onnx_initial_c_reverse_layout1", input=4, hidden=6, direction="reverse", layout=1,
         initial_state="c", initial_state_node=True,
         about="direction reverse, layout 1, initial_c [1, 1, 6] alone from a Constant node "
               "(initial_h absent: zeros)"),
    dict(name="onnx_initial_h_last", input=4, hidden=5, initial_state="h", y_h=True, units=2,
         clip=2.0,
         about="initial_h alone (initial_c absent), clip 2, Y_h of a forward LSTM, "
               "MatMul+Add head on the last step"),
]


def hand_case(c, seed):
    rng = np.random.default_rng(seed)
    model, last = lstm_graph(c, rng)
    seqs = sequences(rng, c["input"], [6, 3, 8])
    outs = []
    for s in seqs:
        x = s[np.newaxis] if c.get("layout") else s[:, np.newaxis]
        y = onnx_ref.run_graph(model, x.astype(np.float64))
        outs.append(y.reshape(-1, y.shape[-1]))
    info = {k: v for k, v in c.items() if k != "name"}
    info["expected"] = "tests/reference/onnx_ref.py, float64"
    write_case(c["name"], model.SerializeToString(), seqs, outs, info)


# ---- broken models for tests/import ----

def base_model(**over):
    rng = np.random.default_rng(99)
    c = dict(name="broken", input=3, hidden=4)
    c.update(over)
    model, _ = lstm_graph(c, rng)
    return model


def set_attr(model, node_name, name, value):
    node = next(n for n in model.graph.node if n.name == node_name)
    node.attribute.append(helper.make_attribute(name, value))
    return model


def broken_models():
    good = base_model().SerializeToString()
    yield "truncated", good[:len(good) // 2]
    yield "not_onnx", b"model m { input 3; }\n"
    yield "empty", b""
    m = base_model()
    m.graph.node[0].op_type = "Scan"
    yield "unsupported_op", m.SerializeToString()
    yield "unknown_attribute", set_attr(base_model(), "lstm", "foo", 3).SerializeToString()
    m = base_model()
    for a in m.graph.node[0].attribute:
        if a.name == "hidden_size":
            a.i = 5
    yield "hidden_size_mismatch", m.SerializeToString()
    yield "bad_direction", set_attr(base_model(), "lstm", "direction", "sideways").SerializeToString()
    yield "activation_unknown", base_model(activations=["Sigmoid", "Gelu", "Tanh"]).SerializeToString()
    yield "alpha_count", base_model(activations=["HardSigmoid", "Tanh", "Tanh"],
                                    activation_alpha=[0.2, 0.3]).SerializeToString()
    yield "bidir_activations_differ", base_model(
        direction="bidirectional",
        activations=["Sigmoid", "Tanh", "Tanh", "Sigmoid", "Relu", "Tanh"]).SerializeToString()
    m = base_model(initial_state="hc")
    for t in m.graph.initializer:
        if t.name == "h0":
            t.CopyFrom(init("h0", np.full((1, 1, 5), 0.5)))
    yield "initial_h_shape", m.SerializeToString()
    m = base_model(initial_state="hc")
    for t in m.graph.initializer:
        if t.name == "c0":
            t.CopyFrom(init("c0", [[[0.5] * 4, [0.5, 0.5, 0.25, 0.5]]]))
    yield "initial_c_batch_rows", m.SerializeToString()
    # an initial state given at run time, of two entries for a forward layer
    m = base_model()
    m.graph.input.append(helper.make_tensor_value_info("h0", TensorProto.FLOAT, [2, 1, 4]))
    m.graph.node[0].input.extend(["", "h0"])
    yield "initial_h_graph_input_entries", m.SerializeToString()
    m = base_model()
    m.graph.initializer.append(numpy_helper.from_array(np.array([5], np.int32), "lens"))
    m.graph.node[0].input[4:] = ["lens"]
    yield "sequence_lens", m.SerializeToString()
    m = base_model(direction="bidirectional", y_h=True)
    yield "y_h_bidirectional", m.SerializeToString()
    m = base_model()
    m.graph.output[0].type.tensor_type.shape.Clear()
    m.graph.node[-1].input[0] = "Y_c"
    m.graph.node[0].output.append("Y_c")
    yield "y_c_output", m.SerializeToString()
    m = base_model()
    m.graph.input[0].type.tensor_type.shape.dim[2].Clear()
    m.graph.input[0].type.tensor_type.shape.dim[2].dim_param = "features"
    yield "dynamic_features", m.SerializeToString()
    m = base_model()
    m.opset_import[0].version = 6
    yield "opset_too_old", m.SerializeToString()
    m = base_model()
    w = next(t for t in m.graph.initializer if t.name == "W")
    w.ClearField("raw_data")
    w.data_location = TensorProto.EXTERNAL
    w.external_data.add(key="location", value="weights.bin")
    yield "external_data", m.SerializeToString()
    m = base_model()
    w = next(t for t in m.graph.initializer if t.name == "W")
    w.raw_data = w.raw_data[:-4]
    yield "short_tensor", m.SerializeToString()
    # a head that is not a chain: y = relu(LSTM output) directly
    m = base_model()
    m.graph.node[-1].op_type = "Relu"
    yield "activation_after_lstm", m.SerializeToString()
    # Gather of time step 0
    m = base_model()
    m.graph.initializer.append(ints("zero", 0))
    m.graph.node.append(helper.make_node("Gather", ["feat", "zero"], ["first"], name="first_step", axis=0))
    m.graph.node[-2].output[0] = "y_all"
    m.graph.node[-1].input[0] = "y_all"
    m.graph.node[-1].output[0] = "y"
    m.graph.output[0].type.tensor_type.shape.Clear()
    yield "first_step", m.SerializeToString()
    # residual: LSTM output + LSTM input
    m = base_model(input=4, hidden=4)
    m.graph.node[-1].op_type = "Add"
    m.graph.node[-1].input.append("feat")
    yield "residual_add", m.SerializeToString()
    # the output transposed to [features, batch, time]
    m = base_model()
    m.graph.node[-1].op_type = "Transpose"
    yield "output_time_last", m.SerializeToString()
    # no LSTM at all
    graph = helper.make_graph([helper.make_node("Gemm", ["x", "w"], ["y"], name="gemm")], "g",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2])],
                              [init("w", np.ones((3, 2)))])
    yield "no_lstm", helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)]).SerializeToString()


def main():
    # only this script's cases: onnx_gru_* and onnx_rnn_* are gen_gru.py's
    for c in TORCH_CASES + HAND_CASES + [{"name": "shared_v2_stacked_head"}]:
        shutil.rmtree(os.path.join(OUT, c["name"]), ignore_errors=True)
    os.makedirs(OUT, exist_ok=True)
    for k, c in enumerate(TORCH_CASES):
        torch_case(c, 3000 + k)
    for k, c in enumerate(HAND_CASES):
        hand_case(c, 4000 + k)
    # the shared fixture exported by PyTorch: its expected outputs beside it
    shared = os.path.join(TESTS, "..", "..", "shared", "fixtures", "pytorch", "v2_stacked_head")
    d = os.path.join(OUT, "shared_v2_stacked_head")
    os.makedirs(d)
    for f in ("model.onnx", "input.txt", "expected.txt"):
        shutil.copy(os.path.join(shared, f), d)
    with open(os.path.join(OUT, "README.md"), "w") as f:
        f.write("# ONNX fixtures of `lstmc import`\n\n"
                "Made by `tests/reference/gen_onnx.py` (its docstring says how); run by\n"
                "`tests/run_onnx.sh`: each `model.onnx` is imported, then run on `input.txt`\n"
                "(a blank line between sequences) and compared with `expected.txt` within\n"
                "1e-5. `case.json` records how the case was made.\n\n"
                "| case | expected from | what it covers |\n|---|---|---|\n")
        for c in TORCH_CASES + HAND_CASES:
            src = "PyTorch" if c["name"].startswith("torch") else "onnx_ref.py (float64)"
            f.write("| %s | %s | %s |\n" % (c["name"], src, c["about"]))
        f.write("| shared_v2_stacked_head | PyTorch | ../shared's v2_stacked_head export: "
                "2 layers, Gemm head on the last step |\n")
        f.write("\nThe `onnx_gru_*` and `onnx_rnn_*` cases (GRU and RNN nodes with the attributes\n"
                "PyTorch never writes) are made by `tests/reference/gen_gru.py`, expected from\n"
                "its float64 reference.\n"
                "\nThe `heads_*` cases (bidirectional classifiers on h_n -> `output final`,\n"
                "mean and max pooling, opsets 7 to 11 and 18, a Reshape through a static\n"
                "batch of 1) are made by `tests/reference/gen_onnx_heads.py`; its docstring\n"
                "lists them.\n")
    os.makedirs(BROKEN, exist_ok=True)
    for name, data in broken_models():
        with open(os.path.join(BROKEN, name + ".onnx"), "wb") as f:
            f.write(data)
    print("wrote", OUT, "and", BROKEN)


if __name__ == "__main__":
    torch.set_num_threads(1)
    main()
