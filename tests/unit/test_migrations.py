"""The migrations build exactly the models' schema, on SQLite and on MySQL."""

import uuid
from collections.abc import Iterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, inspect, text
from sqlalchemy.engine import make_url

from lambdas.migrations import SCRIPT_LOCATION, alembic_config, current_revision, upgrade
from lambdas.shared.db.schema import all_models
from lambdas.shared.fields import digest
from lambdas.shared.normalize import email_key, name_key
from tests.conftest import MYSQL_TEST_URL
from tests.databases import ON_BOTH_DATABASES


@ON_BOTH_DATABASES
def test_migrated_schema_has_no_drift_from_the_models(database_url: str) -> None:
    # Given a database migrated to head
    engine = create_engine(database_url)
    # When its schema is compared with the models
    with engine.connect() as connection:
        differences = compare_metadata(
            MigrationContext.configure(connection, opts={"compare_type": True}), all_models()
        )
    # Then nothing differs, and the database is at the newest revision
    assert differences == []
    head = ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
    assert current_revision(engine) == head
    engine.dispose()


@ON_BOTH_DATABASES
def test_constraints_carry_conventional_names(database_url: str) -> None:
    engine = create_engine(database_url)
    inspector = inspect(engine)
    unique_names = {constraint["name"] for constraint in inspector.get_unique_constraints("stations")}
    foreign_names = {constraint["name"] for constraint in inspector.get_foreign_keys("stations")}
    assert "uq_stations_site_id_prefix" in unique_names
    assert "fk_stations_site_id_sites" in foreign_names
    assert inspector.get_pk_constraint("clients")["name"] in ("pk_clients", None)  # SQLite does not name PKs
    engine.dispose()


def test_every_revision_file_is_in_the_chain() -> None:
    script = ScriptDirectory(str(SCRIPT_LOCATION))
    files = {path.stem.split("_")[0] for path in (SCRIPT_LOCATION / "versions").glob("*.py")}
    assert files == {revision.revision for revision in script.walk_revisions()}


@pytest.fixture
def empty_database(request: pytest.FixtureRequest, tmp_path) -> Iterator[Engine]:
    """A database of its own, with no schema at all (the shared test database stays migrated)."""
    if request.param == "sqlite":
        engine = create_engine(f"sqlite:///{tmp_path / 'empty.db'}")
        yield engine
        engine.dispose()
        return
    server = make_url(MYSQL_TEST_URL)
    admin = create_engine(server.set(database=None))
    name = f"fondation_migration_{uuid.uuid4().hex[:10]}"
    with admin.connect() as connection:
        connection.exec_driver_sql(f"CREATE DATABASE {name} CHARACTER SET utf8mb4")
    engine = create_engine(server.set(database=name))
    yield engine
    engine.dispose()
    with admin.connect() as connection:
        connection.exec_driver_sql(f"DROP DATABASE {name}")
    admin.dispose()


@pytest.mark.parametrize("empty_database", ["sqlite", pytest.param("mysql", marks=pytest.mark.mysql)], indirect=True)
def test_rows_written_before_0003_are_rewritten_to_the_forms_the_code_compares(empty_database: Engine) -> None:
    # Given a database at 0002 holding a client and an idempotency key in their old forms
    engine = empty_database
    upgrade(engine, "0002")
    key = "`key`" if engine.dialect.name == "mysql" else '"key"'
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO clients (id, status, first_name, last_name, phone, phone_key, email, email_key, name_key,"
                " language, search_name, emergency_first_visit, created_by, created_at, updated_at, address_line1)"
                " VALUES ('c-1', 'active', 'Amina', 'Diallo', '06 12 34 56 78', '0612345678', 'Amina@Example.org',"
                " 'amina@example.org', 'amina|diallo', 'fr', 'diallo amina', 0, 'desk', '2026-01-01', '2026-01-01',"
                " '12 rue des Lilas')"
            )
        )
        connection.execute(
            text(
                f"INSERT INTO idempotency_records ({key}, request_hash, entity_id, created_at)"  # noqa: S608
                " VALUES ('POST /clients key desk k-1', 'h', 'c-1', '2026-01-01')"
            )
        )
    # When it is migrated to the newest revision
    upgrade(engine)
    # Then the rows hold what the code now computes and compares
    with engine.connect() as connection:
        client = connection.execute(text("SELECT * FROM clients WHERE id = 'c-1'")).mappings().one()
        keys = [row[0] for row in connection.execute(text(f"SELECT {key} FROM idempotency_records"))]  # noqa: S608
    assert client["phone"] == "+33612345678"
    assert client["name_key"] == name_key("Amina", "Diallo")
    assert client["email_key"] == email_key("amina@example.org")
    assert (client["birth_date_quality"], client["housing_situation"]) == ("exact", "fixed_address")
    assert keys == [digest("POST /clients key desk k-1")]


