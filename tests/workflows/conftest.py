"""The onboarding workflow end to end, in-process: the API handler, the Step Functions API on a free
port, the engine on a manual clock running the real ASL and task handlers, one database."""

from __future__ import annotations

import json
import os
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, select
from sqlalchemy.exc import OperationalError

from lambdas.shared.clock import utcnow
from lambdas.shared.config import state_machine_variable
from lambdas.shared.db.engine import get_engine
from lambdas.shared.db.queue.models import QueueEvent
from lambdas.shared.db.unit_of_work import UnitOfWork
from lambdas.shared.signals import relay
from lambdas.shared.stepfunctions import reset_workflows, workflows
from local import engine_host
from local.seed import SITE_ID, seed
from local.sfn.clock import ManualClock
from local.sfn.service import StepFunctionsService
from tests.databases import lost_connection
from tests.events import api_event, call_api

DAY = 24 * 3600


def application(**changes: Any) -> dict[str, Any]:
    """A valid application, as the front desk would submit it."""
    body: dict[str, Any] = {
        "first_name": "Amina",
        "last_name": "Diallo",
        "birth_date": "1961-04-02",
        "phone": "+33612345678",
        "email": None,
        "address": {"line1": "12 rue des Lilas", "postal_code": "93200", "city": "Saint-Denis"},
        "language": "fr",
        "consents": {"data_processing": True, "sms": True},
        "evidence": {"type": "social_benefit_certificate", "reference": "CSS-2026-0042", "expires_on": "2030-06-30"},
    }
    body.update(changes)
    return body


@dataclass
class Onboarding:
    service: StepFunctionsService
    clock: ManualClock

    def submit(self, body: dict[str, Any], key: str | None = None, groups: tuple[str, ...] = ("front-desk",)):
        headers = {"Idempotency-Key": key} if key else {}
        return call_api(api_event("POST", "/clients", body=body, headers=headers, groups=groups))

    def onboard(self, body: dict[str, Any] | None = None) -> str:
        """Submit and let the workflow run as far as it can; the client id."""
        status, accepted = self.submit(body or application())
        assert status == 202, accepted
        self.settle()
        return accepted["client_id"]

    def client(self, client_id: str) -> dict[str, Any]:
        status, body = call_api(api_event("GET", f"/clients/{client_id}", groups=("managers",)))
        assert status == 200, body
        return body

    def review(self, client_id: str, decision: str):
        answer = call_api(api_event("POST", f"/clients/{client_id}/duplicate-review", body={"decision": decision}))
        self.settle()
        return answer

    def documents(self, client_id: str, body: dict[str, Any]):
        answer = call_api(api_event("POST", f"/clients/{client_id}/documents", body=body))
        self.settle()
        return answer

    def erase(self, client_id: str):
        answer = call_api(api_event("DELETE", f"/clients/{client_id}", groups=("managers",)))
        self.settle()
        return answer

    def settle(self) -> None:
        assert self.service.engine.wait_idle(30), "the engine did not settle"

    def advance(self, seconds: float) -> None:
        self.clock.advance(seconds)
        self.settle()

    def execution(self, client_id: str) -> dict[str, Any]:
        return self.service.DescribeExecution({"executionArn": self.arn(client_id)})

    def history(self, client_id: str) -> list[dict[str, Any]]:
        return self.service.GetExecutionHistory({"executionArn": self.arn(client_id), "maxResults": 1000})["events"]

    def arn(self, client_id: str) -> str:
        return f"arn:aws:states:us-east-1:000000000000:execution:client-onboarding:client-{client_id}"

    def entered(self, client_id: str) -> list[str]:
        return [
            event["stateEnteredEventDetails"]["name"]
            for event in self.history(client_id)
            if event["type"].endswith("StateEntered")
        ]

    def executions(self) -> list[dict[str, Any]]:
        arn = "arn:aws:states:us-east-1:000000000000:stateMachine:client-onboarding"
        return self.service.ListExecutions({"stateMachineArn": arn})["executions"]


