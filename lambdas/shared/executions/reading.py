"""What managers and ops read of the workflows' executions, through the API's Step Functions client:
counts, lists, an entity's executions, one execution and its history."""

from __future__ import annotations

import json
import re
from datetime import datetime
from functools import cache
from typing import Any

from lambdas.shared.errors import NotFound
from lambdas.shared.executions import timeline
from lambdas.shared.executions.views import (
    COUNTED,
    Entity,
    EntityExecutions,
    ExecutionDetail,
    ExecutionPage,
    ExecutionStatus,
    ExecutionSummary,
    History,
    Redrive,
    StateView,
    Waiting,
    WorkflowCounts,
    WorkflowList,
)
from lambdas.shared.fields import UUID_PATTERN
from lambdas.shared.stepfunctions import Workflows, execution_arn_of
from workflows import Workflow, all_workflows

COUNT_PAGE = 1000
MAX_COUNTED = 10_000
ENDED_WITH_A_CAUSE = (ExecutionStatus.FAILED, ExecutionStatus.TIMED_OUT, ExecutionStatus.ABORTED)
# the newest events read to find where a failed execution stopped (its last state's entry is among them)
LAST_EVENTS = 100
_UUID = re.compile(UUID_PATTERN)


@cache
def declared() -> dict[str, Workflow]:
    return {workflow.name: workflow for workflow in all_workflows()}


def workflow_named(name: str) -> Workflow:
    try:
        return declared()[name]
    except KeyError:
        raise NotFound("workflow", name) from None


@cache
def _definition(workflow_name: str) -> dict[str, Any]:
    definition: dict[str, Any] = json.loads(declared()[workflow_name].asl_text())
    return definition


def _entity(workflow: Workflow, name: str) -> Entity | None:
    """A listed execution's entity; None for one started by hand under another name."""
    try:
        return entity_of(workflow, name)
    except NotFound:
        return None


def entity_of(workflow: Workflow, name: str) -> Entity:
    """The entity an execution is about, from its name (``order-<id>``); 404 for a name it never gives."""
    prefix = f"{workflow.entity}-"
    entity_id = name[len(prefix) :]
    if not name.startswith(prefix) or not _UUID.fullmatch(entity_id):
        raise NotFound("execution", name)
    return Entity(type=workflow.entity, id=entity_id, url=f"/{workflow.entity}s/{entity_id}")


def counts(client: Workflows, since: datetime) -> WorkflowList:
    found = []
    for workflow in declared().values():
        tally, capped = {}, False
        for status in COUNTED:
            tally[status], reached = _count(client, workflow, status, since)
            capped = capped or reached
        found.append(WorkflowCounts(workflow=workflow.name, entity=workflow.entity, counts=tally, capped=capped))
    return WorkflowList(since=since, workflows=found)


def _count(client: Workflows, workflow: Workflow, status: ExecutionStatus, since: datetime) -> tuple[int, bool]:
    """How many (up to MAX_COUNTED); running ones whenever they started, the others since ``since``
    (the list is newest first: the first older one ends the count)."""
    count, token = 0, None
    while count < MAX_COUNTED:
        page = client.list_executions(workflow, status.aws, token, COUNT_PAGE)
        for item in page["executions"]:
            if status is not ExecutionStatus.RUNNING and item["startDate"] < since:
                return count, False
            count += 1
        token = page.get("nextToken")
        if not token:
            return count, False
    return count, True


def executions(
    client: Workflows,
    workflow: Workflow,
    status: ExecutionStatus | None,
    since: datetime | None,
    next_token: str | None,
    limit: int,
) -> ExecutionPage:
    page = client.list_executions(workflow, status.aws if status else None, next_token, limit)
    items, older = [], False
    for item in page["executions"]:
        if since is not None and item["startDate"] < since:
            older = True
            break
        items.append(_summary(client, workflow, item))
    return ExecutionPage(items=items, next=None if older else page.get("nextToken"))


