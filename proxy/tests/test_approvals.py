import json

from approvals import ApprovalClient, answer_mac, excerpt
from conftest import PAYMENTS, SECRET, auth, deliver, flow_to, run, write_api
from mitmproxy.test import tutils

KEY = "k" * 64
RULES = [{"methods": ["POST"], "paths": ["/v1/refunds*"]}]


def gateway(outcome="approved", by="console", forge=None, raises=None, seen=None):
    """A stand-in for the gateway's approval endpoint."""
    async def post(body, key, timeout):
        question = json.loads(body)
        if seen is not None:
            seen.append((question, key))
        if raises:
            raise raises
        answer = {"id": question["id"], "outcome": outcome, "by": by, "mac": answer_mac(KEY, question["id"], outcome)}
        if forge:
            forge(answer)
        return 200, json.dumps(answer).encode()
    return post


def held_addon(addon, apis_dir, post, rules=RULES):
    write_api(apis_dir, "payments", {**PAYMENTS, "approvals": rules, "limits": {"requestsPerExecution": 50}})
    addon.registry.refresh(force=True)
    addon.tctx.configure(addon, airlock_approvals_url="http://gateway.test/approvals")
    addon.approvals = ApprovalClient("http://gateway.test/approvals", lambda: KEY, post=post)


def refund(path="/v1/refunds", method="POST", headers=(), content=b'{"charge": "ch_1", "amount": 500}'):
    return flow_to("api.pay.test", path=path, method=method, content=content,
                   headers=[("Authorization", "Bearer PAY_API_TOKEN"), *headers])


def records(addon):
    return [json.loads(line) for line in (addon.events_path / f"{'ab' * 16}.jsonl").read_text().splitlines()]


def test_an_approved_request_goes_out_with_its_credential_only_then(addon, apis_dir):
    seen = []
    held_addon(addon, apis_dir, gateway(seen=seen))
    flow = refund()
    run(addon.request, flow)
    assert flow.response is None
    assert flow.request.headers["authorization"] == f"Bearer {SECRET}"
    question, key = seen[0]
    assert key == KEY
    assert question | {"id": "-"} == {
        "execution": "ab" * 16, "api": "payments", "rule": 0, "method": "POST", "actsAs": [], "scheme": "https", "host": "api.pay.test",
        "port": 443, "path": "/v1/refunds", "destination": None, "credentials": ["PAY_API_TOKEN"],
        "excerpt": '{"charge": "ch_1", "amount": 500}', "encoded": False, "id": "-", "timeoutSeconds": 120,
    }
    deliver(addon, flow, tutils.tresp(content=b"ok"))
    assert records(addon)[-1]["approval"]["outcome"] == "approved"


def test_a_declined_request_is_refused_with_no_credential_and_its_ask_counted(addon, apis_dir):
    held_addon(addon, apis_dir, gateway(outcome="declined", by="elicitation"))
    flow = refund()
    run(addon.request, flow)
    assert flow.response.status_code == 403
    assert flow.response.headers["x-airlock-decision"] == "unapproved"
    assert b"a person declined it (elicitation)" in flow.response.content
    assert SECRET not in flow.request.headers["authorization"]
    record = records(addon)[-1]
    assert record["decision"] == "unapproved" and record["approval"]["outcome"] == "declined"
    # Every ask costs a place: a run cannot prompt a person again and again for free.
    assert addon.budgets.report("ab" * 16, [(("api", "payments"), "API", addon.registry.active()[0].limits)])[0]["used"] == 1


def test_requests_no_rule_matches_are_not_held(addon, apis_dir):
    seen = []
    held_addon(addon, apis_dir, gateway(seen=seen))
    for flow in (refund(method="GET"), refund(path="/v1/charges")):
        run(addon.request, flow)
        assert flow.response is None
    assert seen == []


