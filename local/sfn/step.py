"""One state of one run of one execution: what evaluating, leaving or failing that state needs.

The state types (``local/sfn/states``) and the query languages (``local/sfn/languages``) work on a
``Step``; it reaches the engine only for what outlives the state (``interface.EngineInterface``), and
the state's fields through its query language (``QueryLanguage``, below), whichever it is.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from local.sfn import history
from local.sfn.asl import Catcher, State
from local.sfn.clock import iso
from local.sfn.errors import StatesError
from local.sfn.expressions import QUERY_EVALUATION_ERROR, Bindings, QueryEvaluationFailed, Template
from local.sfn.interface import EngineInterface
from local.sfn.paths import Scope
from local.sfn.runs import Execution, Run
from local.sfn.store import dumps

Leaving = tuple[Any, dict[str, Any]]  # a state's output, and the variables it assigns


class StateFailure(StatesError):
    """A state failed; ``previous`` is the event the failure follows in the history."""

    def __init__(self, error: str | None, cause: str | None, previous: int | None = None) -> None:
        super().__init__(error, cause)
        self.previous = previous


@dataclass
class Step:
    engine: EngineInterface
    execution: Execution
    run: Run
    state: State
    language: QueryLanguage  # the state's

    def now(self) -> float:
        return self.engine.clock.now()

    def emit(
        self,
        event_type: str,
        details_key: str | None = None,
        details: dict[str, Any] | None = None,
        previous: int | None = None,
    ) -> int:
        """A history event of this state's run."""
        return history.emit(self.execution, self.run, self.now(), event_type, details_key, details, previous)

    # --- what expressions and paths read --------------------------------------------------------------

    def context(self, **extra: Any) -> dict[str, Any]:
        """The context object (``$states.context``, ``$$``)."""
        execution, run = self.execution, self.run
        context: dict[str, Any] = {
            "Execution": {
                "Id": execution.arn,
                "Input": execution.input,
                "Name": execution.name,
                "RoleArn": execution.role_arn,
                "StartTime": execution.start_time,
                "RedriveCount": execution.redrive_count,
            },
            "State": {"EnteredTime": run.entered_time, "Name": self.state.name},
            "StateMachine": {"Id": execution.state_machine_arn, "Name": execution.state_machine_name},
        }
        if execution.redrive_date is not None:
            context["Execution"]["RedriveTime"] = iso(execution.redrive_date)
        if self.state.type != "Pass":
            context["State"]["RetryCount"] = run.retry_count
        context.update(extra)
        return context

    def variables(self) -> dict[str, Any]:
        """Variables in scope: the run's own over its enclosing scopes'."""
        return self.execution.variables_of(self.run)

    def bindings(self, **members: Any) -> Bindings:
        context = members.pop("context", None) or self.context()
        return Bindings({"input": self.run.input, "context": context, **members}, self.variables())

    def scoped(self, **context: Any) -> Callable[[Any], Scope]:
        """Scopes over some data with the state's context object and the variables in scope (JSONPath)."""
        whole, variables = self.context(**context), self.variables()
        return lambda data: Scope(data, whole, variables)

    def evaluate(self, template: Template, bindings: Bindings) -> Any:
        try:
            return template.evaluate(bindings)
        except QueryEvaluationFailed as failure:
            raise self.evaluation_failed(failure.location, failure.detail) from None

    def typed_number(self, template: Template | None, name: str, minimum: float) -> float | None:
        """A typed field (TimeoutSeconds, Seconds, ...): a number of at least ``minimum``."""
        if template is None:
            return None
        value = self.evaluate(template, self.bindings())
        if isinstance(value, bool) or not isinstance(value, int | float) or value < minimum:
            detail = f"The field '{name}' must be a number of at least {minimum}: {dumps(value)}"
            raise self.evaluation_failed(name, detail)
        return value

    # --- failures -------------------------------------------------------------------------------------

    def evaluation_failed(self, location: str | None, detail: str) -> StateFailure:
        """An ``EvaluationFailed`` event, then the state fails with States.QueryEvaluationError."""
        cause = self._cause(detail)
        details = {"error": QUERY_EVALUATION_ERROR, "cause": cause, "state": self.state.name}
        if location:
            details["location"] = location
        previous = self.emit(
            "EvaluationFailed", "evaluationFailedEventDetails", details, previous=self.run.entered_previous_id
        )
        return StateFailure(QUERY_EVALUATION_ERROR, cause, previous)

    def failed(self, error: StatesError) -> StateFailure:
        """A field's failure (a JSONPath path, a Runtime error), its cause prefixed as AWS prefixes it."""
        if isinstance(error, StateFailure):
            return error
        return StateFailure(error.error, self._cause(f"{error.cause}"))

    def _cause(self, detail: str) -> str:
        return (
            f"An error occurred while executing the state '{self.state.name}' (entered at the event id "
            f"#{self.run.entered_event_id}). {detail}"
        )


class QueryLanguage(Protocol):
    """For each field a state reads, "evaluate it for this step": the state types never ask which
    language their state speaks (``local/sfn/languages`` has both)."""

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
