#!/usr/bin/env bash
# Real allocation traces replay with --check and no errors on every
# available allocator and on the wrappers over the pools.
cd "$(dirname "$0")/.." || exit 1
. tests/tap.sh
allocs=$(heaplab list | sed -n '/^allocators/,/^collectors/p' |
    awk 'NR>1 && /^  [a-z]/ && $2 != "wrapper" {print $1}')
available=""
for a in $allocs; do
    heaplab list | grep -A1 "^  $a " | grep -q unavailable || available="$available $a"
done
for pool in freelist_pool bitmap_pool; do
    [[ " $available " == *" $pool "* ]] && available="$available debug:$pool failafter=1000000000:$pool"
done
traces=(suites/data/traces/*.trace.gz)
# Emulated and sanitizer runs check one trace per allocator, in turn.
i=0
for alloc in $available; do
    if [ -n "$HEAPLAB_RUN$HEAPLAB_QUICK" ]; then
        set -- "${traces[$((i % ${#traces[@]}))]}"
    else
        set -- "${traces[@]}"
    fi
    i=$((i + 1))
    for trace in "$@"; do
        line=$(heaplab trace --check --alloc "$alloc" "$trace")
        rc=$?
        errors=$(json_field "$line" errors)
        check "trace --check $(basename "$trace") [$alloc]: $errors errors" \
            test "$rc" = 0 -a "$errors" = 0
    done
done
tap_done
