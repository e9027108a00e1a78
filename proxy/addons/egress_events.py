"""One JSON line per egress decision: to stdout, and to the execution's own event file.

Lines carry API and credential *names*, never a value. The per-execution file lets the server
attach an egress summary to each execute_code result; old files are pruned.
"""
import json
import os
import re
import sys
import time

EXEC_ID = re.compile(r"^[0-9a-f]{32}$")


class EgressEvents:
    def __init__(self, events_dir, out=None, clock=time.time, keep_seconds=600):
        self.events_dir = events_dir
        self.out = out
        self.clock = clock
        self.keep_seconds = keep_seconds
        self._pruned_at = 0.0

    def record(self, decision, exec_id=None, **fields):
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
            path = os.path.join(self.events_dir, name)
            try:
                if now - os.stat(path).st_mtime > self.keep_seconds:
                    os.unlink(path)
            except OSError:
                pass
