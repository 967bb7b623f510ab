/*
 * json.h - a strict JSON parser producing a tree (safetensors headers).
 */
#ifndef LSTMC_JSON_H
#define LSTMC_JSON_H

#include <stdint.h>

#include "util.h"

/* A parsed value; the whole tree lives in the arena given to json_parse(). */
typedef enum {
    JSON_NULL, JSON_FALSE, JSON_TRUE, JSON_NUMBER, JSON_STRING, JSON_ARRAY,
    JSON_OBJECT,
} JsonKind;

typedef struct Json Json;
struct Json {
    JsonKind kind;
    size_t pos;         /* byte offset in the header */
    const char *str;    /* STRING: decoded UTF-8, NUL-terminated (may hold
                           \u0000 too, hence len); NUMBER: its text */
    size_t len;
    Json *kids;         /* ARRAY, OBJECT: elements / members in order */
    size_t nkids;
    Json *next;         /* next element or member of the parent */
    const char *key;    /* as a member of an object: its key, decoded */
    size_t keylen;
};

/* Parses s[0..len) as one JSON value with optional surrounding white space.
 * Returns the tree, or NULL with *err (a static message) and *err_pos (the
 * byte offset of the problem) set. */
Json *json_parse(Arena *a, const unsigned char *s, size_t len, const char **err,
                 size_t *err_pos);

/* "a string", "an object", ... for messages. */
const char *json_kind_name(JsonKind k);
/* Whether an object member's key is `key`. */
int json_key_is(const Json *member, const char *key);
/* The value of a number that must be a non-negative integer no larger than
 * max: 0, or -1 if it is not such an integer, -2 if it is too large. */
int json_uint(const Json *j, uint64_t max, uint64_t *out);

#endif
