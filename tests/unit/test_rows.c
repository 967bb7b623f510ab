/*
 * test_rows.c - the data reader, writer and loop (runtime/lstmc_rows.c):
 * sequences in every accepted spelling of text, raw float32 and .npy, each
 * error with its exact message and position, the three output forms, and
 * rt_run streaming a toy model step by step or in batches.
 */
#include "testutil.h"

#include "lstmc_rows.h"

#include <math.h>

/* A reader over a string, with its error stream captured in memory. */
typedef struct Fixture {
    char *text;
    FILE *in, *err;
    char *err_text;
    size_t err_len;
    rt_rows r;
} Fixture;

/* A reader over the first len bytes of data (which may hold NULs). */
static void fx_open_bytes(Fixture *f, const void *data, size_t len, int width)
{
    /* fmemopen needs a non-empty buffer; "" is read as an empty stream */
    f->text = malloc(len + 1);
    assert_non_null(f->text);
    memcpy(f->text, data, len);
    f->text[len] = '\0';
    if (len)
        f->in = fmemopen(f->text, len, "r");
    else
        f->in = fopen("/dev/null", "r");
    assert_non_null(f->in);
    f->err_text = NULL;
    f->err_len = 0;
    f->err = open_memstream(&f->err_text, &f->err_len);
    assert_non_null(f->err);
    rt_rows_init(&f->r, f->in, "input.txt", width);
}

static void fx_open(Fixture *f, const char *text, int width)
{
    fx_open_bytes(f, text, strlen(text), width);
}

/* What has been written to err so far ("" if nothing). */
static const char *fx_err(Fixture *f)
{
    fflush(f->err);
    return f->err_text ? f->err_text : "";
}

static void fx_close(Fixture *f)
{
    rt_rows_free(&f->r);
    rt_rows_free(&f->r);    /* safe twice */
    fclose(f->in);
    fclose(f->err);
    free(f->err_text);
    free(f->text);
}

/* Reads the next sequence and checks it is exactly want[0..steps*width). */
static void expect_seq(Fixture *f, long steps, const double *want)
{
    const double *x = NULL;
    long n = rt_rows_next(&f->r, &x, f->err);
    if (n != steps)
        fail_msg("rt_rows_next returned %ld, expected %ld; err: %s", n, steps, fx_err(f));
    assert_non_null(x);
    for (long k = 0; k < steps * f->r.width; k++)
        if (x[k] != want[k])
            fail_msg("x[%ld] = %.17g, expected %.17g", k, x[k], want[k]);
    assert_string_equal(fx_err(f), "");
}

static void expect_end(Fixture *f)
{
    const double *x = NULL;
    assert_int_equal(rt_rows_next(&f->r, &x, f->err), 0);
    assert_int_equal(rt_rows_next(&f->r, &x, f->err), 0);    /* and stays there */
    assert_string_equal(fx_err(f), "");
}

/* Expects the next call to fail with exactly this message. */
static void expect_error(Fixture *f, const char *msg)
{
    const double *x = NULL;
    assert_int_equal(rt_rows_next(&f->r, &x, f->err), -1);
    assert_string_equal(fx_err(f), msg);
    fclose(f->err);
    free(f->err_text);
    f->err_text = NULL;
    f->err = open_memstream(&f->err_text, &f->err_len);
    assert_non_null(f->err);
}

/* Reads the whole input as one expected error. */
static void check_error(const char *text, int width, const char *msg)
{
    Fixture f;
    fx_open(&f, text, width);
    expect_error(&f, msg);
    fx_close(&f);
}

/* ---- sequences ---- */

static void test_spaces(void **state)
{
    (void)state;
    Fixture f;
    fx_open(&f, "1 2 3\n4  5   6\n", 3);
    double want[] = {1, 2, 3, 4, 5, 6};
    expect_seq(&f, 2, want);
    expect_end(&f);
    fx_close(&f);
}

