"""The whole schema: every context's tables, for the migrations and the tests.

A function imports only the contexts it uses (``UnitOfWork`` wires each on first use);
``all_models()`` loads every one.
"""

from __future__ import annotations

import importlib

from sqlalchemy import MetaData

CONTEXTS = ("clients", "sites", "queue", "orders", "notifications", "signals", "records")


def all_models() -> MetaData:
    """The metadata of the whole domain, every context's models imported."""
    for context in CONTEXTS:
        importlib.import_module(f"lambdas.shared.db.{context}.models")
    from lambdas.shared.db.base import Base

    return Base.metadata
