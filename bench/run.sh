#!/usr/bin/env bash
# run.sh - lstmc's benchmark: builds every system for each configuration,
# checks each against `lstmc run` on the same weights and input, times the
# systems that pass round-robin (so machine noise hits all alike), and
# prints the tables (bench/report.awk). What is measured and how:
# bench/README.md.
#
#   bench/run.sh [--quick]       (make bench, make bench-quick)
#
# Environment: BENCH_BUILD (default build) for the lstmc to use, built with
# make B=BENCH_BUILD (with LLVM, its object is one more system);
# BENCH_CFLAGS (default "-O3 -march=native") for lstmc's code and the naive
# baseline; BENCH_CPU=N pins every timed process to CPU N
# (taskset; not the 2-thread system, which needs two); BENCH_OUT (default
# build/bench) for the work files; BENCH_BASELINE=PATH/lstmc adds the code of
# another lstmc (say, the last release's) as one more system, to see a
# change's effect within one interleaved run.
set -euo pipefail
cd "$(dirname "$0")/.."

QUICK=0
[ "${1:-}" = --quick ] && QUICK=1
if [ $QUICK = 1 ]; then
    ROUNDS=3 MS=50 WARMUP_MS=50 ROOF_MS=20
else
    ROUNDS=15 MS=50 WARMUP_MS=300 ROOF_MS=50
fi
STEPS=100
TOL=1e-4
OPT=${BENCH_CFLAGS:--O3 -march=native}
read -ra OPTS <<< "$OPT"   # the same as words, for the compilers
OUT=${BENCH_OUT:-build/bench}
BUILD=${BENCH_BUILD:-build}   # the build folder of lstmc (make B=...)
LSTMC=$BUILD/lstmc
PYTHON=/usr/bin/python3
WARN=(-std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Wpedantic)
LIBO=("$BUILD/compiler/safetensors.o" "$BUILD/compiler/util.o" "$BUILD/compiler/json.o" "$BUILD/compiler/filekind.o")
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1   # oneDNN (OpenMP) and PyTorch: one thread
PIN=()
[ -n "${BENCH_CPU:-}" ] && command -v taskset >/dev/null && PIN=(taskset -c "$BENCH_CPU")

# threads: 2 adds the system "lstmc ..., 2 threads" (lstmc compile --threads 2)
#        name     I    H    layers batch threads
CONFIGS="small    16   32   1      1     1
         medium   64   128  1      1     1
         large    256  512  1      1     2
         stacked  64   256  2      1     2
         batch    64   256  1      32    1"

log() { printf '[%3ds] %s\n' "$SECONDS" "$*" >&2; }
trap '' PIPE   # a system that died must not take the script with it
now_ns() { date +%s%N; }

# ---- the systems' availability ----
CLANG_SKIP="" ONEDNN_SKIP="" TORCH_SKIP="" LLVM_SKIP=""
command -v clang >/dev/null 2>&1 || CLANG_SKIP="clang not installed (scripts/bench-deps.sh)"
[ -f /usr/include/oneapi/dnnl/dnnl.h ] ||
    ONEDNN_SKIP="libdnnl-dev not installed (scripts/bench-deps.sh)"
"$PYTHON" -c 'import torch' >/dev/null 2>&1 ||
    TORCH_SKIP="$PYTHON cannot import torch (python3-torch; scripts/bench-deps.sh)"

# ---- tools: lstmc, the weights generator, the roofline probe ----
make --no-print-directory -s B="$BUILD" "$LSTMC" "${LIBO[@]}"
$LSTMC help compile | grep -q -- '--emit' && ! $LSTMC compile --emit obj /dev/null -o /dev/null 2>&1 |
    grep -q 'without the LLVM backend' || LLVM_SKIP="lstmc built without LLVM (llvm-config not found)"
