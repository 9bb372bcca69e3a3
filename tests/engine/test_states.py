"""Pass, Choice, Wait, Succeed, Fail, Parallel and Map as the state pages describe them.

Pages: .../state-choice.html, state-wait.html, state-succeed.html, state-fail.html,
state-parallel.html, state-map-inline.html, maprun-fail-threshold.html.
"""

from datetime import UTC, datetime

from tests.engine import handlers
from tests.engine.conftest import Sfn, task


def test_choice_takes_the_first_true_rule_with_its_output(sfn: Sfn) -> None:
    states = {
        "C": {
            "Type": "Choice",
            "Choices": [
                {"Condition": "{% $states.input.age >= 75 %}", "Next": "Elderly", "Output": {"priority": "elderly"}},
                {"Condition": "{% $states.input.age >= 18 %}", "Next": "Adult"},
            ],
            "Default": "Child",
        },
        "Elderly": {"Type": "Succeed"},
        "Adult": {"Type": "Succeed"},
        "Child": {"Type": "Succeed", "Output": "child"},
    }
    assert sfn.run(states, {"age": 80}).output == {"priority": "elderly"}
    adult = sfn.run(states, {"age": 30})
    assert (adult.output, adult.entered()) == ({"age": 30}, ["C", "Adult"])
    assert sfn.run(states, {"age": 5}).output == "child"


def test_choice_without_match_or_default_fails_with_no_choice_matched(sfn: Sfn) -> None:
    states = {
        "C": {"Type": "Choice", "Choices": [{"Condition": "{% $states.input.x = 1 %}", "Next": "Done"}]},
        "Done": {"Type": "Succeed"},
    }
    result = sfn.run(states, {"x": 2})
    assert (result.status, result.error) == ("FAILED", "States.NoChoiceMatched")


def test_a_condition_that_is_not_boolean_is_a_query_evaluation_error(sfn: Sfn) -> None:
    states = {
        "C": {"Type": "Choice", "Choices": [{"Condition": "{% $states.input.x %}", "Next": "Done"}]},
        "Done": {"Type": "Succeed"},
    }
    assert sfn.run(states, {"x": "yes"}).error == "States.QueryEvaluationError"


def test_wait_seconds_holds_until_the_clock_reaches_the_deadline(sfn: Sfn) -> None:
    states = {
        "W": {"Type": "Wait", "Seconds": "{% $states.input.delay %}", "Next": "Done"},
        "Done": {"Type": "Succeed"},
    }
    arn = sfn.start(sfn.machine(states), {"delay": 60})
    sfn.settle()
    sfn.advance(59)
    assert sfn.result(arn).status == "RUNNING"
    sfn.advance(1)
    result = sfn.result(arn)
    assert result.status == "SUCCEEDED"
    assert result.types()[-3:] == ["SucceedStateEntered", "SucceedStateExited", "ExecutionSucceeded"]


