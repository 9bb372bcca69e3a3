"""JSONata in states: templates, $states, the context object, AWS's functions, evaluation errors.

Expected results from https://docs.aws.amazon.com/step-functions/latest/dg/transforming-data.html (JN),
.../input-output-contextobject.html (CTX).
"""

import hashlib
import re
from typing import Any

import pytest

from local.sfn.errors import ServiceError
from local.sfn.expressions import Bindings, Expression, QueryEvaluationFailed
from tests.engine.conftest import Sfn


def _pass(output, **fields) -> dict:
    return {"A": {"Type": "Pass", "Output": output, "End": True, **fields}}


def test_only_whole_percent_brace_strings_are_expressions(sfn: Sfn) -> None:
    # JN: a string is evaluated only if it starts with {% and ends with %}
    output = {
        "evaluated": "{% $states.input.n * 2 %}",
        "literal": "$states.input",
        "spaced": " {% $states.input.n %}",
        "jsonpath_key.$": "$.n",
        "nested": [{"deep": "{% $states.input.n + 1 %}"}, 7, None, True],
    }
    result = sfn.run(_pass(output), {"n": 20})
    assert result.status == "SUCCEEDED"
    assert result.output == {
        "evaluated": 40,
        "literal": "$states.input",
        "spaced": " {% $states.input.n %}",
        "jsonpath_key.$": "$.n",
        "nested": [{"deep": 21}, 7, None, True],
    }


def test_output_null_makes_the_state_output_null(sfn: Sfn) -> None:
    assert sfn.run(_pass(None), {"a": 1}).output is None


def test_an_expression_returning_nothing_fails_with_query_evaluation_error(sfn: Sfn) -> None:
    # JN: JSON cannot hold undefined → States.QueryEvaluationError, preceded by EvaluationFailed
    result = sfn.run(_pass({"result": "{% $states.input.missing %}"}), {"a": 1})
    assert (result.status, result.error) == ("FAILED", "States.QueryEvaluationError")
    entered = result.events("PassStateEntered")[0]
    assert result.cause == (
        f"An error occurred while executing the state 'A' (entered at the event id #{entered['id']}). "
        "The JSONata expression '$states.input.missing' specified for the field 'Output/result' returned nothing "
        "(undefined)."
    )
    failed = result.details(result.events("EvaluationFailed")[0])
    assert failed["location"] == "Output/result"
    assert failed["state"] == "A"
    assert result.events("EvaluationFailed")[0]["previousEventId"] == entered["previousEventId"]
    assert "PassStateExited" not in result.types()


def test_a_type_error_names_the_jsonata_error_code(sfn: Sfn) -> None:
    result = sfn.run(_pass("{% $states.input.a + 'x' %}"), {"a": 1})
    assert result.error == "States.QueryEvaluationError"
    assert "threw an error during evaluation. T2002: The right side of the + operator must evaluate to a number" in (
        result.cause
    )


@pytest.mark.parametrize(
    "endless",
    [
        "( $f := function($x) { $f($x + 1) }; $f(0) )",
        "$sum([1..3000].($sum([1..3000])))",
    ],
    ids=["recursion", "nested loops"],
)
def test_an_expression_that_runs_on_is_stopped_and_holds_nothing_else_up(sfn: Sfn, endless: str) -> None:
    # Given an execution whose Output recurses for ever (or nearly), and another one beside it
    stopped = sfn.start(sfn.machine(_pass(f"{{% {endless} %}}")), {})
    ordinary = sfn.start(sfn.machine(_pass("{% $map([1, 2, 3], function($v) { $v * 2 }) %}")), {})
    # Then the first one fails with the library's timeout, and the other one ends as usual: the time it
    # waited for its turn does not count against it
    assert sfn.engine.wait_for(stopped, timeout=10) == "FAILED"
    assert sfn.engine.wait_for(ordinary, timeout=10) == "SUCCEEDED"
    assert sfn.result(ordinary).output == [2, 4, 6]
    failed = sfn.result(stopped)
    assert failed.error == "States.QueryEvaluationError"
    assert "D1012: Evaluation timeout after 1000 milliseconds" in failed.cause
    # while a recursion that ends is no trouble
    factorial = "{% ( $fact := function($n) { $n <= 1 ? 1 : $n * $fact($n - 1) }; $fact(10) ) %}"
    assert sfn.run(_pass(factorial), {}).output == 3628800


def test_step_functions_jsonata_functions(sfn: Sfn) -> None:
    # JN "JSONata functions provided by Step Functions"
    output = {
        "partition": "{% $partition([0,1,2,3], 3) %}",
        "range": "{% $range(0, 10, 2) %}",
        "single": "{% $range(1, 9, 9) %}",
        "hash": "{% $hash('abc', 'SHA-256') %}",
        "seeded": "{% $random(42) = $random(42) %}",
        "random": "{% $random() %}",
        "uuid": "{% $uuid() %}",
        "parse": "{% $parse('{\"a\": [1, -0]}') %}",
    }
    result = sfn.run(_pass(output))
    assert result.status == "SUCCEEDED", result.cause
    values = result.output
    assert values["partition"] == [[0, 1, 2], [3]]
    assert values["range"] == [0, 2, 4, 6, 8, 10]
    assert values["single"] == 1
    assert values["hash"] == hashlib.sha256(b"abc").hexdigest()
    assert values["seeded"] is True
    assert 0 <= values["random"] < 1
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", values["uuid"])
    assert values["parse"] == {"a": [1, 0]}


