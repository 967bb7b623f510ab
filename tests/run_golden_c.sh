#!/bin/sh
# Golden files of the C backend: every tests/golden_c/NAME.lstm is compiled
# with `lstmc compile NAME.lstm -o NAME` and the output must equal the
# committed NAME.c and NAME.h, except the text of the copied runtime
# (runtime/lstmc_act.h has tests of its own): which pieces of it are copied
# (their marker lines) is compared. The golden .c must also compile
# warning-free under gcc and clang, with no warning silenced (no
# `#pragma GCC diagnostic`) and no unused function (clang's
# -Wunused-function sees static inline ones).
# The output is reproducible: the same model compiled from another folder,
# through an absolute path, gives the same bytes.
# LSTMC_UPDATE=1 rewrites the golden files instead.
# usage: tests/run_golden_c.sh path/to/lstmc
set -u
lstmc=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
cc=${CC:-cc}
cd "$(dirname "$0")/golden_c" || exit 2
tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
# the file without the runtime's text, its piece markers kept
nocmd() { sed -e '/---- begin runtime\//,/---- end runtime\//{' -e '/^\/\* ---- piece /!d' -e '}' "$1"; }
strict="-std=c99 -Wall -Wextra -Wpedantic -Wconversion -Wshadow -Wdouble-promotion -Wunused-function -Werror"
for spec in *.lstm; do
    name=${spec%.lstm}
    if [ "${LSTMC_UPDATE:-}" = 1 ]; then
        "$lstmc" compile "$spec" -o "$name" && echo "updated $name.c $name.h"
        continue
    fi
    if ! "$lstmc" compile "$spec" -o "$tmp/$name"; then
        echo "FAIL $name: lstmc compile failed"; fail=$((fail + 1)); continue
    fi
    ok=1
    for ext in c h; do
        if ! nocmd "$name.$ext" > "$tmp/want" || ! nocmd "$tmp/$name.$ext" > "$tmp/got" ||
           ! diff -u --label "$name.$ext (golden)" --label "$name.$ext (generated)" "$tmp/want" "$tmp/got"; then
            ok=0
        fi
    done
    for c in $cc gcc clang; do
        command -v $c > /dev/null || { echo "$c: skipped (not installed): $name.c's warnings under it"; continue; }
        # shellcheck disable=SC2086
        $c $strict -c "$name.c" -o "$tmp/$name.o" || ok=0
    done
    if grep -n '#pragma GCC diagnostic' "$name.c"; then
        echo "$name.c silences a warning"; ok=0
    fi
    if [ $ok = 1 ]; then
        echo "ok   $name"; pass=$((pass + 1))
    else
        echo "FAIL $name: differs from tests/golden_c/$name.c/.h (LSTMC_UPDATE=1 regenerates)"; fail=$((fail + 1))
    fi
done
[ "${LSTMC_UPDATE:-}" = 1 ] && exit 0

# reproducible: another checkout, another working folder, absolute paths
mkdir "$tmp/elsewhere" && cp tiny.lstm tiny.safetensors "$tmp/elsewhere/" &&
    (cd / && "$lstmc" compile "$tmp/elsewhere/tiny.lstm" -o "$tmp/elsewhere/tiny")
if cmp -s tiny.c "$tmp/elsewhere/tiny.c" && cmp -s tiny.h "$tmp/elsewhere/tiny.h"; then
    echo "ok   reproducible: tiny compiled elsewhere through absolute paths gives the same bytes"
    pass=$((pass + 1))
else
    echo "FAIL reproducible: tiny compiled elsewhere differs"; fail=$((fail + 1))
    diff tiny.h "$tmp/elsewhere/tiny.h" | head -5
fi
echo "golden C: $pass passed, $fail failed"
[ $fail -eq 0 ] && [ $pass -gt 0 ]
