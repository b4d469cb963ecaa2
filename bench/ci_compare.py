#!/usr/bin/env python3
"""bench/ci_compare.py — the gate of `make bench-ci`.

    ci_compare.py BASELINE COUNTS          compare; exit 1 on a regression
    ci_compare.py --write BASELINE COUNTS  make COUNTS the new baseline

COUNTS has one line per workload, "NAME OPS INSTRUCTIONS", as bench/ci.sh
writes it.  A workload regresses when its instructions per operation exceed
the baseline's by more than the baseline's tolerance (3%).  Improvements by
more than the tolerance are reported too: the baseline should then be
rewritten (CI_UPDATE=1) so that the gain is kept.
"""
import json
import sys

TOLERANCE = 0.03


def read_counts(path):
    counts = {}
    with open(path) as f:
        for line in f:
            name, ops, ir = line.split()
            if int(ops) <= 0 or int(ir) <= 0:
                raise SystemExit("bench-ci: %s did no work (ops %s, instructions %s)"
                                 % (name, ops, ir))
            counts[name] = {"ops": int(ops), "instructions": int(ir),
                            "per_op": int(ir) / int(ops)}
    return counts


def write(baseline, counts):
    data = {"tolerance": TOLERANCE,
            "what": "instructions per operation under callgrind (make bench-ci)",
            "workloads": {n: {"ops": c["ops"], "instructions": c["instructions"],
                              "per_op": round(c["per_op"], 3)}
                          for n, c in sorted(counts.items())}}
    with open(baseline, "w") as f:
        json.dump(data, f, indent=2)
        f.write("\n")
    print("bench-ci: wrote %d workloads to %s" % (len(counts), baseline))
    return 0


def compare(baseline, counts):
    with open(baseline) as f:
        data = json.load(f)
    tolerance = data.get("tolerance", TOLERANCE)
    base = data["workloads"]
    print("| workload | baseline instr/op | now | change |")
    print("| --- | ---: | ---: | ---: |")
    worse, better, new = [], [], []
    for name, c in sorted(counts.items()):
        if name not in base:
            new.append(name)
            print("| %s | (none) | %.1f | new |" % (name, c["per_op"]))
            continue
        b = base[name]
        exact = b["instructions"] / b["ops"] if b.get("ops") else b["per_op"]
        change = c["per_op"] / exact - 1
        mark = ""
        if change > tolerance:
            worse.append(name)
            mark = " **REGRESSION**"
        elif change < -tolerance:
            better.append(name)
            mark = " better"
        print("| %s | %.1f | %.1f | %+.2f%%%s |" % (name, base[name]["per_op"], c["per_op"],
                                                    100 * change, mark))
    gone = sorted(set(base) - set(counts))
    for name in gone:
        print("| %s | %.1f | (not run) | |" % (name, base[name]["per_op"]))
    print()
    if new:
        print("bench-ci: %d workloads have no baseline yet (CI_UPDATE=1 records them)" % len(new))
    if better:
        print("bench-ci: %d workloads improved by more than %.0f%%: record the gain "
              "with CI_UPDATE=1" % (len(better), 100 * tolerance))
    if worse:
        print("bench-ci: FAILED: %d workloads cost more than %.0f%% over the baseline: %s"
              % (len(worse), 100 * tolerance, ", ".join(worse)))
        return 1
    print("bench-ci: passed (%d workloads within %.0f%%)" % (len(counts) - len(new),
                                                           100 * tolerance))
    return 0


def main(argv):
    if len(argv) == 4 and argv[1] == "--write":
        return write(argv[2], read_counts(argv[3]))
    if len(argv) == 3:
        return compare(argv[1], read_counts(argv[2]))
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
