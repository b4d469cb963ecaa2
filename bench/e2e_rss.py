#!/usr/bin/env python3
"""Peak resident memory of one command, and the e2e CSV.

    e2e_rss.py PROGRAM CONFIG COMMAND...   runs COMMAND once (output
        discarded) and prints {"program", "config", "peak_rss_kib",
        "status"} as one JSON line: ru_maxrss from wait4, so the figure
        is the child's own, not the largest of all descendants.
    e2e_rss.py --csv RAW    merges RAW/e2e-*.json (hyperfine) and
        RAW/e2e-rss.jsonl into CSV: program, config, median_s, mean_s,
        stddev_s, min_s, runs, cpu_s (mean user + system time: the figure
        that survives a machine shared with other work), peak_rss_kib.
"""
import csv, glob, json, os, statistics, subprocess, sys


def measure(program, config, command):
    with open(os.devnull, "wb") as null:
        proc = subprocess.Popen(command, stdout=null, stderr=null)
        _, status, usage = os.wait4(proc.pid, 0)
    print(json.dumps({"program": program, "config": config,
                      "peak_rss_kib": usage.ru_maxrss,
                      "status": os.waitstatus_to_exitcode(status)}))


def merge(raw):
    rss = {}
    with open(os.path.join(raw, "e2e-rss.jsonl")) as fh:
        for line in fh:
            r = json.loads(line)
            rss[(r["program"], r["config"])] = r["peak_rss_kib"] if r["status"] == 0 else ""
    w = csv.writer(sys.stdout, lineterminator="\n")
    w.writerow(["program", "config", "median_s", "mean_s", "stddev_s", "min_s", "runs",
                "cpu_s", "peak_rss_kib"])
    for path in sorted(glob.glob(os.path.join(raw, "e2e-*.json"))):
        program = os.path.basename(path)[4:-5]
        with open(path) as fh:
            results = json.load(fh)["results"]
        for r in results:
            times = r["times"]
            w.writerow([program, r["command"], "%.6f" % statistics.median(times),
                        "%.6f" % r["mean"], "%.6f" % (r["stddev"] or 0.0),
                        "%.6f" % min(times), len(times),
                        "%.6f" % (r["user"] + r["system"]),
                        rss.get((program, r["command"]), "")])


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--csv":
        merge(sys.argv[2])
    elif len(sys.argv) >= 4:
        measure(sys.argv[1], sys.argv[2], sys.argv[3:])
    else:
        sys.exit(__doc__)
