#!/usr/bin/env python3
"""tools/trace_convert.py — a raw log of tools/trace_recorder.c to a
`heaplab-trace 1` file (gzip), the input of `heaplab trace` and `heaplab stats`.

    trace_convert.py [--comment TEXT]... RAW OUT.trace.gz

Addresses become dense IDs: an address gets the most recently freed ID (or
the next new one) when it is allocated, a realloc keeps the block's ID
wherever the block moves, and the ID is free again once the block is.

The log can disagree with itself in a few ways, each handled so that the
output is always a valid trace, and each counted in a comment at the end:

  - a free of an address never allocated in the log (allocated before the
    recorder started, or from its bootstrap area) is dropped;
  - a realloc of such an address becomes an allocation of the new size;
  - an allocation returning an address that is still live (its free was
    not seen) first frees the old block.

The output is written with a zero gzip timestamp, so converting the same
log twice gives the same bytes.
"""

import argparse
import gzip
import struct
import sys

MAGIC = b"HLRAW01\n"
BYTE_ORDER = 0x0102030405060708
RECORD_BYTES = 24
CHUNK_RECORDS = 1 << 16

MALLOC, CALLOC, REALLOC, FREE, ALIGNED = 1, 2, 3, 4, 5
SIZE_MASK = (1 << 56) - 1


def record_format(header):
    """The struct format of the records, from the byte-order word."""
    if header[:8] != MAGIC:
        raise ValueError("not a trace_recorder raw log (bad magic)")
    for prefix in "<>":
        if struct.unpack(prefix + "Q", header[8:16])[0] == BYTE_ORDER:
            return prefix + "QQQ"
    raise ValueError("unknown byte order word")


def records(path):
    """Yields (kind, size, result, argument) for every record of the log."""
    with open(path, "rb") as raw:
        fmt = record_format(raw.read(16))
        while True:
            chunk = raw.read(RECORD_BYTES * CHUNK_RECORDS)
            whole = len(chunk) - len(chunk) % RECORD_BYTES
            if whole != len(chunk):
                sys.stderr.write("%s: ignoring a partial last record\n" % path)
            for word0, result, argument in struct.iter_unpack(fmt, chunk[:whole]):
                yield word0 >> 56, word0 & SIZE_MASK, result, argument
            if len(chunk) < RECORD_BYTES * CHUNK_RECORDS:
                return


class Converter:
    """Address-to-ID state.  Invariant: `live` maps every live address to
    its (ID, size); `free_ids` holds exactly the IDs below `next_id` that
    are not in `live`."""

    def __init__(self):
        self.live = {}
        self.free_ids = []
        self.next_id = 0
        self.lines = []
        self.counts = {
            "frees of unknown blocks dropped": 0,
            "reallocs of unknown blocks made allocations": 0,
            "allocations over a live block (free added)": 0,
        }
        self.unknown_free_bytes = 0

    def new_id(self):
        if self.free_ids:
            return self.free_ids.pop()
        self.next_id += 1
        return self.next_id - 1

    def release(self, address):
        block_id, _ = self.live.pop(address)
        self.free_ids.append(block_id)
        self.lines.append("f %d" % block_id)

    def allocate(self, letter, size, address):
        if address in self.live:
            self.counts["allocations over a live block (free added)"] += 1
            self.release(address)
        block_id = self.new_id()
        self.live[address] = (block_id, size)
        self.lines.append("%s %d %d" % (letter, block_id, size))

    def add(self, kind, size, result, argument):
        if kind in (MALLOC, ALIGNED):
            self.allocate("a", size, result)
        elif kind == CALLOC:
            self.allocate("z", size, result)
        elif kind == FREE:
            if argument in self.live:
                self.release(argument)
            else:
                self.counts["frees of unknown blocks dropped"] += 1
        elif kind == REALLOC:
            if argument not in self.live:
                self.counts["reallocs of unknown blocks made allocations"] += 1
                self.allocate("a", size, result)
                return
            block_id, _ = self.live.pop(argument)
            if result in self.live:
                self.counts["allocations over a live block (free added)"] += 1
                self.release(result)
            self.live[result] = (block_id, size)
            self.lines.append("r %d %d" % (block_id, size))
        else:
            raise ValueError("unknown record kind %d" % kind)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--comment", action="append", default=[],
                        help="a '# ' comment line for the header (repeatable)")
    parser.add_argument("raw", help="raw log written by trace_recorder.so")
    parser.add_argument("out", help="output trace, gzip-compressed")
    args = parser.parse_args()

    converter = Converter()
    try:
        for record in records(args.raw):
            converter.add(*record)
    except (OSError, ValueError) as error:
        sys.stderr.write("%s: %s\n" % (args.raw, error))
        return 2

    ops = len(converter.lines)
    with open(args.out, "wb") as out_file:
        with gzip.GzipFile(fileobj=out_file, mode="wb", mtime=0, filename="") as out:
            header = ["heaplab-trace 1"]
            header += ["# " + " ".join(c.splitlines()) for c in args.comment]
            header.append("# %d ops; %d IDs; %d blocks still live at the end"
                          % (ops, converter.next_id, len(converter.live)))
            header += ["# %s: %d" % item for item in converter.counts.items()]
            out.write(("\n".join(header) + "\n").encode())
            for start in range(0, ops, 1 << 16):
                chunk = converter.lines[start:start + (1 << 16)]
                out.write(("\n".join(chunk) + "\n").encode())
    sys.stderr.write("%s: %d ops, %d IDs, %d live at the end, %s\n" % (
        args.out, ops, converter.next_id, len(converter.live),
        ", ".join("%s %d" % item for item in converter.counts.items())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
