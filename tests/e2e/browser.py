"""What every browser test of the web app checks and keeps: axe-core's verdict on a view (no serious
or critical violation) and its screenshot (in the test's folder, and in CONSOLE_SCREENSHOTS when set:
the README's)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from playwright.sync_api import Page

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = ("serious", "critical")


def violations(page: Page) -> list[str]:
    """axe-core's serious and critical violations on the page as it is now: rule, and where."""
    assert AXE.exists(), "no axe-core: `make test` installs it (npm ci)"
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    found = page.evaluate("async () => (await axe.run(document)).violations")
    return [
        f"{violation['id']} ({violation['impact']}): {[node['target'] for node in violation['nodes']][:3]}"
        for violation in found
        if violation["impact"] in BLOCKING
    ]


def screenshot(page: Page, folder: Path, name: str) -> None:
    page.screenshot(path=folder / name, full_page=True)
    if os.environ.get("CONSOLE_SCREENSHOTS"):
        shutil.copy(folder / name, Path(os.environ["CONSOLE_SCREENSHOTS"]) / name)
