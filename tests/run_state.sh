#!/bin/sh
# Start and final states (run --state-in, --state-out; the generated
# NAME_set_state, NAME_get_state, NAME_run_from_state) against PyTorch.
# Each case folder tests/fixtures/state/CASE (tests/reference/gen_state.py:
# nn.LSTM or nn.GRU called on each sequence with its own (h0, c0)) runs with
# its spec tests/state/CASE.lstm, each sequence from its row of
# state_in.txt, through
#   run    `lstmc run`, the interpreter
#   build  `lstmc build` (the C backend), then the program
#   jit    `lstmc run --jit` (the LLVM backend in memory)
#   obj    `lstmc build --emit obj` (the LLVM object with the program's main)
# (jit and obj when lstmc has the LLVM backend, else reported skipped), and
# its outputs and final states (--state-out) must be within 1e-5 of
# PyTorch's (expected.txt, expected_state.txt). Then the states' errors: a
# state file of the wrong width, too few or too many rows, a model that keeps
# no state; and one row for every sequence.
#
# usage: tests/run_state.sh path/to/lstmc
set -u
if [ $# -ne 1 ]; then
    echo "usage: tests/run_state.sh path/to/lstmc" >&2
    exit 2
fi
lstmc=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
cd "$(dirname "$0")" || exit 2
tmp=$(mktemp -d "${TMPDIR:-/tmp}/lstmc-state.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

pass=0 fail=0 skip=0
ok() { echo "ok   $*"; pass=$((pass + 1)); }
bad() { echo "FAIL $*"; fail=$((fail + 1)); sed -n '1,6s/^/     | /p' "$tmp/err" 2>/dev/null; }

llvm=1
if "$lstmc" run --jit state/s2_stacked.lstm < /dev/null 2>&1 | grep -q 'without the LLVM backend'; then
    llvm=0
fi

# within FILE EXPECTED: max |diff| <= 1e-5, same shape
within() {
    d=$(awk -f maxdiff.awk "$1" "$2") && awk -v d="$d" 'BEGIN { exit !(d <= 1e-5) }'
}

# check CASE PATH: the output and final states of one path
check() {
    if within "$tmp/$2.out" "fixtures/state/$1/expected.txt" &&
       within "$tmp/$2.st" "fixtures/state/$1/expected_state.txt"; then
        ok "$1 $2: output $(awk -f maxdiff.awk "$tmp/$2.out" "fixtures/state/$1/expected.txt")," \
           "final states $(awk -f maxdiff.awk "$tmp/$2.st" "fixtures/state/$1/expected_state.txt")"
    else
        bad "$1 $2: output or final states differ from PyTorch's: $(awk -f maxdiff.awk "$tmp/$2.out" \
            "fixtures/state/$1/expected.txt"), $(awk -f maxdiff.awk "$tmp/$2.st" "fixtures/state/$1/expected_state.txt")"
    fi
}

for spec in state/*.lstm; do
    c=$(basename "$spec" .lstm) dir=fixtures/state/$c
    set -- --state-in "$dir/state_in.txt" "$dir/input.txt"
    if "$lstmc" run "$spec" "$@" --state-out "$tmp/run.st" > "$tmp/run.out" 2> "$tmp/err"; then
        check "$c" run
    else
        bad "$c run: lstmc run failed"
    fi
    if "$lstmc" build "$spec" -o "$tmp/prog" > /dev/null 2> "$tmp/err" &&
       "$tmp/prog" "$@" --state-out "$tmp/build.st" > "$tmp/build.out" 2> "$tmp/err"; then
        check "$c" build
    else
        bad "$c build: lstmc build or the program failed"
    fi
    if [ $llvm = 0 ]; then
        skip=$((skip + 2))
        continue
    fi
    if "$lstmc" run --jit "$spec" "$@" --state-out "$tmp/jit.st" > "$tmp/jit.out" 2> "$tmp/err"; then
        check "$c" jit
    else
        bad "$c jit: lstmc run --jit failed"
    fi
    if "$lstmc" build --emit obj "$spec" -o "$tmp/objprog" > /dev/null 2> "$tmp/err" &&
       "$tmp/objprog" "$@" --state-out "$tmp/obj.st" > "$tmp/obj.out" 2> "$tmp/err"; then
        check "$c" obj
    else
        bad "$c obj: lstmc build --emit obj or the program failed"
    fi
done

# One row for every sequence: each starts from it, as from that row given
# once per sequence, in the interpreter and the program alike (the last
# program built: s3's).
c=s3_gru_bidir dir=fixtures/state/$c
head -n 1 "$dir/state_in.txt" > "$tmp/one.txt"
n=$(awk 'END { print NR }' "$dir/state_in.txt")
awk -v n="$n" '{ for (k = 0; k < n; k++) print }' "$tmp/one.txt" > "$tmp/each.txt"
"$lstmc" run state/$c.lstm --state-in "$tmp/one.txt" "$dir/input.txt" > "$tmp/one_run.out" 2> "$tmp/err"
"$lstmc" run state/$c.lstm --state-in "$tmp/each.txt" "$dir/input.txt" > "$tmp/each_run.out" 2>> "$tmp/err"
if "$tmp/prog" --state-in "$tmp/one.txt" "$dir/input.txt" > "$tmp/one_build.out" 2>> "$tmp/err" &&
   cmp -s "$tmp/one_run.out" "$tmp/each_run.out" && ! cmp -s "$tmp/one_run.out" "$tmp/run.out" &&
   d=$(awk -f maxdiff.awk "$tmp/one_build.out" "$tmp/one_run.out") &&
   awk -v d="$d" 'BEGIN { exit !(d <= 1e-5) }'; then
    ok "$c one state for every sequence: as that row for each; the program within $d of the interpreter"
else
    bad "$c one state for every sequence"
fi

# expect_error WHAT STATUS MESSAGE COMMAND...: fails with that status and
# message, leaving no --state-out file behind
expect_error() {
    what=$1 want=$2 msg=$3
    shift 3
    rm -f "$tmp/out.st"
    "$@" > /dev/null 2> "$tmp/err"
    st=$?
    if [ $st -eq "$want" ] && grep -qF -- "$msg" "$tmp/err" && [ ! -e "$tmp/out.st" ]; then
        ok "error: $what"
    else
        bad "error: $what: status $st, expected $want and '$msg'"
    fi
}
c=s1_bidir_projection dir=fixtures/state/$c
cut -d' ' -f2- "$dir/state_in.txt" > "$tmp/narrow.txt"
expect_error "a state row of the wrong width" 1 "narrow.txt:1:" \
    "$lstmc" run state/$c.lstm --state-in "$tmp/narrow.txt" --state-out "$tmp/out.st" "$dir/input.txt"
head -n 2 "$dir/state_in.txt" > "$tmp/two.txt"
expect_error "fewer states than sequences" 1 "2 states for more sequences" \
    "$lstmc" run state/$c.lstm --state-in "$tmp/two.txt" --state-out "$tmp/out.st" "$dir/input.txt"
cat "$dir/state_in.txt" "$dir/state_in.txt" > "$tmp/six.txt"
expect_error "more states than sequences" 1 "more states than the 3 sequences" \
    "$lstmc" run state/$c.lstm --state-in "$tmp/six.txt" --state-out "$tmp/out.st" "$dir/input.txt"
expect_error "a program's state file that is missing" 1 "cannot open" \
    "$tmp/prog" --state-in "$tmp/missing.txt" --state-out "$tmp/out.st" "fixtures/state/s3_gru_bidir/input.txt"
printf 'model dense_only {\n    input 2;\n    dense d { units 1; from pytorch "d"; }\n}\n' > "$tmp/dense.lstm"
"$lstmc" init "$tmp/dense.lstm" -o "$tmp/dense.safetensors" > /dev/null 2>&1
expect_error "a model that keeps no state" 2 "keeps no state" \
    "$lstmc" run "$tmp/dense.lstm" -w "$tmp/dense.safetensors" --state-out "$tmp/out.st" "$dir/input.txt"

[ $llvm = 1 ] || echo "jit, obj: skipped (this lstmc has no LLVM backend)"
echo "state: $pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ] && [ $pass -gt 0 ]
