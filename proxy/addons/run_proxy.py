"""Runs mitmproxy with only the addons the egress proxy needs: `python3 run_proxy.py key=value...`.

mitmdump loads some thirty stock addons (playback, map-local, onboarding, sticky cookies, the
flow dumper, ...), and mitmproxy hands every hook of every connection to each of them in turn.
With ours doing the real work, that dispatch was about half of the proxy's CPU per request
(npm run bench:egress, profiled). Here the master holds only what a forward proxy with our
addon needs; the options are mitmproxy's `--set` pairs, unchanged.

Left out on purpose, besides the idle ones: `onboarding` (it answered http://mitm.it itself,
before our addon saw the request), `block` (block_global=false made it a no-op), `script`
(our addon is loaded here directly), `dumper` (flow_detail=0 printed nothing).
"""
import asyncio
import os
import signal
import sys

from mitmproxy import exceptions, hooks, master, options
from mitmproxy.addons import core, disable_h2c, errorcheck, next_layer, proxyserver, termlog, tlsconfig

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import airlock_egress  # noqa: E402


def stock_addons():
    """The stock addons kept: logging, option checks, the listener, layer choice and TLS."""
    return [
        termlog.TermLog(),
        core.Core(),
        proxyserver.Proxyserver(),
        next_layer.NextLayer(),
        tlsconfig.TlsConfig(),
        # Strips h2c upgrade requests, which would otherwise switch protocols under our feet.
        disable_h2c.DisableH2C(),
    ]


async def main(settings):
    opts = options.Options()
    proxy = master.Master(opts)
    proxy.addons.add(*stock_addons())
    try:
        # Ours are not loaded yet: their options wait until they are, as with mitmdump's -s.
        opts.set(*settings, defer=True)
        ours = airlock_egress.addons
        # As mitmproxy's script loader does: load (which declares the options), apply the
        # waiting values, and only then configure, so no addon is configured half-set.
        for addon in ours:
            proxy.addons.register(addon)
        opts.process_deferred()
        unknown = sorted(name for name in opts.deferred if name not in opts)
        if unknown:
            raise exceptions.OptionsError(f"unknown option(s): {', '.join(unknown)}")
        proxy.addons.chain.extend(ours)
        for addon in ours:
            proxy.addons.invoke_addon_sync(addon, hooks.ConfigureHook(set(opts.keys())))
    except exceptions.OptionsError as err:
        print(f"proxy: {err}", file=sys.stderr)
        sys.exit(2)
    # Last, so it sees every error logged while the others start, and exits on any.
    proxy.addons.add(errorcheck.ErrorCheck())
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, proxy.shutdown)
    await proxy.run()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
