"""JSONata in ASL: ``{% ... %}`` templates, compiled once, evaluated with ``$states`` and variables.

A string is an expression only when it starts with ``{%`` and ends with ``%}``; every other value is a
literal. Objects and arrays are templates whose strings may be expressions.
Evaluation failures, and expressions that return nothing, are ``States.QueryEvaluationError``.
"""

from __future__ import annotations

import hashlib
import json
import math
import operator
import random
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import jsonata
from jsonata.jexception import JException
from jsonata.utils import Utils

from local.sfn.errors import StatesError

QUERY_EVALUATION_ERROR = "States.QueryEvaluationError"
_EXPRESSION = re.compile(r"^\{%(.*)%\}$", re.DOTALL)
# the commonest expressions, evaluated without the library when their values are plain: a reference
# ($states.input.n, $count, $order.id) or one operation between references and numbers ($i + 1)
_REFERENCE = r"\$[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*"
_OPERAND = rf"(?:{_REFERENCE}|-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)"
_SIMPLE = re.compile(
    rf"^[ \t\r\n]*({_OPERAND})[ \t\r\n]*(?:(<=|>=|!=|<|>|=|\+|-|\*|/)[ \t\r\n]*({_OPERAND})[ \t\r\n]*)?$"
)
_OPERATIONS: dict[str, Callable[[float, float], Any]] = {
    "+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv,
    "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge, "=": operator.eq, "!=": operator.ne,
}  # fmt: skip
MAX_EVALUATION_SECONDS = 1.0  # an expression still running after this is stopped
MAX_RANGE = 10_000_000  # $range gives at most as many values as JSONata's own range operator (..)
_evaluation_lock = threading.Lock()  # the JSONata library keeps per-instance state while evaluating


class DefinitionError(ValueError):
    """An ASL definition the engine refuses, with a message naming the state and field."""


class _Undefined:
    """JSONata's *undefined*: a field that evaluated to nothing (JSON cannot hold it)."""


UNDEFINED = _Undefined()


# --- the functions Step Functions adds to JSONata -------------------------------


def _partition(array: list[Any], size: float) -> list[list[Any]]:
    if not isinstance(array, list) or not _is_whole(size) or size <= 0:
        raise ValueError("$partition(array, chunkSize) needs an array and a positive integer")
    step = int(size)
    return [list(array[i : i + step]) for i in range(0, len(array), step)]


def _range(start: float, end: float, step: float) -> Any:
    if not all(_is_whole(value) for value in (start, end, step)) or step == 0:
        raise ValueError("$range(start, end, step) needs integers and a non-zero step")
    span = range(int(start), int(end) + (1 if step > 0 else -1), int(step))
    if len(span) > MAX_RANGE:
        raise ValueError(f"$range would give {len(span)} values, more than {MAX_RANGE}")
    values = list(span)
    return values[0] if len(values) == 1 else values  # a singleton sequence is its value, as in JSONata


HASHES = {"MD5": "md5", "SHA-1": "sha1", "SHA-256": "sha256", "SHA-384": "sha384", "SHA-512": "sha512"}


def _hash(data: Any, algorithm: str) -> str:
    if algorithm not in HASHES:
        raise ValueError(f"$hash algorithm must be one of {', '.join(HASHES)}")
    text = data if isinstance(data, str) else json.dumps(data, separators=(",", ":"))
    return hashlib.new(HASHES[algorithm], text.encode()).hexdigest()


def _random(*seed: Any) -> float:
    return random.Random(seed[0]).random() if seed else random.random()


def _uuid() -> str:
    return str(uuid.uuid4())


def _parse(text: str) -> Any:
    value = json.loads(text)
    return 0 if value == 0 else value  # "-0" parses to 0, as on AWS


AWS_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "partition": _partition,
    "range": _range,
    "hash": _hash,
    "random": _random,
    "uuid": _uuid,
    "parse": _parse,
}


