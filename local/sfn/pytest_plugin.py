"""A pytest fixture for the in-process Step Functions: ``pytest_plugins = ["local.sfn.pytest_plugin"]``
in a conftest.py, then a test takes ``local_sfn`` and calls it with its functions.

    def test_the_greeting(local_sfn):
        sfn = local_sfn({"greet": greet})   # local_stepfunctions's options too: state_dir=, seed=
        ...

Each engine it gives is shut down after the test."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack
from typing import Any

import pytest

from local.sfn.testing import Handler, LocalStepFunctions, local_stepfunctions


@pytest.fixture
def local_sfn() -> Iterator[Callable[..., LocalStepFunctions]]:
    with ExitStack() as engines:

        def start(functions: Mapping[str, str | Handler] | None = None, **options: Any) -> LocalStepFunctions:
            return engines.enter_context(local_stepfunctions(functions, **options))

        yield start
