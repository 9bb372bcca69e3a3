"""`python -m local serve` as started by `make dev`: loopback only, and a banner whose AWS CLI lines work."""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from tests.e2e.conftest import LocalRuntime

pytestmark = pytest.mark.e2e
LISTEN = "0A"  # the TCP state of a listening socket in /proc/net/tcp
LOOPBACK_HEX = {"0100007F", "00000000000000000000000001000000"}  # 127.0.0.1 and ::1 as the kernel writes them


def _listening_addresses(port: int) -> list[str]:
    """The local addresses of every socket listening on ``port`` on this machine (IPv4 and IPv6)."""
    addresses = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if not Path(table).exists():
            continue
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            address, port_hex = fields[1].split(":")
            if int(port_hex, 16) == port and fields[3] == LISTEN:
                addresses.append(address)
    return addresses


def _port(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


def test_both_servers_listen_on_loopback_only(local_runtime: LocalRuntime) -> None:
    if not Path("/proc/net/tcp").exists():
        pytest.skip("needs Linux's /proc/net/tcp")
    for url in (local_runtime.api_url, local_runtime.sfn_url):
        addresses = _listening_addresses(_port(url))
        assert addresses, f"nothing listens on {url}"
        assert set(addresses) <= LOOPBACK_HEX, f"{url} listens on {addresses}"


def _banner(runtime: LocalRuntime) -> str:
    log = (runtime.state_dir / "runtime.log").read_text()
    return log[log.index("fondation local runtime") :]


def test_the_banner_prints_what_the_aws_cli_needs_next_to_the_endpoint(local_runtime: LocalRuntime) -> None:
    banner = _banner(local_runtime)
    assert f"Step Functions  {local_runtime.sfn_url}" in banner
    assert "export AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local AWS_DEFAULT_REGION=us-east-1" in banner
    assert f"aws stepfunctions --endpoint-url {local_runtime.sfn_url} list-state-machines" in banner


def test_the_banner_lines_pasted_into_a_shell_reach_the_local_step_functions(local_runtime: LocalRuntime) -> None:
    if shutil.which("aws") is None:
        pytest.skip("the AWS CLI is not installed")
    # Given the two lines as the banner prints them, and a shell without any AWS configuration
    banner = _banner(local_runtime)
    export = re.search(r"^\s*AWS CLI\s+(export .+)$", banner, re.MULTILINE).group(1)
    command = re.search(r"^\s*(aws stepfunctions .+)$", banner, re.MULTILINE).group(1)
    environment = {name: value for name, value in os.environ.items() if not name.startswith("AWS_")}
    environment["AWS_CONFIG_FILE"] = environment["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
    # When they are pasted
    result = subprocess.run(
        ["bash", "-c", f"{export}\n{command}"], env=environment, capture_output=True, text=True, timeout=60, check=False
    )
    # Then the CLI lists the local state machines
    assert result.returncode == 0, result.stderr
    names = [machine["name"] for machine in json.loads(result.stdout)["stateMachines"]]
    assert "client-onboarding" in names


def test_the_state_directory_holds_only_private_files(local_runtime: LocalRuntime) -> None:
    # the session's runtime has migrated its database, built its engine and made its keys by now
    found = {
        str(path.relative_to(local_runtime.state_dir)): stat.S_IMODE(path.stat().st_mode)
        for path in local_runtime.state_dir.rglob("*")
        if path.name != "runtime.log"  # the test's own log of the subprocess
    }
    assert {"fondation.db", "stepfunctions.db", "keys", "keys/token-signing.pem"} <= set(found)
    wide = {name: f"{mode:o}" for name, mode in found.items() if mode & 0o077}
    assert wide == {}
