"""The local runtime as a real subprocess on free ports, with its own state directory."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from local.tokens import KeyPair, issue_token

REPO_ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT_SECONDS = 60


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class LocalRuntime:
    api_url: str
    sfn_url: str
    state_dir: Path
    process: subprocess.Popen[bytes]

    def sfn(self) -> Any:
        """boto3's Step Functions client on the runtime's endpoint, as a manager's tools use it."""
        import boto3

        return boto3.client(
            "stepfunctions",
            endpoint_url=self.sfn_url,
            region_name="us-east-1",
            aws_access_key_id="local",
            aws_secret_access_key="local",
        )

    def token(self, *groups: str, user: str = "e2e-user") -> str:
        return issue_token(KeyPair.load_or_create(self.state_dir / "keys"), list(groups), user)

    def request(self, method: str, path: str, *, token: str | None = None, body: Any = None) -> tuple[int, Any]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(f"{self.api_url}{path}", data=data, method=method)  # noqa: S310
        request.add_header("Content-Type", "application/json")
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - our own local URL
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, raw = error.code, error.read()
        return status, json.loads(raw) if raw else None


OPEN_ALL_DAY = {day: ["00:00", "24:00"] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


def open_site(
    runtime: LocalRuntime, prefix: str, name: str, stations: dict[str, dict[str, Any]], **settings: Any
) -> str:
    """A site of its own (the runtime is shared by the e2e tests), open all day: its stations, and
    its default journey through them in that order; ``settings``: the rest of the site's."""
    manager = runtime.token("managers", user="manager-1")
    site = f"{prefix}-{uuid.uuid4().hex[:8]}"
    site_settings = {"name": name, "hours": OPEN_ALL_DAY}
    assert runtime.request("PUT", f"/sites/{site}", token=manager, body=site_settings)[0] == 200
    for station, body in stations.items():
        assert runtime.request("PUT", f"/sites/{site}/stations/{station}", token=manager, body=body)[0] == 200
    site_settings |= {"default_journey": list(stations), **settings}
    assert runtime.request("PUT", f"/sites/{site}", token=manager, body=site_settings)[0] == 200
    return site


def until(check: Callable[[], Any], what: str, seconds: float = 30) -> Any:
    """``check()``'s first true answer, polled; a clear failure after ``seconds``."""
    deadline = time.monotonic() + seconds
    while not (found := check()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)
    return found


def start_runtime(state_dir: Path, log_path: Path, **extra_env: str) -> LocalRuntime:
    api_port, sfn_port = free_port(), free_port()
    # SQLite unless told, and its own Step Functions: not what the tests point the functions they run at
    ours = ("DATABASE_URL", "AWS_ENDPOINT_URL_SFN")
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in ours and not name.startswith("STATE_MACHINE_ARN_")
    }
    env |= {"LOCAL_STATE_DIR": str(state_dir), "LOCAL_API_PORT": str(api_port), "LOCAL_SFN_PORT": str(sfn_port)}
    env |= extra_env
    log = log_path.open("ab")
    process = subprocess.Popen([sys.executable, "-m", "local", "serve"], cwd=REPO_ROOT, env=env, stdout=log, stderr=log)
    runtime = LocalRuntime(f"http://127.0.0.1:{api_port}", f"http://127.0.0.1:{sfn_port}", state_dir, process)
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"local runtime exited with {process.returncode}:\n{log_path.read_text()}")
        try:
            if runtime.request("GET", "/health")[0] == 200:
                return runtime
        except OSError:
            pass
        time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"local runtime did not answer within {START_TIMEOUT_SECONDS}s:\n{log_path.read_text()}")


def stop_runtime(runtime: LocalRuntime) -> None:
    runtime.process.terminate()
    try:
        runtime.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        runtime.process.kill()


@pytest.fixture(scope="session")
def local_runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalRuntime]:
    state_dir = tmp_path_factory.mktemp("local-state")
    runtime = start_runtime(state_dir, state_dir / "runtime.log")
    yield runtime
    stop_runtime(runtime)


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's chromium, driven by Playwright (no browser download: `make test` installs chromium)."""
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), "no chromium: `make test` installs Debian's (apt-get install chromium)"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()
