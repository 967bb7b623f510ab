/*
 * main.c - the lstmc command line: parses flags and runs the pipeline
 *   spec -> parse -> sema -> weights -> IR -> { interpreter, ... }
 *
 * Exit status: 0 success, 1 bad input (spec, weights, data), 2 usage.
 */
#include "ast.h"
#include "cli.h"
#include "quant.h"
#include "fixed.h"
#include "interp.h"
#include "lstmc_rows.h"
#include "sema.h"
#include "trace_file.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char usage_main[] =
    "usage: lstmc <command> [options]\n"
    "\n"
    "lstmc compiles LSTM model specs (.lstm files) with trained weights\n"
    "(safetensors) into specialized C.\n"
    "\n"
    "commands:\n"
    "  check SPEC [-w WEIGHTS]          check a spec and its weights; print a summary\n"
    "  run SPEC [-w WEIGHTS] [INPUT]    run the model in the reference interpreter\n"
    "  compile SPEC [-w WEIGHTS] -o PREFIX\n"
    "                                   write specialized C: PREFIX.c and PREFIX.h\n"
    "  build SPEC [-w WEIGHTS] -o BIN   build a standalone executable\n"
    "  eval SPEC DATA --targets FILE    score the model on labelled data\n"
    "  compare A B DATA                 run two specs on the same data, side by side\n"
    "  verify SPEC DATA                 run one spec through every path; the largest difference\n"
    "  init SPEC -o WEIGHTS             random weights for a spec, in its convention\n"
    "  calibrate SPEC DATA -o RANGES    the range of every tensor over DATA, for\n"
    "                                   --arithmetic int16\n"
    "  import MODEL.onnx -o DIR         write DIR/NAME.lstm and DIR/NAME.safetensors\n"
    "                                   from an ONNX model\n"
    "  help [COMMAND]                   show this help, or a command's\n"
    "\n"
    "options:\n"
    "  -h, --help                       show help (also after a command)\n"
    "  --version                        print the version\n"
    "\n"
    "The spec language is described in grammar/SPEC.md.\n";

static const char usage_check[] =
    "usage: lstmc check SPEC [-w WEIGHTS] [--no-weights] [--ast]\n"
    "\n"
    "Checks the spec and its weights, then prints a summary: layers, parameter\n"
    "count, weight bytes, state bytes and FLOPs per timestep. Mistakes are\n"
    "reported as file:line:col: error: ... with the line and a caret.\n"
    "\n"
    "options:\n"
    "  -w, --weights FILE   weights to use instead of the spec's 'weights' file\n"
    "  --no-weights         check the spec alone, without reading weights\n"
    "  --ast                print the syntax tree instead of the summary\n"
    "  -h, --help           show this help\n"
    "\n"
    "exit status: 0 valid, 1 invalid spec or weights, 2 usage error\n";

