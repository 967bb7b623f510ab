/*
 * lstmc_rows.c - reading and writing the data forms, and the loop that
 * streams them through a model (see lstmc_rows.h).
 *
 * Plain C99 and the C standard library: this file is compiled into the
 * standalone programs of `lstmc build` as well as into lstmc itself. Where
 * the system is POSIX it also asks fstat whether a stream is a regular file
 * (to know whether reading ahead can wait, and whether the output is
 * watched as it comes); elsewhere every stream is taken as a pipe.
 *
 * Grammar of one text line (columns are 1-based bytes, for messages):
 *   line    = ws* (field (sep field)*)? ws* comment? ["\r"] "\n"
 *   sep     = ws* "," ws*  |  ws+
 *   ws      = " " | "\t"
 *   comment = "#" any*
 * A line with nothing but white space is blank and ends a sequence; a line
 * with nothing but white space and a comment is skipped. Each field must be
 * a whole number for strtod (locale "C") and finite.
 *
 * The .npy form (numpy.lib.format): "\x93NUMPY", a version byte pair (1.0:
 * a 2-byte header length; 2.0, 3.0: 4 bytes, little-endian), then the header,
 * a Python dict literal {'descr': '<f4', 'fortran_order': False, 'shape':
 * (2, 3), } padded with spaces and a newline, then the data in C order.
 */
#if !defined(_POSIX_C_SOURCE) && (defined(__unix__) || defined(__unix) || \
                                  (defined(__APPLE__) && defined(__MACH__)))
#define _POSIX_C_SOURCE 200809L
#endif
#include "lstmc_rows.h"

#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(_POSIX_C_SOURCE) && (defined(__unix__) || defined(__unix) || \
                                 (defined(__APPLE__) && defined(__MACH__)))
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#define RT_POSIX 1
#endif

/* A byte of a stream only this thread reads: without the lock of every
 * getc where POSIX offers that (a third of the time of reading text). */
#ifdef RT_POSIX
#define RT_GETC(f) getc_unlocked(f)
#else
#define RT_GETC(f) getc(f)
#endif

enum { QUOTE_MAX = 32 };            /* longest field quoted in a message */
enum { NPY_HEADER_MAX = 65536 };    /* longest .npy header read */
enum { NPY_OUT_HEADER = 128 };      /* the .npy header written: its bytes */

/* ---- forms ---- */

int rt_format_named(const char *s)
{
    if (strcmp(s, "text") == 0)
        return RT_TEXT;
    if (strcmp(s, "f32") == 0)
        return RT_F32;
    if (strcmp(s, "npy") == 0)
        return RT_NPY;
    return -1;
}

static int ends_with(const char *s, const char *end)
{
    size_t n = strlen(s), m = strlen(end);
    return n > m && strcmp(s + n - m, end) == 0;
}

rt_format rt_format_of_path(const char *path)
{
    if (path && ends_with(path, ".npy"))
        return RT_NPY;
    if (path && ends_with(path, ".f32"))
        return RT_F32;
    return RT_TEXT;
}

int rt_is_regular(FILE *f)
{
#ifdef RT_POSIX
    struct stat st;
    int fd = fileno(f);
    return fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
#else
    (void)f;
    return 0;
#endif
}

int rt_is_live(FILE *f)
{
#ifdef RT_POSIX
    struct stat st;
    int fd = fileno(f);
    if (fd < 0 || fstat(fd, &st) != 0)
        return 1;
    return S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode) || isatty(fd);
#else
    (void)f;
    return 1;
#endif
}

/* A regular file that is not opened for appending: a header written at its
 * start can be written again in place. */
static int can_rewrite(FILE *f)
{
#ifdef RT_POSIX
    int fd = fileno(f), flags;
    if (!rt_is_regular(f) || (flags = fcntl(fd, F_GETFL)) < 0 || (flags & O_APPEND))
        return 0;
    return ftell(f) >= 0;
#else
    (void)f;
    return 0;
#endif
}

/* ---- numbers in bytes ---- */

static double get_float(const unsigned char *p, int item, int big)
{
    if (item == 4) {
        uint32_t u = 0;
        float f;
        for (int k = 0; k < 4; k++)
            u |= (uint32_t)p[big ? k : 3 - k] << (8 * (3 - k));
        memcpy(&f, &u, sizeof f);
        return (double)f;
    } else {
        uint64_t u = 0;
        double d;
        for (int k = 0; k < 8; k++)
            u |= (uint64_t)p[big ? k : 7 - k] << (8 * (7 - k));
        memcpy(&d, &u, sizeof d);
        return d;
    }
}

/* v as a little-endian float32 at p. */
static void put_f32(unsigned char *p, double v)
{
    float f = (float)v;
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    for (int k = 0; k < 4; k++)
        p[k] = (unsigned char)(u >> (8 * k));
}

/* ---- the reader ---- */

void rt_rows_init(rt_rows *r, FILE *in, const char *name, int width)
{
    memset(r, 0, sizeof *r);
    r->in = in;
    r->name = name;
    r->width = width;
    r->format = RT_TEXT;
}

void rt_rows_format(rt_rows *r, rt_format format, int header)
{
    r->format = format;
    r->header = header;
}

void rt_rows_tokens(rt_rows *r, long vocabulary)
{
    r->tokens = vocabulary;
}

void rt_rows_free(rt_rows *r)
{
    free(r->buf);
    free(r->vals);
    r->buf = NULL;
    r->buf_cap = 0;
    r->vals = NULL;
    r->vals_cap = 0;
}

/* Makes r->buf hold at least n bytes. Returns 0, or -1 when out of memory. */
static int reserve_buf(rt_rows *r, size_t n)
{
    char *p;
    if (n <= r->buf_cap)
        return 0;
    p = (char *)realloc(r->buf, n);
    if (!p)
        return -1;
    r->buf = p;
    r->buf_cap = n;
    return 0;
}

static int out_of_memory(rt_rows *r, FILE *err)
{
    fprintf(err, "%s: error: out of memory\n", r->name);
    r->done = 1;
    return RT_ERROR;
}

