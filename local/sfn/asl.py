"""ASL definitions parsed into typed states, with every JSONata expression compiled once.

Whatever the engine does not run is refused here, when the definition is loaded, with a message that
names the file, the state and the field. Nothing is silently ignored.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar

from local.sfn import jsonpath_states
from local.sfn.expressions import DefinitionError, Expression, Template
from local.sfn.jsonpath_states import MAX_VARIABLE_NAME, JsonPathCatcher, JsonPathChoice, JsonPathFields
from local.sfn.paths import variables_read
from local.sfn.rules import timestamp as parse_timestamp
from local.sfn.store import loads

JSONPATH, JSONATA = "JSONPath", "JSONata"
LAMBDA_INVOKE = "arn:aws:states:::lambda:invoke"
LAMBDA_INVOKE_WAIT = "arn:aws:states:::lambda:invoke.waitForTaskToken"
STATES_ALL = "States.ALL"
MAX_NAME_LENGTH = 80
_FORBIDDEN_NAME = re.compile(r"[\s<>{}\[\]?*\"#%\\^|~`$&,;:/\x00-\x1f\x7f-\x9f]")
_STATES_MEMBER = re.compile(r"\$states\s*\.\s*(result|errorOutput)\b")

COMMON_FIELDS = {"Type", "Comment", "QueryLanguage"}
STATE_FIELDS = {
    "Pass": {"Output", "Assign", "Next", "End"},
    "Task": {"Resource", "Arguments", "Output", "Assign", "Retry", "Catch", "TimeoutSeconds", "HeartbeatSeconds",
             "Next", "End"},
    "Choice": {"Choices", "Default", "Assign", "Output"},
    "Wait": {"Seconds", "Timestamp", "Output", "Assign", "Next", "End"},
    "Succeed": {"Output"},
    "Fail": {"Error", "Cause"},
    "Parallel": {"Branches", "Arguments", "Output", "Assign", "Retry", "Catch", "Next", "End"},
    "Map": {"ItemProcessor", "Items", "ItemSelector", "MaxConcurrency", "ToleratedFailureCount",
            "ToleratedFailurePercentage", "Output", "Assign", "Retry", "Catch", "Next", "End"},
}  # fmt: skip
JSONPATH_FIELDS = {
    "InputPath", "Parameters", "ResultSelector", "ResultPath", "OutputPath", "Result", "ItemsPath", "Iterator",
    "TimeoutSecondsPath", "HeartbeatSecondsPath", "SecondsPath", "TimestampPath", "ErrorPath", "CausePath",
    "MaxConcurrencyPath", "ToleratedFailureCountPath", "ToleratedFailurePercentagePath",
    "Variable", "And", "Or", "Not",
}  # fmt: skip
UNSUPPORTED_FIELDS = {
    "Credentials": "task credentials (cross-account roles) are not emulated",
    "ItemReader": "Distributed Map is not emulated",
    "ItemBatcher": "Distributed Map is not emulated",
    "ResultWriter": "Distributed Map is not emulated",
    "Label": "Distributed Map is not emulated",
}
RETRIER_FIELDS = {"ErrorEquals", "IntervalSeconds", "MaxAttempts", "BackoffRate", "MaxDelaySeconds", "JitterStrategy",
                  "Comment"}  # fmt: skip
CATCHER_FIELDS = {"ErrorEquals", "Next", "Output", "Assign", "Comment"}
CHOICE_RULE_FIELDS = {"Condition", "Next", "Assign", "Output", "Comment"}
TOP_LEVEL_FIELDS = {"StartAt", "States", "Comment", "Version", "TimeoutSeconds", "QueryLanguage"}


class _Refusal(Exception):
    """A problem found while checking one state; the loader adds the file and state names."""

    def __init__(self, field_name: str | None, message: str) -> None:
        super().__init__(message)
        self.field_name = field_name
        self.message = message


# --- typed definition -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Retrier:
    error_equals: tuple[str, ...]
    interval_seconds: int = 1
    max_attempts: int = 3
    backoff_rate: float = 2.0
    max_delay_seconds: int | None = None
    full_jitter: bool = False


@dataclass(frozen=True)
class Catcher:
    error_equals: tuple[str, ...]
    next: str
    output: Template | None
    assign: dict[str, Template] | None
    jsonpath: JsonPathCatcher | None = None  # a JSONPath state's catcher: ResultPath and Assign


@dataclass(frozen=True)
class ChoiceRule:
    condition: Template
    next: str
    output: Template | None
    assign: dict[str, Template] | None


@dataclass(frozen=True)
class Graph:
    """``StartAt`` + ``States``: the top level, a Parallel branch or a Map's ItemProcessor."""

    start_at: str
    states: dict[str, State]


