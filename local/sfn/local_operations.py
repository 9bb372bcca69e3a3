"""What the local engine answers beside AWS's API, under the target prefix ``LocalStepFunctions.``:
the clock moved forward, a fault injected into a function's next calls, the functions listed. For
demos and drills on a running engine (``python -m local clock``, ``python -m local fault``); AWS has
none of them, and no AWS client sends them."""

from __future__ import annotations

import json
from typing import Any

from local.sfn.clock import iso
from local.sfn.engine import Engine
from local.sfn.errors import ServiceError
from local.sfn.functions import function_name_of
from local.sfn.parameters import Member, check_request, string

TARGET_PREFIX = "LocalStepFunctions."
TEN_YEARS = 10 * 366 * 24 * 3600


def call(engine: Engine, operation: str, request: dict[str, Any]) -> dict[str, Any]:
    if operation == "AdvanceClock":
        check_request(request, {"seconds": Member(int, required=True, minimum=0, maximum=TEN_YEARS)})
        try:
            engine.advance_clock(request["seconds"])
        except ValueError as error:  # a clock that moves by itself
            raise ServiceError("ValidationException", str(error)) from error
        return {"now": iso(engine.clock.now())}
    if operation == "InjectFault":
        members = {
            "functionName": string(required=True, min_length=1, max_length=140),
            "error": string(required=True, min_length=1, max_length=128),
            "message": string(required=True, max_length=1000),
            "times": Member(int, minimum=1, maximum=100),
        }
        check_request(request, members)
        function = engine.functions.resolve(request["functionName"])
        if function is None:
            raise ServiceError("ResourceNotFound", f"no function {request['functionName']}")
        pending = function.inject(request["error"], request["message"], request.get("times") or 1)
        return {"functionName": function.name, "pendingFaults": pending}
    if operation == "ListFunctions":
        callers = _task_states(engine)
        return {
            "functions": [
                {
                    "functionName": function.name,
                    "states": sorted(callers.get(function.name, ())),
                    "pendingFaults": function.pending_faults(),
                }
                for function in engine.functions
            ],
            "now": iso(engine.clock.now()),
        }
    raise ServiceError("UnknownOperationException", f"Unknown operation {operation}")


def _task_states(engine: Engine) -> dict[str, set[str]]:
    """{function name: the names of the Task states that call it}, in every state machine."""
    callers: dict[str, set[str]] = {}

    def walk(states: dict[str, Any]) -> None:
        for name, state in states.items():
            arguments = state.get("Arguments") or state.get("Parameters") or {}
            reference = arguments.get("FunctionName") if isinstance(arguments, dict) else None
            if state.get("Type") == "Task" and isinstance(reference, str):
                callers.setdefault(function_name_of(reference), set()).add(name)
            for branch in state.get("Branches", []):
                walk(branch.get("States", {}))
            processor = state.get("ItemProcessor") or state.get("Iterator") or {}
            walk(processor.get("States", {}))

    for machine in engine.store.state_machines():
        walk(json.loads(machine["definition"]).get("States", {}))
    return callers
