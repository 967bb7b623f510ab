/*
 * safetensors.c - reads and writes .safetensors weight files (see
 * safetensors.h).
 *
 * A weights file is untrusted input: it may be truncated, hand-edited or
 * written by a buggy exporter. So the reader checks every rule of the format
 * and names the tensor that breaks one, the way the reference Rust crate
 * rejects such files, rather than reading garbage weights into a model:
 *
 *   1. the 8-byte header length fits in the file;
 *   2. the header is strict JSON (a small parser below: no trailing text,
 *      no control characters in strings, valid UTF-8, paired surrogates);
 *   3. each tensor has exactly "dtype", "shape" and "data_offsets", with a
 *      known dtype, at most ST_MAX_DIMS non-negative integer dimensions and
 *      begin <= end;
 *   4. end - begin is exactly dtype size x element count, and lies in the
 *      data area;
 *   5. no two tensors share a name or a byte, and every byte of the data
 *      area belongs to some tensor.
 *
 * Checks go on after a bad tensor so that one run reports them all.
 */
#ifndef _POSIX_C_SOURCE
#endif

#include "safetensors.h"
#include "filekind.h"
#include "json.h"

#include <assert.h>
#include <errno.h>
#include <float.h>
#include <inttypes.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ---- dtypes ---- */

/* Indexed by StDtype, so the table and the enum cannot drift apart. */
static const struct {
    const char *name;   /* as spelled in the header */
    int size;           /* bytes per element */
} dtype_info[] = {
    [ST_BOOL] = {"BOOL", 1},       [ST_U8] = {"U8", 1},
    [ST_I8] = {"I8", 1},           [ST_I16] = {"I16", 2},
    [ST_U16] = {"U16", 2},         [ST_I32] = {"I32", 4},
    [ST_U32] = {"U32", 4},         [ST_I64] = {"I64", 8},
    [ST_U64] = {"U64", 8},         [ST_F8_E4M3] = {"F8_E4M3", 1},
    [ST_F8_E5M2] = {"F8_E5M2", 1}, [ST_F16] = {"F16", 2},
    [ST_BF16] = {"BF16", 2},       [ST_F32] = {"F32", 4},
    [ST_F64] = {"F64", 8},
};
_Static_assert(COUNT_OF(dtype_info) == ST_F64 + 1, "one dtype_info per StDtype");

const char *st_dtype_name(StDtype d)
{
    return (unsigned)d < COUNT_OF(dtype_info) ? dtype_info[d].name : "?";
}

int st_dtype_is_float(StDtype d)
{
    return d == ST_F16 || d == ST_BF16 || d == ST_F32 || d == ST_F64;
}

StTensor *st_find(const StFile *f, const char *name)
{
    if (!f->by_name) {   /* an StFile not made by st_parse (tests) */
        for (int i = 0; i < f->ntensors; i++)
            if (strcmp(f->tensors[i].name, name) == 0)
                return &f->tensors[i];
        return NULL;
    }
    int lo = 0, hi = f->ntensors;
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2, r = strcmp(f->by_name[mid]->name, name);
        if (r == 0)
            return f->by_name[mid];
        if (r < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

static int by_tensor_name(const void *a, const void *b)
{
    return strcmp((*(StTensor *const *)a)->name, (*(StTensor *const *)b)->name);
}

/* ---- checking the header ---- */

/* One tensor while it is being checked. */
typedef struct Entry {
    StTensor t;
    const char *shown;      /* the name as printed in messages */
    uint64_t begin, end;    /* data_offsets */
    int ok;                 /* every field valid and inside the data area */
    size_t index;           /* position in the header, for a stable sort */
} Entry;

typedef struct Checker {
    const char *path;
    Arena *tmp;
    const unsigned char *data;   /* the data area */
    size_t data_len;
} Checker;

/* s as it should appear inside '...' in a message: a name with a quote,
 * newline or other control character is escaped so it cannot garble the
 * diagnostic. */
static const char *shown(Arena *a, const char *s, size_t len)
{
    size_t i = 0;
    while (i < len && (unsigned char)s[i] >= 0x20 && s[i] != 0x7F && s[i] != '\'' &&
           s[i] != '\\')
        i++;
    if (i == len)
        return s;
    char *out = arena_alloc(a, 4 * len + 1), *o = out;
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\'' || c == '\\') {
            *o++ = '\\';
            *o++ = (char)c;
        } else if (c < 0x20 || c == 0x7F) {
            static const char hex[] = "0123456789abcdef";
            *o++ = '\\', *o++ = 'x', *o++ = hex[c >> 4], *o++ = hex[c & 15];
        } else {
            *o++ = (char)c;
        }
    }
    *o = '\0';
    return out;
}

