"""Schemathesis against the running API, from the API's own OpenAPI document.

The real handler behind the local gateway on a loopback port, a fresh migrated SQLite database and
the local Step Functions engine in-process (``POST /clients`` starts executions); a few clients are
onboarded through the API first, so that generated paths sometimes name one that exists, waiting
for a review or for documents. Every operation is called with a front-desk and with a managers
token, with requests generated from the document — valid for it (positive) and not (negative).

A run fails on any 5xx; on any answer the document does not declare (status code, content type, body
schema, headers); on a request valid for the document refused with a 4xx other than a documented 404
or 409; and on a caller outside a route's groups answered anything but 403. Values only the API
issues (a client id, a pagination cursor) are drawn from what it issued, or generated.

``CONTRACT_EXAMPLES`` is the number of generated requests aimed at over the whole run (1 000 by
default): ``CONTRACT_EXAMPLES=20000 .venv/bin/python -m pytest tests/api/test_schemathesis.py -n auto``.
"""

from __future__ import annotations

import json
import math
import os
import re
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hypothesis
import pytest
import requests
import schemathesis
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from lambdas.api.access import LAB_RESULTS_SCOPE
from lambdas.api.app import handler, openapi_document
from lambdas.shared.stepfunctions import reset_workflows
from local import engine_host
from local.gateway import LocalApiGateway, make_http_server
from local.sfn.clock import ManualClock
from local.tokens import KeyPair, issue_access_token, issue_token
from tests.workflows.conftest import application, point_the_api_at

pytestmark = pytest.mark.contract

CASES_AIMED = int(os.environ.get("CONTRACT_EXAMPLES", "1000"))
LAB_CLIENT = "lab-client"  # the lab's machine client: an access token with its scope, no groups
CALLERS = ("front-desk", "managers", LAB_CLIENT)
DOCUMENT = json.loads(openapi_document())
OPERATIONS = [(method.upper(), path) for path, item in DOCUMENT["paths"].items() for method in item]
LOCAL_RUNTIME = "http://127.0.0.1:3000"

# What a JSON Schema cannot say, so the document says it in words (the field's description): rules
# relative to today, and the numbering plans behind a valid phone number. A request valid for the
# document refused for one of these — the 422 naming the field, for that reason — is not a finding.
BEYOND_JSON_SCHEMA: list[tuple[str, str, re.Pattern[str]]] = [
    ("/clients", "body.birth_date", re.compile(r"in the future|age over \d+")),
    ("/clients", "body.phone", re.compile(r"not a (valid )?phone number")),
    # a special-use domain (.test, .invalid, .localhost, ...) can never receive the welcome
    ("/clients", "body.email", re.compile(r"special-use or reserved name")),
    ("/clients", "body.site_id", re.compile(r"^no site")),
    # a correction follows the same rules, and an address alone must suit the housing on record
    ("/clients/{client_id}", "body.phone", re.compile(r"not a (valid )?phone number")),
    ("/clients/{client_id}", "body.email", re.compile(r"special-use or reserved name")),
    ("/clients/{client_id}", "body.address", re.compile(r"when housing_situation is|goes with housing_situation")),
    ("/sites/{site_id}", "body.hours", re.compile(r"must open before it closes")),
    # a journey names the site's own stations: what exists is state, not schema
    ("/sites/{site_id}", "body.default_journey", re.compile(r"has no station")),
    # a counter's name is for one of the station's counters, given in the same body
    ("/sites/{site_id}/stations/{station_id}", "body.counter_names", re.compile(r"not one of the station's counters")),
    # an order names what exists: an onboarded client, a site, one of its frames
    ("/orders", "body.client_id", re.compile(r"^no client")),
    ("/tickets/{ticket_id}/client", "body.client_id", re.compile(r"^no client")),
    ("/orders", "body.site_id", re.compile(r"^no site")),
    ("/orders", "body.frame_sku", re.compile(r"has no frame")),
    # the programme's limits are the stage's settings; the rest ties one field to another, or to today
    *(
        ("/orders", f"body.prescription.{side}.{field}", reason)
        for side in ("right", "left")
        for field, reason in (
            ("sphere", re.compile(r"^must be from")),
            ("cylinder", re.compile(r"^must be from")),
            ("axis", re.compile(r"cylinder")),
            ("add", re.compile(r"lenses need a near addition|lenses have no addition")),
        )
    ),
    ("/orders", "body.prescription.heights", re.compile(r"lenses need the segment or fitting height")),
    ("/orders", "body.prescription.written_on", re.compile(r"on or before today|too old")),
    # a cursor is one this API made: its content is the previous page's last order
    ("/orders", "query.cursor", re.compile(r"cursor is not valid")),
    # the lab's reason goes with a rejection (the document's if/then/else says it; generators may not)
    ("/orders/{order_id}/lab-result", "body.reason", re.compile(r"with a rejection only")),
    ("/lab/orders/{order_id}/result", "body.reason", re.compile(r"with a rejection only")),
]
NEGATIVE_SHARE = 1 / 3  # of each operation's cases; the rest are valid for the document


