# heaplab — see README.md.  `make` builds build/heaplab; `make test` runs the
# conformance suites; `make deps` installs the Debian packages they need.

CC       ?= cc
CSTD     := -std=c11 -D_GNU_SOURCE
WARN     := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
            -Wno-unused-parameter
OPT      ?= -O2 -g
DEPFLAGS  = -MMD -MP
INCLUDES := -I. -Ibase -Iallocators -Iobjects -Icollectors -Isuites -Iharness -Iworkloads -Icpython
LIBS     := -lz -ldl -lm -lpthread

SRCDIRS  := base allocators objects collectors suites workloads harness
SRCS     := $(sort $(foreach d,$(SRCDIRS),$(wildcard $(d)/*.c))) cpython/launch_config.c

# Build flavours, each in its own folder so they never mix objects:
#   make              build/       optimised with debug info
#   make SAN=1        build-san/   AddressSanitizer + UndefinedBehaviorSanitizer
#   make ARM=1        build-arm/   aarch64 cross build, run under qemu-aarch64
#   make VALGRIND=1   build-valgrind/  the pools announce their blocks to
#                     memcheck (allocators/pool_track.h; README, "Pools under
#                     memory checkers"); run it under valgrind --tool=memcheck
ifeq ($(SAN),1)
  BUILD  := build-san
  OPT    := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
            -fno-sanitize-recover=all
  LDFLAGS += -fsanitize=address,undefined
  export LSAN_OPTIONS := suppressions=$(CURDIR)/tests/lsan.supp:print_suppressions=0
  export UBSAN_OPTIONS := print_stacktrace=1:halt_on_error=1
  # A request over what the machine can give fails with NULL, as in the
  # ordinary build, instead of aborting in ASan's allocator.
  export ASAN_OPTIONS := allocator_may_return_null=1
  export HEAPLAB_QUICK := 1
  DEPS   := test
else ifeq ($(VALGRIND),1)
  BUILD  := build-valgrind
  OPT    += -DHL_VALGRIND=1
  DEPS   := test
else ifeq ($(ARM),1)
  BUILD  := build-arm
  CC     := aarch64-linux-gnu-gcc
  # qemu's -L sysroot mode hangs in pthread_create with Debian 12's qemu 7.2,
  # so the aarch64 loader is started explicitly instead.
  RUN    := qemu-aarch64 -E LD_LIBRARY_PATH=/usr/aarch64-linux-gnu/lib:/usr/lib/aarch64-linux-gnu \
            /usr/aarch64-linux-gnu/lib/ld-linux-aarch64.so.1
  export HEAPLAB_QUICK := 1
  DEPS   := arm
else
  BUILD  ?= build
  DEPS   := test
endif

# Assertion tiers (base/debug.h): `make DEBUG=N` builds HL_DEBUG=N (1 cheap
# preconditions, 2 internal invariants, 3 validators between the phases of
# every collection) into build-debugN/; SAN=1 builds level 2.
ifeq ($(SAN),1)
  DEBUG ?= 2
endif
ifneq ($(DEBUG),)
  OPT += -DHL_DEBUG=$(DEBUG)
  ifeq ($(BUILD),build)
    BUILD := build-debug$(DEBUG)
  endif
endif

OBJS     := $(SRCS:%.c=$(BUILD)/%.o)
# build/heaplab-python (see below) needs Debian's static libpython3.11.
PY_LIBA  := $(firstword $(wildcard /usr/lib/x86_64-linux-gnu/libpython3.11.a))
ifneq ($(ARM),1)
ifneq ($(PY_LIBA),)
  PY_BIN := $(BUILD)/heaplab-python
endif
endif
BIN      := $(BUILD)/heaplab
export HEAPLAB_RUN := $(RUN)
export HEAPLAB_BIN := $(abspath $(BIN))

.PHONY: all test test-san test-arm test-oom test-cpython fuzz deps clean format

all: $(BIN) $(PY_BIN)

$(BIN): $(OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) $(WARN) $(OPT) $(INCLUDES) $(DEPFLAGS) -c -o $@ $<

-include $(OBJS:.o=.d)

# ---- build/heaplab-python (cpython/) ----
# Debian's CPython 3.11 linked statically from libpython3.11.a, as
# /usr/bin/python3.11 is (non-PIE, symbols exported for the extension
# modules in lib-dynload), with heaplab's allocators.  `heaplab python`
# runs it.  Not built for ARM (no arm64 libpython here) or without the
# library (tools/deps.sh installs it).
PY_OBJS  := $(BUILD)/cpython/launcher.o $(BUILD)/cpython/pymem_hooks.o \
            $(BUILD)/cpython/launch_config.o \
            $(filter $(BUILD)/allocators/%.o $(BUILD)/base/%.o,$(OBJS))
PY_CFLAGS := -isystem /usr/include/python3.11
PY_LIBS  := -ldl -lm -lz -lexpat -lpthread -lutil

$(BUILD)/heaplab-python: $(PY_OBJS) $(PY_LIBA)
	$(CC) $(LDFLAGS) -no-pie -Xlinker -export-dynamic -o $@ $(PY_OBJS) $(PY_LIBA) $(PY_LIBS)

$(BUILD)/cpython/launcher.o $(BUILD)/cpython/pymem_hooks.o: $(BUILD)/cpython/%.o: cpython/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) $(WARN) $(OPT) $(INCLUDES) $(PY_CFLAGS) $(DEPFLAGS) -c -o $@ $<

-include $(PY_OBJS:.o=.d)

# The conformance run: every suite on every stack, then the CLI checks, all
# reported as TAP through prove.  It installs what it needs first.
test:
	@tools/deps.sh $(DEPS)
	@$(MAKE) --no-print-directory $(BIN) $(PY_BIN)
	prove -f tests/

test-san:
	$(MAKE) SAN=1 test

test-arm:
	$(MAKE) ARM=1 test

test-oom:
	@tools/deps.sh $(DEPS)
	@$(MAKE) --no-print-directory $(BIN)
	HEAPLAB_OOM=all prove -f tests/10-conformance.t

# CPython 3.11's whole regression suite on every heaplab allocator, with
# tests/cpython-known-failures.txt (tools/test_cpython.sh; ALLOCS="A B"
# narrows it).  About half an hour per allocator on a 2-core VM.
test-cpython:
	@tools/deps.sh $(DEPS)
	@$(MAKE) --no-print-directory $(BIN) $(PY_BIN)
	BUILD=$(BUILD) tools/test_cpython.sh $(ALLOCS)

# The differential fuzzer at length (suites/fuzz.c): FUZZ_SEEDS programs per
# case (make test runs 600) on every stack, from a base seed that changes
# with every run unless FUZZ_SEED is given; FUZZ_ARGS narrows the matrix,
# e.g. FUZZ_ARGS="--alloc freelist_pool --gc generational".  A failure
# prints its program's seed, a rerun line and the minimal program.
FUZZ_SEEDS ?= 10000
fuzz:
	@tools/deps.sh $(DEPS)
	@$(MAKE) --no-print-directory $(BIN)
	@seed=$(or $(FUZZ_SEED),$$(date +%s)); \
	echo "fuzz: base seed $$seed, $(FUZZ_SEEDS) programs per case and stack"; \
	HEAPLAB_FUZZ_SEEDS=$(FUZZ_SEEDS) $(RUN) $(BIN) test --suite fuzz --seed $$seed $(FUZZ_ARGS)

# Coverage-guided fuzzing of the file parsers (fuzz/): one libFuzzer target
# per parser, built with clang-14, ASan and UBSan into build-fuzz/, each run
# for FUZZ_SECONDS (default 600) from seed corpora made of the shipped files
# and the malformed-input test files.  The corpus grows in
# build-fuzz/corpus/; a crash is written to fuzz/crashes/PARSER/, which
# tests/33-fuzz-crashes.t replays through build/heaplab.
FUZZ_SECONDS ?= 600
FUZZ_CC      ?= clang-14
FUZZ_BUILD   := build-fuzz
FUZZ_PARSERS := graph trace
FUZZ_CFLAGS  := $(CSTD) $(WARN) -g -O1 -fno-omit-frame-pointer \
                -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all $(INCLUDES)
FUZZ_SRCS_graph := base/parse.c harness/line_reader.c harness/graph.c
FUZZ_SRCS_trace := base/parse.c harness/line_reader.c harness/trace_load.c

$(FUZZ_BUILD)/fuzz-%: fuzz/%.c fuzz/fuzz_input.h base/parse.c harness/line_reader.c harness/graph.c \
                      harness/trace_load.c harness/graph.h harness/trace.h harness/line_reader.h \
                      base/hash_map.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< $(FUZZ_SRCS_$*) -lz

.PHONY: fuzz-parsers
fuzz-parsers:
	@tools/deps.sh fuzz
	@$(MAKE) --no-print-directory $(FUZZ_PARSERS:%=$(FUZZ_BUILD)/fuzz-%)
	@tools/fuzz_seeds.sh $(FUZZ_BUILD)/seeds
	@for p in $(FUZZ_PARSERS); do \
	    mkdir -p $(FUZZ_BUILD)/corpus/$$p fuzz/crashes/$$p; \
	    echo "fuzz-parsers: $$p for $(FUZZ_SECONDS) s"; \
	    $(FUZZ_BUILD)/fuzz-$$p -max_total_time=$(FUZZ_SECONDS) -max_len=140000 \
	        -dict=fuzz/$$p.dict -artifact_prefix=fuzz/crashes/$$p/ -print_final_stats=1 \
	        $(FUZZ_BUILD)/corpus/$$p $(FUZZ_BUILD)/seeds/$$p || exit 1; \
	done

deps:
	@tools/deps.sh all

clean:
	rm -rf build build-san build-arm build-debug1 build-debug2 build-debug3 build-valgrind build-fuzz

format:
	clang-format -i $(SRCS) $(wildcard */*.h)

# ---- benchmarks (bench/) ----
# build/heaplab-bench: every heaplab object but harness/main.o, the C
# benchmarks in bench/, and bench/gbench.cc, the C++ shim that gives them
# Google Benchmark.  `make bench` runs the whole matrix into results/
# (bench/run.sh; QUICK=1 gives the 3-minute matrix).  `make bench-ci`
# gates instructions per operation under callgrind against
# bench/ci-baseline.json (bench/ci.sh; CI_UPDATE=1 rewrites the baseline,
# CI_BASELINE=FILE compares with another).  `make bench-arm` builds for
# aarch64 and runs a quick subset under qemu, only to prove that it works:
# emulated timings stay in build-arm/ and are never published.
ifeq ($(ARM),1)
  BENCH_CXX := aarch64-linux-gnu-g++
  BENCH_DEPS := bench-arm
else
  BENCH_CXX := $(if $(filter clang,$(CC)),clang++,g++)
  BENCH_DEPS := bench
endif
BENCH_SRCS := $(sort $(wildcard bench/*.c))
BENCH_OBJS := $(BENCH_SRCS:%.c=$(BUILD)/%.o) $(BUILD)/bench/gbench.o
BENCH_BIN  := $(BUILD)/heaplab-bench
# libgc is needed by bench/reference.c alone; the others need Google Benchmark.
BENCH_LIBS := -lbenchmark -lgc -lstdc++ -lpthread

$(BENCH_BIN): $(filter-out $(BUILD)/harness/main.o,$(OBJS)) $(BENCH_OBJS)
	$(BENCH_CXX) $(LDFLAGS) -o $@ $^ $(BENCH_LIBS) $(LIBS)

$(BUILD)/bench/gbench.o: bench/gbench.cc
	@mkdir -p $(dir $@)
	$(BENCH_CXX) -std=c++17 -Wall -Wextra -Werror $(OPT) $(DEPFLAGS) -c -o $@ $<

-include $(BENCH_OBJS:.o=.d)

.PHONY: bench bench-ci bench-arm

bench:
	@tools/deps.sh $(BENCH_DEPS)
	@$(MAKE) --no-print-directory $(BIN) $(BENCH_BIN) $(PY_BIN)
	BUILD=$(BUILD) QUICK=$(QUICK) ARM=$(ARM) bench/run.sh

bench-ci:
	@tools/deps.sh bench
	@$(MAKE) --no-print-directory $(BENCH_BIN)
	BUILD=$(BUILD) CI_UPDATE=$(CI_UPDATE) CI_BASELINE=$(CI_BASELINE) bench/ci.sh

bench-arm:
	$(MAKE) ARM=1 QUICK=1 bench
# ---- end of benchmarks ----
