"""The executions routes over the local Step Functions: what managers read (counts, lists, an
entity's executions, one execution, its history without task tokens) and what ops do (redrive,
stop), each recorded with the caller."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import select

from lambdas.shared.db.records.models import AuditEntry
from lambdas.shared.db.unit_of_work import UnitOfWork
from lambdas.shared.errors import Conflict
from lambdas.shared.executions import operating
from lambdas.shared.signals import Actor
from local.tokens import subject_of
from tests.databases import ON_BOTH_DATABASES
from tests.events import api_event, call_api
from tests.workflows.conftest import EXACT, Onboarding, Orders, Queue, StepFunctions, application
from workflows.order_fulfilment import WORKFLOW as ORDER_FULFILMENT

pytestmark = ON_BOTH_DATABASES

ORDERS = "/workflows/order-fulfilment/executions"
MANAGER, OPS = ("managers",), ("ops",)


def get(path: str, groups: tuple[str, ...] = MANAGER, **query: str) -> tuple[int, Any]:
    return call_api(api_event("GET", path, groups=groups, query=query or None))


def post(path: str, body: Any = None, groups: tuple[str, ...] = OPS) -> tuple[int, Any]:
    return call_api(api_event("POST", path, body=body, groups=groups))


def audit(action: str) -> list[tuple[str, str, dict[str, Any]]]:
    with UnitOfWork("test") as uow:
        entries = uow.session.scalars(select(AuditEntry).filter_by(action=action).order_by(AuditEntry.id))
        return [(entry.actor, entry.entity_id, entry.details) for entry in entries]


def failed_order(orders: Orders, outage: Callable[[str], dict[str, bool]]) -> tuple[str, dict[str, bool]]:
    """An order whose execution failed at ReserveFrame (the database refused the stock's update)."""
    down = outage("UPDATE frame_stock SET quantity")
    order_id = orders.create()
    for _ in range(5):
        orders.advance(60)
    assert orders.execution(order_id)["status"] == "FAILED"
    return order_id, down


def test_a_failed_execution_shows_its_failed_state_and_error_and_is_redriven_by_ops(
    orders: Orders, outage: Callable[[str], dict[str, bool]]
) -> None:
    order_id, down = failed_order(orders, outage)
    name = f"order-{order_id}"
    # A manager finds it among the failed ones, with the state it failed in and why
    status, page = get(ORDERS, status="failed")
    assert status == 200, page
    [failed] = page["items"]
    assert (failed["name"], failed["entity"], failed["status"], failed["failed_state"], failed["error"]) == (
        name,
        {"type": "order", "id": order_id, "url": f"/orders/{order_id}"},
        "failed",
        "ReserveFrame",
        "DatabaseUnavailable",
    )
    assert failed["redrive"] == {"count": 0, "redrivable": True, "reason": None, "last_at": None}
    status, detail = get(f"{ORDERS}/{name}")
    assert (status, detail["current_state"], detail["failed_state"], detail["waiting"]) == (
        200, "ReserveFrame", "ReserveFrame", None)  # fmt: skip
    states = {state["name"]: state for state in detail["states"]}
    assert (states["ReserveFrame"]["status"], states["ReserveFrame"]["retries"]) == ("failed", 4)
    assert states["SubmitToLab"]["status"] == "not_reached"
    # A manager may not redrive it
    assert post(f"{ORDERS}/{name}/redrive", groups=MANAGER)[0] == 403
    # Ops redrive it once the database is back: it goes on, and the audit trail names who did it
    down["down"] = False
    status, redriven = post(f"{ORDERS}/{name}/redrive")
    assert (status, redriven["redrive_count"], redriven["status_url"]) == (202, 1, f"{ORDERS}/{name}")
    orders.settle()
    assert orders.status(order_id) == "at_lab"
    status, detail = get(f"{ORDERS}/{name}")
    assert (detail["status"], detail["waiting"]["kind"], detail["current_state"]) == ("running", "callback", "AwaitLab")
    assert (detail["redrive"]["count"], detail["redrive"]["redrivable"]) == (1, False)  # still said while it runs
    [(actor, entity_id, details)] = audit("execution.redriven")
    assert (actor, entity_id, details) == (
        subject_of("tester"),
        order_id,
        {"workflow": "order-fulfilment", "redrive": 1},
    )
    # A running execution cannot be redriven: 409 with the reason
    status, refused = post(f"{ORDERS}/{name}/redrive")
    assert (status, refused["error"]) == (409, "conflict")
    assert "RUNNING" in refused["message"]
    # And the redriven execution goes on to the end: SUCCEEDED
    orders.lab(order_id, "shipped")
    orders.check(order_id, *EXACT)
    assert orders.act(order_id, "pickup")[0] == 200
    assert orders.execution(order_id)["status"] == "SUCCEEDED"
    assert get(f"{ORDERS}/{name}")[1]["status"] == "succeeded"


def redriven_at_once(names: list[str]) -> list[int | str]:
    """Ops pressing Redrive at the same instant, one for each name: the redrive count each got, or the
    conflict's message."""
    start = threading.Barrier(len(names))

    def press(name: str) -> int | str:
        start.wait()
        try:
            return operating.redrive(Actor("ops"), ORDER_FULFILMENT, name)
        except Conflict as refused:
            return str(refused)

    with ThreadPoolExecutor(max_workers=len(names)) as pool:
        return list(pool.map(press, names))


def test_ops_pressing_redrive_at_the_same_instant_redrive_it_once(
    orders: Orders, outage: Callable[[str], dict[str, bool]]
) -> None:
    # Given a failed execution, the database back
    order_id, down = failed_order(orders, outage)
    down["down"] = False
    # When three ops press Redrive at the same instant
    answers = redriven_at_once([f"order-{order_id}"] * 3)
    # Then one redrives it, the others hear it runs again; one redrive in the history and the audit trail
    refused = [answer for answer in answers if answer != 1]
    assert (answers.count(1), len(refused)) == (1, 2), answers
    assert all("RUNNING" in str(message) for message in refused)
    assert len(audit("execution.redriven")) == 1
    orders.settle()
    assert orders.execution(order_id)["redriveCount"] == 1
    assert orders.status(order_id) == "at_lab"


def test_ops_redriving_different_executions_at_the_same_instant_each_redrive_theirs(
    orders: Orders, outage: Callable[[str], dict[str, bool]]
) -> None:
    # Given three failed executions, the database back
    down = outage("UPDATE frame_stock SET quantity")
    failed = [orders.create() for _ in range(3)]
    for _ in range(5):
        orders.advance(60)
    assert {orders.execution(order_id)["status"] for order_id in failed} == {"FAILED"}
    down["down"] = False
    # When three ops redrive one each at the same instant, Then each is redriven
    assert redriven_at_once([f"order-{order_id}" for order_id in failed]) == [1, 1, 1]
    assert len(audit("execution.redriven")) == 3


def test_a_succeeded_execution_cannot_be_redriven(onboarding: Onboarding) -> None:
    client_id = onboarding.onboard()
    status, refused = post(f"/workflows/client-onboarding/executions/client-{client_id}/redrive")
    assert (status, refused["error"]) == (409, "conflict")
    assert "SUCCEEDED" in refused["message"]
    assert audit("execution.redriven") == []


def test_the_history_shows_inputs_and_outputs_but_never_a_task_token(orders: Orders) -> None:
    order_id = orders.create()  # it waits for the lab: its token is parked
    tokens = _token_values(orders.history(order_id))
    assert len(tokens) == 1  # AwaitLab parked its token on the order
    status, history = get(f"{ORDERS}/order-{order_id}/history")
    assert status == 200, history
    body = json.dumps(history)
    assert not any(token in body for token in tokens)
    assert re.search(r"AQ[\w-]{40,}", body) is None  # nothing shaped like the engine's tokens either
    scheduled = [event for event in history["events"] if event["type"] == "TaskScheduled"]
    assert any(event["parameters"]["Payload"].get("token") == "[removed]" for event in scheduled)
    entered = [event["state"] for event in history["events"] if event["type"].endswith("StateEntered")]
    assert entered == orders.entered(order_id)
    assert [event["id"] for event in history["events"]] == sorted(event["id"] for event in history["events"])
    status, detail = get(f"{ORDERS}/order-{order_id}")
    assert not any(token in json.dumps(detail) for token in tokens)


def _token_values(events: list[dict[str, Any]]) -> set[str]:
    found = set()
    for event in events:
        parameters = event.get("taskScheduledEventDetails", {}).get("parameters")
        if parameters:
            token = json.loads(parameters).get("Payload", {}).get("token")
            if token:
                found.add(token)
    return found


def test_an_entitys_executions_are_found_by_its_id(onboarding: Onboarding, orders: Orders, queue: Queue) -> None:
    order_id = orders.create()
    ticket_id = queue.check_in(display_name="Moussa")["ticket_id"]
    for entity_id, workflow, status in (
        (orders.client_id, "client-onboarding", "succeeded"),
        (order_id, "order-fulfilment", "running"),
        (ticket_id, "queue-progression", "running"),
    ):
        code, found = get("/executions", entity=entity_id)
        assert code == 200, found
        assert [(item["workflow"], item["entity"]["id"], item["status"]) for item in found["items"]] == [
            (workflow, entity_id, status)
        ]
    assert get("/executions", entity="00000000-0000-4000-8000-000000000000") == (200, {"items": []})
    code, refused = get("/executions", entity="order-1")
    assert (code, refused["details"][0]["field"]) == (422, "query.entity")


def test_counts_and_pages_of_a_workflows_executions(onboarding: Onboarding) -> None:
    ids = []
    for name in ("Awa", "Binta", "Coumba"):
        ids.append(onboarding.onboard(application(first_name=name, phone=None)))
        onboarding.advance(1)  # one start a second: newest first is one order
    waiting = onboarding.onboard(application(first_name="Dieynaba", phone=None, evidence={"type": "none_yet"}))
    status, overview = get("/workflows")
    assert status == 200, overview
    counts = {item["workflow"]: item["counts"] for item in overview["workflows"]}
    assert set(counts) == {"client-onboarding", "order-fulfilment", "queue-progression"}
    assert counts["client-onboarding"] == {"running": 1, "succeeded": 3, "failed": 0, "timed_out": 0, "aborted": 0}
    assert get("/workflows", since="2999-01-01T00:00:00Z")[1]["workflows"][0]["counts"]["succeeded"] == 0
    # Newest first, two at a time, every execution once
    path, seen, token = "/workflows/client-onboarding/executions", [], None
    while True:
        status, page = get(path, limit="2", **({"next": token} if token else {}))
        assert status == 200, page
        seen += [item["entity"]["id"] for item in page["items"]]
        if not (token := page["next"]):
            break
    assert seen == [waiting, *reversed(ids)]
    assert [item["entity"]["id"] for item in get(path, status="running")[1]["items"]] == [waiting]


@pytest.mark.parametrize(
    ("path", "query", "field"),
    [
        ("/workflows/client-onboarding/executions", {"since": "yesterday"}, "query.since"),
        ("/workflows/client-onboarding/executions", {"since": "2026-12-01T08:00:00"}, "query.since"),  # no offset
        ("/workflows/client-onboarding/executions", {"next": "not-a-token"}, "query.next"),
        ("/workflows/client-onboarding/executions", {"status": "broken"}, "query.status"),
        ("/workflows", {"since": "2026-13-01T00:00:00Z"}, "query.since"),
        ("/workflows/order-fulfilment/executions/anything", {}, "path.name"),
    ],
)
def test_a_malformed_query_is_a_422_naming_it(
    local_step_functions: Any, path: str, query: dict[str, str], field: str
) -> None:
    status, refused = get(path, MANAGER, **query)
    assert (status, [detail["field"] for detail in refused["details"]]) == (422, [field]), refused


@pytest.mark.parametrize(
    "path",
    [
        "/workflows/no-such-workflow/executions",
        "/workflows/order-fulfilment/executions/order-00000000-0000-4000-8000-000000000000",
        "/workflows/order-fulfilment/executions/client-00000000-0000-4000-8000-000000000000",  # another's name
        "/workflows/order-fulfilment/executions/order-00000000-0000-4000-8000-000000000000/history",
    ],
)
def test_an_unknown_workflow_or_execution_is_a_404(local_step_functions: Any, path: str) -> None:
    status, refused = get(path)
    assert (status, refused["error"]) == (404, "not_found"), refused


def test_stopping_a_waiting_order_aborts_it_and_cancels_the_order(orders: Orders) -> None:
    order_id = orders.create()
    name = f"order-{order_id}"
    assert post(f"{ORDERS}/{name}/stop", {"cause": "duplicate order"}, groups=MANAGER)[0] == 403
    status, stopped = post(f"{ORDERS}/{name}/stop", {"error": "Duplicate", "cause": "duplicate order"})
    assert (status, stopped["status_url"]) == (202, f"{ORDERS}/{name}")
    orders.settle()
    execution = orders.execution(order_id)
    assert (execution["status"], execution["error"], execution["cause"]) == ("ABORTED", "Duplicate", "duplicate order")
    order = orders.order(order_id)
    assert (order["status"], order["waiting_for"]) == ("cancelled", None)
    assert orders.on_shelf() == 0  # the lab had the frame: kept, not back on the shelf
    [(actor, entity_id, details)] = audit("execution.stopped")
    assert (actor, entity_id, details) == (
        subject_of("tester"),
        order_id,
        {"workflow": "order-fulfilment", "error": "Duplicate"},
    )
    status, refused = post(f"{ORDERS}/{name}/stop")
    assert (status, refused["error"]) == (409, "conflict")
    assert "aborted" in refused["message"]
    # And a stopped execution is not redriven: that would reopen the order its stop ended
    assert get(f"{ORDERS}/{name}")[1]["redrive"]["redrivable"] is False
    status, refused = post(f"{ORDERS}/{name}/redrive")
    assert (status, orders.status(order_id)) == (409, "cancelled")
    assert "stopped" in refused["message"]


def test_ops_pressing_stop_at_the_same_instant_stop_it_once(orders: Orders) -> None:
    order_id = orders.create()
    start = threading.Barrier(3)

    def press() -> str:
        start.wait()
        try:
            operating.stop(Actor("ops"), ORDER_FULFILMENT, f"order-{order_id}", None, "duplicate order")
        except Conflict as refused:
            return str(refused)
        return "stopped"

    with ThreadPoolExecutor(max_workers=3) as pool:
        answers = [pool.submit(press) for _ in range(3)]
    assert sorted("aborted" in answer.result() for answer in answers) == [False, True, True]  # one stopped it
    assert len(audit("execution.stopped")) == 1
    orders.settle()
    assert (orders.execution(order_id)["status"], orders.status(order_id)) == ("ABORTED", "cancelled")


def test_stopping_an_order_waiting_for_a_frame_puts_nothing_back(orders: Orders) -> None:
    first, waiting = orders.create(), orders.create()  # one frame: the second waits for one
    assert orders.status(waiting) == "awaiting_frame"
    assert post(f"{ORDERS}/order-{waiting}/stop")[0] == 202
    orders.settle()
    assert (orders.status(waiting), orders.status(first), orders.on_shelf()) == ("cancelled", "at_lab", 0)


def test_stopping_a_ticket_or_an_onboarding_ends_them_as_their_process_defines(
    onboarding: Onboarding, queue: Queue
) -> None:
    ticket_id = queue.check_in(display_name="Moussa")["ticket_id"]
    assert post(f"/workflows/queue-progression/executions/ticket-{ticket_id}/stop", {})[0] == 202
    queue.settle()
    assert (queue.execution(ticket_id)["status"], queue.ticket(ticket_id)["status"]) == ("ABORTED", "cancelled")
    client_id = onboarding.onboard(application(evidence={"type": "none_yet"}))
    assert onboarding.client(client_id)["status"] == "awaiting_documents"
    assert post(f"/workflows/client-onboarding/executions/client-{client_id}/stop")[0] == 202
    onboarding.settle()
    client = onboarding.client(client_id)
    assert (onboarding.execution(client_id)["status"], client["status"], client["waiting_for"]) == (
        "ABORTED", "incomplete", None)  # fmt: skip


def test_nothing_changes_when_step_functions_cannot_be_reached(orders: Orders, monkeypatch: pytest.MonkeyPatch) -> None:
    order_id = orders.create()
    sfn = StepFunctions(monkeypatch)
    sfn.cut()
    status, refused = post(f"{ORDERS}/order-{order_id}/stop")
    assert (status, refused["error"]) == (503, "unavailable")
    assert get(f"{ORDERS}/order-{order_id}")[0] == 503
    sfn.restore()
    assert (orders.status(order_id), audit("execution.stopped")) == ("at_lab", [])


def test_a_stop_the_database_cuts_short_is_finished_by_repeating_it(
    queue: Queue, outage: Callable[[str], dict[str, bool]]
) -> None:
    ticket_id = queue.check_in(display_name="Moussa")["ticket_id"]
    path = f"/workflows/queue-progression/executions/ticket-{ticket_id}/stop"
    down = outage("INSERT INTO queue_events")  # the stop's ticket event cannot be written
    status, refused = post(path)
    assert (status, refused["error"]) == (503, "unavailable")
    # Then the execution is stopped (no step of it runs any more), the ticket still waits
    assert (queue.execution(ticket_id)["status"], queue.ticket(ticket_id)["status"]) == ("ABORTED", "waiting")
    # And repeating the request once the database is back ends the ticket; a third time is a 409
    down["down"] = False
    assert post(path)[0] == 202
    assert queue.ticket(ticket_id)["status"] == "cancelled"
    assert len(audit("execution.stopped")) == 1
    assert post(path)[0] == 409


def test_a_token_of_any_execution_is_removed_from_errors_and_causes(orders: Orders) -> None:
    first, second = orders.create(), orders.create()  # one frame: the second waits for one, parked
    tokens = {order_id: _token_values(orders.history(order_id)).pop() for order_id in (first, second)}
    # a careless caller fails the first's wait with the second's token in its error and cause
    orders.service.SendTaskFailure(
        {"taskToken": tokens[first], "error": "Oops", "cause": f"see {tokens[second]} and {tokens[first]}"}
    )
    orders.settle()
    assert orders.execution(first)["status"] == "FAILED"
    reads = [(ORDERS, {}), (ORDERS, {"status": "failed"}), (f"{ORDERS}/order-{first}", {})]
    for path, query in [*reads, (f"{ORDERS}/order-{first}/history", {}), ("/executions", {"entity": first})]:
        body = json.dumps(get(path, MANAGER, **query)[1])
        assert not any(token in body for token in tokens.values()), (path, query)
    assert "see [removed] and [removed]" in json.dumps(get(f"{ORDERS}/order-{first}")[1])


def test_an_execution_started_by_hand_under_another_name_is_listed_without_an_entity(orders: Orders) -> None:
    machine = "arn:aws:states:us-east-1:000000000000:stateMachine:order-fulfilment"
    orders.service.StartExecution({"stateMachineArn": machine, "name": "manual-check-1", "input": "{}"})
    orders.settle()
    status, page = get(ORDERS)
    assert status == 200, page
    assert [item["entity"] for item in page["items"] if item["name"] == "manual-check-1"] == [None]
