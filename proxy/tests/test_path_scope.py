import pytest

import path_scope
from path_scope import (
    BACKSLASH,
    CONTROL,
    DOT_SEGMENT,
    DOUBLE_ENCODED,
    EMPTY_SEGMENT,
    ENCODED_DELIMITER,
    ENCODED_SEPARATOR,
    FRAGMENT,
    MALFORMED_ESCAPE,
    NON_ASCII,
    NOT_ORIGIN_FORM,
    PATH_PARAMETER,
    UNSAFE_CHARACTER,
    URL_OVERRIDE_HEADERS,
    analyse_path,
    path_in_scope,
    pattern_problem,
    strip_url_override_headers,
)


@pytest.mark.parametrize(
    "raw, reason",
    [
        ("/v1/charges", None),
        ("/v1/charges/", None),
        ("/V1/charges", None),
        ("/%761/charges", None),
        ("/v1/charges/ch_1?next=/../admin;x", None),
        ("/v1/charges/a%3ab%40c", None),
        ("/v1/charges/100%25.txt", None),
        ("/v1/charges/..x", None),
        ("/v1/charges/../refunds", DOT_SEGMENT),
        ("/v1/charges/./refunds", DOT_SEGMENT),
        ("/v1/charges/..", DOT_SEGMENT),
        ("/v1/charges/.", DOT_SEGMENT),
        ("/v1/charges/%2e%2e/refunds", DOT_SEGMENT),
        ("/v1/charges/%2E./refunds", DOT_SEGMENT),
        ("/v1/charges/.%2e/refunds", DOT_SEGMENT),
        ("/v1/charges/%2e", DOT_SEGMENT),
        ("/v1/charges/.../refunds", DOT_SEGMENT),
        ("/v1/charges/..%20/refunds", DOT_SEGMENT),
        ("/v1/charges/%20", DOT_SEGMENT),
        ("/v1/charges%2F..%2Frefunds", ENCODED_SEPARATOR),
        ("/v1/charges%2f..%2frefunds", ENCODED_SEPARATOR),
        ("/v1/charges%5C..%5Crefunds", ENCODED_SEPARATOR),
        ("/v1/charges%5c", ENCODED_SEPARATOR),
        ("/v1/charges%252F..%252Frefunds", DOUBLE_ENCODED),
        ("/v1/charges/%252e%252e/refunds", DOUBLE_ENCODED),
        ("/v1/charges/%25u002e", DOUBLE_ENCODED),
        ("/v1/charges/%25252F", DOUBLE_ENCODED),
        ("/v1/charges\\..\\refunds", BACKSLASH),
        ("/v1/charges\\", BACKSLASH),
        ("/v1/charges;/../refunds", PATH_PARAMETER),
        ("/v1/charges;jsessionid=1", PATH_PARAMETER),
        ("/v1/charges%3B/x", PATH_PARAMETER),
        ("/v1/charges%3b", PATH_PARAMETER),
        ("//v1/charges", EMPTY_SEGMENT),
        ("/v1//charges", EMPTY_SEGMENT),
        ("/v1/charges//", EMPTY_SEGMENT),
        ("/v1/charges%00", CONTROL),
        ("/v1/charges\x00", CONTROL),
        ("/v1/charges%0d%0aX-Injected:%201", CONTROL),
        ("/v1/charges\t", CONTROL),
        ("/v1/charges%7F", CONTROL),
        ("/v1/charges#/../refunds", FRAGMENT),
        ("/v1/charges%23/../refunds", ENCODED_DELIMITER),
        ("/v1/charges%3F/../refunds", ENCODED_DELIMITER),
        ("/v1/charges/%C0%AE%C0%AE/refunds", NON_ASCII),
        ("/v1/charges/%EF%BC%8E%EF%BC%8E/refunds", NON_ASCII),
        ("/v1/charges/%e2%88%95refunds", NON_ASCII),
        ("/v1/charges/caf\u00e9", NON_ASCII),
        ("/v1/charges/\uff0e\uff0e/refunds", NON_ASCII),
        ("/v1/charges/%u002e%u002e/refunds", MALFORMED_ESCAPE),
        ("/v1/charges/%%32%65%%32%65/refunds", MALFORMED_ESCAPE),
        ("/v1/charges/%2", MALFORMED_ESCAPE),
        ("/v1/charges/%+1", MALFORMED_ESCAPE),
        ("/v1/charges x", UNSAFE_CHARACTER),
        ("/v1/charges/<x>", UNSAFE_CHARACTER),
        ("v1/charges", NOT_ORIGIN_FORM),
        ("*", NOT_ORIGIN_FORM),
        ("https://api.pay.test/v1/charges", NOT_ORIGIN_FORM),
        ("", NOT_ORIGIN_FORM),
        # Several findings: the first in path_scope.REASONS is reported.
        ("/v1/charges;%00/..", CONTROL),
        ("/v1/charges;/%2e%2e", PATH_PARAMETER),
    ],
)
def test_names_why_a_path_is_ambiguous(raw, reason):
    assert analyse_path(raw).ambiguous == reason


