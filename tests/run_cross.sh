#!/bin/sh
# Cross targets (make check-cross): the examples and a few random models
# built for other machines, run there under QEMU, and compared with
# `lstmc run` on this machine within 1e-5 (tests/maxdiff.awk):
#   aarch64    aarch64-linux-gnu-gcc -static, qemu-aarch64: the runtime's
#              NEON path
#   s390x      s390x-linux-gnu-gcc -static, qemu-s390x: big-endian
#   cortex-m4  arm-none-eabi-gcc for a Cortex-M4F (FPv4-SP, hard float),
#              newlib with semihosting (--specs=rdimon.specs), the startup
#              file and linker script of tests/cross/cortex-m4/, run by
#              qemu-system-arm -M mps2-an386 -semihosting
# each on two paths:
#   c    `lstmc build --cc CROSS-GCC --cflags ...`: the C backend's code
#        and the program `lstmc build` writes around it
#   obj  `lstmc compile --emit obj --target TRIPLE` (aarch64-linux-gnu,
#        s390x-linux-gnu, thumbv7em-none-eabihf: no --cpu, so the default
#        hard-float FPU is what runs) linked by the cross compiler with
#        tests/llvm/driver.c through the generated header; on the Cortex-M
#        also with --opt-level s (obj-s), and linked with --gc-sections
# The cases: every example with a spec and weights (examples/*/*.lstm; those
# without an input.txt get a few dozen steps from gen_input below) and 5
# random models per target (tests/diff/randmodel.c, other seeds for each
# target; like tests/run_diff.sh, seeds = 1 mod 5 use --chunk 1 and
# seeds = 2 mod 5 --chunk 3).
#
# A target whose compiler, QEMU or newlib is missing is reported with a line
# "skipped: ..." (make check then counts the suite as skipped, never as
# passed; .ci/run installs them all). With an lstmc built without LLVM the
# obj path is skipped (a "part ... skipped" line). With LSTMC_SAN=1 (the
# sanitizer pass of make check) the suite is skipped: the cross compilers
# and QEMU run none of the host's sanitizers, and the plain pass runs it all.
#
# usage: tests/run_cross.sh path/to/lstmc [TARGET...]
# environment: CROSS_JOBS=2 (cases in parallel), CROSS_KEEP=DIR (keep the
# folders of failing cases), RANDMODEL=PATH (the generator).
set -u

# ---- the targets: tools, flags, how to run a program ----

# target_tools TARGET: the commands it needs
target_tools() {
    case $1 in
    aarch64) echo "aarch64-linux-gnu-gcc qemu-aarch64" ;;
    s390x) echo "s390x-linux-gnu-gcc qemu-s390x" ;;
    cortex-m4) echo "arm-none-eabi-gcc qemu-system-arm" ;;
    esac
}

target_cc() {
    case $1 in
    aarch64) echo aarch64-linux-gnu-gcc ;;
    s390x) echo s390x-linux-gnu-gcc ;;
    cortex-m4) echo arm-none-eabi-gcc ;;
    esac
}

target_triple() {
    case $1 in
    aarch64) echo aarch64-linux-gnu ;;
    s390x) echo s390x-linux-gnu ;;
    cortex-m4) echo thumbv7em-none-eabihf ;;
    esac
}

# target_flags TARGET: compile and link flags of a whole program (a Cortex-M
# program brings its own startup file: target_startup)
target_flags() {
    case $1 in
    aarch64 | s390x) echo "-O2 -static" ;;
    cortex-m4) echo "-O2 -mthumb -mcpu=cortex-m4 -mfpu=fpv4-sp-d16 -mfloat-abi=hard --specs=rdimon.specs" \
                    "-nostartfiles -T $CROSS_M4/mps2-an386.ld -Wl,--gc-sections" ;;
    esac
}

target_startup() {
    case $1 in
    cortex-m4) echo "$CROSS_M4/startup.c" ;;
    esac
}

# run_on TARGET DIR PROG INPUT: runs DIR/PROG INPUT (both relative to DIR) on
# the target, its output on stdout
run_on() {
    case $1 in
    aarch64) (cd "$2" && timeout 60 qemu-aarch64 "./$3" "$4" < /dev/null) ;;
    s390x) (cd "$2" && timeout 60 qemu-s390x "./$3" "$4" < /dev/null) ;;
    # semihosting: the program's argv and files come from QEMU's folder
    cortex-m4) (cd "$2" && timeout 60 qemu-system-arm -M mps2-an386 -nographic \
                    -semihosting-config "enable=on,target=native,arg=$3,arg=$4" -kernel "$3" < /dev/null) ;;
    esac
}

