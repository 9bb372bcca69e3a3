"""Plant one bug at a time and check that the tests meant to notice it fail.

    .venv/bin/python -m tests.mutants              # every mutation
    .venv/bin/python -m tests.mutants --only NAME  # one (repeat --only for several)
    .venv/bin/python -m tests.mutants --list       # what they are
    .venv/bin/python -m tests.mutants --head       # mutate the last commit instead of the working tree

Each mutation replaces one exact piece of text in one file and runs the tests that should catch it
(``pytest -x -q``). Everything happens in a scratch copy of the repository, never in the working tree
itself, where other people may be editing or running tests: the copy is made once, each mutated file
is restored from its backup byte for byte before the next mutation, and the copy is deleted at the
end. Each selection is first run unmutated: when it already fails, its mutations are reported as
``baseline fails`` and not run, since a failure would prove nothing.

A mutation whose text is no longer in its file (the code was rewritten since) is reported as
``text not found`` and skipped; update its ``find`` then. Exit status 0 when every mutation was
caught, 1 otherwise.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]

MATRIX = ("tests/api/test_auth_matrix.py",)
MATCHING = ("tests/unit/test_duplicate_matching.py",)
RETRY_CATCH = ("tests/engine/test_retry_catch.py",)
QUEUE = ("tests/workflows/test_queue_progression.py", "tests/workflows/test_queue_reliability.py")


@dataclass(frozen=True)
class Mutation:
    name: str
    path: str
    find: str
    replace: str
    tests: tuple[str, ...]
    what: str


MUTATIONS = (
    # --- who may call what (lambdas/api, local/) ---
    Mutation(
        "read-records-to-ops",
        "lambdas/api/access.py",
        "READ_RECORDS = frozenset({Group.FRONT_DESK, Group.MANAGERS})",
        "READ_RECORDS = frozenset({Group.FRONT_DESK, Group.MANAGERS, Group.OPS})",
        MATRIX,
        "ops may read client records",
    ),
    Mutation(
        "erasure-to-front-desk",
        "lambdas/api/access.py",
        "ERASE_PERSONAL_DATA = frozenset({Group.MANAGERS})",
        "ERASE_PERSONAL_DATA = frozenset({Group.MANAGERS, Group.FRONT_DESK})",
        MATRIX,
        "the front desk may erase a client",
    ),
    Mutation(
        "openapi-public",
        "lambdas/api/routes/document.py",
        '"/openapi.json",\n    allow=STAFF,',
        '"/openapi.json",\n    allow=frozenset(),',
        MATRIX,
        "the OpenAPI document needs no token",
    ),
    Mutation(
        "lab-path-unmapped",
        "lambdas/api/routes/__init__.py",
        '    "/lab": "orders",\n',
        "",
        ("tests/api/test_route_modules.py",),
        "no route module serves the lab's paths: the function refuses its results",
    ),
    Mutation(
        "path-of-another-route",
        "lambdas/api/proxy_event.py",
        'if not instance_of(event["resource"], event["path"]):',
        "if False:",
        ("tests/api/test_proxy_events.py",),
        "a direct invoke reaches the route of its path with the groups of its resource",
    ),
    Mutation(
        "handler-ignores-groups",
        "lambdas/api/access.py",
        "if not caller.groups & access.allow:",
        "if not caller.groups:",
        MATRIX,
        "the handler lets any signed-in caller through, whatever their groups",
    ),
    Mutation(
        "gateway-skips-tokens",
        "local/gateway.py",
        "        if not route.access.public:\n            try:",
        "        if False:\n            try:",
        MATRIX,
        "the local gateway checks no token (no API Gateway 401)",
    ),
    Mutation(
        "token-audience-unchecked",
        "local/tokens.py",
        '    if claims.get("aud") != AUDIENCE:',
        "    if False:",
        MATRIX,
        "a token for another app client is accepted",
    ),
    # --- typo-tolerant duplicate matching (lambdas/shared/onboarding/steps.py) ---
    Mutation(
        "similar-names-disabled",
        "lambdas/shared/onboarding/steps.py",
        "def _similar_names(client: Client, candidate: Client) -> bool:\n",
        "def _similar_names(client: Client, candidate: Client) -> bool:\n    return False\n",
        MATCHING,
        "no typo tolerance at all",
    ),
    Mutation(
        "two-substitutions-are-one-edit",
        "lambdas/shared/onboarding/steps.py",
        "if len(differences) <= 1:",
        "if len(differences) <= 2:",
        MATCHING,
        "two letters wrong still count as one typo",
    ),
    Mutation(
        "no-transpositions",
        "lambdas/shared/onboarding/steps.py",
        "return len(differences) == 2 and j == i + 1 and (first[i], first[j]) == (second[j], second[i])",
        "return False",
        MATCHING,
        "two neighbouring letters swapped are not one typo",
    ),
    Mutation(
        "transpositions-far-apart",
        "lambdas/shared/onboarding/steps.py",
        "return len(differences) == 2 and j == i + 1 and",
        "return len(differences) == 2 and j > i and",
        MATCHING,
        "two letters swapped anywhere in the name count as one typo",
    ),
    Mutation(
        "typo-compared-only-in-place",
        "lambdas/shared/onboarding/steps.py",
        'theirs = (_full_name(candidate), f"{fold(candidate.last_name)} {fold(candidate.first_name)}")',
        "theirs = (_full_name(candidate),)",
        MATCHING,
        "a typo in swapped names is not tolerated",
    ),
    Mutation(
        "no-minimum-name-length",
        "lambdas/shared/onboarding/steps.py",
        "return len(mine) >= 8 and any(len(name) >= 8 and _within_one_edit(mine, name) for name in theirs)",
        "return any(_within_one_edit(mine, name) for name in theirs)",
        MATCHING,
        "short names a typo apart are taken for the same person",
    ),
    # --- Retry and Catch (local/sfn/retry_catch.py) ---
    Mutation(
        "error-equals-by-prefix",
        "local/sfn/retry_catch.py",
        "if error in names or STATES_ALL in names:",
        "if any(error is not None and error.startswith(name) for name in names) or STATES_ALL in names:",
        RETRY_CATCH,
        'ErrorEquals ["Database"] matches DatabaseUnavailable',
    ),
    Mutation(
        "error-equals-ignores-case",
        "local/sfn/retry_catch.py",
        "if error in names or STATES_ALL in names:",
        'if (error or "").lower() in {name.lower() for name in names} or STATES_ALL in names:',
        RETRY_CATCH,
        "error names match whatever their case",
    ),
    Mutation(
        "states-all-matches-runtime",
        "local/sfn/retry_catch.py",
        'if error == "States.Runtime":\n        return False',
        'if error == "States.Runtime" and STATES_ALL not in names:\n        return False',
        RETRY_CATCH,
        "States.ALL retries and catches States.Runtime",
    ),
    Mutation(
        "runtime-caught-by-name",
        "local/sfn/retry_catch.py",
        'if error == "States.Runtime":\n        return False',
        'if error == "States.Runtime" and error not in names:\n        return False',
        RETRY_CATCH,
        "a retrier or catcher naming States.Runtime handles it",
    ),
    Mutation(
        "task-failed-matches-timeout",
        "local/sfn/retry_catch.py",
        'task_error = state_type == "Task" and error is not None and not error.startswith("States.")',
        'task_error = state_type == "Task" and error is not None',
        RETRY_CATCH,
        "States.TaskFailed matches States.Timeout",
    ),
    Mutation(
        "max-attempts-off-by-one",
        "local/sfn/retry_catch.py",
        "if used < retrier.max_attempts:",
        "if used <= retrier.max_attempts:",
        RETRY_CATCH,
        "one retry more than MaxAttempts",
    ),
    Mutation(
        "backoff-one-step-ahead",
        "local/sfn/retry_catch.py",
        "delay = retrier.interval_seconds * retrier.backoff_rate ** (attempt - 1)",
        "delay = retrier.interval_seconds * retrier.backoff_rate**attempt",
        RETRY_CATCH,
        "the first retry already waits IntervalSeconds x BackoffRate",
    ),
    Mutation(
        "max-delay-ignored",
        "local/sfn/retry_catch.py",
        "delay = min(delay, retrier.max_delay_seconds)",
        "delay = delay",
        RETRY_CATCH,
        "MaxDelaySeconds does not cap the interval",
    ),
    Mutation(
        "last-catcher-first",
        "local/sfn/retry_catch.py",
        "catcher = next((each for each in catchers if",
        "catcher = next((each for each in reversed(catchers) if",
        RETRY_CATCH,
        "catchers are tried from the last one",
    ),
    # --- hardening: what a hostile or careless caller reaches (lambdas/) ---
    Mutation(
        "parameters-in-errors",
        "lambdas/shared/db/engine.py",
        "engine = create_engine(url, hide_parameters=True)",
        "engine = create_engine(url)",
        ("tests/workflows/test_no_personal_data_in_logs.py", "tests/unit/test_engine_factory.py"),
        "SQLite errors quote the statement's parameters (people's data)",
    ),
    Mutation(
        "error-message-logged",
        "lambdas/shared/observability.py",
        '        "error_type": type(error).__name__,',
        '        "error_type": f"{type(error).__name__}: {error}",',
        ("tests/workflows/test_no_personal_data_in_logs.py",),
        "an unexpected error's message (which may quote a row) is logged",
    ),
    Mutation(
        "erasure-skips-merged",
        "lambdas/shared/erasure.py",
        "records = [client, *uow.clients.merged_into(client_id)]",
        "records = [client]",
        ("tests/workflows/test_erasure.py",),
        "erasure leaves the applications merged into the client",
    ),
    Mutation(
        "duplicate-keys-last-wins",
        "lambdas/api/requests.py",
        "        if key in document:",
        "        if False:",
        ("tests/api/test_malformed_requests.py",),
        "a key repeated in a JSON object is taken as the last one",
    ),
    Mutation(
        "phones-as-typed",
        "lambdas/shared/onboarding/intake.py",
        "        return to_e164(value, read(IntakeParameters).default_phone_region)",
        "        return value",
        ("tests/workflows/test_everyone_onboarded.py",),
        "phones are kept as typed: the same number written two ways is not the same person",
    ),
    Mutation(
        "signal-never-relayed",
        "lambdas/shared/signals.py",
        "        if not claimed:\n            break",
        "        break",
        ("tests/workflows/test_signals.py",),
        "a signal its writer could not deliver waits in the outbox forever",
    ),
    Mutation(
        "no-security-headers",
        "lambdas/api/app.py",
        "        headers[name] = [value]",
        "        pass",
        ("tests/api/test_malformed_requests.py",),
        "answers go out without Cache-Control: no-store",
    ),
    Mutation(
        "length-two-facts",
        "lambdas/shared/fields.py",
        "Reference = Annotated[str, *single_line(REFERENCE_LENGTH)]",
        "Reference = Annotated[str, *single_line(REFERENCE_LENGTH + 100)]",
        ("tests/mysql/test_field_limits.py",),
        "the request model allows a longer reference than its column holds (MySQL's Data too long)",
    ),
    Mutation(
        "duplicate-checks-unserialised",
        "lambdas/shared/db/clients/repository.py",
        "            .where(Client.duplicate_checked_at.is_not(None))",
        "            .where(tuple_(Client.created_at, Client.id) < tuple_(client.created_at, client.id))",
        MATCHING,
        "only applications stored earlier count, whatever was compared first",
    ),
    # --- the queue (lambdas/shared/queue, its repository and workflow) ---
    Mutation(
        "priority-streak-unbounded",
        "lambdas/shared/queue/calling.py",
        "normal_first = uow.queue.priority_streak(site_id, station_id, day) >= site.priority_streak",
        "normal_first = False",
        QUEUE,
        "priority tickets may starve a normal one",
    ),
    Mutation(
        "call-order-ignores-check-in-time",
        "lambdas/shared/db/queue/calling_order.py",
        "query.order_by(rank_in_sql(now, normal_first=normal_first), Ticket.checked_in_at, Ticket.id)",
        "query.order_by(rank_in_sql(now, normal_first=normal_first), Ticket.queued_at.desc(), Ticket.id)",
        QUEUE,
        "the last to join a station's queue is called first",
    ),
    Mutation(
        "second-miss-recalled-again",
        "lambdas/shared/queue/steps.py",
        "    if ticket.recalled:\n        end_ticket(uow, ticket, TicketStatus.NO_SHOW",
        "    if False:\n        end_ticket(uow, ticket, TicketStatus.NO_SHOW",
        QUEUE,
        "a person who never comes is recalled forever, never a no-show",
    ),
    Mutation(
        "wait-parked-whatever-the-status",
        "lambdas/shared/queue/steps.py",
        "    if ticket.status != AWAITED_IN[waiting_for]:",
        "    if False:",
        QUEUE,
        "an action taken before the workflow waits for it leaves the workflow waiting forever",
    ),
    Mutation(
        "ticket-action-tells-no-workflow",
        "lambdas/shared/queue/desk.py",
        "    if ticket.task_token is not None:\n        signals.resume(",
        "    if False:\n        signals.resume(",
        QUEUE,
        "a counter's action leaves the ticket's workflow waiting for it until its timeout",
    ),
    Mutation(
        "number-read-without-its-lock",
        "lambdas/shared/db/queue/repository.py",
        "            result = connection.execute(bumped)\n"
        "            if result.rowcount:\n"
        "                return int(result.lastrowid)",
        "            current = connection.execute(select(counters.c.last_number).where(*key)).scalar()\n"
        "            if current is not None:  # read, then written: two check-ins may read the same\n"
        "                connection.execute(update(counters).where(*key).values(last_number=current + 1))\n"
        "                return current + 1",
        ("tests/mysql/test_concurrent_check_in.py",),
        "two check-ins at the same instant take the same number",
    ),
    Mutation(
        "released-frame-serves-no-one",
        "lambdas/shared/orders/steps.py",
        '    record_event(uow, order, "frame_released", actor, sku=order.frame_sku)\n    return True',
        '    record_event(uow, order, "frame_released", actor, sku=order.frame_sku)\n    return False',
        ("tests/workflows/test_order_fulfilment.py",),
        "a frame put back on the shelf never serves the order waiting for it",
    ),
    Mutation(
        "answered-wait-left-waiting",
        "lambdas/shared/queue/steps.py",
        "            signals.resume(uow, token, TicketAnswer(ticket_id=ticket_id, status=ticket.status))",
        "            pass",
        QUEUE,
        "a wait staff answered before the workflow reached it waits until its timeout",
    ),
    Mutation(
        "refused-signal-retried-as-unreachable",
        "lambdas/shared/stepfunctions.py",
        '    return WorkflowRefused(f"Step Functions refused {what}: {code}")',
        '    return WorkflowUnavailable(f"Step Functions refused {what}: {code}")',
        ("tests/unit/test_stepfunctions_refusals.py",),
        "a token Step Functions never issued is retried for ever, and no alarm says so",
    ),
    Mutation(
        "closed-wait-retried",
        "lambdas/shared/signals.py",
        '    except CallbackClosed:\n        outcome, values = "closed"',
        '    except ZeroDivisionError:\n        outcome, values = "closed"',
        ("tests/workflows/test_answers.py",),
        "an answer to a wait that is over fails the request, or is retried forever",
    ),
    Mutation(
        "token-shown-in-history",
        "lambdas/shared/executions/timeline.py",
        "        return TOKEN_SHAPED.sub(REMOVED, value)",
        "        return value",
        ("tests/workflows/test_executions_api.py", "tests/unit/test_execution_timeline.py"),
        "a task token in an error or cause is shown to whoever reads the execution",
    ),
    Mutation(
        "stopped-execution-redriven",
        "lambdas/shared/executions/reading.py",
        '    if described["status"] == "ABORTED":',
        '    if described["status"] == "NEVER":',
        ("tests/workflows/test_executions_api.py",),
        "a stopped execution is redriven, reopening what its stop ended",
    ),
    Mutation(
        "consent-not-rechecked",
        "lambdas/shared/notify/dispatch.py",
        "        if consent is None or not consent.granted or consent.withdrawn_at is not None:",
        "        if consent is None:",
        ("tests/workflows/test_dispatcher.py",),
        "an SMS goes although its consent was withdrawn after it was queued",
    ),
    # --- rules a test pins down on both sides (the survivors of an earlier round) ---
    Mutation(
        "addition-checked-high-side-only",
        "lambdas/shared/orders/tolerances.py",
        "if measured.add is None or abs(measured.add - ordered.add) > tolerance:",
        "if measured.add is None or measured.add - ordered.add > tolerance:",
        ("tests/unit/test_lens_tolerances.py",),
        "an addition measured too low passes the quality check",
    ),
    Mutation(
        "exact-date-wins-over-approximate",
        "lambdas/shared/onboarding/steps.py",
        "    if client.birth_date_quality == candidate.birth_date_quality == BirthDateQuality.EXACT:",
        "    if BirthDateQuality.EXACT in (client.birth_date_quality, candidate.birth_date_quality):",
        MATCHING,
        "an exact birth date is compared day for day with an approximate one: the same person is missed",
    ),
    Mutation(
        "erasure-one-merge-deep",
        "lambdas/shared/db/clients/repository.py",
        "            targets = [client.id for client in merged]",
        "            targets = []",
        ("tests/workflows/test_erasure.py",),
        "erasure misses an application merged into one that was merged into the client",
    ),
    Mutation(
        "refused-consent-sends",
        "lambdas/shared/notify/dispatch.py",
        "        if consent is None or not consent.granted or consent.withdrawn_at is not None:",
        "        if consent is None or consent.withdrawn_at is not None:",
        ("tests/workflows/test_dispatcher.py",),
        "an SMS goes although the consent on record is a refusal",
    ),
    Mutation(
        "retriers-share-their-attempts",
        "local/sfn/outcomes.py",
        "        run.retry_counts[outcome.position] += 1",
        "        run.retry_counts = [count + 1 for count in run.retry_counts]",
        RETRY_CATCH,
        "a retry counts against every retrier of the state, not only the one that matched",
    ),
    Mutation(
        "numbers-ignore-the-day",
        "lambdas/shared/db/queue/repository.py",
        "        key = (counters.c.site_id == site_id, counters.c.service_day == day, counters.c.prefix == prefix)",
        "        key = (counters.c.site_id == site_id, counters.c.prefix == prefix)",
        ("tests/workflows/test_check_in.py",),
        "ticket numbers go on from yesterday's instead of starting again at 1",
    ),
    Mutation(
        "admin-secret-to-the-api",
        "infra/constructs/functions.py",
        "        database.secret.grant_read(self.migrations)  # type: ignore[union-attr]",
        "        database.secret.grant_read(self.migrations)  # type: ignore[union-attr]\n"
        "        database.secret.grant_read(self.api)  # type: ignore[union-attr]",
        ("tests/infra/test_stack.py",),
        "the API function may read the cluster's administrator secret",
    ),
    Mutation(
        "stock-decrement-unconditional",
        "lambdas/shared/db/orders/repository.py",
        "        return self._change(site_id, sku, -1, at_least=1)",
        "        return self._change(site_id, sku, -1, at_least=None)",
        ("tests/unit/test_frame_stock.py",),
        "a frame is taken from an empty shelf (only the database's CHECK would refuse it)",
    ),
    # --- liveness: whoever asks for work while work exists gets some ---
    Mutation(
        "first-row-locked-shared",
        "lambdas/shared/db/rows.py",
        "mysql_insert(table).values(values).on_duplicate_key_update({key.name: key})",
        'mysql_insert(table).values(values).prefix_with("IGNORE")',
        ("tests/mysql/test_concurrent_check_in.py",),
        "the day's first check-ins at once deadlock on its new counter: some are refused",
    ),
    Mutation(
        "call-next-without-turns",
        "lambdas/shared/queue/calling.py",
        '    uow.serialise(digest(f"call-next {site_id}/{station_id}"))',
        "    pass",
        ("tests/mysql/test_concurrent_calls.py",),
        "counters calling at once each read the streak before the others' calls: priority tickets starve others",
    ),
    Mutation(
        "restock-skips-a-held-order",
        "lambdas/shared/orders/desk.py",
        "        order = open_order(uow, order_id)\n        if order.status != OrderStatus.AWAITING_FRAME",
        "        order = uow.orders.session.get(Order, order_id, with_for_update={'skip_locked': True}, "
        "populate_existing=True)\n        if order is None or order.status != OrderStatus.AWAITING_FRAME",
        ("tests/mysql/test_concurrent_orders.py",),
        "a restock leaves the frame on the shelf when the waiting order is held by another transaction",
    ),
    Mutation(
        "deadlock-not-retried",
        "lambdas/shared/db/unit_of_work.py",
        "                if not error.busy or attempt == BUSY_ATTEMPTS:",
        "                if True:",
        ("tests/mysql/test_concurrent_deadlocks.py",),
        "a transaction the database ended to break a deadlock is a 503, not run again",
    ),
    Mutation(
        "operations-not-serialised",
        "lambdas/shared/executions/operating.py",
        '    uow.serialise(digest(f"operate {arn}"))',
        "    pass",
        ("tests/workflows/test_executions_api.py",),
        "three ops pressing Redrive, or Stop, at once each get a 202 and an audit line",
    ),
    Mutation(
        "nudged-after-rollback",
        "lambdas/shared/db/unit_of_work.py",
        "        if exc is None:\n            for callback",
        "        if True:\n            for callback",
        ("tests/workflows/test_dispatcher.py",),
        "the dispatcher is invoked for a message whose transaction rolled back",
    ),
)


@dataclass(frozen=True)
class Outcome:
    mutation: Mutation
    verdict: str  # caught, survived, text not found, ambiguous, baseline fails, error
    detail: str = ""
    seconds: float = 0.0


# What the tests read but git ignores: the installed npm packages (the console's layout library, the
# CDK CLI), linked into the copy, never mutated.
INSTALLED = ("node_modules", "console/node_modules")


def scratch_copy(source: Path, destination: Path, *, head: bool) -> None:
    """The repository's files (tracked and untracked, not ignored) or its last commit, in ``destination``."""
    for installed in INSTALLED:
        if (source / installed).is_dir():
            (destination / installed).parent.mkdir(parents=True, exist_ok=True)
            (destination / installed).symlink_to(source / installed)
    if head:
        archive = subprocess.run(["git", "archive", "HEAD"], cwd=source, capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(destination)], input=archive, check=True)
        return
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=source,
        capture_output=True,
        check=True,
    ).stdout
    for name in sorted({item for item in listed.decode().split("\0") if item}):
        origin = source / name
        if origin.is_file():  # a tracked file someone deleted is simply absent
            target = destination / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(origin, target)


