#!/usr/bin/env bash
# run.sh - lstmc's benchmark: builds every system of each table, checks
# each against `lstmc run` on the same weights and input, times the
# systems that pass round-robin (so machine noise hits all alike), and
# prints the tables (bench/report.awk). What is measured and how:
# bench/README.md.
#
#   bench/run.sh                  the standard tables, the variants' and the
#                                 compile-time report, 15 rounds (make bench)
#   bench/run.sh --quick          the standard tables and the compile-time
#                                 report, 3 rounds (make bench-quick)
#   bench/run.sh --variants       the variants' tables only, 15 rounds
#   bench/run.sh --variants --quick   the same, 3 rounds
#
# Environment: BENCH_BUILD (default build) for the lstmc to use, built with
# make B=BENCH_BUILD (with LLVM, its object is one more system);
# BENCH_CFLAGS (default "-O3 -march=native") for lstmc's code and the naive
# baseline; BENCH_CPU=N pins every timed process to CPU N
# (taskset; not the 2-thread systems, which need two); BENCH_FIFO=P runs
# every timed process (and its threads) at real-time priority P (chrt -f;
# root or CAP_SYS_NICE), so that other work on a shared machine cannot take
# a core from it while it is timed (a 2-thread row then loses nothing to a
# third process; the kernel still leaves others 5 % of each second);
# BENCH_OUT (default
# build/bench) for the work files; BENCH_BASELINE=PATH/lstmc adds the code of
# another lstmc (say, the last release's) as one more system of the standard
# tables (and its --activations exact code and NAME_step to the exact-step
# tables, its GRU and RNN code, C and LLVM object, to the gru-rnn tables), to see
# a change's effect within one interleaved run;
# BENCH_TABLES="NAME..." runs only the tables of those names (of the ones
# the options select), say BENCH_TABLES=blocks-h512 bench/run.sh --variants.
set -euo pipefail
cd "$(dirname "$0")/.."

QUICK=0 STANDARD=1 VARIANTS=1
for arg in "$@"; do
    case $arg in
        --quick) QUICK=1 ;;
        --variants) STANDARD=0 ;;
        *) echo "usage: bench/run.sh [--quick] [--variants]" >&2; exit 2 ;;
    esac
done
[ $QUICK = 1 ] && [ $STANDARD = 1 ] && VARIANTS=0   # --quick alone: the standard tables
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
FIFO=()
if [ -n "${BENCH_FIFO:-}" ]; then
    command -v chrt >/dev/null || { echo "run.sh: BENCH_FIFO needs chrt (util-linux)" >&2; exit 2; }
    chrt -f "$BENCH_FIFO" true 2>/dev/null ||
        { echo "run.sh: BENCH_FIFO=$BENCH_FIFO: chrt -f cannot set that priority here (root or CAP_SYS_NICE, 1-99)" >&2; exit 2; }
    FIFO=(chrt -f "$BENCH_FIFO")
fi

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

# record FIELD... : one tab-separated line of results.txt (read by report.awk)
record() { (IFS=$'\t'; printf '%s\n' "$*") >> "$RESULTS"; }

# ---- the tables ----
# A table is one interleaved timing run and one table of the report. It has
# models (each its own weights, input, spec and `lstmc run` reference, in
# OUT/TABLE/MODEL) and systems, each running one of the models:
#   def_table NAME I H LAYERS BATCH DESCRIPTION
#   def_model TABLE MODEL DESCRIPTION MKWEIGHTS-OPTIONS PEER-OPTIONS SPEC-STATEMENTS [MODEL-STATEMENTS]
#     (the options are words; the statements go into the spec's lstm block
#     after hidden and layers, the model statements into the model block)
#   def_system TABLE ID MODEL KIND LABEL [TWIN [PEERS]]
#     KIND says what runs (kind_code below: lstmc's code of some compile
#     options under some compiler, or a peer: onednn, torch, naive,
#     naive-ffm), or is skip:WHY for a row that cannot run; TWIN is the
#     system (of the standard model) whose time per FLOP this one is
#     compared with, in the report's last column; PEERS=1 prints its
#     speed-up against oneDNN and PyTorch.
TABLES=()
declare -A T_DIMS T_DESC T_MODELS T_SYSTEMS M_DESC M_MKW M_PEER M_SPEC M_TOP M_BLOCK
def_table() {
    if [ -n "${BENCH_TABLES:-}" ] && [[ " $BENCH_TABLES " != *" $1 "* ]]; then
        :   # not selected: its models and systems are defined but never used
    else
        TABLES+=("$1")
    fi
    T_DIMS[$1]="$2 $3 $4 $5" T_DESC[$1]=$6 T_MODELS[$1]="" T_SYSTEMS[$1]=""
}
def_model() {
    T_MODELS[$1]+="$2 "
    M_DESC[$1/$2]=$3 M_MKW[$1/$2]=$4 M_PEER[$1/$2]=$5 M_SPEC[$1/$2]=$6 M_TOP[$1/$2]=${7:-}
}
def_system() {
    T_SYSTEMS[$1]+="$2|$3|$4|$5|${6:--}|${7:-0}"$'\n'
}

