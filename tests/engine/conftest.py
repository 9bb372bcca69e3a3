"""An in-process engine on a manual clock, with the test handlers registered as Lambda functions."""

from __future__ import annotations

import itertools
import json
import random
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from local.sfn.clock import ManualClock
from local.sfn.engine import Engine
from local.sfn.functions import FunctionRegistry, LocalFunction, function_arn
from local.sfn.service import DEFAULT_ROLE, StepFunctionsService
from local.sfn.store import Store
from tests.engine import handlers

INVOKE = "arn:aws:states:::lambda:invoke"
INVOKE_WAIT = "arn:aws:states:::lambda:invoke.waitForTaskToken"
FUNCTIONS = {
    "echo": ("tests.engine.handlers.echo", 30),
    "add-one": ("tests.engine.handlers.add_one", 30),
    "trivial": ("tests.engine.handlers.trivial", 30),
    "where": ("tests.engine.handlers.where", 30),
    "pause": ("tests.engine.handlers.pause", 30),
    "hold-one": ("tests.engine.handlers.hold_one", 60),
    "exits": ("tests.engine.handlers.exits", 30),
    "first-hangs": ("tests.engine.handlers.first_hangs", 60),
    "flaky": ("tests.engine.handlers.flaky", 30),
    "flaky-item": ("tests.engine.handlers.flaky_item", 30),
    "fails-in-turn": ("tests.engine.handlers.fails_in_turn", 30),
    "reject": ("tests.engine.handlers.reject", 30),
    "slow": ("tests.engine.handlers.slow", 1),
    "context-probe": ("tests.engine.handlers.context_probe", 7),
    "not-json": ("tests.engine.handlers.not_json", 30),
}
_names = itertools.count()


def task(function: str, payload: Any = "{% $states.input %}", **fields: Any) -> dict[str, Any]:
    """A Lambda task state calling one of the test functions; its output is the function's payload."""
    state: dict[str, Any] = {
        "Type": "Task",
        "Resource": INVOKE,
        "Arguments": {"FunctionName": function_arn(function), "Payload": payload},
        "Output": "{% $states.result.Payload %}",
    }
    state.update(fields)
    if "Next" not in state and "End" not in state:
        state["End"] = True
    return state


@dataclass
class Result:
    arn: str
    status: str
    output: Any
    error: str | None
    cause: str | None
    history: list[dict[str, Any]]

    def events(self, event_type: str) -> list[dict[str, Any]]:
        return [event for event in self.history if event["type"] == event_type]

    def types(self) -> list[str]:
        return [event["type"] for event in self.history]

    def details(self, event: dict[str, Any]) -> dict[str, Any]:
        return next(value for key, value in event.items() if key.endswith("EventDetails"))

    def entered(self) -> list[str]:
        return [self.details(event)["name"] for event in self.history if event["type"].endswith("StateEntered")]


@dataclass
class Sfn:
    service: StepFunctionsService
    engine: Engine
    clock: ManualClock

    def machine(self, states: dict[str, Any], start_at: str | None = None, **top: Any) -> str:
        definition = {"QueryLanguage": "JSONata", "StartAt": start_at or next(iter(states)), "States": states, **top}
        response = self.service.CreateStateMachine(
            {"name": f"machine-{next(_names)}", "definition": json.dumps(definition), "roleArn": DEFAULT_ROLE}
        )
        return response["stateMachineArn"]

    def start(self, machine_arn: str, payload: Any = None, name: str | None = None) -> str:
        request = {"stateMachineArn": machine_arn, "input": json.dumps({} if payload is None else payload)}
        if name:
            request["name"] = name
        return self.service.StartExecution(request)["executionArn"]

    def run(self, states: dict[str, Any], payload: Any = None, **top: Any) -> Result:
        """Create a machine, run it until nothing more can happen without the clock, return the result."""
        arn = self.start(self.machine(states, **top), payload)
        self.settle()
        return self.result(arn)

    def wait_for_event(self, arn: str, event_type: str, timeout: float = 10.0) -> None:
        """Wait (in real time) until the history shows ``event_type``: a handler may still be running."""
        deadline = time.monotonic() + timeout
        while event_type not in self.result(arn).types():
            assert time.monotonic() < deadline, f"no {event_type} within {timeout}s"
            time.sleep(0.005)

    def settle(self) -> None:
        assert self.engine.wait_idle(20), "the engine did not settle"

    def advance(self, seconds: float) -> None:
        self.clock.advance(seconds)
        self.settle()

    def time_out_slow_task(self, arn: str, seconds: float, expected_event: str) -> None:
        """Move the clock past a running ``slow`` task's deadline; once ``expected_event`` is recorded, let
        the handler return (too late: its result is dropped)."""
        self.wait_for_event(arn, "TaskStarted")
        self.clock.advance(seconds)
        self.wait_for_event(arn, expected_event)
        handlers.SWITCHES["gate"].set()
        self.settle()

    def result(self, arn: str) -> Result:
        described = self.service.DescribeExecution({"executionArn": arn})
        history = self.service.GetExecutionHistory({"executionArn": arn, "maxResults": 1000})["events"]
        output = json.loads(described["output"]) if "output" in described else None
        return Result(arn, described["status"], output, described.get("error"), described.get("cause"), history)


def make_sfn(state_dir: Path, clock: ManualClock | None = None, workers: int = 48) -> Sfn:
    registry = FunctionRegistry()
    for name, (handler, timeout) in FUNCTIONS.items():
        registry.register(LocalFunction(name, handler, timeout_seconds=timeout, memory_mb=512))
    clock = clock or ManualClock()
    engine = Engine(Store(state_dir / "sfn.db"), registry, clock=clock, workers=workers, rng=random.Random(7))
    service = StepFunctionsService(engine)
    engine.start()
    return Sfn(service, engine, clock)


@pytest.fixture
def sfn(tmp_path: Path) -> Iterator[Sfn]:
    handlers.SWITCHES.update({"flaky_fails": True, "calls": [], "gate": threading.Event()})
    local = make_sfn(tmp_path)
    yield local
    handlers.SWITCHES["gate"].set()
    local.engine.shutdown()
