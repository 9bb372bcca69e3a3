"""JSONPath state machines in the engine: each state's data flow (InputPath → Parameters → work →
ResultSelector → ResultPath → OutputPath), its *Path fields, Choice rules, Catch with ResultPath, the
uncatchable States.Runtime, and machines that mix both query languages.

Expected values: the developer guide's input and output pages (the "IOEX" example), ResultPath's,
Parameters', ItemsPath's and the Choice state's, and AWS's recorded causes where the guide is silent.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from local.sfn.functions import function_arn
from tests.engine.conftest import INVOKE, INVOKE_WAIT, Sfn


def run(sfn: Sfn, states: dict[str, Any], payload: Any = None, **top: Any):
    return sfn.run(states, payload, QueryLanguage="JSONPath", **top)


def invoke(function: str, **fields: Any) -> dict[str, Any]:
    state: dict[str, Any] = {
        "Type": "Task",
        "Resource": INVOKE,
        "Parameters": {"FunctionName": function_arn(function), "Payload.$": "$"},
    }
    state.update(fields)
    if "Next" not in state and "End" not in state:
        state["End"] = True
    return state


def test_the_guides_example_from_input_to_output(sfn: Sfn) -> None:
    # IOEX: the task gets the InputPath's selection; its result goes into the raw input; OutputPath picks
    task = invoke(
        "echo",
        InputPath="$.lambda",
        ResultSelector={"greeting.$": "States.Format('Hello, {}!', $.Payload.who)"},
        ResultPath="$.data.lambdaresult",
        OutputPath="$.data",
    )
    result = run(sfn, {"A": task}, {"data": {"val1": 23}, "extra": "foo", "lambda": {"who": "AWS Step Functions"}})
    assert result.status == "SUCCEEDED", result.cause
    assert result.output == {"val1": 23, "lambdaresult": {"greeting": "Hello, AWS Step Functions!"}}
    scheduled = result.details(result.events("TaskScheduled")[0])
    assert json.loads(scheduled["parameters"])["Payload"] == {"who": "AWS Step Functions"}


def test_a_pass_state_result_parameters_and_the_null_paths(sfn: Sfn) -> None:
    states = {
        "Literal": {"Type": "Pass", "Result": {"TestResult.$": "not evaluated"}, "ResultPath": "$.r", "Next": "Shaped"},
        "Shaped": {
            "Type": "Pass",
            "Parameters": {"size.$": "$.product.details.size", "copies.$": "States.ArrayLength($.product.copies)"},
            "ResultPath": "$.shaped",
            "Next": "Dropped",
        },
        "Dropped": {"Type": "Pass", "Result": "ignored", "ResultPath": None, "Next": "Nothing"},
        "Nothing": {"Type": "Pass", "InputPath": None, "ResultPath": "$.empty_input", "End": True},
    }
    result = run(sfn, states, {"product": {"details": {"size": "small"}, "copies": [1, 2]}})
    assert result.status == "SUCCEEDED", result.cause
    assert result.output == {
        "product": {"details": {"size": "small"}, "copies": [1, 2]},
        "r": {"TestResult.$": "not evaluated"},  # a Result is never a template
        "shaped": {"size": "small", "copies": 2},
        "empty_input": {},
    }


def test_a_choice_by_rules_with_its_assign_and_default(sfn: Sfn) -> None:
    states = {
        "Route": {
            "Type": "Choice",
            "InputPath": "$.order",
            "OutputPath": "$.status",
            "Choices": [
                {
                    "And": [
                        {"Variable": "$.total", "IsPresent": True},
                        {"Variable": "$.total", "NumericGreaterThan": 100},
                    ],
                    "Assign": {"big.$": "$.total"},
                    "Next": "Big",
                },
                {"Variable": "$.status", "StringMatches": "rush-*", "Next": "Rush"},
            ],
            "Default": "Small",
            "Assign": {"took_default": True},
        },
        "Big": {"Type": "Pass", "Parameters": {"status.$": "$", "big.$": "$big"}, "End": True},
        "Rush": {"Type": "Succeed"},
        "Small": {"Type": "Pass", "Parameters": {"status.$": "$", "default.$": "$took_default"}, "End": True},
    }
    big = run(sfn, states, {"order": {"total": 120, "status": "new"}})
    assert (big.status, big.output) == ("SUCCEEDED", {"status": "new", "big": 120})
    assert run(sfn, states, {"order": {"status": "rush-1"}}).output == "rush-1"
    small = run(sfn, states, {"order": {"status": "new"}})
    assert small.output == {"status": "new", "default": True}  # the state's Assign runs for the Default only


def test_no_rule_and_no_default_and_a_missing_variable_fail_the_execution(sfn: Sfn) -> None:
    rule = {"Variable": "$.n", "NumericEquals": 1, "Next": "Done"}
    states = {"Route": {"Type": "Choice", "Choices": [rule]}, "Done": {"Type": "Succeed"}}
    unmatched = run(sfn, states, {"n": 2})
    assert (unmatched.status, unmatched.error) == ("FAILED", "States.NoChoiceMatched")
    missing = run(sfn, states, {})
    assert (missing.status, missing.error) == ("FAILED", "States.Runtime")
    assert missing.cause.endswith("Invalid path '$.n': The choice state's condition path references an invalid value.")
    assert missing.cause.startswith("An error occurred while executing the state 'Route' (entered at the event id #")


def test_a_wait_by_seconds_path_and_its_refusals(sfn: Sfn) -> None:
    states = {"Hold": {"Type": "Wait", "SecondsPath": "$.input.waitSeconds", "End": True}}
    arn = sfn.start(sfn.machine(states, QueryLanguage="JSONPath"), {"input": {"waitSeconds": 30}})
    sfn.settle()
    assert sfn.result(arn).status == "RUNNING"
    sfn.advance(31)
    assert sfn.result(arn).status == "SUCCEEDED"
    for value, says in (
        (1.5, "cannot be parsed as a long value: $.input.waitSeconds == 1.5"),
        (-1, "references a negative value: $.input.waitSeconds == -1"),
        (True, "cannot be parsed as a long value: $.input.waitSeconds == true"),  # values shown as JSON
        ("10", 'cannot be parsed as a long value: $.input.waitSeconds == "10"'),
        (None, "does not reference an input value: $.input.waitSeconds"),
    ):
        payload = {"input": {"waitSeconds": value}} if value is not None else {"input": {}}
        failed = run(sfn, states, payload)
        assert (failed.status, failed.error) == ("FAILED", "States.Runtime")
        assert failed.cause.endswith(says), failed.cause


def test_a_wait_by_timestamp_path(sfn: Sfn) -> None:
    states = {"Hold": {"Type": "Wait", "TimestampPath": "$.at", "End": True}}
    passed = run(sfn, states, {"at": "2001-01-01T00:00:00Z"})
    assert passed.status == "SUCCEEDED"  # a moment past: at once
    wrong = run(sfn, states, {"at": "2016-12-05 21:29:29Z"})
    assert (wrong.status, wrong.error) == ("FAILED", "States.Runtime")
    assert "does not reference a valid ISO-8601 extended offset date-time" in wrong.cause
    nothing = run(sfn, states, {"at": None})
    assert nothing.cause.endswith("format string: $.at == null"), nothing.cause


def test_a_map_over_items_path_with_its_selector_and_result_path(sfn: Sfn) -> None:
    states = {
        "Each": {
            "Type": "Map",
            "InputPath": "$.detail",
            "ItemsPath": "$.shipped",
            "ItemSelector": {"order.$": "$.order_id", "item.$": "$$.Map.Item.Value", "index.$": "$$.Map.Item.Index"},
            "ItemProcessor": {"StartAt": "Echo", "States": {"Echo": invoke("echo", OutputPath="$.Payload")}},
            "ResultPath": "$.detail.results",
            "End": True,
        }
    }
    result = run(sfn, states, {"detail": {"order_id": "o-1", "shipped": ["a", "b"]}})
    assert result.status == "SUCCEEDED", result.cause
    assert result.output["detail"]["results"] == [
        {"order": "o-1", "item": "a", "index": 0},
        {"order": "o-1", "item": "b", "index": 1},
    ]
    not_array = run(sfn, {"Each": {**states["Each"], "ItemsPath": "$.order_id"}}, {"detail": {"order_id": "o"}})
    assert (not_array.error, not_array.cause.rsplit(". ", 1)[-1]) == (
        "States.Runtime",
        'Reference path "$.order_id" must point to array.',
    )


def test_a_parallel_state_gives_its_branches_the_parameters_and_flattens_with_a_selector(sfn: Sfn) -> None:
    branch = {"StartAt": "P", "States": {"P": {"Type": "Pass", "Parameters": {"n.$": "$.n"}, "End": True}}}
    states = {
        "Both": {
            "Type": "Parallel",
            "Parameters": {"n.$": "$.value"},
            "Branches": [branch, branch],
            "ResultSelector": {"ns.$": "$[*].n"},
            "End": True,
        }
    }
    assert run(sfn, states, {"value": 7}).output == {"ns": [7, 7]}


def test_a_catcher_puts_the_error_into_the_input_and_assigns_from_it(sfn: Sfn) -> None:
    states = {
        "Check": invoke(
            "reject",
            Catch=[
                {
                    "ErrorEquals": ["States.ALL"],
                    "ResultPath": "$.error",
                    "Assign": {"why.$": "$.Error"},
                    "Next": "After",
                }
            ],
        ),
        "After": {
            "Type": "Pass",
            "Parameters": {"foo.$": "$.foo", "error.$": "$.error.Error", "why.$": "$why"},
            "End": True,
        },
    }
    result = run(sfn, states, {"foo": "bar", "evidence": "E-1"})
    assert result.status == "SUCCEEDED", result.cause
    assert result.output == {"foo": "bar", "error": "CustomerNotEligible", "why": "CustomerNotEligible"}


def test_a_path_that_matches_nothing_is_a_runtime_error_no_catcher_sees(sfn: Sfn) -> None:
    states = {
        "Shape": {
            "Type": "Task",
            "Resource": INVOKE,
            "Parameters": {"FunctionName": function_arn("echo"), "Payload": {"value.$": "$.no_such_jsonpath"}},
            "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}],
            "End": True,
        },
        "Caught": {"Type": "Succeed"},
    }
    result = run(sfn, states, {"a": 1})
    assert (result.status, result.error) == ("FAILED", "States.Runtime")
    assert result.cause.endswith(
        "The JSONPath '$.no_such_jsonpath' specified for the field 'value.$' could not be found in the input "
        "'{\"a\":1}'"
    )
    assert "Caught" not in result.entered()


def test_a_result_path_into_a_string_is_a_match_failure(sfn: Sfn) -> None:
    result = run(sfn, {"A": {"Type": "Pass", "Result": 1, "ResultPath": "$.x", "End": True}}, "foo")
    assert (result.status, result.error) == ("FAILED", "States.ResultPathMatchFailure")
    assert result.cause.endswith('Unable to apply ReferencePath $.x to input "foo"')


def test_a_fail_state_takes_its_error_and_cause_from_paths_and_intrinsics(sfn: Sfn) -> None:
    states = {"Stop": {"Type": "Fail", "ErrorPath": "$.code", "CausePath": "States.Format('order {} refused', $.id)"}}
    result = run(sfn, states, {"code": "OrderRefused", "id": 7})
    assert (result.status, result.error, result.cause) == ("FAILED", "OrderRefused", "order 7 refused")


def test_timeout_and_heartbeat_from_paths_reach_the_scheduled_task(sfn: Sfn) -> None:
    task = invoke("echo", TimeoutSecondsPath="$.limits.timeout", HeartbeatSecondsPath="$.limits.beat")
    result = run(sfn, {"A": task}, {"limits": {"timeout": 60, "beat": 10}})
    scheduled = result.details(result.events("TaskScheduled")[0])
    assert (scheduled["timeoutInSeconds"], scheduled["heartbeatInSeconds"]) == (60, 10)
    refused = run(sfn, {"A": task}, {"limits": {"timeout": "soon", "beat": 10}})
    assert (refused.status, refused.error) == ("FAILED", "States.Runtime")


def test_a_callback_task_hands_its_token_through_the_context(sfn: Sfn) -> None:
    state = {
        "Type": "Task",
        "Resource": INVOKE_WAIT,
        "Parameters": {"FunctionName": function_arn("echo"), "Payload": {"token.$": "$$.Task.Token"}},
        "ResultPath": "$.answer",
        "End": True,
    }
    arn = sfn.start(sfn.machine({"Ask": state}, QueryLanguage="JSONPath"), {"order": 1})
    sfn.wait_for_event(arn, "TaskSubmitted")
    submitted = sfn.result(arn).details(sfn.result(arn).events("TaskSubmitted")[0])
    token = json.loads(submitted["output"])["Payload"]["token"]
    sfn.service.SendTaskSuccess({"taskToken": token, "output": '{"approved": true}'})
    sfn.settle()
    assert sfn.result(arn).output == {"order": 1, "answer": {"approved": True}}


def test_a_jsonpath_machine_may_hold_jsonata_states_and_both_read_the_same_variables(sfn: Sfn) -> None:
    states = {
        "Path": {
            "Type": "Pass",
            "Parameters": {"foo": "foobar", "bar.$": "$"},
            "Assign": {"answer": 42},
            "Next": "Ata",
        },
        "Ata": {
            "Type": "Pass",
            "QueryLanguage": "JSONata",
            "Output": {"seen": "{% $states.input %}", "answer": "{% $answer %}"},
            "Assign": {"doubled": "{% $answer * 2 %}"},
            "Next": "Back",
        },
        "Back": {"Type": "Pass", "Parameters": {"doubled.$": "$doubled", "answer.$": "$.answer"}, "End": True},
    }
    result = run(sfn, states, {"x": 1})
    assert result.status == "SUCCEEDED", result.cause
    assert result.output == {"doubled": 84, "answer": 42}
    ata = result.details(result.events("PassStateExited")[1])
    assert json.loads(ata["output"])["seen"] == {"foo": "foobar", "bar": {"x": 1}}  # plain JSON between languages


def test_a_map_with_the_legacy_iterator_and_parameters_and_its_limits_by_path(sfn: Sfn) -> None:
    states = {
        "Each": {
            "Type": "Map",
            "Iterator": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}},
            "Parameters": {"v.$": "$$.Map.Item.Value"},
            "MaxConcurrencyPath": "$.limit",
            "End": True,
        }
    }
    assert run(sfn, states, [1, 2]).status == "FAILED"  # MaxConcurrencyPath reads the input: no $.limit in a list
    wrapped = {"Each": {**states["Each"], "ItemsPath": "$.xs"}}
    assert run(sfn, wrapped, {"xs": [1, 2], "limit": 1}).output == [{"v": 1}, {"v": 2}]
    refused = run(sfn, wrapped, {"xs": [1], "limit": "NoNumber"})
    assert (refused.status, refused.error) == ("FAILED", "States.Runtime")
    expected = 'The MaxConcurrencyPath field refers to value "NoNumber" which is not a valid integer: $.limit'
    assert expected in refused.cause


@pytest.mark.parametrize(
    ("state", "says"),
    [
        ({"Type": "Pass", "Output": {"a": 1}, "End": True}, "field 'Output': is a JSONata field"),
        ({"Type": "Wait", "Seconds": 1, "SecondsPath": "$.s", "End": True}, "may not be given with 'Seconds'"),
        ({"Type": "Wait", "End": True}, "exactly one of Seconds, SecondsPath, Timestamp and TimestampPath"),
        ({"Type": "Fail", "ErrorPath": "States.ArrayLength($.a)"}, "States.ArrayLength does not give a string"),
        ({"Type": "Task", "Resource": INVOKE, "Parameters": {"Payload.$": "$"}, "End": True}, "with a FunctionName"),
        ({"Type": "Pass", "ResultPath": "$.a[*]", "End": True}, "is not a Reference Path"),
        ({"Type": "Pass", "ResultPath": "$$.Execution", "End": True}, "never $$ or a variable"),
        ({"Type": "Pass", "Parameters": {"x.$": "nope"}, "End": True}, "must be a valid JSONPath"),
        ({"Type": "Succeed", "ResultPath": "$.x"}, "unknown field for a JSONPath Succeed state"),
        (
            {
                "Type": "Task",
                "Resource": INVOKE,
                "TimeoutSeconds": 5,
                "HeartbeatSeconds": 10,
                "End": True,
                "Parameters": {"FunctionName": "f"},
            },
            "must be smaller than TimeoutSeconds",
        ),
        ({"Type": "Pass", "Assign": {"states": 1}, "End": True}, "'states' is reserved"),
        ({"Type": "Pass", "Parameters": {"a": [{"x.$": "States.Nope()"}]}, "End": True}, "field 'Parameters.a[0].x.$'"),
        (
            {"Type": "Pass", "Parameters": {"v.$": "States.Format('{}', $never)"}, "End": True},
            "reads variable $never, which no state in its scope assigns",
        ),
        ({"Type": "Pass", "Assign": {"states.$": "$"}, "End": True}, "'states' is reserved"),
        ({"Type": "Pass", "Assign": {"v" * 81: 1}, "End": True}, "is not a valid variable name"),
        (
            {
                "Type": "Choice",
                "Default": "A",
                "Choices": [{"And": [{"Variable": "$.a", "IsPresent": True, "Assign": {"x": 1}}], "Next": "A"}],
            },
            "a nested rule has no 'Assign'",
        ),
    ],
)
def test_a_jsonpath_state_aws_would_refuse_is_refused_at_load(sfn: Sfn, state: dict[str, Any], says: str) -> None:
    from local.sfn.asl import parse_definition
    from local.sfn.expressions import DefinitionError

    text = json.dumps({"StartAt": "A", "States": {"A": state}})
    with pytest.raises(DefinitionError, match=re.escape(says)):
        parse_definition(text, "flow.asl.json")


@pytest.mark.parametrize(
    ("state", "says"),
    [
        ({"Type": "Fail", "Error": "{% 'x' & $states.input.a %}"}, "is a JSONata expression"),
        ({"Type": "Pass", "Parameters": "$.a", "End": True}, "field 'Parameters': must be an object"),
        ({"Type": "Pass", "ResultSelector": [1], "End": True}, "unknown field"),
        (
            {"Type": "Map", "ItemReader": {}, "ItemProcessor": {"StartAt": "P", "States": {}}, "End": True},
            "field 'ItemReader': not supported by the local engine: Distributed Map is not emulated",
        ),
        (
            {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Credentials": {}, "End": True},
            "field 'Credentials': not supported by the local engine: task credentials",
        ),
    ],
)
def test_a_jsonpath_state_takes_no_jsonata_and_templates_are_objects(state: dict[str, Any], says: str) -> None:
    from local.sfn.asl import parse_definition
    from local.sfn.expressions import DefinitionError

    with pytest.raises(DefinitionError, match=re.escape(says)):
        parse_definition(json.dumps({"StartAt": "A", "States": {"A": state}}), "flow.asl.json")


def test_items_path_naming_a_variable_not_assigned_on_this_path_fails_with_its_own_error(sfn: Sfn) -> None:
    states = {
        "Route": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.go", "BooleanEquals": True, "Next": "Each"}],
            "Default": "Assign",
        },
        "Assign": {"Type": "Pass", "Assign": {"items": [1, 2]}, "Next": "Each"},
        "Each": {
            "Type": "Map",
            "ItemsPath": "$items",
            "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}},
            "End": True,
        },
    }
    assert run(sfn, states, {"go": False}).output == [1, 2]
    skipped = run(sfn, states, {"go": True})
    assert (skipped.status, skipped.error) == ("FAILED", "States.Runtime")
    assert "items" in skipped.cause
    assert "the local engine failed" not in skipped.cause


def test_a_variable_named_in_any_script_is_read_by_a_path(sfn: Sfn) -> None:
    states = {
        "Set": {"Type": "Pass", "Assign": {"ñame": 5, "größe.$": "$.size"}, "Next": "Read"},
        "Read": {"Type": "Pass", "Parameters": {"v.$": "$ñame", "s.$": "$größe"}, "End": True},
    }
    assert run(sfn, states, {"size": "L"}).output == {"v": 5, "s": "L"}


def test_a_variable_is_read_where_a_state_in_scope_assigns_it() -> None:
    from local.sfn.asl import parse_definition
    from local.sfn.expressions import DefinitionError

    def load(states: dict[str, Any]) -> None:
        parse_definition(json.dumps({"StartAt": next(iter(states)), "States": states}), "test")

    inner = {"StartAt": "I", "States": {"I": {"Type": "Pass", "Assign": {"inner": 1}, "End": True}}}
    reads_outer = {"StartAt": "I", "States": {"I": {"Type": "Pass", "Parameters": {"v.$": "$outer"}, "End": True}}}
    caught = {"ErrorEquals": ["States.ALL"], "Assign": {"failure.$": "$.Error"}, "Next": "After"}
    load({
        "Set": {"Type": "Pass", "Assign": {"outer": 1}, "Next": "Each"},
        "Each": {"Type": "Map", "ItemProcessor": reads_outer, "Catch": [caught], "Next": "After"},
        "After": {"Type": "Pass", "Parameters": {"f.$": "$failure"}, "End": True},  # a catcher's variable
    })  # fmt: skip
    with pytest.raises(DefinitionError, match=re.escape("state 'After' reads variable $inner")):
        load({
            "Each": {"Type": "Map", "ItemProcessor": inner, "Next": "After"},
            "After": {"Type": "Pass", "Parameters": {"v.$": "$inner"}, "End": True},  # an iteration's own
        })  # fmt: skip