@pytest.mark.parametrize(
    "raw, path, normalised",
    [
        ("/v1/charges?x=1", "/v1/charges", "/v1/charges"),
        ("/%761/charges", "/%761/charges", "/v1/charges"),
        ("/v1/%7e%41%2d%5F%2E", "/v1/%7e%41%2d%5F%2E", "/v1/~A-_."),
        ("/v1/a%3ab%2fc", "/v1/a%3ab%2fc", "/v1/a%3Ab%2Fc"),
        ("/V1/Charges", "/V1/Charges", "/V1/Charges"),
    ],
)
def test_normalises_only_unreserved_escapes_and_keeps_case(raw, path, normalised):
    view = analyse_path(raw)
    assert (view.path, view.normalised) == (path, normalised)


CHARGES = ("/v1/charges*",)
UNDER_CHARGES = ("/v1/charges/*",)
EXACT = ("/v1/charges",)


@pytest.mark.parametrize(
    "patterns, raw, in_scope",
    [
        (CHARGES, "/v1/charges", True),
        (CHARGES, "/v1/charges/", True),
        (CHARGES, "/v1/charges/ch_1", True),
        (CHARGES, "/v1/charges/ch_1/capture?expand=x", True),
        (CHARGES, "/%761/charges", True),
        (CHARGES, "/v1/charges/%63h_1", True),
        (CHARGES, "/v1/chargesX", False),
        (CHARGES, "/v1/charges-admin", False),
        (CHARGES, "/v1/charges.json", False),
        (CHARGES, "/v1/charges%2Ejson", False),
        (CHARGES, "/v1/charge", False),
        (CHARGES, "/v1", False),
        (CHARGES, "/v1/refunds", False),
        # Case-sensitive, as RFC 3986 paths are.
        (CHARGES, "/V1/charges", False),
        (CHARGES, "/v1/Charges", False),
        (CHARGES, "/v1/charges/../refunds", False),
        (CHARGES, "/v1/charges/%2e%2e/refunds", False),
        (CHARGES, "/v1/charges/.%2E/refunds", False),
        (CHARGES, "/v1/charges%2F..%2Frefunds", False),
        (CHARGES, "/v1/charges%252F..%252Frefunds", False),
        (CHARGES, "/v1/charges;/../refunds", False),
        (CHARGES, "/v1/charges;x", False),
        (CHARGES, "/v1/charges\\..\\refunds", False),
        (CHARGES, "//v1/charges", False),
        (CHARGES, "/v1/charges//x", False),
        (CHARGES, "/v1/charges%00", False),
        (CHARGES, "/v1/charges#x", False),
        (CHARGES, "/v1/charges/%C0%AE%C0%AE/refunds", False),
        (CHARGES, "/v1/charges/..%20/refunds", False),
        (UNDER_CHARGES, "/v1/charges/ch_1", True),
        (UNDER_CHARGES, "/v1/charges/ch_1/refunds", True),
        (UNDER_CHARGES, "/v1/charges/", True),
        (UNDER_CHARGES, "/v1/charges", False),
        (UNDER_CHARGES, "/v1/chargesX/ch_1", False),
        (EXACT, "/v1/charges", True),
        (EXACT, "/v1/charges?limit=3", True),
        (EXACT, "/v1/charges/", False),
        (EXACT, "/v1/charges/ch_1", False),
        (EXACT, "/v1/chargesX", False),
        (("/v1/charges/",), "/v1/charges/", True),
        (("/v1/charges/",), "/v1/charges", False),
        (("/*",), "/", True),
        (("/*",), "/anything/at/all", True),
        (("/*",), "/a/../b", False),
        (("/v1/ch%61rges*",), "/v1/charges/ch_1", True),
        (("/v1/charges*", "/v1/refunds/*"), "/v1/refunds/re_1", True),
        (("/v1/charges*", "/v1/refunds/*"), "/v1/customers", False),
        # Unusable patterns match nothing, not even themselves.
        (("/v1/*/refunds",), "/v1/ch_1/refunds", False),
        (("/v1/*/refunds",), "/v1/*/refunds", False),
        (("/v1/charges**",), "/v1/charges/x", False),
        (("v1/charges*",), "/v1/charges", False),
        (("/v1/charges?x=1",), "/v1/charges", False),
        (("/v1/../admin*",), "/admin", False),
        ((), "/v1/charges", False),
        # No path scope: every path of the API, so ambiguity cannot widen it.
        (None, "/v1/charges", True),
        (None, "/v1/charges/../admin", True),
    ],
)
def test_matches_paths_segment_by_segment(patterns, raw, in_scope):
    assert path_in_scope(patterns, analyse_path(raw)) is in_scope


