"""The local runtime listens on loopback only, unless another address is asked for on the command line."""

from __future__ import annotations

import socket
import threading
import urllib.request
from pathlib import Path

import pytest

from local.__main__ import main
from local.config import DEFAULT_HOST, ExposureRefused, LocalSettings, is_loopback
from local.gateway import LocalApiGateway, make_http_server
from local.sfn.http import base_url
from local.tokens import KeyPair

EVERY_INTERFACE = "0.0.0.0"  # noqa: S104 - what is refused or warned about; the tests never bind it
EXPOSED = [EVERY_INTERFACE, "", "::", "192.0.2.10", "2001:db8::1"]  # every interface, or addresses of a network
LOOPBACK = ["127.0.0.1", "127.0.0.2", "::1", "localhost"]


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    for name in ("LOCAL_HOST", "LOCAL_API_PORT", "LOCAL_SFN_PORT", "DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    state_dir = tmp_path / "state"
    monkeypatch.setenv("LOCAL_STATE_DIR", str(state_dir))
    return state_dir


def test_the_default_is_loopback(environment: Path) -> None:
    settings = LocalSettings.from_env()
    assert settings.host == DEFAULT_HOST == "127.0.0.1"
    assert settings.check_listen_host() is None


@pytest.mark.parametrize("host", LOOPBACK)
def test_loopback_addresses_need_no_option(environment: Path, monkeypatch: pytest.MonkeyPatch, host: str) -> None:
    monkeypatch.setenv("LOCAL_HOST", host)
    assert is_loopback(host)
    assert LocalSettings.from_env().check_listen_host() is None
    assert LocalSettings.from_env(host=host).check_listen_host() is None


@pytest.mark.parametrize("host", EXPOSED)
def test_another_address_from_the_environment_is_refused(
    environment: Path, monkeypatch: pytest.MonkeyPatch, host: str
) -> None:
    # Given LOCAL_HOST names an address other than loopback (set long ago in a shell profile, say)
    monkeypatch.setenv("LOCAL_HOST", host)
    # Then the runtime refuses it, says why and how to ask for it
    with pytest.raises(ExposureRefused) as refusal:
        LocalSettings.from_env().check_listen_host()
    message = str(refusal.value)
    assert "not a loopback address" in message
    assert "read task tokens from execution histories" in message
    assert f"python -m local serve --host {host or EVERY_INTERFACE}" in message


@pytest.mark.parametrize("host", EXPOSED)
def test_another_address_on_the_command_line_is_served_with_a_warning(environment: Path, host: str) -> None:
    warning = LocalSettings.from_env(host=host).check_listen_host()
    assert warning is not None
    assert warning.startswith("WARNING: listening on")
    for exposed in (
        "read task tokens from execution histories and answer the callbacks",
        "create and start state machines that call the task functions directly",
        "call the API with any token this machine's issuer signed",
    ):
        assert exposed in warning


def test_serve_refuses_before_touching_anything(
    environment: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LOCAL_HOST", EVERY_INTERFACE)
    assert main(["serve"]) == 2
    assert "refusing to listen on 0.0.0.0 (from LOCAL_HOST)" in capsys.readouterr().err
    assert not environment.exists()  # nothing created, no database migrated, nothing bound


def test_an_unresolvable_name_is_not_loopback() -> None:
    assert not is_loopback("no-such-host.invalid")


@pytest.mark.parametrize(
    ("host", "url"),
    [
        ("127.0.0.1", "http://127.0.0.1:3000"),
        (EVERY_INTERFACE, "http://127.0.0.1:3000"),
        ("", "http://127.0.0.1:3000"),
        ("::", "http://[::1]:3000"),
        ("::1", "http://[::1]:3000"),
        ("localhost", "http://localhost:3000"),
    ],
)
def test_urls_printed_and_given_to_the_api_reach_the_server_from_this_machine(host: str, url: str) -> None:
    assert base_url(host, 3000) == url


def test_the_api_serves_on_ipv6_loopback(token_keys: KeyPair) -> None:
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
    except OSError:
        pytest.skip("this machine has no IPv6 loopback")

    def healthy(event: dict, context: object) -> dict:
        return {"statusCode": 200, "body": "ok"}

    server = make_http_server("::1", 0, LocalApiGateway(healthy, token_keys))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with urllib.request.urlopen(f"{base_url('::1', server.server_address[1])}/health", timeout=10) as response:  # noqa: S310
            assert (response.status, response.read()) == (200, b"ok")
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


def test_a_database_out_of_reach_is_said_in_one_line(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    nowhere = "mysql+pymysql://root@127.0.0.1:9/nowhere"  # nothing listens on port 9
    env = {**os.environ, "LOCAL_STATE_DIR": str(tmp_path / "state"), "DATABASE_URL": nowhere, "LOCAL_API_PORT": "0"}
    done = subprocess.run(
        [sys.executable, "-m", "local", "serve"], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 1
    assert f"cannot reach the database {nowhere}" in done.stderr
    assert "Traceback" not in done.stderr
