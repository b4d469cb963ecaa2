#!/usr/bin/env python3
"""Record the heap of a Python program as a heaplab graph.

Usage:
    python3 tools/heap_snapshot.py [-o OUT] [--gzip] [--repeat N] PROGRAM.py [ARGS...]
    python3 tools/heap_snapshot.py [-o OUT] [--gzip] [--repeat N] -m MODULE [ARGS...]

The program runs with the cyclic collector disabled, so every piece of cyclic
garbage it produces is still in the heap when it finishes.  At that point (or
earlier, when the program calls ``heap_snapshot.snapshot()``) the tool records
every object tracked by the collector as a node of a graph, every reference
that the collector itself would follow (``tp_traverse``) as an edge, and for
each node the number of references that come from outside the graph (EXT).
It then runs one real ``gc.collect()`` on exactly that heap and checks that
CPython finds exactly as many unreachable objects as the recorded graph
implies.  The graph is written only if the two agree.

Output format (text, optionally gzip-compressed)::

    heaplab-graph 1 nodes=N edges=M
    # comment lines
    n ID KIND SIZE EXT        ID = 0..N-1 in order
    e SRC DST                 one line per reference, repeats kept
    f ID                      the object's class defines __del__
    r ID                      a known-alive root: a module's dict (every
                              module in sys.modules), sys.__dict__,
                              builtins.__dict__, a type and its dict, a frame
                              of a live thread (sys._current_frames())

KIND is one of list tuple dict set frozenset type function instance other.
One comment line is machine-readable and has this exact shape::

    # cpython-collect: unreachable=<n> ms=<float, 3 decimals> nodes=<N> edges=<M>

How the program is run
----------------------
Every measurement happens in a fresh child interpreter (``sys.executable``)
with ``PYTHONHASHSEED=0`` unless the caller set that variable, so that the
heap, and therefore the graph, is reproducible.  ``--repeat N`` runs N such
children (a collection destroys the heap it measures, so it cannot be repeated
in one process), requires them to agree on the counts, keeps the graph of the
first run and records the smallest collection time.

In the child the collector is disabled, ``gc.collect()`` is called once
immediately before the program starts and the program is executed in a fresh
``__main__`` module that stays in ``sys.modules``, as ``python3 PROGRAM.py``
would do.  ``runpy.run_path`` is deliberately not used: it puts the previous
``__main__`` back and hands out a copy of the globals, which would turn the
program's whole module namespace into cyclic garbage at snapshot time.

The collection before the start is right for what the graph is meant to show:
garbage left over from interpreter start-up and from this tool's own start-up
(argument parsing, imports) is removed, so all garbage in the graph is the
program's.  The live start-up heap (sys.modules, builtins, ...) stays in the
graph as the live part every real process has.  Two consequences are worth
knowing: objects created by the program are never promoted or untracked (a
normal run would untrack all-atomic tuples and dicts during automatic
collections), and the heap contains all the garbage a normal run would have
reclaimed piecemeal.  If the program calls gc.collect() itself, what that
collection reclaims is of course gone.

EXT accounting
--------------
CPython's collector computes, for each object in the generation being
collected, ``gc_refs = ob_refcnt - (number of references from other objects
in the same set)`` (``update_refs`` + ``subtract_refs``); objects with
``gc_refs > 0`` are the roots, everything reachable from them survives and the
rest is unreachable.  The graph stores exactly that difference as EXT, with
the node set as "the set":

1.  ``gc.get_objects()`` returns every tracked object of all generations
    except the returned list itself.  The tool's own tracked objects (its
    module, module dict, functions and their defaults, its state dict, its
    ``__loader__``) are removed from that list by ``id``; their references
    into the graph therefore count as external, which is correct because
    they are alive and stay alive across the collection.  A new list,
    ``nodes``, is built from the remaining objects and the first list is
    released, so from here on the tool holds exactly one reference to every
    node (the ``nodes`` list).  The id-set of excluded objects is a dict of
    ints, which the collector does not track, so it is not itself a node.

2.  In a first pass, before anything else touches the nodes, the tool
    evaluates ``getrefcount(nodes[i])`` for every i.  The value is

        true references + 1 (the ``nodes`` list) + A (the call's argument)

    where A, the temporary reference(s) made by passing the argument, is
    measured once by calibration on a private list (A = 1 on CPython 3.11).
    The node that *is* the ``getrefcount`` builtin additionally carries the
    local variable that names it and the callable's slot on the evaluation
    stack (1 + A more).  No other reference to a node is created or dropped
    by the tool during this pass: it only stores ints into an ``array``.

3.  In a second pass, ``gc.get_referents(obj)`` (which is ``tp_traverse``,
    exactly the function ``subtract_refs`` uses) gives the edges.  Referents
    that are not nodes are dropped; repeats are kept, one edge each, because
    ``subtract_refs`` decrements once per visit.  The in-degree of each node is
    counted along the way.  This pass does create temporary references (the
    referents lists), but the reference counts were already taken.

4.  ``EXT = refcount - 1 - A - in-degree``.  A negative value means that the
    accounting above is wrong (or that something changed the heap between the
    passes); the tool fails with an error instead of writing a file.

EXT of a node therefore counts references from interpreter state, C globals,
executing frames, objects that are not tracked (e.g. code objects and their
constants) and the tool's excluded objects.  For the last group this differs
from the ``gc_refs`` CPython computes (it sees the tool's objects as part of
the collected set), but those objects are alive, so no node's reachability is
affected.

Between the snapshot and the collection the tool must not change which
objects reach which: it holds no reference to any node (``nodes`` is released
when the snapshot function returns; its bookkeeping lives in ``array``
objects and int-keyed dicts), creates no cyclic garbage and runs no program
code (classification uses ``type()`` and type-level lookups only; sizes come
from ``sys.getsizeof`` only where ``__sizeof__`` is implemented in C, else
``__basicsize__``).  Threads of the program that are still running at that
point can change the heap behind the tool's back; the check below will then
normally fail.

The check
---------
The collection runs under ``gc.DEBUG_SAVEALL``, so nothing is freed and every
object CPython found unreachable ends up in ``gc.garbage``.  ``gc.collect()``
returns ``len(final_unreachable) + weakrefs freed by their callbacks +
objects kept by legacy (tp_del) finalizers``.  ``__del__`` methods (PEP 442
finalizers) still run before the objects are saved, and one that resurrects
objects removes them from the count.  The tool therefore checks that

* the returned count equals the graph's own unreachable count,
* every object saved in ``gc.garbage`` is an unreachable node of the graph,
* and as many objects were saved as the graph says are unreachable,

and reports resurrected objects and weakref-callback effects separately if
not.  Nothing is written in that case and the exit status is 1.

The ``f`` lines mark objects whose class has a ``__del__`` found in the MRO in
the ``__dict__`` of a heap type (a class statement).  Built-in types with a C
finalizer (generators, coroutines, io objects) are not marked.

Snapshot at an explicit point
-----------------------------
A program run under this tool can ``import heap_snapshot`` and call
``heap_snapshot.snapshot()``; the snapshot and the collection are then taken
at that point, with the program's executing frames as external references,
and no second snapshot is taken at the end.  Outside this tool the call does
nothing and returns False.

Only the standard library is used.
"""

import builtins
import gc
import os
import sys

gc.disable()

from array import array
from time import perf_counter_ns

FORMAT_MAGIC = "heaplab-graph 1"
KINDS = ("list", "tuple", "dict", "set", "frozenset",
         "type", "function", "instance", "other")
K_TYPE, K_FUNCTION, K_INSTANCE, K_OTHER = 5, 6, 7, 8

_TPFLAGS_HEAPTYPE = 1 << 9
_TPFLAGS_TYPE_SUBCLASS = 1 << 31

# Type-level accessors that bypass metaclass attribute hooks, so looking at a
# node's type never runs code of the program.
_type_mro = type.__dict__["__mro__"].__get__
_type_dict = type.__dict__["__dict__"].__get__
_ModuleType = type(sys)
_module_dict = _ModuleType.__dict__["__dict__"].__get__
_type_flags = type.__dict__["__flags__"].__get__
_type_basicsize = type.__dict__["__basicsize__"].__get__
_FunctionType = type(lambda: None)
_MethodDescriptorType = type(object.__dict__["__sizeof__"])

# Exact built-in container types, keyed by id (an int-keyed dict is not
# tracked by the collector).
_EXACT_KINDS = {id(list): 0, id(tuple): 1, id(dict): 2, id(set): 3,
                id(frozenset): 4}

