"""The API function in containers: worker processes that each run one request at a time, as Lambda
scales, in front of the same gateway."""

from __future__ import annotations

import json
import signal
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from unittest.mock import patch

import pytest

from local.containers import ContainerFailed, ContainerPool, ContainerTimedOut
from local.gateway import LocalApiGateway
from local.sfn.lambda_context import LambdaContext
from local.tokens import KeyPair

FUNCTIONS = "tests.local.container_functions"


@pytest.fixture(scope="module")
def pool() -> Iterator[ContainerPool]:
    containers = ContainerPool(f"{FUNCTIONS}.describe", 2, prepare_path=f"{FUNCTIONS}.prepare")
    yield containers
    containers.close()


def _call(pool: ContainerPool, event: dict[str, Any]) -> dict[str, Any]:
    return json.loads(pool(event, LambdaContext("fondation-local-api"))["body"])


def test_each_container_imports_the_function_once_and_runs_its_preparation(pool: ContainerPool) -> None:
    answers = [_call(pool, {"path": f"/{index}"}) for index in range(4)]
    assert all(answer["prepared"] for answer in answers)
    assert [answer["path"] for answer in answers] == ["/0", "/1", "/2", "/3"]
    assert {answer["function"] for answer in answers} == {"fondation-local-api"}  # the context went along


def test_requests_at_once_run_in_as_many_containers(tmp_path: Path) -> None:
    # Given two containers, when two requests come at once, then both run at the same time
    containers = ContainerPool(f"{FUNCTIONS}.rendezvous", 2)
    try:
        event = {"directory": str(tmp_path), "expected": 2, "patience": 30}
        with ThreadPoolExecutor(2) as clients:
            answers = list(clients.map(lambda _: _call(containers, event), range(2)))
    finally:
        containers.close()
    assert answers == [{"met": True}, {"met": True}]
    assert len(list(tmp_path.iterdir())) == 2  # in two processes


def test_a_container_takes_one_request_at_a_time(tmp_path: Path) -> None:
    # Given one container, when four requests come at once, then they wait for it, one after another
    containers = ContainerPool(f"{FUNCTIONS}.describe", 1)
    try:
        with ThreadPoolExecutor(4) as clients:
            answers = list(clients.map(lambda index: _call(containers, {"path": f"/{index}", "sleep": 0.05}), range(4)))
    finally:
        containers.close()
    assert sorted(answer["path"] for answer in answers) == ["/0", "/1", "/2", "/3"]
    assert len({answer["pid"] for answer in answers}) == 1


def test_a_failing_function_is_reported_and_its_container_goes_on() -> None:
    containers = ContainerPool(f"{FUNCTIONS}.fail", 1)
    try:
        for _ in range(2):
            with pytest.raises(ContainerFailed, match="the function failed"):
                containers({}, LambdaContext("fondation-local-api"))
        assert containers.size == 1
    finally:
        containers.close()


def test_a_container_that_dies_is_replaced() -> None:
    containers = ContainerPool(f"{FUNCTIONS}.die", 1)
    try:
        first = containers._all[0].process
        with pytest.raises(ContainerFailed, match="died"):
            containers({}, LambdaContext("fondation-local-api"))
        assert containers.size == 1
        assert containers._all[0].process is not first
        assert first.exitcode == 3
    finally:
        containers.close()


def test_a_function_that_cannot_be_imported_stops_the_pool_from_starting() -> None:
    with pytest.raises(ContainerFailed, match="could not start: AttributeError"):
        ContainerPool(f"{FUNCTIONS}.no_such_function", 1)


def test_closing_the_pool_ends_its_containers() -> None:
    containers = ContainerPool(f"{FUNCTIONS}.describe", 2)
    processes = [container.process for container in containers._all]
    containers.close()
    assert [process.is_alive() for process in processes] == [False, False]
    assert [process.exitcode for process in processes] == [0, 0]  # they ended, nothing killed them


