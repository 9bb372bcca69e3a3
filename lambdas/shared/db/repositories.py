"""Queries, one repository per aggregate. They flush but never commit: the unit of work does."""

from __future__ import annotations

import functools
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import and_, delete, func, inspect, or_, select, tuple_, update
from sqlalchemy.orm import Session, joinedload

from lambdas.shared.db.models.clients import Client, ConsentRecord, EligibilityEvidence
from lambdas.shared.db.models.records import IdempotencyRecord, Notification
from lambdas.shared.domain import ClientStatus, ConsentPurpose, NotificationStatus

if TYPE_CHECKING:
    from sqlalchemy import Row as ResultRow
    from sqlalchemy import Select

    from lambdas.shared.db.models.orders import FrameStock, LabSubmission, Order, OrderEvent, Prescription
    from lambdas.shared.db.models.queue import QueueEvent, Ticket
    from lambdas.shared.db.models.sites import Site

Row = TypeVar("Row")

# Clients a new application may duplicate: everyone but applications that went nowhere.
NOT_DUPLICABLE = (ClientStatus.MERGED, ClientStatus.ERASED, ClientStatus.EXPIRED)


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


def lock_or_create(session: Session, row: Row) -> Row:
    """The stored row with ``row``'s key, locked until the transaction ends; ``row``'s values are
    stored first if there is none. Concurrent first ones wait on the key, then find it taken."""
    insert_or_keep(session, row)
    key_values = inspect(row).mapper.primary_key_from_instance(row)
    found = session.get(type(row), key_values, with_for_update=True, populate_existing=True)
    assert found is not None
    return found


def _contains(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


@dataclass(frozen=True)
class StationFigures:
    served_seconds: list[int]  # how long each service there lasted
    counters_calling: int
    ahead: int | None  # people ahead of the ticket asked about


class ClientRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, client_id: str) -> Client | None:
        return self.session.get(Client, client_id)

    def lock(self, client_id: str) -> Client | None:
        """The client, its row locked until the transaction ends (MySQL; SQLite locks the database)."""
        return self.session.get(Client, client_id, with_for_update=True, populate_existing=True)

    def add(self, client: Client) -> None:
        self.session.add(client)

    def search(
        self, *, name: str | None, phone_digits: str | None, limit: int, after: tuple[str, str] | None
    ) -> list[Client]:
        """Clients whose folded name or phone contains the query, in (name, id) order after ``after``."""
        query = select(Client).where(Client.status != ClientStatus.ERASED)
        matches = []
        if name:
            matches.append(Client.search_name.like(_contains(name), escape="\\"))
        if phone_digits:
            matches.append(Client.phone.like(_contains(phone_digits), escape="\\"))
        if matches:
            query = query.where(or_(*matches))
        if after is not None:
            query = query.where(tuple_(Client.search_name, Client.id) > tuple_(*after))
        query = query.order_by(Client.search_name, Client.id).limit(limit)
        return list(self.session.scalars(query))

    def duplicate_candidates(self, client: Client) -> list[Client]:
        """Clients compared before ``client`` sharing its phone, email or birth year.

        Only those already compared: of two applications for the same person, the one compared second
        is the duplicate, whichever was stored first (the comparisons run one at a time). The whole
        birth year, since either date may be approximate.
        """
        same = [Client.phone == client.phone] if client.phone else []
        same += [Client.email_key == client.email_key] if client.email_key else []
        if client.birth_date:
            year = client.birth_date.year
            same.append(Client.birth_date.between(date(year, 1, 1), date(year, 12, 31)))
        if not same:
            return []
        query = (
            select(Client)
            .where(or_(*same))
            .where(Client.id != client.id)
            .where(Client.status.not_in(NOT_DUPLICABLE))
            .where(Client.duplicate_checked_at.is_not(None))
            .order_by(Client.duplicate_checked_at, Client.id)
        )
        return list(self.session.scalars(query))

    def merged_into(self, client_id: str) -> list[Client]:
        """Every application merged into ``client_id``, directly or through another merged one; locked."""
        found: list[Client] = []
        targets = [client_id]
        while targets:
            query = select(Client).where(Client.merged_into_id.in_(targets)).with_for_update()
            merged = [client for client in self.session.scalars(query) if client not in found]
            found += merged
            targets = [client.id for client in merged]
        return found


class EvidenceRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, evidence: EligibilityEvidence) -> None:
        self.session.add(evidence)

    def latest(self, client_id: str) -> EligibilityEvidence | None:
        query = (
            select(EligibilityEvidence)
            .where(EligibilityEvidence.client_id == client_id)
            .order_by(EligibilityEvidence.received_at.desc(), EligibilityEvidence.id.desc())
            .limit(1)
        )
        return self.session.scalars(query).first()

    def remove(self, evidence_id: str) -> None:
        self.session.execute(delete(EligibilityEvidence).where(EligibilityEvidence.id == evidence_id))

    def forget(self, client_ids: Collection[str]) -> None:
        """Keep that documents were received, not what they said."""
        self.session.execute(
            update(EligibilityEvidence)
            .where(EligibilityEvidence.client_id.in_(client_ids))
            .values(reference=None, rejection_reason=None)
        )


class ConsentRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def of(self, client_id: str) -> dict[ConsentPurpose, ConsentRecord]:
        records = self.session.scalars(select(ConsentRecord).where(ConsentRecord.client_id == client_id))
        return {record.purpose: record for record in records}

    def add(self, record: ConsentRecord) -> None:
        self.session.add(record)

    def withdraw_all(self, client_ids: Collection[str], when: datetime) -> None:
        self.session.execute(
            update(ConsentRecord)
            .where(ConsentRecord.client_id.in_(client_ids), ConsentRecord.withdrawn_at.is_(None))
            .values(withdrawn_at=when)
        )


class NotificationRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def by_dedup_key(self, dedup_key: str) -> Notification | None:
        return self.session.scalars(select(Notification).where(Notification.dedup_key == dedup_key)).first()

    def add(self, notification: Notification) -> None:
        self.session.add(notification)

    def cancel_pending(self, client_ids: Collection[str]) -> None:
        """Erasure: nothing more goes to these clients, and no undelivered message keeps its payload."""
        mine = Notification.client_id.in_(client_ids)
        self.session.execute(
            update(Notification)
            .where(mine, Notification.status == NotificationStatus.PENDING)
            .values(status=NotificationStatus.CANCELLED, reason="erased", claim=None, claimed_until=None)
        )
        self.session.execute(
            update(Notification).where(mine, Notification.status != NotificationStatus.SENT).values(payload={})
        )

    def claim(self, claim: str, now: datetime, until: datetime, limit: int) -> list[Notification]:
        """Up to ``limit`` messages due now and claimed by nobody (or by a dispatcher whose claim
        lapsed), the longest due first, now claimed by ``claim``.

        The candidates are read without locking, then claimed by a conditional update: a row another
        dispatcher claimed meanwhile is left to it (the update waits for that claim to commit, then
        finds the row taken). When all of them were taken so, the next candidates are read: of
        dispatchers running at once, none hears that nothing is due while messages are, whatever plan
        InnoDB chooses (with SKIP LOCKED, one that sorts without the index locks every due row it
        reads, and the others skip them all)."""
        free = or_(Notification.claimed_until.is_(None), Notification.claimed_until < now)
        due = and_(Notification.status == NotificationStatus.PENDING, Notification.next_attempt_at <= now, free)
        candidates = select(Notification.id).where(due).order_by(Notification.next_attempt_at, Notification.id)
        while ids := list(self.session.scalars(candidates.limit(limit))):
            self.session.execute(
                update(Notification)
                .where(Notification.id.in_(ids), due)
                .values(claim=claim, claimed_until=until, attempts=Notification.attempts + 1)
                .execution_options(synchronize_session=False)
            )
            claimed = select(Notification).where(Notification.claim == claim).execution_options(populate_existing=True)
            if rows := list(self.session.scalars(claimed)):
                return rows
        return []

    def settle(self, notification_id: str, claim: str, **values: Any) -> bool:
        """The claimed message's outcome, if the claim is still ours (it lapsed otherwise: another
        dispatcher has it now)."""
        result = self.session.execute(
            update(Notification)
            .where(Notification.id == notification_id, Notification.claim == claim)
            .values(claim=None, claimed_until=None, **values)
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount)


class IdempotencyRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, key: str) -> IdempotencyRecord | None:
        return self.session.get(IdempotencyRecord, key, populate_existing=True)

    def claim(self, key: str, request_hash: str, entity_id: str) -> bool:
        """Record ``key`` for ``entity_id``; False if another request holds it already (it may have just
        committed). Entity ids are new to each request: the key is ours if it names ours."""
        insert_or_keep(self.session, IdempotencyRecord(key=key, request_hash=request_hash, entity_id=entity_id))
        stored = self.session.get(IdempotencyRecord, key, populate_existing=True)
        return stored is not None and stored.entity_id == entity_id

    def forget_entities(self, entity_ids: Collection[str]) -> None:
        self.session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.entity_id.in_(entity_ids)))


class FrameRepository:
    """A site's frames by SKU. Counts change in one statement each: never a lost update."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, site_id: str, sku: str) -> FrameStock | None:
        from lambdas.shared.db.models.orders import FrameStock

        return self.session.get(FrameStock, (site_id, sku), populate_existing=True)

    def lock_or_create(self, site_id: str, sku: str, description: str, kind: str, actor: str) -> FrameStock:
        from lambdas.shared.db.models.orders import FrameStock

        row = FrameStock(site_id=site_id, sku=sku, description=description, kind=kind, quantity=0, configured_by=actor)
        return lock_or_create(self.session, row)

    def of_site(self, site_id: str) -> list[FrameStock]:
        from lambdas.shared.db.models.orders import FrameStock

        return list(
            self.session.scalars(select(FrameStock).where(FrameStock.site_id == site_id).order_by(FrameStock.sku))
        )

    def add(self, site_id: str, sku: str, quantity: int) -> bool:
        """``quantity`` more (fewer, when negative); False when the site has no such SKU."""
        return self._change(site_id, sku, quantity, at_least=None)

    def take_one(self, site_id: str, sku: str) -> bool:
        """One fewer, if one is left: False when none is (or there is no such SKU)."""
        return self._change(site_id, sku, -1, at_least=1)

    def _change(self, site_id: str, sku: str, by: int, at_least: int | None) -> bool:
        from lambdas.shared.db.models.orders import FrameStock

        where = [FrameStock.site_id == site_id, FrameStock.sku == sku]
        if at_least is not None:
            where.append(FrameStock.quantity >= at_least)
        changed = self.session.execute(
            update(FrameStock)
            .where(*where)
            .values(quantity=FrameStock.quantity + by)
            .execution_options(synchronize_session=False)
        )
        return changed.rowcount == 1


class SiteRepository:
    """Sites with their stations. The site tables are imported on first use: the onboarding
    functions never map them."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, site_id: str) -> Site | None:
        """The site and its stations, in one query."""
        from lambdas.shared.db.models.sites import Site

        return self.session.get(Site, site_id, options=[joinedload(Site.stations)])

    def lock(self, site_id: str) -> Site | None:
        """The site, its row locked until the transaction ends: its stations change one at a time."""
        from lambdas.shared.db.models.sites import Site

        return self.session.get(Site, site_id, with_for_update=True, populate_existing=True)

    def add(self, site: Site) -> None:
        self.session.add(site)

    def all(self) -> list[Site]:
        from lambdas.shared.db.models.sites import Site

        return list(self.session.scalars(select(Site).order_by(Site.id)))


