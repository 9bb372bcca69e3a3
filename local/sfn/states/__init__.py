"""What each state type does when it is entered, one module per family of states."""

from __future__ import annotations

from collections.abc import Callable

from local.sfn.functions import Invocation
from local.sfn.states import fan_out, flow, task
from local.sfn.step import Step

BEGIN: dict[str, Callable[[Step], Invocation | None]] = {
    "Task": task.start,  # the invocation to make
    "Pass": flow.pass_,
    "Choice": flow.choose,
    "Wait": flow.wait,
    "Succeed": flow.succeed,
    "Fail": flow.fail,
    "Parallel": fan_out.start,
    "Map": fan_out.start,
}
