"""A pytest fixture for the in-process Step Functions: ``pytest_plugins = ["local.sfn.pytest_plugin"]``
in a conftest.py, then a test takes ``local_sfn`` and calls it with its functions.

    def test_the_greeting(local_sfn):
        sfn = local_sfn({"greet": greet})
        ...

Each engine it gives is shut down after the test."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack
from pathlib import Path

import pytest

from local.sfn.testing import Handler, LocalStepFunctions, local_stepfunctions


@pytest.fixture
def local_sfn(tmp_path: Path) -> Iterator[Callable[..., LocalStepFunctions]]:
    numbers = itertools.count()
    with ExitStack() as engines:

        def start(functions: Mapping[str, str | Handler] | None = None) -> LocalStepFunctions:
            state_dir = tmp_path / f"sfn-{next(numbers)}"
            state_dir.mkdir()
            return engines.enter_context(local_stepfunctions(functions, state_dir=state_dir))

        yield start
