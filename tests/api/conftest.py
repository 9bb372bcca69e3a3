from collections.abc import Iterator

import pytest

from lambdas.shared.config import state_machine_variable
from lambdas.shared.stepfunctions import reset_workflows
from workflows import all_workflows


@pytest.fixture(autouse=True)
def _api_database(database_url: str) -> str:
    """Every API test runs the handler against a fresh migrated database."""
    return database_url


@pytest.fixture(autouse=True)
def _step_functions_unreachable(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The API knows every state machine, but nothing listens where its Step Functions client is sent
    (a test that needs one points it at the local engine): a route that gets that far answers 503."""
    monkeypatch.setenv("AWS_ENDPOINT_URL_SFN", "http://127.0.0.1:9")
    for workflow in all_workflows():
        arn = f"arn:aws:states:us-east-1:000000000000:stateMachine:{workflow.name}"
        monkeypatch.setenv(state_machine_variable(workflow.name), arn)
    reset_workflows()
    yield
    reset_workflows()
