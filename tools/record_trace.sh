#!/bin/sh
# tools/record_trace.sh — record a Python program's allocations as a
# `heaplab-trace 1` file.
#
#   tools/record_trace.sh PROGRAM.py OUT.trace.gz [ARGS...]
#
# Runs PROGRAM.py under build/trace_recorder.so (built here when missing or
# older than its source) with PYTHONMALLOC=malloc, so every object request
# reaches malloc instead of CPython's own pools, then converts the log of
# that one process with tools/trace_convert.py.  Children it starts write
# logs of their own, which are left out.
#
# Environment: PYTHON (default /usr/bin/python3), CC (default cc).
# PYTHONHASHSEED is fixed so that two recordings of a program agree.
set -eu

if [ $# -lt 2 ]; then
    echo "usage: $0 PROGRAM.py OUT.trace.gz [ARGS...]" >&2
    exit 2
fi
program=$1
out=$2
shift 2

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
python=${PYTHON:-/usr/bin/python3}
recorder=$root/build/trace_recorder.so

if [ ! -f "$recorder" ] || [ "$here/trace_recorder.c" -nt "$recorder" ]; then
    mkdir -p "$root/build"
    ${CC:-cc} -O2 -shared -fPIC -o "$recorder" "$here/trace_recorder.c" -ldl -lpthread
fi

raw_dir=$(mktemp -d "${TMPDIR:-/tmp}/heaplab-record.XXXXXX")
trap 'rm -rf "$raw_dir"' EXIT INT TERM

HEAPLAB_TRACE_OUT=$raw_dir/raw.%d PYTHONMALLOC=malloc PYTHONHASHSEED=0 \
    PYTHONDONTWRITEBYTECODE=1 LD_PRELOAD=$recorder \
    "$python" -s "$program" "$@" >/dev/null &
pid=$!
wait "$pid"

version=$("$python" -c 'import sys; print(sys.version.split()[0])')
"$python" "$here/trace_convert.py" \
    --comment "program: $(basename "$program")" \
    --comment "python: $version ($python, PYTHONMALLOC=malloc, PYTHONHASHSEED=0)" \
    --comment "recorded: $(date -u +%Y-%m-%d) on $(uname -m)" \
    "$raw_dir/raw.$pid" "$out"
