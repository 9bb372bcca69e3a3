"""The web app at /console, as the local runtime serves it: its files from the repository, its graph
layout from console/node_modules, a config that says "sign in locally", the local sign-in itself (an
ID token of the group chosen: front desk, managers, ops or display), and the local mailbox (what the
dispatcher would have sent: managers only, it holds phone numbers and addresses). None of this
exists on a deployed stage, where the app's files come from the stage's bucket and people sign in
with the user pool."""

from __future__ import annotations

import json
import mimetypes
from pathlib import Path

from local.tokens import InvalidToken, KeyPair, issue_token, verify_token

CONSOLE_DIR = Path(__file__).resolve().parents[1] / "console"
PREFIX = "/console"
# what the page may be served, and from where (the console lists its files in its package.json, the
# CDK app deploys the same): nothing else under /console is a file
SERVED = json.loads((CONSOLE_DIR / "package.json").read_text(encoding="utf-8"))["served"]
FILES = {"/": CONSOLE_DIR / SERVED["index.html"], **{f"/{name}": CONSOLE_DIR / path for name, path in SERVED.items()}}
SIGN_IN_GROUPS = ("front-desk", "managers", "ops", "display")
MAILBOX_GROUP = "managers"  # as for clients: the messages name their phone or address
MAILBOX_SHOWN = 200  # the newest letters
HEADERS = [
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "no-referrer"),
    ("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'"),
]

Answer = tuple[int, list[tuple[str, str]], bytes]


def _json(status: int, body: object) -> Answer:
    return status, [("Content-Type", "application/json"), *HEADERS], json.dumps(body).encode()


class LocalConsole:
    def __init__(self, keys: KeyPair, mailbox: Path | None = None) -> None:
        self._keys, self._mailbox = keys, mailbox

    @staticmethod
    def serves(path: str) -> bool:
        return path == PREFIX or path.startswith(f"{PREFIX}/")

    def handle(self, method: str, path: str, headers: list[tuple[str, str]], body: bytes) -> Answer:
        if path == PREFIX:  # relative links need the slash
            return 308, [("Location", f"{PREFIX}/"), *HEADERS], b""
        inner = path[len(PREFIX) :]
        if inner == "/token":
            return self._token(method, headers, body)
        if method not in ("GET", "HEAD"):
            return _json(405, {"message": "Method Not Allowed"})
        if inner == "/config.json":
            mailbox = "mailbox.json" if self._mailbox is not None else None
            return _json(200, {"signIn": "local", "groups": list(SIGN_IN_GROUPS), "api": "", "mailbox": mailbox})
        if inner == "/mailbox.json" and self._mailbox is not None:
            return self._letters(headers, self._mailbox)
        file = FILES.get(inner)
        if file is None:
            return _json(404, {"message": "Not Found"})
        if not file.exists():  # the layout library: `make dev` installs it
            return _json(503, {"message": f"{file.name} is missing: run make dev (it installs console/node_modules)"})
        kind = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        return 200, [("Content-Type", f"{kind}; charset=utf-8"), *HEADERS], file.read_bytes()

    def _letters(self, headers: list[tuple[str, str]], mailbox: Path) -> Answer:
        """The newest letters first, for a manager's ID token (the same check as the API's)."""
        from lambdas.shared.notify.senders import read_mailbox

        authorization = next((value for name, value in headers if name.lower() == "authorization"), "")
        scheme, _, token = authorization.partition(" ")
        try:
            if scheme.lower() != "bearer" or not token:
                raise InvalidToken("no bearer token")
            claims = verify_token(self._keys, token.strip())
        except InvalidToken:
            return _json(401, {"message": "Unauthorized"})
        if MAILBOX_GROUP not in claims.get("cognito:groups", []):
            return _json(403, {"message": "the mailbox is for managers: it names people's phones and addresses"})
        letters = read_mailbox(mailbox) if mailbox.is_dir() else []
        return _json(200, {"letters": letters[::-1][:MAILBOX_SHOWN], "total": len(letters)})

    def _token(self, method: str, headers: list[tuple[str, str]], body: bytes) -> Answer:
        """An ID token for the group chosen. A JSON body only: another site's page cannot send one
        without a preflight, which this runtime never grants."""
        if method != "POST":
            return _json(405, {"message": "Method Not Allowed"})
        kind = next((value for name, value in headers if name.lower() == "content-type"), "")
        if kind.split(";")[0].strip().lower() != "application/json":
            return _json(415, {"message": 'send {"group": …} as application/json'})
        try:
            group = json.loads(body or b"{}").get("group")
        except (ValueError, AttributeError, RecursionError):  # not JSON, not an object, nested past reason
            group = None
        if group not in SIGN_IN_GROUPS:
            return _json(422, {"message": f"group must be one of {', '.join(SIGN_IN_GROUPS)}"})
        return _json(200, {"token": issue_token(self._keys, [group], f"console-{group}")})
