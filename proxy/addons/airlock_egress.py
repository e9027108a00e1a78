"""Airlock's egress policy as a mitmproxy addon: identity, allowlist, transport, credentials, scrubbing.

Every decision is made on the request's real destination (the CONNECT target, or the host of an
absolute-form URL: what mitmproxy connects to); the Host header, :authority and SNI the code
chose must all name that destination. Deno's --allow-net in the sandbox is the first layer; this
is the one that holds if it fails. Every hook fails closed: an exception answers the flow with an
error of our own instead of letting mitmproxy pass it on untouched.
"""
import asyncio
import functools
import os
import sys
import time
import traceback
import urllib.parse

from mitmproxy import ctx, exceptions, http
from mitmproxy import flow as flow_module

sys.path.insert(0, os.path.dirname(__file__))
import body_decoding  # noqa: E402
import destination  # noqa: E402
import effective_method  # noqa: E402
import execution_identity  # noqa: E402
import field_syntax  # noqa: E402
import path_scope  # noqa: E402
from api_config import ApiRegistry, load_validator  # noqa: E402
from approvals import ApprovalClient, excerpt, visible  # noqa: E402
from budgets import Budgets, budgets_for  # noqa: E402
from ca_publication import CaPublication  # noqa: E402
from egress_events import EgressEvents  # noqa: E402
from response_stream import ResponseStream  # noqa: E402
from egress_policy import USER_AGENT, api_for_host, inject, redact  # noqa: E402
from header_names import HeaderNameCheck  # noqa: E402
from hidden_forms import DeepScrubber  # noqa: E402
from secret_views import SecretScrubber  # noqa: E402

# Response bodies up to this size are held whole and checked once; larger ones are released as
# they are checked, behind an overlap window (response_stream.py).
HOLD_BYTES = 1 << 20


def window_for(scrubber):
    """An overlap window longer than any form a view can decode into a secret: percent-encoding
    of a JSON \\u escape is 8 bytes a character, base64 of that 11; 32 leaves room for stacking."""
    return 32 * scrubber.longest + 256


# Request bodies larger than this are not parsed for a method override: one is then assumed
# possible (fail closed) where it matters. Parsing is linear but slow in Python.
OVERRIDE_BODY_LIMIT = 8 << 20


def synthetic(flow, status, decision, message, headers=()):
    """Answers the flow ourselves; the response hook leaves such answers alone."""
    flow.metadata["airlock_synthetic"] = True
    flow.response = http.Response.make(
        status,
        message + "\n",
        {"content-type": "text/plain; charset=utf-8", "x-airlock-decision": decision, **dict(headers)},
    )


def read_key_file(path):
    if not path:
        raise OSError("airlock_approvals_key is not set")
    with open(path, encoding="utf-8") as fh:
        return fh.read().strip()


def refusal_message(method, host, path, api_name, approval, why):
    """What the code reads when a held request does not go out: enough for the model to act on."""
    why = {
        "declined": f"a person declined it ({approval['by']})",
        "timeout": f"no one answered within the approval timeout ({approval['by']})",
        "unavailable": f"no one could be asked: {why}",
    }.get(approval["outcome"], approval["outcome"])
    return (f"airlock: {method} https://{host}{path} needs a person's approval on API '{api_name}' and was not "
            f"approved: {why}. Nothing was sent. Do not retry it in a loop: tell the user what you wanted to do "
            "and let them decide.")


def is_upgrade(headers):
    """A request that asks to switch protocols, however it says so (mitmproxy switches to
    WebSocket on a 101 answer even without an Upgrade header in the request)."""
    connection = ",".join(headers.get_all("connection")).lower()
    return bool(
        headers.get_all("upgrade") or "upgrade" in connection
        or any(name.lower().startswith("sec-websocket-") for name in headers.keys())
    )


def break_flow(flow):
    """Aborts a flow whose headers already went out: the client sees a broken response."""
    if flow.killable:
        flow.kill()
    else:
        flow.error = flow_module.Error(flow_module.Error.KILLED_MESSAGE)


