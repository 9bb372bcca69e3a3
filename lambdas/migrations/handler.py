"""The migrations function, run by a CDK trigger when a deploy ships new code.

It connects as the cluster's administrator (credentials from the cluster's secret), makes sure the
database and its IAM database users exist — the application's may read and write rows, never change
the schema; ops' may only read (through the bastion, README "Ops") — then upgrades the schema to
the newest revision.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import Field
from sqlalchemy import URL, Engine, create_engine, text

from lambdas.migrations import current_revision, knows, upgrade
from lambdas.shared.config import _EnvSettings
from lambdas.shared.db.engine import tls_context
from lambdas.shared.observability import logger

IAM_AUTHENTICATION = "IDENTIFIED WITH AWSAuthenticationPlugin AS 'RDS'"  # Aurora MySQL's IAM plugin
_IDENTIFIER = re.compile(r"^[A-Za-z0-9_]{1,32}$")


class MigrationSettings(_EnvSettings):
    secret_arn: str = Field(alias="DB_ADMIN_SECRET_ARN")
    database: str = Field(alias="DB_NAME")
    app_user: str = Field(alias="DB_USER")
    readonly_user: str | None = Field(None, alias="DB_READONLY_USER")
    ca_bundle: str | None = Field(None, alias="DB_CA_BUNDLE")
    require_tls: bool = Field(True, alias="DB_REQUIRE_TLS")


def bootstrap_statements(database: str, app_user: str, readonly_user: str | None = None) -> list[str]:
    """Idempotent SQL that creates the database, the application user with DML rights only, and
    ops' read-only user."""
    for name in (database, app_user, readonly_user or "_"):
        if not _IDENTIFIER.match(name):
            raise ValueError(f"refusing to put {name!r} in SQL: letters, digits and _ only")
    statements = [
        f"CREATE DATABASE IF NOT EXISTS `{database}` CHARACTER SET utf8mb4",
        f"CREATE USER IF NOT EXISTS '{app_user}'@'%' {IAM_AUTHENTICATION}".rstrip(),
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON `{database}`.* TO '{app_user}'@'%'",
    ]
    if readonly_user:
        statements += [
            f"CREATE USER IF NOT EXISTS '{readonly_user}'@'%' {IAM_AUTHENTICATION}".rstrip(),
            f"GRANT SELECT ON `{database}`.* TO '{readonly_user}'@'%'",
        ]
    return statements


def admin_engine(secret: dict[str, Any], settings: MigrationSettings, database: str | None = None) -> Engine:
    url = URL.create(
        "mysql+pymysql",
        username=secret["username"],
        password=secret["password"],
        host=secret["host"],
        port=int(secret.get("port", 3306)),
        database=database,
        query={"charset": "utf8mb4"},
    )
    connect_args = {"ssl": tls_context(settings.ca_bundle)} if settings.require_tls else {}
    return create_engine(url, connect_args=connect_args, pool_pre_ping=True, hide_parameters=True)


def migrate(secret: dict[str, Any], settings: MigrationSettings) -> str | None:
    server = admin_engine(secret, settings)
    with server.begin() as connection:
        for statement in bootstrap_statements(settings.database, settings.app_user, settings.readonly_user):
            connection.execute(text(statement))  # text() escapes the % of '%' for PyMySQL
    server.dispose()
    engine = admin_engine(secret, settings, settings.database)
    try:
        current = current_revision(engine)
        if current is not None and not knows(current):
            # A stack update rolling back runs the previous code's trigger: the schema a newer deploy
            # migrated stays (its migrations keep the previous code working), and the rollback goes on.
            logger.warning("schema newer than this code: left as it is", extra={"revision": current})
            return current
        upgrade(engine)
        return current_revision(engine)
    finally:
        engine.dispose()


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    from aws_lambda_powertools.utilities import parameters

    settings = MigrationSettings.from_env()
    secret = parameters.get_secret(settings.secret_arn, transform="json")
    revision = migrate(secret, settings)
    logger.info("schema migrated", extra={"revision": revision, "database": settings.database})
    return {"revision": revision}
