#!/bin/sh
# `lstmc import` end to end (make check-onnx):
#  - every ONNX fixture (tests/fixtures/onnx/CASE/model.onnx, and the
#    PyTorch fixtures' exports, tests/fixtures/pytorch/CASE/model.onnx), and
#    each output of ONNX's own node tests (tests/fixtures/onnx_node) is imported,
#    then run by the interpreter (`lstmc run`), by a program from
#    `lstmc build` (the C backend) and, when this lstmc has LLVM, by
#    `lstmc run --jit`; each must match expected.txt within 1e-5;
#  - every model whose initial states are graph inputs
#    (tests/fixtures/onnx_state) is imported, then run by each of those
#    from PyTorch's states (--state-in);
#  - every broken model (tests/import/NAME.onnx) must fail with exit status
#    1, write nothing, and print exactly NAME.expected.
# usage: tests/run_onnx.sh path/to/lstmc
# LSTMC_UPDATE=1 rewrites the .expected files. ONNX_PATHS_EVERY=N (default
# 1) builds and runs --jit for one imported case in N, every case still
# imported and run: the sanitizer pass of make check, where what is new is
# lstmc's own memory errors, and the builds are its most of the time.
# The programs are built at -O1 (ONNX_BUILD_CFLAGS): what this suite checks
# is the import; the generated code at -O3 -march=native, lstmc build's
# default, is check-build's and check-diff's, and -O1 compiles 2.5x faster.
set -u
lstmc=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
tol=1e-5
cd "$(dirname "$0")" || exit 2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
jit=0
every=${ONNX_PATHS_EVERY:-1} ncase=0
cflags=${ONNX_BUILD_CFLAGS:--O1}
"$lstmc" help run | grep -q -- --jit && "$lstmc" run --jit /dev/null 2>&1 | grep -qv "without the LLVM" && jit=1

# compare NAME GOT EXPECTED: within tolerance?
compare() {
    diff=$(awk -f maxdiff.awk "$2" "$3")
    status=$?
    if [ $status -ne 0 ] || awk -v d="$diff" -v t="$tol" 'BEGIN { exit !(d > t) }'; then
        echo "FAIL $1: max |diff| $diff (tolerance $tol)"; fail=$((fail + 1))
    else
        echo "ok   $1: max |diff| $diff"; pass=$((pass + 1))
    fi
}

# check_paths CASE SPEC INPUT EXPECTED [ARGS...]: the imported spec run by
# the interpreter, a built program and --jit (each given ARGS after the
# input), each against EXPECTED.
check_paths() {
    p_case=$1 p_spec=$2 p_input=$3 p_expected=$4
    shift 4
    p_out=$(dirname "$p_spec")
    if "$lstmc" run "$p_spec" "$p_input" "$@" > "$p_out/run.txt"; then
        compare "$p_case (import + run)" "$p_out/run.txt" "$p_expected"
    else
        echo "FAIL $p_case: lstmc run failed"; fail=$((fail + 1))
    fi
    ncase=$((ncase + 1))
    [ $((ncase % every)) -eq 0 ] || return 0
    "$lstmc" build "$p_spec" -o "$p_out/bin" --cflags "$cflags" 2> "$tmp/err"
    if [ -x "$p_out/bin" ] && "$p_out/bin" "$p_input" "$@" > "$p_out/bin.txt"; then
        compare "$p_case (import + build)" "$p_out/bin.txt" "$p_expected"
    else
        echo "FAIL $p_case: lstmc build or its program failed"; fail=$((fail + 1))
    fi
    if [ $jit = 1 ]; then
        if "$lstmc" run --jit "$p_spec" "$p_input" "$@" > "$p_out/jit.txt"; then
            compare "$p_case (import + run --jit)" "$p_out/jit.txt" "$p_expected"
        else
            echo "FAIL $p_case: lstmc run --jit failed"; fail=$((fail + 1))
        fi
    fi
}

for dir in fixtures/onnx/*/ fixtures/pytorch/*/; do
    [ -f "$dir/model.onnx" ] || continue
    case=$(basename "$dir")
    out=$tmp/$case
    if ! "$lstmc" import "$dir/model.onnx" -o "$out" --name "$case" 2> "$tmp/err"; then
        echo "FAIL $case: lstmc import failed:"; cat "$tmp/err"; fail=$((fail + 1)); continue
    fi
    check_paths "$case" "$out/$case.lstm" "$dir/input.txt" "$dir/expected.txt"
done