# The standard LSTM (what every peer runs), five shapes. threads: 2 adds the
# system "lstmc ..., 2 threads" (lstmc compile --threads 2).
standard_tables() {
    local name I H L B threads
    #        name     I    H    layers batch threads
    while read -r name I H L B threads; do
        def_table "$name" "$I" "$H" "$L" "$B" ""
        def_model "$name" std "standard LSTM" "" "" 'from pytorch "lstm";'
        def_system "$name" lstmc-gcc std gcc "lstmc, gcc $OPT" - 1
        if [ "$threads" -gt 1 ]; then
            def_system "$name" lstmc-gcc-t2 std gcc-t2 "lstmc, gcc $OPT, 2 threads"
        else
            def_system "$name" lstmc-gcc-t2 std "skip:threads are for large layers" "lstmc, gcc $OPT, 2 threads"
        fi
        if [ "$B" = 1 ]; then   # the chunk sweep (run_batch's groups are chunks too: batch 1 only)
            def_system "$name" lstmc-gcc-k1 std gcc-k1 "lstmc, gcc $OPT, --chunk 1"
            def_system "$name" lstmc-gcc-k8 std gcc-k8 "lstmc, gcc $OPT, --chunk 8"
            def_system "$name" lstmc-gcc-k16 std gcc-k16 "lstmc, gcc $OPT, --chunk 16"
            def_system "$name" lstmc-gcc-k32 std gcc-k32 "lstmc, gcc $OPT, --chunk 32"
            def_system "$name" lstmc-gcc-k64 std gcc-k64 "lstmc, gcc $OPT, --chunk 64"
        fi
        [ -z "${BENCH_BASELINE:-}" ] ||
            def_system "$name" lstmc-base std base "baseline lstmc ($BENCH_BASELINE), gcc $OPT"
        def_system "$name" lstmc-clang std clang "lstmc, clang $OPT" - 1
        def_system "$name" lstmc-llvm std llvm "lstmc, LLVM object (--emit obj)" - 1
        def_system "$name" onednn std onednn "oneDNN lstm_forward"
        def_system "$name" torch std torch "PyTorch eager nn.LSTM"
        def_system "$name" naive std naive "naive C, gcc $OPT"
        def_system "$name" naive-ffm std naive-ffm "naive C, gcc $OPT -ffast-math"
    done <<'EOF'
small    16   32   1      1     1
medium   64   128  1      1     1
large    256  512  1      1     2
stacked  64   256  2      1     2
batch    64   256  1      32    1
EOF
}

# int16_systems TABLE: the model of TABLE's shape in arithmetic int16
# (calibrated on its own input: prepare_model), its C and LLVM object,
# each timed against the float32 code of the same backend; the check's
# reference is `lstmc run` of its spec, the integer mode.
int16_systems() {
    def_model "$1" i16 "arithmetic int16" "" "" 'from pytorch "lstm";' 'arithmetic int16; ranges "ranges";'
    def_system "$1" int16-gcc i16 int16-gcc "int16, bench_step per step, gcc" std-gcc
    def_system "$1" int16-llvm i16 int16-llvm "int16, bench_step per step, LLVM obj" std-llvm
}

