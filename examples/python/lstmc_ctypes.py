"""lstmc_ctypes - a model built by `lstmc build --shared`, run from Python
through ctypes on NumPy arrays. No other dependency.

    from lstmc_ctypes import Model
    m = Model("./libquickstart.so")          # NAME from the file name, or name=...
    m.info                                   # {'input': 13, 'output': 5, ...}
    y = m.run(x)                             # x [steps, input] or [sequences, steps, input]
    m.reset(); y_t = m.step(x_t)             # one timestep (streaming models)
    y = m.run(x, h0=h0, c0=c0)               # from your own start state (PyTorch's layout)
    h_n, c_n = m.get_state()                 # the final state after a run or steps
    m.set_state(h, c); y_t = m.step(x_t)     # continue a stream from a state

The library exports the API of the generated header (NAME_reset, NAME_run,
NAME_step, NAME_state_bytes, NAME_set_state, NAME_get_state,
NAME_run_from_state) and NAME_info(), one line of key=value words that says
what the header would: sizes, streaming or not, output last, the state's
bytes, the scratch a whole-sequence model needs per step, and the floats of
h and c that set_state and get_state take (state_h, state_c: every layer's
h, then every LSTM layer's c, layer by layer, forward before backward, as
nn.LSTM's h_n and c_n; grammar/SPEC.md, "Start and final states"). A
model of token ids (an embedding first: info has `vocabulary`) takes x as
integer ids, [steps] or [sequences, steps], passed as int32.
"""
import ctypes
import os

import numpy as np

_F32 = np.ctypeslib.ndpointer(dtype=np.float32, flags="C_CONTIGUOUS")
_I32 = np.ctypeslib.ndpointer(dtype=np.int32, flags="C_CONTIGUOUS")


