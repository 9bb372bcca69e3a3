"""Workflow variables with AWS's rules (https://docs.aws.amazon.com/step-functions/latest/dg/workflow-variables.html).

Assign reads entry-time values, new values are visible from the next state,
inner scopes read outer variables, siblings never see each other's, a catcher may assign outer ones.
"""

import json

from tests.engine.conftest import Sfn


def test_assign_reads_values_as_they_were_on_entry(sfn: Sfn) -> None:
    states = {
        "Init": {"Type": "Pass", "Assign": {"x": 1, "y": 2}, "Next": "Swap"},
        "Swap": {
            "Type": "Pass",
            "Assign": {"x": "{% $y %}", "y": "{% $x %}"},
            "Output": {"x_in_same_state": "{% $x %}"},
            "Next": "Read",
        },
        "Read": {
            "Type": "Pass",
            "Output": {"x": "{% $x %}", "y": "{% $y %}", "same": "{% $states.input %}"},
            "End": True,
        },
    }
    result = sfn.run(states)
    assert result.output == {"x": 2, "y": 1, "same": {"x_in_same_state": 1}}


def test_assigned_variables_appear_in_history_as_json_text(sfn: Sfn) -> None:
    states = {"A": {"Type": "Pass", "Assign": {"n": 42, "s": "abc", "z": None}, "End": True}}
    result = sfn.run(states)
    details = result.details(result.events("PassStateExited")[0])
    assert details["assignedVariables"] == {"n": "42", "s": '"abc"', "z": "null"}
    assert details["assignedVariablesDetails"] == {"truncated": False}


def test_a_state_that_assigns_nothing_has_no_assigned_variables_in_history(sfn: Sfn) -> None:
    result = sfn.run({"A": {"Type": "Pass", "End": True}})
    assert "assignedVariables" not in result.details(result.events("PassStateExited")[0])


def test_reading_an_unassigned_variable_is_a_query_evaluation_error(sfn: Sfn) -> None:
    result = sfn.run({"A": {"Type": "Pass", "Output": "{% $never %}", "End": True}})
    assert result.error == "States.QueryEvaluationError"
    assert "returned nothing (undefined)" in result.cause


def test_inner_scopes_read_outer_variables_and_keep_their_own(sfn: Sfn) -> None:
    states = {
        "Init": {"Type": "Pass", "Assign": {"site": "SD"}, "Next": "Each"},
        "Each": {
            "Type": "Map",
            "Items": [1, 2, 3],
            "ItemProcessor": {
                "StartAt": "Mine",
                "States": {
                    "Mine": {"Type": "Pass", "Assign": {"mine": "{% $states.input * 10 %}"}, "Next": "Read"},
                    "Read": {"Type": "Pass", "Output": "{% $site & '-' & $string($mine) %}", "End": True},
                },
            },
            "Next": "After",
        },
        "After": {"Type": "Pass", "Output": {"results": "{% $states.input %}", "site": "{% $site %}"}, "End": True},
    }
    result = sfn.run(states)
    assert result.output == {"results": ["SD-10", "SD-20", "SD-30"], "site": "SD"}


def test_inner_variables_vanish_when_the_iteration_ends(sfn: Sfn) -> None:
    states = {
        "Each": {
            "Type": "Map",
            "Items": [1],
            "ItemProcessor": {
                "StartAt": "Mine",
                "States": {"Mine": {"Type": "Pass", "Assign": {"mine": 1}, "End": True}},
            },
            "Next": "After",
        },
        "After": {"Type": "Pass", "Output": "{% $mine %}", "End": True},
    }
    assert sfn.run(states).error == "States.QueryEvaluationError"


def test_parallel_branches_do_not_see_each_others_variables(sfn: Sfn) -> None:
    branch_a = {
        "StartAt": "A1",
        "States": {
            "A1": {"Type": "Pass", "Assign": {"a": 1}, "Next": "A2"},
            "A2": {"Type": "Pass", "Output": "{% $a %}", "End": True},
        },
    }
    branch_b = {"StartAt": "B1", "States": {"B1": {"Type": "Pass", "Output": "{% $a %}", "End": True}}}
    result = sfn.run({"P": {"Type": "Parallel", "Branches": [branch_a, branch_b], "End": True}})
    assert result.error == "States.QueryEvaluationError"
    assert "'B1'" in result.cause


def test_a_catcher_on_a_parallel_state_assigns_outer_variables(sfn: Sfn) -> None:
    failing = {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Boom", "Cause": "no"}}}
    states = {
        "P": {
            "Type": "Parallel",
            "Branches": [failing],
            "Catch": [{"ErrorEquals": ["Boom"], "Assign": {"failure": "{% $states.errorOutput.Error %}"}, "Next": "R"}],
            "Next": "R",
        },
        "R": {"Type": "Pass", "Output": "{% $failure %}", "End": True},
    }
    result = sfn.run(states)
    assert result.output == "Boom"
    exited = result.details(result.events("ParallelStateExited")[0])
    assert exited["assignedVariables"] == {"failure": json.dumps("Boom")}
