#!/bin/sh
# Command-line behaviour: exit statuses (0 ok, 1 bad input, 2 usage), usage
# messages, standard input, a failed write, and running out of memory at
# every allocation of a whole `lstmc run` and `lstmc compile` (`import`'s
# is in run_onnx.sh).
# usage: tests/run_cli.sh path/to/lstmc
set -u
lstmc=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
cd "$(dirname "$0")" || exit 2
pass=0 fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# expect STATUS STDERR-SUBSTRING CMD...: runs lstmc CMD..., checks both.
expect() {
    want_status=$1 want_err=$2
    shift 2
    "$lstmc" "$@" > "$tmp/out" 2> "$tmp/err" < /dev/null
    status=$?
    if [ "$status" -ne "$want_status" ]; then
        echo "FAIL lstmc $*: exit status $status, expected $want_status"; cat "$tmp/err"
        fail=$((fail + 1))
    elif [ -n "$want_err" ] && ! grep -qF -- "$want_err" "$tmp/err"; then
        echo "FAIL lstmc $*: stderr lacks '$want_err':"; cat "$tmp/err"
        fail=$((fail + 1))
    else
        pass=$((pass + 1))
    fi
}

v1=pytorch/v1_single.lstm
in1=fixtures/pytorch/v1_single/input.txt
expect 2 "usage: lstmc <command>"
expect 2 "unknown command 'frobnicate'" frobnicate
expect 2 "did you mean 'check'?" chek $v1
expect 2 "missing the spec file" run
expect 2 "did you mean '--weights'?" check $v1 --weigths x
expect 2 "'-w' needs a value" check $v1 -w
expect 2 "'--weights' needs a non-empty value" check $v1 --weights=
expect 2 "'--ast' takes no value" check $v1 --ast=1
expect 2 "unknown option '--cc' for 'check'" check $v1 --cc gcc
expect 2 "unexpected argument 'c'" run $v1 $in1 c
expect 2 "Try 'lstmc run --help'" run --bogus
expect 2 "missing the output prefix: -o PREFIX" compile $v1
expect 2 "missing the output program: -o BIN" build $v1
expect 2 "--threads '0' is not a number from 1 to 64" compile $v1 -o "$tmp/m" --threads 0
expect 2 "--name '9bad' is not a C identifier" compile $v1 -o "$tmp/m" --name 9bad
expect 2 "unknown activations mode 'slow'" build $v1 -o "$tmp/m" --activations slow
expect 2 "--weights-type 'f8' is not f32, f16, bf16 or int8" run $v1 --weights-type f8
expect 2 "--weights-type 'int4' is not f32, f16, bf16 or int8" compile $v1 -o "$tmp/m" --weights-type int4
expect 2 "unknown option '--threads' for 'build'" build $v1 -o "$tmp/m" --threads 2
# arithmetic int16: flags, ranges files, what the integer mode refuses
expect 2 "--arithmetic 'int8' is not float or int16" run $v1 --arithmetic int8
expect 2 "--weights-type f16: arithmetic int16 computes with int8 weights" run $v1 --arithmetic int16 --weights-type f16
expect 2 "--ranges and --calibrate both give the ranges: give one" run $v1 --arithmetic int16 --ranges a --calibrate b
expect 2 "--ranges and --calibrate are for arithmetic int16" run $v1 $in1 --ranges "$tmp/r"
expect 2 "missing -o RANGES" calibrate $v1 $in1
expect 2 "missing the calibration data" calibrate $v1 -o "$tmp/r"
expect 1 "arithmetic int16 needs the ranges of its tensors" run $v1 $in1 --arithmetic int16
expect 0 "" calibrate $v1 $in1 -o "$tmp/r"
expect 0 "" run $v1 $in1 --arithmetic int16 --ranges "$tmp/r"
expect 0 "" run $v1 $in1 --arithmetic int16 --calibrate $in1
expect 0 "" compile $v1 --arithmetic int16 --ranges "$tmp/r" -o "$tmp/i16"
expect 2 "--threads, --chunk and --activations are for float arithmetic" compile $v1 --arithmetic int16 \
    --ranges "$tmp/r" -o "$tmp/i16" --chunk 4
expect 0 "" build $v1 --arithmetic int16 --ranges "$tmp/r" -o "$tmp/i16b"
expect 1 "gru 'gru': arithmetic int16 is for lstm and dense layers" run pytorch/g1_gru.lstm \
    fixtures/pytorch/g1_gru/input.txt --arithmetic int16 --calibrate fixtures/pytorch/g1_gru/input.txt
expect 1 "does not pool with 'output mean;'" run pytorch/p16_mean_pooled.lstm fixtures/pytorch/p16_mean_pooled/input.txt \
    --arithmetic int16 --calibrate fixtures/pytorch/p16_mean_pooled/input.txt
expect 1 "arithmetic int16 has no projection" run pytorch/p15_bidir_projection_h_n.lstm \
    fixtures/pytorch/p15_bidir_projection_h_n/input.txt --arithmetic int16 \
    --calibrate fixtures/pytorch/p15_bidir_projection_h_n/input.txt
