import pytest


@pytest.fixture(autouse=True)
def _api_database(database_url: str, step_functions_unreachable: None) -> str:
    """Every API test runs the handler against a fresh migrated database, with nothing listening for
    Step Functions."""
    return database_url
