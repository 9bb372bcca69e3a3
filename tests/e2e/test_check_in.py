"""Check-in in a real browser against the local runtime: a walk-in by number alone, given a ticket
that prints with its number, station, time and wait, never a name; a client found by birth year,
checked in with a priority, and a resubmission after a lost answer gives back the same ticket."""

from __future__ import annotations

import random
import string
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Route, expect

from tests.e2e.browser import screenshot, violations
from tests.e2e.conftest import LocalRuntime, open_site, until
from tests.workflows.conftest import application

pytestmark = pytest.mark.e2e


@pytest.fixture
def site(local_runtime: LocalRuntime) -> str:
    stations = {
        station: {"name": station.replace("-", " ").title(), "prefix": prefix, "counters": ["desk-1"]}
        for station, prefix in (("reception", "A"), ("eye-exam", "E"))
    }
    return open_site(local_runtime, "arrivals", "Montreuil", stations)


def _client(local_runtime: LocalRuntime, desk: str) -> str:
    """An onboarded client of a name and phone of their own, born in 1948."""
    name = "".join(random.choices(string.ascii_lowercase, k=8)).title()
    phone = "+33612" + "".join(random.choices(string.digits, k=6))
    body = application(first_name="Hawa", last_name=name, phone=phone, birth_date="1948-06-15")
    status, accepted = local_runtime.request("POST", "/clients", token=desk, body=body)
    assert status == 202, accepted
    until(lambda: local_runtime.request("GET", accepted["status_url"], token=desk)[1]["status"] == "active", "active")
    return name


def test_a_walk_in_and_a_client_are_checked_in(
    local_runtime: LocalRuntime, site: str, browser: Browser, tmp_path: Path
) -> None:
    desk = local_runtime.token("front-desk", user="desk-1")
    last_name = _client(local_runtime, desk)
    context = browser.new_context(viewport={"width": 1024, "height": 768}, locale="fr-FR", bypass_csp=True)
    page = context.new_page()
    page.goto(f"{local_runtime.api_url}/console")
    page.get_by_role("button", name="Se connecter : front-desk").click()
    page.get_by_role("link", name="Arrivées").click()
    page.get_by_label("Site").select_option(site)
    expect(page.get_by_role("heading", name="Accueillir une personne")).to_be_visible()
    assert violations(page) == []

    # A walk-in by number alone: the ticket, large, with where to go and when, never a name
    page.get_by_role("button", name="Donner un ticket").click()
    expect(page.locator(".ticket-number")).to_have_text("A001")
    expect(page.locator(".ticket")).to_contain_text("Service : Reception")
    expect(page.get_by_role("button", name="Imprimer le ticket")).to_be_visible()
    assert violations(page) == []
    screenshot(page, tmp_path, "check-in-ticket.png")

    # A client found by birth year and name, checked in first (elderly); the answer is lost once
    page.get_by_role("button", name="Personne suivante").click()
    page.get_by_label("Nom ou téléphone").fill(last_name)
    page.get_by_label("Année de naissance").fill("1948")
    page.get_by_role("button", name="Chercher").click()
    page.get_by_role("button", name=f"Hawa {last_name}").click()
    expect(page.get_by_text(f"Personne inscrite : Hawa {last_name}")).to_be_visible()
    page.get_by_label("Priorité").select_option("elderly")

    def lost(route: Route) -> None:
        route.fetch()  # the ticket is made, and the answer never reaches the page
        route.abort()

    tickets = f"**/sites/{site}/tickets"
    page.route(tickets, lost)
    page.get_by_role("button", name="Donner un ticket").click()
    expect(page.get_by_role("status")).to_contain_text("le même ticket sera rendu")
    page.unroute(tickets)
    page.get_by_role("button", name="Donner un ticket").click()
    expect(page.locator(".ticket-number")).to_have_text("A002")
    status, listed = local_runtime.request("GET", f"/sites/{site}/tickets", token=desk)
    assert status == 200
    assert [(ticket["number"], ticket["priority"]) for ticket in listed["items"]] == [
        ("A001", "none"),
        ("A002", "elderly"),
    ]
    assert last_name not in page.locator(".ticket").inner_text()
    context.close()
