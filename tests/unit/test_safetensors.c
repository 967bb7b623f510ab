/*
 * test_safetensors.c - unit tests for the safetensors reader and writer.
 *
 * Files are assembled in memory (header JSON + data bytes) so each test
 * shows exactly what it feeds st_parse(). Every malformed class has a test
 * holding the exact diagnostic, because those messages are what a user sees
 * when an exporter writes a bad file.
 */
#include "testutil.h"

#include <dirent.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include "safetensors.h"

#define PATH "t.safetensors"

/* ---- helpers ---- */

/* An in-memory file: 8-byte little-endian length, header, then data. */
typedef struct Blob {
    unsigned char *bytes;
    size_t len;
} Blob;

static Blob build(const char *header, const void *data, size_t ndata)
{
    size_t hlen = strlen(header);
    Blob b = {malloc(8 + hlen + ndata + 1), 8 + hlen + ndata};
    assert_non_null(b.bytes);
    for (int i = 0; i < 8; i++)
        b.bytes[i] = (unsigned char)((uint64_t)hlen >> 8 * i);
    memcpy(b.bytes + 8, header, hlen);
    if (ndata)
        memcpy(b.bytes + 8 + hlen, data, ndata);
    return b;
}

/* Parses header + data, expecting success and no diagnostics. */
static StFile *parse_ok(Arena *a, Blob *b, const char *header, const void *data, size_t ndata)
{
    DiagCapture cap;
    *b = build(header, data, ndata);
    capture_begin(&cap);
    StFile *f = st_parse(a, PATH, b->bytes, b->len);
    const char *text = capture_end(&cap);
    if (!f || text[0])
        fail_msg("expected a valid file, got:\n%s", text);
    capture_free(&cap);
    return f;
}

/* Parses raw bytes, expecting failure with exactly these diagnostics. */
static void expect_bytes_error(const unsigned char *bytes, size_t len, const char *want)
{
    Arena a = {0};
    DiagCapture cap;
    capture_begin(&cap);
    StFile *f = st_parse(&a, PATH, bytes, len);
    const char *text = capture_end(&cap);
    assert_null(f);
    assert_string_equal(text, want);
    assert_true(diag_errors() > 0);
    capture_free(&cap);
    arena_free(&a);
}

static void expect_error(const char *header, const void *data, size_t ndata, const char *want)
{
    Blob b = build(header, data, ndata);
    expect_bytes_error(b.bytes, b.len, want);
    free(b.bytes);
}

#define ERR(msg) PATH ": error: " msg "\n"

static uint32_t fbits(float x)
{
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    return u;
}

/* Exact float comparison that also tells -0.0 from 0.0. */
static void assert_same_float(float got, float want)
{
    if (fbits(got) != fbits(want))
        fail_msg("got %a, want %a", (double)got, (double)want);
}

static void put_f32(unsigned char *p, float x)
{
    uint32_t u = fbits(x);
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(u >> 8 * i);
}

static void put_f64(unsigned char *p, double x)
{
    uint64_t u;
    memcpy(&u, &x, sizeof u);
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(u >> 8 * i);
}

static void put_u16(unsigned char *p, unsigned v)
{
    p[0] = (unsigned char)(v & 0xFF);
    p[1] = (unsigned char)(v >> 8);
}

/* A tensor entry with dtype, shape and offsets, for compact headers. */
#define T(name, dtype, shape, b, e) \
    "\"" name "\":{\"dtype\":\"" dtype "\",\"shape\":" shape ",\"data_offsets\":[" #b "," #e "]}"

/* ---- valid files ---- */

static void test_f32(void **state)
{
    (void)state;
    unsigned char data[28];
    const float want[7] = {1.0f, -2.5f, 0x1p-149f, FLT_MAX, -0.0f, 0.1f, 3.0f};
    for (int i = 0; i < 7; i++)
        put_f32(data + 4 * i, want[i]);
    Arena a = {0};
    Blob b;
    /* "b" comes first in the header but its data comes second. */
    StFile *f = parse_ok(&a, &b, "{" T("b", "F32", "[3]", 16, 28) "," T("a.w", "F32", "[2,2]", 0, 16) "}",
                         data, sizeof data);
    assert_int_equal(f->ntensors, 2);
    assert_string_equal(f->path, PATH);
    assert_int_equal(f->nmeta, 0);
    StTensor *t = &f->tensors[0];
    assert_string_equal(t->name, "a.w");
    assert_int_equal(t->dtype, ST_F32);
    assert_int_equal(t->ndim, 2);
    assert_int_equal(t->shape[0], 2);
    assert_int_equal(t->shape[1], 2);
    assert_int_equal(t->count, 4);
    assert_ptr_equal(t->raw, b.bytes + b.len - 28);
    assert_int_equal(t->used, 0);
    assert_string_equal(f->tensors[1].name, "b");
    assert_int_equal(f->tensors[1].count, 3);
    assert_ptr_equal(st_find(f, "b"), &f->tensors[1]);
    assert_null(st_find(f, "c"));

    float out[4];
    long bad = 99;
    assert_int_equal(st_to_float(&f->tensors[0], out, &bad), 0);
    for (int i = 0; i < 4; i++)
        assert_same_float(out[i], want[i]);
    assert_int_equal(st_to_float(&f->tensors[1], out, &bad), 0);
    for (int i = 0; i < 3; i++)
        assert_same_float(out[i], want[4 + i]);
    free(b.bytes);
    arena_free(&a);
}

