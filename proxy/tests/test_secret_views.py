"""Secret detection through normalised views: every way a mirror can echo a value is either
rewritten to the credential's name or reported as a leak; each case says which."""
import base64
import html
import json
import random
import re
import textwrap
import urllib.parse
from dataclasses import dataclass

import pytest

import secret_views
from conftest import SECRET
from secret_views import SecretScrubber

SYMBOLS = 'a/b+c=d%e"f\\g'


@dataclass(frozen=True)
class Cred:
    name: str
    value: str


CREDS = [Cred("PAY_API_TOKEN", SECRET), Cred("SYMBOL_TOKEN", SYMBOLS)]
SCRUB = SecretScrubber(CREDS)
VALUES = [pytest.param(SECRET, "PAY_API_TOKEN", id="token"), pytest.param(SYMBOLS, "SYMBOL_TOKEN", id="symbols")]


def b64(data, alphabet=base64.b64encode):
    return alphabet(data if isinstance(data, bytes) else data.encode()).decode()


def b64url(data):
    return b64(data, base64.urlsafe_b64encode)


def every_char(fmt):
    return lambda s: "".join(fmt % ord(c) for c in s)


def every_byte(fmt):
    return lambda s: "".join(fmt % b for b in s.encode())


def wrap(text, width):
    return "\n".join(textwrap.wrap(text, width, break_on_hyphens=False, break_long_words=True))


def json_u(s):
    return every_char("\\u%04x")(s)


def partial_percent(s):
    return "".join(c if i % 2 else "%%%02X" % ord(c) for i, c in enumerate(s))


def js_identity(s):
    # "\c" is c in JS for every character without an escape meaning of its own.
    return "".join(c if c in "bfnrtvux0123456789\r\n" else "\\" + c for c in s)


def stacked(*fns):
    def apply(s):
        for fn in fns:
            s = fn(s)
        return s
    return apply


def buried(prefix, suffix="\u00ff\u00fe\"}"):
    return lambda s: b64(prefix + s + suffix)


# Echoes that are rewritten in place: each applied to the name is what the client must see.
REWRITTEN = {
    "plain": lambda s: s,
    "plain in json": lambda s: f'{{"you_sent":"Bearer {s}","n":1}}',
    "json.dumps": lambda s: json.dumps({"echo": s}),
    "json.dumps ensure_ascii=False": lambda s: json.dumps({"echo": s}, ensure_ascii=False),
    "json with \\/": lambda s: json.dumps({"echo": s}).replace("/", "\\/"),
    "percent-encoded (quote)": lambda s: "q=" + urllib.parse.quote(s, safe=""),
    "percent-encoded, lower hex": lambda s: "q=" + re.sub("%[0-9A-F]{2}", lambda m: m.group().lower(), urllib.parse.quote(s, safe="")),
    "form-encoded (quote_plus)": lambda s: "q=" + urllib.parse.quote_plus(s),
    "html escaped": lambda s: "<p>" + html.escape(s) + "</p>",
    "base64": lambda s: b64(s).rstrip("="),
    "base64url": lambda s: b64url(s).rstrip("="),
    "base64 padded in a sentence": lambda s: f"token {b64(s)} ok",
    "base64url padded": lambda s: b64url(s),
    "base64 unpadded glued to text": lambda s: "abc" + b64(s).rstrip("=") + "def",
    "hex": lambda s: s.encode().hex(),
    "hex upper": lambda s: s.encode().hex().upper(),
    "utf-16le": lambda s: s.encode("utf-16-le"),
    "utf-16be": lambda s: s.encode("utf-16-be"),
    "utf-16 with bom": lambda s: s.encode("utf-16"),
    "utf-32": lambda s: s.encode("utf-32-le"),
    "utf-16le at an odd offset": lambda s: b"x" + s.encode("utf-16-le") + b"!",
}

