"""Alembic environment: runs on the connection `govern.migrate.upgrade` hands over."""

from alembic import context

from audit.store import metadata as audit_metadata
from govern.models import Base

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=[Base.metadata, audit_metadata],
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
