"""Onboarding never creates a second client, notification or execution, and a step the database
fails beyond its retries stops the execution there, visibly, ready to be redriven."""

import json
from collections.abc import Callable

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.exc import OperationalError

from lambdas.shared.db.clients.models import Client, ConsentRecord
from lambdas.shared.db.engine import get_engine
from lambdas.shared.db.notifications.models import Notification
from lambdas.shared.db.unit_of_work import UnitOfWork
from lambdas.shared.errors import SuspectedDuplicate
from lambdas.tasks import client_onboarding as tasks
from tests.databases import ON_BOTH_DATABASES, lost_connection
from tests.events import lambda_context
from tests.workflows.conftest import Onboarding, application

pytestmark = ON_BOTH_DATABASES


def _count(model, **filters) -> int:
    with UnitOfWork("test") as uow:
        return uow.session.execute(select(func.count()).select_from(model).filter_by(**filters)).scalar_one()


def test_the_same_post_twice_gives_one_client_and_one_execution(onboarding: Onboarding) -> None:
    # With an Idempotency-Key
    first = onboarding.submit(application(), key="desk-1-0042")
    again = onboarding.submit(application(), key="desk-1-0042")
    assert first[0] == again[0] == 202
    assert again[1] == first[1]
    # Without one: the identical application is recognised
    unkeyed = onboarding.submit(application())
    assert unkeyed[1]["client_id"] == first[1]["client_id"]
    onboarding.settle()
    assert _count(Client) == 1
    assert len(onboarding.executions()) == 1
    # A key reused for another application is refused, and stores nothing
    status, body = onboarding.submit(application(first_name="Paul"), key="desk-1-0042")
    assert (status, body["error"]) == (409, "conflict")
    assert _count(Client) == 1


def test_a_key_first_used_for_a_known_application_names_it_from_then_on(onboarding: Onboarding) -> None:
    # the application was sent without a key, then again with one: the key now belongs to it
    first = onboarding.submit(application())
    keyed = onboarding.submit(application(), key="desk-2-0001")
    assert keyed[1]["client_id"] == first[1]["client_id"]
    # so the same key with another application is a conflict, not a second client
    status, body = onboarding.submit(application(first_name="Paul", phone="+33611111111"), key="desk-2-0001")
    assert (status, body["error"]) == (409, "conflict")
    assert _count(Client) == 1


def test_resubmitting_after_the_workflow_ended_returns_the_same_client(onboarding: Onboarding) -> None:
    client_id = onboarding.onboard()
    status, body = onboarding.submit(application())
    assert (status, body["client_id"], body["execution_arn"]) == (202, client_id, onboarding.arn(client_id))
    assert len(onboarding.executions()) == 1


def test_every_task_run_twice_gives_the_same_result_and_no_second_row(onboarding: Onboarding) -> None:
    client_id = onboarding.onboard()
    step = {"client_id": client_id, "execution": onboarding.arn(client_id)}
    for handler in (tasks.find_duplicates, tasks.register_client, tasks.check_eligibility, tasks.activate_client):
        first = handler(dict(step), lambda_context())
        assert handler(dict(step), lambda_context()) == first, handler.__name__
    assert _count(Client) == 1
    assert _count(ConsentRecord, client_id=client_id) == 2
    assert _count(Notification, client_id=client_id) == 1


def test_review_tasks_run_twice_give_the_same_result(onboarding: Onboarding) -> None:
    existing = onboarding.onboard()
    duplicate = onboarding.onboard(application(email="x@example.org"))
    step = {"client_id": duplicate}
    with pytest.raises(SuspectedDuplicate):
        tasks.find_duplicates(dict(step), lambda_context())
    closing = {**step, "outcome": "expired"}
    assert tasks.merge_into_existing(dict(step), lambda_context()) == {"client_id": existing, "merged": duplicate}
    assert tasks.merge_into_existing(dict(step), lambda_context()) == {"client_id": existing, "merged": duplicate}
    assert tasks.close_application(closing, lambda_context()) == tasks.close_application(closing, lambda_context())


def _database_outage(statement_fragment: str):
    """Make statements containing ``statement_fragment`` fail as a lost connection would."""
    state = {"down": True}
    engine = get_engine()
    original = lost_connection(engine.dialect.name)

    def fail(connection, cursor, statement, parameters, context, executemany):
        if state["down"] and statement_fragment in statement:
            raise OperationalError(statement, parameters, original)

    event.listen(engine, "before_cursor_execute", fail)
    return state


