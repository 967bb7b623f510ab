"""The ONNX LSTM operator in float64 NumPy, written from its specification
(onnx/docs/Operators.md, LSTM-14), as an oracle independent of lstmc and of
PyTorch. Also a few other operators, enough to evaluate the small graphs
tests/reference/gen_onnx.py builds.

LSTM, per direction, with gates in the tensors' order i, o, f, c:
    it = f(Xt Wi^T + Ht-1 Ri^T + Pi * Ct-1 + Wbi + Rbi)
    ft = f(Xt Wf^T + Ht-1 Rf^T + Pf * Ct-1 + Wbf + Rbf)   (1 - it if input_forget)
    ct = g(Xt Wc^T + Ht-1 Rc^T + Wbc + Rbc)
    Ct = ft * Ct-1 + it * ct
    ot = f(Xt Wo^T + Ht-1 Ro^T + Po * Ct + Wbo + Rbo)
    Ht = ot * h(Ct)
clip bounds every activation's input to [-clip, clip]; B = [Wb, Rb]; P is
[Pi, Po, Pf]; the reverse direction runs t = T-1 .. 0 and Y keeps time order;
Y_h and Y_c are each direction's final state (the reverse's after t = 0).
"""
import numpy as np


def _activation(name, alpha, beta):
    n = name.lower()
    if n == "sigmoid":
        return lambda x: 1.0 / (1.0 + np.exp(-x))
    if n == "tanh":
        return np.tanh
    if n == "relu":
        return lambda x: np.maximum(x, 0.0)
    if n == "affine":
        return lambda x: alpha * x + beta
    if n == "leakyrelu":
        return lambda x: np.where(x >= 0, x, alpha * x)
    if n == "thresholdedrelu":
        return lambda x: np.where(x > alpha, x, 0.0)
    if n == "scaledtanh":
        return lambda x: alpha * np.tanh(beta * x)
    if n == "hardsigmoid":
        return lambda x: np.clip(alpha * x + beta, 0.0, 1.0)
    if n == "elu":
        return lambda x: np.where(x >= 0, x, alpha * (np.exp(x) - 1.0))
    if n == "softsign":
        return lambda x: x / (1.0 + np.abs(x))
    if n == "softplus":
        return lambda x: np.log1p(np.exp(x))
    raise ValueError("unknown activation " + name)


TAKES_ALPHA = {"affine", "leakyrelu", "thresholdedrelu", "scaledtanh", "hardsigmoid", "elu"}
TAKES_BETA = {"affine", "scaledtanh", "hardsigmoid"}
DEFAULTS = {"affine": (1.0, 0.0), "leakyrelu": (0.01, 0.0), "thresholdedrelu": (1.0, 0.0),
            "hardsigmoid": (0.2, 0.5), "elu": (1.0, 0.0)}


def activations(names, alphas, betas):
    """The functions of an LSTM node: alpha and beta values are consumed in
    order by the activations that take them (onnxruntime's reading)."""
    out, ia, ib = [], 0, 0
    for name in names:
        n = name.lower()
        a, b = DEFAULTS.get(n, (0.0, 0.0))
        if n in TAKES_ALPHA and alphas is not None:
            a, ia = float(np.float32(alphas[ia])), ia + 1
        if n in TAKES_BETA and betas is not None:
            b, ib = float(np.float32(betas[ib])), ib + 1
        out.append(_activation(name, a, b))
    return out


def lstm(X, W, R, B=None, P=None, initial_h=None, initial_c=None, direction="forward",
         acts=None, alphas=None, betas=None, clip=None, input_forget=0, layout=0):
    """Returns Y, Y_h, Y_c as float64 arrays, in the layout asked for."""
    X = np.asarray(X, np.float64)
    if layout == 1:
        X = X.transpose(1, 0, 2)
    T, N, _ = X.shape
    D, H4, _ = W.shape
    H = H4 // 4
    names = acts or ["Sigmoid", "Tanh", "Tanh"] * D
    funcs = activations(names, alphas, betas)
    B = np.zeros((D, 8 * H)) if B is None else np.asarray(B, np.float64)
    P = np.zeros((D, 3 * H)) if P is None else np.asarray(P, np.float64)
    h0 = np.zeros((D, N, H)) if initial_h is None else np.asarray(initial_h, np.float64)
    c0 = np.zeros((D, N, H)) if initial_c is None else np.asarray(initial_c, np.float64)
    if layout == 1 and initial_h is not None:
        h0 = h0.transpose(1, 0, 2)
    if layout == 1 and initial_c is not None:
        c0 = c0.transpose(1, 0, 2)

    def clipped(v):
        return v if clip is None else np.clip(v, -clip, clip)

    Y = np.zeros((T, D, N, H))
    Yh, Yc = np.zeros((D, N, H)), np.zeros((D, N, H))
    for d in range(D):
        f, g, h = funcs[3 * d:3 * d + 3]
        w, r = np.asarray(W[d], np.float64), np.asarray(R[d], np.float64)
        b = B[d, :4 * H] + B[d, 4 * H:]
        pi, po, pf = P[d, :H], P[d, H:2 * H], P[d, 2 * H:]
        Ht, Ct = h0[d].copy(), c0[d].copy()
        reverse = direction == "reverse" or (direction == "bidirectional" and d == 1)
        for t in (range(T - 1, -1, -1) if reverse else range(T)):
            a = X[t] @ w.T + Ht @ r.T + b
            ai, ao, af, ac = a[:, :H], a[:, H:2 * H], a[:, 2 * H:3 * H], a[:, 3 * H:]
            it = f(clipped(ai + pi * Ct))
            ft = 1.0 - it if input_forget else f(clipped(af + pf * Ct))
            ct = g(clipped(ac))
            Ct = ft * Ct + it * ct
            ot = f(clipped(ao + po * Ct))
            Ht = ot * h(Ct)
            Y[t, d] = Ht
        Yh[d], Yc[d] = Ht, Ct
    if layout == 1:
        return Y.transpose(2, 0, 1, 3), Yh.transpose(1, 0, 2), Yc.transpose(1, 0, 2)
    return Y, Yh, Yc


