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
import socket
import sys

import hyperframe.frame
from h2.settings import SettingCodes
from mitmproxy import exceptions, hooks, master, options
from mitmproxy.addons import core, disable_h2c, errorcheck, next_layer, proxyserver, termlog, tlsconfig
from mitmproxy.proxy import events
from mitmproxy.proxy.server import ConnectionHandler
from mitmproxy.proxy.layers.http._http_h2 import BufferedH2Connection

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import airlock_egress  # noqa: E402


# HTTP/2 flow control as we offer it to peers (the sandbox's fetch, and APIs). h2's defaults (a
# 64 KiB window, 16 KiB frames) made an API wait for our window update after every 64 KiB, so a
# large body crossed in lockstep with the scrubber's work; TCP lets an HTTP/1.1 peer run ahead by
# its buffers. Memory is not what bounds this: mitmproxy takes in each frame as it arrives.
STREAM_WINDOW = 8 << 20
CONNECTION_WINDOW = 16 << 20
# Frames of up to 256 KiB: fewer events than 16 KiB ones, and a compressed frame still inflates to
# a few MiB at most in ordinary data (the body limit bounds a bomb).
MAX_FRAME = 256 << 10
DEFAULT_WINDOW = 65535


def tune_http2():
    """Every HTTP/2 connection mitmproxy opens or accepts announces the window and frame size
    above right after its preface; h2 applies them once the peer acknowledges."""
    initiate = BufferedH2Connection.initiate_connection
    if getattr(initiate, "airlock_tuned", False):
        return

    def initiate_connection(self):
        initiate(self)
        self.update_settings({
            SettingCodes.INITIAL_WINDOW_SIZE: STREAM_WINDOW,
            SettingCodes.MAX_FRAME_SIZE: MAX_FRAME,
        })
        self.increment_flow_control_window(CONNECTION_WINDOW - DEFAULT_WINDOW)

    initiate_connection.airlock_tuned = True
    BufferedH2Connection.initiate_connection = initiate_connection


def ack_at_once():
    """Every read from a peer is acknowledged at once (TCP_QUICKACK), not after the kernel's
    delayed-ACK timer. Deno's fetch writes without TCP_NODELAY: in the TLS handshake its last
    small record waited for our ACK of the one before, which Linux held for ~40 ms. Each new
    connection to the proxy took ~55 ms; now ~12 (npm run bench:egress; a raw 'other host'
    fetch in one execution). Setting the option also sends an ACK the kernel was holding."""
    handle = ConnectionHandler.server_event
    if getattr(handle, "airlock_tuned", False):
        return

    def server_event(self, event):
        if isinstance(event, events.DataReceived):
            io = self.transports.get(event.connection)
            sock = io.writer.get_extra_info("socket") if io is not None and io.writer is not None else None
            if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
                try:
                    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
                except OSError:
                    pass  # a socket closing under us: nothing left to acknowledge
        handle(self, event)

    server_event.airlock_tuned = True
    ConnectionHandler.server_event = server_event


def cheap_frame_repr():
    """A DATA frame's repr hexlifies only the bytes it shows. h2 4.1 formats repr(frame) of every
    frame it receives for a trace line, even with logging off, and hyperframe 6 built it from a
    copy of the whole body hexlified, then cut to 20 digits: for 256 KiB frames ~35 ms of CPU per
    50 MiB received (cProfile of the proxy under npm run bench:egress). The text is the same."""
    frame = hyperframe.frame
    if getattr(frame.DataFrame._body_repr, "airlock_tuned", False):
        return

    def _body_repr(self):
        # What _raw_data_repr(self.serialize_body()) shows: its first 10 bytes, "..." if longer.
        padding = self.serialize_padding_data()
        head = (padding + bytes(self.data[:10]) + b"\0" * min(self.pad_length, 10))[:10]
        whole = len(padding) + len(self.data) + self.pad_length
        if not whole:
            return "None"
        return "<hex:" + head.hex() + ("..." if whole > 10 else "") + ">"

    _body_repr.airlock_tuned = True
    frame.DataFrame._body_repr = _body_repr


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
    ack_at_once()
    tune_http2()
    cheap_frame_repr()
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