/* A number in the header for a message, shortened if it is absurdly long. */
static const char *number_str(Arena *a, const Json *j)
{
    if (j->len > 40)
        return arena_printf(a, "%.20s...", j->str);
    return arena_strndup(a, j->str, j->len);
}

/* shape = '[' dim* ']' with at most ST_MAX_DIMS non-negative dims whose
 * product fits a long. Returns 0 if valid. */
static int check_shape(Checker *c, Entry *e, const Json *shape)
{
    const char *name = e->shown;
    if (shape->kind != JSON_ARRAY) {
        diag_file_error(c->path, "tensor '%s': \"shape\" is %s, expected an array", name,
                        json_kind_name(shape->kind));
        return -1;
    }
    if (shape->nkids > ST_MAX_DIMS) {
        diag_file_error(c->path, "tensor '%s': shape has %zu dimensions, at most %d are supported",
                        name, shape->nkids, ST_MAX_DIMS);
        return -1;
    }
    int bad = 0, i = 0;
    for (const Json *d = shape->kids; d; d = d->next, i++) {
        uint64_t v = 0;
        int r = d->kind == JSON_NUMBER ? json_uint(d, LONG_MAX, &v) : -3;
        if (r == -3)
            diag_file_error(c->path, "tensor '%s': shape element %d is %s, expected an integer",
                            name, i, json_kind_name(d->kind));
        else if (r == -1)
            diag_file_error(c->path, "tensor '%s': shape element %d is %s, not a non-negative integer",
                            name, i, number_str(c->tmp, d));
        else if (r == -2)
            diag_file_error(c->path, "tensor '%s': shape element %d (%s) is too large", name, i,
                            number_str(c->tmp, d));
        if (r != 0)
            bad = 1;
        e->t.shape[i] = (long)v;
    }
    if (bad)
        return -1;
    e->t.ndim = i;
    long count = 1;
    for (i = 0; i < e->t.ndim; i++) {
        long d = e->t.shape[i];
        if (d != 0 && count > LONG_MAX / d) {
            diag_file_error(c->path, "tensor '%s': shape %s has too many elements", name,
                            dims_text(c->tmp, e->t.ndim, e->t.shape));
            return -1;
        }
        count *= d;
    }
    e->t.count = count;
    return 0;
}

/* data_offsets = '[' begin ',' end ']' with begin <= end. Returns 0 if valid. */
static int check_offsets(Checker *c, Entry *e, const Json *offs)
{
    const char *name = e->shown;
    if (offs->kind != JSON_ARRAY) {
        diag_file_error(c->path, "tensor '%s': \"data_offsets\" is %s, expected an array", name,
                        json_kind_name(offs->kind));
        return -1;
    }
    if (offs->nkids != 2) {
        diag_file_error(c->path, "tensor '%s': \"data_offsets\" has %zu elements, expected 2",
                        name, offs->nkids);
        return -1;
    }
    uint64_t v[2] = {0, 0};
    int bad = 0, i = 0;
    for (const Json *o = offs->kids; o; o = o->next, i++) {
        int r = o->kind == JSON_NUMBER ? json_uint(o, UINT64_MAX, &v[i]) : -3;
        if (r == -3)
            diag_file_error(c->path, "tensor '%s': data_offsets element %d is %s, expected an integer",
                            name, i, json_kind_name(o->kind));
        else if (r == -1)
            diag_file_error(c->path,
                            "tensor '%s': data_offsets element %d is %s, not a non-negative integer",
                            name, i, number_str(c->tmp, o));
        else if (r == -2)
            diag_file_error(c->path, "tensor '%s': data_offsets element %d (%s) is too large", name,
                            i, number_str(c->tmp, o));
        if (r != 0)
            bad = 1;
    }
    if (bad)
        return -1;
    e->begin = v[0];
    e->end = v[1];
    if (e->begin > e->end) {
        diag_file_error(c->path, "tensor '%s': data_offsets [%" PRIu64 ", %" PRIu64 "] have begin > end",
                        name, e->begin, e->end);
        return -1;
    }
    return 0;
}

