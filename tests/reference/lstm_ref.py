"""An independent float64 NumPy reference of the lstmc spec language.

Written from grammar/SPEC.md (the cell equations, the activation table, the
layer and output rules), not from lstmc's interpreter, so that agreement
between the two means something. gen_numpy.py and gen_pytorch.py use it to
write expected outputs and to cross-check PyTorch.

A model is a plain dict, the same one that writes its spec (spec_text):

    dict(name="m", input=5, output="sequence" | "last", layers=[LAYER, ...])

    lstm  LAYER: dict(kind="lstm", name="enc", hidden=H, layers=1,
                      direction="forward" | "backward" | "bidirectional",
                      blocks=None | NB, gates=("input", "forget", "output"),
                      coupled=False, peepholes=False,
                      gate_activation=ACT, cell_input=ACT, cell_output=ACT,
                      forget_bias=None | "1.0", clip={"gates": "3", ...},
                      projection=0, bias=True, initial_state=False,
                      convention="native", prefixes=["enc"])
    dense LAYER: dict(kind="dense", name="head", units=N, activation=ACT,
                      bias=True, convention="native", prefixes=["head"])

An ACT is a word ("tanh") or a tuple of the word and its parameters as the
spec writes them (("hard_sigmoid", "1/6", "0.5")). Numbers that reach the
spec are kept as strings so that the spec says exactly what was computed.

Weights are a dict of numpy arrays in the `native` naming of SPEC.md
(<prefix>.w_i[_l{k}][_reverse] ..., <prefix>.h0 [R] and <prefix>.c0 [H]
with initial_state, <prefix>.weight for dense layers); other conventions
are converted to it by the generator that owns them.
"""
from fractions import Fraction

import numpy as np

GATES = ("input", "forget", "output")
LETTER = {"input": "i", "forget": "f", "output": "o"}


def number(text):
    """A spec number ("0.5", "-2", "1/6", "1e-3") as the nearest double."""
    return float(Fraction(str(text)))


def act_name(act):
    return act if isinstance(act, str) else act[0]


def act_params(act):
    return () if isinstance(act, str) else tuple(number(p) for p in act[1:])


def act_text(act):
    """The spec's spelling: `tanh`, `hard_sigmoid(1/6, 0.5)`."""
    if isinstance(act, str):
        return act
    return "%s(%s)" % (act[0], ", ".join(str(p) for p in act[1:]))


def _sigmoid(x):
    # two branches so that neither exponent overflows
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def apply_activation(act, x):
    """SPEC.md's activation table, elementwise on a float64 vector."""
    name, p = act_name(act), act_params(act)
    x = np.asarray(x, dtype=np.float64)
    if name == "sigmoid":
        return _sigmoid(x)
    if name == "tanh":
        return np.tanh(x)
    if name == "hard_sigmoid":
        return np.maximum(0.0, np.minimum(1.0, p[0] * x + p[1]))
    if name == "scaled_sigmoid":
        return p[0] + (p[1] - p[0]) * _sigmoid(x)
    if name == "scaled_tanh":
        return p[0] * np.tanh(p[1] * x)
    if name == "relu":
        return np.maximum(0.0, x)
    if name == "leaky_relu":
        return np.where(x >= 0, x, p[0] * x)
    if name == "thresholded_relu":
        return np.where(x > p[0], x, 0.0)
    if name == "elu":
        return np.where(x >= 0, x, p[0] * np.expm1(np.minimum(x, 0.0)))
    if name == "softsign":
        return x / (1.0 + np.abs(x))
    if name == "softplus":
        return np.logaddexp(0.0, x)
    if name == "affine":
        return p[0] * x + p[1]
    if name == "identity":
        return x.copy()
    if name == "softmax":
        e = np.exp(x - np.max(x))
        return e / np.sum(e)
    if name == "log_softmax":
        m = np.max(x)
        return x - m - np.log(np.sum(np.exp(x - m)))
    raise ValueError("unknown activation %r" % (name,))


