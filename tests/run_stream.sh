#!/bin/sh
# Streams and data forms through the three runners: `lstmc run` (the
# interpreter), a program of `lstmc build`, and `lstmc run --jit` (when this
# lstmc has LLVM):
#   a. live: one timestep written into a fifo that stays open gives its row
#      before the input ends (waited for at most 10 s), for a model that
#      outputs every step; a sequence and a blank line give the row of an
#      `output last` model and the rows of a bidirectional one (which reads
#      whole sequences); `yes ROW | RUNNER | head -n 5` returns within 10 s.
#      Each fails on the lstmc before issue 14, which read to the end first.
#   b. long: STREAM_STEPS timesteps (default 10^6) of one sequence through
#      an `output last` model, piped in: peak RSS (/usr/bin/time -v) beside
#      a run of 1000 steps, which must be within 2 MB of it, and the last
#      row of each compiled runner within 1e-5 of the interpreter's (no
#      drift beyond float32 rounding); then STREAM_STEPS / 10 steps of a
#      model that writes every row, through a pipe, in flat memory too.
#      STREAM_SWEEP="N1 N2 ..." replaces the pair of lengths (make
#      check-stream-long: up to 10^7).
#   c. forms: text, f32 and .npy (float32, float64, big-endian; 2-D and 3-D,
#      made by NumPy: tests/stream/gen.py) give byte-identical outputs from
#      each runner; its f32 and .npy outputs (to a file and to a pipe) hold
#      the rows of its text output (read back by rowscat), with the shape
#      NumPy expects; --header skips a line of column names.
# usage: tests/run_stream.sh path/to/lstmc path/to/rowscat
set -u
lstmc=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
rowscat=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
cd "$(dirname "$0")" || exit 2
tests=$(pwd)
steps=${STREAM_STEPS:-1000000}
sweep=${STREAM_SWEEP:-1000 $steps}
pass=0 fail=0
tmp=$(mktemp -d)
trap 'exec 3>&- 2> /dev/null; rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

ok() { echo "ok   $*"; pass=$((pass + 1)); }
bad() { echo "FAIL $*"; fail=$((fail + 1)); }

for tool in timeout mkfifo /usr/bin/time; do
    command -v $tool > /dev/null || { bad "$tool not found (Debian: coreutils, time)"; }
done

v1=pytorch/v1_single.lstm          # 8 -> 16, every step: streaming
v2=pytorch/v2_stacked_head.lstm    # 13 -> 5, output last: streaming
v3=pytorch/v3_bidir.lstm           # 6 -> 40, bidirectional: whole sequences
last8=stream/last8.lstm            # 8 -> 16, output last: the long stream

# The runners: NAME and its command (a spec's program is built on demand).
runners="build run"
if "$lstmc" help run 2>&1 | grep -q -- '--jit' &&
   ! "$lstmc" run --jit $v1 < /dev/null 2>&1 | grep -q 'without the LLVM backend'; then
    runners="$runners jit"
else
    echo "jit: skipped (this lstmc has no LLVM backend)"
fi

# runner NAME SPEC: prints the command that runs SPEC by runner NAME.
runner() {
    case $1 in
    run) echo "$lstmc run $2" ;;
    jit) echo "$lstmc run --jit $2" ;;
    build)
        prog=$tmp/prog_$(basename "$2" .lstm)
        if [ ! -x "$prog" ] && ! "$lstmc" build "$2" -o "$prog" 2> "$tmp/build.err"; then
            cat "$tmp/build.err" >&2
        fi
        echo "$prog" ;;
    esac
}

# ---- a. live: rows before the input ends ----

# live NAME DATA CMD...: CMD reads a fifo kept open after DATA (printf
# format) was written; its first output row must come within 10 s.
live() {
    name=$1 data=$2
    shift 2
    rm -f "$tmp/fifo" "$tmp/first"
    mkfifo "$tmp/fifo"
    ("$@" < "$tmp/fifo" 2> "$tmp/live.err" | head -n 1 > "$tmp/first") &
    bg=$!
    exec 3> "$tmp/fifo"
    # shellcheck disable=SC2059
    printf "$data" >&3
    n=0
    while [ ! -s "$tmp/first" ] && [ $n -lt 100 ]; do
        sleep 0.1
        n=$((n + 1))
    done
    got=$(head -c 40 "$tmp/first")
    exec 3>&-
    wait $bg
    if [ -n "$got" ]; then
        ok "$name: a row after $((n * 100)) ms, the input still open: $got..."
    else
        bad "$name: no row within 10 s while the input stays open"; cat "$tmp/live.err"
    fi
}