# Echoes no exact rewrite covers: the views must report each one.
LEAKED = {
    "json, every char \\u (lower hex)": json_u,
    "json, every char \\u (upper hex)": every_char("\\u%04X"),
    "json \\u inside json": stacked(json_u, lambda t: json.dumps({"raw": t})),
    "js \\x escapes": every_char("\\x%02x"),
    "js \\u{} escapes": every_char("\\u{%x}"),
    "js octal escapes": every_char("\\%o"),
    "js identity escapes": js_identity,
    "js unescape %u": every_char("%%u%04X"),
    "percent every char, upper hex": every_byte("%%%02X"),
    "percent every char, lower hex": every_byte("%%%02x"),
    "percent every other char": partial_percent,
    "percent every char, + for space": lambda s: every_byte("%%%02X")(s).replace("%20", "+"),
    "hex mixed case": lambda s: "".join(c.upper() if i % 3 else c for i, c in enumerate(s.encode().hex())),
    "hex with colons": lambda s: ":".join("%02x" % b for b in s.encode()),
    "hex with spaces, upper": lambda s: " ".join("%02X" % b for b in s.encode()),
    "hex with dashes": lambda s: "-".join("%02x" % b for b in s.encode()),
    "hex as a C array": lambda s: ", ".join("0x%02x" % b for b in s.encode()),
    "base64 every 76, std": lambda s: wrap(b64(("x" * 40) + s + ("y" * 40)), 76),
    "base64 every 76, url": lambda s: wrap(b64url(("\xff" * 40) + s + ("\xfe" * 40)), 76),
    "base64 every 4, std": lambda s: wrap(b64(s), 4),
    "base64 every 4, crlf": lambda s: wrap(b64(s), 4).replace("\n", "\r\n"),
    "base64 every 4, url": lambda s: wrap(b64url(s), 4),
    "base64 spaced every 4": lambda s: " ".join(textwrap.wrap(b64(s), 4)),
    "base64 at offset 0": buried(""),
    "base64 at offset 1": buried("u"),
    "base64 at offset 2": buried("ab"),
    "base64 at offset 3": buried("xyz"),
    "base64 at offset 1 after a word": lambda s: "Bearer" + b64("u:" + s),
    "base64 of a json document": lambda s: b64(json.dumps({"k": s, "pad": "x" * 100})),
    "json-escaped base64 with \\n every 4": lambda s: json.dumps({"b": wrap(b64(s), 4)}),
    "json-escaped base64 with \\n every 76": lambda s: json.dumps({"b": wrap(b64("z" * 50 + s + "z" * 50), 76)}),
    "html decimal references": every_char("&#%d;"),
    "html hex references": every_char("&#x%x;"),
    "html hex references, upper, no semicolon": every_char("&#X%X"),
    "html references with leading zeros": every_char("&#%07d;"),
    "html named and numeric mix": lambda s: "".join(("&amp;" if c == "&" else f"&#{ord(c)};") if i % 2 else c for i, c in enumerate(s)),
    "quoted-printable every char": every_byte("=%02X"),
    "quoted-printable with soft breaks": lambda s: "=\r\n".join(every_byte("=%02X")(s)[i:i + 12] for i in range(0, len(s) * 3, 12)),
    "decimal byte list (Buffer JSON)": lambda s: json.dumps({"type": "Buffer", "data": list(s.encode())}),
    "decimal byte list with spaces": lambda s: " ".join(str(b) for b in s.encode()),
    "utf-16le json, every char \\u": lambda s: json.dumps({"e": json_u(s)}).encode("utf-16-le"),
    "utf-16be of percent-encoding": lambda s: every_byte("%%%02x")(s).encode("utf-16-be"),
    "percent of percent": stacked(every_byte("%%%02X"), every_byte("%%%02X")),
    "percent of json \\u": stacked(json_u, every_byte("%%%02x")),
    "json \\u of percent": stacked(every_byte("%%%02X"), json_u),
    "html of json \\u": stacked(json_u, every_char("&#%d;")),
    "base64 of json \\u": stacked(json_u, b64),
    "base64 of percent-encoding": stacked(every_byte("%%%02X"), b64),
    "base64 of percent-encoding, url, every 76": stacked(every_byte("%%%02X"), b64url, lambda t: wrap(t, 76)),
    "base64 of html references": stacked(every_char("&#%d;"), b64),
    "base64 of utf-16le": lambda s: b64(s.encode("utf-16-le")),
    "base64 of base64": stacked(lambda s: b64("u" + s), b64),
    "base64 of hex": stacked(lambda s: s.encode().hex(), b64),
    "hex of base64": stacked(lambda s: b64("ab" + s), lambda t: t.encode().hex()),
    "hex of percent-encoding": stacked(every_byte("%%%02X"), lambda t: t.encode().hex()),
    "json \\u of base64": stacked(lambda s: b64("q" + s), json_u),
    "percent of base64": stacked(lambda s: b64("zz" + s), every_byte("%%%02X")),
    "base64 of percent of json \\u": stacked(json_u, every_byte("%%%02X"), b64),
    "utf-7": lambda s: "+" + b64(s.encode("utf-16-be")).rstrip("=") + "-",
    "python \\U escapes": every_char("\\U%08x"),
    "fullwidth look-alikes": lambda s: "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s),
    "fullwidth every other char, json-escaped": lambda s: json_u("".join(chr(ord(c) + 0xFEE0) if i % 2 else c for i, c in enumerate(s))),
    "mathematical bold digits and letters": lambda s: "".join(
        chr(0x1D7CE + ord(c) - 48) if c.isdigit() else chr(0x1D41A + ord(c) - 97) if "a" <= c <= "z" else c for c in s),
}


