#!/usr/bin/python3
"""Generates the NumPy reference fixtures: what PyTorch cannot express.

Each case is a model in lstm_ref.py's description (memory cell blocks, gate
subsets, peepholes, the coupled gate, clips, forget_bias, every activation,
stacks of mixed layers, dense heads), given random but deterministic native
weights (numpy Generator, one seed per case) and a few input sequences, and
run by the float64 reference of lstm_ref.py. It writes

    tests/fixtures/numpy/CASE/{weights.safetensors,input.txt,expected.txt,case.json}
    tests/numpy/CASE.lstm           the spec lstmc runs the case with

The outputs are committed: run this only to add or change a case (numpy is
enough; /usr/bin/python3 has it):

    /usr/bin/python3 tests/reference/gen_numpy.py
"""
import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
TESTS = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import lstm_ref  # noqa: E402


def lstm(name, hidden, **options):
    return dict(kind="lstm", name=name, hidden=hidden, prefixes=[name], **options)


def dense(name, units, **options):
    return dict(kind="dense", name=name, units=units, prefixes=[name], **options)


# The activations a gate, cell input or cell output may have, with the
# parameters these fixtures give them.
ACTIVATIONS = [
    "sigmoid", "tanh", ("hard_sigmoid", "0.2", "0.5"), ("scaled_sigmoid", "-1", "1"),
    ("scaled_tanh", "1.7159", "2/3"), "relu", ("leaky_relu", "0.1"),
    ("thresholded_relu", "0.25"), ("elu", "0.8"), "softsign", "softplus",
    ("affine", "0.5", "0.25"), "identity",
]


def activation_case(j):
    """Case j of 13: an lstm whose (gate, cell input, cell output) activations
    are (A[j], A[j+5], A[j+10]) mod 13, so that over j = 0..12 every
    activation has every role once. One lstm per case: stacked, the
    squashing layers would hide the earlier ones' differences. A cell clip
    keeps unbounded gates (relu, softplus, identity) from growing past
    float32's precision."""
    n = len(ACTIVATIONS)
    roles = [ACTIVATIONS[j % n], ACTIVATIONS[(j + 5) % n], ACTIVATIONS[(j + 10) % n]]
    layer = lstm("l", 6, gate_activation=roles[0], cell_input=roles[1], cell_output=roles[2],
                 clip={"cell": "3"})
    name = "a%02d_%s" % (j, "_".join(lstm_ref.act_name(a) for a in roles))
    description = "activations: gates %s, cell input %s, cell output %s" % tuple(
        lstm_ref.act_text(a) for a in roles)
    return (name, description, dict(input=3, layers=[layer]), [6, 3], 0.7)


