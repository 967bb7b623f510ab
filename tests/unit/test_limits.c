/*
 * test_limits.c - the limits every reader of a stranger's file relies on
 * (issue 13): checked size arithmetic, what a spec may be, how many errors
 * are shown and how a line is quoted, the layer count and duplicate names.
 */
#include "testutil.h"

#include <limits.h>
#include <time.h>

#include "ast.h"
#include "sema.h"

static void test_size_arithmetic(void **state)
{
    (void)state;
    long r = -7;
    assert_int_equal(size_mul(1L << 20, 1L << 10, 1L << 30, &r), 0);
    assert_int_equal(r, 1L << 30);
    assert_int_equal(size_mul(1L << 20, (1L << 10) + 1, 1L << 30, &r), -1);
    assert_int_equal(r, 1L << 30);   /* untouched */
    assert_int_equal(size_mul(LONG_MAX, 2, LONG_MAX, &r), -1);
    assert_int_equal(size_mul(1L << 32, 1L << 32, LONG_MAX, &r), -1);
    assert_int_equal(size_mul(0, LONG_MAX, LONG_MAX, &r), 0);
    assert_int_equal(r, 0);
    assert_int_equal(size_mul(-1, 2, LONG_MAX, &r), -1);
    assert_int_equal(size_add(LONG_MAX - 1, 1, LONG_MAX, &r), 0);
    assert_int_equal(r, LONG_MAX);
    assert_int_equal(size_add(LONG_MAX, 1, LONG_MAX, &r), -1);
    assert_int_equal(size_add(1L << 62, 1L << 62, LONG_MAX, &r), -1);
    assert_int_equal(size_add(3, -1, 10, &r), -1);
}

/* source_from_bytes(): text is a spec; binary data and files of other
 * formats are one message naming them; a spec past SPEC_MAX_BYTES is not
 * read. */
static void test_spec_bytes(void **state)
{
    (void)state;
    static const struct {
        const char *bytes;
        size_t len;
        const char *want;   /* NULL: a spec */
    } cases[] = {
        {"model m { input 1; }\n", 21, NULL},
        {"model m { # caf\xc3\xa9\n}\n", 20, NULL},
        {"model m {\0}\n", 12, "s.lstm: error: not an lstmc spec: it is binary data; a spec is "
                               "a text file (see grammar/SPEC.md)\n"},
        {"\x08\x07\x12\x07pytorch", 11, "s.lstm: error: not an lstmc spec: it is an ONNX model; "
                                        "'lstmc import MODEL.onnx -o DIR' writes a spec from it\n"},
        {"\x7f" "ELF\x02\x01\x01", 7, "s.lstm: error: not an lstmc spec: it is binary data"},
    };
    for (size_t i = 0; i < COUNT_OF(cases); i++) {
        Arena a = {0};
        DiagCapture c;
        capture_begin(&c);
        Source *s = source_from_bytes(&a, "s.lstm", (const unsigned char *)cases[i].bytes,
                                      cases[i].len);
        const char *text = capture_end(&c);
        if (!cases[i].want) {
            assert_non_null(s);
            assert_string_equal(text, "");
        } else {
            assert_null(s);
            assert_contains(text, cases[i].want);
            assert_int_equal(diag_errors(), 1);
        }
        capture_free(&c);
        arena_free(&a);
    }
    size_t len = SPEC_MAX_BYTES + 1;
    unsigned char *big = malloc(len);
    assert_non_null(big);
    memset(big, ' ', len);
    Arena a = {0};
    DiagCapture c;
    capture_begin(&c);
    assert_null(source_from_bytes(&a, "big.lstm", big, len));
    assert_string_equal(capture_end(&c), "big.lstm: error: the file is 1048577 bytes; lstmc reads "
                                         "at most 1048576 bytes as a spec\n");
    capture_free(&c);
    arena_free(&a);
    free(big);
}

/* Parses text as s.lstm; returns the diagnostics (free with capture_free). */
static const char *check_text(Arena *a, DiagCapture *c, const char *text)
{
    capture_begin(c);
    Source *src = source_from_bytes(a, "s.lstm", (const unsigned char *)text, strlen(text));
    Node *spec = src ? parse_spec(a, src) : NULL;
    if (spec && !diag_errors())
        sema_check(a, spec, NULL);
    return capture_end(c);
}

