#!/bin/sh
# `lstmc import` end to end (make check-onnx):
#  - every ONNX fixture (tests/fixtures/onnx/CASE/model.onnx, and the
#    PyTorch fixtures' exports, tests/fixtures/pytorch/CASE/model.onnx) is imported,
#    then run by the interpreter (`lstmc run`), by a program from
#    `lstmc build` (the C backend) and, when this lstmc has LLVM, by
#    `lstmc run --jit`; each must match expected.txt within 1e-5;
#  - every broken model (tests/import/NAME.onnx) must fail with exit status
#    1, write nothing, and print exactly NAME.expected.
# usage: tests/run_onnx.sh path/to/lstmc
# LSTMC_UPDATE=1 rewrites the .expected files.
set -u
lstmc=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
tol=1e-5
cd "$(dirname "$0")" || exit 2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
jit=0
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

for dir in fixtures/onnx/*/ fixtures/pytorch/*/; do
    [ -f "$dir/model.onnx" ] || continue
    case=$(basename "$dir")
    out=$tmp/$case
    if ! "$lstmc" import "$dir/model.onnx" -o "$out" --name "$case" 2> "$tmp/err"; then
        echo "FAIL $case: lstmc import failed:"; cat "$tmp/err"; fail=$((fail + 1)); continue
    fi
    spec=$out/$case.lstm
    if "$lstmc" run "$spec" "$dir/input.txt" > "$out/run.txt"; then
        compare "$case (import + run)" "$out/run.txt" "$dir/expected.txt"
    else
        echo "FAIL $case: lstmc run failed"; fail=$((fail + 1))
    fi
    "$lstmc" build "$spec" -o "$out/bin" 2> "$tmp/err"
    if [ -x "$out/bin" ] && "$out/bin" "$dir/input.txt" > "$out/bin.txt"; then
        compare "$case (import + build)" "$out/bin.txt" "$dir/expected.txt"
    else
        echo "FAIL $case: lstmc build or its program failed"; fail=$((fail + 1))
    fi
    if [ $jit = 1 ]; then
        if "$lstmc" run --jit "$spec" "$dir/input.txt" > "$out/jit.txt"; then
            compare "$case (import + run --jit)" "$out/jit.txt" "$dir/expected.txt"
        else
            echo "FAIL $case: lstmc run --jit failed"; fail=$((fail + 1))
        fi
    fi
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

# Running out of memory at every allocation of an import: reported, exit 1,
# and no file written. The import must succeed within the cap, and only
# after some allocation failed (else LSTMC_FAIL_ALLOC did nothing).
n=1 cap=2000
while [ $n -le $cap ]; do
    rm -rf "$tmp/oom"
    LSTMC_FAIL_ALLOC=$n "$lstmc" import "$model" -o "$tmp/oom" > /dev/null 2> "$tmp/err"
    status=$?
    [ $status -eq 0 ] && break
    if [ $status -ne 1 ] || ! grep -q "out of memory" "$tmp/err" ||
       { [ -d "$tmp/oom" ] && [ -n "$(ls -A "$tmp/oom")" ]; }; then
        echo "FAIL out of memory at allocation $n: exit $status"; cat "$tmp/err"
        fail=$((fail + 1)); break
    fi
    n=$((n + 1))
done
if [ $status -eq 0 ] && [ $n -gt 1 ]; then
    echo "ok   out of memory at each of the import's $((n - 1)) allocations"; pass=$((pass + 1))
elif [ $status -eq 0 ]; then
    echo "FAIL out of memory: the import succeeded with its first allocation failing (LSTMC_FAIL_ALLOC ignored?)"
    fail=$((fail + 1))
elif [ $n -gt $cap ]; then
    echo "FAIL out of memory: the import still failed with allocation $cap failing"; fail=$((fail + 1))
fi

[ $jit = 1 ] || echo "jit: skipped (this lstmc has no LLVM backend)"
echo "onnx import: $pass passed, $fail failed"
[ $fail -eq 0 ] && [ $pass -gt 0 ]