# name, what it covers, model (input, layers, output), sequence lengths,
# weight scale (uniform in [-scale, scale]).
CASES = [
    ("n01_blocks_s2", "memory cell blocks: 4 blocks of S = 2 cells, all gates",
     dict(input=5, layers=[lstm("mem", 8, blocks=4)]), [7, 3], 0.5),
    ("n02_blocks_s4_peepholes", "blocks of S = 4 with peepholes (a gate's peephole input sums its block's cells)",
     dict(input=4, layers=[lstm("mem", 16, blocks=4, peepholes=True)]), [8, 1], 0.5),
    ("n03_lstm1997", "the 1997 cell: 4 blocks of 6, input and output gates only (no forget gate), scaled_sigmoid squashing",
     dict(input=3, layers=[lstm("mem", 24, blocks=4, gates=("input", "output"),
                                cell_input=("scaled_sigmoid", "-2", "2"),
                                cell_output=("scaled_sigmoid", "-1", "1"))]), [9, 4], 0.5),
    ("n04_no_forget_peepholes", "no forget gate, peepholes on the input and output gates",
     dict(input=4, layers=[lstm("cec", 6, gates=("input", "output"), peepholes=True)]), [6, 6], 0.5),
    ("n05_no_output_gate", "gates input forget: no output gate (o = 1)",
     dict(input=3, layers=[lstm("l", 7, gates=("input", "forget"))]), [5, 2], 0.5),
    ("n06_no_input_gate_blocks", "gates forget output (i = 1) with 6 blocks of 2",
     dict(input=4, layers=[lstm("l", 12, blocks=6, gates=("forget", "output"))]), [6, 3], 0.5),
    ("n07_coupled", "coupled input-forget gate f = 1 - i",
     dict(input=5, layers=[lstm("cifg", 9, coupled=True)]), [7, 2], 0.5),
    ("n08_coupled_peepholes_blocks", "coupled gate with peepholes and 3 blocks of 4",
     dict(input=3, layers=[lstm("cifg", 12, blocks=3, coupled=True, peepholes=True)]), [6, 5], 0.5),
    ("n09_forget_bias_peepholes", "forget_bias 1.0 with peepholes",
     dict(input=4, layers=[lstm("l", 8, forget_bias="1.0", peepholes=True)]), [8, 3], 0.5),
    ("n10_clip_gates", "clip gates 0.5: every gate and cell input pre-activation clamped",
     dict(input=4, layers=[lstm("l", 8, clip={"gates": "0.5"}, forget_bias="0.25")]), [6, 2], 0.5),
    ("n11_clip_cell", "clip cell 0.25 (TensorFlow Lite cell_clip), with peepholes that see the clamped state",
     dict(input=4, layers=[lstm("l", 8, clip={"cell": "0.25"}, peepholes=True)]), [8, 3], 0.8),
    ("n12_clip_projection", "projection 4 with clip projection 0.2 (proj_clip)",
     dict(input=5, layers=[lstm("l", 10, projection=4, clip={"projection": "0.2"})]), [7, 2], 0.6),
    ("n13_clip_all", "clip gates, cell and projection together, with projection and peepholes",
     dict(input=4, layers=[lstm("l", 12, projection=5, peepholes=True,
                               clip={"gates": "1", "cell": "0.5", "projection": "0.3"})]), [7, 4], 0.8),
    ("n14_projection_blocks", "projection with blocks and peepholes, 2 stacked layers",
     dict(input=4, layers=[lstm("l", 12, layers=2, blocks=4, projection=5, peepholes=True)]), [6, 3], 0.5),
    ("n15_no_bias_blocks", "no_bias in an lstm with blocks and in a dense layer",
     dict(input=4, layers=[lstm("l", 10, blocks=5, bias=False),
                           dense("head", 3, bias=False, activation="tanh")]), [6, 2], 0.5),
    ("n16_bidir_blocks", "bidirectional with blocks, peepholes and coupled gates; every step",
     dict(input=3, layers=[lstm("bi", 8, direction="bidirectional", blocks=2, peepholes=True,
                                coupled=True)]), [6, 3, 1], 0.5),
    ("n17_backward_last", "direction backward, output last (the state after its first step)",
     dict(input=4, output="last", layers=[lstm("back", 7, direction="backward", peepholes=True),
                                          dense("head", 2)]), [6, 3, 1], 0.5),
    ("n18_stacked_mixed", "a stack of different lstm blocks (2 layers of blocks with peepholes; bidirectional, coupled, projected; blocks without a forget gate) and two dense layers",
     dict(input=5, layers=[lstm("a", 8, layers=2, blocks=4, peepholes=True),
                           lstm("b", 6, direction="bidirectional", projection=3, coupled=True),
                           lstm("c", 9, blocks=3, gates=("input", "output"),
                                cell_input=("scaled_sigmoid", "-2", "2")),
                           dense("hidden", 7, activation=("leaky_relu", "0.01")),
                           dense("out", 4, activation="softmax")]), [7, 2], 0.5),
    ("n19_bidir_stacked_softmax_last", "2 stacked bidirectional layers with blocks, a softmax head on the last step",
     dict(input=4, output="last", layers=[lstm("enc", 8, layers=2, direction="bidirectional", blocks=4),
                                          dense("head", 5, activation="softmax")]), [9, 4, 1], 0.5),
    ("n20_dense_activations", "dense layers on every step with parameterized activations",
     dict(input=3, layers=[lstm("l", 6),
                           dense("d1", 6, activation=("hard_sigmoid", "1/6", "0.5")),
                           dense("d2", 5, activation=("scaled_tanh", "1.7159", "2/3")),
                           dense("d3", 5, activation=("thresholded_relu", "0.1")),
                           dense("d4", 4, activation=("elu", "1")),
                           dense("d5", 4, activation=("affine", "2", "-0.5")),
                           dense("d6", 3, activation="softplus")]), [5, 2], 0.8),
    ("n21_hard_sigmoid_keras3", "hard_sigmoid(1/6, 0.5) gates (Keras 3), blocks, forget_bias, clip gates 3",
     dict(input=4, layers=[lstm("l", 9, blocks=3, gate_activation=("hard_sigmoid", "1/6", "0.5"),
                               forget_bias="0.5", clip={"gates": "3"})]), [7, 3], 0.8),
] + [activation_case(j) for j in range(len(ACTIVATIONS))] + [
    # after the activation cases, so that every case above keeps its seed
    ("n22_initial_state_bidir", "initial_state in a bidirectional layer with peepholes: each direction starts from its own h0, c0 (the backward one at t = T-1)",
     dict(input=4, layers=[lstm("bi", 6, direction="bidirectional", peepholes=True,
                                initial_state=True)]), [6, 3, 1], 0.6),
    ("n23_initial_state_stacked_projection", "initial_state in 2 stacked layers with projection 4 (h0 has 4 values, c0 10), clip projection, a dense head",
     dict(input=5, layers=[lstm("enc", 10, layers=2, projection=4, clip={"projection": "0.25"},
                                initial_state=True),
                           dense("head", 3, activation="tanh")]), [7, 2, 1], 0.6),
    ("n24_initial_state_no_forget_backward", "initial_state with blocks and no forget gate (c' = c + i g carries c0 along), direction backward, output last (the state after its first step, from h0 and c0)",
     dict(input=3, output="last", layers=[lstm("cec", 12, blocks=4, gates=("input", "output"),
                                                direction="backward", initial_state=True,
                                                cell_output=("scaled_sigmoid", "-1", "1")),
                                           dense("head", 2)]), [6, 3, 1], 0.6),
    ("n25_initial_state_mixed", "initial_state in two of three lstm blocks: blocks without a forget gate with peepholes, a plain bidirectional block without it, a coupled block with it",
     dict(input=4, layers=[lstm("a", 8, blocks=2, gates=("input", "output"), peepholes=True,
                                initial_state=True),
                           lstm("b", 5, direction="bidirectional"),
                           lstm("c", 6, coupled=True, initial_state=True)]), [5, 4], 0.5),
]


