#!/bin/sh
# Golden diagnostics: for every tests/diag/NAME.lstm, runs from tests/diag
#   lstmc check NAME.lstm
# or the command of the spec's first line '# lstmc: run SPEC -w FILE data.txt'
# (SPEC stands for the spec itself), and requires its stderr to equal
# NAME.expected exactly and its exit status to be 1.
# LSTMC_UPDATE=1 rewrites the .expected files.
# usage: tests/run_diag.sh path/to/lstmc
set -u
lstmc=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
cd "$(dirname "$0")/diag" || exit 2
pass=0 fail=0
for spec in *.lstm; do
    name=${spec%.lstm}
    args=$(sed -n '1s/^# lstmc: //p' "$spec" | sed "s|SPEC|$spec|")
    [ -n "$args" ] || args="check $spec"
    got=$(mktemp)
    # shellcheck disable=SC2086
    "$lstmc" $args > /dev/null 2> "$got"
    status=$?
    if [ "${LSTMC_UPDATE:-0}" = 1 ]; then
        cp "$got" "$name.expected"
    fi
    if [ $status -ne 1 ]; then
        echo "FAIL $name: exit status $status, expected 1"; fail=$((fail + 1))
    elif ! diff -u "$name.expected" "$got" > /dev/null 2>&1; then
        echo "FAIL $name: diagnostics differ:"; diff -u "$name.expected" "$got"; fail=$((fail + 1))
    else
        pass=$((pass + 1))
    fi
    rm -f "$got"
done
echo "diagnostics: $pass passed, $fail failed"
[ $fail -eq 0 ] && [ $pass -gt 0 ]
