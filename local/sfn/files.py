"""The engine's store holds task tokens and whatever executions carry: private to the user from the start.

Files are created with their final mode by ``os.open`` (``O_EXCL``, 0600), never written first and
chmod-ed afterwards, so no other user can open them in between, whatever the umask.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

PRIVATE_DIRECTORY = 0o700
PRIVATE_FILE = 0o600
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)


def make_private_directory(path: Path) -> None:
    """Create ``path`` 0700 if it is missing (its parents as the umask says: they hold nothing of ours).
    An existing directory is left as it is: it may be shared, ``/tmp`` say; see ``is_private``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(FileExistsError):
        path.mkdir(mode=PRIVATE_DIRECTORY)


def make_private_file(path: Path) -> None:
    """Create ``path`` empty and 0600 if it is missing (an empty file is a valid SQLite database, and
    SQLite gives its -wal, -shm and -journal files the database's mode). An existing file, left open by
    an older version, is closed to others."""
    try:
        os.close(os.open(path, _CREATE, PRIVATE_FILE))
    except FileExistsError:
        keep_private(path)


def keep_private(path: Path) -> None:
    """Close an existing file of the runtime's to others (an older version created them with the umask)."""
    if not is_private(path):
        path.chmod(PRIVATE_FILE)


def is_private(path: Path) -> bool:
    """Whether only its owner may enter or read ``path``."""
    return not stat.S_IMODE(path.stat().st_mode) & 0o077
