"""bench/tables.py — the tables and plots of one benchmark run's README.

Every table has implementations as rows and metrics as columns, and where it
compares, a ratio against a named baseline: freelist_pool (heaplab's default
pool, CPython's obmalloc design) for allocators, freelist_pool/stw
(CPython's collection algorithm on it) for collectors, CPython 3.11's own
gc.collect() for the recorded heaps.
"""
import gzip
import math
import os
import subprocess

ALLOC_BASELINE = "freelist_pool"
GC_BASELINE = "freelist_pool/stw"
DESIGN_BASELINE = "generational=3.13"  # CPython's collector again since 3.14.5
DESIGN_GOALS = "generational"  # what issue 10's pause and backlog goals are ratios of


def fmt_ns(ns):
    if ns is None or ns != ns:
        return "n/a"
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if ns >= scale:
            return "%.3g %s" % (ns / scale, unit)
    return "%.3g ns" % ns


def fmt(v, digits=3):
    if v is None or v != v:
        return "n/a"
    if abs(v) >= 10 ** digits:
        return "{:,.0f}".format(v)
    return "%.*g" % (digits, v)


def ratio(v, base):
    if v is None or base is None or not base or v != v or base != base:
        return "n/a"
    return "%.2f×" % (v / base)


def geomean(values):
    values = [v for v in values if v and v == v and v > 0]
    return math.exp(sum(map(math.log, values)) / len(values)) if values else None


def table(head, rows, numeric=True):
    """Markdown; columns after the first are right-aligned when numeric."""
    align = "---:" if numeric else "---"
    out = ["| " + " | ".join(head) + " |",
           "| " + " | ".join(["---"] + [align] * (len(head) - 1)) + " |"]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(out) + "\n"


def order(impls, first):
    """Baseline first, then the rest in the order given."""
    impls = list(dict.fromkeys(impls))
    return ([first] if first in impls else []) + [i for i in impls if i != first]


def pick(run, family, arg=None):
    """{implementation: run record} for one family (and argument)."""
    return {r["impl"]: r for r in run["runs"]
            if r["family"] == family and (arg is None or r["arg"] == arg) and "error" not in r}


def counter(rec, name):
    return rec["counters"].get(name) if rec else None


# ---- plots --------------------------------------------------------------------

# Sixteen distinguishable colours, so that no two series share one (gnuplot's
# own cycle repeats after eight).
COLOURS = ["#4477aa", "#ee6677", "#228833", "#ccbb44", "#66ccee", "#aa3377", "#bbbbbb",
           "#000000", "#ee7733", "#0077bb", "#33bbee", "#009988", "#cc3311", "#ee3377",
           "#882255", "#999933"]
LINETYPES = "\n".join("set linetype %d lc rgb '%s' lw 2" % (i + 1, c)
                       for i, c in enumerate(COLOURS))

def gnuplot(path, script):
    """Runs gnuplot; returns the file name on success, None otherwise."""
    try:
        subprocess.run(["gnuplot"], input=script, text=True, check=True,
                       capture_output=True, timeout=120)
    except (OSError, subprocess.SubprocessError):
        return None
    return os.path.basename(path)


def bars(path, title, ylabel, groups, series, value, log=False):
    """Clustered bars: one cluster per group, one bar per series."""
    lines = ["group " + " ".join('"%s"' % s for s in series)]
    for g in groups:
        cells = [value(g, s) for s in series]
        lines.append('"%s" ' % g + " ".join("%.6g" % c if c and c == c else "NaN" for c in cells))
    script = """set terminal svg size 960,420 dynamic noenhanced font 'sans,11' background '#ffffff'
set output '%s'
set title '%s'
set ylabel '%s'
%s
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set key outside right top
set grid ytics
set xtics nomirror rotate by -20
%s
$d << EOD
%s
EOD
plot for [i=2:%d] $d using i:xtic(1) title columnheader(i)
""" % (path, title, ylabel, LINETYPES, "set logscale y" if log else "set yrange [0:*]",
       "\n".join(lines), len(series) + 1)
    return gnuplot(path, script)


def curves(path, title, xlabel, ylabel, named_points, logx=True):
    """Lines, one per name, from [(x, y), ...]."""
    blocks, plots = [], []
    for i, (name, points) in enumerate(named_points.items()):
        blocks.append("$c%d << EOD\n%s\nEOD" % (i, "\n".join("%.6g %.6g" % p for p in points)))
        plots.append("$c%d using 1:2 with lines lw 2 title '%s'" % (i, name))
    if not plots:
        return None
    script = """set terminal svg size 960,420 dynamic noenhanced font 'sans,11' background '#ffffff'
set output '%s'
set title '%s'
set xlabel '%s'
set ylabel '%s'
%s
set grid
set key outside right top
%s
%s
plot %s
""" % (path, title, xlabel, ylabel, "set logscale x" if logx else "", LINETYPES,
       "\n".join(blocks), ", ".join(plots))
    return gnuplot(path, script)


def read_csv(path):
    with open(path) as f:
        next(f)
        return [[float(x) for x in line.split(",")] for line in f if line.strip()]


# ---- sections -----------------------------------------------------------------

def counters_available(run):
    """Hardware counters: `perf stat` can count, or heaplab-bench could open
    them itself (perf_event_open, bench/perf.c) — either one suffices."""
    said = run["context"].get("heaplab_perf_counters", "")
    return run["machine"]["perf_counters"] or said.startswith("yes")


