"""lstmc_ctypes - a model built by `lstmc build --shared`, run from Python
through ctypes on NumPy arrays. No other dependency.

    from lstmc_ctypes import Model
    m = Model("./libquickstart.so")          # NAME from the file name, or name=...
    m.info                                   # {'input': 13, 'output': 5, ...}
    y = m.run(x)                             # x [steps, input] or [sequences, steps, input]
    m.reset(); y_t = m.step(x_t)             # one timestep (streaming models)

The library exports the API of the generated header (NAME_reset, NAME_run,
NAME_step, NAME_state_bytes) and NAME_info(), one line of key=value words
that says what the header would: sizes, streaming or not, output last, the
state's bytes and the scratch a whole-sequence model needs per step. A
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
        self.reset()

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

    def run(self, x):
        """Whole sequences from the initial state: x [steps, input] gives
        [steps, output] ([output] with 'output last'); x [sequences, steps,
        input] gives one of those per sequence, stacked. Token ids: x
        [steps] or [sequences, steps]."""
        x = self._input(x)
        if self.vocabulary and x.ndim == 2:      # [sequences, steps] of ids
            return np.stack([self.run(s) for s in x])
        if self.vocabulary:                       # [steps] of ids
            x = x.reshape(x.shape + (1,))
        if x.ndim == 3:
            return np.stack([self.run(s) for s in x])
        if x.ndim != 2 or x.shape[1] != self.input or x.shape[0] < 1:
            raise ValueError(f"expected [steps >= 1, {self.input}], got {list(x.shape)}")
        steps = x.shape[0]
        y = np.empty((1 if self.output_last else steps, self.output), dtype=np.float32)
        if self.streaming:
            self.reset()
            self._run(self.state, x, steps, y)
        else:
            scratch = np.empty(max(1, steps * self.info["scratch_floats_per_step"]), dtype=np.float32)
            self._run(self.state, x, steps, y, scratch)
        return y[0] if self.output_last else y
