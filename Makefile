# lstmc - an ahead-of-time compiler for LSTM networks.
#
#   make              build build/lstmc
#   make example      build lstmc, then check, run and build the quickstart model
#   make check        every test: unit, diagnostics, golden C, fixtures, build,
#                     examples, 120 random models through generated code; and the
#                     same again under AddressSanitizer + UndefinedBehaviorSanitizer,
#                     and (when LLVM is there) the suites whose paths change
#                     once more built without LLVM
#   make check-diff-long   3000 random models
#   make check-int16  (also in make check) --arithmetic int16: generated C and
#                     LLVM objects against the interpreter's integer mode, bit
#                     for bit, here and on a Cortex-M0 under QEMU
#   make check-cross  (also in make check) the examples and random models on
#                     aarch64, s390x and a Cortex-M4F under QEMU
#   make size-report  code size of the examples for a Cortex-M4F, LLVM vs gcc
#   make check-stream-long a stream of up to 10^7 steps, its memory at each length
#   make fuzz [FUZZ_TIME=60]   libFuzzer on every reader of untrusted files (tests/fuzz/)
#   make SAN=1 ...    the sanitizer build, in build/san
#   make clean

CC      ?= cc
WARN    := -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes -Wmissing-prototypes
CFLAGS  ?= -O2 -g
CFLAGS  += -std=c11 -D_POSIX_C_SOURCE=200809L $(WARN)
LDLIBS  := -lprotobuf-c -lm
B       := build

ifeq ($(SAN),1)
# (override: a B= given on the command line gets its own san folder too)
override B := $(B)/san
CFLAGS  += -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
LDFLAGS += -fsanitize=address,undefined
endif

# The fuzzing build, in build/fuzz (`make fuzz` runs make FUZZ=1): clang's
# libFuzzer instrumentation with ASan and UBSan (see "fuzzing" below).
ifeq ($(FUZZ),1)
# (the fuzzing build: make FUZZ=1 ..., used by `make fuzz`)
override B := build/fuzz
CC      := clang
CFLAGS  += -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
LDFLAGS += -fsanitize=address,undefined
FUZZ_MAIN := -fsanitize=fuzzer
else
FUZZ_MAIN := tests/fuzz/replay.c
endif

# The LLVM backend (compiler/llvm/) is built when llvm-config is found;
# without it lstmc builds and passes its tests, and --emit llvm|bc|obj and
# run --jit say that this build has none. `make LLVM_CONFIG=` builds without.
LLVM_CONFIG ?= $(shell command -v llvm-config 2>/dev/null || command -v llvm-config-14 2>/dev/null)
ifneq ($(LLVM_CONFIG),)
LLVM_SRCS   := compiler/llvm/emit_llvm.c compiler/llvm/emit_llvm_int.c compiler/llvm/act.c compiler/llvm/cpu.c compiler/llvm/jit.c compiler/llvm/jit_int.c
LLVM_CFLAGS := -DLSTMC_HAVE_LLVM
# only the include folder: llvm-config --cflags brings flags of its own
LLVM_INC    := -isystem $(shell $(LLVM_CONFIG) --includedir)
LLVM_LIBS   := $(shell $(LLVM_CONFIG) --ldflags --libs)
# The backend's activations are runtime/lstmc_act.h compiled to bitcode
# (compiler/llvm/act.c says why), by a clang this LLVM can read: the same
# major version. Without one the build stops and names the package
# (scripts/deps.sh clang); `make LLVM_CONFIG=` builds without the backend.
LLVM_MAJOR  := $(shell $(LLVM_CONFIG) --version | sed 's/[^0-9].*//')
CLANG       ?= $(firstword $(wildcard $(shell $(LLVM_CONFIG) --bindir)/clang) clang-$(LLVM_MAJOR))
LLVM_BC_OBJ := $(B)/act_bitcode.o
endif

# The compiler, stage by stage; the ONNX importer (compiler/import/) writes
# a spec and weights and touches nothing else.
LIB_SRCS := compiler/util.c compiler/ast.c compiler/json.c compiler/safetensors.c compiler/ir.c \
            compiler/sema.c compiler/weights.c compiler/quant.c compiler/quantize.c compiler/products.c compiler/interp.c \
            compiler/fixed.c compiler/fixed_plan.c compiler/ranges.c compiler/interp_int.c compiler/lower_int.c compiler/emit_c_int.c \
            compiler/lower.c compiler/lower_api.c compiler/emit_c.c compiler/emit_main.c runtime/lstmc_rows.c \
            compiler/import/onnx.c compiler/import/import.c compiler/import/import_shape.c \
            compiler/import/import_layers.c compiler/import/import_write.c