def machine_section(run):
    m, ctx = run["machine"], run["context"]
    pk = ", ".join("%s %s" % (k, v) for k, v in m["packages"].items() if v)
    counters = ("yes — cycles, instructions, cache misses and dTLB misses are in "
                "the CSV and the counter table below" if counters_available(run) else
                "**not available on this machine** (`perf stat -e instructions true` "
                "says `%s`; heaplab-bench's own perf_event_open: `%s`), so this run has "
                "no cycles, instructions, cache-miss or dTLB figures; `make bench-ci` "
                "counts instructions under callgrind instead"
                % (m["perf_stat_says"], ctx.get("heaplab_perf_counters", "?")))
    rows = [("CPU", "%s, %d cores%s" % (m["cpu"], m["cores"],
                                        ", virtual machine" if m.get("virtual_machine") else "")),
            ("memory", "%s GiB" % m["memory_gib"]),
            ("system", "%s, Linux %s" % (m["os"], m["kernel"])),
            ("compilers", "%s; %s" % (m["cc"], m["cxx"])),
            ("libraries", pk),
            ("load average at start", " ".join("%.2f" % x for x in m["load_average"])),
            ("1-minute load as each part started", ", ".join(
                "%s %.1f" % (k, v) for k, v in ctx.get("heaplab_load_at_part_start", {}).items()
                if v is not None)),
            ("Google Benchmark", "library built as %s" % ctx.get("library_build_type", "?")),
            ("hardware counters", counters),
            ("commit", m.get("commit", "?"))]
    return "## Machine\n\n" + table(["", ""], rows, numeric=False)


def trace_section(run, plots):
    out = ["## Allocation: recorded traces\n"]
    files = sorted({r["family"].split("/")[1] for r in run["runs"]
                    if r["family"].startswith("alloc_trace/") and "error" not in r})
    if files:
        per = {f: pick(run, "alloc_trace/" + f) for f in files}
        impls = order([i for f in files for i in per[f]], ALLOC_BASELINE)
        rows = []
        for i in impls:
            ns = [per[f].get(i, {}).get("ns_per_op") for f in files]
            base = [per[f].get(ALLOC_BASELINE, {}).get("ns_per_op") for f in files]
            g = geomean([a / b for a, b in zip(ns, base) if a and b])
            rss = [counter(per[f].get(i), "peak_rss_kib") for f in files]
            mapped = [counter(per[f].get(i), "mapped_per_live") for f in files]
            rows.append([i] + [fmt(x) for x in ns] + ["%.2f×" % g if g else "n/a",
                         fmt(max([x for x in rss if x is not None], default=None)),
                         fmt(geomean(mapped)), fmt(counter(per[files[0]].get(i), "mapped_after_free"))])
        out.append("In-process replay (`alloc_trace`), ns per call, the loop alone; "
                   "ratio: geometric mean of ns/op against %s.  Peak RSS: the largest "
                   "growth over the traces; mapped/live: the allocator's peak mapped "
                   "bytes over the peak requested bytes (geometric mean); after free: "
                   "bytes still mapped once every block is freed (first trace).\n" % ALLOC_BASELINE)
        out.append(table(["allocator"] + ["%s ns/op" % f for f in files] +
                         ["vs %s" % ALLOC_BASELINE, "peak RSS KiB", "mapped/live",
                          "mapped after free"], rows))
        plots.append(("Recorded traces, in-process replay", bars(
            os.path.join(run["dir"], "traces.svg"), "Recorded traces: ns per allocator call",
            "ns/op", files, impls, lambda f, i: per[f].get(i, {}).get("ns_per_op"))))
    elif run["trace"]:
        out.append("The in-process replay (`alloc_trace`) did not run in this tree (see "
                   "*Benchmarks that did not run*); the figures below are the `trace` verb's, "
                   "which times the same loop.\n")
    if run["trace"]:
        files = list(dict.fromkeys(os.path.basename(t["file"]).split(".")[0] for t in run["trace"]))
        by = {(os.path.basename(t["file"]).split(".")[0], t["allocator"]): t for t in run["trace"]}
        impls = order([t["allocator"] for t in run["trace"]], ALLOC_BASELINE)
        rows = []
        for i in impls:
            ns = [by.get((f, i), {}).get("ns_per_op") for f in files]
            base = [by.get((f, ALLOC_BASELINE), {}).get("ns_per_op") for f in files]
            g = geomean([a / b for a, b in zip(ns, base) if a and b])
            rss = [by.get((f, i), {}).get("peak_rss_kib") for f in files]
            rows.append([i] + [fmt(x) for x in ns] + ["%.2f×" % g if g else "n/a"] +
                        [fmt(x) for x in rss])
        out.append("\n`heaplab trace --repeat N`, one process per allocator and trace "
                   "(median ns/op; peak RSS of the whole process, the loaded trace "
                   "included):\n")
        out.append(table(["allocator"] + ["%s ns/op" % f for f in files] +
                         ["vs %s" % ALLOC_BASELINE] + ["%s RSS KiB" % f for f in files], rows))
        plots.append(("Peak RSS of whole `heaplab trace` processes", bars(
            os.path.join(run["dir"], "rss.svg"), "Peak resident memory, heaplab trace (KiB)",
            "KiB", files, impls, lambda f, i: by.get((f, i), {}).get("peak_rss_kib"))))
    if run["hyperfine"]:
        out.append("\nWhole processes under hyperfine (`heaplab trace --alloc A FILE`: start-up, "
                   "loading and one replay), mean ± σ in seconds:\n")
        names = sorted(run["hyperfine"])
        results = {n: {r["parameters"]["alloc"]: r for r in run["hyperfine"][n]["results"]}
                   for n in names}
        impls = order([a for n in names for a in results[n]], ALLOC_BASELINE)
        rows = [[i] + ["%.3f ± %.3f (%s)" % (results[n][i]["mean"], results[n][i]["stddev"] or 0,
                        ratio(results[n][i]["mean"], results[n].get(ALLOC_BASELINE, {}).get("mean")))
                       if i in results[n] else "n/a" for n in names] for i in impls]
        out.append(table(["allocator"] + names, rows))
    return "\n".join(out)


