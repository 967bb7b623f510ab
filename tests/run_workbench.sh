#!/bin/sh
# The workbench commands (lstmc eval, compare, verify, init, run --trace):
# exit statuses and messages on bad input, the 1997 cell's state drift in a
# trace, init's files loading in every convention, and verify of every
# example through every path this lstmc has.
# usage: tests/run_workbench.sh path/to/lstmc
set -u
lstmc=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
cd "$(dirname "$0")/.." || exit 2
pass=0 fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ok() { pass=$((pass + 1)); }
bad() { echo "FAIL $*"; fail=$((fail + 1)); }

# expect STATUS STDERR-SUBSTRING CMD...: runs lstmc CMD..., checks both.
expect() {
    want_status=$1 want_err=$2
    shift 2
    "$lstmc" "$@" > "$tmp/out" 2> "$tmp/err" < /dev/null
    status=$?
    if [ "$status" -ne "$want_status" ]; then
        bad "lstmc $*: exit status $status, expected $want_status"; cat "$tmp/err"
    elif [ -n "$want_err" ] && ! grep -qF -- "$want_err" "$tmp/err"; then
        bad "lstmc $*: stderr lacks '$want_err':"; cat "$tmp/err"
    else
        ok
    fi
}

# value KEY FILE: the number after KEY in "key value" lines.
value() { awk -v k="$1" '$1 == k { print $2; exit }' "$2"; }

var=examples/variants
qs=examples/quickstart

# ---- help and usage ----
for c in eval compare verify init; do
    expect 0 "" $c --help
    expect 0 "" help $c
done
expect 2 "missing the targets: --targets FILE" eval $qs/model.lstm $qs/input.txt
expect 2 "missing the data file" eval $qs/model.lstm --targets x
expect 2 "unknown metric 'rmse'" eval $qs/model.lstm $qs/input.txt --targets x --metric mse,rmse
expect 2 "the metric 'within' needs --tolerance T" eval $qs/model.lstm $qs/input.txt --targets x --metric within
expect 2 "--tolerance 'zero' is not a number > 0" eval $qs/model.lstm $qs/input.txt --targets x --metric within --tolerance zero
expect 2 "--tolerance is for the metric 'within'" eval $qs/model.lstm $qs/input.txt --targets x --tolerance 0.1
expect 2 "--class-index targets are classes" eval $qs/model.lstm $qs/input.txt --targets x --class-index
expect 2 "--activations is for --jit" eval $qs/model.lstm $qs/input.txt --targets x --activations exact
expect 2 "expected two specs and the data" compare $var/block1997.lstm $var/input.txt
expect 2 "--tolerance '-1' is not a number >= 0" compare $var/block1997.lstm $var/cifg.lstm $var/input.txt --tolerance -1
expect 2 "missing the data file" verify $qs/model.lstm
expect 2 "give a file, not standard input" verify $qs/model.lstm -
expect 2 "missing the output file: -o" init $qs/model.lstm
expect 2 "unknown scheme 'xavier'" init $qs/model.lstm -o "$tmp/w.safetensors" --scheme xavier
expect 2 "unknown option '-w' for 'init'" init $qs/model.lstm -o "$tmp/w.safetensors" -w x.safetensors
expect 2 "--seed '-4' is not an integer >= 0" init $qs/model.lstm -o "$tmp/w.safetensors" --seed -4
expect 2 "--trace is the interpreter's" run $qs/model.lstm $qs/input.txt --trace "$tmp/t.csv" --jit
expect 2 "unknown option '--trace' for 'eval'" eval $qs/model.lstm $qs/input.txt --targets x --trace y
expect 2 "unknown --emit 'llvm' for build; expected c or obj" build $qs/model.lstm -o "$tmp/q" --emit llvm
expect 2 "--emit obj builds a program" build $qs/model.lstm -o "$tmp/q" --emit obj --shared

