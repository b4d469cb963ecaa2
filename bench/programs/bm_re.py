"""regex_v8 / regex_effbot shape: compile, search, findall and sub."""
import random, re

rng = random.Random(3)
words = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(2, 9)))
         for _ in range(4000)]
text = " ".join(words)
lines = [" ".join(words[i:i + 12]) + " user%d@example.com 10.0.%d.%d" % (i, i % 255, i % 7)
         for i in range(0, 4000, 12)]
patterns = [r"(\w+)@(\w+)\.com", r"\b(\d+)\.(\d+)\.(\d+)\.(\d+)\b", r"([aeiou]{2,})",
            r"(?i)\b(the|and|qu\w*)\b", r"(\w)(\w)\2\1"]
for _ in range(4):
    for p in patterns:
        rx = re.compile(p)
        for line in lines:
            rx.findall(line)
            rx.sub(lambda m: m.group(0).upper(), line)
    re.purge()
    re.split(r"\s+", text)
