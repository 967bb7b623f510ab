/*
 * step_only.c - a program that uses only model_reset and model_step of a
 * streaming model compiled with `--name model`: linked with the object of
 * `lstmc compile --emit obj` and -Wl,--gc-sections, it must not contain
 * model_run_batch nor the kernels only that calls, since the object has one
 * section per function (tests/run_llvm.sh checks with nm).
 *
 *   cc -I DIR -Wl,--gc-sections tests/llvm/step_only.c DIR/model.o -lm
 */
#include "model.h"

#include <stdio.h>

int main(void)
{
    static model_state s;
    float x[MODEL_INPUT_SIZE] = {0}, y[MODEL_OUTPUT_SIZE];
    model_reset(&s);
    for (int t = 0; t < 3; t++) {
        x[0] = (float)t;
        model_step(&s, x, y);
    }
    printf("%.9g\n", (double)y[0]);
    return 0;
}
