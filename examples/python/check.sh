#!/bin/sh
# make check-python: the ctypes example against a library from
# `lstmc build --shared`: the quickstart model (streaming, output last),
# checked against PyTorch when torch can be imported, else against
# `lstmc run`; and a bidirectional model (whole sequences, scratch) against
# `lstmc run`; and a model of token ids (nn.Embedding first) against
# `lstmc run`. Without NumPy it prints "skipped: ..." (never counted as
# passed; .ci/run installs python3-numpy).
# usage: examples/python/check.sh path/to/lstmc
set -u
lstmc=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
# Debian's python3 (where python3-numpy installs) first, then any on PATH
python=
for p in /usr/bin/python3 "$(command -v python3 2> /dev/null)"; do
    if [ -n "$p" ] && [ -x "$p" ] && "$p" -c 'import numpy' > /dev/null 2>&1; then
        python=$p
        break
    fi
done
if [ -z "$python" ]; then
    echo "skipped: no python3 with NumPy (Debian: apt-get install python3-numpy)"
    exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export PYTHONDONTWRITEBYTECODE=1     # no __pycache__ in the source tree
pass=0 fail=0

# example NAME SPEC [ARGS]: builds libNAME.so from SPEC, runs example.py on it
example() {
    name=$1 spec=$2
    shift 2
    if ! "$lstmc" build "$spec" --shared -o "$tmp/lib$name.so" 2> "$tmp/err"; then
        echo "FAIL $name: lstmc build --shared failed:"; cat "$tmp/err"; fail=$((fail + 1)); return
    fi
    if "$python" "$here/example.py" "$tmp/lib$name.so" --spec "$spec" --lstmc "$lstmc" "$@" > "$tmp/out" 2>&1; then
        echo "ok   $name: $(grep 'max |diff| vs' "$tmp/out")"; pass=$((pass + 1))
    else
        echo "FAIL $name:"; cat "$tmp/out"; fail=$((fail + 1))
    fi
}
example quickstart "$root/examples/quickstart/model.lstm"
example v3_bidir "$root/tests/pytorch/v3_bidir.lstm"
example e1_embedding_tagger "$root/tests/pytorch/e1_embedding_tagger.lstm"

# the exported names: the header's API and NAME_info, nothing of main's
if command -v nm > /dev/null; then
    names=$(nm -D --defined-only "$tmp/libquickstart.so" | awk '$2 == "T" { print $3 }' | sort | tr '\n' ' ')
    want="quickstart_get_state quickstart_info quickstart_model_hash quickstart_reset quickstart_run quickstart_run_batch quickstart_set_state quickstart_state_bytes quickstart_step "
    if [ "$names" = "$want" ]; then
        echo "ok   libquickstart.so exports: $names"; pass=$((pass + 1))
    else
        echo "FAIL libquickstart.so exports: $names (expected $want)"; fail=$((fail + 1))
    fi
fi
echo "python: $pass passed, $fail failed"
[ $fail -eq 0 ]
