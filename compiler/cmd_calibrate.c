/*
 * cmd_calibrate.c - `lstmc calibrate SPEC DATA -o RANGES`, and --calibrate
 * / --ranges of run, eval, compile and build: the range of every tensor
 * of a model over calibration data (ranges.h), found by the float
 * interpreter on the model's int8 weights, from which `arithmetic int16`
 * picks its formats (fixed_plan.h).
 */
#include "cli.h"
#include "interp.h"
#include "interp_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

const char usage_calibrate[] =
    "usage: lstmc calibrate SPEC DATA -o RANGES [-w WEIGHTS] [--format F] [--header]\n"
    "\n"
    "Runs the model in the reference interpreter (double precision, on its\n"
    "weights stored as int8: those arithmetic int16 uses) over DATA and writes\n"
    "the smallest and largest value of each tensor to RANGES: the input, each\n"
    "LSTM layer's gates i, f, o, cell input g, cell state c and hidden state\n"
    "h, each dense layer's pre-activation 'pre'. 'lstmc run', 'eval',\n"
    "'compile' and 'build' take the file as --ranges RANGES with --arithmetic\n"
    "int16, which picks every fixed-point format from it (grammar/SPEC.md,\n"
    "\"Integer-only arithmetic\" and \"Ranges files\"). DATA is read as 'lstmc\n"
    "run' reads its input.\n"
    "\n"
    "options:\n"
    "  -o, --output FILE    the ranges file to write (needed)\n"
    "  -w, --weights FILE   weights to use instead of the spec's 'weights' file\n"
    "  --format F           the data's form: text, f32 or npy\n"
    "  --header             text data: skip its first line (column names)\n"
    "  -h, --help           show this help\n"
    "\n"
    "exit status: 0 success, 1 invalid spec, weights or data, or a failed write,\n"
    "2 usage error\n";

typedef struct Calib {
    Arena *a;
    Ranges *r;
    const IrModel *m;
} Calib;

/* Notes the smallest and largest of v[0..n) under name. */
static void note_all(Calib *c, const char *name, const double *v, long n)
{
    if (n <= 0)
        return;
    double lo = v[0], hi = v[0];
    for (long k = 1; k < n; k++) {
        lo = fmin(lo, v[k]);
        hi = fmax(hi, v[k]);
    }
    ranges_note(c->a, c->r, name, lo);
    ranges_note(c->a, c->r, name, hi);
}

/* The trace hook: every vector of a step, under LAYER/NAME. */
static void calib_step(void *ctx, int layer, int dir, long t, const InterpVec *vecs, int nvecs)
{
    Calib *c = ctx;
    char name[300];
    (void)dir, (void)t;
    for (int k = 0; k < nvecs; k++) {
        snprintf(name, sizeof name, "%s/%s", c->m->layers[layer].name, vecs[k].name);
        note_all(c, name, vecs[k].v, vecs[k].n);
    }
}

/* The model up to layer n, whose last layer's activation is identity: its
 * outputs are layer n's pre-activations. */
static IrModel truncated(Arena *a, const IrModel *m, int n)
{
    IrModel t = *m;
    t.nlayers = n + 1;
    t.layers = arena_alloc(a, sizeof(IrLayer) * (size_t)(n + 1));
    memcpy(t.layers, m->layers, sizeof(IrLayer) * (size_t)(n + 1));
    t.layers[n].dense.act = (Activation){ACT_IDENTITY, 0, 0};
    t.output = t.layers[n].output;
    int lstm_within = 0, lstm_after = 0;
    for (int k = 0; k < m->nlayers; k++) {
        if (m->layers[k].kind != IR_DENSE && k <= n)
            lstm_within = 1;
        if (m->layers[k].kind != IR_DENSE && k > n)
            lstm_after = 1;
    }
    if (lstm_after || !lstm_within) {   /* the pooling happens after layer n */
        t.output_form = OUT_SEQUENCE;
        t.output_last = 0;
    }
    return t;
}

