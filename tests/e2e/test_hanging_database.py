"""The local runtime on a MySQL server that hangs (packets dropped, no reset): a request that needs the
database hears a clear 503 within seconds, well before API Gateway's 29 s, and one that needs none is
not held behind it; once the server answers again, so does the API."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from tests.conftest import MYSQL_TEST_URL
from tests.e2e.conftest import LocalRuntime, start_runtime, stop_runtime
from tests.e2e.hanging_database import HangingDatabase

pytestmark = [pytest.mark.e2e, pytest.mark.mysql]

CHECK_IN = "/sites/saint-denis/tickets"


@pytest.fixture
def database() -> Iterator[tuple[HangingDatabase, str]]:
    """The runtime's own database on the MySQL server, reached through a relay that can hang; its URL."""
    server = make_url(MYSQL_TEST_URL)
    name = f"fondation_e2e_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server.set(database=None))
    with admin.connect() as connection:
        connection.exec_driver_sql(f"CREATE DATABASE {name} CHARACTER SET utf8mb4")
    relay = HangingDatabase((server.host or "127.0.0.1", server.port or 3306))
    url = server.set(host="127.0.0.1", port=relay.port, database=name).render_as_string(hide_password=False)
    try:
        yield relay, url
    finally:
        relay.close()
        with admin.connect() as connection:
            connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {name}")
        admin.dispose()


def test_a_hanging_database_is_a_503_in_seconds_and_holds_nothing_else(
    database: tuple[HangingDatabase, str], tmp_path: Path
) -> None:
    relay, url = database
    runtime: LocalRuntime = start_runtime(tmp_path, tmp_path / "runtime.log", DATABASE_URL=url)
    try:
        desk, manager = runtime.token("front-desk"), runtime.token("managers")
        assert runtime.request("POST", CHECK_IN, token=desk, body={})[0] == 201
        # When the database hangs while more desks check people in than there are warm containers
        relay.freeze()
        answers: list[tuple[int, str | None]] = []

        def check_in() -> None:
            status, body = runtime.request("POST", CHECK_IN, token=desk, body={})
            answers.append((status, body and body.get("error")))

        desks = [threading.Thread(target=check_in) for _ in range(4)]
        for thread in desks:
            thread.start()
        time.sleep(0.5)
        # Then a route that needs no database answers beside the requests held by it
        status, counts = runtime.request("GET", "/workflows", token=manager)
        assert status == 200, counts
        for thread in desks:
            thread.join()
        # And every check-in hears that the database is unreachable: the driver gave up, not API Gateway (504)
        assert answers == [(503, "unavailable")] * 4
        # And once the database answers again, so does the API
        relay.thaw()
        deadline = time.monotonic() + 30
        while (status := runtime.request("POST", CHECK_IN, token=desk, body={})[0]) != 201:
            assert time.monotonic() < deadline, f"still {status} after the database came back"
            time.sleep(1)
    finally:
        relay.thaw()
        stop_runtime(runtime)
