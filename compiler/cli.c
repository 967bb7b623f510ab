/*
 * cli.c - what the commands share (cli.h): the front end run from a spec
 * path, usage errors, the code generation flags, quoting for banners.
 */
#include "cli.h"
#include "fixed_plan.h"
#include "products.h"
#include "quantize.h"

#include "ast.h"
#include "interp.h"
#include "sema.h"
#include "trace.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

int cli_usage_error(const Args *a, const char *fmt, const char *what)
{
    fprintf(stderr, "lstmc: error: ");
    fprintf(stderr, fmt, what);
    fprintf(stderr, "\nTry 'lstmc %s%s--help'.\n", a->cmd ? a->cmd : "", a->cmd ? " " : "");
    return EXIT_USAGE;
}

/* cli_load_spec, with the weights stored as type_override (a
 * --weights-type; NULL: as the spec's `weights_type` says, f32 without). */
static IrModel *load_spec(Arena *arena, const char *spec_path, const char *weights, int with_weights,
                          int print_ast, const char *type_override, const char *arith_override,
                          const char *products_override)
{
    Source *src = source_read(arena, spec_path);
    if (!src)
        return NULL;
    Node *spec = parse_spec(arena, src);
    if (diag_errors())
        return NULL;
    if (!spec) {
        Loc at = {src, 1, 1, 0};
        diag_error(&at, "the spec is empty: write 'model NAME { input N; lstm NAME { ... } }'");
        return NULL;
    }
    if (print_ast)
        ast_print(stdout, spec);
    IrModel *m = sema_check(arena, spec, weights);
    if (m && arith_override)
        m->arithmetic = (Arithmetic)fixed_arith_of(arith_override);
    if (m && products_override)
        m->products_int8 = strcmp(products_override, "int8") == 0;
    if (m && m->arithmetic == ARITH_INT16 && !type_override && m->weights_type != WT_INT8 &&
        m->weights_type_loc.src) {
        diag_error(&m->weights_type_loc, "arithmetic int16 computes with int8 weights, not %s",
                   quant_type_names[m->weights_type]);
        return NULL;
    }
    if (m && m->arithmetic == ARITH_INT16 && fixed_supported(m) != 0)
        return NULL;   /* (before ir_quantize, whose message names --weights-type) */
    WeightsType t = !m ? WT_F32 : type_override ? (WeightsType)quant_type_of(type_override) : m->weights_type;
    if (m && products_prepare(m, t) != 0)
        return NULL;   /* (before the weights: the checks need none) */
    if (!m || !with_weights)
        return m;
    if (weights_load(arena, m) != 0)
        return NULL;
    if (m->arithmetic == ARITH_INT16)
        t = WT_INT8;   /* (a --weights-type other than int8 is a usage error) */
    return ir_quantize(arena, m, t) == 0 ? m : NULL;
}

IrModel *cli_load_spec(Arena *arena, const char *spec_path, const char *weights, int with_weights,
                       int print_ast)
{
    return load_spec(arena, spec_path, weights, with_weights, print_ast, NULL, NULL, NULL);
}

char *cli_shell_join(Arena *a, const char *const *v, int n)
{
    size_t len = 1;
    for (int i = 0; i < n; i++)
        len += 4 * strlen(v[i]) + 3;
    char *s = arena_alloc(a, len), *p = s;
    for (int i = 0; i < n; i++) {
        const char *w = v[i];
        int plain = w[0] != '\0' && strspn(w, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                              "0123456789-_./=:,+@%") == strlen(w);
        if (i > 0)
            *p++ = ' ';
        if (plain) {
            p += sprintf(p, "%s", w);
            continue;
        }
        *p++ = '\'';
        for (; *w; w++) {
            if (*w == '\'')
                p += sprintf(p, "'\\''");
            else
                *p++ = *w;
        }
        *p++ = '\'';
    }
    *p = '\0';
    return s;
}

int cli_is_identifier(const char *s)
{
    if (!isalpha((unsigned char)s[0]) && s[0] != '_')
        return 0;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '_')
            return 0;
    return 1;
}

int cli_lower_options(const Args *a, LowerOptions *o)
{
    memset(o, 0, sizeof *o);
    o->fast_activations = 1;
    o->threads = 1;
    if (a->activations && strcmp(a->activations, "exact") == 0)
        o->fast_activations = 0;
    else if (a->activations && strcmp(a->activations, "fast") != 0)
        return cli_usage_error(a, "unknown activations mode '%s'; expected 'exact' or 'fast'",
                               a->activations);
    if (a->name && !cli_is_identifier(a->name))
        return cli_usage_error(a, "--name '%s' is not a C identifier", a->name);
    o->name = a->name;
    if (a->chunk) {
        char *end;
        long v = strtol(a->chunk, &end, 10);
        if (*end != '\0' || end == a->chunk || v < 1 || v > 4096)
            return cli_usage_error(a, "--chunk '%s' is not a number of steps from 1 to 4096", a->chunk);
        o->chunk = (int)v;
    }
    return -1;
}

