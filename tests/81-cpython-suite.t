#!/usr/bin/env bash
# CPython's own regression tests (tests/cpython-tests.txt) on heaplab's
# allocators under build/heaplab-python: every module must pass, and every
# process it starts must end with validate ok and no error found by a
# checking wrapper.  Two modules run at a time.
cd "$(dirname "$0")/.." || exit 1
. tests/tap.sh
launcher=$(dirname "$HEAPLAB_BIN")/heaplab-python
if [ ! -x "$launcher" ] || [ ! -d /usr/lib/python3.11/test ]; then
    echo "1..0 # SKIP needs $launcher and libpython3.11-testsuite"
    exit 0
fi
HEAPLAB_BIN=$(cd "$(dirname "$HEAPLAB_BIN")" && pwd)/$(basename "$HEAPLAB_BIN")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mapfile -t modules < <(grep -v '^#' tests/cpython-tests.txt | grep .)
# Each configuration: ALLOC DOMAINS.  The sanitizer and ARM builds
# (HEAPLAB_QUICK) run two of the six.
configs=("freelist_pool obj" "freelist_pool obj,mem" "bitmap_pool obj" "bitmap_pool obj,mem"
         "debug:freelist_pool obj" "debug:freelist_pool obj,mem")
[ -n "${HEAPLAB_QUICK:-}" ] && configs=("freelist_pool obj,mem" "debug:freelist_pool obj")

# One run: ALLOC DOMAINS MODULE -> $tmp/ALLOC.DOMAINS.MODULE.{rc,out,stats}
run_one() {
    local alloc=$1 domains=$2 module=$3 base
    base="$tmp/${alloc//:/_}.$domains.$module"
    (cd "$tmp" && "$HEAPLAB_BIN" python --alloc "$alloc" --domains "$domains" \
        --stats "$base.stats" -- -m test --timeout 600 "$module") >"$base.out" 2>&1
    echo $? >"$base.rc"
}
export -f run_one
export tmp HEAPLAB_BIN

for config in "${configs[@]}"; do
    for module in "${modules[@]}"; do
        echo "$config $module"
    done
done | xargs -P 2 -n 3 bash -c 'run_one "$@"' _

stats_ok() {
    local file=$1 line n=0
    [ -s "$file" ] || return 1
    while IFS= read -r line; do
        n=$((n + 1))
        [ "$(json_field "$line" validate)" = '"ok"' ] || { echo "# $line" | cut -c1-300; return 1; }
        [ "$(json_field "$line" errors_detected)" = 0 ] || return 1
        [ "$(json_field "$line" malloc_calls)" -gt 0 ] || return 1
    done <"$file"
}

for config in "${configs[@]}"; do
    read -r alloc domains <<<"$config"
    for module in "${modules[@]}"; do
        base="$tmp/${alloc//:/_}.$domains.$module"
        rc=$(cat "$base.rc")
        if [ "$rc" = 0 ] && grep -q "Tests result: SUCCESS" "$base.out"; then
            ok "$module [$alloc $domains]"
        else
            not_ok "$module [$alloc $domains] (exit $rc)"
            tail -n 15 "$base.out" | sed 's/^/# /'
        fi
        n=$(wc -l <"$base.stats" 2>/dev/null || echo 0)
        check "$module [$alloc $domains]: validate ok in all $n processes" \
            stats_ok "$base.stats"
    done
done
tap_done
