"""The addon applies restrictions and scopes to the effective method and the normalised path."""
import gzip
import json

import pytest

from conftest import flow_to, run

READ_SECRET = "read_only_secret_value_42"


def scoped(path="/v1/charges", method="GET", headers=(), content=b""):
    return flow_to("api.pay.test", path=path, method=method, headers=[("X-Read-Token", "PAY_READ_TOKEN"), *headers], content=content)


@pytest.mark.parametrize(
    "method, headers, content",
    [
        ("DELETE", [], b""),
        ("POST", [("x-http-method-override", "DELETE")], b""),
        ("POST", [("X-Custom-Method", "delete")], b""),
        ("POST", [("Content-Type", "application/x-www-form-urlencoded")], b"a=1&_method=DELETE"),
        ("POST", [("Content-Type", "application/json")], json.dumps({"_method": "DELETE"}).encode()),
        ("POST", [("Content-Type", "multipart/form-data; boundary=XX")],
         b'--XX\r\nContent-Disposition: form-data; name="_method"\r\n\r\nDELETE\r\n--XX--\r\n'),
        ("POST", [("Content-Type", "application/json"), ("Content-Encoding", "gzip")], gzip.compress(b'{"_method":"DELETE"}')),
        # A body the proxy cannot read could hold an override: refused where methods are restricted.
        ("POST", [("Content-Type", "application/json"), ("Content-Encoding", "rot13")], b'{"_method":"QRYRGR"}'),
        ("POST", [("Content-Type", "application/json")], b'{"_method": "DELETE"'),
    ],
    ids=["literal", "override-header", "any-method-header", "form", "json", "multipart", "gzip-json", "unknown-coding", "broken-json"],
)
def test_refuses_a_restricted_method_however_it_is_expressed(addon, method, headers, content):
    flow = flow_to("api.pay.test", method=method, headers=headers, content=content)
    run(addon.request, flow)
    assert flow.response.status_code == 403
    assert flow.response.headers["x-airlock-decision"] == "restrict"


def test_lets_an_ordinary_body_through(addon):
    flow = flow_to("api.pay.test", method="POST", headers=[("Content-Type", "application/json")],
                   content=json.dumps({"payment_method": "card", "method": "card"}).encode())
    run(addon.request, flow)
    assert flow.response is None


@pytest.mark.parametrize(
    "method, path, headers, content, injected",
    [
        ("GET", "/v1/charges", [], b"", True),
        ("GET", "/v1/charges/ch_1", [], b"", True),
        ("GET", "/v1/chargesX", [], b"", False),
        ("GET", "/v1/charges-admin", [], b"", False),
        ("GET", "/v1/%63harges", [], b"", True),
        ("GET", "/v1/charges", [("X-HTTP-Method-Override", "POST")], b"", False),
        ("GET", "/v1/charges?_method=POST", [], b"", False),
        ("GET", "/v1/charges", [("Content-Type", "application/x-www-form-urlencoded")], b"_method=PUT", False),
        ("GET", "/v1/charges", [("Destination", "https://api.pay.test/v1/refunds")], b"", False),
        ("GET", "/v1/charges", [("Destination", "https://api.pay.test/v1/charges/x")], b"", True),
    ],
)
def test_scopes_a_credential_by_effective_method_and_segment_bounded_path(addon, method, path, headers, content, injected):
    flow = scoped(path, method, headers, content)
    run(addon.request, flow)
    assert flow.response is None
    assert (flow.request.headers["x-read-token"] == READ_SECRET) is injected


@pytest.mark.parametrize(
    "path",
    ["/v1/charges/../refunds", "/v1/charges/%2e%2e/refunds", "/v1/charges%2F..%2Frefunds", "/v1/charges;/../refunds",
     "/v1/charges\\..\\refunds", "/v1/charges%5Cx", "//v1/charges", "/v1/charges%00", "/v1/charges/%252e%252e/x"],
)
def test_refuses_an_ambiguous_path_where_a_credential_would_go(addon, path):
    flow = scoped(path)
    run(addon.request, flow)
    assert flow.response.status_code == 403
    assert b"ambiguous" in flow.response.content
    assert flow.request.headers["x-read-token"] == "PAY_READ_TOKEN"


def test_lets_an_ambiguous_path_without_credentials_through(addon):
    flow = flow_to("api.pay.test", path="/v1/a;b=c")
    run(addon.request, flow)
    assert flow.response is None


@pytest.mark.parametrize("name", ["X-Original-URL", "X-Rewrite-URL", "x-forwarded-prefix", "X-Envoy-Original-Path"])
def test_strips_url_override_headers(addon, name):
    flow = scoped(headers=[(name, "/v1/refunds")])
    run(addon.request, flow)
    assert name not in flow.request.headers
    assert flow.request.headers["x-read-token"] == READ_SECRET


def test_redacts_a_configured_string_in_the_path_too(addon):
    flow = flow_to("api.pay.test", path="/v1/customers/jane@example.com?x=1")
    run(addon.request, flow)
    assert flow.request.path == "/v1/customers/[REDACTED]?x=1"
