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

# Hostile input.  A time that is not a finite number: FILE:LINE, status 2,
# nothing on stdout, and no hang (timeout 60).
for bad in NaN Infinity -Infinity 1e999; do
    printf '{"benchmarks": [\n{"name": "b", "run_type": "iteration", "iterations": 1,\n "real_time": %s, "cpu_time": 1.0, "time_unit": "ns"}]}\n' "$bad" >"$tmp/bad.json"
    out=$(timeout 60 $HEAPLAB_RUN "$HEAPLAB_BIN" compare "$tmp/bad.json" "$tmp/new.json" 2>"$tmp/err")
    rc=$?
    check "real_time $bad -> $tmp/bad.json:3, status 2 ($(cat "$tmp/err"))" \
        test "$rc" = 2 -a -z "$out" -a "$(grep -c "^$tmp/bad.json:3: real_time is" "$tmp/err")" = 1
done
gbench_json "$tmp/nan_rep.json" 100 NaN 99 100
out=$(timeout 60 $HEAPLAB_RUN "$HEAPLAB_BIN" compare "$tmp/nan_rep.json" "$tmp/new.json" 2>/dev/null)
check "a NaN among repetitions (the U test's old hang): status 2, no hang" test $? = 2 -a -z "$out"
# Names: NUL, '|' and newlines stay in their cell; names differing after a
# NUL are not merged.
named() { # FILE NAME-as-JSON...
    local file=$1 entries="" n
    shift
    for n in "$@"; do
        entries="$entries{\"name\": $n, \"run_type\": \"iteration\", \"iterations\": 1, \"real_time\": 10, \"cpu_time\": 10, \"time_unit\": \"ns\"},"
    done
    printf '{"benchmarks": [%s {"name": "z", "iterations": 1, "real_time": 1, "cpu_time": 1, "time_unit": "ns"}]}\n' "$entries" >"$file"
}
named "$tmp/names.json" '"a\u0000x"' '"a\u0000y"' '"p|q"' '"line1\nline2"' '"back\\slash"'
out=$(heaplab compare "$tmp/names.json" "$tmp/names.json")
check "names: status 0" test $? = 0
rows=$(grep -c '^| ' <<<"$out")
check "names: one row per benchmark, NULs not merged (2 header rows + 6: $rows)" test "$rows" = 8
check "names: every table row has exactly 6 cells" /usr/bin/python3 -c '
import re, sys
rows = [l for l in sys.stdin.read().split("\n") if l.startswith("| ")]
sys.exit(any(len(re.findall(r"(?<!\\)\|", l)) != 7 for l in rows))' <<<"$out"
check "names: '|' escaped" grep -qF '| p\|q |' <<<"$out"
check "names: newline shown as \\n on one row" grep -qF '| line1\nline2 |' <<<"$out"
check "names: NUL shown, the two names apart" test "$(grep -cF 'a\x00' <<<"$out")" = 2
check "names: no raw NUL byte in the output" test "$(heaplab compare "$tmp/names.json" "$tmp/names.json" | tr -d -c '\000' | wc -c)" = 0
# Numbers of any length (over 63 characters) are numbers.
long=100.$(printf '0%.0s' $(seq 1 80))1
printf '{"benchmarks": [{"name": "b", "iterations": 1, "real_time": %s, "cpu_time": 1, "time_unit": "ns"}]}\n' "$long" >"$tmp/long.json"
out=$(heaplab compare "$tmp/long.json" "$tmp/long.json")
check "an 85-character number is read (status $?)" grep -Eq '^\| b \| 100\.00 ns .* 1\.000 ' <<<"$out"
# heaplab's counters that differ are listed.
printf '{"benchmarks": [{"name": "b", "iterations": 1, "real_time": 1, "cpu_time": 1, "time_unit": "ns", "peak_live_bytes": 1000}]}\n' >"$tmp/c1.json"
printf '{"benchmarks": [{"name": "b", "iterations": 1, "real_time": 1, "cpu_time": 1, "time_unit": "ns", "peak_live_bytes": 1500}]}\n' >"$tmp/c2.json"
out=$(heaplab compare "$tmp/c1.json" "$tmp/c2.json")
check "counters: peak_live_bytes 1000 -> 1500 shown with ratio 1.500" grep -Eq '^\| b \| peak_live_bytes \| 1000 \| 1500 \| 1\.500 \|' <<<"$out"
# Not JSON at all, or not Google Benchmark's.
printf '\xff\xfe\n' >"$tmp/binary.json"
err=$(heaplab compare "$tmp/binary.json" "$tmp/new.json" 2>&1 >/dev/null)
check "binary file -> FILE:1, status 2 ($err)" test $? = 2 -a "${err#"$tmp/binary.json:1:"}" != "$err"
echo '[1, 2]' >"$tmp/array.json"
err=$(heaplab compare "$tmp/array.json" "$tmp/new.json" 2>&1 >/dev/null)
check "not a benchmark file -> status 2 ($err)" test $? = 2
tap_done