static int read_error(rt_rows *r, FILE *err)
{
    fprintf(err, "%s: error: read error\n", r->name);
    r->done = 1;
    return RT_ERROR;
}

/* ---- text: lines ---- */

enum { LINE_OK = 1, LINE_EOF = 0, LINE_READ_ERROR = -1, LINE_NO_MEMORY = -2 };

/* Reads one line into r->buf without its "\n" or "\r\n", NUL-terminated, and
 * its length into *len. A last line without "\n" still counts as a line. */
static int read_line(rt_rows *r, size_t *len)
{
    size_t n = 0;
    int c;

    for (;;) {
        c = RT_GETC(r->in);
        if (c == EOF || c == '\n')
            break;
        if (n + 2 > r->buf_cap) {
            size_t cap = r->buf_cap ? r->buf_cap * 2 : 256;
            if (cap < r->buf_cap || reserve_buf(r, cap) != 0)
                return LINE_NO_MEMORY;
        }
        r->buf[n++] = (char)c;
    }
    if (c == EOF) {
        if (ferror(r->in))
            return LINE_READ_ERROR;
        if (n == 0)
            return LINE_EOF;
    }
    if (n > 0 && r->buf[n - 1] == '\r')
        n--;
    if (r->buf)
        r->buf[n] = '\0';
    r->line++;
    *len = n;
    return LINE_OK;
}

/* Whether d is finite, on its bits (IEEE-754 binary64: exponent all ones is
 * inf or NaN): isfinite() is folded to 1 by -ffinite-math-only (part of
 * -ffast-math and -Ofast), and a program of `lstmc build --cflags -Ofast`
 * took "nan" as a number. */
static int finite_bits(double d)
{
    uint64_t b;
    memcpy(&b, &d, sizeof b);
    return (b >> 52 & 0x7ffu) != 0x7ffu;
}

static int is_ws(char c)
{
    return c == ' ' || c == '\t';
}

/* Blank: nothing but white space (form feeds and stray CRs included). */
static int is_blank(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (!is_ws(s[i]) && s[i] != '\r' && s[i] != '\v' && s[i] != '\f')
            return 0;
    return 1;
}

/* ---- text: messages ---- */

/* "name:line:col: error: " then the message; pos is a 0-based byte offset. */
static void error_at(rt_rows *r, FILE *err, size_t pos, const char *msg)
{
    fprintf(err, "%s:%ld:%lu: error: %s\n", r->name, r->line,
            (unsigned long)pos + 1, msg);
}

/* "'text' is not ..." with text cut to QUOTE_MAX characters. */
static void error_field(rt_rows *r, FILE *err, size_t pos, size_t len,
                        const char *what)
{
    const char *dots = "";
    int shown = (int)len;

    if (len > QUOTE_MAX) {
        shown = QUOTE_MAX - 3;
        dots = "...";
    }
    fprintf(err, "%s:%ld:%lu: error: '%.*s%s' is not %s\n", r->name, r->line,
            (unsigned long)pos + 1, shown, r->buf + pos, dots, what);
}

static void error_count(rt_rows *r, FILE *err, size_t pos, size_t found)
{
    fprintf(err, "%s:%ld:%lu: error: expected %d number%s, found %lu\n",
            r->name, r->line, (unsigned long)pos + 1, r->width,
            r->width == 1 ? "" : "s", (unsigned long)found);
}

/* ---- text: one line ---- */

/* Parses the line in r->buf (len bytes, not blank) into the width values at
 * v. Returns 0, or -1 after reporting the first problem. */
static int parse_line(rt_rows *r, size_t len, double *v, FILE *err)
{
    char *s = r->buf;
    size_t width = r->width > 0 ? (size_t)r->width : 0;
    size_t count = 0;          /* fields seen */
    size_t extra = 0;          /* offset of the first field past width */
    size_t i = 0;

    while (i < len && is_ws(s[i]))
        i++;
    if (s[i] == ',') {
        error_at(r, err, i, "expected a number before ','");
        return -1;
    }

    /* field (sep field)* */
    for (;;) {
        size_t start = i, end;
        char save, *stop;
        double d;

        while (i < len && !is_ws(s[i]) && s[i] != ',')
            i++;
        end = i;

        if (count == width)
            extra = start;
        if (count < width) {
            save = s[end];
            s[end] = '\0';     /* strtod must not run past the field */
            d = strtod(s + start, &stop);
            s[end] = save;
            if (stop != s + end) {
                error_field(r, err, start, end - start, "a number");
                return -1;
            }
            if (!finite_bits(d)) {
                error_field(r, err, start, end - start, "a finite number");
                return -1;
            }
            v[count] = d;
        }
        count++;

        /* sep, or the end of the line */
        while (i < len && is_ws(s[i]))
            i++;
        if (i == len)
            break;
        if (s[i] == ',') {
            i++;
            while (i < len && is_ws(s[i]))
                i++;
            if (i == len) {
                error_at(r, err, len, "expected a number after ','");
                return -1;
            }
            if (s[i] == ',') {
                error_at(r, err, i, "expected a number before ','");
                return -1;
            }
        }
    }

    if (count > width) {
        error_count(r, err, extra, count);
        return -1;
    }
    if (count < width) {
        error_count(r, err, len, count);
        return -1;
    }
    return 0;
}

/* ---- token ids ---- */

/* "token id 120 is out of range: the vocabulary has 100 tokens (0 to 99)" */
static void token_range_text(char *buf, size_t cap, const rt_rows *r, double id)
{
    snprintf(buf, cap, "token id %.17g is out of range: the vocabulary has %ld token%s (ids 0 to %ld)", id,
             r->tokens, r->tokens == 1 ? "" : "s", r->tokens - 1);
}

/* The next token id of the current text line (buf[tok_at..tok_end), which
 * holds one): RT_STEP, or RT_ERROR after reporting. */
