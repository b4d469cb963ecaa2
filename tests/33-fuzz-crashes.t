#!/usr/bin/env bash
# Replays what the parser fuzzers (make fuzz-parsers) found, and the
# hostile inputs kept as regressions, through the normal binary: each file
# must be loaded (status 0 or 1) or refused with FILE:LINE (status 2) —
# never a crash, a hang or a sanitizer report.
cd "$(dirname "$0")/.." || exit 1
. tests/tap.sh
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
replay() { # PARSER FILE
    local parser=$1 file=$2 rc
    if [ "$parser" = graph ]; then
        timeout 120 $HEAPLAB_RUN "$HEAPLAB_BIN" heap "$file" >"$tmp/out" 2>"$tmp/err"
    else
        timeout 120 $HEAPLAB_RUN "$HEAPLAB_BIN" trace --check "$file" >"$tmp/out" 2>"$tmp/err"
    fi
    rc=$?
    local why=""
    case $rc in
    0 | 1) ;;
    2) grep -q "^$file:[0-9]*: " "$tmp/err" || why="status 2 without FILE:LINE" ;;
    *) why="status $rc" ;;
    esac
    grep -q "Sanitizer\|runtime error" "$tmp/err" && why="$why sanitizer report"
    [ "$rc" = 2 ] && [ -s "$tmp/out" ] && why="$why output on a refused file"
    if [ -z "$why" ]; then ok "$parser $file (status $rc)"; else not_ok "$parser $file: $why: $(head -c 300 "$tmp/err")"; fi
}
count=0
for parser in graph trace; do
    for file in fuzz/crashes/$parser/* fuzz/regressions/$parser/*; do
        [ -f "$file" ] || continue
        replay "$parser" "$file"
        count=$((count + 1))
    done
done
check "there are inputs to replay ($count)" test "$count" -gt 0
tap_done
