"""Clients: onboarding applications, the decisions they wait for, search, and erasure."""

from __future__ import annotations

from typing import Annotated, Literal

from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from pydantic import ConfigDict, Field

from lambdas.api.access import ERASE_PERSONAL_DATA, FRONT_DESK_WORK, READ_RECORDS, Routes
from lambdas.api.caller import actor
from lambdas.api.errors import InvalidField
from lambdas.api.parameters import idempotency_key, uuid_id
from lambdas.shared.cursor import InvalidCursor
from lambdas.shared.domain import ClientStatus, ReviewDecision
from lambdas.shared.fields import SLUG_PATTERN, query_count
from lambdas.shared.model import Model
from lambdas.shared.onboarding import intake, record
from lambdas.shared.onboarding.views import ClientDetail, ClientPage, Filters, get_client, search_clients

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


@routes.get(
    "/clients",
    allow=READ_RECORDS,
    summary="Search clients by name or phone number and birth year; the work lists by status, site or flag",
)
def handle_search_clients(
    q: Annotated[str | None, Query(max_length=100, description="part of a name or a phone number")] = None,
    birth_year: Annotated[
        int | None, *query_count(1900, 2100), Query(description="the year of birth, as the person says it")
    ] = None,
    status: Annotated[
        ClientStatus | None, Query(description="awaiting_review, awaiting_documents: the work lists")
    ] = None,
    site_id: Annotated[str | None, Query(pattern=SLUG_PATTERN, description="applications taken at this site")] = None,
    flagged: Annotated[
        Literal["true"] | None, Query(description="true: records whose corrected phone or e-mail is another's")
    ] = None,
    limit: Annotated[int, *query_count(1, 100), Query()] = 20,
    cursor: Annotated[str | None, Query(max_length=500, description="next_cursor of the previous page")] = None,
) -> ClientPage:
    filters = Filters(birth_year=birth_year, status=status, site_id=site_id, flagged=flagged == "true")
    try:
        return actor(routes.router).run(search_clients, q, limit, cursor, filters)
    except InvalidCursor as error:
        raise InvalidField("query.cursor", str(error)) from error


@routes.patch(
    "/clients/{client_id}",
    allow=FRONT_DESK_WORK,
    summary="Correct a client's contact details, language or housing (audited by field, never by value)",
    responses={409: "the client was erased or merged into another"},
)
def handle_correct_client(client_id: ClientId, correction: Annotated[record.Correction, Body()]) -> ClientDetail:
    caller = actor(routes.router)
    return caller.run(record.correct, client_id, correction, caller.name)


@routes.post(
    "/clients/{client_id}/consents",
    allow=FRONT_DESK_WORK,
    summary="Record a consent given or withdrawn (a withdrawn SMS consent stops every SMS not sent yet)",
    responses={409: "the client was erased or merged into another"},
)
def handle_record_consent(client_id: ClientId, change: Annotated[record.ConsentChange, Body()]) -> ClientDetail:
    caller = actor(routes.router)
    return caller.run(record.record_consent, client_id, change, caller.name)


@routes.post(
    "/clients/{client_id}/duplicate-review",
    allow=FRONT_DESK_WORK,
    status_code=202,
    summary="Say whether a suspected duplicate is the same person (resumes the onboarding), or whether a "
    "record flagged by a correction is another person's",
    responses={
        409: "the client is not waiting for a duplicate review (answered already, timed out, stopped), or a "
        "flagged record is the same person's: records in use are not merged"
    },
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