static int text_token(rt_rows *r, double *x, FILE *err)
{
    char *s = r->buf, *stop, save;
    size_t start = r->tok_at, end = start;
    double d;
    char msg[160];

    while (end < r->tok_end && !is_ws(s[end]) && s[end] != ',')
        end++;
    save = s[end];
    s[end] = '\0';     /* strtod must not run past the field */
    d = strtod(s + start, &stop);
    s[end] = save;
    if (end == start) {
        error_at(r, err, start, "expected a token id before ','");
        r->tok_at = r->tok_end;
        return RT_ERROR;
    }
    if (stop != s + end || !finite_bits(d)) {
        error_field(r, err, start, end - start, "a token id (an integer)");
        r->tok_at = r->tok_end;
        return RT_ERROR;
    }
    /* sep: white space, at most one comma; then the next id or the end */
    r->tok_at = end;
    while (r->tok_at < r->tok_end && is_ws(s[r->tok_at]))
        r->tok_at++;
    if (r->tok_at < r->tok_end && s[r->tok_at] == ',') {
        r->tok_at++;
        while (r->tok_at < r->tok_end && is_ws(s[r->tok_at]))
            r->tok_at++;
        if (r->tok_at == r->tok_end) {
            error_at(r, err, r->tok_end, "expected a token id after ','");
            return RT_ERROR;
        }
    }
    if (d < 0 || d >= (double)r->tokens) {
        token_range_text(msg, sizeof msg, r, d);
        error_at(r, err, start, msg);
        r->tok_at = r->tok_end;
        return RT_ERROR;
    }
    if (d != (double)(long)d) {   /* (in range: (long)d is defined) */
        error_field(r, err, start, end - start, "a token id (an integer)");
        r->tok_at = r->tok_end;
        return RT_ERROR;
    }
    *x = d;
    return RT_STEP;
}

/* One timestep of text: lines up to the next step, blank line or end. */
static int text_step(rt_rows *r, double *x, FILE *err)
{
    if (r->tokens && r->tok_at < r->tok_end) {
        int st = text_token(r, x, err);   /* the line's next id */
        r->bad_line = st == RT_ERROR;
        return st;
    }
    for (;;) {
        size_t len = 0;
        char *hash;
        int status;

        if (r->done)
            return RT_END;
        status = read_line(r, &len);
        if (status == LINE_EOF)
            return RT_END;
        if (status == LINE_NO_MEMORY)
            return out_of_memory(r, err);
        if (status != LINE_OK)
            return read_error(r, err);
        if (r->line == 1 && len >= 6 && memcmp(r->buf, "\223NUMPY", 6) == 0) {
            error_at(r, err, 0, "this is a NumPy .npy file, not text: give --format npy (or name it *.npy)");
            r->done = 1;
            return RT_ERROR;
        }
        if (r->header && r->line == 1)
            continue;                   /* the column names */
        hash = len ? (char *)memchr(r->buf, '#', len) : NULL;
        if (hash) {
            len = (size_t)(hash - r->buf);
            if (is_blank(r->buf, len))
                continue;               /* a comment line */
            *hash = '\0';
        }
        if (is_blank(r->buf, len))
            return RT_BREAK;
        if (r->tokens) {
            r->tok_at = 0;
            r->tok_end = len;
            while (is_ws(r->buf[r->tok_at]))
                r->tok_at++;
            if (text_token(r, x, err) != RT_STEP) {
                r->bad_line = 1;
                return RT_ERROR;
            }
            return RT_STEP;
        }
        if (parse_line(r, len, x, err) != 0) {
            r->bad_line = 1;
            return RT_ERROR;
        }
        return RT_STEP;
    }
}

/* ---- binary: messages ---- */

/* gcc and clang check the arguments of a printf-like function. */
#ifdef __GNUC__
#define RT_PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))
#else
#define RT_PRINTF_LIKE(f, a)
#endif

/* "name: byte N: error: " then the message; the reader stops there. */
static int binary_error(rt_rows *r, FILE *err, unsigned long long at, const char *fmt, ...) RT_PRINTF_LIKE(4, 5);

static int binary_error(rt_rows *r, FILE *err, unsigned long long at, const char *fmt, ...)
{
    va_list ap;
    fprintf(err, "%s: byte %llu: error: ", r->name, at);
    va_start(ap, fmt);
    vfprintf(err, fmt, ap);
    va_end(ap);
    fputc('\n', err);
    r->done = 1;
    return RT_ERROR;
}

/* A value that is not finite, as "inf", "-inf" or "nan". */
static const char *nonfinite_text(double v)
{
    uint64_t b;
    memcpy(&b, &v, sizeof b);
    if ((b & 0x000fffffffffffffu) != 0)   /* (on the bits, as finite_bits) */
        return "nan";
    return v > 0 ? "inf" : "-inf";
}

/* ---- binary: rows ---- */

/* Reads one row of r->width numbers of item bytes (big-endian if big) into
 * x. Returns RT_STEP, RT_END where the file ends before the row, or
 * RT_ERROR (a read error, or the file ends inside the row). */
static int binary_row(rt_rows *r, double *x, int item, int big, FILE *err)
{
    size_t width = r->width > 0 ? (size_t)r->width : 0;
    size_t size = width * (size_t)item, got;

    if (size == 0)
        size = 1;
    if (reserve_buf(r, size) != 0)
        return out_of_memory(r, err);
    got = fread(r->buf, 1, width * (size_t)item, r->in);
    if (got < width * (size_t)item) {
        if (ferror(r->in))
            return read_error(r, err);
        if (got == 0)
            return RT_END;
        return binary_error(r, err, r->offset + got, "the file ends inside a timestep: %lu of its %lu bytes",
                            (unsigned long)got, (unsigned long)(width * (size_t)item));
    }
    for (size_t k = 0; k < width; k++)
        x[k] = get_float((const unsigned char *)r->buf + k * (size_t)item, item, big);
    return RT_STEP;
}

/* The first value of x[width] that is not finite, or -1. */
static long first_nonfinite(const double *x, int width)
{
    for (int k = 0; k < width; k++)
        if (!finite_bits(x[k]))
            return k;
    return -1;
}

