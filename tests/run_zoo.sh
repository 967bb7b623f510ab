#!/bin/sh
# The model zoo (make check-zoo): ordinary PyTorch models as users write
# them (tests/fixtures/zoo/CASE, from tests/reference/gen_zoo.py). Each case
# is run as
#   spec      model.lstm, the spec written by hand over weights.safetensors
#             (the state_dict saved directly), and
#   opset N   each opset_N.onnx (PyTorch's export at the oldest opset it
#             allows and at 17) through `lstmc import`,
# each of them by the interpreter (`lstmc run`), a built program (`lstmc
# build`), `lstmc run --jit` and the object (`lstmc compile --emit obj`
# linked with tests/llvm/driver.c) when this lstmc has LLVM, every output
# within 1e-5 of PyTorch's (expected.txt). A model that lstmc import must
# refuse ("import_refused" in its case.json) must exit 1, write nothing
# and print exactly opset_N.expected (LSTMC_UPDATE=1 rewrites those).
# usage: tests/run_zoo.sh path/to/lstmc
# environment: ZOO_JOBS=2 (cases in parallel), ZOO_CFLAGS=-O1 (lstmc build's,
# as for the fixtures: the model's code is the same, the compiler's time a
# third of -O3's); ZOO_PATHS_EVERY=N (default
# 1): build, --jit and the object for one spec or import in N, the
# interpreter for all (the sanitizer pass of make check).
set -u

# ---- one case (run by xargs as: run_zoo.sh --one CASE INDEX) ----
if [ "${1:-}" = "--one" ]; then
    case=$2 index=$3
    dir=fixtures/zoo/$case
    work=$ZOO_TMP/$case
    res=$ZOO_TMP/res.$case
    mkdir -p "$work"
    : > "$res"
    line() { printf '%s\n' "$*" >> "$res"; }
    # check WHAT OUT: an output against expected.txt
    check() {
        if ! d=$(awk -f maxdiff.awk "$2" "$dir/expected.txt"); then
            line "FAIL $case $1: output differs in shape: $d"
        elif awk -v d="$d" -v t="$ZOO_TOL" 'BEGIN { exit !(d > t) }'; then
            line "FAIL $case $1: max |diff| $d (tolerance $ZOO_TOL)"
        else
            line "ok   $case $1: max |diff| $d"
        fi
    }
    failed() {   # WHAT MESSAGE: a path that did not run, with its messages
        line "FAIL $case $1: $2"
        sed -n '1,6s/^/     | /p' "$work/err" >> "$res"
    }
    # paths WHAT SPEC NUMBER: the spec through every path (build, --jit and
    # the object only when NUMBER is one in ZOO_PATHS_EVERY)
    paths() {
        what=$1 spec=$2 out=$work/$3
        mkdir -p "$out"
        if "$ZOO_LSTMC" run "$spec" "$dir/input.txt" > "$out/run.txt" 2> "$work/err"; then
            check "$what run" "$out/run.txt"
        else
            failed "$what run" "lstmc run failed"
        fi
        [ $(($3 % ZOO_EVERY)) -eq 0 ] || return 0
        "$ZOO_LSTMC" build "$spec" -o "$out/prog" --cflags "$ZOO_CFLAGS" > /dev/null 2> "$work/err"
        if [ ! -x "$out/prog" ]; then
            failed "$what build" "lstmc build failed"
        elif "$out/prog" "$dir/input.txt" > "$out/build.txt" 2> "$work/err"; then
            check "$what build" "$out/build.txt"
        else
            failed "$what build" "the built program failed"
        fi
        [ "$ZOO_JIT" = 1 ] || return 0
        if "$ZOO_LSTMC" run --jit "$spec" "$dir/input.txt" > "$out/jit.txt" 2> "$work/err"; then
            check "$what jit" "$out/jit.txt"
        else
            failed "$what jit" "lstmc run --jit failed"
        fi
        if ! "$ZOO_LSTMC" compile "$spec" --emit obj --name model -o "$out/model" > /dev/null 2> "$work/err" ||
            ! ${CC:-cc} -I"$out" -I../runtime -o "$out/objprog" llvm/driver.c "$ZOO_TMP/lstmc_rows.o" \
                "$out/model.o" -lm 2> "$work/err"; then
            failed "$what obj" "lstmc compile --emit obj, or linking the object, failed"
        elif "$out/objprog" "$dir/input.txt" > "$out/obj.txt" 2> "$work/err"; then
            check "$what obj" "$out/obj.txt"
        else
            failed "$what obj" "the program linked with the object failed"
        fi
    }
    n=$((index * 3))
    paths spec "$dir/model.lstm" "$n"
    refused=0
    grep -q '"import_refused": true' "$dir/case.json" && refused=1
    nonnx=0
    for model in "$dir"/opset_*.onnx; do
        [ -f "$model" ] || continue
        nonnx=$((nonnx + 1))
        opset=$(basename "$model" .onnx)
        n=$((n + 1))
        imp=$work/import-$opset
        "$ZOO_LSTMC" import "$model" -o "$imp" --name "$case" > /dev/null 2> "$work/err"
        status=$?
        if [ $refused = 1 ]; then
            expected=$dir/$opset.expected
            # the message names the file as given: the same from any folder
            sed "s|$ZOO_TESTS/||g" "$work/err" > "$work/msg"
            [ "${LSTMC_UPDATE:-}" = 1 ] && cp "$work/msg" "$expected"
            if [ $status -ne 1 ]; then
                failed "$opset import" "exit status $status, expected 1 (a refusal)"
            elif [ -e "$imp" ] && [ -n "$(ls -A "$imp")" ]; then
                line "FAIL $case $opset import: refused, but wrote $(ls "$imp")"
            elif [ ! -f "$expected" ]; then
                line "FAIL $case $opset import: no $expected"
            elif ! diff -u "$expected" "$work/msg" > "$work/diff"; then
                line "FAIL $case $opset import: the message differs:"
                sed 's/^/     | /' "$work/diff" >> "$res"
            else
                line "ok   $case $opset import refused: $(head -c 100 "$work/msg" | head -n 1)"
            fi
        elif [ $status -ne 0 ]; then
            failed "$opset import" "lstmc import failed"
        else
            paths "$opset" "$imp/$case.lstm" "$n"
        fi
    done
    # every case the generator could export has its two opsets
    if ! grep -q '"opsets": \[\]' "$dir/case.json" && [ $nonnx -lt 2 ]; then
        line "FAIL $case: $nonnx ONNX file(s), expected the oldest opset's and opset 17's"
    fi
    rm -rf "$work"
    exit 0
