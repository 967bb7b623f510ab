/*
 * emit_main.c - prints the main.c of a standalone model program (`lstmc
 * build`) and the info.c of a shared library (`lstmc build --shared`); see
 * emit_main.h.
 *
 * The program is a fixed template (main_head, the model section of a
 * float or an integer model, main_tail below, one string per line) in
 * which "$n" stands for the C name prefix of model.h, "$N" for its
 * upper-case form (the prefix of its #defines) and "$H" for model.h's
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
static const char *const main_head[] = {
    "#include \"$H\"",
    "#include \"lstmc_rows.h\"",
    "",
    "#include <errno.h>",
    "#include <math.h>",
    "#include <stdint.h>",
    "#include <stdio.h>",
    "#include <stdlib.h>",
    "#include <string.h>",
    "",
    "/* The model's sizes, as size_t for the buffer arithmetic. */",
    "#define IN_SIZE ((size_t)$N_INPUT_SIZE)      /* numbers per input row */",
    "#define OUT_SIZE ((size_t)$N_OUTPUT_SIZE)    /* numbers per output row */",
    "#ifdef $N_STATE_H_SIZE",
    "#define STATE_SIZE ($N_STATE_H_SIZE + $N_STATE_C_SIZE)  /* a start or final state: h, then c */",
    "#else",
    "#define STATE_SIZE 0                         /* no lstm, gru or rnn layer: no state */",
    "#endif",
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
    "    printf(\"usage: %s [--format F] [--header] [-o OUTPUT] [--output-format F]\\n\"",
    "           \"       %*s [--state-in FILE] [--state-out FILE] [INPUT]\\n\\n\", prog, (int)strlen(prog), \"\");",
    "    fputs(\"Runs the LSTM model '\", stdout);",
    "    print_pieces(stdout, model_name);",
    "    fputs(\"' on INPUT, or standard input when INPUT\\n\"",
    "          \"is absent or '-', and writes its outputs to standard output (or OUTPUT)\\n\"",
    "          \"as `lstmc run` does (\" ARITHMETIC_NOTE \").\\n\\n\", stdout);",
    "    fputs(\"model:\\n  spec         \", stdout);",
    "    print_pieces(stdout, spec_path);",
    "    fputs(\"\\n  weights      \", stdout);",
    "    print_pieces(stdout, weights_path);",
    "#ifdef $N_VOCABULARY",
    "    printf(\"\\n  input        a token id per timestep, 0 to %d\\n\", $N_VOCABULARY - 1);",
    "#else",
    "    printf(\"\\n  input        %d number%s per timestep\\n\", (int)IN_SIZE, IN_SIZE == 1 ? \"\" : \"s\");",
    "#endif",
    "    printf(\"  output       %d number%s \", (int)OUT_SIZE, OUT_SIZE == 1 ? \"\" : \"s\");",
    "    print_pieces(stdout, output_form);",
    "    if (MODEL_STREAMING)",
    "        fputs(\"\\n  state        streaming: each timestep is read, run and its output row\\n\"",
    "              \"               written (flushed to a pipe or a terminal) before the next is\\n\"",
    "              \"               read, in constant memory: an endless stream works\\n\", stdout);",
    "    else {",
    "        fputs(\"\\n  state        whole sequences: \", stdout);",
    "        print_pieces(stdout, whole_why);",
    "        fputs(\", so each\\n\"",
    "              \"               sequence is read whole, and kept in memory, before its outputs\\n\", stdout);",
    "    }",
    "    fputs(\"  activations  \", stdout);",
    "    print_pieces(stdout, activations);",
    "    fputs(\"\\n\\nbuilt by lstmc \", stdout);",
    "    print_pieces(stdout, lstmc_version);",
    "    fputs(\":\\n  \", stdout);",
    "    print_pieces(stdout, lstmc_command);",
    "    fputs(\"\\n  \", stdout);",
    "    print_pieces(stdout, cc_command);",
    "    fputs(\"\\n\\n\"",
    "          \"Data, in (--format) and out (--output-format); by default the form the\\n\"",
    "          \"file name's extension says (.npy, .f32), else text:\\n\"",
    "          \"  text  one timestep per line, the input features separated by spaces,\\n\"",
    "          \"        tabs or commas; a blank line ends a sequence (the state resets);\\n\"",
    "          \"        '#' starts a comment; --header skips a first line of column names.\\n\"",
    "          \"        Output: one line per step (or one per sequence for 'output last'),\\n\"",
    "          \"        numbers printed with %.9g.\\n\"",
    "          \"  f32   raw little-endian float32, one timestep after another: one sequence.\\n\"",
    "          \"  npy   a NumPy .npy array, float32 or float64: [steps, features] is one\\n\"",
    "          \"        sequence, [sequences, steps, features] several. Output: float32,\\n\"",
    "          \"        [steps, outputs], [sequences, steps, outputs] for several sequences\\n\"",
    "          \"        (of one length), [sequences, outputs] for 'output last'.\\n\"",
    "          \"Bad data is reported as FILE:LINE:COL (text) or FILE: byte N (binary) and\\n\"",
    "          \"stops the run with status 1; a streaming model's rows before it are\\n\"",
    "          \"written, a whole-sequence model's bad sequence is not.\\n\\n\", stdout);",
    "    fputs(\"options:\\n\"",
    "          \"  --format F          the input's form: text, f32 or npy\\n\"",
    "          \"  --header            text input: skip its first line (column names)\\n\"",
    "          \"  -o, --output FILE   write the outputs to FILE, as '> FILE' would\\n\"",
    "          \"  --output-format F   the output's form: text, f32 or npy\\n\"",
    "          \"  --state-in FILE     start each sequence from a state of FILE: one row for\\n\"",
    "          \"                      every sequence, or one per sequence; a row is h, then\\n\"",
    "          \"                      c: PyTorch's h_n, then c_n (the header's set_state)\\n\"",
    "          \"  --state-out FILE    write each sequence's final state to FILE, a row each\\n\"",
    "          \"  -h, --help          show this help\\n\"",
    "          \"  --version           print the model's name and the lstmc version\\n\\n\"",
    "          \"exit status: 0 success, 1 invalid data or a failed write, 2 usage error\\n\", stdout);",
    "}",
    "",
    "/* \"PROG: error: \" and fmt with arg, then where to find help; returns 2. */",
    "static int usage_error(const char *fmt, const char *arg)",
    "{",
    "    fprintf(stderr, \"%s: error: \", prog);",
    "    fprintf(stderr, fmt, arg);",
    "    fprintf(stderr, \"\\nTry '%s --help'.\\n\", prog);",
    "    return 2;",
    "}",
    "",
    "static void out_of_memory(void)",
    "{",
    "    fprintf(stderr, \"%s: error: out of memory\\n\", prog);",
    "}",
    "",
    "static void cannot_write(void)",
    "{",
    "    fprintf(stderr, \"%s: error: cannot write the output: %s\\n\", prog, strerror(errno));",
    "}",
    "",
    "#if MODEL_BUFFERS",
    "/* p, a block of *cap items of size bytes, grown to hold n: the block; when",
    " * out of memory p itself, and *failed is set. */",
    "static void *reserve(void *p, size_t *cap, size_t n, size_t size, int *failed)",
    "{",
    "    void *q;",
    "    if (n <= *cap)",
    "        return p;",
    "    q = n > SIZE_MAX / size ? NULL : realloc(p, n * size);",
    "    if (!q) {",
    "        *failed = 1;",
    "        return p;",
    "    }",
    "    *cap = n;",
    "    return q;",
    "}",
    "",
    "#endif",
    "",
};