# ---- eval ----
# quickstart: 'output last', 5 outputs, one sequence. Its own outputs (as
# run prints them, %.9g) as targets give no error to 1e-7; an offset of 0.5
# gives 0.25 and 0.5.
"$lstmc" run $qs/model.lstm $qs/input.txt > "$tmp/qs.out"
expect 0 "" eval $qs/model.lstm $qs/input.txt --targets "$tmp/qs.out" --metric mse,mae,within,accuracy --tolerance 1e-6
cp "$tmp/out" "$tmp/eval0"
awk '$1 == "mse" { exit !($2 < 1e-14) }' "$tmp/eval0" && [ "$(value within_rows "$tmp/eval0")" = 1 ] &&
    [ "$(value accuracy "$tmp/eval0")" = 1 ] && [ "$(value sequences "$tmp/eval0")" = 1 ] && ok ||
    { bad "eval against the model's own outputs:"; cat "$tmp/eval0"; }
awk '{ for (i = 1; i <= NF; i++) $i += 0.5; print }' "$tmp/qs.out" > "$tmp/qs.off"
expect 0 "" eval $qs/model.lstm $qs/input.txt --targets "$tmp/qs.off" --metric mse,mae
awk '$1 == "mse" { d = $2 - 0.25 } $1 == "mae" { e = $2 - 0.5 }
     END { exit !(d * d < 1e-12 && e * e < 1e-12) }' "$tmp/out" && ok || { bad "eval of an offset of 0.5:"; cat "$tmp/out"; }
# mismatched targets: fewer rows, more rows, a row of the wrong width, a
# class index out of range or not an integer
printf '' > "$tmp/none.txt"
expect 1 "none.txt: error: has 0 rows; the model gave more output rows" eval $qs/model.lstm $qs/input.txt --targets "$tmp/none.txt"
cat "$tmp/qs.out" "$tmp/qs.out" > "$tmp/two.txt"
expect 1 "two.txt: error: has more rows than the model's 1 output rows" eval $qs/model.lstm $qs/input.txt --targets "$tmp/two.txt"
echo "1 2 3" > "$tmp/narrow.txt"
expect 1 "narrow.txt:1:" eval $qs/model.lstm $qs/input.txt --targets "$tmp/narrow.txt"
echo 5 > "$tmp/class5.txt"
expect 1 "class5.txt: error: row 0: 5 is not a class index from 0 to 4" eval $qs/model.lstm $qs/input.txt --targets "$tmp/class5.txt" --class-index --metric accuracy
echo 1.5 > "$tmp/class15.txt"
expect 1 "1.5 is not a class index" eval $qs/model.lstm $qs/input.txt --targets "$tmp/class15.txt" --class-index --metric accuracy
expect 1 "cannot open" eval $qs/model.lstm $qs/input.txt --targets "$tmp/no/such.txt"
# per sequence: a line per sequence of the variants' input cut in two
{ head -n 20 $var/input.txt; echo; tail -n 20 $var/input.txt; } > "$tmp/two_seqs.txt"
"$lstmc" run $var/cifg.lstm "$tmp/two_seqs.txt" > "$tmp/cifg.out"
expect 0 "" eval $var/cifg.lstm "$tmp/two_seqs.txt" --targets "$tmp/cifg.out" --per-sequence
[ "$(grep -c '^sequence [01] rows 20 mse [0-9.]*e-[12][0-9]$' "$tmp/out")" = 2 ] && [ "$(value rows "$tmp/out")" = 40 ] && ok ||
    { bad "eval --per-sequence:"; cat "$tmp/out"; }
