#!/usr/bin/env python3
"""Validate a heaplab graph file and recompute its unreachable count.

Usage: python3 tools/heap_check.py FILE

The file may be gzip-compressed (recognised by its magic bytes, not by its
name).  The format is checked strictly:

    heaplab-graph 1 [nodes=N] [edges=M]     first line
    # ...                                   comment lines, anywhere after it
    n ID KIND SIZE EXT                      node lines, IDs 0, 1, 2, ... in order
    e SRC DST                               edge lines, after all node lines
    f ID                                    finalizer lines, after all node lines
    r ID                                    root lines (known-alive), after all
                                            node lines

Fields are separated by single spaces; numbers are decimal without sign or
leading zeros; every line, the last one included, ends in a newline; blank
lines are not allowed.  KIND is one of list tuple dict set frozenset type
function instance other.  An ID may carry at most one f line and at most
one r line; an r node must be alive in the graph (reachable from EXT).  The count
hints on the first line, and the nodes= and edges= fields of a
"# cpython-collect:" comment, must match the file.

The unreachable count is computed independently: roots are the nodes with
EXT > 0, everything reachable from a root along the edges is alive, the rest
is unreachable.  It is printed together with the count recorded in the
"# cpython-collect: unreachable=<n> ms=<x.xxx> nodes=<N> edges=<M>" comment
(and "# graph-unreachable: <n>" if present).

Exit status: 0 if the counts agree (or no count was recorded), 1 on a
mismatch, 2 with "FILE:LINE: message" on stderr if the file is malformed or
cannot be read.
"""

import gzip
import re
import sys
from array import array

MAGIC = "heaplab-graph 1"
KINDS = ("list", "tuple", "dict", "set", "frozenset",
         "type", "function", "instance", "other")
_KIND_SET = frozenset(KINDS)
_NUMBER = re.compile(r"(0|[1-9][0-9]*)\Z")
_MAX_ID = 2 ** 31 - 1
_MAX_VALUE = 2 ** 63 - 1
_COLLECT = re.compile(
    r"# cpython-collect: unreachable=(0|[1-9][0-9]*) "
    r"ms=(0|[1-9][0-9]*)\.[0-9]{3} "
    r"nodes=(0|[1-9][0-9]*) edges=(0|[1-9][0-9]*)\Z")
_GRAPH_UNREACHABLE = re.compile(r"# graph-unreachable: (0|[1-9][0-9]*)\Z")


class Malformed(Exception):
    def __init__(self, line, message):
        Exception.__init__(self, message)
        self.line = line
        self.message = message


def _number(token, lineno, what, limit=_MAX_VALUE):
    if not _NUMBER.match(token):
        if token.startswith("-") and _NUMBER.match(token[1:]):
            raise Malformed(lineno, "negative %s: %s" % (what, token))
        raise Malformed(lineno, "bad number for %s: %r" % (what, token))
    value = int(token)
    if value > limit:
        raise Malformed(lineno, "%s out of range: %s" % (what, token))
    return value


def read_graph(data):
    """Parse the bytes of a graph file; raise Malformed on any error.

    Returns a dict with nodes, edge arrays, finalizers and recorded counts.
    """
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, ValueError) as exc:
            raise Malformed(0, "bad gzip data: %s" % exc)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        lineno = data.count(b"\n", 0, exc.start) + 1
        raise Malformed(lineno, "not valid UTF-8")
    if not text:
        raise Malformed(1, "empty file (expected %r)" % MAGIC)
    lines = text.split("\n")
    if lines[-1] != "":
        raise Malformed(len(lines), "last line does not end in a newline "
                                    "(truncated file?)")
    lines.pop()

    header = lines[0].split(" ")
    if " ".join(header[:2]) != MAGIC:
        raise Malformed(1, "bad magic: expected %r" % MAGIC)
    hints = {}
    for token in header[2:]:
        key, sep, value = token.partition("=")
        if not sep or key not in ("nodes", "edges") or key in hints:
            raise Malformed(1, "bad header field %r" % token)
        hints[key] = (_number(value, 1, key), 1)

    ext = array("q")
    kinds = bytearray()
    src = array("l")
    dst = array("l")
    fin = {}
    root = {}
    recorded = {}
    n = 0
    nodes_done = False
    for lineno, line in enumerate(lines[1:], 2):
        if line.startswith("#"):
            if line.startswith("# cpython-collect:"):
                m = _COLLECT.match(line)
                if not m:
                    raise Malformed(lineno, "malformed cpython-collect line")
                if "collect" in recorded:
                    raise Malformed(lineno, "second cpython-collect line")
                recorded["collect"] = (int(m.group(1)), line[2:], lineno)
                hints.setdefault("collect-nodes", (int(m.group(3)), lineno))
                hints.setdefault("collect-edges", (int(m.group(4)), lineno))
            elif line.startswith("# graph-unreachable:"):
                m = _GRAPH_UNREACHABLE.match(line)
                if not m or "graph" in recorded:
                    raise Malformed(lineno, "malformed or repeated "
                                            "graph-unreachable line")
                recorded["graph"] = (int(m.group(1)), lineno)
            continue
        fields = line.split(" ")
        tag = fields[0]
        if tag == "n":
            if nodes_done:
                raise Malformed(lineno, "node line after edge/finalizer lines")
            if len(fields) != 5:
                raise Malformed(lineno, "node line needs 5 fields, has %d"
                                % len(fields))
            ident = _number(fields[1], lineno, "node id", _MAX_ID)
            if ident != n:
                raise Malformed(lineno, "node id %d out of order (expected %d)"
                                % (ident, n))
            if fields[2] not in _KIND_SET:
                raise Malformed(lineno, "unknown kind %r" % fields[2])
            _number(fields[3], lineno, "size")
            ext.append(_number(fields[4], lineno, "EXT"))
            kinds.append(KINDS.index(fields[2]))
            n += 1
        elif tag == "e":
            nodes_done = True
            if len(fields) != 3:
                raise Malformed(lineno, "edge line needs 3 fields, has %d"
                                % len(fields))
            a = _number(fields[1], lineno, "edge source", _MAX_ID)
            b = _number(fields[2], lineno, "edge target", _MAX_ID)
            for end in (a, b):
                if end >= n:
                    raise Malformed(lineno, "edge to undefined node %d" % end)
            src.append(a)
            dst.append(b)
        elif tag == "f":
            nodes_done = True
            if len(fields) != 2:
                raise Malformed(lineno, "finalizer line needs 2 fields, has %d"
                                % len(fields))
            a = _number(fields[1], lineno, "finalizer node", _MAX_ID)
            if a >= n:
                raise Malformed(lineno, "finalizer on undefined node %d" % a)
            if a in fin:
                raise Malformed(lineno, "second f line for node %d" % a)
            fin[a] = lineno
        elif tag == "r":
            nodes_done = True
            if len(fields) != 2:
                raise Malformed(lineno, "root line needs 2 fields, has %d"
                                % len(fields))
            a = _number(fields[1], lineno, "root node", _MAX_ID)
            if a >= n:
                raise Malformed(lineno, "root on undefined node %d" % a)
            if a in root:
                raise Malformed(lineno, "second r line for node %d" % a)
            root[a] = lineno
        elif line == "":
            raise Malformed(lineno, "blank line")
        else:
            raise Malformed(lineno, "unknown line type %r" % tag)

    for key, actual in (("nodes", n), ("edges", len(src)),
                        ("collect-nodes", n), ("collect-edges", len(src))):
        if key in hints and hints[key][0] != actual:
            raise Malformed(hints[key][1], "%s=%d but the file has %d"
                            % (key.split("-")[-1], hints[key][0], actual))
    return {"n": n, "ext": ext, "kinds": kinds, "src": src, "dst": dst,
            "fin": sorted(fin), "root": root, "recorded": recorded}


