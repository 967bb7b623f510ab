/*
 * emit_main.c - prints the main.c of a standalone model program (`lstmc
 * build`; see emit_main.h).
 *
 * The program is a fixed template (main_template below, one string per
 * line) in which "$n" stands for the C name prefix of model.h, "$N" for
 * its upper-case form (the prefix of its #defines) and "$H" for model.h's
 * file name; the facts --help prints (model name, spec, weights,
 * sizes, the commands that built it) are printed above it as string tables.
 * Every string literal is cut into pieces of at most PIECE_MAX bytes, because
 * C99 only promises 4095-byte literals (-Wpedantic warns past that).
 */
#include "emit_main.h"

#include <string.h>

enum { PIECE_MAX = 500 };

/* Prints s as one or more C string literals, each followed by ",\n" and
 * indented: the body of a `const char *const x[] = { ..., NULL }` table.
 * Escapes '\\', '"', '?' (no trigraphs) and every byte that is not
 * printable ASCII (as three-digit octal, so a following digit is safe). */
static void emit_pieces(FILE *f, const char *s)
{
    size_t n = strlen(s);
    size_t i = 0;
    do {
        size_t end = n - i > PIECE_MAX ? i + PIECE_MAX : n;
        fputs("    \"", f);
        for (; i < end; i++) {
            unsigned char c = (unsigned char)s[i];
            if (c == '\\' || c == '"' || c == '?')
                fprintf(f, "\\%c", c);
            else if (c == '\n')
                fputs("\\n", f);
            else if (c < 0x20 || c > 0x7e)
                fprintf(f, "\\%03o", c);
            else
                fputc(c, f);
        }
        fputs("\",\n", f);
    } while (i < n);
}

static void emit_table(FILE *f, const char *var, const char *comment, const char *s)
{
    fprintf(f, "/* %s */\n", comment);
    fprintf(f, "static const char *const %s[] = {\n", var);
    emit_pieces(f, s ? s : "");
    fputs("    NULL\n};\n", f);
}

/* The program, after the header and the info tables. "$n" is the model's C
 * name prefix, "$N" its macro prefix, "$H" model.h. */