@dataclass(frozen=True)
class State:
    """What every state has; each type adds its own fields below. ``output`` and ``assign`` are a
    JSONata state's; ``jsonpath`` holds a JSONPath state's paths, templates and rules instead."""

    name: str
    type: str
    next: str | None = None
    end: bool = False
    output: Template | None = None
    assign: dict[str, Template] | None = None
    jsonpath: JsonPathFields | None = None
    retry: ClassVar[tuple[Retrier, ...]] = ()  # only Task, Parallel and Map can declare them
    catch: ClassVar[tuple[Catcher, ...]] = ()

    def targets(self) -> Iterator[tuple[str, str]]:
        """(field, state name) of every transition out of this state."""
        if self.next:
            yield "Next", self.next
        for index, catcher in enumerate(self.catch):
            yield f"Catch[{index}].Next", catcher.next

    def graphs(self) -> tuple[Graph, ...]:
        """The graphs nested in this state: a Parallel's branches, a Map's item processor."""
        return ()


@dataclass(frozen=True)
class TaskState(State):
    resource: str = LAMBDA_INVOKE
    arguments: Template | None = None
    timeout_seconds: Template | None = None
    heartbeat_seconds: Template | None = None
    retry: tuple[Retrier, ...] = ()  # type: ignore[misc]
    catch: tuple[Catcher, ...] = ()  # type: ignore[misc]

    @property
    def is_callback(self) -> bool:
        return self.resource == LAMBDA_INVOKE_WAIT


@dataclass(frozen=True)
class ChoiceState(State):
    choices: tuple[ChoiceRule, ...] = ()
    default: str | None = None

    def targets(self) -> Iterator[tuple[str, str]]:
        if self.default:
            yield "Default", self.default
        rules: tuple[ChoiceRule | JsonPathChoice, ...] = self.choices or (
            self.jsonpath.choices if self.jsonpath else ()
        )
        for index, rule in enumerate(rules):
            yield f"Choices[{index}].Next", rule.next


@dataclass(frozen=True)
class WaitState(State):
    seconds: Template | None = None
    timestamp: Template | None = None


@dataclass(frozen=True)
class FailState(State):
    error: Template | None = None
    cause: Template | None = None


@dataclass(frozen=True)
class ParallelState(State):
    branches: tuple[Graph, ...] = ()
    arguments: Template | None = None
    retry: tuple[Retrier, ...] = ()  # type: ignore[misc]
    catch: tuple[Catcher, ...] = ()  # type: ignore[misc]

    def graphs(self) -> tuple[Graph, ...]:
        return self.branches


@dataclass(frozen=True)
class MapState(State):
    processor: Graph | None = None
    items: Template | None = None
    item_selector: Template | None = None
    max_concurrency: Template | None = None
    tolerated_failure_count: Template | None = None
    tolerated_failure_percentage: Template | None = None
    retry: tuple[Retrier, ...] = ()  # type: ignore[misc]
    catch: tuple[Catcher, ...] = ()  # type: ignore[misc]

    def graphs(self) -> tuple[Graph, ...]:
        return (self.processor,) if self.processor else ()


STATE_TYPES: dict[str, type[State]] = {
    "Task": TaskState,
    "Choice": ChoiceState,
    "Wait": WaitState,
    "Fail": FailState,
    "Parallel": ParallelState,
    "Map": MapState,
    "Pass": State,
    "Succeed": State,
}


@dataclass(frozen=True)
class Definition:
    graph: Graph
    timeout_seconds: int | None
    text: str = field(repr=False)


# --- loading ----------------------------------------------------------------------------------------