int calibrate_data(Arena *a, const IrModel *m, DataIn *d, Ranges *r)
{
    memset(r, 0, sizeof *r);
    r->model = m->name;
    Calib c = {a, r, m};
    InterpTrace tr = {calib_step, &c};
    IrModel *cut = arena_alloc(a, sizeof(IrModel) * (size_t)(m->nlayers ? m->nlayers : 1));
    for (int n = 0; n < m->nlayers; n++)
        if (m->layers[n].kind == IR_DENSE)
            cut[n] = truncated(a, m, n);
    long steps, seqs = 0;
    const double *x;
    double *y = NULL;
    size_t cap = 0;
    char name[300];
    while ((steps = rt_rows_next(&d->rows, &x, stderr)) > 0) {
        note_all(&c, "input", x, steps * m->input);
        for (int n = 0; n < m->nlayers; n++) {
            const IrLayer *L = &m->layers[n];
            size_t need = (size_t)steps * (size_t)L->output;
            if (need > cap) {
                cap = need;
                y = mem_realloc(y, sizeof(double) * cap);
            }
            if (L->kind != IR_DENSE)
                continue;
            interp_run(&cut[n], x, steps, y);
            snprintf(name, sizeof name, "%s/pre", L->name);
            note_all(&c, name, y, (cut[n].output_last ? 1 : steps) * L->output);
        }
        size_t need = (size_t)steps * (size_t)m->output;
        if (need > cap) {
            cap = need;
            y = mem_realloc(y, sizeof(double) * cap);
        }
        interp_run_traced(m, x, steps, y, &tr);
        seqs++;
    }
    mem_free(y);
    if (steps < 0)
        return -1;
    if (seqs == 0) {
        diag_file_error(d->rows.name, "%s", "no sequences to calibrate on: the data is empty");
        return -1;
    }
    return 0;
}

int cmd_calibrate(const Args *a)
{
    if (!a->output)
        return cli_usage_error(a, "%s", "missing -o RANGES: the ranges file to write");
    if (a->npos < 2)
        return cli_usage_error(a, "%s", "missing the calibration data");
    Arena arena = {0};
    Args ia = *a;
    ia.weights_type = "int8";
    IrModel *m = cli_load_model(&arena, &ia);
    int status = EXIT_BAD_INPUT;
    DataIn d;
    Ranges r;
    OutFile of;
    if (m && cli_data_open(&d, a, a->pos[1], a->format, a->header, m->input, &status) == 0) {
        status = EXIT_BAD_INPUT;
        if (calibrate_data(&arena, m, &d, &r) == 0 && outfile_open(&of, a->output) == 0) {
            ranges_write(of.f, &r);
            status = outfile_commit(&of) == 0 ? EXIT_OK : EXIT_BAD_INPUT;
        }
        cli_data_close(&d);
    }
    arena_free(&arena);
    return status;
}

/* ---- the integer interpreter as a SeqRunner ---- */

/* The runner's impl: the plan, and a stream of it when the model streams. */
typedef struct IntRunner {
    FixedModel *fm;
    IntStream *stream;
} IntRunner;

static void int_reset(SeqRunner *r)
{
    IntRunner *ir = r->impl;
    if (ir->stream)
        interp_int_stream_reset(ir->stream);
}

static void int_run(SeqRunner *r, const double *x, long steps, double *y)
{
    IntRunner *ir = r->impl;
    if (ir->stream)
        interp_int_stream_run(ir->stream, x, steps, y);
    else
        interp_int_run(ir->fm, x, steps, y);
}

void cli_int_runner_close(SeqRunner *r)
{
    IntRunner *ir = r->impl;
    if (ir)
        interp_int_stream_free(ir->stream);
    r->impl = NULL;
}

FixedModel *cli_fixed_model(Arena *arena, const IrModel *m, const Args *a)
{
    Ranges ranges;
    int status = EXIT_BAD_INPUT;
    const char *path = a->ranges ? a->ranges : a->calibrate ? NULL : m->ranges_path;
    if (!path && !a->calibrate) {
        diag_error(m->arithmetic_loc.src ? &m->arithmetic_loc : NULL, "model '%s': arithmetic int16 needs "
                   "the ranges of its tensors: give --ranges FILE (written by lstmc calibrate), --calibrate "
                   "DATA, or 'ranges \"FILE\";' in the spec", m->name);
        return NULL;
    }
    if (path && ranges_read(arena, path, &ranges) != 0)
        return NULL;
    if (a->calibrate) {
        DataIn d;
        if (cli_data_open(&d, a, a->calibrate, NULL, 0, m->input, &status) != 0)
            return NULL;
        int bad = calibrate_data(arena, m, &d, &ranges) != 0;
        cli_data_close(&d);
        if (bad)
            return NULL;
    }
    FixedModel *fm = arena_alloc(arena, sizeof *fm);
    return fixed_plan(arena, m, &ranges, fm) == 0 ? fm : NULL;
}

int cli_int_runner_open(SeqRunner *r, Arena *arena, const IrModel *m, const Args *a)
{
    memset(r, 0, sizeof *r);
    FixedModel *fm = cli_fixed_model(arena, m, a);
    if (!fm)
        return -1;
    IntRunner *ir = arena_alloc(arena, sizeof *ir);
    ir->fm = fm;
    ir->stream = interp_int_can_stream(m) ? interp_int_stream_new(fm) : NULL;
    r->m = m;
    r->streaming = ir->stream != NULL;
    r->chunk = 64;
    r->reset = int_reset;
    r->run = int_run;
    r->impl = ir;
    return 0;
}