# What the readers of untrusted files share: the formats a wrong file is
# recognized as (filekind.c), the ONNX wire walk that prices a model before
# protobuf-c unpacks it (onnx_wire.c).
LIB_SRCS += compiler/filekind.c compiler/import/onnx_wire.c
# The interpreter's steps as rows (trace.h): run --trace, compare.
LIB_SRCS += compiler/trace.c compiler/init.c
GEN_SRCS := $(B)/lexer.c $(B)/parser.c $(B)/runtime_text.c $(B)/onnx.pb-c.c
LIB_OBJS := $(LIB_SRCS:%.c=$(B)/%.o) $(GEN_SRCS:.c=.o)
# The command line: main.c parses flags and runs check and run, cli.c is
# what the commands share, each other command has its own file.
APP_SRCS := compiler/main.c compiler/cli.c compiler/cmd_compile.c compiler/cmd_build.c \
            compiler/import/cmd_import.c $(LLVM_SRCS)
# The workbench: scores, two models side by side, every path against the
# interpreter, random weights, and run --trace's file.
APP_SRCS += compiler/cmd_eval.c compiler/cmd_compare.c compiler/cmd_verify.c compiler/cmd_init.c \
            compiler/trace_file.c compiler/cmd_calibrate.c
MAIN_OBJ := $(APP_SRCS:%.c=$(B)/%.o)

UNIT_SRCS  := $(wildcard tests/unit/test_*.c)
UNIT_BINS  := $(UNIT_SRCS:tests/unit/%.c=$(B)/tests/%)

all: $(B)/lstmc

$(B)/lstmc: $(LIB_OBJS) $(MAIN_OBJ) $(LLVM_BC_OBJ)
	$(CC) $(LDFLAGS) -o $@ $^ $(LLVM_LIBS) $(LDLIBS)

# The command line and the LLVM backend see whether LLVM is there; a build
# that switches (LLVM_CONFIG=) must not reuse their objects.
$(MAIN_OBJ): CFLAGS += $(LLVM_CFLAGS) $(LLVM_INC)
$(MAIN_OBJ): $(B)/.llvm-$(if $(LLVM_CONFIG),on,off)
$(B)/.llvm-on $(B)/.llvm-off:
	@mkdir -p $(B) && rm -f $(B)/.llvm-on $(B)/.llvm-off && touch $@

# Missing build tools are installed by one script (as root) or named.
DEPS_STAMP := build/.deps-ok
$(DEPS_STAMP):
	@sh scripts/deps.sh
	@mkdir -p build && touch $@

# flex and bison output go to the build folder, never into the repo. Each
# writes its two files in one run: grouped targets (&:), so that make -j
# does not run it twice at once (a half-written parser.c was compiled).
$(B)/lexer.c $(B)/lexer.h &: grammar/lexer.l | $(DEPS_STAMP)
	@mkdir -p $(B)
	flex --header-file=$(B)/lexer.h -o $(B)/lexer.c $<

$(B)/parser.c $(B)/parser.h &: grammar/parser.y | $(DEPS_STAMP)
	@mkdir -p $(B)
	bison -Wall -Werror --defines=$(B)/parser.h -o $(B)/parser.c $<

# The runtime, embedded as strings for the code generators to copy; the
# activations cut into the pieces a model may need (compiler/runtime_text.h).
RUNTIME_TEXT := rt_act=pieces:runtime/lstmc_act.h rt_fixed=pieces:runtime/lstmc_fixed.h \
                rt_text_rows_h=runtime/lstmc_rows.h \
                rt_text_rows_c=runtime/lstmc_rows.c
$(B)/runtime_text.c: scripts/embed.sh scripts/embed_pieces.awk runtime/lstmc_act.h runtime/lstmc_fixed.h \
                     runtime/lstmc_rows.h \
                     runtime/lstmc_rows.c
	@mkdir -p $(B)
	sh scripts/embed.sh $(RUNTIME_TEXT) > $@

# The runtime's activations as LLVM bitcode for the LLVM backend
# (compiler/llvm/act.c), with RT_FMA fused and not: -O2, but no contraction
# (gcc's ISO mode has none), no vectorizing and no unrolling of loops whose
# trip count is unknown (the model's module does both at its own width,
# once the counts are constants: rt_dot's loop unrolled by 4 here became
# an interleaved stride-4 loop there, 2.5-7x slower than gcc on int16),
# nothing tied to the build machine (position, unwinding); embedded by
# scripts/embed_bin.sh; -fno-unroll-loops would not do: it marks each loop
# llvm.loop.unroll.disable, which the model's module would obey. The
# *_small variants, for --opt-level s and z, are compiled with -fno-inline:
# each function of the header stays one function, so a model that calls
# sigmoid and scaled sigmoid, or sigmoid and tanh, shares their common
# parts as gcc -Os does.
BC_FLAGS := -std=c99 -O2 -ffp-contract=off -fno-vectorize -fno-slp-vectorize -mllvm -unroll-runtime=false \
            -fno-pic -fno-pie -fno-asynchronous-unwind-tables -fno-unwind-tables -fno-stack-protector -Iruntime
