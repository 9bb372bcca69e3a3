"""History events: numbered in order, each naming the event it follows, stored with the transition."""

from __future__ import annotations

from typing import Any

from local.sfn.runs import Execution, Run
from local.sfn.store import dumps


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
    execution.next_event_id += 1
    if previous is None:
        previous = run.last_event_id if run is not None else event_id - 1
    body = dumps([details_key, details]) if details_key else None
    execution.pending_events.append((event_id, now, event_type, previous, body))
    if run is not None:
        run.last_event_id = event_id
        execution.touch(run)
    return event_id