# Per-process state of a child run.  Excluded from the graph by id.
_STATE = {"active": False, "taken": False}


# ---------------------------------------------------------------------------
# Snapshot (child process)
# ---------------------------------------------------------------------------

def _type_lookup(t, name):
    """Return the class in t's MRO whose own __dict__ defines name, or None."""
    mro = _type_mro(t)
    if mro is None:                     # type still being created
        mro = (t,)
    for base in mro:
        if name in _type_dict(base):
            return base
    return None


def _type_info(t):
    """Classify a type: kind | sizeof-in-C << 4 | python-finalizer << 5."""
    kind = _EXACT_KINDS.get(id(t))
    flags = _type_flags(t)
    if kind is None:
        if t is _FunctionType:
            kind = K_FUNCTION
        elif flags & _TPFLAGS_TYPE_SUBCLASS:
            kind = K_TYPE
        elif flags & _TPFLAGS_HEAPTYPE:
            kind = K_INSTANCE
        else:
            kind = K_OTHER
    owner = _type_lookup(t, "__sizeof__")
    c_sizeof = (owner is not None and
                type(_type_dict(owner)["__sizeof__"]) is _MethodDescriptorType)
    owner = _type_lookup(t, "__del__")
    has_del = owner is not None and bool(_type_flags(owner) & _TPFLAGS_HEAPTYPE)
    return kind | (c_sizeof << 4) | (has_del << 5)


def _tool_object_ids():
    """Ids of this tool's own tracked objects, as an (untracked) dict."""
    g = globals()
    ids = {id(g): None, id(_STATE): None}
    module = _STATE.get("module")
    if module is not None:
        ids[id(module)] = None
    loader = g.get("__loader__")
    if loader is not None:
        ids[id(loader)] = None
    for value in g.values():
        if type(value) is _FunctionType and value.__globals__ is g:
            ids[id(value)] = None
            for extra in (value.__defaults__, value.__kwdefaults__,
                          value.__closure__):
                if extra is not None:
                    ids[id(extra)] = None
    return ids


def _build_graph(exclude):
    """Snapshot all tracked objects except those whose id is in exclude.

    Returns (ids, kinds, sizes, ext, eoff, edst, fins): arrays indexed by
    node number; the edges of node i are edst[eoff[i]:eoff[i + 1]].  See the
    module docstring for the EXT accounting.  When this function returns, the
    tool holds no reference to any node.
    """
    grc = sys.getrefcount
    # Frames exist as objects only once asked for: make the live threads'
    # frames real now, so they are nodes, and leave this tool's own out.
    frame_ids = {}                      # id -> None: an untracked dict
    for frame in sys._current_frames().values():
        while frame is not None:
            if frame.f_code.co_filename == __file__:
                exclude[id(frame)] = None
            else:
                frame_ids[id(frame)] = None
            frame = frame.f_back
    # Calibration: references added by passing an argument to getrefcount.
    probe = [object()]
    arg_refs = grc(probe[0]) - 1
    del probe

    objs = gc.get_objects()
    nodes = [o for o in objs if id(o) not in exclude]
    del objs
    n = len(nodes)

    # Pass 1: reference counts, before anything else touches the nodes.
    ext = array("q", bytes(8 * n))
    for i in range(n):
        ext[i] = grc(nodes[i])
    holder_refs = 1 + arg_refs          # the nodes list + the argument

    # Node numbering by identity.  int -> int dicts are not tracked.
    index = dict(zip(map(id, nodes), range(n)))
    ids = array("Q", map(id, nodes))
    self_node = index.get(id(grc))

    # Pass 2: classification, sizes, finalizers, edges.
    get_referents = gc.get_referents
    getsizeof = sys.getsizeof
    kinds = bytearray(n)
    sizes = array("q", bytes(8 * n))
    indeg = array("q", bytes(8 * n))
    eoff = array("q", bytes(8 * (n + 1)))
    edst = array("l")
    fins = array("l")
    tcache = {}
    for i in range(n):
        o = nodes[i]
        t = type(o)
        info = tcache.get(id(t))
        if info is None:
            info = tcache[id(t)] = _type_info(t)
        kinds[i] = info & 15
        if info & 16:
            try:
                sizes[i] = getsizeof(o)
            except Exception:
                sizes[i] = _type_basicsize(t)
        else:
            sizes[i] = _type_basicsize(t)
        if info & 32:
            fins.append(i)
        eoff[i] = len(edst)
        for r in get_referents(o):
            j = index.get(id(r))
            if j is not None:
                edst.append(j)
                indeg[j] += 1
    eoff[n] = len(edst)

    for i in range(n):
        ext[i] -= holder_refs + indeg[i]
    if self_node is not None:
        ext[self_node] -= 1 + arg_refs  # local 'grc' + callable on the stack
    bad = [i for i in range(n) if ext[i] < 0]
    if bad:
        i = bad[0]
        raise RuntimeError(
            "negative EXT for %d node(s); first: node %d (%s) EXT=%d"
            % (len(bad), i, type(nodes[i]).__name__, ext[i]))
    roots = _roots(nodes, index, kinds, frame_ids)
    return ids, kinds, sizes, ext, eoff, edst, fins, roots


