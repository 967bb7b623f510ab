#!/usr/bin/env python3
"""Writes the hostile ONNX files of tests/import (issue 13): models a
stranger could hand to `lstmc import` to crash it or make it ask for
gigabytes. Each is a few bytes to a few KB of protobuf, written here by hand
(no onnx package needed): the wire format is a few lines below.

    python3 tests/import/hostile.py tests/import

run_onnx.sh then imports each and requires exit 1 and its .expected text.
"""
import struct
import sys


def varint(n):
    if n < 0:
        n += 1 << 64
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def tag(num, wire):
    return varint(num << 3 | wire)


def f_int(num, v):
    return tag(num, 0) + varint(v)


def f_bytes(num, b):
    if isinstance(b, str):
        b = b.encode()
    return tag(num, 2) + varint(len(b)) + b


def f_float(num, x):
    return tag(num, 5) + struct.pack("<f", x)


# TensorProto: dims 1, data_type 2, float_data 4, int64_data 7, name 8, raw_data 9
def tensor(name, dtype, dims, raw=None, int64s=None):
    b = b"".join(f_int(1, d) for d in dims) + f_int(2, dtype) + f_bytes(8, name)
    if raw is not None:
        b += f_bytes(9, raw)
    if int64s is not None:
        b += f_bytes(7, b"".join(varint(v) for v in int64s))
    return b


# AttributeProto: name 1, f 2, i 3, s 4, t 5, g 6, ints 8, type 20
def attr_int(name, v):
    return f_bytes(1, name) + f_int(3, v) + f_int(20, 2)


def attr_ints(name, vs):
    return f_bytes(1, name) + b"".join(f_int(8, v) for v in vs) + f_int(20, 7)


def attr_tensor(name, t):
    return f_bytes(1, name) + f_bytes(5, t) + f_int(20, 4)


# NodeProto: input 1, output 2, name 3, op_type 4, attribute 5
def node(op, inputs, outputs, name=None, attrs=()):
    b = b"".join(f_bytes(1, i) for i in inputs) + b"".join(f_bytes(2, o) for o in outputs)
    b += f_bytes(3, name or outputs[0]) + f_bytes(4, op)
    return b + b"".join(f_bytes(5, a) for a in attrs)


# ValueInfoProto: name 1, type 2 {tensor_type 1 {elem_type 1, shape 2 {dim 1 {dim_value 1}}}}
def value_info(name, dims):
    shape = b"".join(f_bytes(1, f_int(1, d) if isinstance(d, int) else f_bytes(2, d))
                     for d in dims)
    tt = f_int(1, 1) + f_bytes(2, shape)
    return f_bytes(1, name) + f_bytes(2, f_bytes(1, tt))


# GraphProto: node 1, name 2, initializer 5, input 11, output 12
def graph(nodes, inits=(), inputs=(), outputs=()):
    b = b"".join(f_bytes(1, n) for n in nodes) + f_bytes(2, "g")
    b += b"".join(f_bytes(5, t) for t in inits)
    b += b"".join(f_bytes(11, v) for v in inputs)
    return b + b"".join(f_bytes(12, v) for v in outputs)


# ModelProto: ir_version 1, graph 7, opset_import 8 {domain 1, version 2}
def model(g, opset=17):
    return f_int(1, 8) + f_bytes(7, g) + f_bytes(8, f_bytes(1, "") + f_int(2, opset))


def lstm(x, w):
    """An LSTM node taking x, with W and R both w: what comes before it is
    evaluated (the importer walks only what the output depends on)."""
    return node("LSTM", [x, w, w], ["y"], name="lstm", attrs=[attr_int("hidden_size", 4)])


X = value_info("x", ["T", "B", 3])
Y = value_info("y", ["T", "B", 4])


