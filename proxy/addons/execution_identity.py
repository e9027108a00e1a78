"""Who may use the proxy: only an execution that holds a current token minted by the sandbox launcher.

The launcher signs `<execution id>.<expiry>` with a key that only it and the proxy hold (a file in
a volume the executed code cannot read) and puts the token in the execution's proxy URL, where
Deno sends it as Proxy-Authorization. Network placement alone is not enough: any user on the
Docker host reaches the internal bridges, and code with its own HTTP client could otherwise go
unattributed. A request without a valid, unexpired token gets no credential and no upstream.

The token format is part of the launcher's contract (sandbox/launcher.ts, proxyToken()).
"""
import base64
import hashlib
import hmac
import re
import time

TOKEN = re.compile(r"^([0-9a-f]{32})\.([0-9]{1,12})\.([0-9a-f]{64})$")
USER = "airlock"
MIN_KEY_BYTES = 32


def load_key(path):
    """The shared signing key; a missing or short key stops the proxy (fail closed)."""
    with open(path, "rb") as fh:
        key = fh.read().strip()
    if len(key) < MIN_KEY_BYTES:
        raise ValueError(f"proxy auth key {path} is shorter than {MIN_KEY_BYTES} bytes")
    return key


def sign(key, exec_id, expires):
    return hmac.new(key, f"{exec_id}.{expires}".encode(), hashlib.sha256).hexdigest()


def mint(key, exec_id, expires):
    """Only tests mint tokens here; the launcher mints the real ones."""
    return f"{exec_id}.{expires}.{sign(key, exec_id, expires)}"


def verify(key, token, now=None):
    """Returns (execution id, expiry) for a valid current token, else None."""
    match = TOKEN.match(token or "")
    if not match:
        return None
    exec_id, expires, mac = match.groups()
    if not hmac.compare_digest(mac, sign(key, exec_id, expires)):
        return None
    expires = int(expires)
    if expires < (time.time() if now is None else now):
        return None
    return exec_id, expires


def from_proxy_authorization(key, header, now=None):
    """The execution of a `Proxy-Authorization: Basic base64(airlock:<token>)` header, or None."""
    scheme, _, encoded = (header or "").strip().partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        user, sep, token = base64.b64decode(encoded.strip(), validate=True).decode("ascii").partition(":")
    except (ValueError, UnicodeDecodeError):
        return None
    if not sep or user != USER:
        return None
    return verify(key, token, now)
