/*
 * runtime_text.h - the runtime's sources, embedded in lstmc when it is built
 * (the Makefile turns runtime/FILE into C data with scripts/embed.sh), so
 * that the code lstmc writes is self-contained: `compile` copies the pieces
 * of the activations a model needs into PREFIX.c, and `build` writes the
 * row reader beside its main.
 */
#ifndef LSTMC_RUNTIME_TEXT_H
#define LSTMC_RUNTIME_TEXT_H

/* One piece of a runtime header, as its marker line names it (runtime/
 * lstmc_act.h says how a header is cut): the pieces it needs, all before
 * it, and its text. */
typedef struct RtPiece {
    const char *name;          /* "rt_tanhf_fast", "<math.h>", "RT_VL" */
    const char *needs;         /* names separated by spaces; "": none */
    const char *text;          /* the marker line, then the code */
} RtPiece;

/* runtime/lstmc_act.h in pieces: the text before the first (its comment,
 * the include guard), the pieces in the header's order, the text after
 * the last (the guard's #endif). */
extern const char rt_act_head[];
extern const RtPiece rt_act_pieces[];
extern const int rt_act_npieces;
extern const char rt_act_tail[];

/* runtime/lstmc_fixed.h in pieces, likewise (arithmetic int16) */
extern const char rt_fixed_head[];
extern const RtPiece rt_fixed_pieces[];
extern const int rt_fixed_npieces;
extern const char rt_fixed_tail[];

extern const char rt_text_rows_h[];   /* runtime/lstmc_rows.h */
extern const char rt_text_rows_c[];   /* runtime/lstmc_rows.c */

#endif
