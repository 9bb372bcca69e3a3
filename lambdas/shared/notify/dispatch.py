"""Delivering the outbox: claim due messages, check each one may still go, send it, mark it.

A row is claimed in one short transaction (its ``claim`` and ``claimed_until``), sent outside any
transaction, then settled in another: ``sent`` with the provider's message id, back to ``pending``
with a later ``next_attempt_at`` after a failure (exponential back-off), ``failed`` once
``MAX_ATTEMPTS`` are spent or the provider says retrying cannot help, ``cancelled`` with its reason
when it may not go any more. A dispatcher that dies after claiming leaves the claim to lapse: the
row is taken again, so a message is never lost (and, if it died after sending, sent twice at worst).

Consent is checked here, at send time: an SMS goes only while its consent stands, and nothing goes to
an erased client. The address is read from the client now, never kept in the outbox.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from lambdas.shared.clock import utcnow
from lambdas.shared.db.unit_of_work import UnitOfWork
from lambdas.shared.domain import ClientStatus, ConsentPurpose, NotificationChannel, NotificationStatus
from lambdas.shared.notify import messages
from lambdas.shared.notify.senders import Outgoing, Sender, SendFailed

if TYPE_CHECKING:  # the outbox's table is loaded with its repository, on first use (uow.notifications)
    from lambdas.shared.db.notifications.models import Notification

ACTOR = "dispatcher"
MAX_ATTEMPTS = 5
FIRST_RETRY = timedelta(seconds=30)  # then 1, 2, 4 minutes
CLAIM_FOR = timedelta(minutes=2)  # longer than a batch can take (10 sends of at most ~10 s each)
BATCH = 10


def dispatch(
    sender: Sender, *, now: Callable[[], datetime] = utcnow, seconds_left: Callable[[], float] | None = None
) -> Counter[str]:
    """Deliver what is due, batch after batch until none is left, or until less than a claim's length
    of ``seconds_left`` remains (the function's time: a batch is never claimed that it cannot finish);
    how many messages ended each way (``sent``, ``retried``, ``failed``, ``cancelled``, ``lapsed``)."""
    outcomes: Counter[str] = Counter()
    while seconds_left is None or seconds_left() > CLAIM_FOR.total_seconds():
        claim, at = str(uuid.uuid4()), now()
        claimed = UnitOfWork(ACTOR).run(_claim, claim, at)
        if not claimed:
            break
        for message in claimed:
            outcomes[_deliver(sender, message, claim, now)] += 1
    return outcomes


def _claim(uow: UnitOfWork, claim: str, at: datetime) -> list[_Claimed]:
    return [_Claimed(row) for row in uow.notifications.claim(claim, at, at + CLAIM_FOR, BATCH)]


class _Claimed:
    """What the dispatcher needs of a claimed row once its transaction has ended."""

    def __init__(self, row: Notification) -> None:
        self.id, self.client_id, self.channel = row.id, row.client_id, row.channel
        self.message, self.language, self.payload, self.attempts = row.template, row.language, row.payload, row.attempts


def _deliver(sender: Sender, message: _Claimed, claim: str, now: Callable[[], datetime]) -> str:
    if message.attempts > MAX_ATTEMPTS:  # its claims kept lapsing: the dispatcher dies on it, every time
        return _failed(message, claim, SendFailed("ClaimsLapsed", permanent=True), now())
    address, cancelled = UnitOfWork(ACTOR).run(_address_or_cancel, message, claim)
    if address is None:
        return cancelled
    try:
        rendered = messages.render(message.message, message.language, message.payload)
        outgoing = Outgoing(message.id, message.channel, address, message.language, message.message, rendered)
        provider_id = sender.send(outgoing)
    except messages.TemplateError:  # the repository's text is at fault: no retry mends it
        return _failed(message, claim, SendFailed("TemplateError", permanent=True), now())
    except SendFailed as failure:
        return _failed(message, claim, failure, now())
    settled = UnitOfWork(ACTOR).run(
        _settle,
        message.id,
        claim,
        status=NotificationStatus.SENT,
        sent_at=now(),
        provider_message_id=provider_id,
        reason=None,
    )
    return "sent" if settled else "lapsed"


def _settle(uow: UnitOfWork, /, message_id: str, claim: str, **values: Any) -> bool:
    return uow.notifications.settle(message_id, claim, **values)


def _address_or_cancel(uow: UnitOfWork, message: _Claimed, claim: str) -> tuple[str | None, str]:
    """Where the message goes now; or none, the message cancelled (``cancelled``), or found to be
    another dispatcher's now (``lapsed``)."""
    address, refused = _address(uow, message)
    if refused is None:
        return address, ""
    settled = uow.notifications.settle(message.id, claim, status=NotificationStatus.CANCELLED, reason=refused)
    return None, "cancelled" if settled else "lapsed"


def _address(uow: UnitOfWork, message: _Claimed) -> tuple[str | None, str | None]:
    """Where the message goes now, or why it may not go any more."""
    client = uow.clients.get(message.client_id)
    if client is None or client.status == ClientStatus.ERASED:
        return None, "erased"
    if message.channel == NotificationChannel.SMS:
        consent = uow.consents.of(client.id).get(ConsentPurpose.SMS)
        if consent is None or not consent.granted or consent.withdrawn_at is not None:
            return None, "no_sms_consent"
        return (client.phone, None) if client.phone else (None, "no_phone")
    return (client.email, None) if client.email else (None, "no_email")


def _failed(message: _Claimed, claim: str, failure: SendFailed, at: datetime) -> str:
    final = failure.permanent or message.attempts >= MAX_ATTEMPTS
    if final:
        values: dict[str, object] = {"status": NotificationStatus.FAILED}
    else:
        values = {"next_attempt_at": at + FIRST_RETRY * 2 ** (message.attempts - 1)}
    settled = UnitOfWork(ACTOR).run(_settle, message.id, claim, reason=failure.code, **values)
    return ("failed" if final else "retried") if settled else "lapsed"
