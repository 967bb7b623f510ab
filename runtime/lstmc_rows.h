/*
 * lstmc_rows.h - the data every lstmc tool reads and writes, and the loop
 * that streams it through a model, shared by `lstmc run` (the interpreter
 * and --jit) and the standalone programs of `lstmc build`, so that all of
 * them read, print, stop and flush alike. Plain C99 and the C standard
 * library (POSIX, where there is one, only to see whether a stream is a
 * regular file or a pipe).
 *
 * Three forms of data, for input and output:
 *
 *   text  one timestep per line, `width` numbers separated by spaces, tabs
 *         or commas; a blank line ends a sequence (the state resets); '#'
 *         starts a comment to the end of the line (a line that holds only a
 *         comment is skipped, not blank); optionally a first line of column
 *         names, skipped (rt_rows_format's header). Output: one row per
 *         line, numbers printed with %.9g separated by one space.
 *   f32   raw little-endian float32, `width` per timestep, one sequence (the
 *         form has no place for a boundary).
 *   npy   NumPy's .npy: a 2-D array [steps, width] is one sequence, a 3-D
 *         array [sequences, steps, width] several of equal length; float32
 *         or float64 of either byte order, C order. Output: float32 ('<f4'),
 *         [steps, width] for one sequence, [sequences, steps, width] for
 *         several (or when the input was a 3-D .npy), [sequences, width]
 *         for a model that outputs the last step.
 *
 * Token ids (rt_rows_tokens; a model that starts with an embedding): each
 * number is a step's token id, an integer from 0 to the vocabulary size
 * minus 1. Text holds one id per line, or several on a line (spaces, tabs
 * or commas between them), each a step of the sequence; a blank line ends
 * a sequence, as above. f32 and npy hold the ids as floats, one per step
 * (a .npy [steps, 1] or [sequences, steps, 1], float32 or float64). An id
 * out of range, or not an integer, is an error naming where it is, the id
 * and the vocabulary size.
 *
 * Messages: "name:line:col: error: ..." for text, "name: byte N: error: ..."
 * for binary forms (N the offset of what is wrong, from 0).
 */
#ifndef LSTMC_ROWS_H
#define LSTMC_ROWS_H

#include <stddef.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- forms ---- */

typedef enum rt_format { RT_TEXT = 0, RT_F32 = 1, RT_NPY = 2 } rt_format;

/* The form named s ("text", "f32", "npy"), or -1. */
int rt_format_named(const char *s);
/* The form a file name's extension implies: ".npy" npy, ".f32" f32, any
 * other (and NULL, standard input or output) text. */
rt_format rt_format_of_path(const char *path);

/* ---- reading ---- */

typedef struct rt_rows {
    FILE *in;
    const char *name;     /* for messages: the file name or "<stdin>" */
    int width;            /* numbers per timestep */
    rt_format format;
    int header;           /* text: the first line is column names, skipped */
    long line;            /* text: lines read so far */
    unsigned long long offset;  /* binary: bytes read so far */
    int done;             /* nothing more: the end of a binary form, or an error
                             that ends reading (a read error, out of memory,
                             a malformed binary file, .npy given as text) */
    int bad_line;         /* text: the last error was in a line's numbers */
    long tokens;          /* > 0: the values are token ids in [0, tokens) */
    size_t tok_at, tok_end;   /* text tokens: the rest of the current line, buf[at..end) */
    char *buf;            /* text: the current line; binary: one row's bytes */
    size_t buf_cap;
    double *vals;         /* rt_rows_next: the current sequence, steps * width */
    size_t vals_cap;
    /* npy, from its header (npy_ndim 0 until it is read) */
    int npy_ndim;                        /* 2 or 3 */
    int npy_item;                        /* 4 (float32) or 8 (float64) */
    int npy_big;                         /* big-endian data */
    unsigned long long npy_seqs;         /* sequences: shape[0] of a 3-D array, else 1 */
    unsigned long long npy_steps;        /* steps per sequence */
    unsigned long long npy_seq, npy_step;   /* where the next timestep is */
} rt_rows;

/* A reader of text without a header line over in; rt_rows_format changes
 * the form before the first read. */
void rt_rows_init(rt_rows *r, FILE *in, const char *name, int width);
void rt_rows_format(rt_rows *r, rt_format format, int header);
/* The values are token ids of a vocabulary of `vocabulary` (width 1). */
void rt_rows_tokens(rt_rows *r, long vocabulary);

/* What rt_rows_step found. */
enum { RT_ERROR = -1, RT_END = 0, RT_STEP = 1, RT_BREAK = 2 };

/* Reads one timestep into x[width]: RT_STEP; RT_BREAK where a sequence ends
 * (a blank line, the end of one array of a 3-D .npy; empty sequences are
 * possible: a run of blank lines gives one RT_BREAK each); RT_END at the
 * end of the input (it ends a sequence too); RT_ERROR after writing one
 * message and a newline to err (a wrong count of numbers, text that is not
 * a finite number, a malformed or truncated binary file, a read error, out
 * of memory). After an error other than a bad text line it gives RT_END. */
int rt_rows_step(rt_rows *r, double *x, FILE *err);