@pytest.mark.parametrize(
    "pattern, problem",
    [
        ("/v1/charges*", None),
        ("/v1/charges/*", None),
        ("/v1/charges", None),
        ("/*", None),
        ("/v1/*/refunds", "'*' is only allowed as the last character"),
        ("/v1/charges**", "'*' is only allowed as the last character"),
        ("*", "must start with '/'"),
        ("v1/charges", "must start with '/'"),
        ("/v1/charges?x=1", "must not contain a query or fragment"),
        ("/v1/charges#x", "must not contain a query or fragment"),
        ("/v1/../admin*", f"ambiguous path: {DOT_SEGMENT}"),
        ("/v1/charges;x", f"ambiguous path: {PATH_PARAMETER}"),
        ("/v1//charges", f"ambiguous path: {EMPTY_SEGMENT}"),
    ],
)
def test_reports_unusable_patterns(pattern, problem):
    assert pattern_problem(pattern) == problem


@pytest.mark.parametrize(
    "name",
    [
        "X-Original-URL", "x-original-url", "X_Original_URL", "X-Rewrite-URL", "X-Override-URL",
        "X-Original-URI", "X-Forwarded-Path", "X-Forwarded-Prefix", "X-Forwarded-Uri",
        "X-Forwarded-Host", "X-Forwarded-Proto", "X-Forwarded-For", "Forwarded",
        "X-Envoy-Original-Path", "x-envoy-original-dst-host", "X-Replaced-Path",
        "X-WAWS-Unencoded-URL", "X-Script-Name", "X-Host", "X-HTTP-Host-Override",
        "X-Original-Anything", " X-Original-URL",
    ],
)
def test_strips_url_override_headers(name):
    kept, stripped = strip_url_override_headers([("Accept", "*/*"), (name, "/admin")])
    assert (kept, stripped) == ([("Accept", "*/*")], [name])


@pytest.mark.parametrize(
    "name",
    ["Authorization", "X-Api-Key", "Content-Type", "Accept", "X-Request-Id", "Origin", "Referer", "Host"],
)
def test_keeps_ordinary_headers(name):
    assert strip_url_override_headers([(name, "/admin")]) == ([(name, "/admin")], [])


def test_strips_every_listed_header_and_keeps_order_and_repeats():
    headers = [(name, "/admin") for name in sorted(URL_OVERRIDE_HEADERS)]
    headers = [("A", "1"), *headers, ("B", "2"), ("X-Original-URL", "/x")]
    kept, stripped = strip_url_override_headers(headers)
    assert kept == [("A", "1"), ("B", "2")]
    assert stripped == [*sorted(URL_OVERRIDE_HEADERS), "X-Original-URL"]


def test_imports_nothing_from_mitmproxy():
    import ast

    import effective_method

    for module in (path_scope, effective_method):
        tree = ast.parse(open(module.__file__).read())
        imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        imported |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
        assert not any(name.split(".")[0] == "mitmproxy" for name in imported)