def as_bytes(data):
    return data if isinstance(data, bytes) else data.encode()


@pytest.mark.parametrize("value, name", VALUES)
@pytest.mark.parametrize("attack", REWRITTEN.values(), ids=list(REWRITTEN))
def test_rewrites_exact_echoes_to_the_name(attack, value, name):
    echoed = as_bytes(attack(value))
    data, count, leaked = SCRUB.scrub(echoed)
    assert not leaked
    assert count >= 1
    assert data == as_bytes(attack(name))


@pytest.mark.parametrize("value, name", VALUES)
@pytest.mark.parametrize("attack", LEAKED.values(), ids=list(LEAKED))
def test_reports_every_other_echo_as_a_leak(attack, value, name):
    echoed = as_bytes(attack(value))
    assert value.encode() not in echoed  # the attack really is an encoding
    data, count, leaked = SCRUB.scrub(echoed)
    assert leaked


@pytest.mark.parametrize("attack", LEAKED.values(), ids=list(LEAKED))
def test_reports_a_leak_buried_in_a_larger_json_body(attack):
    rows = [{"id": i, "url": f"https://example.com/a%20b?q={i}&amp;x=1", "text": "line\n\"quoted\" caf\u00e9"} for i in range(200)]
    echoed = as_bytes(attack(SECRET))
    if isinstance(attack(SECRET), bytes):
        body = json.dumps(rows).encode() + echoed + json.dumps(rows).encode()
    else:
        rows.insert(100, {"echo": attack(SECRET)})
        body = json.dumps(rows).encode()
    assert SCRUB.scrub(body)[2]


def test_the_name_alone_is_not_a_leak():
    body = json.dumps({"token": "PAY_API_TOKEN", "b64": b64("PAY_API_TOKEN"), "hex": b"PAY_API_TOKEN".hex()}).encode()
    assert SCRUB.scrub(body) == (body, 0, False)


RNG = random.Random(1)


@pytest.mark.parametrize(
    "body",
    [
        json.dumps({"blob": b64(RNG.randbytes(3000)), "digest": RNG.randbytes(32).hex(), "id": "tok_abc123"}),
        json.dumps({"blob": b64url(RNG.randbytes(5000)), "text": "caf\u00e9 \\ % & = \uff0c\uff01 " * 50}),
        "\n".join(textwrap.wrap(b64(RNG.randbytes(20000)), 76)),
        RNG.randbytes(20000),
        "tok_abc123 is another token; sk_test_ starts a Stripe key; 51HqLy is short",
        # Up to the edge characters of the value only: a masked display, not the value.
        f"your key: {SECRET[:10]}...{SECRET[-3:]}",
    ],
    ids=["json with base64 and hex", "base64url and escapes", "mime base64", "binary", "other tokens", "masked"],
)
def test_unrelated_data_is_untouched_and_not_a_leak(body):
    body = as_bytes(body)
    assert SCRUB.scrub(body) == (body, 0, False)


# Inside data that is not UTF-8 only ASCII runs are decoded further, so look-alike characters
# there are not folded back (a known gap, listed here rather than hidden).
NOT_IN_BINARY = {"fullwidth look-alikes", "mathematical bold digits and letters"}


@pytest.mark.parametrize("attack", [a for n, a in LEAKED.items() if n not in NOT_IN_BINARY],
                         ids=[n for n in LEAKED if n not in NOT_IN_BINARY])
def test_reports_a_leak_inside_binary_data(attack):
    rng = random.Random(3)
    body = rng.randbytes(5000) + as_bytes(attack(SECRET)) + rng.randbytes(5000)
    assert SCRUB.scrub(body)[2]


def test_reports_a_leak_inside_a_large_base64_blob():
    rng = random.Random(4)
    blob = rng.randbytes(300_000) + json.dumps({"k": json_u(SECRET)}).encode() + rng.randbytes(300_000)
    body = json.dumps({"b64_json": b64(blob)}).encode()
    assert SCRUB.scrub(body)[2]


def test_random_bodies_are_not_leaks():
    rng = random.Random(7)
    for _ in range(30):
        assert not SCRUB.scrub(rng.randbytes(4000))[2]
        assert not SCRUB.scrub(b64(rng.randbytes(3000)))[2]


def test_takes_the_credentials_of_the_api_config():
    from api_config import load_validator, parse_api
    from conftest import PAYMENTS

    env = {"PAY_SECRET": SECRET, "PAY_READ_SECRET": "read_only_secret_value_42"}
    api = parse_api("payments", "p", json.dumps(PAYMENTS), load_validator(), environ=env)
    scrubber = SecretScrubber(api.credentials)
    assert scrubber.scrub(f"a {SECRET} b") == ("a PAY_API_TOKEN b", 1, False)
    assert scrubber.scrub(json_u("read_only_secret_value_42"))[2]


def test_most_of_a_value_is_a_leak():
    # A decoder of another scheme can eat the first characters of a value ("&#x" before hex
    # digits); what is left is still the secret.
    value = "abcdef0123456789XYZxyzQRSqrs"
    scrubber = SecretScrubber([Cred("HEXISH", value)])
    body = "&#x" + value[:6] + json_u(value[6:])
    assert scrubber.scrub(body)[2]
    assert scrubber.scrub(value[3:-3])[2]


def test_a_value_holding_an_escape_is_found_by_a_client_of_another_scheme():
    # "=41" inside the value is quoted-printable for 'A'; a JSON client reads it literally.
    value = "xy=41zzsecretpart_0123456789"
    scrubber = SecretScrubber([Cred("WEIRD", value)])
    assert len(scrubber.decoders) > len(SCRUB.decoders)
    assert scrubber.scrub(json_u(value))[2]
    assert scrubber.scrub("".join(f"&#{ord(c)};" for c in value))[2]


def test_a_value_with_astral_characters_in_json_surrogate_pairs():
    value = "tok_42ab\U0001F600\u00fcn\u00efxyz_0123"
    assert "\U0001F600" in secret_views._middle(value)
    scrubber = SecretScrubber([Cred("EMOJI", value)])
    escaped = json.dumps(value)[1:-1]
    assert "\\ud83d\\ude00" in escaped
    assert scrubber.scrub(escaped) == ("EMOJI", 1, False)
    every_unit = "".join("\\u%04X" % u for u in _utf16_units(value))
    assert scrubber.scrub(every_unit)[2]
    assert scrubber.scrub("%F0%9F%98%80".join(value.split("\U0001F600")))[2]
    assert scrubber.scrub(value.encode("utf-16-le")) == ("EMOJI".encode("utf-16-le"), 1, False)
    assert scrubber.scrub(b"x" + value.encode("utf-16-be")) == (b"x" + "EMOJI".encode("utf-16-be"), 1, False)
    # Dropping zero bytes restores only ASCII: non-ASCII values are searched in wide forms too.
    assert scrubber.scrub(b"x" + value.encode("utf-16-be")[2:])[2]


def _utf16_units(text):
    data = text.encode("utf-16-be")
    return [int.from_bytes(data[i:i + 2], "big") for i in range(0, len(data), 2)]


def test_scrubs_str_like_bytes():
    text, count, leaked = SCRUB.scrub(f"Bearer {SECRET}")
    assert (text, count, leaked) == ("Bearer PAY_API_TOKEN", 1, False)
    assert SCRUB.scrub(json_u(SECRET))[2]
    assert SCRUB.scrub("caf\udce9 " + SECRET)[0] == "caf\udce9 PAY_API_TOKEN"


def test_rewrites_the_exact_basic_header_this_request_sent():
    real = b64(f"user:{SECRET}")
    named = b64("user:PAY_API_TOKEN")
    scrubber = SecretScrubber(CREDS, [(real, named)])
    text, count, leaked = scrubber.scrub(f'{{"authorization":"Basic {real}"}}')
    assert text == f'{{"authorization":"Basic {named}"}}'
    assert (count, leaked) == (1, False)
    # Without the echo pair the same header is still caught, as base64 at an offset.
    assert SCRUB.scrub(f'{{"authorization":"Basic {real}"}}')[2]


def test_shows_secret_checks_without_rewriting():
    assert SCRUB.shows_secret(f"X-{SECRET}")
    assert SCRUB.shows_secret(f"x-{SECRET.encode().hex()}")
    assert not SCRUB.shows_secret("X-Request-Id")
    assert not SCRUB.shows_secret(b"OK")


def test_rewrites_every_occurrence_and_counts_them():
    body = f"{SECRET} {SECRET} {urllib.parse.quote(SYMBOLS, safe='')}".encode()
    assert SCRUB.scrub(body) == (b"PAY_API_TOKEN PAY_API_TOKEN SYMBOL_TOKEN", 3, False)


def test_a_rewrite_next_to_an_unrewritable_echo_still_blocks():
    body = f"{SECRET} and {json_u(SECRET)}"
    text, count, leaked = SCRUB.scrub(body)
    assert count == 1 and leaked


def test_fails_closed_when_views_exceed_the_budget(monkeypatch):
    monkeypatch.setattr(secret_views, "VIEW_BUDGET_FACTOR", 0)
    monkeypatch.setattr(secret_views, "VIEW_BUDGET_FLOOR", 10)
    assert SCRUB.scrub("harmless %41%42 text with an escape")[2]
    assert not SCRUB.scrub("harmless text without one")[2]


