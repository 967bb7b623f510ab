# randspec.awk - a random spec that arithmetic int16 takes, for
# tests/run_int16.sh: 1 or 2 lstm layers (hidden 1..12, memory blocks, any
# gates, coupled, peepholes, clips, forget_bias, initial state, the table
# activations; one in three backward or bidirectional), then 0 to 2 dense
# layers (identity, relu, sigmoid, tanh, scaled activations), output
# sequence, last or final. Weights come from `lstmc init`, native
# convention.
#
#   awk -v seed=N -f randspec.awk > model.lstm
function pick(n) { return int(rand() * n) }
function act() {
    a = pick(4)
    return a == 0 ? "tanh" : a == 1 ? "sigmoid" : a == 2 ? "scaled_sigmoid(-2, 2)" : "scaled_tanh(1.7159, 0.6666)"
}
BEGIN {
    srand(seed)
    printf "model r%d {\n    input %d;\n    weights \"weights.safetensors\";\n", seed, 1 + pick(6)
    nl = 1 + pick(2)
    for (l = 0; l < nl; l++) {
        h = 1 + pick(12)
        printf "    lstm l%d {\n        hidden %d;\n", l, h
        if (pick(3) == 0) {
            nb = 1
            for (d = 2; d <= h; d++) if (h % d == 0 && pick(2)) { nb = h / d; break }
            printf "        blocks %d;\n", nb
        }
        g = pick(6)
        if (g == 1) printf "        gates input output;\n"
        else if (g == 2) printf "        gates forget output;\n"
        else if (g == 3) printf "        gates input forget;\n"
        else if (g == 4) printf "        coupled;\n"
        if (pick(3) == 0) printf "        peepholes;\n"
        if (pick(3) == 0) printf "        cell_input %s;\n", act()
        if (pick(3) == 0) printf "        cell_output %s;\n", act()
        if ((g == 0 || g == 2 || g == 3 || g == 5) && pick(4) == 0) printf "        forget_bias %g;\n", pick(3) * 0.5
        c = pick(5)
        if (c == 1) printf "        clip gates %g;\n", 1 + pick(5)
        else if (c == 2) printf "        clip cell %g;\n", 0.5 + pick(4)
        else if (c == 3) printf "        clip gates 3 cell 2;\n"
        if (pick(5) == 0) printf "        initial_state;\n"
        dir = pick(6)
        if (dir == 0) printf "        direction backward;\n"
        else if (dir == 1) printf "        direction bidirectional;\n"
        printf "        from native \"l%d\";\n    }\n", l
    }
    nd = pick(3)
    for (d = 0; d < nd; d++) {
        a = pick(5)
        da = a == 0 ? "" : a == 1 ? "activation relu; " : a == 2 ? "activation sigmoid; " : \
             a == 3 ? "activation tanh; " : "activation scaled_tanh(1.7159, 0.6666); "
        printf "    dense d%d { units %d; %sfrom native \"d%d\"; }\n", d, 1 + pick(5), da, d
    }
    o = pick(6)
    printf "    output %s;\n}\n", o < 2 ? "last" : o == 2 ? "final" : "sequence"
}
