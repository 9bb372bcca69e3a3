"""SQLite persistence of state machines, executions, their runs, history events and task tokens.

The engine writes what an execution did between two points the outside can see as one transaction
(``Changes``), so a restart (even after ``kill -9``) resumes exactly where the last commit left it.
WAL with ``synchronous=NORMAL`` keeps commits cheap and survives a process crash.
"""

from __future__ import annotations

import fcntl
import json
import math
import os
import sqlite3
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from local.sfn.files import make_private_file

SCHEMA = """
CREATE TABLE IF NOT EXISTS state_machines (
    arn TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    definition TEXT NOT NULL,
    role_arn TEXT NOT NULL,
    created REAL NOT NULL,
    source TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS executions (
    arn TEXT PRIMARY KEY,
    state_machine_arn TEXT NOT NULL,
    name TEXT NOT NULL,
    status TEXT NOT NULL,
    start_date REAL NOT NULL,
    stop_date REAL,
    redrive_count INTEGER NOT NULL DEFAULT 0,
    definition TEXT NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS executions_by_machine ON executions (state_machine_arn, start_date);
CREATE INDEX IF NOT EXISTS executions_by_status ON executions (status);
CREATE TABLE IF NOT EXISTS runs (
    execution_arn TEXT NOT NULL,
    run_id TEXT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (execution_arn, run_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS events (
    execution_arn TEXT NOT NULL,
    id INTEGER NOT NULL,
    timestamp REAL NOT NULL,
    type TEXT NOT NULL,
    previous_event_id INTEGER NOT NULL,
    details TEXT,
    PRIMARY KEY (execution_arn, id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS tokens (
    token TEXT PRIMARY KEY,
    execution_arn TEXT NOT NULL,
    run_id TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    open INTEGER NOT NULL
) WITHOUT ROWID;
"""


_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)


def dumps(value: Any) -> str:
    """Compact JSON text, as AWS writes payloads into history events."""
    return _ENCODER.encode(value)


def loads(text: str) -> Any:
    """The value of a JSON text the store can keep and give back, else ValueError with a reason fit for
    an API error: not JSON, nested too deeply, an integer longer than Python reads (4300 digits), or an
    unpaired surrogate escape ("\\ud800"), which parses but is not text."""
    try:
        value = json.loads(text, parse_constant=_not_json, parse_float=_finite, parse_int=_finite_int)
        dumps(value).encode()
    except json.JSONDecodeError:
        raise
    except RecursionError as error:
        raise ValueError("nested too deeply") from error
    except UnicodeEncodeError as error:
        raise ValueError("an unpaired surrogate escape is not text") from error
    except _NotJson:
        raise
    except ValueError as error:
        raise ValueError("a number too long to read") from error
    return value


class _NotJson(ValueError):
    """A value Python's parser reads but JSON (a double for every number) does not hold."""


def _not_json(constant: str) -> Any:
    raise _NotJson(f"{constant} is not JSON")


def _finite_int(text: str) -> int:
    number = int(text)
    if abs(number) > sys.float_info.max:
        raise _NotJson(f"the number {text[:20]} is beyond a double's range")
    return number


