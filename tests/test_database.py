"""Least privilege on PostgreSQL: the service's role reads and writes rows, nothing more."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import ProgrammingError

from govern.config import Settings
from govern.db import make_engine


@pytest.mark.postgresql_only
def test_the_service_role_cannot_change_the_schema(base_settings: Settings) -> None:
    engine = make_engine(base_settings.database_url)
    try:
        with engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM accounts")).scalar() >= 0
            for statement in (
                "CREATE TABLE intruder (id int)",
                "DROP TABLE accounts",
                "ALTER TABLE accounts ADD COLUMN note text",
            ):
                with pytest.raises(ProgrammingError):
                    connection.execute(text(statement))
                connection.rollback()
    finally:
        engine.dispose()
