#!/bin/sh
# The LLVM backend's vector shape against the C backend's, per target: the
# module of `lstmc compile --emit llvm --target T --features F` names the
# shape it was built for (!lstmc.vector_shape: RT_VL, RT_ACCS, whether
# rt_vfma and RT_FMA fuse), and clang preprocesses runtime/lstmc_act.h for
# the same target and features (-E -dM, the standard headers stubbed), so
# the C code's own #if chain says what it picks there. They must agree, or
# the two backends would add in different orders.
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

# target, LLVM features, the same for clang
while read -r triple features cflags; do
    [ "$features" = - ] && features=""
    [ "$cflags" = - ] && cflags=""
    what="$triple ${features:-(no features)}"
    if ! "$lstmc" compile "$here/pytorch/v1_single.lstm" --emit llvm --target "$triple" \
             ${features:+--features "$features"} -o "$tmp/m" 2> "$tmp/err"; then
        echo "FAIL $what: lstmc: $(head -2 "$tmp/err")"; fail=$((fail + 1)); continue
    fi
    node=$(sed -n 's/^!lstmc.vector_shape = !{\(![0-9]*\)}$/\1/p' "$tmp/m.ll")
    llvm=$(sed -n "s/^$node = !{i32 \([0-9]*\), i32 \([0-9]*\), i32 \([0-9]*\), i32 \([0-9]*\)}\$/\1 \2 \3 \4/p" "$tmp/m.ll")
    # shellcheck disable=SC2086
    if ! clang --target="$triple" $cflags -nostdinc -I"$tmp/inc" -E -dM "$here/../runtime/lstmc_act.h" \
             > "$tmp/macros" 2> "$tmp/err"; then
        echo "FAIL $what: clang -E: $(head -2 "$tmp/err")"; fail=$((fail + 1)); continue
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
echo "vector shape: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