class StepFunctions:
    """Cuts the API off from Step Functions (nothing listens on the port it is sent to), and back; the
    relay then delivers what the API could not."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self._monkeypatch = monkeypatch
        self._reachable = os.environ["AWS_ENDPOINT_URL_SFN"]

    def cut(self) -> None:
        self._monkeypatch.setenv("AWS_ENDPOINT_URL_SFN", "http://127.0.0.1:9")
        reset_workflows()

    def restore(self) -> None:
        self._monkeypatch.setenv("AWS_ENDPOINT_URL_SFN", self._reachable)
        reset_workflows()

    def relay(self) -> Counter[str]:
        """The relay's next runs, once the signals' retries are due; how each ended."""
        return relay(workflows(), now=lambda: utcnow() + timedelta(hours=1))


def midday_zone() -> str:
    """An ``Etc/GMT±N`` zone where it is between noon and one o'clock now: a site there stays in
    today's clinic day for hours either way, whatever the hour the tests run."""
    offset = 12 - datetime.now(UTC).hour  # hours ahead of UTC: -11 to 12
    return f"Etc/GMT{-offset:+d}" if offset else "Etc/GMT"  # POSIX signs: Etc/GMT-3 is UTC+3


def point_the_api_at(service: StepFunctionsService, server: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The API function's Step Functions client talks to this local endpoint, as CDK would wire it."""
    monkeypatch.setenv("AWS_ENDPOINT_URL_SFN", f"http://127.0.0.1:{server.server_address[1]}")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "local")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "local")
    for machine in service.store.state_machines():
        monkeypatch.setenv(state_machine_variable(machine["name"]), machine["arn"])
    reset_workflows()


