#!/bin/sh
# weight_types.sh - the trained examples' scores with their weights stored
# as float32, float16, bfloat16 and int8 (lstmc compile --weights-type):
# the adding problem's MSE and solved count (lstmc eval --weights-type: the
# interpreter runs the stored values), the embedded Reber grammar's strings
# right and MSE (the 1997 block LSTM), the char-LM's bits per character on
# held-out text (each example's own scorer on the generated C, gcc -O2);
# then the int16 row: arithmetic int16 (int8 weights, int16 fixed point,
# grammar/SPEC.md "Integer-only arithmetic") in the interpreter's integer
# mode, the same scores from lstmc eval and lstmc run (the strings right
# by examples/blocks1997/strings_right.awk), each model calibrated on data
# other than its test set where there is some: 100 random adding sequences
# (awk, seed 1), the first 100 of the 1000 Reber test strings (their
# one-hot inputs only), the examples' README files for the char-LM.
# The int8p row: int8 weights with products int8 (h quantized to int8 in
# the recurrent products, grammar/SPEC.md "Integer recurrent products").
# `make accuracy-weights` runs it.
#
#   sh examples/common/weight_types.sh path/to/lstmc OUTDIR
set -eu
lstmc=$1 out=$2
ex=$(cd "$(dirname "$0")/.." && pwd)
cc=${CC:-cc}
printf '%-6s  %-28s  %-30s  %s\n' type "adding: MSE, solved of 2000" "reber: strings right, MSE" "charlm: bits/char"
mkdir -p "$out"
$cc -O2 -I"$ex/common" -o "$out/adding_data" "$ex/adding/data.c"
"$out/adding_data" "$out/adding_test.txt" "$out/adding_targets.txt"
# the flags of a row: --weights-type T, or int8p's
type_flags() {
    case $1 in
        int8p) echo "--weights-type int8 --products int8" ;;
        *) echo "--weights-type $1" ;;
    esac
}
for t in f32 f16 bf16 int8 int8p; do
    for e in blocks1997 charlm; do
        d=$out/$t/$e
        mkdir -p "$d"
        # shellcheck disable=SC2046
        "$lstmc" compile "$ex/$e/model.lstm" $(type_flags "$t") -o "$d/model"
    done
    $cc -O2 -I"$out/$t/blocks1997" -I"$ex/common" -o "$out/$t/blocks1997/test" "$ex/blocks1997/test.c" \
        "$out/$t/blocks1997/model.c" -lm
    $cc -O2 -I"$out/$t/charlm" -I"$ex/common" -o "$out/$t/charlm/sample" "$ex/charlm/sample.c" \
        "$out/$t/charlm/model.c" -lm
    # the scorers print the compiled model's figure first ("compiled X")
    # shellcheck disable=SC2046
    "$lstmc" eval "$ex/adding/model.lstm" "$out/adding_test.txt" --targets "$out/adding_targets.txt" \
        $(type_flags "$t") --metric mse,within --tolerance 0.04 > "$out/$t/adding.txt"
    "$out/$t/blocks1997/test" "$ex/blocks1997/results.txt" > "$out/$t/reber.txt" 2>&1 || true
    "$out/$t/charlm/sample" --eval "$ex/charlm/heldout.txt" > "$out/$t/charlm.txt"
    mse=$(awk '$1 == "mse" { print $2 }' "$out/$t/adding.txt")
    solved=$(awk '$1 == "within_rows" { print $2 }' "$out/$t/adding.txt")
    right=$(sed -n 's/^ *strings right: *compiled \([0-9]*\),.*/\1/p' "$out/$t/reber.txt")
    rmse=$(sed -n 's/^ *MSE of the outputs: *compiled \([^,]*\),.*/\1/p' "$out/$t/reber.txt")
    bpc=$(awk '$1 == "bits/char" { print $2 }' "$out/$t/charlm.txt")
    if [ -z "$mse" ] || [ -z "$solved" ] || [ -z "$right" ] || [ -z "$rmse" ] || [ -z "$bpc" ]; then
        echo "weight_types.sh: error: a scorer's output was not understood ($out/$t)" >&2
        exit 1
    fi
    printf '%-6s  %-28s  %-30s  %s\n' "$t" "$mse, $solved" "$right of 1000, $rmse" "$bpc"
