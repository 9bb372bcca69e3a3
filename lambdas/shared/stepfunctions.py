"""Starting, resuming and stopping workflow executions: the API's Step Functions client.

boto3 is imported on first use, so functions that never call Step Functions never pay for it.
The endpoint comes from the environment (``AWS_ENDPOINT_URL_SFN`` locally).
"""

from __future__ import annotations

import json
import threading
from typing import Any

from lambdas.shared.config import WorkflowSettings, workflow_settings
from lambdas.shared.errors import Conflict, NotFound, WorkflowUnavailable
from workflows.declaration import Workflow

# the wait is over: it timed out, or its execution stopped (a token Step Functions never issued is no
# wait that ended: it is refused)
CLOSED_TOKEN_ERRORS = {"TaskTimedOut", "TaskDoesNotExist"}
# Step Functions answered, but could not take the call now: a later try may go through
NOT_NOW = {"ThrottlingException", "Throttling", "TooManyRequestsException", "ServiceUnavailable", "InternalFailure"}


class CallbackClosed(Conflict):
    """The execution no longer waits for this answer (it timed out or was stopped)."""


class WorkflowRefused(Exception):
    """Step Functions answered and said no in a way no retry mends (a token it never issued, a
    workflow it does not know, a permission the function lacks): ops must look."""


def _not_taken(error: Any, what: str) -> Exception:
    """A refused start or answer: unavailable for now (throttled, a fault on its side), or for good."""
    code = error.response["Error"]["Code"]
    if code in NOT_NOW or error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) >= 500:
        return WorkflowUnavailable(f"Step Functions could not take {what} now: {code}")
    return WorkflowRefused(f"Step Functions refused {what}: {code}")


class InvalidPageToken(ValueError):
    """A page token Step Functions did not issue, or one that expired."""


class NotRedrivable(Conflict):
    """Step Functions will not redrive the execution; the message says why."""


