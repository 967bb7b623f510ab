/*
 * json.c - a small, strict JSON parser for the headers of weight files (see
 * json.h): no trailing text, no control characters in strings, valid UTF-8,
 * paired surrogates, bounded nesting. Anything lenient here would let a
 * malformed file through as a model with garbage weights.
 */
#include "json.h"

#include <stdint.h>
#include <string.h>


/* Our schema nests three deep; anything far deeper is an attack on the
 * stack, not a weights file. */
enum { JSON_MAX_DEPTH = 64 };
/* A value costs a node of about 80 bytes however short its text ("0,"):
 * the count bounds the tree at about 80 MB whatever the header holds (a
 * real header has about ten values per tensor). */
enum { JSON_MAX_VALUES = 1000000 };

typedef struct Parser {
    const unsigned char *s;   /* the header, not NUL-terminated */
    size_t len, pos;
    Arena *arena;             /* where the tree goes */
    int depth;
    long nvalues;
    const char *err;          /* the first error, or NULL */
    size_t err_pos;
} Parser;

static Json *parse_value(Parser *p);

static Json *json_fail(Parser *p, size_t pos, const char *msg)
{
    if (!p->err) {
        p->err = msg;
        p->err_pos = pos;
    }
    return NULL;
}

static int peek(const Parser *p)
{
    return p->pos < p->len ? p->s[p->pos] : -1;
}

static void skip_ws(Parser *p)
{
    while (p->pos < p->len && (p->s[p->pos] == ' ' || p->s[p->pos] == '\t' ||
                               p->s[p->pos] == '\n' || p->s[p->pos] == '\r'))
        p->pos++;
}

static Json *new_json(Parser *p, JsonKind kind, size_t pos)
{
    Json *j = arena_alloc(p->arena, sizeof *j);
    j->kind = kind;
    j->pos = pos;
    return j;
}

/* The length of the valid UTF-8 sequence at s (n bytes available), or 0 if
 * it is not one: overlong forms, surrogates and code points above U+10FFFF
 * are invalid. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    uint32_t cp, min;
    size_t len;
    if (s[0] >= 0xC2 && s[0] <= 0xDF) {
        len = 2, cp = s[0] & 0x1Fu, min = 0x80;
    } else if (s[0] >= 0xE0 && s[0] <= 0xEF) {
        len = 3, cp = s[0] & 0x0Fu, min = 0x800;
    } else if (s[0] >= 0xF0 && s[0] <= 0xF4) {
        len = 4, cp = s[0] & 0x07u, min = 0x10000;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3Fu);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return len;
}

static size_t utf8_put(char *out, uint32_t cp)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | cp >> 6);
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | cp >> 12);
        out[1] = (char)(0x80 | (cp >> 6 & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | cp >> 18);
    out[1] = (char)(0x80 | (cp >> 12 & 0x3F));
    out[2] = (char)(0x80 | (cp >> 6 & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* The 4 hex digits at s as a number, or -1. */
static long hex4(const unsigned char *s)
{
    long v = 0;
    for (int i = 0; i < 4; i++) {
        int c = s[i], d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            d = c - 'A' + 10;
        else
            return -1;
        v = v * 16 + d;
    }
    return v;
}

/* string = '"' (char | '\' escape)* '"'
 * escape = ["\/bfnrt] | 'u' hex hex hex hex   (a surrogate pair is two) */
