#!/bin/sh
# Command-line behaviour: exit statuses (0 ok, 1 bad input, 2 usage), usage
# messages, standard input, a failed write, and running out of memory at
# every allocation of a whole `lstmc run`.
# usage: tests/run_cli.sh path/to/lstmc
set -u
lstmc=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
cd "$(dirname "$0")" || exit 2
pass=0 fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# expect STATUS STDERR-SUBSTRING CMD...: runs lstmc CMD..., checks both.
expect() {
    want_status=$1 want_err=$2
    shift 2
    "$lstmc" "$@" > "$tmp/out" 2> "$tmp/err" < /dev/null
    status=$?
    if [ "$status" -ne "$want_status" ]; then
        echo "FAIL lstmc $*: exit status $status, expected $want_status"; cat "$tmp/err"
        fail=$((fail + 1))
    elif [ -n "$want_err" ] && ! grep -qF -- "$want_err" "$tmp/err"; then
        echo "FAIL lstmc $*: stderr lacks '$want_err':"; cat "$tmp/err"
        fail=$((fail + 1))
    else
        pass=$((pass + 1))
    fi
}

v1=pytorch/v1_single.lstm
in1=fixtures/pytorch/v1_single/input.txt
expect 2 "usage: lstmc <command>"
expect 2 "unknown command 'frobnicate'" frobnicate
expect 2 "did you mean 'check'?" chek $v1
expect 2 "missing the spec file" run
expect 2 "did you mean '--weights'?" check $v1 --weigths x
expect 2 "'-w' needs a value" check $v1 -w
expect 2 "'--weights' needs a non-empty value" check $v1 --weights=
expect 2 "'--ast' takes no value" check $v1 --ast=1
expect 2 "unknown option '--cc' for 'check'" check $v1 --cc gcc
expect 2 "unexpected argument 'c'" run $v1 $in1 c
expect 2 "Try 'lstmc run --help'" run --bogus
expect 2 "missing the output prefix: -o PREFIX" compile $v1
expect 2 "missing the output program: -o BIN" build $v1
expect 2 "--threads '0' is not a number from 1 to 64" compile $v1 -o "$tmp/m" --threads 0
expect 2 "--name '9bad' is not a C identifier" compile $v1 -o "$tmp/m" --name 9bad
expect 2 "unknown activations mode 'slow'" build $v1 -o "$tmp/m" --activations slow
expect 2 "unknown option '--threads' for 'build'" build $v1 -o "$tmp/m" --threads 2
expect 1 "cannot write" compile $v1 -o no/such/dir/m
expect 0 "" --help
expect 0 "" --version
expect 0 "" help run
expect 0 "" check --help
expect 0 "" run -h
expect 0 "" check $v1
expect 0 "" check --no-weights $v1 -w does/not/matter
expect 0 "" check --ast $v1
expect 1 "cannot open" check no/such/spec.lstm
expect 1 "cannot open" run $v1 no/such/input.txt

# --help documents every flag the parser accepts.
"$lstmc" check --help | grep -q -- "--no-weights" && "$lstmc" check --help | grep -q -- "--ast" &&
    "$lstmc" run --help | grep -q -- "--weights" && pass=$((pass + 1)) ||
    { echo "FAIL: --help does not list every flag"; fail=$((fail + 1)); }

# Standard input, and '-' for it, give what the file gives.
"$lstmc" run $v1 $in1 > "$tmp/a"
"$lstmc" run $v1 < $in1 > "$tmp/b"
"$lstmc" run $v1 - < $in1 > "$tmp/c"
if cmp -s "$tmp/a" "$tmp/b" && cmp -s "$tmp/a" "$tmp/c" && [ -s "$tmp/a" ]; then
    pass=$((pass + 1))
else
    echo "FAIL: run from standard input differs from run from a file"; fail=$((fail + 1))
fi

# Two sequences with 'output last' give two lines; a sequence after a bad
# line is not run, and the bad sequence prints nothing.
v2=pytorch/v2_stacked_head.lstm
in2=fixtures/pytorch/v2_stacked_head/input.txt
{ cat $in2; echo; cat $in2; } > "$tmp/two.txt"
n=$("$lstmc" run $v2 "$tmp/two.txt" | wc -l)
[ "$n" -eq 2 ] && pass=$((pass + 1)) || { echo "FAIL: 2 sequences gave $n lines"; fail=$((fail + 1)); }
{ cat $in2; echo; head -3 $in2; echo "1 2"; } > "$tmp/bad.txt"
n=$("$lstmc" run $v2 "$tmp/bad.txt" 2>/dev/null | wc -l)
[ "$n" -eq 1 ] && pass=$((pass + 1)) || { echo "FAIL: bad 2nd sequence printed $n lines, expected 1"; fail=$((fail + 1)); }

# A write that fails is an error, not a silent truncation.
if [ -w /dev/full ]; then
    "$lstmc" run $v1 $in1 > /dev/full 2> "$tmp/err"
    status=$?
    if [ $status -eq 1 ] && grep -q "cannot write" "$tmp/err"; then pass=$((pass + 1))
    else echo "FAIL: writing to /dev/full: status $status"; cat "$tmp/err"; fail=$((fail + 1)); fi
fi

# Out of memory at each allocation in turn: a clean message and status 1,
# never a crash (a signal gives a status above 128).
n=1 oom=0
while [ $n -le 400 ]; do
    LSTMC_FAIL_ALLOC=$n "$lstmc" run $v2 $in2 > /dev/null 2> "$tmp/err"
    status=$?
    if [ $status -eq 0 ]; then break; fi
    if [ $status -ne 1 ] || ! grep -q "out of memory" "$tmp/err"; then
        echo "FAIL: allocation $n failing: status $status"; cat "$tmp/err"; fail=$((fail + 1)); break
    fi
    oom=$((oom + 1)) n=$((n + 1))
done
[ $oom -gt 0 ] && pass=$((pass + 1))
echo "cli: out of memory checked at $oom allocations"

echo "cli: $pass passed, $fail failed"
[ $fail -eq 0 ]
