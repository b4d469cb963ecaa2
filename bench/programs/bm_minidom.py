"""xml_etree / minidom shape: build, serialise, parse and walk documents."""
import xml.dom.minidom as minidom
import xml.etree.ElementTree as ET

def build(n):
    root = ET.Element("root")
    for i in range(n):
        e = ET.SubElement(root, "item", id=str(i), kind="k%d" % (i % 5))
        ET.SubElement(e, "name").text = "name %d" % i
        ET.SubElement(e, "value").text = str(i * 3.5)
    return ET.tostring(root)

for _ in range(2):
    text = build(2000)
    doc = minidom.parseString(text)
    total = 0
    for node in doc.getElementsByTagName("value"):
        total += float(node.firstChild.data)
    doc.toxml()
    doc.unlink()
    ET.fromstring(text).findall(".//name")
