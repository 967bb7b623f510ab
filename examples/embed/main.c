/*
 * main.c - embedding lstmc's generated C in your own program.
 *
 * `lstmc compile model.lstm -o DIR/model` writes DIR/model.c and DIR/model.h
 * (prefix "sensor", the model's name). This program streams a sensor log
 * through sensor_step(), one timestep at a time, the way firmware would
 * call it from a sampling loop: it reads a line of 8 readings, steps the
 * model, and prints the 16 outputs at once (flushed, so it works on a live
 * pipe). A blank line starts a new recording: sensor_reset().
 *
 * No allocation anywhere: the state is one sensor_state on the stack, the
 * model's weights are constants in model.c.
 *
 *   cc -std=c99 -Wall -Wextra -Wpedantic -I DIR main.c DIR/model.c -lm
 *   ./a.out < input.txt
 */
#include "model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Parses SENSOR_INPUT_SIZE numbers from line into x. Returns 0, or -1. */
static int parse(const char *line, float x[SENSOR_INPUT_SIZE])
{
    const char *p = line;
    int k;
    for (k = 0; k < SENSOR_INPUT_SIZE; k++) {
        char *end;
        double v = strtod(p, &end);
        if (end == p)
            return -1;
        x[k] = (float)v;
        p = end + strspn(end, " \t,");
    }
    return *p == '\0' || *p == '\n' || *p == '\r' ? 0 : -1;
}

int main(void)
{
    sensor_state state;            /* h and c of the LSTM: all the memory it needs */
    float x[SENSOR_INPUT_SIZE];    /* one timestep of readings */
    float y[SENSOR_OUTPUT_SIZE];   /* the model's output for that step */
    char line[1024];
    long lineno = 0;
    int started = 0;

    sensor_reset(&state);
    while (fgets(line, sizeof line, stdin)) {
        int k;
        lineno++;
        if (line[strspn(line, " \t\r\n")] == '\0') {
            /* a blank line: the next reading starts a new recording */
            if (started)
                sensor_reset(&state);
            started = 0;
            continue;
        }
        if (parse(line, x) != 0) {
            fprintf(stderr, "<stdin>:%ld: error: expected %d numbers\n", lineno, SENSOR_INPUT_SIZE);
            return 1;
        }
        started = 1;
        sensor_step(&state, x, y);
        for (k = 0; k < SENSOR_OUTPUT_SIZE; k++)
            printf(k ? " %.9g" : "%.9g", (double)y[k]);
        putchar('\n');
        fflush(stdout);
    }
    return 0;
}