/* The model as the runtime's loop sees it, for float models: $n_run on
 * floats (or token ids), whole sequences with a scratch buffer when the
 * model does not stream, --state-in and --state-out through the state API. */
static const char *const model_float[] = {
    "/* ---- the model, as the runtime's loop (rt_run) sees it ---- */",
    "",
    "/* What the model reads per step: features, or a model's token ids (which",
    " * the reader has checked to be 0 .. $N_VOCABULARY - 1). */",
    "#ifdef $N_VOCABULARY",
    "typedef int32_t model_in;",
    "#else",
    "typedef float model_in;",
    "#endif",
    "",
    "/* The model's state and the rows it reads and writes; the model code",
    " * itself never allocates. */",
    "typedef struct Model {",
    "    $n_state state;",
    "    model_in *x;                    /* [steps, IN] */",
    "    float *y, *scratch;             /* [rows, OUT], the model's scratch */",
    "    size_t x_cap, y_cap, scratch_cap;",
    "#if STATE_SIZE",
    "    float hc[STATE_SIZE];           /* a start or final state */",
    "    int from_state;                 /* whole sequences: the next starts from $n_set_state's */",
    "#endif",
    "} Model;",
    "",
    "/* A new sequence: the initial state. */",
    "static void model_reset(void *ctx)",
    "{",
    "    $n_reset(&((Model *)ctx)->state);",
    "}",
    "",
    "#if STATE_SIZE",
    "/* --state-in: the next sequence's start (a streaming model: the state now). */",
    "static void model_set_state(void *ctx, const double *s)",
    "{",
    "    Model *m = (Model *)ctx;",
    "    size_t k;",
    "    for (k = 0; k < STATE_SIZE; k++)",
    "        m->hc[k] = (float)s[k];",
    "    $n_set_state(&m->state, m->hc, m->hc + $N_STATE_H_SIZE);",
    "    m->from_state = 1;",
    "}",
    "",
    "/* --state-out: the state after the last run. */",
    "static void model_get_state(void *ctx, double *s)",
    "{",
    "    Model *m = (Model *)ctx;",
    "    size_t k;",
    "    $n_get_state(&m->state, m->hc, m->hc + $N_STATE_H_SIZE);",
    "    for (k = 0; k < STATE_SIZE; k++)",
    "        s[k] = (double)m->hc[k];",
    "}",
    "#endif",
    "",
    "/* steps timesteps through the model: a streaming model continues from its",
    " * state, another runs one whole sequence. In double, as the loop has them. */",
    "static int model_run(void *ctx, const double *xd, size_t steps, double *yd)",
    "{",
    "    Model *m = (Model *)ctx;",
    "    size_t rows = $N_OUTPUT_LAST ? 1 : steps, k;",
    "    int failed = 0;",
    "    if (steps > SIZE_MAX / IN_SIZE || rows > SIZE_MAX / OUT_SIZE)",
    "        return -1;",
    "    m->x = (model_in *)reserve(m->x, &m->x_cap, steps * IN_SIZE, sizeof *m->x, &failed);",
    "    m->y = (float *)reserve(m->y, &m->y_cap, rows * OUT_SIZE, sizeof *m->y, &failed);",
    "#if !$N_STREAMING",
    "    m->scratch = (float *)reserve(m->scratch, &m->scratch_cap, (size_t)($N_SCRATCH_FLOATS(steps)),",
    "                                  sizeof *m->scratch, &failed);",
    "#endif",
    "    if (failed)",
    "        return -1;",
    "    for (k = 0; k < steps * IN_SIZE; k++)",
    "        m->x[k] = (model_in)xd[k];",
    "#if $N_STREAMING",
    "    $n_run(&m->state, m->x, steps, m->y);",
    "#else",
    "#if STATE_SIZE",
    "    if (m->from_state)",
    "        $n_run_from_state(&m->state, m->x, steps, m->y, m->scratch);",
    "    else",
    "#endif",
    "        $n_run(&m->state, m->x, steps, m->y, m->scratch);",
    "#if STATE_SIZE",
    "    m->from_state = 0;",
    "#endif",
    "#endif",
    "    for (k = 0; k < rows * OUT_SIZE; k++)",
    "        yd[k] = (double)m->y[k];",
    "    return 0;",
    "}",
    "",
    "static void model_free(Model *m)",
    "{",
    "    free(m->x);",
    "    free(m->y);",
    "    free(m->scratch);",
    "}",
    "",
};

