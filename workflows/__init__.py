"""The workflows: one module per workflow, each declaring ``WORKFLOW``, beside its ASL file."""

from __future__ import annotations

import importlib
import pkgutil

from workflows.declaration import DeclarationError, Task, Workflow

__all__ = ["DeclarationError", "Task", "Workflow", "all_workflows"]


def all_workflows(package: str = __name__) -> list[Workflow]:
    """Every workflow declared in ``package`` (this one by default), checked against its ASL file."""
    found = []
    for module_info in pkgutil.iter_modules(importlib.import_module(package).__path__):
        module = importlib.import_module(f"{package}.{module_info.name}")
        workflow = getattr(module, "WORKFLOW", None)
        if isinstance(workflow, Workflow):
            workflow.check()
            found.append(workflow)
    return sorted(found, key=lambda workflow: workflow.name)
