import base64
import re

import pytest

from effective_method import UNKNOWN, effective_methods, methods_in_scope, restricted_hit

FORM = "application/x-www-form-urlencoded"
BOUNDARY = "----airlock-boundary"
MULTIPART = f"multipart/form-data; boundary={BOUNDARY}"
BASE64_DELETE = base64.b64encode(b"DELETE")
UTF16_DELETE = "DELETE".encode("utf-16")


def multipart(*parts, newline=b"\r\n", close=True):
    """A multipart body from (header lines, value) parts."""
    out = b""
    for headers, value in parts:
        out += b"--" + BOUNDARY.encode() + newline
        out += b"".join(h.encode() + newline for h in headers) + newline + value + newline
    if close:
        out += b"--" + BOUNDARY.encode() + b"--" + newline
    return out


def field(name, value, *extra_headers):
    return ([f'Content-Disposition: form-data; name="{name}"', *extra_headers], value)


def disposition(header, value):
    return ([f"Content-Disposition: {header}"], value)


@pytest.mark.parametrize(
    "method, headers, expected",
    [
        ("GET", [], {"GET"}),
        ("get", [], {"GET"}),
        ("POST", [("X-HTTP-Method-Override", "DELETE")], {"POST", "DELETE"}),
        ("POST", [("x-http-method", "delete")], {"POST", "DELETE"}),
        ("POST", [("X-METHOD-OVERRIDE", " patch ")], {"POST", "PATCH"}),
        # CGI servers read the underscore spelling as the same header.
        ("POST", [("X_HTTP_Method_Override", "DELETE")], {"POST", "DELETE"}),
        # Lists and repeats: some servers take the first, some the last.
        ("POST", [("X-HTTP-Method-Override", "GET, DELETE")], {"POST", "GET", "DELETE"}),
        ("POST", [("X-HTTP-Method-Override", "GET"), ("X-HTTP-Method-Override", "PUT")], {"POST", "GET", "PUT"}),
        # Overrides count on any method, not only POST (some middleware lets GET become TRACE).
        ("GET", [("X-HTTP-Method-Override", "TRACE")], {"GET", "TRACE"}),
        ("POST", [("X-HTTP-Method-Override", "")], {"POST"}),
        ("POST", [("X-HTTP-Method-Override", "DEL ETE")], {"POST", "DEL ETE", UNKNOWN}),
        ("POST", [("X-HTTP-Method-Override", "%44ELETE")], {"POST", "%44ELETE", UNKNOWN}),
        ("POST", [("X-HTTP-Method-Override", "DELETE;")], {"POST", "DELETE;", UNKNOWN}),
        # Generic *method* headers count only when their value is a method name.
        ("POST", [("X-Custom-Method", "DELETE")], {"POST", "DELETE"}),
        ("POST", [("X-Payment-Method", "card")], {"POST"}),
        ("OPTIONS", [("Access-Control-Request-Method", "PUT")], {"OPTIONS", "PUT"}),
        ("POST", [("Authorization", "DELETE")], {"POST"}),
    ],
)
def test_reads_the_method_and_override_headers(method, headers, expected):
    assert effective_methods(method, headers, [], None, None) == expected


@pytest.mark.parametrize(
    "query, expected",
    [
        ([("_method", "DELETE")], {"POST", "DELETE"}),
        ([("_METHOD", "delete")], {"POST", "DELETE"}),
        # PHP reads each of these names as _method.
        ([(".method", "DELETE")], {"POST", "DELETE"}),
        ([(" _method", "DELETE")], {"POST", "DELETE"}),
        ([("[method", "DELETE")], {"POST", "DELETE"}),
        ([("_method[]", "DELETE")], {"POST", "DELETE"}),
        ([("_method\0x", "DELETE")], {"POST", "DELETE"}),
        # A name still escaped after one decoding, for servers that decode twice.
        ([("_m%65thod", "DELETE")], {"POST", "DELETE"}),
        ([("_method", "GET"), ("_method", "DELETE")], {"POST", "GET", "DELETE"}),
        # Servers that also split a query on ';'.
        ([("a", "1;_method=DELETE")], {"POST", "DELETE"}),
        # Still escaped after the proxy's decoding: a double-decoding server reads DELETE.
        ([("_method", "DEL%45TE")], {"POST", "DEL%45TE", UNKNOWN}),
        ([("method", "delete")], {"POST", "DELETE"}),
        ([("http_method", "PUT")], {"POST", "PUT"}),
        ([("method", "flickr.photos.search")], {"POST"}),
        ([("payment_method", "card")], {"POST"}),
        ([("q", "_method=DELETE")], {"POST"}),
    ],
)
def test_reads_override_parameters_in_the_query(query, expected):
    assert effective_methods("POST", [], query, None, None) == expected


