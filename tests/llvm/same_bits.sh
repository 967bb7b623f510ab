#!/bin/sh
# The two backends print the same LowModel, so on one machine they must
# compute the same floats, not merely close ones: for random models
# (tests/diff/randmodel.c: blocks, projection, peepholes, directions, heads)
# and the examples, the C backend's code (cc -std=c99 -O2 -march=native,
# the host's vector layer) and the LLVM backend's object (the host's CPU)
# run tests/llvm/driver.c on the same input, and their outputs (printed to
# 9 significant digits, enough to tell any two floats apart) must be
# byte-identical. A difference means the two added in different orders,
# fused differently, or one has a bug the tolerance of the differential
# suite hides. Every third seed is built with --chunk 1, every third + 1
# with --activations exact.
# Prints ok/FAIL lines and "same bits: N passed, N failed"; without -march=native
# (a compiler that lacks it), "same bits: skipped (...)".
#
# usage: tests/llvm/same_bits.sh path/to/lstmc N   (an lstmc with LLVM)
set -u
lstmc=$1 n=$2
here=$(cd "$(dirname "$0")/.." && pwd)
cc=${CC:-cc}
randmodel=$(dirname "$lstmc")/tests/randmodel
tmp=$(mktemp -d "${TMPDIR:-/tmp}/lstmc-bits.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT
if ! echo 'int main(void) { return 0; }' | $cc -march=native -x c -o "$tmp/probe" - 2> /dev/null; then
    echo "same bits: skipped ($cc does not take -march=native)"
    exit 0
fi
pass=0 fail=0

# same WHAT SPEC INPUT FLAGS...: both backends' programs on INPUT
same() {
    what=$1 spec=$2 input=$3
    shift 3
    d=$tmp/m
    rm -rf "$d" && mkdir -p "$d/c" "$d/o"
    if ! "$lstmc" compile "$spec" --name model "$@" -o "$d/c/model" 2> "$d/err" ||
        ! "$lstmc" compile "$spec" --name model --emit obj "$@" -o "$d/o/model" 2>> "$d/err" ||
        ! $cc -std=c99 -O2 -march=native -I"$d/c" -I"$here/../runtime" -o "$d/c/prog" "$here/llvm/driver.c" \
            "$here/../runtime/lstmc_rows.c" "$d/c/model.c" -pthread -lm 2>> "$d/err" ||
        ! $cc -std=c99 -O2 -I"$d/o" -I"$here/../runtime" -o "$d/o/prog" "$here/llvm/driver.c" \
            "$here/../runtime/lstmc_rows.c" "$d/o/model.o" -pthread -lm 2>> "$d/err"; then
        echo "FAIL $what: $(head -3 "$d/err")"; fail=$((fail + 1)); return
    fi
    "$d/c/prog" "$input" > "$d/c/out" 2>&1
    "$d/o/prog" "$input" > "$d/o/out" 2>&1
    if [ -s "$d/c/out" ] && cmp -s "$d/c/out" "$d/o/out"; then
        echo "ok   $what: $(wc -l < "$d/c/out") output rows, the same bits"; pass=$((pass + 1))
    else
        echo "FAIL $what: the outputs differ ($(cmp "$d/c/out" "$d/o/out" 2>&1 | head -1))"
        echo "     reproduce: $lstmc compile $spec --name model $* (and --emit obj), tests/llvm/driver.c"
        fail=$((fail + 1))
    fi
}

# the examples, on three sequences of 12 random rows of their input width
for ex in blocks1997 adding embed charlm quickstart; do
    spec=$here/../examples/$ex/model.lstm
    width=$(sed -n 's/^ *input \([0-9]*\);.*/\1/p' "$spec" | head -1)
    awk -v width="$width" 'BEGIN {
        srand(7)
        for (q = 0; q < 3; q++) {
            for (t = 0; t < 12; t++)
                for (k = 0; k < width; k++)
                    printf "%.4f%s", rand() * 2 - 1, k < width - 1 ? " " : "\n"
            print ""
        } }' > "$tmp/$ex.txt"
    same "example $ex" "$spec" "$tmp/$ex.txt"
done

# the backward directions on threads of their own (--threads 2): the bits of
# one thread, in both backends (a bidirectional GRU and LSTM, stacked)
for case in g2_gru_bidir_stacked_head p2_bidir_stacked; do
    spec=$here/pytorch/$case.lstm input=$here/fixtures/pytorch/$case/input.txt
    same "$case --threads 2" "$spec" "$input" --threads 2
    cp "$tmp/m/o/out" "$tmp/threads.out" 2> /dev/null
    cp "$tmp/m/o/model.h" "$tmp/threads.h" 2> /dev/null
    same "$case" "$spec" "$input"
    if ! grep -q "define MODEL_DIRECTION_THREADS 2" "$tmp/threads.h" 2> /dev/null; then
        echo "FAIL $case --threads 2: the header has no MODEL_DIRECTION_THREADS"; fail=$((fail + 1))
    elif [ -s "$tmp/threads.out" ] && cmp -s "$tmp/m/o/out" "$tmp/threads.out"; then
        echo "ok   $case: --threads 2 gives the bits of one thread"; pass=$((pass + 1))
    else
        echo "FAIL $case: --threads 2 and one thread differ"; fail=$((fail + 1))
    fi
done

# the narrow weight types in both backends; bfloat16 rows in pairs of
# vectors are read two vectors per load (lower.h: pair_bf16), which the C
# of the char-LM (an LSTM, tiles of 64 rows) must do, or this no longer
# tests it; a GRU (tiles of 48 rows: no pairs) with threads
for t in f16 int8 bf16; do
    same "example charlm --weights-type $t" "$here/../examples/charlm/model.lstm" "$tmp/charlm.txt" --weights-type $t
