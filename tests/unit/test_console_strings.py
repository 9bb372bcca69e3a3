"""Every word of the web app exists in French and in English, with the same placeholders, and every
key the code asks for is in both."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

CONSOLE = Path(__file__).resolve().parents[2] / "console"
LANGUAGES = ("fr", "en")
# t("display.title"), t('display.title', {...}), or words("display.announce", …) in another language
ASKED = re.compile(r"""\b(?:t|words)\(\s*["']([\w.]+)["']""")
PLACEHOLDER = re.compile(r"\{(\w+)\}")


def _strings(language: str) -> dict[str, str]:
    return json.loads((CONSOLE / "strings" / f"{language}.json").read_text(encoding="utf-8"))


MARKED = re.compile(r'data-words="([\w.]+)"')  # the page's own elements: <a data-words="app.skip">
# keys the code builds from what the API answers: t(`counter.priority.${ticket.priority}`)
BUILT = re.compile(
    r"^(counter\.(priority|status)|runs\.(status|entity|waiting)|language|consent|client\.(status|purpose|channel)"
    r"|onboard\.(quality|housing|evidence)|work\.(match|stage|decided)"
    r"|order\.(status|lens|material|coating|base|eye|lab_status|done|event|field))\."
)


def _asked() -> set[str]:
    code = (path.read_text(encoding="utf-8") for path in CONSOLE.rglob("*.js") if "node_modules" not in path.parts)
    page = (CONSOLE / "index.html").read_text(encoding="utf-8")
    return {key for text in code for key in ASKED.findall(text)} | set(MARKED.findall(page))


def test_every_word_written_is_used() -> None:
    unused = [key for key in _strings("fr") if key not in _asked() and not BUILT.match(key)]
    assert unused == []


def test_both_languages_have_the_same_words() -> None:
    french, english = _strings("fr"), _strings("en")
    assert sorted(set(french) ^ set(english)) == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_key_the_code_asks_for_is_written(language: str) -> None:
    assert _asked(), "the pattern finds no key: has t() been renamed?"
    assert sorted(_asked() - set(_strings(language))) == []


def test_a_text_and_its_translation_name_the_same_placeholders() -> None:
    french, english = _strings("fr"), _strings("en")
    differ = {
        key: (french[key], english[key])
        for key in french.keys() & english.keys()
        if set(PLACEHOLDER.findall(french[key])) != set(PLACEHOLDER.findall(english[key]))
    }
    assert differ == {}


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_text_is_empty_or_left_untranslated_as_its_key(language: str) -> None:
    assert [key for key, text in _strings(language).items() if not text.strip() or text == key] == []


def test_the_words_built_from_the_apis_values_are_written() -> None:
    # the counter names a ticket's status and priority from what the API answers: t(`counter.priority.${…}`)
    from lambdas.shared.domain import TicketPriority

    built = {f"counter.priority.{value}" for value in TicketPriority if value != TicketPriority.NONE}
    built |= {"counter.status.called", "counter.status.serving"}
    # an execution's and a state's statuses, the entities executions are about, why one waits
    statuses = ("running", "succeeded", "failed", "timed_out", "aborted", "pending_redrive", "not_reached", "caught")
    built |= {f"runs.status.{status}" for status in statuses}
    built |= {f"runs.entity.{entity}" for entity in ("client", "ticket", "order")}
    built |= {f"runs.waiting.{kind}" for kind in ("callback", "wait", "retry", "task")}
    for language in LANGUAGES:
        assert sorted(built - set(_strings(language))) == [], language


def test_the_front_desks_words_name_every_value_the_api_gives() -> None:
    # a record, a work list and an order show the API's values in words: each value has its words
    from lambdas.shared.domain import (
        CONSENT_TEXT_VERSION,
        BirthDateQuality,
        ClientStatus,
        ConsentPurpose,
        DuplicateMatch,
        EvidenceType,
        HousingSituation,
        Language,
        OrderStatus,
        ReviewDecision,
        TicketStatus,
    )
    from lambdas.shared.orders.prescription import Coating, LensMaterial, LensType, PrismBase

    families = {
        "language": Language,
        "client.status": ClientStatus,
        "client.purpose": ConsentPurpose,
        "onboard.quality": BirthDateQuality,
        "onboard.housing": HousingSituation,
        "onboard.evidence": EvidenceType,
        "work.match": DuplicateMatch,
        "work.decided": ReviewDecision,
        "counter.status": TicketStatus,
        "order.status": OrderStatus,
        "order.done": OrderStatus,
        "order.event": (status for status in OrderStatus if status != OrderStatus.RECEIVED),
        "order.lens": LensType,
        "order.material": LensMaterial,
        "order.coating": Coating,
        "order.base": PrismBase,
    }
    built = {f"{family}.{value}" for family, values in families.items() for value in values}
    built |= {f"consent.{CONSENT_TEXT_VERSION}.{purpose}" for purpose in ConsentPurpose}  # the text agreed to
    for language in LANGUAGES:
        assert sorted(built - set(_strings(language))) == [], language


def test_the_onboarding_form_offers_the_apis_languages_and_shows_its_consent_text() -> None:
    from lambdas.shared.domain import CONSENT_TEXT_VERSION, Language

    form = (CONSOLE / "views" / "onboarding.js").read_text(encoding="utf-8")
    offered = re.search(r"export const LANGUAGES = \[([^\]]*)\]", form)
    version = re.search(r'export const CONSENT_VERSION = "([^"]+)"', form)
    assert offered is not None
    assert version is not None
    assert re.findall(r'"(\w+)"', offered.group(1)) == [language.value for language in Language]
    assert version.group(1) == CONSENT_TEXT_VERSION
