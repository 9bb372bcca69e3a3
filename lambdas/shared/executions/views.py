"""Executions as managers and ops read them: in the project's words (a client's, a ticket's, an
order's), statuses in lower case, task tokens never shown."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import Field

from lambdas.shared.model import Model


class ExecutionStatus(StrEnum):
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    TIMED_OUT = "timed_out"
    ABORTED = "aborted"
    PENDING_REDRIVE = "pending_redrive"  # redriven, not started again yet

    @property
    def aws(self) -> str:
        return self.value.upper()

    @classmethod
    def of(cls, aws: str) -> ExecutionStatus:
        return cls(aws.lower())


COUNTED = (
    ExecutionStatus.RUNNING,
    ExecutionStatus.SUCCEEDED,
    ExecutionStatus.FAILED,
    ExecutionStatus.TIMED_OUT,
    ExecutionStatus.ABORTED,
)


class Entity(Model):
    type: str = Field(description="client, ticket or order")
    id: str
    url: str = Field(description="the entity's own route")


class WorkflowCounts(Model):
    workflow: str
    entity: str
    counts: dict[ExecutionStatus, int] = Field(
        description="running: every execution running now; the others: those started since `since`"
    )
    capped: bool = Field(description="a count reached the most this route counts (10 000): there are more")


class WorkflowList(Model):
    since: datetime
    workflows: list[WorkflowCounts]


class Redrive(Model):
    count: int
    redrivable: bool
    reason: str | None = Field(description="why it cannot be redriven")
    last_at: datetime | None


class ExecutionSummary(Model):
    workflow: str
    name: str
    entity: Entity | None = Field(description="null for an execution started by hand under another name")
    status: ExecutionStatus
    started_at: datetime
    stopped_at: datetime | None
    failed_state: str | None = Field(None, description="failed (or timed out) ones: the state it stopped in")
    error: str | None = None
    cause: str | None = None
    redrive: Redrive | None = Field(
        None, description="failed, timed out and aborted ones in lists; always on one execution"
    )


class ExecutionPage(Model):
    items: list[ExecutionSummary]
    next: str | None = Field(None, description="pass as `next` to get the next page")


class EntityExecutions(Model):
    items: list[ExecutionSummary]


class StateView(Model):
    name: str
    type: str
    next: list[str] = Field(description="the states it may go on to (Next, Choices, Default, Catch)")
    status: str = Field(
        description="not_reached, succeeded, caught (a catcher took its error), failed, aborted, running, "
        "waiting, retrying"
    )
    entered: int
    retries: int
    caught: int


class Waiting(Model):
    kind: str = Field(description="callback (for a person or the lab), wait, retry, task (running)")
    state: str
    since: datetime | None
    error: str | None = Field(None, description="a retry's: the error it retries")


class ExecutionDetail(ExecutionSummary):
    input: Any
    output: Any
    current_state: str | None = Field(description="the state it is in, or the one it failed in")
    waiting: Waiting | None = Field(description="running ones: what it waits for")
    start_at: str
    states: list[StateView] = Field(description="the state machine's states, each with what happened to it")


class EventView(Model):
    id: int
    type: str
    state: str | None
    at: datetime
    error: str | None = None
    cause: str | None = None
    input: Any = None
    output: Any = None
    parameters: Any = None


class History(Model):
    workflow: str
    name: str
    events: list[EventView]
