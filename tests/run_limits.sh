#!/bin/sh
# Hostile inputs (issue 13), made here rather than committed (some are
# megabytes): each must end with exit status 1, a short message that names
# the problem, in under a second and (measured with /usr/bin/time, when it
# is installed and lstmc is not a sanitizer build) under 100 MB.
# usage: tests/run_limits.sh path/to/lstmc
# LSTMC_SAN=1: a sanitizer build (ASan's shadow memory makes its resident
# size meaningless, and it runs slower): the time limit is 10 s and the
# memory limit is skipped, said so.
# LSTMC_LIMITS_REPORT=1 prints each case's time and peak memory.
set -u
lstmc=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
cd "$(dirname "$0")" || exit 2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0 skipped_mem=0
max_s=1 max_kb=102400
[ "${LSTMC_SAN:-0}" = 1 ] && max_s=10
timer=
if [ -x /usr/bin/time ] && /usr/bin/time -f %M true 2> /dev/null; then timer=/usr/bin/time; fi

# run NAME PATTERN lstmc-ARGS...: exit 1, stderr matching PATTERN (grep -E),
# at most 70 lines (20 errors, quoted), within the time and memory limits.
run() {
    name=$1 pattern=$2
    shift 2
    if [ -n "$timer" ]; then
        $timer -o "$tmp/time" -f "%e %M" "$lstmc" "$@" > /dev/null 2> "$tmp/err"
        status=$?
        read -r secs kb <<EOT
$(tail -n 1 "$tmp/time")
EOT
    else
        start=$(date +%s)
        "$lstmc" "$@" > /dev/null 2> "$tmp/err"
        status=$?
        secs=$(($(date +%s) - start)) kb=0
    fi
    lines=$(wc -l < "$tmp/err")
    [ "${LSTMC_LIMITS_REPORT:-0}" = 1 ] && echo "     $name: ${secs}s ${kb}KB, $lines lines of stderr"
    why=
    if [ $status -ne 1 ]; then why="exit status $status, expected 1"
    elif ! grep -Eq -- "$pattern" "$tmp/err"; then why="no message matching '$pattern'"
    elif [ "$lines" -gt 70 ]; then why="$lines lines of messages"
    elif awk -v s="$secs" -v m="$max_s" 'BEGIN { exit !(s > m) }'; then why="took ${secs}s (limit ${max_s}s)"
    elif [ -n "$timer" ] && [ "${LSTMC_SAN:-0}" != 1 ] && [ "$kb" -gt $max_kb ]; then
        why="peak memory ${kb} KB (limit $max_kb KB)"
    fi
    if [ -n "$why" ]; then
        echo "FAIL $name: $why"; head -n 5 "$tmp/err" | cut -c 1-200; fail=$((fail + 1))
    else
        echo "ok   $name: $(head -n 1 "$tmp/err" | cut -c 1-150)"; pass=$((pass + 1))
    fi
}

python=$(command -v python3)
if [ -z "$python" ]; then
    echo "limits: skipped (python3 not found; it writes the hostile files)"
    exit 0
fi
"$python" - "$tmp" <<'PY'
import json, os, struct, sys, zipfile
d = sys.argv[1]
def w(name, data, mode="w"):
    with open(os.path.join(d, name), mode) as f:
        f.write(data)
def st(name, tensors, data=b""):
    h = json.dumps(tensors).encode()
    w(name, struct.pack("<Q", len(h)) + h + data, "wb")
st("tiny.safetensors", {"x": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}, b"\0" * 4)
# hidden 8192 against a tiny weights file: 2 GB of gate matrices claimed
w("hidden8192.lstm", 'model m { input 8192; weights "tiny.safetensors";\n'
  '  lstm a { hidden 8192; from pytorch "lstm"; } }\n')
# 50,000 blocks, all named alike (the duplicate check), and 6,000 blocks of
# 64 layers each (the layer array)
for n in (50000, 25000):
    w("blocks%d.lstm" % n, 'model m { input 1; weights "tiny.safetensors";\n' +
      "".join('  lstm a { hidden 1; from pytorch "p"; }\n' for _ in range(n)) + "}\n")
w("layers.lstm", 'model m { input 1; weights "tiny.safetensors";\n' +
  "".join('  lstm a%d { layers 64; }\n' % k for k in range(6000)) + "}\n")
# 100,000 lines with an error each, and 20,000 errors on one 1 MB line
w("errors.lstm", "model m {\n" + "@\n" * 100000 + "}\n")
w("errors_line.lstm", "model m { " + "@ " * 500000 + "}\n")
w("errors_big.lstm", "model m {\n" + "@\n" * 500000 + "}\n")
# a 1,000,000-byte string (under the spec limit) and a 10 MB one (over it)
w("string1.lstm", 'model m { weights "' + "a" * 1000000 + '"; }\n')
w("string10.lstm", 'model m { weights "' + "a" * (10 << 20) + '"; }\n')
w("number.lstm", "model m { input " + "1" * 1000000 + "; }\n")
# weights in other formats
with zipfile.ZipFile(os.path.join(d, "model.pt"), "w") as z:
    z.writestr("archive/data.pkl", b"\x80\x02}q\x00.")
    z.writestr("archive/version", b"3\n")
