# report.awk - the benchmark's tables, the one place that formats results.
# Reads the roofline probe's `key value` lines (first file, two runs) and bench/run.sh's
# tab-separated results (second file):
#   config  TABLE I H LAYERS BATCH STEPS DESCRIPTION
#   model   TABLE MODEL DESCRIPTION FLOPS_PER_SEQ_STEP WEIGHT_BYTES RECURRENT_BYTES LAYER_BYTES
#   system  TABLE ID LABEL STATUS(ok|FAILED|skipped) MAXDIFF NOTE MODEL TWIN PEERS
#   time    TABLE ID NS_PER_SEQUENCE_BATCH
#   compile NAME I H LAYERS LSTMC_MS CC_MS CLANG_MS C_BYTES O_BYTES FLASH RAM
# Variables: quick (0/1), what (the kinds of tables run), rounds, ms, tol (the
# check's bound), opt (the C flags), cpu (the CPU's name).
#
#   time per step   = time of one whole sequence batch / STEPS
#   GFLOP/s         = FLOPS_PER_SEQ_STEP * BATCH / time per step
#   roofline        = max(FLOPs per step / FMA peak,
#                         RECURRENT_BYTES / the probe's read bandwidth over
#                         LAYER_BYTES, the weights of the largest layer-
#                         direction: the working set while it runs, since
#                         the code runs one after another over a chunk)
#   per FLOP vs std = (time / FLOPs) / (time / FLOPs of system TWIN)

# The probe runs at the start and at the end of a run: its best figures count
# (machine noise only ever lowers them). `bw BYTES GBS` lines are keyed by BYTES.
FNR == NR {
    split($0, kv, " ")
    if (kv[1] == "bw") {
        if (kv[3] + 0 > bw[kv[2]] + 0) bw[kv[2]] = kv[3]
    } else if (!(kv[1] in roof) || kv[1] !~ /^fma_gflops/ || kv[2] + 0 > roof[kv[1]] + 0)
        roof[kv[1]] = kv[2]
    next
}

$1 == "config" {
    nconf++; conf[nconf] = $2
    I[$2] = $3; H[$2] = $4; L[$2] = $5; B[$2] = $6; T[$2] = $7; desc[$2] = $8
}
$1 == "model" {
    c = $2; m = $3
    models[c, ++nmodels[c]] = m
    mdesc[c, m] = $4; mflops[c, m] = $5 * B[c]; wbytes[c, m] = $6; rbytes[c, m] = $7; lbytes[c, m] = $8
}
$1 == "system" {
    c = $2; id = $3
    sys[c, ++nsys[c]] = id; present[c, id] = 1
    label[c, id] = $4; status[c, id] = $5; maxdiff[c, id] = $6; note[c, id] = $7
    model[c, id] = $8; twin[c, id] = $9; peers[c, id] = $10
    if ($9 != "-") hastwin[c] = 1
}
$1 == "time" { k = ++ntimes[$2, $3]; times[$2, $3, k] = $4 / T[$2] }
$1 == "compile" {
    ncomp++; comp[ncomp] = $0
}

# Sorts times[c, id, 1..n] in place (insertion sort: mawk has no asort).
function sort_times(c, id, n,    i, j, v) {
    for (i = 2; i <= n; i++) {
        v = times[c, id, i]
        for (j = i - 1; j >= 1 && times[c, id, j] > v; j--)
            times[c, id, j + 1] = times[c, id, j]
        times[c, id, j + 1] = v
    }
}

function median(c, id, n) {
    return n % 2 ? times[c, id, (n + 1) / 2] : (times[c, id, n / 2] + times[c, id, n / 2 + 1]) / 2
}

function bytes(b) {
    return b >= 1048576 ? sprintf("%.1f MiB", b / 1048576) : b >= 1024 ? sprintf("%.1f KiB", b / 1024) : b " B"
}

function ns(v) {
    return v >= 100 ? sprintf("%.0f", v) : sprintf("%.1f", v)
}

# The weights' size, and the largest layer-direction's where that is less.
function weights(c, m) {
    if (lbytes[c, m] + 0 < wbytes[c, m] + 0)
        return bytes(wbytes[c, m]) " (a layer-direction " bytes(lbytes[c, m]) ")"
    return bytes(wbytes[c, m])
}

# The cache level whose size (as the system reports it) holds w bytes, else DRAM.
function level_for(w) {
    if (w <= roof["cache_L1"] + 0) return "L1"
    if (w <= roof["cache_L2"] + 0) return "L2"
    if (w <= roof["cache_L3"] + 0) return "L3"
    return "DRAM"
}

