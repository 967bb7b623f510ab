/*
 * fuzz_rows.c - the data reader of `lstmc run` and of the generated
 * programs (runtime/lstmc_rows.c). The first byte b picks the row width
 * (1 + b % 8) and the form: b < 0x80 text (with a header line when b &
 * 0x40), 0x80..0xbf .npy, 0xc0..0xff raw float32; the rest is the data,
 * read whole sequence by sequence (rt_rows_next), then again step by step
 * (rt_rows_step, as a streaming model reads it). Text seeds are ASCII, so
 * their first byte keeps the text form.
 */
#include "fuzz.h"

#include "lstmc_rows.h"

/* A stream over data[1..size) (fmemopen of 0 bytes is not portable: then
 * one byte of our own, read before the reader starts). */
static FILE *open_data(const uint8_t *data, size_t size)
{
    static char empty[1];
    FILE *in = size > 1 ? fmemopen((void *)(data + 1), size - 1, "r") : fmemopen(empty, 1, "r");
    if (in && size == 1)
        fgetc(in);
    return in;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    int width = 1 + data[0] % 8;
    rt_format form = data[0] < 0x80 ? RT_TEXT : data[0] < 0xc0 ? RT_NPY : RT_F32;
    int header = data[0] < 0x80 && (data[0] & 0x40);
    for (int pass = 0; pass < 2; pass++) {
        FILE *in = open_data(data, size);
        if (!in)
            return 0;
        rt_rows rows;
        rt_rows_init(&rows, in, "fuzz.txt", width);
        rt_rows_format(&rows, form, header);
        if (pass == 0) {
            const double *x;
            while (rt_rows_next(&rows, &x, fuzz_null()) > 0)
                ;
        } else {
            double x[8];
            int st, n = 0;
            while ((st = rt_rows_step(&rows, x, fuzz_null())) != RT_END && st != RT_ERROR && n++ < 1000000)
                ;
        }
        rt_rows_free(&rows);
        fclose(in);
    }
    return 0;
}
