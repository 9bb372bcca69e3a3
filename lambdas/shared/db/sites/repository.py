"""Sites with their stations."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from lambdas.shared.db.sites.models import Site


class SiteRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, site_id: str) -> Site | None:
        """The site and its stations, in one query."""
        return self.session.get(Site, site_id, options=[joinedload(Site.stations)])

    def get_one(self, site_id: str) -> Site:
        """``get`` for a site another row names: there, since none is ever deleted."""
        return self.session.get_one(Site, site_id, options=[joinedload(Site.stations)])

    def lock(self, site_id: str) -> Site | None:
        """The site, its row locked until the transaction ends: its stations change one at a time."""
        return self.session.get(Site, site_id, with_for_update=True, populate_existing=True)

    def add(self, site: Site) -> None:
        self.session.add(site)

    def all(self) -> list[Site]:
        return list(self.session.scalars(select(Site).order_by(Site.id)))