static const char *const main_template[] = {
    "#include \"$H\"",
    "#include \"lstmc_rows.h\"",
    "",
    "#include <errno.h>",
    "#include <stdint.h>",
    "#include <stdio.h>",
    "#include <stdlib.h>",
    "#include <string.h>",
    "",
    "/* The model's sizes, as size_t for the buffer arithmetic. */",
    "#define IN_SIZE ((size_t)$N_INPUT_SIZE)      /* numbers per input row */",
    "#define OUT_SIZE ((size_t)$N_OUTPUT_SIZE)    /* numbers per output row */",
    "",
    "/* The program's name in messages: argv[0] without its folder. */",
    "static const char *prog = \"$n\";",
    "",
    "/* ---- messages ---- */",
    "",
    "static void print_pieces(FILE *f, const char *const *p)",
    "{",
    "    for (; *p; p++)",
    "        fputs(*p, f);",
    "}",
    "",
    "static void print_help(void)",
    "{",
    "    printf(\"usage: %s [INPUT]\\n\\n\", prog);",
    "    fputs(\"Runs the LSTM model '\", stdout);",
    "    print_pieces(stdout, model_name);",
    "    fputs(\"' on INPUT, or standard input when INPUT\\n\"",
    "          \"is absent or '-', and writes its outputs to standard output as\\n\"",
    "          \"`lstmc run` does (here in float32, there in double precision).\\n\\n\", stdout);",
    "    fputs(\"model:\\n  spec         \", stdout);",
    "    print_pieces(stdout, spec_path);",
    "    fputs(\"\\n  weights      \", stdout);",
    "    print_pieces(stdout, weights_path);",
    "    printf(\"\\n  input        %d number%s per timestep\\n\", (int)IN_SIZE, IN_SIZE == 1 ? \"\" : \"s\");",
    "    if ($N_OUTPUT_LAST)",
    "        printf(\"  output       %d number%s per sequence: the last timestep's (output last)\\n\",",
    "               (int)OUT_SIZE, OUT_SIZE == 1 ? \"\" : \"s\");",
    "    else",
    "        printf(\"  output       %d number%s per timestep (output sequence)\\n\",",
    "               (int)OUT_SIZE, OUT_SIZE == 1 ? \"\" : \"s\");",
    "    if ($N_STREAMING)",
    "        fputs(\"  state        streaming: $n_step runs one timestep at a time\\n\", stdout);",
    "    else",
    "        fputs(\"  state        whole sequences: a layer runs backward in time\\n\", stdout);",
    "    fputs(\"  activations  \", stdout);",
    "    print_pieces(stdout, activations);",
    "    fputs(\"\\n\\nbuilt by lstmc \", stdout);",
    "    print_pieces(stdout, lstmc_version);",
    "    fputs(\":\\n  \", stdout);",
    "    print_pieces(stdout, lstmc_command);",
    "    fputs(\"\\n  \", stdout);",
    "    print_pieces(stdout, cc_command);",
    "    fputs(\"\\n\\n\"",
    "          \"Data format: one timestep per line, the input features separated by\\n\"",
    "          \"spaces, tabs or commas; a blank line ends a sequence (the state resets).\\n\"",
    "          \"Output: one line per step (or one per sequence for 'output last'),\\n\"",
    "          \"numbers printed with %.9g. A bad line is reported as FILE:LINE:COL and\\n\"",
    "          \"nothing of its sequence is printed.\\n\\n\", stdout);",
    "    fputs(\"options:\\n\"",
    "          \"  -h, --help   show this help\\n\"",
    "          \"  --version    print the model's name and the lstmc version\\n\\n\"",
    "          \"exit status: 0 success, 1 invalid data or a failed write, 2 usage error\\n\", stdout);",
    "}",
    "",
    "static int usage_error(const char *what, const char *arg)",
    "{",
    "    fprintf(stderr, \"%s: error: %s '%s'\\nTry '%s --help'.\\n\", prog, what, arg, prog);",
    "    return 2;",
    "}",
    "",
    "static int out_of_memory(void)",
    "{",
    "    fprintf(stderr, \"%s: error: out of memory\\n\", prog);",
    "    return 1;",
    "}",
    "",
    "static int cannot_write(void)",
    "{",
    "    fprintf(stderr, \"%s: error: cannot write the output: %s\\n\", prog, strerror(errno));",
    "    return 1;",
    "}",
    "",
    "/* ---- running ---- */",
    "",
    "/* Grows *p to hold n floats. Returns 0, or -1 when out of memory. */",
    "static int reserve(float **p, size_t *cap, size_t n)",
    "{",
    "    float *q;",
    "    if (n <= *cap)",
    "        return 0;",
    "    if (n > SIZE_MAX / sizeof(float))",
    "        return -1;",
    "    q = (float *)realloc(*p, n * sizeof(float));",
    "    if (!q)",
    "        return -1;",
    "    *p = q;",
    "    *cap = n;",
    "    return 0;",
    "}",
    "",
    "enum { RUN_OK = 0, RUN_BAD_INPUT = 1, RUN_WRITE_FAILED = -1 };",
    "",
    "/* Reads sequences from in, runs each through the model from its initial state",
    " * and prints its outputs; a sequence is printed only once it was read",
    " * whole, and reading stops at the first bad one. The buffers are the",
    " * program's: the model code itself never allocates. */",
    "static int run_sequences(FILE *in, const char *name)",
    "{",
    "    static $n_state state;          /* static: a model's state may be large */",
    "    rt_rows rows;",
    "    float *x = NULL, *y = NULL, *scratch = NULL;   /* [steps, IN], [rows, OUT] */",
    "    size_t x_cap = 0, y_cap = 0, scratch_cap = 0;",
    "    double row[$N_OUTPUT_SIZE];       /* one output row, for rt_rows_write */",
    "    int status = RUN_OK;",
    "",
    "    rt_rows_init(&rows, in, name, (int)IN_SIZE);",
    "    for (;;) {",
    "        const double *xd;",
    "        long got = rt_rows_next(&rows, &xd, stderr);",
    "        size_t steps, out_rows, k, t;",
    "        if (got <= 0) {",
    "            status = got < 0 ? RUN_BAD_INPUT : RUN_OK;",
    "            break;",
    "        }",
    "        steps = (size_t)got;",
    "        out_rows = $N_OUTPUT_LAST ? 1 : steps;",
    "        if (steps > SIZE_MAX / IN_SIZE || out_rows > SIZE_MAX / OUT_SIZE ||",
    "            reserve(&x, &x_cap, steps * IN_SIZE) != 0 ||",
    "            reserve(&y, &y_cap, out_rows * OUT_SIZE) != 0) {",
    "            status = out_of_memory();",
    "            break;",
    "        }",
    "#if !$N_STREAMING",
    "        if (reserve(&scratch, &scratch_cap, (size_t)($N_SCRATCH_FLOATS(steps))) != 0) {",
    "            status = out_of_memory();",
    "            break;",
    "        }",
    "#endif",
    "",
    "        /* the sequence in float */",
    "        for (k = 0; k < steps * IN_SIZE; k++)",
    "            x[k] = (float)xd[k];",
    "",
    "        /* the model, from its initial state */",
    "#if $N_STREAMING",
    "        $n_reset(&state);",
    "        $n_run(&state, x, steps, y);",
    "#else",
    "        $n_run(&state, x, steps, y, scratch);",
    "#endif",
    "",
    "        /* its outputs */",
    "        for (t = 0; t < out_rows; t++) {",
    "            for (k = 0; k < OUT_SIZE; k++)",
    "                row[k] = (double)y[t * OUT_SIZE + k];",
    "            if (rt_rows_write(stdout, row, (int)OUT_SIZE) != 0) {",
    "                cannot_write();",
    "                status = RUN_WRITE_FAILED;",
    "                break;",
    "            }",
    "        }",
    "        if (status != RUN_OK)",
    "            break;",
    "    }",
    "    free(x);",
    "    free(y);",
    "    free(scratch);",
    "    (void)scratch_cap;",
    "    rt_rows_free(&rows);",
    "    return status;",
    "}",
    "",
    "/* usage: PROG [INPUT]; INPUT absent or '-' is standard input. */",
    "int main(int argc, char **argv)",
    "{",
    "    const char *input = NULL;",
    "    int i, options = 1, status;",
    "    FILE *in;",
    "",
    "    if (argc > 0 && argv[0] && argv[0][0]) {",
    "        const char *slash = strrchr(argv[0], '/');",
    "        prog = slash && slash[1] ? slash + 1 : argv[0];",
    "    }",
    "    for (i = 1; i < argc; i++) {",
    "        const char *s = argv[i];",
    "        if (options && strcmp(s, \"--\") == 0) {",
    "            options = 0;",
    "        } else if (options && (strcmp(s, \"-h\") == 0 || strcmp(s, \"--help\") == 0)) {",
    "            print_help();",
    "            return 0;",
    "        } else if (options && strcmp(s, \"--version\") == 0) {",
    "            print_pieces(stdout, model_name);",
    "            fputs(\" (lstmc \", stdout);",
    "            print_pieces(stdout, lstmc_version);",
    "            fputs(\")\\n\", stdout);",
    "            return 0;",
    "        } else if (options && s[0] == '-' && s[1] != '\\0') {",
    "            return usage_error(\"unknown option\", s);",
    "        } else if (input) {",
    "            return usage_error(\"unexpected argument\", s);",
    "        } else {",
    "            input = s;",
    "        }",
    "    }",
    "",
    "    if (!input || strcmp(input, \"-\") == 0) {",
    "        status = run_sequences(stdin, \"<stdin>\");",
    "    } else if ((in = fopen(input, \"r\")) == NULL) {",
    "        fprintf(stderr, \"%s: error: cannot open: %s\\n\", input, strerror(errno));",
    "        status = RUN_BAD_INPUT;",
    "    } else {",
    "        status = run_sequences(in, input);",
    "        fclose(in);",
    "    }",
    "    if (status == RUN_WRITE_FAILED)",
    "        return 1;",
    "    if (fflush(stdout) != 0 || ferror(stdout)) {",
    "        cannot_write();",
    "        return 1;",
    "    }",
    "    return status;",
    "}",
};

