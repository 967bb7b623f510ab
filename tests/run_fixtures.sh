#!/bin/sh
# Reference fixtures through every backend. Each case folder
# tests/fixtures/{pytorch,numpy}/CASE (weights, input.txt, expected.txt:
# PyTorch's float32 output or the float64 NumPy reference, see
# tests/fixtures/README.md) runs with its spec tests/{pytorch,numpy}/CASE.lstm
# through
#   run    `lstmc run`, the interpreter
#   build  `lstmc build --cflags -O1` (the C backend, fast activations), then
#          the program
#   jit    `lstmc run --jit` (the LLVM backend), when `lstmc help run`
#          offers it and lstmc was built with LLVM
#   obj    with jit: `lstmc compile --emit obj --name model`, the object
#          linked with tests/llvm/driver.c through model.h by $CC
# and each output must be within max |diff| <= 1e-5 of expected.txt
# (tests/maxdiff.awk). One line per case and backend, then
#   fixtures: N passed, M failed
# and a nonzero exit status on any failure.
#
# usage: tests/run_fixtures.sh path/to/lstmc
# environment: FIXTURE_JOBS=2 (cases run in parallel), FIXTURE_CFLAGS=-O1,
# FIXTURE_ROTATE=1: every case through run and ONE compiled backend, build,
# jit and obj in turn from case to case (the sanitizer pass of make check:
# what it adds is lstmc's own memory errors, which the interpreter and each
# code generator still show on a third of the cases; the plain pass has
# already compared every backend on every case); FIXTURE_EVERY=N: one case
# in N (the pass without LLVM, whose run and build are the plain pass's:
# what it checks is that the LLVM paths say they were skipped).
set -u

# ---- one case (run by xargs as: run_fixtures.sh --one KIND/CASE) ----
if [ "${1:-}" = "--one" ]; then
    id=${2#*:} n=${2%%:*}                 # 7:pytorch/p1_projection
    # wants BACKEND: does this case run it?
    wants() {
        [ "$FX_ROTATE" = 1 ] || return 0
        case $FX_JIT$1 in
        0build) return 0 ;; 0*) return 1 ;;
        1build) [ $((n % 3)) -eq 0 ] ;; 1jit) [ $((n % 3)) -eq 1 ] ;; 1obj) [ $((n % 3)) -eq 2 ] ;;
        esac
    }
    kind=${id%%/*} case=${id#*/}
    dir=fixtures/$id spec=$kind/$case.lstm
    work=$FX_TMP/$kind.$case
    mkdir -p "$work"
    res=$FX_TMP/res.$kind.$case
    : > "$res"
    line() { printf '%s\n' "$*" >> "$res"; }
    # check BACKEND OUT: compares an output with expected.txt
    check() {
        if grep -qiE '(^|[ ,])[-+]?(nan|inf)' "$2"; then
            line "FAIL $id $1: printed a NaN or infinity"; return
        fi
        if ! d=$(awk -f maxdiff.awk "$2" "$dir/expected.txt"); then
            line "FAIL $id $1: output differs in shape: $d"
        elif awk -v d="$d" -v t="$FX_TOL" 'BEGIN { exit !(d > t) }'; then
            line "FAIL $id $1: max |diff| $d (tolerance $FX_TOL)"
        else
            line "ok   $id $1: max |diff| $d"
        fi
    }
    # failed BACKEND WHAT: a backend that did not run, with its messages
    failed() {
        line "FAIL $id $1: $2"
        sed -n '1,6s/^/     | /p' "$work/err" >> "$res"
    }
    if [ ! -f "$spec" ]; then
        line "FAIL $id: no spec $spec"; exit 0
    fi
    if "$FX_LSTMC" run "$spec" "$dir/input.txt" > "$work/run.txt" 2> "$work/err"; then
        check run "$work/run.txt"
    else
        failed run "lstmc run failed"
    fi
    if ! wants build; then
        :
    elif ! "$FX_LSTMC" build "$spec" -o "$work/prog" --cflags "$FX_CFLAGS" > /dev/null 2> "$work/err" ||
         [ ! -x "$work/prog" ]; then
        failed build "lstmc build failed"
    elif "$work/prog" "$dir/input.txt" > "$work/build.txt" 2> "$work/err"; then
        check build "$work/build.txt"
    else
        failed build "the program failed"
    fi
    if [ "$FX_JIT" = 1 ]; then
        if ! wants jit; then
            :
        elif "$FX_LSTMC" run --jit "$spec" "$dir/input.txt" > "$work/jit.txt" 2> "$work/err"; then
            check jit "$work/jit.txt"
        else
            failed jit "lstmc run --jit failed"
        fi
        if ! wants obj; then
            :
        elif ! "$FX_LSTMC" compile "$spec" --emit obj --name model -o "$work/model" > /dev/null 2> "$work/err" ||
            ! ${CC:-cc} -I"$work" -I../runtime -o "$work/objprog" llvm/driver.c ../runtime/lstmc_rows.c \
                "$work/model.o" -lm 2> "$work/err"; then
            failed obj "lstmc compile --emit obj, or linking the object, failed"
        elif "$work/objprog" "$dir/input.txt" > "$work/obj.txt" 2> "$work/err"; then
            check obj "$work/obj.txt"
        else
            failed obj "the program linked with the object failed"
        fi
    fi
    rm -rf "$work"
    exit 0