static void test_f64(void **state)
{
    (void)state;
    const double in[6] = {0.1, -1.5, 1e-50, -1e-310, 0x1.fffffefp+127, -0x1.fffffefp+127};
    const float want[6] = {0.1f, -1.5f, 0.0f, -0.0f, FLT_MAX, -FLT_MAX};
    unsigned char data[48];
    for (int i = 0; i < 6; i++)
        put_f64(data + 8 * i, in[i]);
    Arena a = {0};
    Blob b;
    StFile *f = parse_ok(&a, &b, "{" T("x", "F64", "[2,3]", 0, 48) "}", data, sizeof data);
    float out[6];
    long bad;
    assert_int_equal(st_to_float(&f->tensors[0], out, &bad), 0);
    for (int i = 0; i < 6; i++)
        assert_same_float(out[i], want[i]);
    free(b.bytes);
    arena_free(&a);
}

static void test_f16(void **state)
{
    (void)state;
    const unsigned in[8] = {0x3C00, 0xC000, 0x0001, 0x03FF, 0x7BFF, 0x8000, 0x3555, 0x8200};
    const float want[8] = {1.0f, -2.0f, 0x1p-24f, 0x1.ff8p-15f, 65504.0f, -0.0f, 0x1.554p-2f,
                           -0x1p-15f};
    unsigned char data[16];
    for (int i = 0; i < 8; i++)
        put_u16(data + 2 * i, in[i]);
    Arena a = {0};
    Blob b;
    StFile *f = parse_ok(&a, &b, "{" T("h", "F16", "[8]", 0, 16) "}", data, sizeof data);
    float out[8];
    long bad;
    assert_int_equal(st_to_float(&f->tensors[0], out, &bad), 0);
    for (int i = 0; i < 8; i++)
        assert_same_float(out[i], want[i]);
    free(b.bytes);
    arena_free(&a);
}

static void test_bf16(void **state)
{
    (void)state;
    const unsigned in[6] = {0x3F80, 0xC040, 0xBF00, 0x0001, 0x8001, 0x7F7F};
    const float want[6] = {1.0f, -3.0f, -0.5f, 0x1p-133f, -0x1p-133f, 0x1.fep+127f};
    unsigned char data[12];
    for (int i = 0; i < 6; i++)
        put_u16(data + 2 * i, in[i]);
    Arena a = {0};
    Blob b;
    StFile *f = parse_ok(&a, &b, "{" T("h", "BF16", "[3,2]", 0, 12) "}", data, sizeof data);
    float out[6];
    long bad;
    assert_int_equal(st_to_float(&f->tensors[0], out, &bad), 0);
    for (int i = 0; i < 6; i++)
        assert_same_float(out[i], want[i]);
    free(b.bytes);
    arena_free(&a);
}

static void test_scalar_and_empty(void **state)
{
    (void)state;
    unsigned char data[4];
    put_f32(data, 42.0f);
    Arena a = {0};
    Blob b;
    StFile *f = parse_ok(&a, &b,
                         "{" T("z", "F32", "[0,3]", 4, 4) "," T("s", "F32", "[]", 0, 4) ","
                         T("e", "F64", "[0]", 0, 0) "}",
                         data, sizeof data);
    assert_int_equal(f->ntensors, 3);
    StTensor *s = st_find(f, "s"), *z = st_find(f, "z"), *e = st_find(f, "e");
    assert_int_equal(s->ndim, 0);
    assert_int_equal(s->count, 1);
    assert_int_equal(z->ndim, 2);
    assert_int_equal(z->count, 0);
    assert_int_equal(e->count, 0);
    /* File order: e [0,0), s [0,4), z [4,4). */
    assert_ptr_equal(&f->tensors[0], e);
    assert_ptr_equal(&f->tensors[1], s);
    assert_ptr_equal(&f->tensors[2], z);
    float out[1];
    long bad;
    assert_int_equal(st_to_float(s, out, &bad), 0);
    assert_same_float(out[0], 42.0f);
    assert_int_equal(st_to_float(z, out, &bad), 0);
    free(b.bytes);
    arena_free(&a);
}

static void test_metadata(void **state)
{
    (void)state;
    Arena a = {0};
    Blob b;
    StFile *f = parse_ok(&a, &b,
                         "{\"__metadata__\":{\"format\":\"pt\",\"note\":\"caf\\u00e9 \\ud83d\\ude00\"},"
                         "\"empty\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}}",
                         NULL, 0);
    assert_int_equal(f->ntensors, 1);
    assert_int_equal(f->nmeta, 2);
    assert_string_equal(f->meta_keys[0], "format");
    assert_string_equal(f->meta_values[0], "pt");
    assert_string_equal(f->meta_keys[1], "note");
    assert_string_equal(f->meta_values[1], "caf\xc3\xa9 \xf0\x9f\x98\x80");
    free(b.bytes);
    arena_free(&a);
}

static void test_padded_header(void **state)
{
    (void)state;
    unsigned char data[4] = {0, 0, 0x80, 0x3F};
    Arena a = {0};
    Blob b;
    StFile *f = parse_ok(&a, &b,
                         " {\n\t\"w\" : { \"shape\" : [ 1 ] , \"data_offsets\" : [ 0 , 4 ] ,"
                         " \"dtype\" : \"F32\" }\r\n}       ",
                         data, sizeof data);
    float out[1];
    long bad;
    assert_int_equal(st_to_float(&f->tensors[0], out, &bad), 0);
    assert_same_float(out[0], 1.0f);
    free(b.bytes);
    arena_free(&a);
}

