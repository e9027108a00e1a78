"""Decides whether a request path lies inside a credential's `paths` scope, and refuses to decide
when upstream servers could read the path differently from us.

The proxy sees the raw request target; the upstream acts on its own reading of it. Servers
disagree on encoded slashes (IIS and Tomcat-with-ALLOW_ENCODED_SLASH split on them, most do not),
backslashes (IIS, Windows-hosted apps), dot segments (resolved by some, passed through by
others), ';' parameters (Tomcat/Spring strip them), '//' (nginx merges them, Java URI reads an
authority), non-ASCII bytes (best-fit and NFKC folding, overlong UTF-8) and double decoding.
Any of those lets a path that looks in scope here reach an out-of-scope resource there, so such
a path is "ambiguous" and never in scope. What remains is compared segment by segment, so a
prefix never matches inside a segment ('/v1/charges*' never covers '/v1/charges-admin').

Matching is case-sensitive (RFC 3986 6.2.2.1): for a case-folding server a case-sensitive match
is never looser, while a case-insensitive one would be looser for a case-sensitive server.
"""
import re
from dataclasses import dataclass

UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
# RFC 3986 pchar, '/' and '%': the only characters a path may carry unencoded.
PATH_CHARACTERS = UNRESERVED | frozenset("!$&'()*+,;=:@/%")

NOT_ORIGIN_FORM = "does not start with '/'"
CONTROL = "control character or NUL"
NON_ASCII = "non-ASCII character or percent-encoded byte"
MALFORMED_ESCAPE = "malformed percent-escape"
DOUBLE_ENCODED = "double percent-encoding"
ENCODED_SEPARATOR = "encoded '/' or '\\'"
BACKSLASH = "backslash"
ENCODED_DELIMITER = "encoded '?' or '#'"
FRAGMENT = "'#' in the request target"
PATH_PARAMETER = "';' path parameter"
UNSAFE_CHARACTER = "character that must be percent-encoded"
DOT_SEGMENT = "segment of only dots or spaces"
EMPTY_SEGMENT = "empty segment"

# When several apply, the reason reported is the first of these.
REASONS = (
    NOT_ORIGIN_FORM, CONTROL, NON_ASCII, MALFORMED_ESCAPE, DOUBLE_ENCODED, ENCODED_SEPARATOR,
    BACKSLASH, ENCODED_DELIMITER, FRAGMENT, PATH_PARAMETER, UNSAFE_CHARACTER, DOT_SEGMENT,
    EMPTY_SEGMENT,
)

_HEX2 = re.compile(r"[0-9A-Fa-f]{2}")
_ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})")

# Request headers with which a front end or framework replaces the URL (path, prefix, host or
# scheme) the application acts on: Symfony, Zend and Yii trusted X-Original-URL/X-Rewrite-URL
# (CVE-2018-14773); IIS URL Rewrite and ARR, Azure App Service, Traefik, Kong, Envoy, Spring's
# ForwardedHeaderFilter and werkzeug's ProxyFix set or read the others. Sandboxed code has no
# business sending any of them, and a scope check on the request line means nothing if one
# of them moves the request elsewhere.
URL_OVERRIDE_HEADERS = frozenset({
    "x-original-url", "x-original-uri", "x-original-path", "x-original-host",
    "x-rewrite-url", "x-rewrite-uri", "x-rewrite-path", "x-override-url",
    "x-forwarded-path", "x-forwarded-prefix", "x-forwarded-uri", "x-forwarded-url",
    "x-forwarded-host", "x-forwarded-server", "x-forwarded-proto", "x-forwarded-scheme",
    "x-forwarded-port", "x-forwarded-ssl", "x-forwarded-script-name", "forwarded",
    "x-envoy-original-path", "x-envoy-original-url", "x-envoy-original-host", "x-envoy-original-dst-host",
    "x-replaced-path", "x-waws-unencoded-url", "x-request-uri", "x-request-url",
    "x-real-url", "x-real-uri", "x-proxy-url", "x-script-name",
    "x-host", "x-http-host-override",
})
# Families whose members are invented per product; none is a client's to send.
URL_OVERRIDE_PREFIXES = ("x-original-", "x-rewrite-", "x-forwarded-", "x-envoy-original-")


@dataclass(frozen=True)
class PathView:
    path: str  # the raw path, before '?'
    normalised: str  # unreserved characters decoded, other escapes in upper-case hex
    ambiguous: str | None  # why servers may read the path differently, or None


def analyse_path(raw_path):
    """The PathView of a request target in origin form ('/a/b?q')."""
    path = raw_path.split("?", 1)[0]
    normalised = _normalise(path)
    found = _character_findings(path) | _escape_findings(path) | _segment_findings(normalised)
    if not path.startswith("/"):
        found.add(NOT_ORIGIN_FORM)
    ambiguous = next((reason for reason in REASONS if reason in found), None)
    return PathView(path, normalised, ambiguous)