def test_a_value_made_of_escapes_of_every_scheme_still_works():
    value = "%41\\n&amp;=41 and more text"
    scrubber = SecretScrubber([Cred("ESCAPES", value)])
    assert scrubber.scrub(value) == ("ESCAPES", 1, False)
    assert scrubber.scrub(every_byte("%%%02X")(value))[2]


def test_no_credentials_means_nothing_to_find():
    scrubber = SecretScrubber([])
    assert scrubber.scrub(b"anything %41 \\u0041") == (b"anything %41 \\u0041", 0, False)
    assert scrubber.longest == 0


def test_knows_its_longest_exact_form():
    assert SCRUB.longest == len(SECRET.encode("utf-32-le"))


def test_a_value_with_a_space_is_found_in_form_encoding():
    value = "pass phrase with spaces 0123"
    scrubber = SecretScrubber([Cred("PHRASE", value)])
    assert scrubber.scrub("q=" + urllib.parse.quote_plus(value)) == ("q=PHRASE", 1, False)
    assert scrubber.scrub("q=" + "+".join(every_byte("%%%02x")(w) for w in value.split(" ")))[2]


# Random stacks of two encodings, each applied to a random part of its input, inside JSON, HTML
# or alone. Known gaps are left out by name: look-alike characters inside hex, base64 or UTF-16
# (only ASCII text is decoded further there), and fullwidth ':' between hex bytes (folding CJK
# punctuation would cost every Chinese body a full extra view).
FUZZ_GAPS = {("fullwidth", "b64"), ("fullwidth", "hex"), ("fullwidth", "utf16"), ("utf16", "fullwidth"),
             ("hex", "fullwidth")}


def fuzz_encoders(rng):
    def some(p):
        return rng.random() < p

    def pct(s):
        p = rng.random()
        return "".join(rng.choice(["%%%02X", "%%%02x"]) % b if some(p) or b > 0x7E else chr(b) for b in s.encode())

    def js(s):
        p = rng.random()
        return "".join(rng.choice(["\\u%04x", "\\u%04X", "\\x%02x"]) % ord(c) if some(p) and ord(c) < 256
                       else json.dumps(c)[1:-1] for c in s)

    def html_refs(s):
        p = rng.random()
        return "".join(rng.choice(["&#%d;", "&#x%x;", "&#X%X;", "&#%05d;"]) % ord(c) if some(p) else html.escape(c)
                       for c in s)

    def b64(s):
        raw = ("xyz"[:rng.randint(0, 2)] + s + "!").encode()
        text = rng.choice([base64.b64encode, base64.urlsafe_b64encode])(raw).decode()
        if some(0.3):
            text = text.rstrip("=")
        if some(0.4):
            width = rng.choice([4, 64, 76])
            text = rng.choice(["\n", "\r\n"]).join(text[i:i + width] for i in range(0, len(text), width))
        return text

    def hex(s):
        text = "".join(c.upper() if some(0.5) else c for c in s.encode().hex())
        if some(0.3):
            text = rng.choice([":", " ", "-"]).join(text[i:i + 2] for i in range(0, len(text), 2))
        return text

    def qp(s):
        p = rng.random()
        return "".join("=%02X" % b if some(p) or b == 61 or b > 0x7E else chr(b) for b in s.encode())

    def json_doc(s):
        return json.dumps({"v": s}, ensure_ascii=some(0.5))

    def utf16(s):
        return s.encode(rng.choice(["utf-16-le", "utf-16-be"])).decode("latin-1")

    def fullwidth(s):
        return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" and some(0.5) else c for c in s)

    return [pct, js, html_refs, b64, hex, qp, json_doc, utf16, fullwidth]


@pytest.mark.parametrize("seed", range(4))
def test_random_stacks_of_two_encodings_are_caught(seed):
    rng = random.Random(seed)
    encoders = fuzz_encoders(rng)
    scrubber = SecretScrubber([*CREDS, Cred("HEX_KEY", "4f2a9c0e1b7d3a5f6e8c9b0a1d2e3f4a")])
    missed = []
    for _ in range(120):
        chain = [rng.choice(encoders) for _ in range(rng.randint(1, 2))]
        names = tuple(f.__name__ for f in chain)
        if names in FUZZ_GAPS:
            continue
        for value in (SECRET, SYMBOLS, "4f2a9c0e1b7d3a5f6e8c9b0a1d2e3f4a"):
            echoed = value
            for encode in chain:
                echoed = encode(echoed)
            wrap = rng.random()
            if wrap < 0.3:
                body = json.dumps({"pad": "hello %20 world \n &amp; =3D", "echo": echoed}).encode()
            elif wrap < 0.5:
                body = f"<p>caf\u00e9 {echoed}</p>".encode("utf-8", "surrogatepass")
            else:
                body = echoed.encode("latin-1" if names[-1] == "utf16" else "utf-8", "surrogatepass")
            data, count, leaked = scrubber.scrub(body)
            # Not reported as a leak is only right when an exact rewrite removed the value.
            if not leaked and not count:
                missed.append((names, value, body[:80]))
    assert missed == []


