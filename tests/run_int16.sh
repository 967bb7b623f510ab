#!/bin/sh
# Integer-only arithmetic (make check-int16): the generated C of
# `lstmc compile --arithmetic int16` against the interpreter's integer mode
# (`lstmc run --arithmetic int16`), byte for byte (the same integers, the
# same text), on
#   host        random models (tests/int16/randspec.awk: lstm layers with
#               blocks, missing or coupled gates, peepholes, clips, initial
#               states, every table activation, backward and bidirectional
#               ones, whose code takes whole sequences; dense heads; output
#               sequence, last and final) and the fixed tests/int16/*.lstm
#               (bidir.lstm: NAME_run with output final), weights from
#               `lstmc init`, calibrated on one random data set and run on
#               another of wider range (so that saturation is exercised);
#               the code compiled with gcc -std=c99 -Wall -Wextra -Wpedantic
#               -Wconversion -Wdouble-promotion -Wshadow -Werror (and clang
#               -Weverything's relevant warnings when clang is there); and
#               the LLVM backend's object (--emit obj) linked with the same
#               driver, when this lstmc has LLVM;
#   build, jit  `lstmc build --arithmetic int16` (its main.c compiled with
#               the flags above, and with --emit obj: the LLVM object) and
#               `lstmc run --jit --arithmetic int16`, on every fourth random
#               model and the three trained examples (the char-LM's softmax
#               head finished by the program), against the interpreter,
#               byte for byte; the programs' refusals;
#   cortex-m0   the adding problem and the 1997 block LSTM (examples/), the
#               fixed cases and a few random models built with arm-none-eabi-gcc
#               -mcpu=cortex-m0plus -mthumb (no FPU: the model computes in
#               integers, the test driver's conversions use soft float) and
#               run under qemu-system-arm -M microbit (a Cortex-M0, 16 KB of
#               RAM) with semihosting, the C and the LLVM object (--target
#               thumbv6m-none-eabi --cpu cortex-m0plus); the examples'
#               text/data/bss beside their float32 build for the same core
#               (default and --chunk 1, the least RAM and code).
# A part whose tools are missing says "skipped: ..." (.ci/run installs them).
#
# usage: tests/run_int16.sh path/to/lstmc
# environment: INT16_MODELS (default 40), INT16_M0_MODELS (default 4),
# INT16_KEEP=DIR (keep the folders of failing cases).
set -u
lstmc=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
root=$(cd "$(dirname "$0")/.." && pwd)
models=${INT16_MODELS:-40} m0_models=${INT16_M0_MODELS:-4}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/lstmc-int16.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM
fail=0
cc=${CC:-cc}
strict="-std=c99 -Wall -Wextra -Wpedantic -Wconversion -Wdouble-promotion -Wshadow -Werror"

# random_data SEED N AMP: 3 sequences of 4..30 steps of N numbers in [-AMP, AMP]
random_data() {
    awk -v seed="$1" -v n="$2" -v amp="$3" 'BEGIN { srand(seed)
        for (s = 0; s < 3; s++) { T = 4 + int(rand() * 27)
            for (t = 0; t < T; t++) for (k = 0; k < n; k++) printf "%.6f%s", amp * (2 * rand() - 1), k + 1 < n ? " " : "\n"
            print "" } }'
}

# prepare DIR SEED [SPEC]: a random model (or SPEC) in DIR (model.lstm,
# weights, ranges, input.txt, ref.txt from the interpreter's integer mode,
# model.c/.h)
prepare() {
    d=$1
    mkdir -p "$d"
    if [ -n "${3:-}" ]; then
        cp "$3" "$d/model.lstm"
    else
        awk -v seed="$2" -f "$root/tests/int16/randspec.awk" > "$d/model.lstm"
    fi
    "$lstmc" init "$d/model.lstm" -o "$d/weights.safetensors" --seed "$2" > "$d/log" 2>&1 || return 1
    n=$(sed -n 's/^ *input \([0-9]*\);/\1/p' "$d/model.lstm")
    random_data "$2" "$n" 1 > "$d/calibration.txt"
    random_data "$(($2 + 100000))" "$n" 1.5 > "$d/input.txt"
    "$lstmc" calibrate "$d/model.lstm" "$d/calibration.txt" -o "$d/ranges" >> "$d/log" 2>&1 &&
    "$lstmc" run "$d/model.lstm" "$d/input.txt" --arithmetic int16 --ranges "$d/ranges" > "$d/ref.txt" 2>> "$d/log" &&
    "$lstmc" compile "$d/model.lstm" --arithmetic int16 --ranges "$d/ranges" --name model -o "$d/model" >> "$d/log" 2>&1
}

