"""What every repository does to rows the same way: store one unless its key is taken, lock one
whether or not it was there, match part of a text."""

from __future__ import annotations

from typing import Any, TypeVar, cast

from sqlalchemy import CursorResult, Result, inspect
from sqlalchemy.orm import Session

Row = TypeVar("Row")


def insert_or_keep(session: Session, row: Any) -> None:
    """Store ``row`` unless a row with its key is there: one statement either way, taking the row's
    exclusive lock. An insert that meets another's key takes a *shared* lock instead, and two such
    callers wanting the exclusive one next deadlock each other; and an insert tried in a savepoint
    cannot tell a deadlock apart from a duplicate, since InnoDB ends the whole transaction of a
    deadlock's victim and the savepoint with it (rolling back to it then fails, hiding the deadlock)."""
    mapper = inspect(row).mapper
    table = mapper.local_table
    values = {
        column.key: value
        for column in table.columns
        if (value := getattr(row, mapper.get_property_by_column(column).key)) is not None
    }
    if session.get_bind().dialect.name == "mysql":
        from sqlalchemy.dialects.mysql import insert as mysql_insert

        key = next(iter(table.primary_key.columns))
        session.execute(mysql_insert(table).values(values).on_duplicate_key_update({key.name: key}))
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        session.execute(sqlite_insert(table).values(values).on_conflict_do_nothing())


def rowcount(result: Result[*tuple[Any, ...]]) -> int:
    """The rows an UPDATE or DELETE matched: its result is a cursor's, though ``Session.execute`` is
    typed to return any result."""
    return cast(CursorResult[*tuple[Any, ...]], result).rowcount


def lock_or_create(session: Session, row: Row) -> Row:
    """The stored row with ``row``'s key, locked until the transaction ends; ``row``'s values are
    stored first if there is none. Concurrent first ones wait on the key, then find it taken."""
    insert_or_keep(session, row)
    key_values = inspect(row).mapper.primary_key_from_instance(row)
    found = session.get(type(row), key_values, with_for_update=True, populate_existing=True)
    assert found is not None
    return found


def containing(text: str) -> str:
    """A LIKE pattern (escaped by ``\\``) matching any value that contains ``text`` as written."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
