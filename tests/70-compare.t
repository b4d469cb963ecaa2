#!/usr/bin/env bash
# `heaplab compare`: ratios, the Mann-Whitney p-value where there are
# repetitions, the geometric mean; malformed JSON is FILE:LINE, status 2.
cd "$(dirname "$0")/.." || exit 1
. tests/tap.sh
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
gbench_json() { # FILE TIME...: one benchmark "b" with these repetitions, "c" once
    local file=$1 runs="" t
    shift
    for t in "$@"; do
        runs="$runs{\"name\": \"b\", \"run_name\": \"b\", \"run_type\": \"iteration\", \"repetitions\": $#, \"iterations\": 10, \"real_time\": $t, \"cpu_time\": $t, \"time_unit\": \"ns\"},"
    done
    printf '{"context": {"date": "x"}, "benchmarks": [%s {"name": "c", "run_name": "c", "run_type": "iteration", "iterations": 1, "real_time": 2.0, "cpu_time": 2.0, "time_unit": "us"}]}\n' \
        "$runs" >"$file"
}
gbench_json "$tmp/old.json" 100 101 99 100 102 98
gbench_json "$tmp/new.json" 50 51 49 50 52 48
out=$(heaplab compare "$tmp/old.json" "$tmp/new.json")
check "compare exits 0" test $? = 0
check "b: ratio 0.50" grep -Eq '^\| b .*0\.50' <<<"$out"
check "b: a p-value below 0.01 for disjoint samples" \
    awk -F'|' '$2 ~ /^ b / { for (i = 3; i <= NF; i++) if ($i ~ /^ *0\.00[0-9]/) found = 1 } END { exit !found }' <<<"$out"
check "a geometric-mean line" grep -qi 'geometric mean' <<<"$out"
printf '{"benchmarks": [\n  {"name": "b",\n' >"$tmp/cut.json"
err=$(heaplab compare "$tmp/cut.json" "$tmp/new.json" 2>&1 >/dev/null)
rc=$?
check "truncated JSON -> FILE:LINE, status 2 ($err)" test $rc = 2 -a "${err#"$tmp/cut.json:"}" != "$err"
heaplab compare "$tmp/old.json" >/dev/null 2>&1
check "one file only -> usage, status 2" test $? = 2
tap_done