/* Reads the next whole sequence. Returns its number of steps (>= 1) and
 * points *x at steps * width values, valid until the next call; 0 at the
 * end of the input; -1 after reporting as rt_rows_step does. Nothing of a
 * bad sequence is returned; after a bad text line the rest of its sequence
 * is skipped, so the next call reads the next sequence. */
long rt_rows_next(rt_rows *r, const double **x, FILE *err);

/* Writes n values as one text line. Returns 0, or -1 if the write failed. */
int rt_rows_write(FILE *out, const double *y, int n);

void rt_rows_free(rt_rows *r);

/* ---- writing ---- */

typedef struct rt_out {
    FILE *f;
    const char *name;     /* for messages: the file name or "<stdout>" */
    rt_format format;
    int width;            /* numbers per row */
    int live;             /* rt_is_live: flushed after each run of rows */
    /* npy: the shape is known only at the end. A regular file gets a header
     * of fixed size first, rewritten at the end; any other stream gets the
     * whole array at the end, kept in buf until then. */
    int npy_last;         /* rows are sequences' last steps: [sequences, width] */
    int npy_3d;           /* [sequences, steps, width] even for one sequence */
    int npy_seek;         /* the header is rewritten in place */
    long npy_at;          /* where the header starts */
    unsigned long long rows, seqs;   /* rows written, sequences ended */
    unsigned long long seq_rows;     /* rows of the first sequence */
    unsigned long long cur_rows;     /* rows of the sequence being written */
    unsigned long long ragged;       /* a sequence's length that differs, or 0 */
    unsigned char *buf;   /* npy to a stream that cannot seek: the data */
    size_t buf_len, buf_cap;
    unsigned char *row;   /* one row's bytes (f32, npy) */
} rt_out;

/* Starts writing rows of width numbers to f in the given form. Returns 0,
 * or -1 (out of memory, or a failed write: errno says which). */
int rt_out_init(rt_out *o, FILE *f, const char *name, rt_format format, int width);
/* Writes one row. Returns 0, or -1 (a failed write or out of memory). */
int rt_out_row(rt_out *o, const double *y);
/* A sequence ended (after its last row). */
void rt_out_break(rt_out *o);
/* Writes what only the end can give (npy: the header, or everything).
 * Returns 0; 1 after a message to err when the rows make no .npy array
 * (sequences of different lengths); -1 when a write failed. */
int rt_out_finish(rt_out *o, FILE *err);
void rt_out_free(rt_out *o);

/* ---- the loop: data through a model ---- */

/* A model as the loop sees it: sizes, and two callbacks over the caller's
 * state (ctx) working in double precision. */
typedef struct rt_model {
    int input, output;    /* numbers per timestep and per output row */
    int streaming;        /* 1: run continues from the state, step by step */
    int output_last;      /* 1: one output row per sequence, its last step's */
    size_t chunk;         /* steps per call of run when reading ahead is free */
    void *ctx;
    /* Streaming models: a new sequence (back to the initial state). */
    void (*reset)(void *ctx);
    /* Streaming models: steps >= 1 timesteps from the state; y receives
     * steps rows, or with output_last one, the last step's. Other models:
     * one whole sequence from the initial state. Returns 0, or -1 when out
     * of memory. */
    int (*run)(void *ctx, const double *x, size_t steps, double *y);
    /* Start and final states (--state-in, --state-out), or NULL: each
     * sequence starts from the next row of state_in (state numbers: one row
     * for every sequence, or one per sequence), set by set_state (streaming:
     * after reset, the state now; other models: the next run's start), and
     * get_state writes its final state (the state after the last run) as a
     * row of state_out. */
    int state;
    rt_rows *state_in;
    rt_out *state_out;
    void (*set_state)(void *ctx, const double *s);
    void (*get_state)(void *ctx, double *s);
} rt_model;

/* How rt_run ended. */
enum { RT_RUN_OK = 0, RT_RUN_BAD_INPUT = 1, RT_RUN_WRITE_FAILED = 2, RT_RUN_NO_MEMORY = 3 };

/*
 * Reads in, runs m and writes out until the end of the input or the first
 * error. A streaming model streams: each timestep is read, run and its row
 * written (and flushed, when out is live) before the next is read, in
 * memory that does not grow with the input; when reading ahead never waits
 * (the input is a regular file) or nobody watches the rows as they come
 * (the output is not live), up to m->chunk steps go through run at once.
 * With output_last a sequence's row is written where it ends. A model with
 * a backward direction reads each sequence whole first. Bad data stops the
 * loop: a streaming model's rows before it are written, a sequence model's
 * sequence is not. The caller reports RT_RUN_WRITE_FAILED (errno) and
 * RT_RUN_NO_MEMORY; rt_out_finish is the caller's too.
 */
int rt_run(const rt_model *m, rt_rows *in, rt_out *out, FILE *err);

/* 1 if f is a regular file (reading ahead in it never waits); 0 for a pipe,
 * a terminal, a device, or where the C library cannot tell. */
int rt_is_regular(FILE *f);
/* 1 if what is written to f may be watched as it comes: a pipe, a socket, a
 * terminal, or a stream the C library cannot tell; 0 for a regular file or
 * a device such as /dev/null. */
int rt_is_live(FILE *f);

#ifdef __cplusplus
}
#endif

#endif
