"""Airlock's egress policy as a mitmproxy addon: allowlist, credentials, restrictions, scrubbing.

Every decision is made on the request's real destination (the CONNECT target, or the host of an
absolute-form URL: what mitmproxy connects to), never on the Host header the code controls.
Deno's --allow-net in the sandbox is the first layer; this is the one that holds if it fails.
"""
import base64
import os
import shutil
import sys

from mitmproxy import ctx, exceptions, http

sys.path.insert(0, os.path.dirname(__file__))
from api_config import ApiRegistry, load_validator  # noqa: E402
from egress_events import EXEC_ID, EgressEvents  # noqa: E402
from egress_policy import (  # noqa: E402
    USER_AGENT,
    Scrubber,
    api_for_host,
    inject,
    redact,
    restricted_method,
)


def synthetic(flow, status, decision, message):
    """Answers the flow ourselves; the response hook leaves such answers alone."""
    flow.metadata["airlock_synthetic"] = True
    flow.response = http.Response.make(
        status,
        message + "\n",
        {"content-type": "text/plain; charset=utf-8", "x-airlock-decision": decision},
    )


def execution_of(proxy_authorization):
    """The execution id the sandbox launcher put in its proxy URL (user 'airlock', password = id)."""
    scheme, _, token = (proxy_authorization or "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        user, _, password = base64.b64decode(token, validate=True).decode().partition(":")
    except (ValueError, UnicodeDecodeError):
        return None
    return password if user == "airlock" and EXEC_ID.match(password) else None


class AirlockEgress:
    def __init__(self):
        self.registry = None
        self.events = None
        self.exec_of_client = {}
        self._scrubber = (None, None)

    def scrubber(self, echoes):
        """The scrubber for all loaded credentials, rebuilt only when the APIs change; a request
        that produced its own encoded forms (a Basic header) gets one with those added."""
        generation, cached = self._scrubber
        if generation != self.registry.generation:
            cached = Scrubber(self.registry.all_credentials())
            self._scrubber = (self.registry.generation, cached)
        return Scrubber(self.registry.all_credentials(), echoes) if echoes else cached

    def load(self, loader):
        loader.add_option("airlock_apis_dir", str, "/apis", "Folder holding apis/<name>/config.json")
        loader.add_option("airlock_events_dir", str, "", "Folder for per-execution egress event files")
        loader.add_option("airlock_open_egress", bool, False, "Allow any host (no credentials outside APIs)")
        loader.add_option(
            "airlock_ca_public", str, "", "Where to publish the proxy CA's public certificate for the sandbox"
        )

    def configure(self, updated):
        # Events first: loading the APIs may already report a broken config through them.
        if "airlock_events_dir" in updated or self.events is None:
            self.events = EgressEvents(ctx.options.airlock_events_dir or None)
        if "airlock_apis_dir" in updated or self.registry is None:
            if not os.path.isdir(ctx.options.airlock_apis_dir):
                raise exceptions.OptionsError(f"airlock_apis_dir {ctx.options.airlock_apis_dir} is not a folder")
            self.registry = ApiRegistry(ctx.options.airlock_apis_dir, load_validator(), on_problem=self._problem)
        self.registry.refresh(force=True)

    def running(self):
        # Publish only the certificate: the CA's private key stays in the proxy's own volume.
        target = ctx.options.airlock_ca_public
        if not target:
            return
        source = os.path.join(os.path.expanduser(ctx.options.confdir), "mitmproxy-ca-cert.pem")
        shutil.copyfile(source, target + ".tmp")
        os.chmod(target + ".tmp", 0o644)
        os.replace(target + ".tmp", target)

    def _problem(self, problem, kept_previous):
        self.events.record(
            "config-invalid", file=problem.file, field=problem.field, message=problem.message,
            kept_last_good=kept_previous,
        )

    def client_disconnected(self, client):
        self.exec_of_client.pop(client.id, None)

    # --- requests -------------------------------------------------------------------------

    def http_connect(self, flow):
        exec_id = execution_of(flow.request.headers.get("proxy-authorization"))
        if exec_id:
            self.exec_of_client[flow.client_conn.id] = exec_id
        self.registry.refresh()
        host = flow.request.host
        if api_for_host(self.registry.active(), host) is None and not ctx.options.airlock_open_egress:
            self._deny(flow, exec_id, host)

    def request(self, flow):
        if flow.response is not None:
            return
        exec_id = self.exec_of_client.get(flow.client_conn.id) or execution_of(
            flow.request.headers.get("proxy-authorization")
        )
        flow.request.headers.pop("proxy-authorization", None)
        flow.metadata["airlock_exec"] = exec_id
        self.registry.refresh()
        req = flow.request
        host = req.host
        api = api_for_host(self.registry.active(), host)
        req.headers["user-agent"] = USER_AGENT
        if api is None:
            if ctx.options.airlock_open_egress:
                flow.metadata["airlock_api"] = None
                return
            return self._deny(flow, exec_id, host)
        flow.metadata["airlock_api"] = api.name
        base = {"api": api.name, "method": req.method, "host": host, "path": req.path.split("?", 1)[0]}

        restricted = restricted_method(api, req.method, req.headers.items(multi=True), req.query.items(multi=True))
        if restricted:
            synthetic(
                flow, 403, "restrict",
                f"airlock: {restricted} is restricted on API '{api.name}' by the operator's configuration. "
                "This is permanent configuration, not a transient error: do not retry.",
            )
            self.events.record("restrict", exec_id, **base, restricted=restricted)
            return

        result = inject(api, req.method, req.path, req.headers.items(multi=True), req.query.items(multi=True))
        redactions = 0
        headers, query = [], []
        for key, value in result.headers:
            value, hits = redact(value, api.redact)
            redactions += hits
            headers.append((key, value))
        for key, value in result.query:
            value, hits = redact(value, api.redact)
            redactions += hits
            query.append((key, value))
        # Headers first: set_content() below updates Content-Length, which must not be undone.
        if headers != list(req.headers.items(multi=True)):
            req.headers.clear()
            for key, value in headers:
                req.headers.add(key, value)
        if query != list(req.query.items(multi=True)):
            req.query = query
        if api.redact and req.raw_content:
            try:
                body = req.get_content(strict=True)
            except ValueError:
                synthetic(flow, 403, "deny", "airlock: the request body cannot be decoded, so it cannot be checked for redaction")
                self.events.record("deny", exec_id, **base, reason="undecodable body")
                return
            body, hits = redact(body, api.redact)
            if hits:
                req.set_content(body)
                redactions += hits
        flow.metadata["airlock_echoes"] = result.echoes
        flow.metadata["airlock_outbound"] = {"credentials": result.used, "redactions": redactions}

    def _deny(self, flow, exec_id, host):
        synthetic(
            flow, 403, "deny", f"airlock: egress to '{host}' is not allowed: no active API in apis/ lists this domain"
        )
        self.events.record("deny", exec_id, method=flow.request.method, host=host, reason="host not allowlisted")

    # --- responses ------------------------------------------------------------------------

    def response(self, flow):
        if flow.metadata.get("airlock_synthetic"):
            return
        scrubber = self.scrubber(flow.metadata.get("airlock_echoes", ()))
        exec_id = flow.metadata.get("airlock_exec")
        base = {"api": flow.metadata.get("airlock_api"), "method": flow.request.method, "host": flow.request.host,
                "path": flow.request.path.split("?", 1)[0], "status": flow.response.status_code}
        scrubbed, leaked = 0, False
        headers = []
        for key, value in flow.response.headers.items(multi=True):
            value, count, leak = scrubber.scrub(value)
            scrubbed += count
            leaked |= leak
            headers.append((key, value))
        if scrubbed:
            flow.response.headers.clear()
            for key, value in headers:
                flow.response.headers.add(key, value)
        if flow.response.raw_content:
            try:
                body = flow.response.get_content(strict=True)
            except ValueError:
                return self._block(flow, exec_id, base, "the response body cannot be decoded, so it cannot be checked for secrets")
            body, count, leak = scrubber.scrub(body)
            leaked |= leak
            if count:
                scrubbed += count
                flow.response.set_content(body)
        if leaked:
            return self._block(flow, exec_id, base, "the response carries an encoded credential value")
        # One line per request, written once its outcome is known.
        outbound = flow.metadata.get("airlock_outbound", {"credentials": [], "redactions": 0})
        if scrubbed:
            decision = "scrub"
        elif outbound["redactions"]:
            decision = "redact"
        elif outbound["credentials"]:
            decision = "inject"
        else:
            decision = "allow"
        self.events.record(decision, exec_id, **base, **outbound, scrubbed=scrubbed)

    def _block(self, flow, exec_id, base, reason):
        synthetic(flow, 502, "block", f"airlock: response blocked: {reason}")
        self.events.record("block", exec_id, **base, reason=reason)

    def error(self, flow):
        self.events.record(
            "error", flow.metadata.get("airlock_exec"), method=flow.request.method, host=flow.request.host,
            reason=str(flow.error),
        )


addons = [AirlockEgress()]
