/*
 * util.c - memory, source files and diagnostics (see util.h).
 */
#include "util.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "filekind.h"

/* ---- memory ---- */

/* LSTMC_FAIL_ALLOC=N makes the Nth allocation (1-based) fail: the tests use it
 * to check that running out of memory is reported, not a crash. */
static long alloc_count;
static long alloc_fail_at = -1;

static void out_of_memory_check(void)
{
    if (alloc_fail_at < 0) {
        const char *s = getenv("LSTMC_FAIL_ALLOC");
        alloc_fail_at = s ? strtol(s, NULL, 10) : 0;
    }
    if (++alloc_count == alloc_fail_at)
        diag_fatal("out of memory");
}

void *mem_alloc(size_t size)
{
    out_of_memory_check();
    void *p = malloc(size ? size : 1);
    if (!p)
        diag_fatal("out of memory");
    return p;
}

void *mem_realloc(void *p, size_t size)
{
    out_of_memory_check();
    void *q = realloc(p, size ? size : 1);
    if (!q)
        diag_fatal("out of memory");
    return q;
}

void mem_free(void *p)
{
    free(p);
}

char *mem_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    return memcpy(mem_alloc(n), s, n);
}

int size_mul(long a, long b, long max, long *out)
{
    if (a < 0 || b < 0 || (b != 0 && a > max / b))
        return -1;
    *out = a * b;
    return 0;
}

int size_add(long a, long b, long max, long *out)
{
    if (a < 0 || b < 0 || a > max - b)
        return -1;
    *out = a + b;
    return 0;
}

/* A chunk of an arena; a chunk with map set holds no data but a mapped
 * file (file_map), unmapped by arena_free(). */
struct ArenaChunk {
    ArenaChunk *next;
    size_t used, cap;
    void *map;
    size_t map_len;
    _Alignas(16) unsigned char data[];
};

enum { ARENA_CHUNK = 64 * 1024 };

void *arena_alloc(Arena *a, size_t size)
{
    if (size > SIZE_MAX - 15)
        diag_fatal("out of memory");
    size = (size + 15) & ~(size_t)15;
    ArenaChunk *c = a->head;
    if (!c || c->cap - c->used < size) {
        size_t cap = size > ARENA_CHUNK ? size : ARENA_CHUNK;
        if (cap > SIZE_MAX - sizeof(ArenaChunk))
            diag_fatal("out of memory");
        c = mem_alloc(sizeof(ArenaChunk) + cap);
        c->used = 0;
        c->cap = cap;
        c->map = NULL;
        c->next = a->head;
        a->head = c;
    }
    void *p = c->data + c->used;
    c->used += size;
    memset(p, 0, size);
    return p;
}

