"""lstmc_example.py - what the training scripts of examples/ share.

write_safetensors: a small safetensors writer (float32 tensors, the layout
lstmc reads), so the scripts need nothing beyond PyTorch and numpy.
XorShift: the test sets' generator, xorshift64* (Vigna 2016), implemented
bit for bit like rng.h so that the compiled programs draw the same test
sequences in C as the scripts do here; training data may come from any
generator.
"""
import json
import struct

import numpy as np

MASK64 = (1 << 64) - 1


def write_safetensors(path, tensors):
    """Writes name -> array as little-endian float32 safetensors."""
    header, blobs, offset = {}, [], 0
    for name, array in tensors.items():
        data = np.ascontiguousarray(array, dtype="<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(np.shape(array)),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)   # keeps the data 8-byte aligned
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)


class XorShift:
    """xorshift64*: rng.h's xs_next, xs_uniform and xs_below."""

    def __init__(self, seed):
        self.s = seed & MASK64 or 1

    def next(self):
        x = self.s
        x ^= x >> 12
        x ^= (x << 25) & MASK64
        x ^= x >> 27
        self.s = x
        return (x * 0x2545F4914F6CDD1D) & MASK64

    def uniform(self):
        """A float32 in [0, 1): the top 24 bits over 2^24, exact in float."""
        return (self.next() >> 40) / 16777216.0

    def below(self, n):
        """An integer in [0, n): the top 32 bits modulo n."""
        return (self.next() >> 32) % n
