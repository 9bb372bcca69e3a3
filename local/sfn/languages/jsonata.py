"""JSONata states: ``Arguments``, ``Output``, ``Assign``, ``Items``, ``ItemSelector``, typed fields
and ``Condition``, each a template of ``{% %}`` expressions over ``$states`` and the variables."""

from __future__ import annotations

from typing import Any

from local.sfn import asl
from local.sfn.asl import Catcher, ChoiceState, FailState, MapState, ParallelState, TaskState, Template, WaitState
from local.sfn.expressions import Bindings
from local.sfn.step import Leaving, Step
from local.sfn.store import dumps


class Jsonata:
    def task_request(self, step: Step, token: str | None) -> tuple[Any, float | None, float | None]:
        state = step.state
        assert isinstance(state, TaskState)
        timeout = step.typed_number(state.timeout_seconds, "TimeoutSeconds", 1)
        heartbeat = step.typed_number(state.heartbeat_seconds, "HeartbeatSeconds", 1)
        context = step.context(**({"Task": {"Token": token}} if token else {}))
        arguments = step.evaluate(state.arguments, step.bindings(context=context))  # type: ignore[arg-type]
        if not isinstance(arguments, dict) or not isinstance(arguments.get("FunctionName"), str):
            raise step.evaluation_failed("Arguments/FunctionName", "The FunctionName must be a string")
        return arguments, timeout, heartbeat

    def branch_input(self, step: Step) -> Any:
        state = step.state
        assert isinstance(state, ParallelState)
        return step.evaluate(state.arguments, step.bindings()) if state.arguments else step.run.input

    def map_items(self, step: Step) -> list[Any]:
        state, run = step.state, step.run
        assert isinstance(state, MapState)
        if state.items is None:
            if not isinstance(run.input, list):
                raise step.evaluation_failed(None, f"Map state input must be an array but was: {dumps(run.input)}")
            return run.input
        items = step.evaluate(state.items, step.bindings())
        if not isinstance(items, list):
            kind = {dict: "object", str: "string", bool: "boolean", type(None): "null"}.get(type(items), "number")
            expression = state.items.expressions[0].text if state.items.expressions else ""
            raise step.evaluation_failed(
                "Items",
                f"The JSONata expression '{expression}' specified for the field 'Items' returned an unexpected "
                f"result type. Expected 'array', but was '{kind}' for value: {dumps(items)}",
            )
        return items

    def map_limits(self, step: Step) -> tuple[float | None, float | None, float | None]:
        state = step.state
        assert isinstance(state, MapState)
        return (
            step.typed_number(state.max_concurrency, "MaxConcurrency", 0),
            step.typed_number(state.tolerated_failure_count, "ToleratedFailureCount", 0),
            step.typed_number(state.tolerated_failure_percentage, "ToleratedFailurePercentage", 0),
        )

    def iteration_input(self, step: Step, index: int, item: Any) -> Any:
        state = step.state
        assert isinstance(state, MapState)
        if state.item_selector is None:
            return item
        context = step.context(Map={"Item": {"Index": index, "Value": item}})
        return step.evaluate(state.item_selector, step.bindings(context=context))

    def wait_until(self, step: Step) -> float:
        return literal_wait(step)

    def failure(self, step: Step) -> tuple[str | None, str | None]:
        state = step.state
        assert isinstance(state, FailState)
        bindings = step.bindings()
        error = step.evaluate(state.error, bindings) if state.error else None
        cause = step.evaluate(state.cause, bindings) if state.cause else None
        return error, cause

    def choose(self, step: Step) -> tuple[str, Any, dict[str, Any]] | None:
        state = step.state
        assert isinstance(state, ChoiceState)
        bindings = step.bindings()
        for rule in state.choices:
            matched = step.evaluate(rule.condition, bindings)
            if not isinstance(matched, bool):
                raise step.evaluation_failed(rule.condition.field, f"The Condition must be a boolean: {dumps(matched)}")
            if matched:
                # a matching rule's Output/Assign apply; without Output the input passes through
                return rule.next, *_output_and_assign(step, rule.output, rule.assign, step.run.input)
        return None

    def leave_plain(self, step: Step) -> Leaving:
        return _output_and_assign(step, step.state.output, step.state.assign, step.run.input)

    def leave_with_result(self, step: Step, result: Any) -> Leaving:
        return _output_and_assign(step, step.state.output, step.state.assign, result, result=result)

    def leave_caught(self, step: Step, catcher: Catcher, error_output: dict[str, Any]) -> Leaving:
        return _output_and_assign(step, catcher.output, catcher.assign, error_output, errorOutput=error_output)


def _output_and_assign(
    step: Step, output: Template | None, assign: dict[str, Template] | None, default: Any, **members: Any
) -> Leaving:
    """Assign and Output both read the variables as they were when the state was entered; without
    Output the state's output is ``default`` (its input, its result or the error output)."""
    if output is None and not assign:
        return default, {}
    bindings: Bindings = step.bindings(**members)
    assigned = {name: step.evaluate(template, bindings) for name, template in (assign or {}).items()}
    return (default if output is None else step.evaluate(output, bindings)), assigned


def literal_wait(step: Step) -> float:
    """A Wait's Seconds or Timestamp (a JSONPath state's are literal templates, read the same way)."""
    state = step.state
    assert isinstance(state, WaitState)
    if state.seconds is not None:
        return step.now() + float(step.typed_number(state.seconds, "Seconds", 0) or 0)
    value = step.evaluate(state.timestamp, step.bindings())  # type: ignore[arg-type]
    moment = asl.parse_timestamp(value) if isinstance(value, str) else None
    if moment is None:
        raise step.evaluation_failed(
            "Timestamp",
            f"The Timestamp field cannot be parsed as an ISO-8601 extended offset date-time format string: {value}",
        )
    return moment.timestamp()


JSONATA = Jsonata()