# Each variant of the language beside the standard LSTM of the same shape
# (its "twin", timed in the same rounds), with the C (gcc) and the LLVM
# object of lstmc compile, and the peers where they can run the variant.
variant_tables() {
    local I H S nf t m what
    local std='from pytorch "lstm";'
    local nopeer="the naive baseline is the standard LSTM only"
    for IH in "64 128" "256 512"; do   # memory cell blocks: S = 2, 4, 8, with and without forget gate
        read -r I H <<< "$IH"
        t=blocks-h$H
        def_table "$t" "$I" "$H" 1 1 "memory cell blocks: the S cells of a block share its input, forget and output gates"
        def_model "$t" std "standard LSTM" "" "" "$std"
        def_system "$t" std-gcc std gcc "standard LSTM, gcc" std-gcc
        def_system "$t" std-llvm std llvm "standard LSTM, LLVM object" std-llvm
        for S in 2 4 8; do
            for nf in "" nf; do
                m=b$S$nf what="blocks S=$S"
                if [ -z "$nf" ]; then
                    def_model "$t" "$m" "$what" "--native --blocks $((H / S))" "" \
                        "blocks $((H / S)); from native \"lstm\";"
                else
                    what+=", no forget gate"
                    def_model "$t" "$m" "$what" "--native --blocks $((H / S)) --no-forget" "" \
                        "blocks $((H / S)); gates input output; from native \"lstm\";"
                fi
                def_system "$t" "$m-gcc" "$m" gcc "$what, gcc" std-gcc
                def_system "$t" "$m-llvm" "$m" llvm "$what, LLVM object" std-llvm
            done
        done
        def_system "$t" onednn std "skip:oneDNN has no memory cell blocks" "oneDNN lstm_forward"
        def_system "$t" torch std "skip:PyTorch has no memory cell blocks" "PyTorch eager nn.LSTM"
        def_system "$t" naive std "skip:$nopeer" "naive C, gcc $OPT"
    done

    t=projection   # LSTMP: I 256, H 512, P 128
    def_table "$t" 256 512 1 1 "projection (LSTMP): h = W_proj (o * tanh(c)), P = 128 outputs fed back"
    def_model "$t" std "standard LSTM" "" "" "$std"
    def_model "$t" proj "projection P=128" "--proj 128" "--proj 128" "projection 128; $std"
    def_system "$t" std-gcc std gcc "standard LSTM, gcc" std-gcc
    def_system "$t" std-llvm std llvm "standard LSTM, LLVM object" std-llvm
    def_system "$t" proj-gcc proj gcc "projection, gcc" std-gcc 1
    def_system "$t" proj-llvm proj llvm "projection, LLVM object" std-llvm 1
    def_system "$t" onednn proj onednn "oneDNN lstm_forward (projection)"
    def_system "$t" torch proj torch "PyTorch eager nn.LSTM (proj_size)"
    def_system "$t" naive std "skip:$nopeer" "naive C, gcc $OPT"

    t=bidirectional   # 2 layers, H 256, against the unidirectional twin
    def_table "$t" 64 256 2 1 "bidirectional, 2 layers: both directions of each layer, concatenated (layer 1 reads 2H)"
    def_model "$t" std "standard LSTM (forward)" "" "" "$std"
    def_model "$t" bidir "bidirectional" "--bidirectional" "--bidirectional" "direction bidirectional; $std"
    def_system "$t" std-gcc std gcc "standard LSTM, gcc" std-gcc
    def_system "$t" std-llvm std llvm "standard LSTM, LLVM object" std-llvm
    def_system "$t" bidir-gcc bidir gcc "bidirectional, gcc" std-gcc 1
    def_system "$t" bidir-gcc-t2 bidir gcc-t2 "bidirectional, gcc, 2 threads" std-gcc
    def_system "$t" bidir-llvm bidir llvm "bidirectional, LLVM object" std-llvm 1
    def_system "$t" bidir-llvm-t2 bidir llvm-t2 "bidirectional, LLVM object, 2 threads" std-llvm
    def_system "$t" onednn bidir onednn "oneDNN lstm_forward (bidirectional)"
    def_system "$t" torch bidir torch "PyTorch eager nn.LSTM (bidirectional)"
    def_system "$t" naive std "skip:$nopeer" "naive C, gcc $OPT"

    for IH in "64 128" "256 512"; do   # GRU and Elman RNN layers beside the LSTM of the same shape
        read -r I H <<< "$IH"
        t=gru-rnn-h$H
        def_table "$t" "$I" "$H" 1 1 "GRU (reset after) and Elman RNN (tanh) layers, through the LSTM's tiled kernels"
        def_model "$t" std "standard LSTM" "" "" "$std"
        def_model "$t" gru "GRU" "--gru" "--gru" "reset after; $std"
        def_model "$t" rnn "RNN" "--rnn" "--rnn" "$std"
        M_BLOCK[$t/gru]=gru M_BLOCK[$t/rnn]=rnn
        def_system "$t" std-gcc std gcc "standard LSTM, gcc" std-gcc
        def_system "$t" std-llvm std llvm "standard LSTM, LLVM object" std-llvm
        for m in gru rnn; do
            def_system "$t" "$m-gcc" "$m" gcc "${m^^}, gcc" std-gcc 1
            def_system "$t" "$m-llvm" "$m" llvm "${m^^}, LLVM object" std-llvm 1
            if [ -n "${BENCH_BASELINE:-}" ]; then
                def_system "$t" "$m-gcc-base" "$m" base "baseline lstmc, ${m^^}, gcc" std-gcc 1
                def_system "$t" "$m-llvm-base" "$m" llvm-base "baseline lstmc, ${m^^}, LLVM object" std-llvm 1
            fi
            def_system "$t" "$m-torch" "$m" torch "PyTorch eager nn.${m^^}"
        done
        def_system "$t" gru-onednn gru onednn "oneDNN lbr_gru_forward"
        def_system "$t" rnn-onednn rnn onednn "oneDNN vanilla_rnn_forward (tanh)"
        def_system "$t" naive std "skip:$nopeer" "naive C, gcc $OPT"
    done

    # weights stored narrow (weights_type): the bandwidth-bound shapes, the
    # large and the stacked, beside float32; the peers store float32
    for shape in "weights-h512 256 512 1" "weights-stacked 64 256 2"; do
        read -r t I H L <<< "$shape"
        def_table "$t" "$I" "$H" "$L" 1 "weights stored as float16, bfloat16 and int8 (arithmetic float32), against float32"
        def_model "$t" std "standard LSTM, float32 weights" "" "" "$std"
        def_system "$t" std-gcc std gcc "float32 weights, gcc" std-gcc
        def_system "$t" std-llvm std llvm "float32 weights, LLVM object" std-llvm
        for wt in f16 bf16 int8; do
            def_model "$t" "$wt" "weights_type $wt" "" "" "$std" "weights_type $wt;"
            def_system "$t" "$wt-gcc" "$wt" gcc "$wt weights, gcc" std-gcc
            def_system "$t" "$wt-llvm" "$wt" llvm "$wt weights, LLVM object" std-llvm
        done
        # int8 weights times h quantized to int8 (products int8: VNNI)
        def_model "$t" int8p "weights_type int8, products int8" "" "" "$std" "weights_type int8; products int8;"
        def_system "$t" int8p-gcc int8p gcc "int8 weights, products int8, gcc" std-gcc
        def_system "$t" int8p-llvm int8p llvm "int8 weights, products int8, LLVM object" std-llvm
        int16_systems "$t"
        def_system "$t" onednn std onednn "oneDNN lstm_forward (float32)"
        def_system "$t" naive std "skip:$nopeer" "naive C, gcc $OPT"
    done

    # integer-only arithmetic on a model of a microcontroller's size, beside
    # float32 (whose NAME_step the integer code's one call per step compares with)
    t=int16-h64
    def_table "$t" 16 64 1 1 "arithmetic int16 (int8 weights, int16 fixed point, integer sums, table activations), against float32"
    def_model "$t" std "standard LSTM, float32" "" "" "$std"
    def_system "$t" std-gcc std gcc "float32, gcc" std-gcc
    def_system "$t" std-llvm std llvm "float32, LLVM object" std-llvm
    def_system "$t" step-gcc std step-gcc "float32, bench_step per step, gcc" std-gcc
    def_system "$t" step-llvm std step-llvm "float32, bench_step per step, LLVM object" std-llvm
    int16_systems "$t"
    def_system "$t" naive std "skip:$nopeer" "naive C, gcc $OPT"

    for IH in "16 32" "64 128" "256 512"; do   # --activations exact, and the step API
        read -r I H <<< "$IH"
        t=exact-step-h$H
        def_table "$t" "$I" "$H" 1 1 "--activations exact, and NAME_step called per step, against fast and NAME_run"
        def_model "$t" std "standard LSTM" "" "" "$std"
        def_system "$t" std-gcc std gcc "standard LSTM, gcc" std-gcc
        def_system "$t" std-llvm std llvm "standard LSTM, LLVM object" std-llvm
        def_system "$t" exact-gcc std exact-gcc "--activations exact, gcc" std-gcc 1
        def_system "$t" exact-llvm std exact-llvm "--activations exact, LLVM object" std-llvm 1
        if [ -n "${BENCH_BASELINE:-}" ]; then
            def_system "$t" exact-gcc-base std exact-base "baseline lstmc, --activations exact, gcc" std-gcc
            def_system "$t" exact-llvm-base std exact-llvm-base "baseline lstmc, --activations exact, LLVM object" std-llvm
        fi
        def_system "$t" step-gcc std step-gcc "bench_step per step, gcc" std-gcc
        def_system "$t" step-llvm std step-llvm "bench_step per step, LLVM object" std-llvm
        [ -z "${BENCH_BASELINE:-}" ] ||
            def_system "$t" step-gcc-base std step-base "baseline lstmc, bench_step per step, gcc" std-gcc
        def_system "$t" onednn std onednn "oneDNN lstm_forward"
        def_system "$t" torch std torch "PyTorch eager nn.LSTM"
        def_system "$t" naive std naive "naive C (libm), gcc $OPT"
    done
}