@pytest.mark.parametrize("empty_database", ["sqlite", pytest.param("mysql", marks=pytest.mark.mysql)], indirect=True)
def test_0008_replaces_the_first_schemas_order_tables_only_while_they_are_empty(empty_database: Engine) -> None:
    upgrade(empty_database, "0007")
    with empty_database.begin() as connection:
        site = (
            "INSERT INTO sites (id, name, timezone, hours, grace_seconds, default_journey, priority_streak, "
            "service_minutes, configured_by, created_at, updated_at) "
            "VALUES ('s', 'S', 'Europe/Paris', '{}', 180, '[]', 3, 8, 'x', '2026-01-01', '2026-01-01')"
        )
        connection.execute(text(site))
        frame = (
            "INSERT INTO frames (id, site_id, reference, model, status, donated_at) "
            "VALUES ('f', 's', 'R-1', 'Model', 'available', '2026-01-01')"
        )
        connection.execute(text(frame))
    # a stage where someone wrote a frame keeps it: the migration stops and says where
    with pytest.raises(RuntimeError, match="table frames holds rows"):
        upgrade(empty_database)
    with empty_database.begin() as connection:
        connection.execute(text("DELETE FROM frames"))
    upgrade(empty_database)
    assert {"frame_stock", "order_events", "lab_submissions"} <= set(inspect(empty_database).get_table_names())
    assert "frames" not in inspect(empty_database).get_table_names()


@pytest.mark.parametrize("empty_database", ["sqlite", pytest.param("mysql", marks=pytest.mark.mysql)], indirect=True)
def test_after_0011_the_code_before_it_still_writes_sites_and_stations(empty_database: Engine) -> None:
    # Given the schema of 0011, and a site and station written as the code before it writes them
    # (while a deploy replaces the functions, or after a rollback): without names or languages
    upgrade(empty_database, "0011")
    with empty_database.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO sites (id, name, timezone, hours, grace_seconds, default_journey, priority_streak,"
                " service_minutes, configured_by, created_at, updated_at) VALUES ('old', 'Old', 'Europe/Paris',"
                " '{}', 180, '[]', 3, 8, 'old-code', '2026-12-01 09:00:00', '2026-12-01 09:00:00')"
            )
        )
        connection.execute(
            text(
                "INSERT INTO stations (site_id, id, name, prefix, counters, position, configured_by, created_at,"
                " updated_at) VALUES ('old', 'reception', 'Accueil', 'A', '[\"desk-1\"]', 0, 'old-code',"
                " '2026-12-01 09:00:00', '2026-12-01 09:00:00')"
            )
        )
    # Then the new code reads them: no counter names, a screen that speaks French
    from sqlalchemy.orm import sessionmaker

    from lambdas.shared.db.unit_of_work import UnitOfWork
    from lambdas.shared.queue.sites import get_site

    with UnitOfWork("test", sessionmaker(bind=empty_database, expire_on_commit=False)) as uow:
        site = get_site(uow, "old")
    assert (site.screen_languages, site.stations[0].counter_names) == (["fr"], {})


@pytest.mark.parametrize("empty_database", ["sqlite", pytest.param("mysql", marks=pytest.mark.mysql)], indirect=True)
def test_0012_goes_back_to_0011_and_forward_again(empty_database: Engine) -> None:
    # a rollback by hand (alembic downgrade) must not stop on MySQL's rule that a foreign key keeps its index
    from alembic import command

    upgrade(empty_database)
    command.downgrade(alembic_config(empty_database), "0011")
    assert "site_id" not in {column["name"] for column in inspect(empty_database).get_columns("clients")}
    upgrade(empty_database)
    assert "ix_clients_site_id_status" in {index["name"] for index in inspect(empty_database).get_indexes("clients")}
