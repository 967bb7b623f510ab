/*
 * test_parser.c - the scanner and parser: the tree built for every shape of
 * spec, the exact text of each syntax error, recovery after errors, and a
 * small fuzz run over broken versions of a valid spec.
 */
#include "testutil.h"

#include <math.h>

#include "ast.h"

/* ---- helpers ---- */

/* Parses text as "t.lstm" into a; diagnostics are captured into *c. */
static Node *parse_text(Arena *a, const char *text, DiagCapture *c)
{
    capture_begin(c);
    Source *src = source_from_string(a, "t.lstm", text);
    Node *n = parse_spec(a, src);
    capture_end(c);
    return n;
}

/* Parses text that must be valid and checks its ast_print() dump. */
static void check_ast(const char *text, const char *expected)
{
    Arena a = {0};
    DiagCapture c;
    Node *n = parse_text(&a, text, &c);
    if (diag_errors() != 0)
        fail_msg("unexpected errors for\n%s\n%s", text, c.text);
    capture_free(&c);

    char *got = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&got, &len);
    ast_print(f, n);
    fclose(f);
    assert_string_equal(got, expected);
    free(got);
    arena_free(&a);
}

/* Parses text that must fail with exactly these diagnostics and this many
 * errors. */
static void check_errors(const char *text, int nerrors, const char *expected)
{
    Arena a = {0};
    DiagCapture c;
    parse_text(&a, text, &c);
    assert_string_equal(c.text, expected);
    assert_int_equal(diag_errors(), nerrors);
    capture_free(&c);
    arena_free(&a);
}

/* ---- valid specs ---- */

static const char EXAMPLE[] =
    "# a comment to end of line;  // also a comment\n"
    "model adding {\n"
    "    input 2;\n"
    "    weights \"adding.safetensors\";\n"
    "    output last;\n"
    "    lstm enc {\n"
    "        hidden 32; layers 2; direction bidirectional;\n"
    "        blocks 4;\n"
    "        gates input output;\n"
    "        gate_activation hard_sigmoid(0.2, 0.5);\n"
    "        cell_input scaled_sigmoid(-2, 2);\n"
    "        cell_output scaled_tanh(1/6, 0.5);\n"
    "        clip cell 3.0;\n"
    "        from keras \"lstm\", \"lstm_1\";\n"
    "    }\n"
    "    dense head { units 1; activation softmax; from pytorch \"head\"; }\n"
    "}\n";

static const char EXAMPLE_AST[] =
    "block model adding @2:1\n"
    "  stmt input 2 @3:5\n"
    "  stmt weights \"adding.safetensors\" @4:5\n"
    "  stmt output last @5:5\n"
    "  block lstm enc @6:5\n"
    "    stmt hidden 32 @7:9\n"
    "    stmt layers 2 @7:20\n"
    "    stmt direction bidirectional @7:30\n"
    "    stmt blocks 4 @8:9\n"
    "    stmt gates input output @9:9\n"
    "    stmt gate_activation hard_sigmoid(0.2, 0.5) @10:9\n"
    "    stmt cell_input scaled_sigmoid(-2, 2) @11:9\n"
    "    stmt cell_output scaled_tanh(1/6, 0.5) @12:9\n"
    "    stmt clip cell 3.0 @13:9\n"
    "    stmt from keras \"lstm\" \"lstm_1\" @14:9\n"
    "  block dense head @16:5\n"
    "    stmt units 1 @16:18\n"
    "    stmt activation softmax @16:27\n"
    "    stmt from pytorch \"head\" @16:47\n";

static void test_example(void **state)
{
    (void)state;
    check_ast(EXAMPLE, EXAMPLE_AST);
}

/* The same spec with CRLF line ends parses to the same tree. */
static void test_crlf(void **state)
{
    (void)state;
    char crlf[2 * sizeof EXAMPLE];
    size_t n = 0;
    for (const char *p = EXAMPLE; *p; p++) {
        if (*p == '\n')
            crlf[n++] = '\r';
        crlf[n++] = *p;
    }
    crlf[n] = '\0';
    check_ast(crlf, EXAMPLE_AST);
}

