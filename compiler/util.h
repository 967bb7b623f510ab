/*
 * util.h - memory, source files and diagnostics shared by every stage.
 *
 * Memory: every allocation goes through mem_alloc(), so a test build can make
 * the Nth allocation fail (LSTMC_FAIL_ALLOC=N) and check that lstmc reports it
 * cleanly. Long-lived objects (tokens, AST, IR, weights) live in one Arena that
 * is freed in one call.
 *
 * Diagnostics: "file:line:col: error: message", then the source line and a
 * caret under the offending text. Errors are counted, not fatal, so a stage can
 * keep going and report several.
 */
#ifndef LSTMC_UTIL_H
#define LSTMC_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#define LSTMC_VERSION "0.1.0"

#if defined(__GNUC__)
#define PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))
#define NORETURN __attribute__((noreturn))
#else
#define PRINTF_LIKE(f, a)
#define NORETURN
#endif

#define COUNT_OF(a) (sizeof(a) / sizeof((a)[0]))

/* ---- memory ---- */

/* Checked size arithmetic, for every size a file declares: *out = a * b or
 * a + b of non-negative a and b, returning 0, or -1 (leaving *out alone)
 * when a or b is negative or the result would exceed max. Sizes from files
 * are multiplied and added only through these, so a hostile shape cannot
 * overflow (undefined behaviour) or wrap to a small allocation. */
int size_mul(long a, long b, long max, long *out);
int size_add(long a, long b, long max, long *out);

/* malloc/realloc that never return NULL: out of memory is reported as
 * "lstmc: error: out of memory" and exits with status 1. */
void *mem_alloc(size_t size);
void *mem_realloc(void *p, size_t size);
void mem_free(void *p);
char *mem_strdup(const char *s);

/* A bump allocator; everything allocated from it is freed by arena_free(). */
typedef struct ArenaChunk ArenaChunk;
typedef struct Arena {
    ArenaChunk *head;
} Arena;

void *arena_alloc(Arena *a, size_t size);             /* zeroed, aligned to 16 */
char *arena_strdup(Arena *a, const char *s);
char *arena_strndup(Arena *a, const char *s, size_t n);
char *arena_printf(Arena *a, const char *fmt, ...) PRINTF_LIKE(2, 3);
void arena_free(Arena *a);

/* ---- source files ---- */

/* Limits on what lstmc reads (README "Limits"): every file may come from a
 * stranger, so none of them may make lstmc use memory or time out of
 * proportion to a real model. */
#define SPEC_MAX_BYTES   ((size_t)1 << 20)   /* a spec: 1 MiB (real ones are a few KB) */
#define SPEC_MAX_STRING  4096                /* a string literal in a spec, in bytes */
#define DIAG_MAX_ERRORS  20                  /* errors shown; the rest are counted only */
#define DIAG_MAX_QUOTE   160                 /* bytes of a source line quoted under an error */

/* A file read whole into memory, kept so diagnostics can quote its lines. */
typedef struct Source {
    const char *path;   /* as the user named it */
    char *text;         /* NUL-terminated contents */
    size_t len;
    /* Where each line starts, built on the first quote so that quoting
     * the Nth error does not scan the file from its start again. */
    size_t *line_start;         /* in arena */
    int nlines;
    Arena *arena;               /* the one the Source was made in */
} Source;

/* Reads the whole file at path into a, NUL-terminated; *len excludes the
 * NUL. A file of more than max bytes is not read: "path: error: the file
 * is N bytes; lstmc reads at most M as WHAT". Returns NULL after reporting
 * "path: error: cannot open: ..." or "cannot read: ...". */
unsigned char *file_read(Arena *a, const char *path, size_t max, const char *what, size_t *len);

/* The file at path mapped read-only (a regular file) or, when it cannot be
 * mapped (a pipe), read; either way it belongs to a and goes with
 * arena_free(). A large file costs no memory until it is touched, so a
 * reader can check a header against the file's size before touching the
 * rest. Not NUL-terminated. Returns NULL after reporting as file_read(). */
