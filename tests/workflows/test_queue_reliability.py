"""Queue progression when things go wrong: a task run twice changes nothing more, a database outage
beyond the retries stops the execution at that task until it is redriven, a counter acting before
the workflow waits for it is not lost, and an action given while Step Functions is out of reach
stands and reaches the workflow once it is back."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select

from lambdas.shared import waiting
from lambdas.shared.db.queue.models import QueueEvent, Ticket
from lambdas.shared.db.unit_of_work import UnitOfWork
from lambdas.shared.errors import DatabaseUnavailable, DomainError, TicketEnded
from lambdas.shared.queue import desk
from lambdas.shared.queue.tickets import CheckIn, check_in
from lambdas.tasks import queue_progression as tasks
from local.seed import SITE_ID, seed
from local.sfn.service import StepFunctionsService
from tests.databases import ON_BOTH_DATABASES
from tests.events import api_event, call_api, lambda_context
from tests.signals import answer_to
from tests.workflows.conftest import Queue, StepFunctions
from tests.workflows.test_queue_progression import GRACE, PER_STATION, called, configure, parked, with_sms_consent
from workflows.queue_progression import WORKFLOW

pytestmark = ON_BOTH_DATABASES

Outage = Callable[[str], dict[str, bool]]


@pytest.fixture
def queue(queue: Queue) -> Queue:
    configure()
    return queue


# --- every task run twice --------------------------------------------------------------------------------


@pytest.fixture
def site(database_url: str) -> str:
    seed()
    configure()
    return SITE_ID


def walk_in() -> str:
    with UnitOfWork("desk-1") as uow:
        return check_in(uow, SITE_ID, CheckIn(display_name="Awa", journey=["reception"]), "desk-1").ticket_id


def park(ticket_id: str, waiting_for: str, token: str) -> None:
    with UnitOfWork("test") as uow:
        waiting.park(uow.queue.lock(ticket_id), waiting_for, token)


def call(ticket_id: str) -> None:
    with UnitOfWork("desk-1") as uow:
        desk.call_ticket(uow, ticket_id, "desk-1", "desk-1")


def state(ticket_id: str) -> tuple[dict[str, Any], list[tuple[Any, ...]]]:
    """Everything the database holds of the ticket: its row and its events."""
    with UnitOfWork("test") as uow:
        ticket = uow.session.get(Ticket, ticket_id)
        row = {column.key: getattr(ticket, column.key) for column in Ticket.__mapper__.column_attrs}
        query = select(QueueEvent).filter_by(ticket_id=ticket_id).order_by(QueueEvent.id)
        events = [(e.id, e.kind, e.station_id, e.counter, e.actor, e.details) for e in uow.session.scalars(query)]
    return row, events


def twice(handler: Callable[..., Any], ticket_id: str, **payload: Any) -> Any:
    """Run a task twice with the same payload: the same answer (or error) and the same database after
    the second run as after the first; the answer."""
    answers, states = [], []
    for _ in range(2):
        try:
            answers.append(handler({"ticket_id": ticket_id, **payload}, lambda_context()))
        except DomainError as error:
            answers.append((type(error), str(error)))
        states.append(state(ticket_id))
    assert answers[1] == answers[0], handler.__name__
    assert states[1] == states[0], handler.__name__
    return answers[0]


def test_entering_a_station_and_parking_twice_change_nothing_more(site: str) -> None:
    ticket = walk_in()
    station = [tasks.enter_station({"ticket_id": ticket}, lambda_context()) for _ in range(2)]
    assert station[0]["grace_seconds"] == station[1]["grace_seconds"] == GRACE
    assert abs(station[0]["closes_in"] - station[1]["closes_in"]) <= 1  # seconds go by between the two
    assert twice(tasks.await_ticket, ticket, waiting_for="call", token="token-1")["waiting_for"] == "call"
    assert parked(ticket) == ("call", "token-1")
    # Once the counter called: the wait for the call is over, the one for the person parks once
    call(ticket)
    twice(tasks.await_ticket, ticket, waiting_for="call", token="token-2")
    assert answer_to("token-2") == {"ticket_id": ticket, "status": "called"}
    twice(tasks.await_ticket, ticket, waiting_for="arrival", token="token-3")
    assert parked(ticket) == ("arrival", "token-3")


def test_missing_a_call_twice_recalls_once_and_ends_once(site: str) -> None:
    ticket = walk_in()
    call(ticket)
    park(ticket, "arrival", "token-1")
    # The first miss: recalled once
    assert twice(tasks.miss_call, ticket) == {"ticket_id": ticket}
    row, events = state(ticket)
    assert (row["status"], row["recalled"], row["waiting_for"]) == ("waiting", True, None)
    assert [kind for _, kind, *_ in events] == ["checked_in", "called", "recalled"]
    # The second: a no-show once
    call(ticket)
    park(ticket, "arrival", "token-2")
    assert twice(tasks.miss_call, ticket) == (TicketEnded, "no_show")
    row, events = state(ticket)
    assert row["status"] == "no_show"
    assert [kind for _, kind, *_ in events] == ["checked_in", "called", "recalled", "called", "no_show"]
    # and a wait that starts after the day is over ends the workflow, whatever it waits for
    assert twice(tasks.await_ticket, ticket, waiting_for="arrival", token="token-3") == (TicketEnded, "no_show")


def test_expiring_twice_expires_once(site: str) -> None:
    ticket = walk_in()
    park(ticket, "call", "token-1")
    assert twice(tasks.expire_ticket, ticket) == (TicketEnded, "expired")
    row, events = state(ticket)
    assert (row["status"], row["waiting_for"], row["task_token"]) == ("expired", None, None)
    assert [kind for _, kind, *_ in events] == ["checked_in", "expired"]
    assert twice(tasks.enter_station, ticket) == (TicketEnded, "expired")


# --- the database down beyond the retries -----------------------------------------------------------------


def failed_tasks(queue: Queue, ticket_id: str) -> list[str]:
    return [
        event["taskFailedEventDetails"]["error"] for event in queue.history(ticket_id) if event["type"] == "TaskFailed"
    ]


def test_a_missed_call_the_database_refuses_fails_there_and_a_redrive_recalls_once(
    queue: Queue, outage: Outage
) -> None:
    # Given a called ticket, and the database refusing to record queue events for longer than the retries
    ticket = queue.check_in(journey=["reception"])["ticket_id"]
    assert called(queue) == ticket
    down = outage("INSERT INTO queue_events")
    # When the grace period passes and MissCall is tried five times
    queue.advance(GRACE + 1)
    for _ in range(4):
        queue.advance(60)
    # Then the execution failed at MissCall, ready to be redriven, and the ticket is as it was
    execution = queue.execution(ticket)
    assert (execution["status"], execution["error"], execution["redriveStatus"]) == (
        "FAILED", "DatabaseUnavailable", "REDRIVABLE",
    )  # fmt: skip
    assert failed_tasks(queue, ticket) == ["DatabaseUnavailable"] * 5
    assert queue.entered(ticket) == [*PER_STATION[:3], "MissCall"]
    assert queue.ticket(ticket)["status"] == "called"
    assert queue.events(ticket) == [("checked_in", "reception"), ("called", "reception")]
    # When the database is back and ops redrive
    down["down"] = False
    queue.service.RedriveExecution({"executionArn": queue.arn(ticket)})
    queue.settle()
    # Then the ticket is recalled once, and its day goes on to its end
    assert queue.ticket(ticket)["recalled"] is True
    assert called(queue) == ticket
    assert queue.act(ticket, "arrived")[0] == 200
    assert queue.act(ticket, "complete", {})[1]["status"] == "completed"
    assert queue.outcome(ticket) == "completed"
    assert [kind for kind, _ in queue.events(ticket)] == [
        "checked_in", "called", "recalled", "called", "arrived", "served", "completed",
    ]  # fmt: skip
    assert queue.entered(ticket) == [
        *PER_STATION[:3],
        "MissCall",
        "MissCall",
        *PER_STATION,
        "EnterStation",
        "ReadOutcome",
        "Ended",
    ]


def test_a_counter_acting_while_the_execution_is_failed_is_kept_and_the_redrive_follows(
    queue: Queue, outage: Outage
) -> None:
    # Given an execution failed at MissCall (the database was down)
    ticket = queue.check_in(journey=["reception"])["ticket_id"]
    assert called(queue) == ticket
    down = outage("INSERT INTO queue_events")
    queue.advance(GRACE + 1)
    for _ in range(4):
        queue.advance(60)
    assert queue.execution(ticket)["status"] == "FAILED"
    down["down"] = False
    # When the person reaches the counter before ops redrive (the wait it answers has timed out)
    status, view = queue.act(ticket, "arrived")
    assert (status, view["status"]) == (200, "serving")
    # Then the redrive finds the ticket served, not missed: no recall, and the service can end
    queue.service.RedriveExecution({"executionArn": queue.arn(ticket)})
    queue.settle()
    assert parked(ticket)[0] == "service_end"
    assert queue.act(ticket, "complete", {})[1]["status"] == "completed"
    assert queue.outcome(ticket) == "completed"
    assert [kind for kind, _ in queue.events(ticket)] == ["checked_in", "called", "arrived", "served", "completed"]


def handler_of(service: StepFunctionsService, task: str) -> Any:
    return service.engine.functions.resolve(WORKFLOW.function_name(task))


def test_a_missed_call_whose_answer_is_lost_after_it_committed_is_retried_harmlessly(
    queue: Queue, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given MissCall's first run commits, then its answer is lost (the connection drops after the commit)
    function = handler_of(queue.service, "MissCall")
    real, runs = function.handler(), []

    def lost_answer(event: dict[str, Any], context: Any) -> Any:
        runs.append(real(event, context))
        if len(runs) == 1:
            raise DatabaseUnavailable("Lost connection to server during query")
        return runs[-1]

    monkeypatch.setattr(function, "_handler", lost_answer)
    ticket = queue.check_in(journey=["reception"])["ticket_id"]
    assert called(queue) == ticket
    # When the grace period passes and the engine retries MissCall
    queue.advance(GRACE + 1)
    queue.advance(60)
    # Then the retry finds the ticket recalled and goes on: one recalled event, the ticket waiting again
    assert len(runs) == 2
    assert failed_tasks(queue, ticket) == ["DatabaseUnavailable"]
    assert queue.events(ticket) == [(kind, "reception") for kind in ("checked_in", "called", "recalled")]
    assert queue.entered(ticket) == [*PER_STATION[:3], "MissCall", "EnterStation", "AwaitCall"]
    assert parked(ticket)[0] == "call"


# --- actions taken before the workflow waits for them --------------------------------------------------


class Gate:
    """Holds the AwaitTicket tasks of the waits named before they read the ticket, until let through:
    what a slow engine does between one state and the next."""

    def __init__(self, service: StepFunctionsService, monkeypatch: pytest.MonkeyPatch, *waits: str) -> None:
        function = handler_of(service, "AwaitTicket")
        real = function.handler()
        self.reached = {wait: threading.Event() for wait in waits}
        self.opened = {wait: threading.Event() for wait in waits}

        def held(event: dict[str, Any], context: Any) -> Any:
            wait = event["waiting_for"]
            if wait in self.reached:
                self.reached[wait].set()
                assert self.opened[wait].wait(30), f"the {wait} wait was never let through"
            return real(event, context)

        monkeypatch.setattr(function, "_handler", held)

    def holding(self, wait: str) -> None:
        assert self.reached[wait].wait(30), f"the workflow never reached its {wait} wait"

    def open(self, wait: str) -> None:
        self.opened[wait].set()


def test_a_call_and_an_arrival_before_the_workflow_waits_for_them_are_not_lost(
    queue: Queue, monkeypatch: pytest.MonkeyPatch
) -> None:
    gate = Gate(queue.service, monkeypatch, "call", "arrival")
    # Given a check-in whose workflow has not parked the ticket yet
    status, checked = call_api(api_event("POST", f"/sites/{SITE_ID}/tickets", body={"journey": ["reception"]}))
    assert status == 201, checked
    ticket = checked["ticket_id"]
    gate.holding("call")
    # When the counter calls it at once (there is no token to answer)
    path = f"/sites/{SITE_ID}/stations/reception/call-next"
    status, view = call_api(api_event("POST", path, body={"counter": "desk-1"}))
    assert (status, view["ticket_id"], view["status"]) == (200, ticket, "called")
    # Then the workflow, reaching the wait for the call, goes straight to the wait for the person
    gate.open("call")
    gate.holding("arrival")
    # When the person arrives before that wait parks
    status, view = call_api(api_event("POST", f"/tickets/{ticket}/arrived"))
    assert (status, view["status"]) == (200, "serving")
    gate.open("arrival")
    queue.settle()
    # Then the workflow waits for the service's end, and the journey completes
    assert parked(ticket)[0] == "service_end"
    assert failed_tasks(queue, ticket) == []  # each wait was answered at once, as staff would have
    assert queue.act(ticket, "complete", {})[1]["status"] == "completed"
    assert queue.outcome(ticket) == "completed"
    assert [kind for kind, _ in queue.events(ticket)] == ["checked_in", "called", "arrived", "served", "completed"]
    assert queue.entered(ticket) == [*PER_STATION, "EnterStation", "ReadOutcome", "Ended"]


# --- Step Functions unreachable ---------------------------------------------------------------------------


def test_an_action_given_while_step_functions_is_unreachable_stands_and_reaches_the_workflow_later(
    queue: Queue, monkeypatch: pytest.MonkeyPatch
) -> None:
    step_functions = StepFunctions(monkeypatch)
    ticket = queue.check_in()["ticket_id"]
    # When the counter calls while Step Functions cannot be reached
    step_functions.cut()
    status, view = queue.call_next()
    # Then the call stands: the person is called, and nobody else is
    assert (status, view["ticket_id"], view["status"]) == (200, ticket, "called")
    assert queue.call_next(counter="desk-2")[0] == 204
    assert queue.entered(ticket) == PER_STATION[:2]
    # When it is back, the relay wakes the workflow, which waits for the person now
    step_functions.restore()
    assert step_functions.relay() == {"delivered": 1}
    queue.settle()
    assert parked(ticket)[0] == "arrival"
    assert queue.act(ticket, "arrived")[0] == 200
    # The same for a completion that sends the ticket on to the next station
    step_functions.cut()
    status, view = queue.act(ticket, "complete", {"next_station": "frame-fitting"})
    assert (status, view["status"], view["station_id"]) == (200, "waiting", "frame-fitting")
    assert queue.events(ticket)[-1] == ("served", "reception")
    step_functions.restore()
    assert step_functions.relay() == {"delivered": 1}
    queue.settle()
    assert queue.entered(ticket) == [*PER_STATION, *PER_STATION[:2]]
    assert parked(ticket)[0] == "call"


def test_a_cancellation_given_while_step_functions_is_unreachable_ends_the_ticket_and_its_workflow(
    queue: Queue, monkeypatch: pytest.MonkeyPatch
) -> None:
    step_functions = StepFunctions(monkeypatch)
    ticket = queue.check_in(display_name="Mariam Koné")["ticket_id"]
    step_functions.cut()
    status, view = queue.act(ticket, "cancel")
    assert (status, view["status"]) == (200, "cancelled")
    assert queue.ticket(ticket)["display_name"] is None  # a walk-in's name goes with the ticket's end
    step_functions.restore()
    assert step_functions.relay() == {"delivered": 1}
    queue.settle()
    assert queue.outcome(ticket) == "cancelled"


def test_a_check_in_while_step_functions_is_unreachable_is_numbered_and_followed_once_it_is_back(
    queue: Queue, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given Step Functions out of reach
    step_functions = StepFunctions(monkeypatch)
    step_functions.cut()
    # When a person is checked in, with a key or without
    numbered = [queue.check_in(key=key, display_name="Awa") for key in ("desk-1-0001", None)]
    # Then both have their numbers and places at once, and the same key gives back the same ticket
    assert [(t["number"], t["position"]) for t in numbered] == [("A001", 1), ("A002", 2)]
    again = queue.check_in(key="desk-1-0001", display_name="Awa")
    assert (again["ticket_id"], again["number"]) == (numbered[0]["ticket_id"], "A001")
    # And once it is back, the relay starts their workflows, which wait for their calls
    step_functions.restore()
    assert step_functions.relay() == {"delivered": 2}
    queue.settle()
    for ticket in numbered:
        assert queue.execution(ticket["ticket_id"])["executionArn"] == ticket["execution_arn"]
        assert parked(ticket["ticket_id"])[0] == "call"
    assert called(queue) == numbered[0]["ticket_id"]


def test_a_person_at_the_counter_before_the_workflow_waits_for_them_still_moves_the_queue_up(
    site: str, make_client: Callable[..., Any]
) -> None:
    # Given a walk-in, then a client with SMS consent behind them
    from lambdas.shared.db.notifications.models import Notification

    client = with_sms_consent(make_client)
    first = walk_in()
    with UnitOfWork("desk-1") as uow:
        check_in(uow, SITE_ID, CheckIn(client_id=client.id, journey=["reception"]), "desk-1")
    # When the walk-in is called and at the counter before the workflow parks on their arrival
    call(first)
    with UnitOfWork("desk-1") as uow:
        desk.mark_arrived(uow, first, "desk-1")
    twice(tasks.await_ticket, first, waiting_for="arrival", token="token-1")
    # Then the wait is answered at once, and the client now next is texted all the same, once
    assert answer_to("token-1") == {"ticket_id": first, "status": "serving"}
    with UnitOfWork("test") as uow:
        texts = uow.session.scalars(select(Notification).filter_by(client_id=client.id, template="ticket_next")).all()
    assert len(texts) == 1
