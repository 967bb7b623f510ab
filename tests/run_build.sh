#!/bin/sh
# `lstmc build`: standalone programs against PyTorch and against `lstmc run`.
#   a. three PyTorch fixtures built with the default flags (b and f use
#      the programs): max |diff| <= 1e-5; every fixture goes through
#      `lstmc build --cflags -O1` in tests/run_fixtures.sh
#   b. the program's output equals `lstmc run`'s within 1e-5, and its
#      messages for bad data (every file of tests/diag/data: text, f32,
#      .npy) are `lstmc run`'s, byte for byte
#   c. a build from another folder, with relative paths
#   d. a failing compiler leaves no program and no temporary file
#   e. an existing program survives a failed build
#   f. the program's --help, --version and usage errors
#   g. a model with big weight arrays (written as bytes: lower.c) against
#      lstmc run, its weights made by bench/mkweights (MKWEIGHTS=PATH)
#   h. the flags firmware is built with: examples/quickstart and
#      examples/adding built with gcc -Ofast and clang -Ofast -ffast-math
#      (and -O0) against lstmc run, and the -Ofast program still refuses
#      a number that is not finite
# usage: tests/run_build.sh path/to/lstmc
set -u
lstmc=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
tol=1e-5
cd "$(dirname "$0")" || exit 2
tests=$(pwd)
pass=0 fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# A private TMPDIR, so that any temporary file a build leaves is seen.
mkdir "$tmp/tmpdir"
TMPDIR=$tmp/tmpdir
export TMPDIR

ok() { echo "ok   $*"; pass=$((pass + 1)); }
bad() { echo "FAIL $*"; fail=$((fail + 1)); }

# within NAME GOT EXPECTED: max |diff| <= tol, printed.
within() {
    d=$(awk -f "$tests/maxdiff.awk" "$2" "$3")
    if [ $? -ne 0 ] || awk -v d="$d" -v t="$tol" 'BEGIN { exit !(d > t) }'; then
        bad "$1: max |diff| $d (tolerance $tol)"
    else
        ok "$1: max |diff| $d"
    fi
}

# leftovers: files in the private TMPDIR (none may stay behind).
leftovers() { ls -A "$TMPDIR" | wc -l | tr -d ' '; }

# ---- a. the programs b and f use, with the default flags ----
for case in v1_single v2_stacked_head v3_bidir; do
    dir=fixtures/pytorch/$case
    bin=$tmp/$case
    if ! "$lstmc" build "pytorch/$case.lstm" -o "$bin" 2> "$tmp/err"; then
        bad "$case: lstmc build failed:"; cat "$tmp/err"; continue
    fi
    if ! "$bin" "$dir/input.txt" > "$tmp/out" 2> "$tmp/err"; then
        bad "$case: the program failed:"; cat "$tmp/err"; continue
    fi
    within "$case vs PyTorch" "$tmp/out" "$dir/expected.txt"
done