static void test_statement_fields(void **state)
{
    (void)state;
    Arena a = {0};
    DiagCapture c;
    Node *n = parse_text(&a, "clip cell 3.0, \"x\";\n", &c);
    capture_free(&c);
    assert_int_equal(diag_errors(), 0);
    assert_non_null(n);
    assert_null(n->next);
    assert_int_equal(n->kind, NODE_STMT);
    assert_string_equal(n->word, "clip");
    assert_int_equal(n->loc.line, 1);
    assert_int_equal(n->loc.col, 1);
    assert_int_equal(n->loc.len, 4);
    assert_int_equal(n->nargs, 3);
    assert_int_equal(n->args[0].kind, ARG_WORD);
    assert_string_equal(n->args[0].text, "cell");
    assert_int_equal(n->args[0].loc.col, 6);
    assert_int_equal(n->args[0].loc.len, 4);
    assert_int_equal(n->args[1].kind, ARG_NUMBER);
    assert_true(n->args[1].num == 3.0);
    assert_false(n->args[1].is_integer);
    assert_string_equal(n->args[1].text, "3.0");
    assert_int_equal(n->args[1].loc.col, 11);
    assert_int_equal(n->args[2].kind, ARG_STRING);
    assert_string_equal(n->args[2].text, "x");
    assert_int_equal(n->args[2].loc.col, 16);
    assert_int_equal(n->args[2].loc.len, 3);
    arena_free(&a);
}

static void test_blocks(void **state)
{
    (void)state;
    check_ast("model m { lstm a { } dense { units 1; } lstm b { x { y; } } }",
              "block model m @1:1\n"
              "  block lstm a @1:11\n"
              "  block dense @1:22\n"
              "    stmt units 1 @1:30\n"
              "  block lstm b @1:41\n"
              "    block x @1:50\n"
              "      stmt y @1:54\n");

    Arena a = {0};
    DiagCapture c;
    Node *n = parse_text(&a, "model m {\n  dense {\n  }\n}\nother;\n", &c);
    capture_free(&c);
    assert_int_equal(diag_errors(), 0);
    assert_int_equal(n->kind, NODE_BLOCK);
    assert_string_equal(n->word, "model");
    assert_string_equal(n->name, "m");
    assert_int_equal(n->name_loc.col, 7);
    assert_int_equal(n->name_loc.len, 1);
    assert_int_equal(n->close_loc.line, 4);
    assert_int_equal(n->close_loc.col, 1);
    Node *d = n->body;
    assert_string_equal(d->word, "dense");
    assert_null(d->name);
    assert_null(d->body);
    assert_null(d->next);
    assert_int_equal(d->close_loc.line, 3);
    assert_int_equal(d->close_loc.col, 3);
    assert_string_equal(n->next->word, "other");
    assert_int_equal(n->next->nargs, 0);
    arena_free(&a);
}

static void test_calls(void **state)
{
    (void)state;
    check_ast("a f() g(1) h(x, \"s\", -2) k(m(1/2), n());",
              "stmt a f() g(1) h(x, \"s\", -2) k(m(1/2), n()) @1:1\n");

    Arena a = {0};
    DiagCapture c;
    Node *n = parse_text(&a, "a hard_sigmoid(0.2, 0.5) f(\n1);", &c);
    capture_free(&c);
    assert_int_equal(diag_errors(), 0);
    Arg *call = &n->args[0];
    assert_int_equal(call->kind, ARG_CALL);
    assert_string_equal(call->text, "hard_sigmoid");
    assert_int_equal(call->nargs, 2);
    assert_true(call->args[1].num == 0.5);
    assert_int_equal(call->loc.col, 3);
    assert_int_equal(call->loc.len, 22);   /* through the ')' */
    assert_int_equal(n->args[1].nargs, 1);
    assert_int_equal(n->args[1].loc.len, 1); /* over two lines: the word */
    arena_free(&a);
}