done
if grep -q "rt_vload_bf16_pair(" "$tmp/m/c/model.c" 2> /dev/null; then
    echo "ok   example charlm --weights-type bf16: the C reads bfloat16 two vectors per load"; pass=$((pass + 1))
else
    echo "FAIL example charlm --weights-type bf16: the C has no rt_vload_bf16_pair"; fail=$((fail + 1))
fi
# products int8 (h in int8, exact int32 sums: vpdpbusd in both where the
# host has VNNI), the char-LM and a stacked LSTM of the fixtures
same "example charlm --products int8" "$here/../examples/charlm/model.lstm" "$tmp/charlm.txt" \
    --weights-type int8 --products int8
same "p2_bidir_stacked --products int8" "$here/pytorch/p2_bidir_stacked.lstm" \
    "$here/fixtures/pytorch/p2_bidir_stacked/input.txt" --weights-type int8 --products int8
case=g2_gru_bidir_stacked_head
same "$case --weights-type bf16 --threads 2" "$here/pytorch/$case.lstm" "$here/fixtures/pytorch/$case/input.txt" \
    --weights-type bf16 --threads 2

# layers whose recurrent weights pass 256 KiB take their tiles in alternate
# orders step by step (lower.h: alternate), which no random model is large
# enough for: a bidirectional GRU (a backward cell; --threads 2, each
# direction on its thread) and a streaming LSTM (the C's --threads 2 splits
# its tiles, which must give the bits of one thread), each C file checked
# to have the alternating loop
awk 'BEGIN { srand(11); for (q = 0; q < 2; q++) { for (t = 0; t < 9; t++)
    for (k = 0; k < 8; k++) printf "%.4f%s", rand() * 2 - 1, k < 7 ? " " : "\n"; print "" } }' > "$tmp/alt.txt"
alternates() {   # alternates WHAT: the last C file has the alternating loop
    if grep -q "size_t back)" "$tmp/m/c/model.c" 2> /dev/null; then
        echo "ok   $1: the C alternates the tiles' order"; pass=$((pass + 1))
    else
        echo "FAIL $1: the C has no recurrence taking back"; fail=$((fail + 1))
    fi
}
for layer in 'gru g { hidden 320; direction bidirectional; reset after; from pytorch "g"; }' \
    'lstm l { hidden 256; from pytorch "l"; }'; do
    printf 'model alt {\n    input 8;\n    weights "alt.safetensors";\n    %s\n    output sequence;\n}\n' \
        "$layer" > "$tmp/alt.lstm"
    alt="${layer%% \{*} of alternating tiles"
    if ! "$lstmc" init "$tmp/alt.lstm" -o "$tmp/alt.safetensors" > "$tmp/alt.err" 2>&1; then
        echo "FAIL $alt: lstmc init: $(head -1 "$tmp/alt.err")"; fail=$((fail + 1)); continue
    fi
    same "$alt" "$tmp/alt.lstm" "$tmp/alt.txt"
    alternates "$alt"
    # both backends alternate alike: the interpreter, which does not, says
    # whether the order lost a tile
    if "$lstmc" run "$tmp/alt.lstm" "$tmp/alt.txt" > "$tmp/alt.ref" 2> "$tmp/alt.err" &&
        diff=$(awk -f "$here/maxdiff.awk" "$tmp/m/c/out" "$tmp/alt.ref") &&
        awk -v d="$diff" 'BEGIN { exit !(d <= 1e-5) }'; then
        echo "ok   $alt: within 1e-5 of lstmc run (max |diff| $diff)"; pass=$((pass + 1))
    else
        echo "FAIL $alt: against lstmc run, max |diff| ${diff:-?} $(head -1 "$tmp/alt.err")"; fail=$((fail + 1))
    fi
    case $layer in
    gru*)
        same "$alt --threads 2" "$tmp/alt.lstm" "$tmp/alt.txt" --threads 2
        alternates "$alt --threads 2" ;;
    *)
        d=$tmp/m
        if "$lstmc" compile "$tmp/alt.lstm" --name model --threads 2 -o "$d/c/model" 2> "$d/err" &&
            grep -q "define MODEL_THREADS 2" "$d/c/model.h" &&
            $cc -std=c99 -O2 -march=native -I"$d/c" -I"$here/../runtime" -o "$d/c/prog" "$here/llvm/driver.c" \
                "$here/../runtime/lstmc_rows.c" "$d/c/model.c" -pthread -lm 2>> "$d/err" &&
            "$d/c/prog" "$tmp/alt.txt" > "$d/c/out2" 2>&1 && cmp -s "$d/c/out" "$d/c/out2"; then
            echo "ok   $alt, C --threads 2: the bits of one thread"; pass=$((pass + 1))
        else
            echo "FAIL $alt, C --threads 2: not the bits of one thread ($(head -1 "$d/err"))"; fail=$((fail + 1))
        fi
        alternates "$alt, C --threads 2" ;;
    esac
done

seed=1
while [ "$seed" -le "$n" ]; do
    r=$tmp/rand$seed
    if "$randmodel" "$seed" "$r" > /dev/null 2>&1; then
        case $((seed % 3)) in
        0) same "random model $seed --chunk 1" "$r/model.lstm" "$r/input.txt" --chunk 1 ;;
        1) same "random model $seed --activations exact" "$r/model.lstm" "$r/input.txt" --activations exact ;;
        *) same "random model $seed" "$r/model.lstm" "$r/input.txt" ;;
        esac
    else
        echo "FAIL random model $seed: randmodel failed"; fail=$((fail + 1))
    fi
    seed=$((seed + 1))
done
echo "same bits: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
