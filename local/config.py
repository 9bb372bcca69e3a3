"""Settings of the local runtime: defaults that just work, overridable by environment variables."""

from __future__ import annotations

import ipaddress
import os
import socket
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_HOST = "127.0.0.1"
DEFAULT_API_PORT, DEFAULT_SFN_PORT = 3000, 8083
SETTINGS_FILE = REPO_ROOT / "local" / "settings.toml"  # the stage's parameters, locally (SETTINGS_FILE overrides)

# What a reachable local runtime gives away: neither endpoint has real authentication.
EXPOSURE = (
    "Neither endpoint has real authentication: anyone who can reach {where} can read task tokens from "
    "execution histories and answer the callbacks they belong to (a duplicate review, say, with no front-desk "
    "token and no audit entry), create and start state machines that call the task functions directly "
    "(activating a client the eligibility check refused), and call the API with any token this machine's "
    "issuer signed."
)


class ExposureRefused(Exception):
    """A non-loopback listen address that was not asked for on the command line."""


@dataclass(frozen=True)
class LocalSettings:
    state_dir: Path
    host: str
    api_port: int
    sfn_port: int
    database_url: str
    workflow_packages: tuple[str, ...]
    host_from_command_line: bool = False

    @classmethod
    def from_env(
        cls, host: str | None = None, api_port: int | None = None, sfn_port: int | None = None
    ) -> LocalSettings:
        """The options of ``python -m local serve`` win over the environment: ``host`` is ``--host``,
        the only way to name an address other than loopback."""
        state_dir = Path(os.environ.get("LOCAL_STATE_DIR", REPO_ROOT / ".local")).resolve()
        return cls(
            state_dir=state_dir,
            host=os.environ.get("LOCAL_HOST", DEFAULT_HOST) if host is None else host,
            api_port=int(os.environ.get("LOCAL_API_PORT", DEFAULT_API_PORT)) if api_port is None else api_port,
            sfn_port=int(os.environ.get("LOCAL_SFN_PORT", DEFAULT_SFN_PORT)) if sfn_port is None else sfn_port,
            database_url=os.environ.get("DATABASE_URL", f"sqlite:///{state_dir / 'fondation.db'}"),
            workflow_packages=tuple(os.environ.get("LOCAL_WORKFLOW_PACKAGES", "workflows").split(",")),
            host_from_command_line=host is not None,
        )

    def check_listen_host(self) -> str | None:
        """None when the servers listen on loopback only; else the warning to print before serving.
        Raises ``ExposureRefused`` for an address other than loopback that ``--host`` did not give.

        An address other than loopback is served only when given with ``--host``: an environment
        variable set long ago in a shell profile must not open the machine's task tokens to the network.
        """
        if is_loopback(self.host):
            return None
        shown = self.host or "every interface"
        exposure = EXPOSURE.format(where=_reach(self.host))
        if not self.host_from_command_line:
            asked = self.host or "0.0.0.0"  # noqa: S104 - named in the message, not bound
            raise ExposureRefused(
                f"refusing to listen on {shown} (from LOCAL_HOST): it is not a loopback address.\n{exposure}\n"
                f"Unset LOCAL_HOST to listen on {DEFAULT_HOST} only, or, on a network you trust, say so on the "
                f"command line:\n  python -m local serve --host {asked}"
            )
        return f"WARNING: listening on {shown}, not on loopback only. {exposure}"


def _reach(host: str) -> str:
    """Who can connect, in words: a wildcard address is every network the machine is on."""
    try:
        unspecified = not host or ipaddress.ip_address(host).is_unspecified
    except ValueError:
        unspecified = False
    return "this machine on any of its networks" if unspecified else host


def is_loopback(host: str) -> bool:
    """Whether every address ``host`` stands for is a loopback address ("" and 0.0.0.0 mean every interface)."""
    if not host:
        return False
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        pass  # a host name: what it resolves to decides
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)}
    except (socket.gaierror, UnicodeError):
        return False
    return bool(addresses) and all(
        ipaddress.ip_address(str(address).split("%")[0]).is_loopback for address in addresses
    )
