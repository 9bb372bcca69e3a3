"""An order in a real browser, from the prescription to the pickup: the rules checked as typed, the lab's
answers phoned in, a quality check outside tolerance shown against the tolerances and remade, then the
glasses handed over."""

from __future__ import annotations

import random
import string
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.browser import screenshot, violations
from tests.e2e.conftest import LocalRuntime, open_site, until
from tests.workflows.conftest import application

pytestmark = pytest.mark.e2e


def _record_lab(page: Page, status: str) -> None:
    expect(page.get_by_role("heading", name="Réponse du laboratoire (par téléphone)")).to_be_visible(timeout=30000)
    page.get_by_label("Le laboratoire dit").select_option(status)
    page.get_by_role("button", name="Enregistrer la réponse").click()


def _check(page: Page, right_sphere: str) -> None:
    expect(page.get_by_role("heading", name="Contrôle des verres")).to_be_visible(timeout=30000)
    right, left = page.get_by_role("group", name="Œil droit"), page.get_by_role("group", name="Œil gauche")
    right.get_by_label("Sphère").fill(right_sphere)
    right.get_by_label("Cylindre").fill("-0.50")
    right.get_by_label("Axe").fill("90")
    left.get_by_label("Sphère").fill("-2.00")
    page.get_by_role("button", name="Enregistrer le contrôle").click()


def test_an_order_goes_through_the_lab_and_a_remake_to_its_pickup(
    local_runtime: LocalRuntime, browser: Browser, tmp_path: Path
) -> None:
    site = open_site(
        local_runtime, "orders", "Pantin", {"reception": {"name": "Accueil", "prefix": "A", "counters": ["d"]}}
    )
    manager, desk = local_runtime.token("managers", user="manager-1"), local_runtime.token("front-desk", user="desk-1")
    name = "".join(random.choices(string.ascii_lowercase, k=8)).title()
    frame = {"description": f"Acétate noir 52-18 ({name})", "kind": "donated", "quantity": 1}
    assert local_runtime.request("PUT", f"/sites/{site}/frames/DON-0042", token=manager, body=frame)[0] == 200
    phone = "+33612" + "".join(random.choices(string.digits, k=6))
    body = application(first_name="Lucie", last_name=name, phone=phone, birth_date="1956-03-03", site_id=site)
    status, accepted = local_runtime.request("POST", "/clients", token=desk, body=body)
    assert status == 202, accepted
    client = accepted["client_id"]
    until(lambda: local_runtime.request("GET", f"/clients/{client}", token=desk)[1]["status"] == "active", "active")

    context = browser.new_context(viewport={"width": 1024, "height": 768}, locale="fr-FR", bypass_csp=True)
    context.add_init_script(f"localStorage.setItem('fondation.checkin.site', '{site}')")  # this desk's site
    page = context.new_page()
    page.goto(f"{local_runtime.api_url}/console")
    page.get_by_role("button", name="Se connecter : front-desk").click()
    page.goto(f"{local_runtime.api_url}/console/#/clients/{client}")
    page.get_by_role("link", name="Nouvelle commande de lunettes").click()
    expect(page.get_by_label("Monture")).to_contain_text(f"DON-0042 — Acétate noir 52-18 ({name}) — 1 en stock")
    right, left = page.get_by_role("group", name="Œil droit"), page.get_by_role("group", name="Œil gauche")
    # The rules are checked as typed: a power off the 0.25 steps, a cylinder without its axis
    right.get_by_label("Sphère").fill("-2.30")
    expect(page.locator("#order-right-sphere-error")).to_have_text("Par pas de 0,25.")
    right.get_by_label("Sphère").fill("-2.25")
    expect(page.locator("#order-right-sphere-error")).to_have_count(0)
    right.get_by_label("Cylindre").fill("-0.50")
    expect(page.locator("#order-right-axis-error")).to_have_text("Un cylindre demande son axe.")
    right.get_by_label("Axe").fill("90")
    expect(page.locator(".field-error")).to_have_count(0)
    left.get_by_label("Sphère").fill("-2.00")
    right.get_by_label("Écart pupillaire (mm)").fill("31.5")
    left.get_by_label("Écart pupillaire (mm)").fill("32")
    page.get_by_label("Prescripteur").fill("Dr Camille Roux")
    assert violations(page) == []
    screenshot(page, tmp_path, "order-new.png")
    page.get_by_role("button", name="Passer la commande").click()

    # The lab says it shipped; the check finds the right sphere outside tolerance: a remake
    expect(page.get_by_role("heading", name=f"Commande de Lucie {name}")).to_be_visible()
    _record_lab(page, "shipped")
    _check(page, "-2.75")
    deviations = page.get_by_role("region", name="Écarts hors tolérance")
    expect(deviations).to_contain_text("repartent au laboratoire")
    expect(deviations.get_by_role("row", name="Sphère, Œil droit")).to_contain_text("-2.25")
    expect(deviations.get_by_role("row", name="Sphère, Œil droit")).to_contain_text("-2.75")
    expect(deviations.get_by_role("row", name="Sphère, Œil droit")).to_contain_text("± 0.13")
    assert violations(page) == []
    screenshot(page, tmp_path, "order-remake.png")
    # The second attempt passes, and the glasses are handed over
    _record_lab(page, "shipped")
    expect(page.locator(".facts")).to_contain_text("fabrication n° 2")
    _check(page, "-2.25")
    expect(page.get_by_role("heading", name="Prête à remettre")).to_be_visible(timeout=30000)
    page.get_by_role("button", name="Lunettes remises").click()
    expect(page.get_by_role("status").first).to_have_text("Lunettes remises.")
    expect(page.locator(".facts")).to_contain_text("remise")
    orders = local_runtime.request("GET", f"/orders?client_id={client}", token=desk)[1]["items"]
    assert [(order["status"], order["lab_attempt"]) for order in orders] == [("delivered", 2)]
    context.close()
