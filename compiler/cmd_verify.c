/*
 * cmd_verify.c - `lstmc verify SPEC DATA`: the differential test in the
 * user's hands. The model runs on DATA through every path this lstmc has:
 * the reference interpreter (double precision), `run --jit`, a program of
 * `lstmc build` (the C backend's code) and one of `lstmc build --emit obj`
 * (the LLVM backend's object), and each path's outputs are compared with
 * the interpreter's. The programs are built and run as child processes of
 * this same lstmc, in a private temporary folder removed at the end.
 */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

const char usage_verify[] =
    "usage: lstmc verify SPEC DATA [-w WEIGHTS] [--weights-type T] [--tolerance T]\n"
    "                    [--format F] [--header]\n"
    "\n"
    "Runs the model on DATA (as 'lstmc run' reads it) through every path this\n"
    "lstmc has and prints the largest absolute difference of each from the\n"
    "reference interpreter: run --jit (LLVM, in memory), a program built by\n"
    "'lstmc build' (the C backend, compiled by cc or $CC) and one built by\n"
    "'lstmc build --emit obj' (the LLVM backend's object). A path this lstmc\n"
    "cannot take (built without LLVM, no C compiler) is reported as skipped.\n"
    "The compiled paths compute in float32 with fast activations, so\n"
    "differences near 1e-7 relative are expected.\n"
    "\n"
    "options:\n"
    "  -w, --weights FILE   weights to use instead of the spec's 'weights' file\n"
    "  --weights-type T     every path with the weights stored as f32, f16, bf16\n"
    "                       or int8 (see compile --help); the spec's by default\n"
    "  --products int8      every path with int8 recurrent products (SPEC.md)\n"
    "  --tolerance T        the largest difference accepted (default 1e-4)\n"
    "  --format F           DATA's form: text, f32 or npy\n"
    "  --header             DATA is text with a first line of column names\n"
    "  -h, --help           show this help\n"
    "\n"
    "exit status: 0 every path taken agrees within T, 1 a path differs by more\n"
    "or fails, or an invalid spec, weights or data, 2 usage error\n";

/* The output rows of one path, every sequence one after another. */
typedef struct Rows {
    double *v;
    long n;                     /* numbers */
    size_t cap;
} Rows;

static void rows_add(Rows *r, const double *y, long n)
{
    if ((size_t)(r->n + n) > r->cap) {
        r->cap = 2 * (size_t)(r->n + n);
        r->v = mem_realloc(r->v, sizeof(double) * r->cap);
    }
    memcpy(r->v + r->n, y, sizeof(double) * (size_t)n);
    r->n += n;
}

/* The data, kept whole: every path reads the same sequences. */
typedef struct Data {
    Rows x;
    long *steps;                /* per sequence */
    long nseq;
} Data;

static int read_all(DataIn *d, Data *out)
{
    const double *x;
    long steps, cap = 0;
    memset(out, 0, sizeof *out);
    while ((steps = rt_rows_next(&d->rows, &x, stderr)) > 0) {
        if (out->nseq == cap) {
            cap = cap ? 2 * cap : 16;
            out->steps = mem_realloc(out->steps, sizeof(long) * (size_t)cap);
        }
        out->steps[out->nseq++] = steps;
        rows_add(&out->x, x, steps * d->rows.width);
    }
    return steps < 0 ? -1 : 0;
}

/* Every sequence through r (the interpreter or the JIT). */
static void run_in_process(SeqRunner *r, const Data *d, Rows *out)
{
    const IrModel *m = r->m;
    const double *x = d->x.v;
    double *y = NULL;
    for (long s = 0; s < d->nseq; s++) {
        long rows = m->output_last ? 1 : d->steps[s];
        y = mem_realloc(y, sizeof(double) * (size_t)(rows * m->output));
        if (r->streaming)
            r->reset(r);
        r->run(r, x, d->steps[s], y);
        rows_add(out, y, rows * m->output);
        x += d->steps[s] * m->input;
    }
    mem_free(y);
}

/* Runs argv (argv[0] a path) with its standard output into out_path (or
 * inherited when NULL). Returns 0 if it exited with status 0, else -1. */