def _roots(nodes, index, kinds, frame_ids):
    """Node numbers of the root candidates, in increasing order: module
    dicts of sys.modules, sys.__dict__ and builtins.__dict__, types and
    their dicts, and the frames of live threads.  _take keeps those the
    graph finds alive (a type the program dropped is garbage)."""
    roots = {}                          # node -> None: an untracked dict

    def mark(obj):
        j = index.get(id(obj))
        if j is not None:
            roots[j] = None
    for module in list(sys.modules.values()):
        if issubclass(type(module), _ModuleType):
            mark(_module_dict(module))
    mark(sys.__dict__)
    mark(builtins.__dict__)
    for i in range(len(nodes)):
        if kinds[i] == K_TYPE:
            roots[i] = None
            for d in gc.get_referents(_type_dict(nodes[i])):
                mark(d)
        elif id(nodes[i]) in frame_ids:
            roots[i] = None
    return array("l", sorted(roots))


def _unreachable(n, ext, eoff, edst):
    """Mark nodes not reachable from any node with EXT > 0 (bytearray)."""
    seen = bytearray(n)
    stack = array("l", (i for i in range(n) if ext[i] > 0))
    for i in stack:
        seen[i] = 1
    while stack:
        i = stack.pop()
        for k in range(eoff[i], eoff[i + 1]):
            j = edst[k]
            if not seen[j]:
                seen[j] = 1
                stack.append(j)
    return bytearray(1 - s for s in seen)


def _take():
    """Snapshot the heap, collect it, check, and write the child's output."""
    _STATE["taken"] = True
    gc.disable()
    graph = _build_graph(_tool_object_ids())

    # The collection, on exactly the heap that was recorded.
    saved_before = len(gc.garbage)
    old_debug = gc.get_debug()
    gc.set_debug(gc.DEBUG_SAVEALL)
    t0 = perf_counter_ns()
    found = gc.collect()
    t1 = perf_counter_ns()
    gc.set_debug(old_debug)
    garbage = gc.garbage

    ids, kinds, sizes, ext, eoff, edst, fins, roots = graph
    del graph
    n = len(ids)
    dead = _unreachable(n, ext, eoff, edst)
    expected = sum(dead)
    index = dict(zip(ids, range(n)))
    saved = 0
    foreign = 0
    for obj in garbage[saved_before:]:
        j = index.get(id(obj))
        if j is None or not dead[j]:
            foreign += 1
        else:
            saved += 1
    obj = None
    del garbage[saved_before:]
    resurrected = expected - saved
    weakref_freed = found - saved - foreign

    if found != expected or foreign or resurrected:
        sys.stderr.write(
            "heap_snapshot: CPython's collector disagrees with the graph:\n"
            "  graph unreachable:          %d\n"
            "  gc.collect() returned:      %d\n"
            "  saved in gc.garbage:        %d (of them not unreachable "
            "nodes: %d)\n"
            "  resurrected by __del__:     %d\n"
            "  weakrefs freed by callbacks (or other): %d\n"
            "  no graph written\n"
            % (expected, found, saved + foreign, foreign, resurrected,
               weakref_freed))
        _STATE["failed"] = True
        return False

    ms = (t1 - t0) / 1e6
    # A type dropped by the program is garbage, not a root: keep the live.
    roots = array("l", (i for i in roots if not dead[i]))
    _write_child_output(_STATE["out"], n, ids, kinds, sizes, ext, eoff,
                        edst, fins, roots, dead, found, ms)
    return True


