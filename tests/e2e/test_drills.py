"""Demos and drills on a running runtime, from another terminal: a task made to fail gives ops a failed
execution to redrive, and a week going by (``python -m local clock +7d``) brings the pickup reminder."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import REPO_ROOT, LocalRuntime, start_runtime, stop_runtime
from tests.workflows.conftest import EXACT, application, order_body

pytestmark = pytest.mark.e2e

SITE, SKU = "saint-denis", "DON-0042"


@pytest.fixture(scope="module")
def runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalRuntime]:
    """A runtime of their own: a drill's clock stays moved."""
    state_dir = tmp_path_factory.mktemp("drills")
    started = start_runtime(state_dir, state_dir / "runtime.log")
    yield started
    stop_runtime(started)


def local(runtime: LocalRuntime, *arguments: str) -> subprocess.CompletedProcess[str]:
    """``python -m local …`` in another terminal, pointed at the runtime as `make dev` would print it."""
    environment = {
        **os.environ,
        "LOCAL_STATE_DIR": str(runtime.state_dir),
        "LOCAL_SFN_PORT": runtime.sfn_url.rsplit(":", 1)[1],
    }
    return subprocess.run(
        [sys.executable, "-m", "local", *arguments],
        cwd=REPO_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def until(check: Callable[[], Any], what: str, seconds: float = 30) -> Any:
    deadline = time.monotonic() + seconds
    while not (found := check()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)
    return found


def active_client(runtime: LocalRuntime, desk: str, **changes: Any) -> str:
    status, accepted = runtime.request("POST", "/clients", token=desk, body=application(**changes))
    assert status == 202, accepted
    until(lambda: runtime.request("GET", accepted["status_url"], token=desk)[1]["status"] == "active", "activation")
    return accepted["client_id"]


def test_a_task_made_to_fail_gives_ops_a_failed_execution_they_redrive(runtime: LocalRuntime) -> None:
    desk, manager, ops = runtime.token("front-desk"), runtime.token("managers"), runtime.token("ops")
    frame = {"description": "Donated, black, 52-18", "kind": "donated", "quantity": 1}
    assert runtime.request("PUT", f"/sites/{SITE}/frames/{SKU}", token=manager, body=frame)[0] == 200
    client_id = active_client(runtime, desk, first_name="Awa", phone="+33600000101")
    # Given a fault injected into the task that reserves an order's frame
    done = local(runtime, "fault", "ReserveFrame")
    assert done.returncode == 0, done.stderr
    assert (
        "the next call of order-fulfilment-reserve-frame (ReserveFrame) will fail with UnexpectedError" in done.stdout
    )
    # When an order is made
    body = order_body(client_id, frame_sku=SKU)
    status, created = runtime.request("POST", "/orders", token=desk, body=body)
    assert status == 202, created
    name = f"order-{created['order_id']}"
    path = f"/workflows/order-fulfilment/executions/{name}"
    # Then its execution failed there, as a bug would fail it, and ops can redrive it
    failed = until(lambda: (found := runtime.request("GET", path, token=ops)[1])["status"] == "failed" and found, name)
    assert (failed["failed_state"], failed["error"], failed["redrive"]["redrivable"]) == (
        "ReserveFrame",
        "UnexpectedError",
        True,
    )
    assert "python -m local fault" in failed["cause"]
    assert runtime.request("POST", f"{path}/redrive", token=ops)[0] == 202
    order = f"/orders/{created['order_id']}"
    until(lambda: runtime.request("GET", order, token=desk)[1]["status"] == "at_lab", "the redriven order at the lab")
    # And a name no task has is refused, listing the tasks
    refused = local(runtime, "fault", "ReserveFrames")
    assert refused.returncode == 2
    assert "order-fulfilment-reserve-frame" in refused.stderr


def test_a_week_going_by_brings_the_pickup_reminder(runtime: LocalRuntime) -> None:
    desk, manager = runtime.token("front-desk"), runtime.token("managers")
    lab = local(runtime, "token", "--client", "lab").stdout.strip()
    frame = {"description": "Donated, blue, 50-19", "kind": "donated", "quantity": 1}
    assert runtime.request("PUT", f"/sites/{SITE}/frames/DON-0043", token=manager, body=frame)[0] == 200
    client_id = active_client(runtime, desk, first_name="Fatou", phone="+33600000102")
    # Given glasses ready for a client with SMS consent
    status, created = runtime.request("POST", "/orders", token=desk, body=order_body(client_id, frame_sku="DON-0043"))
    assert status == 202, created
    order = f"/orders/{created['order_id']}"
    until(lambda: runtime.request("GET", order, token=desk)[1]["waiting_for"] == "lab_result", "the lab's wait")
    assert runtime.request("POST", f"/lab{order}/result", token=lab, body={"status": "shipped"})[0] == 200
    until(lambda: runtime.request("GET", order, token=desk)[1]["waiting_for"] == "quality_check", "the check's wait")
    check = {"right": EXACT[0], "left": EXACT[1]}
    assert runtime.request("POST", f"{order}/quality-check", token=desk, body=check)[1]["status"] == "ready"
    until(lambda: runtime.request("GET", order, token=desk)[1]["waiting_for"] == "pickup", "the pickup's wait")
    # When a week goes by
    moved = local(runtime, "clock", "+7d")
    assert moved.returncode == 0, moved.stderr
    assert "7 d ahead of this machine's" in moved.stdout
    # Then the first reminder was queued, and delivered to the mailbox
    reminded = until(
        lambda: [e for e in runtime.request("GET", order, token=desk)[1]["events"] if e["kind"] == "reminded"],
        "the reminder",
    )
    assert reminded[0]["details"]["reminder"] == 1

    def outbox() -> str:
        return local(runtime, "outbox").stdout

    until(lambda: "[pickup_reminder, fr]" in outbox(), "the reminder in the mailbox")
    # And the clock stays moved: a second week brings the second
    assert local(runtime, "clock", "+7d").returncode == 0
    until(lambda: outbox().count("[pickup_reminder, fr]") == 2, "the second reminder")
    # Nor is it moved by what is not a duration
    for wrong in ("soon", "+7y", "+-1d"):
        refused = local(runtime, "clock", wrong)
        assert (refused.returncode, "not a duration" in refused.stderr) == (2, True), refused.stderr


def test_a_drill_with_no_runtime_says_so(tmp_path: Path) -> None:
    environment = {**os.environ, "LOCAL_STATE_DIR": str(tmp_path), "LOCAL_SFN_PORT": "9"}
    done = subprocess.run(
        [sys.executable, "-m", "local", "clock", "+1h"], cwd=REPO_ROOT, env=environment, capture_output=True, text=True
    )
    assert done.returncode == 2
    assert "is `make dev` running?" in done.stderr
