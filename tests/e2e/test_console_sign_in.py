"""The console's sign-in on a deployed stage, in a real browser: the user pool's authorization-code
flow with PKCE. A stand-in for the user pool's OAuth endpoints (authorize, token) serves the
console's files with a stage's config.json; the API is the local runtime, answering that origin."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from playwright.sync_api import Browser, expect

from local.console import FILES
from local.tokens import KeyPair, issue_token
from tests.e2e.conftest import free_port, start_runtime, stop_runtime, until

pytestmark = pytest.mark.e2e

CLIENT_ID = "console-client"
SCREEN_CLIENT_ID = "screens-client"  # a waiting room's screen: a display user, a long session


class UserPool:
    """The user pool's managed login as the console meets it: /oauth2/authorize sends the browser
    back with a code, /oauth2/token gives an ID token for that code and its PKCE verifier only."""

    def __init__(self, keys: KeyPair, api_url: str, port: int) -> None:
        self.keys, self.api_url, self.port = keys, api_url, port
        self.origin = f"http://127.0.0.1:{self.port}"
        self.challenges: dict[str, tuple[str, str]] = {}  # code → the client and challenge it was issued for
        self.exchanged: list[str] = []
        self.refresh_tokens: set[str] = set()  # the screens' sessions
        self.refreshed = 0
        self.screen_groups = ["display"]  # the groups of whoever signs a screen in

    def config(self) -> dict[str, Any]:
        redirect = f"{self.origin}/console/"
        return {
            "signIn": "cognito",
            "api": self.api_url,
            "domain": self.origin,
            "clientId": CLIENT_ID,
            "screenClientId": SCREEN_CLIENT_ID,
            "redirectUri": redirect,
        }

    def authorize(self, query: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        expected = {"response_type": "code", "code_challenge_method": "S256"}
        if (
            any(query.get(name) != value for name, value in expected.items())
            or query.get("client_id") not in (CLIENT_ID, SCREEN_CLIENT_ID)
            or query.get("redirect_uri") != self.config()["redirectUri"]
            # each client asks for the scopes it allows: the screens' client has no e-mail
            or (query["client_id"] == SCREEN_CLIENT_ID and "email" in query.get("scope", "").split())
        ):
            return 400, {}, b"bad authorize request"
        code = secrets.token_urlsafe(16)
        self.challenges[code] = (query["client_id"], query["code_challenge"])
        return 302, {"Location": f"{query['redirect_uri']}?{urlencode({'code': code, 'state': query['state']})}"}, b""

    def token(self, form: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        invalid = 400, {"Content-Type": "application/json"}, b'{"error": "invalid_grant"}'
        if form.get("grant_type") == "refresh_token":  # a screen's session, renewed
            if form.get("client_id") != SCREEN_CLIENT_ID or form.get("refresh_token") not in self.refresh_tokens:
                return invalid
            self.refreshed += 1
            body = {"id_token": issue_token(self.keys, ["display"], "screen-1"), "token_type": "Bearer"}
            return 200, {"Content-Type": "application/json"}, json.dumps(body).encode()
        client, challenge = self.challenges.pop(form.get("code", ""), (None, None))  # a code works once
        verifier = form.get("code_verifier", "").encode()
        computed = base64.urlsafe_b64encode(hashlib.sha256(verifier).digest()).decode().rstrip("=")
        if challenge is None or computed != challenge or form.get("grant_type") != "authorization_code":
            return invalid
        if form.get("client_id") != client:
            return invalid
        self.exchanged.append(form["code"])
        if client == SCREEN_CLIENT_ID:
            refresh = secrets.token_urlsafe(24)
            self.refresh_tokens.add(refresh)
            tokens = {"id_token": issue_token(self.keys, self.screen_groups, "screen-1"), "refresh_token": refresh}
        else:
            tokens = {"id_token": issue_token(self.keys, ["managers"], "awa-manager")}
        return 200, {"Content-Type": "application/json"}, json.dumps({**tokens, "token_type": "Bearer"}).encode()

    def revoke(self, form: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        if form.get("client_id") == SCREEN_CLIENT_ID:
            self.refresh_tokens.discard(form.get("token", ""))
        return 200, {}, b""

    def serve(self) -> ThreadingHTTPServer:
        pool = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self, status: int, headers: dict[str, str], body: bytes) -> None:
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                url = urlsplit(self.path)
                query = {name: values[0] for name, values in parse_qs(url.query).items()}
                if url.path == "/oauth2/authorize":
                    self._answer(*pool.authorize(query))
                elif url.path == "/console/config.json":
                    self._answer(200, {"Content-Type": "application/json"}, json.dumps(pool.config()).encode())
                elif url.path.startswith("/console/") and url.path.removeprefix("/console") in FILES:
                    file: Path = FILES[url.path.removeprefix("/console")]
                    kind = (
                        "text/html"
                        if file.suffix == ".html"
                        else "text/css"
                        if file.suffix == ".css"
                        else "text/javascript"
                    )
                    self._answer(200, {"Content-Type": kind}, file.read_bytes())
                else:
                    self._answer(404, {}, b"")

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                form = {name: values[0] for name, values in parse_qs(self.rfile.read(length).decode()).items()}
                if urlsplit(self.path).path == "/oauth2/token":
                    self._answer(*pool.token(form))
                elif urlsplit(self.path).path == "/oauth2/revoke":
                    self._answer(*pool.revoke(form))
                else:
                    self._answer(404, {}, b"")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return server


@pytest.fixture(scope="module")
def pool(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UserPool]:
    """The user pool, and an API (the local runtime) answering the console's origin, as the CDK app sets it."""
    state_dir = tmp_path_factory.mktemp("stage-state")
    port = free_port()
    runtime = start_runtime(state_dir, state_dir / "runtime.log", ALLOWED_ORIGINS=f"http://127.0.0.1:{port}")
    user_pool = UserPool(KeyPair.load_or_create(state_dir / "keys"), runtime.api_url, port)
    server = user_pool.serve()
    yield user_pool
    server.shutdown()
    stop_runtime(runtime)


