"""Asks the gateway whether a person approves a held request (an API's `approvals` rule matched).

The proxy sends what the person needs to decide — method, host, path, API, credential *names*, a
short excerpt of the body — to the gateway's approval endpoint on the internal `approvals`
network, and waits. Both ends prove themselves with a key only the two of them can read (made
here, in a volume the gateway mounts read-only; the sandbox has neither the key nor a route to the
endpoint): the request carries the key, and the answer carries an HMAC over the request's own id
and the outcome, so an answer cannot be forged, nor replayed onto another request.

Anything but a verified "approved" is a refusal: fail closed.
"""
import asyncio
import hashlib
import hmac
import json
import secrets
import urllib.error
import urllib.request

KEY_HEADER = "x-airlock-approval-key"
EXCERPT_BYTES = 400
OUTCOMES = ("approved", "declined", "timeout", "unavailable")


def answer_mac(key, approval_id, outcome):
    return hmac.new(key.encode(), f"{approval_id}:{outcome}".encode(), hashlib.sha256).hexdigest()


def excerpt(body, secret_values):
    """The first bytes of a request body as text, with any secret value put back to its name
    (the code writes names; this is belt and braces for a person's screen)."""
    if not body:
        return ""
    text = body[:EXCERPT_BYTES].decode("utf-8", errors="replace")
    for name, value in secret_values:
        text = text.replace(value, name)
    return text + ("…" if len(body) > EXCERPT_BYTES else "")


class ApprovalClient:
    def __init__(self, url, read_key, post=None):
        self.url = url
        self.read_key = read_key
        self._post = post or self._http_post

    def _http_post(self, body, key, timeout):
        req = urllib.request.Request(
            self.url, data=body, method="POST",
            headers={"content-type": "application/json", KEY_HEADER: key},
        )
        with urllib.request.urlopen(req, timeout=timeout) as res:  # noqa: S310 - our own internal URL
            return res.status, res.read(64 * 1024)

    async def ask(self, question, timeout_seconds):
        """(outcome, by) for `question` (a dict); never raises."""
        approval_id = secrets.token_hex(16)
        try:
            key = self.read_key()
        except OSError as err:
            return "unavailable", f"approval key unreadable: {err}"
        body = json.dumps({**question, "id": approval_id, "timeoutSeconds": timeout_seconds}).encode()
        try:
            # The gateway answers by the deadline it enforces; a little slack for the network.
            status, raw = await asyncio.to_thread(self._post, body, key, timeout_seconds + 15)
        except (OSError, urllib.error.URLError, TimeoutError) as err:
            return "unavailable", f"the gateway's approval service did not answer ({err})"
        if status != 200:
            return "unavailable", f"the gateway's approval service answered {status}"
        try:
            answer = json.loads(raw)
            outcome, by, mac = answer["outcome"], str(answer["by"]), answer["mac"]
        except (ValueError, KeyError, TypeError):
            return "unavailable", "the gateway's approval answer could not be read"
        if answer.get("id") != approval_id or outcome not in OUTCOMES:
            return "unavailable", "the approval answer was not for this request"
        if not hmac.compare_digest(str(mac), answer_mac(key, approval_id, outcome)):
            return "unavailable", "the approval answer was not signed by the gateway"
        return outcome, by[:64]
