"""The lab, as a port: what the workflow hands a lens order to.

Every submission is first a row of the ``lab_submissions`` outbox (one per order and attempt), in
the transaction that moves the order to the lab; the adapter then hands it over. The one adapter
today records the hand-over on that row: the lab reads its orders from there (and answers on
``POST /lab/orders/{order_id}/result``). A lab with an API of its own gets an adapter here that
sends the submission, idempotent by (order, attempt).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from lambdas.shared.clock import utcnow

if TYPE_CHECKING:  # tables are mapped on first use (lambdas/shared/db/unit_of_work.py)
    from lambdas.shared.db.orders.models import LabSubmission, Order


class Lab(Protocol):
    def submit(self, order: Order, submission: LabSubmission) -> None: ...


class RecordingLab:
    """Records the hand-over on the outbox row."""

    def submit(self, order: Order, submission: LabSubmission) -> None:
        submission.handed_over_at = submission.handed_over_at or utcnow()


def adapter() -> Lab:
    return RecordingLab()
