/*
 * cmd_import.c - `lstmc import MODEL.onnx -o DIR [--name NAME] ...`: an ONNX
 * model to DIR/NAME.lstm and DIR/NAME.safetensors, which then go through
 * check, run, compile and build like any spec.
 *
 * onnx.c reads the file, import.c matches its graph into layers; this file
 * picks the name, creates DIR and writes the pair so that a failure leaves
 * neither file changed.
 */
#include "cli.h"
#include "import.h"
#include "safetensors.h"

#include <ctype.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

const char usage_import[] =
    "usage: lstmc import MODEL.onnx -o DIR [--name NAME] [--graph-output NAME]\n"
    "                    [--input-values DIR]\n"
    "\n"
    "Reads an ONNX model (LSTM, GRU and RNN nodes with the Transpose,\n"
    "Squeeze, Reshape, Slice, Gather and Concat glue exporters put around\n"
    "them; Y, its last step, or Y_h (each direction's final state: output\n"
    "final); ReduceMean or ReduceMax over time (output mean, max); Gemm or\n"
    "MatMul + Add heads with their activations) and writes DIR/NAME.lstm, a\n"
    "spec, and DIR/NAME.safetensors, its weights under ONNX's names and layout.\n"
    "DIR is created if missing. Check, run or build the spec as usual:\n"
    "\n"
    "    lstmc import model.onnx -o out\n"
    "    lstmc build out/model.lstm -o model\n"
    "\n"
    "Initial states (initial_h, initial_c) that are graph inputs, as an\n"
    "nn.LSTM called with (h0, c0) exports them, are given at run time: the\n"
    "spec starts from zeros, and `lstmc run --state-in FILE` (a built\n"
    "program's too) or NAME_set_state takes them (a note says so).\n"
    "An operator, attribute or input lstmc cannot express is an error naming\n"
    "the node, its op and what is not supported.\n"
    "\n"
    "options:\n"
    "  -o, --output DIR     the folder to write to\n"
    "  --name NAME          the model's name (a C identifier); default: the\n"
    "                       file's name without .onnx, made one\n"
    "  --graph-output NAME  the graph output to import, for a graph with\n"
    "                       several (each is a model of its own)\n"
    "  --input-values DIR   values for graph inputs, DIR/input_0.pb,\n"
    "                       input_1.pb, ... (TensorProto files, as ONNX's test\n"
    "                       data sets hold them): every input given a value\n"
    "                       but the sequence's becomes a constant (a weight)\n"
    "  -h, --help           show this help\n"
    "\n"
    "exit status: 0 success, 1 unsupported or invalid model, 2 usage error\n";

/* The model's name from the file's: its base name without ".onnx", every
 * character that cannot be in an identifier made '_'. */
static const char *name_from_path(Arena *a, const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t len = strlen(base);
    if (len > 5 && strcmp(base + len - 5, ".onnx") == 0)
        len -= 5;
    char *name = arena_alloc(a, len + 2), *p = name;
    if (len == 0 || isdigit((unsigned char)base[0]))
        *p++ = '_';
    for (size_t k = 0; k < len; k++)
        *p++ = isalnum((unsigned char)base[k]) ? base[k] : '_';
    *p = '\0';
    return name[0] ? name : "model";
}

/* Creates dir and its missing parents, like mkdir -p. */
static int make_dir(Arena *a, const char *dir)
{
    char *path = arena_strdup(a, dir);
    for (char *p = path + 1;; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char c = *p;
        *p = '\0';
        struct stat st;
        if (stat(path, &st) != 0 && mkdir(path, 0777) != 0 && errno != EEXIST) {
            diag_file_error(path, "cannot create the directory: %s", strerror(errno));
            return -1;
        }
        if (stat(path, &st) == 0 && !S_ISDIR(st.st_mode)) {
            diag_file_error(path, "cannot write into it: not a directory");
            return -1;
        }
        *p = c;
        if (c == '\0')
            return 0;
    }
}

/* Writes the spec and the weights as a pair: both go to temporaries first
 * and are renamed only when both are complete. st_write_f32 writes its own
 * temporary and renames it onto the path it is given, so it is given the
 * weights OutFile's temporary. */
