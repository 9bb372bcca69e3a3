"""JSONPath in ASL: Paths (``InputPath``, ``OutputPath``, ``.$`` values, intrinsic arguments) and
Reference Paths (``ResultPath``, ``ItemsPath``, a Choice rule's ``Variable``, every ``…Path`` field).

A path reads the state's data (``$``), the context object (``$$``) or a variable (``$name``). A
*definite* path — names and single indexes only — gives the one node it names, and a node that is not
there is ``States.Runtime`` with Jayway's words (AWS's JSONPath library): ``No results for path:
$['x']`` when the last step is missing, ``Missing property in path $['a']`` before it. Any other path
(``*``, ``..``, slices, unions, filters) gives the array of its matches, ``[]`` for none: those are
evaluated by ``jsonpath-ng``'s extended parser, which follows Jayway's syntax for them.

A Reference Path names one node with ``.name``, ``['name']`` and ``[n]`` only; it can also be
written to (``ResultPath``), creating the objects on its way.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from local.sfn.errors import StatesError
from local.sfn.expressions import DefinitionError

RUNTIME = "States.Runtime"
RESULT_PATH_MATCH_FAILURE = "States.ResultPathMatchFailure"
_VARIABLE = re.compile(r"^\$([^\W\d]\w*)")  # a Unicode identifier, as variable names are
# one step of a definite path: .name (a backslash escapes a dot), ['name'], [n]
_STEP = re.compile(r"\.((?:[^.\[\]\\*]|\\.)+)|\['((?:[^'\\]|\\.)*)'\]|\[(-?\d+)\]")


_variables_read: ContextVar[set[str] | None] = ContextVar("variables read", default=None)


@contextmanager
def variables_read() -> Iterator[set[str]]:
    """The names of the variables every path compiled meanwhile reads (``$name…``)."""
    names: set[str] = set()
    token = _variables_read.set(names)
    try:
        yield names
    finally:
        _variables_read.reset(token)


@dataclass(frozen=True)
class Scope:
    """What paths read: the state's data, the context object and the variables in scope."""

    data: Any
    context: Any = None
    variables: dict[str, Any] | None = None


Step = str | int


def _steps(rest: str) -> list[Step] | None:
    """The steps of a definite path after its root, or None when it is not one."""
    steps: list[Step] = []
    position = 0
    while position < len(rest):
        match = _STEP.match(rest, position)
        if match is None:
            return None
        name, quoted, index = match.groups()
        if index is not None:
            steps.append(int(index))
        else:
            steps.append(re.sub(r"\\(.)", r"\1", name if name is not None else quoted))
        position = match.end()
    return steps


def _jayway(steps: list[Step]) -> str:
    """A path as Jayway writes it in its messages: ``$['a']['b'][0]``."""
    return "$" + "".join(f"[{step}]" if isinstance(step, int) else f"['{step}']" for step in steps)


def _split_root(text: str) -> tuple[str, str | None, str]:
    """("data" | "context" | "variable", the variable's name, what follows the root)."""
    if text.startswith("$$"):
        return "context", None, text[2:]
    variable = _VARIABLE.match(text)
    if variable is not None:
        return "variable", variable.group(1), text[variable.end() :]
    return "data", None, text[1:]


class Path:
    """A compiled Path; ``find`` gives its value in a scope."""

    def __init__(self, text: str, where: str) -> None:
        if not isinstance(text, str) or not text.startswith("$"):
            raise DefinitionError(f"{where}: {json.dumps(text)} is not a JSONPath (it must start with '$')")
        self.text = text
        self.root, self.variable, rest = _split_root(text)
        collecting = _variables_read.get()
        if self.variable is not None and collecting is not None:
            collecting.add(self.variable)
        self.steps = _steps(rest)
        self._query = None
        if self.steps is None:
            self._query = _compile_query(rest, where, text)

    @property
    def definite(self) -> bool:
        return self.steps is not None

    def _base(self, scope: Scope) -> Any:
        if self.root == "context":
            return scope.context
        if self.root == "variable":
            variables = scope.variables or {}
            if self.variable not in variables:
                raise StatesError(RUNTIME, f"Invalid path '{self.text}': the variable ${self.variable} is not defined")
            return variables[self.variable]
        return scope.data

    def find(self, scope: Scope) -> Any:
        base = self._base(scope)
        if self._query is not None:
            return [match.value for match in self._query.find(base)]
        assert self.steps is not None
        node = base
        for position, step in enumerate(self.steps):
            found, node = _child(node, step)
            if not found:
                last = position == len(self.steps) - 1
                where = _jayway(self.steps[: position + 1])
                detail = f"No results for path: {where}" if last else f"Missing property in path {where}"
                raise StatesError(RUNTIME, f"Invalid path '{self.text}' : {detail}")
        return node


