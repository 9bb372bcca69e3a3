"""The calling order's two forms agree: the class Python gives one ticket (a wait estimate's "ahead of
you") is the class the database gives it when it sorts the queue, for every kind of ticket."""

from datetime import timedelta
from itertools import product

from sqlalchemy import select

from lambdas.shared.clock import utcnow
from lambdas.shared.db.queue.calling_order import rank, rank_in_sql
from lambdas.shared.db.queue.models import Ticket
from lambdas.shared.db.unit_of_work import UnitOfWork
from lambdas.shared.domain import TicketPriority
from local.seed import SITE_ID, seed
from tests.databases import ON_BOTH_DATABASES

pytestmark = ON_BOTH_DATABASES

NOW = utcnow()
APPOINTMENTS = (None, NOW - timedelta(minutes=5), NOW, NOW + timedelta(minutes=5))


def test_both_forms_give_every_kind_of_ticket_the_same_class(database_url: str) -> None:
    seed()
    kinds = list(product((False, True), TicketPriority, APPOINTMENTS))
    with UnitOfWork("test") as uow:
        for number, (recalled, priority, appointment_at) in enumerate(kinds, start=1):
            place = {"site_id": SITE_ID, "service_day": NOW.date(), "station_id": "reception", "journey": ["reception"]}
            kind = {"recalled": recalled, "priority": priority, "appointment_at": appointment_at}
            uow.session.add(Ticket(id=f"t-{number}", prefix="A", number=number, checked_in_by="test", **place, **kind))
    for normal_first in (False, True):
        with UnitOfWork("test") as uow:
            in_sql = dict(uow.session.execute(select(Ticket.id, rank_in_sql(NOW, normal_first=normal_first))).all())
        in_python = {
            f"t-{number}": rank(recalled, priority, appointment_at, NOW, normal_first=normal_first)
            for number, (recalled, priority, appointment_at) in enumerate(kinds, start=1)
        }
        assert in_sql == in_python
        assert len(set(in_python.values())) == 4  # recalled, priority, due, others: each class is met
