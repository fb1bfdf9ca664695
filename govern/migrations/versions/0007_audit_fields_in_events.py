"""audit trail: the field index folded into the events' own rows

One row per event instead of one more per field shown: a debtor view of eleven fields wrote
twelve rows and sixty index entries, and appending was bound by that (docs/benchmarks.md).
`audit_events` gains `fields`, `viewer_group`, `object_group` (derived from each entry, as the
rows of `audit_fields` were) and an index on time; `audit_fields` goes.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29
"""

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
    op.create_index("ix_audit_events_at", "audit_events", ["at_us"])
    with _writable("audit_events"):
        _fill_event_columns()
    op.drop_table("audit_fields")  # its triggers go with it


def downgrade() -> None:
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
    """The table's append-only triggers lifted for the length of a migration step."""

    def __init__(self, table: str) -> None:
        self._table, self._dialect = table, op.get_bind().dialect.name

    def __enter__(self) -> None:
        for statement in drop_append_only_ddl(self._dialect, (self._table,)):
            op.execute(statement)

    def __exit__(self, *_: object) -> None:
        for statement in append_only_ddl(self._dialect, (self._table,)):
            op.execute(statement)


def _fill_event_columns() -> None:
    bind = op.get_bind()
    update = sa.text(
        "UPDATE audit_events SET fields = :fields, viewer_group = :viewer_group, "
        "object_group = :object_group WHERE seq = :seq"
    )
    batch: list[dict] = []
    for seq, rows in _index_rows_by_event(bind):
        first = rows[0]
        details = {
            "fields": {row.field: row.level for row in rows},
            "viewer_group": first.viewer_group,
            "object_group": first.object_group,
        }
        batch.append({"seq": seq, **field_columns(details)})
        if len(batch) >= BATCH:
            bind.execute(update, batch)
            batch = []
    if batch:
        bind.execute(update, batch)


def _index_rows_by_event(bind: sa.Connection) -> Iterator[tuple[int, list]]:
    query = sa.text(f"SELECT {', '.join(_INDEX_COLUMNS)} FROM audit_fields ORDER BY seq")
    current: list = []
    for row in bind.execute(query):
        if current and current[0].seq != row.seq:
            yield current[0].seq, current
            current = []
        current.append(row)
    if current:
        yield current[0].seq, current


def _fill_index_rows() -> None:
    bind = op.get_bind()
    query = sa.text(
        "SELECT seq, at_us, actor, object, fields, viewer_group, object_group "
        "FROM audit_events WHERE fields IS NOT NULL ORDER BY seq"
    )
    insert = sa.text(
        f"INSERT INTO audit_fields ({', '.join(_INDEX_COLUMNS)}) "
        f"VALUES ({', '.join(':' + name for name in _INDEX_COLUMNS)})"
    )
    batch: list[dict] = []
    for event in bind.execute(query).all():
        for field, level in levels(event.fields).items():
            batch.append({**event._asdict(), "field": field, "level": level})
    for start in range(0, len(batch), BATCH):
        bind.execute(insert, [_only_index(row) for row in batch[start : start + BATCH]])


def _only_index(row: dict) -> dict:
    return {name: row[name] for name in _INDEX_COLUMNS}