row8="0.5 -1 0.25 2 -0.75 1 0 -0.5\n"
row13="0.5 -1 0.25 2 -0.75 1 0 -0.5 1.5 -2 0.125 1 -1\n"
row6="0.5 -1 0.25 2 -0.75 1\n"
for r in $runners; do
    live "$r: $v1, one timestep" "$row8" $(runner $r $v1)
    live "$r: $v2 (output last), a sequence and a blank line" "$row13$row13\n" $(runner $r $v2)
    live "$r: $v3 (whole sequences), a sequence and a blank line" "$row6$row6\n" $(runner $r $v3)
    # an endless stream: the first rows at once
    # shellcheck disable=SC2046
    timeout 10 sh -c 'yes "0.5 -1 0.25 2 -0.75 1 0 -0.5" | "$@" | head -n 5' sh $(runner $r $v1) \
        > "$tmp/yes" 2> "$tmp/yes.err"
    status=$?
    if [ $status -ne 124 ] && [ "$(wc -l < "$tmp/yes")" -eq 5 ]; then
        ok "$r: yes ROW | $r | head -n 5: 5 rows, then done"
    else
        bad "$r: yes ROW | $r | head -n 5: status $status, $(wc -l < "$tmp/yes") rows"; cat "$tmp/yes.err"
    fi
done

# ---- b. long: flat memory, no drift ----

# 997 distinct timesteps, repeated: a varied input at the speed of `yes`
awk 'BEGIN { for (t = 0; t < 997; t++) { for (k = 0; k < 8; k++)
                 printf "%s%.4f", (k ? " " : ""), sin(t * 0.37 + k * 1.3) * (1 + k % 3); printf "\n" } }' \
    > "$tmp/block.txt"
block=$(cat "$tmp/block.txt")

# rss N CMD...: runs CMD on N timesteps through a pipe, its output to
# $tmp/out; prints its peak RSS in kB (empty if it failed).
rss() {
    n=$1
    shift
    if yes "$block" | head -n "$n" | /usr/bin/time -v "$@" 2> "$tmp/time.log" | tail -n 1 > "$tmp/out"; then
        awk '/Maximum resident set size/ { print $NF }' "$tmp/time.log"
    fi
}

# flat NAME SPEC LENGTHS: peak RSS at each length; the last must be within
# 2 MB of the first. Leaves the last run's last row in $tmp/last.NAME.
flat() {
    name=$1 spec=$2 lengths=$3
    line= first= last=
    for n in $lengths; do
        # shellcheck disable=SC2046
        kb=$(rss "$n" $(runner $name "$spec"))
        if [ -z "$kb" ]; then
            bad "$name $spec, $n steps: failed"; sed -n 1,5p "$tmp/time.log"; return
        fi
        line="$line, $n steps $kb kB"
        [ -z "$first" ] && first=$kb
        last=$kb
    done
    cp "$tmp/out" "$tmp/last.$name"
    if [ $((last - first)) -le 2048 ]; then
        ok "$name $spec: peak RSS${line#,}"
    else
        bad "$name $spec: memory grows: peak RSS${line#,}"
    fi
}

for r in $runners; do
    start=$(date +%s)
    flat $r $last8 "$sweep"
    echo "     ($r: $(($(date +%s) - start)) s)"
done
for r in build jit; do
    case " $runners " in *" $r "*) ;; *) continue ;; esac
    d=$(awk -f maxdiff.awk "$tmp/last.$r" "$tmp/last.run")
    if [ $? -eq 0 ] && awk -v d="$d" 'BEGIN { exit !(d <= 1e-5) }'; then
        ok "$r: the last row after $(echo "$sweep" | awk '{ print $NF }') steps within $d of lstmc run's"
    else
        bad "$r: the last row after the long stream: max |diff| $d against lstmc run"
    fi
done
short=$(echo "$sweep" | awk '{ print $1 }')
long=$(echo "$sweep" | awk '{ print int($NF / 10) }')
for r in $runners; do
    flat $r $v1 "$short $long"
done

# ---- c. the forms of data ----

# same NAME FILE...: the files are byte-identical (to the first).
same() {
    name=$1 a=$2
    shift 2
    for b in "$@"; do
        if ! cmp -s "$a" "$b"; then
            bad "$name: $(basename "$b") differs from $(basename "$a")"; return
        fi
    done
    ok "$name"
}

