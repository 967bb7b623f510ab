#!/bin/sh
# make check's driver and its closing count: runs every suite (a make target
# of TESTS) in every pass, each in a make of its own, shows and keeps its
# output, and counts it as exactly one of
#   failed   its make failed (the test failed, or a tool it needs is missing
#            although .ci/run installs it);
#   skipped  its make succeeded and it printed a line that starts with
#            "skipped: " and gives the reason: nothing of it could run here,
#            e.g. check-llvm with an lstmc built without LLVM (which checks
#            only the message that says so);
#   passed   otherwise.
# A part of a passing suite that could not run here (the JIT half of the
# fixtures without LLVM, a cmocka test that skip()s) prints a line with
# "skipped" in it; those lines are listed at the end, under their suite.
# So a test whose tool is missing is either a failure or reported skipped,
# never counted as passed. Each suite's seconds go to LOGDIR/times, and the
# slowest are printed at the end: make check's 20-minute budget is kept there.
#
# The last line is "suites: N passed, N failed, N skipped" (CI reads it);
# the exit status is 1 when a suite failed, after every suite has run.
#
# usage: MAKE=make [CHECK_JOBS=N] sh tests/run_check.sh LOGDIR PASS... -- SUITE...
#   CHECK_JOBS: build each pass's programs (make check-prereqs) with -jN first.
#   PASS: the make arguments of one pass ("" for the plain build, "SAN=1",
#   "LLVM_CONFIG= B=build/nollvm"); the logs go to LOGDIR/P-SUITE.log.
#   "ARGS @ SUITE..." runs only those suites in that pass.
set -u
logs=$1
shift
npass=0
while [ $# -gt 0 ] && [ "$1" != -- ]; do
    npass=$((npass + 1))
    eval "pass_$npass=\$1"
    shift
done
[ $# -gt 0 ] && shift
suites=$*
if [ $npass -eq 0 ] || [ -z "$suites" ]; then
    echo "usage: MAKE=make sh tests/run_check.sh LOGDIR PASS... -- SUITE..." >&2
    exit 2
fi
mkdir -p "$logs" && rm -f "$logs"/*.log "$logs"/*.status "$logs/times" || exit 2
trap 'exit 130' INT TERM

passed=0 failed=0 skipped=0
: > "$logs/summary"
p=0
while [ $p -lt $npass ]; do
    p=$((p + 1))
    eval "args=\$pass_$p"
    pass_suites=$suites
    case $args in
    *" @ "*) pass_suites=${args#* @ } args=${args%% @ *} ;;
    esac
    label=${args:-plain build}
    # its programs first, on every core (CHECK_JOBS); a failure here shows
    # again in the suites, which each run make themselves
    if [ -n "${CHECK_JOBS:-}" ]; then
        echo "== building the programs of the pass [$label] with -j$CHECK_JOBS"
        t0=$(date +%s)
        # shellcheck disable=SC2086
        ${MAKE:-make} --no-print-directory -j"$CHECK_JOBS" $args check-prereqs > "$logs/$p-build.log" 2>&1 ||
            echo "(the build failed: $logs/$p-build.log; the suites will say what is missing)"
        echo "$(($(date +%s) - t0)) (building the programs) [$label]" >> "$logs/times"
    fi
    for suite in $pass_suites; do
        log=$logs/$p-$suite.log
        echo "== $suite [$label]"
        t0=$(date +%s)
        # shellcheck disable=SC2086
        { ${MAKE:-make} --no-print-directory $args "$suite" 2>&1; echo $? > "$log.status"; } | tee "$log"
        status=$(cat "$log.status" 2> /dev/null || echo 1)
        echo "$(($(date +%s) - t0)) $suite [$label]" >> "$logs/times"
        if [ "$status" != 0 ]; then
            failed=$((failed + 1))
            echo "FAILED   $suite [$label]: status $status; its output: $log" >> "$logs/summary"
        elif reason=$(grep -m 1 '^skipped: ' "$log"); then
            skipped=$((skipped + 1))
            echo "skipped  $suite [$label]: ${reason#skipped: }" >> "$logs/summary"
        else
            passed=$((passed + 1))
            grep -i 'skipped' "$log" | grep -v '^\[  SKIPPED \] [0-9]* test(s), listed below' |
                awk -v at="$suite [$label]" '!seen[$0]++ { print "part     " at ": " $0 }' >> "$logs/summary"
        fi
    done
done

echo "== make check: $((passed + failed + skipped)) suites, $npass passes (logs in $logs)"
# where the time went (the 20-minute budget is kept by looking here)
total=$(awk '{ s += $1 } END { print s + 0 }' "$logs/times")
echo "$((total / 60)) min $((total % 60)) s in all; the slowest suites (seconds):"
sort -rn "$logs/times" | head -12 | sed 's/^/  /'
cat "$logs/summary"
if [ $failed -eq 0 ]; then
    echo "make check: no suite failed"
else
    echo "make check: failed (the FAILED lines above)"
fi
echo "suites: $passed passed, $failed failed, $skipped skipped"
[ $failed -eq 0 ]
