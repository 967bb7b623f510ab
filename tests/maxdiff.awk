# maxdiff.awk - the largest absolute difference between two files of numbers
# of the same shape (read as: awk -f maxdiff.awk got expected). Prints it and
# exits 1 if the shapes differ.
NR == FNR { got[FNR] = $0; ngot = FNR; next }
{
    nexp = FNR
    n = split(got[FNR], a, /[ ,\t]+/)
    m = split($0, b, /[ ,\t]+/)
    if (n != m) { printf "line %d: %d numbers, expected %d\n", FNR, n, m; bad = 1; exit 1 }
    for (i = 1; i <= n; i++) {
        d = a[i] - b[i]; if (d < 0) d = -d
        if (d > max) max = d
    }
}
END {
    if (bad) exit 1
    if (ngot != nexp) { printf "%d lines, expected %d\n", ngot, nexp; exit 1 }
    printf "%.3g\n", max + 0
}