# verdict NAME DIR: DIR/out.txt against DIR/ref.txt
verdict() {
    if [ -s "$2/ref.txt" ] && cmp -s "$2/out.txt" "$2/ref.txt"; then
        return 0
    fi
    echo "FAIL $1: the generated code's output differs from lstmc run --arithmetic int16" \
         "($(cmp "$2/out.txt" "$2/ref.txt" 2>&1 | head -1))"
    [ -n "${INT16_KEEP:-}" ] && mkdir -p "$INT16_KEEP" && cp -r "$2" "$INT16_KEEP/"
    return 1
}

# whether this lstmc has the LLVM backend (the obj path)
llvm=1
if "$lstmc" compile "$root/tests/pytorch/v1_single.lstm" --emit obj -o "$tmp/probe" 2>&1 |
        grep -q "built without the LLVM backend"; then
    llvm=0
    echo "int16: the --emit obj path skipped (this lstmc was built without LLVM)"
fi

# run_obj NAME DIR: the LLVM object of DIR/model.lstm for this machine, with the driver
run_obj() {
    mkdir -p "$2/obj" && cp "$2/input.txt" "$2/ref.txt" "$2/obj/" &&
    "$lstmc" compile "$2/model.lstm" --arithmetic int16 --ranges "$2/ranges" --name model --emit obj \
        -o "$2/obj/model" > "$2/obj/log" 2>&1 &&
    $cc -O2 -I"$2/obj" -o "$2/obj/prog" "$root/tests/int16/driver.c" "$2/obj/model.o" -lm >> "$2/obj/log" 2>&1 ||
        { echo "FAIL $1 (llvm obj): $(grep -m 2 -E 'error|undefined' "$2/obj/log" | tr '\n' ' ')"; return 1; }
    (cd "$2/obj" && ./prog input.txt > out.txt) && verdict "$1 (llvm obj)" "$2/obj"
}

# run_built NAME DIR [SPEC]: `lstmc build` (C, then --emit obj) and `run
# --jit` of SPEC (default DIR/model.lstm) against DIR/ref.txt
run_built() {
    r="--arithmetic int16 --ranges $2/ranges" spec=${3:-$2/model.lstm}
    # shellcheck disable=SC2086
    if ! "$lstmc" build "$spec" $r -o "$2/built" --cflags "$strict -O2" > "$2/build.log" 2>&1; then
        echo "FAIL $1 (build): $(grep -m 2 -E 'error|warning' "$2/build.log" | tr '\n' ' ')"; return 1
    fi
    "$2/built" "$2/input.txt" > "$2/built.txt" 2>> "$2/build.log" && cmp -s "$2/built.txt" "$2/ref.txt" ||
        { echo "FAIL $1 (build): the program's output differs from lstmc run --arithmetic int16"; return 1; }
    [ $llvm = 1 ] || return 0
    # shellcheck disable=SC2086
    "$lstmc" build "$spec" $r -o "$2/built-obj" --emit obj >> "$2/build.log" 2>&1 &&
        "$2/built-obj" "$2/input.txt" > "$2/built-obj.txt" 2>> "$2/build.log" &&
        cmp -s "$2/built-obj.txt" "$2/ref.txt" ||
        { echo "FAIL $1 (build --emit obj): the program's output differs from lstmc run --arithmetic int16"; return 1; }
    # shellcheck disable=SC2086
    "$lstmc" run --jit "$spec" "$2/input.txt" $r > "$2/jit.txt" 2>> "$2/build.log" &&
        cmp -s "$2/jit.txt" "$2/ref.txt" ||
        { echo "FAIL $1 (run --jit): its output differs from lstmc run --arithmetic int16"; return 1; }
}

# run_host NAME DIR: DIR's generated C, compiled with the strict flags and
# run by the driver, against DIR/ref.txt
run_host() {
    if ! $cc $strict -O2 -c -o "$2/model.o" "$2/model.c" > "$2/cc.log" 2>&1; then
        echo "FAIL $1: the generated C does not compile cleanly: $(head -3 "$2/cc.log")"
        return 1
    elif ! $cc -O2 -I"$2" -o "$2/prog" "$root/tests/int16/driver.c" "$2/model.o" -lm > "$2/cc.log" 2>&1; then
        echo "FAIL $1: the driver does not build: $(head -3 "$2/cc.log")"
        return 1
    fi
    (cd "$2" && ./prog input.txt > out.txt) && verdict "$1" "$2"
}

