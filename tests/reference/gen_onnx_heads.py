#!/usr/bin/python3
"""Generates the ONNX fixtures of `lstmc import` for the classifier heads
and the old opsets (tests/fixtures/onnx/heads_*), and the broken models of
its diagnostics tests that go with them (tests/import/heads_*).

  heads_torch_*  PyTorch models exported by torch.onnx.export at the opset
                 in the name (oNN); the expected outputs are PyTorch's own:
                 bidirectional classifiers fc(cat(h_n[-2], h_n[-1])) of
                 LSTM, GRU and RNN, stacked or not (-> output final),
                 y.mean(dim=1), y.max(dim=1).values, torch.amax (-> output
                 mean, max), h_n[-1] at opsets 7 to 10, a stacked
                 bidirectional classifier at opset 7, a GRU's max at 8;
  heads_onnx_*   graphs built with onnx.helper for what PyTorch 1.13 does
                 not write (ReduceMean with its axes as an input, opset 18;
                 Y_h of a reverse LSTM; a Reshape of Y [T, 2, 1, H] straight
                 to [T, 2H]); expected from onnx_ref.py (float64).

The outputs are committed. It needs Debian's python3-torch and
python3-onnx (/usr/bin/python3):

    /usr/bin/python3 tests/reference/gen_onnx_heads.py
"""
import io
import os
import shutil
import sys

import numpy as np
import onnx
import torch
from onnx import TensorProto, helper

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import gen_onnx  # noqa: E402
import onnx_ref  # noqa: E402
from gen_onnx import init, ints, sequences, write_case, OUT, BROKEN  # noqa: E402


