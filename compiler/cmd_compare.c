/*
 * cmd_compare.c - `lstmc compare A B DATA`: two specs (variants over the
 * same weights, or one spec over two weight files) run by the interpreter
 * on the same data, side by side: per output, and per layer's h and c when
 * the two layers have the same shape, the largest and mean absolute
 * difference and the first step where they differ beyond a tolerance.
 * The states come from the interpreter's trace (trace.h).
 */
#include "cli.h"
#include "trace.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

const char usage_compare[] =
    "usage: lstmc compare A.lstm B.lstm DATA [-w WEIGHTS [-w WEIGHTS_B]]\n"
    "                     [--weights-type T [--products int8]] [--tolerance T]\n"
    "                     [--format F] [--header]\n"
    "\n"
    "Runs both specs in the reference interpreter on DATA (as 'lstmc run'\n"
    "reads it) and prints, for each output and, where layer k of A and layer k\n"
    "of B have the same shape, for each layer's hidden state h and cell state\n"
    "c: the largest and the mean absolute difference between A and B, and the\n"
    "first step (sequence and step, from 0) where they differ by more than T.\n"
    "A and B must read the same number of inputs and give the same number of\n"
    "outputs.\n"
    "\n"
    "options:\n"
    "  -w, --weights FILE   weights for both specs instead of their 'weights'\n"
    "                       files; given twice, the first is A's, the second B's\n"
    "  --weights-type T     B's weights stored as f32, f16, bf16 or int8 (A's as\n"
    "                       its spec says): what narrow storage costs, with A and\n"
    "                       B the same spec\n"
    "  --products int8      B's recurrent products from h in int8 (SPEC.md)\n"
    "  --tolerance T        the difference that counts (default 1e-6)\n"
    "  --format F           DATA's form: text, f32 or npy\n"
    "  --header             DATA is text with a first line of column names\n"
    "  -h, --help           show this help\n"
    "\n"
    "exit status: 0 success (whatever the differences), 1 invalid spec,\n"
    "weights or data, or models of different inputs or outputs, 2 usage error\n";

/* The differences of one quantity (an output, a layer's h or c). */
typedef struct Diff {
    const char *label;
    double max, sum;
    long count;
    long first_seq, first_step;     /* -1: never beyond the tolerance */
} Diff;

/* Adds |a[k] - b[k]| for k < n, seen at (seq, step). */
static void diff_add(Diff *d, const double *a, const double *b, int n, double tol, long seq, long step)
{
    for (int k = 0; k < n; k++) {
        double v = fabs(a[k] - b[k]);
        if (v > d->max || isnan(v))
            d->max = v;
        d->sum += v;
        d->count++;
        if (!(v <= tol) && d->first_seq < 0)
            d->first_seq = seq, d->first_step = step;
    }
}

/* A pair of vectors of the two traces to compare. */
typedef struct StatePair {
    const TraceVec *a, *b;
} StatePair;

/* The h and c of each layer k that A and B both have, of the same shape;
 * a note for each layer with state whose shapes differ. */
static int pair_states(Arena *ar, const Trace *ta, const Trace *tb, StatePair *pairs, Diff *diffs)
{
    static const char *const names[] = {"h", "c"};
    int n = 0;
    for (int v = 0; v < ta->nvecs; v++) {
        const TraceVec *va = &ta->vecs[v];
        for (size_t k = 0; k < COUNT_OF(names); k++) {
            if (strcmp(va->name, names[k]) != 0)
                continue;
            const TraceVec *vb = trace_find(tb, va->layer, va->dir, va->name);
            if (!vb || vb->n != va->n) {
                printf("note: layer %d (%s) %s not compared: A has %d, B %d\n", va->layer,
                       ta->m->layers[va->layer].name, va->name, va->n, vb ? vb->n : 0);
                continue;
            }
            pairs[n] = (StatePair){va, vb};
            diffs[n] = (Diff){arena_printf(ar, "%s%s.%s", ta->m->layers[va->layer].name,
                                           va->dir ? ".bwd" : "", va->name), 0, 0, 0, -1, -1};
            n++;
        }
    }
    return n;
}

static void print_diff(const Diff *d)
{
    printf("%-20s %14.9g %14.9g", d->label, d->max, d->count ? d->sum / (double)d->count : 0.0);
    if (d->first_seq < 0)
        printf("   -\n");
    else
        printf("   sequence %ld step %ld\n", d->first_seq, d->first_step);
}

