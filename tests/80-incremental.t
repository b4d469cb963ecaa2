#!/usr/bin/env bash
# The incremental collector beyond what 10-conformance.t and 20-heap.t run
# on its default: its variants on the conformance suites and the real
# heaps, stress scheduling (an increment at every container allocation,
# so marking, closures and scan completion run inside finalizers, weakref
# callbacks and resurrection), and its parameters, read strictly.
cd "$(dirname "$0")/.." || exit 1
. tests/tap.sh
quick=()
[ -n "$HEAPLAB_RUN" ] || [ "$HEAPLAB_QUICK" = 1 ] && quick=(--quick)

# suite_passes SPEC SUITE [ALLOWED-CASE...]: every case passes, except the
# named ones, which assert CPython's default thresholds and fail on any
# collector scheduled at every allocation (stw=1 and generational=1,1,1 too).
suite_passes() {
    local spec=$1 suite=$2
    shift 2
    local out bad
    out=$(heaplab test --alloc freelist_pool --gc "$spec" --suite "$suite" "${quick[@]}" 2>&1)
    bad=$(grep '^not ok' <<<"$out")
    for allowed in "$@"; do
        bad=$(grep -v "/$allowed " <<<"$bad")
    done
    [ -z "$bad" ] && grep -q '^ok' <<<"$out"
}

for spec in incremental=eager incremental=markall; do
    out=$(heaplab test --alloc freelist_pool --gc "$spec" "${quick[@]}" 2>&1)
    check "every suite on $spec" test -z "$(grep '^not ok' <<<"$out")" -a -n "$(grep '^ok' <<<"$out")"
done

# The suites whose cases stay small: at one collection per allocation the
# 10^5..10^6-object cases (refcount, test_gc, weakref_cycles) would take
# minutes.
for spec in incremental=1 incremental=eager,1; do
    for suite in cycles gc_callbacks uncollectable finalization weakref collector_layer; do
        check "$suite under $spec" suite_passes "$spec" "$suite"
    done
    check "gc_module under $spec" suite_passes "$spec" gc_module TupleTest.test_track_literals
done

# Two small cases of a slow suite: bug 1055820's cycles must die young, in
# one increment, when a collection runs at every allocation of the setup.
for spec in incremental=1 incremental=stress; do
    for case in GCTogglingTests.test_bug1055820c GCTogglingTests.test_bug1055820d; do
        out=$(heaplab test --alloc freelist_pool --gc "$spec" --suite weakref_cycles \
            --case "$case" "${quick[@]}" 2>&1)
        check "weakref_cycles/$case under $spec" \
            test -z "$(grep '^not ok' <<<"$out")" -a -n "$(grep '^ok' <<<"$out")"
    done
done

for spec in incremental=eager incremental=markall incremental=1 incremental=eager,1; do
    for graph in suites/data/heaps/*.graph.gz; do
        line=$(heaplab heap --gc "$spec" "$graph")
        rc=$?
        found=$(json_field "$line" unreachable)
        want=$(json_field "$line" cpython_unreachable)
        check "heap $(basename "$graph") [$spec]: found $found, CPython $want" \
            test "$rc" = 0 -a -n "$found" -a "$found" = "$want"
    done
done

# Whole programs under each variant, at small sizes: nothing left after
# teardown (exit 0), every dropped object freed by one more full
# collection.  threshold0 50 makes increments small enough that eager's
# marking stops inside the caches and module lists (more references than
# one increment's budget) and resumes there, while the program replaces
# entries, frees records and, at the end, the lists themselves.
for spec in incremental=eager incremental=eager,noaging incremental=markall incremental=eager,50 \
    incremental=eager,50,1; do
    for w in request_cycles:300 growing_heap:6000 steady_service:3000 gc_collect_loop:20; do
        line=$(heaplab run "${w%%:*}" --gc "$spec" --size "${w##*:}")
        rc=$?
        check "run ${w%%:*} [$spec]: exit $rc, backlog at the end $(json_field "$line" backlog_end_objects)" \
            test "$rc" = 0 -a "$(json_field "$line" backlog_end_objects)" = 0 \
            -a "$(json_field "$line" live_bytes_after)" = 0
    done
done

# Malformed parameters: exit 2, a reason on stderr, nothing on stdout.
for arg in foo '' , eager, ,eager eager,eager markall,markall 1,2,3,4 -1 +1 ' 1' 1e3 0x10 \
    1099511627777 99999999999999999999 'eager;1' "$(printf 'eager\t')"; do
    out=$(heaplab test --gc "incremental=$arg" --suite cycles 2>/tmp/heaplab-inc-$$)
    rc=$?
    err=$(cat /tmp/heaplab-inc-$$)
    check "incremental=$arg is refused" test "$rc" = 2 -a -z "$out" -a -n "$err"
done
rm -f /tmp/heaplab-inc-$$
for arg in 2000,10,0 0 eager,700 700,eager,10 markall,eager,1; do
    check "incremental=$arg is accepted" suite_passes "incremental=$arg" cycles
done
tap_done
