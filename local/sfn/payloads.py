"""Payload templates of JSONPath states: ``Parameters``, ``ResultSelector``, ``ItemSelector`` and
``Assign``.

A template is JSON processed at any depth, objects inside arrays included. A key ending in ``.$``
loses the suffix and its string value is evaluated: a path (``$``, ``$$``, ``$name``) or an
intrinsic call; every other key is literal, whatever its value looks like. A path that matches
nothing is ``States.Runtime`` naming the field and the input, as AWS says it (its documentation's
``States.ParameterPathFailure`` is not what AWS raises).
"""

from __future__ import annotations

import json
from typing import Any

from local.sfn.errors import StatesError
from local.sfn.expressions import DefinitionError
from local.sfn.intrinsics import Call, compile_call, is_call
from local.sfn.paths import RUNTIME, Path, Scope


class Payload:
    """A compiled template; ``evaluate`` gives its value in a scope."""

    def __init__(self, template: Any, where: str) -> None:
        self._compiled = _compile(template, where)

    def evaluate(self, scope: Scope) -> Any:
        return _evaluate(self._compiled, scope)

    @property
    def names(self) -> set[str]:
        """The keys of an object template, ``.$`` removed (an Assign's variable names)."""
        return set(self._compiled) if isinstance(self._compiled, dict) else set()


class _Dynamic:
    """A ``.$`` value: its field's name (for the error), and its path or call."""

    def __init__(self, field: str, value: Any, where: str) -> None:
        self.field = field
        if isinstance(value, str) and value.startswith("$"):
            self.expression: Path | Call = Path(value, _within(where, f".{field}"))
        elif isinstance(value, str) and is_call(value):
            self.expression = compile_call(value, _within(where, f".{field}"))
        else:
            raise DefinitionError(
                f"{where}: The value for the field '{field}' must be a valid JSONPath or a valid intrinsic "
                "function call"
            )

    def evaluate(self, scope: Scope) -> Any:
        if isinstance(self.expression, Call):
            return self.expression.evaluate(scope)
        try:
            return self.expression.find(scope)
        except StatesError as error:
            if error.error != RUNTIME:
                raise
            base = scope.context if self.expression.root == "context" else scope.data
            shown = json.dumps(base, separators=(",", ":"), ensure_ascii=False)
            raise StatesError(
                RUNTIME,
                f"The JSONPath '{self.expression.text}' specified for the field '{self.field}' could not be found "
                f"in the input '{shown}'",
            ) from None


def _within(where: str, step: str) -> str:
    """A place inside a field: ``field 'Parameters'`` and ``.x.$`` give ``field 'Parameters.x.$'``."""
    return f"{where[:-1]}{step}'" if where.endswith("'") else f"{where}{step}"


def _compile(template: Any, where: str) -> Any:
    if isinstance(template, list):
        return [_compile(item, _within(where, f"[{index}]")) for index, item in enumerate(template)]
    if not isinstance(template, dict):
        return template
    compiled: dict[str, Any] = {}
    for key, value in template.items():
        name = key[:-2] if key.endswith(".$") else key
        if name in compiled:
            raise DefinitionError(f"{where}: the field '{name}' is given twice (with and without '.$')")
        compiled[name] = (
            _Dynamic(key, value, where) if key.endswith(".$") else _compile(value, _within(where, f".{key}"))
        )
    return compiled


def _evaluate(compiled: Any, scope: Scope) -> Any:
    if isinstance(compiled, _Dynamic):
        return compiled.evaluate(scope)
    if isinstance(compiled, list):
        return [_evaluate(item, scope) for item in compiled]
    if isinstance(compiled, dict):
        return {key: _evaluate(value, scope) for key, value in compiled.items()}
    return compiled
