"""The front desk's work lists in a real browser: a suspected duplicate reviewed side by side with why it
matched, an application waiting for documents with its days left."""

from __future__ import annotations

import random
import string
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.browser import screenshot, violations
from tests.e2e.conftest import LocalRuntime, open_site, until
from tests.workflows.conftest import application

pytestmark = pytest.mark.e2e


def _name() -> str:
    return "".join(random.choices(string.ascii_lowercase, k=8)).title()


def _phone() -> str:
    return "+33612" + "".join(random.choices(string.digits, k=6))


def _apply(runtime: LocalRuntime, token: str, status: str, **changes: Any) -> str:
    accepted = runtime.request("POST", "/clients", token=token, body=application(**changes))[1]
    until(lambda: runtime.request("GET", accepted["status_url"], token=token)[1]["status"] == status, status)
    return accepted["client_id"]


def test_a_duplicate_is_reviewed_side_by_side_and_document_waits_show_their_days_left(
    local_runtime: LocalRuntime, browser: Browser, tmp_path: Path
) -> None:
    site = open_site(
        local_runtime, "lists", "Bobigny", {"reception": {"name": "Accueil", "prefix": "A", "counters": ["d"]}}
    )
    desk = local_runtime.token("front-desk", user="desk-1")
    # Given Awa, a client, and an application under another name with her phone, taken at the site
    phone, known, newcomer, waiting = _phone(), _name(), _name(), _name()
    _apply(local_runtime, desk, "active", first_name="Awa", last_name=known, phone=phone, birth_date="1950-02-03")
    suspect = _apply(
        local_runtime, desk, "awaiting_review", first_name="Aminata", last_name=newcomer, phone=phone,
        birth_date="1984-07-07", site_id=site,
    )  # fmt: skip
    # and an application at the site that waits for its documents
    _apply(local_runtime, desk, "awaiting_documents", first_name="Binta", last_name=waiting, phone=_phone(),
           birth_date="1990-01-01", evidence=None, site_id=site)  # fmt: skip
    context = browser.new_context(viewport={"width": 1024, "height": 768}, locale="fr-FR", bypass_csp=True)
    context.add_init_script(f"localStorage.setItem('fondation.checkin.site', '{site}')")  # this desk's site
    page = context.new_page()
    page.goto(f"{local_runtime.api_url}/console")
    page.get_by_role("button", name="Se connecter : front-desk").click()
    page.get_by_role("link", name="Listes de travail").click()
    # Then the review shows both people side by side, and why they matched
    review = page.get_by_role("article", name=f"Vérification : Aminata {newcomer}")
    expect(review).to_contain_text("Elles ont en commun : le téléphone")
    expect(review.get_by_role("row", name="Nom")).to_contain_text(f"Aminata {newcomer}")
    expect(review.get_by_role("row", name="Nom")).to_contain_text(f"Awa {known}")
    expect(review).to_contain_text("7 j restants")
    # and the document wait, with its days left
    expect(page.get_by_role("row", name=f"Binta {waiting}")).to_contain_text("30 j restants")
    assert violations(page) == []
    screenshot(page, tmp_path, "work-lists.png")

    # When the worker says they are two different people
    review.get_by_role("button", name="Ce sont deux personnes différentes").click()
    expect(page.get_by_role("status").first).to_contain_text(f"Aminata {newcomer} : personnes différentes")
    # Then the review is gone and the onboarding goes on to its end
    expect(review).to_have_count(0)
    until(lambda: local_runtime.request("GET", f"/clients/{suspect}", token=desk)[1]["status"] == "active", "active")
    context.close()
