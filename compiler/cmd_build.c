/*
 * cmd_build.c - `lstmc build`: a spec and its weights -> a standalone program,
 * or with --shared a shared library.
 *
 * Steps:
 *   1. the front end loads the model (cli_load_model), an arithmetic int16
 *      one planned in integers (cli_fixed_model, lower_int);
 *   2. a private folder (mkdtemp under $TMPDIR or /tmp) receives model.c and
 *      model.h (the C backend), then for a program lstmc_rows.h/.c (the
 *      data reader and loop lstmc run uses, embedded in lstmc) and main.c
 *      (emit_main.c), for a shared library info.c (NAME_info, emit_main.c);
 *   3. the C compiler runs (fork + execvp, never a shell) and links straight
 *      to a temporary name beside BIN, which is renamed onto BIN at the end;
 *   4. the folder is removed whatever happened, and so is the temporary
 *      output after a failure: a failed build leaves nothing behind and an
 *      existing BIN untouched. SIGINT, SIGTERM and SIGHUP are caught for the
 *      duration, so an interrupted build cleans up too.
 */
#include "cli.h"
#include "emit_c.h"
#include "emit_c_int.h"
#include "emit_main.h"
#include "lower.h"
#include "runtime_text.h"
#ifdef LSTMC_HAVE_LLVM
#include "llvm/emit_llvm.h"
#include "llvm/emit_llvm_int.h"
#endif

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

const char usage_build[] =
    "usage: lstmc build SPEC [-w WEIGHTS] -o BIN [--shared] [--name NAME] [--cc CC]\n"
    "                   [--cflags FLAGS | --portable] [--activations exact|fast]\n"
    "                   [--chunk N] [--weights-type f32|f16|bf16|int8] [--emit c|obj]\n"
    "                   [--arithmetic int16 --ranges FILE | --calibrate DATA]\n"
    "\n"
    "Builds a standalone program BIN that runs the model: the specialized C of\n"
    "`lstmc compile`, a main() and the data reader of `lstmc run`, compiled and\n"
    "linked by the C compiler. `BIN [INPUT]` reads INPUT or standard input and\n"
    "writes exactly what `lstmc run SPEC [INPUT]` writes (in float32), with the\n"
    "same data forms (text, f32, npy), messages and exit statuses; a streaming\n"
    "model streams, a model with a backward direction reads each sequence\n"
    "whole; `BIN --state-in FILE --state-out FILE` starts each sequence from\n"
    "a given state and writes the final ones, as `lstmc run` does; `BIN --help`\n"
    "describes the model.\n"
    "\n"
    "With --shared, BIN is a shared library (libNAME.so) instead: the model's\n"
    "API of `lstmc compile` (NAME_reset, NAME_run, NAME_state_bytes, and for a\n"
    "streaming model NAME_step and NAME_run_batch) compiled with -fPIC -shared,\n"
    "plus const char *NAME_info(void): one line of key=value words (input,\n"
    "output, streaming, output_last, state_bytes, scratch_floats_per_step,\n"
    "chunk, model_hash, lstmc) for callers that cannot read the header, such\n"
    "as Python's ctypes (examples/python).\n"
    "\n"
    "options:\n"
    "  -o, --output BIN     the program to write (required); replaced only when\n"
    "                       the build succeeds\n"
    "  --shared             a shared library, not a program\n"
    "  -w, --weights FILE   weights to use instead of the spec's 'weights' file\n"
    "  --name NAME          C name prefix of the model code (default: the model's)\n"
    "  --cc CC              the C compiler (default: $CC, else cc)\n"
    "  --cflags FLAGS       its flags, split at spaces; -lm is added. Default:\n"
    "                       -O3 -march=native, code for the machine lstmc runs\n"
    "                       on (its vector extensions: AVX-512, AVX2, NEON...);\n"
    "                       with --cc, -O2 (another compiler may be a cross one)\n"
    "  --portable           -O2 without -march: a program for any machine of\n"
    "                       this kind (the baseline vector extensions only)\n"
    "  --activations exact|fast\n"
    "                       sigmoid and tanh within 0.51 ulps (no libm calls), or\n"
    "                       the runtime's fast approximations (default; within\n"
    "                       1.5e-7, an LSTM's fused cell update within 4e-7)\n"
    "  --chunk N            steps per chunk of the model code, as for compile\n"
    "  --weights-type T     the weight matrices stored as f32, f16, bf16 or int8,\n"
    "                       as for compile (the program writes what `lstmc run\n"
    "                       --weights-type T` writes)\n"
    "  --products int8      int8 recurrent products, as for compile\n"
    "  --arithmetic int16   the integer-only code of compile --arithmetic int16\n"
    "  --ranges FILE        (formats from --ranges or --calibrate DATA): the\n"
    "                       program rounds each input to the input's format and\n"
    "                       writes what `lstmc run --arithmetic int16` writes,\n"
    "                       bit for bit (a softmax head finished in double); it\n"
    "                       streams (a model with a backward direction reads each\n"
    "                       sequence whole) and starts each sequence from the\n"
    "                       initial state (no --state-in, --state-out; no --shared)\n"
    "  --emit obj           the model from the LLVM backend (compile --emit obj,\n"
    "                       for this machine) linked with the same main() and\n"
    "                       reader, instead of the C backend's model.c (default c)\n"
    "  -h, --help           show this help\n"
    "\n"
    "exit status: 0 success, 1 invalid spec or weights or a failed compiler,\n"
    "2 usage error\n";

