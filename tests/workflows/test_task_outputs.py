"""What the ASL reads of a task is what the task gives: each handler returns a typed model
(``$states.result.Payload.<field>``), and each waiting task declares the models its wait is answered
with (``$states.result.<field>``, or the next Choice's ``$states.input.<field>``)."""

from __future__ import annotations

import importlib
import json
import re
import typing
from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import BaseModel

from workflows import Workflow, all_workflows

PLACEHOLDER = re.compile(r"^\$\{(\w+)\}$")
PAYLOAD_READ = re.compile(r"\$states\.result\.Payload\.(\w+)")
ANSWER_READ = re.compile(r"\$states\.result\.(?!Payload\b)(\w+)")
INPUT_READ = re.compile(r"\$states\.input\.(\w+)")


def _states(states: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any], dict[str, Any]]]:
    """Every state (name, definition, its siblings), in Parallel branches and Map processors too."""
    for name, state in states.items():
        yield name, state, states
        for branch in state.get("Branches", []):
            yield from _states(branch["States"])
        if "ItemProcessor" in state:
            yield from _states(state["ItemProcessor"]["States"])


def _handler(workflow: Workflow, placeholder: str) -> Any:
    module, _, name = workflow.tasks[placeholder].handler.rpartition(".")
    return getattr(importlib.import_module(module), name)


def _fields(models: tuple[type[BaseModel], ...]) -> set[str]:
    return {field for model in models for field in model.model_fields}


def misread(workflow: Workflow, definition: dict[str, Any]) -> list[str]:
    """What the definition reads that its tasks do not give, one line each."""
    problems = []
    for name, state, siblings in _states(definition["States"]):
        function = state.get("Arguments", {}).get("FunctionName", "") if state.get("Type") == "Task" else ""
        if not (match := PLACEHOLDER.match(function)):
            continue
        handler = _handler(workflow, match.group(1))
        output = typing.get_type_hints(handler).get("return")
        if not (isinstance(output, type) and issubclass(output, BaseModel)):
            problems.append(f"state {name}: task ${{{match.group(1)}}} returns no typed model ({output})")
            continue
        # what leaves the state: its Output and Assign, not its Catch (which reads the error)
        leaving = json.dumps({key: state[key] for key in ("Output", "Assign") if key in state})
        reads = set(PAYLOAD_READ.findall(leaving))
        after = siblings.get(state.get("Next", ""), {})
        passed_on = state.get("Output") == "{% $states.result.Payload %}"  # the payload is the next state's input
        if passed_on and after.get("Type") == "Choice":
            reads |= set(INPUT_READ.findall(json.dumps(after.get("Choices", []))))
        for field in sorted(reads - set(output.model_fields)):
            problems.append(f"state {name}: reads Payload.{field}, which {output.__name__} does not give")
        if not state["Resource"].endswith(".waitForTaskToken"):
            continue
        answers = getattr(handler, "answered_with", ())
        if not answers:
            problems.append(f"state {name}: task ${{{match.group(1)}}} waits, but declares no answer model")
            continue
        reads = set(ANSWER_READ.findall(leaving))
        if "Output" not in state and after.get("Type") == "Choice":  # the answer is the Choice's input
            reads |= set(INPUT_READ.findall(json.dumps(after.get("Choices", []))))
        for field in sorted(reads - _fields(answers)):
            problems.append(f"state {name}: reads the answer's {field}, which no answer model gives")
    return problems


@pytest.mark.parametrize("workflow", all_workflows(), ids=lambda workflow: workflow.name)
def test_every_read_of_a_tasks_result_is_a_field_its_model_gives(workflow: Workflow) -> None:
    assert misread(workflow, json.loads(workflow.asl_text())) == []


def _workflow(name: str) -> Workflow:
    return next(workflow for workflow in all_workflows() if workflow.name == name)


def test_a_payload_field_no_task_gives_is_named() -> None:
    queue = _workflow("queue-progression")
    definition = json.loads(queue.asl_text().replace("Payload.grace_seconds", "Payload.grace"))
    assert misread(queue, definition) == ["state EnterStation: reads Payload.grace, which Entered does not give"]


def test_an_answer_field_no_answer_gives_is_named() -> None:
    orders = _workflow("order-fulfilment")
    definition = json.loads(orders.asl_text().replace("$states.result.status", "$states.result.state"))
    assert set(misread(orders, definition)) == {
        f"state {name}: reads the answer's state, which no answer model gives"
        for name in ("AwaitFrame", "AwaitLab", "AwaitQualityCheck", "AwaitPickup")
    }


def test_an_outcome_the_next_choice_reads_is_held_to_the_tasks_output() -> None:
    onboarding = _workflow("client-onboarding")
    definition = json.loads(onboarding.asl_text().replace("$states.input.eligibility", "$states.input.eligible"))
    assert misread(onboarding, definition) == [
        "state CheckEligibility: reads Payload.eligible, which Checked does not give"
    ]


def test_a_decision_the_next_choice_reads_is_held_to_the_answer() -> None:
    onboarding = _workflow("client-onboarding")
    definition = json.loads(onboarding.asl_text().replace("$states.input.decision", "$states.input.verdict"))
    assert misread(onboarding, definition) == [
        "state AwaitDuplicateReview: reads the answer's verdict, which no answer model gives"
    ]
