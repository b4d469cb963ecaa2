#!/usr/bin/env python3
"""bench/report.py — turns a run of bench/run.sh into files people read.

    report.py machine FILE.json    describe this machine (CPU, kernel,
                                   compiler, library versions, counters)
    report.py report DIR           DIR/gbench.json (the raw parts merged),
                                   DIR/results.csv, DIR/*.svg, DIR/README.md
    report.py index RESULTS        RESULTS/README.md: every run, and the
                                   latest run's headline table
    report.py emulated DIR         the README of an emulated (qemu) run

Standard library only; the plots are drawn by gnuplot (SVG).  Tables and
plots are built by bench/tables.py from the parsed runs.
"""
import glob
import json
import os
import platform
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tables  # noqa: E402  (bench/tables.py, next to this file)

PACKAGES = ["libbenchmark-dev", "libgc1", "libmimalloc2.0", "libjemalloc2",
            "libtcmalloc-minimal4", "libpython3.11", "libc6", "zlib1g",
            "hyperfine", "valgrind", "gnuplot-nox", "qemu-user"]


def command_output(*argv):
    """First line of a command's output, or '' when it cannot run."""
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    text = (out.stdout or out.stderr).strip()
    return text.splitlines()[0] if text else ""


def perf_counters():
    """Whether `perf stat` can count instructions here, and what it said."""
    try:
        out = subprocess.run(["perf", "stat", "-x,", "-e", "instructions", "true"],
                             capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as e:
        return False, "perf not runnable: %s" % e
    said = out.stderr.strip().splitlines()
    line = next((l for l in said if "instructions" in l), said[-1] if said else "")
    ok = out.returncode == 0 and "<not" not in line
    return ok, line


def cpu_info():
    model, flags = "unknown", ""
    with open("/proc/cpuinfo") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key.strip() == "model name" and model == "unknown":
                model = value.strip()
            elif key.strip() == "flags" and not flags:
                flags = value
    return model, "hypervisor" in flags.split()


def machine(path):
    model, virtual = cpu_info()
    ok, said = perf_counters()
    versions = {}
    for pkg in PACKAGES:
        v = command_output("dpkg-query", "-W", "-f=${Version}\n", pkg)
        versions[pkg] = v if v and "no packages" not in v else None
    with open("/proc/meminfo") as f:
        mem_kib = int(f.readline().split()[1])
    commit = command_output("git", "rev-parse", "--short", "HEAD")
    dirty = command_output("git", "status", "--porcelain", "--untracked-files=no")
    if not re.fullmatch(r"[0-9a-f]{4,40}", commit):
        commit, dirty = "unknown (not a git checkout)", ""
    info = {
        "arch": platform.machine(),
        "cpu": model,
        "cores": os.cpu_count(),
        "virtual_machine": virtual,
        "memory_gib": round(mem_kib / 2**20, 1),
        "kernel": platform.release(),
        "os": command_output("sh", "-c", ". /etc/os-release && echo $PRETTY_NAME"),
        "cc": command_output("cc", "--version"),
        "cxx": command_output("g++", "--version"),
        "packages": versions,
        "perf_counters": ok,
        "perf_stat_says": said,
        "load_average": os.getloadavg(),
        "quick": bool(os.environ.get("QUICK")),
        "commit": commit + (" (with uncommitted changes)" if dirty else ""),
    }
    with open(path, "w") as f:
        json.dump(info, f, indent=2)
        f.write("\n")


# ---- reading a run ----------------------------------------------------------

SUFFIX = re.compile(r"/(iterations:\d+|repeats:\d+|manual_time|real_time|"
                    r"min_time:[0-9.]+|threads:\d+)")
UNIT_NS = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}
PER_FILE = ("alloc_trace", "gc_heap")  # families whose 2nd part is a file


def split_name(run_name):
    """'alloc_churn/malloc/live:1000' -> ('alloc_churn', 'malloc', 'live:1000');
    'gc_heap/dom/malloc/stw/...' -> ('gc_heap/dom', 'malloc/stw', '')."""
    parts = SUFFIX.sub("", run_name).split("/")
    n = 2 if parts[0] in PER_FILE else 1
    family, rest = "/".join(parts[:n]), parts[n:]
    arg = rest.pop() if rest and ":" in rest[-1] else ""
    return family, "/".join(rest), arg


