"""Sites of the clinic days and their stations, as managers configure them.

Sites and stations are named by short ids the managers choose (``saint-denis``, ``eye-exam``): they
appear in routes, journeys and on the board.
"""

from __future__ import annotations

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lambdas.shared.db.base import Base, Timestamps
from lambdas.shared.db.types import JsonText
from lambdas.shared.fields import NAME_LENGTH, PREFIX_LENGTH, SLUG_LENGTH, TIMEZONE_LENGTH


class Site(Timestamps, Base):
    """A place where clinic days happen, with its opening hours and queue settings."""

    __tablename__ = "sites"

    id: Mapped[str] = mapped_column(String(SLUG_LENGTH), primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    timezone: Mapped[str] = mapped_column(String(TIMEZONE_LENGTH), default="Europe/Paris")
    # {"mon": ["09:00", "17:30"], ...}: the days it opens, local time; a day absent is closed
    hours: Mapped[dict[str, list[str]]] = mapped_column(JsonText, default=dict)
    grace_seconds: Mapped[int] = mapped_column(Integer, default=180)  # to reach the counter once called
    default_journey: Mapped[list[str]] = mapped_column(JsonText, default=list)  # station ids, in order
    # at most this many priority tickets are called in a row while a normal ticket waits (no starvation)
    priority_streak: Mapped[int] = mapped_column(Integer, default=3)
    # a service's length for the wait estimate, until the day has served enough people to measure it
    service_minutes: Mapped[int] = mapped_column(Integer, default=8, server_default="8")
    # its screen's announcements; null (a site made by code older than the column): French
    screen_languages: Mapped[list[str] | None] = mapped_column(JsonText, default=lambda: ["fr"])
    configured_by: Mapped[str] = mapped_column(String(128))

    stations: Mapped[list[Station]] = relationship(back_populates="site", order_by="Station.position")


class Station(Timestamps, Base):
    """Where a person is served (reception, eye exam, frame fitting …), at one or more counters."""

    __tablename__ = "stations"
    __table_args__ = (UniqueConstraint("site_id", "prefix"),)

    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id"), primary_key=True)
    id: Mapped[str] = mapped_column(String(SLUG_LENGTH), primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    prefix: Mapped[str] = mapped_column(String(PREFIX_LENGTH))  # ticket numbers: A001, A002 …
    counters: Mapped[list[str]] = mapped_column(JsonText, default=list)  # the desks that call its tickets
    # what people read and hear of a counter ("Guichet 2"); a counter without one is called by its id
    counter_names: Mapped[dict[str, str] | None] = mapped_column(JsonText, default=dict)  # null: none
    position: Mapped[int] = mapped_column(Integer, default=0)  # order on the board
    configured_by: Mapped[str] = mapped_column(String(128))

    site: Mapped[Site] = relationship(back_populates="stations")