static int f32_step(rt_rows *r, double *x, FILE *err)
{
    int st;
    long bad;

    if (r->done)
        return RT_END;
    st = binary_row(r, x, 4, 0, err);
    if (st != RT_STEP) {
        r->done = 1;
        return st;
    }
    bad = first_nonfinite(x, r->width);
    if (bad >= 0)
        return binary_error(r, err, r->offset + 4u * (unsigned long long)bad,
                            "'%s' is not a finite number (timestep %llu, column %ld)",
                            nonfinite_text(x[bad]), r->offset / (4u * (unsigned long long)r->width) + 1,
                            bad + 1);
    r->offset += 4u * (unsigned long long)r->width;
    return RT_STEP;
}

/* ---- npy: the header ---- */

/* A cursor over the header text, for messages at its bytes. */
typedef struct npy_cursor {
    rt_rows *r;
    FILE *err;
    const char *s;
    size_t n, i;
    unsigned long long base;    /* the header's offset in the file */
} npy_cursor;

static unsigned long long npy_at(const npy_cursor *c)
{
    return c->base + c->i;
}

static void npy_ws(npy_cursor *c)
{
    while (c->i < c->n && (c->s[c->i] == ' ' || c->s[c->i] == '\t' || c->s[c->i] == '\n' ||
                           c->s[c->i] == '\r'))
        c->i++;
}

/* "expected WHAT, saw ..." at the cursor. */
static int npy_expected(npy_cursor *c, const char *what)
{
    if (c->i >= c->n)
        return binary_error(c->r, c->err, npy_at(c), "in the .npy header: expected %s, saw its end", what);
    if ((unsigned char)c->s[c->i] < 0x20 || (unsigned char)c->s[c->i] > 0x7e)
        return binary_error(c->r, c->err, npy_at(c), "in the .npy header: expected %s, saw byte 0x%02x", what,
                            (unsigned)(unsigned char)c->s[c->i]);
    return binary_error(c->r, c->err, npy_at(c), "in the .npy header: expected %s, saw '%c'", what, c->s[c->i]);
}

/* Skips white space, then takes ch if it is next. */
static int npy_take(npy_cursor *c, char ch)
{
    npy_ws(c);
    if (c->i < c->n && c->s[c->i] == ch) {
        c->i++;
        return 1;
    }
    return 0;
}

/* string = "'" chars "'" | '"' chars '"' (no escapes). Sets *start, *len. */
static int npy_string(npy_cursor *c, size_t *start, size_t *len)
{
    char q;
    npy_ws(c);
    if (c->i >= c->n || (c->s[c->i] != '\'' && c->s[c->i] != '"'))
        return npy_expected(c, "a quoted string");
    q = c->s[c->i++];
    *start = c->i;
    while (c->i < c->n && c->s[c->i] != q && c->s[c->i] != '\\')
        c->i++;
    if (c->i >= c->n || c->s[c->i] != q)
        return npy_expected(c, "the end of the string");
    *len = c->i - *start;
    c->i++;
    return 0;
}

enum { NPY_DIMS = 8 };      /* sizes of a shape kept (for messages) */

/* tuple = "(" (int ("," int)* ","?)? ")" into dims (at most NPY_DIMS
 * kept, *ndim counts all). */
static int npy_tuple(npy_cursor *c, unsigned long long *dims, int *ndim)
{
    *ndim = 0;
    if (!npy_take(c, '('))
        return npy_expected(c, "a tuple of sizes, '('");
    for (;;) {
        unsigned long long v = 0;
        size_t digits = 0;
        if (npy_take(c, ')'))
            return 0;
        npy_ws(c);
        while (c->i < c->n && c->s[c->i] >= '0' && c->s[c->i] <= '9') {
            unsigned d = (unsigned)(c->s[c->i] - '0');
            if (v > (ULLONG_MAX - d) / 10)
                return binary_error(c->r, c->err, npy_at(c), "in the .npy header: a size too large");
            v = v * 10 + d;
            c->i++;
            digits++;
        }
        if (digits == 0)
            return npy_expected(c, "a size");
        if (*ndim < NPY_DIMS)
            dims[*ndim] = v;
        (*ndim)++;
        if (npy_take(c, ','))
            continue;
        if (npy_take(c, ')'))
            return 0;
        return npy_expected(c, "',' or ')'");
    }
}

/* The shape as Python prints it: "(2, 3)", "(4,)"; cap >= 200. */
static const char *shape_text(char *buf, size_t cap, const unsigned long long *dims, int ndim)
{
    size_t n = 0;
    buf[n++] = '(';
    for (int k = 0; k < ndim && k < NPY_DIMS; k++)
        n += (size_t)snprintf(buf + n, cap - n, "%s%llu", k ? ", " : "", dims[k]);
    snprintf(buf + n, cap - n, "%s)", ndim == 1 ? "," : ndim > NPY_DIMS ? ", ..." : "");
    return buf;
}

/* Reads the magic string, version, header and checks the array against the
 * reader's width. Returns 0, or RT_ERROR after reporting. */
