"""Calling the next person to a counter: fair, never the same ticket twice, and never "nobody waits"
while somebody does.

Order at a station: recalled tickets first (they were called already), then priority tickets, then
appointments whose time has come, then everyone else by their original check-in time — except that
after ``priority_streak`` priority calls in a row, a waiting normal ticket goes next (no starvation).

Counters calling at the same station at the same instant take turns: each call holds the station's
lock until it commits, so the next one reads the queue as the last one left it — its own ticket, and
the streak that decides whether a priority ticket may go next. The queue is read without locking
its rows, then the first ticket still waiting is locked by its id. (Locking "the first waiting row,
skipping locked ones" instead would lock every row InnoDB sorts to find it, and the next counter
would skip them all and hear that nobody waits.) A turn lasts a few milliseconds.
"""

from __future__ import annotations

from lambdas.shared.clock import utcnow
from lambdas.shared.db.unit_of_work import UnitOfWork
from lambdas.shared.domain import TicketStatus
from lambdas.shared.errors import NotFound
from lambdas.shared.fields import digest
from lambdas.shared.queue import desk
from lambdas.shared.queue.sites import service_day
from lambdas.shared.queue.views import TicketView


def call_next(uow: UnitOfWork, site_id: str, station_id: str, counter: str, actor: str) -> TicketView | None:
    """The next ticket at the station, called to ``counter``; None when nobody waits."""
    site = uow.sites.get(site_id)
    station = next((each for each in site.stations if each.id == station_id), None) if site else None
    if site is None or station is None:
        raise NotFound("station", f"{site_id}/{station_id}")
    desk.free_counter(uow, station, counter)
    uow.serialise(digest(f"call-next {site_id}/{station_id}"))  # after the counter's: always in this order
    now = utcnow()
    day = service_day(site.timezone, now)
    normal_first = uow.queue.priority_streak(site_id, station_id, day) >= site.priority_streak
    for ticket_id in uow.queue.waiting_order(site_id, station_id, day, now, normal_first=normal_first):
        ticket = uow.queue.lock(ticket_id)  # cancelled, transferred or called by number since the read?
        if ticket is not None and ticket.status == TicketStatus.WAITING and ticket.station_id == station_id:
            return desk.call(uow, ticket, counter, actor)
    return None