def random_weights(model, rng, scale):
    """Every native tensor of the model, uniform in [-scale, scale], float32."""
    return {name: rng.uniform(-scale, scale, shape).astype(np.float32)
            for name, shape in lstm_ref.model_shapes(model).items()}


def features(model):
    """The spec features a model uses, for case.json (and the README)."""
    found = set()
    for layer in model["layers"]:
        if layer["kind"] == "dense":
            found.add("dense " + lstm_ref.act_name(layer.get("activation", "identity")))
            continue
        full = lstm_ref.lstm_defaults(layer)
        if full["blocks"] and full["blocks"] != full["hidden"]:
            found.add("blocks S=%d" % (full["hidden"] // full["blocks"]))
        if tuple(full["gates"]) != lstm_ref.GATES:
            found.add("gates " + " ".join(full["gates"]))
        for key in ("coupled", "peepholes"):
            if full[key]:
                found.add(key)
        for key in ("gate_activation", "cell_input", "cell_output"):
            if key in layer:
                found.add("%s %s" % (key, lstm_ref.act_name(layer[key])))
        for key in full["clip"]:
            found.add("clip " + key)
        if full["forget_bias"] is not None:
            found.add("forget_bias")
        if full["projection"]:
            found.add("projection")
        if not full["bias"]:
            found.add("no_bias")
        if full["initial_state"]:
            found.add("initial_state")
        if full["layers"] > 1:
            found.add("layers")
        if full["direction"] != "forward":
            found.add("direction " + full["direction"])
    return sorted(found)


def generate(name, description, model, steps, scale, seed):
    model = dict(model, name=name)
    model.setdefault("output", "sequence")
    rng = np.random.default_rng(seed)
    weights = random_weights(model, rng, scale)
    # the reference reads the inputs as lstmc does: from their text
    texts = [lstm_ref.rows(rng.standard_normal((n, model["input"])).astype(np.float32))
             for n in steps]
    stats = {}
    outputs = lstm_ref.run_model(model, weights, [lstm_ref.parse_rows(t) for t in texts], stats)

    folder = os.path.join(TESTS, "fixtures", "numpy", name)
    os.makedirs(folder, exist_ok=True)
    lstm_ref.write_safetensors(os.path.join(folder, "weights.safetensors"), weights)
    with open(os.path.join(folder, "input.txt"), "w") as f:
        f.write("\n\n".join(texts) + "\n")
    with open(os.path.join(folder, "expected.txt"), "w") as f:
        f.write("\n".join(lstm_ref.rows(y, "%.10g") for y in outputs) + "\n")
    largest = max(float(np.max(np.abs(y))) for y in outputs)
    meta = dict(name=name, description=description, features=features(model), model=model,
                seed=seed, steps=steps, weight_scale=scale, convention="native",
                tensors={k: list(v.shape) for k, v in weights.items()},
                clip_changed=stats, max_abs_expected=largest,
                expected_source="float64 NumPy reference (tests/reference/lstm_ref.py), %.10g",
                generator="tests/reference/gen_numpy.py")
    with open(os.path.join(folder, "case.json"), "w") as f:
        json.dump(meta, f, indent=2)
        f.write("\n")
    os.makedirs(os.path.join(TESTS, "numpy"), exist_ok=True)
    with open(os.path.join(TESTS, "numpy", name + ".lstm"), "w") as f:
        f.write(lstm_ref.spec_text(model, "../fixtures/numpy/%s/weights.safetensors" % name,
                                   "Generated by tests/reference/gen_numpy.py: " + description + "."))
    print("wrote %-32s max |y| %.3g%s" % (folder, largest,
                                           "".join(", %s: %d" % kv for kv in sorted(stats.items()))))


def main():
    for i, case in enumerate(CASES):
        generate(*case, seed=3000 + i)
    return 0


if __name__ == "__main__":
    sys.exit(main())
