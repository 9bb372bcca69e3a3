"""The engine and moto's Step Functions interpreter run the same JSONPath machines (no Lambda task:
moto's would call its own Lambda emulation) and end the same way: status, output, error.

Where moto departs from AWS's documentation the engine follows the documentation, and the cases
keep clear of it or say so:
- moto drops a ``null`` argument of ``States.Array`` (the guide's example keeps it: see
  test_jsonpath_language.py);
- moto gives a string output unquoted (``not`` for ``"not"``): the cases end on objects;
- moto fails a Choice that no rule matches with ``States.Runtime``; the guide says
  ``States.NoChoiceMatched`` (DOCUMENTED below);
- moto cannot read variables in a JSONPath field (``$total``): test_jsonpath_states.py covers them.
"""

from __future__ import annotations

import json
import time
from typing import Any

import boto3
import pytest
from moto import mock_aws

from tests.engine.conftest import Sfn

ROLE = "arn:aws:iam::123456789012:role/machines"


def _pass(**fields: Any) -> dict[str, Any]:
    return {"Type": "Pass", "End": True, **fields}


CASES: dict[str, tuple[dict[str, Any], Any]] = {
    "parameters and intrinsics": (
        {
            "A": _pass(
                Parameters={
                    "sum.$": "States.MathAdd($.a, 1)",
                    "text.$": "States.Format('{} and {}', $.name, $.a)",
                    "parts.$": "States.StringSplit($.csv, ',')",
                    "chunks.$": "States.ArrayPartition($.list, 2)",
                    "has.$": "States.ArrayContains($.list, 3)",
                    "range.$": "States.ArrayRange(1, 9, 2)",
                    "item.$": "States.ArrayGetItem($.list, 1)",
                    "length.$": "States.ArrayLength($.list)",
                    "unique.$": "States.ArrayUnique($.dupes)",
                    "encoded.$": "States.Base64Encode($.name)",
                    "hash.$": "States.Hash($.name, 'SHA-256')",
                    "json.$": "States.JsonToString($.obj)",
                    "parsed.$": "States.StringToJson($.text)",
                    "merged.$": "States.JsonMerge($.obj, $.other, false)",
                    "array.$": "States.Array($.a, 'x')",
                    "static": "kept",
                }
            )
        },
        {
            "a": 2,
            "name": "Awa",
            "csv": "a,b,,c",
            "list": [1, 2, 3, 4, 5],
            "dupes": [1, 1, 2],
            "obj": {"k": 1},
            "other": {"k": 2, "m": 3},
            "text": '{"x": [1]}',
        },
    ),
    "input, result and output paths": (
        {
            "A": {"Type": "Pass", "InputPath": "$.in", "Result": {"r": 1}, "ResultPath": "$.out.deep", "Next": "B"},
            "B": _pass(OutputPath="$.out"),
        },
        {"in": {"x": 1}, "keep": True},
    ),
    "result path null keeps the input": ({"A": _pass(Result="dropped", ResultPath=None)}, {"a": 1}),
    "slices, filters and wildcards": (
        {
            "A": _pass(
                Parameters={
                    "first.$": "$.items[0:2]",
                    "cheap.$": "$.items[?(@.price < 10)].name",
                    "names.$": "$.items[*].name",
                    "last.$": "$.items[-1:]",
                }
            )
        },
        {"items": [{"name": "a", "price": 5}, {"name": "b", "price": 12}, {"name": "c", "price": 8}]},
    ),
    "choice rules": (
        {
            "C": {
                "Type": "Choice",
                "Choices": [
                    {"Variable": "$.n", "NumericGreaterThanEquals": 10, "Next": "Big"},
                    {
                        "And": [{"Variable": "$.s", "IsString": True}, {"Variable": "$.s", "StringMatches": "ab*"}],
                        "Next": "Ab",
                    },
                    {"Not": {"Variable": "$.t", "TimestampLessThan": "2020-01-01T00:00:00Z"}, "Next": "Late"},
                ],
                "Default": "Other",
            },
            "Big": _pass(Result={"took": "big"}),
            "Ab": _pass(Result={"took": "ab"}),
            "Late": _pass(Result={"took": "late"}),
            "Other": _pass(Result={"took": "other"}),
        },
        {"n": 3, "s": "abc", "t": "2019-06-01T00:00:00Z"},
    ),
    "choice by a path operand": (
        {
            "C": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.a", "NumericLessThanPath": "$.b", "Next": "Less"}],
                "Default": "More",
            },
            "Less": _pass(Result={"took": "less"}),
            "More": _pass(Result={"took": "more"}),
        },
        {"a": 1, "b": 2},
    ),
    "a type mismatch is false": (
        {
            "C": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.n", "NumericEquals": 0, "Next": "Zero"}],
                "Default": "Not",
            },
            "Zero": _pass(Result={"took": "zero"}),
            "Not": _pass(Result={"took": "not"}),
        },
        {"n": "0"},
    ),
    "wait zero seconds by path": ({"W": {"Type": "Wait", "SecondsPath": "$.s", "End": True}}, {"s": 0}),
    "map over items path": (
        {
            "M": {
                "Type": "Map",
                "ItemsPath": "$.xs",
                "ItemSelector": {"v.$": "$$.Map.Item.Value", "i.$": "$$.Map.Item.Index", "k.$": "$.k"},
                "ItemProcessor": {
                    "StartAt": "P",
                    "States": {
                        "P": _pass(Parameters={"twice.$": "States.MathAdd($.v, $.v)", "i.$": "$.i", "k.$": "$.k"})
                    },
                },
                "ResultPath": "$.out",
                "End": True,
            }
        },
        {"xs": [1, 2, 3], "k": "K"},
    ),
    "parallel with a result selector": (
        {
            "P": {
                "Type": "Parallel",
                "Branches": [
                    {"StartAt": "A", "States": {"A": _pass(Result=1)}},
                    {"StartAt": "B", "States": {"B": _pass(Result=2)}},
                ],
                "ResultSelector": {"both.$": "$"},
                "End": True,
            }
        },
        {},
    ),
    "fail with literal error and cause": ({"F": {"Type": "Fail", "Error": "Refused", "Cause": "no"}}, {}),
}


