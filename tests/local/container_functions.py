"""Functions the container tests run in worker processes (imported there by their dotted path)."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

prepared = False


def prepare() -> None:
    global prepared
    prepared = True


def _answer(**body: Any) -> dict[str, Any]:
    return {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": json.dumps(body)}


def describe(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Which process answered, whether ``prepare`` ran there, and what it was given."""
    time.sleep(float(event.get("sleep") or (event.get("queryStringParameters") or {}).get("sleep") or 0))
    return _answer(pid=os.getpid(), prepared=prepared, function=context.function_name, path=event.get("path"))


def rendezvous(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Wait for ``expected`` calls to be running at once, in as many processes (or give up)."""
    directory = Path(event["directory"])
    (directory / str(os.getpid())).touch()
    deadline = time.monotonic() + event["patience"]
    while len(list(directory.iterdir())) < event["expected"]:
        if time.monotonic() > deadline:
            return _answer(met=False)
        time.sleep(0.01)
    return _answer(met=True)


def fail(event: dict[str, Any], context: Any) -> dict[str, Any]:
    raise ValueError("the function failed")


def die(event: dict[str, Any], context: Any) -> dict[str, Any]:
    os._exit(3)
