#!/bin/sh
# The LLVM backend's vector shape against the C backend's, per target: the
# module of `lstmc compile --emit llvm --target T --features F` names the
# shape it was built for (!lstmc.vector_shape: RT_VL, RT_ACCS, whether
# rt_vfma and RT_FMA fuse), and clang preprocesses runtime/lstmc_act.h for
# the same target and features (-E -dM, the standard headers stubbed), so
# the C code's own #if chain says what it picks there. They must agree, or
# the two backends would add in different orders.
# With --cpu alone, the CPUs of compiler/llvm/cpu.c against clang's -march
# or -mcpu of the same name; --cpu native; an unknown CPU an error.
# Prints ok/FAIL lines and "vector shape: N passed, N failed"; without
# clang, "vector shape: skipped (clang not installed)".
#
# usage: tests/llvm/vector_shape.sh path/to/lstmc   (an lstmc with LLVM)
set -u
lstmc=$1
here=$(cd "$(dirname "$0")/.." && pwd)
if ! command -v clang > /dev/null 2>&1; then
    echo "vector shape: skipped (clang not installed)"
    exit 0
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/lstmc-shape.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/inc"
for h in math.h stdint.h string.h immintrin.h emmintrin.h arm_neon.h; do : > "$tmp/inc/$h"; done
pass=0 fail=0

# shape_of FILE.ll: the !lstmc.vector_shape the module names, as 4 numbers
shape_of() {
    node=$(sed -n 's/^!lstmc.vector_shape = !{\(![0-9]*\)}$/\1/p' "$1")
    sed -n "s/^$node = !{i32 \([0-9]*\), i32 \([0-9]*\), i32 \([0-9]*\), i32 \([0-9]*\)}\$/\1 \2 \3 \4/p" "$1"
}

# check TRIPLE WHAT LSTMC-ARGS CLANG-ARGS: the module's shape against the
# header's under clang (the arguments split into words)
check() {
    triple=$1 what=$2 largs=$3 cargs=$4
    # shellcheck disable=SC2086
    if ! "$lstmc" compile "$here/pytorch/v1_single.lstm" --emit llvm --target "$triple" $largs \
             -o "$tmp/m" 2> "$tmp/err"; then
        echo "FAIL $what: lstmc: $(head -2 "$tmp/err")"; fail=$((fail + 1)); return
    fi
    if [ -s "$tmp/err" ]; then
        echo "FAIL $what: lstmc said: $(head -2 "$tmp/err")"; fail=$((fail + 1)); return
    fi
    llvm=$(shape_of "$tmp/m.ll")
    # shellcheck disable=SC2086
    if ! clang --target="$triple" $cargs -nostdinc -I"$tmp/inc" -E -dM "$here/../runtime/lstmc_act.h" \
             > "$tmp/macros" 2> "$tmp/err"; then
        echo "FAIL $what: clang -E: $(head -2 "$tmp/err")"; fail=$((fail + 1)); return
    fi
    vl=$(sed -n 's/^#define RT_VL //p' "$tmp/macros")
    accs=$(sed -n 's/^#define RT_ACCS //p' "$tmp/macros")
    fma=0 act_fma=0
    grep '^#define rt_vfma' "$tmp/macros" | grep -q 'fmadd\|vfmaq' && fma=1
    grep '^#define RT_FMA' "$tmp/macros" | grep -q '__builtin_fmaf' && act_fma=1
    c="$vl $accs $fma $act_fma"
    if [ "$llvm" = "$c" ]; then
        echo "ok   $what: RT_VL, RT_ACCS, fused vfma, fused RT_FMA = $c in both"
        pass=$((pass + 1))
    else
        echo "FAIL $what: the LLVM module was built for '$llvm', the C code gets '$c'"
        fail=$((fail + 1))
    fi
}

