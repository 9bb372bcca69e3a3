"""The queue-progression workflow in the local engine with the real handlers and the API: a ticket's
day from check-in to its last station, and every way it can end."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from lambdas.shared.db.queue.models import QueueEvent, Ticket
from lambdas.shared.db.unit_of_work import UnitOfWork
from lambdas.shared.queue.sites import WEEKDAYS, configure_site, configure_station
from local.seed import SITE, SITE_ID, STATIONS
from tests.databases import ON_BOTH_DATABASES
from tests.workflows.conftest import Queue, midday_zone

pytestmark = ON_BOTH_DATABASES

PER_STATION = ["EnterStation", "AwaitCall", "AwaitArrival", "AwaitServiceEnd"]  # a station's happy path
GRACE = SITE.grace_seconds


def configure(**changes: Any) -> None:
    """Configure the local site again with ``changes``; open all day by default, in a zone where it is
    mid-day now, so that no test's clock reaches closing time whatever the hour it runs."""
    settings = {"timezone": midday_zone(), "default_journey": list(STATIONS), **changes}
    with UnitOfWork("manager") as uow:
        configure_site(uow, SITE_ID, SITE.model_copy(update=settings), "manager")


@pytest.fixture
def queue(queue: Queue) -> Queue:
    configure()
    return queue


def check_in(queue: Queue, **body: Any) -> str:
    return queue.check_in(**body)["ticket_id"]


def four_counters_at_reception() -> None:
    """Each call below from a counter of its own: a counter calls one person at a time."""
    with UnitOfWork("manager") as uow:
        station = STATIONS["reception"].model_copy(update={"counters": ["desk-1", "desk-2", "desk-3", "desk-4"]})
        configure_station(uow, SITE_ID, "reception", station, "manager")


def called(queue: Queue, station_id: str = "reception", counter: str = "desk-1") -> str:
    """The ticket call-next called."""
    status, view = queue.call_next(station_id, counter)
    assert status == 200, view
    return view["ticket_id"]


def parked(ticket_id: str) -> tuple[str | None, str | None]:
    """What the ticket's workflow waits for, and its task token, as the row says."""
    with UnitOfWork("test") as uow:
        ticket = uow.session.get(Ticket, ticket_id)
        return ticket.waiting_for, ticket.task_token


def details(ticket_id: str, kind: str) -> list[dict[str, Any]]:
    """The details of the ticket's ``kind`` events, in order."""
    with UnitOfWork("test") as uow:
        query = select(QueueEvent).filter_by(ticket_id=ticket_id, kind=kind).order_by(QueueEvent.id)
        return [event.details for event in uow.session.scalars(query)]


def test_a_whole_journey_through_three_stations(queue: Queue) -> None:
    ticket = queue.check_in(display_name="Moussa")
    assert (ticket["number"], ticket["station_id"], ticket["position"]) == ("A001", "reception", 1)
    for station, counter in (("reception", "desk-2"), ("eye-exam", "room-1"), ("frame-fitting", "fitting-1")):
        assert queue.ticket(ticket["ticket_id"])["station_id"] == station
        answer = queue.serve(ticket["ticket_id"], station, counter)
    assert answer["status"] == "completed"
    assert queue.outcome(ticket["ticket_id"]) == "completed"
    assert queue.events(ticket["ticket_id"]) == [
        ("checked_in", "reception"),
        *[
            (kind, station)
            for station in ("reception", "eye-exam", "frame-fitting")
            for kind in ("called", "arrived", "served")
        ],
        ("completed", "frame-fitting"),
    ]
    assert queue.entered(ticket["ticket_id"]) == [
        *PER_STATION * 3,
        "EnterStation",
        "ReadOutcome",
        "Ended",
    ]  # 15 transitions


# --- who is called first ---------------------------------------------------------------------------------


def test_priority_goes_first_but_never_more_than_the_streak_while_a_normal_ticket_waits(queue: Queue) -> None:
    # Given at most two priority calls in a row while someone normal waits, and the normal ticket first
    configure(priority_streak=2)
    normal = check_in(queue, display_name="Awa")
    urgent = [check_in(queue, priority={"reason": reason}) for reason in ("pregnancy", "disability", "elderly")]
    # When four counters call
    four_counters_at_reception()
    calls = [called(queue, counter=counter) for counter in ("desk-1", "desk-2", "desk-3", "desk-4")]
    # Then two priority tickets, the normal one, then the last priority one
    assert calls == [urgent[0], urgent[1], normal, urgent[2]]
    assert [details(ticket, "called")[0]["priority"] for ticket in calls] == [
        "pregnancy", "disability", "none", "elderly",
    ]  # fmt: skip
    # and each ticket's workflow now waits for its person to reach the counter
    for ticket in calls:
        assert queue.ticket(ticket)["status"] == "called"
        assert queue.entered(ticket) == ["EnterStation", "AwaitCall", "AwaitArrival"]
        assert parked(ticket)[0] == "arrival"


