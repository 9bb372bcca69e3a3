"""The smoke test of a deployed stage, run against the local runtime: the same script and steps, with
the local issuer's token in place of a Cognito user."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys

import pytest

from stage.smoke import Api, LocalIdentity, Smoke, StepFailed
from tests.e2e.conftest import REPO_ROOT, LocalRuntime

pytestmark = pytest.mark.e2e


def smoke(runtime: LocalRuntime, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LOCAL_STATE_DIR": str(runtime.state_dir)}
    return subprocess.run(
        [sys.executable, "-m", "stage", "smoke", "--stage", "local", *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def client_of(output: str) -> str:
    found = re.search(r"onboard a test client: client (\S+)$", output, re.MULTILINE)
    assert found, output
    return found.group(1)


def test_the_smoke_test_onboards_reads_and_erases_a_client(local_runtime: LocalRuntime) -> None:
    # When the smoke test runs against the runtime
    ran = smoke(local_runtime, "--api-url", local_runtime.api_url)
    # Then every step passed, each printed with its time
    assert ran.returncode == 0, ran.stdout + ran.stderr
    steps = [line for line in ran.stdout.splitlines() if line.startswith(("ok", "FAIL"))]
    assert [re.sub(r"^ok +[0-9.]+s  ", "", line).split(":")[0] for line in steps] == [
        "the API answers",
        "sign in",
        "onboard a test client",
        "wait for the onboarding to succeed",
        "read the execution",
        "erase the client",
        "remove the user",
    ]
    assert ran.stdout.splitlines()[-1] == "smoke test passed"
    # And its client went through onboarding and is erased
    client_id = client_of(ran.stdout)
    manager = local_runtime.token("managers")
    status, execution = local_runtime.request(
        "GET", f"/workflows/client-onboarding/executions/client-{client_id}", token=manager
    )
    assert (status, execution["status"], execution["output"]["outcome"]) == (200, "succeeded", "active")
    status, client = local_runtime.request("GET", f"/clients/{client_id}", token=local_runtime.token("front-desk"))
    assert (status, client["status"], client["first_name"]) == (200, "erased", "erased")


def test_a_dead_api_fails_the_smoke_test_naming_the_step(local_runtime: LocalRuntime) -> None:
    ran = smoke(local_runtime, "--api-url", "http://127.0.0.1:9")
    assert ran.returncode == 1
    assert re.search(r"^FAIL +[0-9.]+s  the API answers: GET http://127.0.0.1:9/health: no answer", ran.stdout, re.M)
    assert "start the local runtime (make dev)" in ran.stdout  # what to do about it
    assert ran.stdout.splitlines()[-1] == "smoke test FAILED at: the API answers"


def test_a_runtime_whose_key_the_smoke_test_cannot_find_fails_at_signing_in(local_runtime: LocalRuntime) -> None:
    ran = subprocess.run(
        [sys.executable, "-m", "stage", "smoke", "--stage", "local", "--api-url", local_runtime.api_url],
        cwd=REPO_ROOT,
        env={**os.environ, "LOCAL_STATE_DIR": str(local_runtime.state_dir / "elsewhere")},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert ran.returncode == 1
    assert "no token key in" in ran.stdout
    assert ran.stdout.splitlines()[-1] == "smoke test FAILED at: sign in"


class ReadFails(Smoke):
    def read_execution(self) -> str:
        raise StepFailed("the executions route is down")


def test_a_step_failing_after_the_onboarding_still_erases_the_client(local_runtime: LocalRuntime) -> None:
    # Given a smoke test whose read of the execution fails
    out = io.StringIO()
    identity = LocalIdentity(local_runtime.state_dir, "smoke-e2e")
    # When it runs
    code = ReadFails(Api(local_runtime.api_url), identity, out).main()
    # Then it fails naming that step, and erases its client on the way out
    assert code == 1, out.getvalue()
    assert out.getvalue().splitlines()[-1] == "smoke test FAILED at: read the execution"
    assert "erase the client (cleaning up): client" in out.getvalue()
    status, client = local_runtime.request(
        "GET", f"/clients/{client_of(out.getvalue())}", token=local_runtime.token("front-desk")
    )
    assert (status, client["status"]) == (200, "erased")
