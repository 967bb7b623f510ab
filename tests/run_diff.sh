#!/bin/sh
# Differential tests: N random models (tests/diff/randmodel.c, seeds FIRST ..
# FIRST+N-1) each run by the reference interpreter (`lstmc run`) and by the
# standalone executable `lstmc build` makes of it; the outputs must agree to
# max |diff| <= 1e-5 (tests/maxdiff.awk). Prints every failure with its
# model and how to reproduce it, the worst difference seen, and last
#   diff: N passed, M failed
#
# usage: tests/run_diff.sh path/to/lstmc N [FIRST_SEED]
#
# environment:
#   DIFF_JOBS=2              models run in parallel
#   DIFF_CFLAGS=-O1          --cflags for `lstmc build` (-O1 compiles fast)
#   DIFF_NATIVE=1            (the default) seeds divisible by 3 add -march=native
#                            when the compiler takes it, so the generated
#                            code's SIMD kernels (AVX-512, AVX2 or NEON) are
#                            tested as well as the portable ones; 0: never
#   DIFF_FASTMATH=1          (the default) seeds of 3 mod 7 are built by gcc
#                            -Ofast, seeds of 5 mod 7 by clang -Ofast
#                            -ffast-math (a missing compiler is said and its
#                            seeds built as the others): the generated code
#                            must hold under the flags firmware is built
#                            with; and under -Wall -Wextra -Wpedantic
#                            -Wconversion -Wdouble-promotion -Werror (the
#                            copied runtime too: no unused function); 0: never
#   DIFF_ACTIVATIONS=fast    (the default, as in lstmc) build with
#                            `--activations fast`; tolerance 1e-5: the
#                            approximations are within 1.5e-7 of the exact
#                            functions (runtime/lstmc_act.h); the worst seen
#                            over 200 models of `make check-diff` is 7.4e-7
#                            at -O1, 1.3e-6 at -Ofast (seed 24, gcc)
#   DIFF_ACTIVATIONS=exact   build with `--activations exact`
#   DIFF_TOL=X               the tolerance, whatever the activations
#   DIFF_CANDIDATE=run       the candidate is `lstmc run` itself: tests the
#                            harness and the generator, not a backend
#   DIFF_CANDIDATE=run:PATH  the candidate is another lstmc's `run`
#   DIFF_CANDIDATE=jit       the LLVM backend compiled in memory: `lstmc run
#                            --jit` (float32, DIFF_ACTIVATIONS as for build)
#   DIFF_CANDIDATE=obj       the LLVM backend's object: `lstmc compile --emit
#                            obj --name model`, linked with tests/llvm/driver.c
#                            (the C API through model.h) by $CC
#   DIFF_PRODUCTS=int8       every path with --weights-type int8 --products int8
#                            (the models that mode refuses are counted apart,
#                            as not applicable)
#   DIFF_VERBOSE=1           also print a line for every model that passes
#   DIFF_KEEP=DIR            copy each failing model's folder into DIR
#   RANDMODEL=PATH           the generator (default: tests/randmodel beside lstmc)
set -u

# --chunk of a seed's generated code: one in five step by step (1), one in
# five 3 steps (a chunk that does not divide the sequence), else the default
chunk_flag() {
    case $(($1 % 5)) in
    1) echo "--chunk 1" ;;
    2) echo "--chunk 3" ;;
    esac
}

# --cc and --cflags of a seed's `lstmc build`: DIFF_CFLAGS, -march=native
# for DIFF_NATIVE's seeds, -Ofast by gcc or clang for DIFF_FASTMATH's
DIFF_WARN="-Wall -Wextra -Wpedantic -Wconversion -Wdouble-promotion -Werror"
build_flags() {
    cc= cflags=$DIFF_CFLAGS
    if [ "${DIFF_NATIVE:-1}" = 1 ] && [ $(($1 % 3)) -eq 0 ] && [ -n "$DIFF_NATIVE_OK" ]; then
        cflags="$cflags -march=native"
    fi
    if [ "${DIFF_FASTMATH:-1}" = 1 ]; then
        case $(($1 % 7)) in
        3) [ -n "$DIFF_GCC" ] && cc="--cc gcc" cflags="$cflags -Ofast $DIFF_WARN" ;;
        5) [ -n "$DIFF_CLANG" ] && cc="--cc clang" cflags="$cflags -Ofast -ffast-math $DIFF_WARN" ;;
        esac
    fi
    echo "$cc --cflags '$cflags'"
}

