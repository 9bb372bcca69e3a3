"""Errors of executions (``States.*`` and task errors) and of the Step Functions API."""

from __future__ import annotations


class StatesError(Exception):
    """An error an execution sees: ``error`` is what Retry/Catch match, ``cause`` its detail."""

    def __init__(self, error: str | None, cause: str | None) -> None:
        super().__init__(f"{error}: {cause}")
        self.error = error
        self.cause = cause


class ServiceError(Exception):
    """An error of the Step Functions API, answered with HTTP 400 and AWS's ``__type``."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def validation(message: str) -> ServiceError:
    return ServiceError("ValidationException", message)
