#!/usr/bin/env bash
# `heaplab run`: every workload on every collector, on freelist_pool and
# malloc, at a tiny size.  What must hold on each:
#   - one JSON line with every field, numbers where numbers belong;
#   - nothing left after teardown (live_bytes_after 0, exit status 0);
#   - `none` frees no cycle: its backlog ends at, and peaks at, everything
#     the program dropped, and the teardown reclaims those containers;
#   - every other collector frees all of it: after one more full collection
#     the backlog is 0 objects and 0 bytes;
#   - binary_trees and gcbench make no cycles: backlog 0 and nothing
#     reclaimed at teardown, on every collector;
#   - the same seed gives the same run (collection is count-driven).
# Then the pause arithmetic on hand-computed cases (--pauses FILE), the
# timeline file, allocation failures, and malformed use (exit 2).
cd "$(dirname "$0")/.." || exit 1
. tests/tap.sh
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

collectors=$(heaplab list --names | awk '$1 == "collector" && $3 == "available" {print $2}')
workloads=$(heaplab run --list | awk '{print $1}')
check "run --list names the six workloads" test "$(echo $workloads | wc -w)" -ge 6

# Tiny sizes: each run takes well under a second.
size_of() {
    case $1 in
        request_cycles) echo 40 ;; growing_heap) echo 3000 ;; gc_collect_loop) echo 4 ;;
        binary_trees) echo 6 ;; gcbench) echo 6 ;; steady_service) echo 500 ;;
        *) echo 2 ;;
    esac
}

# validate LINE GC WORKLOAD: prints what is wrong, exit 1, or nothing.
validate() {
    /usr/bin/python3 - "$@" <<'EOF'
import json, sys
line, gc, workload = sys.argv[1], sys.argv[2], sys.argv[3]
try:
    d = json.loads(line)
except ValueError as e:
    print("not JSON: %s" % e); sys.exit(1)
fields = ["workload", "allocator", "collector", "size", "total_ms", "gc_ms", "collections",
          "pause_p50_ms", "pause_p99_ms", "pause_max_ms", "mmu_1ms", "mmu_10ms", "mmu_100ms",
          "backlog_max_objects", "backlog_max_bytes", "peak_mapped_bytes", "peak_rss_kib",
          "objects_scanned"]
missing = [f for f in fields if f not in d]
if missing:
    print("missing fields: %s" % missing); sys.exit(1)
num = lambda k: isinstance(d[k], (int, float)) and not isinstance(d[k], bool)
bad = [f for f in fields[3:] if not num(f) and not (f == "peak_mapped_bytes" and d[f] is None)]
if bad:
    print("not numbers: %s" % bad); sys.exit(1)
problems = []
def want(cond, what):
    if not cond:
        problems.append(what)
want(d["workload"] == workload and d["collector"] == gc, "names")
want(0 <= d["pause_p50_ms"] <= d["pause_p99_ms"] <= d["pause_max_ms"], "p50 <= p99 <= max")
want(d["pause_max_ms"] <= d["gc_ms"] + 1e-3 and d["gc_ms"] <= d["total_ms"] + 1e-3, "max <= gc <= total")
want(all(0 <= d[k] <= 1 for k in ("mmu_1ms", "mmu_10ms", "mmu_100ms")), "0 <= MMU <= 1")
want((d["collections"] == 0) == (d["gc_ms"] == 0 and d["pause_max_ms"] == 0) or d["collections"] > 0,
     "no collections, no pause")
want(d["live_bytes_after"] == 0, "live bytes after teardown")
want(d["gc_runs"] >= d["collections"], "merged stops never outnumber collections")
cpu = ["total_cpu_ms", "gc_cpu_ms", "pause_p50_cpu_ms", "pause_p99_cpu_ms", "pause_max_cpu_ms",
       "mmu_1ms_cpu", "mmu_10ms_cpu", "mmu_100ms_cpu"]
want(all(k in d and num(k) for k in cpu), "the CPU-clock fields")
if all(k in d and num(k) for k in cpu):
    want(0 <= d["pause_p50_cpu_ms"] <= d["pause_p99_cpu_ms"] <= d["pause_max_cpu_ms"] <= d["gc_cpu_ms"] + 1e-3,
         "CPU-clock percentiles in order")
    want(d["gc_cpu_ms"] <= d["total_cpu_ms"] + 1e-3, "CPU-clock gc within the run")
    want(all(0 <= d[k] <= 1 for k in cpu[5:]), "0 <= CPU-clock MMU <= 1")
    want((d["gc_cpu_ms"] == 0) == (d["collections"] == 0) or d["collections"] > 0, "CPU-clock pauses exist with collections")
want(d["backlog_max_objects"] <= d["dropped_objects"] and d["backlog_max_bytes"] <= d["dropped_bytes"],
     "backlog within what was dropped")
want((d["backlog_max_objects"] == 0) == (d["backlog_max_bytes"] == 0), "objects and bytes agree")
if workload in ("binary_trees", "gcbench"):
    want(d["dropped_objects"] == 0 and d["backlog_max_objects"] == 0 and d["leaked_objects"] == 0,
         "no cycles, no backlog")
else:
    want(d["dropped_objects"] > 0, "the program drops cycles")
if gc == "none":
    want(d["backlog_end_objects"] == d["dropped_objects"] and d["backlog_end_bytes"] == d["dropped_bytes"],
         "none keeps every dropped object")
    want(d["backlog_max_objects"] == d["dropped_objects"], "none's backlog peaks at everything dropped")
    want(d["objects_scanned"] == 0, "none scans nothing")
    want((d["leaked_objects"] > 0) == (d["dropped_objects"] > 0), "teardown reclaims none's cycles")
else:
    want(d["backlog_end_objects"] == 0 and d["backlog_end_bytes"] == 0,
         "a full collection frees the whole backlog")
    want(d["leaked_objects"] == 0, "nothing left for the teardown")
if problems:
    print("; ".join(problems)); sys.exit(1)
EOF
}

