#!/usr/bin/env bash
# Real allocation traces replay with --check and no errors on every
# available allocator and on the wrappers over the pools.
cd "$(dirname "$0")/.." || exit 1
. tests/tap.sh
available=$(heaplab list --names | awk '$1 == "allocator" && $3 == "available" {printf "%s ", $2}')
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
