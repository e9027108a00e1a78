"""The proxy's launcher (run_proxy.py): only the addons it needs, and options refused loudly."""
import asyncio

import pytest

import run_proxy


def test_keeps_only_the_stock_addons_a_forward_proxy_needs():
    names = {type(a).__name__ for a in run_proxy.stock_addons()}
    assert names == {"TermLog", "Core", "Proxyserver", "NextLayer", "TlsConfig", "DisableH2C"}


@pytest.mark.parametrize("settings", [
    ["airlock_no_such_option=1"],
    ["listen_port=not-a-port"],
    # Without the key no execution can be identified: the proxy must not start at all.
    ["airlock_auth_key="],
])
def test_refuses_to_start_on_a_bad_or_unknown_option(settings, capsys):
    with pytest.raises(SystemExit) as exit_:
        asyncio.run(run_proxy.main(settings))
    assert exit_.value.code == 2
    assert "proxy:" in capsys.readouterr().err


def test_every_http2_connection_offers_a_wide_window_and_large_frames():
    import h2.config
    import h2.connection
    import h2.events
    from h2.settings import SettingCodes
    from mitmproxy.proxy.layers.http._http_h2 import BufferedH2Connection

    run_proxy.tune_http2()
    run_proxy.tune_http2()  # twice is once
    ours = BufferedH2Connection(h2.config.H2Configuration(client_side=True, header_encoding=False))
    ours.initiate_connection()
    peer = h2.connection.H2Connection(h2.config.H2Configuration(client_side=False))
    peer.initiate_connection()
    events = peer.receive_data(ours.data_to_send())
    settings = [e for e in events if isinstance(e, h2.events.RemoteSettingsChanged)]
    announced = {code: s.new_value for e in settings for code, s in e.changed_settings.items()}
    assert announced[SettingCodes.INITIAL_WINDOW_SIZE] == run_proxy.STREAM_WINDOW
    assert announced[SettingCodes.MAX_FRAME_SIZE] == run_proxy.MAX_FRAME
    assert peer.outbound_flow_control_window == run_proxy.CONNECTION_WINDOW


def test_a_data_frame_repr_is_what_hyperframe_shows_without_hexlifying_the_body(monkeypatch):
    import binascii

    import hyperframe.frame as frame

    run_proxy.cheap_frame_repr()
    run_proxy.cheap_frame_repr()  # twice is once
    frames = []
    for data in (b"", b"a", b"0123456789", b"0123456789a", bytes(range(256)) * 1024):
        for pad in (0, 3, 20):
            f = frame.DataFrame(1, data=data, flags=["PADDED"] if pad else [])
            f.pad_length = pad
            frames.append(f)
        frames.append(frame.DataFrame(1, data=memoryview(data)))
    # As hyperframe's own _body_repr has it.
    expected = [frame._raw_data_repr(bytes(f.serialize_body())) for f in frames]
    hexlified, hexlify = [], binascii.hexlify
    monkeypatch.setattr(frame.binascii, "hexlify", lambda b: hexlified.append(len(b)) or hexlify(b))
    assert [f._body_repr() for f in frames] == expected
    assert repr(frames[-1]).endswith("<hex:00010203040506070809...>")
    assert hexlified == []