def snapshot():
    """Take the snapshot now (only when running under heap_snapshot.py).

    Returns True if a snapshot was taken and found consistent.
    """
    if not _STATE["active"] or _STATE["taken"]:
        return False
    _STATE["point"] = "snapshot() call"
    return _take()


def _write_child_output(path, n, ids, kinds, sizes, ext, eoff, edst, fins,
                        roots, dead, found, ms):
    m = len(edst)
    counts = [0] * len(KINDS)
    for k in kinds:
        counts[k] += 1
    dead_fins = sum(1 for i in fins if dead[i])
    version = " ".join(sys.version.split())
    exit_status = _STATE.get("exit", "running")
    with open(path, "w", encoding="utf-8", newline="\n") as out:
        w = out.write
        w("%s nodes=%d edges=%d\n" % (FORMAT_MAGIC, n, m))
        w("# heaplab heap snapshot (tools/heap_snapshot.py)\n")
        w("# program: %s\n" % " ".join(_STATE["argv"]))
        w("# python: %s\n" % version)
        w("# hash-seed: %s\n" % os.environ.get("PYTHONHASHSEED", "random"))
        w("# snapshot-point: %s\n" % _STATE.get("point", "program-end"))
        w("# program-exit: %s\n" % exit_status)
        w("# kinds: %s\n" % " ".join("%s=%d" % (KINDS[k], counts[k])
                                     for k in range(len(KINDS))))
        w("# finalizers: %d (unreachable: %d)\n" % (len(fins), dead_fins))
        w("# roots: %d\n" % len(roots))
        w("# graph-unreachable: %d\n" % sum(dead))
        w("# cpython-collect: unreachable=%d ms=%.3f nodes=%d edges=%d\n"
          % (found, ms, n, m))
        for i in range(n):
            w("n %d %s %d %d\n" % (i, KINDS[kinds[i]], sizes[i], ext[i]))
        for i in range(n):
            for k in range(eoff[i], eoff[i + 1]):
                w("e %d %d\n" % (i, edst[k]))
        for i in fins:
            w("f %d\n" % i)
        for i in roots:
            w("r %d\n" % i)


def _run_program(mode, target, args):
    """Run the program in a fresh __main__ module; return its exit status.

    Returns None if it raised an exception (the traceback is printed).
    """
    if mode == "module":
        import importlib.util
        name = target
        spec = importlib.util.find_spec(name)
        if spec is None:
            raise SystemExit("heap_snapshot: no module named %r" % name)
        if spec.submodule_search_locations is not None:
            name += ".__main__"
            spec = importlib.util.find_spec(name)
        code = spec.loader.get_code(name)
        if code is None:
            raise SystemExit("heap_snapshot: cannot get code of %r" % name)
        main = type(sys)("__main__")
        main.__dict__.update(__file__=spec.origin, __cached__=spec.cached,
                             __loader__=spec.loader, __spec__=spec,
                             __package__=spec.parent)
        sys.argv = [spec.origin] + args
        sys.path[0] = os.getcwd()
        del spec
    else:
        path = os.path.abspath(target)
        with open(path, "rb") as fh:
            source = fh.read()
        code = compile(source, path, "exec", dont_inherit=True)
        del source
        loader_type = sys.modules["_frozen_importlib_external"].SourceFileLoader
        main = type(sys)("__main__")
        main.__dict__.update(__file__=path, __cached__=None,
                             __loader__=loader_type("__main__", path),
                             __spec__=None, __package__=None,
                             __annotations__={})
        sys.argv = [target] + args
        sys.path[0] = os.path.dirname(path)
    main.__builtins__ = sys.modules["builtins"]
    sys.modules["__main__"] = main
    namespace = main.__dict__
    del main

    gc.collect()        # start from a heap without garbage
    gc.disable()
    try:
        exec(code, namespace)
    except SystemExit as exc:
        status = exc.code
        if status is None:
            status = 0
        elif not isinstance(status, int):
            sys.stderr.write("%s\n" % status)
            status = 1
        return status
    except BaseException:
        kind, value, tb = sys.exc_info()
        tb = tb.tb_next                 # do not show this tool's frame
        sys.excepthook(kind, value.with_traceback(tb), tb)
        del kind, value, tb
        return None
    return 0