PATTERNS = [("alloc_lifo", "burst:1000"), ("alloc_lifo", "burst:100000"),
            ("alloc_fifo", "burst:1000"), ("alloc_fifo", "burst:100000"),
            ("alloc_churn", "live:1000"), ("alloc_churn", "live:10000"),
            ("alloc_churn", "live:100000"), ("alloc_churn", "live:1000000"),
            ("alloc_pymix", "live:100000"), ("alloc_realloc", "items:64"),
            ("alloc_realloc", "items:4096"), ("alloc_realloc", "items:262144")]


def pattern_section(run, plots):
    cols = [(f, a) for f, a in PATTERNS if pick(run, f, a)]
    if not cols:
        return ""
    data = {c: pick(run, *c) for c in cols}
    impls = order([i for c in cols for i in data[c]], ALLOC_BASELINE)
    label = lambda c: "%s %s" % (c[0][len("alloc_"):], c[1].split(":")[1])
    rows = []
    for i in impls:
        vals = [data[c].get(i, {}).get("ns_per_op") for c in cols]
        base = [data[c].get(ALLOC_BASELINE, {}).get("ns_per_op") for c in cols]
        g = geomean([a / b for a, b in zip(vals, base) if a and b])
        rows.append([i] + [fmt(v) for v in vals] + ["%.2f×" % g if g else "n/a"])
    out = ["## Allocation: patterns\n",
           "ns per allocator call (median of the repetitions); the last column is the "
           "geometric mean of the ratios against %s.\n" % ALLOC_BASELINE,
           table(["allocator"] + [label(c) for c in cols] + ["vs " + ALLOC_BASELINE], rows)]
    plots.append(("Allocation patterns", bars(
        os.path.join(run["dir"], "patterns.svg"), "Allocation patterns: ns per call (log scale)",
        "ns/op", [label(c) for c in cols], impls,
        lambda g, i: data[cols[[label(c) for c in cols].index(g)]].get(i, {}).get("ns_per_op"),
        log=True)))
    sizes = sorted({r["arg"] for r in run["runs"] if r["family"] == "alloc_size"},
                   key=lambda a: int(a.split(":")[1]))
    if sizes:
        sdata = {s: pick(run, "alloc_size", s) for s in sizes}
        rows = [[i] + [fmt(sdata[s].get(i, {}).get("ns_per_op")) for s in sizes] for i in impls]
        out += ["\nSize classes (`alloc_size`: 256 blocks of one size, allocated then freed), "
                "ns per call:\n", table(["allocator"] + [s.split(":")[1] for s in sizes], rows)]
    mem = [("alloc_churn", "live:1000000"), ("alloc_churn", "live:100000"),
           ("alloc_pymix", "live:100000"), ("alloc_lifo", "burst:100000")]
    mem = [c for c in mem if pick(run, *c)]
    if mem:
        rows = []
        for i in impls:
            row = [i]
            for c in mem:
                r = data.get(c, pick(run, *c)).get(i)
                row += [fmt(counter(r, "peak_rss_kib")), fmt(counter(r, "mapped_per_live")),
                        fmt(counter(r, "mapped_after_free"))]
            rows.append(row)
        head = ["allocator"]
        for c in mem:
            head += ["%s RSS KiB" % label(c), "mapped/live", "mapped after free"]
        out += ["\nMemory: growth of the resident high-water mark, the allocator's peak "
                "mapped bytes over peak requested bytes (fragmentation), and bytes still "
                "mapped after every block is freed (n/a: the allocator cannot tell):\n",
                table(head, rows)]
    return "\n".join(out)


