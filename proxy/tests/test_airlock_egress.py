"""The addon driven by mitmproxy's own test helpers: no network, real flows."""
import gzip
import json

from mitmproxy.test import taddons, tflow, tutils

import airlock_egress
from conftest import EXEC, SECRET, auth, connect_to, deliver, flow_to, run, write_key  # noqa: F401

def test_starts_with_a_broken_config_present_and_reports_it(apis_dir, tmp_path, capsys):
    (apis_dir / "broken").mkdir()
    (apis_dir / "broken" / "config.json").write_text('{"description": "x"}')
    instance = airlock_egress.AirlockEgress()
    with taddons.context(instance) as tctx:
        tctx.configure(instance, rawtcp=False, websocket=False, airlock_apis_dir=str(apis_dir), airlock_auth_key=str(write_key(tmp_path)))
        assert sorted(a.name for a in instance.registry.active()) == ["payments", "tracker"]
    out = capsys.readouterr().out
    assert '"decision":"config-invalid"' in out and "broken/config.json" in out


def test_refuses_a_connect_to_a_host_no_api_lists(addon):
    flow = connect_to("evil.test")
    run(addon.http_connect, flow)
    assert flow.response.status_code == 403
    assert flow.response.headers["x-airlock-decision"] == "deny"


def test_refuses_a_request_to_a_host_no_api_lists_whatever_its_host_header(addon):
    flow = flow_to("evil.test", headers=[("Host", "evil.test")])
    run(addon.request, flow)
    assert flow.response.status_code == 403


def test_allows_any_host_with_open_egress_but_injects_nothing(addon):
    addon.tctx.configure(addon, airlock_open_egress=True)
    flow = flow_to("elsewhere.test", headers=[("Authorization", "Bearer PAY_API_TOKEN")])
    run(addon.request, flow)
    assert flow.response is None
    assert flow.request.headers["authorization"] == "Bearer PAY_API_TOKEN"


def test_injects_the_credential_and_normalises_the_user_agent(addon):
    flow = flow_to("api.pay.test", headers=[("Authorization", "Bearer PAY_API_TOKEN"), ("User-Agent", "Deno/2")])
    run(addon.request, flow)
    assert flow.response is None
    assert flow.request.headers["authorization"] == f"Bearer {SECRET}"
    assert flow.request.headers["user-agent"] == "airlock-proxy"


def test_leaves_a_name_in_the_body_literal(addon):
    flow = flow_to("api.pay.test", method="POST", headers=[("Authorization", "Bearer PAY_API_TOKEN")],
                   content=b'{"comment":"my token is PAY_API_TOKEN"}')
    run(addon.request, flow)
    assert flow.request.content == b'{"comment":"my token is PAY_API_TOKEN"}'


def test_redacts_a_configured_string_in_the_body(addon):
    flow = flow_to("api.pay.test", method="POST", content=b'{"email":"jane@example.com"}')
    run(addon.request, flow)
    assert flow.request.content == b'{"email":"[REDACTED]"}'


def test_answers_a_restricted_method_with_a_permanent_403(addon):
    flow = flow_to("api.pay.test", method="POST", headers=[("X-HTTP-Method-Override", "DELETE")])
    run(addon.request, flow)
    assert flow.response.status_code == 403
    assert b"permanent" in flow.response.content


def test_scrubs_a_gzipped_echo_of_the_secret(addon):
    flow = flow_to("api.pay.test", headers=[("Authorization", "Bearer PAY_API_TOKEN")])
    run(addon.request, flow)
    body = f'{{"you_sent":"Bearer {SECRET}"}}'.encode()
    client, killed = deliver(addon, flow, tutils.tresp(content=gzip.compress(body), headers=[(b"content-encoding", b"gzip"), (b"x-echo", SECRET.encode())]))
    assert client == b'{"you_sent":"Bearer PAY_API_TOKEN"}' and not killed
    assert flow.response.headers["x-echo"] == "PAY_API_TOKEN"
    # The client gets the decoded bytes the scrubber saw, with nothing left to decode.
    assert "content-encoding" not in flow.response.headers


def test_blocks_a_response_it_cannot_decode(addon):
    flow = flow_to("api.pay.test")
    run(addon.request, flow)
    client, killed = deliver(addon, flow, tutils.tresp(content=b"\x00garbage", headers=[(b"content-encoding", b"gzip")]))
    assert killed and b"garbage" not in client