static void test_numbers(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        double num;
        int is_integer;
    } cases[] = {
        {"32", 32, 1},     {"-2", -2, 1},       {"+0.5", 0.5, 0}, {".5", 0.5, 0},
        {"1e-3", 1e-3, 0}, {"3.", 3, 0},        {"2E2", 200, 0},  {"1/6", 1.0 / 6, 0},
        {"-2/4", -0.5, 0}, {"1 / 3", 1.0 / 3, 0},
    };
    for (size_t i = 0; i < COUNT_OF(cases); i++) {
        Arena a = {0};
        DiagCapture c;
        char text[64];
        snprintf(text, sizeof text, "n %s;", cases[i].text);
        Node *n = parse_text(&a, text, &c);
        capture_free(&c);
        assert_int_equal(diag_errors(), 0);
        assert_int_equal(n->nargs, 1);
        assert_int_equal(n->args[0].kind, ARG_NUMBER);
        assert_true(fabs(n->args[0].num - cases[i].num) < 1e-15);
        assert_int_equal(n->args[0].is_integer, cases[i].is_integer);
        assert_int_equal(n->args[0].loc.len, (int)strlen(cases[i].text));
        arena_free(&a);
    }
    /* Fractions print as written, without the spaces. */
    check_ast("n 1 / 3 1/6;", "stmt n 1/3 1/6 @1:1\n");
}

static void test_strings(void **state)
{
    (void)state;
    Arena a = {0};
    DiagCapture c;
    Node *n = parse_text(&a, "s \"a\\\"b\\\\c\\nd\\te\" \"\";", &c);
    capture_free(&c);
    assert_int_equal(diag_errors(), 0);
    assert_string_equal(n->args[0].text, "a\"b\\c\nd\te");
    assert_int_equal(n->args[0].loc.len, 15);
    assert_string_equal(n->args[1].text, "");
    arena_free(&a);
    check_ast("s \"a\\\"b\\\\c\\nd\\te\";", "stmt s \"a\\\"b\\\\c\\nd\\te\" @1:1\n");
}

static void test_comments_and_commas(void **state)
{
    (void)state;
    check_ast("// one\n# two\n\tfrom keras \"a\", \"b\" \"c\"; # end\nx 1,2; // last",
              "stmt from keras \"a\" \"b\" \"c\" @3:2\n"
              "stmt x 1 2 @4:1\n");
    /* '#' and '//' inside strings are text. */
    check_ast("s \"#x//y\";", "stmt s \"#x//y\" @1:1\n");
}

static void test_empty(void **state)
{
    (void)state;
    static const char *const empty[] = {"", "\n\n", "# only a comment", "// c\r\n  \t\n"};
    for (size_t i = 0; i < COUNT_OF(empty); i++) {
        Arena a = {0};
        DiagCapture c;
        assert_null(parse_text(&a, empty[i], &c));
        assert_int_equal(diag_errors(), 0);
        capture_free(&c);
        arena_free(&a);
    }
}

/* ---- errors ---- */

static void test_missing_semicolon(void **state)
{
    (void)state;
    check_errors("model m { input 2 }", 1,
                 "t.lstm:1:19: error: expected ';', saw '}'\n"
                 "model m { input 2 }\n"
                 "                  ^\n");
    /* At the end of a line, the caret goes where the ';' is missing. */
    check_errors("model m {\n  input 2\n  lstm enc { hidden 3; }\n}\n", 1,
                 "t.lstm:2:10: error: expected ';', saw '{'\n"
                 "  input 2\n"
                 "         ^\n");
    check_errors("input 2", 1,
                 "t.lstm:1:8: error: expected ';', saw end of file\n"
                 "input 2\n"
                 "       ^\n");
    check_errors("lstm enc )", 1,
                 "t.lstm:1:10: error: expected ';' or '{', saw ')'\n"
                 "lstm enc )\n"
                 "         ^\n");
}