# ---- one model (run by xargs as: run_diff.sh --one SEED) ----
if [ "${1:-}" = "--one" ]; then
    seed=$2
    d=$DIFF_TMP/$seed
    result() { printf '%s\n' "$*" > "$DIFF_TMP/res.$seed"; }
    to=
    command -v timeout > /dev/null 2>&1 && to="timeout 120"
    if ! "$RANDMODEL" "$seed" "$d" > "$d.summary" 2> "$d.log"; then
        result "FAIL - the generator failed"; exit 0
    fi
    if ! $to "$DIFF_LSTMC" run $DIFF_PFLAGS "$d/model.lstm" "$d/input.txt" > "$d/ref.txt" 2> "$d.log"; then
        if [ -n "$DIFF_PFLAGS" ] && grep -q "products int8" "$d.log"; then
            result "na - products int8 refuses the model"; rm -rf "$d" "$d.log"; exit 0
        fi
        result "FAIL - lstmc run (the reference) failed"; exit 0
    fi
    case $DIFF_CANDIDATE in
    build)
        if ! eval "$to \"\$DIFF_LSTMC\" build $DIFF_PFLAGS \"\$d/model.lstm\" -o \"\$d/model\" $(build_flags "$seed") \
                $DIFF_ACTFLAG $(chunk_flag "$seed")" > "$d.log" 2>&1; then
            result "FAIL - lstmc build failed"; exit 0
        fi
        # the same model's .c must be C++ too (g++, every warning an error)
        if [ -n "$DIFF_GXX" ] && ! { $to "$DIFF_LSTMC" compile $DIFF_PFLAGS "$d/model.lstm" -o "$d/cxx" $DIFF_ACTFLAG \
                $(chunk_flag "$seed") && g++ -x c++ -std=c++11 -fsyntax-only -Wall -Wextra -Wpedantic -Werror \
                -I"$d" "$d/cxx.c"; } > "$d.log" 2>&1; then
            result "FAIL - the generated .c does not compile as C++ (g++ -x c++)"; exit 0
        fi
        # odd seeds read stdin, even seeds a file argument: both paths
        if [ $((seed % 2)) -eq 1 ]; then
            $to "$d/model" < "$d/input.txt" > "$d/out.txt" 2> "$d.log"
        else
            $to "$d/model" "$d/input.txt" > "$d/out.txt" 2> "$d.log"
        fi
        status=$? ;;
    run)
        $to "$DIFF_LSTMC" run "$d/model.lstm" "$d/input.txt" > "$d/out.txt" 2> "$d.log"
        status=$? ;;
    jit)
        $to "$DIFF_LSTMC" run --jit $DIFF_ACTFLAG $DIFF_PFLAGS "$d/model.lstm" "$d/input.txt" > "$d/out.txt" 2> "$d.log"
        status=$? ;;
    obj)
        if ! $to "$DIFF_LSTMC" compile $DIFF_PFLAGS "$d/model.lstm" --emit obj --name model $DIFF_ACTFLAG \
                $(chunk_flag "$seed") -o "$d/model" > "$d.log" 2>&1 ||
            ! ${CC:-cc} -O1 -I"$d" -I"$DIFF_HERE/../runtime" -o "$d/prog" "$DIFF_HERE/llvm/driver.c" \
                "$DIFF_HERE/../runtime/lstmc_rows.c" "$d/model.o" -lm > "$d.log" 2>&1; then
            result "FAIL - lstmc compile --emit obj or linking the object failed"; exit 0
        fi
        $to "$d/prog" "$d/input.txt" > "$d/out.txt" 2> "$d.log"
        status=$? ;;
    run:*)
        $to "${DIFF_CANDIDATE#run:}" run "$d/model.lstm" "$d/input.txt" > "$d/out.txt" 2> "$d.log"
        status=$? ;;
    esac
    if [ $status -ne 0 ]; then
        result "FAIL - the candidate exited with status $status"; exit 0
    fi
    # awk reads "nan" as 0: look for non-finite numbers first
    if grep -qiE '(^|[ ,])[-+]?(nan|inf)' "$d/out.txt"; then
        result "FAIL - the candidate printed a NaN or infinity"; exit 0
    fi
    if ! diff=$(awk -f "$DIFF_HERE/maxdiff.awk" "$d/out.txt" "$d/ref.txt"); then
        result "FAIL - the outputs differ in shape: $diff"; exit 0
    fi
    if awk -v d="$diff" -v t="$DIFF_TOL" 'BEGIN { exit !(d <= t) }'; then
        result "ok $diff"
        rm -rf "$d" "$d.log"
    else
        result "FAIL $diff max |diff| $diff exceeds the tolerance $DIFF_TOL"
    fi
    exit 0
