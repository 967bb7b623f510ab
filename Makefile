# lstmc - an ahead-of-time compiler for LSTM networks.
#
#   make              build build/lstmc
#   make check        every test: unit, diagnostics, fixtures, examples, and the
#                     same again under AddressSanitizer + UndefinedBehaviorSanitizer
#   make SAN=1 ...    the sanitizer build, in build/san
#   make clean

CC      ?= cc
WARN    := -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes -Wmissing-prototypes
CFLAGS  ?= -O2 -g
CFLAGS  += -std=c11 -D_POSIX_C_SOURCE=200809L $(WARN)
LDLIBS  := -lm
B       := build

ifeq ($(SAN),1)
B       := build/san
CFLAGS  += -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
LDFLAGS += -fsanitize=address,undefined
endif

# The compiler, stage by stage (main.c is the command line).
LIB_SRCS := compiler/util.c compiler/ast.c compiler/safetensors.c compiler/ir.c \
            compiler/sema.c compiler/weights.c compiler/interp.c \
            runtime/lstmc_rows.c
GEN_SRCS := $(B)/lexer.c $(B)/parser.c
LIB_OBJS := $(LIB_SRCS:%.c=$(B)/%.o) $(GEN_SRCS:.c=.o)
MAIN_OBJ := $(B)/compiler/main.o

UNIT_SRCS  := $(wildcard tests/unit/test_*.c)
UNIT_BINS  := $(UNIT_SRCS:tests/unit/%.c=$(B)/tests/%)

all: $(B)/lstmc

$(B)/lstmc: $(LIB_OBJS) $(MAIN_OBJ)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# Missing build tools are installed by one script (as root) or named.
DEPS_STAMP := build/.deps-ok
$(DEPS_STAMP):
	@sh scripts/deps.sh
	@mkdir -p build && touch $@

# flex and bison output go to the build folder, never into the repo.
$(B)/lexer.c $(B)/lexer.h: grammar/lexer.l | $(DEPS_STAMP)
	@mkdir -p $(B)
	flex --header-file=$(B)/lexer.h -o $(B)/lexer.c $<

$(B)/parser.c $(B)/parser.h: grammar/parser.y | $(DEPS_STAMP)
	@mkdir -p $(B)
	bison -Wall -Werror --defines=$(B)/parser.h -o $(B)/parser.c $<

# Generated scanners are not warning-clean under -Wpedantic; our code is.
$(B)/lexer.o: $(B)/lexer.c $(B)/parser.h compiler/ast.h compiler/util.h
	$(CC) $(CFLAGS) -Wno-unused-function -Wno-sign-compare -Wno-missing-prototypes -Icompiler -I$(B) -c -o $@ $<
$(B)/parser.o: $(B)/parser.c $(B)/lexer.h compiler/ast.h compiler/util.h
	$(CC) $(CFLAGS) -Wno-missing-prototypes -Icompiler -I$(B) -c -o $@ $<

HDRS := $(wildcard compiler/*.h compiler/*.def runtime/*.h)
$(B)/%.o: %.c $(HDRS) | $(B)/parser.h $(B)/lexer.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Icompiler -Iruntime -I$(B) -c -o $@ $<

# ---- tests ----

CMOCKA_LIBS := -lcmocka
$(B)/tests/%: tests/unit/%.c tests/unit/testutil.h $(LIB_OBJS) | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Wno-missing-prototypes -Icompiler -Iruntime -I$(B) -Itests/unit $(LDFLAGS) -o $@ $< $(LIB_OBJS) $(CMOCKA_LIBS) $(LDLIBS)

check-unit: $(UNIT_BINS)
	@set -e; for t in $(UNIT_BINS); do echo "== $$t"; (cd tests/unit && ../../$$t); done

check-diag: $(B)/lstmc
	@sh tests/run_diag.sh $(B)/lstmc

check-cli: $(B)/lstmc
	@sh tests/run_cli.sh $(B)/lstmc

check-pytorch: $(B)/lstmc
	@sh tests/run_pytorch.sh $(B)/lstmc

# The README's first command: build, then check and run the quickstart model.
example: $(B)/lstmc
	$(B)/lstmc check examples/quickstart/model.lstm
	$(B)/lstmc run examples/quickstart/model.lstm examples/quickstart/input.txt

check-examples: $(B)/lstmc
	@$(B)/lstmc run examples/quickstart/model.lstm examples/quickstart/input.txt > $(B)/quickstart.out
	@d=$$(awk -f tests/maxdiff.awk $(B)/quickstart.out examples/quickstart/expected.txt) && \
	  awk -v d="$$d" 'BEGIN { exit !(d <= 1e-5) }' && echo "examples: quickstart max |diff| $$d"

TESTS := check-unit check-diag check-cli check-pytorch check-examples

check: $(TESTS)
	@$(MAKE) --no-print-directory SAN=1 $(TESTS)
	@echo "make check: all tests passed"

clean:
	rm -rf build

.PHONY: all check clean example $(TESTS)
.DELETE_ON_ERROR:
