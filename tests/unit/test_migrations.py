"""The migrations build exactly the models' schema, on SQLite and on MySQL."""

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect

from lambdas.migrations import SCRIPT_LOCATION, alembic_config, current_revision
from lambdas.shared.db.models import all_models
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
    unique_names = {constraint["name"] for constraint in inspector.get_unique_constraints("tickets")}
    foreign_names = {constraint["name"] for constraint in inspector.get_foreign_keys("tickets")}
    assert "uq_tickets_site_id_service_day_number" in unique_names
    assert "fk_tickets_station_id_stations" in foreign_names
    assert inspector.get_pk_constraint("clients")["name"] in ("pk_clients", None)  # SQLite does not name PKs
    engine.dispose()


def test_every_revision_file_is_in_the_chain() -> None:
    script = ScriptDirectory(str(SCRIPT_LOCATION))
    files = {path.stem.split("_")[0] for path in (SCRIPT_LOCATION / "versions").glob("*.py")}
    assert files == {revision.revision for revision in script.walk_revisions()}
