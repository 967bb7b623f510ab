#!/bin/sh
# Runs the same weights through the two spec variants with the reference
# interpreter and prints them side by side: the step, its two inputs, the
# 1997 block LSTM's output and the coupled-gate (CIFG) variant's.
# With --check, also compares both columns with expected.txt (1e-5).
# usage: examples/variants/compare.sh path/to/lstmc [--check]
set -eu
lstmc=$1
here=$(dirname "$0")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$lstmc" run "$here/block1997.lstm" "$here/input.txt" > "$tmp/a"
"$lstmc" run "$here/cifg.lstm" "$here/input.txt" > "$tmp/b"
paste -d ' ' "$tmp/a" "$tmp/b" > "$tmp/both"
printf '%4s %9s %5s %12s %12s\n' step sin pulse "block 1997" "CIFG"
paste -d ' ' "$here/input.txt" "$tmp/both" |
    awk '{ printf "%4d %9.6f %5d %12.6f %12.6f\n", NR - 1, $1, $2, $3, $4 }'
if [ "${2:-}" = --check ]; then
    d=$(awk -f "$here/../../tests/maxdiff.awk" "$tmp/both" "$here/expected.txt")
    awk -v d="$d" 'BEGIN { exit !(d <= 1e-5) }'
    echo "example variants: max |diff| vs expected.txt $d"
fi
