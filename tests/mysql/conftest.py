from tests.workflows.conftest import onboarding  # noqa: F401 - the same in-process onboarding fixture
