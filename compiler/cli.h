/*
 * cli.h - the parsed command line and the helpers every command shares.
 * main.c parses the flags once for every command and runs check and run;
 * cmd_compile.c, cmd_build.c and import/cmd_import.c run the others;
 * cli.c holds what they share.
 */
#ifndef LSTMC_CLI_H
#define LSTMC_CLI_H

#include "ir.h"
#include "lower.h"
#include "lstmc_rows.h"

typedef struct Args {
    const char *cmd;            /* "check", "run", "compile", "build", "import", "eval", ... */
    const char *usage;          /* the command's --help text */
    const char *pos[3];         /* positional arguments: SPEC [INPUT]; A B DATA (compare) */
    int npos, maxpos;
    const char *weights;        /* -w, --weights */
    const char *weights_b;      /* a second -w: compare's B */
    const char *output;         /* -o: PREFIX (compile), BIN (build), the output file (run) */
    const char *name;           /* --name: C identifier prefix (compile, build) */
    const char *graph_output;   /* import --graph-output NAME: the graph output to import */
    const char *input_values;   /* import --input-values DIR: input_K.pb for graph inputs */
    const char *cc;             /* --cc (build); NULL: $CC, else "cc" */
    const char *cflags;         /* --cflags (build); NULL: build_default_cflags() */
    const char *activations;    /* --activations exact|fast (compile, build) */
    const char *threads;        /* --threads N (compile); NULL: 1 */
    const char *chunk;          /* --chunk N (compile, build); NULL: the lowering's choice */
    const char *arithmetic;     /* --arithmetic float|int16 (run, eval, compile, build);
                                   NULL: the spec's arithmetic, else float */
    const char *ranges;         /* --ranges FILE: calibrated ranges (ranges.h) */
    const char *calibrate;      /* --calibrate DATA: calibrate on DATA first */
    const char *products;       /* --products f32|int8 (run, eval, compile, build);
                                   NULL: the spec's products */
    const char *weights_type;   /* --weights-type f32|f16|bf16|int8 (run, compile, build);
                                   NULL: the spec's weights_type, else f32 */
    const char *emit;           /* --emit c|llvm|bc|obj (compile); NULL: c */
    const char *target;         /* --target TRIPLE (compile --emit llvm|bc|obj) */
    const char *cpu;            /* --cpu NAME (same) */
    const char *features;       /* --features +a,-b (same) */
    const char *opt;            /* -O2 / -O3 as "2" / "3" (same); NULL: 3 */
    int jit;                    /* run --jit: the LLVM backend compiled in memory */
    const char *format;         /* run --format text|f32|npy: the input's form */
    const char *output_format;  /* run --output-format text|f32|npy */
    int header;                 /* run --header: text input's first line is column names */
    int shared;                 /* build --shared: a shared library, not a program */
    int portable;               /* build --portable: -O2 for any machine of the kind */
    int no_weights, ast;        /* check */
    const char *trace;          /* run --trace FILE */
    const char *state_in;       /* run, built programs: --state-in FILE */
    const char *state_out;      /* --state-out FILE */
    const char *targets;        /* eval --targets FILE */
    const char *metric;         /* eval --metric LIST */
    const char *tolerance;      /* eval (within), compare, verify */
    int class_index;            /* eval: targets are class indices */
    int log_probs;              /* eval: outputs are log-probabilities */
    int per_sequence;           /* eval: a line per sequence */
    const char *seed, *scheme;  /* init */
    char **argv;                /* the whole command line, for banners */
    int argc;
} Args;

enum { EXIT_OK = 0, EXIT_BAD_INPUT = 1, EXIT_USAGE = 2 };

/* The front end: spec file -> checked IR, with its weights unless
 * with_weights is 0 (print_ast: print the syntax tree first). Returns NULL
 * after reporting. Everything lives in arena. */
IrModel *cli_load_spec(Arena *arena, const char *spec_path, const char *weights, int with_weights,
                       int print_ast);
/* The same with weights, stored as type (a --weights-type; NULL: as the
 * spec's weights_type says). */
IrModel *cli_load_spec_as(Arena *arena, const char *spec_path, const char *weights, const char *type,
                          const char *products);
/* The same for the command's SPEC, -w and --weights-type. */
IrModel *cli_load_model(Arena *arena, const Args *a);

/* "lstmc: error: " + fmt (with what) + "Try 'lstmc CMD --help'."; returns
 * EXIT_USAGE. */
int cli_usage_error(const Args *a, const char *fmt, const char *what);
/* 1 if s is a C identifier ([A-Za-z_][A-Za-z0-9_]*), as --name must be. */
int cli_is_identifier(const char *s);

/* Checks the code generation flags that compile, build and run --jit share
 * (--activations, --name) and sets the lowering's options from them
 * (o->name NULL when not given, one thread, no target). Returns -1 if they
 * are valid, else EXIT_USAGE after reporting. */
int cli_lower_options(const Args *a, LowerOptions *o);

