/*
 * exit_wrap.c - exit() for the harness binaries (linked with
 * -Wl,--wrap=exit): inside a harness, back to it (fuzz.h); elsewhere the
 * real exit.
 */
#include <stdlib.h>

#include "fuzz.h"

jmp_buf *fuzz_exit_jump;

void __real_exit(int status);
void __wrap_exit(int status);

void __wrap_exit(int status)
{
    if (fuzz_exit_jump)
        longjmp(*fuzz_exit_jump, 1);
    __real_exit(status);
}
