"""GET /clients/{client_id} and GET /clients, end to end through the handler and the database."""

from collections.abc import Callable
from datetime import date

import pytest

from lambdas.shared.db.clients.models import Client
from tests.databases import ON_BOTH_DATABASES
from tests.events import api_event, call_api
from tests.matrix import FAKE_ID

pytestmark = ON_BOTH_DATABASES


def test_get_client_returns_the_record(make_client: Callable[..., Client]) -> None:
    # Given a client
    client = make_client(email="amina@example.org", city="Saint-Denis", postal_code="93200")
    # When the front desk reads it
    status, body = call_api(api_event("GET", f"/clients/{client.id}"))
    # Then the record comes back
    assert status == 200
    assert body["client_id"] == client.id
    assert (body["first_name"], body["last_name"], body["birth_date"]) == ("Amina", "Diallo", "1961-04-02")
    assert body["status"] == "active"
    assert body["address"] == {
        "care_of": None,
        "line1": None,
        "line2": None,
        "postal_code": "93200",
        "city": "Saint-Denis",
    }


def test_get_unknown_client_is_404() -> None:
    status, body = call_api(api_event("GET", f"/clients/{FAKE_ID}"))
    assert status == 404
    assert body == {"error": "not_found", "message": f"client {FAKE_ID} not found", "details": []}


def test_get_client_with_a_malformed_id_names_the_field() -> None:
    status, body = call_api(api_event("GET", "/clients/not-a-uuid"))
    assert status == 422
    assert body["error"] == "invalid_request"
    assert [detail["field"] for detail in body["details"]] == ["path.client_id"]


@pytest.mark.parametrize("query", ["amina", "DIALLO", "Diallo Am", "dïallo", "0612", "+33 6 12", "06 12 34"])
def test_search_finds_by_name_or_phone(make_client: Callable[..., Client], query: str) -> None:
    amina = make_client()
    make_client(first_name="Paul", last_name="Bernard", phone="+33700000000")
    status, body = call_api(api_event("GET", "/clients", query={"q": query}))
    assert status == 200
    assert [item["client_id"] for item in body["items"]] == [amina.id]


def test_search_finds_by_birth_year_alone_or_with_a_name(make_client: Callable[..., Client]) -> None:
    # a birth date may be approximate (a year, a 1st of January): the whole year matches
    awa = make_client(first_name="Awa", last_name="Diallo", birth_date=date(1961, 1, 1))
    make_client(first_name="Awa", last_name="Sow", birth_date=date(1962, 12, 31), phone="+33700000001")
    make_client(first_name="Binta", last_name="Diallo", birth_date=date(1961, 12, 31), phone="+33700000002")

    def found(**query: object) -> list[str]:
        status, body = call_api(api_event("GET", "/clients", query=query))
        assert status == 200, body
        return [f"{item['first_name']} {item['last_name']}" for item in body["items"]]

    assert found(birth_year="1961") == ["Awa Diallo", "Binta Diallo"]
    assert found(q="awa", birth_year="1961") == [f"{awa.first_name} {awa.last_name}"]
    assert found(q="awa") == ["Awa Diallo", "Awa Sow"]
    assert found(birth_year="1990") == []


def test_search_treats_like_wildcards_as_text(make_client: Callable[..., Client]) -> None:
    make_client()
    status, body = call_api(api_event("GET", "/clients", query={"q": "%"}))
    assert (status, body["items"]) == (200, [])


def test_search_pages_through_every_client_once(make_client: Callable[..., Client]) -> None:
    # Given five clients, two sharing a name
    created = [make_client(first_name=name, last_name="Diallo") for name in ("Awa", "Binta", "Binta", "Coumba")]
    created.append(make_client(first_name="Zoe", last_name="Martin"))
    # When pages of two are followed by their cursors
    seen, cursor, pages = [], None, 0
    while True:
        query = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        status, body = call_api(api_event("GET", "/clients", query=query))
        assert status == 200
        seen += [item["client_id"] for item in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    # Then every client came once, in name order
    assert pages == 3
    assert sorted(seen) == sorted(client.id for client in created)
    assert seen[-1] == created[-1].id


def test_erased_clients_are_not_found_by_search(make_client: Callable[..., Client]) -> None:
    make_client(status="erased")
    status, body = call_api(api_event("GET", "/clients", query={"q": "amina"}))
    assert (status, body["items"]) == (200, [])


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"limit": "0"}, "query.limit"),
        ({"limit": "abc"}, "query.limit"),
        ({"cursor": "%%%"}, "query.cursor"),
        ({"birth_year": "61"}, "query.birth_year"),
        ({"birth_year": "1961.0"}, "query.birth_year"),
        ({"birth_year": "3000"}, "query.birth_year"),
        ({"status": "waiting"}, "query.status"),
        ({"site_id": "Saint Denis"}, "query.site_id"),
        ({"site_id": "-x"}, "query.site_id"),
        ({"flagged": "yes"}, "query.flagged"),
    ],
)
def test_bad_search_parameters_name_the_field(query: dict[str, str], field: str) -> None:
    status, body = call_api(api_event("GET", "/clients", query=query))
    assert status == 422
    assert [detail["field"] for detail in body["details"]] == [field]
