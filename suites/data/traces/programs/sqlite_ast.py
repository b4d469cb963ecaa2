"""A tiny build system: generated Python modules are parsed with ast,
rewritten (constant folding, a call counter inserted into every function),
compiled and run, and what they define is stored in an in-memory sqlite3
database that is then queried with joins and aggregates.

The allocation pattern is the compiler's: deep trees of small AST nodes that
die together, code objects and dicts that live on, and sqlite3's own
allocations through the same malloc.  Deterministic: a fixed random seed.
"""

import ast
import random
import sqlite3

MODULES = 8
FUNCTIONS_PER_MODULE = 12

OPERATORS = ["+", "-", "*", "//", "%"]


def make_expression(rng, depth, names):
    if depth == 0 or rng.random() < 0.3:
        if names and rng.random() < 0.6:
            return rng.choice(names)
        return str(rng.randrange(1, 100))
    operator = rng.choice(OPERATORS)
    right = make_expression(rng, depth - 1, names)
    if operator in ("//", "%"):
        right = "(%s or 1)" % right
    return "(%s %s %s)" % (make_expression(rng, depth - 1, names), operator, right)


def make_module(rng, index):
    lines = ["import math", "TABLE = {%s}" % ", ".join(
        "%d: %r" % (i, "v%d" % (i * index)) for i in range(20))]
    for f in range(FUNCTIONS_PER_MODULE):
        params = ["a%d" % i for i in range(rng.randrange(1, 4))]
        lines.append("def f%d_%d(%s):" % (index, f, ", ".join(params)))
        lines.append("    total = 0")
        lines.append("    for i in range(%d):" % rng.randrange(3, 9))
        lines.append("        total += %s" % make_expression(rng, 4, params + ["i"]))
        lines.append("        if total %% %d == 0:" % rng.randrange(2, 7))
        lines.append("            total += len(TABLE.get(i % 20, ''))")
        lines.append("    return [total, %s, str(total)]" % make_expression(rng, 3, params))
    lines.append("class Model%d:" % index)
    lines.append("    fields = %r" % [("c%d" % i, rng.choice(["int", "str"])) for i in range(6)])
    lines.append("    def __init__(self, **kw):")
    lines.append("        self.__dict__.update(kw)")
    return "\n".join(lines) + "\n"


class FoldConstants(ast.NodeTransformer):
    """Replaces binary operations on two integer constants by their value."""

    def visit_BinOp(self, node):
        self.generic_visit(node)
        if isinstance(node.left, ast.Constant) and isinstance(node.right, ast.Constant):
            try:
                value = eval(compile(ast.Expression(node), "<fold>", "eval"))
            except ZeroDivisionError:
                return node
            return ast.copy_location(ast.Constant(value), node)
        return node


class CountCalls(ast.NodeTransformer):
    """Makes every function record its calls in the module's CALLS dict."""

    def visit_FunctionDef(self, node):
        self.generic_visit(node)
        counter = ast.parse("CALLS[%r] = CALLS.get(%r, 0) + 1" % (node.name, node.name))
        node.body[:0] = counter.body
        return node


def main():
    rng = random.Random(7)
    db = sqlite3.connect(":memory:")
    db.execute("create table module (id integer primary key, name text, source_bytes int)")
    db.execute("create table function (module int references module(id), name text, "
               "args int, nodes int, result text)")
    db.execute("create index function_module on function(module)")
    for index in range(MODULES):
        source = make_module(rng, index)
        tree = ast.parse(source, filename="gen%d.py" % index)
        tree = CountCalls().visit(FoldConstants().visit(tree))
        ast.fix_missing_locations(tree)
        namespace = {"CALLS": {}}
        exec(compile(tree, "gen%d.py" % index, "exec"), namespace)
        db.execute("insert into module values (?, ?, ?)",
                   (index, "gen%d" % index, len(source)))
        rows = []
        for node in tree.body:
            if isinstance(node, ast.FunctionDef):
                args = [rng.randrange(1, 50) for _ in node.args.args]
                result = namespace[node.name](*args)
                rows.append((index, node.name, len(args), sum(1 for _ in ast.walk(node)),
                             repr(result)))
        db.executemany("insert into function values (?, ?, ?, ?, ?)", rows)
        assert sum(namespace["CALLS"].values()) == len(rows)
        ast.unparse(tree)
    report = db.execute(
        "select m.name, count(*), sum(f.nodes), max(length(f.result)) "
        "from module m join function f on f.module = m.id "
        "group by m.id order by sum(f.nodes) desc").fetchall()
    largest = db.execute("select name, nodes from function order by nodes desc limit 5")
    print(len(report), report[0], largest.fetchall())
    db.close()


if __name__ == "__main__":
    main()
