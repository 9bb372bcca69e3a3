"""Everyone the programme serves can be onboarded: no fixed address, no phone of their own, an
approximate birth date, something they prefer not to say — each recorded as a value, never guessed."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from lambdas.shared.db.notifications.models import Notification
from lambdas.shared.db.records.models import AuditEntry
from lambdas.shared.db.unit_of_work import UnitOfWork
from tests.databases import ON_BOTH_DATABASES
from tests.workflows.conftest import Onboarding, application

pytestmark = ON_BOTH_DATABASES

NO_CONTACT = {"phone": None, "email": None, "consents": {"data_processing": True}}


def _count(model, **filters) -> int:
    with UnitOfWork("test") as uow:
        return uow.session.execute(select(func.count()).select_from(model).filter_by(**filters)).scalar_one()


def _output(onboarding: Onboarding, client_id: str) -> dict:
    return json.loads(onboarding.execution(client_id)["output"])


def test_a_person_with_no_fixed_address_and_no_contact_is_onboarded_and_welcomed_in_person(
    onboarding: Onboarding,
) -> None:
    client_id = onboarding.onboard(application(housing_situation="no_fixed_address", address=None, **NO_CONTACT))
    client = onboarding.client(client_id)
    assert (client["status"], client["housing_situation"]) == ("active", "no_fixed_address")
    assert client["address"] == {"care_of": None, "line1": None, "line2": None, "postal_code": None, "city": None}
    assert _output(onboarding, client_id)["welcome"] == "in_person"
    assert _count(Notification, client_id=client_id) == 0
    assert _count(AuditEntry, entity_id=client_id, action="client.welcomed_in_person") == 1


def test_a_care_of_address_is_kept_with_the_organisation_that_receives_the_mail(onboarding: Onboarding) -> None:
    address = {"care_of": "Secours Populaire", "line1": "9 rue Froide", "postal_code": "75011", "city": "Paris"}
    client_id = onboarding.onboard(application(housing_situation="care_of", address=address))
    client = onboarding.client(client_id)
    assert (client["status"], client["housing_situation"]) == ("active", "care_of")
    assert client["address"] == {**address, "line2": None}


@pytest.mark.parametrize("situation", ["prefers_not_to_answer", "no_fixed_address"])
def test_housing_is_a_value_even_without_an_address(onboarding: Onboarding, situation: str) -> None:
    client_id = onboarding.onboard(application(housing_situation=situation, address=None))
    assert onboarding.client(client_id)["housing_situation"] == situation


@pytest.mark.parametrize("quality", ["unknown", "prefers_not_to_answer"])
def test_a_birth_date_nobody_gives_is_recorded_as_such_not_guessed(onboarding: Onboarding, quality: str) -> None:
    client_id = onboarding.onboard(application(birth_date=None, birth_date_quality=quality))
    client = onboarding.client(client_id)
    assert (client["status"], client["birth_date"], client["birth_date_quality"]) == ("active", None, quality)


def test_two_applications_with_no_contact_and_the_same_approximate_birth_year_go_to_review(
    onboarding: Onboarding,
) -> None:
    homeless = {"housing_situation": "no_fixed_address", "address": None, **NO_CONTACT}
    first = onboarding.onboard(application(birth_date="1961-01-01", birth_date_quality="year_only", **homeless))
    second = onboarding.onboard(
        application(first_name="Aminah", birth_date="1961-07-14", birth_date_quality="approximate", **homeless)
    )
    waiting = onboarding.client(second)
    assert (waiting["status"], waiting["duplicate_of"]) == ("awaiting_review", first)
    with UnitOfWork("test") as uow:
        assert uow.clients.get(second).duplicate_match == "similar_name_and_birth_year"
    # a person decides; nothing is merged on an approximate date alone
    assert onboarding.client(first)["status"] == "active"


def test_an_approximate_birth_date_in_another_year_is_another_person(onboarding: Onboarding) -> None:
    onboarding.onboard(application(birth_date="1961-01-01", birth_date_quality="year_only", **NO_CONTACT))
    other = onboarding.onboard(application(birth_date="1962-01-01", birth_date_quality="year_only", **NO_CONTACT))
    assert onboarding.client(other)["status"] == "active"


def test_exact_birth_dates_in_the_same_year_still_must_be_equal(onboarding: Onboarding) -> None:
    onboarding.onboard(application(birth_date="1961-04-02", **NO_CONTACT))
    other = onboarding.onboard(application(birth_date="1961-09-30", **NO_CONTACT))
    assert onboarding.client(other)["status"] == "active"


def test_without_a_birth_date_the_same_name_alone_is_not_a_duplicate(onboarding: Onboarding) -> None:
    onboarding.onboard(application(birth_date=None, birth_date_quality="unknown", **NO_CONTACT))
    other = onboarding.onboard(application(birth_date=None, birth_date_quality="prefers_not_to_answer", **NO_CONTACT))
    assert onboarding.client(other)["status"] == "active"


def test_a_phone_written_nationally_finds_the_same_person_written_internationally(onboarding: Onboarding) -> None:
    first = onboarding.onboard(application(phone="+33612345678"))
    second = onboarding.onboard(application(first_name="Awa", last_name="Ba", birth_date="1990-05-05",
                                            phone="+33 (0)6 12 34 56 78"))  # fmt: skip
    client = onboarding.client(second)
    assert (client["phone"], client["duplicate_of"]) == ("+33612345678", first)
    with UnitOfWork("test") as uow:
        assert uow.clients.get(second).duplicate_match == "phone"
