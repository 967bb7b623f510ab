#!/usr/bin/python3
"""Generates ONNX's own backend node tests of the LSTM, GRU and RNN
operators (tests/fixtures/onnx_node/), with python3-onnx's generator
(onnx.backend.test.case.node, the cases `onnx.backend.test.cmd_tools
generate-data` writes), and for each the rows lstmc reads and writes:

    NAME/model.onnx                 the test's model, as generated
    NAME/test_data_set_0/*.pb       its inputs and expected outputs, as generated
    NAME/input.txt                  input_0.pb's X as sequences (one per batch entry)
    NAME/expected_K.txt             output_K.pb as lstmc's rows (one row per step, or
                                    per sequence for Y_h)
    NAME/outputs                    the graph's outputs, one per line (K = line - 1)

The tests feed the weights as graph inputs; `lstmc import --input-values
NAME/test_data_set_0` makes them constants. tests/run_onnx.sh imports each
output of each model and compares with expected_K.txt within 1e-5.

Only the lstm, gru and rnn modules of the generator are imported (each
records its cases as it loads; collect_testcases would import every node
test, some of which python3-onnx 1.12 writes for an older NumPy). The GRU
and RNN seq_length cases draw random weights: NumPy's generator is seeded
first.

    /usr/bin/python3 tests/reference/gen_onnx_node.py
"""
import os
import shutil

import numpy as np

np.random.seed(0)

import onnx  # noqa: E402
from onnx import numpy_helper  # noqa: E402
import onnx.backend.test.case.node as node_test  # noqa: E402
import onnx.backend.test.case.node.lstm  # noqa: E402,F401  (records its cases)
import onnx.backend.test.case.node.gru  # noqa: E402,F401
import onnx.backend.test.case.node.rnn  # noqa: E402,F401

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(os.path.dirname(HERE), "fixtures", "onnx_node")
WANTED = ["test_lstm_defaults", "test_lstm_with_initial_bias", "test_lstm_with_peepholes",
          "test_lstm_batchwise", "test_gru_defaults", "test_gru_seq_length",
          "test_gru_with_initial_bias", "test_gru_batchwise", "test_simple_rnn_defaults",
          "test_simple_rnn_with_initial_bias", "test_rnn_seq_length", "test_simple_rnn_batchwise"]


def rows(array):
    return "\n".join(" ".join("%.9g" % v for v in row) for row in array)


def write(path, text):
    with open(path, "w") as f:
        f.write(text + "\n")


def main():
    cases = {c.name: c for c in node_test._NodeTestCases}
    shutil.rmtree(OUT, ignore_errors=True)
    os.makedirs(OUT)
    readme = ["# ONNX's backend node tests of LSTM, GRU and RNN", "",
              "Made by `tests/reference/gen_onnx_node.py` with python3-onnx %s's own "
              "generator; run by `tests/run_onnx.sh`." % onnx.__version__, "",
              "| test | node | X [T, B, I] | outputs |", "|---|---|---|---|"]
    for name in WANTED:
        if name not in cases:
            print("not in this python3-onnx:", name)
            continue
        case = cases[name]
        d = os.path.join(OUT, name)
        data = os.path.join(d, "test_data_set_0")
        os.makedirs(data)
        model = case.model
        with open(os.path.join(d, "model.onnx"), "wb") as f:
            f.write(model.SerializeToString())
        inputs, outputs = case.data_sets[0]
        for j, x in enumerate(inputs):
            with open(os.path.join(data, "input_%d.pb" % j), "wb") as f:
                f.write(numpy_helper.from_array(x, model.graph.input[j].name).SerializeToString())
        for j, y in enumerate(outputs):
            with open(os.path.join(data, "output_%d.pb" % j), "wb") as f:
                f.write(numpy_helper.from_array(y, model.graph.output[j].name).SerializeToString())
        node = model.graph.node[0]
        layout = next((a.i for a in node.attribute if a.name == "layout"), 0)
        x = inputs[0] if not layout else np.transpose(inputs[0], (1, 0, 2))   # [T, B, I]
        write(os.path.join(d, "input.txt"), "\n\n".join(rows(x[:, b]) for b in range(x.shape[1])))
        names = [o.name for o in model.graph.output]
        write(os.path.join(d, "outputs"), "\n".join(names))
        for j, y in enumerate(outputs):
            if names[j] == "Y":        # [T, D, B, H] (layout 1: [B, T, D, H])
                y = y if not layout else np.transpose(y, (1, 2, 0, 3))
                seqs = [y[:, :, b].reshape(y.shape[0], -1) for b in range(y.shape[2])]
            else:                      # Y_h [D, B, H] (layout 1: [B, D, H])
                y = y if not layout else np.transpose(y, (1, 0, 2))
                seqs = [y[:, b].reshape(1, -1) for b in range(y.shape[1])]
            write(os.path.join(d, "expected_%d.txt" % j), "\n".join(rows(s) for s in seqs))
        readme.append("| %s | %s | %s | %s |" % (name, node.op_type, list(x.shape), ", ".join(names)))
    write(os.path.join(OUT, "README.md"), "\n".join(readme))
    print("wrote", OUT)


if __name__ == "__main__":
    main()