@dataclass
class Queue:
    """The queue of the local site (``local.seed``) as the front desk works it, over the API."""

    service: StepFunctionsService
    clock: ManualClock

    def check_in(self, site_id: str = SITE_ID, key: str | None = None, **body: Any) -> dict[str, Any]:
        """Check a person in and let the workflow park the ticket; the 201 answer."""
        status, answer = self.post(f"/sites/{site_id}/tickets", body, headers={"Idempotency-Key": key} if key else None)
        assert status == 201, answer
        return answer

    def call_next(self, station_id: str = "reception", counter: str = "desk-1") -> tuple[int, Any]:
        return self.post(f"/sites/{SITE_ID}/stations/{station_id}/call-next", {"counter": counter})

    def act(self, ticket_id: str, action: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
        """POST /tickets/{id}/{action}: call, arrived, recall, no-show, complete, transfer, cancel."""
        return self.post(f"/tickets/{ticket_id}/{action}", body)

    def serve(self, ticket_id: str, station_id: str, counter: str, **completion: Any) -> dict[str, Any]:
        """Call the ticket to ``counter`` (it must be next), see the person arrive, complete the service."""
        status, called = self.call_next(station_id, counter)
        assert (status, called["ticket_id"]) == (200, ticket_id), called
        for action, body in (("arrived", None), ("complete", completion)):
            status, answer = self.act(ticket_id, action, body)
            assert status == 200, answer
        return answer

    def post(self, path: str, body: Any, headers: dict[str, str] | None = None) -> tuple[int, Any]:
        answer = call_api(api_event("POST", path, body=body, headers=headers))
        self.settle()
        return answer

    def ticket(self, ticket_id: str) -> dict[str, Any]:
        status, body = call_api(api_event("GET", f"/tickets/{ticket_id}"))
        assert status == 200, body
        return body

    def events(self, ticket_id: str) -> list[tuple[str, str]]:
        """(kind, station) of the ticket's queue events, in order."""
        with UnitOfWork("test") as uow:
            query = select(QueueEvent).filter_by(ticket_id=ticket_id).order_by(QueueEvent.id)
            return [(event.kind, event.station_id) for event in uow.session.scalars(query)]

    def settle(self) -> None:
        assert self.service.engine.wait_idle(30), "the engine did not settle"

    def advance(self, seconds: float) -> None:
        self.clock.advance(seconds)
        self.settle()

    def arn(self, ticket_id: str) -> str:
        return f"arn:aws:states:us-east-1:000000000000:execution:queue-progression:ticket-{ticket_id}"

    def execution(self, ticket_id: str) -> dict[str, Any]:
        return self.service.DescribeExecution({"executionArn": self.arn(ticket_id)})

    def outcome(self, ticket_id: str) -> str | None:
        """The ended execution's outcome; None while it runs."""
        execution = self.execution(ticket_id)
        if execution["status"] == "RUNNING":
            return None
        assert execution["status"] == "SUCCEEDED", execution
        return json.loads(execution["output"])["outcome"]

    def history(self, ticket_id: str) -> list[dict[str, Any]]:
        return self.service.GetExecutionHistory({"executionArn": self.arn(ticket_id), "maxResults": 1000})["events"]

    def entered(self, ticket_id: str) -> list[str]:
        return [
            event["stateEnteredEventDetails"]["name"]
            for event in self.history(ticket_id)
            if event["type"].endswith("StateEntered")
        ]


@pytest.fixture(autouse=True)
def _no_aws(step_functions_unreachable: None) -> None:
    """A task run by a test, not by an engine, reaches no Step Functions but the one a test points it at."""


@pytest.fixture
def outage(database_url: str) -> Iterator[Callable[[str], dict[str, bool]]]:
    """``outage(fragment)``: statements containing ``fragment`` fail as a lost connection would, while
    the returned ``["down"]`` is true."""
    engine = get_engine()
    listeners = []

    def start(fragment: str) -> dict[str, bool]:
        state = {"down": True}
        original = lost_connection(engine.dialect.name)

        def fail(connection, cursor, statement, parameters, context, executemany) -> None:
            if state["down"] and fragment in statement:
                raise OperationalError(statement, parameters, original)

        event.listen(engine, "before_cursor_execute", fail)
        listeners.append(fail)
        return state

    yield start
    for listener in listeners:
        event.remove(engine, "before_cursor_execute", listener)


@pytest.fixture
def local_step_functions(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[StepFunctionsService, ManualClock]]:
    """The engine on a manual clock, its API on a free port, the API function pointed at it."""
    clock = ManualClock(start=time.time())
    service = engine_host.build(tmp_path / "sfn", clock=clock)
    service.engine.start()
    server = engine_host.make_sfn_server("127.0.0.1", 0, service)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    point_the_api_at(service, server, monkeypatch)
    yield service, clock
    server.shutdown()
    service.engine.shutdown()
    reset_workflows()


@pytest.fixture
def onboarding(local_step_functions: tuple[StepFunctionsService, ManualClock]) -> Onboarding:
    return Onboarding(*local_step_functions)


@pytest.fixture
def queue(local_step_functions: tuple[StepFunctionsService, ManualClock]) -> Queue:
    """The local site seeded, open all day: a queue to check people into."""
    seed()
    return Queue(*local_step_functions)


@dataclass
class Orders:
    """Orders of glasses for one active client at the local site, over the API; the engine on a manual clock."""

    service: StepFunctionsService
    clock: ManualClock
    client_id: str

    def stock(self, sku: str = "RAY-01", quantity: int = 1) -> None:
        body = {"description": "Acetate, black, 52-18", "kind": "donated", "quantity": quantity}
        status, answer = call_api(api_event("PUT", f"/sites/{SITE_ID}/frames/{sku}", body=body, groups=("managers",)))
        assert status == 200, answer
        self.settle()

    def restock(self, sku: str = "RAY-01", quantity: int = 1) -> None:
        path = f"/sites/{SITE_ID}/frames/{sku}/restock"
        status, answer = call_api(api_event("POST", path, body={"quantity": quantity}, groups=("managers",)))
        assert status == 200, answer
        self.settle()

    def on_shelf(self, sku: str = "RAY-01") -> int:
        status, page = call_api(api_event("GET", f"/sites/{SITE_ID}/frames"))
        assert status == 200, page
        return next(item["quantity"] for item in page["items"] if item["sku"] == sku)

    def create(self, key: str | None = None, **changes: Any) -> str:
        status, accepted = self.submit(key, **changes)
        assert status == 202, accepted
        return accepted["order_id"]

    def submit(self, key: str | None = None, **changes: Any) -> tuple[int, Any]:
        headers = {"Idempotency-Key": key} if key else None
        answer = call_api(api_event("POST", "/orders", body=order_body(self.client_id, **changes), headers=headers))
        self.settle()
        return answer

    def act(self, order_id: str, action: str, body: Any = None) -> tuple[int, Any]:
        """POST /orders/{id}/{action}: frame, lab-result, quality-check, pickup, cancel."""
        answer = call_api(api_event("POST", f"/orders/{order_id}/{action}", body=body))
        self.settle()
        return answer

    def lab(self, order_id: str, status: str, **body: Any) -> dict[str, Any]:
        code, answer = self.act(order_id, "lab-result", {"status": status, **body})
        assert code == 200, answer
        return answer

    def check(self, order_id: str, right: dict[str, Any], left: dict[str, Any], **more: Any) -> dict[str, Any]:
        code, answer = self.act(order_id, "quality-check", {"right": right, "left": left, **more})
        assert code == 200, answer
        return answer

    def order(self, order_id: str) -> dict[str, Any]:
        status, body = call_api(api_event("GET", f"/orders/{order_id}"))
        assert status == 200, body
        return body

    def status(self, order_id: str) -> str:
        return self.order(order_id)["status"]

    def events(self, order_id: str) -> list[str]:
        return [event["kind"] for event in self.order(order_id)["events"]]

    def settle(self) -> None:
        assert self.service.engine.wait_idle(30), "the engine did not settle"

    def advance(self, seconds: float) -> None:
        self.clock.advance(seconds)
        self.settle()

    def arn(self, order_id: str) -> str:
        return f"arn:aws:states:us-east-1:000000000000:execution:order-fulfilment:order-{order_id}"

    def execution(self, order_id: str) -> dict[str, Any]:
        return self.service.DescribeExecution({"executionArn": self.arn(order_id)})

    def outcome(self, order_id: str) -> str | None:
        execution = self.execution(order_id)
        if execution["status"] == "RUNNING":
            return None
        assert execution["status"] == "SUCCEEDED", execution
        return json.loads(execution["output"])["outcome"]

    def history(self, order_id: str) -> list[dict[str, Any]]:
        return self.service.GetExecutionHistory({"executionArn": self.arn(order_id), "maxResults": 1000})["events"]

    def entered(self, order_id: str) -> list[str]:
        return [
            event["stateEnteredEventDetails"]["name"]
            for event in self.history(order_id)
            if event["type"].endswith("StateEntered")
        ]


def order_body(client_id: str, **changes: Any) -> dict[str, Any]:
    """A valid single-vision order for ``client_id``; ``changes`` replace top-level fields."""
    body: dict[str, Any] = {
        "client_id": client_id,
        "site_id": SITE_ID,
        "frame_sku": "RAY-01",
        "lens": {"type": "single_vision"},
        "prescription": {
            "right": {"sphere": "-2.25", "cylinder": "-0.50", "axis": 90},
            "left": {"sphere": "-2.00"},
            "pd": {"right": "31.5", "left": "32"},
            "prescriber": "Dr Camille Roux",
            "written_on": datetime.now(UTC).date().isoformat(),
        },
    }
    body.update(changes)
    return body


# what the lensmeter reads on glasses made exactly to ``order_body``'s prescription
EXACT = ({"sphere": "-2.25", "cylinder": "-0.50", "axis": 90}, {"sphere": "-2.00"})


@pytest.fixture
def orders(local_step_functions: tuple[StepFunctionsService, ManualClock]) -> Orders:
    """The local site seeded, an active client, one frame RAY-01 on the shelf."""
    seed()
    service, clock = local_step_functions
    client_id = Onboarding(service, clock).onboard()
    desk = Orders(service, clock, client_id)
    desk.stock()
    return desk
