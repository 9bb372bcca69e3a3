"""Typed errors. A class name is the error name Step Functions sees, so ASL ``Retry``/``Catch`` match it.

Domain errors are business outcomes the workflows branch on; ``DatabaseUnavailable`` is the transient
infrastructure failure every task retries and, when retries run out, fails the execution on.
"""

from __future__ import annotations


class DomainError(Exception):
    """A business rule said no. Subclasses name the outcome."""


class NotFound(DomainError):
    def __init__(self, entity: str, entity_id: str) -> None:
        super().__init__(f"{entity} {entity_id} not found")
        self.entity = entity
        self.entity_id = entity_id


class InvalidField(DomainError):
    """Input the schema accepts but the domain does not (a station the site lacks, a cursor …).
    ``field`` names it in the action's input (``journey.1``: the body's, which the API answers as
    ``body.journey.1``), or with where a request carries it (``query.cursor``)."""

    def __init__(self, field: str, message: str, *more: tuple[str, str]) -> None:
        super().__init__(message)
        self.field = field
        self.problems = [(field, message), *more]  # every field at fault, the first one first


class Conflict(DomainError):
    """The change is impossible in the entity's current state (HTTP 409)."""


class IdempotencyKeyReused(Conflict):
    """The Idempotency-Key was used for a different request."""


class ConcurrentSubmission(Exception):
    """Another request with the same key is being stored right now: look it up again."""


class DatabaseUnavailable(Exception):
    """The database could not be reached or dropped the connection — or, ``busy``, it kept ending the
    transaction to break deadlocks or lock waits (``UnitOfWork.run`` retried it first): retry with backoff.
    One class for both, so that one name is what every task's ``Retry`` matches."""

    def __init__(self, message: str, busy: bool = False) -> None:
        super().__init__(message, busy)
        self.busy = busy

    def __str__(self) -> str:
        return str(self.args[0])


class SuspectedDuplicate(DomainError):
    """The application looks like a client already known: a person must decide."""


class ClientErased(DomainError):
    """The client's personal data was erased: the onboarding cannot go on."""


class WorkflowUnavailable(Exception):
    """Step Functions could not be reached: the request may be retried as it is."""


class TicketEnded(DomainError):
    """The ticket's day is over (completed, no-show, expired, cancelled); the message is its status."""


class SettingsInvalid(Exception):
    """A per-stage setting is missing or invalid: the message names each parameter (settings hold no
    personal data). A deploy or an operator mends it; retrying does not."""


class SettingsUnavailable(Exception):
    """Parameter Store could not be read (throttled, unreachable): retry."""
