"""Tickets, the counters that number them, and their events."""

from __future__ import annotations

import functools
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import BindParameter, Row, Select, Table, bindparam, distinct, func, select, true, update
from sqlalchemy.orm import Session

from lambdas.shared.db.queue.calling_order import in_calling_order, rank, rank_in_sql
from lambdas.shared.db.queue.models import QueueEvent, Ticket, TicketCounter
from lambdas.shared.db.rows import lock_or_create, rowcount
from lambdas.shared.db.sites.models import Site
from lambdas.shared.domain import TicketPriority, TicketStatus


@dataclass(frozen=True)
class StationFigures:
    served_seconds: list[int]  # how long each service there lasted
    counters_calling: int
    ahead: int | None  # people ahead of the ticket asked about


@functools.cache
def _station_figures(*, ahead: bool) -> Select[Any]:
    """``QueueRepository.station_figures``'s statement, built once: it is the busiest route's
    costliest to build, and only its values change (bound by name at each execution)."""
    site_id: BindParameter[str]
    station_id: BindParameter[str]
    day: BindParameter[date]
    now: BindParameter[datetime]
    site_id, station_id, day, now = (bindparam(name) for name in ("site_id", "station_id", "day", "now"))
    calling = select(func.count(distinct(QueueEvent.counter))).where(
        QueueEvent.site_id == site_id,
        QueueEvent.station_id == station_id,
        QueueEvent.kind == "called",
        QueueEvent.at >= bindparam("calling_since"),
    )
    counts = [calling.scalar_subquery().label("calling")]
    if ahead:
        asked: BindParameter[int] = bindparam("rank")
        checked_in_at: BindParameter[datetime] = bindparam("checked_in_at")
        ticket_id: BindParameter[str] = bindparam("ticket_id")
        theirs = rank_in_sql(now)
        earlier = (Ticket.checked_in_at < checked_in_at) | (
            (Ticket.checked_in_at == checked_in_at) & (Ticket.id < ticket_id)
        )
        before = select(func.count(Ticket.id)).where(
            Ticket.site_id == site_id,
            Ticket.station_id == station_id,
            Ticket.service_day == day,
            Ticket.status == TicketStatus.WAITING,
            Ticket.id != ticket_id,
            (theirs < asked) | ((theirs == asked) & earlier),
        )
        counts.append(before.scalar_subquery().label("ahead"))
    one_row = select(*counts).subquery()
    served = (
        select(QueueEvent.seconds)
        .join(Ticket, Ticket.id == QueueEvent.ticket_id)
        .where(Ticket.site_id == site_id, Ticket.service_day == day)
        .where(QueueEvent.station_id == station_id, QueueEvent.kind == "served", QueueEvent.seconds.is_not(None))
        .subquery()
    )
    # one row of counts beside every service's length (and once, with none, before the first)
    return select(one_row, served.c.seconds).select_from(one_row.outerjoin(served, true()))


