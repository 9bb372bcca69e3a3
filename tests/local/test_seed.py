"""The local site is there after the first start, and a manager's changes survive the next one."""

from __future__ import annotations

from lambdas.shared.db.unit_of_work import UnitOfWork
from lambdas.shared.queue.sites import SiteSettings, configure_site, get_site
from local.seed import SITE_ID, STATIONS, seed
from tests.databases import ON_BOTH_DATABASES


@ON_BOTH_DATABASES
def test_the_first_start_configures_the_local_site_and_later_ones_change_nothing(database_url: str) -> None:
    assert seed() is True
    with UnitOfWork("test") as uow:
        site = get_site(uow, SITE_ID)
    assert [station.station_id for station in site.stations] == list(STATIONS)
    assert site.default_journey == list(STATIONS)
    assert {station.prefix for station in site.stations} == {"A", "E", "F"}
    # a manager changes the grace period; the next start keeps it
    with UnitOfWork("manager") as uow:
        configure_site(uow, SITE_ID, SiteSettings(name="Saint-Denis", grace_seconds=60), "manager")
    assert seed() is False
    with UnitOfWork("test") as uow:
        assert get_site(uow, SITE_ID).grace_seconds == 60