# ---- one case (run by xargs as: run_cross.sh --one TARGET PATH CASE) ----
if [ "${1:-}" = "--one" ]; then
    target=$2 path=$3 case=$4
    d=$CROSS_TMP/$target-$path-$case
    mkdir -p "$d"
    result() { printf '%s\n' "$*" > "$d.result"; }
    cp "$CROSS_TMP/cases/$case/input.txt" "$d/input.txt"
    spec=$(cat "$CROSS_TMP/cases/$case/spec")
    chunk=$(cat "$CROSS_TMP/cases/$case/chunk")
    cc=$(target_cc "$target")
    flags=$(target_flags "$target")
    startup=$(target_startup "$target")
    case $path in
    c)
        # shellcheck disable=SC2086
        if ! "$CROSS_LSTMC" build "$spec" -o "$d/prog" --cc "$cc" --cflags "$flags $startup" $chunk \
                > "$d/log" 2>&1; then
            result "FAIL lstmc build --cc $cc failed: $(grep -m 1 'error' "$d/log" | cut -c1-200)"
            exit 0
        fi ;;
    obj | obj-s)
        opt=
        [ "$path" = obj-s ] && opt="--opt-level s"
        # shellcheck disable=SC2086
        if ! "$CROSS_LSTMC" compile "$spec" --emit obj --target "$(target_triple "$target")" --name model $chunk \
                $opt -o "$d/model" > "$d/log" 2>&1; then
            result "FAIL lstmc compile --emit obj failed: $(head -3 "$d/log" | tr '\n' ' ')"
            exit 0
        fi
        # shellcheck disable=SC2086
        if ! $cc $flags -I"$d" -I"$CROSS_ROOT/runtime" -o "$d/prog" "$CROSS_ROOT/tests/llvm/driver.c" \
                "$CROSS_ROOT/runtime/lstmc_rows.c" "$d/model.o" $startup -lm > "$d/log" 2>&1; then
            result "FAIL linking the object with $cc failed: $(grep -m 3 -E 'error|undefined' "$d/log" | tr '\n' ' ')"
            exit 0
        fi ;;
    esac
    run_on "$target" "$d" prog input.txt > "$d/out.txt" 2> "$d/err"
    status=$?
    if [ $status -ne 0 ]; then
        result "FAIL the program exited with status $status on $target: $(head -3 "$d/err" | tr '\n' ' ')"
    elif grep -qiE '(^|[ ,])[-+]?(nan|inf)' "$d/out.txt"; then
        result "FAIL the program printed a NaN or infinity"
    elif ! diff=$(awk -f "$CROSS_ROOT/tests/maxdiff.awk" "$d/out.txt" "$CROSS_TMP/cases/$case/ref.txt"); then
        result "FAIL the output differs in shape from lstmc run's: $diff"
    elif awk -v d="$diff" 'BEGIN { exit !(d <= 1e-5) }'; then
        result "ok max |diff| $diff"
        rm -rf "$d"
    else
        result "FAIL max |diff| $diff vs lstmc run (tolerance 1e-5)"
    fi
    exit 0
fi

# ---- the driver ----
if [ $# -lt 1 ]; then
    echo "usage: tests/run_cross.sh path/to/lstmc [TARGET...]" >&2
    exit 2
fi
lstmc=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
shift
root=$(cd "$(dirname "$0")/.." && pwd)
targets=${*:-aarch64 s390x cortex-m4}

if [ "${LSTMC_SAN:-}" = 1 ]; then
    echo "skipped: cross: the sanitizer pass: the cross compilers and QEMU run none of the host's sanitizers" \
         "(the plain build's pass runs every target)"
    exit 0
fi

randmodel=${RANDMODEL:-$(dirname "$lstmc")/tests/randmodel}
if [ ! -x "$randmodel" ]; then
    echo "run_cross.sh: no generator $randmodel (make $(dirname "$lstmc")/tests/randmodel)" >&2
    exit 2
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/lstmc-cross.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM
export CROSS_TMP="$tmp" CROSS_LSTMC="$lstmc" CROSS_ROOT="$root" CROSS_M4="$root/tests/cross/cortex-m4"
start=$(date +%s)

# which targets have their tools
runnable=
for t in $targets; do
    missing=
    for tool in $(target_tools "$t"); do
        command -v "$tool" > /dev/null 2>&1 || missing="$missing $tool"
    done
    # newlib (libnewlib-arm-none-eabi): its semihosting specs file
    if [ "$t" = cortex-m4 ] && [ -z "$missing" ] &&
       [ "$(arm-none-eabi-gcc -print-file-name=rdimon.specs)" = rdimon.specs ]; then
        missing=" newlib (rdimon.specs)"
    fi
    if [ -n "$missing" ]; then
        echo "skipped: cross $t: not installed:$missing (.ci/run installs the cross toolchains and QEMU)"
    else
        runnable="$runnable $t"
    fi
done

# whether this lstmc has the LLVM backend (the obj path)
paths="c obj"
if "$lstmc" compile "$root/tests/pytorch/v1_single.lstm" --emit obj -o "$tmp/probe" 2>&1 |
        grep -q "built without the LLVM backend"; then
    paths=c
    echo "cross: the --emit obj path skipped (this lstmc was built without LLVM)"
fi

# gen_input N STEPS SEED: two sequences of STEPS steps of N numbers in [-1, 1)
gen_input() {
    awk -v n="$1" -v steps="$2" -v seed="$3" 'BEGIN {
        srand(seed)
        for (s = 0; s < 2; s++) {
            if (s) print ""
            for (t = 0; t < steps; t++) {
                line = ""
                for (k = 0; k < n; k++)
                    line = line (k ? " " : "") sprintf("%.6f", 2 * rand() - 1)
                print line
            }
        }
    }'
}