# ---- host: random models ----
ok=0 okobj=0 okbuilt=0 built=0 whole=0
s=1
while [ $s -le "$models" ]; do
    d=$tmp/host-$s
    if ! prepare "$d" "$s"; then
        echo "FAIL random model $s: lstmc failed: $(grep -m 1 error "$d/log")"
        fail=1
    elif run_host "random model $s" "$d"; then
        ok=$((ok + 1))
        grep -q "STREAMING *0" "$d/model.h" && whole=$((whole + 1))
        if [ $llvm = 1 ]; then
            run_obj "random model $s" "$d" && okobj=$((okobj + 1)) || fail=1
        fi
        if [ $((s % 4)) = 1 ]; then
            built=$((built + 1))
            run_built "random model $s" "$d" && okbuilt=$((okbuilt + 1)) || fail=1
        fi
    else
        fail=1
    fi
    s=$((s + 1))
done
echo "host: $ok of $models random models bit for bit ($whole of them with a backward direction: whole sequences)"
[ $llvm = 1 ] && echo "host: $okobj of $models random models' LLVM objects bit for bit"
echo "host: $okbuilt of $built random models bit for bit through lstmc build$([ $llvm = 1 ] &&
    echo ", build --emit obj and run --jit")"

# m0_object DIR SPEC: DIR/m0obj/model.o, the LLVM object of SPEC for the
# Cortex-M0 (with DIR's ranges, input and reference), when this lstmc has LLVM
m0_object() {
    [ $llvm = 1 ] || return 0
    mkdir -p "$1/m0obj" &&
    "$lstmc" compile "$2" --arithmetic int16 --ranges "$1/ranges" --name model --emit obj \
        --target thumbv6m-none-eabi --cpu cortex-m0plus -o "$1/m0obj/model" &&
        cp "$1/input.txt" "$1/ref.txt" "$1/m0obj/"
}

