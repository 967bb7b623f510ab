# report.awk - the benchmark's tables, the one place that formats results.
# Reads the roofline probe's `key value` lines (first file, two runs) and bench/run.sh's
# tab-separated results (second file):
#   config  NAME I H LAYERS BATCH STEPS FLOPS_PER_SEQ_STEP WEIGHT_BYTES RECURRENT_BYTES
#   system  CONFIG ID LABEL STATUS(ok|FAILED|skipped) MAXDIFF NOTE
#   time    CONFIG ID NS_PER_SEQUENCE_BATCH
#   compile NAME I H LAYERS LSTMC_MS CC_MS CLANG_MS C_BYTES O_BYTES FLASH RAM
# Variables: quick (0/1), rounds, ms, tol (the check's bound), cpu (the CPU's name).
#
#   time per step   = time of one whole sequence batch / STEPS
#   GFLOP/s         = FLOPS_PER_SEQ_STEP * BATCH / time per step
#   roofline        = max(FLOPs per step / FMA peak,
#                         RECURRENT_BYTES / bandwidth of the smallest level
#                         whose size holds WEIGHT_BYTES)

# The probe runs at the start and at the end of a run: its best figures count
# (machine noise only ever lowers them).
FNR == NR {
    split($0, kv, " ")
    if (!(kv[1] in roof) || kv[1] !~ /^(fma_gflops|bw_)/ || kv[2] + 0 > roof[kv[1]] + 0) roof[kv[1]] = kv[2]
    next
}

$1 == "config" {
    nconf++; conf[nconf] = $2
    I[$2] = $3; H[$2] = $4; L[$2] = $5; B[$2] = $6; T[$2] = $7
    flops[$2] = $8 * $6; wbytes[$2] = $9; rbytes[$2] = $10
}
$1 == "system" {
    c = $2; present[c, $3] = 1
    label[c, $3] = $4; status[c, $3] = $5; maxdiff[c, $3] = $6; note[c, $3] = $7
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
    return v >= 100000 ? sprintf("%.0f", v) : v >= 100 ? sprintf("%.0f", v) : sprintf("%.1f", v)
}

# The cache level whose size holds w bytes (L1, L2, L3), else DRAM.
function level_for(w) {
    if (w <= roof["cache_L1"]) return "L1"
    if (w <= roof["cache_L2"]) return "L2"
    if (w <= roof["cache_L3"]) return "L3"
    return "DRAM"
}

function speedup(c, from, to) {
    if (!(c SUBSEP from in med) || !(c SUBSEP to in med)) return "-"
    return sprintf("%.2fx", med[c, to] / med[c, from])
}

# The systems in the tables' order; each configuration lists those it has.
function order_systems(c,    all, n, k) {
    n = split("lstmc-gcc lstmc-gcc-t2 lstmc-gcc-k1 lstmc-gcc-k8 lstmc-base lstmc-clang lstmc-llvm onednn torch naive naive-ffm", all, " ")
    nsys[c] = 0
    for (k = 1; k <= n; k++)
        if ((c SUBSEP all[k]) in present) sys[c, ++nsys[c]] = all[k]
}

END {
    peak = roof["fma_gflops"]
    printf "lstmc benchmark (%s run): %d interleaved rounds per configuration, each measurement >= %d ms of whole sequences\n",
        quick ? "quick" : "full", rounds, ms
    printf "machine: %s, one thread; roofline probe: FMA peak %.1f GFLOP/s (%s); read bandwidth GB/s: L1 %.0f, L2 %.0f, L3 %.0f, DRAM %.0f\n",
        cpu, peak, roof["isa"], roof["bw_L1"], roof["bw_L2"], roof["bw_L3"], roof["bw_DRAM"]
    printf "times are ns per timestep of the whole batch (sequence-batch time / T), median [min - max] over the rounds\n"
    printf "check: max |diff| of every output against `lstmc run` (double precision), must be <= %s\n", tol

    for (ci = 1; ci <= nconf; ci++) {
        c = conf[ci]
        order_systems(c)
        lv = level_for(wbytes[c])
        t_flop = flops[c] / peak                        # ns, since GFLOP/s = FLOP/ns
        t_mem = rbytes[c] / roof["bw_" lv]
        roofline = t_flop > t_mem ? t_flop : t_mem
        printf "\n== %s: I=%d H=%d layers=%d batch=%d T=%d | %d FLOP per step | weights %s (in %s), recurrent %s\n",
            c, I[c], H[c], L[c], B[c], T[c], flops[c], bytes(wbytes[c]), lv, bytes(rbytes[c])
        printf "   roofline %s ns/step (compute %s, recurrent weights from %s %s)\n",
            ns(roofline), ns(t_flop), lv, ns(t_mem)
        printf "   %-44s %-9s %28s %9s %10s\n", "system", "check", "ns/step [min - max]", "GFLOP/s", "x roofline"
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
            sort_times(c, id, n)
            m = median(c, id, n); med[c, id] = m
            range = sprintf("%s [%s - %s]", ns(m), ns(times[c, id, 1]), ns(times[c, id, n]))
            printf "   %-44s %-9s %28s %9.2f %10.2f\n", label[c, id], maxdiff[c, id], range, flops[c] / m, m / roofline
        }
        printf "   speed-up of lstmc (median):"
        timed = 0
        for (k = 1; k <= nsys[c]; k++) {
            id = sys[c, k]
            if (id !~ /^lstmc-/ || id ~ /-[tk][0-9]+$/ || id == "lstmc-base" || !(c SUBSEP id in med)) continue
            printf " %s: %s vs oneDNN, %s vs PyTorch;", substr(id, 7), speedup(c, id, "onednn"), speedup(c, id, "torch")
            timed = 1
        }
        if (!timed) printf " none (lstmc was not timed)"
        printf "\n"
        for (k = 1; k <= nsys[c]; k++) {   # lstmc-gcc-tN against lstmc-gcc
            id = sys[c, k]
            if (id !~ /^lstmc-gcc-t[0-9]+$/ || status[c, id] != "ok") continue
            printf "   %s threads: %s the 1-thread speed (median of lstmc, gcc / median with threads)\n",
                substr(id, 12), speedup(c, id, "lstmc-gcc")
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
