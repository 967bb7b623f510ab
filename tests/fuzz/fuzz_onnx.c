/*
 * fuzz_onnx.c - `lstmc import` without the files: the ONNX reader (the
 * wire walk, protobuf-c, the checks), the graph walk into layers, and the
 * spec and tensors it would write.
 */
#include "fuzz.h"

#include "import/import.h"
#include "import/onnx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FUZZ_RUN(a, {
        OnnxGraph *g = onnx_parse(&a, "fuzz.onnx", data, size);
        ImportModel *m = g ? import_graph(&a, g, &(ImportOptions){NULL, 0, NULL}) : NULL;
        if (m) {
            ImportTensors t;
            import_tensors(&a, m, &t);
            import_write_spec(fuzz_null(), m, "fuzz", "fuzz.safetensors");
        }
    });
    return 0;
}
