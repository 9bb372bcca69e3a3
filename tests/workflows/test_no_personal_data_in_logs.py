"""A database error while writing a client leaves none of the client's values in any log or in the
execution history: not in SQLAlchemy's parameters, not in the driver's message."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine

from lambdas.shared.db.clients.models import Client
from tests.databases import ON_BOTH_DATABASES
from tests.workflows.conftest import Onboarding, application

pytestmark = ON_BOTH_DATABASES

PERSON = {
    "first_name": "Zélie",
    "last_name": "Nakamura-Okafor",
    "birth_date": "1987-03-14",
    "phone": "06 11 22 33 44",
    "email": "zelie.nakamura@example.org",
    "address": {"line1": "7 impasse des Glycines", "postal_code": "93100", "city": "Montreuil"},
    "evidence": {"type": "income_statement", "reference": "AVIS-ZN-8841"},
}
VALUES = ("Zélie", "Z\\u00e9lie", "Nakamura", "1987-03-14", "1987, 3, 14", "611223344", "zelie.nakamura", "Glycines",
          "Montreuil", "93100", "AVIS-ZN-8841")  # fmt: skip


def _statements(database_url: str, *statements: str) -> None:
    engine = create_engine(database_url)
    with engine.begin() as connection:
        for statement in statements:
            connection.exec_driver_sql(statement)
    engine.dispose()


@pytest.fixture
def refuse_registration(database_url: str) -> Iterator[None]:
    """The database refuses the step that registers a client (a trigger: any error would do)."""
    if database_url.startswith("sqlite"):
        create = ("CREATE TRIGGER refuse_registration BEFORE UPDATE ON clients WHEN NEW.registered_at IS NOT NULL "
                  "BEGIN SELECT RAISE(ABORT, 'registration refused'); END")  # fmt: skip
    else:
        create = ("CREATE TRIGGER refuse_registration BEFORE UPDATE ON clients FOR EACH ROW BEGIN "
                  "IF NEW.registered_at IS NOT NULL THEN "
                  "SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'registration refused'; END IF; END")  # fmt: skip
    _statements(database_url, create)
    yield
    _statements(database_url, "DROP TRIGGER refuse_registration")


@pytest.fixture
def unique_first_names(database_url: str, make_client) -> Iterator[None]:
    """A duplicate entry: MySQL's message quotes the value it refused."""
    make_client(first_name=PERSON["first_name"], last_name="Someone", phone=None)
    _statements(database_url, "CREATE UNIQUE INDEX only_one_first_name ON clients (first_name)")
    yield
    drop = "DROP INDEX only_one_first_name" + ("" if database_url.startswith("sqlite") else " ON clients")
    _statements(database_url, drop)


def _error_lines(output: str) -> list[dict]:
    """The functions' structured error log lines."""
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    return [line for line in lines if line.get("level") == "ERROR"]


def _assert_no_personal_data(*texts: str) -> None:
    everything = "\n".join(texts)
    assert everything.strip(), "nothing was logged: the test would prove nothing"
    for value in VALUES:
        assert value not in everything, f"{value!r} leaked"


def test_the_api_logs_a_database_error_without_the_clients_values(
    onboarding: Onboarding, unique_first_names: None, function_logs: io.StringIO, capfd, caplog
) -> None:
    status, body = onboarding.submit(application(**PERSON))
    assert (status, body["error"]) == (500, "internal_error")
    logged = function_logs.getvalue()
    out, err = capfd.readouterr()
    errors = _error_lines(logged)
    assert errors
    assert all(line["error_type"] == "IntegrityError" for line in errors)
    assert all(line["correlation_id"] for line in errors)  # the request it belongs to
    assert all(any("unit_of_work.py" in frame for frame in line["raised_at"]) for line in errors)  # our frames
    _assert_no_personal_data(logged, out, err, caplog.text, json.dumps(body))


def test_a_task_logs_a_database_error_without_the_clients_values_and_keeps_them_out_of_the_history(
    onboarding: Onboarding, refuse_registration: None, function_logs: io.StringIO, capfd, caplog
) -> None:
    status, accepted = onboarding.submit(application(**PERSON))
    assert status == 202, accepted
    onboarding.settle()
    # the execution failed at the task, visibly, for ops to redrive
    execution = onboarding.execution(accepted["client_id"])
    assert (execution["status"], execution["error"]) == ("FAILED", "UnexpectedError")
    assert "OperationalError" in execution["cause"] or "IntegrityError" in execution["cause"]
    logged = function_logs.getvalue()
    out, err = capfd.readouterr()
    errors = _error_lines(logged)
    assert errors
    assert all(line["correlation_id"] == execution["executionArn"] for line in errors)
    history = json.dumps(onboarding.history(accepted["client_id"]))
    _assert_no_personal_data(logged, out, err, caplog.text, history, execution["cause"])


def test_the_values_checked_are_the_ones_stored(onboarding: Onboarding) -> None:
    # the leak tests above look for these values: they must be what a client row really holds
    client_id = onboarding.onboard(application(**PERSON))
    with onboarding_session(client_id) as client:
        stored = json.dumps(
            {column.name: getattr(client, column.name) for column in Client.__table__.columns}, default=str
        )
    assert sum(value in stored for value in VALUES) >= 8


def onboarding_session(client_id: str):
    from contextlib import contextmanager

    from lambdas.shared.db.unit_of_work import UnitOfWork

    @contextmanager
    def opened():
        with UnitOfWork("test") as uow:
            yield uow.clients.get(client_id)

    return opened()