# ---- host: the fixed cases, through every path ----
for spec in "$root"/tests/int16/*.lstm; do
    name=$(basename "$spec" .lstm)
    d=$tmp/fixed-$name
    if ! prepare "$d" 7 "$spec"; then
        echo "FAIL fixed $name: lstmc failed: $(grep -m 1 error "$d/log")"; fail=1; continue
    fi
    run_host "fixed $name" "$d" && { [ $llvm = 0 ] || run_obj "fixed $name" "$d"; } &&
        run_built "fixed $name" "$d" && m0_object "$d" "$d/model.lstm" &&
        echo "host: fixed $name bit for bit (C$([ $llvm = 1 ] && echo ", LLVM object"), lstmc build$(
            [ $llvm = 1 ] && echo ", build --emit obj and run --jit"))" || fail=1
done
if command -v clang > /dev/null 2>&1; then
    # a streaming model's code (NAME_step) and a whole-sequence one's (NAME_run)
    clang_ok=1
    for c in "$tmp/host-1/model.c" "$tmp/fixed-bidir/model.c"; do
        clang -std=c99 -Weverything -Wno-padded -Wno-declaration-after-statement -Werror -c -o /dev/null "$c" \
            >> "$tmp/clang.log" 2>&1 || clang_ok=0
    done
    if [ $clang_ok = 1 ]; then
        echo "host: clang -Weverything (but -Wpadded, -Wdeclaration-after-statement) clean, NAME_step and NAME_run"
    else
        echo "FAIL clang -Weverything: $(head -3 "$tmp/clang.log")"
        fail=1
    fi
else
    echo "host: clang -Weverything skipped (clang is not installed; .ci/run installs it)"
fi

# ---- the examples, on the host and on a Cortex-M0 ----
ex=$root/examples
e=$tmp/examples
mkdir -p "$e/adding" "$e/blocks1997"
$cc -O2 -I"$ex/common" -o "$e/adding_data" "$ex/adding/data.c" &&
    "$e/adding_data" "$e/adding_all.txt" "$e/adding_targets.txt" || fail=1
awk 'BEGIN { n = 0 } /^$/ { n++ } n < 20' "$e/adding_all.txt" > "$e/adding/input.txt"
awk 'BEGIN { srand(1); for (s = 0; s < 20; s++) { p1 = int(rand() * 10); p2 = 10 + int(rand() * 40)
     for (t = 0; t < 100; t++) printf "%.6f %d\n", 2 * rand() - 1, t == p1 || t == p2; print "" } }' \
    > "$e/adding/calibration.txt"
for name in adding blocks1997; do
    d=$e/$name
    if [ "$name" = blocks1997 ]; then
        # the Reber test strings: test.c writes them, built on the float model
        mkdir -p "$d/reber"
        "$lstmc" compile "$ex/blocks1997/model.lstm" -o "$d/reber/model" &&
            $cc -O2 -I"$d/reber" -I"$ex/common" -o "$d/test" "$ex/blocks1997/test.c" "$d/reber/model.c" -lm &&
            "$d/test" --write-data "$d/all.txt" "$d/targets.txt" || fail=1
        awk 'BEGIN { n = 0 } /^$/ { n++ } n < 100' "$d/all.txt" > "$d/calibration.txt"
        awk 'BEGIN { n = 0 } /^$/ { n++ } n >= 100 && n < 160' "$d/all.txt" | sed '1{/^$/d}' > "$d/input.txt"
    fi
    "$lstmc" calibrate "$ex/$name/model.lstm" "$d/calibration.txt" -o "$d/ranges" &&
        "$lstmc" run "$ex/$name/model.lstm" "$d/input.txt" --arithmetic int16 --ranges "$d/ranges" > "$d/ref.txt" &&
        "$lstmc" compile "$ex/$name/model.lstm" --arithmetic int16 --ranges "$d/ranges" --name model -o "$d/model" &&
        "$lstmc" compile "$ex/$name/model.lstm" --name model -o "$d/float" &&
        mkdir -p "$d/float-chunk1" &&
        "$lstmc" compile "$ex/$name/model.lstm" --name model --chunk 1 -o "$d/float-chunk1/model" || fail=1
    if $cc $strict -O2 -I"$d" -o "$d/prog" "$root/tests/int16/driver.c" "$d/model.c" -lm > "$d/cc.log" 2>&1 &&
       (cd "$d" && ./prog input.txt > out.txt) && verdict "example $name (host)" "$d"; then
        echo "host: example $name bit for bit"
    else
        fail=1
    fi
    run_built "example $name" "$d" "$ex/$name/model.lstm" && echo "host: example $name bit for bit through lstmc build$(
        [ $llvm = 1 ] && echo ", build --emit obj and run --jit")" || fail=1
    m0_object "$d" "$ex/$name/model.lstm" || fail=1
done

# the char-LM: a softmax head, whose logits the program finishes in double
d=$e/charlm
mkdir -p "$d"
cat "$ex"/*/README.md > "$d/text.txt"
head -c 2000 "$ex/charlm/heldout.txt" > "$d/heldout.txt"
if sh "$ex/charlm/to_data.sh" "$d/text.txt" "$d/calibration.txt" "$d/calibration_targets.txt" &&
   sh "$ex/charlm/to_data.sh" "$d/heldout.txt" "$d/input.txt" "$d/targets.txt" &&
   "$lstmc" calibrate "$ex/charlm/model.lstm" "$d/calibration.txt" -o "$d/ranges" &&
   "$lstmc" run "$ex/charlm/model.lstm" "$d/input.txt" --arithmetic int16 --ranges "$d/ranges" > "$d/ref.txt" &&
   run_built "example charlm" "$d" "$ex/charlm/model.lstm"; then
    echo "host: example charlm (softmax head) bit for bit through lstmc build$([ $llvm = 1 ] &&
        echo ", build --emit obj and run --jit")"
else
    fail=1
fi

# what the int16 programs refuse, with their reasons
refused() {   # refused NAME STATUS TEXT COMMAND...
    n=$1 want=$2 text=$3
    shift 3
    "$@" > "$tmp/refused.out" 2> "$tmp/refused.err"
    got=$?
    if [ $got = "$want" ] && grep -q "$text" "$tmp/refused.err"; then
        echo "host: $n refused (exit $got)"
    else
        echo "FAIL $n: exit $got, expected $want and '$text': $(head -2 "$tmp/refused.err")"
        fail=1
    fi
}
a=$e/adding
refused "the program's --state-in" 2 "starts from its initial state" "$a/built" --state-in "$a/ref.txt" "$a/input.txt"
refused "build --shared" 2 "the library's API is the float code's" \
    "$lstmc" build "$ex/adding/model.lstm" --arithmetic int16 --ranges "$a/ranges" --shared -o "$tmp/lib.so"
