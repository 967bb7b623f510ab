/*
 * testutil.h - what the cmocka unit tests share: cmocka itself, and capturing
 * diagnostics into a string so a test can check the exact message.
 */
#ifndef LSTMC_TESTUTIL_H
#define LSTMC_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "util.h"

typedef struct DiagCapture {
    char *text;
    size_t len;
    FILE *f;
} DiagCapture;

/* Starts sending diagnostics to a string and resets the error count. */
static inline void capture_begin(DiagCapture *c)
{
    c->text = NULL;
    c->len = 0;
    c->f = open_memstream(&c->text, &c->len);
    assert_non_null(c->f);
    diag_set_stream(c->f);
    diag_reset();
}

/* Stops capturing; returns what was reported (free it with capture_free). */
static inline const char *capture_end(DiagCapture *c)
{
    fclose(c->f);
    diag_set_stream(NULL);
    return c->text;
}

static inline void capture_free(DiagCapture *c)
{
    free(c->text);
    c->text = NULL;
}

/* Asserts that haystack contains needle, printing both when it does not. */
#define assert_contains(haystack, needle)                                      \
    do {                                                                       \
        const char *h_ = (haystack), *n_ = (needle);                          \
        if (!h_ || !strstr(h_, n_))                                            \
            fail_msg("expected to find\n  %s\nin\n%s", n_, h_ ? h_ : "(null)"); \
    } while (0)

#endif
