"""How an action reaches its workflow: the one protocol of every process.

An action changes its rows and, in the same transaction, writes what its workflow must be told in the
signals outbox: ``start`` an execution, ``resume`` a wait with its answer, a ``heartbeat`` (news of
progress: the wait goes on), ``fail`` a wait. ``Actor.run`` commits the action, then delivers its
signals at once; what cannot be delivered then (Step Functions unreachable, the function dying in
between) the relay delivers later, with retries (``relay``: the dispatcher runs it every minute).
So, whatever Step Functions does:

- a person's action never fails, and is never taken back, because Step Functions could not be
  reached: it stands, and its workflow hears of it once Step Functions answers again;
- a wait that is over when its signal comes (it timed out, or ops stopped the execution) is not an
  error: the workflow's own step reads the row it follows (the signal ends ``closed``);
- a signal is retried for as long as Step Functions is out of reach (past ``MAX_ATTEMPTS``, each try
  raises ops' alarm); one Step Functions refuses for good (a token it never issued, a permission, a
  workflow no longer declared) ends ``failed`` at once, with the alarm;
- a start is a signal like the others: an entity has its execution's ARN from the transaction that
  made it (the ARN is known before the execution starts), and is never refused while it runs.

Delivering twice is harmless: a start names its execution (Step Functions starts it once), and a
token answers once (a second answer finds the wait closed).
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, TypeVar

from pydantic import BaseModel

from lambdas.shared.clock import utcnow
from lambdas.shared.db.unit_of_work import UnitOfWork
from lambdas.shared.domain import SignalKind, SignalStatus
from lambdas.shared.errors import ConcurrentSubmission, DatabaseUnavailable, WorkflowUnavailable
from lambdas.shared.observability import logger
from lambdas.shared.stepfunctions import CallbackClosed, Workflows, execution_arn_of, workflows
from workflows import Workflow, all_workflows

if TYPE_CHECKING:  # the outbox's table is loaded with its repository, on first use (uow.signals)
    from lambdas.shared.db.signals.models import Signal

RELAY = "relay"  # the audit trail's actor of what the relay settles
MAX_ATTEMPTS = 20  # about 70 minutes: then every further try is counted, for ops to see
FIRST_RETRY = timedelta(seconds=5)  # then 10, 20, 40 … seconds, at most LONGEST_WAIT
LONGEST_WAIT = timedelta(minutes=5)
CLAIM_FOR = timedelta(minutes=1)  # longer than a delivery can take (the client's timeouts and retries)
BATCH = 10

T = TypeVar("T")
P = ParamSpec("P")
H = TypeVar("H", bound=Callable[..., Any])


# --- writing, in the action's transaction -------------------------------------------------------------


def start(uow: UnitOfWork, workflow: Workflow, entity_id: str) -> str:
    """Start ``workflow``'s execution for ``entity_id`` (its input: ``{"<entity>_id": entity_id}``);
    the execution's ARN, known now."""
    payload = {f"{workflow.entity}_id": entity_id}
    _write(uow, kind=SignalKind.START, workflow=workflow.name, entity_id=entity_id, payload=payload)
    return execution_arn_of(workflow, entity_id)


def resume(uow: UnitOfWork, token: str, answer: BaseModel) -> None:
    """Answer the wait holding ``token`` with ``answer`` (ids and statuses only): what the workflow
    reads as ``$states.result`` once its wait ends (its task declares the model: ``answered_with``)."""
    _write(uow, kind=SignalKind.RESUME, token=token, payload=answer.model_dump(mode="json"))


def answered_with(*answers: type[BaseModel]) -> Callable[[H], H]:
    """Declares what a waiting task is answered with: the models ``resume`` sends its wait, which the
    tests hold the ASL's reads of ``$states.result`` to."""

    def declare(handler: H) -> H:
        setattr(handler, "answered_with", answers)  # noqa: B010 - an attribute of the function
        return handler

    return declare