# --- Shortcuts: the same views, computed faster ---------------------------------------------
# secret_views.SHORTCUTS replaces escapes with bytes.replace where a search shows there is no
# other escape, skips the checks for long forms in views without a long enough run of the bytes
# they read, and lets decoders leave facts for one another. Off, every view is computed the
# plain way; these tests hold the two to each other.

ESCAPE_FRAGMENTS = [
    "%", "%2", "%20", "%25", "%5C", "%26", "%3D", "%41", "%u00e9", "%uD83D", "%uDE00", "%U0041", "%%",
    "\\", "\\\\", "\\u0041", "\\u00", "\\u0025", "\\u0026", "\\x41", "\\x25", "\\101", "\\1", "\\12", "\\n",
    "\\\r\n", "\\\r", "\\\n", "\\/", "\\q", "\\U0001F600", "\\U0041", "\\uD83D", "\\uDE00", "\\u{41}", "\\u{0041}",
    "\\\"", "\\'", "\\b", "&", "&amp;", "&amp", "&#65;", "&#65", "&#x41;", "&#x4", "&lt;", "&#37;", "&#92;",
    "&#x26;", "&#61;", "&fjlig;", "&nGt;", "&bne;", "&#12345678;", "=", "=3D", "=41", "=\r\n", "=\n", "=\r", "=5C",
    "=25", "=26", "A", "0", "1", "f", "x", "u", "U", "{", "}", "#", ";", " ", "\u00e9", "\x01", "\x05", "\x7f",
    "D", "8",
    "%01", "\\x02", "&#3;", "=04", "\\u00e9", "&eacute;",
]
UNESCAPER_KINDS = [
    (set(secret_views._SCHEMES), True), (set(secret_views._SCHEMES), False), ({"js", "percent"}, True),
    ({"html"}, False), ({"html", "quoted-printable"}, True), ({"js"}, False),
]


def fragments(rng, kinds, count):
    return "".join(rng.choice(kinds) for _ in range(count)).encode()


@pytest.mark.parametrize("seed", range(3))
def test_replacing_escapes_gives_what_the_regex_pass_gives(seed):
    rng = random.Random(seed)
    for _ in range(250):
        kinds = ESCAPE_FRAGMENTS if rng.random() < 0.5 else rng.sample(ESCAPE_FRAGMENTS, rng.randint(2, 6))
        text = fragments(rng, kinds, rng.choice([1, 3, 10, 40, 300]))
        for schemes, strict in UNESCAPER_KINDS:
            decode = secret_views.unescaper(schemes, strict)
            assert decode(text) == decode.by_regex(text), (text[:200], schemes, strict)


def test_replacing_escapes_block_by_block_gives_what_the_regex_pass_gives():
    rng = random.Random(11)
    for _ in range(8):
        kinds = rng.sample(ESCAPE_FRAGMENTS, rng.randint(2, 8))
        text = fragments(rng, kinds, 50_000)
        text *= 1 + 3 * secret_views.BLOCK // len(text)
        for schemes, strict in UNESCAPER_KINDS[:3]:
            decode = secret_views.unescaper(schemes, strict)
            assert decode(text) == decode.by_regex(text), (kinds, schemes, strict)


def bulk_json(lines, start=0):
    # What the egress benchmark's fake upstream sends.
    return "".join(
        f'{{"id":{i},"name":"item-{i}","url":"https:\\/\\/x.test\\/a?b=1&c=%20{i}","note":"caf\\u00e9 &amp; more"}}\n'
        for i in range(start, start + lines)
    ).encode()


def test_a_json_body_with_a_few_distinct_escapes_takes_no_regex_pass(monkeypatch):
    def regex_pass(*args):
        raise AssertionError("the regex pass ran")

    monkeypatch.setattr(secret_views, "_regex_unescape", regex_pass)
    body = bulk_json(3000)
    scrubber = SecretScrubber([Cred("PAY_API_TOKEN", SECRET), Cred("OTHER", "fk_live_9mQ2xT7vLp4RzW8nKc3J")])
    assert scrubber.scrub(body) == (body, 0, False)
    assert scrubber.scrub(body[12345:80000]) == (body[12345:80000], 0, False)