def test_a_database_failure_beyond_retries_fails_at_that_task_and_a_redrive_finishes(onboarding: Onboarding) -> None:
    # Given the database refuses the registration's writes for longer than the retries last
    outage = _database_outage("INSERT INTO consent_records")
    client_id = onboarding.onboard()
    for _ in range(5):
        onboarding.advance(60)
    # Then the execution failed at RegisterClient with the transient error, after 4 retries
    execution = onboarding.execution(client_id)
    assert (execution["status"], execution["error"]) == ("FAILED", "DatabaseUnavailable")
    assert execution["redriveStatus"] == "REDRIVABLE"
    history = onboarding.history(client_id)
    failed_tasks = [e for e in history if e["type"] == "TaskFailed"]
    assert len(failed_tasks) == 5
    assert onboarding.entered(client_id) == ["FindDuplicates", "RegisterClient"]
    assert onboarding.client(client_id)["status"] == "pending"
    # When the database is back and ops redrive
    outage["down"] = False
    onboarding.service.RedriveExecution({"executionArn": onboarding.arn(client_id)})
    onboarding.settle()
    # Then the execution succeeds from RegisterClient, with one client and one notification
    assert onboarding.execution(client_id)["status"] == "SUCCEEDED"
    assert onboarding.entered(client_id) == [
        "FindDuplicates", "RegisterClient", "RegisterClient", "CheckEligibility", "Eligibility", "ActivateClient",
    ]  # fmt: skip
    assert _count(Client) == 1
    assert _count(Notification) == 1
    assert onboarding.client(client_id)["status"] == "active"


def test_an_application_and_the_start_of_its_onboarding_are_stored_together_or_not_at_all(
    onboarding: Onboarding, outage: Callable[[str], dict[str, bool]]
) -> None:
    # Given the database drops as the start of the onboarding is written with the application
    database = outage("INSERT INTO workflow_signals")
    # When the front desk submits an application: nothing is stored, and nothing started
    status, answer = onboarding.submit(application(), key="desk-1-0001")
    assert (status, answer["error"]) == (503, "unavailable"), answer
    assert _count(Client) == 0
    assert onboarding.executions() == []
    # And once the database is back, the same request stores the client with its execution, which runs
    database["down"] = False
    status, again = onboarding.submit(application(), key="desk-1-0001")
    assert status == 202, again
    onboarding.settle()
    assert again["execution_arn"] == onboarding.arn(again["client_id"])
    assert onboarding.client(again["client_id"])["execution_arn"] == onboarding.arn(again["client_id"])
    assert onboarding.execution(again["client_id"])["status"] == "SUCCEEDED"


def test_no_personal_data_reaches_any_execution(onboarding: Onboarding) -> None:
    # Given an onboarding through every kind of step: review, documents, activation
    body = application(
        first_name="Zélie", last_name="Nakamura-Okafor", email="zelie.nakamura@example.org", phone="+33611223344",
        birth_date="1958-09-17", evidence={"type": "none_yet"},
        address={"line1": "7 impasse des Glycines", "postal_code": "93400", "city": "Saint-Ouen"},
    )  # fmt: skip
    onboarding.onboard(application(phone="+33611223344", email="twin@example.org"))
    client_id = onboarding.onboard(body)
    onboarding.review(client_id, "different-person")
    onboarding.documents(client_id, {"type": "income_statement", "reference": "AVIS-1", "expires_on": "2031-01-01"})
    assert onboarding.client(client_id)["status"] == "active"
    # Then names, contacts, birth date and address appear in no input, output, name or history event
    recorded = _strings([onboarding.execution(client_id), onboarding.history(client_id), onboarding.executions()])
    personal = ["Zélie", "Nakamura", "Okafor", "zelie.nakamura", "611223344", "06 11", "1958-09-17",
                "Glycines", "93400", "Saint-Ouen"]  # fmt: skip
    assert [value for value in personal if any(value in text for text in recorded)] == []
    assert any(client_id in text for text in recorded)


def _strings(value) -> list[str]:
    """Every string in ``value``, JSON texts (event inputs and outputs) opened up too."""
    if isinstance(value, dict):
        return [text for key, item in value.items() for text in [key, *_strings(item)]]
    if isinstance(value, list):
        return [text for item in value for text in _strings(item)]
    if isinstance(value, str):
        try:
            return [value, *_strings(json.loads(value))]
        except ValueError:
            return [value]
    return []