const unsigned char *file_map(Arena *a, const char *path, size_t max, const char *what,
                              size_t *len);

/* Reads path into a Source allocated in a. Returns NULL (and reports
 * "path: error: <strerror>") when the file cannot be read; a file larger
 * than SPEC_MAX_BYTES or holding binary data is reported as not a spec
 * (naming the format it looks like, see filekind.h). */
Source *source_read(Arena *a, const char *path);
/* A Source over bytes already in memory, checked as source_read() checks
 * a file (its size, binary data); NULL after reporting. */
Source *source_from_bytes(Arena *a, const char *path, const unsigned char *bytes, size_t len);
/* A Source over text already in memory (tests). */
Source *source_from_string(Arena *a, const char *path, const char *text);

/* A place in a source: 1-based line and column (bytes), and the length of
 * the text to underline (0 = just a caret). src may be NULL for places that
 * are not in a spec (a weights file, a command-line flag). */
typedef struct Loc {
    const Source *src;
    int line, col, len;
} Loc;

/* ---- diagnostics ---- */

/* Where diagnostics go (stderr by default; tests redirect to a memstream). */
void diag_set_stream(FILE *f);
FILE *diag_stream(void);

/* Number of errors reported since the last diag_reset(). */
int diag_errors(void);
void diag_reset(void);

/* "file:line:col: error: msg" + quoted line + caret. loc may be NULL. */
void diag_error(const Loc *loc, const char *fmt, ...) PRINTF_LIKE(2, 3);
void diag_verror(const Loc *loc, const char *fmt, va_list ap);
/* "file:line:col: note: msg" + quoted line; attaches to the previous error. */
void diag_note(const Loc *loc, const char *fmt, ...) PRINTF_LIKE(2, 3);
/* "path: error: msg" for errors about a whole file (weights, data). */
void diag_file_error(const char *path, const char *fmt, ...) PRINTF_LIKE(2, 3);
/* "lstmc: error: msg", then exit(1). For conditions lstmc cannot go on after
 * (out of memory, a write to stdout that failed). */
NORETURN void diag_fatal(const char *fmt, ...) PRINTF_LIKE(1, 2);

/* ---- output files ---- */

/* An output is written to a temporary file beside its target and renamed
 * over it only when complete, so a failure (or exit on out of memory) never
 * leaves a half-written file behind. */
typedef struct OutFile {
    FILE *f;
    char *tmp;            /* the temporary's path */
    const char *path;     /* the target */
} OutFile;

/* Returns 0, or -1 after reporting "path: error: cannot write: ...". */
int outfile_open(OutFile *o, const char *path);
/* Closes, checks for write errors and renames; returns 0, or -1 after
 * reporting (the temporary is removed). */
int outfile_commit(OutFile *o);
/* Commits files that belong together (a .c and its .h): every one is
 * closed and checked before any is renamed, so a failure leaves the old
 * pair, not a new file beside an old one. Returns 0, or -1 after reporting. */
int outfile_commit_all(OutFile *const *files, int n);
/* Closes and removes the temporary (after an error elsewhere). */
void outfile_discard(OutFile *o);

/* ---- strings ---- */

/* Levenshtein distance, for "did you mean" suggestions. */
int edit_distance(const char *a, const char *b);
/* The word in words[0..n) nearest to w, or NULL if none is close enough to
 * be a plausible typo. */
const char *nearest_word(const char *w, const char *const *words, size_t n);
/* A shape for messages: "[64, 8]", "[]" for none. */
char *dims_text(Arena *a, int ndim, const long *dims);
/* s made safe for one line of a comment in generated text (C or spec):
 * control characters become '?', and the end of a C comment "*" "/"
 * becomes "*\" (a path or command line can contain it). */
char *comment_text(Arena *a, const char *s);

#endif
