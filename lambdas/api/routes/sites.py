"""Sites and their stations: managers configure them, the front desk and managers read them."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body, Path

from lambdas.api.access import CONFIGURE_SITES, READ_RECORDS, Routes
from lambdas.api.caller import actor
from lambdas.shared.fields import SLUG_PATTERN
from lambdas.shared.queue import sites
from lambdas.shared.queue.sites import SiteView, StationView

routes = Routes("queue")

SiteId = Annotated[str, Path(pattern=SLUG_PATTERN, description="the site's id, e.g. saint-denis")]
StationId = Annotated[str, Path(pattern=SLUG_PATTERN, description="the station's id, e.g. eye-exam")]


@routes.put(
    "/sites/{site_id}",
    allow=CONFIGURE_SITES,
    summary="Create or replace a site's settings: hours, grace period, default journey",
)
def handle_configure_site(site_id: SiteId, settings: Annotated[sites.SiteSettings, Body()]) -> SiteView:
    caller = actor(routes.router)
    return caller.run(sites.configure_site, site_id, settings, caller.name)


@routes.put(
    "/sites/{site_id}/stations/{station_id}",
    allow=CONFIGURE_SITES,
    summary="Create or replace a station of a site: its name, ticket prefix and counters",
    responses={409: "another station of the site has this prefix, or the site has its maximum of stations"},
)
def handle_configure_station(
    site_id: SiteId, station_id: StationId, settings: Annotated[sites.StationSettings, Body()]
) -> StationView:
    caller = actor(routes.router)
    return caller.run(sites.configure_station, site_id, station_id, settings, caller.name)


@routes.get("/sites", allow=READ_RECORDS, summary="Every site, with its stations")
def handle_list_sites() -> sites.SitePage:
    return actor(routes.router).run(sites.list_sites)


@routes.get("/sites/{site_id}", allow=READ_RECORDS, summary="A site, with its stations")
def handle_get_site(site_id: SiteId) -> SiteView:
    return actor(routes.router).run(sites.get_site, site_id)
