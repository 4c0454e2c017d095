#!/usr/bin/env python3
"""List the code points the dossier font keeps, as pyftsubset --unicodes-file input.

GB2312 (every character it encodes) + printable ASCII + Latin-1 + the punctuation and
symbol blocks our layout uses (general punctuation, CJK symbols, fullwidth forms, arrows,
geometric shapes for the placeholder U+25A1) + every character in the files given on the
command line (form definitions, report sources: whatever labels we print ourselves).

Then every gap of at most GAP code points between two kept ones is filled. libharu 2.3.0
maps all 65536 codes to glyph ids when it creates the font, each by a linear scan over the
cmap's segments: bare GB2312 scatters into ~3600 segments and that scan alone costs ~80 ms
per PDF; filled gaps leave ~90 segments (~2 ms) for ~10 000 more glyphs, which adds only
~20 KB to a PDF because libharu embeds only the outlines it uses.
"""
import sys

cps = set(range(0x20, 0x7F)) | set(range(0xA0, 0x100))
for lo, hi in ((0x2000, 0x206F), (0x2190, 0x21FF), (0x2200, 0x22FF), (0x2460, 0x24FF),
               (0x2500, 0x25FF), (0x3000, 0x303F), (0xFF00, 0xFFEF)):
    cps.update(range(lo, hi + 1))
for b1 in range(0xA1, 0xF8):
    for b2 in range(0xA1, 0xFF):
        try:
            cps.update(ord(c) for c in bytes((b1, b2)).decode("gb2312"))
        except UnicodeDecodeError:
            pass
out = sys.argv[1]
for path in sys.argv[2:]:
    try:
        with open(path, encoding="utf-8", errors="ignore") as f:
            cps.update(ord(c) for c in f.read() if 0x20 <= ord(c) < 0x10000)
    except OSError:
        pass
GAP = 16
kept = sorted(cps)
for a, b in zip(kept, kept[1:]):
    if 1 < b - a <= GAP + 1:
        cps.update(range(a + 1, b))
with open(out, "w") as f:
    f.write("\n".join("U+%04X" % c for c in sorted(cps)) + "\n")
