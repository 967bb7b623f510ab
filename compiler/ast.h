/*
 * ast.h - the syntax tree of a .lstm spec, and the parser's interface.
 *
 * The grammar (grammar/parser.y) knows only the shape of a spec: blocks
 * `KIND NAME { ... }` holding statements `WORD ARG* ;` and further blocks.
 * Which words are valid where, and what their arguments mean, is decided in
 * sema.c from one table, so that an unknown word can be answered with the
 * nearest valid one and several mistakes are reported in one run.
 */
#ifndef LSTMC_AST_H
#define LSTMC_AST_H

#include "util.h"

typedef enum {
    ARG_NUMBER,   /* 32, -2, 0.5, 1e-3, 1/6 */
    ARG_STRING,   /* "adding.safetensors" (escapes resolved) */
    ARG_WORD,     /* sigmoid, last, input */
    ARG_CALL,     /* hard_sigmoid(0.2, 0.5): word with arguments */
} ArgKind;

typedef struct Arg {
    ArgKind kind;
    Loc loc;              /* the whole argument, for underlining */
    double num;           /* ARG_NUMBER: the value (a/b already divided) */
    int is_integer;       /* ARG_NUMBER: written as an integer literal */
    const char *text;     /* NUMBER: as written; STRING: contents; WORD/CALL: the word */
    struct Arg *args;     /* ARG_CALL: its arguments, an array of nargs */
    int nargs;
} Arg;

typedef enum {
    NODE_STMT,            /* word arg* ; */
    NODE_BLOCK,           /* word name? { node* } */
} NodeKind;

typedef struct Node {
    NodeKind kind;
    Loc loc;              /* the leading word */
    const char *word;     /* statement keyword, or block kind ("model", "lstm") */
    /* NODE_STMT */
    Arg *args;            /* an array of nargs */
    int nargs;
    /* NODE_BLOCK */
    const char *name;     /* NULL when the block has no name */
    Loc name_loc;
    struct Node *body;    /* children, in source order */
    Loc close_loc;        /* the closing brace */
    struct Node *next;    /* next sibling */
} Node;

/* Parses src. Returns the list of top-level nodes (normally one `model`
 * block); syntax errors are reported through diag_error() and counted, and
 * parsing recovers at the next ';' or '}' to report more. All nodes live in
 * arena a. Returns NULL if the spec is empty or unparseable. */
Node *parse_spec(Arena *a, const Source *src);

/* Prints the tree in a stable, indented form (for `lstmc check --ast` and
 * the parser tests). */
void ast_print(FILE *f, const Node *n);

#endif
