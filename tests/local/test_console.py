"""The console as the local runtime serves it: its few files and nothing else under /console, a
config that says "sign in locally", and a local sign-in that gives managers' or ops' tokens only,
to a JSON request only (another site's page cannot send one without a preflight)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from local.console import CONSOLE_DIR, FILES, LocalConsole
from local.tokens import KeyPair, issue_token, verify_token

JSON = [("Content-Type", "application/json")]


@pytest.fixture
def console(token_keys: KeyPair) -> LocalConsole:
    return LocalConsole(token_keys)


def header(headers: list[tuple[str, str]], name: str) -> str | None:
    return next((value for key, value in headers if key.lower() == name.lower()), None)


def test_the_page_and_its_files_are_served_with_a_strict_policy(console: LocalConsole) -> None:
    status, headers, _ = console.handle("GET", "/console", [], b"")
    assert (status, header(headers, "Location")) == (308, "/console/")
    for path, kind in (
        ("/console/", "text/html"),
        ("/console/app.js", "javascript"),
        ("/console/views/workflows.js", "javascript"),
        ("/console/console.css", "text/css"),
    ):
        status, headers, body = console.handle("GET", path, [], b"")
        assert status == 200, path
        assert kind in header(headers, "Content-Type")
        assert "frame-ancestors 'none'" in header(headers, "Content-Security-Policy")
        assert header(headers, "X-Frame-Options") == "DENY"
        assert body == FILES[path.removeprefix("/console")].read_bytes()


def test_every_file_of_the_app_is_served() -> None:
    # a module left out of package.json's `served` would be a 404 in the browser, locally and on a stage
    app = CONSOLE_DIR.rglob("*")
    written = {f"/{path.relative_to(CONSOLE_DIR).as_posix()}" for path in app if _part_of_the_app(path)}
    assert written == {name for name in FILES if name != "/" and not name.startswith("/vendor/")}


def _part_of_the_app(path: Path) -> bool:
    if not path.is_file() or "node_modules" in path.parts:
        return False
    return path.suffix in (".html", ".js", ".css") or path.parent.name == "strings"


@pytest.mark.parametrize(
    "path",
    [
        "/console/../README.md",
        "/console/..%2F..%2Fetc%2Fpasswd",
        "/console/node_modules/elkjs/package.json",
        "/console/x",
    ],
)
def test_nothing_else_is_a_file(console: LocalConsole, path: str) -> None:
    assert console.handle("GET", path, [], b"")[0] == 404


def test_the_config_says_sign_in_locally(console: LocalConsole) -> None:
    status, _, body = console.handle("GET", "/console/config.json", [], b"")
    config = {"signIn": "local", "groups": ["front-desk", "managers", "ops", "display"], "api": "", "mailbox": None}
    assert (status, json.loads(body)) == (200, config)


@pytest.mark.parametrize("group", ["front-desk", "managers", "ops", "display"])
def test_the_local_sign_in_gives_a_token_of_the_group_chosen(
    console: LocalConsole, token_keys: KeyPair, group: str
) -> None:
    status, _, body = console.handle("POST", "/console/token", JSON, json.dumps({"group": group}).encode())
    assert status == 200
    claims = verify_token(token_keys, json.loads(body)["token"])
    assert claims["cognito:groups"] == [group]


@pytest.mark.parametrize(
    ("method", "headers", "body", "status"),
    [
        ("GET", [], b"", 405),
        ("POST", [("Content-Type", "text/plain")], b'{"group": "ops"}', 415),  # a form or a plain fetch: no
        ("POST", [], b'{"group": "ops"}', 415),
        ("POST", JSON, b'{"group": "lab"}', 422),  # the lab's staff have no view of the app
        ("POST", JSON, b'{"group": ["ops"]}', 422),
        ("POST", JSON, b"[1]", 422),
        ("POST", JSON, b"not json", 422),
        ("POST", JSON, b"[" * 100_000 + b"]" * 100_000, 422),
    ],
)
def test_the_local_sign_in_refuses_anything_else(
    console: LocalConsole, method: str, headers: list[tuple[str, str]], body: bytes, status: int
) -> None:
    answer_status, _, answer = console.handle(method, "/console/token", headers, body)
    assert answer_status == status
    assert b'"token"' not in answer


def test_the_mailbox_is_shown_to_managers_newest_first(token_keys: KeyPair, tmp_path: Path) -> None:
    # Given a mailbox with two letters
    from lambdas.shared.domain import NotificationChannel
    from lambdas.shared.notify.messages import Rendered
    from lambdas.shared.notify.senders import MailboxSender, Outgoing

    sender = MailboxSender(tmp_path / "mailbox")
    for number, message in enumerate(("welcome", "ticket_called")):
        letter = Outgoing(f"id-{number}", NotificationChannel.SMS, "+33612345678", "fr", message, Rendered("s", "t"))
        sender.send(letter)
    console = LocalConsole(token_keys, tmp_path / "mailbox")
    # Then the config names it, a manager reads it, ops and strangers do not
    assert json.loads(console.handle("GET", "/console/config.json", [], b"")[2])["mailbox"] == "mailbox.json"

    def read(token: str | None) -> tuple[int, dict]:
        headers = [("Authorization", f"Bearer {token}")] if token else []
        status, _, body = console.handle("GET", "/console/mailbox.json", headers, b"")
        return status, json.loads(body)

    status, answer = read(issue_token(token_keys, ["managers"], "manager"))
    assert (status, answer["total"]) == (200, 2)
    assert [letter["message"] for letter in answer["letters"]] == ["ticket_called", "welcome"]
    assert read(issue_token(token_keys, ["ops"], "ops"))[0] == 403
    assert read(issue_token(token_keys, ["front-desk"], "desk"))[0] == 403
    assert read(None)[0] == 401
    assert read("forged.token.here")[0] == 401
    other = KeyPair.load_or_create(tmp_path / "other-keys")
    assert read(issue_token(other, ["managers"], "manager"))[0] == 401  # another issuer's signature