def _takes_input(method: str, path: str) -> bool:
    operation = DOCUMENT["paths"][path][method.lower()]
    return bool(operation.get("parameters") or operation.get("requestBody"))


def _allowed(method: str, path: str, caller: str) -> bool:
    operation = DOCUMENT["paths"][path][method.lower()]
    if "security" not in operation:
        return True
    if "x-allowed-scopes" in operation:
        return caller == LAB_CLIENT
    return caller in operation["x-allowed-groups"]


def _refusal(method: str, path: str, caller: str) -> int:
    """A caller with the wrong kind of token (an ID token where an access token is needed, or the
    reverse) is refused by API Gateway itself: 401. The right kind outside the route's groups: 403."""
    machine_route = "x-allowed-scopes" in DOCUMENT["paths"][path][method.lower()]
    return 401 if machine_route != (caller == LAB_CLIENT) else 403


# Operations without input have one request to make; the others share the cases aimed at, a caller
# outside the route's groups a quarter of an allowed one's (every answer is the same 403).
REFUSED_SHARE = 1 / 4
_WEIGHTS = sum(
    1 if _allowed(method, path, caller) else REFUSED_SHARE
    for method, path in OPERATIONS
    for caller in CALLERS
    if _takes_input(method, path)
)
CASES_PER_OPERATION = max(12, math.ceil(CASES_AIMED / _WEIGHTS))


def _cases_for(method: str, path: str, caller: str) -> int:
    if not _takes_input(method, path):
        return 1
    if _allowed(method, path, caller):
        return CASES_PER_OPERATION
    return math.ceil(CASES_PER_OPERATION * REFUSED_SHARE)


@dataclass
class RunningApi:
    base_url: str
    session: requests.Session
    tokens: dict[str, str]
    client_ids: list[str] = field(default_factory=list)
    cursors: list[str] = field(default_factory=list)

    def call(self, method: str, path: str, caller: str, body: Any = None) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {self.tokens[caller]}"}
        response = self.session.request(method, f"{self.base_url}{path}", json=body, headers=headers, timeout=30)
        return response.status_code, response.json()


