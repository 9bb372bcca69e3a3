"""The engine as a state sees it: what outlives one state. The states (``local/sfn/states``),
``outcomes`` and the query languages reach it through ``Step.engine`` and import nothing above this
module; ``interpreter.Interpreter`` implements it."""

from __future__ import annotations

import random
from typing import Protocol

from local.sfn.clock import Clock
from local.sfn.functions import FunctionRegistry
from local.sfn.runs import Execution, Run
from local.sfn.timers import Timer


class EngineInterface(Protocol):
    @property
    def clock(self) -> Clock: ...

    @property
    def rng(self) -> random.Random:
        """The retry jitter's."""

    @property
    def functions(self) -> FunctionRegistry: ...

    def schedule(self, due: float, timer: Timer) -> None:
        """``timer`` fires once the clock reaches ``due`` (a Wait's end, a retry, a timeout)."""

    def request_id(self) -> str:
        """A new Lambda request id."""

    def run_finished(self, execution: Execution, run: Run) -> None:
        """``run`` ended: a branch or iteration tells its parent, the top level ends the execution."""

    def abort_run(self, execution: Execution, run: Run) -> None:
        """``run`` and the runs under it stop where they are."""

    def redrive_run(self, execution: Execution, run: Run) -> None:
        """``run`` starts again where it failed (a redriven execution's failed branch or iteration)."""
