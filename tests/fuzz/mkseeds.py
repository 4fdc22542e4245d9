#!/usr/bin/python3
"""Turn Telnet scripts in the golden format (tests/unit/test-tn.c: "@start",
"@accept NAME", "< ITEM ..." with hex bytes, "quoted strings" and *N) into
inputs for fuzz-telnet: one set-up byte (bit 0: @start, bit 1: @accept),
then the peer's bytes.

    mkseeds.py OUTDIR SCRIPT...
"""
import hashlib
import os
import re
import sys

ITEM = re.compile(r'\s*(?:"((?:[^"\\]|\\.)*)"|([0-9a-fA-F]{2}))(?:\*(\d+))?')
ESC = {"r": b"\r", "n": b"\n", "t": b"\t", "0": b"\0", "\\": b"\\",
       '"': b'"'}


def unquote(s):
    out, i = bytearray(), 0
    while i < len(s):
        if s[i] != "\\":
            out += s[i].encode("latin-1")
            i += 1
        elif s[i + 1] == "x":
            out.append(int(s[i + 2:i + 4], 16))
            i += 4
        else:
            out += ESC[s[i + 1]]
            i += 2
    return bytes(out)


def convert(path):
    start, accept, data = False, False, bytearray()
    with open(path, encoding="latin-1") as f:
        for lineno, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            if line == "@start":
                start = True
            elif line.startswith("@accept "):
                accept = True
            elif line == "@comport":
                # No set-up bit for it: fuzz-telnet runs the script with
                # COM-PORT refused, fuzz-rfc2217 always takes it.
                pass
            elif line.startswith("<"):
                rest = line[1:]
                while rest.strip():
                    m = ITEM.match(rest)
                    if not m:
                        sys.exit("%s:%d: bad item near %r" %
                                 (path, lineno, rest[:20]))
                    item = (unquote(m.group(1)) if m.group(1) is not None
                            else bytes([int(m.group(2), 16)]))
                    data += item * int(m.group(3) or 1)
                    rest = rest[m.end():]
            else:
                sys.exit("%s:%d: unknown line" % (path, lineno))
    return bytes([(1 if start else 0) | (2 if accept else 0)]) + bytes(data)


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for path in sys.argv[2:]:
        seed = convert(path)
        name = os.path.basename(path)[:-3]
        digest = hashlib.sha1(seed).hexdigest()[:8]
        with open(os.path.join(out, "%s-%s" % (name, digest)), "wb") as f:
            f.write(seed)


if __name__ == "__main__":
    main()