def collect_section(run, plots):
    out = ["## Collection\n"]
    fams = [("gc_collect", "gc_collect (µs per collect)", 1e3),
            ("gc_traversal", "gc_traversal (ms per collect)", 1e6),
            ("btree_gc_only", "btree_gc_only (ms per collect)", 1e6)]
    data = {f: pick(run, f) for f, _, _ in fams}
    impls = order([i for f, _, _ in fams for i in data[f]], GC_BASELINE)
    if impls:
        rows = []
        for i in impls:
            row = [i]
            for f, _, scale in fams:
                r, b = data[f].get(i), data[f].get(GC_BASELINE)
                row += [fmt(r["time_ns"] / scale) if r else "n/a",
                        ratio(r and r["time_ns"], b and b["time_ns"])]
            rows.append(row)
        head = ["stack"]
        for _, name, _ in fams:
            head += [name, "vs " + GC_BASELINE]
        out += ["pyperformance's collector benchmarks: only gc.collect() is timed.\n",
                table(head, rows)]
    progs = {f: pick(run, f) for f in ("gcbench", "binary_trees")}
    impls = order([i for f in progs for i in progs[f]], GC_BASELINE)
    if impls:
        rows = []
        for i in impls:
            row = [i]
            for f in progs:
                r, b = progs[f].get(i), progs[f].get(GC_BASELINE)
                row += [fmt(r["time_ns"] / 1e6) if r else "n/a",
                        ratio(r and r["time_ns"], b and b["time_ns"]),
                        fmt(counter(r, "gc_ms")), fmt(counter(r, "peak_rss_kib"))]
            rows.append(row)
        sizes = ("stretch 14, long-lived 12, trees to depth 12; binary-trees: depth 14"
                 if run["machine"].get("quick") else
                 "stretch 18, long-lived 16, trees to depth 16; binary-trees: depth 18")
        out += ["\nWhole programs (GCBench: Boehm's, %s), wall time in ms;" % sizes +
                " gc ms: time inside collections "
                "(bdwgc: its full collections); `manual/*`: explicit frees, no collector; "
                "`manual/libc`: malloc and free called directly.  Peak RSS: growth of "
                "the resident high-water mark during the run (bench.h says how).\n",
                table(["implementation", "GCBench ms", "vs " + GC_BASELINE, "gc ms",
                       "peak RSS KiB", "binary-trees ms", "vs " + GC_BASELINE, "gc ms",
                       "peak RSS KiB"], rows)]
        plots.append(("GCBench and binary-trees", bars(
            os.path.join(run["dir"], "programs.svg"), "Whole programs: wall time (ms, log scale)",
            "ms", list(progs), impls,
            lambda f, i: progs[f][i]["time_ns"] / 1e6 if i in progs[f] else None, log=True)))
    out.append(heap_table(run))
    return "\n".join(out)


def heap_key(line):
    return os.path.basename(line["file"]).split(".")[0]


def heap_rows(lines):
    """Rows of one heap table from `heaplab heap` lines: per heap, finding
    (--saveall, as CPython's figure is taken), its ratio to CPython, and
    finding plus freeing; then the geometric mean of the ratios."""
    files = sorted({heap_key(h) for h in lines})
    find, free, cpython = {}, {}, {}
    for h in lines:
        stack = "%s/%s" % (h["allocator"], h["collector"])
        (find if h.get("saveall") else free)[(stack, heap_key(h))] = h["collect_ms"]
        if h.get("cpython_ms"):
            cpython[heap_key(h)] = h["cpython_ms"]
    stacks = order([s for s, _ in list(find) + list(free)], GC_BASELINE)
    rows = [["CPython 3.11 gc.collect()"] + sum(([fmt(cpython.get(f)), "1.00×", ""]
                                                 for f in files), []) + ["1.00×"]]
    means = {}
    for st in stacks:
        row = [st]
        for f in files:
            row += [fmt(find.get((st, f))), ratio(find.get((st, f)), cpython.get(f)),
                    fmt(free.get((st, f)))]
        means[st] = geomean([find[(st, f)] / cpython[f] for f in files
                             if find.get((st, f)) and cpython.get(f)])
        rows.append(row + ["%.2f×" % means[st] if means[st] else "n/a"])
    head = ["collector"]
    for f in files:
        head += ["%s find ms" % f, "vs CPython", "find+free ms"]
    return head + ["geo. mean vs CPython"], rows, means


def heap_table(run):
    """Full collections of the recorded CPython heaps, against CPython."""
    out = []
    if run["heap"]:
        head, rows, _ = heap_rows(run["heap"])
        out += ["\nRecorded heaps of real CPython programs (suites/data/heaps), one full "
                "collection by `heaplab heap` (median ms).  *find*: under DEBUG_SAVEALL, "
                "finding the garbage without freeing it, which is how CPython's time was "
                "taken (the file's `# cpython-collect:` line, timed when the heap was "
                "recorded, possibly on another machine); *find+free*: the usual "
                "collection, which also frees it.\n\n" + table(head, rows)]
    if run.get("cpython_now"):
        head, rows, _ = heap_rows(run["cpython_now"])
        out += ["\nThe same programs' heaps recorded afresh during this run "
                "(bench/heaps_vs_cpython.sh), so CPython's gc.collect() was timed on this "
                "machine, minutes from heaplab's collections (smallest of the "
                "interpreters' times):\n\n" + table(head, rows)]
    return "".join(out)


def pause_section(run, plots):
    recs = pick(run, "gc_pauses")
    if not recs:
        return ""
    keys = ["pauses", "p50_ms", "p99_ms", "max_ms", "gc_total_ms", "utilization",
            "mmu_1ms", "mmu_10ms", "mmu_100ms"]
    rows = [[i, fmt(recs[i]["time_ns"] / 1e6)] + [fmt(counter(recs[i], k)) for k in keys]
            for i in order(recs, "freelist_pool/generational")]
    out = ["## Pauses\n",
           "An allocation-heavy request loop (bench/pauses.c) under automatic collection; "
           "every collection timed through gc.callbacks.  MMU: the smallest share of any "
           "window of that length left to the program (0 while a single pause is longer "
           "than the window; the plot goes on to 1 s).\n",
           table(["stack", "run ms"] + keys, rows)]
    cdf = {}
    for name, path in run["pauses"].items():
        d = sorted(row[1] for row in read_csv(path))
        if d:
            cdf[name] = [(max(v, 1e-4), (k + 1) / len(d)) for k, v in enumerate(d)]
    plots.append(("Pause-time distribution", curves(
        os.path.join(run["dir"], "pauses.svg"), "Pause CDF", "pause (ms, log scale)",
        "fraction of pauses <= x", cdf)))
    mmu = {name: [(r[0], r[1]) for r in read_csv(path)] for name, path in run["mmu"].items()}
    plots.append(("Minimum mutator utilization", curves(
        os.path.join(run["dir"], "mmu.svg"), "Minimum mutator utilization", "window (ms, log scale)",
        "MMU", mmu)))
    return "\n".join(out)


