#!/bin/sh
# make check's driver and its closing count: runs every suite (a make target
# of TESTS) in every pass, each in a make of its own, keeps its output, and
# counts it as exactly one of
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
# With CHECK_LANES=2 the first pass (the plain build, the longest) runs in
# one lane, its output shown, while the other passes run one after the
# other in a second lane, one line per suite shown and the rest in its log:
# many suites run one program at a time, so one lane leaves a core idle
# most of the time. The passes' build folders are separate. Every pass's
# programs are built first, on every core, before the lanes start.
#
# The last line is "suites: N passed, N failed, N skipped" (CI reads it);
# the exit status is 1 when a suite failed, after every suite has run.
#
# usage: MAKE=make [CHECK_JOBS=N] [CHECK_LANES=1|2] sh tests/run_check.sh LOGDIR PASS... -- SUITE...
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
mkdir -p "$logs" && rm -f "$logs"/*.log "$logs"/*.status "$logs"/*.result "$logs/times" || exit 2
trap 'exit 130' INT TERM
start=$(date +%s)

# pass_args P / pass_suites P: the make arguments and the suites of pass P
pass_args() {
    eval "a=\$pass_$1"
    case $a in *" @ "*) a=${a%% @ *} ;; esac
    echo "$a"
}
pass_suites() {
    eval "a=\$pass_$1"
    case $a in *" @ "*) echo "${a#* @ }" ;; *) echo "$suites" ;; esac
}

# build P: pass P's programs, on every core (CHECK_JOBS); a failure here
# shows again in the suites, which each run make themselves
build() {
    args=$(pass_args "$1")
    label=${args:-plain build}
    echo "== building the programs of the pass [$label] with -j$CHECK_JOBS"
    t0=$(date +%s)
    # shellcheck disable=SC2086
    ${MAKE:-make} --no-print-directory -j"$CHECK_JOBS" $args check-prereqs > "$logs/$1-build.log" 2>&1 ||
        echo "(the build failed: $logs/$1-build.log; the suites will say what is missing)"
    echo "$(($(date +%s) - t0)) (building the programs) [$label]" >> "$logs/times"
}

# run_pass P SHOW: every suite of pass P, its output shown when SHOW is 1
# (else one line per suite); each suite's verdict goes to LOGDIR/P-SUITE.result
run_pass() {
    args=$(pass_args "$1")
    label=${args:-plain build}
    for suite in $(pass_suites "$1"); do
        log=$logs/$1-$suite.log
        t0=$(date +%s)
        if [ "$2" = 1 ]; then
            echo "== $suite [$label]"
            # shellcheck disable=SC2086
            { ${MAKE:-make} --no-print-directory $args "$suite" 2>&1; echo $? > "$log.status"; } | tee "$log"
        else
            # shellcheck disable=SC2086
            ${MAKE:-make} --no-print-directory $args "$suite" > "$log" 2>&1
            echo $? > "$log.status"
        fi
        status=$(cat "$log.status" 2> /dev/null || echo 1)
        secs=$(($(date +%s) - t0))
        echo "$secs $suite [$label]" >> "$logs/times"
        if [ "$status" != 0 ]; then
            verdict=failed
            echo "FAILED   $suite [$label]: status $status; its output: $log" > "$log.result"
        elif reason=$(grep -m 1 '^skipped: ' "$log"); then
            verdict=skipped
            echo "skipped  $suite [$label]: ${reason#skipped: }" > "$log.result"
        else
            verdict=passed
            grep -i 'skipped' "$log" | grep -v '^\[  SKIPPED \] [0-9]* test(s), listed below' |
                awk -v at="$suite [$label]" '!seen[$0]++ { print "part     " at ": " $0 }' > "$log.result"
        fi
        echo "$verdict" >> "$log.result"
        [ "$2" = 1 ] || echo "== $suite [$label]: $verdict ($secs s; its output: $log)"
    done
}

p=0
while [ $p -lt $npass ]; do
    p=$((p + 1))
    [ -n "${CHECK_JOBS:-}" ] && build $p
done
if [ "${CHECK_LANES:-1}" -ge 2 ] && [ $npass -ge 2 ]; then
    (p=1; while [ $p -lt $npass ]; do p=$((p + 1)); run_pass $p 0; done) &
    lane=$!
    run_pass 1 1
    wait $lane
else
    p=0
    while [ $p -lt $npass ]; do p=$((p + 1)); run_pass $p 1; done
fi

# the count, in the passes' and suites' order
passed=0 failed=0 skipped=0
: > "$logs/summary"
p=0
while [ $p -lt $npass ]; do
    p=$((p + 1))
    for suite in $(pass_suites $p); do
        result=$logs/$p-$suite.log.result
        verdict=$(tail -n 1 "$result" 2> /dev/null || echo failed)
        case $verdict in
        passed) passed=$((passed + 1)) ;;
        skipped) skipped=$((skipped + 1)) ;;
        *) failed=$((failed + 1)) ;;
        esac
        sed '$d' "$result" >> "$logs/summary" 2> /dev/null
    done
done

echo "== make check: $((passed + failed + skipped)) suites, $npass passes (logs in $logs)"
# where the time went (the 20-minute budget is kept by looking here)
total=$(awk '{ s += $1 } END { print s + 0 }' "$logs/times")
wall=$(($(date +%s) - start))
echo "$((wall / 60)) min $((wall % 60)) s from start to end ($((total / 60)) min $((total % 60)) s of suites and builds, ${CHECK_LANES:-1} lane(s)); the slowest suites (seconds):"
sort -rn "$logs/times" | head -12 | sed 's/^/  /'
cat "$logs/summary"
# the end of each failed suite's output (a second lane's was not shown)
grep '^FAILED' "$logs/summary" | sed 's/.*its output: //' | while read -r log; do
    echo "---- the end of $log:"
    tail -n 30 "$log"
done
if [ $failed -eq 0 ]; then
    echo "make check: no suite failed"
else
    echo "make check: failed (the FAILED lines above)"
fi
echo "suites: $passed passed, $failed failed, $skipped skipped"
[ $failed -eq 0 ]
