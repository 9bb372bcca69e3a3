"""The Step Functions API operations, validated as AWS validates them, over the engine and its store.

Requests and responses are the JSON shapes of the AWS API reference, so the HTTP server only has to
route ``X-Amz-Target`` here, and tests can call the same methods in-process.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

from local.lambda_context import ACCOUNT
from local.sfn import asl
from local.sfn.engine import (
    HISTORY_EVENT_LIMIT,
    REDRIVE_WINDOW_SECONDS,
    Engine,
    execution_arn,
    state_machine_arn,
)
from local.sfn.errors import ServiceError, validation
from local.sfn.expressions import DefinitionError
from local.sfn.functions import MAX_PAYLOAD_BYTES, function_arn
from workflows import Workflow

DEFAULT_ROLE = f"arn:aws:iam::{ACCOUNT}:role/local-stepfunctions"
DATA_FIELDS = ("input", "output", "parameters", "assignedVariables")


class StepFunctionsService:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.store = engine.store
        self._redrive_tokens: dict[tuple[str, str], dict[str, Any]] = {}
        self.operations: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
            name: getattr(self, name)
            for name in (
                "ListStateMachines",
                "DescribeStateMachine",
                "CreateStateMachine",
                "DeleteStateMachine",
                "StartExecution",
                "DescribeExecution",
                "ListExecutions",
                "GetExecutionHistory",
                "StopExecution",
                "RedriveExecution",
                "SendTaskSuccess",
                "SendTaskFailure",
                "SendTaskHeartbeat",
            )
        }

    def call(self, operation: str, request: dict[str, Any]) -> dict[str, Any]:
        handler = self.operations.get(operation)
        if handler is None:
            raise ServiceError("UnknownOperationException", f"Unknown operation {operation}")
        return handler(request)

    # --- state machines -------------------------------------------------------------------------------

    def register_workflow(self, workflow: Workflow) -> str:
        """Create (or update) the state machine of a declared workflow, its placeholders bound to the
        local functions of its tasks. A definition the engine cannot run stops the runtime here."""
        workflow.check()
        text = workflow.definition(
            {placeholder: function_arn(workflow.function_name(placeholder)) for placeholder in workflow.tasks}
        )
        self.engine.definition(text, str(workflow.asl_path))
        arn = state_machine_arn(workflow.name)
        self.store.put_state_machine(
            arn, workflow.name, text, DEFAULT_ROLE, self.engine.clock.now(), str(workflow.asl_path)
        )
        return arn

    def CreateStateMachine(self, request: dict[str, Any]) -> dict[str, Any]:  # AWS operation names, as targets
        name = _required(request, "name")
        definition = _required(request, "definition")
        role_arn = _required(request, "roleArn")
        if request.get("type", "STANDARD") != "STANDARD":
            raise validation("only STANDARD state machines are supported by the local engine")
        if not asl.valid_name(name):
            raise ServiceError("InvalidName", f"Invalid Name: '{name}'")
        try:
            self.engine.definition(definition, name)
        except DefinitionError as error:
            raise ServiceError("InvalidDefinition", f"Invalid State Machine Definition: '{error}'") from error
        arn = state_machine_arn(name)
        existing = self.store.state_machine(arn)
        if existing is not None:
            if existing["definition"] == definition and existing["role_arn"] == role_arn:
                return {"stateMachineArn": arn, "creationDate": existing["created"]}
            raise ServiceError("StateMachineAlreadyExists", f"State Machine Already Exists: '{arn}'")
        created = self.engine.clock.now()
        self.store.put_state_machine(arn, name, definition, role_arn, created, "api")
        return {"stateMachineArn": arn, "creationDate": created}

    def DescribeStateMachine(self, request: dict[str, Any]) -> dict[str, Any]:
        machine = self._machine(_required(request, "stateMachineArn"))
        return {
            "stateMachineArn": machine["arn"],
            "name": machine["name"],
            "status": "ACTIVE",
            "definition": machine["definition"],
            "roleArn": machine["role_arn"],
            "type": "STANDARD",
            "creationDate": machine["created"],
            "loggingConfiguration": {"level": "OFF", "includeExecutionData": False},
            "tracingConfiguration": {"enabled": False},
        }

    def ListStateMachines(self, request: dict[str, Any]) -> dict[str, Any]:
        machines = self.store.state_machines()
        page, token = _page(machines, request)
        return {
            "stateMachines": [
                {"stateMachineArn": m["arn"], "name": m["name"], "type": "STANDARD", "creationDate": m["created"]}
                for m in page
            ],
            **token,
        }

    def DeleteStateMachine(self, request: dict[str, Any]) -> dict[str, Any]:
        arn = _required(request, "stateMachineArn")
        _check_arn(arn, "stateMachine")
        self.store.delete_state_machine(arn)
        return {}

    # --- executions -----------------------------------------------------------------------------------

    def StartExecution(self, request: dict[str, Any]) -> dict[str, Any]:
        machine = self._machine(_required(request, "stateMachineArn"))
        name = request.get("name") or _uuid()
        if not asl.valid_name(name):
            raise ServiceError("InvalidName", f"Invalid Name: '{name}'")
        input_text = request.get("input") or "{}"
        if len(input_text.encode()) > MAX_PAYLOAD_BYTES:
            raise ServiceError("InvalidExecutionInput", "Invalid Execution Input: larger than 262144 bytes")
        try:
            json.loads(input_text)
        except json.JSONDecodeError as error:
            raise ServiceError("InvalidExecutionInput", f"Invalid Execution Input: '{error}'") from error
        arn, started = self.engine.start_execution(machine, name, input_text)
        return {"executionArn": arn, "startDate": started}

    def DescribeExecution(self, request: dict[str, Any]) -> dict[str, Any]:
        record = self._execution(_required(request, "executionArn"))
        response: dict[str, Any] = {
            "executionArn": record["arn"],
            "stateMachineArn": record["state_machine_arn"],
            "name": record["name"],
            "status": record["status"],
            "startDate": record["start_date"],
            "input": record["input"],
            "inputDetails": {"included": True},
            "redriveCount": record["redrive_count"],
            **self._redrive_status(record),
        }
        optional = {
            "stopDate": record["stop_date"],
            "output": record["output"],
            "error": record["error"],
            "cause": record["cause"],
            "redriveDate": record["redrive_date"],
        }
        response.update({key: value for key, value in optional.items() if value is not None})
        if record["output"] is not None:
            response["outputDetails"] = {"included": True}
        return response

    def ListExecutions(self, request: dict[str, Any]) -> dict[str, Any]:
        machine = self._machine(_required(request, "stateMachineArn"))
        status = request.get("statusFilter")
        if status is not None and status not in ("RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"):
            raise validation(f"Value '{status}' at 'statusFilter' failed to satisfy constraint")
        redrive_filter = request.get("redriveFilter")
        if redrive_filter not in (None, "REDRIVEN", "NOT_REDRIVEN"):
            raise validation(f"Value '{redrive_filter}' at 'redriveFilter' failed to satisfy constraint")
        redriven = None if redrive_filter is None else redrive_filter == "REDRIVEN"
        offset, limit = _offset(request), _max_results(request, default=100)
        records = self.store.executions(machine["arn"], status, redriven, offset, limit + 1)
        items = [
            {
                "executionArn": record["arn"],
                "stateMachineArn": record["state_machine_arn"],
                "name": record["name"],
                "status": record["status"],
                "startDate": record["start_date"],
                "redriveCount": record["redrive_count"],
                **({"stopDate": record["stop_date"]} if record["stop_date"] else {}),
                **({"redriveDate": record["redrive_date"]} if record["redrive_date"] else {}),
            }
            for record in records[:limit]
        ]
        return {"executions": items, **_next_token(offset + limit if len(records) > limit else None)}

    def GetExecutionHistory(self, request: dict[str, Any]) -> dict[str, Any]:
        arn = _required(request, "executionArn")
        self._execution(arn)
        offset, limit = _offset(request), _max_results(request, default=100)
        include_data = request.get("includeExecutionData", True)
        events = self.store.events(arn, offset, limit + 1, bool(request.get("reverseOrder")))
        rendered = []
        for event in events[:limit]:
            item: dict[str, Any] = {
                "timestamp": event.timestamp,
                "type": event.type,
                "id": event.id,
                "previousEventId": event.previous_event_id,
            }
            if event.details_key:
                details = dict(event.details or {})
                if not include_data:
                    for field in DATA_FIELDS:
                        details.pop(field, None)
                        details.pop(f"{field}Details", None)
                item[event.details_key] = details
            rendered.append(item)
        return {"events": rendered, **_next_token(offset + limit if len(events) > limit else None)}

    def StopExecution(self, request: dict[str, Any]) -> dict[str, Any]:
        arn = _required(request, "executionArn")
        _check_arn(arn, "execution")
        error, cause = request.get("error"), request.get("cause")
        _check_length(error, "error", 256)
        _check_length(cause, "cause", 32_768)
        return {"stopDate": self.engine.stop_execution(arn, error, cause)}

    def RedriveExecution(self, request: dict[str, Any]) -> dict[str, Any]:
        arn = _required(request, "executionArn")
        _check_arn(arn, "execution")
        client_token = request.get("clientToken")
        key = (arn, client_token or "")
        if client_token and key in self._redrive_tokens:
            return self._redrive_tokens[key]
        response = {"redriveDate": self.engine.redrive_execution(arn)}
        if client_token:
            self._redrive_tokens[key] = response
        return response

    # --- task tokens ------------------------------------------------------------------------------------

    def SendTaskSuccess(self, request: dict[str, Any]) -> dict[str, Any]:
        token = _required(request, "taskToken")
        output = _required(request, "output")
        if len(output.encode()) > MAX_PAYLOAD_BYTES:
            raise ServiceError("InvalidOutput", "Invalid Output: larger than 262144 bytes")
        self.engine.send_task_success(token, output)
        return {}

    def SendTaskFailure(self, request: dict[str, Any]) -> dict[str, Any]:
        token = _required(request, "taskToken")
        _check_length(request.get("error"), "error", 256)
        _check_length(request.get("cause"), "cause", 32_768)
        self.engine.send_task_failure(token, request.get("error"), request.get("cause"))
        return {}

    def SendTaskHeartbeat(self, request: dict[str, Any]) -> dict[str, Any]:
        self.engine.send_task_heartbeat(_required(request, "taskToken"))
        return {}

    # --- helpers ----------------------------------------------------------------------------------------

    def _machine(self, arn: str) -> dict[str, Any]:
        _check_arn(arn, "stateMachine")
        machine = self.store.state_machine(arn)
        if machine is None:
            raise ServiceError("StateMachineDoesNotExist", f"State Machine Does Not Exist: '{arn}'")
        return machine

    def _execution(self, arn: str) -> dict[str, Any]:
        _check_arn(arn, "execution")
        record = self.store.execution(arn)
        if record is None:
            raise ServiceError("ExecutionDoesNotExist", f"Execution Does Not Exist: '{arn}'")
        return record

    def _redrive_status(self, record: dict[str, Any]) -> dict[str, str]:
        status = record["status"]
        if status in ("RUNNING", "SUCCEEDED"):
            reason = f"Execution is {status} and cannot be redriven"
        elif self.engine.clock.now() - record["stop_date"] > REDRIVE_WINDOW_SECONDS:
            reason = "Execution redrivable period exceeded"
        elif record["next_event_id"] >= HISTORY_EVENT_LIMIT - 1:
            reason = "Execution history event limit exceeded"
        else:
            return {"redriveStatus": "REDRIVABLE"}
        return {"redriveStatus": "NOT_REDRIVABLE", "redriveStatusReason": reason}


def _required(request: dict[str, Any], name: str) -> Any:
    value = request.get(name)
    if value is None or value == "":
        raise validation(
            f"1 validation error detected: Value null at '{name}' failed to satisfy constraint: Member must not be null"
        )
    return value


def _check_arn(arn: str, resource: str) -> None:
    parts = arn.split(":")
    if len(parts) < 7 or parts[:3] != ["arn", "aws", "states"] or parts[5] != resource:
        raise ServiceError("InvalidArn", f"Invalid Arn: '{arn}'")


def _check_length(value: str | None, name: str, limit: int) -> None:
    if value is not None and len(value) > limit:
        raise validation(f"Value at '{name}' failed to satisfy constraint: Member must have length <= {limit}")


def _offset(request: dict[str, Any]) -> int:
    token = request.get("nextToken")
    if not token:
        return 0
    try:
        return int(json.loads(base64.urlsafe_b64decode(token.encode()))["offset"])
    except (ValueError, KeyError, TypeError) as error:
        raise ServiceError("InvalidToken", f"Invalid Token: '{token}'") from error


def _next_token(offset: int | None) -> dict[str, str]:
    if offset is None:
        return {}
    return {"nextToken": base64.urlsafe_b64encode(json.dumps({"offset": offset}).encode()).decode()}


def _max_results(request: dict[str, Any], default: int) -> int:
    value = request.get("maxResults") or default
    if not isinstance(value, int) or not 0 < value <= 1000:
        raise validation("Value at 'maxResults' failed to satisfy constraint: Member must be between 1 and 1000")
    return value


def _page(items: list[Any], request: dict[str, Any]) -> tuple[list[Any], dict[str, str]]:
    offset, limit = _offset(request), _max_results(request, default=100)
    page = items[offset : offset + limit]
    return page, _next_token(offset + limit if offset + limit < len(items) else None)


def _uuid() -> str:
    import uuid

    return str(uuid.uuid4())


__all__ = ["StepFunctionsService", "execution_arn"]