class QueueRepository:
    """Tickets, their numbers and their events."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def next_number(self, site_id: str, day: date, prefix: str) -> int:
        """The next ticket number for ``prefix`` at the site on ``day``; the counter stays locked (and
        the number taken) until the transaction ends, so numbers are unique and gapless.

        The busiest statement of a clinic day, so one round trip once the day's counter exists: the
        row is incremented where it is read (MySQL hands the new value back through
        ``LAST_INSERT_ID(expr)``, SQLite through ``RETURNING``)."""
        counters = cast(Table, TicketCounter.__table__)  # declared as any FromClause
        key = (counters.c.site_id == site_id, counters.c.service_day == day, counters.c.prefix == prefix)
        connection = self.session.connection()
        if connection.dialect.name == "mysql":
            bumped = update(counters).where(*key).values(last_number=func.last_insert_id(counters.c.last_number + 1))
            result = connection.execute(bumped)
            if result.rowcount:
                return int(result.lastrowid)
        else:
            bumped = update(counters).where(*key).values(last_number=counters.c.last_number + 1)
            number: int | None = connection.execute(bumped.returning(counters.c.last_number)).scalar()
            if number is not None:
                return number
        counter = lock_or_create(  # the day's first ticket with this prefix
            self.session, TicketCounter(site_id=site_id, service_day=day, prefix=prefix, last_number=0)
        )
        counter.last_number += 1
        return counter.last_number

    def add(self, ticket: Ticket) -> None:
        self.session.add(ticket)
        self.session.flush()  # its id, for the events that name it

    def get(self, ticket_id: str) -> Ticket | None:
        return self.session.get(Ticket, ticket_id)

    def get_one(self, ticket_id: str) -> Ticket:
        """A ticket another row names: there, since none is ever deleted."""
        return self.session.get_one(Ticket, ticket_id)

    def station_entry(self, ticket_id: str) -> Row[TicketStatus, str, dict[str, list[str]], int] | None:
        """What entering a station reads, in one query of plain columns: the ticket's ``status``, its
        site's ``timezone``, ``hours`` and ``grace_seconds``."""
        query = (
            select(Ticket.status, Site.timezone, Site.hours, Site.grace_seconds)
            .join(Site, Site.id == Ticket.site_id)
            .where(Ticket.id == ticket_id)
        )
        return self.session.execute(query).first()

    def park(self, ticket_id: str, status: str, waiting_for: str, token: str) -> bool:
        """``waiting.park`` in one statement, for the ticket still in ``status`` (the one that waits for
        this), read nowhere: the busiest wait needs no round trip to load the row. False, nothing
        written, otherwise — and when the row holds this token already (a task run twice)."""
        parked = self.session.execute(
            update(Ticket)
            .where(Ticket.id == ticket_id, Ticket.status == status, Ticket.task_token.is_distinct_from(token))
            .values(waiting_for=waiting_for, task_token=token)
            .execution_options(synchronize_session=False)
        )
        return rowcount(parked) == 1

    def lock(self, ticket_id: str) -> Ticket | None:
        """The ticket, its row locked until the transaction ends: one action at a time."""
        return self.session.get(Ticket, ticket_id, with_for_update=True, populate_existing=True)

    def record(self, event: QueueEvent) -> None:
        self.session.add(event)

    def waiting_order(
        self, site_id: str, station_id: str, day: date, now: datetime, *, normal_first: bool = False
    ) -> list[str]:
        """The ids of the tickets waiting at the station, in the order they will be called, read without
        locking any. ``normal_first``: a normal ticket goes before priority ones this time."""
        query = self._waiting(site_id, station_id, day, now, normal_first=normal_first)
        return list(self.session.scalars(query.with_only_columns(Ticket.id)))

    def upcoming(self, site_id: str, station_id: str, day: date, now: datetime, limit: int) -> list[Ticket]:
        """The first ``limit`` tickets waiting at the station, in the usual calling order (a normal ticket
        the anti-starvation rule puts first is not foreseen)."""
        query = self._waiting(site_id, station_id, day, now, normal_first=False).limit(limit)
        return list(self.session.scalars(query))

    def called_to(self, site_id: str, station_id: str, day: date, counter: str) -> Ticket | None:
        """The ticket ``counter`` called and that has not come yet, if any."""
        query = select(Ticket).where(
            Ticket.site_id == site_id,
            Ticket.station_id == station_id,
            Ticket.service_day == day,
            Ticket.status == TicketStatus.CALLED,
            Ticket.called_by_counter == counter,
        )
        return self.session.scalars(query.limit(1)).first()

    @staticmethod
    def _waiting(
        site_id: str, station_id: str, day: date, now: datetime, *, normal_first: bool
    ) -> Select[tuple[Ticket]]:
        """The tickets of the clinic day waiting at the station, in calling order."""
        waiting = (
            select(Ticket)
            .where(Ticket.site_id == site_id, Ticket.station_id == station_id, Ticket.service_day == day)
            .where(Ticket.status == TicketStatus.WAITING)
        )
        return in_calling_order(waiting, now, normal_first=normal_first)

    def priority_streak(self, site_id: str, station_id: str, day: date) -> int:
        """How many priority tickets were called in a row, the last ones, at the station — while a
        normal ticket waited (otherwise the streak harms nobody and does not count)."""
        waiting_normal = select(Ticket.id).where(
            Ticket.site_id == site_id,
            Ticket.station_id == station_id,
            Ticket.service_day == day,
            Ticket.status == TicketStatus.WAITING,
            Ticket.priority == TicketPriority.NONE,
        )
        if self.session.scalars(waiting_normal.limit(1)).first() is None:
            return 0
        calls = self.session.scalars(
            select(QueueEvent)
            .where(QueueEvent.site_id == site_id, QueueEvent.station_id == station_id, QueueEvent.kind == "called")
            .order_by(QueueEvent.id.desc())
            .limit(50)
        )
        streak = 0
        for call in calls:
            if call.details.get("priority", TicketPriority.NONE) == TicketPriority.NONE:
                break
            streak += 1
        return streak

    def of_day(
        self, site_id: str, day: date, status: str | None, station_id: str | None, *, limit: int | None
    ) -> list[Ticket]:
        query = select(Ticket).where(Ticket.site_id == site_id, Ticket.service_day == day)
        if status is not None:
            query = query.where(Ticket.status == status)
        if station_id is not None:
            query = query.where(Ticket.station_id == station_id)
        return list(self.session.scalars(query.order_by(Ticket.checked_in_at, Ticket.id).limit(limit)))

    def of_client(self, client_id: str, *, limit: int) -> list[Ticket]:
        """A client's tickets, the latest first."""
        query = select(Ticket).where(Ticket.client_id == client_id)
        return list(self.session.scalars(query.order_by(Ticket.checked_in_at.desc(), Ticket.id).limit(limit)))

    def station_figures(
        self,
        site_id: str,
        station_id: str,
        day: date,
        now: datetime,
        calling_since: datetime,
        ahead_of: Ticket | None = None,
    ) -> StationFigures:
        """What a wait estimate at the station needs, in one round trip: each service's length on
        ``day``, how many counters called since ``calling_since``, and how many tickets waiting there
        will be called before ``ahead_of`` now (which may be a ticket about to be stored: counted
        before its number is taken, it holds no lock for this)."""
        values: dict[str, Any] = {
            "site_id": site_id,
            "station_id": station_id,
            "day": day,
            "now": now,
            "calling_since": calling_since,
        }
        if ahead_of is not None:
            theirs = rank(bool(ahead_of.recalled), ahead_of.priority, ahead_of.appointment_at, now)
            values |= {"rank": theirs, "checked_in_at": ahead_of.checked_in_at, "ticket_id": ahead_of.id}
        rows = self.session.execute(_station_figures(ahead=ahead_of is not None), values).all()
        return StationFigures(
            served_seconds=[row.seconds for row in rows if row.seconds],
            counters_calling=rows[0].calling,
            ahead=rows[0].ahead if ahead_of is not None else None,
        )

    def event_counts(self, site_id: str, day: date) -> dict[str, dict[str, int]]:
        """{station: {kind: how many}} for the tickets of ``day``."""
        query = (
            self._of_day(site_id, day)
            .with_only_columns(QueueEvent.station_id, QueueEvent.kind, func.count())
            .group_by(QueueEvent.station_id, QueueEvent.kind)
        )
        counts: dict[str, dict[str, int]] = {}
        for station_id, kind, count in self.session.execute(query):
            counts.setdefault(station_id, {})[kind] = count
        return counts

    def served_per_counter(self, site_id: str, day: date) -> dict[str, dict[str, int]]:
        """{station: {counter: services}} for the tickets of ``day``."""
        query = (
            self._of_day(site_id, day)
            .where(QueueEvent.kind == "served", QueueEvent.counter.is_not(None))
            .with_only_columns(QueueEvent.station_id, QueueEvent.counter, func.count())
            .group_by(QueueEvent.station_id, QueueEvent.counter)
        )
        served: dict[str, dict[str, int]] = {}
        for station_id, counter, count in self.session.execute(query):
            assert counter is not None  # the query leaves the others out
            served.setdefault(station_id, {})[counter] = count
        return served

    def durations(self, site_id: str, day: date) -> dict[tuple[str, str], list[int]]:
        """{(station, "called" | "served"): seconds waited or served} for the tickets of ``day``."""
        query = (
            self._of_day(site_id, day)
            .where(QueueEvent.kind.in_(("called", "served")), QueueEvent.seconds.is_not(None))
            .with_only_columns(QueueEvent.station_id, QueueEvent.kind, QueueEvent.seconds)
        )
        durations: dict[tuple[str, str], list[int]] = {}
        for station_id, kind, seconds in self.session.execute(query):
            assert seconds is not None  # the query leaves the others out
            durations.setdefault((station_id, kind), []).append(seconds)
        return durations

    @staticmethod
    def _of_day(site_id: str, day: date) -> Select[QueueEvent]:
        """The events of the tickets of a site's clinic day."""
        return (
            select(QueueEvent)
            .join(Ticket, Ticket.id == QueueEvent.ticket_id)
            .where(Ticket.site_id == site_id, Ticket.service_day == day)
        )

    def forget_people(self, client_ids: Collection[str]) -> None:
        """The tickets stay for the counts; the names they were called by go."""
        self.session.execute(update(Ticket).where(Ticket.client_id.in_(client_ids)).values(display_name=None))