static int run_child(char *const *argv, const char *out_path)
{
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "lstmc: error: cannot start %s: %s\n", argv[0], strerror(errno));
        return -1;
    }
    if (pid == 0) {
        int fd = out_path ? open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600) : -1;
        if (fd >= 0)
            dup2(fd, STDOUT_FILENO);
        else
            dup2(STDERR_FILENO, STDOUT_FILENO);
        execv(argv[0], argv);
        fprintf(stderr, "lstmc: error: cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR)
            return -1;
    return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

/* 1 if the C compiler lstmc build would run ($CC's first word, else cc)
 * is on PATH or is a path to a program. */
static int have_cc(Arena *a, const char **name)
{
    const char *env = getenv("CC");
    const char *cc = env && env[strspn(env, " \t")] ? env + strspn(env, " \t") : "cc";
    cc = arena_strndup(a, cc, strcspn(cc, " \t"));
    *name = cc;
    if (strchr(cc, '/'))
        return access(cc, X_OK) == 0;
    const char *path = getenv("PATH");
    for (const char *p = path ? path : "/usr/bin:/bin"; *p;) {
        size_t n = strcspn(p, ":");
        if (access(arena_printf(a, "%.*s/%s", (int)n, n ? p : ".", cc), X_OK) == 0)
            return 1;
        p += n + (p[n] == ':');
    }
    return 0;
}

/* A program built by this lstmc (`build`, with --emit obj if obj) and run
 * on the data; its text output read back into out. Returns 0, or -1 after
 * its messages. */
static int run_program(Arena *a, const Args *args, const IrModel *m, const char *dir, int obj, Rows *out)
{
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) {
        fprintf(stderr, "lstmc: error: cannot find this lstmc's own program to build with\n");
        return -1;
    }
    self[n] = '\0';
    const char *prog = arena_printf(a, "%s/model%s", dir, obj ? "-obj" : "-c");
    const char *build[16];
    int k = 0;
    build[k++] = self, build[k++] = "build", build[k++] = args->pos[0], build[k++] = "-o", build[k++] = prog;
    if (args->weights)
        build[k++] = "-w", build[k++] = args->weights;
    if (args->weights_type)
        build[k++] = "--weights-type", build[k++] = args->weights_type;
    if (args->products)
        build[k++] = "--products", build[k++] = args->products;
    if (obj)
        build[k++] = "--emit", build[k++] = "obj";
    build[k] = NULL;
    if (run_child((char *const *)build, NULL) != 0)
        return -1;
    const char *outp = arena_printf(a, "%s/out%s.txt", dir, obj ? "-obj" : "-c");
    const char *run[8];
    k = 0;
    run[k++] = prog;
    if (args->format)
        run[k++] = "--format", run[k++] = args->format;
    if (args->header)
        run[k++] = "--header";
    run[k++] = "--", run[k++] = args->pos[1], run[k] = NULL;
    if (run_child((char *const *)run, outp) != 0) {
        fprintf(stderr, "lstmc: error: %s failed on %s\n", prog, args->pos[1]);
        return -1;
    }
    FILE *f = fopen(outp, "r");
    if (!f) {
        diag_file_error(outp, "cannot open: %s", strerror(errno));
        return -1;
    }
    rt_rows rows;
    rt_rows_init(&rows, f, outp, m->output);
    double *y = mem_alloc(sizeof(double) * (size_t)m->output);
    int st;
    while ((st = rt_rows_step(&rows, y, stderr)) != RT_END && st != RT_ERROR)
        if (st == RT_STEP)
            rows_add(out, y, m->output);
    mem_free(y);
    rt_rows_free(&rows);
    fclose(f);
    return st == RT_ERROR ? -1 : 0;
}

/* The largest |a - b| and where (sequence, row), or -1 when the two
 * paths gave different numbers of outputs. */
static double max_diff(const Rows *ref, const Rows *got, const IrModel *m, const Data *d, long *seq,
                       long *row)
{
    if (ref->n != got->n)
        return -1;
    double worst = 0;
    long at = 0;
    for (long k = 0; k < ref->n; k++) {
        double v = fabs(ref->v[k] - got->v[k]);
        if (v > worst || isnan(v))
            worst = v, at = k / m->output;
    }
    *seq = 0;
    for (long s = 0; s < d->nseq; s++) {
        long rows = m->output_last ? 1 : d->steps[s];
        if (at < rows) {
            *seq = s;
            break;
        }
        at -= rows;
    }
    *row = at;
    return worst;
}

/* Prints one path's line; returns 1 if it is beyond the tolerance. */
static int report(const char *path, const Rows *ref, const Rows *got, const IrModel *m, const Data *d,
                  double tol, double *largest)
{
    long seq, row;
    double v = max_diff(ref, got, m, d, &seq, &row);
    if (v < 0) {
        printf("%-22s FAILED: %ld output numbers, the interpreter gave %ld\n", path, got->n, ref->n);
        return 1;
    }
    printf("%-22s max |diff| %-12.3g (sequence %ld, row %ld)%s\n", path, v, seq, row,
           v <= tol ? "" : "  BEYOND THE TOLERANCE");
    if (v > *largest || isnan(v))
        *largest = v;
    return !(v <= tol);
}

