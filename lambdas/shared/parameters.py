"""Per-stage settings that may change without a deploy, read from SSM Parameter Store.

Each group of settings is one path, ``/fondation/<stage>/<group>/<name>``, read at once
(GetParametersByPath) through Powertools parameters and cached five minutes: a changed value reaches
every function within that time, with no deploy. The group's model validates the values when they
are first used; a missing or invalid one is ``SettingsInvalid`` naming the parameter.

Where they come from is the function's environment: ``SETTINGS_PATH`` (``/fondation/<stage>``, set by
CDK) reads Parameter Store; ``SETTINGS_FILE`` reads the same names from a TOML file, one table per
group (the local runtime's ``local/settings.toml``). Values are strings in Parameter Store, so the
file's are read as strings too: both go through the same validation.
"""

from __future__ import annotations

import tomllib
from decimal import Decimal
from functools import cache, lru_cache
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from pydantic import ConfigDict, Field, ValidationError, field_validator, model_validator

from lambdas.shared.config import ParameterSource, parameter_source
from lambdas.shared.errors import SettingsInvalid, SettingsUnavailable
from lambdas.shared.model import Model

MAX_AGE_SECONDS = 300  # Powertools' default
MAX_ORDER_DAYS = 300  # of an order's waits: a Standard execution lasts a year at most


class ParameterGroup(Model):
    """Settings read together from one path; a field's alias is its parameter's name."""

    model_config = ConfigDict(frozen=True, populate_by_name=True, extra="ignore")
    group: ClassVar[str]


class IntakeParameters(ParameterGroup):
    group = "intake"
    default_phone_region: str = Field(
        "FR",
        alias="default-phone-region",
        pattern=r"^[A-Z]{2}$",
        description="the country of the national numbers the front desk types",
    )

    @field_validator("default_phone_region")
    @classmethod
    def _numbering_plan(cls, value: str) -> str:
        from phonenumbers import SUPPORTED_REGIONS

        if value not in SUPPORTED_REGIONS:  # ZZ passes the pattern, and no number could be read
            raise ValueError("not a country with a numbering plan (FR, BE, SN, …)")
        return value


class QueueParameters(ParameterGroup):
    group = "queue"
    grace_seconds: int = Field(
        180,
        alias="grace-seconds",
        ge=0,
        le=3600,
        description="a site's time for a called person to reach the counter, when PUT /sites gives none",
    )


class OrderParameters(ParameterGroup):
    group = "orders"
    max_sphere: Decimal = Field(  # type: ignore[call-overload]  # a Decimal multiple_of (typed float) stays exact
        Decimal(20),
        alias="max-sphere",
        ge=1,
        le=30,
        multiple_of=Decimal("0.25"),
        description="the strongest sphere ordered, dioptres, either sign",
    )
    max_cylinder: Decimal = Field(  # type: ignore[call-overload]  # a Decimal multiple_of, as above
        Decimal(6),
        alias="max-cylinder",
        ge=1,
        le=10,
        multiple_of=Decimal("0.25"),
        description="the strongest cylinder ordered, dioptres",
    )
    prescription_max_age_days: int = Field(
        730, alias="prescription-max-age-days", gt=0, le=3650, description="the oldest prescription an order takes"
    )
    lab_timeout_days: int = Field(
        30,
        alias="lab-timeout-days",
        gt=0,
        le=365,
        description="from the first submission to the lab to its cancellation",
    )
    pickup_reminder_days: int = Field(
        7, alias="pickup-reminder-days", gt=0, le=60, description="between two pickup reminders"
    )
    pickup_reminders: int = Field(
        3, alias="pickup-reminders", ge=0, le=10, description="reminders before the glasses are uncollected"
    )

    @model_validator(mode="after")
    def _within_an_execution(self) -> OrderParameters:
        # a Standard execution lives a year at most: the lab's time and every pickup wait must fit in it
        days = self.lab_timeout_days + self.pickup_reminder_days * (self.pickup_reminders + 1)
        if days > MAX_ORDER_DAYS:
            raise ValueError(
                f"lab-timeout-days + pickup-reminder-days * (pickup-reminders + 1) is {days} days: at most "
                f"{MAX_ORDER_DAYS} fit in an execution, with the quality check and the frame's wait"
            )
        return self


