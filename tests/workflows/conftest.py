"""The onboarding workflow end to end, in-process: the API handler, the Step Functions API on a free
port, the engine on a manual clock running the real ASL and task handlers, one database."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from lambdas.shared.config import state_machine_variable
from lambdas.shared.stepfunctions import reset_workflows
from local.sfn import runtime
from local.sfn.clock import ManualClock
from local.sfn.server import make_sfn_server
from local.sfn.service import StepFunctionsService
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


def point_the_api_at(service: StepFunctionsService, server: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The API function's Step Functions client talks to this local endpoint, as CDK would wire it."""
    monkeypatch.setenv("AWS_ENDPOINT_URL_SFN", f"http://127.0.0.1:{server.server_address[1]}")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "local")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "local")
    for machine in service.store.state_machines():
        monkeypatch.setenv(state_machine_variable(machine["name"]), machine["arn"])
    reset_workflows()


@pytest.fixture
def onboarding(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Onboarding]:
    clock = ManualClock(start=time.time())
    service = runtime.build(tmp_path / "sfn", clock=clock)
    service.engine.start()
    server = make_sfn_server("127.0.0.1", 0, service)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    point_the_api_at(service, server, monkeypatch)
    yield Onboarding(service, clock)
    server.shutdown()
    service.engine.shutdown()
    reset_workflows()
