"""The intrinsic functions of JSONPath states: ``States.Format('Hi {}', $.name)`` as a ``.$`` value.

A call is parsed once, when the definition is loaded (an unknown function, a bad argument list or a
bad escape is refused there); its arguments are quoted strings (``\\'``, ``\\{``, ``\\}`` and ``\\\\``
escape), numbers, ``null``, ``true``, ``false``, paths and nested calls. A call that fails at run
time is ``States.Runtime`` with ``Invalid arguments in States.<Name>``, as AWS raises it (its
documentation says ``States.IntrinsicFailure``, which AWS does not raise): Retry and Catch never see it.

Where AWS's documentation and its behaviour leave a choice open: MathAdd rounds half up (as AWS
was seen to), ArrayRange and ArrayGetItem take the integer part of a non-integer (as seen), and
ArrayPartition and MathRandom round (as documented).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import math
import random
import re
import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from local.sfn.errors import StatesError
from local.sfn.expressions import HASHES, DefinitionError
from local.sfn.paths import RUNTIME, Path, Scope
from local.sfn.store import loads

MAX_NESTING = 10  # calls in one field
MAX_TEXT = 10_000  # characters hashed or encoded
MAX_RANGE = 1_000  # items of an ArrayRange
INT32 = (-(2**31), 2**31 - 1)
_NAME = re.compile(r"States\.([A-Za-z0-9]+)\(")
_NUMBER = re.compile(r"-?\d+(\.\d+)?([eE][-+]?\d+)?")


class _Literal:
    def __init__(self, value: Any) -> None:
        self.value = value

    def evaluate(self, scope: Scope) -> Any:
        return self.value


@dataclass(frozen=True)
class Call:
    """``States.<name>(arguments)``, compiled."""

    name: str
    arguments: tuple[Any, ...]  # _Literal, Path or Call

    def evaluate(self, scope: Scope) -> Any:
        values = [
            argument.find(scope) if isinstance(argument, Path) else argument.evaluate(scope)
            for argument in self.arguments
        ]
        function = FUNCTIONS[self.name]
        try:
            return function(*values)
        except (ArgumentError, TypeError, ValueError, OverflowError) as error:
            detail = f": {error}" if isinstance(error, ArgumentError) else ""
            raise StatesError(RUNTIME, f"Invalid arguments in States.{self.name}{detail}") from None


class ArgumentError(Exception):
    """An argument a function cannot take; the message says which."""


def is_call(text: str) -> bool:
    return isinstance(text, str) and _NAME.match(text) is not None


def compile_call(text: str, where: str) -> Call:
    """The call in ``text`` (the whole of it), or a ``DefinitionError`` naming ``where``."""
    parser = _Parser(text, where)
    call = parser.call(depth=1)
    if parser.position != len(text):
        raise parser.error("text after the call's closing parenthesis")
    return call


class _Parser:
    def __init__(self, text: str, where: str) -> None:
        self.text, self.where, self.position = text, where, 0

    def error(self, problem: str) -> DefinitionError:
        return DefinitionError(
            f"{self.where}: the value must be a valid JSONPath or a valid intrinsic function call "
            f"({problem}, at character {self.position + 1} of {self.text!r})"
        )

    def call(self, depth: int) -> Call:
        if depth > MAX_NESTING:
            raise self.error(f"more than {MAX_NESTING} nested calls")
        match = _NAME.match(self.text, self.position)
        if match is None:
            raise self.error("expected States.<Function>(")
        name = match.group(1)
        if name not in FUNCTIONS:
            raise self.error(f"no intrinsic function States.{name}")
        self.position = match.end()
        arguments: list[Any] = []
        self._spaces()
        if self._peek() == ")":
            self.position += 1
        else:
            while True:
                # Format's template keeps \{ and \} apart from its {} slots; elsewhere they are { and }
                template = name == "Format" and not arguments
                arguments.append(self.argument(depth, keep_brace_escapes=template))
                self._spaces()
                separator = self._peek()
                self.position += 1
                if separator == ")":
                    break
                if separator != ",":
                    raise self.error("expected ',' or ')'")
                self._spaces()
        ARITY[name](name, len(arguments), self)
        return Call(name, tuple(arguments))

    def argument(self, depth: int, *, keep_brace_escapes: bool = False) -> Any:
        character = self._peek()
        if character == "'":
            return _Literal(self._string(keep_brace_escapes))
        if character == "$":
            return self._path()
        if self.text.startswith("States.", self.position):
            return self.call(depth + 1)
        for word, value in (("null", None), ("true", True), ("false", False)):
            if self.text.startswith(word, self.position):
                self.position += len(word)
                return _Literal(value)
        number = _NUMBER.match(self.text, self.position)
        if number is None:
            raise self.error("an argument must be a 'string', a number, null, true, false, a path or a call")
        self.position = number.end()
        text = number.group(0)
        parsed = float(text) if number.group(1) or number.group(2) else int(text)
        if abs(parsed) > sys.float_info.max:  # Infinity, or an integer no JSON double holds
            raise self.error(f"the number {text[:20]} is beyond a double's range")
        return _Literal(parsed)

    def _string(self, keep_brace_escapes: bool) -> str:
        self.position += 1  # the opening quote
        characters = []
        while True:
            if self.position >= len(self.text):
                raise self.error("a string without its closing quote")
            character = self.text[self.position]
            if character == "\\":
                escaped = self.text[self.position + 1 : self.position + 2]
                if escaped not in ("'", "{", "}", "\\"):
                    raise self.error("a backslash escapes only ', {, } and \\")
                kept = keep_brace_escapes and escaped in ("{", "}", "\\")
                characters.append("\\" + escaped if kept else escaped)
                self.position += 2
                continue
            self.position += 1
            if character == "'":
                return "".join(characters)
            characters.append(character)

    def _path(self) -> Path:
        start, depth, quoted = self.position, 0, False
        while self.position < len(self.text):
            character = self.text[self.position]
            if character == "'" and depth:
                quoted = not quoted
            elif not quoted and character == "[":
                depth += 1
            elif not quoted and character == "]":
                depth -= 1
            elif not quoted and depth == 0 and character in ",)":
                break
            self.position += 1
        return Path(self.text[start : self.position].rstrip(), self.where)

    def _peek(self) -> str:
        return self.text[self.position : self.position + 1]

    def _spaces(self) -> None:
        while self._peek() == " ":
            self.position += 1


# --- the functions ---------------------------------------------------------------------------------


def _same(left: Any, right: Any) -> bool:
    """JSON equality: 1 equals 1.0, never true."""
    if isinstance(left, bool) or isinstance(right, bool):
        return isinstance(left, bool) and isinstance(right, bool) and left == right
    if isinstance(left, int | float) and isinstance(right, int | float):
        return left == right
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(_same(a, b) for a, b in zip(left, right, strict=True))
    if isinstance(left, dict) and isinstance(right, dict):
        return left.keys() == right.keys() and all(_same(left[key], right[key]) for key in left)
    return type(left) is type(right) and left == right


def _number(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ArgumentError(f"{what} must be a number")
    return value


def _array(value: Any, what: str = "the first argument") -> list[Any]:
    if not isinstance(value, list):
        raise ArgumentError(f"{what} must be an array")
    return value


def _text(value: Any, what: str = "the argument", *, limited: bool = False) -> str:
    """A string; ``limited``: at most ``MAX_TEXT`` characters (Base64 and Hash have that limit)."""
    if not isinstance(value, str):
        raise ArgumentError(f"{what} must be a string")
    if limited and len(value) > MAX_TEXT:
        raise ArgumentError(f"{what} is longer than {MAX_TEXT} characters")
    return value


def _java(value: Any) -> str:
    """A value as Java's toString writes it (what States.Format puts in a slot)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key}={_java(item)}" for key, item in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_java(item) for item in value) + "]"
    return json.dumps(value)