for w in $workloads; do
    for gc in $collectors; do
        for alloc in freelist_pool malloc; do
            line=$(heaplab run "$w" --alloc "$alloc" --gc "$gc" --size "$(size_of "$w")" 2>"$tmp/err")
            rc=$?
            why=$(validate "$line" "$gc" "$w")
            check "run $w [$alloc $gc]: exit $rc${why:+: $why}$(head -c 200 "$tmp/err")" \
                test "$rc" = 0 -a -z "$why" -a ! -s "$tmp/err"
        done
    done
done

# Deterministic: collections are driven by allocation counts, so two runs
# with one seed collect at the same points and see the same backlog.
fields() { /usr/bin/python3 -c 'import json,sys; d=json.loads(sys.stdin.read()); print(d["collections"], d["objects_scanned"], d["backlog_max_objects"], d["backlog_max_bytes"], d["dropped_objects"])'; }
a=$(heaplab run steady_service --gc generational --size 2000 --seed 7 | fields)
b=$(heaplab run steady_service --gc generational --size 2000 --seed 7 | fields)
check "the same seed gives the same collections and backlog ($a / $b)" test -n "$a" -a "$a" = "$b"
a=$(heaplab run request_cycles --gc stw --size 300 --seed 3 | fields)
b=$(heaplab run request_cycles --gc stw --size 300 --seed 3 | fields)
check "request_cycles on stw, twice with one seed ($a / $b)" test -n "$a" -a "$a" = "$b"

# The backlog tells collectors apart: `none` keeps every cycle of a
# request loop (5 objects and a 32 KiB buffer per request), stw and
# generational keep only what arrived since their last collection.
n=$(heaplab run request_cycles --gc none --size 200 | fields | cut -d' ' -f3)
check "none's backlog on 200 requests is 1000 objects ($n)" test "$n" = 1000
g=$(heaplab run request_cycles --gc generational --size 200 | fields | cut -d' ' -f3)
check "generational's backlog stays below none's ($g < $n)" test -n "$g" -a "$g" -lt "$n" -a "$g" -gt 0

