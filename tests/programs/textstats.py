"""Word statistics over generated text: re, collections, difflib, textwrap."""
import collections, difflib, random, re, textwrap

rng = random.Random(1)
syllables = ["ka", "lo", "mi", "ne", "ru", "sa", "to", "vi", "ze", "qua"]
words = ["".join(rng.choice(syllables) for _ in range(rng.randint(1, 4)))
         for _ in range(3000)]
text = " ".join(w + rng.choice(["", "", ",", ".", ";"]) for w in words)
tokens = re.findall(r"[a-z]+", text)
counts = collections.Counter(tokens)
for word, n in counts.most_common(15):
    print(f"{word:>12} {n:5d}")
sentences = [s.strip() for s in re.split(r"[.;]", text) if s.strip()]
lengths = collections.defaultdict(list)
for s in sentences:
    lengths[len(s.split())].append(s)
print("sentence lengths:", sorted((k, len(v)) for k, v in lengths.items())[:12])
print(textwrap.fill(" ".join(sentences[:3]), width=60))
pairs = [(a, b) for a, b in zip(words[::7], words[1::7])]
ratios = [round(difflib.SequenceMatcher(None, a, b).ratio(), 3) for a, b in pairs]
print("mean ratio", round(sum(ratios) / len(ratios), 4), "max", max(ratios))
index = {}
for i, w in enumerate(tokens):
    index.setdefault(w[:2], set()).add(i)
print(sorted((k, len(v)) for k, v in index.items()))
print(re.sub(r"(ka|lo)+", lambda m: m.group(0).upper(), text[:200]))