def test_the_gateway_in_front_of_containers_answers_as_in_one_process(pool: ContainerPool, token_keys: KeyPair) -> None:
    status, headers, body = LocalApiGateway(pool, token_keys).handle("GET", "/health", [], b"", "::1")
    assert status == 200
    assert json.loads(body)["path"] == "/health"
    assert ("Content-Type", "application/json") in headers


def test_a_function_failure_behind_the_gateway_is_a_502(token_keys: KeyPair) -> None:
    containers = ContainerPool(f"{FUNCTIONS}.fail", 1)
    try:
        status, _, body = LocalApiGateway(containers, token_keys).handle("GET", "/health", [], b"", "::1")
    finally:
        containers.close()
    assert (status, json.loads(body)) == (502, {"message": "Internal server error"})


def test_a_call_that_outlives_its_time_is_ended_and_its_container_replaced() -> None:
    # Given one container, and a call that takes longer than its context allows
    containers = ContainerPool(f"{FUNCTIONS}.describe", 1)
    try:
        stuck = containers._all[0].process
        # When it runs out of time, Then the caller hears so at once, as API Gateway would answer
        with pytest.raises(ContainerTimedOut, match=r"timed out after 0\.50 seconds"):
            containers({"sleep": 30}, LambdaContext("fondation-local-api", timeout_seconds=0.5))
        # And the container was killed, as Lambda ends the environment; the next call gets a fresh one
        deadline = time.monotonic() + 10
        while stuck.exitcode is None and time.monotonic() < deadline:  # the pool reaps it, not this thread
            time.sleep(0.05)
        assert stuck.exitcode == -signal.SIGKILL
        answer = _call(containers, {"path": "/next"})
        assert (answer["path"], answer["pid"] != stuck.pid) == ("/next", True)
        assert containers.size == 1
    finally:
        containers.close()


def test_while_every_container_is_busy_more_start_up_to_the_limit(tmp_path: Path) -> None:
    # Given one warm container and a limit of three
    containers = ContainerPool(f"{FUNCTIONS}.rendezvous", 1, limit=3)
    try:
        # When three requests come at once, Then they run at the same time, in three containers
        event = {"directory": str(tmp_path), "expected": 3, "patience": 60}
        with ThreadPoolExecutor(3) as clients:
            answers = list(clients.map(lambda _: _call(containers, event), range(3)))
        assert answers == [{"met": True}] * 3
        assert containers.size == 3
        # And a fourth at once with them waits for one: never more than the limit
        with ThreadPoolExecutor(4) as clients:
            list(clients.map(lambda _: _call(containers, {**event, "expected": 0}), range(4)))
        assert containers.size == 3
    finally:
        containers.close()


def test_a_request_that_runs_out_of_time_behind_the_gateway_is_a_504(token_keys: KeyPair) -> None:
    containers = ContainerPool(f"{FUNCTIONS}.describe", 1)
    try:
        gateway = LocalApiGateway(containers, token_keys)
        with patch("local.gateway.API_TIMEOUT_SECONDS", 0.5):
            status, _, body = gateway.handle("GET", "/health?sleep=1", [], b"", "::1")
    finally:
        containers.close()
    assert (status, json.loads(body)) == (504, {"message": "Endpoint request timed out"})


def test_a_request_that_waited_its_time_out_for_a_container_is_timed_out_and_kills_nothing(tmp_path: Path) -> None:
    # Given one container, busy with a slow request, and no room for another
    containers = ContainerPool(f"{FUNCTIONS}.describe", 1)
    try:
        busy = containers._all[0].process
        with ThreadPoolExecutor(1) as slow:
            running = slow.submit(_call, containers, {"path": "/slow", "sleep": 2})
            time.sleep(0.2)
            # When another request's whole time passes in line
            with pytest.raises(ContainerTimedOut, match="no container was free"):
                containers({"path": "/late"}, LambdaContext("fondation-local-api", timeout_seconds=0.5))
            # Then it was answered at its time, and the busy container was neither killed nor handed it
            assert running.result()["path"] == "/slow"
        assert containers._all[0].process is busy
        assert busy.is_alive()
        assert _call(containers, {"path": "/next"})["pid"] == busy.pid
    finally:
        containers.close()
