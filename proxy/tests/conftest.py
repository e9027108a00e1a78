import asyncio
import base64
import ipaddress
import json
import os
import sys
import time

import pytest
from mitmproxy.test import taddons, tflow, tutils

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "addons"))

import airlock_egress  # noqa: E402
import execution_identity  # noqa: E402
import jsonschema  # noqa: E402

with open(os.path.join(os.path.dirname(__file__), "..", "addons", "egress-event.schema.json"), encoding="utf-8") as fh:
    EVENT_VALIDATOR = jsonschema.Draft202012Validator(json.load(fh))

SECRET = "sk_test_51HqLyjWDarjtT1zdp7dc"
OTHER_SECRET = "ghp_0123456789abcdefABCDEF"


def write_api(apis_dir, name, config):
    folder = apis_dir / name
    folder.mkdir(exist_ok=True)
    (folder / "config.json").write_text(config if isinstance(config, str) else json.dumps(config))


PAYMENTS = {
    "description": "Payments",
    "domains": ["api.pay.test"],
    "credentials": {
        "PAY_API_TOKEN": {
            "headers": ["Authorization", "X-Api-Key"],
            "query": ["key"],
            "basicAuth": True,
            "value": {"env": "PAY_SECRET"},
        },
        "PAY_READ_TOKEN": {
            "headers": ["X-Read-Token"],
            "value": {"env": "PAY_READ_SECRET"},
            "methods": ["GET"],
            "paths": ["/v1/charges*"],
        },
    },
    "restrictedMethods": ["DELETE"],
    "redact": ["jane@example.com"],
    "ports": [443, 8443],
    "plainHttpPorts": [8080],
}

TRACKER = {
    "description": "Issue tracker",
    "domains": ["api.tracker.test"],
    "credentials": {"TRACKER_TOKEN": {"headers": ["Authorization"], "value": {"env": "TRACKER_SECRET"}}},
}


@pytest.fixture
def apis_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("PAY_SECRET", SECRET)
    monkeypatch.setenv("PAY_READ_SECRET", "read_only_secret_value_42")
    monkeypatch.setenv("TRACKER_SECRET", OTHER_SECRET)
    write_api(tmp_path, "payments", PAYMENTS)
    write_api(tmp_path, "tracker", TRACKER)
    return tmp_path


KEY = b"0123456789abcdef" * 4
EXEC = "ab" * 16


def auth(exec_id=EXEC, expires=None, key=KEY):
    token = execution_identity.mint(key, exec_id, expires or int(time.time()) + 60)
    return "Basic " + base64.b64encode(f"airlock:{token}".encode()).decode()


def run(hook, flow):
    """Hooks are coroutines (DNS look-ups in open egress); drive one to its end."""
    result = hook(flow)
    if asyncio.iscoroutine(result):
        asyncio.run(result)


# A stand-in DNS: names under .public.test are public, .inside.test private, the rest fail.
ADDRESSES = {"elsewhere.test": ["93.184.215.14"], "metadata.test": ["169.254.169.254"],
             "lan.test": ["10.1.2.3"], "mixed.test": ["93.184.215.14", "127.0.0.1"], "mapped.test": ["::ffff:127.0.0.1"]}


async def fake_resolve(host, port):
    if host in ADDRESSES:
        return ADDRESSES[host]
    try:
        ipaddress.ip_address(host)
        return [host]
    except ValueError:
        raise OSError("name does not resolve") from None


def write_key(tmp_path):
    key = tmp_path / "auth-key"
    key.write_bytes(KEY + b"\n")
    return key


@pytest.fixture
def addon(apis_dir, tmp_path):
    instance = airlock_egress.AirlockEgress(resolver=fake_resolve)
    events = tmp_path / "events"
    events.mkdir()
    key = write_key(tmp_path)
    with taddons.context(instance) as tctx:
        tctx.configure(instance, rawtcp=False, websocket=False, airlock_apis_dir=str(apis_dir), airlock_events_dir=str(events), airlock_auth_key=str(key))
        instance.tctx = tctx
        instance.events_path = events
        yield instance
    # Every record a test made the addon write must fit the contract the gateway reads them with.
    for path in events.glob("*.jsonl"):
        for line in path.read_text().splitlines():
            EVENT_VALIDATOR.validate(json.loads(line))


def flow_to(host, path="/v1/x", method="GET", headers=(), content=b"", port=443, scheme="https", sni=None,
            proxy_auth=True, host_header=True):
    headers = list(headers)
    if host_header and not any(k.lower() == "host" for k, _ in headers):
        headers.append(("Host", host if port == {"https": 443, "http": 80}[scheme] else f"{host}:{port}"))
    if proxy_auth:
        headers.append(("Proxy-Authorization", auth() if proxy_auth is True else proxy_auth))
    req = tutils.treq(host=host, port=port, scheme=scheme.encode(), path=path.encode(), method=method.encode(),
                      headers=[(k.encode(), v.encode()) for k, v in headers], content=content)
    flow = tflow.tflow(req=req)
    flow.client_conn.sni = (sni or host) if scheme == "https" else None
    return flow


def connect_to(host, port=443, proxy_auth=True):
    headers = [(b"proxy-authorization", (auth() if proxy_auth is True else proxy_auth).encode())] if proxy_auth else []
    return tflow.tflow(req=tutils.treq(method=b"CONNECT", host=host, port=port, path=b"", scheme=b"",
                                       authority=f"{host}:{port}".encode(), headers=headers, content=b""))


def deliver(addon, flow, resp, chunk=4096):
    """Plays a response through the addon as mitmproxy does: headers hook, then the body through
    the stream callable (or buffered when there is none), then the response hook. Returns what
    the client receives and whether the flow was killed (the client then sees a broken response)."""
    body = resp.raw_content or b""
    resp.data.content = None
    flow.response = resp
    run(addon.responseheaders, flow)
    stream = flow.response.stream
    if callable(stream):
        out = []
        for start in range(0, len(body), chunk):
            out += stream(body[start:start + chunk])
        out += stream(b"")
        assert all(out), "an empty chunk would end a chunked body early"
        client = b"".join(out)
    else:
        flow.response.data.content = flow.response.data.content or body
        client = None
    run(addon.response, flow)
    if client is None:
        client = flow.response.raw_content or b""
    killed = flow.error is not None and "killed" in flow.error.msg.lower()
    return client, killed