/* Prints one template line with "$n", "$N" and "$H" replaced. */
static void emit_template_line(FILE *f, const char *line, const EmitMainOptions *o)
{
    for (const char *s = line; *s; s++) {
        if (s[0] == '$' && s[1] == 'n') {
            fputs(o->name, f);
            s++;
        } else if (s[0] == '$' && s[1] == 'N') {
            fputs(o->macro, f);
            s++;
        } else if (s[0] == '$' && s[1] == 'H') {
            fputs(o->header, f);
            s++;
        } else {
            fputc(*s, f);
        }
    }
    fputc('\n', f);
}

void emitmain_source(FILE *f, const IrModel *m, const EmitMainOptions *o)
{
    Arena a = {0};
    /* banner */
    fputs("/*\n * main.c - the standalone program of the LSTM model '", f);
    fputs(comment_text(&a, m->name), f);
    fprintf(f, "', generated by lstmc %s:\n *   ", LSTMC_VERSION);
    fputs(comment_text(&a, o->command_line), f);
    fputs("\n *\n"
          " * Reads INPUT or standard input (one timestep per line, a blank line\n"
          " * between sequences), runs the model of ", f);
    fputs(comment_text(&a, o->header), f);
    fputs(" on each sequence from its initial\n"
          " * state, and prints the outputs with %.9g: what `lstmc run` prints, with\n"
          " * the same messages and exit statuses (0 ok, 1 bad data, 2 usage).\n"
          " */\n\n", f);

    /* what --help and --version print */
    fputs("#include <stddef.h>\n\n", f);
    emit_table(f, "model_name", "the model's name in the spec", m->name);
    emit_table(f, "spec_path", "the spec it was compiled from", m->spec_path);
    emit_table(f, "weights_path", "its trained weights", m->weights_path);
    emit_table(f, "activations", "exact (libm) or fast (approximations)", o->activations);
    emit_table(f, "lstmc_version", "the compiler", LSTMC_VERSION);
    emit_table(f, "lstmc_command", "the command that built this program", o->command_line);
    emit_table(f, "cc_command", "the C compiler command", o->compiler);
    fputc('\n', f);

    for (size_t i = 0; i < COUNT_OF(main_template); i++)
        emit_template_line(f, main_template[i], o);
    arena_free(&a);
}