static void test_separators(void **state)
{
    (void)state;
    Fixture f;
    fx_open(&f,
            "1,2,3\n"
            "4 , 5 ,6\n"
            "7\t8\t 9\n"
            "  10, 11\t12  \n"
            "\t13 ,\t14 15\t\n", 3);
    double want[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
    expect_seq(&f, 5, want);
    expect_end(&f);
    fx_close(&f);
}

static void test_number_forms(void **state)
{
    (void)state;
    Fixture f;
    fx_open(&f, "-1.5e3 +2 .25 0x10 1e-320 -0\n", 6);
    double want[] = {-1500, 2, 0.25, 16, 1e-320, -0.0};
    expect_seq(&f, 1, want);
    expect_end(&f);
    fx_close(&f);
}

static void test_crlf(void **state)
{
    (void)state;
    Fixture f;
    fx_open(&f, "1 2\r\n3,4\r\n\r\n5 6\r\n", 2);
    double a[] = {1, 2, 3, 4}, b[] = {5, 6};
    expect_seq(&f, 2, a);
    expect_seq(&f, 1, b);
    expect_end(&f);
    fx_close(&f);
}

static void test_blank_lines_split_sequences(void **state)
{
    (void)state;
    Fixture f;
    /* leading blanks, whitespace-only lines and runs of blanks make no
     * empty sequences */
    fx_open(&f, "\n\n1\n2\n\n3\n  \n\t\n\r\n\n4\n5\n6\n\n\n", 1);
    double a[] = {1, 2}, b[] = {3}, c[] = {4, 5, 6};
    expect_seq(&f, 2, a);
    expect_seq(&f, 1, b);
    expect_seq(&f, 3, c);
    expect_end(&f);
    fx_close(&f);
}

static void test_no_trailing_newline(void **state)
{
    (void)state;
    Fixture f;
    fx_open(&f, "1 2\n3 4", 2);
    double a[] = {1, 2, 3, 4};
    expect_seq(&f, 2, a);
    expect_end(&f);
    fx_close(&f);

    fx_open(&f, "1 2\n\n3 4\r", 2);
    double b[] = {1, 2}, c[] = {3, 4};
    expect_seq(&f, 1, b);
    expect_seq(&f, 1, c);
    expect_end(&f);
    fx_close(&f);
}

static void test_empty_input(void **state)
{
    (void)state;
    Fixture f;
    fx_open(&f, "", 2);
    expect_end(&f);
    fx_close(&f);

    fx_open(&f, "\n  \n\r\n", 2);
    expect_end(&f);
    fx_close(&f);
}

/* A line far longer than any first buffer, and a sequence far longer than
 * the first allocation of values. */
static void test_long_lines(void **state)
{
    (void)state;
    enum { W = 1500, STEPS = 300 };
    size_t cap = (size_t)W * 12 * 3 + 64, len = 0;
    char *text = malloc(cap);
    double *want = malloc(sizeof(double) * W * 3);
    assert_non_null(text);
    assert_non_null(want);
    for (int t = 0; t < 3; t++)
        for (int k = 0; k < W; k++) {
            want[t * W + k] = t * 10000 + k + 0.5;
            len += (size_t)snprintf(text + len, cap - len, "%s%.1f", k ? ", " : "",
                                    want[t * W + k]);
            if (k == W - 1)
                text[len++] = '\n';
        }
    text[len] = '\0';
    assert_true(strlen(text) / 3 > 4096);

    Fixture f;
    fx_open(&f, text, W);
    expect_seq(&f, 3, want);
    expect_end(&f);
    fx_close(&f);

    /* many steps of a narrow row */
    len = 0;
    free(text);
    free(want);
    cap = STEPS * 16 + 1;
    text = malloc(cap);
    want = malloc(sizeof(double) * STEPS * 2);
    for (int t = 0; t < STEPS; t++) {
        want[2 * t] = t;
        want[2 * t + 1] = -t;
        len += (size_t)snprintf(text + len, cap - len, "%d %d\n", t, -t);
    }
    fx_open(&f, text, 2);
    expect_seq(&f, STEPS, want);
    expect_end(&f);
    fx_close(&f);
    free(text);
    free(want);
}

/* ---- errors ---- */

static void test_too_many_numbers(void **state)
{
    (void)state;
    check_error("1 2 3 4 5 6 7 8\n1 2 3 4 5 6 7 8\n1 2 3 4 5 6 7 8 9\n", 8,
                "input.txt:3:17: error: expected 8 numbers, found 9\n");
    check_error("1, 2,3\n", 2, "input.txt:1:6: error: expected 2 numbers, found 3\n");
    check_error("1 2\n", 1, "input.txt:1:3: error: expected 1 number, found 2\n");
    /* the count wins over a bad extra field */
    check_error("1 2 x\n", 2, "input.txt:1:5: error: expected 2 numbers, found 3\n");
}

static void test_too_few_numbers(void **state)
{
    (void)state;
    check_error("\n1 2 3\n4 5\n", 3, "input.txt:3:4: error: expected 3 numbers, found 2\n");
    check_error("1.25 2.5\r\n", 3, "input.txt:1:9: error: expected 3 numbers, found 2\n");
    check_error("1 2\n3", 2, "input.txt:2:2: error: expected 2 numbers, found 1\n");
    check_error("0.125,0.25,0.5,1,2,4,8,16\n"
                "0.125,0.25,0.5,1,2,4,8,16\n"
                "0.125, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0000\n", 8,
                "input.txt:3:40: error: expected 8 numbers, found 7\n");
}

static void test_not_a_number(void **state)
{
    (void)state;
    check_error("1 2 3\n1 2 abc\n", 3, "input.txt:2:5: error: 'abc' is not a number\n");
    check_error("1.2.3\n", 1, "input.txt:1:1: error: '1.2.3' is not a number\n");
    check_error("1 1e\n", 2, "input.txt:1:3: error: '1e' is not a number\n");
    check_error("--1\n", 1, "input.txt:1:1: error: '--1' is not a number\n");
    check_error("1;2\n", 2, "input.txt:1:1: error: '1;2' is not a number\n");
    /* long fields are cut to 32 characters */
    check_error("1 abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJ\n", 2,
                "input.txt:1:3: error: 'abcdefghijklmnopqrstuvwxyz012...' is not a number\n");
    check_error("abcdefghijklmnopqrstuvwxyz012345\n", 1,
                "input.txt:1:1: error: 'abcdefghijklmnopqrstuvwxyz012345' is not a number\n");
}

static void test_not_finite(void **state)
{
    (void)state;
    check_error("1 1e999\n", 2, "input.txt:1:3: error: '1e999' is not a finite number\n");
    check_error("-1e400\n", 1, "input.txt:1:1: error: '-1e400' is not a finite number\n");
    check_error("nan\n", 1, "input.txt:1:1: error: 'nan' is not a finite number\n");
    check_error("1,inf\n", 2, "input.txt:1:3: error: 'inf' is not a finite number\n");
    check_error("-Infinity 0\n", 2, "input.txt:1:1: error: '-Infinity' is not a finite number\n");
}

static void test_empty_fields(void **state)
{
    (void)state;
    check_error("1,,2\n", 3, "input.txt:1:3: error: expected a number before ','\n");
    check_error(",1,2\n", 3, "input.txt:1:1: error: expected a number before ','\n");
    check_error("  , 1\n", 2, "input.txt:1:3: error: expected a number before ','\n");
    check_error("1, ,2\n", 3, "input.txt:1:4: error: expected a number before ','\n");
    check_error("1,2,\n", 3, "input.txt:1:5: error: expected a number after ','\n");
    check_error("1,2 ,\r\n", 3, "input.txt:1:6: error: expected a number after ','\n");
}

/* After an error the reader skips the rest of that sequence, so a caller
 * that goes on gets the next one; line numbers keep counting. */
static void test_error_then_next_sequence(void **state)
{
    (void)state;
    Fixture f;
    fx_open(&f, "1 2\nx 3\n4 5\n\n6 7\n\n8\n", 2);
    expect_error(&f, "input.txt:2:1: error: 'x' is not a number\n");
    double a[] = {6, 7};
    expect_seq(&f, 1, a);
    expect_error(&f, "input.txt:7:2: error: expected 2 numbers, found 1\n");
    expect_end(&f);
    fx_close(&f);
}

static void test_read_error(void **state)
{
    (void)state;
    Fixture f;
    fx_open(&f, "1 2\n", 2);
    fclose(f.in);
    f.in = fopen("/dev/null", "w");    /* reading a write-only stream fails */
    assert_non_null(f.in);
    f.r.in = f.in;
    expect_error(&f, "input.txt: error: read error\n");
    fx_close(&f);
}

/* ---- writing ---- */

static void test_write(void **state)
{
    (void)state;
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    assert_non_null(out);
    double y[] = {1.0, 0.1, -2.5e-10, 123456789012.0, 0.333333333333, -0.0};
    assert_int_equal(rt_rows_write(out, y, 6), 0);
    assert_int_equal(rt_rows_write(out, y, 1), 0);
    assert_int_equal(rt_rows_write(out, y, 0), 0);
    fclose(out);
    assert_string_equal(text, "1 0.1 -2.5e-10 1.23456789e+11 0.333333333 -0\n1\n\n");
    free(text);

    /* a stream that cannot be written */
    FILE *ro = fopen("/dev/null", "r");
    assert_non_null(ro);
    assert_int_equal(rt_rows_write(ro, y, 2), -1);
    fclose(ro);
}

/* What rt_rows_write prints, rt_rows_next reads back exactly (as float). */
static void test_round_trip(void **state)
{
    (void)state;
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    float v[] = {0.1f, -3.4028235e38f, 1.17549435e-38f, 7.0f, -0.7654321f, 1e-45f};
    double y[6];
    for (int k = 0; k < 6; k++)
        y[k] = v[k];
    assert_int_equal(rt_rows_write(out, y, 3), 0);
    assert_int_equal(rt_rows_write(out, y + 3, 3), 0);
    fclose(out);

    Fixture f;
    fx_open(&f, text, 3);
    const double *x = NULL;
    assert_int_equal(rt_rows_next(&f.r, &x, f.err), 2);
    for (int k = 0; k < 6; k++)
        assert_true((float)x[k] == v[k]);
    expect_end(&f);
    fx_close(&f);
    free(text);
}

/* ---- comments and header lines ---- */

static void test_comments(void **state)
{
    (void)state;
    Fixture f;
    /* a comment line is skipped (it does not end a sequence); a comment
     * after numbers ends the line */
    fx_open(&f, "# recorded 2026-12-07\n1 2\n  # a note\n3 4 # the peak\n\n#\n5,6#x\n", 2);
    double a[] = {1, 2, 3, 4}, b[] = {5, 6};
    expect_seq(&f, 2, a);
    expect_seq(&f, 1, b);
    expect_end(&f);
    fx_close(&f);
    /* positions stay those of the line */
    check_error("1 2\n1 # 2\n", 2, "input.txt:2:3: error: expected 2 numbers, found 1\n");
    check_error("1 2\n1 x# 2\n", 2, "input.txt:2:3: error: 'x' is not a number\n");
}

static void test_header_line(void **state)
{
    (void)state;
    Fixture f;
    fx_open(&f, "time,speed\n1,2\n3,4\n", 2);
    rt_rows_format(&f.r, RT_TEXT, 1);
    double a[] = {1, 2, 3, 4};
    expect_seq(&f, 2, a);
    expect_end(&f);
    fx_close(&f);
    /* the first line whatever it holds; line numbers count it */
    fx_open(&f, "7 8\n1 2\n3\n", 2);
    rt_rows_format(&f.r, RT_TEXT, 1);
    expect_error(&f, "input.txt:3:2: error: expected 2 numbers, found 1\n");
    fx_close(&f);
    /* without --header a header is an error at its first word */
    check_error("time,speed\n1,2\n", 2, "input.txt:1:1: error: 'time' is not a number\n");
}

/* ---- token ids ---- */

/* One id per line or several, each a step; a blank line ends a sequence. */
static void test_tokens(void **state)
{
    (void)state;
    Fixture f;
    fx_open(&f, "3\n1 4, 1\n\t5,9  # a comment\n\n0\n", 1);
    rt_rows_tokens(&f.r, 10);
    double a[] = {3, 1, 4, 1, 5, 9}, b[] = {0};
    expect_seq(&f, 6, a);
    expect_seq(&f, 1, b);
    expect_end(&f);
    fx_close(&f);
}

static void check_token_error(const char *text, const char *msg)
{
    Fixture f;
    fx_open(&f, text, 1);
    rt_rows_tokens(&f.r, 10);
    expect_error(&f, msg);
    fx_close(&f);
}

static void test_token_errors(void **state)
{
    (void)state;
    check_token_error("1 2\n3 10\n", "input.txt:2:3: error: token id 10 is out of range: the vocabulary has 10 "
                                     "tokens (ids 0 to 9)\n");
    check_token_error("-1\n", "input.txt:1:1: error: token id -1 is out of range: the vocabulary has 10 "
                              "tokens (ids 0 to 9)\n");
    check_token_error("1 2.5\n", "input.txt:1:3: error: '2.5' is not a token id (an integer)\n");
    check_token_error("1 x\n", "input.txt:1:3: error: 'x' is not a token id (an integer)\n");
    check_token_error("1 nan\n", "input.txt:1:3: error: 'nan' is not a token id (an integer)\n");
    check_token_error("1,,2\n", "input.txt:1:3: error: expected a token id before ','\n");
    check_token_error(",1\n", "input.txt:1:1: error: expected a token id before ','\n");
    check_token_error("1, 2,\n", "input.txt:1:6: error: expected a token id after ','\n");
    /* after an error, the next sequence */
    Fixture f;
    fx_open(&f, "1 99 2\n3\n\n4 5\n", 1);
    rt_rows_tokens(&f.r, 10);
    expect_error(&f, "input.txt:1:3: error: token id 99 is out of range: the vocabulary has 10 tokens (ids 0 to 9)\n");
    double a[] = {4, 5};
    expect_seq(&f, 2, a);
    expect_end(&f);
    fx_close(&f);
}

/* f32: the ids as floats, checked alike, at the byte where each starts. */
static void test_tokens_f32(void **state)
{
    (void)state;
    float v[] = {2, 7, 1.5f}, w[] = {2, 11};
    Fixture f;
    fx_open_bytes(&f, v, 2 * sizeof(float), 1);
    rt_rows_format(&f.r, RT_F32, 0);
    rt_rows_tokens(&f.r, 10);
    double a[] = {2, 7};
    expect_seq(&f, 2, a);
    expect_end(&f);
    fx_close(&f);
    fx_open_bytes(&f, v, sizeof v, 1);
    rt_rows_format(&f.r, RT_F32, 0);
    rt_rows_tokens(&f.r, 10);
    expect_error(&f, "input.txt: byte 8: error: 1.5 is not a token id (an integer)\n");
    fx_close(&f);
    fx_open_bytes(&f, w, sizeof w, 1);
    rt_rows_format(&f.r, RT_F32, 0);
    rt_rows_tokens(&f.r, 10);
    expect_error(&f, "input.txt: byte 4: error: token id 11 is out of range: the vocabulary has 10 tokens "
                     "(ids 0 to 9)\n");
    fx_close(&f);
}

/* A .npy file given as text is named as such. */
static void test_npy_as_text(void **state)
{
    (void)state;
    check_error("\223NUMPY\001\000v\000{'descr': '<f4'", 2,
                "input.txt:1:1: error: this is a NumPy .npy file, not text: give --format npy (or name it *.npy)\n");
}

/* ---- raw float32 ---- */

/* n floats as little-endian bytes into b. */
static size_t le_floats(unsigned char *b, const float *v, size_t n)
{
    for (size_t k = 0; k < n; k++) {
        uint32_t u;
        memcpy(&u, &v[k], 4);
        for (int j = 0; j < 4; j++)
            b[4 * k + (size_t)j] = (unsigned char)(u >> (8 * j));
    }
    return 4 * n;
}

static void test_f32(void **state)
{
    (void)state;
    float v[] = {1, -2.5f, 3e-30f, 4, 5, 6};
    unsigned char b[64];
    size_t n = le_floats(b, v, 6);
    Fixture f;
    fx_open_bytes(&f, b, n, 3);
    rt_rows_format(&f.r, RT_F32, 0);
    double want[] = {1, -2.5, (double)3e-30f, 4, 5, 6};
    expect_seq(&f, 2, want);
    expect_end(&f);
    fx_close(&f);

    /* an empty file: no sequence */
    fx_open_bytes(&f, b, 0, 3);
    rt_rows_format(&f.r, RT_F32, 0);
    expect_end(&f);
    fx_close(&f);

    /* the file ends inside the second timestep */
    fx_open_bytes(&f, b, n - 2, 3);
    rt_rows_format(&f.r, RT_F32, 0);
    expect_error(&f, "input.txt: byte 22: error: the file ends inside a timestep: 10 of its 12 bytes\n");
    expect_end(&f);
    fx_close(&f);

    /* a value that is not finite, with its byte */
    v[4] = INFINITY;
    n = le_floats(b, v, 6);
    fx_open_bytes(&f, b, n, 3);
    rt_rows_format(&f.r, RT_F32, 0);
    expect_error(&f, "input.txt: byte 16: error: 'inf' is not a finite number (timestep 2, column 2)\n");
    fx_close(&f);
    v[4] = NAN;
    n = le_floats(b, v, 6);
    fx_open_bytes(&f, b, n, 3);
    rt_rows_format(&f.r, RT_F32, 0);
    expect_error(&f, "input.txt: byte 16: error: 'nan' is not a finite number (timestep 2, column 2)\n");
    fx_close(&f);
}

/* ---- .npy ---- */

/* A .npy file in b: version major.0, header dict text padded to a multiple
 * of 64 as numpy writes it (the dicts here: data at byte 64 or 128), then
 * data bytes. Returns its length. */
static size_t npy_file(unsigned char *b, int major, const char *dict, const void *data, size_t n)
{
    size_t pre = major == 1 ? 10 : 12, len = strlen(dict) + 1;
    while ((pre + len) % 64)
        len++;
    memcpy(b, "\223NUMPY", 6);
    b[6] = (unsigned char)major;
    b[7] = 0;
    b[8] = (unsigned char)(len & 0xff);
    b[9] = (unsigned char)(len >> 8);
    if (major != 1)
        b[10] = b[11] = 0;
    memset(b + pre, ' ', len);
    memcpy(b + pre, dict, strlen(dict));
    b[pre + len - 1] = '\n';
    memcpy(b + pre + len, data, n);
    return pre + len + n;
}

static void test_npy_2d_3d(void **state)
{
    (void)state;
    float v[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
    unsigned char d[64], b[256];
    size_t n = le_floats(d, v, 12), len;
    Fixture f;

    /* [steps, features]: one sequence */
    len = npy_file(b, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (4, 3), }", d, n);
    fx_open_bytes(&f, b, len, 3);
    rt_rows_format(&f.r, RT_NPY, 0);
    double all[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
    expect_seq(&f, 4, all);
    expect_end(&f);
    assert_int_equal(f.r.npy_ndim, 2);
    fx_close(&f);

    /* [sequences, steps, features], keys in another order, version 2 */
    len = npy_file(b, 2, "{\"shape\":(3,2,2),\"fortran_order\":False,\"descr\":\"<f4\"}", d, n);
    fx_open_bytes(&f, b, len, 2);
    rt_rows_format(&f.r, RT_NPY, 0);
    expect_seq(&f, 2, all);
    expect_seq(&f, 2, all + 4);
    expect_seq(&f, 2, all + 8);
    expect_end(&f);
    assert_int_equal(f.r.npy_ndim, 3);
    fx_close(&f);

    /* step by step: the sequences' ends are breaks */
    fx_open_bytes(&f, b, len, 2);
    rt_rows_format(&f.r, RT_NPY, 0);
    double x[2];
    int got[12], k = 0;
    while ((got[k] = rt_rows_step(&f.r, x, f.err)) != RT_END && k < 11)
        k++;
    int want[] = {RT_STEP, RT_STEP, RT_BREAK, RT_STEP, RT_STEP, RT_BREAK, RT_STEP, RT_STEP, RT_BREAK, RT_END};
    assert_int_equal(k, 9);
    assert_memory_equal(got, want, sizeof want);
    fx_close(&f);

    /* empty: no steps, no sequences */
    len = npy_file(b, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (0, 3), }", d, 0);
    fx_open_bytes(&f, b, len, 3);
    rt_rows_format(&f.r, RT_NPY, 0);
    expect_end(&f);
    fx_close(&f);
}

static void test_npy_dtypes(void **state)
{
    (void)state;
    double v[] = {0.1, -2, 1e-300, 3.25};
    unsigned char d[64], b[256];
    size_t len;
    Fixture f;

    /* float64, little-endian: the doubles as they are (the tests run on
     * little-endian machines) */
    memcpy(d, v, sizeof v);
    len = npy_file(b, 1, "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), }", d, sizeof v);
    fx_open_bytes(&f, b, len, 2);
    rt_rows_format(&f.r, RT_NPY, 0);
    expect_seq(&f, 2, v);
    expect_end(&f);
    fx_close(&f);

    /* big-endian float32 and float64 */
    for (int item = 4; item <= 8; item += 4) {
        for (int k = 0; k < 4; k++) {
            unsigned char le[8];
            if (item == 4) {
                float x = (float)v[k];
                memcpy(le, &x, 4);
            } else {
                memcpy(le, &v[k], 8);
            }
            for (int j = 0; j < item; j++)
                d[k * item + j] = le[item - 1 - j];
        }
        len = npy_file(b, 3, item == 4 ? "{'descr': '>f4', 'fortran_order': False, 'shape': (1, 4), }"
                                       : "{'descr': '>f8', 'fortran_order': False, 'shape': (1, 4), }",
                       d, 4 * (size_t)item);
        fx_open_bytes(&f, b, len, 4);
        rt_rows_format(&f.r, RT_NPY, 0);
        double want[4];
        for (int k = 0; k < 4; k++)
            want[k] = item == 4 ? (double)(float)v[k] : v[k];
        expect_seq(&f, 1, want);
        expect_end(&f);
        fx_close(&f);
    }
}

/* A .npy file of this header dict and data bytes (zeros) fails so. */
static void check_npy(int major, const char *dict, size_t data, int width, const char *msg)
{
    unsigned char b[512];
    unsigned char zeros[128] = {0};
    size_t len = npy_file(b, major, dict, zeros, data);
    Fixture f;
    fx_open_bytes(&f, b, len, width);
    rt_rows_format(&f.r, RT_NPY, 0);
    expect_error(&f, msg);
    expect_end(&f);
    fx_close(&f);
}

static void check_npy_bytes(const void *data, size_t len, const char *msg)
{
    Fixture f;
    fx_open_bytes(&f, data, len, 2);
    rt_rows_format(&f.r, RT_NPY, 0);
    expect_error(&f, msg);
    fx_close(&f);
}

static void test_npy_errors(void **state)
{
    (void)state;
    const char *ok = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }";
    check_npy(1, ok, 8, 2, "input.txt: byte 136: error: the file ends after 1 timestep; the header's shape (2, 2) has 2\n");
    check_npy(1, ok, 10, 2, "input.txt: byte 138: error: the file ends inside a timestep: 2 of its 8 bytes\n");
    /* bytes after the array: found once it is read */
    unsigned char b[256], zeros[32] = {0};
    double z[4] = {0, 0, 0, 0};
    Fixture f;
    fx_open_bytes(&f, b, npy_file(b, 1, ok, zeros, 20), 2);
    rt_rows_format(&f.r, RT_NPY, 0);
    expect_seq(&f, 2, z);
    expect_error(&f, "input.txt: byte 144: error: more bytes after the array the .npy header describes\n");
    expect_end(&f);
    fx_close(&f);
    check_npy(1, ok, 16, 3, "input.txt: byte 60: error: shape (2, 2): 2 features per timestep, the model takes 3\n");
    check_npy(1, "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", 16, 2,
              "input.txt: byte 44: error: fortran_order is True: lstmc reads arrays in C order "
              "(numpy.ascontiguousarray before saving)\n");
    check_npy(1, "{'descr': '<i8', 'fortran_order': False, 'shape': (2, 2), }", 32, 2,
              "input.txt: byte 20: error: dtype '<i8' is not supported: lstmc reads float32 ('<f4') "
              "or float64 ('<f8') arrays (numpy: a.astype(numpy.float32))\n");
    check_npy(1, "{'descr': '<f2', 'fortran_order': False, 'shape': (2, 2), }", 8, 2,
              "input.txt: byte 20: error: dtype '<f2' is not supported: lstmc reads float32 ('<f4') "
              "or float64 ('<f8') arrays (numpy: a.astype(numpy.float32))\n");
    check_npy(1, "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), }", 8, 2,
              "input.txt: byte 20: error: a structured dtype is not supported: lstmc reads float32 ('<f4') "
              "or float64 ('<f8') arrays\n");
    check_npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }", 16, 2,
              "input.txt: byte 60: error: shape (4,) has 1 dimension: lstmc reads [steps, features] "
              "(one sequence) or [sequences, steps, features]\n");
    check_npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1, 2, 2), }", 16, 2,
              "input.txt: byte 60: error: shape (1, 1, 2, 2) has 4 dimensions: lstmc reads [steps, features] "
              "(one sequence) or [sequences, steps, features]\n");
    check_npy(1, "{'descr': '<f4', 'fortran_order': False, }", 0, 2,
              "input.txt: byte 51: error: the .npy header has no 'shape'\n");
    check_npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), 'x': 1}", 16, 2,
              "input.txt: byte 68: error: in the .npy header: unexpected key 'x'\n");
    check_npy(1, "{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2, 2)}", 16, 2,
              "input.txt: byte 27: error: in the .npy header: a second 'descr'\n");
    check_npy(1, "{'descr': '<f4' 'fortran_order': False}", 0, 2,
              "input.txt: byte 26: error: in the .npy header: expected ',' or '}', saw '''\n");
    check_npy(1, "['descr']", 0, 2, "input.txt: byte 10: error: in the .npy header: expected a dict, '{', saw '['\n");
    check_npy(1, "{'descr': '<f4', 'fortran_order': Maybe, 'shape': (2, 2)}", 0, 2,
              "input.txt: byte 44: error: in the .npy header: expected False or True, saw 'M'\n");
    check_npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, x)}", 0, 2,
              "input.txt: byte 64: error: in the .npy header: expected a size, saw 'x'\n");
    check_npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999, 2)}", 0, 2,
              "input.txt: byte 80: error: in the .npy header: a size too large\n");
    check_npy(1, "{'descr': '<f4", 0, 2,
              "input.txt: byte 64: error: in the .npy header: expected the end of the string, saw its end\n");

    /* the preamble */
    check_npy_bytes("", 0, "input.txt: byte 0: error: an empty file, not a NumPy .npy file\n");
    check_npy_bytes("1 2\n3 4\n", 8,
                    "input.txt: byte 0: error: not a NumPy .npy file (it does not begin with \\x93NUMPY)\n");
    check_npy_bytes("\223NUMPY\001", 7, "input.txt: byte 7: error: the file ends inside the .npy preamble\n");
    check_npy_bytes("\223NUMPY\004\000\010\000{}      ", 18,
                    "input.txt: byte 6: error: .npy format version 4.0 is not supported (1.0, 2.0 and 3.0 are)\n");
    check_npy_bytes("\223NUMPY\001\000\100\000{'descr'", 18,
                    "input.txt: byte 18: error: the file ends inside the .npy header (8 of its 64 bytes)\n");
    check_npy_bytes("\223NUMPY\002\000\000\000\002\000", 12,
                    "input.txt: byte 8: error: a .npy header of 131072 bytes: lstmc reads at most 65536\n");
}

