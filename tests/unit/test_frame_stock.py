"""The shelf's count changes in one conditional statement: the last frame is taken once, and taking
from an empty shelf changes nothing and raises nothing. The rule itself, not the database's CHECK
behind it, answers the second order."""

from lambdas.shared.db.unit_of_work import UnitOfWork
from lambdas.shared.orders.frames import FrameSettings, set_stock
from local.seed import SITE_ID, seed
from tests.databases import ON_BOTH_DATABASES

pytestmark = ON_BOTH_DATABASES


def test_the_last_frame_is_taken_once_and_an_empty_shelf_gives_none(database_url: str) -> None:
    seed()
    with UnitOfWork("manager") as uow:
        set_stock(uow, SITE_ID, "RAY-01", FrameSettings(description="Acetate", kind="donated", quantity=1), "manager")
    takes = []
    for _ in range(2):
        with UnitOfWork("workflow") as uow:
            takes.append(uow.frames.take_one(SITE_ID, "RAY-01"))
    assert takes == [True, False]
    with UnitOfWork("test") as uow:
        assert uow.frames.get(SITE_ID, "RAY-01").quantity == 0
        assert uow.frames.take_one(SITE_ID, "NO-SUCH-SKU") is False
