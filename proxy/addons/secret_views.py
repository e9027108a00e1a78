"""Finds credential values in response data through normalised views, after rewriting exact echoes to names.

The upstream may be a hostile mirror that echoes what it received in any encoding, and the
code in the sandbox will decode whatever it receives. A list of encoded forms of each value
always misses one (a partial percent-encoding, a base64 that starts one byte later), so the
check goes the other way: the data is decoded into views (percent, JSON/JS escapes, HTML
references, quoted-printable, UTF-16/32, Unicode look-alikes, hex, base64; stacked up to
ROUNDS deep), and each view is searched for the value, its hex, its base64 at any alignment
and its decimal byte list. Exact common forms are rewritten to the credential's name first;
whatever a view still shows afterwards is reported, and the caller blocks.

No mitmproxy imports; every pass over a whole body is a C-level bytes or regex operation.
Where a body repeats a few escapes (JSON's "\\/", "%20", "&amp;"), a view is made with one
bytes.replace per distinct escape instead of a regex pass with a Python call per escape, once
a search has shown that there is no other escape; checks for long forms (hex, base64, decimal
lists) are skipped in views without a run of the bytes they read that is long enough. Both
only change how the views are computed (SHORTCUTS; the tests compare with them off).
"""
import binascii
import functools
import html
import json
import re
import unicodedata
import urllib.parse

# Decoders applied on top of each other at most this many times: three stacked encodings of
# a value (a base64 of a JSON-escaped percent-encoding) inside a document that is itself
# encoded (a JSON string), bounded so a hostile body cannot make the work unbounded.
ROUNDS = 4

# Total bytes of all views of one body, as a multiple of its size plus a floor. A body that
# needs more is reported as showing a secret: fail closed rather than stop looking.
VIEW_BUDGET_FACTOR = 40
VIEW_BUDGET_FLOOR = 4 << 20

# A decoder of another scheme than the client's can eat the first or last characters of a
# value ("&#x" before a value starting with hex digits, "%" before "41..."), so views are
# searched for the value without EDGE characters at each end. Seeing that much of a secret is
# a leak in itself. At least MIDDLE_MIN characters are kept so unrelated text never matches.
EDGE = 8
MIDDLE_MIN = 10

# Shortest base64 core that is searched: shorter ones would match unrelated text by chance.
MIN_CORE = 8
# Shortest base64 and hex runs decoded (base64 of 12 bytes, hex of 12 bytes).
MIN_B64_RUN = 16
MIN_HEX_RUN = 24