mkdir -p "$OUT"
RESULTS=$OUT/results.txt
: > "$RESULTS"
gcc "${WARN[@]}" -O2 -Icompiler -o "$OUT/mkweights" bench/mkweights.c "${LIBO[@]}" -lm
gcc "${WARN[@]}" -O2 -o "$OUT/roofline" bench/roofline.c
log "bench: roofline probe (FMA peak, read bandwidth)"
"${PIN[@]}" "$OUT/roofline" $ROOF_MS > "$OUT/roofline.txt"

# record FIELD... : one tab-separated line of results.txt (read by report.awk)
record() { (IFS=$'\t'; printf '%s\n' "$*") >> "$RESULTS"; }

# ---- one configuration: build, check, time ----

# build ID LABEL COMMAND...: builds system ID; it goes to SYSTEMS, or, if
# the build fails, to BROKEN (reported as FAILED; the compiler's messages
# are in DIR/ID.build.txt).
build() {
    local id=$1 label=$2; shift 2
    if "$@" > "$DIR/$id.build.txt" 2>&1; then
        SYSTEMS+=("$id|$label")
    else
        BROKEN+=("$id|$label|build failed: $(grep -m1 -i error "$DIR/$id.build.txt" | tr '\t' ' ' || true)")
    fi
}

# build_systems I H L B THREADS: every system's program in DIR: SYSTEMS to
# check and time, SKIPPED (a peer not installed), BROKEN (a failed build).
build_systems() {
    local I=$1 H=$2 L=$3 B=$4 threads=$5 d=$DIR
    SYSTEMS=() SKIPPED=() BROKEN=()
    local lstmc=(-I"$d" -Ibench -Icompiler bench/driver.c "$d/bench.c" bench/peer.c "${LIBO[@]}" -lm)
    build lstmc-gcc "lstmc, gcc $OPT" gcc "${OPTS[@]}" "${WARN[@]}" -o "$d/lstmc-gcc" "${lstmc[@]}"
    if [ -z "$CLANG_SKIP" ]; then
        build lstmc-clang "lstmc, clang $OPT" clang "${OPTS[@]}" "${WARN[@]}" -o "$d/lstmc-clang" "${lstmc[@]}"
    else
        SKIPPED+=("lstmc-clang|lstmc, clang $OPT|$CLANG_SKIP")
    fi
    # the LLVM backend's object (lstmc compile --emit obj, for this machine)
    # behind the same driver, through the same header
    if [ -n "$LLVM_SKIP" ]; then
        SKIPPED+=("lstmc-llvm|lstmc, LLVM object (--emit obj)|$LLVM_SKIP")
    else
        build lstmc-llvm "lstmc, LLVM object (--emit obj)" gcc "${OPTS[@]}" "${WARN[@]}" -o "$d/lstmc-llvm" \
            -I"$d/llvm" -Ibench -Icompiler bench/driver.c "$d/llvm/bench.o" bench/peer.c "${LIBO[@]}" -lm
    fi
    if [ "$B" = 1 ]; then   # the chunk sweep (run_batch's groups are chunks too: batch 1 only)
        for k in 1 8; do
            build lstmc-gcc-k$k "lstmc, gcc $OPT, --chunk $k" gcc "${OPTS[@]}" "${WARN[@]}" -o "$d/lstmc-gcc-k$k" \
                -I"$d/chunk$k" -Ibench -Icompiler bench/driver.c "$d/chunk$k/bench.c" bench/peer.c "${LIBO[@]}" -lm
        done
    fi
    if [ -n "${BENCH_BASELINE:-}" ]; then
        build lstmc-base "baseline lstmc ($BENCH_BASELINE), gcc $OPT" gcc "${OPTS[@]}" "${WARN[@]}" \
            -o "$d/lstmc-base" -I"$d/baseline" -Ibench -Icompiler bench/driver.c "$d/baseline/bench.c" bench/peer.c \
            "${LIBO[@]}" -lm
    fi
    if [ "$threads" -gt 1 ]; then   # the code lstmc compile --threads wrote in DIR/threads
        build lstmc-gcc-t$threads "lstmc, gcc $OPT, $threads threads" gcc "${OPTS[@]}" "${WARN[@]}" -pthread \
            -o "$d/lstmc-gcc-t$threads" -I"$d/threads" -Ibench -Icompiler bench/driver.c "$d/threads/bench.c" \
            bench/peer.c "${LIBO[@]}" -lm
    else
        SKIPPED+=("lstmc-gcc-t2|lstmc, gcc $OPT, 2 threads|threads are for large layers")
    fi
    if [ -z "$ONEDNN_SKIP" ]; then
        build onednn "oneDNN lstm_forward" gcc -O2 "${WARN[@]}" -Ibench -Icompiler -o "$d/onednn" \
            bench/onednn.c bench/peer.c "${LIBO[@]}" -ldnnl -lm
    else
        SKIPPED+=("onednn|oneDNN lstm_forward|$ONEDNN_SKIP")
    fi
    if [ -z "$TORCH_SKIP" ]; then
        SYSTEMS+=("torch|PyTorch eager nn.LSTM")
    else
        SKIPPED+=("torch|PyTorch eager nn.LSTM|$TORCH_SKIP")
    fi
    local naive=(-DNI="$I" -DNH="$H" -DNL="$L" -DNB="$B" -DNT="$STEPS" -Ibench -Icompiler
                 bench/naive.c bench/peer.c "${LIBO[@]}" -lm)
    build naive "naive C, gcc $OPT" gcc "${OPTS[@]}" "${WARN[@]}" -o "$d/naive" "${naive[@]}"
    build naive-ffm "naive C, gcc $OPT -ffast-math" gcc "${OPTS[@]}" -ffast-math "${WARN[@]}" -o "$d/naive-ffm" "${naive[@]}"
}

