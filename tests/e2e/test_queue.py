"""A clinic day over HTTP on the local runtime: a person checked in, called, served at two stations;
the board and the day's statistics show it, and boto3 shows the ticket's execution."""

import uuid

import pytest

from tests.e2e.conftest import LocalRuntime, until

pytestmark = pytest.mark.e2e

OPEN_ALL_DAY = {day: ["00:00", "24:00"] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


def test_a_ticket_goes_through_two_stations_and_the_board_and_statistics_show_it(local_runtime: LocalRuntime) -> None:
    manager, desk = local_runtime.token("managers", user="manager-1"), local_runtime.token("front-desk", user="desk-1")
    site = f"site-{uuid.uuid4().hex[:8]}"  # a site of its own: the runtime is shared by the e2e tests
    settings = {"name": "Clinic", "hours": OPEN_ALL_DAY}
    assert local_runtime.request("PUT", f"/sites/{site}", token=manager, body=settings)[0] == 200
    for station, prefix, counter in (("reception", "A", "desk-1"), ("eye-exam", "E", "room-1")):
        body = {"name": station.title(), "prefix": prefix, "counters": [counter]}
        assert local_runtime.request("PUT", f"/sites/{site}/stations/{station}", token=manager, body=body)[0] == 200
    settings["default_journey"] = ["reception", "eye-exam"]
    assert local_runtime.request("PUT", f"/sites/{site}", token=manager, body=settings)[0] == 200

    # When a person is checked in
    status, ticket = local_runtime.request(
        "POST", f"/sites/{site}/tickets", token=desk, body={"display_name": "Zainab"}
    )
    assert status == 201, ticket
    assert (ticket["number"], ticket["position"], ticket["status_url"]) == (
        "A001",
        1,
        f"/tickets/{ticket['ticket_id']}",
    )
    # Then a counter calls them, they arrive, are served, and move on to the eye exam
    for station, counter in (("reception", "desk-1"), ("eye-exam", "room-1")):
        call = f"/sites/{site}/stations/{station}/call-next"
        status, called = local_runtime.request("POST", call, token=desk, body={"counter": counter})
        assert (status, called["ticket_id"], called["counter"]) == (200, ticket["ticket_id"], counter), called
        status, board = local_runtime.request("GET", f"/sites/{site}/board", token=desk)
        calling = {entry["station_id"]: entry["now_calling"] for entry in board["stations"]}
        expected = {"number": "A001", "counter": counter, "counter_name": counter, "called_at": called["called_at"]}
        assert calling[station] == [expected]  # a counter without a name is shown by its id
        assert "Zainab" not in str(board)  # the waiting room's screen shows numbers, never names
        for action in ("arrived", "complete"):  # at once: the workflow need not be waiting yet
            status, answer = local_runtime.request(
                "POST", f"/tickets/{ticket['ticket_id']}/{action}", token=desk, body={}
            )
            assert status == 200, answer
    assert answer["status"] == "completed"

    # And the day's statistics count one service per station, at its counter
    status, statistics = local_runtime.request("GET", f"/sites/{site}/statistics", token=manager)
    assert status == 200, statistics
    served = {entry["station_id"]: (entry["served"], entry["counters"]) for entry in statistics["stations"]}
    assert served == {
        "reception": (1, [{"counter": "desk-1", "served": 1}]),
        "eye-exam": (1, [{"counter": "room-1", "served": 1}]),
    }
    # And boto3 on the Step Functions endpoint shows the execution, ended with the outcome
    sfn = local_runtime.sfn()
    execution = until(
        lambda: (
            (found := sfn.describe_execution(executionArn=ticket["execution_arn"]))["status"] != "RUNNING" and found
        ),
        "the execution's end",
    )
    assert (execution["status"], execution["name"]) == ("SUCCEEDED", f"ticket-{ticket['ticket_id']}")
    assert '"outcome": "completed"' in execution["output"] or '"outcome":"completed"' in execution["output"]
    events = sfn.get_execution_history(executionArn=ticket["execution_arn"], maxResults=1000)["events"]
    entered = [event["stateEnteredEventDetails"]["name"] for event in events if event["type"].endswith("StateEntered")]
    # the actions came at once, so a wait may have found its answer there already (answered at once by
    # its task), or the ticket's day over (TicketEnded: on a busy machine, before the first wait), and
    # the workflow skipped states: never more than the happy path's 4 per station and 3 at the end
    per_station = ["EnterStation", "AwaitCall", "AwaitArrival", "AwaitServiceEnd"]
    assert entered[0] == "EnterStation"
    assert entered[-2:] == ["ReadOutcome", "Ended"]
    assert len(entered) <= len(per_station) * 2 + 3
    assert set(entered) <= {*per_station, "ReadOutcome", "Ended"}
    assert "Zainab" not in str(events)  # the history carries ids, never the person's name
