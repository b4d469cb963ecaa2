"""pyperformance gc_collect shape: many cycles of 21 nodes, then explicit
gc.collect() calls; also gc_traversal's deep nesting."""
import gc

class Node:
    def __init__(self):
        self.next = None
        self.payload = [1, 2, 3]

def make_cycle(n=21):
    nodes = [Node() for _ in range(n)]
    for a, b in zip(nodes, nodes[1:] + nodes[:1]):
        a.next = b

for _ in range(15):
    for _ in range(1000):
        make_cycle()
    gc.collect()
nested = []
for i in range(100):
    cur = nested
    for _ in range(1000):
        nxt = []
        cur.append(nxt)
        cur = nxt
for _ in range(10):
    gc.collect()
