"""Durations as people type them for ``python -m local clock``, and the engine's own operations refusing
what they cannot do (the runtime's tests drive both end to end: tests/e2e/test_drills.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from local import engine_host
from local.drills import DrillRefused, parse_duration
from local.sfn import local_operations
from local.sfn.clock import ShiftedClock
from local.sfn.errors import ServiceError
from local.sfn.testing import local_stepfunctions


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("+7d", 604_800), ("7d", 604_800), ("+90m", 5400), ("+1d12h", 129_600), ("3600", 3600), ("+2w", 1_209_600)],
)
def test_a_duration_is_read_as_people_write_it(text: str, seconds: int) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["-1d", "+-1d", "soon", "7 days", "+7y", "", "1.5h"])
def test_what_is_not_a_duration_forward_is_refused(text: str) -> None:
    with pytest.raises(DrillRefused, match="not a duration"):
        parse_duration(text)


def test_a_shifted_clock_keeps_its_shift_across_restarts(tmp_path: Path) -> None:
    clock = ShiftedClock(tmp_path / "clock-shift")
    before = clock.now()
    clock.advance(7 * 86_400)
    assert clock.now() - before >= 7 * 86_400
    again = ShiftedClock(tmp_path / "clock-shift")  # the runtime started again
    assert again.now() - before >= 7 * 86_400
    with pytest.raises(ValueError, match="moves forward"):
        again.advance(-1)


@pytest.mark.parametrize(
    ("operation", "request_body", "error"),
    [
        ("AdvanceClock", {"seconds": -5}, "ValidationException"),
        ("AdvanceClock", {"seconds": "7d"}, "SerializationException"),
        ("InjectFault", {"functionName": "nothing", "error": "X", "message": ""}, "ResourceNotFound"),
        ("InjectFault", {"functionName": "greet", "error": "X", "message": "", "times": 0}, "ValidationException"),
        ("Explode", {}, "UnknownOperationException"),
    ],
)
def test_the_engines_own_operations_refuse_what_they_cannot_do(operation: str, request_body: dict, error: str) -> None:
    with local_stepfunctions({"greet": lambda event, context: {}}) as sfn, pytest.raises(ServiceError) as refused:
        local_operations.call(sfn.engine, operation, request_body)
    assert refused.value.code == error


def test_an_injected_fault_fails_the_next_calls_then_the_function_runs_again() -> None:
    definition = """{"QueryLanguage": "JSONata", "StartAt": "Greet", "States": {"Greet": {"Type": "Task",
      "Resource": "arn:aws:states:::lambda:invoke", "Arguments": {"FunctionName": "greet"}, "End": true}}}"""
    with local_stepfunctions({"greet": lambda event, context: {"hello": True}}) as sfn:
        machine = sfn.client.create_state_machine(name="m", definition=definition, roleArn="arn:aws:iam::1:role/r")
        local_operations.call(sfn.engine, "InjectFault", {"functionName": "greet", "error": "Boom", "message": "x"})
        runs = [sfn.client.start_execution(stateMachineArn=machine["stateMachineArn"])["executionArn"] for _ in "ab"]
        sfn.settle()
        statuses = [sfn.client.describe_execution(executionArn=arn) for arn in runs]
    assert sorted((run["status"], run.get("error")) for run in statuses) == [("FAILED", "Boom"), ("SUCCEEDED", None)]


def test_a_task_is_found_by_the_name_of_a_state_that_calls_it(tmp_path: Path) -> None:
    # Given the declared workflows in an engine
    service = engine_host.build(tmp_path)
    try:
        functions = local_operations.call(service.engine, "ListFunctions", {})["functions"]
    finally:
        service.store.close()
    by_name = {each["functionName"]: each["states"] for each in functions}
    # Then each function lists the Task states that call it: one function may serve several waits
    assert by_name["order-fulfilment-reserve-frame"] == ["ReserveFrame"]
    assert by_name["order-fulfilment-await-order"] == ["AwaitFrame", "AwaitLab", "AwaitPickup", "AwaitQualityCheck"]
    assert by_name["client-onboarding-await-decision"] == ["AwaitDocuments", "AwaitDuplicateReview"]