def of_entity(client: Workflows, entity_id: str) -> EntityExecutions:
    """Every workflow's execution named for ``entity_id``: one id is one client, ticket or order."""
    found = []
    for workflow in declared().values():
        try:
            described = client.describe(execution_arn_of(workflow, entity_id))
        except NotFound:
            continue
        found.append(_summary(client, workflow, described))
    return EntityExecutions(items=found)


def _basics(workflow: Workflow, found: dict[str, Any]) -> dict[str, Any]:
    """What a listed and a described execution both say."""
    return {
        "workflow": workflow.name,
        "name": found["name"],
        "entity": _entity(workflow, found["name"]),
        "status": ExecutionStatus.of(found["status"]),
        "started_at": found["startDate"],
        "stopped_at": found.get("stopDate"),
    }


def _summary(client: Workflows, workflow: Workflow, listed: dict[str, Any]) -> ExecutionSummary:
    """A listed (or described) execution; a failed, timed-out or aborted one with why, and whether it
    can be redriven (two more calls: they are the ones ops look at)."""
    summary = ExecutionSummary(**_basics(workflow, listed))
    if summary.status not in ENDED_WITH_A_CAUSE:
        return summary
    described = listed if "redriveStatus" in listed else client.describe(listed["executionArn"])
    newest = client.history(listed["executionArn"], newest_first=True, limit=LAST_EVENTS)[::-1]
    tokens = timeline.task_tokens(newest)
    where = timeline.position(timeline.events(newest), _definition(workflow.name), listed["status"])
    summary.failed_state = where.state
    summary.error = timeline.redact(described.get("error"), tokens)
    summary.cause = timeline.redact(described.get("cause"), tokens)
    summary.redrive = redrive_verdict(workflow, described)
    return summary


STOPPED_STAYS_STOPPED = "it was stopped, and the stop ended its {entity}: a redrive would reopen it"


def redrive_verdict(workflow: Workflow, described: dict[str, Any]) -> Redrive:
    """Whether ops may redrive it. Step Functions would redrive a stopped execution too; this API
    does not: the stop ended its entity, and a redrive would take that back."""
    if described["status"] == "ABORTED":
        reason: str | None = STOPPED_STAYS_STOPPED.format(entity=workflow.entity)
    else:
        reason = None if described.get("redriveStatus") == "REDRIVABLE" else described.get("redriveStatusReason")
    return Redrive(
        count=described.get("redriveCount", 0),
        redrivable=reason is None,
        reason=reason,
        last_at=described.get("redriveDate"),
    )


def _arn(client: Workflows, workflow: Workflow, name: str) -> str:
    return execution_arn_of(workflow, entity_of(workflow, name).id)


def detail(client: Workflows, workflow: Workflow, name: str) -> ExecutionDetail:
    arn = _arn(client, workflow, name)
    described, raw = client.describe(arn), client.history(arn)
    tokens = timeline.task_tokens(raw)
    definition = _definition(workflow.name)
    where = timeline.position(timeline.events(raw), definition, described["status"])
    status = ExecutionStatus.of(described["status"])
    waiting = (
        Waiting(kind=where.waiting, state=where.state, since=where.since, error=where.error)
        if where.waiting and where.state
        else None
    )
    return ExecutionDetail(
        **_basics(workflow, described),
        failed_state=where.state if status in ENDED_WITH_A_CAUSE else None,
        error=timeline.redact(described.get("error"), tokens),
        cause=timeline.redact(described.get("cause"), tokens),
        redrive=redrive_verdict(workflow, described),
        input=timeline.redact(timeline.parse(described.get("input")), tokens),
        output=timeline.redact(timeline.parse(described.get("output")), tokens),
        current_state=where.state,
        waiting=waiting,
        start_at=definition["StartAt"],
        states=[StateView(**vars(state)) for state in where.states],
    )


def history(client: Workflows, workflow: Workflow, name: str) -> History:
    events = timeline.events(client.history(_arn(client, workflow, name)))
    return History(workflow=workflow.name, name=name, events=events)