# a bidirectional model's integer code takes whole sequences: NAME_run, no NAME_step
expect 0 "" compile pytorch/p10_keras_bidir_stacked.lstm --arithmetic int16 \
    --calibrate fixtures/pytorch/p10_keras_bidir_stacked/input.txt -o "$tmp/bi"
if grep -q "_STREAMING   0" "$tmp/bi.h" && grep -q "There is no step function" "$tmp/bi.h" &&
   grep -q "_run(.*int16_t \*scratch);" "$tmp/bi.h" && ! grep -q "_step(" "$tmp/bi.h"; then
    pass=$((pass + 1))
else
    echo "FAIL compile --arithmetic int16 of a bidirectional model: its header is not NAME_run's"
    fail=$((fail + 1))
fi
printf 'lstmc-ranges 1\nmodel other\ninput 0 1\n' > "$tmp/other.ranges"
expect 1 "holds the ranges of model 'other'" run $v1 $in1 --arithmetic int16 --ranges "$tmp/other.ranges"
printf 'lstmc-ranges 1\nmodel m\ninput 0 one\n' > "$tmp/bad.ranges"
expect 1 "bad.ranges:3:9: error: expected 'NAME MIN MAX'" run $v1 $in1 --arithmetic int16 --ranges "$tmp/bad.ranges"
expect 1 "cannot write" compile $v1 -o no/such/dir/m
expect 0 "" --help
expect 0 "" --version
expect 0 "" help run
expect 0 "" check --help
expect 0 "" run -h
expect 0 "" check $v1
expect 0 "" check --no-weights $v1 -w does/not/matter
expect 0 "" check --ast $v1
expect 1 "cannot open" check no/such/spec.lstm
expect 1 "cannot open" run $v1 no/such/input.txt
# the data forms' flags (tests/run_stream.sh runs them)
expect 2 "--format 'csv' is not a data form; expected text, f32 or npy" run $v1 --format csv $in1
expect 2 "--output-format 'x' is not a data form" run $v1 --output-format x $in1
expect 2 "--header is for text input" run $v1 --header stream/x8.npy
expect 2 "--header is for text input" run $v1 --header --format f32 $in1
expect 2 "unknown option '--shared' for 'run'" run $v1 --shared $in1
expect 2 "unknown option '--format' for 'build'" build $v1 -o "$tmp/m" --format npy
expect 2 "'--header' takes no value" run $v1 --header=1 $in1
expect 1 "no/such/dir/out.txt: error: cannot write" run $v1 $in1 -o no/such/dir/out.txt
expect 0 "" run $v1 stream/x8.npy -o "$tmp/y.npy"
expect 0 "" run $v1 stream/x8.txt --header --output-format f32 -o "$tmp/y.f32"
expect 1 "stream/x8.npy:1:1: error: this is a NumPy .npy file, not text" run $v1 --format text stream/x8.npy
[ -s "$tmp/y.npy" ] && [ -s "$tmp/y.f32" ] && pass=$((pass + 1)) ||
    { echo "FAIL: run -o FILE wrote nothing"; fail=$((fail + 1)); }

# --help documents every flag the parser accepts.
"$lstmc" check --help | grep -q -- "--no-weights" && "$lstmc" check --help | grep -q -- "--ast" &&
    "$lstmc" run --help | grep -q -- "--weights" && "$lstmc" run --help | grep -q -- "--format F" &&
    "$lstmc" run --help | grep -q -- "--output-format F" && "$lstmc" run --help | grep -q -- "--header" &&
    "$lstmc" run --help | grep -q -- "-o, --output FILE" && "$lstmc" build --help | grep -q -- "--shared" &&
    pass=$((pass + 1)) ||
    { echo "FAIL: --help does not list every flag"; fail=$((fail + 1)); }

# Standard input, and '-' for it, give what the file gives.
"$lstmc" run $v1 $in1 > "$tmp/a"
"$lstmc" run $v1 < $in1 > "$tmp/b"
"$lstmc" run $v1 - < $in1 > "$tmp/c"
if cmp -s "$tmp/a" "$tmp/b" && cmp -s "$tmp/a" "$tmp/c" && [ -s "$tmp/a" ]; then
    pass=$((pass + 1))
else
    echo "FAIL: run from standard input differs from run from a file"; fail=$((fail + 1))
fi

# Two sequences with 'output last' give two lines; a sequence after a bad
# line is not run, and the bad sequence prints nothing.
v2=pytorch/v2_stacked_head.lstm
in2=fixtures/pytorch/v2_stacked_head/input.txt
{ cat $in2; echo; cat $in2; } > "$tmp/two.txt"
n=$("$lstmc" run $v2 "$tmp/two.txt" | wc -l)
[ "$n" -eq 2 ] && pass=$((pass + 1)) || { echo "FAIL: 2 sequences gave $n lines"; fail=$((fail + 1)); }
{ cat $in2; echo; head -3 $in2; echo "1 2"; } > "$tmp/bad.txt"
n=$("$lstmc" run $v2 "$tmp/bad.txt" 2>/dev/null | wc -l)
[ "$n" -eq 1 ] && pass=$((pass + 1)) || { echo "FAIL: bad 2nd sequence printed $n lines, expected 1"; fail=$((fail + 1)); }

