"""The Step Functions API operations, validated as AWS validates them, over the engine and its store.

Requests and responses are the JSON shapes of the AWS API reference, so the HTTP server only has to
route ``X-Amz-Target`` here, and tests can call the same methods in-process.
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Callable
from typing import Any

from local.sfn import asl
from local.sfn.arns import ACCOUNT, state_machine_arn
from local.sfn.engine import REDRIVE_WINDOW_SECONDS, Engine
from local.sfn.errors import ServiceError, validation
from local.sfn.expressions import DefinitionError
from local.sfn.functions import MAX_PAYLOAD_BYTES
from local.sfn.history import HISTORY_EVENT_LIMIT
from local.sfn.parameters import arn_string, boolean, integer, list_of, operation, string, structure
from local.sfn.store import loads

DEFAULT_ROLE = f"arn:aws:iam::{ACCOUNT}:role/local-stepfunctions"
DATA_FIELDS = ("input", "output", "parameters", "assignedVariables")

# Request members several operations share, as the AWS API reference constrains them
MAX_RESULTS = integer(minimum=0, maximum=1000)
INCLUDED_DATA = string(choices=("ALL_DATA", "METADATA_ONLY"))
ERROR, CAUSE = string(max_length=256), string(max_length=32_768)
TASK_TOKEN = string(required=True, min_length=1)  # its other limits are the engine's: InvalidToken
EXECUTION_STATUSES = ("RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED", "PENDING_REDRIVE")


class StepFunctionsService:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.store = engine.store
        self._redrive_tokens: dict[tuple[str, str], dict[str, Any]] = {}
        self._redrive_tokens_lock = threading.Lock()  # two calls with one token get one answer
        # every method declared with @operation is served, under its name (the AWS operation's)
        self.operations: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
            name: getattr(self, name)
            for name, attribute in type(self).__dict__.items()
            if hasattr(attribute, "members")
        }

    def call(self, operation: str, request: dict[str, Any]) -> dict[str, Any]:
        handler = self.operations.get(operation)
        if handler is None:
            raise ServiceError("UnknownOperationException", f"Unknown operation {operation}")
        return handler(request)

    # --- state machines -------------------------------------------------------------------------------

    def declare_state_machine(self, name: str, definition: str, source: str) -> str:
        """Create (or update) a state machine declared beside the code rather than through the API
        (``source`` names its file). A definition the engine cannot run raises ``DefinitionError`` here."""
        self.engine.definition(definition, source)
        arn = state_machine_arn(name)
        self.store.put_state_machine(arn, name, definition, DEFAULT_ROLE, self.engine.clock.now(), source)
        return arn

    @operation(
        name=string(required=True),  # its rules are InvalidName's
        definition=string(required=True, min_length=1, max_length=1_048_576),
        roleArn=arn_string(required=True),
        type=string(choices=("STANDARD", "EXPRESS")),
        loggingConfiguration=structure(
            level=string(choices=("ALL", "ERROR", "FATAL", "OFF")),
            includeExecutionData=boolean(),
            destinations=list_of(structure(cloudWatchLogsLogGroup=structure(logGroupArn=arn_string()))),
        ),
        tags=list_of(structure(key=string(min_length=1, max_length=128), value=string(max_length=256))),
        tracingConfiguration=structure(enabled=boolean()),
        publish=boolean(),
        versionDescription=string(max_length=256),
        encryptionConfiguration=structure(
            kmsKeyId=string(min_length=1, max_length=2048),
            kmsDataKeyReusePeriodSeconds=integer(minimum=60, maximum=900),
            type=string(required=True, choices=("AWS_OWNED_KEY", "CUSTOMER_MANAGED_KMS_KEY")),
        ),
    )
    def CreateStateMachine(self, request: dict[str, Any]) -> dict[str, Any]:  # AWS operation names, as targets
        name, definition, role_arn = request["name"], request["definition"], request["roleArn"]
        if (request.get("type") or "STANDARD") != "STANDARD":
            raise validation("only STANDARD state machines are supported by the local engine")
        if request.get("publish") or request.get("versionDescription") is not None:
            raise validation("state machine versions (publish, versionDescription) are not supported locally")
        if not asl.valid_name(name):
            raise ServiceError("InvalidName", f"Invalid Name: '{name}'")
        try:
            self.engine.definition(definition, name)
        except DefinitionError as error:
            raise ServiceError("InvalidDefinition", f"Invalid State Machine Definition: {error}") from error
        except RecursionError as error:  # nested deeper than the parser goes
            raise ServiceError("InvalidDefinition", "Invalid State Machine Definition: nested too deeply") from error
        arn = state_machine_arn(name)
        existing = self.store.state_machine(arn)
        if existing is not None:
            if existing["definition"] == definition and existing["role_arn"] == role_arn:
                return {"stateMachineArn": arn, "creationDate": existing["created"]}
            raise ServiceError("StateMachineAlreadyExists", f"State Machine Already Exists: '{arn}'")
        created = self.engine.clock.now()
        self.store.put_state_machine(arn, name, definition, role_arn, created, "api")
        return {"stateMachineArn": arn, "creationDate": created}

    @operation(stateMachineArn=arn_string(required=True), includedData=INCLUDED_DATA)
    def DescribeStateMachine(self, request: dict[str, Any]) -> dict[str, Any]:
        machine = self._machine(request["stateMachineArn"])
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

    @operation(maxResults=MAX_RESULTS, nextToken=string(min_length=1, max_length=1024))
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

    @operation(stateMachineArn=arn_string(required=True))
    def DeleteStateMachine(self, request: dict[str, Any]) -> dict[str, Any]:
        arn = request["stateMachineArn"]
        _check_arn(arn, "stateMachine")
        self.store.delete_state_machine(arn)
        return {}

    # --- executions -----------------------------------------------------------------------------------

    @operation(
        stateMachineArn=arn_string(required=True),
        name=string(),  # its rules are InvalidName's
        input=string(),  # its limits are InvalidExecutionInput's
        traceHeader=string(max_length=256),
    )
    def StartExecution(self, request: dict[str, Any]) -> dict[str, Any]:
        machine = self._machine(request["stateMachineArn"])
        name = request.get("name")
        name = _uuid() if name is None else name
        if not asl.valid_name(name):
            raise ServiceError("InvalidName", f"Invalid Name: '{name}'")
        input_text = request.get("input") or "{}"
        if len(input_text.encode()) > MAX_PAYLOAD_BYTES:
            raise ServiceError("InvalidExecutionInput", "Invalid Execution Input: larger than 262144 bytes")
        try:
            loads(input_text)
        except ValueError as error:
            raise ServiceError("InvalidExecutionInput", f"Invalid Execution Input: '{error}'") from error
        arn, started = self.engine.start_execution(machine, name, input_text)
        return {"executionArn": arn, "startDate": started}

    @operation(executionArn=arn_string(required=True), includedData=INCLUDED_DATA)
    def DescribeExecution(self, request: dict[str, Any]) -> dict[str, Any]:
        record = self._execution(request["executionArn"])
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

    @operation(
        stateMachineArn=arn_string(),
        statusFilter=string(choices=EXECUTION_STATUSES),
        maxResults=MAX_RESULTS,
        nextToken=string(min_length=1, max_length=3096),
        mapRunArn=arn_string(max_length=2000),
        redriveFilter=string(choices=("REDRIVEN", "NOT_REDRIVEN")),
    )
    def ListExecutions(self, request: dict[str, Any]) -> dict[str, Any]:
        map_run = request.get("mapRunArn")
        if map_run is not None:
            if request.get("stateMachineArn") is not None:
                raise validation("Specify either stateMachineArn or mapRunArn, not both")
            _check_arn(map_run, "mapRun")
            raise ServiceError("ResourceNotFound", f"Resource not found: '{map_run}' (no Distributed Map runs locally)")
        if request.get("stateMachineArn") is None:
            raise validation("1 validation error detected: stateMachineArn or mapRunArn must be specified")
        machine = self._machine(request["stateMachineArn"])
        status = request.get("statusFilter")
        redrive_filter = request.get("redriveFilter")
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

    @operation(
        executionArn=arn_string(required=True),
        maxResults=MAX_RESULTS,
        reverseOrder=boolean(),
        nextToken=string(min_length=1, max_length=3096),
        includeExecutionData=boolean(),
    )
    def GetExecutionHistory(self, request: dict[str, Any]) -> dict[str, Any]:
        arn = request["executionArn"]
        self._execution(arn)
        offset, limit = _offset(request), _max_results(request, default=100)
        include_data = request.get("includeExecutionData") is not False
        events = self.store.events(arn, offset, limit + 1, request.get("reverseOrder") is True)
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

    @operation(executionArn=arn_string(required=True), error=ERROR, cause=CAUSE)
    def StopExecution(self, request: dict[str, Any]) -> dict[str, Any]:
        arn = request["executionArn"]
        _check_arn(arn, "execution")
        return {"stopDate": self.engine.stop_execution(arn, request.get("error"), request.get("cause"))}

    @operation(executionArn=arn_string(required=True), clientToken=string(min_length=1, max_length=128))
    def RedriveExecution(self, request: dict[str, Any]) -> dict[str, Any]:
        arn = request["executionArn"]
        _check_arn(arn, "execution")
        client_token = request.get("clientToken")
        if not client_token:
            return {"redriveDate": self.engine.redrive_execution(arn)}
        with self._redrive_tokens_lock:
            key = (arn, client_token)
            if key not in self._redrive_tokens:
                self._redrive_tokens[key] = {"redriveDate": self.engine.redrive_execution(arn)}
            return self._redrive_tokens[key]

    # --- task tokens ------------------------------------------------------------------------------------

    @operation(taskToken=TASK_TOKEN, output=string(required=True))  # the output's limits are InvalidOutput's
    def SendTaskSuccess(self, request: dict[str, Any]) -> dict[str, Any]:
        output = request["output"]
        if len(output.encode()) > MAX_PAYLOAD_BYTES:
            raise ServiceError("InvalidOutput", "Invalid Output: larger than 262144 bytes")
        self.engine.send_task_success(request["taskToken"], output)
        return {}

    @operation(taskToken=TASK_TOKEN, error=ERROR, cause=CAUSE)
    def SendTaskFailure(self, request: dict[str, Any]) -> dict[str, Any]:
        self.engine.send_task_failure(request["taskToken"], request.get("error"), request.get("cause"))
        return {}

    @operation(taskToken=TASK_TOKEN)
    def SendTaskHeartbeat(self, request: dict[str, Any]) -> dict[str, Any]:
        self.engine.send_task_heartbeat(request["taskToken"])
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


def _check_arn(arn: str, resource: str) -> None:
    parts = arn.split(":")
    if len(parts) < 7 or parts[:3] != ["arn", "aws", "states"] or parts[5] != resource:
        raise ServiceError("InvalidArn", f"Invalid Arn: '{arn}'")


def _offset(request: dict[str, Any]) -> int:
    """Where the page a ``nextToken`` (one of ours) asks for starts."""
    token = request.get("nextToken")
    if not token:
        return 0
    try:
        offset = loads(base64.urlsafe_b64decode(token.encode()).decode())["offset"]
    except (ValueError, KeyError, TypeError, IndexError) as error:
        raise ServiceError("InvalidToken", f"Invalid Token: '{token}'") from error
    if not isinstance(offset, int) or isinstance(offset, bool) or not 0 <= offset < 2**63:  # SQLite's integers
        raise ServiceError("InvalidToken", f"Invalid Token: '{token}'")
    return offset


def _next_token(offset: int | None) -> dict[str, str]:
    if offset is None:
        return {}
    return {"nextToken": base64.urlsafe_b64encode(json.dumps({"offset": offset}).encode()).decode()}


def _max_results(request: dict[str, Any], default: int) -> int:
    return request.get("maxResults") or default  # 0, or none, is the default page size (checked: 0 to 1000)


def _page(items: list[Any], request: dict[str, Any]) -> tuple[list[Any], dict[str, str]]:
    offset, limit = _offset(request), _max_results(request, default=100)
    page = items[offset : offset + limit]
    return page, _next_token(offset + limit if offset + limit < len(items) else None)


def _uuid() -> str:
    import uuid

    return str(uuid.uuid4())