static void test_escaped_names(void **state)
{
    (void)state;
    Arena a = {0};
    Blob b;
    StFile *f = parse_ok(&a, &b,
                         "{\"a\\\"b\\\\c\\/\\u00e9\\ud83d\\ude00\\t\":"
                         "{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]},"
                         "\"\xce\xbb\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}}",
                         NULL, 0);
    assert_non_null(st_find(f, "a\"b\\c/\xc3\xa9\xf0\x9f\x98\x80\t"));
    assert_non_null(st_find(f, "\xce\xbb"));
    free(b.bytes);
    arena_free(&a);
}

static void test_no_tensors(void **state)
{
    (void)state;
    Arena a = {0};
    Blob b;
    StFile *f = parse_ok(&a, &b, "{}", NULL, 0);
    assert_int_equal(f->ntensors, 0);
    free(b.bytes);
    arena_free(&a);
}

static void test_dtypes(void **state)
{
    (void)state;
    const char *names[] = {"BOOL", "U8", "I8", "I16", "U16", "I32", "U32", "I64",
                           "U64", "F8_E4M3", "F8_E5M2", "F16", "BF16", "F32", "F64"};
    for (int d = ST_BOOL; d <= ST_F64; d++) {
        assert_string_equal(st_dtype_name((StDtype)d), names[d]);
        assert_int_equal(st_dtype_is_float((StDtype)d),
                         d == ST_F16 || d == ST_BF16 || d == ST_F32 || d == ST_F64);
    }
    /* A non-float tensor is valid but not convertible. */
    unsigned char data[8] = {1, 0, 0, 0, 2, 0, 0, 0};
    Arena a = {0};
    Blob b;
    StFile *f = parse_ok(&a, &b, "{" T("i", "I32", "[2]", 0, 8) "}", data, sizeof data);
    assert_int_equal(f->tensors[0].dtype, ST_I32);
    float out[2];
    long bad = 7;
    assert_int_equal(st_to_float(&f->tensors[0], out, &bad), -1);
    assert_int_equal(bad, -1);
    free(b.bytes);
    arena_free(&a);
}

/* ---- malformed files ---- */

static void test_short_file(void **state)
{
    (void)state;
    const unsigned char bytes[5] = {2, 0, 0, 0, 0};
    expect_bytes_error(bytes, sizeof bytes, ERR("file is 5 bytes, too short for the 8-byte header length"));
    expect_bytes_error(bytes, 0, ERR("file is 0 bytes, too short for the 8-byte header length"));
}

static void test_header_beyond_file(void **state)
{
    (void)state;
    unsigned char bytes[20] = {0xE8, 0x03};   /* 1000 */
    expect_bytes_error(bytes, sizeof bytes,
                       ERR("header length 1000 goes beyond the end of the file (20 bytes)"));
    /* A huge length must be rejected, not allocated. */
    memset(bytes, 0xFF, 8);
    expect_bytes_error(bytes, sizeof bytes,
                       ERR("header length 18446744073709551615 goes beyond the end of the file (20 bytes)"));
    memset(bytes, 0, 8);
    bytes[0] = 13;
    expect_bytes_error(bytes, sizeof bytes,
                       ERR("header length 13 goes beyond the end of the file (20 bytes)"));
}

static void test_bad_json(void **state)
{
    (void)state;
    static const struct {
        const char *header, *msg;
    } cases[] = {
        {"{\"a.w\" 1}", "expected ':' at byte 7"},
        {"{\"a\":1,}", "expected a key in quotes at byte 7"},
        {"{\"a\":[1,2}", "expected ',' or ']' at byte 9"},
        {"{\"a\":1 \"b\":2}", "expected ',' or '}' at byte 7"},
        {"{\"a\":\"xyz}", "unterminated string at byte 5"},
        {"{\"a\":\"x\ty\"}", "control character in string at byte 7"},
        {"{\"a\":\"x\\qy\"}", "invalid escape at byte 7"},
        {"{\"a\":\"\\u12g4\"}", "invalid \\u escape at byte 6"},
        {"{\"a\":\"\\u12\"}", "invalid \\u escape at byte 6"},
        {"{\"a\":\"\\ud800x\"}", "unpaired surrogate in \\u escape at byte 6"},
        {"{\"a\":\"\\udc00\"}", "unpaired surrogate in \\u escape at byte 6"},
        {"{\"a\":\"\xff\"}", "invalid UTF-8 in string at byte 6"},
        {"{\"a\":\"\xc0\xaf\"}", "invalid UTF-8 in string at byte 6"},
        {"{\"a\":\"\xed\xa0\x80\"}", "invalid UTF-8 in string at byte 6"},
        {"{\"a\":-}", "invalid number at byte 5"},
        {"{\"a\":1.}", "invalid number at byte 5"},
        {"{\"a\":1e}", "invalid number at byte 5"},
        {"{\"a\":01}", "expected ',' or '}' at byte 6"},
        {"{\"a\":tru}", "expected a value at byte 5"},
        {"{\"a\":'x'}", "expected a value at byte 5"},
        {"{} x", "unexpected text after the end at byte 3"},
        {"", "expected a value at byte 0"},
        {"   ", "expected a value at byte 3"},
        {"{", "expected a key in quotes at byte 1"},
    };
    for (size_t i = 0; i < COUNT_OF(cases); i++) {
        char want[200];
        snprintf(want, sizeof want, PATH ": error: header is not valid JSON: %s\n", cases[i].msg);
        size_t hlen = strlen(cases[i].header);
        unsigned char bytes[64] = {(unsigned char)hlen};
        memcpy(bytes + 8, cases[i].header, hlen);
        expect_bytes_error(bytes, 8 + hlen, want);
    }
    /* NUL padding is not whitespace. */
    const unsigned char nul[11] = {3, 0, 0, 0, 0, 0, 0, 0, '{', '}', 0};
    expect_bytes_error(nul, sizeof nul,
                       ERR("header is not valid JSON: unexpected text after the end at byte 2"));
}