# The roofline of model m of table c: sets t_flop, t_mem, gbs; returns the bound (ns per step).
function roofline(c, m) {
    gbs = bw[lbytes[c, m]]
    t_flop = mflops[c, m] / peak                    # ns, since GFLOP/s = FLOP/ns
    t_mem = gbs > 0 ? rbytes[c, m] / gbs : 0
    return t_flop > t_mem ? t_flop : t_mem
}

function speedup(c, from, to) {
    if (!(c SUBSEP from in med) || !(c SUBSEP to in med)) return "-"
    return sprintf("%.2fx", med[c, to] / med[c, from])
}

# The peer (onednn, torch) that runs system id's model: MODEL-peer where
# the table has one (the GRU and RNN rows), else peer itself.
function peer_of(c, id, peer) {
    return (c SUBSEP model[c, id] "-" peer) in label ? model[c, id] "-" peer : peer
}

function short(id) {
    return substr(id, 1, 6) == "lstmc-" ? substr(id, 7) : id
}

END {
    peak = roof["fma_gflops"]
    printf "lstmc benchmark (%s run, %s tables): %d interleaved rounds per table, each measurement >= %d ms of whole sequences\n",
        quick ? "quick" : "full", what, rounds, ms
    printf "machine: %s, one thread; roofline probe: FMA peak %.1f GFLOP/s (%s); caches as reported: L1 %s, L2 %s, L3 %s\n",
        cpu, peak, roof["isa"], bytes(roof["cache_L1"]), bytes(roof["cache_L2"]), bytes(roof["cache_L3"])
    printf "roofline per step = max(FLOPs / FMA peak, recurrent weight bytes / the probe's read bandwidth over the weights of the largest layer-direction, the working set while it runs)\n"
    printf "times are ns per timestep of the whole batch (sequence-batch time / T), median [min - max] over the rounds\n"
    printf "check: max |diff| of every output against `lstmc run` (double precision), must be <= %s\n", tol
    if (fifo != "")
        printf "timed at real-time priority %s (BENCH_FIFO: SCHED_FIFO, shielded from the machine's other work)\n", fifo

    for (ci = 1; ci <= nconf; ci++) {
        c = conf[ci]
        variant = nmodels[c] > 1 || hastwin[c]
        if (!variant) {   # one model: the standard tables' two lines
            m = models[c, 1]
            r = roofline(c, m)
            printf "\n== %s: I=%d H=%d layers=%d batch=%d T=%d | %d FLOP per step | weights %s (in %s), recurrent %s\n",
                c, I[c], H[c], L[c], B[c], T[c], mflops[c, m], weights(c, m), level_for(lbytes[c, m]), bytes(rbytes[c, m])
            printf "   roofline %s ns/step (compute %s; recurrent weights %s at %.1f GB/s, the probe's read bandwidth over %s)\n",
                ns(r), ns(t_flop), ns(t_mem), gbs, bytes(lbytes[c, m])
            rl[c, m] = r
        } else {
            printf "\n== %s: I=%d H=%d layers=%d batch=%d T=%d | %s\n", c, I[c], H[c], L[c], B[c], T[c], desc[c]
            for (k = 1; k <= nmodels[c]; k++) {
                m = models[c, k]
                r = roofline(c, m)
                rl[c, m] = r
                printf "   %-30s %8d FLOP/step, weights %s (in %s) read at %.1f GB/s, recurrent %s: roofline %s ns/step (compute %s, weights %s)\n",
                    mdesc[c, m] ":", mflops[c, m], weights(c, m), level_for(lbytes[c, m]), gbs, bytes(rbytes[c, m]),
                    ns(r), ns(t_flop), ns(t_mem)
            }
        }
        printf "   %-44s %-9s %28s %9s %10s%s\n", "system", "check", "ns/step [min - max]", "GFLOP/s", "x roofline",
            hastwin[c] ? "  per FLOP vs std" : ""
        for (k = 1; k <= nsys[c]; k++) {   # first the medians, for the ratios
            id = sys[c, k]
            if (status[c, id] != "ok" || !(n = ntimes[c, id])) continue
            sort_times(c, id, n)
            med[c, id] = median(c, id, n)
        }
        for (k = 1; k <= nsys[c]; k++) {
            id = sys[c, k]
            st = status[c, id]
            if (st == "skipped") { printf "   %-44s skipped: %s\n", label[c, id], note[c, id]; continue }
            if (st == "FAILED") {
                why = maxdiff[c, id] == "-" ? note[c, id] : "max |diff| " maxdiff[c, id] "; " note[c, id]
                printf "   %-44s FAILED (%s): not timed\n", label[c, id], why
                continue
            }
            n = ntimes[c, id]
            if (n == 0) { printf "   %-44s %-9s no timing (the process died; see %s.err)\n", label[c, id], maxdiff[c, id], id; continue }
            m = med[c, id]; mm = model[c, id]
            range = sprintf("%s [%s - %s]", ns(m), ns(times[c, id, 1]), ns(times[c, id, n]))
            ratio = ""
            if (hastwin[c]) {
                tw = twin[c, id]
                if (tw == "-" || !((c SUBSEP tw) in med)) ratio = "-"
                else ratio = sprintf("%.2f", (m / mflops[c, mm]) / (med[c, tw] / mflops[c, model[c, tw]]))
                ratio = sprintf("  %16s", ratio)
            }
            printf "   %-44s %-9s %28s %9.2f %10.2f%s\n", label[c, id], maxdiff[c, id], range, mflops[c, mm] / m,
                m / rl[c, mm], ratio
        }
        cmp = ""   # systems compared with the peers
        for (k = 1; k <= nsys[c]; k++) {
            id = sys[c, k]
            if (peers[c, id] == 1 && (c SUBSEP id) in med)
                cmp = cmp sprintf(" %s: %s vs oneDNN, %s vs PyTorch;", short(id), speedup(c, id, peer_of(c, id, "onednn")),
                                 speedup(c, id, peer_of(c, id, "torch")))
            else if (peers[c, id] == 1) anypeers = 1
        }
        if (cmp != "") printf "   speed-up of lstmc (median):%s\n", cmp
        else if (anypeers) printf "   speed-up of lstmc (median): none (lstmc was not timed)\n"
        anypeers = 0
        for (k = 1; k <= nsys[c]; k++) {   # ID-tN against ID
            id = sys[c, k]
            if (id !~ /-t[0-9]+$/ || status[c, id] != "ok") continue
            one = id; sub(/-t[0-9]+$/, "", one)
            nthr = substr(id, length(one) + 3)
            printf "   %s threads: %s the 1-thread speed (median of %s / median with threads)\n",
                nthr, speedup(c, id, one), label[c, one] != "" ? label[c, one] : one
        }
        for (k = 1; k <= nsys[c]; k++) {   # the chunk sweep and the baseline against lstmc-gcc
            id = sys[c, k]
            if (id !~ /^lstmc-(gcc-k[0-9]+|base)$/ || status[c, id] != "ok") continue
            if (id == "lstmc-base")
                printf "   baseline: this lstmc runs at %s the baseline's speed (median of the baseline / median of lstmc, gcc)\n",
                    speedup(c, "lstmc-gcc", id)
            else
                printf "   --chunk %s: %s the default chunk's speed (median of lstmc, gcc / median at --chunk %s)\n",
                    substr(id, 12), speedup(c, id, "lstmc-gcc"), substr(id, 12)
        }
        for (k = 1; k <= nsys[c]; k++) {
            id = sys[c, k]
            if (status[c, id] == "ok") printf "   note %-14s %s\n", id ":", note[c, id]
        }
        if (variant)
            printf "   gcc: gcc %s on the C of lstmc compile --activations fast (unless the row says exact); LLVM object: lstmc compile --emit obj, the driver by gcc\n", opt
        if (hastwin[c])
            printf "   per FLOP vs std: (time / FLOPs) / (time / FLOPs of the standard LSTM row of the same backend, one thread); 1.00: as fast per FLOP\n"
    }

    if (ncomp) {
        printf "\n== compile time and size: lstmc compile --activations fast, then cc -O2 -c (and clang -O2 -c) on the generated .c\n"
        printf "   %-26s %14s %9s %10s %12s %11s %12s %9s\n", "model (I, H, layers)", "lstmc compile", "cc -O2", "clang -O2", ".c bytes", ".o bytes", "flash", "RAM"
        for (k = 1; k <= ncomp; k++) {
            split(comp[k], f, "\t")
            printf "   %-26s %11d ms %6d ms %10s %12d %11d %12d %9d\n", sprintf("%s (%d, %d, %d)", f[2], f[3], f[4], f[5]),
                f[6], f[7], f[8] == "-" ? "-" : f[8] " ms", f[9], f[10], f[11], f[12]
        }
        printf "   flash: the weights (static const); RAM: the model's state struct (h, c and per-step scratch); both from the generated header's banner\n"
    }
}
