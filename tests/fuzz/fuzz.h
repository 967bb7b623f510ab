/*
 * fuzz.h - what every harness in tests/fuzz/ shares.
 *
 * A harness is LLVMFuzzerTestOneInput(): libFuzzer calls it (make fuzz,
 * built with clang -fsanitize=fuzzer), and replay.c calls it on the
 * committed corpora and regression inputs (make check-fuzz, any compiler,
 * under the sanitizers with SAN=1). lstmc's readers report and return; the
 * one way out of them is diag_fatal()'s exit (out of memory), which the
 * harness binaries wrap (-Wl,--wrap=exit, exit_wrap.c) to jump back here,
 * so that too ends one input, not the run.
 */
#ifndef LSTMC_FUZZ_H
#define LSTMC_FUZZ_H

#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "util.h"

/* Where exit() jumps while a harness runs (exit_wrap.c). */
extern jmp_buf *fuzz_exit_jump;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Diagnostics go nowhere: a run prints millions. */
static inline FILE *fuzz_null(void)
{
    static FILE *null;
    if (!null)
        null = fopen("/dev/null", "w");
    return null;
}

/* Runs body with arena a, then frees it, however body ends. */
#define FUZZ_RUN(a, body)                       \
    do {                                        \
        static Arena a;                         \
        jmp_buf fuzz_jump_;                     \
        diag_set_stream(fuzz_null());           \
        diag_reset();                           \
        if (!setjmp(fuzz_jump_)) {              \
            fuzz_exit_jump = &fuzz_jump_;       \
            body                                \
        }                                       \
        fuzz_exit_jump = NULL;                  \
        arena_free(&a);                         \
    } while (0)

#endif