# ---- cycle-collector design (`heaplab run`, raw/design.jsonl) ----------------------

def fmt_bytes(n):
    if n is None or n != n:
        return "n/a"
    for unit, scale in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= scale:
            return "%.3g %s" % (n / scale, unit)
    return "%d B" % n


def read_timeline(path):
    """Samples [t_ms, live_bytes, backlog_objects, backlog_bytes, rss_kib],
    pauses [(start_ms, end_ms)] and the MMU curve [(window_ms, mmu)] of one
    `heaplab run --timeline` file (harness/run.c)."""
    samples, pauses, mmu = [], [], []
    with gzip.open(path, "rt") as f:
        for line in f:
            cells = line.rstrip("\n").split(",")
            if cells[0] == "s":
                samples.append([float(x) for x in cells[1:]])
            elif cells[0] == "p":
                pauses.append((float(cells[1]), float(cells[2])))
            elif cells[0] == "m":
                mmu.append((float(cells[1]), float(cells[2])))
    return samples, pauses, mmu


def thin(points, most=1500):
    """At most `most` points, evenly spaced, the last one kept."""
    if len(points) <= most:
        return points
    step = len(points) / most
    return [points[int(i * step)] for i in range(most)] + [points[-1]]


def design_plots(run, plots, workloads):
    by_workload = {}
    for name, path in run.get("timelines", {}).items():
        workload, _, gc = name.partition("-")
        by_workload.setdefault(workload, {})[gc] = path
    for w in workloads:
        series = by_workload.get(w)
        if not series:
            continue
        cdf, mmu, backlog, rss = {}, {}, {}, {}
        for gc in order(series, DESIGN_BASELINE):
            try:
                samples, pauses, curve = read_timeline(series[gc])
            except (OSError, ValueError, EOFError):
                continue
            d = sorted(e - s for s, e in pauses)
            if d:
                cdf[gc] = thin([(max(v, 1e-4), (k + 1) / len(d)) for k, v in enumerate(d)])
            if curve:
                mmu[gc] = curve
            backlog[gc] = thin([(r[0] / 1e3, r[3] / 2**20) for r in samples])
            rss[gc] = thin([(r[0] / 1e3, r[4] / 1024) for r in samples if r[4] >= 0])
        base = os.path.join(run["dir"], "design-%s" % w)
        plots.append(("%s: pause CDF" % w, curves(
            base + "-pauses.svg", "%s: pause CDF (freelist_pool)" % w, "pause (ms, log scale)",
            "fraction of pauses <= x", cdf)))
        plots.append(("%s: MMU" % w, curves(
            base + "-mmu.svg", "%s: minimum mutator utilization (freelist_pool)" % w,
            "window (ms, log scale)", "MMU", mmu)))
        plots.append(("%s: backlog over time" % w, curves(
            base + "-backlog.svg", "%s: unreachable, not yet freed (freelist_pool)" % w,
            "time (s)", "backlog (MiB)", backlog, logx=False)))
        plots.append(("%s: RSS over time" % w, curves(
            base + "-rss.svg", "%s: resident memory (freelist_pool)" % w, "time (s)",
            "RSS (MiB)", rss, logx=False)))


