"""Calling the next person to a counter: atomic, fair, and never the same ticket twice.

Order at a station: recalled tickets first (they were called already), then priority tickets, then
appointments whose time has come, then everyone else by their original check-in time — except that
after ``priority_streak`` priority calls in a row, a waiting normal ticket goes next (no starvation).
The ticket is chosen with ``SELECT … FOR UPDATE SKIP LOCKED``: two counters calling at the same
instant each get a different ticket, and a ticket being called by one is skipped, not waited for.
"""

from __future__ import annotations

from lambdas.shared.db.types import utcnow
from lambdas.shared.db.unit_of_work import UnitOfWork
from lambdas.shared.domain import TicketStatus
from lambdas.shared.errors import NotFound
from lambdas.shared.queue import desk
from lambdas.shared.queue.sites import service_day


def call_next(uow: UnitOfWork, site_id: str, station_id: str, counter: str, actor: str) -> desk.Action | None:
    """The next ticket at the station, called to ``counter``; None when nobody waits."""
    site = uow.sites.get(site_id)
    station = next((each for each in site.stations if each.id == station_id), None) if site else None
    if site is None or station is None:
        raise NotFound("station", f"{site_id}/{station_id}")
    desk.free_counter(uow, station, counter)
    now = utcnow()
    day = service_day(site.timezone, now)
    normal_first = uow.queue.priority_streak(site_id, station_id, day) >= site.priority_streak
    ticket = uow.queue.next_to_call(site_id, station_id, day, now, normal_first=normal_first)
    if ticket is None:
        return None
    ticket, action = desk.begin(uow, ticket.id, "called", (TicketStatus.WAITING,))
    return desk.call(uow, ticket, action, counter, actor)