/* tensor = '{' "dtype": string, "shape": shape, "data_offsets": offsets '}'
 * in any order. Sets e->ok if the tensor is valid and inside the data area. */
static void check_tensor(Checker *c, Entry *e, const Json *v)
{
    static const char *const keys[] = {"dtype", "shape", "data_offsets"};
    const char *name = e->shown;
    if (v->kind != JSON_OBJECT) {
        diag_file_error(c->path, "tensor '%s' is %s, expected an object", name, json_kind_name(v->kind));
        return;
    }
    const Json *field[COUNT_OF(keys)] = {NULL, NULL, NULL};
    int bad = 0;
    for (const Json *m = v->kids; m; m = m->next) {
        size_t k = 0;
        while (k < COUNT_OF(keys) && !json_key_is(m, keys[k]))
            k++;
        if (k < COUNT_OF(keys) && field[k]) {
            diag_file_error(c->path, "tensor '%s': duplicate key \"%s\"", name, keys[k]);
            bad = 1;
        } else if (k < COUNT_OF(keys)) {
            field[k] = m;
        } else {
            const char *key = shown(c->tmp, m->key, m->keylen);
            const char *near = nearest_word(key, keys, COUNT_OF(keys));
            if (near)
                diag_file_error(c->path, "tensor '%s': unknown key \"%s\" (did you mean \"%s\"?)",
                                name, key, near);
            else
                diag_file_error(c->path, "tensor '%s': unknown key \"%s\"", name, key);
            bad = 1;
        }
    }
    for (size_t k = 0; k < COUNT_OF(keys); k++) {
        if (!field[k]) {
            diag_file_error(c->path, "tensor '%s': missing \"%s\"", name, keys[k]);
            bad = 1;
        }
    }

    const Json *dtype = field[0];
    if (dtype && dtype->kind != JSON_STRING) {
        diag_file_error(c->path, "tensor '%s': \"dtype\" is %s, expected a string", name,
                        json_kind_name(dtype->kind));
        bad = 1;
    } else if (dtype) {
        size_t d = 0;
        while (d < COUNT_OF(dtype_info) && !(strlen(dtype_info[d].name) == dtype->len &&
                                             memcmp(dtype_info[d].name, dtype->str, dtype->len) == 0))
            d++;
        if (d == COUNT_OF(dtype_info)) {
            diag_file_error(c->path, "tensor '%s': unknown dtype '%s'", name,
                            shown(c->tmp, dtype->str, dtype->len));
            bad = 1;
        }
        e->t.dtype = (StDtype)d;
    }
    if (field[1] && check_shape(c, e, field[1]) != 0)
        bad = 1;
    if (field[2] && check_offsets(c, e, field[2]) != 0)
        bad = 1;
    if (bad)
        return;

    /* The two ways the offsets can be wrong are independent; report both. */
    uint64_t size = (uint64_t)dtype_info[e->t.dtype].size;
    uint64_t have = e->end - e->begin;
    if ((uint64_t)e->t.count > UINT64_MAX / size) {
        diag_file_error(c->path, "tensor '%s': %s %s needs more than 2^64 bytes", name,
                        st_dtype_name(e->t.dtype), dims_text(c->tmp, e->t.ndim, e->t.shape));
        bad = 1;
    } else if ((uint64_t)e->t.count * size != have) {
        diag_file_error(c->path,
                        "tensor '%s': data_offsets [%" PRIu64 ", %" PRIu64 "] hold %" PRIu64
                        " bytes, but %s %s needs %" PRIu64,
                        name, e->begin, e->end, have, st_dtype_name(e->t.dtype),
                        dims_text(c->tmp, e->t.ndim, e->t.shape), (uint64_t)e->t.count * size);
        bad = 1;
    }
    if (e->end > c->data_len) {
        diag_file_error(c->path,
                        "tensor '%s': data_offsets [%" PRIu64 ", %" PRIu64
                        "] go beyond the data area (%zu bytes)",
                        name, e->begin, e->end, c->data_len);
        bad = 1;
    }
    if (bad)
        return;
    e->t.raw = c->data + e->begin;
    e->ok = 1;
}

