"""The local Step Functions engine (``local.sfn``) hosted by this project: the state machines of
``workflows/`` with their tasks' handlers, and the API's security headers on its HTTP answers.

The engine imports nothing of this project: what it gets of it is handed in here, the one module that
knows both.
"""

from __future__ import annotations

from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

from lambdas.api.app import SECURITY_HEADERS
from local.sfn import server
from local.sfn.arns import function_arn
from local.sfn.engine import Engine
from local.sfn.files import make_private_directory
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
    service = StepFunctionsService(Engine(Store(state_dir / "stepfunctions.db"), registry, clock=clock))
    for workflow in declared:
        declare(service, workflow)
    return service


def declare(service: StepFunctionsService, workflow: Workflow) -> str:
    """Create (or update) the state machine of a declared workflow, its placeholders bound to the
    local functions of its tasks. A definition the engine cannot run stops the runtime here."""
    workflow.check()
    text = workflow.definition(
        {placeholder: function_arn(workflow.function_name(placeholder)) for placeholder in workflow.tasks}
    )
    return service.declare_state_machine(workflow.name, text, str(workflow.asl_path))


def make_sfn_server(host: str, port: int, service: StepFunctionsService) -> ThreadingHTTPServer:
    """The engine's API over HTTP, answering with the API's security headers as the local gateway does."""
    return server.make_sfn_server(host, port, service, headers=SECURITY_HEADERS)
