"""The smoke test of a running stage: a throwaway person signs in, onboards a throwaway client through
the API, waits for the onboarding to succeed, reads it through the executions route, erases the
client; then the person goes. The same steps run against a deployed stage (a Cognito user made for
the run) and against ``make dev`` (a token from the local issuer).

Whatever fails, what was made is taken back: the client erased, the user deleted (a second Ctrl-C,
SIGTERM or SIGHUP included). The ID token goes only to the API's URL: never in a redirect, never to
another host than the stack's API or console (deployed stages, https only).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import http.client
import json
import secrets
import signal
import string
import struct
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol, TextIO
from urllib.parse import urlsplit

from botocore.exceptions import BotoCoreError, ClientError

WORKFLOW = "client-onboarding"
# Onboarding, then reading the executions and erasing: a person in both groups does it all.
GROUPS = ("front-desk", "managers")
ADMIN_FLOW = "ALLOW_ADMIN_USER_PASSWORD_AUTH"
REQUEST_SECONDS = 30  # above the gateway's 29 s: a slow answer is the API's 504, not ours
DEFAULT_WAIT_SECONDS = 180  # a cold stage: every function starting for the first time, in the VPC
FINISHED = {"succeeded", "failed", "timed_out", "aborted"}
ONBOARDING_ATTEMPTS = 3  # the same request and Idempotency-Key: a lost answer is asked again, no second client
# The path the console (a browser) takes to the API: CloudFront's /api/ on the console's origin
CONSOLE_API_PATH = "/api"


class StepFailed(Exception):
    """A step did not get what it needed; the message says what it got."""


class NoAnswer(StepFailed):
    """The request got no usable answer (no connection, a timeout, a broken reply): it may have been served."""


class Identity(Protocol):
    """Who runs the steps: ``sign_in`` makes the person (where there is one to make) and gives an ID
    token carrying ``GROUPS``; ``sign_out`` takes back what ``sign_in`` made, even half made."""

    description: str
    unreachable: str  # what to do when the API does not answer

    def sign_in(self) -> str: ...

    def sign_out(self) -> str | None: ...


class LocalIdentity:
    """The local runtime's token issuer: a token signed with its key (``.local/keys``), no one to create."""

    def __init__(self, state_dir: Path, username: str) -> None:
        self.state_dir, self.username = state_dir, username
        self.description = f"a local token for {username}"
        self.unreachable = "start the local runtime (make dev) in another terminal, or give --api-url"

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
        self.unreachable = "is the stage deployed and its CloudFront distribution enabled? (--api-url: the ApiUrl)"
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
        try:  # its tokens revoked first: the ID token ends with the run, not an hour later
            self.cognito.admin_user_global_sign_out(UserPoolId=self.user_pool_id, Username=self.username)
        finally:
            self.cognito.admin_delete_user(UserPoolId=self.user_pool_id, Username=self.username)
            self.created = False
        return f"signed out and deleted {self.username}"


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


def without_userinfo(url: str) -> str:
    """The URL as it may be printed: a ``user:password@`` in it left out."""
    parts = urlsplit(url)
    return parts._replace(netloc=parts.netloc.rpartition("@")[2]).geturl()


def api_base(url: str, token_hosts: list[str] | None = None) -> str:
    """``url`` as the API's base (no trailing slash), once it is one the ID token may go to: http(s),
    no user name or password, no query; with ``token_hosts`` (a deployed stage's API and console
    URLs), https to one of their hosts. Raises ValueError saying why not."""
    parts = urlsplit(url)
    if "@" in parts.netloc:
        raise ValueError(f"{without_userinfo(url)!r} holds a user name or password (user:pass@): the API takes none")
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise ValueError(f"{url!r} is not an http(s) URL without a query")
    if token_hosts is not None:
        allowed = {(urlsplit(host).hostname, urlsplit(host).port or 443) for host in token_hosts}
        if parts.scheme != "https":
            raise ValueError(f"{url!r} is not https: the ID token would cross the network in the clear")
        if (parts.hostname, parts.port or 443) not in allowed:
            raise ValueError(
                f"{parts.netloc} is neither the stack's API nor its console ({', '.join(token_hosts)}): "
                "the ID token goes to those only"
            )
    return url.rstrip("/")


def console_api(console_url: str) -> str:
    """The API as the console calls it: on the console's origin, under CloudFront's /api/."""
    parts = urlsplit(console_url)
    return f"https://{parts.netloc}{CONSOLE_API_PATH}"


class RefuseRedirects(urllib.request.HTTPRedirectHandler):
    """urllib follows a redirect with the request's headers, Authorization included, to any host and
    over plain http: the API never redirects, so no redirect is followed."""

    def redirect_request(self, req: Any, fp: Any, code: int, msg: str, headers: Any, newurl: str) -> None:
        fp.close()
        raise StepFailed(
            f"{req.get_method()} {without_userinfo(req.full_url)} answered {code}, a redirect to "
            f"{urlsplit(newurl).hostname or 'elsewhere'}: not followed (the ID token goes to the API only)"
        )


