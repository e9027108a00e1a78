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
import collections
import hashlib
import hmac
import json
import secrets
import urllib.parse

KEY_HEADER = "x-airlock-approval-key"
EXCERPT_BYTES = 400
OUTCOMES = ("approved", "declined", "timeout", "unavailable")
# Requests held at once, per execution and in all: past either, a held request is refused at
# once, so a flood of them costs neither memory nor connections to the gateway.
MAX_HELD_PER_EXECUTION = 4
MAX_HELD = 64
# Asks per execution in all: a run cannot wear a person down with prompt after prompt.
MAX_ASKS_PER_EXECUTION = 10
MAX_ANSWER = 64 * 1024


def answer_mac(key, approval_id, outcome):
    return hmac.new(key.encode(), f"{approval_id}:{outcome}".encode(), hashlib.sha256).hexdigest()


def visible(text):
    """`text` as plain ASCII on one line: a backslash doubled, every other character outside
    printable ASCII written as \\uXXXX. No list of dangerous characters is ever complete (bidi
    marks, fillers, tag characters, ...): none can reorder, hide or redraw what a person reads."""
    return "".join(
        c if " " <= c <= "~" and c != "\\" else "\\\\" if c == "\\" else f"\\u{ord(c):04x}" if ord(c) < 0x10000 else f"\\U{ord(c):08x}"
        for c in text
    )


def excerpt(body, secret_values):
    """The first bytes of a (decoded) request body as one visible line, with any secret value
    put back to its name (the code writes names; this is belt and braces for a person's screen)."""
    if not body:
        return ""
    text = body[:EXCERPT_BYTES].decode("utf-8", errors="replace")
    for name, value in secret_values:
        text = text.replace(value, name)
    return visible(text) + ("…" if len(body) > EXCERPT_BYTES else "")


class ApprovalClient:
    def __init__(self, url, read_key, post=None):
        self.url = url
        self.read_key = read_key
        self._post = post or self._http_post
        self.held = {}  # execution id -> requests held now
        self.asked = collections.OrderedDict()  # execution id -> asks so far (the newest 10,000)

    async def _http_post(self, body, key, timeout):
        """One POST over asyncio streams: a held request costs no thread (a thread pool of a few
        workers would let a handful of held requests stall every other user of it)."""
        url = urllib.parse.urlsplit(self.url)
        if url.scheme != "http" or not url.hostname:
            raise OSError(f"unsupported approval URL {self.url!r}")

        async def exchange():
            reader, writer = await asyncio.open_connection(url.hostname, url.port or 80)
            try:
                head = (f"POST {url.path or '/'} HTTP/1.1\r\nHost: {url.netloc}\r\nContent-Type: application/json\r\n"
                        f"{KEY_HEADER}: {key}\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n")
                writer.write(head.encode() + body)
                await writer.drain()
                raw = await reader.read(MAX_ANSWER + 4096)
            finally:
                writer.close()
            head, _, rest = raw.partition(b"\r\n\r\n")
            status = int(head.split(b" ", 2)[1])
            headers = dict(line.split(b":", 1) for line in head.split(b"\r\n")[1:] if b":" in line)
            length = headers.get(b"content-length") or headers.get(b"Content-Length")
            if length is None or int(length) > MAX_ANSWER:
                raise OSError("the approval answer has no usable length")
            while len(rest) < int(length):
                more = await reader.read(int(length) - len(rest))
                if not more:
                    break
                rest += more
            return status, rest[: int(length)]

        return await asyncio.wait_for(exchange(), timeout)

    async def ask(self, question, timeout_seconds):
        """(outcome, by) for `question` (a dict); never raises."""
        execution = question["execution"]
        if self.asked.get(execution, 0) >= MAX_ASKS_PER_EXECUTION:
            return "unavailable", (f"this execution already asked for approval {MAX_ASKS_PER_EXECUTION} times: "
                                   "stop, and tell the user what you need")
        if self.held.get(execution, 0) >= MAX_HELD_PER_EXECUTION or sum(self.held.values()) >= MAX_HELD:
            return "unavailable", (f"too many requests are already waiting for approval (at most "
                                   f"{MAX_HELD_PER_EXECUTION} per execution, {MAX_HELD} in all): send one at a time")
        self.asked[execution] = self.asked.get(execution, 0) + 1
        self.asked.move_to_end(execution)
        while len(self.asked) > 10_000:
            self.asked.popitem(last=False)
        self.held[execution] = self.held.get(execution, 0) + 1
        try:
            return await self._ask(question, timeout_seconds)
        finally:
            self.held[execution] -= 1
            if not self.held[execution]:
                del self.held[execution]

    async def _ask(self, question, timeout_seconds):
        approval_id = secrets.token_hex(16)
        try:
            key = self.read_key()
        except OSError as err:
            return "unavailable", f"approval key unreadable: {err}"
        body = json.dumps({**question, "id": approval_id, "timeoutSeconds": timeout_seconds}).encode()
        try:
            # The gateway answers by the deadline it enforces; a little slack for the network.
            status, raw = await self._post(body, key, timeout_seconds + 15)
        except (OSError, ValueError, IndexError, asyncio.TimeoutError) as err:
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
