#!/usr/bin/env bash
# tools/deps.sh [test|arm|bench|bench-arm|fuzz|all] — installs the Debian packages heaplab
# needs for that job, if any are missing.  Run as root it installs them
# with apt-get; otherwise it prints the exact command and fails.
set -euo pipefail

kind=${1:-test}

# Building and `make test`: compiler, zlib for gzip input, python3 for the
# capture tools, and the shared libraries of the reference allocators, which
# heaplab loads at run time (a missing one only shows as unavailable);
# valgrind for tests/25-pool-uaf.t (memcheck, and the client-request headers
# valgrind/valgrind.h and memcheck.h that make VALGRIND=1 compiles in);
# `heaplab compare` runs on Google Benchmark's compare.py package
# (libbenchmark-tools) with scipy's Mann-Whitney U test; libpython3.11-dev
# (the static libpython of build/heaplab-python) and libpython3.11-testsuite
# (CPython's regression tests, tests/81-cpython-suite.t).
test_pkgs="gcc make libc6-dev zlib1g-dev python3 perl valgrind
           libjemalloc2 libmimalloc2.0 libtcmalloc-minimal4 libpython3.11
           libpython3.11-dev libpython3.11-testsuite libbenchmark-tools python3-scipy"
# `make test-arm`: the cross compiler, qemu, and zlib for arm64.
arm_pkgs="gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user zlib1g-dev:arm64"
# `make bench`: Google Benchmark, bdwgc, hyperfine, gnuplot, valgrind.
bench_pkgs="g++ libbenchmark-dev libgc-dev hyperfine gnuplot-nox valgrind"
# `make bench-arm`: the benchmark binary cross-built for aarch64.
bench_arm_pkgs="g++-aarch64-linux-gnu libbenchmark-dev:arm64 libgc-dev:arm64"
# `make fuzz-parsers`: clang with libFuzzer and the sanitizer runtimes.
fuzz_pkgs="clang-14 libclang-rt-14-dev"

case "$kind" in
test) want=$test_pkgs ;;
arm) want="$test_pkgs $arm_pkgs" ;;
bench) want="$test_pkgs $bench_pkgs" ;;
bench-arm) want="$test_pkgs $arm_pkgs $bench_pkgs $bench_arm_pkgs" ;;
fuzz) want="$test_pkgs $fuzz_pkgs" ;;
all) want="$test_pkgs $arm_pkgs $bench_pkgs $bench_arm_pkgs $fuzz_pkgs" ;;
*)
    echo "usage: tools/deps.sh [test|arm|bench|bench-arm|fuzz|all]" >&2
    exit 2
    ;;
esac

missing=()
for pkg in $want; do
    if ! dpkg-query -W -f='${Status}\n' "$pkg" 2>/dev/null | grep -q '^install ok installed'; then
        missing+=("$pkg")
    fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

needs_arm64=false
for pkg in "${missing[@]}"; do
    [[ "$pkg" == *:arm64 ]] && needs_arm64=true
done

if [ "$(id -u)" != 0 ]; then
    echo "heaplab needs these Debian packages: ${missing[*]}" >&2
    $needs_arm64 && echo "  first: dpkg --add-architecture arm64" >&2
    echo "  install them with: apt-get update && apt-get install -y ${missing[*]}" >&2
    exit 1
fi

echo "installing: ${missing[*]}" >&2
if $needs_arm64 && ! dpkg --print-foreign-architectures | grep -qx arm64; then
    dpkg --add-architecture arm64
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >&2
apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
