"""Clients: onboarding applications, the decisions they wait for, search, and erasure."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from pydantic import BaseModel, ConfigDict, Field

from lambdas.api.access import ERASE_PERSONAL_DATA, FRONT_DESK_WORK, READ_RECORDS, Routes
from lambdas.api.caller import current_caller, unit_of_work
from lambdas.api.errors import InvalidField
from lambdas.api.parameters import idempotency_key, uuid_id
from lambdas.shared import waiting
from lambdas.shared.cursor import InvalidCursor
from lambdas.shared.db.unit_of_work import UnitOfWork
from lambdas.shared.domain import ReviewDecision, WaitingFor
from lambdas.shared.erasure import erase_client, forget_waiting_token
from lambdas.shared.errors import ConcurrentSubmission
from lambdas.shared.fields import query_count
from lambdas.shared.onboarding import intake
from lambdas.shared.onboarding.views import ClientDetail, ClientPage, get_client, search_clients
from lambdas.shared.orders import desk
from lambdas.shared.stepfunctions import workflows
from workflows.client_onboarding import WORKFLOW as CLIENT_ONBOARDING

routes = Routes("clients")

ClientId = Annotated[str, uuid_id("client")]
IdempotencyKey = Annotated[str | None, idempotency_key("application give back the first answer")]


class ApplicationAccepted(BaseModel):
    client_id: str
    execution_arn: str
    status_url: str


class Review(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"decision": "same-person"}]})

    decision: ReviewDecision


class AnswerAccepted(BaseModel):
    client_id: str
    status_url: str


class Erased(BaseModel):
    client_id: str
    status: str
    execution_stopped: bool = Field(description="the onboarding was waiting for an answer, and was ended")
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
    actor = current_caller(routes.router).sub
    try:
        received = _receive(application, idempotency_key, actor)
    except ConcurrentSubmission:  # the same application was being stored: it is there now
        received = _receive(application, idempotency_key, actor)
    arn = workflows().start(CLIENT_ONBOARDING, received.client_id, {"client_id": received.client_id})
    unit_of_work(routes.router).run(intake.record_execution, received.client_id, arn)
    return ApplicationAccepted(
        client_id=received.client_id, execution_arn=arn, status_url=_status_url(received.client_id)
    )


def _receive(application: intake.Application, key: str | None, actor: str) -> intake.Received:
    return unit_of_work(routes.router).run(intake.receive_application, application, key, actor)


@routes.get("/clients/{client_id}", allow=READ_RECORDS, summary="A client's record and onboarding status")
def handle_get_client(client_id: ClientId) -> ClientDetail:
    return unit_of_work(routes.router).run(get_client, client_id)


@routes.get("/clients", allow=READ_RECORDS, summary="Search clients by name or phone number")
def handle_search_clients(
    q: Annotated[str | None, Query(max_length=100, description="part of a name or a phone number")] = None,
    limit: Annotated[int, *query_count(1, 100), Query()] = 20,
    cursor: Annotated[str | None, Query(max_length=500, description="next_cursor of the previous page")] = None,
) -> ClientPage:
    try:
        return unit_of_work(routes.router).run(search_clients, q, limit, cursor)
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
    actor = current_caller(routes.router).sub
    token = unit_of_work(routes.router).run(intake.record_review, client_id, review.decision, actor)

    def withdraw(uow: UnitOfWork, reopen: bool) -> None:
        intake.withdraw_answer(uow, client_id, WaitingFor.DUPLICATE_REVIEW, token, reopen=reopen)

    waiting.deliver(actor, token, {"decision": review.decision}, withdraw)
    return AnswerAccepted(client_id=client_id, status_url=_status_url(client_id))


@routes.post(
    "/clients/{client_id}/documents",
    allow=FRONT_DESK_WORK,
    status_code=202,
    summary="Record the proof of eligibility a client brought (resumes the onboarding)",
    responses={409: "the client is not waiting for documents (answered already, timed out, stopped)"},
)
def handle_add_documents(client_id: ClientId, documents: Annotated[intake.Documents, Body()]) -> AnswerAccepted:
    actor = current_caller(routes.router).sub
    token, evidence_id = unit_of_work(routes.router).run(intake.record_documents, client_id, documents, actor)

    def withdraw(uow: UnitOfWork, reopen: bool) -> None:
        intake.withdraw_answer(uow, client_id, WaitingFor.DOCUMENTS, token, reopen=reopen, evidence_id=evidence_id)

    waiting.deliver(actor, token, {"evidence_id": evidence_id}, withdraw)
    return AnswerAccepted(client_id=client_id, status_url=_status_url(client_id))


@routes.delete(
    "/clients/{client_id}",
    allow=ERASE_PERSONAL_DATA,
    summary="Erase a client's personal data (the anonymous record stays for the counts)",
)
def handle_erase_client(client_id: ClientId) -> Erased:
    erasure = unit_of_work(routes.router).run(erase_client, client_id)
    ended = False
    if erasure.waiting_token is not None:
        # the onboarding waits for a person's answer: it ends at once, with the outcome "erased"
        ended = workflows().fail(erasure.waiting_token, "ClientErased", "the client's personal data was erased")
        unit_of_work(routes.router).run(forget_waiting_token, client_id, erasure.waiting_token)
    # her open orders were cancelled with the rest: their workflows end too
    desk.tell_workflow(current_caller(routes.router).sub, [each for order in erasure.orders for each in order.all()])
    return Erased(client_id=client_id, status="erased", execution_stopped=ended, erased=list(erasure.erased))