static const char usage_run[] =
    "usage: lstmc run SPEC [-w WEIGHTS] [--weights-type T] [--jit [--activations exact|fast]]\n"
    "                 [--arithmetic int16 --ranges FILE]\n"
    "                 [--format F] [--header] [-o OUTPUT] [--output-format F]\n"
    "                 [--trace FILE] [--state-in FILE] [--state-out FILE] [INPUT]\n"
    "\n"
    "Runs the model in the reference interpreter (double precision) on INPUT,\n"
    "or standard input when INPUT is absent or '-', and writes the outputs to\n"
    "standard output (or OUTPUT). With --jit, the model is compiled in memory by\n"
    "the LLVM backend (float32, as 'compile' makes it) and runs at compiled speed.\n"
    "\n"
    "Data, in (--format) and out (--output-format); by default the form the file\n"
    "name's extension says (.npy, .f32), else text:\n"
    "  text  one timestep per line, the input features separated by spaces, tabs\n"
    "        or commas; a blank line ends a sequence (the state resets); '#'\n"
    "        starts a comment; --header skips a first line of column names.\n"
    "        Output: one line per step (or one per sequence for 'output last;',\n"
    "        'final;', 'mean;' or 'max;'), numbers printed with %.9g.\n"
    "        A model with 'input tokens;' reads token ids instead: one per line\n"
    "        or several, each a step; an id outside 0 .. vocabulary-1 is an error.\n"
    "  f32   raw little-endian float32, one timestep after another: one sequence.\n"
    "  npy   a NumPy .npy array, float32 or float64: [steps, features] is one\n"
    "        sequence, [sequences, steps, features] several. Output: float32,\n"
    "        [steps, outputs], [sequences, steps, outputs] for several sequences\n"
    "        (of one length), [sequences, outputs] for one row per sequence.\n"
    "\n"
    "Streaming: a model without a backward direction reads a timestep, writes\n"
    "its output row and, when the output is a pipe or a terminal, flushes it\n"
    "before it reads the next, in memory that does not grow with the input, so\n"
    "an endless stream works ('output last;' writes a row at each sequence's\n"
    "end). A model with a backward direction, or with 'output mean;' or 'max;',\n"
    "needs each whole sequence first, and keeps it in memory. Bad data is\n"
    "reported as FILE:LINE:COL (text) or FILE: byte N (binary) and stops the\n"
    "run with status 1: a streaming model's rows before it are written, a\n"
    "whole-sequence model's bad sequence is not.\n"
    "\n"
    "options:\n"
    "  -w, --weights FILE   weights to use instead of the spec's 'weights' file\n"
    "  --weights-type T     the weights stored as f32, f16, bf16 or int8 (see\n"
    "                       compile --help); the spec's by default\n"
    "  --products int8      h in int8 (SPEC.md)\n"
    "  --arithmetic int16   integer-only (SPEC.md); formats from --ranges FILE\n"
    "                       (lstmc calibrate) or --calibrate DATA\n"
    "  --jit                run the model compiled by LLVM in memory (needs an\n"
    "                       lstmc built with LLVM; int16 too), not the interpreter\n"
    "  --activations MODE   with --jit: fast (default) or exact, as for compile\n"
    "  --format F           the input's form: text, f32 or npy\n"
    "  --header             text input: skip its first line (column names)\n"
    "  -o, --output FILE    write the outputs to FILE, as '> FILE' would\n"
    "  --output-format F    the output's form: text, f32 or npy\n"
    "  --trace FILE         write every step's gates i, f, g, o, cell state c and\n"
    "                       hidden state h of each layer to FILE: CSV, or .npy\n"
    "                       when FILE ends in .npy (grammar/SPEC.md, \"Traces\";\n"
    "                       the interpreter only)\n"
    "  --state-in FILE      start each sequence from a state of FILE instead of the\n"
    "                       initial state: one row for every sequence, or one row\n"
    "                       per sequence; a row is h then c, as the generated\n"
    "                       NAME_set_state takes them (PyTorch's h_n, then c_n;\n"
    "                       grammar/SPEC.md, \"Start and final states\"); the\n"
    "                       form the extension says (.npy, .f32, else text)\n"
    "  --state-out FILE     write each sequence's final state (h_n, then c_n) to\n"
    "                       FILE, a row per sequence, in the same layout\n"
    "  -h, --help           show this help\n"
    "\n"
    "exit status: 0 success, 1 invalid spec, weights or data, or a failed write,\n"
    "2 usage error\n";

/* Flags, and which commands take them. */
enum {
    F_CHECK = 1, F_RUN = 2, F_COMPILE = 4, F_BUILD = 8, F_IMPORT = 16,
    F_EVAL = 32, F_COMPARE = 64, F_VERIFY = 128, F_INIT = 256, F_CALIBRATE = 512,
    F_ALL = F_CHECK | F_RUN | F_COMPILE | F_BUILD | F_EVAL | F_COMPARE | F_VERIFY | F_INIT | F_CALIBRATE,
    F_DATA = F_RUN | F_EVAL | F_COMPARE | F_VERIFY | F_CALIBRATE,   /* commands that read data */
    F_INT16 = F_RUN | F_COMPILE | F_BUILD | F_EVAL,   /* --arithmetic, --ranges, --calibrate */
};

