"""Fixtures shared by every suite: environment, databases, tokens, clients."""

from __future__ import annotations

import io
import logging
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from local.config import SETTINGS_FILE

# What CDK sets on every function; set before any handler runs.
os.environ.update(
    {
        "POWERTOOLS_SERVICE_NAME": "fondation-test",
        "POWERTOOLS_METRICS_NAMESPACE": "FondationTest",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        # the stage's parameters: the local runtime's file (tests of Parameter Store set SETTINGS_PATH)
        "SETTINGS_FILE": str(SETTINGS_FILE),
    }
)

from lambdas.migrations import upgrade
from lambdas.shared.config import state_machine_variable, workflow_settings
from lambdas.shared.db.clients.models import Client
from lambdas.shared.db.engine import dispose_engine, session_factory
from lambdas.shared.db.schema import all_models
from lambdas.shared.normalize import email_key, name_key, search_name
from lambdas.shared.observability import logger
from lambdas.shared.stepfunctions import reset_workflows
from local.tokens import KeyPair
from workflows import all_workflows

pytest_plugins = ["local.sfn.pytest_plugin"]  # the in-process Step Functions, as another project uses it

MYSQL_TEST_URL = os.environ.get("MYSQL_TEST_URL", "mysql+pymysql://root@127.0.0.1:3306/")
MYSQL_HELP = (
    "the mysql tests need a MariaDB/MySQL server at {url} (set MYSQL_TEST_URL to use another). "
    "Start the machine's MariaDB with: "
    "start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd"
)


@pytest.fixture
def function_logs() -> Iterator[io.StringIO]:
    """What the functions log, as CloudWatch would receive it (their JSON lines)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logger.registered_formatter)
    logger._logger.addHandler(handler)
    yield stream
    logger._logger.removeHandler(handler)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite database, copied for each test (faster than migrating each time)."""
    path = tmp_path_factory.mktemp("db") / "template.db"
    engine = create_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def mysql_server_url() -> Iterator[str]:
    """A throwaway database on the MySQL server, migrated once and dropped after the run."""
    server = make_url(MYSQL_TEST_URL)
    admin = create_engine(server.set(database=None))
    name = f"fondation_test_{uuid.uuid4().hex[:10]}"
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f"CREATE DATABASE {name} CHARACTER SET utf8mb4")
    except Exception as error:
        pytest.fail(f"{MYSQL_HELP.format(url=server.render_as_string())}\n({error})", pytrace=False)
    url = server.set(database=name).render_as_string(hide_password=False)
    engine = create_engine(url)
    upgrade(engine)
    engine.dispose()
    try:
        yield url
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {name}")
        admin.dispose()


def _empty_mysql_tables(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.exec_driver_sql("SET FOREIGN_KEY_CHECKS=0")
        for table in all_models().sorted_tables:
            connection.execute(text(f"DELETE FROM {table.name}"))  # noqa: S608 - names from our models
        connection.exec_driver_sql("SET FOREIGN_KEY_CHECKS=1")
    engine.dispose()


@pytest.fixture(autouse=True)
def _state_machines(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every function knows the stage's state machines, as CDK configures them: an action that starts
    a workflow names its execution (a test that runs an engine points them at its own)."""
    for workflow in all_workflows():
        arn = f"arn:aws:states:us-east-1:000000000000:stateMachine:{workflow.name}"
        monkeypatch.setenv(state_machine_variable(workflow.name), arn)
    workflow_settings.cache_clear()
    yield
    workflow_settings.cache_clear()


@pytest.fixture
def step_functions_unreachable(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Nothing listens where the functions' Step Functions client is sent (a test that needs one points
    it at an engine): a signal stays in the outbox, and a route that reads executions answers 503."""
    monkeypatch.setenv("AWS_ENDPOINT_URL_SFN", "http://127.0.0.1:9")
    for variable in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(variable, "local")
    reset_workflows()
    yield
    reset_workflows()


@pytest.fixture
def database_url(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A migrated, empty database that the container's engine (and so every handler) uses for this test:
    SQLite, or the real MySQL server for tests marked with ``tests.databases.ON_BOTH_DATABASES``."""
    if getattr(request, "param", "sqlite") == "sqlite":
        path = tmp_path / "fondation.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        url = f"sqlite:///{path}"
    else:
        url = request.getfixturevalue("mysql_server_url")
        _empty_mysql_tables(url)
    monkeypatch.setenv("DATABASE_URL", url)
    dispose_engine()
    yield url
    dispose_engine()


@pytest.fixture
def sessions(database_url: str) -> sessionmaker[Session]:
    """Sessions on the container's engine, configured as the handlers' are."""
    return session_factory()


@pytest.fixture
def make_client(sessions: sessionmaker[Session]) -> Callable[..., Client]:
    """Insert a client directly, as onboarding would have left it."""

    def make(**fields: Any) -> Client:
        values: dict[str, Any] = {
            "first_name": "Amina",
            "last_name": "Diallo",
            "birth_date": date(1961, 4, 2),
            "phone": "+33612345678",
            "email": None,
            "language": "fr",
            "created_by": "test",
            "status": "active",
        }
        values.update(fields)
        client = Client(**values)
        client.search_name = search_name(client.first_name, client.last_name)
        client.name_key = name_key(client.first_name, client.last_name)
        client.email_key = email_key(client.email)
        with sessions.begin() as session:
            session.add(client)
        return client

    return make


@pytest.fixture(scope="session")
def token_keys(tmp_path_factory: pytest.TempPathFactory) -> KeyPair:
    return KeyPair.load_or_create(tmp_path_factory.mktemp("keys"))
