/*
 * sema.h - semantic checks of a parsed spec, and the weights loading that
 * turns it into the model IR.
 *
 * Two steps, so a spec can be checked before any weights exist:
 *   sema_check()   spec -> IR shape: every layer, dimension and option, with
 *                  every mistake reported (several per run) and no weights;
 *   weights_load() fills each layer's tensors from a safetensors file, in the
 *                  canonical layout of ir.h, whatever the naming convention.
 */
#ifndef LSTMC_SEMA_H
#define LSTMC_SEMA_H

#include "ast.h"
#include "ir.h"

/* Checks the parsed spec (the node list from parse_spec) and builds the IR
 * without weights. weights_override (the -w flag) replaces the spec's
 * `weights` path and is taken as given; the spec's own path resolves against
 * the spec's folder. Returns NULL after reporting errors. */
IrModel *sema_check(Arena *a, const Node *spec, const char *weights_override);

/* Reads m->weights_path and fills every layer's tensors. Reports a missing,
 * extra or mis-shaped tensor, a non-float dtype and a NaN or infinite value,
 * naming the tensor; returns 0, or -1 after reporting. */
int weights_load(Arena *a, IrModel *m);

struct StFile;
/* The same from a safetensors file already read (st_parse: tests, fuzzing). */
int weights_load_file(Arena *a, IrModel *m, struct StFile *file);

#endif
