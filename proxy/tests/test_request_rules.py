"""Who may use the proxy, and where a request may go: identity, Host/SNI binding, ports, open egress."""
import base64
import json
import time

import pytest
from mitmproxy import connection
from mitmproxy.proxy import server_hooks
from mitmproxy.test import tflow

import execution_identity
from conftest import EXEC, KEY, SECRET, auth, connect_to, deliver, flow_to, run


def injected(flow):
    return SECRET in str(flow.request.headers) or SECRET in flow.request.path


# --- identity -------------------------------------------------------------------------------

def basic(text):
    return "Basic " + base64.b64encode(text.encode()).decode()


NOW = int(time.time())


@pytest.mark.parametrize(
    "proxy_auth",
    [
        None,
        auth(expires=NOW - 1),
        auth(key=b"another key entirely, 32 bytes long"),
        basic(f"someone:{execution_identity.mint(KEY, EXEC, NOW + 60)}"),
        basic(EXEC),
        basic(f"airlock:{EXEC}"),
        basic(f"airlock:{EXEC}.{NOW + 60}.{'0' * 64}"),
        basic(f"airlock:{execution_identity.mint(KEY, EXEC, NOW + 60)}x"),
        "Bearer " + execution_identity.mint(KEY, EXEC, NOW + 60),
        "Basic !!!",
    ],
    ids=["none", "expired", "other-key", "other-user", "bare-id", "old-format", "bad-mac", "trailing", "bearer", "garbage"],
)
def test_refuses_a_request_without_a_current_execution_token(addon, proxy_auth):
    flow = flow_to("api.pay.test", headers=[("Authorization", "Bearer PAY_API_TOKEN")], proxy_auth=proxy_auth or False)
    run(addon.request, flow)
    assert flow.response.status_code == 407
    assert not injected(flow)
    assert "proxy-authorization" not in flow.request.headers


def test_refuses_a_connect_without_a_token(addon):
    flow = connect_to("api.pay.test", proxy_auth=False)
    run(addon.http_connect, flow)
    assert flow.response.status_code == 407
    assert flow.response.headers["proxy-authenticate"].startswith("Basic")


def test_a_tunnel_opened_with_a_token_carries_its_identity_until_it_expires(addon):
    connect = connect_to("api.pay.test", proxy_auth=auth(expires=int(time.time()) + 2))
    connect.client_conn.sni = "api.pay.test"
    run(addon.http_connect, connect)
    assert connect.response is None
    inner = flow_to("api.pay.test", headers=[("Authorization", "Bearer PAY_API_TOKEN")], proxy_auth=False)
    inner.client_conn = connect.client_conn
    run(addon.request, inner)
    assert inner.response is None and injected(inner)
    addon.identity_of_client[connect.client_conn.id] = (EXEC, int(time.time()) - 1)
    late = flow_to("api.pay.test", headers=[("Authorization", "Bearer PAY_API_TOKEN")], proxy_auth=False)
    late.client_conn = connect.client_conn
    run(addon.request, late)
    assert late.response.status_code == 407


def test_records_a_refused_identity_without_an_execution(addon, capsys):
    run(addon.request, flow_to("api.pay.test", proxy_auth=False))
    assert '"reason":"no current execution identity"' in capsys.readouterr().out
    assert list(addon.events_path.glob("*.jsonl")) == []


# --- destination binding --------------------------------------------------------------------

@pytest.mark.parametrize(
    "headers, sni, allowed",
    [
        ([("Host", "api.pay.test")], None, True),
        ([("Host", "API.Pay.Test.")], "api.pay.test.", True),
        ([("Host", "api.pay.test:443")], None, True),
        ([("Host", "api.tracker.test")], None, False),
        ([("Host", "evil.test")], None, False),
        ([("Host", "api.pay.test:8443")], None, False),
        ([("Host", "api.pay.test"), ("Host", "evil.test")], None, False),
        ([("Host", "user@api.pay.test")], None, False),
        ([("Host", "api.pay.test/x")], None, False),
        ([("Host", "")], None, False),
        ([("Host", "api.pay.test")], "evil.test", False),
        ([("Host", "api.pay.test")], "api.tracker.test", False),
    ],
)
def test_binds_host_header_and_sni_to_the_destination(addon, headers, sni, allowed):
    flow = flow_to("api.pay.test", headers=[*headers, ("Authorization", "Bearer PAY_API_TOKEN")], sni=sni)
    run(addon.request, flow)
    if allowed:
        assert flow.response is None and injected(flow)
    else:
        assert flow.response.status_code == 421
        assert flow.response.headers["x-airlock-decision"] == "deny"
        assert not injected(flow)