static int by_key(const void *a, const void *b)
{
    const Json *x = *(const Json *const *)a, *y = *(const Json *const *)b;
    int r = memcmp(x->key, y->key, x->keylen < y->keylen ? x->keylen : y->keylen);
    if (r == 0 && x->keylen != y->keylen)
        r = x->keylen < y->keylen ? -1 : 1;
    return r ? r : (x->pos > y->pos) - (x->pos < y->pos);
}

static int same_key(const Json *x, const Json *y)
{
    return x->keylen == y->keylen && memcmp(x->key, y->key, x->keylen) == 0;
}

/* metadata = '{' (string ':' string)* '}' with distinct keys. Duplicates are
 * found by sorting, so a hostile header cannot make this quadratic.
 * Returns 0 if valid. */
static int check_metadata(Checker *c, const Json *meta)
{
    if (meta->kind != JSON_OBJECT) {
        diag_file_error(c->path, "\"__metadata__\" is %s, expected an object", json_kind_name(meta->kind));
        return -1;
    }
    int bad = 0;
    const Json **sorted = arena_alloc(c->tmp, meta->nkids * sizeof *sorted);
    size_t n = 0;
    for (const Json *m = meta->kids; m; m = m->next) {
        const char *key = shown(c->tmp, m->key, m->keylen);
        sorted[n++] = m;
        if (memchr(m->key, '\0', m->keylen)) {
            diag_file_error(c->path, "__metadata__ key '%s' contains \\u0000", key);
            bad = 1;
        }
        if (m->kind != JSON_STRING) {
            diag_file_error(c->path, "__metadata__ value for '%s' is %s, expected a string", key,
                            json_kind_name(m->kind));
            bad = 1;
        } else if (memchr(m->str, '\0', m->len)) {
            diag_file_error(c->path, "__metadata__ value for '%s' contains \\u0000", key);
            bad = 1;
        }
    }
    qsort(sorted, n, sizeof *sorted, by_key);
    for (size_t i = 1; i < n; i++) {
        if (same_key(sorted[i - 1], sorted[i]) && (i < 2 || !same_key(sorted[i - 2], sorted[i]))) {
            diag_file_error(c->path, "duplicate __metadata__ key '%s'",
                            shown(c->tmp, sorted[i]->key, sorted[i]->keylen));
            bad = 1;
        }
    }
    return bad ? -1 : 0;
}

static int by_name(const void *a, const void *b)
{
    const Entry *x = *(const Entry *const *)a, *y = *(const Entry *const *)b;
    int r = strcmp(x->t.name, y->t.name);
    return r ? r : (x->index > y->index) - (x->index < y->index);
}

static int by_offset(const void *a, const void *b)
{
    const Entry *x = *(const Entry *const *)a, *y = *(const Entry *const *)b;
    if (x->begin != y->begin)
        return x->begin < y->begin ? -1 : 1;
    if (x->end != y->end)
        return x->end < y->end ? -1 : 1;
    return (x->index > y->index) - (x->index < y->index);
}

