"""The one logger, tracer and metrics of every function, and the one decorator stack of every handler.

Service name and metrics namespace come from the Powertools environment set by CDK
(``POWERTOOLS_SERVICE_NAME``, ``POWERTOOLS_METRICS_NAMESPACE``). The X-Ray SDK costs a quarter of a
second to import, so the tracer is only built where traces are sent: inside Lambda, tracing enabled.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging import correlation_paths

from lambdas.shared.config import observability_settings

# An invocation that records no business metric is normal (a read, a retried step), not a warning.
warnings.filterwarnings("ignore", message="No application metrics to publish", category=UserWarning)

logger = Logger()
metrics = Metrics()

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
        wrapped = metrics.log_metrics(capture_cold_start_metric=in_lambda)(handler)
        wrapped = logger.inject_lambda_context(correlation_id_path=correlation_id_path, clear_state=True)(wrapped)
        active_tracer = tracer()
        if active_tracer is not None:
            wrapped = active_tracer.capture_lambda_handler(capture_response=False)(wrapped)
        return wrapped

    @functools.wraps(handler)
    def entry(event: dict[str, Any], context: Any) -> Any:
        return instrumented()(event, context)

    return entry


def api_handler(handler: Handler) -> Handler:
    """Entry point of the API function: request id as correlation id."""
    return _instrument(handler, correlation_paths.API_GATEWAY_REST)


def task_handler(handler: Handler) -> Handler:
    """Entry point of a workflow task: the execution ARN (``execution`` in the payload) as correlation id."""
    return _instrument(handler, "execution")