IrModel *cli_load_spec_as(Arena *arena, const char *spec_path, const char *weights, const char *type,
                          const char *products)
{
    return load_spec(arena, spec_path, weights, 1, 0, type, NULL, products);
}

IrModel *cli_load_model(Arena *arena, const Args *a)
{
    return load_spec(arena, a->pos[0], a->weights, 1, 0, a->weights_type, a->arithmetic, a->products);
}

int cli_no_llvm(const char *what)
{
    fprintf(stderr, "lstmc: error: this lstmc was built without the LLVM backend (llvm-config not found); "
            "%s needs it: install LLVM's development files (Debian: llvm-14-dev) and rebuild\n", what);
    return EXIT_USAGE;
}

/* ---- the interpreter as a SeqRunner ---- */

static void interp_reset(SeqRunner *r)
{
    interp_stream_reset(r->impl);
    if (r->trace)
        trace_new_sequence(r->trace);
}

static void interp_steps(SeqRunner *r, const double *x, long steps, double *y)
{
    if (r->trace)
        trace_begin(r->trace, steps);
    interp_stream_run(r->impl, x, steps, y);
    if (r->trace)
        trace_end(r->trace, steps);
}

/* A whole sequence, each one from the initial state. */
static void interp_whole(SeqRunner *r, const double *x, long steps, double *y)
{
    if (r->trace) {
        trace_new_sequence(r->trace);
        trace_begin(r->trace, steps);
    }
    interp_run_state(r->m, x, steps, y, r->trace ? &r->trace->hook : NULL, r->from_start ? r->start : NULL,
                     r->final);
    r->from_start = 0;
    if (r->trace)
        trace_end(r->trace, steps);
}

static void interp_set_stream_state(SeqRunner *r, const double *s)
{
    interp_stream_set_state(r->impl, s);
}

static void interp_get_stream_state(SeqRunner *r, double *s)
{
    interp_stream_get_state(r->impl, s);
}

/* A whole sequence's start, kept for its run; its final state, kept by it. */
static void interp_set_start(SeqRunner *r, const double *s)
{
    memcpy(r->start, s, sizeof(double) * (size_t)interp_state_size(r->m, NULL));
    r->from_start = 1;
}

static void interp_get_final(SeqRunner *r, double *s)
{
    memcpy(s, r->final, sizeof(double) * (size_t)interp_state_size(r->m, NULL));
}

void cli_interp_runner_open(SeqRunner *r, const IrModel *m, Trace *trace)
{
    memset(r, 0, sizeof *r);
    r->m = m;
    r->streaming = interp_can_stream(m);
    r->chunk = 64;
    r->reset = interp_reset;
    r->run = r->streaming ? interp_steps : interp_whole;
    r->impl = r->streaming ? interp_stream_new(m) : NULL;
    r->trace = trace;
    if (r->impl && trace)
        interp_stream_trace(r->impl, &trace->hook);
    long n = interp_state_size(m, NULL);
    if (n && r->streaming) {
        r->set_state = interp_set_stream_state;
        r->get_state = interp_get_stream_state;
    } else if (n) {
        r->start = mem_alloc(sizeof(double) * (size_t)n);
        r->final = mem_alloc(sizeof(double) * (size_t)n);
        r->set_state = interp_set_start;
        r->get_state = interp_get_final;
    }
}

void cli_interp_runner_close(SeqRunner *r)
{
    interp_stream_free(r->impl);
    mem_free(r->start);
    mem_free(r->final);
    r->impl = NULL;
    r->start = r->final = NULL;
}

/* ---- data ---- */

int cli_data_format(const Args *a, const char *flag, const char *value, const char *path, int *status)
{
    if (!value)
        return (int)rt_format_of_path(path && strcmp(path, "-") != 0 ? path : NULL);
    int f = rt_format_named(value);
    if (f < 0) {
        char msg[160];
        snprintf(msg, sizeof msg, "%s '%%s' is not a data form; expected text, f32 or npy", flag);
        *status = cli_usage_error(a, msg, value);
    }
    return f;
}

int cli_data_open(DataIn *d, const Args *a, const char *path, const char *format, int header,
                  int width, int *status)
{
    memset(d, 0, sizeof *d);
    *status = EXIT_BAD_INPUT;
    int form = cli_data_format(a, "--format", format, path, status);
    if (form < 0)
        return -1;
    if (header && form != RT_TEXT) {
        *status = cli_usage_error(a, "%s", "--header is for text input: a binary form has no column names");
        return -1;
    }
    int std = strcmp(path, "-") == 0;
    d->f = std ? stdin : fopen(path, form == RT_TEXT ? "r" : "rb");
    if (!d->f) {
        diag_file_error(path, "cannot open: %s", strerror(errno));
        return -1;
    }
    rt_rows_init(&d->rows, d->f, std ? "<stdin>" : path, width);
    rt_rows_format(&d->rows, (rt_format)form, header);
    return 0;
}

void cli_data_close(DataIn *d)
{
    rt_rows_free(&d->rows);
    if (d->f && d->f != stdin)
        fclose(d->f);
    d->f = NULL;
}
