"""Retry and Catch (https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html).

Timings are checked on the manual clock: a retry happens when the clock reaches
IntervalSeconds * BackoffRate^(n-1), capped by MaxDelaySeconds, never before.
"""

import pytest

from tests.engine import handlers
from tests.engine.conftest import Sfn, task


def _flaky_calls() -> int:
    return sum(1 for name, _ in handlers.SWITCHES["calls"] if name == "flaky")


def test_retry_waits_interval_times_backoff_capped_by_max_delay(sfn: Sfn) -> None:
    retry = [
        {
            "ErrorEquals": ["DatabaseUnavailable"],
            "IntervalSeconds": 2,
            "BackoffRate": 3,
            "MaxAttempts": 4,
            "MaxDelaySeconds": 10,
        }
    ]
    arn = sfn.start(sfn.machine({"T": task("flaky", Retry=retry)}))
    sfn.settle()
    assert _flaky_calls() == 1
    # expected gaps: 2, 6, then 18 capped at 10, 54 capped at 10
    for gap in (2, 6, 10, 10):
        sfn.advance(gap - 0.5)
        calls = _flaky_calls()
        sfn.advance(0.5)
        assert _flaky_calls() == calls + 1, f"retry after {gap}s"
    result = sfn.result(arn)
    assert (result.status, result.error) == ("FAILED", "DatabaseUnavailable")
    # no new Entered on a retry; the task is scheduled again each time (§9 history)
    assert result.types().count("TaskStateEntered") == 1
    assert result.types().count("TaskScheduled") == 5


def test_retry_count_is_in_the_context_and_a_retried_task_can_succeed(sfn: Sfn) -> None:
    retry = [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 1, "MaxAttempts": 3}]
    payload = {"attempt": "{% $states.context.State.RetryCount %}"}
    arn = sfn.start(sfn.machine({"T": task("flaky", payload=payload, Retry=retry)}))
    sfn.settle()
    sfn.advance(1)
    handlers.SWITCHES["flaky_fails"] = False
    sfn.advance(2)
    result = sfn.result(arn)
    assert result.status == "SUCCEEDED"
    assert [event["attempt"] for name, event in handlers.SWITCHES["calls"] if name == "flaky"] == [0, 1, 2]
    assert result.output == {"done": True, "attempt": 2}


def test_max_attempts_zero_never_retries(sfn: Sfn) -> None:
    retry = [{"ErrorEquals": ["DatabaseUnavailable"], "MaxAttempts": 0}, {"ErrorEquals": ["States.ALL"]}]
    result = sfn.run({"T": task("flaky", Retry=retry)})
    assert (result.status, _flaky_calls()) == ("FAILED", 1)


def test_full_jitter_waits_at_most_the_computed_interval(sfn: Sfn) -> None:
    retry = [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 8, "MaxAttempts": 1, "JitterStrategy": "FULL"}]
    sfn.start(sfn.machine({"T": task("flaky", Retry=retry)}))
    sfn.settle()
    sfn.advance(8)
    assert _flaky_calls() == 2


def test_exhausted_first_matching_retrier_goes_to_catch_not_to_later_retriers(sfn: Sfn) -> None:
    # ERR: the first retrier whose ErrorEquals matches is the only one consulted
    retry = [
        {"ErrorEquals": ["DatabaseUnavailable"], "MaxAttempts": 1, "IntervalSeconds": 1},
        {"ErrorEquals": ["States.ALL"], "MaxAttempts": 5, "IntervalSeconds": 1},
    ]
    catch = [{"ErrorEquals": ["States.ALL"], "Next": "Caught"}]
    arn = sfn.start(
        sfn.machine(
            {
                "T": task("flaky", Retry=retry, Catch=catch, Next="Done"),
                "Done": {"Type": "Succeed"},
                "Caught": {"Type": "Succeed"},
            }
        )
    )
    sfn.settle()
    sfn.advance(1)
    sfn.advance(10)
    result = sfn.result(arn)
    assert _flaky_calls() == 2
    assert result.entered() == ["T", "Caught"]


