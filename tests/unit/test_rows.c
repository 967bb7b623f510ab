/*
 * test_rows.c - the rows reader and writer (runtime/lstmc_rows.c): sequences
 * in every accepted spelling, and each error with its exact message.
 */
#include "testutil.h"

#include "lstmc_rows.h"

/* A reader over a string, with its error stream captured in memory. */
typedef struct Fixture {
    char *text;
    FILE *in, *err;
    char *err_text;
    size_t err_len;
    rt_rows r;
} Fixture;

static void fx_open(Fixture *f, const char *text, int width)
{
    /* fmemopen needs a non-empty buffer; "" is read as an empty stream */
    f->text = strdup(text);
    assert_non_null(f->text);
    if (*text)
        f->in = fmemopen(f->text, strlen(text), "r");
    else
        f->in = fopen("/dev/null", "r");
    assert_non_null(f->in);
    f->err_text = NULL;
    f->err_len = 0;
    f->err = open_memstream(&f->err_text, &f->err_len);
    assert_non_null(f->err);
    rt_rows_init(&f->r, f->in, "input.txt", width);
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
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
