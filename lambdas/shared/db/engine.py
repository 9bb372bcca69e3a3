"""One SQLAlchemy engine per container, built on first use.

``DATABASE_URL`` wins when set (SQLite locally, any MySQL in tests). In AWS the functions connect to
Aurora MySQL as an IAM database user: the password is an authentication token, sent only over TLS.
Every engine hides statement parameters from its errors: they are the people's data.
"""

from __future__ import annotations

import ssl
import threading
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import URL, Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from lambdas.shared.config import DatabaseSettings, database_settings

# An RDS IAM token is valid for 15 minutes; it is only checked when a connection opens, so a new
# connection must never be opened with a token close to that age.
TOKEN_REFRESH_SECONDS = 10 * 60


class IamTokenProvider:
    """Gives a valid RDS IAM authentication token, generating a new one when the cached one is stale."""

    def __init__(
        self,
        settings: DatabaseSettings,
        generate: Callable[[], str] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._settings = settings
        self._generate = generate or self._generate_with_boto3
        self._clock = clock
        self._token: str | None = None
        self._issued_at = 0.0
        self._lock = threading.Lock()

    def __call__(self) -> str:
        with self._lock:
            if self._token is None or self._clock() - self._issued_at >= TOKEN_REFRESH_SECONDS:
                self._token = self._generate()
                self._issued_at = self._clock()
            return self._token

    def _generate_with_boto3(self) -> str:
        import boto3  # only the IAM path needs it; keeps it out of cold starts elsewhere

        client = boto3.client("rds", region_name=self._settings.region)
        token: str = client.generate_db_auth_token(
            DBHostname=self._settings.host,
            Port=self._settings.port,
            DBUsername=self._settings.user,
            Region=self._settings.region,
        )
        return token


# A server that takes the connection and never answers (or stops answering mid-request) must not hold
# a request (API Gateway gives up at 29 s) or a task (30 s) past its time: the driver gives up first,
# and the error is a DatabaseUnavailable like any lost connection (503 with Retry-After; a task's
# retry). The worst a hung server costs a request: the pool's ping (a read), then one new connection.
# A lock wait gives up before a read does: a transaction held up by another one's locks hears that it
# was busy (``UnitOfWork.run`` runs it again), not that its connection was lost.
LOCK_WAIT_SECONDS = 4
MYSQL_TIMEOUTS = {"connect_timeout": 3, "read_timeout": 6, "write_timeout": 6}
MYSQL_SESSION = f"SET SESSION innodb_lock_wait_timeout = {LOCK_WAIT_SECONDS}"

# Every session and connection ends its own transaction (commit or rollback) before handing its
# connection back, so the pool's own ROLLBACK on return would be one more round trip for nothing.
MYSQL_POOL = {"pool_pre_ping": True, "pool_reset_on_return": None}


def tls_context(ca_bundle: str | None) -> ssl.SSLContext:
    """Verified TLS: Aurora refuses IAM authentication over a plain connection."""
    return ssl.create_default_context(cafile=ca_bundle)


def build_engine(settings: DatabaseSettings, token_provider: Callable[[], str] | None = None) -> Engine:
    if settings.url:
        return _url_engine(settings.url)
    url = URL.create(
        "mysql+pymysql",
        username=settings.user,
        host=settings.host,
        port=settings.port,
        database=settings.name,
        query={"charset": "utf8mb4"},
    )
    engine = create_engine(
        url,
        hide_parameters=True,
        connect_args={"ssl": tls_context(settings.ca_bundle), "init_command": MYSQL_SESSION, **MYSQL_TIMEOUTS},
        isolation_level="READ COMMITTED",
        pool_size=1,
        max_overflow=2,
        pool_recycle=TOKEN_REFRESH_SECONDS,
        **MYSQL_POOL,
    )
    tokens = token_provider or IamTokenProvider(settings)

    @event.listens_for(engine, "do_connect")
    def _use_fresh_token(dialect: Any, record: Any, cargs: Any, cparams: dict[str, Any]) -> None:
        cparams["password"] = tokens()

    return engine


def _url_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, hide_parameters=True)
        _configure_sqlite(engine)
        return engine
    return create_engine(
        url,
        hide_parameters=True,
        isolation_level="READ COMMITTED",
        connect_args={"init_command": MYSQL_SESSION, **MYSQL_TIMEOUTS},
        **MYSQL_POOL,
    )


def _configure_sqlite(engine: Engine) -> None:
    """Foreign keys on, WAL for concurrent readers, and write locks taken at BEGIN.

    pysqlite's own deferred BEGIN lets two writers deadlock on lock upgrade ("database is locked"
    despite the busy timeout); taking the lock at BEGIN makes them queue instead.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


_engine: Engine | None = None
_session_factory: sessionmaker[Session] | None = None
_lock = threading.Lock()


def session_factory() -> sessionmaker[Session]:
    """The container's session factory, bound to its one engine (built here on first call)."""
    global _engine, _session_factory
    if _session_factory is None:
        with _lock:
            if _session_factory is None:
                _engine = build_engine(database_settings())
                _session_factory = sessionmaker(bind=_engine, expire_on_commit=False)
    return _session_factory


def get_engine() -> Engine:
    session_factory()
    assert _engine is not None
    return _engine


def dispose_engine() -> None:
    """Forget the container's engine (tests switch databases; settings are re-read next time)."""
    global _engine, _session_factory
    with _lock:
        if _engine is not None:
            _engine.dispose()
        _engine = None
        _session_factory = None
        database_settings.cache_clear()