static int npy_open(rt_rows *r, FILE *err)
{
    unsigned char pre[12];
    size_t got, pre_len = 10, hlen;
    unsigned long long dims[NPY_DIMS] = {0};
    int ndim = -1, have_descr = 0, have_order = 0, major;
    size_t descr_start = 0, descr_len = 0;
    unsigned long long descr_at = 0, shape_at = 0;
    npy_cursor c;
    char shape[200];

    got = fread(pre, 1, 10, r->in);
    if (ferror(r->in))
        return read_error(r, err);
    if (got < 6 || memcmp(pre, "\223NUMPY", 6) != 0)
        return binary_error(r, err, 0, got == 0 ? "an empty file, not a NumPy .npy file"
                                                : "not a NumPy .npy file (it does not begin with \\x93NUMPY)");
    major = pre[6];
    if (got < 10)
        return binary_error(r, err, got, "the file ends inside the .npy preamble");
    if (major != 1 && major != 2 && major != 3)
        return binary_error(r, err, 6, ".npy format version %d.%d is not supported (1.0, 2.0 and 3.0 are)",
                            major, pre[7]);
    if (major == 1) {
        hlen = (size_t)pre[8] | (size_t)pre[9] << 8;
    } else {
        got = fread(pre + 10, 1, 2, r->in);
        if (got < 2)
            return ferror(r->in) ? read_error(r, err)
                                 : binary_error(r, err, 10 + got, "the file ends inside the .npy preamble");
        pre_len = 12;
        hlen = (size_t)pre[8] | (size_t)pre[9] << 8 | (size_t)pre[10] << 16 | (size_t)pre[11] << 24;
    }
    if (hlen > NPY_HEADER_MAX)
        return binary_error(r, err, 8, "a .npy header of %lu bytes: lstmc reads at most %d",
                            (unsigned long)hlen, NPY_HEADER_MAX);
    if (reserve_buf(r, hlen + 1) != 0)
        return out_of_memory(r, err);
    got = fread(r->buf, 1, hlen, r->in);
    if (got < hlen)
        return ferror(r->in) ? read_error(r, err)
                             : binary_error(r, err, pre_len + got,
                                            "the file ends inside the .npy header (%lu of its %lu bytes)",
                                            (unsigned long)got, (unsigned long)hlen);
    r->buf[hlen] = '\0';

    /* dict = "{" (item ("," item)* ","?)? "}";  item = string ":" value */
    c.r = r;
    c.err = err;
    c.s = r->buf;
    c.n = hlen;
    c.i = 0;
    c.base = pre_len;
    if (!npy_take(&c, '{'))
        return npy_expected(&c, "a dict, '{'");
    for (;;) {
        size_t ks, kl;
        unsigned long long key_at;
        if (npy_take(&c, '}'))
            break;
        npy_ws(&c);
        key_at = npy_at(&c);
        if (npy_string(&c, &ks, &kl) != 0)
            return RT_ERROR;
        if (!npy_take(&c, ':'))
            return npy_expected(&c, "':'");
        npy_ws(&c);
        if (kl == 5 && memcmp(c.s + ks, "descr", 5) == 0 && !have_descr) {
            descr_at = npy_at(&c);
            if (c.i < c.n && c.s[c.i] == '[')
                return binary_error(r, err, descr_at, "a structured dtype is not supported: "
                                                      "lstmc reads float32 ('<f4') or float64 ('<f8') arrays");
            if (npy_string(&c, &descr_start, &descr_len) != 0)
                return RT_ERROR;
            have_descr = 1;
        } else if (kl == 13 && memcmp(c.s + ks, "fortran_order", 13) == 0 && !have_order) {
            if (c.n - c.i >= 4 && memcmp(c.s + c.i, "True", 4) == 0)
                return binary_error(r, err, npy_at(&c), "fortran_order is True: lstmc reads arrays in C order "
                                                        "(numpy.ascontiguousarray before saving)");
            if (c.n - c.i < 5 || memcmp(c.s + c.i, "False", 5) != 0)
                return npy_expected(&c, "False or True");
            c.i += 5;
            have_order = 1;
        } else if (kl == 5 && memcmp(c.s + ks, "shape", 5) == 0 && ndim < 0) {
            shape_at = npy_at(&c);
            if (npy_tuple(&c, dims, &ndim) != 0)
                return RT_ERROR;
        } else {
            int known = (kl == 5 && (memcmp(c.s + ks, "descr", 5) == 0 || memcmp(c.s + ks, "shape", 5) == 0)) ||
                        (kl == 13 && memcmp(c.s + ks, "fortran_order", 13) == 0);
            return binary_error(r, err, key_at, "in the .npy header: %s '%.*s'",
                                known ? "a second" : "unexpected key",
                                (int)(kl > (size_t)QUOTE_MAX ? (size_t)QUOTE_MAX : kl), c.s + ks);
        }
        if (npy_take(&c, ','))
            continue;
        if (npy_take(&c, '}'))
            break;
        return npy_expected(&c, "',' or '}'");
    }
    if (!have_descr || !have_order || ndim < 0)
        return binary_error(r, err, npy_at(&c) - 1, "the .npy header has no '%s'",
                            !have_descr ? "descr" : !have_order ? "fortran_order" : "shape");

    /* what lstmc reads of it */
    if (descr_len == 3 && (c.s[descr_start] == '<' || c.s[descr_start] == '>') && c.s[descr_start + 1] == 'f' &&
        (c.s[descr_start + 2] == '4' || c.s[descr_start + 2] == '8')) {
        r->npy_big = c.s[descr_start] == '>';
        r->npy_item = c.s[descr_start + 2] - '0';
    } else {
        return binary_error(r, err, descr_at, "dtype '%.*s' is not supported: lstmc reads float32 ('<f4') "
                                              "or float64 ('<f8') arrays (numpy: a.astype(numpy.float32))",
                            (int)(descr_len > (size_t)QUOTE_MAX ? (size_t)QUOTE_MAX : descr_len), c.s + descr_start);
    }
    if (ndim != 2 && ndim != 3)
        return binary_error(r, err, shape_at, "shape %s has %d dimension%s: lstmc reads [steps, features] "
                                              "(one sequence) or [sequences, steps, features]",
                            shape_text(shape, sizeof shape, dims, ndim), ndim, ndim == 1 ? "" : "s");
    if (dims[ndim - 1] != (unsigned long long)r->width)
        return binary_error(r, err, shape_at, "shape %s: %llu feature%s per timestep, the model takes %d",
                            shape_text(shape, sizeof shape, dims, ndim), dims[ndim - 1],
                            dims[ndim - 1] == 1 ? "" : "s", r->width);
    r->npy_ndim = ndim;
    r->npy_seqs = ndim == 3 ? dims[0] : 1;
    r->npy_steps = dims[ndim - 2];
    r->offset = pre_len + hlen;
    return 0;
}

/* ---- npy: the data ---- */