def unreachable(graph):
    """Return a bytearray marking the nodes not reachable from any root."""
    n = graph["n"]
    src, dst, ext = graph["src"], graph["dst"], graph["ext"]
    # Adjacency in compressed form (counting sort by source).
    start = array("l", bytes(array("l").itemsize * (n + 1)))
    for a in src:
        start[a + 1] += 1
    for i in range(n):
        start[i + 1] += start[i]
    fill = array("l", start)
    adj = array("l", bytes(array("l").itemsize * len(src)))
    for a, b in zip(src, dst):
        adj[fill[a]] = b
        fill[a] += 1
    alive = bytearray(n)
    stack = array("l", (i for i in range(n) if ext[i] > 0))
    for i in stack:
        alive[i] = 1
    while stack:
        i = stack.pop()
        for k in range(start[i], start[i + 1]):
            j = adj[k]
            if not alive[j]:
                alive[j] = 1
                stack.append(j)
    return bytearray(1 - a for a in alive)


def main(argv):
    if len(argv) != 2 or argv[1].startswith("-"):
        sys.stderr.write("usage: heap_check.py FILE\n")
        return 2
    path = argv[1]
    try:
        with open(path, "rb") as fh:
            data = fh.read()
        graph = read_graph(data)
    except OSError as exc:
        sys.stderr.write("%s:0: cannot read: %s\n" % (path, exc.strerror))
        return 2
    except Malformed as exc:
        sys.stderr.write("%s:%d: %s\n" % (path, exc.line, exc.message))
        return 2

    dead = unreachable(graph)
    count = sum(dead)
    n = graph["n"]
    roots = sum(1 for e in graph["ext"] if e > 0)
    dead_fin = sum(1 for i in graph["fin"] if dead[i])
    kinds = [0] * len(KINDS)
    for k, d in zip(graph["kinds"], dead):
        if d:
            kinds[k] += 1
    print("%s: nodes=%d edges=%d roots=%d finalizers=%d r-lines=%d"
          % (path, n, len(graph["src"]), roots, len(graph["fin"]),
             len(graph["root"])))
    print("computed unreachable=%d (finalizers among them: %d)"
          % (count, dead_fin))
    if count:
        print("unreachable by kind: %s" % " ".join(
            "%s=%d" % (KINDS[k], kinds[k]) for k in range(len(KINDS))
            if kinds[k]))
    status = 0
    for node, lineno in sorted(graph["root"].items(), key=lambda item: item[1]):
        if dead[node]:
            print("MISMATCH: r line for node %d (line %d), which is unreachable"
                  % (node, lineno))
            status = 1
            break
    recorded = graph["recorded"]
    if "collect" in recorded:
        value, text, lineno = recorded["collect"]
        print("recorded %s" % text)
        if value != count:
            print("MISMATCH: cpython-collect unreachable=%d (line %d), "
                  "computed %d" % (value, lineno, count))
            status = 1
    else:
        print("recorded cpython-collect: none")
    if "graph" in recorded:
        value, lineno = recorded["graph"]
        if value != count:
            print("MISMATCH: graph-unreachable %d (line %d), computed %d"
                  % (value, lineno, count))
            status = 1
    print("OK" if status == 0 else "FAILED")
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv))
