#!/usr/bin/env bash
# tools/fuzz_seeds.sh DIR — the seed corpora of `make fuzz-parsers`:
# DIR/graph and DIR/trace, made of the shipped files (small ones whole,
# large ones cut to their first lines, each also decompressed) and the
# malformed-input test files.
set -euo pipefail
out=$1
rm -rf "$out"
mkdir -p "$out/graph" "$out/trace"
seed() { # KIND FILE
    local kind=$1 file=$2 name
    name=$(basename "$file")
    if [ "$(head -c 2 "$file" | od -An -tx1 | tr -d ' ')" = 1f8b ]; then
        gzip -dc "$file" | head -n 300 >"$out/$kind/$name.head" || true
        gzip -dc "$file" | head -n 40 | gzip -c >"$out/$kind/$name.head.gz" || true
    elif [ "$(stat -c %s "$file")" -le 65536 ]; then
        cp "$file" "$out/$kind/$name"
    else
        head -n 300 "$file" >"$out/$kind/$name.head"
    fi
}
for f in suites/data/heaps/*.graph* suites/data/heaps/bad/*.graph; do seed graph "$f"; done
for f in suites/data/traces/*.trace* suites/data/traces/bad/*.trace; do seed trace "$f"; done
for f in fuzz/crashes/graph/* fuzz/regressions/graph/*; do [ -f "$f" ] && seed graph "$f"; done
for f in fuzz/crashes/trace/* fuzz/regressions/trace/*; do [ -f "$f" ] && seed trace "$f"; done
echo "fuzz seeds: $(ls "$out/graph" | wc -l) graph, $(ls "$out/trace" | wc -l) trace files in $out"