/* Reports each name that appears more than once, once. */
static void check_duplicates(Checker *c, Entry **sorted, size_t n)
{
    qsort(sorted, n, sizeof *sorted, by_name);
    for (size_t i = 1; i < n; i++)
        if (strcmp(sorted[i - 1]->t.name, sorted[i]->t.name) == 0 &&
            (i < 2 || strcmp(sorted[i - 2]->t.name, sorted[i]->t.name) != 0))
            diag_file_error(c->path, "duplicate tensor name '%s'", sorted[i]->shown);
}

/* Walks the tensors in offset order, keeping the one that reaches furthest:
 * a tensor starting before that one ends overlaps it, one starting after it
 * leaves a gap. Empty tensors hold no bytes, so they can do neither. */
static void check_layout(Checker *c, Entry **sorted, size_t n, int check_gaps)
{
    const Entry *reach = NULL;
    uint64_t uncovered = 0, gap_begin = 0, gap_end = 0;
    for (size_t i = 0; i < n; i++) {
        const Entry *e = sorted[i];
        uint64_t covered = reach ? reach->end : 0;
        if (e->begin == e->end)
            continue;
        if (e->begin < covered) {
            diag_file_error(c->path,
                            "tensors '%s' and '%s' overlap (bytes [%" PRIu64 ", %" PRIu64
                            ") and [%" PRIu64 ", %" PRIu64 "))",
                            reach->shown, e->shown, reach->begin, reach->end, e->begin, e->end);
        } else if (e->begin > covered) {
            if (!uncovered)
                gap_begin = covered, gap_end = e->begin;
            uncovered += e->begin - covered;
        }
        if (!reach || e->end > reach->end)
            reach = e;
    }
    uint64_t covered = reach ? reach->end : 0;
    if (covered < c->data_len) {
        if (!uncovered)
            gap_begin = covered, gap_end = c->data_len;
        uncovered += c->data_len - covered;
    }
    if (check_gaps && uncovered)
        diag_file_error(c->path,
                        "%" PRIu64 " bytes of the data area are not covered by any tensor "
                        "(the first gap is bytes [%" PRIu64 ", %" PRIu64 "))",
                        uncovered, gap_begin, gap_end);
}