def merge(out_dir):
    """Concatenates raw/gbench-*.json into gbench.json (context of the
    first part, plus the list of parts) and returns it."""
    parts = sorted(glob.glob(os.path.join(out_dir, "raw", "gbench-*.json")))
    merged = {"context": {}, "benchmarks": []}
    loads, dates = {}, {}
    for p in parts:
        with open(p) as f:
            data = json.load(f)
        if not merged["context"]:
            merged["context"] = dict(data.get("context", {}))
        merged["benchmarks"].extend(data.get("benchmarks", []))
        name = os.path.basename(p)[len("gbench-"):-len(".json")]
        loads[name] = data.get("context", {}).get("load_avg", [None])[0]
        dates[name] = data.get("context", {}).get("date", "")
    merged["context"]["heaplab_parts"] = ",".join(os.path.basename(p) for p in parts)
    merged["context"]["heaplab_load_at_part_start"] = loads
    merged["context"]["heaplab_part_dates"] = dates
    # Compact, one benchmark a line: the indented originals stay in raw/.
    with open(os.path.join(out_dir, "gbench.json"), "w") as f:
        f.write('{"context": %s,\n"benchmarks": [\n' % json.dumps(merged["context"]))
        f.write(",\n".join(json.dumps(b) for b in merged["benchmarks"]))
        f.write("\n]}\n")
    return merged


