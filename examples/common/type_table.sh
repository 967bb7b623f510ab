#!/bin/sh
# type_table.sh - README's table of the three trained examples (the adding
# problem, the 1997 block LSTM on the embedded Reber grammar, the char-LM)
# against how they are stored and computed: float32, float16, bfloat16 and
# int8 weights (float arithmetic), int8 weights with products int8 (h in
# int8 in the recurrent products), and integer-only arithmetic int16.
#   flash, RAM  the generated header's banner (lstmc compile --name model:
#               the weights' bytes, the state's; int16: weights, scales,
#               biases and tables, and its state with scratch)
#   ns/step     one model_step of the generated code (examples/common/
#               time_step.c, cc -O3 -march=native, 256-step sequences):
#               the median over ROUNDS rounds in which every build runs in
#               turn, and its ratio to float32's of the same example
#   score       examples/common/weight_types.sh (make accuracy-weights),
#               whose int16 ranges the int16 builds use
# `make type-table` runs it (a few minutes; not part of make check).
#
#   sh examples/common/type_table.sh path/to/lstmc OUTDIR
# environment: CC (default cc), TYPE_TABLE_ROUNDS (default 7)
set -eu
lstmc=$1 out=$2
ex=$(cd "$(dirname "$0")/.." && pwd)
cc=${CC:-cc}
rounds=${TYPE_TABLE_ROUNDS:-7}
types="f32 f16 bf16 int8 int8p int16"
examples="adding blocks1997 charlm"
mkdir -p "$out"

sh "$ex/common/weight_types.sh" "$lstmc" "$out/scores" > "$out/scores.txt"

# the code of each example and type, its banner's figures, a timing program
for e in $examples; do
    case $e in
        adding) ranges=adding.ranges ;;
        blocks1997) ranges=reber.ranges ;;
        *) ranges=charlm.ranges ;;
    esac
    for t in $types; do
        d=$out/code/$e-$t
        mkdir -p "$d"
        if [ "$t" = int16 ]; then
            "$lstmc" compile "$ex/$e/model.lstm" --arithmetic int16 --ranges "$out/scores/int16/$ranges" \
                --name model -o "$d/model"
        elif [ "$t" = int8p ]; then
            "$lstmc" compile "$ex/$e/model.lstm" --weights-type int8 --products int8 --name model -o "$d/model"
        else
            "$lstmc" compile "$ex/$e/model.lstm" --weights-type "$t" --name model -o "$d/model"
        fi
        # shellcheck disable=SC2086
        $cc -O3 -march=native -I"$d" -o "$d/time" "$ex/common/time_step.c" "$d/model.c" -lm
        sed -n 's/^ \* flash: *\([0-9]*\) bytes.*/\1/p' "$d/model.h" > "$d/flash"
        sed -n 's/^ \* RAM: *\([0-9]*\) bytes.*/\1/p' "$d/model.h" > "$d/ram"
        [ -s "$d/flash" ] && [ -s "$d/ram" ] ||
            { echo "type_table.sh: error: no flash or RAM in the banner of $d/model.h" >&2; exit 1; }
    done
done

# the rounds: every build in turn, so that the machine's noise hits all alike
r=0
while [ $r -lt "$rounds" ]; do
    for e in $examples; do
        for t in $types; do
            "$out/code/$e-$t/time" 1 >> "$out/code/$e-$t/times"
        done
    done
    r=$((r + 1))
done
median() { sort -n "$1" | awk '{ v[NR] = $1 } END { print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# score COLUMN TYPE: weight_types.sh's figure of an example for a type
score() {
    awk -v c="$1" -v t="$2" 'BEGIN { FS = "  +" } $1 == t { print $c }' "$out/scores.txt"
}

echo "| example | type | flash (bytes) | RAM (bytes) | ns/step (speed-up over float32) | score |"
echo "|---|---|---|---|---|---|"
for e in $examples; do
    base=$(median "$out/code/$e-f32/times")
    case $e in
        adding) col=2 what="MSE, solved of 2000" ;;
        blocks1997) col=3 what="strings right, MSE" ;;
        *) col=4 what="bits/char" ;;
    esac
    for t in $types; do
        d=$out/code/$e-$t
        ns=$(median "$d/times")
        s=$(score $col "$t")
        [ -n "$s" ] || { echo "type_table.sh: error: no $t score of $e in $out/scores.txt" >&2; exit 1; }
        awk -v e="$e" -v t="$t" -v f="$(cat "$d/flash")" -v ram="$(cat "$d/ram")" -v ns="$ns" -v b="$base" \
            -v s="$s" -v w="$what" 'function commas(n,    s) {
                s = sprintf("%d", n)
                while (s ~ /[0-9][0-9][0-9][0-9]/) sub(/[0-9][0-9][0-9]($|,)/, ",&", s)
                return s
            }
            BEGIN { printf "| %s | %s | %s | %s | %s (%.2fx) | %s: %s |\n", e, t == "int16" ? "int16 (integer-only)" : t == "int8p" ? "int8, products int8" : t,
                           commas(f), commas(ram), commas(ns + 0.5), b / ns, w, s }'
    done
done
