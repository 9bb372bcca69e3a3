"""The unit of work: one session and one transaction per invocation.

Leaving the block commits; an exception rolls back and is re-raised, with driver errors that mean
"the database is not there right now" turned into ``DatabaseUnavailable`` so workflows retry them.
``run`` is how the functions use it: a transaction the database ended because of another one's locks
runs again before anyone hears of it.
"""

from __future__ import annotations

import importlib
import random
import time
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, Self, TypeVar

from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import Session, sessionmaker

from lambdas.shared.db.engine import session_factory
from lambdas.shared.errors import DatabaseUnavailable

if TYPE_CHECKING:
    from lambdas.shared.db.clients.repository import ClientRepository, ConsentRepository, EvidenceRepository
    from lambdas.shared.db.notifications.repository import NotificationRepository
    from lambdas.shared.db.orders.repository import FrameRepository, OrderRepository
    from lambdas.shared.db.queue.repository import QueueRepository
    from lambdas.shared.db.records.repository import IdempotencyRepository, RecordRepository
    from lambdas.shared.db.signals.repository import SignalRepository
    from lambdas.shared.db.sites.repository import SiteRepository

# Each context's repository (``lambdas/shared/db/<context>/repository.py``), built on first use in a
# unit of work: a function maps only the tables it touches (the onboarding never loads the queue's).
# A context's tables are loaded with its repository: code outside ``lambdas/shared/db`` that needs no
# more than the outboxes, the audit log or the locks builds their rows through it (``uow.signals.new``)
# and imports their models for type checking only, so a function pays for them on first use.
REPOSITORIES = {
    "clients": ("clients", "ClientRepository"),
    "evidence": ("clients", "EvidenceRepository"),
    "consents": ("clients", "ConsentRepository"),
    "sites": ("sites", "SiteRepository"),
    "queue": ("queue", "QueueRepository"),
    "frames": ("orders", "FrameRepository"),
    "orders": ("orders", "OrderRepository"),
    "notifications": ("notifications", "NotificationRepository"),
    "idempotency": ("records", "IdempotencyRepository"),
    "records": ("records", "RecordRepository"),
    "signals": ("signals", "SignalRepository"),
}

# InnoDB ended the transaction because of another one's locks: a deadlock's victim (rolled back whole)
# or a lock wait that ran out. Nothing is wrong with the request or the server: the same transaction,
# run again, goes through. (SQLite never deadlocks: its writers queue for one lock, taken at BEGIN.)
BUSY_MYSQL_ERRORS = {1205, 1213}
# The other MySQL/MariaDB errors that a retry can cure: disk full, table full, too many connections,
# server shutting down, connection killed, and the client-side connection losses.
TRANSIENT_MYSQL_ERRORS = BUSY_MYSQL_ERRORS | {1021, 1040, 1053, 1114, 1317, 1927, 2002, 2003, 2006, 2013, 2055}
# SQLite's: busy or locked by another connection, disk I/O error, disk full, file cannot be opened
# (primary result codes: an extended one, like SQLITE_BUSY_TIMEOUT, holds its primary in the low byte).
TRANSIENT_SQLITE_CODES = {5, 6, 10, 13, 14}

# How often ``run`` tries a transaction that keeps meeting others' locks, and the pause before the
# second try (doubled each time, drawn at random below it so that two victims do not meet again).
# InnoDB detects a deadlock at once; a lock wait gives up after ``engine.LOCK_WAIT_SECONDS``: four
# of them still end well within API Gateway's 29 seconds.
BUSY_ATTEMPTS = 4
BUSY_PAUSE_SECONDS = 0.025

T = TypeVar("T")
P = ParamSpec("P")


def _mysql_code(error: BaseException) -> int | None:
    """A driver error's MySQL error number (None on SQLite, or when it is not one)."""
    original = getattr(error, "orig", None)
    code = original.args[0] if isinstance(error, sa_exc.DBAPIError) and original and original.args else None
    return code if isinstance(code, int) else None


def _sqlite_code(error: BaseException) -> int | None:
    """A driver error's SQLite primary result code (None on MySQL)."""
    code = getattr(getattr(error, "orig", None), "sqlite_errorcode", None)
    return code & 0xFF if isinstance(code, int) else None


