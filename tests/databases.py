"""Run a data-access test on SQLite and on the real MariaDB/MySQL server (the ``mysql`` marker)."""

import pytest

ON_BOTH_DATABASES = pytest.mark.parametrize(
    "database_url", ["sqlite", pytest.param("mysql", marks=pytest.mark.mysql)], indirect=True
)
