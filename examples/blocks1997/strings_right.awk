# strings_right.awk - the embedded Reber test's "strings right" from the
# outputs of `lstmc run` (one line per step, the strings one after another)
# and test --write-data's files: a step is right when exactly the symbols
# allowed next (TARGETS 1s) get outputs above 0.5, a string when all its
# steps are (as test.c counts on the compiled model).
#
#   awk -f strings_right.awk DATA.txt OUTPUTS.txt TARGETS.txt
FILENAME == ARGV[1] { if ($0 == "") { len[++nseq] = run; run = 0 } else run++; next }
FILENAME == ARGV[2] { out[++nout] = $0; next }
{
    ntgt++
    split(out[ntgt], y, " ")
    for (k = 1; k <= NF; k++) if ((y[k] > 0.5) != ($k == 1)) bad[ntgt] = 1
}
END {
    if (nout != ntgt) { print "strings_right.awk: error: " nout " outputs, " ntgt " targets" > "/dev/stderr"; exit 1 }
    row = 0
    for (s = 1; s <= nseq; s++) {
        ok = 1
        for (t = 0; t < len[s]; t++) if (bad[++row]) ok = 0
        right += ok
    }
    print right
}
