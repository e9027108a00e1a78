"""Streamed responses: decoded, scrubbed behind an overlap window, poisoned (never released) on a leak."""
import base64
import gzip
import zlib

import brotli
import pytest
import zstandard

from body_decoding import UndecodableBody
from conftest import SECRET
from hidden_forms import DeepScrubber
from secret_views import SecretScrubber
from response_stream import ResponseStream
from body_decoding import stream_decoder


class Cred:
    name = "PAY_API_TOKEN"
    value = SECRET


SCRUBBER = DeepScrubber(SecretScrubber([Cred()]))
WINDOW = 32 * SCRUBBER.longest + 256
FILLER = b'{"id":1,"name":"item","note":"plain text"}\n' * 60_000  # ~2.6 MiB, past the hold


def play(body, chunk, coding=None, hold=1 << 20, limit=64 << 20):
    stream = ResponseStream(SCRUBBER, stream_decoder(coding, limit), WINDOW, limit, hold)
    out = []
    for start in range(0, len(body), chunk):
        out += stream(body[start:start + chunk])
    out += stream(b"")
    assert all(out)
    return b"".join(out), stream


@pytest.mark.parametrize("chunk", [1, 7, 1000, 65536])
@pytest.mark.parametrize("offset", [0, len(FILLER) // 3, len(FILLER) - 5])
def test_rewrites_a_secret_that_straddles_any_chunk_boundary(chunk, offset):
    if chunk == 1 and offset:
        pytest.skip("byte-by-byte over megabytes is slow; offset 0 covers it")
    body = FILLER[:offset] + SECRET.encode() + FILLER[offset:]
    out, stream = play(body if chunk > 1 else SECRET.encode() + FILLER[:5000], chunk, hold=100)
    assert SECRET.encode() not in out and b"PAY_API_TOKEN" in out
    assert stream.poisoned is None and stream.scrubbed == 1


def test_holds_a_small_body_whole_and_releases_it_at_the_end():
    stream = ResponseStream(SCRUBBER, stream_decoder(None, 1 << 20), WINDOW, 1 << 20, 1 << 20)
    assert stream(b"abc") == [] and stream(b"def") == []
    assert stream(b"") == [b"abcdef"]


@pytest.mark.parametrize(
    "form",
    [
        base64.b64encode(b"x" + SECRET.encode() + b"y"),
        "".join("%%%02x" % c if i % 2 else chr(c) for i, c in enumerate(SECRET.encode())).encode(),
        b"  ".join(base64.b64encode(SECRET.encode())[i:i + 1] for i in range(40)),
        (b" " * 5000).join(base64.b64encode(SECRET.encode())[i:i + 4] for i in range(0, 40, 4)),
        # Padding that the views drop, each kind between the groups of a base64 value: the
        # window counts none of it, so the whole occurrence is still checked before release.
        (b"\\n" * 20000).join(base64.b64encode(SECRET.encode())[i:i + 4] for i in range(0, 40, 4)),
        ("\u200b" * 14000).encode().join(base64.b64encode(SECRET.encode())[i:i + 4] for i in range(0, 40, 4)),
        b"".join(b"0x%02x" % c + b", " * 1200 for c in SECRET.encode()),
        # Escapes of what a view drops, as padding between the characters of the value itself:
        # the window is measured decoded, so none of it counts.
        b"".join(bytes([c]) + b"%20" * 2000 for c in SECRET.encode()),
        b"".join(bytes([c]) + b"\\u0020" * 1000 for c in SECRET.encode()),
        b"".join(bytes([c]) + b"&#32;" * 1200 for c in SECRET.encode()),
        b"".join(bytes([c]) + b"%2520" * 1200 for c in SECRET.encode()),
        b"".join(bytes([c]) + b"\\u200b" * 1000 for c in SECRET.encode()),
        # Padding inside an encoding: the window decodes base64 and hex runs to measure them.
        base64.b64encode((" " * 6000).join(SECRET).encode()),
        (" " * 6000).join(SECRET).encode().hex().encode(),
    ],
    ids=["base64-inside", "half-percent-encoded", "base64-spaced", "base64-padded-with-whitespace",
         "base64-padded-with-json-line-escapes", "base64-padded-with-invisible-characters", "hex-bytes-padded-with-separators",
         "value-padded-with-percent-spaces", "value-padded-with-json-spaces", "value-padded-with-html-spaces",
         "value-padded-with-double-percent-spaces", "value-padded-with-escaped-invisible-characters",
         "base64-of-a-value-padded-with-spaces", "hex-of-a-value-padded-with-spaces"],
)
def test_releases_nothing_of_a_secret_it_cannot_rewrite(form):
    form = form if isinstance(form, bytes) else form.encode()
    body = FILLER + form + FILLER
    out, stream = play(body, 4096)
    assert stream.poisoned
    # Nothing after the filler before the form got out: the occurrence was held whole.
    assert len(out) <= len(FILLER)
    assert form[:8] not in out


@pytest.mark.parametrize("reference", [b"&#%s%d;", b"&#x%s%x;", b"\\u{%s%x}", b"\\x{%s%x}"])
def test_refuses_zero_padded_character_references_while_streaming(reference):
    # Longer than the window: only the refusal of padding stops it, not the views.
    padded = b"".join(reference % (b"0" * 5000, c) for c in SECRET.encode())
    out, stream = play(FILLER + padded, 4096)
    assert stream.poisoned and b"0000" not in out[len(FILLER) - 100:]


def test_checks_a_large_chunk_in_slices_and_still_finds_a_secret_across_them():
    # One 3 MiB chunk (an HTTP/2 frame can be 1 MiB; a decoder can return more): the secret
    # sits right across a slice boundary and is still rewritten.
    from response_stream import SLICE
    body = FILLER[:SLICE - 10] + SECRET.encode() + FILLER
    out, stream = play(body, len(body))
    assert SECRET.encode() not in out and b"PAY_API_TOKEN" in out and stream.scrubbed == 1


def test_refuses_a_body_past_the_limit():
    out, stream = play(FILLER, 65536, limit=1 << 20)
    assert stream.poisoned and "exceeds" in stream.poisoned


@pytest.mark.parametrize(
    "coding, encode",
    [
        ("gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("br", brotli.compress),
        ("zstd", lambda b: zstandard.ZstdCompressor().compress(b)),
        ("gzip, br", lambda b: brotli.compress(gzip.compress(b))),
    ],
)
def test_decodes_each_coding_while_streaming_and_scrubs_what_it_decodes(coding, encode):
    body = FILLER[:300_000] + SECRET.encode() + FILLER[:300_000]
    out, stream = play(encode(body), 5000, coding=coding, hold=1000)
    assert stream.poisoned is None
    assert out == body.replace(SECRET.encode(), b"PAY_API_TOKEN")


@pytest.mark.parametrize(
    "coding, raw",
    [
        ("gzip", gzip.compress(b"a") + gzip.compress(SECRET.encode())),
        ("gzip", gzip.compress(b"a") + b"trailing"),
        ("gzip", gzip.compress(FILLER)[:-10]),
        ("deflate", zlib.compress(b"a") + b"x"),
        ("br", brotli.compress(b"a") + b"x"),
        ("zstd", zstandard.ZstdCompressor().compress(b"a") * 2),
        ("gzip", gzip.compress(b"\0" * (8 << 20))),
    ],
    ids=["two-members", "trailing", "truncated", "deflate-trailing", "br-trailing", "two-frames", "bomb"],
)
def test_poisons_a_body_the_client_could_decode_differently(coding, raw):
    out, stream = play(raw, 1000, coding=coding, limit=4 << 20, hold=100)
    assert stream.poisoned
    assert SECRET.encode() not in out


@pytest.mark.parametrize("label", ["rot13", "base64", "compress", "GZIP2", "gzip, gzip, gzip", "utf-16"])
def test_refuses_a_coding_it_does_not_decode_before_reading(label):
    with pytest.raises(UndecodableBody):
        stream_decoder(label, 1 << 20)


def test_holds_a_compressed_stream_until_it_is_whole():
    """A gzip copy that starts before a cut and ends after it is not released half-checked."""
    rng = __import__("random").Random(1)
    # Huffman-coded (not stored) and still ~150 KB compressed: it spans several chunks.
    noise = bytes(rng.choice(b"abcd") for _ in range(600_000))
    blob = gzip.compress(noise + SECRET.encode())
    assert SECRET.encode() not in blob and len(blob) > 2 * 65536
    out, stream = play(FILLER + blob + FILLER, 65536)
    assert stream.poisoned
    assert blob[:64] not in out


def test_releases_an_innocent_compressed_stream_once_checked():
    blob = gzip.compress(FILLER[:200_000])
    out, stream = play(FILLER + blob + FILLER, 65536)
    assert stream.poisoned is None and out == FILLER + blob + FILLER


def test_looks_inside_base64_of_gzip_broken_by_json_line_escapes():
    import json
    packed = base64.encodebytes(gzip.compress(b"x" * 100 + SECRET.encode())).decode()  # lines of 76
    body = json.dumps({"export": packed}).encode()  # the line breaks become \n escapes
    assert b"\\n" in body
    assert SCRUBBER.scrub(body)[2]
