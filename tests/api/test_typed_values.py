"""Counts and durations are JSON integers, dates and times are dates and times: never a boolean, a
string of digits, or a number of seconds since 1970. Anything else is a 422 naming the field, and
nothing is changed."""

from __future__ import annotations

from typing import Any

import pytest

from local.seed import SITE, SITE_ID, seed
from tests.events import api_event, call_api

MANAGER = ("managers",)
ORDER = "00000000-0000-4000-8000-000000000001"


@pytest.fixture(autouse=True)
def site(database_url: str) -> None:
    seed()


def _site(**changes: Any) -> dict[str, Any]:
    return {**SITE.model_dump(mode="json"), **changes}


@pytest.mark.parametrize(
    ("method", "path", "groups", "query", "body", "field"),
    [
        ("PUT", f"/sites/{SITE_ID}", MANAGER, None, _site(grace_seconds=True), "body.grace_seconds"),
        ("PUT", f"/sites/{SITE_ID}", MANAGER, None, _site(grace_seconds="180"), "body.grace_seconds"),
        ("PUT", f"/sites/{SITE_ID}", MANAGER, None, _site(priority_streak=False), "body.priority_streak"),
        ("PUT", f"/sites/{SITE_ID}", MANAGER, None, _site(service_minutes="8"), "body.service_minutes"),
        ("PUT", f"/sites/{SITE_ID}", MANAGER, None, _site(grace_seconds=180.5), "body.grace_seconds"),
        ("POST", f"/sites/{SITE_ID}/tickets", None, None, {"appointment_at": "0.0"}, "body.appointment_at"),
        ("POST", f"/sites/{SITE_ID}/tickets", None, None, {"appointment_at": 1767254400}, "body.appointment_at"),
        (
            "POST",
            f"/orders/{ORDER}/lab-result",
            None,
            None,
            {"status": "shipped", "expected_on": 0},
            "body.expected_on",
        ),
        ("GET", f"/sites/{SITE_ID}/tickets", None, {"day": "0.0"}, None, "query.day"),
        ("GET", f"/sites/{SITE_ID}/statistics", MANAGER, {"day": "0"}, None, "query.day"),
        ("GET", "/workflows", MANAGER, {"since": "0.0"}, None, "query.since"),
        ("GET", "/workflows", MANAGER, {"since": "2026-12-01T08:00:00"}, None, "query.since"),  # no offset
        ("GET", "/clients", None, {"limit": "20.0"}, None, "query.limit"),
        ("GET", "/orders", None, {"limit": "true"}, None, "query.limit"),
        ("GET", "/workflows/order-fulfilment/executions", MANAGER, {"limit": "+5"}, None, "query.limit"),
    ],
    ids=[
        "grace-true",
        "grace-text",
        "streak-false",
        "service-text",
        "grace-fraction",
        "appointment-number-text",
        "appointment-seconds",
        "expected-on-seconds",
        "day-number",
        "statistics-day-number",
        "since-number",
        "since-without-offset",
        "limit-decimal",
        "limit-boolean",
        "limit-signed",
    ],
)
def test_a_value_of_the_wrong_type_is_a_422_naming_the_field(
    method: str, path: str, groups: tuple[str, ...] | None, query: dict[str, str] | None, body: Any, field: str
) -> None:
    status, answer = call_api(api_event(method, path, groups=groups or ("front-desk",), query=query, body=body))
    assert (status, answer["error"]) == (422, "invalid_request"), answer
    assert field in [detail["field"] for detail in answer["details"]]
    # and nothing changed
    status, site = call_api(api_event("GET", f"/sites/{SITE_ID}"))
    assert (site["grace_seconds"], site["priority_streak"], site["service_minutes"]) == (
        SITE.grace_seconds or 180,
        SITE.priority_streak,
        SITE.service_minutes,
    )


def test_the_same_values_written_as_they_should_be_are_taken() -> None:
    status, site = call_api(api_event("PUT", f"/sites/{SITE_ID}", groups=MANAGER, body=_site(grace_seconds=120.0)))
    assert (status, site["grace_seconds"]) == (200, 120)  # 120.0 is an integer to JSON Schema too
    status, _ = call_api(api_event("GET", f"/sites/{SITE_ID}/tickets", query={"day": "2026-12-07"}))
    assert status == 200
    status, _ = call_api(api_event("GET", "/clients", query={"limit": "20"}))
    assert status == 200