[ $STANDARD = 1 ] && standard_tables
[ $VARIANTS = 1 ] && variant_tables

# ---- models: weights, input, spec, lstmc check (all first: the probe needs their sizes) ----

declare -A M_WBYTES
prepare_model() {   # prepare_model TABLE MODEL
    local t=$1 m=$2 I H L B d=$OUT/$1/$2 mkw flops wbytes rbytes lbytes
    read -r I H L B <<< "${T_DIMS[$t]}"
    mkdir -p "$d"
    read -ra mkw <<< "${M_MKW[$t/$m]}"
    "$OUT/mkweights" "${mkw[@]}" "$I" "$H" "$L" "$B" "$STEPS" "$d/weights.safetensors" "$d/input.txt" > "$d/sizes.txt"
    rbytes=$(sed -n 's/^recurrent_bytes //p' "$d/sizes.txt")
    lbytes=$(sed -n 's/^layer_bytes //p' "$d/sizes.txt")
    cat > "$d/model.lstm" <<EOF
# lstmc benchmark: table $t, model $m (${M_DESC[$t/$m]}), written by bench/run.sh
model bench {
    input $I;
    weights "weights.safetensors";
    ${M_TOP[$t/$m]}
    ${M_BLOCK[$t/$m]:-lstm} lstm { hidden $H; layers $L; ${M_SPEC[$t/$m]} }
    output sequence;
}
EOF
    if [[ "${M_TOP[$t/$m]}" == *"arithmetic int16"* ]]; then
        # the input as the float32 the systems read (peer.c: fscanf %f), so that
        # `lstmc run` rounds the same numbers to int16 as the program does
        "$PYTHON" -c 'import struct, sys
for line in sys.stdin:
    print(" ".join("%.17g" % struct.unpack("f", struct.pack("f", float(v)))[0] for v in line.split()))' \
            < "$d/input.txt" > "$d/input.f32.txt"
        mv "$d/input.f32.txt" "$d/input.txt"
        $LSTMC calibrate "$d/model.lstm" "$d/input.txt" -o "$d/ranges"
    fi
    $LSTMC check "$d/model.lstm" > "$d/check.txt"
    flops=$(sed -n 's/^FLOPs per timestep: //p' "$d/check.txt")
    wbytes=$(sed -n 's/^parameters: [0-9]* (\([0-9]*\) bytes.*/\1/p' "$d/check.txt")
    # The bandwidth that bounds a step is the one at the working set of the
    # layer-direction running: the code runs one layer-direction after
    # another over a chunk of steps, so while a layer's recurrence reads its
    # weights again each step, the other layers' weights are not touched.
    # Probed at all layers' size, the stacked model's roofline was too
    # generous (it read "0.43x roofline").
    M_WBYTES[$t/$m]=$lbytes
    record model "$t" "$m" "${M_DESC[$t/$m]}" "$flops" "$wbytes" "$rbytes" "$lbytes"
}

