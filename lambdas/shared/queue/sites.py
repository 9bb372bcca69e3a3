"""Sites and stations as managers configure them, and what the API shows of them.

``PUT`` semantics: configuring a site or a station again replaces its settings; nothing else
changes. A journey names stations the site already has.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import cache
from typing import TYPE_CHECKING, Annotated, Literal, Protocol
from zoneinfo import ZoneInfo, available_timezones

from pydantic import ConfigDict, Field, field_validator

from lambdas.shared.clock import utcnow
from lambdas.shared.db.unit_of_work import UnitOfWork
from lambdas.shared.domain import TicketStatus
from lambdas.shared.errors import Conflict, InvalidField, NotFound
from lambdas.shared.fields import PREFIX_LENGTH, SLUG_PATTERN, TIMEZONE_LENGTH, Name, whole_number
from lambdas.shared.model import Model
from lambdas.shared.parameters import QueueParameters, read

if TYPE_CHECKING:  # tables are mapped on first use (lambdas/shared/db/unit_of_work.py)
    from lambdas.shared.db.sites.models import Site, Station

Slug = Annotated[str, Field(pattern=SLUG_PATTERN, description="lower-case letters, digits and hyphens")]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
ScreenLanguage = Literal["fr", "en"]  # the web app's languages, in which its screen announces calls
FRENCH: tuple[ScreenLanguage, ...] = ("fr",)
MIDNIGHT = "24:00"  # a closing time: the end of the day
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
ClockTime = Annotated[
    str, Field(pattern=r"^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$", description="HH:MM, local time; 24:00 is midnight")
]
MAX_STATIONS = 20


class _Settings(Model):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SiteSettings(_Settings):
    # the local site (make dev): open every day, all day, through its three stations
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "Saint-Denis",
                    "timezone": "Europe/Paris",
                    "hours": {day: ["00:00", "24:00"] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
                    "grace_seconds": 180,
                    "default_journey": ["reception", "eye-exam", "frame-fitting"],
                    "priority_streak": 3,
                    "service_minutes": 8,
                }
            ]
        }
    )

    name: Name
    timezone: Annotated[
        str,
        Field(
            max_length=TIMEZONE_LENGTH,
            description="an IANA time zone",
            json_schema_extra=lambda schema: schema.update(enum=sorted(_zones())),
        ),
    ] = "Europe/Paris"
    hours: dict[Weekday, tuple[ClockTime, ClockTime]] = Field(
        default_factory=dict, description='opening and closing time per open day: {"mon": ["09:00", "17:30"]}'
    )
    grace_seconds: Annotated[int, *whole_number(0, 3600)] | None = Field(
        None,
        description="how long a called person has to reach the counter; "
        "when not given, the stage's default (parameter queue/grace-seconds, 180 unless changed)",
    )
    default_journey: Annotated[list[Slug], Field(max_length=MAX_STATIONS)] = Field(
        default_factory=list,
        description="the stations a ticket goes through, in order (stations of this site)",
        json_schema_extra={"uniqueItems": True},
    )
    priority_streak: Annotated[int, *whole_number(1, 20)] = Field(
        3, description="at most this many priority tickets are called in a row while a normal ticket waits"
    )
    service_minutes: Annotated[int, *whole_number(1, 240)] = Field(
        8, description="a service's length for the wait estimate, until the day has measured its own"
    )
    screen_languages: Annotated[list[ScreenLanguage], Field(min_length=1, max_length=2)] = Field(
        default_factory=lambda: list(FRENCH),
        description="the languages the waiting room's screen announces each call in, in order",
        json_schema_extra={"uniqueItems": True},
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        if value not in _zones():
            raise ValueError("not an IANA time zone (e.g. Europe/Paris, Africa/Dakar)")
        return value

    @field_validator("hours")
    @classmethod
    def _opens_before_closing(cls, value: dict[str, tuple[str, str]]) -> dict[str, tuple[str, str]]:
        for day, (opens, closes) in value.items():
            if opens >= closes:
                raise ValueError(f"{day}: the site must open before it closes")
        return value

    @field_validator("default_journey")
    @classmethod
    def _each_station_once(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("a station appears twice in the journey")
        return value

    @field_validator("screen_languages")
    @classmethod
    def _each_language_once(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("a language appears twice")
        return value


class StationSettings(_Settings):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "Accueil",
                    "prefix": "A",
                    "counters": ["desk-1", "desk-2"],
                    "counter_names": {"desk-1": "Guichet 1", "desk-2": "Guichet 2"},
                }
            ]
        }
    )

    name: Name
    prefix: Annotated[str, Field(pattern=rf"^[A-Z]{{1,{PREFIX_LENGTH}}}$", description="ticket numbers: A001")]
    counters: Annotated[list[Slug], Field(min_length=1, max_length=20)] = Field(
        description="the desks that call this station's tickets", json_schema_extra={"uniqueItems": True}
    )

    counter_names: Annotated[dict[Slug, Name], Field(max_length=20)] = Field(
        default_factory=dict,
        description='what people read on the screen and in their SMS, and hear: {"desk-2": "Guichet 2"}; '
        "a counter without a name is called by its id",
        json_schema_extra={"additionalProperties": False},  # a key is a counter's id, as patternProperties says
    )

    @field_validator("counters")
    @classmethod
    def _each_counter_once(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("a counter appears twice")
        return value


HOST_ZONES = frozenset({"localtime", "Factory", "posixrules"})


@cache
def _zones() -> frozenset[str]:
    """The IANA zones, read on first use (reading them costs a cold start some 30 ms) — but for the
    names that mean the host's own zone or none (``localtime``, ``Factory``…), which differ by machine."""
    return frozenset(
        zone
        for zone in available_timezones()
        if len(zone) <= TIMEZONE_LENGTH and zone not in HOST_ZONES and not zone.startswith(("posix/", "right/"))
    )


