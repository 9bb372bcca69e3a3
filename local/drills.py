"""Demos and drills on a running local runtime, through its Step Functions endpoint:

    python -m local clock +7d            # a week goes by: Waits, timeouts and reminders due by then fire
    python -m local fault ReserveFrame   # the next call of that task fails, as a bug would fail it

The clock only moves forward, and stays moved when the runtime restarts (executions hold deadlines on
it); the database's own times (when a ticket was called, a message sent) stay the machine's.
"""

from __future__ import annotations

import http.client
import json
import re
import sys
import time
from typing import Any
from urllib.parse import urlsplit

from local.config import LocalSettings
from local.sfn.http import base_url

UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 7 * 86_400}
DURATION = re.compile(r"\+?((?:\d+[smhdw])+|\d+)")
FAULT_ERROR = "UnexpectedError"  # what ops see when a task fails for a reason nobody planned


class DrillRefused(Exception):
    """The runtime cannot be reached, or refused what was asked: the message says why."""


def parse_duration(text: str) -> int:
    """``+7d``, ``90m``, ``1d12h``, ``3600`` (seconds) → seconds."""
    if not DURATION.fullmatch(text.strip()):
        raise DrillRefused(f"not a duration: {text!r} (write it as +7d, +90m, +1d12h or a number of seconds)")
    parts = re.findall(r"(\d+)([smhdw]?)", text)
    return sum(int(number) * UNITS[unit or "s"] for number, unit in parts)


def call(settings: LocalSettings, operation: str, request: dict[str, Any]) -> dict[str, Any]:
    """One of the engine's own operations (``local.sfn.local_operations``) on the running runtime."""
    url = base_url(settings.host, settings.sfn_port)
    connection = http.client.HTTPConnection(urlsplit(url).hostname or settings.host, settings.sfn_port, timeout=300)
    headers = {"X-Amz-Target": f"LocalStepFunctions.{operation}", "Content-Type": "application/x-amz-json-1.0"}
    try:
        connection.request("POST", "/", body=json.dumps(request), headers=headers)
        response = connection.getresponse()
        status, answer = response.status, json.loads(response.read() or b"{}")
    except OSError as error:
        raise DrillRefused(f"the local runtime does not answer on {url} ({error}): is `make dev` running?") from error
    finally:
        connection.close()
    if status != 200:
        raise DrillRefused(answer.get("message") or f"the runtime answered {status}")
    return answer


def advance_clock(settings: LocalSettings, duration: str) -> str:
    """Move the runtime's Step Functions clock forward; what to print."""
    answer = call(settings, "AdvanceClock", {"seconds": parse_duration(duration)})
    ahead = _words(_seconds_of(answer["now"]) - time.time())
    return f"the local Step Functions' clock is at {answer['now']}, {ahead} ahead of this machine's"


def inject_fault(settings: LocalSettings, task: str, error: str, times: int) -> str:
    """Make the next ``times`` calls of ``task``'s function fail with ``error``; what to print."""
    function = _function(settings, task)
    name = function["functionName"]
    message = f"InjectedFault at the start of {name} (python -m local fault): redrive the execution to run it again"
    answer = call(settings, "InjectFault", {"functionName": name, "error": error, "message": message, "times": times})
    calls = "call" if times == 1 else f"{times} calls"
    states = ", ".join(function["states"]) or "no state"
    return f"the next {calls} of {name} ({states}) will fail with {error} ({answer['pendingFaults']} pending)"


def list_functions(settings: LocalSettings) -> str:
    answer = call(settings, "ListFunctions", {})
    lines = [
        f"{', '.join(each['states']) or '-'}: {each['functionName']} ({each['pendingFaults']} faults pending)"
        for each in answer["functions"]
    ]
    return "\n".join([*lines, f"the local Step Functions' clock: {answer['now']}"])


def _function(settings: LocalSettings, task: str) -> dict[str, Any]:
    """The function ``task`` names: a Task state's name (``AwaitLab``), or the function's own name."""
    functions = call(settings, "ListFunctions", {})["functions"]
    found = [each for each in functions if task in (each["functionName"], *each["states"])]
    if len(found) == 1:
        return found[0]
    which = "names several functions" if found else "is no task of the runtime"
    listed = [f"{', '.join(each['states']) or '-'} ({each['functionName']})" for each in found or functions]
    raise DrillRefused(f"{task} {which}; the tasks:\n  " + "\n  ".join(listed))


def _seconds_of(timestamp: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(timestamp.replace("Z", "+00:00")).timestamp()


def _words(seconds: float) -> str:
    days, rest = divmod(round(seconds), 86_400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    parts = [f"{days} d" * bool(days), f"{hours} h" * bool(hours), f"{minutes} min" * bool(minutes)]
    return " ".join(part for part in parts if part) or "no time"


def main(command: str, settings: LocalSettings, **options: Any) -> int:
    try:
        if command == "clock":
            print(advance_clock(settings, options["duration"]))
        elif options.get("task"):
            print(inject_fault(settings, options["task"], options["error"], options["times"]))
        else:
            print(list_functions(settings))
    except DrillRefused as refused:
        print(refused, file=sys.stderr)
        return 2
    return 0
