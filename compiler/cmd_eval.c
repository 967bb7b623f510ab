/*
 * cmd_eval.c - `lstmc eval SPEC DATA --targets FILE`: the model's score on
 * labelled data. Every output row is matched, in order, with a row of the
 * targets file (blank lines there are ignored), and each metric of
 * --metric is summed over the rows, per sequence too with --per-sequence.
 */
#include "cli.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

const char usage_eval[] =
    "usage: lstmc eval SPEC DATA --targets FILE [--metric LIST] [--tolerance T]\n"
    "                  [--class-index] [--log-probs] [--per-sequence] [-w WEIGHTS]\n"
    "                  [--weights-type T]\n"
    "                  [--arithmetic int16 (--ranges FILE | --calibrate DATA)]\n"
    "                  [--jit [--activations exact|fast]] [--format F] [--header]\n"
    "\n"
    "Runs the model on DATA (as 'lstmc run' reads it) and scores its outputs\n"
    "against FILE: one target row per output row ('output last;': one per\n"
    "sequence), in the same forms as data (text, .npy, .f32); blank lines in a\n"
    "text targets file are ignored; messages count rows from 0. Prints the\n"
    "number of sequences and rows, then each metric as 'NAME VALUE', one per\n"
    "line (within and accuracy also as a count of rows: within_rows,\n"
    "accuracy_rows).\n"
    "\n"
    "metrics (--metric, a comma-separated list; default mse):\n"
    "  mse        mean of (y - t)^2 over every output number\n"
    "  mae        mean of |y - t| over every output number\n"
    "  within     the share of rows whose every |y - t| < T (--tolerance)\n"
    "  accuracy   the share of rows whose class is right: the argmax of the\n"
    "             outputs (y >= 0.5 for one output) against the target's class\n"
    "  xent       cross-entropy in nats, -log p(target class) per row (soft\n"
    "             targets: -sum t log p), from the outputs as probabilities\n"
    "  bits       the same in bits (per symbol)\n"
    "\n"
    "options:\n"
    "  --targets FILE       the targets (needed)\n"
    "  --metric LIST        the metrics, e.g. mse,within\n"
    "  --tolerance T        within's bound, a number > 0\n"
    "  --class-index        a target row is one class index (0, 1, ...), not a\n"
    "                       row as wide as the outputs\n"
    "  --log-probs          the outputs are log-probabilities (xent, bits)\n"
    "  --per-sequence       a line per sequence before the totals\n"
    "  -w, --weights FILE   weights to use instead of the spec's 'weights' file\n"
    "  --weights-type T     the weights as stored in f32, f16, bf16 or int8 (as\n"
    "                       for run); the spec's weights_type by default\n"
    "  --products int8      int8 recurrent products (as for run)\n"
    "  --arithmetic A       float or int16: the integer interpreter (as for run)\n"
    "  --ranges FILE        int16: the tensors' ranges, from 'lstmc calibrate'\n"
    "  --calibrate DATA     int16: calibrate on DATA first (instead of --ranges)\n"
    "  --jit                run the model compiled by LLVM in memory (float32)\n"
    "  --activations MODE   with --jit: fast (default) or exact\n"
    "  --format F           DATA's form: text, f32 or npy (FILE's: its extension)\n"
    "  --header             DATA is text with a first line of column names\n"
    "  -h, --help           show this help\n"
    "\n"
    "exit status: 0 success, 1 invalid spec, weights, data or targets, 2 usage error\n";

enum { M_MSE, M_MAE, M_WITHIN, M_ACCURACY, M_XENT, M_BITS, M_COUNT };
static const char *const metric_names[M_COUNT] = {"mse", "mae", "within", "accuracy", "xent", "bits"};

/* What the metrics sum over rows. */
typedef struct Score {
    long rows, numbers;
    double sq, abs, nll;
    long within, right;
} Score;

