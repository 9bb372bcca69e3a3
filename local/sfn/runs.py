"""The persisted state of an execution: the execution record and its runs.

A *run* is one thread of control through a graph: the top level of the state machine, one Parallel
branch or one Map iteration. It knows which state it is in, what that state is doing (its phase),
the state's input and the variables of its scope — everything needed to carry on after a restart.
"""

from __future__ import annotations

import threading
from dataclasses import MISSING, dataclass, field
from typing import Any

from local.sfn.asl import Definition, Graph, State
from local.sfn.clock import iso
from local.sfn.store import dumps

# execution statuses
RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED = "RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"
PENDING = "PENDING"  # a Map iteration (or branch) created but not started yet

# what a run's current state is doing
ENTER = "enter"  # about to enter the state (or re-enter it after a redrive)
TASK = "task"  # a Lambda invoke is running
SUBMITTING = "submitting"  # a callback task's Lambda invoke is running; the token is already valid
CALLBACK = "callback"  # waiting for SendTaskSuccess/Failure
WAITING = "waiting"  # a Wait state
RETRYING = "retrying"  # waiting before the next attempt
CHILDREN = "children"  # a Parallel or Map state waiting for its branches or iterations

ROOT = "root"


@dataclass
class Tally:
    """A Parallel or Map run's children by status, and the first that may still be pending: counted
    from the children when the run is loaded or redriven, kept up to date as they start and end, so
    that a child's end costs the same whatever the number of its siblings."""

    running: int = 0
    succeeded: int = 0
    failed: int = 0
    next_pending: int = 0


@dataclass
class Run:
    id: str
    state: str
    input: Any
    parent: str | None = None
    graph: list[list[Any]] = field(default_factory=list)  # [[state name, branch index or -1], ...]
    index: int = 0  # branch or iteration index
    status: str = RUNNING
    phase: str = ENTER
    variables: dict[str, Any] = field(default_factory=dict)
    entered_time: str = ""
    entered_event_id: int = 0
    entered_previous_id: int = 0
    last_event_id: int = 0
    attempt: int = 0  # grows with every task attempt, so late answers to old attempts are recognised
    retry_counts: list[int] = field(default_factory=list)
    retry_count: int = 0
    due: float | None = None  # Wait end, retry time, or task deadline
    heartbeat_due: float | None = None
    token: str | None = None
    task: dict[str, Any] | None = None  # the current attempt: function, deadlines, resource
    child_count: int = 0  # Parallel/Map: branches or iterations of the current attempt
    concurrency: int = 0
    redrive: bool = False  # a failed child to resume, not restart, when its turn comes
    _child_ids: tuple[tuple[int, int], list[str]] = field(default=((0, 0), []), repr=False)  # not persisted
    _input_text: str | None = field(default=None, repr=False)  # ``input`` as JSON, when the last exit wrote it
    _tally: Tally = field(default_factory=Tally, repr=False)  # Parallel/Map: its children
    tolerated_count: float | None = None
    tolerated_percentage: float | None = None
    output: Any = None
    error: str | None = None
    cause: str | None = None

    def set_input(self, value: Any, text: str | None = None) -> None:
        self.input, self._input_text = value, text

    def input_text(self) -> str:
        """``input`` as JSON: the text the previous state's exit wrote, or written now."""
        if self._input_text is None:
            self._input_text = dumps(self.input)
        return self._input_text

    def to_dict(self) -> dict[str, Any]:
        """The fields that differ from their defaults (a pending iteration is a few of them), shallow:
        the store serialises it at once. Underscored fields are caches, never stored."""
        values = self.__dict__
        return {key: values[key] for key, default in _PERSISTED if values[key] != default}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Run:
        return cls(**data)

    @property
    def tally(self) -> Tally:
        return self._tally

    def child_ids(self) -> list[str]:
        """Ids of the branches or iterations of the current Parallel/Map attempt, in order."""
        key = (self.attempt, self.child_count)
        if self._child_ids[0] != key:
            self._child_ids = (key, [f"{self.id}/{self.state}#{self.attempt}/{i}" for i in range(self.child_count)])
        return self._child_ids[1]

    def reset_state_fields(self) -> None:
        """Forget what the previous state was doing."""
        self.retry_counts, self.retry_count = [], 0
        self.due = self.heartbeat_due = None
        self.token = self.task = None
        self.child_count = 0
        self.tolerated_count = self.tolerated_percentage = None


