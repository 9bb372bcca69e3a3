"""The smoke test against fake APIs in threads: where the ID token may go (never in a redirect, never to
a host outside the stack's), answers that are not what they should be (a FAIL line, never a traceback),
a lost onboarding answer (the same request again, so the client is found and erased), and clean-up that
an interruption (SIGTERM, SIGHUP, a second Ctrl-C) cannot skip."""

from __future__ import annotations

import io
import json
import os
import re
import shlex
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from stage import __main__ as cli
from stage.smoke import Api, CognitoIdentity, Smoke, StepFailed, api_base, console_api
from tests.stage.test_smoke import REGION, user_pool, users

REPO_ROOT = Path(__file__).resolve().parents[2]
CLIENT = "4f0c6d2e-0000-4000-8000-000000000001"
EXECUTION = f"/workflows/client-onboarding/executions/client-{CLIENT}"
API_URL = "https://abc123.execute-api.eu-west-3.amazonaws.com/dev/"
CONSOLE_URL = "https://d111111abcdef8.cloudfront.net/console/"


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


# A quirk answers one request in place of the fake API: given the handler, it writes what it likes
Quirk = Callable[[BaseHTTPRequestHandler], None]


@dataclass
class FakeApi:
    """A stage's API serving a whole smoke run, but for the ``quirks`` (by "METHOD /path", each used once)."""

    url: str = ""
    seen: list[Seen] = field(default_factory=list)
    quirks: dict[str, list[Quirk]] = field(default_factory=dict)
    made: bool = False  # whether POST /clients made the client
    erased: bool = False

    def answer(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        request = f"{handler.command} {handler.path}"
        self.seen.append(Seen(handler.command, handler.path, dict(handler.headers), json.loads(raw) if raw else None))
        if handler.command == "POST" and handler.path == "/clients":
            self.made = True  # made before answering: a lost answer leaves it behind
        if self.quirks.get(request):
            self.quirks[request].pop(0)(handler)
            return
        status, body = self.route(handler.command, handler.path)
        send(handler, status, json.dumps(body).encode())

    def route(self, method: str, path: str) -> tuple[int, Any]:
        if (method, path) == ("GET", "/health"):
            return 200, {"status": "ok"}
        if (method, path) == ("POST", "/clients"):
            return 202, {"client_id": CLIENT}
        if (method, path) == ("GET", EXECUTION):
            output = {"outcome": "active", "client_id": CLIENT}
            return 200, {"status": "succeeded", "workflow": "client-onboarding", "output": output}
        if (method, path) == ("GET", f"{EXECUTION}/history"):
            return 200, {"events": [{}, {}]}
        if (method, path) == ("DELETE", f"/clients/{CLIENT}"):
            self.erased = True
            return 200, {"status": "erased"}
        if (method, path) == ("GET", f"/clients/{CLIENT}"):
            return 200, {"status": "erased" if self.erased else "active"}
        return 404, {"message": "Not Found"}


def send(handler: BaseHTTPRequestHandler, status: int, body: bytes, content_type: str = "application/json") -> None:
    handler.send_response(status)
    handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


@pytest.fixture
def serve() -> Iterator[Callable[[FakeApi], FakeApi]]:
    """Starts a fake API on 127.0.0.1 in a thread; stopped after the test."""
    servers: list[ThreadingHTTPServer] = []

    def start(api: FakeApi) -> FakeApi:
        class Handler(BaseHTTPRequestHandler):
            def do_any(self) -> None:
                api.answer(self)

            do_GET = do_POST = do_DELETE = do_any

            def log_message(self, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        api.url = f"http://127.0.0.1:{server.server_address[1]}"
        return api

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


class Token:
    """A signed-in person without Cognito: the token, and whether the clean-up removed the person."""

    description = "a test token"
    unreachable = "start the test server"

    def __init__(self) -> None:
        self.removed = False

    def sign_in(self) -> str:
        return "the-id-token"

    def sign_out(self) -> str | None:
        self.removed = True
        return "removed"


def run(api: FakeApi, identity: Any = None, **options: Any) -> tuple[int, str]:
    out = io.StringIO()
    code = Smoke(Api(api.url, timeout=options.pop("timeout", 5)), identity or Token(), out, poll_seconds=0).main()
    return code, out.getvalue()


def fail_line(output: str, step: str) -> str:
    found = re.search(rf"^FAIL +[0-9.]+s  {re.escape(step)}: (.*)$", output, re.MULTILINE)
    assert found, output
    return found.group(1)


# Where the token may go


def test_a_redirect_is_refused_naming_its_host_and_the_token_never_reaches_it(serve: Any) -> None:
    # Given an API that redirects to another host, which records what reaches it
    elsewhere = serve(FakeApi())
    target = elsewhere.url.replace("127.0.0.1", "localhost")

    def redirect(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(302)
        handler.send_header("Location", f"{target}/health")
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    api = serve(FakeApi(quirks={"GET /health": [redirect], "POST /clients": [redirect]}))
    # When the API is called with the token, then the redirect is not followed
    with pytest.raises(StepFailed, match=r"GET http://127\.0\.0\.1:\d+/health answered 302, a redirect to localhost"):
        Api(api.url, token="the-id-token").call("GET", "/health")
    with pytest.raises(StepFailed, match=r"a redirect to localhost: not followed"):
        Api(api.url, token="the-id-token").call("POST", "/clients", body={})
    # And nothing reached the other host
    assert elsewhere.seen == []


@pytest.mark.parametrize(
    ("url", "refused"),
    [
        ("https://evil.example/api", r"evil\.example is neither the stack's API nor its console"),
        ("http://d111111abcdef8.cloudfront.net/api", r"is not https"),
        ("https://d111111abcdef8.cloudfront.net:8443/api", r"neither the stack's API nor its console"),
        ("ftp://d111111abcdef8.cloudfront.net/api", r"is not an http\(s\) URL"),
        ("https://d111111abcdef8.cloudfront.net/api?x=1", r"is not an http\(s\) URL without a query"),
        ("https://ops:s3cret@d111111abcdef8.cloudfront.net/api", r"holds a user name or password"),
    ],
)
def test_a_deployed_stage_takes_only_https_to_the_stacks_hosts(url: str, refused: str) -> None:
    with pytest.raises(ValueError, match=refused) as error:
        api_base(url, [API_URL, CONSOLE_URL])
    assert "s3cret" not in str(error.value)


def test_the_stacks_api_and_console_are_taken_and_a_local_url_may_be_http() -> None:
    assert api_base(API_URL, [API_URL, CONSOLE_URL]) == API_URL.rstrip("/")
    assert api_base(console_api(CONSOLE_URL), [API_URL, CONSOLE_URL]) == "https://d111111abcdef8.cloudfront.net/api"
    assert api_base("http://127.0.0.1:3000/") == "http://127.0.0.1:3000"
    with pytest.raises(ValueError, match="holds a user name or password") as error:
        api_base("http://me:s3cret@127.0.0.1:3000")
    assert "s3cret" not in str(error.value)


class Stack:
    """CloudFormation's describe_stacks for a deployed stack with these outputs."""

    def __init__(self, outputs: dict[str, str]) -> None:
        self.outputs = outputs

    def describe_stacks(self, StackName: str) -> dict[str, Any]:
        return {"Stacks": [{"Outputs": [{"OutputKey": k, "OutputValue": v} for k, v in self.outputs.items()]}]}


@pytest.fixture
def deployed(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., tuple[str, str]]]:
    """A deployed dev stack: its outputs (overridable) in a fake CloudFormation, its pool in moto's."""
    with mock_aws():
        cognito = boto3.client("cognito-idp", region_name=REGION)
        pool, client = user_pool(cognito, ["ALLOW_ADMIN_USER_PASSWORD_AUTH"])

        def stack(**outputs: str) -> tuple[str, str]:
            given = {"ApiUrl": API_URL, "ConsoleUrl": CONSOLE_URL, "UserPoolId": pool, "FrontEndClientId": client}
            given = {k: v for k, v in {**given, **outputs}.items() if v}
            services = {"cloudformation": Stack(given), "cognito-idp": cognito}
            monkeypatch.setattr(cli, "_clients", lambda region: services.__getitem__)
            return pool, client

        yield stack
        assert users(cognito, pool) == []  # whatever the test, no user was left (or made)


def refused(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    """What the command said on stderr as it refused to start (exit 2)."""
    with pytest.raises(SystemExit) as stopped:
        cli.main(argv)
    assert stopped.value.code == 2
    return capsys.readouterr().err


def test_an_api_url_outside_the_stack_is_refused_before_any_user_is_made(
    deployed: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    deployed()
    said = refused(capsys, ["smoke", "--stage", "dev", "--api-url", "https://evil.example/dev"])
    assert re.match(r"^--api-url: .*evil\.example is neither the stack's API nor its console", said)


def test_a_deployed_stage_is_smoked_through_the_consoles_api_path_by_default(
    deployed: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    deployed()
    used: list[str] = []

    def main(self: Smoke) -> int:
        used.append(self.api.url)
        return 0

    monkeypatch.setattr(Smoke, "main", main)
    assert cli.main(["smoke", "--stage", "dev"]) == 0
    assert used == ["https://d111111abcdef8.cloudfront.net/api"]
    assert capsys.readouterr().out.strip().endswith("of dev: https://d111111abcdef8.cloudfront.net/api")
    # And --api-url may still name the execute-api URL
    assert cli.main(["smoke", "--stage", "dev", "--api-url", API_URL]) == 0
    assert used[-1] == API_URL.rstrip("/")


def test_a_url_with_a_password_is_refused_locally_too_and_the_password_never_printed(
    capsys: pytest.CaptureFixture[str],
) -> None:
    said = refused(capsys, ["smoke", "--stage", "local", "--api-url", "http://ops:s3cret@127.0.0.1:9/"])
    assert re.match(r"^--api-url: 'http://127\.0\.0\.1:9/' holds a user name", said)
    assert "s3cret" not in said


def test_a_stack_without_the_outputs_is_refused_naming_them(deployed: Any, capsys: pytest.CaptureFixture[str]) -> None:
    deployed(ConsoleUrl="", ApiUrl="")
    said = refused(capsys, ["smoke", "--stage", "dev"])
    assert said.startswith("the stack Fondation-dev has no output ApiUrl, ConsoleUrl: deploy")


def test_an_unknown_stage_is_refused_naming_the_stages(capsys: pytest.CaptureFixture[str]) -> None:
    said = refused(capsys, ["smoke", "--stage", "dev; echo hi"])
    assert said.startswith("--stage: no stage 'dev; echo hi' in infra/settings.py (choose one of")


def test_the_user_is_signed_out_everywhere_before_it_is_deleted() -> None:
    cognito = boto3.client("cognito-idp", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x")
    user = {"UserPoolId": "pool", "Username": "smoke-7"}
    identity = CognitoIdentity(cognito, "pool", "client", "smoke-7")
    with Stubber(cognito) as stubbed:
        stubbed.add_response("admin_user_global_sign_out", {}, user)
        stubbed.add_response("admin_delete_user", {}, user)
        identity.created = True
        assert identity.sign_out() == "signed out and deleted smoke-7"
        # A sign-out that fails still deletes the user
        stubbed.add_client_error("admin_user_global_sign_out", "InternalErrorException", expected_params=user)
        stubbed.add_response("admin_delete_user", {}, user)
        identity.created = True
        with pytest.raises(cognito.exceptions.InternalErrorException):
            identity.sign_out()
        stubbed.assert_no_pending_responses()


# Answers that are not what they should be


def html(handler: BaseHTTPRequestHandler) -> None:
    send(handler, 200, b"<html><body>CloudFront</body></html>", "text/html")


def a_list(handler: BaseHTTPRequestHandler) -> None:
    send(handler, 200, b"[1, 2]")


def truncated(handler: BaseHTTPRequestHandler) -> None:
    handler.send_response(200)
    handler.send_header("Content-Length", "100")
    handler.end_headers()
    handler.wfile.write(b'{"status": "succ')
    handler.close_connection = True


def not_http(handler: BaseHTTPRequestHandler) -> None:
    handler.wfile.write(b"SSH-2.0-OpenSSH_9.6\r\n")
    handler.close_connection = True


@pytest.mark.parametrize(
    ("quirk", "says"),
    [
        (html, r"answered 200 without an execution: <html>"),
        (a_list, r"answered 200 without an execution: \[1, 2\]"),
        (truncated, r"no answer \(IncompleteRead"),
        (not_http, r"no answer \(BadStatusLine"),
    ],
)
def test_an_odd_answer_while_waiting_fails_the_step_and_the_client_is_erased(
    serve: Any, quirk: Quirk, says: str
) -> None:
    api = serve(FakeApi(quirks={f"GET {EXECUTION}": [quirk]}))
    identity = Token()
    code, output = run(api, identity)
    assert code == 1
    assert re.search(says, fail_line(output, "wait for the onboarding to succeed")), output
    assert output.splitlines()[-1] == "smoke test FAILED at: wait for the onboarding to succeed"
    assert api.erased
    assert identity.removed


@pytest.mark.parametrize("quirk", [html, a_list, truncated, not_http])
def test_an_odd_answer_to_a_read_fails_the_step(serve: Any, quirk: Quirk) -> None:
    api = serve(FakeApi(quirks={f"GET {EXECUTION}/history": [quirk]}))
    code, output = run(api)
    assert code == 1
    assert fail_line(output, "read the execution")
    assert api.erased


def test_an_answer_without_a_client_id_fails_the_onboarding(serve: Any) -> None:
    refused = send_json(400, {"message": "invalid"})
    api = serve(FakeApi(quirks={"POST /clients": [refused]}))
    code, output = run(api)
    assert code == 1
    assert fail_line(output, "onboard a test client").startswith("POST /clients answered 400, not 202")
    assert [seen.method for seen in api.seen].count("POST") == 1  # refused: nothing to look for


def send_json(status: int, body: Any) -> Quirk:
    return lambda handler: send(handler, status, json.dumps(body).encode())


# A lost answer to the onboarding


def slow(handler: BaseHTTPRequestHandler) -> None:
    time.sleep(1.5)  # past the client's timeout: the client is made, its answer lost
    send(handler, 202, json.dumps({"client_id": CLIENT}).encode())


@pytest.mark.parametrize("lost", [slow, html, truncated, send_json(502, {"message": "Bad Gateway"})])
def test_a_lost_onboarding_answer_is_asked_again_with_the_same_key_and_the_client_erased(
    serve: Any, lost: Quirk
) -> None:
    # Given an API that makes the client but whose first answer is lost
    api = serve(FakeApi(quirks={"POST /clients": [lost]}))
    # When the smoke test runs
    code, output = run(api, timeout=0.5)
    # Then it sent the same request with the same key again, learnt the client, and went through
    posts = [seen for seen in api.seen if seen.method == "POST"]
    assert len(posts) == 2, output
    assert posts[0].headers["Idempotency-Key"] == posts[1].headers["Idempotency-Key"]
    assert posts[0].body == posts[1].body
    assert code == 0, output
    assert api.erased


def test_an_onboarding_never_answered_is_looked_for_in_the_clean_up(serve: Any) -> None:
    # Given an API that makes the client but loses every answer until the run has failed
    api = serve(FakeApi(quirks={"POST /clients": [html, html, html]}))
    # When the smoke test runs, then it fails at the onboarding
    code, output = run(api)
    assert code == 1
    assert "answered 200: <html>" in fail_line(output, "onboard a test client")
    # And the same request, sent again on the way out, finds the client, which is erased
    assert re.search(rf"^ok +[0-9.]+s  find the test client \(cleaning up\): client {CLIENT}$", output, re.M)
    assert api.erased


# Interruptions


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_sigterm_or_sighup_still_erases_the_client_and_deletes_the_user(
    signum: signal.Signals, serve: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    api = serve(FakeApi())
    identity = Token()
    real_call = Api.call

    def call(self: Api, method: str, path: str, **options: Any) -> tuple[int, Any]:
        if path == EXECUTION:
            os.kill(os.getpid(), signum)
            time.sleep(1)  # the handler raises here, in the main thread
        return real_call(self, method, path, **options)

    monkeypatch.setattr(Api, "call", call)
    before = signal.getsignal(signum)
    out = io.StringIO()
    with pytest.raises(KeyboardInterrupt):
        Smoke(Api(api.url), identity, out, poll_seconds=0).main()
    assert "wait for the onboarding to succeed: interrupted" in out.getvalue()
    assert api.erased
    assert identity.removed
    # And the signal is handled as before the run again
    assert signal.getsignal(signum) is before


def test_a_second_ctrl_c_during_the_erasure_still_deletes_the_user(serve: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a Ctrl-C while waiting, and another while the clean-up erases the client
    api = serve(FakeApi())
    with mock_aws():
        cognito = boto3.client("cognito-idp", region_name=REGION)
        pool, client = user_pool(cognito, ["ALLOW_ADMIN_USER_PASSWORD_AUTH"])
        real_call = Api.call

        def call(self: Api, method: str, path: str, **options: Any) -> tuple[int, Any]:
            if path == EXECUTION or method == "DELETE":
                raise KeyboardInterrupt
            return real_call(self, method, path, **options)

        monkeypatch.setattr(Api, "call", call)
        out = io.StringIO()
        # When the smoke test runs, then the interruption reaches the caller
        with pytest.raises(KeyboardInterrupt):
            Smoke(Api(api.url), CognitoIdentity(cognito, pool, client, "smoke-8"), out, poll_seconds=0).main()
        # And the user was deleted all the same
        assert "erase the client (cleaning up): interrupted" in out.getvalue()
        assert "remove the user: signed out and deleted smoke-8" in out.getvalue()
        assert users(cognito, pool) == []


def test_an_interrupted_run_exits_130_after_its_clean_up(
    serve: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def ctrl_c(self: Smoke) -> str:
        raise KeyboardInterrupt

    api = serve(FakeApi())
    monkeypatch.setattr(cli, "_local_target", lambda api_url, run: (api.url, Token()))
    monkeypatch.setattr(Smoke, "wait", ctrl_c)
    assert cli.main(["smoke", "--stage", "local"]) == 130
    assert capsys.readouterr().out.splitlines()[-1].startswith("smoke test interrupted")
    assert api.erased


# The Makefile


@pytest.mark.parametrize("target", ["smoke", "preflight"])
def test_the_makefile_passes_the_stage_and_url_as_single_words(target: str) -> None:
    # (make -n prints the commands, runs none; a $(…) is make's own, expanded before any shell)
    stage, url = 'dev; echo hi `id` "quoted"', "https://x'; echo y"
    # (run under make test too: a make of its own, not a sub-make printing its directories)
    alone = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    ran = subprocess.run(
        ["make", "-n", target, f"STAGE={stage}", f"API_URL={url}"],
        cwd=REPO_ROOT,
        env=alone,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    words = shlex.split(ran.stdout.splitlines()[-1])
    assert words[words.index("--stage") + 1] == stage
    if target == "smoke":
        assert words[words.index("--api-url") + 1] == url
