"""Executions, for managers who watch them and ops who redrive or stop them: the Step Functions API
through the API's own client, in the project's words, task tokens never shown."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query
from pydantic import ConfigDict, Field

from lambdas.api.access import OPERATE_EXECUTIONS, READ_EXECUTIONS, Routes
from lambdas.api.caller import actor
from lambdas.shared.errors import InvalidField
from lambdas.shared.executions import reading
from lambdas.shared.executions.views import (
    EntityExecutions,
    ExecutionDetail,
    ExecutionPage,
    ExecutionStatus,
    History,
    WorkflowList,
)
from lambdas.shared.fields import UUID_PATTERN, IsoTime, query_count, single_line
from lambdas.shared.model import Model
from lambdas.shared.stepfunctions import InvalidPageToken

# Stopping and redriving (``operating``) are loaded by the two routes that do them: the others only read.
routes = Routes("executions")

WINDOW = timedelta(hours=24)
WorkflowName = Annotated[str, Path(pattern=r"^[a-z][a-z0-9-]{0,79}$", description="a workflow's name")]
ExecutionName = Annotated[
    str,
    Path(
        pattern=r"^[a-z]{1,32}-" + UUID_PATTERN.removeprefix("^"),
        description="the execution's name: <entity>-<id>, e.g. order-7267…",
    ),
]
Since = Annotated[
    IsoTime | None,
    Query(description="ISO 8601 with its offset, e.g. 2026-12-01T08:00:00Z (default: 24 hours ago)"),
]
NOT_FOUND = "no such workflow, or no such execution of it"


class StopRequest(Model):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"error": "Stopped", "cause": "the person left the programme"}]}
    )

    error: Annotated[str, *single_line(256)] | None = Field(None, description="an error code (default: Stopped)")
    cause: Annotated[str, *single_line(1000)] | None = Field(None, description="why: shown in the execution's history")


class Redriven(Model):
    workflow: str
    name: str
    redrive_count: int
    status_url: str


class Stopped(Model):
    workflow: str
    name: str
    status_url: str


def _status_url(workflow: str, name: str) -> str:
    return f"/workflows/{workflow}/executions/{name}"


@routes.get("/workflows", allow=READ_EXECUTIONS, summary="Every workflow with its executions counted by status")
def handle_count_executions(since: Since = None) -> WorkflowList:
    return reading.counts(actor(routes.router).workflows(), since or datetime.now(UTC) - WINDOW)


@routes.get(
    "/workflows/{workflow}/executions",
    allow=READ_EXECUTIONS,
    summary="A workflow's executions, newest first; failed ones with their failed state, error and cause",
    responses={404: NOT_FOUND},
)
def handle_list_executions(
    workflow: WorkflowName,
    status: Annotated[ExecutionStatus | None, Query(description="only executions in this status")] = None,
    since: Since = None,
    next: Annotated[str | None, Query(min_length=1, max_length=3096, description="`next` of the previous page")] = None,
    limit: Annotated[int, *query_count(1, 100), Query()] = 20,
) -> ExecutionPage:
    declared = reading.workflow_named(workflow)
    try:
        return reading.executions(actor(routes.router).workflows(), declared, status, since, next, limit)
    except InvalidPageToken as error:
        raise InvalidField("query.next", str(error)) from error


@routes.get("/executions", allow=READ_EXECUTIONS, summary="Every execution of a client, a ticket or an order")
def handle_list_entity_executions(
    entity: Annotated[str, Query(pattern=UUID_PATTERN, description="a client's, ticket's or order's id")],
) -> EntityExecutions:
    return reading.of_entity(actor(routes.router).workflows(), entity)


@routes.get(
    "/workflows/{workflow}/executions/{name}",
    allow=READ_EXECUTIONS,
    summary="One execution: where it is or where it failed, what it waits for, whether it can be redriven",
    responses={404: NOT_FOUND},
)
def handle_get_execution(workflow: WorkflowName, name: ExecutionName) -> ExecutionDetail:
    return reading.detail(actor(routes.router).workflows(), reading.workflow_named(workflow), name)


@routes.get(
    "/workflows/{workflow}/executions/{name}/history",
    allow=READ_EXECUTIONS,
    summary="An execution's events in order, with their inputs and outputs (task tokens removed)",
    responses={404: NOT_FOUND},
)
def handle_get_history(workflow: WorkflowName, name: ExecutionName) -> History:
    return reading.history(actor(routes.router).workflows(), reading.workflow_named(workflow), name)


@routes.post(
    "/workflows/{workflow}/executions/{name}/redrive",
    allow=OPERATE_EXECUTIONS,
    status_code=202,
    summary="Run a failed, timed-out or aborted execution again from the step where it stopped",
    responses={404: NOT_FOUND, 409: "it cannot be redriven: the message says why"},
)
def handle_redrive_execution(workflow: WorkflowName, name: ExecutionName) -> Redriven:
    from lambdas.shared.executions import operating

    declared = reading.workflow_named(workflow)
    count = operating.redrive(actor(routes.router), declared, name)
    return Redriven(workflow=workflow, name=name, redrive_count=count, status_url=_status_url(workflow, name))


@routes.post(
    "/workflows/{workflow}/executions/{name}/stop",
    allow=OPERATE_EXECUTIONS,
    status_code=202,
    summary="Stop a running execution; its client, ticket or order ends as a stop ends it",
    responses={404: NOT_FOUND, 409: "it has ended"},
)
def handle_stop_execution(
    workflow: WorkflowName, name: ExecutionName, stop: Annotated[StopRequest | None, Body()] = None
) -> Stopped:
    from lambdas.shared.executions import operating

    declared = reading.workflow_named(workflow)
    stop = stop or StopRequest()
    operating.stop(actor(routes.router), declared, name, stop.error, stop.cause)
    return Stopped(workflow=workflow, name=name, status_url=_status_url(workflow, name))
