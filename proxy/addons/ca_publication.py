"""Publishes the proxy CA's public certificate for the sandbox, whose Deno must trust the
certificates the proxy makes for each host (DENO_CERT). Only the certificate: the CA's private
key stays in the proxy's own volume, which no other container mounts."""
import os
import shutil

from mitmproxy import ctx


class CaPublication:
    def load(self, loader):
        loader.add_option(
            "airlock_ca_public", str, "", "Where to publish the proxy CA's public certificate for the sandbox"
        )

    def running(self):
        target = ctx.options.airlock_ca_public
        if not target:
            return
        source = os.path.join(os.path.expanduser(ctx.options.confdir), "mitmproxy-ca-cert.pem")
        # Written aside and renamed: a sandbox starting meanwhile never reads half a file.
        shutil.copyfile(source, target + ".tmp")
        os.chmod(target + ".tmp", 0o644)
        os.replace(target + ".tmp", target)