def same_with_and_without_shortcuts(monkeypatch, scrubber, body):
    fast = scrubber.scrub(body), scrubber.shows_secret(body)
    monkeypatch.setattr(secret_views, "SHORTCUTS", False)
    try:
        plain = scrubber.scrub(body), scrubber.shows_secret(body)
    finally:
        monkeypatch.setattr(secret_views, "SHORTCUTS", True)
    assert fast == plain, body[:200]
    return fast[0]


def test_shortcuts_change_no_verdict_on_the_attack_tables(monkeypatch):
    rng = random.Random(12)
    leaks = 0
    for attack in [*LEAKED.values(), *REWRITTEN.values()]:
        for value in (SECRET, SYMBOLS):
            echoed = as_bytes(attack(value))
            for body in (echoed, bulk_json(30) + echoed + bulk_json(30), rng.randbytes(3000) + echoed):
                leaks += same_with_and_without_shortcuts(monkeypatch, SCRUB, body)[2]
    assert leaks > 200


def test_shortcuts_change_no_verdict_on_ordinary_bodies(monkeypatch):
    rng = random.Random(13)
    bodies = [
        bulk_json(5000),  # more than two blocks
        bulk_json(200) + f"{SECRET}".encode() + bulk_json(200),
        bulk_json(200) + json_u(SECRET).encode() + bulk_json(200),
        rng.randbytes(200_000),
        " ".join(rng.choice(["the", "quick", "brown", "fox", "dead", "beef", "caf\u00e9", "1999,", "42"])
                 for _ in range(30_000)).encode(),
        "\n".join(textwrap.wrap(b64(rng.randbytes(30_000)), 76)).encode(),
        json.dumps({"t": "".join(chr(rng.randint(0x4E00, 0x4FFF)) for _ in range(3000))}).encode(),
        b"<p>" + b"caf&eacute; &lt;tag&gt; &amp; &quot;q&quot; &#169; " * 2000 + b"</p>",
        "\uff53\uff4b and \U0001d41a text \u00e9".encode() * 500,
        b"\\\\server\\share\\path " * 3000,
    ]
    for body in bodies:
        same_with_and_without_shortcuts(monkeypatch, SCRUB, body)


@pytest.mark.parametrize("seed", range(2))
def test_shortcuts_change_no_verdict_on_random_stacks(monkeypatch, seed):
    rng = random.Random(100 + seed)
    encoders = fuzz_encoders(rng)
    scrubber = SecretScrubber([*CREDS, Cred("HEX_KEY", "4f2a9c0e1b7d3a5f6e8c9b0a1d2e3f4a")])
    for _ in range(60):
        value = rng.choice([SECRET, SYMBOLS, "4f2a9c0e1b7d3a5f6e8c9b0a1d2e3f4a"])
        echoed = value
        for encode in [rng.choice(encoders) for _ in range(rng.randint(1, 3))]:
            echoed = encode(echoed)
        body = echoed.encode("utf-8", "surrogatepass")
        if rng.random() < 0.5:
            body = bulk_json(rng.randint(1, 50)) + body + bulk_json(rng.randint(1, 50))
        same_with_and_without_shortcuts(monkeypatch, scrubber, body)


TRICKY_ESCAPES = [
    b"\\uD83D.\\uD83D\\uDE00", b"%uD83D.%uD83D%uDE00", b"\\uDE00\\uD83D\\uDE00", b"\\uD83D\\uD83D\\uDE00",
    b"&amp;%41", b"&amp;\\u0041", b"%25%41", b"%5C\\u0025", b"=3D=41", b"&#37;41", b"&amp;=41 &amp; x",
    b"\\\\/ \\/", b"\\\\\\/", b"%2%20", b"&#x0%34%31;", b"&#x6%62;", b"&#100%", b"\\1%", b"\\18",
    b"\\U00000041 \\U0041", b"\\Uxyz", b"\\U00000041", b"&amp &amp;", b"&#65 &#65;", b"=\r=\r\n=41",
    b"\\\r\\\r\n\\\n", b"%%41", b"%u0041%41", b"\\x41\\x4", b"&#12345678;", b"&#x110000;", b"\\u{110000}",
]


def test_replacing_escapes_gives_what_the_regex_pass_gives_in_tricky_places():
    # Escapes that decode to the bytes that stand in for escapes while they are replaced.
    stand_ins = b"%01\\x02&#3;=04%05%06\\u0007&#8;"
    tricky = [*TRICKY_ESCAPES, stand_ins + b"\\u00e9%5C\\u0041", b"\\u00e9%5C\\u0041" + stand_ins + b"&eacute;"]
    # Longer than a block: no cut may fall inside it.
    long_escape = b"\\u{" + b"0" * (secret_views.BLOCK + 10) + b"41}"
    tricky.append((b"ab\\u0041 " + long_escape) * 3)
    for text in tricky:
        for repeat in (1, 3):
            view = b" ".join([text] * repeat)
            for schemes, strict in UNESCAPER_KINDS:
                decode = secret_views.unescaper(schemes, strict)
                assert decode(view) == decode.by_regex(view), (view, schemes, strict)