def test_retrier_counters_grow_across_other_retriers_errors(sfn: Sfn) -> None:
    # ERR example: errors A, B, C, B against retriers [A,B] max 2 and [C] max 5 → the 4th error is not retried
    items = ["A", "B", "C", "B", "never"]
    states = {
        "Init": {"Type": "Pass", "Assign": {"errors": items}, "Next": "T"},
        "T": {
            "Type": "Map",
            "Items": "{% [$errors[$states.context.State.RetryCount]] %}",
            "ItemProcessor": {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "{% $states.input %}"}}},
            "Retry": [
                {"ErrorEquals": ["A", "B"], "MaxAttempts": 2, "IntervalSeconds": 1},
                {"ErrorEquals": ["C"], "MaxAttempts": 5, "IntervalSeconds": 1},
            ],
            "Catch": [{"ErrorEquals": ["States.ALL"], "Output": "{% $states.errorOutput.Error %}", "Next": "Caught"}],
            "End": True,
        },
        "Caught": {"Type": "Pass", "End": True},
    }
    arn = sfn.start(sfn.machine(states))
    sfn.settle()
    for _ in range(6):
        sfn.advance(10)
    result = sfn.result(arn)
    assert result.output == "B"
    assert result.types().count("MapStateStarted") == 4


def test_catch_output_and_assign_see_the_error_output_and_skip_the_state_fields(sfn: Sfn) -> None:
    catch = [
        {
            "ErrorEquals": ["CustomerNotEligible"],
            "Next": "Refused",
            "Output": {"reason": "{% $states.errorOutput.Error %}", "input": "{% $states.input %}"},
            "Assign": {"refused": True},
        }
    ]
    states = {
        "T": task("reject", Catch=catch, Assign={"never": 1}, Next="Done"),
        "Done": {"Type": "Succeed"},
        "Refused": {
            "Type": "Pass",
            "Output": {"caught": "{% $states.input %}", "refused": "{% $refused %}"},
            "End": True,
        },
    }
    result = sfn.run(states, {"evidence": "x"})
    assert result.output == {"caught": {"reason": "CustomerNotEligible", "input": {"evidence": "x"}}, "refused": True}
    exited = result.events("TaskStateExited")[0]
    assert exited["previousEventId"] == result.events("TaskFailed")[0]["id"]
    assert result.details(exited)["assignedVariables"] == {"refused": "true"}


def test_a_catcher_without_output_passes_the_error_output(sfn: Sfn) -> None:
    states = {
        "T": task("reject", Catch=[{"ErrorEquals": ["States.ALL"], "Next": "R"}], Next="R"),
        "R": {"Type": "Pass", "End": True},
    }
    result = sfn.run(states, {"evidence": "e"})
    assert set(result.output) == {"Error", "Cause"}
    assert result.output["Error"] == "CustomerNotEligible"


def test_catchers_are_tried_in_order(sfn: Sfn) -> None:
    catch = [
        {"ErrorEquals": ["Other"], "Next": "Wrong"},
        {"ErrorEquals": ["States.TaskFailed"], "Next": "Right"},
        {"ErrorEquals": ["States.ALL"], "Next": "Wrong"},
    ]
    states = {"T": task("reject", Catch=catch, Next="Wrong"), "Wrong": {"Type": "Fail"}, "Right": {"Type": "Succeed"}}
    assert sfn.run(states).status == "SUCCEEDED"


def test_task_failed_does_not_match_a_timeout(sfn: Sfn) -> None:
    # ERR: States.TaskFailed matches any task error except States.Timeout
    catch = [
        {"ErrorEquals": ["States.TaskFailed"], "Next": "Wrong"},
        {"ErrorEquals": ["States.Timeout"], "Next": "Right"},
    ]
    states = {
        "T": task("slow", TimeoutSeconds=1, Catch=catch, Next="Wrong"),
        "Wrong": {"Type": "Fail"},
        "Right": {"Type": "Succeed"},
    }
    functions = sfn.engine.functions
    functions.resolve("slow").timeout_seconds = 30  # the state's timeout fires first
    arn = sfn.start(sfn.machine(states))
    sfn.time_out_slow_task(arn, 1, "TaskTimedOut")
    assert sfn.result(arn).entered() == ["T", "Right"]