def parse_definition(text: str, source: str) -> Definition:
    """Parse and check an ASL document; ``source`` names it in error messages."""
    try:
        document = loads(text)
    except ValueError as error:
        raise DefinitionError(f"{source}: not valid JSON: {error}") from error
    if not isinstance(document, dict):
        raise DefinitionError(f"{source}: a state machine definition is a JSON object")
    unknown = set(document) - TOP_LEVEL_FIELDS
    if unknown:
        raise DefinitionError(f"{source}: unknown top-level field {', '.join(sorted(unknown))}")
    language = document.get("QueryLanguage", JSONPATH)
    if language not in (JSONPATH, JSONATA):
        raise DefinitionError(f"{source}: field 'QueryLanguage': must be JSONPath or JSONata, not {language!r}")
    timeout = document.get("TimeoutSeconds")
    if timeout is not None and not _positive_int(timeout):
        raise DefinitionError(f"{source}: field 'TimeoutSeconds' must be a positive integer")
    graph = _parse_graph(document, source, scope_path="", language=language)
    _check_variable_scopes(graph, source, outer=set())
    return Definition(graph=graph, timeout_seconds=timeout, text=text)


def _parse_graph(document: Any, source: str, scope_path: str, language: str) -> Graph:
    """``language``: the state machine's; a state without its own ``QueryLanguage`` takes it."""
    where = f"{source}{scope_path}"
    if not isinstance(document, dict) or "StartAt" not in document or "States" not in document:
        raise DefinitionError(f"{where}: needs 'StartAt' and 'States'")
    states_json = document["States"]
    if not isinstance(states_json, dict) or not states_json:
        raise DefinitionError(f"{where}: 'States' must be a non-empty object")
    states: dict[str, State] = {}
    for name, body in states_json.items():
        try:
            _check_name(name, "state name")
            states[name] = _parse_state(name, body, source, scope_path, language)
        except _Refusal as refusal:
            field_part = f", field '{refusal.field_name}'" if refusal.field_name else ""
            raise DefinitionError(f"{where}: state '{name}'{field_part}: {refusal.message}") from None
    start_at = document["StartAt"]
    if start_at not in states:
        raise DefinitionError(f"{where}: 'StartAt' names {start_at!r}, which is not a state")
    for state in states.values():
        for target_field, target in state.targets():
            if target not in states:
                raise DefinitionError(
                    f"{where}: state '{state.name}', field '{target_field}': no state named {target!r}"
                )
    unreachable = set(states) - _reachable(start_at, states)
    if unreachable:
        raise DefinitionError(f"{where}: state {', '.join(map(repr, sorted(unreachable)))} is never reached")
    return Graph(start_at=start_at, states=states)


def _reachable(start: str, states: dict[str, State]) -> set[str]:
    seen, stack = set(), [start]
    while stack:
        name = stack.pop()
        if name in seen or name not in states:
            continue
        seen.add(name)
        stack.extend(target for _, target in states[name].targets())
    return seen


def _parse_state(name: str, body: Any, source: str, scope_path: str, machine_language: str) -> State:
    if not isinstance(body, dict):
        raise _Refusal(None, "a state is a JSON object")
    state_type = body.get("Type")
    if state_type not in STATE_FIELDS:
        raise _Refusal("Type", f"unknown state type {state_type!r}")
    language = body.get("QueryLanguage", machine_language)
    if language not in (JSONPATH, JSONATA):
        raise _Refusal("QueryLanguage", f"must be JSONPath or JSONata, not {language!r}")
    if language == JSONPATH and machine_language == JSONATA:
        raise _Refusal(
            "QueryLanguage", "'QueryLanguage' can not be 'JSONPath' if set to 'JSONata' for whole state machine"
        )
    if language == JSONPATH:
        return _parse_jsonpath_state(name, body, state_type, source, scope_path, machine_language)
    for key in body:
        if key in JSONPATH_FIELDS:
            raise _Refusal(key, "is a JSONPath field; JSONata states use Arguments, Output and Assign")
        if key in UNSUPPORTED_FIELDS:
            raise _Refusal(key, f"not supported by the local engine: {UNSUPPORTED_FIELDS[key]}")
        if key not in COMMON_FIELDS | STATE_FIELDS[state_type]:
            raise _Refusal(key, f"unknown field for a {state_type} state")
    has_next, has_end = "Next" in body, body.get("End") is True
    if "End" in body and body["End"] is not True:
        raise _Refusal("End", "must be true when present")
    if state_type in ("Pass", "Task", "Wait", "Parallel", "Map") and has_next == has_end:
        raise _Refusal("Next", "exactly one of 'Next' and 'End' is required")
    result_allowed = state_type in ("Task", "Parallel", "Map")
    values: dict[str, Any] = {
        "name": name,
        "type": state_type,
        "next": _string(body, "Next"),
        "end": has_end,
        "output": _template(body, "Output", result_allowed=result_allowed),
        "assign": _assign(body.get("Assign"), "Assign", result_allowed=result_allowed),
    }
    parse_specific = {
        "Task": _task_fields,
        "Choice": _choice_fields,
        "Wait": _wait_fields,
        "Fail": _fail_fields,
        "Parallel": lambda b: _parallel_fields(b, source, f"{scope_path}/{name}", machine_language),
        "Map": lambda b: _map_fields(b, source, f"{scope_path}/{name}", machine_language),
    }.get(state_type)
    if parse_specific:
        values.update(parse_specific(body))
    if state_type in ("Task", "Parallel", "Map"):
        values["retry"] = _retriers(body.get("Retry", []))
        values["catch"] = _catchers(body.get("Catch", []))
    return STATE_TYPES[state_type](**values)


