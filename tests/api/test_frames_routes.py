"""A site's frame stock: set, restocked and read through the API; bad input named, nothing half-written."""

from __future__ import annotations

from typing import Any

import pytest

from local.seed import SITE_ID, seed
from tests.databases import ON_BOTH_DATABASES
from tests.events import api_event, call_api

pytestmark = ON_BOTH_DATABASES

MANAGERS = ("managers",)
FRAME = {"description": "Acetate, black, 52-18", "kind": "donated", "quantity": 3}


@pytest.fixture(autouse=True)
def site(database_url: str) -> None:
    seed()


def put(sku: str, body: Any, site_id: str = SITE_ID) -> tuple[int, Any]:
    return call_api(api_event("PUT", f"/sites/{site_id}/frames/{sku}", body=body, groups=MANAGERS))


def restock(sku: str, body: Any, site_id: str = SITE_ID) -> tuple[int, Any]:
    return call_api(api_event("POST", f"/sites/{site_id}/frames/{sku}/restock", body=body, groups=MANAGERS))


def stock(site_id: str = SITE_ID) -> dict[str, int]:
    status, page = call_api(api_event("GET", f"/sites/{site_id}/frames"))
    assert status == 200, page
    return {item["sku"]: item["quantity"] for item in page["items"]}


def test_a_manager_sets_restocks_and_replaces_a_frames_stock() -> None:
    status, frame = put("RAY-2140", FRAME)
    assert (status, frame) == (200, {"site_id": SITE_ID, "sku": "RAY-2140", **FRAME})
    assert restock("RAY-2140", {"quantity": 2})[1]["quantity"] == 5
    assert put("RAY-2140", {**FRAME, "quantity": 1, "kind": "new"})[1] == {
        "site_id": SITE_ID, "sku": "RAY-2140", **FRAME, "quantity": 1, "kind": "new"}  # fmt: skip
    put("OAK-01", {**FRAME, "quantity": 0})
    assert stock() == {"OAK-01": 0, "RAY-2140": 1}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**FRAME, "quantity": -1}, "body.quantity"),
        ({**FRAME, "quantity": 100_001}, "body.quantity"),
        ({**FRAME, "quantity": "many"}, "body.quantity"),
        ({**FRAME, "kind": "borrowed"}, "body.kind"),
        ({**FRAME, "description": "  "}, "body.description"),
        ({**FRAME, "description": "x" * 201}, "body.description"),
        ({**FRAME, "colour": "red"}, "body.colour"),
        ({"kind": "new", "quantity": 1}, "body.description"),
    ],
)
def test_bad_settings_are_refused_naming_the_field(body: dict[str, Any], field: str) -> None:
    status, answer = put("RAY-2140", body)
    assert status == 422, answer
    assert field in {detail["field"] for detail in answer["details"]}
    assert stock() == {}


@pytest.mark.parametrize("sku", ["-RAY", "RAY 2140", "R" * 65, "RAY%2F1", "é", "ray-2140"])
def test_a_sku_is_letters_digits_dots_dashes_and_underscores(sku: str) -> None:
    status, answer = put(sku, FRAME)
    assert status in (404, 422), answer  # a slash never reaches the route: API Gateway finds no resource
    assert stock() == {}


@pytest.mark.parametrize("quantity", [0, -3, 100_001, 1.5, "two", None, True, "5"])
def test_a_restock_adds_at_least_one(quantity: Any) -> None:
    put("RAY-2140", FRAME)
    status, answer = restock("RAY-2140", {"quantity": quantity})
    assert (status, stock()) == (422, {"RAY-2140": 3}), answer


def test_an_unknown_site_or_sku_is_404() -> None:
    assert put("RAY-2140", FRAME, site_id="nowhere")[0] == 404
    assert restock("RAY-2140", {"quantity": 1})[0] == 404
    assert call_api(api_event("GET", "/sites/nowhere/frames"))[0] == 404


def test_a_restock_never_fills_a_shelf_past_its_limit() -> None:
    put("RAY-2140", {**FRAME, "quantity": 99_999})
    status, answer = restock("RAY-2140", {"quantity": 2})
    assert (status, answer["details"][0]["field"]) == (422, "body.quantity"), answer
    assert stock() == {"RAY-2140": 99_999}
