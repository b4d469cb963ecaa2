#!/usr/bin/env bash
# The out-of-memory sweep, bounded: every runtime case runs again with its
# 1st, 2nd, ... allocation refused (failafter=k over the default pool), on
# every collector; each run must pass or stop cleanly with nothing leaked and
# every invariant intact.  `make test-oom` runs the unbounded sweep on every
# stack.
cd "$(dirname "$0")/.." || exit 1
. tests/tap.sh
bound=300
[ -n "$HEAPLAB_RUN$HEAPLAB_QUICK" ] && bound=60
exec $HEAPLAB_RUN "$HEAPLAB_BIN" test --quick --alloc freelist_pool --oom "$bound" \
    ${HEAPLAB_OOM_EXTRA:-}