@pytest.mark.parametrize(
    "content_type, body, expected",
    [
        (FORM, b"_method=DELETE", {"POST", "DELETE"}),
        (FORM, b"a=1&_method=put", {"POST", "PUT"}),
        (FORM + "; charset=UTF-8", b"_method=DELETE", {"POST", "DELETE"}),
        (FORM, b"_method=DEL%45TE", {"POST", "DELETE"}),
        (FORM, b"_method=+DELETE+", {"POST", "DELETE"}),
        # IIS/classic ASP.NET read %uXXXX escapes.
        (FORM, b"_method=%u0044ELETE", {"POST", "DELETE"}),
        (FORM, b"_m%65thod=DELETE", {"POST", "DELETE"}),
        (FORM, b"%5F%6D%65%74%68%6F%64=DELETE", {"POST", "DELETE"}),
        (FORM, b"_%u006Dethod=DELETE", {"POST", "DELETE"}),
        (FORM, b"_m%2565thod=DELETE", {"POST", "DELETE"}),
        (FORM, b"_METHOD=DELETE", {"POST", "DELETE"}),
        (FORM, b"_method%5B%5D=DELETE", {"POST", "DELETE"}),
        (FORM, b"a=1;_method=DELETE", {"POST", "DELETE"}),
        (FORM, b"_method=GET&_method=DELETE", {"POST", "GET", "DELETE"}),
        (FORM, b"\xef\xbb\xbf_method=DELETE", {"POST", "DELETE"}),
        (FORM, b"_method=%FF", {"POST", "\u0178", UNKNOWN}),
        (FORM, b"method=delete", {"POST", "DELETE"}),
        (FORM, b"name=a&note=the+method+is+DELETE", {"POST"}),
        # A charset in which ASCII letters can be spelled differently.
        (FORM + "; charset=utf-7", b"_method=DELETE", {"POST", UNKNOWN}),
        (FORM + "; charset=utf-16", "_method=DELETE".encode("utf-16"), {"POST", UNKNOWN}),
        # Rack parses an untyped POST body as a form; other types are read as one too.
        (None, b"_method=DELETE", {"POST", "DELETE"}),
        ("text/plain", b"_method=DELETE", {"POST", "DELETE"}),
        ("application/octet-stream", b"\x00\x01binary", {"POST"}),
        (FORM, b"", {"POST"}),
    ],
)
def test_reads_override_fields_in_a_form_body(content_type, body, expected):
    assert effective_methods("POST", [], [], content_type, body) == expected


@pytest.mark.parametrize(
    "content_type, body, expected",
    [
        ("application/json", b'{"_method": "DELETE"}', {"POST", "DELETE"}),
        ("application/json; charset=utf-8", b'{"_METHOD": "delete"}', {"POST", "DELETE"}),
        ("application/json", b'{"\\u005fmethod": "DELETE"}', {"POST", "DELETE"}),
        ("application/json", b'{"_method": "GET", "_method": "DELETE"}', {"POST", "GET", "DELETE"}),
        ("application/json", b'{"method": "DELETE"}', {"POST", "DELETE"}),
        ("application/json", b'{"jsonrpc": "2.0", "method": "eth_call"}', {"POST"}),
        # Nested keys are data, not an override.
        ("application/json", b'{"webhook": {"_method": "DELETE", "method": "DELETE"}}', {"POST"}),
        ("application/json", b'[{"_method": "DELETE"}]', {"POST"}),
        ("application/json", b'{"_method": null}', {"POST"}),
        ("application/json", b'{"_method": ["DELETE"]}', {"POST", UNKNOWN}),
        ("application/json", b'{"_method": 1}', {"POST", UNKNOWN}),
        ("application/json", b'{"_method": "DELETE",}', {"POST", UNKNOWN}),
        ("application/json", b"_method=DELETE", {"POST", UNKNOWN}),
        ("application/json", b'{"_method": "\xff"}', {"POST", UNKNOWN}),
        ("application/json", b"[" * 100000 + b"]" * 100000, {"POST", UNKNOWN}),
        ("application/json", '{"_method": "DELETE"}'.encode("utf-16"), {"POST", "DELETE"}),
        ("application/json; charset=utf-7", b'{"_method": "DELETE"}', {"POST", UNKNOWN}),
        # Laravel reads any type containing /json or +json as JSON; Rails takes text/x-json.
        ("application/vnd.api+json", b'{"_method": "DELETE"}', {"POST", "DELETE"}),
        ("text/x-json", b'{"_method": "DELETE"}', {"POST", "DELETE"}),
        ("application/json", b"", {"POST"}),
    ],
)
def test_reads_top_level_override_keys_in_a_json_body(content_type, body, expected):
    assert effective_methods("POST", [], [], content_type, body) == expected