ACT_BC   := $(B)/act_fma.bc $(B)/act_nofma.bc $(B)/act_fma_small.bc $(B)/act_nofma_small.bc
$(ACT_BC): compiler/llvm/act_runtime.c runtime/lstmc_act.h runtime/lstmc_fixed.h Makefile
	@mkdir -p $(B)
	@sh scripts/deps.sh clang $(LLVM_MAJOR) "$(CLANG)"
	$(CLANG) $(BC_FLAGS) $(if $(findstring _small,$@),-fno-inline) \
	  $(if $(findstring nofma,$@),'-DRT_FMA(a,b,c)=((a)*(b)+(c))' '-DRT_FMAD(a,b,c)=((a)*(b)+(c))',\
	    '-DRT_FMA(a,b,c)=__builtin_fmaf((a),(b),(c))' '-DRT_FMAD(a,b,c)=__builtin_fma((a),(b),(c))') \
	  -c -emit-llvm -o $@ $<
$(B)/act_bitcode.c: scripts/embed_bin.sh $(ACT_BC)
	sh scripts/embed_bin.sh $(foreach f,$(ACT_BC),llact_bc_$(basename $(notdir $(f:$(B)/act_%=%)))=$(f)) > $@
$(B)/act_bitcode.o: $(B)/act_bitcode.c
	$(CC) $(CFLAGS) -c -o $@ $<

# The ONNX schema lstmc reads (`lstmc import`), compiled by protoc-c.
$(B)/onnx.pb-c.c $(B)/onnx.pb-c.h: compiler/import/onnx.proto | $(DEPS_STAMP)
	@mkdir -p $(B)
	protoc-c --proto_path=compiler/import --c_out=$(B) compiler/import/onnx.proto
$(B)/onnx.pb-c.o: $(B)/onnx.pb-c.c $(B)/onnx.pb-c.h
	$(CC) $(CFLAGS) -Wno-missing-prototypes -I$(B) -c -o $@ $<
$(B)/compiler/import/onnx.o: $(B)/onnx.pb-c.h

# Generated scanners are not warning-clean under -Wpedantic; our code is.
$(B)/lexer.o: $(B)/lexer.c $(B)/parser.h compiler/ast.h compiler/util.h
	$(CC) $(CFLAGS) -Wno-unused-function -Wno-sign-compare -Wno-missing-prototypes -Icompiler -I$(B) -c -o $@ $<
$(B)/runtime_text.o: $(B)/runtime_text.c compiler/runtime_text.h
	$(CC) $(CFLAGS) -Wno-overlength-strings -Icompiler -c -o $@ $<
$(B)/parser.o: $(B)/parser.c $(B)/lexer.h compiler/ast.h compiler/util.h
	$(CC) $(CFLAGS) -Wno-missing-prototypes -Icompiler -I$(B) -c -o $@ $<