typedef struct Flag {
    const char *long_name, *short_name;
    int commands;
    int takes_value;
} Flag;

static const Flag flags[] = {
    {"--weights", "-w", F_ALL & ~F_INIT, 1},
    {"--output", "-o", F_RUN | F_COMPILE | F_BUILD | F_IMPORT | F_INIT | F_CALIBRATE, 1},
    {"--arithmetic", NULL, F_INT16, 1},
    {"--ranges", NULL, F_INT16, 1},
    {"--calibrate", NULL, F_INT16, 1},
    {"--name", NULL, F_COMPILE | F_BUILD | F_IMPORT, 1},
    {"--graph-output", NULL, F_IMPORT, 1},
    {"--input-values", NULL, F_IMPORT, 1},
    {"--activations", NULL, F_RUN | F_COMPILE | F_BUILD | F_EVAL, 1},
    {"--threads", NULL, F_COMPILE, 1},
    {"--chunk", NULL, F_COMPILE | F_BUILD, 1},
    {"--products", NULL, F_INT16 | F_COMPARE | F_VERIFY, 1},
    {"--weights-type", NULL, F_RUN | F_COMPILE | F_BUILD | F_EVAL | F_COMPARE | F_VERIFY, 1},
    {"--emit", NULL, F_COMPILE | F_BUILD, 1},
    {"--target", NULL, F_COMPILE, 1},
    {"--cpu", NULL, F_COMPILE, 1},
    {"--features", NULL, F_COMPILE, 1},
    {"--opt-level", NULL, F_COMPILE, 1},
    {"--jit", NULL, F_RUN | F_EVAL, 0},
    {"--format", NULL, F_DATA, 1},
    {"--output-format", NULL, F_RUN, 1},
    {"--header", NULL, F_DATA, 0},
    {"--trace", NULL, F_RUN, 1},
    {"--state-in", NULL, F_RUN, 1},
    {"--state-out", NULL, F_RUN, 1},
    {"--targets", NULL, F_EVAL, 1},
    {"--metric", NULL, F_EVAL, 1},
    {"--tolerance", NULL, F_EVAL | F_COMPARE | F_VERIFY, 1},
    {"--class-index", NULL, F_EVAL, 0},
    {"--log-probs", NULL, F_EVAL, 0},
    {"--per-sequence", NULL, F_EVAL, 0},
    {"--seed", NULL, F_INIT, 1},
    {"--scheme", NULL, F_INIT, 1},
    {"--shared", NULL, F_BUILD, 0},
    {"--portable", NULL, F_BUILD, 0},
    {"--cc", NULL, F_BUILD, 1},
    {"--cflags", NULL, F_BUILD, 1},
    {"--no-weights", NULL, F_CHECK, 0},
    {"--ast", NULL, F_CHECK, 0},
    {"--help", "-h", F_ALL | F_IMPORT, 0},
};

