"""The state directory holds personal data and the token-signing key: private to the user from the start.

The engine's helpers (``local.sfn.files``) create the directory and the databases with their final
mode; a file written whole, the signing key say, is written here, by a link to a private temporary file.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_private_file(path: Path, data: bytes) -> bool:
    """Write ``path`` whole, 0600, unless it exists; False when another writer got there first (its file,
    complete, stays): the content goes to a private temporary file, then is linked under its name."""
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")  # O_EXCL, 0600
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        try:
            os.link(temporary, path)
        except FileExistsError:
            return False
        return True
    finally:
        os.unlink(temporary)