static int npy_step(rt_rows *r, double *x, FILE *err)
{
    unsigned long long row;
    long bad;
    int st;

    if (r->done)
        return RT_END;
    if (r->npy_ndim == 0 && npy_open(r, err) != 0)
        return RT_ERROR;
    row = (unsigned long long)r->npy_item * (unsigned long long)r->width;
    if (r->npy_seq >= r->npy_seqs) {
        /* the end of the array: the file must end here too */
        int ch = getc(r->in);
        r->done = 1;
        if (ch != EOF)
            return binary_error(r, err, r->offset, "more bytes after the array the .npy header describes");
        return ferror(r->in) ? read_error(r, err) : RT_END;
    }
    if (r->npy_step >= r->npy_steps) {
        r->npy_seq++;
        r->npy_step = 0;
        return RT_BREAK;
    }
    st = binary_row(r, x, r->npy_item, r->npy_big, err);
    if (st == RT_END) {
        unsigned long long dims[3], seen = r->npy_seq * r->npy_steps + r->npy_step;
        char shape[200];
        dims[0] = r->npy_ndim == 3 ? r->npy_seqs : r->npy_steps;
        dims[1] = r->npy_ndim == 3 ? r->npy_steps : (unsigned long long)r->width;
        dims[2] = (unsigned long long)r->width;
        return binary_error(r, err, r->offset, "the file ends after %llu timestep%s; the header's shape %s has %llu",
                            seen, seen == 1 ? "" : "s", shape_text(shape, sizeof shape, dims, r->npy_ndim),
                            r->npy_seqs * r->npy_steps);
    }
    if (st != RT_STEP)
        return st;
    bad = first_nonfinite(x, r->width);
    if (bad >= 0) {
        unsigned long long at = r->offset + (unsigned long long)r->npy_item * (unsigned long long)bad;
        if (r->npy_ndim == 3)
            return binary_error(r, err, at, "'%s' is not a finite number (sequence %llu, step %llu, column %ld)",
                                nonfinite_text(x[bad]), r->npy_seq + 1, r->npy_step + 1, bad + 1);
        return binary_error(r, err, at, "'%s' is not a finite number (step %llu, column %ld)",
                            nonfinite_text(x[bad]), r->npy_step + 1, bad + 1);
    }
    r->offset += row;
    r->npy_step++;
    return RT_STEP;
}

/* ---- reading: steps and sequences ---- */

/* A binary form's step x[0] as a token id: RT_STEP, or RT_ERROR after
 * reporting at the byte where it starts. */
static int binary_token(rt_rows *r, const double *x, FILE *err)
{
    char msg[160];
    unsigned long long at = r->offset - (r->format == RT_F32 ? 4u : (unsigned)r->npy_item);

    if (x[0] < 0 || x[0] >= (double)r->tokens) {
        token_range_text(msg, sizeof msg, r, x[0]);
        return binary_error(r, err, at, "%s", msg);
    }
    if (x[0] != (double)(long)x[0])   /* (in range: (long) is defined) */
        return binary_error(r, err, at, "%.9g is not a token id (an integer)", x[0]);
    return RT_STEP;
}

int rt_rows_step(rt_rows *r, double *x, FILE *err)
{
    int st;

    r->bad_line = 0;
    switch (r->format) {
    case RT_F32:
        st = f32_step(r, x, err);
        return st == RT_STEP && r->tokens ? binary_token(r, x, err) : st;
    case RT_NPY:
        st = npy_step(r, x, err);
        return st == RT_STEP && r->tokens ? binary_token(r, x, err) : st;
    case RT_TEXT:
        break;
    }
    return text_step(r, x, err);
}

/* Makes room in r->vals for steps rows of width values. */
static int reserve_rows(rt_rows *r, size_t steps)
{
    size_t width = r->width > 0 ? (size_t)r->width : 1;
    size_t need, cap;
    double *p;

    if (steps > SIZE_MAX / sizeof(double) / width)
        return -1;
    need = steps * width;
    if (need <= r->vals_cap)
        return 0;
    cap = r->vals_cap ? r->vals_cap : 64;
    while (cap < need)
        cap = cap <= SIZE_MAX / sizeof(double) / 2 ? cap * 2 : need;
    p = (double *)realloc(r->vals, cap * sizeof(double));
    if (!p)
        return -1;
    r->vals = p;
    r->vals_cap = cap;
    return 0;
}

/* After a bad line, skips the rest of its sequence, so that a caller that
 * goes on gets the next sequence, not the tail of this one. */
static void skip_sequence(rt_rows *r)
{
    size_t len;

    while (read_line(r, &len) == LINE_OK && !is_blank(r->buf, len))
        ;
}

long rt_rows_next(rt_rows *r, const double **x, FILE *err)
{
    size_t steps = 0, width = r->width > 0 ? (size_t)r->width : 0;

    *x = NULL;
    for (;;) {
        int st;
        if (reserve_rows(r, steps + 1) != 0)
            return out_of_memory(r, err);
        st = rt_rows_step(r, r->vals + steps * width, err);
        if (st == RT_STEP) {
            steps++;
        } else if (st == RT_ERROR) {
            if (r->bad_line)
                skip_sequence(r);
            return -1;
        } else if (st == RT_END || steps > 0) {
            break;
        }
    }
    if (steps == 0)
        return 0;
    *x = r->vals;
    return (long)steps;
}

/* ---- writing ---- */

int rt_rows_write(FILE *out, const double *y, int n)
{
    for (int i = 0; i < n; i++)
        if (fprintf(out, i ? " %.9g" : "%.9g", y[i]) < 0)
            return -1;
    if (putc('\n', out) == EOF)
        return -1;
    return 0;
}

/* The .npy header of NPY_OUT_HEADER bytes for a float32 array of shape
 * dims[0..ndim), padded with spaces and ended by a newline. */
static void npy_header(unsigned char *h, const unsigned long long *dims, int ndim)
{
    char text[NPY_OUT_HEADER];
    char shape[200];
    int n = snprintf(text, sizeof text, "{'descr': '<f4', 'fortran_order': False, 'shape': %s, }",
                     shape_text(shape, sizeof shape, dims, ndim));
    size_t len = NPY_OUT_HEADER - 10;

    memcpy(h, "\223NUMPY\001\000", 8);
    h[8] = (unsigned char)(len & 0xff);
    h[9] = (unsigned char)(len >> 8);
    memset(h + 10, ' ', len);
    memcpy(h + 10, text, (size_t)n);
    h[NPY_OUT_HEADER - 1] = '\n';
}