# --timeline: samples, pauses and the MMU curve, consistent with the line.
line=$(heaplab run steady_service --gc generational --size 3000 --timeline "$tmp/t.csv")
check "--timeline run succeeds" test $? = 0
why=$(/usr/bin/python3 - "$line" "$tmp/t.csv" <<'EOF'
import json, sys
d = json.loads(sys.argv[1])
rows = [l.rstrip("\n").split(",") for l in open(sys.argv[2]) if not l.startswith("#")]
s = [r for r in rows if r[0] == "s"]; p = [r for r in rows if r[0] == "p"]; m = [r for r in rows if r[0] == "m"]
out = []
if len(s) < 2 or any(len(r) != 6 for r in s): out.append("samples")
if len(p) != d["collections"]: out.append("%d pauses for %d collections" % (len(p), d["collections"]))
if len(m) != 61: out.append("MMU curve of %d points" % len(m))
if any(int(r[3]) > d["backlog_max_objects"] for r in s): out.append("a sample above the backlog maximum")
if any(float(a[1]) > float(b[1]) for a, b in zip(s, s[1:])): out.append("samples out of order")
if p and abs(max(float(r[2]) - float(r[1]) for r in p) - d["pause_max_ms"]) > 1e-3: out.append("max pause")
w10 = [float(r[2]) for r in m if float(r[1]) == 10.0]
if w10 and abs(w10[0] - d["mmu_10ms"]) > 1e-3: out.append("MMU(10 ms) differs")
print("; ".join(out))
EOF
)
check "the timeline agrees with the JSON line${why:+: $why}" test -z "$why"

# ---- pause arithmetic, computed by hand ------------------------------------------
# A: durations 5, 1, 30 -> p50 5 (rank 2 of 3), p99 30, gc 36; a 1 ms and a
#    10 ms window fit inside the 30 ms pause (MMU 0); 100 ms is the whole
#    run: 1 - 36/100.
# B: two 2 ms pauses 2 ms apart fit in one 10 ms window: 1 - 4/10.
# C: a 10 ms window catches 3 + 1 ms either way ([2,12], [4,14]): 0.6;
#    whole run 1 - 6.5/30.
# D: the worst 1 ms window holds 0.25 + 0.25 ms: 0.5; windows of 10 and
#    100 ms are the whole 10 ms run: 1 - 1/10.
# E: no pauses: utilization 1 everywhere.
printf 'heaplab-pauses 1 total_ms=100\n10 15\n20 21\n50 80\n' >"$tmp/a"
printf 'heaplab-pauses 1 total_ms=100\n10 12\n14 16\n40 41\n' >"$tmp/b"
printf 'heaplab-pauses 1 total_ms=30\n# comment\n2 5\n11 14\n29.5 30\n' >"$tmp/c"
printf 'heaplab-pauses 1 total_ms=10\n1 1.25\n1.5 1.75\n5 5.5\n' >"$tmp/d"
printf 'heaplab-pauses 1 total_ms=5\n' >"$tmp/e"
expect() { # FILE "collections gc p50 p99 max mmu1 mmu10 mmu100"
    got=$(heaplab run --pauses "$1" | /usr/bin/python3 -c 'import json,sys; d=json.loads(sys.stdin.read()); print(" ".join("%g" % d[k] for k in ("collections","gc_ms","pause_p50_ms","pause_p99_ms","pause_max_ms","mmu_1ms","mmu_10ms","mmu_100ms")))')
    check "pauses $(basename "$1"): $got (expected $2)" test "$got" = "$2"
}
expect "$tmp/a" "3 36 5 30 30 0 0 0.64"
expect "$tmp/b" "3 5 2 2 2 0 0.6 0.95"
expect "$tmp/c" "3 6.5 3 3 3 0 0.6 0.7833"
expect "$tmp/d" "3 1 0.25 0.5 0.5 0.5 0.9 0.9"
expect "$tmp/e" "0 0 0 0 0 1 1 1"