/* The compiler flags: --cflags, or code for this machine (-O3 and its
 * vector extensions: the generated kernels are written for them, 2-6x
 * faster than baseline SSE2 on the benchmark's models) unless the program
 * must run elsewhere (--portable) or another compiler, maybe a cross one,
 * is named (--cc). */
static const char *build_cflags(const Args *a)
{
    if (a->cflags)
        return a->cflags;
    if (a->portable || a->cc)
        return "-O2";
    return "-O3 -march=native";
}

/* ---- words and command lines ---- */

/* A growing array of strings (an argv), NULL-terminated. */
typedef struct Words {
    const char **v;
    int n, cap;
} Words;

static void words_add(Words *w, const char *s)
{
    if (w->n + 2 > w->cap) {
        w->cap = w->cap ? w->cap * 2 : 16;
        w->v = mem_realloc(w->v, (size_t)w->cap * sizeof *w->v);
    }
    w->v[w->n++] = s;
    w->v[w->n] = NULL;
}

/* Adds the words of s, split at spaces and tabs (no quoting). */
static void words_split(Words *w, Arena *a, const char *s)
{
    while (*s) {
        size_t n = strcspn(s, " \t");
        if (n > 0)
            words_add(w, arena_strndup(a, s, n));
        s += n;
        s += strspn(s, " \t");
    }
}


/* ---- cleaning up, also after a signal ---- */

/* The handler only records the signal; the build checks it between steps
 * (and stops the compiler), cleans up, then dies of it. */
static volatile sig_atomic_t caught_signal;

static const int cleanup_signals[] = {SIGINT, SIGTERM, SIGHUP};

static void on_signal(int sig)
{
    caught_signal = sig;
}

static void catch_signals(struct sigaction *old)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    for (size_t k = 0; k < COUNT_OF(cleanup_signals); k++)
        sigaction(cleanup_signals[k], &sa, &old[k]);
}

/* Puts the old handlers back and, if a signal came, dies of it now that
 * everything is cleaned up. */
static void release_signals(const struct sigaction *old)
{
    for (size_t k = 0; k < COUNT_OF(cleanup_signals); k++)
        sigaction(cleanup_signals[k], &old[k], NULL);
    if (caught_signal)
        raise(caught_signal);
}

/* Removes the private folder: every file in it, then the folder. */
static void remove_tmp_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            size_t n = strlen(dir) + strlen(e->d_name) + 2;
            char *path = mem_alloc(n);
            snprintf(path, n, "%s/%s", dir, e->d_name);
            unlink(path);
            mem_free(path);
        }
        closedir(d);
    }
    if (rmdir(dir) != 0 && errno != ENOENT)
        fprintf(stderr, "lstmc: warning: cannot remove the temporary folder %s: %s\n", dir,
                strerror(errno));
}

/* ---- the sources ---- */

typedef struct Sources {
    const LowModel *lm;         /* a float model's lowering, or NULL and: */
    const LowIntModel *lmi;     /* arithmetic int16's (emit_c_int.c's model.c and model.h) */
    const char *ranges;         /* its ranges file, for the banner (NULL: --calibrate) */
    Arena *arena;
    EmitOptions emit;
    EmitMainOptions main;
    int obj;                    /* --emit obj: model.o and model.h from the LLVM backend */
} Sources;

