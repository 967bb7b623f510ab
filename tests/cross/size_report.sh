#!/bin/sh
# size_report.sh - code size of the examples for a Cortex-M4F (make
# size-report): bytes of .text (every .text* section: code and its literal
# pools; the weights are .rodata, the same in both) of
#   - the C backend's model.c compiled by arm-none-eabi-gcc -Os and -O2
#     (-mthumb -mcpu=cortex-m4 -mfpu=fpv4-sp-d16 -mfloat-abi=hard);
#   - the LLVM backend's object (lstmc compile --emit obj --target
#     thumbv7em-none-eabihf) at --opt-level 3 (the default), s and z;
# and the ratio of LLVM s and z to gcc -Os (the issue asks for at most 1.5).
# Every function of the model's API is counted (step, run, run_batch, reset,
# state_bytes): a program that links with --gc-sections keeps fewer.
#
# usage: tests/cross/size_report.sh path/to/lstmc
set -u
lstmc=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
root=$(cd "$(dirname "$0")/../.." && pwd)
cc=arm-none-eabi-gcc
cflags="-mthumb -mcpu=cortex-m4 -mfpu=fpv4-sp-d16 -mfloat-abi=hard"
size=$(command -v llvm-size || command -v llvm-size-14 || command -v arm-none-eabi-size)
if ! command -v $cc > /dev/null 2>&1 || [ -z "$size" ]; then
    echo "size report: skipped ($cc or a size tool not installed; .ci/run installs them)"
    exit 0
fi
if "$lstmc" compile "$root/tests/pytorch/v1_single.lstm" --emit obj -o /dev/null/x 2>&1 |
        grep -q "built without the LLVM backend"; then
    echo "size report: skipped (this lstmc was built without LLVM)"
    exit 0
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/lstmc-size.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT

# text FILE.o: bytes of its .text sections
text() { "$size" -A "$1" | awk '$1 ~ /^\.text/ { n += $2 } END { print n + 0 }'; }

echo "Cortex-M4F code bytes (.text), all of each model's functions; weights (.rodata) not counted"
echo
echo "| example | gcc -Os | gcc -O2 | LLVM --opt-level 3 | LLVM s | LLVM z | s / gcc -Os | z / gcc -Os |"
echo "|---|---|---|---|---|---|---|---|"
worst=0
for spec in "$root"/examples/*/*.lstm; do
    name=$(basename "$(dirname "$spec")")
    [ "$(basename "$spec")" = model.lstm ] || name=$name/$(basename "$spec" .lstm)
    o=$tmp/$(echo "$name" | tr / -)
    if ! "$lstmc" compile "$spec" -o "$o" 2> "$tmp/err" ||
        ! $cc $cflags -Os -c -o "$o-Os.o" "$o.c" 2>> "$tmp/err" ||
        ! $cc $cflags -O2 -c -o "$o-O2.o" "$o.c" 2>> "$tmp/err"; then
        echo "FAIL $name: $(head -3 "$tmp/err")"
        exit 1
    fi
    row="| $name | $(text "$o-Os.o") | $(text "$o-O2.o")"
    for opt in 3 s z; do
        if ! "$lstmc" compile "$spec" --emit obj --target thumbv7em-none-eabihf --opt-level $opt \
                -o "$o-llvm-$opt" 2> "$tmp/err"; then
            echo "FAIL $name --opt-level $opt: $(head -3 "$tmp/err")"
            exit 1
        fi
        row="$row | $(text "$o-llvm-$opt.o")"
    done
    gos=$(text "$o-Os.o")
    rs=$(awk -v a="$(text "$o-llvm-s.o")" -v b="$gos" 'BEGIN { printf "%.2f", a / b }')
    rz=$(awk -v a="$(text "$o-llvm-z.o")" -v b="$gos" 'BEGIN { printf "%.2f", a / b }')
    worst=$(awk -v w="$worst" -v r="$rs" 'BEGIN { print (r > w ? r : w) }')
    echo "$row | $rs | $rz |"
done
echo
echo "largest ratio of LLVM --opt-level s to gcc -Os: $worst"
