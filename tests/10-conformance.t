#!/usr/bin/env bash
# Every conformance suite on every stack (heaplab test prints TAP itself).
# Sanitizer and emulated runs use --quick: 2*10^5 instead of 10^6 objects.
cd "$(dirname "$0")/.." || exit 1
. tests/tap.sh
args=()
[ -n "$HEAPLAB_RUN" ] || [ "$HEAPLAB_QUICK" = 1 ] && args+=(--quick)
[ -n "$HEAPLAB_OOM" ] && args+=(--oom "$HEAPLAB_OOM")
exec $HEAPLAB_RUN "$HEAPLAB_BIN" test "${args[@]}"
