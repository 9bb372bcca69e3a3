"""The providers as the dispatcher calls them: an SMS through SNS with the stage's sender id, an
e-mail through the stage's e-mail sender (SES's SMTP interface, tests/unit/test_smtp_sender.py);
their refusals become ``SendFailed``."""

from __future__ import annotations

from pathlib import Path

import pytest
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.sns.models import sns_backends

from lambdas.shared.domain import NotificationChannel
from lambdas.shared.notify.messages import Rendered
from lambdas.shared.notify.senders import AwsSender, MailboxSender, Outgoing, SendFailed, read_mailbox

REGION = "eu-west-3"
TEXT = Rendered("Vos lunettes sont prêtes", "Vos lunettes sont prêtes. Venez les chercher.")


def outgoing(channel: NotificationChannel, address: str) -> Outgoing:
    return Outgoing("n-1", channel, address, "fr", "glasses_ready", TEXT)


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        yield


def test_an_sms_is_published_to_the_phone_with_the_sender_id(aws: None, tmp_path: Path) -> None:
    sender, published = AwsSender("FONDATION", MailboxSender(tmp_path)), []
    sender._sns.meta.events.register("provide-client-params.sns.Publish", lambda params, **_: published.append(params))
    message_id = sender.send(outgoing(NotificationChannel.SMS, "+33612345678"))

    assert sns_backends[DEFAULT_ACCOUNT_ID][REGION].sms_messages == {message_id: ("+33612345678", TEXT.text)}
    [params] = published
    assert params["MessageAttributes"]["AWS.SNS.SMS.SenderID"]["StringValue"] == "FONDATION"
    assert params["MessageAttributes"]["AWS.SNS.SMS.SMSType"]["StringValue"] == "Transactional"


def test_an_email_goes_through_the_stages_email_sender_and_never_to_sns(aws: None) -> None:
    class Recording:
        def __init__(self) -> None:
            self.sent: list[Outgoing] = []

        def send(self, outgoing: Outgoing) -> str:
            self.sent.append(outgoing)
            return "smtp-1"

    email = Recording()
    sender = AwsSender("FONDATION", email)
    message = outgoing(NotificationChannel.EMAIL, "a@example.org")

    assert sender.send(message) == "smtp-1"
    assert email.sent == [message]
    assert sns_backends[DEFAULT_ACCOUNT_ID][REGION].sms_messages == {}


@pytest.mark.parametrize(("code", "permanent"), [("InvalidParameter", True), ("OptedOut", True), ("Throttling", False)])
def test_an_sms_refused_is_for_good_or_worth_a_retry_as_its_code_says(aws: None, code: str, permanent: bool) -> None:
    from botocore.stub import Stubber

    sender = AwsSender("FONDATION", MailboxSender(Path("/nonexistent")))
    with Stubber(sender._sns) as stubbed:
        stubbed.add_client_error("publish", service_error_code=code)
        with pytest.raises(SendFailed) as refused:
            sender.send(outgoing(NotificationChannel.SMS, "+33612345678"))
    assert (refused.value.code, refused.value.permanent) == (code, permanent)


def test_the_mailbox_keeps_one_letter_per_message_even_when_sent_twice(tmp_path: Path) -> None:
    mailbox = MailboxSender(tmp_path)
    mailbox.send(outgoing(NotificationChannel.SMS, "+33612345678"))
    mailbox.send(outgoing(NotificationChannel.SMS, "+33612345678"))

    [letter] = read_mailbox(tmp_path)
    assert (letter["id"], letter["to"], letter["text"]) == ("n-1", "+33612345678", TEXT.text)
    assert list(tmp_path.iterdir()) == [tmp_path / "n-1.json"]  # no temporary file left behind
