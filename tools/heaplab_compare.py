#!/usr/bin/python3
"""heaplab compare [--cpu] OLD.json NEW.json — run by `heaplab compare`.

Google Benchmark's own comparison (compare.py's gbench package, Debian
libbenchmark-tools, with scipy for the U test) does the statistics: its
partition_benchmarks groups the runs of each benchmark present in both
files, its calc_utest gives the two-sided Mann-Whitney U p-value where both
sides have at least two repetitions.  This script adds what heaplab needs
on top: the input checks heaplab applies to every file (FILE:LINE, exit 2),
median times, a geometric-mean line, heaplab's counters (peak_live_bytes,
peak_rss_kib, ... — the user counters of Google Benchmark's JSON) and
Markdown in which any benchmark name prints safely.

Exit status: 0 done, 1 the comparison could not run (gbench or scipy
missing), 2 malformed input.
"""
import json
import math
import statistics
import sys

GBENCH_DIR = "/usr/share/benchmark"  # Debian's libbenchmark-tools
STANDARD_KEYS = {
    "name", "family_index", "per_family_instance_index", "run_name", "run_type",
    "repetitions", "repetition_index", "threads", "iterations", "real_time", "cpu_time",
    "time_unit", "aggregate_name", "aggregate_unit", "label", "error_occurred",
    "error_message", "items_per_second", "bytes_per_second",
}
TIME_UNITS = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}


class Malformed(Exception):
    def __init__(self, line, what):
        super().__init__(what)
        self.line = line


def time_value_lines(text):
    """Lines of the values of every "real_time" and "cpu_time" key, with the
    raw token, found by a scan that skips string contents: json.loads reads
    NaN, Infinity and 1e999 as floats and gives no positions."""
    found = []
    i, line, n = 0, 1, len(text)
    last_string, key = None, None
    while i < n:
        c = text[i]
        if c == "\n":
            line += 1
        elif c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            last_string = text[i + 1:j]
            i = j
        elif c == ":":
            key = last_string
        elif c in ",{}[]":
            key = None
        elif not c.isspace() and key in ("real_time", "cpu_time"):
            j = i
            while j < n and text[j] not in ",}] \t\r\n":
                j += 1
            found.append((line, key, text[i:j]))
            key = None
            i = j
            continue
        i += 1
    return found


def load(path):
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError as e:
        raise Malformed(None, "cannot open: %s" % e.strerror)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise Malformed(raw.count(b"\n", 0, e.start) + 1, "not UTF-8 text")
    for line, key, token in time_value_lines(text):
        try:
            value = float(token)
        except ValueError:
            value = math.nan
        if not math.isfinite(value) or token in ("NaN", "Infinity", "-Infinity"):
            raise Malformed(line, "%s is %s, not a finite number" % (key, token[:40]))
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        raise Malformed(e.lineno, e.msg)
    except RecursionError:
        raise Malformed(1, "nested too deeply")
    if not isinstance(doc, dict) or not isinstance(doc.get("benchmarks"), list):
        raise Malformed(1, 'expected an object with a "benchmarks" array '
                           "(Google Benchmark's JSON output)")
    for b in doc["benchmarks"]:
        if not isinstance(b, dict):
            raise Malformed(1, "a benchmarks entry is not an object")
        name = b.get("name")
        if not isinstance(name, str):
            raise Malformed(1, 'a benchmark without a string "name"')
        for key in ("real_time", "cpu_time"):
            v = b.get(key)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or v < 0:
                raise Malformed(1, "benchmark %s: %s is not a non-negative number"
                                % (shown(name), key))
        if b.get("time_unit", "ns") not in TIME_UNITS:
            raise Malformed(1, "benchmark %s: unknown time_unit" % shown(name))
    return doc


def shown(name):
    """A name as Markdown table text: control characters, backslashes and
    '|' escaped, so every name stays on its row and in its cell."""
    out = []
    for ch in name:
        if ch == "\\":
            out.append("\\\\")
        elif ch == "|":
            out.append("\\|")
        elif ch == "\n":
            out.append("\\n")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append("\\x%02x" % ord(ch))
        else:
            out.append(ch)
    return "".join(out)


