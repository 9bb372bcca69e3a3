"""The smoke test of a running stage: a throwaway person signs in, onboards a throwaway client through
the API, waits for the onboarding to succeed, reads it through the executions route, erases the
client; then the person goes. The same steps run against a deployed stage (a Cognito user made for
the run) and against ``make dev`` (a token from the local issuer).

Whatever fails, what was made is taken back: the client erased, the user deleted.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import string
import struct
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol, TextIO

from botocore.exceptions import BotoCoreError, ClientError

WORKFLOW = "client-onboarding"
# Onboarding, then reading the executions and erasing: a person in both groups does it all.
GROUPS = ("front-desk", "managers")
ADMIN_FLOW = "ALLOW_ADMIN_USER_PASSWORD_AUTH"
REQUEST_SECONDS = 30  # above the gateway's 29 s: a slow answer is the API's 504, not ours
DEFAULT_WAIT_SECONDS = 180  # a cold stage: the database resuming from zero capacity, functions starting in the VPC
FINISHED = {"succeeded", "failed", "timed_out", "aborted"}


class StepFailed(Exception):
    """A step did not get what it needed; the message says what it got."""


class Identity(Protocol):
    """Who runs the steps: ``sign_in`` makes the person (where there is one to make) and gives an ID
    token carrying ``GROUPS``; ``sign_out`` takes back what ``sign_in`` made, even half made."""

    description: str

    def sign_in(self) -> str: ...

    def sign_out(self) -> str | None: ...


class LocalIdentity:
    """The local runtime's token issuer: a token signed with its key (``.local/keys``), no one to create."""

    def __init__(self, state_dir: Path, username: str) -> None:
        self.state_dir, self.username = state_dir, username
        self.description = f"a local token for {username}"

    def sign_in(self) -> str:
        from local.tokens import KeyPair, issue_token

        keys = self.state_dir / "keys"
        if not (keys / "token-signing.pem").exists():  # a key made now would be one the runtime never saw
            raise StepFailed(
                f"no token key in {keys}: start the runtime (make dev) from this checkout, or set LOCAL_STATE_DIR"
            )
        return issue_token(KeyPair.load_or_create(keys), list(GROUPS), self.username)

    def sign_out(self) -> str | None:
        return "nothing to remove: a local token expires by itself"


class CognitoIdentity:
    """A user made for the run in the stage's user pool, signed in through its front-end client with
    the admin flow (IAM credentials, no SRP), and deleted afterwards."""

    def __init__(self, cognito: Any, user_pool_id: str, client_id: str, username: str) -> None:
        self.cognito, self.user_pool_id, self.client_id, self.username = cognito, user_pool_id, client_id, username
        self.description = f"Cognito user {username} in {user_pool_id}"
        self.created = False

    def sign_in(self) -> str:
        flows = self.cognito.describe_user_pool_client(UserPoolId=self.user_pool_id, ClientId=self.client_id)[
            "UserPoolClient"
        ].get("ExplicitAuthFlows", [])
        if ADMIN_FLOW not in flows:
            raise StepFailed(
                f"the user pool client {self.client_id} does not allow {ADMIN_FLOW} (it allows "
                f"{', '.join(flows) or 'none'}): infra/constructs/auth.py's front-end client needs "
                "auth_flows=cognito.AuthFlow(user_srp=True, admin_user_password=True)"
            )
        password = new_password()
        self.cognito.admin_create_user(
            UserPoolId=self.user_pool_id,
            Username=self.username,
            TemporaryPassword=password,
            MessageAction="SUPPRESS",  # nobody to invite
        )
        self.created = True
        self.cognito.admin_set_user_password(
            UserPoolId=self.user_pool_id, Username=self.username, Password=password, Permanent=True
        )
        for group in GROUPS:
            self.cognito.admin_add_user_to_group(UserPoolId=self.user_pool_id, Username=self.username, GroupName=group)
        answer = self.cognito.admin_initiate_auth(
            UserPoolId=self.user_pool_id,
            ClientId=self.client_id,
            AuthFlow="ADMIN_USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": self.username, "PASSWORD": password},
        )
        if answer.get("ChallengeName") == "MFA_SETUP":  # a stage that requires MFA: the user sets up TOTP
            answer = self._set_up_mfa(answer["Session"])
        if "AuthenticationResult" not in answer:
            raise StepFailed(f"Cognito asked for {answer.get('ChallengeName')!r} instead of signing the user in")
        return str(answer["AuthenticationResult"]["IdToken"])

    def _set_up_mfa(self, session: str) -> Any:
        association = self.cognito.associate_software_token(Session=session)
        verified = self.cognito.verify_software_token(
            Session=association["Session"], UserCode=totp(association["SecretCode"]), FriendlyDeviceName="smoke"
        )
        if verified.get("Status") != "SUCCESS":
            raise StepFailed(f"Cognito did not take the TOTP code ({verified.get('Status')})")
        return self.cognito.admin_respond_to_auth_challenge(
            UserPoolId=self.user_pool_id,
            ClientId=self.client_id,
            ChallengeName="MFA_SETUP",
            Session=verified["Session"],
            ChallengeResponses={"USERNAME": self.username},
        )

    def sign_out(self) -> str | None:
        if not self.created:
            return None
        self.cognito.admin_delete_user(UserPoolId=self.user_pool_id, Username=self.username)
        self.created = False
        return f"deleted {self.username}"


