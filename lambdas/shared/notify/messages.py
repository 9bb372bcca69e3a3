"""The messages a client may receive, and their texts: one file per message and language under
``templates/<message>/<language>.txt``, reviewed like code.

A file is a ``Subject:`` line (the e-mail's subject), a blank line, then the text (the SMS, and the
e-mail's body). Placeholders are ``$name``, filled from the outbox row's payload: each message
declares the ones it uses, and a test holds every file to them.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from string import Template
from typing import Any

from lambdas.shared.domain import Language

TEMPLATES = Path(__file__).parent / "templates"
FALLBACK_LANGUAGE = Language.FR  # a language with no text yet: the programme's own

# message -> the placeholders its texts use (from the payload queued with it)
MESSAGES: dict[str, frozenset[str]] = {
    "welcome": frozenset(),
    "glasses_ready": frozenset(),
    "pickup_reminder": frozenset(),
    "ticket_called": frozenset({"number", "counter"}),
    "ticket_next": frozenset({"number"}),
}


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str


class TemplateError(Exception):
    """A message or language has no text, or its text is malformed: the repository is at fault."""


@cache
def _template(message: str, language: str) -> tuple[Template, Template]:
    if message not in MESSAGES:
        raise TemplateError(f"no message {message!r}: known are {', '.join(sorted(MESSAGES))}")
    path = TEMPLATES / message / f"{language}.txt"
    if not path.exists():
        path = TEMPLATES / message / f"{FALLBACK_LANGUAGE}.txt"
    head, blank, body = path.read_text(encoding="utf-8").partition("\n\n")
    if not blank or not head.startswith("Subject: ") or "\n" in head or not body.strip():
        raise TemplateError(f"{path.relative_to(TEMPLATES)}: a 'Subject: ' line, a blank line, then the text")
    return Template(head.removeprefix("Subject: ")), Template(body.strip())


def render(message: str, language: str, payload: dict[str, Any]) -> Rendered:
    """The message's text in ``language`` (or the fallback), its placeholders filled."""
    subject, text = _template(message, language)
    values = {name: str(payload[name]) for name in MESSAGES[message] if name in payload}
    try:
        return Rendered(subject.substitute(values), text.substitute(values))
    except (KeyError, ValueError) as error:
        raise TemplateError(f"{message}/{language}: placeholder {error} has no value") from None


def placeholders(message: str, language: str) -> set[str]:
    """The placeholders a text uses (for the tests that hold texts to their declaration)."""
    subject, text = _template(message, language)
    return {*subject.get_identifiers(), *text.get_identifiers()}
