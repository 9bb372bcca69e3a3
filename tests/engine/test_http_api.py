"""The Step Functions JSON API over real HTTP, through boto3 as any AWS client would use it, and
refusing what AWS refuses in AWS's words, whatever the request."""

import base64
import http.client
import json
import re
import threading
import time
from collections.abc import Iterator

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from local.sfn.server import CONTENT_TYPE, handle, make_sfn_server
from tests.engine import handlers
from tests.engine.conftest import INVOKE_WAIT, Sfn, task


@pytest.fixture
def client(sfn: Sfn) -> Iterator:
    server = make_sfn_server("127.0.0.1", 0, sfn.service)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield boto3.client(
        "stepfunctions",
        endpoint_url=f"http://127.0.0.1:{server.server_address[1]}",
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
        config=Config(retries={"max_attempts": 1}),
    )
    server.shutdown()


def _code(error: pytest.ExceptionInfo[ClientError]) -> str:
    return error.value.response["Error"]["Code"]


def _definition(states: dict) -> str:
    return json.dumps({"QueryLanguage": "JSONata", "StartAt": next(iter(states)), "States": states})


def test_the_whole_api_through_boto3(client, sfn: Sfn) -> None:
    # state machines
    states = {
        "Ask": task(
            "echo",
            payload={"token": "{% $states.context.Task.Token %}"},
            Resource=INVOKE_WAIT,
            Output="{% $states.result %}",
        )
    }
    created = client.create_state_machine(name="boto", definition=_definition(states), roleArn="arn:aws:iam::0:role/r")
    machine = created["stateMachineArn"]
    assert client.describe_state_machine(stateMachineArn=machine)["name"] == "boto"
    assert "boto" in [item["name"] for item in client.list_state_machines()["stateMachines"]]
    # an execution waiting for a callback
    started = client.start_execution(stateMachineArn=machine, name="ask-1", input='{"id": 1}')
    again = client.start_execution(stateMachineArn=machine, name="ask-1", input='{"id": 1}')
    assert (again["executionArn"], again["startDate"]) == (started["executionArn"], started["startDate"])
    sfn.settle()
    described = client.describe_execution(executionArn=started["executionArn"])
    assert described["status"] == "RUNNING"
    assert described["startDate"].year >= 2026
    token = next(event["token"] for name, event in handlers.SWITCHES["calls"] if name == "echo")
    client.send_task_heartbeat(taskToken=token)
    client.send_task_success(taskToken=token, output=json.dumps({"ok": True}))
    sfn.settle()
    assert json.loads(client.describe_execution(executionArn=started["executionArn"])["output"]) == {"ok": True}
    history = client.get_execution_history(executionArn=started["executionArn"], reverseOrder=True, maxResults=2)
    assert [event["type"] for event in history["events"]] == ["ExecutionSucceeded", "TaskStateExited"]
    assert "nextToken" in history
    listed = client.list_executions(stateMachineArn=machine, statusFilter="SUCCEEDED")["executions"]
    assert [item["name"] for item in listed] == ["ask-1"]
    # stop, then redrive, a second one
    second = client.start_execution(stateMachineArn=machine, name="ask-2")
    sfn.settle()
    client.stop_execution(executionArn=second["executionArn"], error="Stopped", cause="by ops")
    assert client.describe_execution(executionArn=second["executionArn"])["status"] == "ABORTED"
    redriven = client.redrive_execution(executionArn=second["executionArn"], clientToken="retry-1")
    repeated = client.redrive_execution(executionArn=second["executionArn"], clientToken="retry-1")
    assert repeated["redriveDate"] == redriven["redriveDate"]
    sfn.settle()
    token = next(event["token"] for name, event in reversed(handlers.SWITCHES["calls"]) if name == "echo")
    client.send_task_failure(taskToken=token, error="Refused", cause="lab")
    sfn.settle()
    assert client.describe_execution(executionArn=second["executionArn"])["error"] == "Refused"
    client.delete_state_machine(stateMachineArn=machine)


