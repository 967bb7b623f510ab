#!/bin/sh
# The LLVM backend (compiler/llvm/emit_llvm.c, compiler/llvm/jit.c), end to end:
#   - the PyTorch fixtures through `lstmc run --jit --activations exact`
#     and through the object (`compile --emit obj`, linked with
#     tests/llvm/driver.c), max |diff| <= 1e-5 against PyTorch (the fast
#     activations' --jit is check-fixtures');
#   - tests/llvm/api.c, compiled against the header and linked with the
#     object: NAME_step, NAME_run in pieces and NAME_run_batch agree with
#     one NAME_run, and the state struct has the header's size (NAME_reset
#     writes all of it and nothing past it); a header with a state one
#     float larger, then one field smaller, must fail that check;
#   - the header of --emit obj is the C backend's, byte for byte;
#   - textual IR and bitcode pass `opt -verify`;
#   - objects for other targets (aarch64-linux-gnu, thumbv7em-none-eabihf)
#     carry the API's symbols (llvm-nm) and the right format (llvm-objdump);
#   - hard-float ARM triples without --cpu get an FPU (no __aeabi_f* call),
#     or an error that names --cpu;
#   - one section per function: a program of tests/llvm/step_only.c linked
#     with --gc-sections has no model_run_batch;
#   - --opt-level s and z: right, and smaller for a Cortex-M4F;
#   - the vector shape each target's module was built for is the one the C
#     code gets there (tests/llvm/vector_shape.sh);
#   - on this machine, the object computes the same floats as the C code
#     (tests/llvm/same_bits.sh: the examples and SAME_BITS_MODELS random
#     models, default 20);
#   - usage errors, and nothing left behind by a failed compile.
# opt, llvm-nm and llvm-objdump come with LLVM: when lstmc has LLVM, a
# missing one is a failure. In an lstmc built without LLVM it checks the
# message that says so instead, then prints "skipped: ..." (the line by
# which make check counts the suite as skipped) and succeeds.
#
# usage: tests/run_llvm.sh path/to/lstmc
set -u
lstmc=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
here=$(cd "$(dirname "$0")" && pwd)
cc=${CC:-cc}
tol=1e-5
tmp=$(mktemp -d "${TMPDIR:-/tmp}/lstmc-llvm.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { echo "ok   $*"; pass=$((pass + 1)); }
bad() { echo "FAIL $*"; fail=$((fail + 1)); }

# ---- without LLVM: a clear message, exit status 2 ----
if "$lstmc" compile "$here/pytorch/v1_single.lstm" --emit obj -o "$tmp/x" 2> "$tmp/err"; then
    :
elif grep -q "built without the LLVM backend" "$tmp/err"; then
    st=0
    for args in "compile $here/pytorch/v1_single.lstm --emit llvm -o $tmp/x" \
                "compile $here/pytorch/v1_single.lstm --emit bc -o $tmp/x" \
                "run --jit $here/pytorch/v1_single.lstm /dev/null"; do
        # shellcheck disable=SC2086
        "$lstmc" $args > /dev/null 2> "$tmp/err"
        code=$?
        if [ $code -ne 2 ] || ! grep -q "this lstmc was built without the LLVM backend" "$tmp/err"; then
            echo "FAIL lstmc $args: exit $code, $(cat "$tmp/err")"; st=1
        fi
    done
    [ $st -eq 0 ] && echo "skipped: llvm: this lstmc was built without LLVM (llvm-config not found)"
    exit $st
fi

# ---- the PyTorch fixtures: JIT and object ----
maxdiff() {   # out expected -> prints the difference, fails beyond tol
    d=$(awk -f "$here/maxdiff.awk" "$1" "$2") || { echo "shape: $d"; return 1; }
    echo "$d"
    awk -v d="$d" -v t="$tol" 'BEGIN { exit !(d <= t) }'
}
# run --jit with the default, fast activations is check-fixtures' on every
# case; here, the exact activations, then the object and its API.
# LLVM_FIXTURES_ROTATE=1 (the sanitizer pass): a case in three takes the
# first path, one the second (v1_single both: its object is used further
# on), the third none here (check-fixtures' sanitizer pass runs it); the
# plain pass has run both on every case.
n=0
for dir in "$here"/fixtures/pytorch/*/; do
    case=$(basename "$dir")
    spec=$here/pytorch/$case.lstm
    n=$((n + 1)) pick=all
    [ "${LLVM_FIXTURES_ROTATE:-0}" = 1 ] && [ "$case" != v1_single ] && pick=$((n % 3))
    for act in exact; do
        case $pick in all|0) ;; *) continue ;; esac
        if ! "$lstmc" run --jit --activations $act "$spec" "$dir/input.txt" > "$tmp/out" 2> "$tmp/err"; then
            bad "$case: run --jit --activations $act failed: $(head -3 "$tmp/err")"
        elif d=$(maxdiff "$tmp/out" "$dir/expected.txt"); then
            ok "$case: run --jit --activations $act: max |diff| vs PyTorch $d"
        else
            bad "$case: run --jit --activations $act: max |diff| vs PyTorch $d (tolerance $tol)"
        fi
    done
    case $pick in all|1) ;; *) continue ;; esac
    o=$tmp/$case
    mkdir -p "$o"
    if ! "$lstmc" compile "$spec" --emit obj --name model -o "$o/model" 2> "$tmp/err" ||
        ! $cc -I"$o" -I"$here/../runtime" -o "$o/prog" "$here/llvm/driver.c" "$here/../runtime/lstmc_rows.c" \
            "$o/model.o" -lm 2> "$tmp/err"; then
        bad "$case: compile --emit obj and link: $(head -3 "$tmp/err")"
    elif ! "$o/prog" "$dir/input.txt" > "$tmp/out"; then
        bad "$case: the program linked with the object failed"
    elif d=$(maxdiff "$tmp/out" "$dir/expected.txt"); then
        ok "$case: object (--emit obj) linked by $cc: max |diff| vs PyTorch $d"
    else
        bad "$case: object: max |diff| vs PyTorch $d (tolerance $tol)"
    fi
    # the API: step, run in pieces, run_batch (streaming models)
    if ! $cc -std=c99 -Wall -Wextra -Wpedantic -Werror -I"$o" -o "$o/api" "$here/llvm/api.c" "$o/model.o" -lm \
            2> "$tmp/err"; then
        bad "$case: tests/llvm/api.c against the header and the object: $(head -3 "$tmp/err")"
    elif "$o/api" > "$tmp/out" 2>&1; then
        ok "$case: API: $(tail -1 "$tmp/out")"
    else
        bad "$case: API: $(cat "$tmp/out")"
    fi
done

# ---- the state size check can fail ----
# api.c's check_state_size against the object of v1_single, with a header
# whose state struct is one float larger, then one field smaller, than the
# object's: each must be caught.
o=$tmp/v1_single
for change in larger smaller; do
    mkdir -p "$o/$change"
    awk -v change=$change '
        /^} model_state;/ { if (change == "larger") print "    float test_extra_;"; else held = "" }
        NR > 1 && held != "" { print held }
        { held = $0 }
        END { print held }' "$o/model.h" > "$o/$change/model.h"
    if cmp -s "$o/model.h" "$o/$change/model.h"; then
        bad "state size: no model_state in $o/model.h to change"
    elif ! $cc -std=c99 -I"$o/$change" -o "$o/$change/api" "$here/llvm/api.c" "$o/model.o" -lm 2> "$tmp/err"; then
        bad "state size: api.c with a $change state: $(head -3 "$tmp/err")"
    elif "$o/$change/api" > "$tmp/out" 2>&1 || ! grep -q "^state: .*the object's state is" "$tmp/out"; then
        bad "state size: a header with a $change state passed: $(head -2 "$tmp/out")"
    else
        ok "state size: a header with a $change state is caught ($(head -1 "$tmp/out"))"
    fi
done

# ---- the model hash check can fail ----
# the object of v1_single with a header of another model (its hash changed)
mkdir -p "$o/stale"
sed 's/^#define MODEL_MODEL_HASH  0x\([0-9a-f]*\)[0-9a-f]ull/#define MODEL_MODEL_HASH  0x\1full/' "$o/model.h" > "$o/stale/model.h"
if cmp -s "$o/model.h" "$o/stale/model.h"; then
    # (the hash ended in f already: change another digit)
    sed 's/^#define MODEL_MODEL_HASH  0x[0-9a-f]/#define MODEL_MODEL_HASH  0x1/' "$o/model.h" > "$o/stale/model.h"
fi
if cmp -s "$o/model.h" "$o/stale/model.h"; then
    bad "model hash: no MODEL_MODEL_HASH in $o/model.h to change"
elif ! $cc -std=c99 -I"$o/stale" -o "$o/stale/api" "$here/llvm/api.c" "$o/model.o" -lm 2> "$tmp/err"; then
    bad "model hash: api.c with another hash: $(head -3 "$tmp/err")"
elif "$o/stale/api" > "$tmp/out" 2>&1 || ! grep -q "^hash: the object is of model" "$tmp/out"; then
    bad "model hash: a header of another model passed: $(head -2 "$tmp/out")"
else
    ok "model hash: a header of another model is caught ($(head -1 "$tmp/out"))"
fi

# ---- the header is the C backend's ----
spec=$here/pytorch/p2_bidir_stacked.lstm
"$lstmc" compile "$spec" -o "$tmp/c" && "$lstmc" compile "$spec" --emit obj -o "$tmp/obj"
if [ -s "$tmp/c.h" ] && cmp -s "$tmp/c.h" "$tmp/obj.h"; then
    ok "header: --emit obj writes the C backend's header"
else
    bad "header: --emit obj's header differs from the C backend's"
fi

# ---- LLVM's tools ----
# opt, llvm-nm and llvm-objdump come with LLVM (Debian's llvm package, which
# .ci/run installs): with an lstmc built with LLVM, a missing one fails the
# checks that need it. Looked up on PATH, then in llvm-config's bindir.
llvm_bindir=$({ llvm-config --bindir || llvm-config-14 --bindir; } 2> /dev/null)
llvm_tool() {   # name -> prints its path, or nothing
    for t in "$1" "$1-14"; do
        command -v "$t" && return
    done
    [ -n "$llvm_bindir" ] && [ -x "$llvm_bindir/$1" ] && echo "$llvm_bindir/$1"
}

# ---- IR and bitcode verify ----
spec=$here/pytorch/p4_bidir_projection.lstm
opt=$(llvm_tool opt)
if [ -n "$opt" ]; then
    for kind in llvm bc; do
        if "$lstmc" compile "$spec" --emit $kind -o "$tmp/v" 2> "$tmp/err" &&
            f=$tmp/v.$([ $kind = llvm ] && echo ll || echo bc) && "$opt" -verify "$f" -o /dev/null 2> "$tmp/err"; then
            ok "--emit $kind: opt -verify passes"
        else
            bad "--emit $kind: $(head -3 "$tmp/err")"
        fi
    done
else
    bad "opt -verify: opt not found (it comes with LLVM; .ci/run installs it)"
fi

# ---- other targets ----
nm=$(llvm_tool llvm-nm)
objdump=$(llvm_tool llvm-objdump)
[ -n "$nm" ] && [ -n "$objdump" ] ||
    bad "other targets: llvm-nm or llvm-objdump not found (they come with LLVM; .ci/run installs them)"
for t in "aarch64-linux-gnu elf64-littleaarch64" "thumbv7em-none-eabihf elf32-littlearm" \
         "riscv64-linux-gnu elf64-littleriscv"; do
    set -- $t
    triple=$1 format=$2
    for spec in "$here/pytorch/v2_stacked_head.lstm" "$here/pytorch/v3_bidir.lstm"; do
        name=$(basename "$spec" .lstm)
        if ! "$lstmc" compile "$spec" --emit obj --target "$triple" --name m -o "$tmp/$triple-$name" 2> "$tmp/err"; then
            bad "$triple $name: compile --emit obj failed: $(head -3 "$tmp/err")"
            continue
        fi
        [ -n "$nm" ] && [ -n "$objdump" ] || continue
        want="m_reset m_run"
        grep -q 'm_step' "$tmp/$triple-$name.h" && want="$want m_step m_run_batch"
        missing=
        for sym in $want; do
            "$nm" --defined-only "$tmp/$triple-$name.o" | grep -q " T $sym\$" || missing="$missing $sym"
        done
        fmt=$("$objdump" -f "$tmp/$triple-$name.o" | sed -n 's/.*file format //p')
        if [ -n "$missing" ]; then
            bad "$triple $name: symbols missing:$missing"
        elif [ "$fmt" != "$format" ]; then
            bad "$triple $name: file format '$fmt', expected $format"
        else
            ok "$triple $name: $format, defines $want"
        fi
    done
done
if "$lstmc" compile "$here/pytorch/v1_single.lstm" --emit obj --target aarch64-linux-gnu --cpu cortex-a72 \
        --features +neon -o "$tmp/a72" 2> "$tmp/err"; then
    ok "--cpu cortex-a72 --features +neon"
else
    bad "--cpu/--features: $(head -3 "$tmp/err")"
fi

# ---- hard-float ARM triples without --cpu: the FPU lstmc chooses ----
# (no soft-float call left: every float operation is an FPU instruction)
for triple in thumbv7em-none-eabihf thumbv8m.main-none-eabihf armv7-linux-gnueabihf; do
    if ! "$lstmc" compile "$here/pytorch/v2_stacked_head.lstm" --emit obj --target "$triple" -o "$tmp/hf" \
            2> "$tmp/err"; then
        bad "$triple without --cpu: $(head -2 "$tmp/err")"
    elif [ -n "$nm" ] && soft=$("$nm" -u "$tmp/hf.o" | grep -c '__aeabi_[fd]') && [ "$soft" -ne 0 ]; then
        bad "$triple without --cpu: $soft soft-float calls (__aeabi_f*, __aeabi_d*)"
    else
        ok "$triple without --cpu: hard-float code, no __aeabi_f* call"
    fi
done
# an architecture without a known FPU: an error that names --cpu; with a CPU
# named, the user's choice
expect_err() {   # message-part args...
    part=$1
    shift
    "$lstmc" "$@" > /dev/null 2> "$tmp/err"
    code=$?
    if [ $code -eq 1 ] && grep -q -- "$part" "$tmp/err"; then
        ok "lstmc $*: exit 1, '$part'"
    else
        bad "lstmc $*: exit $code (want 1), $(head -2 "$tmp/err")"
    fi
}
expect_err "knows no FPU for thumbv6m: name the CPU with --cpu" \
    compile "$here/pytorch/v1_single.lstm" --emit obj --target thumbv6m-none-eabihf -o "$tmp/bad"
if "$lstmc" compile "$here/pytorch/v1_single.lstm" --emit obj --target thumbv7em-none-eabihf --cpu cortex-m7 \
        --features +fp-armv8d16 -o "$tmp/m7" 2> "$tmp/err"; then
    ok "thumbv7em-none-eabihf --cpu cortex-m7 --features +fp-armv8d16"
else
    bad "--cpu cortex-m7: $(head -2 "$tmp/err")"
fi

# ---- one section per function and weight array: --gc-sections drops what is not called ----
# tests/llvm/step_only.c calls model_reset and model_step only
spec=$here/pytorch/v1_single.lstm
o=$tmp/gc
mkdir -p "$o"
if ! "$lstmc" compile "$spec" --emit obj --name model -o "$o/model" 2> "$tmp/err" ||
    ! $cc -std=c99 -Wall -Wextra -Werror -I"$o" -Wl,--gc-sections -o "$o/prog" "$here/llvm/step_only.c" \
        "$o/model.o" -lm 2> "$tmp/err"; then
    bad "--gc-sections: compile and link: $(head -3 "$tmp/err")"
elif ! "$o/prog" > /dev/null; then
    bad "--gc-sections: the program failed"
else
    syms=$(nm "$o/prog")
    kept=$(echo "$syms" | grep -E ' [TtRr] (model_run_batch|model_state_bytes|lstmc\..*batch)')
    if ! echo "$syms" | grep -q ' T model_step$'; then
        bad "--gc-sections: model_step is missing"
    elif [ -n "$kept" ]; then
        bad "--gc-sections kept what step_only.c never calls: $(echo $kept)"
    elif ! nm "$o/model.o" | grep -q ' T model_run_batch$'; then
        bad "--gc-sections: the object has no model_run_batch to drop"
    else
        ok "--gc-sections: model_run_batch, model_state_bytes and the batch kernels dropped, model_step kept"
    fi
fi

# ---- --opt-level s and z: smaller, and still right ----
dir=$here/fixtures/pytorch/v2_stacked_head
for opt in s z; do
    o=$tmp/opt$opt
    mkdir -p "$o"
    if ! "$lstmc" compile "$here/pytorch/v2_stacked_head.lstm" --emit obj --opt-level $opt --name model -o "$o/model" \
            2> "$tmp/err" ||
        ! $cc -I"$o" -I"$here/../runtime" -o "$o/prog" "$here/llvm/driver.c" "$here/../runtime/lstmc_rows.c" \
            "$o/model.o" -lm 2> "$tmp/err"; then
        bad "--opt-level $opt: compile and link: $(head -3 "$tmp/err")"
    elif ! "$o/prog" "$dir/input.txt" > "$tmp/out"; then
        bad "--opt-level $opt: the program failed"
    elif d=$(maxdiff "$tmp/out" "$dir/expected.txt"); then
        ok "--opt-level $opt: v2_stacked_head, max |diff| vs PyTorch $d"
    else
        bad "--opt-level $opt: max |diff| vs PyTorch $d (tolerance $tol)"
    fi
done
# for a Cortex-M4F, size and speed side by side: s and z must be smaller
size=$(llvm_tool llvm-size)
[ -n "$size" ] || bad "code size: llvm-size not found (it comes with LLVM; .ci/run installs it)"
if [ -n "$size" ]; then
    for opt in 3 s z; do
        "$lstmc" compile "$here/pytorch/v2_stacked_head.lstm" --emit obj --target thumbv7em-none-eabihf \
            --opt-level $opt -o "$tmp/m4-$opt" 2> "$tmp/err" || bad "thumbv7em --opt-level $opt: $(head -2 "$tmp/err")"
    done
    # bytes of the .text sections (one per function), decimal in -A's table
    text() { "$size" -A "$1" | awk '$1 ~ /^\.text/ { n += $2 } END { print n + 0 }'; }
    t3=$(text "$tmp/m4-3.o") ts=$(text "$tmp/m4-s.o") tz=$(text "$tmp/m4-z.o")
    if [ "$ts" -gt 0 ] && [ "$ts" -lt "$t3" ] && [ "$tz" -le "$ts" ]; then
        ok "thumbv7em-none-eabihf code bytes: $t3 at --opt-level 3, $ts at s, $tz at z"
    else
        bad "thumbv7em-none-eabihf code bytes: $t3 at --opt-level 3, $ts at s, $tz at z: s and z not smaller"
    fi
fi

# ---- the vector shape of each target: the C code's (tests/llvm/vector_shape.sh) ----
sh "$here/llvm/vector_shape.sh" "$lstmc" > "$tmp/shape"
grep -v '^vector shape: [0-9]' "$tmp/shape"
pass=$((pass + $(grep -c '^ok' "$tmp/shape"))) fail=$((fail + $(grep -c '^FAIL' "$tmp/shape")))

# ---- the same floats as the C backend's code on this machine (tests/llvm/same_bits.sh) ----
sh "$here/llvm/same_bits.sh" "$lstmc" "${SAME_BITS_MODELS:-20}" > "$tmp/bits"
grep -v '^same bits: [0-9]' "$tmp/bits"
pass=$((pass + $(grep -c '^ok' "$tmp/bits"))) fail=$((fail + $(grep -c '^FAIL' "$tmp/bits")))

# ---- errors ----
expect() {   # status message-part args...
    want=$1 part=$2
    shift 2
    "$lstmc" "$@" > /dev/null 2> "$tmp/err"
    code=$?
    if [ $code -eq "$want" ] && grep -q -- "$part" "$tmp/err"; then
        ok "lstmc $*: exit $code, '$part'"
    else
        bad "lstmc $*: exit $code (want $want), $(head -2 "$tmp/err")"
    fi
}
spec=$here/pytorch/v1_single.lstm
expect 1 "unknown target 'nosuch-cpu-none'" compile "$spec" --emit obj --target nosuch-cpu-none -o "$tmp/bad"
if ls "$tmp"/bad* > /dev/null 2>&1; then bad "a failed compile left files: $(ls "$tmp"/bad*)"; fi
expect 2 "unknown --emit 'asm'" compile "$spec" --emit asm -o "$tmp/bad"
# (charlm's layer of 128 units is one the C's pool shares)
expect 2 "in the C backend only" compile "$here/../examples/charlm/model.lstm" --emit obj --threads 2 -o "$tmp/bad"
expect 2 "are for --emit llvm, bc or obj" compile "$spec" --target aarch64-linux-gnu -o "$tmp/bad"
expect 2 "--opt-level '1' is not 2, 3, s or z" compile "$spec" --emit obj --opt-level 1 -o "$tmp/bad"
expect 2 "--activations is for --jit" run --activations exact "$spec" /dev/null
expect 2 "unknown option '--jit' for 'compile'" compile "$spec" --jit -o "$tmp/bad"
printf '1 2\n' > "$tmp/short.txt"
expect 1 "short.txt:1:" run --jit "$spec" "$tmp/short.txt"

echo "llvm: $pass passed, $fail failed"
[ $fail -eq 0 ] && [ $pass -gt 0 ]
