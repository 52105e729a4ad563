"""The migrations build exactly the schema the models describe (on SQLite and on PostgreSQL)."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

import labeler.models  # noqa: F401 (registers every table on the metadata)


def test_the_migrated_database_matches_the_models(engine):
    # A model changed without a migration (or a migration that names a constraint otherwise than the models do)
    # would pass every other test on a database made from the models, and fail on a user's upgraded one.
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, SQLModel.metadata)
    assert differences == []
