#!/bin/sh
# weight_types.sh - the trained examples' scores with their weights stored
# as float32, float16, bfloat16 and int8 (lstmc compile --weights-type):
# the adding problem's MSE and solved count, the embedded Reber grammar's
# strings right and MSE (the 1997 block LSTM), the char-LM's bits per
# character on held-out text. Each is the example's own scorer on the
# generated C (gcc -O2); `make accuracy-weights` runs it.
#
#   sh examples/common/weight_types.sh path/to/lstmc OUTDIR
set -eu
lstmc=$1 out=$2
ex=$(cd "$(dirname "$0")/.." && pwd)
cc=${CC:-cc}
printf '%-6s  %-28s  %-30s  %s\n' type "adding: MSE, solved of 2000" "reber: strings right, MSE" "charlm: bits/char"
for t in f32 f16 bf16 int8; do
    for e in adding blocks1997 charlm; do
        d=$out/$t/$e
        mkdir -p "$d"
        "$lstmc" compile "$ex/$e/model.lstm" --weights-type "$t" -o "$d/model"
    done
    $cc -O2 -I"$out/$t/adding" -I"$ex/common" -o "$out/$t/adding/test" "$ex/adding/test.c" "$out/$t/adding/model.c" -lm
    $cc -O2 -I"$out/$t/blocks1997" -I"$ex/common" -o "$out/$t/blocks1997/test" "$ex/blocks1997/test.c" \
        "$out/$t/blocks1997/model.c" -lm
    $cc -O2 -I"$out/$t/charlm" -I"$ex/common" -o "$out/$t/charlm/sample" "$ex/charlm/sample.c" \
        "$out/$t/charlm/model.c" -lm
    # the scorers print the compiled model's figure first ("compiled X")
    "$out/$t/adding/test" "$ex/adding/results.txt" > "$out/$t/adding.txt" 2>&1 || true
    "$out/$t/blocks1997/test" "$ex/blocks1997/results.txt" > "$out/$t/reber.txt" 2>&1 || true
    "$out/$t/charlm/sample" --eval "$ex/charlm/heldout.txt" > "$out/$t/charlm.txt"
    mse=$(sed -n 's/^ *MSE: *compiled \([^,]*\),.*/\1/p' "$out/$t/adding.txt")
    solved=$(sed -n 's/^ *solved.*compiled \([0-9]*\) .*/\1/p' "$out/$t/adding.txt")
    right=$(sed -n 's/^ *strings right: *compiled \([0-9]*\),.*/\1/p' "$out/$t/reber.txt")
    rmse=$(sed -n 's/^ *MSE of the outputs: *compiled \([^,]*\),.*/\1/p' "$out/$t/reber.txt")
    bpc=$(awk '$1 == "bits/char" { print $2 }' "$out/$t/charlm.txt")
    if [ -z "$mse" ] || [ -z "$solved" ] || [ -z "$right" ] || [ -z "$rmse" ] || [ -z "$bpc" ]; then
        echo "weight_types.sh: error: a scorer's output was not understood ($out/$t)" >&2
        exit 1
    fi
    printf '%-6s  %-28s  %-30s  %s\n' "$t" "$mse, $solved" "$right of 1000, $rmse" "$bpc"
done
