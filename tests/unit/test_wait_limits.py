"""The work lists' days left are the onboarding's own timeouts."""

import json
from pathlib import Path

from lambdas.shared.domain import WAIT_LIMIT

WORKFLOW = Path(__file__).parents[2] / "workflows" / "client_onboarding.asl.json"


def test_the_wait_limits_are_the_workflows_timeouts() -> None:
    states = json.loads(WORKFLOW.read_text())["States"]
    waits = {
        state["Arguments"]["Payload"]["waiting_for"]: state["TimeoutSeconds"]
        for state in states.values()
        if state.get("Resource", "").endswith(".waitForTaskToken")
    }
    assert waits == {str(waiting_for): int(limit.total_seconds()) for waiting_for, limit in WAIT_LIMIT.items()}
