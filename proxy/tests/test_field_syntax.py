"""Requests and responses must keep to HTTP's field grammar, whatever protocol they came in: a line
break in an HTTP/2 value would start another field, or another request, once the proxy speaks
HTTP/1.1 upstream, under the credential it injected (an independent review's finding)."""
import pytest
from mitmproxy import http
from mitmproxy.test import tutils

from conftest import SECRET, deliver, flow_to, run

CREDENTIAL = ("Authorization", "Bearer PAY_API_TOKEN")


def h2_request(headers=(), method=b"GET", path=b"/v1/charges", trailers=None):
    flow = flow_to("api.pay.test", headers=[CREDENTIAL])
    req = flow.request
    req.http_version = "HTTP/2.0"
    req.authority = "api.pay.test"
    req.data.method = method
    req.data.path = path
    for name, value in headers:
        req.headers.fields = (*req.headers.fields, (name, value))
    if trailers is not None:
        req.trailers = http.Headers(trailers)
    return flow


SMUGGLED = b"x\r\n\r\nDELETE /v1/admin HTTP/1.1\r\nhost: other.example\r\nx-pad: y"


@pytest.mark.parametrize(
    "headers, method, path, trailers",
    [
        ([(b"x-a", SMUGGLED)], b"GET", b"/v1/charges", None),
        ([(b"x-a", b"one\ntwo")], b"GET", b"/v1/charges", None),
        ([(b"x-a", b"one\rtwo")], b"GET", b"/v1/charges", None),
        ([(b"x-a", b"nul\x00byte")], b"GET", b"/v1/charges", None),
        ([(b"x-a", b"bell\x07")], b"GET", b"/v1/charges", None),
        ([(b"x-a", b"del\x7f")], b"GET", b"/v1/charges", None),
        ([(b"x a", b"v")], b"GET", b"/v1/charges", None),
        ([(b"x-a:", b"v")], b"GET", b"/v1/charges", None),
        ([(b"x-a\r\nx-b", b"v")], b"GET", b"/v1/charges", None),
        ([(b"", b"v")], b"GET", b"/v1/charges", None),
        ([], b"GET /v1/x HTTP/1.1\r\n", b"/v1/charges", None),
        ([], b"G ET", b"/v1/charges", None),
        ([], b"GET", b"/v1/charges HTTP/1.1\r\nhost: other.example\r\n\r\nDELETE /v1/admin", None),
        ([], b"GET", b"/v1/charges x", None),
        ([], b"GET", b"/v1/charges\tx", None),
        ([], b"GET", b"/v1/charges", [(b"x-t", b"a\r\nb")]),
        ([], b"GET", b"/v1/charges", [(b"x t", b"v")]),
    ],
    ids=["smuggled-request", "lf-in-value", "cr-in-value", "nul-in-value", "control-in-value", "del-in-value",
         "space-in-name", "colon-in-name", "crlf-in-name", "empty-name", "crlf-in-method", "space-in-method",
         "crlf-in-path", "space-in-path", "tab-in-path", "crlf-in-trailer", "space-in-trailer-name"],
)
def test_refuses_a_request_outside_the_field_grammar_before_injecting(addon, headers, method, path, trailers):
    flow = h2_request(headers, method, path, trailers)
    run(addon.request, flow)
    assert flow.response is not None and flow.response.status_code == 400
    assert b"malformed request" in flow.response.content
    assert SECRET.encode() not in b"".join(value for _, value in flow.request.headers.fields)


def test_keeps_a_request_within_the_grammar_tabs_and_high_bytes_included(addon):
    flow = h2_request([(b"x-a", b"tab\there, caf\xc3\xa9, !#$%&'*+-.^_`|~")])
    run(addon.request, flow)
    assert flow.response is None
    assert SECRET in flow.request.headers["authorization"]


def test_blocks_a_response_whose_headers_break_the_grammar(addon):
    flow = h2_request()
    run(addon.request, flow)
    response = tutils.tresp(content=b"ok")
    response.headers.fields = (*response.headers.fields, (b"x-echo", b"a\r\nset-cookie: b"))
    client, killed = deliver(addon, flow, response)
    assert flow.response.status_code == 502 and b"malformed response" in client


def test_gives_an_http2_body_without_a_length_one_so_an_http1_upstream_cannot_read_past_it(addon):
    # HTTP/2 frames a body without content-length (fetch() sends a stream so); mitmproxy would write
    # none upstream, and an HTTP/1.1 server would read the body as a request of its own.
    flow = h2_request(method=b"POST", path=b"/v1/charges")
    flow.request.headers.pop("content-length", None)
    flow.request.raw_content = b"DELETE /v1/customers/cus_1 HTTP/1.1\r\nHost: api.pay.test\r\n\r\n"
    flow.request.headers.pop("content-length", None)
    run(addon.request, flow)
    assert flow.response is None
    assert flow.request.headers["content-length"] == str(len(flow.request.raw_content))


def test_breaks_off_a_response_whose_trailers_break_the_grammar(addon):
    flow = h2_request()
    run(addon.request, flow)
    response = tutils.tresp(content=b"ok")
    response.trailers = http.Headers([(b"x-echo", b"a\r\nset-cookie: b")])
    flow.response = response
    run(addon.responseheaders, flow)
    run(addon.response, flow)
    assert flow.error is not None and "killed" in flow.error.msg.lower()

