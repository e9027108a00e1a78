"""Loads apis/<name>/config.json for the proxy: validated, values resolved, last good kept.

Validation uses api-config.schema.json, generated from the server's zod schema, so the proxy
and the server accept exactly the same files. A file that fails keeps its last good version in
force (or contributes nothing if it never loaded): the proxy fails closed, never open.
"""
import json
import os
import re
import time
from dataclasses import dataclass, field

import jsonschema

from effective_method import UNKNOWN, methods_in_scope
from path_scope import PathView, path_in_scope, pattern_problem

SCHEMA_PATH = os.path.join(os.path.dirname(__file__), "api-config.schema.json")
API_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")


@dataclass(frozen=True)
class Limits:
    """A budget: None for a bound the config does not set."""
    per_execution: int | None = None
    per_minute: int | None = None


# The methods a config can name; anything else (MERGE, MOVE, PROPPATCH, made-up ones) is unknown.
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


@dataclass(frozen=True)
class ApprovalRule:
    """Requests matching it wait for a person. None: any method / any path.

    A credential scope is a list of where something is *allowed*, so it matches strictly; a rule
    is a list of what must be *held*, so it matches every plausible reading of a request: a
    method override that cannot be ruled out, HEAD for a GET rule (servers run GET handlers for
    it), a method no config can name for a rule that names any method, and any path a server may
    take for the rule's, or the rule's for it (escapes decoded, other case, trailing slash or
    dots, a format suffix, an ambiguous path).
    """
    methods: frozenset | None
    paths: tuple | None

    def matches(self, methods, views):
        if self.methods is not None and not any(self._holds_method(m) for m in methods):
            return False
        if self.paths is None:
            return True
        return any(view.ambiguous is not None or _loose_match(self.paths, view) for view in views)

    def _holds_method(self, method):
        if method == UNKNOWN or method in self.methods:
            return True
        if method == "HEAD" and "GET" in self.methods:
            return True
        # A method no config can name (MERGE, PROPFIND, made-up ones) may reach any handler that
        # does not check the method: a rule that names methods holds it.
        return method not in KNOWN_METHODS


# Escapes a server decodes before routing; '/', '\\', '%', '?', '#' and ';' escapes are not here
# (a path with them is ambiguous, and held anyway).
_DECODABLE = re.compile(r"%(2[0-9A-Ea-e]|[3-7][0-9A-Fa-f])")
_KEPT = {"2F", "2f", "5C", "5c", "25", "3F", "3f", "23", "3B", "3b"}


def _decoded(path):
    return _DECODABLE.sub(lambda m: m.group() if m.group(1) in _KEPT else chr(int(m.group(1), 16)), path)


def _loose_readings(path, pattern=False):
    """The paths a lenient server may take `path` for: escapes of printable characters decoded,
    any case, no trailing '/', and no trailing '.' or spaces on any segment, and no format suffix on the last segment
    ('/v1/refunds.json' -> '/v1/refunds'). For a rule's pattern, the same around its '*'."""
    star = "*" if pattern and path.endswith("*") else ""
    base = path[: len(path) - len(star)]
    readings = set()
    for text in {base, _decoded(base)}:
        lowered = text.lower()
        # Windows servers drop trailing dots and spaces from every segment, not only the last.
        segments = "/".join(re.sub(r"(?:%20|[ .])+$", "", seg) if seg not in (".", "..") else seg for seg in lowered.split("/"))
        trimmed = re.sub(r"(?:%20|[ ./])+$", "", segments) or "/"
        readings |= {lowered, trimmed}
        head, sep, last = trimmed.rpartition("/")
        if "." in last:
            readings.add(f"{head}{sep}{last.split('.', 1)[0]}" or "/")
    return {r + star for r in readings}


def _loose_match(patterns, view):
    loose_patterns = tuple({q for p in patterns for q in _loose_readings(p, pattern=True)})
    return any(path_in_scope(loose_patterns, PathView(r, r, None)) for r in _loose_readings(view.normalised))


@dataclass(frozen=True)
class Credential:
    name: str
    value: str
    headers: frozenset
    query: frozenset
    basic_auth: bool
    methods: frozenset | None
    paths: tuple | None
    limits: Limits | None = None

    def in_scope(self, methods, views):
        """Every method the upstream might act on, and every path it might act on (the request's,
        and a WebDAV Destination's), must be within this credential's scope."""
        if not methods_in_scope(self.methods, methods):
            return False
        return all(path_in_scope(self.paths, view) for view in views)


@dataclass(frozen=True)
class Api:
    name: str
    domains: frozenset
    credentials: tuple
    restricted: frozenset
    redact: tuple
    active: bool = True
    # HTTPS ports (credentials only over TLS to these) and plain-HTTP ports (never credentials).
    ports: frozenset = frozenset({443})
    plain_http_ports: frozenset = frozenset()
    approvals: tuple = ()
    limits: Limits | None = None


@dataclass(frozen=True)
class Problem:
    file: str
    field: str
    message: str


def load_validator(path=SCHEMA_PATH):
    with open(path, encoding="utf-8") as fh:
        return jsonschema.Draft202012Validator(json.load(fh))


def read_text(path):
    with open(path, encoding="utf-8") as fh:
        return fh.read()


def resolve_value(source, environ, read_file):
    if "env" in source:
        value = environ.get(source["env"])
        if not value:
            raise ValueError(f"proxy environment variable {source['env']} is not set")
        return value
    value = read_file(source["file"]).rstrip("\r\n")
    if not value:
        raise ValueError(f"file {source['file']} is empty")
    return value


