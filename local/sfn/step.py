"""One state of one run of one execution: what evaluating, leaving or failing that state needs.

The state types (``local/sfn/states``) and the query languages (``local/sfn/languages``) work on a
``Step``; it reaches the engine only for what outlives the state: timers, the runs made ready to go
on, a child's end told to its parent, an execution's end.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from local.sfn import history
from local.sfn.asl import State
from local.sfn.clock import iso
from local.sfn.errors import StatesError
from local.sfn.expressions import QUERY_EVALUATION_ERROR, Bindings, QueryEvaluationFailed, Template
from local.sfn.paths import Scope
from local.sfn.runs import Execution, Run
from local.sfn.store import dumps

if TYPE_CHECKING:
    from local.sfn.engine import Engine
    from local.sfn.languages import QueryLanguage


class StateFailure(StatesError):
    """A state failed; ``previous`` is the event the failure follows in the history."""

    def __init__(self, error: str | None, cause: str | None, previous: int | None = None) -> None:
        super().__init__(error, cause)
        self.previous = previous


@dataclass
class Step:
    engine: Engine
    execution: Execution
    run: Run
    state: State

    @classmethod
    def of(cls, engine: Engine, execution: Execution, run: Run) -> Step:
        return cls(engine, execution, run, execution.state_of(run))

    @property
    def language(self) -> QueryLanguage:
        return languages.language_of(self.state)

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


from local.sfn import languages  # noqa: E402 - the languages work on steps: imported once Step exists
