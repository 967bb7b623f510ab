#!/bin/sh
# size_report.sh - code size of the examples for a Cortex-M4F (make
# size-report): bytes of .text (every .text* section: code and its literal
# pools; the weights are .rodata, the same in both) of
#   - the C backend's model.c compiled by arm-none-eabi-gcc -Os and -O2
#     (-mthumb -mcpu=cortex-m4 -mfpu=fpv4-sp-d16 -mfloat-abi=hard);
#   - the LLVM backend's object (lstmc compile --emit obj --target
#     thumbv7em-none-eabihf) at --opt-level 3 (the default), s and z;
# and the ratio of LLVM s and z to gcc -Os (the issue asks for at most 1.5).
# Then, when qemu-system-arm is there, the instructions each executes for
# 64 steps of NAME_run (tests/cross/cortex-m4/bench.c).
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

# ---- the work: instructions of 64 steps (tests/cross/cortex-m4/bench.c) ----
if ! command -v qemu-system-arm > /dev/null 2>&1; then
    echo "instructions: skipped (qemu-system-arm not installed)"
    exit 0
fi
m4=$root/tests/cross/cortex-m4
link="$cflags --specs=rdimon.specs -nostartfiles -T $m4/mps2-an386.ld -Wl,--gc-sections"
# count ELF: instructions bench.c counts, or "-"
count() {
    timeout 120 qemu-system-arm -M mps2-an386 -nographic -icount shift=0 \
        -semihosting-config enable=on,target=native -kernel "$1" < /dev/null 2> /dev/null | awk '{ print $1 }'
}
echo
echo "Cortex-M4F instructions executed by NAME_run over 64 steps (QEMU -icount; not cycles)"
echo
echo "| example | gcc -Os | gcc -O2 | LLVM --opt-level 3 | LLVM s | LLVM z |"
echo "|---|---|---|---|---|---|"
for spec in "$root"/examples/*/*.lstm; do
    name=$(basename "$(dirname "$spec")")
    [ "$(basename "$spec")" = model.lstm ] || name=$name/$(basename "$spec" .lstm)
    o=$tmp/run-$(echo "$name" | tr / -)
    mkdir -p "$o"
    "$lstmc" compile "$spec" --name model -o "$o/model" 2> /dev/null || continue
    row="| $name"
    for v in Os O2; do
        $cc $link -$v -I"$o" -o "$o/gcc$v.elf" "$m4/bench.c" "$o/model.c" "$m4/startup.c" -lm > /dev/null 2>&1
        row="$row | $(count "$o/gcc$v.elf")"
    done
    for opt in 3 s z; do
        mkdir -p "$o/$opt"
        "$lstmc" compile "$spec" --emit obj --target thumbv7em-none-eabihf --opt-level $opt --name model \
            -o "$o/$opt/model" 2> /dev/null &&
        $cc $link -O2 -I"$o/$opt" -o "$o/llvm$opt.elf" "$m4/bench.c" "$o/$opt/model.o" "$m4/startup.c" -lm \
            > /dev/null 2>&1
        row="$row | $(count "$o/llvm$opt.elf")"
    done
    echo "$row |"
done