refused "build --chunk" 2 "for float arithmetic" \
    "$lstmc" build "$ex/adding/model.lstm" --arithmetic int16 --ranges "$a/ranges" --chunk 4 -o "$tmp/x"
refused "build without ranges" 1 "needs the ranges" "$lstmc" build "$ex/adding/model.lstm" --arithmetic int16 -o "$tmp/x"
if [ $llvm = 1 ]; then
    "$lstmc" eval "$ex/adding/model.lstm" "$a/input.txt" --targets "$a/ref.txt" --arithmetic int16 \
        --ranges "$a/ranges" --metric mse,mae > "$a/eval.txt" &&
    "$lstmc" eval --jit "$ex/adding/model.lstm" "$a/input.txt" --targets "$a/ref.txt" --arithmetic int16 \
        --ranges "$a/ranges" --metric mse,mae > "$a/eval-jit.txt" &&
        cmp -s "$a/eval.txt" "$a/eval-jit.txt" && echo "host: eval --jit's scores are the interpreter's" ||
        { echo "FAIL eval --jit --arithmetic int16: $(cat "$a/eval-jit.txt" | tr '\n' ' ')"; fail=1; }
    refused "run --jit --activations" 2 "for float arithmetic" \
        "$lstmc" run --jit "$ex/adding/model.lstm" "$a/input.txt" --arithmetic int16 --ranges "$a/ranges" --activations exact
    refused "eval --jit --activations" 2 "for float arithmetic" "$lstmc" eval --jit "$ex/adding/model.lstm" \
        "$a/input.txt" --targets "$a/ref.txt" --arithmetic int16 --ranges "$a/ranges" --activations exact
fi
[ -e "$tmp/x" ] && { echo "FAIL a refused build left its program behind"; fail=1; }

# ---- Cortex-M0 under QEMU ----
missing=
for tool in arm-none-eabi-gcc arm-none-eabi-size qemu-system-arm; do
    command -v "$tool" > /dev/null 2>&1 || missing="$missing $tool"
done
if [ -z "$missing" ] && [ "$(arm-none-eabi-gcc -print-file-name=rdimon.specs)" = rdimon.specs ]; then
    missing=" newlib (rdimon.specs)"
fi
if [ -n "$missing" ]; then
    echo "skipped: int16 cortex-m0: not installed:$missing (.ci/run installs the cross toolchain and QEMU)"
    exit $fail
fi
m0="-O2 -mthumb -mcpu=cortex-m0plus --specs=rdimon.specs -nostartfiles -T $root/tests/cross/cortex-m0/microbit.ld \
    -Wl,--gc-sections"
startup=$root/tests/cross/cortex-m4/startup.c
# run_m0 NAME DIR: builds DIR/prog for the Cortex-M0 and runs it on DIR/input.txt
run_m0() {
    # shellcheck disable=SC2086
    if ! arm-none-eabi-gcc $m0 -I"$2" -o "$2/m0prog" "$root/tests/int16/driver.c" "$2/model.c" "$startup" -lm \
            > "$2/m0.log" 2>&1; then
        echo "FAIL $1 (cortex-m0): the build failed: $(grep -m 2 -E 'error|overflow' "$2/m0.log" | tr '\n' ' ')"
        return 1
    fi
    (cd "$2" && timeout 120 qemu-system-arm -M microbit -nographic \
        -semihosting-config "enable=on,target=native,arg=m0prog,arg=input.txt" -kernel m0prog < /dev/null \
        > out.txt 2> m0.err) || { echo "FAIL $1 (cortex-m0): exit status $? $(head -2 "$2/m0.err")"; return 1; }
    verdict "$1 (cortex-m0)" "$2"
}
for name in adding blocks1997; do
    run_m0 "example $name" "$e/$name" && echo "cortex-m0: example $name bit for bit" || fail=1
done
for d in "$tmp"/fixed-*; do
    run_m0 "fixed ${d##*/fixed-}" "$d" && echo "cortex-m0: fixed ${d##*/fixed-} bit for bit" || fail=1