typedef void WriteFn(FILE *f, const Sources *s, const char *text);

static void write_text(FILE *f, const Sources *s, const char *text)
{
    (void)s;
    fputs(text, f);
}

static void write_model_c(FILE *f, const Sources *s, const char *text)
{
    (void)text;
    if (s->lmi)
        emitc_int_source(f, s->arena, s->lmi, "model.h", s->ranges);
    else
        emitc_source(f, s->lm, &s->emit);
}

static void write_model_h(FILE *f, const Sources *s, const char *text)
{
    (void)text;
    if (s->lmi)
        emitc_int_header(f, s->arena, s->lmi, s->ranges);
    else
        emitc_header(f, s->lm, &s->emit);
}

static void write_main_c(FILE *f, const Sources *s, const char *text)
{
    (void)text;
    emitmain_source(f, s->lmi ? s->lmi->m : s->lm->ir, &s->main);
}

static void write_info_c(FILE *f, const Sources *s, const char *text)
{
    (void)text;
    emitmain_info_source(f, s->lm, &s->main);
}

/* Writes dir/name. Returns 0, or -1 after reporting. */
static int write_source(Arena *a, const char *dir, const char *name, WriteFn *fn,
                        const Sources *s, const char *text)
{
    const char *path = arena_printf(a, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (!f) {
        diag_file_error(path, "cannot write: %s", strerror(errno));
        return -1;
    }
    fn(f, s, text);
    int failed = ferror(f);
    if (fclose(f) != 0 || failed) {
        diag_file_error(path, "cannot write: %s", strerror(errno));
        return -1;
    }
    return 0;
}

/* ---- running the compiler ---- */

/* Runs argv[0] with argv, its standard output sent to our standard error (the
 * build prints nothing on standard output). Returns its wait status, or -1
 * after reporting when it could not be started. */
static int run_compiler(Words *argv, const char *cmdline)
{
    /* The child reports a failed exec through a close-on-exec pipe. */
    int fds[2];
    if (pipe(fds) != 0) {
        fprintf(stderr, "lstmc: error: cannot run the C compiler: %s\n", strerror(errno));
        return -1;
    }
    fcntl(fds[0], F_SETFD, FD_CLOEXEC);
    fcntl(fds[1], F_SETFD, FD_CLOEXEC);
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "lstmc: error: cannot run the C compiler: %s\n", strerror(errno));
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    if (pid == 0) {
        close(fds[0]);
        dup2(STDERR_FILENO, STDOUT_FILENO);
        execvp(argv->v[0], (char *const *)argv->v);
        int err = errno;
        ssize_t n = write(fds[1], &err, sizeof err);
        (void)n;
        _exit(127);
    }
    close(fds[1]);
    int exec_errno = 0;
    ssize_t got;
    do
        got = read(fds[0], &exec_errno, sizeof exec_errno);
    while (got < 0 && errno == EINTR);
    close(fds[0]);

    /* A signal to lstmc alone (not to its process group) stops the compiler
     * too, so that cleaning up does not wait for it. */
    int status, killed = 0;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            fprintf(stderr, "lstmc: error: waiting for the C compiler: %s\n", strerror(errno));
            return -1;
        }
        if (caught_signal && !killed) {
            kill(pid, SIGTERM);
            killed = 1;
        }
    }
    if (got == (ssize_t)sizeof exec_errno) {
        fprintf(stderr, "lstmc: error: cannot run the C compiler '%s': %s\n"
                        "  command: %s\n"
                        "  (choose one with --cc or the CC environment variable)\n",
                argv->v[0], strerror(exec_errno), cmdline);
        return -1;
    }
    return status;
}

/* ---- the command ---- */

/* Reserves a fresh temporary name beside bin ("DIR/.BASE.lstmc-XXXXXX") by
 * creating it, so that the folder is known to be writable; the compiler then
 * writes over it. Returns the name, or NULL after reporting. */