# The calling order at a station, by class (ties go by check-in time): recalled tickets, priority
# ones, appointments whose time has come, everyone else. When a normal ticket goes first this time
# (no starvation), priority tickets go last instead.
RECALLED, PRIORITY, DUE, OTHERS = 0, 1, 2, 3


def call_rank(recalled: bool, priority: str, appointment_at: datetime | None, now: datetime) -> int:
    """One ticket's class, as ``_call_rank`` computes it in SQL."""
    from lambdas.shared.domain import TicketPriority

    if recalled:
        return RECALLED
    if priority != TicketPriority.NONE:
        return PRIORITY
    return DUE if appointment_at is not None and appointment_at <= now else OTHERS


def _call_rank(ticket: Any, now: datetime, *, normal_first: bool) -> Any:
    """Every ticket's class in SQL (``ticket`` is the Ticket entity)."""
    from sqlalchemy import case

    from lambdas.shared.domain import TicketPriority

    is_normal = ticket.priority == TicketPriority.NONE
    due = ticket.appointment_at.is_not(None) & (ticket.appointment_at <= now)
    if normal_first:
        return case((ticket.recalled, RECALLED), (~is_normal, OTHERS + 1), (due, DUE), else_=OTHERS)
    return case((ticket.recalled, RECALLED), (~is_normal, PRIORITY), (due, DUE), else_=OTHERS)


