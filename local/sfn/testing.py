"""The engine for other projects' tests: an in-process Step Functions and a boto3 client bound to
it, with no socket, no server and no file — what moto's ``mock_aws`` gives for Step Functions, but
running JSONata and JSONPath, callbacks, timeouts and redrive as this engine does.

    with local_stepfunctions({"greet": greet, "save": "my_app.tasks.save"}) as sfn:
        arn = sfn.client.create_state_machine(name="m", definition=text, roleArn=ROLE)["stateMachineArn"]
        run = sfn.client.start_execution(stateMachineArn=arn, input="{}")["executionArn"]
        sfn.settle()                  # let it run until it waits for a person or the clock
        sfn.advance(3600)             # an hour later: Waits, retries and timeouts due by then fire

A function is registered by name, with its handler as a dotted path or a callable; the ASL names it
by ARN (``sfn.function_arn("greet")``) or by name. ``pytest_plugin`` turns this into a fixture.
"""

from __future__ import annotations

import io
import os
import random
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from local.sfn.arns import REGION
from local.sfn.clock import ManualClock
from local.sfn.engine import Engine
from local.sfn.files import make_private_directory
from local.sfn.functions import FunctionRegistry, LocalFunction, function_arn
from local.sfn.server import CONTENT_TYPE, handle
from local.sfn.service import DEFAULT_ROLE, StepFunctionsService
from local.sfn.store import Store, dumps

Handler = Callable[[Any, Any], Any]
ROLE = DEFAULT_ROLE  # any role ARN will do: none is assumed


@dataclass
class LocalStepFunctions:
    client: Any  # a boto3 "stepfunctions" client answered by ``service``, in this process
    service: StepFunctionsService
    engine: Engine
    clock: ManualClock

    @staticmethod
    def function_arn(name: str) -> str:
        return function_arn(name)

    def settle(self, timeout: float = 30.0) -> None:
        """Wait until nothing more happens without the clock moving: every execution is finished,
        waiting for a callback, or waiting for a time still to come."""
        if not self.engine.wait_idle(timeout):
            raise TimeoutError(f"the engine was still busy after {timeout} s")

    def advance(self, seconds: float) -> None:
        """Move the clock on by ``seconds`` as time passes: it stops at each timer due on the way (a
        Wait's end, a retry, a timeout), and what that starts settles before it moves on, so timers
        fire in the order they fall due, each at its own time."""
        self.engine.advance_clock(seconds)


@contextmanager
def local_stepfunctions(
    functions: Mapping[str, str | Handler] | None = None, *, state_dir: Path | None = None, seed: int = 7
) -> Iterator[LocalStepFunctions]:
    """An engine on a manual clock (it moves only with ``advance``), the functions registered, and a
    client bound to it. Its store is in memory, gone with the engine as moto's state is; with
    ``state_dir`` it is that directory's ``stepfunctions.db``, and an engine started again on it
    resumes what the last one left running, its clock where the last one's stopped."""
    registry = FunctionRegistry()
    for name, handler in (functions or {}).items():
        registry.register(_function(name, handler))
    if state_dir is None:
        clock, store = ManualClock(), Store(":memory:")
    else:
        make_private_directory(Path(state_dir))
        clock, store = _kept_clock(Path(state_dir) / "clock"), Store(Path(state_dir) / "stepfunctions.db")
    engine = Engine(store, registry, clock=clock, rng=random.Random(seed))
    service = StepFunctionsService(engine)
    try:
        engine.start()
        yield LocalStepFunctions(_client(service), service, engine, clock)
    finally:
        engine.shutdown()  # the store let go even when the start failed


def _kept_clock(saved: Path) -> ManualClock:
    """A manual clock that starts where the time in ``saved`` says and writes each move there: the
    executions stored beside it hold deadlines on that clock."""
    clock = ManualClock(float(saved.read_text())) if saved.exists() else ManualClock()

    def save() -> None:
        written = saved.with_name(f".{saved.name}")
        written.write_text(repr(clock.now()))
        os.replace(written, saved)  # whole or not at all

    clock.on_change(save)
    return clock


def _function(name: str, handler: str | Handler) -> LocalFunction:
    if isinstance(handler, str):
        return LocalFunction(name, handler)
    return LocalFunction(name, f"{handler.__module__}.{handler.__qualname__}", _handler=handler)


def _client(service: StepFunctionsService) -> Any:
    """A boto3 client whose requests the service answers before anything is sent."""
    import boto3
    from botocore import UNSIGNED
    from botocore.awsrequest import AWSResponse, HTTPHeaders
    from botocore.config import Config

    client = boto3.client(
        "stepfunctions",
        # an engine's failure shows as it is, never retried; nothing checks a signature, so none is made
        config=Config(retries={"total_max_attempts": 1}, signature_version=UNSIGNED),
        region_name=REGION,
        endpoint_url="http://stepfunctions.in-process",
    )

    def answer(request: Any, **_: Any) -> AWSResponse:
        target = request.headers.get("X-Amz-Target", b"")
        target = target.decode() if isinstance(target, bytes) else target
        body = request.body if isinstance(request.body, bytes) else (request.body or "").encode()
        status, payload = handle(service, target, body)
        headers = HTTPHeaders()
        headers["Content-Type"] = CONTENT_TYPE
        return AWSResponse(request.url, status, headers, _Raw(dumps(payload).encode()))

    client.meta.events.register("before-send.sfn", answer)
    return client


class _Raw(io.BytesIO):
    """What botocore reads a response's body from."""

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.getvalue()
