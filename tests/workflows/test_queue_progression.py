"""The queue-progression workflow in the local engine with the real handlers and the API: a ticket's
day from check-in to its last station, and every way it can end."""

from __future__ import annotations

from tests.databases import ON_BOTH_DATABASES
from tests.workflows.conftest import Queue


@ON_BOTH_DATABASES
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
    per_station = ["EnterStation", "AwaitCall", "AwaitArrival", "AwaitServiceEnd"]
    assert queue.entered(ticket["ticket_id"]) == [*per_station * 3, "EnterStation", "Ended"]  # 14 transitions