/* The same for arithmetic int16 (emit_c_int.c's header): $n_step on int16
 * rows, each input rounded to $N_INPUT_FRAC as `lstmc run --arithmetic
 * int16` rounds it (ties away from zero, clamped: compiler/fixed.c), each
 * output q written as q 2^-$N_OUTPUT_FRAC, a softmax head's logits finished
 * in double as the interpreter finishes them (interp_int.c), so the rows
 * are its own, bit for bit. SOFTMAX_HEAD: 0, 1 softmax, 2 log_softmax. */
static const char *const model_int16[] = {
    "/* ---- the model, as the runtime's loop (rt_run) sees it ---- */",
    "",
    "typedef struct Model {",
    "    $n_state state;",
    "#if $N_STREAMING",
    "    int16_t x[IN_SIZE], y[OUT_SIZE];  /* one step's rows */",
    "#else",
    "    int16_t *x, *y, *scratch;         /* a sequence's rows, $n_run's scratch */",
    "    size_t x_cap, y_cap, scratch_cap;",
    "#endif",
    "} Model;",
    "",
    "static void model_reset(void *ctx)",
    "{",
    "    $n_reset(&((Model *)ctx)->state);",
    "}",
    "",
    "/* v in Q.$N_INPUT_FRAC: round(v 2^$N_INPUT_FRAC), ties away from zero, clamped */",
    "static int16_t quantize(double v)",
    "{",
    "    double s = ldexp(v, $N_INPUT_FRAC);",
    "    if (!(s < 32767.0))",
    "        return 32767;",
    "    if (!(s > -32768.0))",
    "        return -32768;",
    "    return (int16_t)lround(s);",
    "}",
    "",
    "/* A head's softmax or log_softmax of its logits y[OUT_SIZE], in double. */",
    "static void finish_row(double *y)",
    "{",
    "    double max = y[0], sum = 0;",
    "    size_t u;",
    "    if (SOFTMAX_HEAD == 0)",
    "        return;",
    "    for (u = 1; u < OUT_SIZE; u++)",
    "        if (y[u] > max)",
    "            max = y[u];",
    "    for (u = 0; u < OUT_SIZE; u++)",
    "        sum += exp(y[u] - max);",
    "    for (u = 0; u < OUT_SIZE; u++)",
    "        y[u] = SOFTMAX_HEAD == 2 ? y[u] - max - log(sum) : exp(y[u] - max) / sum;",
    "}",
    "",
    "/* steps timesteps through the model: a streaming model continues from its",
    " * state, another runs one whole sequence. */",
    "static int model_run(void *ctx, const double *xd, size_t steps, double *yd)",
    "{",
    "    Model *m = (Model *)ctx;",
    "    size_t t, k;",
    "#if !$N_STREAMING",
    "    size_t rows = $N_OUTPUT_LAST ? 1 : steps;",
    "    int failed = 0;",
    "    if (steps > SIZE_MAX / IN_SIZE || rows > SIZE_MAX / OUT_SIZE || steps > SIZE_MAX / $N_SCRATCH_INT16(1))",
    "        return -1;",
    "    m->x = (int16_t *)reserve(m->x, &m->x_cap, steps * IN_SIZE, sizeof *m->x, &failed);",
    "    m->y = (int16_t *)reserve(m->y, &m->y_cap, rows * OUT_SIZE, sizeof *m->y, &failed);",
    "    m->scratch = (int16_t *)reserve(m->scratch, &m->scratch_cap, $N_SCRATCH_INT16(steps), sizeof *m->scratch,",
    "                                    &failed);",
    "    if (failed)",
    "        return -1;",
    "    for (k = 0; k < steps * IN_SIZE; k++)",
    "        m->x[k] = quantize(xd[k]);",
    "    $n_run(&m->state, m->x, steps, m->y, m->scratch);",
    "    for (t = 0; t < rows; t++) {",
    "        for (k = 0; k < OUT_SIZE; k++)",
    "            yd[t * OUT_SIZE + k] = ldexp((double)m->y[t * OUT_SIZE + k], -$N_OUTPUT_FRAC);",
    "        finish_row(yd + t * OUT_SIZE);",
    "    }",
    "#else",
    "    for (t = 0; t < steps; t++) {",
    "        double *row = yd + ($N_OUTPUT_LAST ? 0 : t * OUT_SIZE);",
    "        for (k = 0; k < IN_SIZE; k++)",
    "            m->x[k] = quantize(xd[t * IN_SIZE + k]);",
    "        $n_step(&m->state, m->x, m->y);",
    "        if ($N_OUTPUT_LAST && t + 1 < steps)",
    "            continue;",
    "        for (k = 0; k < OUT_SIZE; k++)",
    "            row[k] = ldexp((double)m->y[k], -$N_OUTPUT_FRAC);",
    "        finish_row(row);",
    "    }",
    "#endif",
    "    return 0;",
    "}",
    "",
    "static void model_free(Model *m)",
    "{",
    "#if $N_STREAMING",
    "    (void)m;",
    "#else",
    "    free(m->x);",
    "    free(m->y);",
    "    free(m->scratch);",
    "#endif",
    "}",
    "",
};