/* Adds n bytes to o->buf. Returns 0, or -1 when out of memory. */
static int buf_add(rt_out *o, const unsigned char *p, size_t n)
{
    if (o->buf_len + n > o->buf_cap) {
        size_t cap = o->buf_cap ? o->buf_cap : 4096;
        unsigned char *q;
        while (cap < o->buf_len + n) {
            if (cap > SIZE_MAX / 2)
                return -1;
            cap *= 2;
        }
        q = (unsigned char *)realloc(o->buf, cap);
        if (!q)
            return -1;
        o->buf = q;
        o->buf_cap = cap;
    }
    memcpy(o->buf + o->buf_len, p, n);
    o->buf_len += n;
    return 0;
}

int rt_out_init(rt_out *o, FILE *f, const char *name, rt_format format, int width)
{
    memset(o, 0, sizeof *o);
    o->f = f;
    o->name = name;
    o->format = format;
    o->width = width;
    o->live = rt_is_live(f);
    if (format == RT_TEXT)
        return RT_RUN_OK;
    o->row = (unsigned char *)malloc(width > 0 ? (size_t)width * 4 : 1);
    if (!o->row)
        return RT_RUN_NO_MEMORY;
    if (format == RT_NPY && can_rewrite(f)) {
        /* a header of the right size now, its shape at the end */
        unsigned char h[NPY_OUT_HEADER];
        unsigned long long dims[2] = {0, (unsigned long long)width};
        o->npy_seek = 1;
        o->npy_at = ftell(f);
        npy_header(h, dims, 2);
        if (fwrite(h, 1, sizeof h, f) != sizeof h)
            return RT_RUN_WRITE_FAILED;
    }
    return RT_RUN_OK;
}

int rt_out_row(rt_out *o, const double *y)
{
    size_t n = o->width > 0 ? (size_t)o->width : 0;

    o->rows++;
    o->cur_rows++;
    if (o->format == RT_TEXT)
        return rt_rows_write(o->f, y, o->width) == 0 ? RT_RUN_OK : RT_RUN_WRITE_FAILED;
    for (size_t k = 0; k < n; k++)
        put_f32(o->row + 4 * k, y[k]);
    if (o->format == RT_NPY && !o->npy_seek)
        return buf_add(o, o->row, 4 * n) == 0 ? RT_RUN_OK : RT_RUN_NO_MEMORY;
    return fwrite(o->row, 1, 4 * n, o->f) == 4 * n ? RT_RUN_OK : RT_RUN_WRITE_FAILED;
}

void rt_out_break(rt_out *o)
{
    if (o->cur_rows == 0)
        return;
    o->seqs++;
    if (o->seqs == 1)
        o->seq_rows = o->cur_rows;
    else if (o->cur_rows != o->seq_rows && !o->ragged)
        o->ragged = o->cur_rows;
    o->cur_rows = 0;
}

int rt_out_finish(rt_out *o, FILE *err)
{
    unsigned char h[NPY_OUT_HEADER];
    unsigned long long dims[3];
    int ndim = 2;

    if (o->format != RT_NPY)
        return RT_RUN_OK;
    rt_out_break(o);
    if (o->npy_last || (o->seqs <= 1 && !o->npy_3d)) {
        dims[0] = o->rows;
        dims[1] = (unsigned long long)o->width;
    } else {
        if (o->ragged) {
            fprintf(err, "%s: error: the sequences have different lengths (%llu and %llu steps): "
                         "one .npy array cannot hold them; write text or f32 (--output-format)\n",
                    o->name, o->seq_rows, o->ragged);
            return RT_RUN_BAD_INPUT;
        }
        ndim = 3;
        dims[0] = o->seqs;
        dims[1] = o->seq_rows;
        dims[2] = (unsigned long long)o->width;
    }
    npy_header(h, dims, ndim);
    if (o->npy_seek) {
        if (fseek(o->f, o->npy_at, SEEK_SET) != 0 || fwrite(h, 1, sizeof h, o->f) != sizeof h ||
            fseek(o->f, 0, SEEK_END) != 0)
            return RT_RUN_WRITE_FAILED;
        return RT_RUN_OK;
    }
    if (fwrite(h, 1, sizeof h, o->f) != sizeof h ||
        (o->buf_len > 0 && fwrite(o->buf, 1, o->buf_len, o->f) != o->buf_len))
        return RT_RUN_WRITE_FAILED;
    return RT_RUN_OK;
}

void rt_out_free(rt_out *o)
{
    free(o->buf);
    free(o->row);
    o->buf = NULL;
    o->row = NULL;
    o->buf_len = o->buf_cap = 0;
}

/* ---- the loop ---- */

/* Writes rows of y, then flushes a live output. */
static int write_rows(rt_out *out, const double *y, size_t rows, int width)
{
    for (size_t t = 0; t < rows; t++) {
        int st = rt_out_row(out, y + t * (size_t)width);
        if (st != RT_RUN_OK)
            return st;
    }
    if (out->live && out->format != RT_NPY && fflush(out->f) != 0)
        return RT_RUN_WRITE_FAILED;
    return RT_RUN_OK;
}

/* The start and final states of the sequences (rt_model.state_in,
 * state_out): one state row for every sequence (reused), or one each. */
typedef struct run_states {
    double *s;                  /* [state]: the row read (kept while it is reused) */
    double *final;              /* [state]: a sequence's final state */
    unsigned long long rows;    /* rows read from state_in */
    int reuse;                  /* state_in held one row: every sequence's */
} run_states;

static int states_init(run_states *S, const rt_model *m)
{
    S->rows = 0;
    S->reuse = 0;
    S->s = (double *)malloc(2 * ((size_t)m->state + 1) * sizeof *S->s);
    S->final = S->s ? S->s + m->state + 1 : NULL;
    return S->s ? RT_RUN_OK : RT_RUN_NO_MEMORY;
}

/* The next row of state_in, skipping sequence breaks. */
static int next_state(const rt_model *m, double *s, FILE *err)
{
    int st;
    while ((st = rt_rows_step(m->state_in, s, err)) == RT_BREAK)
        ;
    return st;
}

/* A new sequence: the initial state (streaming: reset), then the next
 * start state of state_in, if there is one. */
