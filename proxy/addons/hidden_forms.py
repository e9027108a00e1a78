"""Forms of a secret that hide from text views: compressed copies and invisible characters.

A mirror can hand back a value gzip-, zlib-, zstd-, bzip2- or xz-compressed inside a body (raw,
or base64 inside JSON), or with invisible characters (zero-width space, soft hyphen, BOM)
between its characters; the code decompresses or strips them in one line. DeepScrubber wraps
the text scrubber (secret_views.SecretScrubber) and looks inside such forms too: a value found
there cannot be rewritten in place, so the response is blocked. Raw brotli has no magic bytes
and is not looked for (SECURITY.md, known limits).
"""
import base64
import binascii
import bz2
import lzma
import re
import zlib

import zstandard

from secret_views import UNICODE_FILLERS

# Magic bytes at the start of a compressed stream (zlib: the four common headers), each with the
# index of one byte that text seldom holds. A search for a single byte runs at memchr speed, many
# times faster than one for two bytes or more, so each magic is found by its anchor byte and then
# compared whole; where the anchor turns out common, the search goes on for the whole magic.
RAW_MAGIC = (
    (b"\x1f\x8b\x08", 0), (b"\x78\x01", 1), (b"\x78\x5e", 1), (b"\x78\x9c", 1), (b"\x78\xda", 1),
    (b"\x28\xb5\x2f\xfd", 3), (b"1AY&SY", 2), (b"\xfd7zXZ\x00", 0),
)
# Those that ASCII data can hold: the others need a byte above 0x7f (as Unicode fillers do).
RAW_MAGIC_ASCII = tuple(m for m in RAW_MAGIC if m[0].isascii())
# Anchor hits looked at one by one before the search falls back to the whole magic.
ANCHOR_HITS = 64
# The same, base64- or base64url-encoded, at the start of a run of at least 24 characters. Only
# runs of the bytes such a run is made of are searched for the prefixes (one translate finds
# them), and the run is matched only where a prefix starts.
B64_PREFIX = (b"H4sI", b"eJ", b"eN", b"eA", b"eF", b"KLUv", b"QlpoO", b"/Td6WFo", b"_Td6WFo")
B64_RUN_LENGTH = 24
B64_RUN = re.compile(rb"(?:[A-Za-z0-9+/_-]|\\[nr]|\s){%d,}" % B64_RUN_LENGTH)
B64_CHARS = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/_-")
# Every byte B64_RUN can match (its escapes' backslash, and the whitespace of \s, included): a
# match lies inside a run of these at least B64_RUN_LENGTH bytes long.
_B64_RUN_CLASS = bytes(0x61 if c in B64_CHARS or c in b"\\ \t\n\r\x0b\x0c" else 0x20 for c in range(256))
MAX_DEPTH = 2


def _find_all(data, needles):
    """Every offset where one of the literal `needles` starts, in order."""
    found = []
    for needle in needles:
        at = data.find(needle)
        while at != -1:
            found.append(at)
            at = data.find(needle, at + 1)
    return sorted(found)


def _find_anchored(data, needle, anchor):
    """Every offset where `needle` starts, found through its byte at index `anchor`."""
    found, byte, hits = [], needle[anchor:anchor + 1], 0
    at = data.find(byte, anchor)
    while at != -1:
        hits += 1
        if hits > ANCHOR_HITS:
            # A common anchor: a Python step per hit would cost more than the plain search.
            start = data.find(needle, at - anchor)
            while start != -1:
                found.append(start)
                start = data.find(needle, start + 1)
            return found
        if data.startswith(needle, at - anchor):
            found.append(at - anchor)
        at = data.find(byte, at + 1)
    return found


def _raw_magic(data, ascii_only=False):
    starts = []
    for needle, anchor in RAW_MAGIC_ASCII if ascii_only else RAW_MAGIC:
        starts += _find_anchored(data, needle, anchor)
    for at in sorted(starts):
        if data[at:at + 6] == b"1AY&SY":
            # bzip2: 'BZh' and a block-size digit come before the block magic.
            at -= 4
            if at < 0 or data[at:at + 3] != b"BZh":
                continue
        yield at


def _run_spans(data, classes, length):
    """(start, end) of each maximal run of `data` whose bytes are class 'a', at least `length` long."""
    marks, needle, spans, pos = data.translate(classes), b"a" * length, [], 0
    while True:
        pos = marks.find(needle, pos)
        if pos < 0:
            return spans
        end = marks.find(b" ", pos + length)
        end = len(marks) if end < 0 else end
        spans.append((pos, end))
        pos = end


