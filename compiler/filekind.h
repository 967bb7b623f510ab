/*
 * filekind.h - what a file that is not what lstmc expected looks like, so
 * that a PyTorch checkpoint given as weights or an ONNX model given as the
 * spec is answered with one message naming its format and the command that
 * converts it, instead of a parse error about its bytes.
 *
 * Only asked after a file has failed as what it should be (a spec with
 * binary bytes, a safetensors file with an impossible header), so a guess
 * can never turn a valid file away.
 */
#ifndef LSTMC_FILEKIND_H
#define LSTMC_FILEKIND_H

#include <stddef.h>

typedef enum {
    FK_UNKNOWN,       /* binary data of no format lstmc knows */
    FK_TEXT,          /* text (UTF-8, no control characters but white space) */
    FK_SAFETENSORS,
    FK_ONNX,
    FK_PYTORCH_ZIP,   /* torch.save since PyTorch 1.6: a zip holding data.pkl */
    FK_PYTORCH_PICKLE,/* the older torch.save format: a pickle */
    FK_NPY,
    FK_NPZ,
    FK_ZIP,           /* another zip archive */
    FK_HDF5,          /* Keras .h5 */
    FK_GZIP,
} FileKind;

/* The kind of bytes[0..len), from magic numbers and the first bytes. */
FileKind fk_guess(const unsigned char *bytes, size_t len);
/* "a PyTorch checkpoint (torch.save, a zip archive)": for "it is %s". */
const char *fk_name(FileKind k);
/* How to get a safetensors file lstmc reads from a file of kind k, for
 * path; "" when there is nothing to say. */
const char *fk_weights_hint(FileKind k);
/* What to do with a file of kind k given to lstmc import. */
const char *fk_onnx_hint(FileKind k);
/* What to do with a file of kind k given where a spec was expected. */
const char *fk_spec_hint(FileKind k);

#endif
