"""Onboarding in a real browser against the local runtime: a walk-in with no fixed address and no phone
onboarded from their ticket (which they keep), a refused field shown where it is, an answer lost and
sent again creating nobody twice; the documents brought later on the record."""

from __future__ import annotations

import random
import string
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Route, expect

from tests.e2e.browser import screenshot, violations
from tests.e2e.conftest import LocalRuntime, open_site, until

pytestmark = pytest.mark.e2e


@pytest.fixture
def site(local_runtime: LocalRuntime) -> str:
    stations = {"reception": {"name": "Accueil", "prefix": "A", "counters": ["desk-1"]}}
    return open_site(local_runtime, "onboarding", "Aubervilliers", stations)


def test_a_walk_in_with_no_address_and_no_phone_is_onboarded_and_keeps_their_ticket(
    local_runtime: LocalRuntime, site: str, browser: Browser, tmp_path: Path
) -> None:
    desk = local_runtime.token("front-desk", user="desk-1")
    last_name = "".join(random.choices(string.ascii_lowercase, k=8)).title()
    context = browser.new_context(viewport={"width": 1024, "height": 768}, locale="fr-FR", bypass_csp=True)
    context.add_init_script(f"localStorage.setItem('fondation.checkin.site', '{site}')")  # this desk's site
    page = context.new_page()
    page.goto(f"{local_runtime.api_url}/console")
    page.get_by_role("button", name="Se connecter : front-desk").click()
    # Given Moussa, checked in by his first name at the site
    page.get_by_role("link", name="Arrivées").click()
    page.get_by_label("Prénom").fill("Moussa")
    page.get_by_role("button", name="Donner un ticket").click()
    number = page.locator(".ticket-number").inner_text()
    # When he is onboarded from his ticket
    page.get_by_role("link", name="Inscrire cette personne (elle garde son ticket)").click()
    expect(page.get_by_role("heading", name="Inscrire une personne")).to_be_visible()
    expect(page.get_by_label("Prénom", exact=True)).to_have_value("Moussa")
    page.get_by_label("Nom", exact=True).fill(last_name)
    page.get_by_label("Date de naissance connue ?").select_option("year_only")
    expect(page.get_by_label("Date de naissance", exact=True)).to_be_hidden()
    page.get_by_label("Année de naissance").fill("2999")  # a slip of the keyboard
    page.get_by_label("Pas de téléphone à elle").check()
    expect(page.get_by_label("Téléphone", exact=True)).to_be_disabled()
    page.get_by_label("Pas d'e-mail").check()
    page.get_by_label("Sans domicile fixe").check()
    expect(page.get_by_role("group", name="Adresse")).to_be_hidden()
    page.get_by_label("Langue parlée").select_option("ar")
    # the consent he agrees to is read to him from the screen
    expect(page.locator("#onboard-consent-data-text")).to_contain_text("données de santé")
    page.get_by_label("La personne accepte (obligatoire pour l'inscrire)").check()
    page.get_by_label("Justificatif", exact=True).select_option("none_yet")
    assert violations(page) == []
    screenshot(page, tmp_path, "onboarding.png")

    # Then a birth year in the future is refused on its own field, and nothing is stored
    page.get_by_role("button", name="Envoyer l'inscription").click()
    year = page.get_by_label("Année de naissance")
    expect(year).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#onboard-birth_year-error")).to_contain_text("future")
    expect(year).to_be_focused()
    assert violations(page) == []
    assert local_runtime.request("GET", f"/clients?q={last_name}", token=desk)[1]["items"] == []

    # and once mended, an answer lost on the way and the form sent again make one client
    year.fill("1975")

    def lost(route: Route) -> None:
        route.fetch()  # the application is stored, and the answer never reaches the page
        route.abort()

    page.route("**/clients", lost)
    page.get_by_role("button", name="Envoyer l'inscription").click()
    expect(page.get_by_role("status")).to_contain_text("rien ne sera créé deux fois")
    page.unroute("**/clients")
    page.get_by_role("button", name="Envoyer l'inscription").click()
    expect(page.get_by_role("heading", name="Inscription reçue")).to_be_visible()
    expect(page.get_by_text(f"Le ticket {number} est maintenant à son nom")).to_be_visible()
    [client] = local_runtime.request("GET", f"/clients?q={last_name}", token=desk)[1]["items"]
    assert (client["phone"], client["birth_date"], client["birth_date_quality"]) == (None, "1975-01-01", "year_only")
    [ticket] = local_runtime.request("GET", f"/tickets?client_id={client['client_id']}", token=desk)[1]["items"]
    assert (ticket["number"], ticket["display_name"], ticket["status"]) == (number, None, "waiting")

    # When his record is opened, it waits for his documents, with the days left
    page.get_by_role("link", name="Ouvrir sa fiche").click()
    expect(page.get_by_role("heading", name=f"Moussa {last_name}")).to_be_visible()
    expect(page.locator(".facts")).to_contain_text("En attente de justificatif — 30 j restants")
    expect(page.locator(".facts")).to_contain_text("Sans domicile fixe")
    assert violations(page) == []
    screenshot(page, tmp_path, "client-record.png")
    # and the letter he brings the next day makes him a client
    page.get_by_label("Justificatif", exact=True).select_option("referral_letter")
    page.get_by_label("Référence du document").fill("SAMU-2026-118")
    page.get_by_role("button", name="Enregistrer le justificatif").click()
    expect(page.get_by_role("status").first).to_contain_text("Justificatif enregistré")
    until(
        lambda: local_runtime.request("GET", f"/clients/{client['client_id']}", token=desk)[1]["status"] == "active",
        "the client activated",
    )
    expect(page.locator(".facts")).to_contain_text("Inscrite")
    context.close()
