"""The dispatcher's entry point: run on a schedule every minute, and invoked asynchronously right
after a message is queued, it delivers every message that is due."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from lambdas.shared.config import notification_settings
from lambdas.shared.notify.dispatch import dispatch
from lambdas.shared.notify.senders import AwsSender, MailboxSender, Sender
from lambdas.shared.observability import count_failed_notifications, task_handler
from lambdas.shared.parameters import NotificationParameters, read


def sender() -> Sender:
    """The mailbox locally; else the providers, as the stage's parameters say now (a sender id or an
    address changed in Parameter Store is used within the cache's five minutes)."""
    mailbox = notification_settings().mailbox
    if mailbox:
        return MailboxSender(Path(mailbox))
    parameters = read(NotificationParameters)
    return _aws_sender(parameters.sms_sender_id, parameters.email_sender)


@cache
def _aws_sender(sms_sender_id: str, email_sender: str) -> Sender:
    return AwsSender(sms_sender_id=sms_sender_id, email_sender=email_sender)


@task_handler
def handler(event: dict[str, Any], context: Any) -> dict[str, int]:
    outcomes = dispatch(sender(), seconds_left=lambda: context.get_remaining_time_in_millis() / 1000)
    if outcomes["failed"]:
        count_failed_notifications(outcomes["failed"])
    return dict(outcomes)
