"""Duplicate detection tolerates the ways a name is mistyped (README, "Client onboarding").

Through the workflow's own step, ``onboarding.find_duplicate``, with applications stored as the API
stores them: same birth date and names within one edit (a letter wrong, missing or added, or two
neighbours swapped), names swapped or split differently, accents and case ignored — and never a
match for a near miss.
"""

from __future__ import annotations

import itertools
from datetime import date

import pytest
from sqlalchemy.orm import Session, sessionmaker

from lambdas.shared.db.unit_of_work import UnitOfWork
from lambdas.shared.domain import DuplicateMatch
from lambdas.shared.onboarding import steps as onboarding
from lambdas.shared.onboarding.intake import Application, receive_application

BIRTH_DATE = date(1961, 4, 2)
SIMILAR = DuplicateMatch.SIMILAR_NAME_AND_BIRTH_DATE
_applicants = itertools.count(1)


def application(first_name: str, last_name: str, birth_date: date = BIRTH_DATE, quality: str = "exact") -> Application:
    """A valid application with its own email and no phone: only the names and birth date can match."""
    return Application.model_validate(
        {
            "first_name": first_name,
            "last_name": last_name,
            "birth_date": birth_date.isoformat(),
            "birth_date_quality": quality,
            "email": f"applicant-{next(_applicants)}@fondation.org",
            "address": {"line1": "12 rue des Lilas", "postal_code": "93200", "city": "Saint-Denis"},
            "language": "fr",
            "consents": {"data_processing": True},
        }
    )


def submit(sessions: sessionmaker[Session], application: Application) -> str:
    with UnitOfWork("front-desk", sessions) as uow:
        return receive_application(uow, application, None, "desk-1").client_id


def find_duplicate(sessions: sessionmaker[Session], client_id: str) -> onboarding.DuplicateFinding | None:
    with UnitOfWork("workflow", sessions) as uow:
        return onboarding.find_duplicate(uow, client_id)


def known_then_new(
    sessions: sessionmaker[Session], known: Application, new: Application
) -> tuple[str, onboarding.DuplicateFinding | None]:
    """A known client, then a later application; the known client's id and what the check finds."""
    known_id = submit(sessions, known)
    assert find_duplicate(sessions, known_id) is None
    return known_id, find_duplicate(sessions, submit(sessions, new))


@pytest.mark.parametrize(
    ("known", "new"),
    [
        pytest.param(("Amina", "Diallo"), ("Amima", "Diallo"), id="one-letter-wrong-in-first-name"),
        pytest.param(("Amina", "Diallo"), ("Amina", "Dialo"), id="one-letter-missing-in-last-name"),
        pytest.param(("Amina", "Diallo"), ("Amina", "Diallou"), id="one-letter-too-many-in-last-name"),
        pytest.param(("Hélène", "Dubois"), ("Helene", "Duboiss"), id="missing-accent-and-a-typo"),
        pytest.param(("Amina", "Diallo"), ("Diallo", "Amina"), id="names-swapped"),
        pytest.param(("Hélène", "Dubois"), ("DUBOIS", "Helene"), id="swapped-upper-case-no-accent"),
        pytest.param(("Jean-Pierre", "Martin"), ("Jean", "Pierre-Martin"), id="compound-name-split-elsewhere"),
        pytest.param(("Amina", "Diallo"), ("Dialo", "Amina"), id="swapped-and-a-typo"),
    ],
)
def test_a_similar_name_with_the_same_birth_date_is_a_suspected_duplicate(
    sessions: sessionmaker[Session], known: tuple[str, str], new: tuple[str, str]
) -> None:
    # Given a known client, When a later application has a slightly different name and the same birth date
    known_id, finding = known_then_new(sessions, application(*known), application(*new))
    # Then it is suspected to be the same person, for a similar name
    assert finding == onboarding.DuplicateFinding(known_id, SIMILAR)


@pytest.mark.parametrize(
    ("known", "new"),
    [
        pytest.param(("Hélène", "Dubois"), ("Helene", "Dubois"), id="missing-accents"),
        pytest.param(("Amina", "Diallo"), ("AMINA", "diallo"), id="case"),
    ],
)
def test_accents_and_case_alone_make_the_same_name(
    sessions: sessionmaker[Session], known: tuple[str, str], new: tuple[str, str]
) -> None:
    # README: "same folded name and birth date" — an exact match once accents and case are folded
    known_id, finding = known_then_new(sessions, application(*known), application(*new))
    assert finding == onboarding.DuplicateFinding(known_id, DuplicateMatch.NAME_AND_BIRTH_DATE)


