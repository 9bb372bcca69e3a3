"""The request members of each Step Functions operation, typed as the AWS API reference types them.

AWS checks a request in two passes, and so does this module: a member of the wrong JSON type is a
``SerializationException`` (the request cannot even be read), then a missing required member or a
value out of its constraints is a ``ValidationException`` listing every violation. Members AWS does
not define are ignored, as AWS ignores them. Operations check only what is specific to them (ARNs,
names, definitions, payload sizes) with their own error names.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from local.sfn.errors import ServiceError

Operation = Callable[[Any, dict[str, Any]], dict[str, Any]]

_KIND_NAMES = {str: "a string", int: "an integer", bool: "a boolean", list: "a list", dict: "a structure"}


@dataclass(frozen=True)
class Member:
    kind: type  # str, int, bool, list or dict: the JSON type AWS expects
    required: bool = False
    min_length: int | None = None  # strings and lists
    max_length: int | None = None
    minimum: int | None = None  # integers
    maximum: int | None = None
    choices: tuple[str, ...] = ()
    members: dict[str, Member] = field(default_factory=dict)  # a structure's own members
    items: Member | None = None  # a list's elements


def string(
    required: bool = False, min_length: int | None = None, max_length: int | None = None, choices: tuple[str, ...] = ()
) -> Member:
    return Member(str, required, min_length=min_length, max_length=max_length, choices=choices)


def arn_string(required: bool = False, max_length: int = 256) -> Member:
    return string(required, min_length=1, max_length=max_length)


def integer(minimum: int | None = None, maximum: int | None = None) -> Member:
    return Member(int, minimum=minimum, maximum=maximum)


def boolean() -> Member:
    return Member(bool)


def structure(**members: Member) -> Member:
    return Member(dict, members=members)


def list_of(item: Member, max_length: int | None = None) -> Member:
    return Member(list, items=item, max_length=max_length)


def operation(**members: Member) -> Callable[[Operation], Operation]:
    """Declare an operation's request members; the request is checked before the operation runs."""

    def declare(method: Operation) -> Operation:
        @functools.wraps(method)
        def checked(self: Any, request: dict[str, Any]) -> dict[str, Any]:
            check_request(request, members)
            return method(self, request)

        checked.members = members  # type: ignore[attr-defined]
        return checked

    return declare


def check_request(request: dict[str, Any], members: dict[str, Member]) -> None:
    for name, member in members.items():
        _check_type(request.get(name), member, name)
    violations = [
        violation for name, member in members.items() for violation in _violations(request.get(name), member, name)
    ]
    if violations:
        count = f"{len(violations)} validation error{'s' if len(violations) > 1 else ''} detected"
        raise ServiceError("ValidationException", f"{count}: {'; '.join(violations)}")


def _kind_of(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    return _KIND_NAMES.get(type(value), "a value")


def _is(value: Any, kind: type) -> bool:
    if kind is int:  # JSON has one number type: an integer member takes whole numbers only, never true/false
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, kind)


def _check_type(value: Any, member: Member, where: str) -> None:
    if value is None:  # JSON null is an absent member
        return
    if not _is(value, member.kind):
        raise ServiceError(
            "SerializationException",
            f"Value at '{where}' must be {_KIND_NAMES[member.kind]}, not {_kind_of(value)}",
        )
    if member.kind is dict:
        for name, inner in member.members.items():
            _check_type(value.get(name), inner, f"{where}.{name}")
    elif member.kind is list and member.items is not None:
        for index, item in enumerate(value):
            if item is None:
                raise ServiceError("SerializationException", f"Value at '{where}.{index + 1}' must not be null")
            _check_type(item, member.items, f"{where}.{index + 1}")


def _shown(value: Any) -> str:
    """The value as AWS quotes it in a message, when it is short enough to be worth quoting."""
    return f"'{value}' " if isinstance(value, str | int) and len(str(value)) <= 256 else ""


def _violations(value: Any, member: Member, where: str) -> list[str]:
    """What AWS's constraint checks would say of a value already of the right type."""
    if value is None:
        missing = f"Value null at '{where}' failed to satisfy constraint: Member must not be null"
        return [missing] if member.required else []
    found = []
    if isinstance(value, str | list):
        if member.min_length is not None and len(value) < member.min_length:
            found.append(f"Member must have length greater than or equal to {member.min_length}")
        if member.max_length is not None and len(value) > member.max_length:
            found.append(f"Member must have length less than or equal to {member.max_length}")
    if member.choices and value not in member.choices:
        found.append(f"Member must satisfy enum value set: [{', '.join(member.choices)}]")
    if member.kind is int:
        if member.minimum is not None and value < member.minimum:
            found.append(f"Member must have value greater than or equal to {member.minimum}")
        if member.maximum is not None and value > member.maximum:
            found.append(f"Member must have value less than or equal to {member.maximum}")
    messages = [f"Value {_shown(value)}at '{where}' failed to satisfy constraint: {each}" for each in found]
    if member.kind is dict:
        for name, inner in member.members.items():
            messages += _violations(value.get(name), inner, f"{where}.{name}")
    elif member.kind is list and member.items is not None:
        for index, item in enumerate(value):
            messages += _violations(item, member.items, f"{where}.{index + 1}")
    return messages