/* The data's non-finite values, with where they are in the array. */
static void test_npy_not_finite(void **state)
{
    (void)state;
    float v[] = {1, 2, 3, 4, 5, 6, 7, 8};
    unsigned char d[64], b[256];
    v[7] = -INFINITY;
    size_t n = le_floats(d, v, 8), len;
    Fixture f;
    len = npy_file(b, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2, 2), }", d, n);
    fx_open_bytes(&f, b, len, 2);
    rt_rows_format(&f.r, RT_NPY, 0);
    double a[] = {1, 2, 3, 4};
    expect_seq(&f, 2, a);
    expect_error(&f, "input.txt: byte 156: error: '-inf' is not a finite number (sequence 2, step 2, column 2)\n");
    expect_end(&f);
    fx_close(&f);
}

/* ---- the forms of data ---- */

static void test_format_names(void **state)
{
    (void)state;
    assert_int_equal(rt_format_named("text"), RT_TEXT);
    assert_int_equal(rt_format_named("f32"), RT_F32);
    assert_int_equal(rt_format_named("npy"), RT_NPY);
    assert_int_equal(rt_format_named("csv"), -1);
    assert_int_equal(rt_format_of_path("data/x.npy"), RT_NPY);
    assert_int_equal(rt_format_of_path("x.f32"), RT_F32);
    assert_int_equal(rt_format_of_path("x.txt"), RT_TEXT);
    assert_int_equal(rt_format_of_path(".npy"), RT_TEXT);   /* a name, not an extension */
    assert_int_equal(rt_format_of_path("x.npy.txt"), RT_TEXT);
    assert_int_equal(rt_format_of_path(NULL), RT_TEXT);
}

