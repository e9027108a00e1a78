"""Scrubs a response body as it streams through, in bounded memory and linear time, failing closed.

mitmproxy 8 would otherwise hold every body whole (a 50 MiB answer cost ~470 MiB and seconds of
one core, slowing every other execution). This is the body's `stream` callable instead:

- The body is decoded here (the client gets identity bytes with Content-Encoding removed, so it
  can never decode differently from what was checked).
- Small bodies are held whole and checked once at their end, exactly as a buffered body would be.
- Past `hold_bytes`, bytes are released only once they are followed by a checked overlap window
  longer than any encoded form of any secret: an occurrence that starts in released bytes must
  end inside the window, so it was inside the text that was checked before its first byte left.
  Whitespace does not count towards the window (a base64 view ignores it, and a mirror could pad
  with it), so a body padded to dodge the window is held, up to `limit`, and then refused.
- A hit that cannot be rewritten in place poisons the stream: nothing more is released, and the
  caller kills the flow at its end, so the client sees a broken response, never the secret.
"""
import re

from body_decoding import UndecodableBody

WHITESPACE = b" \t\r\n\f\v"
STEP = 64 << 10
# Numeric references padded with zeros can stretch one character of a secret beyond any window;
# no real API pads like this, so a streamed body that does is refused.
PADDED_REFERENCE = re.compile(rb"&#[xX]?0{4,}|\\[uUxX]\{0{4,}")


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
        # "window or more non-whitespace bytes, with any whitespace between": read from the end.
        self._tail = re.compile(rb"(?:[" + re.escape(WHITESPACE) + rb"]*[^" + re.escape(WHITESPACE) + rb"]){%d}" % window)

    def __call__(self, chunk):
        """mitmproxy's stream hook: raw bytes in (b"" at the end), bytes for the client out."""
        if self.poisoned:
            return []
        try:
            if chunk:
                data = self.decoder.feed(chunk)
                return self._take(data, end=False)
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
        if PADDED_REFERENCE.search(held):
            return self._poison("the response pads a character reference with zeros")
        checked, count, leaked = self.scrubber.scrub(held)
        if leaked:
            return self._poison("the response carries an encoded credential value")
        cut = len(checked) if end else self._release_point(checked)
        if len(checked) - cut > self.limit:
            return self._poison("the response body pads an encoded value beyond what the proxy can hold")
        self._held = checked[cut:]
        # A rewritten secret leaves a name behind, so no replacement is counted twice.
        self.scrubbed += count
        return [checked[:cut]] if cut else []

    def _release_point(self, text):
        """Where the released part may end: at least `window` non-whitespace bytes must follow."""
        if len(text) <= self.window:
            return 0
        reversed_tail = text[::-1]
        match = self._tail.match(reversed_tail)
        if not match:
            return 0
        return len(text) - match.end()
