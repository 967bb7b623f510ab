/*
 * onnx_wire.h - a walk over an ONNX file's protobuf wire format before
 * protobuf-c unpacks it (onnx.c), to bound what unpacking will cost.
 *
 * protobuf-c allocates a struct for every message, a string for every
 * string and a record for every unknown field, whatever their size on the
 * wire: an empty NodeProto is 2 bytes in the file and over 100 in memory,
 * so a small file of empty records asks for gigabytes. The walk prices each
 * record as protobuf-c will allocate it, following the schema of
 * onnx.proto (a table below), without allocating anything itself.
 */
#ifndef LSTMC_ONNX_WIRE_H
#define LSTMC_ONNX_WIRE_H

#include <stddef.h>

typedef struct OnnxWireCost {
    long records;       /* messages, strings, fields: everything protobuf-c allocates for */
    size_t bytes;       /* about what protobuf-c will allocate (and lstmc after it) */
} OnnxWireCost;

/* Walks bytes[0..len) as a ModelProto. Returns 0 with *cost filled, or -1
 * if the wire format is invalid (what protobuf-c would refuse too). */
int onnx_wire_cost(const unsigned char *bytes, size_t len, OnnxWireCost *cost);

#endif