fi

# ---- the driver ----
if [ $# -ne 1 ]; then
    echo "usage: tests/run_zoo.sh path/to/lstmc" >&2
    exit 2
fi
lstmc=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
cd "$(dirname "$0")" || exit 2
tmp=$(mktemp -d "${TMPDIR:-/tmp}/lstmc-zoo.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

jit=0
if "$lstmc" help run 2>&1 | grep -q -- '--jit' &&
   ! "$lstmc" run --jit fixtures/zoo/z01_tagger/model.lstm < /dev/null 2>&1 | grep -q 'without the LLVM backend'; then
    jit=1
fi
every=${ZOO_PATHS_EVERY:-1}
export ZOO_TMP="$tmp" ZOO_LSTMC="$lstmc" ZOO_TOL=1e-5 ZOO_JIT=$jit ZOO_EVERY=$every ZOO_TESTS="$(pwd)" \
    ZOO_CFLAGS="${ZOO_CFLAGS:--O1}"
# the row reader the objects' programs link, compiled once
if [ $jit = 1 ] && ! ${CC:-cc} -c -I../runtime -o "$tmp/lstmc_rows.o" ../runtime/lstmc_rows.c; then
    echo "FAIL: cannot compile runtime/lstmc_rows.c"; exit 1
fi

cases=$(for d in fixtures/zoo/*/; do [ -f "$d/case.json" ] && basename "$d"; done)
printf '%s\n' "$cases" | awk '{ print $0, NR - 1 }' |
    xargs -P "${ZOO_JOBS:-2}" -n 2 sh "$(pwd)/run_zoo.sh" --one

pass=0 fail=0
for case in $cases; do
    res=$tmp/res.$case
    if [ ! -s "$res" ]; then
        echo "FAIL $case: no result (the worker was killed?)"; fail=$((fail + 1)); continue
    fi
    cat "$res"
    pass=$((pass + $(grep -c '^ok ' "$res"))) fail=$((fail + $(grep -c '^FAIL ' "$res")))
done
[ $jit = 1 ] || echo "jit and obj: skipped (this lstmc has no LLVM backend)"
[ "$every" -gt 1 ] && echo "build, jit and obj: for one spec or import in $every (ZOO_PATHS_EVERY)"
echo "zoo: $pass passed, $fail failed ($(echo "$cases" | wc -l | tr -d ' ') models)"
[ $fail -eq 0 ] && [ $pass -gt 0 ]