@pytest.fixture
def running_api(database_url: str, token_keys: KeyPair, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The API over HTTP on a free loopback port, Step Functions beside it, a few clients onboarded."""
    service = engine_host.build(tmp_path / "sfn", clock=ManualClock(start=time.time()))
    service.engine.start()
    sfn = engine_host.make_sfn_server("127.0.0.1", 0, service)
    api = make_http_server("127.0.0.1", 0, LocalApiGateway(handler, token_keys))
    for server in (sfn, api):
        threading.Thread(target=server.serve_forever, daemon=True).start()
    point_the_api_at(service, sfn, monkeypatch)
    running = RunningApi(
        base_url=f"http://127.0.0.1:{api.server_address[1]}",
        session=requests.Session(),
        tokens={
            **{caller: issue_token(token_keys, [caller], f"contract-{caller}") for caller in CALLERS[:-1]},
            LAB_CLIENT: issue_access_token(token_keys, "lab", [LAB_RESULTS_SCOPE]),
        },
    )
    try:
        _onboard_a_few(running)
        assert service.engine.wait_idle(30), "the onboarding executions did not settle"
        yield running
    finally:
        running.session.close()
        for server in (api, sfn):
            server.shutdown()
            server.server_close()
        service.engine.shutdown()
        reset_workflows()


def _onboard_a_few(api: RunningApi) -> None:
    """An active client, two waiting for documents, two suspected duplicates of the first."""
    bodies = [
        application(),
        application(first_name="Moussa", phone="+33612345001", evidence={"type": "none_yet"}),
        application(first_name="Fatou", phone="+33612345002", evidence={"type": "none_yet"}),
        application(phone="+33612345003"),
        application(phone="+33612345004"),
    ]
    for body in bodies:
        status, answer = api.call("POST", "/clients", "front-desk", body)
        assert status == 202, answer
        api.client_ids.append(answer["client_id"])
    status, page = api.call("GET", "/clients?limit=1", "managers")
    assert status == 200, page
    assert page["next_cursor"], page
    api.cursors.append(page["next_cursor"])


@dataclass
class Finding:
    check: str
    status: int
    message: str
    reproduce: str
    count: int = 1


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[" ".join(operation) for operation in OPERATIONS])
def test_the_api_keeps_its_openapi_contract(
    running_api: RunningApi, caller: str, method: str, path: str, record_property: Callable[[str, object], None]
) -> None:
    # Given the document the API serves (to people: the lab's client reads the same), and one caller
    served = running_api.session.get(
        f"{running_api.base_url}/openapi.json",
        headers={"Authorization": f"Bearer {running_api.tokens[CALLERS[0]]}"},
        timeout=30,
    )
    assert served.status_code == 200
    operation = schemathesis.openapi.from_dict(served.json())[path][method]
    allowed, refused = _allowed(method, path, caller), _refusal(method, path, caller)
    findings: dict[tuple[str, int, str], Finding] = {}
    sent: dict[str, int] = {"positive": 0, "negative": 0}
    answers: Counter[int] = Counter()

    def refused_callers_learn_nothing(ctx: Any, response: Any, case: Any) -> None:
        with_token = response.request.headers.get("Authorization") == f"Bearer {running_api.tokens[caller]}"
        if with_token and not allowed and response.status_code != refused:  # negative cases may drop it
            raise AssertionError(f"a caller the route refuses got {response.status_code}, not {refused}")

    def valid_requests_accepted(ctx: Any, response: Any, case: Any) -> None:
        if not allowed or case.meta is None or not case.meta.generation.mode.is_positive:
            return
        status = response.status_code
        if 200 <= status < 300 or (status in (404, 409) and str(status) in case.operation.responses.status_codes):
            return
        if status == 422 and _beyond_json_schema(path, _json(response.text).get("details") or []):
            return
        raise AssertionError(f"a request valid for the document was refused with {status}: {response.text[:500]}")

    checks = [
        not_a_server_error,
        status_code_conformance,
        content_type_conformance,
        response_schema_conformance,
        response_headers_conformance,
        refused_callers_learn_nothing,
        valid_requests_accepted,
    ]

    def exercise(mode: schemathesis.GenerationMode, examples: int) -> None:
        @hypothesis.given(
            case=operation.as_strategy(generation_mode=mode),
            client_id=st.sampled_from([None, *running_api.client_ids]),
            cursor=st.sampled_from([None, *running_api.cursors]),
        )
        @hypothesis.settings(
            max_examples=examples,
            deadline=None,
            database=None,
            derandomize=True,
            phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
            suppress_health_check=list(hypothesis.HealthCheck),
        )
        def one_request(case: Any, client_id: str | None, cursor: str | None) -> None:
            if mode.is_positive:  # what only the API issues comes from what it issued (or is generated)
                if client_id is not None and "client_id" in (case.path_parameters or {}):
                    case.path_parameters["client_id"] = client_id
                if case.query and "cursor" in case.query:
                    case.query["cursor"] = cursor or running_api.cursors[0]
            headers = {"Authorization": f"Bearer {running_api.tokens[caller]}"}
            response = case.call(base_url=running_api.base_url, session=running_api.session, headers=headers)
            sent[mode.value] += 1
            answers[response.status_code] += 1
            try:
                case.validate_response(response, checks=checks, headers=headers)
            except schemathesis.errors.FailureGroup as failures:
                for failure in failures.exceptions:
                    _record(findings, failure, response, case, headers)
            except AssertionError as failure:
                _record(findings, failure, response, case, headers)

        one_request()

    # When schemathesis sends requests valid for the document, then invalid ones
    cases = _cases_for(method, path, caller)
    negative = round(cases * NEGATIVE_SHARE) if _takes_input(method, path) else 0
    exercise(schemathesis.GenerationMode.POSITIVE, cases - negative)
    if negative:
        exercise(schemathesis.GenerationMode.NEGATIVE, negative)

    # Then every answer keeps the contract
    total = sum(sent.values())
    record_property("contract_cases", total)
    statuses = ", ".join(f"{count} x {status}" for status, count in sorted(answers.items()))
    summary = f"{total} requests ({sent['positive']} valid for the document; {statuses}), {len(findings)} failing"
    print(f"schemathesis: {method} {path} as {caller}: {summary}")
    assert total >= min(cases, 1), "no request was sent"
    assert not findings, _report(method, path, caller, total, findings)


def _beyond_json_schema(path: str, details: list[dict[str, Any]]) -> bool:
    """Whether every field the 422 names was refused for a rule the document can only state in words."""
    return bool(details) and all(
        any(
            path == rule_path
            and (str(detail.get("field")) == field or str(detail.get("field")).startswith(f"{field}."))
            and reason.search(str(detail.get("message")))
            for rule_path, field, reason in BEYOND_JSON_SCHEMA
        )
        for detail in details
    )


def _record(
    findings: dict[tuple[Any, ...], Finding], failure: BaseException, response: Any, case: Any, headers: dict[str, str]
) -> None:
    """One finding per kind: a refused valid request per field and reason, anything else per check and status."""
    title = str(getattr(failure, "title", None) or type(failure).__name__)
    message = str(getattr(failure, "message", None) or failure)
    if response.status_code >= 500:
        message += f": {response.text[:300]}"
    kinds = {(title, response.status_code, message.splitlines()[0][:80] if message else ""): message}
    if response.status_code == 422 and "valid_requests_accepted" in title:
        details = _json(response.text).get("details") or []
        refused: dict[tuple[Any, ...], str] = {
            (title, 422, d.get("field"), d.get("message")): f"{d.get('field')}: {d.get('message')}"
            for d in details
            if not _beyond_json_schema(case.operation.path, [d])
        }
        kinds = refused or kinds
    for key, text in kinds.items():
        if key in findings:
            findings[key].count += 1
        else:
            reproduce = case.as_curl_command(headers=headers, base_url=LOCAL_RUNTIME)
            findings[key] = Finding(title, response.status_code, text, reproduce)


def _json(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _report(method: str, path: str, caller: str, total: int, findings: dict[Any, Finding]) -> str:
    lines = [f"{method} {path} as {caller}: {len(findings)} kinds of failure in {total} requests"]
    for finding in findings.values():
        lines += [
            f"- {finding.check} ({finding.count}x): {finding.status}",
            f"  {finding.message[:1500]}",
            f"  reproduce: {finding.reproduce[:3000]}",
        ]
    return "\n".join(lines)