static void set_flag(Args *a, const char *name, const char *value)
{
    if (strcmp(name, "--weights") == 0 && a->weights && strcmp(a->cmd, "compare") == 0)
        a->weights_b = value;   /* compare's B */
    else if (strcmp(name, "--weights") == 0) a->weights = value;
    else if (strcmp(name, "--output") == 0) a->output = value;
    else if (strcmp(name, "--name") == 0) a->name = value;
    else if (strcmp(name, "--graph-output") == 0) a->graph_output = value;
    else if (strcmp(name, "--input-values") == 0) a->input_values = value;
    else if (strcmp(name, "--activations") == 0) a->activations = value;
    else if (strcmp(name, "--threads") == 0) a->threads = value;
    else if (strcmp(name, "--chunk") == 0) a->chunk = value;
    else if (strcmp(name, "--weights-type") == 0) a->weights_type = value;
    else if (strcmp(name, "--products") == 0) a->products = value;
    else if (strcmp(name, "--arithmetic") == 0) a->arithmetic = value;
    else if (strcmp(name, "--ranges") == 0) a->ranges = value;
    else if (strcmp(name, "--calibrate") == 0) a->calibrate = value;
    else if (strcmp(name, "--emit") == 0) a->emit = value;
    else if (strcmp(name, "--target") == 0) a->target = value;
    else if (strcmp(name, "--cpu") == 0) a->cpu = value;
    else if (strcmp(name, "--features") == 0) a->features = value;
    else if (strcmp(name, "--opt-level") == 0) a->opt = value;
    else if (strcmp(name, "--jit") == 0) a->jit = 1;
    else if (strcmp(name, "--format") == 0) a->format = value;
    else if (strcmp(name, "--output-format") == 0) a->output_format = value;
    else if (strcmp(name, "--header") == 0) a->header = 1;
    else if (strcmp(name, "--shared") == 0) a->shared = 1;
    else if (strcmp(name, "--portable") == 0) a->portable = 1;
    else if (strcmp(name, "--cc") == 0) a->cc = value;
    else if (strcmp(name, "--cflags") == 0) a->cflags = value;
    else if (strcmp(name, "--no-weights") == 0) a->no_weights = 1;
    else if (strcmp(name, "--ast") == 0) a->ast = 1;
    else if (strcmp(name, "--trace") == 0) a->trace = value;
    else if (strcmp(name, "--state-in") == 0) a->state_in = value;
    else if (strcmp(name, "--state-out") == 0) a->state_out = value;
    else if (strcmp(name, "--targets") == 0) a->targets = value;
    else if (strcmp(name, "--metric") == 0) a->metric = value;
    else if (strcmp(name, "--tolerance") == 0) a->tolerance = value;
    else if (strcmp(name, "--class-index") == 0) a->class_index = 1;
    else if (strcmp(name, "--log-probs") == 0) a->log_probs = 1;
    else if (strcmp(name, "--per-sequence") == 0) a->per_sequence = 1;
    else if (strcmp(name, "--seed") == 0) a->seed = value;
    else if (strcmp(name, "--scheme") == 0) a->scheme = value;
}

/* Parses argv[i..argc) for a command whose bit in Flag.commands is `cmd`.
 * Returns -1 to go on, or an exit status (help printed, or a usage error). */