def _parse_jsonpath_state(
    name: str, body: dict[str, Any], state_type: str, source: str, scope_path: str, machine_language: str
) -> State:
    """A JSONPath state: its paths, templates and rules compiled; literal numbers and strings as constant
    templates, so the engine reads them as it reads a JSONata state's."""
    for key in body:
        if key in UNSUPPORTED_FIELDS:
            raise _Refusal(key, f"not supported by the local engine: {UNSUPPORTED_FIELDS[key]}")
    with variables_read() as reads:
        try:
            fields = jsonpath_states.compile_fields(body, state_type)
        except DefinitionError as error:
            field_name, _, message = str(error).partition(": ")
            raise _Refusal(field_name.removeprefix("field '").rstrip("'") or None, message) from None
        catchers = _catchers(body.get("Catch", []), jsonpath=True)
    fields = replace(fields, reads=frozenset(reads))
    has_next, has_end = "Next" in body, body.get("End") is True
    if "End" in body and body["End"] is not True:
        raise _Refusal("End", "must be true when present")
    if state_type in ("Pass", "Task", "Wait", "Parallel", "Map") and has_next == has_end:
        raise _Refusal("Next", "exactly one of 'Next' and 'End' is required")
    values: dict[str, Any] = {"name": name, "type": state_type, "next": _string(body, "Next"), "end": has_end}
    if state_type == "Task":
        values["resource"] = _resource(body)
        _invoke_parameters(body.get("Parameters"), "Parameters")
        values["timeout_seconds"] = _literal(body, "TimeoutSeconds", _positive_int, "a positive integer")
        values["heartbeat_seconds"] = _literal(body, "HeartbeatSeconds", _positive_int, "a positive integer")
        if values["timeout_seconds"] and values["heartbeat_seconds"]:
            _check_heartbeat(body["HeartbeatSeconds"], body["TimeoutSeconds"])
    elif state_type == "Choice":
        values["default"] = _string(body, "Default")
    elif state_type == "Wait":
        if sum(key in body for key in ("Seconds", "SecondsPath", "Timestamp", "TimestampPath")) != 1:
            raise _Refusal("Seconds", "exactly one of Seconds, SecondsPath, Timestamp and TimestampPath is required")
        if "Timestamp" in body and parse_timestamp(body["Timestamp"]) is None:
            raise _Refusal("Timestamp", "String does not match RFC3339 timestamp")
        values["seconds"] = _literal(body, "Seconds", lambda v: _non_negative_int(v) and v <= 99999999, "0 to 99999999")
        values["timestamp"] = _literal(body, "Timestamp", lambda v: True, "a timestamp")
    elif state_type == "Fail":
        values["error"] = _literal(body, "Error", lambda v: isinstance(v, str), "a string")
        values["cause"] = _literal(body, "Cause", lambda v: isinstance(v, str), "a string")
    elif state_type == "Parallel":
        values["branches"] = _branches(body, source, f"{scope_path}/{name}", machine_language)
    elif state_type == "Map":
        key = "Iterator" if "Iterator" in body else "ItemProcessor"
        values["processor"] = _processor(body, source, f"{scope_path}/{name}", machine_language, key)
        values["max_concurrency"] = _literal(body, "MaxConcurrency", _non_negative_int, "a non-negative integer")
        values["tolerated_failure_count"] = _literal(
            body, "ToleratedFailureCount", _non_negative_int, "a non-negative integer"
        )
        values["tolerated_failure_percentage"] = _literal(
            body, "ToleratedFailurePercentage", lambda v: isinstance(v, int | float) and 0 <= v <= 100, "0 to 100"
        )
    if state_type in ("Task", "Parallel", "Map"):
        values["retry"] = _retriers(body.get("Retry", []))
        values["catch"] = catchers
    return STATE_TYPES[state_type](**values, jsonpath=fields)