static int write_pair(Arena *a, const ImportModel *m, const char *dir, const char *name)
{
    const char *spec_path = arena_printf(a, "%s/%s.lstm", dir, name);
    const char *weights_name = arena_printf(a, "%s.safetensors", name);
    const char *weights_path = arena_printf(a, "%s/%s", dir, weights_name);
    OutFile spec, weights;
    if (outfile_open(&spec, spec_path) < 0)
        return -1;
    if (outfile_open(&weights, weights_path) < 0) {
        outfile_discard(&spec);
        return -1;
    }
    import_write_spec(spec.f, m, name, weights_name);
    ImportTensors t;
    import_tensors(a, m, &t);
    if (st_write_f32(weights.tmp, t.n, t.names, t.ndims, (const long (*)[ST_MAX_DIMS])t.shapes,
                     t.data) < 0) {
        outfile_discard(&spec);
        outfile_discard(&weights);
        return -1;
    }
    OutFile *both[2] = {&spec, &weights};
    return outfile_commit_all(both, 2);
}

/* --input-values DIR: DIR/input_0.pb, input_1.pb, ... (as ONNX's test data
 * sets hold them), each a tensor for a graph input: the one its name
 * names, or the K-th input when it has no name. */
static int read_values(Arena *a, const OnnxGraph *g, const char *dir, ImportOptions *opt)
{
    OnnxTensor *values = arena_alloc(a, (size_t)(g->ninputs + 1) * sizeof *values);
    int n = 0;
    for (;; n++) {
        const char *path = arena_printf(a, "%s/input_%d.pb", dir, n);
        struct stat st;
        if (stat(path, &st) != 0)
            break;
        if (n == g->ninputs) {
            diag_file_error(path, "the graph has %d input%s, and this is a value for one more",
                            g->ninputs, g->ninputs == 1 ? "" : "s");
            return -1;
        }
        OnnxTensor *t = onnx_load_tensor(a, path);
        if (!t)
            return -1;
        values[n] = *t;
        if (!values[n].name[0])
            values[n].name = g->inputs[n].name;
    }
    if (n == 0) {
        diag_file_error(dir, "no input_0.pb here (--input-values reads input_0.pb, input_1.pb, ... "
                        "of a folder, one tensor each, as ONNX's test data sets hold them)");
        return -1;
    }
    opt->nvalues = n;
    opt->values = values;
    return 0;
}

/* Initial states that are graph inputs: where the start state comes from
 * now (the spec itself starts from zeros). */
static void state_note(Arena *a, const ImportModel *m, const char *path, const char *name)
{
    if (!m->nstate_inputs)
        return;
    const char *list = "";
    for (int k = 0; k < m->nstate_inputs; k++)
        list = arena_printf(a, "%s%s'%s'", list, k ? (k + 1 < m->nstate_inputs ? ", " : " and ") : "",
                            m->state_inputs[k]);
    fprintf(stderr, "%s: note: the initial state%s %s %s: %s.lstm starts from zeros, "
            "and takes the start state at run time: `lstmc run --state-in FILE` (a built program's "
            "--state-in likewise) or %s_set_state, each row every layer's h, then every LSTM "
            "layer's c, as np.concatenate([h0.ravel(), c0.ravel()]) of PyTorch's h_0 and c_0\n",
            path, m->nstate_inputs > 1 ? "s" : "", list,
            m->nstate_inputs > 1 ? "are graph inputs" : "is a graph input", name, name);
}

int cmd_import(const Args *a)
{
    if (!a->output)
        return cli_usage_error(a, "%s", "missing '-o DIR', the folder to write to");
    if (a->name && !cli_is_identifier(a->name))
        return cli_usage_error(a, "--name '%s' is not an identifier", a->name);
    Arena arena = {0};
    int status = EXIT_BAD_INPUT;
    OnnxGraph *g = onnx_load(&arena, a->pos[0]);
    ImportOptions opt = {a->graph_output, 0, NULL};
    ImportModel *m = g && (!a->input_values || read_values(&arena, g, a->input_values, &opt) == 0)
                         ? import_graph(&arena, g, &opt) : NULL;
    if (m && make_dir(&arena, a->output) == 0) {
        const char *name = a->name ? a->name : name_from_path(&arena, a->pos[0]);
        if (write_pair(&arena, m, a->output, name) == 0) {
            status = EXIT_OK;
            state_note(&arena, m, a->pos[0], name);
        }
    }
    arena_free(&arena);
    return status;
}