# ---- b. the same as lstmc run: outputs, standard input, messages ----
v1=pytorch/v1_single.lstm
in1=fixtures/pytorch/v1_single/input.txt
w1=fixtures/pytorch/v1_single/weights.safetensors
if [ -x "$tmp/v1_single" ]; then
    # several sequences (the state must reset between them)
    { cat $in1; echo; cat $in1; echo; echo; head -3 $in1; } > "$tmp/three.txt"
    "$lstmc" run $v1 "$tmp/three.txt" > "$tmp/want"
    "$tmp/v1_single" < "$tmp/three.txt" > "$tmp/got"
    within "v1_single, 3 sequences from stdin vs lstmc run" "$tmp/got" "$tmp/want"
    "$tmp/v1_single" - < "$tmp/three.txt" > "$tmp/got2"
    cmp -s "$tmp/got" "$tmp/got2" && ok "'-' is standard input" || bad "'-' differs from standard input"

    # bad data: the same stderr (the program's name aside), status and stdout
    for data in diag/data/* "no/such/file.txt"; do
        name=$(basename "$data")
        "$lstmc" run $v1 "$data" > "$tmp/want.out" 2> "$tmp/want.err"
        want=$?
        "$tmp/v1_single" "$data" > "$tmp/got.out" 2> "$tmp/got.err"
        got=$?
        if [ $got -ne $want ]; then
            bad "data $name: exit status $got, lstmc run gives $want"
        elif ! cmp -s "$tmp/want.err" "$tmp/got.err"; then
            bad "data $name: messages differ:"; diff "$tmp/want.err" "$tmp/got.err"
        elif [ -s "$tmp/want.out" ] && ! awk -f maxdiff.awk "$tmp/got.out" "$tmp/want.out" |
                 awk -v t="$tol" '{ exit !($1 + 0 <= t) }'; then
            bad "data $name: outputs differ"
        elif [ ! -s "$tmp/want.out" ] && [ -s "$tmp/got.out" ]; then
            bad "data $name: printed an output, lstmc run does not"
        else
            ok "data $name: status $got, $(head -1 "$tmp/got.err")"
        fi
    done
    # a good sequence, then a bad one: the first is printed, then the error
    { cat $in1; echo; echo "1 2 3"; } > "$tmp/half.txt"
    "$lstmc" run $v1 "$tmp/half.txt" > /dev/null 2> "$tmp/want.err"
    "$tmp/v1_single" "$tmp/half.txt" > "$tmp/got.out" 2> "$tmp/got.err"
    status=$?
    sed "s|^$tmp/||" "$tmp/want.err" > "$tmp/a"; sed "s|^$tmp/||" "$tmp/got.err" > "$tmp/b"
    if [ $status -eq 1 ] && [ "$(wc -l < "$tmp/got.out")" -eq 10 ] && cmp -s "$tmp/a" "$tmp/b"; then
        ok "a bad second sequence: first printed, status 1, $(cat "$tmp/b")"
    else
        bad "a bad second sequence: status $status, $(wc -l < "$tmp/got.out") lines"
    fi
    # a failed write: "cannot write the output", status 1
    if [ -w /dev/full ]; then
        "$tmp/v1_single" $in1 > /dev/full 2> "$tmp/err"
        status=$?
        if [ $status -eq 1 ] && grep -q "^v1_single: error: cannot write the output" "$tmp/err"; then
            ok "writing to /dev/full: $(cat "$tmp/err")"
        else
            bad "writing to /dev/full: status $status"; cat "$tmp/err"
        fi
    fi
fi

# ---- c. from another folder, relative paths; -w; --name; CC; fast ----
mkdir -p "$tmp/elsewhere/out"
if (cd "$tmp/elsewhere" && "$lstmc" build "$tests/$v1" -o out/v1 > "$tmp/stdout" 2> "$tmp/err"); then
    :
fi
if [ -x "$tmp/elsewhere/out/v1" ] && [ ! -s "$tmp/stdout" ]; then
    ok "build from another folder (absolute spec, relative -o), nothing on stdout"
else
    bad "build from another folder:"; cat "$tmp/err"
fi
mkdir -p "$tmp/rel"
cp $v1 "$tmp/rel/model.lstm"
cp $w1 "$tmp/rel/w.safetensors"
cp $in1 "$tmp/rel/in.txt"
sed -i '/weights "/d' "$tmp/rel/model.lstm"
if (cd "$tmp" && CC=gcc "$lstmc" build rel/model.lstm -w rel/w.safetensors -o rel/prog --name my_model \
        --cflags "-O1  -std=c99 -Wall -Wextra -Wpedantic -Wconversion -Werror" 2> "$tmp/err") &&
   (cd "$tmp/rel" && ./prog in.txt > "$tmp/got"); then
    within "relative spec, -w and -o, --name my_model, CC=gcc, -Werror -Wconversion" \
        "$tmp/got" fixtures/pytorch/v1_single/expected.txt
else
    bad "relative spec, -w and -o:"; cat "$tmp/err"
fi
# Not one warning from gcc or clang under -std=c99 -Wall -Wextra -Wpedantic
# -Wconversion -Wdouble-promotion -Wshadow, in model.c (the copied runtime
# included: only the pieces the model uses, nothing silenced) as in main.c
# and lstmc_rows.c.
strict="-O2 -std=c99 -Wall -Wextra -Wpedantic -Wconversion -Wdouble-promotion -Wshadow"
for cc in gcc clang; do
    command -v $cc > /dev/null || { echo "$cc: skipped (not installed): the warnings under it"; continue; }
    for case in v1_single v2_stacked_head v3_bidir; do
        if "$lstmc" build pytorch/$case.lstm -o "$tmp/${cc}_$case" --cc $cc --cflags "$strict" 2> "$tmp/err"; then
            "$tmp/${cc}_$case" fixtures/pytorch/$case/input.txt > "$tmp/got"
            if grep -q -E '[0-9]: (warning|error)' "$tmp/err"; then
                bad "$case, $cc $strict: warnings:"; cat "$tmp/err"
            else
                within "$case, $cc $strict: no warning" "$tmp/got" fixtures/pytorch/$case/expected.txt
            fi
        else
            bad "$case with $cc $strict:"; cat "$tmp/err"
        fi
    done
done
if "$lstmc" build $v1 -o "$tmp/fast" --activations fast 2> "$tmp/err"; then
    "$tmp/fast" $in1 > "$tmp/got"
    d=$(awk -f maxdiff.awk "$tmp/got" fixtures/pytorch/v1_single/expected.txt)
    ok "--activations fast builds and runs: max |diff| vs PyTorch $d"
else
    bad "--activations fast:"; cat "$tmp/err"
fi

# ---- d. a failing compiler leaves nothing behind ----
before=$(leftovers)
rm -f "$tmp/nobin"
# expect_fail TEXT ARGS...: the build fails with status 1 and TEXT on stderr,
# leaving no program, no temporary output and no temporary folder.
expect_fail() {
    want=$1; shift
    (cd "$tmp" && "$lstmc" build "$tests/$v1" "$@" > /dev/null 2> "$tmp/err")
    status=$?
    stray=$(ls -A "$tmp" | grep -c '\.lstmc-')
    if [ $status -ne 1 ]; then
        bad "build $*: exit status $status, expected 1"; cat "$tmp/err"
    elif ! grep -qF -- "$want" "$tmp/err"; then
        bad "build $*: stderr lacks '$want':"; cat "$tmp/err"
    elif [ -e "$tmp/nobin" ] || [ "$stray" -ne 0 ] || [ "$(leftovers)" -ne "$before" ]; then
        bad "build $*: left files behind"; ls -A "$tmp" "$TMPDIR"
    else
        ok "build $*: $(grep -F -- "$want" "$tmp/err" | head -1)"
    fi
}
expect_fail "the C compiler failed (exit status 1): false" -o nobin --cc false
expect_fail "the C compiler failed (exit status" -o nobin --cflags "-O2 --no-such-flag"
expect_fail "cannot run the C compiler 'no-such-cc'" -o nobin --cc no-such-cc
expect_fail "cannot write" -o no/such/folder/nobin
expect_fail "cannot open" -o nobin -w no/such/weights.safetensors
# an interrupted build cleans up too
"$lstmc" build $v1 -o "$tmp/nobin" --cc "sh -c sleep\${IFS}5" > /dev/null 2>&1 &
pid=$!
sleep 1
kill -TERM $pid
{ wait $pid; } 2> /dev/null
status=$?
if [ $status -gt 128 ] && [ ! -e "$tmp/nobin" ] && [ "$(leftovers)" -eq "$before" ] &&
   [ "$(ls -A "$tmp" | grep -c '\.lstmc-')" -eq 0 ]; then
    ok "an interrupted build (SIGTERM) cleans up and dies of the signal"
else
    bad "an interrupted build: status $status"; ls -A "$tmp" "$TMPDIR"
fi

# ---- e. an existing program survives a failed build ----
echo "previous program" > "$tmp/keep"
"$lstmc" build $v1 -o "$tmp/keep" --cc false > /dev/null 2>&1
status=$?
if [ $status -eq 1 ] && [ "$(cat "$tmp/keep")" = "previous program" ]; then
    ok "an existing program survives a failed build"
else
    bad "an existing program after a failed build: status $status"
fi
# usage errors: no -o, a bad --activations
"$lstmc" build $v1 > /dev/null 2> "$tmp/err"
status=$?
[ $status -eq 2 ] && grep -q "missing the output program" "$tmp/err" && ok "no -o: usage error" ||
    { bad "no -o: status $status"; cat "$tmp/err"; }
"$lstmc" build $v1 -o "$tmp/x" --activations quick > /dev/null 2> "$tmp/err"
status=$?
[ $status -eq 2 ] && [ ! -e "$tmp/x" ] && ok "--activations quick: usage error" ||
    { bad "--activations quick: status $status"; cat "$tmp/err"; }

"$lstmc" build $v1 -o "$tmp/x" --name my-model > /dev/null 2> "$tmp/err"
status=$?
[ $status -eq 2 ] && [ ! -e "$tmp/x" ] && ok "--name my-model: usage error" ||
    { bad "--name my-model: status $status"; cat "$tmp/err"; }

# ---- f. the program's own command line ----
if [ -x "$tmp/v1_single" ]; then
    "$tmp/v1_single" --help > "$tmp/help"
    status=$?
    if [ $status -eq 0 ] && grep -q "model 'v1_single'" "$tmp/help" && grep -q "8 numbers per timestep" "$tmp/help" &&
       grep -q "16 numbers per timestep" "$tmp/help" && grep -q "lstmc build" "$tmp/help"; then
        ok "--help names the model, its sizes and how it was built"
    else
        bad "--help:"; cat "$tmp/help"
    fi
    grep -q "per sequence: the last" "$tmp/help" && bad "--help of v1_single says 'output last'"
    "$tmp/v2_stacked_head" -h | grep -q "5 numbers per sequence: the last timestep's" &&
        ok "-h of v2_stacked_head says 'output last'" || bad "-h of v2_stacked_head"
    "$tmp/v3_bidir" --help | grep -q "whole sequences" &&
        ok "--help of v3_bidir says whole sequences" || bad "--help of v3_bidir"
    "$tmp/v1_single" --version | grep -q "^v1_single (lstmc " && ok "--version" || bad "--version"
    for args in "--bogus" "$in1 extra" "-x"; do
        # shellcheck disable=SC2086
        "$tmp/v1_single" $args > /dev/null 2> "$tmp/err" < /dev/null
        status=$?
        if [ $status -eq 2 ] && grep -q "^v1_single: error: " "$tmp/err" && grep -q "Try 'v1_single --help'" "$tmp/err"; then
            ok "usage error for '$args': $(head -1 "$tmp/err")"
        else
            bad "'$args': status $status"; cat "$tmp/err"
        fi
    done
    "$tmp/v1_single" $in1 > "$tmp/want"
    "$tmp/v1_single" -- $in1 > "$tmp/got" && cmp -s "$tmp/got" "$tmp/want" &&
        ok "'--' ends the options" || bad "'--' ends the options"
fi

# ---- g. big weight arrays: string literals of little-endian bytes ----
mkweights=${MKWEIGHTS:-$(dirname "$lstmc")/tests/mkweights}
if [ -x "$mkweights" ]; then
    # H = 128: w_h holds 128 x 512 = 65536 floats, the smallest "big" array
    "$mkweights" 64 128 1 2 7 "$tmp/big.safetensors" "$tmp/big.txt"
    printf 'model big { input 64; weights "big.safetensors";\n  lstm l { hidden 128; from pytorch "lstm"; }\n}\n' \
        > "$tmp/big.lstm"
    "$lstmc" compile "$tmp/big.lstm" -o "$tmp/big" &&
        grep -q "unsigned char rows\[" "$tmp/big.c" &&
        ok "H = 128: w_h written as bytes" || bad "H = 128: w_h not written as bytes"
    if "$lstmc" build "$tmp/big.lstm" -o "$tmp/big" --activations exact 2> "$tmp/err"; then
        "$lstmc" run "$tmp/big.lstm" "$tmp/big.txt" > "$tmp/want"
        "$tmp/big" "$tmp/big.txt" > "$tmp/got"
        within "big weight arrays vs lstmc run" "$tmp/got" "$tmp/want"
    else
        bad "big weight arrays: lstmc build failed:"; cat "$tmp/err"
    fi
else
    bad "no weights generator $mkweights (make builds it)"
fi

# ---- h. -Ofast, -ffast-math: the fast activations hold under any flags ----
# (the runtime once rounded with x + 1.5*2^23 - 1.5*2^23, which
# -fassociative-math folds away: sigmoid(-0.3) was 0.5, quickstart's
# outputs off by 0.02)
ex=$tests/../examples
# the adding problem's data: 20 sequences of 100 steps (value, marker)
awk 'BEGIN { srand(12); for (s = 0; s < 20; s++) { a = int(rand() * 10); b = 10 + int(rand() * 39);
        for (t = 0; t < 100; t++) printf "%.6f %d\n", rand() * 2 - 1, (t == a || t == b) ? 1 : (t == 0 || t == 99) ? -1 : 0;
        print "" } }' > "$tmp/adding.txt"
for ex_case in quickstart:examples/quickstart/input.txt adding:$tmp/adding.txt; do
    name=${ex_case%%:*} data=${ex_case#*:}
    case $data in /*) ;; *) data=$tests/../$data ;; esac
    "$lstmc" run "$ex/$name/model.lstm" "$data" > "$tmp/want"
    for flags in "gcc -Ofast" "clang -Ofast -ffast-math" "gcc -O0" "gcc -O2 -ffp-contract=fast"; do
        cc=${flags%% *} cflags=${flags#* }
        command -v $cc > /dev/null || { echo "$cc: skipped (not installed): $name with $flags"; continue; }
        if "$lstmc" build "$ex/$name/model.lstm" -o "$tmp/ex_$name" --cc $cc --cflags "$cflags" 2> "$tmp/err"; then
            "$tmp/ex_$name" "$data" > "$tmp/got"
            within "examples/$name built with $flags vs lstmc run" "$tmp/got" "$tmp/want"
        else
            bad "examples/$name with $flags: lstmc build failed:"; cat "$tmp/err"
        fi
    done
done
# isfinite() is 1 under -ffinite-math-only: the reader must not rely on it
if "$lstmc" build $v1 -o "$tmp/v1_ofast" --cflags "-Ofast" 2> "$tmp/err"; then
    "$lstmc" run $v1 diag/data/not_finite.txt > /dev/null 2> "$tmp/want.err"
    "$tmp/v1_ofast" diag/data/not_finite.txt > /dev/null 2> "$tmp/got.err"
    status=$?
    if [ $status -eq 1 ] && cmp -s "$tmp/want.err" "$tmp/got.err"; then
        ok "built with -Ofast, a number that is not finite: $(cat "$tmp/got.err")"
    else
        bad "built with -Ofast, data not_finite: status $status"; cat "$tmp/got.err"
    fi
else
    bad "v1_single with -Ofast: lstmc build failed:"; cat "$tmp/err"
fi

echo "build: $pass passed, $fail failed"
[ $fail -eq 0 ] && [ $pass -gt 0 ]
