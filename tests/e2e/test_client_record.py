"""A client's record in a real browser: the SMS consent withdrawn (by phone, recorded as such), contact
details and housing corrected, a phone that is another client's flagged for a review; and a session
that ended sending the worker back to sign in."""

from __future__ import annotations

import random
import string
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.browser import violations
from tests.e2e.conftest import LocalRuntime, until
from tests.workflows.conftest import application

pytestmark = pytest.mark.e2e


def _client(runtime: LocalRuntime, token: str, first_name: str) -> tuple[str, str]:
    """An active client with a phone and SMS consent: their id and phone."""
    name = "".join(random.choices(string.ascii_lowercase, k=8)).title()
    phone = "+33612" + "".join(random.choices(string.digits, k=6))
    body = application(first_name=first_name, last_name=name, phone=phone, birth_date="1966-09-09")
    status, accepted = runtime.request("POST", "/clients", token=token, body=body)
    assert status == 202, accepted
    until(lambda: runtime.request("GET", accepted["status_url"], token=token)[1]["status"] == "active", "active")
    return accepted["client_id"], phone


def test_a_consent_is_withdrawn_and_a_record_corrected(
    local_runtime: LocalRuntime, browser: Browser, tmp_path: Path
) -> None:
    desk = local_runtime.token("front-desk", user="desk-1")
    fatou, _ = _client(local_runtime, desk, "Fatou")
    _, others_phone = _client(local_runtime, desk, "Ines")
    context = browser.new_context(viewport={"width": 1024, "height": 768}, locale="fr-FR", bypass_csp=True)
    page = context.new_page()
    page.goto(f"{local_runtime.api_url}/console")
    page.get_by_role("button", name="Se connecter : front-desk").click()
    page.goto(f"{local_runtime.api_url}/console/#/clients/{fatou}")
    sms = page.get_by_role("row", name="SMS")
    expect(sms).to_contain_text("oui")

    # When Fatou phones to withdraw her SMS consent
    page.get_by_label("Recueilli").select_option("phone")
    page.get_by_role("button", name="Retirer le consentement SMS").click()
    # Then it is recorded as withdrawn, by phone, by this worker, and giving it again is one click away
    expect(page.get_by_role("status").first).to_contain_text("aucun SMS ne partira plus")
    expect(sms).to_contain_text("retiré le")
    expect(sms).to_contain_text("par téléphone")
    expect(page.get_by_role("button", name="La personne accepte les SMS")).to_be_visible()
    [consent] = [
        each
        for each in local_runtime.request("GET", f"/clients/{fatou}", token=desk)[1]["consents"]
        if each["purpose"] == "sms"
    ]
    assert (consent["granted"], consent["channel"]) == (False, "phone")
    assert violations(page) == []

    # When her phone is corrected to one that is another client's, the record is flagged, not merged
    page.get_by_label("Téléphone").fill(others_phone)
    page.get_by_role("button", name="Enregistrer les corrections").click()
    expect(page.get_by_role("status").first).to_have_text("Fiche corrigée.")
    expect(page.locator(".facts")).to_contain_text("Coordonnées partagées avec")
    # and a home without its address is refused on the address's field
    page.get_by_label("Téléphone").fill("")
    page.get_by_label("Adresse fixe").check()
    page.get_by_label("Adresse", exact=True).fill("")
    page.get_by_role("button", name="Enregistrer les corrections").click()
    expect(page.get_by_label("Adresse", exact=True)).to_have_attribute("aria-invalid", "true")
    assert violations(page) == []
    # and when she has no phone and no fixed address any more, the record says so
    page.get_by_label("Sans domicile fixe").check()
    page.get_by_role("button", name="Enregistrer les corrections").click()
    expect(page.locator(".facts")).to_contain_text("Sans domicile fixe")
    record = local_runtime.request("GET", f"/clients/{fatou}", token=desk)[1]
    assert (record["phone"], record["housing_situation"], record["address"]["line1"]) == (
        None,
        "no_fixed_address",
        None,
    )

    # When her session has ended, the next page sends the worker back to sign in
    page.route("**/clients/*", lambda route: route.fulfill(status=401, json={"message": "Unauthorized"}))
    page.get_by_role("link", name="Listes de travail").click()
    page.goto(f"{local_runtime.api_url}/console/#/clients/{fatou}")
    expect(page.get_by_role("alert")).to_contain_text("session")
    expect(page.get_by_role("button", name="Se connecter : front-desk")).to_be_visible()
    context.close()