# A write that fails is an error, not a silent truncation.
if [ -w /dev/full ]; then
    "$lstmc" run $v1 $in1 > /dev/full 2> "$tmp/err"
    status=$?
    if [ $status -eq 1 ] && grep -q "cannot write" "$tmp/err"; then pass=$((pass + 1))
    else echo "FAIL: writing to /dev/full: status $status"; cat "$tmp/err"; fail=$((fail + 1)); fi
    # the binary forms too (.npy to a stream that cannot seek: at the end)
    for form in f32 npy; do
        "$lstmc" run $v1 $in1 --output-format $form > /dev/full 2> "$tmp/err"
        status=$?
        if [ $status -eq 1 ] && grep -q "cannot write the output" "$tmp/err"; then pass=$((pass + 1))
        else echo "FAIL: writing $form to /dev/full: status $status"; cat "$tmp/err"; fail=$((fail + 1)); fi
    done
fi

# Out of memory at each allocation in turn. LSTMC_FAIL_ALLOC=N makes the Nth
# allocation fail, and util.c then always reports it and exits, so what is
# checked here is what that does not guarantee by itself: the one message
# and status 1 (not a crash, a sanitizer report, or another error first);
# no output file left behind; and, once N is past the last allocation, a run
# that succeeds with exactly the output of a run without the variable. A
# command that never succeeds within the cap fails, and so does one that the
# variable does not affect.
# oom NAME OUTDIR CMD...: runs lstmc CMD... (which writes into OUTDIR, or
# nothing) for N = 1, 2, ... until it succeeds.
printf 'lstmc: error: out of memory\n' > "$tmp/oom.err"
oom() {
    name=$1 dir=$2 cap=2000
    shift 2
    rm -rf "$dir" "$tmp/ref" && mkdir -p "$dir"
    "$lstmc" "$@" > "$tmp/ref.out" 2> "$tmp/err" < /dev/null ||
        { echo "FAIL out of memory, $name: the run without LSTMC_FAIL_ALLOC failed:"; cat "$tmp/err"
          fail=$((fail + 1)); return; }
    mv "$dir" "$tmp/ref" && mkdir -p "$dir"
    n=1
    while [ $n -le $cap ]; do
        LSTMC_FAIL_ALLOC=$n "$lstmc" "$@" > "$tmp/out" 2> "$tmp/err" < /dev/null
        status=$?
        [ $status -eq 0 ] && break
        if [ $status -ne 1 ] || ! cmp -s "$tmp/err" "$tmp/oom.err"; then
            echo "FAIL out of memory, $name: allocation $n failing: status $status, stderr:"; cat "$tmp/err"
            fail=$((fail + 1)); return
        fi
        left=$(find "$dir" -type f)
        if [ -n "$left" ]; then
            echo "FAIL out of memory, $name: allocation $n failing left" $left
            fail=$((fail + 1)); return
        fi
        n=$((n + 1))
    done
    if [ $n -gt $cap ]; then
        echo "FAIL out of memory, $name: not one successful run with LSTMC_FAIL_ALLOC up to $cap"; fail=$((fail + 1))
    elif [ $n -eq 1 ]; then
        echo "FAIL out of memory, $name: LSTMC_FAIL_ALLOC=1 did not make it fail"; fail=$((fail + 1))
    elif ! cmp -s "$tmp/out" "$tmp/ref.out" || ! diff -r "$tmp/ref" "$dir" > /dev/null; then
        echo "FAIL out of memory, $name: the run at LSTMC_FAIL_ALLOC=$n differs from a plain one"; fail=$((fail + 1))
    else
        echo "cli: out of memory, $name: each of $((n - 1)) allocations, then the plain result"
        pass=$((pass + 1))
    fi
}
oom "run" "$tmp/oom" run $v2 $in2
oom "compile" "$tmp/oom" compile $v1 -o "$tmp/oom/m"

# lstmc build's compiler flags: for this machine by default, -O2 with
# --portable or another --cc, both named in the program's --help
expect 2 "--portable and --cflags: give one" build $v1 -o "$tmp/p" --portable --cflags -O1
for case in "default|-O3 -march=native" "--portable|cc -O2 (then"; do
    flag=${case%%|*} want=${case#*|}
    [ "$flag" = default ] && flag=
    # shellcheck disable=SC2086
    if "$lstmc" build $v1 -o "$tmp/p" $flag > /dev/null 2>&1 && "$tmp/p" --help | grep -qF -- "$want"; then
        pass=$((pass + 1))
    else
        echo "FAIL lstmc build ${flag:-(no flags)}: the program was not built with '$want'"; fail=$((fail + 1))
    fi
done

echo "cli: $pass passed, $fail failed"
[ $fail -eq 0 ]
