#!/bin/sh
# check.sh - `make example-charlm`'s checks of the compiled sampler:
#   1. bits per character on heldout.txt, beside PyTorch's (results.txt);
#      they must agree within 1e-5 (README.md says why);
#   2. each bad flag is refused with its message and exit status 2;
#   3. a short sample from a seed string, which must start with the seed.
#
#   sh examples/charlm/check.sh BUILD/examples/charlm/sample
set -eu
sample=$1
dir=$(dirname "$0")
out=$(dirname "$sample")

"$sample" --eval "$dir/heldout.txt" > "$out/eval.txt"
awk 'NR == FNR { if ($1 == "bits_per_char") want = $2; next }
     $1 == "bits/char" { got = $2 }
     END {
         if (want == "" || got == "") { print "example charlm: error: no bits/char to compare" > "/dev/stderr"; exit 1 }
         printf "example charlm: bits/char on heldout.txt: compiled %s, PyTorch %s\n", got, want
         d = got - want
         if (d > 1e-5 || d < -1e-5) { print "example charlm: error: they differ by more than 1e-5" > "/dev/stderr"; exit 1 }
     }' "$dir/results.txt" "$out/eval.txt"

# Bad flags: exit status 2 and the message that names the problem.
refuse() {
    want=$1
    shift
    if "$sample" "$@" > /dev/null 2> "$out/err.txt"; then status=0; else status=$?; fi
    if [ "$status" != 2 ] || ! grep -qF -- "$want" "$out/err.txt"; then
        echo "example charlm: error: sample $* gave status $status and:" >&2
        cat "$out/err.txt" >&2
        exit 1
    fi
}
refuse "--temperature needs a number > 0, saw '0'" --temperature 0
refuse "--temperature needs a number > 0, saw '-1'" --temperature -1
refuse "--temperature needs a number > 0, saw 'hot'" --temperature hot
refuse "--length needs an integer from 0 to 1000000, saw '12x'" --length 12x
refuse "--rng-seed needs an unsigned integer, saw '-3'" --rng-seed -3
refuse "--seed needs a value" --seed
refuse "--seed needs at least one character" --seed ""
refuse "unknown flag '--temp'" --temp 1
refuse "--eval takes no sampling flags" --eval "$dir/heldout.txt" --length 5
echo "example charlm: 9 bad flags refused with status 2"

"$sample" --seed "What is" --temperature 0.6 --length 240 --rng-seed 7 > "$out/sample.txt"
case $(head -c 7 "$out/sample.txt") in
"What is") ;;
*) echo "example charlm: error: the sample does not start with its seed" >&2; exit 1 ;;
esac
echo "example charlm: a sample at temperature 0.6 from the seed \"What is\":"
cat "$out/sample.txt"
