"""What a JSONPath state's fields compile to, checked when the definition is loaded.

A JSONPath state carries its data through ``InputPath`` → ``Parameters`` → the work →
``ResultSelector`` → ``ResultPath`` → ``OutputPath``; each field is compiled here once (paths,
payload templates, intrinsic calls, Choice rules), and the engine applies them in that order.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from local.sfn.expressions import DefinitionError
from local.sfn.intrinsics import STRING_RESULTS, Call, compile_call, is_call
from local.sfn.paths import Path, ReferencePath, Scope
from local.sfn.payloads import Payload
from local.sfn.rules import Rule


class _Null:
    """A path field set to JSON null: ``InputPath``/``OutputPath`` give ``{}``, ``ResultPath`` discards."""

    def __repr__(self) -> str:
        return "null"


NULL = _Null()

COMMON = {"Type", "Comment", "QueryLanguage"}
FIELDS = {
    "Pass": {"InputPath", "Parameters", "ResultPath", "OutputPath", "Result", "Assign", "Next", "End"},
    "Task": {"InputPath", "Parameters", "ResultSelector", "ResultPath", "OutputPath", "Resource", "TimeoutSeconds",
             "TimeoutSecondsPath", "HeartbeatSeconds", "HeartbeatSecondsPath", "Retry", "Catch", "Assign", "Next",
             "End"},
    "Choice": {"InputPath", "OutputPath", "Choices", "Default", "Assign"},
    "Wait": {"InputPath", "OutputPath", "Seconds", "SecondsPath", "Timestamp", "TimestampPath", "Assign", "Next",
             "End"},
    "Succeed": {"InputPath", "OutputPath"},
    "Fail": {"Error", "ErrorPath", "Cause", "CausePath"},
    "Parallel": {"InputPath", "Parameters", "ResultSelector", "ResultPath", "OutputPath", "Branches", "Retry", "Catch",
                 "Assign", "Next", "End"},
    "Map": {"InputPath", "ItemSelector", "Parameters", "ResultSelector", "ResultPath", "OutputPath", "ItemsPath",
            "ItemProcessor", "Iterator", "MaxConcurrency", "MaxConcurrencyPath", "ToleratedFailureCount",
            "ToleratedFailureCountPath", "ToleratedFailurePercentage", "ToleratedFailurePercentagePath", "Retry",
            "Catch", "Assign", "Next", "End"},
}  # fmt: skip
MAX_VARIABLE_NAME = 80
JSONATA_ONLY = {"Arguments", "Output", "Items", "Condition"}
CATCHER_FIELDS = {"ErrorEquals", "Next", "ResultPath", "Assign", "Comment"}
CHOICE_RULE_EXTRA = {"Next", "Assign", "Comment"}


@dataclass(frozen=True)
class JsonPathChoice:
    rule: Rule
    next: str
    assign: Payload | None


@dataclass(frozen=True)
class JsonPathCatcher:
    result_path: ReferencePath | _Null | None  # None: $ (the error output replaces the input)
    assign: Payload | None


@dataclass(frozen=True)
class JsonPathFields:
    """A JSONPath state's compiled fields; None where the state does not have the field."""

    input_path: Path | _Null | None = None
    parameters: Payload | None = None
    result_selector: Payload | None = None
    result_path: ReferencePath | _Null | None = None
    output_path: Path | _Null | None = None
    result: Any = None
    has_result: bool = False
    assign: Payload | None = None
    choices: tuple[JsonPathChoice, ...] = ()
    items_path: ReferencePath | None = None
    item_selector: Payload | None = None
    seconds_path: ReferencePath | None = None
    timestamp_path: ReferencePath | None = None
    timeout_seconds_path: ReferencePath | None = None
    heartbeat_seconds_path: ReferencePath | None = None
    max_concurrency_path: ReferencePath | None = None
    tolerated_failure_count_path: ReferencePath | None = None
    tolerated_failure_percentage_path: ReferencePath | None = None
    error_path: Path | Call | None = None
    cause_path: Path | Call | None = None
    reads: frozenset[str] = frozenset()  # the variables its paths read, catchers' included


