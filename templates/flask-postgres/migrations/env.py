"""Alembic environment: the database URL comes from DATABASE_URL, never from a file."""
import os

from alembic import context
from sqlalchemy import create_engine, pool

target_metadata = None


def run_migrations_offline():
    context.configure(url=os.environ["DATABASE_URL"], literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    engine = create_engine(os.environ["DATABASE_URL"], poolclass=pool.NullPool)
    with engine.connect() as connection:
        # One transaction for the whole upgrade: PostgreSQL's transactional DDL means a
        # failure leaves nothing half-done.
        context.configure(connection=connection, transaction_per_migration=False)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
