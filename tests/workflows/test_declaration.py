"""The retry and catch policy of our tasks, checked when a workflow loads: each test alters a copy of a
real ASL file the way a hand edit could, and the check names the file, the state and what is wrong."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from local.sfn.asl import parse_definition
from workflows import DeclarationError, Task, Workflow, all_workflows
from workflows.client_onboarding import WORKFLOW as ONBOARDING
from workflows.declaration import RETRY_TIMING
from workflows.order_fulfilment import WORKFLOW as ORDERS
from workflows.queue_progression import WORKFLOW as QUEUE

States = dict[str, Any]


def altered(tmp_path: Path, workflow: Workflow, change: Callable[[States], None], **tasks: Task) -> Workflow:
    """``workflow`` with ``change`` made to a copy of its ASL's states (and ``tasks`` declared anew)."""
    definition = json.loads(workflow.asl_text())
    change(definition["States"])
    path = tmp_path / workflow.asl_path.name
    path.write_text(json.dumps(definition, indent=2))
    return dataclasses.replace(workflow, asl_path=path, tasks={**workflow.tasks, **tasks})


def refusal(workflow: Workflow) -> str:
    with pytest.raises(DeclarationError) as refused:
        workflow.check()
    return str(refused.value)


def test_the_real_workflows_keep_the_policy() -> None:
    workflows = all_workflows()  # checks each
    assert {workflow.name for workflow in workflows} == {ONBOARDING.name, ORDERS.name, QUEUE.name}
    for workflow in workflows:
        assert workflow.policy_problems() == []
    assert any(task.raises for workflow in workflows for task in workflow.tasks.values())


def test_a_task_without_its_retrier_is_refused(tmp_path: Path) -> None:
    workflow = altered(tmp_path, ONBOARDING, lambda states: states["RegisterClient"].pop("Retry"))
    assert refusal(workflow) == (
        "client_onboarding.asl.json: state RegisterClient: no retrier for DatabaseUnavailable and Lambda's "
        f"transient errors: add {json.dumps(ONBOARDING.tasks['RegisterClient'].retrier())}"
    )


def test_a_retrier_with_other_timing_is_refused(tmp_path: Path) -> None:
    def fewer_attempts(states: States) -> None:
        states["AwaitLab"]["Retry"][0]["MaxAttempts"] = 3
        del states["AwaitLab"]["Retry"][0]["JitterStrategy"]

    assert refusal(altered(tmp_path, ORDERS, fewer_attempts)) == (
        "order_fulfilment.asl.json: state AwaitLab: the retrier lacks JitterStrategy (the standard is FULL)\n"
        "order_fulfilment.asl.json: state AwaitLab: the retrier's MaxAttempts is 3, the standard is 4"
    )


def test_a_retrier_missing_one_of_lambdas_errors_is_refused(tmp_path: Path) -> None:
    def without(states: States) -> None:
        states["MissCall"]["Retry"][0]["ErrorEquals"].remove("Lambda.TooManyRequestsException")

    assert refusal(altered(tmp_path, QUEUE, without)) == (
        "queue_progression.asl.json: state MissCall: the retrier lacks Lambda.TooManyRequestsException"
    )


def test_a_retrier_shadowed_by_an_earlier_one_is_refused(tmp_path: Path) -> None:
    def shadowed(states: States) -> None:
        states["EnterStation"]["Retry"].insert(0, {"ErrorEquals": ["DatabaseUnavailable"], "MaxAttempts": 9})

    assert "state EnterStation: the retrier lacks Lambda.ServiceException" in refusal(
        altered(tmp_path, QUEUE, shadowed)
    )


def test_settings_unavailable_is_retried_exactly_where_the_task_reads_parameters(tmp_path: Path) -> None:
    def swapped(states: States) -> None:
        states["ReserveFrame"]["Retry"][0]["ErrorEquals"].remove("SettingsUnavailable")
        states["AwaitFrame"]["Retry"][0]["ErrorEquals"].insert(1, "SettingsUnavailable")

    assert refusal(altered(tmp_path, ORDERS, swapped)) == (
        "order_fulfilment.asl.json: state ReserveFrame: the retrier lacks SettingsUnavailable, and task "
        "${ReserveFrame} reads parameters (orders)\n"
        "order_fulfilment.asl.json: state AwaitFrame: the retrier names SettingsUnavailable, and task "
        "${AwaitOrder} reads no parameters"
    )