/* The rest of the program: the loop, the command line. */
static const char *const main_tail[] = {
    "/* Streams in through the model into out (rt_run: what `lstmc run` does).",
    " * Returns RT_RUN_OK or the RT_RUN_* that stopped it, reported. */",
    "static int run(FILE *in, const char *in_name, rt_format in_format, int header,",
    "               FILE *out, const char *out_name, rt_format out_format, const char *state_in,",
    "               const char *state_out)",
    "{",
    "    static Model model;             /* static: a model's state may be large */",
    "    rt_model rm;",
    "    rt_rows rows, states;",
    "    rt_out wr, finals;",
    "    FILE *sin = NULL, *sout = NULL;",
    "    int status;",
    "",
    "    memset(&rm, 0, sizeof rm);",
    "    memset(&finals, 0, sizeof finals);",
    "    rt_rows_init(&states, NULL, state_in, (int)STATE_SIZE);",
    "#if STATE_SIZE",
    "    rm.state = (int)STATE_SIZE;",
    "    rm.set_state = model_set_state;",
    "    rm.get_state = model_get_state;",
    "#endif",
    "    if (state_in) {",
    "        rt_format f = rt_format_of_path(state_in);",
    "        if (!(sin = fopen(state_in, f == RT_TEXT ? \"r\" : \"rb\"))) {",
    "            fprintf(stderr, \"%s: error: cannot open: %s\\n\", state_in, strerror(errno));",
    "            return RT_RUN_BAD_INPUT;",
    "        }",
    "        rt_rows_init(&states, sin, state_in, (int)STATE_SIZE);",
    "        rt_rows_format(&states, f, 0);",
    "        rm.state_in = &states;",
    "    }",
    "    if (state_out) {",
    "        if (!(sout = fopen(state_out, \"wb\")) ||",
    "            rt_out_init(&finals, sout, state_out, rt_format_of_path(state_out), (int)STATE_SIZE) != 0) {",
    "            fprintf(stderr, \"%s: error: cannot write: %s\\n\", state_out, strerror(errno));",
    "            if (sout)",
    "                fclose(sout);",
    "            if (sin)",
    "                fclose(sin);",
    "            rt_out_free(&finals);",
    "            return RT_RUN_BAD_INPUT;",
    "        }",
    "        rm.state_out = &finals;",
    "    }",
    "    rm.input = (int)IN_SIZE;",
    "    rm.output = (int)OUT_SIZE;",
    "    rm.streaming = MODEL_STREAMING;",
    "    rm.output_last = $N_OUTPUT_LAST;",
    "    rm.chunk = MODEL_CHUNK;",
    "    rm.ctx = &model;",
    "    rm.reset = model_reset;",
    "    rm.run = model_run;",
    "    rt_rows_init(&rows, in, in_name, (int)IN_SIZE);",
    "    rt_rows_format(&rows, in_format, header);",
    "#ifdef $N_VOCABULARY",
    "    rt_rows_tokens(&rows, $N_VOCABULARY);",
    "#endif",
    "    status = rt_out_init(&wr, out, out_name, out_format, (int)OUT_SIZE);",
    "    if (status == RT_RUN_OK)",
    "        status = rt_run(&rm, &rows, &wr, stderr);",
    "    if (status == RT_RUN_OK || status == RT_RUN_BAD_INPUT) {",
    "        int end = rt_out_finish(&wr, stderr);",
    "        if (end != RT_RUN_OK)",
    "            status = end;",
    "    }",
    "    if (status == RT_RUN_WRITE_FAILED)",
    "        cannot_write();",
    "    else if (status == RT_RUN_NO_MEMORY)",
    "        out_of_memory();",
    "    if (sout) {",
    "        int bad = status == RT_RUN_OK && rt_out_finish(&finals, stderr) != RT_RUN_OK;",
    "        if ((fclose(sout) != 0 || bad) && status == RT_RUN_OK) {",
    "            fprintf(stderr, \"%s: error: cannot write: %s\\n\", state_out, strerror(errno));",
    "            status = RT_RUN_BAD_INPUT;",
    "        }",
    "        if (status != RT_RUN_OK)",
    "            remove(state_out);   /* no half-written states */",
    "    }",
    "    rt_out_free(&finals);",
    "    rt_rows_free(&states);",
    "    if (sin)",
    "        fclose(sin);",
    "    rt_out_free(&wr);",
    "    rt_rows_free(&rows);",
    "    model_free(&model);",
    "    return status;",
    "}",
    "",
    "/* ---- the command line ---- */",
    "",
    "/* The value of option name at argv[*i], as \"name VALUE\" (*i moves past",
    " * it) or \"name=VALUE\"; NULL when argv[*i] is another word. *missing is",
    " * set when the value is absent. */",
    "static const char *option_value(int argc, char **argv, int *i, const char *name, int *missing)",
    "{",
    "    size_t n = strlen(name);",
    "    const char *s = argv[*i];",
    "    *missing = 0;",
    "    if (strncmp(s, name, n) != 0)",
    "        return NULL;",
    "    if (s[n] == '=' && name[1] == '-')",
    "        return s + n + 1;",
    "    if (s[n] != '\\0')",
    "        return NULL;",
    "    if (*i + 1 >= argc) {",
    "        *missing = 1;",
    "        return s;",
    "    }",
    "    return argv[++*i];",
    "}",
    "",
    "/* usage: PROG [options] [INPUT]; INPUT absent or '-' is standard input. */",
    "int main(int argc, char **argv)",
    "{",
    "    const char *input = NULL, *output = NULL, *in_form = NULL, *out_form = NULL;",
    "    const char *state_in = NULL, *state_out = NULL;",
    "    int i, options = 1, header = 0, status, in_format, out_format;",
    "    FILE *in, *out;",
    "",
    "    if (argc > 0 && argv[0] && argv[0][0]) {",
    "        const char *slash = strrchr(argv[0], '/');",
    "        prog = slash && slash[1] ? slash + 1 : argv[0];",
    "    }",
    "    for (i = 1; i < argc; i++) {",
    "        const char *s = argv[i], *v = NULL;",
    "        int missing = 0;",
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
    "        } else if (options && strcmp(s, \"--header\") == 0) {",
    "            header = 1;",
    "        } else if (options && ((v = option_value(argc, argv, &i, \"--format\", &missing)) != NULL ||",
    "                               (v = option_value(argc, argv, &i, \"--output-format\", &missing)) != NULL ||",
    "                               (v = option_value(argc, argv, &i, \"--state-in\", &missing)) != NULL ||",
    "                               (v = option_value(argc, argv, &i, \"--state-out\", &missing)) != NULL ||",
    "                               (v = option_value(argc, argv, &i, \"--output\", &missing)) != NULL ||",
    "                               (v = option_value(argc, argv, &i, \"-o\", &missing)) != NULL)) {",
    "            if (missing)",
    "                return usage_error(\"'%s' needs a value\", s);",
    "            if (strncmp(s, \"--format\", 8) == 0)",
    "                in_form = v;",
    "            else if (strncmp(s, \"--output-format\", 15) == 0)",
    "                out_form = v;",
    "            else if (strncmp(s, \"--state-in\", 10) == 0)",
    "                state_in = v;",
    "            else if (strncmp(s, \"--state-out\", 11) == 0)",
    "                state_out = v;",
    "            else",
    "                output = v;",
    "        } else if (options && s[0] == '-' && s[1] != '\\0') {",
    "            return usage_error(\"unknown option '%s'\", s);",
    "        } else if (input) {",
    "            return usage_error(\"unexpected argument '%s'\", s);",
    "        } else {",
    "            input = s;",
    "        }",
    "    }",
    "    if (input && strcmp(input, \"-\") == 0)",
    "        input = NULL;",
    "    if (output && strcmp(output, \"-\") == 0)",
    "        output = NULL;",
    "    in_format = in_form ? rt_format_named(in_form) : (int)rt_format_of_path(input);",
    "    if (in_format < 0)",
    "        return usage_error(\"unknown data form '%s'; expected text, f32 or npy\", in_form);",
    "    out_format = out_form ? rt_format_named(out_form) : (int)rt_format_of_path(output);",
    "    if (out_format < 0)",
    "        return usage_error(\"unknown data form '%s'; expected text, f32 or npy\", out_form);",
    "    if ((state_in || state_out) && STATE_SIZE == 0)",
    "        return usage_error(\"%s: \" NO_STATE_WHY, state_in ? \"--state-in\" : \"--state-out\");",
    "    if (header && in_format != RT_TEXT)",
    "        return usage_error(\"%s\", \"--header is for text input: a binary form has no column names\");",
    "",
    "    in = input ? fopen(input, in_format == RT_TEXT ? \"r\" : \"rb\") : stdin;",
    "    if (!in) {",
    "        fprintf(stderr, \"%s: error: cannot open: %s\\n\", input, strerror(errno));",
    "        return 1;",
    "    }",
    "    out = output ? fopen(output, \"wb\") : stdout;",
    "    if (!out) {",
    "        fprintf(stderr, \"%s: error: cannot write: %s\\n\", output, strerror(errno));",
    "        if (in != stdin)",
    "            fclose(in);",
    "        return 1;",
    "    }",
    "    status = run(in, input ? input : \"<stdin>\", (rt_format)in_format, header,",
    "                 out, output ? output : \"<stdout>\", (rt_format)out_format, state_in, state_out);",
    "    if (in != stdin)",
    "        fclose(in);",
    "    if (status == RT_RUN_WRITE_FAILED || status == RT_RUN_NO_MEMORY) {",
    "        if (out != stdout)",
    "            fclose(out);",
    "        return 1;",
    "    }",
    "    if (out != stdout ? fclose(out) != 0 : fflush(stdout) != 0 || ferror(stdout)) {",
    "        cannot_write();",
    "        return 1;",
    "    }",
    "    return status == RT_RUN_OK ? 0 : 1;",
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

/* What one output row of the program is, for its --help. */
static const char *output_form_text(OutputForm form)
{
    switch (form) {
    case OUT_SEQUENCE: break;
    case OUT_LAST:  return "per sequence: the last timestep's (output last)";
    case OUT_FINAL: return "per sequence: from each direction's final state (output final)";
    case OUT_MEAN:  return "per sequence: from the mean over its timesteps (output mean)";
    case OUT_MAX:   return "per sequence: from the maximum over its timesteps (output max)";
    }
    return "per timestep (output sequence)";
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
          " * Reads INPUT or standard input (text, raw float32 or .npy: lstmc_rows.h),\n"
          " * runs the model of ", f);
    fputs(comment_text(&a, o->header), f);
    fputs(" through the runtime's loop (rt_run:\n"
          " * step by step for a streaming model, whole sequences otherwise) and\n"
          " * writes what `lstmc run` writes, with the same messages and exit\n"
          " * statuses (0 ok, 1 bad data, 2 usage).\n"
          " */\n\n", f);

    /* what --help and --version print */
    fputs("#include <stddef.h>\n\n", f);
    emit_table(f, "model_name", "the model's name in the spec", m->name);
    emit_table(f, "spec_path", "the spec it was compiled from", m->spec_path);
    emit_table(f, "weights_path", "its trained weights", m->weights_path);
    emit_table(f, "activations", "exact (within 0.51 ulps) or fast (approximations)", o->activations);
    emit_table(f, "output_form", "what an output row is", output_form_text(m->output_form));
    emit_table(f, "whole_why", "why a model that does not stream needs whole sequences",
               m->output_form == OUT_MEAN || m->output_form == OUT_MAX
                   ? arena_printf(&a, "output %s pools every timestep", ir_output_form_name(m->output_form))
                   : "a layer runs backward in time");
    emit_table(f, "lstmc_version", "the compiler", LSTMC_VERSION);
    emit_table(f, "lstmc_command", "the command that built this program", o->command_line);
    emit_table(f, "cc_command", "the C compiler command", o->compiler);
    fputc('\n', f);

    /* what differs between a float model's program and an integer one's */
    if (o->int16) {
        fprintf(f, "#define MODEL_STREAMING %s_STREAMING\n", o->macro);
        fprintf(f, "#define MODEL_BUFFERS (!%s_STREAMING)  /* a whole sequence's rows, grown */\n", o->macro);
        fprintf(f, "#define MODEL_CHUNK 64     /* steps read at once where reading ahead is free */\n");
        fprintf(f, "#define SOFTMAX_HEAD %d     /* 1: a softmax head, 2: log_softmax (its logits are the code's) */\n",
                o->softmax_head);
        fprintf(f, "#define ARITHMETIC_NOTE \"in integers, arithmetic int16, bit for bit\"\n");
        fprintf(f, "#define NO_STATE_WHY \"an integer-only model (arithmetic int16) starts from its initial state\"\n\n");
    } else {
        fprintf(f, "#define MODEL_STREAMING %s_STREAMING\n#define MODEL_CHUNK %s_CHUNK\n", o->macro, o->macro);
        fprintf(f, "#define MODEL_BUFFERS 1\n");
        fprintf(f, "#define ARITHMETIC_NOTE \"here in float32, there in double precision\"\n");
        fprintf(f, "#define NO_STATE_WHY \"the model keeps no state (no lstm, gru or rnn layer)\"\n\n");
    }
    const char *const *model = o->int16 ? model_int16 : model_float;
    size_t nmodel = o->int16 ? COUNT_OF(model_int16) : COUNT_OF(model_float);
    for (size_t i = 0; i < COUNT_OF(main_head); i++)
        emit_template_line(f, main_head[i], o);
    for (size_t i = 0; i < nmodel; i++)
        emit_template_line(f, model[i], o);
    for (size_t i = 0; i < COUNT_OF(main_tail); i++)
        emit_template_line(f, main_tail[i], o);
    arena_free(&a);
}