static char *reserve_output(Arena *a, const char *bin)
{
    const char *slash = strrchr(bin, '/');
    char *path = slash ? arena_printf(a, "%.*s/.%s.lstmc-XXXXXX", (int)(slash - bin), bin, slash + 1)
                       : arena_printf(a, ".%s.lstmc-XXXXXX", bin);
    int fd = mkstemp(path);
    if (fd < 0) {
        diag_file_error(bin, "cannot write: %s", strerror(errno));
        return NULL;
    }
    /* mkstemp makes it 0600; a linker that writes in place keeps the mode. */
    mode_t mask = umask(0);
    umask(mask);
    fchmod(fd, 0777 & ~mask);
    close(fd);
    return path;
}

static const char *tmp_base(void)
{
    const char *t = getenv("TMPDIR");
    return t && t[0] ? t : "/tmp";
}

/* Steps 2-4 once the model is loaded. Returns the exit status. */
static int build(Arena *a, const Args *args, const Sources *src, Words *cc)
{
    char *dir = arena_printf(a, "%s/lstmc-build-XXXXXX", tmp_base());
    if (!mkdtemp(dir)) {
        fprintf(stderr, "lstmc: error: cannot make a temporary folder in %s: %s\n", tmp_base(),
                strerror(errno));
        return EXIT_BAD_INPUT;
    }
    int status = EXIT_BAD_INPUT;
    char *out = NULL;

    static const struct {
        const char *name;
        WriteFn *fn;
        const char *text;       /* for write_text */
        int shared;             /* 0: the program's, 1: the library's, 2: both */
    } files[] = {
        {"model.c", write_model_c, NULL, 2},
        {"model.h", write_model_h, NULL, 2},
        {"lstmc_rows.h", write_text, rt_text_rows_h, 0},
        {"lstmc_rows.c", write_text, rt_text_rows_c, 0},
        {"main.c", write_main_c, NULL, 0},
        {"info.c", write_info_c, NULL, 1},
    };
    for (size_t k = 0; k < COUNT_OF(files); k++) {
        if (files[k].shared != 2 && files[k].shared != args->shared)
            continue;
        if (src->obj && files[k].shared == 2)
            continue;   /* model.o and model.h come from the LLVM backend, below */
        if (caught_signal || write_source(a, dir, files[k].name, files[k].fn, src, files[k].text) != 0)
            goto done;
    }
#ifdef LSTMC_HAVE_LLVM
    LlvmTarget host = {NULL, NULL, NULL, LLVM_OPT_3};
    const char *model = arena_printf(a, "%s/model", dir);
    if (src->obj && (src->lmi ? emitllvm_int_write_files(src->lmi, src->ranges, &host, LLVM_EMIT_OBJ, model)
                              : emitllvm_write_files(src->lm, &src->emit, &host, LLVM_EMIT_OBJ, model)) != 0)
        goto done;
#endif

    out = reserve_output(a, args->output);
    if (!out)
        goto done;

    if (args->shared) {
        words_add(cc, "-fPIC");
        words_add(cc, "-shared");
    }
    words_add(cc, "-o");
    words_add(cc, out);
    if (args->shared) {
        words_add(cc, arena_printf(a, "%s/model.c", dir));
        words_add(cc, arena_printf(a, "%s/info.c", dir));
    } else {
        words_add(cc, arena_printf(a, "%s/main.c", dir));
        words_add(cc, arena_printf(a, "%s/model.%s", dir, src->obj ? "o" : "c"));
        words_add(cc, arena_printf(a, "%s/lstmc_rows.c", dir));
    }
    words_add(cc, "-lm");
    const char *cmdline = cli_shell_join(a, cc->v, cc->n);

    if (caught_signal)
        goto done;
    int ws = run_compiler(cc, cmdline);
    if (ws == -1 || caught_signal)
        goto done;
    if (WIFEXITED(ws) && WEXITSTATUS(ws) != 0) {
        fprintf(stderr, "lstmc: error: the C compiler failed (exit status %d): %s\n",
                WEXITSTATUS(ws), cmdline);
        goto done;
    }
    if (WIFSIGNALED(ws)) {
        fprintf(stderr, "lstmc: error: the C compiler was killed by signal %d: %s\n",
                WTERMSIG(ws), cmdline);
        goto done;
    }
    if (rename(out, args->output) != 0) {
        diag_file_error(args->output, "cannot write: %s", strerror(errno));
        goto done;
    }
    status = EXIT_OK;

done:
    if (out && status != EXIT_OK)
        unlink(out);
    remove_tmp_dir(dir);
    return status;
}

