/*
 * filekind.c - recognizes the formats model files come in (filekind.h).
 */
#include "filekind.h"

#include <stdint.h>
#include <string.h>

static int starts(const unsigned char *b, size_t len, const char *magic, size_t n)
{
    return len >= n && memcmp(b, magic, n) == 0;
}

/* A zip's first entry name (its local file header: name length at 26, the
 * name at 30) tells PyTorch ("archive/data.pkl", "model/version") from
 * NumPy ("w.npy"). */
static FileKind zip_kind(const unsigned char *b, size_t len)
{
    if (len < 30)
        return FK_ZIP;
    size_t n = (size_t)b[26] | (size_t)b[27] << 8;
    if (n > len - 30)
        n = len - 30;
    const char *name = (const char *)b + 30;
    if (n >= 4 && memcmp(name + n - 4, ".npy", 4) == 0)
        return FK_NPZ;
    for (size_t i = 0; i + 8 <= n; i++)
        if (memcmp(name + i, "data.pkl", 8) == 0)
            return FK_PYTORCH_ZIP;
    for (size_t i = 0; i + 7 <= n; i++)
        if (memcmp(name + i, "version", 7) == 0 || memcmp(name + i, "/data/", 6) == 0)
            return FK_PYTORCH_ZIP;
    return FK_ZIP;
}

/* Whether the bytes read as UTF-8 text with no control characters but
 * white space; a short prefix decides (up to 4 KB), and one stray byte in
 * a hundred is forgiven (a Latin-1 comment is a lexer error, not binary). */
static int is_text(const unsigned char *b, size_t len)
{
    size_t n = len < 4096 ? len : 4096, bad = 0;
    if (memchr(b, 0, len))
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = b[i];
        if (c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f' && c != '\v')
            bad++;
        else if (c == 0x7f)
            bad++;
        else if (c >= 0x80) {
            size_t k = c >= 0xf0 && c <= 0xf4 ? 3 : c >= 0xe0 ? 2 : c >= 0xc2 && c < 0xe0 ? 1 : 0;
            size_t j = 1;
            while (j <= k && i + j < n && (b[i + j] & 0xc0) == 0x80)
                j++;
            if (k == 0 || j <= k)
                bad++;
            else
                i += k;
        }
    }
    return bad * 100 <= n;
}

/* An ONNX ModelProto starts with ir_version (field 1, a small varint: 0x08
 * 0x03..0x0a), then producer_name (0x12), producer_version (0x1a), domain
 * (0x22), model_version (0x28), doc_string (0x32) or the graph (0x3a). */
static int is_onnx(const unsigned char *b, size_t len)
{
    return len >= 3 && b[0] == 0x08 && b[1] >= 1 && b[1] < 0x80 &&
           (b[2] == 0x12 || b[2] == 0x1a || b[2] == 0x22 || b[2] == 0x28 || b[2] == 0x32 ||
            b[2] == 0x3a || b[2] == 0x42);
}

/* safetensors: an 8-byte little-endian length, then a JSON object. */
static int is_safetensors(const unsigned char *b, size_t len)
{
    if (len < 10)
        return 0;
    uint64_t n = 0;
    for (int i = 7; i >= 0; i--)
        n = n << 8 | b[i];
    return n >= 2 && n <= len - 8 && b[8] == '{';
}

FileKind fk_guess(const unsigned char *b, size_t len)
{
    if (starts(b, len, "PK\x03\x04", 4) || starts(b, len, "PK\x05\x06", 4))
        return zip_kind(b, len);
    if (starts(b, len, "\x93NUMPY", 6))
        return FK_NPY;
    if (starts(b, len, "\x89HDF\r\n\x1a\n", 8))
        return FK_HDF5;
    if (starts(b, len, "\x1f\x8b", 2))
        return FK_GZIP;
    /* pickle protocol 2 and later open with PROTO; torch.save's legacy
     * format is pickles of a magic number, then the tensors. */
    if (len >= 2 && b[0] == 0x80 && b[1] >= 2 && b[1] <= 5)
        return FK_PYTORCH_PICKLE;
    if (is_safetensors(b, len))
        return FK_SAFETENSORS;
    if (is_onnx(b, len))
        return FK_ONNX;
    return is_text(b, len) ? FK_TEXT : FK_UNKNOWN;
}

const char *fk_name(FileKind k)
{
    switch (k) {
    case FK_TEXT: return "text";
    case FK_SAFETENSORS: return "a safetensors weights file";
    case FK_ONNX: return "an ONNX model";
    case FK_PYTORCH_ZIP: return "a PyTorch checkpoint (torch.save, a zip archive)";
    case FK_PYTORCH_PICKLE: return "a PyTorch checkpoint (torch.save, a pickle)";
    case FK_NPY: return "a NumPy array (.npy)";
    case FK_NPZ: return "a NumPy archive (.npz)";
    case FK_ZIP: return "a zip archive";
    case FK_HDF5: return "an HDF5 file (Keras .h5)";
    case FK_GZIP: return "gzip-compressed data";
    case FK_UNKNOWN: break;
    }
    return "binary data";
}

const char *fk_weights_hint(FileKind k)
{
    switch (k) {
    case FK_PYTORCH_ZIP:
    case FK_PYTORCH_PICKLE:
        return "lstmc reads safetensors; convert the state dict with "
               "python3 -c \"import sys, torch; from safetensors.torch import save_file; "
               "save_file(torch.load(sys.argv[1]), sys.argv[2])\" model.pt model.safetensors";
    case FK_NPZ:
        return "lstmc reads safetensors; convert the arrays with "
               "python3 -c \"import sys, numpy; from safetensors.numpy import save_file; "
               "save_file(dict(numpy.load(sys.argv[1])), sys.argv[2])\" "
               "weights.npz model.safetensors";
    case FK_NPY:
        return "it holds one unnamed array, and lstmc needs named tensors: save them with "
               "safetensors.numpy.save_file({\"NAME\": array, ...}, \"model.safetensors\")";
    case FK_HDF5:
        return "lstmc reads safetensors; save the Keras weights with "
               "safetensors.numpy.save_file({w.path: w.numpy() for w in model.weights}, "
               "\"model.safetensors\")";
    case FK_ONNX:
        return "'lstmc import MODEL.onnx -o DIR' writes a spec and its safetensors weights";
    case FK_GZIP:
        return "decompress it first (gunzip)";
    case FK_TEXT:
        return "weights come in a binary .safetensors file (is this a data file or a spec?)";
    default:
        return "";
    }
}

const char *fk_onnx_hint(FileKind k)
{
    switch (k) {
    case FK_PYTORCH_ZIP:
    case FK_PYTORCH_PICKLE:
        return "export the model with torch.onnx.export(model, example_input, \"model.onnx\"), "
               "or write its state dict as safetensors and a spec for it";
    case FK_SAFETENSORS:
        return "lstmc reads it as the weights of a spec: lstmc check SPEC -w FILE";
    case FK_HDF5:
        return "convert the Keras model to ONNX (tf2onnx) or its weights to safetensors";
    default:
        return "";
    }
}

const char *fk_spec_hint(FileKind k)
{
    switch (k) {
    case FK_ONNX:
        return "'lstmc import MODEL.onnx -o DIR' writes a spec from it";
    case FK_SAFETENSORS:
        return "give the spec, which names its weights file (or pass -w FILE)";
    case FK_UNKNOWN:
        return "a spec is a text file (see grammar/SPEC.md)";
    default:
        return "a spec is a text file naming its weights (see grammar/SPEC.md)";
    }
}
