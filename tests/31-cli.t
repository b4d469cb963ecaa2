#!/usr/bin/env bash
# Argument parsing as a hostile user types it: unknown flags for every verb,
# malformed numbers in every spelling base/parse.h rejects, parameters that
# used to pass silently.  Each must give a usage message (or FILE:LINE), exit
# status 2 and nothing at all on stdout.
cd "$(dirname "$0")/.." || exit 1
. tests/tap.sh
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
graph=suites/data/heaps/tiny.graph
trace=$tmp/small.trace
printf 'heaplab-trace 1\na 1 16\na 2 100\nr 1 40\nf 2\nf 1\n' >"$trace"
gbench='{"benchmarks": [{"name": "b", "run_type": "iteration", "iterations": 1, "real_time": 1.0, "cpu_time": 1.0, "time_unit": "ns"}]}'
echo "$gbench" >"$tmp/a.json"

usage_exit() { # NAME EXPECTED_STDERR_PART ARGS...: status 2, stderr has it, stdout empty
    local name=$1 want=$2
    shift 2
    heaplab "$@" >"$tmp/out" 2>"$tmp/err"
    local rc=$?
    if [ "$rc" = 2 ] && [ ! -s "$tmp/out" ] && grep -qF -- "$want" "$tmp/err"; then
        ok "$name"
    else
        not_ok "$name (status $rc, stdout $(wc -c <"$tmp/out") bytes: $(head -c 300 "$tmp/err"))"
    fi
}

# Unknown flags, for every verb, before and after the files.
usage_exit "list -x" "usage: heaplab list" list -x
usage_exit "list --frob" "usage: heaplab list" list --frob
usage_exit "test -x" "usage: heaplab test" test -x
usage_exit "test --frob" "usage: heaplab test" test --frob
usage_exit "heap -x FILE" "usage: heaplab heap" heap -x "$graph"
usage_exit "heap FILE -x" "usage: heaplab heap" heap "$graph" -x
usage_exit "trace -x FILE" "usage: heaplab trace" trace -x "$trace"
usage_exit "trace FILE -x" "usage: heaplab trace" trace "$trace" -x
usage_exit "trace --frob FILE" "usage: heaplab trace" trace --frob "$trace"
usage_exit "stats -x" "usage: heaplab stats" stats -x
usage_exit "stats -x FILE" "usage: heaplab stats" stats -x "$trace"
usage_exit "compare -x A B" "usage: heaplab compare" compare -x "$tmp/a.json" "$tmp/a.json"
usage_exit "compare A B C" "usage: heaplab compare" compare "$tmp/a.json" "$tmp/a.json" "$tmp/a.json"

# Options whose value is missing or empty.
usage_exit "trace --alloc=" "usage: heaplab trace" trace --alloc= "$trace"
usage_exit "trace --alloc (no value)" "usage: heaplab trace" trace --alloc
usage_exit "heap --gc=" "usage: heaplab heap" heap --gc= "$graph"
usage_exit "test --suite=" "usage: heaplab test" test --suite=
usage_exit "stats --alloc=" "usage: heaplab stats" stats --alloc= "$trace"

# Names that match nothing.
usage_exit "test --case nosuch" "no case 'nosuch'" test --case nosuch
usage_exit "test --suite cycles --case nosuch" "no case 'nosuch'" test --suite cycles --case nosuch
usage_exit "--alloc malloc=garbage (test)" "malloc takes no parameter" test --alloc malloc=garbage
usage_exit "--alloc malloc=garbage (heap)" "malloc takes no parameter" heap --alloc malloc=garbage "$graph"
usage_exit "--alloc malloc=garbage (trace)" "malloc takes no parameter" trace --alloc malloc=garbage "$trace"

# base/parse.h's rejected spellings, through every number the CLI reads.
for n in "+5" "-1" " 5" "5 " "2^64" "18446744073709551616" "1e3" "0x10" "5k" ""; do
    usage_exit "--repeat '$n' (heap)" "usage: heaplab heap" heap --repeat "$n" "$graph"
    usage_exit "--repeat '$n' (trace)" "usage: heaplab trace" trace --repeat "$n" "$trace"
    usage_exit "--oom '$n'" "usage: heaplab test" test --oom "$n" --suite cycles
    usage_exit "--seed '$n'" "usage: heaplab test" test --seed "$n" --suite cycles
    usage_exit "failafter='$n'" "failafter needs a count" test --alloc "failafter=$n:malloc" --suite cycles
    usage_exit "debug=quarantine='$n'" "bad option" test --alloc "debug=quarantine=$n:malloc" --suite cycles
    usage_exit "freelist_pool='$n',1048576" "POOL_BYTES" test --alloc "freelist_pool=$n,1048576" --suite cycles
    HEAPLAB_MEMORY_CAP=$n usage_exit "HEAPLAB_MEMORY_CAP='$n'" "HEAPLAB_MEMORY_CAP" trace "$trace"
done
# ... and the accepted ones still work.
line=$(heaplab heap --repeat 007 "$graph")
check "--repeat 007 accepted, read as 7" test "$(json_field "$line" repeat)" = 7
check "failafter=18446744073709551615 accepted" heaplab trace --alloc failafter=18446744073709551615:malloc "$trace"

# list --names: one "KIND NAME STATE" line each, nothing else.
names=$(heaplab list --names)
check "list --names: every line is KIND NAME STATE" \
    awk '!($1 ~ /^(allocator|wrapper|collector|suite)$/ && NF == 3 && $3 ~ /^(available|unavailable)$/) { bad = 1 } END { exit bad }' <<<"$names"
check "list --names names allocators" grep -qx "allocator malloc available" <<<"$names"
check "list --names names collectors" grep -qx "collector stw available" <<<"$names"
check "list --names names suites" grep -qx "suite cycles available" <<<"$names"
check "list --names names wrappers" grep -qx "wrapper failafter available" <<<"$names"
tap_done