def _child_main(argv):
    # argv: --child OUT MODE TARGET [ARGS...]
    out, mode, target = argv[1], argv[2], argv[3]
    args = list(argv[4:])
    _STATE.update(active=True, out=out, module=sys.modules[__name__],
                  argv=tuple(["-m", target] if mode == "module" else [target])
                  + tuple(args))
    # Let the program 'import heap_snapshot' and reach this very module.
    sys.modules["heap_snapshot"] = _STATE["module"]
    del argv

    status = _run_program(mode, target, args)
    del args
    if status is None:
        return 3
    _STATE["exit"] = status
    if _STATE["taken"]:
        return 1 if _STATE.get("failed") else 0
    return 0 if _take() else 1


# ---------------------------------------------------------------------------
# Driver (parent process)
# ---------------------------------------------------------------------------

_USAGE = """\
usage: heap_snapshot.py [-o OUT] [--gzip] [--repeat N] PROGRAM.py [ARGS...]
       heap_snapshot.py [-o OUT] [--gzip] [--repeat N] -m MODULE [ARGS...]

Run a Python program with the cyclic collector disabled and record its heap
as a heaplab graph (see the module docstring for details).

options:
  -o OUT, --output OUT  output file (default: <program name>.graph[.gz])
  --gzip                gzip the output (implied by an OUT ending in .gz)
  --repeat N            run the measurement N times in fresh processes and
                        record the smallest collection time (default 1)
  -m MODULE             run a module, like python3 -m
  -h, --help            show this help
"""


def _usage_error(msg):
    sys.stderr.write(_USAGE.split("\n\n")[0] + "\n")
    sys.stderr.write("heap_snapshot.py: error: %s\n" % msg)
    return 2


def _parse_args(argv):
    """Options stop at the program (or -m MODULE); the rest are its args."""
    opts = {"output": None, "gzip": False, "repeat": 1}
    i = 0
    while i < len(argv):
        a = argv[i]
        if a in ("-h", "--help"):
            sys.stdout.write(_USAGE)
            raise SystemExit(0)
        if a == "--gzip":
            opts["gzip"] = True
        elif a in ("-o", "--output", "--repeat", "-m"):
            if i + 1 >= len(argv):
                raise ValueError("%s needs an argument" % a)
            value = argv[i + 1]
            if a == "-m":
                return opts, "module", value, argv[i + 2:]
            if a == "--repeat":
                if not value.isdigit() or int(value) < 1:
                    raise ValueError("--repeat needs a positive integer")
                opts["repeat"] = int(value)
            else:
                opts["output"] = value
            i += 1
        elif a.startswith("--output="):
            opts["output"] = a.split("=", 1)[1]
        elif a.startswith("--repeat="):
            value = a.split("=", 1)[1]
            if not value.isdigit() or int(value) < 1:
                raise ValueError("--repeat needs a positive integer")
            opts["repeat"] = int(value)
        elif a.startswith("-o") and len(a) > 2:
            opts["output"] = a[2:]
        elif a.startswith("-m") and len(a) > 2:
            return opts, "module", a[2:], argv[i + 1:]
        elif a == "--":
            if i + 1 >= len(argv):
                raise ValueError("missing program")
            return opts, "script", argv[i + 1], argv[i + 2:]
        elif a.startswith("-") and a != "-":
            raise ValueError("unknown option %s" % a)
        else:
            return opts, "script", a, argv[i + 1:]
        i += 1
    raise ValueError("missing program")