def test_context_object_fields(sfn: Sfn) -> None:
    # CTX: Execution, State, StateMachine; a Pass state's State object has no RetryCount
    output = {"pass": "{% $states.context %}"}
    machine = sfn.machine(
        {
            "P": {"Type": "Pass", "Output": output, "Next": "C"},
            "C": {"Type": "Choice", "Choices": [{"Condition": True, "Next": "S"}]},
            "S": {
                "Type": "Succeed",
                "Output": {"pass": "{% $states.input.pass %}", "succeed": "{% $states.context %}"},
            },
        }
    )
    arn = sfn.start(machine, {"who": "amina"}, name="ctx-check")
    sfn.settle()
    result = sfn.result(arn)
    context, later = result.output["pass"], result.output["succeed"]
    assert context["Execution"]["Id"] == arn
    assert context["Execution"]["Name"] == "ctx-check"
    assert context["Execution"]["Input"] == {"who": "amina"}
    assert context["Execution"]["RedriveCount"] == 0
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", context["Execution"]["StartTime"])
    assert context["StateMachine"] == {"Id": machine, "Name": machine.rsplit(":", 1)[1]}
    assert set(context["State"]) == {"Name", "EnteredTime"}
    assert context["State"]["Name"] == "P"
    assert later["State"]["Name"] == "S"
    assert later["State"]["RetryCount"] == 0


def test_map_item_index_and_value_are_in_the_context_of_item_selector(sfn: Sfn) -> None:
    states = {
        "M": {
            "Type": "Map",
            "Items": "{% $states.input.names %}",
            "ItemSelector": {
                "index": "{% $states.context.Map.Item.Index %}",
                "value": "{% $states.context.Map.Item.Value %}",
                "site": "{% $states.input.site %}",
            },
            "ItemProcessor": {"StartAt": "Echo", "States": {"Echo": {"Type": "Pass", "End": True}}},
            "End": True,
        }
    }
    result = sfn.run(states, {"names": ["a", "b"], "site": "SD"})
    assert result.output == [{"index": 0, "value": "a", "site": "SD"}, {"index": 1, "value": "b", "site": "SD"}]


def test_a_states_field_reads_as_the_library_reads_it_whatever_it_holds(sfn: Sfn) -> None:
    # $states.input.x is read without the library when it is a plain field: the same answers either way
    output = {
        "object": "{% $states.input.object %}",
        "whole": "{% $states.input.number %}",
        "list": "{% $states.input.list %}",
        "mapped": "{% $states.input.rows.n %}",
        "nested_null": "{% $states.input.object.none %}",
    }
    payload = {
        "object": {"f": 2.0, "none": None, "inner": [[1]]},
        "number": 3.0,
        "list": [1],
        "rows": [{"n": 1}, {"n": 2}],
    }
    result = sfn.run(_pass(output), payload)
    assert result.output == {
        "object": {"f": 2, "none": None, "inner": [[1]]},
        "whole": 3,
        "list": [1],
        "mapped": [1, 2],
        "nested_null": None,
    }
    missing = sfn.run(_pass({"x": "{% $states.input.absent %}"}), {"a": 1})
    assert (missing.status, missing.error) == ("FAILED", "States.QueryEvaluationError")


def _outcome(expression: Expression, bindings: Bindings) -> tuple[str, Any]:
    try:
        return "value", expression.evaluate(bindings)
    except QueryEvaluationFailed as failure:
        return "failed", failure.detail


@pytest.mark.parametrize(
    "text",
    ["$i < 100", "$i + 1", "$i - 0.5", "$i * 3", "$i / 4", "$i / 0", "$i = 2", "$i != 2", "$i >= 2", "$i > -1",
     "$states.input.n + 1", "$o.a <= 3", "$i", "$o.a", "$states.input", "$states.input.n", "-1", "1e3", "$i * 1e308",
     "$i < $j", "$i = $j", "$i + 0", "$i * 1", "$i - $j", " $i\t<=\n$j ",
     "9007199254740993", "$i < 9007199254740993", "$i >= 9007199254740993",
     "12345678901234567890 < 12345678901234567891", "0.1 + 0.2"],
)  # fmt: skip
def test_the_simplest_expressions_read_without_the_library_give_what_the_library_gives(text: str) -> None:
    assert Expression(text, "Output")._simple is not None  # read without the library when values are plain
    values = (
        0,
        2,
        2.5,
        -7,
        -0.0,
        10**20,
        1e16,
        2**53,
        2**53 + 1,
        2.0**53,
        10**400,
        "2",
        "",
        True,
        None,
        [1, 2],
        {"a": 3},
    )
    for value, other in [*((value, 2**53) for value in values), *((value, 2.0) for value in values)]:
        bindings = Bindings({"input": {"n": value}}, {"i": value, "j": other, "o": {"a": value}})
        library = Expression(text, "Output")
        library._simple = None  # the library alone, as for any other expression
        assert _outcome(Expression(text, "Output"), bindings) == _outcome(library, bindings), (text, value, other)


@pytest.mark.parametrize("pattern", ["/a**/", "/[b-a]/", "/a{2,1}/"])
def test_a_regex_that_does_not_compile_is_refused_with_its_machine(sfn: Sfn, pattern: str) -> None:
    with pytest.raises(ServiceError) as refused:
        sfn.machine(_pass(f"{{% $match('x', {pattern}) %}}"))
    assert refused.value.code == "InvalidDefinition"
    assert f"state 'A': field 'Output': the regular expression {pattern} does not compile" in refused.value.message


def test_range_gives_no_more_values_than_the_range_operator() -> None:
    bindings = Bindings({"input": {}}, {})
    assert Expression("$count($range(1, 1000, 1))", "Output").evaluate(bindings) == 1000
    with pytest.raises(QueryEvaluationFailed, match="would give 10000001 values, more than 10000000"):
        Expression("$range(0, 10000000, 1)", "Output").evaluate(bindings)  # refused before it is built
