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


def test_every_model_of_ours_is_built_on_first_use() -> None:
    import importlib

    from pydantic import BaseModel

    from lambdas.shared.model import Model

    for module in FUNCTIONS:
        importlib.import_module(module)

    def subclasses(model: type[BaseModel]) -> list[type[BaseModel]]:
        return [model, *(sub for child in model.__subclasses__() for sub in subclasses(child))]

    ours = [model for model in subclasses(BaseModel) if model.__module__.startswith(("lambdas", "workflows"))]
    assert len(ours) > 50
    assert [model.__qualname__ for model in ours if not issubclass(model, Model)] == []