def lstm_defaults(layer):
    """The SPEC's defaults for every statement an lstm layer leaves out."""
    full = dict(layers=1, direction="forward", blocks=None, gates=GATES, coupled=False,
                peepholes=False, gate_activation="sigmoid", cell_input="tanh",
                cell_output="tanh", forget_bias=None, clip={}, projection=0, bias=True,
                initial_state=False, convention="native")
    full.update(layer)
    return full


def directions(layer):
    return {"forward": ["forward"], "backward": ["backward"],
            "bidirectional": ["forward", "backward"]}[layer["direction"]]


def native_suffix(layer, k, d):
    """SPEC.md's native suffix: _l{k} in a block of several layers, then
    _reverse for the backward direction of a bidirectional block."""
    sfx = "_l%d" % k if layer["layers"] > 1 else ""
    if layer["direction"] == "bidirectional" and d == 1:
        sfx += "_reverse"
    return sfx


def native_shapes(layer, k, width_in):
    """{tensor name: shape} of stacked layer k of an lstm block (native)."""
    layer = lstm_defaults(layer)
    H, P = layer["hidden"], layer["projection"]
    NB = layer["blocks"] or H
    K = width_in + (P or H)
    prefix = layer["prefixes"][0]
    shapes = {}
    for d in range(len(directions(layer))):
        sfx = native_suffix(layer, k, d)
        for gate in GATES:
            if gate not in layer["gates"] or (gate == "forget" and layer["coupled"]):
                continue
            c = LETTER[gate]
            shapes["%s.w_%s%s" % (prefix, c, sfx)] = (NB, K)
            if layer["bias"]:
                shapes["%s.b_%s%s" % (prefix, c, sfx)] = (NB,)
            if layer["peepholes"]:
                shapes["%s.p_%s%s" % (prefix, c, sfx)] = (H,)
        shapes["%s.w_g%s" % (prefix, sfx)] = (H, K)
        if layer["bias"]:
            shapes["%s.b_g%s" % (prefix, sfx)] = (H,)
        if P:
            shapes["%s.w_proj%s" % (prefix, sfx)] = (P, H)
        if layer["initial_state"]:
            # the state each sequence starts from (a backward direction: at t = T-1)
            shapes["%s.h0%s" % (prefix, sfx)] = (P or H,)
            shapes["%s.c0%s" % (prefix, sfx)] = (H,)
    return shapes


def layer_width(layer):
    """The width of a layer's output at each step."""
    if layer["kind"] == "dense":
        return layer["units"]
    layer = lstm_defaults(layer)
    return (layer["projection"] or layer["hidden"]) * len(directions(layer))


def model_shapes(model):
    """Every tensor a native model reads, in order, with its shape."""
    shapes, width = {}, model["input"]
    for layer in model["layers"]:
        if layer["kind"] == "dense":
            p = layer["prefixes"][0]
            shapes[p + ".weight"] = (layer["units"], width)
            if layer.get("bias", True):
                shapes[p + ".bias"] = (layer["units"],)
        else:
            for k in range(lstm_defaults(layer)["layers"]):
                shapes.update(native_shapes(layer, k, width if k == 0 else layer_width(layer)))
        width = layer_width(layer)
    return shapes


def _clip(stats, what, v, limit):
    """Clamps v to [-limit, limit], counting in stats how many values it changed."""
    out = np.clip(v, -limit, limit)
    stats[what] = stats.get(what, 0) + int(np.count_nonzero(out != v))
    return out