static void test_unclosed_block(void **state)
{
    (void)state;
    check_errors("model m {\n  lstm enc {\n    hidden 3;\n  }\n  lstm {\n    hidden 2;\n", 1,
                 "t.lstm:6:14: error: expected '}' to close 'lstm', saw end of file\n"
                 "    hidden 2;\n"
                 "             ^\n"
                 "t.lstm:5:8: note: 'lstm' opened here\n"
                 "  lstm {\n"
                 "       ^\n");
    /* Only the block, not the ';' missing before the end as well. */
    check_errors("model m {\n  lstm enc {\n    hidden 3\n", 1,
                 "t.lstm:3:13: error: expected '}' to close 'lstm enc', saw end of file\n"
                 "    hidden 3\n"
                 "            ^\n"
                 "t.lstm:2:12: note: 'lstm enc' opened here\n"
                 "  lstm enc {\n"
                 "           ^\n");
}

static void test_stray_brace(void **state)
{
    (void)state;
    check_errors("model m { }\n}\nx;\n}", 2,
                 "t.lstm:2:1: error: unexpected '}' with no open block\n"
                 "}\n"
                 "^\n"
                 "t.lstm:4:1: error: unexpected '}' with no open block\n"
                 "}\n"
                 "^\n");
}

static void test_lexical_errors(void **state)
{
    (void)state;
    check_errors("weights \"a.safetensors;\n", 1,
                 "t.lstm:1:9: error: unterminated string\n"
                 "weights \"a.safetensors;\n"
                 "        ^\n");
    check_errors("s \"a\\qb\";", 1,
                 "t.lstm:1:5: error: unknown escape '\\q' in string\n"
                 "s \"a\\qb\";\n"
                 "    ^~\n");
    check_errors("input @2;", 1,
                 "t.lstm:1:7: error: unexpected character '@'\n"
                 "input @2;\n"
                 "      ^\n");
    check_errors("input 2\x01;", 1,
                 "t.lstm:1:8: error: unexpected character '\\x01'\n"
                 "input 2\x01;\n"
                 "       ^\n");
    check_errors("input 2\xc3\xa9;", 1,
                 "t.lstm:1:8: error: unexpected character '\\xc3\\xa9'\n"
                 "input 2\xc3\xa9;\n"
                 "       ^~\n");
    check_errors("hidden 12abc;", 1,
                 "t.lstm:1:8: error: invalid number '12abc'\n"
                 "hidden 12abc;\n"
                 "       ^~~~~\n");
    check_errors("n 1e999;", 1,
                 "t.lstm:1:3: error: number '1e999' is out of range\n"
                 "n 1e999;\n"
                 "  ^~~~~\n");
}

static void test_division_by_zero(void **state)
{
    (void)state;
    check_errors("cell_output scaled_tanh(1/0, 0.5);", 1,
                 "t.lstm:1:27: error: division by zero in '1/0'\n"
                 "cell_output scaled_tanh(1/0, 0.5);\n"
                 "                          ^\n");
}

static void test_call_errors(void **state)
{
    (void)state;
    check_errors("a f(1 2);", 1,
                 "t.lstm:1:7: error: expected ',' or ')', saw '2'\n"
                 "a f(1 2);\n"
                 "      ^\n");
    check_errors("a f(1,);", 1,
                 "t.lstm:1:7: error: expected argument, saw ')'\n"
                 "a f(1,);\n"
                 "      ^\n");
    check_errors("a f(;", 1,
                 "t.lstm:1:5: error: expected argument or ')', saw ';'\n"
                 "a f(;\n"
                 "    ^\n");
    check_errors("n 1/x;", 1,
                 "t.lstm:1:5: error: expected number, saw 'x'\n"
                 "n 1/x;\n"
                 "    ^\n");
    check_errors("model m { 3; }", 1,
                 "t.lstm:1:11: error: expected word or '}', saw '3'\n"
                 "model m { 3; }\n"
                 "          ^\n");
    check_errors("\"x\";", 1,
                 "t.lstm:1:1: error: expected word, saw '\"x\"'\n"
                 "\"x\";\n"
                 "^~~\n");
}