def _literal(body: dict[str, Any], key: str, check: Any, description: str) -> Template | None:
    """A JSONPath state's literal number or string, as a constant template."""
    if key not in body:
        return None
    value = body[key]
    if not check(value) or isinstance(value, bool):
        raise _Refusal(key, f"must be {description}")
    if isinstance(value, str) and value.startswith("{%"):
        raise _Refusal(key, "is a JSONata expression; a JSONPath state takes a literal (or the field's …Path)")
    return Template(value, key)


def _resource(body: dict[str, Any]) -> str:
    resource = body.get("Resource")
    if resource not in (LAMBDA_INVOKE, LAMBDA_INVOKE_WAIT):
        raise _Refusal(
            "Resource",
            f"{resource!r} is not supported by the local engine; use {LAMBDA_INVOKE} or {LAMBDA_INVOKE_WAIT}",
        )
    return resource


def _invoke_parameters(arguments: Any, key: str) -> None:
    """A Lambda Invoke request's parameters, as ``Arguments`` (JSONata) or ``Parameters`` (JSONPath) give them."""
    names = {name.removesuffix(".$") for name in arguments} if isinstance(arguments, dict) else set()
    if "FunctionName" not in names:
        raise _Refusal(key, f"a Lambda task needs {key} with a FunctionName")
    unknown = names - {"FunctionName", "Payload", "Qualifier", "InvocationType", "ClientContext", "LogType"}
    if unknown:
        raise _Refusal(key, f"unknown Lambda Invoke parameter {', '.join(sorted(unknown))}")
    for parameter, supported in (("InvocationType", "RequestResponse"), ("LogType", "None")):
        if parameter in names and arguments.get(parameter) != supported:
            raise _Refusal(f"{key}/{parameter}", f"only {supported!r} is supported by the local engine")
    if "ClientContext" in names:
        raise _Refusal(f"{key}/ClientContext", "not supported by the local engine")


def _task_fields(body: dict[str, Any]) -> dict[str, Any]:
    resource = _resource(body)
    _invoke_parameters(body.get("Arguments"), "Arguments")
    timeout = _typed(body, "TimeoutSeconds", _positive_int, "a positive integer")
    heartbeat = _typed(body, "HeartbeatSeconds", _positive_int, "a positive integer")
    if timeout is not None and heartbeat is not None and timeout.is_constant and heartbeat.is_constant:
        _check_heartbeat(body["HeartbeatSeconds"], body["TimeoutSeconds"])
    return {
        "resource": resource,
        "arguments": _template(body, "Arguments", result_allowed=False),
        "timeout_seconds": timeout,
        "heartbeat_seconds": heartbeat,
    }


def _check_heartbeat(heartbeat: int, timeout: int) -> None:
    if heartbeat >= timeout:
        raise _Refusal("HeartbeatSeconds", "must be smaller than TimeoutSeconds")


