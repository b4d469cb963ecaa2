"""A DOM workload: build an xml.dom.minidom catalogue, then drop most of it.

minidom nodes point to their parent, their siblings and their document, so
every subtree that is detached and forgotten becomes cyclic garbage that only
the cyclic collector can reclaim.  The document that stays alive is the live
part of the heap.
"""

import random
import xml.dom.minidom

SECTIONS = 42
ITEMS_PER_SECTION = 60
KEEP_EVERY = 3          # keep one section in three, drop the others

rng = random.Random(20240611)


def catalogue_source():
    """The catalogue as XML text, parsed later with the expat builder."""
    parts = ['<?xml version="1.0" encoding="utf-8"?>\n<catalogue>']
    for s in range(SECTIONS):
        parts.append('<section id="s%d" title="Section %d">' % (s, s))
        for i in range(ITEMS_PER_SECTION // 2):
            price = rng.randint(100, 99999) / 100
            parts.append(
                '<item sku="%d-%d" price="%.2f"><name>Item %d.%d</name>'
                '<note>%s</note></item>'
                % (s, i, price, s, i, "lorem ipsum " * rng.randint(1, 3)))
        parts.append("</section>")
    parts.append("</catalogue>")
    return "".join(parts)


def add_items(doc, section, first, count):
    """Grow a section through the DOM API (createElement/appendChild)."""
    sid = section.getAttribute("id")[1:]
    for i in range(first, first + count):
        item = doc.createElement("item")
        item.setAttribute("sku", "%s-%d" % (sid, i))
        item.setAttribute("price", "%.2f" % (rng.randint(100, 99999) / 100))
        name = doc.createElement("name")
        name.appendChild(doc.createTextNode("Item %s.%d" % (sid, i)))
        item.appendChild(name)
        if i % 4 == 0:
            item.appendChild(doc.createComment("restocked"))
        section.appendChild(item)


doc = xml.dom.minidom.parseString(catalogue_source())
root = doc.documentElement
sections = root.getElementsByTagName("section")
for section in sections:
    add_items(doc, section, ITEMS_PER_SECTION // 2, ITEMS_PER_SECTION // 2)

# A query over the whole document; its results are kept.
expensive = [item.getAttribute("sku")
             for item in root.getElementsByTagName("item")
             if float(item.getAttribute("price")) > 900]

# Drop two sections in three.  removeChild() only unlinks the section from
# the catalogue; inside the section every node still points to its parent,
# siblings and document.
for index, section in enumerate(sections):
    if index % KEEP_EVERY:
        root.removeChild(section)
del section, sections

# Cloned and discarded fragments are garbage too.
for section in root.getElementsByTagName("section")[:2]:
    clone = section.cloneNode(True)
    clone.setAttribute("id", "copy")
del clone, section

summary = {
    "sections": len(root.getElementsByTagName("section")),
    "items": len(root.getElementsByTagName("item")),
    "expensive": len(expensive),
}
print("dom:", summary)
