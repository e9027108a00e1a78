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

# Magic bytes at the start of a compressed stream (zlib: the four common headers). Found with
# bytes.find, one literal at a time: far faster than one regex alternation over the body.
RAW_MAGIC = (b"\x1f\x8b\x08", b"\x78\x01", b"\x78\x5e", b"\x78\x9c", b"\x78\xda", b"\x28\xb5\x2f\xfd", b"1AY&SY", b"\xfd7zXZ\x00")
# Those that ASCII data can hold: the others need a byte above 0x7f (as Unicode fillers do).
RAW_MAGIC_ASCII = tuple(m for m in RAW_MAGIC if m.isascii())
# The same, base64- or base64url-encoded, at the start of a run of at least 24 characters. The
# prefixes are found first (a literal search, fast); the run is matched only where one starts.
B64_PREFIX = (b"H4sI", b"eJ", b"eN", b"eA", b"eF", b"KLUv", b"QlpoO", b"/Td6WFo", b"_Td6WFo")
B64_RUN = re.compile(rb"(?:[A-Za-z0-9+/_-]|\\[nr]|\s){24,}")
B64_CHARS = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/_-")
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


def _raw_magic(data, ascii_only=False):
    for at in _find_all(data, RAW_MAGIC_ASCII if ascii_only else RAW_MAGIC):
        if data[at:at + 6] == b"1AY&SY":
            # bzip2: 'BZh' and a block-size digit come before the block magic.
            at -= 4
            if at < 0 or data[at:at + 3] != b"BZh":
                continue
        yield at


def _b64_magic_runs(data):
    """Runs of base64 that begin with a compressed stream's magic, at the start of a run."""
    for start in _find_all(data, B64_PREFIX):
        if start and data[start - 1] in B64_CHARS:
            continue
        run = B64_RUN.match(data, start)
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