static int start_sequence(const rt_model *m, run_states *S, FILE *err)
{
    if (m->streaming)
        m->reset(m->ctx);
    if (!m->state_in)
        return RT_RUN_OK;
    if (!S->reuse) {
        int st = next_state(m, S->s, err);
        if (st == RT_ERROR)
            return RT_RUN_BAD_INPUT;
        if (st == RT_END && S->rows != 1) {
            fprintf(err, "%s: error: %llu state%s for more sequences: give one state for every sequence, "
                    "or one per sequence\n", m->state_in->name, S->rows, S->rows == 1 ? "" : "s");
            return RT_RUN_BAD_INPUT;
        }
        if (st == RT_END)
            S->reuse = 1;
        else
            S->rows++;
    }
    m->set_state(m->ctx, S->s);
    return RT_RUN_OK;
}

/* A sequence ended: its final state to state_out, if wanted. */
static int end_sequence(const rt_model *m, run_states *S)
{
    int st;
    if (!m->state_out)
        return RT_RUN_OK;
    m->get_state(m->ctx, S->final);
    if ((st = rt_out_row(m->state_out, S->final)) != RT_RUN_OK)
        return st;
    rt_out_break(m->state_out);
    return RT_RUN_OK;
}

/* The end of the input: state_in must hold no more rows than sequences. */
static int states_finish(const rt_model *m, run_states *S, int status, FILE *err)
{
    if (status == RT_RUN_OK && m->state_in && !S->reuse && S->rows > 1) {
        int st = next_state(m, S->final, err);
        if (st == RT_ERROR)
            status = RT_RUN_BAD_INPUT;
        else if (st == RT_STEP) {
            fprintf(err, "%s: error: more states than the %llu sequences of the input: give one state for every "
                    "sequence, or one per sequence\n", m->state_in->name, S->rows);
            status = RT_RUN_BAD_INPUT;
        }
    }
    free(S->s);
    return status;
}

/* A streaming model: a batch of steps at a time (1 when someone waits). */
static int run_stream(const rt_model *m, rt_rows *in, rt_out *out, FILE *err)
{
    size_t I = (size_t)m->input, O = (size_t)m->output;
    size_t batch = m->chunk > 1 && (rt_is_regular(in->in) || !out->live) ? m->chunk : 1;
    double *x = (double *)malloc((batch * I + 1) * sizeof *x);
    double *y = (double *)malloc(((m->output_last ? 1 : batch) * O + 1) * sizeof *y);
    size_t n = 0, seq = 0;      /* steps in x; steps of the sequence so far */
    int status = RT_RUN_OK, fresh = 1;   /* fresh: no step of this sequence has run */
    run_states S;

    if (!x || !y || states_init(&S, m) != RT_RUN_OK) {
        free(x);
        free(y);
        return RT_RUN_NO_MEMORY;
    }
    for (;;) {
        int st = rt_rows_step(in, x + n * I, err);
        if (st == RT_STEP) {
            n++;
            seq++;
            if (n < batch)
                continue;
        }
        /* the steps read so far, through the model and out */
        if (n > 0) {
            if (fresh && (status = start_sequence(m, &S, err)) != RT_RUN_OK)
                break;
            fresh = 0;
            if (m->run(m->ctx, x, n, y) != 0)
                status = RT_RUN_NO_MEMORY;
            else if (!m->output_last)
                status = write_rows(out, y, n, m->output);
            n = 0;
            if (status != RT_RUN_OK)
                break;
        }
        if (st == RT_STEP)
            continue;
        if (st == RT_ERROR) {
            status = RT_RUN_BAD_INPUT;
            break;
        }
        /* the end of a sequence: its row with output_last, then a new one */
        if (seq > 0) {
            if (m->output_last && (status = write_rows(out, y, 1, m->output)) != RT_RUN_OK)
                break;
            rt_out_break(out);
            if ((status = end_sequence(m, &S)) != RT_RUN_OK)
                break;
            fresh = 1;
            seq = 0;
        }
        if (st == RT_END)
            break;
    }
    free(x);
    free(y);
    return states_finish(m, &S, status, err);
}

/* A model with a backward direction: whole sequences. */
static int run_whole(const rt_model *m, rt_rows *in, rt_out *out, FILE *err)
{
    double *y = NULL;
    size_t y_cap = 0;
    int status = RT_RUN_OK;
    run_states S;

    if (states_init(&S, m) != RT_RUN_OK)
        return RT_RUN_NO_MEMORY;
    for (;;) {
        const double *x;
        long steps = rt_rows_next(in, &x, err);
        size_t rows;
        if (steps <= 0) {
            status = steps < 0 ? RT_RUN_BAD_INPUT : RT_RUN_OK;
            break;
        }
        rows = m->output_last ? 1 : (size_t)steps;
        if (rows * (size_t)m->output > y_cap) {
            double *p;
            if (rows > SIZE_MAX / sizeof(double) / ((size_t)m->output + 1) ||
                (p = (double *)realloc(y, rows * ((size_t)m->output + 1) * sizeof *y)) == NULL) {
                status = RT_RUN_NO_MEMORY;
                break;
            }
            y = p;
            y_cap = rows * ((size_t)m->output + 1);
        }
        if ((status = start_sequence(m, &S, err)) != RT_RUN_OK)
            break;
        if (m->run(m->ctx, x, (size_t)steps, y) != 0) {
            status = RT_RUN_NO_MEMORY;
            break;
        }
        if ((status = write_rows(out, y, rows, m->output)) != RT_RUN_OK)
            break;
        rt_out_break(out);
        if ((status = end_sequence(m, &S)) != RT_RUN_OK)
            break;
    }
    free(y);
    return states_finish(m, &S, status, err);
}

int rt_run(const rt_model *m, rt_rows *in, rt_out *out, FILE *err)
{
    int status;

    out->npy_last = m->output_last;
    if (m->state_out)
        m->state_out->npy_last = 1;   /* [sequences, state] */
    status = m->streaming ? run_stream(m, in, out, err) : run_whole(m, in, out, err);
    out->npy_3d = in->format == RT_NPY && in->npy_ndim == 3;
    return status;
}
