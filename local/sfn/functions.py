"""Lambda functions run in-process: the real handlers, called as Lambda would call them.

Payloads go through JSON both ways; an exception becomes the error named by its class, with
Lambda's error document as the cause.
"""

from __future__ import annotations

import importlib
import json
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from local.sfn.arns import function_arn
from local.sfn.errors import StatesError
from local.sfn.lambda_context import LambdaContext

MAX_PAYLOAD_BYTES = 262_144  # Step Functions' quota on a state's input, output and a task's result
QUICK_SECONDS = 0.002
_COMPACT = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)


def function_name_of(reference: str) -> str:
    """``name``, ``name:alias``, ``123:function:name`` or a full ARN → the function's name."""
    parts = reference.split(":")
    if reference.startswith("arn:"):
        return parts[6] if len(parts) > 6 else reference
    if len(parts) >= 3 and parts[1] == "function":
        return parts[2]
    return parts[0]


@dataclass
class LocalFunction:
    name: str
    handler_path: str  # dotted: package.module.function
    timeout_seconds: float = 30.0
    memory_mb: int = 256
    _handler: Callable[[Any, Any], Any] | None = field(default=None, repr=False)
    _import_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    last_duration: float | None = field(default=None, repr=False)  # seconds its last invocation took
    _faults: list[tuple[str, str]] = field(default_factory=list, repr=False)  # (error, message) of its next calls

    def inject(self, error: str, message: str, times: int = 1) -> int:
        """Its next ``times`` calls fail as a handler raising ``error(message)`` fails, without running
        the handler (a drill, a demo); how many calls are to fail now."""
        with self._import_lock:
            self._faults.extend([(error, message)] * times)
            return len(self._faults)

    def pending_faults(self) -> int:
        with self._import_lock:
            return len(self._faults)

    def _next_fault(self) -> tuple[str, str] | None:
        with self._import_lock:
            return self._faults.pop(0) if self._faults else None

    @property
    def quick(self) -> bool:
        """It answered within ``QUICK_SECONDS`` last time: not worth a thread of its own."""
        return self.last_duration is not None and self.last_duration < QUICK_SECONDS

    @property
    def arn(self) -> str:
        return function_arn(self.name)

    def handler(self) -> Callable[[Any, Any], Any]:
        """The handler, imported at the first call; ``StatesError`` with Lambda's error when it cannot be."""
        if self._handler is None:
            with self._import_lock:
                if self._handler is None:
                    self._handler = self._import()
        return self._handler

    def _import(self) -> Callable[[Any, Any], Any]:
        module_name, _, attribute = self.handler_path.rpartition(".")
        try:
            module = importlib.import_module(module_name)
        except Exception as error:  # a missing module, or one failing as it loads
            message = f"Unable to import module '{module_name}': {error}"
            raise _runtime_error("Runtime.ImportModuleError", message) from error
        if not callable(handler := getattr(module, attribute, None)):
            raise _runtime_error("Runtime.HandlerNotFound", f"Handler '{attribute}' missing on module '{module_name}'")
        return handler


@dataclass(frozen=True)
class Invocation:
    """A Lambda invoke the engine performs outside its locks."""

    function: LocalFunction | None
    reference: str
    payload: Any
    request_id: str
    attempt: int


@dataclass(frozen=True)
class InvokeResult:
    response: dict[str, Any] | None  # the Invoke API response, Payload parsed
    failure: StatesError | None
    duration: float
    response_text: str | None = None  # the response as compact JSON, as the history shows it


class FunctionRegistry:
    def __init__(self) -> None:
        self._functions: dict[str, LocalFunction] = {}

    def register(self, function: LocalFunction) -> None:
        self._functions[function.name] = function

    def resolve(self, reference: str) -> LocalFunction | None:
        return self._functions.get(function_name_of(reference))

    def __iter__(self):
        return iter(self._functions.values())


def invoke(invocation: Invocation) -> InvokeResult:
    result = _invoke(invocation)
    if invocation.function is not None:
        invocation.function.last_duration = result.duration
    return result