def runs_of(doc):
    """Benchmarks with their usable runs: iterations, or else (files written
    with --benchmark_report_aggregates_only) the median, else the mean
    aggregate.  Failed runs (error_occurred) are left out."""
    usable = [b for b in doc["benchmarks"] if not b.get("error_occurred")]
    iterations = [b for b in usable if b.get("run_type", "iteration") == "iteration"]
    names = {b["name"] for b in iterations}
    for wanted in ("median", "mean"):
        for b in usable:
            if b.get("run_type") == "aggregate" and b.get("aggregate_name") == wanted:
                base = b.get("run_name", b["name"])
                if base not in names:
                    iterations.append(dict(b, name=base))
                    names.add(base)
    return {"benchmarks": iterations}


def ns(b, key):
    return b[key] * TIME_UNITS[b.get("time_unit", "ns")]


def fmt_time(v):
    if v < 1e3:
        return "%.2f ns" % v
    if v < 1e6:
        return "%.2f µs" % (v / 1e3)
    if v < 1e9:
        return "%.2f ms" % (v / 1e6)
    return "%.3f s" % (v / 1e9)


def counters(runs):
    keys = {}
    for b in runs:
        for k, v in b.items():
            if k not in STANDARD_KEYS and isinstance(v, (int, float)) and not isinstance(v, bool) \
                    and math.isfinite(v):
                keys.setdefault(k, []).append(v)
    return {k: statistics.median(v) for k, v in keys.items()}


def main(argv):
    cpu = False
    args = argv[1:]
    if args and args[0] == "--cpu":
        cpu = True
        args = args[1:]
    if len(args) != 2:
        print("usage: heaplab_compare.py [--cpu] OLD.json NEW.json", file=sys.stderr)
        return 2
    docs = []
    for path in args:
        try:
            docs.append(runs_of(load(path)))
        except Malformed as e:
            where = "%s:%d" % (path, e.line) if e.line else path
            print("%s: %s" % (where, e), file=sys.stderr)
            return 2
    sys.path.insert(0, GBENCH_DIR)
    try:
        from gbench import report
    except ImportError as e:
        print("heaplab compare: needs Google Benchmark's compare.py (Debian "
              "libbenchmark-tools) and python3-scipy: %s" % e, file=sys.stderr)
        return 1
    key = "cpu_time" if cpu else "real_time"
    print("# %s: `%s` against `%s`\n" % (key, shown(args[1]), shown(args[0])))
    print("| benchmark | old | new | new/old | p (U test) | runs |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    log_sum, compared, counter_rows = 0.0, 0, []
    partitions = report.partition_benchmarks(docs[0], docs[1])
    for old_runs, new_runs in partitions:
        name = old_runs[0]["name"]
        old = statistics.median(ns(b, key) for b in old_runs)
        new = statistics.median(ns(b, key) for b in new_runs)
        ratio = "n/a"
        if old > 0 and new > 0:
            ratio = "%.3f" % (new / old)
            log_sum += math.log(new / old)
            compared += 1
        p = "–"
        if all(b.get("run_type", "iteration") == "iteration" for b in old_runs + new_runs):
            timings = [[b[key] for b in old_runs], [b[key] for b in new_runs]]
            _, cpu_p, real_p = report.calc_utest(timings, timings)
            pvalue = cpu_p if cpu else real_p
            if pvalue is not None and not math.isnan(pvalue):
                p = "<0.001" if pvalue < 0.001 else "%.3f" % pvalue
        print("| %s | %s | %s | %s | %s | %d/%d |" % (
            shown(name), fmt_time(old), fmt_time(new), ratio, p, len(old_runs), len(new_runs)))
        old_c, new_c = counters(old_runs), counters(new_runs)
        for c in sorted(set(old_c) & set(new_c)):
            if old_c[c] != new_c[c]:
                counter_rows.append((name, c, old_c[c], new_c[c]))
    if compared:
        print("\nGeometric mean of new/old over %d benchmarks: **%.3f**"
              % (compared, math.exp(log_sum / compared)))
    else:
        print("\nNo benchmark is in both files.")
    if counter_rows:
        print("\n## Counters that differ (medians)\n")
        print("| benchmark | counter | old | new | new/old |")
        print("| --- | --- | ---: | ---: | ---: |")
        for name, c, o, n in counter_rows:
            r = "%.3f" % (n / o) if o else "n/a"
            print("| %s | %s | %.6g | %.6g | %s |" % (shown(name), shown(c), o, n, r))
    names = [set(b["name"] for b in d["benchmarks"]) for d in docs]
    only_old, only_new = len(names[0] - names[1]), len(names[1] - names[0])
    if only_old or only_new:
        print("\n%d benchmarks only in old, %d only in new." % (only_old, only_new))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