/* What follows a lexical error in the same statement is not reported
 * again, and a multi-line call is not mistaken for a missing ';'. */
static void test_no_fallout(void **state)
{
    (void)state;
    /* The forgotten quote before the ';' gives the ';' back. */
    Arena a = {0};
    DiagCapture c;
    Node *n = parse_text(&a, "model m {\n  weights \"w;\n  output last;\n}\n", &c);
    assert_string_equal(c.text, "t.lstm:2:11: error: unterminated string\n"
                                "  weights \"w;\n"
                                "          ^\n");
    assert_int_equal(diag_errors(), 1);
    capture_free(&c);
    assert_string_equal(n->body->args[0].text, "w");
    assert_string_equal(n->body->next->word, "output");
    arena_free(&a);

    check_errors("s \"abc\n  g f(1,;\nx;", 1,
                 "t.lstm:1:3: error: unterminated string\n"
                 "s \"abc\n"
                 "  ^\n");
    check_errors("m {\n  input 2 @\n}", 1,
                 "t.lstm:2:11: error: unexpected character '@'\n"
                 "  input 2 @\n"
                 "          ^\n");
    check_errors("input 2 @", 1,
                 "t.lstm:1:9: error: unexpected character '@'\n"
                 "input 2 @\n"
                 "        ^\n");
    check_errors("model m {\n  a f(0.2,\n    0.5) junk {\n  }\n}\n", 1,
                 "t.lstm:3:15: error: expected ';', saw '{'\n"
                 "    0.5) junk {\n"
                 "              ^\n");
}

/* A NUL byte read from a file is one more unexpected character. */
static void test_nul_byte(void **state)
{
    (void)state;
    static char text[] = "input 2\0;";
    Source src = {.path = "t.lstm", .text = text, .len = sizeof text - 1};
    Arena a = {0};
    DiagCapture c;
    capture_begin(&c);
    Node *n = parse_spec(&a, &src);
    capture_end(&c);
    assert_int_equal(diag_errors(), 1);
    assert_contains(c.text, "t.lstm:1:8: error: unexpected character '\\x00'");
    assert_int_equal(n->nargs, 1);
    capture_free(&c);
    arena_free(&a);
}

/* Several mistakes, one run: each reported once, nothing made up, and the
 * statements between them still parsed. */
static void test_recovery(void **state)
{
    (void)state;
    static const char spec[] =
        "model m {\n"
        "  input 2 )\n"              /* 1: junk; skipped to the ';' below */
        "  ;\n"
        "  weights \"w\";\n"
        "  lstm enc extra { hidden 3; a f(; }\n" /* 2: bad head; 3: body still checked */
        "  dense d { units 1 }\n"    /* 4: missing ';' before '}' */
        "  output last;\n"
        "  x @ 1/0;\n"               /* 5, 6 */
        "}\n"
        "}\n";                       /* 7 */
    Arena a = {0};
    DiagCapture c;
    Node *n = parse_text(&a, spec, &c);
    assert_int_equal(diag_errors(), 7);
    assert_contains(c.text, "t.lstm:2:11: error: expected ';', saw ')'");
    assert_contains(c.text, "t.lstm:5:18: error: expected ';', saw '{'");
    assert_contains(c.text, "t.lstm:5:34: error: expected argument or ')', saw ';'");
    assert_contains(c.text, "t.lstm:6:21: error: expected ';', saw '}'");
    assert_contains(c.text, "t.lstm:8:5: error: unexpected character '@'");
    assert_contains(c.text, "t.lstm:8:9: error: division by zero in '1/0'");
    assert_contains(c.text, "t.lstm:10:1: error: unexpected '}' with no open block");
    capture_free(&c);

    char *got = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&got, &len);
    ast_print(f, n);
    fclose(f);
    assert_string_equal(got, "block model m @1:1\n"
                             "  stmt weights \"w\" @4:3\n"
                             "  block dense d @6:3\n"
                             "  stmt output last @7:3\n"
                             "  stmt x 1/0 @8:3\n");
    free(got);
    arena_free(&a);
}

