"""The migrations function: bootstraps the database and its IAM user, then upgrades, idempotently."""

import json
import uuid

import boto3
import pytest
from moto import mock_aws
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from lambdas.migrations import handler as migrations
from tests.conftest import MYSQL_TEST_URL
from tests.events import lambda_context


def test_bootstrap_creates_ops_read_only_iam_user_when_named() -> None:
    statements = migrations.bootstrap_statements("fondation", "fondation_app", "fondation_readonly")
    assert statements[3:] == [
        "CREATE USER IF NOT EXISTS 'fondation_readonly'@'%' IDENTIFIED WITH AWSAuthenticationPlugin AS 'RDS'",
        "GRANT SELECT ON `fondation`.* TO 'fondation_readonly'@'%'",
    ]
    with pytest.raises(ValueError, match="letters, digits and _ only"):
        migrations.bootstrap_statements("fondation", "fondation_app", "ops'@'%")


def test_bootstrap_creates_an_iam_user_with_row_rights_only() -> None:
    statements = migrations.bootstrap_statements("fondation", "fondation_app")
    assert statements == [
        "CREATE DATABASE IF NOT EXISTS `fondation` CHARACTER SET utf8mb4",
        "CREATE USER IF NOT EXISTS 'fondation_app'@'%' IDENTIFIED WITH AWSAuthenticationPlugin AS 'RDS'",
        "GRANT SELECT, INSERT, UPDATE, DELETE ON `fondation`.* TO 'fondation_app'@'%'",
    ]


@pytest.mark.parametrize("name", ["x; DROP TABLE clients", "a'b", "", "x" * 33])
def test_bootstrap_refuses_names_that_are_not_plain_identifiers(name: str) -> None:
    with pytest.raises(ValueError, match="letters, digits and _ only"):
        migrations.bootstrap_statements(name, "fondation_app")


@pytest.mark.mysql
def test_the_handler_migrates_a_real_server_twice_without_harm(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given the admin secret in Secrets Manager (moto) pointing at the MariaDB test server
    server = make_url(MYSQL_TEST_URL)
    database, user = f"fondation_mig_{uuid.uuid4().hex[:8]}", f"app_{uuid.uuid4().hex[:8]}"
    reader = f"ro_{uuid.uuid4().hex[:8]}"
    secret = {"username": server.username, "password": server.password or "", "host": server.host, "port": server.port}
    monkeypatch.setattr(migrations, "IAM_AUTHENTICATION", "")  # MariaDB has no AWS IAM plugin
    with mock_aws():
        arn = boto3.client("secretsmanager").create_secret(Name="admin", SecretString=json.dumps(secret))["ARN"]
        env = {
            "DB_ADMIN_SECRET_ARN": arn,
            "DB_NAME": database,
            "DB_USER": user,
            "DB_READONLY_USER": reader,
            "DB_REQUIRE_TLS": "false",
        }
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        try:
            # When the trigger runs it, and again on the next deploy
            first = migrations.handler({}, lambda_context("migrations"))
            again = migrations.handler({}, lambda_context("migrations"))
            # Then the schema is at head both times and the user may only touch rows
            assert first == again
            assert first["revision"]
            admin = create_engine(server.set(database=database))
            # and a rollback's trigger (the previous code, meeting a schema a newer deploy migrated)
            # leaves it as it is instead of failing the rollback
            with admin.begin() as connection:
                connection.execute(text("UPDATE alembic_version SET version_num = '9999_from_the_next_deploy'"))
            assert migrations.handler({}, lambda_context("migrations")) == {"revision": "9999_from_the_next_deploy"}
            with admin.connect() as connection:
                tables = {row[0] for row in connection.execute(text("SHOW TABLES"))}
                grants = " ".join(row[0] for row in connection.execute(text(f"SHOW GRANTS FOR '{user}'@'%'")))
            admin.dispose()
            assert {"clients", "sites", "stations", "orders", "alembic_version"} <= tables
            assert "SELECT, INSERT, UPDATE, DELETE" in grants
            assert "ALTER" not in grants
            assert "CREATE" not in grants.split(" ON ")[-1]
            # and ops' user reads every table and writes none
            ops = create_engine(server.set(username=reader, password=None, database=database))
            with ops.connect() as connection:
                assert connection.execute(text("SELECT COUNT(*) FROM clients")).scalar_one() == 0
                with pytest.raises(OperationalError, match="1142"):  # command denied
                    connection.execute(text("DELETE FROM clients"))
            ops.dispose()
        finally:
            cleanup = create_engine(server)
            with cleanup.begin() as connection:
                connection.execute(text(f"DROP DATABASE IF EXISTS {database}"))
                connection.execute(text(f"DROP USER IF EXISTS '{user}'@'%'"))
                connection.execute(text(f"DROP USER IF EXISTS '{reader}'@'%'"))
            cleanup.dispose()