def runs(data):
    """One record per benchmark: time in ns (the median over repetitions),
    its counters (of the median aggregate, else of the one run), and the
    spread (cv) when there were repetitions."""
    by_name = {}
    for b in data["benchmarks"]:
        if b.get("error_occurred"):
            by_name.setdefault(b["run_name"], {"error": b.get("error_message", "")})
            continue
        rec = by_name.setdefault(b.get("run_name", b["name"]), {"iterations": []})
        if "error" in rec:
            continue
        scale = UNIT_NS.get(b.get("time_unit", "ns"), 1.0)
        if b.get("run_type") == "aggregate":
            rec[b["aggregate_name"]] = b
        else:
            rec["iterations"].append(b)
        rec["scale"] = scale
    out = []
    for name, rec in by_name.items():
        family, impl, arg = split_name(name)
        row = {"name": name, "family": family, "impl": impl, "arg": arg}
        if "error" in rec:
            row["error"] = rec["error"]
            out.append(row)
            continue
        its = rec["iterations"]
        chosen = rec.get("median") or (its[len(its) // 2] if its else None)
        if chosen is None:
            continue
        row["time_ns"] = chosen["real_time"] * rec["scale"]
        row["cpu_ns"] = chosen["cpu_time"] * rec["scale"]
        row["repetitions"] = max(1, len(its))
        if "cv" in rec:
            row["cv"] = rec["cv"]["real_time"]
        skip = {"name", "family_index", "per_family_instance_index", "run_name",
                "run_type", "repetitions", "repetition_index", "threads", "iterations",
                "real_time", "cpu_time", "time_unit", "aggregate_name", "aggregate_unit",
                "label"}
        row["counters"] = {k: v for k, v in chosen.items() if k not in skip}
        row["iterations"] = chosen.get("iterations")
        ops = row["counters"].get("ops_per_iter")
        if ops:
            row["ns_per_op"] = row["time_ns"] / ops
        out.append(row)
    return out


def jsonl(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def e2e_rows(path):
    """bench/e2e.sh's CSV as dicts; [] when the part did not run."""
    if not os.path.exists(path):
        return []
    import csv
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def load_run(out_dir):
    """Everything one run folder holds, parsed."""
    raw = os.path.join(out_dir, "raw")
    with open(os.path.join(out_dir, "machine.json")) as f:
        info = json.load(f)
    data = merge(out_dir)
    hyperfine = {}
    for p in sorted(glob.glob(os.path.join(raw, "hyperfine-*.json"))):
        with open(p) as f:
            hyperfine[os.path.basename(p)[len("hyperfine-"):-len(".json")]] = json.load(f)
    return {
        "dir": out_dir,
        "machine": info,
        "context": data["context"],
        "runs": runs(data),
        "hyperfine": hyperfine,
        "trace": jsonl(os.path.join(raw, "trace.jsonl")),
        "heap": jsonl(os.path.join(raw, "heap.jsonl")),
        "cpython_now": jsonl(os.path.join(raw, "cpython-heaps.jsonl")),
        "e2e": e2e_rows(os.path.join(out_dir, "e2e.csv")),
        "pauses": {os.path.basename(p)[len("pauses-"):-len(".csv")]: p
                   for p in sorted(glob.glob(os.path.join(raw, "pauses-*.csv")))},
        "mmu": {os.path.basename(p)[len("mmu-"):-len(".csv")]: p
                for p in sorted(glob.glob(os.path.join(raw, "mmu-*.csv")))},
        "design": jsonl(os.path.join(raw, "design.jsonl")),
        "design_machine": (json.load(open(os.path.join(raw, "design-machine.json")))
                           if os.path.exists(os.path.join(raw, "design-machine.json")) else None),
        "design_failed": (open(os.path.join(raw, "design-failed.txt")).read().split("\n")
                          if os.path.exists(os.path.join(raw, "design-failed.txt")) else []),
        "design_absent": (open(os.path.join(raw, "design-absent.txt")).read().split("\n")
                          if os.path.exists(os.path.join(raw, "design-absent.txt")) else []),
        "timelines": {os.path.basename(p)[:-len(".csv.gz")]: p
                      for p in sorted(glob.glob(os.path.join(raw, "timelines", "*.csv.gz")))},
    }


def write_csv(run, path):
    rows = [r for r in run["runs"] if "error" not in r]
    counters = sorted({k for r in rows for k in r["counters"]})
    head = ["benchmark", "family", "implementation", "arg", "real_time_ns", "cpu_time_ns",
            "ns_per_op", "repetitions", "cv"] + counters
    with open(path, "w") as f:
        f.write(",".join(head) + "\n")
        for r in rows:
            cells = [r["name"], r["family"], r["impl"], r["arg"], "%.6g" % r["time_ns"],
                     "%.6g" % r["cpu_ns"], "%.6g" % r["ns_per_op"] if "ns_per_op" in r else "",
                     str(r["repetitions"]), "%.4f" % r["cv"] if "cv" in r else ""]
            for k in counters:
                v = r["counters"].get(k)
                cells.append("" if v is None or v != v else "%.6g" % v)
            f.write(",".join('"%s"' % c if "," in c else c for c in cells) + "\n")


def report(out_dir):
    run = load_run(out_dir)
    write_csv(run, os.path.join(out_dir, "results.csv"))
    text = tables.readme(run)
    with open(os.path.join(out_dir, "README.md"), "w") as f:
        f.write(text)


HEADLINE = re.compile(r"<!-- headline -->\n(.*?)<!-- /headline -->", re.S)


def index(results):
    entries = []
    for readme in sorted(glob.glob(os.path.join(results, "*", "*", "README.md"))):
        run_dir = os.path.dirname(readme)
        try:
            with open(os.path.join(run_dir, "machine.json")) as f:
                info = json.load(f)
        except OSError:
            continue
        entries.append((os.path.relpath(run_dir, results), info, readme))
    lines = ["# Benchmark results", "",
             "Each run of `make bench` writes a folder `<arch>-<cpu>/<date>/` here: the",
             "raw Google Benchmark and hyperfine JSON, a CSV, plots, and a README with",
             "the machine and every table.  Compare two runs with",
             "`build/heaplab compare OLD/gbench.json NEW/gbench.json`.", "",
             "| run | machine | commit | quick |", "| --- | --- | --- | --- |"]
    for rel, info, _ in sorted(entries, key=lambda e: e[0], reverse=True):
        what = "%s, %s cores%s, %s" % (info["cpu"], info["cores"],
                                        " (VM)" if info.get("virtual_machine") else "",
                                        info["kernel"])
        lines.append("| [%s](%s/README.md) | %s | %s | %s |" % (
            rel, rel, what, info.get("commit", ""), "yes" if info.get("quick") else "no"))
    full = [e for e in entries if not e[1].get("quick")] or entries
    if full:
        latest = max(full, key=lambda e: e[0])
        with open(latest[2]) as f:
            m = HEADLINE.search(f.read())
        if m:
            lines += ["", "## Latest headline figures ([%s](%s/README.md))" % (latest[0], latest[0]),
                      "", m.group(1).rstrip()]
    with open(os.path.join(results, "README.md"), "w") as f:
        f.write("\n".join(lines) + "\n")


def emulated(out_dir):
    data = {"benchmarks": []}
    for p in glob.glob(os.path.join(out_dir, "gbench-*.json")):
        with open(p) as f:
            data["benchmarks"] += json.load(f)["benchmarks"]
    rows = runs(data)
    ok = [r for r in rows if "error" not in r]
    lines = ["# Emulated aarch64 run — not ARM performance", "",
             "**These figures were measured under qemu-user on %s, emulating aarch64.**" %
             platform.machine(),
             "They prove that the aarch64 build runs the benchmarks; the times are the",
             "emulator's and say nothing about any ARM processor.  They are kept out of",
             "results/ on purpose.", "",
             "%d benchmarks ran, %d failed." % (len(ok), len(rows) - len(ok)), "",
             "| benchmark | emulated time |", "| --- | ---: |"]
    for r in ok:
        lines.append("| %s | %s |" % (r["name"], tables.fmt_ns(r["time_ns"])))
    for r in rows:
        if "error" in r:
            lines.append("| %s | failed: %s |" % (r["name"], r["error"]))
    with open(os.path.join(out_dir, "README.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    if len(ok) != len(rows) or not ok:
        sys.exit(1)


def main(argv):
    commands = {"machine": machine, "report": report, "index": index, "emulated": emulated}
    if len(argv) != 3 or argv[1] not in commands:
        sys.stderr.write(__doc__)
        return 2
    commands[argv[1]](argv[2])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
