import base64
import urllib.parse

import pytest

from api_config import load_validator, parse_api
from conftest import OTHER_SECRET, PAYMENTS, SECRET, TRACKER
from egress_policy import api_for_host, inject, redact
from secret_views import SecretScrubber as Scrubber
from path_scope import analyse_path

import json

ENV = {"PAY_SECRET": SECRET, "PAY_READ_SECRET": "read_only_secret_value_42", "TRACKER_SECRET": OTHER_SECRET}
PAY = parse_api("payments", "p", json.dumps(PAYMENTS), load_validator(), environ=ENV)
TRACK = parse_api("tracker", "t", json.dumps(TRACKER), load_validator(), environ=ENV)


def test_finds_the_api_of_the_real_destination():
    assert api_for_host([PAY, TRACK], "API.PAY.TEST.") is PAY
    assert api_for_host([PAY, TRACK], "evil.test") is None


@pytest.mark.parametrize(
    "headers, query, expected_headers, expected_query",
    [
        ([("Authorization", "Bearer PAY_API_TOKEN")], [], [("Authorization", f"Bearer {SECRET}")], []),
        ([("x-api-key", "PAY_API_TOKEN")], [], [("x-api-key", SECRET)], []),
        ([], [("key", "PAY_API_TOKEN")], [], [("key", SECRET)]),
        # Not a configured location: stays the literal name.
        ([("X-Other", "PAY_API_TOKEN")], [("q", "PAY_API_TOKEN")], [("X-Other", "PAY_API_TOKEN")], [("q", "PAY_API_TOKEN")]),
        # Another API's credential name is never injected here.
        ([("Authorization", "Bearer TRACKER_TOKEN")], [], [("Authorization", "Bearer TRACKER_TOKEN")], []),
        # Whole tokens only.
        ([("Authorization", "Bearer PAY_API_TOKEN_2")], [], [("Authorization", "Bearer PAY_API_TOKEN_2")], []),
    ],
)
def test_injects_only_in_configured_locations(headers, query, expected_headers, expected_query):
    result = inject(PAY, headers, query)
    assert result.headers == expected_headers
    assert result.query == expected_query


def test_injects_the_basic_auth_password_only():
    token = base64.b64encode(b"user:PAY_API_TOKEN").decode()
    result = inject(PAY, [("Authorization", f"Basic {token}")], [])
    assert base64.b64decode(result.headers[0][1].split()[1]) == f"user:{SECRET}".encode()
    assert result.used == ["PAY_API_TOKEN"]
    assert result.echoes == [(base64.b64encode(f"user:{SECRET}".encode()).decode(), token)]


def test_leaves_a_basic_auth_username_that_is_a_name_alone():
    token = base64.b64encode(b"PAY_API_TOKEN:x").decode()
    result = inject(PAY, [("Authorization", f"Basic {token}")], [])
    assert result.headers[0][1] == f"Basic {token}"
    assert result.used == []


@pytest.mark.parametrize(
    "method, path, injected",
    [("GET", "/v1/charges", True), ("GET", "/v1/charges/ch_1?x=1", True), ("POST", "/v1/charges", False), ("GET", "/v1/refunds", False)],
)
def test_scopes_a_credential_by_method_and_path(method, path, injected):
    result = inject(PAY, [("X-Read-Token", "PAY_READ_TOKEN")], [], lambda c: c.in_scope({method}, [analyse_path(path)]))
    assert (result.headers[0][1] == "read_only_secret_value_42") is injected


def test_redacts_configured_strings_in_text_and_bytes():
    assert redact("to jane@example.com!", PAY.redact) == ("to [REDACTED]!", 1)
    assert redact(b'{"a":"jane@example.com"}', PAY.redact) == (b'{"a":"[REDACTED]"}', 1)


SCRUB = Scrubber([*PAY.credentials, *TRACK.credentials])


@pytest.mark.parametrize(
    "echo, expected",
    [
        (f"token={SECRET}", "token=PAY_API_TOKEN"),
        (f"other {OTHER_SECRET}", "other TRACKER_TOKEN"),
        (urllib.parse.quote(f"{SECRET}/x", safe=""), urllib.parse.quote("PAY_API_TOKEN/x", safe="")),
        (base64.b64encode(SECRET.encode()).decode(), base64.b64encode(b"PAY_API_TOKEN").decode()),
        (SECRET.encode().hex(), b"PAY_API_TOKEN".hex()),
    ],
)
def test_scrubs_secret_values_and_their_exact_encodings(echo, expected):
    text, count, leaked = SCRUB.scrub(echo)
    assert SECRET not in text and OTHER_SECRET not in text
    assert text.rstrip("=") == expected.rstrip("=")
    assert count == 1
    assert not leaked


def test_scrubs_bytes_too():
    data, count, leaked = SCRUB.scrub(f'{{"echo":"{SECRET}"}}'.encode())
    assert data == b'{"echo":"PAY_API_TOKEN"}' and count == 1 and not leaked


def base64_readings(text):
    """Every way a lenient client could decode base64 text: each start, truncated to whole quanta."""
    for start in range(4):
        run = text[start:].rstrip("=")
        run = run[: len(run) - len(run) % 4]
        yield base64.b64decode(run)


@pytest.mark.parametrize("prefix", [b"u:", b"ab:", b"xyz:", b"{\"k\":\""])
def test_never_passes_a_secret_buried_in_longer_base64_at_any_alignment(prefix):
    buried = base64.b64encode(prefix + SECRET.encode() + b"\"}").decode()
    text, count, leaked = SCRUB.scrub(f"data: {buried}")
    # Rewritten in place (an exact form at this alignment) or blocked: either way the client
    # can no longer decode the value from what it gets.
    assert leaked or not any(SECRET.encode() in decoded for decoded in base64_readings(text.removeprefix("data: ")))


def test_rewrites_the_exact_basic_header_this_request_sent():
    token = base64.b64encode(b"user:PAY_API_TOKEN").decode()
    result = inject(PAY, [("Authorization", f"Basic {token}")], [])
    scrubber = Scrubber(PAY.credentials, result.echoes)
    echoed = result.headers[0][1]
    text, _, leaked = scrubber.scrub(f'{{"authorization":"{echoed}"}}')
    assert text == f'{{"authorization":"Basic {token}"}}'
    assert not leaked
