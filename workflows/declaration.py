"""What a workflow is: its name, its ASL file, and the task handler each ``${Placeholder}`` stands for.

The local runtime and the CDK app both read these declarations; nothing else lists workflows or tasks.
Both check each one against its ASL file when they load it (``Workflow.check``): the placeholders, and
for our own tasks (handlers in ``lambdas.tasks``) the policy of their ``Retry`` and ``Catch`` below.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lambdas.shared import errors

PLACEHOLDER = re.compile(r"\$\{(\w+)\}")
LAMBDA_TASKS = ("arn:aws:states:::lambda:invoke", "arn:aws:states:::lambda:invoke.waitForTaskToken")
OUR_HANDLERS = "lambdas.tasks."  # run by task_handler, on the database: the policy below is theirs

# The policy. Every task of ours retries Lambda's transient errors and the database's (Parameter
# Store's too when it reads the stage's parameters) with one retrier, the same everywhere; once its
# attempts run out the execution fails at that task, for ops to redrive. A Catch names only the
# business outcomes the task declares it raises (``Task.raises``), and ``States.Timeout`` on a state
# that sets a timeout or a heartbeat. ``States.ALL`` and ``States.TaskFailed`` are refused: they would
# catch ``DatabaseUnavailable`` too once retried, and end the execution where it should fail. Each
# declared outcome is caught: left uncaught, it would fail the execution as if something broke.
LAMBDA_TRANSIENT_ERRORS = (
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
)
RETRY_TIMING: Mapping[str, Any] = {
    "IntervalSeconds": 2,
    "MaxAttempts": 4,
    "BackoffRate": 2,
    "MaxDelaySeconds": 30,
    "JitterStrategy": "FULL",
}
CATCH_ALL = ("States.ALL", "States.TaskFailed")


class DeclarationError(ValueError):
    """A declaration that does not match its ASL file."""


@dataclass(frozen=True)
class Task:
    """A Lambda function behind a placeholder: ``handler`` is its dotted path (``lambdas.tasks.x.y``)."""

    handler: str
    timeout_seconds: int = 30
    memory_mb: int = 256
    parameters: tuple[str, ...] = ()  # the groups of the stage's parameters it reads (lambdas/shared/parameters.py)
    raises: tuple[str, ...] = ()  # the business outcomes it raises for the ASL to catch (lambdas/shared/errors.py)

    def retried(self) -> tuple[str, ...]:
        """The errors its retrier names: the database's, Parameter Store's if it reads parameters, Lambda's."""
        settings = ("SettingsUnavailable",) if self.parameters else ()
        return ("DatabaseUnavailable", *settings, *LAMBDA_TRANSIENT_ERRORS)

    def retrier(self) -> dict[str, Any]:
        """The one retrier every state calling it carries, as its ASL writes it."""
        return {"ErrorEquals": list(self.retried()), **RETRY_TIMING}


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
        """Every placeholder has a handler and every declared task is used; our tasks keep the policy."""
        used, declared = self.placeholders(), set(self.tasks)
        if used - declared:
            missing = ", ".join(f"${{{name}}}" for name in sorted(used - declared))
            raise DeclarationError(f"{self.asl_path.name}: placeholder {missing} has no task in the declaration")
        if declared - used:
            raise DeclarationError(
                f"{self.asl_path.name}: declared task {', '.join(sorted(declared - used))} is not used in the file"
            )
        if problems := self.policy_problems():
            raise DeclarationError("\n".join(f"{self.asl_path.name}: {problem}" for problem in problems))

    def policy_problems(self) -> list[str]:
        """What breaks the policy, one line per task or state (none for a workflow none of whose
        handlers is ours: the engine's test and benchmark workflows)."""
        if not any(task.handler.startswith(OUR_HANDLERS) for task in self.tasks.values()):
            return []
        problems = [problem for name, task in sorted(self.tasks.items()) for problem in _declared_errors(name, task)]
        for state_name, state, caught_outside in lambda_states(json.loads(self.asl_text()).get("States", {})):
            placeholder = _placeholder(state)
            if placeholder is None or placeholder not in self.tasks:
                problems.append(f"state {state_name}: its FunctionName must be one ${{Placeholder}} of a declared task")
                continue
            task = self.tasks[placeholder]
            found = _retry_problems(placeholder, task, state) + _catch_problems(
                placeholder, task, state, caught_outside
            )
            problems += [f"state {state_name}: {problem}" for problem in found]
        return problems

    def waiting_tasks(self) -> set[str]:
        """The placeholders of the tasks a state waits on (``.waitForTaskToken``): their functions may
        answer their own wait, when what it waits for has happened already."""
        states = lambda_states(json.loads(self.asl_text()).get("States", {}))
        return {
            placeholder
            for _, state, _ in states
            if state["Resource"].endswith(".waitForTaskToken") and (placeholder := _placeholder(state))
        }

    def function_name(self, placeholder: str) -> str:
        """``client-onboarding`` + ``FindDuplicates`` → ``client-onboarding-find-duplicates``."""
        words = re.sub(r"(?<!^)(?=[A-Z])", "-", placeholder).lower()
        return f"{self.name}-{words}"

    def definition(self, substitutions: Mapping[str, str]) -> str:
        """The ASL text with every ``${Placeholder}`` replaced, as CDK's definition substitutions do."""
        return PLACEHOLDER.sub(lambda match: substitutions[match.group(1)], self.asl_text())


