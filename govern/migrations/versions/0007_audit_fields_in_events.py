"""audit trail: the field index folded into the events' own rows

One row per event instead of one more per field shown: a debtor view of eleven fields wrote
twelve rows and sixty index entries, and appending was bound by that (docs/benchmarks.md).
`audit_events` gains `fields`, `viewer_group`, `object_group` (derived from each entry, as the
rows of `audit_fields` were) and an index on time; `audit_fields` goes.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29
"""

import json
import logging
from collections.abc import Iterator

import sqlalchemy as sa
from alembic import op

from audit.entry import field_columns, levels
from audit.store import append_only_ddl, drop_append_only_ddl

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

BATCH = 1000
log = logging.getLogger("alembic.runtime.migration")
_INDEX_COLUMNS = (
    "seq",
    "field",
    "level",
    "at_us",
    "actor",
    "object",
    "viewer_group",
    "object_group",
)


def upgrade() -> None:
    op.add_column("audit_events", sa.Column("fields", sa.String(), nullable=True))
    op.add_column("audit_events", sa.Column("viewer_group", sa.String(128), nullable=True))
    op.add_column("audit_events", sa.Column("object_group", sa.String(128), nullable=True))
    with _writable("audit_events"):
        _fill_event_columns()
    _warn_of_disagreeing_index_rows()
    op.create_index("ix_audit_events_at", "audit_events", ["at_us"])  # after the fill
    op.drop_table("audit_fields")  # its triggers go with it


def downgrade() -> None:
    # The service role's grants on the recreated table come from `govern db upgrade`'s grant
    # step; after going back, run the older release's `govern db upgrade` to grant them.
    op.create_table(
        "audit_fields",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("field", sa.String(length=64), nullable=False),
        sa.Column("level", sa.String(length=64), nullable=False),
        sa.Column("at_us", sa.BigInteger(), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=True),
        sa.Column("object", sa.String(length=128), nullable=True),
        sa.Column("viewer_group", sa.String(length=128), nullable=True),
        sa.Column("object_group", sa.String(length=128), nullable=True),
        sa.PrimaryKeyConstraint("seq", "field"),
    )
    op.create_index("ix_audit_fields_object_field_at", "audit_fields", ["object", "field", "at_us"])
    op.create_index("ix_audit_fields_actor_at", "audit_fields", ["actor", "at_us"])
    op.create_index("ix_audit_fields_at", "audit_fields", ["at_us"])
    _fill_index_rows()
    for statement in append_only_ddl(op.get_bind().dialect.name, ("audit_fields",)):
        op.execute(statement)
    op.drop_index("ix_audit_events_at", table_name="audit_events")
    for column in ("object_group", "viewer_group", "fields"):
        op.execute(f"ALTER TABLE audit_events DROP COLUMN {column}")


class _writable:
    """The table's append-only triggers lifted for the length of a migration step (and put
    back by the rollback if the step fails)."""

    def __init__(self, table: str) -> None:
        self._table, self._dialect = table, op.get_bind().dialect.name

    def __enter__(self) -> None:
        for statement in drop_append_only_ddl(self._dialect, (self._table,)):
            op.execute(statement)

    def __exit__(self, failure: type[BaseException] | None, *_: object) -> None:
        if failure is None:
            for statement in append_only_ddl(self._dialect, (self._table,)):
                op.execute(statement)


def _fill_event_columns() -> None:
    """Each event's field columns from its own entry (what verify checks them against), not
    from the old index, which could have been edited."""
    bind = op.get_bind()
    update = sa.text(
        "UPDATE audit_events SET fields = :fields, viewer_group = :viewer_group, "
        "object_group = :object_group WHERE seq = :seq"
    )
    query = (
        "SELECT seq, entry FROM audit_events WHERE seq > :after "
        "AND seq IN (SELECT seq FROM audit_fields) ORDER BY seq"
    )
    for page in _pages(bind, query):
        batch = []
        for seq, entry in page:
            details = json.loads(bytes(entry)).get("details") or {}
            batch.append({"seq": seq, **field_columns(details)})
        bind.execute(update, batch)


def _pages(bind: sa.Connection, query: str) -> Iterator[list]:
    """`query` (ordered by seq, `seq > :after`) a page at a time, with no cursor left open
    while the caller writes: SQLite leaves a scan of a table changed under it undefined."""
    after = 0
    while page := bind.execute(sa.text(f"{query} LIMIT {BATCH}"), {"after": after}).all():
        yield page
        after = page[-1].seq


def _warn_of_disagreeing_index_rows() -> None:
    """Old index rows that name no event, or a level its event does not say, are dropped with
    the table: say how many, so an auditor can look at a backup from before the upgrade."""
    stray = op.get_bind().scalar(
        sa.text(
            "SELECT count(*) FROM audit_fields f WHERE NOT EXISTS (SELECT 1 FROM audit_events e "
            "WHERE e.seq = f.seq AND e.fields LIKE '%;' || f.field || '=' || f.level || ';%')"
        )
    )
    if stray:
        log.warning(
            "%d rows of the old field index did not match their events and were dropped; "
            "the events themselves are unchanged (keep a backup from before this upgrade)",
            stray,
        )


def _fill_index_rows() -> None:
    bind = op.get_bind()
    query = (
        "SELECT seq, at_us, actor, object, fields, viewer_group, object_group "
        "FROM audit_events WHERE seq > :after AND fields IS NOT NULL ORDER BY seq"
    )
    insert = sa.text(
        f"INSERT INTO audit_fields ({', '.join(_INDEX_COLUMNS)}) "
        f"VALUES ({', '.join(':' + name for name in _INDEX_COLUMNS)})"
    )
    for page in _pages(bind, query):
        batch = [
            {**event._asdict(), "field": field, "level": level}
            for event in page
            for field, level in levels(event.fields).items()
        ]
        bind.execute(insert, [{name: row[name] for name in _INDEX_COLUMNS} for row in batch])
