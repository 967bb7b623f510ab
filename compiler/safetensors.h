/*
 * safetensors.h - a strict reader of .safetensors weight files.
 *
 * Layout: 8-byte little-endian header length N, N bytes of JSON
 *   {"name": {"dtype": "F32", "shape": [4, 2], "data_offsets": [begin, end]},
 *    "__metadata__": {"key": "value", ...}}
 * then the data area; offsets are relative to its start. Every rule of the
 * format is checked (header length within the file, valid JSON, known dtype,
 * offsets within the data area and not overlapping, end - begin equal to
 * dtype size x element count, no duplicate names) and a violation is
 * reported as "path: error: ..." naming the tensor.
 */
#ifndef LSTMC_SAFETENSORS_H
#define LSTMC_SAFETENSORS_H

#include <stdint.h>

#include "util.h"

typedef enum {
    ST_BOOL, ST_U8, ST_I8, ST_I16, ST_U16, ST_I32, ST_U32, ST_I64, ST_U64,
    ST_F8_E4M3, ST_F8_E5M2, ST_F16, ST_BF16, ST_F32, ST_F64,
} StDtype;

enum { ST_MAX_DIMS = 8 };
/* The JSON header: real ones are a few KB (a few hundred KB for the
 * largest language models); the reference Rust reader allows 100 MB. */
#define ST_MAX_HEADER ((uint64_t)16 << 20)

typedef struct StTensor {
    const char *name;
    StDtype dtype;
    int ndim;
    long shape[ST_MAX_DIMS];
    long count;                 /* elements: product of shape (1 for a scalar) */
    const unsigned char *raw;   /* count * dtype size bytes, little-endian */
    int used;                   /* set by the consumer; unused tensors are reported */
} StTensor;

typedef struct StFile {
    const char *path;
    int ntensors;
    StTensor *tensors;          /* in file order of their data offsets */
    StTensor **by_name;         /* the same sorted by name: st_find() in log time, so a
                                 * spec of many layers over a file of many tensors
                                 * is not quadratic */
    int nmeta;
    const char **meta_keys, **meta_values;   /* __metadata__ */
} StFile;

/* Reads and validates path. The file is mapped, not read: only its header
 * is touched until a tensor's data is converted (st_to_float), so a file
 * that claims gigabytes costs nothing before it is found wrong. The
 * mapping lives as long as a. A file in another format (a PyTorch
 * checkpoint, NumPy, ONNX, HDF5) is named, with the command that converts
 * it. Returns NULL after reporting through diag_file_error() if the file
 * is unreadable or malformed. */
StFile *st_read(Arena *a, const char *path);
/* The same over bytes already in memory (tests). */
StFile *st_parse(Arena *a, const char *path, const unsigned char *bytes, size_t len);

StTensor *st_find(const StFile *f, const char *name);
const char *st_dtype_name(StDtype d);
int st_dtype_is_float(StDtype d);   /* F16, BF16, F32, F64 */

/* Converts a float tensor to float32 (F64 rounds to nearest; F16 and BF16 are
 * exact). Returns 0, or -1 with *bad_index set if a value is NaN or infinite
 * (or, from F64, too large for float). out holds t->count floats. */
int st_to_float(const StTensor *t, float *out, long *bad_index);

/* Writes a file of F32 tensors (for tests and the random model generator):
 * names[k] with shape shapes[k][0..ndims[k]) and data[k]. Writes to a
 * temporary file and renames it, so a failure leaves nothing behind.
 * Returns 0, or -1 after reporting. */
int st_write_f32(const char *path, int n, const char *const *names,
                 const int *ndims, const long (*shapes)[ST_MAX_DIMS],
                 const float *const *data);

#endif