# --- which names match: exact, case-sensitive; States.ALL; States.TaskFailed ----------

WRONG = {"Wrong": {"Type": "Succeed"}}


@pytest.mark.parametrize("name", ["Database", "Unavailable", "DatabaseUnavailableError", "databaseunavailable"])
def test_a_name_that_is_not_exactly_the_error_neither_retries_nor_catches_it(sfn: Sfn, name: str) -> None:
    # Given a task raising DatabaseUnavailable, whose retrier and catcher name something close to it
    retry = [{"ErrorEquals": [name], "IntervalSeconds": 1, "MaxAttempts": 3}]
    catch = [{"ErrorEquals": [name], "Next": "Wrong"}]
    arn = sfn.start(sfn.machine({"T": task("flaky", Retry=retry, Catch=catch, Next="Wrong"), **WRONG}))
    # When it fails and the clock runs past every interval
    sfn.settle()
    sfn.advance(30)
    # Then it ran once and the execution failed at the task with the task's own error
    result = sfn.result(arn)
    assert (result.status, result.error, _flaky_calls()) == ("FAILED", "DatabaseUnavailable", 1)
    assert result.entered() == ["T"]


def test_the_exact_name_retries_and_then_catches(sfn: Sfn) -> None:
    retry = [{"ErrorEquals": ["Other", "DatabaseUnavailable"], "IntervalSeconds": 1, "MaxAttempts": 2}]
    catch = [
        {"ErrorEquals": ["Database"], "Next": "Wrong"},
        {"ErrorEquals": ["DatabaseUnavailable"], "Next": "Caught", "Output": "{% $states.errorOutput.Error %}"},
    ]
    states = {"T": task("flaky", Retry=retry, Catch=catch, Next="Wrong"), "Caught": {"Type": "Pass", "End": True}}
    arn = sfn.start(sfn.machine({**states, **WRONG}))
    sfn.settle()
    sfn.advance(1)
    sfn.advance(2)
    result = sfn.result(arn)
    assert (_flaky_calls(), result.entered(), result.output) == (3, ["T", "Caught"], "DatabaseUnavailable")


def _caught_by_states_all(**fields) -> dict:
    """A machine whose state ``T`` (``fields``) has one catcher, States.ALL, that outputs the error's name."""
    catch = [{"ErrorEquals": ["States.ALL"], "Next": "Caught", "Output": "{% $states.errorOutput.Error %}"}]
    state = {**fields, "Catch": catch, "Next": "Wrong"}
    state.pop("End", None)
    return {"T": state, "Caught": {"Type": "Pass", "End": True}, **WRONG}


def test_states_all_catches_a_task_error(sfn: Sfn) -> None:
    result = sfn.run(_caught_by_states_all(**task("reject")))
    assert (result.status, result.output) == ("SUCCEEDED", "CustomerNotEligible")


def test_states_all_catches_a_timeout(sfn: Sfn) -> None:
    sfn.engine.functions.resolve("slow").timeout_seconds = 30  # the state's timeout fires first
    arn = sfn.start(sfn.machine(_caught_by_states_all(**task("slow", TimeoutSeconds=1))))
    sfn.time_out_slow_task(arn, 1, "TaskTimedOut")
    result = sfn.result(arn)
    assert (result.status, result.output) == ("SUCCEEDED", "States.Timeout")