typedef struct Eval {
    int metric[M_COUNT];
    double tolerance;
    int class_index, log_probs;
    int width;                  /* outputs per row */
    const char *targets;        /* the file's name, for messages */
} Eval;

/* The class of a row of n outputs: the argmax, or for one output y >= 0.5. */
static int class_of(const double *y, int n)
{
    if (n == 1)
        return y[0] >= 0.5;
    int best = 0;
    for (int k = 1; k < n; k++)
        if (y[k] > y[best])
            best = k;
    return best;
}

/* log p for output k. */
static double log_prob(const Eval *e, const double *y, int k)
{
    return e->log_probs ? y[k] : log(y[k]);
}

/* Adds one output row y and its target row t (class index or full row). */
static void score_row(Score *s, const Eval *e, const double *y, const double *t)
{
    int n = e->width, all_within = 1;
    s->rows++;
    if (!e->class_index) {
        for (int k = 0; k < n; k++) {
            double d = y[k] - t[k];
            s->sq += d * d;
            s->abs += fabs(d);
            all_within &= fabs(d) < e->tolerance;
            if (t[k] != 0)
                s->nll -= t[k] * log_prob(e, y, k);
        }
        s->numbers += n;
        s->within += all_within;
        s->right += class_of(y, n) == class_of(t, n);
        return;
    }
    int c = (int)t[0];
    s->right += class_of(y, n) == c;
    s->nll -= n == 1 ? (c ? log_prob(e, y, 0) : (e->log_probs ? log1p(-exp(y[0])) : log1p(-y[0])))
                     : log_prob(e, y, c);
}

static void print_score(const Score *s, const Eval *e)
{
    double rows = s->rows ? (double)s->rows : 1, numbers = s->numbers ? (double)s->numbers : 1;
    for (int k = 0; k < M_COUNT; k++) {
        if (!e->metric[k])
            continue;
        switch (k) {
        case M_MSE: printf(" mse %.9g", s->sq / numbers); break;
        case M_MAE: printf(" mae %.9g", s->abs / numbers); break;
        case M_WITHIN: printf(" within %.9g", (double)s->within / rows); break;
        case M_ACCURACY: printf(" accuracy %.9g", (double)s->right / rows); break;
        case M_XENT: printf(" xent %.9g", s->nll / rows); break;
        case M_BITS: printf(" bits %.9g", s->nll / rows / log(2.0)); break;
        }
    }
    putchar('\n');
}

/* The totals, one metric per line, with the counts behind the shares. */
static void print_totals(const Score *s, const Eval *e, long seqs)
{
    double rows = s->rows ? (double)s->rows : 1, numbers = s->numbers ? (double)s->numbers : 1;
    printf("sequences %ld\nrows %ld\n", seqs, s->rows);
    if (e->metric[M_MSE]) printf("mse %.9g\n", s->sq / numbers);
    if (e->metric[M_MAE]) printf("mae %.9g\n", s->abs / numbers);
    if (e->metric[M_WITHIN])
        printf("within %.9g\nwithin_rows %ld\n", (double)s->within / rows, s->within);
    if (e->metric[M_ACCURACY])
        printf("accuracy %.9g\naccuracy_rows %ld\n", (double)s->right / rows, s->right);
    if (e->metric[M_XENT]) printf("xent %.9g\n", s->nll / rows);
    if (e->metric[M_BITS]) printf("bits %.9g\n", s->nll / rows / log(2.0));
}