static int parse_args(Args *a, int cmd, int argc, char **argv, int i)
{
    const char *names[COUNT_OF(flags)];
    size_t nnames = 0;
    for (size_t k = 0; k < COUNT_OF(flags); k++)
        if (flags[k].commands & cmd)
            names[nnames++] = flags[k].long_name;
    for (; i < argc; i++) {
        const char *s = argv[i];
        if (strcmp(s, "--") == 0) {
            for (i++; i < argc; i++) {
                if (a->npos == a->maxpos)
                    return cli_usage_error(a, "unexpected argument '%s'", argv[i]);
                a->pos[a->npos++] = argv[i];
            }
            break;
        }
        if (s[0] != '-' || s[1] == '\0') {
            if (a->npos == a->maxpos)
                return cli_usage_error(a, "unexpected argument '%s'", s);
            a->pos[a->npos++] = s;
            continue;
        }
        /* --flag VALUE, --flag=VALUE, -f VALUE */
        const char *eq = strchr(s, '=');
        size_t len = eq && s[1] == '-' ? (size_t)(eq - s) : strlen(s);
        const Flag *f = NULL;
        for (size_t k = 0; k < COUNT_OF(flags) && !f; k++)
            if ((flags[k].commands & cmd) &&
                ((strlen(flags[k].long_name) == len && strncmp(s, flags[k].long_name, len) == 0) ||
                 (flags[k].short_name && strcmp(s, flags[k].short_name) == 0)))
                f = &flags[k];
        if (!f) {
            const char *near = nearest_word(s, names, nnames);
            char msg[200];
            snprintf(msg, sizeof msg, "unknown option '%%s' for '%s'%s%s%s", a->cmd,
                     near ? "; did you mean '" : "", near ? near : "", near ? "'?" : "");
            return cli_usage_error(a, msg, s);
        }
        if (strcmp(f->long_name, "--help") == 0) {
            fputs(a->usage, stdout);
            return EXIT_OK;
        }
        const char *value = NULL;
        if (f->takes_value && s[len] == '=') {
            value = s + len + 1;
        } else if (f->takes_value) {
            if (++i == argc)
                return cli_usage_error(a, "'%s' needs a value", s);
            value = argv[i];
        } else if (s[len] == '=') {
            return cli_usage_error(a, "'%s' takes no value", f->long_name);
        }
        if (f->takes_value && !value[0])
            return cli_usage_error(a, "'%s' needs a non-empty value", f->long_name);
        set_flag(a, f->long_name, value);
    }
    if (a->weights_type && quant_type_of(a->weights_type) < 0)
        return cli_usage_error(a, "--weights-type '%s' is not f32, f16, bf16 or int8", a->weights_type);
    if (a->products && strcmp(a->products, "f32") != 0 && strcmp(a->products, "int8") != 0)
        return cli_usage_error(a, "--products '%s' is not f32 or int8", a->products);
    if (a->arithmetic && fixed_arith_of(a->arithmetic) < 0)
        return cli_usage_error(a, "--arithmetic '%s' is not float or int16", a->arithmetic);
    if (a->arithmetic && strcmp(a->arithmetic, "int16") == 0 && a->weights_type &&
        strcmp(a->weights_type, "int8") != 0)
        return cli_usage_error(a, "--weights-type %s: arithmetic int16 computes with int8 weights", a->weights_type);
    if (a->ranges && a->calibrate)
        return cli_usage_error(a, "%s", "--ranges and --calibrate both give the ranges: give one");
    if (a->npos == 0)
        return cli_usage_error(a, "%s", strcmp(a->cmd, "import") == 0 ? "missing the ONNX model file"
                                                                      : "missing the spec file");
    return -1;
}

static int finish_output(void)
{
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "lstmc: error: cannot write the output: %s\n", strerror(errno));
        return EXIT_BAD_INPUT;
    }
    return EXIT_OK;
}

static int cmd_check(const Args *a)
{
    Arena arena = {0};
    IrModel *m = cli_load_spec(&arena, a->pos[0], a->weights, !a->no_weights, a->ast);
    if (m && !a->ast)
        ir_print_summary(stdout, m);
    arena_free(&arena);
    int status = finish_output();
    return m ? status : EXIT_BAD_INPUT;
}

/* The runtime's loop (rt_run) sees a SeqRunner through these. */
static void loop_reset(void *ctx)
{
    SeqRunner *r = ctx;
    r->reset(r);
}

static int loop_run(void *ctx, const double *x, size_t steps, double *y)
{
    SeqRunner *r = ctx;
    r->run(r, x, (long)steps, y);
    return 0;
}

/* The runtime's loop sets and reads a SeqRunner's state through these. */
static void loop_set_state(void *ctx, const double *s)
{
    SeqRunner *r = ctx;
    r->set_state(r, s);
}

static void loop_get_state(void *ctx, double *s)
{
    SeqRunner *r = ctx;
    r->get_state(r, s);
}

/* --state-in and --state-out: the files the loop reads start states from
 * and writes final states to. Returns 0, or EXIT_BAD_INPUT after reporting
 * (what was opened is closed by states_close). */
typedef struct StateFiles {
    FILE *in, *out;
    rt_rows rows;
    rt_out wr;
    int reading, writing;
} StateFiles;