def test_refuses_a_tls_request_that_sent_no_sni(addon):
    flow = flow_to("api.pay.test", headers=[("Authorization", "Bearer PAY_API_TOKEN")])
    flow.client_conn.sni = None
    run(addon.request, flow)
    assert flow.response.status_code == 421


def test_binds_the_http2_authority_too(addon):
    flow = flow_to("api.pay.test", headers=[("Authorization", "Bearer PAY_API_TOKEN")], host_header=False)
    flow.request.http_version = "HTTP/2.0"
    flow.request.authority = "evil.test"
    run(addon.request, flow)
    assert flow.response.status_code == 421
    good = flow_to("api.pay.test", headers=[("Authorization", "Bearer PAY_API_TOKEN")], host_header=False)
    good.request.http_version = "HTTP/2.0"
    good.request.authority = "api.pay.test"
    run(addon.request, good)
    assert good.response is None and injected(good)


def test_binds_even_without_credentials_in_open_egress(addon):
    addon.tctx.configure(addon, airlock_open_egress=True)
    flow = flow_to("elsewhere.test", headers=[("Host", "api.pay.test")])
    run(addon.request, flow)
    assert flow.response.status_code == 421


def upstream(host, port=443, sni=None):
    server = connection.Server(address=(host, port))
    server.sni = sni
    return server_hooks.ServerConnectionHookData(client=tflow.tclient_conn(), server=server)


def test_sends_the_judged_host_as_upstream_sni_never_the_clients(addon):
    data = upstream("api.pay.test", sni="evil.test")
    run(addon.server_connect, data)
    assert data.server.sni == "api.pay.test" and data.server.error is None


# --- transport -------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "scheme, port, status",
    [
        ("https", 443, None),
        ("https", 8443, None),
        ("https", 8444, 403),
        ("https", 8080, 403),
        ("http", 80, 403),
        ("http", 443, 403),
        ("http", 8443, 403),
        ("http", 8080, 403),  # plain HTTP is allowed on 8080, but never with a credential
    ],
)
def test_injects_only_over_tls_on_the_apis_ports(addon, scheme, port, status):
    flow = flow_to("api.pay.test", headers=[("Authorization", "Bearer PAY_API_TOKEN")], port=port, scheme=scheme)
    run(addon.request, flow)
    assert (flow.response.status_code if flow.response else None) == status
    assert injected(flow) == (status is None)


@pytest.mark.parametrize("where", ["header", "query", "basic"])
def test_names_the_rule_when_a_credential_would_cross_in_cleartext(addon, where):
    headers, path = [], "/v1/x"
    if where == "header":
        headers = [("X-Api-Key", "PAY_API_TOKEN")]
    elif where == "query":
        path = "/v1/x?key=PAY_API_TOKEN"
    else:
        headers = [("Authorization", basic("bob:PAY_API_TOKEN"))]
    flow = flow_to("api.pay.test", path=path, headers=headers, port=8080, scheme="http")
    run(addon.request, flow)
    assert flow.response.status_code == 403
    assert b"only over HTTPS" in flow.response.content
    assert not injected(flow)


def test_allows_plain_http_without_credentials_on_a_listed_port(addon):
    flow = flow_to("api.pay.test", port=8080, scheme="http")
    run(addon.request, flow)
    assert flow.response is None


@pytest.mark.parametrize("port, allowed", [(443, True), (8443, True), (8080, True), (80, False), (22, False), (5432, False)])
def test_opens_tunnels_only_to_the_apis_ports(addon, port, allowed):
    flow = connect_to("api.pay.test", port=port)
    run(addon.http_connect, flow)
    assert (flow.response is None) == allowed


def test_refuses_a_websocket_to_an_api_with_credentials(addon):
    flow = flow_to("api.pay.test", headers=[("Upgrade", "websocket"), ("Connection", "Upgrade")])
    run(addon.request, flow)
    assert flow.response.status_code == 403


@pytest.mark.parametrize("option", ["rawtcp", "websocket"])
def test_refuses_to_start_with_flows_its_hooks_cannot_check(addon, option):
    from mitmproxy import exceptions
    with pytest.raises(exceptions.OptionsError, match=option):
        addon.tctx.configure(addon, **{option: True})


def test_empties_a_raw_tcp_message_that_somehow_arrives(addon):
    flow = tflow.ttcpflow()
    flow.messages[-1].content = SECRET.encode()
    addon.tcp_message(flow)
    assert flow.messages[-1].content == b""


@pytest.mark.parametrize(
    "headers",
    [[("Upgrade", "websocket"), ("Connection", "Upgrade")], [("Sec-WebSocket-Version", "13")],
     [("Connection", "keep-alive, Upgrade")], [("Upgrade", "h2c")]],
)
def test_refuses_every_protocol_upgrade(addon, headers):
    flow = flow_to("api.tracker.test", headers=headers)
    run(addon.request, flow)
    assert flow.response.status_code == 403


