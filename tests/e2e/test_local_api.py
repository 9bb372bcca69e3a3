"""`python -m local serve` over real HTTP: health, tokens, and the whole authorisation matrix."""

import urllib.request

import pytest

from local.tokens import KeyPair
from tests.e2e.conftest import LocalRuntime
from tests.matrix import cases, declared_routes, sample_path

pytestmark = pytest.mark.e2e


def test_health_answers_without_a_token(local_runtime: LocalRuntime) -> None:
    assert local_runtime.request("GET", "/health") == (200, {"status": "ok"})


def test_clients_need_a_token(local_runtime: LocalRuntime) -> None:
    assert local_runtime.request("GET", "/clients") == (401, {"message": "Unauthorized"})


def test_front_desk_can_search_clients(local_runtime: LocalRuntime) -> None:
    status, body = local_runtime.request("GET", "/clients?q=amina", token=local_runtime.token("front-desk"))
    assert (status, body) == (200, {"items": [], "next_cursor": None})


def test_ops_may_not_read_clients(local_runtime: LocalRuntime) -> None:
    status, body = local_runtime.request("GET", "/clients", token=local_runtime.token("ops"))
    assert (status, body["error"]) == (403, "forbidden")


def test_swagger_ui_is_served_locally(local_runtime: LocalRuntime) -> None:
    with urllib.request.urlopen(f"{local_runtime.api_url}/docs") as response:  # noqa: S310 - local URL
        assert response.status == 200
        assert "swagger-ui" in response.read().decode()


def test_the_matrix_holds_over_http(local_runtime: LocalRuntime, tmp_path) -> None:
    keys = KeyPair.load_or_create(local_runtime.state_dir / "keys")
    failures = []
    for route in declared_routes():
        for case in cases(keys, KeyPair.load_or_create(tmp_path)):
            status, _ = local_runtime.request(route.method, sample_path(route), token=case.token)
            expected = case.expected(route)
            passed = status not in (401, 403) if expected == "allowed" else str(status) == expected
            if not passed:
                failures.append(f"{route.method} {route.resource} as {case.name}: {status}, expected {expected}")
    assert failures == []


def test_a_busy_port_is_a_clear_error_not_a_traceback(local_runtime: LocalRuntime, tmp_path) -> None:
    import os
    import subprocess
    import sys

    port = local_runtime.api_url.rsplit(":", 1)[1]
    environment = {**os.environ, "LOCAL_STATE_DIR": str(tmp_path), "LOCAL_API_PORT": port, "LOCAL_SFN_PORT": "0"}
    result = subprocess.run(
        [sys.executable, "-m", "local", "serve"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert "another `make dev` running?" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_second_runtime_on_the_same_state_is_refused(local_runtime: LocalRuntime) -> None:
    # Two engines on one store would both resume its running executions and invoke their tasks twice
    import os
    import subprocess
    import sys

    ports = {"LOCAL_API_PORT": "0", "LOCAL_SFN_PORT": "0"}
    environment = {**os.environ, "LOCAL_STATE_DIR": str(local_runtime.state_dir), **ports}
    command = [sys.executable, "-m", "local", "serve"]
    result = subprocess.run(command, env=environment, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 1
    assert "is in use by another local Step Functions engine" in result.stderr
    assert "Traceback" not in result.stderr
    assert local_runtime.request("GET", "/health") == (200, {"status": "ok"})