def test_a_catch_of_an_error_the_task_cannot_raise_is_refused(tmp_path: Path) -> None:
    def catches_a_duplicate(states: States) -> None:
        states["RegisterClient"]["Catch"].append({"ErrorEquals": ["SuspectedDuplicate"], "Next": "Erased"})

    assert refusal(altered(tmp_path, ONBOARDING, catches_a_duplicate)) == (
        "client_onboarding.asl.json: state RegisterClient: catches SuspectedDuplicate, which task "
        "${RegisterClient} does not raise (it declares ClientErased)"
    )


@pytest.mark.parametrize(
    ("state", "error", "why"),
    [
        ("EnterStation", "States.Timeout", "but sets no TimeoutSeconds or HeartbeatSeconds: it never times out"),
        ("AwaitCall", "States.HeartbeatTimeout", "but sets no HeartbeatSeconds"),
        ("EnterStation", "States.ALL", "which would end an execution that DatabaseUnavailable must fail"),
        ("MissCall", "States.TaskFailed", "which would end an execution that DatabaseUnavailable must fail"),
        ("ExpireTicket", "DatabaseUnavailable", "which is retried and then fails the execution, for ops to redrive"),
    ],
)
def test_a_catch_of_what_must_fail_or_cannot_happen_is_refused(
    tmp_path: Path, state: str, error: str, why: str
) -> None:
    def catches(states: States) -> None:
        states[state]["Catch"].insert(0, {"ErrorEquals": [error], "Next": "Ended"})

    assert (
        refusal(altered(tmp_path, QUEUE, catches))
        == f"queue_progression.asl.json: state {state}: catches {error}, {why}"
    )


def test_a_timeout_is_caught_where_a_heartbeat_is_set(tmp_path: Path) -> None:
    def heartbeat_only(states: States) -> None:
        del states["AwaitLab"]["TimeoutSeconds"]
        states["AwaitLab"]["Catch"][0]["ErrorEquals"].append("States.HeartbeatTimeout")

    altered(tmp_path, ORDERS, heartbeat_only).check()


def test_a_declared_outcome_left_uncaught_is_refused(tmp_path: Path) -> None:
    def uncaught(states: States) -> None:
        del states["ActivateClient"]["Catch"]

    assert refusal(altered(tmp_path, ONBOARDING, uncaught)) == (
        "client_onboarding.asl.json: state ActivateClient: does not catch ClientErased, which task "
        "${ActivateClient} raises: the execution would fail on a business outcome"
    )


@pytest.mark.parametrize("error", ["ClientErasd", "DatabaseUnavailable", "WorkflowUnavailable"])
def test_a_declared_error_no_handler_raises_by_name_is_refused(tmp_path: Path, error: str) -> None:
    task = dataclasses.replace(ORDERS.tasks["ReserveFrame"], raises=(error,))
    catches = {"Catch": [{"ErrorEquals": [error], "Next": "Route"}]}
    workflow = altered(tmp_path, ORDERS, lambda states: states["ReserveFrame"].update(catches), ReserveFrame=task)
    assert refusal(workflow).startswith(
        f"order_fulfilment.asl.json: task ${{ReserveFrame}} declares it raises {error}, which is no DomainError "
        "of lambdas/shared/errors.py: no error of that name reaches Step Functions from its handler"
    )


def test_a_function_named_otherwise_than_by_a_placeholder_is_refused(tmp_path: Path) -> None:
    def named(states: States) -> None:
        states["AwaitFrame"]["Arguments"]["FunctionName"] = "order-fulfilment-await-order"

    message = refusal(altered(tmp_path, ORDERS, named))
    assert "state AwaitFrame: its FunctionName must be one ${Placeholder} of a declared task" in message