def service_day(timezone: str, now: datetime | None = None) -> date:
    """The clinic day a check-in belongs to: the site's own date."""
    return (now or utcnow()).astimezone(ZoneInfo(timezone)).date()


class Hours(Protocol):
    """What the opening hours need of a site: a ``Site``, or a row of just these columns."""

    timezone: str
    hours: dict[str, list[str]]


def closing_time(site: Hours, now: datetime) -> datetime | None:
    """When the site closes today (its own day, in its time zone); None when it is closed now."""
    local = now.astimezone(ZoneInfo(site.timezone))
    hours = site.hours.get(WEEKDAYS[local.weekday()])
    if not hours or local < datetime.combine(local.date(), time.fromisoformat(hours[0]), local.tzinfo):
        return None  # closed today, or not open yet
    day = local.date() + timedelta(days=1) if hours[1] == MIDNIGHT else local.date()
    closes = datetime.combine(day, time.fromisoformat("00:00" if hours[1] == MIDNIGHT else hours[1]), local.tzinfo)
    return closes if local < closes else None


class StationView(Model):
    station_id: str
    name: str
    prefix: str
    counters: list[str]
    counter_names: dict[str, str]

    @classmethod
    def of(cls, station: Station) -> StationView:
        return cls(
            station_id=station.id,
            name=station.name,
            prefix=station.prefix,
            counters=list(station.counters),
            counter_names=dict(station.counter_names or {}),
        )


class SiteView(Model):
    site_id: str
    name: str
    timezone: str
    hours: dict[str, list[str]]
    grace_seconds: int
    default_journey: list[str]
    priority_streak: int
    service_minutes: int
    screen_languages: list[str]
    stations: list[StationView]

    @classmethod
    def of(cls, site: Site) -> SiteView:
        return cls(
            site_id=site.id,
            name=site.name,
            timezone=site.timezone,
            hours={day: list(times) for day, times in site.hours.items()},
            grace_seconds=site.grace_seconds,
            default_journey=list(site.default_journey),
            priority_streak=site.priority_streak,
            service_minutes=site.service_minutes,
            screen_languages=screen_languages(site),
            stations=[StationView.of(station) for station in site.stations],
        )


class SitePage(Model):
    items: list[SiteView]


