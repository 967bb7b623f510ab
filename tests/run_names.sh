#!/bin/sh
# Names of the generated C: every identifier the .c defines carries the
# model's prefix, so several models live in one program.
#   - tests/golden_c's three models, one of them twice under two --names
#     (tiny as tiny and as lstm: a model named like its layer "lstm"), are
#     compiled as separate objects and linked into one program, and again
#     #included into one translation unit (a unity build), both under
#     -Wall -Wextra -Werror; the program runs every model and must print
#     what the same models print built alone;
#   - no identifier the .c defines at file scope lacks the prefix.
# usage: tests/run_names.sh path/to/lstmc
set -u
lstmc=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
here=$(cd "$(dirname "$0")" && pwd)
cc=${CC:-cc}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/lstmc-names.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { echo "ok   $*"; pass=$((pass + 1)); }
bad() { echo "FAIL $*"; fail=$((fail + 1)); }
flags="-std=c99 -O1 -Wall -Wextra -Wpedantic -Werror"

# name spec: the models of the program
models="tiny:tiny lstm:tiny blocks:blocks warm:warm"
for m in $models; do
    name=${m%%:*} spec=$here/golden_c/${m#*:}.lstm
    "$lstmc" compile "$spec" --name "$name" -o "$tmp/$name" || { bad "lstmc compile $spec --name $name"; }
done

# write_main FILE NAME...: a program that runs the models on the same
# input and prints each one's outputs (a sequence model from its scratch)
write_main() {
    out=$1
    shift
    {
        for n in "$@"; do echo "#include \"$n.h\""; done
        echo '#include <stdio.h>'
        echo 'static const float x[3][2] = {{0.5f, -1.0f}, {0.25f, 0.75f}, {-0.5f, 0.125f}};'
        echo 'static void show(const char *name, const float *y, int n)'
        printf '%s\n' '{ printf("%s", name); for (int k = 0; k < n; k++) printf(" %.9g", (double)y[k]); printf("\n"); }'
        echo 'int main(void)'
        echo '{'
        for n in "$@"; do
            N=$(echo "$n" | tr a-z A-Z)
            echo "    {"
            echo "        static ${n}_state s;"
            echo "        static float y[3 * ${N}_OUTPUT_SIZE], flat[3 * ${N}_INPUT_SIZE];"
            echo "        for (int t = 0; t < 3; t++)"
            echo "            for (int k = 0; k < ${N}_INPUT_SIZE; k++)"
            echo "                flat[t * ${N}_INPUT_SIZE + k] = x[t][k];"
            echo "        ${n}_reset(&s);"
            echo "#if ${N}_STREAMING"
            echo "        ${n}_run(&s, flat, 3, y);"
            echo "#else"
            echo "        static float scratch[${N}_SCRATCH_FLOATS(3) + 1];"
            echo "        ${n}_run(&s, flat, 3, y, scratch);"
            echo "#endif"
            echo "        show(\"$n\", y, (${N}_OUTPUT_LAST ? 1 : 3) * ${N}_OUTPUT_SIZE);"
            echo "    }"
        done
        echo '    return 0;'
        echo '}'
    } > "$out"
}
names=""
for m in $models; do names="$names ${m%%:*}"; done
# shellcheck disable=SC2086
write_main "$tmp/main.c" $names

# linked from separate objects
objs=""
for m in $models; do
    n=${m%%:*}
    if $cc $flags -I"$tmp" -c "$tmp/$n.c" -o "$tmp/$n.o" 2> "$tmp/err"; then objs="$objs $tmp/$n.o"
    else bad "$n.c does not compile: $(head -3 "$tmp/err")"; fi
done
# shellcheck disable=SC2086
if $cc $flags -I"$tmp" -o "$tmp/linked" "$tmp/main.c" $objs -lm 2> "$tmp/err"; then
    ok "four models (one twice, under two names) link into one program"
else
    bad "the models do not link into one program: $(head -5 "$tmp/err")"
fi

# one translation unit
{
    for m in $models; do echo "#include \"${m%%:*}.c\""; done
    cat "$tmp/main.c"
} > "$tmp/unity.c"
if $cc $flags -I"$tmp" -o "$tmp/unity" "$tmp/unity.c" -lm 2> "$tmp/err"; then
    ok "the four models compile as one translation unit"
else
    bad "the models do not compile as one translation unit: $(head -5 "$tmp/err")"
fi

# the same outputs as each model built alone
if [ -x "$tmp/linked" ] && [ -x "$tmp/unity" ]; then
    "$tmp/linked" > "$tmp/linked.out" && "$tmp/unity" > "$tmp/unity.out"
    : > "$tmp/alone.out"
    for n in $names; do
        write_main "$tmp/alone_$n.c" "$n"
        if $cc $flags -I"$tmp" -o "$tmp/alone_$n" "$tmp/alone_$n.c" "$tmp/$n.c" -lm 2> "$tmp/err"; then
            "$tmp/alone_$n" >> "$tmp/alone.out"
        else
            bad "$n alone does not build: $(head -3 "$tmp/err")"
        fi
    done
    if cmp -s "$tmp/linked.out" "$tmp/alone.out" && cmp -s "$tmp/unity.out" "$tmp/alone.out" &&
       [ "$(wc -l < "$tmp/alone.out")" -eq 4 ]; then
        ok "each model prints in the shared program what it prints alone"
    else
        bad "outputs differ: linked / unity / alone"; cat "$tmp/linked.out" "$tmp/unity.out" "$tmp/alone.out"
    fi
fi

# every identifier the .c defines at file scope starts with the prefix:
# functions, arrays and types (nm), macros (#define)
for m in $models; do
    n=${m%%:*} N=$(echo "$n" | tr a-z A-Z)
    [ -f "$tmp/$n.o" ] || continue
    stray=$(nm "$tmp/$n.o" | awk '$2 ~ /^[TtDdRrBb]$/ { print $3 }' | grep -v "^${n}_" | grep -v '^\.' | head -5)
    macros=$(sed -n 's/^[ \t]*#[ \t]*define[ \t]\{1,\}\([A-Za-z_][A-Za-z0-9_]*\).*/\1/p' "$tmp/$n.c" "$tmp/$n.h" |
             grep -v "^${N}_\|^${n}_" | head -5)
    if [ -z "$stray" ] && [ -z "$macros" ]; then
        ok "$n: every symbol and macro starts with ${n}_ / ${N}_"
    else
        bad "$n: names without the prefix: $stray $macros"
    fi
done

echo "names: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