class Head(torch.nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        cell = getattr(torch.nn, c.get("cell", "LSTM"))
        self.rnn = cell(c["input"], c["hidden"], num_layers=c.get("layers", 1),
                        bidirectional=c.get("bidirectional", False), batch_first=True)
        width = c["hidden"] * (2 if c.get("bidirectional") else 1)
        if c["head"] in ("h_n[-1]", "h_n[-2]"):
            width = c["hidden"]
        self.fc = torch.nn.Linear(width, c["units"])

    def forward(self, x):
        y, h = self.rnn(x)
        h_n = h[0] if isinstance(h, tuple) else h
        head = self.c["head"]
        if head == "cat":
            z = torch.cat((h_n[-2], h_n[-1]), dim=1)
        elif head == "transpose":
            z = h_n.transpose(0, 1).reshape(x.shape[0], -1)
        elif head == "slice":
            z = h_n[-2:].transpose(0, 1).reshape(x.shape[0], -1)
        elif head == "h_n[-1]":
            z = h_n[-1]
        elif head == "h_n[-2]":
            z = h_n[-2]
        elif head == "mean":
            z = y.mean(dim=1)
        elif head == "max":
            z = y.max(dim=1).values
        elif head == "amax":
            z = torch.amax(y, dim=1)
        elif head == "fc_mean":
            return self.fc(y).mean(dim=1)
        z = self.fc(z)
        return torch.log_softmax(z, dim=-1) if self.c.get("log_softmax") else z


TORCH_CASES = [
    dict(name="heads_torch_bidir_cat_o14", input=4, hidden=6, bidirectional=True, units=3,
         head="cat", opset=14, about="fc(cat(h_n[-2], h_n[-1])), bidirectional LSTM: Y_h "
         "Gather -2, -1, Concat -> output final"),
    dict(name="heads_torch_bidir_stacked_cat_o9", input=3, hidden=5, layers=2, bidirectional=True,
         units=2, head="cat", opset=9, log_softmax=True, about="the same on 2 stacked "
         "bidirectional layers (Concat of the layers' Y_h first), log_softmax, opset 9"),
    dict(name="heads_torch_bidir_gru_cat_o17", cell="GRU", input=4, hidden=5, bidirectional=True,
         units=3, head="cat", opset=17, about="fc(cat(h_n[-2], h_n[-1])) of a bidirectional GRU"),
    dict(name="heads_torch_bidir_rnn_stacked_cat_o10", cell="RNN", input=3, hidden=4, layers=2,
         bidirectional=True, units=2, head="cat", opset=10,
         about="the same of 2 stacked bidirectional RNN layers, opset 10 (Slice of the stack)"),
    dict(name="heads_torch_h_n_o9", input=4, hidden=5, units=2, head="h_n[-1]", opset=9,
         about="fc(h_n[-1]) at opset 9: Slice [-1, INT64_MAX) of Y_h"),
    dict(name="heads_torch_h_n_o10", input=4, hidden=5, units=2, head="h_n[-1]", opset=10,
         about="fc(h_n[-1]) at opset 10: Slice with inputs, INT64_MAX end"),
    dict(name="heads_torch_h_n_o7", input=4, hidden=5, units=2, head="h_n[-1]", opset=7,
         about="fc(h_n[-1]) at opset 7: ConstantFill, Cast of float constants to INT64, "
         "gate reordering by Slice + Concat of the weights"),
    dict(name="heads_torch_h_n_o8", input=4, hidden=5, units=2, head="h_n[-1]", opset=8,
         about="the same at opset 8"),
    dict(name="heads_torch_mean_o14", input=4, hidden=6, units=3, head="mean", opset=14,
         about="fc(y.mean(dim=1)): ReduceMean over time (axes attribute) -> output mean"),
    dict(name="heads_torch_mean_bidir_o11", input=3, hidden=4, bidirectional=True, units=2,
         head="mean", opset=11, about="the same, bidirectional, opset 11"),
    dict(name="heads_torch_max_o14", input=4, hidden=6, units=3, head="max", opset=14,
         about="fc(y.max(dim=1).values): ReduceMax over time -> output max"),
    dict(name="heads_torch_amax_bidir_gru_o17", cell="GRU", input=3, hidden=5, bidirectional=True,
         units=2, head="amax", opset=17, about="fc(torch.amax(y, dim=1)) of a bidirectional GRU"),
    dict(name="heads_torch_bidir_transpose_o14", input=4, hidden=5, bidirectional=True, units=3,
         head="transpose", opset=14, about="fc(h_n.transpose(0, 1).reshape(B, -1)), one "
         "bidirectional layer -> output final"),
    dict(name="heads_torch_bidir_stacked_slice_o13", input=3, hidden=4, layers=2,
         bidirectional=True, units=2, head="slice", opset=13,
         about="fc(h_n[-2:].transpose(0, 1).reshape(B, -1)), 2 bidirectional layers"),
    dict(name="heads_torch_bidir_stacked_cat_o7", input=3, hidden=4, layers=2, bidirectional=True,
         units=2, head="cat", opset=7, about="fc(cat(h_n[-2], h_n[-1])) of 2 stacked "
         "bidirectional layers at opset 7 (ConstantFill, Slice + Concat of the weights)"),
    dict(name="heads_torch_max_gru_o8", cell="GRU", input=4, hidden=5, units=3, head="max",
         opset=8, about="fc(y.max(dim=1).values) of a GRU at opset 8"),
]


def torch_export(c, seed):
    torch.manual_seed(seed)
    model = Head(c).eval()
    buf = io.BytesIO()
    with torch.no_grad():
        x = torch.zeros(1, 5, c["input"])
        torch.onnx.export(model, (x,), buf, input_names=["x"], output_names=["y"],
                          opset_version=c["opset"], dynamic_axes={"x": {1: "time"}})
    return model, buf.getvalue()


def torch_case(c, seed):
    model, data = torch_export(c, seed)
    rng = np.random.default_rng(seed)
    seqs = sequences(rng, c["input"], [7, 3, 9])
    with torch.no_grad():
        outs = [model(torch.from_numpy(s).unsqueeze(0)).numpy().reshape(-1, c["units"])
                for s in seqs]
    info = {k: v for k, v in c.items() if k != "name"}
    info["expected"] = "PyTorch 1.13, float32"
    write_case(c["name"], data, seqs, outs, info)


def lstm_node_graph(name, I, H, direction, tail, tail_inits, opset, x_shape, y_shape, seed):
    """x -> LSTM (W, R, B random) -> tail nodes -> y."""
    rng = np.random.default_rng(seed)
    D = 2 if direction == "bidirectional" else 1
    inits = [init("W", rng.uniform(-0.5, 0.5, (D, 4 * H, I))),
             init("R", rng.uniform(-0.5, 0.5, (D, 4 * H, H))),
             init("B", rng.uniform(-0.5, 0.5, (D, 8 * H)))] + tail_inits
    nodes = [helper.make_node("LSTM", ["x", "W", "R", "B"], ["Y", "Y_h"], name="lstm",
                              hidden_size=H, direction=direction)] + tail
    graph = helper.make_graph(nodes, name, [helper.make_tensor_value_info("x", TensorProto.FLOAT, x_shape)],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, y_shape)], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)],
                              producer_name="gen_onnx_heads.py")
    if opset <= 17 and y_shape is not None:   # python3-onnx 1.12 knows opsets up to 17
        onnx.checker.check_model(model)
    return model


