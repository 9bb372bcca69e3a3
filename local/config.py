"""Settings of the local runtime: defaults that just work, overridable by environment variables."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class LocalSettings:
    state_dir: Path
    host: str
    api_port: int
    sfn_port: int
    database_url: str
    workflow_packages: tuple[str, ...]

    @classmethod
    def from_env(cls) -> LocalSettings:
        state_dir = Path(os.environ.get("LOCAL_STATE_DIR", REPO_ROOT / ".local")).resolve()
        return cls(
            state_dir=state_dir,
            host=os.environ.get("LOCAL_HOST", "127.0.0.1"),
            api_port=int(os.environ.get("LOCAL_API_PORT", "3000")),
            sfn_port=int(os.environ.get("LOCAL_SFN_PORT", "8083")),
            database_url=os.environ.get("DATABASE_URL", f"sqlite:///{state_dir / 'fondation.db'}"),
            workflow_packages=tuple(os.environ.get("LOCAL_WORKFLOW_PACKAGES", "workflows").split(",")),
        )