def _choice_fields(body: dict[str, Any]) -> dict[str, Any]:
    choices = body.get("Choices")
    if not isinstance(choices, list) or not choices:
        raise _Refusal("Choices", "must be a non-empty array")
    rules = []
    for index, rule in enumerate(choices):
        where = f"Choices[{index}]"
        if not isinstance(rule, dict):
            raise _Refusal(where, "a choice rule is an object")
        for key in rule:
            if (
                key in JSONPATH_FIELDS
                or key.endswith(("Equals", "Path", "Than", "ThanEquals", "Matches"))
                or (key.startswith("Is"))
            ):
                raise _Refusal(f"{where}.{key}", "is a JSONPath comparison; JSONata rules use Condition")
            if key not in CHOICE_RULE_FIELDS:
                raise _Refusal(f"{where}.{key}", "unknown field for a choice rule")
        if "Condition" not in rule or "Next" not in rule:
            raise _Refusal(where, "a choice rule needs Condition and Next")
        condition = rule["Condition"]
        if not isinstance(condition, bool) and not (isinstance(condition, str) and condition.startswith("{%")):
            raise _Refusal(f"{where}.Condition", "must be a JSONata expression or a boolean")
        rules.append(
            ChoiceRule(
                condition=Template(condition, f"{where}.Condition"),
                next=_string(rule, "Next"),  # type: ignore[arg-type]
                output=_template(rule, "Output", result_allowed=False, prefix=f"{where}."),
                assign=_assign(rule.get("Assign"), f"{where}.Assign", result_allowed=False),
            )
        )
    return {"choices": tuple(rules), "default": _string(body, "Default")}


def _wait_fields(body: dict[str, Any]) -> dict[str, Any]:
    if ("Seconds" in body) == ("Timestamp" in body):
        raise _Refusal("Seconds", "exactly one of 'Seconds' and 'Timestamp' is required")
    timestamp = body.get("Timestamp")
    if isinstance(timestamp, str) and not timestamp.startswith("{%") and parse_timestamp(timestamp) is None:
        raise _Refusal("Timestamp", f"{timestamp!r} is not an ISO-8601 extended offset date-time")
    return {
        "seconds": _typed(body, "Seconds", _non_negative_int, "a non-negative integer"),
        "timestamp": _template(body, "Timestamp", result_allowed=False),
    }


def _fail_fields(body: dict[str, Any]) -> dict[str, Any]:
    for key in ("Error", "Cause"):
        if key in body and not isinstance(body[key], str):
            raise _Refusal(key, "must be a string (or a JSONata expression)")
    return {
        "error": _template(body, "Error", result_allowed=False),
        "cause": _template(body, "Cause", result_allowed=False),
    }


def _branches(body: dict[str, Any], source: str, scope_path: str, language: str) -> tuple[Graph, ...]:
    branches = body.get("Branches")
    if not isinstance(branches, list) or not branches:
        raise _Refusal("Branches", "must be a non-empty array")
    return tuple(
        _parse_graph(branch, source, f"{scope_path}/Branches[{index}]", language)
        for index, branch in enumerate(branches)
    )


def _parallel_fields(body: dict[str, Any], source: str, scope_path: str, language: str) -> dict[str, Any]:
    return {
        "branches": _branches(body, source, scope_path, language),
        "arguments": _template(body, "Arguments", result_allowed=False),
    }


def _processor(body: dict[str, Any], source: str, scope_path: str, language: str, key: str = "ItemProcessor") -> Graph:
    processor = body.get(key)
    if not isinstance(processor, dict):
        raise _Refusal("ItemProcessor", "is required")
    config = processor.get("ProcessorConfig", {})
    if config.get("Mode", "INLINE") != "INLINE":
        raise _Refusal(f"{key}.ProcessorConfig.Mode", "only INLINE Map is supported by the local engine")
    unknown = set(processor) - {"ProcessorConfig", "StartAt", "States"}
    if unknown:
        raise _Refusal(key, f"unknown field {', '.join(sorted(unknown))}")
    return _parse_graph(processor, source, f"{scope_path}/{key}", language)


def _map_fields(body: dict[str, Any], source: str, scope_path: str, language: str) -> dict[str, Any]:
    processor = _processor(body, source, scope_path, language)
    items = body.get("Items")
    if items is not None and not isinstance(items, list) and not (isinstance(items, str) and items.startswith("{%")):
        raise _Refusal("Items", "must be an array or a JSONata expression")
    percentage = body.get("ToleratedFailurePercentage")
    if isinstance(percentage, int | float) and not 0 <= percentage <= 100:
        raise _Refusal("ToleratedFailurePercentage", "must be between 0 and 100")
    return {
        "processor": processor,
        "items": _template(body, "Items", result_allowed=False),
        "item_selector": _template(body, "ItemSelector", result_allowed=False),
        "max_concurrency": _typed(body, "MaxConcurrency", _non_negative_int, "a non-negative integer"),
        "tolerated_failure_count": _typed(body, "ToleratedFailureCount", _non_negative_int, "a non-negative integer"),
        "tolerated_failure_percentage": _typed(
            body, "ToleratedFailurePercentage", lambda v: isinstance(v, int | float), "a number from 0 to 100"
        ),
    }


