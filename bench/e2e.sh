#!/usr/bin/env bash
# bench/e2e.sh OUT — end-to-end benchmarks: real Python programs on
# CPython 3.11 with each allocator, wall time by hyperfine, peak RSS by
# wait4, all configurations side by side in one run.
#
#   heaplab:cpython         build/heaplab-python, CPython's own pymalloc (the
#                           baseline every ratio is against: same binary)
#   heaplab:A               the same binary with heaplab allocator A as the
#                           object domain (freelist_pool, bitmap_pool, malloc)
#   python3.11:pymalloc     Debian's /usr/bin/python3.11, PYTHONMALLOC=pymalloc
#   python3.11:malloc       PYTHONMALLOC=malloc (glibc)
#   python3.11:mimalloc, :jemalloc, :tcmalloc
#                           PYTHONMALLOC=malloc with the library in LD_PRELOAD
#
# The launcher is run through its per-configuration path directly (what
# sys.executable is), so `heaplab python`'s own start-up is not timed.
# Programs: bench/programs/*.py (written in the shape of pyperformance's
# benchmarks) and the stdlib programs in suites/data/{heaps,traces}/programs.
# QUICK=1: three programs, three runs; PROGRAMS="a.py b.py" names others.  Writes OUT/raw/e2e-*.json (hyperfine),
# OUT/raw/e2e-rss.jsonl and OUT/e2e.csv, which bench/report.py reads.
set -euo pipefail
out=${1:?usage: bench/e2e.sh OUT}
BUILD=${BUILD:-build}
QUICK=${QUICK:-}
BIN=$BUILD/heaplab
raw=$out/raw
mkdir -p "$raw"
log() { printf '[bench %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

if [ ! -x "$BUILD/heaplab-python" ]; then
    log "e2e: no $BUILD/heaplab-python (libpython3.11-dev missing?): skipped"
    exit 0
fi
if [ -n "${PROGRAMS:-}" ]; then
    read -r -a programs <<<"$PROGRAMS"
    runs=(--runs 5 --warmup 1)
elif [ -n "$QUICK" ]; then
    programs=(bench/programs/bm_json.py bench/programs/bm_cycles.py
              suites/data/traces/programs/json_re.py)
    runs=(--runs 3 --warmup 1)
else
    programs=(bench/programs/*.py suites/data/heaps/programs/*.py
              suites/data/traces/programs/*.py)
    runs=(--runs 5 --warmup 1)
fi

lib=/usr/lib/x86_64-linux-gnu
names=() commands=()
add() { names+=("$1"); commands+=("$2"); }
for alloc in cpython freelist_pool bitmap_pool malloc; do
    exe=$("$BIN" python --alloc "$alloc" -- -c 'import sys; print(sys.executable)')
    add "heaplab:$alloc" "env PYTHONHASHSEED=0 $exe"
done
add python3.11:pymalloc "env PYTHONHASHSEED=0 PYTHONMALLOC=pymalloc /usr/bin/python3.11"
add python3.11:malloc "env PYTHONHASHSEED=0 PYTHONMALLOC=malloc /usr/bin/python3.11"
for ref in mimalloc:libmimalloc.so.2 jemalloc:libjemalloc.so.2 tcmalloc:libtcmalloc_minimal.so.4; do
    if [ -e "$lib/${ref#*:}" ]; then
        add "python3.11:${ref%%:*}" \
            "env PYTHONHASHSEED=0 PYTHONMALLOC=malloc LD_PRELOAD=$lib/${ref#*:} /usr/bin/python3.11"
    else
        log "e2e: $lib/${ref#*:} not installed: ${ref%%:*} left out"
    fi
done

: >"$raw/e2e-rss.jsonl"
for prog in "${programs[@]}"; do
    name=$(basename "$prog" .py)
    log "e2e $name: ${#names[@]} configurations"
    args=()
    for i in "${!names[@]}"; do
        args+=(-n "${names[$i]}" "${commands[$i]} $prog")
    done
    hyperfine --style basic -N "${runs[@]}" --export-json "$raw/e2e-$name.json" "${args[@]}" \
        >"$raw/e2e-$name.log"
    for i in "${!names[@]}"; do
        # shellcheck disable=SC2086
        /usr/bin/python3 bench/e2e_rss.py "$name" "${names[$i]}" ${commands[$i]} "$prog" \
            >>"$raw/e2e-rss.jsonl"
    done
done
/usr/bin/python3 bench/e2e_rss.py --csv "$raw" >"$out/e2e.csv"
log "e2e: $out/e2e.csv"