class Model:
    def __init__(self, path, name=None):
        path = os.path.abspath(path)
        if name is None:        # libNAME.so -> NAME
            name = os.path.basename(path).split(".")[0]
            if name.startswith("lib"):
                name = name[3:]
        self.lib = lib = ctypes.CDLL(path)
        fn = lambda f: getattr(lib, name + "_" + f)

        info = fn("info")
        info.restype = ctypes.c_char_p
        info.argtypes = []
        words = dict(w.split("=", 1) for w in info().decode().split())
        self.info = {k: (v if k in ("name", "lstmc", "model_hash") else int(v)) for k, v in words.items()}
        self.input, self.output = self.info["input"], self.info["output"]
        self.streaming = bool(self.info["streaming"])
        self.output_last = bool(self.info["output_last"])
        self.vocabulary = self.info.get("vocabulary", 0)   # > 0: x holds token ids
        _X = _I32 if self.vocabulary else _F32

        state_bytes = fn("state_bytes")
        state_bytes.restype = ctypes.c_size_t
        assert state_bytes() == self.info["state_bytes"], "NAME_info and NAME_state_bytes disagree"
        # the state struct holds floats only: a float32 array of its size
        self.state = np.zeros(max(1, state_bytes() // 4), dtype=np.float32)

        self._reset = fn("reset")
        self._reset.argtypes = [_F32]
        self._reset.restype = None
        self._run = fn("run")
        self._run.restype = None
        if self.streaming:
            self._run.argtypes = [_F32, _X, ctypes.c_size_t, _F32]
            self._step = fn("step")
            self._step.argtypes = [_F32, _X, _F32]
            self._step.restype = None
        else:
            self._run.argtypes = [_F32, _X, ctypes.c_size_t, _F32, _F32]
            self._run_from_state = fn("run_from_state")
            self._run_from_state.argtypes = self._run.argtypes
            self._run_from_state.restype = None
        self.state_h, self.state_c = self.info.get("state_h", 0), self.info.get("state_c", 0)
        if "state_h" in self.info:
            self._set_state, self._get_state = fn("set_state"), fn("get_state")
            self._set_state.argtypes = self._get_state.argtypes = [_F32, _F32, _F32]
            self._set_state.restype = self._get_state.restype = None
        self.reset()

    def set_state(self, h, c=None):
        """Start from h (and c): [state_h] and [state_c] floats, or arrays of
        that size such as PyTorch's h_n [layers * directions, 1, H]."""
        if "state_h" not in self.info:
            raise ValueError("this model has no recurrent layer: no state to set")
        h = np.ascontiguousarray(h, dtype=np.float32).ravel()
        c = np.zeros(0, np.float32) if c is None and not self.state_c else c
        if c is None:
            raise ValueError(f"this model's state has c ({self.state_c} floats) as well as h")
        c = np.ascontiguousarray(c, dtype=np.float32).ravel()
        if h.size != self.state_h or c.size != self.state_c:
            raise ValueError(f"expected h of {self.state_h} and c of {self.state_c} floats, "
                             f"got {h.size} and {c.size}")
        self._set_state(self.state, h, np.zeros(1, np.float32) if not c.size else c)

    def get_state(self):
        """(h, c) of the state: the final state after a run, as flat arrays in
        PyTorch's order (h_n.ravel(), c_n.ravel())."""
        if "state_h" not in self.info:
            raise ValueError("this model has no recurrent layer: no state to get")
        h = np.empty(max(1, self.state_h), np.float32)
        c = np.empty(max(1, self.state_c), np.float32)
        self._get_state(self.state, h, c)
        return h[:self.state_h], c[:self.state_c]

    def reset(self):
        """Back to the initial state: a new sequence."""
        self._reset(self.state)

    def step(self, x):
        """One timestep of a streaming model, from the state: x [input] -> [output]."""
        if not self.streaming:
            raise ValueError("this model has a backward direction: it needs whole sequences (run)")
        x = self._input(x).reshape(self.input)
        y = np.empty(self.output, dtype=np.float32)
        self._step(self.state, x, y)
        return y

    def _input(self, x):
        """x as the library takes it: float32, or int32 token ids checked to be
        in range (the library would read an id out of range as zeros)."""
        if not self.vocabulary:
            return np.ascontiguousarray(x, dtype=np.float32)
        x = np.asarray(x)
        if x.dtype.kind not in "iu" or x.size and (x.min() < 0 or x.max() >= self.vocabulary):
            raise ValueError(f"expected integer token ids from 0 to {self.vocabulary - 1}")
        return np.ascontiguousarray(x, dtype=np.int32)

    def run(self, x, h0=None, c0=None):
        """Whole sequences from the initial state, or from h0 and c0 (as
        set_state takes them; each sequence starts from them): x [steps,
        input] gives [steps, output] ([output] with 'output last'); x
        [sequences, steps, input] gives one of those per sequence, stacked.
        Token ids: x [steps] or [sequences, steps]. get_state() then gives
        the final state of the (last) sequence."""
        x = self._input(x)
        if self.vocabulary and x.ndim == 2:      # [sequences, steps] of ids
            return np.stack([self.run(s, h0, c0) for s in x])
        if self.vocabulary:                       # [steps] of ids
            x = x.reshape(x.shape + (1,))
        if x.ndim == 3:
            return np.stack([self.run(s, h0, c0) for s in x])
        if x.ndim != 2 or x.shape[1] != self.input or x.shape[0] < 1:
            raise ValueError(f"expected [steps >= 1, {self.input}], got {list(x.shape)}")
        steps = x.shape[0]
        y = np.empty((1 if self.output_last else steps, self.output), dtype=np.float32)
        given = h0 is not None or c0 is not None
        if given:
            self.set_state(h0, c0)
        if self.streaming:
            if not given:
                self.reset()
            self._run(self.state, x, steps, y)
        else:
            scratch = np.empty(max(1, steps * self.info["scratch_floats_per_step"]), dtype=np.float32)
            (self._run_from_state if given else self._run)(self.state, x, steps, y, scratch)
        return y[0] if self.output_last else y
