"""The action protocol, held against the local Step Functions stopped and started again: a start, an
answer, a heartbeat and a failure given while it is down each stand at once, and reach their
execution once it is back — by the relay, as the dispatcher runs it."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from lambdas.shared.db.notifications.models import Notification
from lambdas.shared.db.unit_of_work import UnitOfWork
from lambdas.shared.stepfunctions import reset_workflows
from local import engine_host
from local.seed import SITE_ID, seed
from local.sfn.clock import ManualClock
from local.sfn.service import StepFunctionsService
from tests.events import api_event, call_api
from tests.signals import written
from tests.workflows.conftest import EXACT, Onboarding, Orders, Queue, StepFunctions, application, point_the_api_at
from tests.workflows.test_queue_progression import configure, parked, with_sms_consent


def post(path: str, body: Any) -> tuple[int, Any]:
    """The front desk's request, with nothing to wait for (the engine is down)."""
    return call_api(api_event("POST", path, body=body))


class LocalStepFunctions:
    """The engine and its API on one port, which can be stopped and started again on the same port
    with the same store: to the API, Step Functions was down for a while."""

    def __init__(self, directory: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.directory, self.monkeypatch = directory, monkeypatch
        self.clock = ManualClock(start=time.time())
        self.port = 0
        self.desks: list[Any] = []  # the helpers whose engine is this one's
        self.start()

    def start(self) -> None:
        self.service: StepFunctionsService = engine_host.build(self.directory, clock=self.clock)
        self.service.engine.start()
        self.server = engine_host.make_sfn_server("127.0.0.1", self.port, self.service)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        point_the_api_at(self.service, self.server, self.monkeypatch)
        for desk in self.desks:
            desk.service = self.service

    def stop(self) -> None:
        """Down, as a process that died: the API's kept-alive connections go with it."""
        self.server.shutdown()
        self.server.server_close()
        self.service.engine.shutdown()
        reset_workflows()

    def relay_once_back(self) -> dict[str, int]:
        """Started again; the relay's run once the signals' retries are due."""
        self.start()
        outcomes = dict(StepFunctions(self.monkeypatch).relay())
        assert self.service.engine.wait_idle(30)
        return outcomes

    def desk(self, kind: type, *more: Any) -> Any:
        desk = kind(self.service, self.clock, *more)
        self.desks.append(desk)
        return desk


@pytest.fixture
def step_functions(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalStepFunctions]:
    local = LocalStepFunctions(tmp_path / "sfn", monkeypatch)
    yield local
    local.stop()


@pytest.fixture
def queue(step_functions: LocalStepFunctions) -> Queue:
    seed()
    configure()
    return step_functions.desk(Queue)


def test_a_check_in_while_step_functions_is_down_starts_its_workflow_once_it_is_back(
    step_functions: LocalStepFunctions, queue: Queue
) -> None:
    step_functions.stop()
    status, checked = post(f"/sites/{SITE_ID}/tickets", {"display_name": "Awa"})
    assert status == 201, checked
    assert (checked["number"], checked["position"]) == ("A001", 1)
    assert [signal.status for signal in written("start")] == ["pending"]
    assert step_functions.relay_once_back() == {"delivered": 1}
    assert queue.execution(checked["ticket_id"])["executionArn"] == checked["execution_arn"]
    assert parked(checked["ticket_id"])[0] == "call"


def test_a_call_while_step_functions_is_down_wakes_its_workflow_once_it_is_back(
    step_functions: LocalStepFunctions, queue: Queue
) -> None:
    ticket = queue.check_in()["ticket_id"]
    step_functions.stop()
    status, view = post(f"/sites/{SITE_ID}/stations/reception/call-next", {"counter": "desk-1"})
    assert (status, view["ticket_id"], view["status"]) == (200, ticket, "called")
    assert step_functions.relay_once_back() == {"delivered": 1}
    assert parked(ticket)[0] == "arrival"


def test_a_person_called_while_step_functions_is_down_is_texted_at_once(
    step_functions: LocalStepFunctions, queue: Queue, make_client: Callable[..., Any]
) -> None:
    # Given a client with SMS consent waiting, and the next one behind her
    first, second = with_sms_consent(make_client), with_sms_consent(make_client, phone="+33611111111")
    for client in (first, second):
        queue.check_in(client_id=client.id)
    step_functions.stop()
    # When the counter calls while Step Functions is down, she hears it at once, and so does the next
    assert post(f"/sites/{SITE_ID}/stations/reception/call-next", {"counter": "desk-1"})[0] == 200
    with UnitOfWork("test") as uow:
        queued = {(n.client_id, n.template) for n in uow.session.scalars(select(Notification))}
    assert {(first.id, "ticket_called"), (second.id, "ticket_next")} <= queued


def test_news_from_the_lab_while_step_functions_is_down_reaches_the_wait_once_it_is_back(
    step_functions: LocalStepFunctions,
) -> None:
    seed()
    client_id = step_functions.desk(Onboarding).onboard()
    orders = step_functions.desk(Orders, client_id)
    orders.stock()
    order_id = orders.create()
    step_functions.stop()
    assert post(f"/orders/{order_id}/lab-result", {"status": "in_production"})[0] == 200
    assert step_functions.relay_once_back() == {"delivered": 1}
    assert [signal.status for signal in written("heartbeat")] == ["delivered"]
    assert orders.order(order_id)["waiting_for"] == "lab_result"
    assert orders.lab(order_id, "shipped")["status"] == "quality_check"
    assert orders.check(order_id, *EXACT)["status"] == "ready"


def test_an_erasure_while_step_functions_is_down_ends_the_waiting_onboarding_once_it_is_back(
    step_functions: LocalStepFunctions,
) -> None:
    onboarding = step_functions.desk(Onboarding)
    client_id = onboarding.onboard(application(evidence=None))  # waits for documents
    step_functions.stop()
    status, erased = call_api(api_event("DELETE", f"/clients/{client_id}", groups=("managers",)))
    assert (status, erased["execution_stopped"]) == (200, True)
    assert step_functions.relay_once_back() == {"delivered": 1}
    execution = onboarding.execution(client_id)
    assert execution["status"] != "RUNNING"
    assert onboarding.entered(client_id)[-1] == "Erased"
    assert onboarding.client(client_id)["status"] == "erased"