def hand_cases():
    H, I = 5, 3
    yield ("heads_onnx_reduce_mean_o18", "ReduceMean with its axes as an input (opset 18), "
           "keepdims 1, of Y [T, 1, 1, H] -> output mean", lstm_node_graph(
               "reduce_mean_o18", I, H, "forward",
               [helper.make_node("ReduceMean", ["Y", "time_axis"], ["y"], name="mean")],
               [ints("time_axis", [0])], 18, ["time", 1, I], [1, 1, 1, H], 5001))
    yield ("heads_onnx_reverse_y_h", "Y_h of a reverse LSTM [1, 1, H], Squeeze -> output final "
           "(the state after reading step 0)", lstm_node_graph(
               "reverse_y_h", I, H, "reverse",
               [helper.make_node("Squeeze", ["Y_h", "axes"], ["y"], name="squeeze")],
               [ints("axes", [0])], 14, ["time", 1, I], [1, H], 5002))
    yield ("heads_onnx_reshape_static_batch", "Reshape of a bidirectional Y [T, 2, 1, H] "
           "straight to [T, 2H] (the batch a static 1)", lstm_node_graph(
               "reshape_static_batch", I, H, "bidirectional",
               [helper.make_node("Reshape", ["Y", "shape"], ["y"], name="reshape")],
               [ints("shape", [-1, 2 * H])], 14, ["time", 1, I], ["time", 2 * H], 5003))


def hand_case(name, about, model, seed):
    rng = np.random.default_rng(seed)
    I = model.graph.input[0].type.tensor_type.shape.dim[2].dim_value
    seqs = sequences(rng, I, [6, 2, 9])
    outs = []
    for s in seqs:
        y = onnx_ref.run_graph(model, s[:, np.newaxis].astype(np.float64))
        outs.append(y.reshape(-1, y.shape[-1]))
    write_case(name, model.SerializeToString(), seqs, outs,
               {"about": about, "expected": "tests/reference/onnx_ref.py, float64"})


def broken_models():
    """(name, bytes): models lstmc import must refuse, each with a message."""
    c = dict(input=3, hidden=4, bidirectional=True, units=2, opset=14)
    yield "heads_backward_only", torch_export(dict(c, head="h_n[-1]"), 1)[1]
    yield "heads_forward_only", torch_export(dict(c, head="h_n[-2]"), 2)[1]
    yield "heads_mean_after_dense", torch_export(dict(c, head="fc_mean"), 3)[1]
    # a graph with two outputs, Y and Y_h, and no --graph-output
    m = lstm_node_graph("two_outputs", 3, 4, "forward", [], [], 14, ["time", 1, 3], [], 4)
    del m.graph.output[:]
    m.graph.output.extend([helper.make_tensor_value_info("Y", TensorProto.FLOAT, None),
                           helper.make_tensor_value_info("Y_h", TensorProto.FLOAT, None)])
    yield "heads_two_outputs", m.SerializeToString()
    # ReduceMean over the features; its node unnamed (reported by position)
    m = lstm_node_graph("reduce_features", 3, 4, "forward",
                        [helper.make_node("ReduceMean", ["Y"], ["y"], axes=[3])], [], 14,
                        ["time", 1, 3], None, 5)
    yield "heads_reduce_features_unnamed", m.SerializeToString()
    # Concat(b, b) of a float constant chained until it would hold 2^22
    # values: refused by the budget of computed constants, not run
    nodes, name = [], "b0"
    for k in range(22):
        nodes.append(helper.make_node("Concat", [name, name], ["b%d" % (k + 1)], axis=0,
                                      name="double%d" % k))
        name = "b%d" % (k + 1)
    nodes.append(helper.make_node("Reshape", [name, "bshape"], ["B"], name="reshape_b"))
    nodes.append(helper.make_node("LSTM", ["x", "W", "R", "B"], ["Y"], name="lstm", hidden_size=4))
    nodes.append(helper.make_node("Identity", ["Y"], ["y"], name="out"))
    graph = helper.make_graph(nodes, "concat_budget",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["time", 1, 3])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
                              [init("W", np.zeros((1, 16, 3))), init("R", np.zeros((1, 16, 4))),
                               init("b0", np.zeros(1)), ints("bshape", [1, -1])])
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)])
    yield "heads_concat_constants_budget", m.SerializeToString()
    # an nn.LSTMCell loop exported to ONNX
    class Cell(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.cell = torch.nn.LSTMCell(3, 4)

        def forward(self, x):
            h = torch.zeros(1, 4)
            c = torch.zeros(1, 4)
            for t in range(x.shape[1]):
                h, c = self.cell(x[:, t], (h, c))
            return h
    buf = io.BytesIO()
    torch.onnx.export(Cell().eval(), (torch.zeros(1, 3, 3),), buf, input_names=["x"],
                      output_names=["y"], opset_version=14)
    yield "heads_lstmcell_loop", buf.getvalue()


def main():
    for c in TORCH_CASES:
        shutil.rmtree(os.path.join(OUT, c["name"]), ignore_errors=True)
    for k, c in enumerate(TORCH_CASES):
        torch_case(c, 6000 + k)
    for k, case in enumerate(hand_cases()):
        shutil.rmtree(os.path.join(OUT, case[0]), ignore_errors=True)
        hand_case(case[0], case[1], case[2], 7000 + k)
    for name, data in broken_models():
        with open(os.path.join(BROKEN, name + ".onnx"), "wb") as f:
            f.write(data)
    print("wrote", OUT, "and", BROKEN)


if __name__ == "__main__":
    torch.set_num_threads(1)
    main()
