import os

from api_config import ApiRegistry, load_validator, parse_api, secret_presence
from conftest import PAYMENTS, SECRET, write_api

VALIDATOR = load_validator()


def parse(config, environ=None, read_file=None):
    import json

    return parse_api(
        "payments", "/apis/payments/config.json", json.dumps(config), VALIDATOR,
        environ=environ if environ is not None else {"PAY_SECRET": SECRET, "PAY_READ_SECRET": "r" * 12},
        read_file=read_file or (lambda p: ""),
    )


def test_parses_a_valid_config_and_resolves_env_values():
    api = parse(PAYMENTS)
    assert api.domains == {"api.pay.test"}
    cred = next(c for c in api.credentials if c.name == "PAY_API_TOKEN")
    assert cred.value == SECRET
    assert cred.headers == {"authorization", "x-api-key"}
    assert api.restricted == {"DELETE"}


def test_reads_a_file_value_without_its_trailing_newline():
    config = {**PAYMENTS, "credentials": {"PAY_API_TOKEN": {"headers": ["Authorization"], "value": {"file": "/run/secrets/pay"}}}}
    api = parse(config, read_file=lambda p: SECRET + "\n" if p == "/run/secrets/pay" else "")
    assert api.credentials[0].value == SECRET


def test_reports_the_field_of_a_schema_error():
    problem = parse({**PAYMENTS, "domains": ["https://api.pay.test"]})
    assert (problem.file, problem.field) == ("/apis/payments/config.json", "domains.0")


def test_reports_a_missing_secret_source_by_credential():
    problem = parse(PAYMENTS, environ={"PAY_READ_SECRET": "x" * 12})
    assert problem.field == "credentials.PAY_API_TOKEN.value"
    assert "PAY_SECRET is not set" in problem.message
    assert SECRET not in problem.message


def test_refuses_an_inline_literal_secret():
    config = {**PAYMENTS, "credentials": {"PAY_API_TOKEN": {"headers": ["Authorization"], "value": {"literal": SECRET}}}}
    assert parse(config).field == "credentials.PAY_API_TOKEN.value"


def test_registry_keeps_the_last_good_version_and_drops_removed_apis(apis_dir):
    problems = []
    registry = ApiRegistry(str(apis_dir), VALIDATOR, on_problem=lambda p, kept: problems.append((p.field, kept)), min_interval=0)
    registry.refresh()
    assert sorted(a.name for a in registry.active()) == ["payments", "tracker"]

    write_api(apis_dir, "payments", '{"description": "broken"')
    os.utime(apis_dir / "payments" / "config.json", ns=(1, 1))
    (apis_dir / "tracker" / "config.json").unlink()
    registry.refresh()
    assert [a.name for a in registry.active()] == ["payments"]
    assert problems == [("(file)", True)]


def test_registry_leaves_inactive_apis_out(apis_dir):
    write_api(apis_dir, "tracker", {**PAYMENTS, "domains": ["api.tracker.test"], "active": False})
    registry = ApiRegistry(str(apis_dir), VALIDATOR)
    registry.refresh()
    assert [a.name for a in registry.active()] == ["payments"]


def test_registry_rescans_at_most_once_per_interval(apis_dir):
    now = [100.0]
    registry = ApiRegistry(str(apis_dir), VALIDATOR, clock=lambda: now[0])
    registry.refresh()
    first = registry.generation
    (apis_dir / "tracker" / "config.json").unlink()
    registry.refresh()
    assert registry.generation == first and len(registry.active()) == 2
    now[0] += 1.5
    registry.refresh()
    assert registry.generation == first + 1 and len(registry.active()) == 1


def test_secret_presence_judges_every_credential_and_never_returns_a_value():
    import json

    config = {**PAYMENTS, "credentials": {
        "A_TOKEN": {"headers": ["Authorization"], "value": {"env": "PAY_SECRET"}},
        "B_TOKEN": {"headers": ["Authorization"], "value": {"env": "NOT_SET"}},
        "C_TOKEN": {"headers": ["Authorization"], "value": {"file": "/run/secrets/missing"}},
        "D_TOKEN": {"headers": ["Authorization"], "value": {"literal": SECRET}},
    }}

    def read_file(path):
        raise OSError("no such file")

    presence = secret_presence(json.dumps(config), {"PAY_SECRET": SECRET}, read_file)
    assert presence == {"A_TOKEN": True, "B_TOKEN": False, "C_TOKEN": False, "D_TOKEN": False}
    assert secret_presence("not json") == {} and secret_presence('{"credentials": []}') == {}
