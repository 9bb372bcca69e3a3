import pytest

from lambdas.shared.fields import DIGEST_LENGTH, SEARCH_NAME_LENGTH
from lambdas.shared.normalize import email_key, fold, name_key, search_name
from lambdas.shared.phones import InvalidPhoneNumber, search_digits, to_e164


@pytest.mark.parametrize(
    ("raw", "folded"),
    [
        ("Amina", "amina"),
        ("  Éloïse  ", "eloise"),
        ("Jean-Pierre", "jean pierre"),
        ("N'Diaye", "n diaye"),
        ("Ouédraogo  Koné", "ouedraogo kone"),
        ("STRASSE", "strasse"),
    ],
)
def test_fold_ignores_case_accents_and_separators(raw: str, folded: str) -> None:
    assert fold(raw) == folded


def test_search_name_puts_the_last_name_first() -> None:
    assert search_name("Amina", "Diallo") == "diallo amina"


def test_keys_fit_their_columns_whatever_folding_does() -> None:
    # ß folds to ss and ﬃ to ffi: a name at its maximum length folds to more than its column holds
    longest = "ß" * 100
    assert len(search_name(longest, "ﬃ" * 100)) == SEARCH_NAME_LENGTH
    assert len(name_key(longest, longest)) == DIGEST_LENGTH
    assert len(email_key("ß" * 60 + "@example.org") or "") == DIGEST_LENGTH


def test_name_key_ignores_case_and_accents_but_keeps_the_names_in_their_places() -> None:
    assert name_key("Éloïse", "Koné") == name_key("ELOISE", "kone")
    assert name_key("Amina", "Diallo") != name_key("Diallo", "Amina")


def test_email_key_ignores_case_and_spaces() -> None:
    assert email_key(" Amina.Diallo@Example.org ") == email_key("amina.diallo@example.org")
    assert email_key("amina@example.org") != email_key("amina2@example.org")
    assert email_key(None) is None


# The same mobile numbers, written as people write them, from a French front desk.
SAME_NUMBERS = {
    "+33612345678": ["06 12 34 56 78", "06.12.34.56.78", "+33 6 12 34 56 78", "+33 (0)6 12 34 56 78", "0033612345678"],
    "+32470123456": ["+32 470 12 34 56", "0032 470 12 34 56", "+32 (0)470 12 34 56", "+32470123456"],
    "+221771234567": ["+221 77 123 45 67", "00221 77 123 45 67", "+221771234567", "(+221) 77-123-45-67"],
}


@pytest.mark.parametrize(
    ("written", "e164"), [(written, e164) for e164, writings in SAME_NUMBERS.items() for written in writings]
)
def test_phone_numbers_are_stored_in_e164(written: str, e164: str) -> None:
    assert to_e164(written, "FR") == e164


@pytest.mark.parametrize(
    ("written", "region", "e164"),
    [("0470 12 34 56", "BE", "+32470123456"), ("77 123 45 67", "SN", "+221771234567")],
)
def test_national_numbers_are_read_in_the_stage_region(written: str, region: str, e164: str) -> None:
    assert to_e164(written, region) == e164


@pytest.mark.parametrize("written", ["12", "+33 1", "06 12 34", "+999 1234567", "not a number", "+33 6 12 34 56 78 90"])
def test_invalid_phone_numbers_are_refused(written: str) -> None:
    with pytest.raises(InvalidPhoneNumber):
        to_e164(written, "FR")


@pytest.mark.parametrize(
    ("query", "digits"),
    [("06 12 34", "61234"), ("+33 6 12", "33612"), ("0033 6 12", "33612"), ("612345", "612345"), ("Amina", None)],
)
def test_phone_search_drops_prefixes_the_stored_form_does_not_have(query: str, digits: str | None) -> None:
    assert search_digits(query) == digits
    if digits is not None:
        assert digits in "+33612345678"