def test_a_due_appointment_goes_before_walk_ins_and_a_later_one_does_not(queue: Queue) -> None:
    now = datetime.now(UTC)
    walk_in = check_in(queue, display_name="Awa")
    later = check_in(queue, appointment_at=(now + timedelta(hours=2)).isoformat())
    due = check_in(queue, appointment_at=(now - timedelta(minutes=5)).isoformat())
    assert [queue.ticket(ticket)["position"] for ticket in (due, walk_in, later)] == [1, 2, 3]
    four_counters_at_reception()
    assert [called(queue, counter=f"desk-{n}") for n in (1, 2, 3)] == [due, walk_in, later]
    assert queue.call_next(counter="desk-4") == (204, None)


# --- a called person who does not come ------------------------------------------------------------------


def test_a_person_who_misses_the_call_is_recalled_first_and_can_still_be_served(queue: Queue) -> None:
    # Given a ticket called, then a priority ticket checked in
    ticket = check_in(queue, journey=["reception"])
    assert called(queue) == ticket
    urgent = check_in(queue, priority={"reason": "pregnancy"})
    # When the grace period passes without the person
    queue.advance(GRACE - 1)
    assert queue.ticket(ticket)["status"] == "called"
    queue.advance(2)
    # Then the ticket is back at the front of the queue, recalled
    view = queue.ticket(ticket)
    assert (view["status"], view["recalled"], view["counter"], view["position"]) == ("waiting", True, None, 1)
    assert queue.ticket(urgent)["position"] == 2
    assert details(ticket, "recalled") == [{"automatic": True}]
    # and it is the next one called, ahead of the priority ticket
    status, view = queue.call_next(counter="desk-2")
    assert (status, view["ticket_id"], view["recalled"], view["counter"]) == (200, ticket, True, "desk-2")
    assert [event["recalled"] for event in details(ticket, "called")] == [False, True]
    # When the person comes this time
    assert queue.act(ticket, "arrived")[0] == 200
    assert queue.act(ticket, "complete", {})[1]["status"] == "completed"
    # Then the day is complete
    assert queue.outcome(ticket) == "completed"
    assert queue.events(ticket) == [
        (kind, "reception") for kind in ("checked_in", "called", "recalled", "called", "arrived", "served", "completed")
    ]
    assert queue.entered(ticket) == [*PER_STATION[:3], "MissCall", *PER_STATION, "EnterStation", "ReadOutcome", "Ended"]


def test_two_missed_calls_make_a_no_show(queue: Queue) -> None:
    ticket = check_in(queue, journey=["reception"])
    for _ in range(2):
        assert called(queue) == ticket
        queue.advance(GRACE + 1)
    assert queue.outcome(ticket) == "no_show"
    view = queue.ticket(ticket)
    assert (view["status"], view["position"]) == ("no_show", None)
    assert view["ended_at"] is not None
    assert queue.events(ticket) == [
        (kind, "reception") for kind in ("checked_in", "called", "recalled", "called", "no_show")
    ]
    assert details(ticket, "no_show") == [{"automatic": True}]
    assert queue.entered(ticket) == [*PER_STATION[:3], "MissCall", *PER_STATION[:3], "MissCall", "ReadOutcome", "Ended"]
    assert queue.call_next() == (204, None)


def test_a_recall_by_the_counter_counts_as_the_first_miss(queue: Queue) -> None:
    ticket = check_in(queue, journey=["reception"])
    assert called(queue) == ticket
    # When the counter recalls the ticket by hand
    status, view = queue.act(ticket, "recall")
    assert (status, view["status"], view["recalled"]) == (200, "waiting", True)
    assert details(ticket, "recalled") == [{}]  # the staff's, not the grace period's
    assert parked(ticket)[0] == "call"
    # Then one missed call more is a no-show
    assert called(queue) == ticket
    queue.advance(GRACE + 1)
    assert queue.outcome(ticket) == "no_show"
    assert queue.events(ticket) == [
        (kind, "reception") for kind in ("checked_in", "called", "recalled", "called", "no_show")
    ]


