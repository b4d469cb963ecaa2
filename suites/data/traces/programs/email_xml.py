"""A mail-to-feed gateway: MIME messages are built, serialised and parsed
back with the email package, then published as an Atom-like XML feed that
is built, serialised and parsed again with xml.etree.ElementTree and
xml.dom.minidom.

The allocation pattern mixes small header objects and policy instances with
large buffers (base64 bodies, whole serialised documents) that grow by
realloc.  Deterministic: a fixed random seed and fixed dates.
"""

import email.policy
import random
import xml.dom.minidom
import xml.etree.ElementTree as ET
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import format_datetime, parseaddr
import datetime

MESSAGES = 10

NAMES = ["Ada Lovelace", "Alan Turing", "Grace Hopper", "Edsger Dijkstra",
         "Barbara Liskov", "Donald Knuth", "Frances Allen", "John Backus"]
TOPICS = ["pool sizes", "arena release", "generation thresholds", "free lists",
          "bitmap scans", "page faults", "fragmentation", "weak references"]
WORDS = ("the allocator returns blocks from a pool of fixed size classes and "
         "the collector finds cycles among container objects by subtracting "
         "internal references from reference counts").split()


def address(name):
    return "%s <%s@example.org>" % (name, name.lower().replace(" ", "."))


def make_message(rng, number):
    message = EmailMessage()
    sender, receiver = rng.sample(NAMES, 2)
    message["From"] = address(sender)
    message["To"] = ", ".join(address(n) for n in rng.sample(NAMES, rng.randrange(1, 4)))
    message["Cc"] = address(receiver)
    message["Subject"] = "Re: %s (#%d)" % (rng.choice(TOPICS), number)
    when = datetime.datetime(2023, 5, 1, tzinfo=datetime.timezone.utc)
    message["Date"] = format_datetime(when + datetime.timedelta(minutes=37 * number))
    message["Message-ID"] = "<%d.%d@heaplab.example.org>" % (number, rng.randrange(10**9))
    paragraphs = [" ".join(rng.choice(WORDS) for _ in range(rng.randrange(20, 80)))
                  for _ in range(rng.randrange(2, 6))]
    message.set_content("\n\n".join(paragraphs))
    message.add_alternative("<html><body>%s</body></html>" % "".join(
        "<p>%s</p>" % p for p in paragraphs), subtype="html")
    if number % 3 == 0:
        payload = bytes(rng.randrange(256) for _ in range(rng.randrange(2000, 12000)))
        message.add_attachment(payload, maintype="application", subtype="octet-stream",
                               filename="dump-%d.bin" % number)
    return message


def to_entry(feed, parsed):
    entry = ET.SubElement(feed, "entry")
    ET.SubElement(entry, "id").text = parsed["Message-ID"].strip("<>")
    ET.SubElement(entry, "title").text = str(parsed["Subject"])
    ET.SubElement(entry, "updated").text = parsed["Date"].datetime.isoformat()
    author = ET.SubElement(entry, "author")
    name, mail = parseaddr(str(parsed["From"]))
    ET.SubElement(author, "name").text = name
    ET.SubElement(author, "email").text = mail
    body = parsed.get_body(preferencelist=("plain",))
    ET.SubElement(entry, "summary").text = body.get_content()[:200]
    for part in parsed.iter_attachments():
        ET.SubElement(entry, "link", rel="enclosure", title=part.get_filename(),
                      length=str(len(part.get_content())))
    for word in sorted(set(body.get_content().split()))[:12]:
        ET.SubElement(entry, "category", term=word)


def main():
    rng = random.Random(42)
    parser = BytesParser(policy=email.policy.default)
    feed = ET.Element("feed", xmlns="http://www.w3.org/2005/Atom")
    ET.SubElement(feed, "title").text = "heaplab list archive"
    for number in range(MESSAGES):
        wire = make_message(rng, number).as_bytes()
        parsed = parser.parsebytes(wire)
        to_entry(feed, parsed)
    document = ET.tostring(feed, encoding="unicode")
    tree = ET.fromstring(document)
    namespace = {"a": "http://www.w3.org/2005/Atom"}
    titles = [e.findtext("a:title", namespaces=namespace)
              for e in tree.findall("a:entry", namespace)]
    assert len(titles) == MESSAGES
    pretty = xml.dom.minidom.parseString(document).toprettyxml(indent=" ")
    terms = {c.get("term") for c in tree.iter("{http://www.w3.org/2005/Atom}category")}
    print(len(document), len(pretty), len(terms))


if __name__ == "__main__":
    main()
