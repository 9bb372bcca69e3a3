"""One session and transaction per invocation: commit on success, roll back on error."""

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session, sessionmaker

from lambdas.shared.db.base import new_id
from lambdas.shared.db.clients.models import Client
from lambdas.shared.db.records.models import AuditEntry
from lambdas.shared.db.unit_of_work import UnitOfWork
from lambdas.shared.errors import DatabaseUnavailable
from tests.databases import ON_BOTH_DATABASES


def _client() -> Client:
    return Client(
        id=new_id(),
        first_name="Lea",
        last_name="Martin",
        language="fr",
        created_by="sub-1",
        search_name="martin lea",
    )


@ON_BOTH_DATABASES
def test_changes_and_audit_entry_are_committed_together(sessions: sessionmaker[Session]) -> None:
    # When a unit of work adds a client and audits it
    with UnitOfWork(actor="sub-1", sessions=sessions) as uow:
        client = _client()
        uow.session.add(client)
        uow.audit("client.created", "client", client.id, source="test")
    # Then both are stored, the audit entry naming the actor
    with sessions() as session:
        assert session.get(Client, client.id) is not None
        entry = session.scalars(select(AuditEntry)).one()
        assert (entry.actor, entry.action, entry.entity_id, entry.details) == (
            "sub-1",
            "client.created",
            client.id,
            {"source": "test"},
        )


@ON_BOTH_DATABASES
def test_an_error_rolls_everything_back(sessions: sessionmaker[Session]) -> None:
    def add_client_then_fail() -> None:
        with UnitOfWork(actor="sub-1", sessions=sessions) as uow:
            client = _client()
            uow.session.add(client)
            uow.audit("client.created", "client", client.id)
            uow.session.flush()
            raise RuntimeError("task failed half-way")

    with pytest.raises(RuntimeError):
        add_client_then_fail()
    with sessions() as session:
        assert session.scalars(select(Client)).all() == []
        assert session.scalars(select(AuditEntry)).all() == []


def test_an_unreachable_database_is_reported_as_database_unavailable(tmp_path) -> None:
    # Given a database that cannot be opened
    engine = create_engine(f"sqlite:///{tmp_path}/missing-dir/db.sqlite")
    # When a unit of work uses it
    with pytest.raises(DatabaseUnavailable) as raised, UnitOfWork("sub-1", sessionmaker(bind=engine)) as uow:
        uow.clients.get("any")
    # Then the error is the one the workflows retry, with the driver's error as its cause
    assert raised.value.__cause__ is not None
    assert "unable to open database file" in str(raised.value)


def test_an_unreachable_mysql_server_is_reported_as_database_unavailable() -> None:
    engine = create_engine("mysql+pymysql://nobody@127.0.0.1:1/none", connect_args={"connect_timeout": 2})
    with pytest.raises(DatabaseUnavailable), UnitOfWork("sub-1", sessionmaker(bind=engine)) as uow:
        uow.clients.get("any")


@ON_BOTH_DATABASES
def test_a_refused_value_is_not_mistaken_for_an_outage(sessions: sessionmaker[Session]) -> None:
    # A CHECK failure (an OperationalError on MariaDB) must not be retried as if the database were down
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    with pytest.raises(DBAPIError), UnitOfWork("sub-1", sessions) as uow:
        uow.session.execute(
            text(
                "INSERT INTO clients (id, status, first_name, last_name, language, search_name, "
                "emergency_first_visit, created_by, created_at, updated_at) VALUES "
                "('c1', 'bogus', 'a', 'b', 'fr', 'b a', 0, 's', '2026-01-01', '2026-01-01')"
            )
        )


def test_a_full_disk_is_reported_as_database_unavailable(sessions: sessionmaker[Session]) -> None:
    # a full disk is cured by freeing space, not by changing the request: retried, and a 503 at the API
    with pytest.raises(DatabaseUnavailable):
        _write_to_a_full_database(sessions)


def _write_to_a_full_database(sessions: sessionmaker[Session]) -> None:
    from sqlalchemy import text

    with UnitOfWork("sub-1", sessions) as uow:
        pages = uow.session.execute(text("PRAGMA page_count")).scalar_one()
        uow.session.execute(text(f"PRAGMA max_page_count = {pages}"))  # this database is now full
        uow.session.add(_client())
        uow.audit("test.filled", "test", "t-1", padding="y" * 100_000)


def _refused(code: int, message: str) -> Exception:
    import pymysql
    from sqlalchemy.exc import OperationalError

    return OperationalError("UPDATE tickets SET status=%s", {}, pymysql.err.OperationalError(code, message))


@pytest.mark.parametrize(
    ("code", "message"),
    [(1213, "Deadlock found when trying to get lock"), (1205, "Lock wait timeout exceeded")],
    ids=["deadlock", "lock-wait"],
)
def test_run_tries_a_transaction_ended_for_others_locks_again_then_says_the_database_was_busy(
    sessions: sessionmaker[Session], code: int, message: str
) -> None:
    # Given work the database ends the first two times, then always
    from lambdas.shared.db.unit_of_work import BUSY_ATTEMPTS

    runs: list[int] = []

    def work(uow: UnitOfWork, failures: int) -> str:
        runs.append(len(runs) + 1)
        uow.session.add(_client())  # rolled back each time: one client in the end
        if len(runs) <= failures:
            raise _refused(code, message)
        return "done"

    # When it runs, Then the third time goes through, with nothing of the first two left
    assert UnitOfWork("sub-1", sessions).run(work, 2) == "done"
    assert runs == [1, 2, 3]
    with sessions() as session:
        assert len(session.scalars(select(Client)).all()) == 1
    # And work that never goes through is the busy kind of unavailable, after every attempt
    runs.clear()
    with pytest.raises(DatabaseUnavailable) as raised:
        UnitOfWork("sub-1", sessions).run(work, 99)
    assert (raised.value.busy, len(runs)) == (True, BUSY_ATTEMPTS)


def test_run_tries_an_unreachable_database_once_its_callers_retry_covers_that(sessions: sessionmaker[Session]) -> None:
    runs: list[int] = []

    def work(uow: UnitOfWork) -> None:
        runs.append(1)
        raise _refused(2013, "Lost connection to MySQL server during query")

    with pytest.raises(DatabaseUnavailable) as raised:
        UnitOfWork("sub-1", sessions).run(work)
    assert (raised.value.busy, runs) == (False, [1])
