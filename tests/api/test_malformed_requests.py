"""Bodies no route can read are the API's own 4xx, in its error format — never a 500, nothing stored."""

from __future__ import annotations

import base64
import json

import pytest
from sqlalchemy import func, select

from lambdas.api.requests import MAX_BODY_BYTES
from lambdas.shared.db.clients.models import Client
from lambdas.shared.db.unit_of_work import UnitOfWork
from tests.events import api_event, call_api, lambda_context
from tests.workflows.conftest import application

VALID = json.dumps(application())


def _post(body: bytes, content_type: str | None = "application/json", path: str = "/clients") -> tuple[int, dict]:
    headers = {"Content-Type": content_type} if content_type else {}
    event = api_event("POST", path, headers=headers)
    if content_type is None:
        del event["headers"]["Content-Type"], event["multiValueHeaders"]["Content-Type"]
    try:
        event["body"], event["isBase64Encoded"] = body.decode("utf-8"), False
    except UnicodeDecodeError:  # what API Gateway does with a binary body
        event["body"], event["isBase64Encoded"] = base64.b64encode(body).decode(), True
    return call_api(event)


def _clients() -> int:
    with UnitOfWork("test") as uow:
        return uow.session.execute(select(func.count()).select_from(Client)).scalar_one()


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (b"\xff", 400, "invalid_json"),
        (b'{"first_name": "Am\xe9lie"}', 400, "invalid_json"),  # Latin-1, not UTF-8
        (b"[" * 100_000 + b"]" * 100_000, 400, "invalid_json"),
        (b'{"a":' * 40 + b"1" + b"}" * 40, 400, "invalid_json"),
        (b'{"first_name": "A", "first_name": "B"}', 400, "invalid_json"),
        (b'{"consents": {"sms": true, "sms": false}}', 400, "invalid_json"),
        (b'{"birth_date": NaN}', 400, "invalid_json"),
        (b"{not json", 400, "invalid_json"),
        (b" " * (MAX_BODY_BYTES + 1), 413, "payload_too_large"),
    ],
    ids=[
        "not-utf8",
        "latin1",
        "deep-100000",
        "deep-40",
        "duplicate-key",
        "nested-duplicate-key",
        "nan",
        "not-json",
        "too-large",
    ],
)
def test_an_unreadable_body_is_a_4xx_in_the_error_format(body: bytes, status: int, code: str) -> None:
    answer = _post(body)
    assert answer[0] == status, answer
    assert answer[1]["error"] == code
    assert set(answer[1]) == {"error", "message", "details"}
    assert _clients() == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b'{"first_name": ' + b"9" * 5000 + b"}", "body.first_name"),
        (b'{"consents": {"data_processing": 1e999}}', "body.consents.data_processing"),
        (b'{"address": {"line1": -' + b"1" * 30 + b"}}", "body.address.line1"),
    ],
)
def test_a_number_out_of_range_is_a_422_naming_the_field(body: bytes, field: str) -> None:
    status, answer = _post(body)
    assert (status, answer["error"]) == (422, "invalid_request")
    assert [detail["field"] for detail in answer["details"]] == [field]


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data", None]
)
def test_a_body_that_is_not_declared_json_is_a_415(content_type: str | None) -> None:
    status, answer = _post(VALID.encode(), content_type)
    assert (status, answer["error"]) == (415, "unsupported_media_type")
    assert _clients() == 0


@pytest.mark.parametrize("content_type", ["application/json; charset=utf-8", "Application/JSON"])
def test_json_with_parameters_or_another_case_is_json(content_type: str) -> None:
    status, answer = _post(VALID.encode(), content_type)
    assert status == 202, answer
    assert _clients() == 1


def test_the_body_checks_apply_to_every_route_with_a_body(make_client) -> None:
    client = make_client(status="awaiting_review")
    for path in (f"/clients/{client.id}/duplicate-review", f"/clients/{client.id}/documents"):
        assert _post(b'{"decision": "same-person", "decision": "different-person"}', path=path)[0] == 400
        assert _post(b'{"decision": "same-person"}', "text/plain", path=path)[0] == 415


def test_a_caller_outside_the_routes_groups_learns_nothing_from_a_bad_body() -> None:
    event = api_event("POST", "/clients", groups=("managers",), headers={"Content-Type": "text/plain"})
    event["body"] = "\x00"
    status, answer = call_api(event)
    assert (status, answer["error"]) == (403, "forbidden")


@pytest.mark.parametrize(
    "event",
    [
        api_event("GET", "/health", groups=None),
        api_event("GET", "/clients"),
        api_event("GET", "/clients/00000000-0000-4000-8000-000000000000"),
        api_event("GET", "/clients", groups=("ops",)),
        api_event("POST", "/clients", body="{"),
    ],
    ids=["health", "search", "not-found", "forbidden", "invalid-json"],
)
def test_every_answer_is_kept_out_of_caches_and_type_sniffing(event) -> None:
    from lambdas.api.app import handler

    response = handler(event, lambda_context())
    headers = {name.lower(): values for name, values in response["multiValueHeaders"].items()}
    assert headers["cache-control"] == ["no-store"]
    assert headers["x-content-type-options"] == ["nosniff"]


@pytest.mark.parametrize("body", [b"[]", b'[{"first_name": "Amina"}]', b'"Amina"', b"42", b"null"])
def test_a_body_that_is_not_an_object_is_a_400(body: bytes) -> None:
    # Powertools would validate the first element of an array and drop the rest
    status, answer = _post(body)
    assert (status, answer["error"]) == (400, "invalid_request")
    assert _clients() == 0


@pytest.mark.parametrize("content_type", ["text/plain", "application/xml"])
def test_an_empty_body_declared_as_something_else_is_a_415(content_type: str) -> None:
    status, answer = _post(b"", content_type)
    assert (status, answer["error"]) == (415, "unsupported_media_type")


def test_an_empty_json_body_is_a_422_naming_the_body() -> None:
    status, answer = _post(b"")
    assert status == 422
    assert [detail["field"] for detail in answer["details"]] == ["body"]


def test_an_answer_names_the_first_invalid_fields_not_thousands() -> None:
    from lambdas.api.errors import MAX_DETAILS

    body = json.dumps({f"extra_{index}": 1 for index in range(5000)}).encode()
    status, answer = _post(body)
    assert status == 422
    assert len(answer["details"]) == MAX_DETAILS
    assert "more" in answer["message"]
    assert len(json.dumps(answer)) < 10_000


def test_a_cursor_that_no_page_could_have_given_is_a_422() -> None:
    cursor = base64.urlsafe_b64encode(json.dumps(["\ud800", "x"]).encode()).decode().rstrip("=")
    status, answer = call_api(api_event("GET", "/clients", query={"cursor": cursor}))
    assert (status, [detail["field"] for detail in answer["details"]]) == (422, ["query.cursor"])


def test_an_invalid_document_type_is_named_in_plain_words(make_client) -> None:
    client = make_client(status="awaiting_documents")
    status, answer = _post(b'{"type": "none_yet", "reference": "x"}', path=f"/clients/{client.id}/documents")
    assert status == 422
    assert "'social_benefit_certificate'" in answer["details"][0]["message"]
    assert "EvidenceType" not in answer["details"][0]["message"]
