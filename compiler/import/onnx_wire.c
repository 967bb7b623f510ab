/*
 * onnx_wire.c - prices an ONNX file's records before unpacking (see
 * onnx_wire.h).
 *
 * Wire format: each field is a varint key (field number << 3 | wire type),
 * then a varint (type 0), 8 bytes (1), a varint length and that many bytes
 * (2: strings, bytes, sub-messages, packed arrays) or 4 bytes (5). The
 * schema below says which fields are sub-messages of which type; the walk
 * descends only into those, so its depth is that of the schema (no message
 * of onnx.proto contains itself), never the file's.
 */
#include "onnx_wire.h"

#include <stdint.h>

enum { MAX_DEPTH = 16 };   /* the schema nests 6 deep */

/* Rough sizes of what protobuf-c allocates, malloc's own overhead
 * included: a message struct, a string or bytes field (plus its length),
 * an unknown field's record (plus its bytes), a repeated scalar. */
enum { COST_MESSAGE = 160, COST_STRING = 40, COST_UNKNOWN = 64, COST_SCALAR = 8 };

typedef enum {
    M_NONE = -1, M_MODEL, M_OPSET, M_GRAPH, M_NODE, M_ATTR, M_TENSOR, M_SPARSE, M_VALUE_INFO,
    M_TYPE, M_TYPE_TENSOR, M_SHAPE, M_DIM, M_COUNT
} Msg;

/* What a known field holds: a sub-message of type msg, a string or bytes,
 * a scalar, or a repeated scalar that may come packed (elem: bytes per
 * element on the wire, 0 for varints). */
typedef enum { F_MSG, F_STRING, F_SCALAR, F_PACKED } FieldKind;

typedef struct Field {
    Msg in;
    int number;
    FieldKind kind;
    Msg msg;        /* F_MSG */
    int elem;       /* F_PACKED: 4 or 8 for fixed-size elements, 0 for varints */
} Field;

/* onnx.proto, field by field. */
static const Field schema[] = {
    {M_MODEL, 1, F_SCALAR, M_NONE, 0},       {M_MODEL, 2, F_STRING, M_NONE, 0},
    {M_MODEL, 3, F_STRING, M_NONE, 0},       {M_MODEL, 7, F_MSG, M_GRAPH, 0},
    {M_MODEL, 8, F_MSG, M_OPSET, 0},
    {M_OPSET, 1, F_STRING, M_NONE, 0},       {M_OPSET, 2, F_SCALAR, M_NONE, 0},
    {M_GRAPH, 1, F_MSG, M_NODE, 0},          {M_GRAPH, 2, F_STRING, M_NONE, 0},
    {M_GRAPH, 5, F_MSG, M_TENSOR, 0},        {M_GRAPH, 15, F_MSG, M_SPARSE, 0},
    {M_GRAPH, 11, F_MSG, M_VALUE_INFO, 0},   {M_GRAPH, 12, F_MSG, M_VALUE_INFO, 0},
    {M_NODE, 1, F_STRING, M_NONE, 0},        {M_NODE, 2, F_STRING, M_NONE, 0},
    {M_NODE, 3, F_STRING, M_NONE, 0},        {M_NODE, 4, F_STRING, M_NONE, 0},
    {M_NODE, 7, F_STRING, M_NONE, 0},        {M_NODE, 5, F_MSG, M_ATTR, 0},
    {M_ATTR, 1, F_STRING, M_NONE, 0},        {M_ATTR, 2, F_SCALAR, M_NONE, 0},
    {M_ATTR, 3, F_SCALAR, M_NONE, 0},        {M_ATTR, 4, F_STRING, M_NONE, 0},
    {M_ATTR, 5, F_MSG, M_TENSOR, 0},         {M_ATTR, 7, F_PACKED, M_NONE, 4},
    {M_ATTR, 8, F_PACKED, M_NONE, 0},        {M_ATTR, 9, F_STRING, M_NONE, 0},
    {M_ATTR, 20, F_SCALAR, M_NONE, 0},       {M_ATTR, 21, F_STRING, M_NONE, 0},
    {M_TENSOR, 1, F_PACKED, M_NONE, 0},      {M_TENSOR, 2, F_SCALAR, M_NONE, 0},
    {M_TENSOR, 4, F_PACKED, M_NONE, 4},      {M_TENSOR, 5, F_PACKED, M_NONE, 0},
    {M_TENSOR, 7, F_PACKED, M_NONE, 0},      {M_TENSOR, 8, F_STRING, M_NONE, 0},
    {M_TENSOR, 9, F_STRING, M_NONE, 0},      {M_TENSOR, 10, F_PACKED, M_NONE, 8},
    {M_TENSOR, 14, F_SCALAR, M_NONE, 0},
    {M_SPARSE, 3, F_PACKED, M_NONE, 0},
    {M_VALUE_INFO, 1, F_STRING, M_NONE, 0},  {M_VALUE_INFO, 2, F_MSG, M_TYPE, 0},
    {M_TYPE, 1, F_MSG, M_TYPE_TENSOR, 0},
    {M_TYPE_TENSOR, 1, F_SCALAR, M_NONE, 0}, {M_TYPE_TENSOR, 2, F_MSG, M_SHAPE, 0},
    {M_SHAPE, 1, F_MSG, M_DIM, 0},
    {M_DIM, 1, F_SCALAR, M_NONE, 0},         {M_DIM, 2, F_STRING, M_NONE, 0},
};

