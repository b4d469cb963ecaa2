"""Object churn: classes, slots, dataclasses, cycles, weakrefs, finalizers, gc."""
import dataclasses, gc, weakref

class Node:
    def __init__(self, name, parent=None):
        self.name, self.parent, self.children = name, parent, []
        if parent is not None:
            parent.children.append(self)

class Slotted:
    __slots__ = ("a", "b", "__weakref__")
    def __init__(self, a, b):
        self.a, self.b = a, b

finalized = []
class Final:
    def __init__(self, n):
        self.n, self.me = n, self
    def __del__(self):
        finalized.append(self.n)

@dataclasses.dataclass(order=True)
class Point:
    x: int
    y: int
    tags: list = dataclasses.field(default_factory=list)

gc.collect()
dead = []
for round_ in range(5):
    root = Node("root%d" % round_)
    made = [root]
    for i in range(2000):
        made.append(Node("n%d" % i, made[i // 3]))
    del made
    refs = [weakref.ref(c, lambda r: dead.append(1)) for c in root.children]
    del root
    print("round", round_, "collected", gc.collect() > 0, "alive refs",
          sum(r() is not None for r in refs))
    for i in range(100):
        Final(round_ * 100 + i)
    gc.collect()
print("finalized", len(finalized), sum(finalized), "callbacks", len(dead))
pts = sorted(Point((i * 37) % 101, (i * 53) % 97, [i] * (i % 4)) for i in range(3000))
print(pts[0], pts[-1], len({(p.x, p.y) for p in pts}))
slots = [Slotted(i, str(i)) for i in range(50000)]
wd = weakref.WeakValueDictionary((i, s) for i, s in enumerate(slots[:1000]))
del slots[:500]
print("weak values left", len(wd))
cache = weakref.WeakKeyDictionary()
keep = [Point(i, -i) for i in range(100)]
for p in keep:
    cache[Slotted(p.x, p.y)] = p
print("weak keys left", len(cache))
nested = []
cur = nested
for i in range(500):
    nxt = [i, {"k": i}, (i,)]
    cur.append(nxt)
    cur = nxt
print("depth built", len(repr(nested)) > 10000)
print("gc counts reset", gc.collect() >= 0, gc.get_threshold())