/* ---- writing f32 and .npy ---- */

/* What was written to a stream: its bytes, read back from the start. */
static size_t slurp(FILE *f, unsigned char *b, size_t cap)
{
    fflush(f);
    rewind(f);
    return fread(b, 1, cap, f);
}

static void test_out_f32(void **state)
{
    (void)state;
    FILE *f = tmpfile();
    assert_non_null(f);
    rt_out o;
    double y[] = {1, -0.5, 0.1};
    assert_int_equal(rt_out_init(&o, f, "out.f32", RT_F32, 3), RT_RUN_OK);
    assert_int_equal(rt_out_row(&o, y), RT_RUN_OK);
    rt_out_break(&o);
    assert_int_equal(rt_out_row(&o, y), RT_RUN_OK);
    assert_int_equal(rt_out_finish(&o, stderr), RT_RUN_OK);
    rt_out_free(&o);
    unsigned char got[64], want[64];
    float v[] = {1, -0.5f, 0.1f, 1, -0.5f, 0.1f};
    assert_int_equal(slurp(f, got, sizeof got), le_floats(want, v, 6));
    assert_memory_equal(got, want, 24);
    fclose(f);
}

/* The header of a float32 .npy array of this shape text, as lstmc writes it. */
static void expect_npy_header(const unsigned char *b, const char *shape)
{
    char dict[200];
    snprintf(dict, sizeof dict, "{'descr': '<f4', 'fortran_order': False, 'shape': %s, }", shape);
    assert_memory_equal(b, "\223NUMPY\001\000\166\000", 10);
    assert_memory_equal(b + 10, dict, strlen(dict));
    for (size_t k = 10 + strlen(dict); k < 127; k++)
        assert_int_equal(b[k], ' ');
    assert_int_equal(b[127], '\n');
}