static void test_deep_nesting(void **state)
{
    (void)state;
    char header[300] = "{\"a\":";
    size_t n = strlen(header);
    for (int i = 0; i < 200; i++)
        header[n++] = '[';
    header[n] = '\0';
    /* The 64th bracket is the one too many: byte 5 + 63. */
    expect_error(header, NULL, 0, ERR("header is not valid JSON: nested too deeply at byte 68"));
}

/* A value costs a node of about 80 bytes whatever its text: a header of
 * 1,000,001 two-byte values ("0,") would be a 160 MB tree from 2 MB. */
static void test_too_many_values(void **state)
{
    (void)state;
    size_t n = 1000001;
    char *header = malloc(2 * n + 16);
    assert_non_null(header);
    char *p = header + sprintf(header, "{\"a\":[");
    for (size_t i = 0; i < n; i++)
        p += sprintf(p, i ? ",0" : "0");
    strcpy(p, "]}");
    /* values: the object, the array, then 999,998 zeros: the next one is
     * past the limit, at byte 6 + 2 * 999998 */
    expect_error(header, NULL, 0, ERR("header is not valid JSON: more than 1000000 values at "
                                      "byte 2000002"));
    free(header);
}

static void test_not_an_object(void **state)
{
    (void)state;
    expect_error("[]", NULL, 0, ERR("header is an array, expected a JSON object"));
    expect_error("\"x\"", NULL, 0, ERR("header is a string, expected a JSON object"));
    expect_error("{\"a.w\":[1]}", NULL, 0, ERR("tensor 'a.w' is an array, expected an object"));
}

static void test_unknown_dtype(void **state)
{
    (void)state;
    unsigned char data[16] = {0};
    expect_error("{" T("a.w", "F33", "[2,2]", 0, 16) "}", data, sizeof data,
                 ERR("tensor 'a.w': unknown dtype 'F33'"));
    expect_error("{" T("a.w", "f32", "[2,2]", 0, 16) "}", data, sizeof data,
                 ERR("tensor 'a.w': unknown dtype 'f32'"));
}

static void test_size_mismatch(void **state)
{
    (void)state;
    unsigned char data[12] = {0};
    expect_error("{" T("a.w", "F32", "[2,2]", 0, 12) "}", data, sizeof data,
                 ERR("tensor 'a.w': data_offsets [0, 12] hold 12 bytes, but F32 [2, 2] needs 16"));
    expect_error("{" T("s", "BF16", "[]", 0, 4) "}", data, 4,
                 ERR("tensor 's': data_offsets [0, 4] hold 4 bytes, but BF16 [] needs 2"));
}

static void test_out_of_bounds(void **state)
{
    (void)state;
    unsigned char data[64] = {0};
    expect_error("{" T("a.w", "F32", "[100]", 0, 400) "}", data, sizeof data,
                 ERR("tensor 'a.w': data_offsets [0, 400] go beyond the data area (64 bytes)"));
    /* Both wrong: both reported. */
    expect_error("{" T("a.w", "F32", "[2]", 60, 72) "}", data, sizeof data,
                 ERR("tensor 'a.w': data_offsets [60, 72] hold 12 bytes, but F32 [2] needs 8")
                 ERR("tensor 'a.w': data_offsets [60, 72] go beyond the data area (64 bytes)"));
    expect_error("{" T("e", "F32", "[0]", 65, 65) "}", data, sizeof data,
                 ERR("tensor 'e': data_offsets [65, 65] go beyond the data area (64 bytes)"));
}

static void test_overlap(void **state)
{
    (void)state;
    unsigned char data[24] = {0};
    expect_error("{" T("b", "F32", "[4]", 8, 24) "," T("a", "F32", "[4]", 0, 16) "}", data,
                 sizeof data, ERR("tensors 'a' and 'b' overlap (bytes [0, 16) and [8, 24))"));
    /* Same range twice. */
    expect_error("{" T("a", "F32", "[2]", 0, 8) "," T("b", "F32", "[2]", 0, 8) "}", data, 8,
                 ERR("tensors 'a' and 'b' overlap (bytes [0, 8) and [0, 8))"));
    /* Inside a bigger one, reported against the one that reaches furthest. */
    expect_error("{" T("big", "F32", "[6]", 0, 24) "," T("x", "F32", "[1]", 4, 8) ","
                 T("y", "F32", "[1]", 16, 20) "}",
                 data, sizeof data,
                 ERR("tensors 'big' and 'x' overlap (bytes [0, 24) and [4, 8))")
                 ERR("tensors 'big' and 'y' overlap (bytes [0, 24) and [16, 20))"));
}