static Json *parse_string(Parser *p)
{
    size_t start = p->pos;
    /* Find the closing quote first: the decoded text is never longer than
     * the raw text, so that sizes the buffer. */
    size_t end = start + 1;
    while (end < p->len && p->s[end] != '"')
        end += p->s[end] == '\\' ? 2 : 1;
    if (end >= p->len)
        return json_fail(p, start, "unterminated string");

    char *out = arena_alloc(p->arena, end - start);
    size_t n = 0;
    p->pos = start + 1;
    while (p->pos < end) {
        const unsigned char *c = p->s + p->pos;
        if (c[0] < 0x20)
            return json_fail(p, p->pos, "control character in string");
        if (c[0] >= 0x80) {
            size_t k = utf8_seq(c, end - p->pos);
            if (!k)
                return json_fail(p, p->pos, "invalid UTF-8 in string");
            memcpy(out + n, c, k);
            n += k;
            p->pos += k;
            continue;
        }
        if (c[0] != '\\') {
            out[n++] = (char)c[0];
            p->pos++;
            continue;
        }
        /* The scan above guarantees c[1] is inside the string. */
        const char *simple = strchr("\"\\/bfnrt", c[1]);
        if (simple && c[1]) {
            static const char decoded[] = "\"\\/\b\f\n\r\t";
            out[n++] = decoded[simple - "\"\\/bfnrt"];
            p->pos += 2;
            continue;
        }
        if (c[1] != 'u')
            return json_fail(p, p->pos, "invalid escape");
        long cp = p->pos + 6 <= end ? hex4(c + 2) : -1;
        if (cp < 0)
            return json_fail(p, p->pos, "invalid \\u escape");
        size_t esc = 6;
        if (cp >= 0xD800 && cp <= 0xDBFF) {
            /* A high surrogate must be followed by an escaped low one. */
            long lo = p->pos + 12 <= end && c[6] == '\\' && c[7] == 'u'
                          ? hex4(c + 8) : -1;
            if (lo < 0xDC00 || lo > 0xDFFF)
                return json_fail(p, p->pos, "unpaired surrogate in \\u escape");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            esc = 12;
        } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            return json_fail(p, p->pos, "unpaired surrogate in \\u escape");
        }
        n += utf8_put(out + n, (uint32_t)cp);
        p->pos += esc;
    }
    p->pos = end + 1;
    out[n] = '\0';
    Json *j = new_json(p, JSON_STRING, start);
    j->str = out;
    j->len = n;
    return j;
}

static int is_digit(int c)
{
    return c >= '0' && c <= '9';
}

/* number = '-'? ('0' | [1-9] [0-9]*) ('.' [0-9]+)? ([eE] [+-]? [0-9]+)?
 * Kept as text; the checks decide which numbers they accept. */
static Json *parse_number(Parser *p)
{
    size_t start = p->pos;
    if (peek(p) == '-')
        p->pos++;
    if (peek(p) == '0') {
        p->pos++;
    } else if (is_digit(peek(p))) {
        while (is_digit(peek(p)))
            p->pos++;
    } else {
        return json_fail(p, start, "invalid number");
    }
    if (peek(p) == '.') {
        p->pos++;
        if (!is_digit(peek(p)))
            return json_fail(p, start, "invalid number");
        while (is_digit(peek(p)))
            p->pos++;
    }
    if (peek(p) == 'e' || peek(p) == 'E') {
        p->pos++;
        if (peek(p) == '+' || peek(p) == '-')
            p->pos++;
        if (!is_digit(peek(p)))
            return json_fail(p, start, "invalid number");
        while (is_digit(peek(p)))
            p->pos++;
    }
    Json *j = new_json(p, JSON_NUMBER, start);
    j->str = (const char *)p->s + start;
    j->len = p->pos - start;
    return j;
}

static Json *parse_literal(Parser *p, const char *word, JsonKind kind)
{
    size_t n = strlen(word);
    if (p->len - p->pos < n || memcmp(p->s + p->pos, word, n) != 0)
        return json_fail(p, p->pos, "expected a value");
    Json *j = new_json(p, kind, p->pos);
    p->pos += n;
    return j;
}

/* array = '[' (value (',' value)*)? ']' */
static Json *parse_array(Parser *p)
{
    Json *arr = new_json(p, JSON_ARRAY, p->pos);
    Json **tail = &arr->kids;
    p->pos++;
    skip_ws(p);
    if (peek(p) == ']') {
        p->pos++;
        return arr;
    }
    for (;;) {
        Json *v = parse_value(p);
        if (!v)
            return NULL;
        *tail = v;
        tail = &v->next;
        arr->nkids++;
        skip_ws(p);
        if (peek(p) == ']') {
            p->pos++;
            return arr;
        }
        if (peek(p) != ',')
            return json_fail(p, p->pos, "expected ',' or ']'");
        p->pos++;
    }
}

