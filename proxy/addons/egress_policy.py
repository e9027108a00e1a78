"""Pure request and response transforms of the egress proxy; no mitmproxy imports.

Outbound: a credential NAME becomes its value only in the places its config names (a header,
a query parameter, a Basic-auth password), only for the API that owns the real destination, and
only within its method/path scope. A name anywhere else stays the literal name: an allowlisted
API that stores data (an issue tracker, a paste bin) must never receive a real token in a body
that others can read.

Inbound scrubbing lives in secret_views.py.
"""
import base64
import re
from dataclasses import dataclass, field

USER_AGENT = "airlock-proxy"
REDACTED = "[REDACTED]"


def name_pattern(name):
    # Whole-token match so STRIPE_KEY never rewrites part of STRIPE_KEY_2.
    return re.compile(r"(?<![A-Za-z0-9_])" + re.escape(name) + r"(?![A-Za-z0-9_])")


def api_for_host(apis, host):
    host = host.lower().rstrip(".")
    for api in apis:
        if host in api.domains:
            return api
    return None


@dataclass
class Injection:
    headers: list
    query: list
    used: list = field(default_factory=list)
    # Exact encoded forms this request produced (e.g. a Basic header), to rewrite in echoes.
    echoes: list = field(default_factory=list)


def _swap(text, cred):
    replaced, count = name_pattern(cred.name).subn(lambda _: cred.value, text)
    return replaced, count > 0


def _swap_basic(value, cred):
    """Authorization: Basic base64(user:NAME) -> base64(user:value); only the password part."""
    scheme, _, token = value.partition(" ")
    if scheme.lower() != "basic" or not token:
        return value, False, None
    try:
        decoded = base64.b64decode(token.strip(), validate=True).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        return value, False, None
    user, sep, password = decoded.partition(":")
    if not sep or password != cred.name:
        return value, False, None
    real = base64.b64encode(f"{user}:{cred.value}".encode()).decode()
    return f"{scheme} {real}", True, (real, token.strip())


def inject(api, headers, query, in_scope=lambda cred: True):
    """Returns the rewritten headers and query of a request to `api`, injecting only the
    credentials `in_scope` accepts (by default all: a dry run to see what would be injected)."""
    result = Injection(headers=list(headers), query=list(query))
    in_scope = [c for c in api.credentials if in_scope(c)]
    for i, (key, value) in enumerate(result.headers):
        lower = key.lower()
        for cred in in_scope:
            if lower in cred.headers:
                value, hit = _swap(value, cred)
                if hit:
                    result.used.append(cred.name)
            if cred.basic_auth and lower == "authorization":
                value, hit, echo = _swap_basic(value, cred)
                if hit:
                    result.used.append(cred.name)
                    result.echoes.append(echo)
        result.headers[i] = (key, value)
    for i, (key, value) in enumerate(result.query):
        for cred in in_scope:
            if key in cred.query:
                value, hit = _swap(value, cred)
                if hit:
                    result.used.append(cred.name)
        result.query[i] = (key, value)
    result.used = sorted(set(result.used))
    return result


def redact(data, strings):
    """Replaces each configured string in a str or bytes with [REDACTED]; returns (data, hits)."""
    hits = 0
    is_bytes = isinstance(data, bytes)
    for s in strings:
        needle, mark = (s.encode(), REDACTED.encode()) if is_bytes else (s, REDACTED)
        if needle in data:
            hits += data.count(needle)
            data = data.replace(needle, mark)
    return data, hits
