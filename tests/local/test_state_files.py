"""The state directory is 0700, its databases and keys 0600 from the moment they exist, whatever the umask;
`make reset` deletes it, once told yes."""

from __future__ import annotations

import os
import stat
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from local import engine_host
from local.__main__ import prepare_state, sqlite_file
from local.config import REPO_ROOT
from local.sfn.store import Store
from local.tokens import KeyPair, issue_token, verify_token


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def permissive_umask() -> Iterator[None]:
    """Umask 0: a file created with the default mode would be world-readable, so a wrong one shows."""
    previous = os.umask(0)
    try:
        yield
    finally:
        os.umask(previous)


@pytest.fixture
def creations(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int, int]]:
    """Every file this process creates through os.open (path, flags, mode); chmod is refused meanwhile:
    a file created wide and narrowed afterwards could be opened by someone else in between."""
    calls: list[tuple[str, int, int]] = []
    real_open = os.open

    def recording_open(path: Any, flags: int, mode: int = 0o777, *args: Any, **kwargs: Any) -> int:
        if flags & os.O_CREAT:
            calls.append((str(path), flags, mode))
        return real_open(path, flags, mode, *args, **kwargs)

    def refused_chmod(path: Any, *args: Any, **kwargs: Any) -> None:
        raise AssertionError(f"chmod {path}: the file was created with the wrong mode")

    monkeypatch.setattr(os, "open", recording_open)
    monkeypatch.setattr(os, "chmod", refused_chmod)
    return calls


def _created_exclusively_and_private(calls: list[tuple[str, int, int]], directory: Path) -> list[str]:
    """The creations under ``directory`` that could have opened an existing file or made a readable one."""
    return [
        f"{path} flags={flags:o} mode={mode:o}"
        for path, flags, mode in calls
        if path.startswith(str(directory)) and (not flags & os.O_EXCL or mode != 0o600)
    ]


def test_the_state_directory_and_database_are_private_from_creation(
    tmp_path: Path, permissive_umask: None, creations: list[tuple[str, int, int]]
) -> None:
    # Given no state directory yet
    state_dir = tmp_path / "fresh" / ".local"
    # When the runtime prepares it
    warnings = prepare_state(state_dir, f"sqlite:///{state_dir / 'fondation.db'}")
    # Then the directory is 0700 and the database file exists, empty, 0600, created exclusively
    assert warnings == []
    assert _mode(state_dir) == 0o700
    assert _mode(state_dir / "fondation.db") == 0o600
    assert [path for path, _, _ in creations] == [str(state_dir / "fondation.db")]
    assert _created_exclusively_and_private(creations, state_dir) == []


def test_the_signing_keys_are_private_from_creation(
    tmp_path: Path, permissive_umask: None, creations: list[tuple[str, int, int]]
) -> None:
    keys = KeyPair.load_or_create(tmp_path / "keys")
    assert _mode(tmp_path / "keys") == 0o700
    assert _mode(tmp_path / "keys" / "token-signing.pem") == 0o600
    assert _mode(tmp_path / "keys" / "token-signing.pub.pem") == 0o600
    assert len(creations) == 2
    assert _created_exclusively_and_private(creations, tmp_path / "keys") == []
    assert sorted(path.name for path in (tmp_path / "keys").iterdir()) == ["token-signing.pem", "token-signing.pub.pem"]
    assert verify_token(keys, issue_token(keys, ["ops"], "x"))["cognito:username"] == "x"


def test_the_step_functions_database_and_its_wal_are_private(tmp_path: Path, permissive_umask: None) -> None:
    # When the runtime builds its engine in a fresh directory and writes to its database
    service = engine_host.build(tmp_path / "state", workflows=[])
    service.store.put_state_machine("arn", "name", "{}", "role", 0.0, "test")
    # Then the directory and every file SQLite made (database, -wal, -shm) are private
    try:
        files = sorted(path.name for path in (tmp_path / "state").iterdir())
        assert files == ["stepfunctions.db", "stepfunctions.db-shm", "stepfunctions.db-wal"]
        assert _mode(tmp_path / "state") == 0o700
        assert {name: _mode(tmp_path / "state" / name) for name in files} == dict.fromkeys(files, 0o600)
    finally:
        service.store.close()