static void test_uncovered(void **state)
{
    (void)state;
    unsigned char data[24] = {0};
    expect_error("{" T("a", "F32", "[4]", 0, 16) "}", data, sizeof data,
                 ERR("8 bytes of the data area are not covered by any tensor "
                     "(the first gap is bytes [16, 24))"));
    expect_error("{" T("a", "F32", "[2]", 0, 8) "," T("b", "F32", "[1]", 16, 20) "}", data,
                 sizeof data,
                 ERR("12 bytes of the data area are not covered by any tensor "
                     "(the first gap is bytes [8, 16))"));
    expect_error("{}", data, 3,
                 ERR("3 bytes of the data area are not covered by any tensor "
                     "(the first gap is bytes [0, 3))"));
}

static void test_duplicate_name(void **state)
{
    (void)state;
    unsigned char data[12] = {0};
    expect_error("{" T("a.w", "F32", "[1]", 0, 4) "," T("a.w", "F32", "[1]", 4, 8) ","
                 T("a.w", "F32", "[1]", 8, 12) "}",
                 data, sizeof data, ERR("duplicate tensor name 'a.w'"));
    expect_error("{\"__metadata__\":{},\"__metadata__\":{}}", NULL, 0,
                 ERR("duplicate \"__metadata__\""));
}

static void test_begin_after_end(void **state)
{
    (void)state;
    unsigned char data[8] = {0};
    expect_error("{" T("a.w", "F32", "[1]", 8, 4) "}", data, sizeof data,
                 ERR("tensor 'a.w': data_offsets [8, 4] have begin > end"));
}

static void test_bad_shape(void **state)
{
    (void)state;
    unsigned char data[4] = {0};
    expect_error("{" T("a.w", "F32", "[-1]", 0, 4) "}", data, 4,
                 ERR("tensor 'a.w': shape element 0 is -1, not a non-negative integer"));
    expect_error("{" T("a.w", "F32", "[1,2.5]", 0, 4) "}", data, 4,
                 ERR("tensor 'a.w': shape element 1 is 2.5, not a non-negative integer"));
    expect_error("{" T("a.w", "F32", "[1e0]", 0, 4) "}", data, 4,
                 ERR("tensor 'a.w': shape element 0 is 1e0, not a non-negative integer"));
    expect_error("{" T("a.w", "F32", "[\"1\"]", 0, 4) "}", data, 4,
                 ERR("tensor 'a.w': shape element 0 is a string, expected an integer"));
    expect_error("{" T("a.w", "F32", "[1,1,1,1,1,1,1,1,1]", 0, 4) "}", data, 4,
                 ERR("tensor 'a.w': shape has 9 dimensions, at most 8 are supported"));
    expect_error("{" T("a.w", "F32", "[9223372036854775808]", 0, 4) "}", data, 4,
                 ERR("tensor 'a.w': shape element 0 (9223372036854775808) is too large"));
    expect_error("{" T("a.w", "F32", "[4294967296,4294967296]", 0, 4) "}", data, 4,
                 ERR("tensor 'a.w': shape [4294967296, 4294967296] has too many elements"));
    expect_error("{" T("a.w", "F64", "[4611686018427387904]", 0, 4) "}", data, 4,
                 ERR("tensor 'a.w': F64 [4611686018427387904] needs more than 2^64 bytes"));
    expect_error("{" T("a.w", "F32", "{}", 0, 4) "}", data, 4,
                 ERR("tensor 'a.w': \"shape\" is an object, expected an array"));
}

static void test_bad_offsets(void **state)
{
    (void)state;
    unsigned char data[4] = {0};
    expect_error("{\"a.w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4,8]}}", data, 4,
                 ERR("tensor 'a.w': \"data_offsets\" has 3 elements, expected 2"));
    expect_error("{\"a.w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,null]}}", data, 4,
                 ERR("tensor 'a.w': data_offsets element 1 is null, expected an integer"));
    expect_error("{\"a.w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[-0,4]}}", data, 4,
                 ERR("tensor 'a.w': data_offsets element 0 is -0, not a non-negative integer"));
    expect_error("{\"a.w\":{\"dtype\":\"F32\",\"shape\":[1],"
                 "\"data_offsets\":[0,18446744073709551616]}}",
                 data, 4,
                 ERR("tensor 'a.w': data_offsets element 1 (18446744073709551616) is too large"));
    expect_error("{\"a.w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":\"0,4\"}}", data, 4,
                 ERR("tensor 'a.w': \"data_offsets\" is a string, expected an array"));
}

static void test_bad_keys(void **state)
{
    (void)state;
    unsigned char data[4] = {0};
    expect_error("{\"a.w\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", data, 4,
                 ERR("tensor 'a.w': missing \"shape\""));
    expect_error("{\"a.w\":{\"dtype\":\"F32\",\"shap\":[1],\"data_offsets\":[0,4]}}", data, 4,
                 ERR("tensor 'a.w': unknown key \"shap\" (did you mean \"shape\"?)")
                 ERR("tensor 'a.w': missing \"shape\""));
    expect_error("{\"a.w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"x\":1}}", data,
                 4, ERR("tensor 'a.w': unknown key \"x\""));
    expect_error("{\"a.w\":{\"dtype\":32,\"shape\":[1],\"data_offsets\":[0,4]}}", data, 4,
                 ERR("tensor 'a.w': \"dtype\" is a number, expected a string"));
    expect_error("{\"a.w\":{\"dtype\":\"F32\",\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}",
                 data, 4, ERR("tensor 'a.w': duplicate key \"dtype\""));
}

