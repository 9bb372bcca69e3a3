"""E-mail through SES's SMTP interface, against a real SMTP server on this machine (aiosmtpd) that
requires STARTTLS with its own certificate and AUTH: delivered, refused for good, or worth a retry."""

from __future__ import annotations

import base64
import datetime
import email
import email.policy
import ipaddress
import json
import socket
import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import boto3
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from moto import mock_aws

from lambdas.shared.domain import NotificationChannel
from lambdas.shared.notify.messages import Rendered
from lambdas.shared.notify.senders import Outgoing, SendFailed
from lambdas.shared.notify.smtp import SmtpEmail, ses_smtp_password

KEY_ID, SECRET = "AKIAEXAMPLESMTPUSER", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
REGION = "eu-west-3"
OUTGOING = Outgoing(
    "outbox-1", NotificationChannel.EMAIL, "amina@example.org", "fr", "glasses_ready",
    Rendered("Vos lunettes sont prêtes", "Venez les chercher au centre."),
)  # fmt: skip


@dataclass
class Inbox:
    answer: str = "250 Ok 0100018c-ses-message-id"
    rcpt_answer: str | None = None
    messages: list = field(default_factory=list)

    async def handle_RCPT(self, server, session, envelope, address, options):
        if self.rcpt_answer:
            return self.rcpt_answer
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        return self.answer


