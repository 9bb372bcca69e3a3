"""The dispatcher's entry point: run on a schedule every minute, and invoked asynchronously right
after a message is queued, it relays the workflow signals their writers could not deliver, then
delivers every message that is due."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lambdas.shared.config import notification_settings
from lambdas.shared.errors import SettingsInvalid
from lambdas.shared.notify.dispatch import dispatch
from lambdas.shared.notify.senders import AwsSender, MailboxSender, Sender
from lambdas.shared.notify.smtp import SmtpEmail, ses_smtp_password
from lambdas.shared.observability import count_failed_notifications, count_failed_signals, task_handler
from lambdas.shared.parameters import MAX_AGE_SECONDS, NotificationParameters, read
from lambdas.shared.signals import relay
from lambdas.shared.stepfunctions import workflows


def sender() -> Sender:
    """The mailbox locally; else the providers, as the stage's parameters say now (a sender id or an
    address changed in Parameter Store is used within the cache's five minutes)."""
    mailbox = notification_settings().mailbox
    if mailbox:
        return MailboxSender(Path(mailbox))
    parameters = read(NotificationParameters)
    return AwsSender(sms_sender_id=parameters.sms_sender_id, email=_smtp(parameters.email_sender))


def _smtp(email_sender: str) -> Sender:
    """E-mail through SES's SMTP interface, with the stage's SMTP user's key (kept 5 minutes: a
    rotated key is in use within that time)."""
    settings = notification_settings()
    if not settings.smtp_secret_arn:
        raise SettingsInvalid("SMTP_SECRET_ARN is not set: e-mail leaves through SES's SMTP interface, with its key")
    if not settings.region:
        raise SettingsInvalid("AWS_REGION is not set: SES's SMTP endpoint and password depend on the region")
    from aws_lambda_powertools.utilities import parameters

    key = parameters.get_secret(settings.smtp_secret_arn, transform="json", max_age=MAX_AGE_SECONDS)
    region = settings.region
    return SmtpEmail(
        host=settings.smtp_host or f"email-smtp.{region}.amazonaws.com",
        username=key["AccessKeyId"],
        password=ses_smtp_password(key["SecretAccessKey"], region),
        sender=email_sender,
    )


@task_handler
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    def seconds_left() -> float:
        return float(context.get_remaining_time_in_millis()) / 1000

    try:
        relayed = relay(workflows(), seconds_left=seconds_left)
    finally:  # the messages go whatever befell the signals
        outcomes = dispatch(sender(), seconds_left=seconds_left)
        if outcomes["failed"]:
            count_failed_notifications(outcomes["failed"])
    if given_up := relayed["failed"] + relayed["overdue"]:
        count_failed_signals(given_up)
    return {**outcomes, "signals": dict(relayed)}
