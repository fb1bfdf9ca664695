"""A trail written before the field index moved into the events' rows (revision 0007) keeps
answering investigations and verifying after the upgrade, and the way back restores it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from alembic import command
from alembic.config import Config
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from audit.entry import Record, encode, micros
from audit.merkle import leaf_hash
from audit.signing import Signer
from audit.verify import verify_trail
from govern.db import make_engine
from govern.investigations import repository
from govern.migrate import MIGRATIONS

AT = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
OLD_INDEX = "seq, field, level, at_us, actor, object, viewer_group, object_group"


def migrate(engine: Engine, revision: str, down: bool = False) -> None:
    with engine.begin() as connection:
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        config.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(config, revision)


def old_trail() -> list[tuple[Record, list[tuple[str, str]]]]:
    """Two debtor views around a login, with the field-index rows 0002 kept for them."""

    def viewed(account: str, debtor: str, phone: str) -> Record:
        details = {
            "fields": {"phones": phone, "name": "masked"},
            "viewer_group": "bank-a",
            "object_group": "bank-a",
        }
        return Record("debtor.viewed", account, debtor, details, "req-1", "127.0.0.1")

    return [
        (viewed("GV-AAAA-0001", "DB-0001", "full"), [("name", "masked"), ("phones", "full")]),
        (Record("login", "GV-AAAA-0002", None, {}, "req-2", "127.0.0.1"), []),
        (viewed("GV-AAAA-0002", "DB-0001", "masked"), [("name", "masked"), ("phones", "masked")]),
    ]


def write_old_trail(engine: Engine) -> set[tuple]:
    at_us, index = micros(AT), set()
    with engine.begin() as connection:
        for seq, (record, fields) in enumerate(old_trail(), start=1):
            entry = encode(seq, AT, record)
            connection.execute(
                text(
                    "INSERT INTO audit_events (seq, at_us, actor, action, object, entry, "
                    "leaf_hash) VALUES (:seq, :at_us, :actor, :action, :object, :entry, :leaf)"
                ),
                {
                    "seq": seq,
                    "at_us": at_us,
                    "actor": record.actor,
                    "action": record.action,
                    "object": record.object,
                    "entry": entry,
                    "leaf": leaf_hash(entry),
                },
            )
            for field, level in fields:
                row = (seq, field, level, at_us, record.actor, record.object, "bank-a", "bank-a")
                connection.execute(
                    text(f"INSERT INTO audit_fields ({OLD_INDEX}) VALUES ({_marks(8)})"),
                    {f"p{n}": value for n, value in enumerate(row)},
                )
                index.add(row)
    return index


def _marks(count: int) -> str:
    return ", ".join(f":p{n}" for n in range(count))


@pytest.fixture
def owner(empty_database: tuple[str, str]) -> Iterator[Engine]:
    engine = make_engine(empty_database[1])
    yield engine
    engine.dispose()


def test_r_aud_3_a_trail_from_before_0007_still_answers_who_saw_and_verifies(owner, caplog) -> None:
    migrate(owner, "0006")
    write_old_trail(owner)
    with owner.begin() as connection:  # an old index row framing someone: no event says so
        framing = (99, "phones", "full", 0, "GV-INNO-CENT", "DB-0001", "bank-a", "bank-a")
        connection.execute(
            text(f"INSERT INTO audit_fields ({OLD_INDEX}) VALUES ({_marks(8)})"),
            {f"p{n}": value for n, value in enumerate(framing)},
        )
    migrate(owner, "head")
    with owner.connect() as connection:
        shown = connection.execute(
            text("SELECT seq, fields, viewer_group FROM audit_events ORDER BY seq")
        ).all()
        saw = repository.who_saw(connection, "DB-0001", "phones", 0, 2**62)
        report = verify_trail(connection, Signer(Ed25519PrivateKey.generate()).public_key, [])
    assert [tuple(row) for row in shown] == [
        (1, ";name=masked;phones=full;", "bank-a"),
        (2, None, None),
        (3, ";name=masked;phones=masked;", "bank-a"),
    ]
    assert [s["account"] for s in saw] == ["GV-AAAA-0001"]  # from the entries, not the index
    assert "1 rows of the old field index did not match" in caplog.text
    assert report.ok and report.unanchored == 3, report.problems


def test_r_aud_2_the_trail_stays_append_only_across_0007_and_back(owner) -> None:
    migrate(owner, "0006")
    index = write_old_trail(owner)
    migrate(owner, "head")
    with pytest.raises(DBAPIError, match="append-only"), owner.begin() as connection:
        connection.execute(text("UPDATE audit_events SET fields = NULL WHERE seq = 1"))
    migrate(owner, "0006", down=True)
    with owner.connect() as connection:
        restored = connection.execute(text(f"SELECT {OLD_INDEX} FROM audit_fields")).all()
    assert {tuple(row) for row in restored} == index
    with pytest.raises(DBAPIError, match="append-only"), owner.begin() as connection:
        connection.execute(text("DELETE FROM audit_fields WHERE seq = 1"))