# --- open egress -----------------------------------------------------------------------------

@pytest.mark.parametrize(
    "host, allowed",
    [
        ("elsewhere.test", True),
        ("metadata.test", False),
        ("lan.test", False),
        ("mixed.test", False),
        ("mapped.test", False),
        ("127.0.0.1", False),
        ("169.254.169.254", False),
        ("172.17.0.1", False),
        ("nowhere.test", False),
    ],
)
def test_open_egress_reaches_public_addresses_only(addon, host, allowed):
    addon.tctx.configure(addon, airlock_open_egress=True)
    flow = flow_to(host, headers=[("Authorization", "Bearer PAY_API_TOKEN")])
    run(addon.request, flow)
    assert (flow.response is None) == allowed
    assert not injected(flow)
    data = upstream(host)
    run(addon.server_connect, data)
    assert (data.server.error is None) == allowed


def test_open_egress_pins_the_checked_address_and_keeps_the_name_for_tls(addon):
    addon.tctx.configure(addon, airlock_open_egress=True)
    data = upstream("elsewhere.test")
    run(addon.server_connect, data)
    assert data.server.address == ("93.184.215.14", 443)
    assert data.server.sni == "elsewhere.test"


def test_open_egress_reaches_a_network_the_operator_lists(addon):
    addon.tctx.configure(addon, airlock_open_egress=True, airlock_open_egress_networks="10.0.0.0/8")
    flow = flow_to("lan.test")
    run(addon.request, flow)
    assert flow.response is None


def test_refuses_every_connection_to_an_unlisted_host_when_egress_is_closed(addon):
    data = upstream("elsewhere.test")
    run(addon.server_connect, data)
    assert data.server.error


# --- failing closed --------------------------------------------------------------------------

def test_an_exception_in_the_request_hook_refuses_the_flow(addon, monkeypatch):
    monkeypatch.setattr("airlock_egress.inject", lambda *a, **k: 1 / 0)
    flow = flow_to("api.pay.test", headers=[("Authorization", "Bearer PAY_API_TOKEN")])
    run(addon.request, flow)
    assert flow.response.status_code == 502 and not injected(flow)
    entry = json.loads((addon.events_path / f"{EXEC}.jsonl").read_text())
    assert (entry["decision"], entry["hook"]) == ("error", "request") and "ZeroDivisionError" in entry["reason"]


def test_an_exception_in_the_response_headers_hook_blocks_the_response(addon, monkeypatch):
    flow = flow_to("api.pay.test")
    run(addon.request, flow)
    monkeypatch.setattr(addon, "scrubber", lambda echoes: 1 / 0)
    from mitmproxy.test import tutils
    client, _ = deliver(addon, flow, tutils.tresp(content=SECRET.encode()))
    assert flow.response.status_code == 502
    assert SECRET.encode() not in client and b"could not check" in client


def test_an_exception_in_the_response_hook_breaks_the_streamed_response(addon, monkeypatch):
    flow = flow_to("api.pay.test")
    run(addon.request, flow)
    monkeypatch.setattr(addon, "_response_base", lambda flow: 1 / 0)
    from mitmproxy.test import tutils
    resp = tutils.tresp(content=b"hello")
    del resp.headers["content-length"]
    client, killed = deliver(addon, flow, resp)
    assert killed


def test_an_exception_in_the_response_hook_refuses_a_held_response(addon, monkeypatch):
    flow = flow_to("api.pay.test")
    run(addon.request, flow)
    monkeypatch.setattr(addon, "_response_base", lambda flow: 1 / 0)
    from mitmproxy.test import tutils
    client, _ = deliver(addon, flow, tutils.tresp(content=SECRET.encode(), headers=[(b"content-length", b"29")]))
    assert flow.response.status_code == 502 and SECRET.encode() not in client


def test_a_request_on_a_pinned_connection_is_judged_by_the_name_it_stands_for(addon):
    addon.tctx.configure(addon, airlock_open_egress=True)
    data = upstream("elsewhere.test")
    run(addon.server_connect, data)
    flow = flow_to("93.184.215.14", headers=[("Host", "elsewhere.test")], sni="elsewhere.test")
    flow.server_conn = data.server
    run(addon.request, flow)
    assert flow.response is None
    spoofed = flow_to("93.184.215.14", headers=[("Host", "lan.test")], sni="elsewhere.test")
    spoofed.server_conn = data.server
    run(addon.request, spoofed)
    assert spoofed.response.status_code == 421
