"""The unit of work: one session and one transaction per invocation.

Leaving the block commits; an exception rolls back and is re-raised, with driver errors that mean
"the database is not there right now" turned into ``DatabaseUnavailable`` so workflows retry them.
"""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Any, Self

from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import Session, sessionmaker

from lambdas.shared.db.engine import session_factory
from lambdas.shared.db.models.records import AuditEntry, NamedLock
from lambdas.shared.db.repositories import (
    ClientRepository,
    ConsentRepository,
    EvidenceRepository,
    FrameRepository,
    IdempotencyRepository,
    NotificationRepository,
    OrderRepository,
    QueueRepository,
    SiteRepository,
    lock_or_create,
)
from lambdas.shared.errors import DatabaseUnavailable

# MySQL/MariaDB error numbers that a retry can cure: disk full, table full, too many connections,
# server shutting down, lock wait timeout, deadlock, connection killed, and the client-side
# connection losses.
TRANSIENT_MYSQL_ERRORS = {1021, 1040, 1053, 1114, 1205, 1213, 1317, 1927, 2002, 2003, 2006, 2013, 2055}
TRANSIENT_SQLITE_MESSAGES = (
    "database is locked",
    "unable to open database file",
    "disk i/o error",
    "database or disk is full",
)


def is_transient(error: BaseException) -> bool:
    """Whether ``error`` means the database is unreachable or busy, not that the request is wrong."""
    if isinstance(error, sa_exc.TimeoutError | sa_exc.DisconnectionError):
        return True
    if not isinstance(error, sa_exc.DBAPIError):
        return False
    if error.connection_invalidated or isinstance(error, sa_exc.InterfaceError):
        return True
    code = error.orig.args[0] if error.orig is not None and error.orig.args else None
    if isinstance(code, int):
        return code in TRANSIENT_MYSQL_ERRORS
    return isinstance(error, sa_exc.OperationalError) and str(error.orig).lower().startswith(TRANSIENT_SQLITE_MESSAGES)


def _unavailable(error: BaseException) -> DatabaseUnavailable:
    original = getattr(error, "orig", None) or error
    return DatabaseUnavailable(str(original))


class UnitOfWork:
    """``with UnitOfWork(actor=sub) as uow: ...`` — ``actor`` is who the audit log says made the changes."""

    session: Session
    clients: ClientRepository
    evidence: EvidenceRepository
    consents: ConsentRepository
    frames: FrameRepository
    notifications: NotificationRepository
    idempotency: IdempotencyRepository
    orders: OrderRepository
    sites: SiteRepository
    queue: QueueRepository

    def __init__(self, actor: str, sessions: sessionmaker[Session] | None = None) -> None:
        self.actor = actor
        self._sessions = sessions

    def __enter__(self) -> Self:
        self._after_commit: list[Callable[[], None]] = []
        self.session = (self._sessions or session_factory())()
        self.clients = ClientRepository(self.session)
        self.evidence = EvidenceRepository(self.session)
        self.consents = ConsentRepository(self.session)
        self.frames = FrameRepository(self.session)
        self.notifications = NotificationRepository(self.session)
        self.idempotency = IdempotencyRepository(self.session)
        self.orders = OrderRepository(self.session)
        self.sites = SiteRepository(self.session)
        self.queue = QueueRepository(self.session)
        return self

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

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` once this unit of work has committed (never if it rolls back)."""
        self._after_commit.append(callback)

    def serialise(self, name: str) -> None:
        """Until this unit of work ends, no other one that serialises on ``name`` runs (a row lock on
        InnoDB; SQLite takes its one write lock at BEGIN anyway)."""
        lock_or_create(self.session, NamedLock(name=name))

    def flush(self) -> None:
        """Send the pending changes now: a database that cannot take them says so before the caller
        does anything outside it (leaving the block turns an outage into ``DatabaseUnavailable``)."""
        self.session.flush()

    def audit(self, action: str, entity_type: str, entity_id: str, **details: Any) -> None:
        self.session.add(
            AuditEntry(actor=self.actor, action=action, entity_type=entity_type, entity_id=entity_id, details=details)
        )