/* Writes nseq sequences of lens[s] rows of [s, t] as .npy to f (a regular
 * file, or a memory stream, which cannot seek); returns what rt_out_finish
 * says. */
static int write_npy(FILE *f, const int *lens, int nseq, int last, int three_d, FILE *err)
{
    rt_out o;
    double y[2] = {0, 0};
    assert_int_equal(rt_out_init(&o, f, "out.npy", RT_NPY, 2), RT_RUN_OK);
    o.npy_last = last;
    o.npy_3d = three_d;
    for (int s = 0; s < nseq; s++) {
        for (int t = 0; t < lens[s]; t++) {
            y[0] = s;
            y[1] = t;
            assert_int_equal(rt_out_row(&o, y), RT_RUN_OK);
        }
        rt_out_break(&o);
    }
    int st = rt_out_finish(&o, err);
    rt_out_free(&o);
    return st;
}

static void test_out_npy(void **state)
{
    (void)state;
    unsigned char b[1024];
    int three[] = {3, 3}, one[] = {4}, ragged[] = {2, 3}, lasts[] = {1, 1, 1};
    float v[] = {1, 2};
    unsigned char row[8];
    le_floats(row, v, 2);
    for (int seekable = 0; seekable <= 1; seekable++) {
        char *text = NULL;
        size_t len = 0;
        FILE *f;
#define OPEN() (f = seekable ? tmpfile() : open_memstream(&text, &len), assert_non_null(f))
#define CLOSE() (fclose(f), free(text), text = NULL)
        OPEN();
        assert_int_equal(write_npy(f, three, 2, 0, 0, stderr), RT_RUN_OK);
        assert_int_equal(slurp(f, b, sizeof b), 128 + 6 * 8);
        expect_npy_header(b, "(2, 3, 2)");
        assert_memory_equal(b + 128 + 5 * 8, row, 8);      /* sequence 1, step 2 */
        CLOSE();

        OPEN();
        assert_int_equal(write_npy(f, one, 1, 0, 0, stderr), RT_RUN_OK);
        assert_int_equal(slurp(f, b, sizeof b), 128 + 4 * 8);
        expect_npy_header(b, "(4, 2)");
        CLOSE();

        OPEN();     /* one sequence from a 3-D input stays 3-D */
        assert_int_equal(write_npy(f, one, 1, 0, 1, stderr), RT_RUN_OK);
        slurp(f, b, sizeof b);
        expect_npy_header(b, "(1, 4, 2)");
        CLOSE();

        OPEN();     /* output last: [sequences, outputs] */
        assert_int_equal(write_npy(f, lasts, 3, 1, 1, stderr), RT_RUN_OK);
        slurp(f, b, sizeof b);
        expect_npy_header(b, "(3, 2)");
        CLOSE();

        OPEN();     /* nothing at all */
        assert_int_equal(write_npy(f, one, 0, 0, 0, stderr), RT_RUN_OK);
        assert_int_equal(slurp(f, b, sizeof b), 128);
        expect_npy_header(b, "(0, 2)");
        CLOSE();

        OPEN();     /* sequences of different lengths: no array */
        char *msg = NULL;
        size_t msg_len = 0;
        FILE *err = open_memstream(&msg, &msg_len);
        assert_int_equal(write_npy(f, ragged, 2, 0, 0, err), RT_RUN_BAD_INPUT);
        fclose(err);
        assert_string_equal(msg, "out.npy: error: the sequences have different lengths (2 and 3 steps): "
                                 "one .npy array cannot hold them; write text or f32 (--output-format)\n");
        free(msg);
        CLOSE();
#undef OPEN
#undef CLOSE
    }
}