def run_direction(layer, w, sfx, xs, backward, stats):
    """One direction of one stacked layer over one sequence xs [T, I]:
    returns h of every step [T, R], in the sequence's own time order."""
    H, P = layer["hidden"], layer["projection"]
    NB = layer["blocks"] or H
    S = H // NB
    prefix = layer["prefixes"][0]

    def t(name):
        return w.get("%s.%s%s" % (prefix, name, sfx))

    def block_sum(v):
        # a gate's peephole input: the sum over its block's cells
        return v.reshape(NB, S).sum(axis=1)

    def spread(v):
        # a block's gate value, applied to each of its S cells
        return np.repeat(v, S)

    clip = {key: number(v) for key, v in layer["clip"].items()}

    def clip_gate(a):
        return _clip(stats, "clip gates", a, clip["gates"]) if "gates" in clip else a

    has = {g: g in layer["gates"] for g in GATES}
    gate_act, cell_in, cell_out = (layer["gate_activation"], layer["cell_input"],
                                   layer["cell_output"])
    T = xs.shape[0]
    # every sequence starts from zeros, or from h0, c0 with initial_state;
    # a backward direction starts from its own at its first step, t = T-1
    h = t("h0").copy() if layer["initial_state"] else np.zeros(P or H)
    c = t("c0").copy() if layer["initial_state"] else np.zeros(H)
    out = np.zeros((T, P or H))
    steps = range(T - 1, -1, -1) if backward else range(T)
    for step in steps:
        z = np.concatenate([xs[step], h])

        def pre(letter, state):
            a = t("w_" + letter) @ z
            if layer["bias"]:
                a = a + t("b_" + letter)
            if layer["peepholes"] and letter != "g":
                a = a + block_sum(t("p_" + letter) * state)
            return a

        # input and forget gates see the old cell state through peepholes
        i = np.ones(NB)             # a missing gate is the constant 1
        if has["input"]:
            i = apply_activation(gate_act, clip_gate(pre("i", c)))
        if layer["coupled"]:
            f = 1.0 - i
        elif has["forget"]:
            af = pre("f", c)
            if layer["forget_bias"] is not None:
                af = af + number(layer["forget_bias"])
            f = apply_activation(gate_act, clip_gate(af))
        else:
            f = np.ones(NB)         # no forget gate: the constant error carousel
        g = apply_activation(cell_in, clip_gate(pre("g", None)))
        c_new = spread(f) * c + spread(i) * g
        if "cell" in clip:
            c_new = _clip(stats, "clip cell", c_new, clip["cell"])
        # the output gate sees the new cell state
        o = np.ones(NB)
        if has["output"]:
            o = apply_activation(gate_act, clip_gate(pre("o", c_new)))
        h_new = spread(o) * apply_activation(cell_out, c_new)
        if P:
            h_new = t("w_proj") @ h_new
            if "projection" in clip:
                h_new = _clip(stats, "clip projection", h_new, clip["projection"])
        h, c = h_new, c_new
        out[step] = h
    return out


def run_lstm_block(layer, w, xs, stats):
    """An lstm block (all its stacked layers) over one sequence."""
    layer = lstm_defaults(layer)
    for k in range(layer["layers"]):
        parts = []
        for d, direction in enumerate(directions(layer)):
            parts.append(run_direction(layer, w, native_suffix(layer, k, d), xs,
                                       direction == "backward", stats))
        xs = np.concatenate(parts, axis=1)      # forward first
    return xs


def run_dense(layer, w, xs):
    p = layer["prefixes"][0]
    act = layer.get("activation", "identity")
    ys = xs @ w[p + ".weight"].T
    if layer.get("bias", True):
        ys = ys + w[p + ".bias"]
    return np.stack([apply_activation(act, y) for y in ys])


def pool(model, layer, xs):
    """Output final, mean or max: the output rows xs [T, width] of the last
    lstm block (layer; None: the input) as one row [1, width]. final: each
    direction's state at the end of its run, a forward direction's at the
    last step, a backward one's after it read step 0 (PyTorch's h_n of the
    last layer, cat(h_n[-2], h_n[-1]) when bidirectional)."""
    form = model["output"]
    if form == "mean":
        return np.mean(xs, axis=0, keepdims=True)
    if form == "max":
        return np.max(xs, axis=0, keepdims=True)
    dirs = directions(lstm_defaults(layer))
    R = xs.shape[1] // len(dirs)
    return np.concatenate([xs[0 if d == "backward" else -1, i * R:(i + 1) * R]
                           for i, d in enumerate(dirs)])[None, :]