def heartbeat(uow: UnitOfWork, token: str) -> None:
    """News of progress for the wait holding ``token``: its heartbeat clock starts again."""
    _write(uow, kind=SignalKind.HEARTBEAT, token=token, payload={})


def fail(uow: UnitOfWork, token: str, error: str, cause: str) -> None:
    """End the wait holding ``token`` with ``error`` (its ASL catches it by name)."""
    _write(uow, kind=SignalKind.FAIL, token=token, payload={}, error=error, cause=cause)


def _write(uow: UnitOfWork, **fields: Any) -> None:
    """Claimed by the writer, which delivers it once the transaction commits; the relay's if not."""
    now = utcnow()
    uow.signals.new(
        id=str(uuid.uuid4()),
        status=SignalStatus.PENDING,
        attempts=1,
        next_attempt_at=now,
        claim=str(uuid.uuid4()),
        claimed_until=now + CLAIM_FOR,
        **fields,
    )


# --- running an action --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Actor:
    """Who acts, and what their actions run on: a unit of work per transaction, and the Step Functions
    client that delivers the signals. The API builds one per request (``lambdas.api.caller.actor``);
    a test hands in its own factory or client."""

    name: str  # who the audit trail says made the changes
    unit_of_work: Callable[[str], UnitOfWork] = UnitOfWork
    workflows: Callable[[], Workflows] = workflows

    def run(self, action: Callable[Concatenate[UnitOfWork, P], T], *args: P.args, **kwargs: P.kwargs) -> T:
        """``action(uow, *args, **kwargs)`` committed, then the signals it wrote delivered. A request
        stored at the same instant under the same idempotency key (``ConcurrentSubmission``) is there
        once the other one commits: the action runs once more and finds it."""
        uow = self.unit_of_work(self.name)
        try:
            result = uow.run(action, *args, **kwargs)
        except ConcurrentSubmission:
            result = uow.run(action, *args, **kwargs)
        reachable = True
        for signal in uow.signals.written:  # this transaction's (a repository lives until the next)
            if reachable:
                reachable = deliver(signal, self.workflows(), self.unit_of_work) not in UNREACHABLE
            else:  # the caller does not wait for Step Functions twice: the relay takes the rest
                _release(signal, self.unit_of_work, utcnow())
        return result


# --- delivering -------------------------------------------------------------------------------------------


def deliver(
    signal: Signal,
    client: Workflows,
    unit_of_work: Callable[[str], UnitOfWork] = UnitOfWork,
    now: Callable[[], datetime] = utcnow,
) -> str:
    """Send a claimed signal, then settle it: ``delivered``; ``closed`` (the wait was over);
    ``retried`` later (Step Functions out of reach), ``overdue`` once past ``MAX_ATTEMPTS`` (still
    retried); ``failed`` when Step Functions refuses it for good; ``lapsed`` when its claim went to
    another deliverer."""
    try:
        _send(signal, client)
    except CallbackClosed:
        outcome, values = "closed", {"status": SignalStatus.CLOSED, "delivered_at": now(), "reason": None}
    except WorkflowUnavailable as error:
        logger.warning(
            "workflow signal not delivered: it will be retried",
            extra={"signal_id": signal.id, "kind": signal.kind, "attempts": signal.attempts},
        )
        outcome, values = _retry(signal, str(error), now())
    except Exception as error:  # refused for good, or no longer deliverable (its workflow is gone): ops look
        logger.error(
            "workflow signal refused: ops must look",
            extra={"signal_id": signal.id, "kind": signal.kind, "error_type": type(error).__name__},
        )
        outcome, values = "failed", {"status": SignalStatus.FAILED, "reason": f"{type(error).__name__}: {error}"[:200]}
    else:
        outcome, values = "delivered", {"status": SignalStatus.DELIVERED, "delivered_at": now(), "reason": None}
    try:
        settled = unit_of_work(RELAY).run(_settle, signal.id, signal.claim, values)
    except DatabaseUnavailable:  # its claim lapses: the relay delivers it again, harmlessly
        logger.warning("workflow signal not settled", extra={"signal_id": signal.id})
        return "lapsed"
    return outcome if settled else "lapsed"