static const Field *find_field(Msg in, uint64_t number)
{
    for (size_t i = 0; i < sizeof schema / sizeof schema[0]; i++)
        if (schema[i].in == in && (uint64_t)schema[i].number == number)
            return &schema[i];
    return NULL;
}

/* Reads a varint at *p (before end); -1 if it is truncated or too long. */
static int varint(const unsigned char **p, const unsigned char *end, uint64_t *v)
{
    *v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (*p == end)
            return -1;
        unsigned char b = *(*p)++;
        *v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80))
            return 0;
    }
    return -1;
}

/* Walks one message of type m in [p, end). */
static int walk(Msg m, const unsigned char *p, const unsigned char *end, int depth,
                OnnxWireCost *c)
{
    if (depth > MAX_DEPTH)
        return -1;   /* cannot happen with this schema; a guard should it change */
    c->records++;
    c->bytes += COST_MESSAGE;
    while (p < end) {
        uint64_t key, v;
        if (varint(&p, end, &key) < 0 || key >> 3 == 0)
            return -1;
        int wire = (int)(key & 7);
        const Field *f = find_field(m, key >> 3);
        const unsigned char *body = p;
        uint64_t len = 0;
        switch (wire) {
        case 0: if (varint(&p, end, &v) < 0) return -1; break;
        case 1: if (end - p < 8) return -1; p += 8; break;
        case 5: if (end - p < 4) return -1; p += 4; break;
        case 2:
            if (varint(&p, end, &len) < 0 || len > (uint64_t)(end - p))
                return -1;
            body = p;
            p += len;
            break;
        default: return -1;   /* groups (3, 4) and the undefined 6, 7 */
        }
        c->records++;
        if (!f) {
            c->bytes += COST_UNKNOWN + (size_t)(p - body);
        } else if (f->kind == F_MSG) {
            if (wire != 2 || walk(f->msg, body, p, depth + 1, c) < 0)
                return -1;
            c->bytes += COST_SCALAR;   /* its pointer in the parent's array */
        } else if (f->kind == F_STRING) {
            c->bytes += COST_STRING + (size_t)len;
        } else if (f->kind == F_PACKED && wire == 2) {
            /* each element takes at least 1 byte (a varint) or elem bytes */
            c->bytes += (size_t)len * (f->elem ? 1 : COST_SCALAR);
        } else {
            c->bytes += COST_SCALAR;
        }
    }
    return 0;
}

int onnx_wire_cost(const unsigned char *bytes, size_t len, OnnxWireCost *cost)
{
    cost->records = 0;
    cost->bytes = 0;
    return walk(M_MODEL, bytes, bytes + len, 0, cost);
}
