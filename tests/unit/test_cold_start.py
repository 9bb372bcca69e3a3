"""A function imports only what it uses: no X-Ray SDK, no boto3 until a client is called, no other
function's code, no table before a request reaches it, and for the API no logic behind a route before
the route is called (figures in benchmarks/README.md, from benchmarks/cold_start.py)."""

import functools
import json
import re
import subprocess
import sys
from typing import Any

import pytest

from benchmarks.cold_start import FUNCTIONS, REPO


def _fresh(code: str) -> Any:
    """What ``code`` prints (JSON) in a fresh interpreter."""
    env = {"PATH": "", "POWERTOOLS_METRICS_NAMESPACE": "x"}
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, check=True)
    return json.loads(result.stdout)


@functools.cache
def loaded_by(module: str) -> tuple[str, ...]:
    """The modules a fresh interpreter holds once it has imported ``module``."""
    return tuple(
        _fresh(
            f"import importlib, json, sys; importlib.import_module({module!r}); print(json.dumps(sorted(sys.modules)))"
        )
    )


@pytest.mark.parametrize("module", sorted(FUNCTIONS))
def test_importing_a_function_leaves_out_what_it_does_not_use(module: str) -> None:
    loaded = loaded_by(module)
    unwanted = [name for name in FUNCTIONS[module] if any(m == name or m.startswith(f"{name}.") for m in loaded)]
    assert unwanted == []


# A context's tables are mapped when its repository or a row of it is first used, never at import
TABLES = re.compile(r"^lambdas\.shared\.db\.\w+\.(models|repository)$")


@pytest.mark.parametrize("module", sorted(FUNCTIONS))
def test_importing_a_function_maps_no_table(module: str) -> None:
    assert [name for name in loaded_by(module) if TABLES.match(name)] == []


def test_the_api_declares_every_route_without_the_logic_behind_them() -> None:
    """The routes are declared at import (the CDK app and the local gateway read them); the logic that
    no route's signature names is not loaded with them (``FUNCTIONS`` lists it for the benchmark too)."""
    declared = _fresh("import lambdas.api.app; from lambdas.api.access import ROUTES; print(len(ROUTES))")
    assert declared > 40
    services = ("erasure", "executions.operating", "executions.reading", "queue.calling", "queue.desk")
    assert [name for name in services if f"lambdas.shared.{name}" in loaded_by("lambdas.api.app")] == []
