"""Assemble the local Step Functions: store, the declared workflows' functions, engine and API."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from local.files import make_private_directory
from local.sfn.engine import Engine
from local.sfn.functions import FunctionRegistry, LocalFunction
from local.sfn.service import StepFunctionsService
from local.sfn.store import Store
from workflows import Workflow, all_workflows


def build(
    state_dir: Path,
    workflows: list[Workflow] | None = None,
    clock: Any = None,
    packages: tuple[str, ...] = ("workflows",),
) -> StepFunctionsService:
    """An engine on ``state_dir/stepfunctions.db`` with every workflow registered as a state machine:
    ``workflows``, or those declared in ``packages``.

    Raises ``DefinitionError``/``DeclarationError`` naming the file, state and field of anything the
    engine cannot run. Call ``service.engine.start()`` to resume what was running and serve timers.
    """
    make_private_directory(state_dir)
    declared = [w for package in packages for w in all_workflows(package)] if workflows is None else workflows
    registry = FunctionRegistry()
    for workflow in declared:
        for placeholder, task in workflow.tasks.items():
            registry.register(
                LocalFunction(workflow.function_name(placeholder), task.handler, task.timeout_seconds, task.memory_mb)
            )
    engine = Engine(Store(state_dir / "stepfunctions.db"), registry, clock=clock)
    service = StepFunctionsService(engine)
    for workflow in declared:
        service.register_workflow(workflow)
    return service