UNREACHABLE = ("retried", "overdue")  # what a delivery that did not reach Step Functions ends as


def _release(signal: Signal, unit_of_work: Callable[[str], UnitOfWork], at: datetime) -> None:
    """Leave a claimed signal not tried to the relay, due when a failed one would be retried."""
    values = {"next_attempt_at": at + FIRST_RETRY, "reason": "not tried: Step Functions was out of reach"}
    try:
        unit_of_work(RELAY).run(_unclaim, signal.id, signal.claim, values)
    except DatabaseUnavailable:  # its claim lapses instead
        logger.warning("workflow signal not released", extra={"signal_id": signal.id})


def _send(signal: Signal, client: Workflows) -> None:
    token = signal.token or ""
    match signal.kind:
        case SignalKind.START:
            client.start(_declared()[signal.workflow or ""], signal.entity_id or "", signal.payload)
        case SignalKind.RESUME:
            client.resume(token, signal.payload)
        case SignalKind.HEARTBEAT:
            client.heartbeat(token)
        case SignalKind.FAIL:
            if not client.fail(token, signal.error or "", signal.cause or ""):
                raise CallbackClosed("the wait was over")


def _retry(signal: Signal, reason: str, at: datetime) -> tuple[str, dict[str, Any]]:
    """Again later, each wait twice the last, at most ``LONGEST_WAIT``: nothing is given up while Step
    Functions is out of reach, but past ``MAX_ATTEMPTS`` every try is counted for ops (``overdue``)."""
    wait = min(FIRST_RETRY * 2 ** min(signal.attempts - 1, 16), LONGEST_WAIT)
    outcome = "overdue" if signal.attempts >= MAX_ATTEMPTS else "retried"
    return outcome, {"next_attempt_at": at + wait, "reason": reason[:200]}


def _settle(uow: UnitOfWork, signal_id: str, claim: str | None, values: dict[str, Any]) -> bool:
    return claim is not None and uow.signals.settle(signal_id, claim, **values)


def _unclaim(uow: UnitOfWork, signal_id: str, claim: str | None, values: dict[str, Any]) -> bool:
    return claim is not None and uow.signals.release(signal_id, claim, **values)


def _claim(uow: UnitOfWork, claim: str, at: datetime) -> list[Signal]:
    return uow.signals.claim(claim, at, at + CLAIM_FOR, BATCH)


@cache
def _declared() -> dict[str, Workflow]:
    return {workflow.name: workflow for workflow in all_workflows()}


# --- the relay ----------------------------------------------------------------------------------------------


def relay(
    client: Workflows,
    *,
    unit_of_work: Callable[[str], UnitOfWork] = UnitOfWork,
    now: Callable[[], datetime] = utcnow,
    seconds_left: Callable[[], float] | None = None,
) -> Counter[str]:
    """Deliver the signals due (their writer could not, or died first), batch after batch until none
    is left, a claim's length of ``seconds_left`` no longer remains, or Step Functions is found out of
    reach (the rest waits for the next run: the messages are not kept waiting behind it); how many
    ended each way."""
    outcomes: Counter[str] = Counter()

    def time_left() -> bool:
        return seconds_left is None or seconds_left() > CLAIM_FOR.total_seconds()

    while time_left():
        claim, at = str(uuid.uuid4()), now()
        claimed = unit_of_work(RELAY).run(_claim, claim, at)
        if not claimed:
            break
        for index, signal in enumerate(claimed):
            outcome = deliver(signal, client, unit_of_work, now)
            outcomes[outcome] += 1
            if outcome in UNREACHABLE or not time_left():
                for left in claimed[index + 1 :]:
                    _release(left, unit_of_work, now())
                return outcomes
    return outcomes