static int states_open(StateFiles *sf, const Args *a, rt_model *model, int width)
{
    memset(sf, 0, sizeof *sf);
    int st;
    if (a->state_in) {
        int format = cli_data_format(a, "--state-in", NULL, a->state_in, &st);
        if (!(sf->in = fopen(a->state_in, format == RT_TEXT ? "r" : "rb"))) {
            diag_file_error(a->state_in, "cannot open: %s", strerror(errno));
            return EXIT_BAD_INPUT;
        }
        rt_rows_init(&sf->rows, sf->in, a->state_in, width);
        rt_rows_format(&sf->rows, (rt_format)format, 0);
        sf->reading = 1;
        model->state_in = &sf->rows;
    }
    if (a->state_out) {
        int format = cli_data_format(a, "--state-out", NULL, a->state_out, &st);
        if (!(sf->out = fopen(a->state_out, "wb"))) {
            diag_file_error(a->state_out, "cannot write: %s", strerror(errno));
            return EXIT_BAD_INPUT;
        }
        sf->writing = 1;
        if (rt_out_init(&sf->wr, sf->out, a->state_out, (rt_format)format, width) != 0) {
            diag_file_error(a->state_out, "cannot write: %s", strerror(errno));
            return EXIT_BAD_INPUT;
        }
        model->state_out = &sf->wr;
    }
    model->state = width;
    model->set_state = loop_set_state;
    model->get_state = loop_get_state;
    return EXIT_OK;
}

/* Closes what states_open opened; status: the run's, which a failed write
 * of the states turns into EXIT_BAD_INPUT. A failed run leaves no state
 * file behind. */
static int states_close(StateFiles *sf, const Args *a, int status)
{
    if (sf->reading)
        rt_rows_free(&sf->rows);
    if (sf->in)
        fclose(sf->in);
    if (sf->writing && status == EXIT_OK && rt_out_finish(&sf->wr, stderr) != RT_RUN_OK) {
        diag_file_error(a->state_out, "cannot write: %s", strerror(errno));
        status = EXIT_BAD_INPUT;
    }
    if (sf->writing)
        rt_out_free(&sf->wr);
    if (sf->out && fclose(sf->out) != 0 && status == EXIT_OK) {
        diag_file_error(a->state_out, "cannot write: %s", strerror(errno));
        status = EXIT_BAD_INPUT;
    }
    if (sf->out && status != EXIT_OK)
        remove(a->state_out);
    return status;
}

/* Streams the input through r into the output (rt_run, shared with the
 * programs of `lstmc build`). Returns the exit status. */
