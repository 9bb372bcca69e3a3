"""SQLAlchemy 2.0 typed models, one module per aggregate, so a function imports only the tables it uses.

This package's ``__init__`` imports none of them; ``all_models()`` loads every one (migrations, tests).
"""

from __future__ import annotations

import importlib

from sqlalchemy import MetaData

MODULES = ("clients", "sites", "queue", "orders", "records")


def all_models() -> MetaData:
    """The metadata of the whole domain, every model module imported."""
    for module in MODULES:
        importlib.import_module(f"{__name__}.{module}")
    from lambdas.shared.db.models.base import Base

    return Base.metadata