log "bench: weights and specs of ${#TABLES[@]} tables"
for t in "${TABLES[@]}"; do
    read -r I H L B <<< "${T_DIMS[$t]}"
    record config "$t" "$I" "$H" "$L" "$B" "$STEPS" "${T_DESC[$t]}"
    for m in ${T_MODELS[$t]}; do
        prepare_model "$t" "$m"
    done
done
# The probe: FMA peak, and read bandwidth at the size of each model's largest
# layer-direction's weights (prepare_model says why).
PROBE_SIZES=$(printf '%s\n' "${M_WBYTES[@]}" | sort -nu | tr '\n' ' ')
log "bench: roofline probe (FMA peak; read bandwidth at $(wc -w <<< "$PROBE_SIZES") working-set sizes)"
# shellcheck disable=SC2086  # the sizes are words
"${FIFO[@]}" "${PIN[@]}" "$OUT/roofline" $ROOF_MS $PROBE_SIZES > "$OUT/roofline.txt"

# ---- lstmc's code: what each kind of system runs ----

# kind_code KIND: sets CODE (the folder of the model's generated code) and
# COPTS (lstmc compile's options), CC (the compiler of the driver and C
# code) and CFLAGS_EXTRA; returns 1 for a kind that is not lstmc's.
kind_code() {
    CC=gcc CFLAGS_EXTRA=() DRIVER=bench/driver.c
    case $1 in
        gcc) CODE=c COPTS="--activations fast" ;;
        clang) CODE=c COPTS="--activations fast" CC=clang ;;
        llvm) CODE=llvm COPTS="--activations fast --emit obj" ;;
        gcc-t2) CODE=t2 COPTS="--activations fast --threads 2" CFLAGS_EXTRA=(-pthread) ;;
        llvm-t2) CODE=llvm-t2 COPTS="--activations fast --emit obj --threads 2" CFLAGS_EXTRA=(-pthread) ;;
        gcc-k1) CODE=chunk1 COPTS="--activations fast --chunk 1" ;;
        gcc-k8) CODE=chunk8 COPTS="--activations fast --chunk 8" ;;
        gcc-k16) CODE=chunk16 COPTS="--activations fast --chunk 16" ;;
        gcc-k32) CODE=chunk32 COPTS="--activations fast --chunk 32" ;;
        gcc-k64) CODE=chunk64 COPTS="--activations fast --chunk 64" ;;
        exact-gcc) CODE=exact COPTS="--activations exact" ;;
        exact-llvm) CODE=exact-llvm COPTS="--activations exact --emit obj" ;;
        step-gcc) CODE=c COPTS="--activations fast" CFLAGS_EXTRA=(-DBENCH_STEP_API) ;;
        step-llvm) CODE=llvm COPTS="--activations fast --emit obj" CFLAGS_EXTRA=(-DBENCH_STEP_API) ;;
        int16-gcc) CODE=int16 COPTS="" DRIVER=bench/driver_int16.c ;;   # the spec says arithmetic int16
        int16-llvm) CODE=int16-llvm COPTS="--emit obj" DRIVER=bench/driver_int16.c ;;
        base) CODE=baseline COPTS="--activations fast" ;;
        step-base) CODE=baseline COPTS="--activations fast" CFLAGS_EXTRA=(-DBENCH_STEP_API) ;;
        exact-base) CODE=baseline-exact COPTS="--activations exact" ;;
        exact-llvm-base) CODE=baseline-exact-llvm COPTS="--activations exact --emit obj" ;;
        llvm-base) CODE=baseline-llvm COPTS="--activations fast --emit obj" ;;
        *) return 1 ;;
    esac
}

