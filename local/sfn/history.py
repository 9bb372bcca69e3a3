"""History events: numbered in order, each naming the event it follows, stored with the transition.

An execution holds at most ``HISTORY_EVENT_LIMIT`` events, its end included: an event due past the
last one before it is not recorded, and the execution fails with the end Step Functions gives it."""

from __future__ import annotations

from typing import Any

from local.sfn.runs import Execution, Run
from local.sfn.store import dumps

HISTORY_EVENT_LIMIT = 25_000  # Step Functions' quota of events per execution
HISTORY_FULL_ERROR = "States.Runtime"
HISTORY_FULL_CAUSE = f"The execution reached the maximum number of history events ({HISTORY_EVENT_LIMIT})."


def emit(
    execution: Execution,
    run: Run | None,
    now: float,
    event_type: str,
    details_key: str | None = None,
    details: dict[str, Any] | None = None,
    previous: int | None = None,
) -> int:
    """Add an event; ``previous`` defaults to the run's last event (the execution's, without a run)."""
    event_id = execution.next_event_id
    if event_id >= HISTORY_EVENT_LIMIT and not event_type.startswith("Execution"):  # only its end fits
        execution.history_full = True
        return event_id
    execution.next_event_id += 1
    if previous is None:
        previous = run.last_event_id if run is not None else event_id - 1
    body = dumps([details_key, details]) if details_key else None
    execution.pending_events.append((event_id, now, event_type, previous, body))
    if run is not None:
        run.last_event_id = event_id
        execution.touch(run)
    return event_id