done
# the LLVM objects for the Cortex-M0 (a 32-bit size_t: NAME_run's steps),
# linked by arm-none-eabi-gcc
for dir in "$e/adding" "$e/blocks1997" "$tmp"/fixed-*; do
    [ $llvm = 1 ] || break
    d=$dir/m0obj name="example ${dir##*/}"
    [ "${dir#"$tmp"/fixed-}" != "$dir" ] && name="fixed ${dir##*/fixed-}"
    # shellcheck disable=SC2086
    if ! arm-none-eabi-gcc $m0 -I"$d" -o "$d/m0prog" "$root/tests/int16/driver.c" "$d/model.o" "$startup" -lm \
            > "$d/m0.log" 2>&1; then
        echo "FAIL $name (cortex-m0, llvm obj): the link failed: $(grep -m 2 error "$d/m0.log")"; fail=1; continue
    fi
    if (cd "$d" && timeout 120 qemu-system-arm -M microbit -nographic \
            -semihosting-config "enable=on,target=native,arg=m0prog,arg=input.txt" -kernel m0prog < /dev/null \
            > out.txt 2> m0.err) && verdict "$name (cortex-m0, llvm obj)" "$d"; then
        echo "cortex-m0: $name's LLVM object bit for bit"
    else
        fail=1
    fi
done
s=1
while [ $s -le "$m0_models" ] && [ -d "$tmp/host-$s" ]; do
    run_m0 "random model $s" "$tmp/host-$s" && echo "cortex-m0: random model $s bit for bit" || fail=1
    s=$((s + 1))
done
# sizes of the model alone (its object), int16 beside float32, for the same core
echo "cortex-m0 (arm-none-eabi-gcc -O2 -mcpu=cortex-m0plus -mthumb), the model's object:"
printf '  %-12s %-14s %8s %8s %8s\n' example build text data bss
for name in adding blocks1997; do
    d=$e/$name
    for build in int16 float32 float32-chunk1; do
        src=$d/model.c
        [ $build = float32 ] && src=$d/float.c
        [ $build = float32-chunk1 ] && src=$d/float-chunk1/model.c
        # shellcheck disable=SC2086
        arm-none-eabi-gcc -O2 -mthumb -mcpu=cortex-m0plus -I"$d" -c -o "$d/$build.o" "$src" || { fail=1; continue; }
        arm-none-eabi-size "$d/$build.o" | awk -v n="$name" -v b="$build" 'NR == 2 { printf "  %-12s %-14s %8s %8s %8s\n", n, b, $1, $2, $3 }'
    done
    [ -f "$d/m0obj/model.o" ] && arm-none-eabi-size "$d/m0obj/model.o" |
        awk -v n="$name" 'NR == 2 { printf "  %-12s %-14s %8s %8s %8s  (LLVM -O3 object)\n", n, "int16", $1, $2, $3 }'
done
# the work per step (tests/int16/count_m0.c: instructions under -icount,
# not cycles), int16 beside the float32 build that fits the board's RAM
echo "cortex-m0 instructions per model_step (QEMU -icount, 64 steps; not cycles):"
printf '  %-12s %12s %12s %16s %8s\n' example int16 "int16 LLVM" "float32 chunk 1" ratio
for name in adding blocks1997; do
    d=$e/$name
    row=""
    for build in int16 int16-llvm float32-chunk1; do
        src=$d/model.c inc=$d
        [ $build = int16-llvm ] && src=$d/m0obj/model.o inc=$d/m0obj
        [ $build = float32-chunk1 ] && src=$d/float-chunk1/model.c inc=$d/float-chunk1
        n=-
        # shellcheck disable=SC2086
        if [ -f "$src" ] && arm-none-eabi-gcc $m0 -I"$inc" -o "$d/count-$build" "$root/tests/int16/count_m0.c" \
                "$src" "$startup" -lm > "$d/count.log" 2>&1; then
            n=$(timeout 120 qemu-system-arm -M microbit -nographic -icount shift=0 \
                -semihosting-config enable=on,target=native -kernel "$d/count-$build" < /dev/null 2> /dev/null |
                awk '{ print $1 }')
        fi
        [ -n "$n" ] || { echo "FAIL example $name ($build): no instruction count"; fail=1; n=-; }
        row="$row $n"
    done
    echo "$row" | awk -v n="$name" '{ printf "  %-12s %12s %12s %16s %7.1fx\n", n, $1, $2, $3, ($1 > 0 ? $3 / $1 : 0) }'
done
exit $fail
