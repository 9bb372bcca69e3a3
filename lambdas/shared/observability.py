"""The one logger, tracer and metrics of every function, and the one decorator stack of every handler.

Service name and metrics namespace come from the Powertools environment set by CDK
(``POWERTOOLS_SERVICE_NAME``, ``POWERTOOLS_METRICS_NAMESPACE``). The X-Ray SDK costs a quarter of a
second to import, so the tracer is only built where traces are sent: inside Lambda, tracing enabled.
"""

from __future__ import annotations

import functools
import traceback
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging import correlation_paths
from pydantic import BaseModel

from lambdas.shared.config import observability_settings
from lambdas.shared.errors import DatabaseUnavailable, DomainError, SettingsInvalid, SettingsUnavailable

# An invocation that records no business metric is normal (a read, a retried step), not a warning.
warnings.filterwarnings("ignore", message="No application metrics to publish", category=UserWarning)

OUR_CODE = Path(__file__).resolve().parents[1]  # lambdas/: the frames worth naming in an error

logger = Logger()
metrics = Metrics()

# What pages on-call: an error nobody planned. A task that raises a business outcome (a duplicate, a
# ticket whose day is over) counts in Lambda's own Errors metric too, so Errors cannot be the alarm.
UNEXPECTED_ERRORS = "UnexpectedErrors"


def count_unexpected_error() -> None:
    from aws_lambda_powertools.metrics import MetricUnit

    metrics.add_metric(name=UNEXPECTED_ERRORS, unit=MetricUnit.Count, value=1)


# Messages the dispatcher gave up on (attempts spent, or refused for good): an alarm watches it.
FAILED_NOTIFICATIONS = "NotificationsFailed"
FAILED_SIGNALS = "WorkflowSignalsFailed"


def count_failed_signals(count: int) -> None:
    """Signals Step Functions refused for good, or still could not take past their attempts: a workflow
    waits for an answer, or an entity for its execution, until ops look."""
    from aws_lambda_powertools.metrics import MetricUnit

    metrics.add_metric(name=FAILED_SIGNALS, unit=MetricUnit.Count, value=count)


def count_failed_notifications(count: int) -> None:
    from aws_lambda_powertools.metrics import MetricUnit

    metrics.add_metric(name=FAILED_NOTIFICATIONS, unit=MetricUnit.Count, value=count)


Handler = Callable[[dict[str, Any], Any], Any]


@functools.cache
def tracer() -> Any:
    """The Powertools ``Tracer``, or ``None`` where tracing is off (locally, in tests)."""
    if not observability_settings().tracing_enabled:
        return None
    from aws_lambda_powertools import Tracer

    return Tracer()


def _instrument(handler: Handler, correlation_id_path: str) -> Handler:
    """Wrap ``handler`` on its first call, when the environment is known, not at import."""

    @functools.cache
    def instrumented() -> Handler:
        in_lambda = observability_settings().in_lambda
        wrapped: Handler = metrics.log_metrics(capture_cold_start_metric=in_lambda)(handler)
        wrapped = logger.inject_lambda_context(correlation_id_path=correlation_id_path, clear_state=True)(wrapped)
        active_tracer = tracer()
        if active_tracer is not None:
            wrapped = active_tracer.capture_lambda_handler(capture_response=False)(wrapped)
        return wrapped

    @functools.wraps(handler)
    def entry(event: dict[str, Any], context: Any) -> Any:
        return instrumented()(event, context)

    return entry


def error_summary(error: BaseException) -> dict[str, Any]:
    """What may be logged of an unexpected error: its type, its driver's code, where it was raised.

    Never its message: a database error's message can quote the row it was writing (a duplicate
    entry, a value too long), and rows hold people's names, birth dates and prescriptions.
    """
    original = getattr(error, "orig", None)
    code = original.args[0] if original is not None and original.args else None
    frames = traceback.extract_tb(error.__traceback__)
    ours = [frame for frame in frames if Path(frame.filename).is_relative_to(OUR_CODE)]
    return {
        "error_type": type(error).__name__,
        "error_code": code if isinstance(code, int) else None,
        "raised_at": [f"{Path(frame.filename).name}:{frame.lineno} {frame.name}" for frame in (ours or frames)[-3:]],
    }


class UnexpectedError(Exception):
    """A task failed for a reason nobody planned: its type is kept, its message (maybe personal data) is not."""


def _without_personal_data(handler: Handler) -> Handler:
    """Planned failures go to Step Functions as they are; any other error's message stays out of the
    execution history (Step Functions records it as the cause) and out of the logs."""

    @functools.wraps(handler)
    def run(event: dict[str, Any], context: Any) -> Any:
        try:
            return handler(event, context)
        except (DomainError, DatabaseUnavailable, SettingsUnavailable):
            raise
        except SettingsInvalid as error:  # names the parameter for ops, holds no personal data
            logger.error("settings invalid", extra={"reason": str(error)})
            raise
        except Exception as error:
            summary = error_summary(error)
            logger.error("task failed unexpectedly", extra=summary)
            count_unexpected_error()
            raise UnexpectedError(
                f"{summary['error_type']} at {', '.join(summary['raised_at'][-1:])}; details in the function's log"
            ) from None

    return run


def api_handler(handler: Handler) -> Handler:
    """Entry point of the API function: request id as correlation id."""
    return _instrument(handler, correlation_paths.API_GATEWAY_REST)


def task_handler(handler: Handler) -> Handler:
    """Entry point of a workflow task: the execution ARN (``execution`` in the payload) as correlation id.
    A task returns its typed output (a pydantic model: what the ASL reads as ``$states.result.Payload``),
    sent as JSON."""

    @functools.wraps(handler)
    def as_json(event: dict[str, Any], context: Any) -> Any:
        output = handler(event, context)
        return output.model_dump(mode="json") if isinstance(output, BaseModel) else output

    return _instrument(_without_personal_data(as_json), "execution")
