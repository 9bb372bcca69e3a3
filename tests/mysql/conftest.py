# the same in-process workflow fixtures as tests/workflows
from tests.workflows.conftest import local_step_functions, onboarding  # noqa: F401
