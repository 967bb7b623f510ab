#!/bin/sh
# make check-fuzz: each harness over its committed seeds (tests/fuzz/corpus/NAME)
# and regression inputs (tests/fuzz/regress/NAME, every input a fuzzer once
# crashed on), without libFuzzer. A crash or sanitizer report fails.
# usage: tests/fuzz/replay.sh BUILD/fuzz NAME...
set -u
bin=$1
shift
cd "$(dirname "$0")/../.." || exit 2
pass=0 fail=0
for name in "$@"; do
    dirs=
    for d in "tests/fuzz/corpus/$name" "tests/fuzz/regress/$name"; do
        [ -d "$d" ] && dirs="$dirs $d"
    done
    if [ -z "$dirs" ]; then
        echo "FAIL fuzz_$name: no corpus"; fail=$((fail + 1)); continue
    fi
    # shellcheck disable=SC2086
    if n=$("$bin/fuzz_$name" $dirs 2> "$bin/replay_$name.err"); then
        echo "ok   fuzz_$name: $n inputs replayed ($(echo $dirs | sed 's| |, |g'))"
        pass=$((pass + 1))
    else
        echo "FAIL fuzz_$name: the replay failed:"; tail -n 30 "$bin/replay_$name.err"
        fail=$((fail + 1))
    fi
done
echo "fuzz replay: $pass passed, $fail failed"
[ $fail -eq 0 ] && [ $pass -gt 0 ]