static int run_data(SeqRunner *r, const Args *a, int in_format, int out_format)
{
    const IrModel *m = r->m;
    const char *input = a->npos > 1 ? a->pos[1] : "-";
    int to_file = a->output && strcmp(a->output, "-") != 0;
    FILE *in = strcmp(input, "-") == 0 ? stdin : fopen(input, in_format == RT_TEXT ? "r" : "rb");
    if (!in) {
        diag_file_error(input, "cannot open: %s", strerror(errno));
        return EXIT_BAD_INPUT;
    }
    FILE *out = to_file ? fopen(a->output, "wb") : stdout;
    if (!out) {
        diag_file_error(a->output, "cannot write: %s", strerror(errno));
        if (in != stdin)
            fclose(in);
        return EXIT_BAD_INPUT;
    }
    rt_rows rows;
    rt_out wr;
    rt_rows_init(&rows, in, in == stdin ? "<stdin>" : input, m->input);
    rt_rows_format(&rows, (rt_format)in_format, a->header);
    rt_model model;
    memset(&model, 0, sizeof model);
    memset(&wr, 0, sizeof wr);
    model.input = m->input;
    model.output = m->output;
    model.streaming = r->streaming;
    model.output_last = m->output_last;
    model.chunk = (size_t)r->chunk;
    model.ctx = r;
    model.reset = loop_reset;
    model.run = loop_run;
    StateFiles sf;
    rt_rows_tokens(&rows, ir_vocabulary(m));
    int st = states_open(&sf, a, &model, (int)interp_state_size(m, NULL)) == EXIT_OK ? RT_RUN_OK : -1;
    if (st == RT_RUN_OK)
        st = rt_out_init(&wr, out, to_file ? a->output : "<stdout>", (rt_format)out_format, m->output);
    if (st == RT_RUN_OK)
        st = rt_run(&model, &rows, &wr, stderr);
    if (st == RT_RUN_OK || st == RT_RUN_BAD_INPUT) {
        int fin = rt_out_finish(&wr, stderr);
        if (fin != RT_RUN_OK)
            st = fin;
    }
    int status = st == RT_RUN_OK ? EXIT_OK : EXIT_BAD_INPUT;
    if (st == RT_RUN_WRITE_FAILED)
        diag_fatal("cannot write the output: %s", strerror(errno));
    if (st == RT_RUN_NO_MEMORY)
        diag_fatal("out of memory");
    rt_out_free(&wr);
    rt_rows_free(&rows);
    if (in != stdin)
        fclose(in);
    if (out != stdout && (fclose(out) != 0) && status == EXIT_OK) {
        diag_file_error(a->output, "cannot write: %s", strerror(errno));
        status = EXIT_BAD_INPUT;
    }
    return states_close(&sf, a, status);
}

static int cmd_run(const Args *a)
{
    LowerOptions lo;
    int st = cli_lower_options(a, &lo);
    if (st >= 0)
        return st;
    if (a->activations && !a->jit)
        return cli_usage_error(a, "%s", "--activations is for --jit: the interpreter computes the exact functions");
    int in_format = cli_data_format(a, "--format", a->format, a->npos > 1 ? a->pos[1] : NULL, &st);
    if (in_format < 0)
        return st;
    int out_format = cli_data_format(a, "--output-format", a->output_format, a->output, &st);
    if (out_format < 0)
        return st;
    if (a->header && in_format != RT_TEXT)
        return cli_usage_error(a, "%s", "--header is for text input: a binary form has no column names");
    if (a->trace && a->jit)
        return cli_usage_error(a, "%s", "--trace is the interpreter's: the compiled model keeps no gates to show");
#ifndef LSTMC_HAVE_LLVM
    if (a->jit)
        return cli_no_llvm("--jit");
#endif
    Arena arena = {0};
    int status = EXIT_BAD_INPUT;
    IrModel *m = cli_load_model(&arena, a);
    SeqRunner r = {0};
    int int16 = m && m->arithmetic == ARITH_INT16;
    if (int16 && a->jit && a->activations) {
        arena_free(&arena);
        return cli_usage_error(a, "%s", "--activations is for float arithmetic: arithmetic int16's "
                               "activations are tables, its code steps");
    }
    if (m && !int16 && (a->ranges || a->calibrate)) {
        arena_free(&arena);
        return cli_usage_error(a, "%s", "--ranges and --calibrate are for arithmetic int16 (--arithmetic int16)");
    }
    if (int16 && a->trace) {
        arena_free(&arena);
        return cli_usage_error(a, "%s", "--trace is the float interpreter's: arithmetic int16 offers no trace yet");
    }
    if (int16 && (a->state_in || a->state_out)) {
        arena_free(&arena);
        return cli_usage_error(a, "%s", "--state-in and --state-out are the float interpreter's: arithmetic int16 "
                               "starts from its initial state");
    }
    if (m && (a->state_in || a->state_out) && interp_state_size(m, NULL) == 0) {
        fprintf(stderr, "lstmc: error: %s: model '%s' keeps no state (no lstm, gru or rnn layer)\n",
                a->state_in ? "--state-in" : "--state-out", m->name);
        status = EXIT_USAGE;
        m = NULL;
    }
#ifdef LSTMC_HAVE_LLVM
    if (m && a->jit && (int16 ? jit_int_runner_open(&r, &arena, m, a) : jit_runner_open(&r, &arena, m, &lo)) != 0)
        m = NULL;
#endif
    TraceFile tf;
    if (m && a->trace && trace_file_open(&tf, &arena, m, a->trace) != 0)
        m = NULL;
    if (int16 && !a->jit && cli_int_runner_open(&r, &arena, m, a) != 0)
        m = NULL;
    if (m && !a->jit && !int16)
        cli_interp_runner_open(&r, m, a->trace ? &tf.trace : NULL);
    if (m)
        status = run_data(&r, a, in_format, out_format);
    if (m && a->trace && trace_file_close(&tf, status == EXIT_OK) != 0)
        status = EXIT_BAD_INPUT;
#ifdef LSTMC_HAVE_LLVM
    if (a->jit)
        (int16 ? jit_int_runner_close : jit_runner_close)(&r);
#endif
    if (!a->jit && !int16)
        cli_interp_runner_close(&r);
    if (int16 && !a->jit)
        cli_int_runner_close(&r);
    arena_free(&arena);
    int out = finish_output();
    return status ? status : out;
}

