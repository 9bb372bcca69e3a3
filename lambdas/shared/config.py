"""Settings read from the environment once per container, validated at cold start.

CDK sets these variables in AWS; locally they default to values that just work.
Logic never reads ``os.environ``: it asks for a settings model.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path
from typing import Self

from pydantic import ConfigDict, Field, field_validator, model_validator

from lambdas.shared.model import Model


class _EnvSettings(Model):
    """Settings read from the environment; field aliases are the variable names."""

    model_config = ConfigDict(frozen=True, populate_by_name=True, extra="ignore")

    @classmethod
    def from_env(cls) -> Self:
        return cls.model_validate(dict(os.environ))


class DatabaseSettings(_EnvSettings):
    """Either a full ``DATABASE_URL`` or the Aurora settings for IAM authentication."""

    url: str | None = Field(None, alias="DATABASE_URL")
    host: str | None = Field(None, alias="DB_HOST")
    port: int = Field(3306, alias="DB_PORT")
    user: str | None = Field(None, alias="DB_USER")
    name: str | None = Field(None, alias="DB_NAME")
    region: str | None = Field(None, alias="AWS_REGION")
    ca_bundle: str | None = Field(None, alias="DB_CA_BUNDLE")

    @model_validator(mode="after")
    def _url_or_aurora(self) -> Self:
        aurora = (self.host, self.user, self.name, self.region)
        if self.url is None and not all(aurora):
            raise ValueError("set DATABASE_URL, or DB_HOST, DB_USER, DB_NAME and AWS_REGION for IAM authentication")
        return self


class ObservabilitySettings(_EnvSettings):
    in_lambda: bool = Field(False, alias="LAMBDA_TASK_ROOT")
    trace_disabled: bool = Field(False, alias="POWERTOOLS_TRACE_DISABLED")

    @field_validator("in_lambda", mode="before")
    @classmethod
    def _set_means_true(cls, value: object) -> bool:
        return bool(value)

    @property
    def tracing_enabled(self) -> bool:
        return self.in_lambda and not self.trace_disabled


class ApiSettings(_EnvSettings):
    """What the API function needs beyond the database and the workflows."""

    allowed_origins: str = Field("", alias="ALLOWED_ORIGINS", description="comma-separated CORS origins")

    @property
    def origins(self) -> list[str]:
        return [origin.strip() for origin in self.allowed_origins.split(",") if origin.strip()]


class NotificationSettings(_EnvSettings):
    """How messages leave: ``NOTIFY_MAILBOX`` (the local runtime's) delivers to a directory instead of
    the providers (who they come from is a per-stage parameter: ``lambdas.shared.parameters``)."""

    mailbox: str | None = Field(None, alias="NOTIFY_MAILBOX", description="a directory: no provider")
    smtp_secret_arn: str | None = Field(
        None, alias="SMTP_SECRET_ARN", description="the SES SMTP user's access key: e-mail goes by SMTP"
    )
    smtp_host: str | None = Field(None, alias="SMTP_HOST", description="default: email-smtp.<region>.amazonaws.com")
    region: str | None = Field(None, alias="AWS_REGION")
    dispatcher_function: str | None = Field(
        None, alias="DISPATCHER_FUNCTION", description="invoked right after a message is queued"
    )


class ParameterSource(_EnvSettings):
    """Where the per-stage settings (``lambdas.shared.parameters``) come from: Parameter Store under
    ``SETTINGS_PATH`` (set by CDK), or a TOML file (``SETTINGS_FILE``, the local runtime's)."""

    path: str | None = Field(None, alias="SETTINGS_PATH", pattern=r"^(/[A-Za-z0-9_.-]+)+$")
    file: Path | None = Field(None, alias="SETTINGS_FILE")

    @model_validator(mode="after")
    def _one_of_them(self) -> Self:
        if (self.path is None) == (self.file is None):
            raise ValueError("set SETTINGS_PATH (Parameter Store, e.g. /fondation/dev) or SETTINGS_FILE (a TOML file)")
        return self

    def name(self, group: str, key: str) -> str:
        """How a person finds a parameter: its full name, or its table and key in the file."""
        return f"{self.path}/{group}/{key}" if self.path else f"{self.file} [{group}] {key}"


class WorkflowSettings(_EnvSettings):
    """The state machines the API starts: ``STATE_MACHINE_ARN_<NAME>`` per workflow (set by CDK)."""

    state_machine_arns: dict[str, str]

    @classmethod
    def from_env(cls) -> Self:
        prefix = "STATE_MACHINE_ARN_"
        arns = {
            name[len(prefix) :].lower().replace("_", "-"): value
            for name, value in os.environ.items()
            if name.startswith(prefix)
        }
        return cls(state_machine_arns=arns)

    def arn(self, workflow: str) -> str:
        try:
            return self.state_machine_arns[workflow]
        except KeyError:
            variable = state_machine_variable(workflow)
            raise LookupError(f"{variable} is not set: the API does not know the {workflow} state machine") from None


def state_machine_variable(workflow: str) -> str:
    """The environment variable that gives the API a workflow's state machine ARN."""
    return "STATE_MACHINE_ARN_" + workflow.upper().replace("-", "_")


@cache
def database_settings() -> DatabaseSettings:
    return DatabaseSettings.from_env()


@cache
def observability_settings() -> ObservabilitySettings:
    return ObservabilitySettings.from_env()


@cache
def api_settings() -> ApiSettings:
    return ApiSettings.from_env()


@cache
def notification_settings() -> NotificationSettings:
    return NotificationSettings.from_env()


@cache
def parameter_source() -> ParameterSource:
    return ParameterSource.from_env()


@cache
def workflow_settings() -> WorkflowSettings:
    return WorkflowSettings.from_env()
