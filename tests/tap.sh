# tests/tap.sh — a few lines of TAP for the shell tests; sourced, not run.
#
# HEAPLAB_BIN is the binary under test and HEAPLAB_RUN a prefix to run it
# (qemu-aarch64 for the ARM build); both come from the Makefile.

HEAPLAB_BIN=${HEAPLAB_BIN:-build/heaplab}
heaplab() { $HEAPLAB_RUN "$HEAPLAB_BIN" "$@"; }

tap_n=0
tap_failed=0
ok() { tap_n=$((tap_n + 1)); echo "ok $tap_n - $*"; }
not_ok() { tap_n=$((tap_n + 1)); tap_failed=$((tap_failed + 1)); echo "not ok $tap_n - $*"; }
check() { # check NAME COMMAND...: ok when the command succeeds
    local name=$1
    shift
    if "$@"; then ok "$name"; else not_ok "$name"; fi
}
tap_done() { echo "1..$tap_n"; [ "$tap_failed" -eq 0 ]; }

# A JSON field of one heaplab output line (numbers and null only).
json_field() { sed -n "s/.*\"$2\": *\([^,}]*\).*/\1/p" <<<"$1"; }