# a spec of one dense layer, without a weights statement: init, then eval
cat > "$tmp/dense.lstm" <<'SPEC'
model dense_only {
    input 4;
    dense d { units 4; activation softmax; from native "d"; }
    output sequence;
}
SPEC
printf '1 0 0 0\n0 0 0 1\n' > "$tmp/dense.txt"
printf '0\n3\n' > "$tmp/dense.targets"
"$lstmc" init "$tmp/dense.lstm" -o "$tmp/dense.safetensors" &&
    "$lstmc" eval "$tmp/dense.lstm" "$tmp/dense.txt" -w "$tmp/dense.safetensors" --targets "$tmp/dense.targets" \
        --class-index --metric xent > "$tmp/out" && [ "$(value rows "$tmp/out")" = 2 ] && ok ||
    { bad "init and eval of a dense-only spec:"; cat "$tmp/out"; }
# bits = xent / ln 2 on the character model's first 200 characters
head -c 201 examples/charlm/heldout.txt > "$tmp/c.txt"
sh examples/charlm/to_data.sh "$tmp/c.txt" "$tmp/c.data" "$tmp/c.targets"
expect 0 "" eval examples/charlm/model.lstm "$tmp/c.data" --targets "$tmp/c.targets" --class-index --metric xent,bits,accuracy
awk '$1 == "xent" { x = $2 } $1 == "bits" { b = $2 } $1 == "rows" { r = $2 }
     END { d = x / log(2) - b; exit !(r == 200 && d * d < 1e-14 && b > 0) }' "$tmp/out" && ok ||
    { bad "eval xent and bits:"; cat "$tmp/out"; }
cp "$tmp/out" "$tmp/c.interp"
# the same with --jit (float32 with fast activations): within 1e-5
if "$lstmc" eval examples/charlm/model.lstm "$tmp/c.data" --targets "$tmp/c.targets" --class-index --metric bits --jit > "$tmp/c.jit" 2> "$tmp/err"; then
    awk -v a="$(value bits "$tmp/c.interp")" -v b="$(value bits "$tmp/c.jit")" 'BEGIN { d = a - b; exit !(d * d < 1e-10) }' &&
        ok || bad "eval --jit differs from the interpreter: $(value bits "$tmp/c.interp") vs $(value bits "$tmp/c.jit")"
elif grep -q "built without the LLVM backend" "$tmp/err"; then
    echo "workbench: eval --jit skipped (this lstmc has no LLVM backend)"
else
    bad "eval --jit:"; cat "$tmp/err"
fi

# ---- compare ----
expect 0 "" compare $var/block1997.lstm $var/cifg.lstm $var/input.txt
grep -q '^output 0 ' "$tmp/out" && grep -q '^mem.c ' "$tmp/out" && grep -q '^mem.h ' "$tmp/out" && ok ||
    { bad "compare of the variants lacks output 0, mem.c or mem.h:"; cat "$tmp/out"; }
# a spec against itself: no difference, never beyond the tolerance
expect 0 "" compare $var/cifg.lstm $var/cifg.lstm $var/input.txt --tolerance 0
awk '$1 == "output" || $1 ~ /^mem\./ { n++; if ($(NF - 2) != 0 || $NF != "-") bad = 1 }
     END { exit !(n == 3 && !bad) }' "$tmp/out" && ok || { bad "compare of a spec with itself:"; cat "$tmp/out"; }
# --weights-type: B's weights stored narrow, A's as the spec says
expect 0 "" compare $var/cifg.lstm $var/cifg.lstm $var/input.txt --weights-type int8 --tolerance 0
awk '$1 == "output" { n++; if ($3 == 0) bad = 1 } END { exit !(n == 1 && !bad) }' "$tmp/out" && ok ||
    { bad "compare --weights-type int8 of a spec with itself shows no difference:"; cat "$tmp/out"; }
# a GRU's weights narrow too
expect 0 "" compare tests/pytorch/g1_gru.lstm tests/pytorch/g1_gru.lstm tests/fixtures/pytorch/g1_gru/input.txt \
    --weights-type int8 --tolerance 0
awk '$1 == "output" { n++; if ($3 == 0) bad = 1 } END { exit !(n == 12 && !bad) }' "$tmp/out" && ok ||
    { bad "compare --weights-type int8 of a GRU spec with itself shows no difference:"; cat "$tmp/out"; }
