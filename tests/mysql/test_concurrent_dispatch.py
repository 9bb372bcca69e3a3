"""Dispatchers delivering the same outbox at once, on a real InnoDB server. Safety: each of 200
messages is sent exactly once. Liveness: dispatchers claiming at the same instant each get messages
while messages are due — none hears that nothing is due because another is claiming."""

from __future__ import annotations

import os
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from lambdas.shared.clock import utcnow
from lambdas.shared.db.clients.models import Client
from lambdas.shared.db.notifications.models import Notification
from lambdas.shared.db.unit_of_work import UnitOfWork
from lambdas.shared.domain import NotificationChannel
from lambdas.shared.notify.dispatch import BATCH, dispatch
from lambdas.shared.notify.senders import Outgoing
from tests.mysql.locks import all_at_once

pytestmark = [pytest.mark.mysql, pytest.mark.parametrize("database_url", ["mysql"], indirect=True)]

MESSAGES, DISPATCHERS = 200, 2
ROUNDS = int(os.environ.get("LIVENESS_ROUNDS", "10"))


def queue_messages(client_id: str, count: int, first: int = 0) -> list[str]:
    with UnitOfWork("test") as uow:
        ids = [f"00000000-0000-4000-8000-{n:012d}" for n in range(first, first + count)]
        for n, notification_id in enumerate(ids, start=first):
            uow.notifications.add(
                Notification(
                    id=notification_id, dedup_key=f"welcome:{n}", client_id=client_id,
                    channel=NotificationChannel.EMAIL, template="welcome", language="fr", payload={},
                )
            )  # fmt: skip
    return ids


class Recording:
    """A provider that takes its time, so that the two dispatchers' claims overlap."""

    def __init__(self) -> None:
        self.keys: Counter[str] = Counter()
        self.by_thread: Counter[int] = Counter()
        self.lock = threading.Lock()

    def send(self, outgoing: Outgoing) -> str:
        threading.Event().wait(0.002)
        with self.lock:
            self.keys[outgoing.key] += 1
            self.by_thread[threading.get_ident()] += 1
        return f"provider-{outgoing.key}"


def test_two_dispatchers_send_each_of_200_messages_exactly_once(make_client: Callable[..., Client]) -> None:
    client = make_client(phone=None, email="amina@example.org")
    ids = queue_messages(client.id, MESSAGES)
    provider = Recording()
    start = threading.Barrier(DISPATCHERS)

    def run() -> Counter[str]:
        start.wait()
        return dispatch(provider)

    with ThreadPoolExecutor(DISPATCHERS) as pool:
        outcomes = [future.result() for future in [pool.submit(run) for _ in range(DISPATCHERS)]]

    assert sum(outcomes, Counter()) == {"sent": MESSAGES}
    assert sorted(provider.keys) == ids
    assert set(provider.keys.values()) == {1}
    assert len(provider.by_thread) == DISPATCHERS
    assert min(provider.by_thread.values()) > MESSAGES // 10
    with UnitOfWork("test") as uow:
        rows = uow.session.query(Notification).all()
        assert {(row.status, row.attempts) for row in rows} == {("sent", 1)}
        assert {row.provider_message_id for row in rows} == {f"provider-{key}" for key in ids}


def test_dispatchers_claiming_at_the_same_instant_each_get_messages_while_messages_are_due(
    make_client: Callable[..., Client],
) -> None:
    client = make_client(phone=None, email="amina@example.org")
    dispatchers = 4
    for batch in range(ROUNDS):
        # Given a full batch due for each dispatcher
        queued = queue_messages(client.id, dispatchers * BATCH, first=batch * dispatchers * BATCH)

        # When the dispatchers claim at the same instant
        def claim(name: str) -> list[str]:
            at = utcnow()
            rows = UnitOfWork(name).run(lambda uow: uow.notifications.claim(name, at, at + timedelta(minutes=2), BATCH))
            return [row.id for row in rows]

        claims = all_at_once(claim, [f"claim-{batch}-{n}" for n in range(dispatchers)])
        # Then each got a full batch, no message twice, all of them claimed
        assert [len(ids) for ids in claims] == [BATCH] * dispatchers, f"batch {batch}: a dispatcher found nothing due"
        assert sorted(ids for claimed in claims for ids in claimed) == sorted(queued)
