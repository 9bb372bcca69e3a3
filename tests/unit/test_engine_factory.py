"""The engine factory: DATABASE_URL, or Aurora with an IAM token over TLS, built once and lazily."""

import ssl
from typing import Any

import pymysql
import pytest
from moto import mock_aws
from pydantic import ValidationError
from sqlalchemy import text

from lambdas.shared.config import DatabaseSettings
from lambdas.shared.db import engine as engine_module
from lambdas.shared.db.engine import TOKEN_REFRESH_SECONDS, IamTokenProvider, build_engine
from tests.databases import ON_BOTH_DATABASES

AURORA = {
    "DB_HOST": "fondation.cluster-abc.eu-west-3.rds.amazonaws.com",
    "DB_PORT": "3306",
    "DB_USER": "fondation_app",
    "DB_NAME": "fondation",
    "AWS_REGION": "eu-west-3",
}


class _Refused(Exception):
    pass


def test_settings_need_a_url_or_the_aurora_settings() -> None:
    with pytest.raises(ValidationError, match="set DATABASE_URL, or DB_HOST"):
        DatabaseSettings.model_validate({"DB_HOST": "somewhere"})


def test_iam_path_connects_with_the_token_as_password_over_verified_tls(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given Aurora settings and a token provider
    seen: dict[str, Any] = {}

    def fake_connect(*args: Any, **kwargs: Any) -> None:
        seen.update(kwargs)
        raise _Refused

    monkeypatch.setattr(pymysql, "connect", fake_connect)
    engine = build_engine(DatabaseSettings.model_validate(AURORA), token_provider=lambda: "iam-token-1")
    # When a connection is opened
    with pytest.raises(Exception) as raised:  # noqa: PT011 - SQLAlchemy wraps the driver's exception
        engine.connect()
    assert isinstance(raised.value.__cause__ or raised.value, _Refused | Exception)
    # Then PyMySQL got the token as password, the IAM user and database, and a verifying TLS context
    assert seen["password"] == "iam-token-1"
    assert seen["user"] == "fondation_app"
    assert seen["host"] == AURORA["DB_HOST"]
    assert seen["database"] == "fondation"
    assert isinstance(seen["ssl"], ssl.SSLContext)
    assert seen["ssl"].verify_mode == ssl.CERT_REQUIRED
    assert seen["ssl"].check_hostname is True
    assert (seen["connect_timeout"], seen["read_timeout"], seen["write_timeout"]) == (3, 6, 6)
    # and a lock wait gives up before a read does: busy, not a lost connection
    assert seen["init_command"] == "SET SESSION innodb_lock_wait_timeout = 4"


def test_iam_token_is_generated_by_rds_for_the_cluster_user() -> None:
    settings = DatabaseSettings.model_validate(AURORA)
    with mock_aws():
        token = IamTokenProvider(settings)()
    assert token.startswith(f"{AURORA['DB_HOST']}:3306/?")
    assert "Action=connect" in token
    assert "DBUser=fondation_app" in token


def test_iam_token_is_reused_while_fresh_and_regenerated_before_expiry() -> None:
    # Given a provider on a controllable clock
    now = [1000.0]
    generated: list[str] = []

    def generate() -> str:
        generated.append(f"token-{len(generated) + 1}")
        return generated[-1]

    provider = IamTokenProvider(DatabaseSettings.model_validate(AURORA), generate=generate, clock=lambda: now[0])
    # When connections open over time
    first = provider()
    now[0] += TOKEN_REFRESH_SECONDS - 1
    still_first = provider()
    now[0] += 1
    refreshed = provider()
    # Then the token is regenerated once it is 10 minutes old, well before the 15-minute expiry
    assert (first, still_first, refreshed) == ("token-1", "token-1", "token-2")
    assert TOKEN_REFRESH_SECONDS < 15 * 60


def test_every_new_connection_asks_the_provider(monkeypatch: pytest.MonkeyPatch) -> None:
    passwords: list[str] = []

    def fake_connect(*args: Any, **kwargs: Any) -> None:
        passwords.append(kwargs["password"])
        raise _Refused

    monkeypatch.setattr(pymysql, "connect", fake_connect)
    tokens = iter(["t1", "t2"])
    engine = build_engine(DatabaseSettings.model_validate(AURORA), token_provider=lambda: next(tokens))
    for _ in range(2):
        with pytest.raises(Exception):  # noqa: PT011,B017 - refused by the fake driver
            engine.connect()
    assert passwords == ["t1", "t2"]


def test_engine_is_built_on_first_use_and_then_reused(database_url: str) -> None:
    # Given no engine yet in this container (the fixture disposed it)
    assert engine_module._engine is None
    # When asked twice
    first = engine_module.get_engine()
    second = engine_module.get_engine()
    # Then it was built once, from DATABASE_URL
    assert first is second
    assert str(first.url) == database_url


def test_sqlite_engine_enforces_foreign_keys(database_url: str) -> None:
    with engine_module.get_engine().connect() as connection:
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_importing_the_handlers_builds_no_engine() -> None:
    import subprocess
    import sys

    probe = (
        "import lambdas.api.app, lambdas.shared.db.engine as e; "
        "assert e._engine is None and e._session_factory is None; print('ok')"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env={"PATH": ""}, check=False
    )
    assert result.stdout.strip() == "ok", result.stderr


@ON_BOTH_DATABASES
def test_a_database_error_never_quotes_the_values_it_was_given(database_url: str) -> None:
    # the message of a refused statement is what ends up in logs and tracebacks: no row values in it
    from sqlalchemy.exc import IntegrityError

    from lambdas.shared.db.engine import get_engine

    insert = text("INSERT INTO audit_log (id, actor, action, entity_type, entity_id, details, at) VALUES "
                  "(1, 'Zélie Nakamura', 'a', 'client', 'c', '{}', '2026-01-01')")  # fmt: skip
    with get_engine().begin() as connection:
        connection.execute(insert)
    with pytest.raises(IntegrityError) as raised, get_engine().begin() as connection:
        connection.execute(text(str(insert).replace("'Zélie Nakamura'", ":actor")), {"actor": "Zélie Nakamura"})
    assert "Zélie" not in str(raised.value)


@pytest.mark.parametrize(
    "settings",
    [AURORA, {"DATABASE_URL": "sqlite://"}, {"DATABASE_URL": "mysql+pymysql://root@127.0.0.1:3306/test"}],
    ids=["aurora", "sqlite", "mysql-url"],
)
def test_every_engine_hides_statement_parameters(settings: dict[str, str]) -> None:
    engine = build_engine(DatabaseSettings(**settings), token_provider=lambda: "token")
    assert engine.hide_parameters
    engine.dispose()


def test_a_server_that_never_answers_is_unavailable_in_seconds_not_a_hang(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a "database" that takes connections and says nothing
    import socket
    import time

    from lambdas.shared.db import engine as engines
    from lambdas.shared.db.unit_of_work import UnitOfWork
    from lambdas.shared.errors import DatabaseUnavailable

    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    for name in ("connect_timeout", "read_timeout"):
        monkeypatch.setitem(engines.MYSQL_TIMEOUTS, name, 1)
    monkeypatch.setenv("DATABASE_URL", f"mysql+pymysql://app@127.0.0.1:{silent.getsockname()[1]}/fondation")
    engines.dispose_engine()
    try:
        # When a unit of work reads, Then it is a DatabaseUnavailable within the driver's timeout
        started = time.monotonic()
        with pytest.raises(DatabaseUnavailable), UnitOfWork("test") as uow:
            uow.sites.get("saint-denis")
        assert time.monotonic() - started < 5
    finally:
        engines.dispose_engine()
        silent.close()