static uint64_t read_u64le(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

/* Checks the header against the rules in the comment at the top of the
 * file, then copies what the caller keeps into a. */
/* A file that fails as safetensors from its first bytes may be a model in
 * another format: if so, says which and how to convert it (returns 1). */
static int other_format(const char *path, const unsigned char *bytes, size_t len)
{
    FileKind k = fk_guess(bytes, len);
    if (k == FK_SAFETENSORS || k == FK_UNKNOWN || (k == FK_TEXT && len < 8))
        return 0;
    const char *hint = fk_weights_hint(k);
    diag_file_error(path, "not a safetensors file: it is %s%s%s", fk_name(k), hint[0] ? "; " : "",
                    hint);
    return 1;
}

StFile *st_parse(Arena *a, const char *path, const unsigned char *bytes, size_t len)
{
    if (len < 8) {
        if (!other_format(path, bytes, len))
            diag_file_error(path, "file is %zu bytes, too short for the 8-byte header length",
                            len);
        return NULL;
    }
    uint64_t hlen = read_u64le(bytes);
    if (hlen > len - 8) {
        if (other_format(path, bytes, len))
            return NULL;
        diag_file_error(path, "header length %" PRIu64 " goes beyond the end of the file (%zu bytes)",
                        hlen, len);
        return NULL;
    }
    if (hlen > ST_MAX_HEADER) {
        diag_file_error(path, "header length %" PRIu64 " is more than lstmc reads (%" PRIu64
                        " bytes)", hlen, ST_MAX_HEADER);
        return NULL;
    }

    Arena tmp = {0};
    const char *json_err;
    size_t json_err_pos;
    Json *top = json_parse(&tmp, bytes + 8, (size_t)hlen, &json_err, &json_err_pos);
    if (!top && other_format(path, bytes, len)) {
        arena_free(&tmp);
        return NULL;
    }
    if (!top) {
        diag_file_error(path, "header is not valid JSON: %s at byte %zu", json_err, json_err_pos);
        arena_free(&tmp);
        return NULL;
    }
    if (top->kind != JSON_OBJECT) {
        diag_file_error(path, "header is %s, expected a JSON object", json_kind_name(top->kind));
        arena_free(&tmp);
        return NULL;
    }
    if (top->nkids > INT_MAX) {
        diag_file_error(path, "header lists %zu tensors, more than lstmc can handle", top->nkids);
        arena_free(&tmp);
        return NULL;
    }

    int errors = diag_errors();
    Checker c = {path, &tmp, bytes + 8 + hlen, len - 8 - (size_t)hlen};
    Entry *entries = arena_alloc(&tmp, top->nkids * sizeof *entries);
    Entry **sorted = arena_alloc(&tmp, top->nkids * sizeof *sorted);
    const Json *meta = NULL;
    size_t n = 0;
    for (const Json *m = top->kids; m; m = m->next) {
        if (json_key_is(m, "__metadata__")) {
            if (meta)
                diag_file_error(path, "duplicate \"__metadata__\"");
            else
                meta = m;
            check_metadata(&c, m);
            continue;
        }
        Entry *e = &entries[n];
        e->t.name = m->key;
        e->shown = shown(&tmp, m->key, m->keylen);
        e->index = n;
        sorted[n++] = e;
        if (memchr(m->key, '\0', m->keylen))
            diag_file_error(path, "tensor name '%s' contains \\u0000", e->shown);
        check_tensor(&c, e, m);
    }
    check_duplicates(&c, sorted, n);

    /* Overlaps are meaningful among the valid tensors whatever else is
     * wrong; gaps only when no tensor was left out. */
    int clean = diag_errors() == errors;
    size_t nok = 0;
    for (size_t i = 0; i < n; i++)
        if (entries[i].ok)
            sorted[nok++] = &entries[i];
    qsort(sorted, nok, sizeof *sorted, by_offset);
    check_layout(&c, sorted, nok, clean);
    if (diag_errors() != errors) {
        arena_free(&tmp);
        return NULL;
    }

    StFile *f = arena_alloc(a, sizeof *f);
    f->path = arena_strdup(a, path);
    f->ntensors = (int)n;
    f->tensors = arena_alloc(a, n * sizeof *f->tensors);
    f->by_name = arena_alloc(a, n * sizeof *f->by_name);
    for (size_t i = 0; i < n; i++) {
        f->tensors[i] = sorted[i]->t;
        f->tensors[i].name = arena_strdup(a, sorted[i]->t.name);
        f->by_name[i] = &f->tensors[i];
    }
    qsort(f->by_name, n, sizeof *f->by_name, by_tensor_name);
    if (meta) {
        f->nmeta = (int)meta->nkids;
        f->meta_keys = arena_alloc(a, meta->nkids * sizeof *f->meta_keys);
        f->meta_values = arena_alloc(a, meta->nkids * sizeof *f->meta_values);
        int i = 0;
        for (const Json *m = meta->kids; m; m = m->next, i++) {
            f->meta_keys[i] = arena_strdup(a, m->key);
            f->meta_values[i] = arena_strdup(a, m->str);
        }
    }
    arena_free(&tmp);
    return f;
}

StFile *st_read(Arena *a, const char *path)
{
    size_t len;
    const unsigned char *bytes = file_map(a, path, SIZE_MAX, "weights", &len);
    return bytes ? st_parse(a, path, bytes, len) : NULL;
}

/* ---- converting to float ---- */

/* Each returns the value's float32 bits; the caller checks for NaN and
 * infinity on the source bits, so the conversions need not. */

/* F16: 1 sign, 5 exponent (bias 15), 10 mantissa bits. Every half is a
 * float exactly: widen the exponent (bias 127) and the mantissa. A
 * subnormal half (exponent 0) is normal as a float: shift its mantissa up
 * to the implicit 1 and lower the exponent to match. */
static uint32_t f16_bits(uint32_t h)
{
    uint32_t sign = (h & 0x8000u) << 16, exp = h >> 10 & 0x1Fu, mant = h & 0x3FFu;
    if (exp == 0x1F)
        return sign | 0x7F800000u | mant << 13;
    if (exp != 0)
        return sign | (exp + 127 - 15) << 23 | mant << 13;
    if (mant == 0)
        return sign;
    /* mant x 2^-24 = 1.f x 2^(e-127) after k shifts with e = 113 - k. */
    uint32_t e = 127 - 15 + 1;
    while (!(mant & 0x400u)) {
        mant <<= 1;
        e--;
    }
    return sign | e << 23 | (mant & 0x3FFu) << 13;
}

static uint32_t bits32(float x)
{
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    return u;
}

/* F64 rounds to nearest float. Beyond FLT_MAX is out of the range of the C
 * conversion (undefined), so handle it here: below FLT_MAX + half an ulp
 * (0x1.ffffffp+127) it rounds down to FLT_MAX, from there (a tie rounds to
 * even, which is infinity) it is too large. Returns -1 when too large. */
static int f64_to_float(double d, float *out)
{
    double lim = 0x1.ffffffp+127;
    if (d >= lim || d <= -lim)
        return -1;
    if (d > FLT_MAX)
        *out = FLT_MAX;
    else if (d < -FLT_MAX)
        *out = -FLT_MAX;
    else
        *out = (float)d;
    return 0;
}

/* Element i of t as float32 bits; -1 if it is NaN, infinite or (from F64)
 * too large for a float. */
static int element_bits(const StTensor *t, long i, uint32_t *bits)
{
    const unsigned char *p = t->raw;
    uint32_t u;
    switch (t->dtype) {
    case ST_F16:
        u = (uint32_t)p[2 * i] | (uint32_t)p[2 * i + 1] << 8;
        if ((u & 0x7C00u) == 0x7C00u)
            return -1;
        *bits = f16_bits(u);
        return 0;
    case ST_BF16:
        /* BF16 is the top half of a float32. */
        u = ((uint32_t)p[2 * i] | (uint32_t)p[2 * i + 1] << 8) << 16;
        break;
    case ST_F32:
        u = (uint32_t)p[4 * i] | (uint32_t)p[4 * i + 1] << 8 |
            (uint32_t)p[4 * i + 2] << 16 | (uint32_t)p[4 * i + 3] << 24;
        break;
    default: {   /* ST_F64 */
        uint64_t v = read_u64le(p + 8 * i);
        double d;
        float x;
        if ((v & UINT64_C(0x7FF0000000000000)) == UINT64_C(0x7FF0000000000000))
            return -1;
        memcpy(&d, &v, sizeof d);
        if (f64_to_float(d, &x) != 0)
            return -1;
        *bits = bits32(x);
        return 0;
    }
    }
    if ((u & 0x7F800000u) == 0x7F800000u)
        return -1;
    *bits = u;
    return 0;
}

int st_to_float(const StTensor *t, float *out, long *bad_index)
{
    *bad_index = -1;
    if (!st_dtype_is_float(t->dtype))
        return -1;   /* the caller should have checked st_dtype_is_float */
    for (long i = 0; i < t->count; i++) {
        uint32_t u;
        if (element_bits(t, i, &u) != 0) {
            *bad_index = i;
            return -1;
        }
        memcpy(&out[i], &u, sizeof u);
    }
    return 0;
}

/* ---- writing ---- */

/* A growing string, for the header. */
typedef struct Buf {
    char *p;
    size_t len, cap;
} Buf;

static void buf_add(Buf *b, const char *s, size_t n)
{
    if (b->cap - b->len < n + 1) {
        while (b->cap - b->len < n + 1)
            b->cap = b->cap ? 2 * b->cap : 256;
        b->p = mem_realloc(b->p, b->cap);
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void buf_printf(Buf *b, const char *fmt, ...) PRINTF_LIKE(2, 3);
static void buf_printf(Buf *b, const char *fmt, ...)
{
    char tmp[64];   /* enough: only numbers and short escapes go through here */
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    assert(n >= 0 && (size_t)n < sizeof tmp);
    buf_add(b, tmp, (size_t)n);
}

/* s as a JSON string: quotes, backslashes and control characters escaped;
 * other bytes (UTF-8) as they are. */
static void buf_json_string(Buf *b, const char *s)
{
    buf_add(b, "\"", 1);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            char esc[2] = {'\\', (char)c};
            buf_add(b, esc, 2);
        } else if (c < 0x20) {
            buf_printf(b, "\\u%04x", c);
        } else {
            buf_add(b, (const char *)&c, 1);
        }
    }
    buf_add(b, "\"", 1);
}

static void put_u32le(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> 8 * i);
}