/* Parses --metric and --tolerance into e. Returns -1, or EXIT_USAGE. */
static int parse_metrics(const Args *a, Eval *e)
{
    const char *list = a->metric ? a->metric : "mse";
    char word[32];
    for (const char *p = list; *p;) {
        size_t n = strcspn(p, ",");
        int found = -1;
        for (int k = 0; k < M_COUNT; k++)
            if (strlen(metric_names[k]) == n && strncmp(p, metric_names[k], n) == 0)
                found = k;
        if (found < 0) {
            snprintf(word, sizeof word, "%.*s", (int)(n < 24 ? n : 24), p);
            return cli_usage_error(a, "unknown metric '%s'; expected mse, mae, within, accuracy, xent or bits",
                                   word);
        }
        e->metric[found] = 1;
        p += n + (p[n] == ',');
    }
    if (a->tolerance) {
        char *end;
        e->tolerance = strtod(a->tolerance, &end);
        if (*end || !(e->tolerance > 0) || !isfinite(e->tolerance))
            return cli_usage_error(a, "--tolerance '%s' is not a number > 0", a->tolerance);
    } else if (e->metric[M_WITHIN]) {
        return cli_usage_error(a, "%s", "the metric 'within' needs --tolerance T");
    }
    if (a->tolerance && !e->metric[M_WITHIN])
        return cli_usage_error(a, "%s", "--tolerance is for the metric 'within'");
    if (a->class_index && (e->metric[M_MSE] || e->metric[M_MAE] || e->metric[M_WITHIN]))
        return cli_usage_error(a, "%s", "--class-index targets are classes: mse, mae and within need target rows");
    if (!a->targets)
        return cli_usage_error(a, "%s", "missing the targets: --targets FILE");
    if (a->npos < 2)
        return cli_usage_error(a, "%s", "missing the data file: lstmc eval SPEC DATA --targets FILE");
    return -1;
}

/* Reads the next target row (row, from 0) into t; checks a class index.
 * Returns 1, 0 at the end, or -1 after reporting. */
static int next_target(DataIn *td, const Eval *e, double *t, long row)
{
    int st;
    while ((st = rt_rows_step(&td->rows, t, stderr)) == RT_BREAK)
        ;
    if (st == RT_ERROR)
        return -1;
    if (st == RT_END)
        return 0;
    if (e->class_index) {
        int n = e->width == 1 ? 2 : e->width;
        if (t[0] != floor(t[0]) || t[0] < 0 || t[0] >= n) {
            diag_file_error(e->targets, "row %ld: %.9g is not a class index from 0 to %d", row, t[0], n - 1);
            return -1;
        }
    } else if (e->metric[M_XENT] || e->metric[M_BITS]) {
        for (int k = 0; k < e->width; k++)
            if (t[k] < 0) {
                diag_file_error(e->targets, "row %ld: a target probability is negative (%.9g)", row, t[k]);
                return -1;
            }
    }
    return 1;
}

/* Runs every sequence of d through r and scores it against td. */
static int eval_data(SeqRunner *r, DataIn *d, DataIn *td, const Eval *e, int per_sequence)
{
    const IrModel *m = r->m;
    Score total = {0};
    long seqs = 0, steps;
    const double *x;
    double *y = NULL, *t = mem_alloc(sizeof(double) * (size_t)e->width);
    size_t y_cap = 0;
    int status = EXIT_OK;
    while ((steps = rt_rows_next(&d->rows, &x, stderr)) > 0) {
        long out_rows = m->output_last ? 1 : steps;
        if ((size_t)(out_rows * m->output) > y_cap) {
            y_cap = (size_t)(out_rows * m->output);
            y = mem_realloc(y, sizeof(double) * y_cap);
        }
        if (r->streaming)
            r->reset(r);
        r->run(r, x, steps, y);
        Score s = {0};
        for (long k = 0; k < out_rows; k++) {
            int got = next_target(td, e, t, total.rows + s.rows);
            if (got == 0)
                diag_file_error(e->targets, "has %ld rows; the model gave more output rows on the data "
                                "(sequence %ld)", total.rows + s.rows, seqs);
            if (got <= 0) {
                status = EXIT_BAD_INPUT;
                goto done;
            }
            score_row(&s, e, y + k * m->output, t);
        }
        if (per_sequence) {
            printf("sequence %ld rows %ld", seqs, s.rows);
            print_score(&s, e);
        }
        total.rows += s.rows, total.numbers += s.numbers, total.sq += s.sq, total.abs += s.abs;
        total.nll += s.nll, total.within += s.within, total.right += s.right;
        seqs++;
    }
    if (steps < 0) {
        status = EXIT_BAD_INPUT;
    } else {
        int more = next_target(td, e, t, total.rows);
        if (more != 0) {
            if (more > 0)
                diag_file_error(e->targets, "has more rows than the model's %ld output rows on the data",
                                total.rows);
            status = EXIT_BAD_INPUT;
        } else if (total.rows == 0) {
            diag_file_error(td->rows.name, "%s", "no rows to score: the data is empty");
            status = EXIT_BAD_INPUT;
        } else {
            print_totals(&total, e, seqs);
        }
    }
done:
    mem_free(y);
    mem_free(t);
    return status;
}