with zipfile.ZipFile(os.path.join(d, "weights.npz"), "w") as z:
    z.writestr("w.npy", b"\x93NUMPY\x01\x00v\x00{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }\n" + b"\0" * 4)
w("w.npy", b"\x93NUMPY\x01\x00v\x00{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }\n", "wb")
w("legacy.pt", b"\x80\x02\x8a\x0alz\xfc\x9cF\xf9 j\xa8P\x19.", "wb")
w("keras.h5", b"\x89HDF\r\n\x1a\n" + b"\0" * 512, "wb")
w("uses.lstm", 'model m { input 1; lstm a { hidden 1; from pytorch "p"; } }\n')
# a valid header, then 2 GB the header does not cover (sparse: no disk)
st("sparse.safetensors", {"x": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}, b"\0" * 4)
with open(os.path.join(d, "sparse.safetensors"), "r+b") as f:
    f.truncate(2 << 30)
# a header claiming a 4 GB tensor in a small file
st("claims.safetensors", {"x": {"dtype": "F32", "shape": [1 << 30], "data_offsets": [0, 1 << 32]}})
PY

run "binary spec (an ONNX model)" "not an lstmc spec: it is an ONNX model" check fixtures/onnx/onnx_reverse/model.onnx
run "binary spec (safetensors)" "not an lstmc spec: it is a safetensors" check "$tmp/tiny.safetensors"
run "binary spec (/bin/sh)" "not an lstmc spec: it is binary data" check /bin/sh
run "hidden 8192, 66-byte weights" "missing tensor 'lstm.weight_ih_l0'" check "$tmp/hidden8192.lstm"
run "50,000 blocks of one name (2 MB)" "lstmc reads at most 1048576 bytes as a spec" check "$tmp/blocks50000.lstm"
run "25,000 blocks of one name (1 MB)" "past 1024 layers" check "$tmp/blocks25000.lstm"
run "6,000 blocks of 64 layers" "past 1024 layers" check "$tmp/layers.lstm"
run "100,000 errors" "too many errors .*not shown" check "$tmp/errors.lstm"
run "250,000 errors on one line" "too many errors" check "$tmp/errors_line.lstm"
run "500,000 errors (1 MB)" "too many errors" check "$tmp/errors_big.lstm"
run "a 1 MB string" "a string of 1000002 bytes; lstmc accepts at most 4096" check "$tmp/string1.lstm"
run "a 10 MB string" "lstmc reads at most 1048576 bytes as a spec" check "$tmp/string10.lstm"
run "a 1 MB number" "a number of 1000000 bytes" check "$tmp/number.lstm"
run "a .pt (zip) as weights" "it is a PyTorch checkpoint .*save_file" check "$tmp/uses.lstm" -w "$tmp/model.pt"
run "a .pt (pickle) as weights" "it is a PyTorch checkpoint" check "$tmp/uses.lstm" -w "$tmp/legacy.pt"
run "a .npz as weights" "it is a NumPy archive" check "$tmp/uses.lstm" -w "$tmp/weights.npz"
run "a .npy as weights" "it is a NumPy array" check "$tmp/uses.lstm" -w "$tmp/w.npy"
run "an .h5 as weights" "it is an HDF5 file" check "$tmp/uses.lstm" -w "$tmp/keras.h5"
run "an .onnx as weights" "it is an ONNX model.*lstmc import" check "$tmp/uses.lstm" -w fixtures/onnx/onnx_reverse/model.onnx
run "a sparse 2 GB weights file" "not covered by any tensor" check "$tmp/uses.lstm" -w "$tmp/sparse.safetensors"
run "a header claiming 4 GB" "go beyond the data area" check "$tmp/uses.lstm" -w "$tmp/claims.safetensors"
run "ONNX: 2^30 declared elements, no data" "expected 1073741824" import import/huge_tensor.onnx -o "$tmp/out"
run "ONNX: subgraphs nested 5000 deep" "operator If is not supported" import import/deep_nesting.onnx -o "$tmp/out"
run "ONNX: 40 chained Concat(s, s)" "at most 4096" import import/concat_doubling.onnx -o "$tmp/out"
run "ONNX: 150,000 empty nodes" "more than lstmc allows" import import/many_nodes.onnx -o "$tmp/out"
run "a .pt given to import" "not an ONNX model: it is a PyTorch checkpoint.*torch.onnx.export" import "$tmp/model.pt" -o "$tmp/out"
run "safetensors given to import" "not an ONNX model: it is a safetensors weights file" import "$tmp/tiny.safetensors" -o "$tmp/out"
if [ -e "$tmp/out" ] && [ -n "$(ls -A "$tmp/out")" ]; then
    echo "FAIL ONNX: a failed import left $(ls "$tmp/out")"; fail=$((fail + 1))
fi
if [ -z "$timer" ]; then
    echo "limits: memory not measured: skipped (/usr/bin/time not found)"
elif [ "${LSTMC_SAN:-0}" = 1 ]; then
    echo "limits: memory not measured: skipped (sanitizer build)"
fi
echo "limits: $pass passed, $fail failed"
[ $fail -eq 0 ] && [ $pass -gt 0 ]