def cases():
    # A Transpose of a scalar constant: perm is empty, the rank is 0.
    scalar = tensor("s", 1, [], raw=struct.pack("<f", 1.0))
    yield "transpose_scalar", model(graph(
        [node("Constant", [], ["s"], attrs=[attr_tensor("value", scalar)]),
         node("Transpose", ["s"], ["st"]), lstm("x", "st")], inputs=[X], outputs=[Y]))

    # An initializer declaring 2^30 floats (a 4 GiB tensor) with no data.
    yield "huge_tensor", model(graph([], inits=[tensor("W", 1, [1 << 30])],
                                     inputs=[X], outputs=[Y]))
    # The same in raw_data of the wrong length, and in dims whose product overflows.
    yield "huge_tensor_raw", model(graph([], inits=[tensor("W", 1, [1 << 15, 1 << 15],
                                                           raw=b"\0" * 16)],
                                         inputs=[X], outputs=[Y]))
    yield "tensor_dims_overflow", model(graph([], inits=[tensor("W", 1, [1 << 20] * 3)],
                                              inputs=[X], outputs=[Y]))

    # Attribute subgraphs (If/Loop bodies, which lstmc never reads) nested
    # 5000 deep: AttributeProto.g -> GraphProto.node -> NodeProto.attribute.
    inner = b""
    for _ in range(5000):
        inner = f_bytes(1, "a") + f_bytes(6, f_bytes(1, f_bytes(4, "If") + f_bytes(5, inner)))
    yield "deep_nesting", model(graph([node("If", ["x"], ["y"], attrs=[inner])],
                                      inputs=[X], outputs=[Y]))
    # The same depth through fields lstmc does read is impossible (the
    # schema it reads does not recurse), but unknown fields nest too: a
    # field 99 holding itself.
    blob = b""
    for _ in range(5000):
        blob = f_bytes(99, blob)
    yield "deep_unknown", model(graph([node("Relu", ["x"], ["y"], attrs=[blob])],
                                      inputs=[X], outputs=[Y]))

    # 40 chained Concat(s, s): the shape list doubles each time (2^41 entries).
    nodes = [node("Shape", ["x"], ["s0"])]
    for k in range(40):
        nodes.append(node("Concat", [f"s{k}", f"s{k}"], [f"s{k + 1}"], attrs=[attr_int("axis", 0)]))
    nodes.append(node("Reshape", ["x", "s40"], ["xr"]))
    nodes.append(lstm("xr", "w"))
    yield "concat_doubling", model(graph(nodes, inputs=[X], outputs=[Y]))

    # Reshape of a constant to [2^32, 2^32, 2^32]: the product overflows a long.
    one = tensor("c", 1, [1], raw=struct.pack("<f", 1.0))
    big = tensor("shape", 7, [3], int64s=[1 << 32] * 3)
    yield "reshape_overflow", model(graph(
        [node("Reshape", ["c", "shape"], ["w"]), lstm("x", "w")], inits=[one, big],
        inputs=[X], outputs=[Y]))

    # Concat of the graph input with itself along an axis of size 2^62.
    big_in = value_info("x", [1 << 62, 1, 3])
    yield "concat_size_overflow", model(graph(
        [node("Concat", ["x", "x", "x"], ["xx"], attrs=[attr_int("axis", 0)]), lstm("xx", "w")],
        inputs=[big_in], outputs=[Y]))

    # The same within the limit on one axis (2^30), past it in the sum.
    top_in = value_info("x", [1 << 30, 1, 3])
    yield "concat_size_limit", model(graph(
        [node("Concat", ["x"] * 3, ["xx"], attrs=[attr_int("axis", 0)]), lstm("xx", "w")],
        inputs=[top_in], outputs=[Y]))

    # 150,000 empty nodes: 2 bytes each on the wire, hundreds in memory.
    yield "many_nodes", model(graph([b""] * 150000, inputs=[X], outputs=[Y]))


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "."
    for name, data in cases():
        with open(f"{out}/{name}.onnx", "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
