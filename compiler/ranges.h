/*
 * ranges.h - the calibrated range of each tensor of a model (`lstmc
 * calibrate`, --calibrate, --ranges), from which `arithmetic int16` picks
 * its fixed-point formats (fixed_plan.h). The file is text
 * (grammar/SPEC.md, "Ranges files"):
 *
 *   lstmc-ranges 1
 *   model NAME
 *   NAME MIN MAX        one line per tensor: "input", "LAYER/TENSOR"
 *
 * '#' starts a comment; numbers are printed with %.9g.
 */
#ifndef LSTMC_RANGES_H
#define LSTMC_RANGES_H

#include "ir.h"

typedef struct RangeEntry {
    const char *name;         /* "input", "mem/c", "head/pre", ... */
    double min, max;
    long count;               /* values seen (calibration) */
} RangeEntry;

typedef struct Ranges {
    const char *model;        /* the model's name */
    const char *path;         /* the file read, or NULL */
    RangeEntry *e;
    int n, cap;
} Ranges;

/* The entry named name, or NULL. */
const RangeEntry *ranges_find(const Ranges *r, const char *name);
/* Widens the entry named name (made if new) to hold v. */
void ranges_note(Arena *a, Ranges *r, const char *name, double v);
/* Writes r (for model m) in the file format above. */
void ranges_write(FILE *f, const Ranges *r);
/* Reads a ranges file into r (in a); 0, or -1 after reporting
 * "path:line:col: error: ...". */
int ranges_read(Arena *a, const char *path, Ranges *r);
/* Checks that r was made for m (its name) and holds every range m's
 * integer plan needs (those of m's layers); 0, or -1 after reporting. */
int ranges_check(const Ranges *r, const IrModel *m);

#endif
