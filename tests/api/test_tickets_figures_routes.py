"""What the queue's figures say, checked against numbers worked out by hand: the wait estimate on a
ticket, the waiting room's board, and a clinic day's statistics."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from lambdas.shared.db.clients.models import Client
from local.seed import SITE_ID
from tests.api import front_desk
from tests.api.front_desk import (
    FRONT_DESK,
    MANAGERS,
    call_next,
    check_in,
    done,
    fields,
    get,
    move_events_back,
    serve,
    set_seconds,
    ticket,
    today,
)
from tests.databases import ON_BOTH_DATABASES

pytestmark = ON_BOTH_DATABASES

BOARD = f"/sites/{SITE_ID}/board"
STATISTICS = f"/sites/{SITE_ID}/statistics"


@pytest.fixture(autouse=True)
def step_functions(database_url: str, monkeypatch: pytest.MonkeyPatch) -> front_desk.StepFunctions:
    return front_desk.open_site(monkeypatch)


def _places(*ticket_ids: str) -> list[tuple[int | None, int | None]]:
    return [(read["position"], read["estimated_wait_minutes"]) for read in map(ticket, ticket_ids)]


# --- the wait estimate ---------------------------------------------------------------------------------


def test_the_estimate_is_the_people_ahead_times_the_sites_service_minutes_over_all_counters_at_first() -> None:
    # reception has 2 counters, nobody has called yet, the site's service_minutes is 8: 4 minutes a person
    checked = [check_in(display_name=name) for name in ("Awa", "Binta", "Coumba")]
    assert [(each["position"], each["estimated_wait_minutes"]) for each in checked] == [(1, 0), (2, 4), (3, 8)]
    ids = [each["ticket_id"] for each in checked]
    assert _places(*ids) == [(1, 0), (2, 4), (3, 8)]
    # desk-1 calls: the one counter calling in the last 30 minutes moves the line at 8 minutes a person
    call_next("reception", "desk-1")
    assert _places(*ids) == [(None, None), (1, 0), (2, 8)]
    assert check_in(display_name="Djeneba")["estimated_wait_minutes"] == 16
    # that call was 31 minutes ago: no counter counts as calling, so all of the station's do again
    move_events_back(ids[0], "called", 31)
    assert _places(*ids[1:]) == [(1, 0), (2, 4)]


def test_the_days_median_service_replaces_the_sites_from_the_fifth_service() -> None:
    # the five served end at reception: their journey is reception alone
    served = [check_in(display_name=f"Served {index}", journey=["reception"])["ticket_id"] for index in range(5)]
    waiting = [check_in(display_name=f"Waiting {index}")["ticket_id"] for index in range(3)]
    lengths = [900, 120, 600, 180]  # seconds; the fifth comes below
    for ticket_id, counter, seconds in zip(served[:4], ("desk-1", "desk-2", "desk-1", "desk-2"), lengths, strict=True):
        serve(ticket_id, counter)
        set_seconds(ticket_id, "served", "reception", seconds)
    # four services measured: still the site's 8 minutes, over the 2 counters calling
    assert _places(served[4], *waiting) == [(1, 0), (2, 4), (3, 8), (4, 12)]
    serve(served[4], "desk-1")
    set_seconds(served[4], "served", "reception", 300)
    # five: the median of 120, 180, 300, 600, 900 seconds is 5 minutes, 2.5 a person, rounded up
    assert _places(*waiting) == [(1, 0), (2, 3), (3, 5)]
    # the eye exam has measured nothing: its own estimate still uses the site's 8 minutes, one counter
    direct = [check_in(display_name=name, journey=["eye-exam"])["ticket_id"] for name in ("Eve", "Fanta")]
    assert _places(*direct) == [(1, 0), (2, 8)]


def test_a_recalled_ticket_goes_first_and_the_estimates_behind_it_move_back() -> None:
    first, second = check_in(display_name="Awa")["ticket_id"], check_in(display_name="Binta")["ticket_id"]
    call_next("reception", "desk-2")
    assert _places(second) == [(1, 0)]
    done(first, "recall")
    assert _places(first, second) == [(1, 0), (2, 8)]  # desk-2 alone called: 8 minutes a person


# --- the board -----------------------------------------------------------------------------------------


def test_the_board_shows_numbers_counters_and_waits_never_who(make_client: Callable[..., Client]) -> None:
    client = make_client(first_name="Aminata", last_name="Sow")
    by_name = check_in(display_name="Moussa Diallo")
    by_client = check_in(client_id=client.id)
    check_in(display_name="Binta Kane")
    still_waiting = check_in(display_name="Coumba Ba")
    direct = check_in(display_name="Eve Ndiaye", journey=["eye-exam"])
    done(call_next("reception", "desk-1")["ticket_id"], "arrived")  # Moussa, A001: at the counter, not called
    the_client = call_next("reception", "desk-2")  # A002
    binta = call_next("reception", "desk-1")  # A003
    status, board = get(BOARD)
    assert status == 200, board
    assert board == {
        "site_id": SITE_ID,
        "name": "Saint-Denis",
        "screen_languages": ["fr", "en"],
        "stations": [
            {
                "station_id": "reception",
                "name": "Accueil",
                "now_calling": [  # the counters' names, as the local site's settings give them
                    {
                        "number": "A002",
                        "counter": "desk-2",
                        "counter_name": "Guichet 2",
                        "called_at": the_client["called_at"],
                    },
                    {
                        "number": "A003",
                        "counter": "desk-1",
                        "counter_name": "Guichet 1",
                        "called_at": binta["called_at"],
                    },
                ],
                "waiting": 1,
                "estimated_wait_minutes": 4,  # 1 person, 8 minutes each, 2 counters calling
            },
            {
                "station_id": "eye-exam",
                "name": "Examen de vue",
                "now_calling": [],
                "waiting": 1,
                "estimated_wait_minutes": 8,
            },
            {
                "station_id": "frame-fitting",
                "name": "Choix des montures",
                "now_calling": [],
                "waiting": 0,
                "estimated_wait_minutes": 0,
            },
        ],
    }
    text = json.dumps(board, ensure_ascii=False)
    for secret in ("Moussa", "Diallo", "Binta", "Kane", "Coumba", "Eve", "Aminata", "Sow", client.id):
        assert secret not in text
    for checked in (by_name, by_client, still_waiting, direct):
        assert checked["ticket_id"] not in text


@pytest.mark.parametrize("groups", [("front-desk",), ("managers",), ("ops",), ("lab",)])
def test_any_staff_group_reads_the_board(groups: tuple[str, ...]) -> None:
    check_in(display_name="Awa")
    status, board = get(BOARD, groups=groups)
    assert (status, board["stations"][0]["waiting"]) == (200, 1)


def test_the_board_needs_a_token_and_a_site() -> None:
    status, answer = get(BOARD, groups=None)
    assert (status, answer["error"]) == (401, "unauthorized")
    status, answer = get("/sites/nowhere/board")
    assert (status, answer["message"]) == (404, "site nowhere not found")


# --- statistics ----------------------------------------------------------------------------------------


def test_a_days_statistics_match_the_hand_counted_figures() -> None:
    # six people start at reception, one goes straight to the eye exam
    awa, binta, coumba, djeneba, eve, fanta = (
        check_in(display_name=name)["ticket_id"] for name in ("Awa", "Binta", "Coumba", "Djeneba", "Eve", "Fanta")
    )
    gaby = check_in(display_name="Gaby", journey=["eye-exam"])["ticket_id"]
    serve(awa, "desk-1")  # on to the eye exam
    serve(binta, "desk-2")  # on to the eye exam, still waiting there at the end
    done(coumba, "call", {"counter": "desk-1"})
    done(coumba, "no-show")
    done(djeneba, "call", {"counter": "desk-1"})
    done(djeneba, "recall")  # her wait was counted at the first call; the second call measures nothing
    serve(djeneba, "desk-2")
    done(djeneba, "cancel")  # left before the eye exam
    done(eve, "cancel")
    done(gaby, "no-show")  # never called
    serve(awa, "room-1")  # on to frame fitting
    done(awa, "cancel")  # left there
    # fanta still waits at reception
    for ticket_id, seconds in ((awa, 60), (binta, 300), (coumba, 600), (djeneba, 1200)):
        set_seconds(ticket_id, "called", "reception", seconds)
    for ticket_id, seconds in ((awa, 240), (binta, 420), (djeneba, 900)):
        set_seconds(ticket_id, "served", "reception", seconds)
    set_seconds(awa, "called", "eye-exam", 90)
    set_seconds(awa, "served", "eye-exam", 330)

    status, statistics = get(STATISTICS, groups=MANAGERS)
    assert status == 200, statistics
    assert (statistics["site_id"], statistics["day"]) == (SITE_ID, today())
    reception, eye_exam, frame_fitting = statistics["stations"]
    assert reception == {
        "station_id": "reception",
        "name": "Accueil",
        "checked_in": 6,
        "served": 3,
        "no_shows": 1,
        "cancelled": 1,  # Eve; Djeneba left after her service, from the eye exam's queue
        "expired": 0,
        # waits 60, 300, 600, 1200 s: median (300 + 600) / 2 = 450 s; p90, the 4th of 4 (nearest rank)
        "wait_minutes": {"median": 7.5, "p90": 20.0},
        # services 240, 420, 900 s: median 420 s; p90, the 3rd of 3
        "service_minutes": {"median": 7.0, "p90": 15.0},
        "counters": [{"counter": "desk-1", "served": 1}, {"counter": "desk-2", "served": 2}],
    }
    assert eye_exam == {
        "station_id": "eye-exam",
        "name": "Examen de vue",
        "checked_in": 1,
        "served": 1,
        "no_shows": 1,
        "cancelled": 1,
        "expired": 0,
        "wait_minutes": {"median": 1.5, "p90": 1.5},
        "service_minutes": {"median": 5.5, "p90": 5.5},
        "counters": [{"counter": "room-1", "served": 1}],
    }
    assert frame_fitting == {
        "station_id": "frame-fitting",
        "name": "Choix des montures",
        "checked_in": 0,
        "served": 0,
        "no_shows": 0,
        "cancelled": 1,
        "expired": 0,
        "wait_minutes": {"median": None, "p90": None},
        "service_minutes": {"median": None, "p90": None},
        "counters": [],
    }
    assert get(STATISTICS, {"day": today()}, groups=MANAGERS)[1] == statistics
    assert ticket(fanta)["status"] == "waiting"


def test_a_day_without_tickets_has_zero_counts_and_no_durations() -> None:
    check_in(display_name="Awa")
    status, statistics = get(STATISTICS, {"day": "2020-01-01"}, groups=MANAGERS)
    assert (status, statistics["day"]) == (200, "2020-01-01")
    for station in statistics["stations"]:
        assert (station["checked_in"], station["served"], station["counters"]) == (0, 0, [])
        assert station["wait_minutes"] == station["service_minutes"] == {"median": None, "p90": None}


def test_the_p90_is_the_nearest_rank_of_ten_waits() -> None:
    waits = [60 * minutes for minutes in (1, 2, 3, 4, 5, 6, 7, 8, 9, 30)]
    people = [check_in(display_name=f"Person {index}")["ticket_id"] for index in range(10)]
    for ticket_id, seconds in zip(people, waits, strict=True):
        done(ticket_id, "call", {"counter": "desk-1"})
        done(ticket_id, "no-show")
        set_seconds(ticket_id, "called", "reception", seconds)
    reception = get(STATISTICS, groups=MANAGERS)[1]["stations"][0]
    # median of ten: (5 + 6) / 2 minutes; p90: the 9th of 10, 9 minutes (the 30 is the tenth)
    assert reception["wait_minutes"] == {"median": 5.5, "p90": 9.0}
    assert (reception["no_shows"], reception["served"], reception["counters"]) == (10, 0, [])


@pytest.mark.parametrize("groups", [FRONT_DESK, ("ops",), ("lab",)])
def test_statistics_are_for_managers(groups: tuple[str, ...]) -> None:
    status, answer = get(STATISTICS, groups=groups)
    assert (status, answer["error"]) == (403, "forbidden")
    assert get(STATISTICS, groups=None)[0] == 401


def test_statistics_name_a_malformed_day_and_need_a_site() -> None:
    status, answer = get(STATISTICS, {"day": "2026-02-30"}, groups=MANAGERS)
    assert (status, fields(answer)) == (422, ["query.day"])
    assert get("/sites/nowhere/statistics", groups=MANAGERS)[0] == 404
