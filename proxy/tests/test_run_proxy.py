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
