"""The local site the README's queue walk-through uses, configured on first start (never overwritten:
what a manager changes stays changed)."""

from __future__ import annotations

from lambdas.shared.db.unit_of_work import UnitOfWork
from lambdas.shared.queue.sites import SiteSettings, StationSettings, configure_site, configure_station

SITE_ID = "saint-denis"
ACTOR = "local:seed"
# open every day, all day, so the walk-through works at any hour on a laptop
SITE = SiteSettings(
    name="Saint-Denis",
    timezone="Europe/Paris",
    hours=dict.fromkeys(("mon", "tue", "wed", "thu", "fri", "sat", "sun"), ("00:00", "24:00")),
    grace_seconds=180,
    screen_languages=["fr", "en"],
)
STATIONS = {
    "reception": StationSettings(
        name="Accueil",
        prefix="A",
        counters=["desk-1", "desk-2"],
        counter_names={"desk-1": "Guichet 1", "desk-2": "Guichet 2"},
    ),
    "eye-exam": StationSettings(
        name="Examen de vue", prefix="E", counters=["room-1"], counter_names={"room-1": "Salle 1"}
    ),
    "frame-fitting": StationSettings(
        name="Choix des montures", prefix="F", counters=["fitting-1"], counter_names={"fitting-1": "Essayage"}
    ),
}


def seed() -> bool:
    """Configure the local site unless it exists; whether it was configured now."""
    return UnitOfWork(ACTOR).run(_configure)  # one transaction: all of it, or nothing to find next time


def _configure(uow: UnitOfWork) -> bool:
    if uow.sites.get(SITE_ID) is not None:
        return False
    configure_site(uow, SITE_ID, SITE, ACTOR)
    for station_id, station in STATIONS.items():
        configure_station(uow, SITE_ID, station_id, station, ACTOR)
    configure_site(uow, SITE_ID, SITE.model_copy(update={"default_journey": list(STATIONS)}), ACTOR)
    return True
