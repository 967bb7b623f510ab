#!/bin/sh
# What the 1997 design does differently from CIFG on the same input, with
# lstmc's workbench: compare (the outputs and each layer's h and c side by
# side), run --trace (the cell states step by step) and init (fresh weights
# in the 1997 scheme, to see the designs apart from any trained values).
# With --check, also checks compare's output difference against
# expected.txt and that the 1997 cells end further from 0 than CIFG's.
# usage: examples/variants/workbench.sh path/to/lstmc [--check]
set -eu
lstmc=$1
here=$(dirname "$0")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "== lstmc compare: the same weights, the two designs"
"$lstmc" compare "$here/block1997.lstm" "$here/cifg.lstm" "$here/input.txt" | tee "$tmp/compare.txt"

echo
echo "== lstmc run --trace: cell 0's input gate i, state c and output h"
"$lstmc" run "$here/block1997.lstm" "$here/input.txt" --trace "$tmp/a.csv" > /dev/null
"$lstmc" run "$here/cifg.lstm" "$here/input.txt" --trace "$tmp/b.csv" > /dev/null
printf '%4s  %8s %8s %8s   %8s %8s %8s %8s\n' step "1997 i" c h "CIFG i" f c h
paste -d , "$tmp/a.csv" "$tmp/b.csv" | awk -F, '
    NR == 1 { for (k = 1; k <= NF; k++) col[$k, (k > NF / 2)] = k; next }
    { if ($2 % 5 != 0 && ($2 < 10 || $2 > 14)) next   # every 5th step, and the pulse
      printf "%4d  %8.4f %8.4f %8.4f   %8.4f %8.4f %8.4f %8.4f\n", $2,
        $col["mem.i.0", 0], $col["mem.c.0", 0], $col["mem.h.0", 0],
        $col["mem.i.0", 1], $col["mem.f.0", 1], $col["mem.c.0", 1], $col["mem.h.0", 1] }'

echo
echo "== lstmc init --scheme 1997: untrained weights, both designs"
"$lstmc" init "$here/block1997.lstm" --scheme 1997 --seed 1 -o "$tmp/init.safetensors"
"$lstmc" compare "$here/block1997.lstm" "$here/cifg.lstm" "$here/input.txt" -w "$tmp/init.safetensors" |
    tee "$tmp/compare_init.txt"

if [ "${2:-}" = --check ]; then
    # compare's largest output difference is the largest |difference| of
    # the two columns of expected.txt
    want=$(awk '{ d = $1 - $2; if (d < 0) d = -d; if (d > m) m = d } END { print m }' "$here/expected.txt")
    got=$(awk '$1 == "output" && $2 == "0" { print $3 }' "$tmp/compare.txt")
    awk -v a="$got" -v b="$want" 'BEGIN { d = a - b; exit !(d < 1e-6 && d > -1e-6) }' || {
        echo "example variants: error: compare says $got, expected.txt $want" >&2; exit 1; }
    # with the paper's squashing, no forget gate and the pulse, the 1997
    # cells end further from 0 than the CIFG cells
    ends=$(paste -d , "$tmp/a.csv" "$tmp/b.csv" | awk -F, '
        NR == 1 { for (k = 1; k <= NF; k++) if ($k ~ /^mem\.c\./) c[k] = (k > NF / 2); next }
        { for (k in c) { v = $k < 0 ? -$k : $k; s[c[k]] = v > s[c[k]] ? v : s[c[k]] } }
        END { printf "%g %g", s[0], s[1] }')
    set -- $ends
    awk -v a="$1" -v b="$2" 'BEGIN { exit !(a > b) }' || {
        echo "example variants: error: max |c| 1997 $1 not above CIFG's $2" >&2; exit 1; }
    echo "example variants: compare's output difference $got as expected.txt; max |c| 1997 $1, CIFG $2"
fi