expect 2 "--weights-type 'f8' is not" compare $var/cifg.lstm $var/cifg.lstm $var/input.txt --weights-type f8
# --products int8: B's h quantized in its recurrent products, A the spec's
# int8 weights alone: they differ, A against itself does not
sed -e "s|^    weights \"weights.safetensors\";|    weights \"$PWD/$qs/weights.safetensors\"; weights_type int8;|" \
    "$qs/model.lstm" > "$tmp/q8.lstm"
expect 0 "" compare "$tmp/q8.lstm" "$tmp/q8.lstm" $qs/input.txt --weights-type int8 --products int8 --tolerance 0
awk '$1 == "output" { n++; if ($3 == 0) bad = 1 } END { exit !(n == 5 && !bad) }' "$tmp/out" && ok ||
    { bad "compare --products int8 of a spec with itself shows no difference:"; cat "$tmp/out"; }
expect 1 "products int8 multiplies int8 weights, not f32" compare $var/cifg.lstm $var/cifg.lstm $var/input.txt \
    --products int8
expect 2 "--products 'int4' is not f32 or int8" compare $var/cifg.lstm $var/cifg.lstm $var/input.txt --products int4
# shapes that differ between A and B
expect 1 "reads 13 inputs per step" compare $var/cifg.lstm $qs/model.lstm $var/input.txt
cat > "$tmp/two_out.lstm" <<'SPEC'
model two_out {
    input 2;
    lstm mem { hidden 8; from native "mem"; }
    dense head { units 2; from native "head"; }
    output sequence;
}
SPEC
"$lstmc" init "$tmp/two_out.lstm" -o "$tmp/two_out.safetensors" > /dev/null
expect 1 "gives 2 outputs per step" compare $var/cifg.lstm "$tmp/two_out.lstm" $var/input.txt -w $var/weights.safetensors -w "$tmp/two_out.safetensors"
# layers of another shape: outputs compared, their states not
sed 's/units 2/units 1/' "$tmp/two_out.lstm" > "$tmp/h8.lstm"
"$lstmc" init "$tmp/h8.lstm" -o "$tmp/h8.safetensors" > /dev/null
expect 0 "" compare $var/block1997.lstm "$tmp/h8.lstm" $var/input.txt -w $var/weights.safetensors -w "$tmp/h8.safetensors"
expect 0 "" compare $var/cifg.lstm "$tmp/h8.lstm" $var/input.txt -w $var/weights.safetensors -w "$tmp/h8.safetensors"
grep -q "^mem.c " "$tmp/out" && ok || { bad "compare of two 8-cell layers lacks mem.c:"; cat "$tmp/out"; }
expect 1 "cannot open" compare $var/cifg.lstm $var/cifg.lstm "$tmp/no/such.txt"

# ---- run --trace ----
expect 1 "cannot write" run $var/block1997.lstm $var/input.txt --trace "$tmp/no/such/dir/t.csv"
[ ! -e "$tmp/no" ] && ok || bad "an unwritable trace left something behind"
expect 0 "" run $var/block1997.lstm $var/input.txt --trace "$tmp/t.csv"
"$lstmc" run $var/block1997.lstm $var/input.txt > "$tmp/plain.out"
cmp -s "$tmp/out" "$tmp/plain.out" && ok || bad "run --trace changed run's output"
head -n 1 "$tmp/t.csv" | grep -q '^seq,step,mem.i.0,mem.i.1,mem.i.2,mem.i.3,mem.f.0,' && [ "$(wc -l < "$tmp/t.csv")" -eq 41 ] && ok ||
    bad "trace CSV: header or row count ($(head -c 80 "$tmp/t.csv"))"