static void test_bad_metadata(void **state)
{
    (void)state;
    expect_error("{\"__metadata__\":[]}", NULL, 0,
                 ERR("\"__metadata__\" is an array, expected an object"));
    expect_error("{\"__metadata__\":{\"n\":1}}", NULL, 0,
                 ERR("__metadata__ value for 'n' is a number, expected a string"));
    expect_error("{\"__metadata__\":{\"n\":\"1\",\"n\":\"2\"}}", NULL, 0,
                 ERR("duplicate __metadata__ key 'n'"));
    expect_error("{\"__metadata__\":{\"n\":\"a\\u0000b\"}}", NULL, 0,
                 ERR("__metadata__ value for 'n' contains \\u0000"));
}

static void test_odd_names(void **state)
{
    (void)state;
    unsigned char data[4] = {0};
    /* Names are escaped in messages so they cannot garble them. */
    expect_error("{\"a\\nb'\":{\"dtype\":\"F33\",\"shape\":[1],\"data_offsets\":[0,4]}}", data, 4,
                 ERR("tensor 'a\\x0ab\\'': unknown dtype 'F33'"));
    expect_error("{\"a\\u0000b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", data,
                 4, ERR("tensor name 'a\\x00b' contains \\u0000"));
}

/* ---- conversion errors ---- */

static void expect_bad_value(const char *header, const unsigned char *data, size_t ndata,
                             long want_index)
{
    Arena a = {0};
    Blob b;
    StFile *f = parse_ok(&a, &b, header, data, ndata);
    float out[8];
    long bad = -5;
    assert_int_equal(st_to_float(&f->tensors[0], out, &bad), -1);
    assert_int_equal(bad, want_index);
    free(b.bytes);
    arena_free(&a);
}

static void test_nan_inf(void **state)
{
    (void)state;
    unsigned char data[32];
    put_f32(data, 1.0f);
    put_f32(data + 4, 2.0f);
    memcpy(data + 8, (unsigned char[]){0x00, 0x00, 0xC0, 0x7F}, 4);   /* NaN */
    put_f32(data + 12, 4.0f);
    expect_bad_value("{" T("x", "F32", "[4]", 0, 16) "}", data, 16, 2);
    memcpy(data, (unsigned char[]){0x00, 0x00, 0x80, 0xFF}, 4);   /* -inf */
    expect_bad_value("{" T("x", "F32", "[4]", 0, 16) "}", data, 16, 0);

    put_u16(data, 0x3C00);
    put_u16(data + 2, 0x7C00);   /* F16 +inf */
    expect_bad_value("{" T("x", "F16", "[2]", 0, 4) "}", data, 4, 1);
    put_u16(data + 2, 0xFE01);   /* F16 NaN */
    expect_bad_value("{" T("x", "F16", "[2]", 0, 4) "}", data, 4, 1);
    put_u16(data + 2, 0x7FC0);   /* BF16 NaN */
    expect_bad_value("{" T("x", "BF16", "[2]", 0, 4) "}", data, 4, 1);
    put_u16(data + 2, 0xFF80);   /* BF16 -inf */
    expect_bad_value("{" T("x", "BF16", "[2]", 0, 4) "}", data, 4, 1);

    put_f64(data, 1.0);
    put_f64(data + 8, INFINITY);
    expect_bad_value("{" T("x", "F64", "[2]", 0, 16) "}", data, 16, 1);
}

static void test_f64_overflow(void **state)
{
    (void)state;
    unsigned char data[24];
    put_f64(data, 1.0);
    put_f64(data + 8, 2.0);
    put_f64(data + 16, -1e39);
    expect_bad_value("{" T("x", "F64", "[3]", 0, 24) "}", data, 24, 2);
    /* FLT_MAX + half an ulp is a tie, which rounds to even: infinity. */
    put_f64(data + 8, 0x1.ffffffp+127);
    expect_bad_value("{" T("x", "F64", "[3]", 0, 24) "}", data, 24, 1);
}

/* ---- reading and writing files ---- */

/* A fresh directory under /tmp; removed by remove_tree(). */
/* A model file in another format given as weights is named, with how to
 * convert it (issue 13: it was "header length 578712552184433488 goes
 * beyond the end of the file"). */
