/*
 * lstmc_rows.c - reading and writing the rows format (see lstmc_rows.h).
 *
 * Plain C99 and the C standard library only: this file is compiled into the
 * standalone binaries of `lstmc build` as well as into lstmc itself.
 *
 * Grammar of one line (columns are 1-based bytes, for messages):
 *   line  = ws* (field (sep field)*)? ws* ["\r"] "\n"
 *   sep   = ws* "," ws*  |  ws+
 *   ws    = " " | "\t"
 * A line with nothing but white space is blank and ends a sequence. Each field
 * must be a whole number for strtod (locale "C") and finite.
 */
#include "lstmc_rows.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum { QUOTE_MAX = 32 };    /* longest field quoted in a message */

void rt_rows_init(rt_rows *r, FILE *in, const char *name, int width)
{
    r->in = in;
    r->name = name;
    r->width = width;
    r->line = 0;
    r->buf = NULL;
    r->buf_cap = 0;
    r->vals = NULL;
    r->vals_cap = 0;
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

/* ---- reading lines ---- */

enum { LINE_OK = 1, LINE_EOF = 0, LINE_READ_ERROR = -1, LINE_NO_MEMORY = -2 };

/* Reads one line into r->buf without its "\n" or "\r\n", NUL-terminated, and
 * its length into *len. A last line without "\n" still counts as a line. */
static int read_line(rt_rows *r, size_t *len)
{
    size_t n = 0;
    int c;

    for (;;) {
        c = getc(r->in);
        if (c == EOF || c == '\n')
            break;
        if (n + 2 > r->buf_cap) {
            size_t cap = r->buf_cap ? r->buf_cap * 2 : 256;
            char *p;
            if (cap < r->buf_cap)
                return LINE_NO_MEMORY;
            p = realloc(r->buf, cap);
            if (!p)
                return LINE_NO_MEMORY;
            r->buf = p;
            r->buf_cap = cap;
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

/* ---- messages ---- */

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

/* ---- parsing one line ---- */

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

/* ---- sequences ---- */

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
    p = realloc(r->vals, cap * sizeof(double));
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

static long read_failed(rt_rows *r, FILE *err, int status)
{
    if (status == LINE_NO_MEMORY)
        fprintf(err, "%s: error: out of memory\n", r->name);
    else
        fprintf(err, "%s: error: read error\n", r->name);
    return -1;
}

long rt_rows_next(rt_rows *r, const double **x, FILE *err)
{
    size_t steps = 0, len = 0;
    int status;

    *x = NULL;

    /* blank lines before the sequence */
    do {
        status = read_line(r, &len);
        if (status == LINE_EOF)
            return 0;
        if (status != LINE_OK)
            return read_failed(r, err, status);
    } while (is_blank(r->buf, len));

    /* its lines, up to a blank line or the end of the input */
    for (;;) {
        if (reserve_rows(r, steps + 1) != 0)
            return read_failed(r, err, LINE_NO_MEMORY);
        if (parse_line(r, len, r->vals + steps * (size_t)r->width, err) != 0) {
            skip_sequence(r);
            return -1;
        }
        steps++;

        status = read_line(r, &len);
        if (status == LINE_EOF)
            break;
        if (status != LINE_OK)
            return read_failed(r, err, status);
        if (is_blank(r->buf, len))
            break;
    }

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