char *arena_strndup(Arena *a, const char *s, size_t n)
{
    char *p = arena_alloc(a, n + 1);
    if (n)   /* protobuf-c leaves empty bytes fields NULL: memcpy(p, NULL, 0) is undefined */
        memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *arena_strdup(Arena *a, const char *s)
{
    return arena_strndup(a, s, strlen(s));
}

char *arena_printf(Arena *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *p = arena_alloc(a, (size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}

void arena_free(Arena *a)
{
    ArenaChunk *c = a->head;
    while (c) {
        ArenaChunk *next = c->next;
        if (c->map)
            munmap(c->map, c->map_len);
        mem_free(c);
        c = next;
    }
    a->head = NULL;
}

/* ---- source files ---- */

Source *source_from_string(Arena *a, const char *path, const char *text)
{
    Source *s = arena_alloc(a, sizeof *s);
    s->path = arena_strdup(a, path);
    s->len = strlen(text);
    s->text = arena_strndup(a, text, s->len);
    s->arena = a;
    return s;
}

/* Reads all of f into a, NUL-terminated, at most max bytes (more: errno
 * EFBIG, *len the size when it is known). A regular file is read straight
 * into a buffer of its size; a pipe is read into a growing buffer first,
 * since its size is known only at the end. Returns NULL with errno set on
 * failure. */
static unsigned char *read_all(Arena *a, FILE *f, size_t max, size_t *len)
{
    struct stat st;
    if (fstat(fileno(f), &st) != 0)
        return NULL;
    if (S_ISDIR(st.st_mode)) {
        errno = EISDIR;
        return NULL;
    }
    if (S_ISREG(st.st_mode)) {
        if ((uintmax_t)st.st_size > max) {
            *len = (uintmax_t)st.st_size >= SIZE_MAX ? SIZE_MAX : (size_t)st.st_size;
            errno = EFBIG;
            return NULL;
        }
        size_t size = (size_t)st.st_size;
        unsigned char *buf = arena_alloc(a, size + 1);   /* + NUL */
        *len = fread(buf, 1, size, f);
        return ferror(f) ? NULL : buf;
    }
    size_t cap = 64 * 1024, n = 0;
    unsigned char *buf = mem_alloc(cap);
    for (;;) {
        if (n == cap) {
            if (n > max) {
                mem_free(buf);
                *len = n;
                errno = EFBIG;
                return NULL;
            }
            buf = mem_realloc(buf, cap *= 2);
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    if (ferror(f) || n > max) {
        mem_free(buf);
        *len = n;
        if (!ferror(f))
            errno = EFBIG;
        return NULL;
    }
    unsigned char *out = arena_alloc(a, n + 1);
    memcpy(out, buf, n);
    mem_free(buf);
    *len = n;
    return out;
}

/* "cannot read" or, for a file over the limit, what the limit is. */
static void report_read_error(const char *path, int err, size_t len, size_t max,
                              const char *what)
{
    if (err == EFBIG)
        diag_file_error(path, "the file is %s%zu bytes; lstmc reads at most %zu bytes as %s",
                        len == SIZE_MAX ? "more than " : "", len, max, what);
    else
        diag_file_error(path, "cannot read: %s", err ? strerror(err) : "I/O error");
}

/* The rest of open file f, read and closed; NULL after a message. */
static unsigned char *read_and_close(Arena *a, FILE *f, const char *path, size_t max, const char *what,
                                     size_t *len)
{
    *len = 0;
    errno = 0;
    unsigned char *bytes = read_all(a, f, max, len);
    int err = errno;
    fclose(f);
    if (!bytes)
        report_read_error(path, err, *len, max, what);
    return bytes;
}

unsigned char *file_read(Arena *a, const char *path, size_t max, const char *what, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        diag_file_error(path, "cannot open: %s", strerror(errno));
        return NULL;
    }
    return read_and_close(a, f, path, max, what, len);
}

const unsigned char *file_map(Arena *a, const char *path, size_t max, const char *what,
                              size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        diag_file_error(path, "cannot open: %s", strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode)) {
        if ((uintmax_t)st.st_size > max) {
            fclose(f);
            report_read_error(path, EFBIG, (uintmax_t)st.st_size >= SIZE_MAX
                              ? SIZE_MAX : (size_t)st.st_size, max, what);
            return NULL;
        }
        *len = (size_t)st.st_size;
        if (*len == 0) {
            fclose(f);
            return arena_alloc(a, 1);
        }
        void *p = mmap(NULL, *len, PROT_READ, MAP_PRIVATE, fileno(f), 0);
        int err = errno;
        fclose(f);
        if (p == MAP_FAILED) {
            diag_file_error(path, "cannot read: %s", strerror(err));
            return NULL;
        }
        /* A chunk that only remembers the mapping, behind the head so the
         * head's free space stays in use. */
        ArenaChunk *c = mem_alloc(sizeof *c);
        c->used = c->cap = 0;
        c->map = p;
        c->map_len = *len;
        if (a->head) {
            c->next = a->head->next;
            a->head->next = c;
        } else {
            c->next = NULL;
            a->head = c;
        }
        return p;
    }
    return read_and_close(a, f, path, max, what, len);
}

Source *source_from_bytes(Arena *a, const char *path, const unsigned char *bytes, size_t len)
{
    if (len > SPEC_MAX_BYTES) {
        diag_file_error(path, "the file is %zu bytes; lstmc reads at most %zu bytes as a spec",
                        len, SPEC_MAX_BYTES);
        return NULL;
    }
    /* A model file or other binary given as the spec: one message naming
     * it, not a lexer error for every byte. */
    FileKind k = fk_guess(bytes, len);
    if (k != FK_TEXT) {
        diag_file_error(path, "not an lstmc spec: it is %s%s%s", fk_name(k),
                        fk_spec_hint(k)[0] ? "; " : "", fk_spec_hint(k));
        return NULL;
    }
    Source *s = arena_alloc(a, sizeof *s);
    s->path = arena_strdup(a, path);
    s->text = arena_strndup(a, (const char *)bytes, len);
    s->len = len;
    s->arena = a;
    return s;
}

Source *source_read(Arena *a, const char *path)
{
    size_t len;
    const unsigned char *text = file_map(a, path, SPEC_MAX_BYTES, "a spec", &len);
    return text ? source_from_bytes(a, path, text, len) : NULL;
}

/* ---- diagnostics ---- */

static FILE *diag_out;
static int diag_count;

void diag_set_stream(FILE *f) { diag_out = f; }
FILE *diag_stream(void) { return diag_out ? diag_out : stderr; }
int diag_errors(void) { return diag_count; }
void diag_reset(void) { diag_count = 0; }

/* The start of each line of src, found once: after that, quoting an error
 * costs the length of its line, not of the file before it. (A cache in a
 * const Source, hence the cast: the text itself never changes.) */
static void index_lines(const Source *src)
{
    Source *s = (Source *)src;
    if (s->line_start || !s->arena)
        return;
    size_t n = 1;
    for (size_t i = 0; i < s->len; i++)
        n += s->text[i] == '\n';
    s->line_start = arena_alloc(s->arena, n * sizeof *s->line_start);
    s->line_start[0] = 0;
    n = 1;
    for (size_t i = 0; i < s->len; i++)
        if (s->text[i] == '\n')
            s->line_start[n++] = i + 1;
    s->nlines = (int)n;
}

/* Prints the line loc points into, then a caret (and tildes for len). Tabs
 * in the prefix are copied so the caret lines up in any tab width. A line
 * longer than DIAG_MAX_QUOTE is quoted around the column, with "..." for
 * what is left out, so a megabyte on one line is not printed per error. */
static void quote_line(FILE *f, const Loc *loc)
{
    index_lines(loc->src);
    const char *text = loc->src->text, *end_all = text + loc->src->len, *p = text;
    if (loc->src->line_start) {
        if (loc->line > loc->src->nlines)
            return;
        p = text + loc->src->line_start[loc->line - 1];
    } else {   /* a Source made by hand, without an arena for the index */
        for (int line = 1; line < loc->line && p < end_all; p++)
            if (*p == '\n')
                line++;
    }
    const char *end = memchr(p, '\n', (size_t)(end_all - p));
    if (!end)
        end = end_all;
    if (end > p && end[-1] == '\r')
        end--;
    long col = loc->col > 0 ? loc->col - 1 : 0;   /* the caret's offset in the line */
    long len = loc->len;
    const char *from = p, *to = end;
    if (to - from > DIAG_MAX_QUOTE) {
        if (col > DIAG_MAX_QUOTE / 2)
            from = p + (col - DIAG_MAX_QUOTE / 2 < end - p ? col - DIAG_MAX_QUOTE / 2 : 0);
        if (to - from > DIAG_MAX_QUOTE)
            to = from + DIAG_MAX_QUOTE;
    }
    int lead = from > p ? 3 : 0;
    fprintf(f, "%s%.*s%s\n", lead ? "..." : "", (int)(to - from), from, to < end ? "..." : "");
    for (int i = 0; i < lead; i++)
        fputc(' ', f);
    for (const char *q = from; q < p + col && q < to; q++)
        fputc(*q == '\t' ? '\t' : ' ', f);
    fputc('^', f);
    for (long i = 1; i < len && p + col + i < to; i++)
        fputc('~', f);
    fputc('\n', f);
}

static void report(const Loc *loc, const char *kind, const char *fmt, va_list ap)
{
    FILE *f = diag_stream();
    if (loc && loc->src)
        fprintf(f, "%s:%d:%d: %s: ", loc->src->path, loc->line, loc->col, kind);
    else
        fprintf(f, "lstmc: %s: ", kind);
    vfprintf(f, fmt, ap);
    fputc('\n', f);
    if (loc && loc->src && loc->line > 0)
        quote_line(f, loc);
}

/* Past DIAG_MAX_ERRORS errors the rest would only bury the first ones (and
 * a hostile input can make millions): they are counted, not shown, as
 * compilers do. Every stage is linear in its input, so going on silently
 * costs little, and unlike exiting it leaves a caller (a test, a fuzzer)
 * in control. Returns whether this error is shown. */
static int count_error(void)
{
    if (++diag_count <= DIAG_MAX_ERRORS)
        return 1;
    if (diag_count == DIAG_MAX_ERRORS + 1)
        fprintf(diag_stream(), "lstmc: error: too many errors (more than %d); the rest are not "
                "shown\n", DIAG_MAX_ERRORS);
    return 0;
}

void diag_verror(const Loc *loc, const char *fmt, va_list ap)
{
    if (count_error())
        report(loc, "error", fmt, ap);
}

void diag_error(const Loc *loc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    diag_verror(loc, fmt, ap);
    va_end(ap);
}

void diag_note(const Loc *loc, const char *fmt, ...)
{
    if (diag_count > DIAG_MAX_ERRORS)
        return;   /* its error was not shown */
    va_list ap;
    va_start(ap, fmt);
    report(loc, "note", fmt, ap);
    va_end(ap);
}

void diag_file_error(const char *path, const char *fmt, ...)
{
    if (!count_error())
        return;
    FILE *f = diag_stream();
    va_list ap;
    fprintf(f, "%s: error: ", path);
    va_start(ap, fmt);
    vfprintf(f, fmt, ap);
    va_end(ap);
    fputc('\n', f);
}

static void remove_open_outfiles(void);

void diag_fatal(const char *fmt, ...)
{
    remove_open_outfiles();
    FILE *f = diag_stream();
    va_list ap;
    fputs("lstmc: error: ", f);
    va_start(ap, fmt);
    vfprintf(f, fmt, ap);
    va_end(ap);
    fputc('\n', f);
    fflush(f);
    exit(1);
}

/* ---- output files ---- */

/* Temporaries not yet committed, removed by diag_fatal() before it exits. */
static OutFile *open_outfiles[16];

static void track(OutFile *o, int on)
{
    for (size_t i = 0; i < COUNT_OF(open_outfiles); i++)
        if (on ? !open_outfiles[i] : open_outfiles[i] == o) {
            open_outfiles[i] = on ? o : NULL;
            return;
        }
}

static void remove_open_outfiles(void)
{
    for (size_t i = 0; i < COUNT_OF(open_outfiles); i++)
        if (open_outfiles[i] && open_outfiles[i]->tmp)
            remove(open_outfiles[i]->tmp);
}

int outfile_open(OutFile *o, const char *path)
{
    size_t n = strlen(path);
    o->path = path;
    o->f = NULL;
    o->tmp = mem_alloc(n + 16);
    memcpy(o->tmp, path, n);
    memcpy(o->tmp + n, ".tmp.XXXXXX", 12);
    int fd = mkstemp(o->tmp);
    if (fd >= 0) {
        /* mkstemp makes the file private; give it the usual permissions. */
        mode_t mask = umask(0);
        umask(mask);
        fchmod(fd, 0666 & ~mask);
        o->f = fdopen(fd, "w");
        if (!o->f)
            close(fd);
    }
    if (!o->f) {
        diag_file_error(path, "cannot write: %s", strerror(errno));
        if (fd >= 0)
            remove(o->tmp);
        mem_free(o->tmp);
        o->tmp = NULL;
        return -1;
    }
    track(o, 1);
    return 0;
}

int outfile_commit(OutFile *o)
{
    int failed = ferror(o->f);
    failed |= fclose(o->f) != 0;
    int err = errno;
    if (!failed && rename(o->tmp, o->path) != 0) {
        failed = 1;
        err = errno;
    }
    if (failed) {
        diag_file_error(o->path, "cannot write: %s", strerror(err));
        remove(o->tmp);
    }
    track(o, 0);
    mem_free(o->tmp);
    o->tmp = NULL;
    return failed ? -1 : 0;
}

int outfile_commit_all(OutFile *const *files, int n)
{
    int failed = 0;
    for (int i = 0; i < n; i++) {
        OutFile *o = files[i];
        int bad = ferror(o->f);
        bad |= fclose(o->f) != 0;
        o->f = NULL;
        if (bad && !failed) {
            diag_file_error(o->path, "cannot write: %s", strerror(errno));
            failed = 1;
        }
    }
    for (int i = 0; i < n && !failed; i++)
        if (rename(files[i]->tmp, files[i]->path) != 0) {
            diag_file_error(files[i]->path, "cannot write: %s", strerror(errno));
            failed = 1;
        }
    for (int i = 0; i < n; i++) {
        if (failed)
            remove(files[i]->tmp);
        track(files[i], 0);
        mem_free(files[i]->tmp);
        files[i]->tmp = NULL;
    }
    return failed ? -1 : 0;
}

void outfile_discard(OutFile *o)
{
    if (!o->tmp)
        return;
    fclose(o->f);
    remove(o->tmp);
    track(o, 0);
    mem_free(o->tmp);
    o->tmp = NULL;
}

/* ---- strings ---- */

int edit_distance(const char *a, const char *b)
{
    size_t n = strlen(b);
    int row[64];
    if (n >= COUNT_OF(row))
        return 1 << 20;
    for (size_t j = 0; j <= n; j++)
        row[j] = (int)j;
    for (size_t i = 1; a[i - 1]; i++) {
        int diag = row[0];
        row[0] = (int)i;
        for (size_t j = 1; j <= n; j++) {
            int up = row[j];
            int best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[n];
}

const char *nearest_word(const char *w, const char *const *words, size_t n)
{
    const char *best = NULL;
    int best_d = 1 << 20;
    for (size_t i = 0; i < n; i++) {
        int d = edit_distance(w, words[i]);
        if (d < best_d) {
            best_d = d;
            best = words[i];
        }
    }
    /* A typo changes at most about a third of a word. */
    int limit = (int)strlen(w) / 3 + 1;
    return best_d <= limit ? best : NULL;
}

char *dims_text(Arena *a, int ndim, const long *dims)
{
    char *s = arena_strdup(a, "[");
    for (int d = 0; d < ndim; d++)
        s = arena_printf(a, "%s%s%ld", s, d ? ", " : "", dims[d]);
    return arena_printf(a, "%s]", s);
}

char *comment_text(Arena *a, const char *s)
{
    char *t = arena_strdup(a, s);
    for (char *p = t; *p; p++) {
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = '?';
        else if (p[0] == '*' && p[1] == '/')
            p[1] = '\\';
    }
    return t;
}