def _is_whole(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and float(value).is_integer()


# --- values -----------------------------------------------------------------------------------------


def to_json(value: Any) -> Any:
    """A JSONata result as plain JSON: null for JSONata null, lists for sequences, 2 for 2.0."""
    if value is Utils.NULL_VALUE or value is None:
        return None
    if isinstance(value, bool | str):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("the result is not a finite number")
        return int(value) if value.is_integer() and abs(value) < 2**53 else value
    if isinstance(value, int):
        return value
    if isinstance(value, dict):
        return {key: to_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [to_json(item) for item in value]
    raise ValueError(f"the result is not JSON (a {type(value).__name__})")


# --- compiled expressions and templates ---------------------------------------------------------------


@dataclass(frozen=True)
class Bindings:
    """What an expression can see: ``$states`` and the variables in scope."""

    states: dict[str, Any]
    variables: dict[str, Any]

    def as_jsonata(self, reads: frozenset[str]) -> dict[str, Any]:
        """The bindings an expression reading ``reads`` needs: only those (the library binds each one
        into a new frame at every evaluation, and looks names up through it)."""
        bound = {}
        for name in reads:
            if name == "states":
                bound[name] = self.states
            elif name in self.variables:
                value = self.variables[name]
                # a variable holding JSON null must read as null, not as an unbound (undefined) name
                bound[name] = Utils.NULL_VALUE if value is None else value
        return bound


class Expression:
    """One ``{% ... %}`` expression, parsed once."""

    def __init__(self, text: str, field: str) -> None:
        self.text = text
        self.field = field
        try:
            self._compiled = jsonata.Jsonata(text)
        except JException as error:
            raise DefinitionError(f"field '{field}': the JSONata expression does not parse: {error}") from error
        except RecursionError as error:
            raise DefinitionError(f"field '{field}': the JSONata expression is nested too deeply") from error
        except (IndexError, KeyError) as error:  # the library's parser on some malformed input ('!1', '"\\')
            raise DefinitionError(f"field '{field}': the JSONata expression does not parse") from error
        except re.error as error:  # a regex literal is compiled as the expression is parsed
            raise DefinitionError(
                f"field '{field}': the regular expression /{error.pattern!s}/ does not compile: {error}"
            ) from error
        self._compiled.set_output_convert_nulls(False)
        for name, function in AWS_FUNCTIONS.items():
            self._compiled.register_lambda(name, function)
        _refuse_unsupported(self._compiled.ast, field)
        self._reads = frozenset(self.variables)
        self._simple = _simple(text)

    @property
    def variables(self) -> set[str]:
        """Names of the variables the expression reads (``$name``)."""
        return {node.value for node in _walk(self._compiled.ast) if getattr(node, "type", None) == "variable"}

    def evaluate(self, bindings: Bindings) -> Any:
        if self._simple is not None:
            found = self._simple(bindings)
            if found is not _NOT_SIMPLE:
                return to_json(found)  # as the library's result is: 2 for 2.0
        bound = bindings.as_jsonata(self._reads)
        try:
            with _evaluation_lock:
                bound.update(_Deadline(MAX_EVALUATION_SECONDS).callbacks())  # from now: waiting is not running
                raw = self._compiled.evaluate(None, bound)
        except JException as error:
            raise self._failure(f"threw an error during evaluation. {error.error}: {error}") from error
        except (ZeroDivisionError, OverflowError) as error:  # JavaScript's Infinity, which JSONata refuses
            raise self._failure("threw an error during evaluation. D1001: Number out of range") from error
        except Exception as error:  # other library failures surface as Python errors
            raise self._failure(f"threw an error during evaluation. {type(error).__name__}: {error}") from error
        if raw is None:
            raise self._failure("returned nothing (undefined).")
        try:
            return to_json(raw)
        except ValueError as error:
            raise self._failure(f"returned an unexpected result: {error}") from error

    def _failure(self, detail: str) -> QueryEvaluationFailed:
        return QueryEvaluationFailed(
            self.field, f"The JSONata expression '{self.text}' specified for the field '{self.field}' {detail}"
        )


_NOT_SIMPLE = object()


class _Deadline:
    """Stops an evaluation that runs past its time: the library calls ``_check`` on every step it takes,
    and one step in 64 reads the clock (the evaluating thread's own time: waiting for others is not
    counted)."""

    def __init__(self, seconds: float) -> None:
        self._seconds = seconds
        self._until = time.thread_time() + seconds
        self._steps = 0

    def callbacks(self) -> dict[str, Any]:
        return {"__evaluate_entry": self._check, "__evaluate_exit": self._check}

    def _check(self, *_: Any) -> None:
        self._steps += 1
        if not self._steps & 63 and time.thread_time() > self._until:
            raise JException("D1012", -1, int(self._seconds * 1000))


def _field_of(value: Any, fields: list[str]) -> Any:
    """``$states.a.b`` through objects only, to a value that is neither an array nor null: what
    JSONata gives then. Anything else (an array on the way or at the end, a missing field, null) is
    left to the library, which maps over arrays and says what is missing as it says it."""
    for name in fields:
        if not isinstance(value, dict) or name not in value:
            return _NOT_SIMPLE
        value = value[name]
    return _NOT_SIMPLE if value is None or isinstance(value, list) else value


def _simple(text: str) -> Callable[[Bindings], Any] | None:
    """The expression as a function of the bindings, if it is one of the simplest (``_SIMPLE``); it
    gives ``_NOT_SIMPLE`` whenever its values are not plain (a missing variable, an array, a string in
    arithmetic, a division by zero...), and the library evaluates it then, errors included."""
    found = _SIMPLE.match(text)
    if found is None:
        return None
    left, operation, right = found.groups()
    read_left = _operand(left)
    if operation is None:
        return read_left
    read_right, apply = _operand(right), _OPERATIONS[operation]

    def evaluate(bindings: Bindings) -> Any:
        a, b = read_left(bindings), read_right(bindings)
        if not (_is_number(a) and _is_number(b)):
            return _NOT_SIMPLE
        try:
            if operation in "+-*/":  # as the library computes: in doubles, a whole result as an integer
                result = apply(float(a), float(b))
                if not math.isfinite(result):
                    return _NOT_SIMPLE
                return int(result) if result.is_integer() else result
            if operation in ("=", "!=") or type(a) is not type(b):
                a, b = float(a), float(b)  # the library's equality, and its order between int and float
            return apply(a, b)
        except (ZeroDivisionError, OverflowError):  # past a double: the library says what is wrong
            return _NOT_SIMPLE

    return evaluate


def _operand(text: str) -> Callable[[Bindings], Any]:
    if not text.startswith("$"):
        double = float(text)  # the library reads every number literal as a double
        number = int(double) if double.is_integer() else double
        return lambda bindings: number
    name, *fields = text[1:].split(".")
    if name == "states":
        return lambda bindings: _field_of(bindings.states, fields)
    return lambda bindings: _field_of(bindings.variables, [name, *fields])


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


class QueryEvaluationFailed(StatesError):
    """A JSONata field failed; ``location`` is the field path (``Output/result``, ``Items``, ...)."""

    def __init__(self, location: str | None, detail: str) -> None:
        super().__init__(QUERY_EVALUATION_ERROR, detail)
        self.location = location
        self.detail = detail


def _walk(node: Any) -> Iterator[Any]:
    seen: set[int] = set()
    stack = [node]
    while stack:
        current = stack.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, list | tuple):
            stack.extend(current)
            continue
        if not hasattr(current, "type"):
            continue
        yield current
        for attribute in vars(current).values():
            if isinstance(attribute, list | tuple) or hasattr(attribute, "type"):
                stack.append(attribute)


def _refuse_unsupported(ast: Any, field: str) -> None:
    for node in _walk(ast):
        if getattr(node, "type", None) == "function":
            procedure = getattr(node, "procedure", None)
            if getattr(procedure, "type", None) == "variable" and getattr(procedure, "value", None) == "eval":
                raise DefinitionError(f"field '{field}': $eval is not available in Step Functions; use $parse")
    root = ast.steps[0] if getattr(ast, "type", None) == "path" and ast.steps else ast
    if getattr(root, "type", None) == "variable" and root.value in ("", "$"):
        symbol = "$" if root.value == "" else "$$"
        raise DefinitionError(
            f"field '{field}': '{symbol}' at the top level of an expression is not allowed; use $states.input"
        )


class Template:
    """A field value: literals kept as they are, ``{% %}`` strings evaluated, recursively.

    Values without expressions are returned as they are (shared, never mutated by the engine).
    """

    def __init__(self, value: Any, field: str) -> None:
        self.field = field
        self.expressions: list[Expression] = []
        self._build = self._compile(value, field)

    @property
    def is_constant(self) -> bool:
        return not self.expressions

    def evaluate(self, bindings: Bindings) -> Any:
        return self._build(bindings)

    def _compile(self, value: Any, field: str) -> Callable[[Bindings], Any]:
        if not _has_expression(value):
            return lambda bindings: value
        if isinstance(value, str):
            expression = Expression(_EXPRESSION.match(value).group(1).strip(), field)  # type: ignore[union-attr]
            self.expressions.append(expression)
            return expression.evaluate
        if isinstance(value, dict):
            parts = {key: self._compile(item, f"{field}/{key}") for key, item in value.items()}
            return lambda bindings: {key: build(bindings) for key, build in parts.items()}
        items = [self._compile(item, f"{field}[{index}]") for index, item in enumerate(value)]
        return lambda bindings: [build(bindings) for build in items]


def _has_expression(value: Any) -> bool:
    if isinstance(value, str):
        return bool(_EXPRESSION.match(value))
    if isinstance(value, dict):
        return any(_has_expression(item) for item in value.values())
    if isinstance(value, list):
        return any(_has_expression(item) for item in value)
    return False
