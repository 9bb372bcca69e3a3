"""The two query languages behind one interface: for each field a state reads, "evaluate it for this
step". JSONata states evaluate ``Arguments``, ``Output``, ``Assign`` and typed fields; JSONPath states
carry their data through ``InputPath`` → ``Parameters`` → ``ResultSelector`` → ``ResultPath`` →
``OutputPath`` and read ``…Path`` fields. The state types never ask which language they speak."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from local.sfn.asl import Catcher, State

if TYPE_CHECKING:
    from local.sfn.step import Step

Leaving = tuple[Any, dict[str, Any]]  # a state's output, and the variables it assigns


class QueryLanguage(Protocol):
    def task_request(self, step: Step, token: str | None) -> tuple[Any, float | None, float | None]:
        """A Task's Invoke request (FunctionName checked), its TimeoutSeconds and HeartbeatSeconds."""

    def branch_input(self, step: Step) -> Any:
        """What each of a Parallel's branches gets."""

    def map_items(self, step: Step) -> list[Any]:
        """A Map's items: an array, or the state fails."""

    def map_limits(self, step: Step) -> tuple[float | None, float | None, float | None]:
        """A Map's MaxConcurrency, ToleratedFailureCount and ToleratedFailurePercentage."""

    def iteration_input(self, step: Step, index: int, item: Any) -> Any:
        """What one Map iteration gets (ItemSelector)."""

    def wait_until(self, step: Step) -> float:
        """When a Wait ends, in the clock's seconds."""

    def failure(self, step: Step) -> tuple[str | None, str | None]:
        """A Fail state's Error and Cause."""

    def choose(self, step: Step) -> tuple[str, Any, dict[str, Any]] | None:
        """The first Choice rule that matches: its Next, the output, the variables; None if none does."""

    def leave_plain(self, step: Step) -> Leaving:
        """Leaving a state with no result of its own (Pass, Wait, Succeed, a Choice's default)."""

    def leave_with_result(self, step: Step, result: Any) -> Leaving:
        """Leaving a Task, Parallel or Map with its result."""

    def leave_caught(self, step: Step, catcher: Catcher, error_output: dict[str, Any]) -> Leaving:
        """Leaving through a Catcher with the error output."""


def language_of(state: State) -> QueryLanguage:
    return JSONATA if state.jsonpath is None else JSONPATH


from local.sfn.languages.jsonata import JSONATA  # noqa: E402 - they implement what is declared above
from local.sfn.languages.jsonpath import JSONPATH  # noqa: E402
