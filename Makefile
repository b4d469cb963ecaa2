# heaplab — see README.md.  `make` builds build/heaplab; `make test` runs the
# conformance suites; `make deps` installs the Debian packages they need.

CC       ?= cc
CSTD     := -std=c11 -D_GNU_SOURCE
WARN     := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
            -Wno-unused-parameter
OPT      ?= -O2 -g
DEPFLAGS  = -MMD -MP
INCLUDES := -I. -Ibase -Iallocators -Iobjects -Icollectors -Isuites -Iharness
LIBS     := -lz -ldl -lm -lpthread

SRCDIRS  := base allocators objects collectors suites harness
SRCS     := $(sort $(foreach d,$(SRCDIRS),$(wildcard $(d)/*.c)))

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

OBJS     := $(SRCS:%.c=$(BUILD)/%.o)
BIN      := $(BUILD)/heaplab
export HEAPLAB_RUN := $(RUN)
export HEAPLAB_BIN := $(abspath $(BIN))

.PHONY: all test test-san test-arm test-oom fuzz deps clean format

all: $(BIN)

$(BIN): $(OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) $(WARN) $(OPT) $(INCLUDES) $(DEPFLAGS) -c -o $@ $<

-include $(OBJS:.o=.d)

# The conformance run: every suite on every stack, then the CLI checks, all
# reported as TAP through prove.  It installs what it needs first.
test:
	@tools/deps.sh $(DEPS)
	@$(MAKE) --no-print-directory $(BIN)
	prove -f tests/

test-san:
	$(MAKE) SAN=1 test

test-arm:
	$(MAKE) ARM=1 test

test-oom:
	@tools/deps.sh $(DEPS)
	@$(MAKE) --no-print-directory $(BIN)
	HEAPLAB_OOM=all prove -f tests/10-conformance.t

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

deps:
	@tools/deps.sh all

clean:
	rm -rf build build-san build-arm build-valgrind

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
	@$(MAKE) --no-print-directory $(BIN) $(BENCH_BIN)
	BUILD=$(BUILD) QUICK=$(QUICK) ARM=$(ARM) bench/run.sh

bench-ci:
	@tools/deps.sh bench
	@$(MAKE) --no-print-directory $(BENCH_BIN)
	BUILD=$(BUILD) CI_UPDATE=$(CI_UPDATE) CI_BASELINE=$(CI_BASELINE) bench/ci.sh

bench-arm:
	$(MAKE) ARM=1 QUICK=1 bench
# ---- end of benchmarks ----
