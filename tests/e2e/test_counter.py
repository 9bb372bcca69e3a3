"""The front desk's counter in a real browser against the local runtime: chosen once per device; two
counters pressing "call next" at the same instant each get a different person; arrived by the
keyboard alone, completed to the journey's next station; a refusal said in words; a double click
sends one call; axe-clean, and its screenshot kept."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.e2e.browser import screenshot, violations
from tests.e2e.conftest import LocalRuntime, open_site

pytestmark = pytest.mark.e2e


@pytest.fixture
def site(local_runtime: LocalRuntime) -> str:
    names = {"desk-1": "Guichet 1", "desk-2": "Guichet 2"}
    reception = {"name": "Accueil", "prefix": "A", "counters": list(names), "counter_names": names}
    eye_exam = {"name": "Examen de vue", "prefix": "E", "counters": ["room-1"]}
    return open_site(local_runtime, "desk", "Bobigny", {"reception": reception, "eye-exam": eye_exam})


@pytest.fixture
def contexts(browser: Browser) -> Iterator[list[BrowserContext]]:
    # two desks, each its own browser; a 1024 by 768 tablet; axe is injected, which the app's policy forbids
    opened = [
        browser.new_context(viewport={"width": 1024, "height": 768}, locale="fr-FR", bypass_csp=True) for _ in range(2)
    ]
    yield opened
    for context in opened:
        context.close()


def _counter(context: BrowserContext, local_runtime: LocalRuntime, site: str, counter: str) -> Page:
    page = context.new_page()
    page.goto(f"{local_runtime.api_url}/console")
    page.get_by_role("button", name="Se connecter : front-desk").click()
    expect(page.get_by_role("heading", name="Mon guichet")).to_be_visible()
    page.get_by_label("Site").select_option(site)
    page.get_by_label("Service").select_option("reception")
    page.get_by_label("Guichet").select_option(counter)
    page.get_by_role("button", name="Utiliser ce guichet").click()
    expect(page.get_by_role("heading", name="Bobigny · Accueil")).to_be_visible()
    return page


def test_two_counters_call_two_people_and_serve_them(
    local_runtime: LocalRuntime, site: str, contexts: list[BrowserContext], tmp_path: Path
) -> None:
    desk = local_runtime.token("front-desk", user="desk-1")
    for name in ("Aminata", "Bintou", "Coumba"):
        assert (
            local_runtime.request("POST", f"/sites/{site}/tickets", token=desk, body={"display_name": name})[0] == 201
        )
    first, second = (
        _counter(context, local_runtime, site, counter)
        for context, counter in zip(contexts, ("desk-1", "desk-2"), strict=True)
    )
    expect(first.get_by_role("heading", name="En attente à Accueil : 3")).to_be_visible()
    assert violations(first) == []

    # When both counters press "call next" at the same instant
    for page in (first, second):
        page.evaluate("setTimeout(() => document.querySelector('button.big').click(), 300)")
    # Then each has called a different person (whichever got whom), shown large with their first name
    for page in (first, second):
        expect(page.locator(".called-who")).to_contain_text("appelé")
    numbers = {page: page.locator(".called-number").inner_text() for page in (first, second)}
    assert sorted(numbers.values()) == ["A001", "A002"]
    names = {"A001": "Aminata", "A002": "Bintou"}
    expect(first.locator(".called-who")).to_contain_text(names[numbers[first]])
    expect(first.get_by_role("heading", name="En attente à Accueil : 1")).to_be_visible()
    assert violations(first) == []
    screenshot(first, tmp_path, "counter-called.png")

    # When the first one arrives, said by the keyboard alone, and is done here
    first.keyboard.press("Alt+A")
    expect(first.locator(".called-who")).to_contain_text("au guichet")
    first.get_by_role("button", name="Terminé : service suivant du parcours").click()
    expect(first.get_by_role("status")).to_contain_text(f"{numbers[first]} est terminé ici.")
    status, eye_exam = local_runtime.request("GET", f"/sites/{site}/tickets?station_id=eye-exam", token=desk)
    moved = [(ticket["number"], ticket["status"]) for ticket in eye_exam["items"]]
    assert (status, moved) == (200, [(numbers[first], "waiting")])

    # When another desk marks the second person as not come while the second counter still shows them
    second.route("**/tickets?station_id=*", lambda route: route.abort())  # its view stays as it was
    second_ticket = next(
        ticket
        for ticket in local_runtime.request("GET", f"/sites/{site}/tickets", token=desk)[1]["items"]
        if ticket["number"] == numbers[second]
    )
    assert (
        local_runtime.request("POST", f"/tickets/{second_ticket['ticket_id']}/no-show", token=desk, body={})[0] == 200
    )
    second.get_by_role("button", name="Arrivé (Alt+A)").click()
    # Then the refusal is said in words, not as a code
    expect(second.get_by_role("alert")).to_contain_text("no_show")
    expect(second.get_by_role("alert")).not_to_contain_text("409")
    second.unroute("**/tickets?station_id=*")

    # When the first counter double-clicks "call next": one call is sent, the last person is called
    calls: list[str] = []
    first.on("request", lambda request: calls.append(request.url) if request.url.endswith("/call-next") else None)
    first.locator("button.big").dblclick()
    expect(first.locator(".called-number")).to_have_text("A003")
    assert len(calls) == 1

    # When the ticket is cancelled, the counter asks first: no, then yes
    first.once("dialog", lambda dialog: dialog.dismiss())
    first.get_by_role("button", name="Annuler le ticket").click()
    expect(first.locator(".called-number")).to_have_text("A003")
    first.once("dialog", lambda dialog: dialog.accept())
    first.get_by_role("button", name="Annuler le ticket").click()
    expect(first.get_by_role("status")).to_contain_text("Le ticket A003 est annulé.")
    expect(first.get_by_role("button", name="Appeler la personne suivante")).to_be_visible()
