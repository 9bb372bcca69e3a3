"""Queries, one repository per aggregate. They flush but never commit: the unit of work does."""

from __future__ import annotations

from sqlalchemy import or_, select, tuple_
from sqlalchemy.orm import Session

from lambdas.shared.db.models import Client
from lambdas.shared.domain import ClientStatus


def _contains(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class ClientRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, client_id: str) -> Client | None:
        return self.session.get(Client, client_id)

    def search(
        self, *, name: str | None, phone_digits: str | None, limit: int, after: tuple[str, str] | None
    ) -> list[Client]:
        """Clients whose folded name or phone contains the query, in (name, id) order after ``after``."""
        query = select(Client).where(Client.status != ClientStatus.ERASED)
        matches = []
        if name:
            matches.append(Client.search_name.like(_contains(name), escape="\\"))
        if phone_digits:
            matches.append(Client.phone_key.like(_contains(phone_digits), escape="\\"))
        if matches:
            query = query.where(or_(*matches))
        if after is not None:
            query = query.where(tuple_(Client.search_name, Client.id) > tuple_(*after))
        query = query.order_by(Client.search_name, Client.id).limit(limit)
        return list(self.session.scalars(query))