# peer_cmd ID DIR: the program of system ID, in the array PEER
peer_cmd() {
    if [ "$1" = torch ]; then
        PEER=("$PYTHON" bench/torch_peer.py)
    else
        PEER=("$2/$1")
    fi
}

# Each system runs as a server (bench/peer.c's protocol) behind two FIFOs;
# ask sends one command and reads the one-line answer. A system with
# threads (lstmc-gcc-tN) is not pinned, and is stopped (SIGSTOP) whenever
# it is not asked: its idle threads spin, and must not take a core from
# the others while they run.
declare -A WFD RFD PID
threaded() { [ "${1#lstmc-gcc-t}" != "$1" ]; }
start_peer() {
    local id=$1 pin=("${PIN[@]}"); shift
    threaded "$id" && pin=()
    rm -f "$DIR/$id.in" "$DIR/$id.out"
    mkfifo "$DIR/$id.in" "$DIR/$id.out"
    "${pin[@]}" "$@" < "$DIR/$id.in" > "$DIR/$id.out" 2> "$DIR/$id.err" &
    PID[$id]=$!
    local w r
    exec {w}> "$DIR/$id.in"
    exec {r}< "$DIR/$id.out"
    WFD[$id]=$w RFD[$id]=$r
}
ask() {   # ask ID COMMAND: the peer's one-line answer, empty if it died
    local reply=""
    threaded "$1" && { kill -CONT "${PID[$1]}" 2>/dev/null || true; }
    printf '%s\n' "$2" 1>&"${WFD[$1]}" 2>/dev/null || true
    read -r reply <&"${RFD[$1]}" || reply=""
    threaded "$1" && { kill -STOP "${PID[$1]}" 2>/dev/null || true; }
    echo "$reply"
}
stop_peer() {   # later peers inherited this one's FIFO ends: end it by its pid
    threaded "$1" && { kill -CONT "${PID[$1]}" 2>/dev/null || true; }
    eval "exec ${WFD[$1]}>&- ${RFD[$1]}<&-"
    kill "${PID[$1]}" 2>/dev/null || true
    wait "${PID[$1]}" 2>/dev/null || true
    rm -f "$DIR/$1.in" "$DIR/$1.out"
}

