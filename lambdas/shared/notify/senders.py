"""Who carries a message: Amazon SNS for SMS and Amazon SES for e-mail, through its SMTP interface
(``smtp.py``: SES's API has no endpoint in the stage's VPC, which has no route out) — or, locally, a
mailbox directory (one JSON file per message, named by its outbox id: sending one twice overwrites it).

Neither SNS's SMS nor SES takes an idempotency key: a dispatcher that dies between sending and
marking the row sends that message once more when the row's claim lapses, never zero times.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from datetime import datetime
from functools import cache, cached_property
from pathlib import Path
from typing import Any, Protocol

from lambdas.shared.domain import NotificationChannel
from lambdas.shared.notify.messages import Rendered


@dataclass(frozen=True)
class Outgoing:
    key: str  # the outbox row's id
    channel: NotificationChannel
    address: str  # E.164 phone or e-mail address
    language: str
    message: str
    rendered: Rendered


class SendFailed(Exception):
    """The provider refused the message. ``permanent``: trying again cannot help (a bad number)."""

    def __init__(self, code: str, *, permanent: bool) -> None:
        super().__init__(code)
        self.code, self.permanent = code[:64], permanent


class Sender(Protocol):
    def send(self, outgoing: Outgoing) -> str:
        """Send it; the provider's message id. Raises ``SendFailed``."""


# SNS error codes that no retry can mend (SMTP's refusals are read in smtp.py)
PERMANENT_ERRORS = frozenset({"InvalidParameter", "InvalidParameterValue", "OptedOut"})


@dataclass
class AwsSender:
    sms_sender_id: str
    email: Sender  # SES's SMTP interface

    @cached_property
    def _sns(self) -> Any:
        return _sns_client()

    def send(self, outgoing: Outgoing) -> str:
        from botocore.exceptions import BotoCoreError, ClientError

        if outgoing.channel != NotificationChannel.SMS:
            return self.email.send(outgoing)
        try:
            return self._sms(outgoing)
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "ClientError")
            raise SendFailed(code, permanent=code in PERMANENT_ERRORS) from None
        except BotoCoreError as error:  # no answer: the provider may try again later
            raise SendFailed(type(error).__name__, permanent=False) from None

    def _sms(self, outgoing: Outgoing) -> str:
        answer = self._sns.publish(
            PhoneNumber=outgoing.address,
            Message=outgoing.rendered.text,
            MessageAttributes={
                "AWS.SNS.SMS.SenderID": {"DataType": "String", "StringValue": self.sms_sender_id},
                "AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"},
            },
        )
        return str(answer["MessageId"])


@cache
def _sns_client() -> Any:
    """Short timeouts: a provider out of reach is a failed attempt well within the function's minute,
    retried later, rather than a function timing out with the message still claimed."""
    import boto3
    from botocore.config import Config

    config = Config(connect_timeout=5, read_timeout=10, retries={"mode": "standard", "max_attempts": 2})
    return boto3.client("sns", config=config)


@dataclass
class MailboxSender:
    directory: Path

    def send(self, outgoing: Outgoing) -> str:
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        letter = {
            "id": outgoing.key,
            "channel": outgoing.channel.value,
            "to": outgoing.address,
            "language": outgoing.language,
            "message": outgoing.message,
            "subject": outgoing.rendered.subject,
            "text": outgoing.rendered.text,
            "sent_at": datetime.now().astimezone().isoformat(),  # to the microsecond: the mailbox's order
        }
        # written whole, then renamed: a reader never sees half a letter
        handle, temporary = tempfile.mkstemp(dir=self.directory, suffix=".tmp")
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            json.dump(letter, file, ensure_ascii=False, indent=2)
        os.replace(temporary, self.directory / f"{outgoing.key}.json")
        return f"mailbox-{outgoing.key}"


def read_mailbox(directory: Path) -> list[dict[str, Any]]:
    """The letters in a mailbox directory, oldest first."""
    letters = [json.loads(path.read_text(encoding="utf-8")) for path in directory.glob("*.json")]
    return sorted(letters, key=lambda letter: (letter["sent_at"], letter["id"]))