# ---- the cases: their spec, input, chunk flag and lstmc run's output ----
mkdir -p "$tmp/cases"
ncase=0
add_case() {   # name spec input chunk
    c=$tmp/cases/$1
    mkdir -p "$c"
    echo "$2" > "$c/spec"
    cp "$3" "$c/input.txt"
    echo "$4" > "$c/chunk"
    if ! "$lstmc" run "$2" "$c/input.txt" > "$c/ref.txt" 2> "$c/err"; then
        echo "FAIL $1: lstmc run (the reference) failed: $(head -3 "$c/err")"
        return 1
    fi
    ncase=$((ncase + 1))
    echo "$1" >> "$tmp/case-names"
}
: > "$tmp/case-names"
bad_setup=0
for spec in "$root"/examples/*/*.lstm; do
    dir=$(dirname "$spec")
    name=$(basename "$dir")
    [ "$(basename "$spec")" = model.lstm ] || name=$name-$(basename "$spec" .lstm)
    if [ -f "$dir/input.txt" ]; then
        input=$dir/input.txt
    else
        n=$("$lstmc" check "$spec" | sed -n 's/^model [^:]*: input \([0-9]*\),.*/\1/p')
        gen_input "${n:-1}" 16 7 > "$tmp/$name.input"
        input=$tmp/$name.input
    fi
    add_case "$name" "$spec" "$input" "" || bad_setup=$((bad_setup + 1))
done
echo "$runnable" | grep -q . || { echo "cross: no target can run here"; exit 0; }
seed=1
for t in aarch64 s390x cortex-m4; do
    for k in 1 2 3 4 5; do
        case " $runnable " in *" $t "*)
            d=$tmp/rand-$seed
            chunk=
            case $((seed % 5)) in 1) chunk="--chunk 1" ;; 2) chunk="--chunk 3" ;; esac
            if "$randmodel" "$seed" "$d" > "$tmp/rand-$seed.summary" 2> "$tmp/rand-$seed.log"; then
                add_case "seed$seed" "$d/model.lstm" "$d/input.txt" "$chunk" || bad_setup=$((bad_setup + 1))
                echo "seed$seed $t" >> "$tmp/seed-target"
            else
                echo "FAIL seed $seed: the generator failed: $(head -3 "$tmp/rand-$seed.log")"
                bad_setup=$((bad_setup + 1))
            fi ;;
        esac
        seed=$((seed + 1))
    done
done

# every (target, path, case): the examples on every target, each random
# model on its own
: > "$tmp/jobs"
for t in $runnable; do
    tpaths=$paths
    # the Cortex-M also at --opt-level s, the level for small flash
    [ "$t" = cortex-m4 ] && [ "$paths" != c ] && tpaths="$paths obj-s"
    for p in $tpaths; do
        while read -r c; do
            case $c in
            seed*) grep -qx "$c $t" "$tmp/seed-target" || continue ;;
            esac
            echo "$t $p $c" >> "$tmp/jobs"
        done < "$tmp/case-names"
    done
done
echo "cross: $(wc -l < "$tmp/jobs") cases on:$runnable; paths: $paths$(grep -q ' obj-s ' "$tmp/jobs" &&
    echo ', obj-s on cortex-m4'); vs lstmc run, tolerance 1e-5"
xargs -P "${CROSS_JOBS:-2}" -L 1 sh "$0" --one < "$tmp/jobs"

pass=0 fail=0
while read -r t p c; do
    r=$tmp/$t-$p-$c.result
    res=$(cat "$r" 2> /dev/null || echo "FAIL no result (the worker was killed?)")
    what="$t $p $c"
    case $c in seed*) what="$what ($(cut -c1-90 "$tmp/rand-${c#seed}.summary"))" ;; esac
    case $res in
    ok*) pass=$((pass + 1)); echo "ok   $what: ${res#ok }" ;;
    *)
        fail=$((fail + 1))
        echo "FAIL $what: ${res#FAIL }"
        if [ -n "${CROSS_KEEP:-}" ] && [ -d "$tmp/$t-$p-$c" ]; then
            mkdir -p "$CROSS_KEEP" && cp -r "$tmp/$t-$p-$c" "$CROSS_KEEP/" && echo "     kept in $CROSS_KEEP/$t-$p-$c"
        fi ;;
    esac
done < "$tmp/jobs"
fail=$((fail + bad_setup))
echo "time: $(($(date +%s) - start)) s"
echo "cross: $pass passed, $fail failed"
[ $fail -eq 0 ] && [ $pass -gt 0 ]
