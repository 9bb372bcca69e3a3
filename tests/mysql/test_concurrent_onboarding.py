"""Two applications for the same person at the same moment, on a real InnoDB server."""

import threading

import pytest

from lambdas.shared.db.unit_of_work import UnitOfWork
from lambdas.shared.errors import ConcurrentSubmission
from lambdas.shared.onboarding import intake as logic
from lambdas.shared.stepfunctions import workflows
from tests.workflows.conftest import Onboarding, application
from workflows.client_onboarding import WORKFLOW as CLIENT_ONBOARDING

pytestmark = [pytest.mark.mysql, pytest.mark.parametrize("database_url", ["mysql"], indirect=True)]


def test_concurrent_applications_for_one_person_end_with_one_client(onboarding: Onboarding) -> None:
    # Given two front desks submitting the same person at the same moment (different emails)
    bodies = [application(email="amina@example.org"), application(email="amina.diallo@example.org")]
    start = threading.Barrier(len(bodies))
    received: list[str] = []

    def submit(body: dict) -> None:
        start.wait()
        with UnitOfWork("front-desk") as uow:
            client_id = logic.receive_application(uow, logic.Application.model_validate(body), None, "desk").client_id
        workflows().start(CLIENT_ONBOARDING, client_id, {"client_id": client_id})
        received.append(client_id)

    threads = [threading.Thread(target=submit, args=(body,)) for body in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    onboarding.settle()
    # Then exactly one is a client; the other, whichever ran first, waits as its duplicate
    clients = {client_id: onboarding.client(client_id) for client_id in received}
    active = [c for c in clients.values() if c["status"] == "active"]
    waiting = [c for c in clients.values() if c["status"] == "awaiting_review"]
    assert len(active) == len(waiting) == 1
    assert waiting[0]["duplicate_of"] == active[0]["client_id"]
    # And once reviewed, one client remains
    onboarding.review(waiting[0]["client_id"], "same-person")
    statuses = sorted(onboarding.client(client_id)["status"] for client_id in received)
    assert statuses == ["active", "merged"]


def test_identical_applications_at_the_same_moment_store_one_client(database_url: str) -> None:
    start = threading.Barrier(4)
    received: list[str] = []

    def submit() -> None:
        start.wait()
        application_in = logic.Application.model_validate(application())
        for _ in range(2):  # as the API does: a concurrent twin is found on the second look
            try:
                with UnitOfWork("front-desk") as uow:
                    received.append(logic.receive_application(uow, application_in, "same-key", "desk").client_id)
                return
            except ConcurrentSubmission:
                continue

    threads = [threading.Thread(target=submit) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(received) == 4
    assert len(set(received)) == 1
