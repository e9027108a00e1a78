"""Every HTTP method an upstream might act on for one request: the request line's and any override.

Frameworks let a request name another method than its request line: Rack/Rails and Slim read a
body field, Laravel/Symfony a body or query field or a header, Express's method-override,
ASP.NET Core, Jersey and Spring whatever they are configured with, OData/SharePoint X-HTTP-Method.
Some honour it only on POST, some on any method. A restriction or a method-scoped credential
judged on the request line alone is bypassed by any of them, so the policy judges the union of
every method any of them could read.

A body that claims a type we read (form, multipart, JSON) but cannot be read exactly yields
UNKNOWN in the set: the caller must then refuse wherever the method matters.
"""
import functools
import json
import re

# Not an HTTP token (angle brackets are not tchars), so it can never equal a configured method.
UNKNOWN = "<unknown>"

OVERRIDE_HEADERS = frozenset({"x-http-method-override", "x-http-method", "x-method-override"})
OVERRIDE_PARAM = "_method"

# IANA's HTTP Method Registry plus the extra names Node's parser and Varnish/nginx accept.
KNOWN_METHODS = frozenset({
    "ACL", "BASELINE-CONTROL", "BIND", "CHECKIN", "CHECKOUT", "CONNECT", "COPY", "DELETE", "GET",
    "HEAD", "LABEL", "LINK", "LOCK", "M-SEARCH", "MERGE", "MKACTIVITY", "MKCALENDAR", "MKCOL",
    "MKREDIRECTREF", "MKWORKSPACE", "MOVE", "NOTIFY", "OPTIONS", "ORDERPATCH", "PATCH", "POST",
    "PRI", "PROPFIND", "PROPPATCH", "PURGE", "PUT", "QUERY", "REBIND", "REPORT", "SEARCH", "SOURCE",
    "SUBSCRIBE", "TRACE", "UNBIND", "UNCHECKOUT", "UNLINK", "UNLOCK", "UNSUBSCRIBE", "UPDATE",
    "UPDATEREDIRECTREF", "VERSION-CONTROL",
})

# Charsets in which the bytes of "_method=DELETE" read the same as in ASCII. UTF-7, UTF-16 and
# the like can spell those characters differently, so a body declared in them cannot be checked.
ASCII_COMPATIBLE = frozenset(
    {"utf-8", "utf8", "us-ascii", "ascii", "latin1", "iso-8859-1", "windows-1252", "cp1252"}
    | {f"iso-8859-{n}" for n in range(2, 17)}
    | {f"windows-{n}" for n in range(1250, 1259)}
)
JSON_CHARSETS = ASCII_COMPATIBLE | {"utf-16", "utf-16le", "utf-16be", "utf-32", "utf-32le", "utf-32be"}

# Every registered method is letters and hyphens; anything else under an override name is either
# an encoding trick (%u0044ELETE, DEL%45TE) or something we cannot predict a server's reading of.
_METHOD_SHAPE = re.compile(r"[A-Za-z]+(?:-[A-Za-z]+)*")
_ESCAPE = re.compile(r"%(?:([0-9A-Fa-f]{2})|[uU]([0-9A-Fa-f]{4}))")
_PARAM = re.compile(r'([^=;\s]+)\s*=\s*("(?:[^"\\]|\\.)*"?|[^;]*)')
_DISPOSITION_NAME = re.compile(r'(?i)name(\*?)\s*=\s*("(?:[^"\\]|\\.)*"?|[^;\s]*)')
_IDENTITY_TRANSFER = frozenset({"", "7bit", "8bit", "binary"})
# "method" with any letter literal or escaped (%6D, %256D, %u006D, any case): a name that does
# not contain this cannot be read as an override, so it is skipped without decoding, which keeps
# a large form from stalling the proxy.
_SPELLS_METHOD = re.compile(
    "".join(f"(?:{c}|%(?:25)*(?:u00)?(?:{ord(c.upper()):02x}|{ord(c):02x}))" for c in "method"),
    re.IGNORECASE,
)


def effective_methods(method, headers, query, content_type, body):
    """The set of upper-case methods the upstream might act on; it holds UNKNOWN when a body
    that could carry an override cannot be read. `body` must already be free of its
    Content-Encoding; `headers` and `query` are (name, value) lists, repeats kept."""
    methods = {method.strip().upper()}
    for name, value in headers:
        methods |= _header_methods(name, value)
    for name, value in _query_pairs(query):
        methods |= _param_methods(name, value)
    methods |= _body_methods(headers, content_type, body)
    return methods


def restricted_hit(api_restricted, methods):
    """The restricted method this request may perform, UNKNOWN when it cannot be told, else None."""
    hits = sorted(m for m in methods if m in api_restricted)
    if hits:
        return hits[0]
    if api_restricted and UNKNOWN in methods:
        return UNKNOWN
    return None


