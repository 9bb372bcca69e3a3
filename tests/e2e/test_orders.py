"""An order over HTTP on the local runtime: created for an active client, the lab's own reports with
the access token ``python -m local token --client lab`` prints, checked, collected; boto3 shows its
execution, whose history holds ids, never the prescription."""

import json
import os
import subprocess
import sys
import time
import uuid

import pytest

from tests.e2e.conftest import REPO_ROOT, LocalRuntime
from tests.workflows.conftest import EXACT, application, order_body

pytestmark = pytest.mark.e2e

HAPPY_PATH = {"ReserveFrame", "Route", "SubmitToLab", "AwaitLab", "AwaitQualityCheck", "AwaitPickup", "Ended"}


def _until(local_runtime: LocalRuntime, path: str, token: str, done, seconds: float = 30):
    deadline = time.monotonic() + seconds
    while True:
        status, found = local_runtime.request("GET", path, token=token)
        if (status == 200 and done(found)) or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


def _lab_token(local_runtime: LocalRuntime) -> str:
    printed = subprocess.run(
        [sys.executable, "-m", "local", "token", "--client", "lab"],
        cwd=REPO_ROOT,
        env={**os.environ, "LOCAL_STATE_DIR": str(local_runtime.state_dir)},
        capture_output=True,
        text=True,
        check=True,
    )
    return printed.stdout.strip()


def test_an_order_goes_from_the_desk_to_the_lab_and_back_to_the_client(local_runtime: LocalRuntime) -> None:
    desk, manager = local_runtime.token("front-desk", user="desk-1"), local_runtime.token("managers", user="m-1")
    lab = _lab_token(local_runtime)
    site, sku = f"site-{uuid.uuid4().hex[:8]}", "DON-0001"  # a site of its own: the runtime is shared
    hours = {day: ["00:00", "24:00"] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    assert (
        local_runtime.request("PUT", f"/sites/{site}", token=manager, body={"name": "Clinic", "hours": hours})[0] == 200
    )
    frame = {"description": "Donated, black, 52-18", "kind": "donated", "quantity": 1}
    assert local_runtime.request("PUT", f"/sites/{site}/frames/{sku}", token=manager, body=frame)[0] == 200
    # a person of their own too: no other test's client is a duplicate of them
    name = "".join(chr(ord("a") + int(digit, 16)) for digit in uuid.uuid4().hex[:10]).title()
    person = application(first_name="Fatou", last_name=name, birth_date="1958-07-14", phone="+33600000077")
    status, accepted = local_runtime.request("POST", "/clients", token=desk, body=person)
    assert status == 202, accepted
    client = _until(local_runtime, accepted["status_url"], desk, lambda found: found["status"] == "active")
    assert client["status"] == "active", client

    # When the front desk orders glasses
    status, created = local_runtime.request(
        "POST", "/orders", token=desk, body=order_body(client["client_id"], site_id=site, frame_sku=sku)
    )
    assert status == 202, created
    order_url = f"/orders/{created['order_id']}"
    # Then the workflow takes the frame off the shelf and sends the order to the lab
    order = _until(local_runtime, order_url, desk, lambda found: found["status"] == "at_lab")
    assert order["status"] == "at_lab", order
    _, shelf = local_runtime.request("GET", f"/sites/{site}/frames", token=desk)
    assert [(f["sku"], f["quantity"]) for f in shelf["items"]] == [(sku, 0)]

    # And the lab reports with its own access token; the gateway takes neither kind of token for the other's routes
    path = f"/lab/orders/{created['order_id']}/result"
    assert local_runtime.request("POST", path, token=desk, body={"status": "in_production"})[0] == 401
    assert local_runtime.request("POST", f"{order_url}/pickup", token=lab)[0] == 401
    assert local_runtime.request("POST", path, token=lab, body={"status": "in_production"}) == (
        200,
        {"order_id": created["order_id"], "status": "at_lab", "deviations": []},
    )
    status, shipped = local_runtime.request("POST", path, token=lab, body={"status": "shipped"})
    assert (status, shipped["status"]) == (200, "quality_check"), shipped

    # And glasses made to the prescription pass the check, and the client collects them
    right, left = EXACT
    check = {"right": right, "left": left}
    status, checked = local_runtime.request("POST", f"{order_url}/quality-check", token=desk, body=check)
    assert (status, checked["status"], checked["deviations"]) == (200, "ready", []), checked
    _until(local_runtime, order_url, desk, lambda found: found["waiting_for"] == "pickup")
    status, collected = local_runtime.request("POST", f"{order_url}/pickup", token=desk)
    assert (status, collected["status"]) == (200, "delivered"), collected

    # And boto3 on the Step Functions endpoint shows the execution ended, its history free of the prescription
    sfn = local_runtime.sfn()
    deadline = time.monotonic() + 30
    while (execution := sfn.describe_execution(executionArn=created["execution_arn"]))["status"] == "RUNNING":
        assert time.monotonic() < deadline, "the order's execution did not end"
        time.sleep(0.05)
    assert (execution["status"], execution["name"]) == ("SUCCEEDED", f"order-{created['order_id']}")
    events = sfn.get_execution_history(executionArn=created["execution_arn"])["events"]
    # what the events say, without their times (a time's digits may spell a measure: 19:02:31.5…)
    history = json.dumps([{key: value for key, value in event.items() if key != "timestamp"} for event in events])
    for secret in ("-2.25", "31.5", "Dr Camille Roux", name, "+33600000077"):
        assert secret not in history
    entered = [
        event["stateEnteredEventDetails"]["name"]
        for event in json.loads(history)
        if event["type"].endswith("StateEntered")
    ]
    # answers sent at once may reach a wait before the workflow does: which waits ran between varies
    assert (entered[0], entered[-1]) == ("ReserveFrame", "Ended")
    assert {"SubmitToLab", "AwaitPickup"} <= set(entered) <= HAPPY_PATH