def test_states_all_retries_a_timeout(sfn: Sfn) -> None:
    sfn.engine.functions.resolve("slow").timeout_seconds = 30
    retry = [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 1, "MaxAttempts": 1}]
    arn = sfn.start(sfn.machine({"T": task("slow", TimeoutSeconds=5, Retry=retry)}))
    sfn.time_out_slow_task(arn, 5, "TaskTimedOut")
    sfn.advance(1)  # the second attempt finds the gate open and returns in time
    result = sfn.result(arn)
    assert (result.status, result.output) == ("SUCCEEDED", {"slept": True})
    assert (result.types().count("TaskScheduled"), result.types().count("TaskTimedOut")) == (2, 1)


def test_states_all_catches_an_evaluation_error(sfn: Sfn) -> None:
    # §8: States.QueryEvaluationError is catchable like any named error
    branch = {"StartAt": "P", "States": {"P": {"Type": "Pass", "Output": "{% $states.input.missing %}", "End": True}}}
    result = sfn.run(_caught_by_states_all(Type="Parallel", Branches=[branch]))
    assert (result.status, result.output) == ("SUCCEEDED", "States.QueryEvaluationError")


# A Wait beyond the execution's lifetime is a States.Runtime error (§7 Wait); a Parallel around it can carry
# a Retry and a Catch, which a Wait cannot.
TOO_LONG_A_WAIT = {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 400 * 24 * 3600, "End": True}}}


@pytest.mark.parametrize("names", [["States.ALL"], ["States.Runtime"]], ids=["States.ALL", "by name"])
def test_states_runtime_is_never_retried_nor_caught(sfn: Sfn, names: list[str]) -> None:
    # Given a state whose only retrier and catcher name States.ALL (or States.Runtime itself)
    states = {
        "T": {
            "Type": "Parallel",
            "Branches": [TOO_LONG_A_WAIT],
            "Retry": [{"ErrorEquals": names, "IntervalSeconds": 1, "MaxAttempts": 3}],
            "Catch": [{"ErrorEquals": names, "Next": "Caught"}],
            "Next": "Wrong",
        },
        "Caught": {"Type": "Pass", "End": True},
        **WRONG,
    }
    arn = sfn.start(sfn.machine(states))
    # When the branch fails with States.Runtime and the clock runs past every interval
    sfn.settle()
    sfn.advance(30)
    # Then the execution failed there: not retried, not caught (§8, §20.4)
    result = sfn.result(arn)
    assert (result.status, result.error) == ("FAILED", "States.Runtime")
    assert result.types().count("ParallelStateStarted") == 1
    assert result.entered() == ["T", "W"]


def test_task_failed_neither_retries_nor_catches_a_timeout(sfn: Sfn) -> None:
    # ERR: States.TaskFailed matches any task error except States.Timeout
    sfn.engine.functions.resolve("slow").timeout_seconds = 30
    retry = [{"ErrorEquals": ["States.TaskFailed"], "IntervalSeconds": 1, "MaxAttempts": 2}]
    catch = [{"ErrorEquals": ["States.TaskFailed"], "Next": "Wrong"}]
    arn = sfn.start(sfn.machine({"T": task("slow", TimeoutSeconds=1, Retry=retry, Catch=catch, Next="Wrong"), **WRONG}))
    sfn.time_out_slow_task(arn, 1, "TaskTimedOut")
    sfn.advance(30)
    result = sfn.result(arn)
    assert (result.status, result.error) == ("FAILED", "States.Timeout")
    assert result.types().count("TaskScheduled") == 1


def test_task_failed_retries_and_catches_a_task_error(sfn: Sfn) -> None:
    retry = [{"ErrorEquals": ["States.TaskFailed"], "IntervalSeconds": 1, "MaxAttempts": 1}]
    catch = [{"ErrorEquals": ["States.TaskFailed"], "Next": "Caught", "Output": "{% $states.errorOutput.Error %}"}]
    states = {"T": task("flaky", Retry=retry, Catch=catch, Next="Wrong"), "Caught": {"Type": "Pass", "End": True}}
    arn = sfn.start(sfn.machine({**states, **WRONG}))
    sfn.settle()
    sfn.advance(1)
    result = sfn.result(arn)
    assert (_flaky_calls(), result.output) == (2, "DatabaseUnavailable")