# gen_code MDIR CODE: lstmc compile (COPTS from kind_code) writes
# MDIR/CODE/bench.{c,h} or bench.{o,h}, once per table. CODE_STATUS says
# how it went: "" written; "skip:WHY" lstmc refused the options (usage
# error, exit status 2: a combination it does not offer); "fail:WHY".
declare -A CODE_STATUS
gen_code() {
    local md=$1 code=$2 dir=$1/$2 lstmc=$LSTMC copts rc=0
    [ -n "${CODE_STATUS[$dir]+set}" ] && return 0
    [ "${code#baseline}" != "$code" ] && lstmc=$BENCH_BASELINE
    read -ra copts <<< "$COPTS"
    rm -rf "$dir"
    mkdir -p "$dir"
    "$lstmc" compile "${copts[@]}" "$md/model.lstm" -o "$dir/bench" > "$dir/compile.txt" 2>&1 || rc=$?
    local why
    why="lstmc compile $COPTS: $(grep -m1 -i error "$dir/compile.txt" | sed 's/^lstmc: error: //' | tr '\t' ' ' || true)"
    if [ $rc = 2 ]; then
        CODE_STATUS[$dir]="skip:$why"
    elif [ $rc != 0 ]; then
        CODE_STATUS[$dir]="fail:$why"
        log "bench: $dir: $why"
    elif [ "${code%t2}" != "$code" ] && ! grep -q '^#define BENCH_\(DIRECTION_\)\?THREADS' "$dir/bench.h"; then
        CODE_STATUS[$dir]="skip:lstmc compile $COPTS wrote single-threaded code for this model (no BENCH_THREADS or BENCH_DIRECTION_THREADS in bench.h)"
    else
        CODE_STATUS[$dir]=""
    fi
}

# ---- one table: build, check, time ----

# The systems of a table, in the report's order: ORDER; each one's
# S_LABEL, S_MODEL, S_TWIN, S_PEERS, S_STATUS (ok, FAILED, skipped; "" until
# checked), S_DIFF, S_NOTE.
declare -A S_LABEL S_MODEL S_TWIN S_PEERS S_STATUS S_DIFF S_NOTE

