from collections.abc import Iterator

import pytest

from lambdas.shared.stepfunctions import reset_workflows


@pytest.fixture(autouse=True)
def _api_database(database_url: str) -> str:
    """Every API test runs the handler against a fresh migrated database."""
    return database_url


@pytest.fixture(autouse=True)
def _step_functions_unreachable(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Nothing listens where the API's Step Functions client is sent (a test that needs one points it at
    the local engine): a signal stays in the outbox, and a route that reads executions answers 503."""
    monkeypatch.setenv("AWS_ENDPOINT_URL_SFN", "http://127.0.0.1:9")
    reset_workflows()
    yield
    reset_workflows()