@pytest.mark.parametrize("seed", range(2))
def test_what_a_decoder_tells_the_next_is_true(seed):
    # The unescaper's search sees every backslash, so it tells _js_identity whether it has
    # anything to do; look-alikes are ruled out by a translate the checks make anyway.
    rng = random.Random(seed)
    for _ in range(300):
        kinds = ESCAPE_FRAGMENTS if rng.random() < 0.3 else rng.sample(ESCAPE_FRAGMENTS, rng.randint(2, 6))
        view = fragments(rng, kinds, rng.choice([1, 5, 30]))
        shape = secret_views._Shape(SCRUB, view)
        for decode in SCRUB.decoders:
            decode(view, shape)
        assert secret_views._js_identity(view, shape) == secret_views._js_identity(view)
        SCRUB.shows(view, shape)
        fold = SCRUB.decoders[-1] if SCRUB.decoders[-1].__name__ == "fold" else SCRUB.decoders[-2]
        assert fold(view, shape) == fold(view)


def long_form_views(rng):
    """Views made of runs of the bytes the long-form checks read, near the lengths they look for."""
    pieces = [b"A", b"z", b"0", b"7", b"f", b"+", b"/", b"-", b"_", b" ", b"\n", b"\\n", b"\\", b":", b",", b"x", b"0x",
              b"=", b"\"", b".", b"\xc3\xa9", b"\x00"]
    for _ in range(400):
        runs = []
        for _ in range(rng.randint(1, 6)):
            runs.append(b"".join(rng.choice(pieces[:16]) for _ in range(rng.randint(8, 30))))
            runs.append(rng.choice(pieces[16:]))
        yield b"".join(runs)


def test_the_checks_skipped_for_lack_of_a_long_run_would_have_found_nothing(monkeypatch):
    rng = random.Random(21)
    values = ["ab", "q7+/", "zz0f", SECRET]
    scrubber = SecretScrubber([Cred(f"V{i}", v) for i, v in enumerate(values)])
    for view in long_form_views(rng):
        views = secret_views._Views(scrubber, view)
        shape = secret_views._Shape(scrubber, view)
        fast = scrubber.shows(view, shape), views.extracted(view, shape)
        monkeypatch.setattr(secret_views, "SHORTCUTS", False)
        plain_shape = secret_views._Shape(scrubber, view)
        plain = scrubber.shows(view), secret_views._Views(scrubber, view).extracted(view, plain_shape)
        monkeypatch.setattr(secret_views, "SHORTCUTS", True)
        assert fast == plain, view


def test_the_shortest_long_form_of_each_kind_is_found_on_its_own():
    for needle in [*SCRUB.hex_needles, *SCRUB.core_needles, *SCRUB.decimal_needles, *SCRUB.spaced_decimals]:
        # Alone, far into a large view, and across the boundary of the blocks a view is scanned in.
        for body in (b'"' + needle + b'"', b"." * 200_000 + needle + b"." * 10,
                     b"." * (2 * secret_views.BLOCK - 5) + needle):
            assert SCRUB.shows_secret(body), needle
            assert SCRUB.scrub(body)[2], needle


def test_a_value_joined_by_escapes_that_decode_to_nothing_is_found():
    # A soft line break or a JS line continuation inside a value vanishes when decoded.
    for joint in ("=\r\n", "=\n", "\\\n", "\\\r\n"):
        for cut in (3, 12, 20):
            assert SCRUB.scrub(SECRET[:cut] + joint + SECRET[cut:])[2], (joint, cut)
            assert SCRUB.scrub("x %20 " + SECRET[:cut] + joint + SECRET[cut:] + " &amp;")[2], (joint, cut)


def test_is_text_counts_in_blocks_as_it_counted_in_one_pass():
    def one_pass(data):
        try:
            data.decode("utf-8")
            return True
        except UnicodeDecodeError:
            return len(data) - len(data.translate(None, SCRUB.text_bytes)) <= len(data) // 8

    rng = random.Random(31)
    for size in (64, 4096, 4097, 100_000):
        for share in (size // 8 - 1, size // 8, size // 8 + 1, size // 2, size - 1):
            for data in (b"a" * share + b"\xff" * (size - share), b"\xff" * (size - share) + b"a" * share,
                         bytes(rng.sample(b"a" * share + b"\xfe" * (size - share), size))):
                assert SCRUB.is_text(data) == one_pass(data), (size, share)
