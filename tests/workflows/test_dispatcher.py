"""The outbox is delivered: each message once, in the client's language, only while it may go;
failures are retried with back-off, then marked failed; a dispatcher that dies loses nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from lambdas.shared import notify
from lambdas.shared.clock import utcnow
from lambdas.shared.db.clients.models import Client, ConsentRecord
from lambdas.shared.db.notifications.models import Notification
from lambdas.shared.db.unit_of_work import UnitOfWork
from lambdas.shared.domain import ClientStatus, ConsentPurpose, NotificationStatus
from lambdas.shared.notify import dispatch as dispatching
from lambdas.shared.notify.dispatch import MAX_ATTEMPTS, dispatch
from lambdas.shared.notify.senders import MailboxSender, Outgoing, SendFailed, read_mailbox
from tests.databases import ON_BOTH_DATABASES
from tests.events import api_event, call_api

pytestmark = ON_BOTH_DATABASES


class Clock:
    def __init__(self) -> None:
        self.at = utcnow()

    def __call__(self) -> datetime:
        return self.at


class Flaky:
    """A provider that refuses the first ``failures`` sends."""

    def __init__(self, failures: int, *, permanent: bool = False) -> None:
        self.failures, self.permanent = failures, permanent
        self.sent: list[Outgoing] = []

    def send(self, outgoing: Outgoing) -> str:
        if self.failures:
            self.failures -= 1
            raise SendFailed("Throttling" if not self.permanent else "InvalidParameter", permanent=self.permanent)
        self.sent.append(outgoing)
        return f"provider-{len(self.sent)}"


class Dies:
    """A dispatcher whose process is gone between the claim and the mark."""

    def send(self, outgoing: Outgoing) -> str:
        raise KeyboardInterrupt


def _queue(client: Client, message: str = "welcome", *, sms: bool = True) -> str:
    with UnitOfWork("test") as uow:
        if sms:
            uow.session.add(
                ConsentRecord(
                    client_id=client.id, purpose=ConsentPurpose.SMS, granted=True, text_version="v1",
                    channel="paper", recorded_by="test",
                )
            )  # fmt: skip
            uow.session.flush()
        client = uow.clients.get(client.id)
        notify.queue_message(uow, client, message, f"{message}:{client.id}", {"client_id": client.id})
        return uow.notifications.by_dedup_key(f"{message}:{client.id}").id


def _row(notification_id: str) -> Notification:
    with UnitOfWork("test") as uow:
        row = uow.session.get(Notification, notification_id)
        uow.session.expunge(row)
        return row


def test_a_queued_sms_reaches_the_mailbox_once_in_the_clients_language(
    make_client: Callable[..., Client], tmp_path: Path
) -> None:
    notification = _queue(make_client(language="en"))
    mailbox = MailboxSender(tmp_path / "mailbox")

    assert dispatch(mailbox) == {"sent": 1}
    assert dispatch(mailbox) == {}  # sent is sent: a second run finds nothing due

    [letter] = read_mailbox(tmp_path / "mailbox")
    assert letter["id"] == notification
    assert letter["channel"] == "sms"
    assert letter["to"] == "+33612345678"
    assert letter["language"] == "en"
    assert letter["text"].startswith("Welcome to the Optical Center Foundation")
    row = _row(notification)
    assert (row.status, row.provider_message_id, row.attempts) == ("sent", f"mailbox-{notification}", 1)
    assert row.sent_at is not None
    assert row.claim is None


def test_an_email_goes_to_the_address_the_client_has_when_it_is_sent(
    make_client: Callable[..., Client], tmp_path: Path
) -> None:
    client = make_client(phone=None, email="old@example.org", language="es")
    notification = _queue(client, "glasses_ready", sms=False)
    with UnitOfWork("test") as uow:
        uow.clients.get(client.id).email = "new@example.org"
    provider = Flaky(0)

    assert dispatch(provider) == {"sent": 1}
    [sent] = provider.sent
    assert (sent.key, sent.channel, sent.address) == (notification, "email", "new@example.org")
    assert sent.rendered.subject == "Sus gafas están listas"


@pytest.mark.parametrize("change", ["withdrawn", "refused", "withdrawn at the desk"])
def test_a_consent_withdrawn_or_refused_after_queuing_means_no_message(
    make_client: Callable[..., Client], change: str
) -> None:
    client = make_client()
    notification = _queue(client)
    if change == "withdrawn at the desk":  # the front desk's route, as the client's record in the app sends it
        status, _ = call_api(
            api_event("POST", f"/clients/{client.id}/consents", body={"purpose": "sms", "given": False})
        )
        assert status == 200
    with UnitOfWork("test") as uow:  # withdrawn later, or recorded anew as refused (the form said no)
        consent = uow.consents.of(client.id)[ConsentPurpose.SMS]
        if change == "withdrawn":
            consent.withdrawn_at = utcnow()
        elif change == "refused":
            consent.granted = False
    provider = Flaky(0)

    assert dispatch(provider) == {"cancelled": 1}
    assert provider.sent == []
    assert (_row(notification).status, _row(notification).reason) == ("cancelled", "no_sms_consent")


@pytest.mark.parametrize("gone", ["erased", "no_phone"])
def test_nothing_goes_to_a_client_erased_or_without_the_address_since(
    make_client: Callable[..., Client], gone: str
) -> None:
    client = make_client()
    notification = _queue(client)
    with UnitOfWork("test") as uow:
        row = uow.clients.get(client.id)
        row.phone = None
        if gone == "erased":
            row.status = ClientStatus.ERASED
    provider = Flaky(0)

    assert dispatch(provider) == {"cancelled": 1}
    assert provider.sent == []
    assert _row(notification).reason == gone


def test_a_failing_provider_is_retried_with_back_off_then_the_message_is_failed(
    make_client: Callable[..., Client],
) -> None:
    notification = _queue(make_client())
    clock, provider = Clock(), Flaky(MAX_ATTEMPTS)
    waits = []
    for attempt in range(1, MAX_ATTEMPTS):
        assert dispatch(provider, now=clock) == {"retried": 1}
        row = _row(notification)
        assert (row.status, row.attempts, row.reason) == ("pending", attempt, "Throttling")
        assert dispatch(provider, now=clock) == {}  # not due yet
        waits.append(row.next_attempt_at - clock.at)
        clock.at = row.next_attempt_at

    assert dispatch(provider, now=clock) == {"failed": 1}
    assert waits == [dispatching.FIRST_RETRY * 2**n for n in range(MAX_ATTEMPTS - 1)]
    assert (_row(notification).status, _row(notification).attempts) == ("failed", MAX_ATTEMPTS)
    clock.at += timedelta(days=1)
    assert dispatch(provider, now=clock) == {}
    assert provider.sent == []


def test_a_refusal_no_retry_can_mend_fails_at_once(make_client: Callable[..., Client]) -> None:
    notification = _queue(make_client())
    assert dispatch(Flaky(1, permanent=True)) == {"failed": 1}
    assert (_row(notification).attempts, _row(notification).reason) == (1, "InvalidParameter")


def test_a_dispatcher_that_died_after_claiming_leaves_the_message_to_the_next_once_its_claim_lapses(
    make_client: Callable[..., Client],
) -> None:
    notification = _queue(make_client())
    clock = Clock()

    with pytest.raises(KeyboardInterrupt):
        dispatch(Dies(), now=clock)
    provider = Flaky(0)
    assert dispatch(provider, now=clock) == {}  # still claimed by the dead one
    clock.at += dispatching.CLAIM_FOR + timedelta(seconds=1)
    assert dispatch(provider, now=clock) == {"sent": 1}
    assert [sent.key for sent in provider.sent] == [notification]
    assert _row(notification).attempts == 2


def test_erasure_cancels_undelivered_messages_and_empties_their_payload(make_client: Callable[..., Client]) -> None:
    client = make_client()
    pending = _queue(client)
    failed = _queue(client, "glasses_ready", sms=False)
    with UnitOfWork("test") as uow:
        uow.session.get(Notification, failed).status = NotificationStatus.FAILED
        uow.notifications.cancel_pending([client.id])

    assert (_row(pending).status, _row(pending).reason, _row(pending).payload) == ("cancelled", "erased", {})
    assert (_row(failed).status, _row(failed).payload) == ("failed", {})


class Invocations:
    def __init__(self, error: Exception | None = None) -> None:
        self.calls: list[dict[str, object]] = []
        self.error = error

    def invoke(self, **call: object) -> dict[str, int]:
        self.calls.append(call)
        if self.error is not None:
            raise self.error
        return {"StatusCode": 202}


def test_a_committed_message_invokes_the_dispatcher_at_once_and_a_rolled_back_one_does_not(
    make_client: Callable[..., Client], monkeypatch: pytest.MonkeyPatch
) -> None:
    from botocore.exceptions import EndpointConnectionError

    from lambdas.shared.config import notification_settings

    monkeypatch.setenv("DISPATCHER_FUNCTION", "fondation-dev-dispatcher")
    notification_settings.cache_clear()
    lambda_api = Invocations()
    monkeypatch.setattr(notify, "_lambda_client", lambda: lambda_api)
    client = make_client(phone=None, email="amina@example.org")

    def fails_after_queuing() -> None:
        with UnitOfWork("test") as uow:
            notify.queue_message(uow, uow.clients.get(client.id), "welcome", "welcome:rolled-back", {})
            raise RuntimeError("the task failed after queuing")

    try:
        with pytest.raises(RuntimeError):
            fails_after_queuing()
        assert lambda_api.calls == []

        with UnitOfWork("test") as uow:
            notify.queue_message(uow, uow.clients.get(client.id), "welcome", "welcome:1", {})
            notify.queue_message(uow, uow.clients.get(client.id), "glasses_ready", "glasses_ready:1", {})
            assert lambda_api.calls == []  # not before the commit
        assert lambda_api.calls == [
            {"FunctionName": "fondation-dev-dispatcher", "InvocationType": "Event", "Payload": b"{}"}
        ]  # once per commit, however many messages

        lambda_api = Invocations(EndpointConnectionError(endpoint_url="https://lambda"))
        with UnitOfWork("test") as uow:  # the schedule delivers it: a failed invocation is no failure
            notify.queue_message(uow, uow.clients.get(client.id), "welcome", "welcome:2", {})
        assert len(lambda_api.calls) == 1
        with UnitOfWork("test") as uow:
            assert uow.notifications.by_dedup_key("welcome:2") is not None
    finally:
        notification_settings.cache_clear()


def test_a_message_whose_text_cannot_be_rendered_fails_at_once_instead_of_blocking_the_outbox(
    make_client: Callable[..., Client],
) -> None:
    client = make_client()
    broken = _queue(client, "welcome")
    with UnitOfWork("test") as uow:
        uow.session.get(Notification, broken).template = "no_such_message"
    provider = Flaky(0)

    assert dispatch(provider) == {"failed": 1}
    assert (_row(broken).status, _row(broken).reason) == ("failed", "TemplateError")


def test_the_dispatcher_claims_no_batch_it_has_not_the_time_to_finish(make_client: Callable[..., Client]) -> None:
    notification = _queue(make_client())
    provider = Flaky(0)
    assert dispatch(provider, seconds_left=lambda: dispatching.CLAIM_FOR.total_seconds()) == {}
    assert _row(notification).attempts == 0  # not claimed: the next run takes it
    assert dispatch(provider, seconds_left=lambda: 300) == {"sent": 1}


def test_a_message_the_dispatcher_keeps_dying_on_is_failed_instead_of_claimed_forever(
    make_client: Callable[..., Client],
) -> None:
    notification = _queue(make_client())
    clock = Clock()

    for _ in range(MAX_ATTEMPTS):
        with pytest.raises(KeyboardInterrupt):
            dispatch(Dies(), now=clock)
        clock.at += dispatching.CLAIM_FOR + timedelta(seconds=1)
    provider = Flaky(0)
    assert dispatch(provider, now=clock) == {"failed": 1}
    assert provider.sent == []
    assert (_row(notification).status, _row(notification).reason) == ("failed", "ClaimsLapsed")