def methods_in_scope(cred_methods, methods):
    """True when a credential scoped to `cred_methods` (None: any) may be used for every method
    the upstream might act on."""
    if cred_methods is None:
        return True
    # An empty set would make all() vacuously true; a request always has a method.
    return bool(methods) and UNKNOWN not in methods and all(m in cred_methods for m in methods)


# --- where overrides hide -------------------------------------------------------------------


def _header_methods(name, value):
    # CGI-style servers (PHP, WSGI) file X_HTTP_Method_Override under the same key as the
    # hyphenated name, so underscores must not dodge the check.
    key = name.strip().lower().replace("_", "-")
    if key in OVERRIDE_HEADERS:
        return _claimed(value)
    # An app may honour any header it likes; one whose name says "method" and whose value is a
    # method is treated as an override, other values ("X-Payment-Method: card") are not.
    if "method" in key:
        return _suspected(value)
    return set()


def _param_methods(name, value):
    keys = _name_keys(name)
    if OVERRIDE_PARAM in keys:
        if value is None:
            return set()
        # Arrays, numbers or objects under _method are read differently by every framework.
        return _claimed(value) if isinstance(value, str) else {UNKNOWN}
    # Override middleware is often configured with "method" or another *method* name.
    if any("method" in key for key in keys) and isinstance(value, str):
        return _suspected(value)
    return set()


def _claimed(value):
    """A value that some framework does read as a method: every comma-separated part counts,
    since servers disagree on whether the first or last of a list wins."""
    found = set()
    for part in value.split(","):
        part = part.strip()
        if not part:
            continue
        found.add(part.upper())
        if not _METHOD_SHAPE.fullmatch(part):
            found.add(UNKNOWN)
    return found


def _suspected(value):
    return {p.strip().upper() for p in value.split(",")} & KNOWN_METHODS


@functools.lru_cache(maxsize=4096)
def _name_keys(name):
    """The names a parameter may be read under. PHP truncates names at NUL, drops leading
    spaces, turns ' ', '.' and a lone '[' into '_' and reads '_method[]' as '_method'; a
    server that decodes twice, or understands IIS's %uXXXX, reads an escaped name."""
    keys = set()
    for variant in {name, _unescape(name), _unescape(_unescape(name))}:
        base = variant.split("\0", 1)[0].lstrip().lower()
        for candidate in (base, base.split("[", 1)[0]):
            keys.add(candidate)
            keys.add(candidate.translate(_PHP_NAME))
    return frozenset(keys)


_PHP_NAME = str.maketrans({" ": "_", ".": "_", "[": "_"})


def _unescape(text):
    """Percent-decoding that also reads %uXXXX, each byte as Latin-1 so nothing fails: the
    override names and method values are ASCII, and anything else fails _METHOD_SHAPE."""
    def one(match):
        return chr(int(match.group(1) or match.group(2), 16))

    return _ESCAPE.sub(one, text)


def _query_pairs(query):
    for name, value in query:
        yield name, value
        # Rack 2, Perl's CGI and older Java containers also split a query on ';'.
        if ";" in name or ";" in value:
            yield from _split_pairs(f"{name}={value}", "[^;]+")


def _split_pairs(text, piece_pattern):
    for piece in re.finditer(piece_pattern, text):
        name, sep, value = piece.group(0).partition("=")
        if sep:
            yield name, value


# --- bodies ---------------------------------------------------------------------------------


def _body_methods(headers, content_type, body):
    if not body:
        return set()
    # Two Content-Type headers: the upstream may pick either, so no single reading is safe.
    if sum(1 for name, _ in headers if name.strip().lower() == "content-type") > 1:
        return {UNKNOWN}
    try:
        return _read_body(content_type or "", body)
    except Exception:  # noqa: BLE001
        # An exception escaping a mitmproxy hook lets the flow through unchecked; an
        # unreadable body must refuse instead.
        return {UNKNOWN}


def _read_body(content_type, body):
    media, params = _media_type(content_type)
    methods = set()
    # Laravel treats any Content-Type containing "/json" or "+json" as JSON; Rails also takes
    # text/x-json. Several readers may apply at once, and all of them are asked.
    is_json = "json" in media or "/json" in content_type.lower() or "+json" in content_type.lower()
    if is_json:
        methods |= _json_methods(body, params)
    if media.startswith("multipart/"):
        methods |= _multipart_methods(body, params)
    if not is_json and not media.startswith("multipart/"):
        # Rack parses a POST without Content-Type as a form, and body parsers can be configured
        # for any type; a form reading of any other body only ever adds candidates.
        methods |= _form_methods(body, params)
    return methods


def _media_type(content_type):
    media, _, rest = content_type.partition(";")
    params = {}
    for match in _PARAM.finditer(rest):
        params.setdefault(match.group(1).lower(), []).append(_unquote_param(match.group(2).strip()))
    return media.strip().lower(), params


