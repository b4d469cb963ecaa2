#!/usr/bin/env bash
# `heaplab python`: real programs give exactly python3.11's output on
# heaplab's allocators, every process writes a stats line with validate ok,
# the allocator reaches child processes (-E, -I, empty environment),
# CPython's debug hooks go on top when PYTHONMALLOC asks for them, and
# malformed use stops before Python starts.
cd "$(dirname "$0")/.." || exit 1
. tests/tap.sh
launcher=$(dirname "$HEAPLAB_BIN")/heaplab-python
if [ ! -x "$launcher" ]; then
    echo "1..0 # SKIP no $launcher (needs libpython3.11-dev; not built for ARM)"
    exit 0
fi
py=/usr/bin/python3.11
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export PYTHONHASHSEED=0

# Every stats line of a file has validate ok and made calls; $2 lines at least.
stats_ok() {
    local file=$1 want=$2 n=0 line
    [ -s "$file" ] || return 1
    while IFS= read -r line; do
        n=$((n + 1))
        [ "$(json_field "$line" validate)" = '"ok"' ] || { echo "# $line"; return 1; }
        [ "$(json_field "$line" malloc_calls)" -gt 0 ] || { echo "# $line"; return 1; }
        [ "$(json_field "$line" errors_detected)" = 0 ] || { echo "# $line"; return 1; }
    done <"$file"
    [ "$n" -ge "$want" ]
}

