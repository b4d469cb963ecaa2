"""Compiler work: parse, walk, transform and compile stdlib sources."""
import ast, os

src_dir = os.path.dirname(ast.__file__)
sources = []
for name in ("textwrap.py", "argparse.py", "string.py"):
    with open(os.path.join(src_dir, name), encoding="utf-8") as fh:
        sources.append(fh.read())

class Renamer(ast.NodeTransformer):
    def visit_Name(self, node):
        return ast.copy_location(ast.Name(id=node.id, ctx=node.ctx), node)

for _ in range(1):
    for source in sources:
        tree = ast.parse(source)
        count = sum(1 for _ in ast.walk(tree))
        tree = ast.fix_missing_locations(Renamer().visit(tree))
        compile(tree, "<bench>", "exec")
        ast.dump(tree)