int cmd_build(const Args *a)
{
    if (!a->output)
        return cli_usage_error(a, "%s", "missing the output program: -o BIN");
    if (a->portable && a->cflags)
        return cli_usage_error(a, "%s", "--portable and --cflags: give one (--cflags sets every flag)");
    LowerOptions lo;
    int st = cli_lower_options(a, &lo);
    if (st >= 0)
        return st;
    const char *act = lo.fast_activations ? "fast" : "exact";
    int obj = a->emit && strcmp(a->emit, "obj") == 0;
    if (a->emit && !obj && strcmp(a->emit, "c") != 0)
        return cli_usage_error(a, "unknown --emit '%s' for build; expected c or obj", a->emit);
    if (obj && a->shared)
        return cli_usage_error(a, "%s", "--emit obj builds a program: --shared compiles the C backend's code");
#ifndef LSTMC_HAVE_LLVM
    if (obj)
        return cli_no_llvm("--emit obj");
#else
    LowTarget vt;
    LlvmTarget host = {NULL, NULL, NULL, LLVM_OPT_3};
    if (obj) {
        if (emitllvm_vector_shape(&host, &vt) != 0)
            return EXIT_BAD_INPUT;
        lo.target = &vt;
    }
#endif

    Arena arena = {0};
    int status = EXIT_BAD_INPUT;
    Words cc = {0};
    struct sigaction old[COUNT_OF(cleanup_signals)];
    catch_signals(old);

    IrModel *m = cli_load_model(&arena, a);
    int int16 = m && m->arithmetic == ARITH_INT16;
    if (int16 && (a->shared || a->chunk || a->activations)) {
        status = cli_usage_error(a, "%s", a->shared ? "--shared with arithmetic int16: the library's API is the "
                                 "float code's; `lstmc compile --arithmetic int16` writes the integer code to link"
                                 : "--chunk and --activations are for float arithmetic: arithmetic int16's "
                                 "activations are tables, its code steps");
        goto out;
    }
    if (!int16 && m && (a->ranges || a->calibrate)) {
        status = cli_usage_error(a, "%s", "--ranges and --calibrate are for arithmetic int16 (--arithmetic int16)");
        goto out;
    }
    Sources src = {0};
    src.arena = &arena;
    FixedModel *fm = int16 && m ? cli_fixed_model(&arena, m, a) : NULL;
    if (int16 && !fm)
        m = NULL;
    if (m && !caught_signal) {
        /* the compiler command: CC and CFLAGS words; build() adds the files */
        const char *env_cc = getenv("CC");
        const char *ccs = a->cc ? a->cc : env_cc && env_cc[strspn(env_cc, " \t")] ? env_cc : "cc";
        words_split(&cc, &arena, ccs);
        if (cc.n == 0) {
            status = cli_usage_error(a, "%s", "'--cc' names no compiler");
            goto out;
        }
        words_split(&cc, &arena, build_cflags(a));

        src.obj = obj;
        if (int16) {
            src.lmi = lower_int(&arena, fm, a->name ? a->name : lower_identifier(&arena, m->name));
            src.ranges = a->ranges ? a->ranges : a->calibrate ? NULL : m->ranges_path;
            src.main.int16 = 1;
            src.main.softmax_head = src.lmi->softmax_head;
            act = "tables of 513 entries, linearly interpolated (arithmetic int16)";
        } else {
            src.lm = lower_model(&arena, m, &lo);
        }
        const char *cmd = cli_shell_join(&arena, (const char *const *)a->argv, a->argc);
        src.emit.header_include = "model.h";
        src.main.name = int16 ? src.lmi->name : src.lm->name;
        src.main.macro = int16 ? src.lmi->macro : src.lm->macro;
        src.main.header = "model.h";
        src.main.activations = act;
        src.main.command_line = cmd;
        src.main.compiler = arena_printf(&arena, "%s (then -o BIN main.c model.%s lstmc_rows.c -lm)",
                                         cli_shell_join(&arena, cc.v, cc.n), obj ? "o" : "c");
        status = build(&arena, a, &src, &cc);
    }
out:
    mem_free(cc.v);
    arena_free(&arena);
    release_signals(old);
    return status;
}