def design_section(run, plots):
    lines = run.get("design") or []
    if not lines:
        return ""
    workloads = list(dict.fromkeys(d["workload"] for d in lines))
    gcs = order([d["collector"] for d in lines], DESIGN_BASELINE)
    allocs = order([d["allocator"] for d in lines], ALLOC_BASELINE)
    out = ["## Cycle-collector design: whole programs\n",
           "`heaplab run WORKLOAD --alloc A --gc G` (workloads/): one process per run, "
           "automatic collection, default sizes%s.  *total*: the program's wall time; "
           "*gc*: time stopped for collection; pauses: nearest-rank percentiles of the "
           "stops; MMU: the smallest share of any window of 1, 10, 100 ms left to the "
           "program (exact); *backlog*: the most objects and bytes (collector headers and "
           "owned buffers included) that were unreachable but not yet freed at any "
           "instant, counted exactly by the workloads' ledger (workloads/workload.h); "
           "*RSS*: the process's peak resident memory.  Ratios are against %s, CPython's "
           "collector since 3.14.5, and for the maximum pause and the backlog objects against "
           "generational as well (issue 10's goals: the variant's pause at most 0.1x and "
           "backlog at most 2x generational's).\n" % (" divided by about 4 (QUICK)" if run["machine"].get("quick")
                                         else "", DESIGN_BASELINE)]
    head = ["workload", "collector", "total ms", "gc ms", "p50 ms", "p99 ms", "max ms",
            "vs " + DESIGN_BASELINE, "vs " + DESIGN_GOALS, "MMU 1 ms", "MMU 10 ms", "MMU 100 ms",
            "backlog objects", "vs " + DESIGN_GOALS, "backlog bytes", "vs " + DESIGN_BASELINE,
            "peak RSS"]
    for alloc in allocs:
        rows = []
        for w in workloads:
            by = {d["collector"]: d for d in lines if d["workload"] == w and d["allocator"] == alloc}
            base = by.get(DESIGN_BASELINE)
            goal = by.get(DESIGN_GOALS)
            first = True
            for g in gcs:
                d = by.get(g)
                if d is None:
                    continue
                rows.append([("**%s** (size %s)" % (w, d["size"])) if first else "", g,
                             fmt(d["total_ms"]), fmt(d["gc_ms"]), fmt(d["pause_p50_ms"]),
                             fmt(d["pause_p99_ms"]), fmt(d["pause_max_ms"]),
                             ratio(d["pause_max_ms"], base and base["pause_max_ms"]),
                             ratio(d["pause_max_ms"], goal and goal["pause_max_ms"]),
                             "%.3f" % d["mmu_1ms"], "%.3f" % d["mmu_10ms"], "%.3f" % d["mmu_100ms"],
                             fmt(d["backlog_max_objects"]),
                             ratio(d["backlog_max_objects"], goal and goal["backlog_max_objects"]),
                             fmt_bytes(d["backlog_max_bytes"]),
                             ratio(d["backlog_max_bytes"], base and base["backlog_max_bytes"]),
                             fmt_bytes(d["peak_rss_kib"] * 1024)])
                first = False
        out += ["\n### On %s\n" % alloc, table(head, rows)]
    cpu_lines = [d for d in lines if "pause_max_cpu_ms" in d and d["allocator"] == allocs[0]]
    if cpu_lines:
        rows = []
        for w in workloads:
            by = {d["collector"]: d for d in cpu_lines if d["workload"] == w}
            base = by.get(DESIGN_BASELINE)
            goal = by.get(DESIGN_GOALS)
            first = True
            for g in gcs:
                d = by.get(g)
                if d is None:
                    continue
                rows.append([("**%s**" % w) if first else "", g, fmt(d["total_cpu_ms"]),
                             fmt(d["gc_cpu_ms"]), fmt(d["pause_p50_cpu_ms"]),
                             fmt(d["pause_p99_cpu_ms"]), fmt(d["pause_max_cpu_ms"]),
                             ratio(d["pause_max_cpu_ms"], base and base["pause_max_cpu_ms"]),
                             ratio(d["pause_max_cpu_ms"], goal and goal["pause_max_cpu_ms"]),
                             "%.3f" % d["mmu_1ms_cpu"], "%.3f" % d["mmu_10ms_cpu"],
                             "%.3f" % d["mmu_100ms_cpu"]])
                first = False
        out += ["\n### The same runs on the program's CPU clock (%s)\n" % allocs[0],
                "Every figure above is wall-clock time, which on a shared machine includes "
                "time the program was not running at all; here the pauses and windows are "
                "measured on the program's own CPU clock (CLOCK_THREAD_CPUTIME_ID), so "
                "scheduling does not lengthen them.  On an idle machine the two agree.\n",
                table(["workload", "collector", "CPU ms", "gc CPU ms", "p50 ms", "p99 ms",
                       "max ms", "vs " + DESIGN_BASELINE, "vs " + DESIGN_GOALS, "MMU 1 ms", "MMU 10 ms",
                       "MMU 100 ms"], rows)]
    dm = run.get("design_machine")
    if dm:
        out.append("\nThis part ran at commit %s with a load average of %s at its start "
                   "(%d cores); the wall-clock figures carry that load, the CPU-clock ones "
                   "far less.\n" % (dm.get("commit", "?"),
                                    " ".join("%.1f" % x for x in dm["load_average"]),
                                    dm["cores"]))
    absent = sorted({" x ".join(f.split()[1:]) for f in run.get("design_absent", []) if f.strip()})
    if absent:
        out.append("\nPairs that are not stacks (a heap-walking collector on an allocator "
                   "that cannot visit its blocks), so not run: " +
                   "; ".join("`%s`" % f for f in absent) + ".\n")
    failed = [f for f in run.get("design_failed", []) if f.strip()]
    if failed:
        out.append("\nRuns that did not complete (no line above): " +
                   "; ".join("`%s`" % f for f in failed) + ".\n")
    design_plots(run, plots, workloads)
    return "\n".join(out)


KNOWN = ("alloc_lifo", "alloc_fifo", "alloc_churn", "alloc_size", "alloc_realloc",
         "alloc_pymix", "alloc_trace", "gc_collect", "gc_traversal", "btree_gc_only",
         "gcbench", "binary_trees", "gc_heap", "gc_pauses")


def other_section(run):
    """Families no section above knows: one table each, time and counters."""
    fams = [f for f in dict.fromkeys(r["family"] for r in run["runs"] if "error" not in r)
            if f.split("/")[0] not in KNOWN]
    out = []
    skip = {"items_per_second", "bytes_per_second", "ops_per_iter"}
    for f in fams:
        recs = [r for r in run["runs"] if r["family"] == f and "error" not in r]
        keys = sorted({k for r in recs for k in r["counters"] if k not in skip})[:10]
        rows = [[r["impl"] + (" " + r["arg"] if r["arg"] else ""), fmt_ns(r["time_ns"])] +
                [fmt(counter(r, k)) for k in keys] for r in recs]
        out.append("### %s\n\n" % f + table(["stack", "time"] + keys, rows))
    if not out:
        return ""
    return ("## Other benchmarks\n\nFamilies with no table of their own above (the "
            "comment at the top of their bench/ file says what they measure):\n\n" +
            "\n".join(out))


