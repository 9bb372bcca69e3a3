"""Every route says who may call it; one that does not is refused and caught by this test."""

from aws_lambda_powertools.event_handler import APIGatewayRestResolver

from lambdas.api.access import ROUTES, authorize, undeclared_operations
from lambdas.api.app import SECURITY_SCHEMES, app
from tests.events import call_api, claims_for


def test_every_route_of_the_api_declares_its_groups() -> None:
    assert undeclared_operations(app, SECURITY_SCHEMES) == []


def test_a_route_added_without_groups_is_detected_and_refused() -> None:
    # Given an API with a route registered the wrong way (no declaration)
    rogue = APIGatewayRestResolver(enable_validation=True)
    rogue.use(middlewares=[authorize])

    @rogue.get("/secrets")
    def secrets() -> dict[str, str]:
        return {"secret": "42"}

    # Then the check names it
    assert undeclared_operations(rogue, SECURITY_SCHEMES) == [("GET", "/secrets")]
    # And at run time nobody gets through, whatever their groups
    event = {
        "resource": "/secrets",
        "path": "/secrets",
        "httpMethod": "GET",
        "requestContext": {"authorizer": {"claims": claims_for("front-desk", "managers", "ops", "lab")}},
    }
    response = rogue.resolve(event, None)
    assert response["statusCode"] == 403
    assert ("GET", "/secrets") not in ROUTES


def test_missing_claims_on_a_protected_route_are_401() -> None:
    from tests.events import api_event

    status, body = call_api(api_event("GET", "/clients", groups=None))
    assert (status, body["error"]) == (401, "unauthorized")


def test_groups_claim_is_understood_in_every_shape_api_gateway_uses() -> None:
    from lambdas.api.access import parse_groups

    assert parse_groups("front-desk,managers") == {"front-desk", "managers"}
    assert parse_groups("[front-desk managers]") == {"front-desk", "managers"}
    assert parse_groups(["ops"]) == {"ops"}
    assert parse_groups(None) == frozenset()