_PERSISTED = tuple(  # (name, default); a required field's MISSING never equals a value, so it is always kept
    (name, field.default if field.default_factory is MISSING else field.default_factory())
    for name, field in Run.__dataclass_fields__.items()
    if not name.startswith("_")
)


@dataclass
class Execution:
    arn: str
    name: str
    state_machine_arn: str
    state_machine_name: str
    role_arn: str
    definition: Definition
    input: Any
    input_text: str
    start_date: float
    status: str = RUNNING
    stop_date: float | None = None
    output_text: str | None = None
    error: str | None = None
    cause: str | None = None
    redrive_count: int = 0
    redrive_date: float | None = None
    deadline: float | None = None
    next_event_id: int = 1
    runs: dict[str, Run] = field(default_factory=dict)
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)
    pending_events: list[tuple[int, float, str, int, str | None]] = field(default_factory=list, repr=False)
    pending_tokens: list[tuple[str, str, int, bool]] = field(default_factory=list, repr=False)
    dirty_runs: set[str] = field(default_factory=set, repr=False)
    record_dirty: bool = field(default=True, repr=False)
    _start_time: str | None = field(default=None, repr=False)  # status, dates, redrives: written when they change
    deleted_runs: list[str] = field(default_factory=list, repr=False)
    ready: list[Run] = field(default_factory=list, repr=False)  # runs to advance in the group being committed
    committing: bool = field(default=False, repr=False)  # a commit is under way: a nested one joins it
    inbox: list[Any] = field(default_factory=list, repr=False)  # functions' answers not yet taken in
    inbox_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    delivering: bool = field(default=False, repr=False)  # a thread is taking the inbox's answers in
    history_full: bool = field(default=False, repr=False)  # an event past the quota was due: it fails

    def record(self) -> dict[str, Any]:
        return {
            "arn": self.arn,
            "name": self.name,
            "state_machine_arn": self.state_machine_arn,
            "state_machine_name": self.state_machine_name,
            "role_arn": self.role_arn,
            "input": self.input_text,
            "start_date": self.start_date,
            "status": self.status,
            "stop_date": self.stop_date,
            "output": self.output_text,
            "error": self.error,
            "cause": self.cause,
            "redrive_count": self.redrive_count,
            "redrive_date": self.redrive_date,
            "deadline": self.deadline,
        }

    @property
    def start_time(self) -> str:
        if self._start_time is None:
            self._start_time = iso(self.start_date)
        return self._start_time

    def graph_of(self, run: Run) -> Graph:
        graph = self.definition.graph
        for state_name, branch in run.graph:
            graph = graph.states[state_name].graphs()[max(branch, 0)]
        return graph

    def state_of(self, run: Run) -> State:
        return self.graph_of(run).states[run.state]

    def close_token(self, run: Run) -> None:
        """The run's task token, if any, answers no more."""
        if run.token:
            self.pending_tokens.append((run.token, run.id, run.attempt, False))
            run.token = None

    def variables_of(self, run: Run) -> dict[str, Any]:
        """Variables in scope: the run's own over its enclosing scopes'."""
        if run.parent is None:
            return run.variables
        return {**self.variables_of(self.runs[run.parent]), **run.variables}

    def children(self, parent: Run) -> list[Run]:
        return [self.runs[child_id] for child_id in parent.child_ids()]

    def count_children(self, parent: Run) -> None:
        statuses = [child.status for child in self.children(parent)]
        parent.tally.running, parent.tally.succeeded = statuses.count(RUNNING), statuses.count(SUCCEEDED)
        parent.tally.failed = statuses.count(FAILED)
        parent.tally.next_pending = statuses.index(PENDING) if PENDING in statuses else len(statuses)

    def touch(self, run: Run) -> None:
        self.dirty_runs.add(run.id)