def _on_moto(states: dict[str, Any], payload: Any) -> tuple[str, Any, str | None]:
    definition = {"StartAt": next(iter(states)), "States": states}
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        client = boto3.client("stepfunctions", region_name="us-east-1")
        machine = client.create_state_machine(name="m", definition=json.dumps(definition), roleArn=ROLE)
        arn = client.start_execution(stateMachineArn=machine["stateMachineArn"], input=json.dumps(payload))[
            "executionArn"
        ]
        deadline = time.monotonic() + 20
        while (described := client.describe_execution(executionArn=arn))["status"] == "RUNNING":
            assert time.monotonic() < deadline, "moto did not finish"
            time.sleep(0.01)
    output = json.loads(described["output"]) if "output" in described else None
    return described["status"], output, described.get("error")


@pytest.mark.parametrize("case", list(CASES))
def test_the_engine_ends_as_moto_does(sfn: Sfn, case: str) -> None:
    states, payload = CASES[case]
    ours = sfn.run(states, payload, QueryLanguage="JSONPath")
    assert (ours.status, ours.output, ours.error) == _on_moto(states, payload)


def test_where_moto_departs_from_the_guide_the_engine_follows_the_guide(sfn: Sfn) -> None:
    # DOCUMENTED: "If no Choice Rule matches and no Default is given, the state fails with
    # States.NoChoiceMatched" (the Choice state's page); moto says States.Runtime
    states = {"C": {"Type": "Choice", "Choices": [{"Variable": "$.n", "IsNull": True, "Next": "D"}]}, "D": _pass()}
    ours = sfn.run(states, {"n": 1}, QueryLanguage="JSONPath")
    assert (ours.status, ours.error) == ("FAILED", "States.NoChoiceMatched")
    assert _on_moto(states, {"n": 1}) == ("FAILED", None, "States.Runtime")
