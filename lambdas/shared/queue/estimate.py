"""The wait estimate, the classic way: the people ahead in the station's calling order, times the
median length of a service there today (the site's ``service_minutes`` until five services are
measured), divided by the counters calling there (those that called in the last half hour; all of
the station's counters before any did), rounded up to the minute.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from lambdas.shared.db.unit_of_work import UnitOfWork
from lambdas.shared.queue.sites import service_day

if TYPE_CHECKING:  # tables are mapped on first use (lambdas/shared/db/unit_of_work.py)
    from lambdas.shared.db.queue.models import Ticket
    from lambdas.shared.db.queue.repository import StationFigures
    from lambdas.shared.db.sites.models import Site, Station

MEASURED_AFTER = 5  # services, before the day's own median replaces the site's service_minutes
ACTIVE_WITHIN = timedelta(minutes=30)  # a counter that called this recently is calling


@dataclass(frozen=True)
class Place:
    position: int  # 1 is next
    minutes: int


def pace(uow: UnitOfWork, site: Site, station: Station, now: datetime) -> float:
    """Minutes of waiting per person ahead at the station."""
    return _minutes_per_person(site, station, _figures(uow, site, station, now))


def minutes(people: int, minutes_per_person: float) -> int:
    return math.ceil(people * minutes_per_person)


def place(uow: UnitOfWork, site: Site, ticket: Ticket, now: datetime) -> Place:
    """``ticket``'s place at its station (it need not be stored yet): counted, not listed, as a
    station's queue may be long."""
    station = next(each for each in site.stations if each.id == ticket.station_id)
    figures = _figures(uow, site, station, now, ahead_of=ticket)
    assert figures.ahead is not None
    return Place(figures.ahead + 1, minutes(figures.ahead, _minutes_per_person(site, station, figures)))


def _figures(
    uow: UnitOfWork, site: Site, station: Station, now: datetime, ahead_of: Ticket | None = None
) -> StationFigures:
    day = service_day(site.timezone, now)
    return uow.queue.station_figures(site.id, station.id, day, now, now - ACTIVE_WITHIN, ahead_of)


def _minutes_per_person(site: Site, station: Station, figures: StationFigures) -> float:
    served = figures.served_seconds
    median_minutes = statistics.median(served) / 60 if len(served) >= MEASURED_AFTER else site.service_minutes
    return median_minutes / max(1, figures.counters_calling or len(station.counters))