HDRS := $(wildcard compiler/*.h compiler/*/*.h compiler/*.def runtime/*.h)
$(B)/%.o: %.c $(HDRS) | $(B)/parser.h $(B)/lexer.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Icompiler -Iruntime -I$(B) -c -o $@ $<

# ---- tests ----

CMOCKA_LIBS := -lcmocka
$(B)/tests/%: tests/unit/%.c tests/unit/testutil.h $(LIB_OBJS) | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Wno-missing-prototypes -Icompiler -Iruntime -I$(B) -Itests/unit $(LDFLAGS) -o $@ $< $(LIB_OBJS) $(CMOCKA_LIBS) $(LDLIBS)

# The unit tests run in tests/unit; test_emit_c's fixture case compiles
# through $LSTMC, the lstmc of this build (normal, SAN=1 or without LLVM).
check-unit: $(UNIT_BINS) $(B)/lstmc
	@set -e; for t in $(abspath $(UNIT_BINS)); do echo "== $$t"; \
	  (cd tests/unit && LSTMC=$(abspath $(B)/lstmc) $$t); done

check-diag: $(B)/lstmc
	@sh tests/run_diag.sh $(B)/lstmc

check-cli: $(B)/lstmc
	@sh tests/run_cli.sh $(B)/lstmc

# The reference fixtures (tests/fixtures/{pytorch,numpy}: PyTorch's outputs and
# the float64 NumPy reference's) through lstmc run, lstmc build and, when
# built, lstmc run --jit (tests/run_fixtures.sh); in the sanitizer pass,
# run and one compiled backend per case, in turn.
FIXTURE_EVERY ?= 1
check-fixtures: $(B)/lstmc
	@FIXTURE_ROTATE=$(if $(filter 1,$(SAN)),1,0) FIXTURE_EVERY=$(FIXTURE_EVERY) sh tests/run_fixtures.sh $(B)/lstmc

# `lstmc import`: the ONNX fixtures (tests/fixtures/onnx) imported, then run
# by the interpreter, the C backend and (when built) LLVM; the broken models
# of tests/import beside their exact messages. Every case is imported and
# run by the interpreter; one in two (one in four in the sanitizer pass) is
# also built and run --jit: the backends on these models are
# check-fixtures' and check-zoo's, what is new here is the import.
check-onnx: $(B)/lstmc
	@ONNX_PATHS_EVERY=$(if $(filter 1,$(SAN)),4,2) sh tests/run_onnx.sh $(B)/lstmc

# The model zoo (tests/fixtures/zoo, from tests/reference/gen_zoo.py):
# ordinary PyTorch models through their hand-written specs and their ONNX
# exports at the oldest opset and at 17, each by the interpreter, a built
# program, --jit and the object, against PyTorch (tests/run_zoo.sh); the
# sanitizer pass builds one spec or import in four.
check-zoo: $(B)/lstmc
	@ZOO_PATHS_EVERY=$(if $(filter 1,$(SAN)),4,1) sh tests/run_zoo.sh $(B)/lstmc

# Differential tests: random models (tests/diff/randmodel.c) run by the
# interpreter and by `lstmc build`'s executables must agree to 1e-5.
$(B)/tests/randmodel: tests/diff/randmodel.c $(LIB_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Icompiler -Iruntime -I$(B) $(LDFLAGS) -o $@ $< $(LIB_OBJS) $(LDLIBS)

# With LLVM, the same models through the LLVM backend too (run --jit),
# and the first DIFF_OBJ_MODELS as objects linked through their header
# (--emit obj);
# the first 12 with --activations exact (C, and with LLVM the JIT; seeds
# 3 and 10 built with gcc -Ofast, 5 and 12 with clang -Ofast -ffast-math).
# 60 random models (C), 60 (--jit), 30 (the object) in make check's
# plain pass; its sanitizer pass, which tests lstmc itself more than the
# generated code again, runs fewer (CHECK_PASSES), so that make check stays
# near 20 minutes; check-diff-long runs thousands.
DIFF_MODELS ?= 60
DIFF_OBJ_MODELS ?= 30
DIFF_EXACT_MODELS ?= 12
# products int8 refuses about 6 random models in 10 (gru, rnn, projections,
# unbounded activations): 40 seeds test about 17
DIFF_PRODUCTS_MODELS ?= 40
check-diff: $(B)/lstmc $(B)/tests/randmodel
	@sh tests/run_diff.sh $(B)/lstmc $(DIFF_MODELS)
	$(if $(LLVM_CONFIG),@DIFF_CANDIDATE=jit sh tests/run_diff.sh $(B)/lstmc $(DIFF_MODELS))
	$(if $(LLVM_CONFIG),@DIFF_CANDIDATE=obj sh tests/run_diff.sh $(B)/lstmc $(DIFF_OBJ_MODELS))
	$(if $(LLVM_CONFIG),,@echo "diff: --jit and --emit obj not run (this lstmc has no LLVM backend)")
	@DIFF_ACTIVATIONS=exact sh tests/run_diff.sh $(B)/lstmc $(DIFF_EXACT_MODELS)
	@DIFF_PRODUCTS=int8 sh tests/run_diff.sh $(B)/lstmc $(DIFF_PRODUCTS_MODELS)
	$(if $(LLVM_CONFIG),@DIFF_PRODUCTS=int8 DIFF_CANDIDATE=obj sh tests/run_diff.sh $(B)/lstmc $(DIFF_PRODUCTS_MODELS))
	$(if $(LLVM_CONFIG),@DIFF_ACTIVATIONS=exact DIFF_CANDIDATE=jit sh tests/run_diff.sh $(B)/lstmc $(DIFF_EXACT_MODELS))

# The long run (not in `make check`): 3000 models.
check-diff-long: $(B)/lstmc $(B)/tests/randmodel
	@sh tests/run_diff.sh $(B)/lstmc 3000

# The activations (runtime/lstmc_act.h) against double precision over every
# 97th float, a few seconds: tests/act_error.c fails on an exact function
# beyond its bound, a step down, or a wrong limit. check-act-long: every
# float (about 15 minutes on one core; not in make check).
$(B)/tests/act_error: tests/act_error.c tests/act_ref.h runtime/lstmc_act.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Wno-missing-prototypes -Iruntime $(LDFLAGS) -o $@ $< -lm

check-act: $(B)/tests/act_error
	@$(B)/tests/act_error $(if $(filter 1,$(SAN)),997,97)

check-act-long: $(B)/tests/act_error
	@$(B)/tests/act_error 1

# The README's first command: build lstmc, check the quickstart model, run
# it in the interpreter, then build it into a standalone program and run that.
example: $(B)/lstmc
	$(B)/lstmc check examples/quickstart/model.lstm
	$(B)/lstmc run examples/quickstart/model.lstm examples/quickstart/input.txt
	$(B)/lstmc build examples/quickstart/model.lstm -o $(B)/quickstart
	$(B)/quickstart examples/quickstart/input.txt

check-examples: $(B)/lstmc
	@$(B)/lstmc run examples/quickstart/model.lstm examples/quickstart/input.txt > $(B)/quickstart.out
	@d=$$(awk -f tests/maxdiff.awk $(B)/quickstart.out examples/quickstart/expected.txt) && \
	  awk -v d="$$d" 'BEGIN { exit !(d <= 1e-5) }' && echo "examples: quickstart max |diff| $$d"

# `lstmc build`: standalone programs vs PyTorch and vs `lstmc run`, failed
# builds leaving nothing behind (tests/run_build.sh).
check-build: $(B)/lstmc $(B)/tests/mkweights
	@sh tests/run_build.sh $(B)/lstmc

# The benchmark's weights generator, for models of any size.
$(B)/tests/mkweights: bench/mkweights.c $(LIB_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Icompiler $(LDFLAGS) -o $@ $< $(LIB_OBJS) $(LDLIBS)

# The examples of `lstmc build` and of the generated C, each described in its
# README.md; they write to $(B)/examples. check-examples-build runs all three.
EX := $(B)/examples

# A standalone program from one command, checked against PyTorch's output.
example-standalone: $(B)/lstmc
	@mkdir -p $(EX)/standalone
	$(B)/lstmc build examples/standalone/model.lstm -o $(EX)/standalone/tagger
	$(EX)/standalone/tagger examples/standalone/input.txt > $(EX)/standalone/output.txt
	@d=$$(awk -f tests/maxdiff.awk $(EX)/standalone/output.txt examples/standalone/expected.txt) && \
	  awk -v d="$$d" 'BEGIN { exit !(d <= 1e-5) }' && echo "example standalone: max |diff| vs PyTorch $$d"

# The generated C embedded in a program of one's own, streamed step by step.
example-embed: $(B)/lstmc
	@mkdir -p $(EX)/embed
	$(B)/lstmc compile examples/embed/model.lstm -o $(EX)/embed/model
	$(CC) -std=c99 -Wall -Wextra -Wpedantic -I$(EX)/embed -o $(EX)/embed/sensor \
	  examples/embed/main.c $(EX)/embed/model.c -lm
	$(EX)/embed/sensor < examples/embed/input.txt > $(EX)/embed/output.txt
	$(B)/lstmc run examples/embed/model.lstm examples/embed/input.txt > $(EX)/embed/run.txt
	@d=$$(awk -f tests/maxdiff.awk $(EX)/embed/output.txt $(EX)/embed/run.txt) && \
	  awk -v d="$$d" 'BEGIN { exit !(d <= 1e-5) }' && echo "example embed: max |diff| vs lstmc run $$d"

# One set of weights, two spec variants side by side; the weights generator
# must reproduce the committed file byte for byte; then lstmc compare, run
# --trace and init on the two (examples/variants/workbench.sh).
$(EX)/variants/gen_weights: examples/variants/gen_weights.c $(LIB_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Icompiler $(LDFLAGS) -o $@ $< $(LIB_OBJS) $(LDLIBS)

example-variants: $(B)/lstmc $(EX)/variants/gen_weights
	$(EX)/variants/gen_weights $(EX)/variants/weights.safetensors
	cmp $(EX)/variants/weights.safetensors examples/variants/weights.safetensors
	sh examples/variants/compare.sh $(B)/lstmc --check
	sh examples/variants/workbench.sh $(B)/lstmc --check

check-examples-build: example-standalone example-embed example-variants

.PHONY: example-standalone example-embed example-variants

# Examples with really trained weights: each folder's train.py (PyTorch, run
# by hand, not here) wrote the committed weights and results.txt, PyTorch's
# score on the example's test set. `lstmc eval` scores each model on the
# same test set and examples/common/check_eval.sh fails unless the scores
# match. Built with $(CFLAGS), so `make SAN=1` runs them under the sanitizers.
EXCC = $(CC) $(CFLAGS) -Iexamples/common $(LDFLAGS)
CHECK_EVAL = sh examples/common/check_eval.sh

# The adding problem (Hochreiter & Schmidhuber 1997), T = 100: data.c
# writes the test set, lstmc eval gives the MSE and the solved count.
example-adding: $(B)/lstmc
	@mkdir -p $(EX)/adding
	$(EXCC) -o $(EX)/adding/data examples/adding/data.c
	$(EX)/adding/data $(EX)/adding/test.txt $(EX)/adding/targets.txt
	$(B)/lstmc eval examples/adding/model.lstm $(EX)/adding/test.txt --targets $(EX)/adding/targets.txt \
	  --metric mse,within --tolerance 0.04 > $(EX)/adding/eval.txt
	@$(CHECK_EVAL) "example adding" $(EX)/adding/eval.txt examples/adding/results.txt \
	  "mse=mse~rel:1e-4" "within_rows=solved~abs:@borderline"

# The 1997 LSTM, memory cell blocks without forget gate, on the embedded
# Reber grammar: the MSE by lstmc eval; the string counts (a per-string,
# multi-label criterion eval has no metric for) by test.c on the compiled
# model, which also writes the test set.
example-blocks1997: $(B)/lstmc
	@mkdir -p $(EX)/blocks1997
	$(B)/lstmc compile examples/blocks1997/model.lstm -o $(EX)/blocks1997/model
	$(EXCC) -I$(EX)/blocks1997 -o $(EX)/blocks1997/test examples/blocks1997/test.c \
	  $(EX)/blocks1997/model.c -lm
	$(EX)/blocks1997/test examples/blocks1997/results.txt
	$(EX)/blocks1997/test --write-data $(EX)/blocks1997/test.txt $(EX)/blocks1997/targets.txt
	$(B)/lstmc eval examples/blocks1997/model.lstm $(EX)/blocks1997/test.txt \
	  --targets $(EX)/blocks1997/targets.txt --metric mse > $(EX)/blocks1997/eval.txt
	@$(CHECK_EVAL) "example blocks1997" $(EX)/blocks1997/eval.txt examples/blocks1997/results.txt \
	  "mse=mse~rel:1e-4"

# A character-level language model: bits per character on held-out text
# by lstmc eval beside PyTorch's, then the sampler's flag errors and a
# sample (examples/charlm/check.sh).
example-charlm: $(B)/lstmc
	@mkdir -p $(EX)/charlm
	sh examples/charlm/to_data.sh examples/charlm/heldout.txt $(EX)/charlm/heldout.txt $(EX)/charlm/targets.txt
	$(B)/lstmc eval examples/charlm/model.lstm $(EX)/charlm/heldout.txt --targets $(EX)/charlm/targets.txt \
	  --class-index --metric bits > $(EX)/charlm/eval.txt
	@$(CHECK_EVAL) "example charlm" $(EX)/charlm/eval.txt examples/charlm/results.txt \
	  "bits=bits_per_char~abs:1e-5"
	$(B)/lstmc compile examples/charlm/model.lstm -o $(EX)/charlm/model
	$(EXCC) -I$(EX)/charlm -o $(EX)/charlm/sample examples/charlm/sample.c $(EX)/charlm/model.c -lm
	sh examples/charlm/check.sh $(EX)/charlm/sample

check-examples-trained: example-adding example-blocks1997 example-charlm

# The trained examples' scores with float32, float16, bfloat16 and int8
# weights (README's table; not part of make check: about a minute).
accuracy-weights: $(B)/lstmc
	@sh examples/common/weight_types.sh $(B)/lstmc $(EX)/weight-types

# README's table of the trained examples by type (float32, float16,
# bfloat16, int8 weights, int16 integer-only): flash and RAM from the
# generated banners, ns per step of the generated code, the scores of
# accuracy-weights (a few minutes; not part of make check).
type-table: $(B)/lstmc
	@sh examples/common/type_table.sh $(B)/lstmc $(EX)/type-table

.PHONY: example-adding example-blocks1997 example-charlm accuracy-weights type-table

# The embed example against the LLVM backend's object instead of the C: the
# same main.c and header, linked with model.o (made for this machine, its
# CPU's extensions included). Its output must be byte for byte that of the
# C backend's code compiled for this machine too (gcc -std=c99
# -march=native): the object computes the same float operations in the
# same order (emit_llvm.c).
example-embed-llvm: example-embed
ifneq ($(LLVM_CONFIG),)
	@mkdir -p $(EX)/embed-llvm
	$(B)/lstmc compile examples/embed/model.lstm --emit obj -o $(EX)/embed-llvm/model
	$(CC) -std=c99 -Wall -Wextra -Wpedantic -I$(EX)/embed-llvm -o $(EX)/embed-llvm/sensor \
	  examples/embed/main.c $(EX)/embed-llvm/model.o -lm
	$(CC) -std=c99 -O2 -march=native -I$(EX)/embed -o $(EX)/embed-llvm/sensor-c \
	  examples/embed/main.c $(EX)/embed/model.c -lm
	$(EX)/embed-llvm/sensor < examples/embed/input.txt > $(EX)/embed-llvm/output.txt
	$(EX)/embed-llvm/sensor-c < examples/embed/input.txt > $(EX)/embed-llvm/output-c.txt
	@cmp $(EX)/embed-llvm/output.txt $(EX)/embed-llvm/output-c.txt && \
	  echo "example embed (LLVM object): output identical to the C build's (-march=native)"
else
	@echo "example embed (LLVM object): skipped (built without LLVM: llvm-config not found)"
endif

# The LLVM backend (tests/run_llvm.sh): fixtures through run --jit and the
# object, the API and header, other targets, opt -verify, the same bits as
# the C code on 10 random models (3 in the sanitizer pass, which also takes
# each fixture through one path of two); without LLVM, the message that
# says so, and "skipped".
check-llvm: $(B)/lstmc $(B)/tests/randmodel example-embed-llvm
	@SAME_BITS_MODELS=$(if $(filter 1,$(SAN)),3,10) LLVM_FIXTURES_ROTATE=$(if $(filter 1,$(SAN)),1,0) \
	  sh tests/run_llvm.sh $(B)/lstmc

.PHONY: example-embed-llvm

# Other machines (tests/run_cross.sh): the examples and 5 random models per
# target built for aarch64 (NEON), s390x (big-endian) and a Cortex-M4F
# (tests/cross/cortex-m4/: startup file and linker script), on the C path
# (lstmc build with the cross gcc) and the --emit obj path, run under QEMU
# and compared with lstmc run. A target whose tools are missing is reported
# skipped; skipped in the SAN=1 pass (QEMU runs no host sanitizer).
# Integer-only arithmetic (tests/run_int16.sh): the generated C of
# --arithmetic int16 against the interpreter's integer mode, bit for bit, on
# random models (backward and bidirectional ones among them: NAME_run), the
# fixed tests/int16/*.lstm and the examples, on this machine and on a Cortex-M0 (no
# FPU) under qemu-system-arm -M microbit; the examples' sizes beside float.
# The sanitizer pass of make check runs fewer models (its time).
check-int16: $(B)/lstmc
	@INT16_MODELS=$(if $(filter 1,$(SAN)),6,24) INT16_M0_MODELS=$(if $(filter 1,$(SAN)),1,4) \
	  sh tests/run_int16.sh $(B)/lstmc

check-cross: $(B)/lstmc $(B)/tests/randmodel
	@LSTMC_SAN=$(SAN) sh tests/run_cross.sh $(B)/lstmc

# Code size of the examples for a Cortex-M4F: the LLVM object (--opt-level
# 3, s and z) against arm-none-eabi-gcc -Os and -O2 on the generated C
# (tests/cross/size_report.sh); not part of make check.
size-report: $(B)/lstmc
	@sh tests/cross/size_report.sh $(B)/lstmc

.PHONY: size-report

# Streams and data forms (tests/run_stream.sh): rows before the input ends
# through a fifo, 10^6 steps in flat memory without drift, text, f32 and
# .npy alike, through lstmc run, a built program and run --jit. The
# sanitizer pass streams 5 x 10^4 steps: it looks for memory errors, which
# show at the reader's refills, not for drift (the plain pass's 10^6 steps).
# check-stream-long: the memory sweep up to 10^7 steps (not in make check).
$(B)/tests/rowscat: tests/stream/rowscat.c runtime/lstmc_rows.c runtime/lstmc_rows.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Iruntime $(LDFLAGS) -o $@ tests/stream/rowscat.c runtime/lstmc_rows.c -lm

STREAM_STEPS ?= $(if $(filter 1,$(SAN)),50000,1000000)
check-stream: $(B)/lstmc $(B)/tests/rowscat
	@STREAM_STEPS=$(STREAM_STEPS) sh tests/run_stream.sh $(B)/lstmc $(B)/tests/rowscat

# Start and final states (run --state-in, --state-out; NAME_set_state,
# NAME_get_state) through every path against PyTorch (tests/fixtures/state).
check-state: $(B)/lstmc
	@sh tests/run_state.sh $(B)/lstmc

check-stream-long: $(B)/lstmc $(B)/tests/rowscat
	@STREAM_SWEEP="1000 10000 100000 1000000 10000000" sh tests/run_stream.sh $(B)/lstmc $(B)/tests/rowscat

# A model as a shared library (lstmc build --shared) run from Python through
# ctypes on NumPy arrays (examples/python): against PyTorch when torch can be
# imported, else `lstmc run`. Without NumPy: "skipped: ...".
check-python: $(B)/lstmc
	@sh examples/python/check.sh $(B)/lstmc

# Hostile inputs (tests/run_limits.sh): binary specs, 50,000 blocks, 100,000
# errors, megabyte strings, weights in other formats, sparse 2 GB weights,
# huge ONNX tensors: each must fail with one clear message in under a
# second and (outside the sanitizer build) under 100 MB.
check-limits: $(B)/lstmc
	@LSTMC_SAN=$(SAN) sh tests/run_limits.sh $(B)/lstmc

# The C backend's output for tests/golden_c/*.lstm, diffed against the
# committed .c/.h (LSTMC_UPDATE=1 sh tests/run_golden_c.sh build/lstmc rewrites them).
check-golden-c: $(B)/lstmc
	@sh tests/run_golden_c.sh $(B)/lstmc

# Several models in one program: linked, and as one translation unit, every
# name with its model's prefix (tests/run_names.sh).
check-names: $(B)/lstmc
	@sh tests/run_names.sh $(B)/lstmc

# The workbench (tests/run_workbench.sh): eval, compare, verify, init and
# run --trace on bad input, the 1997 cell's drift in a trace, init's files
# in every convention, verify of every example (the quickstart alone in the
# sanitizer pass: each verify builds two programs).
check-workbench: $(B)/lstmc
	@LSTMC_SAN=$(SAN) sh tests/run_workbench.sh $(B)/lstmc

TESTS := check-unit check-act check-diag check-cli check-workbench check-fixtures check-examples check-diff check-build check-examples-build check-golden-c check-names check-llvm check-cross check-int16 check-examples-trained check-onnx check-zoo check-limits check-fuzz check-stream check-state check-python

# Every suite of TESTS in the normal build and with SAN=1 and, with LLVM,
# those of NOLLVM_TESTS in a build without it (in $(B)/nollvm), where the
# LLVM tests must report themselves skipped. tests/run_check.sh runs the
# suites one make each, in order, and counts each as passed, failed or
# skipped: a suite is skipped when it succeeds and prints a line
# "skipped: REASON" (nothing of it could run here). Logs in $(B)/check; the last line is
# "suites: N passed, N failed, N skipped"; a failed suite fails make check.
# Without LLVM, the suites whose paths differ (no --jit, no objects, the
# LLVM tests' skip); the C backend, the importer, the cross and integer
# targets are the same code as in the plain pass (and the fixtures run one
# case in four there: their run and build are the plain pass's too).
NOLLVM_TESTS := check-unit check-diag check-cli check-workbench check-fixtures check-examples check-build \
                check-examples-build check-golden-c check-names check-llvm check-examples-trained check-limits \
                check-fuzz check-state check-python
CHECK_PASSES := "" "SAN=1 DIFF_MODELS=30 DIFF_OBJ_MODELS=15 DIFF_EXACT_MODELS=6 DIFF_PRODUCTS_MODELS=20" \
                $(if $(LLVM_CONFIG),"LLVM_CONFIG= B=$(B)/nollvm FIXTURE_EVERY=4 @ $(NOLLVM_TESTS)")
# The programs the suites need, built before each pass with the machine's
# cores (make -j, by tests/run_check.sh): one suite at a time would build
# them one file at a time, the three builds a tenth of make check's time.
check-prereqs: $(B)/lstmc $(UNIT_BINS) $(B)/tests/randmodel $(B)/tests/act_error $(B)/tests/mkweights \
               $(B)/tests/rowscat check-fuzz-bins

check:
	@MAKE='$(MAKE)' CHECK_JOBS=$$(nproc 2> /dev/null || echo 2) CHECK_LANES=$$(nproc 2> /dev/null || echo 1) \
	  sh tests/run_check.sh $(B)/check $(CHECK_PASSES) -- $(TESTS)

clean:
	rm -rf build

.PHONY: check-int16
.PHONY: all check check-prereqs check-fuzz-bins clean example check-diff-long check-stream-long check-act-long $(TESTS)
.DELETE_ON_ERROR:

# ---- benchmark (bench/README.md) ----
# lstmc's generated code against oneDNN, PyTorch and a naive C baseline, all
# checked against `lstmc run` first, timed interleaved, with a roofline and a
# compile-time report. The optional peers are installed first (as root) or
# named by scripts/bench-deps.sh; a missing one is reported as skipped.
# bench-quick: fewer rounds, under two minutes.
bench: $(B)/lstmc
	@sh scripts/bench-deps.sh
	bash bench/run.sh

bench-quick: $(B)/lstmc
	@sh scripts/bench-deps.sh
	bash bench/run.sh --quick

# The variant tables alone (blocks, projection, bidirectional, exact
# activations, the step API), each beside its standard twin.
bench-variants: $(B)/lstmc
	@sh scripts/bench-deps.sh
	bash bench/run.sh --variants

.PHONY: bench bench-quick bench-variants

# ---- fuzzing (tests/fuzz/README.md) ----
# Harnesses for every reader of untrusted files: the spec (fuzz_spec), the
# safetensors reader (fuzz_safetensors), a spec with its weights
# (fuzz_weights), `lstmc import` (fuzz_onnx) and the data reader
# (fuzz_rows). `make fuzz` builds them with clang's libFuzzer, ASan and
# UBSan (in build/fuzz) and runs each for FUZZ_TIME seconds; new inputs go
# to build/fuzz/corpus, crashes to build/fuzz/crashes. CI does not run it.
# `make check-fuzz` replays the committed seeds (tests/fuzz/corpus/NAME) and every
# input that once crashed (tests/fuzz/regress/NAME) through the same harnesses
# built without libFuzzer (tests/fuzz/replay.c), in this build: with SAN=1, under
# the sanitizers.
FUZZ_NAMES := spec safetensors weights onnx rows
FUZZ_TIME  ?= 60
FUZZ_BINS  := $(FUZZ_NAMES:%=$(B)/fuzz/fuzz_%)
FUZZ_SRCS  := tests/fuzz/fuzz.h tests/fuzz/exit_wrap.c tests/fuzz/replay.c


$(B)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_SRCS) $(LIB_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Wno-missing-prototypes -Icompiler -Iruntime -I$(B) -Itests/fuzz $(LDFLAGS) \
	  -Wl,--wrap=exit -o $@ $< tests/fuzz/exit_wrap.c $(FUZZ_MAIN) $(LIB_OBJS) $(LDLIBS)

check-fuzz-bins: $(FUZZ_BINS)

check-fuzz: $(FUZZ_BINS)
	@sh tests/fuzz/replay.sh $(B)/fuzz $(FUZZ_NAMES)

fuzz:
	@if ! command -v clang > /dev/null; then echo "fuzz: skipped (clang not found)"; else \
	  $(MAKE) --no-print-directory FUZZ=1 LLVM_CONFIG= $(FUZZ_NAMES:%=build/fuzz/fuzz/fuzz_%) && \
	  sh tests/fuzz/run.sh build/fuzz $(FUZZ_TIME) $(FUZZ_NAMES); fi

.PHONY: fuzz check-fuzz check-limits