def is_busy(error: BaseException) -> bool:
    """Whether the database ended the transaction because of another one's locks."""
    return _mysql_code(error) in BUSY_MYSQL_ERRORS


def is_transient(error: BaseException) -> bool:
    """Whether ``error`` means the database is unreachable or busy, not that the request is wrong."""
    if isinstance(error, sa_exc.TimeoutError | sa_exc.DisconnectionError):
        return True
    if not isinstance(error, sa_exc.DBAPIError):
        return False
    if error.connection_invalidated or isinstance(error, sa_exc.InterfaceError):
        return True
    if (code := _mysql_code(error)) is not None:
        return code in TRANSIENT_MYSQL_ERRORS
    return _sqlite_code(error) in TRANSIENT_SQLITE_CODES


def _unavailable(error: BaseException) -> DatabaseUnavailable:
    original = getattr(error, "orig", None) or error
    return DatabaseUnavailable(str(original), busy=is_busy(error))


class UnitOfWork:
    """``with UnitOfWork(actor=sub) as uow: ...`` — ``actor`` is who the audit log says made the changes."""

    session: Session
    clients: ClientRepository
    evidence: EvidenceRepository
    consents: ConsentRepository
    frames: FrameRepository
    notifications: NotificationRepository
    idempotency: IdempotencyRepository
    records: RecordRepository
    orders: OrderRepository
    sites: SiteRepository
    queue: QueueRepository
    signals: SignalRepository

    def __init__(self, actor: str, sessions: sessionmaker[Session] | None = None) -> None:
        self.actor = actor
        self._sessions = sessions

    def __enter__(self) -> Self:
        self._after_commit: list[Callable[[], None]] = []
        self.session = (self._sessions or session_factory())()
        for name in REPOSITORIES:  # the last transaction's, bound to its session
            self.__dict__.pop(name, None)
        return self

    def __getattr__(self, name: str) -> Any:
        """A repository on first use (``uow.queue``), then kept for the rest of the transaction."""
        if name not in REPOSITORIES:
            raise AttributeError(name)
        context, class_name = REPOSITORIES[name]
        repository = getattr(importlib.import_module(f"lambdas.shared.db.{context}.repository"), class_name)
        self.__dict__[name] = built = repository(self.session)
        return built

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        try:
            if exc is None:
                self.session.commit()
            else:
                self.session.rollback()
        except sa_exc.SQLAlchemyError as ending_error:
            if is_transient(ending_error):
                raise _unavailable(ending_error) from ending_error
            raise
        finally:
            self.session.close()
        if exc is not None and is_transient(exc):
            raise _unavailable(exc) from exc
        if exc is None:
            for callback in dict.fromkeys(self._after_commit):  # each once, in order
                callback()

    def run(self, work: Callable[Concatenate[Self, P], T], *args: P.args, **kwargs: P.kwargs) -> T:
        """``work(uow, *args, **kwargs)`` in this unit of work, committed: ``uow.run(desk.arrived,
        ticket_id, actor)``. A transaction the database ended because of another one's locks was
        rolled back whole, so it runs again from the start, as if it had never run — up to
        ``BUSY_ATTEMPTS`` times, then the caller hears that the database was busy
        (``DatabaseUnavailable`` with ``busy``). Any other error is the caller's at once."""
        attempt = 1
        while True:
            try:
                with self:
                    return work(self, *args, **kwargs)
            except DatabaseUnavailable as error:
                if not error.busy or attempt == BUSY_ATTEMPTS:
                    raise
            time.sleep(random.uniform(0, BUSY_PAUSE_SECONDS * 2 ** (attempt - 1)))
            attempt += 1

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` once this unit of work has committed (never if it rolls back)."""
        self._after_commit.append(callback)

    def serialise(self, name: str) -> None:
        """Until this unit of work ends, no other one that serialises on ``name`` runs (a row lock on
        InnoDB; SQLite takes its one write lock at BEGIN anyway)."""
        self.records.lock(name)

    def flush(self) -> None:
        """Send the pending changes now: a database that cannot take them says so before the caller
        does anything outside it (leaving the block turns an outage into ``DatabaseUnavailable``)."""
        self.session.flush()

    def audit(self, action: str, entity_type: str, entity_id: str, **details: Any) -> None:
        self.records.audit(self.actor, action, entity_type, entity_id, details)