# forms R SPEC WIDTH OUT SHAPE3
forms() {
    r=$1 spec=$2 w=$3 out=$4 shape=$5
    cmd=$(runner $r "$spec")
    m=$(basename "$spec" .lstm)
    o=$tmp/$r.$m
    # inputs: 3 sequences as text and as 3-D arrays; one sequence as text,
    # f32 and a 2-D array
    for f in x$w.txt x$w.npy x${w}_f8.npy x${w}_be.npy one$w.txt one$w.f32 one$w.npy; do
        $cmd "stream/$f" > "$o.$f.out" 2> "$o.err" || { bad "$r $m $f: failed"; cat "$o.err"; return; }
    done
    same "$r $m: 3 sequences as text, .npy float32, float64 and big-endian: identical outputs" \
        "$o.x$w.txt.out" "$o.x$w.npy.out" "$o.x${w}_f8.npy.out" "$o.x${w}_be.npy.out"
    same "$r $m: one sequence as text, f32 and .npy: identical outputs" \
        "$o.one$w.txt.out" "$o.one$w.f32.out" "$o.one$w.npy.out"
    # --format names the form whatever the name; --header skips a line
    cp "stream/x$w.npy" "$o.data"
    { echo "a,b,c"; cat "stream/x$w.txt"; } > "$o.header.txt"
    $cmd --format npy "$o.data" > "$o.format.out" 2> "$o.err"
    $cmd --header "$o.header.txt" > "$o.header.out" 2>> "$o.err"
    $cmd --format npy - < "stream/x$w.npy" > "$o.stdin.out" 2>> "$o.err"
    same "$r $m: --format npy, standard input, --header" "$o.x$w.txt.out" "$o.format.out" "$o.header.out" \
        "$o.stdin.out"
    # outputs: .npy to a file (the header rewritten) and to a pipe (written
    # at the end), f32; read back, the rows of the text output
    $cmd "stream/x$w.npy" -o "$o.y.npy" 2> "$o.err" &&
        $cmd "stream/x$w.txt" --output-format npy 2>> "$o.err" | cat > "$o.pipe.npy" &&
        $cmd "stream/one$w.txt" -o "$o.y.f32" 2>> "$o.err" &&
        $cmd "stream/one$w.txt" --output-format f32 2>> "$o.err" | cat > "$o.pipe.f32" ||
        { bad "$r $m: binary outputs failed"; cat "$o.err"; return; }
    same "$r $m: .npy written to a file and to a pipe, f32 to a file and to a pipe" "$o.y.npy" "$o.pipe.npy"
    same "$r $m: f32 to a file and to a pipe" "$o.y.f32" "$o.pipe.f32"
    got=$("$rowscat" "$out" npy "$o.y.npy" --shape)
    [ "$got" = "$shape" ] && ok "$r $m: .npy output of shape $got" || bad "$r $m: .npy output of shape $got, expected $shape"
    "$rowscat" "$out" npy "$o.y.npy" > "$o.y.npy.txt"
    "$rowscat" "$out" f32 "$o.y.f32" > "$o.y.f32.txt"
    if [ $r = run ]; then
        # the interpreter's doubles, rounded to float32 in the binary forms
        for f in npy f32; do
            want=$o.x$w.txt.out
            [ $f = f32 ] && want=$o.one$w.txt.out
            d=$(awk -f maxdiff.awk "$o.y.$f.txt" "$want")
            awk -v d="$d" 'BEGIN { exit !(d <= 1e-7) }' && ok "$r $m: the $f output is the text output in float32 ($d)" ||
                bad "$r $m: the $f output differs from the text output by $d"
        done
    else
        same "$r $m: the .npy output read back is the text output" "$o.x$w.txt.out" "$o.y.npy.txt"
        same "$r $m: the f32 output read back is the text output" "$o.one$w.txt.out" "$o.y.f32.txt"
    fi
}

for r in $runners; do
    forms $r $v1 8 16 "(3, 12, 16)"
    forms $r $v2 13 5 "(3, 5)"
    forms $r $v3 6 40 "(3, 12, 40)"
done
# the runners agree with each other too (within float32 rounding)
for r in build jit; do
    case " $runners " in *" $r "*) ;; *) continue ;; esac
    d=$(awk -f maxdiff.awk "$tmp/$r.v3_bidir.x6.npy.out" "$tmp/run.v3_bidir.x6.npy.out")
    awk -v d="$d" 'BEGIN { exit !(d <= 1e-5) }' && ok "$r: v3_bidir from .npy within $d of lstmc run" ||
        bad "$r: v3_bidir from .npy: max |diff| $d against lstmc run"
done

echo "stream: $pass passed, $fail failed"
[ $fail -eq 0 ] && [ $pass -gt 0 ]
