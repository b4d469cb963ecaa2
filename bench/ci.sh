#!/usr/bin/env bash
# bench/ci.sh — `make bench-ci`: instructions per operation of heaplab's own
# code, counted by callgrind, against the committed bench/ci-baseline.json.
#
# Each workload of bench/ci.c runs in its own process under
#   valgrind --tool=callgrind --toggle-collect=bench_ci_measured
# so only the workload is counted, never start-up or the dynamic loader.
# Instruction counts do not depend on the machine's load, so a 3% rise is a
# real change in the code path, not noise.  Exit status 1 when any workload
# costs more than 3% above its baseline; workloads without a baseline (a new
# collector) are reported and pass.  The counts depend on the compiler and
# the C library as well as on heaplab: after upgrading either, record a new
# baseline (CI_UPDATE=1) from the unchanged tree first.
#
#   BUILD=build        where build/heaplab-bench is
#   CI_UPDATE=1        write the counts measured now as the new baseline
#   CI_BASELINE=FILE   compare with another file (default bench/ci-baseline.json)
#   CI_JOBS=N          workloads counted at once (default: the number of cores)
set -euo pipefail

BUILD=${BUILD:-build}
BENCH=$BUILD/heaplab-bench
BASELINE=${CI_BASELINE:-bench/ci-baseline.json}
JOBS=${CI_JOBS:-$(nproc)}
work=$(mktemp -d "${TMPDIR:-/tmp}/heaplab-ci.XXXXXX")
trap 'rm -rf "$work"' EXIT

# One workload: prints "NAME OPS INSTRUCTIONS" (callgrind's event total).
count_one() {
    local name=$1 out
    out=$work/$(printf '%s' "$name" | tr '/' '_')
    valgrind --tool=callgrind --toggle-collect=bench_ci_measured \
        --callgrind-out-file="$out.callgrind" "$BENCH" --heaplab_ci="$name" \
        >"$out.stdout" 2>"$out.stderr" || {
        echo "bench-ci: $name failed under valgrind:" >&2
        tail -5 "$out.stderr" >&2
        return 1
    }
    local ops ir
    ops=$(awk '{print $2}' "$out.stdout")
    ir=$(sed -n 's/^summary: *//p; s/^totals: *//p' "$out.callgrind" | head -1 | awk '{print $1}')
    echo "$name $ops ${ir:-0}"
}
export -f count_one
export work BENCH

start=$(date +%s)
"$BENCH" --heaplab_ci_list >"$work/names"
echo "bench-ci: $(wc -l <"$work/names") workloads under callgrind, $JOBS at a time" >&2
xargs -P "$JOBS" -I{} bash -c 'count_one "$@"' _ {} <"$work/names" >"$work/counts"
sort -o "$work/counts" "$work/counts"
echo "bench-ci: counted in $(($(date +%s) - start)) s" >&2

if [ -n "${CI_UPDATE:-}" ]; then
    python3 bench/ci_compare.py --write "$BASELINE" "$work/counts"
else
    python3 bench/ci_compare.py "$BASELINE" "$work/counts"
fi
