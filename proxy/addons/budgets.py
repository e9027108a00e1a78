"""Request budgets: per execution and per rolling minute, for an API and for each credential.

A request takes its place in every budget that applies before it goes out (check and count are
one step, with no await between, so concurrent requests cannot all slip under a limit). A place
taken by a request a person then declined stays taken: each ask costs, so a run cannot put
prompt after prompt in front of a person for free. Memory stays bounded: a rolling-minute
window never holds more timestamps than its limit, and per-execution counts are dropped once the
execution can no longer be running.
"""
import collections
import math
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class Over:
    """Why a request is over budget."""
    what: str  # "API 'pay'" or "credential PAY_TOKEN"
    limit: int
    per: str  # "execution" or "minute"
    retry_after: int | None  # seconds until a place frees; None when waiting cannot help

    def message(self):
        if self.per == "minute":
            return (f"airlock: {self.what} allows {self.limit} requests per minute, all executions together; "
                    f"the next place frees in {self.retry_after} s (Retry-After).")
        return (f"airlock: {self.what} allows {self.limit} requests per execution and this execution has used them. "
                "Waiting will not help within this execution: do less per run, or start a new execution.")


class Budgets:
    def __init__(self, keep_seconds, clock=time.monotonic):
        self.keep_seconds = keep_seconds
        self.clock = clock
        self._per_execution = {}  # exec_id -> {"seen": t, "counts": Counter}
        self._windows = collections.defaultdict(collections.deque)  # key -> deque of times
        self._forgot_at = float("-inf")

    def take(self, exec_id, budgets):
        """budgets: [(key, what, Limits)]. Takes a place in each, or none and returns an Over."""
        now = self.clock()
        self._forget(now)
        entry = self._per_execution.setdefault(exec_id, {"seen": now, "counts": collections.Counter()})
        entry["seen"] = now
        for key, what, limits in budgets:
            if limits.per_execution is not None and entry["counts"][key] >= limits.per_execution:
                return Over(what, limits.per_execution, "execution", None)
            if limits.per_minute is not None:
                window = self._windows[key]
                while window and window[0] <= now - 60:
                    window.popleft()
                if len(window) >= limits.per_minute:
                    return Over(what, limits.per_minute, "minute", max(1, math.ceil(window[0] + 60 - now)))
        for key, _, limits in budgets:
            entry["counts"][key] += 1
            if limits.per_minute is not None:
                self._windows[key].append(now)
        return None

    def report(self, exec_id, budgets):
        """How much of each budget is used, for the egress record (the summary and console show it)."""
        entry = self._per_execution.get(exec_id)
        counts = []
        for key, what, limits in budgets:
            if limits.per_execution is not None:
                used = entry["counts"][key] if entry else 0
                counts.append({"what": what, "used": used, "limit": limits.per_execution, "per": "execution"})
            if limits.per_minute is not None:
                counts.append({"what": what, "used": len(self._windows.get(key, ())), "limit": limits.per_minute, "per": "minute"})
        return counts

    def _forget(self, now):
        # Amortised: a sweep at most every ten seconds, not one per request.
        if now - self._forgot_at < 10:
            return
        self._forgot_at = now
        for exec_id in [e for e, v in self._per_execution.items() if v["seen"] < now - self.keep_seconds]:
            del self._per_execution[exec_id]
        for key in [k for k, w in self._windows.items() if not w or w[-1] <= now - 60]:
            del self._windows[key]


def budgets_for(api, used_credentials):
    """The budgets a request to `api` carrying `used_credentials` (names) takes a place in."""
    found = []
    if api.limits is not None:
        found.append((("api", api.name), f"API '{api.name}'", api.limits))
    for cred in api.credentials:
        if cred.name in used_credentials and cred.limits is not None:
            found.append((("credential", api.name, cred.name), f"credential {cred.name}", cred.limits))
    return found