# no forget gate: f is 1 at every step; h of the last step is run's input to the head
awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i ~ /\.f\./) f[i] = 1; next }
         { for (i in f) if ($i != 1) exit 1 }' "$tmp/t.csv" && ok || bad "the 1997 trace's f is not 1"
# a bad sequence stops the run; the trace is not left half-written
printf '1 2\n3 x\n' > "$tmp/bad.txt"
expect 1 "bad.txt:2:" run $var/block1997.lstm "$tmp/bad.txt" --trace "$tmp/bad.csv"
[ ! -e "$tmp/bad.csv" ] && ok || bad "a failed run left its trace"
# .npy: float32 [steps, 2 + columns]
expect 0 "" run $var/cifg.lstm "$tmp/two_seqs.txt" --trace "$tmp/t.npy"
od -An -c -j 1 -N 5 "$tmp/t.npy" | grep -q 'N   U   M   P   Y' && head -c 128 "$tmp/t.npy" | grep -q "'shape': (40, 38)" && ok ||
    bad "trace .npy header: $(head -c 100 "$tmp/t.npy")"
# sequences and steps: two sequences of 20
awk -F, 'NR > 1 { n[$1]++; if ($2 >= 20) bad = 1 } END { exit !(n[0] == 20 && n[1] == 20 && !bad) }' \
    "$(sh -c "\"$lstmc\" run $var/cifg.lstm $tmp/two_seqs.txt --trace $tmp/two.csv > /dev/null; echo $tmp/two.csv")" &&
    ok || bad "trace seq and step columns"

# The 1997 cell's internal state drift (the paper's section 4.7): the
# trained blocks1997 model on one long stream of symbols without a reset.
# Without a forget gate c grows with the stream; the same tensors read with
# a coupled forget gate (f = 1 - i: c' is a mix of c and g, |g| <= 2) stay
# within 2 at every step.
awk 'BEGIN { srand(1997); for (t = 0; t < 3000; t++) { k = int(rand() * 7); row = "";
     for (j = 0; j < 7; j++) row = row (j ? " " : "") (j == k); print row } }' > "$tmp/stream.txt"
"$lstmc" run examples/blocks1997/model.lstm "$tmp/stream.txt" --trace "$tmp/t1997.csv" > /dev/null
"$lstmc" run examples/blocks1997/cifg.lstm "$tmp/stream.txt" --trace "$tmp/tcifg.csv" > /dev/null
maxc='NR == 1 { for (i = 1; i <= NF; i++) if ($i ~ /\.c\./) c[i] = 1; next }
      { m = 0; for (i in c) { v = $i < 0 ? -$i : $i; if (v > m) m = v }
        if (m > all) all = m; if ($2 == 299) early = m; if ($2 == 2999) late = m }
      END { printf "%g %g %g\n", early, late, all }'
set -- $(awk -F, "$maxc" "$tmp/t1997.csv")
if awk -v e="$1" -v l="$2" 'BEGIN { exit !(l > 5 * e && l > 100) }'; then
    echo "workbench: trace, 1997 cell without forget gate: max |c| $1 at step 299, $2 at step 2999"; ok
else
    bad "the 1997 cell's c did not grow: max |c| $1 at step 299, $2 at step 2999"
fi
set -- $(awk -F, "$maxc" "$tmp/tcifg.csv")
if awk -v a="$3" 'BEGIN { exit !(a <= 2) }'; then
    echo "workbench: trace, the same cell with a coupled forget gate: max |c| $3 over 3000 steps"; ok
else
    bad "with a forget gate c exceeded 2: max |c| $3"
fi

