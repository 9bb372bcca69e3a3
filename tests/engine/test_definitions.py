"""Loading refuses what the engine does not run, naming file, state and field.

Expected behaviour from https://docs.aws.amazon.com/step-functions/latest/dg/statemachine-structure.html
and .../transforming-data.html (JSONPath fields are not allowed in JSONata states).
"""

import json
from pathlib import Path

import pytest

from local.engine_host import build
from local.sfn.asl import parse_definition
from local.sfn.expressions import DefinitionError
from workflows import DeclarationError, Task, Workflow, all_workflows

VALID_TASK = {
    "Type": "Task",
    "Resource": "arn:aws:states:::lambda:invoke",
    "Arguments": {"FunctionName": "f", "Payload": "{% $states.input %}"},
    "End": True,
}


def _definition(states: dict, **top) -> str:
    return json.dumps({"QueryLanguage": "JSONata", "StartAt": next(iter(states)), "States": states, **top})


def _refused(states: dict, **top) -> str:
    with pytest.raises(DefinitionError) as refused:
        parse_definition(_definition(states, **top), "flow.asl.json")
    return str(refused.value)


@pytest.mark.parametrize(
    ("states", "expected"),
    [
        ({"A": {"Type": "Pass", "End": True, "Bogus": 1}}, "state 'A', field 'Bogus': unknown field"),
        ({"A": {"Type": "Pass", "Next": "Nowhere"}}, "state 'A', field 'Next': no state named 'Nowhere'"),
        ({"A": {"Type": "Pass", "End": True, "InputPath": "$.x"}}, "field 'InputPath': is a JSONPath field"),
        ({"A": {"Type": "Pass", "End": True, "Result": {}}}, "field 'Result': is a JSONPath field"),
        ({"A": {**VALID_TASK, "ResultPath": "$.r"}}, "state 'A', field 'ResultPath': is a JSONPath field"),
        (
            {"A": {"Type": "Pass", "End": True, "QueryLanguage": "JSONPath"}},
            "'QueryLanguage' can not be 'JSONPath' if set to 'JSONata' for whole state machine",
        ),
        ({"A": {**VALID_TASK, "Resource": "arn:aws:states:::sqs:sendMessage"}}, "field 'Resource': 'arn:aws"),
        ({"A": {"Type": "Pass", "Output": "{% $eval('1') %}", "End": True}}, "$eval is not available"),
        (
            {"A": {**VALID_TASK, "Arguments": {"FunctionName": "f", "InvocationType": "Event"}}},
            "field 'Arguments/InvocationType': only 'RequestResponse' is supported",
        ),
        (
            {"A": {**VALID_TASK, "Arguments": {"FunctionName": "f", "LogType": "Tail"}}},
            "field 'Arguments/LogType': only 'None' is supported",
        ),
        ({"A": {"Type": "Pass", "Output": "{% $.x %}", "End": True}}, "'$' at the top level"),
        ({"A": {"Type": "Pass", "Output": "{% $states.result %}", "End": True}}, "$states.result is not available"),
        (
            {"A": {**VALID_TASK, "Arguments": {"FunctionName": "f", "Payload": "{% $states.result %}"}}},
            "field 'Arguments/Payload': $states.result is not available",
        ),
        ({"A": {"Type": "Pass", "Output": "{% 1 + %}", "End": True}}, "does not parse"),
        ({"A": {"Type": "Pass"}}, "exactly one of 'Next' and 'End'"),
        ({"A": {"Type": "Wait", "Seconds": 1, "Timestamp": "2026-01-01T00:00:00Z", "End": True}}, "exactly one of"),
        ({"A": {"Type": "Wait", "Timestamp": "tomorrow", "End": True}}, "not an ISO-8601"),
        ({"A": {"Type": "Pass", "End": True}, "B": {"Type": "Succeed"}}, "state 'B' is never reached"),
        ({"A": {"Type": "Choice", "Choices": []}}, "field 'Choices': must be a non-empty array"),
        (
            {"A": {"Type": "Choice", "Choices": [{"Variable": "$.x", "StringEquals": "a", "Next": "A"}]}},
            "is a JSONPath",
        ),
        (
            {
                "A": {
                    **VALID_TASK,
                    "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "A"}, {"ErrorEquals": ["X"], "Next": "A"}],
                }
            },
            "States.ALL must be alone and in the last",
        ),
        ({"A": {**VALID_TASK, "Retry": [{"ErrorEquals": ["X"], "BackoffRate": 0.5}]}}, "Retry[0].BackoffRate"),
        ({"A": {**VALID_TASK, "Credentials": {}}}, "field 'Credentials': not supported by the local engine"),
        (
            {
                "A": {
                    "Type": "Map",
                    "ItemProcessor": {
                        "ProcessorConfig": {"Mode": "DISTRIBUTED"},
                        "StartAt": "B",
                        "States": {"B": {"Type": "Succeed"}},
                    },
                    "End": True,
                }
            },
            "only INLINE Map",
        ),
        ({"A": {"Type": "Pass", "End": True, "Assign": {"states": 1}}}, "'states' is reserved"),
        ({"A": {"Type": "Pass", "End": True, "Assign": {"a.b": 1}}}, "is not a valid variable name"),
        ({"A b": {"Type": "Pass", "End": True}}, "invalid state name"),
    ],
)
def test_unsupported_or_invalid_definitions_are_refused_with_file_state_and_field(states, expected) -> None:
    message = _refused(states)
    assert message.startswith("flow.asl.json")
    assert expected in message


