"""pyperformance deepcopy shape: nested containers and instances."""
import copy, dataclasses

@dataclasses.dataclass
class A:
    string: str
    lst: list
    boolean: bool

a = {"list": [1, 2, 3, 43], "t": (1, 2, 3), "str": "hello", "subdict": {"a": True}}
dc = A("hello", [1, 2, 3], True)
reflexive = {"x": [1, 2]}
reflexive["self"] = reflexive
big = [dict(a, i=i) for i in range(100)]
for _ in range(800):
    copy.deepcopy(a)
    copy.deepcopy(dc)
    copy.deepcopy(reflexive)
for _ in range(15):
    copy.deepcopy(big)
