"""Content-Encoding decoding: only exact, complete, bounded decodes pass; everything else raises."""
import base64
import gzip
import zlib

import brotli
import pytest
import zstandard

from body_decoding import MAX_CODINGS, UndecodableBody, content_codings, decode_body
from conftest import SECRET

BODY = f'{{"you_sent":"Bearer {SECRET}","pad":"{"x" * 300}"}}'.encode()
LIMIT = 1 << 20


def zlib_raw(data):
    compressor = zlib.compressobj(wbits=-15)
    return compressor.compress(data) + compressor.flush()


ENCODERS = {
    "identity": lambda d: d,
    "gzip": gzip.compress,
    "x-gzip": gzip.compress,
    "deflate": zlib.compress,
    "br": brotli.compress,
    "zstd": lambda d: zstandard.ZstdCompressor().compress(d),
}
CODINGS = ["gzip", "deflate", "br", "zstd"]


def encode(data, header):
    for token in [t.strip().lower() for t in header.split(",") if t.strip()]:
        data = ENCODERS[token](data)
    return data


@pytest.mark.parametrize(
    "header",
    [
        "identity", "IDENTITY", "gzip", "GZIP", " gzip ", "x-gzip", "X-Gzip", "deflate", "Deflate",
        "br", "BR", "zstd", "ZSTD", "gzip, gzip", "gzip,br", "br, zstd", "identity, gzip",
        "gzip, identity", "gzip,", ", br",
    ],
)
def test_decodes_accepted_codings(header):
    assert decode_body(encode(BODY, header), header, LIMIT) == BODY


@pytest.mark.parametrize("header", [None, "", "   ", ","])
def test_no_coding_is_identity(header):
    assert decode_body(BODY, header, LIMIT) == BODY


@pytest.mark.parametrize(
    "header, raw",
    [
        ("compress", BODY),
        ("x-compress", BODY),
        ("rot13", BODY),
        ("base64", base64.b64encode(BODY)),
        ("utf-16", BODY.decode().encode("utf-16")),
        ("utf_16", BODY.decode().encode("utf-16")),
        ("utf-8", BODY),
        ("latin-1", BODY),
        ("zlib", zlib.compress(BODY)),
        ("zip", zlib.compress(BODY)),
        ("bz2", BODY),
        ("bzip2", BODY),
        ("hex", BODY.hex().encode()),
        ("quopri", BODY),
        ("uu", BODY),
        ("punycode", BODY),
        ("unknown", BODY),
        ("gzip;q=1", gzip.compress(BODY)),
        ("gzip gzip", gzip.compress(BODY)),
        ("chunked", BODY),
        ("gzip, gzip, gzip", gzip.compress(gzip.compress(gzip.compress(BODY)))),
        ("identity, identity, identity", BODY),
        ("gzip, rot13", gzip.compress(BODY)),
        ("rot13, gzip", gzip.compress(BODY)),
    ],
)
def test_blocks_any_other_label(header, raw):
    with pytest.raises(UndecodableBody):
        decode_body(raw, header, LIMIT)


def test_caps_the_number_of_codings():
    assert content_codings(", ".join(["gzip"] * MAX_CODINGS)) == ["gzip"] * MAX_CODINGS
    with pytest.raises(UndecodableBody, match="more than"):
        content_codings(", ".join(["gzip"] * (MAX_CODINGS + 1)))


def test_decodes_stacked_codings_in_reverse_order():
    raw = brotli.compress(gzip.compress(BODY))
    assert decode_body(raw, "gzip, br", LIMIT) == BODY
    with pytest.raises(UndecodableBody):
        decode_body(raw, "br, gzip", LIMIT)


def test_blocks_a_second_gzip_member():
    # Python's gzip module and many clients read both members; the scrubber must not see less.
    raw = gzip.compress(b"harmless ") + gzip.compress(SECRET.encode())
    assert gzip.decompress(raw) == b"harmless " + SECRET.encode()
    with pytest.raises(UndecodableBody, match="after the end"):
        decode_body(raw, "gzip", LIMIT)


def test_blocks_two_zstd_frames():
    compressor = zstandard.ZstdCompressor()
    raw = compressor.compress(b"harmless ") + compressor.compress(SECRET.encode())
    with pytest.raises(UndecodableBody, match="after the end"):
        decode_body(raw, "zstd", LIMIT)


def test_blocks_a_zstd_frame_behind_a_skippable_frame():
    skippable = b"\x50\x2a\x4d\x18" + (4).to_bytes(4, "little") + b"abcd"
    raw = skippable + zstandard.ZstdCompressor().compress(BODY)
    with pytest.raises(UndecodableBody):
        decode_body(raw, "zstd", LIMIT)