# --- the counter's other actions -------------------------------------------------------------------------


def test_a_no_show_marked_by_the_counter_ends_the_ticket(queue: Queue) -> None:
    ticket = check_in(queue)
    assert called(queue) == ticket
    status, view = queue.act(ticket, "no-show")
    assert (status, view["status"]) == (200, "no_show")
    assert queue.outcome(ticket) == "no_show"
    assert queue.events(ticket) == [("checked_in", "reception"), ("called", "reception"), ("no_show", "reception")]
    status, answer = queue.act(ticket, "arrived")
    assert (status, answer["error"]) == (409, "conflict")
    assert "is no_show" in answer["message"]


def test_a_transfer_from_a_counter_keeps_the_check_in_time(queue: Queue) -> None:
    # Given Awa at the reception counter, and Binta, checked in after her, waiting for frame fitting
    awa = queue.check_in(display_name="Awa")
    binta = check_in(queue, journey=["frame-fitting"])
    assert called(queue) == awa["ticket_id"]
    assert queue.act(awa["ticket_id"], "arrived")[0] == 200
    # When the counter sends Awa straight to frame fitting
    status, view = queue.act(awa["ticket_id"], "transfer", {"station_id": "frame-fitting"})
    # Then she waits there, ahead of Binta: her check-in time counts; the eye exam comes after
    assert status == 200, view
    assert (view["status"], view["station_id"], view["journey"]) == (
        "waiting", "frame-fitting", ["reception", "frame-fitting", "eye-exam"],
    )  # fmt: skip
    assert view["checked_in_at"] == queue.ticket(awa["ticket_id"])["checked_in_at"]
    assert (view["position"], queue.ticket(binta)["position"]) == (1, 2)
    assert details(awa["ticket_id"], "transferred") == [{"to": "frame-fitting"}]
    # and she is served there, then at the eye exam, and done
    assert queue.serve(awa["ticket_id"], "frame-fitting", "fitting-1")["station_id"] == "eye-exam"
    assert queue.serve(awa["ticket_id"], "eye-exam", "room-1")["status"] == "completed"
    assert queue.outcome(awa["ticket_id"]) == "completed"
    assert queue.events(awa["ticket_id"]) == [
        ("checked_in", "reception"), ("called", "reception"), ("arrived", "reception"), ("served", "reception"),
        ("transferred", "reception"),
        ("called", "frame-fitting"), ("arrived", "frame-fitting"), ("served", "frame-fitting"),
        ("called", "eye-exam"), ("arrived", "eye-exam"), ("served", "eye-exam"),
        ("completed", "eye-exam"),
    ]  # fmt: skip
    assert queue.entered(awa["ticket_id"]) == [*PER_STATION * 3, "EnterStation", "ReadOutcome", "Ended"]


def test_a_waiting_ticket_transferred_waits_at_the_other_station(queue: Queue) -> None:
    first = queue.check_in(display_name="Awa")
    eye_exam = check_in(queue, journey=["eye-exam"])  # checked in directly at the eye exam, after her
    status, view = queue.act(first["ticket_id"], "transfer", {"station_id": "eye-exam"})
    assert (status, view["status"], view["station_id"], view["journey_index"]) == (200, "waiting", "eye-exam", 1)
    assert (view["checked_in_at"], view["position"]) == (queue.ticket(first["ticket_id"])["checked_in_at"], 1)
    assert queue.ticket(eye_exam)["position"] == 2
    assert parked(first["ticket_id"])[0] == "call"  # its workflow waits for the eye exam's call
    assert queue.call_next("reception") == (204, None)
    # A transfer to where the ticket is already is refused
    status, answer = queue.act(first["ticket_id"], "transfer", {"station_id": "eye-exam"})
    assert (status, answer["error"]) == (409, "conflict")
    # It goes on through the rest of its journey
    queue.serve(first["ticket_id"], "eye-exam", "room-1")
    assert queue.serve(first["ticket_id"], "frame-fitting", "fitting-1")["status"] == "completed"
    assert queue.outcome(first["ticket_id"]) == "completed"
    assert [kind for kind, _ in queue.events(first["ticket_id"])] == [
        "checked_in", "transferred", *["called", "arrived", "served"] * 2, "completed",
    ]  # fmt: skip
    assert queue.entered(first["ticket_id"]) == [*PER_STATION * 3, "EnterStation", "ReadOutcome", "Ended"]