def run_tests(root: Path, tests: tuple[str, ...], *, stop_at_first: bool = True) -> tuple[int, str]:
    """pytest on ``tests`` inside ``root``; its exit status and output. No bytecode is written, so a
    mutated module is always compiled from its mutated source."""
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *(["-x"] if stop_at_first else [])]
    environment = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    environment.pop("PYTHONPATH", None)
    result = subprocess.run(
        [*command, *tests], cwd=root, env=environment, capture_output=True, text=True, check=False, timeout=900
    )
    return result.returncode, result.stdout + result.stderr


def first_failure(output: str) -> str:
    for line in output.splitlines():
        if line.startswith(("FAILED ", "ERROR ")):
            return line
    lines = [line for line in output.splitlines() if line.strip()]
    return lines[-1] if lines else ""


@contextmanager
def mutated(path: Path, find: str, replace: str) -> Iterator[None]:
    """``path`` with ``find`` replaced by ``replace`` inside the block, restored byte for byte after it."""
    backup = path.read_bytes()
    path.write_bytes(backup.replace(find.encode(), replace.encode(), 1))
    try:
        yield
    finally:
        path.write_bytes(backup)
        if path.read_bytes() != backup:
            raise RuntimeError(f"{path} could not be restored")


def apply(root: Path, mutation: Mutation) -> Outcome:
    path = root / mutation.path
    if not path.is_file():
        return Outcome(mutation, "text not found", f"{mutation.path} does not exist")
    count = path.read_text(encoding="utf-8").count(mutation.find)
    if count == 0:
        return Outcome(mutation, "text not found", f"{mutation.path} no longer contains {mutation.find!r}")
    if count > 1:
        return Outcome(mutation, "ambiguous", f"{mutation.path} contains {mutation.find!r} {count} times")
    started = time.monotonic()
    with mutated(path, mutation.find, mutation.replace):
        status, output = run_tests(root, mutation.tests)
    seconds = time.monotonic() - started
    if status == 0:
        return Outcome(mutation, "survived", "every selected test passed", seconds)
    if status in (1, 2):  # 1: tests failed; 2: collection or import failed, the mutant still did not pass
        return Outcome(mutation, "caught", first_failure(output), seconds)
    return Outcome(mutation, "error", f"pytest exit status {status}: {first_failure(output)}", seconds)


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.mutants", description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", action="append", metavar="NAME", help="run only this mutation (repeatable)")
    parser.add_argument("--list", action="store_true", help="list the mutations and exit")
    parser.add_argument("--head", action="store_true", help="mutate the last commit, not the working tree")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    by_name = {mutation.name: mutation for mutation in MUTATIONS}
    if arguments.list:
        for mutation in MUTATIONS:
            print(f"{mutation.name:32} {mutation.path:32} {mutation.what}")
        return 0
    unknown = sorted(set(arguments.only or ()) - set(by_name))
    if unknown:
        print(f"unknown mutation: {', '.join(unknown)} (see --list)", file=sys.stderr)
        return 2
    chosen = [by_name[name] for name in arguments.only] if arguments.only else list(MUTATIONS)
    # SIGTERM ends the run through the finally blocks, so the scratch copy is removed
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    with tempfile.TemporaryDirectory(prefix="fondation-mutants-") as scratch:
        root = Path(scratch)
        scratch_copy(REPO_ROOT, root, head=arguments.head)
        outcomes = []
        for tests in dict.fromkeys(mutation.tests for mutation in chosen):
            print(f"baseline        {' '.join(tests)}", flush=True)
            status, output = run_tests(root, tests, stop_at_first=False)
            group = [mutation for mutation in chosen if mutation.tests == tests]
            if status != 0:  # a selection that fails unmutated cannot tell a mutant from the code
                detail = f"the unmutated selection fails (pytest exit status {status}): {first_failure(output)}"
                outcomes += [Outcome(mutation, "baseline fails", detail) for mutation in group]
                print(f"{'baseline fails':15}        {detail}", flush=True)
                continue
            for mutation in group:
                outcome = apply(root, mutation)
                outcomes.append(outcome)
                timing = f"{outcome.seconds:5.1f}s" if outcome.seconds else "      "
                print(f"{outcome.verdict:15} {timing} {mutation.name:32} {outcome.detail}", flush=True)
    counts = Counter(outcome.verdict for outcome in outcomes)
    print("summary: " + ", ".join(f"{count} {verdict}" for verdict, count in counts.items()))
    return 0 if all(outcome.verdict == "caught" for outcome in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
