/*
 * runtime_text.h - the runtime's sources, embedded in lstmc when it is built
 * (the Makefile turns runtime/FILE into a string with scripts/embed.sh), so
 * that the code lstmc writes is self-contained: `compile` copies what a model
 * needs into PREFIX.c, and `build` writes the row reader beside its main.
 */
#ifndef LSTMC_RUNTIME_TEXT_H
#define LSTMC_RUNTIME_TEXT_H

extern const char rt_text_act_h[];    /* runtime/lstmc_act.h */
extern const char rt_text_rows_h[];   /* runtime/lstmc_rows.h */
extern const char rt_text_rows_c[];   /* runtime/lstmc_rows.c */

#endif
