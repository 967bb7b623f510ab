/*
 * ranges.c - ranges files (ranges.h): read, written, checked against a
 * model.
 */
#include "ranges.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

const RangeEntry *ranges_find(const Ranges *r, const char *name)
{
    for (int k = 0; k < r->n; k++)
        if (strcmp(r->e[k].name, name) == 0)
            return &r->e[k];
    return NULL;
}

static RangeEntry *entry(Arena *a, Ranges *r, const char *name)
{
    RangeEntry *e = (RangeEntry *)ranges_find(r, name);
    if (e)
        return e;
    if (r->n == r->cap) {
        int cap = r->cap ? 2 * r->cap : 16;
        RangeEntry *ne = arena_alloc(a, sizeof *ne * (size_t)cap);
        if (r->n)
            memcpy(ne, r->e, sizeof *ne * (size_t)r->n);
        r->e = ne;
        r->cap = cap;
    }
    e = &r->e[r->n++];
    e->name = arena_strdup(a, name);
    e->min = INFINITY;
    e->max = -INFINITY;
    e->count = 0;
    return e;
}

void ranges_note(Arena *a, Ranges *r, const char *name, double v)
{
    RangeEntry *e = entry(a, r, name);
    if (v < e->min)
        e->min = v;
    if (v > e->max)
        e->max = v;
    e->count++;
}

void ranges_write(FILE *f, const Ranges *r)
{
    fprintf(f, "lstmc-ranges 1\n");
    fprintf(f, "# the smallest and largest value of each tensor over the calibration data\n");
    fprintf(f, "model %s\n", r->model);
    for (int k = 0; k < r->n; k++)
        fprintf(f, "%s %.9g %.9g\n", r->e[k].name, r->e[k].min, r->e[k].max);
}

/* The words of a line (at most 4; *n set to how many, 5 for more). */
static int split(char *line, char **w, int *col)
{
    int n = 0;
    char *p = line;
    while (*p) {
        while (*p == ' ' || *p == '\t' || *p == '\r')
            p++;
        if (!*p || *p == '#')
            break;
        if (n == 4)
            return 5;
        col[n] = (int)(p - line) + 1;
        w[n++] = p;
        while (*p && *p != ' ' && *p != '\t' && *p != '\r')
            p++;
        if (*p)
            *p++ = '\0';
    }
    return n;
}

static int number(const char *s, double *v)
{
    char *end;
    errno = 0;
    *v = strtod(s, &end);
    return *end == '\0' && end != s && errno == 0 && isfinite(*v) ? 0 : -1;
}

int ranges_read(Arena *a, const char *path, Ranges *r)
{
    memset(r, 0, sizeof *r);
    r->path = path;
    Source *src = source_read(a, path);
    if (!src)
        return -1;
    char *text = arena_strdup(a, src->text);
    int lineno = 0, seen_magic = 0;
    for (char *line = text; line; ) {
        char *next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        lineno++;
        char *w[4];
        int col[4];
        int n = split(line, w, col);
        Loc at = {src, lineno, n > 0 && n <= 4 ? col[0] : 1, 0};
        if (n == 0) {
            line = next;
            continue;
        }
        if (!seen_magic) {
            if (n != 2 || strcmp(w[0], "lstmc-ranges") != 0 || strcmp(w[1], "1") != 0) {
                diag_error(&at, "not a ranges file: expected 'lstmc-ranges 1' (lstmc calibrate writes them)");
                return -1;
            }
            seen_magic = 1;
        } else if (n == 2 && strcmp(w[0], "model") == 0) {
            r->model = arena_strdup(a, w[1]);
        } else if (n == 3) {
            double lo, hi;
            if (number(w[1], &lo) != 0 || number(w[2], &hi) != 0 || lo > hi) {
                at.col = col[number(w[1], &lo) != 0 ? 1 : 2];
                diag_error(&at, "expected 'NAME MIN MAX' with finite numbers, MIN <= MAX");
                return -1;
            }
            if (ranges_find(r, w[0])) {
                diag_error(&at, "'%s' has a range already", w[0]);
                return -1;
            }
            ranges_note(a, r, w[0], lo);
            ranges_note(a, r, w[0], hi);
        } else {
            diag_error(&at, "expected 'model NAME' or 'NAME MIN MAX'");
            return -1;
        }
        line = next;
    }
    if (!seen_magic) {
        diag_file_error(path, "empty: not a ranges file (lstmc calibrate writes them)");
        return -1;
    }
    if (!r->model) {
        diag_file_error(path, "names no model: expected a line 'model NAME'");
        return -1;
    }
    return 0;
}

/* Whether r has name, reporting it if not. */
static int need(const Ranges *r, const char *name)
{
    if (ranges_find(r, name))
        return 0;
    diag_file_error(r->path ? r->path : "<ranges>", "has no range for '%s': calibrate again with this "
                    "model's spec (lstmc calibrate SPEC DATA -o FILE)", name);
    return -1;
}

int ranges_check(const Ranges *r, const IrModel *m)
{
    char name[300];
    if (strcmp(r->model, m->name) != 0) {
        diag_file_error(r->path ? r->path : "<ranges>", "holds the ranges of model '%s', not '%s'",
                        r->model, m->name);
        return -1;
    }
    if (need(r, "input") != 0)
        return -1;
    for (int n = 0; n < m->nlayers; n++) {
        const IrLayer *L = &m->layers[n];
        snprintf(name, sizeof name, "%s/%s", L->name, L->kind == IR_DENSE ? "pre" : "c");
        if (need(r, name) != 0)
            return -1;
    }
    return 0;
}