fi

# ---- the driver ----
if [ $# -lt 2 ] || [ $# -gt 3 ]; then
    echo "usage: tests/run_diff.sh path/to/lstmc N [FIRST_SEED]" >&2
    exit 2
fi
lstmc=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
n=$2
first=${3:-1}
last=$((first + n - 1))
here=$(cd "$(dirname "$0")" && pwd)
randmodel=${RANDMODEL:-$(dirname "$lstmc")/tests/randmodel}
case $randmodel in /*) ;; *) randmodel=$(pwd)/$randmodel ;; esac
candidate=${DIFF_CANDIDATE:-build}
case ${DIFF_ACTIVATIONS:-fast} in
fast) actflag="--activations fast"; tol=${DIFF_TOL:-1e-5} ;;
exact) actflag="--activations exact"; tol=${DIFF_TOL:-1e-5} ;;
*) echo "run_diff.sh: DIFF_ACTIVATIONS must be exact or fast" >&2; exit 2 ;;
esac
case $candidate in
build) what="lstmc build --cflags '${DIFF_CFLAGS:--O1}'${actflag:+ $actflag}" ;;
run) what="lstmc run (the harness against itself)"; actflag= ;;
run:*) what="${candidate#run:} run"; actflag= ;;
jit) what="lstmc run --jit${actflag:+ $actflag}" ;;
obj) what="lstmc compile --emit obj${actflag:+ $actflag}, linked by ${CC:-cc}" ;;
*) echo "run_diff.sh: DIFF_CANDIDATE must be build, run, run:PATH, jit or obj" >&2; exit 2 ;;
esac
if [ ! -x "$randmodel" ]; then
    echo "run_diff.sh: no generator $randmodel (make $(dirname "$1")/tests/randmodel)" >&2
    exit 2
fi
if [ "$candidate" = build ] && ! "$lstmc" build --help > /dev/null 2>&1; then
    echo "run_diff.sh: '$lstmc build' is not available; DIFF_CANDIDATE=run tests the harness alone" >&2
    exit 1
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/lstmc-diff.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM
export DIFF_TMP="$tmp" DIFF_LSTMC="$lstmc" DIFF_HERE="$here" RANDMODEL="$randmodel"
export DIFF_CANDIDATE="$candidate" DIFF_CFLAGS="${DIFF_CFLAGS:--O1}" DIFF_ACTFLAG="$actflag"
export DIFF_TOL="$tol"
DIFF_PFLAGS=
case ${DIFF_PRODUCTS:-} in
'') ;;
int8) DIFF_PFLAGS="--weights-type int8 --products int8"; what="$what $DIFF_PFLAGS" ;;
*) echo "run_diff.sh: DIFF_PRODUCTS must be int8" >&2; exit 2 ;;
esac
export DIFF_PFLAGS
# whether the C compiler takes -march=native (for DIFF_NATIVE)
DIFF_NATIVE_OK=
if echo 'int main(void) { return 0; }' > "$tmp/native.c" &&
        ${CC:-cc} -march=native -o "$tmp/native" "$tmp/native.c" > /dev/null 2>&1; then
    DIFF_NATIVE_OK=1
fi
export DIFF_NATIVE_OK
# the compilers of DIFF_FASTMATH's seeds
DIFF_GCC= DIFF_CLANG=
if [ "$candidate" = build ] && [ "${DIFF_FASTMATH:-1}" = 1 ]; then
    for c in gcc clang; do
        if command -v $c > /dev/null 2>&1; then
            [ $c = gcc ] && DIFF_GCC=1 || DIFF_CLANG=1
        else
            echo "$c: skipped (not installed): its -Ofast seeds are built as the others"
        fi
    done
fi
export DIFF_GCC DIFF_CLANG
# g++: every generated .c compiled as C++ too
DIFF_GXX=
if [ "$candidate" = build ]; then
    if command -v g++ > /dev/null 2>&1; then
        DIFF_GXX=1
    else
        echo "g++: skipped (not installed): the generated code is not compiled as C++"
    fi
fi
export DIFF_GXX

echo "diff: seeds $first..$last, $what vs lstmc run, tolerance $tol"
[ -n "$DIFF_GCC" ] && echo "      seeds of 3 mod 7 built by gcc -Ofast $DIFF_WARN"
[ -n "$DIFF_CLANG" ] && echo "      seeds of 5 mod 7 built by clang -Ofast -ffast-math $DIFF_WARN"
[ -n "$DIFF_GXX" ] && echo "      every model's .c also compiled as C++ (g++ -x c++ -std=c++11 -Werror)"
start=$(date +%s)
seq "$first" "$last" | xargs -P "${DIFF_JOBS:-2}" -n 1 sh "$0" --one

pass=0 fail=0 na=0
: > "$tmp/passed"
for seed in $(seq "$first" "$last"); do
    if [ -f "$tmp/res.$seed" ]; then
        read -r status diff reason < "$tmp/res.$seed"
    else
        status=FAIL diff=- reason="no result (the worker was killed?)"
    fi
    summary=$(cat "$tmp/$seed.summary" 2> /dev/null)
    if [ "$status" = na ]; then
        na=$((na + 1))
        continue
    fi
    if [ "$status" = ok ]; then
        pass=$((pass + 1))
        echo "$seed $diff" >> "$tmp/passed"
        [ "${DIFF_VERBOSE:-0}" = 1 ] && echo "ok   seed $seed: max |diff| $diff: $summary"
        continue
    fi
    fail=$((fail + 1))
    [ "$diff" != - ] && echo "$seed $diff" >> "$tmp/passed.failed"
    if [ $fail -gt 20 ]; then
        continue    # the first 20 tell the story
    fi
    echo "FAIL seed $seed: $reason"
    echo "     model: ${summary:-?}"
    if [ -s "$tmp/$seed.log" ]; then
        sed -n '1,8s/^/     | /p' "$tmp/$seed.log"
    fi
    r=/tmp/diff-$seed
    echo "     reproduce: $randmodel $seed $r &&"
    echo "       $lstmc run $DIFF_PFLAGS $r/model.lstm $r/input.txt > $r/ref.txt &&"
    case $candidate in
    build) echo "       $lstmc build $r/model.lstm -o $r/model $(build_flags "$seed")${actflag:+ $actflag} $(chunk_flag "$seed") && $r/model $r/input.txt > $r/out.txt &&" ;;
    run) echo "       $lstmc run $r/model.lstm $r/input.txt > $r/out.txt &&" ;;
    run:*) echo "       ${candidate#run:} run $r/model.lstm $r/input.txt > $r/out.txt &&" ;;
    jit) echo "       $lstmc run --jit${actflag:+ $actflag} $r/model.lstm $r/input.txt > $r/out.txt &&" ;;
    obj) echo "       $lstmc compile $r/model.lstm --emit obj --name model${actflag:+ $actflag} $(chunk_flag "$seed") -o $r/model &&"
         echo "       ${CC:-cc} -I$r -I$here/../runtime -o $r/prog $here/llvm/driver.c $here/../runtime/lstmc_rows.c $r/model.o -lm &&"
         echo "       $r/prog $r/input.txt > $r/out.txt &&" ;;
    esac
    echo "       awk -f $here/maxdiff.awk $r/out.txt $r/ref.txt"
    if [ -n "${DIFF_KEEP:-}" ] && [ -d "$tmp/$seed" ]; then
        mkdir -p "$DIFF_KEEP" && cp -r "$tmp/$seed" "$DIFF_KEEP/seed-$seed" &&
            echo "     kept in $DIFF_KEEP/seed-$seed"
    fi
done
[ $fail -gt 20 ] && echo "... and $((fail - 20)) more failures"

cat "$tmp/passed" "$tmp/passed.failed" 2> /dev/null | sort -g -k2 | tail -n 1 | {
    if read -r seed diff; then
        echo "worst max |diff|: $diff (seed $seed; tolerance $tol)"
    fi
}
echo "time: $(($(date +%s) - start)) s for $n models"
[ $na -gt 0 ] && echo "diff: $na models not applicable (products int8 refuses them)"
echo "diff: $pass passed, $fail failed"
[ $fail -eq 0 ] && [ $pass -gt 0 ]
