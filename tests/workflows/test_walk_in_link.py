"""A walk-in's ticket linked to the client they were onboarded as the same morning."""

from collections.abc import Callable

from sqlalchemy import select

from lambdas.shared.db.clients.models import Client
from lambdas.shared.db.queue.models import Ticket
from lambdas.shared.db.unit_of_work import UnitOfWork
from tests.databases import ON_BOTH_DATABASES
from tests.matrix import FAKE_ID
from tests.workflows.conftest import Queue

pytestmark = ON_BOTH_DATABASES


def _link(queue: Queue, ticket_id: str, client_id: str) -> tuple[int, dict]:
    return queue.post(f"/tickets/{ticket_id}/client", {"client_id": client_id})


def test_a_walk_in_onboarded_this_morning_keeps_their_place_as_the_client(
    queue: Queue, make_client: Callable[..., Client]
) -> None:
    # Given Moussa checked in by first name, then onboarded while he waits
    ticket = queue.check_in(display_name="Moussa")
    moussa = make_client(first_name="Moussa", last_name="Keita", phone=None)
    # When the front desk links his ticket to his new record
    status, linked = _link(queue, ticket["ticket_id"], moussa.id)
    # Then the ticket is his, in the same place, and the first name it carried is gone (the record has it)
    assert status == 200, linked
    assert (linked["client_id"], linked["display_name"], linked["status"]) == (moussa.id, None, "waiting")
    assert linked["position"] == ticket["position"]
    # and linking it again changes nothing
    assert _link(queue, ticket["ticket_id"], moussa.id) == (
        200,
        {**linked, "estimated_wait_minutes": linked["estimated_wait_minutes"]},
    )


def test_a_ticket_is_one_clients_and_of_today(queue: Queue, make_client: Callable[..., Client]) -> None:
    ticket = queue.check_in(display_name="Awa")["ticket_id"]
    awa = make_client(first_name="Awa", last_name="Sow", phone=None)
    other = make_client(first_name="Binta", last_name="Sow", phone="+33611111111")
    erased = make_client(status="erased", phone=None)
    # an unknown client names the field; an erased one is refused; nothing changed
    status, body = _link(queue, ticket, FAKE_ID)
    assert (status, [detail["field"] for detail in body["details"]]) == (422, ["body.client_id"])
    assert _link(queue, ticket, erased.id)[0] == 409
    assert queue.ticket(ticket)["display_name"] == "Awa"
    # once linked, it is no one else's
    assert _link(queue, ticket, awa.id)[0] == 200
    status, body = _link(queue, ticket, other.id)
    assert (status, "another client's" in body["message"]) == (409, True)
    # and yesterday's ticket is not linked today
    yesterday = queue.check_in(display_name="Lea")["ticket_id"]
    with UnitOfWork("test") as uow:
        row = uow.session.scalars(select(Ticket).where(Ticket.id == yesterday)).one()
        row.service_day = (
            row.service_day.replace(day=1)
            if row.service_day.day > 1
            else row.service_day.replace(month=1, year=row.service_day.year - 1)
        )
    status, body = _link(queue, yesterday, awa.id)
    assert (status, "only a ticket of today" in body["message"]) == (409, True)
    assert _link(queue, FAKE_ID, awa.id)[0] == 404
