import json
import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "addons"))

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