def counter_section(run):
    if not counters_available(run):
        return ("## Hardware counters\n\nNone: this machine exposes no hardware performance "
                "counters to `perf` (`%s`).  Nothing in this run is derived from cycles, "
                "instructions, cache or dTLB misses.\n" % run["machine"]["perf_stat_says"])
    keys = ["cycles_per_op", "instructions_per_op", "cache_misses_per_op", "dtlb_misses_per_op"]
    rows = [[r["name"]] + [fmt(counter(r, k)) for k in keys] for r in run["runs"]
            if "error" not in r and counter(r, "instructions_per_op") is not None]
    return "## Hardware counters (per operation)\n\n" + table(["benchmark"] + keys, rows)


E2E_BASELINE = "heaplab:cpython"


def e2e_section(run, plots):
    """Real Python programs, whole processes (bench/e2e.sh): wall time and
    peak RSS per allocator configuration against heaplab:cpython."""
    rows = run.get("e2e") or []
    if not rows:
        return ""
    data = {}
    for r in rows:
        data.setdefault(r["program"], {})[r["config"]] = r
    configs = order([r["config"] for r in rows], E2E_BASELINE)
    programs = sorted(data)

    def value(program, config, key):
        r = data[program].get(config)
        return float(r[key]) if r and r.get(key) else None

    def rel(program, config, key):
        v, b = value(program, config, key), value(program, E2E_BASELINE, key)
        return v / b if v and b else None

    summary = []
    for c in configs:
        t = [rel(p, c, "median_s") for p in programs]
        u = [rel(p, c, "cpu_s") for p in programs]
        m = [rel(p, c, "peak_rss_kib") for p in programs]
        t_ok = [x for x in t if x]
        summary.append([c, "%.3f×" % geomean(t_ok) if t_ok else "n/a",
                        "%.2f–%.2f" % (min(t_ok), max(t_ok)) if t_ok else "n/a",
                        "%.3f×" % geomean(u) if geomean(u) else "n/a",
                        "%.3f×" % geomean(m) if geomean(m) else "n/a"])
    per_time = [[p, fmt(value(p, E2E_BASELINE, "median_s") * 1e3)
                 if value(p, E2E_BASELINE, "median_s") else "n/a"] +
                ["%.3f" % rel(p, c, "median_s") if rel(p, c, "median_s") else "n/a"
                 for c in configs[1:]] for p in programs]
    per_cpu = [[p, fmt(value(p, E2E_BASELINE, "cpu_s") * 1e3)
                if value(p, E2E_BASELINE, "cpu_s") else "n/a"] +
               ["%.3f" % rel(p, c, "cpu_s") if rel(p, c, "cpu_s") else "n/a"
                for c in configs[1:]] for p in programs]
    per_rss = [[p, fmt(value(p, E2E_BASELINE, "peak_rss_kib"))] +
               ["%.3f" % rel(p, c, "peak_rss_kib") if rel(p, c, "peak_rss_kib") else "n/a"
                for c in configs[1:]] for p in programs]
    plots.append(("End-to-end wall time vs heaplab:cpython", bars(
        os.path.join(run["dir"], "e2e-time.svg"), "wall time / heaplab:cpython",
        "ratio", programs, configs[1:], lambda p, c: rel(p, c, "median_s"))))
    runs_per = sorted({r["runs"] for r in rows})
    return ("## End to end: real Python programs on CPython 3.11\n\n"
            "`bench/e2e.sh`: each program under build/heaplab-python with CPython's own "
            "pymalloc (`heaplab:cpython`, the baseline: the same binary) and with a heaplab "
            "allocator as the object domain, and under Debian's /usr/bin/python3.11 with "
            "PYTHONMALLOC=pymalloc, =malloc, and =malloc with a reference allocator in "
            "LD_PRELOAD.  Wall time: median of %s hyperfine runs (after a warm-up), all "
            "configurations of a program side by side; CPU: hyperfine's mean user + "
            "system time, the figure to read when the machine is shared (wall time then "
            "includes waiting for a core); peak RSS: ru_maxrss of one more run."
            "\n\n" % "/".join(map(str, runs_per)) +
            table(["configuration", "wall time, geomean vs " + E2E_BASELINE,
                   "range over programs", "CPU time, geomean", "peak RSS, geomean"],
                  summary) +
            "\nWall time per program (ms for the baseline, ratios for the others):\n\n" +
            table(["program", E2E_BASELINE + " ms"] + configs[1:], per_time) +
            "\nCPU time (user + system) per program (ms for the baseline, ratios):\n\n" +
            table(["program", E2E_BASELINE + " ms"] + configs[1:], per_cpu) +
            "\nPeak RSS per program (KiB for the baseline, ratios for the others):\n\n" +
            table(["program", E2E_BASELINE + " KiB"] + configs[1:], per_rss))