/* ---- info.c: NAME_info() of a shared library ---- */

void emitmain_info_source(FILE *f, const LowModel *lm, const EmitMainOptions *o)
{
    Arena a = {0};
    const char *n = lm->name, *N = lm->macro;
    long scratch = lm->streaming ? 0 : (long)lm->nseq * lm->seq_width;
    char *text = arena_printf(&a, "name=%s input=%d output=%d streaming=%d output_last=%d state_bytes=%ld "
                                  "scratch_floats_per_step=%ld chunk=%d model_hash=0x%016llx lstmc=%s",
                              n, lm->input, lm->output, lm->streaming, lm->output_last, lm->state_bytes,
                              scratch, lm->chunk, (unsigned long long)lm->hash, LSTMC_VERSION);
    if (lm->tokens)   /* (the key only where it applies: older lines stay as they were) */
        text = arena_printf(&a, "%s vocabulary=%d", text, lm->embedding.vocab);
    if (lm->set_state.name)
        text = arena_printf(&a, "%s state_h=%d state_c=%d", text, lm->state_h, lm->state_c);

    /* banner */
    fputs("/*\n * info.c - what the shared library of the LSTM model '", f);
    fputs(comment_text(&a, lm->ir->name), f);
    fprintf(f, "' is, generated by lstmc %s:\n *   ", LSTMC_VERSION);
    fputs(comment_text(&a, o->command_line), f);
    fprintf(f, "\n *\n"
               " * %s_info() returns one line of space-separated key=value words, for a\n"
               " * caller that cannot read %s (ctypes, cffi, another language):\n"
               " *   name, input, output  the C name prefix, numbers per timestep and per row\n"
               " *   streaming            1: %s_run continues from the state, step by step;\n"
               " *                        0: it takes whole sequences and a scratch buffer\n"
               " *   output_last          1: %s_run writes one row, the last step's\n"
               " *   state_bytes          the size of the state (also %s_state_bytes())\n"
               " *   scratch_floats_per_step  the scratch %s_run needs per step (0: none)\n"
               " *   chunk, model_hash, lstmc  as in %s\n"
               " *   vocabulary           only for a model of token ids (int32_t), one per\n"
               " *                        timestep: the ids are 0 .. vocabulary - 1\n"
               " *   state_h, state_c     only for a model with a recurrent layer: the floats\n"
               " *                        of h and of c that %s_set_state and _get_state take\n"
               " * Each value is checked against %s when this file compiles.\n"
               " */\n",
            n, comment_text(&a, o->header), n, n, n, n, comment_text(&a, o->header), n,
            comment_text(&a, o->header));
    fprintf(f, "#include \"%s\"\n\n", o->header);
    fprintf(f, "const char *%s_info(void);\n\n", n);
    fprintf(f, "static const char %s_info_text[] = \"%s\";\n\n", n, text);
    fprintf(f, "/* C99's static assertion: an array of -1 elements does not compile. */\n");
    fprintf(f, "typedef char %s_info_matches_header[\n"
               "    (%s_INPUT_SIZE == %d && %s_OUTPUT_SIZE == %d && %s_STREAMING == %d &&\n"
               "     %s_OUTPUT_LAST == %d && %s_STATE_BYTES == %ld && %s_CHUNK == %d &&\n"
               "     %s_MODEL_HASH == 0x%016llxull",
            n, N, lm->input, N, lm->output, N, lm->streaming, N, lm->output_last, N, lm->state_bytes, N,
            lm->chunk, N, (unsigned long long)lm->hash);
    if (!lm->streaming)
        fprintf(f, " &&\n     %s_SCRATCH_FLOATS(1) == %ld", N, scratch);
    if (lm->tokens)
        fprintf(f, " &&\n     %s_VOCABULARY == %d", N, lm->embedding.vocab);
    if (lm->set_state.name)
        fprintf(f, " &&\n     %s_STATE_H_SIZE == %d && %s_STATE_C_SIZE == %d", N, lm->state_h, N,
                lm->state_c);
    fputs(") ? 1 : -1];\n\n", f);
    fprintf(f, "const char *%s_info(void)\n{\n    return %s_info_text;\n}\n", n, n);
    arena_free(&a);
}