/* ---- the loop ---- */

/* A toy model: its state is the running sum of x[0]; each step outputs
 * [sum, x[1]]. It counts its calls, resets and the steps of its largest
 * call. */
typedef struct Toy {
    double sum;
    int calls, resets;
    size_t most;
    int from_state;     /* whole sequences: the next starts from toy_set_state's sum */
} Toy;

static void toy_reset(void *ctx)
{
    Toy *t = ctx;
    t->sum = 0;
    t->resets++;
}

static int toy_run(void *ctx, const double *x, size_t steps, double *y, int last, int whole)
{
    Toy *t = ctx;
    t->calls++;
    if (steps > t->most)
        t->most = steps;
    if (whole && !t->from_state)
        t->sum = 0;
    t->from_state = 0;
    for (size_t k = 0; k < steps; k++) {
        t->sum += x[2 * k];
        if (!last || k == steps - 1) {
            y[last ? 0 : 2 * k] = t->sum;
            y[last ? 1 : 2 * k + 1] = x[2 * k + 1];
        }
    }
    return 0;
}

static int toy_seq(void *ctx, const double *x, size_t steps, double *y)
{
    return toy_run(ctx, x, steps, y, 0, 0);
}

static int toy_last(void *ctx, const double *x, size_t steps, double *y)
{
    return toy_run(ctx, x, steps, y, 1, 0);
}