# Malformed pause files: FILE:LINE on stderr, nothing on stdout, exit 2.
bad_file() { # NAME CONTENT EXPECTED_LINE
    printf "$2" >"$tmp/bad"
    out=$(heaplab run --pauses "$tmp/bad" 2>"$tmp/err")
    rc=$?
    check "malformed pauses, $1: exit $rc, '$(head -1 "$tmp/err")'" \
        test "$rc" = 2 -a -z "$out" -a "$(grep -c "^$tmp/bad:$3: " "$tmp/err")" = 1
}
bad_file "no header" '10 15\n' 1
bad_file "overlapping" 'heaplab-pauses 1 total_ms=100\n10 15\n14 16\n' 3
bad_file "past the end" 'heaplab-pauses 1 total_ms=100\n90 101\n' 2
bad_file "ending before it starts" 'heaplab-pauses 1 total_ms=100\n20 10\n' 2
bad_file "nan" 'heaplab-pauses 1 total_ms=100\nnan 1\n' 2
bad_file "negative" 'heaplab-pauses 1 total_ms=100\n-1 1\n' 2
bad_file "three fields" 'heaplab-pauses 1 total_ms=100\n1 2 3\n' 2
bad_file "truncated" 'heaplab-pauses 1 total_ms=100\n1 2\n3 4' 3
bad_file "NUL byte" 'heaplab-pauses 1 total_ms=100\n1\0002\n' 2
bad_file "huge total" 'heaplab-pauses 1 total_ms=1e400\n' 1
out=$(heaplab run --pauses "$tmp/missing" 2>/dev/null)
check "a missing pause file: exit 2" test $? = 2 -a -z "$out"

# ---- allocation failures: a clean exit 1 (or success), never a crash or a leak --------
for n in 1 10 100 1000 5000 20000; do
    for w in request_cycles gc_collect_loop steady_service gcbench; do
        out=$(heaplab run "$w" --alloc "failafter=$n:freelist_pool" --gc generational \
              --size "$(size_of "$w")" 2>"$tmp/err")
        rc=$?
        ok_rc=0
        { [ "$rc" = 1 ] && [ -z "$out" ] && ! grep -q "left after teardown" "$tmp/err"; } ||
            { [ "$rc" = 0 ] && [ -n "$out" ]; } || ok_rc=1
        check "$w with allocation $n refused: exit $rc, clean" test "$ok_rc" = 0
    done
done

# ---- malformed use: usage on stderr, nothing on stdout, exit 2 -------------------------
usage() { # NAME ARGS...
    local name=$1
    shift
    out=$(heaplab run "$@" 2>"$tmp/err")
    rc=$?
    check "usage: $name (exit $rc)" test "$rc" = 2 -a -z "$out" -a -s "$tmp/err"
}
usage "no workload"
usage "unknown workload" no_such_workload
usage "two workloads" gcbench binary_trees
usage "unknown option" gcbench --frobnicate
usage "--size without a value" gcbench --size
usage "--size 0" gcbench --size 0
usage "--size -1" gcbench --size -1
usage "--size 1e3" gcbench --size 1e3
usage "--size past the maximum" gcbench --size 23
usage "--size 2^64" request_cycles --size 18446744073709551616
usage "--size empty" request_cycles --size=
usage "--seed x" gcbench --seed x
usage "unknown collector" gcbench --gc no_such_gc
usage "unknown allocator" gcbench --alloc no_such_alloc
usage "bad collector parameter" gcbench --gc stw=abc
usage "--timeline to an unwritable place" gcbench --size 2 --timeline /nonexistent/dir/t.csv
usage "--timeline empty" gcbench --size 2 --timeline=
usage "--pauses with a workload" gcbench --pauses "$tmp/a"
tap_done
