"""Each context's tables are mapped on first use, alone: they name every table their foreign keys reach."""

import subprocess
import sys

import pytest


@pytest.mark.parametrize("context", ["clients", "sites", "queue", "orders", "notifications", "records", "signals"])
def test_each_contexts_tables_load_alone(context: str) -> None:
    # a function maps only the tables it touches: each context's models name every table their
    # foreign keys reach, or its first write fails (NoReferencedTableError)
    code = f"""
import sqlalchemy
from lambdas.shared.db.{context} import models
from lambdas.shared.db.base import Base
Base.metadata.create_all(sqlalchemy.create_engine("sqlite://"))
"""
    ran = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert ran.returncode == 0, ran.stderr[-500:]
