"""Serialisation round trips: json, pickle, xml.etree, csv, struct, zlib."""
import base64, csv, hashlib, io, json, pickle, struct, zlib
import xml.etree.ElementTree as ET

records = [{"id": i, "name": "item-%05d" % i, "price": round(i * 1.37 % 97, 2),
            "tags": ["t%d" % (i % 7), "u%d" % (i % 11)], "ok": i % 3 == 0,
            "sub": {"x": i, "y": [i, i * 2, None]}} for i in range(4000)]
text = json.dumps(records, sort_keys=True)
back = json.loads(text)
print("json", len(text), back == records, hashlib.sha256(text.encode()).hexdigest()[:16])
for proto in range(pickle.HIGHEST_PROTOCOL + 1):
    data = pickle.dumps(records, protocol=proto)
    print("pickle", proto, len(data), pickle.loads(data) == records)
root = ET.Element("catalog")
for r in records[:1500]:
    e = ET.SubElement(root, "item", id=str(r["id"]))
    ET.SubElement(e, "name").text = r["name"]
    ET.SubElement(e, "price").text = str(r["price"])
xml = ET.tostring(root)
parsed = ET.fromstring(xml)
print("xml", len(xml), len(parsed.findall("item")),
      sum(float(p.text) for p in parsed.iter("price")).__round__(2))
buf = io.StringIO()
w = csv.writer(buf)
for r in records:
    w.writerow([r["id"], r["name"], r["price"], ";".join(r["tags"])])
rows = list(csv.reader(io.StringIO(buf.getvalue())))
print("csv", len(rows), rows[123])
packed = b"".join(struct.pack("<iqd", r["id"], r["id"] ** 2, r["price"]) for r in records)
print("struct", len(packed), struct.unpack_from("<iqd", packed, 24 * 77))
z = zlib.compress(packed, 6)
print("zlib", len(z), zlib.decompress(z) == packed, base64.b64encode(z[:24]).decode())