/* The words joined with spaces, each quoted for a POSIX shell where needed:
 * command lines in banners and messages. */
char *cli_shell_join(Arena *a, const char *const *v, int n);

/* The message and exit status of an LLVM feature in an lstmc built without
 * LLVM (what names the flag: "--emit llvm", "--jit"). */
int cli_no_llvm(const char *what);

/* A model as `lstmc run` drives it: the interpreter, or (`run --jit`) the
 * LLVM backend compiled in memory. A streaming model (no backward
 * direction) runs step by step: reset starts a sequence, run continues it
 * with x (steps rows of m->input) and writes steps rows of m->output to y,
 * or with m->output_last one, the last step's. Otherwise run takes one
 * whole sequence from the initial state (reset is not called). */
typedef struct SeqRunner {
    void (*reset)(struct SeqRunner *r);
    void (*run)(struct SeqRunner *r, const double *x, long steps, double *y);
    const IrModel *m;
    int streaming;
    int chunk;                  /* steps per run worth taking at once */
    void *impl;
    struct Trace *trace;        /* the interpreter only: collects each step (trace.h), or NULL */
    /* run --state-in, --state-out (NULL for a model without an LSTM, GRU or
     * RNN layer): the start state of the next sequence (a streaming model:
     * the state now, after reset) and the state after the last run, in
     * interp_state_size's layout, which is the generated API's h then c. */
    void (*set_state)(struct SeqRunner *r, const double *s);
    void (*get_state)(struct SeqRunner *r, double *s);
    double *start, *final;      /* the interpreter's whole sequences: [state] each */
    int from_start;             /* the next whole sequence starts from start */
} SeqRunner;

/* The reference interpreter as a SeqRunner: step by step for a streaming
 * model, whole sequences otherwise; every step offered to trace (or NULL).
 * close frees what open made. */
void cli_interp_runner_open(SeqRunner *r, const IrModel *m, struct Trace *trace);
void cli_interp_runner_close(SeqRunner *r);

/* llvm/jit.c (LLVM builds only): a SeqRunner over model m lowered with o
 * for this machine and JIT-compiled. open returns 0, or -1 after
 * reporting. */
int jit_runner_open(SeqRunner *r, Arena *a, const IrModel *m, const LowerOptions *o);
void jit_runner_close(SeqRunner *r);
/* llvm/jit_int.c: the same over arithmetic int16's integer code (m's
 * formats from --ranges or --calibrate, as cli_fixed_model), step by step
 * (NAME_step), or whole sequences (NAME_run) for a model with a backward
 * direction; bit for bit the integer interpreter's rows. */
int jit_int_runner_open(SeqRunner *r, Arena *a, const IrModel *m, const Args *args);
void jit_int_runner_close(SeqRunner *r);

/* The data form named by a flag's value, else the one path's extension
 * implies (NULL or "-": text). Returns the form (rt_format), or -1 after a
 * usage error (*status set). */
int cli_data_format(const Args *a, const char *flag, const char *value, const char *path, int *status);

/* A data file read sequence by sequence in the form --format and the
 * extension say (--header skips a text file's first line). */
typedef struct DataIn {
    FILE *f;
    rt_rows rows;
} DataIn;
/* Returns 0; -1 after reporting "PATH: error: cannot open"; EXIT_USAGE
 * (as status) after a usage error. */
int cli_data_open(DataIn *d, const Args *a, const char *path, const char *format, int header,
                  int width, int *status);
void cli_data_close(DataIn *d);

/* cmd_calibrate.c: the ranges of m's tensors over the sequences of d
 * (the float interpreter, traced; ranges.h). 0, or -1 after reporting. */
struct Ranges;
int calibrate_data(Arena *a, const IrModel *m, DataIn *d, struct Ranges *r);
/* The integer form of m (arithmetic int16; fixed_plan.h), its formats from
 * --ranges or --calibrate (one of them needed); NULL after reporting. */
struct FixedModel;
struct FixedModel *cli_fixed_model(Arena *arena, const IrModel *m, const Args *a);
/* The integer interpreter (interp_int.h) as a SeqRunner over m (arithmetic
 * int16), its formats from --ranges or --calibrate (one of them needed).
 * A model without a backward direction runs step by step (streaming).
 * 0, or -1 after reporting; close frees what open made. */
int cli_int_runner_open(SeqRunner *r, Arena *arena, const IrModel *m, const Args *a);
void cli_int_runner_close(SeqRunner *r);

/* The commands; each returns an exit status. */
int cmd_compile(const Args *a);
int cmd_build(const Args *a);
int cmd_import(const Args *a);
int cmd_eval(const Args *a);
int cmd_compare(const Args *a);
int cmd_verify(const Args *a);
int cmd_init(const Args *a);
int cmd_calibrate(const Args *a);
extern const char usage_compile[], usage_build[], usage_import[];
extern const char usage_eval[], usage_compare[], usage_verify[], usage_init[], usage_calibrate[];

#endif