def compile_fields(body: dict[str, Any], state_type: str) -> JsonPathFields:
    """The state's JSONPath fields; ``DefinitionError`` names the field at fault."""
    for key in body:
        if key in JSONATA_ONLY:
            raise DefinitionError(f"field '{key}': is a JSONata field; JSONPath states use InputPath, Parameters, "
                                  "ResultSelector, ResultPath and OutputPath")  # fmt: skip
        if key not in COMMON | FIELDS[state_type]:
            raise DefinitionError(f"field '{key}': unknown field for a JSONPath {state_type} state")
    for one, other in (
        ("Seconds", "SecondsPath"), ("Timestamp", "TimestampPath"), ("Seconds", "Timestamp"),
        ("Seconds", "TimestampPath"), ("SecondsPath", "Timestamp"), ("SecondsPath", "TimestampPath"),
        ("TimeoutSeconds", "TimeoutSecondsPath"), ("HeartbeatSeconds", "HeartbeatSecondsPath"),
        ("Error", "ErrorPath"), ("Cause", "CausePath"), ("ItemSelector", "Parameters"),
        ("ItemProcessor", "Iterator"), ("MaxConcurrency", "MaxConcurrencyPath"),
        ("ToleratedFailureCount", "ToleratedFailureCountPath"),
        ("ToleratedFailurePercentage", "ToleratedFailurePercentagePath"),
    ):  # fmt: skip
        if one in body and other in body:
            raise DefinitionError(f"field '{other}': may not be given with '{one}'")
    map_selector = "ItemSelector" if "ItemSelector" in body else "Parameters"
    return JsonPathFields(
        input_path=_path(body, "InputPath"),
        parameters=_payload(body, "Parameters") if state_type != "Map" else None,
        result_selector=_payload(body, "ResultSelector"),
        result_path=_result_path(body.get("ResultPath", "$"), "ResultPath") if "ResultPath" in body else None,
        output_path=_path(body, "OutputPath"),
        result=body.get("Result"),
        has_result="Result" in body,
        assign=_assign(body.get("Assign"), "Assign"),
        choices=_choices(body) if state_type == "Choice" else (),
        items_path=_reference(body, "ItemsPath"),
        item_selector=_payload(body, map_selector) if state_type == "Map" else None,
        seconds_path=_reference(body, "SecondsPath"),
        timestamp_path=_reference(body, "TimestampPath"),
        timeout_seconds_path=_reference(body, "TimeoutSecondsPath"),
        heartbeat_seconds_path=_reference(body, "HeartbeatSecondsPath"),
        max_concurrency_path=_reference(body, "MaxConcurrencyPath"),
        tolerated_failure_count_path=_reference(body, "ToleratedFailureCountPath"),
        tolerated_failure_percentage_path=_reference(body, "ToleratedFailurePercentagePath"),
        error_path=_string_source(body, "ErrorPath"),
        cause_path=_string_source(body, "CausePath"),
    )


def compile_catcher(body: dict[str, Any], where: str) -> JsonPathCatcher:
    for key in body:
        if key not in CATCHER_FIELDS:
            raise DefinitionError(f"field '{where}.{key}': unknown field for a JSONPath catcher")
    result_path = _result_path(body["ResultPath"], f"{where}.ResultPath") if "ResultPath" in body else None
    return JsonPathCatcher(result_path=result_path, assign=_assign(body.get("Assign"), f"{where}.Assign"))


def _path(body: dict[str, Any], key: str) -> Path | _Null | None:
    if key not in body:
        return None
    value = body[key]
    return NULL if value is None else Path(value, f"field '{key}'")


def _reference(body: dict[str, Any], key: str) -> ReferencePath | None:
    return ReferencePath(body[key], f"field '{key}'") if key in body else None


def _result_path(value: Any, where: str) -> ReferencePath | _Null:
    return NULL if value is None else ReferencePath(value, f"field '{where}'", variables=False)


def _payload(body: dict[str, Any], key: str) -> Payload | None:
    if key not in body:
        return None
    if not isinstance(body[key], dict):
        raise DefinitionError(f"field '{key}': must be an object (its keys ending in .$ are evaluated)")
    return Payload(body[key], f"field '{key}'")


