/*
 * results.h - reads the results.txt a training script wrote, so that an
 * example's program can print PyTorch's score beside its own and fail on a
 * mismatch.
 *
 * The format: one "key value" pair a line; '#' starts a comment line.
 */
#ifndef EXAMPLES_RESULTS_H
#define EXAMPLES_RESULTS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Stores the value of key in *out. Returns 0, or -1 after reporting a
 * missing file, a missing key or a value that is not a number. */
static int results_get(const char *path, const char *key, double *out)
{
    FILE *f = fopen(path, "r");
    char line[256];
    long lineno = 0;
    size_t n = strlen(key);
    if (!f) {
        fprintf(stderr, "%s: error: cannot open the results file\n", path);
        return -1;
    }
    while (fgets(line, sizeof line, f)) {
        lineno++;
        if (line[0] == '#' || strncmp(line, key, n) != 0 || (line[n] != ' ' && line[n] != '\t'))
            continue;
        {
            char *end;
            double v = strtod(line + n, &end);
            if (end == line + n || end[strspn(end, " \t\r\n")] != '\0') {
                fprintf(stderr, "%s:%ld: error: '%s' needs one number\n", path, lineno, key);
                fclose(f);
                return -1;
            }
            *out = v;
            fclose(f);
            return 0;
        }
    }
    fclose(f);
    fprintf(stderr, "%s: error: no '%s' line\n", path, key);
    return -1;
}

#endif