def configure_site(uow: UnitOfWork, site_id: str, settings: SiteSettings, actor: str) -> SiteView:
    site = uow.sites.lock(site_id)
    known = {station.id for station in site.stations} if site is not None else set()
    for index, station_id in enumerate(settings.default_journey):
        if station_id not in known:
            raise InvalidField(
                f"default_journey.{index}",
                f"site {site_id} has no station {station_id}: PUT /sites/{site_id}/stations/{station_id} first",
            )
    if site is None:
        from lambdas.shared.db.sites.models import Site

        site = Site(id=site_id, stations=[])
        uow.sites.add(site)
    values = settings.model_dump()
    if settings.grace_seconds is None:
        values["grace_seconds"] = read(QueueParameters).grace_seconds
    values["hours"] = {day: list(times) for day, times in settings.hours.items()}
    for name, value in values.items():
        setattr(site, name, value)
    site.configured_by = actor
    uow.audit("site.configured", "site", site_id, **{key: value for key, value in values.items() if key != "name"})
    return SiteView.of(site)


def configure_station(
    uow: UnitOfWork, site_id: str, station_id: str, settings: StationSettings, actor: str
) -> StationView:
    _check_counter_names(settings)
    site = uow.sites.lock(site_id)
    if site is None:
        raise NotFound("site", site_id)
    stations = {station.id: station for station in site.stations}
    if station_id in stations:
        _keep_counters_with_a_call(uow, site, station_id, settings.counters)
    taken = [other.id for other in site.stations if other.prefix == settings.prefix and other.id != station_id]
    if taken:
        raise Conflict(f"prefix {settings.prefix} is station {taken[0]}'s at site {site_id}: choose another")
    if len(stations) >= MAX_STATIONS and station_id not in stations:
        raise Conflict(f"site {site_id} has {MAX_STATIONS} stations already")
    station = stations.get(station_id)
    if station is None:
        from lambdas.shared.db.sites.models import Station

        station = Station(site_id=site_id, id=station_id, position=len(stations))
        site.stations.append(station)
    station.name, station.prefix, station.counters = settings.name, settings.prefix, list(settings.counters)
    station.counter_names = dict(settings.counter_names)
    station.configured_by = actor
    uow.audit("station.configured", "site", site_id, station_id=station_id, prefix=settings.prefix)
    return StationView.of(station)


def _check_counter_names(settings: StationSettings) -> None:
    """Each name for one of the station's counters, and no two alike: people go where they hear."""
    seen: dict[str, str] = {}
    for counter, name in settings.counter_names.items():
        if counter not in settings.counters:
            raise InvalidField(f"counter_names.{counter}", f"{counter} is not one of the station's counters")
        if name.casefold() in seen:
            raise InvalidField(f"counter_names.{counter}", f"{name} is {seen[name.casefold()]}'s name already")
        seen[name.casefold()] = counter


def _keep_counters_with_a_call(uow: UnitOfWork, site: Site, station_id: str, counters: list[str]) -> None:
    """A counter stays while someone is called to it or served there: the board and their SMS name it."""
    day = service_day(site.timezone)
    for status in (TicketStatus.CALLED, TicketStatus.SERVING):
        for ticket in uow.queue.of_day(site.id, day, status, station_id, limit=None):
            if ticket.called_by_counter and ticket.called_by_counter not in counters:
                raise Conflict(
                    f"counter {ticket.called_by_counter} has {ticket.label} {status.value}: "
                    "keep it until they are served"
                )


def screen_languages(site: Site) -> list[str]:
    """What its screen announces calls in; a site configured before there was a choice: French."""
    return list(site.screen_languages or FRENCH)


def counter_name(site: Site, station_id: str, counter: str) -> str:
    """What people read and hear of a counter: its name in the station's settings, or its id."""
    station = next((each for each in site.stations if each.id == station_id), None)
    return ((station.counter_names or {}).get(counter) if station is not None else None) or counter


def get_site(uow: UnitOfWork, site_id: str) -> SiteView:
    site = uow.sites.get(site_id)
    if site is None:
        raise NotFound("site", site_id)
    return SiteView.of(site)


def list_sites(uow: UnitOfWork) -> SitePage:
    return SitePage(items=[SiteView.of(site) for site in uow.sites.all()])
