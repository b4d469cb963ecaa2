"""Log analytics: regular expressions over generated access-log lines, the
results aggregated in dicts and Counters and round-tripped through json.

The allocation pattern is CPython's string-heavy one: many short-lived str,
tuple, match and dict objects, a few long-lived aggregates that grow by
resizing.  Deterministic: a fixed random seed, no clock, no files.
"""

import collections
import json
import random
import re

ROUNDS = 3
LINES_PER_ROUND = 1000

LINE = re.compile(
    r'(?P<host>\d{1,3}(?:\.\d{1,3}){3}) - (?P<user>[\w-]+) '
    r'\[(?P<day>\d\d)/(?P<month>\w{3})/(?P<year>\d{4}):(?P<time>[\d:]+)\] '
    r'"(?P<method>[A-Z]+) (?P<path>\S+) HTTP/1\.[01]" (?P<status>\d{3}) (?P<bytes>\d+)'
    r'(?: "(?P<agent>[^"]*)")?')
WORD = re.compile(r"[a-z]+")
QUERY = re.compile(r"[?&]([^=&]+)=([^&]*)")

PATHS = ["/", "/index.html", "/api/v1/items", "/api/v1/items/{n}", "/static/app.js",
         "/search?q={w}&page={n}", "/user/{w}/profile", "/feed.xml?since={n}"]
AGENTS = ["curl/7.88", "Mozilla/5.0 (X11; Linux x86_64) Firefox/115.0",
          "python-requests/2.28", "Googlebot/2.1"]
WORDS = ("alpha beta gamma delta epsilon zeta theta kappa lambda sigma omega "
         "heap pool arena block page slot free list bitmap class").split()


def make_line(rng):
    path = rng.choice(PATHS).format(n=rng.randrange(10000), w=rng.choice(WORDS))
    agent = ' "%s"' % rng.choice(AGENTS) if rng.random() < 0.8 else ""
    return '%d.%d.%d.%d - %s [%02d/%s/2023:%02d:%02d:%02d] "%s %s HTTP/1.1" %d %d%s' % (
        rng.randrange(256), rng.randrange(256), rng.randrange(256), rng.randrange(256),
        rng.choice(WORDS + ["-"]), rng.randrange(1, 29),
        rng.choice(["Jan", "Feb", "Mar", "Apr"]), rng.randrange(24), rng.randrange(60),
        rng.randrange(60), rng.choice(["GET", "GET", "GET", "POST", "PUT"]), path,
        rng.choice([200, 200, 200, 304, 404, 500]), rng.randrange(100000), agent)


def analyse(lines):
    by_status = collections.Counter()
    by_path = collections.defaultdict(list)
    words = collections.Counter()
    params = collections.defaultdict(set)
    for line in lines:
        match = LINE.match(line)
        if match is None:
            continue
        fields = match.groupdict()
        by_status[fields["status"]] += 1
        base = fields["path"].split("?")[0]
        by_path[base].append(int(fields["bytes"]))
        words.update(WORD.findall(fields["path"]))
        for key, value in QUERY.findall(fields["path"]):
            params[key].add(value)
    return {
        "status": dict(by_status),
        "paths": {p: {"hits": len(b), "bytes": sum(b), "max": max(b)}
                  for p, b in sorted(by_path.items())},
        "words": words.most_common(10),
        "params": {k: sorted(v)[:20] for k, v in params.items()},
    }


def main():
    rng = random.Random(1234)
    history = []
    for round_number in range(ROUNDS):
        lines = [make_line(rng) for _ in range(LINES_PER_ROUND)]
        report = analyse(lines)
        text = json.dumps(report, indent=2, sort_keys=True)
        again = json.loads(text)
        assert json.dumps(again, indent=2, sort_keys=True) == text
        records = [LINE.match(line).groupdict() for line in lines[:400]]
        blob = json.dumps(records)
        assert json.loads(blob) == records
        history.append({"round": round_number, "size": len(text), "report": again})
        if len(history) > 2:
            history.pop(0)
    print(json.dumps([h["size"] for h in history]))


if __name__ == "__main__":
    main()