def _child(node: Any, step: Step) -> tuple[bool, Any]:
    if isinstance(step, int):
        if isinstance(node, list) and -len(node) <= step < len(node):
            return True, node[step]
        return False, None
    if isinstance(node, dict) and step in node:
        return True, node[step]
    return False, None


def _compile_query(rest: str, where: str, text: str) -> Any:
    from jsonpath_ng.exceptions import JSONPathError
    from jsonpath_ng.ext import parse

    if "(" in rest.replace("[?(", "").replace(")]", ""):
        raise DefinitionError(f"{where}: {text}: JSONPath functions are not supported")
    try:
        query = parse("$" + rest)
    except JSONPathError as error:
        raise DefinitionError(f"{where}: {text} is not a valid JSONPath ({error})") from None
    _check_jayway(query, where, text)
    return query


# what jsonpath-ng reads that Jayway (and so Step Functions) also reads; the rest of its extensions
# (sorting ``[/name]``, arithmetic, ``|``, ``where``, ``=~`` with a string) would run with a meaning
# AWS never gives them
_JAYWAY_NODES = {"Root", "This", "Child", "Descendants", "Fields", "Index", "Slice", "Wildcard", "Filter", "Expression"}
_JAYWAY_OPERATORS = {None, "==", "!=", "<", "<=", ">", ">="}


def _check_jayway(query: Any, where: str, text: str) -> None:
    nodes = [query]
    while nodes:
        node = nodes.pop()
        kind = type(node).__name__
        if kind not in _JAYWAY_NODES or (kind == "Expression" and node.op not in _JAYWAY_OPERATORS):
            raise DefinitionError(f"{where}: {text} is not a JSONPath Step Functions reads (Jayway's syntax)")
        for value in vars(node).values():
            for each in value if isinstance(value, list) else [value]:
                if type(each).__module__.startswith("jsonpath_ng"):
                    nodes.append(each)


class ReferencePath:
    """A compiled Reference Path: one node, read with ``find`` or written with ``put``."""

    def __init__(self, text: str, where: str, *, variables: bool = True) -> None:
        if not isinstance(text, str) or not text.startswith("$"):
            raise DefinitionError(f"{where}: Value is not a Reference Path: Reference path didn't start with '$'")
        root, _, rest = _split_root(text)
        if root != "data" and not variables:
            raise DefinitionError(f"{where}: {text}: a ResultPath writes into the state's data, never $$ or a variable")
        steps = _steps(rest)
        if steps is None or any(isinstance(step, int) and step < 0 for step in steps):
            raise DefinitionError(
                f"{where}: {text} is not a Reference Path (names and indexes only: no *, .., slices or filters)"
            )
        self.text, self.steps = text, steps
        self._path = Path(text, where)

    def find(self, scope: Scope) -> Any:
        return self._path.find(scope)

    def put(self, target: Any, value: Any) -> Any:
        """``target`` with ``value`` at this path (a copy where it changes): ``$`` replaces it whole,
        missing objects on the way are created; a step into something else is a
        ``States.ResultPathMatchFailure``."""
        if not self.steps:
            return value
        return self._put(target, self.steps, value)

    def _put(self, node: Any, steps: list[Step], value: Any) -> Any:
        step, rest = steps[0], steps[1:]
        if isinstance(step, int):
            if not isinstance(node, list) or step >= len(node):
                raise self._mismatch(node)
            copy = list(node)
            copy[step] = self._put(copy[step], rest, value) if rest else value
            return copy
        if node is None and steps is not self.steps:  # an object created on the way
            node = {}
        if not isinstance(node, dict):
            raise self._mismatch(node)
        replaced = dict(node)
        replaced[step] = self._put(replaced.get(step), rest, value) if rest else value
        return replaced

    def _mismatch(self, node: Any) -> StatesError:
        shown = json.dumps(node, separators=(",", ":"))
        return StatesError(RESULT_PATH_MATCH_FAILURE, f"Unable to apply ReferencePath {self.text} to input {shown}")