# target, LLVM features, the same for clang
while read -r triple features cflags; do
    [ "$features" = - ] && features=""
    [ "$cflags" = - ] && cflags=""
    check "$triple" "$triple ${features:-(no features)}" "${features:+--features $features}" "$cflags"
done <<EOF
x86_64-linux-gnu - -
x86_64-linux-gnu +fma -mfma
x86_64-linux-gnu +avx2 -mavx2
x86_64-linux-gnu +avx2,+fma -mavx2 -mfma
x86_64-linux-gnu +avx512f -mavx512f
aarch64-linux-gnu - -
aarch64-linux-gnu -neon -mgeneral-regs-only
riscv64-linux-gnu - -
thumbv7em-none-eabi - -
thumbv7em-none-eabihf +vfp4d16sp -mfpu=fpv4-sp-d16
thumbv7em-none-eabihf +fp-armv8d16sp -mfpu=fpv5-sp-d16
thumbv7em-none-eabihf - -mcpu=cortex-m4 -mfpu=fpv4-sp-d16
thumbv8m.main-none-eabihf - -mfpu=fpv5-sp-d16
armv7-linux-gnueabihf - -mfpu=vfpv3-d16
EOF

# --cpu alone (compiler/llvm/cpu.c): every CPU lstmc knows gets the vector
# extensions and FPU that clang gives -march / -mcpu of the same name
for cpu in skylake-avx512 cascadelake cooperlake cannonlake icelake-client icelake-server tigerlake \
           rocketlake sapphirerapids x86-64-v4 haswell broadwell skylake alderlake znver1 znver2 znver3 \
           x86-64-v3 x86-64 x86-64-v2 core2 nehalem westmere sandybridge ivybridge btver2; do
    check x86_64-linux-gnu "x86_64 --cpu $cpu" "--cpu $cpu" "-march=$cpu"
done
for cpu in cortex-m4 cortex-m7 cortex-m33 cortex-m35p cortex-m55; do
    check thumbv7em-none-eabihf "thumbv7em-none-eabihf --cpu $cpu" "--cpu $cpu" "-mcpu=$cpu"
done
check aarch64-linux-gnu "aarch64 --cpu cortex-a72" "--cpu cortex-a72" "-mcpu=cortex-a72"

# --cpu native: this machine's CPU and features, as with no --cpu at all
if "$lstmc" compile "$here/pytorch/v1_single.lstm" --emit llvm -o "$tmp/h" 2> /dev/null \
        && "$lstmc" compile "$here/pytorch/v1_single.lstm" --emit llvm --cpu native -o "$tmp/n" 2> "$tmp/err" \
        && [ ! -s "$tmp/err" ] && [ -n "$(shape_of "$tmp/h.ll")" ] \
        && [ "$(shape_of "$tmp/n.ll")" = "$(shape_of "$tmp/h.ll")" ]; then
    echo "ok   --cpu native: the host's vector shape ($(shape_of "$tmp/n.ll")), nothing said"; pass=$((pass + 1))
else
    echo "FAIL --cpu native: $(head -2 "$tmp/err")"; fail=$((fail + 1))
fi

# a CPU LLVM does not know: an error (LLVM would take it, then abort)
for triple in x86_64-linux-gnu riscv64-linux-gnu thumbv7em-none-eabihf; do
    "$lstmc" compile "$here/pytorch/v1_single.lstm" --emit obj --target $triple --cpu nosuchcpu \
        -o "$tmp/u" 2> "$tmp/err"
    rc=$?
    if [ $rc -eq 1 ] && grep -q "error: unknown CPU 'nosuchcpu'" "$tmp/err" && [ ! -e "$tmp/u.o" ]; then
        echo "ok   $triple --cpu nosuchcpu: an error, exit 1, no object"; pass=$((pass + 1))
    else
        echo "FAIL $triple --cpu nosuchcpu: exit $rc: $(head -2 "$tmp/err")"; fail=$((fail + 1))
    fi
done

echo "vector shape: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
