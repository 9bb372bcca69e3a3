"""Every string a write route accepts fits its column on a real MySQL-compatible server.

Each field at its maximum length (in characters that take 2 and 4 bytes, and that folding lengthens)
is a 2xx; one character more is a 422 naming the field — never MySQL's "Data too long" as a 500.
"""

from __future__ import annotations

from typing import Any

import pytest

from lambdas.shared.fields import (
    EMAIL_LENGTH,
    IDEMPOTENCY_KEY_LENGTH,
    NAME_LENGTH,
    PHONE_INPUT_LENGTH,
    POSTAL_CODE_LENGTH,
    REFERENCE_LENGTH,
    TEXT_LENGTH,
)
from tests.events import api_event, call_api
from tests.workflows.conftest import Onboarding, application

pytestmark = [pytest.mark.mysql, pytest.mark.parametrize("database_url", ["mysql"], indirect=True)]


def _text(length: int, letter: str = "ß") -> str:
    return letter * length


def _email(length: int) -> str:
    """A valid address of exactly ``length`` characters (local part ≤ 64, labels ≤ 63)."""
    local = "a" * 64
    labels, remaining = [], length - len(local) - 1 - len(".org")
    while remaining > 0:
        label = min(63, remaining - 1 if remaining > 63 else remaining)
        labels.append("d" * label)
        remaining -= label + 1
    address = f"{local}@{'.'.join(labels)}.org"
    assert len(address) == length, len(address)
    return address


FOUR_BYTES = "\U0001d538"  # a letter outside the BMP: 4 bytes in utf8mb4
PHONE_AT_MAX = "+33 (0)6 12 34 56 78" + " " * (PHONE_INPUT_LENGTH - 21) + "."
ADDRESS = {"line1": "x", "postal_code": "93200", "city": "Saint-Denis"}

# Every string field of POST /clients: (where it goes, its maximum, a value of that length).
CLIENT_FIELDS: list[tuple[str, int, Any]] = [
    ("first_name", NAME_LENGTH, _text),
    ("last_name", NAME_LENGTH, _text),
    (
        "phone",
        PHONE_INPUT_LENGTH,
        lambda length: PHONE_AT_MAX[:length] if length <= PHONE_INPUT_LENGTH else PHONE_AT_MAX + ".",
    ),
    ("email", EMAIL_LENGTH, _email),
    ("address.care_of", TEXT_LENGTH, lambda length: _text(length, FOUR_BYTES)),
    ("address.line1", TEXT_LENGTH, lambda length: _text(length, FOUR_BYTES)),
    ("address.line2", TEXT_LENGTH, lambda length: _text(length, "é")),
    ("address.postal_code", POSTAL_CODE_LENGTH, lambda length: "9" * length),
    ("address.city", NAME_LENGTH, _text),
    ("evidence.reference", REFERENCE_LENGTH, lambda length: _text(length, FOUR_BYTES)),
]


def _with(field: str, value: str) -> dict[str, Any]:
    body = application(email=None)
    if field == "address.care_of":
        body["housing_situation"] = "care_of"
        body["address"] = {**ADDRESS, "care_of": value}
    elif field.startswith("address."):
        body["address"] = {**ADDRESS, field.split(".")[1]: value}
    elif field.startswith("evidence."):
        body["evidence"] = {"type": "income_statement", "reference": value}
    else:
        body[field] = value
    return body


@pytest.mark.parametrize(("field", "maximum", "make"), CLIENT_FIELDS, ids=[field for field, *_ in CLIENT_FIELDS])
def test_each_application_field_at_its_maximum_is_stored_and_one_more_is_named(
    onboarding: Onboarding, field: str, maximum: int, make
) -> None:
    at_max = make(maximum)
    assert len(at_max) == maximum
    status, body = onboarding.submit(_with(field, at_max))
    assert status == 202, body
    client = onboarding.client(body["client_id"])
    stored = client
    for part in field.split("."):
        stored = stored.get(part, {}) if isinstance(stored, dict) else stored
    if field == "phone":
        assert client["phone"] == "+33612345678"
    elif not field.startswith("evidence."):
        assert stored == at_max
    status, body = onboarding.submit(_with(field, make(maximum + 1)))
    assert status == 422, body
    assert f"body.{field}" in [detail["field"] for detail in body["details"]]


def test_an_idempotency_key_at_its_maximum_works_and_one_more_is_named(onboarding: Onboarding) -> None:
    key = "K" * IDEMPOTENCY_KEY_LENGTH
    first = onboarding.submit(application(), key=key)
    again = onboarding.submit(application(), key=key)
    assert first[0] == again[0] == 202, first
    assert first[1]["client_id"] == again[1]["client_id"]
    status, body = onboarding.submit(application(first_name="Awa"), key=key + "K")
    assert status == 422
    assert "header.idempotency-key" in [detail["field"] for detail in body["details"]]


def test_idempotency_keys_differing_only_in_case_are_different_keys(onboarding: Onboarding) -> None:
    # MySQL compares strings ignoring case; the stored key is a digest, so the comparison is exact
    first = onboarding.submit(application(), key="order-abc")
    other = onboarding.submit(application(first_name="Awa", phone="+33611111111"), key="ORDER-ABC")
    assert first[0] == other[0] == 202, other
    assert first[1]["client_id"] != other[1]["client_id"]


@pytest.mark.parametrize(("field", "maximum"), [("reference", REFERENCE_LENGTH), ("rejected_reason", TEXT_LENGTH)])
def test_each_documents_field_at_its_maximum_is_stored_and_one_more_is_named(
    onboarding: Onboarding, field: str, maximum: int
) -> None:
    client_id = onboarding.onboard(application(evidence=None))
    documents = {"type": "income_statement", "reference": "R-1"}
    status, body = onboarding.documents(client_id, {**documents, field: _text(maximum + 1, FOUR_BYTES)})
    assert status == 422
    assert f"body.{field}" in [detail["field"] for detail in body["details"]]
    status, body = onboarding.documents(client_id, {**documents, field: _text(maximum, FOUR_BYTES)})
    assert status == 202, body


def test_a_name_that_folds_longer_than_its_column_is_stored_and_found(onboarding: Onboarding) -> None:
    client_id = onboarding.onboard(application(first_name="ﬃ" * NAME_LENGTH, last_name="ß" * NAME_LENGTH))
    status, page = call_api(api_event("GET", "/clients", query={"q": "ssss"}))
    assert status == 200
    assert [item["client_id"] for item in page["items"]] == [client_id]