typedef struct Command {
    const char *name;
    int bit;                    /* in Flag.commands */
    const char *usage;
    int maxpos;                 /* positional arguments: SPEC [INPUT], A B DATA */
    int (*run)(const Args *a);
} Command;

static const Command commands[] = {
    {"check", F_CHECK, usage_check, 1, cmd_check},
    {"run", F_RUN, usage_run, 2, cmd_run},
    {"compile", F_COMPILE, usage_compile, 1, cmd_compile},
    {"build", F_BUILD, usage_build, 1, cmd_build},
    {"import", F_IMPORT, usage_import, 1, cmd_import},
    {"eval", F_EVAL, usage_eval, 2, cmd_eval},
    {"compare", F_COMPARE, usage_compare, 3, cmd_compare},
    {"verify", F_VERIFY, usage_verify, 2, cmd_verify},
    {"init", F_INIT, usage_init, 1, cmd_init},
    {"calibrate", F_CALIBRATE, usage_calibrate, 2, cmd_calibrate},
};

static const Command *find_command(const char *name)
{
    for (size_t k = 0; k < COUNT_OF(commands); k++)
        if (strcmp(name, commands[k].name) == 0)
            return &commands[k];
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fputs(usage_main, stderr);
        return EXIT_USAGE;
    }
    const char *name = argv[1];
    if (strcmp(name, "-h") == 0 || strcmp(name, "--help") == 0) {
        fputs(usage_main, stdout);
        return EXIT_OK;
    }
    if (strcmp(name, "--version") == 0) {
        printf("lstmc %s\n", LSTMC_VERSION);
        return EXIT_OK;
    }
    if (strcmp(name, "help") == 0) {
        const Command *c = argc > 2 ? find_command(argv[2]) : NULL;
        fputs(c ? c->usage : usage_main, stdout);
        return EXIT_OK;
    }
    const Command *c = find_command(name);
    if (!c) {
        const char *names[COUNT_OF(commands) + 1];
        for (size_t k = 0; k < COUNT_OF(commands); k++)
            names[k] = commands[k].name;
        names[COUNT_OF(commands)] = "help";
        const char *near = nearest_word(name, names, COUNT_OF(names));
        fprintf(stderr, "lstmc: error: unknown command '%s'%s%s%s\nTry 'lstmc --help'.\n",
                name, near ? "; did you mean '" : "", near ? near : "", near ? "'?" : "");
        return EXIT_USAGE;
    }
    Args a = {0};
    a.cmd = c->name;
    a.usage = c->usage;
    a.maxpos = c->maxpos;
    a.argc = argc;
    a.argv = argv;
    int status = parse_args(&a, c->bit, argc, argv, 2);
    return status >= 0 ? status : c->run(&a);
}