def _certificate(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / "server.pem", directory / "server.key"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_file, key_file


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server(tmp_path: Path) -> Iterator[tuple[Inbox, int, Path]]:
    """A server that takes mail only after STARTTLS and the SES SMTP password of KEY_ID."""
    cert_file, key_file = _certificate(tmp_path)
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(cert_file, key_file)

    def authenticate(server, session, envelope, mechanism, auth_data):
        expected = LoginPassword(KEY_ID.encode(), ses_smtp_password(SECRET, REGION).encode())
        return AuthResult(success=isinstance(auth_data, LoginPassword) and auth_data == expected)

    inbox, port = Inbox(), _free_port()
    controller = Controller(
        inbox, hostname="127.0.0.1", port=port, tls_context=tls, require_starttls=True,
        authenticator=authenticate, auth_require_tls=True,
    )  # fmt: skip
    controller.start()
    yield inbox, port, cert_file
    controller.stop()


def _sender(port: int, ca_file: Path, password: str | None = None) -> SmtpEmail:
    return SmtpEmail(
        host="localhost", port=port, username=KEY_ID, password=password or ses_smtp_password(SECRET, REGION),
        sender="accueil@fondation-optical-center.org", ca_file=str(ca_file),
    )  # fmt: skip


def test_an_email_is_delivered_over_starttls_with_the_derived_password(smtp_server) -> None:
    inbox, port, ca_file = smtp_server
    message_id = _sender(port, ca_file).send(OUTGOING)
    assert message_id == "0100018c-ses-message-id"  # what SES answers to DATA
    [envelope] = inbox.messages
    assert (envelope.mail_from, envelope.rcpt_tos) == ("accueil@fondation-optical-center.org", ["amina@example.org"])
    message = email.message_from_bytes(envelope.content, policy=email.policy.default)
    assert (message["Subject"], message["To"]) == ("Vos lunettes sont prêtes", "amina@example.org")
    assert message.get_content().strip() == "Venez les chercher au centre."


@pytest.mark.parametrize(
    ("answers", "permanent"),
    [
        ({"rcpt_answer": "550 Mailbox unavailable"}, True),
        ({"answer": "554 Message rejected: Email address is not verified."}, True),
        ({"answer": "451 Temporary service failure"}, False),
    ],
)
def test_a_refusal_is_for_good_or_worth_a_retry_as_its_code_says(smtp_server, answers: dict, permanent: bool) -> None:
    inbox, port, ca_file = smtp_server
    for name, value in answers.items():
        setattr(inbox, name, value)
    with pytest.raises(SendFailed) as failed:
        _sender(port, ca_file).send(OUTGOING)
    assert failed.value.permanent is permanent


def test_wrong_credentials_an_untrusted_certificate_and_no_server_are_retried_not_given_up(
    smtp_server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lambdas.shared.notify import smtp

    monkeypatch.setattr(smtp, "TIMEOUT_SECONDS", 1)  # the server may go silent after a refused login
    _, port, ca_file = smtp_server
    with pytest.raises(SendFailed) as refused:
        _sender(port, ca_file, password="not-the-password").send(OUTGOING)
    assert refused.value.permanent is False  # the stage's key is mended by ops; the message waits for it
    (tmp_path / "other").mkdir()
    other_ca, _ = _certificate(tmp_path / "other")
    with pytest.raises(SendFailed) as untrusted:  # never a password over a connection it cannot trust
        _sender(port, other_ca).send(OUTGOING)
    assert untrusted.value.permanent is False
    with pytest.raises(SendFailed) as absent:
        _sender(_free_port(), ca_file).send(OUTGOING)
    assert absent.value.permanent is False


def test_the_smtp_password_is_a_version_byte_and_a_signature_per_region() -> None:
    password = ses_smtp_password(SECRET, REGION)
    raw = base64.b64decode(password)
    assert (len(raw), raw[0]) == (33, 4)  # version 4, then 32 bytes of HMAC-SHA256
    assert ses_smtp_password(SECRET, "eu-west-1") != password
    assert ses_smtp_password(SECRET, REGION) == password


def test_the_dispatcher_sends_email_by_smtp_with_the_stages_key(monkeypatch: pytest.MonkeyPatch) -> None:
    from aws_lambda_powertools.utilities.parameters import SecretsProvider
    from aws_lambda_powertools.utilities.parameters.constants import DEFAULT_PROVIDERS

    from lambdas.dispatcher import handler as dispatcher
    from lambdas.shared.config import notification_settings

    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        # a provider of its own, in this region (put back as it was after the test)
        monkeypatch.setitem(DEFAULT_PROVIDERS, "secrets", SecretsProvider())
        arn = boto3.client("secretsmanager", region_name=REGION).create_secret(
            Name="smtp", SecretString=json.dumps({"AccessKeyId": KEY_ID, "SecretAccessKey": SECRET})
        )["ARN"]
        monkeypatch.delenv("NOTIFY_MAILBOX", raising=False)
        monkeypatch.setenv("SMTP_SECRET_ARN", arn)
        monkeypatch.setenv("AWS_REGION", REGION)
        notification_settings.cache_clear()
        try:
            smtp = dispatcher.sender().email  # type: ignore[attr-defined]
        finally:
            notification_settings.cache_clear()
    assert (smtp.host, smtp.port, smtp.username) == (f"email-smtp.{REGION}.amazonaws.com", 587, KEY_ID)
    assert smtp.password == ses_smtp_password(SECRET, REGION)
    assert ses_smtp_password(SECRET, REGION) not in repr(dispatcher.sender())  # not in a log line
    assert smtp.sender == "accueil@fondation-optical-center.org"  # the stage's parameter


def test_a_dispatcher_without_the_smtp_key_fails_visibly_rather_than_dropping_mail(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from lambdas.dispatcher import handler as dispatcher
    from lambdas.shared.config import notification_settings
    from lambdas.shared.errors import SettingsInvalid

    monkeypatch.delenv("NOTIFY_MAILBOX", raising=False)
    monkeypatch.delenv("SMTP_SECRET_ARN", raising=False)
    monkeypatch.setattr(dispatcher, "read", lambda model: model())
    notification_settings.cache_clear()
    try:
        with pytest.raises(SettingsInvalid, match="SMTP_SECRET_ARN is not set"):
            dispatcher.sender()
    finally:
        notification_settings.cache_clear()
