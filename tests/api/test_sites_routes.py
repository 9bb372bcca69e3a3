"""Managers configure sites and stations; the front desk and managers read them; every 4xx names the field."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from lambdas.shared.db.records.models import AuditEntry
from lambdas.shared.db.unit_of_work import UnitOfWork
from tests.databases import ON_BOTH_DATABASES
from tests.events import api_event, call_api

pytestmark = ON_BOTH_DATABASES

SITE = {
    "name": "Saint-Denis",
    "timezone": "Europe/Paris",
    "hours": {"mon": ["09:00", "17:30"], "wed": ["09:00", "12:30"]},
    "grace_seconds": 180,
}
RECEPTION = {"name": "Accueil", "prefix": "A", "counters": ["desk-1", "desk-2"]}
EYE_EXAM = {"name": "Examen de vue", "prefix": "E", "counters": ["room-1"]}


def _put(path: str, body: dict, groups: tuple[str, ...] = ("managers",)):
    return call_api(api_event("PUT", path, body=body, groups=groups))


def _configured_site() -> None:
    assert _put("/sites/saint-denis", SITE)[0] == 200
    assert _put("/sites/saint-denis/stations/reception", RECEPTION)[0] == 200
    assert _put("/sites/saint-denis/stations/eye-exam", EYE_EXAM)[0] == 200


def test_a_manager_configures_a_site_its_stations_and_its_journey() -> None:
    _configured_site()
    status, site = _put("/sites/saint-denis", {**SITE, "default_journey": ["reception", "eye-exam"]})
    assert status == 200, site
    assert site["default_journey"] == ["reception", "eye-exam"]
    assert [station["prefix"] for station in site["stations"]] == ["A", "E"]
    # the front desk reads it, alone or among all sites
    status, read = call_api(api_event("GET", "/sites/saint-denis", groups=("front-desk",)))
    assert (status, read) == (200, site)
    status, page = call_api(api_event("GET", "/sites", groups=("front-desk",)))
    assert [item["site_id"] for item in page["items"]] == ["saint-denis"]
    with UnitOfWork("test") as uow:
        actions = [entry.action for entry in uow.session.scalars(select(AuditEntry).filter_by(entity_id="saint-denis"))]
    assert actions.count("site.configured") == 2
    assert actions.count("station.configured") == 2


def test_counters_have_names_people_read_and_a_screen_its_languages() -> None:
    _configured_site()
    # a station's counters keep their ids; the names are what people read and hear
    names = {"desk-1": "Guichet 1", "desk-2": "Guichet 2"}
    status, station = _put("/sites/saint-denis/stations/reception", {**RECEPTION, "counter_names": names})
    assert (status, station["counters"], station["counter_names"]) == (200, ["desk-1", "desk-2"], names)
    status, site = _put("/sites/saint-denis", {**SITE, "screen_languages": ["fr", "en"]})
    assert (status, site["screen_languages"]) == (200, ["fr", "en"])
    # unless given, a station's counters have no name, and a screen speaks French
    status, eye_exam = _put("/sites/saint-denis/stations/eye-exam", EYE_EXAM)
    assert (status, eye_exam["counter_names"]) == (200, {})
    assert _put("/sites/saint-denis", SITE)[1]["screen_languages"] == ["fr"]


def test_a_counter_stays_while_someone_is_called_to_it() -> None:
    every_day = {day: ["00:00", "24:00"] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    _configured_site()
    assert _put("/sites/saint-denis", {**SITE, "hours": every_day, "default_journey": ["reception"]})[0] == 200
    desk = ("front-desk",)
    assert (
        call_api(api_event("POST", "/sites/saint-denis/tickets", body={"display_name": "Awa"}, groups=desk))[0] == 201
    )
    call = api_event("POST", "/sites/saint-denis/stations/reception/call-next", body={"counter": "desk-2"}, groups=desk)
    assert call_api(call)[0] == 200
    # desk-2 has called someone: it cannot go, desk-1 can
    status, body = _put("/sites/saint-denis/stations/reception", {**RECEPTION, "counters": ["desk-1"]})
    assert (status, body["error"]) == (409, "conflict")
    assert "desk-2 has A001 called" in body["message"]
    status, station = _put("/sites/saint-denis/stations/reception", {**RECEPTION, "counters": ["desk-2"]})
    assert (status, station["counters"]) == (200, ["desk-2"])


def test_configuring_again_replaces_the_settings() -> None:
    _configured_site()
    status, station = _put("/sites/saint-denis/stations/reception", {**RECEPTION, "counters": ["desk-3"]})
    assert (status, station["counters"]) == (200, ["desk-3"])
    status, site = _put("/sites/saint-denis", {**SITE, "grace_seconds": 300})
    assert (status, site["grace_seconds"], len(site["stations"])) == (200, 300, 2)


def test_a_journey_names_stations_the_site_has() -> None:
    _configured_site()
    status, body = _put("/sites/saint-denis", {**SITE, "default_journey": ["reception", "frame-fitting"]})
    assert status == 422
    assert [detail["field"] for detail in body["details"]] == ["body.default_journey.1"]
    assert "PUT /sites/saint-denis/stations/frame-fitting" in body["message"]


def test_two_stations_of_a_site_never_share_a_prefix() -> None:
    _configured_site()
    status, body = _put("/sites/saint-denis/stations/frame-fitting", {**RECEPTION, "name": "Montures"})
    assert (status, body["error"]) == (409, "conflict")
    assert "reception" in body["message"]


def test_a_station_needs_its_site() -> None:
    status, body = _put("/sites/nowhere/stations/reception", RECEPTION)
    assert (status, body["error"]) == (404, "not_found")


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/sites/Saint Denis", SITE, "path.site_id"),
        ("/sites/saint-denis", {**SITE, "timezone": "Paris"}, "body.timezone"),
        # the host's own zone, or none: they mean another zone on another machine
        ("/sites/saint-denis", {**SITE, "timezone": "localtime"}, "body.timezone"),
        ("/sites/saint-denis", {**SITE, "timezone": "Factory"}, "body.timezone"),
        ("/sites/saint-denis", {**SITE, "hours": {"mon": ["17:30", "09:00"]}}, "body.hours"),
        ("/sites/saint-denis", {**SITE, "hours": {"lundi": ["09:00", "17:30"]}}, "body.hours.lundi.[key]"),
        ("/sites/saint-denis", {**SITE, "hours": {"mon": ["9h", "17h"]}}, "body.hours.mon.0"),
        ("/sites/saint-denis", {**SITE, "grace_seconds": -1}, "body.grace_seconds"),
        ("/sites/saint-denis", {**SITE, "default_journey": ["reception", "reception"]}, "body.default_journey"),
        ("/sites/saint-denis", {**SITE, "name": "Saint\nDenis"}, "body.name"),
        ("/sites/saint-denis/stations/reception", {**RECEPTION, "prefix": "a"}, "body.prefix"),
        ("/sites/saint-denis/stations/reception", {**RECEPTION, "prefix": "ABCD"}, "body.prefix"),
        ("/sites/saint-denis/stations/reception", {**RECEPTION, "counters": []}, "body.counters"),
        ("/sites/saint-denis/stations/reception", {**RECEPTION, "counters": ["d", "d"]}, "body.counters"),
        # a name for a counter the station does not have, or a name no one could read
        (
            "/sites/saint-denis/stations/reception",
            {**RECEPTION, "counter_names": {"desk-9": "Guichet 9"}},
            "body.counter_names.desk-9",
        ),
        (
            "/sites/saint-denis/stations/reception",
            {**RECEPTION, "counter_names": {"desk-1": " "}},
            "body.counter_names.desk-1",
        ),
        (
            "/sites/saint-denis/stations/reception",
            {**RECEPTION, "counter_names": {"Desk 1": "G"}},
            "body.counter_names.Desk 1.[key]",
        ),
        (
            "/sites/saint-denis/stations/reception",
            {**RECEPTION, "counter_names": {"desk-1": "Guichet 1", "desk-2": "guichet 1"}},
            "body.counter_names.desk-2",
        ),
        ("/sites/saint-denis", {**SITE, "screen_languages": []}, "body.screen_languages"),
        ("/sites/saint-denis", {**SITE, "screen_languages": ["fr", "fr"]}, "body.screen_languages"),
        ("/sites/saint-denis", {**SITE, "screen_languages": ["ar"]}, "body.screen_languages.0"),
    ],
)
def test_bad_settings_name_their_field_and_change_nothing(path: str, body: dict, field: str) -> None:
    _configured_site()
    _, before = call_api(api_event("GET", "/sites/saint-denis", groups=("managers",)))
    status, answer = _put(path, body)
    assert status == 422, answer
    assert field in [detail["field"] for detail in answer["details"]]
    assert call_api(api_event("GET", "/sites/saint-denis", groups=("managers",)))[1] == before


def test_only_managers_configure_sites() -> None:
    status, _ = _put("/sites/saint-denis", SITE, groups=("front-desk",))
    assert status == 403