def run_graph(model, x):
    """Evaluates an onnx.ModelProto built of the operators below on input x
    (float64 throughout) and returns its one output."""
    from onnx import numpy_helper, helper
    env = {t.name: numpy_helper.to_array(t).astype(np.float64)
           if numpy_helper.to_array(t).dtype.kind == "f" else numpy_helper.to_array(t)
           for t in model.graph.initializer}
    env[model.graph.input[0].name] = np.asarray(x, np.float64)
    env[""] = None
    for node in model.graph.node:
        a = {at.name: helper.get_attribute_value(at) for at in node.attribute}
        ins = [env[i] for i in node.input]
        op = node.op_type
        if op == "LSTM":
            dec = lambda v: v.decode() if isinstance(v, bytes) else v
            ins += [None] * (8 - len(ins))
            out = lstm(ins[0], ins[1], ins[2], ins[3], ins[7], ins[5], ins[6],
                       direction=dec(a.get("direction", "forward")),
                       acts=[dec(s) for s in a["activations"]] if "activations" in a else None,
                       alphas=a.get("activation_alpha"), betas=a.get("activation_beta"),
                       clip=a.get("clip"), input_forget=a.get("input_forget", 0),
                       layout=a.get("layout", 0))
        elif op == "Constant":
            out = [numpy_helper.to_array(a["value"])]
        elif op == "Identity":
            out = [ins[0]]
        elif op == "Transpose":
            out = [np.transpose(ins[0], a.get("perm"))]
        elif op == "Squeeze":
            out = [np.squeeze(ins[0], axis=tuple(int(v) for v in ins[1]))]
        elif op == "Unsqueeze":
            out = [np.expand_dims(ins[0], axis=tuple(int(v) for v in ins[1]))]
        elif op == "Reshape":
            shape = [ins[0].shape[k] if v == 0 else int(v) for k, v in enumerate(ins[1])]
            out = [ins[0].reshape(shape)]
        elif op == "Slice":
            sl = [slice(None)] * ins[0].ndim
            for s, e, ax in zip(ins[1], ins[2], ins[3]):
                sl[int(ax)] = slice(int(s), int(min(e, 2**62)))
            out = [ins[0][tuple(sl)]]
        elif op == "Gather":
            out = [np.take(ins[0], ins[1], axis=a.get("axis", 0))]
        elif op == "MatMul":
            out = [ins[0] @ ins[1]]
        elif op == "Add":
            out = [ins[0] + ins[1]]
        elif op == "Gemm":
            A = ins[0].T if a.get("transA") else ins[0]
            Bm = ins[1].T if a.get("transB") else ins[1]
            out = [a.get("alpha", 1.0) * A @ Bm + (a.get("beta", 1.0) * ins[2] if len(ins) > 2 else 0)]
        elif op in ("ReduceMean", "ReduceMax"):
            axes = a["axes"] if "axes" in a else [int(v) for v in ins[1]]
            f = np.mean if op == "ReduceMean" else np.max
            out = [f(ins[0], axis=tuple(axes), keepdims=bool(a.get("keepdims", 1)))]
        elif op == "Relu":
            out = [np.maximum(ins[0], 0)]
        elif op == "Sigmoid":
            out = [1 / (1 + np.exp(-ins[0]))]
        elif op == "Tanh":
            out = [np.tanh(ins[0])]
        elif op == "Softmax":
            e = np.exp(ins[0] - ins[0].max(axis=a.get("axis", -1), keepdims=True))
            out = [e / e.sum(axis=a.get("axis", -1), keepdims=True)]
        else:
            raise ValueError("run_graph: no " + op)
        for name, value in zip(node.output, out):
            env[name] = value
    return env[model.graph.output[0].name]
