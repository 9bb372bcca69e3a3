"""The action protocol's policy, written once in ``lambdas.shared.signals``: what an action writes is
delivered after it commits, or by the relay, with retries; a wait that is over closes its signal;
nothing is sent for an action that did not commit."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import update

from lambdas.shared import signals
from lambdas.shared.clock import utcnow
from lambdas.shared.db.signals.models import Signal
from lambdas.shared.db.unit_of_work import UnitOfWork
from lambdas.shared.errors import ConcurrentSubmission, Conflict, WorkflowUnavailable
from lambdas.shared.queue.steps import TicketAnswer
from lambdas.shared.signals import Actor
from lambdas.shared.stepfunctions import CallbackClosed, WorkflowRefused
from tests.signals import written
from workflows.queue_progression import WORKFLOW as QUEUE_PROGRESSION


class Workflows:
    """Step Functions as the protocol sees it: up, down, or no longer waiting for a token."""

    def __init__(self) -> None:
        self.down = False
        self.closed: set[str] = set()
        self.refused: set[str] = set()
        self.received: list[tuple[str, Any]] = []

    def _reach(self, what: str, detail: Any) -> None:
        if self.down:
            raise WorkflowUnavailable("Step Functions is not reachable")
        if detail in self.closed:
            raise CallbackClosed("the wait is over")
        if detail in self.refused:
            raise WorkflowRefused("Step Functions refused the answer: InvalidToken")
        self.received.append((what, detail))

    def start(self, workflow: Any, entity_id: str, payload: dict[str, Any]) -> str:
        self._reach("start", entity_id)
        return f"arn:{entity_id}"

    def resume(self, token: str, output: dict[str, Any]) -> None:
        self._reach("resume", token)

    def heartbeat(self, token: str) -> None:
        self._reach("heartbeat", token)

    def fail(self, token: str, error: str, cause: str) -> bool:
        if token in self.closed:
            return False
        self._reach("fail", token)
        return True


@pytest.fixture
def step_functions(database_url: str) -> Workflows:
    return Workflows()


def actor(step_functions: Workflows) -> Actor:
    return Actor("desk-1", workflows=lambda: step_functions)  # type: ignore[arg-type, return-value]


def answer(uow: UnitOfWork, token: str) -> str:
    signals.resume(uow, token, TicketAnswer(ticket_id="t-1", status="called"))
    return token


def later(seconds: float) -> datetime:
    return utcnow() + timedelta(seconds=seconds)


def relay(step_functions: Workflows, at: datetime) -> dict[str, int]:
    return dict(signals.relay(step_functions, now=lambda: at))  # type: ignore[arg-type]


def test_an_action_is_delivered_once_it_commits(step_functions: Workflows) -> None:
    arn = actor(step_functions).run(lambda uow: signals.start(uow, QUEUE_PROGRESSION, "t-1"))
    assert arn.endswith(":execution:queue-progression:ticket-t-1")
    actor(step_functions).run(answer, "token-1")
    assert step_functions.received == [("start", "t-1"), ("resume", "token-1")]
    assert [signal.status for signal in written()] == ["delivered", "delivered"]
    assert relay(step_functions, later(3600)) == {}  # nothing is sent twice


def test_an_action_that_does_not_commit_sends_nothing(step_functions: Workflows) -> None:
    def refused(uow: UnitOfWork) -> None:
        signals.resume(uow, "token-1", TicketAnswer(ticket_id="t-1", status="called"))
        raise Conflict("the ticket moved on")

    with pytest.raises(Conflict):
        actor(step_functions).run(refused)
    assert (step_functions.received, written()) == ([], [])


def test_an_action_stored_at_once_under_the_same_key_runs_again_and_finds_it(step_functions: Workflows) -> None:
    runs: list[int] = []

    def once_taken(uow: UnitOfWork) -> int:
        runs.append(1)
        if len(runs) == 1:
            raise ConcurrentSubmission("key")
        return len(runs)

    assert actor(step_functions).run(once_taken) == 2


def test_a_signal_step_functions_cannot_take_is_retried_for_as_long_and_counted_past_its_attempts(
    step_functions: Workflows,
) -> None:
    step_functions.down = True
    before = utcnow()
    actor(step_functions).run(answer, "token-1")  # the action stands
    [signal] = written()
    assert (signal.status, signal.attempts) == ("pending", 1)
    assert before + signals.FIRST_RETRY <= signal.next_attempt_at <= utcnow() + signals.FIRST_RETRY
    # each try waits twice as long as the one before, at most LONGEST_WAIT
    at = signal.next_attempt_at
    waits, outcomes = [], []
    for _ in range(signals.MAX_ATTEMPTS + 5):
        assert relay(step_functions, at - timedelta(seconds=1)) == {}  # not due yet
        outcomes.append(relay(step_functions, at))
        [signal] = written()
        waits.append(signal.next_attempt_at - at)
        at = signal.next_attempt_at
    assert waits[:3] == [signals.FIRST_RETRY * 2, signals.FIRST_RETRY * 4, signals.FIRST_RETRY * 8]
    assert set(waits[-5:]) == {signals.LONGEST_WAIT}
    # never given up: past MAX_ATTEMPTS each try is counted for ops (overdue), and it stays pending
    assert outcomes.count({"retried": 1}) == signals.MAX_ATTEMPTS - 2
    assert outcomes[signals.MAX_ATTEMPTS - 2 :] == [{"overdue": 1}] * 7
    assert (signal.status, "not reachable" in (signal.reason or "")) == ("pending", True)
    step_functions.down = False
    assert relay(step_functions, at) == {"delivered": 1}
    [signal] = written()
    assert (signal.status, signal.reason) == ("delivered", None)


def test_a_signal_step_functions_refuses_for_good_fails_at_once_and_the_others_go(step_functions: Workflows) -> None:
    UnitOfWork("desk-1").run(lambda uow: signals.start(uow, QUEUE_PROGRESSION, "t-1"))
    UnitOfWork("desk-1").run(answer, "token-1")
    with UnitOfWork("test") as uow:  # a start whose workflow a deploy has since removed
        uow.session.execute(update(Signal).where(Signal.kind == "start").values(workflow="gone"))
    step_functions.refused = {"token-1"}
    UnitOfWork("desk-1").run(answer, "token-2")
    outcomes = relay(step_functions, later(signals.CLAIM_FOR.total_seconds() + 1))
    assert outcomes == {"failed": 2, "delivered": 1}
    assert step_functions.received == [("resume", "token-2")]
    assert {signal.token or signal.workflow: signal.status for signal in written()} == {
        "gone": "failed",
        "token-1": "failed",
        "token-2": "delivered",
    }
    assert relay(step_functions, later(3600)) == {}  # failed: for ops, not retried


def test_the_relay_stops_at_the_first_signal_step_functions_cannot_take(step_functions: Workflows) -> None:
    for token in ("token-1", "token-2", "token-3"):
        UnitOfWork("desk-1").run(answer, token)  # writers that died before delivering
    step_functions.down = True
    at = later(signals.CLAIM_FOR.total_seconds() + 1)
    assert relay(step_functions, at) == {"retried": 1}  # the others are left for the next run, untried
    tried = sorted((signal.status, signal.attempts, signal.claim) for signal in written())
    assert tried == [("pending", 1, None), ("pending", 1, None), ("pending", 2, None)]
    step_functions.down = False
    assert relay(step_functions, at + signals.FIRST_RETRY * 2) == {"delivered": 3}


def test_a_signal_delivered_once_step_functions_is_back(step_functions: Workflows) -> None:
    step_functions.down = True
    actor(step_functions).run(answer, "token-1")
    step_functions.down = False
    assert relay(step_functions, later(signals.FIRST_RETRY.total_seconds())) == {"delivered": 1}
    assert step_functions.received == [("resume", "token-1")]


def test_a_wait_that_is_over_closes_its_signal_without_retrying(step_functions: Workflows) -> None:
    step_functions.closed = {"token-1", "token-2"}
    actor(step_functions).run(answer, "token-1")
    actor(step_functions).run(lambda uow: signals.fail(uow, "token-2", "ClientErased", "erased"))
    assert [signal.status for signal in written()] == ["closed", "closed"]
    assert relay(step_functions, later(3600)) == {}


def test_a_signal_whose_writer_died_before_sending_it_is_relayed_once_its_claim_lapses(
    step_functions: Workflows,
) -> None:
    UnitOfWork("desk-1").run(answer, "token-1")  # committed; the function died before delivering it
    assert relay(step_functions, utcnow()) == {}  # its writer's claim still holds
    assert relay(step_functions, later(signals.CLAIM_FOR.total_seconds() + 1)) == {"delivered": 1}
    assert step_functions.received == [("resume", "token-1")]


def test_a_heartbeat_and_a_failure_go_as_written(step_functions: Workflows) -> None:
    actor(step_functions).run(lambda uow: signals.heartbeat(uow, "token-1"))
    actor(step_functions).run(lambda uow: signals.fail(uow, "token-2", "ClientErased", "erased"))
    assert step_functions.received == [("heartbeat", "token-1"), ("fail", "token-2")]


def test_once_step_functions_is_out_of_reach_an_action_leaves_its_other_signals_to_the_relay(
    step_functions: Workflows,
) -> None:
    tried: list[str] = []
    reach = step_functions._reach

    def counted(what: str, detail: Any) -> None:
        tried.append(detail)
        reach(what, detail)

    step_functions._reach = counted  # type: ignore[method-assign]
    step_functions.down = True

    def restock(uow: UnitOfWork) -> None:  # a restock that serves three waiting orders
        for token in ("token-1", "token-2", "token-3"):
            answer(uow, token)

    actor(step_functions).run(restock)
    assert tried == ["token-1"]  # the caller waited for Step Functions once
    assert [(signal.status, signal.attempts) for signal in written()] == [
        ("pending", 1),
        ("pending", 0),
        ("pending", 0),
    ]
    step_functions.down = False
    assert relay(step_functions, later(signals.FIRST_RETRY.total_seconds())) == {"delivered": 3}
