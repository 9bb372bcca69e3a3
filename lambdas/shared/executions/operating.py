"""What ops do to an execution: redrive it from where it failed, or stop it. Each is recorded in the
audit trail with the caller; a stop ends the execution's client, ticket or order as its process
defines a stop."""

from __future__ import annotations

from lambdas.shared.db.unit_of_work import UnitOfWork
from lambdas.shared.errors import Conflict
from lambdas.shared.executions.reading import entity_of, redrive_verdict
from lambdas.shared.executions.views import Entity
from lambdas.shared.fields import digest
from lambdas.shared.onboarding import intake as onboarding
from lambdas.shared.orders import desk as orders
from lambdas.shared.queue import desk as queue
from lambdas.shared.signals import Actor
from lambdas.shared.stepfunctions import NotRedrivable, Workflows, execution_arn_of
from workflows import Workflow


def _end(uow: UnitOfWork, entity: Entity, actor: str) -> bool:
    """The entity ends as its process defines a stop (False: it had ended already)."""
    if entity.type == "client":
        return onboarding.end_stopped(uow, entity.id)
    if entity.type == "ticket":
        return queue.end_stopped(uow, entity.id, actor)
    return orders.end_stopped(uow, entity.id, actor)


def redrive(by: Actor, workflow: Workflow, name: str) -> int:
    """Redrive a failed or timed-out execution from where it stopped; its redrive count after. Ops
    pressing Redrive at once take turns on the execution: the first redrives it, the next ones find it
    running again (409) — one redrive, one line in the audit trail."""
    entity = entity_of(workflow, name)
    arn = execution_arn_of(workflow, entity.id)
    return by.run(_redrive, by.workflows(), workflow, name, arn, entity)


def _take_turns(uow: UnitOfWork, arn: str) -> None:
    """Ops acting on one execution at once (a redrive, a stop) act one after the other: each reads
    what the one before did."""
    uow.serialise(digest(f"operate {arn}"))


def _redrive(uow: UnitOfWork, client: Workflows, workflow: Workflow, name: str, arn: str, entity: Entity) -> int:
    _take_turns(uow, arn)
    verdict = redrive_verdict(workflow, client.describe(arn))
    if not verdict.redrivable:
        raise NotRedrivable(f"execution {name} cannot be redriven: {verdict.reason}")
    count = verdict.count + 1
    uow.audit("execution.redriven", entity.type, entity.id, workflow=workflow.name, redrive=count)
    uow.flush()  # no redrive that the audit trail does not hold
    client.redrive(arn, client_token=f"{name}-redrive-{count}")
    return count


def stop(by: Actor, workflow: Workflow, name: str, error: str | None, cause: str | None) -> None:
    """Stop a running execution, then end its entity as its process defines a stop: stopped first,
    so that no step of it runs after. If the entity cannot be ended just then (the database), the
    answer is a 503 and repeating the request ends it; a stopped execution whose entity has ended
    is a 409, as is one that ended otherwise. Ops pressing Stop at once: one stop, the others 409."""
    entity = entity_of(workflow, name)
    arn = execution_arn_of(workflow, entity.id)
    # other orders may take the frame a stopped order puts back on the shelf: their workflows are told
    by.run(_stop, by.workflows(), workflow, name, arn, entity, error, cause)


def _stop(
    uow: UnitOfWork,
    client: Workflows,
    workflow: Workflow,
    name: str,
    arn: str,
    entity: Entity,
    error: str | None,
    cause: str | None,
) -> None:
    _take_turns(uow, arn)
    status = client.describe(arn)["status"]
    stopped_now = status == "RUNNING" and client.stop(arn, error or "Stopped", cause or "stopped by ops")
    if status == "RUNNING" and not stopped_now:
        status = client.describe(arn)["status"]  # it ended meanwhile
    if not stopped_now and status != "ABORTED":
        raise Conflict(f"execution {name} is {status.lower()}: only a running one can be stopped")
    changed = _end(uow, entity, uow.actor)
    if not (stopped_now or changed):  # neither a stop nor the end of one an outage left half done
        raise Conflict(f"execution {name} is aborted: only a running one can be stopped")
    uow.audit("execution.stopped", entity.type, entity.id, workflow=workflow.name, error=error)