/* Writes everything to f; returns 0, or -1 with errno set. */
static int write_contents(FILE *f, const Buf *h, int n, const long *counts,
                          const float *const *data)
{
    unsigned char len8[8];
    for (int i = 0; i < 8; i++)
        len8[i] = (unsigned char)((uint64_t)h->len >> 8 * i);
    if (fwrite(len8, 1, 8, f) != 8 || fwrite(h->p, 1, h->len, f) != h->len)
        return -1;
    unsigned char chunk[4096];
    for (int k = 0; k < n; k++) {
        size_t used = 0;
        for (long i = 0; i < counts[k]; i++) {
            put_u32le(chunk + used, bits32(data[k][i]));
            used += 4;
            if (used == sizeof chunk || i == counts[k] - 1) {
                if (fwrite(chunk, 1, used, f) != used)
                    return -1;
                used = 0;
            }
        }
    }
    return fflush(f) == 0 ? 0 : -1;
}

/* The header is built in memory first, so the only failures left are
 * those of the file system; OutFile renames the file into place only once
 * all of it is written. */
int st_write_f32(const char *path, int n, const char *const *names,
                 const int *ndims, const long (*shapes)[ST_MAX_DIMS],
                 const float *const *data)
{
    Buf h = {0};
    long *counts = mem_alloc((size_t)(n > 0 ? n : 1) * sizeof *counts);
    uint64_t off = 0;
    buf_add(&h, "{", 1);
    for (int k = 0; k < n; k++) {
        long count = 1;
        for (int i = 0; i < ndims[k]; i++)
            count *= shapes[k][i];
        counts[k] = count;
        buf_add(&h, k ? "," : "", k ? 1 : 0);
        buf_json_string(&h, names[k]);
        buf_add(&h, ":{\"dtype\":\"F32\",\"shape\":[", 25);
        for (int i = 0; i < ndims[k]; i++)
            buf_printf(&h, "%s%ld", i ? "," : "", shapes[k][i]);
        buf_printf(&h, "],\"data_offsets\":[%" PRIu64 ",", off);
        off += (uint64_t)count * 4;
        buf_printf(&h, "%" PRIu64 "]}", off);
    }
    buf_add(&h, "}", 1);
    /* Pad so the data area starts 8-aligned, as the Python writer does. */
    while (h.len % 8)
        buf_add(&h, " ", 1);

    OutFile out;
    int rc = -1;
    if (outfile_open(&out, path) == 0) {
        if (write_contents(out.f, &h, n, counts, data) == 0)
            rc = outfile_commit(&out);
        else {
            diag_file_error(path, "cannot write: %s", strerror(errno));
            outfile_discard(&out);
        }
    }
    mem_free(counts);
    mem_free(h.p);
    return rc;
}