_ASCII_WS = b" \t\r\n\x0b\x0c"
# Bytes a client can strip from between a value's characters in one line ("s k _ l i v e", one
# per line, comma-separated, a JSON array of its characters): views also compare with them
# removed. '+', '/' and '_' are base64's too: the window decodes base64 runs before it drops them. The streaming window does
# not count them either (response_stream.py), so padding made of them cannot stretch a value.
SPREAD_SEPARATORS = _ASCII_WS + b"\x00:,-;|.\"'_/+"
# Fillers beyond ASCII, in UTF-8: invisible and format characters (zero-width space and joiners,
# word joiner, bidi marks and isolates, BOM, soft hyphen, variation selectors, tag characters,
# the combining grapheme joiner, Hangul fillers) and Unicode spaces and dashes (no-break, en,
# figure, hair, ideographic spaces; hyphens, en and em dashes). A value with them between its
# characters is the value once a client strips them.
UNICODE_FILLERS = re.compile(
    rb"\xc2[\xa0\xad]|\xcd\x8f|\xd8\x9c|\xe1\x85[\x9f\xa0]|\xe1\xa0\x8e"
    rb"|\xe2\x80[\x80-\x95\xa8-\xaf]|\xe2\x81[\x9f-\xa4\xa6-\xaf]|\xe3\x80\x80|\xe3\x85\xa4"
    rb"|\xef\xb8[\x80-\x8f]|\xef\xbb\xbf|\xef\xbe\xa0|\xf3\xa0[\x80\x81][\x80-\xbf]"
)
_LINE_BREAKS = b"\r\n"
_B64_ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_HEX_DIGITS = b"0123456789abcdefABCDEF"
# base64url becomes standard base64, so one set of cores and one decoder cover both, and a
# mix of both alphabets in one string (which lenient decoders accept) too.
_URL_TO_STD = bytes.maketrans(b"-_", b"+/")
_STD_TO_URL = bytes.maketrans(b"+/", b"-_")
_B64_CLASS = bytes(0x61 if c in _B64_ALPHABET else 0x20 for c in range(256))
_HEX_CLASS = bytes(0x61 if c in _HEX_DIGITS else 0x20 for c in range(256))
_FOLD = bytes.maketrans(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ", b"abcdefghijklmnopqrstuvwxyz")
# What hex dumps put between bytes: "de:ad:be:ef", "de ad be ef", "de-ad-be-ef", "de,ad".
_HEX_SEPARATORS = _ASCII_WS + b":-,"

# Escapes of each scheme, each one complete sequence: the scheme's introducer byte, then one of
# its alternatives. Every alternative thus starts with a literal byte, which lets the regex
# engine skip to candidates instead of testing every position.
_INTRODUCER_OF = {"percent": b"%", "js": b"\\", "html": b"&", "quoted-printable": b"="}
_INTRODUCER_RE = {"percent": rb"%", "js": rb"\\", "html": rb"&", "quoted-printable": rb"="}
_SCHEME_ALTERNATIVES = {
    "percent": (
        rb"(?P<pct>[0-9A-Fa-f]{2})",
        rb"[uU](?P<pcthi>[dD][89abAB][0-9A-Fa-f]{2})%[uU](?P<pctlo>[dD][c-fC-F][0-9A-Fa-f]{2})",
        rb"[uU](?P<pctu>[0-9A-Fa-f]{4})",  # JS unescape()
    ),
    # JSON and JS escapes that name a character; a backslash before any other character is
    # _js_identity's business.
    "js": (
        rb"u(?P<hi>[dD][89abAB][0-9A-Fa-f]{2})\\u(?P<lo>[dD][c-fC-F][0-9A-Fa-f]{2})",
        rb"u(?P<u4>[0-9A-Fa-f]{4})",
        rb"u\{0*(?P<ucp>[0-9A-Fa-f]{1,6})\}",
        rb"U(?P<u8>[0-9A-Fa-f]{8})",  # Python, C
        rb"x(?P<x2>[0-9A-Fa-f]{2})",
        rb"(?P<oct>[0-3][0-7]{2}|(?>[0-3][0-7]?|[4-7][0-7]?){open_js})",
        rb"(?P<single>[bfnrtv\"'\\/]|\r\n|[\r\n])",
    ),
    # Leading zeros are unlimited but significant digits are capped, so a reference cannot
    # swallow more than EDGE characters of a value that follows it.
    "html": (
        rb"(?P<ref>#[xX](?>0*[0-9A-Fa-f]{1,6})(?:;|{open_html})"
        rb"|#(?>0*[0-9]{1,7})(?:;|{open_html})"
        rb"|(?>[A-Za-z][A-Za-z0-9]{1,31})(?:;|{open_html}))",
    ),
    "quoted-printable": (rb"(?P<qp>[0-9A-Fa-f]{2})", rb"(?P<soft>\r?\n)"),
}
_SCHEMES = {
    name: b"|".join(_INTRODUCER_RE[name] + alternative for alternative in alternatives)
    for name, alternatives in _SCHEME_ALTERNATIVES.items()
}
# An escape of variable length (an HTML reference without ';', a short JS octal escape) that
# ends right before another scheme's escape may be cut short: "&#x6%62;" is "&#x6b;" once the
# percent layer around it is decoded. The strict pass leaves those for a later round; the
# loose pass decodes them at once, as a client of that scheme alone does ("&#100%" is "d%").
_OPEN_END = {
    True: {b"{open_js}": rb"(?![%&=])", b"{open_html}": rb"(?![%\\=])"},
    False: {b"{open_js}": b"", b"{open_html}": b""},
}


_GROUP_SCHEME = {
    group.decode(): name for name, pattern in _SCHEMES.items() for group in re.findall(rb"\(\?P<(\w+)>", pattern)
}
_INTRODUCERS = {b"%", b"\\", b"&", b"="}
_SYNTAX = frozenset("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ%\\&#;=+/-_{}")


def _scheme_pattern(name, strict):
    pattern = _SCHEMES[name]
    for hole, fill in _OPEN_END[strict].items():
        pattern = pattern.replace(hole, fill)
    return pattern


_JS_IDENTITY = re.compile(rb"\\([^bfnrtvux0-7\"'\\/\r\n])")
_SINGLE = {
    b"b": b"\b", b"f": b"\f", b"n": b"\n", b"r": b"\r", b"t": b"\t", b"v": b"\v",
    b'"': b'"', b"'": b"'", b"\\": b"\\", b"/": b"/",
    # A backslash before a line break is a JS line continuation: the break is dropped.
    b"\n": b"", b"\r": b"", b"\r\n": b"",
}
_BYTE_OF_HEX = {f"{b:02x}".encode(): bytes([b]) for b in range(256)}
# UTF-16 or UTF-32 text carrying ASCII: printable bytes between zero bytes. Starting at a zero
# byte lets the regex engine jump from one zero byte to the next.
_WIDE_TEXT = re.compile(
    rb"\x00(?:[\x20-\x7e]\x00[\x20-\x7e]\x00[\x20-\x7e]|\x00\x00[\x20-\x7e]\x00\x00\x00[\x20-\x7e])"
)


def _code_point(cp):
    return chr(cp).encode("utf-8", "surrogatepass") if cp <= 0x10FFFF else None


def _unescape_one(m):
    kind = m.lastgroup
    text = m.group(kind)
    if kind in ("pct", "x2", "qp"):
        return _BYTE_OF_HEX[text.lower()]
    if kind in ("pctu", "u4"):
        return _code_point(int(text, 16))
    if kind in ("pctlo", "lo"):
        high = int(m.group("pcthi" if kind == "pctlo" else "hi"), 16)
        return _code_point(0x10000 + ((high - 0xD800) << 10) + (int(text, 16) - 0xDC00))
    if kind in ("ucp", "u8"):
        return _code_point(int(text, 16)) or m.group()
    if kind == "oct":
        return bytes([int(text, 8) & 0xFF])
    if kind == "single":
        return _SINGLE[text]
    if kind == "soft":
        return b""
    if text.startswith(b"#"):
        # The code point as written, not HTML5's replacements (U+FFFD for "&#0;"): a custom
        # decoder can take "&#0;" for a zero byte, as in UTF-16 spelled out in references.
        digits = text[1:].rstrip(b";")
        number = int(digits[1:], 16) if digits[:1] in (b"x", b"X") else int(digits)
        return _code_point(number) or m.group()
    # Named references: the standard library knows the HTML5 names, with the legacy ones
    # that need no ';' matched by longest prefix, as a browser does.
    return html.unescape("&" + text.decode("ascii")).encode("utf-8", "surrogatepass")


_UNESCAPERS = {}

# The shortcuts below (the replacement of escapes without a regex pass, the checks skipped for
# views without long runs, the facts one decoder leaves for another) change how the views are
# computed, never what they are. Off, the views are computed the plain way: the tests compare.
SHORTCUTS = True

# Escapes that the fast path below decodes by plain replacement. Each is self-delimiting:
# wherever its text stands, its scheme's pattern matches exactly that text, whatever follows
# (a reference ending in ';', a fixed number of digits). Each holds an introducer only as its
# first byte, so two of them never overlap. Escapes whose extent depends on what follows (a
# reference without ';', a short octal escape, a lone "\\\r", a surrogate half that may start
# a pair) are not among them: they are decoded one by one where they stand.
_SELF_DELIMITING = {
    "percent": re.compile(rb"%(?:[0-9A-Fa-f]{2}|[uU](?![dD][89a-fA-F])[0-9A-Fa-f]{4})"),
    "js": re.compile(
        rb"\\(?:u(?![dD][89a-fA-F])[0-9A-Fa-f]{4}|u\{[0-9A-Fa-f]+\}|U[0-9A-Fa-f]{8}|x[0-9A-Fa-f]{2}"
        rb"|[0-3][0-7]{2}|[bfnrtv\"'/]|\r?\n)"
    ),
    "html": re.compile(rb"&(?:#[0-9]+|#[xX][0-9A-Fa-f]+|[A-Za-z][A-Za-z0-9]*);"),
    "quoted-printable": re.compile(rb"=(?:[0-9A-Fa-f]{2}|\r?\n)"),
}
# At most this many distinct self-delimiting escapes are replaced through bytes.replace (each
# costs a pass over the view), and at most this many other escapes are decoded one by one;
# a view with more takes the regex path. The texts are guessed from the start of the view,
# and at most MAX_NEW_FINDERS more patterns are compiled for those found later.
MAX_REPLACED_ESCAPES = 12
MAX_OTHER_ESCAPES = 64
MAX_NEW_FINDERS = 3
SAMPLE = 1024
# Bytes that stand in for escapes while they are replaced, when outputs could otherwise form
# new escapes; one absent from the view (and from every output) is taken for each escape.
_PLACEHOLDERS = bytes(range(0x01, 0x09)) + bytes(range(0x0E, 0x20)) + b"\x7f"
_SLOW = object()


@functools.lru_cache(maxsize=1024)
def _escape_finder(name, strict, known):
    """A pattern for the escapes of scheme `name` other than the texts in `known`: where it
    finds nothing, every escape of the scheme in the view is one of those texts. It starts with
    the scheme's introducer, so the regex engine only stops at that byte. For JS it also finds
    (as group "identity") a backslash before a character that only _js_identity decodes. In a
    strict pass, a known text that decodes to an introducer is found too where another
    scheme's introducer follows it (the pass may leave it as it is there)."""
    body = b"|".join(_SCHEME_ALTERNATIVES[name])
    for hole, fill in _OPEN_END[strict].items():
        body = body.replace(hole, fill)
    if name == "js":
        body += b"|(?P<identity>" + _JS_IDENTITY.pattern[len(rb"\\("):-1] + b")"
    others = b"[" + b"".join(re.escape(i) for n, i in sorted(_INTRODUCER_OF.items()) if n != name) + b"]"
    rests = [
        re.escape(text[1:])
        + (b"(?!" + others + b")" if strict and _replacement(name, strict, text) in _INTRODUCERS else b"")
        for text in sorted(known)
    ]
    skip = b"(?!" + b"|".join(rests) + b")" if known else b""
    return re.compile(_INTRODUCER_RE[name] + skip + b"(?:" + body + b")")


@functools.lru_cache(maxsize=None)
def _sampler(name, strict):
    """The escapes of scheme `name` as a pattern without groups, whose findall lists their texts."""
    return re.compile(re.sub(rb"\(\?P<\w+>", b"(?:", _scheme_pattern(name, strict)))


@functools.lru_cache(maxsize=None)
def _plain(name, strict):
    return re.compile(_scheme_pattern(name, strict))


@functools.lru_cache(maxsize=4096)
def _replacement(name, strict, text):
    """What escape `text` of scheme `name` decodes to, when it is self-delimiting; else None."""
    if not _SELF_DELIMITING[name].fullmatch(text):
        return None
    whole = _plain(name, strict).match(text)
    return _unescape_one(whole) if whole and whole.end() == len(text) else None


# Large views are replaced in parts of about this size, which stay in the processor's cache
# through the passes of all texts.
BLOCK = 64 << 10


def _in_blocks(replace, texts):
    """`replace` applied to a large part in blocks, cut right before an introducer byte of one
    of `texts`: no occurrence of a text (one introducer, as its first byte) spans such a cut.
    Where none comes within a block, the cut is a block further on, which no occurrence spans
    either when every text is shorter than a block."""
    introducers = {t[:1] for t in texts}
    if max(map(len, texts)) >= BLOCK:
        return replace

    def blockwise(part):
        if len(part) <= 2 * BLOCK:
            return replace(part)
        pieces, start = [], 0
        while len(part) - start > 2 * BLOCK:
            end = start + BLOCK
            cuts = [i for i in (part.find(c, end, end + BLOCK) for c in introducers) if i >= 0]
            cut = min(cuts) if cuts else end + BLOCK
            pieces.append(replace(part[start:cut]))
            start = cut
        pieces.append(replace(part[start:]))
        return b"".join(pieces)
    return blockwise


def _replacer(view, found):
    """A function of a part of `view` replacing every occurrence of each text of `found` (no two
    of which overlap) by its output, as one simultaneous substitution would."""
    texts = list(found)
    # A replacement could only create a new occurrence of another text out of bytes of its
    # own output (or by joining bytes, when the output is empty): without such a byte, the
    # replacements are independent of their order.
    if all(found.values()) and not any(set(found[t]) & set(u) for t in texts for u in texts if t != u):
        def replace(part):
            for text in texts:
                part = part.replace(text, found[text])
            return part
        return _in_blocks(replace, texts)
    # Otherwise each text first becomes a placeholder byte, which no text holds, and the
    # placeholders then become the outputs.
    in_outputs = set(b"".join(found.values()))
    marks = []
    for byte in _PLACEHOLDERS:
        if len(marks) == len(texts):
            break
        if byte not in in_outputs and bytes((byte,)) not in view:
            marks.append(byte)
    if len(marks) < len(texts):
        return None
    single = bytes.maketrans(
        bytes(m for t, m in zip(texts, marks) if len(found[t]) == 1),
        b"".join(found[t] for t in texts if len(found[t]) == 1),
    )
    other = [(bytes((m,)), found[t]) for t, m in zip(texts, marks) if len(found[t]) != 1]

    def replace(part):
        for text, mark in zip(texts, marks):
            part = part.replace(text, bytes((mark,)))
        part = part.translate(single)
        for mark, out in other:
            part = part.replace(mark, out)
        return part
    return _in_blocks(replace, texts)


def _replace_escapes(view, schemes, strict, pattern, shape=None):
    """What a pass of `pattern` (the schemes' escapes) over `view` yields, computed with a
    bytes.replace per distinct escape; None when nothing changes; _SLOW when the shortcut
    does not apply (then the caller makes the pass).

    For each scheme, a search for escapes other than those already found runs over the whole
    view, so at its end every escape in the view is known: either one of the "found" texts,
    self-delimiting (wherever the text stands the pattern matches exactly it, whatever
    follows) and holding an introducer only as its first byte, or one of the "others", whose
    positions are kept. The pass matches at an other escape unless it lies inside the escape
    matched before it; between two escapes it matches, it matches exactly the occurrences of
    the found texts, which do not overlap one another or the escapes around them. So the
    parts between those escapes are replaced text by text, and those escapes one by one."""
    found, others = {}, []
    compiled = _escape_finder.cache_info().misses
    for name in schemes:
        # A guess at the texts, from the start of the view; whatever it misses is found below.
        known = {}
        for text in set(_sampler(name, strict).findall(view, 0, SAMPLE)):
            out = _replacement(name, strict, text)
            if out is not None:
                known[text] = out
        if len(found) + len(known) > MAX_REPLACED_ESCAPES:
            return _SLOW
        found.update(known)
        known = frozenset(known)
        pos, identity = 0, False
        while True:
            finder = _escape_finder(name, strict, known)
            if _escape_finder.cache_info().misses - compiled > MAX_NEW_FINDERS:
                return _SLOW
            m = finder.search(view, pos)
            if m is None:
                break
            if m.lastgroup == "identity":
                identity, pos = True, m.start() + 1
                continue
            text = m.group()
            if text in known:
                # A known text that decodes to an introducer, right before another scheme's
                # introducer: the pass leaves it as it is if an escape starts there.
                following = pattern.match(view, m.end())
                if following and _GROUP_SCHEME[following.lastgroup] != name:
                    return _SLOW
                pos = m.start() + 1
                continue
            out = _replacement(name, strict, text) if len(found) < MAX_REPLACED_ESCAPES else None
            if out is not None:
                found[text] = out
                # Nothing before m.start() is an unknown escape.
                known, pos = known | {text}, m.start()
                continue
            if len(others) == MAX_OTHER_ESCAPES:
                return _SLOW
            others.append(m)
            pos = m.start() + 1
        if name == "js" and shape is not None:
            # Every backslash has been looked at: _js_identity finds something exactly when one
            # stands before a character that only it decodes, or before 'U' ("\\U" can be both).
            shape.facts["js_identity"] = identity or any(
                t.startswith(b"\\U") for t in [*known, *(m.group() for m in others)]
            )
    if not found and not others:
        return None
    replace = _replacer(view, found) if found else (lambda part: part)
    if replace is None:
        return _SLOW
    outputs = set(found.values())
    if not others:
        out = replace(view)
    else:
        parts, pos = [], 0
        for m in sorted(others, key=lambda m: m.start()):
            if m.start() < pos:
                continue  # inside the escape matched before it
            parts.append(replace(view[pos:m.start()]))
            out = _unescape_one(m)
            if strict and out in _INTRODUCERS:
                following = pattern.match(view, m.end())
                if following and _GROUP_SCHEME[following.lastgroup] != _GROUP_SCHEME[m.lastgroup]:
                    out = m.group()
            if out != m.group():
                outputs.add(out)
            parts.append(out)
            pos = m.end()
        parts.append(replace(view[pos:]))
        out = b"".join(parts)
    if out == view:
        return None
    if shape is not None:
        # The new view is the old one with escapes replaced by these outputs (escapes left as
        # they are count as the old view's bytes).
        shape.outputs[id(out)] = (out, outputs)
    return out


def _regex_unescape(pattern, strict, view):
    """One pass of `pattern` over `view`, decoding each escape it matches; None if none."""
    # Bodies repeat the same few escapes ("\n", "%20", "&amp;"): decode each once.
    cache = {}

    def replace(m):
        text = m.group()
        out = cache.get(text)
        if out is None:
            out = cache[text] = _unescape_one(m)
        if strict and out in _INTRODUCERS:
            # A decoded '%', '\\', '&' or '=' right before another scheme's escape belongs
            # to an inner layer: "%5C\\u0025" is "%5C\u0025" to a client that undoes the
            # JSON layer first. It waits until the escape after it has been decoded.
            following = pattern.match(view, m.end())
            if following and _GROUP_SCHEME[following.lastgroup] != _GROUP_SCHEME[m.lastgroup]:
                return text
        return out

    out = pattern.sub(replace, view)
    return None if out == view else out


def unescaper(schemes, strict=True):
    """A decoder for one pass over all escapes of `schemes` at once (a pass never re-reads
    what it produced); it returns None when the view has none."""
    key = (frozenset(schemes), strict)
    if key in _UNESCAPERS:
        return _UNESCAPERS[key]
    pattern = re.compile(b"|".join(_scheme_pattern(name, strict) for name in sorted(key[0])))
    parts = [(_INTRODUCER_OF[name], name) for name in sorted(key[0])]

    def decode(view, shape=None):
        # Every escape starts with its scheme's introducer byte.
        present = [name for introducer, name in parts if introducer in view]
        if not present:
            if shape is not None and "js" in key[0]:
                shape.facts["js_identity"] = False
            return None
        out = _replace_escapes(view, present, strict, pattern, shape) if SHORTCUTS else _SLOW
        return _regex_unescape(pattern, strict, view) if out is _SLOW else out

    decode.__name__ = ("unescape_" if strict else "unescape_loose_") + "_".join(sorted(key[0]))
    # The same pass without the shortcut, for the tests that hold the two to each other.
    decode.by_regex = lambda view: _regex_unescape(pattern, strict, view)
    _UNESCAPERS[key] = decode
    return decode


def _js_identity(view, shape=None):
    # JS (not JSON) reads "\s" as "s": a mirror can escape every character of a value that way.
    if b"\\" not in view or (SHORTCUTS and shape is not None and shape.facts.get("js_identity") is False):
        return None
    if not _JS_IDENTITY.search(view):
        return None
    return _JS_IDENTITY.sub(lambda m: m.group(1), view)


# Every byte that does not start a filler (UNICODE_FILLERS' first bytes are these eight).
_NOT_FILLER_FIRST_BYTES = bytes(c for c in range(256) if c not in b"\xc2\xcd\xd8\xe1\xe2\xe3\xef\xf3")


def _invisible(view, shape=None):
    # Stacks with the unescapers: "\\u200b", "&#8203;" or "%E2%80%8B" between a value's
    # characters become invisible characters in one round and are dropped in the next.
    # A view without any first byte of a filler has none: one translate says so faster than a
    # search of the pattern (text with accents has other first bytes: "é" is C3 A9).
    if view.isascii() or not view.translate(None, _NOT_FILLER_FIRST_BYTES) or not UNICODE_FILLERS.search(view):
        return None
    out = UNICODE_FILLERS.sub(b"", view)
    return None if out == view else out


def _wide(view, shape=None):
    # Dropping zero bytes turns UTF-16LE/BE and UTF-32 ASCII text, at any alignment, into ASCII.
    if b"\x00" not in view or not _WIDE_TEXT.search(view):
        return None
    return view.replace(b"\x00", b"")


@functools.lru_cache(maxsize=1)
def _ascii_look_alikes():
    """Every character that NFKC folds to printable ASCII ("ｓ" fullwidth, "𝐬" bold, "㎏")."""
    table = {}
    for cp in range(0x80, 0x110000):
        char = chr(cp)
        folded = unicodedata.normalize("NFKC", char)
        if folded != char and folded.isascii() and folded.isprintable() and folded.strip():
            table[char.encode("utf-8", "surrogatepass")] = folded.encode()
    return table


@functools.lru_cache(maxsize=64)
def look_alike_folder(chars):
    """A decoder folding look-alikes of the characters in `chars` back to ASCII, or None.

    A client undoes look-alikes with one normalize("NFKC") call. Only look-alikes of the given
    characters are folded: full NFKC of every view would rebuild all non-ASCII text (CJK
    punctuation is fullwidth) at a cost of a third of a second per 10 MiB."""
    table = {seq: out for seq, out in _ascii_look_alikes().items() if set(out.decode()) <= chars}
    if not table:
        return None
    by_prefix = {}
    for seq in table:
        by_prefix.setdefault(seq[:-1], set()).add(seq[-1])
    pattern = re.compile(b"|".join(
        re.escape(prefix) + b"[" + b"".join(b"\\x%02x" % last for last in sorted(lasts)) + b"]"
        for prefix, lasts in sorted(by_prefix.items())
    ))

    # The first bytes of the look-alikes: a view without any of them has none, which one
    # translate and one find tell faster than a search of the pattern (some non-ASCII text,
    # "café", has no look-alikes at all).
    first = {seq[0] for seq in table}
    leads = bytes(0x4C if c in first else 0x20 for c in range(256))

    def fold(view, shape=None):
        if view.isascii():
            return None
        if shape is not None and shape.leads is False:
            return None
        if b"L" not in view.translate(leads) or not pattern.search(view):
            return None
        return pattern.sub(lambda m: table[m.group()], view)

    fold.leads = leads
    return fold


def _plus_as_space(view, shape=None):
    # '+' means a space only in form encoding, and only a value holding a space can need it.
    if b"+" not in view:
        return None
    spaced = view.replace(b"+", b" ")
    return unescaper({"percent"}, False)(spaced) or spaced


def _long_runs(source, classes, length):
    """Maximal runs of `source` whose bytes are class 'a' in `classes`, at least `length` long.
    A search for a literal needle skips ahead at C speed where a regex tests every byte."""
    marks = source.translate(classes)
    needle = b"a" * length
    runs, find, pos = [], marks.find, 0
    while True:
        # The first hit after the previous run's end is where the next long run starts.
        pos = find(needle, pos)
        if pos < 0:
            return runs
        end = find(b" ", pos + length)
        if end < 0:
            end = len(marks)
        runs.append(source[pos:end])
        pos = end


def _whole_groups(run, offset, width, fill):
    """`run` from `offset` on, cut or filled to whole groups of `width` characters. A last
    group that still holds a byte is filled, not cut: the end of a value can be in it."""
    rest = (len(run) - offset) % width
    if not rest:
        return run[offset:]
    if fill and rest > 1:
        return run[offset:] + fill * (width - rest)
    return run[offset:len(run) - rest]


def _decode_runs(runs, width, decode, fill=b""):
    """Each run decoded from each of its `width` possible starting characters, so a run whose
    start is shifted (glued to a word, or a prefix added by the mirror) still decodes."""
    blobs = []
    for offset in range(width):
        joined = b"".join(_whole_groups(r, offset, width, fill) for r in runs)
        if joined:
            blobs.append(decode(joined))
    return b"\n".join(blobs)


def _class(members):
    return bytes(0x61 if c in members else 0x20 for c in range(256))


# The bytes each check for a long form reads, before it drops some and maps others one to one:
# the hex view and hex runs (digits, separators, "0x"), base64 runs (line breaks and their JSON
# escapes dropped), the packed view (base64 cores and decimal lists, whitespace dropped) and
# spaced decimal lists. Whatever such a check finds comes from a stretch of the view made of
# these bytes only, at least as long as what it found.
_HEXISH = frozenset(_HEX_DIGITS + _HEX_SEPARATORS + b"xX")
_B64ISH = frozenset(_B64_ALPHABET + b"-_" + _LINE_BREAKS + b"\\")
_PACKEDISH = frozenset(_B64_ALPHABET + b"-_" + _ASCII_WS + b",")
_SPACEDISH = frozenset(b"0123456789 ")
_RUN_CLASSES = {
    "hex": _class(_HEXISH),
    "b64": _class(_B64ISH),
    "any": _class(_HEXISH | _B64ISH | _PACKEDISH | _SPACEDISH),
}


class _Shape:
    """Cheap facts about one view, each computed once when first asked: whether it holds a
    value as is, whether it has a run of the bytes a check reads (above) as long as the
    shortest thing that check looks for, and whether it has a first byte of a look-alike.
    Without such a run the check cannot find anything, so it is skipped: a JSON body whose
    strings are short has none, and costs two finds and a translate instead of a dozen passes.
    Decoders leave facts here too: `facts` about this view, and `outputs`, by the id of a view
    they derived from this one, that view and the outputs of the escapes replaced to make it."""

    __slots__ = ("s", "view", "_holds", "_spread_removed", "_spread_hit", "_runs", "_leads", "facts", "outputs")

    def __init__(self, scrubber, view):
        self.s = scrubber
        self.view = view
        self._holds = None
        self._spread_removed = None
        self._spread_hit = None
        self._runs = {}
        self._leads = None
        self.facts = {}
        self.outputs = {}

    @property
    def holds(self):
        if self._holds is None:
            # Deleting bytes keeps a substring whole: a view that holds a middle has that middle
            # without separators in its spread view. Where every needle has such a spread form
            # and none is there, the view holds none, and the spread check (which shows() makes
            # anyway) has spared the searches for the needles themselves.
            if SHORTCUTS and self.s.spread_covers_needles and not self.spread_hit:
                self._holds = False
            else:
                self._holds = self.s.holds(self.view)
        return self._holds

    def _spread_check(self):
        # The spread view itself is not kept: a shape lives as long as its view, and a copy of
        # each view would double what a round of views holds.
        spread = self.view.translate(None, SPREAD_SEPARATORS)
        self._spread_removed = len(spread) < len(self.view)
        self._spread_hit = any(n in spread for n in self.s.spread_needles)

    @property
    def spread_removed(self):
        """Whether the view has any SPREAD_SEPARATORS byte."""
        if self._spread_removed is None:
            self._spread_check()
        return self._spread_removed

    @property
    def spread_hit(self):
        """Whether the spread view holds a spread needle (whether or not the view had separators)."""
        if self._spread_hit is None:
            self._spread_check()
        return self._spread_hit

    def runs(self, kind):
        if not SHORTCUTS:
            return True
        found = self._runs.get(kind)
        if found is None:
            if kind != "any" and not self.runs("any"):
                # Each class is part of "any", with a run length at least as long.
                found = False
            else:
                found = self._scan(*self.s.run_checks[kind], kind == "any")
            self._runs[kind] = found
        return found

    def _scan(self, table, needle, leads):
        """Whether the view translated by `table` holds `needle`, in blocks that overlap by
        one byte less than it; with `leads`, also whether any block holds 'L'."""
        view, found, step = self.view, False, max(2 * BLOCK, 4 * len(needle))
        for start in range(0, max(len(view), 1), step):
            marks = (view if len(view) <= step else view[start:start + step + len(needle) - 1]).translate(table)
            found = found or needle in marks
            if leads and not self._leads:
                # The "any" class also marks the first bytes of look-alikes as 'L'.
                self._leads = b"L" in marks
            if found and (self._leads or not leads):
                break
        if leads and self._leads is None:
            self._leads = False
        return found

    @property
    def leads(self):
        """Whether the view has a first byte of a look-alike; None when not known yet."""
        return self._leads if SHORTCUTS else None

    def may_hold(self, witness):
        """False when the view cannot hold a form whose witness (SecretScrubber._witness) this is."""
        if witness == "needle":
            return self.holds
        if witness == "zero":
            return b"\x00" in self.view
        return self.runs(witness)


class _Views:
    """The views of one piece of data, each computed only when its trigger is present."""

    def __init__(self, scrubber, data):
        self.s = scrubber
        self.budget = VIEW_BUDGET_FACTOR * len(data) + VIEW_BUDGET_FLOOR
        # Views seen, by length: comparing a new view with the few of its length costs less
        # than hashing every view of a large body.
        self.seen = {len(data): [data]}
        self.seen_b64 = set()
        self.seen_hex = set()

    def is_new(self, view):
        same_length = self.seen.setdefault(len(view), [])
        if view in same_length:
            return False
        same_length.append(view)
        return True

    def extracted(self, view, shape):
        """The base64 and hex runs of `view`, decoded at every alignment."""
        out = []
        if shape.runs("b64"):
            # Line breaks (MIME, PEM) are dropped, and so are their JSON escapes, which saves a
            # round for the commonest wrapping of all; other whitespace still splits runs, so
            # prose does not become one long run. Spaced-out base64 of a value is caught by the
            # cores.
            source = view.translate(_URL_TO_STD, _LINE_BREAKS)
            if b"\\" in source:
                source = source.replace(b"\\r", b"").replace(b"\\n", b"")
            # A run of hex digits only (a digest, an id) is decoded as hex below. The base64 of
            # a value, or of a standard encoding of one, is never hex digits only, and decoding
            # such runs as base64 too would only add noise to every later round.
            runs = self._new(_long_runs(source, _B64_CLASS, self.s.min_b64_run), self.seen_b64)
            runs = [r for r in runs if r.strip(_HEX_DIGITS)]
            if runs:
                out.append(_decode_runs(runs, 4, binascii.a2b_base64, fill=b"A"))
        if shape.runs("hex"):
            # Hex dumps put separators between bytes; without them a dump is one run.
            runs = _long_runs(view.translate(None, _HEX_SEPARATORS), _HEX_CLASS, self.s.min_hex_run)
            runs = self._new(runs, self.seen_hex)
            if runs:
                out.append(_decode_runs(runs, 2, binascii.unhexlify))
        return out

    @staticmethod
    def _new(runs, seen):
        """The runs not decoded yet: a later view mostly repeats the runs of the one before."""
        fresh = [r for r in runs if r not in seen]
        seen.update(fresh)
        return fresh

    def leaks(self, data, shape=None):
        s = self.s
        shape = shape or _Shape(s, data)
        if s.shows(data, shape):
            return True
        # In binary data only the text can carry an encoding of a value; decoding the rest
        # would only multiply noise through every round.
        if s.is_text(data):
            frontier = [(data, shape)]
        else:
            runs = s.text_runs(data)
            frontier = [(runs, _Shape(s, runs))]
        for _ in range(ROUNDS):
            following = []
            for view, shape in frontier:
                derived = [decode(view, shape) for decode in s.decoders]
                for blob in self.extracted(view, shape):
                    # Three of the four base64 alignments decode to noise: the value itself is
                    # looked for in all of it, and only the text goes on to the next round.
                    if s.holds(blob):
                        return True
                    derived.append(s.text_runs(blob))
                for out in derived:
                    if not out or not self.is_new(out):
                        continue
                    self.budget -= len(out)
                    out_shape = _Shape(s, out)
                    made, outputs = shape.outputs.get(id(out), (None, None))
                    if SHORTCUTS and made is out and shape._holds is False and s.outputs_keep_out(outputs):
                        # A value in the new view would be made of the old view's bytes only,
                        # which were next to each other there too.
                        out_shape._holds = False
                    if self.budget < 0 or s.shows(out, out_shape):
                        return True
                    following.append((out, out_shape))
            frontier = following
        return False


def _base64_cores(raw):
    """Standard-alphabet base64 characters that depend only on `raw`, at each of the three
    byte alignments it can have inside a longer base64 text."""
    cores = set()
    for align in range(3):
        text = binascii.b2a_base64(b"\0" * align + raw + b"\0\0\0", newline=False)
        core = text[-(-8 * align // 6):(8 * (align + len(raw))) // 6]
        if len(core) >= MIN_CORE:
            cores.add(core)
    return cores


def _b64(raw, padded=False):
    text = binascii.b2a_base64(raw, newline=False)
    return text if padded else text.rstrip(b"=")


def _wide_forms(text):
    return [text.encode(c) for c in ("utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be")]


def _middle(value):
    trim = min(EDGE, max(0, (len(value) - MIDDLE_MIN) // 2))
    return value[trim:len(value) - trim]


def exact_forms(value, name):
    """(secret form, replacement) byte pairs for a value and its common exact encodings. Each
    is rewritten in place, so a well-behaved echo still reaches the client, as the name."""
    v, n = value.encode(), name.encode()
    forms = [(v, n)]
    quoted = urllib.parse.quote(value, safe="")
    json_text = json.dumps(value)[1:-1]
    json_utf8 = json.dumps(value, ensure_ascii=False)[1:-1]
    for text in (
        quoted,
        re.sub(r"%[0-9A-F]{2}", lambda m: m.group().lower(), quoted),
        urllib.parse.quote_plus(value),
        urllib.parse.quote(value),  # path style: '/' kept
        urllib.parse.quote(value, safe="-_.!~*'()"),  # JS encodeURIComponent
        json_text,
        json_text.replace("/", "\\/"),
        json_utf8,
        json_utf8.replace("/", "\\/"),
        html.escape(value),
        html.escape(value, quote=False),
    ):
        forms.append((text.encode(), n))
    for padded in (True, False):
        real, named = _b64(v, padded), _b64(n, padded)
        forms.append((real, named))
        forms.append((real.translate(_STD_TO_URL), named.translate(_STD_TO_URL)))
    forms.append((v.hex().encode(), n.hex().encode()))
    forms.append((v.hex().upper().encode(), n.hex().upper().encode()))
    forms += list(zip(_wide_forms(value), _wide_forms(name)))
    return forms


def _decoders(values, middles):
    """The decoders every view goes through, for these values."""
    everything = set(_SCHEMES)
    decoders = [unescaper(everything)]
    if any(set(v) & set("%\\&=") for v in values):
        # The value's own '%', '\\', '&' or '=' can be what ends a variable-length escape
        # before it, which only the loose pass decodes.
        decoders.append(unescaper(everything, strict=False))
    # A value that itself holds an escape of some scheme ("=41", "%2F", "&amp;") is eaten by
    # the one-pass decoder of all schemes; it also gets a decoder without those schemes, as a
    # client using only the others would read it.
    for value in values:
        eating = {name for name in _SCHEMES if unescaper({name}, False)(value.encode()) is not None}
        rest = everything - eating
        if eating and rest and unescaper(rest, False) not in decoders:
            decoders.append(unescaper(rest, False))
    decoders += [_js_identity, _wide, _invisible]
    # Look-alikes of the escape and base64 syntax are folded too ("％７３" is "%73"), but not
    # CJK punctuation ("，" is everywhere in Chinese text), unless a value holds it.
    decoders.append(look_alike_folder(frozenset("".join(middles)) | _SYNTAX))
    if any(" " in v for v in values):
        decoders.append(_plus_as_space)
    return decoders


class SecretScrubber:
    """Rewrites exact echoes of credential values to their names, then reports whether any
    normalised view of what is left still shows a value (the caller then blocks)."""

    def __init__(self, credentials, echoes=()):
        values = sorted({c.value for c in credentials if c.value})
        pairs = set()
        for cred in credentials:
            if cred.value:
                pairs.update(exact_forms(cred.value, cred.name))
        pairs.update((real.encode(), name_form.encode()) for real, name_form in echoes if real)
        # Longest first, so a form that contains another is rewritten whole.
        self.pairs = sorted((p for p in pairs if p[0] != p[1]), key=lambda p: (-len(p[0]), p))
        # Bytes of the longest exact form, as egress_policy.Scrubber has it: a caller scanning
        # a stream in windows sizes them from it. Views can be longer than any exact form.
        self.longest = len(self.pairs[0][0]) if self.pairs else 0

        middles = [_middle(v) for v in values]
        raw_middles = [m.encode() for m in middles]
        self.needles = list(raw_middles)
        for middle in middles:
            if not middle.isascii():
                # Dropping zero bytes restores only ASCII; other text needs its wide forms.
                self.needles += _wide_forms(middle)
        self.hex_needles = [m.hex().encode() for m in raw_middles]
        self.core_needles = set().union(*(_base64_cores(m) for m in raw_middles))
        self.decimal_needles = [b",".join(str(b).encode() for b in m) for m in raw_middles]
        self.spaced_decimals = [n.replace(b",", b" ") for n in self.decimal_needles]
        # Each middle with the separators removed, as the spread view shows it; one that loses
        # too much to them would match by chance and is left to the other checks.
        self.spread_needles = [n for n in (m.translate(None, SPREAD_SEPARATORS) for m in raw_middles) if len(n) >= MIN_CORE]
        # Whether each needle has its spread form among spread_needles (_Shape.holds).
        self.spread_covers_needles = bool(self.needles) and len(self.needles) == len(self.spread_needles)

        shortest = min((len(m) for m in raw_middles), default=MIDDLE_MIN)
        # Runs shorter than these floors are left alone even for short values: every word of
        # prose is a short base64 run, and decoding them all costs more than it finds.
        self.min_b64_run = max(MIN_B64_RUN, (4 * shortest) // 3)
        self.min_hex_run = max(MIN_HEX_RUN, 2 * shortest)
        # Text is printable ASCII, tab, line breaks and the zero bytes of UTF-16/32; other
        # bytes count as text only when some value needs them.
        text = set(range(0x20, 0x7F)) | set(b"\t\r\n\x00")
        if not all(v.isascii() for v in values):
            text |= set(range(0x80, 0x100))
        self.text_bytes = bytes(sorted(text))
        self.text_class = bytes(0x61 if c in text else 0x20 for c in range(256))
        self.min_text_run = max(4, min(shortest, MIN_CORE))
        self.decoders = _decoders(values, middles)
        # For each check of a long form: the class of the bytes it reads and a run of them as
        # long as the shortest thing it looks for (_Shape).
        lengths = {"hex": min([self.min_hex_run, *map(len, self.hex_needles)]), "b64": self.min_b64_run}
        lengths["any"] = min([
            *lengths.values(), *map(len, [*self.core_needles, *self.decimal_needles, *self.spaced_decimals]),
        ])
        self.run_checks = {kind: (_RUN_CLASSES[kind], b"a" * n) for kind, n in lengths.items()}
        # The "any" class also marks the first bytes of look-alikes ('L'), for the folder.
        leads = next((d.leads for d in self.decoders if hasattr(d, "leads")), None)
        if leads is not None:
            any_class = bytes(a if a == 0x61 else l for a, l in zip(_RUN_CLASSES["any"], leads))
            self.run_checks["any"] = (any_class, self.run_checks["any"][1])
        self.needle_bytes = set(b"".join(self.needles))
        # Each exact form with the cheapest fact a body holding it must have, when there is one:
        # a body without it is not searched for that form.
        self._pairs = [(real, named, self._witness(real)) for real, named in self.pairs]

    def _witness(self, form):
        if not self.needles:
            return None
        if any(n in form for n in self.needles):
            return "needle"
        for kind in ("b64", "hex"):
            table, needle = self.run_checks[kind]
            if needle in form.translate(table):
                return kind
        if b"\x00" in form:
            return "zero"
        return None

    def shows(self, view, shape=None):
        """True when bytes `view` hold a value (its middle) directly, as hex, as base64 at any
        alignment or as a decimal byte list."""
        if not self.needles:
            return False
        shape = shape or _Shape(self, view)
        if shape.holds:
            return True
        if self.spread_needles and shape.spread_removed and shape.spread_hit:
            return True
        if not shape.runs("any"):
            return False
        if shape.runs("hex"):
            hexed = view.translate(_FOLD, _HEX_SEPARATORS)
            if b"0x" in hexed:
                # Source-code byte arrays ("0x73, 0x6b") are hex too, one prefix per byte.
                hexed = hexed.replace(b"0x", b"")
            if any(n in hexed for n in self.hex_needles):
                return True
        # Where "any" has runs, the packed view mostly has some too: no separate check for it.
        packed = view.translate(_URL_TO_STD, _ASCII_WS)
        if any(n in packed for n in self.core_needles):
            return True
        # A Node Buffer serialised as JSON echoes bytes as a decimal list: "[115, 107]".
        return any(n in packed for n in self.decimal_needles) or any(n in view for n in self.spaced_decimals)

    def holds(self, view):
        """True when `view` holds a value (its middle) as is, in UTF-8 or a wide form."""
        return any(n in view for n in self.needles)

    def is_text(self, data):
        """Valid UTF-8, or at most one byte in eight outside the text bytes."""
        if data.isascii():
            return True
        try:
            data.decode("utf-8")
            return True
        except UnicodeDecodeError:
            pass
        # Counted in growing blocks, stopping once the count is over. NB: what is counted is
        # the bytes that ARE text bytes (as the one-pass count before did), the opposite of the
        # rule above: kept as it was, and flagged, since a changed rule changes the views.
        allowed, counted, start, size = len(data) // 8, 0, 0, 4096
        while start < len(data):
            block = data[start:start + size]
            counted += len(block) - len(block.translate(None, self.text_bytes))
            if counted > allowed:
                return False
            start, size = start + size, 2 * size
        return True

    def content_length(self, text):
        """At most how many bytes of `text` a view keeps: every decoder applied (each only
        shortens), separators and invisible characters removed, and each base64 or hex run
        replaced by what it decodes to (at its shortest alignment), ROUNDS times. Padding made of
        anything a view takes away (spaces, "%20", "\\u0020", "&#32;", "%2520", "\\u200b",
        spaces inside a base64 or hex encoding...) counts for nothing, so it cannot stretch a
        value past a window measured in this."""
        for _ in range(ROUNDS):
            before = text
            for decode in self.decoders:
                text = decode(text) or text
            text = self._runs_decoded(text)
            if text == before:
                break
        # Separators only at the end: taken out earlier, they would join words into long runs
        # that decode to noise (and a base64 character can be one: '-' in base64url).
        return len(UNICODE_FILLERS.sub(b"", text.translate(None, SPREAD_SEPARATORS)))

    def _runs_decoded(self, text):
        """`text` with each base64 or hex run (line breaks removed, as MIME wraps base64) replaced
        by its shortest decoding, separators left out of the comparison."""
        source = text.translate(_URL_TO_STD, _LINE_BREAKS)
        for run in set(_long_runs(source, _B64_CLASS, self.min_b64_run)):
            decodings = [_decode_runs([run], 4, binascii.a2b_base64, fill=b"A")]
            if not run.strip(_HEX_DIGITS) and len(run) >= self.min_hex_run:
                decodings.append(_decode_runs([run], 2, binascii.unhexlify))
            shortest = min(
                (piece.translate(None, SPREAD_SEPARATORS) for d in decodings for piece in d.split(b"\n")),
                key=len,
            )
            source = source.replace(run, shortest)
        return source

    def outputs_keep_out(self, outputs):
        """Whether escapes decoded to `outputs` cannot put a value into a view that did not
        hold one: none is empty (which would join the bytes around it) and none holds a byte of
        a value's middle, so a middle in the new view is made of bytes that were next to each
        other in the old one."""
        return all(out and not (self.needle_bytes & set(out)) for out in outputs)

    def text_runs(self, data):
        """The runs of text in `data` long enough to hold a value's middle, one per line."""
        return b"\n".join(_long_runs(data, self.text_class, self.min_text_run))

    def rewrite(self, data):
        """Bytes `data` with every exact form replaced by its name form, and the count."""
        data, count, _ = self._rewrite(data)
        return data, count

    def _rewrite(self, data):
        count, shape = 0, _Shape(self, data)
        for secret, name, witness in self._pairs:
            if SHORTCUTS and witness is not None and not shape.may_hold(witness):
                continue
            if secret in data:
                count += data.count(secret)
                data = data.replace(secret, name)
                shape = _Shape(self, data)
        return data, count, shape

    def shows_secret(self, data):
        """True when any view of `data` (str or bytes) shows a value, without rewriting: for
        what is blocked rather than rewritten (header names, the reason phrase)."""
        raw = data.encode("utf-8", "surrogateescape") if isinstance(data, str) else bytes(data)
        return _Views(self, raw).leaks(raw)

    def scrub(self, data):
        """Returns (data, replacements, leaked) for a str or bytes: exact forms rewritten to
        names; leaked is True when any view of the result still shows a value."""
        is_str = isinstance(data, str)
        raw = data.encode("utf-8", "surrogateescape") if is_str else bytes(data)
        raw, count, shape = self._rewrite(raw)
        leaked = _Views(self, raw).leaks(raw, shape)
        return (raw.decode("utf-8", "surrogateescape") if is_str else raw), count, leaked