@pytest.mark.parametrize(
    ("known", "new"),
    [
        pytest.param(("Amina", "Diallo"), ("Amnia", "Diallo"), id="in-first-name"),
        pytest.param(("Amina", "Diallo"), ("Amina", "Dialol"), id="in-last-name"),
    ],
)
def test_two_adjacent_letters_swapped_is_a_suspected_duplicate(
    sessions: sessionmaker[Session], known: tuple[str, str], new: tuple[str, str]
) -> None:
    # the commonest typo: one edit, not two letters wrong
    known_id, finding = known_then_new(sessions, application(*known), application(*new))
    assert finding == onboarding.DuplicateFinding(known_id, SIMILAR)


def test_a_typo_that_changes_the_alphabetical_order_of_the_names_is_a_suspected_duplicate(
    sessions: sessionmaker[Session],
) -> None:
    # "fall fatou" sorted, "fatou gall" sorted: the typo must not be compared against the other name
    known_id, finding = known_then_new(sessions, application("Fatou", "Fall"), application("Fatou", "Gall"))
    assert finding == onboarding.DuplicateFinding(known_id, SIMILAR)


@pytest.mark.parametrize(
    ("known", "new"),
    [
        pytest.param(("Amina", "Diallo", BIRTH_DATE), ("Amira", "Dialo", BIRTH_DATE), id="two-edits"),
        pytest.param(("Amina", "Diallo", BIRTH_DATE), ("Amira", "Diallu", BIRTH_DATE), id="two-letters-wrong"),
        pytest.param(("Amina", "Diallo", BIRTH_DATE), ("Alina", "Diamlo", BIRTH_DATE), id="two-letters-swapped-apart"),
        pytest.param(("Amina", "Diallo", BIRTH_DATE), ("Amina", "Diallo", date(1961, 4, 3)), id="other-birth-date"),
        pytest.param(
            ("Amina", "Diallo", BIRTH_DATE), ("Amima", "Diallo", date(1962, 4, 2)), id="a-typo-and-other-birth-date"
        ),
        pytest.param(("Li", "Wu", BIRTH_DATE), ("Li", "Wo", BIRTH_DATE), id="one-edit-in-names-too-short-to-tell"),
        pytest.param(("Amina", "Diallo", BIRTH_DATE), ("Aminata", "Diallo", BIRTH_DATE), id="a-longer-name"),
    ],
)
def test_a_near_miss_is_not_a_duplicate(
    sessions: sessionmaker[Session], known: tuple[str, str, date], new: tuple[str, str, date]
) -> None:
    _, finding = known_then_new(sessions, application(*known), application(*new))
    assert finding is None


def test_the_application_compared_second_is_the_duplicate(sessions: sessionmaker[Session]) -> None:
    # Given two applications for the same person, a typo apart
    first = submit(sessions, application("Amina", "Diallo"))
    second = submit(sessions, application("Amina", "Dialo"))
    # Then the one compared second is the duplicate of the other, never the reverse
    assert find_duplicate(sessions, first) is None
    assert find_duplicate(sessions, second) == onboarding.DuplicateFinding(first, SIMILAR)
    # and comparing again (a retried step) finds the same
    assert find_duplicate(sessions, first) is None
    assert find_duplicate(sessions, second) == onboarding.DuplicateFinding(first, SIMILAR)


def test_an_application_stored_first_but_compared_second_is_the_duplicate(sessions: sessionmaker[Session]) -> None:
    # Two front desks store the same person at the same moment; the first one's transaction is still
    # committing while the second's workflow compares it with everyone it can see: nobody
    stored_first = submit(sessions, application("Amina", "Diallo"))
    stored_second = submit(sessions, application("Amina", "Dialo"))
    assert find_duplicate(sessions, stored_second) is None
    # When the first one's workflow compares it, the second one is there: one of the two is the duplicate
    assert find_duplicate(sessions, stored_first) == onboarding.DuplicateFinding(stored_second, SIMILAR)


@pytest.mark.parametrize("order", ["exact-known", "approximate-known"])
@pytest.mark.parametrize("quality", ["approximate", "year_only"])
def test_an_exact_birth_date_against_an_approximate_one_compares_the_year(
    sessions: sessionmaker[Session], order: str, quality: str
) -> None:
    # Given the same name, one birth date exact and the other approximate, in the same year
    exact, rough = application("Amina", "Diallo"), application("Amina", "Diallo", date(1961, 1, 1), quality)
    known, new = (exact, rough) if order == "exact-known" else (rough, exact)
    known_id, finding = known_then_new(sessions, known, new)
    # Then it is a suspected duplicate on the year, whichever came first
    assert finding == onboarding.DuplicateFinding(known_id, DuplicateMatch.NAME_AND_BIRTH_YEAR)
    # and an approximate date in another year is another person
    other = application("Amina", "Diallo", date(1962, 1, 1), quality)
    assert find_duplicate(sessions, submit(sessions, other)) is None
