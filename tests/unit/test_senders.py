"""The providers as the dispatcher calls them: an SMS through SNS with the stage's sender id, an
e-mail through SES from the stage's sender; their refusals become ``SendFailed``."""

from __future__ import annotations

from pathlib import Path

import boto3
import pytest
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends
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


def test_an_sms_is_published_to_the_phone_with_the_sender_id(aws: None) -> None:
    sender, published = AwsSender("FONDATION", "accueil@example.org"), []
    sender._sns.meta.events.register("provide-client-params.sns.Publish", lambda params, **_: published.append(params))
    message_id = sender.send(outgoing(NotificationChannel.SMS, "+33612345678"))

    assert sns_backends[DEFAULT_ACCOUNT_ID][REGION].sms_messages == {message_id: ("+33612345678", TEXT.text)}
    [params] = published
    assert params["MessageAttributes"]["AWS.SNS.SMS.SenderID"]["StringValue"] == "FONDATION"
    assert params["MessageAttributes"]["AWS.SNS.SMS.SMSType"]["StringValue"] == "Transactional"


def test_an_email_is_sent_from_the_stage_sender(aws: None) -> None:
    boto3.client("sesv2").create_email_identity(EmailIdentity="accueil@example.org")
    message_id = AwsSender("FONDATION", "accueil@example.org").send(
        outgoing(NotificationChannel.EMAIL, "a@example.org")
    )

    [sent] = ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages
    assert sent.id == message_id
    assert sent.source == "accueil@example.org"
    assert sent.destinations["ToAddresses"] == ["a@example.org"]
    assert sent.subject == TEXT.subject


def test_a_sender_the_provider_refuses_is_a_permanent_failure(aws: None) -> None:
    with pytest.raises(SendFailed) as refused:  # SES refuses a sender identity never verified
        AwsSender("FONDATION", "unverified@example.org").send(outgoing(NotificationChannel.EMAIL, "a@example.org"))
    assert refused.value.code == "MessageRejected"
    assert refused.value.permanent


def test_the_mailbox_keeps_one_letter_per_message_even_when_sent_twice(tmp_path: Path) -> None:
    mailbox = MailboxSender(tmp_path)
    mailbox.send(outgoing(NotificationChannel.SMS, "+33612345678"))
    mailbox.send(outgoing(NotificationChannel.SMS, "+33612345678"))

    [letter] = read_mailbox(tmp_path)
    assert (letter["id"], letter["to"], letter["text"]) == ("n-1", "+33612345678", TEXT.text)
    assert list(tmp_path.iterdir()) == [tmp_path / "n-1.json"]  # no temporary file left behind
