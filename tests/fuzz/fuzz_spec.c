/*
 * fuzz_spec.c - the spec reader: bytes -> Source (size and binary checks)
 * -> lexer and parser -> semantic checks, diagnostics quoted as usual.
 */
#include "fuzz.h"

#include "ast.h"
#include "sema.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FUZZ_RUN(a, {
        Source *src = source_from_bytes(&a, "fuzz.lstm", data, size);
        Node *spec = src ? parse_spec(&a, src) : NULL;
        if (spec && !diag_errors())
            sema_check(&a, spec, NULL);
    });
    return 0;
}
