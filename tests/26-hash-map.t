#!/usr/bin/env bash
# base/hash_map.h, the table under the debug allocator's block table and the
# trace loader's ID map: tests/hash_map.c runs random inserts, finds and
# removes against a reference array, validating after every step, with
# keys shaped as the two users' are (IDs + 1, 16-byte-aligned addresses)
# and random keys, whose probe runs collide, wrap around and are shifted
# back; then validate must catch a planted unreachable key and a wrong
# count.
cd "$(dirname "$0")/.." || exit 1
. tests/tap.sh

work=$(mktemp -d "${TMPDIR:-/tmp}/heaplab-hash-map.XXXXXX")
trap 'rm -rf "$work"' EXIT
cflags="-std=c11 -D_GNU_SOURCE -O1 -g -Wall -Wextra -Werror -Ibase -DHL_DEBUG=2"
check "the program builds (assertion level 2)" \
    cc $cflags -o "$work/hash_map" tests/hash_map.c base/debug.c
for args in "40 1 1" "1000 16 2" "100000 16 3" "7 0 4" "60 0 5" "3000 0 6" "100000 0 7"; do
    check "keys, stride, seed = $args: the map agrees with the reference; validate catches damage" \
        "$work/hash_map" $args
done
tap_done
