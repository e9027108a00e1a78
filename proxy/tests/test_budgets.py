import json

from budgets import Budgets
from api_config import Limits
from conftest import PAYMENTS, auth, deliver, flow_to, run, write_api
from mitmproxy.test import tutils


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


API = [(("api", "pay"), "API 'pay'", Limits(per_execution=2))]
MINUTE = [(("api", "pay"), "API 'pay'", Limits(per_minute=3))]


def test_a_per_execution_budget_counts_each_execution_apart():
    budgets = Budgets(keep_seconds=600, clock=Clock())
    assert budgets.take("e1", API) is None and budgets.take("e1", API) is None
    over = budgets.take("e1", API)
    assert (over.per, over.limit, over.retry_after) == ("execution", 2, None)
    assert "Waiting will not help" in over.message()
    assert budgets.take("e2", API) is None


def test_a_per_minute_budget_is_shared_and_rolls():
    clock = Clock()
    budgets = Budgets(keep_seconds=600, clock=clock)
    for i in range(3):
        assert budgets.take(f"e{i}", MINUTE) is None
        clock.now += 10
    over = budgets.take("e9", MINUTE)
    assert (over.per, over.retry_after) == ("minute", 30)
    clock.now += 30
    assert budgets.take("e9", MINUTE) is None


def test_a_request_over_one_budget_takes_no_place_in_the_others():
    budgets = Budgets(keep_seconds=600, clock=Clock())
    both = API + [(("credential", "pay", "T"), "credential T", Limits(per_execution=1))]
    assert budgets.take("e1", both) is None
    # Over on the credential: the API's count must not move either.
    assert budgets.take("e1", both).what == "credential T"
    assert budgets.report("e1", API) == [{"what": "API 'pay'", "used": 1, "limit": 2, "per": "execution"}]


def test_forgets_executions_that_can_no_longer_run():
    clock = Clock()
    budgets = Budgets(keep_seconds=60, clock=clock)
    for i in range(1000):
        budgets.take(f"e{i}", API)
    clock.now += 120
    budgets.take("late", API)
    assert len(budgets._per_execution) == 1


def _limited(apis_dir, **config):
    write_api(apis_dir, "payments", {**PAYMENTS, **config})


def _request(addon, exec_id="ab" * 16, headers=(("Authorization", "Bearer PAY_API_TOKEN"),), path="/v1/x"):
    flow = flow_to("api.pay.test", path=path, headers=[*headers, ("Proxy-Authorization", auth(exec_id))], proxy_auth=False)
    run(addon.request, flow)
    return flow


def test_answers_429_past_the_apis_budget_and_records_the_counts(addon, apis_dir):
    _limited(apis_dir, limits={"requestsPerExecution": 2})
    addon.registry.refresh(force=True)
    for _ in range(2):
        flow = _request(addon)
        assert flow.response is None
        deliver(addon, flow, tutils.tresp(content=b"ok"))
    refused = _request(addon)
    assert refused.response.status_code == 429
    assert "retry-after" not in refused.response.headers
    assert b"2 requests per execution" in refused.response.content
    records = [json.loads(line) for line in (addon.events_path / f"{'ab' * 16}.jsonl").read_text().splitlines()]
    assert records[1]["budgets"] == [{"what": "API 'payments'", "used": 2, "limit": 2, "per": "execution"}]
    assert records[-1]["decision"] == "limit"
    # Another execution has its own budget.
    assert _request(addon, exec_id="cd" * 16).response is None


def test_a_per_minute_budget_answers_429_with_retry_after(addon, apis_dir):
    _limited(apis_dir, limits={"requestsPerMinute": 1})
    addon.registry.refresh(force=True)
    assert _request(addon, exec_id="01" * 16).response is None
    refused = _request(addon, exec_id="02" * 16)
    assert refused.response.status_code == 429
    assert 1 <= int(refused.response.headers["retry-after"]) <= 60


def test_a_credentials_budget_counts_only_requests_that_carry_it(addon, apis_dir):
    creds = json.loads(json.dumps(PAYMENTS["credentials"]))
    creds["PAY_API_TOKEN"]["limits"] = {"requestsPerExecution": 1}
    _limited(apis_dir, credentials=creds)
    addon.registry.refresh(force=True)
    assert _request(addon).response is None
    assert _request(addon).response.status_code == 429
    # Without the credential the API is still open to this execution.
    assert _request(addon, headers=()).response is None
