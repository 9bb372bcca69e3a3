"""What ops do to an execution: redrive it from where it failed, or stop it. Each is recorded in the
audit trail with the caller; a stop ends the execution's client, ticket or order as its process
defines a stop."""

from __future__ import annotations

from lambdas.shared.db.unit_of_work import UnitOfWork
from lambdas.shared.errors import Conflict
from lambdas.shared.executions.reading import entity_of
from lambdas.shared.executions.views import Entity
from lambdas.shared.onboarding import intake as onboarding
from lambdas.shared.orders import desk as orders
from lambdas.shared.queue import desk as queue
from lambdas.shared.stepfunctions import NotRedrivable, Workflows
from workflows import Workflow


def _end(uow: UnitOfWork, entity: Entity, actor: str) -> list[orders.Answer]:
    """The entity ends as its process defines a stop; what is left to tell is the other orders that
    took a frame a stopped order put back on the shelf."""
    if entity.type == "client":
        onboarding.stopped(uow, entity.id)
    elif entity.type == "ticket":
        queue.stopped(uow, entity.id, actor)
    else:
        return orders.stopped(uow, entity.id, actor)
    return []


def redrive(client: Workflows, workflow: Workflow, name: str, actor: str) -> int:
    """Redrive a failed, timed-out or aborted execution from where it stopped; its redrive count after."""
    entity = entity_of(workflow, name)
    arn = client.execution_arn(workflow, entity.id)
    described = client.describe(arn)
    if described.get("redriveStatus") != "REDRIVABLE":
        status = described["status"].lower()
        raise NotRedrivable(described.get("redriveStatusReason") or f"execution {name} is {status}")
    count = described.get("redriveCount", 0) + 1
    with UnitOfWork(actor) as uow:
        uow.audit("execution.redriven", entity.type, entity.id, workflow=workflow.name, redrive=count)
        uow.flush()  # no redrive that the audit trail does not hold
        client.redrive(arn, client_token=f"{name}-redrive-{count}")
    return count


def stop(client: Workflows, workflow: Workflow, name: str, actor: str, error: str | None, cause: str | None) -> None:
    """Stop a running execution. Its entity ends first (the row is the truth the workflow follows:
    if Step Functions cannot be reached now, the execution ends at its next step anyway)."""
    entity = entity_of(workflow, name)
    arn = client.execution_arn(workflow, entity.id)
    described = client.describe(arn)
    if described["status"] != "RUNNING":
        raise Conflict(f"execution {name} is {described['status'].lower()}: only a running one can be stopped")
    with UnitOfWork(actor) as uow:
        uow.audit("execution.stopped", entity.type, entity.id, workflow=workflow.name, error=error)
        served = _end(uow, entity, actor)
    client.stop(arn, error or "Stopped", cause or "stopped by ops")
    orders.tell_workflow(actor, served)
