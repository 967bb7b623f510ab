#!/bin/sh
# Runs every PyTorch fixture (tests/fixtures/pytorch/CASE) through
# `lstmc run` with its spec tests/pytorch/CASE.lstm and requires
# max |diff| <= 1e-5 against PyTorch's expected.txt.
# usage: tests/run_pytorch.sh path/to/lstmc
set -u
lstmc=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
tol=1e-5
cd "$(dirname "$0")" || exit 2
pass=0 fail=0
for dir in fixtures/pytorch/*/; do
    case=$(basename "$dir")
    spec=pytorch/$case.lstm
    out=$(mktemp)
    if [ ! -f "$spec" ]; then
        echo "FAIL $case: no spec $spec"; fail=$((fail + 1)); rm -f "$out"; continue
    fi
    if ! "$lstmc" run "$spec" "$dir/input.txt" > "$out"; then
        echo "FAIL $case: lstmc run failed"; fail=$((fail + 1)); rm -f "$out"; continue
    fi
    diff=$(awk -f maxdiff.awk "$out" "$dir/expected.txt")
    status=$?
    rm -f "$out"
    if [ $status -ne 0 ] || awk -v d="$diff" -v t="$tol" 'BEGIN { exit !(d > t) }'; then
        echo "FAIL $case: max |diff| $diff (tolerance $tol)"; fail=$((fail + 1))
    else
        echo "ok   $case: max |diff| vs PyTorch $diff"; pass=$((pass + 1))
    fi
done
echo "pytorch fixtures: $pass passed, $fail failed"
[ $fail -eq 0 ] && [ $pass -gt 0 ]
