"""A function imports only what it uses: no X-Ray SDK, no boto3 until a client is called, no other
function's code, no table before a request reaches it, and for the API no route module before a
request reaches one of its routes (figures in benchmarks/README.md, from benchmarks/cold_start.py)."""

import functools
import json
import re
import subprocess
import sys
from typing import Any

import pytest

from benchmarks.cold_start import FIRST_REQUEST, FUNCTIONS, REPO, ROUTE_MODULES


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


def test_the_api_imports_a_route_module_when_a_request_first_reaches_it() -> None:
    """Its import declares no route; a request loads its route's module (and what that module
    imports), not the others', nor the logic no route of it calls (``FUNCTIONS`` lists that)."""
    code = """
import json, sys
from lambdas.api.app import handler
from tests.events import lambda_context
def modules():
    return sorted(name.rsplit(".", 1)[1] for name in sys.modules if name.startswith("lambdas.api.routes."))
def status(method, resource, path):
    event = {"httpMethod": method, "resource": resource, "path": path, "requestContext": {}}
    return handler(event, lambda_context())["statusCode"]
steps = [modules()]
steps.append((status("GET", "/health", "/health"), modules()))
steps.append((status("GET", "/sites/{site_id}/board", "/sites/x/board"), modules()))
steps.append((status("GET", "/health", "/health"), modules()))
print(json.dumps(steps))
"""
    imported, health, board, health_again = _fresh(code)
    assert imported == []
    assert health == [200, ["health"]]
    # who may read the board is declared in its module (401 without a token), which names the sites' ids
    assert board == [401, ["health", "sites", "tickets"]]
    assert health_again == [200, ["health", "sites", "tickets"]]


@pytest.mark.parametrize("module", ROUTE_MODULES)
def test_a_route_module_leaves_out_what_only_some_of_its_routes_use(module: str) -> None:
    loaded = loaded_by(f"lambdas.api.routes.{module}")
    assert [name for name in FIRST_REQUEST if any(m == name or m.startswith(f"{name}.") for m in loaded)] == []
    assert [name for name in loaded if TABLES.match(name)] == []
