"""Alembic environment: always given a live connection by review.store (no URL in a config file)."""
from alembic import context

from review.store.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("review.store passes a connection; run migrations through review.store.Store")
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