static int count_lines(const char *s, const char *prefix)
{
    int n = 0;
    for (const char *p = s; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
        n += strncmp(p, prefix, strlen(prefix)) == 0;
    return n;
}

/* 100,000 errors: the first DIAG_MAX_ERRORS are shown, then one line says
 * the rest are not, and all are counted; each quoted line is found without
 * scanning the file from its start (this took 40 s before issue 13). */
static void test_error_limit(void **state)
{
    (void)state;
    size_t n = 100000;
    char *text = malloc(3 * n + 16);
    assert_non_null(text);
    char *p = text + sprintf(text, "model m {\n");
    for (size_t i = 0; i < n; i++)
        p += sprintf(p, "@\n");
    strcpy(p, "}\n");
    Arena a = {0};
    DiagCapture c;
    clock_t start = clock();
    const char *out = check_text(&a, &c, text);
    double secs = (double)(clock() - start) / CLOCKS_PER_SEC;
    assert_int_equal(count_lines(out, "s.lstm:"), DIAG_MAX_ERRORS);
    assert_contains(out, "s.lstm:21:1: error: unexpected character '@'\n@\n^\n");
    assert_contains(out, "lstmc: error: too many errors (more than 20); the rest are not shown\n");
    assert_int_equal(count_lines(out, "lstmc: error: too many"), 1);
    assert_true(diag_errors() >= (int)n);
    assert_true(secs < 5.0);
    capture_free(&c);
    arena_free(&a);
    free(text);
}

/* A long line is quoted around the error's column, at most DIAG_MAX_QUOTE
 * bytes with "..." where it is cut, the caret still under the error; a
 * megabyte-long string is one error and is not copied into messages. */
static void test_long_lines(void **state)
{
    (void)state;
    size_t n = 100000;
    char *text = malloc(n + 64);
    assert_non_null(text);
    strcpy(text, "model m { input 1; ");
    size_t at = strlen(text);
    memset(text + at, 'x', n);
    strcpy(text + at + n, " @ }\n");
    Arena a = {0};
    DiagCapture c;
    const char *out = check_text(&a, &c, text);
    /* the word, then the '@' 100,000 columns in */
    assert_contains(out, "s.lstm:1:20: error: a word of 100000 bytes; lstmc accepts at most 4096\n"
                         "model m { input 1; xxxxx");
    char want[64];
    snprintf(want, sizeof want, "s.lstm:1:%zu: error: unexpected character '@'\n...", at + n + 2);
    assert_contains(out, want);
    for (const char *line = out; line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
        const char *end = strchr(line, '\n');
        if (end)
            assert_true(end - line <= DIAG_MAX_QUOTE + 200);
    }
    /* the caret of the second error sits under its '@' */
    const char *quote = strstr(out, "'@'\n") + 4;
    const char *caret_line = strchr(quote, '\n') + 1;
    const char *at_sign = strchr(quote, '@');
    assert_int_equal(strchr(caret_line, '^') - caret_line, at_sign - quote);
    capture_free(&c);
    arena_free(&a);

    memset(text + at, 'a', n);
    memcpy(text + at - 1, " weights \"", 10);
    strcpy(text + at + n, "\"; }\n");
    out = check_text(&a, &c, text);
    assert_contains(out, "error: a string of ");
    assert_true(strlen(out) < 2 * DIAG_MAX_QUOTE + 200);
    capture_free(&c);
    arena_free(&a);
    free(text);
}

/* At most 1024 layers, counted before the layer array is sized from them
 * (6,000 blocks of 64 layers asked for 419 MB); duplicate names are found
 * in linear time (50,000 blocks took 15 s). */
static void test_layer_limits(void **state)
{
    (void)state;
    size_t n = 1000;
    char *text = malloc(64 * n + 64);
    assert_non_null(text);
    char *p = text + sprintf(text, "model m { input 1; weights \"w\";\n");
    for (size_t i = 0; i < 17; i++)
        p += sprintf(p, "lstm a%zu { layers 64; hidden 1; from pytorch \"p\"; }\n", i);
    strcpy(p, "}\n");
    Arena a = {0};
    DiagCapture c;
    const char *out = check_text(&a, &c, text);
    assert_string_equal(out, "s.lstm:18:1: error: this block takes model 'm' past 1024 layers "
                             "(counting each lstm block's 'layers'); lstmc supports at most 1024\n"
                             "lstm a16 { layers 64; hidden 1; from pytorch \"p\"; }\n^~~~\n");
    capture_free(&c);
    arena_free(&a);

    p = text + sprintf(text, "model m { input 1; weights \"w\";\n");
    for (size_t i = 0; i < n; i++)
        p += sprintf(p, "lstm a%zu { hidden 1; from pytorch \"p\"; }\n", i % 500);
    strcpy(p, "}\n");
    clock_t start = clock();
    out = check_text(&a, &c, text);
    assert_true((double)(clock() - start) / CLOCKS_PER_SEC < 2.0);
    assert_contains(out, "s.lstm:502:6: error: a layer named 'a0' already exists\n");
    assert_contains(out, "s.lstm:2:6: note: 'a0' first defined here\n");
    assert_int_equal(diag_errors(), 500);
    capture_free(&c);
    arena_free(&a);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_size_arithmetic),
        cmocka_unit_test(test_spec_bytes),
        cmocka_unit_test(test_error_limit),
        cmocka_unit_test(test_long_lines),
        cmocka_unit_test(test_layer_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