def secret_presence(text, environ=os.environ, read_file=read_text):
    """For each credential a config names, whether its secret is there: {name: True/False}.
    Judged one by one, so the console can mark every missing secret, not only the first that
    stopped the API from loading. Never returns a value; {} when the file is not a config."""
    try:
        data = json.loads(text)
        credentials = data.get("credentials", {})
        if not isinstance(credentials, dict):
            return {}
    except (ValueError, AttributeError):
        return {}
    presence = {}
    for cred_name, cred in credentials.items():
        source = cred.get("value") if isinstance(cred, dict) else None
        try:
            presence[cred_name] = isinstance(source, dict) and bool(resolve_value(source, environ, read_file))
        except (OSError, ValueError, KeyError, TypeError):
            presence[cred_name] = False
    return presence


def parse_api(name, file, text, validator, environ=os.environ, read_file=read_text):
    """Returns an Api, or a Problem naming the file and field."""
    if not API_NAME.match(name):
        return Problem(file, "(folder name)", "must be lower-case letters, digits, '-' or '_' (max 63)")
    try:
        data = json.loads(text)
    except ValueError as err:
        return Problem(file, "(file)", f"not valid JSON: {err}")
    errors = sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path)))
    if errors:
        err = errors[0]
        return Problem(file, ".".join(str(p) for p in err.absolute_path) or "(root)", err.message)
    credentials = []
    for cred_name, cred in sorted(data.get("credentials", {}).items()):
        for i, pattern in enumerate(cred.get("paths", [])):
            problem = pattern_problem(pattern)
            if problem:
                return Problem(file, f"credentials.{cred_name}.paths.{i}", problem)
        try:
            value = resolve_value(cred["value"], environ, read_file)
        except (OSError, ValueError) as err:
            return Problem(file, f"credentials.{cred_name}.value", str(err))
        credentials.append(
            Credential(
                name=cred_name,
                value=value,
                headers=frozenset(h.lower() for h in cred.get("headers", [])),
                query=frozenset(cred.get("query", [])),
                basic_auth=cred.get("basicAuth", False),
                methods=frozenset(cred["methods"]) if "methods" in cred else None,
                paths=tuple(cred["paths"]) if "paths" in cred else None,
                limits=_limits(cred.get("limits")),
            )
        )
    approvals = []
    for i, rule in enumerate(data.get("approvals", [])):
        for j, pattern in enumerate(rule.get("paths", [])):
            problem = pattern_problem(pattern)
            if problem:
                return Problem(file, f"approvals.{i}.paths.{j}", problem)
        approvals.append(ApprovalRule(
            methods=frozenset(rule["methods"]) if "methods" in rule else None,
            paths=tuple(rule["paths"]) if "paths" in rule else None,
        ))
    return Api(
        name=name,
        domains=frozenset(data["domains"]),
        credentials=tuple(credentials),
        restricted=frozenset(data.get("restrictedMethods", [])),
        redact=tuple(data.get("redact", [])),
        active=data.get("active", True),
        ports=frozenset(data.get("ports", [443])),
        plain_http_ports=frozenset(data.get("plainHttpPorts", [])),
        approvals=tuple(approvals),
        limits=_limits(data.get("limits")),
    )


def _limits(spec):
    if not spec:
        return None
    return Limits(per_execution=spec.get("requestsPerExecution"), per_minute=spec.get("requestsPerMinute"))


@dataclass
class ApiRegistry:
    """Every API under apis_dir, re-read when a file changes."""

    apis_dir: str
    validator: object
    on_problem: object = None
    environ: object = field(default_factory=lambda: os.environ)
    read_file: object = read_text
    # Re-scan the folder at most this often: a scan per request would cost every request.
    min_interval: float = 1.0
    clock: object = time.monotonic
    # Bumped whenever the set of loaded APIs changes, so derived data can be cached.
    generation: int = 0
    _signature: tuple = None
    _scanned_at: float = None
    _last_good: dict = field(default_factory=dict)
    # The problems of the latest scan, for the status the proxy publishes to the gateway.
    problems: list = field(default_factory=list)
    # {api: {credential: secret present?}} of the latest scan, for the same status.
    secrets: dict = field(default_factory=dict)

    def _scan(self):
        try:
            names = sorted(os.listdir(self.apis_dir))
        except OSError:
            return ()
        sig = []
        for name in names:
            path = os.path.join(self.apis_dir, name, "config.json")
            try:
                st = os.stat(path)
            except OSError:
                continue
            sig.append((name, path, st.st_mtime_ns, st.st_size))
        return tuple(sig)

    def refresh(self, force=False):
        now = self.clock()
        if not force and self._scanned_at is not None and now - self._scanned_at < self.min_interval:
            return
        self._scanned_at = now
        signature = self._scan()
        if signature == self._signature:
            return
        self.generation += 1
        self._signature = signature
        present = {name for name, *_ in signature}
        self.problems = []
        self.secrets = {}
        # A removed file removes its API; a broken one keeps its last good version.
        self._last_good = {n: a for n, a in self._last_good.items() if n in present}
        for name, path, _, _ in signature:
            try:
                text = read_text(path)
                result = parse_api(name, path, text, self.validator, self.environ, self.read_file)
                self.secrets[name] = secret_presence(text, self.environ, self.read_file)
            except OSError as err:
                result = Problem(path, "(file)", f"cannot read: {err}")
            if isinstance(result, Problem):
                self.problems.append((result, name in self._last_good))
                if self.on_problem:
                    self.on_problem(result, name in self._last_good)
            else:
                self._last_good[name] = result

    def active(self):
        return [a for a in self._last_good.values() if a.active]

    def all_credentials(self):
        """Every credential of every loaded API, active or not: responses are scrubbed of all."""
        return [c for a in self._last_good.values() for c in a.credentials]
