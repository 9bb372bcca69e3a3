"""Reading an execution's history: its events without task tokens, what happened to each state, and
where the execution is now. Pure functions over the events Step Functions returns."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from lambdas.shared.executions.views import EventView

REMOVED = "[removed]"
# an event of these types ends a try of a task: a retry follows it, or a catcher, or the failure
FAILURES = ("TaskFailed", "TaskTimedOut", "LambdaFunctionFailed", "LambdaFunctionTimedOut", "TaskStartFailed")
DATA_FIELDS = ("input", "output", "parameters")
CALLBACK_SUFFIX = ".waitForTaskToken"
# anything shaped like a task token (a long unbroken run of base64), whichever execution's it is:
# ids, names and ARNs are shorter or broken by dots and colons
TOKEN_SHAPED = re.compile(r"[A-Za-z0-9+/=_-]{60,}")


def _details(event: dict[str, Any]) -> dict[str, Any]:
    key = next((key for key in event if key.endswith("EventDetails")), None)
    return event[key] if key else {}


def parse(text: Any) -> Any:
    if not isinstance(text, str):
        return text
    try:
        return json.loads(text)
    except ValueError:
        return text


def _is_token_key(key: str) -> bool:
    return key.lower().endswith("token")


def task_tokens(events: list[dict[str, Any]]) -> set[str]:
    """Every task token the history holds: they sit under a ``…token`` key of a task's parameters
    (the ASL passes ``$states.context.Task.Token`` to the task that parks it)."""
    found: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                if _is_token_key(key) and isinstance(item, str) and item:
                    found.add(item)
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    for event in events:
        details = _details(event)
        for name in DATA_FIELDS:
            walk(parse(details.get(name)))
    return found


def redact(value: Any, tokens: set[str]) -> Any:
    """``value`` with every task token gone: under a ``…token`` key, and wherever a known one appears."""
    if isinstance(value, dict):
        return {key: REMOVED if _is_token_key(key) else redact(item, tokens) for key, item in value.items()}
    if isinstance(value, list):
        return [redact(item, tokens) for item in value]
    if isinstance(value, str):
        for token in tokens:
            value = value.replace(token, REMOVED)
        return TOKEN_SHAPED.sub(REMOVED, value)
    return value


def events(raw: list[dict[str, Any]]) -> list[EventView]:
    """The events in order, each with the state it belongs to, data parsed, tokens removed."""
    tokens = task_tokens(raw)
    rendered, state = [], None
    for event in raw:
        details = _details(event)
        if event["type"].endswith("StateEntered"):
            state = details.get("name")
        data = {name: redact(parse(details.get(name)), tokens) for name in DATA_FIELDS}
        rendered.append(
            EventView(
                id=event["id"],
                type=event["type"],
                state=details.get("name", state),
                at=event["timestamp"],
                error=redact(details.get("error"), tokens),
                cause=redact(details.get("cause"), tokens),
                **data,
            )
        )
        if event["type"].endswith("StateExited"):
            state = None
    return rendered


@dataclass
class Visit:
    """One entry into a state, up to its exit (or up to now)."""

    state: str
    entered_at: datetime
    exited: bool = False
    failures: int = 0  # tries that failed
    scheduled: int = 0  # tries started
    last_type: str = ""
    last_at: datetime | None = None
    error: str | None = None
    cause: str | None = None

    @property
    def caught(self) -> bool:
        """It exited through a catcher: its last try failed."""
        return self.exited and self.failures > 0 and self.failures >= self.scheduled

    @property
    def retries(self) -> int:
        return max(0, self.scheduled - 1)


def visits(all_events: list[EventView]) -> list[Visit]:
    found: list[Visit] = []
    current: Visit | None = None
    for event in all_events:
        if event.type.endswith("StateEntered") and event.state:
            current = Visit(event.state, event.at)
            found.append(current)
            continue
        if current is None:
            continue
        current.last_type, current.last_at = event.type, event.at
        if event.type in ("TaskScheduled", "LambdaFunctionScheduled"):
            current.scheduled += 1
        elif event.type in FAILURES:
            current.failures += 1
            current.error, current.cause = event.error, event.cause
        elif event.type.endswith("StateExited"):
            current.exited = True
            current = None
    return found


@dataclass
class StateSummary:
    name: str
    type: str
    next: list[str]
    status: str = "not_reached"  # succeeded, caught, failed, aborted, running, waiting, retrying
    entered: int = 0
    retries: int = 0
    caught: int = 0


@dataclass
class Position:
    """Where a running execution is, or where an ended one stopped."""

    state: str | None
    waiting: str | None = None  # callback, wait, retry, task (a task running)
    since: datetime | None = None
    error: str | None = None
    cause: str | None = None
    states: list[StateSummary] = field(default_factory=list)


def _state_kind(definition: dict[str, Any], name: str) -> str:
    state = definition["States"].get(name, {})
    if state.get("Type") == "Wait":
        return "wait"
    if state.get("Type") == "Task" and str(state.get("Resource", "")).endswith(CALLBACK_SUFFIX):
        return "callback"
    return "task"


def _next_states(state: dict[str, Any]) -> list[str]:
    targets = [state.get("Next"), state.get("Default")]
    targets += [choice.get("Next") for choice in state.get("Choices", [])]
    targets += [catcher.get("Next") for catcher in state.get("Catch", [])]
    return list(dict.fromkeys(target for target in targets if target))


def position(all_events: list[EventView], definition: dict[str, Any], status: str) -> Position:
    """What happened to each state of ``definition`` and where the execution is (``status`` as AWS spells it)."""
    summaries = {
        name: StateSummary(name, state["Type"], _next_states(state)) for name, state in definition["States"].items()
    }
    found = visits(all_events)
    for visit in found:
        summary = summaries.get(visit.state)
        if summary is None:  # a state of a Map or Parallel branch: counted under its parent
            continue
        summary.entered += 1
        summary.retries += visit.retries
        summary.caught += visit.caught
        summary.status = "caught" if visit.caught else "succeeded"
    last = found[-1] if found and not found[-1].exited else None
    where = Position(state=last.state if last else None, states=list(summaries.values()))
    if last is None:
        return where
    summary = summaries.get(last.state)
    where.error, where.cause, where.since = last.error, last.cause, last.last_at or last.entered_at
    if status == "RUNNING":
        if last.last_type in FAILURES:
            where.waiting = "retry"
        else:
            where.waiting = _state_kind(definition, last.state)
        state_status = {"retry": "retrying", "task": "running"}.get(where.waiting, "waiting")
    else:
        state_status = "aborted" if status == "ABORTED" else "failed"
    if summary is not None:
        summary.status = state_status
    return where