def new_password(length: int = 32) -> str:
    """Random, with every class a pool's policy may require (infra/settings.py: 12 to 14 characters)."""
    classes = (string.ascii_lowercase, string.ascii_uppercase, string.digits, "!#%*+-=?@^_")
    characters = [secrets.choice(chosen) for chosen in classes]
    characters += [secrets.choice("".join(classes)) for _ in range(length - len(characters))]
    secrets.SystemRandom().shuffle(characters)
    return "".join(characters)


def totp(secret: str, at: float | None = None, digits: int = 6, step: int = 30) -> str:
    """RFC 6238 (HMAC-SHA1), what an authenticator app shows for Cognito's base32 ``secret``."""
    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    counter = int((time.time() if at is None else at) // step)
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    code = (struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF) % 10**digits
    return str(code).zfill(digits)


@dataclass
class Api:
    url: str  # without a trailing slash
    token: str | None = None

    def call(self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None) -> tuple[int, Any]:
        request = urllib.request.Request(  # noqa: S310 - the operator's own API URL (checked to be http or https)
            f"{self.url}{path}", data=None if body is None else json.dumps(body).encode(), method=method
        )
        request.add_header("Content-Type", "application/json")
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        if self.token:
            request.add_header("Authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(request, timeout=REQUEST_SECONDS) as response:  # noqa: S310
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, raw = error.code, error.read()
        except (urllib.error.URLError, OSError) as error:
            raise StepFailed(f"{method} {self.url}{path}: no answer ({getattr(error, 'reason', error)})") from error
        try:
            return status, json.loads(raw) if raw else None
        except ValueError:
            return status, raw.decode(errors="replace")[:200]

    def expect(self, method: str, path: str, status: int, **options: Any) -> Any:
        got, answer = self.call(method, path, **options)
        if got != status:
            raise StepFailed(f"{method} {path} answered {got}, not {status}: {answer}")
        return answer


def throwaway_application(run: str, today: date) -> dict[str, Any]:
    """An application no one could be a duplicate of, with no phone or e-mail (no message leaves: the
    welcome is given in person) and evidence that makes it eligible."""
    random_name = "".join(secrets.choice(string.ascii_lowercase) for _ in range(10))
    return {
        "first_name": "Smoke",
        "last_name": f"Test-{random_name}",
        "birth_date": date(
            1930 + secrets.randbelow(60), 1 + secrets.randbelow(12), 1 + secrets.randbelow(28)
        ).isoformat(),
        "housing_situation": "no_fixed_address",
        "language": "fr",
        "consents": {"data_processing": True, "sms": False},
        "evidence": {
            "type": "social_benefit_certificate",
            "reference": f"SMOKE-{run}",
            "expires_on": (today + timedelta(days=365)).isoformat(),
        },
    }


def new_run() -> str:
    """The run's name: in the test client's idempotency key and evidence, and the Cognito user's name."""
    return datetime.now(UTC).strftime("%Y%m%dt%H%M%S") + "-" + secrets.token_hex(3)


@dataclass
class Smoke:
    api: Api
    identity: Identity
    out: TextIO
    wait_seconds: float = DEFAULT_WAIT_SECONDS
    poll_seconds: float = 1.0
    run: str = field(default_factory=new_run)
    client_id: str | None = None
    signing_in: bool = False
    erased: bool = False
    failed: list[str] = field(default_factory=list)

    def step(self, name: str, action: Callable[[], str | None]) -> bool:
        """Run one step, printing how it went and how long it took; False when it failed."""
        started = time.monotonic()
        try:
            said = action()
        except (StepFailed, ClientError, BotoCoreError) as error:
            print(f"FAIL  {time.monotonic() - started:5.1f}s  {name}: {error}", file=self.out, flush=True)
            self.failed.append(name)
            return False
        print(
            f"ok    {time.monotonic() - started:5.1f}s  {name}{f': {said}' if said else ''}", file=self.out, flush=True
        )
        return True

    def main(self) -> int:
        steps: list[tuple[str, Callable[[], str | None]]] = [
            ("the API answers", self.health),
            ("sign in", self.sign_in),
            ("onboard a test client", self.onboard),
            ("wait for the onboarding to succeed", self.wait),
            ("read the execution", self.read_execution),
            ("erase the client", self.erase),
        ]
        try:
            for name, action in steps:
                if not self.step(name, action):
                    break
        finally:
            if self.client_id and not self.erased and self.api.token:
                self.step("erase the client (cleaning up)", self.erase)
            if self.signing_in:  # a user half made goes too
                self.step("remove the user", self.identity.sign_out)
        if self.failed:
            print(f"smoke test FAILED at: {', '.join(self.failed)}", file=self.out, flush=True)
            return 1
        print("smoke test passed", file=self.out, flush=True)
        return 0

    def health(self) -> str:
        self.api.expect("GET", "/health", 200)
        return self.api.url

    def sign_in(self) -> str:
        self.signing_in = True
        self.api.token = self.identity.sign_in()
        return f"{self.identity.description}, groups {', '.join(GROUPS)}"

    def onboard(self) -> str:
        accepted = self.api.expect(
            "POST",
            "/clients",
            202,
            body=throwaway_application(self.run, datetime.now(UTC).date()),
            headers={"Idempotency-Key": f"smoke-{self.run}"},
        )
        self.client_id = accepted["client_id"]
        return f"client {self.client_id}"

    @property
    def execution_path(self) -> str:
        return f"/workflows/{WORKFLOW}/executions/client-{self.client_id}"

    def wait(self) -> str:
        deadline = time.monotonic() + self.wait_seconds
        last: Any = None
        while time.monotonic() < deadline:
            status, last = self.api.call("GET", self.execution_path)
            if status == 200 and last["status"] in FINISHED:
                if last["status"] != "succeeded":
                    raise StepFailed(
                        f"the execution {last['status']} in {last.get('failed_state')}: {last.get('error')} "
                        f"{last.get('cause') or ''}".rstrip()
                    )
                return f"execution client-{self.client_id} succeeded"
            # 404: not started yet (Step Functions out of reach: the relay starts it); 429 and 5xx: asked again
            if status not in (200, 404, 429) and status < 500:
                raise StepFailed(f"GET {self.execution_path} answered {status}: {last}")
            time.sleep(self.poll_seconds)
        raise StepFailed(f"not finished after {self.wait_seconds:.0f} s: {last}")

    def read_execution(self) -> str:
        execution = self.api.expect("GET", self.execution_path, 200)
        output = execution.get("output") or {}
        if (execution.get("workflow"), output.get("outcome"), output.get("client_id")) != (
            WORKFLOW,
            "active",
            self.client_id,
        ):
            raise StepFailed(f"expected the client active, read {execution}")
        history = self.api.expect("GET", f"{self.execution_path}/history", 200)
        return f"outcome active, {len(history.get('events', []))} events in its history"

    def erase(self) -> str:
        erased = self.api.expect("DELETE", f"/clients/{self.client_id}", 200)
        client = self.api.expect("GET", f"/clients/{self.client_id}", 200)
        if (erased.get("status"), client.get("status")) != ("erased", "erased"):
            raise StepFailed(f"the client is {client.get('status')} after its erasure")
        self.erased = True
        return f"client {self.client_id} erased"
