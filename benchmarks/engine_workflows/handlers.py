from typing import Any


def trivial(event: Any, context: Any) -> dict[str, bool]:
    """A Lambda task that does nothing: what is measured is the engine around it."""
    return {"ok": True}
