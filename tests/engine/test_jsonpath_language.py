"""JSONPath as Step Functions reads it: paths and reference paths, payload templates, intrinsic
functions, Choice rules — each at its edges, with AWS's observed answers where the documentation and
AWS differ (the notes in local/sfn/*.py say which).

Expected values: the Step Functions developer guide's pages on paths, Parameters, ResultPath,
intrinsic functions and the Choice state, and runs recorded against AWS where those pages are silent
or wrong (Base64Decode's sample, Hash's digest, MathAdd's rounding).
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

import pytest

from local.sfn.errors import StatesError
from local.sfn.expressions import DefinitionError
from local.sfn.intrinsics import compile_call
from local.sfn.paths import Path, ReferencePath, Scope
from local.sfn.payloads import Payload
from local.sfn.rules import Rule

DATA = {
    "a": [1, 2, 3, 4],
    "users": [{"status": 0, "name": "Awa"}, {"status": 1, "name": "Moussa"}],
    "x y": 5,
    "delivery-partner": "DHL",
    "store.book": "escaped",
    "product": {"details": {"size": "small"}},
}


def find(text: str, data: Any = DATA, **scope: Any) -> Any:
    return Path(text, "test").find(Scope(data, **scope))


def runtime_cause(call: Any) -> str:
    with pytest.raises(StatesError) as raised:
        call()
    assert raised.value.error == "States.Runtime"
    return raised.value.cause


# --- paths -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("$", DATA),
        ("$.a[3]", 4),
        ("$.a[-1]", 4),
        ("$['x y']", 5),
        ("$.delivery-partner", "DHL"),  # AWS takes it in dot form
        ("$.product.details.size", "small"),
        ("$.a[0:2]", [1, 2]),  # a slice: always an array
        ("$.a[0,1]", [1, 2]),
        ("$.a[-3:]", [2, 3, 4]),
        ("$.users[?(@.status == 0)]", [{"status": 0, "name": "Awa"}]),  # one match, still an array
        ("$.users[?(@.status > 5)]", []),
        ("$.users[*].name", ["Awa", "Moussa"]),
        ("$..size", ["small"]),
        ("$.missing[*]", []),  # an indefinite path with no match is [], not an error
    ],
)
def test_a_definite_path_gives_its_node_and_any_other_the_array_of_matches(path: str, expected: Any) -> None:
    assert find(path) == expected


def test_a_missing_node_is_a_runtime_error_in_jayways_words() -> None:
    assert runtime_cause(lambda: find("$.NoSuchInputPath")) == (
        "Invalid path '$.NoSuchInputPath' : No results for path: $['NoSuchInputPath']"
    )
    assert runtime_cause(lambda: find("$.no.such.result.path")) == (
        "Invalid path '$.no.such.result.path' : Missing property in path $['no']"
    )
    assert "No results for path: $['a'][9]" in runtime_cause(lambda: find("$.a[9]"))
    # functions are not supported: AWS fails at run time, finding no such node
    assert "No results for path: $['a']['length()']" in runtime_cause(lambda: find("$.a.length()"))


def test_context_and_variables_are_roots_of_their_own() -> None:
    context = {"Execution": {"Name": "order-1"}, "Map": {"Item": {"Index": 2}}}
    assert find("$$.Execution.Name", context=context) == "order-1"
    assert find("$$", context=context) == context
    assert find("$order.id", variables={"order": {"id": "o-1"}}) == "o-1"
    assert find("$order", variables={"order": [1]}) == [1]
    assert "variable $order is not defined" in runtime_cause(lambda: find("$order.id", variables={}))


@pytest.mark.parametrize("text", ["a.b", "", "$.a[", "$.a[?(@.x ==)]", "$..length()"])
def test_what_is_not_a_path_is_refused_at_load(text: str) -> None:
    with pytest.raises(DefinitionError, match="test"):
        Path(text, "test")


@pytest.mark.parametrize("text", ["$.items[/v]", "$.s * 2", "$.a[*] * 2", "$.a[?(@.b =~ 'x')]", "$..a[/v]"])
def test_the_path_librarys_own_extensions_are_refused_at_load(text: str) -> None:
    # sorting, arithmetic, a regex as a string: read by jsonpath-ng, never by Jayway
    with pytest.raises(DefinitionError, match="is not a JSONPath Step Functions reads"):
        Path(text, "test")


def test_what_jayway_and_the_library_both_read_is_accepted() -> None:
    data = {"a": [{"b": 1, "c": "x", "d": "one"}, {"b": 2, "c": "y", "d": "two"}], "e": {"f": {"a": 3}}}
    assert find("$.a[?(@.b > 1 && @.c == 'y')].d", data) == ["two"]
    assert find("$.a[?(@.b != 1)].b", data) == [2]
    assert find("$..f.a", data) == [3]
    assert find("$['a'][0,1].b", data) == [1, 2]
    assert find("$.a[-1:].b", data) == [2]


def test_a_reference_path_names_one_node_and_is_written_to() -> None:
    result_path = ReferencePath("$.b.greeting", "ResultPath", variables=False)
    assert result_path.put({"a": 1}, "Hi!") == {"a": 1, "b": {"greeting": "Hi!"}}  # objects made on the way
    assert ReferencePath("$.master.detail", "ResultPath").put({"master": {"detail": [1, 2]}}, 6) == {
        "master": {"detail": 6}
    }
    assert ReferencePath("$", "ResultPath").put({"a": 1}, "whole") == "whole"
    assert ReferencePath("$.a[1]", "ResultPath").put({"a": [1, 2]}, 9) == {"a": [1, 9]}
    assert ReferencePath(r"$.store\.book", "Variable").find(Scope(DATA)) == "escaped"
    original = {"a": {"b": 1}}
    ReferencePath("$.a.c", "ResultPath").put(original, 2)
    assert original == {"a": {"b": 1}}  # the input is not changed in place


def test_a_result_path_into_something_else_than_an_object_is_a_match_failure() -> None:
    with pytest.raises(StatesError) as raised:
        ReferencePath("$.x", "ResultPath").put("foo", {"n": 1})
    assert (raised.value.error, raised.value.cause) == (
        "States.ResultPathMatchFailure",
        'Unable to apply ReferencePath $.x to input "foo"',
    )
    with pytest.raises(StatesError, match="ResultPathMatchFailure"):
        ReferencePath("$.a[5]", "ResultPath").put({"a": [1]}, 0)


@pytest.mark.parametrize("text", ["$..a", "$.a[*]", "$.a[0:1]", "$.a[?(@.b)]", "$['a','b']", "$.a[-1]", "a"])
def test_a_reference_path_takes_names_and_indexes_only(text: str) -> None:
    with pytest.raises(DefinitionError, match="Reference Path"):
        ReferencePath(text, "ResultPath")


def test_a_result_path_never_writes_to_the_context_or_a_variable() -> None:
    for text in ("$$.Execution", "$total"):
        with pytest.raises(DefinitionError, match="never"):
            ReferencePath(text, "ResultPath", variables=False)


# --- payload templates --------------------------------------------------------------------------------


def test_dot_dollar_keys_are_evaluated_and_every_other_key_is_literal() -> None:
    template = {
        "comment": "hi",
        "MyDetails": {"size.$": "$.product.details.size", "StaticValue": "foo"},
        "not-evaluated": "$customerName",
        "items": [{"first.$": "$.a[0]"}, "$.a"],
        "greeting.$": "States.Format('Hi {}', $.users[0].name)",
        "execution.$": "$$.Execution.Name",
        "total.$": "$total",
    }
    scope = Scope(DATA, context={"Execution": {"Name": "e-1"}}, variables={"total": 3})
    assert Payload(template, "Parameters").evaluate(scope) == {
        "comment": "hi",
        "MyDetails": {"size": "small", "StaticValue": "foo"},
        "not-evaluated": "$customerName",
        "items": [{"first": 1}, "$.a"],
        "greeting": "Hi Awa",
        "execution": "e-1",
        "total": 3,
    }


def test_a_template_path_that_matches_nothing_names_the_field_and_the_input() -> None:
    payload = Payload({"value.$": "$.no_such_jsonpath"}, "Parameters")
    assert runtime_cause(lambda: payload.evaluate(Scope({"a": 1}))) == (
        "The JSONPath '$.no_such_jsonpath' specified for the field 'value.$' could not be found in the input "
        "'{\"a\":1}'"
    )


@pytest.mark.parametrize(
    ("template", "says"),
    [
        ({"parsed.$": "not a path"}, "The value for the field 'parsed.$' must be a valid JSONPath"),
        ({"n.$": 3}, "must be a valid JSONPath"),
        ({"a": 1, "a.$": "$.b"}, "given twice"),
        ({"f.$": "States.Nope($.a)"}, "no intrinsic function States.Nope"),
    ],
)
def test_a_template_that_cannot_be_evaluated_is_refused_at_load(template: dict, says: str) -> None:
    with pytest.raises(DefinitionError, match=re.escape(says)):
        Payload(template, "States.A.Parameters")


# --- intrinsic functions -------------------------------------------------------------------------------


def call(text: str, data: Any = None) -> Any:
    return compile_call(text, "test").evaluate(Scope(data if data is not None else {}))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("States.Format('Hi {}.', $.name)", "Hi Arnav."),
        ("States.Format('{} {} {}', $.object, null, $.list)", "{Arg1=1, Arg2=[]} null [1, 2]"),
        ("States.Format('a \\{literal\\} {}', 1)", "a {literal} 1"),
        ("States.Format('back\\\\slash {}', 'x')", "back\\slash x"),
        ("States.StringToJson($.json)", {"foo": "bar"}),
        ("States.StringToJson(' ')", None),
        ("States.StringToJson('-0')", 0),
        ("States.JsonToString($.object)", '{"Arg1":1,"Arg2":[]}'),
        ("States.JsonToString('HelloWorld')", '"HelloWorld"'),
        ("States.JsonToString(null)", "null"),
        ("States.Array('Foo', 2022, $.object, null)", ["Foo", 2022, {"Arg1": 1, "Arg2": []}, None]),
        ("States.Array()", []),
        ("States.ArrayPartition($.nine, 4)", [[1, 2, 3, 4], [5, 6, 7, 8], [9]]),
        ("States.ArrayPartition(States.Array(), 4)", []),
        ("States.ArrayContains($.nested, $.list)", True),  # deep equality
        ("States.ArrayContains($.list, true)", False),  # true is not 1
        ("States.ArrayContains($.list, 1.0)", True),
        ("States.ArrayRange(1, 9, 2)", [1, 3, 5, 7, 9]),
        ("States.ArrayRange(0, 10, 3)", [0, 3, 6, 9]),
        ("States.ArrayRange(1, 9, 9)", [1]),
        ("States.ArrayRange(9, 1, 1)", []),  # the step goes the other way
        ("States.ArrayRange(5, 1, -2)", [5, 3, 1]),
        ("States.ArrayGetItem($.nine, 5)", 6),
        ("States.ArrayLength($.nine)", 9),
        ("States.ArrayUnique(States.Array(1, 2, 3, 3, 3, 3, 3, 3, 4))", [1, 2, 3, 4]),
        ("States.ArrayUnique(States.Array(1, true, 1.0, false))", [1, True, False]),
        ("States.Base64Encode('Data to encode')", "RGF0YSB0byBlbmNvZGU="),
        ("States.Base64Encode('')", ""),
        ("States.Base64Decode('RGF0YSB0byBlbmNvZGU=')", "Data to encode"),
        ("States.Hash('input data', 'SHA-1')", "aaff4a450a104cd177d28d18d74485e8cae074b7"),
        ("States.JsonMerge($.left, $.right, false)", {"a": {"a3": 1}, "b": 2, "c": 3}),
        ("States.MathAdd(1.49, 1.5)", 3),  # each rounded half up first
        ("States.MathAdd(-1.5, 0)", -1),
        ("States.MathAdd(2.5, 0)", 3),
        ("States.MathAdd($.n, -1)", 110),
        ("States.StringSplit('This.is+a,test=string', '.+,=')", ["This", "is", "a", "test", "string"]),
        ("States.StringSplit(',,,,', ',')", []),
        ("States.StringSplit(', , ,', ',')", [" ", " "]),
        ("States.StringSplit('Hello\nWorld', '\n')", ["Hello", "World"]),
        ("States.Format('it\\'s {}', States.ArrayLength(States.Array(1, 2)))", "it's 2"),
    ],
)
def test_each_intrinsic_answers_as_aws_does(text: str, expected: Any) -> None:
    data = {
        "name": "Arnav",
        "object": {"Arg1": 1, "Arg2": []},
        "list": [1, 2],
        "nested": [[1, 2], 2],
        "json": '{"foo": "bar"}',
        "nine": [1, 2, 3, 4, 5, 6, 7, 8, 9],
        "left": {"a": {"a1": 1}, "b": 2},
        "right": {"a": {"a3": 1}, "c": 3},
        "n": 111,
    }
    assert call(text, data) == expected


def test_hash_sha_256_and_the_uuid_and_random_shapes() -> None:
    assert call("States.Hash('x', 'SHA-256')") == hashlib.sha256(b"x").hexdigest()
    assert len(call("States.UUID()")) == 36
    assert call("States.MathRandom(1, 999, 7)") == call("States.MathRandom(1, 999, 7)")  # a seed repeats
    assert all(1 <= call("States.MathRandom(1, 3)") < 3 for _ in range(20))


@pytest.mark.parametrize(
    "text",
    [
        "States.MathAdd('1', 1)",  # even a numeric string
        "States.MathAdd(true, 1)",
        "States.MathAdd(null, 1)",
        "States.MathAdd(2147483647, 1)",  # past 32 bits
        "States.ArrayGetItem(States.Array(1), 1)",
        "States.ArrayGetItem(States.Array(1), -1)",
        "States.ArrayRange(1, 2000, 1)",  # over 1000 items
        "States.ArrayRange(1, 5, 0)",
        "States.ArrayPartition(States.Array(1), 0)",
        "States.Hash('x', 'sha-256')",
        "States.Hash('x', 'SHA256')",
        "States.JsonMerge(States.Array(), States.Array(), false)",
        "States.StringToJson('{not json')",
        "States.Base64Decode('not base64!')",
        "States.Format('{} {}', 1)",  # one value for two slots
        "States.Format('stray { brace', 1)",
    ],
)
def test_an_intrinsic_that_cannot_take_its_arguments_is_an_uncatchable_runtime_error(text: str) -> None:
    name = text.split("(")[0]
    assert runtime_cause(lambda: call(text)).startswith(f"Invalid arguments in {name}")


def test_long_text_is_refused_by_the_functions_that_limit_it_and_only_by_them() -> None:
    long = {"text": "x" * 10_001, "csv": ",".join(["a"] * 6_000), "doc": json.dumps({"k": "y" * 16_000})}
    for name in ("Base64Encode", "Base64Decode", "Hash"):
        extra = ", 'SHA-1'" if name == "Hash" else ""
        with pytest.raises(StatesError, match="longer than 10000"):
            call(f"States.{name}($.text{extra})", long)
    assert len(call("States.StringSplit($.csv, ',')", long)) == 6_000
    assert call("States.StringToJson($.doc)", long) == {"k": "y" * 16_000}
    assert call("States.Format($.text)", long) == "x" * 10_001


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("States.Nope()", "no intrinsic function States.Nope"),
        ("States.MathAdd(1)", "takes 2 arguments, not 1"),
        ("States.UUID(1)", "takes 0 arguments"),
        ("States.JsonMerge($.a, $.b)", "takes 3 arguments"),
        ("States.Format('a\\qb')", "a backslash escapes only"),
        ("States.Format('open", "closing quote"),
        ("States.Array(1 2)", "expected ',' or ')'"),
        ("States.Array(1e999, -1e999)", "the number 1e999 is beyond a double's range"),
        ("States.Format('{}', 1" + "0" * 400 + ")", "is beyond a double's range"),
        ("States.Array(1) extra", "after the call"),
        ("States.Array(" * 11 + ")" * 11, "more than 10 nested calls"),
        ("States.Array(bogus)", "an argument must be"),
    ],
)
def test_a_call_that_cannot_be_parsed_is_refused_at_load(text: str, says: str) -> None:
    with pytest.raises(DefinitionError, match=re.escape(says)):
        compile_call(text, "States.A.Parameters.x.$")


def test_a_path_argument_may_hold_brackets_and_commas() -> None:
    data = {"a b": {"c,d": [7]}}
    assert call("States.Array($['a b']['c,d'][0], 1)", data) == [7, 1]


# --- Choice rules --------------------------------------------------------------------------------------


def holds(rule: dict[str, Any], data: Any, variables: dict[str, Any] | None = None) -> bool:
    return Rule({**rule, "Next": "B"}, "Choices[0]", top=True).matches(Scope(data, variables=variables))


@pytest.mark.parametrize(
    ("rule", "data", "expected"),
    [
        ({"Variable": "$.n", "NumericEquals": 1}, {"n": 1.0}, True),
        ({"Variable": "$.n", "NumericEquals": 0}, {"n": -0.0}, True),
        ({"Variable": "$.n", "NumericLessThan": 2}, {"n": 1}, True),
        ({"Variable": "$.n", "NumericGreaterThanEquals": 2}, {"n": 1}, False),
        ({"Variable": "$.n", "NumericEquals": 0}, {"n": None}, False),  # another type: false, not an error
        ({"Variable": "$.n", "NumericEquals": 0}, {"n": ""}, False),
        ({"Variable": "$.n", "NumericEquals": 0}, {"n": False}, False),
        ({"Variable": "$.n", "NumericEquals": 1}, {"n": True}, False),
        ({"Variable": "$.b", "BooleanEquals": True}, {"b": 1}, False),
        ({"Variable": "$.b", "BooleanEquals": False}, {"b": False}, True),
        ({"Variable": "$.s", "StringEquals": "abc"}, {"s": "abc"}, True),
        ({"Variable": "$.s", "StringEquals": "abc"}, {"s": "ABC"}, False),  # no folding
        ({"Variable": "$.s", "StringLessThan": "b"}, {"s": "a"}, True),
        ({"Variable": "$.s", "StringLessThan": "\uff61"}, {"s": "\U0001f600"}, True),  # UTF-16 order, as Java
        ({"Variable": "$.s", "StringGreaterThanEquals": "a"}, {"s": 5}, False),
        ({"Variable": "$.t", "TimestampEquals": "2016-08-18T17:33:00Z"}, {"t": "2016-08-18T19:33:00+02:00"}, True),
        ({"Variable": "$.t", "TimestampLessThan": "2016-08-18T17:33:00Z"}, {"t": "2016-08-18T17:32:59.5Z"}, True),
        ({"Variable": "$.t", "TimestampEquals": "2016-08-18T17:33:00Z"}, {"t": "2016-08-18 17:33:00Z"}, False),
        ({"Variable": "$.t", "TimestampEquals": "2016-08-18T17:33:00Z"}, {"t": "2016-08-18t17:33:00z"}, False),
        ({"Variable": "$.t", "StringEquals": "2016-08-18T17:33:00Z"}, {"t": "2016-08-18T17:33:00Z"}, True),
        ({"Variable": "$.s", "StringMatches": "foo*.*"}, {"s": "foobar.zebra"}, True),
        ({"Variable": "$.s", "StringMatches": "log-*.txt"}, {"s": "log-.txt"}, True),
        ({"Variable": "$.s", "StringMatches": "a\\*b"}, {"s": "a*b"}, True),
        ({"Variable": "$.s", "StringMatches": "a\\*b"}, {"s": "axxb"}, False),
        ({"Variable": "$.s", "StringMatches": "a\\\\b"}, {"s": "a\\b"}, True),
        ({"Variable": "$.s", "StringMatches": "*"}, {"s": 3}, False),
        ({"Variable": "$.v", "IsNull": True}, {"v": None}, True),
        ({"Variable": "$.v", "IsNull": False}, {"v": 0}, True),
        ({"Variable": "$.v", "IsNumeric": True}, {"v": 1.5}, True),
        ({"Variable": "$.v", "IsNumeric": True}, {"v": "1"}, False),
        ({"Variable": "$.v", "IsString": True}, {"v": ""}, True),
        ({"Variable": "$.v", "IsBoolean": True}, {"v": 0}, False),
        ({"Variable": "$.v", "IsTimestamp": True}, {"v": "2026-12-02T10:30:00+01:00"}, True),
        ({"Variable": "$.v", "IsTimestamp": True}, {"v": "2026-13-02T10:30:00Z"}, False),
        ({"Variable": "$.v", "IsPresent": False}, {}, True),  # never an error
        ({"Variable": "$.v", "IsPresent": True}, {"v": None}, True),
        ({"Variable": "$.a", "NumericLessThanPath": "$.b"}, {"a": 1, "b": 2}, True),
        ({"Variable": "$.a", "StringEqualsPath": "$.b"}, {"a": "x", "b": 1}, False),
        (
            {"Variable": "$.a", "TimestampGreaterThanPath": "$.b"},
            {"a": "2026-01-02T00:00:00Z", "b": "2026-01-01T00:00:00Z"},
            True,
        ),
        ({"And": [{"Variable": "$.n", "NumericGreaterThan": 0}]}, {"n": 1}, True),  # one rule in And
        ({"Or": [{"Variable": "$.n", "IsNull": True}, {"Variable": "$.n", "NumericEquals": 2}]}, {"n": 2}, True),
        ({"Not": {"Variable": "$.n", "NumericEquals": 2}}, {"n": 2}, False),
        (
            {"And": [{"Variable": "$.v", "IsPresent": True}, {"Variable": "$.v", "NumericEquals": 1}]},
            {},
            False,  # IsPresent guards a missing value: And stops at the first false
        ),
    ],
)
def test_each_comparison_as_aws_makes_it(rule: dict[str, Any], data: Any, expected: bool) -> None:
    assert holds(rule, data) is expected


def test_a_variable_or_context_or_path_operand_may_be_compared() -> None:
    assert holds({"Variable": "$limit", "NumericGreaterThanPath": "$.n"}, {"n": 1}, {"limit": 5})
    assert Rule({"Variable": "$$.Execution.Name", "StringMatches": "order-*", "Next": "B"}, "c", top=True).matches(
        Scope({}, context={"Execution": {"Name": "order-7"}})
    )


def test_a_missing_variable_or_operand_is_a_runtime_error() -> None:
    cause = "Invalid path '$.missing': The choice state's condition path references an invalid value."
    assert runtime_cause(lambda: holds({"Variable": "$.missing", "NumericEquals": 1}, {})) == cause
    assert runtime_cause(lambda: holds({"Variable": "$.missing", "IsNull": True}, {})) == cause
    assert runtime_cause(lambda: holds({"Variable": "$.n", "NumericEqualsPath": "$.missing"}, {"n": 1})) == cause
    assert "lone backslash" in runtime_cause(lambda: holds({"Variable": "$.s", "StringMatches": "a\\b"}, {"s": "a"}))


@pytest.mark.parametrize(
    ("rule", "says"),
    [
        ({"Variable": "$.n", "NumericEquals": "abc", "Next": "B"}, "a number"),
        ({"Variable": "$.n", "BooleanEquals": 1, "Next": "B"}, "true or false"),
        ({"Variable": "$.t", "TimestampEquals": "yesterday", "Next": "B"}, "RFC 3339"),
        ({"Variable": "$.n", "IsNull": "yes", "Next": "B"}, "true or false"),
        ({"Variable": "$.n", "NumericEquals": 1, "StringEquals": "x", "Next": "B"}, "exactly one operator"),
        ({"Variable": "$.n", "Next": "B"}, "exactly one operator"),
        ({"Variable": "$.n", "NumericEquals": 1}, "needs 'Next'"),
        ({"NumericEquals": 1, "Next": "B"}, "needs a Variable"),
        ({"And": [], "Next": "B"}, "non-empty array"),
        ({"And": [{"Variable": "$.n", "NumericEquals": 1, "Next": "B"}], "Next": "B"}, "has no 'Next'"),
        ({"Variable": "$..n", "NumericEquals": 1, "Next": "B"}, "Reference Path"),
        ({"Variable": "$.n", "NumericEqualsPath": "$.a[*]", "Next": "B"}, "Reference Path"),
        ({"Variable": "$.n", "NumericEqual": 1, "Next": "B"}, "unknown field NumericEqual"),
    ],
)
def test_a_rule_aws_would_refuse_is_refused_at_load(rule: dict[str, Any], says: str) -> None:
    with pytest.raises(DefinitionError, match=re.escape(says)):
        Rule(rule, "States.Choose.Choices[0]", top="Next" in rule or "needs 'Next'" in says)


def test_filters_and_slices_skip_what_is_missing_or_of_another_type_as_jayway_does() -> None:
    data = {"items": [{"name": "a", "price": 5}, {"name": "b"}, {"name": "c", "price": "x"}, 3]}
    assert find("$.items[?(@.price < 10)].name", data) == ["a"]  # no price, a string price, a number: no match
    assert find("$.items[?(@.price)].name", data) == ["a", "c"]  # present, whatever its value
    assert find("$.items[5:9]", data) == []  # a slice past the end: nothing, not an error
    assert find("$.items[?(@.name == 'b')]", data) == [{"name": "b"}]  # one match: still an array