def test_a_state_machine_without_query_language_is_jsonpath() -> None:
    text = json.dumps({"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}}})
    assert parse_definition(text, "flow.asl.json").graph.states["A"].jsonpath is not None
    with pytest.raises(DefinitionError, match="must be JSONPath or JSONata"):
        parse_definition(json.dumps({"QueryLanguage": "XPath", "StartAt": "A", "States": {}}), "flow.asl.json")


def test_an_inner_scope_may_not_assign_an_outer_variable() -> None:
    # https://docs.aws.amazon.com/step-functions/latest/dg/workflow-variables.html (scope)
    states = {
        "Outer": {"Type": "Pass", "Assign": {"total": 0}, "Next": "Each"},
        "Each": {
            "Type": "Map",
            "ItemProcessor": {
                "StartAt": "Inner",
                "States": {"Inner": {"Type": "Pass", "Assign": {"total": 1}, "End": True}},
            },
            "End": True,
        },
    }
    assert "variable total is assigned in an outer scope" in _refused(states)


def test_a_valid_definition_is_parsed_with_its_expressions_compiled() -> None:
    definition = parse_definition(
        _definition({"A": {"Type": "Pass", "Output": {"x": "{% $states.input.a %}"}, "End": True}}), "f"
    )
    state = definition.graph.states["A"]
    assert [expression.text for expression in state.output.expressions] == ["$states.input.a"]


def _workflow(tmp_path: Path, text: str, tasks: dict) -> Workflow:
    path = tmp_path / "flow.asl.json"
    path.write_text(text)
    return Workflow(name="flow", entity="run", asl_path=path, tasks=tasks)


def test_a_placeholder_without_a_task_is_refused(tmp_path: Path) -> None:
    text = _definition({"A": {**VALID_TASK, "Arguments": {"FunctionName": "${CheckThing}"}}})
    with pytest.raises(DeclarationError, match=r"placeholder \$\{CheckThing\} has no task"):
        build(tmp_path / "state", [_workflow(tmp_path, text, {})])


def test_a_declared_task_the_file_does_not_use_is_refused(tmp_path: Path) -> None:
    text = _definition({"A": {"Type": "Pass", "End": True}})
    with pytest.raises(DeclarationError, match="declared task Unused is not used"):
        _workflow(tmp_path, text, {"Unused": Task("tests.engine.handlers.echo")}).check()


def test_the_runtime_refuses_a_workflow_whose_file_is_invalid(tmp_path: Path) -> None:
    text = _definition({"A": {**VALID_TASK, "Arguments": {"FunctionName": "${Echo}"}, "OutputPath": "$"}})
    workflow = _workflow(tmp_path, text, {"Echo": Task("tests.engine.handlers.echo")})
    with pytest.raises(DefinitionError, match=r"flow\.asl\.json: state 'A', field 'OutputPath'"):
        build(tmp_path / "state", [workflow])


def test_every_declared_workflow_loads() -> None:
    for workflow in all_workflows():
        parse_definition(workflow.definition(dict.fromkeys(workflow.tasks, "arn:x")), str(workflow.asl_path))


def test_every_state_type_the_loader_accepts_has_its_work_and_its_fields() -> None:
    from local.sfn import asl
    from local.sfn.states import BEGIN

    assert set(BEGIN) == set(asl.STATE_FIELDS) == set(asl.STATE_TYPES)
    assert all(callable(begin) for begin in BEGIN.values())
