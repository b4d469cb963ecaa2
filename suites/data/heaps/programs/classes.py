"""A user-class workload: linked structures, finalizers, closures, tracebacks.

Everything here is written the way ordinary application code is written;
each structure is built both as something that stays alive and as something
that is dropped while still cyclic:

* doubly linked lists (prev/next pointers),
* trees whose nodes point to their parent,
* resource objects with a __del__ method (PEP 442 finalizers), some of them
  inside garbage cycles,
* recursive closures (a function that refers to itself through its cell),
* exceptions caught and stored with their traceback (frame cycles),
* bound-method callbacks registered on the object that owns them.
"""

import random

rng = random.Random(3)


class ListNode:
    __slots__ = ("value", "prev", "next")

    def __init__(self, value):
        self.value = value
        self.prev = self.next = None


class DoublyLinkedList:
    def __init__(self, values=()):
        self.head = self.tail = None
        self.size = 0
        for v in values:
            self.append(v)

    def append(self, value):
        node = ListNode(value)
        if self.tail is None:
            self.head = self.tail = node
        else:
            node.prev, self.tail.next = self.tail, node
            self.tail = node
        self.size += 1
        return node

    def remove(self, node):
        if node.prev is None:
            self.head = node.next
        else:
            node.prev.next = node.next
        if node.next is None:
            self.tail = node.prev
        else:
            node.next.prev = node.prev
        self.size -= 1


class TreeNode:
    def __init__(self, key, parent=None):
        self.key = key
        self.parent = parent
        self.children = []
        self.attrs = {"depth": 0 if parent is None else parent.attrs["depth"] + 1}

    def add(self, key):
        child = TreeNode(key, self)
        self.children.append(child)
        return child


def build_tree(fanout, depth, key=0):
    root = TreeNode(key)
    level = [root]
    for _ in range(depth):
        nxt = []
        for node in level:
            for i in range(fanout):
                nxt.append(node.add(node.key * fanout + i + 1))
        level = nxt
    return root


class Resource:
    """Something with a finalizer; counts how many were finalized."""
    finalized = 0

    def __init__(self, name, owner=None):
        self.name = name
        self.owner = owner
        self.buffer = bytearray(32)
        self.listeners = []

    def __del__(self):
        Resource.finalized += 1


class Session(Resource):
    """A subclass: inherits __del__ from Resource."""

    def __init__(self, name):
        Resource.__init__(self, name)
        self.resources = [Resource("%s/r%d" % (name, i), self) for i in range(3)]
        self.listeners.append(self.on_event)      # bound method -> self

    def on_event(self, event):
        return (self.name, event)


class ValidationError(Exception):
    pass


def validate(record):
    checked = dict(record)          # a local the traceback's frame keeps
    if checked["value"] % 7 == 0:
        raise ValidationError("bad value %d" % checked["value"])
    return checked


def collect_errors(records):
    """Store caught exceptions; each keeps its traceback and frames."""
    errors = []
    for record in records:
        try:
            validate(record)
        except ValidationError as exc:
            errors.append(exc)
    return errors


def make_counter(limit):
    """A recursive closure: countdown refers to itself through a cell."""
    def countdown(n, acc):
        return acc if n <= 0 else countdown(n - 1, acc + [n])
    return countdown, countdown(limit, [])


# Live structures.
live_list = DoublyLinkedList(range(800))
node = live_list.head
while node is not None:                 # unlink every fifth node; nothing
    nxt = node.next                     # refers to an unlinked node, so
    if node.value % 5 == 0:             # reference counting frees it
        live_list.remove(node)
    node = nxt
del node, nxt

live_tree = build_tree(4, 5)                     # 1365 nodes
live_sessions = [Session("live%d" % i) for i in range(20)]
live_errors = collect_errors({"value": rng.randrange(1000)} for _ in range(200))
live_counter, counted = make_counter(50)

# Garbage: the same structures, dropped while cyclic.
for round_no in range(3):
    lst = DoublyLinkedList(range(rng.randint(500, 900)))
    tree = build_tree(3, 6)                      # 1093 nodes
    sessions = [Session("tmp%d.%d" % (round_no, i)) for i in range(40)]
    errors = collect_errors({"value": rng.randrange(1000)} for _ in range(150))
    counter, _ = make_counter(30)
    # A pruned subtree of the live tree becomes garbage as well.
    pruned = live_tree.children[round_no].children.pop()
del lst, tree, sessions, errors, counter, pruned

print("classes: list=%d tree-children=%d sessions=%d errors=%d counted=%d"
      % (live_list.size, len(live_tree.children), len(live_sessions),
         len(live_errors), len(counted)))
