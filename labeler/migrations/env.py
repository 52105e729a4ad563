"""Alembic environment: runs on the engine that labeler.db hands over (or the URL in the config)."""

from alembic import context
from sqlalchemy import engine_from_config, pool

from labeler import models  # noqa: F401  (registers every table on the metadata)
from sqlmodel import SQLModel

config = context.config
MIGRATION_LOCK = int.from_bytes(b"labeler", "big")  # any fixed bigint; names the lock in pg_locks
target_metadata = SQLModel.metadata


def run_migrations() -> None:
    engine = config.attributes.get("engine")
    if engine is None:
        engine = engine_from_config(config.get_section(config.config_ini_section, {}), poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            # SQLite cannot ALTER most things; batch mode rebuilds the table instead.
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            if connection.dialect.name == "postgresql":
                # Workers started together each upgrade on start: the first takes this lock and migrates, the
                # others wait for its commit and then find the schema up to date (instead of failing half-way).
                connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")
            context.run_migrations()


run_migrations()
