"""The client onboarding workflow's tasks: one small handler each, ids in, a typed model out.

The eligibility check gives its outcome (and an ineligible client's reason, as a code) in its output,
which the ASL's ``Eligibility`` choice reads. A suspected duplicate and an erased client are raised
as the typed errors the ASL catches by name, once the unit of work committed what the step found.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import ConfigDict

from lambdas.shared.db.unit_of_work import UnitOfWork
from lambdas.shared.domain import WaitingFor
from lambdas.shared.errors import ClientErased, SuspectedDuplicate
from lambdas.shared.model import Model
from lambdas.shared.observability import task_handler
from lambdas.shared.onboarding import steps as onboarding
from lambdas.shared.onboarding.answers import DocumentsReceived, DuplicateReviewed
from lambdas.shared.onboarding.steps import IneligibleCode
from lambdas.shared.signals import answered_with
from workflows.client_onboarding import WORKFLOW

ACTOR = WORKFLOW.actor


class ClientStep(Model):
    model_config = ConfigDict(extra="forbid")

    client_id: str
    execution: str | None = None  # the execution ARN: the logs' correlation id


class DecisionStep(ClientStep):
    waiting_for: WaitingFor
    token: str


class ClosingStep(ClientStep):
    outcome: Literal["expired", "incomplete"]


# --- what each task gives the workflow ($states.result.Payload) ------------------------------------------


class Stepped(Model):
    client_id: str


class Parked(Stepped):
    waiting_for: WaitingFor


class Merged(Stepped):
    merged: str  # the application, now part of the client ``client_id``


class Closed(Stepped):
    outcome: Literal["expired", "incomplete"]


class Checked(Stepped):
    eligibility: Literal["eligible", "documents_missing", "ineligible"]
    code: IneligibleCode | None  # why an ineligible client is: a code, the words stay in the record


class Activated(Stepped):
    welcome: str  # how the welcome went: sms, email, or in_person


@task_handler
def find_duplicates(event: dict[str, Any], context: Any) -> Stepped:
    step = ClientStep.model_validate(event)
    finding = UnitOfWork(ACTOR).run(onboarding.find_duplicate, step.client_id, step.execution)
    if finding is not None:
        raise SuspectedDuplicate(f"client {step.client_id} may be client {finding.client_id} (same {finding.match})")
    return Stepped(client_id=step.client_id)


@task_handler
@answered_with(DuplicateReviewed, DocumentsReceived)
def await_decision(event: dict[str, Any], context: Any) -> Parked:
    step = DecisionStep.model_validate(event)
    UnitOfWork(ACTOR).run(onboarding.await_decision, step.client_id, step.waiting_for, step.token)
    return Parked(client_id=step.client_id, waiting_for=step.waiting_for)


@task_handler
def merge_into_existing(event: dict[str, Any], context: Any) -> Merged:
    step = ClientStep.model_validate(event)
    merge = UnitOfWork(ACTOR).run(onboarding.merge_into_existing, step.client_id)
    if merge.erased:
        raise ClientErased(f"client {merge.client_id} was erased; so is the application merged into it")
    return Merged(client_id=merge.client_id, merged=step.client_id)


@task_handler
def close_application(event: dict[str, Any], context: Any) -> Closed:
    step = ClosingStep.model_validate(event)
    UnitOfWork(ACTOR).run(onboarding.close_application, step.client_id, step.outcome)
    return Closed(client_id=step.client_id, outcome=step.outcome)


@task_handler
def register_client(event: dict[str, Any], context: Any) -> Stepped:
    step = ClientStep.model_validate(event)
    UnitOfWork(ACTOR).run(onboarding.register_client, step.client_id)
    return Stepped(client_id=step.client_id)


@task_handler
def check_eligibility(event: dict[str, Any], context: Any) -> Checked:
    step = ClientStep.model_validate(event)
    eligibility = UnitOfWork(ACTOR).run(onboarding.check_eligibility, step.client_id)
    return Checked(client_id=step.client_id, eligibility=eligibility.outcome, code=eligibility.code)


@task_handler
def activate_client(event: dict[str, Any], context: Any) -> Activated:
    step = ClientStep.model_validate(event)
    activation = UnitOfWork(ACTOR).run(onboarding.activate_client, step.client_id)
    return Activated(client_id=step.client_id, welcome=activation.welcome)
