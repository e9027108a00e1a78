"""Strict Content-Encoding decoding of response bodies, so the scrubber sees exactly what the client gets.

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
        if token not in _DECODERS:
            raise UndecodableBody(f"unsupported content coding {token!r}")
    return tokens


def decode_body(raw, content_encoding, limit):
    """The identity bytes of `raw` sent with `content_encoding` (a header value; None or ''
    means identity), at most `limit` bytes long. Raises UndecodableBody otherwise."""
    codings = content_codings(content_encoding)
    data = bytes(raw)
    # An empty body carries nothing to hide, and HEAD, 204 and 304 answers keep the
    # Content-Encoding of the representation they describe without carrying it.
    if not data:
        return b""
    for coding in reversed(codings):
        data = _DECODERS[coding](data, limit)
    if len(data) > limit:
        raise UndecodableBody(f"decoded body exceeds {limit} bytes")
    return data


def _too_big(limit):
    return UndecodableBody(f"decoded body exceeds {limit} bytes")


def _zlib_stream(raw, wbits, limit, label):
    """One complete zlib-library stream (gzip member or zlib wrapper), nothing after it."""
    decoder = zlib.decompressobj(wbits)
    pieces, size, pending = [], 0, raw
    try:
        while not decoder.eof:
            # max_length is limit+1 at most, so one byte past the limit proves a bomb without
            # ever holding more than limit+1 bytes of its output.
            piece = decoder.decompress(pending, limit - size + 1)
            size += len(piece)
            if size > limit:
                raise _too_big(limit)
            pieces.append(piece)
            consumed = len(pending) - len(decoder.unconsumed_tail)
            pending = decoder.unconsumed_tail
            if not piece and not consumed:
                break
    except zlib.error as err:
        raise UndecodableBody(f"invalid {label} data: {err}") from None
    if not decoder.eof:
        raise UndecodableBody(f"truncated {label} data")
    # Bytes after the end (a second gzip member, padding, anything) are data some client
    # decoders would read and others would drop: no single meaning, so no pass.
    if decoder.unused_data or pending:
        raise UndecodableBody(f"data after the end of the {label} stream")
    return b"".join(pieces)


def _gzip(raw, limit):
    # 16 + 15: gzip wrapper only (not the 32 + 15 auto-detection, which would also take zlib).
    return _zlib_stream(raw, 16 + zlib.MAX_WBITS, limit, "gzip")


def _deflate(raw, limit):
    # RFC 9110 section 8.4.1.2: 'deflate' is the zlib format. Raw deflate (no header, no
    # Adler-32) is refused rather than guessed at: guessing is where decoders disagree, and
    # without the checksum a corrupt or crafted stream is not caught.
    return _zlib_stream(raw, zlib.MAX_WBITS, limit, "deflate")


def _brotli(raw, limit):
    decoder = brotli.Decompressor()
    pieces, size = [], 0
    for start in range(0, len(raw), BROTLI_STEP):
        if decoder.is_finished():
            raise UndecodableBody("data after the end of the br stream")
        try:
            piece = decoder.process(raw[start:start + BROTLI_STEP])
        except brotli.error as err:
            # brotli also fails here when one step holds the stream's end and more bytes.
            raise UndecodableBody(f"invalid br data: {err}") from None
        size += len(piece)
        if size > limit:
            raise _too_big(limit)
        pieces.append(piece)
    if not decoder.is_finished():
        raise UndecodableBody("truncated br data")
    return b"".join(pieces)


def _zstd(raw, limit):
    decoder = zstandard.ZstdDecompressor(max_window_size=ZSTD_MAX_WINDOW).decompressobj()
    pieces, size = [], 0
    try:
        for start in range(0, len(raw), ZSTD_STEP):
            if decoder.eof:
                raise UndecodableBody("data after the end of the zstd frame")
            piece = decoder.decompress(raw[start:start + ZSTD_STEP])
            size += len(piece)
            if size > limit:
                raise _too_big(limit)
            pieces.append(piece)
    except zstandard.ZstdError as err:
        raise UndecodableBody(f"invalid zstd data: {err}") from None
    if not decoder.eof:
        raise UndecodableBody("truncated zstd data")
    # Whatever follows the first frame (a second frame, a skippable frame, garbage) lands in
    # unused_data. A leading skippable frame is a first frame too, so the data frame after it
    # lands there as well: exactly one data frame, alone, is accepted.
    if decoder.unused_data:
        raise UndecodableBody("data after the end of the zstd frame")
    return b"".join(pieces)


def _identity(raw, limit):
    return raw


_DECODERS = {
    "identity": _identity,
    "gzip": _gzip,
    # RFC 9110 section 8.4.1.3: a recipient SHOULD treat x-gzip as gzip. It maps to the same
    # strict decoder here, never to a codec looked up by name.
    "x-gzip": _gzip,
    "deflate": _deflate,
    "br": _brotli,
    "zstd": _zstd,
}
