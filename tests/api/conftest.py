import pytest


@pytest.fixture(autouse=True)
def _api_database(database_url: str) -> str:
    """Every API test runs the handler against a fresh migrated database."""
    return database_url
