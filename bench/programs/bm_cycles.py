"""Cycle-heavy churn: trees with parent pointers, doubly linked lists and
graphs of instances, dropped while the collector runs automatically."""
class Node:
    def __init__(self, parent):
        self.parent = parent
        self.children = []
        self.attrs = {"depth": 0 if parent is None else parent.attrs["depth"] + 1}

def tree(depth, parent=None):
    node = Node(parent)
    if depth:
        node.children = [tree(depth - 1, node) for _ in range(3)]
    return node

class Link:
    __slots__ = ("prev", "next", "value")

def ring(n):
    first = Link()
    first.prev = first.next = first
    first.value = 0
    for i in range(1, n):
        link = Link()
        link.value = i
        link.prev, link.next = first.prev, first
        first.prev.next = link
        first.prev = link
    return first

keep = []
for i in range(120):
    t = tree(5)
    r = ring(200)
    graph = [{"id": k} for k in range(100)]
    for k, d in enumerate(graph):
        d["next"] = graph[(k * 7 + 1) % 100]
    if i % 50 == 0:
        keep.append(t)