def test_errors_have_aws_types_and_messages(client, sfn: Sfn) -> None:
    missing = "arn:aws:states:us-east-1:000000000000:execution:none:none"
    with pytest.raises(ClientError) as error:
        client.describe_execution(executionArn=missing)
    assert _code(error) == "ExecutionDoesNotExist"
    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert error.value.response["Error"]["Message"] == f"Execution Does Not Exist: '{missing}'"
    with pytest.raises(ClientError) as error:
        client.start_execution(stateMachineArn="arn:aws:states:us-east-1:000000000000:stateMachine:none")
    assert _code(error) == "StateMachineDoesNotExist"
    with pytest.raises(ClientError) as error:
        client.send_task_success(taskToken="AQ" + "a" * 40, output="{}")
    assert _code(error) == "TaskDoesNotExist"
    with pytest.raises(ClientError) as error:
        client.create_state_machine(name="bad", definition="{}", roleArn="arn:aws:iam::0:role/r")
    assert _code(error) == "InvalidDefinition"
    with pytest.raises(ClientError) as error:
        client.redrive_execution(executionArn="arn:aws:states:us-east-1:000000000000:stateMachine:x")
    assert _code(error) == "InvalidArn"


def test_a_state_machine_created_through_the_api_fails_on_an_unknown_function(client, sfn: Sfn) -> None:
    states = {
        "Call": {
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke",
            "End": True,
            "Arguments": {"FunctionName": "arn:aws:lambda:us-east-1:000000000000:function:ghost"},
        }
    }
    machine = client.create_state_machine(name="ghost", definition=_definition(states), roleArn="arn:aws:iam::0:role/r")
    arn = client.start_execution(stateMachineArn=machine["stateMachineArn"])["executionArn"]
    deadline = time.monotonic() + 10
    while client.describe_execution(executionArn=arn)["status"] == "RUNNING" and time.monotonic() < deadline:
        time.sleep(0.01)
    assert client.describe_execution(executionArn=arn)["error"] == "Lambda.ResourceNotFoundException"


# --- every request AWS would refuse is a 400 in AWS's shape, never a 500 --------------------------------