def test_blocks_a_zstd_window_beyond_the_http_limit():
    params = zstandard.ZstdCompressionParameters(window_log=24, enable_ldm=True)
    data = bytes(range(256)) * 4096 * 12
    raw = zstandard.ZstdCompressor(compression_params=params).compress(data)
    assert zstandard.get_frame_parameters(raw).window_size > 8 << 20
    with pytest.raises(UndecodableBody, match="zstd"):
        decode_body(raw, "zstd", 64 << 20)


@pytest.mark.parametrize("coding", CODINGS)
@pytest.mark.parametrize("trailer", [b"\0", b"\0" * 8, b"x", SECRET.encode(), b"\n"])
def test_blocks_anything_after_the_end_of_a_stream(coding, trailer):
    with pytest.raises(UndecodableBody):
        decode_body(encode(BODY, coding) + trailer, coding, LIMIT)


@pytest.mark.parametrize("coding", CODINGS)
@pytest.mark.parametrize("cut", [1, 2, 4, 9, 0.5])
def test_blocks_a_truncated_stream(coding, cut):
    raw = encode(BODY, coding)
    end = int(len(raw) * cut) if isinstance(cut, float) else len(raw) - cut
    with pytest.raises(UndecodableBody):
        decode_body(raw[:end], coding, LIMIT)


@pytest.mark.parametrize("coding", CODINGS)
def test_blocks_garbage_under_a_coding_label(coding):
    with pytest.raises(UndecodableBody):
        decode_body(b"\x00garbage" + SECRET.encode(), coding, LIMIT)


def test_blocks_raw_deflate():
    with pytest.raises(UndecodableBody):
        decode_body(zlib_raw(BODY), "deflate", LIMIT)


def test_blocks_gzip_sent_as_deflate_and_zlib_sent_as_gzip():
    with pytest.raises(UndecodableBody):
        decode_body(gzip.compress(BODY), "deflate", LIMIT)
    with pytest.raises(UndecodableBody):
        decode_body(zlib.compress(BODY), "gzip", LIMIT)


def test_blocks_a_corrupted_gzip_checksum():
    raw = bytearray(gzip.compress(BODY))
    raw[-8] ^= 1
    with pytest.raises(UndecodableBody):
        decode_body(bytes(raw), "gzip", LIMIT)


@pytest.mark.parametrize("coding", CODINGS)
def test_stops_a_decompression_bomb_at_the_limit(coding):
    limit = 1 << 20
    raw = encode(b"\0" * (64 << 20), coding)
    assert len(raw) < limit
    with pytest.raises(UndecodableBody, match=f"exceeds {limit} bytes"):
        decode_body(raw, coding, limit)


@pytest.mark.parametrize("coding", CODINGS)
def test_accepts_a_body_exactly_at_the_limit(coding):
    data = b"a" * 1000
    assert decode_body(encode(data, coding), coding, len(data)) == data
    with pytest.raises(UndecodableBody, match="exceeds"):
        decode_body(encode(data, coding), coding, len(data) - 1)


def test_stops_a_stacked_bomb_at_the_limit():
    raw = gzip.compress(gzip.compress(b"\0" * (64 << 20)))
    with pytest.raises(UndecodableBody, match="exceeds"):
        decode_body(raw, "gzip, gzip", 1 << 20)


def test_limits_identity_bodies_too():
    with pytest.raises(UndecodableBody, match="exceeds"):
        decode_body(b"x" * 11, None, 10)


@pytest.mark.parametrize("header", ["identity", "gzip", "x-gzip", "deflate", "br", "zstd", "gzip, br"])
def test_an_empty_body_is_empty_under_any_accepted_coding(header):
    assert decode_body(b"", header, LIMIT) == b""


@pytest.mark.parametrize("header", ["compress", "rot13", "gzip, gzip, gzip"])
def test_an_empty_body_does_not_excuse_an_unknown_label(header):
    with pytest.raises(UndecodableBody):
        decode_body(b"", header, LIMIT)


@pytest.mark.parametrize("coding", CODINGS)
def test_decodes_an_encoded_empty_representation(coding):
    assert decode_body(encode(b"", coding), coding, LIMIT) == b""


@pytest.mark.parametrize("coding", CODINGS)
def test_decodes_a_large_body_fed_in_steps(coding):
    data = bytes(range(256)) * 8192
    assert decode_body(encode(data, coding), coding, len(data)) == data


def test_is_a_value_error():
    assert issubclass(UndecodableBody, ValueError)