def _format(template: Any, *values: Any) -> str:
    template = _text(template, "the template")
    pieces = re.split(r"(\\\\|\\\{|\\\}|\{\}|\{|\})", template)
    slots = pieces.count("{}")
    if slots != len(values):
        raise ArgumentError(f"the template has {slots} {{}} for {len(values)} values")
    out, given = [], iter(values)
    for piece in pieces:
        if piece == "{}":
            out.append(_java(next(given)))
        elif piece in ("{", "}"):
            raise ArgumentError("a { or } that is not a {} slot must be escaped")
        else:
            out.append(piece[1:] if piece in ("\\\\", "\\{", "\\}") else piece)
    return "".join(out)


def _string_to_json(text: Any) -> Any:
    text = _text(text)
    if not text.strip():
        return None
    try:
        return loads(text)
    except ValueError:
        raise ArgumentError("the string is not JSON") from None


def _json_to_string(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _array_partition(array: Any, size: Any) -> list[list[Any]]:
    array, size = _array(array), _half_up(_number(size, "the chunk size"))
    if size <= 0:
        raise ArgumentError("the chunk size must be greater than 0")
    return [array[start : start + size] for start in range(0, len(array), size)]


def _array_contains(array: Any, value: Any) -> bool:
    return any(_same(item, value) for item in _array(array))


def _array_range(start: Any, end: Any, step: Any) -> list[int]:
    first, last, by = (int(_number(value, name)) for value, name in ((start, "start"), (end, "end"), (step, "step")))
    if by == 0:
        raise ArgumentError("the step must not be 0")
    values = range(first, last + (1 if by > 0 else -1), by)
    if len(values) > MAX_RANGE:
        raise ArgumentError(f"the range has more than {MAX_RANGE} items")
    return list(values)


def _array_get_item(array: Any, index: Any) -> Any:
    array, position = _array(array), int(_number(index, "the index"))
    if not 0 <= position < len(array):
        raise ArgumentError(f"index {position} is outside the array of {len(array)} items")
    return array[position]


def _array_unique(array: Any) -> list[Any]:
    unique: list[Any] = []
    for item in _array(array):
        if not any(_same(item, kept) for kept in unique):
            unique.append(item)
    return unique


def _base64_encode(text: Any) -> str:
    return base64.b64encode(_text(text, limited=True).encode()).decode()


def _base64_decode(text: Any) -> str:
    try:
        return base64.b64decode(_text(text, limited=True), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise ArgumentError("the string is not base64 of UTF-8 text") from None


def _hash(data: Any, algorithm: Any) -> str:
    if algorithm not in HASHES:
        raise ArgumentError(f"the algorithm must be one of {', '.join(HASHES)}")
    text = data if isinstance(data, str) else _json_to_string(data)
    return hashlib.new(HASHES[algorithm], _text(text, "the data", limited=True).encode()).hexdigest()


def _json_merge(left: Any, right: Any, deep: Any) -> dict[str, Any]:
    if deep is not False:
        raise ArgumentError("the third argument must be false (a deep merge is not supported)")
    if not isinstance(left, dict) or not isinstance(right, dict):
        raise ArgumentError("both values must be objects")
    return {**left, **right}


def _math_random(start: Any, end: Any, seed: Any = None) -> int:
    low, high = _half_up(_number(start, "start")), _half_up(_number(end, "end"))
    if high <= low:
        raise ArgumentError("the end must be greater than the start")
    generator = random.Random(_half_up(_number(seed, "the seed"))) if seed is not None else random
    return generator.randrange(low, high)


def _math_add(left: Any, right: Any) -> int:
    total = sum(_half_up(_number(value, "each value")) for value in (left, right))
    if not INT32[0] <= total <= INT32[1]:
        raise ArgumentError("the sum is outside the 32-bit integer range")
    return total


def _string_split(text: Any, delimiters: Any) -> list[str]:
    text, delimiters = _text(text), _text(delimiters, "the delimiters")
    if not delimiters:
        return [text] if text else []
    return [piece for piece in re.split("[" + re.escape(delimiters) + "]", text) if piece]


def _half_up(value: float) -> int:
    """Rounded half up, as AWS rounds an intrinsic's numbers; 32-bit integers only."""
    if not math.isfinite(value) or not INT32[0] <= value <= INT32[1]:
        raise ArgumentError("numbers must be 32-bit integers")
    return math.floor(value + 0.5)


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "Format": _format,
    "StringToJson": _string_to_json,
    "JsonToString": _json_to_string,
    "Array": lambda *values: list(values),
    "ArrayPartition": _array_partition,
    "ArrayContains": _array_contains,
    "ArrayRange": _array_range,
    "ArrayGetItem": _array_get_item,
    "ArrayLength": lambda array: len(_array(array)),
    "ArrayUnique": _array_unique,
    "Base64Encode": _base64_encode,
    "Base64Decode": _base64_decode,
    "Hash": _hash,
    "JsonMerge": _json_merge,
    "MathRandom": _math_random,
    "MathAdd": _math_add,
    "StringSplit": _string_split,
    "UUID": lambda: str(uuid.uuid4()),
}


def _arity(low: int, high: int | None = None) -> Callable[[str, int, _Parser], None]:
    def check(name: str, count: int, parser: _Parser) -> None:
        top = low if high is None else high
        if not low <= count <= (top if top >= 0 else count):
            expected = f"{low}" if top == low else (f"{low} or more" if top < 0 else f"{low} to {top}")
            raise parser.error(f"States.{name} takes {expected} argument{'s' if expected != '1' else ''}, not {count}")

    return check


ARITY = {
    "Format": _arity(1, -1),
    "StringToJson": _arity(1),
    "JsonToString": _arity(1),
    "Array": _arity(0, -1),
    "ArrayPartition": _arity(2),
    "ArrayContains": _arity(2),
    "ArrayRange": _arity(3),
    "ArrayGetItem": _arity(2),
    "ArrayLength": _arity(1),
    "ArrayUnique": _arity(1),
    "Base64Encode": _arity(1),
    "Base64Decode": _arity(1),
    "Hash": _arity(2),
    "JsonMerge": _arity(3),
    "MathRandom": _arity(2, 3),
    "MathAdd": _arity(2),
    "StringSplit": _arity(2),
    "UUID": _arity(0),
}
STRING_RESULTS = frozenset({"Format", "JsonToString", "ArrayGetItem", "Base64Encode", "Base64Decode", "Hash", "UUID"})
