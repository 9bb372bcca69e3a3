"""Queuing a message to a client in the outbox: by SMS with their consent, else by email, in their
language; nothing for a person with neither. Queuing is idempotent: one message per ``dedup_key``.

Once the message is committed, the dispatcher function is invoked asynchronously (``nudge``), so it
leaves within seconds rather than at the next scheduled run."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any, Literal

from lambdas.shared.config import notification_settings
from lambdas.shared.db.base import new_id
from lambdas.shared.db.unit_of_work import UnitOfWork
from lambdas.shared.domain import ConsentPurpose, NotificationChannel
from lambdas.shared.observability import logger

if TYPE_CHECKING:  # the outbox's table is loaded with its repository, on first use (uow.notifications)
    from lambdas.shared.db.clients.models import Client

IN_PERSON: Literal["in_person"] = "in_person"  # no channel: the front desk tells the person when they come


def channel_for(uow: UnitOfWork, client: Client) -> NotificationChannel | None:
    sms = uow.consents.of(client.id).get(ConsentPurpose.SMS)
    if client.phone and sms is not None and sms.granted and sms.withdrawn_at is None:
        return NotificationChannel.SMS
    return NotificationChannel.EMAIL if client.email else None


def queue_message(
    uow: UnitOfWork, client: Client, template: str, dedup_key: str, payload: dict[str, Any], *, sms_only: bool = False
) -> NotificationChannel | None:
    """The channel the message goes by (queued once, whatever the retries); None: no way to reach them.
    ``sms_only``: a message that is only worth it at once (being called), never by e-mail."""
    channel = channel_for(uow, client)
    if sms_only and channel != NotificationChannel.SMS:
        return None
    if channel is not None and uow.notifications.by_dedup_key(dedup_key) is None:
        uow.notifications.new(
            id=new_id(),
            dedup_key=dedup_key,
            client_id=client.id,
            channel=channel,
            template=template,
            language=client.language,
            payload=payload,
        )
        uow.after_commit(nudge)
    return channel


def nudge() -> None:
    """Invoke the dispatcher now, without waiting for it. Best effort: if the invocation fails, the
    schedule delivers the message within the minute."""
    function = notification_settings().dispatcher_function
    if not function:  # locally: the runtime's dispatcher runs every few seconds anyway
        return
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        _lambda_client().invoke(FunctionName=function, InvocationType="Event", Payload=b"{}")
    except (BotoCoreError, ClientError) as error:
        logger.warning("could not invoke the dispatcher: the schedule will", extra={"error_type": type(error).__name__})


@cache
def _lambda_client() -> Any:
    import boto3

    return boto3.client("lambda")
