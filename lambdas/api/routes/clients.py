"""Clients: onboarding applications, the decisions they wait for, search, and erasure."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from pydantic import ConfigDict, Field

from lambdas.api.access import ERASE_PERSONAL_DATA, FRONT_DESK_WORK, READ_RECORDS, Routes
from lambdas.api.caller import actor
from lambdas.api.errors import InvalidField
from lambdas.api.parameters import idempotency_key, uuid_id
from lambdas.shared.cursor import InvalidCursor
from lambdas.shared.domain import ReviewDecision
from lambdas.shared.fields import query_count
from lambdas.shared.model import Model
from lambdas.shared.onboarding import intake
from lambdas.shared.onboarding.views import ClientDetail, ClientPage, get_client, search_clients

# The erasure (every table a client's data is in) is loaded by the one route that erases.
routes = Routes("clients")

ClientId = Annotated[str, uuid_id("client")]
IdempotencyKey = Annotated[str | None, idempotency_key("application give back the first answer")]


class ApplicationAccepted(Model):
    client_id: str
    execution_arn: str
    status_url: str


class Review(Model):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"decision": "same-person"}]})

    decision: ReviewDecision


class AnswerAccepted(Model):
    client_id: str
    status_url: str


class Erased(Model):
    client_id: str
    status: str
    execution_stopped: bool = Field(
        description="the onboarding was waiting for an answer: it ends (at once, or when Step Functions answers again)"
    )
    erased: list[str] = Field(description="the client and every application merged into it")


def _status_url(client_id: str) -> str:
    return f"/clients/{client_id}"


@routes.post(
    "/clients",
    allow=FRONT_DESK_WORK,
    status_code=202,
    summary="Submit an onboarding application (starts the client-onboarding workflow)",
    responses={409: "this Idempotency-Key was already used for a different application"},
)
def handle_create_client(
    application: Annotated[intake.Application, Body()], idempotency_key: IdempotencyKey = None
) -> ApplicationAccepted:
    caller = actor(routes.router)
    received = caller.run(intake.receive_application, application, idempotency_key, caller.name)
    return ApplicationAccepted(
        client_id=received.client_id, execution_arn=received.execution_arn, status_url=_status_url(received.client_id)
    )


@routes.get("/clients/{client_id}", allow=READ_RECORDS, summary="A client's record and onboarding status")
def handle_get_client(client_id: ClientId) -> ClientDetail:
    return actor(routes.router).run(get_client, client_id)


@routes.get("/clients", allow=READ_RECORDS, summary="Search clients by name or phone number, and birth year")
def handle_search_clients(
    q: Annotated[str | None, Query(max_length=100, description="part of a name or a phone number")] = None,
    birth_year: Annotated[
        int | None, *query_count(1900, 2100), Query(description="the year of birth, as the person says it")
    ] = None,
    limit: Annotated[int, *query_count(1, 100), Query()] = 20,
    cursor: Annotated[str | None, Query(max_length=500, description="next_cursor of the previous page")] = None,
) -> ClientPage:
    try:
        return actor(routes.router).run(search_clients, q, limit, cursor, birth_year)
    except InvalidCursor as error:
        raise InvalidField("query.cursor", str(error)) from error


@routes.post(
    "/clients/{client_id}/duplicate-review",
    allow=FRONT_DESK_WORK,
    status_code=202,
    summary="Say whether a suspected duplicate is the same person (resumes the onboarding)",
    responses={409: "the client is not waiting for a duplicate review (answered already, timed out, stopped)"},
)
def handle_review_duplicate(client_id: ClientId, review: Annotated[Review, Body()]) -> AnswerAccepted:
    caller = actor(routes.router)
    caller.run(intake.review_duplicate, client_id, review.decision, caller.name)
    return AnswerAccepted(client_id=client_id, status_url=_status_url(client_id))


@routes.post(
    "/clients/{client_id}/documents",
    allow=FRONT_DESK_WORK,
    status_code=202,
    summary="Record the proof of eligibility a client brought (resumes the onboarding)",
    responses={409: "the client is not waiting for documents (answered already, timed out, stopped)"},
)
def handle_add_documents(client_id: ClientId, documents: Annotated[intake.Documents, Body()]) -> AnswerAccepted:
    caller = actor(routes.router)
    caller.run(intake.add_documents, client_id, documents, caller.name)
    return AnswerAccepted(client_id=client_id, status_url=_status_url(client_id))


@routes.delete(
    "/clients/{client_id}",
    allow=ERASE_PERSONAL_DATA,
    summary="Erase a client's personal data (the anonymous record stays for the counts)",
)
def handle_erase_client(client_id: ClientId) -> Erased:
    from lambdas.shared.erasure import erase_client

    erasure = actor(routes.router).run(erase_client, client_id)
    return Erased(
        client_id=client_id, status="erased", execution_stopped=erasure.onboarding_ended, erased=list(erasure.erased)
    )