run_config() {
    local name=$1 I=$2 H=$3 L=$4 B=$5 threads=$6
    DIR=$OUT/$name
    mkdir -p "$DIR"
    log "bench: $name (I=$I H=$H layers=$L batch=$B T=$STEPS): weights, reference, builds"
    "$OUT/mkweights" "$I" "$H" "$L" "$B" "$STEPS" "$DIR/weights.safetensors" "$DIR/input.txt"
    cat > "$DIR/model.lstm" <<EOF
# lstmc benchmark configuration $name (written by bench/run.sh)
model bench {
    input $I;
    weights "weights.safetensors";
    lstm lstm { hidden $H; layers $L; from pytorch "lstm"; }
    output sequence;
}
EOF
    $LSTMC check "$DIR/model.lstm" > "$DIR/check.txt"
    local flops wbytes
    flops=$(sed -n 's/^FLOPs per timestep: //p' "$DIR/check.txt")
    wbytes=$(sed -n 's/^parameters: [0-9]* (\([0-9]*\) bytes.*/\1/p' "$DIR/check.txt")
    record config "$name" "$I" "$H" "$L" "$B" "$STEPS" "$flops" "$wbytes" $((L * 16 * H * H))
    $LSTMC run "$DIR/model.lstm" "$DIR/input.txt" > "$DIR/reference.txt"
    rm -rf "$DIR/bench.c" "$DIR/bench.h" "$DIR/threads"   # a failed compile fails lstmc's builds
    $LSTMC compile --activations fast "$DIR/model.lstm" -o "$DIR/bench" || log "bench: $name: lstmc compile failed"
    rm -rf "$DIR/llvm"
    if [ -z "$LLVM_SKIP" ]; then
        mkdir -p "$DIR/llvm"
        $LSTMC compile --activations fast --emit obj "$DIR/model.lstm" -o "$DIR/llvm/bench" ||
            log "bench: $name: lstmc compile --emit obj failed"
    fi
    # the cost of a small chunk (less RAM): --chunk 1 (a step-only model)
    # and --chunk 8, against the default of lstmc-gcc
    local k
    for k in 1 8; do
        rm -rf "$DIR/chunk$k"
        mkdir -p "$DIR/chunk$k"
        $LSTMC compile --activations fast --chunk $k "$DIR/model.lstm" -o "$DIR/chunk$k/bench" ||
            log "bench: $name: lstmc compile --chunk $k failed"
    done
    rm -rf "$DIR/baseline"
    if [ -n "${BENCH_BASELINE:-}" ]; then
        mkdir -p "$DIR/baseline"
        "$BENCH_BASELINE" compile --activations fast "$DIR/model.lstm" -o "$DIR/baseline/bench" ||
            log "bench: $name: the baseline's compile failed"
    fi
    if [ "$threads" -gt 1 ]; then
        mkdir -p "$DIR/threads"
        $LSTMC compile --activations fast --threads "$threads" "$DIR/model.lstm" -o "$DIR/threads/bench" ||
            log "bench: $name: lstmc compile --threads $threads failed"
    fi
    build_systems "$I" "$H" "$L" "$B" "$threads"

    # Every system runs as a server (bench/peer.c's protocol): first checked,
    # then, if it passed, timed.
    local args=("$DIR/weights.safetensors" "$I" "$H" "$L" "$B" "$STEPS" "$DIR/input.txt")
    local s id label note diff passing=()
    for s in "${SKIPPED[@]}"; do
        IFS='|' read -r id label note <<< "$s"
        record system "$name" "$id" "$label" skipped - "$note"
    done
    for s in "${BROKEN[@]}"; do
        IFS='|' read -r id label note <<< "$s"
        record system "$name" "$id" "$label" FAILED - "$note"
    done
    for s in "${SYSTEMS[@]}"; do
        IFS='|' read -r id label <<< "$s"
        peer_cmd "$id" "$DIR"
        start_peer "$id" "${PEER[@]}" "${args[@]}"
    done
    for s in "${SYSTEMS[@]}"; do
        IFS='|' read -r id label <<< "$s"
        note=$(ask "$id" "check $DIR/$id.out.txt")
        diff=""
        if [ -n "$note" ] && [ "${note#cannot run}" = "$note" ] &&
            diff=$(awk -f tests/maxdiff.awk "$DIR/$id.out.txt" "$DIR/reference.txt") &&
            awk -v d="$diff" -v t=$TOL 'BEGIN { exit !(d <= t) }'; then
            record system "$name" "$id" "$label" ok "$diff" "$note"
            passing+=("$id")
        else
            [ -n "$diff" ] || diff=$(head -c 200 "$DIR/$id.err" | tr '\n\t' '  ')
            record system "$name" "$id" "$label" FAILED "${diff:--}" "${note:-no output}"
            stop_peer "$id"
        fi
    done

    log "bench: $name: timing ${#passing[@]} systems, $ROUNDS rounds of >= $MS ms each"
    for id in "${passing[@]}"; do
        [ "$(ask "$id" "warmup $WARMUP_MS")" = ok ] || log "bench: $name: $id did not warm up"
    done
    local round k n=${#passing[@]} t
    for ((round = 0; round < ROUNDS; round++)); do
        for ((k = 0; k < n; k++)); do   # each round starts one system later
            id=${passing[(round + k) % n]}
            t=$(ask "$id" "time $MS")
            [ -n "$t" ] && record time "$name" "$id" "$t"
        done
    done
    for id in "${passing[@]}"; do
        stop_peer "$id"
    done
}

# ---- compile-time report ----

# compile_report NAME I H L: lstmc compile and cc -O2 times, file sizes,
# and the generated code's flash and RAM from its header banner.
compile_report() {
    local name=$1 I=$2 H=$3 L=$4 d=$OUT/compile-$1 t0 t1 cc_ms clang_ms=-
    mkdir -p "$d"
    "$OUT/mkweights" "$I" "$H" "$L" 1 1 "$d/weights.safetensors" "$d/input.txt"
    printf 'model bench { input %s; weights "weights.safetensors";\n  lstm lstm { hidden %s; layers %s; from pytorch "lstm"; }\n  output sequence; }\n' \
        "$I" "$H" "$L" > "$d/model.lstm"
    t0=$(now_ns)
    $LSTMC compile --activations fast "$d/model.lstm" -o "$d/bench"
    t1=$(now_ns)
    local lstmc_ms=$(((t1 - t0) / 1000000))
    t0=$(now_ns)
    cc -O2 -c -o "$d/bench.o" "$d/bench.c"
    t1=$(now_ns)
    cc_ms=$(((t1 - t0) / 1000000))
    if [ -z "$CLANG_SKIP" ] && [ $QUICK = 0 ]; then   # --quick: cc only
        t0=$(now_ns)
        clang -O2 -c -o "$d/bench-clang.o" "$d/bench.c"
        t1=$(now_ns)
        clang_ms=$(((t1 - t0) / 1000000))
    fi
    local flash ram
    flash=$(sed -n 's/^ \* flash: *\([0-9]*\) bytes.*/\1/p' "$d/bench.h")
    ram=$(sed -n 's/^ \* RAM: *\([0-9]*\) bytes.*/\1/p' "$d/bench.h")
    record compile "$name" "$I" "$H" "$L" "$lstmc_ms" "$cc_ms" "$clang_ms" \
        "$(stat -c %s "$d/bench.c")" "$(stat -c %s "$d/bench.o")" "${flash:-?}" "${ram:-?}"
}

while read -r name I H L B threads; do
    run_config "$name" "$I" "$H" "$L" "$B" "$threads"
done <<< "$CONFIGS"

log "bench: compile-time report"
compile_report large 256 512 1
compile_report large-2layer 256 512 2

log "bench: roofline probe again (the report keeps the better figures)"
"${PIN[@]}" "$OUT/roofline" $ROOF_MS >> "$OUT/roofline.txt"

awk -F'\t' -v quick=$QUICK -v rounds=$ROUNDS -v ms=$MS -v tol=$TOL -v cpu="$(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1)" \
    -f bench/report.awk "$OUT/roofline.txt" "$RESULTS" | tee "$OUT/report.txt"