def test_an_override_or_an_ambiguous_path_is_held_as_if_it_matched(addon, apis_dir):
    seen = []
    held_addon(addon, apis_dir, gateway(outcome="declined", seen=seen))
    override = refund(method="GET", headers=[("X-HTTP-Method-Override", "POST")], content=b"")
    run(addon.request, override)
    assert override.response.status_code == 403
    # No credential rides an ambiguous path anyway; without one it is still held.
    ambiguous = flow_to("api.pay.test", path="/v1/refunds%2F..%2Fx", method="POST", content=b"x")
    run(addon.request, ambiguous)
    assert ambiguous.response.status_code == 403 and len(seen) == 2


def test_fails_closed_on_any_answer_it_cannot_trust(addon, apis_dir):
    cases = [
        gateway(forge=lambda a: a.update(mac="0" * 64)),  # not signed with the key
        gateway(forge=lambda a: a.update(id="f" * 32, mac=answer_mac(KEY, "f" * 32, "approved"))),  # another request's
        gateway(forge=lambda a: a.update(outcome="yes")),
        gateway(raises=OSError("connection refused")),
    ]
    for post in cases:
        held_addon(addon, apis_dir, post)
        flow = refund()
        run(addon.request, flow)
        assert flow.response.status_code == 403, post
        assert SECRET not in flow.request.headers["authorization"]
    assert all(r["approval"]["outcome"] == "unavailable" for r in records(addon))


def test_refuses_held_requests_when_no_approval_service_is_configured(addon, apis_dir):
    held_addon(addon, apis_dir, gateway())
    addon.tctx.configure(addon, airlock_approvals_url="")
    flow = refund()
    run(addon.request, flow)
    assert flow.response.status_code == 403
    assert b"no approval service is configured" in flow.response.content


def test_the_excerpt_is_short_and_names_any_secret_value():
    body = (b"token=" + SECRET.encode() + b"&") * 100
    text = excerpt(body, [("PAY_API_TOKEN", SECRET)])
    assert SECRET not in text and "PAY_API_TOKEN" in text and text.endswith("…")
    assert len(text) < 600


def test_holds_only_a_few_requests_per_execution_at_once():
    import asyncio

    release = asyncio.Event()
    answered = []

    async def slow(body, key, timeout):
        question = json.loads(body)
        await release.wait()
        answered.append(question["id"])
        return 200, json.dumps({"id": question["id"], "outcome": "approved", "by": "console",
                                "mac": answer_mac(KEY, question["id"], "approved")}).encode()

    client = ApprovalClient("http://gateway.test/approvals", lambda: KEY, post=slow)

    async def scenario():
        asks = [asyncio.create_task(client.ask({"execution": "e1"}, 30)) for _ in range(6)]
        other = asyncio.create_task(client.ask({"execution": "e2"}, 30))
        await asyncio.sleep(0.01)
        release.set()
        return await asyncio.gather(*asks), await other

    mine, other = asyncio.run(scenario())
    assert [o for o, _ in mine].count("approved") == 4
    assert [o for o, _ in mine].count("unavailable") == 2
    assert other[0] == "approved" and client.held == {}