def lambda_states(
    states: Mapping[str, Any], caught_outside: frozenset[str] = frozenset()
) -> Iterator[tuple[str, Mapping[str, Any], frozenset[str]]]:
    """Every state that invokes a Lambda function, by name (unique across a state machine), in Parallel
    branches and Map item processors too, with the errors their enclosing states catch: an error that
    fails a branch fails its Parallel or Map under the same name."""
    for name, state in states.items():
        if state.get("Type") == "Task" and state.get("Resource") in LAMBDA_TASKS:
            yield name, state, caught_outside
        inner = caught_outside | set(_caught(state))
        for branch in state.get("Branches", []):
            yield from lambda_states(branch.get("States", {}), inner)
        processor = state.get("ItemProcessor") or state.get("Iterator")  # Iterator: Map's former name
        if processor:
            yield from lambda_states(processor.get("States", {}), inner)


def _caught(state: Mapping[str, Any]) -> list[str]:
    return [error for catcher in state.get("Catch", []) for error in catcher.get("ErrorEquals", [])]


def _placeholder(state: Mapping[str, Any]) -> str | None:
    """The placeholder the state's FunctionName is, in JSONata's Arguments or JSONPath's Parameters."""
    arguments = state.get("Arguments") or state.get("Parameters") or {}
    function = arguments.get("FunctionName") if isinstance(arguments, Mapping) else None
    match = PLACEHOLDER.fullmatch(function) if isinstance(function, str) else None
    return match.group(1) if match else None


def _declared_errors(placeholder: str, task: Task) -> Iterator[str]:
    """A declared error is a business outcome: a ``DomainError``, which ``task_handler`` lets reach Step
    Functions under its class's name (it reports any other error as ``UnexpectedError``)."""
    for error in task.raises:
        kind = getattr(errors, error, None)
        if not (isinstance(kind, type) and issubclass(kind, errors.DomainError)):
            yield (
                f"task ${{{placeholder}}} declares it raises {error}, which is no DomainError of "
                "lambdas/shared/errors.py: no error of that name reaches Step Functions from its handler"
            )


def _retry_problems(placeholder: str, task: Task, state: Mapping[str, Any]) -> list[str]:
    """The retrier Step Functions would apply to the standard errors (the first naming one of them)
    must be the standard one: exactly its errors, exactly its timing."""
    expected = set(task.retried())
    retrier = next(
        (r for r in state.get("Retry", []) if set(r.get("ErrorEquals", [])) & (expected | set(CATCH_ALL))), None
    )
    if retrier is None:
        return [f"no retrier for DatabaseUnavailable and Lambda's transient errors: add {json.dumps(task.retrier())}"]
    problems, named = [], set(retrier["ErrorEquals"])
    for error in task.retried():
        if error not in named and error == "SettingsUnavailable":
            groups = ", ".join(task.parameters)
            problems.append(
                f"the retrier lacks SettingsUnavailable, and task ${{{placeholder}}} reads parameters ({groups})"
            )
        elif error not in named:
            problems.append(f"the retrier lacks {error}")
    for error in sorted(named - expected):
        if error == "SettingsUnavailable":
            problems.append(f"the retrier names SettingsUnavailable, and task ${{{placeholder}}} reads no parameters")
        else:
            problems.append(f"the retrier names {error}, which the standard retrier does not")
    for field in sorted((set(RETRY_TIMING) | set(retrier)) - {"ErrorEquals", "Comment"}):
        if field not in retrier:
            problems.append(f"the retrier lacks {field} (the standard is {RETRY_TIMING[field]})")
        elif field not in RETRY_TIMING:
            problems.append(f"the retrier sets {field}, which the standard retrier does not")
        elif retrier[field] != RETRY_TIMING[field]:
            problems.append(f"the retrier's {field} is {retrier[field]}, the standard is {RETRY_TIMING[field]}")
    return problems


def _catch_problems(
    placeholder: str, task: Task, state: Mapping[str, Any], caught_outside: frozenset[str]
) -> list[str]:
    """A Catch names only what the task can fail with; each declared outcome is caught, by the state
    or by a Parallel or Map around it."""
    timeouts = {"States.Timeout"} if {"TimeoutSeconds", "TimeoutSecondsPath"} & set(state) else set()
    if {"HeartbeatSeconds", "HeartbeatSecondsPath"} & set(state):
        timeouts |= {"States.Timeout", "States.HeartbeatTimeout"}
    caught = _caught(state)
    problems = []
    for error in caught:
        if error in task.raises or error in timeouts:
            continue
        if error in task.retried():
            problems.append(f"catches {error}, which is retried and then fails the execution, for ops to redrive")
        elif error in CATCH_ALL:
            problems.append(f"catches {error}, which would end an execution that DatabaseUnavailable must fail")
        elif error == "States.Timeout":
            problems.append(
                "catches States.Timeout, but sets no TimeoutSeconds or HeartbeatSeconds: it never times out"
            )
        elif error == "States.HeartbeatTimeout":
            problems.append("catches States.HeartbeatTimeout, but sets no HeartbeatSeconds")
        else:
            declared = ", ".join(task.raises) or "nothing"
            problems.append(f"catches {error}, which task ${{{placeholder}}} does not raise (it declares {declared})")
    problems += [
        f"does not catch {error}, which task ${{{placeholder}}} raises: the execution would fail on a business outcome"
        for error in task.raises
        if error not in caught and not caught_outside & {error, *CATCH_ALL}
    ]
    return problems