class NotificationParameters(ParameterGroup):
    group = "notifications"
    sms_sender_id: str = Field(
        "FONDATION", alias="sms-sender-id", pattern=r"^[A-Za-z0-9]{1,11}$", description="the name an SMS comes from"
    )
    email_sender: str = Field(
        "accueil@fondation-optical-center.org",
        alias="email-sender",
        pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$",
        description="the address e-mails come from (verified in SES)",
    )

    @field_validator("sms_sender_id")
    @classmethod
    def _a_letter(cls, value: str) -> str:
        if not any(character.isalpha() for character in value):  # carriers refuse a sender id of digits
            raise ValueError("a sender id needs at least one letter")
        return value


GROUPS: tuple[type[ParameterGroup], ...] = (IntakeParameters, QueueParameters, OrderParameters, NotificationParameters)
Group = TypeVar("Group", bound=ParameterGroup)


def read(model: type[Group]) -> Group:
    """The group's settings, from the cache while they are fresh; ``SettingsInvalid`` names each
    missing or invalid parameter, ``SettingsUnavailable`` says Parameter Store could not be read."""
    from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError

    source, provider = _provider()
    where = f"{source.path}/{model.group}" if source.path else model.group
    try:
        values = provider.get_multiple(where, max_age=MAX_AGE_SECONDS)
    except GetParameterError as error:  # Parameter Store out of reach: retry; a broken local file: mend it
        failure = SettingsUnavailable if source.path else SettingsInvalid
        raise failure(f"could not read {source.name(model.group, '*')}: {error}") from None
    validated: Group = _validated(model, source, tuple(sorted(values.items())))  # lru_cache drops the type
    return validated


@lru_cache(maxsize=32)
def _validated(model: type[Group], source: ParameterSource, values: tuple[tuple[str, str], ...]) -> Group:
    given = dict(values)
    # every parameter must be there: the models' defaults are what CDK creates, never a silent fallback
    problems = [
        f"{source.name(model.group, str(field.alias))} is missing"
        for field in model.model_fields.values()
        if field.alias not in given
    ]
    try:
        validated = model.model_validate(given)
    except ValidationError as error:
        for problem in error.errors():
            if not problem["loc"]:  # a rule across the group's parameters
                problems.append(f"{source.name(model.group, '').rstrip('/ ')}: {problem['msg']}")
            else:  # a missing one is named above: every field has a default, so none is "missing" here
                name = source.name(model.group, str(problem["loc"][0]))
                problems.append(f"{name} is invalid: {problem['msg']} (it is {problem['input']!r})")
    if problems:
        raise SettingsInvalid("; ".join(problems))
    return validated


@cache
def _provider() -> tuple[ParameterSource, Any]:
    """The source and its provider, once per container: the provider holds the cache."""
    try:
        source = parameter_source()
    except ValidationError as error:
        raise SettingsInvalid(error.errors()[0]["msg"].removeprefix("Value error, ")) from None
    if source.path:
        from aws_lambda_powertools.utilities.parameters import SSMProvider

        return source, SSMProvider()
    assert source.file is not None
    return source, _file_provider(source.file)


def _file_provider(file: Path) -> Any:
    from aws_lambda_powertools.utilities.parameters.base import BaseProvider

    class FileProvider(BaseProvider):
        """A TOML file's tables as Parameter Store paths: ``[orders]`` holds ``orders/*``."""

        def _get(self, name: str, **sdk_options: Any) -> str:
            group, _, key = name.rpartition("/")
            return self._get_multiple(group)[key]

        def _get_multiple(self, path: str, **sdk_options: Any) -> dict[str, str]:
            table = tomllib.loads(file.read_text(encoding="utf-8")).get(path, {})
            return {key: _as_string(value) for key, value in table.items()}

    return FileProvider()  # type: ignore[no-untyped-call]  # BaseProvider.__init__ is unannotated


def _as_string(value: object) -> str:
    """As Parameter Store holds it: ``true``, not ``True``."""
    return str(value).lower() if isinstance(value, bool) else str(value)
