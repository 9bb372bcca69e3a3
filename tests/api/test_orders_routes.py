"""The order routes as a careless or hostile caller reaches them, with Step Functions stubbed: every
refusal names its field or the order's status, and leaves nothing half-written."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from lambdas.shared.db.orders.models import Order, Prescription
from lambdas.shared.db.unit_of_work import UnitOfWork
from local.seed import SITE_ID
from tests.api.front_desk import open_site
from tests.databases import ON_BOTH_DATABASES
from tests.events import api_event, call_api
from tests.workflows.conftest import order_body

pytestmark = ON_BOTH_DATABASES

MANAGERS = ("managers",)
LAB_CLAIMS = {"sub": "lab-client-id", "client_id": "lab-client-id", "token_use": "access"}


@pytest.fixture
def client_id(database_url: str, monkeypatch: pytest.MonkeyPatch, make_client) -> str:
    open_site(monkeypatch)
    frame = {"description": "Acetate, black", "kind": "donated", "quantity": 5}
    assert call_api(api_event("PUT", f"/sites/{SITE_ID}/frames/RAY-01", body=frame, groups=MANAGERS))[0] == 200
    return make_client().id


def create(body: Any, headers: dict[str, str] | None = None) -> tuple[int, Any]:
    return call_api(api_event("POST", "/orders", body=body, headers=headers))


def stored() -> tuple[int, int]:
    with UnitOfWork("test") as uow:
        count = lambda model: uow.session.execute(select(func.count()).select_from(model)).scalar_one()  # noqa: E731
        return count(Order), count(Prescription)


def with_rx(client_id: str, **changes: Any) -> dict[str, Any]:
    body = order_body(client_id)
    body["prescription"] = {**body["prescription"], **changes}
    return body


def test_an_order_is_accepted_and_read_back(client_id: str) -> None:
    status, accepted = create(order_body(client_id))
    assert status == 202, accepted
    assert accepted["status_url"] == f"/orders/{accepted['order_id']}"
    status, order = call_api(api_event("GET", accepted["status_url"]))
    assert (status, order["status"], order["client_id"]) == (200, "received", client_id)
    assert order["prescription"]["right"] == {"sphere": "-2.25", "cylinder": "-0.50", "axis": 90}
    status, page = call_api(api_event("GET", "/orders", query={"client_id": client_id}))
    assert [item["order_id"] for item in page["items"]] == [accepted["order_id"]]
    assert "prescription" not in page["items"][0]  # lists never carry health data


def test_powers_are_read_back_as_opticians_write_them(client_id: str) -> None:
    status, accepted = create(
        with_rx(client_id, right={"sphere": -2, "cylinder": "-0.5", "axis": 90}, pd={"right": 31.5, "left": 32})
    )
    assert status == 202, accepted
    prescription = call_api(api_event("GET", accepted["status_url"]))[1]["prescription"]
    assert (prescription["right"], prescription["pd"]) == (
        {"sphere": "-2.00", "cylinder": "-0.50", "axis": 90},
        {"right": "31.5", "left": "32.0"},
    )


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"client_id": "not-a-uuid"}, "body.client_id"),
        ({"client_id": "00000000-0000-4000-8000-000000000000"}, "body.client_id"),
        ({"site_id": "nowhere"}, "body.site_id"),
        ({"frame_sku": "NONE-1"}, "body.frame_sku"),
        ({"frame_sku": "../etc"}, "body.frame_sku"),
        ({"lens": {"type": "monocle"}}, "body.lens.type"),
        ({"lens": {"type": "progressive"}}, "body.prescription.heights"),
        ({"lens": {"type": "single_vision", "coatings": ["uv", "uv"]}}, "body.lens.coatings"),
        ({"prescription": None}, "body.prescription"),
        ({"colour": "blue"}, "body.colour"),
    ],
)
def test_a_bad_order_names_its_field_and_stores_nothing(client_id: str, change: dict[str, Any], field: str) -> None:
    status, answer = create({**order_body(client_id), **change})
    assert status == 422, answer
    assert field in {detail["field"] for detail in answer["details"]}
    assert stored() == (0, 0)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"right": {"sphere": -2.25, "cylinder": -0.5}}, "body.prescription.right.axis"),
        ({"right": {"sphere": 25}}, "body.prescription.right.sphere"),
        ({"right": {"sphere": 1e308}}, "body.prescription.right.sphere"),
        ({"right": {"sphere": "NaN"}}, "body.prescription.right.sphere"),
        ({"left": {"sphere": -2.1}}, "body.prescription.left.sphere"),
        ({"pd": {"right": 31.5, "left": 55}}, "body.prescription.pd.left"),
        ({"written_on": "2019-01-01"}, "body.prescription.written_on"),
        ({"written_on": "2999-01-01"}, "body.prescription.written_on"),
        ({"written_on": 1700000000}, "body.prescription.written_on"),
        ({"prescriber": "\u200b"}, "body.prescription.prescriber"),
        ({"right": {"sphere": "-2.25" + "0" * 70000}}, "body.prescription.right.sphere"),
        ({"right": {"sphere": "1e-999999999"}}, "body.prescription.right.sphere"),
        ({"right": {"sphere": "-2_0"}}, "body.prescription.right.sphere"),  # Python's Decimal reads -20
        ({"right": {"sphere": "\u0662.\u0662\u0665"}}, "body.prescription.right.sphere"),  # Arabic-Indic 2.25
        ({"right": {"sphere": -2.25, "cylinder": -0.5, "axis": "90"}}, "body.prescription.right.axis"),
        ({"right": {"sphere": -2.25, "cylinder": -0.5, "axis": True}}, "body.prescription.right.axis"),
        ({"right": {"sphere": -2.25, "add": 2}}, "body.prescription.right.add"),  # single vision: no addition
    ],
)
def test_a_bad_prescription_names_its_field_and_stores_nothing(
    client_id: str, changes: dict[str, Any], field: str
) -> None:
    status, answer = create(with_rx(client_id, **changes))
    assert status == 422, answer
    assert [detail["field"] for detail in answer["details"]] == [field]
    assert stored() == (0, 0)


@pytest.mark.parametrize(
    "status", ["pending", "awaiting_review", "awaiting_documents", "ineligible", "merged", "erased"]
)
def test_only_an_active_client_orders(database_url: str, client_id: str, make_client, status: str) -> None:
    other = make_client(status=status, first_name="Awa").id
    code, answer = create(order_body(other))
    assert (code, stored()) == (409, (0, 0)), answer
    assert status in answer["message"]


def test_every_rule_a_prescription_breaks_is_named(client_id: str) -> None:
    changes = {"right": {"sphere": -2.25, "cylinder": -0.5}, "left": {"sphere": 25}, "written_on": "2999-01-01"}
    status, answer = create(with_rx(client_id, **changes))
    assert status == 422, answer
    assert [detail["field"] for detail in answer["details"]] == [
        "body.prescription.right.axis",
        "body.prescription.left.sphere",
        "body.prescription.written_on",
    ]
    assert stored() == (0, 0)


def test_a_repeated_request_gives_back_the_first_order(client_id: str) -> None:
    first = create(order_body(client_id), headers={"Idempotency-Key": "desk-1-order-7"})
    again = create(order_body(client_id), headers={"Idempotency-Key": "desk-1-order-7"})
    assert first[0] == 202
    assert again == first
    other = create(with_rx(client_id, prescriber="Dr Other"), headers={"Idempotency-Key": "desk-1-order-7"})
    assert other[0] == 409
    assert stored() == (1, 1)


def test_each_prescription_is_a_new_version(client_id: str) -> None:
    create(order_body(client_id))
    create(with_rx(client_id, right={"sphere": "-2.50"}))  # the correction: a new version, a new order
    with UnitOfWork("test") as uow:
        versions = sorted(uow.session.scalars(select(Prescription.version)))
    assert versions == [1, 2]


@pytest.mark.parametrize(
    ("action", "body"),
    [
        ("frame", {"frame_sku": "RAY-01"}),
        ("lab-result", {"status": "shipped"}),
        ("quality-check", {"right": {"sphere": -2.25}, "left": {"sphere": -2}}),
        ("pickup", None),
    ],
)
def test_an_action_in_the_wrong_state_is_409_naming_it(client_id: str, action: str, body: Any) -> None:
    order_id = create(order_body(client_id))[1]["order_id"]
    status, answer = call_api(api_event("POST", f"/orders/{order_id}/{action}", body=body))
    assert (status, "is received" in answer["message"]) == (409, True), answer


@pytest.mark.parametrize("reading", ["-2_0", "\u0662", "2.25e0", " -2.25", "-2.25" + "0" * 70000, "NaN", True])
def test_a_lensmeter_reading_is_a_number_as_read(client_id: str, reading: Any) -> None:
    order_id = create(order_body(client_id))[1]["order_id"]
    body = {"right": {"sphere": reading}, "left": {"sphere": -2}}
    status, answer = call_api(api_event("POST", f"/orders/{order_id}/quality-check", body=body))
    assert (status, [detail["field"] for detail in answer["details"]]) == (422, ["body.right.sphere"]), answer


@pytest.mark.parametrize(
    ("sphere", "message"),
    [
        ("-2_0", "write a number with digits and a point, e.g. -2.25"),  # not pydantic's "Value error, write ..."
        (1e308, "a number at most 30"),  # not "less than or equal to Decimal('30')"
        (2.2500000001, "a number in steps of 0.25"),
        (True, "a number, e.g. -2.25"),
    ],
)
def test_a_refusal_speaks_in_the_apis_words(client_id: str, sphere: object, message: str) -> None:
    status, answer = create(with_rx(client_id, right={"sphere": sphere}))
    assert (status, answer["details"][0]["message"]) == (422, message)


def test_unknown_and_malformed_order_ids(client_id: str) -> None:
    unknown = "00000000-0000-4000-8000-000000000000"
    assert call_api(api_event("GET", f"/orders/{unknown}"))[0] == 404
    assert call_api(api_event("POST", f"/orders/{unknown}/cancel", body={"reason": "x"}))[0] == 404
    assert call_api(api_event("GET", "/orders/1; DROP TABLE orders"))[0] == 422
    assert call_api(api_event("GET", "/orders", query={"status": "lost"}))[0] == 422


def test_a_cancellation_needs_its_reason(client_id: str) -> None:
    order_id = create(order_body(client_id))[1]["order_id"]
    for body in (None, {}, {"reason": "  "}, {"reason": "x" * 201}):
        status, answer = call_api(api_event("POST", f"/orders/{order_id}/cancel", body=body))
        assert status == 422, answer
    assert call_api(api_event("GET", f"/orders/{order_id}"))[1]["status"] == "received"


def lab_event(path: str, body: Any, claims: dict[str, str]) -> dict[str, Any]:
    event = api_event("POST", path, body=body, groups=None)
    event["requestContext"]["authorizer"] = {"claims": claims}
    return event


def test_the_handler_checks_the_lab_scope_too(client_id: str) -> None:
    order_id = create(order_body(client_id))[1]["order_id"]
    path, body = f"/lab/orders/{order_id}/result", {"status": "in_production"}
    # a person's token, or a machine token without the scope: refused, even past API Gateway
    person = {"sub": "desk", "cognito:groups": "front-desk,lab", "token_use": "id"}
    assert call_api(lab_event(path, body, person))[0] == 403
    assert call_api(lab_event(path, body, {**LAB_CLAIMS, "scope": "fondation/other"}))[0] == 403
    # the lab's scope reaches the order (which is not at the lab yet)
    status, answer = call_api(lab_event(path, body, {**LAB_CLAIMS, "scope": "fondation/lab-results"}))
    assert (status, "is received" in answer["message"]) == (409, True)
    # and the lab's token opens no other route
    lab = {**LAB_CLAIMS, "scope": "fondation/lab-results"}
    assert call_api(lab_event(f"/orders/{order_id}/lab-result", body, lab))[0] == 403
    get = api_event("GET", f"/orders/{order_id}", groups=None)
    get["requestContext"]["authorizer"] = {"claims": lab}
    assert call_api(get)[0] == 403


def test_orders_come_in_pages_newest_first_each_once(client_id: str) -> None:
    created = [create(order_body(client_id))[1]["order_id"] for _ in range(5)]
    seen, cursor = [], None
    while True:
        query = {"client_id": client_id, "limit": "2", **({"cursor": cursor} if cursor else {})}
        status, page = call_api(api_event("GET", "/orders", query=query))
        assert status == 200, page
        assert len(page["items"]) <= 2
        seen += [item["order_id"] for item in page["items"]]
        if not (cursor := page["next_cursor"]):
            break
    assert sorted(seen) == sorted(created)
    assert len(seen) == len(set(seen)) == 5
    times = [call_api(api_event("GET", f"/orders/{order_id}"))[1]["created_at"] for order_id in seen]
    assert times == sorted(times, reverse=True)


def test_a_sites_orders_are_listed_by_stage(client_id: str) -> None:
    first, second = (create(order_body(client_id))[1]["order_id"] for _ in range(2))

    def listed(**query: str) -> list[str]:
        status, page = call_api(api_event("GET", "/orders", query=query))
        assert status == 200, page
        return [item["order_id"] for item in page["items"]]

    assert set(listed(site_id=SITE_ID)) == {first, second}
    waiting = call_api(api_event("GET", f"/orders/{first}"))[1]["status"]
    assert first in listed(site_id=SITE_ID, status=waiting)
    assert listed(site_id="bobigny") == []  # another site's, or no site's: none of these
    status, answer = call_api(api_event("GET", "/orders", query={"site_id": "Saint Denis"}))
    assert (status, [detail["field"] for detail in answer["details"]]) == (422, ["query.site_id"])


@pytest.mark.parametrize("cursor", ["forged", "WyJ4IiwieSJd", "WyJ4Il0"])  # not base64 JSON; a bad time; one part
def test_a_forged_orders_cursor_is_a_422(client_id: str, cursor: str) -> None:
    status, answer = call_api(api_event("GET", "/orders", query={"cursor": cursor}))
    assert (status, [detail["field"] for detail in answer["details"]]) == (422, ["query.cursor"])