# ONNX's own backend node tests (tests/fixtures/onnx_node, python3-onnx's
# generator): the weights are graph inputs whose values are in
# test_data_set_0 (--input-values); each graph output is imported on its
# own (--graph-output) and compared with its expected_K.txt.
for dir in fixtures/onnx_node/*/; do
    [ -f "$dir/model.onnx" ] || continue
    case=$(basename "$dir")
    k=0
    while read -r output <&3; do
        out=$tmp/node-$case-$k
        if "$lstmc" import "$dir/model.onnx" --input-values "$dir/test_data_set_0" \
                --graph-output "$output" -o "$out" --name m 2> "$tmp/err"; then
            check_paths "$case $output" "$out/m.lstm" "$dir/input.txt" "$dir/expected_$k.txt"
        else
            echo "FAIL $case $output: lstmc import failed:"; cat "$tmp/err"; fail=$((fail + 1))
        fi
        k=$((k + 1))
    done 3< "$dir/outputs"
done

# Initial states as graph inputs (tests/fixtures/onnx_state, from
# tests/reference/gen_zoo.py): imported with a note that says the state is
# given at run time, then run from PyTorch's (h0, c0) with --state-in.
for dir in fixtures/onnx_state/*/; do
    [ -f "$dir/model.onnx" ] || continue
    case=$(basename "$dir")
    out=$tmp/state-$case
    if ! "$lstmc" import "$dir/model.onnx" -o "$out" --name m 2> "$tmp/err"; then
        echo "FAIL $case: lstmc import failed:"; cat "$tmp/err"; fail=$((fail + 1)); continue
    fi
    if grep -q "note: the initial states 'h0' and 'c0' are graph inputs: m.lstm starts from zeros, and takes the start state at run time: \`lstmc run --state-in FILE\`" "$tmp/err" ||
       grep -q "note: the initial state 'h0' is a graph input: m.lstm starts from zeros" "$tmp/err"; then
        echo "ok   $case: the import's note"; pass=$((pass + 1))
    else
        echo "FAIL $case: the import's note is missing:"; cat "$tmp/err"; fail=$((fail + 1))
    fi
    check_paths "$case" "$out/m.lstm" "$dir/input.txt" "$dir/expected.txt" --state-in "$dir/state_in.txt"
done