def path_in_scope(patterns, view):
    """True when `view` is inside one of `patterns` (None: the credential has no path scope)."""
    # No scope means every path of the API; an ambiguous path still names a path of that API.
    if patterns is None:
        return True
    if view.ambiguous is not None:
        return False
    return any(_matches(pattern, view.normalised) for pattern in patterns)


def pattern_problem(pattern):
    """Why a configured `paths` entry can never match, or None when it is usable."""
    if not pattern.startswith("/"):
        return "must start with '/'"
    if "*" in pattern[:-1]:
        return "'*' is only allowed as the last character"
    if "?" in pattern or "#" in pattern:
        return "must not contain a query or fragment"
    reason = analyse_path(pattern.removesuffix("*")).ambiguous
    return f"ambiguous path: {reason}" if reason else None


def strip_url_override_headers(headers):
    """(headers without any URL-override header, the names removed) for (name, value) pairs."""
    kept, stripped = [], []
    for name, value in headers:
        if _is_url_override(name):
            stripped.append(name)
        else:
            kept.append((name, value))
    return kept, stripped


def _is_url_override(name):
    # CGI-style servers file X_Original_URL under the same key as X-Original-URL.
    key = name.strip().lower().replace("_", "-")
    return key in URL_OVERRIDE_HEADERS or key.startswith(URL_OVERRIDE_PREFIXES)


def _matches(pattern, path):
    # A pattern we cannot read unambiguously matches nothing rather than something unintended.
    if pattern_problem(pattern):
        return False
    if not pattern.endswith("*"):
        return path == _normalise(pattern)
    base = _normalise(pattern[:-1])
    if base.endswith("/"):
        return path.startswith(base)
    # Segment-bounded: the prefix must end where a segment ends.
    return path == base or path.startswith(base + "/")


def _normalise(path):
    # RFC 3986 6.2.2: escapes of unreserved characters are equivalent to the characters, and
    # escape hex is case-insensitive; nothing else may be decoded without changing meaning.
    def one(match):
        char = chr(int(match.group(1), 16))
        return char if char in UNRESERVED else "%" + match.group(1).upper()

    return _ESCAPE.sub(one, path)


def _character_findings(path):
    found = set()
    for char in path:
        code = ord(char)
        if code < 0x20 or code == 0x7F:
            found.add(CONTROL)
        elif code > 0x7F:
            found.add(NON_ASCII)
        elif char == "\\":
            found.add(BACKSLASH)
        elif char == "#":
            found.add(FRAGMENT)
        elif char == ";":
            found.add(PATH_PARAMETER)
        elif char not in PATH_CHARACTERS:
            found.add(UNSAFE_CHARACTER)
    return found


def _escape_findings(path):
    found = set()
    for index in (i for i, char in enumerate(path) if char == "%"):
        digits = path[index + 1:index + 3]
        if not _HEX2.fullmatch(digits):
            # '%u002e' (IIS), '%%32%65' and a bare '%' are each decoded, kept or refused
            # depending on the server.
            found.add(MALFORMED_ESCAPE)
            continue
        byte = int(digits, 16)
        after = path[index + 3:index + 5]
        if byte < 0x20 or byte == 0x7F:
            found.add(CONTROL)
        elif byte > 0x7F:
            # Overlong and invalid UTF-8 (%C0%AE), best-fit and NFKC folding (fullwidth '．'),
            # and UTF-8 vs Latin-1 readings all differ between servers.
            found.add(NON_ASCII)
        elif byte in (0x2F, 0x5C):
            found.add(ENCODED_SEPARATOR)
        elif byte == 0x25 and (_HEX2.fullmatch(after) or after[:1] in ("u", "U")):
            # %252F is '%2F' to a server that decodes once and '/' to one that decodes twice.
            found.add(DOUBLE_ENCODED)
        elif byte in (0x3F, 0x23):
            # A decoding front end that re-parses the path ends it at a decoded '?' or '#'.
            found.add(ENCODED_DELIMITER)
        elif byte == 0x3B:
            found.add(PATH_PARAMETER)
    return found


def _segment_findings(normalised):
    found = set()
    segments = normalised.split("/")[1:]
    for index, segment in enumerate(segments):
        if segment == "":
            # A trailing '/' is ordinary; '//' is merged by some servers and not by others.
            if index < len(segments) - 1:
                found.add(EMPTY_SEGMENT)
        elif not segment.replace("%20", " ").strip(". "):
            # '.' and '..' are resolved by some servers only; Windows also trims trailing dots
            # and spaces, so '...' or '..%20' can become '..' there.
            found.add(DOT_SEGMENT)
    return found