def test_files_an_older_version_left_readable_are_closed(tmp_path: Path) -> None:
    database = tmp_path / "stepfunctions.db"
    database.touch()
    database.chmod(0o644)
    (tmp_path / "keys").mkdir()
    KeyPair.load_or_create(tmp_path / "keys")
    (tmp_path / "keys" / "token-signing.pub.pem").chmod(0o644)
    Store(database).close()
    KeyPair.load_or_create(tmp_path / "keys")
    assert _mode(database) == 0o600
    assert _mode(tmp_path / "keys" / "token-signing.pub.pem") == 0o600


def test_a_shared_state_directory_is_reported_not_changed(tmp_path: Path) -> None:
    # Given LOCAL_STATE_DIR points at a directory other users may enter (it could be /tmp)
    tmp_path.chmod(0o755)
    # Then the runtime says so, and leaves the directory's mode alone
    warnings = prepare_state(tmp_path, f"sqlite:///{tmp_path / 'fondation.db'}")
    assert len(warnings) == 1
    assert f"chmod 700 {tmp_path}" in warnings[0]
    assert _mode(tmp_path) == 0o755
    assert _mode(tmp_path / "fondation.db") == 0o600


def test_processes_creating_the_keys_at_once_agree_on_one_pair(tmp_path: Path) -> None:
    # When several callers (make dev and `python -m local token`, say) create the keys at the same moment
    start = threading.Barrier(6, timeout=30)
    pairs: list[KeyPair] = []

    def create() -> None:
        start.wait()
        pairs.append(KeyPair.load_or_create(tmp_path / "keys"))

    threads = [threading.Thread(target=create) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    # Then they all hold the same pair, whose halves match
    assert len(pairs) == 6
    assert len(set(pairs)) == 1
    assert verify_token(pairs[0], issue_token(pairs[-1], ["ops"], "x"))
    assert sorted(path.name for path in (tmp_path / "keys").iterdir()) == ["token-signing.pem", "token-signing.pub.pem"]


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("sqlite:///.local/fondation.db", Path(".local/fondation.db")),
        ("sqlite:////var/x.db", Path("/var/x.db")),
        ("sqlite://", None),
        ("sqlite:///:memory:", None),
        ("mysql+pymysql://root@127.0.0.1:3306/fondation", None),
    ],
)
def test_the_database_file_of_a_url(url: str, path: Path | None) -> None:
    assert sqlite_file(url) == path


@pytest.mark.parametrize(("answer", "kept"), [("n\n", True), ("\n", True), ("y\n", False)])
def test_make_reset_deletes_the_state_directory_only_when_told_yes(tmp_path: Path, answer: str, kept: bool) -> None:
    state = tmp_path / "state"
    (state / "keys").mkdir(parents=True)
    done = subprocess.run(
        ["make", "-s", "reset"],
        cwd=REPO_ROOT,
        env={**os.environ, "LOCAL_STATE_DIR": str(state)},
        input=answer,
        capture_output=True,
        text=True,
        check=True,
    )
    assert f"delete {state}/" in done.stdout  # it asked, naming what would go
    assert state.exists() is kept
    assert ("nothing deleted" if kept else f"deleted {state}/") in done.stdout


def test_make_reset_refuses_while_a_runtime_holds_the_state_directory(tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir()
    running = Store(state / "stepfunctions.db")  # as `make dev` holds it
    try:
        done = subprocess.run(
            ["make", "-s", "reset"],
            cwd=REPO_ROOT,
            env={**os.environ, "LOCAL_STATE_DIR": str(state)},
            input="y\n",
            capture_output=True,
            text=True,
            check=False,
        )
    finally:
        running.close()
    assert done.returncode != 0
    assert "stop `make dev` first" in done.stderr
    assert (state / "stepfunctions.db").exists()
