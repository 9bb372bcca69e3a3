"""Sites of the clinic days and their stations."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lambdas.shared.db.models.base import ID, Base, enum_column, new_id
from lambdas.shared.domain import StationKind


class Site(Base):
    __tablename__ = "sites"

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Paris")

    stations: Mapped[list[Station]] = relationship(back_populates="site", order_by="Station.position")


class Station(Base):
    __tablename__ = "stations"
    __table_args__ = (UniqueConstraint("site_id", "name"),)

    id: Mapped[str] = mapped_column(ID, primary_key=True, default=new_id)
    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id"))
    kind: Mapped[StationKind] = mapped_column(enum_column(StationKind))
    name: Mapped[str] = mapped_column(String(100))
    position: Mapped[int] = mapped_column(Integer, default=0)

    site: Mapped[Site] = relationship(back_populates="stations")
