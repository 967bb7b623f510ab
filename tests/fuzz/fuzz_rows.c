/*
 * fuzz_rows.c - the data reader of `lstmc run` and of the generated
 * programs (runtime/lstmc_rows.c): the first byte picks the row width
 * (1 to 8), the rest is the data, read sequence by sequence.
 */
#include "fuzz.h"

#include "lstmc_rows.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    /* fmemopen of 0 bytes is not portable: then one byte of our own, read
     * before the reader starts. */
    static char empty[1];
    FILE *in = size > 1 ? fmemopen((void *)(data + 1), size - 1, "r") : fmemopen(empty, 1, "r");
    if (!in)
        return 0;
    if (size == 1)
        fgetc(in);
    rt_rows rows;
    rt_rows_init(&rows, in, "fuzz.txt", 1 + data[0] % 8);
    const double *x;
    while (rt_rows_next(&rows, &x, fuzz_null()) > 0)
        ;
    rt_rows_free(&rows);
    fclose(in);
    return 0;
}