def test_records_events_per_execution_with_names_only(addon):
    exec_id = EXEC
    flow = flow_to("api.pay.test", headers=[("Authorization", "Bearer PAY_API_TOKEN")])
    run(addon.request, flow)
    assert "proxy-authorization" not in flow.request.headers
    deliver(addon, flow, tutils.tresp(content=b"ok"))
    lines = (addon.events_path / f"{exec_id}.jsonl").read_text().splitlines()
    assert len(lines) == 1
    entry = json.loads(lines[0])
    assert entry["decision"] == "inject" and entry["credentials"] == ["PAY_API_TOKEN"]
    assert (entry["api"], entry["host"], entry["path"], entry["status"]) == ("payments", "api.pay.test", "/v1/x", 200)
    assert SECRET not in lines[0]


def test_records_a_scrubbed_echo_as_one_scrub_line(addon):
    exec_id = "cd" * 16
    flow = flow_to("api.pay.test", headers=[("Authorization", "Bearer PAY_API_TOKEN")], proxy_auth=auth(exec_id))
    run(addon.request, flow)
    deliver(addon, flow, tutils.tresp(content=SECRET.encode()))
    entry = json.loads((addon.events_path / f"{exec_id}.jsonl").read_text())
    assert entry["decision"] == "scrub" and entry["scrubbed"] == 1


def test_blocks_a_value_that_comes_back_as_a_header_name_in_any_case(addon):
    flow = flow_to("api.pay.test")
    run(addon.request, flow)
    mangled = "x-" + SECRET.lower().replace("_", "-")
    client, _ = deliver(addon, flow, tutils.tresp(content=b"ok", headers=[(mangled.encode(), b"1")]))
    assert flow.response.status_code == 502
    assert mangled not in str(flow.response.headers) and SECRET.lower().encode() not in client


def test_scrubs_the_reason_phrase_and_trailers(addon):
    flow = flow_to("api.pay.test")
    run(addon.request, flow)
    resp = tutils.tresp(content=b"ok", reason=SECRET.encode())
    resp.trailers = __import__("mitmproxy").http.Headers([(b"x-t", SECRET.encode())])
    client, killed = deliver(addon, flow, resp)
    assert flow.response.reason == "PAY_API_TOKEN" and flow.response.trailers["x-t"] == "PAY_API_TOKEN" and not killed


def test_keeps_event_files_as_long_as_it_is_told(addon):
    addon.tctx.configure(addon, airlock_events_keep_seconds=4200)
    assert addon.events.keep_seconds == 4200


def test_publishes_which_apis_failed_to_load_and_why(apis_dir, tmp_path, monkeypatch):
    monkeypatch.delenv("TRACKER_SECRET")
    instance = airlock_egress.AirlockEgress()
    events = tmp_path / "status-events"
    events.mkdir()
    with taddons.context(instance) as tctx:
        tctx.configure(instance, rawtcp=False, websocket=False, airlock_apis_dir=str(apis_dir),
                       airlock_events_dir=str(events), airlock_auth_key=str(write_key(tmp_path)))
    status = json.loads((events / "proxy-status.json").read_text())
    assert status["loaded"] == ["payments"]
    assert status["problems"] == [{
        "file": str(apis_dir / "tracker" / "config.json"), "field": "credentials.TRACKER_TOKEN.value",
        "message": "proxy environment variable TRACKER_SECRET is not set", "keptLastGood": False,
    }]
    # Per credential, names and booleans only: the console marks each missing secret.
    assert status["secrets"]["tracker"] == {"TRACKER_TOKEN": False}
    assert all(status["secrets"]["payments"].values()) and status["secrets"]["payments"]
    assert SECRET not in (events / "proxy-status.json").read_text()


def test_records_the_url_override_headers_it_stripped(addon):
    # A refusal decided after stripping carries the list; the record must still fit the contract
    # the gateway reads it with (the addon fixture checks every record against the schema).
    flow = flow_to("api.pay.test", method="DELETE", headers=[("X-Original-URL", "/admin")])
    run(addon.request, flow)
    assert flow.response.status_code == 403
    entry = json.loads((addon.events_path / f"{EXEC}.jsonl").read_text())
    assert entry["decision"] == "restrict" and entry["stripped"] == ["X-Original-URL"]


def test_keeps_records_short_however_long_the_path(addon):
    # The code chooses the path's length; the gateway reads every record back.
    flow = flow_to("api.pay.test", method="DELETE", path="/v1/" + "a" * 60_000)
    run(addon.request, flow)
    entry = json.loads((addon.events_path / f"{EXEC}.jsonl").read_text())
    assert entry["decision"] == "restrict" and len(entry["path"]) <= 2049 and entry["path"].endswith("…")
