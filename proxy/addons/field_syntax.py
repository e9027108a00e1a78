"""What HTTP allows in a message's method, target and fields, checked before anything is injected.

HTTP/2 carries names and values as opaque bytes, and its library here (h2 4.1.0) lets CR, LF and
NUL through. mitmproxy writes them unchanged when it sends a request upstream over HTTP/1.1, where
a line break ends the field and starts another, or another request: the code could append a
request of its own (method, path, Host of its choosing) under the credential injected into the
one the proxy judged. So every request is held to the HTTP/1.1 grammar whatever it came in,
and a response that breaks it is not relayed either.
"""
import re

# RFC 9110 5.1 / 9.1: a field name and a method are tokens.
_TOKEN = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+\Z")
# RFC 9110 5.5: a field value is visible ASCII, obs-text, space and tab; never another control
# (CR, LF and NUL among them) or DEL.
_CONTROL_IN_VALUE = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")
# RFC 9112 3.2: a request target has no whitespace or control at all.
_CONTROL_OR_SPACE = re.compile(rb"[\x00-\x20\x7f]")


def fields_problem(fields, what="header"):
    """Why these (name, value) byte pairs are not valid HTTP fields; None when they are."""
    for name, value in fields:
        if not _TOKEN.match(name):
            return f"a {what} name is not an HTTP token: {name[:40]!r}"
        if _CONTROL_IN_VALUE.search(value):
            return f"the {what} {name[:40].decode('ascii')} holds a control character (CR, LF, NUL...)"
    return None


def request_problem(method, target, fields, trailers=()):
    """Why a request (all as bytes) breaks the grammar; None when it keeps to it."""
    if not _TOKEN.match(method):
        return f"the method is not an HTTP token: {method[:40]!r}"
    if _CONTROL_OR_SPACE.search(target):
        return "the request target holds a space or a control character"
    return fields_problem(fields) or fields_problem(trailers, "trailer")