# build ID COMMAND...: builds system ID; if the build fails it is FAILED
# (the compiler's messages are in DIR/ID.build.txt).
build() {
    local id=$1; shift
    if ! "$@" > "$DIR/$id.build.txt" 2>&1; then
        S_STATUS[$id]=FAILED S_DIFF[$id]=-
        S_NOTE[$id]="build failed: $(grep -m1 -i error "$DIR/$id.build.txt" | tr '\t' ' ' || true)"
    fi
}
skip() { S_STATUS[$1]=skipped S_DIFF[$1]=- S_NOTE[$1]=$2; }

# build_system ID KIND: the program of system ID (of model S_MODEL[ID]) in DIR.
build_system() {
    local id=$1 kind=$2 I H L B md=$DIR/${S_MODEL[$1]}
    read -r I H L B <<< "${T_DIMS[$TABLE]}"
    case $kind in
        skip:*) skip "$id" "${kind#skip:}"; return ;;
        clang) [ -z "$CLANG_SKIP" ] || { skip "$id" "$CLANG_SKIP"; return; } ;;
        *llvm*) [ -z "$LLVM_SKIP" ] || { skip "$id" "$LLVM_SKIP"; return; } ;;
        onednn)
            [ -z "$ONEDNN_SKIP" ] || { skip "$id" "$ONEDNN_SKIP"; return; }
            build "$id" gcc -O2 "${WARN[@]}" -Ibench -Icompiler -o "$DIR/$id" \
                bench/onednn.c bench/peer.c "${LIBO[@]}" -ldnnl -lm
            return ;;
        torch) [ -z "$TORCH_SKIP" ] || skip "$id" "$TORCH_SKIP"; return ;;
        naive | naive-ffm)
            local ffm=()
            [ "$kind" = naive ] || ffm=(-ffast-math)
            build "$id" gcc "${OPTS[@]}" "${ffm[@]}" "${WARN[@]}" -o "$DIR/$id" \
                -DNI="$I" -DNH="$H" -DNL="$L" -DNB="$B" -DNT="$STEPS" -Ibench -Icompiler \
                bench/naive.c bench/peer.c "${LIBO[@]}" -lm
            return ;;
    esac
    kind_code "$kind" || { S_STATUS[$id]=FAILED S_DIFF[$id]=- S_NOTE[$id]="run.sh: unknown kind $kind"; return; }
    gen_code "$md" "$CODE"
    local st=${CODE_STATUS[$md/$CODE]}
    case $st in
        skip:*) skip "$id" "${st#skip:}"; return ;;
        fail:*) S_STATUS[$id]=FAILED S_DIFF[$id]=- S_NOTE[$id]=${st#fail:}; return ;;
    esac
    local src=$md/$CODE/bench.c
    [ -f "$src" ] || src=$md/$CODE/bench.o   # the LLVM object, behind the same header
    build "$id" "$CC" "${OPTS[@]}" "${WARN[@]}" "${CFLAGS_EXTRA[@]}" -o "$DIR/$id" \
        -I"$md/$CODE" -Ibench -Icompiler "$DRIVER" "$src" bench/peer.c "${LIBO[@]}" -lm
}

# peer_cmd ID: the command line of system ID, in the array PEER
peer_cmd() {
    local md=$DIR/${S_MODEL[$1]} I H L B popts
    read -r I H L B <<< "${T_DIMS[$TABLE]}"
    read -ra popts <<< "${M_PEER[$TABLE/${S_MODEL[$1]}]}"
    if [ "${KIND[$1]}" = torch ]; then
        PEER=("$PYTHON" bench/torch_peer.py)
    elif [ "${KIND[$1]}" = onednn ]; then
        PEER=("$DIR/$1")   # --gru and --rnn: lbr_gru and vanilla_rnn
    else
        PEER=("$DIR/$1")
        # --gru and --rnn say which module PyTorch runs; a program of
        # lstmc's knows its layer from the spec it was compiled from
        local kept=() o
        for o in "${popts[@]}"; do
            [ "$o" = --gru ] || [ "$o" = --rnn ] || kept+=("$o")
        done
        popts=("${kept[@]}")
    fi
    PEER+=("$md/weights.safetensors" "$I" "$H" "$L" "$B" "$STEPS" "$md/input.txt" "${popts[@]}")
}