# ---- init ----
# loads in every convention, under every scheme: specs of pytorch, keras,
# onnx and native tensors (blocks, peepholes, projection, coupled, initial
# states, stacked and bidirectional layers; gru and rnn layers)
n=0 recurrent=0
for s in tests/workbench/*.lstm tests/pytorch/*.lstm tests/numpy/*.lstm examples/*/*.lstm; do
    grep -qE '^ *(gru|rnn) [A-Za-z_]' "$s" && recurrent=$((recurrent + 1))
    for scheme in default pytorch keras 1997; do
        flag=; [ $scheme = default ] || flag="--scheme $scheme"
        # shellcheck disable=SC2086
        if "$lstmc" init "$s" -o "$tmp/i.safetensors" $flag 2> "$tmp/err" &&
            "$lstmc" check "$s" -w "$tmp/i.safetensors" > /dev/null 2>> "$tmp/err"; then
            n=$((n + 1))
        else
            bad "init $s $flag does not load:"; head -n 5 "$tmp/err"
        fi
        rm -f "$tmp/i.safetensors"
    done
done
echo "workbench: init, $n spec and scheme pairs load (pytorch, keras, onnx, native; $recurrent specs with gru or rnn layers)"; ok
# A gru or rnn layer drawn from one seed is the same layer in every
# convention: init places each part's rows where that convention's loader
# takes them from (r z n, z r h, stacked, transposed, split biases), so the
# outputs agree (the biases summed in another order: within 1e-6). (A dense
# head would not: its draws fill Keras' transposed kernel in file order.)
printf '0.1 0.2 0.3\n0.5 -1 2\n-0.7 0.4 0.9\n' > "$tmp/x3.txt"
for layer in "gru g { hidden 5; reset after;" "gru k { hidden 3; reset before;" "rnn r { hidden 4; activation relu;"; do
    for scheme in pytorch keras 1997; do
        first= agree=0
        for conv in pytorch keras onnx native; do
            case "$layer $conv" in *"reset before;"*pytorch) continue ;; esac
            printf 'model m {\n    input 3;\n    %s from %s "rnn"; }\n}\n' "$layer" "$conv" > "$tmp/$conv.lstm"
            if ! "$lstmc" init "$tmp/$conv.lstm" -o "$tmp/$conv.safetensors" --scheme $scheme --seed 3 2> "$tmp/err" ||
               ! "$lstmc" run "$tmp/$conv.lstm" -w "$tmp/$conv.safetensors" "$tmp/x3.txt" > "$tmp/$conv.out" 2>> "$tmp/err"; then
                bad "init ${layer%% {*} from $conv, scheme $scheme:"; head -n 3 "$tmp/err"
                continue
            fi
            if [ -z "$first" ]; then
                first=$conv
            elif d=$(awk -f tests/maxdiff.awk "$tmp/$conv.out" "$tmp/$first.out") &&
                 awk -v d="$d" 'BEGIN { exit !(d <= 1e-6) }'; then
                agree=$((agree + 1))
            else
                bad "init ${layer%% {*} from $conv, scheme $scheme: output differs from $first's by $d"
            fi
        done
        [ $agree -ge 2 ] || bad "init ${layer%% {*}, scheme $scheme: only $agree conventions agreed"
    done
done
echo "workbench: init, gru (reset after, before) and rnn layers from one seed agree in every convention"; ok
# deterministic for a seed, another seed another file
"$lstmc" init $var/block1997.lstm -o "$tmp/a.safetensors" --seed 7 --scheme 1997
"$lstmc" init $var/block1997.lstm -o "$tmp/b.safetensors" --seed 7 --scheme 1997
"$lstmc" init $var/block1997.lstm -o "$tmp/c.safetensors" --seed 8 --scheme 1997
cmp -s "$tmp/a.safetensors" "$tmp/b.safetensors" && ! cmp -s "$tmp/a.safetensors" "$tmp/c.safetensors" && ok ||
    bad "init is not deterministic for a seed"
# a spec without a weights statement; an unwritable output leaves nothing
expect 0 "" init "$tmp/two_out.lstm" -o "$tmp/x.safetensors"
expect 1 "cannot write" init $qs/model.lstm -o "$tmp/no/such/w.safetensors"
expect 1 "error:" init tests/diag/blocks_not_dividing.lstm -o "$tmp/y.safetensors"
[ ! -e "$tmp/y.safetensors" ] && ok || bad "init of a bad spec wrote a file"

