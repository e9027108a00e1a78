"""Refuses every request whose real destination is not a domain of an active API.

The sandbox's Deno --allow-net is the first layer; this is the second, enforced where the
traffic actually leaves. The destination is the CONNECT target or the request URL's host (what
mitmproxy will connect to), never the Host header, which the sandboxed code controls.
"""
import os
import shutil
import sys

from mitmproxy import ctx, http

sys.path.insert(0, os.path.dirname(__file__))
from api_domains import ApiDomains  # noqa: E402


def deny_response(host):
    return http.Response.make(
        403,
        f"airlock: egress to '{host}' is not allowed: no active API in apis/ lists this domain\n",
        {"content-type": "text/plain; charset=utf-8", "x-airlock-decision": "deny"},
    )


class EgressAllowlist:
    def __init__(self):
        self.domains = None

    def load(self, loader):
        loader.add_option("airlock_apis_dir", str, "/apis", "Folder holding apis/<name>/config.json")
        loader.add_option(
            "airlock_ca_public", str, "/var/lib/airlock-proxy/public/airlock-proxy-ca.pem",
            "Where to publish the proxy CA's public certificate for the sandbox",
        )

    def configure(self, updated):
        if "airlock_apis_dir" in updated or self.domains is None:
            self.domains = ApiDomains(ctx.options.airlock_apis_dir)

    def running(self):
        # Publish only the certificate: the CA's private key stays in the proxy's own volume.
        source = os.path.join(os.path.expanduser(ctx.options.confdir), "mitmproxy-ca-cert.pem")
        target = ctx.options.airlock_ca_public
        tmp = target + ".tmp"
        shutil.copyfile(source, tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)

    def _allowed(self, host):
        return host.lower().rstrip(".") in self.domains.current()

    def _decide(self, flow, phase):
        host = flow.request.host
        if self._allowed(host):
            return
        flow.response = deny_response(host)
        ctx.log.info(f'{{"decision":"deny","phase":"{phase}","host":"{host}"}}')

    def http_connect(self, flow):
        self._decide(flow, "connect")

    def request(self, flow):
        if flow.response is None:
            self._decide(flow, "request")


addons = [EgressAllowlist()]
