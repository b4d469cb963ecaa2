"""pyperformance json_dumps/json_loads shape: nested dicts and lists."""
import json

EMPTY = ({}, 2000)
SIMPLE = ({"key1": 0, "key2": True, "key3": "value", "key4": "foo", "key5": "string"}, 1000)
NESTED = ({"key1": 0, "key2": SIMPLE[0], "key3": "value", "key4": SIMPLE[0], "key5": SIMPLE[0],
           "key": "\u0105\u0107\u017c"}, 1000)
HUGE = ([NESTED[0]] * 1000, 1)
cases = [EMPTY, SIMPLE, NESTED, HUGE]
for _ in range(4):
    for obj, n in cases:
        for _ in range(n):
            text = json.dumps(obj)
            json.loads(text)
