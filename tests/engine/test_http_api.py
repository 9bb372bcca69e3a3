"""The Step Functions JSON API over real HTTP, through boto3 as any AWS client would use it."""

import json
import threading
import time
from collections.abc import Iterator

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from local.sfn.server import make_sfn_server
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
