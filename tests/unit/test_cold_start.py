"""A function imports only what it uses: no X-Ray SDK, no boto3 until a client is called, no other
function's code (figures in benchmarks/README.md, from benchmarks/cold_start.py)."""

import json
import subprocess
import sys

import pytest

from benchmarks.cold_start import FUNCTIONS, REPO
from workflows import all_workflows


@pytest.mark.parametrize("module", sorted(FUNCTIONS))
def test_importing_a_function_leaves_out_what_it_does_not_use(module: str) -> None:
    probe = f"import importlib, json, sys; importlib.import_module({module!r}); print(json.dumps(sorted(sys.modules)))"
    env = {"PATH": "", "POWERTOOLS_METRICS_NAMESPACE": "x"}
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPO, env=env, capture_output=True, text=True, check=True
    )
    loaded = json.loads(result.stdout)
    unwanted = [name for name in FUNCTIONS[module] if any(m == name or m.startswith(f"{name}.") for m in loaded)]
    assert unwanted == []


def test_the_benchmark_measures_every_task_function() -> None:
    handlers = {task.handler.rpartition(".")[0] for workflow in all_workflows() for task in workflow.tasks.values()}
    assert handlers <= set(FUNCTIONS)
