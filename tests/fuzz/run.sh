#!/bin/sh
# make fuzz: runs each libFuzzer harness for SECONDS, from the committed
# seeds plus what earlier runs found (BUILD/corpus/NAME, where new inputs
# go; the repo's corpus stays small). A crash is saved in BUILD/crashes;
# copy it to tests/fuzz/regress/NAME/ (make check-fuzz replays it) once fixed.
# -malloc_limit_mb: one allocation over 256 MB is a finding too (a small
# input must not make lstmc ask for much).
# usage: tests/fuzz/run.sh BUILD SECONDS NAME...
set -u
build=$1 secs=$2
shift 2
cd "$(dirname "$0")/../.." || exit 2
mkdir -p "$build/crashes"
status=0
for name in "$@"; do
    mkdir -p "$build/corpus/$name"
    dict=
    [ -f "tests/fuzz/$name.dict" ] && dict="-dict=tests/fuzz/$name.dict"
    echo "== fuzz_$name: $secs s"
    # shellcheck disable=SC2086
    "$build/fuzz/fuzz_$name" -max_total_time="$secs" -rss_limit_mb=2048 -malloc_limit_mb=256 \
        -timeout=10 -print_final_stats=1 $dict -artifact_prefix="$build/crashes/$name-" \
        "$build/corpus/$name" "tests/fuzz/corpus/$name" 2> "$build/fuzz_$name.log"
    rc=$?
    grep -E "^#[0-9]+.*(DONE|pulse)|stat::number_of_executed_units|stat::peak_rss|cov:" \
        "$build/fuzz_$name.log" | tail -n 3
    if [ $rc -ne 0 ]; then
        echo "fuzz_$name: FOUND A CRASH (exit $rc); see $build/fuzz_$name.log and $build/crashes"
        grep -A 12 "ERROR:" "$build/fuzz_$name.log" | head -n 20
        status=1
    fi
done
exit $status