class Workflows:
    def __init__(self, settings: WorkflowSettings, client: Any = None) -> None:
        self._settings = settings
        self._client = client
        self._lock = threading.Lock()

    def _sfn(self) -> Any:
        if self._client is None:
            with self._lock:
                if self._client is None:
                    import boto3
                    from botocore.config import Config

                    # a front-desk action waits for its signal's delivery: a few seconds at most, well
                    # inside API Gateway's 29 s; what does not go then is the relay's
                    config = Config(connect_timeout=1, read_timeout=3, retries={"mode": "standard", "max_attempts": 2})
                    self._client = boto3.client("stepfunctions", config=config)
        return self._client

    def _call(self, operation: str, **parameters: Any) -> dict[str, Any]:
        from botocore.exceptions import BotoCoreError

        try:
            answer: dict[str, Any] = getattr(self._sfn(), operation)(**parameters)
            return answer
        except BotoCoreError as error:  # no answer at all; an answer (ClientError) is for the caller
            raise WorkflowUnavailable(f"Step Functions is not reachable: {error}") from error

    def start(self, workflow: Workflow, entity_id: str, payload: dict[str, Any]) -> str:
        """Start ``workflow``'s execution for ``entity_id`` (ids only in ``payload``); starting it again
        is harmless: the same ARN comes back."""
        from botocore.exceptions import ClientError

        machine, name = self._settings.arn(workflow.name), workflow.execution_name(entity_id)
        try:
            started = self._call("start_execution", stateMachineArn=machine, name=name, input=json.dumps(payload))
            arn: str = started["executionArn"]
            return arn
        except ClientError as error:
            if error.response["Error"]["Code"] == "ExecutionAlreadyExists":  # started before, maybe finished
                return execution_arn(machine, name)
            raise _not_taken(error, f"the start of {name}") from error

    def resume(self, token: str, output: dict[str, Any]) -> None:
        """Answer a waiting task; a closed one is a conflict, not an outage."""
        from botocore.exceptions import ClientError

        try:
            self._call("send_task_success", taskToken=token, output=json.dumps(output))
        except ClientError as error:
            if error.response["Error"]["Code"] in CLOSED_TOKEN_ERRORS:
                raise CallbackClosed(
                    "the workflow no longer waits for this answer (it timed out, was stopped, or failed: "
                    "ops can redrive a failed one)"
                ) from error
            raise _not_taken(error, "the answer") from error

    def heartbeat(self, token: str) -> None:
        """News of progress for a waiting task: its heartbeat clock starts again."""
        from botocore.exceptions import ClientError

        try:
            self._call("send_task_heartbeat", taskToken=token)
        except ClientError as error:
            if error.response["Error"]["Code"] in CLOSED_TOKEN_ERRORS:
                raise CallbackClosed("the workflow no longer waits (it timed out or stopped)") from error
            raise _not_taken(error, "the heartbeat") from error

    def fail(self, token: str, error: str, cause: str) -> bool:
        """Answer a waiting task with ``error`` (its ASL catches it by name); False when it no longer waits."""
        from botocore.exceptions import ClientError

        try:
            self._call("send_task_failure", taskToken=token, error=error, cause=cause)
        except ClientError as failure:
            if failure.response["Error"]["Code"] in CLOSED_TOKEN_ERRORS:
                return False
            raise _not_taken(failure, "the failure") from failure
        return True

    def stop(self, execution: str, error: str, cause: str) -> bool:
        """Stop a running execution; False when it was not running."""
        from botocore.exceptions import ClientError

        try:
            described = self._call("describe_execution", executionArn=execution)
            if described["status"] != "RUNNING":
                return False
            self._call("stop_execution", executionArn=execution, error=error, cause=cause)
        except ClientError as failure:
            if failure.response["Error"]["Code"] == "ExecutionDoesNotExist":
                return False
            raise WorkflowUnavailable(f"Step Functions refused to stop {execution}: {failure}") from failure
        return True

    # --- what managers and ops read, and what ops do -------------------------------------------------------

    def list_executions(
        self, workflow: Workflow, status: str | None, next_token: str | None, limit: int
    ) -> dict[str, Any]:
        """One page of ``workflow``'s executions, newest first (``status`` as AWS spells it)."""
        parameters: dict[str, Any] = {"stateMachineArn": self._settings.arn(workflow.name), "maxResults": limit}
        if status:
            parameters["statusFilter"] = status
        if next_token:
            parameters["nextToken"] = next_token
        return self._read("list_executions", **parameters)

    def describe(self, execution: str) -> dict[str, Any]:
        return self._read("describe_execution", executionArn=execution)

    def history(self, execution: str, *, newest_first: bool = False, limit: int | None = None) -> list[dict[str, Any]]:
        """The execution's events (every one, or the ``limit`` first in that order)."""
        events: list[dict[str, Any]] = []
        parameters: dict[str, Any] = {"executionArn": execution, "reverseOrder": newest_first, "maxResults": 1000}
        while limit is None or len(events) < limit:
            page = self._read("get_execution_history", **parameters)
            events += page["events"]
            if not page.get("nextToken"):
                break
            parameters["nextToken"] = page["nextToken"]
        return events if limit is None else events[:limit]

    def redrive(self, execution: str, client_token: str) -> None:
        """Run the execution again from where it failed; ``client_token`` makes a repeat harmless."""
        from botocore.exceptions import ClientError

        try:
            self._call("redrive_execution", executionArn=execution, clientToken=client_token)
        except ClientError as error:
            if error.response["Error"]["Code"] == "ExecutionNotRedrivable":
                raise NotRedrivable(error.response["Error"].get("Message") or "it cannot be redriven") from error
            raise _refused(error, execution) from error

    def _read(self, operation: str, **parameters: Any) -> dict[str, Any]:
        from botocore.exceptions import ClientError

        try:
            return self._call(operation, **parameters)
        except ClientError as error:
            raise _refused(error, parameters.get("executionArn") or parameters["stateMachineArn"]) from error


def _refused(error: Any, resource: str) -> Exception:
    """A Step Functions refusal, in the API's terms."""
    code = error.response["Error"]["Code"]
    if code in ("ExecutionDoesNotExist", "StateMachineDoesNotExist"):
        return NotFound("execution" if code == "ExecutionDoesNotExist" else "workflow", resource.rsplit(":", 1)[-1])
    if code == "InvalidToken":
        return InvalidPageToken("not a page token of this list, or an expired one")
    return WorkflowUnavailable(f"Step Functions refused {resource}: {code}")


def execution_arn_of(workflow: Workflow, entity_id: str) -> str:
    """The ARN ``start`` gives ``entity_id``'s execution, known before it starts: the declaration's
    execution name under the stage's state machine."""
    return execution_arn(workflow_settings().arn(workflow.name), workflow.execution_name(entity_id))


def execution_arn(state_machine_arn: str, name: str) -> str:
    """arn:…:stateMachine:<machine> → arn:…:execution:<machine>:<name>."""
    return f"{state_machine_arn.replace(':stateMachine:', ':execution:', 1)}:{name}"


_workflows: Workflows | None = None


def workflows() -> Workflows:
    """The container's client, built on first use."""
    global _workflows
    if _workflows is None:
        _workflows = Workflows(workflow_settings())
    return _workflows


def reset_workflows() -> None:
    """Forget the client (tests point it at another endpoint; settings are re-read)."""
    global _workflows
    _workflows = None
    workflow_settings.cache_clear()