OPENER = urllib.request.build_opener(RefuseRedirects)


@dataclass
class Api:
    url: str  # without a trailing slash, checked by api_base
    token: str | None = None
    timeout: float = REQUEST_SECONDS

    def call(self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None) -> tuple[int, Any]:
        """The answer's status and JSON body (its text, cut, when it is not JSON); NoAnswer when there is none."""
        request = urllib.request.Request(  # noqa: S310 - the operator's own API URL (checked by api_base)
            f"{self.url}{path}", data=None if body is None else json.dumps(body).encode(), method=method
        )
        request.add_header("Content-Type", "application/json")
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        if self.token:
            request.add_header("Authorization", f"Bearer {self.token}")
        try:
            try:
                with OPENER.open(request, timeout=self.timeout) as response:
                    status, raw = response.status, response.read()
            except urllib.error.HTTPError as error:  # a 4xx or 5xx: an answer all the same
                with error:
                    status, raw = error.code, error.read()
        # a refused connection, a timeout, a truncated body, a peer that does not speak HTTP
        except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as error:
            reason = getattr(error, "reason", None) or f"{type(error).__name__}: {error}"
            raise NoAnswer(f"{method} {self.url}{path}: no answer ({reason})") from error
        try:
            return status, json.loads(raw) if raw else None
        except ValueError:
            return status, raw.decode(errors="replace")[:200]

    def expect(self, method: str, path: str, status: int, **options: Any) -> dict[str, Any]:
        """The answer, a JSON object, when it has ``status``."""
        got, answer = self.call(method, path, **options)
        if got != status:
            raise StepFailed(f"{method} {path} answered {got}, not {status}: {brief(answer)}")
        if not isinstance(answer, dict):
            raise StepFailed(f"{method} {path} answered {got} without a JSON object: {brief(answer)}")
        return answer


def brief(answer: Any) -> str:
    """An answer as a line of a report: what it says, cut to a readable length."""
    text = answer if isinstance(answer, str) else json.dumps(answer)
    return text if len(text) <= 300 else f"{text[:300]}…"


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


@contextlib.contextmanager
def termination_as_interrupt() -> Iterator[None]:
    """SIGTERM and SIGHUP (a closed terminal, a killed CI job) raise KeyboardInterrupt as Ctrl-C does,
    so that the clean-up runs instead of the process ending with the user and client left behind."""
    if threading.current_thread() is not threading.main_thread():  # only the main thread takes signals
        yield
        return
    names = [name for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name)]
    previous = {name: signal.signal(getattr(signal, name), _interrupt) for name in names}
    try:
        yield
    finally:
        for name, handler in previous.items():
            signal.signal(getattr(signal, name), handler)


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt(signal.Signals(signum).name)