# ---- the same output as python3.11 ----
printf '[{"b": [1, 2.5, null], "a": "\\u00e9"}, {"c": {}}]' >"$tmp/in.json"
programs=()
for p in tests/programs/*.py; do programs+=("$p"); done
programs+=("-m json.tool --sort-keys $tmp/in.json" "-m tokenize /usr/lib/python3.11/textwrap.py"
           "-m ast /usr/lib/python3.11/bisect.py" "-m calendar 2026"
           "suites/data/traces/programs/json_re.py" "suites/data/heaps/programs/dom.py")
for prog in "${programs[@]}"; do
    # shellcheck disable=SC2086
    $py $prog >"$tmp/want" 2>"$tmp/want.err"
    want_rc=$?
    for alloc in freelist_pool bitmap_pool debug:bitmap_pool; do
        for domains in obj obj,mem; do
            rm -f "$tmp/stats"
            # shellcheck disable=SC2086
            heaplab python --alloc "$alloc" --domains "$domains" --stats "$tmp/stats" -- \
                $prog >"$tmp/got" 2>"$tmp/got.err"
            rc=$?
            check "same output as python3.11: $prog [$alloc $domains]" \
                test "$rc" = "$want_rc" -a -s "$tmp/want" && cmp -s "$tmp/want" "$tmp/got"
            check "stats: validate ok, calls made: $prog [$alloc $domains]" stats_ok "$tmp/stats" 1
        done
    done
done

# ---- exit status and the baseline ----
heaplab python --alloc freelist_pool -- -c 'import sys; print("x"); sys.exit(7)' >"$tmp/out"
check "sys.exit(7) under -c exits 7" test $? = 7 -a "$(cat "$tmp/out")" = x
heaplab python --alloc bitmap_pool -- -c 'raise KeyError(1)' 2>"$tmp/err"
check "an uncaught exception exits 1 with its traceback" test $? = 1
check "  ... and the traceback is on stderr" grep -q KeyError "$tmp/err"
rm -f "$tmp/stats"
heaplab python --alloc freelist_pool --stats "$tmp/stats" -- -c 'import sys; sys.exit(3)'
check "sys.exit still writes the stats line (C atexit)" stats_ok "$tmp/stats" 1
rm -f "$tmp/stats"
heaplab python --alloc cpython --stats "$tmp/stats" -- -c 'print(1)' >/dev/null
line=$(cat "$tmp/stats")
check "cpython baseline: one line, calls unknown, validate n/a" \
    test "$(json_field "$line" malloc_calls)" = null -a "$(json_field "$line" validate)" = '"n/a"'

# ---- children run the same allocator ----
rm -f "$tmp/stats"
cat >"$tmp/children.py" <<'PY'
import os, subprocess, sys
code = "import sys; print(sys.executable)"
outs = {subprocess.run([sys.executable, *flags, "-c", code], env=env,
                       capture_output=True, text=True, check=True).stdout.strip()
        for flags, env in (((), None), (("-E",), None), (("-I",), None), (("-I",), {}))}
print(len(outs), outs == {sys.executable})
fds = []
for f in os.listdir("/proc/self/fd"):
    try:
        fds.append(os.readlink("/proc/self/fd/" + f))
    except OSError:
        pass                            # listdir's own descriptor, closed by now
print(any("stats" in f for f in fds))
PY
out=$(heaplab python --alloc bitmap_pool --domains obj,mem --stats "$tmp/stats" -- "$tmp/children.py")
check "children (plain, -E, -I, -I with empty env) run sys.executable" \
    test "$out" = "$(printf '1 True\nFalse')"
check "five processes, five stats lines, all validate ok" stats_ok "$tmp/stats" 5
check "  ... all on bitmap_pool obj,mem" \
    test "$(grep -c '"allocator": "bitmap_pool", "domains": "obj,mem"' "$tmp/stats")" = 5
rm -f "$tmp/stats"
heaplab python --alloc freelist_pool --stats "$tmp/stats" -- -m test -j2 test_bisect test_heapq \
    >"$tmp/out" 2>&1
check "regrtest -j2 workers: passes" test $? = 0
check "  ... three processes (runner + 2 workers) wrote stats, validate ok" stats_ok "$tmp/stats" 3

# ---- CPython's debug hooks on top of heaplab's allocator ----
for how in PYTHONMALLOC=debug PYTHONMALLOC=pymalloc_debug PYTHONDEVMODE=1; do
    rm -f "$tmp/stats"
    env "$how" "$HEAPLAB_BIN" python --alloc freelist_pool --domains obj,mem --stats "$tmp/stats" \
        -- -c 'import _testcapi' 2>/dev/null
    check "$how: heaplab's allocator still underneath (calls counted)" stats_ok "$tmp/stats" 1
    (env "$how" "$HEAPLAB_BIN" python --alloc freelist_pool --domains obj,mem \
        -- -c 'import _testcapi; _testcapi.pymem_buffer_overflow()' 2>"$tmp/err") 2>/dev/null
    rc=$?
    check "$how: CPython's hooks on top catch a buffer overflow" \
        test "$rc" = 134 -a -n "$(grep 'FORBIDDENBYTE' "$tmp/err")"
done
heaplab python --alloc freelist_pool --domains obj,mem -- -c 'import _testcapi; _testcapi.pymem_buffer_overflow(); print("unchecked")' >"$tmp/out" 2>/dev/null
check "without PYTHONMALLOC no hooks are added" grep -q unchecked "$tmp/out"

# ---- malformed use: exit 2, usage, nothing on stdout, Python never started ----
marker="$tmp/started"
while IFS='|' read -r name args; do
    [ -n "$name" ] || continue
    # shellcheck disable=SC2086
    heaplab python $args -- -c "open('$marker', 'w')" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    check "malformed: $name exits 2 with usage, Python not started" \
        test "$rc" = 2 -a ! -s "$tmp/out" -a ! -e "$marker"
    check "  ... $name: the message says usage" grep -q "usage: heaplab python" "$tmp/err"
done <<'CASES'
unknown allocator|--alloc no_such_pool
pymalloc|--alloc pymalloc
pymalloc under a wrapper|--alloc debug:pymalloc
wrapper without an allocator|--alloc debug
bad failafter count|--alloc failafter=0:freelist_pool
empty spec|--alloc=
--domains raw|--domains raw
--domains mem,obj|--domains mem,obj
--domains empty|--domains=
unknown option|--allocator freelist_pool
empty --stats|--stats=
CASES
heaplab python --alloc >"$tmp/out" 2>"$tmp/err"
check "malformed: --alloc without a value exits 2" test $? = 2 -a ! -s "$tmp/out"
tap_done