def test_a_completion_can_skip_a_station(queue: Queue) -> None:
    ticket = check_in(queue)
    view = queue.serve(ticket, "reception", "desk-1", next_station="frame-fitting")
    assert (view["status"], view["station_id"], view["journey"]) == (
        "waiting", "frame-fitting", ["reception", "frame-fitting"],
    )  # fmt: skip
    assert queue.serve(ticket, "frame-fitting", "fitting-1")["status"] == "completed"
    assert queue.outcome(ticket) == "completed"
    assert [station for _, station in queue.events(ticket)] == ["reception"] * 4 + ["frame-fitting"] * 4
    assert queue.entered(ticket) == [*PER_STATION * 2, "EnterStation", "ReadOutcome", "Ended"]


@pytest.mark.parametrize("status", ["waiting", "called", "serving"])
def test_a_cancelled_ticket_ends_once_and_refuses_any_later_action(queue: Queue, status: str) -> None:
    # Given a ticket waiting, called, or at the counter
    ticket = check_in(queue, journey=["reception"])
    if status != "waiting":
        assert called(queue) == ticket
    if status == "serving":
        assert queue.act(ticket, "arrived")[0] == 200
    assert queue.ticket(ticket)["status"] == status
    # When the person leaves
    answer = queue.act(ticket, "cancel")
    # Then the ticket and its workflow end, cancelled
    assert (answer[0], answer[1]["status"]) == (200, "cancelled")
    assert queue.outcome(ticket) == "cancelled"
    assert details(ticket, "cancelled") == [{"was": status}]
    events = queue.events(ticket)
    assert events[-1] == ("cancelled", "reception")
    # and nothing more can be done to it
    for action, body in (("cancel", None), ("arrived", None), ("complete", {}), ("call", {"counter": "desk-1"})):
        code, answer = queue.act(ticket, action, body)
        assert (code, answer["error"]) == (409, "conflict"), action
        assert "is cancelled" in answer["message"]
    assert queue.events(ticket) == events


# --- closing time ---------------------------------------------------------------------------------------


def test_a_ticket_still_waiting_at_closing_time_expires(queue: Queue) -> None:
    # Given a site closing in one to two hours
    zone = midday_zone()
    closes = datetime.now(ZoneInfo(zone)).replace(minute=0, second=0, microsecond=0) + timedelta(hours=2)
    configure(timezone=zone, hours=dict.fromkeys(WEEKDAYS, ("00:00", f"{closes:%H:%M}")))
    # and a person at a counter after ten minutes' wait, another waiting
    served = check_in(queue, journey=["reception"])
    waiting = check_in(queue, journey=["reception"])
    queue.advance(600)
    assert called(queue) == served
    assert queue.act(served, "arrived")[0] == 200
    until_closing = (closes - datetime.now(UTC)).total_seconds() - 600
    # When the clock reaches a minute before closing, both are still there
    queue.advance(until_closing - 60)
    assert (queue.outcome(waiting), queue.ticket(waiting)["status"]) == (None, "waiting")
    # When the site closes
    queue.advance(120)
    # Then the waiting ticket expired, the one at the counter is still being served
    assert queue.outcome(waiting) == "expired"
    assert queue.ticket(waiting)["status"] == "expired"
    assert queue.events(waiting) == [("checked_in", "reception"), ("expired", "reception")]
    assert queue.entered(waiting) == ["EnterStation", "AwaitCall", "ExpireTicket", "ReadOutcome", "Ended"]
    assert queue.ticket(served)["status"] == "serving"
    # and a service still open four hours after closing expires too
    queue.advance(4 * 3600 - 120)
    assert queue.ticket(served)["status"] == "serving"
    queue.advance(120)
    assert queue.outcome(served) == "expired"
    assert queue.events(served)[-1] == ("expired", "reception")


def test_no_check_in_while_the_site_is_closed(queue: Queue) -> None:
    zone = midday_zone()
    opens = datetime.now(ZoneInfo(zone)).replace(minute=0) + timedelta(hours=2)
    configure(timezone=zone, hours=dict.fromkeys(WEEKDAYS, (f"{opens:%H:%M}", f"{opens + timedelta(hours=1):%H:%M}")))
    status, answer = queue.post(f"/sites/{SITE_ID}/tickets", {"display_name": "Awa"})
    assert (status, answer["error"]) == (409, "conflict")
    assert "is closed now" in answer["message"]
    with UnitOfWork("test") as uow:
        assert uow.session.scalars(select(Ticket)).all() == []
    machine = "arn:aws:states:us-east-1:000000000000:stateMachine:queue-progression"
    assert queue.service.ListExecutions({"stateMachineArn": machine})["executions"] == []