def test_wait_timestamp_waits_until_that_moment_and_a_past_one_continues_at_once(sfn: Sfn) -> None:
    now = sfn.clock.now()
    later = datetime.fromtimestamp(now + 3600, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    earlier = datetime.fromtimestamp(now - 3600, UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")
    states = {"W": {"Type": "Wait", "Timestamp": "{% $states.input.at %}", "End": True}}
    machine = sfn.machine(states)
    waiting, past = sfn.start(machine, {"at": later}), sfn.start(machine, {"at": earlier})
    sfn.settle()
    assert (sfn.result(waiting).status, sfn.result(past).status) == ("RUNNING", "SUCCEEDED")
    sfn.advance(3600)
    assert sfn.result(waiting).status == "SUCCEEDED"


def test_an_unparsable_timestamp_is_a_query_evaluation_error(sfn: Sfn) -> None:
    result = sfn.run({"W": {"Type": "Wait", "Timestamp": "{% $states.input.at %}", "End": True}}, {"at": "soon"})
    assert result.error == "States.QueryEvaluationError"
    assert "cannot be parsed as an ISO-8601 extended offset date-time format string: soon" in result.cause


def test_fail_state_error_and_cause_may_be_expressions(sfn: Sfn) -> None:
    states = {
        "F": {"Type": "Fail", "Error": "{% 'Client.' & $states.input.why %}", "Cause": "{% $states.input.detail %}"}
    }
    result = sfn.run(states, {"why": "Ineligible", "detail": "expired"})
    assert (result.status, result.error, result.cause) == ("FAILED", "Client.Ineligible", "expired")
    assert result.types()[-2:] == ["FailStateEntered", "ExecutionFailed"]


def test_fail_state_without_error_or_cause_leaves_them_out(sfn: Sfn) -> None:
    result = sfn.run({"F": {"Type": "Fail"}})
    assert (result.status, result.error, result.cause) == ("FAILED", None, None)
    assert result.details(result.events("ExecutionFailed")[0]) == {}


def test_parallel_outputs_follow_branch_order_and_arguments_feed_every_branch(sfn: Sfn) -> None:
    slow_branch = {
        "StartAt": "Wait",
        "States": {
            "Wait": {"Type": "Wait", "Seconds": 5, "Next": "Out"},
            "Out": {"Type": "Pass", "Output": "first", "End": True},
        },
    }
    fast_branch = {"StartAt": "Add", "States": {"Add": task("add-one")}}
    states = {
        "P": {
            "Type": "Parallel",
            "Arguments": {"value": "{% $states.input.n %}"},
            "Branches": [slow_branch, fast_branch],
            "End": True,
        }
    }
    arn = sfn.start(sfn.machine(states), {"n": 41})
    sfn.settle()
    sfn.advance(5)
    result = sfn.result(arn)
    assert result.output == ["first", {"value": 42}]
    types = result.types()
    assert types[:3] == ["ExecutionStarted", "ParallelStateEntered", "ParallelStateStarted"]
    # the branches run at once: which one enters its first state first is not fixed
    assert {"WaitStateEntered", "TaskStateEntered"} <= set(types[3:])


def test_a_failing_branch_fails_the_parallel_with_its_own_error_and_stops_the_others(sfn: Sfn) -> None:
    waiting = {
        "StartAt": "Wait",
        "States": {"Wait": {"Type": "Wait", "Seconds": 100, "Next": "Out"}, "Out": {"Type": "Pass", "End": True}},
    }
    failing = {"StartAt": "Reject", "States": {"Reject": task("reject")}}
    result = sfn.run({"P": {"Type": "Parallel", "Branches": [waiting, failing], "End": True}}, {"evidence": "CSS-1"})
    # as AWS does: the branch's own error propagates, not States.BranchFailed
    assert (result.status, result.error) == ("FAILED", "CustomerNotEligible")
    assert "evidence CSS-1 expired" in result.cause
    assert "ParallelStateFailed" in result.types()
    sfn.advance(100)
    assert "WaitStateExited" not in sfn.result(result.arn).types()


def test_map_keeps_item_order_whatever_the_completion_order(sfn: Sfn) -> None:
    states = {
        "M": {
            "Type": "Map",
            "ItemProcessor": {
                "StartAt": "W",
                "States": {
                    "W": {"Type": "Wait", "Seconds": "{% $states.input.wait %}", "Next": "Out"},
                    "Out": {"Type": "Pass", "Output": "{% $states.input.id %}", "End": True},
                },
            },
            "End": True,
        }
    }
    arn = sfn.start(sfn.machine(states), [{"id": "a", "wait": 30}, {"id": "b", "wait": 10}, {"id": "c", "wait": 20}])
    sfn.settle()
    for _ in range(3):
        sfn.advance(10)
    result = sfn.result(arn)
    assert result.output == ["a", "b", "c"]
    assert result.details(result.events("MapStateStarted")[0]) == {"length": 3}
    assert [result.details(event)["index"] for event in result.events("MapIterationSucceeded")] == [1, 2, 0]


def test_max_concurrency_one_runs_iterations_one_after_the_other(sfn: Sfn) -> None:
    handlers.SWITCHES["calls"] = []
    states = {
        "M": {
            "Type": "Map",
            "MaxConcurrency": 1,
            "ItemProcessor": {"StartAt": "E", "States": {"E": task("echo")}},
            "End": True,
        }
    }
    result = sfn.run(states, [{"i": 0}, {"i": 1}, {"i": 2}, {"i": 3}])
    assert result.output == [{"i": 0}, {"i": 1}, {"i": 2}, {"i": 3}]
    assert [event for name, event in handlers.SWITCHES["calls"] if name == "echo"] == result.output
    kinds = [event["type"] for event in result.history if event["type"].startswith("MapIteration")]
    assert kinds == ["MapIterationStarted", "MapIterationSucceeded"] * 4


def test_map_of_no_items_outputs_an_empty_array(sfn: Sfn) -> None:
    states = {
        "M": {"Type": "Map", "Items": [], "ItemProcessor": {"StartAt": "E", "States": {"E": task("echo")}}, "End": True}
    }
    result = sfn.run(states)
    assert result.output == []
    assert result.details(result.events("MapStateStarted")[0]) == {"length": 0}


def test_map_items_that_are_not_an_array_are_a_query_evaluation_error(sfn: Sfn) -> None:
    processor = {"StartAt": "E", "States": {"E": {"Type": "Pass", "End": True}}}
    from_expression = sfn.run(
        {"M": {"Type": "Map", "Items": "{% $states.input %}", "ItemProcessor": processor, "End": True}}, {"a": 1}
    )
    assert from_expression.error == "States.QueryEvaluationError"
    assert "Expected 'array', but was 'object' for value: {\"a\":1}" in from_expression.cause
    from_input = sfn.run({"M": {"Type": "Map", "ItemProcessor": processor, "End": True}}, {"a": 1})
    assert 'Map state input must be an array but was: {"a":1}' in from_input.cause
    assert "location" not in from_input.details(from_input.events("EvaluationFailed")[0])


def test_tolerated_failures_let_the_map_succeed_until_the_threshold(sfn: Sfn) -> None:
    processor = {
        "StartAt": "Check",
        "States": {
            "Check": {
                "Type": "Choice",
                "Choices": [{"Condition": "{% $states.input.ok %}", "Next": "Ok"}],
                "Default": "Bad",
            },
            "Ok": {"Type": "Pass", "Output": "ok", "End": True},
            "Bad": {"Type": "Fail", "Error": "Bad", "Cause": "item"},
        },
    }
    items = [{"ok": True}, {"ok": False}, {"ok": True}, {"ok": False}]
    tolerant = {"M": {"Type": "Map", "ToleratedFailureCount": 2, "ItemProcessor": processor, "End": True}}
    result = sfn.run(tolerant, items)
    assert result.status == "SUCCEEDED"
    assert result.output == ["ok", {"Error": "Bad", "Cause": "item"}, "ok", {"Error": "Bad", "Cause": "item"}]
    strict = {"M": {"Type": "Map", "ToleratedFailurePercentage": 25, "ItemProcessor": processor, "End": True}}
    over = sfn.run(strict, items)
    assert (over.error, over.cause) == (
        "States.ExceedToleratedFailureThreshold",
        "The specified tolerated failure threshold was exceeded",
    )
    untolerant = sfn.run({"M": {"Type": "Map", "MaxConcurrency": 1, "ItemProcessor": processor, "End": True}}, items)
    assert (untolerant.error, untolerant.cause) == ("Bad", "item")


def test_a_state_output_over_256_kib_fails_with_data_limit_exceeded(sfn: Sfn) -> None:
    # LIM: state input/output ≤ 262,144 bytes; States.ALL still catches it
    big = {"A": {"Type": "Pass", "Output": "{% $pad('', 262145, 'x') %}", "End": True}}
    assert sfn.run(big).error == "States.DataLimitExceeded"
    caught = {
        "A": {
            "Type": "Parallel",
            "Branches": [{"StartAt": "B", "States": {"B": {**big["A"]}}}],
            "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "C", "Output": "{% $states.errorOutput.Error %}"}],
            "End": True,
        },
        "C": {"Type": "Pass", "End": True},
    }
    assert sfn.run(caught).output == "States.DataLimitExceeded"


def test_a_wait_beyond_the_execution_lifetime_is_a_runtime_error(sfn: Sfn) -> None:
    result = sfn.run({"W": {"Type": "Wait", "Seconds": 400 * 24 * 3600, "End": True}})
    assert (result.status, result.error) == ("FAILED", "States.Runtime")
    assert "Wait state delay is too long." in result.cause


def test_task_timeouts_may_be_expressions(sfn: Sfn) -> None:
    sfn.engine.functions.resolve("slow").timeout_seconds = 60
    states = {"T": task("slow", TimeoutSeconds="{% $states.input.limit %}")}
    arn = sfn.start(sfn.machine(states), {"limit": 5})
    sfn.time_out_slow_task(arn, 5, "TaskTimedOut")
    scheduled = sfn.result(arn).details(sfn.result(arn).events("TaskScheduled")[0])
    assert scheduled["timeoutInSeconds"] == 5
    assert sfn.result(arn).error == "States.Timeout"
    bad = sfn.run({"T": task("echo", TimeoutSeconds="{% 'soon' %}")})
    assert bad.error == "States.QueryEvaluationError"