/* Both models on every sequence of d. */
static int compare_data(Arena *ar, const IrModel *ma, const IrModel *mb, DataIn *d, double tol)
{
    Trace ta, tb;
    trace_init(&ta, ma);
    trace_init(&tb, mb);
    int nout = ma->output;
    Diff *outs = arena_alloc(ar, sizeof *outs * (size_t)nout);
    for (int k = 0; k < nout; k++)
        outs[k] = (Diff){arena_printf(ar, "output %d", k), 0, 0, 0, -1, -1};
    StatePair *pairs = arena_alloc(ar, sizeof *pairs * (size_t)(ta.nvecs + 1));
    Diff *states = arena_alloc(ar, sizeof *states * (size_t)(ta.nvecs + 1));
    int npairs = pair_states(ar, &ta, &tb, pairs, states);
    double *ya = NULL, *yb = NULL;
    const double *x;
    long steps, seqs = 0, total = 0;
    while ((steps = rt_rows_next(&d->rows, &x, stderr)) > 0) {
        long rows = ma->output_last ? 1 : steps;
        ya = mem_realloc(ya, sizeof(double) * (size_t)(rows * nout));
        yb = mem_realloc(yb, sizeof(double) * (size_t)(rows * nout));
        trace_begin(&ta, steps);
        trace_begin(&tb, steps);
        interp_run_traced(ma, x, steps, ya, &ta.hook);
        interp_run_traced(mb, x, steps, yb, &tb.hook);
        for (long t = 0; t < rows; t++)
            for (int k = 0; k < nout; k++)
                diff_add(&outs[k], ya + t * nout + k, yb + t * nout + k, 1, tol, seqs,
                         ma->output_last ? steps - 1 : t);
        for (int p = 0; p < npairs; p++)
            for (long t = 0; t < steps; t++)
                diff_add(&states[p], ta.rows + t * ta.width + pairs[p].a->offset,
                         tb.rows + t * tb.width + pairs[p].b->offset, pairs[p].a->n, tol, seqs, t);
        seqs++;
        total += steps;
    }
    mem_free(ya);
    mem_free(yb);
    trace_free(&ta);
    trace_free(&tb);
    if (steps < 0)
        return EXIT_BAD_INPUT;
    if (seqs == 0) {
        diag_file_error(d->rows.name, "%s", "no steps to compare: the data is empty");
        return EXIT_BAD_INPUT;
    }
    printf("A %s, B %s: %ld sequence%s, %ld steps; tolerance %g\n", ma->spec_path, mb->spec_path, seqs,
           seqs == 1 ? "" : "s", total, tol);
    printf("%-20s %14s %14s   %s\n", "", "max |A - B|", "mean |A - B|", "first beyond the tolerance");
    for (int k = 0; k < nout; k++)
        print_diff(&outs[k]);
    for (int p = 0; p < npairs; p++)
        print_diff(&states[p]);
    return EXIT_OK;
}

/* What a model reads, for a message: "features", "token ids 0 .. 99". */
static const char *input_text(Arena *arena, const IrModel *m)
{
    return ir_vocabulary(m) ? arena_printf(arena, "token ids 0 .. %ld", ir_vocabulary(m) - 1) : "features";
}

int cmd_compare(const Args *a)
{
    double tol = 1e-6;
    if (a->npos < 3)
        return cli_usage_error(a, "%s", "expected two specs and the data: lstmc compare A.lstm B.lstm DATA");
    if (a->tolerance) {
        char *end;
        tol = strtod(a->tolerance, &end);
        if (*end || !(tol >= 0) || !isfinite(tol))
            return cli_usage_error(a, "--tolerance '%s' is not a number >= 0", a->tolerance);
    }
    Arena arena = {0};
    int status = EXIT_BAD_INPUT;
    IrModel *ma = cli_load_spec(&arena, a->pos[0], a->weights, 1, 0);
    IrModel *mb = ma ? cli_load_spec_as(&arena, a->pos[1], a->weights_b ? a->weights_b : a->weights,
                                        a->weights_type, a->products) : NULL;
    if (mb && ma->input != mb->input) {
        diag_file_error(a->pos[1], "reads %d inputs per step, %s reads %d: they cannot run on the same data",
                        mb->input, a->pos[0], ma->input);
        mb = NULL;
    } else if (mb && ir_vocabulary(ma) != ir_vocabulary(mb)) {
        diag_file_error(a->pos[1], "reads %s, %s reads %s: they cannot run on the same data",
                        input_text(&arena, mb), a->pos[0], input_text(&arena, ma));
        mb = NULL;
    } else if (mb && (ma->output != mb->output || ma->output_last != mb->output_last)) {
        diag_file_error(a->pos[1], "gives %d outputs %s, %s gives %d %s: there is nothing to compare them by",
                        mb->output, mb->output_last ? "per sequence" : "per step", a->pos[0], ma->output,
                        ma->output_last ? "per sequence" : "per step");
        mb = NULL;
    }
    DataIn d;
    if (mb && cli_data_open(&d, a, a->pos[2], a->format, a->header, ma->input, &status) == 0) {
        rt_rows_tokens(&d.rows, ir_vocabulary(ma));
        status = compare_data(&arena, ma, mb, &d, tol);
        cli_data_close(&d);
    }
    arena_free(&arena);
    if (fflush(stdout) != 0 && status == EXIT_OK)
        status = EXIT_BAD_INPUT;
    return status;
}
