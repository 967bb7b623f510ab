#!/usr/bin/env python3
"""Runs a model built by `lstmc build --shared` from Python (ctypes, NumPy)
and checks it: against PyTorch when torch can be imported (the quickstart
model, nn.LSTM(13, 48, num_layers=2) + nn.Linear(48, 5) on the last step,
built from its weights file), otherwise against `lstmc run` on the same
arrays, given as a .npy file (a model of token ids gets random ids).

usage: example.py LIB [--spec SPEC] [--lstmc LSTMC]
  LIB     libNAME.so from `lstmc build SPEC --shared -o libNAME.so`
  SPEC    its spec (default: examples/quickstart/model.lstm)
  LSTMC   the lstmc for the reference run (default: build/lstmc, or lstmc on PATH)
Exits 1 when the largest difference is over 1e-5.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lstmc_ctypes import Model  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
QUICKSTART = os.path.join(ROOT, "examples", "quickstart", "model.lstm")
TOL = 1e-5


def read_safetensors(path):
    """The tensors of a safetensors file (float32 only), with NumPy alone."""
    with open(path, "rb") as f:
        n = int.from_bytes(f.read(8), "little")
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, t in header.items():
        if name == "__metadata__":
            continue
        assert t["dtype"] == "F32", name
        a, b = t["data_offsets"]
        out[name] = np.frombuffer(data[a:b], dtype="<f4").reshape(t["shape"])
    return out


def torch_reference(x):
    """The quickstart model in PyTorch, or None when torch is not importable."""
    try:
        import torch
    except ImportError:
        return None
    w = read_safetensors(os.path.join(ROOT, "examples", "quickstart", "weights.safetensors"))
    lstm, head = torch.nn.LSTM(13, 48, num_layers=2), torch.nn.Linear(48, 5)
    with torch.no_grad():
        for name, p in list(lstm.named_parameters()) + [("head." + n, p) for n, p in head.named_parameters()]:
            p.copy_(torch.from_numpy(w[name if name.startswith("head.") else "lstm." + name].copy()))
        seq, _ = lstm(torch.from_numpy(x).transpose(0, 1))      # [steps, sequences, 48]
        return head(seq[-1]).numpy()                              # [sequences, 5]


def lstmc_reference(lstmc, spec, x):
    """`lstmc run SPEC x.npy -o y.npy`: the interpreter, in double precision."""
    with tempfile.TemporaryDirectory() as tmp:
        np.save(os.path.join(tmp, "x.npy"), x if x.ndim == 3 else x[..., None].astype(np.float64))
        subprocess.run([lstmc, "run", spec, os.path.join(tmp, "x.npy"), "-o", os.path.join(tmp, "y.npy")],
                       check=True)
        return np.load(os.path.join(tmp, "y.npy"))


def check_state(model, lstmc, spec, x):
    """run from a start state (set_state) and get_state's final state
    against `lstmc run --state-in --state-out` on the first sequence."""
    rng = np.random.default_rng(11)
    h0 = rng.uniform(-0.5, 0.5, model.state_h).astype(np.float32)
    c0 = rng.uniform(-0.5, 0.5, model.state_c).astype(np.float32)
    y = model.run(x[0], h0=h0, c0=c0)
    h_n, c_n = model.get_state()
    with tempfile.TemporaryDirectory() as tmp:
        np.save(os.path.join(tmp, "x.npy"), x[:1] if x.ndim == 3 else x[:1, :, None].astype(np.float64))
        np.savetxt(os.path.join(tmp, "s.txt"), np.concatenate([h0, c0])[None], fmt="%.9g")
        subprocess.run([lstmc, "run", spec, os.path.join(tmp, "x.npy"), "-o", os.path.join(tmp, "y.npy"),
                        "--state-in", os.path.join(tmp, "s.txt"), "--state-out", os.path.join(tmp, "o.txt")],
                       check=True)
        ref_y = np.load(os.path.join(tmp, "y.npy"))[0]
        ref_s = np.loadtxt(os.path.join(tmp, "o.txt"), ndmin=1)
    d = max(float(np.max(np.abs(y - ref_y))), float(np.max(np.abs(np.concatenate([h_n, c_n]) - ref_s))))
    print(f"set_state, run, get_state vs lstmc run --state-in --state-out: max |diff| {d:.3g}")
    return y.shape == ref_y.shape and d <= TOL


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("lib")
    ap.add_argument("--spec", default=QUICKSTART)
    ap.add_argument("--lstmc", default=None)
    args = ap.parse_args()

    model = Model(args.lib)
    print("info:", model.info)

    # three sequences of 20 steps, as one [sequences, steps, features] array
    # (of token ids, [sequences, steps], for a model that starts with an embedding)
    rng = np.random.default_rng(7)
    if model.vocabulary:
        x = rng.integers(0, model.vocabulary, (3, 20))
    else:
        x = rng.standard_normal((3, 20, model.input)).astype(np.float32)
    y = model.run(x)
    print("output shape:", y.shape)

    lstmc = args.lstmc or (os.path.join(ROOT, "build", "lstmc") if os.path.exists(
        os.path.join(ROOT, "build", "lstmc")) else shutil.which("lstmc"))
    ref = None
    if os.path.abspath(args.spec) == QUICKSTART:
        ref = torch_reference(x)
        what = "PyTorch"
    if ref is None:
        if os.path.abspath(args.spec) == QUICKSTART:
            print("torch is not importable: checking against lstmc run instead")
        ref = lstmc_reference(lstmc, args.spec, x)
        what = "lstmc run"
    worst = float(np.max(np.abs(y - ref)))
    print(f"max |diff| vs {what}: {worst:.3g}")
    ok = ref.shape == y.shape and worst <= TOL

    # a streaming model step by step: the same numbers as run
    if model.streaming:
        model.reset()
        rows = np.stack([model.step(xt) for xt in x[0]])
        stepped = rows[-1] if model.output_last else rows
        d = float(np.max(np.abs(stepped - y[0])))
        print(f"step by step vs run, first sequence: max |diff| {d:.3g}")
        ok = ok and d <= TOL
    if model.state_h:
        ok = check_state(model, lstmc, args.spec, x) and ok
    print("python example:", "ok" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
