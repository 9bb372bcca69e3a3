"""Lambda handlers the engine tests run in-process, as the real task handlers are."""

from __future__ import annotations

import asyncio
import sys
import threading
import time
from typing import Any

# Switches tests flip: ``flaky`` fails while ``flaky_fails``; ``slow`` runs until ``gate`` opens.
SWITCHES: dict[str, Any] = {"flaky_fails": True, "calls": [], "gate": threading.Event()}


class DatabaseUnavailable(Exception):
    """Named like the real transient error, so ASL retriers match it."""


class CustomerNotEligible(Exception):
    pass


def fails_in_turn(event: Any, context: Any) -> dict[str, bool]:
    """Fails with each error ``SWITCHES["failures"]`` names, one per call, in order; then answers."""
    failures = SWITCHES.setdefault("failures", [])
    if failures:
        raise type(failures.pop(0), (Exception,), {})("planned")
    return {"ok": True}


def echo(event: dict[str, Any], context: Any) -> dict[str, Any]:
    SWITCHES["calls"].append(("echo", event))
    return event


def add_one(event: dict[str, Any], context: Any) -> dict[str, Any]:
    SWITCHES["calls"].append(("add_one", event))
    return {"value": event.get("value", 0) + 1}


def trivial(event: Any, context: Any) -> dict[str, bool]:
    return {"ok": True}


def where(event: Any, context: Any) -> dict[str, Any]:
    """Answers at once with the thread it ran in and when."""
    SWITCHES["calls"].append(("where", (threading.get_ident(), time.monotonic(), time.monotonic())))
    return {"ok": True}


def pause(event: Any, context: Any) -> dict[str, Any]:
    """Takes 20 ms, as a function waiting on a database does: the span is recorded."""
    started = time.monotonic()
    time.sleep(0.02)
    SWITCHES["calls"].append(("pause", (threading.get_ident(), started, time.monotonic())))
    return {"ok": True}


def hold_one(event: Any, context: Any) -> Any:
    """Answers at once, except for the item ``SWITCHES["hold"]`` names: that one waits for the gate."""
    SWITCHES["calls"].append(("hold_one", event))
    if event == SWITCHES.get("hold"):
        SWITCHES["gate"].wait(30)
    return event


def first_hangs(event: Any, context: Any) -> Any:
    """The first call waits for the gate; later ones answer at once."""
    SWITCHES["calls"].append(("first_hangs", event))
    if sum(name == "first_hangs" for name, _ in SWITCHES["calls"]) == 1:
        SWITCHES["gate"].wait(30)
    return {}


def exits(event: Any, context: Any) -> Any:
    """Calls sys.exit for the item ``SWITCHES["exit"]`` names, is cancelled for ``SWITCHES["cancel"]``,
    interrupts itself for ``SWITCHES["interrupt"]``."""
    if event == SWITCHES.get("exit"):
        sys.exit(3)
    if event == SWITCHES.get("cancel"):
        raise asyncio.CancelledError
    if event == SWITCHES.get("interrupt"):
        raise KeyboardInterrupt
    return event


def flaky(event: dict[str, Any], context: Any) -> dict[str, Any]:
    SWITCHES["calls"].append(("flaky", event))
    if SWITCHES["flaky_fails"]:
        raise DatabaseUnavailable("connection refused")
    return {"done": True, **event}


def reject(event: dict[str, Any], context: Any) -> None:
    raise CustomerNotEligible(f"evidence {event.get('evidence')} expired")


def slow(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Runs until the test opens the gate (or ``seconds`` pass): as long as a test needs, no longer."""
    SWITCHES["gate"].wait(event.get("seconds", 30))
    return {"slept": True}


def context_probe(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {
        "function_name": context.function_name,
        "invoked_function_arn": context.invoked_function_arn,
        "aws_request_id": context.aws_request_id,
        "memory_limit_in_mb": context.memory_limit_in_mb,
        "remaining_ms": context.get_remaining_time_in_millis(),
    }


def not_json(event: dict[str, Any], context: Any) -> Any:
    return {"when": object()}


def flaky_item(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Fails for items marked ``fail`` while the switch is on."""
    SWITCHES["calls"].append(("flaky_item", event))
    if SWITCHES["flaky_fails"] and event.get("fail"):
        raise DatabaseUnavailable(f"item {event.get('id')} could not be saved")
    return {"saved": event.get("id")}


def remember_token(event: dict[str, Any], context: Any) -> dict[str, str]:
    """Writes the task token where a test (in another process) can read it."""
    from pathlib import Path

    Path(event["file"]).write_text(event["token"])
    return {"stored": event["file"]}
