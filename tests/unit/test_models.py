"""Constraints that keep the data right whatever the code does."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, OperationalError, StatementError
from sqlalchemy.orm import Session, sessionmaker

from lambdas.shared.db.clients.models import ConsentRecord
from lambdas.shared.db.notifications.models import Notification
from lambdas.shared.db.orders.models import FrameStock
from lambdas.shared.db.sites.models import Site, Station
from lambdas.shared.domain import ConsentPurpose, NotificationChannel
from tests.databases import ON_BOTH_DATABASES

pytestmark = ON_BOTH_DATABASES


def test_one_consent_record_per_purpose(sessions: sessionmaker[Session], make_client) -> None:
    client = make_client()

    def consent() -> ConsentRecord:
        return ConsentRecord(
            client_id=client.id,
            purpose=ConsentPurpose.SMS,
            granted=True,
            text_version="2026-01",
            channel="front_desk",
            recorded_by="sub-1",
        )

    with sessions.begin() as session:
        session.add(consent())
    with pytest.raises(IntegrityError), sessions.begin() as session:
        session.add(consent())


def test_notification_dedup_key_makes_queuing_idempotent(sessions: sessionmaker[Session], make_client) -> None:
    client = make_client()

    def welcome() -> Notification:
        return Notification(
            dedup_key=f"welcome:{client.id}",
            client_id=client.id,
            channel=NotificationChannel.SMS,
            template="welcome",
            language="fr",
        )

    with sessions.begin() as session:
        session.add(welcome())
    with pytest.raises(IntegrityError), sessions.begin() as session:
        session.add(welcome())


def test_database_refuses_an_unknown_status(sessions: sessionmaker[Session], make_client) -> None:
    client = make_client()
    # MariaDB reports a failed CHECK as an OperationalError (4025), SQLite as an IntegrityError
    with (
        pytest.raises((IntegrityError, OperationalError), match=r"(?i)constraint"),
        sessions.begin() as session,
    ):
        session.execute(text("UPDATE clients SET status = 'bogus' WHERE id = :id"), {"id": client.id})


def test_database_refuses_a_negative_stock(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        session.add(Site(id="saint-denis", name="Saint-Denis", configured_by="sub-1"))
        session.flush()
        session.add(
            FrameStock(
                site_id="saint-denis", sku="RAY-01", description="x", kind="donated", quantity=1, configured_by="s"
            )
        )
    with (
        pytest.raises((IntegrityError, OperationalError), match=r"(?i)constraint"),
        sessions.begin() as session,
    ):
        session.execute(text("UPDATE frame_stock SET quantity = quantity - 2"))


def test_foreign_keys_are_enforced(sessions: sessionmaker[Session]) -> None:
    with pytest.raises(IntegrityError), sessions.begin() as session:
        session.add(Station(site_id="nowhere", id="reception", name="x", prefix="A", configured_by="s"))


def test_times_come_back_as_aware_utc(sessions: sessionmaker[Session], make_client) -> None:
    paris_noon = datetime(2026, 6, 1, 12, 0, 0, 123456, tzinfo=timezone(timedelta(hours=2)))
    client = make_client(erased_at=paris_noon)
    with sessions() as session:
        stored = session.get(type(client), client.id)
        assert stored.erased_at == paris_noon
        assert stored.erased_at.tzinfo == UTC
        assert stored.erased_at.microsecond == 123456


def test_naive_times_are_refused(sessions: sessionmaker[Session], make_client) -> None:
    with pytest.raises(StatementError, match="naive datetime"):
        make_client(erased_at=datetime(2026, 6, 1, 12, 0))
