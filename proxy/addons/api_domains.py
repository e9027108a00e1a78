"""Reads the allowed egress domains from apis/<name>/config.json, re-reading on change.

Pure parsing, no mitmproxy imports, so it can be tested on its own. A file that cannot be read
or does not have the expected shape contributes nothing: the proxy fails closed.
"""
import json
import os
import re
import time

HOSTNAME = re.compile(r"^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$")


def domains_of(config):
    """The domains one parsed config allows, or an empty set when it is inactive or malformed."""
    if not isinstance(config, dict) or config.get("active", True) is not True:
        return set()
    domains = config.get("domains")
    if not isinstance(domains, list) or not all(isinstance(d, str) and HOSTNAME.match(d) for d in domains):
        return set()
    return set(domains)


class ApiDomains:
    """The union of active APIs' domains, cached and refreshed when any config file changes."""

    def __init__(self, apis_dir, min_interval=1.0, clock=time.monotonic):
        self.apis_dir = apis_dir
        self.min_interval = min_interval
        self.clock = clock
        self._checked_at = None
        self._signature = None
        self._domains = frozenset()

    def _files(self):
        try:
            names = sorted(os.listdir(self.apis_dir))
        except OSError:
            return []
        return [os.path.join(self.apis_dir, n, "config.json") for n in names]

    def _signature_now(self, files):
        sig = []
        for path in files:
            try:
                st = os.stat(path)
            except OSError:
                continue
            sig.append((path, st.st_mtime_ns, st.st_size))
        return tuple(sig)

    def current(self):
        now = self.clock()
        if self._checked_at is not None and now - self._checked_at < self.min_interval:
            return self._domains
        self._checked_at = now
        files = self._files()
        signature = self._signature_now(files)
        if signature != self._signature:
            self._signature = signature
            allowed = set()
            for path, _, _ in signature:
                try:
                    with open(path, encoding="utf-8") as fh:
                        allowed |= domains_of(json.load(fh))
                except (OSError, ValueError):
                    continue
            self._domains = frozenset(allowed)
        return self._domains
