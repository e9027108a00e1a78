"""One JSON line per egress decision: to stdout, and to the execution's own event file.

Lines carry API and credential *names*, never a value. The per-execution file lets the server
attach an egress summary to each execute_code result; old files are pruned. The record's fields
are defined once, in the gateway (server/src/shared/egress-event.ts), which generates
egress-event.schema.json beside this file; the tests check every record against it.
"""
import json
import os
import re
import sys
import time

# The execution id's form (EXECUTION_ID in sandbox/protocol.ts).
EXEC_ID = re.compile(r"^[0-9a-f]{32}$")
# Read by the gateway (server/src/config/proxy-status.ts): one definition of the name each side.
STATUS_FILE = "proxy-status.json"
# Longest string field a record keeps: a request path or reason is the code's to make as long as
# it likes, and every record is read back by the gateway (and the operator's console).
MAX_FIELD = 2048


class EgressEvents:
    def __init__(self, events_dir, out=None, clock=time.time, keep_seconds=600):
        self.events_dir = events_dir
        self.out = out
        self.clock = clock
        self.keep_seconds = keep_seconds
        self._pruned_at = 0.0

    def record(self, decision, exec_id=None, **fields):
        fields = {k: (v[:MAX_FIELD] + "…" if isinstance(v, str) and len(v) > MAX_FIELD else v) for k, v in fields.items()}
        entry = {"time": round(self.clock(), 3), "component": "proxy", "decision": decision, **fields}
        if exec_id:
            entry["execution"] = exec_id
        line = json.dumps(entry, separators=(",", ":"))
        out = self.out or sys.stdout
        out.write(line + "\n")
        out.flush()
        if exec_id and EXEC_ID.match(exec_id) and self.events_dir:
            path = os.path.join(self.events_dir, exec_id + ".jsonl")
            # O_APPEND writes of one short line are atomic enough for concurrent flows.
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
            try:
                os.write(fd, (line + "\n").encode())
            finally:
                os.close(fd)
        self._prune()

    def publish_status(self, status):
        """The proxy's view of the APIs (which failed to load, and why), for the gateway to show
        in list_apis: only the proxy knows whether a credential's secret is actually there."""
        if not self.events_dir:
            return
        path = os.path.join(self.events_dir, STATUS_FILE)
        with open(path + ".tmp", "w", encoding="utf-8") as fh:
            json.dump(status, fh)
        os.replace(path + ".tmp", path)

    def _prune(self):
        now = self.clock()
        if not self.events_dir or now - self._pruned_at < 60:
            return
        self._pruned_at = now
        try:
            names = os.listdir(self.events_dir)
        except OSError:
            return
        for name in names:
            if not name.endswith(".jsonl"):
                continue  # the proxy's status file is rewritten, never pruned
            path = os.path.join(self.events_dir, name)
            try:
                if now - os.stat(path).st_mtime > self.keep_seconds:
                    os.unlink(path)
            except OSError:
                pass