# Each operation's request members and their JSON types, written from the AWS API reference (not read
# from the service): an operation the service adds without a row here, or a member typed otherwise, fails.
AWS_REQUESTS: dict[str, dict[str, tuple[str, bool]]] = {
    "CreateStateMachine": {
        "name": ("string", True),
        "definition": ("string", True),
        "roleArn": ("string", True),
        "type": ("string", False),
        "loggingConfiguration": ("structure", False),
        "tags": ("list", False),
        "tracingConfiguration": ("structure", False),
        "publish": ("boolean", False),
        "versionDescription": ("string", False),
        "encryptionConfiguration": ("structure", False),
    },
    "DeleteStateMachine": {"stateMachineArn": ("string", True)},
    "DescribeStateMachine": {"stateMachineArn": ("string", True), "includedData": ("string", False)},
    "ListStateMachines": {"maxResults": ("integer", False), "nextToken": ("string", False)},
    "StartExecution": {
        "stateMachineArn": ("string", True),
        "name": ("string", False),
        "input": ("string", False),
        "traceHeader": ("string", False),
    },
    "DescribeExecution": {"executionArn": ("string", True), "includedData": ("string", False)},
    "ListExecutions": {
        "stateMachineArn": ("string", False),
        "statusFilter": ("string", False),
        "maxResults": ("integer", False),
        "nextToken": ("string", False),
        "mapRunArn": ("string", False),
        "redriveFilter": ("string", False),
    },
    "GetExecutionHistory": {
        "executionArn": ("string", True),
        "maxResults": ("integer", False),
        "reverseOrder": ("boolean", False),
        "nextToken": ("string", False),
        "includeExecutionData": ("boolean", False),
    },
    "StopExecution": {"executionArn": ("string", True), "error": ("string", False), "cause": ("string", False)},
    "RedriveExecution": {"executionArn": ("string", True), "clientToken": ("string", False)},
    "SendTaskSuccess": {"taskToken": ("string", True), "output": ("string", True)},
    "SendTaskFailure": {"taskToken": ("string", True), "error": ("string", False), "cause": ("string", False)},
    "SendTaskHeartbeat": {"taskToken": ("string", True)},
}
# The errors each operation's reference page lists, and those every JSON operation may answer
AWS_ERRORS = {
    "CreateStateMachine": {"InvalidArn", "InvalidDefinition", "InvalidName", "StateMachineAlreadyExists"},
    "DeleteStateMachine": {"InvalidArn"},
    "DescribeStateMachine": {"InvalidArn", "StateMachineDoesNotExist"},
    "ListStateMachines": {"InvalidToken"},
    "StartExecution": {
        "ExecutionAlreadyExists",
        "InvalidArn",
        "InvalidExecutionInput",
        "InvalidName",
        "StateMachineDoesNotExist",
    },
    "DescribeExecution": {"ExecutionDoesNotExist", "InvalidArn"},
    "ListExecutions": {"InvalidArn", "InvalidToken", "ResourceNotFound", "StateMachineDoesNotExist"},
    "GetExecutionHistory": {"ExecutionDoesNotExist", "InvalidArn", "InvalidToken"},
    "StopExecution": {"ExecutionDoesNotExist", "InvalidArn"},
    "RedriveExecution": {"ExecutionDoesNotExist", "ExecutionNotRedrivable", "InvalidArn"},
    "SendTaskSuccess": {"InvalidOutput", "InvalidToken", "TaskDoesNotExist", "TaskTimedOut"},
    "SendTaskFailure": {"InvalidToken", "TaskDoesNotExist", "TaskTimedOut"},
    "SendTaskHeartbeat": {"InvalidToken", "TaskDoesNotExist", "TaskTimedOut"},
}
COMMON_ERRORS = {"ValidationException", "SerializationException"}
WRONG_VALUES = {  # a value of every other JSON type
    "string": [5, 2.5, True, [], ["x"], {}],
    "integer": ["5", 2.5, True, [], {}],
    "boolean": ["true", 1, 0, [], {}],
    "structure": ["x", 5, True, [], [{}]],
    "list": ["x", 5, True, {}],
}
ODD_VALUES = [  # of the right type or not, none of them may crash an operation; valid JSON last, as it may
    # consume the request's task token
    "[" * 100_000 + "]" * 100_000, '{"a": ' + "1" * 5000 + "}", '"\\ud800"', "", " ", "x", "\u0000", "é", "a" * 5000,
    "arn:aws:states:us-east-1:000000000000:execution:m:e", "arn:aws:states:::", ":::::::", "AQ" + "x" * 3000, "{}",
    0, -1, 1, 1000, 1001, 10**30, 2.5, -0.0, 1e308, True, False, None,
    [], [1], [None], [{}], [{"key": 5}], {}, {"a": 1}, {"type": 5}, {"level": "LOUD"}, {"enabled": "yes"},
    *(base64.urlsafe_b64encode(text).decode() for text in  # page tokens of every odd kind
      (b"[" * 2000, b'{"offset": -1}', b'{"offset": "5"}', b'{"offset": 1e400}', b'{"offset": ' + b"9" * 30 + b"}",
       b"\xff", b"[]", b"{}")),
]  # fmt: skip
PYTHON_TEXT = re.compile(r"Traceback|\b[A-Z]\w*Error\b|object has no attribute|NoneType|object is not|\bint\(\)")
WAIT = {"W": {"Type": "Wait", "Seconds": 100, "End": True}}


def _call(sfn: Sfn, operation: str, body: bytes) -> tuple[int, str, str]:
    status, response = handle(sfn.service, f"AWSStepFunctions.{operation}", body)
    code = response.get("__type", "").rsplit("#", 1)[-1]
    return status, code, response.get("message", "")


def _valid_requests(sfn: Sfn) -> dict[str, dict]:
    """One request per operation that AWS would accept; each test then spoils one member of it."""
    machine = sfn.machine(WAIT)
    execution = sfn.start(machine, name="waiting")
    asking = {"Ask": task("echo", payload={"token": "{% $states.context.Task.Token %}"}, Resource=INVOKE_WAIT)}
    sfn.start(sfn.machine(asking))
    sfn.settle()
    token = next(event["token"] for name, event in handlers.SWITCHES["calls"] if name == "echo")
    definition = _definition({"P": {"Type": "Pass", "End": True}})
    return {
        "CreateStateMachine": {"name": "made", "definition": definition, "roleArn": "arn:aws:iam::0:role/r"},
        "DeleteStateMachine": {"stateMachineArn": machine},
        "DescribeStateMachine": {"stateMachineArn": machine},
        "ListStateMachines": {},
        "StartExecution": {"stateMachineArn": machine, "name": "n", "input": "{}"},
        "DescribeExecution": {"executionArn": execution},
        "ListExecutions": {"stateMachineArn": machine},
        "GetExecutionHistory": {"executionArn": execution},
        "StopExecution": {"executionArn": execution},
        "RedriveExecution": {"executionArn": execution},
        "SendTaskSuccess": {"taskToken": token, "output": "{}"},
        "SendTaskFailure": {"taskToken": token},
        "SendTaskHeartbeat": {"taskToken": token},
    }


