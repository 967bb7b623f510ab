# embed_pieces.awk - a runtime header cut at its piece markers (see
# runtime/lstmc_act.h), as the C data of compiler/runtime_text.h:
#   VAR_head[]    the text before the first piece
#   VAR_pieces[]  each piece: its name, the names it needs (separated by
#                 spaces) and its text, marker line first, in file order
#   VAR_npieces   how many
#   VAR_tail[]    the text after the end-of-pieces line
# Lines come in already escaped for a C string (scripts/embed.sh). A marker
# that does not parse, a piece named twice, a need that names no piece
# above it, or a missing end-of-pieces line stops the build.
# usage: sed ESCAPES FILE | awk -v var=VAR -v file=FILE -f scripts/embed_pieces.awk
function fail(msg)
{
    printf "%s:%d: error: %s\n", file, NR, msg > "/dev/stderr"
    failed = 1
    exit 1
}

function line(s)
{
    printf "    \"%s\\n\"\n", s
}

BEGIN {
    state = "head"
    n = 0
    printf "\nconst char %s_head[] =\n", var
}

# /* ---- piece NAME (needs NAME NAME) ---- */
/^\/\* ---- piece / {
    if (state == "tail")
        fail("a piece after the end of pieces")
    if ($0 !~ /^\/\* ---- piece [^ ()]+( \(needs [^()]+\))? ---- \*\/$/)
        fail("expected '/* ---- piece NAME (needs NAME...) ---- */', saw '" $0 "'")
    name = $4
    if (name in defined)
        fail("piece " name " a second time")
    needs = ""
    if ($5 == "(needs") {
        for (i = 6; i < NF - 1; i++) {
            d = $i
            sub(/\)$/, "", d)
            if (!(d in defined))
                fail("piece " name " needs " d ", which is no piece above it")
            needs = needs (needs == "" ? "" : " ") d
        }
    }
    defined[name] = 1
    if (state == "head") {
        print "    \"\";"
        printf "\nconst RtPiece %s_pieces[] = {\n", var
    } else {
        print "    },"
    }
    printf "    {\"%s\", \"%s\",\n", name, needs
    line($0)
    state = "piece"
    n++
    next
}

/^\/\* ---- end of pieces ---- \*\/$/ {
    if (state != "piece")
        fail("the end of pieces without a piece before it")
    print "    },"
    print "};"
    printf "const int %s_npieces = %d;\n", var, n
    printf "\nconst char %s_tail[] =\n", var
    state = "tail"
    next
}

{ line($0) }

END {
    if (failed)
        exit 1
    if (state != "tail") {
        printf "%s: error: no line '/* ---- end of pieces ---- */'\n", file > "/dev/stderr"
        exit 1
    }
    print "    \"\";"
}