def _called_messages(client_id: str, template: str = "ticket_called") -> list[dict[str, Any]]:
    from lambdas.shared.db.notifications.models import Notification

    with UnitOfWork("test") as uow:
        query = select(Notification).filter_by(client_id=client_id, template=template)
        return [row.payload for row in uow.session.scalars(query.order_by(Notification.created_at, Notification.id))]


def with_sms_consent(make_client: Any, **fields: Any) -> Any:
    from lambdas.shared.db.clients.models import ConsentRecord
    from lambdas.shared.domain import ConsentPurpose

    client = make_client(**fields)
    with UnitOfWork("test") as uow:
        uow.session.add(
            ConsentRecord(
                client_id=client.id, purpose=ConsentPurpose.SMS, granted=True, text_version="v1", channel="paper",
                recorded_by="test",
            )
        )  # fmt: skip
    return client


def test_a_client_with_sms_consent_is_texted_their_counter_at_each_call_and_no_one_else_is(
    queue: Queue, make_client: Any
) -> None:
    texted, emailed = with_sms_consent(make_client), make_client(first_name="Awa", phone=None, email="awa@example.org")
    four_counters_at_reception()
    ticket = check_in(queue, client_id=texted.id, journey=["reception"])
    other = check_in(queue, client_id=emailed.id, journey=["reception"])
    label = queue.ticket(ticket)["number"]

    assert called(queue, counter="desk-2") == ticket
    assert called(queue, counter="desk-3") == other
    assert parked(ticket)[0] == "arrival"
    assert _called_messages(texted.id) == [{"number": label, "counter": "Guichet 2"}]  # its name, not its id
    assert _called_messages(emailed.id) == []  # being called is worth nothing by e-mail
    # a recall and a second call: a second text, for the new counter
    assert queue.act(ticket, "recall")[0] == 200
    assert called(queue, counter="desk-4") == ticket
    assert _called_messages(texted.id) == [
        {"number": label, "counter": "Guichet 2"},
        {"number": label, "counter": "desk-4"},  # a counter with no name is called by its id
    ]


def test_the_next_two_to_be_called_are_texted_once_per_station(queue: Queue, make_client: Any) -> None:
    # Given six people waiting at reception: four gave SMS consent, one has an e-mail only, one is a walk-in
    first, second, fourth, last = (with_sms_consent(make_client, first_name=name) for name in "ABDE")
    no_sms = make_client(first_name="C", phone=None, email="c@example.org")
    four_counters_at_reception()
    journey = ["reception", "eye-exam"]
    a, _, b, d, _, e = (
        check_in(queue, client_id=person.id, journey=journey) if person else check_in(queue, display_name="Walk-in")
        for person in (first, None, second, fourth, no_sms, last)
    )

    def told(client: Any) -> list[str]:
        return [message["number"] for message in _called_messages(client.id, "ticket_next")]

    # When the first is called, the next two are two places from their call: the second client is texted
    assert called(queue, counter="desk-1") == a
    assert (told(first), told(second), told(fourth)) == ([], [queue.ticket(b)["number"]], [])
    # each call moves the queue up, whoever is called (a walk-in too): who comes within two places is texted
    called(queue, counter="desk-2")  # the walk-in
    assert told(fourth) == [queue.ticket(d)["number"]]
    assert called(queue, counter="desk-3") == b
    assert (told(no_sms), told(last)) == ([], [])  # no SMS consent: being near is worth nothing by e-mail
    assert called(queue, counter="desk-4") == d
    assert told(last) == [queue.ticket(e)["number"]]
    assert [len(told(person)) for person in (first, second, fourth, last)] == [0, 1, 1, 1]  # once each
    # at the next station the wait starts again: a second text when they come within two places there
    for ticket in (a, b):
        assert queue.act(ticket, "arrived")[0] == 200
        assert queue.act(ticket, "complete")[0] == 200
    assert queue.ticket(b)["station_id"] == "eye-exam"
    assert called(queue, "eye-exam", counter="room-1") == a
    assert len(told(second)) == 2
    assert told(first) == []  # called straight away each time, never waiting behind anyone
