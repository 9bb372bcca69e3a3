"""Run a data-access test on SQLite and on the real MariaDB/MySQL server (the ``mysql`` marker)."""

import sqlite3

import pymysql
import pytest

ON_BOTH_DATABASES = pytest.mark.parametrize(
    "database_url", ["sqlite", pytest.param("mysql", marks=pytest.mark.mysql)], indirect=True
)


def lost_connection(dialect: str) -> Exception:
    """What the driver raises when the database is gone in the middle of a statement."""
    if dialect == "sqlite":
        busy = sqlite3.OperationalError("database is locked")
        busy.sqlite_errorcode, busy.sqlite_errorname = 5, "SQLITE_BUSY"  # as the driver sets them
        return busy
    return pymysql.err.OperationalError(2013, "Lost connection to server during query")