def _retriers(value: Any) -> tuple[Retrier, ...]:
    if not isinstance(value, list):
        raise _Refusal("Retry", "must be an array of retriers")
    retriers = []
    for index, body in enumerate(value):
        where = f"Retry[{index}]"
        if not isinstance(body, dict):
            raise _Refusal(where, "a retrier is an object")
        unknown = set(body) - RETRIER_FIELDS
        if unknown:
            raise _Refusal(f"{where}.{sorted(unknown)[0]}", "unknown field for a retrier")
        errors = _error_equals(body, where, last=index == len(value) - 1)
        interval = body.get("IntervalSeconds", 1)
        attempts = body.get("MaxAttempts", 3)
        backoff = body.get("BackoffRate", 2.0)
        max_delay = body.get("MaxDelaySeconds")
        jitter = body.get("JitterStrategy", "NONE")
        if not _positive_int(interval) or interval > 99999999:
            raise _Refusal(f"{where}.IntervalSeconds", "must be a positive integer")
        if not _non_negative_int(attempts) or attempts > 99999999:
            raise _Refusal(f"{where}.MaxAttempts", "must be a non-negative integer")
        if not isinstance(backoff, int | float) or isinstance(backoff, bool) or backoff < 1.0:
            raise _Refusal(f"{where}.BackoffRate", "must be a number of at least 1.0")
        if max_delay is not None and (not _positive_int(max_delay) or max_delay >= 31622401):
            raise _Refusal(f"{where}.MaxDelaySeconds", "must be a positive integer below 31622401")
        if jitter not in ("NONE", "FULL"):
            raise _Refusal(f"{where}.JitterStrategy", "must be NONE or FULL")
        retriers.append(Retrier(errors, interval, attempts, float(backoff), max_delay, jitter == "FULL"))
    return tuple(retriers)


def _catchers(value: Any, *, jsonpath: bool = False) -> tuple[Catcher, ...]:
    if not isinstance(value, list):
        raise _Refusal("Catch", "must be an array of catchers")
    catchers = []
    for index, body in enumerate(value):
        where = f"Catch[{index}]"
        if not isinstance(body, dict):
            raise _Refusal(where, "a catcher is an object")
        if jsonpath:
            if "Next" not in body:
                raise _Refusal(f"{where}.Next", "is required")
            try:
                compiled = jsonpath_states.compile_catcher(body, where)
            except DefinitionError as error:
                raise _Refusal(None, str(error)) from None
            errors = _error_equals(body, where, last=index == len(value) - 1)
            catchers.append(Catcher(errors, _string(body, "Next"), None, None, jsonpath=compiled))  # type: ignore[arg-type]
            continue
        for key in body:
            if key in JSONPATH_FIELDS:
                raise _Refusal(f"{where}.{key}", "is a JSONPath field; JSONata catchers use Output and Assign")
            if key not in CATCHER_FIELDS:
                raise _Refusal(f"{where}.{key}", "unknown field for a catcher")
        if "Next" not in body:
            raise _Refusal(f"{where}.Next", "is required")
        catchers.append(
            Catcher(
                error_equals=_error_equals(body, where, last=index == len(value) - 1),
                next=_string(body, "Next"),  # type: ignore[arg-type]
                output=_template(body, "Output", result_allowed=False, error_allowed=True, prefix=f"{where}."),
                assign=_assign(body.get("Assign"), f"{where}.Assign", result_allowed=False, error_allowed=True),
            )
        )
    return tuple(catchers)


def _error_equals(body: dict[str, Any], where: str, last: bool) -> tuple[str, ...]:
    errors = body.get("ErrorEquals")
    if not isinstance(errors, list) or not errors or not all(isinstance(name, str) for name in errors):
        raise _Refusal(f"{where}.ErrorEquals", "must be a non-empty array of error names")
    if STATES_ALL in errors and (len(errors) > 1 or not last):
        raise _Refusal(f"{where}.ErrorEquals", "States.ALL must be alone and in the last retrier or catcher")
    return tuple(errors)