def test_asks_the_gateway_over_plain_asyncio_http():
    import asyncio

    seen = {}

    async def serve(reader, writer):
        head = await reader.readuntil(b"\r\n\r\n")
        length = int(next(line.split(b":")[1] for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")))
        question = json.loads(await reader.readexactly(length))
        seen["key"] = next(line.split(b":", 1)[1].strip() for line in head.split(b"\r\n") if line.lower().startswith(b"x-airlock-approval-key"))
        answer = json.dumps({"id": question["id"], "outcome": "declined", "by": "elicitation (decline)",
                             "mac": answer_mac(KEY, question["id"], "declined")}).encode()
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: " + str(len(answer)).encode() + b"\r\n\r\n" + answer)
        await writer.drain()
        writer.close()

    async def scenario():
        server = await asyncio.start_server(serve, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        async with server:
            client = ApprovalClient(f"http://127.0.0.1:{port}/approvals", lambda: KEY)
            return await client.ask({"execution": "e1", "api": "pay"}, 5)

    assert asyncio.run(scenario()) == ("declined", "elicitation (decline)")
    assert seen["key"] == KEY.encode()


def rule_addon(addon, apis_dir, rules, seen):
    held_addon(addon, apis_dir, gateway(outcome="declined", seen=seen), rules=rules)


def test_a_path_rule_holds_every_spelling_a_lenient_server_accepts(addon, apis_dir):
    seen = []
    rule_addon(addon, apis_dir, [{"paths": ["/v1/refunds*"]}, {"paths": ["/v1/payouts"]}], seen)
    for path in ["/V1/Refunds", "/v1/REFUNDS/re_1", "/v1/refunds.json", "/v1/refunds.", "/v1/refunds%20",
                 "/v1/payouts/", "/v1/Payouts.xml"]:
        flow = refund(path=path)
        run(addon.request, flow)
        assert flow.response is not None and flow.response.status_code == 403, path
    assert len(seen) == 7
    for path in ["/v1/refundsx", "/v1/payouts/po_1"]:
        flow = refund(path=path)
        run(addon.request, flow)
        assert flow.response is None, path


def test_a_method_rule_holds_body_overrides_head_and_methods_no_config_can_name(addon, apis_dir):
    seen = []
    write_api(apis_dir, "payments", {**PAYMENTS, "restrictedMethods": [], "credentials": {
        "PAY_API_TOKEN": {"headers": ["Authorization"], "value": {"env": "PAY_SECRET"}}},
        "approvals": [{"methods": ["DELETE"]}, {"methods": ["GET"], "paths": ["/v1/balance"]}]})
    addon.registry.refresh(force=True)
    addon.tctx.configure(addon, airlock_approvals_url="http://gateway.test/approvals")
    addon.approvals = ApprovalClient("http://gateway.test/approvals", lambda: KEY, post=gateway(outcome="declined", seen=seen))
    cases = [
        refund(path="/v1/customers/cu_1", content=b"_method=DELETE", headers=[("Content-Type", "application/x-www-form-urlencoded")]),
        refund(path="/v1/customers/cu_1", content=b'{"_method": "DELETE"}', headers=[("Content-Type", "application/json")]),
        refund(path="/v1/customers/cu_1", method="MERGE", content=b""),
        refund(path="/v1/balance", method="HEAD", content=b""),
    ]
    for flow in cases:
        run(addon.request, flow)
        assert flow.response is not None and flow.response.status_code == 403, flow.request.method
    assert seen[0][0]["actsAs"] == ["DELETE"]


def test_the_person_is_shown_what_decides_the_request(addon, apis_dir):
    import gzip

    seen = []
    rule_addon(addon, apis_dir, [{"paths": ["/v1/refunds*"]}], seen)
    flow = flow_to("api.pay.test", path="/v1/tmp/x", method="PUT", port=8443,
                   headers=[("Destination", "https://api.pay.test/v1/refunds/re_1"), ("X-HTTP-Method-Override", "MOVE"),
                            ("Content-Encoding", "gzip")],
                   content=gzip.compress('{"amount": 9999999}\n\x1b[2K\u202eevil'.encode()))
    run(addon.request, flow)
    question = seen[0][0]
    assert question["port"] == 8443 and question["destination"] == "https://api.pay.test/v1/refunds/re_1"
    assert "MOVE" in question["actsAs"] and question["encoded"] is True
    # The decoded body, on one line, every invisible character written out.
    assert question["excerpt"].startswith('{"amount": 9999999}\\u000a\\u001b[2K\\u202eevil')
    assert "\x1b" not in question["excerpt"] and "\n" not in question["excerpt"]


def test_only_printable_ascii_reaches_a_person():
    from approvals import visible

    # Marks that reorder digits, fillers and tag characters that hide text, and a backslash that
    # would make a literal '\\u0074o' look like one of our escapes.
    text = visible("IBAN \u061c00 13 \u3164\u00ad\U000e0041\ufe0f \\u0074o")
    assert all(" " <= c <= "~" for c in text)
    assert text == "IBAN \\u061c00 13 \\u3164\\u00ad\\U000e0041\\ufe0f \\\\u0074o"


def test_refuses_without_asking_when_the_body_cannot_be_decoded(addon, apis_dir):
    seen = []
    rule_addon(addon, apis_dir, RULES, seen)
    flow = refund(headers=[("Content-Encoding", "gzip")], content=b"not gzip at all")
    run(addon.request, flow)
    assert flow.response.status_code == 403 and seen == []


def test_an_execution_asks_a_person_at_most_ten_times():
    import asyncio

    async def declined(body, key, timeout):
        question = json.loads(body)
        return 200, json.dumps({"id": question["id"], "outcome": "declined", "by": "console",
                                "mac": answer_mac(KEY, question["id"], "declined")}).encode()

    client = ApprovalClient("http://gateway.test/approvals", lambda: KEY, post=declined)
    outcomes = [asyncio.run(client.ask({"execution": "e1"}, 5)) for _ in range(12)]
    assert [o for o, _ in outcomes].count("declined") == 10
    assert "asked for approval 10 times" in outcomes[-1][1]
    assert asyncio.run(client.ask({"execution": "e2"}, 5))[0] == "declined"


def approving_after(change):
    """A gateway that approves, but only after `change` altered the configs."""
    async def post(body, key, timeout):
        question = json.loads(body)
        change()
        return 200, json.dumps({"id": question["id"], "outcome": "approved", "by": "console",
                                "mac": answer_mac(KEY, question["id"], "approved")}).encode()
    return post


def test_never_sends_an_approved_request_under_a_changed_config(addon, apis_dir):
    def change():
        write_api(apis_dir, "tracker", {"description": "changed", "domains": ["api.tracker.test"]})
        addon.registry.refresh(force=True)

    held_addon(addon, apis_dir, approving_after(change))
    flow = refund()
    run(addon.request, flow)
    assert flow.response.status_code == 403 and b"configs changed" in flow.response.content


def test_a_rule_holds_escaped_spellings_and_its_own_pattern_is_read_loosely(addon, apis_dir):
    seen = []
    rule_addon(addon, apis_dir, [{"paths": ["/v1/projects/p1:undelete"]}, {"paths": ["/v1/refunds/"]},
                                 {"paths": ["/v1/payouts.json"]}, {"methods": ["GET"], "paths": ["/v1/customers*"]}], seen)
    cases = [
        ("POST", "/v1/projects/p1%3Aundelete"), ("POST", "/v1/refunds"), ("POST", "/V1/REFUNDS.json"),
        ("POST", "/v1/payouts"), ("POST", "/v1/payouts.xml"), ("PROPFIND", "/v1/customers/export"),
        ("QUERY", "/v1/customers"),
    ]
    for method, path in cases:
        flow = refund(path=path, method=method, content=b"")
        run(addon.request, flow)
        assert flow.response is not None and flow.response.status_code == 403, (method, path)
    assert len(seen) == len(cases)


def test_sees_a_config_change_made_while_it_waited_with_no_other_traffic(addon, apis_dir):
    import os

    def quiet_change():
        # Nothing else re-reads apis/ meanwhile: the proxy must look again itself.
        write_api(apis_dir, "payments", {**PAYMENTS, "active": False, "approvals": RULES})
        os.utime(apis_dir / "payments" / "config.json", ns=(10**18, 10**18))

    held_addon(addon, apis_dir, approving_after(quiet_change))
    flow = refund()
    run(addon.request, flow)
    assert flow.response.status_code == 403 and b"configs changed" in flow.response.content
    assert SECRET not in flow.request.headers["authorization"]