for model in import/*.onnx; do
    name=$(basename "$model" .onnx)
    out=$tmp/broken-$name
    "$lstmc" import "$model" -o "$out" > "$tmp/stdout" 2> "$tmp/stderr"
    status=$?
    if [ "${LSTMC_UPDATE:-}" = 1 ]; then
        cp "$tmp/stderr" "import/$name.expected"
    fi
    if [ $status -ne 1 ]; then
        echo "FAIL import/$name: exit status $status, expected 1"; fail=$((fail + 1))
    elif [ -e "$out" ] && [ -n "$(ls -A "$out")" ]; then
        echo "FAIL import/$name: wrote $(ls "$out")"; fail=$((fail + 1))
    elif [ ! -f "import/$name.expected" ]; then
        echo "FAIL import/$name: no import/$name.expected"; fail=$((fail + 1))
    elif ! diff -u "import/$name.expected" "$tmp/stderr"; then
        echo "FAIL import/$name: messages differ"; fail=$((fail + 1))
    else
        echo "ok   import/$name: $(head -c 110 "$tmp/stderr" | head -n 1)"; pass=$((pass + 1))
    fi
done

# The command line: usage errors exit 2; -o creates missing folders; the
# name comes from the file unless --name gives one.
model=fixtures/onnx/onnx_reverse/model.onnx
check_status() {   # NAME WANT COMMAND...
    name=$1 want=$2
    shift 2
    "$@" > /dev/null 2> "$tmp/err"
    got=$?
    if [ $got -eq "$want" ]; then
        echo "ok   cli: $name (exit $got)"; pass=$((pass + 1))
    else
        echo "FAIL cli: $name: exit $got, expected $want"; cat "$tmp/err"; fail=$((fail + 1))
    fi
}
check_status "no -o" 2 "$lstmc" import "$model"
check_status "no model" 2 "$lstmc" import -o "$tmp/x"
check_status "bad --name" 2 "$lstmc" import "$model" -o "$tmp/x" --name 9lives
check_status "missing file" 1 "$lstmc" import "$tmp/none.onnx" -o "$tmp/x"
check_status "nested -o" 0 "$lstmc" import "$model" -o "$tmp/a/b/c"
check_status "name from the file" 0 test -f "$tmp/a/b/c/model.lstm" -a -f "$tmp/a/b/c/model.safetensors"
check_status "--name" 0 "$lstmc" import "$model" -o "$tmp/a" --name rev
check_status "--name files" 0 test -f "$tmp/a/rev.lstm" -a -f "$tmp/a/rev.safetensors"

# --graph-output and --input-values: a name the graph does not have, a
# folder without input_0.pb, a file that is not a tensor, a value for a
# name that is not an input: exit 1 with a message, nothing written.
node=fixtures/onnx_node/test_lstm_batchwise
check_message() {   # NAME EXPECTED-TEXT COMMAND...
    name=$1 want=$2
    shift 2
    "$@" > /dev/null 2> "$tmp/err"
    got=$?
    if [ $got -eq 1 ] && grep -qF -- "$want" "$tmp/err"; then
        echo "ok   cli: $name"; pass=$((pass + 1))
    else
        echo "FAIL cli: $name: exit $got, expected 1 and '$want'"; cat "$tmp/err"; fail=$((fail + 1))
    fi
}
check_message "two outputs, none chosen" "the graph has 2 outputs ('Y', 'Y_h'); lstmc models have one: choose it with --graph-output NAME" \
    "$lstmc" import "$node/model.onnx" --input-values "$node/test_data_set_0" -o "$tmp/v1"
check_message "--graph-output unknown" "the graph has no output 'Z' (--graph-output); its outputs: 'Y', 'Y_h'" \
    "$lstmc" import "$node/model.onnx" --input-values "$node/test_data_set_0" --graph-output Z -o "$tmp/v2"
check_message "weights as graph inputs without --input-values" "the graph has 3 inputs besides its initializers" \
    "$lstmc" import "$node/model.onnx" --graph-output Y -o "$tmp/v3"
check_message "--input-values without input_0.pb" "no input_0.pb here" \
    "$lstmc" import "$node/model.onnx" --input-values "$node" --graph-output Y -o "$tmp/v4"
mkdir -p "$tmp/badpb" && printf 'not a tensor' > "$tmp/badpb/input_0.pb"
check_message "--input-values: not a TensorProto" "input_0.pb: error: not an ONNX TensorProto" \
    "$lstmc" import "$node/model.onnx" --input-values "$tmp/badpb" --graph-output Y -o "$tmp/v5"
mkdir -p "$tmp/xpb" && cp "$node/test_data_set_0/input_0.pb" "$tmp/xpb/"
check_message "--input-values: a name that is no input" "a value is given for 'X' (--input-values), which is not an input of the graph" \
    "$lstmc" import fixtures/onnx/onnx_reverse/model.onnx --input-values "$tmp/xpb" -o "$tmp/v6"
for v in v1 v2 v3 v4 v5 v6; do
    if [ -e "$tmp/$v" ]; then echo "FAIL cli: $v: wrote $tmp/$v"; fail=$((fail + 1)); fi
done

# Running out of memory at every allocation of an import: reported, exit 1,
# and no file written. The import must succeed within the cap, and only
# after some allocation failed (else LSTMC_FAIL_ALLOC did nothing). Twice:
# a model, and a node test whose weights come from --input-values.
oom_sweep() {   # WHAT IMPORT-ARGS...
    what=$1
    shift
    n=1 cap=2000
    while [ $n -le $cap ]; do
        rm -rf "$tmp/oom"
        LSTMC_FAIL_ALLOC=$n "$lstmc" import "$@" -o "$tmp/oom" > /dev/null 2> "$tmp/err"
        status=$?
        [ $status -eq 0 ] && break
        if [ $status -ne 1 ] || ! grep -q "out of memory" "$tmp/err" ||
           { [ -d "$tmp/oom" ] && [ -n "$(ls -A "$tmp/oom")" ]; }; then
            echo "FAIL out of memory ($what) at allocation $n: exit $status"; cat "$tmp/err"
            fail=$((fail + 1)); return
        fi
        n=$((n + 1))
    done
    if [ $status -eq 0 ] && [ $n -gt 1 ]; then
        echo "ok   out of memory ($what) at each of the import's $((n - 1)) allocations"; pass=$((pass + 1))
    elif [ $status -eq 0 ]; then
        echo "FAIL out of memory ($what): the import succeeded with its first allocation failing (LSTMC_FAIL_ALLOC ignored?)"
        fail=$((fail + 1))
    else
        echo "FAIL out of memory ($what): the import still failed with allocation $cap failing"; fail=$((fail + 1))
    fi
}
oom_sweep "a model" "$model"
oom_sweep "--input-values" "$node/model.onnx" --input-values "$node/test_data_set_0" --graph-output Y

[ $jit = 1 ] || echo "jit: skipped (this lstmc has no LLVM backend)"
[ "$every" -gt 1 ] && echo "build and --jit: one imported case in $every (ONNX_PATHS_EVERY)"
echo "onnx import: $pass passed, $fail failed"
[ $fail -eq 0 ] && [ $pass -gt 0 ]
