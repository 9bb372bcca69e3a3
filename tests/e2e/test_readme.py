"""The README's walk-through, run as a newcomer runs it: every command of its sections in order, in one
shell, against ``python -m local serve`` as ``make dev`` starts it (on free ports, with a state
directory of its own), and every answer it shows compared with what comes back (``tests/e2e/readme.py``
says how the README is read). A read whose answer does not match yet is asked again for a while, as a
person reading more slowly than the workflows run would see it; anything else runs once."""

from __future__ import annotations

import os
import queue
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import REPO_ROOT, LocalRuntime, start_runtime, stop_runtime
from tests.e2e.readme import Answers, Command, commands, last_json

pytestmark = pytest.mark.e2e

WALK_THROUGH = (
    "A walk-through: onboarding a client",
    "Sites and stations (the queue's ground)",
    "The clinic-day queue",
    "Orders: from a prescription to glasses",
    "Erasing a client",
    "Ops runbook: a failed execution",
)
PATIENCE_SECONDS = 30  # how long a read may be asked again before its answer counts as wrong


class Shell:
    """One bash, as a terminal: variables set by a command stay for the next ones."""

    def __init__(self, cwd: Path, environment: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            ["bash", "--noprofile", "--norc"],
            cwd=cwd,
            env=environment,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line)

    def run(self, command: str, timeout: float = 180) -> tuple[int, str]:
        marker = f"__done_{uuid.uuid4().hex}__"
        assert self.process.stdin is not None
        self.process.stdin.write(f"{command}\nprintf '\\n{marker} %s\\n' $?\n")
        self.process.stdin.flush()
        printed: list[str] = []
        deadline = time.monotonic() + timeout
        while True:
            line = self.lines.get(timeout=max(0.1, deadline - time.monotonic()))
            if line.startswith(marker):
                return int(line.split()[1]), "".join(printed)
            printed.append(line)

    def close(self) -> None:
        self.process.kill()
        self.process.wait()


@pytest.fixture(scope="module")
def runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalRuntime]:
    state_dir = tmp_path_factory.mktemp("readme")
    started = start_runtime(state_dir, state_dir / "runtime.log")
    yield started
    stop_runtime(started)


def _on(runtime: LocalRuntime, command: str) -> str:
    """The command as typed, pointed at this runtime instead of the default ports."""
    api, sfn = runtime.api_url.removeprefix("http://"), runtime.sfn_url.removeprefix("http://")
    for default, actual in (("localhost:3000", api), ("127.0.0.1:3000", api), ("127.0.0.1:8083", sfn)):
        command = command.replace(default, actual)
    return command


def test_every_command_of_the_walk_through_answers_what_the_readme_shows(runtime: LocalRuntime) -> None:
    steps = commands((REPO_ROOT / "README.md").read_text(encoding="utf-8"), WALK_THROUGH)
    assert {step.section for step in steps} == set(WALK_THROUGH), "a walk-through section lost its commands"
    environment = {
        **{name: value for name, value in os.environ.items() if not name.startswith(("AWS_", "DATABASE_URL"))},
        "LOCAL_STATE_DIR": str(runtime.state_dir),
        "LOCAL_API_PORT": runtime.api_url.rsplit(":", 1)[1],
        "LOCAL_SFN_PORT": runtime.sfn_url.rsplit(":", 1)[1],
    }
    shell, answers, previous = Shell(REPO_ROOT, environment), Answers(), ""
    try:
        for step in steps:
            previous = _run(shell, runtime, step, answers, previous)
    finally:
        shell.close()


def _run(shell: Shell, runtime: LocalRuntime, step: Command, answers: Answers, previous: str) -> str:
    """Run one step as the reader would; what it printed."""
    if step.copies:
        name, field = step.copies
        value = last_json(previous).get(field)
        assert value, f"README line {step.line}: no {field} in the answer above to copy into {name}:\n{previous}"
        shell.run(f"{name}={value}")
        return previous
    deadline = time.monotonic() + PATIENCE_SECONDS
    while True:
        status, printed = shell.run(_on(runtime, step.text))
        missing = answers.find(step.shown, printed) if status == 0 else "(the command failed)"
        if missing is None:
            return printed
        if not step.reads or time.monotonic() > deadline:
            pytest.fail(
                f"README line {step.line} ({step.section}):\n{step.text}\nshows\n  {missing}\n"
                f"but printed (exit {status}):\n{printed}",
                pytrace=False,
            )
        time.sleep(0.5)
