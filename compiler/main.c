/*
 * main.c - the lstmc command line: parses flags and runs the pipeline
 *   spec -> parse -> sema -> weights -> IR -> { interpreter, ... }
 *
 * Exit status: 0 success, 1 bad input (spec, weights, data), 2 usage.
 */
#include "ast.h"
#include "interp.h"
#include "lstmc_rows.h"
#include "sema.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

enum { EXIT_OK = 0, EXIT_BAD_INPUT = 1, EXIT_USAGE = 2 };

static const char usage_main[] =
    "usage: lstmc <command> [options]\n"
    "\n"
    "lstmc compiles LSTM model specs (.lstm files) with trained weights\n"
    "(safetensors) into specialized C.\n"
    "\n"
    "commands:\n"
    "  check SPEC [-w WEIGHTS]          check a spec and its weights; print a summary\n"
    "  run SPEC [-w WEIGHTS] [INPUT]    run the model in the reference interpreter\n"
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
    "usage: lstmc run SPEC [-w WEIGHTS] [INPUT]\n"
    "\n"
    "Runs the model in the reference interpreter (double precision) on INPUT,\n"
    "or standard input when INPUT is absent or '-', and writes the outputs to\n"
    "standard output.\n"
    "\n"
    "Data format: one timestep per line, the input features separated by\n"
    "spaces, tabs or commas; a blank line ends a sequence (the state resets).\n"
    "Output: one line per step (or one per sequence for 'output last;'),\n"
    "numbers printed with %.9g. A bad line is reported as FILE:LINE:COL and\n"
    "nothing of its sequence is printed.\n"
    "\n"
    "options:\n"
    "  -w, --weights FILE   weights to use instead of the spec's 'weights' file\n"
    "  -h, --help           show this help\n"
    "\n"
    "exit status: 0 success, 1 invalid spec, weights or data, 2 usage error\n";

/* The command line of one command, after flag parsing. */
typedef struct Args {
    const char *cmd;
    const char *usage;
    const char *pos[2];       /* positional arguments */
    int npos, maxpos;
    const char *weights;
    int no_weights, ast;
} Args;

static int usage_error(const Args *a, const char *fmt, const char *what)
{
    fprintf(stderr, "lstmc: error: ");
    fprintf(stderr, fmt, what);
    fprintf(stderr, "\nTry 'lstmc %s%s--help'.\n", a->cmd ? a->cmd : "", a->cmd ? " " : "");
    return EXIT_USAGE;
}

/* Parses argv[i..argc) for a command. Returns -1 to go on, or an exit
 * status (help printed, or a usage error). */
static int parse_args(Args *a, int argc, char **argv, int i)
{
    static const char *const flags[] = {"--weights", "--no-weights", "--ast", "--help"};
    for (; i < argc; i++) {
        const char *s = argv[i];
        if (strcmp(s, "-h") == 0 || strcmp(s, "--help") == 0) {
            fputs(a->usage, stdout);
            return EXIT_OK;
        } else if (strcmp(s, "-w") == 0 || strcmp(s, "--weights") == 0) {
            if (++i == argc)
                return usage_error(a, "'%s' needs a file name", s);
            a->weights = argv[i];
        } else if (strncmp(s, "--weights=", 10) == 0) {
            a->weights = s + 10;
        } else if (strcmp(s, "--no-weights") == 0 && strcmp(a->cmd, "check") == 0) {
            a->no_weights = 1;
        } else if (strcmp(s, "--ast") == 0 && strcmp(a->cmd, "check") == 0) {
            a->ast = 1;
        } else if (strcmp(s, "--") == 0) {
            for (i++; i < argc; i++) {
                if (a->npos == a->maxpos)
                    return usage_error(a, "unexpected argument '%s'", argv[i]);
                a->pos[a->npos++] = argv[i];
            }
        } else if (s[0] == '-' && s[1] != '\0') {
            const char *near = nearest_word(s, flags, COUNT_OF(flags));
            char msg[200];
            snprintf(msg, sizeof msg, "unknown option '%%s' for '%s'%s%s%s", a->cmd,
                     near ? "; did you mean '" : "", near ? near : "", near ? "'?" : "");
            return usage_error(a, msg, s);
        } else {
            if (a->npos == a->maxpos)
                return usage_error(a, "unexpected argument '%s'", s);
            a->pos[a->npos++] = s;
        }
    }
    if (a->npos == 0)
        return usage_error(a, "%s", "missing the spec file");
    if (a->weights && !a->weights[0])
        return usage_error(a, "%s", "the weights file name is empty");
    return -1;
}