def headline(run):
    """The two tables results/README.md repeats."""
    out = []
    traces = {}
    for r in run["runs"]:
        if r["family"].startswith("alloc_trace/") and "ns_per_op" in r:
            traces.setdefault(r["impl"], []).append((r["family"], r["ns_per_op"]))
    source = "in-process replay"
    if not traces:
        source = "`heaplab trace`"
        for t in run["trace"]:
            traces.setdefault(t["allocator"], []).append((t["file"], t["ns_per_op"]))
    if traces:
        base = dict(traces.get(ALLOC_BASELINE, []))
        rows = []
        for i in order(traces, ALLOC_BASELINE):
            vals = dict(traces[i])
            g = geomean([vals[k] / base[k] for k in vals if k in base])
            rows.append([i, fmt(geomean(list(vals.values()))), "%.2f×" % g if g else "n/a"])
        out += ["Recorded CPython traces (%s), geometric mean over the traces:\n" % source,
                table(["allocator", "ns per call", "vs " + ALLOC_BASELINE], rows)]
    progs = {f: pick(run, f) for f in ("gcbench", "binary_trees")}
    impls = order([i for f in progs for i in progs[f]], GC_BASELINE)
    if impls:
        rows = [[i] + [fmt(progs[f][i]["time_ns"] / 1e6) if i in progs[f] else "n/a"
                       for f in progs] for i in impls if "manual" not in i or i == "manual/libc"]
        out += ["\nGCBench and binary-trees, wall time in ms:\n",
                table(["implementation", "GCBench ms", "binary-trees ms"], rows)]
    lines = run.get("cpython_now") or run["heap"]
    if lines:
        _, _, means = heap_rows(lines)
        where = ("timed on this machine in the same run" if run.get("cpython_now") else
                 "timed when the heaps were recorded, possibly on another machine")
        out += ["\nFinding the garbage of the recorded CPython heaps (one full collection "
                "under DEBUG_SAVEALL), geometric mean of the time over CPython 3.11's own "
                "gc.collect() on the same heaps (%s):\n" % where,
                table(["stack", "vs CPython"],
                      [[k, "%.2f×" % v if v else "n/a"] for k, v in means.items()])]
    return "\n".join(out)


def readme(run):
    m = run["machine"]
    title = "# heaplab benchmarks — %s, %s, %s" % (m["arch"], m["cpu"],
                                                    os.path.basename(run["dir"]))
    caveat = ("> **How much to trust these numbers.** This run was made on a %s with "
              "%d cores, shared with other work (load average %s at the start, up to "
              "%.1f while it ran).  "
              "Timings on such a machine wander by 10%% and more from run to run; read "
              "differences smaller than that as noise, and the p-values of "
              "`heaplab compare` rather than single figures.  Debian's Google Benchmark "
              "library is a debug build (its own loop is slower; every row pays the same)."
              % ("virtual machine" if m.get("virtual_machine") else "machine", m["cores"],
                 " ".join("%.1f" % x for x in m["load_average"]),
                 max([v for v in run["context"].get("heaplab_load_at_part_start", {}).values()
                      if v is not None] + [m["load_average"][0]])))
    if m.get("quick"):
        caveat += "  This is a QUICK run: small sizes, single short repetitions."
    how = ("## How this was made\n\n`make bench%s` at commit %s: bench/run.sh ran "
           "build/heaplab-bench once per allocator (allocation), per object-model "
           "allocator (collection), and once each for pauses and the bdwgc / manual "
           "references, so process-wide allocators and resident memory never carry from "
           "one implementation to the next.  Times are real time, the median of the "
           "repetitions.  Raw files: `gbench.json` (Google Benchmark's JSON, all "
           "processes merged), `raw/` (each process's JSON, hyperfine's JSON, "
           "`heaplab trace`/`heap` lines, pause timelines), `results.csv` (every "
           "benchmark and counter).\n" % (" QUICK=1" if m.get("quick") else "", m.get("commit")))
    dates = run["context"].get("heaplab_part_dates", {})
    if dates:
        how += ("\nWhen each part started (UTC; `make bench ONLY=part,...` reruns parts "
                "into this folder, replacing only their files, and the machine description "
                "is then that of the last invocation): " +
                ", ".join("%s %s" % (k, v[11:16])
                          for k, v in sorted(dates.items(), key=lambda kv: kv[1])) + ".\n")
    plots = []
    body = [trace_section(run, plots), pattern_section(run, plots),
            collect_section(run, plots), pause_section(run, plots), design_section(run, plots),
            other_section(run),
            e2e_section(run, plots), counter_section(run)]
    errors = {}
    for r in run["runs"]:
        if "error" in r:
            errors.setdefault(r["error"], []).append(r["name"])
    if errors:
        body.append("## Benchmarks that did not run\n\n" + table(
            ["reason", "benchmarks"],
            [[why, "%d: %s" % (len(names), ", ".join("`%s`" % n for n in names[:3]) +
                                (", …" if len(names) > 3 else ""))]
             for why, names in errors.items()], numeric=False))
    shown = [(t, f) for t, f in plots if f]
    if shown:
        body.append("## Plots\n\n" + "\n".join("### %s\n\n![%s](%s)\n" % (t, t, f)
                                               for t, f in shown))
    return "\n\n".join([title, caveat, machine_section(run), how,
                        "## Headline\n\n<!-- headline -->\n" + headline(run) + "<!-- /headline -->"]
                       + [b for b in body if b]) + "\n"