def _assign(value: Any, where: str) -> Payload | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise DefinitionError(f"field '{where}': must be an object of variable names to values")
    for key in value:
        name = key.removesuffix(".$")
        if not name.isidentifier() or len(name) > MAX_VARIABLE_NAME:
            raise DefinitionError(f"field '{where}.{key}': is not a valid variable name")
        if name == "states":
            raise DefinitionError(f"field '{where}.{key}': 'states' is reserved")
    return Payload(value, f"field '{where}'")


def _string_source(body: dict[str, Any], key: str) -> Path | Call | None:
    """ErrorPath/CausePath: a path, or an intrinsic that gives a string."""
    if key not in body:
        return None
    value = body[key]
    if is_call(value):
        call = compile_call(value, f"field '{key}'")
        if call.name not in STRING_RESULTS:
            raise DefinitionError(f"field '{key}': States.{call.name} does not give a string")
        return call
    return Path(value, f"field '{key}'")


def _choices(body: dict[str, Any]) -> tuple[JsonPathChoice, ...]:
    choices = body.get("Choices")
    if not isinstance(choices, list) or not choices:
        raise DefinitionError("field 'Choices': must be a non-empty array")
    compiled = []
    for index, rule in enumerate(choices):
        where = f"Choices[{index}]"
        if not isinstance(rule, dict) or not isinstance(rule.get("Next"), str):
            raise DefinitionError(f"field '{where}': a choice rule is an object with a Next")
        comparison = {key: value for key, value in rule.items() if key not in ("Assign", "Comment")}
        compiled.append(
            JsonPathChoice(
                rule=Rule(comparison, f"field '{where}'", top=True),
                next=rule["Next"],
                assign=_assign(rule.get("Assign"), f"{where}.Assign"),
            )
        )
    return tuple(compiled)


# --- applying them ------------------------------------------------------------------------------------

Scoped = Callable[[Any], Scope]  # a scope over some data, with the state's context and variables


def selected_input(fields: JsonPathFields, data: Any, scoped: Scoped) -> Any:
    """The state's input after ``InputPath`` (null: ``{}``)."""
    return _through(fields.input_path, data, scoped)


def effective_input(fields: JsonPathFields, data: Any, scoped: Scoped) -> Any:
    """After ``InputPath`` and ``Parameters``: what a task, a Pass or a Parallel's branches get."""
    selected = selected_input(fields, data, scoped)
    return fields.parameters.evaluate(scoped(selected)) if fields.parameters else selected


def with_result(fields: JsonPathFields, data: Any, result: Any, scoped: Scoped) -> tuple[Any, dict[str, Any]]:
    """A state's output and assigned variables from its result: ``ResultSelector``, ``ResultPath`` into
    the raw input, ``OutputPath``; ``Assign`` reads the result as it came (before ``ResultSelector``)."""
    assigned = fields.assign.evaluate(scoped(result)) if fields.assign else {}
    selected = fields.result_selector.evaluate(scoped(result)) if fields.result_selector else result
    combined = place(fields.result_path, data, selected)
    return _through(fields.output_path, combined, scoped), assigned


def without_result(fields: JsonPathFields, data: Any, scoped: Scoped, assign: Payload | None) -> tuple[Any, dict]:
    """Choice, Wait, Succeed: ``OutputPath`` of the input after ``InputPath``; ``Assign`` reads that too."""
    selected = selected_input(fields, data, scoped)
    assigned = assign.evaluate(scoped(selected)) if assign else {}
    return _through(fields.output_path, selected, scoped), assigned


def place(result_path: ReferencePath | _Null | None, data: Any, value: Any) -> Any:
    """``ResultPath``: the value into the raw input (absent: it replaces it; null: it is dropped)."""
    if result_path is NULL:
        return data
    return value if result_path is None else result_path.put(data, value)  # type: ignore[union-attr]


def _through(path: Path | _Null | None, data: Any, scoped: Scoped) -> Any:
    if path is NULL:
        return {}
    return data if path is None else path.find(scoped(data))  # type: ignore[union-attr]
