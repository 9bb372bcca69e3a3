"""Two dispatchers delivering the same outbox at once, on a real InnoDB server: each of 200 messages
is sent exactly once."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest

from lambdas.shared.db.models.clients import Client
from lambdas.shared.db.models.records import Notification
from lambdas.shared.db.unit_of_work import UnitOfWork
from lambdas.shared.domain import NotificationChannel
from lambdas.shared.notify.dispatch import dispatch
from lambdas.shared.notify.senders import Outgoing

pytestmark = [pytest.mark.mysql, pytest.mark.parametrize("database_url", ["mysql"], indirect=True)]

MESSAGES, DISPATCHERS = 200, 2


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
    with UnitOfWork("test") as uow:
        ids = [f"00000000-0000-4000-8000-{n:012d}" for n in range(MESSAGES)]
        for n, notification_id in enumerate(ids):
            uow.notifications.add(
                Notification(
                    id=notification_id, dedup_key=f"welcome:{n}", client_id=client.id,
                    channel=NotificationChannel.EMAIL, template="welcome", language="fr", payload={},
                )
            )  # fmt: skip
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