@functools.cache
def _station_figures(*, ahead: bool) -> Select[Any]:
    """``QueueRepository.station_figures``'s statement, built once: it is the busiest route's
    costliest to build, and only its values change (bound by name at each execution)."""
    from sqlalchemy import bindparam, distinct, true

    from lambdas.shared.db.models.queue import QueueEvent, Ticket
    from lambdas.shared.domain import TicketStatus

    site_id, station_id, day, now = (bindparam(name) for name in ("site_id", "station_id", "day", "now"))
    calling = select(func.count(distinct(QueueEvent.counter))).where(
        QueueEvent.site_id == site_id,
        QueueEvent.station_id == station_id,
        QueueEvent.kind == "called",
        QueueEvent.at >= bindparam("calling_since"),
    )
    counts = [calling.scalar_subquery().label("calling")]
    if ahead:
        rank, checked_in_at, ticket_id = bindparam("rank"), bindparam("checked_in_at"), bindparam("ticket_id")
        theirs = _call_rank(Ticket, now, normal_first=False)
        earlier = (Ticket.checked_in_at < checked_in_at) | (
            (Ticket.checked_in_at == checked_in_at) & (Ticket.id < ticket_id)
        )
        before = select(func.count(Ticket.id)).where(
            Ticket.site_id == site_id,
            Ticket.station_id == station_id,
            Ticket.service_day == day,
            Ticket.status == TicketStatus.WAITING,
            Ticket.id != ticket_id,
            (theirs < rank) | ((theirs == rank) & earlier),
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
    """Tickets, their numbers and their events. The queue tables are imported on first use: the
    onboarding functions never map them."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def next_number(self, site_id: str, day: date, prefix: str) -> int:
        """The next ticket number for ``prefix`` at the site on ``day``; the counter stays locked (and
        the number taken) until the transaction ends, so numbers are unique and gapless.

        The busiest statement of a clinic day, so one round trip once the day's counter exists: the
        row is incremented where it is read (MySQL hands the new value back through
        ``LAST_INSERT_ID(expr)``, SQLite through ``RETURNING``)."""
        from lambdas.shared.db.models.queue import TicketCounter

        counters = TicketCounter.__table__
        key = (counters.c.site_id == site_id, counters.c.service_day == day, counters.c.prefix == prefix)
        connection = self.session.connection()
        if connection.dialect.name == "mysql":
            bumped = update(counters).where(*key).values(last_number=func.last_insert_id(counters.c.last_number + 1))
            result = connection.execute(bumped)
            if result.rowcount:
                return int(result.lastrowid)
        else:
            bumped = update(counters).where(*key).values(last_number=counters.c.last_number + 1)
            number = connection.execute(bumped.returning(counters.c.last_number)).scalar()
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
        from lambdas.shared.db.models.queue import Ticket

        return self.session.get(Ticket, ticket_id)

    def station_entry(self, ticket_id: str) -> ResultRow[tuple[str, str, dict[str, list[str]], int]] | None:
        """What entering a station reads, in one query of plain columns: the ticket's ``status``, its
        site's ``timezone``, ``hours`` and ``grace_seconds``."""
        from lambdas.shared.db.models.queue import Ticket
        from lambdas.shared.db.models.sites import Site

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
        from lambdas.shared.db.models.queue import Ticket

        parked = self.session.execute(
            update(Ticket)
            .where(Ticket.id == ticket_id, Ticket.status == status, Ticket.task_token.is_distinct_from(token))
            .values(waiting_for=waiting_for, task_token=token)
            .execution_options(synchronize_session=False)
        )
        return parked.rowcount == 1

    def lock(self, ticket_id: str) -> Ticket | None:
        """The ticket, its row locked until the transaction ends: one action at a time."""
        from lambdas.shared.db.models.queue import Ticket

        return self.session.get(Ticket, ticket_id, with_for_update=True, populate_existing=True)

    def last_event_id(self, ticket_id: str) -> int:
        from lambdas.shared.db.models.queue import QueueEvent

        query = select(func.max(QueueEvent.id)).where(QueueEvent.ticket_id == ticket_id)
        return self.session.execute(query).scalar_one() or 0

    def forget_events_after(self, ticket_id: str, event_id: int) -> None:
        """The events of an action that was taken back: it never happened."""
        from lambdas.shared.db.models.queue import QueueEvent

        self.session.execute(delete(QueueEvent).where(QueueEvent.ticket_id == ticket_id, QueueEvent.id > event_id))

    def record(self, event: QueueEvent) -> None:
        self.session.add(event)

    def waiting_order(
        self, site_id: str, station_id: str, day: date, now: datetime, *, normal_first: bool = False
    ) -> list[str]:
        """The ids of the tickets waiting at the station, in the order they will be called, read without
        locking any. ``normal_first``: a normal ticket goes before priority ones this time."""
        from lambdas.shared.db.models.queue import Ticket

        query = self._waiting(site_id, station_id, day, now, normal_first=normal_first)
        return list(self.session.scalars(query.with_only_columns(Ticket.id)))

    def upcoming(self, site_id: str, station_id: str, day: date, now: datetime, limit: int) -> list[Ticket]:
        """The first ``limit`` tickets waiting at the station, in the usual calling order (a normal ticket
        the anti-starvation rule puts first is not foreseen)."""
        query = self._waiting(site_id, station_id, day, now, normal_first=False).limit(limit)
        return list(self.session.scalars(query))

    def called_to(self, site_id: str, station_id: str, day: date, counter: str) -> Ticket | None:
        """The ticket ``counter`` called and that has not come yet, if any."""
        from lambdas.shared.db.models.queue import Ticket
        from lambdas.shared.domain import TicketStatus

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
        from lambdas.shared.db.models.queue import Ticket
        from lambdas.shared.domain import TicketStatus

        return (
            select(Ticket)
            .where(Ticket.site_id == site_id, Ticket.station_id == station_id, Ticket.service_day == day)
            .where(Ticket.status == TicketStatus.WAITING)
            .order_by(_call_rank(Ticket, now, normal_first=normal_first), Ticket.checked_in_at, Ticket.id)
        )

    def priority_streak(self, site_id: str, station_id: str, day: date) -> int:
        """How many priority tickets were called in a row, the last ones, at the station — while a
        normal ticket waited (otherwise the streak harms nobody and does not count)."""
        from lambdas.shared.db.models.queue import QueueEvent, Ticket
        from lambdas.shared.domain import TicketPriority, TicketStatus

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
        from lambdas.shared.db.models.queue import Ticket

        query = select(Ticket).where(Ticket.site_id == site_id, Ticket.service_day == day)
        if status is not None:
            query = query.where(Ticket.status == status)
        if station_id is not None:
            query = query.where(Ticket.station_id == station_id)
        return list(self.session.scalars(query.order_by(Ticket.checked_in_at, Ticket.id).limit(limit)))

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
            rank = call_rank(bool(ahead_of.recalled), ahead_of.priority, ahead_of.appointment_at, now)
            values |= {"rank": rank, "checked_in_at": ahead_of.checked_in_at, "ticket_id": ahead_of.id}
        rows = self.session.execute(_station_figures(ahead=ahead_of is not None), values).all()
        return StationFigures(
            served_seconds=[row.seconds for row in rows if row.seconds],
            counters_calling=rows[0].calling,
            ahead=rows[0].ahead if ahead_of is not None else None,
        )

    def event_counts(self, site_id: str, day: date) -> dict[str, dict[str, int]]:
        """{station: {kind: how many}} for the tickets of ``day``."""
        from lambdas.shared.db.models.queue import QueueEvent

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
        from lambdas.shared.db.models.queue import QueueEvent

        query = (
            self._of_day(site_id, day)
            .where(QueueEvent.kind == "served", QueueEvent.counter.is_not(None))
            .with_only_columns(QueueEvent.station_id, QueueEvent.counter, func.count())
            .group_by(QueueEvent.station_id, QueueEvent.counter)
        )
        served: dict[str, dict[str, int]] = {}
        for station_id, counter, count in self.session.execute(query):
            served.setdefault(station_id, {})[counter] = count
        return served

    def durations(self, site_id: str, day: date) -> dict[tuple[str, str], list[int]]:
        """{(station, "called" | "served"): seconds waited or served} for the tickets of ``day``."""
        from lambdas.shared.db.models.queue import QueueEvent

        query = (
            self._of_day(site_id, day)
            .where(QueueEvent.kind.in_(("called", "served")), QueueEvent.seconds.is_not(None))
            .with_only_columns(QueueEvent.station_id, QueueEvent.kind, QueueEvent.seconds)
        )
        durations: dict[tuple[str, str], list[int]] = {}
        for station_id, kind, seconds in self.session.execute(query):
            durations.setdefault((station_id, kind), []).append(seconds)
        return durations

    @staticmethod
    def _of_day(site_id: str, day: date) -> Select[tuple[QueueEvent]]:
        """The events of the tickets of a site's clinic day."""
        from lambdas.shared.db.models.queue import QueueEvent, Ticket

        return (
            select(QueueEvent)
            .join(Ticket, Ticket.id == QueueEvent.ticket_id)
            .where(Ticket.site_id == site_id, Ticket.service_day == day)
        )

    def forget_people(self, client_ids: Collection[str]) -> None:
        """The tickets stay for the counts; the names they were called by go."""
        from lambdas.shared.db.models.queue import Ticket

        self.session.execute(update(Ticket).where(Ticket.client_id.in_(client_ids)).values(display_name=None))


class OrderRepository:
    """Orders, their prescriptions, events and lab submissions. The order tables are imported on
    first use: the onboarding and queue functions never map them."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, order_id: str) -> Order | None:
        from lambdas.shared.db.models.orders import Order

        return self.session.get(Order, order_id)

    def lock(self, order_id: str) -> Order | None:
        """The order, its row locked until the transaction ends: one change at a time."""
        from lambdas.shared.db.models.orders import Order

        return self.session.get(Order, order_id, with_for_update=True, populate_existing=True)

    def add(self, row: Any) -> None:
        self.session.add(row)
        self.session.flush()

    def prescription(self, prescription_id: str | None) -> Prescription | None:
        from lambdas.shared.db.models.orders import Prescription

        return None if prescription_id is None else self.session.get(Prescription, prescription_id)

    def next_prescription_version(self, client_id: str) -> int:
        """The client's next version number (the caller holds the client's row lock)."""
        from lambdas.shared.db.models.orders import Prescription

        query = select(func.max(Prescription.version)).where(Prescription.client_id == client_id)
        return (self.session.execute(query).scalar_one() or 0) + 1

    def park(self, order_id: str, status: str, waiting_for: str, token: str) -> bool:
        """``waiting.park`` in one statement, for the order still in ``status`` (see ``QueueRepository.park``)."""
        from lambdas.shared.db.models.orders import Order

        parked = self.session.execute(
            update(Order)
            .where(Order.id == order_id, Order.status == status, Order.task_token.is_distinct_from(token))
            .values(waiting_for=waiting_for, task_token=token)
            .execution_options(synchronize_session=False)
        )
        return parked.rowcount == 1

    def forget_token(self, order_id: str, token: str) -> None:
        """The answered wait's token off the row — unless another wait has parked since."""
        from lambdas.shared.db.models.orders import Order

        self.session.execute(
            update(Order)
            .where(Order.id == order_id, Order.task_token == token)
            .values(waiting_for=None, task_token=None)
            .execution_options(synchronize_session=False)
        )

    def awaiting_frame(self, site_id: str, sku: str) -> list[str]:
        """The ids of the orders waiting for this frame, oldest first, read without locking any."""
        from lambdas.shared.db.models.orders import Order
        from lambdas.shared.domain import OrderStatus

        query = (
            select(Order.id)
            .where(Order.site_id == site_id, Order.frame_sku == sku, Order.status == OrderStatus.AWAITING_FRAME)
            .order_by(Order.created_at, Order.id)
        )
        return list(self.session.scalars(query))

    def record(self, event: OrderEvent) -> None:
        self.session.add(event)

    def events(self, order_id: str) -> list[OrderEvent]:
        from lambdas.shared.db.models.orders import OrderEvent

        query = select(OrderEvent).where(OrderEvent.order_id == order_id).order_by(OrderEvent.id)
        return list(self.session.scalars(query))

    def count_events(self, order_id: str, kind: str) -> int:
        from lambdas.shared.db.models.orders import OrderEvent

        query = select(func.count()).where(OrderEvent.order_id == order_id, OrderEvent.kind == kind)
        return self.session.execute(query).scalar_one()

    def submission(self, order_id: str, attempt: int) -> LabSubmission | None:
        from lambdas.shared.db.models.orders import LabSubmission

        return self.session.get(LabSubmission, (order_id, attempt))

    def search(
        self, client_id: str | None, status: str | None, limit: int, after: tuple[datetime, str] | None = None
    ) -> list[Order]:
        """Newest first; ``after``: the (created_at, id) of the previous page's last order."""
        from lambdas.shared.db.models.orders import Order

        query = select(Order)
        if client_id is not None:
            query = query.where(Order.client_id == client_id)
        if status is not None:
            query = query.where(Order.status == status)
        if after is not None:
            created_at, order_id = after
            query = query.where(
                or_(Order.created_at < created_at, and_(Order.created_at == created_at, Order.id > order_id))
            )
        return list(self.session.scalars(query.order_by(Order.created_at.desc(), Order.id).limit(limit)))

    def open_of(self, client_ids: Collection[str]) -> list[Order]:
        """The clients' orders not over yet, locked."""
        from lambdas.shared.db.models.orders import Order
        from lambdas.shared.domain import ORDER_ENDED

        query = (
            select(Order)
            .where(Order.client_id.in_(client_ids), Order.status.not_in(ORDER_ENDED))
            .order_by(Order.created_at, Order.id)
            .with_for_update()
        )
        return list(self.session.scalars(query))

    def forget_prescriptions(self, client_ids: Collection[str]) -> None:
        """The orders stay for the counts; their prescriptions (health data) and reasons go."""
        # imported here: only erasure needs the order tables, the onboarding tasks never map them
        from lambdas.shared.db.models.orders import Order, Prescription

        self.session.execute(
            update(Order).where(Order.client_id.in_(client_ids)).values(prescription_id=None, reason=None)
        )
        self.session.execute(delete(Prescription).where(Prescription.client_id.in_(client_ids)))
