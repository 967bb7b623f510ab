#!/bin/sh
# check_eval.sh - an example's `lstmc eval` output beside the score its
# training script published (results.txt), failing unless they agree.
#
#   sh examples/common/check_eval.sh NAME EVAL_OUT RESULTS_TXT CHECK...
#
# Each CHECK is EVAL_KEY=RESULTS_KEY~BOUND: the value of EVAL_KEY in
# EVAL_OUT ("key value" lines) against RESULTS_KEY's in RESULTS_TXT, within
# BOUND: "rel:1e-4" (relative), "abs:1e-5" (absolute), or "abs:@KEY" (the
# absolute bound is RESULTS_TXT's KEY, e.g. a count of borderline cases).
set -eu
name=$1 got=$2 want=$3
shift 3
for check in "$@"; do
    awk -v name="$name" -v check="$check" '
        BEGIN { split(check, a, /[=~]/); gk = a[1]; wk = a[2]; split(a[3], b, ":"); kind = b[1]; bound = b[2] }
        FILENAME == ARGV[1] && $1 == gk { got = $2 }
        FILENAME == ARGV[2] && $1 == wk { want = $2 }
        FILENAME == ARGV[2] && ("@" $1) == bound { boundv = $2 }
        END {
            if (got == "" || want == "") { printf "%s: error: no %s to compare\n", name, gk > "/dev/stderr"; exit 1 }
            if (substr(bound, 1, 1) == "@") bound = boundv
            d = got - want; if (d < 0) d = -d
            limit = kind == "rel" ? bound * (want < 0 ? -want : want) : bound
            printf "%s: %s, lstmc eval %s, PyTorch %s (%s)\n", name, wk, got, want, kind " " bound
            if (!(d <= limit)) { printf "%s: error: they differ by %g, more than %g\n", name, d, limit > "/dev/stderr"; exit 1 }
        }' "$got" "$want"
done