def test_a_manager_signs_in_with_the_user_pool_code_and_pkce(pool: UserPool, browser: Browser) -> None:
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    visited: list[str] = []
    page.on("framenavigated", lambda frame: visited.append(frame.url))
    page.goto(f"{pool.origin}/console/")
    page.get_by_role("button", name="Sign in").click()
    # Then back from the managed login, the code exchanged with its verifier, the overview shown
    expect(page.get_by_role("heading", name="Workflows")).to_be_visible()
    assert len(pool.exchanged) == 1
    assert "code=" not in page.url  # the code leaves the address once used
    assert page.evaluate("sessionStorage.getItem('fondation.console.token')").count(".") == 2
    assert not any("eyJ" in url for url in visited)  # the token was never in a URL
    expect(page.get_by_text("awa-manager")).to_be_visible()
    # And a code cannot be used twice (a reload of the callback address signs nobody in)
    assert pool.token({"code": pool.exchanged[0], "code_verifier": "x", "grant_type": "authorization_code"})[0] == 400
    assert errors == []


def test_a_waiting_room_screen_stays_signed_in_until_it_is_signed_out(pool: UserPool, browser: Browser) -> None:
    context = browser.new_context(locale="fr-FR")
    page = context.new_page()
    page.goto(f"{pool.origin}/console/")
    # When someone signs the screen in, as a display user, and says which site it shows
    page.get_by_role("button", name="Connecter cet écran (salle d'attente)").click()
    page.get_by_label("Identifiant du site").fill("saint-denis")
    page.get_by_role("button", name="Afficher").click()
    expect(page.get_by_role("heading", name="Saint-Denis")).to_be_visible()
    assert page.evaluate("localStorage.getItem('fondation.console.screen')") in pool.refresh_tokens
    # Then once its token has run out, it renews it with its refresh token and goes on
    page.evaluate(
        """() => {
        const [head, , signature] = sessionStorage.getItem("fondation.console.token").split(".");
        const claims = btoa(JSON.stringify({ exp: 1, "cognito:groups": ["display"] })).replace(/=+$/, "");
        sessionStorage.setItem("fondation.console.token", [head, claims, signature].join("."));
    }"""
    )
    until(lambda: pool.refreshed >= 1, "the screen's token renewed", seconds=10)
    expect(page.get_by_role("status")).to_contain_text("Mis à jour")
    # And when the browser restarts (the tab's storage gone), it comes back signed in, to its site
    page.close()
    page = context.new_page()
    refreshed = pool.refreshed
    page.goto(f"{pool.origin}/console/")
    expect(page.get_by_role("heading", name="Saint-Denis")).to_be_visible()
    assert pool.refreshed == refreshed + 1
    # And its address signs it out, at the user pool too: it is back to the sign-in
    page.goto(f"{pool.origin}/console/#/sign-out")
    expect(page.get_by_role("heading", name="Se connecter")).to_be_visible()
    until(lambda: pool.refresh_tokens == set(), "the refresh token revoked")  # the revocation is sent after
    page.reload()
    expect(page.get_by_role("heading", name="Se connecter")).to_be_visible()
    context.close()


def test_only_a_display_account_signs_a_screen_in(pool: UserPool, browser: Browser) -> None:
    pool.screen_groups = ["managers"]
    try:
        context = browser.new_context(locale="fr-FR")
        page = context.new_page()
        page.goto(f"{pool.origin}/console/")
        # When a manager presses the screen's sign-in with their own account
        page.get_by_role("button", name="Connecter cet écran (salle d'attente)").click()
        # Then they are told why not, and no session of theirs stays in that browser or at the pool
        expect(page.get_by_role("alert")).to_contain_text("Seul un compte « display »")
        assert page.evaluate("localStorage.getItem('fondation.console.screen')") is None
        assert page.evaluate("sessionStorage.getItem('fondation.console.token')") is None
        until(lambda: pool.refresh_tokens == set(), "the refresh token revoked")
        context.close()
    finally:
        pool.screen_groups = ["display"]