static int toy_whole(void *ctx, const double *x, size_t steps, double *y)
{
    return toy_run(ctx, x, steps, y, 0, 1);
}

/* The toy's state is its sum: one number. */
static void toy_set_state(void *ctx, const double *s)
{
    Toy *t = ctx;
    t->sum = s[0];
    t->from_state = 1;
}

static void toy_get_state(void *ctx, double *s)
{
    s[0] = ((Toy *)ctx)->sum;
}

/* States: a text of start states for the toy (NULL: none), and the final
 * states it must write (NULL: none wanted). */
typedef struct ToyStates {
    const char *in, *want_out;
} ToyStates;

/* Runs text through the toy model: in is a regular file when regular (the
 * loop may read ahead), else a memory stream; out is a memory stream
 * (live). Checks the status, the output, the messages and, with st, the
 * final states. */
static Toy run_toy_states(const char *text, int streaming, int last, size_t chunk, int regular, int want_status,
                          const char *want_out, const char *want_err, const ToyStates *st)
{
    Toy t = {0, 0, 0, 0, 0};
    rt_model m = {2, 2, streaming, last, chunk, &t, toy_reset,
                  streaming ? (last ? toy_last : toy_seq) : toy_whole, 1, NULL, NULL, toy_set_state, toy_get_state};
    FILE *sin = st && st->in ? fmemopen((void *)st->in, strlen(st->in), "r") : NULL;
    char *states_text = NULL;
    size_t states_len = 0;
    FILE *sout = st && st->want_out ? open_memstream(&states_text, &states_len) : NULL;
    rt_rows sr;
    rt_out so;
    rt_rows_init(&sr, sin, "states.txt", 1);
    memset(&so, 0, sizeof so);
    if (sin)
        m.state_in = &sr;
    if (sout) {
        assert_int_equal(rt_out_init(&so, sout, "final.txt", RT_TEXT, 1), RT_RUN_OK);
        m.state_out = &so;
    }
    FILE *in = regular ? tmpfile() : fmemopen((void *)text, strlen(text), "r");
    char *out_text = NULL, *err_text = NULL;
    size_t out_len = 0, err_len = 0;
    FILE *out = open_memstream(&out_text, &out_len), *err = open_memstream(&err_text, &err_len);
    assert_non_null(in);
    if (regular) {
        fputs(text, in);
        rewind(in);
    }
    rt_rows r;
    rt_out o;
    rt_rows_init(&r, in, "in.txt", 2);
    assert_int_equal(rt_out_init(&o, out, "<stdout>", RT_TEXT, 2), RT_RUN_OK);
    assert_int_equal(rt_run(&m, &r, &o, err), want_status);
    assert_int_equal(rt_out_finish(&o, err), RT_RUN_OK);
    fclose(out);
    fclose(err);
    assert_string_equal(out_text ? out_text : "", want_out);
    assert_string_equal(err_text ? err_text : "", want_err);
    free(out_text);
    free(err_text);
    rt_out_free(&o);
    rt_rows_free(&r);
    fclose(in);
    if (sout) {
        assert_int_equal(rt_out_finish(&so, stderr), RT_RUN_OK);
        fclose(sout);
        assert_string_equal(states_text ? states_text : "", st->want_out);
        free(states_text);
    }
    rt_out_free(&so);
    rt_rows_free(&sr);
    if (sin)
        fclose(sin);
    return t;
}

