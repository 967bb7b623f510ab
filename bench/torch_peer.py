"""torch_peer.py - the PyTorch system of the benchmark: nn.LSTM in eager
mode, one thread, under torch.no_grad(), timing the forward of the whole
sequence batch (zero initial state). Same command line and protocol as the
C systems (bench/peer.c: commands check OUT, warmup MS, time MS on stdin):

    /usr/bin/python3 torch_peer.py WEIGHTS I H LAYERS BATCH STEPS INPUT [--proj P] [--bidirectional]
                                   [--gru | --rnn]

The options are nn.LSTM's proj_size and bidirectional=True; --gru and --rnn
run nn.GRU or nn.RNN (tanh) instead, on the same tensor names.

Timing is time.perf_counter_ns() around whole forward calls.
"""
import json
import struct
import sys
import time

import numpy as np
import torch


def read_safetensors(path):
    """The F32 tensors of a safetensors file, by name, as numpy arrays."""
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        if info["dtype"] != "F32":
            sys.exit(f"{path}: {name}: expected F32, found {info['dtype']}")
        begin, end = info["data_offsets"]
        raw = data[8 + n + begin:8 + n + end]
        tensors[name] = np.frombuffer(raw, dtype="<f4").reshape(info["shape"])
    return tensors


def read_input(path, batch, steps, width):
    """The input file as a [steps, batch, width] tensor (sequence-first)."""
    with open(path) as f:
        values = np.array(f.read().split(), dtype=np.float32)
    if values.size != batch * steps * width:
        sys.exit(f"{path}: expected {batch} sequences of {steps} steps of {width} numbers")
    return torch.from_numpy(values.reshape(batch, steps, width).transpose(1, 0, 2).copy())


def run_for(lstm, x, ms):
    """Whole forwards until ms milliseconds have passed: mean ns per forward."""
    t0 = time.perf_counter_ns()
    reps = 0
    while True:
        lstm(x)
        reps += 1
        t = time.perf_counter_ns()
        if t - t0 >= ms * 1e6:
            return (t - t0) / reps


def main(argv):
    usage = ("usage: torch_peer.py WEIGHTS I H LAYERS BATCH STEPS INPUT [--proj P] [--bidirectional]"
             " [--gru | --rnn] (commands on stdin)")
    if len(argv) < 8:
        sys.exit(usage)
    weights = argv[1]
    inp, hidden, layers, batch, steps = (int(a) for a in argv[2:7])
    proj, bidirectional, rest = 0, False, argv[8:]
    module, kind = torch.nn.LSTM, "nn.LSTM"
    while rest:
        if rest[0] == "--proj" and len(rest) > 1:
            proj, rest = int(rest[1]), rest[2:]
        elif rest[0] == "--bidirectional":
            bidirectional, rest = True, rest[1:]
        elif rest[0] in ("--gru", "--rnn"):
            module, kind = (torch.nn.GRU, "nn.GRU") if rest[0] == "--gru" else (torch.nn.RNN, "nn.RNN")
            rest = rest[1:]
        else:
            sys.exit(usage)
    output = (2 if bidirectional else 1) * (proj or hidden)
    torch.set_num_threads(1)
    torch.set_grad_enabled(False)
    if module is torch.nn.LSTM:
        lstm = module(inp, hidden, layers, proj_size=proj, bidirectional=bidirectional)
    else:
        lstm = module(inp, hidden, layers, bidirectional=bidirectional)
    state = {k[len("lstm."):]: torch.from_numpy(v.copy())
             for k, v in read_safetensors(weights).items() if k.startswith("lstm.")}
    lstm.load_state_dict(state)
    lstm.eval()
    x = read_input(argv[7], batch, steps, inp)
    note = (f"PyTorch {torch.__version__} eager {kind}, torch.no_grad, "
            f"{torch.get_num_threads()} thread(s)")
    with torch.no_grad():
        for line in sys.stdin:
            cmd, arg = line.split()
            if cmd == "check":
                y = lstm(x)[0].numpy().transpose(1, 0, 2).reshape(batch * steps, output)
                np.savetxt(arg, y, fmt="%.9g")
                print(note, flush=True)
            elif cmd == "warmup":
                run_for(lstm, x, float(arg))
                print("ok", flush=True)
            elif cmd == "time":
                print(f"{run_for(lstm, x, float(arg)):.1f}", flush=True)
            else:
                sys.exit(f"torch_peer.py: unknown command {cmd}")


if __name__ == "__main__":
    main(sys.argv)
