#!/bin/sh
# to_data.sh - a text file as the character model's data for `lstmc eval`:
# DATA gets one line per character but the last, its one-hot row of 97
# (train.py's char_index: '\n' 0, ' ' .. '~' 1 .. 95, anything else 96);
# TARGETS the index of the character that follows, one per line. The file
# is one stream: no blank lines, so the state carries across its lines.
#
#   sh examples/charlm/to_data.sh TEXT DATA TARGETS
set -eu
od -An -v -tu1 "$1" | awk -v data="$2" -v targets="$3" '
    function index_of(b) { return b == 10 ? 0 : (b >= 32 && b <= 126 ? b - 31 : 96) }
    {
        for (i = 1; i <= NF; i++) {
            k = index_of($i)
            if (n++ > 0) {
                row = ""
                for (j = 0; j < 97; j++) row = row (j ? " " : "") (j == prev)
                print row > data
                print k > targets
            }
            prev = k
        }
    }'