def _invoke(invocation: Invocation) -> InvokeResult:
    started = time.perf_counter()
    function = invocation.function
    if function is None:
        return InvokeResult(None, _not_found(invocation), 0.0)
    context = LambdaContext(
        function.name,
        memory_limit_in_mb=function.memory_mb,
        timeout_seconds=function.timeout_seconds,
        aws_request_id=invocation.request_id,
    )
    if (fault := function._next_fault()) is not None:
        error_type, message = fault
        failure = StatesError(error_type, _cause(message, error_type, invocation.request_id, []))
        return InvokeResult(None, failure, time.perf_counter() - started)
    try:
        handler = function.handler()
    except StatesError as failure:
        return InvokeResult(None, failure, time.perf_counter() - started)
    try:
        event = json.loads(json.dumps(invocation.payload))
        returned = handler(event, context)
    except Exception as error:  # the function's own failure: the task fails with its type as the error
        return InvokeResult(None, _function_error(error, invocation.request_id), time.perf_counter() - started)
    except SystemExit as exit_:  # sys.exit() in a handler ends Lambda's runtime process
        return InvokeResult(None, _exited(exit_, invocation.request_id), time.perf_counter() - started)
    except BaseException as error:  # CancelledError and the like: the function's failure all the same
        if isinstance(error, KeyboardInterrupt) and threading.current_thread() is threading.main_thread():
            raise  # Ctrl-C: the process stops, as asked (in another thread, the handler raised it itself)
        return InvokeResult(None, _function_error(error, invocation.request_id), time.perf_counter() - started)
    try:
        text = _COMPACT.encode(returned)
    except (TypeError, ValueError) as error:
        unmarshalled = StatesError(
            "Runtime.MarshalError",
            _cause(f"Unable to marshal response: {error}", "Runtime.MarshalError", invocation.request_id, []),
        )
        return InvokeResult(None, unmarshalled, time.perf_counter() - started)
    if len(text.encode()) > MAX_PAYLOAD_BYTES:
        too_large = StatesError(
            "States.DataLimitExceeded",
            "The state/task 'arn:aws:states:::lambda:invoke' returned a result with a size exceeding the "
            "maximum number of bytes service limit.",
        )
        return InvokeResult(None, too_large, time.perf_counter() - started)
    response = _response(json.loads(text), invocation.request_id)
    return InvokeResult(response, None, time.perf_counter() - started, _response_text(text, invocation.request_id))


def _response(payload: Any, request_id: str) -> dict[str, Any]:
    headers = {
        "Content-Type": "application/json",
        "X-Amz-Executed-Version": "$LATEST",
        "x-amzn-RequestId": request_id,
    }
    return {
        "ExecutedVersion": "$LATEST",
        "Payload": payload,
        "SdkHttpMetadata": {
            "AllHttpHeaders": {name: [value] for name, value in headers.items()},
            "HttpHeaders": headers,
            "HttpStatusCode": 200,
        },
        "SdkResponseMetadata": {"RequestId": request_id},
        "StatusCode": 200,
    }


def _response_text(payload: str, request_id: str) -> str:
    """``_response`` as compact JSON, written around the payload's text rather than encoded again."""
    headers = f'"Content-Type":"application/json","X-Amz-Executed-Version":"$LATEST","x-amzn-RequestId":"{request_id}"'
    listed = (
        f'"Content-Type":["application/json"],"X-Amz-Executed-Version":["$LATEST"],"x-amzn-RequestId":["{request_id}"]'
    )
    return (
        f'{{"ExecutedVersion":"$LATEST","Payload":{payload},"SdkHttpMetadata":{{"AllHttpHeaders":{{{listed}}},'
        f'"HttpHeaders":{{{headers}}},"HttpStatusCode":200}},"SdkResponseMetadata":{{"RequestId":"{request_id}"}},'
        '"StatusCode":200}'
    )


def _cause(message: str, error_type: str, request_id: str, stack: list[str]) -> str:
    document = {"errorMessage": message, "errorType": error_type, "requestId": request_id, "stackTrace": stack}
    return json.dumps(document, separators=(",", ":"))


def _function_error(error: BaseException, request_id: str) -> StatesError:
    error_type = type(error).__name__
    stack = traceback.format_list(traceback.extract_tb(error.__traceback__)[1:])  # without our own frame
    return StatesError(error_type, _cause(str(error), error_type, request_id, stack))


def _runtime_error(error_type: str, message: str) -> StatesError:
    """A failure of Lambda's runtime rather than of the handler: its error document as the cause."""
    return StatesError(error_type, json.dumps({"errorMessage": message, "errorType": error_type}))


def _exited(exit_: SystemExit, request_id: str) -> StatesError:
    status = exit_.code if isinstance(exit_.code, int) else 1
    message = f"RequestId: {request_id} Error: Runtime exited with error: exit status {status}"
    return StatesError("Runtime.ExitError", json.dumps({"errorType": "Runtime.ExitError", "errorMessage": message}))


def timed_out(function: LocalFunction, request_id: str) -> StatesError:
    """The function ran past its timeout: Lambda reports ``Sandbox.Timedout``."""
    message = f"RequestId: {request_id} Error: Task timed out after {function.timeout_seconds:.2f} seconds"
    return StatesError("Sandbox.Timedout", json.dumps({"errorMessage": message, "errorType": "Sandbox.Timedout"}))


def _not_found(invocation: Invocation) -> StatesError:
    reference = invocation.reference
    arn = reference if reference.startswith("arn:") else function_arn(reference)
    return StatesError(
        "Lambda.ResourceNotFoundException",
        f"Function not found: {arn}:$LATEST (Service: AWSLambda; Status Code: 404; Error Code: "
        f"ResourceNotFoundException; Request ID: {invocation.request_id}; Proxy: null)",
    )