fi

# ---- the driver ----
if [ $# -ne 1 ]; then
    echo "usage: tests/run_fixtures.sh path/to/lstmc" >&2
    exit 2
fi
lstmc=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
cd "$(dirname "$0")" || exit 2
tmp=$(mktemp -d "${TMPDIR:-/tmp}/lstmc-fixtures.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

# --jit when `help run` offers it and this lstmc has the LLVM backend (a
# build without it still lists the flag, and says so when it is used)
jit=0
if "$lstmc" help run 2>&1 | grep -q -- '--jit' &&
   ! "$lstmc" run --jit pytorch/v1_single.lstm < /dev/null 2>&1 | grep -q 'without the LLVM backend'; then
    jit=1
fi
export FX_TMP="$tmp" FX_LSTMC="$lstmc" FX_TOL=1e-5 FX_CFLAGS="${FIXTURE_CFLAGS:--O1}" FX_JIT=$jit \
       FX_ROTATE="${FIXTURE_ROTATE:-0}"

ids=$(for d in fixtures/pytorch/*/ fixtures/numpy/*/; do
          [ -d "$d" ] && d=${d%/} && echo "${d#fixtures/}"
      done | awk -v every="${FIXTURE_EVERY:-1}" '(NR - 1) % every == 0')
printf '%s\n' "$ids" | awk '{ print NR ":" $0 }' | xargs -P "${FIXTURE_JOBS:-2}" -n 1 sh "$(pwd)/run_fixtures.sh" --one

pass=0 fail=0
for id in $ids; do
    res=$tmp/res.$(echo "$id" | tr / .)
    if [ ! -s "$res" ]; then
        echo "FAIL $id: no result (the worker was killed?)"; fail=$((fail + 1)); continue
    fi
    cat "$res"
    p=$(grep -c '^ok ' "$res")
    f=$(grep -c '^FAIL ' "$res")
    pass=$((pass + p)) fail=$((fail + f))
done
[ $jit = 1 ] || echo "jit: skipped (this lstmc has no LLVM backend)"
paths="run, build$([ $jit = 1 ] && echo ', jit, obj')"
[ "$FX_ROTATE" = 1 ] && paths="run, then $([ $jit = 1 ] && echo 'build, jit or obj in turn' || echo build)"
echo "fixtures: $pass passed, $fail failed ($(echo "$ids" | wc -l | tr -d ' ') cases; $paths)"
[ $fail -eq 0 ] && [ $pass -gt 0 ]
