"""Scrubs a response body as it streams through, in bounded memory and linear time, failing closed.

mitmproxy 8 would otherwise hold every body whole (a 50 MiB answer cost ~470 MiB and seconds of
one core, slowing every other execution). This is the body's `stream` callable instead:

- The body is decoded here (the client gets identity bytes with Content-Encoding removed, so it
  can never decode differently from what was checked).
- Small bodies are held whole and checked once at their end, exactly as a buffered body would be.
- Past `hold_bytes`, bytes are released only once they are followed by a checked overlap window
  longer than any encoded form of any secret: an occurrence that starts in released bytes must
  end inside the window, so it was inside the text that was checked before its first byte left.
  Bytes the views drop (whitespace, separators, escaped line breaks…) do not count towards the
  window, since a mirror could pad with them without limit; a body padded to dodge the window
  is held, up to `limit`, and then refused.
- A hit that cannot be rewritten in place poisons the stream: nothing more is released, and the
  caller kills the flow at its end, so the client sees a broken response, never the secret.
"""
import re

from body_decoding import UndecodableBody
from secret_views import SPREAD_SEPARATORS, UNICODE_FILLERS

# What the views drop and a mirror could repeat to stretch a value, besides the separators and
# fillers secret_views defines: JSON escapes of line breaks and '0x' prefixes. Deleting them
# after the separators can delete more than a view would ("0 x" becomes "0x"), which only holds
# more back: it never counts too much.
DROPPED_PAIRS = (b"\\n", b"\\r", b"\\t", b"0x", b"0X")
# New bytes gathered before a check. Each check costs a fixed part (a decoded measure of the
# window's tail, setting up the views) besides its passes over the bytes: gathering the 64 KiB
# reads of an upstream into 256 KiB spends a quarter of that (bench: 50 MiB scrubbed 12% faster).
STEP = 256 << 10
# A large decoded chunk (a compressed frame inflates to several MiB) is checked in slices of this
# size: the scrubber makes many passes over what it checks, and a slice stays in the cache.
SLICE = 256 << 10
# Unreleased text past the window never grows beyond this in real data; the cap also bounds the
# rescans of a body that pads to keep the window from filling.
MAX_HELD = 1 << 20
# Numeric references padded with zeros can stretch one character of a secret beyond any window;
# no real API pads like this, so a streamed body that does is refused. Two patterns, each with a
# literal start the regex engine skips to, cost a sixth of one alternation over the body.
PADDED_REFERENCES = (re.compile(rb"&#[xX]?0000"), re.compile(rb"\\[uUxX]\{0000"))


class ResponseStream:
    def __init__(self, scrubber, decoder, window, limit, hold_bytes):
        self.scrubber = scrubber
        self.decoder = decoder
        self.window = window
        self.limit = limit
        self.hold_bytes = hold_bytes
        self._held = b""
        self._pending = []
        self._pending_size = 0
        self._seen = 0
        self._streaming = False
        # Counted over released text only; whatever is still held is counted when released.
        self.scrubbed = 0
        self.poisoned = None

    def __call__(self, chunk):
        """mitmproxy's stream hook: raw bytes in (b"" at the end), bytes for the client out."""
        if self.poisoned:
            return []
        try:
            if chunk:
                data = self.decoder.feed(chunk)
                if len(data) <= SLICE:
                    return self._take(data, end=False)
                out = []
                for at in range(0, len(data), SLICE):
                    out += self._take(data[at:at + SLICE], end=False)
                return out
            return self._take(self.decoder.finish(), end=True)
        except UndecodableBody as err:
            return self._poison(f"the response body cannot be decoded exactly: {err}")

    def _poison(self, reason):
        self.poisoned = reason
        self._held, self._pending = b"", []
        return []

    def _take(self, data, end):
        self._seen += len(data)
        if self._seen > self.limit:
            return self._poison(f"the decoded body exceeds the proxy's limit of {self.limit} bytes")
        if data:
            self._pending.append(data)
            self._pending_size += len(data)
        if not end:
            if not self._streaming and len(self._held) + self._pending_size <= self.hold_bytes:
                return []
            # Check in steps of at least STEP new bytes: an upstream that trickles a byte at a
            # time must not make every byte cost a scan of the whole window.
            if self._streaming and self._pending_size < STEP:
                return []
        held = self._held + b"".join(self._pending)
        self._pending, self._pending_size = [], 0
        self._streaming = True
        # Both forms need four zeros in a row: a cheap test first, the regex only then.
        if b"0000" in held and any(p.search(held) for p in PADDED_REFERENCES):
            return self._poison("the response pads a character reference with zeros")
        checked, count, leaked, hold_from = self.scrubber.scrub_stream(held)
        # A compressed stream that goes on past what is here is checked once it is whole; one
        # still unfinished when the body ends is never checked whole.
        leaked = leaked or (end and hold_from is not None)
        if leaked:
            return self._poison("the response carries an encoded credential value")
        cut = len(checked) if end else self._release_point(checked)
        if hold_from is not None:
            cut = min(cut, hold_from)
        if len(checked) - cut > MAX_HELD:
            # Megabytes of what views drop with too little else in between: padding, not data.
            return self._poison("the response pads its content beyond what the proxy holds to check it")
        self._held = checked[cut:]
        # A rewritten secret leaves a name behind, so no replacement is counted twice.
        self.scrubbed += count
        return [checked[:cut]] if cut else []

    def _release_point(self, text):
        """Where the released part may end: the rest must hold `window` bytes that a view keeps.
        What a view drops or decodes away (whitespace and other separators, NULs, invisible
        characters, escapes of them, stacked) can be repeated without limit, so it does not
        count: the tail is measured decoded too (SecretScrubber.content_length), once a cheap
        count says it may be long enough; the smaller measure counts."""
        size = min(len(text), 4 * self.window)
        while True:
            tail = text[len(text) - size:]
            kept = _kept_by_views(tail)
            if kept >= self.window + 2:
                kept = min(kept, self.scrubber.content_length(tail))
            # +2: a two-byte escape cut in half at the start is counted as one kept byte.
            if kept >= self.window + 2:
                return len(text) - size
            if size == len(text):
                return 0
            size = min(len(text), size * 2)


def _kept_by_views(text):
    """A cheap count of what `text` keeps: where it is already short of the window, the decoded
    measure is not needed; where it is not, the smaller of the two counts."""
    text = text.translate(None, SPREAD_SEPARATORS)
    for pair in DROPPED_PAIRS:
        if pair in text:
            text = text.replace(pair, b"")
    if not text.isascii():
        text = UNICODE_FILLERS.sub(b"", text)
    return len(text)
