/*
 * test_quant.c - the narrow weight types (compiler/quant.c): float16 and
 * bfloat16 rounding against independent references over a sweep of all
 * floats, the decoders against the runtime's (runtime/lstmc_act.h, what
 * the generated code runs), int8's scale and rounding, ir_quantize's
 * error for a weight float16 cannot hold, and its GRU and RNN matrices.
 */
#include "testutil.h"

#include "quantize.h"
/* The runtime's scalar decoders, compiled here as the generated code has
 * them. */
#include "lstmc_act.h"

#include <math.h>

static float float_of(uint32_t u)
{
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

static uint32_t bits_of(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

/* The nearest of the two candidates lo < v < hi (decoded values a and b,
 * codes ca and cb), ties to the even code: the definition, in double. */
static uint32_t nearest(double v, double a, double b, uint32_t ca, uint32_t cb)
{
    double da = fabs(v - a), db = fabs(b - v);
    if (da < db)
        return ca;
    if (db < da)
        return cb;
    return (ca & 1) ? cb : ca;
}

/* Every 61st float (and its neighbours at the edges of the half range):
 * the float16 code is the nearest half, ties to even, and decoding gives
 * the half's value back, in quant.c and in the runtime alike. */
static void test_f16_sweep(void **state)
{
    (void)state;
    static const double edges[] = {65504.0, 65519.99, 65520.0, 6.103515625e-05, 5.960464477539063e-08,
                                   2.98023223876953125e-08, 2.9802323e-08, 1.0, 0.1, -0.0};
    long checked = 0;
    for (uint64_t u = 0; u <= 0xffffffffu; u += 61) {
        float v = float_of((uint32_t)u);
        if (isnan(v))
            continue;
        uint16_t h = quant_f16_bits(v);
        double av = fabs((double)v);
        double hv = fabs((double)quant_f16_value(h));
        assert_true((h & 0x8000u) == ((bits_of(v) >> 16) & 0x8000u));
        if (av >= 65520.0) {
            assert_int_equal(h & 0x7fff, 0x7c00);
            continue;
        }
        /* the codes of the halves on either side of |v| */
        uint32_t c = h & 0x7fffu;
        double lo = c ? fabs((double)quant_f16_value((uint16_t)(c - 1))) : 0.0;
        double hi = fabs((double)quant_f16_value((uint16_t)(c + 1)));
        assert_true(hv == av || (lo <= av && av <= hi));
        if (hv < av)
            assert_int_equal(nearest(av, hv, hi, c, c + 1), c);
        else if (hv > av)
            assert_int_equal(nearest(av, lo, hv, c - 1, c), c);
        assert_true(quant_f16_value(h) == rt_f16_to_f32(h));
        checked++;
    }
    for (size_t k = 0; k < sizeof edges / sizeof edges[0]; k++) {
        float v = (float)edges[k];
        assert_true(quant_f16_value(quant_f16_bits(v)) == rt_f16_to_f32(quant_f16_bits(v)));
    }
    assert_int_equal(quant_f16_bits(65504.0f), 0x7bff);
    assert_int_equal(quant_f16_bits(65519.0f), 0x7bff);
    assert_int_equal(quant_f16_bits(65520.0f), 0x7c00);      /* the tie rounds to even: infinity */
    assert_int_equal(quant_f16_bits(5.9604645e-08f), 0x0001); /* the least subnormal */
    assert_int_equal(quant_f16_bits(2.9802322e-08f), 0x0000); /* half of it: ties to even, zero */
    assert_int_equal(quant_f16_bits(-1.0f), 0xbc00);
    assert_int_equal(quant_f16_bits(float_of(0x7fc00000u)) & 0x7e00, 0x7e00);
    assert_true(checked > 30000000);   /* the others are NaN or round to infinity */
    /* every half decodes to itself and back */
    for (uint32_t h = 0; h < 0x10000u; h++) {
        if ((h & 0x7c00u) == 0x7c00u && (h & 0x3ffu))
            continue;
        assert_int_equal(quant_f16_bits(quant_f16_value((uint16_t)h)), h);
        assert_true(quant_f16_value((uint16_t)h) == rt_f16_to_f32((uint16_t)h));
    }
}

/* bfloat16: the nearest of the two truncations, ties to even. */
static void test_bf16_sweep(void **state)
{
    (void)state;
    for (uint64_t u = 0; u <= 0xffffffffu; u += 61) {
        float v = float_of((uint32_t)u);
        if (isnan(v) || isinf(v))
            continue;
        uint32_t lo = (uint32_t)u >> 16, hi = lo + 1;
        double a = (double)float_of(lo << 16), b = (double)float_of(hi << 16);
        if (isinf(b))   /* rounding as if the exponent had no end: 2^128 */
            b = copysign(ldexp(1.0, 128), b);
        uint16_t got = quant_bf16_bits(v);
        if ((double)v == a)
            assert_int_equal(got, lo);
        else
            assert_int_equal(got, nearest((double)v, a, b, lo, hi) & 0xffffu);
        assert_true(quant_bf16_value(got) == rt_bf16_to_f32(got));
    }
    assert_int_equal(quant_bf16_bits(1.0f), 0x3f80);
    assert_int_equal(quant_bf16_bits(float_of(0x3f808000u)), 0x3f80);   /* a tie, to even */
    assert_int_equal(quant_bf16_bits(float_of(0x3f818000u)), 0x3f82);   /* a tie, to even */
    assert_true(isnan(quant_bf16_value(quant_bf16_bits(float_of(0x7f800001u)))));
}

/* int8: the scale maps a row's largest magnitude to 127, each value
 * rounds to the nearest multiple of the scale, ties to even. */
static void test_int8(void **state)
{
    (void)state;
    const float row[] = {0.5f, -1.27f, 0.005f, 0.015f, 1.26f};
    float s = quant_int8_scale(row, 5);
    assert_true(s == 1.27f / 127.0f);
    assert_int_equal(quant_int8(-1.27f, s), -127);
    assert_int_equal(quant_int8(1.26f, s), 126);
    assert_int_equal(quant_int8(0.5f, s), 50);
    assert_int_equal(quant_int8(0.0f, s), 0);
    assert_int_equal(quant_int8(2.0f, s), 127);   /* beyond the row's range: saturated */
    const float zeros[3] = {0.0f, 0.0f, 0.0f};
    assert_true(quant_int8_scale(zeros, 3) == 0.0f);
    assert_int_equal(quant_int8(0.0f, 0.0f), 0);
    assert_int_equal(quant_type_of("int8"), WT_INT8);
    assert_int_equal(quant_type_of("f8"), -1);
    assert_int_equal(quant_type_bytes(WT_BF16), 2);
}

/* ir_quantize: the stored values replace the weights, biases stay, and a
 * float16 beyond 65504 is an error naming the layer and the value. */
static void test_ir_quantize(void **state)
{
    (void)state;
    Arena a = {0};
    float w[2] = {70000.0f, 1.0f}, b[1] = {0.1f};
    IrLayer L;
    memset(&L, 0, sizeof L);
    L.kind = IR_DENSE;
    L.name = "head";
    L.input = 2;
    L.output = 1;
    L.dense.w = w;
    L.dense.b = b;
    IrModel m;
    memset(&m, 0, sizeof m);
    m.nlayers = 1;
    m.layers = &L;
    assert_int_equal(ir_quantize(&a, &m, WT_BF16), 0);
    assert_true(w[0] == quant_bf16_value(quant_bf16_bits(70000.0f)) && w[0] != 70000.0f);
    assert_true(b[0] == 0.1f);
    assert_int_equal(ir_quantize(&a, &m, WT_INT8), 0);
    assert_non_null(L.dense.w_scale);
    assert_true(w[0] == 127.0f * L.dense.w_scale[0]);
    w[0] = 70000.0f;
    int errors = diag_errors();
    assert_int_equal(ir_quantize(&a, &m, WT_F16), -1);
    assert_int_equal(diag_errors(), errors + 1);
    arena_free(&a);
}

/* ir_quantize of a GRU (both directions, every part) and of an RNN (its
 * one matrix): each row's int8 scale from the row itself, columns of x and
 * of h alike; biases stay. */
static void test_ir_quantize_gru_rnn(void **state)
{
    (void)state;
    Arena a = {0};
    enum { H = 2, K = 3 };   /* I = 1 */
    float w[2][GRU_COUNT][H * K], b[H] = {0.3f, -0.3f};
    IrLayer L[2];
    memset(L, 0, sizeof L);
    for (int d = 0; d < 2; d++)
        for (int p = 0; p < GRU_COUNT; p++)
            for (int k = 0; k < H * K; k++)
                w[d][p][k] = (float)(d + 1) * (float)(p + 1) * (k == 4 ? 2.54f : 0.01f * (float)k);
    L[0].kind = IR_GRU;
    L[0].name = "g";
    L[0].gru.input = 1;
    L[0].gru.hidden = H;
    L[0].gru.dirs = 2;
    for (int d = 0; d < 2; d++)
        for (int p = 0; p < GRU_COUNT; p++)
            L[0].gru.dir[d].w[p] = w[d][p];
    L[0].gru.dir[0].b[GRU_N] = b;
    L[1].kind = IR_RNN;
    L[1].name = "r";
    L[1].gru = L[0].gru;
    L[1].gru.dirs = 1;
    L[1].gru.dir[0].w[GRU_R] = L[1].gru.dir[0].w[GRU_Z] = NULL;
    float rnn_w[H * K] = {0.1f, 0.2f, -1.27f, 0.5f, 0.25f, 0.0f};
    L[1].gru.dir[0].w[GRU_N] = rnn_w;
    IrModel m;
    memset(&m, 0, sizeof m);
    m.nlayers = 2;
    m.layers = L;
    assert_int_equal(ir_quantize(&a, &m, WT_INT8), 0);
    for (int d = 0; d < 2; d++)
        for (int p = 0; p < GRU_COUNT; p++) {
            const float *s = L[0].gru.dir[d].w_scale[p];
            assert_non_null(s);
            /* row 1 holds 2.54 (d+1)(p+1) at column 1: 127 steps of its scale */
            assert_true(s[1] == (float)(d + 1) * (float)(p + 1) * 2.54f / 127.0f);
            assert_true(w[d][p][4] == 127.0f * s[1]);
        }
    assert_true(b[0] == 0.3f);
    assert_null(L[1].gru.dir[0].w_scale[GRU_R]);
    assert_true(L[1].gru.dir[0].w_scale[GRU_N][0] == 1.27f / 127.0f);
    assert_true(rnn_w[2] == -127.0f * L[1].gru.dir[0].w_scale[GRU_N][0]);
    arena_free(&a);
}

/* products int8: the interpreter's code of h (quant_h_code, from a
 * double) against the runtime's rt_h_code (what the generated C runs),
 * over every 7th float of [-1.1, 1.1] and the ties of h * 127 near each
 * boundary, and the definition at a few values. */
static void test_h_code(void **state)
{
    (void)state;
    long n = 0;
    for (uint32_t u = 0; u <= bits_of(1.1f); u += 7)
        for (int sign = 0; sign < 2; sign++) {
            float h = sign ? -float_of(u) : float_of(u);
            if (quant_h_code(h) != rt_h_code(h) - 128)
                fail_msg("h = %.9g: quant_h_code %d, rt_h_code %d", (double)h, quant_h_code(h), rt_h_code(h) - 128);
            n++;
        }
    for (int k = -127; k < 127; k++)   /* floats about the ties k + 0.5 */
        for (int d = -3; d <= 3; d++) {
            float h = nextafterf((float)((k + 0.5) / 127.0), d < 0 ? -2.0f : 2.0f);
            for (int s = 0; s < abs(d); s++)
                h = nextafterf(h, d < 0 ? -2.0f : 2.0f);
            assert_int_equal(quant_h_code(h), rt_h_code(h) - 128);
        }
    assert_true(n > 1000000);
    assert_int_equal(quant_h_code(0.5), 64);            /* 63.5: ties to even */
    assert_int_equal(quant_h_code(1.5 / 127), 2);       /* 1.5 in float: ties to even */
    assert_int_equal(quant_h_code(-2.5 / 127), -2);
    assert_int_equal(quant_h_code(2.0), 127);
    assert_int_equal(quant_h_code(-1e30), -127);
    assert_int_equal(quant_h_code(NAN), -127);
    assert_int_equal(rt_h_code(NAN), 1);
    assert_true(quant_h_factor(127.0f) == 1.0f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_f16_sweep),
        cmocka_unit_test(test_bf16_sweep),
        cmocka_unit_test(test_int8),
        cmocka_unit_test(test_ir_quantize),
        cmocka_unit_test(test_ir_quantize_gru_rnn),
        cmocka_unit_test(test_h_code),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