def run_model(model, weights, sequences, stats=None):
    """The model's outputs for each sequence ([T, I] arrays): a list of
    [T, out] arrays, or of [1, out] with output last, final, mean or max
    (those three pool the rows of the last lstm block, and the layers after
    it run on the pooled row). stats, a dict, gets how many values each
    kind of clip changed."""
    stats = {} if stats is None else stats
    w = {k: np.asarray(v, dtype=np.float64) for k, v in weights.items()}
    form = model.get("output", "sequence")
    lstms = [k for k, layer in enumerate(model["layers"]) if layer["kind"] == "lstm"]
    pool_after = (lstms[-1] if lstms else -1) if form in ("final", "mean", "max") else None
    results = []
    for xs in sequences:
        xs = np.asarray(xs, dtype=np.float64)
        if pool_after == -1:
            xs = pool(model, None, xs)
        for k, layer in enumerate(model["layers"]):
            if layer["kind"] == "lstm":
                xs = run_lstm_block(layer, w, xs, stats)
            else:
                xs = run_dense(layer, w, xs)
            if k == pool_after:
                xs = pool(model, layer, xs)
        results.append(xs[-1:] if form == "last" else xs)
    return results


def spec_text(model, weights_path, comment):
    """The .lstm spec of a model, one statement per line, in a fixed order."""
    lines = ["# " + comment, "model %s {" % model["name"], "    input %d;" % model["input"],
             '    weights "%s";' % weights_path]
    for layer in model["layers"]:
        lines.append("    %s %s {" % (layer["kind"], layer["name"]))
        body = []
        if layer["kind"] == "lstm":
            full = lstm_defaults(layer)
            body.append("hidden %d;" % full["hidden"])
            if full["layers"] > 1:
                body.append("layers %d;" % full["layers"])
            if full["direction"] != "forward":
                body.append("direction %s;" % full["direction"])
            if full["blocks"]:
                body.append("blocks %d;" % full["blocks"])
            if tuple(full["gates"]) != GATES:
                body.append("gates %s;" % " ".join(full["gates"]))
            if full["coupled"]:
                body.append("coupled;")
            if full["peepholes"]:
                body.append("peepholes;")
            for key in ("gate_activation", "cell_input", "cell_output"):
                if key in layer:
                    body.append("%s %s;" % (key, act_text(layer[key])))
            if full["forget_bias"] is not None:
                body.append("forget_bias %s;" % full["forget_bias"])
            if full["clip"]:
                body.append("clip %s;" % " ".join("%s %s" % kv for kv in full["clip"].items()))
            if full["projection"]:
                body.append("projection %d;" % full["projection"])
            if not full["bias"]:
                body.append("no_bias;")
            if full["initial_state"]:
                body.append("initial_state;")
        else:
            body.append("units %d;" % layer["units"])
            if layer.get("activation", "identity") != "identity":
                body.append("activation %s;" % act_text(layer["activation"]))
            if not layer.get("bias", True):
                body.append("no_bias;")
        body.append("from %s %s;" % (layer.get("convention", "native"),
                                     ", ".join('"%s"' % p for p in layer["prefixes"])))
        lines += ["        " + s for s in body] + ["    }"]
    lines += ["    output %s;" % model.get("output", "sequence"), "}", ""]
    return "\n".join(lines)


# ---- fixture files (shared by the generators) ----

def write_safetensors(path, tensors):
    """Writes float32 tensors (name -> numpy array) in the safetensors layout:
    8-byte little-endian header length, the JSON header padded with spaces
    to a multiple of 8, then the data in header order."""
    import json
    import struct
    header, blobs, offset = {}, [], 0
    for name, array in tensors.items():
        data = np.ascontiguousarray(array, dtype="<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(array.shape),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)


def rows(array, fmt="%.9g"):
    """A matrix as lines of numbers: the data format of every lstmc tool."""
    return "\n".join(" ".join(fmt % v for v in row) for row in array)


def parse_rows(text):
    """The numbers of rows() read back, as a reader of input.txt sees them."""
    return np.array([[float(v) for v in line.split()] for line in text.split("\n")])
