#!/usr/bin/env python3
"""Writes the data files of tests/run_stream.sh and the malformed data files
of tests/diag/data with NumPy, so that lstmc's .npy reader is tested on
files NumPy itself wrote. Only needed to change them (they are committed):

    /usr/bin/python3 tests/stream/gen.py
"""
import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
DIAG = os.path.join(os.path.dirname(HERE), "diag", "data")


def text(path, seqs, comment=True):
    """Sequences as text, a blank line between: %.17g of each float32 as a
    double, which reads back as that very value in double precision too
    (the interpreter's), so text and binary inputs are the same numbers."""
    with open(path, "w") as f:
        if comment:
            f.write("# written by tests/stream/gen.py\n")
        for k, s in enumerate(seqs):
            if k:
                f.write("\n")
            sep = ", " if k == 1 else " "       # the second sequence with commas
            for row in s:
                f.write(sep.join("%.17g" % float(v) for v in row) + "\n")


def streams():
    rng = np.random.default_rng(14)
    for w in (6, 8, 13):
        x = rng.standard_normal((3, 12, w)).astype(np.float32)
        text(os.path.join(HERE, f"x{w}.txt"), x)
        np.save(os.path.join(HERE, f"x{w}.npy"), x)
        np.save(os.path.join(HERE, f"x{w}_f8.npy"), x.astype(np.float64))
        np.save(os.path.join(HERE, f"x{w}_be.npy"), x.astype(">f4"))
        text(os.path.join(HERE, f"one{w}.txt"), x[:1], comment=False)
        x[0].astype("<f4").tofile(os.path.join(HERE, f"one{w}.f32"))
        np.save(os.path.join(HERE, f"one{w}.npy"), x[0])


def diag():
    """Malformed data for the 8-input model of tests/diag (v1_single)."""
    rng = np.random.default_rng(15)
    x = rng.standard_normal((4, 8)).astype(np.float32)
    p = lambda name: os.path.join(DIAG, name)
    x.tofile(p("truncated.f32"))
    with open(p("truncated.f32"), "r+b") as f:
        f.truncate(2 * 32 + 12)
    y = x.copy()
    y[1, 2] = np.nan
    y.tofile(p("not_finite.f32"))
    with open(p("not_npy.npy"), "w") as f:
        f.write("1 2 3 4 5 6 7 8\n")
    np.save(p("fortran.npy"), np.asfortranarray(rng.standard_normal((4, 8)).astype(np.float32)))
    np.save(p("int.npy"), np.arange(32, dtype=np.int32).reshape(4, 8))
    np.save(p("wide.npy"), rng.standard_normal((4, 9)).astype(np.float32))
    np.save(p("one_dim.npy"), x[0])
    np.save(p("truncated.npy"), x)
    with open(p("truncated.npy"), "r+b") as f:
        f.truncate(os.path.getsize(p("truncated.npy")) - 10)
    np.save(p("trailing.npy"), x)
    with open(p("trailing.npy"), "ab") as f:
        f.write(b"\0\0\0\0")
    z = rng.standard_normal((2, 3, 8)).astype(np.float32)
    z[1, 2, 5] = np.inf
    np.save(p("not_finite.npy"), z)
    np.save(p("version.npy"), x)
    with open(p("version.npy"), "r+b") as f:
        f.seek(6)
        f.write(b"\x09")
    np.save(p("bad_header.npy"), x)
    with open(p("bad_header.npy"), "r+b") as f:
        head = f.read(128)
        f.seek(0)
        f.write(head.replace(b"'shape': (4, 8)", b"'shape': [4, 8]"))
    with open(p("comments.txt"), "w") as f:
        f.write("# a recording\n1 2 3 4 5 6 7 8  # t = 0\n  # a gap\n1 2 3 4 5 6 7  # t = 1\n")
    with open(p("header.txt"), "w") as f:
        f.write("a,b,c,d,e,f,g,h\n1,2,3,4,5,6,7,8\n1,2,3,4,5,6,7,x\n")


if __name__ == "__main__":
    streams()
    diag()