static Toy run_toy(const char *text, int streaming, int last, size_t chunk, int regular, int want_status,
                   const char *want_out, const char *want_err)
{
    return run_toy_states(text, streaming, last, chunk, regular, want_status, want_out, want_err, NULL);
}

static void test_run_stream(void **state)
{
    (void)state;
    const char *text = "1 10\n2 20\n3 30\n\n\n4 40\n5 50\n";
    const char *seq = "1 10\n3 20\n6 30\n4 40\n9 50\n";
    /* from a stream that may wait: one step per call */
    Toy t = run_toy(text, 1, 0, 64, 0, RT_RUN_OK, seq, "");
    assert_int_equal(t.calls, 5);
    assert_int_equal((int)t.most, 1);
    assert_int_equal(t.resets, 2);      /* before each sequence's first step */
    /* from a regular file: batches of up to chunk steps, the same rows */
    t = run_toy(text, 1, 0, 2, 1, RT_RUN_OK, seq, "");
    assert_int_equal(t.calls, 3);       /* [1 2] [3] | [4 5] */
    assert_int_equal((int)t.most, 2);
    /* output last: a row where each sequence ends */
    run_toy(text, 1, 1, 64, 1, RT_RUN_OK, "6 30\n9 50\n", "");
    run_toy(text, 1, 1, 64, 0, RT_RUN_OK, "6 30\n9 50\n", "");
    /* bad data stops it; the rows before it are written */
    run_toy("1 10\n2 20\n\n3 30\n4\n5 50\n", 1, 0, 64, 1, RT_RUN_BAD_INPUT, "1 10\n3 20\n3 30\n",
            "in.txt:5:2: error: expected 2 numbers, found 1\n");
    run_toy("1 10\n2 20\n\n3 30\n4\n5 50\n", 1, 1, 64, 0, RT_RUN_BAD_INPUT, "3 20\n",
            "in.txt:5:2: error: expected 2 numbers, found 1\n");
    /* nothing in, nothing out */
    t = run_toy("\n# only a comment\n", 1, 0, 64, 0, RT_RUN_OK, "", "");
    assert_int_equal(t.calls, 0);
}

static void test_run_whole(void **state)
{
    (void)state;
    const char *text = "1 10\n2 20\n3 30\n\n4 40\n5 50\n";
    Toy t = run_toy(text, 0, 0, 64, 0, RT_RUN_OK, "1 10\n3 20\n6 30\n4 40\n9 50\n", "");
    assert_int_equal(t.calls, 2);
    assert_int_equal((int)t.most, 3);
    assert_int_equal(t.resets, 0);
    /* a bad sequence prints nothing of itself */
    run_toy("1 10\n2 20\n\n3 30\n4\n5 50\n", 0, 0, 64, 0, RT_RUN_BAD_INPUT, "1 10\n3 20\n",
            "in.txt:5:2: error: expected 2 numbers, found 1\n");
}

/* Start and final states (--state-in, --state-out): a row per sequence, or
 * one row for all; a count that fits neither stops the run. */
static void test_run_states(void **state)
{
    (void)state;
    const char *text = "1 10\n2 20\n\n4 40\n";
    for (int streaming = 0; streaming <= 1; streaming++) {
        ToyStates each = {"100\n200\n", "103\n204\n"}, one = {"100\n", "103\n104\n"};
        run_toy_states(text, streaming, 0, 64, 0, RT_RUN_OK, "101 10\n103 20\n204 40\n", "", &each);
        run_toy_states(text, streaming, 0, 64, 1, RT_RUN_OK, "101 10\n103 20\n104 40\n", "", &one);
        ToyStates more = {"100\n200\n300\n", "103\n204\n"};
        run_toy_states(text, streaming, 0, 64, 0, RT_RUN_BAD_INPUT, "101 10\n103 20\n204 40\n",
                       "states.txt: error: more states than the 2 sequences of the input: give one state for "
                       "every sequence, or one per sequence\n", &more);
        ToyStates fewer = {"100\n200\n", "103\n204\n"};
        run_toy_states("1 10\n2 20\n\n4 40\n\n5 50\n", streaming, 0, 64, 0, RT_RUN_BAD_INPUT,
                       "101 10\n103 20\n204 40\n",
                       "states.txt: error: 2 states for more sequences: give one state for every sequence, "
                       "or one per sequence\n", &fewer);
        ToyStates bad = {"1 2\n", ""};
        run_toy_states(text, streaming, 0, 64, 0, RT_RUN_BAD_INPUT, "",
                       "states.txt:1:3: error: expected 1 number, found 2\n", &bad);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spaces),
        cmocka_unit_test(test_separators),
        cmocka_unit_test(test_number_forms),
        cmocka_unit_test(test_crlf),
        cmocka_unit_test(test_blank_lines_split_sequences),
        cmocka_unit_test(test_no_trailing_newline),
        cmocka_unit_test(test_empty_input),
        cmocka_unit_test(test_long_lines),
        cmocka_unit_test(test_too_many_numbers),
        cmocka_unit_test(test_too_few_numbers),
        cmocka_unit_test(test_not_a_number),
        cmocka_unit_test(test_not_finite),
        cmocka_unit_test(test_empty_fields),
        cmocka_unit_test(test_error_then_next_sequence),
        cmocka_unit_test(test_read_error),
        cmocka_unit_test(test_write),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_comments),
        cmocka_unit_test(test_header_line),
        cmocka_unit_test(test_tokens),
        cmocka_unit_test(test_token_errors),
        cmocka_unit_test(test_tokens_f32),
        cmocka_unit_test(test_npy_as_text),
        cmocka_unit_test(test_f32),
        cmocka_unit_test(test_npy_2d_3d),
        cmocka_unit_test(test_npy_dtypes),
        cmocka_unit_test(test_npy_errors),
        cmocka_unit_test(test_npy_not_finite),
        cmocka_unit_test(test_format_names),
        cmocka_unit_test(test_out_f32),
        cmocka_unit_test(test_out_npy),
        cmocka_unit_test(test_run_stream),
        cmocka_unit_test(test_run_states),
        cmocka_unit_test(test_run_whole),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
