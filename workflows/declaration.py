"""What a workflow is: its name, its ASL file, and the task handler each ``${Placeholder}`` stands for.

The local runtime and the CDK app both read these declarations; nothing else lists workflows or tasks.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

PLACEHOLDER = re.compile(r"\$\{(\w+)\}")


class DeclarationError(ValueError):
    """A declaration that does not match its ASL file."""


@dataclass(frozen=True)
class Task:
    """A Lambda function behind a placeholder: ``handler`` is its dotted path (``lambdas.tasks.x.y``)."""

    handler: str
    timeout_seconds: int = 30
    memory_mb: int = 256
    parameters: tuple[str, ...] = ()  # the groups of the stage's parameters it reads (lambdas/shared/parameters.py)


@dataclass(frozen=True)
class Workflow:
    name: str  # the state machine's name, and the prefix of its functions' names
    entity: str  # what one execution is about: ``client`` → executions ``client-<id>``
    asl_path: Path
    tasks: Mapping[str, Task]

    def execution_name(self, entity_id: str) -> str:
        """Executions are findable by their entity's id: ``client-4f0c…``."""
        return f"{self.entity}-{entity_id}"

    @property
    def actor(self) -> str:
        """Who the audit trail says made the changes its tasks make."""
        return f"workflow:{self.name}"

    def asl_text(self) -> str:
        return self.asl_path.read_text(encoding="utf-8")

    def placeholders(self) -> set[str]:
        return set(PLACEHOLDER.findall(self.asl_text()))

    def check(self) -> None:
        """Every placeholder has a handler and every declared task is used."""
        used, declared = self.placeholders(), set(self.tasks)
        if used - declared:
            missing = ", ".join(f"${{{name}}}" for name in sorted(used - declared))
            raise DeclarationError(f"{self.asl_path.name}: placeholder {missing} has no task in the declaration")
        if declared - used:
            raise DeclarationError(
                f"{self.asl_path.name}: declared task {', '.join(sorted(declared - used))} is not used in the file"
            )

    def function_name(self, placeholder: str) -> str:
        """``client-onboarding`` + ``FindDuplicates`` → ``client-onboarding-find-duplicates``."""
        words = re.sub(r"(?<!^)(?=[A-Z])", "-", placeholder).lower()
        return f"{self.name}-{words}"

    def definition(self, substitutions: Mapping[str, str]) -> str:
        """The ASL text with every ``${Placeholder}`` replaced, as CDK's definition substitutions do."""
        return PLACEHOLDER.sub(lambda match: substitutions[match.group(1)], self.asl_text())