def test_the_service_serves_exactly_the_operations_and_members_of_the_table(sfn: Sfn) -> None:
    kinds = {str: "string", int: "integer", bool: "boolean", dict: "structure", list: "list"}
    served = {
        name: {member: (kinds[declared.kind], declared.required) for member, declared in method.members.items()}
        for name, method in sfn.service.operations.items()
    }
    assert served == AWS_REQUESTS


@pytest.mark.parametrize(
    ("operation", "member", "kind"),
    [(operation, member, kind) for operation, members in AWS_REQUESTS.items() for member, (kind, _) in members.items()],
)
def test_a_member_of_the_wrong_type_is_a_serialization_exception(
    sfn: Sfn, operation: str, member: str, kind: str
) -> None:
    base = _valid_requests(sfn)[operation]
    for value in WRONG_VALUES[kind]:
        # When the member holds a value of another JSON type
        status, code, message = _call(sfn, operation, json.dumps({**base, member: value}).encode())
        # Then AWS's 400, naming the member, in words a caller can act on
        assert (status, code) == (400, "SerializationException"), (value, message)
        assert f"'{member}'" in message
        assert not PYTHON_TEXT.search(message), message


@pytest.mark.parametrize("operation", AWS_REQUESTS)
def test_missing_required_members_are_a_validation_exception_naming_each(sfn: Sfn, operation: str) -> None:
    required = [member for member, (_, needed) in AWS_REQUESTS[operation].items() if needed]
    status, code, message = _call(sfn, operation, b"{}")
    if operation == "ListExecutions":  # the reference: one of stateMachineArn and mapRunArn is required
        assert (status, code) == (400, "ValidationException")
        assert "stateMachineArn or mapRunArn" in message
        return
    if not required:
        assert status == 200
        return
    assert (status, code) == (400, "ValidationException")
    for member in required:
        assert f"Value null at '{member}' failed to satisfy constraint: Member must not be null" in message
    assert message.startswith(f"{len(required)} validation error")


@pytest.mark.parametrize("operation", AWS_REQUESTS)
def test_no_value_in_any_member_makes_an_operation_fail_with_a_500(sfn: Sfn, operation: str) -> None:
    base = _valid_requests(sfn)[operation]
    allowed = AWS_ERRORS[operation] | COMMON_ERRORS
    failures = []
    for member in AWS_REQUESTS[operation]:
        for value in ODD_VALUES:
            status, code, message = _call(sfn, operation, json.dumps({**base, member: value}).encode())
            if status not in (200, 400) or (status == 400 and code not in allowed) or PYTHON_TEXT.search(message):
                failures.append(f"{member}={str(value)[:40]!r}: {status} {code} {message[:200]}")
    assert failures == []


def test_bounds_are_checked_as_aws_states_them(sfn: Sfn) -> None:
    machine = sfn.machine(WAIT)
    cases = [
        ("ListStateMachines", {"maxResults": 1001}, "Member must have value less than or equal to 1000"),
        ("ListStateMachines", {"maxResults": -1}, "Member must have value greater than or equal to 0"),
        ("ListExecutions", {"stateMachineArn": machine, "statusFilter": "BOGUS"}, "Member must satisfy enum"),
        ("StopExecution", {"executionArn": "arn:aws:states:::", "error": "e" * 257}, "less than or equal to 256"),
        ("CreateStateMachine", {"name": "x", "definition": "", "roleArn": "r"}, "greater than or equal to 1"),
        (
            "CreateStateMachine",
            {"name": "x", "definition": "{}", "roleArn": "r", "tags": [{"key": "k" * 129}]},
            "Value at 'tags.1.key'",
        ),
    ]
    for operation, request, expected in cases:
        status, code, message = _call(sfn, operation, json.dumps(request).encode())
        assert (status, code) == (400, "ValidationException"), (operation, request, message)
        assert expected in message.replace(f"'{'k' * 129}' ", "")


