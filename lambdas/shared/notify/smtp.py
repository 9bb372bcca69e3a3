"""E-mail through Amazon SES's SMTP interface: the one SES reaches from a VPC without a route out
(its API has no VPC endpoint; its SMTP interface has, ``email-smtp``).

SES's SMTP password is derived from an IAM access key (the stage's SMTP user, whose key the CDK app
keeps in Secrets Manager), as AWS documents it: an HMAC-SHA256 chain over a fixed date, the region,
``ses``, ``aws4_request`` and ``SendRawEmail``, behind a version byte, in base64. The connection is
upgraded with STARTTLS and the server's certificate checked before the password is sent.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import make_msgid

from lambdas.shared.notify.senders import Outgoing, SendFailed

PORT = 587
TIMEOUT_SECONDS = 10  # a server out of reach is a failed attempt, retried later, within the function's time


def ses_smtp_password(secret_access_key: str, region: str) -> str:
    """The SMTP password of an IAM access key's secret for SES in ``region``."""
    key = ("AWS4" + secret_access_key).encode()
    for part in ("11111111", region, "ses", "aws4_request", "SendRawEmail"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return base64.b64encode(bytes([0x04]) + key).decode()


@dataclass(frozen=True)
class SmtpEmail:
    host: str
    username: str
    sender: str
    password: str = field(repr=False)  # never in a log line that shows the sender
    port: int = PORT
    ca_file: str | None = None  # the system's CAs unless given (tests give their own)

    def send(self, outgoing: Outgoing) -> str:
        """Send it; the id SES gives in its answer to DATA (else the message's own id)."""
        message = EmailMessage()
        message["From"], message["To"] = self.sender, outgoing.address
        message["Subject"], message["Message-ID"] = outgoing.rendered.subject, make_msgid(outgoing.key)
        message.set_content(outgoing.rendered.text)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=TIMEOUT_SECONDS) as server:
                server.starttls(context=ssl.create_default_context(cafile=self.ca_file))
                server.login(self.username, self.password)
                _accepted(server.mail(self.sender)[0])  # the sender
                _accepted(server.rcpt(outgoing.address)[0])  # the address
                code, answer = server.data(message.as_bytes())
                _accepted(code)  # the message, once sent
        except smtplib.SMTPAuthenticationError:  # the stage's credentials: mended by ops, then sent
            raise SendFailed("SMTPAuthenticationError", permanent=False) from None
        except smtplib.SMTPResponseException as error:  # 5xx: the message, the address or the sender is refused
            raise SendFailed(f"SMTP {error.smtp_code}", permanent=error.smtp_code >= 500) from None
        except (OSError, smtplib.SMTPException) as error:  # no answer, a dropped connection, TLS refused
            raise SendFailed(type(error).__name__, permanent=False) from None
        words = answer.decode(errors="replace").split()
        return words[-1] if len(words) > 1 else message["Message-ID"]


def _accepted(code: int) -> None:
    """An SMTP answer under 400; else refused: 5xx for good, 4xx for now."""
    if code >= 400:
        raise SendFailed(f"SMTP {code}", permanent=code >= 500)