/* Runs the front end: spec file -> checked IR, with weights unless
 * with_weights is 0. Returns NULL after reporting. */
static IrModel *load_model(Arena *arena, const char *spec_path, const char *weights,
                           int with_weights, int print_ast)
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
    if (!m || !with_weights)
        return m;
    return weights_load(arena, m) == 0 ? m : NULL;
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
    IrModel *m = load_model(&arena, a->pos[0], a->weights, !a->no_weights, a->ast);
    if (m && !a->ast)
        ir_print_summary(stdout, m);
    arena_free(&arena);
    int status = finish_output();
    return m ? status : EXIT_BAD_INPUT;
}

/* Reads sequences, runs each through the interpreter and prints its
 * outputs; a sequence is printed only once it was read whole. */
static int run_sequences(const IrModel *m, FILE *in, const char *name)
{
    rt_rows rows;
    rt_rows_init(&rows, in, name, m->input);
    double *y = NULL;
    size_t y_cap = 0;
    int status = EXIT_OK;
    for (;;) {
        const double *x;
        long steps = rt_rows_next(&rows, &x, stderr);
        if (steps <= 0) {
            status = steps < 0 ? EXIT_BAD_INPUT : EXIT_OK;
            break;
        }
        long out_rows = m->output_last ? 1 : steps;
        size_t need = (size_t)out_rows * (size_t)m->output;
        if (need > y_cap) {
            y = mem_realloc(y, need * sizeof *y);
            y_cap = need;
        }
        interp_run(m, x, steps, y);
        for (long t = 0; t < out_rows; t++)
            if (rt_rows_write(stdout, y + t * m->output, m->output) < 0)
                diag_fatal("cannot write the output: %s", strerror(errno));
    }
    mem_free(y);
    rt_rows_free(&rows);
    return status;
}

static int cmd_run(const Args *a)
{
    Arena arena = {0};
    int status = EXIT_BAD_INPUT;
    IrModel *m = load_model(&arena, a->pos[0], a->weights, 1, 0);
    if (m) {
        const char *input = a->npos > 1 ? a->pos[1] : "-";
        FILE *in = strcmp(input, "-") == 0 ? stdin : fopen(input, "r");
        if (!in) {
            diag_file_error(input, "cannot open: %s", strerror(errno));
        } else {
            status = run_sequences(m, in, in == stdin ? "<stdin>" : input);
            if (in != stdin)
                fclose(in);
        }
    }
    arena_free(&arena);
    int out = finish_output();
    return status ? status : out;
}

int main(int argc, char **argv)
{
    static const char *const commands[] = {"check", "run", "help"};
    Args a = {0};
    if (argc < 2) {
        fputs(usage_main, stderr);
        return EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0) {
        fputs(usage_main, stdout);
        return EXIT_OK;
    }
    if (strcmp(cmd, "--version") == 0) {
        printf("lstmc %s\n", LSTMC_VERSION);
        return EXIT_OK;
    }
    if (strcmp(cmd, "help") == 0) {
        const char *topic = argc > 2 ? argv[2] : "";
        fputs(strcmp(topic, "check") == 0 ? usage_check
              : strcmp(topic, "run") == 0 ? usage_run : usage_main, stdout);
        return EXIT_OK;
    }
    a.cmd = cmd;
    if (strcmp(cmd, "check") == 0) {
        a.usage = usage_check;
        a.maxpos = 1;
        int st = parse_args(&a, argc, argv, 2);
        return st >= 0 ? st : cmd_check(&a);
    }
    if (strcmp(cmd, "run") == 0) {
        a.usage = usage_run;
        a.maxpos = 2;
        int st = parse_args(&a, argc, argv, 2);
        return st >= 0 ? st : cmd_run(&a);
    }
    const char *near = nearest_word(cmd, commands, COUNT_OF(commands));
    fprintf(stderr, "lstmc: error: unknown command '%s'%s%s%s\nTry 'lstmc --help'.\n", cmd,
            near ? "; did you mean '" : "", near ? near : "", near ? "'?" : "");
    return EXIT_USAGE;
}
