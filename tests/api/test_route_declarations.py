"""Every route says who may call it; one that does not is refused and caught by this test."""

from aws_lambda_powertools.event_handler import APIGatewayRestResolver

from lambdas.api.access import ROUTES, refusal, undeclared_operations
from lambdas.api.app import SECURITY_SCHEMES, api, handler
from tests.events import api_event, call_api, claims_for, lambda_context


def test_every_route_of_the_api_declares_its_groups() -> None:
    assert undeclared_operations(api(), SECURITY_SCHEMES) == []


def test_a_route_added_without_groups_is_detected_and_refused() -> None:
    # Given an API with a route registered the wrong way (no declaration)
    rogue = APIGatewayRestResolver(enable_validation=True)

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
    assert refusal(event).status_code == 403
    assert handler(event, lambda_context())["statusCode"] == 403
    assert ("GET", "/secrets") not in ROUTES


def test_a_caller_outside_the_groups_is_refused_before_the_body_is_read() -> None:
    status, body = call_api(api_event("POST", "/clients", groups=("managers",), body="{not json"))
    assert (status, body["error"]) == (403, "forbidden")


def test_missing_claims_on_a_protected_route_are_401() -> None:
    status, body = call_api(api_event("GET", "/clients", groups=None))
    assert (status, body["error"]) == (401, "unauthorized")


def test_groups_claim_is_understood_in_every_shape_api_gateway_uses() -> None:
    from lambdas.api.access import parse_groups

    assert parse_groups("front-desk,managers") == {"front-desk", "managers"}
    assert parse_groups("[front-desk managers]") == {"front-desk", "managers"}
    assert parse_groups(["ops"]) == {"ops"}
    assert parse_groups(None) == frozenset()