@pytest.mark.parametrize(
    "expression",
    ["!1", '"\\', "(" * 5000 + "1" + ")" * 5000, "1" + "+1" * 20_000, "$states.input[", "$eval('1')"],
)
def test_a_definition_the_engine_cannot_read_is_an_invalid_definition(sfn: Sfn, expression: str) -> None:
    definition = _definition({"P": {"Type": "Pass", "Output": f"{{% {expression} %}}", "End": True}})
    request = {"name": "odd", "definition": definition, "roleArn": "arn:aws:iam::0:role/r"}
    status, code, message = _call(sfn, "CreateStateMachine", json.dumps(request).encode())
    assert (status, code) == (400, "InvalidDefinition"), message
    assert "field 'Output'" in message


def test_a_definition_nested_deeper_than_the_parser_goes_is_an_invalid_definition(sfn: Sfn) -> None:
    branch: dict = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}
    for _ in range(2000):
        branch = {"StartAt": "Par", "States": {"Par": {"Type": "Parallel", "Branches": [branch], "End": True}}}
    request = {"name": "deep", "definition": json.dumps({"QueryLanguage": "JSONata", **branch}), "roleArn": "r"}
    status, code, _ = _call(sfn, "CreateStateMachine", json.dumps(request).encode())
    assert (status, code) == (400, "InvalidDefinition")


@pytest.fixture
def endpoint(sfn: Sfn) -> Iterator[tuple[str, int]]:
    server = make_sfn_server("127.0.0.1", 0, sfn.service)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[:2]  # type: ignore[misc]  # typeshed types it for any address family
    server.shutdown()
    server.server_close()


def _post(endpoint: tuple[str, int], target: str, body: bytes) -> tuple[int, dict]:
    connection = http.client.HTTPConnection(*endpoint, timeout=30)
    try:
        connection.request("POST", "/", body=body, headers={"X-Amz-Target": target, "Content-Type": CONTENT_TYPE})
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


@pytest.mark.parametrize(
    ("target", "body", "code"),
    [
        ("AWSStepFunctions.DescribeExecution", b'{"executionArn": 5}', "SerializationException"),
        ("AWSStepFunctions.DescribeExecution", b"\xff\xfe{}", "SerializationException"),
        ("AWSStepFunctions.DescribeExecution", b"{not json", "SerializationException"),
        ("AWSStepFunctions.DescribeExecution", b"[]", "SerializationException"),
        ("AWSStepFunctions.DescribeExecution", b'"executionArn"', "SerializationException"),
        ("AWSStepFunctions.DescribeExecution", b"[" * 100_000 + b"]" * 100_000, "SerializationException"),
        ("AWSStepFunctions.ListStateMachines", b'{"maxResults": ' + b"9" * 5000 + b"}", "SerializationException"),
        ("AWSStepFunctions.DescribeExecution", b'{"executionArn": "\\ud800"}', "SerializationException"),
        ("AWSStepFunctions.DescribeExecution", b"{}", "ValidationException"),
        ("AWSStepFunctions.DescribeExecution", b'{"executionArn": "x"}', "InvalidArn"),
        ("AWSStepFunctions.DescribeExecutions", b"{}", "UnknownOperationException"),
        ("AWSStepFunctions.__init__", b"{}", "UnknownOperationException"),
        ("AWSStepFunctions.register_workflow", b"{}", "UnknownOperationException"),
        ("DescribeExecution", b"{}", "UnknownOperationException"),
        ("", b"{}", "UnknownOperationException"),
    ],
)
def test_requests_aws_would_refuse_are_400s_over_http(endpoint, target: str, body: bytes, code: str) -> None:
    status, response = _post(endpoint, target, body)
    assert (status, response["__type"]) == (400, f"com.amazonaws.states#{code}")
    assert set(response) == {"__type", "message"}
    assert not PYTHON_TEXT.search(response["message"]), response["message"]


def test_an_engine_bug_is_a_500_without_python_details(sfn: Sfn, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(request: dict) -> dict:
        raise AttributeError("'int' object has no attribute 'split'")

    monkeypatch.setitem(sfn.service.operations, "ListStateMachines", broken)
    status, response = handle(sfn.service, "AWSStepFunctions.ListStateMachines", b"{}")
    assert status == 500
    assert response["__type"] == "com.amazonaws.states#InternalFailure"
    assert not PYTHON_TEXT.search(response["message"])
    assert "split" not in response["message"]