/* Nesting deeper than the parser stack is an error, not a crash. */
static void test_deep_nesting(void **state)
{
    (void)state;
    enum { DEPTH = 20000 };
    char *text = malloc(4 * DEPTH + 1);
    size_t n = 0;
    for (int i = 0; i < DEPTH; i++)
        n += (size_t)sprintf(text + n, "b{");
    for (int i = 0; i < DEPTH; i++)
        text[n++] = '}';
    text[n] = '\0';
    Arena a = {0};
    DiagCapture c;
    parse_text(&a, text, &c);
    assert_int_equal(diag_errors(), 1);
    assert_contains(c.text, "error: spec nested too deeply");
    capture_free(&c);
    arena_free(&a);

    n = 0;
    for (int i = 0; i < DEPTH; i++)
        n += (size_t)sprintf(text + n, "f(");
    text[n] = '\0';
    parse_text(&a, text, &c);
    assert_true(diag_errors() >= 1);
    capture_free(&c);
    arena_free(&a);
    free(text);
}

/* ---- fuzz ---- */

static void parse_quietly(const char *text, size_t len)
{
    char *copy = malloc(len + 1);
    memcpy(copy, text, len);
    copy[len] = '\0';
    Arena a = {0};
    DiagCapture c;
    Node *n = parse_text(&a, copy, &c);
    FILE *f = fopen("/dev/null", "w");
    ast_print(f, n);
    fclose(f);
    capture_free(&c);
    arena_free(&a);
    free(copy);
}

/* Every truncation, every deletion, every byte replaced by each token-ish
 * character, and random multi-byte damage: parse_spec must just return. */
static void test_fuzz(void **state)
{
    (void)state;
    static const char repl[] = "{}();,/\"\\#@\n\r\t a1-.e";
    size_t len = strlen(EXAMPLE);
    char buf[sizeof EXAMPLE];

    for (size_t i = 0; i <= len; i++)
        parse_quietly(EXAMPLE, i);
    for (size_t i = 0; i < len; i++) {
        memcpy(buf, EXAMPLE, i);
        memcpy(buf + i, EXAMPLE + i + 1, len - i - 1);
        parse_quietly(buf, len - 1);
    }
    for (size_t i = 0; i < len; i++) {
        for (const char *r = repl; *r; r++) {
            memcpy(buf, EXAMPLE, len);
            buf[i] = *r;
            parse_quietly(buf, len);
        }
    }
    unsigned seed = 12345;
    for (int round = 0; round < 2000; round++) {
        memcpy(buf, EXAMPLE, len);
        for (int k = 0; k < 4; k++) {
            seed = seed * 1103515245u + 12345u;
            size_t at = (seed >> 8) % len;
            seed = seed * 1103515245u + 12345u;
            buf[at] = (char)(1 + (seed >> 8) % 255);
        }
        parse_quietly(buf, len);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_example),
        cmocka_unit_test(test_crlf),
        cmocka_unit_test(test_statement_fields),
        cmocka_unit_test(test_blocks),
        cmocka_unit_test(test_calls),
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_strings),
        cmocka_unit_test(test_comments_and_commas),
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_missing_semicolon),
        cmocka_unit_test(test_unclosed_block),
        cmocka_unit_test(test_stray_brace),
        cmocka_unit_test(test_lexical_errors),
        cmocka_unit_test(test_division_by_zero),
        cmocka_unit_test(test_call_errors),
        cmocka_unit_test(test_no_fallout),
        cmocka_unit_test(test_nul_byte),
        cmocka_unit_test(test_recovery),
        cmocka_unit_test(test_deep_nesting),
        cmocka_unit_test(test_fuzz),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
