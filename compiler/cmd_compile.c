/*
 * cmd_compile.c - `lstmc compile`: spec + weights -> PREFIX.c and PREFIX.h,
 * through the front end (cli_load_model), the lowering and the C emitter.
 */
#include "cli.h"
#include "emit_c.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

const char usage_compile[] =
    "usage: lstmc compile SPEC [-w WEIGHTS] -o PREFIX [--name NAME] [--activations exact|fast]\n"
    "                     [--threads N]\n"
    "\n"
    "Writes the model as specialized C99: PREFIX.c (the weights as constants,\n"
    "one function per layer, the activations copied in; compile it alone with\n"
    "-lm) and PREFIX.h (its API: NAME_state, NAME_reset, NAME_run, and\n"
    "NAME_step for models without a backward direction). No malloc, no\n"
    "mutable globals: all state is in a caller-owned NAME_state.\n"
    "\n"
    "options:\n"
    "  -w, --weights FILE     weights to use instead of the spec's 'weights' file\n"
    "  -o, --output PREFIX    write PREFIX.c and PREFIX.h (required)\n"
    "  --name NAME            C identifier prefix of every exported name\n"
    "                         (default: the model's name)\n"
    "  --activations MODE     fast: the runtime's approximations of sigmoid and\n"
    "                         tanh, within 1.5e-7, no libm calls (default);\n"
    "                         exact: libm's\n"
    "  --threads N            N >= 2: NAME_run shares the large LSTM layers of a\n"
    "                         streaming model among N threads (NAME_threads_start;\n"
    "                         the code then needs C11 atomics and pthreads);\n"
    "                         default 1: plain C99, no threads\n"
    "  -h, --help             show this help\n"
    "\n"
    "exit status: 0 success, 1 invalid spec or weights or a failed write, 2 usage error\n";

static int usage_error(const char *fmt, const char *what)
{
    fprintf(stderr, "lstmc: error: ");
    fprintf(stderr, fmt, what);
    fprintf(stderr, "\nTry 'lstmc compile --help'.\n");
    return EXIT_USAGE;
}

static int is_identifier(const char *s)
{
    if (!isalpha((unsigned char)s[0]) && s[0] != '_')
        return 0;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '_')
            return 0;
    return 1;
}

/* The command line, for the banner: arguments with spaces or quotes are
 * single-quoted. */
static const char *command_line(Arena *a, const Args *args)
{
    size_t len = 1;
    for (int k = 0; k < args->argc; k++)
        len += 4 * strlen(args->argv[k]) + 3;
    char *s = arena_alloc(a, len), *p = s;
    for (int k = 0; k < args->argc; k++) {
        const char *v = args->argv[k];
        int quote = v[0] == '\0' || strpbrk(v, " \t\n'\"\\$`*?") != NULL;
        if (k)
            *p++ = ' ';
        if (quote)
            *p++ = '\'';
        for (; *v; v++) {
            if (*v == '\'' && quote) {
                memcpy(p, "'\\''", 4);
                p += 4;
            } else {
                *p++ = *v == '\n' ? ' ' : *v;
            }
        }
        if (quote)
            *p++ = '\'';
    }
    *p = '\0';
    return s;
}

int cmd_compile(const Args *a)
{
    if (!a->output)
        return usage_error("%s", "missing the output prefix: -o PREFIX");
    int fast = 1;
    if (a->activations && strcmp(a->activations, "exact") == 0)
        fast = 0;
    else if (a->activations && strcmp(a->activations, "fast") != 0)
        return usage_error("unknown activations mode '%s'; expected 'exact' or 'fast'", a->activations);
    int threads = 1;
    if (a->threads) {
        char *end;
        long v = strtol(a->threads, &end, 10);
        if (*end != '\0' || v < 1 || v > 64)
            return usage_error("--threads '%s' is not a number from 1 to 64", a->threads);
        threads = (int)v;
    }
    if (a->name && !is_identifier(a->name))
        return usage_error("--name '%s' is not a C identifier", a->name);

    Arena arena = {0};
    int status = EXIT_BAD_INPUT;
    IrModel *m = cli_load_model(&arena, a);
    if (m) {
        /* PREFIX.c includes PREFIX.h by its file name: they sit side by side. */
        const char *slash = strrchr(a->output, '/');
        EmitOptions o;
        o.name = a->name ? a->name : emitc_identifier(&arena, m->name);
        o.fast_activations = fast;
        o.threads = threads;
        o.command_line = command_line(&arena, a);
        o.header_include = arena_printf(&arena, "%s.h", slash ? slash + 1 : a->output);
        if (emitc_write_files(m, &o, a->output) == 0)
            status = EXIT_OK;
    }
    arena_free(&arena);
    return status;
}