def _b64_magic_runs(data):
    """Runs of base64 that begin with a compressed stream's magic, at the start of a run."""
    for first, end in _run_spans(data, _B64_RUN_CLASS, B64_RUN_LENGTH):
        # A prefix at the run's first byte follows a byte outside the class, so outside base64.
        for start in _find_all(data[first:end], B64_PREFIX):
            start += first
            if start > first and data[start - 1] in B64_CHARS:
                continue
            run = B64_RUN.match(data, start, end)
            if run:
                yield run


class _Budget:
    def __init__(self, size):
        self.left = size


def _inflate(data, offset, cap):
    """(decompressed bytes, complete) of the stream starting at `offset`, at most `cap` bytes;
    (b"", True) when it is not a stream at all."""
    head = data[offset:offset + 6]
    try:
        if head.startswith(b"\x1f\x8b"):
            d = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif head[:1] == b"\x78":
            d = zlib.decompressobj(zlib.MAX_WBITS)
        elif head.startswith(b"\x28\xb5\x2f\xfd"):
            z = zstandard.ZstdDecompressor(max_window_size=8 << 20).decompressobj()
            out = z.decompress(data[offset:offset + cap])
            return out[:cap], z.eof
        elif head.startswith(b"BZh"):
            b = bz2.BZ2Decompressor()
            return b.decompress(data[offset:], cap), b.eof
        else:
            x = lzma.LZMADecompressor()
            return x.decompress(data[offset:], cap), x.eof
        out = d.decompress(data[offset:], cap)
        return out, d.eof or len(out) >= cap
    except (zlib.error, zstandard.ZstdError, OSError, lzma.LZMAError, EOFError, ValueError):
        return b"", True


class DeepScrubber:
    """SecretScrubber's contract (scrub, longest), also looking inside hidden forms."""

    def __init__(self, base, cap=8 << 20):
        self.base = base
        self.cap = cap
        self.longest = base.longest

    def content_length(self, text):
        return self.base.content_length(text)

    def scrub(self, data):
        data, count, leaked, _ = self.scrub_stream(data)
        return data, count, leaked

    def scrub_stream(self, data):
        """scrub(), plus the offset of the first compressed stream that runs past the end of
        `data`: a streamed body must not be released from there until it is whole."""
        data, count, leaked = self.base.scrub(data)
        hold_from = None
        if not leaked and isinstance(data, bytes):
            leaked, hold_from = self.hidden_leak(data)
        return data, count, leaked, hold_from

    def hidden_leak(self, data):
        """(leaked, hold_from): whether a hidden form shows a value, and the offset of the first
        compressed stream that ends beyond `data` (a streamed body must not release from there)."""
        return self._search(data, _Budget(2 * len(data) + self.cap), 0)

    def _shows(self, blob, budget, depth):
        _, count, leaked = self.base.scrub(blob)
        return bool(count or leaked) or (depth < MAX_DEPTH and self._search(blob, budget, depth + 1)[0])

    def _search(self, data, budget, depth):
        hold_from = None
        # One quick pass: most bodies are ASCII, which has no invisible character and no magic
        # with a byte above 0x7f, so those searches are skipped.
        ascii_only = data.isascii()
        if not ascii_only and UNICODE_FILLERS.search(data) and self._shows(UNICODE_FILLERS.sub(b"", data), budget, depth):
            return True, None
        candidates = [(at, data, at) for at in _raw_magic(data, ascii_only)]
        for m in _b64_magic_runs(data):
            run = re.sub(rb"\\[nr]|\s", b"", m.group(0)).replace(b"-", b"+").replace(b"_", b"/")
            try:
                decoded = base64.b64decode(run[: len(run) - len(run) % 4])
            except (binascii.Error, ValueError):
                continue
            candidates.append((m.start(), decoded, 0))
        for start, source, offset in candidates:
            if budget.left <= 0:
                # A body made of compressed streams past any sane size: refuse rather than guess.
                return True, None
            blob, complete = _inflate(source, offset, min(self.cap, budget.left + 1))
            budget.left -= len(blob)
            if blob and self._shows(blob, budget, depth):
                return True, None
            if not complete and source is data:
                hold_from = start if hold_from is None else min(hold_from, start)
        return False, hold_from