# --- field helpers ----------------------------------------------------------------------------------


def _string(body: dict[str, Any], key: str) -> str | None:
    value = body.get(key)
    if value is not None and not isinstance(value, str):
        raise _Refusal(key, "must be a string")
    return value


def _template(
    body: dict[str, Any], key: str, *, result_allowed: bool, error_allowed: bool = False, prefix: str = ""
) -> Template | None:
    if key not in body:
        return None
    template = _compiled(body[key], f"{prefix}{key}")
    _check_states_members(template.expressions, result_allowed, error_allowed)
    return template


def _assign(value: Any, where: str, *, result_allowed: bool, error_allowed: bool = False) -> dict[str, Template] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise _Refusal(where, "must be an object of variable names to values")
    assigned = {}
    for name, item in value.items():
        if not isinstance(name, str) or not name.isidentifier() or len(name) > MAX_VARIABLE_NAME:
            raise _Refusal(f"{where}.{name}", "is not a valid variable name")
        if name == "states":
            raise _Refusal(f"{where}.{name}", "'states' is reserved")
        template = _compiled(item, f"{where}/{name}")
        _check_states_members(template.expressions, result_allowed, error_allowed)
        assigned[name] = template
    return assigned


def _compiled(value: Any, field_name: str) -> Template:
    try:
        return Template(value, field_name)
    except DefinitionError as error:
        raise _Refusal(None, str(error)) from None


def _typed(body: dict[str, Any], key: str, check: Any, description: str) -> Template | None:
    if key not in body:
        return None
    value = body[key]
    if isinstance(value, str) and value.startswith("{%"):
        return _compiled(value, key)
    if not check(value):
        raise _Refusal(key, f"must be {description} or a JSONata expression")
    return Template(value, key)


def _check_states_members(expressions: list[Expression], result_allowed: bool, error_allowed: bool) -> None:
    for expression in expressions:
        for member in _STATES_MEMBER.findall(expression.text):
            if (member == "result" and not result_allowed) or (member == "errorOutput" and not error_allowed):
                raise _Refusal(expression.field, f"$states.{member} is not available in this field")


def _check_name(name: str, what: str) -> None:
    if not 1 <= len(name) <= MAX_NAME_LENGTH or _FORBIDDEN_NAME.search(name):
        raise _Refusal(None, f"invalid {what}: 1 to 80 characters, no spaces or special characters")


def _positive_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _non_negative_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def valid_name(name: str) -> bool:
    """Execution and state machine names follow the same rules as state names."""
    return 1 <= len(name) <= MAX_NAME_LENGTH and not _FORBIDDEN_NAME.search(name)


# --- variable scopes ----------------------------------------------------------------------------------


def _assigned_names(graph: Graph) -> set[str]:
    names: set[str] = set()
    for state in graph.states.values():
        names |= set(state.assign or {})
        for rule in state.choices if isinstance(state, ChoiceState) else ():
            names |= set(rule.assign or {})
        for catcher in state.catch:
            names |= set(catcher.assign or {})
            if catcher.jsonpath and catcher.jsonpath.assign:
                names |= catcher.jsonpath.assign.names
        if state.jsonpath:
            for payload in (state.jsonpath.assign, *(choice.assign for choice in state.jsonpath.choices)):
                names |= payload.names if payload else set()
    return names


def _check_variable_scopes(graph: Graph, source: str, outer: set[str]) -> None:
    """An inner scope (branch, iteration) may read but never assign an outer scope's variables."""
    own = _assigned_names(graph)
    clash = own & outer
    if clash:
        raise DefinitionError(
            f"{source}: variable {', '.join(sorted(clash))} is assigned in an outer scope and may not be "
            "assigned inside a Parallel branch or Map iteration"
        )
    for state in graph.states.values():
        unassigned = state.jsonpath.reads - own - outer if state.jsonpath else set()
        if unassigned:
            raise DefinitionError(
                f"{source}: state '{state.name}' reads variable {', '.join(f'${n}' for n in sorted(unassigned))}, "
                "which no state in its scope assigns"
            )
        for inner in state.graphs():
            _check_variable_scopes(inner, source, outer | own)