def fail_closed(hook):
    """An exception inside a hook must never let mitmproxy forward the flow as it is."""

    @functools.wraps(hook)
    async def guarded(self, flow):
        try:
            result = hook(self, flow)
            if asyncio.iscoroutine(result):
                await result
        except Exception as err:  # noqa: BLE001 - every failure is answered and logged
            self.events.record(
                "error", flow.metadata.get("airlock_exec"), hook=hook.__name__,
                method=flow.request.method, host=flow.request.host, reason=f"{type(err).__name__}: {err}",
            )
            print(traceback.format_exc(), file=sys.stderr)
            message = f"the proxy could not check this {hook.__name__}, so it was refused"
            if hook.__name__ == "responseheaders":
                # A plain synthetic answer here would be overwritten by the upstream body.
                self._block_early(flow, message)
            elif hook.__name__ == "response" and flow.response is not None and flow.response.stream:
                break_flow(flow)
            else:
                synthetic(flow, 502, "block", f"airlock: {message}")

    return guarded


async def resolve(host, port):
    """The addresses a name resolves to, without blocking the event loop."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=1)
    return [info[4][0] for info in infos]


class AirlockEgress:
    def __init__(self, resolver=resolve):
        self.resolve = resolver
        self.registry = None
        self.events = None
        self.auth_key = None
        self.allowed_networks = ()
        # Identity proven on a client connection (a CONNECT, or an earlier plain request).
        self.identity_of_client = {}
        # Upstream connections pinned to a checked address (open egress): server id -> the name.
        self.pinned_name = {}
        self._scrubber = (None, None)
        self._names = (None, None)
        self.budgets = None
        self.approvals = None

    def scrubber(self, echoes):
        """The scrubber for all loaded credentials, rebuilt only when the APIs change; a request
        that produced its own encoded forms (a Basic header) gets one with those added."""
        generation, cached = self._scrubber
        if generation != self.registry.generation:
            cached = DeepScrubber(SecretScrubber(self.registry.all_credentials()))
            self._scrubber = (self.registry.generation, cached)
        return DeepScrubber(SecretScrubber(self.registry.all_credentials(), echoes)) if echoes else cached

    def header_names(self):
        """The folded header-name check for all loaded credentials, rebuilt when the APIs change."""
        generation, cached = self._names
        if generation != self.registry.generation:
            cached = HeaderNameCheck(self.registry.all_credentials())
            self._names = (self.registry.generation, cached)
        return cached

    def load(self, loader):
        loader.add_option("airlock_apis_dir", str, "/apis", "Folder holding apis/<name>/config.json")
        loader.add_option("airlock_events_dir", str, "", "Folder for per-execution egress event files")
        loader.add_option("airlock_open_egress", bool, False, "Allow any public host (no credentials outside APIs)")
        loader.add_option(
            "airlock_open_egress_networks", str, "",
            "Comma-separated CIDRs that open egress may reach although they are not public (default: none)",
        )
        loader.add_option("airlock_auth_key", str, "", "File holding the key that signs execution tokens")
        loader.add_option("airlock_body_limit", int, 64 << 20, "Largest decoded response body, in bytes")
        loader.add_option("airlock_approvals_url", str, "", "The gateway's approval endpoint (empty: every held request is refused)")
        loader.add_option("airlock_approvals_key", str, "", "File holding the key shared with the gateway's approval endpoint")
        loader.add_option("airlock_approval_timeout", int, 120, "Longest wait for a person's decision, in seconds")
        loader.add_option(
            "airlock_events_keep_seconds", int, 600,
            "How long per-execution event files are kept: longer than the longest execution may run",
        )

    def configure(self, updated):
        # Events first: loading the APIs may already report a broken config through them.
        if "airlock_events_dir" in updated or "airlock_events_keep_seconds" in updated or self.events is None:
            self.events = EgressEvents(ctx.options.airlock_events_dir or None, keep_seconds=ctx.options.airlock_events_keep_seconds)
        if "airlock_approvals_url" in updated or "airlock_approvals_key" in updated or self.approvals is None:
            key_file = ctx.options.airlock_approvals_key
            self.approvals = ApprovalClient(ctx.options.airlock_approvals_url, lambda: read_key_file(key_file))
        if self.budgets is None:
            # Per-execution counts live as long as an execution may: the event files' horizon.
            self.budgets = Budgets(keep_seconds=ctx.options.airlock_events_keep_seconds)
        if "airlock_auth_key" in updated or self.auth_key is None:
            path = ctx.options.airlock_auth_key
            if not path:
                raise exceptions.OptionsError("airlock_auth_key is not set: without it no execution can be identified")
            try:
                self.auth_key = execution_identity.load_key(path)
            except (OSError, ValueError) as err:
                raise exceptions.OptionsError(f"airlock_auth_key: {err}") from err
        # Raw TCP and WebSocket flows bypass the HTTP hooks, and kill() does not stop them in
        # mitmproxy 8: they must be off, or the proxy does not start.
        for option in ("rawtcp", "websocket"):
            if getattr(ctx.options, option, False):
                raise exceptions.OptionsError(f"{option} must be off: such flows would pass unchecked")
        if "airlock_open_egress_networks" in updated:
            try:
                self.allowed_networks = destination.parse_networks(ctx.options.airlock_open_egress_networks)
            except ValueError as err:
                raise exceptions.OptionsError(f"airlock_open_egress_networks: {err}") from err
        if "airlock_apis_dir" in updated or self.registry is None:
            if not os.path.isdir(ctx.options.airlock_apis_dir):
                raise exceptions.OptionsError(f"airlock_apis_dir {ctx.options.airlock_apis_dir} is not a folder")
            self.registry = ApiRegistry(ctx.options.airlock_apis_dir, load_validator(), on_problem=self._problem)
        self._refresh(force=True)

    def _refresh(self, force=False):
        """Re-reads apis/ when due; publishes the proxy's view whenever the set of files changed."""
        generation = self.registry.generation
        self.registry.refresh(force=force)
        if force or self.registry.generation != generation:
            self.events.publish_status({
                "loaded": sorted(a.name for a in self.registry.active()),
                "problems": [
                    {"file": p.file, "field": p.field, "message": p.message, "keptLastGood": kept}
                    for p, kept in self.registry.problems
                ],
                "secrets": self.registry.secrets,
            })

    @property
    def body_limit(self):
        return ctx.options.airlock_body_limit

    async def _watch_configs(self):
        """apis/ is re-read on requests; also every second without them, so the status the
        gateway shows (which APIs loaded, which secrets are missing) is never stale."""
        while True:
            await asyncio.sleep(1)
            try:
                self._refresh()
            except Exception as err:  # noqa: BLE001 - the watcher must outlive a bad scan
                print(f"airlock: config watch failed: {err}", file=sys.stderr)

    def running(self):
        self._watcher = asyncio.get_running_loop().create_task(self._watch_configs())

    def _problem(self, problem, kept_previous):
        self.events.record(
            "config-invalid", file=problem.file, field=problem.field, message=problem.message,
            kept_last_good=kept_previous,
        )

    def client_disconnected(self, client):
        self.identity_of_client.pop(client.id, None)

    def server_disconnected(self, data):
        self.pinned_name.pop(data.server.id, None)

    # --- identity -------------------------------------------------------------------------

    def _identify(self, flow):
        """The execution id behind this flow, or None. Pops Proxy-Authorization either way: it
        must never travel upstream."""
        header = flow.request.headers.pop("proxy-authorization", None)
        identity = execution_identity.from_proxy_authorization(self.auth_key, header) if header else None
        if identity is None:
            identity = self.identity_of_client.get(flow.client_conn.id)
            if identity is not None and identity[1] < time.time():
                identity = None
        if identity is None:
            return None
        self.identity_of_client[flow.client_conn.id] = identity
        flow.metadata["airlock_exec"] = identity[0]
        return identity[0]

    def _refuse_identity(self, flow):
        synthetic(
            flow, 407, "deny",
            "airlock: proxy authentication required: only executions started by the Airlock sandbox may use this proxy",
            {"proxy-authenticate": 'Basic realm="airlock"'},
        )
        self.events.record(
            "deny", method=flow.request.method, host=flow.request.host, reason="no current execution identity",
            peer=flow.client_conn.peername[0] if flow.client_conn.peername else None,
        )

    # --- requests -------------------------------------------------------------------------

    @fail_closed
    async def http_connect(self, flow):
        exec_id = self._identify(flow)
        if exec_id is None:
            return self._refuse_identity(flow)
        self._refresh()
        host, port = destination.normalise_host(flow.request.host), flow.request.port
        api = api_for_host(self.registry.active(), host)
        if api is None:
            if not ctx.options.airlock_open_egress:
                return self._deny(flow, exec_id, host, "host not allowlisted",
                                  f"egress to '{host}' is not allowed: no active API in apis/ lists this domain")
            # Open egress judges the address inside the tunnel (a 403 the code can read; a refused
            # CONNECT reaches fetch() only as "unsuccessful tunnel") and again at connect time.
            return
        if not destination.connect_port_allowed(api, port):
            return self._deny(flow, exec_id, host, f"port {port} not allowed",
                              destination.transport_for(api, "https", port).reason)

    @fail_closed
    async def request(self, flow):
        if flow.response is not None:
            return
        exec_id = self._identify(flow)
        if exec_id is None:
            return self._refuse_identity(flow)
        self._refresh()
        req = flow.request
        # A pinned connection carries the checked address as its host; judge the name it stands for.
        host = self.pinned_name.get(flow.server_conn.id) or destination.normalise_host(req.host)
        port, scheme = req.port, req.scheme
        base = {"method": req.method, "host": host, "port": port, "path": req.path.split("?", 1)[0]}
        malformed = field_syntax.request_problem(
            req.data.method, req.data.path, req.headers.fields, req.trailers.fields if req.trailers else (),
        )
        if malformed:
            synthetic(flow, 400, "deny", f"airlock: malformed request: {malformed}")
            self.events.record("deny", exec_id, **base, reason=f"malformed request: {malformed}")
            return
        if req.http_version == "HTTP/2.0" and req.raw_content and "content-length" not in req.headers:
            # HTTP/2 frames a body without a length; mitmproxy writes none to an HTTP/1.1 upstream,
            # which would then read the body as a request of its own that nobody judged.
            req.headers["content-length"] = str(len(req.raw_content))
        if is_upgrade(req.headers):
            # WebSocket (or any switch of protocol): its messages would pass unchecked.
            synthetic(flow, 403, "deny", "airlock: protocol upgrades (WebSocket) are not relayed: their messages cannot be checked for credentials")
            self.events.record("deny", exec_id, **base, reason="protocol upgrade")
            return
        mismatch = destination.binding_error(
            host, port, scheme, req.headers.get_all("host"),
            req.authority if req.http_version == "HTTP/2.0" else None,
            flow.client_conn.sni, scheme == "https",
        )
        if mismatch:
            synthetic(flow, 421, "deny", f"airlock: misdirected request: {mismatch}. Send it to the host it names.")
            self.events.record("deny", exec_id, **base, reason=f"misdirected: {mismatch}")
            return
        # Forward the judged name exactly, never the code's spelling of it: a front end that
        # routes on the literal Host ('API.Pay.Test.', ':0443') could pick another tenant.
        canonical = host if destination.DEFAULT_PORTS.get(scheme) == port else f"{host}:{port}"
        if "host" in req.headers:
            req.headers["host"] = canonical
        if req.http_version == "HTTP/2.0":
            req.authority = canonical
        api = api_for_host(self.registry.active(), host)
        req.headers["user-agent"] = USER_AGENT
        # Only codings the proxy decodes exactly; anything else would be blocked on the way back.
        req.headers["accept-encoding"] = "gzip, deflate, br, zstd"
        if api is None:
            if not ctx.options.airlock_open_egress:
                return self._deny(flow, exec_id, host, "host not allowlisted",
                                  f"egress to '{host}' is not allowed: no active API in apis/ lists this domain")
            flow.metadata["airlock_api"] = None
            return await self._check_open_destination(flow, exec_id, host, port)
        flow.metadata["airlock_api"] = api.name
        base["api"] = api.name

        transport = destination.transport_for(api, scheme, port)
        if not transport.allowed:
            synthetic(flow, 403, "deny", f"airlock: {transport.reason}")
            self.events.record("deny", exec_id, **base, reason=f"{scheme} on port {port} not allowed")
            return

        kept, stripped = path_scope.strip_url_override_headers(req.headers.items(multi=True))
        if stripped:
            # A front end may route by these instead of the path the scope was judged on.
            req.headers.clear()
            for key, value in kept:
                req.headers.add(key, value)
            base["stripped"] = stripped
        methods = self._effective_methods(api, req)
        restricted = effective_method.restricted_hit(api.restricted, methods)
        if restricted:
            what = ("a method override that cannot be ruled out (the body cannot be read)"
                    if restricted == effective_method.UNKNOWN else restricted)
            synthetic(
                flow, 403, "restrict",
                f"airlock: {what} is restricted on API '{api.name}' by the operator's configuration. "
                "This is permanent configuration, not a transient error: do not retry.",
            )
            self.events.record("restrict", exec_id, **base, restricted=restricted)
            return

        views = [path_scope.analyse_path(req.path)]
        if "destination" in req.headers:
            # WebDAV COPY/MOVE act on a second path: it must be in scope too.
            views.append(path_scope.analyse_path(urllib.parse.urlsplit(req.headers["destination"]).path or "/"))
        ambiguous = next((v.ambiguous for v in views if v.ambiguous), None)
        headers_in, query_in = req.headers.items(multi=True), req.query.items(multi=True)
        if ambiguous and inject(api, headers_in, query_in).used:
            synthetic(
                flow, 403, "deny",
                f"airlock: the path is ambiguous ({ambiguous}): servers may read it differently, so no credential "
                "is injected into it. Write the path plainly (no encoded slashes, dot segments or ';' parameters).",
            )
            self.events.record("deny", exec_id, **base, reason=f"ambiguous path: {ambiguous}")
            return
        result = inject(api, headers_in, query_in, in_scope=lambda cred: cred.in_scope(methods, views))
        if result.used and not transport.tls:
            synthetic(
                flow, 403, "deny",
                f"airlock: credentials travel only over HTTPS: {', '.join(result.used)} would cross the network in "
                f"cleartext on http://{host}:{port}. Use an https:// URL.",
            )
            self.events.record("deny", exec_id, **base, reason="credential over plain HTTP", credentials=result.used)
            return
        budgets = budgets_for(api, result.used)
        over = self.budgets.take(exec_id, budgets) if budgets else None
        if over:
            synthetic(flow, 429, "limit", over.message(), {"retry-after": str(over.retry_after)} if over.retry_after else {})
            self.events.record("limit", exec_id, **base, reason=f"{over.what}: {over.limit} per {over.per}", credentials=result.used)
            return
        # Before anything is put in: a held request carries no credential until a person says yes.
        # Asked before anything is put in: a held request carries no credential until a person says yes.
        approval = None
        rule = next((i for i, r in enumerate(api.approvals) if r.matches(methods, views)), None)
        if rule is not None:
            approval, why = await self._ask_person(flow, exec_id, host, api, rule, result.used, methods, views)
            if approval["outcome"] != "approved":
                # The place stays taken: every ask counts against the budget, so a run cannot
                # put prompt after prompt in front of a person for free.
                synthetic(flow, 403, "unapproved", refusal_message(req.method, host, req.path, api.name, approval, why))
                self.events.record("unapproved", exec_id, **base, credentials=result.used, approval=approval,
                                   reason=why or f"{approval['outcome']} by {approval['by']}")
                return
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
        if api.redact:
            # A help for well-behaved code, not a boundary: code can always encode what it sends.
            path, sep, rest = req.path.partition("?")
            path, hits = redact(path, api.redact)
            if hits:
                req.path = path + sep + rest
                redactions += hits
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
        if budgets:
            flow.metadata["airlock_outbound"]["budgets"] = self.budgets.report(exec_id, budgets)
        if approval:
            flow.metadata["airlock_outbound"]["approval"] = approval

    async def _ask_person(self, flow, exec_id, host, api, rule, credentials, methods, views):
        """Holds the flow until the gateway says what a person decided: ({outcome, by, waitedMs},
        why no one could be asked or None). The person is shown what decides the request: the
        method(s) the upstream may act on, the port, a WebDAV Destination, the decoded body."""
        started = time.monotonic()
        req = flow.request

        def answered(outcome, by):
            unavailable = outcome == "unavailable"
            approval = {"outcome": outcome, "by": "none" if unavailable else by, "waitedMs": int((time.monotonic() - started) * 1000)}
            return approval, by if unavailable else None

        if not ctx.options.airlock_approvals_url:
            return answered("unavailable", "no approval service is configured")
        try:
            body = body_decoding.decode_body(req.raw_content, req.headers.get("content-encoding"), OVERRIDE_BODY_LIMIT)
        except body_decoding.UndecodableBody:
            return answered("unavailable", "the request body cannot be decoded, so a person could not be shown it")
        generation = self.registry.generation
        question = {
            "execution": exec_id, "api": api.name, "rule": rule, "method": req.method,
            "actsAs": sorted(m for m in methods if m != req.method),
            "scheme": req.scheme, "host": host, "port": req.port, "path": visible(req.path),
            "destination": visible(req.headers["destination"][:2048]) if "destination" in req.headers else None,
            "credentials": sorted(credentials),
            "excerpt": excerpt(body, [(c.name, c.value) for c in self.registry.all_credentials()]),
            "encoded": bool(req.headers.get("content-encoding")),
        }
        outcome, by = await self.approvals.ask(question, ctx.options.airlock_approval_timeout)
        # Re-read apis/ now: a change made while it waited must be seen even with no other traffic.
        self.registry.refresh(force=True)
        if outcome == "approved" and self.registry.generation != generation:
            # What was approved was judged under the old config: never send it under a new one.
            return answered("unavailable", "the API configs changed while it waited; send it again to be asked anew")
        return answered(outcome, by)

    def _effective_methods(self, api, req):
        """Every method the upstream might act on. The body is read only where the answer matters:
        the API restricts methods, a credential is scoped by method, or an approval rule names one."""
        headers, query = req.headers.items(multi=True), req.query.items(multi=True)
        if not api.restricted and all(c.methods is None for c in api.credentials) and all(r.methods is None for r in api.approvals):
            return effective_method.effective_methods(req.method, headers, query, None, None)
        body = None
        if req.raw_content:
            try:
                body = body_decoding.decode_body(req.raw_content, req.headers.get("content-encoding"), OVERRIDE_BODY_LIMIT)
            except body_decoding.UndecodableBody:
                return effective_method.effective_methods(req.method, headers, query, None, None) | {effective_method.UNKNOWN}
        # Two Content-Type headers make the body UNKNOWN inside effective_methods().
        return effective_method.effective_methods(req.method, headers, query, req.headers.get("content-type"), body)

    def _deny(self, flow, exec_id, host, reason, message):
        synthetic(flow, 403, "deny", f"airlock: {message}")
        self.events.record("deny", exec_id, method=flow.request.method, host=host, port=flow.request.port, reason=reason)

    async def _check_open_destination(self, flow, exec_id, host, port):
        """Open egress reaches public addresses only; server_connect enforces it again at connect time."""
        refusal = await self._non_public_reason(host, port)
        if refusal:
            self._deny(flow, exec_id, host, "non-public destination",
                       f"egress to '{host}' is not allowed: {refusal}. Open egress reaches public addresses only.")

    async def _non_public_reason(self, host, port):
        """Why `host` may not be reached in open-egress mode, or None; resolves names first."""
        try:
            addresses = sorted(set(await self.resolve(host, port)))
        except OSError as err:
            return f"it does not resolve ({err})"
        blocked = [a for a in addresses if destination.non_public(a, self.allowed_networks)]
        if not addresses or blocked:
            return f"it resolves to a non-public address ({', '.join(blocked) or 'none'})"
        return None

    async def server_connect(self, data):
        """The last word before a socket opens: bind the upstream SNI to the judged host (never the
        client's), and in open egress resolve once, refuse non-public addresses, and pin the address
        so a second DNS answer cannot differ (rebinding)."""
        try:
            host, port = data.server.address
            host = destination.normalise_host(host)
            if not destination.is_ip(host):
                data.server.sni = host
            if api_for_host(self.registry.active(), host) is not None:
                return
            if not ctx.options.airlock_open_egress:
                data.server.error = f"{host} is not allowlisted"
                return
            addresses = await self.resolve(host, port)
            blocked = [a for a in addresses if destination.non_public(a, self.allowed_networks)]
            if not addresses or blocked:
                data.server.error = f"{host} resolves to a non-public address"
                self.events.record("deny", host=host, port=port, reason="non-public destination at connect")
                return
            self.pinned_name[data.server.id] = host
            data.server.address = (addresses[0], port)
        except Exception as err:  # noqa: BLE001 - refuse the connection rather than open it unchecked
            data.server.error = f"airlock could not check the destination: {err}"

    def tcp_message(self, flow):
        # Unreachable with rawtcp off (checked in configure); if it ever runs, relay nothing.
        flow.messages[-1].content = b""
        self.events.record("deny", reason="raw TCP is not relayed")

    def websocket_message(self, flow):
        # Unreachable with websocket off and every upgrade refused; if it ever runs, relay nothing.
        flow.websocket.messages[-1].content = b""
        self.events.record("deny", reason="WebSocket messages are not relayed")

    # --- responses ------------------------------------------------------------------------

    @fail_closed
    def responseheaders(self, flow):
        """Headers are checked before anything reaches the client; the body is then streamed
        through a ResponseStream that decodes and scrubs it (see response_stream.py)."""
        if flow.metadata.get("airlock_synthetic"):
            return
        resp = flow.response
        scrubber = self.scrubber(flow.metadata.get("airlock_echoes", ()))
        malformed = field_syntax.fields_problem(resp.headers.fields)
        if malformed:
            return self._block_early(flow, f"malformed response: {malformed}")
        scrubbed, leaked = 0, False
        headers = []
        names = self.header_names()
        for key, value in resp.headers.items(multi=True):
            if names.shows_secret(key):
                return self._block_early(flow, "a response header name carries a credential value")
            key, count_k, leak_k = scrubber.scrub(key)
            value, count_v, leak_v = scrubber.scrub(value)
            scrubbed += count_k + count_v
            leaked |= leak_k or leak_v
            headers.append((key, value))
        reason, count, leak = scrubber.scrub(resp.reason)
        scrubbed += count
        leaked |= leak
        if leaked:
            return self._block_early(flow, "the response headers carry an encoded credential value")
        if scrubbed:
            resp.reason = reason
            resp.headers.clear()
            for key, value in headers:
                resp.headers.add(key, value)
        flow.metadata["airlock_scrubbed"] = scrubbed
        if resp.status_code == 101:
            return self._block_early(flow, "a protocol switch (101) is not relayed: its messages cannot be checked")
        if flow.request.method.upper() == "HEAD" or resp.status_code in (204, 304) or resp.status_code < 200:
            return
        transfer = resp.headers.get("transfer-encoding", "").strip().lower()
        if transfer not in ("", "chunked"):
            # A transfer coding mitmproxy does not undo would reach the client as bytes the
            # scrubber never saw decoded.
            return self._block_early(flow, f"unsupported transfer coding {transfer!r}")
        for stale in ("content-md5", "digest", "repr-digest"):
            resp.headers.pop(stale, None)
        try:
            decoder = body_decoding.stream_decoder(resp.headers.get("content-encoding"), self.body_limit)
        except body_decoding.UndecodableBody as err:
            return self._block_early(flow, f"the response body cannot be decoded exactly: {err}")
        length = resp.headers.get("content-length", "")
        if length.isdigit() and int(length) <= HOLD_BYTES and len(resp.headers.get_all("content-length")) == 1:
            # Small and of known size: held whole and checked in the response hook, where a leak
            # can still become a readable 502 (a streamed response has sent its status already).
            return
        # The client gets identity bytes of a length only known at the end.
        resp.headers.pop("content-encoding", None)
        resp.headers.pop("content-length", None)
        if flow.request.http_version.startswith("HTTP/1"):
            resp.headers["transfer-encoding"] = "chunked"
        resp.stream = ResponseStream(scrubber, decoder, window_for(scrubber), self.body_limit, HOLD_BYTES)

    def _block_early(self, flow, reason):
        """Answers 502 in place of a response whose headers are known but whose body is not read yet:
        the upstream body is drained and dropped, and our message is what the client gets."""
        message = f"airlock: response blocked: {reason}\n".encode()
        base = self._response_base(flow)
        flow.metadata["airlock_synthetic"] = True
        flow.response = http.Response.make(502, b"", {"content-type": "text/plain; charset=utf-8", "x-airlock-decision": "block"})
        # make() set the length of its empty body; ours comes through the stream below.
        flow.response.headers["content-length"] = str(len(message))
        flow.response.stream = lambda chunk: [] if chunk else [message]
        self.events.record("block", flow.metadata.get("airlock_exec"), **base, reason=reason)

    def _response_base(self, flow):
        return {"api": flow.metadata.get("airlock_api"), "method": flow.request.method, "host": flow.request.host,
                "path": flow.request.path.split("?", 1)[0], "status": flow.response.status_code}

    @fail_closed
    def response(self, flow):
        if flow.metadata.get("airlock_synthetic"):
            # Our own answers carry no trailers; any here are the blocked upstream's.
            flow.response.trailers = None
            return
        exec_id = flow.metadata.get("airlock_exec")
        base = self._response_base(flow)
        stream = flow.response.stream if isinstance(flow.response.stream, ResponseStream) else None
        scrubbed = flow.metadata.get("airlock_scrubbed", 0) + (stream.scrubbed if stream else 0)
        if stream is None and flow.response.raw_content:
            try:
                body = body_decoding.decode_body(flow.response.raw_content, flow.response.headers.get("content-encoding"), self.body_limit)
            except body_decoding.UndecodableBody as err:
                return self._block(flow, exec_id, base, f"the response body cannot be decoded exactly: {err}")
            scrubber = self.scrubber(flow.metadata.get("airlock_echoes", ()))
            body, count, leaked = scrubber.scrub(body)
            if leaked:
                return self._block(flow, exec_id, base, "the response carries an encoded credential value")
            scrubbed += count
            # Identity bytes, exactly what was checked: the client has nothing left to decode.
            flow.response.headers.pop("content-encoding", None)
            flow.response.raw_content = body
            flow.response.headers["content-length"] = str(len(body))
        if stream and stream.poisoned:
            # Headers (and checked bytes) are already out: break the response so the client sees an
            # error, never what the stream withheld.
            break_flow(flow)
            self.events.record("block", exec_id, **base, reason=stream.poisoned)
            return
        if flow.response.trailers:
            malformed = field_syntax.fields_problem(flow.response.trailers.fields, "trailer")
            if malformed:
                break_flow(flow)
                self.events.record("block", exec_id, **base, reason=f"malformed response: {malformed}")
                return
            scrubber = self.scrubber(flow.metadata.get("airlock_echoes", ()))
            trailers = []
            for key, value in flow.response.trailers.items(multi=True):
                key, count_k, leak_k = scrubber.scrub(key)
                value, count_v, leak_v = scrubber.scrub(value)
                if leak_k or leak_v or self.header_names().shows_secret(key):
                    break_flow(flow)
                    self.events.record("block", exec_id, **base, reason="the response trailers carry an encoded credential value")
                    return
                scrubbed += count_k + count_v
                trailers.append((key, value))
            checked = http.Headers()
            for key, value in trailers:
                checked.add(key, value)
            flow.response.trailers = checked
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


addons = [AirlockEgress(), CaPublication()]