def _finite(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise _NotJson(f"the number {text[:20]} is beyond a double's range")
    return number


@dataclass(frozen=True)
class StoredEvent:
    id: int
    timestamp: float
    type: str
    previous_event_id: int
    details_key: str | None
    details: dict[str, Any] | None


@dataclass
class Changes:
    """What a group of transitions changed, written in one transaction."""

    execution: dict[str, Any] | None = None
    definition: str | None = None  # written with the first transition only: it never changes
    events: list[tuple[int, float, str, int, str | None]] | None = None
    runs: dict[str, dict[str, Any]] | None = None
    deleted_runs: list[str] | None = None
    tokens: list[tuple[str, str, int, bool]] | None = None  # token, run id, attempt, open


class StoreInUse(Exception):
    """Another engine has the store open: both would run the same executions."""


class Store:
    def __init__(self, path: Path | str) -> None:
        self._claim: int | None = None
        if str(path) != ":memory:":
            make_private_file(Path(path))  # 0600 before SQLite writes a byte, its -wal and -shm alike
            self._claim = _claim(Path(path))
        self._lock = threading.Lock()
        try:
            self._connection = _open(path)
        except BaseException:  # not a store after all (a damaged file, a directory): nobody holds it
            self.release()
            raise

    def close(self) -> None:
        with self._lock:
            self._connection.close()
        self.release()

    def release(self) -> None:
        """Let another engine open the store, as this process ending would."""
        if self._claim is not None:
            os.close(self._claim)  # the lock goes with the descriptor
            self._claim = None

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._connection.execute("BEGIN IMMEDIATE")
            try:
                yield self._connection
            except BaseException:
                self._connection.execute("ROLLBACK")
                raise
            self._connection.execute("COMMIT")

    def _query(self, sql: str, parameters: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._connection.execute(sql, parameters).fetchall()

    # --- state machines -----------------------------------------------------------------------------

    def put_state_machine(
        self, arn: str, name: str, definition: str, role_arn: str, created: float, source: str
    ) -> None:
        with self._transaction() as db:
            db.execute(
                "INSERT INTO state_machines VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(arn) DO UPDATE SET "
                "definition = excluded.definition, role_arn = excluded.role_arn, source = excluded.source",
                (arn, name, definition, role_arn, created, source),
            )

    def state_machine(self, arn: str) -> dict[str, Any] | None:
        rows = self._query("SELECT arn, name, definition, role_arn, created, source FROM state_machines WHERE arn = ?",
                           (arn,))  # fmt: skip
        return _machine(rows[0]) if rows else None

    def state_machines(self) -> list[dict[str, Any]]:
        rows = self._query("SELECT arn, name, definition, role_arn, created, source FROM state_machines ORDER BY name")
        return [_machine(row) for row in rows]

    def delete_state_machine(self, arn: str) -> None:
        with self._transaction() as db:
            db.execute("DELETE FROM state_machines WHERE arn = ?", (arn,))

    # --- executions -----------------------------------------------------------------------------------

    def apply(self, execution_arn: str, changes: Changes) -> None:
        """Write one transition atomically."""
        with self._transaction() as db:
            if changes.execution is not None:
                row = changes.execution
                db.execute(
                    "INSERT INTO executions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(arn) DO UPDATE SET "
                    "status = excluded.status, stop_date = excluded.stop_date, "
                    "redrive_count = excluded.redrive_count, data = excluded.data",
                    (
                        execution_arn,
                        row["state_machine_arn"],
                        row["name"],
                        row["status"],
                        row["start_date"],
                        row.get("stop_date"),
                        row.get("redrive_count", 0),
                        changes.definition or "",
                        dumps(row),
                    ),
                )
            if changes.events:
                db.executemany(
                    "INSERT INTO events VALUES (?, ?, ?, ?, ?, ?)",
                    [(execution_arn, *event) for event in changes.events],
                )
            if changes.runs:
                db.executemany(
                    "INSERT OR REPLACE INTO runs VALUES (?, ?, ?)",
                    [(execution_arn, run_id, dumps(data)) for run_id, data in changes.runs.items()],
                )
            if changes.deleted_runs:
                db.executemany(
                    "DELETE FROM runs WHERE execution_arn = ? AND run_id = ?",
                    [(execution_arn, run_id) for run_id in changes.deleted_runs],
                )
            if changes.tokens:
                db.executemany(
                    "INSERT OR REPLACE INTO tokens VALUES (?, ?, ?, ?, ?)",
                    [(token, execution_arn, run_id, attempt, int(is_open))
                     for token, run_id, attempt, is_open in changes.tokens],
                )  # fmt: skip

    def execution(self, arn: str) -> dict[str, Any] | None:
        """The execution's record, with the definition it runs (kept for redrives) and the id its
        next history event takes."""
        rows = self._query(f"{_EXECUTION_SELECT} WHERE e.arn = ?", (arn,))
        return _execution(rows[0]) if rows else None

    def executions(
        self, state_machine_arn: str, status: str | None, redriven: bool | None, offset: int, limit: int
    ) -> list[dict[str, Any]]:
        sql = "SELECT data FROM executions WHERE state_machine_arn = ?"
        parameters: list[Any] = [state_machine_arn]
        if status:
            sql += " AND status = ?"
            parameters.append(status)
        if redriven is not None:
            sql += " AND redrive_count > 0" if redriven else " AND redrive_count = 0"
        sql += " ORDER BY start_date DESC, arn LIMIT ? OFFSET ?"
        parameters += [limit, offset]
        return [json.loads(row[0]) for row in self._query(sql, tuple(parameters))]

    def running_executions(self) -> list[tuple[dict[str, Any], dict[str, dict[str, Any]]]]:
        """Executions to resume after a restart, each with its runs."""
        result = []
        for row in self._query(f"{_EXECUTION_SELECT} WHERE e.status = 'RUNNING'"):
            execution = _execution(row)
            runs = {
                run_id: json.loads(run)
                for run_id, run in self._query(
                    "SELECT run_id, data FROM runs WHERE execution_arn = ?", (execution["arn"],)
                )
            }
            result.append((execution, runs))
        return result

    def runs(self, execution_arn: str) -> dict[str, dict[str, Any]]:
        rows = self._query("SELECT run_id, data FROM runs WHERE execution_arn = ?", (execution_arn,))
        return {run_id: json.loads(data) for run_id, data in rows}

    def events(self, execution_arn: str, offset: int, limit: int, reverse: bool) -> list[StoredEvent]:
        order = "DESC" if reverse else "ASC"
        rows = self._query(
            f"SELECT id, timestamp, type, previous_event_id, details FROM events WHERE execution_arn = ? "  # noqa: S608
            f"ORDER BY id {order} LIMIT ? OFFSET ?",
            (execution_arn, limit, offset),
        )
        result = []
        for event_id, timestamp, event_type, previous, details in rows:
            key, body = json.loads(details) if details else (None, None)
            result.append(StoredEvent(event_id, timestamp, event_type, previous, key, body))
        return result

    def token(self, token: str) -> tuple[str, str, int, bool] | None:
        rows = self._query("SELECT execution_arn, run_id, attempt, open FROM tokens WHERE token = ?", (token,))
        return (rows[0][0], rows[0][1], rows[0][2], bool(rows[0][3])) if rows else None


_EXECUTION_SELECT = (
    "SELECT e.data, e.definition, (SELECT MAX(id) FROM events WHERE execution_arn = e.arn) FROM executions e"
)


def _execution(row: tuple[Any, ...]) -> dict[str, Any]:
    data, definition, last_event_id = row
    return {**json.loads(data), "definition": definition, "next_event_id": (last_event_id or 0) + 1}


def _machine(row: tuple[Any, ...]) -> dict[str, Any]:
    arn, name, definition, role_arn, created, source = row
    return {"arn": arn, "name": name, "definition": definition, "role_arn": role_arn, "created": created,
            "source": source}  # fmt: skip


def _open(path: Path | str) -> sqlite3.Connection:
    connection = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
    try:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
        connection.executescript(SCHEMA)
    except BaseException:
        connection.close()
        raise
    return connection


def _claim(path: Path) -> int:
    """An exclusive lock on the database file for as long as the store is open (the kernel drops it
    when the process ends, even by ``kill -9``). SQLite's own locks are another kind: they do not see it."""
    descriptor = os.open(path, os.O_RDONLY)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(descriptor)
        raise StoreInUse(f"{path} is in use by another local Step Functions engine (another `make dev`?)") from None
    return descriptor
