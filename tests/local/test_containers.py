"""The API function in containers: worker processes that each run one request at a time, as Lambda
scales, in front of the same gateway."""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from local.containers import ContainerFailed, ContainerPool
from local.gateway import LocalApiGateway
from local.lambda_context import LambdaContext
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
