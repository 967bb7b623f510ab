/*
 * bench.c - counts the work of model_run over 64 steps on QEMU's
 * mps2-an386 (Cortex-M4F), for tests/cross/size_report.sh: under
 * qemu-system-arm -icount shift=0 every instruction takes 1 ns of virtual
 * time and SysTick counts the 25 MHz processor clock, so 40 x its ticks is
 * the number of instructions executed (not cycles: a Cortex-M4 spends more
 * than one on a load or a float division, QEMU does not model that).
 * Prints that count and y[0], for a model compiled with --name model.
 *
 *   arm-none-eabi-gcc ... -I DIR bench.c DIR/model.o startup.c -lm
 */
#include "model.h"

#include <math.h>
#include <stdio.h>

#define SYST_CSR (*(volatile unsigned *)0xE000E010)   /* control: enable, processor clock */
#define SYST_RVR (*(volatile unsigned *)0xE000E014)   /* reload value */
#define SYST_CVR (*(volatile unsigned *)0xE000E018)   /* current value, counting down */
#define T 64

static model_state s;
static float x[T * MODEL_INPUT_SIZE], y[(MODEL_OUTPUT_LAST ? 1 : T) * MODEL_OUTPUT_SIZE];
#if !MODEL_STREAMING
static float scratch[MODEL_SCRATCH_FLOATS(T) + 1];
#endif

int main(void)
{
    for (int k = 0; k < T * MODEL_INPUT_SIZE; k++)
        x[k] = 0.5f * sinf((float)k);
    model_reset(&s);
    SYST_RVR = 0xFFFFFF;
    SYST_CVR = 0;
    SYST_CSR = 5;
    unsigned before = SYST_CVR;
#if MODEL_STREAMING
    model_run(&s, x, T, y);
#else
    model_run(&s, x, T, y, scratch);
#endif
    unsigned after = SYST_CVR;
    printf("%lu %.9g\n", 40ul * ((before - after) & 0xFFFFFFu), (double)y[0]);
    return 0;
}