@pytest.mark.parametrize(
    "content_type, body, expected",
    [
        (MULTIPART, multipart(field("title", b"x"), field("_method", b"DELETE")), {"POST", "DELETE"}),
        (MULTIPART, multipart(field("_METHOD", b" delete ")), {"POST", "DELETE"}),
        (MULTIPART, multipart(field("_method", b"DELETE"), newline=b"\n"), {"POST", "DELETE"}),
        (MULTIPART, multipart(disposition("form-data; name=_method", b"DELETE")), {"POST", "DELETE"}),
        (MULTIPART, multipart(disposition("form-data;name*=UTF-8''%5Fmethod", b"DELETE")), {"POST", "DELETE"}),
        (MULTIPART, multipart(field("method", b"PUT")), {"POST", "PUT"}),
        (MULTIPART, multipart(field("=?utf-8?b?X21ldGhvZA==?=", b"DELETE")), {"POST", UNKNOWN}),
        (MULTIPART, multipart(field("_m%65thod", b"DELETE")), {"POST", "DELETE"}),
        (f'multipart/form-data; boundary="{BOUNDARY}"', multipart(field("_method", b"DELETE")), {"POST", "DELETE"}),
        (MULTIPART, multipart(disposition('form-data; name="upload"; filename="a.txt"', b"_method=DELETE")), {"POST"}),
        (MULTIPART, multipart(field("title", b"x")), {"POST"}),
        # A value that reads differently from its bytes.
        (MULTIPART, multipart(field("_method", BASE64_DELETE, "Content-Transfer-Encoding: base64")), {"POST", UNKNOWN}),
        (MULTIPART, multipart(field("_method", UTF16_DELETE, "Content-Type: text/plain;charset=utf-16")), {"POST", UNKNOWN}),
        ("multipart/form-data", multipart(field("_method", b"DELETE")), {"POST", UNKNOWN}),
        (f"{MULTIPART}; boundary=other", multipart(field("_method", b"DELETE")), {"POST", UNKNOWN}),
        (MULTIPART, multipart(field("_method", b"DELETE"), close=False), {"POST", UNKNOWN}),
        (MULTIPART, b"no delimiter here", {"POST", UNKNOWN}),
        # No blank line ends the part's headers.
        (MULTIPART, multipart(field("_method", b"DELETE")).replace(b'"\r\n\r\n', b'"\r\n'), {"POST", UNKNOWN}),
        # A close delimiter before the last part: parsers disagree on whether reading stops.
        (MULTIPART, multipart(field("a", b"1")) + multipart(field("_method", b"DELETE")), {"POST", UNKNOWN}),
        (MULTIPART, f"--{BOUNDARY}--\r\n".encode() + multipart(field("_method", b"DELETE")), {"POST", UNKNOWN}),
    ],
)
def test_reads_override_fields_in_a_multipart_body(content_type, body, expected):
    assert effective_methods("POST", [], [], content_type, body) == expected


def test_refuses_to_guess_between_two_content_types():
    headers = [("Content-Type", "application/json"), ("Content-Type", FORM)]
    assert effective_methods("POST", headers, [], "application/json", b"{}") == {"POST", UNKNOWN}


def test_the_unknown_sentinel_is_no_http_token_so_no_config_can_name_it():
    assert not re.fullmatch(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+", UNKNOWN)


@pytest.mark.parametrize(
    "restricted, methods, hit",
    [
        (frozenset({"DELETE"}), {"POST"}, None),
        (frozenset({"DELETE"}), {"POST", "DELETE"}, "DELETE"),
        (frozenset({"DELETE", "PUT"}), {"PUT", "DELETE"}, "DELETE"),
        (frozenset({"DELETE"}), {"POST", UNKNOWN}, UNKNOWN),
        (frozenset({"DELETE"}), {"POST", "DELETE", UNKNOWN}, "DELETE"),
        # Nothing restricted: an unreadable body restricts nothing.
        (frozenset(), {"POST", UNKNOWN}, None),
    ],
)
def test_finds_a_restricted_method_among_the_effective_ones(restricted, methods, hit):
    assert restricted_hit(restricted, methods) == hit


@pytest.mark.parametrize(
    "cred_methods, methods, in_scope",
    [
        (None, {"POST", "DELETE"}, True),
        (None, {"POST", UNKNOWN}, True),
        (frozenset({"GET"}), {"GET"}, True),
        (frozenset({"GET", "POST"}), {"POST", "GET"}, True),
        (frozenset({"GET"}), {"GET", "DELETE"}, False),
        (frozenset({"GET", "POST"}), {"POST", UNKNOWN}, False),
        (frozenset({"GET"}), set(), False),
    ],
)
def test_a_scoped_credential_needs_every_effective_method_in_scope(cred_methods, methods, in_scope):
    assert methods_in_scope(cred_methods, methods) is in_scope


def test_an_override_takes_a_get_scoped_credential_out_of_scope():
    methods = effective_methods("GET", [("X-HTTP-Method-Override", "DELETE")], [], None, None)
    assert methods_in_scope(frozenset({"GET"}), methods) is False