done

# int16: the interpreter's integer mode (the generated code computes the
# same rows bit for bit: make check-int16)
d=$out/int16
mkdir -p "$d"
awk 'BEGIN { srand(1); for (s = 0; s < 100; s++) { p1 = int(rand() * 10); p2 = 10 + int(rand() * 40)
         for (t = 0; t < 100; t++) printf "%.6f %d\n", 2 * rand() - 1, t == p1 || t == p2; print "" } }' \
    > "$d/adding_calibration.txt"
"$lstmc" calibrate "$ex/adding/model.lstm" "$d/adding_calibration.txt" -o "$d/adding.ranges"
"$lstmc" eval "$ex/adding/model.lstm" "$out/adding_test.txt" --targets "$out/adding_targets.txt" \
    --arithmetic int16 --ranges "$d/adding.ranges" --metric mse,within --tolerance 0.04 > "$d/adding.txt"
"$out/f32/blocks1997/test" --write-data "$d/reber_data.txt" "$d/reber_targets.txt"
awk 'BEGIN { n = 0 } /^$/ { n++ } n < 100' "$d/reber_data.txt" > "$d/reber_calibration.txt"
"$lstmc" calibrate "$ex/blocks1997/model.lstm" "$d/reber_calibration.txt" -o "$d/reber.ranges"
"$lstmc" run "$ex/blocks1997/model.lstm" "$d/reber_data.txt" --arithmetic int16 --ranges "$d/reber.ranges" \
    > "$d/reber_out.txt"
"$lstmc" eval "$ex/blocks1997/model.lstm" "$d/reber_data.txt" --targets "$d/reber_targets.txt" \
    --arithmetic int16 --ranges "$d/reber.ranges" --metric mse > "$d/reber.txt"
cat "$ex"/*/README.md > "$d/charlm_calibration_text.txt"
sh "$ex/charlm/to_data.sh" "$d/charlm_calibration_text.txt" "$d/charlm_calibration.txt" "$d/charlm_cal_targets.txt"
sh "$ex/charlm/to_data.sh" "$ex/charlm/heldout.txt" "$d/charlm_data.txt" "$d/charlm_targets.txt"
"$lstmc" calibrate "$ex/charlm/model.lstm" "$d/charlm_calibration.txt" -o "$d/charlm.ranges"
"$lstmc" eval "$ex/charlm/model.lstm" "$d/charlm_data.txt" --targets "$d/charlm_targets.txt" --class-index \
    --arithmetic int16 --ranges "$d/charlm.ranges" --metric bits > "$d/charlm.txt"
mse=$(awk '$1 == "mse" { print $2 }' "$d/adding.txt")
solved=$(awk '$1 == "within_rows" { print $2 }' "$d/adding.txt")
right=$(awk -f "$ex/blocks1997/strings_right.awk" "$d/reber_data.txt" "$d/reber_out.txt" "$d/reber_targets.txt")
rmse=$(awk '$1 == "mse" { print $2 }' "$d/reber.txt")
bpc=$(awk '$1 == "bits" { print $2 }' "$d/charlm.txt")
if [ -z "$mse" ] || [ -z "$solved" ] || [ -z "$right" ] || [ -z "$rmse" ] || [ -z "$bpc" ]; then
    echo "weight_types.sh: error: a scorer's output was not understood ($d)" >&2
    exit 1
fi
printf '%-6s  %-28s  %-30s  %s\n' int16 "$mse, $solved" "$right of 1000, $rmse" "$bpc"