# Each system runs as a server (bench/peer.c's protocol) behind two FIFOs;
# ask sends one command and reads the one-line answer. A system with
# threads (ID ending in -tN) is not pinned, and is stopped (SIGSTOP)
# whenever it is not asked: its idle threads spin, and must not take a core
# from the others while they run.
declare -A WFD RFD PID KIND
threaded() { [[ $1 =~ -t[0-9]+$ ]]; }
start_peer() {
    local id=$1 pin=("${PIN[@]}"); shift
    threaded "$id" && pin=()
    pin=("${FIFO[@]}" "${pin[@]}")
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

run_table() {
    TABLE=$1 DIR=$OUT/$1
    local I H L B m id model kind label twin peers
    read -r I H L B <<< "${T_DIMS[$TABLE]}"
    log "bench: $TABLE (I=$I H=$H layers=$L batch=$B T=$STEPS): references, code, builds"
    for m in ${T_MODELS[$TABLE]}; do
        $LSTMC run "$DIR/$m/model.lstm" "$DIR/$m/input.txt" > "$DIR/$m/reference.txt"
    done
    ORDER=()
    S_LABEL=() S_MODEL=() S_TWIN=() S_PEERS=() S_STATUS=() S_DIFF=() S_NOTE=() KIND=() CODE_STATUS=()
    while IFS='|' read -r id model kind label twin peers; do
        [ -n "$id" ] || continue
        ORDER+=("$id")
        S_LABEL[$id]=$label S_MODEL[$id]=$model S_TWIN[$id]=$twin S_PEERS[$id]=$peers KIND[$id]=$kind
        S_STATUS[$id]="" S_DIFF[$id]=- S_NOTE[$id]=""
        build_system "$id" "$kind"
    done <<< "${T_SYSTEMS[$TABLE]}"

    # Every system runs as a server (bench/peer.c's protocol): first checked,
    # then, if it passed, timed.
    local started=() passing=() note diff
    for id in "${ORDER[@]}"; do
        [ -z "${S_STATUS[$id]}" ] || continue
        peer_cmd "$id"
        start_peer "$id" "${PEER[@]}"
        started+=("$id")
    done
    for id in "${started[@]}"; do
        note=$(ask "$id" "check $DIR/$id.out.txt")
        diff=""
        if [ -n "$note" ] && [ "${note#cannot run}" = "$note" ] &&
            diff=$(awk -f tests/maxdiff.awk "$DIR/$id.out.txt" "$DIR/${S_MODEL[$id]}/reference.txt") &&
            awk -v d="$diff" -v t=$TOL 'BEGIN { exit !(d <= t) }'; then
            S_STATUS[$id]=ok S_DIFF[$id]=$diff S_NOTE[$id]=$note
            passing+=("$id")
        else
            [ -n "$diff" ] || diff=$(head -c 200 "$DIR/$id.err" | tr '\n\t' '  ')
            S_STATUS[$id]=FAILED S_DIFF[$id]=${diff:--} S_NOTE[$id]=${note:-no output}
            stop_peer "$id"
        fi
    done
    for id in "${ORDER[@]}"; do
        record system "$TABLE" "$id" "${S_LABEL[$id]}" "${S_STATUS[$id]}" "${S_DIFF[$id]}" "${S_NOTE[$id]}" \
            "${S_MODEL[$id]}" "${S_TWIN[$id]}" "${S_PEERS[$id]}"
    done

    log "bench: $TABLE: timing ${#passing[@]} systems, $ROUNDS rounds of >= $MS ms each"
    for id in "${passing[@]}"; do
        [ "$(ask "$id" "warmup $WARMUP_MS")" = ok ] || log "bench: $TABLE: $id did not warm up"
    done
    local round k n=${#passing[@]} t
    for ((round = 0; round < ROUNDS; round++)); do
        for ((k = 0; k < n; k++)); do   # each round starts one system later
            id=${passing[(round + k) % n]}
            t=$(ask "$id" "time $MS")
            [ -n "$t" ] && record time "$TABLE" "$id" "$t"
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
    "$OUT/mkweights" "$I" "$H" "$L" 1 1 "$d/weights.safetensors" "$d/input.txt" > /dev/null
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

for t in "${TABLES[@]}"; do
    run_table "$t"
done

if [ $STANDARD = 1 ]; then
    log "bench: compile-time report"
    compile_report large 256 512 1
    compile_report large-2layer 256 512 2
fi

log "bench: roofline probe again (the report keeps the better figures)"
# shellcheck disable=SC2086
"${FIFO[@]}" "${PIN[@]}" "$OUT/roofline" $ROOF_MS $PROBE_SIZES >> "$OUT/roofline.txt"

what=standard
[ $STANDARD = 1 ] || what=""
[ $VARIANTS = 0 ] || what="${what:+$what and }variant"
awk -F'\t' -v quick=$QUICK -v what="$what" -v rounds=$ROUNDS -v ms=$MS -v tol=$TOL -v opt="$OPT" \
    -v fifo="${BENCH_FIFO:-}" -v cpu="$(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1)" \
    -f bench/report.awk "$OUT/roofline.txt" "$RESULTS" | tee "$OUT/report.txt"
