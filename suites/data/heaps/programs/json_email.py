"""A data-handling workload: JSON documents and e-mail messages.

JSON trees are acyclic and die by reference counting, but the email package
leaves cyclic garbage behind: the feed parser is driven by a generator that
refers back to the parser, and the header registry of the default policy
creates a fresh header class for every parsed header.  A few parsed messages
and a JSON index stay alive.
"""

import json
import random
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

rng = random.Random(7)
WORDS = ("alpha beta gamma delta epsilon zeta eta theta iota kappa lambda "
         "mu nu xi omicron pi rho sigma tau upsilon phi chi psi omega").split()


def sentence(n):
    return " ".join(rng.choice(WORDS) for _ in range(n))


def json_document(k):
    return json.dumps({
        "id": k,
        "title": sentence(4),
        "tags": [rng.choice(WORDS) for _ in range(rng.randint(1, 6))],
        "authors": [{"name": sentence(2), "mail": "a%d@example.org" % j}
                    for j in range(rng.randint(1, 4))],
        "metrics": {w: rng.random() for w in rng.sample(WORDS, 5)},
        "body": [sentence(rng.randint(5, 12)) for _ in range(8)],
    }, indent=1)


def build_message(k):
    msg = EmailMessage()
    msg["From"] = "Sender %d <sender%d@example.org>" % (k, k)
    msg["To"] = ", ".join("r%d@example.net" % j for j in range(3))
    msg["Subject"] = sentence(6)
    msg["Message-ID"] = "<%d.%d@example.org>" % (k, rng.randint(0, 10 ** 9))
    msg.set_content("\n".join(sentence(10) for _ in range(12)))
    if k % 3 == 0:
        msg.add_alternative("<p>%s</p>" % sentence(20), subtype="html")
    if k % 4 == 0:
        msg.add_attachment(bytes(rng.randrange(256) for _ in range(600)),
                           maintype="application", subtype="octet-stream",
                           filename="blob%d.bin" % k)
    return msg.as_bytes(policy=policy.SMTP)


# JSON: parse, summarise, forget the documents.
index = {}
for k in range(120):
    doc = json.loads(json_document(k))
    index[doc["id"]] = (doc["title"], len(doc["body"]), sorted(doc["tags"]))
del doc

# E-mail: generate wire-format messages, parse them back with the modern
# policy, look at headers and parts, keep every tenth parsed message.
parser = BytesParser(policy=policy.default)
kept = []
sizes = 0
for k in range(60):
    parsed = parser.parsebytes(build_message(k))
    sizes += sum(len(part.get_content()) for part in parsed.walk()
                 if not part.is_multipart())
    addresses = [a.addr_spec for a in parsed["To"].addresses]
    if k % 10 == 0:
        kept.append(parsed)
del parsed

print("json_email: %d documents, %d messages kept, %d content chars, %s"
      % (len(index), len(kept), sizes, addresses[0]))