# ---- verify: every example, every path ----
awk 'BEGIN { srand(7); for (s = 0; s < 3; s++) { for (t = 0; t < 100; t++)
     printf "%.6f %d\n", 2 * rand() - 1, (t == 3 || t == 30) ? 1 : (t == 0 || t == 99) ? -1 : 0; print "" } }' > "$tmp/adding.txt"
verify() {
    if "$lstmc" verify "$1" "$2" > "$tmp/v.out" 2> "$tmp/err"; then
        ok; echo "workbench: verify $1: $(tail -n 1 "$tmp/v.out")"
        grep "skipped" "$tmp/v.out" | sed 's/^/workbench:   /'
    else
        bad "verify $1 $2:"; cat "$tmp/v.out" "$tmp/err"
    fi
}
verify $qs/model.lstm $qs/input.txt
if [ "${LSTMC_SAN:-}" = 1 ]; then
    # under the sanitizers: the quickstart only (each verify builds two
    # programs; the normal pass verifies every example)
    echo "workbench: $pass passed, $fail failed"
    [ "$fail" -eq 0 ]; exit
fi
verify examples/standalone/model.lstm examples/standalone/input.txt
verify examples/embed/model.lstm examples/embed/input.txt
verify $var/block1997.lstm $var/input.txt
verify $var/cifg.lstm $var/input.txt
verify examples/adding/model.lstm "$tmp/adding.txt"
# (sequences of 30 symbols: over the long stream the 1997 cell's c reaches
# thousands, and float32's relative error with it)
awk '{ print } NR % 30 == 0 { print "" }' "$tmp/stream.txt" > "$tmp/reber30.txt"
verify examples/blocks1997/model.lstm "$tmp/reber30.txt"
verify examples/blocks1997/cifg.lstm "$tmp/reber30.txt"
verify examples/charlm/model.lstm "$tmp/c.data"
# --weights-type: every path with the narrow weights (the interpreter's bf16
# against compiled f32 would differ by 1e-3)
for t in f16 bf16 int8; do
    if "$lstmc" verify $var/cifg.lstm $var/input.txt --weights-type $t --tolerance 1e-5 > "$tmp/v.out" 2> "$tmp/err"; then
        ok; echo "workbench: verify --weights-type $t $var/cifg.lstm: $(tail -n 1 "$tmp/v.out")"
    else
        bad "verify --weights-type $t:"; cat "$tmp/v.out" "$tmp/err"
    fi
done
# --products int8: every path with h quantized in the recurrent products
if "$lstmc" verify $qs/model.lstm $qs/input.txt --weights-type int8 --products int8 --tolerance 1e-5 \
        > "$tmp/v.out" 2> "$tmp/err"; then
    ok; echo "workbench: verify --weights-type int8 --products int8 $qs/model.lstm: $(tail -n 1 "$tmp/v.out")"
else
    bad "verify --products int8:"; cat "$tmp/v.out" "$tmp/err"
fi
# (bfloat16 rows in pairs of vectors: the kernels that read two vectors per load)
if "$lstmc" verify $qs/model.lstm $qs/input.txt --weights-type bf16 --tolerance 1e-5 > "$tmp/v.out" 2> "$tmp/err"; then
    ok; echo "workbench: verify --weights-type bf16 $qs/model.lstm: $(tail -n 1 "$tmp/v.out")"
else
    bad "verify --weights-type bf16 $qs/model.lstm:"; cat "$tmp/v.out" "$tmp/err"
fi
# a path that differs beyond the tolerance fails
expect 1 "" verify $qs/model.lstm $qs/input.txt --tolerance 0
grep -q "FAILED" "$tmp/out" && ok || bad "verify --tolerance 0 did not fail"

echo "workbench: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
