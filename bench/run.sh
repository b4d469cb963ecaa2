#!/usr/bin/env bash
# bench/run.sh — the benchmark matrix behind `make bench`; run from the top
# of the tree after build/heaplab and build/heaplab-bench are built.
#
#   BUILD=build       where the binaries are (build-arm for ARM=1)
#   QUICK=1           small sizes, short runs: about 3 minutes instead of 30
#   ARM=1             the aarch64 binaries under qemu: a proof that they run,
#                     written to $BUILD/bench-emulated/, never to results/
#   ONLY=alloc,collect,pauses,reference,other,whole,cpython,e2e,design
#                     run only these parts, into the newest run folder of
#                     this machine (a rerun of one part, e.g. when a new
#                     collector lands); the report is rebuilt from all parts
#
# Output: results/<arch>-<cpu>/<date>/ with
#   raw/gbench-*.json     Google Benchmark's JSON, one file per process (the
#                         allocation benchmarks run one process per
#                         allocator, so process-wide allocators and resident
#                         memory do not carry over from one to the next)
#   gbench.json           all of them in one file, for compare tools
#   raw/hyperfine-*.json  whole-process `heaplab trace` runs per allocator
#   raw/trace.jsonl       `heaplab trace --repeat N` lines, one process per
#                         allocator and trace
#   raw/heap.jsonl        `heaplab heap --repeat N` lines per stack, with and
#                         without --saveall (finding only, as CPython is timed)
#   raw/cpython-heaps.jsonl  the same after recording the heaps afresh on this
#                         machine, so CPython's time is of this run (bench/
#                         heaps_vs_cpython.sh; the graphs are not kept)
#   raw/pauses-*.csv, raw/mmu-*.csv   gc_pauses timelines and MMU curves
#   raw/perf-*.csv        perf stat of whole processes, where counters exist
#   raw/design.jsonl      `heaplab run` lines: every workload on every
#                         collector (and generational=3.13, CPython's
#                         default again, and the incremental variants
#                         markall, eager and eager,noaging), on
#                         freelist_pool and malloc
#   raw/timelines/WORKLOAD-GC.csv.gz  their timelines on freelist_pool
#                         (samples, pauses, MMU curve; harness/run.c)
#   machine.json, results.csv, README.md, *.svg    (bench/report.py)
set -euo pipefail

BUILD=${BUILD:-build}
QUICK=${QUICK:-}
ARM=${ARM:-}
ALL_PARTS=alloc,collect,pauses,reference,other,whole,cpython,e2e,design
ONLY=${ONLY:-$ALL_PARTS}
BIN=$BUILD/heaplab
BENCH=$BUILD/heaplab-bench
RUN=${HEAPLAB_RUN:-}

# jemalloc keeps its thread cache in initial-exec TLS; loaded with dlopen it
# needs glibc to reserve more static TLS than the default (allocators/dynlib.c).
export GLIBC_TUNABLES=${GLIBC_TUNABLES:+$GLIBC_TUNABLES:}glibc.rtld.optional_static_tls=16384

part() { [[ ",$ONLY," == *",$1,"* ]]; }
log() { printf '[bench %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
# Whether ALLOCATOR x COLLECTOR is a stack at all: a heap-walking collector
# (ft) refuses an allocator that cannot visit its blocks (malloc).  Such a
# pair is absent from the tables, not a failed run; any other refusal of
# the tiny graph is a real failure and is left for the run itself to show.
pair_exists() {
    local why
    why=$("$BIN" heap --alloc "$1" --gc "$2" suites/data/heaps/tiny.graph 2>&1 >/dev/null) && return 0
    case $why in *"cannot visit its live blocks"*) return 1 ;; esac
    return 0
}

if [ -n "$ARM" ]; then
    # Emulated: prove the aarch64 build runs the suites, record nothing as
    # performance.  A subset keeps qemu's slowdown within minutes.
    out=$BUILD/bench-emulated/$(date -u +%Y-%m-%d)
    mkdir -p "$out"
    log "aarch64 under qemu-user: emulated timings, not ARM performance -> $out"
    # shellcheck disable=SC2086
    $RUN "$BENCH" --heaplab_quick --heaplab_out_dir="$out" --benchmark_min_time=0.01 \
        --benchmark_filter='^(alloc_(lifo|churn|size|realloc)/(freelist_pool|bitmap_pool|malloc)/|(gc_collect|gc_traversal|binary_trees)/freelist_pool/|binary_trees/(bdwgc|manual/libc)|gc_pauses/)' \
        --benchmark_context=emulated=qemu-user \
        --benchmark_out="$out/gbench-emulated.json" --benchmark_out_format=json
    python3 bench/report.py emulated "$out"
    exit 0
fi

