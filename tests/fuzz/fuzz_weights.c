/*
 * fuzz_weights.c - a spec and its weights together: the input is the spec's
 * text, a NUL byte, then the safetensors file (a spec never holds a NUL).
 * The spec is checked, the weights loaded into it in its convention, and
 * the model run for two steps of zeros, so that a layout the loader got
 * wrong shows up as a read out of bounds.
 */
#include <string.h>

#include "fuzz.h"

#include "ast.h"
#include "interp.h"
#include "safetensors.h"
#include "sema.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nul = memchr(data, 0, size);
    size_t spec_len = nul ? (size_t)(nul - data) : size;
    FUZZ_RUN(a, {
        Source *src = source_from_bytes(&a, "fuzz.lstm", data, spec_len);
        Node *spec = src ? parse_spec(&a, src) : NULL;
        IrModel *m = spec && !diag_errors() ? sema_check(&a, spec, "fuzz.safetensors") : NULL;
        StFile *f = m ? st_parse(&a, "fuzz.safetensors", nul ? nul + 1 : data + size,
                                 nul ? size - spec_len - 1 : 0) : NULL;
        if (f && weights_load_file(&a, m, f) == 0) {
            double *x = arena_alloc(&a, 2 * sizeof *x * (size_t)m->input);
            double *y = arena_alloc(&a, 2 * sizeof *y * (size_t)m->output);
            interp_run(m, x, 2, y);
        }
    });
    return 0;
}
