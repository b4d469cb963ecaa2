#!/usr/bin/env bash
# Bad input gets a clear error: exit status 2 and FILE:LINE for malformed
# files, a usage message for bad flags and names; never a crash.
cd "$(dirname "$0")/.." || exit 1
. tests/tap.sh
expect_error() { # NAME EXPECTED_PREFIX ARGS...
    local name=$1 prefix=$2
    shift 2
    local err rc
    err=$(heaplab "$@" 2>&1 >/dev/null)
    rc=$?
    if [ "$rc" = 2 ] && [[ "$err" == "$prefix"* ]]; then
        ok "$name"
    else
        not_ok "$name (status $rc: $err)"
    fi
}
while read -r file line; do
    path=suites/data/heaps/bad/$file
    expect_error "heap $file -> $path:$line" "$path:$line: " heap "$path"
done <suites/data/heaps/bad/EXPECTED
if [ -f suites/data/traces/bad/EXPECTED ]; then
    while read -r file line; do
        path=suites/data/traces/bad/$file
        expect_error "trace $file -> $path:$line" "$path:$line: " trace --alloc malloc "$path"
    done <suites/data/traces/bad/EXPECTED
fi
expect_error "missing graph file" "suites/data/heaps/nope.graph: cannot open" heap suites/data/heaps/nope.graph
expect_error "unknown verb" "heaplab: unknown verb" frobnicate
expect_error "no verb" "usage: heaplab" 
expect_error "unknown flag" "heaplab heap: unknown option" heap --frob suites/data/heaps/tiny.graph
expect_error "flag without value" "heaplab heap: --repeat" heap --repeat
expect_error "bad repeat" "heaplab heap: --repeat" heap --repeat 0 suites/data/heaps/tiny.graph
expect_error "unknown allocator" "heaplab heap: unknown allocator 'nosuch'" heap --alloc nosuch suites/data/heaps/tiny.graph
expect_error "unknown collector" "heaplab heap: unknown collector 'nosuch'" heap --gc nosuch suites/data/heaps/tiny.graph
expect_error "wrapper without inner" "heaplab test: 'debug' is a wrapper" test --alloc debug
expect_error "bad failafter" "heaplab test: cannot create allocator" test --alloc failafter=x:malloc
expect_error "bad stw threshold" "heaplab test: cannot create collector" test --gc stw=-1
expect_error "unknown suite" "heaplab test: unknown suite" test --suite nosuch
expect_error "list takes no arguments" "heaplab list: takes no arguments" list extra
# Binary garbage and a gzip stream cut short are malformed input, not crashes.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
head -c 4096 /dev/urandom >"$tmp/random.graph"
expect_error "random bytes" "$tmp/random.graph:" heap "$tmp/random.graph"
gzip -c suites/data/heaps/tiny.graph | head -c 60 >"$tmp/cut.graph.gz"
expect_error "truncated gzip" "$tmp/cut.graph.gz:" heap "$tmp/cut.graph.gz"
tap_done