@dataclass
class Smoke:
    api: Api
    identity: Identity
    out: TextIO
    wait_seconds: float = DEFAULT_WAIT_SECONDS
    poll_seconds: float = 1.0
    run: str = field(default_factory=new_run)
    client_id: str | None = None
    application: dict[str, Any] | None = None  # the one sent: a retry sends it again, with the same key
    unanswered: bool = False  # a POST /clients whose answer was lost: it may have made a client
    signing_in: bool = False
    erased: bool = False
    failed: list[str] = field(default_factory=list)

    def step(self, name: str, action: Callable[[], str | None]) -> bool:
        """Run one step, printing how it went and how long it took; False when it failed."""
        started = time.monotonic()
        try:
            said = action()
        except (StepFailed, ClientError, BotoCoreError) as error:
            self.report("FAIL", started, name, str(error))
            return False
        except KeyboardInterrupt:
            self.report("FAIL", started, name, "interrupted")
            raise
        self.report("ok", started, name, said)
        return True

    def report(self, verdict: str, started: float, name: str, said: str | None) -> None:
        print(f"{verdict:<4}  {time.monotonic() - started:5.1f}s  {name}{f': {said}' if said else ''}", file=self.out)
        self.out.flush()
        if verdict == "FAIL":
            self.failed.append(name)

    def main(self) -> int:
        steps: list[tuple[str, Callable[[], str | None]]] = [
            ("the API answers", self.health),
            ("sign in", self.sign_in),
            ("onboard a test client", self.onboard),
            ("wait for the onboarding to succeed", self.wait),
            ("read the execution", self.read_execution),
            ("erase the client", self.erase),
        ]
        with termination_as_interrupt():
            try:
                for name, action in steps:
                    if not self.step(name, action):
                        break
            finally:
                self.clean_up()
        if self.failed:
            print(f"smoke test FAILED at: {', '.join(self.failed)}", file=self.out, flush=True)
            return 1
        print("smoke test passed", file=self.out, flush=True)
        return 0

    def clean_up(self) -> None:
        """Take back what was made, each part whatever became of the others: an interruption (a second
        Ctrl-C) stops only the part it falls in, and is raised again once the user is deleted."""
        interrupted = False
        if self.unanswered and self.client_id is None and self.api.token:
            interrupted |= self.clean_up_step("find the test client (cleaning up)", self.find_client)
        if self.client_id and not self.erased and self.api.token:
            interrupted |= self.clean_up_step("erase the client (cleaning up)", self.erase)
        if self.signing_in:  # a user half made goes too
            interrupted |= self.clean_up_step("remove the user", self.identity.sign_out)
        if interrupted:
            raise KeyboardInterrupt

    def clean_up_step(self, name: str, action: Callable[[], str | None]) -> bool:
        """Run a step of the clean-up; True when it was interrupted."""
        try:
            self.step(name, action)
        except KeyboardInterrupt:
            return True
        return False

    def health(self) -> str:
        try:
            self.api.expect("GET", "/health", 200)
        except NoAnswer as error:
            raise NoAnswer(f"{error}: {self.identity.unreachable}") from None
        return self.api.url

    def sign_in(self) -> str:
        self.signing_in = True
        self.api.token = self.identity.sign_in()
        return f"{self.identity.description}, groups {', '.join(GROUPS)}"

    def onboard(self) -> str:
        self.application = throwaway_application(self.run, datetime.now(UTC).date())
        for _ in range(ONBOARDING_ATTEMPTS - 1):
            try:
                self.submit()
                return f"client {self.client_id}"
            except NoAnswer:
                time.sleep(self.poll_seconds)
        self.submit()  # the last attempt: its failure is the step's
        return f"client {self.client_id}"

    def find_client(self) -> str:
        """The client a lost answer may have made: the same request and key give back its id."""
        try:
            self.submit()
        except StepFailed as error:
            raise StepFailed(f"{error}; a client may be left, under Idempotency-Key smoke-{self.run}") from error
        return f"client {self.client_id}"

    def submit(self) -> None:
        """POST /clients with the run's application and Idempotency-Key (sent again, the same client
        comes back: README, Client onboarding); NoAnswer when the client may exist unknown to us."""
        self.unanswered = True  # until an answer says what became of the request
        status, answer = self.api.call(
            "POST", "/clients", body=self.application, headers={"Idempotency-Key": f"smoke-{self.run}"}
        )
        client_id = answer.get("client_id") if isinstance(answer, dict) else None
        if status == 202 and isinstance(client_id, str) and client_id:
            self.client_id, self.unanswered = client_id, False
            return
        if status in (200, 202, 429) or status >= 500:  # made or not, we cannot tell: asked again
            raise NoAnswer(f"POST /clients answered {status}: {brief(answer)}")
        self.unanswered = False  # refused: nothing made
        raise StepFailed(f"POST /clients answered {status}, not 202: {brief(answer)}")

    @property
    def execution_path(self) -> str:
        return f"/workflows/{WORKFLOW}/executions/client-{self.client_id}"

    def wait(self) -> str:
        deadline = time.monotonic() + self.wait_seconds
        last: Any = None
        while time.monotonic() < deadline:
            status, last = self.api.call("GET", self.execution_path)
            if status == 200 and not (isinstance(last, dict) and isinstance(last.get("status"), str)):
                raise StepFailed(f"GET {self.execution_path} answered 200 without an execution: {brief(last)}")
            if status == 200 and last["status"] in FINISHED:
                if last["status"] != "succeeded":
                    raise StepFailed(
                        f"the execution {last['status']} in {last.get('failed_state')}: {last.get('error')} "
                        f"{last.get('cause') or ''}".rstrip()
                    )
                return f"execution client-{self.client_id} succeeded"
            # 404: not started yet (Step Functions out of reach: the relay starts it); 429 and 5xx: asked again
            if status not in (200, 404, 429) and status < 500:
                raise StepFailed(f"GET {self.execution_path} answered {status}: {brief(last)}")
            time.sleep(self.poll_seconds)
        raise StepFailed(f"not finished after {self.wait_seconds:.0f} s: {brief(last)}")

    def read_execution(self) -> str:
        execution = self.api.expect("GET", self.execution_path, 200)
        output = execution.get("output")
        output = output if isinstance(output, dict) else {}
        if (execution.get("workflow"), output.get("outcome"), output.get("client_id")) != (
            WORKFLOW,
            "active",
            self.client_id,
        ):
            raise StepFailed(f"expected the client active, read {brief(execution)}")
        history = self.api.expect("GET", f"{self.execution_path}/history", 200)
        events = history.get("events")
        if not isinstance(events, list):
            raise StepFailed(f"the execution's history has no events: {brief(history)}")
        return f"outcome active, {len(events)} events in its history"

    def erase(self) -> str:
        erased = self.api.expect("DELETE", f"/clients/{self.client_id}", 200)
        client = self.api.expect("GET", f"/clients/{self.client_id}", 200)
        if (erased.get("status"), client.get("status")) != ("erased", "erased"):
            raise StepFailed(f"the client is {client.get('status')} after its erasure")
        self.erased = True
        return f"client {self.client_id} erased"
