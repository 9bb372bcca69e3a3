import pytest

from lambdas.shared.normalize import email_key, fold, phone_key, search_name


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


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("+33 6 12 34 56 78", "0612345678"),
        ("0033612345678", "0612345678"),
        ("06.12.34.56.78", "0612345678"),
        ("+44 20 7946 0958", "+442079460958"),
        ("", None),
        (None, None),
    ],
)
def test_phone_key_puts_french_numbers_in_national_form(raw: str | None, key: str | None) -> None:
    assert phone_key(raw) == key


def test_email_key_ignores_case_and_spaces() -> None:
    assert email_key(" Amina.Diallo@Example.org ") == "amina.diallo@example.org"