int cmd_eval(const Args *a)
{
    Eval e = {{0}, 0, a->class_index, a->log_probs, 0, a->targets};
    LowerOptions lo;
    int st = cli_lower_options(a, &lo);
    if (st >= 0 || (st = parse_metrics(a, &e)) >= 0)
        return st;
    if (a->activations && !a->jit)
        return cli_usage_error(a, "%s", "--activations is for --jit: the interpreter computes the exact functions");
#ifndef LSTMC_HAVE_LLVM
    if (a->jit)
        return cli_no_llvm("--jit");
#endif
    Arena arena = {0};
    IrModel *m = cli_load_model(&arena, a);
    if (!m) {
        arena_free(&arena);
        return EXIT_BAD_INPUT;
    }
    if (m->arithmetic != ARITH_INT16 && (a->ranges || a->calibrate)) {
        arena_free(&arena);
        return cli_usage_error(a, "%s", "--ranges and --calibrate are for arithmetic int16 (--arithmetic int16)");
    }
    if (m->arithmetic == ARITH_INT16 && a->activations) {
        arena_free(&arena);
        return cli_usage_error(a, "%s", "--activations is for float arithmetic: arithmetic int16's activations "
                               "are tables");
    }
    e.width = m->output;
    DataIn d, td;
    int status = EXIT_BAD_INPUT;
    if (cli_data_open(&d, a, a->pos[1], a->format, a->header, m->input, &status) != 0) {
        arena_free(&arena);
        return status;
    }
    rt_rows_tokens(&d.rows, ir_vocabulary(m));
    if (cli_data_open(&td, a, a->targets, NULL, 0, e.class_index ? 1 : m->output, &status) != 0) {
        cli_data_close(&d);
        arena_free(&arena);
        return status;
    }
    SeqRunner r = {0};
    int ok = 1, int16 = m->arithmetic == ARITH_INT16;
#ifdef LSTMC_HAVE_LLVM
    if (a->jit)
        ok = (int16 ? jit_int_runner_open(&r, &arena, m, a) : jit_runner_open(&r, &arena, m, &lo)) == 0;
#endif
    if (int16 && !a->jit)
        ok = cli_int_runner_open(&r, &arena, m, a) == 0;
    else if (!a->jit)
        cli_interp_runner_open(&r, m, NULL);
    status = ok ? eval_data(&r, &d, &td, &e, a->per_sequence) : EXIT_BAD_INPUT;
#ifdef LSTMC_HAVE_LLVM
    if (a->jit && ok)
        (int16 ? jit_int_runner_close : jit_runner_close)(&r);
#endif
    if (!a->jit && !int16)
        cli_interp_runner_close(&r);
    if (int16 && !a->jit)
        cli_int_runner_close(&r);
    cli_data_close(&td);
    cli_data_close(&d);
    arena_free(&arena);
    if (fflush(stdout) != 0 && status == EXIT_OK)
        status = EXIT_BAD_INPUT;
    return status;
}