/* object = '{' (member (',' member)*)? '}'
 * member = string ':' value */
static Json *parse_object(Parser *p)
{
    Json *obj = new_json(p, JSON_OBJECT, p->pos);
    Json **tail = &obj->kids;
    p->pos++;
    skip_ws(p);
    if (peek(p) == '}') {
        p->pos++;
        return obj;
    }
    for (;;) {
        skip_ws(p);
        if (peek(p) != '"')
            return json_fail(p, p->pos, "expected a key in quotes");
        Json *key = parse_string(p);
        if (!key)
            return NULL;
        skip_ws(p);
        if (peek(p) != ':')
            return json_fail(p, p->pos, "expected ':'");
        p->pos++;
        Json *v = parse_value(p);
        if (!v)
            return NULL;
        v->key = key->str;
        v->keylen = key->len;
        *tail = v;
        tail = &v->next;
        obj->nkids++;
        skip_ws(p);
        if (peek(p) == '}') {
            p->pos++;
            return obj;
        }
        if (peek(p) != ',')
            return json_fail(p, p->pos, "expected ',' or '}'");
        p->pos++;
    }
}

/* value = object | array | string | number | "true" | "false" | "null" */
static Json *parse_value(Parser *p)
{
    skip_ws(p);
    if (++p->nvalues > JSON_MAX_VALUES)
        return json_fail(p, p->pos, "more than 1000000 values");
    int c = peek(p);
    if (c == '{' || c == '[') {
        if (p->depth >= JSON_MAX_DEPTH)
            return json_fail(p, p->pos, "nested too deeply");
        p->depth++;
        Json *j = c == '{' ? parse_object(p) : parse_array(p);
        p->depth--;
        return j;
    }
    if (c == '"')
        return parse_string(p);
    if (c == '-' || is_digit(c))
        return parse_number(p);
    if (c == 't')
        return parse_literal(p, "true", JSON_TRUE);
    if (c == 'f')
        return parse_literal(p, "false", JSON_FALSE);
    if (c == 'n')
        return parse_literal(p, "null", JSON_NULL);
    return json_fail(p, p->pos, "expected a value");
}

/* header = ws value ws, and nothing else (the format pads with spaces). */
static Json *parse_document(Parser *p)
{
    Json *j = parse_value(p);
    if (!j)
        return NULL;
    skip_ws(p);
    if (p->pos < p->len)
        return json_fail(p, p->pos, "unexpected text after the end");
    return j;
}

const char *json_kind_name(JsonKind k)
{
    switch (k) {
    case JSON_NULL: return "null";
    case JSON_FALSE:
    case JSON_TRUE: return "a boolean";
    case JSON_NUMBER: return "a number";
    case JSON_STRING: return "a string";
    case JSON_ARRAY: return "an array";
    case JSON_OBJECT: return "an object";
    }
    return "?";
}

int json_key_is(const Json *member, const char *key)
{
    return member->keylen == strlen(key) && memcmp(member->key, key, member->keylen) == 0;
}

/* The value of a number that must be a non-negative integer no larger than
 * max: 0, or -1 if it is not such an integer, -2 if it is too large. */
int json_uint(const Json *j, uint64_t max, uint64_t *out)
{
    uint64_t v = 0;
    for (size_t i = 0; i < j->len; i++) {
        if (!is_digit(j->str[i]))
            return -1;   /* '-', '.', 'e': negative or not an integer */
        unsigned d = (unsigned)(j->str[i] - '0');
        if (v > (max - d) / 10)
            return -2;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

Json *json_parse(Arena *a, const unsigned char *s, size_t len, const char **err,
                 size_t *err_pos)
{
    Parser p = {.s = s, .len = len, .arena = a};
    Json *j = parse_document(&p);
    *err = p.err;
    *err_pos = p.err_pos;
    return j;
}