static void test_other_formats(void **state)
{
    (void)state;
    static const struct {
        const char *bytes;
        size_t len;
        const char *want;
    } cases[] = {
        {"PK\x03\x04\x14\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\x10\0\0\0"
         "archive/data.pkl", 46, "it is a PyTorch checkpoint (torch.save, a zip archive); lstmc "
         "reads safetensors; convert the state dict with python3 -c"},
        {"\x80\x02\x8a\x0a" "lz\xfc\x9c" "F\xf9 j\xa8P\x19.", 16,
         "it is a PyTorch checkpoint (torch.save, a pickle)"},
        {"PK\x03\x04\x14\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\x05\0\0\0"
         "w.npy", 35, "it is a NumPy archive (.npz); lstmc reads safetensors; convert the arrays"},
        {"\x93NUMPY\x01\0v\0{'descr': '<f4'", 27, "it is a NumPy array (.npy)"},
        {"\x89HDF\r\n\x1a\n\0\0\0\0", 12, "it is an HDF5 file (Keras .h5)"},
        {"\x08\x07\x12\x07pytorch\x1a\x031.0", 16, "it is an ONNX model; 'lstmc import"},
        {"1.0 2.0 3.0\n4.0 5.0 6.0\n", 24, "it is text"},
    };
    for (size_t i = 0; i < COUNT_OF(cases); i++) {
        Arena a = {0};
        DiagCapture cap;
        capture_begin(&cap);
        assert_null(st_parse(&a, PATH, (const unsigned char *)cases[i].bytes, cases[i].len));
        const char *text = capture_end(&cap);
        assert_contains(text, PATH ": error: not a safetensors file: ");
        assert_contains(text, cases[i].want);
        assert_int_equal(diag_errors(), 1);
        capture_free(&cap);
        arena_free(&a);
    }
}

/* A header longer than ST_MAX_HEADER is refused before it is parsed. */
static void test_header_limit(void **state)
{
    (void)state;
    size_t len = 8 + (size_t)ST_MAX_HEADER + 1;
    unsigned char *bytes = calloc(1, len);
    assert_non_null(bytes);
    uint64_t h = ST_MAX_HEADER + 1;
    for (int i = 0; i < 8; i++)
        bytes[i] = (unsigned char)(h >> 8 * i);
    bytes[8] = '{';
    expect_bytes_error(bytes, len, PATH ": error: header length 16777217 is more than lstmc "
                       "reads (16777216 bytes)\n");
    free(bytes);
}

static char *make_tmpdir(void)
{
    char *dir = strdup("/tmp/lstmc_st_test.XXXXXX");
    assert_non_null(dir);
    assert_non_null(mkdtemp(dir));
    return dir;
}

/* Number of entries in dir other than . and .. */
static int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            n++;
    closedir(d);
    return n;
}

static void test_round_trip(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    char path[256];
    snprintf(path, sizeof path, "%s/w.safetensors", dir);

    const float w[6] = {1.0f, -0.0f, 0x1p-149f, FLT_MAX, -FLT_MIN, 0.1f};
    const float s[1] = {-7.25f};
    const char *names[] = {"layer.w", "odd \"name\"\\\n", "empty", "scalar"};
    const int ndims[] = {2, 1, 2, 0};
    const long shapes[][ST_MAX_DIMS] = {{2, 3}, {1}, {0, 5}, {0}};
    const float *const data[] = {w, w + 5, NULL, s};

    DiagCapture cap;
    capture_begin(&cap);
    assert_int_equal(st_write_f32(path, 4, names, ndims, shapes, data), 0);
    const char *text = capture_end(&cap);
    assert_string_equal(text, "");
    capture_free(&cap);
    assert_int_equal(count_entries(dir), 1);   /* no temporary file left */

    Arena a = {0};
    capture_begin(&cap);
    StFile *f = st_read(&a, path);
    text = capture_end(&cap);
    assert_string_equal(text, "");
    capture_free(&cap);
    assert_non_null(f);
    assert_int_equal(f->ntensors, 4);
    for (int k = 0; k < 4; k++) {
        /* Offsets are consecutive in the order given. */
        StTensor *t = &f->tensors[k];
        assert_string_equal(t->name, names[k]);
        assert_int_equal(t->dtype, ST_F32);
        assert_int_equal(t->ndim, ndims[k]);
        for (int i = 0; i < ndims[k]; i++)
            assert_int_equal(t->shape[i], shapes[k][i]);
        float out[6];
        long bad;
        assert_int_equal(st_to_float(t, out, &bad), 0);
        for (long i = 0; i < t->count; i++)
            assert_same_float(out[i], data[k][i]);
    }

    /* The header is padded so the data starts 8-aligned. */
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    unsigned char len8[8];
    assert_int_equal(fread(len8, 1, 8, fp), 8);
    fclose(fp);
    assert_int_equal(len8[0] % 8, 0);

    /* Writing again replaces the file. */
    capture_begin(&cap);
    assert_int_equal(st_write_f32(path, 1, names + 3, ndims + 3, shapes + 3, data + 3), 0);
    capture_end(&cap);
    capture_free(&cap);
    arena_free(&a);
    f = st_read(&a, path);
    assert_non_null(f);
    assert_int_equal(f->ntensors, 1);
    arena_free(&a);

    assert_int_equal(remove(path), 0);
    assert_int_equal(rmdir(dir), 0);
    free(dir);
}

