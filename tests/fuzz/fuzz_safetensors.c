/*
 * fuzz_safetensors.c - the safetensors reader: header checks, then every
 * float tensor converted as weights_load() converts it.
 */
#include "fuzz.h"

#include "safetensors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FUZZ_RUN(a, {
        StFile *f = st_parse(&a, "fuzz.safetensors", data, size);
        for (int i = 0; f && i < f->ntensors; i++) {
            const StTensor *t = &f->tensors[i];
            if (!st_dtype_is_float(t->dtype))
                continue;
            float *out = arena_alloc(&a, sizeof(float) * (size_t)(t->count ? t->count : 1));
            long bad;
            st_to_float(t, out, &bad);
        }
    });
    return 0;
}
