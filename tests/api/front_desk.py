"""The queue routes as the front desk calls them, on the local site (``local.seed``: reception A with
desk-1 and desk-2, eye-exam E with room-1, frame-fitting F with fitting-1, open all day), with Step
Functions stubbed: executions start and nothing waits, so every action is the route's own work."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update

from lambdas.shared.db.queue.models import QueueEvent, Ticket, TicketCounter
from lambdas.shared.db.records.models import IdempotencyRecord
from lambdas.shared.db.rows import rowcount
from lambdas.shared.db.unit_of_work import UnitOfWork
from lambdas.shared.queue.sites import service_day
from local.seed import SITE_ID, seed
from tests.events import SERVICES, api_event, call_api
from workflows.declaration import Workflow

FRONT_DESK = ("front-desk",)
MANAGERS = ("managers",)


class StepFunctions:
    """What the routes ask of Step Functions: an execution starts; no execution ever waits here."""

    def __init__(self) -> None:
        self.started: list[str] = []

    def start(self, workflow: Workflow, entity_id: str, payload: dict[str, Any]) -> str:
        self.started.append(entity_id)
        return f"arn:aws:states:us-east-1:000000000000:execution:{workflow.name}:{workflow.execution_name(entity_id)}"

    def resume(self, token: str, output: dict[str, Any]) -> None:
        raise AssertionError("no execution waits in these tests: nothing to resume")


def open_site(monkeypatch: pytest.MonkeyPatch) -> StepFunctions:
    """The local site configured, Step Functions stubbed (the caller holds a fresh database)."""
    stub = StepFunctions()
    monkeypatch.setitem(SERVICES, "workflows", lambda: stub)
    seed()
    return stub


def post(path: str, body: Any = None, *, headers: dict[str, str] | None = None, groups=FRONT_DESK):
    return call_api(api_event("POST", path, body=body, headers=headers, groups=groups))


def get(path: str, query: dict[str, Any] | None = None, *, groups=FRONT_DESK):
    return call_api(api_event("GET", path, query=query, groups=groups))


def check_in(site_id: str = SITE_ID, **body: Any) -> dict[str, Any]:
    status, answer = post(f"/sites/{site_id}/tickets", body)
    assert status == 201, answer
    return answer


def call_next(station_id: str = "reception", counter: str = "desk-1") -> dict[str, Any]:
    status, answer = post(f"/sites/{SITE_ID}/stations/{station_id}/call-next", {"counter": counter})
    assert status == 200, answer
    return answer


def act(ticket_id: str, action: str, body: Any = None) -> tuple[int, Any]:
    return post(f"/tickets/{ticket_id}/{action}", body)


def done(ticket_id: str, action: str, body: Any = None) -> dict[str, Any]:
    status, answer = act(ticket_id, action, body)
    assert status == 200, answer
    return answer


def serve(ticket_id: str, counter: str) -> dict[str, Any]:
    """Call the ticket to ``counter``, see the person arrive, complete the service."""
    done(ticket_id, "call", {"counter": counter})
    done(ticket_id, "arrived")
    return done(ticket_id, "complete", {})


def ticket(ticket_id: str) -> dict[str, Any]:
    status, answer = get(f"/tickets/{ticket_id}")
    assert status == 200, answer
    return answer


def events(ticket_id: str) -> list[tuple[Any, ...]]:
    """(id, kind, station, counter, seconds) of the ticket's queue events, in order."""
    with UnitOfWork("test") as uow:
        query = select(QueueEvent).filter_by(ticket_id=ticket_id).order_by(QueueEvent.id)
        return [(e.id, e.kind, e.station_id, e.counter, e.seconds) for e in uow.session.scalars(query)]


def stored() -> dict[str, int]:
    """How many tickets, numbers taken, events and Idempotency-Keys the database holds."""
    with UnitOfWork("test") as uow:
        count = uow.session.execute
        return {
            "tickets": count(select(func.count()).select_from(Ticket)).scalar_one(),
            "numbers": count(select(func.coalesce(func.sum(TicketCounter.last_number), 0))).scalar_one(),
            "events": count(select(func.count()).select_from(QueueEvent)).scalar_one(),
            "keys": count(select(func.count()).select_from(IdempotencyRecord)).scalar_one(),
        }


NOTHING = {"tickets": 0, "numbers": 0, "events": 0, "keys": 0}


def fields(answer: dict[str, Any]) -> list[str]:
    return [detail["field"] for detail in answer["details"]]


def today() -> str:
    return service_day("Europe/Paris").isoformat()


def set_seconds(ticket_id: str, kind: str, station_id: str, seconds: int) -> None:
    """What the event measured (a wait or a service), as if it had lasted ``seconds``."""
    with UnitOfWork("test") as uow:
        changed = rowcount(
            uow.session.execute(
                update(QueueEvent)
                .where(QueueEvent.ticket_id == ticket_id, QueueEvent.kind == kind, QueueEvent.station_id == station_id)
                .where(QueueEvent.seconds.is_not(None))
                .values(seconds=seconds)
            )
        )
        assert changed == 1, f"{ticket_id} has {changed} measured {kind} events at {station_id}"


def move_events_back(ticket_id: str, kind: str, minutes: int) -> None:
    """The ticket's ``kind`` events happened ``minutes`` earlier."""
    with UnitOfWork("test") as uow:
        for event in uow.session.scalars(select(QueueEvent).filter_by(ticket_id=ticket_id, kind=kind)):
            event.at -= timedelta(minutes=minutes)
