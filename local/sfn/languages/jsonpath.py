"""JSONPath states: data through ``InputPath`` → ``Parameters`` → the work → ``ResultSelector`` →
``ResultPath`` → ``OutputPath``; ``…Path`` fields read from the input; Choice rules; ``$$`` and
``$variables`` in paths. Where AWS fails such a field it is ``States.Runtime`` (or the error AWS
names), never a query evaluation error."""

from __future__ import annotations

from typing import Any

from local.sfn import asl, jsonpath_states
from local.sfn.asl import Catcher, ChoiceState, FailState, MapState, TaskState, WaitState
from local.sfn.errors import StatesError
from local.sfn.jsonpath_states import JsonPathFields
from local.sfn.languages.jsonata import literal_wait
from local.sfn.paths import Path
from local.sfn.step import Leaving, Step
from local.sfn.store import dumps

MAX_PATH_NUMBER = 2**53  # a number a …Path field gives is a JSON double: past this it is no whole number


def _fields(step: Step) -> JsonPathFields:
    fields = step.state.jsonpath
    assert fields is not None
    return fields


class JsonPath:
    def task_request(self, step: Step, token: str | None) -> tuple[Any, float | None, float | None]:
        state, fields = step.state, _fields(step)
        assert isinstance(state, TaskState)
        timeout = step.typed_number(state.timeout_seconds, "TimeoutSeconds", 1)
        heartbeat = step.typed_number(state.heartbeat_seconds, "HeartbeatSeconds", 1)
        scoped = step.scoped(**({"Task": {"Token": token}} if token else {}))
        arguments = jsonpath_states.effective_input(fields, step.run.input, scoped)  # Parameters: the request
        timeout = timeout or _path_number(step, fields.timeout_seconds_path, "TimeoutSecondsPath", minimum=1)
        heartbeat = heartbeat or _path_number(step, fields.heartbeat_seconds_path, "HeartbeatSecondsPath", minimum=1)
        if not isinstance(arguments, dict) or not isinstance(arguments.get("FunctionName"), str):
            raise StatesError("States.Runtime", "The field 'Parameters/FunctionName' must be a string")
        return arguments, timeout, heartbeat

    def branch_input(self, step: Step) -> Any:
        return jsonpath_states.effective_input(_fields(step), step.run.input, step.scoped())

    def map_items(self, step: Step) -> list[Any]:
        """ItemsPath (default ``$``) over the input after InputPath: it must give an array."""
        fields, scoped = _fields(step), step.scoped()
        selected = jsonpath_states.selected_input(fields, step.run.input, scoped)
        if fields.items_path is None:
            items, shown = selected, "$"
        else:
            shown = fields.items_path.text
            try:
                items = fields.items_path.find(scoped(selected))
            except StatesError:
                if not fields.items_path.steps:  # a variable (or $$) that is not there: its own error
                    raise
                step_name = fields.items_path.steps[-1]
                raise StatesError(
                    "States.ReferencePathConflict", f'Unable to apply step "{step_name}" to input {dumps(selected)}'
                ) from None
        if not isinstance(items, list):
            raise StatesError("States.Runtime", f'Reference path "{shown}" must point to array.')
        return items

    def map_limits(self, step: Step) -> tuple[float | None, float | None, float | None]:
        """The literal fields, or their ``…Path`` forms read from the input."""
        state, fields = step.state, _fields(step)
        assert isinstance(state, MapState)
        concurrency = step.typed_number(state.max_concurrency, "MaxConcurrency", 0)
        count = step.typed_number(state.tolerated_failure_count, "ToleratedFailureCount", 0)
        percentage = step.typed_number(state.tolerated_failure_percentage, "ToleratedFailurePercentage", 0)
        if fields.max_concurrency_path is not None:
            concurrency = _path_number(step, fields.max_concurrency_path, "MaxConcurrencyPath", minimum=0)
        if fields.tolerated_failure_count_path is not None:
            count = _path_number(step, fields.tolerated_failure_count_path, "ToleratedFailureCountPath", minimum=0)
        if fields.tolerated_failure_percentage_path is not None:
            percentage = _path_number(
                step, fields.tolerated_failure_percentage_path, "ToleratedFailurePercentagePath", minimum=0,
                whole=False,
            )  # fmt: skip
            if percentage > 100:  # type: ignore[operator]
                raise StatesError("States.Runtime", "ToleratedFailurePercentage must be between 0 and 100.")
        return concurrency, count, percentage

    def iteration_input(self, step: Step, index: int, item: Any) -> Any:
        """ItemSelector's ``$`` is the Map's input after InputPath; ``$$.Map.Item`` the item."""
        fields = _fields(step)
        if fields.item_selector is None:
            return item
        scoped = step.scoped(Map={"Item": {"Index": index, "Value": item}})
        selected = jsonpath_states.selected_input(fields, step.run.input, scoped)
        return fields.item_selector.evaluate(scoped(selected))

    def wait_until(self, step: Step) -> float:
        fields = _fields(step)
        assert isinstance(step.state, WaitState)
        if fields.seconds_path is not None:
            return step.now() + _seconds_path(step, fields.seconds_path)
        if fields.timestamp_path is None:
            return literal_wait(step)
        scoped = step.scoped()
        value = fields.timestamp_path.find(scoped(jsonpath_states.selected_input(fields, step.run.input, scoped)))
        moment = asl.parse_timestamp(value)
        if moment is None:
            raise StatesError(
                "States.Runtime",
                "The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time "
                f"format string: {fields.timestamp_path.text} == {dumps(value)}",
            )
        return moment.timestamp()

    def failure(self, step: Step) -> tuple[str | None, str | None]:
        """Error and Cause, or ErrorPath and CausePath: a path or an intrinsic over the state's input."""
        state, fields = step.state, _fields(step)
        assert isinstance(state, FailState)
        error = step.evaluate(state.error, step.bindings()) if state.error else None
        cause = step.evaluate(state.cause, step.bindings()) if state.cause else None
        scope = step.scoped()(step.run.input)
        for name, source in (("ErrorPath", fields.error_path), ("CausePath", fields.cause_path)):
            if source is None:
                continue
            try:
                value = source.find(scope) if isinstance(source, Path) else source.evaluate(scope)
            except StatesError as missing:
                if not isinstance(source, Path):
                    raise
                raise StatesError(
                    "States.Runtime",
                    f"The JSONPath '{source.text}' specified for the field '{name}' could not be found in the "
                    f"input '{dumps(step.run.input)}'",
                ) from missing
            if not isinstance(value, str):
                raise StatesError("States.Runtime", f"The {name} field must give a string: {dumps(value)}")
            error, cause = (value, cause) if name == "ErrorPath" else (error, value)
        return error, cause

    def choose(self, step: Step) -> tuple[str, Any, dict[str, Any]] | None:
        """The rules over the input after InputPath; a matching rule's Assign only (it has no Output)."""
        fields, scoped = _fields(step), step.scoped()
        assert isinstance(step.state, ChoiceState)
        scope = scoped(jsonpath_states.selected_input(fields, step.run.input, scoped))
        for choice in fields.choices:
            if choice.rule.matches(scope):
                return choice.next, *jsonpath_states.without_result(fields, step.run.input, scoped, choice.assign)
        return None

    def leave_plain(self, step: Step) -> Leaving:
        fields, scoped, data = _fields(step), step.scoped(), step.run.input
        if step.state.type == "Pass":  # its Result, or its input after InputPath and Parameters, is its result
            result = fields.result if fields.has_result else jsonpath_states.effective_input(fields, data, scoped)
            return jsonpath_states.with_result(fields, data, result, scoped)
        return jsonpath_states.without_result(fields, data, scoped, fields.assign)

    def leave_with_result(self, step: Step, result: Any) -> Leaving:
        return jsonpath_states.with_result(_fields(step), step.run.input, result, step.scoped())

    def leave_caught(self, step: Step, catcher: Catcher, error_output: dict[str, Any]) -> Leaving:
        """ResultPath puts the error output into the state's input; Assign reads the error output."""
        fields = catcher.jsonpath
        assert fields is not None
        assigned = fields.assign.evaluate(step.scoped()(error_output)) if fields.assign else {}
        return jsonpath_states.place(fields.result_path, step.run.input, error_output), assigned


