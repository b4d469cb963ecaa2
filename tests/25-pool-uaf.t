#!/usr/bin/env bash
# Memory checkers see into the pools (allocators/pool_track.h): a planted
# use after free of a 48-byte object on freelist_pool and bitmap_pool is
# reported by AddressSanitizer (a build of allocators/ with -fsanitize=address,
# as make SAN=1 builds it) and by valgrind's memcheck (a build with
# HL_VALGRIND=1, as make VALGRIND=1 builds it), each report naming the freed
# block's address; and a churn of every kind of request, validate, a heap walk
# and a destroy with blocks still live is reported by neither.  The program is
# tests/pool_uaf.c, built here from the sources with the host compiler.
cd "$(dirname "$0")/.." || exit 1
. tests/tap.sh

work=$(mktemp -d "${TMPDIR:-/tmp}/heaplab-uaf.XXXXXX")
trap 'rm -rf "$work"' EXIT
cflags="-std=c11 -D_GNU_SOURCE -O1 -g -fno-omit-frame-pointer -Ibase -Iallocators"
build() { # build NAME EXTRA-FLAGS...
    local name=$1
    shift
    cc $cflags "$@" -o "$work/$name" tests/pool_uaf.c allocators/*.c base/*.c -ldl -lz \
        2>"$work/$name.log" ||
        { cat "$work/$name.log" >&2; return 1; }
}
check "the program builds with AddressSanitizer" build asan -fsanitize=address
check "the program builds for memcheck (HL_VALGRIND=1)" build memcheck -DHL_VALGRIND=1

# The freed block's address plus 8, as the checker prints it ("0x" and hex).
planted_address() {
    local p
    p=$(sed -n 's/^freed block 0x\([0-9a-f]*\)$/\1/p' "$1")
    [ -n "$p" ] && printf '0x%x' $((16#$p + 8))
}

asan_reports() { # asan_reports SPEC read|write
    local out=$work/asan-$1-$2
    ASAN_OPTIONS=detect_leaks=0 "$work/asan" "$1" "$2" >"$out.stdout" 2>"$out.stderr" && return 1
    local address access=READ
    [ "$2" = write ] && access=WRITE
    address=$(planted_address "$out.stdout") || return 1
    grep -q "ERROR: AddressSanitizer: use-after-poison on address $address" "$out.stderr" &&
        grep -q "^$access of size 1 at $address" "$out.stderr" &&
        grep -q "in main .*pool_uaf.c" "$out.stderr" ||
        { head -20 "$out.stderr" >&2; return 1; }
}

memcheck_reports() { # memcheck_reports SPEC read|write
    local out=$work/memcheck-$1-$2
    valgrind --tool=memcheck --error-exitcode=3 "$work/memcheck" "$1" "$2" \
        >"$out.stdout" 2>"$out.stderr"
    [ $? -eq 3 ] || return 1
    local address access=read
    [ "$2" = write ] && access=write
    address=$(planted_address "$out.stdout") || return 1
    grep -q "Invalid $access of size 1" "$out.stderr" &&
        grep -q "Address $address is" "$out.stderr" &&
        grep -q "ERROR SUMMARY: 1 errors" "$out.stderr" ||
        { head -20 "$out.stderr" >&2; return 1; }
}

clean_under_asan() {
    "$work/asan" "$1" clean >/dev/null 2>"$work/asan-clean.stderr" ||
        { head -20 "$work/asan-clean.stderr" >&2; return 1; }
}

clean_under_memcheck() {
    valgrind -q --tool=memcheck --leak-check=full --errors-for-leak-kinds=definite \
        --error-exitcode=3 "$work/memcheck" "$1" clean >/dev/null 2>"$work/vg-clean.stderr" ||
        { head -20 "$work/vg-clean.stderr" >&2; return 1; }
}

for spec in freelist_pool bitmap_pool; do
    for access in read write; do
        check "ASan reports a $access after free inside $spec" asan_reports $spec $access
        check "memcheck reports a $access after free inside $spec" memcheck_reports $spec $access
    done
done
for spec in freelist_pool bitmap_pool debug:freelist_pool "freelist_pool=4096,4096" \
    "bitmap_pool=4096,4096"; do
    check "ASan reports nothing on a clean run of $spec" clean_under_asan "$spec"
    check "memcheck reports nothing on a clean run of $spec" clean_under_memcheck "$spec"
done
tap_done
