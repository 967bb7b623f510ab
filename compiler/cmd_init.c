/*
 * cmd_init.c - `lstmc init SPEC -o WEIGHTS`: random weights for a spec in
 * the convention of each layer's `from` (init.h), so a design can be
 * checked, run, compiled and benchmarked before it is trained.
 */
#include "cli.h"
#include "init.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

const char usage_init[] =
    "usage: lstmc init SPEC -o WEIGHTS.safetensors [--seed N] [--scheme S]\n"
    "\n"
    "Writes random weights for every layer of SPEC, named and shaped as its\n"
    "'from' statements say (pytorch, keras, onnx, native), as float32\n"
    "safetensors. The same seed gives the same file. The spec's own 'weights'\n"
    "file is not read. Schemes (grammar/SPEC.md, \"Initial weights\", gives the\n"
    "distributions):\n"
    "  pytorch  uniform(-1/sqrt(H), 1/sqrt(H)), PyTorch's nn.LSTM default\n"
    "  keras    glorot uniform inputs, orthogonal recurrent weights, forget\n"
    "           bias 1, Keras's LSTM default\n"
    "  1997     small uniform weights (+-0.1), negative input and output gate\n"
    "           biases staggered by block (Hochreiter & Schmidhuber 1997)\n"
    "By default each layer gets keras if it reads 'from keras', else pytorch.\n"
    "\n"
    "options:\n"
    "  -o, --output FILE    the weights file to write (needed)\n"
    "  --seed N             the generator's seed, an integer >= 0 (default 1)\n"
    "  --scheme S           pytorch, keras or 1997\n"
    "  -h, --help           show this help\n"
    "\n"
    "exit status: 0 success, 1 invalid spec or a failed write, 2 usage error\n";

int cmd_init(const Args *a)
{
    unsigned long long seed = 1;
    int scheme = INIT_DEFAULT;
    if (!a->output)
        return cli_usage_error(a, "%s", "missing the output file: -o WEIGHTS.safetensors");
    if (a->seed) {
        char *end;
        errno = 0;
        seed = strtoull(a->seed, &end, 10);
        if (*end || a->seed[0] == '-' || errno == ERANGE)
            return cli_usage_error(a, "--seed '%s' is not an integer >= 0", a->seed);
    }
    if (a->scheme && (scheme = init_scheme_named(a->scheme)) < 0)
        return cli_usage_error(a, "unknown scheme '%s'; expected pytorch, keras or 1997", a->scheme);
    Arena arena = {0};
    int status = EXIT_BAD_INPUT;
    /* the output as the weights path: a spec need not name a file yet */
    IrModel *m = cli_load_spec(&arena, a->pos[0], a->output, 0, 0);
    if (m) {
        InitTensors t;
        init_weights(&arena, m, (InitScheme)scheme, seed, &t);
        if (st_write_f32(a->output, t.n, t.names, t.ndims, (const long (*)[ST_MAX_DIMS])t.shapes,
                         (const float *const *)t.data) == 0)
            status = EXIT_OK;
    }
    arena_free(&arena);
    return status;
}