static void test_write_failures(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    char path[256], want[400];
    const float w[1] = {1.0f};
    const char *names[] = {"w"};
    const int ndims[] = {1};
    const long shapes[][ST_MAX_DIMS] = {{1}};
    const float *const data[] = {w};
    DiagCapture cap;

    /* A directory that does not exist. */
    snprintf(path, sizeof path, "%s/nope/w.safetensors", dir);
    capture_begin(&cap);
    assert_int_equal(st_write_f32(path, 1, names, ndims, shapes, data), -1);
    snprintf(want, sizeof want, "%s: error: cannot write: No such file or directory\n", path);
    assert_string_equal(capture_end(&cap), want);
    capture_free(&cap);
    assert_int_equal(count_entries(dir), 0);

    /* The target is a directory: the rename fails after the data is
     * written, and the temporary file must go. */
    snprintf(path, sizeof path, "%s/sub", dir);
    assert_int_equal(mkdir(path, 0700), 0);
    char inner[300];
    snprintf(inner, sizeof inner, "%s/x", path);
    fclose(fopen(inner, "w"));
    capture_begin(&cap);
    assert_int_equal(st_write_f32(path, 1, names, ndims, shapes, data), -1);
    const char *text = capture_end(&cap);
    snprintf(want, sizeof want, "%s: error: cannot write: ", path);
    assert_int_equal(strncmp(text, want, strlen(want)), 0);
    capture_free(&cap);
    assert_int_equal(count_entries(dir), 1);

    assert_int_equal(remove(inner), 0);
    assert_int_equal(rmdir(path), 0);
    assert_int_equal(rmdir(dir), 0);
    free(dir);
}

static void test_read_failures(void **state)
{
    (void)state;
    Arena a = {0};
    DiagCapture cap;
    capture_begin(&cap);
    assert_null(st_read(&a, "no/such/file.safetensors"));
    assert_string_equal(capture_end(&cap),
                        "no/such/file.safetensors: error: cannot open: No such file or directory\n");
    capture_free(&cap);

    capture_begin(&cap);
    assert_null(st_read(&a, "."));
    assert_string_equal(capture_end(&cap), ".: error: cannot read: Is a directory\n");
    capture_free(&cap);

    /* A malformed file on disk goes through the same checks. */
    char *dir = make_tmpdir();
    char path[256], want[400];
    snprintf(path, sizeof path, "%s/short.safetensors", dir);
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    fwrite("abc", 1, 3, fp);
    fclose(fp);
    capture_begin(&cap);
    assert_null(st_read(&a, path));
    snprintf(want, sizeof want,
             "%s: error: file is 3 bytes, too short for the 8-byte header length\n", path);
    assert_string_equal(capture_end(&cap), want);
    capture_free(&cap);
    assert_int_equal(remove(path), 0);
    assert_int_equal(rmdir(dir), 0);
    free(dir);
    arena_free(&a);
}

/* The fixture written by PyTorch's safetensors (tests/fixtures, copied from
 * the shared fixtures); skipped until it is there. */
static void test_pytorch_fixture(void **state)
{
    (void)state;
    const char *path = "../fixtures/pytorch/v1_single/weights.safetensors";
    if (access(path, R_OK) != 0)
        skip();
    Arena a = {0};
    StFile *f = st_read(&a, path);
    assert_non_null(f);
    static const struct {
        const char *name;
        int ndim;
        long d0, d1;
    } want[] = {
        {"lstm.weight_ih_l0", 2, 64, 8},
        {"lstm.weight_hh_l0", 2, 64, 16},
        {"lstm.bias_ih_l0", 1, 64, 0},
        {"lstm.bias_hh_l0", 1, 64, 0},
    };
    assert_int_equal(f->ntensors, 4);
    float *out = malloc(64 * 16 * sizeof *out);
    assert_non_null(out);
    for (size_t i = 0; i < COUNT_OF(want); i++) {
        StTensor *t = &f->tensors[i];   /* in file order */
        assert_string_equal(t->name, want[i].name);
        assert_int_equal(t->dtype, ST_F32);
        assert_int_equal(t->ndim, want[i].ndim);
        assert_int_equal(t->shape[0], want[i].d0);
        if (t->ndim == 2)
            assert_int_equal(t->shape[1], want[i].d1);
        long bad;
        assert_int_equal(st_to_float(t, out, &bad), 0);
    }
    free(out);
    arena_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_f32),
        cmocka_unit_test(test_f64),
        cmocka_unit_test(test_f16),
        cmocka_unit_test(test_bf16),
        cmocka_unit_test(test_scalar_and_empty),
        cmocka_unit_test(test_metadata),
        cmocka_unit_test(test_padded_header),
        cmocka_unit_test(test_escaped_names),
        cmocka_unit_test(test_no_tensors),
        cmocka_unit_test(test_dtypes),
        cmocka_unit_test(test_short_file),
        cmocka_unit_test(test_other_formats),
        cmocka_unit_test(test_header_limit),
        cmocka_unit_test(test_header_beyond_file),
        cmocka_unit_test(test_bad_json),
        cmocka_unit_test(test_deep_nesting),
        cmocka_unit_test(test_too_many_values),
        cmocka_unit_test(test_not_an_object),
        cmocka_unit_test(test_unknown_dtype),
        cmocka_unit_test(test_size_mismatch),
        cmocka_unit_test(test_out_of_bounds),
        cmocka_unit_test(test_overlap),
        cmocka_unit_test(test_uncovered),
        cmocka_unit_test(test_duplicate_name),
        cmocka_unit_test(test_begin_after_end),
        cmocka_unit_test(test_bad_shape),
        cmocka_unit_test(test_bad_offsets),
        cmocka_unit_test(test_bad_keys),
        cmocka_unit_test(test_bad_metadata),
        cmocka_unit_test(test_odd_names),
        cmocka_unit_test(test_nan_inf),
        cmocka_unit_test(test_f64_overflow),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_write_failures),
        cmocka_unit_test(test_read_failures),
        cmocka_unit_test(test_pytorch_fixture),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
