"""DESIGN.md's matrix, route by route and caller by caller, through the gateway and the handler."""

import pytest

from lambdas.api.access import ROUTES
from lambdas.api.app import handler
from lambdas.shared.db.models.clients import Client
from local.gateway import LocalApiGateway
from local.tokens import KeyPair
from tests.matrix import Case, cases, declared_routes, sample_path


@pytest.fixture(scope="module")
def matrix_cases(token_keys: KeyPair, tmp_path_factory: pytest.TempPathFactory) -> list[Case]:
    return cases(token_keys, KeyPair.load_or_create(tmp_path_factory.mktemp("other-keys")))


def test_every_declared_route_is_in_the_matrix() -> None:
    # the matrix test below walks ROUTES, so a new route is covered as soon as it is declared
    assert {(route.method, route.resource) for route in declared_routes()} <= set(ROUTES)
    assert len(declared_routes()) >= 4


@pytest.mark.parametrize("route", declared_routes(), ids=lambda route: f"{route.method} {route.resource}")
def test_route_answers_each_caller_as_the_matrix_says(
    route, matrix_cases: list[Case], token_keys: KeyPair, make_client
) -> None:
    client: Client = make_client()
    gateway = LocalApiGateway(handler, token_keys)
    for case in matrix_cases:
        headers = [("Authorization", case.token)] if case.token else []
        status, _, body = gateway.handle(route.method, sample_path(route, client.id), headers, b"", "127.0.0.1")
        expected = case.expected(route)
        if expected == "allowed":  # the handler ran: a success, or its own answer to an empty body
            assert status not in (401, 403), f"{case.name}: {status} {body!r}"
            assert status < 500, f"{case.name}: {status} {body!r}"
        else:
            assert str(status) == expected, f"{case.name}: {status} {body!r}"
            if status == 401:
                assert body == b'{"message": "Unauthorized"}'
