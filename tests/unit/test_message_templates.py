"""Every message has a text in every language a client can choose, using exactly the placeholders
the message declares."""

from __future__ import annotations

from pathlib import Path
from string import Template

import pytest

from lambdas.shared.domain import Language
from lambdas.shared.notify import messages
from lambdas.shared.notify.messages import MESSAGES, TEMPLATES, TemplateError, placeholders, render

PAIRS = [(message, language) for message in MESSAGES for language in Language]


@pytest.mark.parametrize(("message", "language"), PAIRS)
def test_each_message_has_a_text_in_each_language_with_its_declared_placeholders(message: str, language: str) -> None:
    assert (TEMPLATES / message / f"{language}.txt").is_file(), f"{message}/{language}.txt is missing"
    assert placeholders(message, language) == MESSAGES[message]
    rendered = render(message, language, dict.fromkeys(MESSAGES[message], "X42"))
    assert rendered.subject
    assert rendered.text
    assert "$" not in rendered.text


def test_no_text_belongs_to_an_undeclared_message_or_language() -> None:
    files = {(path.parent.name, path.stem) for path in TEMPLATES.glob("*/*.txt")}
    assert files == {(message, str(language)) for message, language in PAIRS}
    assert {path.name for path in TEMPLATES.iterdir()} == set(MESSAGES)


def test_a_language_without_a_text_falls_back_to_french() -> None:
    assert render("welcome", "wo", {}) == render("welcome", "fr", {})


def test_a_missing_placeholder_value_or_message_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(MESSAGES, "welcome", frozenset({"number"}))
    monkeypatch.setattr(messages, "_template", lambda *_: (Template("s"), Template("n° $number")))
    with pytest.raises(TemplateError, match="number"):
        render("welcome", "fr", {})
    assert render("welcome", "fr", {"number": "A007"}).text == "n° A007"


def test_an_unknown_message_is_an_error() -> None:
    with pytest.raises(TemplateError, match="no message 'nothing'"):
        render("nothing", "fr", {})


def test_a_malformed_text_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "welcome").mkdir()
    (tmp_path / "welcome" / "fr.txt").write_text("Bienvenue sans sujet\n", encoding="utf-8")
    monkeypatch.setattr(messages, "TEMPLATES", tmp_path)
    messages._template.cache_clear()
    try:
        with pytest.raises(TemplateError, match=r"welcome/fr\.txt"):
            render("welcome", "fr", {})
    finally:
        messages._template.cache_clear()
