"""Choice rules of JSONPath states: a ``Variable`` compared by one operator, or ``And``, ``Or`` and
``Not`` of such rules.

As AWS compares: a value of another type than the operator's makes the rule false, never an error;
numbers by value (``1`` equals ``1.0``); strings as Java's ``compareTo`` does (UTF-16 code units,
no folding); timestamps as instants, written as RFC 3339 with an uppercase ``T`` and ``Z``. A
``Variable`` or ``…Path`` operand that names nothing is ``States.Runtime`` — except for
``IsPresent``, which is false then. Operators and their literal operands are checked when the
definition is loaded.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from local.sfn.errors import StatesError
from local.sfn.expressions import DefinitionError
from local.sfn.paths import RUNTIME, ReferencePath, Scope

_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
_COMPARISONS: dict[str, Callable[[Any, Any], bool]] = {
    "Equals": operator.eq,
    "LessThan": operator.lt,
    "GreaterThan": operator.gt,
    "LessThanEquals": operator.le,
    "GreaterThanEquals": operator.ge,
}


def timestamp(value: Any) -> datetime | None:
    """The instant a timestamp string names, or None when it is not one."""
    if not isinstance(value, str) or _TIMESTAMP.match(value) is None:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:  # month 13, hour 25
        return None


def _string(value: Any) -> bytes | None:
    return value.encode("utf-16-be") if isinstance(value, str) else None  # Java compares UTF-16 code units


def _number(value: Any) -> float | None:
    return value if isinstance(value, int | float) and not isinstance(value, bool) else None


def _boolean(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


# family → (how a value is read for comparison: None when of another type, the comparisons it has)
_FAMILIES: dict[str, tuple[Callable[[Any], Any], tuple[str, ...]]] = {
    "String": (_string, tuple(_COMPARISONS)),
    "Numeric": (_number, tuple(_COMPARISONS)),
    "Boolean": (_boolean, ("Equals",)),
    "Timestamp": (timestamp, tuple(_COMPARISONS)),
}
_TYPE_TESTS: dict[str, Callable[[Any], bool]] = {
    "IsNull": lambda value: value is None,
    "IsNumeric": lambda value: _number(value) is not None,
    "IsString": lambda value: isinstance(value, str),
    "IsBoolean": lambda value: isinstance(value, bool),
    "IsTimestamp": lambda value: timestamp(value) is not None,
}
OPERATORS = frozenset(
    {f"{family}{name}{path}" for family, (_, names) in _FAMILIES.items() for name in names for path in ("", "Path")}
    | {"StringMatches", "IsPresent", *_TYPE_TESTS}
)
_MISSING = object()


class Rule:
    """A compiled rule; ``matches`` says whether it holds in a scope."""

    def __init__(self, rule: Any, where: str, *, top: bool) -> None:
        if not isinstance(rule, dict):
            raise DefinitionError(f"{where}: a Choice rule must be an object")
        if top != ("Next" in rule):
            raise DefinitionError(f"{where}: {'a Choice rule needs' if top else 'a nested rule has no'} 'Next'")
        combinators = [key for key in ("And", "Or", "Not") if key in rule]
        operators = [key for key in rule if key in OPERATORS]
        unknown = set(rule) - {"Next", "Variable", "Assign", "Comment", *OPERATORS, "And", "Or", "Not"}
        if not top and "Assign" in rule:
            raise DefinitionError(f"{where}: a nested rule has no 'Assign' (only a Choice rule with Next has)")
        if unknown:
            raise DefinitionError(f"{where}: unknown field {', '.join(sorted(unknown))}")
        if len(combinators) + len(operators) != 1:
            raise DefinitionError(f"{where}: a rule has exactly one operator, or one of And, Or, Not")
        self._check: Callable[[Scope], bool]
        if combinators:
            self._check = self._combine(combinators[0], rule, where)
        else:
            self._check = self._compare(operators[0], rule, where)

    def matches(self, scope: Scope) -> bool:
        return self._check(scope)

    def _combine(self, combinator: str, rule: dict[str, Any], where: str) -> Callable[[Scope], bool]:
        if "Variable" in rule:
            raise DefinitionError(f"{where}: {combinator} takes no Variable")
        if combinator == "Not":
            inner = Rule(rule["Not"], f"{where}.Not", top=False)
            return lambda scope: not inner.matches(scope)
        rules = rule[combinator]
        if not isinstance(rules, list) or not rules:
            raise DefinitionError(f"{where}.{combinator}: a non-empty array of rules")
        compiled = [Rule(each, f"{where}.{combinator}[{index}]", top=False) for index, each in enumerate(rules)]
        combine = all if combinator == "And" else any
        return lambda scope: combine(each.matches(scope) for each in compiled)

    def _compare(self, name: str, rule: dict[str, Any], where: str) -> Callable[[Scope], bool]:
        if "Variable" not in rule:
            raise DefinitionError(f"{where}: {name} needs a Variable")
        variable = ReferencePath(rule["Variable"], f"{where}.Variable")
        operand = rule[name]

        def value_of(path: ReferencePath, scope: Scope) -> Any:
            try:
                return path.find(scope)
            except StatesError:
                return _MISSING

        def variable_value(scope: Scope) -> Any:
            found = value_of(variable, scope)
            if found is _MISSING:
                raise _invalid(variable.text)
            return found

        if name == "IsPresent" or name in _TYPE_TESTS:
            if not isinstance(operand, bool):
                raise DefinitionError(f"{where}.{name}: true or false")
            if name == "IsPresent":
                return lambda scope: (value_of(variable, scope) is not _MISSING) == operand
            test = _TYPE_TESTS[name]
            return lambda scope: test(variable_value(scope)) == operand
        if name == "StringMatches":
            if not isinstance(operand, str):
                raise DefinitionError(f"{where}.StringMatches: a string pattern")
            return lambda scope: _matches(variable_value(scope), operand)
        family = next(family for family in _FAMILIES if name.startswith(family))
        read, _ = _FAMILIES[family]
        comparison = name[len(family) :].removesuffix("Path")
        compare = _COMPARISONS[comparison]
        if name.endswith("Path"):
            other = ReferencePath(operand, f"{where}.{name}")

            def operand_value(scope: Scope) -> Any:
                found = value_of(other, scope)
                if found is _MISSING:
                    raise _invalid(other.text)
                return found
        else:
            if read(operand) is None:
                raise DefinitionError(f"{where}.{name}: {_KINDS[family]}")
            fixed = operand

            def operand_value(scope: Scope) -> Any:
                return fixed

        def compared(scope: Scope) -> bool:
            left, right = read(variable_value(scope)), read(operand_value(scope))
            return left is not None and right is not None and compare(left, right)

        return compared


_KINDS = {
    "String": "a string",
    "Numeric": "a number",
    "Boolean": "true or false",
    "Timestamp": "an RFC 3339 timestamp (2026-12-02T10:30:00Z)",
}


def _invalid(path: str) -> StatesError:
    return StatesError(
        RUNTIME, f"Invalid path '{path}': The choice state's condition path references an invalid value."
    )


def _matches(value: Any, pattern: str) -> bool:
    """``*`` is any run of characters; ``\\*`` a star, ``\\\\`` a backslash, any other backslash an error."""
    if not isinstance(value, str):
        return False
    pieces, position = [], 0
    while position < len(pattern):
        character = pattern[position]
        if character == "\\":
            escaped = pattern[position + 1 : position + 2]
            if escaped not in ("*", "\\"):
                raise StatesError(RUNTIME, f"StringMatches: the pattern {pattern!r} has a lone backslash")
            pieces.append(re.escape(escaped))
            position += 2
            continue
        pieces.append(".*" if character == "*" else re.escape(character))
        position += 1
    return re.fullmatch("".join(pieces), value, re.DOTALL) is not None
