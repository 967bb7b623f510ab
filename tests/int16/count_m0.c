/*
 * count_m0.c - the instructions model_step executes per step on QEMU's
 * microbit (a Cortex-M0), for tests/run_int16.sh: under qemu-system-arm
 * -icount shift=0 every instruction takes 1 ns of virtual time, and the
 * nRF51's TIMER0 (prescaler 0) counts 16 MHz of it, so 62.5 x its ticks is
 * the number of instructions executed (not cycles: QEMU models no
 * pipeline, no wait states; a Cortex-M0+ takes 1 or 2 cycles for most).
 * Runs 64 steps from the initial state on a fixed input and prints the
 * instructions per step and y[0]; the model is either arithmetic int16's
 * (int16 rows: MODEL_INPUT_FRAC is defined) or a float one's (soft float on
 * this core), compiled with --name model.
 *
 *   arm-none-eabi-gcc ... -I DIR count_m0.c DIR/model.c startup.c -lm
 */
#include "model.h"

#include <stdio.h>

#define TIMER0(off) (*(volatile unsigned *)(0x40008000u + (off)))
#define T 64

#ifdef MODEL_INPUT_FRAC
typedef int16_t row;
#define INPUT(t, k) ((int16_t)(((t) * 7 + (k) * 13) % 2000 - 1000))
#else
typedef float row;
#define INPUT(t, k) ((float)(((t) * 7 + (k) * 13) % 2000 - 1000) / 32768.0f)
#endif

static model_state s;
static row x[T][MODEL_INPUT_SIZE], y[MODEL_OUTPUT_SIZE];

/* TIMER0's count now (TASKS_CAPTURE[0], then CC[0]) */
static unsigned ticks(void)
{
    TIMER0(0x040) = 1;
    return TIMER0(0x540);
}

int main(void)
{
    unsigned t0, t1;
    int t, k;
    for (t = 0; t < T; t++)
        for (k = 0; k < MODEL_INPUT_SIZE; k++)
            x[t][k] = INPUT(t, k);
    model_reset(&s);
    TIMER0(0x504) = 0;   /* MODE: timer */
    TIMER0(0x508) = 3;   /* BITMODE: 32 bits */
    TIMER0(0x510) = 0;   /* PRESCALER: 16 MHz */
    TIMER0(0x00C) = 1;   /* TASKS_CLEAR */
    TIMER0(0x000) = 1;   /* TASKS_START */
    t0 = ticks();
    for (t = 0; t < T; t++)
        model_step(&s, x[t], y);
    t1 = ticks();
    printf("%lu %g\n", (unsigned long)(t1 - t0) * 125ul / 2ul / T, (double)y[0]);
    return 0;
}