def _unquote_param(value):
    if value.startswith('"'):
        return re.sub(r"\\(.)", r"\1", value[1:-1] if value.endswith('"') and len(value) > 1 else value[1:])
    return value


def _charset_ok(params, allowed):
    charsets = params.get("charset", [])
    if not charsets:
        return True
    return len(charsets) == 1 and charsets[0].strip().lower() in allowed


def _form_methods(body, params):
    if not _charset_ok(params, ASCII_COMPATIBLE):
        return {UNKNOWN}
    text = body.decode("latin-1")
    if not _SPELLS_METHOD.search(text):
        return set()
    pairs = set()
    # Read as '&'-separated (WHATWG, PHP, Express) and as '&'/';'-separated (Rack 2, CGI.pm);
    # a UTF-8 byte-order mark is dropped by some decoders and would otherwise hide the first name.
    for source in {text, text.removeprefix("\xef\xbb\xbf")}:
        for pattern in ("[^&]+", "[^&;]+") if ";" in source else ("[^&]+",):
            pairs.update(p for p in _split_pairs(source, pattern) if _SPELLS_METHOD.search(p[0]))
    methods = set()
    for name, value in pairs:
        methods |= _param_methods(_form_decode(name), _form_decode(value))
    return methods


def _form_decode(text):
    return _unescape(text.replace("+", " "))


class _Pairs(list):
    """A JSON object as its (key, value) pairs: duplicate keys are kept, since parsers
    disagree on whether the first or the last one wins."""


def _json_methods(body, params):
    if not _charset_ok(params, JSON_CHARSETS):
        return {UNKNOWN}
    try:
        document = json.loads(body, object_pairs_hook=_Pairs)
    except (ValueError, RecursionError):
        # Servers with laxer parsers (comments, trailing commas) may read what we cannot.
        return {UNKNOWN}
    methods = set()
    # Only top-level keys: every framework reads the override from the top-level parameter
    # map, and nested "method" fields are routine API data (webhook and job definitions).
    if isinstance(document, _Pairs):
        for name, value in document:
            methods |= _param_methods(name, value)
    return methods


def _multipart_methods(body, params):
    boundaries = params.get("boundary", [])
    if len(boundaries) != 1 or not boundaries[0]:
        return {UNKNOWN}
    chunks = body.split(b"--" + boundaries[0].encode("latin-1"))
    # Preamble, at least one part, then the close delimiter; a stream without its close, or a
    # close before the last part, is where parsers start to disagree.
    if len(chunks) < 3 or not chunks[-1].startswith(b"--"):
        return {UNKNOWN}
    methods = set()
    for chunk in chunks[1:-1]:
        part = _split_part(chunk)
        if part is None:
            return {UNKNOWN}
        methods |= _part_methods(*part)
    return methods


def _split_part(chunk):
    """(header lines, value) of one part, or None when it is not a well-formed part."""
    opening = re.match(rb"[ \t]*\r?\n", chunk)
    if chunk.startswith(b"--") or not opening:
        return None
    rest = chunk[opening.end():]
    if re.match(rb"\r?\n", rest):
        return [], b""
    end = re.search(rb"\r?\n\r?\n", rest)
    if not end:
        return None
    lines = re.split(r"\r?\n(?![ \t])", rest[:end.start()].decode("latin-1"))
    value = re.sub(rb"\r?\n\Z", b"", rest[end.end():])
    return lines, value


def _part_methods(lines, value):
    names, transfer, charset_ok = [], "", True
    if not any(_SPELLS_METHOD.search(line) or "=?" in line for line in lines):
        return set()
    for line in lines:
        field, _, content = line.partition(":")
        field = field.strip().lower()
        if field == "content-disposition":
            names += _disposition_names(content)
        elif field == "content-transfer-encoding":
            transfer = content.strip().lower()
        elif field == "content-type":
            charset_ok = _charset_ok(_media_type(content)[1], ASCII_COMPATIBLE)
    text = value.decode("latin-1")
    methods = set()
    for name in names:
        # RFC 2047 encoded words (=?utf-8?b?X21ldGhvZA==?=) are decoded by some parsers only.
        if "=?" in name:
            return {UNKNOWN}
        found = _param_methods(name, text)
        relevant = found or any("method" in key for key in _name_keys(name))
        # A base64 or UTF-16 value reads differently from its bytes; refuse rather than guess.
        if relevant and (transfer not in _IDENTITY_TRANSFER or not charset_ok):
            return {UNKNOWN}
        methods |= found
    return methods


def _disposition_names(content):
    """Every name a parser might take from a Content-Disposition: quoted or bare, escaped or
    not, RFC 2231 name*=, and even the tail of filename= for parsers that search for 'name='."""
    names = []
    for star, raw in _DISPOSITION_NAME.findall(content):
        candidates = {raw, _unquote_param(raw), raw.strip('"')}
        if star:
            candidates |= {c.split("'", 2)[-1] for c in set(candidates)}
        names += sorted(candidates)
    return names
