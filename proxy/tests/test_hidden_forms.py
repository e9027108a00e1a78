"""Hidden forms: compressed copies found by their magic, raw or base64, however they are searched for."""
import base64
import gzip
import random
import re
import zlib

import pytest

import hidden_forms
from conftest import SECRET
from hidden_forms import DeepScrubber
from secret_views import SecretScrubber


class Cred:
    name = "PAY_API_TOKEN"
    value = SECRET


SCRUBBER = DeepScrubber(SecretScrubber([Cred()]))


# --- The plain searches the fast ones must equal --------------------------------------------

def plain_raw_magic(data, ascii_only):
    needles = [m for m, _ in (hidden_forms.RAW_MAGIC_ASCII if ascii_only else hidden_forms.RAW_MAGIC)]
    for at in hidden_forms._find_all(data, needles):
        if data[at:at + 6] == b"1AY&SY":
            at -= 4
            if at < 0 or data[at:at + 3] != b"BZh":
                continue
        yield at


def plain_b64_magic_runs(data):
    for start in hidden_forms._find_all(data, hidden_forms.B64_PREFIX):
        if start and data[start - 1] in hidden_forms.B64_CHARS:
            continue
        run = hidden_forms.B64_RUN.match(data, start)
        if run:
            yield run


PIECES = [
    *(m for m, _ in hidden_forms.RAW_MAGIC), *hidden_forms.B64_PREFIX, b"BZh9", b"BZh91AY&SY", b"x", b"Y", b"\xfd",
    b"\x01", b"^", b"=", b"\\n", b"\\r", b"\\", b" ", b"\n", b"\t", b"\x0b", b'"', b",", b"-", b"_", b"+", b"/",
    b"AAAA", b"QUJD", b"aGVsbG8gd29ybGQ", b"0123456789", b"caf\xc3\xa9", b"\xe2\x80\x8b", b"{\"a\":",
]


def bodies(seed, count):
    rng = random.Random(seed)
    for _ in range(count):
        kinds = rng.sample(PIECES, rng.randint(2, 12))
        yield b"".join(rng.choice(kinds) for _ in range(rng.choice([1, 5, 30, 200, 2000])))


@pytest.mark.parametrize("seed", range(4))
def test_magic_found_by_its_anchor_byte_is_what_a_plain_search_finds(seed):
    for data in bodies(seed, 300):
        for ascii_only in (False, True):
            assert list(hidden_forms._raw_magic(data, ascii_only)) == list(plain_raw_magic(data, ascii_only)), data[:200]


def test_a_common_anchor_byte_switches_to_the_plain_search_without_losing_a_hit():
    # More anchor hits than ANCHOR_HITS, with magic before, at and after the switch.
    data = (b"Yx^" * 40 + b"BZh91AY&SY" + b"x" * 3) * 10 + b"\x78\x5e" + b"Y" * 200 + b"BZh31AY&SY"
    assert data.count(b"Y") > hidden_forms.ANCHOR_HITS
    assert list(hidden_forms._raw_magic(data, True)) == list(plain_raw_magic(data, True))
    assert len(list(hidden_forms._raw_magic(data, True))) == 40 * 10 + 1 + 10 + 1


@pytest.mark.parametrize("seed", range(4))
def test_base64_magic_searched_inside_runs_only_is_what_a_plain_search_finds(seed):
    for data in bodies(100 + seed, 300):
        fast = [(m.start(), m.group()) for m in hidden_forms._b64_magic_runs(data)]
        plain = [(m.start(), m.group()) for m in plain_b64_magic_runs(data)]
        assert fast == plain, data[:200]


def test_control_the_random_bodies_hold_magic_of_both_kinds():
    raw = b64 = 0
    for seed in range(4):
        for data in bodies(seed, 300):
            raw += bool(list(plain_raw_magic(data, False)))
        for data in bodies(100 + seed, 300):
            b64 += bool(list(plain_b64_magic_runs(data)))
    assert raw > 50 and b64 > 50


# --- What the searches are for --------------------------------------------------------------

FILLER = b'{"id":1,"name":"item","url":"https:\\/\\/x.test\\/a?b=1&c=%20","note":"caf\\u00e9 &amp; more"}\n' * 3000


@pytest.mark.parametrize("pack", [
    gzip.compress,
    lambda raw: zlib.compress(raw, 9),
    lambda raw: zlib.compress(raw, 1),
    lambda raw: base64.b64encode(gzip.compress(raw)),
    lambda raw: base64.urlsafe_b64encode(zlib.compress(raw)),
    lambda raw: b"\\n".join(re.findall(rb".{1,19}", base64.b64encode(gzip.compress(raw)))),
    lambda raw: b" ".join(re.findall(rb".{1,7}", base64.b64encode(gzip.compress(raw)))),
], ids=["gzip", "zlib-9", "zlib-1", "base64-gzip", "base64url-zlib", "json-wrapped-base64", "spaced-base64"])
@pytest.mark.parametrize("where", ["alone", "in-filler", "after-filler-word"])
def test_a_compressed_value_is_found_wherever_it_stands(pack, where):
    packed = pack(b"token=" + SECRET.encode())
    body = {"alone": packed, "in-filler": FILLER + b'"' + packed + b'"' + FILLER,
            "after-filler-word": FILLER + b" " + packed + b"," + FILLER}[where]
    assert SCRUBBER.scrub(body)[2]


def test_control_the_filler_alone_shows_nothing():
    assert SCRUBBER.scrub(FILLER) == (FILLER, 0, False)