def _nested(states: States, name: str, kind: str, change: Callable[[States], None]) -> None:
    """The state ``name`` moved inside a Parallel's one branch or a Map's item processor (one item),
    which takes its place, its transitions and its Catch: an error that fails the branch or the
    iteration fails the Parallel or Map under its own name."""
    task = states.pop(name)
    outside = {"Next": task.pop("Next"), "Catch": task.pop("Catch", [])}
    inner: dict[str, Any] = {"StartAt": name, "States": {name: {**task, "End": True}}}
    change(inner["States"])
    nested = {"Type": kind, "Branches": [inner]} if kind == "Parallel" else {"Type": kind, "ItemProcessor": inner}
    states[f"{name}{kind}"] = {**nested, **({"Items": "{% [1] %}"} if kind == "Map" else {}), **outside}
    for state in states.values():
        for transition in [state, *state.get("Catch", []), *state.get("Choices", [])]:
            if transition.get("Next") == name:
                transition["Next"] = f"{name}{kind}"


def test_a_task_in_a_parallel_branch_keeps_the_policy(tmp_path: Path) -> None:
    as_is = altered(tmp_path, QUEUE, lambda states: _nested(states, "MissCall", "Parallel", lambda inner: None))
    parse_definition(as_is.definition(dict.fromkeys(as_is.tasks, "arn:x")), "q.asl.json")  # a valid machine
    as_is.check()  # TicketEnded is caught around it

    def slower(inner: States) -> None:
        inner["MissCall"]["Retry"][0]["IntervalSeconds"] = 5

    workflow = altered(tmp_path, QUEUE, lambda states: _nested(states, "MissCall", "Parallel", slower))
    assert refusal(workflow) == (
        "queue_progression.asl.json: state MissCall: the retrier's IntervalSeconds is 5, the standard is 2"
    )


def test_a_task_in_a_map_item_processor_keeps_the_policy(tmp_path: Path) -> None:
    def without_retrier(inner: States) -> None:
        del inner["ExpireTicket"]["Retry"]

    workflow = altered(tmp_path, QUEUE, lambda states: _nested(states, "ExpireTicket", "Map", without_retrier))
    parse_definition(workflow.definition(dict.fromkeys(workflow.tasks, "arn:x")), "q.asl.json")  # a valid machine
    assert refusal(workflow).startswith(
        "queue_progression.asl.json: state ExpireTicket: no retrier for DatabaseUnavailable and Lambda's transient "
        "errors"
    )


def test_a_catch_in_a_map_item_processor_names_only_what_its_task_raises(tmp_path: Path) -> None:
    def catches(inner: States) -> None:
        inner["ExpireTicket"]["Catch"] = [{"ErrorEquals": ["SuspectedDuplicate"], "Next": "Given"}]
        inner["Given"] = {"Type": "Succeed"}

    workflow = altered(tmp_path, QUEUE, lambda states: _nested(states, "ExpireTicket", "Map", catches))
    parse_definition(workflow.definition(dict.fromkeys(workflow.tasks, "arn:x")), "q.asl.json")  # a valid machine
    assert refusal(workflow) == (
        "queue_progression.asl.json: state ExpireTicket: catches SuspectedDuplicate, which task ${ExpireTicket} does "
        "not raise (it declares TicketEnded)"
    )


def test_every_problem_is_named_at_once(tmp_path: Path) -> None:
    def two(states: States) -> None:
        states["FindDuplicates"]["Retry"][0]["BackoffRate"] = 3
        states["FindDuplicates"]["Catch"].pop(0)

    assert refusal(altered(tmp_path, ONBOARDING, two)).splitlines() == [
        f"client_onboarding.asl.json: state FindDuplicates: the retrier's BackoffRate is 3, the standard is "
        f"{RETRY_TIMING['BackoffRate']}",
        "client_onboarding.asl.json: state FindDuplicates: does not catch SuspectedDuplicate, which task "
        "${FindDuplicates} raises: the execution would fail on a business outcome",
    ]


def test_workflows_whose_handlers_are_not_ours_are_checked_for_placeholders_only(tmp_path: Path) -> None:
    engine_test = altered(tmp_path, QUEUE, lambda states: states["MissCall"].pop("Retry"))
    foreign = {name: Task("tests.engine.handlers.echo") for name in engine_test.tasks}
    dataclasses.replace(engine_test, tasks=foreign).check()
