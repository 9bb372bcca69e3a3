"""Onboarding a client over HTTP on the local runtime, and the execution seen through boto3."""

import time

import pytest

from tests.e2e.conftest import LocalRuntime
from tests.workflows.conftest import application

pytestmark = pytest.mark.e2e


def test_a_front_desk_post_becomes_an_active_client_with_a_visible_execution(local_runtime: LocalRuntime) -> None:
    # When the front desk submits an application
    token = local_runtime.token("front-desk", user="desk-1")
    status, accepted = local_runtime.request("POST", "/clients", token=token, body=application(phone="+33600000042"))
    assert status == 202, accepted
    assert accepted["status_url"] == f"/clients/{accepted['client_id']}"
    # Then polling its status shows it active
    deadline = time.monotonic() + 30
    while True:
        status, client = local_runtime.request("GET", accepted["status_url"], token=token)
        if client["status"] == "active" or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert (status, client["status"]) == (200, "active")
    # And a manager's tools (boto3 on the Step Functions endpoint) show the execution and its history
    sfn = local_runtime.sfn()
    execution = sfn.describe_execution(executionArn=accepted["execution_arn"])
    assert execution["status"] == "SUCCEEDED"
    assert execution["name"] == f"client-{accepted['client_id']}"
    events = sfn.get_execution_history(executionArn=accepted["execution_arn"])["events"]
    entered = [e["stateEnteredEventDetails"]["name"] for e in events if e["type"].endswith("StateEntered")]
    assert entered == ["FindDuplicates", "RegisterClient", "CheckEligibility", "Eligibility", "ActivateClient"]