_COLLECT_PREFIX = "# cpython-collect: "


def _parse_collect_line(text):
    """Find the cpython-collect comment; return (line, dict of its fields)."""
    for line in text.splitlines():
        if line.startswith(_COLLECT_PREFIX):
            fields = dict(f.split("=", 1)
                          for f in line[len(_COLLECT_PREFIX):].split())
            return line, fields
        if line[:1] not in ("#", "h"):
            break
    raise RuntimeError("child output has no cpython-collect line")


def _parent_main(argv):
    import subprocess
    import tempfile

    try:
        opts, mode, target, args = _parse_args(argv)
    except ValueError as exc:
        return _usage_error(str(exc))

    if mode == "script" and not os.path.isfile(target):
        sys.stderr.write("heap_snapshot: cannot open program %r\n" % target)
        return 1

    out = opts["output"]
    gz = opts["gzip"] or (out is not None and out.endswith(".gz"))
    if out is None:
        stem = target if mode == "module" else \
            os.path.splitext(os.path.basename(target))[0]
        out = stem + (".graph.gz" if gz else ".graph")

    env = dict(os.environ)
    env.setdefault("PYTHONHASHSEED", "0")
    me = os.path.abspath(__file__)

    texts = []
    with tempfile.TemporaryDirectory(prefix="heap_snapshot.") as tmp:
        for run in range(opts["repeat"]):
            child_out = os.path.join(tmp, "run%d.graph" % run)
            cmd = [sys.executable, me, "--child", child_out, mode, target]
            rc = subprocess.run(cmd + args, env=env).returncode
            if rc != 0 or not os.path.exists(child_out):
                what = {3: "the program raised an exception"}.get(
                    rc, "the snapshot failed (exit status %d)" % rc)
                sys.stderr.write("heap_snapshot: run %d: %s; nothing written\n"
                                 % (run + 1, what))
                return 1
            with open(child_out, encoding="utf-8") as fh:
                texts.append(fh.read())

    runs = [_parse_collect_line(t) for t in texts]
    first_line, first = runs[0]
    for k, (_, fields) in enumerate(runs[1:], 2):
        for key in ("unreachable", "nodes", "edges"):
            if fields[key] != first[key]:
                sys.stderr.write(
                    "heap_snapshot: run %d differs from run 1 in %s (%s vs %s);"
                    " the program is not deterministic; nothing written\n"
                    % (k, key, fields[key], first[key]))
                return 1
    times = [float(fields["ms"]) for _, fields in runs]
    text = texts[0]
    if len(times) > 1:
        best = min(times)
        line = "%sunreachable=%s ms=%.3f nodes=%s edges=%s" % (
            _COLLECT_PREFIX, first["unreachable"], best, first["nodes"],
            first["edges"])
        line += "\n# collect-runs: ms=%s (the minimum is recorded above)" % (
            ",".join("%.3f" % t for t in times))
        text = text.replace(first_line, line, 1)

    data = text.encode("utf-8")
    if gz:
        import gzip
        with open(out, "wb") as raw:
            with gzip.GzipFile(filename="", mode="wb", fileobj=raw,
                               compresslevel=9, mtime=0) as fh:
                fh.write(data)
    else:
        with open(out, "wb") as fh:
            fh.write(data)
    for line in text.splitlines():
        if line.startswith("# program-exit: "):
            status = line.split(": ", 1)[1]
            if status not in ("0", "running"):
                sys.stderr.write("heap_snapshot: note: the program exited "
                                 "with status %s\n" % status)
            break
    sys.stderr.write(
        "heap_snapshot: wrote %s: nodes=%s edges=%s unreachable=%s ms=%s\n"
        % (out, first["nodes"], first["edges"], first["unreachable"],
           ",".join("%.3f" % t for t in times)))
    return 0


if __name__ == "__main__":
    if len(sys.argv) >= 5 and sys.argv[1] == "--child":
        sys.exit(_child_main(sys.argv[1:]))
    sys.exit(_parent_main(sys.argv[1:]))
