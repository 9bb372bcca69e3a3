"""The local runtime's stand-in for SNS and SES: the dispatcher function runs here on a schedule and
delivers to a mailbox directory in the state directory, which ``python -m local outbox`` prints."""

from __future__ import annotations

import threading
from datetime import datetime
from pathlib import Path

from local.sfn.lambda_context import LambdaContext

EVERY_SECONDS = 2.0  # EventBridge Scheduler runs it every minute in AWS; here a walk-through sees it at once


def mailbox_directory(state_dir: Path) -> Path:
    return state_dir / "mailbox"


class ScheduledDispatcher:
    """Invokes the dispatcher function every ``every`` seconds until stopped, as the schedule does."""

    def __init__(self, every: float = EVERY_SECONDS) -> None:
        self.every, self._stop = every, threading.Event()
        self._thread = threading.Thread(target=self._run, name="dispatcher", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def _run(self) -> None:
        from lambdas.dispatcher.handler import handler

        while not self._stop.wait(self.every):
            try:
                handler({}, LambdaContext("dispatcher", timeout_seconds=300))
            except Exception:  # noqa: S112 - a failed scheduled run: the function logged it, the next one retries
                continue


def print_outbox(state_dir: Path) -> int:
    """The letters delivered so far, oldest first."""
    from lambdas.shared.notify.senders import read_mailbox

    directory = mailbox_directory(state_dir)
    letters = read_mailbox(directory) if directory.is_dir() else []
    if not letters:
        print(f"the mailbox is empty ({directory})")
    for letter in letters:
        about = f"[{letter['message']}, {letter['language']}]"
        sent_at = datetime.fromisoformat(letter["sent_at"]).isoformat(timespec="seconds")
        print(f"{sent_at}  {letter['channel']:<5} to {letter['to']}  {about}")
        if letter["channel"] == "email":
            print(f"  subject: {letter['subject']}")
        print(f"  {letter['text']}")
    return 0
