"""Strict Content-Encoding decoding of bodies, whole or streamed, so the scrubber sees exactly what the client gets.

The proxy sends the client the bytes returned here with Content-Encoding removed: the client
then has nothing left to decode, so it cannot decode differently from the scrubber. Everything
this module cannot decode exactly and completely raises UndecodableBody, and the caller blocks.
No label is ever looked up as a Python codec (that fallback turned 'rot13' or 'base64' into an
accepted coding that the scrubber never saw through); only the codings below exist.
"""
import zlib

import brotli
import zstandard

# More stacked codings than this are blocked: no real server stacks more, and each layer
# multiplies the work a hostile upstream can make the proxy do.
MAX_CODINGS = 2

# RFC 9659 caps the zstd window of the HTTP 'zstd' coding at 8 MiB; a larger window is a way
# to make the decoder allocate memory the body size does not show.
ZSTD_MAX_WINDOW = 8 << 20

# Input fed per call to decoders whose Python API cannot cap the output of one call. A brotli
# meta-block header takes more than 8 bytes and yields at most 16 MiB, so 8 input bytes yield at
# most two meta-blocks; 256 zstd bytes hold at most 64 blocks of at most 128 KiB. That keeps the
# memory of a decompression bomb near `limit` instead of its full expanded size.
BROTLI_STEP = 8
ZSTD_STEP = 256


# The only codings there are: never a label looked up as a Python codec. x-gzip is gzip (RFC 9110
# section 8.4.1.3 asks recipients to treat it so), decoded by the same strict decoder.
CODINGS = frozenset({"identity", "gzip", "x-gzip", "deflate", "br", "zstd"})


class UndecodableBody(ValueError):
    """The body cannot be decoded exactly; the response must be blocked."""


def content_codings(header):
    """The coding tokens of a Content-Encoding value, in the order they were applied.

    'identity' tokens are kept (they count towards MAX_CODINGS); empty list elements are
    ignored as RFC 9110 section 5.6.1 requires. Anything not decodable here raises."""
    tokens = [t.strip().lower() for t in (header or "").split(",")]
    tokens = [t for t in tokens if t]
    if len(tokens) > MAX_CODINGS:
        raise UndecodableBody(f"more than {MAX_CODINGS} content codings: {header!r}")
    for token in tokens:
        if token not in CODINGS:
            raise UndecodableBody(f"unsupported content coding {token!r}")
    return tokens


def decode_body(raw, content_encoding, limit):
    """The identity bytes of `raw` sent with `content_encoding` (a header value; None or ''
    means identity), at most `limit` bytes long. Raises UndecodableBody otherwise."""
    decoder = stream_decoder(content_encoding, limit)
    # An empty body carries nothing to hide, and HEAD, 204 and 304 answers keep the
    # Content-Encoding of the representation they describe without carrying it.
    if not raw:
        return b""
    return decoder.feed(bytes(raw)) + decoder.finish()


class _Counted:
    def __init__(self, limit, label):
        self.limit = limit
        self.label = label
        self.size = 0

    def _count(self, piece):
        self.size += len(piece)
        if self.size > self.limit:
            raise UndecodableBody(f"decoded body exceeds {self.limit} bytes")
        return piece


class _Identity(_Counted):
    def feed(self, data):
        return self._count(data)

    def finish(self):
        return b""


class _Zlib(_Counted):
    def __init__(self, wbits, limit, label):
        super().__init__(limit, label)
        self.decoder = zlib.decompressobj(wbits)

    def feed(self, data):
        pieces, pending = [], data
        try:
            while pending:
                if self.decoder.eof:
                    raise UndecodableBody(f"data after the end of the {self.label} stream")
                # Bounded output per call: a bomb is caught one byte past the limit.
                pieces.append(self._count(self.decoder.decompress(pending, self.limit - self.size + 1)))
                pending = self.decoder.unconsumed_tail
                if self.decoder.unused_data:
                    raise UndecodableBody(f"data after the end of the {self.label} stream")
        except zlib.error as err:
            raise UndecodableBody(f"invalid {self.label} data: {err}") from None
        return b"".join(pieces)

    def finish(self):
        if not self.decoder.eof:
            raise UndecodableBody(f"truncated {self.label} data")
        return b""


class _Brotli(_Counted):
    def __init__(self, limit):
        super().__init__(limit, "br")
        self.decoder = brotli.Decompressor()

    def feed(self, data):
        pieces = []
        # Small steps: brotli cannot cap one call's output, and a step this small cannot expand
        # past two meta-blocks.
        for start in range(0, len(data), BROTLI_STEP):
            if self.decoder.is_finished():
                raise UndecodableBody("data after the end of the br stream")
            try:
                pieces.append(self._count(self.decoder.process(data[start:start + BROTLI_STEP])))
            except brotli.error as err:
                raise UndecodableBody(f"invalid br data: {err}") from None
        return b"".join(pieces)

    def finish(self):
        if not self.decoder.is_finished():
            raise UndecodableBody("truncated br data")
        return b""


class _Zstd(_Counted):
    def __init__(self, limit):
        super().__init__(limit, "zstd")
        self.decoder = zstandard.ZstdDecompressor(max_window_size=ZSTD_MAX_WINDOW).decompressobj()

    def feed(self, data):
        pieces = []
        try:
            for start in range(0, len(data), ZSTD_STEP):
                if self.decoder.eof:
                    raise UndecodableBody("data after the end of the zstd frame")
                pieces.append(self._count(self.decoder.decompress(data[start:start + ZSTD_STEP])))
        except zstandard.ZstdError as err:
            raise UndecodableBody(f"invalid zstd data: {err}") from None
        if self.decoder.eof and self.decoder.unused_data:
            raise UndecodableBody("data after the end of the zstd frame")
        return b"".join(pieces)

    def finish(self):
        if not self.decoder.eof:
            raise UndecodableBody("truncated zstd data")
        return b""


def _one(coding, limit):
    if coding in ("gzip", "x-gzip"):
        return _Zlib(16 + zlib.MAX_WBITS, limit, "gzip")
    if coding == "deflate":
        return _Zlib(zlib.MAX_WBITS, limit, "deflate")
    if coding == "br":
        return _Brotli(limit)
    if coding == "zstd":
        return _Zstd(limit)
    return _Identity(limit, "identity")


class _Chain:
    """Codings applied in order c1, c2 are undone c2 first, each feeding the next."""

    def __init__(self, decoders):
        self.decoders = decoders

    def feed(self, data):
        for decoder in self.decoders:
            data = decoder.feed(data)
        return data

    def finish(self):
        out = b""
        for i, decoder in enumerate(self.decoders):
            out = decoder.feed(out) if i else out
            out += decoder.finish()
        return out


def stream_decoder(content_encoding, limit):
    """A decoder with feed(bytes) -> bytes and finish() -> bytes; raises UndecodableBody for a
    coding it does not decode exactly (checked here, before any byte is read)."""
    codings = content_codings(content_encoding)
    decoders = [_one(c, limit) for c in reversed(codings)] or [_Identity(limit, "identity")]
    return decoders[0] if len(decoders) == 1 else _Chain(decoders)