static void remove_dir(Arena *a, const char *dir)
{
    static const char *const files[] = {"model-c", "model-obj", "out-c.txt", "out-obj.txt"};
    for (size_t k = 0; k < COUNT_OF(files); k++)
        unlink(arena_printf(a, "%s/%s", dir, files[k]));
    rmdir(dir);
}

int cmd_verify(const Args *a)
{
    double tol = 1e-4;
    if (a->npos < 2)
        return cli_usage_error(a, "%s", "missing the data file: lstmc verify SPEC DATA");
    if (a->tolerance) {
        char *end;
        tol = strtod(a->tolerance, &end);
        if (*end || !(tol >= 0) || !isfinite(tol))
            return cli_usage_error(a, "--tolerance '%s' is not a number >= 0", a->tolerance);
    }
    if (strcmp(a->pos[1], "-") == 0)
        return cli_usage_error(a, "%s", "verify reads DATA once per path: give a file, not standard input");
    Arena arena = {0};
    int status = EXIT_BAD_INPUT;
    IrModel *m = cli_load_model(&arena, a);
    DataIn din;
    Data d = {0};
    if (!m || cli_data_open(&din, a, a->pos[1], a->format, a->header, m->input, &status) != 0) {
        arena_free(&arena);
        return m ? status : EXIT_BAD_INPUT;
    }
    rt_rows_tokens(&din.rows, ir_vocabulary(m));
    int bad = read_all(&din, &d);
    cli_data_close(&din);
    if (bad || d.nseq == 0) {
        if (!bad)
            diag_file_error(a->pos[1], "%s", "no steps to verify: the data is empty");
        goto out;
    }
    long steps = 0;
    for (long s = 0; s < d.nseq; s++)
        steps += d.steps[s];
    printf("verify %s on %s: %ld sequence%s, %ld steps; tolerance %g\n", a->pos[0], a->pos[1], d.nseq,
           d.nseq == 1 ? "" : "s", steps, tol);

    Rows ref = {0}, got = {0};
    SeqRunner r;
    cli_interp_runner_open(&r, m, NULL);
    run_in_process(&r, &d, &ref);
    cli_interp_runner_close(&r);
    printf("%-22s the reference (double precision)\n", "interpreter");

    int beyond = 0, taken = 0;
    double largest = 0;
#ifdef LSTMC_HAVE_LLVM
    LowerOptions lo;
    cli_lower_options(a, &lo);
    if (jit_runner_open(&r, &arena, m, &lo) == 0) {
        run_in_process(&r, &d, &got);
        jit_runner_close(&r);
        beyond += report("run --jit", &ref, &got, m, &d, tol, &largest);
    } else {
        beyond++;
    }
    taken++;
#else
    printf("%-22s skipped: this lstmc was built without LLVM\n", "run --jit");
#endif
    const char *cc;
    if (!have_cc(&arena, &cc)) {
        printf("%-22s skipped: no C compiler ('%s' not found; set CC)\n", "build (C)", cc);
        printf("%-22s skipped: no C compiler ('%s' not found; set CC)\n", "build --emit obj", cc);
    } else {
        char *dir = arena_printf(&arena, "%s/lstmc-verify-XXXXXX", getenv("TMPDIR") && getenv("TMPDIR")[0]
                                                                   ? getenv("TMPDIR") : "/tmp");
        if (!mkdtemp(dir)) {
            fprintf(stderr, "lstmc: error: cannot make a temporary folder: %s\n", strerror(errno));
            beyond++;
        } else {
            for (int obj = 0; obj <= 1; obj++) {
                const char *label = obj ? "build --emit obj" : "build (C)";
#ifndef LSTMC_HAVE_LLVM
                if (obj) {
                    printf("%-22s skipped: this lstmc was built without LLVM\n", label);
                    continue;
                }
#endif
                got.n = 0;
                taken++;
                if (run_program(&arena, a, m, dir, obj, &got) != 0) {
                    printf("%-22s FAILED (above)\n", label);
                    beyond++;
                } else {
                    beyond += report(label, &ref, &got, m, &d, tol, &largest);
                }
            }
            remove_dir(&arena, dir);
        }
    }
    got.n = 0;
    if (taken == 0)
        printf("no path to compare: only the interpreter ran\n");
    else
        printf("largest difference %.3g over %d path%s: %s\n", largest, taken, taken == 1 ? "" : "s",
               beyond ? "FAILED" : "within the tolerance");
    status = beyond ? EXIT_BAD_INPUT : EXIT_OK;
    mem_free(ref.v);
    mem_free(got.v);
out:
    mem_free(d.x.v);
    mem_free(d.steps);
    arena_free(&arena);
    if (fflush(stdout) != 0 && status == EXIT_OK)
        status = EXIT_BAD_INPUT;
    return status;
}
