"""The waiting room's screen in a real browser against the local runtime: signed in as the display
group, set up once for a site; a call shows the number and the counter large, chimes and is said
aloud (the speech call observed); a recall is said again; through a network drop it says it is
reconnecting and announces after what was called meanwhile; its token renews itself; it is axe-clean."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.e2e.browser import screenshot, violations
from tests.e2e.conftest import LocalRuntime, open_site, until

pytestmark = pytest.mark.e2e

# what the page asks the browser to say, kept instead of said (a test has no loudspeaker)
HEARD = """
window.heard = [];
speechSynthesis.speak = (utterance) => { if (utterance.text) window.heard.push([utterance.lang, utterance.text]); };
"""


@pytest.fixture
def site(local_runtime: LocalRuntime) -> str:
    names = {"desk-1": "Guichet 1", "desk-2": "Guichet 2"}
    reception = {"name": "Accueil", "prefix": "A", "counters": list(names), "counter_names": names}
    return open_site(local_runtime, "screen", "Sarcelles", {"reception": reception}, screen_languages=["fr", "en"])


@pytest.fixture
def screen(browser: Browser) -> Iterator[BrowserContext]:
    # a wall screen in a French-speaking waiting room; axe is injected, which the app's policy forbids
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="fr-FR", bypass_csp=True)
    context.add_init_script(HEARD)
    yield context
    context.close()


def _set_up(screen: BrowserContext, local_runtime: LocalRuntime, site: str) -> Page:
    page = screen.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{local_runtime.api_url}/console")
    page.get_by_role("button", name="Se connecter : display").click()
    expect(page.get_by_role("heading", name="Quel site cet écran montre-t-il ?")).to_be_visible()
    page.get_by_label("Identifiant du site").fill(site)
    page.get_by_role("button", name="Afficher").click()
    expect(page.get_by_role("heading", name="Sarcelles")).to_be_visible()
    page.get_by_role("button", name="Activer le son et les annonces").click()
    page.errors = errors  # type: ignore[attr-defined]
    return page


def _heard(page: Page) -> list[list[str]]:
    return page.evaluate("window.heard")


def test_a_call_is_shown_and_said_and_a_drop_is_caught_up(
    local_runtime: LocalRuntime, site: str, screen: BrowserContext, tmp_path: Path
) -> None:
    desk = local_runtime.token("front-desk", user="desk-1")
    for name in ("Aminata", "Bintou"):
        assert (
            local_runtime.request("POST", f"/sites/{site}/tickets", token=desk, body={"display_name": name})[0] == 201
        )
    page = _set_up(screen, local_runtime, site)
    expect(page.get_by_text("Personne n'est appelé pour l'instant.")).to_be_visible()
    expect(page.locator(".stations")).to_contain_text("Accueil")

    # When a counter calls the next person
    call = f"/sites/{site}/stations/reception/call-next"
    status, called = local_runtime.request("POST", call, token=desk, body={"counter": "desk-1"})
    assert status == 200, called
    # Then the screen shows the number and where to go, and says it, never a name
    expect(page.locator('.calling [data-number="A001"]')).to_contain_text("Guichet 1")
    first = [["fr-FR", "Numéro A 1, Guichet 1."], ["en-GB", "Number A 1, Guichet 1."]]  # the site's languages
    until(lambda: _heard(page) == first, "the call said", seconds=10)
    assert "Aminata" not in page.content()
    assert violations(page) == []
    screenshot(page, tmp_path, "display.png")

    # When the network drops, a second counter calls meanwhile, and the network comes back
    page.route("**/board", lambda route: route.abort())
    expect(page.get_by_role("status")).to_contain_text("Connexion perdue")
    assert local_runtime.request("POST", call, token=desk, body={"counter": "desk-2"})[0] == 200
    page.unroute("**/board")
    # Then the screen catches up: the new call shown first and said, the first one not again
    expect(page.locator(".calling li").first).to_contain_text("A002")
    expect(page.get_by_role("status")).not_to_contain_text("Connexion perdue")
    said = [*first, ["fr-FR", "Numéro A 2, Guichet 2."], ["en-GB", "Number A 2, Guichet 2."]]
    until(lambda: _heard(page) == said, "the call made during the drop said", seconds=10)

    # When the first person does not come and is recalled, then called again, it is said again
    assert local_runtime.request("POST", f"/tickets/{called['ticket_id']}/recall", token=desk, body={})[0] == 200
    expect(page.locator('.calling [data-number="A001"]')).to_have_count(0)
    assert local_runtime.request("POST", call, token=desk, body={"counter": "desk-1"})[0] == 200
    until(lambda: len(_heard(page)) == 6, "the second call said", seconds=10)
    assert _heard(page)[4:] == first
    assert page.errors == []  # type: ignore[attr-defined]


def test_the_screen_renews_its_session_and_shows_nothing_else(
    local_runtime: LocalRuntime, site: str, screen: BrowserContext
) -> None:
    page = _set_up(screen, local_runtime, site)
    # Given its token has run out
    page.evaluate(
        """() => {
        const [head, , signature] = sessionStorage.getItem("fondation.console.token").split(".");
        const claims = btoa(JSON.stringify({ exp: 1, "cognito:groups": ["display"] })).replace(/=+$/, "");
        sessionStorage.setItem("fondation.console.token", [head, claims, signature].join("."));
    }"""
    )
    # Then it signs in again by itself and goes on showing the calls
    desk = local_runtime.token("front-desk", user="desk-1")
    assert (
        local_runtime.request("POST", f"/sites/{site}/tickets", token=desk, body={"display_name": "Coumba"})[0] == 201
    )
    call = f"/sites/{site}/stations/reception/call-next"
    assert local_runtime.request("POST", call, token=desk, body={"counter": "desk-2"})[0] == 200
    expect(page.locator('.calling [data-number="A001"]')).to_contain_text("Guichet 2")
    # And any other page of the app brings it back to its screen; the API refuses it the rest
    page.goto(f"{local_runtime.api_url}/console/#/workflows")
    expect(page.get_by_role("heading", name="Sarcelles")).to_be_visible()
    refused = page.evaluate(
        """async () => (await fetch("/clients", {headers: {Authorization:
        `Bearer ${sessionStorage.getItem("fondation.console.token")}`}})).status"""
    )
    assert refused == 403


def test_a_site_typed_as_its_name_or_mistyped_is_asked_again(
    local_runtime: LocalRuntime, site: str, screen: BrowserContext
) -> None:
    page = screen.new_page()
    page.goto(f"{local_runtime.api_url}/console")
    page.get_by_role("button", name="Se connecter : display").click()
    # a site's id typed as it is written, capitals and all, is the site
    page.get_by_label("Identifiant du site").fill(site.upper())
    page.get_by_role("button", name="Afficher").click()
    expect(page.get_by_role("heading", name="Sarcelles")).to_be_visible()
    # an id no site can have is asked again, with why, and not remembered
    page.goto(f"{local_runtime.api_url}/console/#/display/not%20a%20site")
    expect(page.get_by_role("alert")).to_contain_text("Aucun site « not a site »")
    expect(page.get_by_label("Identifiant du site")).to_have_value("")


def test_a_screen_started_while_the_api_is_down_shows_the_board_once_it_is_back(
    local_runtime: LocalRuntime, site: str, screen: BrowserContext
) -> None:
    page = _set_up(screen, local_runtime, site)
    # When the screen restarts while the API does not answer
    page.route("**/board", lambda route: route.abort())
    page.reload()
    # Then it says it is reconnecting, on its own screen, not an error page
    expect(page.get_by_role("status")).to_contain_text("Connexion perdue")
    expect(page.get_by_role("heading", name="Un problème est survenu")).to_have_count(0)
    # And once the API answers again, the board is back without anyone touching the screen
    page.unroute("**/board")
    expect(page.get_by_role("heading", name="Sarcelles")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("Mis à jour")