def _path_number(step: Step, path: Any, name: str, *, minimum: int, whole: bool = True) -> float | None:
    """A ``…Path`` field's number, read from the input after InputPath; else States.Runtime."""
    if path is None:
        return None
    scoped = step.scoped()
    found = path.find(scoped(jsonpath_states.selected_input(_fields(step), step.run.input, scoped)))
    number = isinstance(found, int | float) and not isinstance(found, bool) and abs(found) < MAX_PATH_NUMBER
    if not number or (whole and found != int(found)):
        kind = "integer" if whole else "float"
        raise StatesError(
            "States.Runtime",
            f"The {name} field refers to value {dumps(found)} which is not a valid {kind}: {path.text}",
        )
    if found < minimum:
        raise StatesError("States.Runtime", f"The {name} field references a value below {minimum}: {path.text}")
    return int(found) if whole else found


def _seconds_path(step: Step, path: Any) -> int:
    """A Wait's SecondsPath: a non-negative whole number in the input, in AWS's words otherwise."""
    scoped = step.scoped()
    problem = "SecondsPath parameter does not reference an input value: " + path.text
    try:
        value = path.find(scoped(jsonpath_states.selected_input(_fields(step), step.run.input, scoped)))
    except StatesError:
        raise StatesError("States.Runtime", f"The {problem}") from None
    number = isinstance(value, int | float) and not isinstance(value, bool) and abs(value) < MAX_PATH_NUMBER
    if not number or value != int(value):
        raise StatesError(
            "States.Runtime",
            f"The SecondsPath parameter cannot be parsed as a long value: {path.text} == {dumps(value)}",
        )
    if value < 0:
        raise StatesError(
            "States.Runtime", f"The SecondsPath parameter references a negative value: {path.text} == {dumps(value)}"
        )
    return int(value)


JSONPATH = JsonPath()
