"""Check-in, call-next, the staff's actions and the day's list, as a hostile or careless caller reaches
them: each refusal is the API's error naming its field (or the ticket's status), and writes nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import update

from lambdas.shared.db.clients.models import Client
from lambdas.shared.db.queue.models import Ticket
from lambdas.shared.db.unit_of_work import UnitOfWork
from local.seed import SITE_ID
from local.tokens import subject_of
from tests.api import front_desk
from tests.api.front_desk import (
    MANAGERS,
    NOTHING,
    act,
    call_next,
    check_in,
    done,
    events,
    fields,
    get,
    post,
    serve,
    stored,
    ticket,
    today,
)
from tests.databases import ON_BOTH_DATABASES
from tests.events import api_event, call_api
from tests.matrix import FAKE_ID

pytestmark = ON_BOTH_DATABASES

TICKETS = f"/sites/{SITE_ID}/tickets"
UPPER_CASE_ID = "4F0C1A2B-9D3E-4000-8000-00000000000A"  # ids are written in lower case


@pytest.fixture(autouse=True)
def step_functions(database_url: str, monkeypatch: pytest.MonkeyPatch) -> front_desk.StepFunctions:
    return front_desk.open_site(monkeypatch)


# --- check-in ------------------------------------------------------------------------------------------


def test_a_check_in_gives_the_first_number_of_its_first_station(step_functions: front_desk.StepFunctions) -> None:
    checked = check_in(display_name="Moussa")
    assert (checked["number"], checked["station_id"], checked["position"]) == ("A001", "reception", 1)
    assert checked["status_url"] == f"/tickets/{checked['ticket_id']}"
    assert checked["execution_arn"].endswith(f":execution:queue-progression:ticket-{checked['ticket_id']}")
    assert step_functions.started == [checked["ticket_id"]]
    read = ticket(checked["ticket_id"])
    assert (read["status"], read["journey"], read["execution_arn"]) == (
        "waiting",
        ["reception", "eye-exam", "frame-fitting"],
        checked["execution_arn"],
    )
    assert stored() == {"tickets": 1, "numbers": 1, "events": 1, "keys": 0}


REFUSED_CHECK_INS = [
    ({"client_id": FAKE_ID, "display_name": "Awa"}, "body.display_name"),
    ({"client_id": "not-a-uuid"}, "body.client_id"),
    ({"client_id": UPPER_CASE_ID}, "body.client_id"),
    ({"journey": ["reception", "x-ray"]}, "body.journey.1"),
    ({"journey": []}, "body.journey"),
    ({"journey": ["reception", "eye-exam", "reception"]}, "body.journey"),
    ({"journey": [f"station-{index}" for index in range(21)]}, "body.journey"),
    ({"journey": ["Reception"]}, "body.journey.0"),
    ({"journey": "reception"}, "body.journey"),
    ({"priority": {"reason": "none"}}, "body.priority.reason"),
    ({"priority": {"reason": "tired"}}, "body.priority.reason"),
    ({"priority": "elderly"}, "body.priority"),
    ({"priority": {"reason": "elderly", "set_by": "me"}}, "body.priority.set_by"),
    ({"appointment_at": "tomorrow"}, "body.appointment_at"),
    ({"appointment_at": "2026-05-04T09:30:00"}, "body.appointment_at"),  # no offset: whose 09:30?
    ({"appointment_at": "2026-05-04"}, "body.appointment_at"),
    ({"appointment_at": 1777880000}, "body.appointment_at"),
    ({"appointment_at": "9999-12-31T23:59:59-05:00"}, "body.appointment_at"),  # past year 9999 in UTC
    ({"appointment_at": "0001-01-01T00:00:00+01:00"}, "body.appointment_at"),
    ({"nickname": "Awa"}, "body.nickname"),
    ({"display_name": "x" * 101}, "body.display_name"),
    ({"display_name": ""}, "body.display_name"),
    ({"display_name": "   "}, "body.display_name"),
    ({"display_name": "\u200b"}, "body.display_name"),
    ({"display_name": "\u3164\u3164"}, "body.display_name"),  # Hangul fillers: a name that draws nothing
    ({"display_name": "\u2800"}, "body.display_name"),  # the braille blank
    ({"display_name": "Awa\nDiallo"}, "body.display_name"),
    ({"display_name": "Awa\rDiallo"}, "body.display_name"),
    ({"display_name": "Awa\tDiallo"}, "body.display_name"),
    ({"display_name": "Awa\u0000"}, "body.display_name"),
    ({"display_name": "Awa\u001b[2J"}, "body.display_name"),
    ({"display_name": "Awa\u2028Diallo"}, "body.display_name"),
    ({"display_name": "\u202eallaid awA"}, "body.display_name"),
    ({"display_name": 42}, "body.display_name"),
]


@pytest.mark.parametrize(("body", "field"), REFUSED_CHECK_INS, ids=[repr(body)[:60] for body, _ in REFUSED_CHECK_INS])
def test_a_refused_check_in_names_its_field_and_takes_no_number(body: dict[str, Any], field: str) -> None:
    status, answer = post(TICKETS, body, headers={"Idempotency-Key": "desk-1-0001"})
    assert (status, answer["error"], fields(answer)) == (422, "invalid_request", [field]), answer
    assert stored() == NOTHING
    # the key was not kept, the number not taken
    status, answer = post(TICKETS, {"display_name": "Awa"}, headers={"Idempotency-Key": "desk-1-0001"})
    assert (status, answer["number"]) == (201, "A001"), answer


def test_an_unknown_client_is_a_422_naming_the_field_and_an_erased_one_a_409_saying_so(
    make_client: Callable[..., Client],
) -> None:
    status, answer = post(TICKETS, {"client_id": FAKE_ID})
    message = f"no client {FAKE_ID}: onboard them, or give a display_name"
    assert (status, answer) == (
        422,
        {"error": "invalid_request", "message": message, "details": [{"field": "body.client_id", "message": message}]},
    )
    erased = make_client(status="erased")
    status, answer = post(TICKETS, {"client_id": erased.id})
    assert (status, answer["error"]) == (409, "conflict")
    assert answer["message"] == (
        f"client {erased.id} was erased: check the person in by a display_name or by number alone"
    )
    assert stored() == NOTHING
    active = make_client(first_name="Fatou")
    assert check_in(client_id=active.id)["number"] == "A001"
    assert ticket(check_in(client_id=active.id)["ticket_id"])["client_id"] == active.id


def test_a_display_name_at_its_longest_is_stored_intact_and_one_more_character_is_refused() -> None:
    # accents, an emoji outside the BMP, Arabic: 100 characters (MySQL counts characters too)
    name = ("Zoë Éloïse مريم 😀" * 10)[:100]
    assert len(name) == 100
    assert not name.endswith(" ")
    checked = check_in(display_name=name)
    assert ticket(checked["ticket_id"])["display_name"] == name
    with UnitOfWork("test") as uow:
        assert uow.queue.get(checked["ticket_id"]).display_name == name
    _, page = get(TICKETS)
    assert [item["display_name"] for item in page["items"]] == [name]
    status, answer = post(TICKETS, {"display_name": name + "é"})
    assert (status, fields(answer)) == (422, ["body.display_name"])
    assert stored()["tickets"] == 1


def test_a_display_name_loses_its_surrounding_spaces() -> None:
    assert ticket(check_in(display_name="  Awa Diallo \u00a0")["ticket_id"])["display_name"] == "Awa Diallo"


def test_an_appointment_keeps_its_instant_and_is_today() -> None:
    # an instant of the site's clinic day, written with another offset than the site's
    paris = datetime.now(ZoneInfo("Europe/Paris"))
    noon_in_paris = datetime.combine(paris.date(), time(12, 0), ZoneInfo("Europe/Paris"))
    written = noon_in_paris.astimezone(timezone(timedelta(hours=-3))).isoformat()
    checked = check_in(appointment_at=written, priority={"reason": "elderly"})
    read = ticket(checked["ticket_id"])
    assert datetime.fromisoformat(read["appointment_at"]) == noon_in_paris
    assert read["appointment_at"].endswith("Z")
    assert (read["priority"], read["priority_set_by"]) == ("elderly", subject_of("tester"))
    # an appointment of another day (a year-one "appointment" would jump every queue) is refused
    year_one = datetime(1, 1, 2, tzinfo=UTC)
    for other_day in (noon_in_paris - timedelta(days=1), noon_in_paris + timedelta(days=1), year_one):
        status, answer = post(TICKETS, {"appointment_at": other_day.isoformat()})
        assert (status, fields(answer)) == (422, ["body.appointment_at"]), answer


def test_a_site_that_does_not_exist_is_404() -> None:
    status, answer = post("/sites/nowhere/tickets", {"display_name": "Awa"})
    assert (status, answer) == (404, {"error": "not_found", "message": "site nowhere not found", "details": []})
    status, answer = post("/sites/Saint Denis/tickets", {"display_name": "Awa"})
    assert (status, fields(answer)) == (422, ["path.site_id"])
    assert stored() == NOTHING


def test_a_site_closed_now_takes_no_check_in_and_no_number() -> None:
    site = {"name": "Aubervilliers", "timezone": "Europe/Paris", "hours": {}}
    for path, body in (
        ("/sites/aubervilliers", site),
        ("/sites/aubervilliers/stations/reception", {"name": "Accueil", "prefix": "A", "counters": ["desk-1"]}),
        ("/sites/aubervilliers", {**site, "default_journey": ["reception"]}),
    ):
        assert _put(path, body)[0] == 200
    status, answer = post("/sites/aubervilliers/tickets", {"display_name": "Awa"})
    assert (status, answer["error"], answer["details"]) == (409, "conflict", [])
    assert answer["message"] == "site aubervilliers is closed now (its hours: none set)"
    assert stored() == NOTHING
    all_day = {day: ["00:00", "24:00"] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    assert _put("/sites/aubervilliers", {**site, "hours": all_day, "default_journey": ["reception"]})[0] == 200
    assert check_in("aubervilliers", display_name="Awa")["number"] == "A001"


def _put(path: str, body: dict[str, Any]) -> tuple[int, Any]:
    return call_api(api_event("PUT", path, body=body, groups=MANAGERS))


def test_the_same_idempotency_key_and_check_in_give_back_the_first_ticket() -> None:
    key = {"Idempotency-Key": "desk-1-2026-0001"}
    first = post(TICKETS, {"display_name": "Awa", "journey": ["eye-exam"]}, headers=key)
    again = post(TICKETS, {"journey": ["eye-exam"], "display_name": "Awa"}, headers=key)
    assert first[0] == again[0] == 201
    assert again[1] == first[1]
    assert first[1]["number"] == "E001"
    assert stored() == {"tickets": 1, "numbers": 1, "events": 1, "keys": 1}


def test_the_same_idempotency_key_for_another_check_in_is_a_conflict() -> None:
    key = {"Idempotency-Key": "desk-1-2026-0001"}
    assert post(TICKETS, {"display_name": "Awa"}, headers=key)[0] == 201
    status, answer = post(TICKETS, {"display_name": "Moussa"}, headers=key)
    assert (status, answer["error"]) == (409, "conflict")
    assert "Idempotency-Key" in answer["message"]
    assert stored() == {"tickets": 1, "numbers": 1, "events": 1, "keys": 1}


def test_an_idempotency_key_is_at_most_200_characters() -> None:
    status, answer = post(TICKETS, {"display_name": "Awa"}, headers={"Idempotency-Key": "k" * 201})
    assert (status, fields(answer)) == (422, ["header.idempotency-key"])
    assert stored() == NOTHING
    status, answer = post(TICKETS, {"display_name": "Awa"}, headers={"Idempotency-Key": "ключ" * 50})
    assert (status, answer["number"]) == (201, "A001")


# --- call-next -----------------------------------------------------------------------------------------


def test_call_next_calls_the_first_waiting_to_the_counter() -> None:
    first, _ = check_in(display_name="Awa"), check_in(display_name="Moussa")
    called = call_next("reception", "desk-2")
    assert (called["ticket_id"], called["status"], called["counter"]) == (first["ticket_id"], "called", "desk-2")
    assert [event[1:4] for event in events(first["ticket_id"])] == [
        ("checked_in", "reception", None),
        ("called", "reception", "desk-2"),
    ]


def test_a_second_call_next_before_the_person_came_is_a_409_naming_them() -> None:
    # Given a counter that called someone who has not come yet, and another person waiting
    first, second = check_in(display_name="Awa"), check_in(display_name="Moussa")
    call_next("reception", "desk-1")
    # When it presses call-next again (a double click)
    status, answer = post(f"/sites/{SITE_ID}/stations/reception/call-next", {"counter": "desk-1"})
    # Then it is a 409 naming the person called, and nobody else was called
    assert (status, answer["error"]) == (409, "conflict")
    assert f"has called {first['number']} already" in answer["message"]
    assert [event[1] for event in events(second["ticket_id"])] == ["checked_in"]


def test_a_call_the_database_kept_ending_for_others_locks_is_a_503_saying_it_was_busy(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given a database that ends the call's transaction every time (deadlocks, through every retry)
    from lambdas.shared.errors import DatabaseUnavailable
    from lambdas.shared.queue import calling

    def always_busy(*_: object) -> None:
        raise DatabaseUnavailable("(1213, 'Deadlock found when trying to get lock')", busy=True)

    monkeypatch.setattr(calling, "call_next", always_busy)
    status, answer = post(f"/sites/{SITE_ID}/stations/reception/call-next", {"counter": "desk-1"})
    # Then the counter hears that the database was busy, to try again: not that it is out of reach
    assert (status, answer["error"]) == (503, "busy")
    assert "busy" in answer["message"]
    assert "not reachable" not in answer["message"]


def test_nobody_waiting_is_a_204_with_no_body() -> None:
    check_in(display_name="Awa")  # waiting at reception, not at the eye exam
    status, answer = post(f"/sites/{SITE_ID}/stations/eye-exam/call-next", {"counter": "room-1"})
    assert (status, answer) == (204, None)
    assert stored()["events"] == 1


@pytest.mark.parametrize(
    ("path", "body", "status", "field"),
    [
        ("stations/reception/call-next", {"counter": "room-1"}, 422, "body.counter"),  # the eye exam's
        ("stations/reception/call-next", {"counter": "desk-9"}, 422, "body.counter"),
        ("stations/reception/call-next", {"counter": "Desk 1"}, 422, "body.counter"),
        ("stations/reception/call-next", {"counter": None}, 422, "body.counter"),
        ("stations/reception/call-next", {}, 422, "body.counter"),
        ("stations/reception/call-next", None, 422, "body"),  # an absent body is named as a whole
        ("stations/reception/call-next", {"counter": "desk-1", "urgent": True}, 422, "body.urgent"),
        ("stations/x-ray/call-next", {"counter": "desk-1"}, 404, None),
        ("stations/Reception/call-next", {"counter": "desk-1"}, 422, "path.station_id"),
    ],
)
def test_a_refused_call_next_calls_nobody(path: str, body: Any, status: int, field: str | None) -> None:
    waiting = check_in(display_name="Awa")
    before = ticket(waiting["ticket_id"]), events(waiting["ticket_id"])
    answer_status, answer = post(f"/sites/{SITE_ID}/{path}", body)
    assert answer_status == status, answer
    assert fields(answer) == ([field] if field else [])
    if status == 404:
        assert answer == {"error": "not_found", "message": f"station {SITE_ID}/x-ray not found", "details": []}
    assert (ticket(waiting["ticket_id"]), events(waiting["ticket_id"])) == before


def test_call_next_at_a_site_that_does_not_exist_is_404() -> None:
    status, answer = post("/sites/nowhere/stations/reception/call-next", {"counter": "desk-1"})
    assert (status, answer["error"], answer["message"]) == (404, "not_found", "station nowhere/reception not found")


# --- actions on a ticket in the wrong state --------------------------------------------------------------


def _waiting() -> str:
    return check_in(display_name="Awa")["ticket_id"]


def _called() -> str:
    ticket_id = _waiting()
    done(ticket_id, "call", {"counter": "desk-1"})
    return ticket_id


def _serving() -> str:
    ticket_id = _called()
    done(ticket_id, "arrived")
    return ticket_id


def _completed() -> str:
    ticket_id = check_in(display_name="Awa", journey=["reception"])["ticket_id"]
    assert serve(ticket_id, "desk-1")["status"] == "completed"
    return ticket_id


def _cancelled() -> str:
    ticket_id = _waiting()
    done(ticket_id, "cancel")
    return ticket_id


def _no_show() -> str:
    ticket_id = _called()
    done(ticket_id, "no-show")
    return ticket_id


STATES: dict[str, Callable[[], str]] = {
    "waiting": _waiting,
    "called": _called,
    "serving": _serving,
    "completed": _completed,
    "cancelled": _cancelled,
    "no_show": _no_show,
}
WRONG_STATE = [
    ("waiting", "arrived", None),
    ("waiting", "recall", None),
    ("waiting", "complete", {}),
    ("waiting", "transfer", {"station_id": "reception"}),  # where it is already
    ("called", "call", {"counter": "desk-2"}),
    ("called", "complete", {}),
    ("called", "complete", {"next_station": "frame-fitting"}),
    ("serving", "call", {"counter": "desk-1"}),
    ("serving", "arrived", None),
    ("serving", "recall", None),
    ("serving", "no-show", None),
    ("serving", "transfer", {"station_id": "reception"}),
    ("completed", "recall", None),
    ("completed", "cancel", None),
    ("completed", "complete", {}),
    ("completed", "transfer", {"station_id": "eye-exam"}),
    ("completed", "no-show", None),
    ("cancelled", "call", {"counter": "desk-1"}),
    ("cancelled", "arrived", None),
    ("cancelled", "cancel", None),
    ("no_show", "call", {"counter": "desk-1"}),
    ("no_show", "recall", None),
]


@pytest.mark.parametrize(
    ("state", "action", "body"), WRONG_STATE, ids=[f"{action} on {state}" for state, action, _ in WRONG_STATE]
)
def test_an_action_the_status_does_not_allow_is_a_409_naming_it_and_changes_nothing(
    state: str, action: str, body: dict[str, Any] | None
) -> None:
    ticket_id = STATES[state]()
    before = ticket(ticket_id), events(ticket_id)
    status, answer = act(ticket_id, action, body)
    assert (status, answer["error"], answer["details"]) == (409, "conflict", []), answer
    assert answer["message"].startswith(f"ticket A001 is {state}"), answer["message"]
    assert (ticket(ticket_id), events(ticket_id)) == before


ACTIONS = [
    ("call", {"counter": "desk-1"}),
    ("arrived", None),
    ("recall", None),
    ("no-show", None),
    ("complete", {}),
    ("transfer", {"station_id": "eye-exam"}),
    ("cancel", None),
]


@pytest.mark.parametrize(("action", "body"), ACTIONS, ids=[action for action, _ in ACTIONS])
def test_an_action_on_an_unknown_or_malformed_ticket_id(action: str, body: dict[str, Any] | None) -> None:
    status, answer = act(FAKE_ID, action, body)
    assert (status, answer) == (404, {"error": "not_found", "message": f"ticket {FAKE_ID} not found", "details": []})
    for malformed in ("42", UPPER_CASE_ID, f"{FAKE_ID}0"):
        status, answer = act(malformed, action, body)
        assert (status, fields(answer)) == (422, ["path.ticket_id"]), answer
    assert stored() == NOTHING


def test_reading_an_unknown_or_malformed_ticket() -> None:
    assert get(f"/tickets/{FAKE_ID}")[0] == 404
    status, answer = get("/tickets/A001")
    assert (status, fields(answer)) == (422, ["path.ticket_id"])


@pytest.mark.parametrize(
    ("state", "action", "body", "field"),
    [
        ("serving", "complete", {"next_station": "x-ray"}, "body.next_station"),
        ("serving", "complete", {"next_station": "Eye Exam"}, "body.next_station"),
        ("serving", "complete", {"next_station": "eye-exam", "notes": "ok"}, "body.notes"),
        ("serving", "transfer", {"station_id": "x-ray"}, "body.station_id"),
        ("waiting", "transfer", {"station_id": "x-ray"}, "body.station_id"),
        ("waiting", "transfer", {}, "body.station_id"),
        ("waiting", "transfer", {"station_id": ""}, "body.station_id"),
        ("waiting", "call", {"counter": "room-1"}, "body.counter"),  # a counter of another station
        ("waiting", "call", {}, "body.counter"),
    ],
)
def test_an_invalid_action_names_its_field_and_changes_nothing(
    state: str, action: str, body: dict[str, Any], field: str
) -> None:
    ticket_id = STATES[state]()
    before = ticket(ticket_id), events(ticket_id)
    status, answer = act(ticket_id, action, body)
    assert (status, answer["error"], fields(answer)) == (422, "invalid_request", [field]), answer
    assert (ticket(ticket_id), events(ticket_id)) == before


def test_complete_without_a_body_goes_on_with_the_journey() -> None:
    ticket_id = _serving()
    status, answer = act(ticket_id, "complete")
    assert (status, answer["status"], answer["station_id"]) == (200, "waiting", "eye-exam"), answer


# --- the day's list ------------------------------------------------------------------------------------


def test_the_list_filters_by_status_station_and_day() -> None:
    waiting = check_in(display_name="Awa")["ticket_id"]
    called = check_in(display_name="Moussa")["ticket_id"]
    done(called, "call", {"counter": "desk-1"})
    direct = check_in(display_name="Binta", journey=["eye-exam"])["ticket_id"]
    cancelled = check_in(display_name="Coumba")["ticket_id"]
    done(cancelled, "cancel")
    yesterday = check_in(display_name="Ibrahima")["ticket_id"]
    day_before = (date.fromisoformat(today()) - timedelta(days=1)).isoformat()
    with UnitOfWork("test") as uow:
        uow.session.execute(
            update(Ticket).where(Ticket.id == yesterday).values(service_day=date.fromisoformat(day_before))
        )

    def listed(**query: str) -> list[str]:
        status, page = get(TICKETS, query)
        assert (status, page["more"]) == (200, False), page
        return [item["ticket_id"] for item in page["items"]]

    assert listed() == listed(day=today()) == [waiting, called, direct, cancelled]
    assert listed(status="waiting") == [waiting, direct]
    assert listed(status="called") == [called]
    assert listed(status="cancelled") == [cancelled]
    assert listed(station_id="eye-exam") == [direct]
    assert listed(status="waiting", station_id="reception") == [waiting]
    assert listed(status="serving") == []
    assert listed(day=day_before) == [yesterday]
    assert listed(day="2020-01-01") == []
    _, page = get(TICKETS, {"status": "waiting"})
    assert [(item["number"], item["position"]) for item in page["items"]] == [("A001", 1), ("E001", 1)]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"day": "2026-13-01"}, "query.day"),
        ({"day": "yesterday"}, "query.day"),
        ({"day": "02/12/2026"}, "query.day"),
        ({"day": "20261202"}, "query.day"),  # not a count of seconds since 1970
        ({"day": ""}, "query.day"),
        ({"status": "gone"}, "query.status"),
        ({"status": "WAITING"}, "query.status"),
        ({"station_id": "Eye Exam"}, "query.station_id"),
        ({"station_id": "x-ray"}, "query.station_id"),  # a station the site does not have
    ],
)
def test_a_bad_filter_names_its_parameter(query: dict[str, str], field: str) -> None:
    check_in(display_name="Awa")
    status, answer = get(TICKETS, query)
    assert (status, answer["error"], fields(answer)) == (422, "invalid_request", [field]), answer


def test_the_list_of_a_site_that_does_not_exist_is_404() -> None:
    assert get("/sites/nowhere/tickets")[0] == 404


def test_the_list_is_for_staff_who_read_records() -> None:
    check_in(display_name="Awa")
    assert get(TICKETS, groups=MANAGERS)[0] == 200
    assert get(TICKETS, groups=("lab",))[0] == 403
    assert get(TICKETS, groups=None)[0] == 401