arch=$(uname -m)
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
cpu_slug=$(printf '%s' "${cpu:-unknown}" | tr 'A-Z' 'a-z' | sed 's/([^)]*)//g; s/[^a-z0-9]\{1,\}/-/g; s/^-//; s/-$//')
machine_dir=results/$arch-$cpu_slug
if [ "$ONLY" = "$ALL_PARTS" ]; then
    out=$machine_dir/$(date -u +%Y-%m-%d)
    n=2
    while [ -e "$out" ]; do out=$machine_dir/$(date -u +%Y-%m-%d)-$n; n=$((n + 1)); done
else
    out=$(ls -d "$machine_dir"/*/ 2>/dev/null | sort | tail -1)
    out=${out%/}
    [ -n "$out" ] || { echo "bench/run.sh: no earlier run in $machine_dir for ONLY=$ONLY" >&2; exit 2; }
fi
raw=$out/raw
logs=$BUILD/bench-logs # console output, kept out of results/
mkdir -p "$raw" "$logs"
log "writing $out${QUICK:+ (QUICK)}"
python3 bench/report.py machine "$out/machine.json"

if [ -n "$QUICK" ]; then
    gb_flags=(--heaplab_quick --benchmark_min_time=0.02)
    hf_runs=(--warmup 0 --runs 2)
    repeat=2
    traces=(suites/data/traces/json_re.trace.gz)
else
    gb_flags=(--benchmark_min_time=0.2 --benchmark_repetitions=3)
    hf_runs=(--warmup 1 --runs 5)
    repeat=5
    traces=(suites/data/traces/*.trace.gz)
fi
heaps=(suites/data/heaps/*.graph.gz)

# One Google Benchmark process: gbench NAME FILTER [extra flags...]
gbench() {
    local name=$1 filter=$2
    shift 2
    log "heaplab-bench $name"
    "$BENCH" "${gb_flags[@]}" --heaplab_out_dir="$raw" --benchmark_filter="$filter" \
        --benchmark_out="$raw/gbench-$name.json" --benchmark_out_format=json "$@" \
        >"$logs/gbench-$name.log" 2>&1 || {
        echo "bench/run.sh: heaplab-bench $name failed; see $logs/gbench-$name.log" >&2
        return 1
    }
}

# The names the benchmark binary runs on, from its own registration.
allocators=$("$BENCH" --benchmark_list_tests --benchmark_filter='^alloc_pymix/' | cut -d/ -f2)
object_allocators=$("$BENCH" --benchmark_list_tests --benchmark_filter='^gcbench/' |
    cut -d/ -f2 | grep -v bdwgc | sort -u)
tracing=$("$BENCH" --benchmark_list_tests --benchmark_filter='^gc_collect/' | cut -d/ -f3 | sort -u)

# Each part's filter; a family none of them names runs in a part of its own
# ("other"), so a benchmark added to bench/ is never silently left out.
alloc_filter() { echo "^alloc_[a-z]+/$1/|^alloc_trace/[a-z0-9_]+/$1/"; }
collect_families='gc_collect|gc_traversal|gc_live|gc_young|gcbench|binary_trees|btree_gc_only'
collect_filter() { echo "^($collect_families)/$1/|^gc_heap/[a-z0-9_]+/$1/"; }
pauses_filter='^gc_pauses/'
reference_filter='^(gcbench|binary_trees)/(bdwgc|manual)/?'

if part alloc; then
    for a in $allocators; do
        gbench "alloc-$a" "$(alloc_filter "$a")"
    done
fi
if part collect; then
    for a in $object_allocators; do
        gbench "collect-$a" "$(collect_filter "$a")"
    done
fi
if part pauses; then
    gbench pauses "$pauses_filter" --benchmark_repetitions=1
fi
if part reference; then
    gbench reference "$reference_filter"
fi
if part other; then
    covered="$pauses_filter|$reference_filter"
    for a in $allocators; do covered="$covered|$(alloc_filter "$a")"; done
    for a in $object_allocators; do covered="$covered|$(collect_filter "$a")"; done
    families=$("$BENCH" --benchmark_list_tests | grep -Ev "$covered" | cut -d/ -f1 | sort -u |
        paste -sd'|' || true)
    if [ -n "$families" ]; then
        gbench other "^($families)/"
    fi
fi

if part whole; then
    # Whole processes: start-up and loading included, as a user sees them.
    list=$(echo $allocators | tr ' ' ',')
    for t in "${traces[@]}"; do
        name=$(basename "$t" .trace.gz)
        log "hyperfine heaplab trace $name"
        hyperfine --style basic "${hf_runs[@]}" -N -L alloc "$list" \
            --export-json "$raw/hyperfine-$name.json" "$BIN trace --alloc {alloc} $t" \
            >"$logs/hyperfine-$name.log"
    done
    log "heaplab trace --repeat $repeat"
    : >"$raw/trace.jsonl"
    for t in "${traces[@]}"; do
        for a in $allocators; do
            "$BIN" trace --alloc "$a" --repeat "$repeat" "$t" >>"$raw/trace.jsonl"
        done
    done
    log "heaplab heap --repeat $repeat"
    : >"$raw/heap.jsonl"
    for a in $object_allocators; do
        for g in $tracing; do
            pair_exists "$a" "$g" || continue
            for mode in --saveall ""; do
                # shellcheck disable=SC2086
                "$BIN" heap --alloc "$a" --gc "$g" --repeat "$repeat" $mode "${heaps[@]}" \
                    >>"$raw/heap.jsonl"
            done
        done
    done
    # Hardware counters of the same whole processes, where the machine has them.
    events=${PERF_EVENTS:-cycles,instructions,cache-misses,dTLB-load-misses}
    if perf stat -x, -e "$events" true 2>&1 >/dev/null | grep -qv 'not supported'; then
        log "perf stat heaplab trace"
        for t in "${traces[@]}"; do
            for a in $allocators; do
                perf stat -x, -e "$events" -o "$raw/perf-$(basename "$t" .trace.gz)-$a.csv" \
                    "$BIN" trace --alloc "$a" --repeat "$repeat" "$t" >/dev/null
            done
        done
    fi
fi

if part cpython; then
    # CPython's gc.collect() timed on this machine, now, on freshly recorded heaps.
    log "recording the heaps afresh with CPython (bench/heaps_vs_cpython.sh)"
    scratch=$(mktemp -d "${TMPDIR:-/tmp}/heaplab-heaps.XXXXXX")
    BUILD=$BUILD bench/heaps_vs_cpython.sh "$scratch" "$repeat" 2>"$logs/cpython-heaps.log"
    sed "s|$scratch/graphs/|recorded-now/|" "$scratch/cpython-heaps.jsonl" >"$raw/cpython-heaps.jsonl"
    rm -rf "$scratch"
fi

if part design; then
    # Cycle-collector design: whole mutator programs under automatic
    # collection, one process per run, with pauses, MMU and the exact
    # backlog (workloads/workload.h).  Default sizes take 1-5 s each on
    # generational here; QUICK about a quarter of that.
    log "heaplab run: workloads x collectors"
    # This part's own machine description (load, commit): a rerun of it
    # alone can happen long after the other parts.
    python3 bench/report.py machine "$raw/design-machine.json"
    : >"$raw/design.jsonl"
    : >"$raw/design-failed.txt"
    : >"$raw/design-absent.txt"
    rm -rf "$raw/timelines"
    mkdir -p "$raw/timelines"
    # Every collector on its defaults, then the variants the design table
    # compares: CPython's own generational (3.13) and incremental marking
    # (markall: one marking step, as 3.14.0), and eager (the variant that
    # keeps the pauses without the backlog) with and without its aging space.
    design_gcs="$("$BIN" list --names | awk '$1 == "collector" && $3 == "available" {print $2}')"
    design_gcs="$design_gcs generational=3.13 incremental=markall incremental=eager incremental=eager,noaging"
    for w in $("$BIN" run --list | awk '{print $1}'); do
        size=()
        if [ -n "$QUICK" ]; then
            case $w in
                request_cycles) size=(--size 5000) ;; growing_heap) size=(--size 100000) ;;
                gc_collect_loop) size=(--size 2500) ;; binary_trees) size=(--size 14) ;;
                gcbench) size=(--size 13) ;; steady_service) size=(--size 25000) ;;
            esac
        fi
        for a in freelist_pool malloc; do
            for g in $design_gcs; do
                if ! pair_exists "$a" "$g"; then
                    echo "$w $a $g" >>"$raw/design-absent.txt"
                    continue
                fi
                timeline=()
                [ "$a" = freelist_pool ] && timeline=(--timeline "$raw/timelines/$w-$g.csv")
                rc=0
                timeout 300 "$BIN" run "$w" --alloc "$a" --gc "$g" "${size[@]}" "${timeline[@]}" \
                    >>"$raw/design.jsonl" 2>>"$logs/design.log" || rc=$?
                if [ "$rc" != 0 ]; then
                    why="exit $rc"
                    [ "$rc" = 124 ] && why="timed out after 300 s"
                    echo "$w $a $g: $why" >>"$raw/design-failed.txt"
                    log "heaplab run $w --alloc $a --gc $g failed (see $logs/design.log)"
                fi
            done
        done
    done
    gzip -f "$raw"/timelines/*.csv 2>/dev/null || true
fi

if part e2e; then
    # Real Python programs on CPython 3.11 with each allocator (bench/e2e.sh).
    BUILD=$BUILD QUICK=$QUICK bench/e2e.sh "$out"
fi

log "merging and reporting"
python3 bench/report.py report "$out"
python3 bench/report.py index results
log "done: $out/README.md"
